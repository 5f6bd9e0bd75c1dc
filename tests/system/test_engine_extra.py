"""crmlab.system, the textbook pieces added for issue 8: service quotation → service contract
push-down (task 14.2‑2, R33) and the bulk customer import (客户引入). Both backends (``db_url``)."""
import pandas as pd
import pytest
from syshelpers import fingerprint, table_counts

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


# -- bulk customer import (客户引入) ---------------------------------------------------------------
def test_import_customers_chinese_and_english_columns(crm):
    zm = crm.login("zhaomin")                                         # marketing imports
    cn = pd.DataFrame({"客户名称": ["江南重工集团", "钱塘物流", "林小姐"], "客户类型": ["企业", "单位", "个人"],
                       "行业": ["制造", "物流", None], "区域": ["华东", "华东", "华南"],
                       "电话": ["0571-88886666", 13800138000, None], "来源": ["展会", "网站", "转介绍"]})
    keep = cn.copy()
    n_log = len(crm.audit_log())
    got = zm.import_customers(cn)
    pd.testing.assert_frame_equal(cn, keep)                           # the caller's frame is untouched
    assert got["no"].tolist() == ["KH000007", "KH000008", "KH000009"]
    c = crm.customers().set_index("name")
    assert c.loc["钱塘物流", "phone"] == "13800138000" and c.loc["林小姐", "kind"] == "person"
    assert c.loc["江南重工集团", "card_type"] == "prospect" and c.loc["江南重工集团", "status"] == "saved"
    assert c.loc["江南重工集团", "created_by"] == "zhaomin" and pd.isna(c.loc["林小姐", "industry"])
    log = crm.audit_log(action="import_customers")
    assert len(crm.audit_log()) == n_log + 3 and log["doc_no"].tolist() == got["no"].tolist()
    assert set(log["user_login"]) == {"zhaomin"}
    en = pd.DataFrame({"Name": ["Delta Ltd"], "industry": ["IT"], "phone": ["+86 21 5555 0000"]}, index=[10])
    got = crm.login("lijingli").import_customers(en)
    assert got.index.tolist() == [10] and got.loc[10, "kind"] == "organisation"
    assert crm.doc(got.loc[10, "no"])["name"] == "Delta Ltd"


def test_a_bad_row_imports_nothing_and_names_every_bad_row(crm):
    zm = crm.login("zhaomin")
    frame = pd.DataFrame({"客户名称": ["甲公司", "", "华东电网科技", "乙公司", "甲公司", "丙公司", "丁" * 81],
                          "客户类型": ["企业", "企业", "企业", "合伙", "企业", "企业", "企业"],
                          "电话": [None, None, None, None, None, "call me", None]})
    before = table_counts(crm)
    with pytest.raises(GuardFailed) as err:
        zm.import_customers(frame)
    e = err.value
    assert e.code == "IMPORT_INVALID"
    assert sorted({r for r, _, _ in e.rows}) == [1, 2, 3, 4, 5, 6]      # every bad row, by index label
    text = str(e)
    for piece in ("row 1", "row 2", "already on file", "repeats row 0", "unknown customer kind",
                  "not a phone number", "longer than 80", "第 1 行", "已存在", "未导入任何客户"):
        assert piece in text, piece
    assert table_counts(crm) == before                                 # nothing written, nothing logged
    for bad, code in ((pd.DataFrame({"客户名称": ["甲"], "邮编": ["310000"]}), "IMPORT_COLUMNS"),
                      (pd.DataFrame({"行业": ["制造"]}), "IMPORT_COLUMNS"),
                      (pd.DataFrame({"name": ["甲"], "客户名称": ["乙"]}), "IMPORT_COLUMNS"),
                      (pd.DataFrame({"name": []}), "NO_ROWS"),
                      ([{"name": "甲"}], "NOT_A_FRAME")):
        with pytest.raises(GuardFailed) as err:
            zm.import_customers(bad)
        assert err.value.code == code and " / " in str(err.value)
    with pytest.raises(PermissionDenied):
        crm.login("zhangsan").import_customers(pd.DataFrame({"name": ["甲"]}))   # a rep does not import
    assert table_counts(crm) == before


def test_import_inside_a_batch(crm):
    frame = pd.DataFrame({"name": [f"客户{i:04d}" for i in range(300)], "region": ["华东"] * 300})
    with crm.batch():
        got = crm.login("admin").import_customers(frame)
        with pytest.raises(GuardFailed):
            crm.login("admin").import_customers(frame.head(2))           # now on file
    assert len(got) == 300 and len(crm.customers()) == 306
    assert len(crm.audit_log(action="import_customers")) == 300
