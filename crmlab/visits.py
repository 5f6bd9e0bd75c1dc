"""Customer visits (拜访客户): planning, the 15/5/10 rule, phases, checklists, records and audit.

Textbook task 6 建立客户关系 §6.1 (the first step in building a relationship is the visit):

* §6.1.1 the visit process — before (准备), outline (提纲), after (submit the record to the
  department head, enter it into the archive): :data:`BEFORE_VISIT`, :data:`AFTER_VISIT`;
* §6.1.2 visit types — new, old and key customers (:data:`VISIT_TYPES`): the new-customer
  rules (appointment, timing, 15–60 minutes: :data:`VISIT_LIMITS`, :func:`needs_appointment`,
  :func:`unannounced_ok`), the old-customer 三准备/三必谈/三必到 (:data:`OLD_CUSTOMER_CHECKLIST`,
  :func:`checklist`), the key-customer behaviour stages (:data:`BEHAVIOUR_STAGES`,
  :func:`can_ask_for_order`) and the three disciplines (:data:`DISCIPLINES`);
* §6.1.3 efficiency — 15 minutes listening, 5 asking, 10 presenting in a 30-minute visit
  (:func:`time_split`), 3–4 quality visits a day in one city (:func:`plan_visits`,
  :func:`order_priority`, :func:`route_order`) and the four phases (:data:`VISIT_PHASES`);
* the visit record updates the archive (:func:`record_visit`, :func:`apply_visits`: an updated
  copy plus a change log) and the visit audit (:data:`VISIT_RULES`, :func:`audit_visit`,
  :func:`audit_visits`), with the 赵主任 case of task 6 拓展学习 (:data:`ZHAO_CASE`).

Nothing here reads the wall clock or changes the caller's data; bad input raises
:class:`VisitError` (a ``ValueError``) with a ``"中文 / English"`` message.

Example
-------
>>> from crmlab import visits
>>> visits.time_split(30).to_dict()
{'listen': 15.0, 'ask': 5.0, 'present': 10.0}
>>> sorted(visits.audit_visit(visits.ZHAO_CASE))
['no_enquiry_phase', 'no_listen_majority', 'no_next_step']
"""
from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from crmlab import archive as _archive
from crmlab import glossary
from crmlab.shortcuts import computes
from crmlab.archive import ArchiveError

__all__ = [
    "VisitError", "VISIT_TYPES", "visit_type", "VISIT_PHASES", "phase_code", "BEHAVIOUR_STAGES", "stage_code",
    "can_ask_for_order", "TIME_SPLIT", "time_split", "VISIT_LIMITS", "needs_appointment", "unannounced_ok",
    "BEFORE_VISIT", "AFTER_VISIT", "OLD_CUSTOMER_CHECKLIST", "checklist", "DISCIPLINES", "OUTCOMES",
    "order_priority", "route_order", "plan_visits",
    "VISIT_FIELDS", "record_visit", "apply_visits",
    "VISIT_RULES", "audit_visit", "audit_visits", "ZHAO_CASE", "KINGLONG_CASE",
]


class VisitError(ArchiveError):
    """Bad input to a visit function (a :class:`crmlab.archive.ArchiveError`,
    so a :class:`crmlab.errors.CRMLabError` and a ValueError).

    >>> str(VisitError("DEMO", "bad stage", "阶段无效"))
    '阶段无效 / bad stage'
    """


def _lookup(vocabulary: glossary.Vocabulary, label) -> str:
    """Code for a label given as the code, the Chinese or the English name."""
    code = vocabulary.get(label) if isinstance(label, str) else None
    if code is None:
        raise VisitError("UNKNOWN_LABEL", *vocabulary.unknown_message(label))
    return code


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------
#: The three visit types of task 6 §6.1.2: (中文, English).
VISIT_TYPES = {"new": ("新客户", "new customer"), "old": ("老客户", "old customer"), "key": ("大客户", "key customer")}
VISIT_TYPE = glossary.Vocabulary("visit_type", VISIT_TYPES, what=("visit type", "拜访类型"))

#: The four phases of a visit (拜访的四个环节), task 6 §6.1.3 5: (中文, English, what to do).
VISIT_PHASES = {
    "opening": ("开场白", "opening", "state the purpose and the value of the visit; ask if the customer accepts"),
    "enquiry": ("询问", "enquiry", "ask about needs: need is the core of purchasing"),
    "proposal": ("建议", "proposal", "features, benefits to the customer, evidence"),
    "next_step": ("计划下一步行动", "plan the next step", "watch interest points and propose the next activity"),
}

#: The four behaviour stages of a key customer (task 6 §6.1.2 3): (中文, English, signs).
BEHAVIOUR_STAGES = {
    "rapport": ("建立良好关系", "rapport", "agrees to meet, returns smiles"),
    "initial_trust": ("初步信任", "initial trust", "answers frankly, talks about the business, explores problems"),
    "reliance": ("信赖", "reliance", "discusses problems openly, responds to proposals, agrees to meet again"),
    "action": ("行动和帮助", "action and help", "takes the solution and signs the order"),
}
_STAGE_ORDER = {code: i for i, code in enumerate(BEHAVIOUR_STAGES)}

#: Visit outcomes of the visit report (crmlab's list; the book's form is lost): (中文, English).
OUTCOMES = {"signed": ("签约", "signed"), "follow_up": ("再约", "another meeting agreed"),
            "declined": ("婉拒", "declined politely"), "refused": ("坚决拒绝", "firmly refused")}


