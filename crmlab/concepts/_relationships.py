"""Customer relationships 客户关系 (task 1 §1.2): characteristics, length / depth / breadth, Kotler's
five levels, the supply-chain relationship types and the steps to develop relationships."""
from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._lang import DEFAULT_LANG, check_lang
from ..shortcuts import computes
from ._common import _bad, key_of


# ======================================================================================
# 2 Customer relationships 客户关系 — task 1 §1.2
# ======================================================================================

#: Task 1 §1.2.1: the five characteristics of a customer relationship.
RELATIONSHIP_CHARACTERISTICS: dict[str, tuple[str, str]] = {
    "diversity": ("多样性", "diversity"),
    "difference": ("差异性", "difference"),
    "continuity": ("持续性", "continuity"),
    "competitiveness": ("竞争性", "competitiveness"),
    "win_win": ("双赢性", "win-win"),
}

#: Task 1 §1.2.1: the three dimensions of a relationship and what measures them.
RELATIONSHIP_DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "length": ("客户关系长度", "length", "how long it lasts: the relationship life cycle 考察期→形成期→稳定期→衰退期"),
    "depth": ("客户关系深度", "depth", "its quality: repeat, cross-sell and up-sell revenue, word of mouth and referrals"),
    "breadth": ("客户关系广度", "breadth", "how many: new customers + retained customers + lost customers won back"),
}

#: Task 1 §1.2.1: the relationship life cycle (length).
LIFECYCLE_STAGES: dict[str, tuple[str, str]] = {
    "exploration": ("考察期", "exploration"), "formation": ("形成期", "formation"),
    "stability": ("稳定期", "stability"), "decline": ("衰退期", "decline"),
}

#: Task 1 §1.1.2 (by loyalty): the ladder a satisfied customer climbs.
LOYALTY_LADDER: dict[str, tuple[str, str]] = {
    "potential": ("潜在客户", "potential customer"), "new": ("新客户", "new customer"),
    "repeat": ("老客户", "repeat customer"), "loyal": ("忠诚客户", "loyal customer"),
}


@computes("relationship_breadth", "客户关系广度（新获取/保留/挽回）", "breadth: new, retained, won back")
def relationship_breadth(orders: pd.DataFrame, freq: str = "Q", customer_col: str = "customer_id",
                         date_col: str = "order_date") -> pd.DataFrame:
    """Breadth of the customer relationships (客户关系广度) per period: new, retained and won back.

    Task 1 §1.2.1 measures breadth as new customers acquired + old customers retained + lost
    customers won back. The period (quarter by default) and the exact reading are crmlab's: among
    the customers who order in period *p*,

    - ``new``: first order ever in *p*;
    - ``retained``: also ordered in the period just before *p*;
    - ``won_back``: ordered before, but not in the period just before *p*.

    Returns one row per period from the first to the last (empty periods included), indexed by the
    period as text (``"2024Q1"``), with the three counts as columns.

    >>> orders = pd.DataFrame({"customer_id": ["a", "b", "a", "a", "b", "c"],
    ...     "order_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-04-02",
    ...                                   "2024-07-01", "2024-08-01", "2024-08-09"])})
    >>> relationship_breadth(orders)
            new  retained  won_back
    period                         
    2024Q1    2         0         0
    2024Q2    0         1         0
    2024Q3    1         1         1
    """
    for col in (customer_col, date_col):
        if col not in orders.columns:
            raise _bad(f"orders need a {col!r} column", f"订单表缺少列 {col!r}")
    if orders.empty:
        return pd.DataFrame(columns=["new", "retained", "won_back"], dtype="int64").rename_axis("period")
    period = orders[date_col].dt.to_period(freq)
    pairs = pd.DataFrame({"c": orders[customer_col].to_numpy(), "p": period.to_numpy()}).drop_duplicates()
    by_period = pairs.groupby("p")["c"].agg(set)
    first = pairs.groupby("c")["p"].min()
    rows = {}
    previous: set = set()
    for p in pd.period_range(period.min(), period.max(), freq=freq):
        active = by_period.get(p, set())
        new = {c for c in active if first[c] == p}
        retained = active & previous
        won_back = active - new - retained
        rows[str(p)] = (len(new), len(retained), len(won_back))
        previous = active
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["new", "retained", "won_back"])
    return table.rename_axis("period")


