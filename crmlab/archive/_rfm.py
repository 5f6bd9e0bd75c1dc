"""RFM quintiles (125 cells) and customer migration between periods (task 5 拓展学习 附：RFM方法)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes
from ._errors import ArchiveError, _as_of, _need_columns, _short
from ._evaluation import _order_frame


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