def visit_type(label) -> str:
    """Code of a visit type given in English or Chinese.

    >>> from crmlab import visits
    >>> visits.visit_type("大客户"), visits.visit_type("new")
    ('key', 'new')
    """
    return _lookup(VISIT_TYPE, label)


def phase_code(label) -> str:
    """Code of a visit phase given in English or Chinese.

    >>> from crmlab import visits
    >>> visits.phase_code("询问"), visits.phase_code("plan the next step")
    ('enquiry', 'next_step')
    """
    for code, (zh, en, _) in VISIT_PHASES.items():
        if isinstance(label, str) and label.strip() in (code, zh, en):
            return code
    raise VisitError("UNKNOWN_LABEL", f"unknown visit phase {label!r}; use one of {list(VISIT_PHASES)}",
                     f"未知的拜访环节 {label!r}；可用：{[v[0] for v in VISIT_PHASES.values()]}")


def stage_code(label) -> str:
    """Code of a behaviour stage given in English or Chinese.

    >>> from crmlab import visits
    >>> visits.stage_code("信赖")
    'reliance'
    """
    for code, (zh, en, _) in BEHAVIOUR_STAGES.items():
        if isinstance(label, str) and label.strip() in (code, zh, en):
            return code
    raise VisitError("UNKNOWN_LABEL", f"unknown behaviour stage {label!r}; use one of {list(BEHAVIOUR_STAGES)}",
                     f"未知的客户阶段 {label!r}；可用：{[v[0] for v in BEHAVIOUR_STAGES.values()]}")


def can_ask_for_order(stage) -> bool:
    """May the salesperson ask for the signature at this stage? Only at 信赖 or 行动和帮助.

    Task 6 §6.1.2 3: keep pace with the customer — asking for a signature at the initial-trust
    stage triggers an instinctive refusal.

    >>> from crmlab import visits
    >>> visits.can_ask_for_order("初步信任"), visits.can_ask_for_order("reliance")
    (False, True)
    """
    return _STAGE_ORDER[stage_code(stage)] >= _STAGE_ORDER["reliance"]


# --------------------------------------------------------------------------------------------
# Numbers of the book
# --------------------------------------------------------------------------------------------
#: Task 6 §6.1.3 1: in a 30-minute visit, 15 minutes listening, 5 asking, 10 presenting.
TIME_SPLIT = {"listen": 15, "ask": 5, "present": 10}

#: The book's numbers for visits (task 6 §6.1.2 1 and §6.1.3 4).
VISIT_LIMITS = {
    "min_minutes": 15, "max_minutes": 60,        # a (new-customer) visit: ≥ 15 min, ≤ 1 hour
    "pitch_max_minutes": 2,                      # the oral product pitch
    "enter_early_minutes": 2,                    # enter the office 2 minutes early
    "unannounced_after_start": 30,               # unannounced: half an hour after work starts …
    "unannounced_before_end": 60,                # … or one hour before work ends
    "seat_distance_m": 1.5,                      # best distance
    "visits_per_day": (3, 4),                    # quality visits a day in the same city
}


@computes("time_plan", "拜访时间分配（15/5/10）", "listen / ask / present minutes")
def time_split(total_minutes: float = 30) -> pd.Series:
    """Minutes for listening, asking and presenting: the 15/5/10 rule scaled to any length.

    Task 6 §6.1.3 1: a 30-minute visit = 15 min listening + 5 asking + 10 presenting, i.e.
    shares 1/2, 1/6 and 1/3.

    >>> from crmlab import visits
    >>> visits.time_split(45).to_dict()
    {'listen': 22.5, 'ask': 7.5, 'present': 15.0}
    """
    if isinstance(total_minutes, bool) or not isinstance(total_minutes, (int, float)) or not total_minutes > 0:
        raise VisitError("BAD_VALUE", f"total_minutes must be a positive number, got {total_minutes!r}",
                         f"total_minutes 必须是正数，收到 {total_minutes!r}")
    total = sum(TIME_SPLIT.values())
    return pd.Series({k: round(total_minutes * v / total, 6) for k, v in TIME_SPLIT.items()}, dtype=float)


_NO_APPOINTMENT = {"individual", "个人", "个人客户", "shop", "店铺", "个体", "个体户", "小店"}
_APPOINTMENT = {"organisation", "企业", "企业客户", "key", "大客户", "manager", "经理", "boss", "老板", "大企业"}


def needs_appointment(kind) -> bool:
    """Phone ahead? Yes for managers or bosses of big firms, no for individuals and shops.

    Task 6 §6.1.2 1 (1): "对于大企业的经理或老板，要事先电话预约；对个人和店铺可直接上门". ``kind``
    may be a customer type of the datasets (``individual``/``organisation``) or a Chinese label.

    >>> from crmlab import visits
    >>> visits.needs_appointment("老板"), visits.needs_appointment("individual")
    (True, False)
    """
    k = kind.strip() if isinstance(kind, str) else kind
    if k in _APPOINTMENT:
        return True
    if k in _NO_APPOINTMENT:
        return False
    raise VisitError("UNKNOWN_LABEL", f"unknown customer kind {kind!r}; use one of {sorted(_APPOINTMENT | _NO_APPOINTMENT)}",
                     f"未知的客户类别 {kind!r}")


def _clock(value, what: str) -> _dt.time:
    if isinstance(value, _dt.time):
        return value
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return value.time()
    try:
        return pd.Timestamp(f"2000-01-01 {value}").time()
    except (ValueError, TypeError):
        raise VisitError("BAD_TIME", f"{what} {value!r} is not a time of day", f"{what} {value!r} 不是时刻") from None


