"""A market activity planned from a survey is linked to it (push-down ``source``), and the sales
method's setup refuses bad stages with a bilingual CRM error that is still a ValueError. Each on
SQLite and PostgreSQL."""
import pytest

from crmlab import opportunity as op
from crmlab import system


# -- a market activity planned from a survey is linked to it ---------------------------------------
def test_a_market_activity_from_a_survey_is_linked(crm):
    zm = crm.login("zhaomin")
    sv = zm.new_survey("客户满意度")
    act = zm.new_market_activity("新品发布会", survey=sv)
    links = crm.links(sv)
    assert links[["src_no", "dst_no", "relation"]].values.tolist() == [[sv, act, "source"]]
    assert crm.lineage(act) == [sv, act]
    assert system.lifecycle.PUSH_DOWN[("survey", "market_activity")][1] == "source"
    assert crm.check_invariants() == []


# -- set_method validation is a CRMError and still a ValueError ------------------------------------
def test_set_method_validation_errors_are_crm_errors(crm):
    bad = [op.Stage("a", "甲", "A", 5, 0.5), dict(code="b", name_zh="乙", name_en="B", days=5, probability=0.4)]
    with pytest.raises(system.InvalidValue) as info:
        crm.login("admin").set_method("新方法", bad)
    err = info.value
    assert isinstance(err, system.CRMError) and isinstance(err, ValueError) and isinstance(err, op.InvalidValue)
    assert err.code and err.en and err.zh and " / " in str(err)
    assert crm.table("sales_methods")["name"].tolist() == [crm.method().name]
