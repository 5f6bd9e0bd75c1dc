"""Classroom role-play (crmlab.system.classroom): roster, record rules, stale edits, progress, grading.

Each database test runs on SQLite and on PostgreSQL (the ``db_url`` fixture, or ``class_url``: a
copy of a class database with the demo company and ROSTER built once per backend); the server
test starts and stops its own throw-away PostgreSQL cluster.
"""
import contextlib
import io
import shutil
import socket
import tempfile
import threading
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from syshelpers import refused, table_counts

from crmlab import grading
from crmlab.system import PermissionDenied, StaleRecord, classroom
from crmlab.system.classroom import RosterError

ROSTER = pd.DataFrame({
    "学号": ["S01", "S02", "S03", "S04", "S05", "E01"],
    "姓名": ["王芳", "李雷", "赵敏", "钱多", "孙悟", "刘工程"],
    "角色": ["业务员", "sales rep", "评估人", "evaluator", "业务员", "服务工程师"],
    "小组": ["一组", "一组", "一组", "二组", "二组", "服务组"],
})


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """A class database (demo company + ROSTER) built once per backend, copied for each test."""
    made = {}
    yield made, tmp_path_factory
    if "postgresql" in made:
        admin_url, name = made["postgresql"]
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _build(url):
    crm = classroom.open_class(url)
    classroom.load_roster(crm, ROSTER)
    crm.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def class_url(request, tmp_path, templates):
    """A fresh copy of the class database: a SQLite file, or a PostgreSQL database made from a template."""
    made, factory = templates
    if request.param == "sqlite":
        if "sqlite" not in made:
            made["sqlite"] = factory.mktemp("class") / "class.db"
            _build(f"sqlite:///{made['sqlite']}")
        shutil.copy(made["sqlite"], tmp_path / "crm.db")
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    admin_url = request.getfixturevalue("pg_url")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    if "postgresql" not in made:
        tpl = f"tpl_{uuid.uuid4().hex[:10]}"
        with admin.connect() as con:
            con.execute(sa.text(f'CREATE DATABASE "{tpl}"'))
        made["postgresql"] = (admin_url, tpl)
        _build(admin_url.rsplit("/", 1)[0] + "/" + tpl)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{made["postgresql"][1]}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def cls(class_url):
    crm = classroom.open_class(class_url)
    yield crm
    crm.close()


# ----------------------------------------------------------------------------- the scenario table
def test_scenario_is_declared_and_each_role_is_worth_100():
    t = classroom.scenario_table()
    assert t["step"].is_unique
    assert t.groupby("role")["points"].sum().eq(100).all()
    assert set(t["role"]) == {"rep", "evaluator", "engineer", "desk"}
    assert all(callable(s.check) for s in classroom.SCENARIO)
    assert t["title_zh"].str.len().gt(0).all() and t["evidence"].str.len().gt(0).all()


# ----------------------------------------------------------------------------- the roster
def test_read_roster_accepts_english_and_chinese_headers_roles_and_gbk(tmp_path):
    en = pd.DataFrame({"Student ID": ["S01", "S02", "S03", "S04"], "Name": ["A", "B", "C", "D"],
                       "Role": ["Sales Rep", "EVALUATOR", "service engineer", "客服主管"],
                       "Department": ["t1", "t1", "t2", "t2"]})
    f = classroom.read_roster(en)
    assert f["role"].tolist() == ["sales_rep", "sales_manager", "engineer", "service_manager"]
    assert f["team"].tolist() == ["t1", "t1", "t2", "t2"]
    assert en.columns.tolist()[0] == "Student ID"                        # the caller's frame is unchanged
    path = tmp_path / "roster.csv"
    ROSTER.to_csv(path, index=False, encoding="gb18030")                  # saved by Excel in China
    f = classroom.read_roster(path)
    assert f["student_id"].tolist() == ["S01", "S02", "S03", "S04", "S05", "E01"]
    assert f["role"].tolist() == ["sales_rep", "sales_rep", "sales_manager", "sales_manager", "sales_rep", "engineer"]
    ids = pd.DataFrame({"学号": [2023001.0, 2023002.0], "姓名": ["甲", "乙"], "角色": ["业务员"] * 2, "小组": ["A"] * 2})
    assert classroom.read_roster(ids)["student_id"].tolist() == ["2023001", "2023002"]   # Excel floats
    path.write_text("学号,姓名,角色,小组\n007,甲,业务员,A\n", encoding="utf-8-sig")
    assert classroom.read_roster(path)["student_id"].tolist() == ["007"]               # leading zeros kept