def _minutes(t: _dt.time) -> float:
    return t.hour * 60 + t.minute + t.second / 60


def unannounced_ok(at, work_start="08:30", work_end="17:30", tolerance_minutes: float = 15) -> bool:
    """Is this a good time for an unannounced visit?

    Task 6 §6.1.2 1 (2): visit half an hour after work starts or one hour before it ends, never
    just before closing. ``at`` is a time (or timestamp); it is good when it lies within
    ``tolerance_minutes`` (crmlab's default 15, the book gives none) of start + 30 min or of
    end − 60 min.

    Examples
    --------
    Example: a 08:30–17:30 working day.

    >>> from crmlab import visits
    >>> [visits.unannounced_ok(t) for t in ("09:00", "16:30", "17:15", "13:00")]
    [True, True, False, False]
    """
    t, s, e = _minutes(_clock(at, "at")), _minutes(_clock(work_start, "work_start")), _minutes(_clock(work_end, "work_end"))
    if e <= s:
        raise VisitError("BAD_TIME", "work_end must be after work_start", "下班时间必须晚于上班时间")
    if tolerance_minutes < 0:
        raise VisitError("BAD_VALUE", "tolerance_minutes must be ≥ 0", "tolerance_minutes 不能为负")
    good = (s + VISIT_LIMITS["unannounced_after_start"], e - VISIT_LIMITS["unannounced_before_end"])
    return any(abs(t - g) <= tolerance_minutes for g in good)


#: Before the visit (拜访前的准备), task 6 §6.1.1 1.
BEFORE_VISIT = {
    "learn_company": "了解客户公司的行业、业务、母公司/子公司关系",
    "ask_colleagues": "查看是否有同事在跟进同行业的该客户，并向其了解",
    "enter_in_archive": "将新客户录入公司客户档案",
    "cards_and_materials": "准备名片和公司/产品资料",
}
#: After the visit (拜访后的工作), task 6 §6.1.1 3.
AFTER_VISIT = {"report_to_head": "向部门负责人提交拜访记录和总结", "enter_in_archive": "将信息录入客户档案"}

#: The old-customer checklist 三准备、三必谈、三必到 (task 6 §6.1.2 2 (4)).
OLD_CUSTOMER_CHECKLIST = pd.DataFrame([
    ("prepare", "三准备", "purpose", "拜访目的：了解市场及其发展"),
    ("prepare", "三准备", "appointment", "电话预约时间和地点"),
    ("prepare", "三准备", "sales_records", "带上近期销售记录等资料"),
    ("discuss", "三必谈", "sales_progress", "当地网络及商场、连锁店的销售情况，客户的进展与期望"),
    ("discuss", "三必谈", "market_dynamics", "市场动态、产品接受程度、竞争对手"),
    ("discuss", "三必谈", "problems_solutions", "目前销售中的问题和解决办法"),
    ("visit", "三必到", "market", "到市场查看产品销售情况"),
    ("visit", "三必到", "commercial_street", "到商业街查看产品流通情况"),
    ("visit", "三必到", "customer_premises", "到客户处与其销售人员见面，可能时做产品培训"),
], columns=["group", "group_zh", "item", "zh"]).set_index("item")

#: The three disciplines (三大纪律), task 6 §6.1.2 3.
DISCIPLINES = {
    "plan_cleared": "出差前制订拜访计划并经上级同意",
    "daily_contact": "出差期间每天至少与上级沟通一次",
    "no_promise_outside_policy": "不做政策以外的任何承诺",
}


def checklist(done: Iterable[str]) -> pd.DataFrame:
    """The nine items of 三准备/三必谈/三必到 with a ``done`` flag, for one old-customer visit.

    ``done`` lists item codes or their Chinese texts; unknown items raise.

    >>> from crmlab import visits
    >>> c = visits.checklist(["purpose", "appointment", "market"])
    >>> int(c["done"].sum()), c.loc[~c["done"], "group_zh"].value_counts().to_dict()
    (3, {'三必谈': 3, '三必到': 2, '三准备': 1})
    """
    by_zh = {zh: code for code, zh in OLD_CUSTOMER_CHECKLIST["zh"].items()}
    codes = set()
    for item in done:
        code = item if item in OLD_CUSTOMER_CHECKLIST.index else by_zh.get(item)
        if code is None:
            raise VisitError("UNKNOWN_LABEL", f"unknown checklist item {item!r}; use one of {list(OLD_CUSTOMER_CHECKLIST.index)}",
                             f"未知的检查项 {item!r}")
        codes.add(code)
    out = OLD_CUSTOMER_CHECKLIST.copy()
    out["done"] = out.index.isin(codes)
    return out


