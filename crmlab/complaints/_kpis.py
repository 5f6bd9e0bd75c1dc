"""Complaint KPIs (steps 4 and 8 of task 10 §10.2.3): complaint rate, hours to close, SLA share,
Pareto of causes and the customers lost."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..shortcuts import computes
from .._validate import blank_mask as _blanks, preview as _rows
from ._errors import _err, _need_columns, _to_dt
from ._typology import typology


# --------------------------------------------------------------------------- KPIs (steps 4 and 8)
def _checked_times(complaints: pd.DataFrame, received_at: str, closed_at: str, status: str | None) -> pd.DataFrame:
    _need_columns(complaints, [received_at, closed_at] + ([status] if status else []), "complaints")
    rec = _to_dt(complaints[received_at])
    raw_closed = complaints[closed_at]
    closed = _to_dt(raw_closed.where(~raw_closed.pipe(_blanks)))
    problems = []
    bad = complaints.index[rec.isna()]
    if len(bad):
        problems.append(f"missing/unreadable {received_at} in rows {_rows(bad)}")
    bad = complaints.index[closed.isna() & ~raw_closed.pipe(_blanks)]
    if len(bad):
        problems.append(f"unreadable {closed_at} in rows {_rows(bad)}")
    bad = complaints.index[closed < rec]
    if len(bad):
        problems.append(f"{closed_at} before {received_at} in rows {_rows(bad)}")
    if status:
        st = complaints[status].astype(str).str.strip().str.casefold()
        unknown = complaints.index[~st.isin(["open", "closed"])]
        if len(unknown):
            problems.append(f"{status} must be open or closed; rows {_rows(unknown)}")
        bad = complaints.index[(st == "closed") & closed.isna()]
        if len(bad):
            problems.append(f"closed without {closed_at} in rows {_rows(bad)}")
        bad = complaints.index[(st == "open") & closed.notna()]
        if len(bad):
            problems.append(f"open but with a {closed_at} in rows {_rows(bad)}")
    if problems:
        raise _err("malformed complaint times: " + "; ".join(problems) + ".",
                   "投诉时间数据有误（详见后面的英文说明），请先修正。")
    return pd.DataFrame({"received": rec, "closed": closed}, index=complaints.index)


@computes("complaint_kpis", "投诉指标（投诉率、结案时长、达标率）", "complaint KPIs")
def complaint_rate(complaints: pd.DataFrame, orders: pd.DataFrame, *, per: int = 1000,
                   received_at: str = "received_at", order_date: str = "order_date",
                   start=None, end=None) -> float:
    """Complaints per ``per`` orders (投诉率), textbook task 10 §10.2.3 step 8.

    Both tables are cut to the same period when ``start``/``end`` are given (inclusive dates);
    otherwise all rows count. Rounded to 4 decimals.

    Examples
    --------
    >>> c = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-03", "2024-02-01", "2025-01-01"])})
    >>> o = pd.DataFrame({"order_date": pd.date_range("2024-01-01", periods=1500, freq="h")})
    >>> complaint_rate(c, o), complaint_rate(c, o, end="2024-12-31")
    (2.0, 1.3333)
    """
    _need_columns(complaints, [received_at], "complaints")
    _need_columns(orders, [order_date], "orders")
    crec = _to_dt(complaints[received_at])
    odate = _to_dt(orders[order_date])
    for what, col, values, frame in (("complaints", received_at, crec, complaints), ("orders", order_date, odate, orders)):
        bad = frame.index[values.isna()]
        if len(bad) and (start is not None or end is not None):
            raise _err(f"{what}[{col!r}] has missing dates in rows {_rows(bad)}; cannot cut to a period.",
                       f"{what} 的日期列在这些行为空，无法按期间筛选：{_rows(bad)}。")
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end is not None else None

    def count(values):
        keep = pd.Series(True, index=values.index)
        if lo is not None:
            keep &= values >= lo
        if hi is not None:
            keep &= values < hi
        return int(keep.sum())

    n_c, n_o = count(crec), count(odate)
    if n_o == 0:
        raise _err("there are no orders in the period, so the complaint rate is undefined.", "期间内没有订单，无法计算投诉率。")
    return round(n_c / n_o * per, 4)


@computes("complaint_kpis")
def hours_to_close(complaints: pd.DataFrame, *, received_at: str = "received_at",
                   closed_at: str = "closed_at", status: str | None = "status") -> pd.Series:
    """Hours from receipt to closing for every complaint (``NaN`` while open).

    Inconsistent rows (closed before received, closed without a time, open with a time) raise.

    Examples
    --------
    >>> df = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-01 08:00", "2024-01-02 08:00"]),
    ...                    "closed_at": pd.to_datetime(["2024-01-01 20:30", None]), "status": ["closed", "open"]})
    >>> hours_to_close(df).tolist()
    [12.5, nan]
    """
    t = _checked_times(complaints, received_at, closed_at, status)
    return ((t["closed"] - t["received"]).dt.total_seconds() / 3600).round(2).rename("hours_to_close")


@computes("complaint_kpis")
def sla_share(complaints: pd.DataFrame, sla_hours: float = 24, *, as_of=None, received_at: str = "received_at",
              closed_at: str = "closed_at", status: str | None = "status") -> float:
    """Share of complaints handled within the service-level target (SLA), e.g. 24 hours.

    crmlab default (the textbook asks for speed but sets no target): complaints closed within
    ``sla_hours`` count as met; closed later, or still open after ``sla_hours`` at ``as_of``
    (default: the latest time in the table), count as missed; open complaints still inside the
    window are not decided yet and are left out of the share.

    Examples
    --------
    >>> df = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-04", "2024-01-06"]),
    ...                    "closed_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-03 00:00", None, None]),
    ...                    "status": ["closed", "closed", "open", "open"]})
    >>> sla_share(df, 24)
    0.333333
    """
    if not (isinstance(sla_hours, (int, float, np.integer, np.floating)) and sla_hours > 0):
        raise _err(f"sla_hours must be a positive number, got {sla_hours!r}.", f"sla_hours 必须是正数，收到 {sla_hours!r}。")
    t = _checked_times(complaints, received_at, closed_at, status)
    now = pd.Timestamp(as_of) if as_of is not None else pd.concat([t["received"], t["closed"]]).max()
    limit = t["received"] + pd.Timedelta(hours=float(sla_hours))
    met = t["closed"].notna() & (t["closed"] <= limit)
    missed = (t["closed"].notna() & (t["closed"] > limit)) | (t["closed"].isna() & (now > limit))
    decided = int(met.sum() + missed.sum())
    if decided == 0:
        raise _err("no complaint is decided yet, so the SLA share is undefined.", "还没有可判定的投诉，无法计算达标率。")
    return round(float(met.sum()) / decided, 6)


@computes("complaint_pareto", "投诉原因帕累托表", "Pareto table of complaint causes")
def pareto_of_causes(complaints: pd.DataFrame, by: str = "category", *, textbook_causes: bool = False,
                     vital_share: float = 0.8) -> pd.DataFrame:
    """Pareto table of complaint causes (step 4: find the few causes behind most complaints).

    Columns: ``count``, ``share``, ``cum_share`` and ``vital_few`` (the causes needed to reach
    ``vital_share`` of complaints, 80 % by default — the same rule as ``crmlab.value``'s A class).
    With ``textbook_causes=True`` the dataset's categories are first mapped to the textbook's four
    cause types. Empty causes are an error.

    Examples
    --------
    >>> df = pd.DataFrame({"category": ["delivery"] * 5 + ["price"] * 3 + ["billing"] * 2})
    >>> pareto_of_causes(df)  # doctest: +NORMALIZE_WHITESPACE
              count  share  cum_share  vital_few
    category
    delivery      5    0.5        0.5       True
    price         3    0.3        0.8       True
    billing       2    0.2        1.0      False
    """
    _need_columns(complaints, [by], "complaints")
    values = complaints[by]
    bad = complaints.index[values.pipe(_blanks)]
    if len(bad):
        raise _err(f"complaints[{by!r}] is empty in rows {_rows(bad)}.", f"投诉的 {by!r} 列在这些行为空：{_rows(bad)}。")
    if textbook_causes:
        values = values.map(lambda v: typology("cause", v)).rename("cause")
    counts = values.value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="stable")
    share = counts / counts.sum()
    cum = share.cumsum()
    out = pd.DataFrame({"count": counts, "share": share.round(4), "cum_share": cum.round(4),
                        "vital_few": (cum - share) < vital_share - 1e-12})
    out.index.name = values.name
    return out


@computes("complaint_kpis")
def complaint_kpis(complaints: pd.DataFrame, orders: pd.DataFrame, *, sla_hours: float = 24, as_of=None,
                   received_at: str = "received_at", closed_at: str = "closed_at", status: str = "status",
                   order_date: str = "order_date") -> pd.Series:
    """The complaint dashboard: counts, rate per 1,000 orders, time to close and SLA share.

    Examples
    --------
    >>> from crmlab import datasets
    >>> kpi = complaint_kpis(datasets.load("complaints"), datasets.load("orders"))
    >>> kpi[["n_complaints", "n_open", "rate_per_1000_orders", "median_hours_to_close"]].tolist()
    [119.0, 5.0, 11.0585, 32.5]
    """
    hours = hours_to_close(complaints, received_at=received_at, closed_at=closed_at, status=status)
    return pd.Series({
        "n_complaints": float(len(complaints)),
        "n_orders": float(len(orders)),
        "rate_per_1000_orders": complaint_rate(complaints, orders, received_at=received_at, order_date=order_date),
        "n_open": float(hours.isna().sum()),
        "median_hours_to_close": round(float(hours.median()), 2),
        "mean_hours_to_close": round(float(hours.mean()), 2),
        "share_within_sla": sla_share(complaints, sla_hours, as_of=as_of, received_at=received_at,
                                      closed_at=closed_at, status=status),
    }, name="complaint_kpis")


@computes("complaint_losses", "不满客户中流失的人数", "customers lost to dissatisfaction")
def customers_lost(n_silent: int, n_resolved: int, *, p_leave_silent: float = 0.91,
                   p_leave_resolved: float = 0.18) -> pd.Series:
    """Expected customers lost: silent dissatisfied vs complainers whose problem was solved well.

    Textbook task 10 §10.1.3: 91 % of dissatisfied customers who do not complain stop buying;
    only 18 % of complainers whose problem was resolved well do.

    Examples
    --------
    >>> customers_lost(100, 100).tolist()
    [91.0, 18.0, 109.0]
    """
    for name, v in (("n_silent", n_silent), ("n_resolved", n_resolved)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise _err(f"{name} must be a whole number ≥ 0, got {v!r}.", f"{name} 必须是非负整数，收到 {v!r}。")
    for name, p in (("p_leave_silent", p_leave_silent), ("p_leave_resolved", p_leave_resolved)):
        if not 0 <= p <= 1:
            raise _err(f"{name} must be a probability in [0, 1], got {p!r}.", f"{name} 必须在 0 到 1 之间，收到 {p!r}。")
    silent, resolved = round(n_silent * p_leave_silent, 4), round(n_resolved * p_leave_resolved, 4)
    return pd.Series({"silent": silent, "resolved": resolved, "total": round(silent + resolved, 4)}, name="customers_lost")
