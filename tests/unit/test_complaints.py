"""Tests for crmlab.complaints (textbook task 10: typology, 8-step workflow, routing, KPIs, Ctrip)."""
from __future__ import annotations

import copy

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import complaints, datasets
from crmlab.complaints import (CANONICAL_EDGES, STATES, TRANSITIONS, ComplaintRecord, ComplaintWorkflow,
                               InvalidTransition, complaint_flowchart, complaint_kpis, complaint_rate,
                               ctrip_case, customers_lost, hours_to_close, pareto_of_causes,
                               records_from_frame, replay, route, route_complaints, sla_share,
                               transition_table, typology, uncovered_minutes)
from helpers import bilingual


@pytest.fixture(scope="module")
def shipped():
    return datasets.load("complaints"), datasets.load("orders")



# --------------------------------------------------------------------------- typology and record
def test_typology_has_the_textbook_categories():
    t = complaints.TYPOLOGY
    assert [v[0] for v in t["severity"].values()] == ["一般投诉", "严重投诉"]
    assert [v[0] for v in t["cause"].values()] == ["产品质量投诉", "服务投诉", "价格投诉", "诚信投诉"]
    assert [v[0] for v in t["behavior"].values()] == ["消极抱怨型", "负面宣传型", "愤怒发泄型", "极端激进型"]
    assert [v[0] for v in t["purpose"].values()] == ["建议性", "批评性", "控告性"]
    assert complaints.PURPOSE_ESCALATION == ("suggestive", "critical", "accusatory")
    assert len(complaints.COMPLAINT_STEPS) == 8 and complaints.HANDLING_METHODS["zh"].tolist() == \
        ["倾听", "表示道歉", "仔细询问", "记录问题", "解决问题"]


def test_every_dataset_category_maps_to_the_typology_and_a_department(shipped):
    c, _ = shipped
    for code in c["category"].unique():
        assert typology("cause", code) in complaints.TYPOLOGY["cause"]
        assert route(code)
    for code in c["severity"].unique():
        assert typology("severity", code) in ("general", "serious")
    # Chinese labels work too
    assert typology("cause", "产品质量投诉") == typology("cause", "product_quality") == "product_quality"
    assert typology("behavior", "客户冲突") == "extreme"
    with pytest.raises(ValueError) as e:
        typology("cause", "weather")
    bilingual(e)
    with pytest.raises(ValueError):
        typology("colour", "red")


def test_records_from_the_shipped_dataset(shipped):
    c, _ = shipped
    before = c.copy()
    recs = records_from_frame(c)
    pd.testing.assert_frame_equal(c, before)
    assert len(recs) == len(c)
    assert all(r.cause in complaints.TYPOLOGY["cause"] for r in recs)
    assert {r.category for r in recs} == set(c["category"])
    assert recs[0].to_dict()["severity"] in ("一般投诉", "严重投诉")      # Chinese by default
    assert recs[0].to_dict(lang="en")["severity"] == recs[0].severity


def test_malformed_records_are_reported_not_dropped(shipped):
    c, _ = shipped
    bad = c.head(5).copy()
    bad.loc[1, "category"] = "weather"
    bad.loc[3, "received_at"] = pd.NaT
    with pytest.raises(ValueError) as e:
        records_from_frame(bad)
    msg = bilingual(e)
    assert "row 1" in msg and "row 3" in msg
    with pytest.raises(ValueError):
        records_from_frame(pd.concat([c.head(2), c.head(1)]))       # duplicate id
    with pytest.raises(ValueError) as e:
        ComplaintRecord("", "C1", "2024-01-01")
    bilingual(e)
    with pytest.raises(ValueError):
        ComplaintRecord("CP", "C1", "not a date")
    with pytest.raises(ValueError):
        ComplaintRecord("CP", "C1", "2024-01-01", purpose="愤怒")


