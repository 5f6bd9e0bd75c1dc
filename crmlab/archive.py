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
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from crmlab import glossary
from crmlab.errors import CRMLabError
from crmlab.shortcuts import computes

try:  # optional: a fast, MIT-licensed string matcher; difflib (standard library) otherwise
    from rapidfuzz.distance import Indel as _Indel
except ImportError:  # pragma: no cover - exercised by forcing backend="difflib" in the tests
    _Indel = None

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


# --------------------------------------------------------------------------------------------
# Errors and small helpers
# --------------------------------------------------------------------------------------------
class ArchiveError(CRMLabError):
    """Bad input to the archive functions: ``code`` plus a Chinese and an English message (a
    :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``).

    >>> err = ArchiveError("DEMO", "bad phone", "电话无效")
    >>> err.code, str(err)
    ('DEMO', '电话无效 / bad phone')
    """

    def __init__(self, code: str, en: str, zh: str):
        super().__init__(code, en, zh)


def _short(values, k: int = 5) -> str:
    values = list(values)
    text = ", ".join(repr(v) for v in values[:k])
    return text + (f" … (+{len(values) - k} more)" if len(values) > k else "")


def _need_frame(df, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ArchiveError("NOT_A_FRAME", f"{what} must be a pandas DataFrame, got {type(df).__name__}",
                           f"{what} 必须是 pandas DataFrame，收到 {type(df).__name__}")


def _need_columns(df, columns, what: str) -> None:
    _need_frame(df, what)
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ArchiveError("MISSING_COLUMN", f"{what} has no column(s) {missing}; it has {list(df.columns)}",
                           f"{what} 缺少列 {missing}；现有列 {list(df.columns)}")


def _blank_mask(values: pd.Series) -> pd.Series:
    """True where a cell is empty: NaN/None/NaT or text that is only spaces."""
    mask = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype("string")
        mask = mask | text.str.strip().eq("").fillna(False).astype(bool)
    return mask.astype(bool)


def _as_of(as_of, what: str = "as_of") -> pd.Timestamp:
    if as_of is None:
        raise ArchiveError("NO_AS_OF", f"{what} is required: give the date of the analysis (the wall clock is never used)",
                           f"必须给出 {what}（分析日期）；本模块从不使用系统当前时间")
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ArchiveError("BAD_DATE", f"{what} {as_of!r} is not a date", f"{what} {as_of!r} 不是日期") from None
    if ts is pd.NaT:
        raise ArchiveError("BAD_DATE", f"{what} is missing", f"{what} 缺失")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _dates(values: pd.Series, name: str, allow_missing: bool = False) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    else:
        out = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = out.isna() & ~_blank_mask(values)
        if bad.any():
            raise ArchiveError("BAD_DATE", f"column {name!r} has {int(bad.sum())} value(s) that are not dates: "
                               f"{_short(values[bad].unique())}",
                               f"列 {name!r} 有 {int(bad.sum())} 个值不是日期：{_short(values[bad].unique())}")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    if not allow_missing and out.isna().any():
        raise ArchiveError("MISSING_DATE", f"column {name!r} has {int(out.isna().sum())} missing date(s)",
                           f"列 {name!r} 有 {int(out.isna().sum())} 个缺失日期")
    return out


def _amounts(values: pd.Series, name: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise ArchiveError("NOT_NUMERIC", f"column {name!r} must be numeric, got dtype {values.dtype}",
                           f"列 {name!r} 必须是数值，收到类型 {values.dtype}")
    out = values.astype(float)
    if out.isna().any():
        raise ArchiveError("MISSING_AMOUNT", f"column {name!r} has {int(out.isna().sum())} missing amount(s)",
                           f"列 {name!r} 有 {int(out.isna().sum())} 个缺失金额")
    if (out < 0).any():
        rows = list(values.index[out < 0])
        raise ArchiveError("NEGATIVE_AMOUNT", f"column {name!r} has {len(rows)} negative amount(s) at rows {_short(rows)}; "
                           "remove returns or fix the entries first",
                           f"列 {name!r} 在行 {_short(rows)} 有 {len(rows)} 个负金额；请先剔除退货或更正录入")
    return out



# --------------------------------------------------------------------------------------------
# Three-level catalogue (三级客户资料, task 5 §5.1.2 — figure 5-2 is lost: CONSTRUCTED)
# --------------------------------------------------------------------------------------------
#: The three levels of customer data. Task 5 §5.1.2 says the content "可分为三级"; the figure that
#: named them (图5-2) is lost, so these names follow the issue and ``crmlab.system.models``.
LEVELS = {
    1: ("基础资料", "basic data"),
    2: ("经营与个人资料", "business / personal profile"),
    3: ("关系资料", "relationship data"),
}


class Column(NamedTuple):
    """One field of the archive catalogue: code, 中文名, English name, level, kind, aliases."""
    code: str
    zh: str
    en: str
    level: int
    kind: str          # id text phone date year amount count category bool score
    aliases: tuple = ()
    allowed: tuple = ()  # for kind == "category": accepted labels (codes, Chinese and English)


_GENDERS = ("男", "女", "male", "female", "M", "F")
_CUSTOMER_TYPES = ("individual", "organisation", "个人客户", "企业客户", "个人", "企业", "组织客户")
_CHANNEL_ROLES = ("end_customer", "intermediary", "最终客户", "中间客户", "经销商")
_REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北", "北方", "南方")
_SIZES = ("small", "medium", "large", "小", "中", "大", "小型", "中型", "大型")
_ACQ = ("store", "online", "referral", "exhibition", "sales_visit")

#: The archive's column catalogue. Level-1 codes are those of ``datasets.load("customers")`` and
#: ``crmlab.system.models.Customer``; levels 2–3 follow ``CustomerProfile``, ``Contact`` and
#: ``CreditRecord``. Field lists beyond the book's named content are a teaching construction
#: (the book's figure 5-2 is lost). Task 5 §5.2.1 lists the descriptive, promotion and
#: transaction data these fields come from.
COLUMNS: tuple[Column, ...] = (
    # level 1 — basic data (identification and the trading relationship)
    Column("customer_id", "客户编号", "customer number", 1, "id", ("no", "customer_no")),
    Column("name", "客户名称", "customer name", 1, "text", ("客户姓名", "姓名")),
    Column("customer_type", "客户类型", "customer type", 1, "category", ("kind",), _CUSTOMER_TYPES),
    Column("channel_role", "渠道角色", "channel role", 1, "category", (), _CHANNEL_ROLES),
    Column("industry", "所在行业", "industry", 1, "text"),
    Column("province", "省份", "province", 1, "text"),
    Column("city", "城市", "city", 1, "text"),
    Column("region", "所在地区", "sales region", 1, "category", (), _REGIONS),
    Column("address", "地址", "address", 1, "text"),
    Column("phone", "电话", "phone", 1, "phone", ("电话号码", "联系电话")),
    Column("signup_date", "登记日期", "date recorded", 1, "date", ("created_at",)),
    Column("acquisition_channel", "获客渠道", "acquisition channel", 1, "category", (), _ACQ),
    Column("source_method", "信息收集方法", "collection method", 1, "category", ("source",), ()),
    Column("verified", "是否已核实", "verified", 1, "bool"),
    Column("card_type", "卡片类型", "card type", 1, "category", (), ()),
    Column("owner", "负责销售", "salesperson in charge", 1, "text", ("sales_id", "owner_id")),
    Column("first_trade_date", "首次交易日期", "first trade date", 1, "date"),
    Column("last_trade_date", "最近交易日期", "last trade date", 1, "date"),
    Column("stop_reason", "停止交易原因", "reason trading stopped", 1, "text"),
    # level 2 — business profile (organisations) and personal profile (people)
    Column("company_size", "经营规模", "business scale", 2, "category", ("business_scale",), _SIZES),
    Column("business_direction", "经营方向", "business direction", 2, "text"),
    Column("main_products", "主要产品", "main products", 2, "text"),
    Column("main_needs", "主要需求", "main needs", 2, "text"),
    Column("target_market", "目标市场", "target market", 2, "text"),
    Column("annual_sales", "年销售额", "annual sales (元)", 2, "amount"),
    Column("gender", "性别", "gender", 2, "category", (), _GENDERS),
    Column("birth_year", "出生年份", "year of birth", 2, "year"),
    Column("birth_date", "出生日期", "date of birth", 2, "date"),
    Column("income_level", "收入水平", "income level", 2, "text"),
    Column("hobbies", "爱好", "hobbies", 2, "text"),
    Column("product_preference", "产品偏好", "product preference", 2, "text"),
    Column("campaigns_received", "收到促销次数", "campaigns received", 2, "count"),
    Column("campaign_responses", "促销响应次数", "campaign responses", 2, "count"),
    # level 3 — relationship data (contacts, credit, visits, attitude)
    Column("contact_name", "主要联系人", "main contact", 3, "text", ("contact",)),
    Column("decision_role", "决策角色", "decision role", 3, "category", (), ()),
    Column("credit_limit", "信用额度", "credit limit (元)", 3, "amount"),
    Column("credit_grade", "信用等级", "credit grade", 3, "text"),
    Column("report_date", "资信报告日期", "credit report date", 3, "date", ("credit_report_date",)),
    Column("valid_until", "资信有效期至", "credit report valid until", 3, "date"),
    Column("attitude_to_us", "对本企业的态度和评价", "attitude to us", 3, "text"),
    Column("competitor_dealings", "与竞争者交易情况", "dealings with competitors", 3, "text"),
    Column("last_visit_date", "最近拜访日期", "last visit date", 3, "date"),
    Column("customer_stage", "客户所处阶段", "behaviour stage", 3, "category", (), ()),
    Column("next_action", "下一步行动", "next action", 3, "text"),
    Column("next_date", "下一步日期", "next action date", 3, "date"),
    Column("recorded_at", "记录日期", "date of the record", 3, "date", ("updated_at",)),
)

_COLUMN_BY_LABEL = {lab: c for c in COLUMNS for lab in (c.code, c.zh, c.en, *c.aliases)}


def column_catalogue(level: int | None = None) -> pd.DataFrame:
    """The archive's field catalogue as a DataFrame: which field belongs to which level.

    The three levels follow task 5 §5.1.2 ("客户信息资料内容可分为三级"); the book's figure with
    the levels is lost, so the field lists are a teaching construction (crmlab's, not the
    textbook's). ``kind`` says how :func:`quality_issues` checks a value.

    Parameters
    ----------
    level : 1, 2 or 3 to keep one level; ``None`` for all.

    Examples
    --------
    >>> from crmlab import archive
    >>> cat = archive.column_catalogue()
    >>> cat.groupby("level").size().to_dict()
    {1: 19, 2: 14, 3: 13}
    >>> archive.column_catalogue(1).loc["phone", ["zh", "kind"]].tolist()
    ['电话', 'phone']
    """
    if level is not None and level not in LEVELS:
        raise ArchiveError("BAD_LEVEL", f"level must be 1, 2 or 3, got {level!r}", f"级别只能是 1、2 或 3，收到 {level!r}")
    rows = [{"column": c.code, "zh": c.zh, "en": c.en, "level": c.level, "level_zh": LEVELS[c.level][0],
             "kind": c.kind, "aliases": ", ".join(c.aliases)} for c in COLUMNS
            if level is None or c.level == level]
    return pd.DataFrame(rows).set_index("column")


def _catalogue_entry(label) -> Column | None:
    return _COLUMN_BY_LABEL.get(label) if isinstance(label, str) else None


def columns_by_level(df: pd.DataFrame) -> pd.DataFrame:
    """Which level each column of a frame belongs to (level ``0``, code ``""``: not in the catalogue).

    Columns may be named by code, Chinese name, English name or alias.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame(columns=["customer_id", "电话", "hobbies", "credit_limit", "note"])
    >>> archive.columns_by_level(df)[["code", "level"]].to_dict("list")
    {'code': ['customer_id', 'phone', 'hobbies', 'credit_limit', ''], 'level': [1, 1, 2, 3, 0]}
    """
    _need_frame(df, "df")
    rows = []
    for col in df.columns:
        c = _catalogue_entry(col)
        rows.append({"column": col, "code": c.code if c else "", "level": c.level if c else 0,
                     "level_zh": LEVELS[c.level][0] if c else "未列入目录", "kind": c.kind if c else None})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Collecting data (task 5 §5.1.1) and archive content (§5.1.3, §5.2.1)
# --------------------------------------------------------------------------------------------
_METHODS = [
    # code, 中文, family, party, essence
    ("original_records", "原始记录法", "traditional", "first", "read the firm's own sales records; the best first step"),
    ("new_records", "新增记录法", "traditional", "first", "record any possible customer at once (handheld or laptop)"),
    ("acquaintances", "熟人法", "traditional", "first", "start with relatives and friends"),
    ("endless_chain", "无限连锁法", "traditional", "first", "chain referral: each customer recommends the next"),
    ("direct_enquiry", "直接询问法", "traditional", "first", "door-to-door cold calls"),
    ("repeat_sales", "重复销售法", "traditional", "first", "old customers pass on information and leads"),
    ("feedback", "反馈信息法", "traditional", "first", "users of the product are the best source"),
    ("social_relations", "社会关系法", "traditional", "first", "enlist an influential person and their circle"),
    ("enquiry_log", "询问记录法", "traditional", "first", "record everyone who makes an enquiry"),
    ("reciprocity", "互惠互利法", "traditional", "third", "swap leads with other salespeople"),
    ("purchase", "直接购买法", "traditional", "third", "buy prospect lists of high quality"),
    ("directories", "名单查找法", "traditional", "third", "postal yellow pages and address books"),
    ("periodicals", "报刊名册法", "traditional", "third", "newspapers, periodicals and directories"),
    ("email", "电子邮件法", "modern", "first", "e-mail and chat with remote prospects"),
    ("search_engine", "搜索引擎法", "modern", "third", "category browsing or keyword search"),
    ("online_yellow_pages", "网上黄页法", "modern", "third", "online yellow pages, directories, broker sites"),
    ("industry_sites", "行业网站法", "modern", "third", "industry and trade-fair sites (exhibitor lists)"),
]

#: The 17 ways of collecting customer data (获得客户资料的方法), textbook task 5 §5.1.1, in the
#: book's order. ``family``: traditional 传统 / modern 现代 (electronic); ``party``: first 一手
#: (gathered in one's own business: most truthful, most costly) / third 第三方 (associations,
#: consultancies, websites: must be verified, 需进一步确认). The family/party tags of each method
#: are crmlab's reading of the section.
COLLECTION_METHODS = pd.DataFrame(
    [{"method": m, "zh": zh, "family": fam, "family_zh": {"traditional": "传统", "modern": "现代"}[fam],
      "party": party, "party_zh": {"first": "一手资料", "third": "第三方资料"}[party],
      "must_verify": party == "third", "essence": ess} for m, zh, fam, party, ess in _METHODS]
).set_index("method")

#: The collection methods as a :class:`crmlab.glossary.Vocabulary` (code, Chinese name, the
#: Chinese name without the final 法).
COLLECTION_METHOD = glossary.Vocabulary(
    "collection_method",
    {m: (zh, m.replace("_", " "), (zh.removesuffix("法"),)) for m, zh in COLLECTION_METHODS["zh"].items()},
    what=("collection method", "信息收集方法"), error_code="UNKNOWN_METHOD")


def source_mix(df: pd.DataFrame, column: str = "source_method", verified: str | None = None) -> pd.DataFrame:
    """How many records came through each collection method, with family and party.

    Task 5 任务分解 asks students to use 3–5 methods (§5.1.1); third-party data must be verified.
    Labels may be the codes of :data:`COLLECTION_METHODS` or the Chinese names (with or without
    the final 法). Unknown labels raise :class:`ArchiveError`.

    Parameters
    ----------
    df : records, one per row; not modified.
    column : the method column.
    verified : optional boolean column; adds ``unverified_third_party`` per method.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> leads = pd.DataFrame({"source_method": ["原始记录法", "search_engine", "熟人", "搜索引擎法"],
    ...                       "verified": [True, False, True, True]})
    >>> archive.source_mix(leads, verified="verified")[["zh", "n", "share", "party", "unverified_third_party"]]
                            zh  n  share  party  unverified_third_party
    method
    search_engine        搜索引擎法  2   0.50  third                       1
    original_records     原始记录法  1   0.25  first                       0
    acquaintances          熟人法  1   0.25  first                       0
    """
    _need_columns(df, [column] + ([verified] if verified else []), "df")
    codes = df[column].map(COLLECTION_METHOD.get)
    bad = codes.isna()
    if bad.any():
        raise ArchiveError("UNKNOWN_METHOD", f"unknown collection method(s) {_short(df.loc[bad, column].unique())}; "
                           f"use one of {list(COLLECTION_METHODS.index)} or their Chinese names",
                           f"未知的信息收集方法 {_short(df.loc[bad, column].unique())}；请使用教材的 17 种方法")
    counts = codes.value_counts(sort=False)
    out = COLLECTION_METHODS.loc[counts.index, ["zh", "family", "party"]].copy()
    out.insert(1, "n", counts.to_numpy())
    out.insert(2, "share", (counts / counts.sum()).round(6).to_numpy())
    if verified:
        third = codes.map(COLLECTION_METHODS["party"]).eq("third")
        unver = (third & ~df[verified].fillna(False).astype(bool)).groupby(codes).sum()
        out["unverified_third_party"] = unver.reindex(out.index).astype(int)
    out.index.name = "method"
    return out.sort_values("n", ascending=False, kind="stable")


#: The three data types in an archive (客户档案中的数据类型), task 5 §5.2.1, with the book's fields.
ARCHIVE_DATA_TYPES = {
    "descriptive": ("客户描述性数据", "changes slowly", ["基本情况", "信用情况", "行为爱好"]),
    "promotion": ("市场促销型数据", "per campaign", ["促销活动类型", "促销时间", "促销活动意图", "成本信息"]),
    "transaction": ("客户交易数据", "continuously", ["购买商品类", "商品售后类"]),
}
#: The three content blocks of a customer database (客户资料库), task 5 §5.1.3.
ARCHIVE_CONTENT = {
    "raw": ("客户原始资料", "first-hand basic data and the record of the trading relationship"),
    "analysis": ("统计分析资料", "survey or bought data: attitude, contract performance, competitors"),
    "investment": ("企业投入记录", "when, where, how and at what cost the firm contacted the customer"),
}
#: The three management principles (客户档案管理原则), task 5 §5.2.2, and the crmlab function
#: that puts each into practice.
MANAGEMENT_PRINCIPLES = {
    "centralised": ("集中管理", "one archive for the firm, not per salesperson or department", "consolidate"),
    "dynamic": ("动态管理", "keep updating; credit reports are valid 3 months to 1 year", "credit_status"),
    "classified": ("分类管理", "core vs ordinary customers; cost–benefit of file keeping", "card_types"),
}


# --------------------------------------------------------------------------------------------
# Contacts and decision roles
# --------------------------------------------------------------------------------------------
#: Decision roles of a contact: ``code: (中文, English, aliases)``, the one vocabulary
#: :data:`crmlab.glossary.DECISION_ROLE` (shared with ``crmlab.system``). Codes as in
#: ``datasets.load("contacts")`` (采购 is ``buyer``; ``purchaser`` is accepted); 评估小组 (a member
#: of an evaluation panel — the 8-person group of the task 6 苏州金龙 case).
DECISION_ROLES = glossary.DECISION_ROLE


def decision_role(label) -> str:
    """The role code for a label in English or Chinese.

    >>> from crmlab import archive
    >>> archive.decision_role("决策者"), archive.decision_role("buyer")
    ('decision_maker', 'buyer')
    """
    return DECISION_ROLES.code(label, error=ArchiveError)


def decision_map(contacts: pd.DataFrame, customers: pd.DataFrame | None = None,
                 required: Sequence[str] = ("decision_maker",), customer: str = "customer_id",
                 role: str = "decision_role") -> pd.DataFrame:
    """Per customer: how many contacts in each decision role, and which required roles are missing.

    Task 6's opening case (苏州金龙 lost a 20-bus tender) shows the cost of knowing only a retired
    secretary and a clerk instead of the real decision-makers; task 5's 小本子 case shows the
    value of knowing them. This map is the archive view of that lesson. With ``customers``,
    organisations without any contact are listed too (``n_contacts`` 0).

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> m = archive.decision_map(datasets.load("contacts"))
    >>> m.columns.tolist()[:3]
    ['n_contacts', 'decision_maker', 'buyer']
    >>> int((~m["has_required"]).sum()) >= 0
    True
    """
    _need_columns(contacts, [customer, role], "contacts")
    codes = contacts[role].map(DECISION_ROLES.get)
    bad = codes.isna()
    if bad.any():
        raise ArchiveError("UNKNOWN_ROLE", f"contacts has unknown decision role(s) {_short(contacts.loc[bad, role].unique())}",
                           f"联系人表有未知的决策角色 {_short(contacts.loc[bad, role].unique())}")
    required = [decision_role(r) for r in required]
    table = pd.crosstab(contacts[customer], codes).reindex(columns=list(DECISION_ROLES), fill_value=0)
    if customers is not None:
        _need_columns(customers, [customer], "customers")
        ids = customers[customer]
        if "customer_type" in customers.columns:
            ids = ids[customers["customer_type"].isin(["organisation", "企业客户", "企业", "组织客户"])]
        table = table.reindex(table.index.union(pd.Index(ids.unique())), fill_value=0)
    table.columns.name = None
    table.insert(0, "n_contacts", table.sum(axis=1))
    missing = [[r for r in required if row[r] == 0] for _, row in table.iterrows()]
    table["missing_roles"] = [", ".join(m) for m in missing]
    table["has_required"] = [not m for m in missing]
    table.index.name = customer
    return table


def validate_contacts(contacts: pd.DataFrame, customers: pd.DataFrame | None = None, customer: str = "customer_id",
                      errors: str = "report") -> pd.DataFrame:
    """Check a contacts table: names, decision roles, phones, unique contact ids, known customers.

    Same output as :func:`quality_issues` (one row per problem, English and Chinese), but with
    the rules of a contacts table: many contacts may share a customer, so ``customer_id`` is not
    required to be unique — ``contact_id`` is. With ``customers``, contacts of customers not in
    the archive are flagged (``unknown_customer``). ``errors="raise"`` raises on any problem.

    >>> import pandas as pd
    >>> from crmlab import archive, datasets
    >>> archive.validate_contacts(datasets.load("contacts"), datasets.load("customers")).empty
    True
    >>> bad = pd.DataFrame({"contact_id": ["K1", "K1"], "customer_id": ["C00005", "C99999"], "name": ["李明", ""],
    ...                     "decision_role": ["决策者", "老大"], "phone": ["13800138000", "123"]})
    >>> archive.validate_contacts(bad, datasets.load("customers"))["problem"].tolist()
    ['duplicate_id', 'duplicate_id', 'blank_name', 'unknown_label', 'bad_phone', 'unknown_customer']
    """
    _need_columns(contacts, [customer, "name", "decision_role"], "contacts")
    if errors not in ("raise", "report"):
        raise ArchiveError("BAD_OPTION", "errors must be 'raise' or 'report'", "errors 只能是 'raise' 或 'report'")
    cols = [c for c in ("contact_id", "name", "decision_role", "phone", "birthday") if c in contacts.columns]
    frame = contacts[cols].rename(columns={"contact_id": "customer_id"})    # the id rule: unique, present
    issues = quality_issues(frame)
    issues["column"] = issues["column"].replace({"customer_id": "contact_id"})
    if customers is not None:
        _need_columns(customers, [customer], "customers")
        unknown = ~contacts[customer].isin(customers[customer])
        extra = pd.DataFrame({"row": contacts.index[unknown], "column": customer,
                              "value": contacts.loc[unknown, customer].astype(object).to_numpy(),
                              "problem": "unknown_customer", "en": "customer not in the archive",
                              "zh": "客户不在档案中"})
        issues = pd.concat([issues, extra], ignore_index=True) if len(extra) else issues
    if errors == "raise" and len(issues):
        head = issues.head(5)
        raise ArchiveError("INVALID_CONTACTS", f"{len(issues)} problem(s): " + "; ".join(
            f"row {r.row} {r.column}={r.value!r}: {r.en}" for r in head.itertuples()),
            f"{len(issues)} 个问题：" + "；".join(f"第 {r.row} 行 {r.column}={r.value!r}：{r.zh}" for r in head.itertuples()))
    return issues.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Dynamic management: credit reports (task 5 §5.2.2 2)
# --------------------------------------------------------------------------------------------
#: Task 5 §5.2.2 2 (动态管理): a credit report (资信报告) is valid from 3 months to 1 year; the
#: credit line (授信额度) is normally granted for one year. In days: (90, 365).
CREDIT_VALIDITY_DAYS = (90, 365)

_CREDIT_STATUS_ZH = {"valid": "有效", "review": "待复查", "expired": "过期", "missing": "无资信报告"}


def credit_status(credit: pd.DataFrame, as_of, review_days: int = CREDIT_VALIDITY_DAYS[0],
                  max_days: int = CREDIT_VALIDITY_DAYS[1], customers: pd.DataFrame | None = None,
                  customer: str = "customer_id", date: str = "report_date",
                  valid_until: str | None = "valid_until") -> pd.DataFrame:
    """Flag stale credit reports as of a given date (dynamic management 动态管理).

    Textbook task 5 §5.2.2 2: a credit report is valid **3 months to 1 year**; after that the
    customer must be investigated again. For each customer's latest report:

    * ``expired`` 过期 — older than ``max_days`` (default 365), or past its own ``valid_until``;
    * ``review`` 待复查 — older than ``review_days`` (default 90): inside the book's window, due
      for a check;
    * ``valid`` 有效 — otherwise;
    * ``missing`` 无资信报告 — a customer of ``customers`` with no report at all.

    ``as_of`` is required: the wall clock is never used, so results do not change with the day
    you run them. A report dated after ``as_of`` is an error.

    Parameters
    ----------
    credit : one row per report (``customer_id``, ``report_date``, optional ``valid_until``,
        ``credit_limit``, ``credit_grade`` …); not modified.
    as_of : the date of the check.
    review_days, max_days : the window, in days (0 < review_days ≤ max_days).
    customers : optional; customers without a report are listed as ``missing``.

    Returns
    -------
    DataFrame indexed by customer with the latest report's columns plus ``age_days``, ``status``
    and ``status_zh``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> credit = pd.DataFrame({"customer_id": ["C1", "C1", "C2", "C3"],
    ...                        "report_date": ["2024-01-10", "2025-05-01", "2025-01-15", "2024-03-01"],
    ...                        "credit_limit": [50_000, 80_000, 20_000, 10_000]})
    >>> archive.credit_status(credit, as_of="2025-06-30")[["report_date", "age_days", "status", "status_zh"]]
                report_date  age_days   status status_zh
    customer_id
    C1           2025-05-01        60    valid        有效
    C2           2025-01-15       166   review       待复查
    C3           2024-03-01       486  expired        过期
    """
    as_of = _as_of(as_of)
    _need_columns(credit, [customer, date], "credit")
    if not (0 < review_days <= max_days):
        raise ArchiveError("BAD_WINDOW", f"need 0 < review_days ≤ max_days, got {review_days}, {max_days}",
                           f"需要 0 < review_days ≤ max_days，收到 {review_days}、{max_days}")
    df = credit.copy()
    df[date] = _dates(df[date], date)
    future = df[date] > as_of
    if future.any():
        raise ArchiveError("FUTURE_REPORT", f"{int(future.sum())} credit report(s) are dated after as_of {as_of.date()} "
                           f"(rows {_short(df.index[future])})",
                           f"{int(future.sum())} 份资信报告的日期晚于分析日期 {as_of.date()}（行 {_short(df.index[future])}）")
    has_until = valid_until is not None and valid_until in df.columns
    if has_until:
        df[valid_until] = _dates(df[valid_until], valid_until, allow_missing=True)
    latest = df.sort_values([customer, date], kind="stable").groupby(customer, sort=True).tail(1).set_index(customer)
    age = (as_of - latest[date]).dt.days
    status = np.where(age > max_days, "expired", np.where(age > review_days, "review", "valid"))
    if has_until:
        status = np.where(latest[valid_until].notna() & (latest[valid_until] < as_of), "expired", status)
    latest["age_days"] = age.astype(int)
    latest["status"] = status
    if customers is not None:
        _need_columns(customers, [customer], "customers")
        latest = latest.reindex(latest.index.union(pd.Index(customers[customer].unique())))
        latest["status"] = latest["status"].fillna("missing")
        latest["age_days"] = latest["age_days"].astype("Int64")
    latest["status_zh"] = latest["status"].map(_CREDIT_STATUS_ZH)
    latest.index.name = customer
    return latest.sort_index()


# --------------------------------------------------------------------------------------------
# Card types (task 5 §5.1.3: prospect / current / former customer cards)
# --------------------------------------------------------------------------------------------
#: The three customer data cards (客户资料卡), task 5 §5.1.3 2, with the rule of each. Codes as in
#: ``crmlab.system.models.Customer.card_type``.
CARD_TYPES = pd.DataFrame([
    {"card_type": "prospect", "zh": "潜在客户调查卡", "short_zh": "潜在客户",
     "rule": "no trade yet", "record": "basic personal data; time, place and manner of trading"},
    {"card_type": "current", "zh": "现有客户调查卡", "short_zh": "现有客户",
     "rule": "opened at the first transaction", "record": "basic data plus transactions, continuously supplemented"},
    {"card_type": "former", "zh": "旧客户调查卡", "short_zh": "旧客户",
     "rule": "stopped buying: transferred here, never deleted", "record": "history kept; track the stop reason 停止交易原因"},
]).set_index("card_type")


@computes("card_types", "客户调查卡类别", "prospect / current / former card")
def card_types(customers: pd.DataFrame, orders: pd.DataFrame, as_of, inactive_days: int = 365,
               customer: str = "customer_id", date: str = "order_date", amount: str | None = "amount",
               stop_reason: str = "stop_reason") -> pd.DataFrame:
    """Classify every customer onto the prospect, current or former card (潜在/现有/旧客户调查卡).

    Textbook task 5 §5.1.3 2: a current-customer card is opened at the first transaction; a
    customer who stops buying is transferred to the former-customer card, which keeps the
    history and tracks the reason trading stopped; and §5.1.3 1: customers who stopped trading
    must not be dropped (已经中断交易的客户也不应放弃). The rule, over data up to ``as_of``:

    * ``prospect`` — no order on or before ``as_of``;
    * ``former`` — a stop reason is recorded, or the last order is more than ``inactive_days``
      before ``as_of`` (the 365-day default is crmlab's, not the textbook's; the book gives no
      number). ``needs_stop_reason`` is True when the reason is still blank: go and find out;
    * ``current`` — otherwise.

    Every customer of ``customers`` appears exactly once; none is dropped. Orders after
    ``as_of`` are ignored. Orders of customers that are not in ``customers`` are an error, and
    so are duplicated customer ids (drop exact duplicate rows first).

    Returns
    -------
    DataFrame indexed by customer: ``card_type``, ``card_zh``, ``first_order``, ``last_order``,
    ``n_orders``, ``total_amount`` (if ``amount``), ``stop_reason``, ``needs_stop_reason``.

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> customers = datasets.load("customers").drop_duplicates()
    >>> cards = archive.card_types(customers, datasets.load("orders"), as_of="2025-12-31")
    >>> len(cards) == len(customers)
    True
    >>> sorted(cards["card_type"].unique())
    ['current', 'former', 'prospect']
    """
    as_of = _as_of(as_of)
    _need_columns(customers, [customer], "customers")
    _need_columns(orders, [customer, date] + ([amount] if amount else []), "orders")
    dup = customers[customer].duplicated()
    if dup.any():
        raise ArchiveError("DUPLICATE_ID", f"customers has duplicated ids {_short(customers.loc[dup, customer].unique())}; "
                           "drop exact duplicate rows (or consolidate) first",
                           f"客户表的编号重复：{_short(customers.loc[dup, customer].unique())}；请先去重或合并")
    if inactive_days <= 0:
        raise ArchiveError("BAD_WINDOW", "inactive_days must be positive", "inactive_days 必须为正数")
    od = _dates(orders[date], date)
    keep = od <= as_of
    o = pd.DataFrame({"c": orders[customer][keep], "d": od[keep]})
    if amount:
        o["a"] = _amounts(orders[amount], amount)[keep]
    orphan = ~o["c"].isin(customers[customer])
    if orphan.any():
        raise ArchiveError("UNKNOWN_CUSTOMER", f"orders name customer(s) not in customers: {_short(o.loc[orphan, 'c'].unique())}",
                           f"订单中的客户不在客户表中：{_short(o.loc[orphan, 'c'].unique())}")
    g = o.groupby("c")
    out = pd.DataFrame(index=pd.Index(customers[customer], name=customer))
    out["first_order"] = g["d"].min().reindex(out.index)
    out["last_order"] = g["d"].max().reindex(out.index)
    out["n_orders"] = g.size().reindex(out.index, fill_value=0).astype(int)
    if amount:
        out["total_amount"] = g["a"].sum().reindex(out.index, fill_value=0.0).round(2)
    if stop_reason in customers.columns:
        reason = customers.set_index(customer)[stop_reason]
        reason = reason.where(~_blank_mask(reason))
    else:
        reason = pd.Series(np.nan, index=out.index, dtype=object)
    out["stop_reason"] = reason.to_numpy()
    traded = out["n_orders"] > 0
    lapsed = traded & ((as_of - out["last_order"]).dt.days > inactive_days)
    stopped = traded & out["stop_reason"].notna()
    out["card_type"] = np.where(~traded, "prospect", np.where(lapsed | stopped, "former", "current"))
    out["card_zh"] = out["card_type"].map(CARD_TYPES["zh"])
    out["needs_stop_reason"] = (out["card_type"] == "former") & out["stop_reason"].isna()
    cols = ["card_type", "card_zh", "first_order", "last_order", "n_orders"] + (["total_amount"] if amount else []) \
        + ["stop_reason", "needs_stop_reason"]
    return out[cols]


# --------------------------------------------------------------------------------------------
# Normalisation (集中管理: one customer, one record)
# --------------------------------------------------------------------------------------------
#: The fuzzy-matching backend: ``"rapidfuzz"`` when that package is installed (fast, MIT),
#: else ``"difflib"`` from the standard library. Both give 0–100 similarity on the same scale.
FUZZY_BACKEND = "rapidfuzz" if _Indel is not None else "difflib"

_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
              "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
              "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_PROVINCE_RE = re.compile(r"^(" + "|".join(_PROVINCES) + r")(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?")
_CITY_RE = re.compile(r"^([\u4e00-\u9fff]{2,3}?)市")
_LEGAL_FORM_RE = re.compile(r"(股份有限公司|有限责任公司|有限公司|公司)$")


def _scalar_or_series(func):
    def wrapper(values, *args, **kwargs):
        if isinstance(values, pd.Series):
            return func(values, *args, **kwargs)
        if isinstance(values, (list, tuple, np.ndarray, pd.Index)):
            return func(pd.Series(values, dtype=object), *args, **kwargs).tolist()
        out = func(pd.Series([values], dtype=object), *args, **kwargs).iloc[0]
        if isinstance(out, np.generic):
            out = out.item()
        return None if out is None or (isinstance(out, float) and math.isnan(out)) or out is pd.NA else out
    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = func.__name__, func.__doc__, func
    return wrapper


_WS_RE = re.compile(r"\s+")
_BRACKETS_RE = re.compile(r"[()\[\]{}]")
_NOT_PHONE_RE = re.compile(r"[^\d+]")
_ADDR_PUNCT_RE = re.compile(r"[,.;:()\-_#/\\、，。；：（）]")
_PHONE_RE = r"^(1[3-9]\d{9}|0\d{9,11})$"
_PHONE_RX = re.compile(_PHONE_RE)
_MOBILE86_RX = re.compile(r"^861[3-9]\d{9}$")


def _vmap(values: pd.Series, func) -> pd.Series:
    """Apply a one-value function to a Series, once per distinct value (object result, None = blank)."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = None
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _clean1(x):
    """NFKC (full-width → half-width), all white space removed; None for blanks and non-text."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        x = str(x)
    if not isinstance(x, str):
        return None
    return _WS_RE.sub("", unicodedata.normalize("NFKC", x)) or None


def _text(values: pd.Series) -> pd.Series:
    """:func:`_clean1` over a Series (object dtype, None for blanks)."""
    return _vmap(values, _clean1)


def _name1(x):
    c = _clean1(x)
    return c.upper().replace("有限责任公司", "有限公司") if c else None


def _key1(x):
    n = _name1(x)
    return (_LEGAL_FORM_RE.sub("", _BRACKETS_RE.sub("", n)) or None) if n else None


def _phone1(x):
    c = _clean1(x)
    if not c:
        return None
    digits = _NOT_PHONE_RE.sub("", c)
    national = digits.startswith(("+86", "0086"))
    core = digits[3:] if digits.startswith("+86") else digits[4:] if digits.startswith("0086") else digits
    core = core.replace("+", "")
    if _MOBILE86_RX.match(core):
        core = core[2:]
    if national and core and core[0] not in "01":
        core = "0" + core
    return core or None


def _address1(x):
    a = _clean1(x)
    if not a:
        return None
    a = _ADDR_PUNCT_RE.sub("", a)
    m = _PROVINCE_RE.match(a)
    if m:
        rest = a[m.end():]
        c = _CITY_RE.match(rest)
        if c:
            rest = c.group(1) + rest[c.end():]
        a = m.group(1) + rest
    return a or None


@_scalar_or_series
def normalise_name(values):
    """Normal form of Chinese customer names: comparable text that still reads well.

    Full-width letters, digits and brackets become half-width (Unicode NFKC), all white space
    (including the full-width space U+3000) is removed, Latin letters are upper-cased and the
    legal form 有限责任公司 is written 有限公司 (the two are used interchangeably in records).
    Blank names become missing. Accepts one string or a Series (returns the same kind).

    >>> from crmlab import archive
    >>> archive.normalise_name("  星海 电器（上海）有限责任公司")
    '星海电器(上海)有限公司'
    >>> archive.normalise_name(["ｉｂｍ 中国", "   "])
    ['IBM中国', None]
    """
    return _vmap(values, _name1)


@_scalar_or_series
def name_key(values):
    """Blocking key for names: :func:`normalise_name` without brackets and the legal form.

    >>> from crmlab import archive
    >>> archive.name_key(["星海电器有限公司", "星海电器股份有限公司", "星海电器(上海)公司"])
    ['星海电器', '星海电器', '星海电器上海']
    """
    return _vmap(values, _key1)


@_scalar_or_series
def normalise_phone(values):
    """Phone numbers as plain digits, without +86 / 0086 prefixes or separators.

    Full-width digits become ASCII, spaces, dashes, dots and brackets are removed, and a
    country prefix +86, 0086 or 86 (before an 11-digit mobile) is dropped; a landline written
    after +86 without its trunk 0 gets the 0 back (+86 21 5555 1234 → 02155551234). The result
    is not checked: use :func:`phone_valid`. Blank values become missing.

    >>> from crmlab import archive
    >>> archive.normalise_phone(["+86 138 0013 8000", "0086-13800138000", "１３８００１３８０００",
    ...                          "8613800138000", "(021) 5555-1234", "+86 21 5555 1234", ""])
    ['13800138000', '13800138000', '13800138000', '13800138000', '02155551234', '02155551234', None]
    """
    return _vmap(values, _phone1)


@_scalar_or_series
def phone_valid(values):
    """True for a well-formed Chinese phone number after :func:`normalise_phone`.

    A mobile is 11 digits starting 13–19; a landline is 0 + area code + number (10–12 digits
    in all). Missing numbers are not valid. This checks the form, not that the number exists.

    >>> from crmlab import archive
    >>> archive.phone_valid(["+86 138 0013 8000", "1380013800", "021-55551234", None])
    [True, False, True, False]
    """
    return _vmap(values, lambda x: bool((p := _phone1(x)) and _PHONE_RX.match(p))).astype(bool)


@_scalar_or_series
def normalise_address(values):
    """Comparison form of Chinese addresses: same place, same text.

    NFKC (full-width → half-width digits), white space and punctuation removed, and the
    administrative suffixes dropped from the leading province (省, 市, 自治区 …, for the 34
    province-level names) and from the city that follows it (2–3 characters + 市). So 广东省广州市
    天河区 and 广东广州天河区 give the same key. Meant for matching, not for printing.

    >>> from crmlab import archive
    >>> archive.normalise_address(["广东省 广州市天河区体育西路１０３号", "广东广州天河区体育西路103号",
    ...                            "上海市浦东新区世纪大道100号"])
    ['广东广州天河区体育西路103号', '广东广州天河区体育西路103号', '上海浦东新区世纪大道100号']
    """
    return _vmap(values, _address1)


def similarity(a, b, backend: str | None = None) -> float:
    """Similarity of two strings, 0–100 (100 = identical): 2 × matches / total length.

    With ``rapidfuzz`` installed this is its normalised Indel similarity ×100 (the same number
    as ``rapidfuzz.fuzz.ratio``); otherwise ``difflib.SequenceMatcher(None, a, b).ratio() × 100``
    from the standard library (same formula; difflib's matching blocks can differ slightly on
    long strings). Missing or empty strings give 0.

    >>> from crmlab import archive
    >>> archive.similarity("星海电器", "星海电气")
    75.0
    >>> archive.similarity("星海电器", "星海电气", backend="difflib")
    75.0
    """
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return 0.0
    backend = backend or FUZZY_BACKEND
    if backend == "rapidfuzz":
        if _Indel is None:
            raise ArchiveError("NO_RAPIDFUZZ", "rapidfuzz is not installed; use backend='difflib'",
                               "未安装 rapidfuzz；请用 backend='difflib'")
        return round(_Indel.normalized_similarity(a, b) * 100, 6)
    if backend == "difflib":
        return round(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() * 100, 6)
    raise ArchiveError("BAD_BACKEND", f"backend must be 'rapidfuzz' or 'difflib', got {backend!r}",
                       f"backend 只能是 'rapidfuzz' 或 'difflib'，收到 {backend!r}")


# --------------------------------------------------------------------------------------------
# Data quality: row-level issues and the per-column report
# --------------------------------------------------------------------------------------------
_ISSUE_TEXT = {
    "bad_phone": ("not a valid phone number", "电话号码格式无效"),
    "negative_amount": ("negative amount", "金额为负"),
    "not_a_number": ("not a number", "不是数值"),
    "bad_count": ("not a whole number ≥ 0", "不是非负整数"),
    "bad_date": ("not a date", "不是日期"),
    "future_date": ("date after as_of", "日期晚于分析日期"),
    "bad_year": ("implausible year", "年份不合理"),
    "unknown_label": ("label not in the vocabulary", "取值不在允许范围内"),
    "unknown_customer": ("customer not in the archive", "客户不在档案中"),
    "bad_bool": ("not yes/no", "不是是/否"),
    "duplicate_id": ("duplicated customer number", "客户编号重复"),
    "blank_id": ("blank customer number", "客户编号为空"),
    "blank_name": ("blank name", "名称为空"),
}
_BOOL_LABELS = {True, False, 1, 0, "true", "false", "True", "False", "是", "否", "yes", "no", "Y", "N"}


def _allowed_labels(c: Column):
    if c.code == "source_method":
        return COLLECTION_METHOD
    if c.code == "card_type":
        return glossary.CARD_TYPE
    if c.code == "decision_role":
        return DECISION_ROLES
    if c.code == "customer_stage":
        return set(_STAGE_LABELS)
    return set(c.allowed) if c.allowed else None


# behaviour stages of task 6 §6.1.2 3 (also crmlab.visits.BEHAVIOUR_STAGES)
_STAGE_LABELS = {"rapport", "initial_trust", "reliance", "action", "建立良好关系", "初步信任", "信赖", "行动和帮助"}


def _invalid_mask(values: pd.Series, c: Column, as_of: pd.Timestamp | None) -> tuple[pd.Series, pd.Series]:
    """(checked mask, problem code per row or None) for the non-blank values of one column."""
    blank = _blank_mask(values)
    checked = ~blank
    problem = pd.Series(None, index=values.index, dtype=object)
    v = values[checked]
    if c.kind == "phone":
        ok = phone_valid.__wrapped__(v.astype(object))
        problem[v.index[~ok.to_numpy()]] = "bad_phone"
    elif c.kind in ("amount", "count"):
        num = pd.to_numeric(v, errors="coerce")
        problem[num.index[num.isna()]] = "not_a_number"
        if c.kind == "amount":
            problem[num.index[num < 0]] = "negative_amount"
        else:
            problem[num.index[(num < 0) | (num.notna() & (num % 1 != 0))]] = "bad_count"
    elif c.kind == "date":
        d = v if pd.api.types.is_datetime64_any_dtype(v) else pd.to_datetime(v, errors="coerce", format="mixed")
        problem[d.index[d.isna()]] = "bad_date"
        if as_of is not None:
            problem[d.index[d > as_of]] = "future_date"
    elif c.kind == "year":
        num = pd.to_numeric(v, errors="coerce")
        top = as_of.year if as_of is not None else 2100
        problem[num.index[num.isna() | (num < 1900) | (num > top)]] = "bad_year"
    elif c.kind == "category":
        allowed = _allowed_labels(c)
        if allowed:
            bad = ~v.map(lambda x: (x.strip() if isinstance(x, str) else x) in allowed).astype(bool)
            problem[v.index[bad.to_numpy()]] = "unknown_label"
    elif c.kind == "bool":
        bad = ~v.map(lambda x: x in _BOOL_LABELS if not isinstance(x, float) else x in (0.0, 1.0)).astype(bool)
        problem[v.index[bad.to_numpy()]] = "bad_bool"
    elif c.kind == "id":
        problem[v.index[v.duplicated(keep=False).to_numpy()]] = "duplicate_id"
    return checked, problem


def quality_issues(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Every invalid cell of an archive frame, one row per problem, with a bilingual message.

    Columns are recognised through the catalogue (:func:`column_catalogue`, by code, Chinese
    name or alias) and checked by kind: phone numbers must be well formed (:func:`phone_valid`),
    amounts numeric and ≥ 0, counts whole numbers ≥ 0, dates readable (and not after ``as_of``
    when given), labels in the vocabulary, customer numbers unique and present. Columns not in
    the catalogue are not checked. Nothing is changed or dropped: this only reports.

    Returns
    -------
    DataFrame with ``row`` (index label), ``column``, ``value``, ``problem`` (code), ``en``, ``zh``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"customer_id": ["C1", "C2", "C2"], "phone": ["13800138000", "12345", None],
    ...                    "credit_limit": [1000, -50, 200]})
    >>> archive.quality_issues(df)[["row", "column", "value", "problem", "zh"]]
       row        column value          problem        zh
    0    1   customer_id    C2     duplicate_id    客户编号重复
    1    2   customer_id    C2     duplicate_id    客户编号重复
    2    1         phone 12345        bad_phone  电话号码格式无效
    3    1  credit_limit   -50  negative_amount      金额为负
    """
    _need_frame(df, "df")
    as_of = _as_of(as_of) if as_of is not None else None
    rows = []
    for col in df.columns:
        c = _catalogue_entry(col)
        if c is None:
            continue
        values = df[col]
        _, problem = _invalid_mask(values, c, as_of)
        if c.kind == "id":
            blank = _blank_mask(values)
            problem[blank] = "blank_id"
        if c.code == "name":
            problem[_blank_mask(values)] = "blank_name"
        for idx, code in problem.dropna().items():
            en, zh = _ISSUE_TEXT[code]
            rows.append({"row": idx, "column": col, "value": values.at[idx] if values.index.is_unique else None,
                         "problem": code, "en": en, "zh": zh})
    out = pd.DataFrame(rows, columns=["row", "column", "value", "problem", "en", "zh"])
    return out.astype({"value": object})


@computes("completeness", "档案资料完整度", "completeness of the archive")
def quality_report(df: pd.DataFrame, as_of=None, updated: str | None = None, fresh_days: int = 365) -> pd.DataFrame:
    """Data-quality report per column: completeness, validity and freshness.

    * ``completeness`` = non-blank cells / rows;
    * ``validity`` = valid / checked non-blank cells, by the column's kind in the catalogue
      (see :func:`quality_issues`); NaN for columns with no rule;
    * ``freshness`` = share of non-blank cells whose record was updated within ``fresh_days``
      before ``as_of``, the record date being the column ``updated`` (e.g. ``recorded_at``);
      NaN without ``updated`` or ``as_of``. The 365-day default follows the textbook's longest
      validity of a credit report (task 5 §5.2.2 2: 3 months to 1 year; applying it to every
      field is crmlab's choice). Records dated after ``as_of`` count as invalid, not fresh.

    Nothing is changed: invalid values are flagged here, never fixed or dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"name": ["甲", "乙", None, "丁"], "phone": ["13800138000", "+86 139 0000 0000", "123", None],
    ...                    "recorded_at": ["2025-06-01", "2023-01-01", "2025-05-01", "2025-01-01"]})
    >>> archive.quality_report(df, as_of="2025-06-30", updated="recorded_at")[
    ...     ["level", "completeness", "validity", "freshness"]]
                 level  completeness  validity  freshness
    column
    name             1          0.75       NaN   0.666667
    phone            1          0.75  0.666667   0.666667
    recorded_at      3          1.00  1.000000   0.750000
    """
    _need_frame(df, "df")
    as_of_ts = _as_of(as_of) if as_of is not None else None
    if fresh_days <= 0:
        raise ArchiveError("BAD_WINDOW", "fresh_days must be positive", "fresh_days 必须为正数")
    recent = None
    if updated is not None:
        _need_columns(df, [updated], "df")
        if as_of_ts is not None:
            rec = pd.to_datetime(df[updated], errors="coerce", format="mixed")
            recent = (rec <= as_of_ts) & (rec > as_of_ts - pd.Timedelta(days=fresh_days))
    n = len(df)
    rows = []
    for col in df.columns:
        c = _catalogue_entry(col)
        values = df[col]
        blank = _blank_mask(values)
        filled = int((~blank).sum())
        invalid = checked = 0
        validity = np.nan
        if c is not None and c.kind not in ("text",):
            checked_mask, problem = _invalid_mask(values, c, as_of_ts)
            checked = int(checked_mask.sum())
            invalid = int(problem.notna().sum())
            validity = (checked - invalid) / checked if checked else np.nan
        fresh = np.nan
        if recent is not None and filled:
            fresh = float((recent & ~blank).sum() / filled)
        rows.append({"column": col, "level": c.level if c else 0, "kind": c.kind if c else None, "n": n,
                     "filled": filled, "completeness": filled / n if n else np.nan, "checked": checked,
                     "invalid": invalid, "validity": validity, "freshness": fresh})
    return pd.DataFrame(rows).set_index("column")


def validate_archive(df: pd.DataFrame, level: int | Sequence[int] = 1, as_of=None,
                     errors: str = "raise") -> pd.DataFrame:
    """Check an archive frame against the catalogue; raise (or report) every problem.

    Checks: the columns a level requires are present (level 1: ``customer_id`` and ``name``;
    crmlab's minimum), and every recognised column passes :func:`quality_issues`. With
    ``errors="raise"`` (default) any problem raises :class:`ArchiveError` listing the first
    problems in English and Chinese; with ``errors="report"`` the issues frame is returned.
    The frame is never modified.

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> customers = datasets.load("customers")
    >>> archive.validate_archive(customers, errors="report")["problem"].value_counts().to_dict()
    {'duplicate_id': 24}
    >>> archive.validate_archive(customers.drop_duplicates()).empty
    True
    """
    _need_frame(df, "df")
    if errors not in ("raise", "report"):
        raise ArchiveError("BAD_OPTION", "errors must be 'raise' or 'report'", "errors 只能是 'raise' 或 'report'")
    levels = [level] if isinstance(level, int) else list(level)
    for lv in levels:
        if lv not in LEVELS:
            raise ArchiveError("BAD_LEVEL", f"level must be 1, 2 or 3, got {lv!r}", f"级别只能是 1、2 或 3，收到 {lv!r}")
    present = {c.code for c in (_catalogue_entry(col) for col in df.columns) if c is not None}
    required = {1: ["customer_id", "name"], 2: [], 3: []}
    missing = [r for lv in levels for r in required[lv] if r not in present]
    if missing:
        raise ArchiveError("MISSING_COLUMN", f"the archive lacks required column(s) {missing}",
                           f"档案缺少必需列 {[_COLUMN_BY_LABEL[m].zh for m in missing]}")
    issues = quality_issues(df, as_of=as_of)
    if errors == "raise" and len(issues):
        head = issues.head(5)
        en = "; ".join(f"row {r.row} {r.column}={r.value!r}: {r.en}" for r in head.itertuples())
        zh = "；".join(f"第 {r.row} 行 {r.column}={r.value!r}：{r.zh}" for r in head.itertuples())
        more = f" (+{len(issues) - 5} more)" if len(issues) > 5 else ""
        raise ArchiveError("INVALID_ARCHIVE", f"{len(issues)} invalid value(s): {en}{more}",
                           f"{len(issues)} 个无效值：{zh}{more}")
    return issues


# --------------------------------------------------------------------------------------------
# Duplicate detection and merging (集中管理, task 5 §5.2.2 1)
# --------------------------------------------------------------------------------------------
#: The match rules of :func:`find_duplicates` (crmlab defaults, not the textbook's: the book asks
#: for central management but gives no matching method). Two records are the same customer
#: when one rule holds; duplicates of duplicates join one cluster.
MATCH_RULES = pd.DataFrame([
    {"rule": "phone+name", "en": "same valid phone and names at least half alike (name_sim ≥ phone_name_min, 50)",
     "zh": "电话相同（有效号码）且名称至少一半相同"},
    {"rule": "name+address", "en": "names alike (≥ name_min, 85) and addresses alike (≥ address_min, 85)",
     "zh": "名称相似且地址相似"},
    {"rule": "company_name", "en": "same company name (legal form ignored) in the same city, and no two different valid phones",
     "zh": "同一城市内企业名称相同（忽略公司类型），且没有两个不同的有效电话"},
]).set_index("rule")
__all__ += ["MATCH_RULES"]

_ORG_RE = re.compile(r"(公司|集团|厂|医院|学校|大学|学院|中心|商行|酒店|宾馆|研究所|局|店)")


def _block_pairs(keys: np.ndarray, max_block: int) -> tuple[np.ndarray, np.ndarray, int]:
    """All (i < j) position pairs sharing a non-missing key; blocks above max_block are skipped."""
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    ok = codes >= 0
    if not ok.any():
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    counts = np.bincount(codes[ok])
    skipped = int((counts > max_block).sum())
    good = (counts >= 2) & (counts <= max_block)
    pos = np.flatnonzero(ok & good[np.where(ok, codes, 0)])
    if not len(pos):
        return np.empty(0, np.int64), np.empty(0, np.int64), skipped
    c = codes[pos]
    order = np.argsort(c, kind="stable")
    pos, c = pos[order], c[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sizes = np.diff(np.r_[starts, len(c)])
    lefts, rights = [], []
    for k in np.unique(sizes):
        st = starts[sizes == k]
        groups = pos[st[:, None] + np.arange(k)[None, :]]
        i, j = np.triu_indices(k, 1)
        lefts.append(groups[:, i].ravel())
        rights.append(groups[:, j].ravel())
    return np.concatenate(lefts), np.concatenate(rights), skipped


def _sims(a: np.ndarray, b: np.ndarray, backend: str) -> np.ndarray:
    if backend == "rapidfuzz" and _Indel is not None:
        f = _Indel.normalized_similarity
        return np.fromiter(((f(x, y) * 100 if isinstance(x, str) and isinstance(y, str) else 0.0)
                            for x, y in zip(a, b)), float, len(a)).round(6)
    return np.fromiter((similarity(x, y, backend) for x, y in zip(a, b)), float, len(a))


def _keys(df, name, phone, address, city):
    n = len(df)
    nm = np.asarray(normalise_name.__wrapped__(df[name].astype(object)), dtype=object)
    nk = np.asarray(name_key.__wrapped__(df[name].astype(object)), dtype=object)
    if phone:
        ph = np.asarray(normalise_phone.__wrapped__(df[phone].astype(object)), dtype=object)
        pv = np.array([bool(p and _PHONE_RX.match(p)) for p in ph], dtype=bool)
    else:
        ph, pv = np.full(n, None, dtype=object), np.zeros(n, bool)
    ad = (np.asarray(normalise_address.__wrapped__(df[address].astype(object)), dtype=object)
          if address else np.full(n, None, dtype=object))
    ct = (np.asarray(_text(df[city].astype(object)).str.replace(r"市$", "", regex=True).astype(object), dtype=object)
          if city else np.full(n, "", dtype=object))
    ct = np.where(pd.isna(ct), "", ct).astype(object)
    return nm, nk, ph, pv, ad, ct


def find_duplicates(df: pd.DataFrame, name: str = "name", phone: str | None = "phone",
                    address: str | None = "address", city: str | None = None, name_min: float = 85,
                    address_min: float = 85, phone_name_min: float = 50, max_block: int = 200,
                    backend: str | None = None) -> pd.DataFrame:
    """Candidate duplicate pairs, with similarities and the rule that matched (if any).

    Centralised management (集中管理, textbook task 5 §5.2.2 1) starts by finding the same
    customer recorded by several salespeople or departments. Comparing every pair is O(n²), so
    records are first **blocked**: only records sharing a key are compared — the normalised
    phone (valid numbers only), the name key (:func:`name_key`) within a city, or the normalised
    address. Within blocks each pair gets

    * ``same_phone`` — both numbers valid and equal after :func:`normalise_phone`;
    * ``name_sim`` — :func:`similarity` of the name keys (0–100);
    * ``address_sim`` — :func:`similarity` of :func:`normalise_address` (0 if one is missing);

    and the rules of :data:`MATCH_RULES` decide (crmlab defaults, not the textbook's). Fuzzy
    scores use rapidfuzz when installed, else difflib (``backend`` forces one). Blocks larger
    than ``max_block`` (a placeholder phone shared by hundreds of rows, say) are skipped and
    counted in ``.attrs["skipped_blocks"]``.

    Parameters
    ----------
    df : the records; not modified. Its index labels name the rows in the result.
    name, phone, address, city : column names (``phone``, ``address``, ``city`` may be None).

    Returns
    -------
    DataFrame, one row per candidate pair: ``left``, ``right`` (index labels, left first in the
    frame), ``same_phone``, ``name_sim``, ``address_sim``, ``rule`` ("" when no rule holds) and
    ``match``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"name": ["星海电器有限公司", "星海电器有限责任公司", "王伟", "王玮", "王伟"],
    ...                    "phone": ["020-8888 1234", "+86 20 88881234", "13800138000", "138 0013 8000", "13900000000"],
    ...                    "address": ["广东省广州市天河区中山路1号", None, "广州天河区建设路8号", None, "北京朝阳区光明路3号"]})
    >>> archive.find_duplicates(df)
       left  right  same_phone  name_sim  address_sim        rule  match
    0     0      1        True     100.0          0.0  phone+name   True
    1     2      3        True      50.0          0.0  phone+name   True
    2     2      4       False     100.0         30.0              False
    """
    _need_columns(df, [name, phone, address, city], "df")
    backend = backend or FUZZY_BACKEND
    if backend not in ("rapidfuzz", "difflib"):
        similarity("a", "a", backend)  # raises the bilingual error
    if max_block < 2:
        raise ArchiveError("BAD_OPTION", "max_block must be at least 2", "max_block 至少为 2")
    n = len(df)
    nm, nk, ph, pv, ad, ct = _keys(df, name, phone, address, city)
    block_name = np.array([None if k is None else f"{c}|{k}" for k, c in zip(nk, ct)], dtype=object)
    keysets = [np.where(pv, ph, None), block_name, ad]
    left, right, skipped = [], [], 0
    for keys in keysets:
        lft, rgt, sk = _block_pairs(keys, max_block)
        left.append(lft)
        right.append(rgt)
        skipped += sk
    code = np.unique(np.concatenate(left) * np.int64(max(n, 1)) + np.concatenate(right))
    li, ri = code // max(n, 1), code % max(n, 1)
    nkey = np.where(pd.isna(nk), nm, nk)
    same_phone = pv[li] & pv[ri] & (ph[li] == ph[ri])
    name_sim = _sims(nkey[li], nkey[ri], backend)
    addr_sim = _sims(ad[li], ad[ri], backend)
    both_phones_differ = pv[li] & pv[ri] & (ph[li] != ph[ri])
    is_org = np.array([bool(_ORG_RE.search(x)) if isinstance(x, str) else False for x in nm], dtype=bool)
    same_company = ((nk[li] == nk[ri]) & (ct[li] == ct[ri]) & is_org[li] & is_org[ri] & ~both_phones_differ
                    & np.array([isinstance(x, str) and len(x) >= 4 for x in nk[li]], dtype=bool))
    r1 = same_phone & (name_sim >= phone_name_min)
    r2 = (name_sim >= name_min) & (addr_sim >= address_min)
    rule = np.where(r1, "phone+name", np.where(r2, "name+address", np.where(same_company, "company_name", "")))
    labels = df.index.to_numpy()
    out = pd.DataFrame({"left": labels[li], "right": labels[ri], "same_phone": same_phone, "name_sim": name_sim,
                        "address_sim": addr_sim, "rule": rule, "match": rule != ""})
    out.attrs["skipped_blocks"] = skipped
    out.attrs["n_records"] = n
    return out


def cluster_ids(pairs: pd.DataFrame, index) -> pd.Series:
    """Cluster number of every row: rows linked by matched pairs (directly or through others).

    Connected components of the match graph (``scipy.sparse.csgraph``), numbered 0, 1, … in the
    order of each cluster's first row; unmatched rows are clusters of one.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> pairs = pd.DataFrame({"left": ["a", "c"], "right": ["b", "d"], "match": [True, True]})
    >>> archive.cluster_ids(pairs, ["a", "b", "c", "d", "e"]).tolist()
    [0, 0, 1, 1, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = pd.Index(index)
    if not index.is_unique:
        raise ArchiveError("DUPLICATE_INDEX", "the row labels must be unique", "行标签必须唯一")
    m = pairs[pairs["match"]] if "match" in pairs.columns else pairs
    li, ri = index.get_indexer(m["left"]), index.get_indexer(m["right"])
    if (li < 0).any() or (ri < 0).any():
        raise ArchiveError("UNKNOWN_ROW", "pairs name rows that are not in the index", "配对中的行不在索引中")
    n = len(index)
    graph = coo_matrix((np.ones(len(li)), (li, ri)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # renumber by first appearance
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return pd.Series(rank[labels], index=index, name="cluster")


def _join_by(groups: np.ndarray, texts: np.ndarray, sep: str) -> pd.Series:
    """Join texts per group; ``groups`` must already be contiguous (sorted by group)."""
    if not len(groups):
        return pd.Series(dtype=object)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    ends = np.r_[starts[1:], len(groups)]
    return pd.Series([sep.join(texts[a:b]) for a, b in zip(starts, ends)], index=groups[starts], dtype=object)


@dataclass
class Consolidation:
    """Result of :func:`consolidate`.

    * ``records`` — one row per customer (kept records, blanks filled from merged ones), with
      ``cluster``, ``n_records`` and ``merged_ids``;
    * ``members`` — one row per input row: ``cluster``, ``status`` (``kept``/``merged``) and
      ``kept_as`` (the id of the record it now lives in). ``kept`` + ``merged`` = input rows;
    * ``audit`` — one row per cluster and field where the records disagreed or the kept record
      was blank: which value was kept, from which record, why, and the values not kept;
    * ``pairs`` — the candidate pairs of :func:`find_duplicates`.
    """
    records: pd.DataFrame
    members: pd.DataFrame
    audit: pd.DataFrame
    pairs: pd.DataFrame

    def summary(self) -> pd.Series:
        """Counts: input rows, kept records, merged rows, clusters with conflicts.

        >>> from crmlab import archive
        >>> recs, _ = archive.scattered_records(n_customers=30, seed=2)
        >>> s = archive.consolidate(recs, id_col="record_id", city="city").summary()
        >>> int(s["kept"] + s["merged"]) == int(s["input_rows"])
        True
        """
        st = self.members["status"]
        return pd.Series({"input_rows": len(self.members), "kept": int((st == "kept").sum()),
                          "merged": int((st == "merged").sum()),
                          "clusters_merged": int((self.records["n_records"] > 1).sum()),
                          "fields_in_conflict": int((self.audit["action"] == "conflict").sum()),
                          "dates_differing": int((self.audit["action"] == "latest").sum()),
                          "fields_filled": int((self.audit["action"] == "filled").sum())})


_REASONS = {
    "conflict": ("records disagree; kept the value most records share (a tie goes to the most complete, then most recent record)",
                 "各记录取值不同；保留多数记录相同的值（票数相同时取信息最完整、其次最新的记录的值）"),
    "filled": ("the kept record was blank here; filled with the value the other records give",
               "主记录此项为空；用其他记录给出的值补全"),
    "latest": ("record dates differ; kept the latest", "记录日期不同；保留最新日期"),
}


def consolidate(df: pd.DataFrame, id_col: str | None = None, name: str = "name", phone: str | None = "phone",
                address: str | None = "address", city: str | None = None, date: str | None = None,
                **match_options) -> Consolidation:
    """Merge records of the same customer into one archive, with an audit of every choice.

    Centralised management (集中管理, textbook task 5 §5.2.2 1): customer files held by single
    salespeople or departments leave with them; the remedy is one archive for the firm. Steps:

    1. :func:`find_duplicates` (blocking + exact and fuzzy rules) and :func:`cluster_ids`;
    2. in each cluster, **keep** the most complete record (most non-blank fields), ties broken
       by the most recent ``date`` and then by input order; the others are **merged** into it;
    3. field by field, the value most records share wins (majority vote after normalisation; a
       tie goes to the kept record, then the next most complete and recent one), so a blank in
       the kept record is filled from the others; the record date ``date`` keeps the latest.
       Every field where records disagreed or a blank was filled is listed in ``audit`` with the
       values not kept — nothing is silently lost;
    4. names and phones of the result are in normal form (:func:`normalise_name`,
       :func:`normalise_phone`); addresses are only cleaned of spaces and full-width characters.

    Invalid values (bad phones, negative amounts) are not fixed here: they do not take part in
    matching and are reported by :func:`quality_report`. The input is never modified.

    Parameters
    ----------
    df : the scattered records.
    id_col : record-id column (must be unique); default the index labels.
    name, phone, address, city : columns used for matching (see :func:`find_duplicates`).
    date : optional record date used to break ties (most recent wins).
    match_options : passed to :func:`find_duplicates` (``name_min``, ``backend`` …).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"record_id": ["R1", "R2", "R3"],
    ...                    "name": ["星海电器有限公司", "星海 电器有限责任公司", "王伟"],
    ...                    "phone": ["020-88881234", "+86 20 8888 1234", "13800138000"],
    ...                    "address": ["广州天河区中山路1号", None, "广州天河区建设路8号"],
    ...                    "credit_limit": [50_000, 80_000, None]})
    >>> res = archive.consolidate(df, id_col="record_id")
    >>> res.records[["name", "phone", "address", "credit_limit", "merged_ids"]]
                       name        phone     address  credit_limit merged_ids
    record_id
    R1         星海电器有限公司  02088881234  广州天河区中山路1号       50000.0     R1, R2
    R3                   王伟  13800138000  广州天河区建设路8号           NaN         R3
    >>> res.members["status"].tolist()
    ['kept', 'merged', 'kept']
    >>> res.audit[["field", "kept_value", "kept_from", "action", "not_kept"]]
              field  kept_value kept_from    action     not_kept
    0  credit_limit     50000.0        R1  conflict  R2: 80000.0
    """
    _need_columns(df, [id_col, name, phone, address, city, date], "df")
    n = len(df)
    ids = pd.Index(df[id_col] if id_col else df.index, name=id_col or "row")
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique()
        raise ArchiveError("DUPLICATE_ID", f"record ids must be unique; repeated: {_short(dup)}",
                           f"记录编号必须唯一；重复的有：{_short(dup)}")
    work = df.reset_index(drop=True)
    pairs = find_duplicates(work, name=name, phone=phone, address=address, city=city, **match_options)
    cl = cluster_ids(pairs, work.index).to_numpy()
    pairs = pairs.assign(left=ids.to_numpy()[pairs["left"].to_numpy()], right=ids.to_numpy()[pairs["right"].to_numpy()])

    fields = [c for c in work.columns if c != id_col]
    # output values (normal forms for name/phone, cleaned text for address) and comparison keys
    out = work[fields].copy()
    cmp = {}
    for c in fields:
        col = work[c]
        if c == name:
            out[c] = pd.Series(normalise_name.__wrapped__(col.astype(object)), index=col.index, dtype=object)
            cmp[c] = pd.Series(name_key.__wrapped__(col.astype(object)), index=col.index, dtype=object)
        elif c == phone:
            out[c] = pd.Series(normalise_phone.__wrapped__(col.astype(object)), index=col.index, dtype=object)
            cmp[c] = out[c]
        elif c == address:
            cleaned = _text(col.astype(object))
            out[c] = cleaned.astype(object).where(cleaned.notna(), None)
            cmp[c] = normalise_address.__wrapped__(col.astype(object))
        elif col.dtype == object or pd.api.types.is_string_dtype(col):
            t = _text(col.astype(object))
            cmp[c] = t.astype(object).where(t.notna(), None)
        else:
            cmp[c] = col.where(col.notna(), None).astype(object)
    blank = pd.DataFrame({c: pd.isna(cmp[c]).to_numpy() for c in fields})
    completeness = (~blank).sum(axis=1).to_numpy()
    recency = (pd.to_datetime(work[date], errors="coerce", format="mixed").to_numpy(dtype="datetime64[ns]")
               .astype(np.int64) if date else np.zeros(n, np.int64))
    if date:
        recency = np.where(pd.isna(pd.to_datetime(work[date], errors="coerce", format="mixed")), np.iinfo(np.int64).min, recency)
    order = np.lexsort((np.arange(n), -recency.astype(np.float64), -completeness, cl))
    rank_in_cluster = np.empty(n, np.int64)
    sorted_cl = cl[order]
    starts = np.r_[0, np.flatnonzero(sorted_cl[1:] != sorted_cl[:-1]) + 1]
    rank_in_cluster[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    size = np.bincount(cl)[cl]
    survivor_pos = order[starts]                     # one per cluster, cluster order
    surv_of_cluster = np.empty(len(starts), np.int64)
    surv_of_cluster[sorted_cl[starts]] = survivor_pos

    records = out.iloc[surv_of_cluster].copy()
    audit_rows = []
    multi = np.flatnonzero(size > 1)
    if len(multi):
        sub_order = order[np.isin(order, multi)]     # multi-member rows, survivor first per cluster
        sub_cl = cl[sub_order]
        sid = ids.to_numpy()
        for c in fields:
            key = cmp[c].to_numpy()[sub_order]
            g = pd.DataFrame({"cl": sub_cl, "key": key, "val": out[c].to_numpy()[sub_order],
                              "id": sid[sub_order], "blank": pd.isna(key)})
            nonblank = g[~g["blank"]]
            if nonblank.empty:
                continue
            grouped = nonblank.groupby("cl", sort=False)
            if c == date:   # the record date: keep the latest
                firsts = nonblank.sort_values(["cl", "key"], ascending=[True, False], kind="stable")
                firsts = firsts.groupby("cl", sort=False).head(1).set_index("cl")
            else:           # majority vote; a tie goes to the earliest row (the kept record first)
                votes = nonblank.assign(pos=np.arange(len(nonblank))).groupby(["cl", "key"], sort=False)["pos"]
                votes = votes.agg(["size", "min"]).reset_index()
                votes = votes.sort_values(["cl", "size", "min"], ascending=[True, False, True], kind="stable")
                firsts = nonblank.iloc[votes.groupby("cl", sort=False).head(1)["min"].to_numpy()].set_index("cl")
            nuniq = grouped["key"].nunique()
            surv_blank = g.groupby("cl", sort=False)["blank"].first()
            fill = surv_blank.index[surv_blank.to_numpy()].intersection(firsts.index)
            conflict = nuniq.index[(nuniq > 1).to_numpy()]
            targets = fill.union(conflict)
            if not len(targets):
                continue
            kept = firsts.loc[targets]
            cand = nonblank[nonblank["cl"].isin(targets)]
            cand = cand[cand["key"].to_numpy() != kept["key"].reindex(cand["cl"]).to_numpy()]
            not_kept = _join_by(cand["cl"].to_numpy(), (cand["id"].astype(str) + ": " + cand["val"].astype(str)).to_numpy(), "; ")
            action = np.where(targets.isin(conflict), "latest" if c == date else "conflict", "filled")
            audit_rows.append(pd.DataFrame({
                "cluster": targets.astype(np.int64), "kept_as": sid[surv_of_cluster[targets.to_numpy(dtype=np.int64)]],
                "field": c, "kept_value": kept["val"].to_numpy(), "kept_from": kept["id"].to_numpy(),
                "action": action, "not_kept": not_kept.reindex(targets).fillna("").to_numpy(),
                "reason_en": [_REASONS[a][0] for a in action], "reason_zh": [_REASONS[a][1] for a in action]}))
            records.iloc[targets.to_numpy(dtype=np.int64), records.columns.get_loc(c)] = kept["val"].to_numpy()
    members_ids = ids.to_numpy()
    kept_as = members_ids[surv_of_cluster[cl]]
    members = pd.DataFrame({"cluster": cl, "status": np.where(rank_in_cluster == 0, "kept", "merged"),
                            "kept_as": kept_as, "n_in_cluster": size}, index=ids)
    merged_ids = _join_by(cl[order], members_ids[order].astype(str), ", ")
    records.index = pd.Index(members_ids[surv_of_cluster], name=ids.name)
    records.insert(0, "cluster", np.arange(len(starts)))
    records["n_records"] = np.bincount(cl)
    records["merged_ids"] = merged_ids.to_numpy()
    audit_cols = ["cluster", "kept_as", "field", "kept_value", "kept_from", "action", "not_kept", "reason_en",
                  "reason_zh"]
    audit = pd.concat(audit_rows, ignore_index=True)[audit_cols] if audit_rows else pd.DataFrame(columns=audit_cols)
    audit = audit.sort_values(["cluster", "field"], kind="stable").reset_index(drop=True)
    if len(records) + int((members["status"] == "merged").sum()) != n:  # pragma: no cover - invariant
        raise AssertionError("merged + kept != input")
    return Consolidation(records=records, members=members, audit=audit, pairs=pairs)


@computes("pair_scores", "合并质量（配对精确率、召回率）", "pairwise precision and recall of a merge")
def dedup_scores(predicted, truth) -> pd.Series:
    """Pairwise precision, recall and F1 of a deduplication against the ground truth.

    A pair of rows is *predicted* a duplicate when both rows have the same predicted cluster, and
    *truly* one when both have the same true entity. precision = correct pairs / predicted pairs,
    recall = correct pairs / true pairs (the standard pairwise measures of record linkage;
    Christen 2012, *Data Matching*, §7.3). Both inputs are Series over the same row labels.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> truth = pd.Series(["e1", "e1", "e1", "e2", "e3"])
    >>> pred = pd.Series([0, 0, 1, 2, 2])
    >>> archive.dedup_scores(pred, truth).round(3).to_dict()
    {'precision': 0.5, 'recall': 0.333, 'f1': 0.4, 'true_pairs': 3.0, 'predicted_pairs': 2.0, 'correct_pairs': 1.0}
    """
    predicted, truth = pd.Series(predicted), pd.Series(truth)
    if not predicted.index.equals(truth.index):
        if set(predicted.index) != set(truth.index):
            raise ArchiveError("MISALIGNED", "predicted and truth must cover the same rows",
                               "预测结果与真实标签必须覆盖相同的行")
        truth = truth.reindex(predicted.index)

    def pairs(sizes):
        sizes = np.asarray(sizes, dtype=np.int64)
        return float((sizes * (sizes - 1) // 2).sum())

    both = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    pp, tp = pairs(both.groupby("p").size()), pairs(both.groupby("t").size())
    cp = pairs(both.groupby(["p", "t"]).size())
    precision = cp / pp if pp else 1.0
    recall = cp / tp if tp else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return pd.Series({"precision": precision, "recall": recall, "f1": f1, "true_pairs": tp,
                      "predicted_pairs": pp, "correct_pairs": cp})


# --------------------------------------------------------------------------------------------
# A seeded messy table: the same customers recorded by several salespeople
# --------------------------------------------------------------------------------------------
# 无锡中原 (task 7 拓展): two sales regions, 华南 (head office 上海, an office per province) and
# 北方; each salesperson covers two prefecture-level areas. (province, city, area code)
_TERRITORIES = {
    "华南": [("上海", "上海", "021"), ("上海", "上海", "021"), ("广东", "广州", "020"), ("广东", "深圳", "0755"),
           ("广东", "佛山", "0757"), ("广东", "东莞", "0769"), ("福建", "福州", "0591"), ("福建", "厦门", "0592"),
           ("广西", "南宁", "0771"), ("广西", "桂林", "0773"), ("湖南", "长沙", "0731"), ("湖南", "株洲", "0733")],
    "北方": [("北京", "北京", "010"), ("天津", "天津", "022"), ("河北", "石家庄", "0311"), ("河北", "唐山", "0315"),
           ("山东", "济南", "0531"), ("山东", "青岛", "0532"), ("辽宁", "沈阳", "024"), ("辽宁", "大连", "0411")],
}
_MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}
_PROVINCE_SUFFIX = {"广西": "壮族自治区"}
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏宇浩凯婷雪琳晨欣博俊峰亮斌波宁龙海燕")
_BRAND = list("星海华辰鑫达恒通宏远天成金桥万源瑞丰长城东方新亚博雅嘉禾永盛汇中联安泰德隆富康宁锦程纳航佳美润发鸿运兴业昌盈信和光明立创")
_TRADES = ["电器", "科技", "贸易", "机电", "医疗器械", "建材", "食品", "物流", "商贸", "电子", "实业", "酒店"]
_DISTRICTS = ["城东", "城西", "城南", "城北", "高新", "开发", "新城", "老城"]
_STREETS = ["中山", "解放", "人民", "建设", "新华", "和平", "胜利", "长安", "朝阳", "青年", "文化", "光明", "东风",
            "幸福", "迎宾"]
_TYPOS = dict(zip("伟芳娜敏静丽磊军洋勇艳杰娟涛明超霞平华红建文辉宇浩婷琳欣俊峰亮斌波器达通远源丰盛泰隆康程航运业昌信创",
                  "玮方那民靖莉雷君阳永燕洁鹃滔铭潮侠萍化虹健雯晖雨皓亭林新骏锋靓彬博气大同原园风胜太龙糠成行韵叶常心闯"))
_FW = str.maketrans("0123456789", "０１２３４５６７８９")


def _typo(text: str, rng) -> str:
    spots = [i for i, ch in enumerate(text) if ch in _TYPOS]
    if not spots:
        return text
    i = spots[int(rng.integers(len(spots)))]
    return text[:i] + _TYPOS[text[i]] + text[i + 1:]


def _mess_phone(p: str, kind: str, area: str, rng) -> str | None:
    u = rng.random()
    if u < 0.08:
        return None
    if u < 0.11:                                     # a wrong digit: another valid-looking number
        i = int(rng.integers(3, len(p)))
        return p[:i] + str((int(p[i]) + 1 + int(rng.integers(8))) % 10) + p[i + 1:]
    if u < 0.13:                                     # a digit dropped: invalid
        return p[:-1]
    if kind == "mobile":
        styles = [p, f"{p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"+86 {p}", f"0086-{p}",
                  f"+86 {p[:3]} {p[3:7]} {p[7:]}", p.translate(_FW), f"86{p}"]
    else:
        local = p[len(area):]
        styles = [p, f"{area}-{local}", f"({area}){local[:4]}-{local[4:]}", f"+86 {area[1:]} {local}",
                  f"0086 {area[1:]}-{local}", p.translate(_FW)]
    return styles[int(rng.integers(len(styles)))]


def _mess_address(parts: tuple, rng) -> str | None:
    prov, city, district, street, num = parts
    if rng.random() < 0.08:
        return None
    keep_prov_suffix, keep_city_suffix = rng.random() < 0.6, rng.random() < 0.6
    if city in _MUNICIPALITIES:
        head = city + ("市" if keep_city_suffix else "")
    else:
        suffix = _PROVINCE_SUFFIX.get(prov, "省")
        head = prov + (suffix if keep_prov_suffix else "") + city + ("市" if keep_city_suffix else "")
    num_text = str(num).translate(_FW) if rng.random() < 0.15 else str(num)
    sep = " " if rng.random() < 0.2 else ""
    return f"{head}{sep}{district}区{street}路{num_text}号"


def _mess_name(nm: str, is_org: bool, rng) -> str:
    u = rng.random()
    if u < 0.06:
        nm = _typo(nm, rng)
    if is_org:
        v = rng.random()
        if v < 0.25:
            nm = nm.replace("有限公司", "有限责任公司")
        elif v < 0.32:
            nm = nm.replace("有限公司", "公司")
    if rng.random() < 0.1:
        i = int(rng.integers(1, len(nm)))
        nm = nm[:i] + (" " if rng.random() < 0.5 else "\u3000") + nm[i:]
    return nm


def scattered_records(n_customers: int = 200, seed: int = 0, dup_share: float = 0.4, max_copies: int = 4,
                      org_share: float = 0.5) -> tuple[pd.DataFrame, pd.Series]:
    """A messy archive: the same customers recorded by several salespeople, with the ground truth.

    Before central management (集中管理, task 5 §5.2.2 1) each salesperson keeps his own customer
    records. Modelled on the 无锡中原 case (task 7 拓展): two sales regions 华南 and 北方, each
    salesperson covering two prefecture-level areas. ``dup_share`` of the customers are recorded
    2 to ``max_copies`` times (by different salespeople or keyed twice), each copy messy in its
    own way:

    * phones written with spaces, dashes, +86 / 0086 / 86, brackets or full-width digits; some
      missing, some with a wrong digit (another valid number), some a digit short (invalid);
    * names with 有限公司 ↔ 有限责任公司 / 公司, stray (full-width) spaces, a look-alike typo;
    * addresses with or without 省/市/自治区, full-width digits, spaces; some missing;
    * credit limits that disagree between salespeople, some missing, a few negative (keying
      errors for the quality report); record dates 2023–2025.

    Different customers can share a name (common Chinese names), so names alone do not decide.
    Same seed, same table (numpy's default generator; no Faker, so it does not change with
    Faker's version). Generated in a vectorised way: 100,000 records take about a second.

    Returns
    -------
    (records, truth): ``records`` has ``record_id, sales_id, region, city, name, phone, address,
    contact, industry, credit_limit, recorded_at``; ``truth`` is a Series over the same index
    naming the true customer (``entity_id``) of every row.

    Examples
    --------
    >>> from crmlab import archive
    >>> records, truth = archive.scattered_records(n_customers=100, seed=7)
    >>> records.columns.tolist()
    ['record_id', 'sales_id', 'region', 'city', 'name', 'phone', 'address', 'contact', 'industry', 'credit_limit', 'recorded_at']
    >>> truth.nunique(), len(records) > 100
    (100, True)
    >>> res = archive.consolidate(records, id_col="record_id", city="city", date="recorded_at")
    >>> scores = archive.dedup_scores(res.members["cluster"].to_numpy(), truth.to_numpy())
    >>> bool(scores["precision"] > 0.9 and scores["recall"] > 0.8)
    True
    """
    for v, nm, lo in ((n_customers, "n_customers", 1), (max_copies, "max_copies", 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ArchiveError("BAD_OPTION", f"{nm} must be an integer ≥ {lo}", f"{nm} 必须是不小于 {lo} 的整数")
    for v, nm in ((dup_share, "dup_share"), (org_share, "org_share")):
        if not 0 <= v <= 1:
            raise ArchiveError("BAD_OPTION", f"{nm} must lie in [0, 1]", f"{nm} 必须在 [0, 1] 之间")
    rng = np.random.default_rng(seed)
    terr = [(r, p, c, a) for r, lst in _TERRITORIES.items() for p, c, a in lst]
    # salespeople: each covers two areas (the 上海 head office counts twice, so it has its own person)
    n_sales = len(terr) // 2
    n = n_customers
    t_idx = rng.integers(len(terr), size=n)
    is_org = rng.random(n) < org_share
    # names
    surname = np.array(_SURNAMES)[rng.integers(len(_SURNAMES), size=n)]
    g1 = np.array(_GIVEN)[rng.integers(len(_GIVEN), size=n)]
    g2 = np.where(rng.random(n) < 0.6, np.array(_GIVEN)[rng.integers(len(_GIVEN), size=n)], "")
    person = np.char.add(np.char.add(surname, g1), g2)
    b1 = np.array(_BRAND)[rng.integers(len(_BRAND), size=n)]
    b2 = np.array(_BRAND)[rng.integers(len(_BRAND), size=n)]
    trade = np.array(_TRADES)[rng.integers(len(_TRADES), size=n)]
    cities = np.array([t[2] for t in terr])[t_idx]
    legal = np.where(rng.random(n) < 0.1, "股份有限公司", "有限公司")
    company = np.char.add(np.char.add(np.char.add(np.char.add(cities, b1), b2), trade), legal)
    names = np.where(is_org, company, person)
    # phones: unique mobiles for people; landlines (area code + 8 digits) for half the organisations
    body = rng.choice(10 ** 8, size=n, replace=False)
    prefix = np.array(["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "158", "159",
                       "180", "186", "187", "189"])[rng.integers(16, size=n)]
    mobile = np.char.add(prefix, np.char.zfill(body.astype(str), 8))
    areas = np.array([t[3] for t in terr])[t_idx]
    land_local = np.char.add(rng.integers(2, 9, size=n).astype(str), np.char.zfill((body % 10 ** 7).astype(str), 7))
    use_land = is_org & (rng.random(n) < 0.5)
    phones = np.where(use_land, np.char.add(areas, land_local), mobile)
    # addresses
    district = np.array(_DISTRICTS)[rng.integers(len(_DISTRICTS), size=n)]
    street = np.array(_STREETS)[rng.integers(len(_STREETS), size=n)]
    number = rng.integers(1, 400, size=n)
    contact = np.where(is_org, np.char.add(np.array(_SURNAMES)[rng.integers(len(_SURNAMES), size=n)],
                                           np.array(_GIVEN)[rng.integers(len(_GIVEN), size=n)]), "")
    base_credit = np.where(is_org, rng.integers(10, 500, size=n) * 1000, rng.integers(0, 21, size=n) * 1000)
    # copies per customer
    copies = np.where(rng.random(n) < dup_share, rng.integers(2, max_copies + 1, size=n), 1)
    ent = np.repeat(np.arange(n), copies)
    first = np.r_[True, ent[1:] != ent[:-1]]
    m = len(ent)
    home_sales = t_idx // 2
    sales = np.where(first | (rng.random(m) < 0.3), home_sales[ent], rng.integers(n_sales, size=m))
    rows_name, rows_phone, rows_addr = [], [], []
    for k in range(m):
        e = ent[k]
        prov, city = terr[t_idx[e]][1], terr[t_idx[e]][2]
        rows_name.append(_mess_name(str(names[e]), bool(is_org[e]), rng))
        rows_phone.append(_mess_phone(str(phones[e]), "land" if use_land[e] else "mobile", str(areas[e]), rng))
        rows_addr.append(_mess_address((prov, city, district[e], street[e], int(number[e])), rng))
    credit = base_credit[ent].astype(float)
    differ = rng.random(m) < 0.3
    credit = np.where(differ, np.round(credit * rng.uniform(0.5, 1.5, size=m), -3), credit)
    credit = np.where(rng.random(m) < 0.015, -credit - 1000, credit)
    credit = np.where(rng.random(m) < 0.1, np.nan, credit)
    recorded = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1096, size=m), unit="D")
    records = pd.DataFrame({
        "sales_id": [f"S{s + 1:02d}" for s in sales],
        "region": np.array([t[0] for t in terr])[t_idx][ent],
        "city": cities[ent],
        "name": rows_name, "phone": rows_phone, "address": rows_addr,
        "contact": np.where(rng.random(m) < 0.15, "", contact[ent]),
        "industry": np.where(is_org, trade, "")[ent],
        "credit_limit": credit, "recorded_at": recorded,
    })
    records["contact"] = records["contact"].replace("", None)
    records["industry"] = records["industry"].replace("", None)
    perm = rng.permutation(m)
    records = records.iloc[perm].reset_index(drop=True)
    records.insert(0, "record_id", [f"R{i + 1:06d}" for i in range(m)])
    truth = pd.Series([f"E{e + 1:06d}" for e in ent[perm]], index=records.index, name="entity_id")
    return records, truth


# --------------------------------------------------------------------------------------------
# Analysis: composition tables (task 5 §5.2.5 3, §5.3.2 1)
# --------------------------------------------------------------------------------------------
@computes("composition", "客户构成表", "composition table")
def composition(df: pd.DataFrame, by: str | Sequence[str], value: str | None = "amount",
                customer: str | None = "customer_id") -> pd.DataFrame:
    """Composition table: customers and value per group, with shares and the cumulative share.

    Task 5 §5.2.5 3 (客户构成分析) and §5.3.2 1: sales, product and regional composition show
    each group's share of customers and of the volume, to set the marketing focus. The columns
    follow table 5-1 客户统计表 (whose layout is lost; the columns are crmlab's): group,
    customers, share of customers, value, share of value, cumulative share of value; groups are
    sorted by value, largest first.

    Parameters
    ----------
    df : rows to summarise (orders, or one row per customer); not modified.
    by : grouping column(s).
    value : numeric column to add up (must be ≥ 0); ``None`` counts rows only.
    customer : customer column, to count distinct customers; ``None`` counts rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d"],
    ...                        "region": ["华东", "华东", "华南", "华东", "华北"],
    ...                        "amount": [300.0, 100.0, 500.0, 50.0, 50.0]})
    >>> archive.composition(orders, "region")
            customers  customer_share  value  value_share  cumulative_share
    region
    华南              1            0.25  500.0         0.50              0.50
    华东              2            0.50  450.0         0.45              0.95
    华北              1            0.25   50.0         0.05              1.00
    """
    by = [by] if isinstance(by, str) else list(by)
    _need_columns(df, by + [value, customer], "df")
    if df[by].isna().any().any():
        raise ArchiveError("MISSING_GROUP", f"the grouping column(s) {by} have missing values; label them first",
                           f"分组列 {by} 有缺失值；请先补全")
    g = df.groupby(by, sort=False)
    out = pd.DataFrame({"customers": g[customer].nunique() if customer else g.size()})
    total_customers = df[customer].nunique() if customer else len(df)
    out["customer_share"] = out["customers"] / total_customers if total_customers else np.nan
    if value:
        v = _amounts(df[value], value)
        out["value"] = v.groupby([df[b] for b in by], sort=False).sum().reindex(out.index).round(6)
        total = out["value"].sum()
        out["value_share"] = out["value"] / total if total else np.nan
        out = out.sort_values("value", ascending=False, kind="stable")
        out["cumulative_share"] = out["value_share"].cumsum().round(12)
    else:
        out = out.sort_values("customers", ascending=False, kind="stable")
        out["cumulative_share"] = out["customer_share"].cumsum().round(12)
    return out


def sales_composition(orders: pd.DataFrame, customer: str = "customer_id", amount: str = "amount",
                      shares: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Sales composition 销售构成: customers graded by their sales volume, each grade's share.

    Task 5 §5.2.5 3 (1): the share of sales by sales-volume grade shows where to focus. The
    grades are the A/B/C classes of :func:`crmlab.value.abc_classes` (A = customers making the
    first 80 % of sales, B the next 15 %, C the rest; crmlab's cut-offs, task 1's ABC idea).

    >>> from crmlab import archive, datasets
    >>> t = archive.sales_composition(datasets.load("orders"))
    >>> t.index.tolist(), bool(t.loc["A", "value_share"] > 0.79)
    (['A', 'B', 'C'], True)
    """
    from crmlab import value as _value

    _need_columns(orders, [customer, amount], "orders")
    per_customer = _amounts(orders[amount], amount).groupby(orders[customer]).sum()
    grade = _value.abc_classes(per_customer, shares)
    frame = pd.DataFrame({"customer_id": per_customer.index, "grade": grade.to_numpy(), "amount": per_customer.to_numpy()})
    return composition(frame, "grade", "amount", "customer_id").sort_index()


def product_composition(orders: pd.DataFrame, products: pd.DataFrame | None = None, by: str = "category",
                        product: str = "product_id", amount: str = "amount",
                        customer: str = "customer_id") -> pd.DataFrame:
    """Product composition 商品构成: each product group's share of sales (task 5 §5.2.5 3 (2)).

    ``by`` is a column of ``products`` (joined on ``product``) or of the orders themselves.

    >>> from crmlab import archive, datasets
    >>> t = archive.product_composition(datasets.load("orders"), datasets.load("products"))
    >>> round(float(t["value_share"].sum()), 6), t.index.name
    (1.0, 'category')
    """
    _need_columns(orders, [product, amount, customer], "orders")
    frame = orders
    if by not in orders.columns:
        if products is None:
            raise ArchiveError("MISSING_COLUMN", f"orders has no column {by!r}; pass the products table",
                               f"订单表没有列 {by!r}；请传入产品表")
        _need_columns(products, [product, by], "products")
        unknown = ~orders[product].isin(products[product])
        if unknown.any():
            raise ArchiveError("UNKNOWN_PRODUCT", f"orders name unknown products {_short(orders.loc[unknown, product].unique())}",
                               f"订单中有未知产品 {_short(orders.loc[unknown, product].unique())}")
        frame = orders[[customer, product, amount]].merge(products[[product, by]], on=product, how="left")
    return composition(frame, by, amount, customer)


def region_composition(orders: pd.DataFrame, customers: pd.DataFrame, by: str = "region",
                       customer: str = "customer_id", amount: str = "amount") -> pd.DataFrame:
    """Regional composition 地区构成: each region's share of sales (task 5 §5.2.5 3 (3)).

    >>> from crmlab import archive, datasets
    >>> customers = datasets.load("customers").drop_duplicates()
    >>> t = archive.region_composition(datasets.load("orders"), customers)
    >>> len(t), float(t["cumulative_share"].iloc[-1])
    (7, 1.0)
    """
    _need_columns(orders, [customer, amount], "orders")
    _need_columns(customers, [customer, by], "customers")
    if customers[customer].duplicated().any():
        raise ArchiveError("DUPLICATE_ID", "customers has duplicated ids; drop duplicates first", "客户表编号重复；请先去重")
    frame = orders[[customer, amount]].merge(customers[[customer, by]], on=customer, how="left")
    if frame[by].isna().any():
        raise ArchiveError("UNKNOWN_CUSTOMER", f"{int(frame[by].isna().sum())} order(s) have no {by} (customer unknown)",
                           f"{int(frame[by].isna().sum())} 笔订单找不到客户的 {by}")
    return composition(frame, by, amount, customer)


# --------------------------------------------------------------------------------------------
# Solvency ratios (偿债能力, task 5 §5.3.2 2)
# --------------------------------------------------------------------------------------------
_FIN_ITEMS = {
    "cash": ("货币资金", "现金"), "securities": ("有价证券", "短期有价证券", "短期证券"),
    "ar_net": ("应收账款净额",), "prepaid": ("预付账款",), "deferred": ("待摊费用",), "inventory": ("存货",),
    "current_assets": ("流动资产", "流动资产合计", "流动资产总额"),
    "current_liabilities": ("流动负债", "流动负债合计", "流动负债总额"),
    "total_liabilities": ("负债总额", "负债合计"), "total_assets": ("资产总额", "资产合计"),
}
_FIN_ALIASES = {a: k for k, v in _FIN_ITEMS.items() for a in (k, *v)}

#: The six solvency ratios of task 5 §5.3.2 2 with the book's formulas and thresholds.
#: ``quick_to_current`` is the book's "速动比率与流动比率的比值 … 1∶1.5 左右最为合适"; the printed
#: text is OCR-damaged ("1 1.") and 1∶1.5 is only crmlab's reading, so it is a parameter.
SOLVENCY_RULES = pd.DataFrame([
    {"ratio": "current_ratio", "zh": "流动比率", "formula": "流动资产 ÷ 流动负债",
     "rule": "2∶1 ideal; below 1∶1 needs attention", "source": "task 5 §5.3.2 2 (1)"},
    {"ratio": "quick_ratio", "zh": "速动比率", "formula": "(流动资产 − 存货 − 预付账款 − 待摊费用) ÷ 流动负债",
     "rule": "keep above 100 %", "source": "task 5 §5.3.2 2 (2)"},
    {"ratio": "cash_ratio", "zh": "现金比率", "formula": "(货币资金 + 有价证券) ÷ 流动负债",
     "rule": "above 20 % is good; too high means idle cash (no number given)", "source": "task 5 §5.3.2 2 (3)"},
    {"ratio": "super_quick_ratio", "zh": "超速动比率", "formula": "(现金 + 短期证券 + 应收账款净额) ÷ 流动负债",
     "rule": "no threshold given", "source": "task 5 §5.3.2 2 (4)"},
    {"ratio": "liability_liquidity_ratio", "zh": "负债流动率", "formula": "流动资产 ÷ 负债总额",
     "rule": "higher is better (no threshold given)", "source": "task 5 §5.3.2 2 (5)"},
    {"ratio": "debt_asset_ratio", "zh": "资产负债率", "formula": "负债总额 ÷ 资产总额",
     "rule": "no threshold given", "source": "task 5 §5.3.2 2 (6)"},
    {"ratio": "quick_to_current", "zh": "速动比率∶流动比率", "formula": "速动比率 ÷ 流动比率",
     "rule": "about 1∶1.5 is best (OCR-damaged in the source)", "source": "task 5 §5.3.2 2 (2)"},
]).set_index("ratio")


def _fin_frame(fin) -> tuple[pd.DataFrame, bool]:
    single = isinstance(fin, (Mapping, pd.Series))
    frame = pd.DataFrame([dict(fin)]) if single else fin
    _need_frame(frame, "financials")
    renamed = frame.rename(columns={c: _FIN_ALIASES[c] for c in frame.columns if c in _FIN_ALIASES})
    missing = [k for k in _FIN_ITEMS if k not in renamed.columns]
    if missing:
        raise ArchiveError("MISSING_COLUMN", f"financials lack {missing}", f"财务数据缺少 {[_FIN_ITEMS[m][0] for m in missing]}")
    values = renamed[list(_FIN_ITEMS)]
    try:
        values = values.astype(float)
    except (ValueError, TypeError):
        raise ArchiveError("NOT_NUMERIC", "financial items must be numbers", "财务项目必须是数值") from None
    if values.isna().any().any():
        raise ArchiveError("MISSING_AMOUNT", "financial items have missing values", "财务项目有缺失值")
    neg = (values < 0).any(axis=1)
    if neg.any():
        raise ArchiveError("NEGATIVE_AMOUNT", f"balance-sheet items cannot be negative (rows {_short(values.index[neg])})",
                           f"资产负债表项目不能为负（行 {_short(values.index[neg])}）")
    for den in ("current_liabilities", "total_liabilities", "total_assets"):
        zero = values[den] == 0
        if zero.any():
            raise ArchiveError("ZERO_DENOMINATOR", f"{den} is 0 in rows {_short(values.index[zero])}: the ratio is undefined",
                               f"{_FIN_ITEMS[den][0]} 在行 {_short(values.index[zero])} 为 0，比率无意义")
    parts = values[["inventory", "prepaid", "deferred"]].sum(axis=1)
    over = parts > values["current_assets"] + 1e-9
    if over.any():
        raise ArchiveError("INCONSISTENT", f"inventory + prepaid + deferred exceed current assets (rows {_short(values.index[over])})",
                           f"存货、预付账款与待摊费用之和超过流动资产（行 {_short(values.index[over])}）")
    return values, single


@computes("solvency", "偿债能力指标", "solvency ratios")
def solvency_ratios(fin) -> pd.DataFrame | pd.Series:
    """The six solvency ratios (偿债能力指标) of task 5 §5.3.2 2, as fractions (×100 for %).

    * 流动比率 current ratio = 流动资产 ÷ 流动负债
    * 速动比率 quick ratio = (流动资产 − 存货 − 预付账款 − 待摊费用) ÷ 流动负债
    * 现金比率 cash ratio = (货币资金 + 有价证券) ÷ 流动负债
    * 超速动比率 super-quick ratio = (现金 + 短期证券 + 应收账款净额) ÷ 流动负债
    * 负债流动率 liability liquidity ratio = 流动资产 ÷ 负债总额
    * 资产负债率 debt-to-asset ratio = 负债总额 ÷ 资产总额

    plus ``quick_to_current`` = quick ÷ current (the book's 1∶1.5 guideline). Items may be named
    in English (``cash, securities, ar_net, prepaid, deferred, inventory, current_assets,
    current_liabilities, total_liabilities, total_assets``) or Chinese (货币资金, 有价证券 …).
    Negative items, zero denominators and parts larger than the current assets raise.

    Parameters
    ----------
    fin : one customer (dict or Series) → Series; a DataFrame (one row per customer/period) →
        DataFrame with the same index.

    Examples
    --------
    A worked example (customer 甲, 万元; crmlab's own figures, not the textbook's):

    >>> from crmlab import archive
    >>> jia = {"货币资金": 120, "有价证券": 30, "应收账款净额": 150, "预付账款": 20, "待摊费用": 10,
    ...        "存货": 250, "流动资产": 600, "流动负债": 300, "负债总额": 500, "资产总额": 1250}
    >>> archive.solvency_ratios(jia).round(4)
    current_ratio                2.0000
    quick_ratio                  1.0667
    cash_ratio                   0.5000
    super_quick_ratio            1.0000
    liability_liquidity_ratio    1.2000
    debt_asset_ratio             0.4000
    quick_to_current             0.5333
    dtype: float64
    """
    v, single = _fin_frame(fin)
    cl = v["current_liabilities"]
    out = pd.DataFrame({
        "current_ratio": v["current_assets"] / cl,
        "quick_ratio": (v["current_assets"] - v["inventory"] - v["prepaid"] - v["deferred"]) / cl,
        "cash_ratio": (v["cash"] + v["securities"]) / cl,
        "super_quick_ratio": (v["cash"] + v["securities"] + v["ar_net"]) / cl,
        "liability_liquidity_ratio": v["current_assets"] / v["total_liabilities"],
        "debt_asset_ratio": v["total_liabilities"] / v["total_assets"],
    }, index=v.index)
    out["quick_to_current"] = out["quick_ratio"] / out["current_ratio"]
    return out.iloc[0].rename(None) if single else out


@computes("solvency_verdicts", "偿债能力评价", "verdicts on the solvency ratios")
def solvency_flags(ratios, quick_to_current: float = 1 / 1.5, tolerance: float = 0.1,
                   cash_too_high: float | None = None) -> pd.DataFrame | pd.Series:
    """Verdicts on the solvency ratios, by the textbook's thresholds (task 5 §5.3.2 2).

    * current ratio: ``ideal`` at 2∶1 or more, ``ok`` from 1∶1, ``attention`` below 1∶1;
    * quick ratio: ``ok`` at 100 % or more, else ``attention``;
    * cash ratio: ``good`` above 20 %, else ``attention``; ``too_high`` above ``cash_too_high``
      if you give one (the book warns of idle cash but gives no number);
    * quick ∶ current: ``near_guideline`` within ``tolerance`` of 1∶1.5 (0.667), else ``off``
      (OCR-damaged figure in the source: a parameter, never a hard rule).

    The other three ratios have no threshold in the book and get no verdict.

    >>> from crmlab import archive
    >>> jia = {"货币资金": 120, "有价证券": 30, "应收账款净额": 150, "预付账款": 20, "待摊费用": 10,
    ...        "存货": 250, "流动资产": 600, "流动负债": 300, "负债总额": 500, "资产总额": 1250}
    >>> archive.solvency_flags(archive.solvency_ratios(jia)).to_dict()
    {'current_ratio': 'ideal', 'quick_ratio': 'ok', 'cash_ratio': 'good', 'quick_to_current': 'off'}
    """
    single = isinstance(ratios, pd.Series)
    frame = ratios.to_frame().T if single else ratios
    _need_columns(frame, ["current_ratio", "quick_ratio", "cash_ratio", "quick_to_current"], "ratios")
    cur, quick, cash, qc = (frame[c].astype(float) for c in ("current_ratio", "quick_ratio", "cash_ratio", "quick_to_current"))
    cash_flag = np.where(cash > 0.2, "good", "attention")
    if cash_too_high is not None:
        cash_flag = np.where(cash > cash_too_high, "too_high", cash_flag)
    out = pd.DataFrame({
        "current_ratio": np.where(cur >= 2, "ideal", np.where(cur >= 1, "ok", "attention")),
        "quick_ratio": np.where(quick >= 1, "ok", "attention"),
        "cash_ratio": cash_flag,
        "quick_to_current": np.where((qc - quick_to_current).abs() <= tolerance, "near_guideline", "off"),
    }, index=frame.index)
    return out.iloc[0].rename(None) if single else out


# --------------------------------------------------------------------------------------------
# Dealer evaluation (客户对企业的利润贡献分析, task 5 §5.3.2 3)
# --------------------------------------------------------------------------------------------
#: The dealer-evaluation indicators of task 5 §5.3.2 3: enthusiasm, the four sub-indicators of
#: business capability, credibility and social relations, plus the five others the book names.
DEALER_EVALUATION = {
    "enthusiasm": "积极性",
    "flexibility": "经营手段灵活性", "distribution": "分销能力", "funds": "资金是否充足", "hot_brands": "手中畅销品牌的数量",
    "credibility": "信誉", "social_relations": "社会关系",
    "sales_management": "销售管理水平", "sales_network": "销售网络", "promotion": "促销能力",
    "after_sales": "售后服务能力", "relationship": "与本企业的关系",
}
#: crmlab default weights (the book gives none): the four main indicators a quarter each, the
#: capability quarter split over its four sub-indicators; the five extra indicators weigh 0
#: unless you pass weights.
DEALER_EVALUATION_WEIGHTS = {"enthusiasm": 0.25, "flexibility": 0.0625, "distribution": 0.0625, "funds": 0.0625,
                             "hot_brands": 0.0625, "credibility": 0.25, "social_relations": 0.25}
_CAPABILITY = ("flexibility", "distribution", "funds", "hot_brands")


@computes("dealer_review", "经销商评价", "dealer evaluation")
def dealer_evaluation(scores: pd.DataFrame, weights: Mapping[str, float] | None = None,
                      veto: Mapping[str, float] | None = None, scale=(1, 5)) -> pd.DataFrame:
    """Periodic dealer evaluation: weighted score, business capability and a fake-enthusiasm flag.

    Task 5 §5.3.2 3 names the indicators (:data:`DEALER_EVALUATION`): 积极性 enthusiasm ("many
    firms make it the first criterion"), 经营能力 business capability (flexibility, distribution,
    funds — "the main measure of a dealer's strength" — and best-selling brands), 信誉
    credibility ("don't work with untrustworthy dealers however good their terms") and 社会关系.
    It warns that fake enthusiasm is often the start of a planned fraud, and asks firms to keep
    weeding out poor dealers (淘汰差等客户). crmlab's defaults (not the book's, it gives no
    numbers): 1–5 scores, :data:`DEALER_EVALUATION_WEIGHTS`, a veto for credibility below 3,
    and ``fake_enthusiasm`` = enthusiasm ≥ 4 while funds or credibility ≤ 2.

    The weighted sum is :func:`crmlab.value.weighted_score`; columns may be the English keys or
    the Chinese names.

    Returns
    -------
    DataFrame with ``score``, ``vetoed``, ``rank`` (1 = best not vetoed), ``capability`` (mean of
    the four sub-indicators) and ``fake_enthusiasm``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> d = pd.DataFrame({"积极性": [4, 5, 3], "经营手段灵活性": [4, 3, 3], "分销能力": [4, 2, 3],
    ...                   "资金是否充足": [4, 1, 3], "手中畅销品牌的数量": [3, 2, 3], "信誉": [5, 2, 4],
    ...                   "社会关系": [3, 4, 3]}, index=["甲", "乙", "丙"])
    >>> archive.dealer_evaluation(d)
        score  vetoed  rank  capability  fake_enthusiasm
    甲  3.9375   False   1.0        3.75            False
    乙  3.2500    True   NaN        2.00             True
    丙  3.2500   False   2.0        3.00            False
    """
    from crmlab import value as _value

    _need_frame(scores, "scores")
    frame = scores.rename(columns={zh: en for en, zh in DEALER_EVALUATION.items()})
    result = _value.weighted_score(frame, dict(DEALER_EVALUATION_WEIGHTS if weights is None else weights),
                                   scale=scale, veto=dict({"credibility": 3} if veto is None else veto),
                                   names=DEALER_EVALUATION)
    cap = [c for c in _CAPABILITY if c in frame.columns]
    result["capability"] = frame[cap].mean(axis=1) if cap else np.nan
    need = ["enthusiasm", "funds", "credibility"]
    if all(c in frame.columns for c in need):
        result["fake_enthusiasm"] = (frame["enthusiasm"] >= 4) & ((frame["funds"] <= 2) | (frame["credibility"] <= 2))
    return result


# --------------------------------------------------------------------------------------------
# FedEx customer score and its 7 groups (task 5 拓展学习 联邦快递)
# --------------------------------------------------------------------------------------------
def _order_frame(orders, as_of, customer, date, amount) -> pd.DataFrame:
    _need_columns(orders, [customer, date, amount], "orders")
    d = _dates(orders[date], date)
    a = _amounts(orders[amount], amount)
    keep = d <= as_of
    return pd.DataFrame({"c": orders[customer][keep].to_numpy(), "d": d[keep].to_numpy(), "a": a[keep].to_numpy()})


@computes("fedex_score", "联邦快递贡献得分", "FedEx contribution score")
def fedex_score(orders: pd.DataFrame, as_of, customer: str = "customer_id", date: str = "order_date",
                amount: str = "amount") -> pd.DataFrame:
    """FedEx's customer contribution score: 2 × spend of the last 3 months + spend 3–6 months ago.

    Textbook task 5 拓展学习 (联邦快递客户资料RFM分析): FedEx scored each customer as twice the
    spend of the past three months plus the spend of the three months before, so recent spend
    weighs double. Windows: last 3 months = (as_of − 3 months, as_of]; the 3 months before =
    (as_of − 6 months, as_of − 3 months]. Orders after ``as_of`` are ignored.

    Returns
    -------
    DataFrame indexed by customer (every customer with an order up to ``as_of``):
    ``last_3m``, ``months_3_6``, ``score``.

    Examples
    --------
    crmlab's own example (the textbook gives the formula only): 8,000 in the last 3 months and 5,000
    before → 21,000.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> orders = pd.DataFrame({"customer_id": ["K", "K"], "order_date": ["2025-11-15", "2025-08-01"],
    ...                        "amount": [8000.0, 5000.0]})
    >>> archive.fedex_score(orders, as_of="2025-12-31")
                 last_3m  months_3_6    score
    customer_id
    K             8000.0      5000.0  21000.0
    """
    as_of = _as_of(as_of)
    o = _order_frame(orders, as_of, customer, date, amount)
    m3, m6 = as_of - pd.DateOffset(months=3), as_of - pd.DateOffset(months=6)
    last = o["a"].where(o["d"] > m3, 0.0)
    before = o["a"].where((o["d"] > m6) & (o["d"] <= m3), 0.0)
    out = pd.DataFrame({"last_3m": last.groupby(o["c"]).sum(), "months_3_6": before.groupby(o["c"]).sum()})
    out["score"] = 2 * out["last_3m"] + out["months_3_6"]
    out.index.name = customer
    return out.round(6)


#: The seven FedEx customer groups (task 5 拓展学习), in the book's order, with its strategies
#: where it gives one. FedEx found them by cluster analysis; :func:`fedex_groups` assigns them
#: by explicit rules instead (crmlab's construction, so that students can check each rule).
FEDEX_GROUPS = pd.DataFrame([
    {"no": 1, "group": "stable_top10", "zh": "贡献额最高的10%稳定客户群", "strategy": "retain at all costs, best service"},
    {"no": 2, "group": "lost_mid", "zh": "过去六个月流失的中贡献客户群", "strategy": "telemarketing: find what went wrong, win back"},
    {"no": 3, "group": "seasonal_low", "zh": "低贡献额的季节性客户群", "strategy": "don't spend budget on off-season purchases"},
    {"no": 4, "group": "growth_high", "zh": "高贡献额的成长客户群", "strategy": "find the drivers of growth and spread them"},
    {"no": 5, "group": "stable_mid", "zh": "中贡献额的稳定客户群", "strategy": ""},
    {"no": 6, "group": "lost_low", "zh": "低贡献额且在过去六个月内的流失客户群", "strategy": ""},
    {"no": 7, "group": "returned_low", "zh": "低贡献额但刚恢复交易的客户群", "strategy": ""},
    {"no": 0, "group": "other", "zh": "其他（不属于七个客户群）", "strategy": ""},
    {"no": 0, "group": "inactive", "zh": "近期无交易", "strategy": ""},
]).set_index("group")


def _tiers(score: pd.Series, top: float, mid: float) -> pd.Series:
    active = score[score > 0]
    pct = active.rank(ascending=False, method="first") / max(len(active), 1)
    tier = pd.Series("none", index=score.index, dtype=object)
    tier[active.index] = np.where(pct <= top, "high", np.where(pct <= top + mid, "mid", "low"))
    return tier


def fedex_groups(orders: pd.DataFrame, as_of, top_share: float = 0.10, mid_share: float = 0.40,
                 loss: float = 0.90, growth: float = 1.5, seasonal_months: int = 3,
                 customer: str = "customer_id", date: str = "order_date", amount: str = "amount") -> pd.DataFrame:
    """Assign each customer to one of FedEx's seven groups, and a decile within the group.

    Task 5 拓展学习: FedEx clustered customers by the score of :func:`fedex_score` into seven
    groups (:data:`FEDEX_GROUPS`), split each group into deciles (十等分) by contribution and
    tracked movements for two years. The book gives the groups' definitions in words and two
    numbers — "contribution down 90 %" in six months for the lost, and "spend grown more than
    15倍" for the growth group, which may be OCR for 1.5倍 (a parameter here, default 1.5).
    The rules below are crmlab's reading (not the textbook's), in this order of precedence:

    1. ``seasonal_low`` — never in the top tier, bought in at least two of the last two years
       but only in ≤ ``seasonal_months`` calendar months (checked first: a seasonal customer out
       of season is neither lost nor "just returned" when the season comes back);
    2. **lost** — score 6 months ago > 0 and the score now at most ``1 − loss`` of it:
       ``lost_mid`` if the customer was high or mid then, ``lost_low`` if low;
    3. ``returned_low`` — buying in the last 3 months after 6 months without any purchase
       (and with purchases before that);
    4. ``growth_high`` — top ``top_share`` now and score ≥ ``growth`` × score 6 months ago;
    5. ``stable_top10`` — top ``top_share`` (10 %, from the book) otherwise;
    6. ``stable_mid`` — the next ``mid_share`` (40 %, crmlab's) by score;
    7. ``other`` (low, none of the above) and ``inactive`` (no score now or before).

    Tiers rank customers with a positive score: high = top 10 %, mid = next 40 %, low = rest.

    Returns
    -------
    DataFrame indexed by customer: ``score``, ``score_6m_ago``, ``tier``, ``group``, ``no``
    (1–7, 0 = outside the seven), ``zh`` and ``decile`` (1–10 within the group, 10 = highest
    contribution; the lost are ranked by their score 6 months ago).

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> g = archive.fedex_groups(datasets.load("orders"), as_of="2025-12-31")
    >>> sorted(g["no"].unique().tolist())
    [0, 1, 2, 3, 4, 5, 6, 7]
    >>> int(g["decile"].max())
    10
    """
    as_of = _as_of(as_of)
    for v, nm in ((top_share, "top_share"), (mid_share, "mid_share"), (loss, "loss")):
        if not 0 < v < 1:
            raise ArchiveError("BAD_OPTION", f"{nm} must lie strictly between 0 and 1", f"{nm} 必须在 0 和 1 之间")
    if top_share + mid_share >= 1 or growth <= 1 or seasonal_months < 1:
        raise ArchiveError("BAD_OPTION", "need top_share + mid_share < 1, growth > 1 and seasonal_months ≥ 1",
                           "需要 top_share + mid_share < 1、growth > 1、seasonal_months ≥ 1")
    now = fedex_score(orders, as_of, customer, date, amount)
    prev = fedex_score(orders, as_of - pd.DateOffset(months=6), customer, date, amount)
    prev = prev.reindex(now.index, fill_value=0.0)
    o = _order_frame(orders, as_of, customer, date, amount)
    m3, m9, m24 = (as_of - pd.DateOffset(months=k) for k in (3, 9, 24))
    idx = now.index
    recent = now["last_3m"] > 0
    gap = o[(o["d"] > m9) & (o["d"] <= m3)].groupby("c")["a"].sum().reindex(idx, fill_value=0) == 0
    earlier = o[o["d"] <= m9].groupby("c").size().reindex(idx, fill_value=0) > 0
    returned = recent & gap & earlier
    last2y = o[o["d"] > m24]
    months = last2y.assign(m=last2y["d"].dt.month, y=((as_of - last2y["d"]).dt.days // 365))
    n_months = months.groupby("c")["m"].nunique().reindex(idx, fill_value=0)
    n_years = months.groupby("c")["y"].nunique().reindex(idx, fill_value=0)
    seasonal = (n_months <= seasonal_months) & (n_years >= 2)
    tier_now, tier_prev = _tiers(now["score"], top_share, mid_share), _tiers(prev["score"], top_share, mid_share)
    lost = (prev["score"] > 0) & (now["score"] <= (1 - loss) * prev["score"])
    grew = (prev["score"] > 0) & (now["score"] >= growth * prev["score"])
    ever_high = (tier_now == "high") | (tier_prev == "high")
    conds = [seasonal & ~ever_high, lost & tier_prev.isin(["high", "mid"]), lost, returned,
             (tier_now == "high") & grew, tier_now == "high", tier_now == "mid", tier_now == "low"]
    names = ["seasonal_low", "lost_mid", "lost_low", "returned_low", "growth_high", "stable_top10", "stable_mid", "other"]
    group = np.select(conds, names, default="inactive")
    out = pd.DataFrame({"score": now["score"], "score_6m_ago": prev["score"], "tier": tier_now, "group": group}, index=idx)
    out["no"] = out["group"].map(FEDEX_GROUPS["no"]).astype(int)
    out["zh"] = out["group"].map(FEDEX_GROUPS["zh"])
    basis = np.where(out["group"].isin(["lost_mid", "lost_low"]), out["score_6m_ago"], out["score"])
    pct = pd.Series(basis, index=idx).groupby(out["group"]).rank(method="first", pct=True)
    out["decile"] = np.ceil(pct * 10).clip(1, 10).astype(int)
    return out


# --------------------------------------------------------------------------------------------
# RFM quintiles (125 cells) and migration between periods (task 5 拓展学习 附：RFM方法)
# --------------------------------------------------------------------------------------------
def rfm_table(orders: pd.DataFrame, as_of, window_days: int | None = None, customer: str = "customer_id",
              date: str = "order_date", amount: str = "amount") -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, as of a date.

    Task 5 附：RFM方法 (Arthur Hughes): R = time since the last purchase (here in days, so
    smaller is better; not lifetimes' "recency"), F = purchases in the period, M = spend in the
    period. Orders after ``as_of`` are ignored; with ``window_days`` only orders in
    (as_of − window_days, as_of] count and customers without any drop out. Orders without a
    customer id are left out. The per-customer computation is ``crmlab.value``'s (shared with
    :func:`crmlab.value.rfm_summary`); this function chooses the orders and the units.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_date": ["2025-01-01", "2025-06-01", "2025-03-01"],
    ...                        "amount": [100.0, 50.0, 80.0]})
    >>> archive.rfm_table(orders, as_of="2025-06-30")
                 recency_days  frequency  monetary
    customer_id
    a                      29          2     150.0
    b                     121          1      80.0
    """
    as_of = _as_of(as_of)
    o = _order_frame(orders, as_of, customer, date, amount)
    if window_days is not None:
        if window_days <= 0:
            raise ArchiveError("BAD_WINDOW", "window_days must be positive", "window_days 必须为正数")
        o = o[o["d"] > as_of - pd.Timedelta(days=window_days)]
    from crmlab import value as _value

    # the computation lives in value.py (one place for RFM); orders without a customer id do not count
    d = o["d"].to_numpy()
    r = _value._rfm(o["c"], d.view("i8"), o["a"].to_numpy(), distinct=False)
    last = pd.Series(r.last.view(d.dtype), index=r.customers)
    out = pd.DataFrame({"recency_days": (as_of - last).dt.days.astype(int), "frequency": r.purchases.astype(int),
                        "monetary": pd.Series(r.spend, index=r.customers).round(6)})
    out.index.name = customer
    return out


@computes("rfm_quintiles", "RFM 五分位得分", "RFM quintile scores")
def rfm_scores(rfm: pd.DataFrame, q: int = 5) -> pd.DataFrame:
    """R, F and M scores 1–q (quintiles by default) and the cell label, e.g. ``"555"``.

    Task 5 附：RFM方法: each of R, F and M is cut into quintiles, giving 5 × 5 × 5 = 125 cells
    (类). 5 is best: the most recent (fewest days), the most frequent, the biggest spenders.
    Customers are ranked 1 … n (ties broken by order of appearance, ``rank(method="first")``)
    and score = ⌈rank × q / n⌉, so every score has the same number of customers (±1) even when
    values tie; this is the standard equal-count method (crmlab's choice; the book does not say
    how to cut or break ties). Needs at least q customers.

    Examples
    --------
    A worked example of crmlab's (10 customers):

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> rfm = pd.DataFrame({"recency_days": [5, 40, 200, 12, 90, 365, 30, 60, 150, 8],
    ...                     "frequency": [12, 4, 1, 8, 3, 1, 6, 2, 2, 10],
    ...                     "monetary": [9600, 2400, 300, 5200, 1500, 200, 4100, 800, 1100, 7000]},
    ...                    index=list("ABCDEFGHIJ"))
    >>> archive.rfm_scores(rfm)["cell"].tolist()
    ['555', '333', '111', '444', '233', '111', '444', '322', '222', '555']
    """
    _need_columns(rfm, ["recency_days", "frequency", "monetary"], "rfm")
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 2:
        raise ArchiveError("BAD_OPTION", "q must be an integer ≥ 2", "q 必须是不小于 2 的整数")
    if len(rfm) < q:
        raise ArchiveError("TOO_FEW", f"need at least {q} customers to make {q} groups, got {len(rfm)}",
                           f"分成 {q} 组至少需要 {q} 个客户，现有 {len(rfm)} 个")
    for c in ("recency_days", "frequency", "monetary"):
        col = pd.to_numeric(rfm[c], errors="coerce")
        if col.isna().any() or (col < 0).any():
            raise ArchiveError("BAD_VALUE", f"column {c!r} must be numbers ≥ 0 without gaps", f"列 {c!r} 必须是非负数且无缺失")
    n = len(rfm)

    def score(x: pd.Series) -> pd.Series:
        return np.ceil(x.rank(method="first") * q / n).astype(int)

    out = pd.DataFrame({"R": score(-rfm["recency_days"].astype(float)), "F": score(rfm["frequency"].astype(float)),
                        "M": score(rfm["monetary"].astype(float))}, index=rfm.index)
    out["cell"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    return out


def rfm_grid(scores: pd.DataFrame, q: int = 5) -> pd.DataFrame:
    """Customers in each of the q³ RFM cells (125 for quintiles), empty cells included.

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> grid = archive.rfm_grid(pd.DataFrame({"R": [5, 5, 1], "F": [5, 5, 1], "M": [5, 5, 2]}))
    >>> len(grid), int(grid.loc["555", "n"]), round(float(grid.loc["112", "share"]), 3)
    (125, 2, 0.333)
    """
    _need_columns(scores, ["R", "F", "M"], "scores")
    cells = [f"{r}{f}{m}" for r in range(q, 0, -1) for f in range(q, 0, -1) for m in range(q, 0, -1)]
    label = scores["R"].astype(int).astype(str) + scores["F"].astype(int).astype(str) + scores["M"].astype(int).astype(str)
    unknown = ~label.isin(cells)
    if unknown.any():
        raise ArchiveError("BAD_VALUE", f"scores must be 1–{q}; got cells {_short(label[unknown].unique())}",
                           f"得分必须在 1–{q} 之间；出现 {_short(label[unknown].unique())}")
    n = label.value_counts().reindex(cells, fill_value=0)
    out = pd.DataFrame({"R": [int(c[0]) for c in cells], "F": [int(c[1]) for c in cells], "M": [int(c[2]) for c in cells],
                        "n": n.to_numpy()}, index=pd.Index(cells, name="cell"))
    out["share"] = out["n"] / max(len(scores), 1)
    return out


ABSENT = "absent"


@computes("migration", "客户迁移矩阵", "migration matrix")
def migration_matrix(before: pd.Series, after: pd.Series, normalize: bool = False, order=None) -> pd.DataFrame:
    """Transition matrix of customers' segments between two periods (rows: before, columns: after).

    Customers present in only one period are counted in the row or column ``"absent"`` (new
    customers come from it, lost ones go to it), so every customer is counted once. With
    ``normalize=True`` each row is divided by its total: the share of the row's customers that
    moved to each segment (a Markov transition matrix; the "absent" row stays in counts-share
    too). FedEx tracked such movements over two years (task 5 拓展学习); on F quintiles it is
    Hughes' loyalty ladder.

    Parameters
    ----------
    before, after : segment per customer (index = customer id).
    order : optional list of segments (default: sorted, descending — "555" first).

    >>> import pandas as pd
    >>> from crmlab import archive
    >>> before = pd.Series({"a": "high", "b": "high", "c": "low"})
    >>> after = pd.Series({"a": "high", "b": "low", "d": "low"})
    >>> archive.migration_matrix(before, after, order=["high", "low"])
    after   high  low  absent
    before
    high       1    1       0
    low        0    0       1
    absent     0    1       0
    """
    for s, nm in ((before, "before"), (after, "after")):
        if not isinstance(s, pd.Series):
            raise ArchiveError("NOT_A_SERIES", f"{nm} must be a pandas Series indexed by customer",
                               f"{nm} 必须是以客户为索引的 pandas Series")
        if not s.index.is_unique:
            raise ArchiveError("DUPLICATE_ID", f"{nm} has a customer twice", f"{nm} 中有重复客户")
        if s.isna().any():
            raise ArchiveError("MISSING_GROUP", f"{nm} has missing segments", f"{nm} 有缺失的分组")
    ids = before.index.union(after.index)
    b = before.astype(str).reindex(ids, fill_value=ABSENT)
    a = after.astype(str).reindex(ids, fill_value=ABSENT)
    segs = order if order is not None else sorted(set(before.astype(str)) | set(after.astype(str)), reverse=True)
    segs = [str(s) for s in segs if str(s) != ABSENT] + [ABSENT]
    table = pd.crosstab(pd.Categorical(b, segs), pd.Categorical(a, segs), dropna=False)
    table.index.name, table.columns.name = "before", "after"
    table.index, table.columns = pd.Index(segs, name="before"), pd.Index(segs, name="after")
    if normalize:
        totals = table.sum(axis=1).replace(0, np.nan)
        table = table.div(totals, axis=0).fillna(0.0)
    return table


def rfm_migration(orders: pd.DataFrame, as_of_before, as_of_after, on: str = "cell", window_days: int = 365,
                  q: int = 5, normalize: bool = False, customer: str = "customer_id", date: str = "order_date",
                  amount: str = "amount") -> pd.DataFrame:
    """RFM segments at two dates and the transition matrix between them.

    Scores each period with :func:`rfm_table` (``window_days`` of orders up to each date) and
    :func:`rfm_scores`, then :func:`migration_matrix` on ``on`` — ``"cell"`` (125 cells),
    ``"R"``, ``"F"`` (the loyalty ladder) or ``"M"``. Quintiles are relative to each period's
    customers. Customers without orders in a window are ``absent`` there.

    >>> from crmlab import archive, datasets
    >>> m = archive.rfm_migration(datasets.load("orders"), "2024-12-31", "2025-12-31", on="F")
    >>> m.index.tolist()
    ['5', '4', '3', '2', '1', 'absent']
    >>> int(m.to_numpy().sum()) == datasets.load("orders")["customer_id"].nunique()
    True
    """
    if on not in ("cell", "R", "F", "M"):
        raise ArchiveError("BAD_OPTION", "on must be 'cell', 'R', 'F' or 'M'", "on 只能是 'cell'、'R'、'F' 或 'M'")
    t0, t1 = _as_of(as_of_before, "as_of_before"), _as_of(as_of_after, "as_of_after")
    if t1 <= t0:
        raise ArchiveError("BAD_ORDER", "as_of_after must be later than as_of_before", "as_of_after 必须晚于 as_of_before")
    segs = []
    for t in (t0, t1):
        s = rfm_scores(rfm_table(orders, t, window_days, customer, date, amount), q)[on]
        segs.append(s.astype(str))
    order = ([f"{r}{f}{m}" for r in range(q, 0, -1) for f in range(q, 0, -1) for m in range(q, 0, -1)]
             if on == "cell" else [str(k) for k in range(q, 0, -1)])
    return migration_matrix(segs[0], segs[1], normalize=normalize, order=order)


# --------------------------------------------------------------------------------------------
# Cases (figures as printed in the textbook, except where marked as crmlab's own)
# --------------------------------------------------------------------------------------------
#: Task 5 任务引入 密密麻麻的小本子: a 2000万 billing-system order won by Ms Liu with 3 visits
#: (signed on the third) against a competitor's team of "十几个人" camped in a hotel for a month.
#: Her notebook held the level-3 data (names, times, flights, hobbies, hometowns, this and next
#: week's whereabouts); the director had 2 days off and the technical exchange came a week later.
NOTEBOOK_CASE = {"order_yuan": 20_000_000, "winner_visits": 3, "signed_on_visit": 3, "rival_team": "十几个人",
                 "rival_days_in_hotel": "整整一个月", "director_days_off": 2, "technical_exchange_after_days": 7,
                 "notebook_fields": ["contact_name", "itinerary", "flights", "hobbies", "hometown"]}
#: Task 5 拓展学习: FedEx's score (2 × last 3 months + 3–6 months ago), 7 groups, deciles, 2 years, the
#: 90 % drop and the growth printed as "15倍". The 8,000 + 5,000 → 21,000 example is crmlab's own: the
#: textbook gives the formula only.
FEDEX_EXAMPLE = {"last_3m": 8_000.0, "months_3_6": 5_000.0, "score": 21_000.0, "groups": 7, "deciles": 10,
                 "tracked_years": 2, "lost_drop": 0.90, "growth_as_printed": "15倍"}
#: Task 7 拓展学习 无锡中原医疗器械: customer data scattered across branches; a salesperson's
#: departure took customers along — the case for central management. :func:`scattered_records`
#: copies its territory (华南 with head office 上海 and an office per province, and 北方; each
#: salesperson covers 2 prefecture-level areas).
WUXI_ZHONGYUAN = {"regions": ("华南", "北方"), "south_head_office": "上海", "areas_per_salesperson": 2,
                  "problem": "customer data scattered across branches; departing salespeople took customers",
                  "erp": "金蝶 K/3", "crm": "金蝶 TEEMS CRM eSales", "cards_handed_in": "weekly, to the 销售内勤"}
__all__ += ["ABSENT"]
