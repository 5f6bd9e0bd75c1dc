"""crmlab.system.scenario (the 埃佛特 story replayed step by step, a seeded history) and
check.crm (crmlab.check_crm: graded checks of the database state for labs/04_system)."""
import pandas as pd
import pytest

from crmlab import check, system
from crmlab.system import scenario

STEP_STATUS = {      # step → (key of the document made last, its status)
    "lead": ("lead", "saved"),
    "opportunity": ("opportunity", "potential"),
    "evaluated": ("opportunity", "open"),
    "quote": ("quote", "saved"),
    "won": ("opportunity", "won"),
    "contract": ("contract", "audited"),
    "archive": ("archive", "registered"),
    "service": ("service_request", "handled"),
}


def _demo():
    return system.open(":memory:", demo=True)


def _actions(crm):
    """The audit log as (user, action, document type) — what was done by whom, without numbers or times."""
    log = crm.audit_log()
    log = log[(log["user_login"] != "system") & (log["action"] != "edit_customer")]
    return list(zip(log["user_login"], log["action"], log["doc_type"]))


# -------------------------------------------------------------------------------- until
@pytest.mark.parametrize("step", list(STEP_STATUS))
def test_until_stops_at_the_named_step(step):
    crm = _demo()
    nos = scenario.until(crm, step)
    key, status = STEP_STATUS[step]
    assert crm.status(nos[key], lang="en") == status
    assert crm.check_invariants() == []
    made = {"lead": ["lead"], "opportunity": ["opportunity", "customer", "contact"], "activity": ["activity"],
            "task": ["task"], "quote": ["quote"], "sample": ["sample"], "contract": ["contract"],
            "archive": ["archive"], "service": ["service_request", "work_order", "handling"]}
    order = [s[0] for s in scenario.STEPS]
    want = {k for s in order[:order.index(step) + 1] for k in made.get(s, [])}
    assert set(nos) == want


def test_until_replays_the_demo_full_flow_action_by_action():
    a, b = _demo(), _demo()
    ref = system.demo.full_flow(a, scenario.CUSTOMER)
    nos = scenario.until(b, "service")
    assert _actions(a) == _actions(b)
    for key, no in ref.items():
        assert nos[key] == no
        assert a.status(no) == b.status(no)
    assert b.lineage(nos["contract"]) == [nos["lead"], nos["opportunity"], nos["quote"], nos["contract"]]
    assert (b.doc(nos["customer"])["industry"], b.doc(nos["customer"])["region"]) == ("制造", "华东")


def test_until_acts_as_the_right_users():
    crm = _demo()
    nos = scenario.until(crm, "service")
    by = {(r.action, r.doc_no): r.user_login for r in crm.audit_log().itertuples()}
    assert by[("evaluate_forward", nos["opportunity"])] == "lijingli"
    assert by[("evaluate_pass", nos["opportunity"])] == "wangzong"
    assert by[("win", nos["opportunity"])] == "zhangsan"
    assert by[("audit", nos["quote"])] == "lijingli"
    assert by[("audit", nos["contract"])] == "lijingli"
    assert by[("dispatch", nos["work_order"])] == "chenjing"
    assert by[("accept_work_order", nos["work_order"])] == "liugong"


def test_until_moves_the_clock_like_a_sales_cycle():
    crm = _demo()
    scenario.until(crm, "won")
    assert str(crm.now) == "2024-03-25 15:00:00"
    log = crm.audit_log()
    assert log["at"].is_monotonic_increasing
    assert pd.Timestamp(log["at"].iloc[-1]) - pd.Timestamp(log["at"].iloc[1]) > pd.Timedelta(days=20)


def test_until_refuses_an_unknown_step_and_changes_nothing():
    crm = _demo()
    with pytest.raises(system.GuardFailed) as err:
        scenario.until(crm, "invoice")
    assert err.value.code == "UNKNOWN_STEP"
    assert crm.documents().empty


def test_until_twice_needs_another_customer():
    crm = _demo()
    scenario.until(crm, "won")
    with pytest.raises(system.CRMError):
        scenario.until(crm, "won")
    other = scenario.until(crm, "won", customer="江北电子集团")
    assert crm.doc(other["customer"])["name"] == "江北电子集团"
    assert crm.check_invariants() == []


def test_until_on_each_backend(crm):
    nos = scenario.until(crm, "contract")
    assert crm.status(nos["contract"], lang="en") == "audited"
    assert crm.check_invariants() == []


