"""The engine's edges (issue 17, single-user mode too), each on SQLite and PostgreSQL:
versions of the customer archive, permission before version, editable fields, bad input,
duplicate and missing customer names, the clock saved in the database."""
import datetime as dt
import math

import pytest
import sqlalchemy as sa

from crmlab import system
from crmlab.system import models as m
from crmlab.system.errors import Conflict, GuardFailed, InvalidValue, PermissionDenied, ReadOnly, StaleRecord

from syshelpers import fingerprint, new_opportunity, open_opportunity, refused, table_counts


def _state(crm) -> tuple:
    """fingerprint() plus the archive's own tables and the customers' versions and basic data."""
    with crm.engine.connect() as con:
        custs = con.execute(sa.select(m.Customer).order_by(m.Customer.no)).all()
        prof = con.execute(sa.select(m.CustomerProfile).order_by(m.CustomerProfile.customer_no)).all()
        docs = con.execute(sa.select(m.Document.no, m.Document.version, m.Document.subject, m.Document.data)
                           .order_by(m.Document.no)).all()
        clock = con.execute(sa.select(m.Clock.now)).all()
    return fingerprint(crm), tuple(map(tuple, custs)), tuple(map(tuple, prof)), tuple(map(tuple, docs)), tuple(clock)


def unchanged(crm, exc, fn, *args, code=None, **kw):
    """Like syshelpers.refused, with the wider _state fingerprint; returns the error."""
    before = _state(crm)
    with pytest.raises(exc) as info:
        fn(*args, **kw)
    if code is not None:
        assert info.value.code == code, (info.value.code, str(info.value))
    assert isinstance(info.value, system.CRMError)
    assert " / " in str(info.value)                       # English / 中文
    assert _state(crm) == before
    return info.value


# 1 -- set_profile, add_contact, add_credit step the customer's version --------------------------
@pytest.mark.parametrize("action", ["set_profile", "add_contact", "add_credit"])
def test_archive_edits_raise_the_customer_version(crm, action):
    zs = crm.login("zhangsan")
    cu = "KH000001"
    call = {"set_profile": lambda v, x: zs.set_profile(cu, main_needs=x, expected_version=v),
            "add_contact": lambda v, x: zs.add_contact(cu, x, expected_version=v),
            "add_credit": lambda v, x: zs.add_credit(cu, 50_000, "A", note=x, expected_version=v)}[action]
    v = crm.doc(cu)["version"]
    call(v, "第一次")
    assert crm.doc(cu)["version"] == v + 1
    err = unchanged(crm, StaleRecord, call, v, "第二次，旧版本", code="STALE_RECORD")
    assert (err.expected, err.actual, err.changed_by) == (v, v + 1, "zhangsan")
    call(v + 1, "刷新后")
    assert crm.doc(cu)["version"] == v + 2


# 2 -- permission and visibility before the version --------------------------------------------
def test_version_check_comes_after_the_permission_check(crm):
    opp, _ = new_opportunity(crm)
    ls = crm.login("lisi")
    err = unchanged(crm, PermissionDenied, ls.set_potential, opp, need="偷看", expected_version=0, code="NOT_OWNER")
    text = str(err)
    assert "zhangsan" not in text and "version" not in text and "版本" not in text
    for fn in (ls.advance, ls.submit_evaluation):
        e = pytest.raises(PermissionDenied, fn, opp, expected_version=0, **(
            {"evaluator": "lijingli"} if fn == ls.submit_evaluation else {}))
        assert "zhangsan" not in str(e.value) and "STALE" not in e.value.code
    # the owner still gets the stale-record answer
    unchanged(crm, StaleRecord, crm.login("zhangsan").set_potential, opp, need="x", expected_version=0)


def test_a_race_without_expected_version_does_not_say_version_none():
    from crmlab.system.engine import _race
    err = _race(None)
    assert "None" not in str(err) and "reload and try again" in str(err) and "请刷新后重试" in str(err)
    assert err.code == "STALE_RECORD"


@pytest.mark.parametrize("bad", ["abc", float("nan"), -3, 2.5, None.__class__, True, "1e400", [1]])
def test_expected_version_must_be_a_version_number(crm, bad):
    opp, _ = new_opportunity(crm)
    unchanged(crm, InvalidValue, crm.login("zhangsan").set_potential, opp, need="x", expected_version=bad,
              code="BAD_VERSION")


# 3 -- editable fields, declared once ----------------------------------------------------------
@pytest.mark.parametrize("field,value", [("owner_id", 5), ("dept_id", 2), ("version", 99),
                                         ("last_trade_date", dt.date(2024, 1, 1)), ("value_grade", "A"),
                                         ("status", "audited"), ("audited_by", "wangzong"), ("card_type", "current")])
