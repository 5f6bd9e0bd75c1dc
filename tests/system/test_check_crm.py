"""Tests of crmlab.check_crm (check.crm): the graders' database-state checks of lab 04_system.

Every helper must return what it found on success and fail with crmlab.check.CheckFailed (an
AssertionError) — never NotFound, KeyError or TypeError — on a missing step, a wrong value or None.
"""

import pytest
import sqlalchemy as sa

from crmlab import check, system
from crmlab.system import models as m


@pytest.fixture(scope="module")
def flow():
    """A demo company after the whole chain (lead → … → service handled), plus a refused step."""
    crm = system.open(":memory:", demo=True)
    out = system.demo.full_flow(crm, "甲公司")
    try:
        crm.login("zhangsan").save_home_scheme("默认方案", ["消息"])
    except system.PermissionDenied as e:
        out["refused"] = e
    yield crm, out
    crm.close()


def fails(fn, *args, **kw) -> str:
    """Run a check that must fail; return its message (and prove it is a CheckFailed)."""
    with pytest.raises(check.CheckFailed) as info:
        fn(*args, **kw)
    assert isinstance(info.value, AssertionError)
    return str(info.value)



# -- find_document -------------------------------------------------------------------------------
def test_find_document_finds_by_type_status_and_fields(flow):
    crm, out = flow
    assert check.crm.find_document(crm, "商机", status="赢单", subject="甲公司 服务器购买意愿") == out["opportunity"]
    assert check.crm.find_document(crm, "opportunity", status="won", owner="张三",
                                  expected_revenue=132_000) == out["opportunity"]
    assert check.crm.find_document(crm, "报价单", status="已审核", total=132_000.0) == out["quote"]
    assert check.crm.find_document(crm, "customer", name="甲公司", is_trading=True) == out["customer"]


def test_find_document_returns_the_last_match(flow):
    crm, _ = flow
    assert check.crm.find_document(crm, "customer", status="audited") == crm.customers()["no"].iloc[-1]


def test_find_document_messages_say_what_is_missing(flow):
    crm, out = flow
    msg = fails(check.crm.find_document, crm, "价目表", hint="Create a price list.")
    assert "一张价目表都没有" in msg and "提示 hint: Create a price list." in msg
    msg = fails(check.crm.find_document, crm, "opportunity", subject="不存在的商机")
    assert "没有一张相符" in msg and "最接近的" in msg
    msg = fails(check.crm.find_document, crm, "opportunity", status="lost", subject="甲公司 服务器购买意愿")
    assert "输单 lost" in msg and f"{out['opportunity']} 的状态是 赢单 won" in msg
    msg = fails(check.crm.find_document, crm, "quote", owner="lisi")
    assert "负责人 lisi" in msg


def test_find_document_bad_labels_fail_as_checks(flow):
    crm, _ = flow
    assert "单据类型" in fails(check.crm.find_document, crm, "发票")
    assert "状态" in fails(check.crm.find_document, crm, "quote", status="飞走了")


# -- expect_status / expect_fields -----------------------------------------------------------------
def test_status_and_fields(flow):
    crm, out = flow
    assert check.crm.status(crm, out["contract"], "已审核") is None
    check.crm.status(crm, out["task"], ["已完成", "closed"])
    d = check.crm.fields(crm, out["opportunity"], stage="signing", probability=1.0, win_reason="方案契合、响应及时")
    assert d["status"] == "won"


@pytest.mark.parametrize("no, says", [(None, "还没有作答"), ("SJ999999", "一张已有的单据"), (42, "一个单据编号")])
def test_status_none_or_unknown_number_fails_as_check(flow, no, says):
    crm, _ = flow
    assert says in fails(check.crm.status, crm, no, "执行中")
    assert "一个单据编号" in fails(check.crm.fields, crm, no, stage="signing")


def test_status_and_fields_wrong_values(flow):
    crm, out = flow
    assert "执行中 open" in fails(check.crm.status, crm, out["opportunity"], "执行中")
    assert "132000.0" in fails(check.crm.fields, crm, out["opportunity"], expected_revenue=126_000.0)
    assert "没有这个字段" in fails(check.crm.fields, crm, out["opportunity"], colour="red")


# -- links ----------------------------------------------------------------------------------------------
def test_link_and_lineage(flow):
    crm, out = flow
    assert check.crm.linked(crm, out["lead"], out["opportunity"], relation="convert") == out["opportunity"]
    assert check.crm.linked(crm, out["opportunity"], dst_type="活动", relation="source") == out["activity"]
    assert check.crm.linked(crm, out["quote"], dst_type="contract", relation="push_down") == out["contract"]
    chain = [out["lead"], out["opportunity"], out["quote"], out["contract"]]
    assert check.crm.lineage(crm, out["contract"], ["线索", "商机", "报价单", "销售合同"]) == chain
    assert check.crm.lineage(crm, out["contract"], chain) == chain


def test_link_failures(flow):
    crm, out = flow
    assert "关联到 (links to):" in fails(check.crm.linked, crm, out["opportunity"], dst_type="project")
    assert "with relation 'push_down'" in fails(check.crm.linked, crm, out["lead"], relation="push_down")
    assert "还没有作答" in fails(check.crm.linked, crm, None, dst_type="opportunity")
    assert "源单编号" in fails(check.crm.linked, crm, "XS999999", dst_type="opportunity")
    assert "还没有作答" in fails(check.crm.linked, crm, out["lead"], None)
    assert "还没有作答" in fails(check.crm.audit, crm, "audit", doc_no=None)
    assert "XS000001 (lead)" in fails(check.crm.lineage, crm, out["contract"], ["商机", "报价单", "销售合同"])
    fails(check.crm.lineage, crm, None, ["商机"])


