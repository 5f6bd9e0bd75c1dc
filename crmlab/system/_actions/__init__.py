"""The actions of a :class:`crmlab.system.Desk`, one mixin per area of the textbook (tasks 12–15).

Every public method builds a function ``fn(c)`` over an action context ``c`` (session, acting user,
clock) and hands it to ``self._do``, which runs it in one transaction: checks first (permission,
lifecycle, guards), then changes, then the audit-log entry. Any exception rolls everything back.

One module per area: ``_common`` (vocabularies, helpers), ``_setup``, ``_archive``, ``_documents``
(the shared document lifecycle), ``_marketing``, ``_opportunity``, ``_sales``, ``_service`` and ``_value``.
"""
# One module per concept (crmlab/system/_actions/_*.py); every name is re-exported here, as before the split.
from ._common import (
    CARD_TRANSITIONS, DECISION_ROLES, EVALUATION_RESULTS, HOME_BLOCKS, INTEREST_LEVELS, NEEDS_TRADING,
    _DECISION_ALIASES, _RESULT_ALIASES, _alias,
)
from ._setup import SetupActions
from ._archive import CUSTOMER_KINDS, IMPORT_COLUMNS, ArchiveActions
from ._documents import DocumentActions
from ._marketing import MarketingActions
from ._opportunity import OpportunityActions
from ._sales import SalesActions
from ._service import ServiceActions
from ._value import ValueActions
