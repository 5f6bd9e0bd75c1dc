"""王永庆卖米 (task 11 case): when a household's rice runs out and the delivery plan."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ..errors import parts
from ._errors import _day, _err, _need_columns


# --------------------------------------------------------------------------- 王永庆卖米
def _positive(value, what: str, zh: str, integer: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and np.isfinite(value) and value > 0 and (not integer or float(value).is_integer())
    if not ok:
        kind = "a whole number > 0" if integer else "a number > 0"
        raise _err(f"{what} must be {kind}, got {value!r}.", f"{zh}必须是{'正整数' if integer else '正数'}，收到 {value!r}。")
    return float(value)


@computes("rice_run_out", "米吃完的日期与送米日期", "day the rice runs out")
def rice_run_out(last_delivery, kg_delivered: float, household_size: int, kg_per_person_month: float,
                 *, days_per_month: float = 30) -> pd.Timestamp:
    """Day the household's rice runs out (王永庆's notebook: people in the family × monthly use).

    Textbook task 11 任务引入: Wang Yung-ching wrote down each household's size and monthly rice
    consumption and delivered before the jar was empty. The case gives no quantities; the daily
    use is ``household_size × kg_per_person_month / days_per_month`` (a 30-day month, crmlab
    default), and the rice lasts ``floor(kg_delivered / daily use)`` whole days.

    Examples
    --------
    >>> rice_run_out("2024-03-01", 20, household_size=4, kg_per_person_month=5)
    Timestamp('2024-03-31 00:00:00')
    """
    start = _day(last_delivery, "last_delivery")
    kg = _positive(kg_delivered, "kg_delivered", "送米量")
    people = _positive(household_size, "household_size", "家庭人数", integer=True)
    per = _positive(kg_per_person_month, "kg_per_person_month", "每人每月用米量")
    month = _positive(days_per_month, "days_per_month", "每月天数")
    daily = people * per / month
    return start + pd.Timedelta(days=math.floor(round(kg / daily, 9)))


@computes("rice_run_out")
def next_delivery(last_delivery, kg_delivered: float, household_size: int, kg_per_person_month: float,
                  *, lead_days: int = 1, days_per_month: float = 30) -> pd.Timestamp:
    """Date to deliver the next bag: ``lead_days`` before the rice runs out (never before the last delivery).

    Examples
    --------
    >>> next_delivery("2024-03-01", 15, household_size=5, kg_per_person_month=6, lead_days=2)
    Timestamp('2024-03-14 00:00:00')
    """
    if not isinstance(lead_days, (int, np.integer)) or lead_days < 0:
        raise _err(f"lead_days must be a whole number ≥ 0, got {lead_days!r}.", f"提前天数必须是非负整数，收到 {lead_days!r}。")
    out = rice_run_out(last_delivery, kg_delivered, household_size, kg_per_person_month, days_per_month=days_per_month)
    return max(out - pd.Timedelta(days=int(lead_days)), _day(last_delivery, "last_delivery"))


@computes("rice_run_out")
def rice_delivery_plan(households: pd.DataFrame, *, lead_days: int = 1, days_per_month: float = 30) -> pd.DataFrame:
    """Wang Yung-ching's delivery plan for many households.

    Columns needed: ``household_size``, ``kg_per_person_month``, ``last_delivery``,
    ``kg_delivered``; optional ``payday`` (day of the month, 1–31). Returns per household the
    monthly need (kg), run-out date, delivery date and — as in the story, where he collected
    the money on payday — the first payday on or after the delivery (a payday past the month's
    end falls on its last day). Bad rows are all reported together.

    Examples
    --------
    >>> h = pd.DataFrame({"household_size": [4, 2], "kg_per_person_month": [5, 6],
    ...                   "last_delivery": ["2024-03-01", "2024-03-10"], "kg_delivered": [20, 10],
    ...                   "payday": [5, 31]}, index=["陈家", "林家"])
    >>> plan = rice_delivery_plan(h)
    >>> plan[["kg_per_month", "run_out", "deliver_on", "collect_on"]].astype(str).values.tolist()
    [['20.0', '2024-03-31', '2024-03-30', '2024-04-05'], ['12.0', '2024-04-04', '2024-04-03', '2024-04-30']]
    """
    _need_columns(households, ["household_size", "kg_per_person_month", "last_delivery", "kg_delivered"], "households")
    rows, problems = [], []
    for label, r in households.iterrows():
        try:
            run_out = rice_run_out(r["last_delivery"], _num(r["kg_delivered"]), _num(r["household_size"]),
                                   _num(r["kg_per_person_month"]), days_per_month=days_per_month)
            deliver = next_delivery(r["last_delivery"], _num(r["kg_delivered"]), _num(r["household_size"]),
                                    _num(r["kg_per_person_month"]), lead_days=lead_days, days_per_month=days_per_month)
            collect = _next_payday(deliver, r["payday"]) if "payday" in households.columns else pd.NaT
            rows.append({"kg_per_month": float(_num(r["household_size"]) * _num(r["kg_per_person_month"])),
                         "run_out": run_out, "deliver_on": deliver, "collect_on": collect})
        except ValueError as exc:
            problems.append((label, *parts(exc)))
    if problems:
        head = problems[:10]
        raise _err(f"{len(problems)} household row(s) are malformed:\n  " + "\n  ".join(f"row {label!r}: {en}" for label, en, _ in head),
                   f"有 {len(problems)} 户的数据有误：\n  " + "\n  ".join(f"第 {label!r} 行：{zh}" for label, _, zh in head))
    return pd.DataFrame(rows, index=households.index)


def _num(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def _next_payday(day: pd.Timestamp, payday) -> pd.Timestamp:
    p = _num(payday)
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not float(p).is_integer() or not 1 <= p <= 31:
        raise _err(f"payday must be a day of the month 1–31, got {payday!r}.", f"发薪日必须是 1–31 的日期，收到 {payday!r}。")
    p = int(p)
    for months_ahead in (0, 1):
        first = (day + pd.DateOffset(months=months_ahead)).replace(day=1)
        candidate = first.replace(day=min(p, first.days_in_month))
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover
