"""Tests for crmlab.service (textbook task 11: stages, after-sales archive, 三包, schedules, standards)."""
from __future__ import annotations

import os

import pandas as pd
import pytest
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from crmlab import datasets, service
from crmlab.service import (SERVICE_STANDARD_ITEMS, AfterSalesArchive, birthday_schedule, classify_service,
                            followup_schedule, next_delivery, rice_delivery_plan, rice_run_out, service_stage,
                            service_standard_score, service_standard_table, service_summary, stage_mismatches,
                            three_guarantees_decision, warranty_end)
from helpers import bilingual



# --------------------------------------------------------------------------- §11.2 stages
@pytest.mark.parametrize("activity, stage", [
    ("咨询服务", "pre_sale"), ("配套销售服务", "pre_sale"), ("缺货代购服务", "pre_sale"), ("请客户参与产品设计", "pre_sale"),
    ("现场导购", "in_sale"), ("现场演示", "in_sale"), ("技术指导和培训服务", "in_sale"), ("免费送货", "in_sale"),
    ("免费调试安装", "in_sale"), ("建立消费者档案", "after_sale"), ("及时回访", "after_sale"), ("包修", "after_sale"),
    ("包换", "after_sale"), ("包退", "after_sale"), ("妥善处理投诉", "after_sale"),
])
def test_textbook_activities(activity, stage):
    assert service_stage(activity, lang="en") == stage
    assert service_stage(activity) == service_stage(activity, lang="zh") == service.STAGES[stage]


def test_shipped_tickets_agree_with_the_textbook_stages():
    t = datasets.load("service_tickets")
    stages = classify_service(t, lang="en")
    assert stages.notna().all() and set(stages) == {"pre_sale", "in_sale", "after_sale"}
    assert classify_service(t).tolist() == stages.map(service.STAGES).tolist()      # Chinese by default
    assert stage_mismatches(t).empty
    summary = service_summary(t)
    assert summary["tickets"].sum() == len(t)
    direct = (t["closed_at"] - t["opened_at"]).dt.days.groupby(t["service_type"]).median()
    assert summary["median_days_to_close"].to_dict() == direct.round(2).to_dict()


def test_unknown_activities_are_reported():
    with pytest.raises(ValueError) as e:
        service_stage("算命")
    bilingual(e)
    with pytest.raises(ValueError) as e:
        classify_service(pd.DataFrame({"request": ["repair", "magic", None]}))
    msg = bilingual(e)
    assert "1" in msg and "2" in msg
    with pytest.raises(ValueError):
        stage_mismatches(pd.DataFrame({"request": ["repair"], "service_type": ["later"]}))
    with pytest.raises(ValueError):
        service_summary(pd.DataFrame({"service_type": ["a"], "opened_at": ["2024-01-05"], "closed_at": ["2024-01-01"],
                                      "rating_1_5": [3]}))


# --------------------------------------------------------------------------- 三包 rule
EV = pd.DataFrame({"event_date": [], "kind": [], "resolved": []})


def events(*rows):
    return pd.DataFrame(rows, columns=["event_date", "kind", "resolved"])


