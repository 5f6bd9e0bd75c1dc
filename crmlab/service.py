"""Customer service (客户服务管理): service stages, an after-sales archive with 三包, schedules, standards.

Textbook task 11:

- §11.2 service by time — pre-sale, in-sale and after-sale (售前、售中、售后服务):
  :data:`SERVICE_ACTIVITIES`, :func:`service_stage`, :func:`classify_service`,
  :func:`stage_mismatches`, :func:`service_summary`; §11.1.1 the three service levels
  :data:`SERVICE_LEVELS`;
- §11.2.3 and the 实训 (build an after-sales electronic archive, 售后服务电子档案):
  :class:`AfterSalesArchive` — SQLAlchemy 2 ORM, a SQLite file by default, any SQLAlchemy URL
  (e.g. PostgreSQL) accepted — with warranty status and the 三包 rule
  (:func:`three_guarantees_decision`), follow-ups (及时回访) and birthday greetings
  (:func:`followup_schedule`, :func:`birthday_schedule`);
- §11.3 service standards — hardware, software, people (服务硬件、服务软件、服务人员):
  :data:`SERVICE_STANDARD_ITEMS`, :func:`service_standard_score`, :func:`service_standard_table`;
- 任务引入 王永庆卖米: :func:`rice_run_out`, :func:`next_delivery`, :func:`rice_delivery_plan`.

Example
-------
>>> from crmlab import service
>>> service.service_stage("免费调试安装"), service.service_stage("consultation", lang="en")
('售中服务', 'pre_sale')
>>> service.next_delivery("2024-03-01", kg_delivered=20, household_size=4, kg_per_person_month=5)
Timestamp('2024-03-30 00:00:00')
>>> with service.AfterSalesArchive(":memory:") as archive:
...     archive.add_customer("C1", "张三", birthday="1990-05-20")
...     archive.add_sale("S1", "C1", "空调 KF-35", "2024-01-10", warranty_months=12)
...     _ = archive.log_event("S1", "2024-03-01", "维修", resolved=False)
...     _ = archive.log_event("S1", "2024-04-01", "维修", resolved=False)
...     archive.three_guarantees_decision("S1", on_date="2024-04-02")["decision"]
'exchange_or_refund'
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, MetaData, String,
                        create_engine, event, insert, select)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from .shortcuts import computes
from ._lang import DEFAULT_LANG, check_lang
from .errors import CRMLabError, bilingual, parts
from . import _validate, glossary
from ._validate import is_blank as _blank, blank_mask as _blanks, preview as _rows

__all__ = [
    "ServiceError",
    "STAGES", "SERVICE_LEVELS", "service_stage", "classify_service",
    "stage_mismatches", "service_summary",
    "EVENT_KINDS", "AfterSalesArchive", "warranty_end", "three_guarantees_decision",
    "followup_schedule", "birthday_schedule",
    "SERVICE_STANDARD_ITEMS", "service_standard_score", "service_standard_table",
    "rice_run_out", "next_delivery", "rice_delivery_plan",
]


class ServiceError(CRMLabError):
    """Bad input to the after-sales service functions (售后服务):
    a :class:`crmlab.errors.CRMLabError` (a ``ValueError``), message in Chinese then English."""

    code = "SERVICE_ERROR"


def _err(en: str, zh: str) -> ServiceError:
    return ServiceError(en, zh)


def _need_columns(frame, columns, what: str) -> None:
    _validate.require_columns(frame, columns, what, ServiceError)


def _day(value, what: str) -> pd.Timestamp:
    if _blank(value):
        raise _err(f"{what} is missing.", f"{what} 为空。")
    ts = pd.to_datetime(value, errors="coerce", format="mixed")
    if pd.isna(ts):
        raise _err(f"{what} is not a readable date: {value!r}.", f"{what} 不是可识别的日期：{value!r}。")
    return pd.Timestamp(ts).normalize()


def _days(values: pd.Series, what: str, allow_blank: bool = False) -> pd.Series:
    blank = values.pipe(_blanks)
    parsed = pd.to_datetime(values.where(~blank), errors="coerce", format="mixed").dt.normalize()
    bad = values.index[(parsed.isna() & ~blank) | (blank & (not allow_blank))]
    if len(bad):
        raise _err(f"{what} has missing or unreadable dates in rows {_rows(bad)}.", f"{what} 在这些行为空或无法识别：{_rows(bad)}。")
    return parsed


# --------------------------------------------------------------------------- §11.2 stages
#: The three stages of service by time (textbook task 11 §11.2).
STAGES: dict[str, str] = {"pre_sale": "售前服务", "in_sale": "售中服务", "after_sale": "售后服务"}

#: Service activities → stage (textbook task 11 §11.2.1–11.2.3); ``also`` lists accepted labels,
#: including the shipped ``service_tickets.request`` codes.
_SERVICE_ACTIVITIES = pd.DataFrame(
    [
        ("consultation", "咨询服务", "pre_sale", ("咨询", "售前咨询")),
        ("bundled_sales", "配套销售服务", "pre_sale", ("配套销售",)),
        ("out_of_stock_procurement", "缺货代购服务", "pre_sale", ("缺货代购", "缺货登记")),
        ("customer_design", "请客户参与产品设计", "pre_sale", ("客户参与设计", "参与产品设计")),
        ("free_training_class", "免费培训班", "pre_sale", ("免费培训",)),
        ("free_trial", "免费试用", "pre_sale", ("试用",)),
        ("factory_visit", "参观工厂", "pre_sale", ("参观",)),
        ("brochure", "产品说明书和宣传资料", "pre_sale", ("宣传资料", "说明书")),
        ("promotion_event", "促销活动", "pre_sale", ("促销",)),
        ("home_presentation", "上门介绍", "pre_sale", ("上门介绍产品",)),
        ("quality_demonstration", "质量展示", "pre_sale", ("质量演示",)),
        ("needs_survey", "需求与使用条件调查", "pre_sale", ("需求调查",)),
        ("guided_shopping", "现场导购", "in_sale", ("导购",)),
        ("demonstration", "现场演示", "in_sale", ("演示",)),
        ("technical_guidance", "技术指导和培训服务", "in_sale", ("技术指导", "技术培训")),
        ("free_delivery", "免费送货", "in_sale", ("送货", "delivery")),
        ("installation", "免费调试安装", "in_sale", ("安装", "调试", "安装调试", "install")),
        ("comfortable_store", "舒适的购物环境", "in_sale", ("购物环境",)),
        ("child_minding", "代看儿童", "in_sale", ("托管儿童",)),
        ("customer_archive", "建立消费者档案", "after_sale", ("消费者档案", "客户档案", "建档")),
        ("followup", "及时回访", "after_sale", ("回访", "follow_up")),
        ("repair", "包修", "after_sale", ("维修", "保修")),
        ("exchange", "包换", "after_sale", ("换货",)),
        ("refund", "包退", "after_sale", ("退货", "退款", "return")),
        ("complaint_handling", "妥善处理投诉", "after_sale", ("处理投诉", "投诉")),
        ("user_events", "用户联谊和交流", "after_sale", ("用户联谊", "联谊")),
        ("greeting_card", "节日贺卡和生日祝福", "after_sale", ("贺卡", "生日祝福", "birthday_greeting")),
        ("maintenance", "保养", "after_sale", ("维护", "定期保养")),
    ],
    columns=["activity", "zh", "stage", "also"]).set_index("activity")

#: The three service levels (§11.1.1): basic, responsive and unexpected (the focus of improvement).
SERVICE_LEVELS = pd.DataFrame(
    [("basic", "基本服务", "assumed before the purchase"),
     ("responsive", "反应服务", "what customers can ask for; found by surveys"),
     ("unexpected", "意外服务", "surprises; the focus of improvement")],
    columns=["level", "zh", "meaning"]).set_index("level")

_ACTIVITY_LOOKUP = {}
for _act, _row in _SERVICE_ACTIVITIES.iterrows():
    for _label in (_act, _row["zh"], *_row["also"]):
        _ACTIVITY_LOOKUP[_label.casefold()] = _act


def _stage_of(activity) -> str | None:
    if _blank(activity):
        return None
    text = str(activity).strip().casefold()
    act = _ACTIVITY_LOOKUP.get(text)
    return _SERVICE_ACTIVITIES.loc[act, "stage"] if act else None


@computes("service_stage", "服务所属的阶段（售前、售中、售后）", "stage of a service activity")
def service_stage(activity, lang: str = DEFAULT_LANG) -> str:
    """Stage of a service activity: 售前服务, 售中服务 or 售后服务 (textbook task 11 §11.2).

    ``lang="en"`` gives the keys ``pre_sale``, ``in_sale`` or ``after_sale``.

    Activities may be named by key, by the textbook's Chinese term, or by the shipped
    ``service_tickets.request`` codes. Note the textbook files free installation (免费调试安装)
    and free delivery under *in-sale* service.

    Examples
    --------
    >>> service_stage("现场演示"), service_stage("repair"), service_stage("缺货代购", lang="en")
    ('售中服务', '售后服务', 'pre_sale')
    """
    check_lang(lang, _err)
    stage = _stage_of(activity)
    if stage is None:
        raise _err(f"unknown service activity {activity!r}; see SERVICE_ACTIVITIES for the names.",
                   f"未知的服务项目 {activity!r}；可用的名称见 SERVICE_ACTIVITIES。")
    return stage if lang == "en" else STAGES[stage]


@computes("service_stage")
def classify_service(frame: pd.DataFrame, activity: str = "request", lang: str = DEFAULT_LANG) -> pd.Series:
    """Stage of every row (all unknown activities are reported together).

    Examples
    --------
    >>> requests = pd.DataFrame({"request": ["consultation", "installation", "return"]})
    >>> classify_service(requests).tolist()
    ['售前服务', '售中服务', '售后服务']
    >>> classify_service(requests, lang="en").tolist()
    ['pre_sale', 'in_sale', 'after_sale']
    """
    check_lang(lang, _err)
    _need_columns(frame, [activity], "frame")
    stages = frame[activity].map(_stage_of)
    bad = frame.index[stages.isna()]
    if len(bad):
        raise _err(f"unknown service activities {_rows(pd.unique(frame.loc[bad, activity]))} in rows {_rows(bad)}.",
                   f"这些行的服务项目无法识别：{_rows(bad)}。")
    if lang == "zh":
        stages = stages.map(STAGES)
    return stages.rename("stage")


def stage_mismatches(tickets: pd.DataFrame, activity: str = "request", recorded: str = "service_type") -> pd.DataFrame:
    """Rows whose recorded stage disagrees with the stage the textbook gives their activity.

    Useful as a data check on ``crmlab.datasets.load("service_tickets")`` (``service_type`` may be
    ``pre_sale``/``in_sale``/``after_sale`` or 售前/售中/售后). Returns the disagreeing rows with an
    ``expected_stage`` column; an empty frame means the data agree with the textbook.

    Examples
    --------
    >>> df = pd.DataFrame({"request": ["installation", "repair"], "service_type": ["after_sale", "售后"]})
    >>> stage_mismatches(df)[["request", "expected_stage"]].values.tolist()
    [['installation', 'in_sale']]
    """
    _need_columns(tickets, [activity, recorded], "tickets")
    expected = classify_service(tickets, activity, lang="en")
    short = {"售前": "pre_sale", "售中": "in_sale", "售后": "after_sale"}
    lookup = {**{k: k for k in STAGES}, **{v: k for k, v in STAGES.items()}, **short}
    got = tickets[recorded].map(lambda v: lookup.get(str(v).strip()))
    bad = tickets.index[got.isna()]
    if len(bad):
        raise _err(f"unknown stage labels in {recorded!r}, rows {_rows(bad)}.", f"{recorded!r} 列中有无法识别的阶段：{_rows(bad)}。")
    out = tickets[got != expected].copy()
    out["expected_stage"] = expected[got != expected]
    return out


@computes("service_summary", "各阶段服务单汇总", "service tickets by stage")
def service_summary(tickets: pd.DataFrame, *, by: str = "service_type", opened: str = "opened_at",
                    closed: str = "closed_at", rating: str | None = "rating_1_5") -> pd.DataFrame:
    """Tickets, median days to close and mean rating per stage (or any ``by`` column).

    Examples
    --------
    >>> from crmlab import datasets
    >>> service_summary(datasets.load("service_tickets"))["tickets"].to_dict()
    {'after_sale': 209, 'in_sale': 78, 'pre_sale': 56}
    """
    cols = [by, opened, closed] + ([rating] if rating else [])
    _need_columns(tickets, cols, "tickets")
    o, c = _days(tickets[opened], opened), _days(tickets[closed], closed, allow_blank=True)
    bad = tickets.index[c < o]
    if len(bad):
        raise _err(f"tickets closed before they were opened: rows {_rows(bad)}.", f"这些服务单的关闭日期早于开单日期：{_rows(bad)}。")
    frame = pd.DataFrame({by: tickets[by], "days": (c - o).dt.days})
    agg = {"tickets": (by, "size"), "open": ("days", lambda d: int(d.isna().sum())),
           "median_days_to_close": ("days", "median")}
    if rating:
        r = pd.to_numeric(tickets[rating], errors="coerce")
        bad = tickets.index[r.notna() & ~r.between(1, 5)]
        if len(bad):
            raise _err(f"ratings must be 1–5; rows {_rows(bad)}.", f"评分必须在 1–5 之间：{_rows(bad)}。")
        frame["rating"] = r
        agg["mean_rating"] = ("rating", "mean")
    return frame.groupby(by).agg(**agg).round(2)


# --------------------------------------------------------------------------- after-sales archive
#: Event kinds of the archive (English key → Chinese). 保养 and 不合格认定 are crmlab additions.
EVENT_KINDS: dict[str, str] = {
    "consult": "咨询", "install": "安装", "repair": "维修", "maintenance": "保养", "exchange": "换货",
    "refund": "退货", "followup": "回访", "complaint": "投诉", "nonconforming": "不合格认定",
}
_KIND_MORE = {"consult": ("consultation",), "install": ("installation",), "refund": ("return", "退款"),
              "repair": ("修理",), "exchange": ("更换",), "followup": ("follow_up",), "maintenance": ("维护",),
              "nonconforming": ("经认定不合格",)}
#: The event kinds as a :class:`crmlab.glossary.Vocabulary` (code, 中文, English synonyms).
EVENT_KIND = glossary.Vocabulary("event_kind", {k: (v, k, _KIND_MORE.get(k, ())) for k, v in EVENT_KINDS.items()},
                                 what=("event kind", "服务记录类型"))
_AFTER_PURCHASE = {"repair", "maintenance", "exchange", "refund", "followup", "nonconforming", "install"}


def _kind(value) -> str:
    key = EVENT_KIND.get(value) if not _blank(value) else None
    if key is None:
        raise _err(f"unknown event kind {value!r}; use one of {list(EVENT_KINDS)} or {list(EVENT_KINDS.values())}.",
                   f"未知的服务记录类型 {value!r}；可用：{list(EVENT_KINDS.values())}。")
    return key


class _Base(DeclarativeBase):
    metadata = MetaData()


class Customer(_Base):
    """A customer of the after-sales archive (消费者档案)."""

    __tablename__ = "aftersales_customer"
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    birthday: Mapped[date | None] = mapped_column(Date, nullable=True)
    household_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (CheckConstraint("household_size IS NULL OR household_size > 0", name="ck_household_size"),)


class Sale(_Base):
    """A product sold to a customer, with its warranty period (保修期, months)."""

    __tablename__ = "aftersales_sale"
    sale_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("aftersales_customer.customer_id"), index=True)
    product: Mapped[str] = mapped_column(String(120))
    purchase_date: Mapped[date] = mapped_column(Date)
    price: Mapped[float | None] = mapped_column(Float, nullable=True)
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)
    serial_no: Mapped[str] = mapped_column(String(80), default="")
    __table_args__ = (CheckConstraint("warranty_months >= 0", name="ck_warranty_months"),
                      CheckConstraint("price IS NULL OR price >= 0", name="ck_price"))


class ServiceEvent(_Base):
    """One service event of a sale: repair (with its outcome), exchange, refund, follow-up …"""

    __tablename__ = "aftersales_event"
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("aftersales_sale.sale_id"), index=True)
    event_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(500), default="")
    technician: Mapped[str] = mapped_column(String(80), default="")
    resolved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    cost_to_customer: Mapped[float] = mapped_column(Float, default=0.0)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + ")", name="ck_event_kind"),
        CheckConstraint("satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)", name="ck_satisfaction"),
        CheckConstraint("cost_to_customer >= 0", name="ck_cost"),
    )


class FollowUp(_Base):
    """A scheduled follow-up (回访) of a sale."""

    __tablename__ = "aftersales_followup"
    followup_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("aftersales_sale.sale_id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    days_after: Mapped[int] = mapped_column(Integer)
    done_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    method: Mapped[str] = mapped_column(String(20), default="")
    feedback: Mapped[str] = mapped_column(String(500), default="")


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


class AfterSalesArchive:
    """The after-sales electronic archive (售后服务电子档案), textbook task 11 实训.

    Four tables, made with the SQLAlchemy 2 ORM: customers (消费者档案: name, phone, address,
    birthday, household size), sales (product, purchase date, warranty months), service events
    (consult, install, repair with its outcome, exchange, refund, follow-up, complaint …) and
    follow-ups (回访 plan and results).

    Parameters
    ----------
    location : a SQLite file path (default ``"after_sales.db"``), ``":memory:"``, or any SQLAlchemy
        URL such as ``"postgresql+psycopg://user:pw@host/db"`` (the driver must be installed).

    Every ``add_*``/``log_*`` method checks its input first and writes in one transaction: a bad
    row raises ``ValueError`` (English + 中文) and nothing is written. Use as a context manager or
    call :meth:`close`.

    Examples
    --------
    >>> a = AfterSalesArchive(":memory:")
    >>> a.add_customer("C1", "李四")
    >>> a.add_sale("S1", "C9", "冰箱", "2024-01-01")
    Traceback (most recent call last):
    ...
    crmlab.service.ServiceError: 客户 'C9' 不存在，请先登记客户。 / unknown customer 'C9'; add the customer first.
    >>> a.to_frames()["sales"].shape[0]
    0
    >>> a.close()
    """

    def __init__(self, location: str | Path = "after_sales.db", *, echo: bool = False):
        text = str(location)
        if text == ":memory:":
            url = "sqlite://"
        elif "://" in text:
            url = text
        else:
            url = f"sqlite:///{Path(text)}"
        try:
            self.url = make_url(url)
            self.engine = create_engine(self.url, echo=echo)
        except (ArgumentError, ValueError) as exc:
            raise _err(f"not a usable database location {text!r}: {exc}", f"无法使用的数据库地址 {text!r}。") from None
        except (ImportError, NoSuchModuleError) as exc:
            raise _err(f"the database driver for {text.split('://')[0]!r} is not installed ({exc}); "
                       f"e.g. pip install psycopg for PostgreSQL.",
                       f"没有安装 {text.split('://')[0]!r} 的数据库驱动（PostgreSQL 可安装 psycopg）。") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_foreign_keys)
        _Base.metadata.create_all(self.engine)

    # ---- housekeeping
    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"AfterSalesArchive({self.url.render_as_string(hide_password=True)!r})"

    # ---- writing
    def add_customer(self, customer_id: str, name: str = "", *, phone: str = "", address: str = "",
                     birthday=None, household_size: int | None = None) -> None:
        """Register one customer."""
        self.add_customers(pd.DataFrame([{"customer_id": customer_id, "name": name, "phone": phone,
                                          "address": address, "birthday": birthday,
                                          "household_size": household_size}]))

    def add_customers(self, customers: pd.DataFrame) -> int:
        """Register many customers (columns customer_id and optionally name, phone, address,
        birthday, household_size). Returns the number added."""
        _need_columns(customers, ["customer_id"], "customers")
        df = customers.copy()
        ids = df["customer_id"]
        bad = df.index[ids.pipe(_blanks)]
        if len(bad):
            raise _err(f"customers without customer_id in rows {_rows(bad)}.", f"这些行缺少客户编号：{_rows(bad)}。")
        ids = ids.astype(str)
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            raise _err(f"customer ids occur more than once: {_rows(pd.unique(dup))} (drop duplicate rows first).",
                       f"客户编号重复：{_rows(pd.unique(dup))}（请先删除重复行）。")
        rows = pd.DataFrame({"customer_id": ids})
        for col in ("name", "phone", "address"):
            rows[col] = df[col].map(lambda v: "" if _blank(v) else str(v)) if col in df.columns else ""
        rows["birthday"] = (_days(df["birthday"], "customers['birthday']", allow_blank=True).dt.date
                            if "birthday" in df.columns else None)
        if "household_size" in df.columns:
            hs = pd.to_numeric(df["household_size"], errors="coerce")
            bad = df.index[(hs.isna() & ~df["household_size"].pipe(_blanks)) | (hs.notna() & ((hs <= 0) | (hs % 1 != 0)))]
            if len(bad):
                raise _err(f"household_size must be a whole number > 0; rows {_rows(bad)}.", f"家庭人数必须是正整数：{_rows(bad)}。")
            rows["household_size"] = hs.astype("Int64")
        else:
            rows["household_size"] = None
        with Session(self.engine) as s, s.begin():
            known = set(s.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(list(ids)))))
            if known:
                raise _err(f"customer(s) already in the archive: {_rows(sorted(known))}.", f"档案中已有这些客户：{_rows(sorted(known))}。")
            s.execute(insert(Customer), _records(rows))
        return len(rows)

    def add_sale(self, sale_id: str, customer_id: str, product: str, purchase_date, *, price: float | None = None,
                 warranty_months: int = 12, serial_no: str = "") -> None:
        """Register one sale (保修期 ``warranty_months``; crmlab default 12 — the textbook gives none)."""
        self.add_sales(pd.DataFrame([{"sale_id": sale_id, "customer_id": customer_id, "product": product,
                                      "purchase_date": purchase_date, "price": price,
                                      "warranty_months": warranty_months, "serial_no": serial_no}]))

    def add_sales(self, sales: pd.DataFrame, *, warranty_months: int = 12) -> int:
        """Register many sales (columns sale_id, customer_id, product, purchase_date; optionally
        price, warranty_months, serial_no). Returns the number added."""
        _need_columns(sales, ["sale_id", "customer_id", "product", "purchase_date"], "sales")
        df = sales.copy()
        problems = []
        for col in ("sale_id", "customer_id", "product"):
            bad = df.index[df[col].pipe(_blanks)]
            if len(bad):
                problems.append(f"empty {col} in rows {_rows(bad)}")
        if problems:
            raise _err("malformed sales: " + "; ".join(problems) + ".", "销售记录有误：有必填字段为空。")
        ids = df["sale_id"].astype(str)
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            raise _err(f"sale ids occur more than once: {_rows(pd.unique(dup))}.", f"销售编号重复：{_rows(pd.unique(dup))}。")
        rows = pd.DataFrame({"sale_id": ids, "customer_id": df["customer_id"].astype(str),
                             "product": df["product"].astype(str),
                             "purchase_date": _days(df["purchase_date"], "sales['purchase_date']").dt.date})
        if "price" in df.columns:
            price = pd.to_numeric(df["price"], errors="coerce")
            bad = df.index[(price.isna() & ~df["price"].pipe(_blanks)) | (price < 0)]
            if len(bad):
                raise _err(f"price must be a number ≥ 0; rows {_rows(bad)}.", f"价格必须是 ≥ 0 的数：{_rows(bad)}。")
            rows["price"] = price.astype(object).where(price.notna(), None)
        else:
            rows["price"] = None
        wm = pd.to_numeric(df["warranty_months"], errors="coerce") if "warranty_months" in df.columns \
            else pd.Series(warranty_months, index=df.index)
        bad = df.index[wm.isna() | (wm < 0) | (wm % 1 != 0)]
        if len(bad):
            raise _err(f"warranty_months must be a whole number ≥ 0; rows {_rows(bad)}.", f"保修月数必须是非负整数：{_rows(bad)}。")
        rows["warranty_months"] = wm.astype(int)
        rows["serial_no"] = df["serial_no"].map(lambda v: "" if _blank(v) else str(v)) if "serial_no" in df.columns else ""
        with Session(self.engine) as s, s.begin():
            wanted = list(pd.unique(rows["customer_id"]))
            known = set(s.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(wanted))))
            unknown = [c for c in wanted if c not in known]
            if unknown:
                if len(rows) == 1:
                    raise _err(f"unknown customer {unknown[0]!r}; add the customer first.", f"客户 {unknown[0]!r} 不存在，请先登记客户。")
                raise _err(f"unknown customer(s) {_rows(unknown)}; add them first.", f"这些客户不存在，请先登记：{_rows(unknown)}。")
            existing = set(s.scalars(select(Sale.sale_id).where(Sale.sale_id.in_(list(ids)))))
            if existing:
                raise _err(f"sale(s) already in the archive: {_rows(sorted(existing))}.", f"档案中已有这些销售记录：{_rows(sorted(existing))}。")
            s.execute(insert(Sale), _records(rows))
        return len(rows)

    def log_event(self, sale_id: str, event_date, kind: str, *, description: str = "", technician: str = "",
                  resolved: bool | None = None, cost_to_customer: float = 0.0, satisfaction: int | None = None) -> int:
        """Log one service event; returns its event_id. ``kind`` accepts 咨询/安装/维修/保养/换货/
        退货/回访/投诉/不合格认定 or the English keys of :data:`EVENT_KINDS`; ``resolved`` is the
        outcome of a repair (False = the product still does not work)."""
        ids = self.log_events(pd.DataFrame([{"sale_id": sale_id, "event_date": event_date, "kind": kind,
                                             "description": description, "technician": technician,
                                             "resolved": resolved, "cost_to_customer": cost_to_customer,
                                             "satisfaction": satisfaction}]))
        return ids[0]

    def log_events(self, events: pd.DataFrame) -> list[int]:
        """Log many events (columns sale_id, event_date, kind; optionally description, technician,
        resolved, cost_to_customer, satisfaction). Returns the new event ids.

        After-sale kinds (repair, exchange, refund, follow-up …) dated before the purchase are an
        error; consultations may precede it.
        """
        _need_columns(events, ["sale_id", "event_date", "kind"], "events")
        df = events.copy()
        bad = df.index[df["sale_id"].pipe(_blanks)]
        if len(bad):
            raise _err(f"events without sale_id in rows {_rows(bad)}.", f"这些服务记录缺少销售编号：{_rows(bad)}。")
        problems, kinds = [], []
        for label, v in df["kind"].items():
            try:
                kinds.append(_kind(v))
            except ValueError:
                kinds.append(None)
                problems.append(label)
        if problems:
            raise _err(f"unknown event kinds in rows {_rows(problems)}; use {list(EVENT_KINDS)} or "
                       f"{list(EVENT_KINDS.values())}.", f"这些行的服务记录类型无法识别：{_rows(problems)}。")
        rows = pd.DataFrame({"sale_id": df["sale_id"].astype(str),
                             "event_date": _days(df["event_date"], "events['event_date']"), "kind": kinds},
                            index=df.index)
        for col in ("description", "technician"):
            rows[col] = df[col].map(lambda v: "" if _blank(v) else str(v)) if col in df.columns else ""
        if "resolved" in df.columns:
            res = df["resolved"].map(_bool_or_none)
            bad = df.index[res.map(lambda v: v == "bad")]
            if len(bad):
                raise _err(f"resolved must be True, False or empty; rows {_rows(bad)}.", f"resolved 只能是 True、False 或空：{_rows(bad)}。")
            rows["resolved"] = res
        else:
            rows["resolved"] = None
        cost = pd.to_numeric(df["cost_to_customer"], errors="coerce").fillna(0.0) if "cost_to_customer" in df.columns \
            else pd.Series(0.0, index=df.index)
        bad = df.index[cost < 0]
        if len(bad):
            raise _err(f"cost_to_customer must be ≥ 0; rows {_rows(bad)}.", f"客户承担费用必须 ≥ 0：{_rows(bad)}。")
        rows["cost_to_customer"] = cost.astype(float)
        if "satisfaction" in df.columns:
            sat = pd.to_numeric(df["satisfaction"], errors="coerce")
            bad = df.index[(sat.isna() & ~df["satisfaction"].pipe(_blanks)) | ~(sat.isna() | sat.isin([1, 2, 3, 4, 5]))]
            if len(bad):
                raise _err(f"satisfaction must be a whole number 1–5 or empty; rows {_rows(bad)}.", f"满意度必须是 1–5 的整数或空：{_rows(bad)}。")
            rows["satisfaction"] = sat.astype(object).where(sat.notna(), None).map(lambda v: None if v is None else int(v))
        else:
            rows["satisfaction"] = None
        with Session(self.engine) as s, s.begin():
            wanted = list(pd.unique(rows["sale_id"]))
            bought = dict(s.execute(select(Sale.sale_id, Sale.purchase_date).where(Sale.sale_id.in_(wanted))).all())
            unknown = [x for x in wanted if x not in bought]
            if unknown:
                raise _err(f"unknown sale(s) {_rows(unknown)}; add the sale first.", f"这些销售记录不存在，请先登记：{_rows(unknown)}。")
            purchase = pd.to_datetime(rows["sale_id"].map(bought))
            early = rows.index[rows["kind"].isin(_AFTER_PURCHASE) & (rows["event_date"] < purchase)]
            if len(early):
                raise _err(f"after-sale events dated before the purchase in rows {_rows(early)}.",
                           f"这些售后记录的日期早于购买日期：{_rows(early)}。")
            rows["event_date"] = rows["event_date"].dt.date
            new_ids = s.scalars(insert(ServiceEvent).returning(ServiceEvent.event_id, sort_by_parameter_order=True),
                                _records(rows)).all()
        return list(new_ids)

    # ---- reading and rules
    def _sale(self, s: Session, sale_id: str) -> Sale:
        sale = s.get(Sale, str(sale_id))
        if sale is None:
            raise _err(f"unknown sale {sale_id!r}.", f"销售记录 {sale_id!r} 不存在。")
        return sale

    def events(self, sale_id: str | None = None) -> pd.DataFrame:
        """Service events (of one sale, or all) as a DataFrame ordered by date."""
        stmt = select(ServiceEvent).order_by(ServiceEvent.event_date, ServiceEvent.event_id)
        if sale_id is not None:
            stmt = stmt.where(ServiceEvent.sale_id == str(sale_id))
        return self._frame(stmt, ServiceEvent)

    def warranty_status(self, sale_id: str, on_date) -> dict:
        """Warranty status of a sale on a date: end date, in warranty, days left, free or paid repair (包修).

        Examples
        --------
        >>> with AfterSalesArchive(":memory:") as a:
        ...     a.add_customer("C1"); a.add_sale("S1", "C1", "洗衣机", "2024-01-15", warranty_months=12)
        ...     st = a.warranty_status("S1", "2025-01-14")
        >>> st["in_warranty"], st["days_left"], st["repair"]
        (True, 0, 'free 免费')
        """
        with Session(self.engine) as s:
            sale = self._sale(s, sale_id)
            end = warranty_end(sale.purchase_date, sale.warranty_months)
        today = _day(on_date, "on_date")
        inside = bool(today <= end)
        return {"sale_id": str(sale_id), "warranty_end": end, "in_warranty": inside,
                "days_left": int((end - today).days) if inside else 0,
                "repair": "free 免费" if inside else "paid 收费"}

    def three_guarantees_decision(self, sale_id: str, on_date) -> dict:
        """The 三包 decision for a sale on a date (see :func:`three_guarantees_decision`)."""
        with Session(self.engine) as s:
            sale = self._sale(s, sale_id)
            purchase, months = sale.purchase_date, sale.warranty_months
        ev = self.events(sale_id)
        return {"sale_id": str(sale_id), **three_guarantees_decision(purchase, months, ev, on_date)}

    def three_guarantees_table(self, on_date) -> pd.DataFrame:
        """The 三包 decision of every sale on a date, one row per sale (without the rule text)."""
        today = _day(on_date, "on_date")
        sales = self._frame(select(Sale).order_by(Sale.sale_id), Sale)
        events = self.events()[["sale_id", "event_date", "kind", "resolved"]]
        return _three_guarantees(sales, events, today)

    def schedule_followups(self, days_after: Iterable[int] = (7, 30)) -> int:
        """Create follow-ups ``days_after`` every sale (skipping ones already planned); returns how many."""
        sales = self._frame(select(Sale.sale_id, Sale.purchase_date), None)
        if sales.empty:
            return 0
        plan = followup_schedule(sales, days_after)
        with Session(self.engine) as s, s.begin():
            have = set(s.execute(select(FollowUp.sale_id, FollowUp.days_after)).all())
            plan = plan[[(a, int(b)) not in have for a, b in zip(plan["sale_id"], plan["days_after"])]]
            if len(plan):
                plan = plan.assign(due_date=plan["due_date"].dt.date, days_after=plan["days_after"].astype(int))
                s.execute(insert(FollowUp), _records(plan))
        return len(plan)

    def due_followups(self, on_date) -> pd.DataFrame:
        """Follow-ups due on or before ``on_date`` and not done yet, with the customer's contact and
        ``days_overdue``."""
        today = _day(on_date, "on_date").date()
        stmt = (select(FollowUp.followup_id, FollowUp.sale_id, FollowUp.days_after, FollowUp.due_date,
                       Sale.customer_id, Customer.name, Customer.phone, Sale.product)
                .join(Sale, Sale.sale_id == FollowUp.sale_id).join(Customer, Customer.customer_id == Sale.customer_id)
                .where(FollowUp.done_date.is_(None), FollowUp.due_date <= today)
                .order_by(FollowUp.due_date, FollowUp.followup_id))
        out = self._frame(stmt, None)
        out["days_overdue"] = (pd.Timestamp(today) - pd.to_datetime(out["due_date"])).dt.days.astype(int)
        return out

    def complete_followup(self, followup_id: int, done_date, *, method: str = "电话", feedback: str = "") -> None:
        """Record that a follow-up was done (method 电话/信函/上门, feedback text)."""
        done = _day(done_date, "done_date").date()
        with Session(self.engine) as s, s.begin():
            f = s.get(FollowUp, int(followup_id))
            if f is None:
                raise _err(f"unknown follow-up {followup_id!r}.", f"回访记录 {followup_id!r} 不存在。")
            if f.done_date is not None:
                raise _err(f"follow-up {followup_id!r} was already done on {f.done_date}.", f"回访 {followup_id!r} 已于 {f.done_date} 完成。")
            if done < self._sale(s, f.sale_id).purchase_date:
                raise _err("a follow-up cannot be done before the purchase.", "回访日期不能早于购买日期。")
            f.done_date, f.method, f.feedback = done, str(method), str(feedback)

    def birthday_greetings(self, month: int, year: int | None = None) -> pd.DataFrame:
        """Customers with a birthday in ``month`` (of ``year``, default this year) and their contact."""
        if not isinstance(month, (int, np.integer)) or not 1 <= month <= 12:
            raise _err(f"month must be 1–12, got {month!r}.", f"月份必须是 1–12，收到 {month!r}。")
        customers = self._frame(select(Customer).order_by(Customer.customer_id), Customer)
        sched = birthday_schedule(customers, year or date.today().year)
        sched = sched[sched["birthday"].dt.month == month]
        return sched.merge(customers[["customer_id", "name", "phone", "address"]], on="customer_id", how="left")

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """All four tables as DataFrames: customers, sales, events, followups."""
        return {"customers": self._frame(select(Customer).order_by(Customer.customer_id), Customer),
                "sales": self._frame(select(Sale).order_by(Sale.sale_id), Sale),
                "events": self.events(),
                "followups": self._frame(select(FollowUp).order_by(FollowUp.followup_id), FollowUp)}

    def import_shipped(self, customers: pd.DataFrame, orders: pd.DataFrame,
                       service_tickets: pd.DataFrame | None = None, *, warranty_months: int = 12) -> dict[str, int]:
        """Fill the archive from the shipped datasets (``customers``, ``orders``, ``service_tickets``).

        Orders become sales (order_id → sale_id, product_id → product, order_date, amount → price);
        tickets become events (consultation → consult, installation → install, repair, maintenance,
        return → refund) dated ``opened_at``, with the ticket's rating as satisfaction. The
        datasets record no repair outcome, so ``resolved`` stays empty. The shipped customers file
        has duplicate rows on purpose: drop them first, or this raises.
        """
        _need_columns(customers, ["customer_id"], "customers")
        _need_columns(orders, ["order_id", "customer_id", "product_id", "order_date"], "orders")
        cust = customers[[c for c in ("customer_id", "name", "phone", "address") if c in customers.columns]]
        sales = pd.DataFrame({"sale_id": orders["order_id"], "customer_id": orders["customer_id"],
                              "product": orders["product_id"], "purchase_date": orders["order_date"],
                              "price": orders["amount"] if "amount" in orders.columns else None})
        n = {"customers": self.add_customers(cust), "sales": self.add_sales(sales, warranty_months=warranty_months)}
        if service_tickets is not None:
            _need_columns(service_tickets, ["order_id", "request", "opened_at"], "service_tickets")
            t = service_tickets
            ev = pd.DataFrame({"sale_id": t["order_id"], "event_date": t["opened_at"], "kind": t["request"],
                               "description": t["ticket_id"] if "ticket_id" in t.columns else "",
                               "technician": t["engineer"] if "engineer" in t.columns else "",
                               "satisfaction": t["rating_1_5"] if "rating_1_5" in t.columns else None})
            n["events"] = len(self.log_events(ev))
        return n

    def _frame(self, stmt, model) -> pd.DataFrame:
        with self.engine.connect() as conn:
            df = pd.read_sql(stmt, conn)
        if model is not None:
            df = df[[c.name for c in model.__table__.columns]]
        for col in df.columns:
            if col.endswith("_date") or col == "birthday":
                df[col] = pd.to_datetime(df[col])
        return df


def _sqlite_foreign_keys(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _bool_or_none(v):
    if _blank(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    text = str(v).strip().casefold()
    if text in ("true", "1", "yes", "是", "已解决", "修好"):
        return True
    if text in ("false", "0", "no", "否", "未解决", "没修好"):
        return False
    return "bad"


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (None for missing) for SQLAlchemy."""
    out = []
    for rec in frame.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                clean[k] = None
            elif isinstance(v, np.integer):
                clean[k] = int(v)
            elif isinstance(v, np.floating):
                clean[k] = float(v)
            elif isinstance(v, np.bool_):
                clean[k] = bool(v)
            else:
                clean[k] = v
        out.append(clean)
    return out