def test_roster_errors_list_every_bad_row_in_both_languages_and_write_nothing(db_url):
    crm = classroom.open_class(db_url)
    before = table_counts(crm)
    bad = pd.DataFrame({
        "student_id": ["S01", "S01", "", "bad id!", "S05", "S06", "S07", "S08"],
        "name": ["王芳", "李雷", "赵敏", "钱多", "", "孙悟", "周", "吴"],
        "role": ["业务员", "业务员", "业务员", "业务员", "业务员", "老板", "Administrator", "业务员"],
        "team": ["A", "A", "A", "A", "A", "A", "A", ""],
    })
    with pytest.raises(RosterError) as info:
        classroom.load_roster(crm, bad)
    err = info.value
    assert err.code == "BAD_ROSTER" and isinstance(err, ValueError)
    got = set(map(tuple, err.problems[["line", "column"]].values.tolist()))
    assert got == {(2, "student_id"), (3, "student_id"), (4, "student_id"), (5, "student_id"), (6, "name"),
                   (7, "role"), (8, "role"), (9, "team")}
    text = str(err)
    assert "nothing was written" in text and "未写入任何数据" in text
    assert "line 7 (S06), role: unknown role '老板'" in text and "第 7 行（S06）role：未知的角色 '老板'" in text
    assert table_counts(crm) == before and classroom.roster(crm).empty
    with pytest.raises(classroom.GuardFailed) as info:
        classroom.load_roster(crm, bad.drop(columns="role"))
    assert info.value.code == "ROSTER_COLUMNS" and "角色" in str(info.value)
    with pytest.raises(classroom.NotFound):
        classroom.load_roster(crm, "/no/such/roster.csv")
    assert table_counts(crm) == before
    crm.close()


def test_load_roster_creates_users_and_teams_and_is_idempotent(db_url):
    crm = classroom.open_class(db_url)
    out = classroom.load_roster(crm, ROSTER)
    assert out["action"].eq("created").all()
    users = crm.users().set_index("login")
    assert users.loc["S01", ["name", "role", "dept"]].tolist() == ["王芳", "sales_rep", "一组"]
    assert users.loc["S03", "role"] == "sales_manager" and users.loc["E01", "role"] == "engineer"
    assert users.loc[["S01", "E01"], "employee_code"].tolist() == ["S01", "E01"]         # R31
    depts = crm.table("departments").set_index("name")
    assert depts.loc[["一组", "二组", "服务组"], "code"].tolist() == ["T01", "T02", "T03"]
    log = crm.audit_log(user="admin")
    assert log["action"].value_counts().to_dict() == {"add_user": 6, "add_department": 3}
    assert out.attrs["warnings"] == []
    counts = table_counts(crm)
    again = classroom.load_roster(crm, ROSTER)                               # idempotent
    assert again["action"].eq("unchanged").all() and table_counts(crm) == counts
    more = pd.concat([ROSTER, pd.DataFrame({"学号": ["S09"], "姓名": ["新同学"], "角色": ["业务员"], "小组": ["三组"]})])
    out = classroom.load_roster(crm, more)                                   # a late student joins
    assert out.set_index("student_id")["action"].to_dict()["S09"] == "created"
    assert out["action"].eq("created").sum() == 1
    assert len(out.attrs["warnings"]) == 1 and "三组" in out.attrs["warnings"][0]   # reps, no evaluator
    # a student already loaded cannot silently change; a staff login cannot be a student id
    counts = table_counts(crm)
    moved = more.copy()
    moved.loc[moved["学号"] == "S01", "小组"] = "二组"
    staff = pd.concat([more, pd.DataFrame({"学号": ["zhangsan"], "姓名": ["张三"], "角色": ["业务员"], "小组": ["一组"]})])
    for roster_, column in ((moved, "team"), (staff, "student_id")):
        with pytest.raises(RosterError) as info:
            classroom.load_roster(crm, roster_)
        assert info.value.problems["column"].tolist() == [column]
        assert table_counts(crm) == counts
    assert classroom.roster(crm).set_index("student_id").loc["S01", "team"] == "一组"
    crm.close()


