"""Pipeline KPIs (商机阶段控制指标) over a DataFrame shaped like ``crmlab.datasets.load("opportunities")``."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes
from crmlab.sales_method import (
    DEFAULT_METHOD, STATUS, STATUSES, InvalidValue, UnknownLabel, _short, _ts, status_code,
)


# --------------------------------------------------------------------------------------------
# Pipeline KPIs over a DataFrame shaped like crmlab.datasets.load("opportunities")
# --------------------------------------------------------------------------------------------
_REQUIRED = ("stage", "status", "expected_revenue")


def validate_opportunities(opps: pd.DataFrame, method: SalesMethod = DEFAULT_METHOD,
                           columns: Sequence[str] = _REQUIRED) -> pd.DataFrame:
    """Checked copy of an opportunities table with canonical stage and status codes.

    Accepts Chinese or English stage names and statuses (了解情况 … / 赢单 …). Raises
    :class:`UnknownLabel` for unknown stages or statuses, :class:`InvalidValue` for missing
    columns, negative or non-numeric amounts and closed dates before created dates. The
    caller's DataFrame is never changed.

    >>> df = pd.DataFrame({"stage": ["了解情况", "signing"], "status": ["进行中", "赢单"],
    ...                    "expected_revenue": [1000, 2000]})
    >>> validate_opportunities(df)[["stage", "status"]].to_dict("list")
    {'stage': ['understanding', 'signing'], 'status': ['open', 'won']}
    """
    if not isinstance(opps, pd.DataFrame):
        raise InvalidValue("NOT_A_FRAME", "opportunities must be a pandas DataFrame", "商机数据必须是 DataFrame")
    missing = [c for c in columns if c not in opps.columns]
    if missing:
        raise InvalidValue("MISSING_COLUMNS", f"missing columns {missing}", f"缺少列 {missing}")
    out = opps.copy(deep=False)      # copy-on-write: the caller's frame is never changed
    status, _ = _map_labels(out["status"], STATUS)
    bad = out.loc[status.isna(), "status"]
    if len(bad):
        raise UnknownLabel("UNKNOWN_STATUS", f"unknown status values {_short(bad.unique())}; use {list(STATUSES)}",
                           f"未知的状态 {_short(bad.unique())}，可用：进行中/赢单/输单/潜在")
    stage, blank = _map_labels(out["stage"], method._aliases)
    bad = out.loc[stage.isna() & ~blank, "stage"]
    if len(bad):
        names = [f"{s.code} {s.name_zh}" for s in method.stages]
        raise UnknownLabel("UNKNOWN_STAGE", f"unknown stage values {_short(bad.unique())}; the stages are {names}",
                           f"未知的销售阶段 {_short(bad.unique())}；可用阶段：{names}")
    need_stage = blank & (status != "potential")
    if need_stage.any():
        raise InvalidValue("STAGE_REQUIRED", f"{int(need_stage.sum())} open/won/lost rows have no stage",
                           f"{int(need_stage.sum())} 行进行中/赢单/输单的商机缺少销售阶段")
    amount = pd.to_numeric(out["expected_revenue"], errors="coerce")
    if amount.isna().any() or not np.isfinite(amount.to_numpy(dtype=float)).all():
        raise InvalidValue("BAD_AMOUNT", "expected_revenue must be numeric (no blanks)", "预计收入必须是数值且不能为空")
    if (amount < 0).any():
        raise InvalidValue("NEGATIVE_AMOUNT", f"{int((amount < 0).sum())} rows have a negative expected_revenue",
                           f"{int((amount < 0).sum())} 行预计收入为负数")
    out["status"], out["stage"], out["expected_revenue"] = status, stage, amount.astype(float)
    for col in ("created_date", "closed_date"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col])
    if {"created_date", "closed_date"} <= set(out.columns):
        early = out["closed_date"] < out["created_date"]
        if early.any():
            raise InvalidValue("CLOSED_BEFORE_CREATED", f"{int(early.sum())} rows close before they were created",
                               f"{int(early.sum())} 行关闭日期早于创建日期")
    return out


def _map_labels(series: pd.Series, aliases: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    """(canonical codes or None, blank mask); maps each distinct label once (fast on big tables)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = [str(u).strip() for u in uniques]
    canon = np.array([aliases.get(k, aliases.get(k.lower())) for k in keys] + [None], dtype=object)
    blank = np.array([k == "" for k in keys] + [True], dtype=bool)      # position -1: missing values
    return (pd.Series(canon[codes], index=series.index, dtype=object),
            pd.Series(blank[codes], index=series.index, dtype=bool))


