"""Errors of the simulated CRM: a short ``code`` plus an English and a Chinese message.

They extend :mod:`crmlab.opportunity`'s errors, so one ``except`` catches both (one domain model):

* :class:`CRMError` (a :class:`crmlab.opportunity.OpportunityError`, itself a ``ValueError``);
* :class:`PermissionDenied` — the acting user's role or ownership does not allow the action;
* :class:`IllegalTransition` — the declared lifecycle does not allow the action from this status
  (also a :class:`crmlab.opportunity.IllegalTransition`);
* :class:`GuardFailed` — a rule of the textbook (R1–R35) or of crmlab is not met;
* :class:`ReadOnly` — the field or document may not be edited (audited documents, registered
  product archives, the computed customer value);
* :class:`NotFound` — no such user, customer, product or document.

:class:`crmlab.opportunity.ConditionsNotMet` (a strictly controlled stage lacks its activities,
tasks, quotes or samples) passes through unchanged. Whatever is raised, nothing was changed.

Example
-------
>>> from crmlab.system.errors import GuardFailed, IllegalTransition
>>> from crmlab import opportunity
>>> err = IllegalTransition("ILLEGAL_TRANSITION", "cannot audit", "不能审核")
>>> isinstance(err, opportunity.IllegalTransition), isinstance(err, ValueError), err.code
(True, True, 'ILLEGAL_TRANSITION')
>>> str(GuardFailed("WIN_DATE_REQUIRED", "set the win/loss date first", "请先填写输赢日期"))
'set the win/loss date first / 请先填写输赢日期'
"""
from __future__ import annotations

from crmlab import opportunity as _op

__all__ = ["CRMError", "PermissionDenied", "IllegalTransition", "GuardFailed", "ReadOnly", "NotFound",
           "ConditionsNotMet"]

ConditionsNotMet = _op.ConditionsNotMet


class CRMError(_op.OpportunityError):
    """Base error of :mod:`crmlab.system`: ``code``, ``en``, ``zh``."""


class PermissionDenied(CRMError):
    """The acting user's role or ownership does not allow this action. Nothing changed."""


class IllegalTransition(CRMError, _op.IllegalTransition):
    """The declared lifecycle does not allow this action from the document's status."""


class GuardFailed(CRMError):
    """A rule (guard) of the action is not met, e.g. R23: 赢单 needs the win/loss date."""


class ReadOnly(CRMError):
    """The document or field may not be edited (audited, registered, computed)."""


class NotFound(CRMError):
    """No such user, customer, product or document."""
