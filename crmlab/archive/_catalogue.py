"""The three-level catalogue of customer data (三级客户资料, task 5 §5.1.2), the ways of collecting
data (§5.1.1) and the content of an archive (§5.1.3, §5.2.1)."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from crmlab import glossary
from ._errors import ArchiveError, _need_columns, _need_frame, _short


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