# ----------------------------------------------------------------------------- connecting
def test_connect_gives_the_students_desk_with_the_shared_clock(db_url):
    with pytest.raises(classroom.NotFound) as info:
        classroom.connect(db_url, "S01")
    assert info.value.code == "NO_CLASS"
    crm = classroom.open_class(db_url)
    classroom.load_roster(crm, ROSTER)
    a, b = classroom.connect(db_url, "S01"), classroom.connect(db_url, "S02")
    assert (a.login, a.user.role) == ("S01", "sales_rep")
    with pytest.raises(classroom.NotFound) as info:
        classroom.connect(db_url, "zhangsan")                               # staff, not a student
    assert info.value.code == "NOT_IN_CLASS" and "不在班级花名册中" in str(info.value)
    with pytest.raises(PermissionDenied) as info:
        a.crm.tick(hours=3)                                                 # only the teacher moves the clock
    assert info.value.code == "CLASS_CLOCK" and "只有老师" in str(info.value)
    with pytest.raises(PermissionDenied) as info:
        a.crm.login("S02")                                                  # a student's desk is theirs only
    assert info.value.code == "NOT_YOURSELF"
    crm.tick(hours=3)
    a.new_lead("甲意向", source="网站", customer_name="甲公司", contact_name="乙")
    b.new_lead("乙意向", source="网站", customer_name="乙公司", contact_name="丙")
    log = crm.audit_log(action="new_lead")
    assert pd.to_datetime(log["at"]).tolist() == [pd.Timestamp("2024-03-01 12:00")] * 2   # both follow the teacher's clock
    for d in (a, b):
        d.crm.close()
    crm.close()


# ----------------------------------------------------------------------------- record rules
def test_record_rules_in_the_classroom(cls, class_url):
    s01, s02, s03, s04 = (classroom.connect(class_url, s) for s in ("S01", "S02", "S03", "S04"))
    e01 = classroom.connect(class_url, "E01")
    classroom.autoplay(s01, evaluator="S03")                     # lead → opportunity, submitted to S03
    opp = cls.documents(user="S01", doc_type="opportunity")["no"].iloc[0]
    lead = cls.documents(user="S01", doc_type="lead")["no"].iloc[0]
    cust = cls.doc(opp)["customer_no"]
    # a rep sees only their own documents; a teammate rep sees none of them
    assert set(s01.documents()["no"]) == {lead, opp}
    assert s02.documents().empty
    refused(cls, PermissionDenied, s02.get, opp)
    refused(cls, PermissionDenied, s02.add_interest, opp, "FW-3000", qty=1, price=36_000, code="NOT_OWNER")
    refused(cls, PermissionDenied, s02.submit_evaluation, opp, evaluator="S03")
    # the team's evaluator (销售经理 of the department) sees and evaluates; the other team's does not see it
    assert opp in set(s03.documents("opportunity")["no"])
    assert s03.get(opp)["version"] >= 1
    assert s04.documents("opportunity").empty
    refused(cls, PermissionDenied, s04.get, opp)
    refused(cls, PermissionDenied, s04.evaluate, opp, "pass", code="NOT_EVALUATOR")   # not the named evaluator
    # customers are company-wide
    assert s02.get(cust)["no"] == cust
    # an engineer sees only their own work orders, no sales documents
    assert e01.documents().empty
    refused(cls, PermissionDenied, e01.get, opp)
    wo = classroom.dispatch_requests(cls)["work_order"].iloc[0]
    seen = e01.documents()
    assert wo in set(seen["no"]) and set(seen["doc_type"]) <= {"work_order", "service_request", "product_archive"}
    assert not {"lead", "opportunity", "quote"} & set(e01.documents()["doc_type"])
    refused(cls, PermissionDenied, s01.accept_work_order, wo, "我来")
    assert wo not in set(s01.documents()["no"])
    for d in (s01, s02, s03, s04, e01):
        d.crm.close()


def test_an_evaluator_of_another_team_named_by_the_rep_can_read_what_they_evaluate(cls, class_url):
    """Reps may name any 销售经理 as evaluator (R12); the named evaluator must then see the opportunity."""
    s05, s03 = classroom.connect(class_url, "S05"), classroom.connect(class_url, "S03")   # 二组 rep, 一组 evaluator
    classroom.autoplay(s05, evaluator="S03")
    opp = cls.documents(user="S05", doc_type="opportunity")["no"].iloc[0]
    assert cls.pending("S03")["no"].tolist() == [opp]
    assert _visible(s03, opp)
    assert s03.evaluate(opp, "pass") == "open"
    s05.crm.close()
    s03.crm.close()