# --------------------------------------------------------------------------------------------
# Planning: priority, route, 3–4 visits a day in one city
# --------------------------------------------------------------------------------------------
@computes("due_ratio", "订货到期比", "due ratio of old customers")
def order_priority(orders: pd.DataFrame, as_of, customer: str = "customer_id", date: str = "order_date") -> pd.DataFrame:
    """Which old customers are likely to order soon: days since the last order ÷ usual gap.

    Task 6 §6.1.2 2: rank old customers and give time to those likely to order soon ("了解客户
    何时可能有需求"). The book gives no formula; crmlab's default is the *due ratio* = days since
    the last order ÷ the customer's median gap between orders (≥ 1: an order is due). Customers
    with one order have no gap (NaN) and rank last. ``as_of`` is required; later orders are
    ignored.

    Returns
    -------
    DataFrame indexed by customer: ``last_order``, ``n_orders``, ``median_gap_days``,
    ``days_since``, ``due_ratio``, ``priority`` (1 = visit first).

    >>> import pandas as pd
    >>> from crmlab import visits
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
    ...                        "order_date": ["2025-01-01", "2025-03-02", "2025-05-01", "2025-01-01", "2025-06-20", "2025-06-01"]})
    >>> visits.order_priority(orders, as_of="2025-06-30")[["median_gap_days", "days_since", "due_ratio", "priority"]]
                 median_gap_days  days_since  due_ratio  priority
    customer_id
    a                       60.0          60   1.000000         1
    b                      170.0          10   0.058824         2
    c                        NaN          29        NaN         3
    """
    as_of = _archive._as_of(as_of)
    _archive._need_columns(orders, [customer, date], "orders")
    d = _archive._dates(orders[date], date)
    o = pd.DataFrame({"c": orders[customer][d <= as_of].to_numpy(), "d": d[d <= as_of].to_numpy()}).sort_values(["c", "d"])
    gaps = o.groupby("c")["d"].diff().dt.days
    g = o.groupby("c")
    out = pd.DataFrame({"last_order": g["d"].max(), "n_orders": g.size().astype(int),
                        "median_gap_days": gaps.groupby(o["c"]).median()})
    out["days_since"] = (as_of - out["last_order"]).dt.days.astype(int)
    out["due_ratio"] = (out["days_since"] / out["median_gap_days"].where(out["median_gap_days"] > 0)).round(6)
    out["priority"] = out["due_ratio"].rank(ascending=False, method="first", na_option="bottom").astype(int)
    out.index.name = customer
    return out


def route_order(x: Iterable[float], y: Iterable[float], start: tuple[float, float] | None = None) -> list[int]:
    """Visiting order by the nearest-neighbour rule: always go to the closest unvisited stop.

    Written out for study (it is the simplest route heuristic, not an optimum; task 5 §5.2.5 2
    asks for customers split into regions and routes 路序 "on an economical basis"). Starts at
    ``start`` (e.g. the office) or at the first stop.

    >>> from crmlab import visits
    >>> visits.route_order([0, 5, 1, 6], [0, 0, 0, 0])
    [0, 2, 1, 3]
    >>> visits.route_order([0, 5, 1, 6], [0, 0, 0, 0], start=(7, 0))
    [3, 1, 2, 0]
    """
    pts = np.column_stack([np.asarray(list(x), float), np.asarray(list(y), float)])
    if len(pts) == 0:
        return []
    if np.isnan(pts).any():
        raise VisitError("BAD_VALUE", "coordinates must not be missing", "坐标不能缺失")
    left = list(range(len(pts)))
    here = np.asarray(start, float) if start is not None else pts[0]
    order = []
    while left:
        dist = np.hypot(*(pts[left] - here).T)
        k = left.pop(int(np.argmin(dist)))
        order.append(k)
        here = pts[k]
    return order


