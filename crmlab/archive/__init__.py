"""Customer information archive (客户信息档案): catalogue, validation, consolidation and analysis.

Textbook task 5 客户信息管理 (customer information management), DataFrame level. The persistent
archive (SQLAlchemy models of customers, contacts, credit records and card changes) lives in
``crmlab.system.models``; this module works on plain DataFrames shaped like
``crmlab.datasets.load("customers")``, ``"contacts"``, ``"orders"`` and ``"products"`` and uses
the same codes (card types ``prospect``/``current``/``former``, decision roles, credit columns
``credit_limit``/``credit_grade``/``report_date``/``valid_until``).

What is where
-------------
* **Three-level data** (三级客户资料, task 5 §5.1.2; the book's figure 5-2 is lost, so the field
  list is a teaching construction): :data:`COLUMNS`, :func:`column_catalogue`,
  :func:`columns_by_level`, :func:`validate_archive`.
* **Collecting data** (§5.1.1): the 17 methods :data:`COLLECTION_METHODS`, :func:`source_mix`;
  the three data types and content blocks :data:`ARCHIVE_DATA_TYPES`, :data:`ARCHIVE_CONTENT`.
* **Contacts** with decision roles: :data:`DECISION_ROLES`, :func:`decision_role`,
  :func:`decision_map`, :func:`validate_contacts`.
* **Dynamic management** (动态管理, §5.2.2 2): :func:`credit_status` flags stale credit reports
  as of a date you give (never the wall clock).
* **Card types** (§5.1.3: 潜在/现有/旧客户调查卡): :data:`CARD_TYPES`, :func:`card_types`.
* **Centralised management** (集中管理, §5.2.2 1): :func:`normalise_name`,
  :func:`normalise_phone`, :func:`normalise_address`, :func:`find_duplicates`,
  :func:`consolidate` (merge with an audit; merged + kept = input), :func:`dedup_scores`, and
  :func:`scattered_records`, a seeded messy table with its ground truth.
* **Data quality**: :func:`quality_issues` (row level) and :func:`quality_report` (completeness,
  validity and freshness per column).
* **Analysis** (§5.2.5 3 and §5.3.2): :func:`composition`, :func:`sales_composition`,
  :func:`product_composition`, :func:`region_composition`; the six solvency ratios
  :func:`solvency_ratios` and :func:`solvency_flags`; the dealer evaluation
  :func:`dealer_evaluation`; FedEx's customer score and 7 groups :func:`fedex_score`,
  :func:`fedex_groups`; RFM quintiles :func:`rfm_table`, :func:`rfm_scores`, :func:`rfm_grid` and
  migration between periods :func:`migration_matrix`, :func:`rfm_migration`.

Every function takes DataFrames and returns new ones: the caller's frame is never changed. Bad
input raises :class:`ArchiveError` (a :class:`crmlab.errors.CRMLabError`, so a ``ValueError``) whose
message reads ``"中文 / English"``.

The package keeps one module per concept: ``_errors``, ``_catalogue`` (levels, columns, collection
methods, decision roles), ``_contacts`` (contacts, credit, cards), ``_normalise`` (names, phones,
addresses, the fuzzy backend), ``_quality``, ``_consolidate``, ``_scattered``, ``_composition`` (composition
and solvency), ``_evaluation`` (dealers, FedEx), ``_rfm`` and ``_cases``. Use the names from here.

Example
-------
>>> from crmlab import archive
>>> archive.normalise_phone("+86 138-0013-8000")
'13800138000'
>>> archive.normalise_name("星海 电器有限责任公司")
'星海电器有限公司'
>>> records, truth = archive.scattered_records(n_customers=60, seed=1)
>>> result = archive.consolidate(records, id_col="record_id", city="city", date="recorded_at")
>>> len(result.records) + int((result.members["status"] == "merged").sum()) == len(records)
True
"""
# One module per concept (crmlab/archive/_*.py); every name is re-exported here, so `archive.X` works as before.
from ._errors import ArchiveError, _as_of, _dates, _need_columns, _need_frame, _short
from ._catalogue import (
    ARCHIVE_CONTENT, ARCHIVE_DATA_TYPES, COLLECTION_METHOD, COLLECTION_METHODS, COLUMNS, DECISION_ROLES, LEVELS,
    MANAGEMENT_PRINCIPLES, Column, _catalogue_entry, column_catalogue, columns_by_level, source_mix,
)
from ._contacts import (
    CARD_TYPES, CREDIT_VALIDITY_DAYS, card_types, credit_status, decision_map, decision_role, validate_contacts,
)
from ._normalise import (
    FUZZY_BACKEND, name_key, normalise_address, normalise_name, normalise_phone, phone_valid, similarity,
)
from ._quality import _ISSUE_TEXT, _invalid_mask, quality_issues, quality_report, validate_archive
from ._consolidate import MATCH_RULES, Consolidation, cluster_ids, consolidate, dedup_scores, find_duplicates
from ._scattered import scattered_records
from ._composition import (
    SOLVENCY_RULES, composition, product_composition, region_composition, sales_composition, solvency_flags,
    solvency_ratios,
)
from ._evaluation import (
    DEALER_EVALUATION, DEALER_EVALUATION_WEIGHTS, FEDEX_GROUPS, _order_frame, dealer_evaluation, fedex_groups,
    fedex_score,
)
from ._rfm import ABSENT, migration_matrix, rfm_grid, rfm_migration, rfm_scores, rfm_table
from ._cases import FEDEX_EXAMPLE, NOTEBOOK_CASE, WUXI_ZHONGYUAN

__all__ = [
    # errors
    "ArchiveError",
    # catalogues
    "LEVELS", "Column", "COLUMNS", "column_catalogue", "columns_by_level", "validate_archive",
    "COLLECTION_METHODS", "source_mix", "ARCHIVE_DATA_TYPES", "ARCHIVE_CONTENT",
    "MANAGEMENT_PRINCIPLES",
    # contacts, credit, cards
    "DECISION_ROLES", "decision_role", "decision_map", "validate_contacts",
    "CREDIT_VALIDITY_DAYS", "credit_status",
    "CARD_TYPES", "card_types",
    # quality
    "quality_issues", "quality_report",
    # consolidation
    "FUZZY_BACKEND", "similarity", "normalise_name", "name_key", "normalise_phone", "phone_valid",
    "normalise_address", "find_duplicates", "cluster_ids", "Consolidation", "consolidate",
    "dedup_scores", "scattered_records",
    # analysis
    "composition", "sales_composition", "product_composition", "region_composition",
    "SOLVENCY_RULES", "solvency_ratios", "solvency_flags",
    "DEALER_EVALUATION", "DEALER_EVALUATION_WEIGHTS", "dealer_evaluation",
    "fedex_score", "FEDEX_GROUPS", "fedex_groups",
    "rfm_table", "rfm_scores", "rfm_grid", "migration_matrix", "rfm_migration",
    # cases
    "NOTEBOOK_CASE", "FEDEX_EXAMPLE", "WUXI_ZHONGYUAN",
]
__all__ += ["MATCH_RULES"]
__all__ += ["ABSENT"]
