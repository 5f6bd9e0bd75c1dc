"""Tests of crmlab.visits: the book's numbers, planning, the archive update and the visit audit.

The numbers checked are the textbook's (task 6): 15/5/10 minutes of a 30-minute visit
(§6.1.3 1), 15–60 minutes for a new-customer visit and the unannounced windows start + 30 min /
end − 60 min (§6.1.2 1), 3–4 quality visits a day (§6.1.3 4), the four behaviour stages and "ask
for the order only from 信赖 on" (§6.1.2 3), the nine 三准备/三必谈/三必到 items (§6.1.2 2), and
the 赵主任 case (拓展学习), whose audit must find exactly no enquiry, no next step and too little
listening. Our digest's example D7: 45 min → 22.5 / 7.5 / 15; a 08:30–17:30 day → 09:00 and
16:30 good, 17:15 forbidden.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from crmlab import archive, datasets, visits
from helpers import bilingual


# ------------------------------------------------------------------------- vocabulary and numbers
def test_time_split_15_5_10():
    assert visits.time_split().to_dict() == {"listen": 15, "ask": 5, "present": 10}
    assert visits.time_split(45).tolist() == [22.5, 7.5, 15.0]
    assert visits.time_split(60).sum() == 60
    for bad in (0, -5, "30", True):
        with pytest.raises(visits.VisitError) as e:
            visits.time_split(bad)
        assert bilingual(e.value)


@pytest.mark.parametrize("t,ok", [("09:00", True), ("08:45", True), ("08:44", False), ("16:30", True),
                                  ("16:45", True), ("17:15", False), ("17:29", False), ("12:00", False)])
def test_unannounced_windows_d7(t, ok):
    assert visits.unannounced_ok(t, "08:30", "17:30") is ok


def test_unannounced_bad_input():
    with pytest.raises(visits.VisitError):
        visits.unannounced_ok("25:99")
    with pytest.raises(visits.VisitError):
        visits.unannounced_ok("09:00", "18:00", "08:00")
    assert visits.unannounced_ok(pd.Timestamp("2025-06-03 09:05"))


def test_appointment_and_stages():
    assert visits.needs_appointment("大客户") and visits.needs_appointment("organisation")
    assert not visits.needs_appointment("个人") and not visits.needs_appointment("店铺")
    with pytest.raises(visits.VisitError):
        visits.needs_appointment("alien")
    assert [visits.can_ask_for_order(s) for s in visits.BEHAVIOUR_STAGES] == [False, False, True, True]
    assert [visits.can_ask_for_order(v[0]) for v in visits.BEHAVIOUR_STAGES.values()] == [False, False, True, True]
    with pytest.raises(visits.VisitError) as e:
        visits.stage_code("热恋")
    assert bilingual(e.value)
    assert [v[0] for v in visits.VISIT_PHASES.values()] == ["开场白", "询问", "建议", "计划下一步行动"]
    assert visits.visit_type("老客户") == "old"
    with pytest.raises(visits.VisitError):
        visits.visit_type("VIP")
    assert visits.VISIT_LIMITS["min_minutes"] == 15 and visits.VISIT_LIMITS["max_minutes"] == 60
    assert visits.VISIT_LIMITS["visits_per_day"] == (3, 4) and visits.VISIT_LIMITS["seat_distance_m"] == 1.5


def test_old_customer_checklist():
    c = visits.OLD_CUSTOMER_CHECKLIST
    assert len(c) == 9 and c["group_zh"].value_counts().to_dict() == {"三准备": 3, "三必谈": 3, "三必到": 3}
    done = visits.checklist(list(c.index))
    assert done["done"].all()
    assert visits.checklist(["带上近期销售记录等资料"]).loc["sales_records", "done"]
    with pytest.raises(visits.VisitError):
        visits.checklist(["喝茶"])
    assert len(visits.DISCIPLINES) == 3


# ------------------------------------------------------------------------- planning
def test_order_priority_on_shipped_orders():
    orders = datasets.load("orders")
    p = visits.order_priority(orders, as_of="2025-06-30")
    assert p["priority"].is_unique and p["priority"].min() == 1
    assert (p["last_order"] <= "2025-06-30").all()
    top = p.sort_values("priority").head(20)
    assert (top["due_ratio"] >= p["due_ratio"].median()).all()
    with pytest.raises(archive.ArchiveError) as e:
        visits.order_priority(orders, as_of=None)
    assert bilingual(e.value)


def test_route_order_is_nearest_neighbour():
    rng = np.random.default_rng(1)
    x, y = rng.random(8), rng.random(8)
    order = visits.route_order(x, y)
    assert sorted(order) == list(range(8)) and order[0] == 0
    pts = np.column_stack([x, y])
    for a, b in zip(order, order[1:]):       # each step goes to the closest stop not yet visited
        left = [k for k in range(8) if k not in order[: order.index(b)]]
        d = {k: np.hypot(*(pts[k] - pts[a])) for k in left}
        assert b == min(d, key=d.get)
    assert visits.route_order([], []) == []
    with pytest.raises(visits.VisitError):
        visits.route_order([0, np.nan], [0, 1])


def test_plan_visits_rules():
    rng = np.random.default_rng(2)
    n = 40
    c = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "city": rng.choice(["无锡", "苏州", "常州"], n),
                      "priority": rng.permutation(n) + 1, "x": rng.random(n), "y": rng.random(n)})
    before = c.copy()
    plan = visits.plan_visits(c, start="2025-06-06", days=5, per_day=4, x="x", y="y")
    pd.testing.assert_frame_equal(c, before)
    assert sorted(plan["customer_id"]) == sorted(c["customer_id"])            # everyone listed once
    scheduled = plan[plan["day"] > 0]
    assert len(scheduled) <= 5 * 4
    assert (scheduled.groupby("day")["city"].nunique() == 1).all()            # one city a day
    assert (scheduled.groupby("day").size() <= 4).all()
    assert set(scheduled["date"].dt.day_of_week) <= {0, 1, 2, 3, 4}               # weekdays only
    # each day opens with the best priority left at that point
    left = set(c["customer_id"])
    for d, day in scheduled.groupby("day"):
        best = c[c["customer_id"].isin(left)].sort_values("priority").iloc[0]
        assert best["customer_id"] in set(day["customer_id"])
        left -= set(day["customer_id"])
    assert plan.loc[plan["day"] == 0, "date"].isna().all()


def test_plan_visits_bad_input():
    c = pd.DataFrame({"customer_id": ["A", "B"], "city": ["无锡", "无锡"], "priority": [1, 2]})
    with pytest.raises(visits.VisitError) as e:
        visits.plan_visits(c, "2025-06-06", per_day=5)
    assert bilingual(e.value) and "3–4" in str(e.value)
    with pytest.raises(visits.VisitError):
        visits.plan_visits(pd.concat([c, c]), "2025-06-06")
    with pytest.raises(visits.VisitError):
        visits.plan_visits(c.assign(priority=[1, None]), "2025-06-06")
    with pytest.raises(visits.VisitError):
        visits.plan_visits(c, "2025-06-06", days=0)


# ------------------------------------------------------------------------- the archive update
@pytest.fixture
def customers():
    return pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["星海酒店", "王伟"], "phone": ["13800138000", None],
                         "credit_limit": [50_000.0, 1_000.0],
                         "last_visit_date": pd.to_datetime(["2025-05-01", None])})


def test_record_visit_updates_a_copy_and_logs(customers):
    before = customers.copy()
    visit = {"visit_id": "V1", "customer_id": "C1", "visit_date": "2025-06-03", "stage": "信赖",
             "next_action": "技术交流", "next_date": "2025-06-10", "usage_products": "竞品A 空调",
             "considering_switch": True, "updates": {"phone": "+86 139 0000 1111", "credit_limit": 80_000}}
    new, log = visits.record_visit(customers, visit)
    pd.testing.assert_frame_equal(customers, before)                          # caller's frame untouched
    row = new.set_index("customer_id").loc["C1"]
    assert row["customer_stage"] == "reliance" and row["phone"] == "13900001111" and row["credit_limit"] == 80_000
    assert row["last_visit_date"] == pd.Timestamp("2025-06-03") and row["considering_switch"] is True
    assert set(log["field"]) == {"last_visit_date", "customer_stage", "next_action", "next_date", "usage_products",
                                 "considering_switch", "phone", "credit_limit"}
    assert log.set_index("field").loc["credit_limit", "old"] == 50_000
    assert (log["visit_id"] == "V1").all() and (log["at"] == pd.Timestamp("2025-06-03")).all()
    assert new.set_index("customer_id").loc["C2"].equals(customers.set_index("customer_id").loc["C2"].reindex(
        new.columns.drop("customer_id")))


def test_record_visit_never_moves_last_visit_back(customers):
    new, log = visits.record_visit(customers, {"customer_id": "C1", "visit_date": "2025-04-01", "next_action": "回访"})
    assert new.loc[0, "last_visit_date"] == pd.Timestamp("2025-05-01")
    assert "last_visit_date" not in set(log["field"])


@pytest.mark.parametrize("visit,code", [
    ({"customer_id": "C9", "visit_date": "2025-06-03"}, "UNKNOWN_CUSTOMER"),
    ({"customer_id": "C1"}, "MISSING_FIELD"),
    ({"customer_id": "C1", "visit_date": "soon"}, "BAD_DATE"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "next_date": "2025-06-01"}, "BAD_DATE"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "stage": "热恋"}, "UNKNOWN_LABEL"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "updates": {"phone": "12345"}}, "INVALID_VALUE"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "updates": {"credit_limit": -1}}, "INVALID_VALUE"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "updates": {"horoscope": "leo"}}, "UNKNOWN_FIELD"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "updates": {"customer_id": "C7"}}, "READ_ONLY"),
    ({"customer_id": "C1", "visit_date": "2025-06-03", "updates": ["phone"]}, "BAD_VISIT"),
])
def test_record_visit_bad_input_writes_nothing(customers, visit, code):
    before = customers.copy()
    with pytest.raises(visits.VisitError) as e:
        visits.record_visit(customers, visit)
    assert e.value.code == code and bilingual(e.value)
    pd.testing.assert_frame_equal(customers, before)


def test_unknown_customer_message_cites_the_book(customers):
    with pytest.raises(visits.VisitError) as e:
        visits.record_visit(customers, {"customer_id": "C9", "visit_date": "2025-06-03"})
    assert "录入" in str(e.value) and "6.1.1" in str(e.value)


def test_apply_visits_in_date_order_and_all_or_nothing(customers):
    log = pd.DataFrame({"visit_id": ["V3", "V1", "V2"], "customer_id": ["C1", "C1", "C2"],
                        "visit_date": ["2025-06-20", "2025-06-03", "2025-06-05"],
                        "stage": ["行动和帮助", "初步信任", "建立良好关系"]})
    new, changes = visits.apply_visits(customers, log)
    assert new.set_index("customer_id").loc["C1", "customer_stage"] == "action"
    assert new.set_index("customer_id").loc["C1", "last_visit_date"] == pd.Timestamp("2025-06-20")
    assert changes["visit_id"].tolist()[0] == "V1"
    bad = pd.concat([log, pd.DataFrame({"visit_id": ["V4"], "customer_id": ["C2"], "visit_date": ["2025-06-21"],
                                        "updates": [{"phone": "000"}]})], ignore_index=True)
    before = customers.copy()
    with pytest.raises(visits.VisitError) as e:
        visits.apply_visits(customers, bad)
    assert "row 3" in str(e.value) and bilingual(e.value)
    pd.testing.assert_frame_equal(customers, before)


def test_record_visit_on_shipped_customers():
    c = datasets.load("customers").drop_duplicates()
    cid = c["customer_id"].iloc[0]
    new, log = visits.record_visit(c, {"visit_id": "V", "customer_id": cid, "visit_date": "2025-12-01", "stage": "初步信任"})
    assert len(new) == len(c) and list(new.columns[: len(c.columns)]) == list(c.columns)
    assert archive.columns_by_level(new).set_index("column").loc["customer_stage", "level"] == 3


# ------------------------------------------------------------------------- the audit
def test_zhao_case():
    assert set(visits.audit_visit(visits.ZHAO_CASE)) == {"no_enquiry_phase", "no_next_step", "no_listen_majority"}
    assert visits.ZHAO_CASE["facts"]["history_years"] == 17 and visits.ZHAO_CASE["facts"]["on_site_service_years"] == 3
    fixed = {**visits.ZHAO_CASE, "phases": ["开场白", "询问", "建议", "计划下一步行动"],
             "minutes_listen": 15, "minutes_ask": 5, "minutes_present": 10}
    assert visits.audit_visit(fixed) == []


@pytest.mark.parametrize("visit,rule", [
    ({"planned_start": "10:00", "arrive": "10:05"}, "late"),
    ({"visit_type": "新客户", "start": "10:00", "end": "10:10"}, "too_short"),
    ({"visit_type": "new", "start": "10:00", "end": "11:05"}, "too_long"),
    ({"visit_type": "大客户", "appointment": False}, "no_appointment"),
    ({"customer_kind": "老板", "appointment": False}, "no_appointment"),
    ({"appointment": False, "start": "17:15"}, "bad_unannounced_time"),
    ({"minutes_listen": 14, "minutes_ask": 6, "minutes_present": 10}, "no_listen_majority"),
    ({"phases": ["开场白", "建议", "计划下一步行动"]}, "no_enquiry_phase"),
    ({"phases": "开场白,询问,建议"}, "no_next_step"),
    ({"asked_for_order": True, "stage": "初步信任"}, "asked_too_early"),
    ({"promises_out_of_policy": True}, "out_of_policy_promise"),
    ({"logged_to_archive": False}, "not_logged_to_archive"),
    ({"reported_to_head": False}, "no_report_to_head"),
])
def test_each_rule_fires_alone(visit, rule):
    assert visits.audit_visit(visit) == [rule]
    assert rule in visits.VISIT_RULES.index


@pytest.mark.parametrize("visit", [
    {"planned_start": "10:00", "arrive": "09:58"},
    {"visit_type": "new", "start": "10:00", "end": "10:15"},
    {"visit_type": "new", "start": "10:00", "end": "11:00"},
    {"visit_type": "old", "start": "10:00", "end": "12:00"},             # the 15–60 rule is for new customers
    {"visit_type": "key", "appointment": True},
    {"appointment": False, "start": "09:00"},
    {"minutes_listen": 15, "minutes_ask": 5, "minutes_present": 10},
    {"phases": ["开场白", "询问", "建议"], "next_action": "下周技术交流"},
    {"asked_for_order": True, "stage": "信赖"},
    {},
])
def test_clean_visits_pass(visit):
    assert visits.audit_visit(visit) == []


def test_audit_bad_input_and_table():
    with pytest.raises(visits.VisitError):
        visits.audit_visit(["not", "a", "dict"])
    with pytest.raises(visits.VisitError):
        visits.audit_visit({"visit_type": "new", "start": "11:00", "end": "10:00"})
    with pytest.raises(visits.VisitError):
        visits.audit_visit({"minutes_listen": -1, "minutes_ask": 5, "minutes_present": 10})
    with pytest.raises(visits.VisitError):
        visits.audit_visit({"phases": ["闲聊"]})
    log = pd.DataFrame([visits.ZHAO_CASE, {"visit_type": "new", "start": "10:00", "end": "10:05"}, {"visit_type": "old"}])
    a = visits.audit_visits(log)
    assert a["n_violations"].tolist() == [3, 1, 0]
    assert list(a.columns[:-1]) == list(visits.VISIT_RULES.index)
    with pytest.raises(visits.VisitError, match="row 1"):
        visits.audit_visits(pd.DataFrame([{"visit_type": "old"}, {"visit_type": "外星人"}]))


def test_kinglong_case_figures():
    k = visits.KINGLONG_CASE
    assert (k["buses"], k["preparation_months"], k["bidders"], k["panel_size"]) == (20, 6, 10, 8)
    contacts = pd.DataFrame({"customer_id": ["厦门大学"] * 2, "decision_role": k["contacts_used"]})
    m = archive.decision_map(contacts, required=k["decision_roles_missed"])
    assert not m.loc["厦门大学", "has_required"]
    assert set(m.loc["厦门大学", "missing_roles"].split(", ")) == {"decision_maker", "evaluator"}