def _visible(desk, no) -> bool:
    try:
        desk.get(no)
    except PermissionDenied:
        return False
    return no in set(desk.documents("opportunity")["no"])


# ----------------------------------------------------------------------------- optimistic locking
def test_two_students_editing_the_same_opportunity_get_a_clear_stale_message(cls, class_url):
    rep, ev = classroom.connect(class_url, "S01"), classroom.connect(class_url, "S03")   # owner and team manager
    classroom.autoplay(rep, evaluator="S03")
    classroom.autoplay(ev)                                                       # evaluated: 执行中
    opp = cls.documents(user="S01", doc_type="opportunity")["no"].iloc[0]
    v_rep, v_ev = rep.get(opp)["version"], ev.get(opp)["version"]                # both open the opportunity
    assert v_rep == v_ev
    rep.set_potential(opp, need="需要 2 台服务器和 1 台防火墙", expected_version=v_rep)
    err = refused(cls, StaleRecord, ev.set_potential, opp, interest="中", expected_version=v_ev,
                  code="STALE_RECORD")
    assert err.changed_by == "S01" and (err.expected, err.actual) == (v_ev, v_ev + 1)
    assert f"{opp} was changed by S01" in str(err) and "reload and try again" in str(err)
    assert "请刷新后重试" in str(err)
    fresh = ev.get(opp)                                                          # reload and retry
    ev.set_potential(opp, interest="中", expected_version=fresh["version"])
    d = cls.doc(opp)
    assert (d["need"], d["interest"], d["version"]) == ("需要 2 台服务器和 1 台防火墙", "medium", v_rep + 2)  # nothing lost
    if not class_url.startswith("sqlite"):                  # SQLite serialises writers; PostgreSQL races
        _race(cls, rep, ev, opp)
    rep.crm.close()
    ev.crm.close()


def _race(cls, rep, ev, opp):
    """Both students read version v and save at the same moment from their own connections:
    one wins, the other gets StaleRecord, nothing is lost."""
    v = rep.get(opp)["version"]
    barrier, results = threading.Barrier(2), {}

    def edit(desk):
        barrier.wait()
        try:
            desk.set_potential(opp, need=f"{desk.login} 的修改", expected_version=v)
            results[desk.login] = "ok"
        except StaleRecord as err:
            results[desk.login] = err
    threads = [threading.Thread(target=edit, args=(d,)) for d in (rep, ev)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r == "ok" for r in results.values()) == [False, True], results
    winner = next(k for k, r in results.items() if r == "ok")
    loser = next(r for r in results.values() if r != "ok")
    assert loser.code == "STALE_RECORD" and "请刷新后重试" in str(loser)
    d = cls.doc(opp)
    assert d["need"] == f"{winner} 的修改" and d["version"] == v + 1
    assert cls.check_invariants() == []