@pytest.mark.parametrize("evs, on, decision", [
    (EV, "2024-06-01", "free_repair"),                                               # in period: 包修
    (EV, "2025-02-01", "paid_repair"),                                               # after it: 收费维修
    (events(("2024-02-01", "维修", False)), "2024-06-01", "free_repair"),              # one failed repair
    (events(("2024-02-01", "维修", False), ("2024-03-01", "维修", False)), "2024-06-01", "exchange_or_refund"),
    (events(("2024-02-01", "维修", False), ("2024-03-01", "维修", False)), "2025-06-01", "exchange_or_refund"),
    (events(("2024-02-01", "维修", False), ("2024-03-01", "维修", True)), "2024-06-01", "free_repair"),
    (events(("2024-02-01", "维修", True), ("2024-03-01", "维修", True)), "2024-06-01", "free_repair"),
    # failed repairs after the period do not count
    (events(("2024-12-01", "维修", False), ("2025-02-01", "维修", False)), "2025-03-01", "paid_repair"),
    # repairs of unknown outcome are never counted as failures
    (events(("2024-02-01", "维修", None), ("2024-03-01", "维修", None)), "2024-06-01", "free_repair"),
    # a repair after on_date is not known yet
    (events(("2024-02-01", "维修", False), ("2024-07-01", "维修", False)), "2024-06-01", "free_repair"),
    # after an exchange only the new unit's repairs count
    (events(("2024-02-01", "维修", False), ("2024-03-01", "换货", None), ("2024-04-01", "维修", False)),
     "2024-06-01", "free_repair"),
    (events(("2024-03-01", "不合格认定", None)), "2024-06-01", "refund"),            # Art. 48 as quoted
    (events(("2024-03-01", "退货", None)), "2024-06-01", "refunded"),
])
def test_three_guarantees_rule(evs, on, decision):
    # Textbook task 11 §11.2.3: "两次修理仍不能正常使用，企业应该负责更换或者退货".
    d = three_guarantees_decision("2024-01-10", 12, evs, on)
    assert d["decision"] == decision
    assert "两次修理" in d["rule"] and "§11.2.3" in d["rule"]


def test_three_guarantees_counts_and_bad_input():
    d = three_guarantees_decision("2024-01-10", 12, events(("2024-02-01", "repair", False),
                                                          ("2024-02-02", "repair", None)), "2024-03-01")
    assert (d["failed_repairs"], d["unknown_repairs"], d["in_warranty"]) == (1, 1, True)
    assert d["warranty_end"] == pd.Timestamp("2025-01-09")
    with pytest.raises(ValueError) as e:
        three_guarantees_decision("2024-01-10", 12, events(("2024-02-01", "魔法", False)), "2024-03-01")
    bilingual(e)
    with pytest.raises(ValueError):
        three_guarantees_decision("2024-01-10", 12, events(("2024-02-01", "维修", "maybe")), "2024-03-01")
    with pytest.raises(ValueError):
        three_guarantees_decision("2024-01-10", -1, EV, "2024-03-01")
    with pytest.raises(ValueError):
        three_guarantees_decision("2024-01-10", 12, EV, "someday")


def test_warranty_end_month_arithmetic():
    assert warranty_end("2024-01-31", 1) == pd.Timestamp("2024-02-28")    # clamped to the month's end, minus a day
    assert warranty_end("2024-02-29", 12) == pd.Timestamp("2025-02-27")
    assert warranty_end("2024-05-10", 0) == pd.Timestamp("2024-05-09")
    assert warranty_end("2023-11-15", 26) == pd.Timestamp("2026-01-14")


# --------------------------------------------------------------------------- the archive
@pytest.fixture()
def archive(tmp_path):
    a = AfterSalesArchive(tmp_path / "after_sales.db")
    a.add_customers(pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["张三", "李四"],
                                  "birthday": ["1990-05-20", None], "household_size": [3, None]}))
    a.add_sale("S1", "C1", "空调", "2024-01-10", price=3999.0, warranty_months=12)
    a.add_sale("S2", "C2", "冰箱", "2023-01-10", warranty_months=12)
    yield a
    a.close()


def test_archive_is_a_sqlite_file_that_persists(tmp_path, archive):
    archive.log_event("S1", "2024-02-01", "维修", resolved=False, technician="王师傅")
    path = tmp_path / "after_sales.db"
    assert path.exists()
    archive.close()
    again = AfterSalesArchive(f"sqlite:///{path}")          # any SQLAlchemy URL works
    frames = again.to_frames()
    assert frames["customers"]["customer_id"].tolist() == ["C1", "C2"]
    assert frames["events"].loc[0, "kind"] == "repair" and frames["events"].loc[0, "technician"] == "王师傅"
    assert set(inspect(again.engine).get_table_names()) == {"aftersales_customer", "aftersales_sale",
                                                             "aftersales_event", "aftersales_followup"}
    again.close()