# --------------------------------------------------------------------------- §11.3 standards
#: Service-standard audit items (textbook task 11 §11.3): hardware 3, software 5, people 3.
SERVICE_STANDARD_ITEMS = pd.DataFrame(
    [
        ("hardware", "location", "服务地点", ("地点",)),
        ("hardware", "facilities", "服务设施", ("设施",)),
        ("hardware", "environment", "服务环境", ("环境",)),
        ("software", "timeliness", "时间性", ()),
        ("software", "smoothness", "流畅性", ()),
        ("software", "anticipation", "预见性", ()),
        ("software", "channels", "沟通渠道", ()),
        ("software", "feedback", "客户反馈", ()),
        ("people", "appearance_attitude", "仪容仪表、态度", ("仪容仪表", "态度", "仪容仪表和态度")),
        ("people", "attention", "关注", ()),
        ("people", "guidance", "指导", ()),
    ],
    columns=["element", "item", "zh", "also"]).set_index("item")
_ELEMENTS = {"hardware": "服务硬件", "software": "服务软件", "people": "服务人员"}
_ITEM_LOOKUP = {lbl.casefold(): item for item, row in SERVICE_STANDARD_ITEMS.iterrows()
                for lbl in (item, row["zh"], *row["also"])}
_ELEMENT_LOOKUP = {**{k: k for k in _ELEMENTS}, **{v: k for k, v in _ELEMENTS.items()},
                   "硬件": "hardware", "软件": "software", "人员": "people"}


