"""crmlab.system engine: storage, audit log, declared lifecycle, customer archive, reports, grader helpers."""
import datetime as dt

import pandas as pd
import pytest
from syshelpers import fingerprint, open_opportunity, table_counts

from crmlab import opportunity as op
from crmlab import system
from crmlab.system import GuardFailed, IllegalTransition, PermissionDenied, lifecycle


def test_open_without_argument_uses_a_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    crm = system.open(demo=True)
    assert (tmp_path / system.DEFAULT_FILE).exists()
    crm.close()
    again = system.open(demo=True)                       # reopen: data kept, not seeded twice
    assert len(again.users()) == 10
    again.close()


def test_full_flow_links_statuses_and_audit_log(crm):
    out = system.demo.full_flow(crm, "甲公司")
    assert crm.check_invariants() == []
    assert crm.lineage(out["handling"]) == [out["service_request"], out["work_order"], out["handling"]]
    links = crm.links()
    for row in links.itertuples():                       # every target names its source (源单类型/源单编号)
        if row.relation in ("push_down", "source", "convert", "dispatch", "handle"):
            d = crm.doc(row.dst_no)
            assert (d["src_type"], d["src_no"]) == (row.src_type, row.src_no)
    log = crm.audit_log()
    assert set(log["to_status"].dropna()) <= set(lifecycle.STATUS_LABELS) | {"prospect"}
    assert {"zhangsan", "lijingli", "wangzong", "chenjing", "liugong"} <= set(log["user_login"])
    win = crm.audit_log(doc_no=out["opportunity"], action="win")
    # header and tab of the opportunity are one document: one audit row per action (before/after merged)
    assert len(win) == 1 and set(win["from_status"]) == {"open"} and set(win["to_status"]) == {"won"}
    assert {"status", "probability", "win_reason"} <= set(win["after"].iloc[0])
    header = win.iloc[0]
    assert header["before"]["status"] == "open" and header["after"]["status"] == "won"
    assert crm.documents(user="zhangsan", doc_type="opportunity")["no"].tolist() == [out["opportunity"]]
    assert crm.customers().set_index("no").loc[out["customer"], "card_type"] == "current"   # first contract


def test_refused_action_changes_nothing_and_logs_nothing(crm):
    opp, _ = open_opportunity(crm)
    before = fingerprint(crm)
    for fn in (lambda: crm.login("lisi").new_activity(opp, "x"),              # not the owner
               lambda: crm.login("zhangsan").advance(opp, end_stage_now=True),  # strict condition
               lambda: crm.login("zhangsan").win(opp, "r", crm.now.date())):   # not at the last stage
        with pytest.raises((system.CRMError, op.OpportunityError)):
            fn()
        assert fingerprint(crm) == before


def test_manager_scope_is_the_department(crm):
    opp, _ = open_opportunity(crm, rep="lisi")                    # 销售二部
    with pytest.raises(PermissionDenied):
        crm.login("lijingli").new_activity(opp, "x")              # 销售一部 manager
    assert crm.login("wangzong").new_activity(opp, "总监拜访")      # director: all


def test_lifecycle_is_declared_and_printable():
    t = system.lifecycle_table()
    assert {"doc_type", "action", "from", "to", "guard", "effect"} <= set(t.columns)
    assert set(t.query("doc_type == 'opportunity'")["action"]) >= {"advance", "win", "lose", "restore",
                                                                   "evaluate_pass", "submit_evaluation"}
    assert system.push_down_table().query("source == 'price_list'")["target"].tolist() == ["quote"]
    assert system.permission_table().loc[("home_scheme", "maintain")].dropna().to_dict() == {"admin": "all"}
    with pytest.raises(IllegalTransition):
        lifecycle.transition("quote", "cancelled", "audit")
    assert lifecycle.status_code("待接受") == "pending"


