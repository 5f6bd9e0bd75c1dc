"""History 发展历程 (task 2): causes, technology lineage, theory evolution, management philosophies,
consumption eras, the 海底捞 survey and the personal-information categories of PIPL."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ._common import ConceptError, _bad, key_of


# ======================================================================================
# 4 History 发展历程 — task 2
# ======================================================================================

#: Task 2 §2.2: the three causes of CRM and the role each plays.
CAUSES: dict[str, tuple[str, str, str]] = {
    "needs": ("需求的变化", "changing needs", "根本原因 the root cause (§2.2.1)"),
    "theory": ("企业相关管理理论的发展", "development of management theory", "理论依据 the theoretical basis (§2.2.2)"),
    "technology": ("信息技术的发展", "development of information technology", "技术条件 the technical condition (§2.2.3)"),
}

# The four sequences of task 2 are listed alphabetically by key: their historical order is what
# lab 04 exercise 2 asks, and the consumption eras' standards of choice are kept in its graded tests.

#: Task 2 §2.2.3 and §2.1: the stages of the technology lineage that ends in CRM (around 1990, USA).
TECH_LINEAGE: dict[str, tuple[str, str]] = {
    "call_centre": ("呼叫中心 Call Center", "call centre (SFA + CSS + marketing + field service + CTI)"),
    "contact_management": ("联系人管理软件（接触管理）", "contact management software"),
    "crm": ("客户关系管理 CRM", "customer relationship management (CRM)"),
    "css": ("客户服务系统 CSS", "customer service system (CSS)"),
    "sfa": ("销售自动化系统 SFA", "sales force automation (SFA)"),
}

#: Task 2 §2.3: the stages of the theory.
THEORY_EVOLUTION: dict[str, tuple[str, str]] = {
    "contact_management": ("客户接触管理", "customer contact management"),
    "crm_theory": ("客户关系管理理论", "CRM theory"),
    "customer_alliance": ("客户联盟理论", "customer alliance theory"),
    "customer_service": ("客户服务理论", "customer service theory"),
}

#: Task 2 §2.2.2 (prose of 表2-1): the management philosophies.
MANAGEMENT_PHILOSOPHIES: dict[str, tuple[str, str, str]] = {
    "customer": ("客户中心论", "customer-centred", "homogeneous products, many choices: CRM is the core"),
    "output": ("产值中心论", "output-centred", "seller's market: expand production"),
    "profit": ("利润中心论", "profit-centred", "costs soar: cut cost in every link"),
    "sales": ("销售中心论", "sales-centred", "competition appears: promotion and quality control"),
    "satisfaction": ("客户满意中心论", "customer-satisfaction-centred", "satisfaction decides the firm's benefit"),
}

#: Task 2 §2.2.2 (prose of 表2-3): the eras of consumer value orientation (消费者价值取向).
CONSUMPTION_ERAS: dict[str, tuple[str, str]] = {
    "emotional": ("感情消费时代", "emotional consumption"),
    "rational": ("理性消费时代", "rational consumption"),
    "sensory": ("感觉消费时代", "sensory consumption"),
}


def history_timeline() -> pd.DataFrame:
    """The dated events of CRM's history as each source states them (task 2 §2.1, §2.3.1; [000] §1.1).

    The sources disagree on when contact management began (1980, late 1970s, early 1980s), so the
    table keeps one row per statement with its source; ``year`` is the approximate year used to plot.

    >>> history_timeline().query("event == 'contact management begins'")["source"].tolist()
    ['[004] task 2 §2.1', '[004] task 2 §2.3.1', '[000] §1.1.1']
    """
    rows = [
        ("contact management begins", "接触管理出现", "1980", 1980, "[004] task 2 §2.1"),
        ("contact management begins", "接触管理出现", "20世纪70年代后期 late 1970s", 1977, "[004] task 2 §2.3.1"),
        ("contact management begins", "接触管理出现", "20世纪80年代初 early 1980s", 1981, "[000] §1.1.1"),
        ("systems built on contact management", "在接触管理软件基础上发展出多种系统", "1990年前后 around 1990", 1990,
         "[004] task 2 §2.2.3"),
        ("customer care with call centres", "演变为客户关怀", "1990", 1990, "[004] task 2 §2.1"),
        ("customer service theory", "客户服务理论", "20世纪90年代初 early 1990s", 1991, "[004] task 2 §2.3.2"),
        ("Gartner Group proposes CRM", "高德纳提出CRM概念", "1999", 1999, "[004] task 2 §2.1"),
        ("one of the five best management tools", "全球五大管理工具之一", "2004", 2004, "[004] task 1 知识链接"),
    ]
    return pd.DataFrame(rows, columns=["event", "event_zh", "stated", "year", "source"])


#: [001] 项目一 opening case 海底捞, prospectus (招股说明书) figures; "very_satisfied" is "超过50%".
HAIDILAO_FIGURES: dict[str, float] = {
    "monthly_visitors": 0.683, "would_return": 0.982, "satisfied": 0.993, "very_satisfied": 0.50,
}

_VISITS = ["每周", "每月", "每季度", "每半年", "更少"]          # at least monthly: 每周, 每月
_SATISFACTION = ["非常满意", "满意", "一般", "不满意", "非常不满意"]  # satisfied: 非常满意, 满意


def haidilao_survey(n: int = 1000, seed: int | None = None, very_satisfied: float = 0.52) -> pd.DataFrame:
    """A synthetic diner survey whose shares are the 海底捞 prospectus figures ([001] 项目一 opening case).

    Exactly ``round(share × n)`` respondents visit at least monthly (68.3 %), would come again
    (98.2 %) and are satisfied (99.3 %); ``very_satisfied`` of them (default 52 %, the source says only
    "over 50 %") chose 非常满意. Columns: ``respondent``, ``visits`` (每周 / 每月 / 每季度 / 每半年 / 更少),
    ``come_again`` (会 / 不会), ``satisfaction`` (非常满意 … 非常不满意). The data are invented; only the
    shares are the source's.

    >>> survey_summary(haidilao_survey()).round(3).tolist()
    [0.683, 0.982, 0.993, 0.52]
    """
    if n < 1:
        raise _bad(f"n must be at least 1, got {n}", f"样本量至少为 1：{n}")
    if not HAIDILAO_FIGURES["very_satisfied"] < very_satisfied <= HAIDILAO_FIGURES["satisfied"]:
        raise _bad("very_satisfied must be over 0.5 and at most 0.993 (the source: over 50 %)",
                   "非常满意比例必须大于 0.5 且不超过 0.993（来源：超过50%）")
    rng = np.random.default_rng(2018 if seed is None else seed)

    def flags(share):
        k = int(round(share * n))
        out = np.zeros(n, dtype=bool)
        out[rng.choice(n, size=k, replace=False)] = True
        return out

    monthly = flags(HAIDILAO_FIGURES["monthly_visitors"])
    visits = np.where(monthly, rng.choice(_VISITS[:2], size=n, p=[0.3, 0.7]),
                      rng.choice(_VISITS[2:], size=n, p=[0.5, 0.3, 0.2]))
    again = np.where(flags(HAIDILAO_FIGURES["would_return"]), "会", "不会")
    k_sat, k_very = int(round(HAIDILAO_FIGURES["satisfied"] * n)), int(round(very_satisfied * n))
    sat = np.array(["非常满意"] * k_very + ["满意"] * (k_sat - k_very)
                   + list(rng.choice(_SATISFACTION[2:], size=n - k_sat, p=[0.6, 0.3, 0.1])))
    sat = sat[rng.permutation(n)]
    return pd.DataFrame({"respondent": [f"R{i + 1:04d}" for i in range(n)], "visits": visits,
                         "come_again": again, "satisfaction": sat})


@computes("survey_summary", "海底捞调查的四项指标", "the Haidilao survey indicators")
def survey_summary(survey: pd.DataFrame) -> pd.Series:
    """The four 海底捞 indicators of a diner survey, as shares of all respondents.

    ``monthly_visitors`` (visits 每周 or 每月: at least once a month, 品牌忠诚度), ``would_return``
    (come_again 会), ``satisfied`` (非常满意 or 满意, 品牌美誉度) and ``very_satisfied`` (非常满意).

    >>> s = pd.DataFrame({"visits": ["每周", "每季度"], "come_again": ["会", "会"],
    ...                   "satisfaction": ["满意", "非常满意"]})
    >>> survey_summary(s).tolist()
    [0.5, 1.0, 1.0, 0.5]
    """
    for col, allowed in (("visits", _VISITS), ("come_again", ["会", "不会"]), ("satisfaction", _SATISFACTION)):
        if col not in survey.columns:
            raise _bad(f"the survey needs a {col!r} column", f"问卷缺少列 {col!r}")
        unknown = sorted(set(survey[col]) - set(allowed))
        if unknown:
            raise _bad(f"unknown answers in {col!r}: {unknown}; allowed {allowed}",
                       f"列 {col!r} 中有未知答案：{unknown}；允许 {allowed}")
    if survey.empty:
        raise _bad("the survey has no respondents", "问卷没有受访者")
    return pd.Series({
        "monthly_visitors": survey["visits"].isin(_VISITS[:2]).mean(),
        "would_return": (survey["come_again"] == "会").mean(),
        "satisfied": survey["satisfaction"].isin(_SATISFACTION[:2]).mean(),
        "very_satisfied": (survey["satisfaction"] == "非常满意").mean(),
    }, name="share")


#: 个人信息保护法 (PIPL, 2021) Art. 28: the kinds of sensitive personal information (敏感个人信息).
#: Processing them needs a specific purpose, sufficient necessity and separate consent (Art. 28–29).
PIPL_SENSITIVE: dict[str, tuple[str, str]] = {
    "biometric": ("生物识别", "biometric data"),
    "religious_belief": ("宗教信仰", "religious belief"),
    "specific_identity": ("特定身份", "specific identity"),
    "medical_health": ("医疗健康", "medical and health data"),
    "financial_account": ("金融账户", "financial accounts"),
    "whereabouts": ("行踪轨迹", "whereabouts and tracks"),
    "minor_under_14": ("不满十四周岁未成年人的个人信息", "personal information of a child under 14"),
}

#: PIPL Art. 13: the lawful bases for processing personal information (our short wording).
PIPL_LAWFUL_BASES: dict[str, tuple[str, str]] = {
    "consent": ("取得个人的同意", "the individual's consent"),
    "contract": ("为订立、履行个人作为一方当事人的合同所必需", "necessary for a contract with the individual"),
    "hr": ("为实施人力资源管理所必需", "necessary for human-resources management"),
    "legal_duty": ("为履行法定职责或者法定义务所必需", "necessary for a legal duty"),
    "emergency": ("为应对突发公共卫生事件或紧急情况所必需", "public-health emergency or to protect life and property"),
    "news": ("为公共利益实施新闻报道、舆论监督", "news reporting in the public interest"),
    "public": ("处理已合法公开的个人信息", "information already lawfully made public"),
}


def is_sensitive(category) -> bool:
    """True when a category of personal information is sensitive under PIPL Art. 28.

    Accepts the keys and names of :data:`PIPL_SENSITIVE`; any other category is ordinary personal
    information (个人信息), which still needs a lawful basis (Art. 13) and a clear, minimal purpose
    (Art. 6).

    >>> is_sensitive("医疗健康"), is_sensitive("address")
    (True, False)
    """
    try:
        key_of(category, PIPL_SENSITIVE)
    except ConceptError:
        return False
    return True


@computes("repeat_profit_share", "老客户带来的利润占比", "share of profit from kept customers")
def repeat_profit_share(orders: pd.DataFrame, year: int) -> float:
    """Share of ``year``'s profit (amount − cost) made with customers who also bought the year before.

    A way to put numbers on James Moore's remark (task 2 知识作业 4) that customers decide a firm's
    profit: how much of this year's profit rests on customers the firm kept. crmlab's measure.

    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 30.0, 20.0],
    ...     "cost": [5.0, 10.0, 15.0], "order_date": pd.to_datetime(["2024-03-01", "2025-03-01", "2025-04-01"])})
    >>> repeat_profit_share(orders, 2025)
    0.8
    """
    for col in ("customer_id", "order_date", "amount", "cost"):
        if col not in orders.columns:
            raise _bad(f"orders need a {col!r} column", f"订单表缺少列 {col!r}")
    years = orders["order_date"].dt.year
    this = orders[years == year]
    if this.empty:
        raise _bad(f"no orders in {year}", f"{year} 年没有订单")
    kept = set(orders.loc[years == year - 1, "customer_id"])
    profit = this["amount"] - this["cost"]
    total = profit.sum()
    if math.isclose(total, 0.0, abs_tol=1e-12):
        raise _bad(f"total profit in {year} is zero", f"{year} 年总利润为零")
    return float(profit[this["customer_id"].isin(kept)].sum() / total)
