"""Dealer evaluation (task 5 §5.3.2 3) and FedEx's customer score with its 7 groups (task 5 拓展学习)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes
from ._errors import ArchiveError, _amounts, _as_of, _dates, _need_columns, _need_frame


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
