"""What users read: the named evaluator of another department reads the opportunity they evaluate
(read record rules), the customer pyramid in the value model's grade order, the invariants
(payment plan R27) and the query helpers given no document. Each on SQLite and PostgreSQL."""
import pytest
import sqlalchemy as sa

from crmlab import system
from crmlab.system import models as m

from syshelpers import new_opportunity


# -- the named evaluator reads what they evaluate --------------------------------------------------
def test_a_named_evaluator_of_another_department_can_read_the_opportunity(crm):
    crm.login("admin").add_user("zhaojingli", "赵经理", "sales_manager", dept="D02")
    opp, _ = new_opportunity(crm)
    zs, zj = crm.login("zhangsan"), crm.login("zhaojingli")
    with pytest.raises(system.PermissionDenied):
        zj.get(opp)                                           # not yet named: D02 cannot see D01's opportunity
    zs.submit_evaluation(opp, evaluator="zhaojingli")
    assert crm.pending("zhaojingli")["no"].tolist() == [opp]
    assert zj.get(opp)["no"] == opp
    assert opp in set(zj.documents("opportunity")["no"])
    with pytest.raises(system.PermissionDenied):
        crm.login("lisi").get(opp)                            # a rep of that department still cannot
    assert opp not in set(crm.login("lisi").documents()["no"])
    assert zj.evaluate(opp, "通过，评估结束") == "open"
    with pytest.raises(system.PermissionDenied):               # no longer the current evaluator
        zj.get(opp)


# -- the customer pyramid follows the value model's grade order ------------------------------------
def test_customer_pyramid_follows_the_grades_of_the_value_model(crm):
    from crmlab.system.reports import DEFAULT_VALUE_MODEL, customer_pyramid
    wz = crm.login("wangzong")
    grades = [("金", 80), ("银", 60), ("铜", 0)]
    wz.save_value_model("金银铜", bands=DEFAULT_VALUE_MODEL["bands"], weights=DEFAULT_VALUE_MODEL["weights"],
                        grades=grades)
    wz.activate_value_model("金银铜")
    nos = crm.customers()["no"].tolist()[:3]
    with crm.engine.begin() as con:
        for no, (g, s) in zip(nos, [("铜", 10), ("金", 90), ("银", 70)]):
            con.execute(sa.update(m.Customer).where(m.Customer.no == no).values(value_grade=g, value_score=s))
    assert customer_pyramid(crm)["grade"].tolist() == ["金", "银", "铜"]
    assert sorted(["金", "银", "铜"]) != ["金", "银", "铜"]      # alphabetical order would be wrong


# -- payment plan invariant (R27), lines(None) -----------------------------------------------------
def test_check_invariants_finds_a_payment_plan_off_its_contract_total(crm):
    out = system.demo.full_flow(crm, "江南重工集团")
    assert crm.check_invariants() == []
    contract = out["contract"]
    assert crm.status(contract, lang="en") == "audited"
    with crm.engine.begin() as con:
        con.execute(sa.update(m.DocLine).where(m.DocLine.doc_no == contract, m.DocLine.kind == "payment",
                                               m.DocLine.seq == 1).values(amount=1.0))
    assert any(contract in p and "R27" in p for p in crm.check_invariants())


def test_lines_of_no_document_is_not_found_and_audit_log_of_none_is_all(crm):
    with pytest.raises(system.NotFound):
        crm.lines(None)
    with pytest.raises(system.NotFound):
        crm.doc(None)
    crm.login("zhangsan").new_lead("甲", source="网站", customer_name="甲", contact_name="乙")
    assert len(crm.audit_log(doc_no=None)) == len(crm.audit_log()) > 0