def _clean_text(series: pd.Series, blank: str = "unspecified") -> pd.Series:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = np.array([str(u).strip() or blank for u in uniques] + [blank], dtype=object)
    return pd.Series(keys[codes], index=series.index, dtype=object)


@computes("pipeline_kpis", "商机阶段控制指标", "pipeline KPIs")
def weighted_forecast(opps: pd.DataFrame, by: str | None = None, method: SalesMethod = DEFAULT_METHOD,
                      probability: str | None = None):
    """Weighted forecast Σ expected_revenue × probability over open opportunities.

    Odoo's ``prorated_revenue`` summed (anchors §3.1). The probability is the stage's
    (:data:`DEFAULT_METHOD`) unless ``probability`` names a column to use instead. Won and lost
    opportunities are excluded (their revenue is realised or gone).

    >>> df = pd.DataFrame({"stage": ["了解情况", "投标阶段", "签约阶段"], "status": ["open", "open", "won"],
    ...                    "expected_revenue": [100_000, 200_000, 50_000], "owner": ["甲", "乙", "甲"]})
    >>> weighted_forecast(df)
    130000.0
    >>> weighted_forecast(df, by="owner").to_dict()
    {'乙': 120000.0, '甲': 10000.0}
    """
    cols = list(_REQUIRED) + [c for c in (by, probability) if c]
    df = validate_opportunities(opps, method, cols)
    open_ = df[df["status"] == "open"]
    if probability is None:
        p = open_["stage"].map(method.probabilities).astype(float)
    else:
        p = pd.to_numeric(open_[probability], errors="coerce")
        if p.isna().any() or ((p < 0) | (p > 1)).any():
            raise InvalidValue("BAD_PROBABILITY", f"column {probability!r} must hold probabilities in [0, 1]",
                               f"列 {probability!r} 必须是 0 到 1 之间的概率")
    weighted = open_["expected_revenue"] * p
    if by is None:
        return float(round(weighted.sum(), 6))
    return weighted.groupby(open_[by]).sum().round(6).rename("weighted_forecast")


@computes("pipeline_kpis")
def funnel(opps: pd.DataFrame, method: SalesMethod = DEFAULT_METHOD, status: str | None = "open") -> pd.DataFrame:
    """Sales funnel 销售漏斗: count, amount and weighted amount per stage, in stage order.

    By default only open opportunities count (Kingdee's funnel of 执行中 opportunities); pass
    ``status=None`` for all rows with a stage. Every stage of the method has a row.

    >>> df = pd.DataFrame({"stage": ["understanding", "understanding", "bidding"],
    ...                    "status": ["open"] * 3, "expected_revenue": [10.0, 20.0, 100.0]})
    >>> funnel(df)[["n", "amount", "weighted"]].loc[["understanding", "bidding"]].to_dict("index")
    {'understanding': {'n': 2, 'amount': 30.0, 'weighted': 3.0}, 'bidding': {'n': 1, 'amount': 100.0, 'weighted': 60.0}}
    """
    df = validate_opportunities(opps, method)
    if status is not None:
        df = df[df["status"] == status_code(status)]
    df = df[df["stage"].notna()]
    g = df.groupby("stage")["expected_revenue"].agg(["size", "sum"]).reindex(list(method.codes), fill_value=0)
    probs = pd.Series(method.probabilities)
    out = pd.DataFrame({"stage_zh": [s.name_zh for s in method.stages], "probability": probs,
                        "n": g["size"].astype(int), "amount": g["sum"].astype(float)}, index=pd.Index(method.codes, name="stage"))
    out["weighted"] = (out["amount"] * out["probability"]).round(6)
    total = out["n"].sum()
    out["share_n"] = out["n"] / total if total else 0.0
    return out