def test_populate_on_each_backend(db_url):
    crm = system.open(db_url, demo=True, clock="2022-03-01 09:00")
    try:
        plan = scenario.populate(crm, n=6, seed=4)
        assert crm.check_invariants() == []
        assert [crm.status(o, lang="en") for o in plan["opportunity"]] == [
            {"open": "open", "won": "won", "lost": "lost", "failed": "failed", "potential": "potential"}[x]
            for x in plan["outcome"]]
        ref = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
        pd.testing.assert_frame_equal(plan, scenario.populate(ref, n=6, seed=4))
    finally:
        crm.close()


def test_clock_never_refuses_and_never_goes_back():
    crm = _demo()
    assert str(scenario.clock(crm, "2024-03-04 09:00")) == "2024-03-04 09:00:00"
    assert str(scenario.clock(crm, "2024-03-02 09:00")) == "2024-03-04 09:00:00"


def test_steps_table_lists_every_step_once():
    t = scenario.steps_table()
    assert t["step"].is_unique and len(t) == len(scenario.STEPS)
    assert list(t.columns) == ["step", "步骤", "who", "what"]


# -------------------------------------------------------------------------------- populate
@pytest.fixture(scope="module")
def history():
    crm = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
    plan = scenario.populate(crm, n=24, seed=3)
    return crm, plan


def test_populate_is_deterministic():
    a = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
    b = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
    pa, pb = scenario.populate(a, n=10, seed=7), scenario.populate(b, n=10, seed=7)
    pd.testing.assert_frame_equal(pa, pb)
    pd.testing.assert_frame_equal(a.documents(), b.documents())
    pd.testing.assert_frame_equal(a.customers(), b.customers())
    c = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
    assert not scenario.populate(c, n=10, seed=8).equals(pa)


def test_populate_outcomes_are_in_the_database(history):
    crm, plan = history
    assert crm.check_invariants() == []
    want = {"potential": "potential", "failed": "failed", "open": "open", "won": "won", "lost": "lost"}
    for r in plan.itertuples():
        assert crm.status(r.opportunity, lang="en") == want[r.outcome]
        assert crm.doc(r.opportunity)["owner"] == r.owner
        if r.outcome == "won":
            assert crm.status(r.contract, lang="en") == "audited"
            assert crm.doc(r.contract)["customer_no"] == r.customer_no
            assert crm.lines(r.contract, "payment")["amount"].sum() == pytest.approx(crm.doc(r.contract)["total"])
        else:
            assert r.contract is None
        if r.service_request is not None:
            d = crm.doc(r.service_request)
            assert d["status"] == "closed" and 1 <= d["satisfaction"] <= 5


def test_populate_feeds_every_report(history):
    crm, plan = history
    funnel = system.reports.sales_funnel(crm)
    assert funnel["n"].sum() == (plan["outcome"] == "open").sum()
    rates = system.reports.win_rate(crm, by="department")
    assert set(rates["department"]) == {"销售一部", "销售二部"}
    assert rates["won"].sum() == (plan["outcome"] == "won").sum()
    assert rates["lost"].sum() == (plan["outcome"] == "lost").sum()
    assert set(system.reports.win_rate(crm, by="owner")["owner"]) <= {"zhangsan", "lisi", "lijingli"}
    growth = system.reports.customer_growth(crm)
    assert growth["cumulative"].iloc[-1] == len(crm.customers()) and len(growth) > 3
    assert len(system.reports.service_satisfaction(crm)) >= 1
    assert crm.customers()["industry"].nunique() >= 4


def test_populate_goes_through_desk_actions_only(history):
    crm, plan = history
    log = crm.audit_log()
    created = set(log["doc_no"].dropna())
    assert set(crm.documents()["no"]) <= created             # every document was made by a logged action
    assert set(log["user_login"]) - {"system"} <= {"admin", "zhangsan", "lisi", "lijingli", "wangzong", "chenjing",
                                                     "liugong", "sungong"}
    evaluated = log[log["action"].str.startswith("evaluate_")]
    assert set(evaluated["user_login"]) <= {"lijingli", "wangzong"}
    assert len(log) < 800                                    # a few hundred actions (bounded cost)


def test_populate_keeps_the_scenario_customer_free(history):
    crm, _ = history
    assert scenario.CUSTOMER not in set(crm.customers()["name"])


def test_populate_works_in_office_hours(history):
    crm, _ = history
    hours = pd.to_datetime(crm.customers()["created_at"]).dt.hour
    assert hours.between(9, 17).all()
    opened = pd.to_datetime(crm.opportunities()["created_date"]).dt.hour
    assert opened.between(9, 17).all()


def test_populate_then_until_and_an_extra_engineer_only_once():
    crm = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
    scenario.populate(crm, n=3, seed=1)
    scenario.populate(crm, n=3, seed=2)
    assert (crm.users()["login"] == "sungong").sum() == 1
    nos = scenario.until(crm, "won")
    assert crm.doc(nos["opportunity"])["created_at"] >= "2024-03-01"
    assert crm.check_invariants() == []