# --------------------------------------------------------------------------- the state machine
def rec(**kw):
    base = dict(complaint_id="CP1", complainant="C1", received_at="2024-05-01 09:00", target="O1",
                demand="换货", category="product_quality")
    return ComplaintRecord(**{**base, **kw})


def full_path(wf, reject_first=False):
    wf.record(at="2024-05-01 09:10").validate(at="2024-05-01 10:00").route(at="2024-05-01 10:30")
    wf.analyse(root_cause="压缩机故障", responsible_person="质检员甲", at="2024-05-01 12:00")
    wf.propose(remedy="维修", at="2024-05-01 13:00").approve(by="主管", at="2024-05-01 14:00")
    if reject_first:
        wf.customer_rejects(reason="要求换货", at="2024-05-01 15:00")
        wf.propose(remedy="换货", by="经理", at="2024-05-01 16:00").approve(by="主管", at="2024-05-01 16:30")
    wf.customer_accepts(at="2024-05-01 17:00").implement(penalty_pct=0.05, loss=2000, at="2024-05-02 09:00")
    return wf.review(lessons="加强出厂检验", at="2024-05-03 09:00")


def test_transition_table_is_data_and_matches_the_eight_steps():
    t = transition_table()
    assert list(t.columns) == ["source", "target", "action", "guard", "guard_rule", "step", "zh"]
    assert set(t["step"]) == set(range(1, 9))
    assert set(t["source"]) | set(t["target"]) == set(STATES)
    assert ("recorded", "closed_invalid") in CANONICAL_EDGES                # the step-2 invalid branch
    assert ("approved", "escalated") in CANONICAL_EDGES and ("escalated", "proposed") in CANONICAL_EDGES
    assert ("implemented", "closed") in CANONICAL_EDGES                      # step 7 → 8
    # (source, action) pairs are unique, so the machine is deterministic
    assert len({(x.source, x.action) for x in TRANSITIONS}) == len(TRANSITIONS)
    assert transition_table(lang="zh")["guard_rule"].str.len().gt(0).sum() >= 9
    assert transition_table()["guard_rule"].tolist() == transition_table(lang="zh")["guard_rule"].tolist()
    assert "record form has target and demand or content" in transition_table(lang="en")["guard_rule"].tolist()
    with pytest.raises(ValueError):
        transition_table(lang="fr")


def test_happy_path_and_department_routing():
    wf = full_path(ComplaintWorkflow(rec()))
    assert wf.state == "closed" and wf.closed and wf.step == 8 and wf.escalations == 0
    assert wf.data["department"] == "质量管理部" and wf.data["remedy"] == "repair"
    assert wf.data["penalty"] == 100.0
    assert wf.hours_to_close() == 48.0
    log = wf.log()
    assert log["action"].tolist()[0] == "record" and log["target"].tolist()[-1] == "closed"
    assert log["at"].is_monotonic_increasing
    transport = ComplaintWorkflow(rec(category="运输问题")).record().validate().route()
    assert transport.data["department"] == "储运部"


def test_customer_rejection_escalates_to_the_manager():
    wf = full_path(ComplaintWorkflow(rec()), reject_first=True)
    assert wf.state == "closed" and wf.escalations == 1 and wf.data["remedy"] == "exchange"
    assert wf.data["proposed_by"] == "经理" and "escalated" in wf.log()["target"].tolist()


def test_escalated_plan_needs_a_manager():
    wf = ComplaintWorkflow(rec())
    wf.record().validate().route().analyse(root_cause="x", responsible_person="y").propose("维修").approve(by="主管")
    wf.customer_rejects()
    with pytest.raises(InvalidTransition) as e:
        wf.propose("换货")                                     # no manager named
    assert "by=" in bilingual(e)
    assert wf.state == "escalated"