def test_schema_compiles_for_postgresql():
    # The archive must work on any SQLAlchemy backend; PostgreSQL DDL must compile from the same models.
    for table in service._Base.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        assert "CREATE TABLE" in ddl
    with pytest.raises(ValueError) as e:
        AfterSalesArchive("nosuchdb://nowhere")
    bilingual(e)


def test_archive_on_sqlite_and_postgresql(db_url):
    # db_url (conftest.py): a new SQLite file, then a fresh database on the real PostgreSQL test server.
    a = AfterSalesArchive(db_url)
    a.add_customer("C1")
    a.add_sale("S1", "C1", "空调", "2024-01-10")
    a.log_event("S1", "2024-02-01", "维修", resolved=False)
    a.log_event("S1", "2024-03-01", "维修", resolved=False)
    assert a.three_guarantees_decision("S1", "2024-04-01")["decision"] == "exchange_or_refund"
    assert a.to_frames()["customers"]["customer_id"].tolist() == ["C1"]
    a.close()


def test_archive_three_guarantees_and_warranty(archive):
    archive.log_events(pd.DataFrame({"sale_id": ["S1", "S1"], "event_date": ["2024-02-01", "2024-03-01"],
                                     "kind": ["维修", "维修"], "resolved": [False, "否"]}))
    d = archive.three_guarantees_decision("S1", "2024-03-02")
    assert (d["decision"], d["decision_zh"], d["failed_repairs"]) == ("exchange_or_refund", "换货或退货", 2)
    table = archive.three_guarantees_table("2024-03-02").set_index("sale_id")
    assert table.loc["S1", "decision"] == "exchange_or_refund" and table.loc["S2", "decision"] == "paid_repair"
    st = archive.warranty_status("S1", "2025-01-09")
    assert (st["in_warranty"], st["days_left"], st["repair"]) == (True, 0, "free 免费")
    assert archive.warranty_status("S1", "2025-01-10")["in_warranty"] is False
    with pytest.raises(ValueError) as e:
        archive.warranty_status("S9", "2024-01-01")
    bilingual(e)


def test_bad_rows_write_nothing(archive):
    before = {k: v.copy() for k, v in archive.to_frames().items()}
    bad_batches = [
        (archive.add_customers, pd.DataFrame({"customer_id": ["C3", "C3"]})),                   # duplicate
        (archive.add_customers, pd.DataFrame({"customer_id": ["C4", "C1"]})),                   # already there
        (archive.add_customers, pd.DataFrame({"customer_id": ["C5"], "household_size": [0]})),
        (archive.add_customers, pd.DataFrame({"customer_id": ["C6"], "birthday": ["31/31/1990"]})),
        (archive.add_sales, pd.DataFrame({"sale_id": ["S3", "S4"], "customer_id": ["C1", "C9"],
                                          "product": ["a", "b"], "purchase_date": ["2024-01-01"] * 2})),
        (archive.add_sales, pd.DataFrame({"sale_id": ["S5"], "customer_id": ["C1"], "product": ["a"],
                                          "purchase_date": ["2024-01-01"], "warranty_months": [1.5]})),
        (archive.add_sales, pd.DataFrame({"sale_id": ["S1"], "customer_id": ["C1"], "product": ["a"],
                                          "purchase_date": ["2024-01-01"]})),
        (archive.add_sales, pd.DataFrame({"sale_id": ["S6"], "customer_id": ["C1"], "product": ["a"],
                                          "purchase_date": ["2024-01-01"], "price": [-1]})),
        (archive.log_events, pd.DataFrame({"sale_id": ["S1", "S1"], "event_date": ["2024-02-01", "2024-02-02"],
                                           "kind": ["维修", "魔法"]})),
        (archive.log_events, pd.DataFrame({"sale_id": ["S1", "S9"], "event_date": ["2024-02-01"] * 2,
                                           "kind": ["维修"] * 2})),
        (archive.log_events, pd.DataFrame({"sale_id": ["S1"], "event_date": ["2023-12-01"], "kind": ["维修"]})),
        (archive.log_events, pd.DataFrame({"sale_id": ["S1"], "event_date": ["2024-02-01"], "kind": ["回访"],
                                           "satisfaction": [6]})),
        (archive.log_events, pd.DataFrame({"sale_id": ["S1"], "event_date": ["2024-02-01"], "kind": ["维修"],
                                           "cost_to_customer": [-5]})),
    ]
    for method, frame in bad_batches:
        with pytest.raises(ValueError) as e:
            method(frame)
        bilingual(e)
    after = archive.to_frames()
    for k in before:
        pd.testing.assert_frame_equal(after[k], before[k])
    # a consultation may precede the purchase (pre-sale); a repair may not
    assert archive.log_event("S1", "2023-12-20", "咨询") > 0