@computes("service_standards", "服务标准得分", "service-standard scores")
def service_standard_table(audits: pd.DataFrame, weights: Mapping[str, float] | None = None,
                           scale: tuple[float, float] = (1, 5)) -> pd.DataFrame:
    """Element and total service-standard scores (0–100) for every audited outlet.

    Textbook task 11 §11.3 names the three elements and their 11 items but no scoring; crmlab's
    method: each item rescaled ``(x − lo)/(hi − lo)`` on ``scale`` (``(0, 1)`` for a yes/no
    checklist, ``(1, 5)`` for ratings), the element score is the mean of its items × 100, and the
    total is the weighted mean of the elements (equal weights by default). Item columns may be
    named by key or Chinese term (服务地点 …); other columns are ignored. Missing items or values
    outside the scale raise.

    Examples
    --------
    >>> audit = pd.DataFrame([[5, 4, 4, 3, 3, 2, 4, 3, 5, 4, 4]], index=["门店A"],
    ...                      columns=SERVICE_STANDARD_ITEMS.index)
    >>> service_standard_table(audit)  # doctest: +NORMALIZE_WHITESPACE
           hardware  software  people  total
    门店A     83.33      50.0   83.33  72.22
    """
    if not isinstance(audits, pd.DataFrame):
        raise TypeError(bilingual("audits must be a DataFrame", "audits 必须是 DataFrame"))
    lo, hi = scale
    if not hi > lo:
        raise _err(f"scale must be (lo, hi) with hi > lo, got {scale!r}.", f"量表必须满足上限大于下限，收到 {scale!r}。")
    renamed = {}
    for col in audits.columns:
        item = _ITEM_LOOKUP.get(str(col).strip().casefold())
        if item is not None:
            if item in renamed.values():
                raise _err(f"item {item!r} appears in more than one column.", f"评分项 {item!r} 出现在多列中。")
            renamed[col] = item
    missing = [i for i in SERVICE_STANDARD_ITEMS.index if i not in renamed.values()]
    if missing:
        zh = [SERVICE_STANDARD_ITEMS.loc[i, "zh"] for i in missing]
        raise _err(f"the audit lacks item(s) {missing}.", f"审核表缺少评分项：{zh}。")
    x = audits[list(renamed)].rename(columns=renamed).apply(pd.to_numeric, errors="coerce")
    bad = [(r, c) for c in x.columns for r in x.index[x[c].isna() | (x[c] < lo) | (x[c] > hi)]]
    if bad:
        raise _err(f"scores must be numbers in {lo}–{hi}; bad cells {_rows(bad)}.", f"评分必须是 {lo}–{hi} 的数值；有问题的单元格：{_rows(bad)}。")
    w = {"hardware": 1.0, "software": 1.0, "people": 1.0}
    if weights is not None:
        w = {}
        for k, v in weights.items():
            key = _ELEMENT_LOOKUP.get(str(k).strip())
            if key is None:
                raise _err(f"unknown element {k!r}; use hardware/software/people (服务硬件/服务软件/服务人员).",
                           f"未知的要素 {k!r}；可用：服务硬件、服务软件、服务人员。")
            if not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) or v < 0:
                raise _err(f"weight of {k!r} must be a number ≥ 0.", f"要素 {k!r} 的权重必须是 ≥ 0 的数。")
            w[key] = float(v)
        if sum(w.values()) <= 0:
            raise _err("weights must not all be zero.", "权重不能全为 0。")
    n = (x - lo) / (hi - lo)
    out = pd.DataFrame({e: n[SERVICE_STANDARD_ITEMS.index[SERVICE_STANDARD_ITEMS["element"] == e]].mean(axis=1) * 100
                        for e in _ELEMENTS}, index=audits.index)
    ws = pd.Series(w).reindex(list(_ELEMENTS), fill_value=0.0)
    out["total"] = (out[list(_ELEMENTS)] * ws).sum(axis=1) / ws.sum()
    return out.round(2)