def test_edit_customer_refuses_fields_outside_the_whitelist(crm, field, value):
    zs = crm.login("zhangsan")
    cu = zs.new_customer("新客户甲")
    unchanged(crm, ReadOnly, zs.edit_customer, cu, **{field: value}, code="READ_ONLY_FIELD")
    unchanged(crm, GuardFailed, zs.edit_customer, cu, bogus=1, code="UNKNOWN_FIELD")
    zs.edit_customer(cu, industry="制造", region="华东", phone="0571-8888")
    assert (crm.doc(cu)["industry"], crm.doc(cu)["owner_id"]) == ("制造", crm.login("zhangsan").user.id)


@pytest.mark.parametrize("field", ["status", "audited_by", "owner_id", "version", "total", "executor"])
def test_documents_refuse_fields_their_actions_manage(crm, field):
    zs = crm.login("zhangsan")
    unchanged(crm, ReadOnly, zs.add_competitor, "启明网安", **{field: "audited"}, code="READ_ONLY_FIELD")
    no = zs.add_competitor("启明网安", industry="网络安全", strengths="价格低")
    unchanged(crm, ReadOnly, zs.edit, no, **{field: "audited"}, code="READ_ONLY_FIELD")
    unchanged(crm, GuardFailed, zs.edit, no, colour="红", code="UNKNOWN_FIELD")
    assert crm.doc(no)["status"] == zs.get(no)["status"] == "saved"
    assert crm.doc(no)["audited_by"] is None


def test_doc_reports_the_row_not_a_data_key(crm):
    zs = crm.login("zhangsan")
    no = zs.add_competitor("启明网安", industry="网络安全")
    with crm.engine.begin() as con:            # an old database may hold such keys: the row still wins
        con.execute(sa.update(m.Document).where(m.Document.no == no)
                    .values(data={"industry": "网络安全", "status": "audited", "audited_by": "x"}))
    assert crm.doc(no)["status"] == "saved" and crm.doc(no)["audited_by"] is None


# 4 -- bad input: one validation layer, bilingual errors, nothing changed ------------------------
LONG = "长" * 10_000