def test_followups_and_birthdays(archive):
    assert archive.schedule_followups((7, 30)) == 4
    assert archive.schedule_followups((7, 30)) == 0                   # not planned twice
    due = archive.due_followups("2024-01-20")
    assert due["sale_id"].tolist() == ["S2", "S2", "S1"] and due["days_overdue"].tolist()[-1] == 3
    archive.complete_followup(int(due["followup_id"].iloc[-1]), "2024-01-20", method="电话", feedback="满意")
    assert "S1" not in archive.due_followups("2024-01-20")["sale_id"].tolist()
    with pytest.raises(ValueError) as e:
        archive.complete_followup(int(due["followup_id"].iloc[-1]), "2024-01-21")
    bilingual(e)
    with pytest.raises(ValueError):
        archive.complete_followup(999, "2024-01-21")
    greet = archive.birthday_greetings(5, year=2025)
    assert greet["customer_id"].tolist() == ["C1"] and greet["greet_on"].iloc[0] == pd.Timestamp("2025-05-20")
    assert archive.birthday_greetings(6, year=2025).empty
    with pytest.raises(ValueError):
        archive.birthday_greetings(13)


def test_schedules_on_plain_frames():
    orders = datasets.load("orders").head(50)
    plan = followup_schedule(orders, (7, 30), sale="order_id", date_col="order_date")
    assert len(plan) == 100 and plan["due_date"].is_monotonic_increasing
    one = plan[plan["order_id"] == orders["order_id"].iloc[0]]
    assert (one["due_date"] - orders["order_date"].iloc[0]).dt.days.tolist() == [7, 30]
    with pytest.raises(ValueError):
        followup_schedule(pd.concat([orders.head(1)] * 2), sale="order_id", date_col="order_date")
    with pytest.raises(ValueError):
        followup_schedule(orders, (-1,), sale="order_id", date_col="order_date")
    c = pd.DataFrame({"customer_id": ["a", "b"], "birthday": ["2000-02-29", "1985-12-31"]})
    assert birthday_schedule(c, 2024)["greet_on"].dt.strftime("%m-%d").tolist() == ["02-29", "12-31"]
    assert birthday_schedule(c, 2025, days_before=3)["greet_on"].dt.strftime("%m-%d").tolist() == ["02-25", "12-28"]
    with pytest.raises(ValueError):
        birthday_schedule(pd.DataFrame({"customer_id": ["a"], "birthday": ["not a day"]}), 2025)


def test_import_the_shipped_datasets(tmp_path):
    customers, orders, tickets = (datasets.load(n) for n in ("customers", "orders", "service_tickets"))
    tickets = tickets[tickets["order_id"].isin(orders["order_id"].head(3000))]
    orders = orders.head(3000)
    with AfterSalesArchive(tmp_path / "a.db") as a:
        with pytest.raises(ValueError) as e:                      # the shipped file has duplicate customers
            a.import_shipped(customers, orders, tickets)
        assert "drop duplicate" in bilingual(e)
        assert a.to_frames()["customers"].empty
        n = a.import_shipped(customers.drop_duplicates(), orders, tickets)
        assert n == {"customers": customers["customer_id"].nunique(), "sales": 3000, "events": len(tickets)}
        ev = a.events()
        assert set(ev["kind"]) <= set(service.EVENT_KINDS) and ev["resolved"].isna().all()
        table = a.three_guarantees_table("2025-12-31")
        refunds = tickets.loc[(tickets["request"] == "return"), "order_id"].unique()
        assert set(table.loc[table["decision"] == "refunded", "sale_id"]) == set(refunds)