def test_invalid_branch_needs_a_tactful_reply_and_then_is_final():
    wf = ComplaintWorkflow(rec()).record()
    with pytest.raises(InvalidTransition) as e:
        wf.reject_invalid()
    bilingual(e)
    wf.reject_invalid(reply="已解释：属正常现象")
    assert wf.state == "closed_invalid" and wf.closed and wf.allowed_actions() == []
    with pytest.raises(InvalidTransition) as e:
        wf.validate()
    assert "closed" in bilingual(e)


def snapshot(wf):
    return (wf.state, copy.deepcopy(wf.data), copy.deepcopy(wf.history), wf.escalations, wf.record_data)


@pytest.mark.parametrize("action", [
    lambda wf: wf.approve(by="主管"),                  # skips steps 3-5
    lambda wf: wf.implement(),                         # not approved
    lambda wf: wf.analyse(root_cause="x", responsible_person="y"),   # skips step 3
    lambda wf: wf.route(department="储运部", at="2024-04-30"),   # earlier than the last event
    lambda wf: wf.route(department="储运部", at="soon"),         # unreadable time
    lambda wf: wf.review(lessons="x"),
    lambda wf: wf.customer_rejects(),
])
def test_illegal_transitions_raise_bilingually_and_change_nothing(action):
    wf = ComplaintWorkflow(rec()).record(at="2024-05-01 10:00").validate(at="2024-05-01 11:00")
    before = snapshot(wf)
    with pytest.raises(InvalidTransition) as e:
        action(wf)
    bilingual(e)
    assert snapshot(wf) == before
    assert isinstance(e.value, ValueError)


def test_route_guard_without_any_department():
    wf = ComplaintWorkflow(rec(category="")).record().validate()
    before = snapshot(wf)
    with pytest.raises(InvalidTransition) as e:
        wf.route()
    assert "department" in bilingual(e)
    assert snapshot(wf) == before
    assert wf.route(department="客户服务部").data["department"] == "客户服务部"


@pytest.mark.parametrize("step, bad", [
    ("record", {"target": ""}),
    ("analyse", {"root_cause": "x"}),
    ("propose", {"remedy": "送优惠券"}),
    ("approve", {}),
    ("implement", {"penalty_pct": 1.5, "loss": 100}),
    ("implement", {"penalty_pct": 0.1}),
    ("review", {}),
])
def test_guards_block_incomplete_steps(step, bad):
    wf = ComplaintWorkflow(rec(target="") if step == "record" else rec())
    script = [("record", {}), ("validate", {}), ("route", {}),
              ("analyse", {"root_cause": "c", "responsible_person": "p"}), ("propose", {"remedy": "维修"}),
              ("approve", {"by": "主管"}), ("customer_accepts", {}), ("implement", {}), ("review", {"lessons": "l"})]
    for name, kwargs in script:
        if name == step:
            before = snapshot(wf)
            with pytest.raises(InvalidTransition) as e:
                getattr(wf, name)(**({} if name == "record" else bad))
            bilingual(e)
            assert snapshot(wf) == before
            return
        getattr(wf, name)(**kwargs)
    raise AssertionError("step not reached")


def test_record_step_can_complete_the_form():
    wf = ComplaintWorkflow(rec(target="", demand=""))
    with pytest.raises(InvalidTransition):
        wf.record()
    with pytest.raises(InvalidTransition):
        wf.record(colour="red")
    with pytest.raises(InvalidTransition):
        wf.record(purpose="not a purpose")
    assert wf.state == "received" and wf.record_data.target == ""
    wf.record(target="空调", demand="维修")
    assert wf.state == "recorded" and wf.record_data.target == "空调"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(sorted({t.action for t in TRANSITIONS})), max_size=25))
