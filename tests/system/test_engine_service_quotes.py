"""Service quotation → service contract (task 14.2‑2, R33): audited, then pushed down; declared in
the lifecycle and guarded. Both backends (``db_url``)."""
import pytest
from syshelpers import fingerprint

from crmlab import system
from crmlab.system import GuardFailed, IllegalTransition, NotFound, PermissionDenied, ReadOnly, lifecycle


# -- service quotation → service contract (task 14.2‑2, R33) -------------------------------------
def test_service_quote_is_audited_then_pushed_down_to_a_service_contract(crm):
    out = system.demo.full_flow(crm, "甲公司")
    cj, wz = crm.login("chenjing"), crm.login("wangzong")
    q = cj.new_service_quote(out["customer"], [("OPS", 1, 18_000), ("PSU", 2, 1_200)], level="金牌",
                             archives=[out["archive"]])
    d = crm.doc(q)
    assert (d["doc_type"], d["status"], d["total"], d["products"]) == ("service_quote", "saved", 20_400, ["OPS", "PSU"])
    assert q.startswith("FWBJ")
    with pytest.raises(IllegalTransition):
        cj.push_down(q, "服务合同")                                  # only audited quotes are pushed down
    with pytest.raises(PermissionDenied):
        cj.audit(q)                                                   # the service desk does not audit
    wz.audit(q)
    with pytest.raises(ReadOnly):
        cj.set_lines(q, [("OPS", 1, 1)])                              # audited: read-only
    sc = cj.push_down(q, "服务合同")
    c = crm.doc(sc)
    assert (c["doc_type"], c["status"], c["src_type"], c["src_no"]) == ("service_contract", "saved", "service_quote", q)
    assert (c["level"], c["products"], c["archives"]) == ("SL01", ["OPS", "PSU"], [out["archive"]])
    assert (c["start"], c["end"]) == ("2024-03-01", "2025-03-01")       # 服务期限 12 months
    assert crm.lines(sc).drop(columns="due_date").equals(crm.lines(q).drop(columns="due_date"))   # lines copied
    assert c["total"] == 20_400
    link = crm.links(sc)
    assert link[["src_type", "src_no", "dst_no", "relation"]].values.tolist() == [["service_quote", q, sc, "push_down"]]
    assert crm.lineage(sc) == [q, sc]
    with pytest.raises(GuardFailed) as err:
        wz.unaudit(q)                                                 # R25: pushed down → no un-audit
    assert err.value.code == "HAS_DOWNSTREAM"
    wz.audit(sc)
    assert crm.status(sc, lang="zh") == "已审核" and crm.check_invariants() == []
    assert crm.audit_log(doc_no=sc)["action"].tolist() == ["push_down_service_contract", "audit"]


def test_service_quote_is_declared_and_guarded(crm):
    t = system.push_down_table()
    assert t.query("source == 'service_quote'")[["target", "source_status", "relation"]].values.tolist() == \
        [["service_contract", "audited", "push_down"]]
    assert "push_down" in set(lifecycle.lifecycle_table("service_quote")["action"])
    assert lifecycle.doc_type_code("服务报价单") == "service_quote"
    assert system.permission_table().loc[("service_quote", "save")].dropna().to_dict() == {"service_manager": "all"}
    out = system.demo.full_flow(crm, "甲公司")
    other = system.demo.full_flow(crm, "乙公司")
    cj = crm.login("chenjing")
    before = fingerprint(crm)
    cases = [
        (lambda: cj.new_service_quote(out["customer"], [("OPS", 1, 1)], level="SL01", archives=[other["archive"]]),
         "ARCHIVE_OF_OTHER_CUSTOMER"),
        (lambda: cj.new_service_quote(out["customer"], [], level="SL01", archives=[out["archive"]]), "NO_LINES"),
        (lambda: cj.new_service_quote(out["customer"], [("OPS", 0, 1)], level="SL01", archives=[out["archive"]]),
         "BAD_QTY"),
        (lambda: cj.new_service_quote(out["customer"], [("OPS", 1, 1)], level="钻石", archives=[out["archive"]]),
         "NO_SERVICE_LEVEL"),
        (lambda: cj.new_service_quote("KH000001", [("OPS", 1, 1)], level="SL01", archives=[]), "ARCHIVE"),
        (lambda: crm.login("zhangsan").new_service_quote(out["customer"], [("OPS", 1, 1)], level="SL01",
                                                         archives=[out["archive"]]), "ROLE_FORBIDDEN"),
    ]
    for fn, code in cases:
        if code == "ARCHIVE":                                         # no archive: refused at audit (R33)
            q = fn()
            before = fingerprint(crm)
            with pytest.raises(GuardFailed) as err:
                crm.login("wangzong").audit(q)
            assert err.value.code == "SCOPE_REQUIRED" and fingerprint(crm) == before
            continue
        with pytest.raises((GuardFailed, NotFound, PermissionDenied)) as err:
            fn()
        assert err.value.code == code and " / " in str(err.value)
        assert fingerprint(crm) == before
