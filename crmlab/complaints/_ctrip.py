"""The Ctrip (携程) fake-insurance case (task 10 拓展学习): timeline, violated steps and uncovered minutes."""
from __future__ import annotations

import pandas as pd

from ..shortcuts import computes
from ._errors import _err


# --------------------------------------------------------------------------- the Ctrip case
#: Timeline of the Ctrip (携程) fake-insurance complaint, task 10 拓展学习 (dates from the case text).
CTRIP_TIMELINE = pd.DataFrame(
    [
        ("2008-11-14", "booking", "梁玉祥在海南度蜜月，电话订两张11月18日回昆明的机票和两份航空意外险（共20元，最高保额80万元）",
         "books two tickets for 18 Nov and two accident policies (20 yuan, cover up to 800,000 yuan)"),
        ("2008-11-18", "flight", "航班23:05起飞、次日00:55到达，保单只保11月18日当天",
         "flight 23:05 → 00:55 next day; the policy covers 18 Nov only"),
        ("2008-12-12", "insurer_letter", "平安保险海南分公司书面确认保单并非其产品",
         "Ping An Hainan confirms in writing the policies are not its products"),
        ("2009-02-20", "apology", "携程在网上发布致歉信，承认监管不力，终止保险合作",
         "Ctrip posts an apology online, admits lax supervision, ends the insurance partnership"),
    ],
    columns=["date", "event", "zh", "en"])
CTRIP_TIMELINE["date"] = pd.to_datetime(CTRIP_TIMELINE["date"])

#: Steps of §10.2.3 the handling violated (crmlab's reading of the case).
_CTRIP_VIOLATIONS = pd.DataFrame(
    [
        (2, "判定投诉是否成立", "insisted the policies could not be fake without checking"),
        (4, "责任部门分析投诉原因", "did not trace the cause (the agent's forged policies) until the press did"),
        (None, "及时处理", "no answer for more than two months ('we are victims too', then silence)"),
        (None, "明确责任", "passed the buck to the insurer and the agent"),
    ],
    columns=["step", "zh", "en"])


@computes("uncovered_minutes", "保障期外的飞行时间", "minutes outside the cover")
def uncovered_minutes(cover_start, cover_end, departure, arrival) -> int:
    """Minutes of a trip that fall outside an insurance cover period ("裸飞" in the Ctrip case).

    Examples
    --------
    >>> uncovered_minutes("2008-11-18 00:00", "2008-11-19 00:00", "2008-11-18 23:05", "2008-11-19 00:55")
    55
    """
    cs, ce, dep, arr = (pd.Timestamp(x) for x in (cover_start, cover_end, departure, arrival))
    if ce <= cs or arr <= dep:
        raise _err("each period must end after it starts.", "每个时间段的结束时间必须晚于开始时间。")
    overlap = max(pd.Timedelta(0), min(ce, arr) - max(cs, dep))
    return int(round((arr - dep - overlap).total_seconds() / 60))


@computes("uncovered_minutes")
def ctrip_case() -> pd.Series:
    """The Ctrip case computed from its figures: flight and uncovered minutes, days to the apology.

    Examples
    --------
    >>> ctrip_case().to_dict()
    {'flight_minutes': 110, 'uncovered_minutes': 55, 'days_booking_to_apology': 98, 'days_insurer_letter_to_apology': 70, 'premium_yuan': 20, 'max_cover_yuan': 800000}
    """
    d = CTRIP_TIMELINE.set_index("event")["date"]
    dep, arr = pd.Timestamp("2008-11-18 23:05"), pd.Timestamp("2008-11-19 00:55")
    return pd.Series({
        "flight_minutes": int((arr - dep).total_seconds() // 60),
        "uncovered_minutes": uncovered_minutes("2008-11-18", "2008-11-19", dep, arr),
        "days_booking_to_apology": int((d["apology"] - d["booking"]).days),
        "days_insurer_letter_to_apology": int((d["apology"] - d["insurer_letter"]).days),
        "premium_yuan": 20,
        "max_cover_yuan": 800_000,
    }, name="ctrip")