@computes("service_standards")
def service_standard_score(audit, weights: Mapping[str, float] | None = None,
                           scale: tuple[float, float] = (1, 5)):
    """Service-standard audit score 0–100 (see :func:`service_standard_table` for the method).

    One audit (dict or Series of item → score) gives a float; a DataFrame gives a Series.

    Examples
    --------
    >>> checklist = {"服务地点": 1, "服务设施": 1, "服务环境": 0, "时间性": 1, "流畅性": 1, "预见性": 0,
    ...              "沟通渠道": 1, "客户反馈": 1, "仪容仪表、态度": 1, "关注": 1, "指导": 0}
    >>> service_standard_score(checklist, scale=(0, 1))
    71.11
    """
    if isinstance(audit, (Mapping, pd.Series)):
        return float(service_standard_table(pd.DataFrame([dict(audit)]), weights, scale)["total"].iloc[0])
    return service_standard_table(audit, weights, scale)["total"].rename("service_standard_score")


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


# --------------------------------------------------------------------------- answer keys
# Which stage each activity belongs to is what a lab exercise asks; reading the table counts as using
# crmlab's answer (crmlab.shortcuts), like calling service_stage.
@computes("service_stage")
def _read_service_activities():
    return _SERVICE_ACTIVITIES.copy()


def __getattr__(name: str):
    """``SERVICE_ACTIVITIES`` (activity → stage) is read through a recorded accessor (it holds a lab answer)."""
    if name == "SERVICE_ACTIVITIES":
        return _read_service_activities()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