def test_populate_refuses_a_bad_n():
    with pytest.raises(system.GuardFailed):
        scenario.populate(_demo(), n=0)


# -------------------------------------------------------------------------------- check.crm (sales and service)
@pytest.fixture(scope="module")
def signed():
    crm = _demo()
    return crm, scenario.until(crm, "service")


BAD_NUMBERS = [None, 3, "HT999999", ["HT000001"]]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_every_check_fails_with_an_assertion_never_a_traceback(signed, bad):
    crm, nos = signed
    calls = [
        lambda: check.crm.document(crm, bad, "contract", "x"),
        lambda: check.crm.document(crm, bad, "customer", "x"),
        lambda: check.crm.status(crm, bad, "audited", "x"),
        lambda: check.crm.audit(crm, "audit", user="lijingli", doc_no=bad, label="x"),
        lambda: check.crm.line_items(crm, bad, [("R740", 2, 48_000)], "x"),
        lambda: check.crm.linked(crm, nos["quote"], bad, "x"),
        lambda: check.crm.linked(crm, bad, nos["contract"], "x"),
        lambda: check.crm.approvals(crm, bad, ["lijingli"], "x"),
        lambda: check.crm.payment_plan(crm, bad, [1.0], [0], "x"),
        lambda: check.crm.refused(bad, code="READ_ONLY", label="x"),
    ]
    for call in calls:
        with pytest.raises(check.CheckFailed):
            call()


def test_checks_pass_on_the_scenario(signed):
    crm, nos = signed
    assert check.crm.document(crm, nos["contract"], "销售合同", "x")["total"] == 132_000
    check.crm.status(crm, nos["service_request"], ["已处理", "closed"], "x")
    check.crm.audit(crm, "accept_work_order", user="liugong", doc_no=nos["work_order"], label="x")
    check.crm.line_items(crm, nos["handling"], [("PSU", 1, None)], "x", kind="part")
    check.crm.linked(crm, nos["service_request"], nos["work_order"], "x", relation="dispatch")
    check.crm.payment_plan(crm, nos["contract"], [0.3, 0.6, 0.1], [0, 60, 365], "x")
    check.crm.consistent(crm)


def test_checks_name_what_is_wrong(signed):
    crm, nos = signed
    with pytest.raises(check.CheckFailed, match="一张销售合同 \\(a contract\\)"):
        check.crm.document(crm, nos["quote"], "contract", "x")
    with pytest.raises(check.CheckFailed, match="第1行 line 1"):
        check.crm.line_items(crm, nos["contract"], [("R740", 2, 46_000), ("FW-3000", 1, 36_000)], "x")
    with pytest.raises(check.CheckFailed, match="第2期日期 instalment 2 due"):
        check.crm.payment_plan(crm, nos["contract"], [0.3, 0.6, 0.1], [0, 90, 365], "x")
    with pytest.raises(check.CheckFailed, match="未启用多级审核"):
        check.crm.approvals(crm, nos["contract"], ["lijingli"], "x")
    with pytest.raises(check.CheckFailed, match="的源单 \\(made from\\)"):
        check.crm.linked(crm, nos["lead"], nos["contract"], "x")


def test_approvals_read_the_last_round_after_an_unaudit():
    crm = _demo()
    zs, lj, wz = crm.login("zhangsan"), crm.login("lijingli"), crm.login("wangzong")
    pl = zs.new_price_list("KH000001", [("R740", 1, 46_000)])
    zs.enable_multi_audit(pl, ["lijingli", "wangzong"])
    lj.approve(pl)
    wz.approve(pl)
    lj.unaudit(pl)
    with pytest.raises(check.CheckFailed):
        check.crm.approvals(crm, pl, ["lijingli", "wangzong"], "x")      # saved again
    lj.audit(pl)                                                  # single-level this time
    with pytest.raises(check.CheckFailed):
        check.crm.approvals(crm, pl, ["lijingli", "wangzong"], "x")
    lj.unaudit(pl)
    zs.enable_multi_audit(pl, ["wangzong"])
    wz.approve(pl)
    check.crm.approvals(crm, pl, ["wangzong"], "x")


def test_value_model_check():
    crm = _demo()
    wz = crm.login("wangzong")
    wz.save_value_model("M", **system.reports.DEFAULT_VALUE_MODEL)
    assert check.crm.value_model(crm, "M", "x")["status"] == "draft"
    with pytest.raises(check.CheckFailed):
        check.crm.value_model(crm, None, "x")


def test_reference_crm_is_cached():
    a = check.crm.reference_crm(11, n=3, step="won")
    assert a is check.crm.reference_crm(11, n=3, step="won")
    assert a.check_invariants() == []

