"""Warranty ends, the 三包 decision (task 11 §11.2.3) and the follow-up and birthday schedules."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ..errors import parts
from .._validate import is_blank as _blank, preview as _rows
from ._errors import _bool_or_none, _day, _days, _err, _need_columns
from ._models import _kind


def _add_months(days: pd.Series, months: pd.Series) -> pd.Series:
    """``days`` plus whole ``months`` (clamped to the month's last day, like ``pd.DateOffset``)."""
    m = days.dt.month.astype(int) - 1 + months.astype(int)
    first = pd.to_datetime(pd.DataFrame({"year": days.dt.year.astype(int) + m // 12, "month": m % 12 + 1, "day": 1}))
    day = np.minimum(days.dt.day.astype(int), first.dt.days_in_month.astype(int))
    return first + pd.to_timedelta(day - 1, unit="D")


def _warranty_ends(purchase: pd.Series, months: pd.Series) -> pd.Series:
    return _add_months(purchase, months) - pd.Timedelta(days=1)


def warranty_end(purchase_date, warranty_months: int) -> pd.Timestamp:
    """Last day covered by a warranty of ``warranty_months`` months (crmlab default: the day before
    the same date ``warranty_months`` later).

    Examples
    --------
    >>> warranty_end("2024-01-15", 12)
    Timestamp('2025-01-14 00:00:00')
    """
    if not isinstance(warranty_months, (int, np.integer)) or isinstance(warranty_months, bool) or warranty_months < 0:
        raise _err(f"warranty_months must be a whole number ≥ 0, got {warranty_months!r}.",
                   f"保修月数必须是非负整数，收到 {warranty_months!r}。")
    start = _day(purchase_date, "purchase_date")
    return _warranty_ends(pd.Series([start]), pd.Series([int(warranty_months)])).iloc[0]


_DECISIONS = {"refunded": "已退货", "refund": "退货", "exchange_or_refund": "换货或退货",
              "free_repair": "包修（免费维修）", "paid_repair": "收费维修"}
_RULE = ("Textbook task 11 §11.2.3 三包: free repair within the warranty period, paid after; within the "
         "三包 period, if two repairs still leave the product unusable, the firm exchanges it or refunds "
         "(两次修理仍不能正常使用，企业应该负责更换或者退货); goods certified non-conforming by the "
         "authority are refunded on request (《消费者权益保护法》 Art. 48 as quoted, 1993 numbering).")


@computes("sanbao", "三包决定", "three-guarantees (三包) decision")
def _three_guarantees(sales: pd.DataFrame, events: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame:
    """Vectorised 三包 rule. sales: sale_id, purchase_date, warranty_months; events: sale_id,
    event_date, kind (keys), resolved (True/False/None). One row per sale."""
    sales = sales.reset_index(drop=True)
    end = _warranty_ends(pd.to_datetime(sales["purchase_date"]).dt.normalize(), sales["warranty_months"])
    ev = events.loc[events["event_date"] <= today, ["sale_id", "event_date", "kind", "resolved"]]
    since = (ev[ev["kind"] == "exchange"].groupby("sale_id", as_index=False)["event_date"].max()
             .rename(columns={"event_date": "since"}))
    ev = (ev.merge(pd.DataFrame({"sale_id": sales["sale_id"], "end": end}), on="sale_id", how="left")
            .merge(since, on="sale_id", how="left"))
    counted = (ev["kind"] == "repair") & (ev["event_date"] <= ev["end"]) \
        & (ev["since"].isna() | (ev["event_date"] > ev["since"]))
    outcome = pd.Series(["unknown" if _blank(v) else ("ok" if bool(v) else "failed") for v in ev["resolved"]],
                        index=ev.index, dtype=object)
    tally = pd.DataFrame({"sale_id": ev["sale_id"], "failed": counted & (outcome == "failed"),
                          "unknown": counted & (outcome == "unknown")}).groupby("sale_id").sum()
    refunded = set(ev.loc[ev["kind"] == "refund", "sale_id"])
    nonconforming = set(ev.loc[ev["kind"] == "nonconforming", "sale_id"])
    out = pd.DataFrame({"sale_id": sales["sale_id"], "warranty_end": end, "in_warranty": today <= end})
    out = out.merge(tally, left_on="sale_id", right_index=True, how="left")
    out["failed_repairs"] = out.pop("failed").fillna(0).astype(int)
    out["unknown_repairs"] = out.pop("unknown").fillna(0).astype(int)
    decision = np.where(out["in_warranty"], "free_repair", "paid_repair").astype(object)
    decision[(out["failed_repairs"] >= 2).to_numpy()] = "exchange_or_refund"
    decision[out["sale_id"].isin(nonconforming).to_numpy()] = "refund"
    decision[out["sale_id"].isin(refunded).to_numpy()] = "refunded"
    out["decision"] = decision
    out["decision_zh"] = out["decision"].map(_DECISIONS)
    return out


def _clean_events(events: pd.DataFrame) -> pd.DataFrame:
    _need_columns(events, ["event_date", "kind"], "events")
    ev = pd.DataFrame({"sale_id": events["sale_id"] if "sale_id" in events.columns else "sale",
                       "event_date": _days(events["event_date"], "events['event_date']"),
                       "kind": [_kind(k) for k in events["kind"]],
                       "resolved": events["resolved"].map(_bool_or_none) if "resolved" in events.columns else None},
                      index=events.index)
    bad = ev.index[ev["resolved"].map(lambda v: v == "bad")]
    if len(bad):
        raise _err(f"resolved must be True, False or empty; rows {_rows(bad)}.", f"resolved 只能是 True、False 或空：{_rows(bad)}。")
    return ev


def three_guarantees_decision(purchase_date, warranty_months: int, events: pd.DataFrame, on_date) -> dict:
    """The 三包 (repair, exchange, refund) decision for one sale — the textbook's rule, exactly.

    Textbook task 11 §11.2.3: within the 三包 period a repair is free (包修) and after it paid;
    **if two repairs within the period still fail to make the product work normally, the firm
    must exchange it or refund (换货或退货)**; goods certified non-conforming by the
    administrative authority are refunded (《消费者权益保护法》 Art. 48, as the textbook quotes it).

    crmlab readings where the source is silent: the 三包 period is the sale's warranty period (the
    textbook gives no durations); a failed repair is a ``repair`` event with ``resolved`` False
    (repairs of unknown outcome are counted separately, never as failures); after an exchange
    only the new unit's failed repairs count; events after ``on_date`` are ignored.

    Parameters
    ----------
    events : the sale's events with columns ``event_date``, ``kind`` and ``resolved``.

    Returns a dict: warranty_end, in_warranty, failed_repairs, unknown_repairs, decision
    (refunded / refund / exchange_or_refund / free_repair / paid_repair), decision_zh, rule.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_date": ["2024-02-01", "2024-03-01"], "kind": ["维修", "维修"],
    ...                    "resolved": [False, True]})
    >>> three_guarantees_decision("2024-01-10", 12, ev, "2024-06-01")["decision"]
    'free_repair'
    >>> ev.loc[1, "resolved"] = False
    >>> three_guarantees_decision("2024-01-10", 12, ev, "2024-06-01")["decision_zh"]
    '换货或退货'
    """
    end = warranty_end(purchase_date, warranty_months)     # validates both
    today = _day(on_date, "on_date")
    ev = _clean_events(events).assign(sale_id="sale")
    sale = pd.DataFrame({"sale_id": ["sale"], "purchase_date": [_day(purchase_date, "purchase_date")],
                         "warranty_months": [int(warranty_months)]})
    row = _three_guarantees(sale, ev, today).iloc[0]
    return {"warranty_end": end, "in_warranty": bool(row["in_warranty"]), "failed_repairs": int(row["failed_repairs"]),
            "unknown_repairs": int(row["unknown_repairs"]), "decision": row["decision"],
            "decision_zh": row["decision_zh"], "rule": _RULE}


def followup_schedule(sales: pd.DataFrame, days_after: Iterable[int] = (7, 30), *, sale: str = "sale_id",
                      date_col: str = "purchase_date") -> pd.DataFrame:
    """Follow-up dates (回访) for every sale: ``days_after`` each purchase (crmlab default 7 and 30).

    Textbook task 11 §11.2.3 asks for timely follow-up by phone or letter but sets no days.
    Works on ``crmlab.datasets.load("orders")`` with ``sale="order_id", date_col="order_date"``.

    Examples
    --------
    >>> s = pd.DataFrame({"sale_id": ["S1"], "purchase_date": ["2024-01-10"]})
    >>> followup_schedule(s)["due_date"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-17', '2024-02-09']
    """
    _need_columns(sales, [sale, date_col], "sales")
    days = list(days_after)
    if not days or any(not isinstance(d, (int, np.integer)) or d < 0 for d in days):
        raise _err(f"days_after must be whole numbers ≥ 0, got {days!r}.", f"回访天数必须是非负整数，收到 {days!r}。")
    dup = sales[sale][sales[sale].duplicated(keep=False)]
    if len(dup):
        raise _err(f"sale ids occur more than once: {_rows(pd.unique(dup))}.", f"销售编号重复：{_rows(pd.unique(dup))}。")
    bought = _days(sales[date_col], f"sales[{date_col!r}]")
    parts = [pd.DataFrame({sale: sales[sale].to_numpy(), "days_after": d,
                           "due_date": (bought + pd.Timedelta(days=int(d))).to_numpy()}) for d in days]
    return pd.concat(parts, ignore_index=True).sort_values(["due_date", sale], kind="stable").reset_index(drop=True)


def birthday_schedule(customers: pd.DataFrame, year: int, *, birthday: str = "birthday",
                      customer: str = "customer_id", days_before: int = 0) -> pd.DataFrame:
    """Birthday greeting dates in ``year`` (the Japanese food firm's birthday cakes, task 11 §11.2.3).

    Customers without a birthday are skipped and counted in ``result.attrs["no_birthday"]``.
    A 29 February birthday is greeted on 28 February in other years (crmlab default).

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b", "c"], "birthday": ["1990-05-20", "2000-02-29", None]})
    >>> s = birthday_schedule(c, 2025, days_before=1)
    >>> s["greet_on"].dt.strftime("%m-%d").tolist(), s.attrs["no_birthday"]
    (['02-27', '05-19'], ['c'])
    """
    _need_columns(customers, [customer, birthday], "customers")
    if not isinstance(days_before, (int, np.integer)) or days_before < 0:
        raise _err(f"days_before must be a whole number ≥ 0, got {days_before!r}.", f"days_before 必须是非负整数，收到 {days_before!r}。")
    born = _days(customers[birthday], f"customers[{birthday!r}]", allow_blank=True)
    has = born.notna()
    b = born[has]
    leap_day = (b.dt.month == 2) & (b.dt.day == 29)
    day = b.dt.day.where(~leap_day | pd.Timestamp(year=year, month=3, day=1).is_leap_year, 28)
    this_year = pd.to_datetime(pd.DataFrame({"year": year, "month": b.dt.month, "day": day}))
    out = pd.DataFrame({customer: customers.loc[has, customer].to_numpy(), "birthday": this_year.to_numpy(),
                        "greet_on": (this_year - pd.Timedelta(days=int(days_before))).to_numpy()})
    out = out.sort_values(["greet_on", customer], kind="stable").reset_index(drop=True)
    out.attrs["no_birthday"] = customers.loc[~has, customer].tolist()
    return out
