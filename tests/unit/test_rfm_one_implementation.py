"""Issue 18: RFM is computed once (``value._rfm``); ``value.rfm_summary`` and ``archive.rfm_table``
both call it and give exactly what their own implementations gave before.

The references below are verbatim copies of the two implementations as they were before the
merge (commit 3ba1759), built on the same (unchanged) private validators of each module.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import archive, datasets, shortcuts, value
from crmlab.value import (_BIG, _FREQ_UNITS, _amounts, _bad, _customer_codes, _datetimes, _distinct_periods,
                          _period_codes, _require_columns)


def old_rfm_table(orders, as_of, window_days=None, customer="customer_id", date="order_date", amount="amount"):
    as_of = archive._as_of(as_of)
    o = archive._order_frame(orders, as_of, customer, date, amount)
    if window_days is not None:
        if window_days <= 0:
            raise archive.ArchiveError("BAD_WINDOW", "window_days must be positive", "window_days 必须为正数")
        o = o[o["d"] > as_of - pd.Timedelta(days=window_days)]
    g = o.groupby("c")
    out = pd.DataFrame({"recency_days": (as_of - g["d"].max()).dt.days.astype(int), "frequency": g.size().astype(int),
                        "monetary": g["a"].sum().round(6)})
    out.index.name = customer
    return out


def old_rfm_summary(transactions, customer_col, date_col, amount_col, end=None, freq="D"):
    columns = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    _require_columns(transactions, columns)
    if freq not in _FREQ_UNITS and freq != "M":
        raise _bad(f"freq must be one of {list(_FREQ_UNITS) + ['M']}, got {freq!r}",
                   f"freq 只能是 {list(_FREQ_UNITS) + ['M']} 之一，收到 {freq!r}")
    if len(transactions) == 0:
        raise _bad("transactions is empty", "交易表为空")
    ids = transactions[customer_col]
    dates = _datetimes(transactions[date_col], date_col).to_numpy()
    amount = _amounts(transactions[amount_col], amount_col) if amount_col is not None else None
    period = _period_codes(dates, freq)
    if end is None:
        end_period = int(period.max())
    else:
        end_ts = pd.Timestamp(end)
        if end_ts.tzinfo is not None:
            end_ts = end_ts.tz_localize(None)
        end_period = int(_period_codes(np.array([end_ts.to_datetime64()]), freq)[0])
    if period.min() > end_period:
        raise _bad("end before first", "end 早于第一笔交易")
    if period.max() > end_period:
        keep = period <= end_period
        period, ids = period[keep], ids[keep]
        amount = amount[keep] if amount is not None else None
    codes, customers = _customer_codes(ids)
    if (codes < 0).any():
        missing = int((codes < 0).sum())
        raise _bad(f"column {customer_col!r} has {missing} missing customer id(s)",
                   f"列 {customer_col!r} 有 {missing} 个缺失的客户编号")
    n = len(customers)
    first = np.full(n, _BIG, dtype=np.int64)
    last = np.full(n, -_BIG, dtype=np.int64)
    np.minimum.at(first, codes, period)
    np.maximum.at(last, codes, period)
    rel = period - first[codes]
    frequency = _distinct_periods(codes, rel, last - first + 1) - 1
    out = pd.DataFrame({"frequency": frequency.astype(float), "recency": (last - first).astype(float),
                        "T": (end_period - first).astype(float)}, index=customers)
    if amount is not None:
        repeat_total = np.bincount(codes, weights=np.where(rel > 0, amount, 0.0), minlength=n)
        out["monetary_value"] = np.divide(repeat_total, frequency, out=np.zeros(n), where=frequency > 0)
    out.index.name = customer_col
    return out


def same(new, old):
    """Identical frames: values (exactly), dtypes, index values, index dtype and name."""
    pd.testing.assert_frame_equal(new, old, check_exact=True, check_index_type=True, check_column_type=True)
    assert new.index.name == old.index.name


@pytest.fixture(scope="module")
def orders():
    return datasets.load("orders")


def _toy():
    return pd.DataFrame({
        "customer_id": ["b", "a", "a", "c", "a", "b", "d", "d"],
        "order_date": ["2025-01-01", "2025-06-01", "2025-06-01", "2025-03-01 18:30", "2025-06-01 09:00",
                       "2025-06-30 23:59", "2025-07-02", "2025-06-30"],
        "amount": [100.0, 50.0, 50.0, 80.0, 0.1, 0.2, 7.0, 0.3]})


@pytest.mark.parametrize("as_of, window", [("2025-12-31", 365), ("2024-12-31", 365), ("2025-12-31", None),
                                           ("2025-06-30", 90), ("2025-06-30 12:00", 30), ("2023-01-15", 1)])
def test_rfm_table_unchanged_on_the_shipped_orders(orders, as_of, window):
    same(archive.rfm_table(orders, as_of, window), old_rfm_table(orders, as_of, window))


@pytest.mark.parametrize("as_of, window", [("2025-06-30", None), ("2025-06-30 23:59", None), ("2025-07-05", 5),
                                           ("2025-06-30", 1), ("2025-12-31", 30), ("2025-01-01", None)])
def test_rfm_table_unchanged_on_edge_cases(as_of, window):
    toy = _toy()                                    # ties (same day, same timestamp), times of day, windows
    same(archive.rfm_table(toy, as_of, window), old_rfm_table(toy, as_of, window))
    one = toy[toy["customer_id"] == "a"]            # one customer
    same(archive.rfm_table(one, as_of, window), old_rfm_table(one, as_of, window))
    ints = toy.assign(customer_id=toy["customer_id"].map({"a": 10**12, "b": 3, "c": -4, "d": 7}))   # sparse ints
    same(archive.rfm_table(ints, as_of, window), old_rfm_table(ints, as_of, window))
    dense = toy.assign(customer_id=toy["customer_id"].map({"a": 2, "b": 1, "c": 0, "d": 3}).astype("int32"))
    same(archive.rfm_table(dense, as_of, window), old_rfm_table(dense, as_of, window))
    holes = toy.assign(customer_id=toy["customer_id"].where(toy["customer_id"] != "b", None))   # missing ids
    same(archive.rfm_table(holes, as_of, window), old_rfm_table(holes, as_of, window))
    cat = toy.assign(customer_id=toy["customer_id"].astype("category"), amount=toy["amount"].astype(int))
    same(archive.rfm_table(cat, as_of, window), old_rfm_table(cat, as_of, window))
    stamps = toy.assign(order_date=pd.to_datetime(toy["order_date"], format="mixed").dt.tz_localize("Asia/Shanghai"))
    same(archive.rfm_table(stamps, as_of, window), old_rfm_table(stamps, as_of, window))


def test_rfm_table_empty_and_errors_unchanged():
    toy = _toy()
    same(archive.rfm_table(toy, "2024-01-01"), old_rfm_table(toy, "2024-01-01"))             # nobody yet
    same(archive.rfm_table(toy, "2025-12-31", 30), old_rfm_table(toy, "2025-12-31", 30))     # nobody in the window
    for bad in [dict(as_of=None), dict(as_of="2025-06-30", window_days=0),
                dict(as_of="2025-06-30", amount="nope"), dict(as_of="someday")]:
        with pytest.raises(archive.ArchiveError) as new:
            archive.rfm_table(toy, **bad)
        with pytest.raises(archive.ArchiveError) as old:
            old_rfm_table(toy, **bad)
        assert new.value.code == old.value.code


@pytest.mark.parametrize("freq", ["D", "W", "M", "h"])
@pytest.mark.parametrize("end", [None, "1997-09-30", "1998-06-30"])
def test_rfm_summary_unchanged_on_cdnow(freq, end):
    tx = value.load_cdnow("transactions")
    same(value.rfm_summary(tx, "customer_id", "date", "amount", end=end, freq=freq),
         old_rfm_summary(tx, "customer_id", "date", "amount", end=end, freq=freq))
    same(value.rfm_summary(tx, "customer_id", "date", None, end=end, freq=freq),
         old_rfm_summary(tx, "customer_id", "date", None, end=end, freq=freq))


def test_rfm_summary_unchanged_on_edge_cases(orders):
    toy = _toy().assign(order_date=lambda d: pd.to_datetime(d["order_date"], format="mixed"))
    for df in [toy, toy[toy["customer_id"] == "a"], toy.assign(customer_id=[5, 1, 1, 9, 1, 5, 2, 2])]:
        for end in [None, "2025-06-30", "2025-12-31"]:
            same(value.rfm_summary(df, "customer_id", "order_date", "amount", end=end),
                 old_rfm_summary(df, "customer_id", "order_date", "amount", end=end))
    same(value.rfm_summary(orders, "customer_id", "order_date", "amount", end="2025-06-30", freq="W"),
         old_rfm_summary(orders, "customer_id", "order_date", "amount", end="2025-06-30", freq="W"))
    with pytest.raises(value.CustomerValueError):     # a missing id is still refused
        value.rfm_summary(toy.assign(customer_id=["a", None] * 4), "customer_id", "order_date", "amount")


def test_each_public_function_records_only_its_own_concept():
    toy = _toy().assign(order_date=lambda d: pd.to_datetime(d["order_date"], format="mixed"))
    shortcuts.forget()
    archive.rfm_table(toy, "2025-06-30")
    assert shortcuts.called() == set()            # rfm_table is not marked and does not reach rfm_summary
    value.rfm_summary(toy, "customer_id", "order_date", "amount")
    assert shortcuts.called() == {"btyd_summary"}
    shortcuts.forget()
    assert not hasattr(value._rfm, "computes")