def test_students_numbering_documents_at_once_never_collide(cls, class_url):
    """Six students save leads at the same moment: every lead is stored with its own number."""
    desks = [classroom.connect(class_url, s) for s in ("S01", "S02", "S03", "S04", "S05")]
    barrier, errors = threading.Barrier(len(desks)), []

    def save(desk):
        barrier.wait()
        for k in range(3):
            try:
                desk.new_lead(f"线索 {k}", source="网站", customer_name=f"{desk.login}-{k}", contact_name="乙")
            except Exception as err:             # noqa: BLE001 - the assertion lists them
                errors.append(err)
    threads = [threading.Thread(target=save, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    leads = cls.documents(doc_type="lead")
    assert len(leads) == 15 and leads["no"].is_unique
    assert sorted(leads["no"]) == [f"XS{i:06d}" for i in range(1, 16)]
    for d in desks:
        d.crm.close()


# ----------------------------------------------------------------------------- progress and grading
def _play_class(crm, url):
    """S01 does everything, S02 only lead + conversion, S05 nothing; S03 evaluates; E01 serves."""
    s01, s02, s03, e01 = (classroom.connect(url, s) for s in ("S01", "S02", "S03", "E01"))
    classroom.autoplay(s01, evaluator="S03")
    crm.tick(minutes=10)                             # the teacher moves the class clock
    classroom.autoplay(s03)
    crm.tick(minutes=10)
    classroom.autoplay(s01)
    lead = s02.new_lead("李雷的线索", source="网站", customer_name="课堂客户 S02", contact_name="钱工")
    s02.convert_lead(lead, new_customer=True, new_contact=True)
    classroom.dispatch_requests(crm)
    e01.accept_work_order(e01.documents("work_order")["no"].iloc[0], "已电话确认")
    for d in (s01, s02, s03, e01):
        d.crm.close()


def test_progress_and_grade_full_partial_and_none(cls, class_url, tmp_path):
    _play_class(cls, class_url)
    p = classroom.progress(cls)
    done = p[p["done"]].groupby("student")["step"].apply(list).to_dict()
    reps = [s.id for s in classroom.SCENARIO if s.group == "rep"]
    assert done["S01"] == reps
    assert done["S02"] == ["rep_lead", "rep_convert"]
    assert "S05" not in done and p.query("student == 'S05'")["step"].tolist() == reps
    assert done["S03"] == ["ev_customer", "ev_evaluate"] and "S04" not in done
    assert done["E01"] == ["eng_accept"]
    assert p.query("student == 'S01'")["at"].is_monotonic_increasing
    assert p.loc[p["done"], "at"].notna().all() and p.loc[~p["done"], "at"].isna().all()
    wide = classroom.progress(cls, wide=True)
    assert wide.loc["S01", reps].all() and wide.loc["E01", "eng_accept"] and pd.isna(wide.loc["E01", "rep_lead"])

    book = classroom.grade_from_db(cls)
    g = book.set_index("student")
    assert g.loc[["S01", "S02", "S05", "S03", "S04", "E01"], "total"].tolist() == [100, 15, 0, 100, 0, 40]
    assert g["max"].eq(100).all() and not g["late"].any()
    assert g.loc["S02", "rep_convert"] == 10 and g.loc["S02", "rep_win"] == 0 and pd.isna(g.loc["S02", "eng_accept"])
    assert "no step found" in g.loc["S05", "problems"] and g.loc["S01", "problems"] == ""
    # same columns as the notebook gradebook of crmlab.grading
    nb = grading.gradebook({"S01": {"lab": "04_system", "seconds_late": 0, "general": [], "notebooks": [
        {"notebook": "03_opportunity", "problems": [], "cells": [{"grade_id": "q1", "points": 1, "max_points": 2}]}]}})
    assert book.columns[:3].tolist() == nb.columns[:3].tolist()
    assert book.columns[-4:].tolist() == nb.columns[-4:].tolist()
    assert book["late"].dtype == bool and book["total"].dtype == float
    # points, late flag, export
    custom = classroom.grade_from_db(cls, points={"rep_win": 35}, deadline="2024-03-01 09:15")
    c = custom.set_index("student")
    assert c.loc["S01", ["total", "max"]].tolist() == [120, 120]
    assert c.loc[["S01", "S02", "S03", "S05"], "late"].tolist() == [True, True, False, False]
    with pytest.raises(classroom.GuardFailed):
        classroom.grade_from_db(cls, points={"no_such_step": 1})
    path = classroom.write_gradebook(book, tmp_path / "gb.csv")
    back = pd.read_csv(path, keep_default_na=False)
    assert back.columns.tolist() == book.columns.tolist() and back["total"].tolist() == book["total"].tolist()
    # the engineer finishes: accept was done, handle remains; dispatching again gives nothing new
    assert classroom.dispatch_requests(cls).empty
    e01 = classroom.connect(class_url, "E01")
    assert classroom.autoplay(e01) == ["handle_work_order"]
    assert classroom.grade_from_db(cls).set_index("student").loc["E01", "total"] == 100
    assert cls.documents(doc_type="service_request")["status"].tolist() == ["handled"]
    e01.crm.close()


def test_a_step_done_by_someone_else_does_not_count(cls, class_url):
    rep, ev = classroom.connect(class_url, "S01"), classroom.connect(class_url, "S03")
    classroom.autoplay(rep, evaluator="S03")
    classroom.autoplay(ev)
    opp = cls.documents(user="S01", doc_type="opportunity")["no"].iloc[0]
    rep.new_activity(opp, "初次拜访")
    ev.advance(opp, end_stage_now=True)                   # the manager pushes the rep's stage (dept scope)
    classroom.autoplay(rep)                               # the rep finishes the rest
    g = classroom.grade_from_db(cls).set_index("student")
    assert cls.status(opp, lang="en") == "won"
    assert g.loc["S01", "rep_stages"] == 0 and g.loc["S01", "rep_win"] == 15
    assert f"{opp}: advance by S03" in g.loc["S01", "problems"]
    rep.crm.close()
    ev.crm.close()


# ----------------------------------------------------------------------------- dashboard and CLI
def test_dashboard_shows_progress_and_refreshes(cls, class_url):
    view = classroom.dashboard(cls)
    button, teams = view.children[0].children
    summary, table = view.children[1], view.children[2]
    assert "6</b> students" in summary.value and "王芳" in table.value and "✓" not in table.value
    rep = classroom.connect(class_url, "S01")
    rep.new_lead("线索", source="网站", customer_name="甲", contact_name="乙")
    button.click()
    assert "✓ 03-01 09:00" in table.value and "1</b>/" in summary.value
    teams.value = "服务组"
    assert "刘工程" in table.value and "王芳" not in table.value
    rep.crm.close()


def test_command_line_roster_dashboard_grade(db_url, tmp_path, capsys):
    crm = classroom.open_class(db_url)
    path = tmp_path / "roster.csv"
    ROSTER.to_csv(path, index=False)
    assert classroom.main(["roster", db_url, str(path), "--dispatch"]) == 0
    out = capsys.readouterr().out
    assert "created" in out and "PG000001" in out
    sheet = tmp_path / "roster_logins.csv"
    if db_url.startswith("postgresql"):                 # one login per student: the teacher's sheet
        logins = pd.read_csv(sheet, dtype=str, encoding="utf-8-sig")
        assert logins["学号"].tolist() == ROSTER["学号"].tolist() and "6 login(s) made" in out and "已生成 6 个账号" in out
        assert (tmp_path / "roster_logins.html").exists()
        again = tmp_path / "again.csv"
        assert classroom.main(["roster", db_url, str(path), "--reset-passwords", "S01",
                               "--credentials", str(again)]) == 0
        fresh = pd.read_csv(again, dtype=str, encoding="utf-8-sig")
        assert fresh["学号"].tolist() == ["S01"] and fresh["密码"].iloc[0] != logins["密码"].iloc[0]
        capsys.readouterr()
    else:
        assert not sheet.exists()                       # SQLite: no database logins
    bad = tmp_path / "bad.csv"
    bad.write_text("学号,姓名,角色,小组\nS01,王芳,老板,一组\n", encoding="utf-8")
    assert classroom.main(["roster", db_url, str(bad)]) == 2
    assert "未知的角色" in capsys.readouterr().err
    assert classroom.main(["dashboard", db_url, "--html", str(tmp_path / "d.html")]) == 0
    assert "0/" in capsys.readouterr().out and "王芳" in (tmp_path / "d.html").read_text(encoding="utf-8")
    assert classroom.main(["grade", db_url, "--out", str(tmp_path / "g")]) == 0
    gb = pd.read_csv(tmp_path / "g" / "04_system" / "classroom_gradebook.csv")
    assert gb["student"].tolist() == sorted(ROSTER["学号"]) and gb["notebook"].eq("classroom").all()
    # the lead's `crmlab grade LAB --from-db URL --out FILE.csv`
    import argparse
    args = argparse.Namespace(lab="04_system", from_db=db_url, out=str(tmp_path / "gb.csv"), deadline=None,
                              points=["rep_lead=7"])
    assert classroom.cli_grade(args) == 0
    assert pd.read_csv(tmp_path / "gb.csv")["max"].max() == 102
    crm.close()


# ----------------------------------------------------------------------------- the server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_start_and_stop_a_class_server(tmp_path):
    """`crmlab classroom start`: superuser postgres with a hidden password, the teacher's login is
    not a superuser, scram-sha-256 everywhere (no trust), students get their own logins."""
    try:
        classroom._pg_bin()
    except FileNotFoundError:
        pytest.skip("PostgreSQL is not installed")
    with pytest.raises(classroom.GuardFailed) as info:
        classroom.start_server("/tmp/never-used", listen="*")
    assert info.value.code == "PASSWORD_REQUIRED"
    data = Path(tempfile.mkdtemp(prefix="crmlab-class-"))
    port = _free_port()
    try:
        url = classroom.start_server(data, port, fast=True)
        u = sa.engine.make_url(url)
        assert (u.username, u.host, u.port, u.database) == ("crmlab", "127.0.0.1", port, "crmlab") and u.password
        assert classroom.server_running(data)
        assert classroom.start_server(data, port, fast=True) == url           # already running: same URL
        hba = [ln.split() for ln in _read_as_owner(data / "pg_hba.conf").splitlines()
               if ln.strip() and not ln.lstrip().startswith("#")]
        assert hba and all(ln[-1] == "scram-sha-256" for ln in hba), hba      # no trust, loopback and socket too
        assert {ln[0] for ln in hba} >= {"local", "host"}
        socket_ = sa.engine.URL.create("postgresql+psycopg", username="postgres", database="postgres",
                                       query={"host": str(data), "port": str(port)})          # the Unix socket
        for bad in (u._replace(password=None), u.set(password="wrong"), u._replace(username="postgres", password=None),
                    u.set(username="postgres", password="postgres"), socket_, socket_.set(username="crmlab")):
            with pytest.raises(sa.exc.OperationalError):
                with sa.create_engine(bad).connect():
                    pass
        teacher = sa.create_engine(url)
        with teacher.connect() as con:
            row = con.execute(sa.text("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")).one()
            assert tuple(row) == (False, True)                                 # not a superuser; makes logins
            assert con.execute(sa.text("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database "
                                       "WHERE datname = 'crmlab'")).scalar() == "crmlab"
        teacher.dispose()
        crm = classroom.open_class(url.replace("postgresql+psycopg://", "postgresql://"))   # a plain URL works
        out = classroom.load_roster(crm, ROSTER.head(2))
        sheet = out.attrs["credentials"]
        assert sheet.columns.tolist() == ["学号", "姓名", "用户名", "密码", "连接串"] and len(sheet) == 2
        csv_path, page = classroom.write_credentials(sheet, tmp_path / "logins.csv")
        assert "王芳" in page.read_text(encoding="utf-8") and oct(csv_path.stat().st_mode)[-3:] == "600"
        public = classroom.class_url(url)
        assert public == f"postgresql+psycopg://127.0.0.1:{port}/crmlab"
        pw = sheet.set_index("学号").loc["S01", "密码"]
        pid = classroom.start_worker(data, url)                               # the classroom service, as `start` does
        assert classroom.worker_pid(data) == pid == classroom.start_worker(data, url)
        assert str(url) not in Path(f"/proc/{pid}/cmdline").read_text()       # the teacher's password not in `ps`
        desk = classroom.connect(public, "S01", password=pw, wait=60)         # class URL + 学号 + password
        assert desk.login == "S01" and isinstance(desk, classroom.RemoteDesk)
        lead = desk.new_lead("线索", source="网站", customer_name="甲", contact_name="乙")
        assert crm.doc(lead)["owner"] == "S01" and crm.audit_log(doc_no=lead)["user_login"].tolist() == ["S01"]
        with desk.crm.engine.connect() as con:
            assert con.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar() is False
        desk.crm.close()
        desk = classroom.connect(csv_path, "S02")                             # or the credentials sheet
        assert desk.login == "S02"
        desk.crm.close()
        with pytest.raises(PermissionDenied) as info:
            classroom.connect(public, "S01", password="wrong")
        assert info.value.code == "BAD_LOGIN" and "密码" in str(info.value)
        with pytest.raises(PermissionDenied) as info:
            classroom.connect(public, "S02", password=pw)                     # S01's password for S02
        assert info.value.code == "BAD_LOGIN"
        crm.close()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert classroom.main(["stop", "--data", str(data)]) == 0
        assert "班级服务已停止" in out.getvalue() and classroom.worker_pid(data) is None
        assert not Path(f"/proc/{pid}").exists()
        assert not classroom.server_running(data)
        assert classroom.stop_server(data) is False
    finally:
        classroom.stop_worker(data)
        classroom.stop_server(data)
        shutil.rmtree(data, ignore_errors=True)


def _read_as_owner(path) -> str:
    return classroom._as_owner(["cat", str(path)]).stdout