#: Task 1 §1.2.3 表1-6: Kotler's five relationship levels. The table is lost in the source; the names
#: are the standard Chinese translations (only 基本型, 被动型 and 伙伴型 appear in the prose).
KOTLER_LEVELS: dict[str, tuple[str, str, str]] = {
    "basic": ("基本型", "basic", "sells the product and does not follow up"),
    "reactive": ("被动型", "reactive", "sells and invites the customer to call with questions or complaints"),
    "accountable": ("负责型", "accountable", "calls the customer soon after the sale to ask about satisfaction"),
    "proactive": ("能动型", "proactive", "contacts the customer from time to time with improvements and new products"),
    "partnership": ("伙伴型", "partnership", "works continuously with the customer to create more value"),
}

_CUSTOMER_BANDS = {"many": ("多", "many"), "medium": ("中", "medium"), "few": ("少", "few")}
_MARGIN_BANDS = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low")}

# Task 1 §1.2.3 图1-2 (lost): (number of customers, margin) -> level. The prose confirms only
# (few, high) -> partnership and (many, low) -> basic; the other cells follow the standard matrix of
# Kotler's *Marketing Management*, not the textbook's figure. Its pattern: every step towards fewer
# customers or a higher margin moves one level up the list of KOTLER_LEVELS (lab 02 exercise 3).
_CUSTOMER_STEPS = {"many": 0, "medium": 1, "few": 2}
_MARGIN_STEPS = {"low": 0, "medium": 1, "high": 2}


@computes("kotler_level", "科特勒关系水平选择", "Kotler's choice of relationship level")
def kotler_level(customers: str, margin: str) -> str:
    """Kotler's recommended relationship level for a number of customers and a margin level.

    ``customers`` is ``many``/``medium``/``few`` (多/中/少) and ``margin`` ``high``/``medium``/``low``
    (高/中/低). Task 1 §1.2.3 confirms the corners few + high → 伙伴型 and many + low → 基本型; the
    other cells follow the standard matrix (the textbook's 图1-2 is lost).

    >>> kotler_level("多", "低")
    'basic'
    >>> kotler_level("medium", "high")
    'proactive'
    """
    c = key_of(customers, _CUSTOMER_BANDS, "number of customers 客户数量")
    m = key_of(margin, _MARGIN_BANDS, "margin level 边际利润水平")
    return list(KOTLER_LEVELS)[_CUSTOMER_STEPS[c] + _MARGIN_STEPS[m]]


