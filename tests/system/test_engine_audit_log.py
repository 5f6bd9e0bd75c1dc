"""The audit log names what an action did: record kinds in the singular, one entry per action and
document, the opportunity (not its stage rows) for stage changes, and who changed a record (the
StaleRecord of optimistic locking). Each on SQLite and PostgreSQL."""
import datetime as dt

import pytest

from crmlab import system
from crmlab.system.engine import _singular

from syshelpers import new_opportunity, open_opportunity


# -- audit rows name record kinds in the singular --------------------------------------------------
def test_singular_of_table_names():
    assert [_singular(t) for t in ("opportunities", "activities", "categories", "opp_stages", "customers",
                                   "check_ins", "audit_log", "sales_methods")] == \
        ["opportunity", "activity", "category", "opp_stage", "customer", "check_in", "audit_log", "sales_method"]


def test_audit_rows_of_the_opportunity_tab_say_opportunity(crm):
    opp, _ = open_opportunity(crm)
    kinds = set(crm.audit_log()["doc_type"].dropna())
    assert "opportunitie" not in kinds and not any(k.endswith("ie") for k in kinds)
    tab = crm.audit_log(doc_no=opp)
    assert set(tab["doc_type"]) == {"opportunity"}
    assert {"set_potential", "submit_evaluation", "evaluate_pass"} <= set(tab["action"])


# -- set_stage_end names the opportunity -----------------------------------------------------------
def test_set_stage_end_is_logged_on_the_opportunity(crm):
    opp, _ = open_opportunity(crm)
    v = crm.doc(opp)["version"]
    crm.login("zhangsan").set_stage_end(opp)
    row = crm.audit_log(action="set_stage_end").iloc[-1]
    assert (row["doc_type"], row["doc_no"]) == ("opportunity", opp)
    assert row["after"]["version"] == v + 1 == crm.doc(opp)["version"] and "actual_end" in row["after"]
    log = crm.audit_log()
    assert "opp_stage" not in set(log["doc_type"].dropna())


# -- no empty audit entries ------------------------------------------------------------------------
def test_set_potential_writes_one_audit_entry_with_its_changes(crm):
    opp, _ = new_opportunity(crm)
    log = crm.audit_log()
    assert not any(b == {} or (b is not None and set(a) <= {"version", "updated_at"})
                   for b, a in zip(log["before"], log["after"]))
    rows = crm.audit_log(doc_no=opp, action="set_potential")
    assert len(rows) == 1
    after = rows.iloc[0]["after"]
    assert {"expected_close", "interest", "version"} <= set(after)


# -- StaleRecord names who changed the parent through a child --------------------------------------
def test_stale_record_names_who_bumped_the_opportunity_through_a_task(crm):
    opp, _ = open_opportunity(crm)
    zs, ls = crm.login("zhangsan"), crm.login("lisi")
    task = zs.new_task(opp, "机房环境调研")
    zs.assign_task(task, "lisi")
    v = crm.doc(opp)["version"]
    crm.tick(hours=2)
    ls.complete_task(task, actual_start=crm.now - dt.timedelta(hours=1), actual_end=crm.now)
    assert crm.doc(opp)["version"] == v + 1
    with pytest.raises(system.StaleRecord) as info:
        zs.set_potential(opp, need="新需求", expected_version=v)
    assert (info.value.changed_by, info.value.changed_at) == ("lisi", crm.now)
    crm.tick(hours=1)
    v = crm.doc(opp)["version"]
    zs.new_activity(opp, "拜访")
    with pytest.raises(system.StaleRecord) as info:
        zs.set_potential(opp, need="新需求", expected_version=v)
    assert info.value.changed_at == crm.now
