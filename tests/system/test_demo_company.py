"""crmlab.system.demo_company: the demo company in its second year (history, last days, today)."""
import pandas as pd
import pytest

from crmlab import system
from crmlab.system import demo_company, mobile, reports, scenario

CAST = {"system", "admin", "zhangsan", "lisi", "lijingli", "wangzong", "zhaomin", "chenjing", "liugong", "sungong",
        "zhougong"}


@pytest.fixture(scope="module")
def company():
    crm = demo_company.open(":memory:")
    yield crm
    crm.close()


def _fingerprint(crm):
    docs = crm.documents()[["no", "doc_type", "status", "subject", "customer_no", "owner", "total"]]
    log = crm.audit_log()[["at", "user_login", "action", "doc_no"]]
    return docs.reset_index(drop=True), log.reset_index(drop=True)


def test_today_is_a_working_monday_with_a_schedule(company):
    assert str(company.now) == f"{demo_company.TODAY} 08:30:00"
    assert pd.Timestamp(demo_company.TODAY).day_name() == "Monday"
    day = mobile.MobileSession(company, "zhangsan").schedule()
    assert len(day) == 4 and not day["checked_in"].any()
    assert day["customer"].notna().all() and (day["plan_start"].dt.hour >= 9).all()
    assert len(company.login("lisi").my_schedule(demo_company.TODAY)) == 1


def test_every_stage_and_outcome_is_there(company):
    opps = company.documents(doc_type="opportunity")
    assert {"potential", "evaluating", "open", "won", "lost", "failed"} <= set(opps["status"])
    funnel = reports.sales_funnel(company)
    assert (funnel["n"] > 0).all() and len(funnel) == 5
    assert funnel["n"].iloc[0] > funnel["n"].iloc[-1]                 # a funnel: it narrows


def test_every_document_list_of_the_client_has_rows(company):
    docs = company.documents()
    want = {"lead", "opportunity", "activity", "task", "quote", "contract", "project", "price_list",
            "product_archive", "service_request", "work_order", "market_activity", "campaign", "care",
            "intelligence", "competitor", "sample"} - {"campaign"}
    assert want <= set(docs["doc_type"])
    assert {"saved", "converted", "invalid"} <= set(docs.loc[docs["doc_type"] == "lead", "status"])
    waiting = set(docs.loc[docs["doc_type"] == "service_request", "status"])
    assert {"saved", "assigned", "dispatching"} <= waiting                # waiting for 分配 / 派工 / 接受
    assert set(docs.loc[docs["doc_type"] == "task", "status"]) >= {"done", "in_progress"}
    assert company.pending("lijingli")["action"].tolist() == ["evaluate"]
    assert company.pending("liugong")["action"].tolist() == ["accept"]
    assert len(company.table("questions")) == 3                            # 调查题库


def test_every_report_shows_something(company):
    rate = reports.win_rate(company)
    assert rate["won"].iloc[0] > 0 and rate["lost"].iloc[0] > 0 and 0 < rate["win_rate"].iloc[0] < 1
    assert len(reports.win_rate(company, by="owner")) == 3
    assert len(reports.customer_pyramid(company)) >= 3
    assert len(reports.service_satisfaction(company)) >= 1
    assert not reports.customer_distribution(company).empty
    assert "—" not in set(company.customers()["region"].fillna("—"))   # every customer has its basic data
    assert company.check_invariants() == []


def test_built_through_desk_actions_only(company):
    log = company.audit_log()
    assert set(company.documents()["no"]) <= set(log["doc_no"].dropna())
    assert set(log["user_login"]) <= CAST
    assert log.loc[log["user_login"] == "system", "action"].tolist() == ["seed_demo"]
    assert pd.to_datetime(log["at"]).is_monotonic_increasing            # one clock, never back


def test_reproducible_and_never_built_twice(company, tmp_path):
    path = tmp_path / "crm.db"
    again = demo_company.open(path)
    docs, log = _fingerprint(again)
    again.close()
    ref_docs, ref_log = _fingerprint(company)
    pd.testing.assert_frame_equal(docs, ref_docs)
    pd.testing.assert_frame_equal(log, ref_log)
    reopened = demo_company.open(path)
    assert len(reopened.audit_log()) == len(ref_log) and reopened.now == company.now
    reopened.close()


def test_demo_true_stays_the_base_data_the_labs_build_on():
    crm = system.open(":memory:", demo=True)
    assert crm.documents().empty and len(crm.customers()) == 6
    assert scenario.populate is demo_company.populate and scenario.CUSTOMER == demo_company.SCENARIO_CUSTOMER