@computes("kotler_level")
def kotler_table(lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Kotler's choice matrix as a 3 × 3 table (rows: number of customers; columns: margin).

    Chinese labels by default; ``lang="en"`` for English.

    >>> kotler_table().loc["少", "高"]
    '伙伴型'
    """
    check_lang(lang, _bad)
    i = 0 if lang == "zh" else 1
    table = pd.DataFrame(
        [[KOTLER_LEVELS[kotler_level(c, m)][i] for m in _MARGIN_BANDS] for c in _CUSTOMER_BANDS],
        index=[_CUSTOMER_BANDS[c][i] for c in _CUSTOMER_BANDS],
        columns=[_MARGIN_BANDS[m][i] for m in _MARGIN_BANDS])
    return table.rename_axis(index="客户数量" if lang == "zh" else "customers",
                             columns="边际利润" if lang == "zh" else "margin")


#: Task 1 §1.2.3 (from the supply-chain view): the four relationship types.
SUPPLY_CHAIN_TYPES: dict[str, tuple[str, str, str]] = {
    "buy_sell": ("买卖关系", "buy–sell", "an ordinary seller: one-off fair trades, standard products, little contact"),
    "preferred_supplier": ("优先供应关系", "preferred supplier",
                           "priority or exclusive chances, good relations with many key people; "
                           "leaving costs the customer little"),
    "partnership": ("合作伙伴关系", "partnership",
                    "relations between top managers, value created together, a huge price for either side to leave"),
    "strategic_alliance": ("战略联盟关系", "strategic alliance",
                           "a formal or informal alliance, aligned goals, possibly cross-shareholding "
                           "or a joint venture"),
}

#: The yes/no features the classifier reads from a described case.
SUPPLY_CHAIN_FEATURES: dict[str, tuple[str, str]] = {
    "equity_ties": ("交叉持股、合资或结盟", "cross-shareholding, joint venture or an alliance agreement"),
    "top_management_ties": ("高层之间的关系", "the relationship runs between top managers"),
    "high_switching_cost": ("转换成本很高", "leaving would cost either side a huge price"),
    "priority_access": ("优先或独家机会", "priority or exclusive business opportunities"),
}

#: The classifier as data: the first rule whose features are all true gives the type. The textbook
#: describes the four types (task 1 §1.2.3) but gives no decision rule; this order is crmlab's reading.
SUPPLY_CHAIN_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("strategic_alliance", ("equity_ties",)),
    ("partnership", ("top_management_ties", "high_switching_cost")),
    ("preferred_supplier", ("priority_access",)),
    ("buy_sell", ()),
)


@computes("supply_chain_type", "供应链关系类型的判定", "supply-chain relationship type")
def supply_chain_type(features: Mapping) -> str:
    """Supply-chain relationship type (task 1 §1.2.3) of one described case.

    ``features`` maps each name of :data:`SUPPLY_CHAIN_FEATURES` to True/False (a dict or a
    DataFrame row). The first rule of :data:`SUPPLY_CHAIN_RULES` whose features are all true wins:
    equity ties → strategic alliance; top-management ties *and* a high switching cost → partnership;
    priority access → preferred supplier; otherwise buy–sell.

    >>> supply_chain_type({"equity_ties": False, "top_management_ties": True,
    ...                    "high_switching_cost": False, "priority_access": True})
    'preferred_supplier'
    """
    missing = [f for f in SUPPLY_CHAIN_FEATURES if f not in features]
    if missing:
        raise _bad(f"the case lacks the feature(s) {missing}", f"案例缺少特征 {missing}")
    values = {}
    for f in SUPPLY_CHAIN_FEATURES:
        v = features[f]
        if not isinstance(v, (bool, np.bool_)):
            raise _bad(f"feature {f!r} must be True or False, got {v!r}", f"特征 {f!r} 必须是 True 或 False：{v!r}")
        values[f] = bool(v)
    for kind, needed in SUPPLY_CHAIN_RULES:
        if all(values[f] for f in needed):
            return kind
    raise AssertionError("unreachable: the last rule has no conditions")  # pragma: no cover


@computes("supply_chain_type")
def supply_chain_types(cases: pd.DataFrame) -> pd.Series:
    """:func:`supply_chain_type` of every row of ``cases`` (a Series with the same index).

    >>> cases = relationship_cases()
    >>> supply_chain_types(cases).value_counts().sort_index().to_dict()
    {'buy_sell': 3, 'partnership': 2, 'preferred_supplier': 3, 'strategic_alliance': 8}
    """
    return pd.Series([supply_chain_type(row) for _, row in cases.iterrows()], index=cases.index,
                     name="relationship_type", dtype=object)


def relationship_cases(seed: int | None = None, n: int | None = None) -> pd.DataFrame:
    """Feature combinations of described cases, to test a classifier on.

    With ``seed=None`` all 16 combinations of the four features in a fixed order; with a seed, ``n``
    (default 16) combinations drawn at random. Index ``case``: ``K01``, ``K02`` …

    >>> relationship_cases().shape
    (16, 4)
    """
    combos = list(itertools.product([False, True], repeat=len(SUPPLY_CHAIN_FEATURES)))
    if seed is not None:
        rng = np.random.default_rng(seed)
        combos = [combos[i] for i in rng.integers(0, len(combos), size=n or len(combos))]
    elif n is not None:
        combos = combos[:n]
    frame = pd.DataFrame(combos, columns=list(SUPPLY_CHAIN_FEATURES))
    frame.index = pd.Index([f"K{i + 1:02d}" for i in range(len(frame))], name="case")
    return frame


#: Task 1 §1.2.4: the three steps to develop customer relationships, listed alphabetically by key
#: (their textbook order is what lab 02 exercise 5 asks).
DEVELOPMENT_STEPS: dict[str, tuple[str, str, str]] = {
    "adapt": ("调整产品或服务以满足每个客户的需要", "adapt products or services to each customer",
              "personalise product and service; lock customers into a learning relationship"),
    "contact": ("与客户保持良好的接触", "keep good contact",
                "lower the cost and raise the effect of each contact; a continuous information chain"),
    "differentiate": ("对客户进行差异分析", "analyse how customers differ",
                      "by value to the firm and by needs, to allocate resources"),
}
