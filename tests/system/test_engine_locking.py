"""crmlab.system shared API: optimistic locking (version, expected_version, StaleRecord), read record
rules (Desk.documents, Desk.get) and the mobile pieces (Desk.my_schedule, Desk.check_in).

Every test runs on SQLite and, with CRMLAB_TEST_PG_URL set, on PostgreSQL (``db_url``).
"""
import inspect

import pytest
from syshelpers import fingerprint, new_opportunity, open_opportunity, table_counts

from crmlab import system
from crmlab.system import GuardFailed, InvalidValue, NotFound, PermissionDenied, StaleRecord


# -- optimistic locking ---------------------------------------------------------------------------
def test_second_save_with_an_old_version_is_refused_and_loses_nothing(db_url):
    a = system.open(db_url, demo=True)            # two browsers: two CRM objects on one database
    b = system.open(db_url)
    try:
        opp, _ = new_opportunity(a)                  # 潜在机会 is edited while the opportunity is 未评估
        zs, lj = a.login("zhangsan"), b.login("lijingli")
        seen = zs.get(opp)["version"]
        assert lj.get(opp)["version"] == seen
        b.set_clock("2024-03-01 11:30")
        lj.set_potential(opp, need="经理补充：需要双机热备", expected_version=seen)
        assert a.doc(opp)["version"] == seen + 1                    # one action = one version step
        before = fingerprint(a)
        with pytest.raises(StaleRecord) as err:
            zs.set_potential(opp, need="张三的旧版本", expected_version=seen)
        e = err.value
        assert isinstance(e, system.CRMError) and e.code == "STALE_RECORD"
        assert (e.no, e.expected, e.actual, e.changed_by) == (opp, seen, seen + 1, "lijingli")
        assert "lijingli" in str(e) and "2024-03-01 11:30" in str(e)
        assert "reload and try again" in str(e) and "请刷新后重试" in str(e)
        assert fingerprint(a) == before                              # nothing changed, nothing lost
        assert a.doc(opp)["need"] == "经理补充：需要双机热备"
        zs.set_potential(opp, need="张三刷新后修改", expected_version=seen + 1)   # reload → it works
        assert a.doc(opp)["need"] == "张三刷新后修改" and a.doc(opp)["version"] == seen + 2
        zs.add_interest(opp, "SW-24", qty=1)                        # no expected_version: no check
        assert a.doc(opp)["version"] == seen + 3
    finally:
        a.close()
        b.close()


