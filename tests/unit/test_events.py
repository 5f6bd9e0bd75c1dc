"""Tests of crmlab.events: experience types, the launch-plan validator, registrations, funnel, costs.

Checked against the textbook (task 6 §6.2.2): the plan must involve the organiser, invite
prospects, brief booth staff on the talk's time/place/speaker/content, register attendees
(especially trade journalists, who get a press kit) and film the whole event. The funnel's
opportunities come from a table shaped like ``crmlab.datasets.load("opportunities")`` and are
checked with ``crmlab.opportunity.validate_opportunities`` (Chinese stage/status labels work).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from crmlab import datasets, events
from helpers import bilingual

CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------- experience marketing
@pytest.mark.parametrize("text,kind", [
    ("展厅灯光柔和，配合音乐，产品按实际使用场景摆放供顾客试用", "sensory"),
    ("超市现场试吃新口味，香味吸引顾客品尝", "sensory"),
    ("4S店提供免费试驾，感受座椅触感", "sensory"),
    ("香港迪士尼的幻想工程师营造快乐与回忆", "emotional"),
    ("母亲节报纸广告与店内广播，传递亲情与关怀", "emotional"),
    ("为婴儿提供贴心的护理服务和微笑服务", "emotional"),
    ("农夫山泉“一分钱”活动，每卖一瓶捐一分钱支持公益", "relational"),
    ("成立车友会俱乐部，形成品牌社群", "relational"),
    ("郑州日产帕拉丁参加巴黎—达喀尔拉力赛，会员认同越野文化", "relational"),
    ("天气不错", "unknown"),
])
def test_classify_experience(text, kind):
    assert events.classify_experience(text) == kind


def test_experience_types_and_bad_input():
    assert [v[0] for v in events.EXPERIENCE_TYPES.values()] == ["感官体验", "情感体验", "关联体验"]
    with pytest.raises(events.EventError):
        events.classify_experience(None)
    assert events.PC_MIX["IBM"]["relationship"] == 0.75


# ------------------------------------------------------------------------- launch plan
def full_plan():
    return {"theme": "变频空调新品推介", "date": "2025-09-20", "venue": "无锡国际会展中心", "organiser": "家电协会 李主任",
            "form_and_content": "展台 + 30分钟技术讲座",
            "invitations": [{"name": "星海酒店", "is_prospect": True}, {"name": "王伟", "is_prospect": False}],
            "booth_briefing": {"time": "14:00", "place": "B厅", "speaker": "张工", "content": "节能技术"},
            "registration_staff": "销售内勤 2 人", "journalists": {"list": ["《家电周刊》"], "press_kit": True},
            "video": True, "follow_up": "会后一周寄送光盘，销售员跟进"}


def test_complete_plan_passes():
    r = events.validate_launch_plan(full_plan(), errors="raise")
    assert r["ok"].all() and list(r.index) == list(events.LAUNCH_CHECKLIST.index)


@pytest.mark.parametrize("change,item", [
    ({"organiser": ""}, "organiser"),
    ({"date": "someday"}, "date"),
    ({"invitations": []}, "invitations"),
    ({"invitations": [{"name": "王伟", "is_prospect": False}]}, "invitations"),
    ({"booth_briefing": {"time": "14:00", "place": "B厅", "speaker": "张工"}}, "booth_briefing"),
    ({"booth_briefing": "told them"}, "booth_briefing"),
    ({"journalists": {"list": ["《家电周刊》"], "press_kit": False}}, "journalists"),
    ({"journalists": {"list": [], "press_kit": True}}, "journalists"),
    ({"video": "maybe"}, "video"),
    ({"registration_staff": None}, "registration_staff"),
])
def test_each_missing_item_is_reported(change, item):
    plan = {**full_plan(), **change}
    r = events.validate_launch_plan(plan)
    assert r.loc[~r["ok"]].index.tolist() == [item]
    assert r.loc[item, "problem_en"] and CJK.search(r.loc[item, "problem_zh"])
    with pytest.raises(events.EventError) as e:
        events.validate_launch_plan(plan, errors="raise")
    assert bilingual(e.value) and e.value.code == "INCOMPLETE_PLAN"


def test_plan_keys_in_chinese_and_dataframe_invitations():
    zh = {events.LAUNCH_CHECKLIST.at[k, "zh"]: v for k, v in full_plan().items()}
    zh["展台人员知晓"] = {"时间": "14:00", "地点": "B厅", "主讲人": "张工", "内容": "节能技术"}
    zh["邀请名单"] = pd.DataFrame({"name": ["甲", "乙", "丙"], "is_prospect": [True, True, False]})
    assert events.validate_launch_plan(zh, min_prospects=2)["ok"].all()
    assert not events.validate_launch_plan(zh, min_prospects=3).loc["invitations", "ok"]
    with pytest.raises(events.EventError) as e:
        events.validate_launch_plan({**full_plan(), "fireworks": True})
    assert e.value.code == "UNKNOWN_ITEM" and bilingual(e.value)
    with pytest.raises(events.EventError):
        events.validate_launch_plan(["not", "a", "dict"])
    with pytest.raises(events.EventError):
        events.validate_launch_plan(full_plan(), errors="ignore")


# ------------------------------------------------------------------------- registration log
def test_registration_log_normalises_and_checks():
    rows = [{"event_id": "E1", "name": "李明", "phone": "+86 138-0013-8000", "is_prospect": True},
            {"event_id": "E1", "name": "赵敏", "phone": "０２０－８８８８１２３４", "is_journalist": True, "media": "《家电周刊》"},
            {"event_id": "E1", "name": "王伟", "phone": None},
            {"event_id": "E2", "name": "李明", "phone": "13800138000"}]          # same person, another event: fine
    log = events.registration_log(rows)
    assert log["phone"].tolist()[:2] == ["13800138000", "02088881234"] and log["phone"].isna().iloc[2]
    assert log["is_journalist"].dtype == bool and log["is_prospect"].tolist() == [True, False, False, False]
    assert list(log.columns) == list(events.REGISTRATION_FIELDS)
    empty = events.registration_log()
    assert empty.empty and list(empty.columns) == list(events.REGISTRATION_FIELDS)


@pytest.mark.parametrize("rows,code", [
    ([{"name": "", "phone": "13800138000"}], "MISSING_NAME"),
    ([{"name": "李明", "phone": "138001380"}], "BAD_PHONE"),
    ([{"name": "赵敏", "is_journalist": True}], "MISSING_MEDIA"),
    ([{"event_id": "E1", "name": "李明", "phone": "13800138000"}, {"event_id": "E1", "name": "李明明", "phone": "+8613800138000"}],
     "DUPLICATE_REGISTRATION"),
    ([{"name": "李明", "shoe_size": 42}], "UNKNOWN_FIELD"),
])
def test_registration_bad_rows(rows, code):
    frame = pd.DataFrame(rows)
    before = frame.copy()
    with pytest.raises(events.EventError) as e:
        events.registration_log(frame)
    assert e.value.code == code and bilingual(e.value)
    pd.testing.assert_frame_equal(frame, before)


def test_register_returns_a_new_log():
    log = events.register(events.registration_log(), event_id="E1", 姓名="李明", 联系方式="138 0013 8000")
    log2 = events.register(log, event_id="E1", name="周杰", phone="13900000000", is_prospect=True)
    assert len(log) == 1 and len(log2) == 2 and log2.loc[0, "name"] == "李明"
    with pytest.raises(events.EventError):
        events.register(log2, event_id="E1", name="假冒", phone="13900000000")
    assert len(log2) == 2


# ------------------------------------------------------------------------- funnel and costs
def test_funnel_rates_and_walk_ins():
    f = events.event_funnel(invited=[f"i{k}" for k in range(100)], attended=[f"i{k}" for k in range(40)] + ["w1", "w1"],
                            leads=["i1", "i2", "w1"], opportunities=["i1"], won=["i1"])
    assert f["n"].tolist() == [100, 41, 3, 1, 1]
    assert f["rate_from_previous"].round(4).tolist() == [1.0, 0.41, round(3 / 41, 4), round(1 / 3, 4), 1.0]
    assert f["rate_from_invited"].iloc[-1] == 0.01 and f.attrs["walk_ins"] == 1
    assert f["zh"].tolist() == ["邀请", "到场", "线索", "商机", "赢单"]


@pytest.mark.parametrize("kwargs,code", [
    (dict(invited=["a"], attended=["a"], leads=["b"]), "NOT_NARROWING"),
    (dict(invited=["a"], attended=["a"], leads=["a"], opportunities=["z"]), "NOT_NARROWING"),
    (dict(invited=[], attended=[], leads=[]), "EMPTY"),
    (dict(invited=["a"], attended=["a"], leads=["a"], won=["a"]), "BAD_VALUE"),
    (dict(invited=["a", None], attended=["a"], leads=["a"]), "BAD_VALUE"),
    (dict(invited=pd.DataFrame({"a": [1]}), attended=["a"], leads=["a"]), "BAD_VALUE"),
])
def test_funnel_bad_input(kwargs, code):
    with pytest.raises(events.EventError) as e:
        events.event_funnel(**kwargs)
    assert e.value.code == code and bilingual(e.value)


def test_event_opportunities_with_the_opportunity_module():
    opps = datasets.load("opportunities")
    rng = np.random.default_rng(4)
    customers = opps["customer_id"].unique()
    invited = rng.choice(customers, 300, replace=False)
    attended = invited[:150]
    leads = attended[:80]
    got = events.event_opportunities(opps, leads, "2025-03-01", window_days=120)
    assert got["customer_id"].isin(leads).all()
    assert got["created_date"].between("2025-03-01", "2025-06-29").all()
    # Chinese labels are accepted because the opportunity module validates the table
    zh = opps.assign(status=opps["status"].map({"open": "进行中", "won": "赢单", "lost": "输单"}))
    got_zh = events.event_opportunities(zh, leads, "2025-03-01", window_days=120)
    assert got_zh["status"].tolist() == got["status"].tolist()
    f = events.event_funnel(invited, attended, leads, got["customer_id"], got.loc[got["status"] == "won", "customer_id"])
    assert f.loc["opportunities", "n"] == got["customer_id"].nunique()
    with pytest.raises(events.EventError):
        events.event_opportunities(opps, leads, "2025-03-01", window_days=0)
    with pytest.raises(ValueError):
        events.event_opportunities(opps.assign(status="maybe"), leads, "2025-03-01")


def test_costs():
    f = events.event_funnel(range(200), range(80), range(24), range(6), range(2))
    c = events.event_costs(f, fixed_cost=30_000, cost_per_attendee=150)
    assert c["total_cost"] == 42_000 and c["per_lead"] == 1750 and c["per_won"] == 21_000
    assert c["per_lead"] == events.cost_per_lead(42_000, 24)
    none = events.event_funnel(range(10), range(5), [])
    assert events.event_costs(none, 1000)["per_lead"] == np.inf
    assert events.cost_per_lead(100, 0) == np.inf
    for bad in (-1, float("nan"), "1000", True):
        with pytest.raises(events.EventError):
            events.event_costs(f, bad)
    with pytest.raises(events.EventError):
        events.cost_per_lead(100, 2.5)