def test_random_event_sequences_follow_the_table(actions):
    args = {"reject_invalid": {"reply": "r"}, "analyse": {"root_cause": "c", "responsible_person": "p"},
            "propose": {"remedy": "维修", "by": "经理"}, "approve": {"by": "主管"}, "review": {"lessons": "l"}}
    table = {(t.source, t.action): t.target for t in TRANSITIONS}
    wf = ComplaintWorkflow(rec())
    for a in actions:
        state = wf.state
        if (state, a) in table:
            getattr(wf, a)(**args.get(a, {}))
            assert wf.state == table[(state, a)]
        else:
            before = snapshot(wf)
            with pytest.raises(InvalidTransition):
                getattr(wf, a)(**args.get(a, {}))
            assert snapshot(wf) == before
        assert wf.state in STATES


def test_replay_scripts():
    script = ["record", "validate", "route", {"action": "analyse", "root_cause": "c", "responsible_person": "p"},
              {"action": "propose", "remedy": "折价"}, {"action": "approve", "by": "主管"}, "customer_rejects",
              {"action": "propose", "remedy": "退货", "by": "经理"}, {"action": "approve", "by": "主管"},
              "customer_accepts", "implement", {"action": "review", "lessons": "l"}]
    wf = replay(rec(), script)
    assert (wf.state, wf.escalations) == ("closed", 1)
    with pytest.raises(InvalidTransition) as e:
        replay(rec(), ["record", "approve"])
    assert "event 1" in bilingual(e)
    with pytest.raises(InvalidTransition):
        replay(rec(), ["record", "dance"])
    with pytest.raises(InvalidTransition):
        replay(rec(), ["record", {"action": "validate", "colour": "red"}])


def test_flowchart_edges_are_the_canonical_ones():
    mermaid = complaint_flowchart()
    edges = set()
    for line in mermaid.splitlines()[1:]:
        left, right = line.split("-->")
        edges.add((left.strip().split("[")[0], right.split("|")[2].strip().split("[")[0]))
    assert edges == set(CANONICAL_EDGES)
    dot = complaint_flowchart("dot", lang="en")
    assert dot.count("->") == len(TRANSITIONS) and dot.startswith("digraph")
    with pytest.raises(ValueError):
        complaint_flowchart("svg")


# --------------------------------------------------------------------------- routing
def test_routing_textbook_examples_and_unknowns():
    assert route("运输问题") == "储运部" and route("质量问题") == "质量管理部"     # textbook §10.2.3 step 3
    assert complaints.DEFAULT_ROUTING.loc[["transport", "quality"], "source"].eq("textbook §10.2.3").all()
    with pytest.raises(ValueError) as e:
        route("天气")
    bilingual(e)
    custom = pd.DataFrame({"department": ["物流部"]}, index=["delivery"])
    assert route("delivery", custom) == "物流部"
    df = pd.DataFrame({"category": ["price", None, "weather"]})
    with pytest.raises(ValueError) as e:
        route_complaints(df)
    msg = bilingual(e)
    assert "1" in msg and "2" in msg


# --------------------------------------------------------------------------- KPIs
def test_kpis_on_the_shipped_data_match_direct_pandas(shipped):
    c, o = shipped
    before = c.copy()
    kpi = complaint_kpis(c, o, sla_hours=24)
    pd.testing.assert_frame_equal(c, before)
    assert kpi["rate_per_1000_orders"] == round(len(c) / len(o) * 1000, 4)
    hours = (c["closed_at"] - c["received_at"]).dt.total_seconds() / 3600
    assert kpi["median_hours_to_close"] == round(hours.median(), 2)
    assert kpi["n_open"] == (c["status"] == "open").sum()
    as_of = max(c["received_at"].max(), c["closed_at"].max())
    limit = c["received_at"] + pd.Timedelta(hours=24)
    met = (c["closed_at"] <= limit).sum()
    missed = (c["closed_at"] > limit).sum() + (c["closed_at"].isna() & (as_of > limit)).sum()
    assert kpi["share_within_sla"] == round(met / (met + missed), 6)
    assert 0 < kpi["share_within_sla"] < 1