# --------------------------------------------------------------------------- §11.3 standards
def test_service_standard_items_are_the_textbooks():
    assert SERVICE_STANDARD_ITEMS.groupby("element").size().to_dict() == {"hardware": 3, "people": 3, "software": 5}
    assert SERVICE_STANDARD_ITEMS["zh"].tolist()[:3] == ["服务地点", "服务设施", "服务环境"]


def test_service_standard_score_by_hand():
    full = dict.fromkeys(SERVICE_STANDARD_ITEMS["zh"], 5)
    assert service_standard_score(full) == 100.0
    assert service_standard_score(dict.fromkeys(SERVICE_STANDARD_ITEMS.index, 1)) == 0.0
    audits = pd.DataFrame([[1] * 11, [0] * 3 + [1] * 5 + [0] * 3], columns=SERVICE_STANDARD_ITEMS.index,
                          index=["A", "B"]).assign(store_manager=["x", "y"])
    table = service_standard_table(audits, scale=(0, 1))
    assert table.loc["B"].tolist() == [0.0, 100.0, 0.0, 33.33]
    weighted = service_standard_table(audits, weights={"服务软件": 2, "hardware": 1, "people": 1}, scale=(0, 1))
    assert weighted.loc["B", "total"] == 50.0
    assert service_standard_score(audits, scale=(0, 1)).tolist() == [100.0, 33.33]


def test_service_standard_bad_input():
    partial = {"服务地点": 5}
    with pytest.raises(ValueError) as e:
        service_standard_score(partial)
    assert "服务设施" in bilingual(e)
    full = dict.fromkeys(SERVICE_STANDARD_ITEMS.index, 3)
    with pytest.raises(ValueError):
        service_standard_score({**full, "location": 7})
    with pytest.raises(ValueError):
        service_standard_score({**full, "服务地点": 3})                # the same item twice
    with pytest.raises(ValueError):
        service_standard_score(full, weights={"decor": 1})
    with pytest.raises(ValueError):
        service_standard_score(full, scale=(5, 1))


# --------------------------------------------------------------------------- 王永庆
def test_rice_planner():
    # A household of 4 eating 5 kg per person per month uses 20 kg in a 30-day month: 20 kg last 30 days.
    assert rice_run_out("2024-03-01", 20, 4, 5) == pd.Timestamp("2024-03-31")
    assert next_delivery("2024-03-01", 20, 4, 5) == pd.Timestamp("2024-03-30")
    assert next_delivery("2024-03-01", 1, 4, 5, lead_days=3) == pd.Timestamp("2024-03-01")   # never before the last
    homes = pd.DataFrame({"household_size": [4, 6], "kg_per_person_month": [5, 4.5],
                          "last_delivery": ["2024-03-01", "2024-02-20"], "kg_delivered": [20, 27], "payday": [15, 28]})
    plan = rice_delivery_plan(homes, lead_days=2)
    assert plan["deliver_on"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-29", "2024-03-19"]
    assert plan["collect_on"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-15", "2024-03-28"]
    assert plan["kg_per_month"].tolist() == [20.0, 27.0]


@pytest.mark.parametrize("args", [("2024-03-01", 0, 4, 5), ("2024-03-01", 20, 2.5, 5), ("2024-03-01", 20, 4, -1),
                                  ("later", 20, 4, 5), ("2024-03-01", 20, True, 5)])
def test_rice_planner_bad_input(args):
    with pytest.raises(ValueError) as e:
        rice_run_out(*args)
    bilingual(e)


def test_rice_plan_reports_all_bad_rows():
    homes = pd.DataFrame({"household_size": [0, 3, 2], "kg_per_person_month": [5, 5, 5],
                          "last_delivery": ["2024-03-01"] * 3, "kg_delivered": [10, 10, 10], "payday": [5, 40, 10]})
    with pytest.raises(ValueError) as e:
        rice_delivery_plan(homes)
    msg = bilingual(e)
    assert "row 0" in msg and "row 1" in msg and "row 2" not in msg