def test_lost_opportunity_is_archived_and_restored(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    with pytest.raises(op.IllegalTransition):
        zs.lose(opp, "")
    assert zs.lose(opp, "预算削减") == "lost"
    d = crm.doc(opp)
    assert (d["probability"], d["active"], d["lost_reason"]) == (0.0, False, "预算削减")
    assert zs.restore(opp) == "open"
    d = crm.doc(opp)
    assert (d["probability"], d["active"], d["stage"]) == (0.1, True, "understanding")


def test_customer_archive_three_levels_cards_and_credit(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    cu = zs.new_customer("江南重工集团", industry="制造", region="华东", profile={"business_scale": "大型"})
    zs.set_profile(cu, main_needs="服务器更新", target_market="华东")
    k = zs.add_contact(cu, "钱工", title="信息中心主任", decision_role="决策者", is_key=True)
    zs.add_contact(cu, "孙采购", decision_role="采购")
    assert crm.contacts(cu, key_only=True)["id"].tolist() == [k]
    with pytest.raises(GuardFailed):
        zs.add_contact(cu, "x", decision_role="老板")
    zs.add_credit(cu, 500_000, "AA", report_date="2023-01-01", valid_until="2023-12-31")
    assert crm.stale_credit()["customer_no"].tolist() == [cu]
    zs.add_credit(cu, 800_000, "AAA")                             # valid one year from today
    assert crm.stale_credit().empty
    assert crm.table("customer_profiles").set_index("customer_no").loc[cu, "main_needs"] == "服务器更新"
    with pytest.raises(IllegalTransition):
        zs.stop_trading(cu, "转向竞争对手")                           # a prospect has not traded
    zs.change_card(cu, "现有")
    with pytest.raises(GuardFailed):
        zs.stop_trading(cu, "")
    assert zs.stop_trading(cu, "转向竞争对手") == "former"
    c = crm.customers("流失").set_index("no")
    assert c.loc[cu, "stop_reason"] == "转向竞争对手"
    assert zs.change_card(cu, "current") == "current"              # history kept
    assert crm.table("card_changes")["to_card"].tolist() == ["current", "former", "current"]
    assert crm.customers().set_index("no").loc[cu, "stop_reason"] == "转向竞争对手"
    lj.audit(cu)
    assert crm.status(cu, lang="zh") == "已审核"


def test_reports_on_a_small_pipeline(crm):
    system.demo.full_flow(crm, "甲公司")
    lost, _ = open_opportunity(crm, "乙公司")
    crm.login("zhangsan").lose(lost, "价格太高")
    open_opportunity(crm, "丙公司", rep="lisi")
    r = system.reports
    f = r.sales_funnel(crm)
    assert f["stage"].tolist() == list(crm.method().codes)
    assert f.set_index("stage").loc["understanding", "n"] == 1 and f["n"].sum() == 1
    assert r.win_rate(crm)[["won", "lost", "win_rate"]].values.tolist() == [[1, 1, 0.5]]
    by_owner = r.win_rate(crm, by="owner")
    assert by_owner["owner"].tolist() == ["zhangsan"] and by_owner["win_rate"].tolist() == [0.5]
    assert r.win_rate(crm, by="department")["department"].tolist() == ["销售一部"]
    amounts = r.opportunity_amounts(crm, by="status").set_index("status")
    assert amounts.loc["won", "amount"] == 132_000
    assert r.weighted_forecast(crm)["weighted"].sum() == pytest.approx(132_000 * 0.1)
    assert r.customer_growth(crm)["cumulative"].iloc[-1] == len(crm.customers())
    assert r.customer_distribution(crm).values.sum() == len(crm.customers())
    assert r.collisions(crm).empty
    kpi = op.funnel(crm.opportunities())                          # the frame feeds crmlab.opportunity's KPIs
    assert isinstance(kpi, pd.DataFrame)


def test_pending_items_of_a_user(crm):
    opp, _ = open_opportunity(crm)
    o2, _ = open_opportunity(crm, "乙公司")
    assert crm.pending("lijingli").empty
    zs = crm.login("zhangsan")
    t = zs.new_task(opp, "调研")
    zs.assign_task(t, "zhangsan")
    assert crm.pending("zhangsan").values.tolist() == [["complete", t]]
    assert o2


def test_batch_rolls_back_only_the_refused_action(crm):
    n0 = table_counts(crm)["documents"]
    with crm.batch():
        zs = crm.login("zhangsan")
        zs.new_lead("a", source="网站", customer_name="甲", contact_name="乙")
        with pytest.raises(PermissionDenied):
            crm.login("liugong").new_lead("b", source="网站")
        zs.new_lead("c", source="网站", customer_name="丙", contact_name="丁")
    assert table_counts(crm)["documents"] == n0 + 2
    assert crm.check_invariants() == []


def test_clock_only_moves_forward(crm):
    t0 = crm.now
    assert crm.tick(days=1) == t0 + dt.timedelta(days=1)
    with pytest.raises(GuardFailed):
        crm.set_clock("2020-01-01")