def test_rate_in_a_period(shipped):
    c, o = shipped
    inside = c[(c["received_at"] >= "2024-01-01") & (c["received_at"] < "2026-01-01")]
    assert complaint_rate(c, o, start="2024-01-01", end="2025-12-31") == round(len(inside) / len(o) * 1000, 4)
    assert complaint_rate(c, o, per=100) == round(len(c) / len(o) * 100, 4)
    with pytest.raises(ValueError) as e:
        complaint_rate(c, o, start="2030-01-01")
    bilingual(e)


def test_pareto_of_the_shipped_causes(shipped):
    c, _ = shipped
    p = pareto_of_causes(c)
    assert p["count"].sum() == len(c) and p["count"].is_monotonic_decreasing
    assert p["cum_share"].iloc[-1] == 1.0
    expected = c["category"].value_counts()
    assert p["count"].to_dict() == expected.to_dict()
    # the vital few are the causes needed to reach 80 %
    assert p["vital_few"].sum() == int((p["cum_share"] - p["share"] < 0.8 - 1e-9).sum())
    textbook = pareto_of_causes(c, textbook_causes=True)
    assert set(textbook.index) <= set(complaints.TYPOLOGY["cause"]) and textbook["count"].sum() == len(c)


@pytest.mark.parametrize("change, words", [
    (lambda d: d.assign(closed_at=d["received_at"] - pd.Timedelta(hours=1)), "before"),
    (lambda d: d.assign(status="closed", closed_at=pd.NaT), "closed without"),
    (lambda d: d.assign(status="open"), "open but"),
    (lambda d: d.assign(status="pending"), "open or closed"),
    (lambda d: d.assign(received_at=pd.NaT), "received_at"),
])
def test_malformed_times_are_reported(shipped, change, words):
    c, _ = shipped
    bad = change(c[c["status"] == "closed"].head(3).copy())
    with pytest.raises(ValueError) as e:
        hours_to_close(bad)
    assert words in bilingual(e)


def test_sla_and_pareto_bad_input():
    with pytest.raises(ValueError):
        sla_share(pd.DataFrame({"received_at": [], "closed_at": [], "status": []}), 24)
    with pytest.raises(ValueError):
        sla_share(pd.DataFrame({"received_at": ["2024-01-01"], "closed_at": [None], "status": ["open"]}), 0)
    with pytest.raises(ValueError) as e:
        pareto_of_causes(pd.DataFrame({"category": ["price", ""]}))
    bilingual(e)


def test_retention_figures():
    # Textbook task 10 §10.1.3: 91 % of silent dissatisfied customers leave; 18 % of well-resolved complainers.
    assert customers_lost(100, 100).tolist() == [91.0, 18.0, 109.0]
    with pytest.raises(ValueError):
        customers_lost(-1, 0)
    with pytest.raises(ValueError):
        customers_lost(1, 1, p_leave_silent=1.2)


# --------------------------------------------------------------------------- Ctrip
def test_ctrip_case_figures():
    # Digest §3.C8 and §5.7: 110-minute flight, 55 uncovered minutes; 98 days from booking to the
    # apology; 70 days from the insurer's letter to the apology.
    case = ctrip_case()
    assert (case["flight_minutes"], case["uncovered_minutes"]) == (110, 55)
    assert (case["days_booking_to_apology"], case["days_insurer_letter_to_apology"]) == (98, 70)
    assert (case["premium_yuan"], case["max_cover_yuan"]) == (20, 800_000)
    assert set(complaints.CTRIP_VIOLATIONS["step"].dropna()) == {2, 4}
    assert uncovered_minutes("2024-01-01", "2024-01-02", "2024-01-01 10:00", "2024-01-01 12:00") == 0
    assert uncovered_minutes("2024-01-02", "2024-01-03", "2024-01-01 10:00", "2024-01-01 12:00") == 120
    with pytest.raises(ValueError) as e:
        uncovered_minutes("2024-01-02", "2024-01-01", "2024-01-01 10:00", "2024-01-01 12:00")
    bilingual(e)