def stage_conversion(opps: pd.DataFrame, method: SalesMethod = DEFAULT_METHOD, closed_only: bool = False) -> pd.DataFrame:
    """Stage-to-stage conversion from a snapshot: how many reached each stage and went on.

    Stages are pushed one at a time, so an opportunity now at stage k (open, or won/lost there)
    passed stages 1 … k−1. ``reached`` counts those; ``to_next`` = reached(k+1) / reached(k),
    and for the last stage won / reached. Open opportunities have not finished yet and pull
    rates down; ``closed_only=True`` uses won and lost ones only (a cohort view).

    >>> df = pd.DataFrame({"stage": ["understanding", "proposal", "signing", "signing"],
    ...                    "status": ["lost", "lost", "won", "lost"], "expected_revenue": [1.0] * 4})
    >>> stage_conversion(df)["reached"].tolist(), stage_conversion(df)["to_next"].round(2).tolist()
    ([4, 3, 3, 2, 2], [0.75, 1.0, 0.67, 1.0, 0.5])
    """
    df = validate_opportunities(opps, method)
    df = df[df["status"] != "potential"]
    if closed_only:
        df = df[df["status"].isin(["won", "lost"])]
    idx = df["stage"].map({c: i for i, c in enumerate(method.codes)}).to_numpy(dtype=int)
    k = len(method.codes)
    at = np.bincount(idx, minlength=k)
    reached = at[::-1].cumsum()[::-1]
    lost = np.bincount(idx[(df["status"] == "lost").to_numpy()], minlength=k)
    open_ = np.bincount(idx[(df["status"] == "open").to_numpy()], minlength=k)
    won = int((df["status"] == "won").sum())
    nxt = np.append(reached[1:], won).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        to_next = np.where(reached > 0, nxt / np.maximum(reached, 1), np.nan)
    return pd.DataFrame({"stage_zh": [s.name_zh for s in method.stages], "reached": reached, "open_here": open_,
                         "lost_here": lost, "to_next": to_next}, index=pd.Index(method.codes, name="stage"))


@computes("pipeline_kpis")
def win_rate(opps: pd.DataFrame, by: str | None = None):
    """Win rate = won / (won + lost) over closed opportunities (Kingdee 赢单率).

    >>> df = pd.DataFrame({"stage": ["signing", "proposal", "bidding"], "status": ["won", "lost", "open"],
    ...                    "expected_revenue": [1.0, 1.0, 1.0]})
    >>> win_rate(df)
    0.5
    """
    df = validate_opportunities(opps, columns=list(_REQUIRED) + ([by] if by else []))
    closed = df[df["status"].isin(["won", "lost"])]
    won = closed["status"] == "won"
    if by is None:
        return float(won.mean()) if len(closed) else math.nan
    return won.groupby(closed[by]).mean().rename("win_rate")


def conversion_rate(n_valid: int, n_won: int) -> float:
    """Share of valid opportunities turned into successful ones.

    Task 7 intro (商机管理出效益): 139 valid opportunities, 40 converted → 28.8 %.

    >>> round(conversion_rate(139, 40), 4)
    0.2878
    """
    for v, name in ((n_valid, "n_valid"), (n_won, "n_won")):
        if isinstance(v, bool) or not float(v).is_integer() or v < 0:
            raise InvalidValue("BAD_COUNT", f"{name} must be a whole number ≥ 0", f"{name} 必须是非负整数")
    if n_won > n_valid or n_valid == 0:
        raise InvalidValue("BAD_COUNT", "need 0 ≤ n_won ≤ n_valid and n_valid > 0", "需要 0 ≤ 成功数 ≤ 有效数 且有效数 > 0")
    return n_won / n_valid


# Task 7 intro: a city telecom branch's 招生秘书 campaign. 95.269万元 is printed with a space.
TELECOM_CASE = {"valid": 139, "won": 40, "one_off_revenue": 952_690.0, "monthly_revenue_over": 20_000.0}