def _bad_inputs(crm):
    """(label, callable, error class, code): every case must be refused and change nothing."""
    zs, cj = crm.login("zhangsan"), crm.login("chenjing")
    opp, cust = new_opportunity(crm)
    lead = zs.new_lead("意向", source="网站", customer_name="甲", contact_name="乙")
    archive = cj.register_product_archive("KH000001", "R740", 1)
    req = cj.new_service_request("KH000001", archive, "无法开机", required_by=crm.now.date())
    empty, _ = new_opportunity(crm, "空方", lines=())
    fresh = zs.new_customer("新客户乙")
    return [
        ("10,000-character subject", lambda: zs.new_lead(LONG, source="网站"), InvalidValue, "TOO_LONG"),
        ("10,000-character name", lambda: zs.new_customer(LONG), InvalidValue, "TOO_LONG"),
        ("10,000-character edit", lambda: zs.edit(lead, subject=LONG), InvalidValue, "TOO_LONG"),
        ("NUL byte", lambda: zs.new_lead("意向\x00", source="网站"), InvalidValue, "BAD_TEXT"),
        ("NUL byte in a name", lambda: zs.new_customer("乙\x00方"), InvalidValue, "BAD_TEXT"),
        ("NUL byte in an address", lambda: zs.edit_customer(fresh, address="a\x00b"), InvalidValue, "BAD_TEXT"),
        ("10,000-character address", lambda: zs.edit_customer(fresh, address=LONG), InvalidValue, "TOO_LONG"),
        ("NaN in JSON", lambda: zs.edit(lead, need=float("nan")), InvalidValue, "BAD_JSON"),
        ("inf in JSON", lambda: zs.add_competitor("甲", strengths=float("inf")), InvalidValue, "BAD_JSON"),
        ("set in JSON", lambda: zs.edit(lead, need={1, 2}), InvalidValue, "BAD_JSON"),
        ("bytes in JSON", lambda: zs.edit(lead, need=b"\x00\x01"), InvalidValue, "BAD_JSON"),
        ("object in JSON", lambda: zs.add_competitor("甲", strategy=object()), InvalidValue, "BAD_JSON"),
        ("NUL in JSON", lambda: zs.edit(lead, need="a\x00"), InvalidValue, "BAD_TEXT"),
        ("expected_close=nan", lambda: zs.set_potential(opp, expected_close=float("nan")), InvalidValue, "BAD_DATE"),
        ("expected_close='now'", lambda: zs.set_potential(opp, expected_close="now"), InvalidValue, "BAD_DATE"),
        ("expected_close='today'", lambda: zs.set_potential(opp, expected_close="today"), InvalidValue, "BAD_DATE"),
        ("12345 as a date", lambda: zs.set_potential(opp, expected_close=12345), InvalidValue, "BAD_DATE"),
        ("expected_revenue=nan", lambda: zs.set_potential(empty, expected_revenue=float("nan")), InvalidValue,
         "BAD_NUMBER"),
        ("expected_revenue=1e200", lambda: zs.set_potential(empty, expected_revenue=1e200), InvalidValue,
         "BAD_NUMBER"),
        ("expected_version='abc'", lambda: zs.set_potential(opp, need="x", expected_version="abc"), InvalidValue,
         "BAD_VERSION"),
        ("close_request(req, 'abc')", lambda: cj.close_request(req, "abc"), GuardFailed, "BAD_SATISFACTION"),
        ("close_request(req, nan)", lambda: cj.close_request(req, float("nan")), GuardFailed, "BAD_SATISFACTION"),
        ("add_interest(opp, None)", lambda: zs.add_interest(opp, None), GuardFailed, "PRODUCT_REQUIRED"),
        ("qty=1e200", lambda: zs.add_interest(opp, "R740", qty=1e200, price=1), InvalidValue, "BAD_NUMBER"),
        ("price=1e200", lambda: zs.add_interest(opp, "R740", qty=1, price=1e200), InvalidValue, "BAD_NUMBER"),
        ("qty*price overflows", lambda: zs.add_interest(opp, "R740", qty=1e9, price=1e9), InvalidValue,
         "BAD_NUMBER"),
        ("qty='abc'", lambda: zs.add_interest(opp, "R740", qty="abc", price=1), InvalidValue, "BAD_NUMBER"),
        ("a line without product", lambda: zs.new_price_list("KH000001", [(None, 1, 100)]), GuardFailed,
         "LINE_PRODUCT_REQUIRED"),
        ("credit limit inf", lambda: zs.add_credit("KH000001", float("inf"), "A"), InvalidValue, "BAD_NUMBER"),
        ("birthday 12345", lambda: zs.add_contact("KH000001", "孙工", birthday=12345), InvalidValue, "BAD_DATE"),
        ("plan_start 'now'", lambda: zs.new_activity(opp, "拜访", plan_start="now"), InvalidValue, "BAD_TIME"),
        ("tick(days=nan)", lambda: crm.tick(days=float("nan")), InvalidValue, "BAD_NUMBER"),
        ("tick(days='abc')", lambda: crm.tick(days="abc"), InvalidValue, "BAD_NUMBER"),
        ("tick(days=1e300)", lambda: crm.tick(days=1e300), InvalidValue, "BAD_NUMBER"),
        ("set_clock('now')", lambda: crm.set_clock("now"), InvalidValue, "BAD_TIME"),
    ]


def test_bad_input_is_a_bilingual_crm_error_and_changes_nothing(crm):
    cases = _bad_inputs(crm)
    now = crm.now
    for label, fn, exc, code in cases:
        before = _state(crm)
        try:
            fn()
        except exc as err:
            assert err.code == code, (label, err.code, str(err))
            assert isinstance(err, system.CRMError) and " / " in str(err), label
        except Exception as err:          # noqa: BLE001 - the failure names the case
            pytest.fail(f"{label}: raw {type(err).__name__}: {err}"[:400])
        else:
            pytest.fail(f"{label}: accepted")
        assert _state(crm) == before, label
    assert crm.now == now and crm.check_invariants() == []


def test_bad_input_inside_a_batch_is_refused_too(crm):
    zs = crm.login("zhangsan")
    with crm.batch():
        lead = zs.new_lead("意向", source="网站")
        with pytest.raises(InvalidValue):
            zs.new_lead(LONG, source="网站")
        with pytest.raises(InvalidValue):
            zs.edit(lead, need=float("nan"))
        with pytest.raises(InvalidValue):
            zs.add_competitor("甲", strengths={1, 2})
    assert crm.documents()["no"].tolist() == [lead] and crm.doc(lead)["need"] is None


def test_good_values_still_pass(crm):
    opp, _ = new_opportunity(crm)
    zs = crm.login("zhangsan")
    zs.set_potential(opp, expected_close=dt.date(2024, 6, 30))
    zs.set_potential(opp, expected_close="2024-07-01")
    zs.set_potential(opp, expected_close=dt.datetime(2024, 7, 2, 10, 0))
    zs.set_potential(opp, need="长" * 100)
    assert str(crm.doc(opp)["expected_close"])[:10] == "2024-07-02"
    zs.add_interest(opp, "PSU", qty="2", price=1_200.0)
    assert crm.doc(opp)["expected_revenue"] == 2 * 48_000 + 36_000 + 2_400
    assert zs.set_potential(opp, need="ok", expected_version=str(crm.doc(opp)["version"])) is None