# -- the audit log ------------------------------------------------------------------------------------
def test_audit_by_user_document_and_values(flow):
    crm, out = flow
    row = check.crm.audit(crm, "audit", user="李经理", doc_no=out["contract"], count=1)
    assert row["role"] == "sales_manager" and row["to_status"] == "audited"
    check.crm.audit(crm, "advance", user="zhangsan", doc_no=out["opportunity"], at_least=4)
    check.crm.audit(crm, "seed_demo", user="system", company="埃佛特信息科技有限公司")
    check.crm.no_audit(crm, "audit", user="zhangsan")


def test_audit_failures_name_who_did_it(flow):
    crm, out = flow
    msg = fails(check.crm.audit, crm, "audit", user="wangzong", doc_no=out["contract"])
    assert "(done by): lijingli" in msg
    assert "恰好 2 条记录" in fails(check.crm.audit, crm, "audit", doc_no=out["contract"], count=2)
    assert "无人 nobody" in fails(check.crm.audit, crm, "fly_away")
    assert "没有记录" in fails(check.crm.no_audit, crm, "audit", user="lijingli")


def test_refused_actions_leave_no_audit_entry(flow):
    crm, out = flow
    check.crm.refused(out["refused"], system.PermissionDenied, "ROLE_FORBIDDEN")
    check.crm.no_audit(crm, "save_home_scheme", user="zhangsan")


# -- refusals ---------------------------------------------------------------------------------------------
def test_refused(flow):
    _, out = flow
    err = out["refused"]
    check.crm.refused(err, system.CRMError)
    check.crm.refused(err, (system.GuardFailed, system.PermissionDenied), ("NOT_OWNER", "ROLE_FORBIDDEN"))
    assert "try/except" in fails(check.crm.refused, None, system.PermissionDenied)
    assert "a ConditionsNotMet" in fails(check.crm.refused, err, system.ConditionsNotMet)
    assert "错误代码" in fails(check.crm.refused, err, system.PermissionDenied, "NOT_OWNER")
    assert "a ValueError" in fails(check.crm.refused, "not an error", ValueError)


# -- base data and tabs ----------------------------------------------------------------------------------
def test_row(flow):
    crm, _ = flow
    assert check.crm.row(crm, "users", login="liugong", role="engineer")["employee_code"] == "E402"
    assert check.crm.row(crm, "home_schemes", name="默认方案")["blocks"][0] == "消息"
    assert "没有一行相符" in fails(check.crm.row, crm, "knowledge_types", code="K09")
    assert "数据库中的一张表" in fails(check.crm.row, crm, "no_such_table", code="x")
    assert "有一列 (a column) 'colour'" in fails(check.crm.row, crm, "users", colour="red")


def test_stages_and_evaluations(flow):
    crm, out = flow
    tab = check.crm.stages(crm, out["opportunity"], ["understanding", "预研阶段", "Proposal", "投标阶段", "签约阶段"],
                               closed=True)
    assert len(tab) == 5
    rounds = check.crm.evaluations(crm, out["opportunity"], ["forward", "通过,评估结束"], evaluators=["lijingli", "王总"])
    assert rounds["round"].tolist() == [1, 2]
    assert "一个商机编号" in fails(check.crm.stages, crm, None, ["了解情况"])
    assert "一个商机编号" in fails(check.crm.stages, crm, out["quote"], ["了解情况"])
    assert "阶段名称" in fails(check.crm.stages, crm, out["opportunity"], ["月球阶段"])
    assert "驳回" in fails(check.crm.evaluations, crm, out["opportunity"], ["reject"])
    assert "评估人" in fails(check.crm.evaluations, crm, out["opportunity"], ["forward", "pass"],
                                 evaluators=["wangzong", "lijingli"])
    assert "评估结果" in fails(check.crm.evaluations, crm, out["opportunity"], ["maybe"])
    fails(check.crm.evaluations, crm, None, ["pass"])


def test_stages_open_rows():
    crm = system.open(":memory:", demo=True)
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    lead = zs.new_lead("x", source="电话", customer_name="乙公司", contact_name="孙工")
    opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    zs.set_potential(opp, expected_close="2024-06-30", expected_revenue=10_000, source="电话", interest="中")
    zs.submit_evaluation(opp, evaluator="lijingli")
    assert "(pending 待评估)" in fails(check.crm.evaluations, crm, opp, ["pass"])
    assert "实际 got:      []" in fails(check.crm.stages, crm, opp, ["了解情况"])
    lj.evaluate(opp, "pass")
    check.crm.stages(crm, opp, ["了解情况"])
    assert "仍未结束" in fails(check.crm.stages, crm, opp, ["了解情况"], closed=True)


# -- invariants --------------------------------------------------------------------------------------
def test_invariants_detects_a_tampered_database():
    crm = system.open(":memory:", demo=True)
    out = system.demo.full_flow(crm, "丙公司")
    check.crm.consistent(crm)
    with crm.engine.begin() as con:                 # a direct table write, bypassing the actions
        con.execute(sa.update(m.Document).where(m.Document.no == out["quote"]).values(total=1.0))
    assert out["quote"] in fails(check.crm.consistent, crm)