@computes("pipeline_kpis")
def cycle_time(opps: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Days from creation to close for won and lost opportunities: n, mean, median.

    >>> df = pd.DataFrame({"stage": ["signing", "proposal"], "status": ["won", "lost"],
    ...                    "expected_revenue": [1.0, 1.0], "created_date": ["2024-01-01", "2024-01-01"],
    ...                    "closed_date": ["2024-01-31", "2024-01-11"]})
    >>> cycle_time(df)["mean_days"].to_dict()
    {'lost': 10.0, 'won': 30.0}
    """
    cols = list(_REQUIRED) + ["created_date", "closed_date"] + ([by] if by else [])
    df = validate_opportunities(opps, columns=cols)
    closed = df[df["status"].isin(["won", "lost"])]
    if closed["closed_date"].isna().any():
        raise InvalidValue("MISSING_CLOSED_DATE", "won/lost rows need a closed_date", "赢单/输单的商机必须有关闭日期")
    days = (closed["closed_date"] - closed["created_date"]).dt.days.rename("days")
    keys = [closed["status"]] + ([closed[by]] if by else [])
    out = days.groupby(keys).agg(["size", "mean", "median"])
    out.columns = ["n", "mean_days", "median_days"]
    return out.astype({"n": int, "mean_days": float, "median_days": float})


# Age buckets in days (crmlab's defaults): 0–30, 31–60, 61–90, over 90.
AGING_BINS = (30, 60, 90)


def _age_labels(bins):
    edges = [0, *bins]
    return [f"{a + (1 if i else 0)}-{b}" for i, (a, b) in enumerate(zip(edges, edges[1:]))] + [f">{bins[-1]}"]


def opportunity_age(opps: pd.DataFrame, as_of, method: SalesMethod = DEFAULT_METHOD,
                    bins: Sequence[int] = AGING_BINS) -> pd.DataFrame:
    """Open opportunities with their age, age bucket, planned days and an overdue flag.

    ``planned_days`` = sum of the method's stage days up to and including the current stage
    (Kingdee 阶段天数); ``overdue`` = age > planned_days. Crmlab's reading of "average dwell time
    per stage versus the time limit" (table 7-4 is lost).

    >>> df = pd.DataFrame({"stage": ["understanding", "proposal"], "status": ["open", "open"],
    ...                    "expected_revenue": [1.0, 2.0], "created_date": ["2024-01-01", "2024-02-20"]})
    >>> opportunity_age(df, "2024-03-01")[["age_days", "age_bucket", "planned_days", "overdue"]].to_dict("list")
    {'age_days': [60, 10], 'age_bucket': ['31-60', '0-30'], 'planned_days': [10, 40], 'overdue': [True, False]}
    """
    df = validate_opportunities(opps, method, list(_REQUIRED) + ["created_date"])
    df = df[df["status"] == "open"].copy()
    now = pd.Timestamp(_ts(as_of, "as_of"))
    age = (now - df["created_date"]).dt.days
    if (age < 0).any():
        raise InvalidValue("CREATED_AFTER_AS_OF", f"{int((age < 0).sum())} open rows were created after as_of",
                           f"{int((age < 0).sum())} 行商机的创建日期晚于统计日期")
    bins = [int(b) for b in bins]
    if not bins or bins != sorted(set(bins)) or bins[0] <= 0:
        raise InvalidValue("BAD_BINS", "bins must be increasing positive day counts", "分组边界必须是递增的正天数")
    labels = _age_labels(bins)
    codes = np.searchsorted(np.asarray(bins), age.to_numpy(), side="left")
    df["age_days"] = age.astype(int)
    df["age_bucket"] = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    cum = dict(zip(method.codes, np.cumsum([s.days for s in method.stages]).tolist()))
    df["planned_days"] = df["stage"].map(cum).astype(int)
    df["overdue"] = df["age_days"] > df["planned_days"]
    return df


def aging(opps: pd.DataFrame, as_of, method: SalesMethod = DEFAULT_METHOD,
          bins: Sequence[int] = AGING_BINS) -> pd.DataFrame:
    """Aging of the open pipeline by age bucket: n, amount, overdue count and overdue amount.

    >>> df = pd.DataFrame({"stage": ["understanding", "proposal"], "status": ["open", "open"],
    ...                    "expected_revenue": [1.0, 2.0], "created_date": ["2024-01-01", "2024-02-20"]})
    >>> aging(df, "2024-03-01")["n"].to_dict()
    {'0-30': 1, '31-60': 1, '61-90': 0, '>90': 0}
    """
    df = opportunity_age(opps, as_of, method, bins)
    od = df["overdue"]
    grouped = pd.DataFrame({"n": 1, "amount": df["expected_revenue"], "overdue": od.astype(int),
                            "overdue_amount": df["expected_revenue"].where(od, 0.0)}).groupby(df["age_bucket"], observed=False)
    out = grouped.sum()
    out.index.name = "age_bucket"
    return out.astype({"n": int, "overdue": int})


def win_loss_reasons(opps: pd.DataFrame, outcome: str = "lost") -> pd.DataFrame:
    """Reasons for lost (or won) opportunities: n, share and amount, most frequent first.

    Uses the ``lost_reason`` column (or ``win_reason`` with ``outcome="won"``); blanks count as
    ``unspecified``.

    >>> df = pd.DataFrame({"stage": ["proposal"] * 3, "status": ["lost"] * 3, "expected_revenue": [1.0, 2.0, 3.0],
    ...                    "lost_reason": ["price_too_high", "budget_cut", "price_too_high"]})
    >>> win_loss_reasons(df).to_dict("index")["price_too_high"]
    {'n': 2, 'share': 0.6666666666666666, 'amount': 4.0}
    """
    outcome = status_code(outcome)
    if outcome not in ("won", "lost"):
        raise UnknownLabel("UNKNOWN_OUTCOME", "outcome must be won or lost", "outcome 必须是 赢单 或 输单")
    col = "lost_reason" if outcome == "lost" else "win_reason"
    df = validate_opportunities(opps, columns=list(_REQUIRED) + [col])
    rows = df[df["status"] == outcome]
    reason = _clean_text(rows[col])
    out = rows["expected_revenue"].groupby(reason).agg(["size", "sum"])
    out.columns = ["n", "amount"]
    out.index.name = col
    out["share"] = out["n"] / out["n"].sum() if len(out) else 0.0
    return out.sort_values(["n", "amount"], ascending=False)[["n", "share", "amount"]].astype({"n": int})


@computes("pipeline_kpis")
def pipeline_kpis(opps: pd.DataFrame, as_of, method: SalesMethod = DEFAULT_METHOD) -> pd.Series:
    """Headline KPIs of a pipeline in one Series (the table-7-4 style key parameters).

    n_open, open_amount, weighted_forecast, n_won, n_lost, win_rate, won_amount,
    mean_days_to_win, mean_days_to_lose, n_overdue, overdue_share and top_loss_reason.

    >>> from crmlab import datasets
    >>> k = pipeline_kpis(datasets.load("opportunities"), as_of="2025-12-31")
    >>> int(k["n_open"] + k["n_won"] + k["n_lost"])
    820
    """
    cols = list(_REQUIRED) + ["created_date", "closed_date", "lost_reason"]
    df = validate_opportunities(opps, method, cols)
    status = df["status"]
    open_, won, lost = df[status == "open"], df[status == "won"], df[status == "lost"]
    weighted = float(round((open_["expected_revenue"] * open_["stage"].map(method.probabilities)).sum(), 6))
    n_closed = len(won) + len(lost)
    days_won = (won["closed_date"] - won["created_date"]).dt.days
    days_lost = (lost["closed_date"] - lost["created_date"]).dt.days
    age = opportunity_age(df, as_of, method)
    reasons = _clean_text(lost["lost_reason"])
    return pd.Series({
        "n_open": len(open_), "open_amount": float(open_["expected_revenue"].sum()),
        "weighted_forecast": weighted, "n_won": len(won), "n_lost": len(lost),
        "win_rate": len(won) / n_closed if n_closed else math.nan,
        "won_amount": float(won["expected_revenue"].sum()),
        "mean_days_to_win": float(days_won.mean()) if len(won) else math.nan,
        "mean_days_to_lose": float(days_lost.mean()) if len(lost) else math.nan,
        "n_overdue": int(age["overdue"].sum()),
        "overdue_share": float(age["overdue"].mean()) if len(age) else math.nan,
        "top_loss_reason": str(reasons.value_counts().index[0]) if len(reasons) else "",
    }, dtype=object, name="kpi")