# 5 -- duplicate and missing customer names say what is wrong ----------------------------------
def test_duplicate_or_missing_customer_name_is_not_a_conflict(crm):
    zs = crm.login("zhangsan")
    for fn, args, kw, exc, code in [
        (zs.new_customer, ("华东电网科技",), {}, GuardFailed, "DUPLICATE_CUSTOMER"),
        (zs.edit_customer, ("KH000005",), {"name": "华东电网科技"}, GuardFailed, "DUPLICATE_CUSTOMER"),
        (zs.new_customer, (None,), {}, GuardFailed, "REQUIRED"),
        (zs.new_customer, ("  ",), {}, GuardFailed, "REQUIRED"),
        (zs.edit_customer, ("KH000005",), {"name": None}, GuardFailed, "REQUIRED"),
        (zs.edit_customer, ("KH000005",), {"name": ""}, GuardFailed, "REQUIRED"),
    ]:
        with crm.engine.begin() as con:       # KH000005 is 张三's, saved (editable)
            con.execute(sa.update(m.Customer).where(m.Customer.no == "KH000005").values(status="saved"))
        err = unchanged(crm, exc, fn, *args, code=code, **kw)
        assert not isinstance(err, Conflict) and "at the same time" not in str(err)
        if code == "DUPLICATE_CUSTOMER":
            assert "客户名称已存在" in str(err)


def test_integrity_errors_are_translated():
    from sqlalchemy.exc import IntegrityError

    from crmlab.system.engine import _conflict
    nn = IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed: customers.name"))
    dup = IntegrityError("UPDATE", {}, Exception('duplicate key value violates unique constraint "customers_name_key"'))
    dup2 = IntegrityError("UPDATE", {}, Exception("UNIQUE constraint failed: customers.name"))
    other = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: counters.doc_type"))
    assert _conflict(nn).code == "REQUIRED" and isinstance(_conflict(nn), InvalidValue)
    assert _conflict(dup).code == _conflict(dup2).code == "DUPLICATE_CUSTOMER"
    assert "客户名称已存在" in str(_conflict(dup))
    assert isinstance(_conflict(other), Conflict)


# 6 -- the clock is part of the saved state ----------------------------------------------------
def test_reopening_the_database_resumes_its_clock(db_url):
    crm = system.open(db_url, demo=True)
    opp, _ = open_opportunity(crm)
    crm.tick(days=3)
    zs = crm.login("zhangsan")
    zs.new_activity(opp, "拜访")
    zs.advance(opp, end_stage_now=True)
    then = crm.now
    crm.close()
    again = system.open(db_url)
    assert again.now == then                                   # not 2024-03-01 09:00
    again.tick(hours=1)
    again.login("zhangsan").new_task(opp, "调研")              # no TIME_ORDER: the clock went on
    again.close()
    third = system.open(db_url, demo=True)
    assert third.now == then + dt.timedelta(hours=1)
    assert third.table("clock")["now"].tolist() == [pd_ts(then + dt.timedelta(hours=1))]
    third.close()


def pd_ts(t):
    import pandas as pd
    return pd.Timestamp(t)


def test_an_explicit_clock_moves_a_saved_clock_forward_only(db_url):
    system.open(db_url, demo=True, clock="2024-03-05 09:00").close()
    for clock, expected in (("2024-03-10 08:00", (2024, 3, 10, 8, 0)), ("2024-03-01 08:00", (2024, 3, 10, 8, 0)),
                            (None, (2024, 3, 10, 8, 0))):
        crm = system.open(db_url, **({"clock": clock} if clock else {}))
        assert crm.now == dt.datetime(*expected)
        crm.close()


def test_clock_moves_inside_batches_are_saved(db_url):
    crm = system.open(db_url, demo=True)
    with crm.batch():
        crm.login("zhangsan").new_lead("意向", source="网站")
        crm.tick(hours=2)
    with crm.batch():
        crm.tick(hours=3)
        crm.login("zhangsan").new_lead("意向二", source="网站")
    crm.close()
    assert system.open(db_url).now == dt.datetime(2024, 3, 1, 14, 0)


def test_fingerprint_helpers_see_the_clock_table(crm):
    assert table_counts(crm)["clock"] == 1
    assert math.isfinite(crm.now.timestamp())