def test_versions_count_changes_of_documents_and_customers(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    lead = zs.new_lead("意向", source="网站", customer_name="江南重工集团", contact_name="钱工")
    assert crm.doc(lead)["version"] == 1
    opp = zs.convert_lead(lead, new_customer=True, new_contact=True, expected_version=1)
    assert crm.doc(lead)["version"] == 2 and crm.doc(opp)["version"] == 1
    cust = crm.doc(opp)["customer_no"]
    assert crm.doc(cust)["version"] == 1
    lj.audit(cust, expected_version=1)
    with pytest.raises(StaleRecord):
        lj.set_trading(cust, expected_version=1)
    assert not crm.doc(cust)["is_trading"]
    lj.set_trading(cust, expected_version=2)
    assert crm.doc(cust)["version"] == 3
    assert "version" in crm.documents().columns and "version" in zs.documents().columns
    log = crm.audit_log(doc_no=cust, action="set_trading")
    assert log.iloc[0]["before"]["version"] == 2 and log.iloc[0]["after"]["version"] == 3


def test_every_document_action_takes_expected_version():
    for name in ("advance", "win", "audit", "push_down", "set_payment_plan", "dispatch", "accept_work_order",
                 "edit_customer", "set_potential", "close_request"):
        sig = inspect.signature(getattr(system.Desk, name))
        assert sig.parameters["expected_version"].default is None, name


def test_nested_action_checks_the_version_once(crm):
    out = system.demo.full_flow(crm, "甲公司")
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    contract = out["contract"]
    lj.unaudit(contract)
    v = crm.doc(contract)["version"]
    with pytest.raises(StaleRecord):
        zs.set_contract_terms(contract, settlement="现金", expected_version=v - 1)
    assert crm.doc(contract)["settlement"] == "银行转账"
    zs.set_contract_terms(contract, settlement="现金", expected_version=v)
    assert crm.doc(contract)["settlement"] == "现金" and crm.doc(contract)["version"] == v + 1


def test_expected_version_in_a_batch(crm):
    opp, _ = new_opportunity(crm)
    v = crm.doc(opp)["version"]
    with crm.batch():
        crm.login("zhangsan").set_potential(opp, need="第一次", expected_version=v)
        with pytest.raises(StaleRecord) as err:
            crm.login("lijingli").set_potential(opp, need="第二次", expected_version=v)
        assert err.value.changed_by == "zhangsan"
    assert crm.doc(opp)["need"] == "第一次" and crm.check_invariants() == []


# -- read record rules ----------------------------------------------------------------------------
def test_rep_sees_own_manager_department_director_all(crm):
    zs_opp, _ = open_opportunity(crm, "甲公司", rep="zhangsan")     # 销售一部
    ls_opp, _ = open_opportunity(crm, "乙公司", rep="lisi")         # 销售二部

    def opps(login):
        return set(crm.login(login).documents("商机")["no"])
    assert opps("zhangsan") == {zs_opp}
    assert opps("lisi") == {ls_opp}
    assert opps("lijingli") == {zs_opp}                                # manager of 销售一部
    assert opps("wangzong") == opps("admin") == {zs_opp, ls_opp}
    assert opps("liugong") == set()                                    # an engineer
    assert crm.login("zhangsan").get(zs_opp)["no"] == zs_opp
    assert crm.login("lijingli").get(zs_opp)["version"] >= 1
    for login, no in (("zhangsan", ls_opp), ("lijingli", ls_opp), ("liugong", zs_opp)):
        with pytest.raises(PermissionDenied) as err:
            crm.login(login).get(no)
        assert err.value.code == "NOT_VISIBLE"
    with pytest.raises(NotFound):
        crm.login("zhangsan").get("SJ999999")
    cust = crm.doc(ls_opp)["customer_no"]
    assert crm.login("liugong").get(cust)["no"] == cust                # customers are company-wide
    st = crm.login("zhangsan").documents(status="执行中")
    assert set(st["no"]) == {zs_opp}


def test_read_rules_are_in_the_permission_table():
    t = system.permission_table()
    row = t.loc[("opportunity", "read")].dropna().to_dict()
    assert row["sales_rep"] == "own" and row["sales_manager"] == "dept"
    assert row["sales_director"] == "all" and row["admin"] == "all"
    assert t.loc[("work_order", "read")]["engineer"] == "own"
    assert t.loc[("service_request", "read")]["service_manager"] == "all"   # who dispatches sees
    assert set(t.loc[("customer", "read")].dropna()) == {"all"}
    assert set(t.loc[("activity", "check_in")].dropna()) == {"own"}


def test_assigned_users_see_what_they_work_on(crm):
    out = system.demo.full_flow(crm, "甲公司")
    lg = crm.login("liugong")
    seen = set(lg.documents()["no"])
    assert {out["work_order"], out["handling"], out["service_request"]} <= seen     # handler of the request
    assert out["opportunity"] not in seen and out["contract"] not in seen
    opp, _ = open_opportunity(crm, "乙公司")
    zs = crm.login("zhangsan")
    t = zs.new_task(opp, "机房调研")
    zs.assign_task(t, "lisi")                                          # another department's rep executes
    assert t in set(crm.login("lisi").documents("任务")["no"])
    assert crm.login("lisi").get(t)["executor"] == "lisi"


# -- mobile: schedule and check-in ---------------------------------------------------------------
def test_schedule_and_check_in(crm):
    opp, cust = open_opportunity(crm)
    zs = crm.login("zhangsan")
    a1 = zs.new_activity(opp, "上门拜访", plan_start="2024-03-05 14:00")
    a2 = zs.new_activity(opp, "电话回访", plan_start="2024-03-05 09:30")
    zs.new_activity(opp, "下周演示", plan_start="2024-03-12 10:00")
    t = zs.new_task(opp, "机房环境调研", plan_start="2024-03-05 16:00")
    zs.assign_task(t, "zhangsan")
    day = zs.my_schedule("2024-03-05")
    assert day["no"].tolist() == [a2, a1, t]                           # by planned time
    assert set(day["customer_no"]) == {cust} and not day["checked_in"].any()
    assert crm.login("lisi").my_schedule("2024-03-05").empty
    crm.set_clock("2024-03-05 13:55")
    before = len(crm.audit_log())
    cid = zs.check_in(a1, "江南重工集团 信息中心", 31.2304, 121.4737)
    ins = crm.table("check_ins").set_index("id").loc[cid]
    assert (ins["doc_no"], ins["user_login"], ins["place"]) == (a1, "zhangsan", "江南重工集团 信息中心")
    assert str(ins["at"])[:16] == "2024-03-05 13:55" and ins["lat"] == pytest.approx(31.2304)
    log = crm.audit_log(action="check_in")
    assert len(crm.audit_log()) == before + 1 and log["doc_no"].tolist() == [a1]
    assert log.iloc[0]["after"]["lon"] == pytest.approx(121.4737)
    assert zs.my_schedule("2024-03-05").set_index("no").loc[a1, "checked_in"]
    assert zs.check_in(t, "江南重工集团 机房", 31.23, 121.47) > cid      # a task on the schedule


def test_refused_check_ins_change_nothing(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    act = zs.new_activity(opp, "上门拜访", plan_start="2024-03-01 15:00")
    before = fingerprint(crm)
    n_log = len(crm.audit_log())
    cases = [
        (lambda: crm.login("lisi").check_in(act, "江南", 31.2, 121.4), PermissionDenied, "NOT_OWNER"),
        (lambda: crm.login("lijingli").check_in(act, "江南", 31.2, 121.4), PermissionDenied, "NOT_OWNER"),
        (lambda: zs.check_in(act, "江南", None, None), GuardFailed, "COORDINATES_REQUIRED"),
        (lambda: zs.check_in(act, "江南", 31.2, float("nan")), GuardFailed, "COORDINATES_REQUIRED"),
        (lambda: zs.check_in(act, "江南", "北纬", 121.4), GuardFailed, "COORDINATES_REQUIRED"),
        (lambda: zs.check_in(act, "江南", 95.0, 121.4), GuardFailed, "BAD_COORDINATES"),
        (lambda: zs.check_in(act, "江南", 31.2, -181), GuardFailed, "BAD_COORDINATES"),
        (lambda: zs.check_in(act, "  ", 31.2, 121.4), GuardFailed, "REQUIRED"),
        (lambda: zs.check_in(opp, "江南", 31.2, 121.4), GuardFailed, "NOT_AN_ACTIVITY"),
        (lambda: zs.check_in("HD999999", "江南", 31.2, 121.4), NotFound, "NO_DOCUMENT"),
    ]
    for fn, exc, code in cases:
        with pytest.raises(exc) as err:
            fn()
        assert err.value.code == code
        assert " / " in str(err.value)                                   # English / 中文
    assert fingerprint(crm) == before and len(crm.audit_log()) == n_log
    assert table_counts(crm)["check_ins"] == 0
    with pytest.raises(InvalidValue):
        zs.my_schedule("not a day")
