"""The three stages of service by time (售前、售中、售后, textbook task 11 §11.2)."""
from __future__ import annotations

import pandas as pd

from ..shortcuts import computes
from .._lang import DEFAULT_LANG, check_lang
from .._validate import is_blank as _blank, preview as _rows
from ._errors import _days, _err, _need_columns


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