def plan_visits(customers: pd.DataFrame, start, days: int = 5, per_day: int = 4, priority: str = "priority",
                city: str = "city", x: str | None = None, y: str | None = None, customer: str = "customer_id",
                weekdays_only: bool = True) -> pd.DataFrame:
    """A visit plan (拜访计划表): who to visit on which day, in which order.

    Task 6 §6.1.2 2 (rank customers, visit those likely to order soon first) and §6.1.3 4 (3–4
    quality visits a day in the same city). Greedy: each day takes the highest-priority customer
    left, and fills the day with the next highest-priority customers *of the same city*, up to
    ``per_day``. Within a day stops are ordered by :func:`route_order` when coordinates ``x``,
    ``y`` are given, else by priority. Every customer appears once: those that do not fit in
    ``days`` days are listed with ``day`` 0 and no date (never silently dropped).

    Parameters
    ----------
    customers : one row per customer with ``priority`` (1 = first; e.g. from
        :func:`order_priority`) and ``city``; not modified.
    start : first day of the plan; with ``weekdays_only`` the plan uses business days.
    per_day : 1–4; the book's "3–4 quality visits a day" caps it at 4.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import visits
    >>> c = pd.DataFrame({"customer_id": list("ABCDEFG"), "city": ["无锡", "苏州", "无锡", "无锡", "苏州", "无锡", "无锡"],
    ...                   "priority": [1, 2, 3, 4, 5, 6, 7]})
    >>> visits.plan_visits(c, start="2025-06-06", days=2, per_day=3)
      customer_id city  priority  day       date  seq
    0           A   无锡         1    1 2025-06-06    1
    1           C   无锡         3    1 2025-06-06    2
    2           D   无锡         4    1 2025-06-06    3
    3           B   苏州         2    2 2025-06-09    1
    4           E   苏州         5    2 2025-06-09    2
    5           F   无锡         6    0        NaT    0
    6           G   无锡         7    0        NaT    0
    """
    _archive._need_columns(customers, [customer, priority, city, x, y], "customers")
    lo, hi = VISIT_LIMITS["visits_per_day"]
    if isinstance(per_day, bool) or not isinstance(per_day, (int, np.integer)) or not 1 <= per_day <= hi:
        raise VisitError("BAD_VALUE", f"per_day must be 1–{hi}: the book allows {lo}–{hi} quality visits a day",
                         f"per_day 必须在 1–{hi} 之间：教材建议每天 {lo}–{hi} 次高质量拜访")
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        raise VisitError("BAD_VALUE", "days must be a positive integer", "days 必须是正整数")
    if customers[customer].duplicated().any():
        raise VisitError("DUPLICATE_ID", "a customer is listed twice", "客户重复出现")
    pr = pd.to_numeric(customers[priority], errors="coerce")
    if pr.isna().any():
        raise VisitError("BAD_VALUE", f"column {priority!r} must be numbers without gaps", f"列 {priority!r} 必须是数值且无缺失")
    start = _archive._as_of(start, "start")
    dates = (pd.bdate_range(start, periods=days) if weekdays_only else pd.date_range(start, periods=days))
    work = customers.assign(_p=pr.to_numpy(), _i=np.arange(len(customers))).sort_values(["_p", "_i"], kind="stable")
    remaining = list(work.index)
    day_of = pd.Series(0, index=customers.index)
    seq_of = pd.Series(0, index=customers.index)
    for d in range(1, days + 1):
        if not remaining:
            break
        c0 = customers.at[remaining[0], city]
        today = [i for i in remaining if customers.at[i, city] == c0][:per_day]
        if x and y:
            order = route_order(customers.loc[today, x], customers.loc[today, y])
            today = [today[k] for k in order]
        for s, i in enumerate(today, start=1):
            day_of[i], seq_of[i] = d, s
        remaining = [i for i in remaining if i not in today]
    out = customers[[customer, city]].copy()
    out[priority] = customers[priority]
    out["day"] = day_of
    out["date"] = pd.Series([dates[d - 1] if d else pd.NaT for d in day_of], index=customers.index, dtype="datetime64[ns]")
    out["seq"] = seq_of
    out = out.assign(_u=(out["day"] == 0), _p=pr).sort_values(["_u", "day", "seq", "_p"], kind="stable")
    return out.drop(columns=["_u", "_p"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The visit record and the archive update (拜访后的工作: 录入客户档案)
# --------------------------------------------------------------------------------------------
#: Fields of a visit record (客户访问日报). The book names the report and what it holds
#: (task 5 §5.2.5 1, task 6 §6.1.1); the field list is crmlab's construction.
VISIT_FIELDS = {
    "visit_id": "拜访编号", "customer_id": "客户编号", "visit_date": "拜访日期", "salesperson": "销售员",
    "visit_type": "拜访类型", "contact": "联系人", "appointment": "是否预约", "planned_start": "约定时间",
    "arrive": "到达时间", "start": "开始时间", "end": "结束时间", "work_start": "客户上班时间", "work_end": "客户下班时间",
    "minutes_listen": "倾听分钟", "minutes_ask": "提问分钟", "minutes_present": "介绍分钟",
    "phases": "完成的环节", "stage": "客户所处阶段", "asked_for_order": "是否要求签约", "outcome": "结果",
    "next_action": "下一步行动", "next_date": "下一步日期",
    "usage_quantity": "使用数量", "usage_products": "使用的产品", "service_period": "服务期限",
    "usage_effect": "使用效果", "considering_switch": "是否考虑更换",
    "promises_out_of_policy": "是否有政策外承诺", "logged_to_archive": "已录入档案", "reported_to_head": "已报部门负责人",
    "updates": "档案更新（字段: 新值）",
}
# visit field → archive column written by record_visit
_TO_ARCHIVE = {"stage": "customer_stage", "next_action": "next_action", "next_date": "next_date",
               "usage_quantity": "usage_quantity", "usage_products": "usage_products",
               "service_period": "service_period", "usage_effect": "usage_effect",
               "considering_switch": "considering_switch"}
_DATE_FIELDS = ("visit_date", "next_date")


def _blank(v) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _changes(customers: pd.DataFrame, visit: Mapping, customer: str) -> tuple[object, dict]:
    """Validate one visit and return (row label, {column: new value}); raises, changes nothing."""
    if not isinstance(visit, Mapping):
        raise VisitError("BAD_VISIT", "a visit must be a dict (or a Series) of fields", "拜访记录必须是字段字典")
    for f in ("customer_id", "visit_date"):
        if _blank(visit.get(f)):
            raise VisitError("MISSING_FIELD", f"the visit has no {f}", f"拜访记录缺少 {VISIT_FIELDS[f]}")
    cid = visit["customer_id"]
    rows = customers.index[customers[customer] == cid]
    if len(rows) == 0:
        raise VisitError("UNKNOWN_CUSTOMER", f"customer {cid!r} is not in the archive: enter a new customer before the "
                         "visit (task 6 §6.1.1 1 (3))",
                         f"客户 {cid!r} 不在档案中：拜访新客户前应先将其录入公司客户档案（任务6 §6.1.1 1 (3)）")
    if len(rows) > 1:
        raise VisitError("DUPLICATE_ID", f"customer {cid!r} appears {len(rows)} times in the archive; consolidate first",
                         f"客户 {cid!r} 在档案中出现 {len(rows)} 次；请先合并")
    row = rows[0]
    try:
        when = pd.Timestamp(visit["visit_date"])
    except (ValueError, TypeError):
        raise VisitError("BAD_DATE", f"visit_date {visit['visit_date']!r} is not a date", "拜访日期不是日期") from None
    new: dict = {}
    old_last = customers.at[row, "last_visit_date"] if "last_visit_date" in customers.columns else None
    old_last = pd.Timestamp(old_last) if not _blank(old_last) else None
    if old_last is None or when > old_last:
        new["last_visit_date"] = when
    for f, col in _TO_ARCHIVE.items():
        v = visit.get(f)
        if _blank(v):
            continue
        if f == "stage":
            v = stage_code(v)
        if f == "next_date":
            try:
                v = pd.Timestamp(v)
            except (ValueError, TypeError):
                raise VisitError("BAD_DATE", f"next_date {v!r} is not a date", "下一步日期不是日期") from None
            if v < when:
                raise VisitError("BAD_DATE", f"next_date {v.date()} is before the visit {when.date()}",
                                 f"下一步日期 {v.date()} 早于拜访日期 {when.date()}")
        new[col] = v
    updates = visit.get("updates")
    updates = {} if updates is None or (isinstance(updates, float) and math.isnan(updates)) else updates
    if not isinstance(updates, Mapping):
        raise VisitError("BAD_VISIT", "updates must be a dict {archive column: new value}", "updates 必须是 {档案字段: 新值} 字典")
    for col, v in updates.items():
        entry = _archive._catalogue_entry(col)
        if entry is None and col not in customers.columns:
            raise VisitError("UNKNOWN_FIELD", f"{col!r} is neither an archive column nor in the catalogue",
                             f"{col!r} 既不是档案中的列，也不在字段目录中")
        if col in (customer, "customer_id"):
            raise VisitError("READ_ONLY", "a visit cannot change the customer number", "拜访记录不能修改客户编号")
        if entry is not None:
            _, problem = _archive._invalid_mask(pd.Series([v], dtype=object), entry, when)
            if problem.notna().any():
                en, zh = _archive._ISSUE_TEXT[problem.iloc[0]]
                raise VisitError("INVALID_VALUE", f"{col}={v!r}: {en}", f"{col}={v!r}：{zh}")
            if entry.kind == "phone":
                v = _archive.normalise_phone(v)
        new[col] = v
    return row, new


def record_visit(customers: pd.DataFrame, visit: Mapping, customer: str = "customer_id"):
    """Enter a visit into the archive: an updated copy of the customer frame plus a change log.

    Task 6 §6.1.1 3 (after the visit): submit the record to the department head and **enter the
    information into the archive**. Writes ``last_visit_date`` (never moved backwards by an
    older visit), the behaviour stage (``customer_stage``), ``next_action``/``next_date``, the
    usage facts of the visit outline (quantity, products, service period, effect, considering
    a switch) and any ``updates`` ({archive column: new value}, e.g. a new phone number).
    Values are checked first with the archive's rules (a bad phone, a negative amount, a next
    step dated before the visit …): on any problem :class:`VisitError` is raised and nothing is
    written. The caller's frame is never changed; new columns are added to the copy as needed.

    Returns
    -------
    (updated, log): ``log`` has one row per changed cell — ``visit_id``, ``customer_id``,
    ``field``, ``old``, ``new``, ``at`` (the visit date). Unchanged values are not logged.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import visits
    >>> customers = pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["星海酒店", "王伟"],
    ...                           "phone": ["13800138000", "13900000000"]})
    >>> visit = {"visit_id": "V1", "customer_id": "C1", "visit_date": "2025-06-03", "stage": "初步信任",
    ...          "next_action": "技术交流", "next_date": "2025-06-10", "updates": {"phone": "+86 137 0000 1111"}}
    >>> updated, log = visits.record_visit(customers, visit)
    >>> log[["field", "old", "new"]]
                 field          old                  new
    0  last_visit_date          NaN  2025-06-03 00:00:00
    1   customer_stage          NaN        initial_trust
    2      next_action          NaN                 技术交流
    3        next_date          NaN  2025-06-10 00:00:00
    4            phone  13800138000          13700001111
    >>> customers.columns.tolist()            # the caller's frame is unchanged
    ['customer_id', 'name', 'phone']
    """
    _archive._need_columns(customers, [customer], "customers")
    row, new = _changes(customers, visit, customer)
    return _write(customers, [(visit.get("visit_id"), visit["customer_id"], pd.Timestamp(visit["visit_date"]), row, new)])


def _write(customers: pd.DataFrame, changes: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = customers.copy()
    log = []
    for vid, cid, when, row, new in changes:
        for col, v in new.items():
            if col not in out.columns:
                out[col] = pd.Series([None] * len(out), index=out.index, dtype=object)
            old = out.at[row, col]
            old = None if _blank(old) else old
            if old is not None and not isinstance(v, (pd.Timestamp, _dt.date)) and str(old) == str(v):
                continue
            if old is not None and isinstance(v, pd.Timestamp) and pd.Timestamp(old) == v:
                continue
            if out[col].dtype != object and not (pd.api.types.is_datetime64_any_dtype(out[col]) and isinstance(v, pd.Timestamp)):
                try:
                    out.at[row, col] = v
                except (TypeError, ValueError):
                    out[col] = out[col].astype(object)
                    out.at[row, col] = v
            else:
                out.at[row, col] = v
            log.append({"visit_id": vid, "customer_id": cid, "field": col, "old": old, "new": v, "at": when})
    log = pd.DataFrame(log, columns=["visit_id", "customer_id", "field", "old", "new", "at"])
    return out, log.astype({"old": object, "new": object})


def apply_visits(customers: pd.DataFrame, visit_log: pd.DataFrame, customer: str = "customer_id"):
    """Enter many visits (one per row, in date order) into the archive; all or nothing.

    Every visit is checked before anything is written: if one is invalid, :class:`VisitError`
    names it and no change is made. Visits of the same customer apply in date order, so the
    latest stage and next step win.

    >>> import pandas as pd
    >>> from crmlab import visits
    >>> customers = pd.DataFrame({"customer_id": ["C1", "C2"]})
    >>> log = pd.DataFrame({"visit_id": ["V2", "V1"], "customer_id": ["C1", "C1"],
    ...                     "visit_date": ["2025-06-10", "2025-06-03"], "stage": ["信赖", "初步信任"]})
    >>> updated, changes = visits.apply_visits(customers, log)
    >>> updated.loc[0, "customer_stage"], len(changes)
    ('reliance', 4)
    """
    _archive._need_columns(visit_log, ["customer_id", "visit_date"], "visit_log")
    _archive._need_columns(customers, [customer], "customers")
    ordered = visit_log.assign(_d=pd.to_datetime(visit_log["visit_date"], errors="coerce", format="mixed"))
    if ordered["_d"].isna().any():
        bad = ordered.index[ordered["_d"].isna()]
        raise VisitError("BAD_DATE", f"visits {list(bad)} have no valid visit_date", f"第 {list(bad)} 条拜访记录的日期无效")
    ordered = ordered.sort_values("_d", kind="stable").drop(columns="_d")
    # validate every visit against the state the previous ones leave, without writing
    state = customers
    staged = []
    for idx, rec in ordered.iterrows():
        visit = {k: v for k, v in rec.items() if not (k != "updates" and _blank(v))}
        try:
            row, new = _changes(state, visit, customer)
        except VisitError as err:
            raise VisitError(err.code, f"visit at row {idx}: {err.en}", f"第 {idx} 行拜访记录：{err.zh}") from None
        staged.append((visit.get("visit_id"), visit["customer_id"], pd.Timestamp(visit["visit_date"]), row, new))
        if "last_visit_date" in new:   # later checks see the newer date
            state, _ = _write(state, [staged[-1][:4] + ({"last_visit_date": new["last_visit_date"]},)])
    return _write(customers, staged)


# --------------------------------------------------------------------------------------------
# The visit audit
# --------------------------------------------------------------------------------------------
#: What :func:`audit_visit` checks: code, 中文, English, source in the book.
VISIT_RULES = pd.DataFrame([
    ("late", "迟到", "arrived after the agreed time", "task 6 §6.1.2 1 (2)"),
    ("too_short", "拜访时间过短", "a new-customer visit under 15 minutes", "task 6 §6.1.2 1 (5)"),
    ("too_long", "拜访时间过长", "a new-customer visit over 1 hour", "task 6 §6.1.2 1 (5)"),
    ("no_appointment", "未预约", "a key customer / big firm's manager visited without an appointment", "task 6 §6.1.2 1 (1)"),
    ("bad_unannounced_time", "不速之访时间不当", "an unannounced visit outside start + 30 min / end − 60 min",
     "task 6 §6.1.2 1 (2)"),
    ("no_listen_majority", "倾听不足", "listened less than half the time (15 of 30 minutes)", "task 6 §6.1.3 1"),
    ("no_enquiry_phase", "缺少询问环节", "no enquiry into needs (询问)", "task 6 §6.1.3 5"),
    ("no_next_step", "未计划下一步行动", "no next step planned (计划下一步行动)", "task 6 §6.1.3 5"),
    ("asked_too_early", "过早要求签约", "asked for the order before the reliance stage (信赖)", "task 6 §6.1.2 3"),
    ("out_of_policy_promise", "政策外承诺", "promised something outside policy", "task 6 §6.1.2 3 三大纪律 (3)"),
    ("not_logged_to_archive", "未录入档案", "visit not entered into the archive", "task 6 §6.1.1 3 (2)"),
    ("no_report_to_head", "未报部门负责人", "record not submitted to the department head", "task 6 §6.1.1 3 (1)"),
], columns=["code", "zh", "en", "source"]).set_index("code")


def _minutes_between(a, b) -> float:
    ta, tb = _clock(a, "start"), _clock(b, "end")
    return _minutes(tb) - _minutes(ta)


@computes("visit_audit", "拜访检查", "visit audit")
def audit_visit(visit: Mapping) -> list[str]:
    """The rules of :data:`VISIT_RULES` a visit breaks (a list of codes; empty = clean).

    A rule is checked only when its fields are present, so a short record is not punished for
    what it does not say: ``planned_start``/``arrive`` (late), ``start``/``end`` with
    ``visit_type`` new (15–60 minutes), ``appointment`` with ``visit_type`` key or
    ``customer_kind`` (needs an appointment), ``appointment`` False with ``start`` and the
    customer's ``work_start``/``work_end`` (default 08:30–17:30; :func:`unannounced_ok`),
    ``minutes_listen``/``minutes_ask``/``minutes_present`` (listen ≥ half), ``phases`` (询问 and
    计划下一步行动 present; a visit with a ``next_action`` counts as planned), ``asked_for_order``
    with ``stage``, ``promises_out_of_policy``, ``logged_to_archive``, ``reported_to_head``.

    Examples
    --------
    >>> from crmlab import visits
    >>> v = {"visit_type": "新客户", "start": "17:10", "end": "17:20", "appointment": False,
    ...      "phases": ["开场白", "询问", "建议"], "asked_for_order": True, "stage": "初步信任"}
    >>> visits.audit_visit(v)
    ['too_short', 'bad_unannounced_time', 'no_next_step', 'asked_too_early']
    """
    if not isinstance(visit, Mapping):
        raise VisitError("BAD_VISIT", "a visit must be a dict (or a Series) of fields", "拜访记录必须是字段字典")
    v = {k: val for k, val in visit.items()
         if (isinstance(val, (list, tuple, set, frozenset, np.ndarray)) or not _blank(val))}
    out = []
    vtype = visit_type(v["visit_type"]) if "visit_type" in v else None
    if "planned_start" in v and "arrive" in v and _minutes_between(v["planned_start"], v["arrive"]) > 0:
        out.append("late")
    if "start" in v and "end" in v and vtype == "new":
        dur = _minutes_between(v["start"], v["end"])
        if dur < 0:
            raise VisitError("BAD_TIME", "the visit ends before it starts", "拜访结束时间早于开始时间")
        if dur < VISIT_LIMITS["min_minutes"]:
            out.append("too_short")
        if dur > VISIT_LIMITS["max_minutes"]:
            out.append("too_long")
    if "appointment" in v and not bool(v["appointment"]):
        needs = vtype == "key" or ("customer_kind" in v and needs_appointment(v["customer_kind"]))
        if needs:
            out.append("no_appointment")
        if "start" in v and not unannounced_ok(v["start"], v.get("work_start", "08:30"), v.get("work_end", "17:30")):
            out.append("bad_unannounced_time")
    mins = [v.get(k) for k in ("minutes_listen", "minutes_ask", "minutes_present")]
    if all(m is not None for m in mins):
        if any((not isinstance(m, (int, float)) or isinstance(m, bool) or m < 0) for m in mins):
            raise VisitError("BAD_VALUE", "minutes must be numbers ≥ 0", "分钟数必须是非负数")
        total = sum(mins)
        if total > 0 and mins[0] / total < TIME_SPLIT["listen"] / sum(TIME_SPLIT.values()):
            out.append("no_listen_majority")
    if "phases" in v:
        phases = v["phases"]
        if isinstance(phases, str):
            phases = [p for p in phases.replace("，", ",").replace("、", ",").split(",") if p.strip()]
        done = {phase_code(p) for p in phases}
        if "enquiry" not in done:
            out.append("no_enquiry_phase")
        if "next_step" not in done and _blank(visit.get("next_action")):
            out.append("no_next_step")
    if bool(v.get("asked_for_order", False)) and "stage" in v and not can_ask_for_order(v["stage"]):
        out.append("asked_too_early")
    if bool(v.get("promises_out_of_policy", False)):
        out.append("out_of_policy_promise")
    if "logged_to_archive" in v and not bool(v["logged_to_archive"]):
        out.append("not_logged_to_archive")
    if "reported_to_head" in v and not bool(v["reported_to_head"]):
        out.append("no_report_to_head")
    return out


def audit_visits(visit_log: pd.DataFrame) -> pd.DataFrame:
    """Audit many visits: one boolean column per rule of :data:`VISIT_RULES` plus the count.

    >>> import pandas as pd
    >>> from crmlab import visits
    >>> log = pd.DataFrame([visits.ZHAO_CASE, {"visit_type": "old", "logged_to_archive": False}])
    >>> a = visits.audit_visits(log)
    >>> a["n_violations"].tolist(), a.columns[a.iloc[1].astype(bool)].tolist()
    ([3, 1], ['not_logged_to_archive', 'n_violations'])
    """
    _archive._need_frame(visit_log, "visit_log")
    rows = []
    for idx, rec in visit_log.iterrows():
        try:
            found = set(audit_visit(rec.to_dict()))
        except VisitError as err:
            raise VisitError(err.code, f"visit at row {idx}: {err.en}", f"第 {idx} 行拜访记录：{err.zh}") from None
        rows.append({code: code in found for code in VISIT_RULES.index})
    out = pd.DataFrame(rows, index=visit_log.index, columns=list(VISIT_RULES.index)).astype(bool)
    out["n_violations"] = out.sum(axis=1).astype(int)
    return out


#: Task 6 拓展学习 一次并不成功的拜访: visiting 赵主任 of a provincial highway bureau. The
#: customer revealed a province-wide expressway project and a pain point (toll stations spread
#: over the province); the salesperson answered with 3-year on-site service, next-working-day
#: repair and "global no. 1 market share after only 17 years", then a long pitch on the direct
#: sales model until the customer left for a meeting — no enquiry into the project, no next
#: step. The minutes are crmlab's illustration (the book gives none); the rest is the book's.
ZHAO_CASE = {
    "visit_id": "ZHAO", "customer": "××省公路局 赵主任", "visit_type": "old", "appointment": True,
    "minutes_listen": 5, "minutes_ask": 2, "minutes_present": 23,
    "phases": ["开场白", "建议"], "stage": "初步信任", "asked_for_order": False, "next_action": None,
    "promises_out_of_policy": False, "logged_to_archive": True, "reported_to_head": True,
    "facts": {"on_site_service_years": 3, "repair": "next working day", "history_years": 17,
              "claim": "global no. 1 market share", "revealed": "province-wide expressway project"},
}
#: Task 6 任务引入 为什么失败了？: 苏州金龙 lost 厦门大学's tender for 20 buses (6 months of
#: preparation, 10 bidders) after engaging 1 month before the bid opening through a party
#: secretary retired 2 years and a purchasing clerk, instead of the 8-person evaluation group
#: and the heads of purchasing and asset management. See ``crmlab.archive.decision_map``.
KINGLONG_CASE = {"buses": 20, "preparation_months": 6, "bidders": 10, "engaged_months_before": 1,
                 "panel_size": 8, "secretary_retired_years": 2,
                 "contacts_used": ["gatekeeper", "buyer"], "decision_roles_missed": ["decision_maker", "evaluator"]}
