"""The customer import (客户引入): Chinese and English columns, one bad row imports nothing and
every bad row is named, and an import inside a batch. Both backends (``db_url``)."""
import pandas as pd
import pytest
from syshelpers import table_counts

from crmlab.system import GuardFailed, PermissionDenied


# -- customer import (客户引入) --------------------------------------------------------------------
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
