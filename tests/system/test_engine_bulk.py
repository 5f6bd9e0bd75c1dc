"""CRM.bulk(): the same actions and guards as CRM.batch(), rows written with executemany/COPY.

The strongest check: one script (full flows, refused actions of every kind — refused before any
change, after changes in memory, after creating rows, after a write forced by a query in the
middle of the action — reads, check-ins) run with batch() and with bulk() leaves byte-for-byte the
same tables, audit log included. Both backends (``db_url``).
"""
import pandas as pd
import pytest
from syshelpers import open_opportunity

from crmlab import opportunity as op
from crmlab import system
from crmlab.system import models as m
from crmlab.system.demo import full_flow


def tables(crm) -> dict:
    out = {}
    for t in m.Base.metadata.sorted_tables:
        f = crm.table(t.name)
        out[t.name] = f.sort_values(list(f.columns[:1])).reset_index(drop=True)
    return out


def script(crm, mode):
    refused = []

    def refuse(fn):
        try:
            fn()
        except (system.CRMError, op.OpportunityError) as err:
            refused.append(err.code)
        else:
            raise AssertionError("not refused")

    before = open_opportunity(crm, "丁公司")[0]                          # made outside the block
    crm.login("zhangsan").new_activity(before, "首次拜访")
    with getattr(crm, mode)():
        zs = crm.login("zhangsan")
        zs.advance(before, end_stage_now=True)                              # its stage rows come from the database
        old = zs.new_lead("续购", source="老客户", customer_name="华东电网科技", contact_name="周工")
        zs.convert_lead(old, new_contact=True)                              # a customer of the demo data
        a = full_flow(crm, "甲公司")
        zs, lj, ls = crm.login("zhangsan"), crm.login("lijingli"), crm.login("lisi")
        refuse(lambda: ls.advance(a["opportunity"]))                                # permission
        refuse(lambda: zs.edit_customer(a["customer"], industry="制造", bogus=1))    # after a change
        lead = zs.new_lead("乙意向", source="网站", customer_name="乙公司", contact_name="孙工")
        refuse(lambda: zs.convert_lead(lead, new_customer=True))                     # after creating a customer
        refuse(lambda: lj.unaudit(a["quote"]))                                      # after a forced write
        opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
        assert crm.doc(opp)["customer_no"] == "KH000009"                             # the refused one left no number
        act = zs.new_activity(opp, "拜访", plan_start="2024-03-01 15:00")
        assert zs.my_schedule("2024-03-01")["no"].tolist() == [act]
        zs.check_in(act, "乙公司", 30.5, 114.3)
        refuse(lambda: zs.check_in(act, "乙公司", None, 114.3))
        v = zs.get(opp)["version"]
        zs.set_potential(opp, need="扩容", expected_version=v)
        refuse(lambda: zs.set_potential(opp, need="旧版本", expected_version=v))    # StaleRecord
        assert len(zs.documents("商机")) == 4 and len(crm.audit_log(doc_no=opp)) >= 2
        b = full_flow(crm, "丙公司")
        refuse(lambda: ls.win(b["opportunity"], "x", crm.now.date()))
        crm.tick(hours=1)
    zs.add_contact(a["customer"], "新联系人", decision_role="采购")             # after the block: ids go on
    return refused


def test_bulk_writes_exactly_what_batch_writes(db_url):
    crm = system.open(db_url, demo=True)
    codes = script(crm, "batch")
    want = tables(crm)
    crm.drop_schema()
    crm.close()
    crm = system.open(db_url, demo=True)
    assert script(crm, "bulk") == codes
    assert codes == ["NOT_OWNER", "UNKNOWN_FIELD", "CONTACT_NOT_ON_FILE", "HAS_DOWNSTREAM",
                     "COORDINATES_REQUIRED", "STALE_RECORD", "NOT_OWNER"]
    got = tables(crm)
    assert crm.check_invariants() == []
    for name, frame in want.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
    assert len(got["audit_log"]) > 100 and len(got["check_ins"]) == 1
    crm.close()


def test_refused_action_inside_bulk_changes_nothing(crm):
    with crm.bulk():
        out = full_flow(crm, "甲公司")
        before = tables(crm)
        zs = crm.login("zhangsan")
        with pytest.raises(system.GuardFailed):
            zs.edit_customer(out["customer"], industry="制造", region="华南", bogus=1)
        with pytest.raises(system.GuardFailed):
            crm.login("lijingli").unaudit(out["quote"])
        with pytest.raises(system.StaleRecord):
            zs.set_potential(out["opportunity"], need="x", expected_version=1)
        after = tables(crm)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)
    assert crm.doc(out["customer"])["industry"] is None


def test_an_exception_leaving_the_block_writes_nothing(crm):
    n = len(crm.audit_log())
    with pytest.raises(RuntimeError):
        with crm.bulk():
            full_flow(crm, "甲公司")
            assert crm.doc("SJ000001")["status"] == "won"                   # reads see the block's work
            raise RuntimeError("stop")
    assert len(crm.audit_log()) == n and crm.documents().empty
    assert crm.customers().query("name == '甲公司'").empty
    out = full_flow(crm, "甲公司")                                          # and the database works on
    assert out["opportunity"] == "SJ000001" and crm.check_invariants() == []


def test_bulk_and_batch_nest_quietly(crm):
    with crm.bulk():
        with crm.batch():
            full_flow(crm, "甲公司")
        with crm.bulk():
            full_flow(crm, "乙公司")
    assert len(crm.documents(doc_type="商机")) == 2 and crm.check_invariants() == []
