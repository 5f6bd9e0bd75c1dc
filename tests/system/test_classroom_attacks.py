"""Attacks on the classroom mode (issue 17) against the real PostgreSQL of ``.ci/services``.

The harness's superuser URL (CRMLAB_TEST_PG_URL) is the teacher here: it builds a class database
(demo company, ROSTER, one login per student) and runs the classroom service (``classroom.serve``,
worker threads); every attack then runs on a student's own login, through the desk, through
``desk.crm.engine`` or with plain SQL — and must be refused, change nothing and move no grade.
A student's login writes no CRM table: its only write is a request to the service.
"""
import datetime as dt
import json
import time
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import database_url, drop_pg_database, new_pg_database
from syshelpers import fingerprint

from crmlab import opportunity
from crmlab.system import GuardFailed, IllegalTransition, InvalidValue, NotFound, PermissionDenied, StaleRecord, \
    _classdb, classroom
from crmlab.system.engine import Desk
from helpers import bilingual

ROSTER = pd.DataFrame({
    "学号": ["S01", "S02", "S03", "S04", "S05", "E01"],
    "姓名": ["王芳", "李雷", "赵敏", "钱多", "孙悟", "刘工程"],
    "角色": ["业务员", "业务员", "评估人", "评估人", "业务员", "服务工程师"],
    "小组": ["一组", "一组", "一组", "二组", "二组", "服务组"],
})
REFUSED = (sa.exc.ProgrammingError, sa.exc.InternalError, sa.exc.OperationalError, sa.exc.NotSupportedError)


@pytest.fixture(scope="module")
def template(pg_url):
    """A played class database, built once: S01 finished the rep's steps with S03 evaluating, S05
    submitted to S04, E01 accepted a work order. Returns (template name, student → 连接串)."""
    name = new_pg_database(pg_url, prefix="tpl_")
    url = database_url(pg_url, name)
    crm = classroom.open_class(url)
    sheet = classroom.load_roster(crm, ROSTER).attrs["credentials"]
    logins = dict(zip(sheet["学号"], sheet["连接串"]))
    service = classroom.serve(url)
    desks = {s: classroom.connect(logins[s], s) for s in ("S01", "S03", "S04", "S05", "E01")}
    classroom.autoplay(desks["S01"], evaluator="S03")
    crm.tick(minutes=10)
    classroom.autoplay(desks["S03"])
    crm.tick(minutes=10)
    classroom.autoplay(desks["S01"])
    classroom.autoplay(desks["S05"], evaluator="S04")
    classroom.dispatch_requests(crm)
    classroom.autoplay(desks["E01"])
    for d in desks.values():
        d.crm.close()
    service.stop()
    crm.close()
    yield name, logins
    drop_pg_database(pg_url, name)


@pytest.fixture
def served(pg_url, template):
    """(teacher's CRM, student → URL of their own login, the running classroom service) on a fresh copy
    of the played class."""
    tpl, logins = template
    name = new_pg_database(pg_url, template=tpl)
    url = database_url(pg_url, name)
    crm = classroom.open_class(url)
    service = classroom.serve(url)
    mine = {s: sa.engine.make_url(u).set(database=name).render_as_string(hide_password=False)
            for s, u in logins.items()}
    try:
        yield crm, mine, service
    finally:
        service.stop()
        crm.close()
        drop_pg_database(pg_url, name)


@pytest.fixture
def klass(served):
    """(teacher's CRM, student → URL of their own login), the classroom service running."""
    return served[:2]


def _grades(crm):
    return classroom.grade_from_db(crm).set_index("student")


def _sql_refused(url, *statements):
    """Each statement, on its own connection as the student, is refused for lack of privilege."""
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        for sql in statements:
            with eng.connect() as con:
                with pytest.raises(REFUSED) as info:
                    con.execute(sa.text(sql))
                assert getattr(info.value.orig, "sqlstate", "") == "42501", (sql, info.value)
    finally:
        eng.dispose()


def _opp(crm, student):
    return crm.documents(user=student, doc_type="opportunity")["no"].iloc[0]


# ------------------------------------------------------------------- 1. the student's URL is no superuser
def test_a_students_login_is_neither_superuser_nor_owner(klass):
    crm, logins = klass
    before, grades = fingerprint(crm), _grades(crm)
    eng = sa.create_engine(logins["S01"])
    with eng.connect() as con:
        me = con.execute(sa.text("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                                 "WHERE rolname = current_user")).one()
        assert tuple(me) == (False, False, False)
        assert con.execute(sa.text("SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
                                   "WHERE tablename = 'documents'")).scalar() is False
    eng.dispose()
    _sql_refused(logins["S01"],
                 "COPY (SELECT 1) TO PROGRAM 'id -un > /tmp/crm-pwned'",
                 "COPY documents FROM PROGRAM 'id -un'",
                 "COPY documents TO '/tmp/crm-stolen.csv'",
                 "SELECT pg_read_file('/etc/passwd')",
                 "SELECT pg_ls_dir('.')",
                 "SELECT lo_import('/etc/passwd')",
                 "CREATE ROLE evil LOGIN SUPERUSER",
                 "CREATE ROLE evil2 LOGIN",
                 "ALTER ROLE CURRENT_USER SUPERUSER",
                 "ALTER ROLE CURRENT_USER CREATEROLE",
                 "SET SESSION AUTHORIZATION crmlab",
                 f"SET ROLE \"{sa.engine.make_url(logins['S03']).username}\"",
                 "DROP TABLE audit_log",
                 "DROP TABLE documents CASCADE",
                 "ALTER TABLE documents DISABLE ROW LEVEL SECURITY",
                 "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                 "ALTER TABLE documents ADD COLUMN x int",
                 "DROP POLICY crm_read ON documents",
                 "DROP TRIGGER crm_stamp ON audit_log",
                 "CREATE TABLE stash (x int)",
                 "CREATE OR REPLACE FUNCTION crm_me() RETURNS text LANGUAGE sql AS $$ SELECT 'S03' $$",
                 "CREATE DATABASE evil",
                 "TRUNCATE audit_log",
                 "TRUNCATE documents CASCADE",
                 f"GRANT crmlab_student TO \"{sa.engine.make_url(logins['S02']).username}\"",
                 "SELECT * FROM classroom_logins",
                 "INSERT INTO classroom_logins VALUES ('x', 'S03')",
                 "UPDATE classroom_requests SET state = 'new'",
                 "DELETE FROM classroom_requests",
                 "TRUNCATE classroom_requests",
                 "SELECT nextval('audit_log_id_seq')",
                 "SELECT * FROM documents FOR UPDATE",                 # no row locks that make the class wait
                 "BEGIN; LOCK TABLE counters IN EXCLUSIVE MODE",
                 "UPDATE users SET role = 'admin' WHERE login = 'S01'",
                 "UPDATE users SET dept_id = (SELECT dept_id FROM users WHERE login = 'S04') WHERE login = 'S01'")
    assert fingerprint(crm) == before
    pd.testing.assert_frame_equal(_grades(crm), grades)


# ------------------------------------------------------------------- 2. anyone can act as anyone
def test_a_student_can_act_only_as_themself(klass):
    crm, logins = klass
    before, grades = fingerprint(crm), _grades(crm)
    s05 = classroom.connect(logins["S05"], "S05")
    opp = _opp(crm, "S05")                                    # submitted to S04, not evaluated yet
    for who in ("S04", "admin", "S01"):
        with pytest.raises(PermissionDenied) as info:
            s05.crm.login(who)
        assert info.value.code == "NOT_YOURSELF" and "不能以" in str(info.value)
    with pytest.raises(PermissionDenied) as info:
        classroom.connect(logins["S05"], "S04")               # S05's login, S04's 学号
    assert info.value.code == "NOT_YOUR_LOGIN" and "这个数据库账号属于 S05" in str(info.value)
    # around the Python check: a desk made by hand, the engine's own run — the database refuses
    for who, act in (("S04", lambda d: d.evaluate(opp, "pass")),
                     ("admin", lambda d: d.add_user("X99", "冒名", "sales_manager")),
                     ("S01", lambda d: d.new_lead("冒名线索", source="网站", customer_name="冒名公司", contact_name="乙"))):
        with pytest.raises(PermissionDenied) as info:
            act(Desk(s05.crm, who))
        assert info.value.code == "DB_REFUSED" and "班级数据库拒绝了该操作" in str(info.value)
    s05.crm.close()
    _sql_refused(logins["S05"],
                 "INSERT INTO audit_log (at, user_login, role, action, doc_type, doc_no) VALUES "
                 f"(now(), 'S04', 'sales_manager', 'evaluate_pass', 'opportunity', '{opp}')",
                 "INSERT INTO documents (no, doc_type, status, owner_id, total, audit_step, created_at, created_by, "
                 "updated_at, data, version) SELECT 'XS999999', 'lead', 'saved', id, 0, 0, now(), 'S01', now(), '{}', 1 "
                 "FROM users WHERE login = 'S01'")
    assert fingerprint(crm) == before
    g = _grades(crm)
    pd.testing.assert_frame_equal(g, grades)
    assert crm.doc(opp)["status"] == "evaluating"


# ------------------------------------------------------------------- 3. the audit log cannot be forged
def test_the_audit_log_cannot_be_moved_or_forged_and_grades_do_not_move(klass, tmp_path):
    crm, logins = klass
    grades = _grades(crm)
    assert grades.loc["S01", "total"] == 100 and grades.loc["S05", "total"] == 35 and grades.loc["S02", "total"] == 0
    log_before = crm.audit_log()
    opp01 = _opp(crm, "S01")
    _sql_refused(logins["S02"],
                 "UPDATE audit_log SET user_login = 'S02' WHERE user_login = 'S01'",      # take S01's work
                 "DELETE FROM audit_log WHERE user_login = 'S01'",                        # erase it
                 "UPDATE audit_log SET at = at + interval '400 days' WHERE user_login = 'S03'",
                 "INSERT INTO audit_log (at, user_login, role, action) VALUES (now(), 'S01', 'sales_rep', 'new_lead')",
                 # not even in the student's own name: only the classroom service writes the log
                 *(f"INSERT INTO audit_log (at, user_login, role, action, doc_type, doc_no) VALUES "
                   f"(now(), 'S02', 'sales_rep', '{a}', '{t}', '{opp01}')"
                   for a, t in (("new_lead", "lead"), ("convert_lead", "opportunity"), ("win", "opportunity"))))
    pd.testing.assert_frame_equal(crm.audit_log(), log_before)
    after = _grades(crm)
    pd.testing.assert_frame_equal(after, grades)
    book = classroom.grade_command("04_system", crm.url, tmp_path / "gb.csv")     # crmlab grade … --from-db URL
    assert book["total"].tolist() == grades["total"].tolist()
    # every audit entry of the played class was written by the service or the teacher, not a student login
    with crm.engine.connect() as con:
        writers = set(con.execute(sa.text("SELECT DISTINCT db_user FROM audit_log WHERE db_user IS NOT NULL")).scalars())
        assert writers and not writers & set(_classdb.logins(con).values())


def test_the_old_hole_own_rows_and_a_matching_audit_entry_with_sql_is_refused(klass):
    """Issue 17's last hole: a rep's own opportunity changed with SQL and a matching audit entry of their
    own in the same transaction looked like a real action. Now the login writes no table at all."""
    crm, logins = klass
    before, grades, log = fingerprint(crm), _grades(crm), crm.audit_log()
    opp = _opp(crm, "S05")
    stages = crm.method().codes
    eng = sa.create_engine(logins["S05"])
    for statements in (
            [f"UPDATE opportunities SET status = 'won', stage = '{stages[-1]}' WHERE no = '{opp}'",
             f"UPDATE documents SET status = 'won' WHERE no = '{opp}'",
             *(f"INSERT INTO audit_log (at, user_login, role, action, doc_type, doc_no) VALUES "
               f"(now(), 'S05', 'sales_rep', '{a}', 'opportunity', '{opp}')" for a in ["advance"] * 4 + ["win"])],
            [f"INSERT INTO audit_log (at, user_login, role, action, doc_type, doc_no) VALUES "
             f"(now(), 'S05', 'sales_rep', 'win', 'opportunity', '{opp}')"],
            [f"UPDATE opportunities SET need = 'x' WHERE no = '{opp}'"],
            [f"DELETE FROM doc_lines WHERE doc_no = '{opp}'"]):
        with pytest.raises(REFUSED) as info:
            with eng.begin() as con:
                for sql in statements:
                    con.execute(sa.text(sql))
        assert info.value.orig.sqlstate == "42501" and "permission denied" in str(info.value.orig)
    eng.dispose()
    assert fingerprint(crm) == before
    pd.testing.assert_frame_equal(crm.audit_log(), log)
    pd.testing.assert_frame_equal(_grades(crm), grades)
    assert grades.loc["S05", "total"] == 35 and crm.doc(opp)["status"] == "evaluating"


# ------------------------------------------------------------------- 4. clock sabotage
def test_only_the_teacher_moves_the_class_clock(klass):
    crm, logins = klass
    grades = classroom.grade_from_db(crm, deadline=crm.now).set_index("student")
    now = crm.now
    s02 = classroom.connect(logins["S02"], "S02")
    for move in (lambda c: c.tick(days=400), lambda c: c.set_clock(now + dt.timedelta(days=400))):
        with pytest.raises(PermissionDenied) as info:
            move(s02.crm)
        assert info.value.code == "CLASS_CLOCK" and "只有老师可以调整班级时钟" in str(info.value)
    _sql_refused(logins["S02"], "UPDATE classroom_clock SET now = now + interval '400 days'",
                 "DELETE FROM classroom_clock", "INSERT INTO classroom_clock VALUES (2, now(), true)")
    s02.crm.now = now + dt.timedelta(days=400)                 # the desk's own clock, moved by hand
    s02.new_lead("线索", source="网站", customer_name="李雷的客户", contact_name="乙")
    at = pd.to_datetime(crm.audit_log(user="S02")["at"]).max()
    assert at == pd.Timestamp(now)                             # the database stamps the class clock
    s02.crm.close()
    s01 = classroom.connect(logins["S01"], "S01")
    assert s01.crm.sync_clock() == now
    s01.crm.close()
    after = classroom.grade_from_db(crm, deadline=now).set_index("student")
    assert not after["late"].any() and after["late"].tolist() == grades["late"].tolist()
    assert after.loc["S02", "total"] == grades.loc["S02", "total"] + 5                # the honest lead counts
    crm.tick(hours=1)                                          # the teacher's clock moves everyone
    s01 = classroom.connect(logins["S01"], "S01")
    assert s01.crm.now == now + dt.timedelta(hours=1)
    s01.crm.close()


# ------------------------------------------------------------------- record rules in the database
def test_plain_sql_sees_what_the_record_rules_allow(klass):
    crm, logins = klass
    opp01, opp05 = _opp(crm, "S01"), _opp(crm, "S05")
    for sid in ("S01", "S02", "S03", "S04", "S05", "E01"):
        desk = classroom.connect(logins[sid], sid)
        eng = desk.crm.engine
        with eng.connect() as con:
            seen = set(con.execute(sa.text("SELECT no FROM documents")).scalars())
        assert seen == set(desk.documents()["no"]), sid                # the database = the engine's rules
        desk.crm.close()
    seen = {}
    for sid in ("S02", "S04", "E01"):
        eng = sa.create_engine(logins[sid])
        with eng.begin() as con:
            seen[sid] = {t: con.execute(sa.text(f"SELECT count(*) FROM {t} WHERE {c} = :n"), {"n": opp01}).scalar()
                         for t, c in (("documents", "no"), ("opportunities", "no"), ("doc_lines", "doc_no"),
                                      ("opp_stages", "opp_no"), ("evaluations", "opp_no"), ("audit_log", "doc_no"))}
        eng.dispose()
        _sql_refused(logins[sid], f"UPDATE documents SET subject = 'x' WHERE no = '{opp01}'",
                     f"UPDATE opportunities SET need = 'x' WHERE no = '{opp01}'",
                     f"DELETE FROM doc_lines WHERE doc_no = '{opp01}'")
    assert all(v == 0 for s in seen.values() for v in s.values()), seen
    eng = sa.create_engine(logins["S04"])                            # S04 is named evaluator of S05's opp
    with eng.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM documents WHERE no = :n"), {"n": opp05}).scalar() == 1
        assert con.execute(sa.text("SELECT count(*) FROM customers")).scalar() > 0      # customers: company-wide
    eng.dispose()
    eng = sa.create_engine(logins["E01"])
    with eng.connect() as con:
        types = set(con.execute(sa.text("SELECT doc_type FROM documents")).scalars())
    eng.dispose()
    assert types and types <= {"work_order", "service_request", "product_archive", "handling"}


def test_a_student_cannot_move_documents_to_another_owner(klass):
    """S03 (一组's evaluator) may change S01's opportunity, but not give it to someone else."""
    crm, logins = klass
    before, grades = fingerprint(crm), _grades(crm)
    opp = _opp(crm, "S01")
    _sql_refused(logins["S03"],
                 f"UPDATE documents SET owner_id = (SELECT id FROM users WHERE login = 'S03') WHERE no = '{opp}'",
                 f"UPDATE opportunities SET owner_id = (SELECT id FROM users WHERE login = 'S03') WHERE no = '{opp}'",
                 f"UPDATE documents SET created_by = 'S02' WHERE no = '{opp}'",
                 f"UPDATE evaluations SET evaluator = 'S04' WHERE opp_no = '{opp}'",
                 # nor make a document in someone else's name
                 "INSERT INTO documents (no, doc_type, status, owner_id, dept_id, total, audit_step, created_at, "
                 "created_by, updated_at, data, version) SELECT 'SJ999999', 'opportunity', 'won', id, dept_id, 0, 0, "
                 "now(), 'S03', now(), '{}', 1 FROM users WHERE login = 'S01'")
    assert fingerprint(crm) == before
    pd.testing.assert_frame_equal(_grades(crm), grades)


def test_document_numbers_cannot_be_moved_back(klass):
    crm, logins = klass
    before = fingerprint(crm)
    _sql_refused(logins["S01"], "UPDATE counters SET last = 0", "DELETE FROM counters")
    assert fingerprint(crm) == before


def test_a_whole_class_plays_with_its_own_logins(klass):
    """Every student on their own login through the whole scenario: the rules in the database never
    refuse an honest action, and the grades are those of the engine."""
    crm, logins = klass
    s03 = classroom.connect(logins["S03"], "S03")
    s04 = classroom.connect(logins["S04"], "S04")
    s05 = classroom.connect(logins["S05"], "S05")
    s02 = classroom.connect(logins["S02"], "S02")
    classroom.autoplay(s04)                                          # evaluates S05's opportunity
    classroom.autoplay(s05)
    classroom.autoplay(s02, evaluator="S04")                         # a rep of 一组 names 二组's evaluator
    classroom.autoplay(s04)
    classroom.autoplay(s02)
    opp = _opp(crm, "S05")
    v = s05.get(opp)["version"]
    assert s05.documents("opportunity")["no"].tolist() == [opp]
    g = _grades(crm)
    assert g.loc[["S01", "S02", "S03", "S04", "S05", "E01"], "total"].tolist() == [100, 100, 100, 100, 100, 100]
    mine = classroom.progress(s05.crm)                               # a student's own view works too
    assert mine.query("student == 'S05'")["done"].all() and not mine.query("student == 'S01'")["done"].any()
    assert g["problems"].eq("").all(), g["problems"]
    assert crm.check_invariants() == [] and crm.doc(opp)["version"] == v
    for d in (s02, s03, s04, s05):
        d.crm.close()


def test_the_protections_are_installed_once_and_need_a_login_that_makes_roles(klass, pg_url):
    crm, _ = klass
    assert _classdb.secure(crm.engine) is False                  # already there: open_class locks nothing
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    who, name = f"teacher_{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as con:                                  # a school's login: owns its database, no CREATEROLE
        con.execute(sa.text(f'CREATE ROLE "{who}" LOGIN'))
        con.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{who}"'))
    url = sa.engine.make_url(pg_url).set(username=who, database=name).render_as_string(hide_password=False)
    try:
        school = classroom.open_class(url)
        assert school.secured()
        before = fingerprint(school)
        with pytest.raises(GuardFailed) as info:
            classroom.load_roster(school, ROSTER)
        assert info.value.code == "NEEDS_CREATEROLE" and "CREATEROLE" in str(info.value) and "未写入" in str(info.value)
        assert fingerprint(school) == before and classroom.roster(school).empty
        school.close()
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            con.execute(sa.text(f'DROP OWNED BY "{who}"'))
            con.execute(sa.text(f'DROP ROLE IF EXISTS "{who}"'))
        admin.dispose()


def test_a_roster_never_takes_over_an_existing_login(klass, pg_url):
    """A 学号 whose login name is already somebody's role (here the harness superuser's lookalike) is refused."""
    crm, _ = klass
    db = crm.engine.url.database
    victim = _classdb.login_role(db, "boss")
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE ROLE "{victim}" LOGIN CREATEDB'))
    try:
        before = fingerprint(crm)
        with pytest.raises(classroom.RosterError) as info:
            classroom.load_roster(crm, pd.concat([ROSTER, pd.DataFrame(
                {"学号": ["boss"], "姓名": ["老板"], "角色": ["业务员"], "小组": ["三组"]})]))
        assert info.value.problems["student_id"].tolist() == ["boss"] and "已被服务器上的其他角色占用" in str(info.value)
        with admin.connect() as con:
            assert con.execute(sa.text("SELECT rolcreatedb FROM pg_roles WHERE rolname = :r"), {"r": victim}).scalar()
            assert not con.execute(sa.text("SELECT pg_has_role(:r, 'crmlab_student', 'MEMBER')"), {"r": victim}).scalar()
        assert fingerprint(crm) == before                                # nothing written
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP ROLE IF EXISTS "{victim}"'))
        admin.dispose()


# ------------------------------------------------------------------- the classroom service
def _raw_request(url, method, args=(), kwargs=None, body=None, **columns):
    """Insert a request with plain SQL as the student (any columns they like), wait for the service;
    returns the request's row as the student reads it back."""
    body = body or json.dumps({"args": list(args), "kwargs": kwargs or {}})
    values = {"method": method, "args": body, **columns}
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as con:
            rid = con.execute(sa.text(f"INSERT INTO classroom_requests ({', '.join(values)}) VALUES "
                                      f"({', '.join(':' + k for k in values)}) RETURNING id"), values).scalar()
            for _ in range(200):
                row = con.execute(sa.text("SELECT * FROM classroom_requests WHERE id = :i"), {"i": rid}).mappings().one()
                if row["state"] in ("done", "failed"):
                    return dict(row)
                time.sleep(0.1)
    finally:
        eng.dispose()
    raise AssertionError(f"request {rid} not answered")


def test_a_forged_request_is_stamped_with_the_real_login(klass):
    crm, logins = klass
    s04_role = sa.engine.make_url(logins["S04"]).username
    s05_role = sa.engine.make_url(logins["S05"]).username
    row = _raw_request(logins["S05"], "new_lead", ["冒名线索"],
                       {"source": "网站", "customer_name": "冒名公司", "contact_name": "乙"},
                       login=s04_role, student_id="S04", state="done", result='"XS999999"', worker=1, wait=1000)
    assert (row["login"], row["student_id"], row["state"], row["wait"]) == (s05_role, "S05", "done", 120)
    lead = json.loads(row["result"])
    assert crm.doc(lead)["owner"] == "S05"                                   # run as the real login
    assert crm.audit_log(doc_no=lead)["user_login"].tolist() == ["S05"]
    eng = sa.create_engine(logins["S04"])                                     # S04 reads only their own requests
    with eng.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM classroom_requests")).scalar() == 0
    eng.dispose()


def test_only_desk_actions_are_run_by_the_service(klass):
    crm, logins = klass
    before, grades = fingerprint(crm), _grades(crm)
    for method in ("_do", "crm", "documents", "get", "__init__", "login", "user", "drop_schema", "tick", "_run"):
        row = _raw_request(logins["S02"], method, [])
        assert row["state"] == "failed", method
        err = classroom._classserver._error(row["error"])
        assert type(err) is PermissionDenied and err.code == "NOT_AN_ACTION", (method, err)
        assert "不是工作台的操作" in bilingual(err)
    row = _raw_request(logins["S02"], "new_lead", ["线索"], {"bogus": 1})           # an action, wrong arguments
    err = classroom._classserver._error(row["error"])
    assert type(err) is InvalidValue and err.code == "BAD_REQUEST" and bilingual(err)
    row = _raw_request(logins["S02"], "new_lead", body="not json")
    assert type(classroom._classserver._error(row["error"])) is InvalidValue
    s02 = classroom.connect(logins["S02"], "S02")
    with pytest.raises(PermissionDenied) as info:                                     # an admin's action
        s02.add_user("X99", "冒名", "sales_manager")
    bilingual(info)
    with pytest.raises(PermissionDenied) as info:
        classroom._classserver.request(s02.crm, "_do", [None])
    assert info.value.code == "NOT_AN_ACTION"
    s02.crm.close()
    assert fingerprint(crm) == before
    pd.testing.assert_frame_equal(_grades(crm), grades)


def test_when_the_service_is_down_the_student_is_told_and_nothing_happens(served):
    crm, logins, service = served
    service.stop()
    before = fingerprint(crm)
    s02 = classroom.connect(logins["S02"], "S02", wait=1)
    t = time.monotonic()
    with pytest.raises(classroom.ServiceUnavailable) as info:
        s02.new_lead("线索", source="网站", customer_name="李雷的客户", contact_name="乙")
    assert time.monotonic() - t < 5
    msg = bilingual(info)
    assert info.value.code == "SERVICE_DOWN" and "班级服务没有运行" in msg and "请告诉老师" in msg
    assert "the classroom service is not running" in msg
    assert s02.documents().empty and fingerprint(crm) == before                    # reads still work
    again = classroom.serve(crm.url)                                               # the teacher starts it
    try:
        time.sleep(1.5)
        assert fingerprint(crm) == before                                          # the expired request never runs
        lead = s02.new_lead("线索", source="网站", customer_name="李雷的客户", contact_name="乙")
        assert crm.doc(lead)["owner"] == "S02"
    finally:
        again.stop()
        s02.crm.close()


def _caught(call):
    try:
        call()
    except Exception as err:                  # noqa: BLE001 - compared below
        return err
    raise AssertionError("no error")


def test_errors_keep_their_class_code_and_details_across_the_wire(klass):
    """The same refused call on the student's desk (through the service) and on a desk acting directly
    (the teacher's connection): the same error class, code, message and attributes."""
    crm, logins = klass
    s04 = classroom.connect(logins["S04"], "S04")
    s02 = classroom.connect(logins["S02"], "S02")
    assert isinstance(s04, classroom.RemoteDesk) and isinstance(s04, Desk) and repr(s04) == repr(crm.login("S04"))
    opp01, opp05 = _opp(crm, "S01"), _opp(crm, "S05")
    v05 = crm.doc(opp05)["version"]
    calls = {
        "S04": [lambda d: d.set_potential(opp05, need="x", expected_version=v05 - 1),          # StaleRecord
                lambda d: d.set_potential(opp01, need="x"),                                    # another team's
                lambda d: d.set_potential(opp05, need="x", expected_version="abc"),
                lambda d: d.audit("KH999999"),
                lambda d: d.advance(opp05)],
        "S02": [lambda d: d.evaluate(opp05, "pass"),
                lambda d: d.new_lead("  ", source="网站", customer_name="甲", contact_name="乙")],
    }
    kinds = set()
    for sid, remote in (("S04", s04), ("S02", s02)):
        direct = crm.login(sid)
        for call in calls[sid]:
            a, b = _caught(lambda: call(remote)), _caught(lambda: call(direct))
            kinds.add(type(a))
            assert type(a) is type(b) and str(a) == str(b) and vars(a) == vars(b), (a, b)
            if hasattr(b, "code"):
                bilingual(a)
    assert {StaleRecord, PermissionDenied, InvalidValue, NotFound} <= kinds, kinds
    stale = _caught(lambda: s04.set_potential(opp05, need="x", expected_version=v05 - 1))
    assert (stale.expected, stale.actual, stale.changed_by) == (v05 - 1, v05, "S05")
    assert any(issubclass(k, IllegalTransition) or issubclass(k, opportunity.IllegalTransition) for k in kinds), kinds
    with crm.engine.connect() as con:                                      # a wrong call fails locally: no request
        n = con.execute(sa.text("SELECT count(*) FROM classroom_requests")).scalar()
    with pytest.raises(TypeError):
        s02.new_lead("线索")                                                  # source is required
    with pytest.raises(InvalidValue) as info:
        s02.new_lead("线索", source=object())                                 # cannot be sent
    assert info.value.code == "NOT_SENDABLE" and bilingual(info)
    with crm.engine.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM classroom_requests")).scalar() == n
    for d in (s02, s04):
        d.crm.close()


def test_a_student_login_has_session_limits(klass):
    _, logins = klass
    eng = sa.create_engine(logins["S01"])
    with eng.connect() as con:
        got = {k: con.execute(sa.text(f"SHOW {k}")).scalar() for k in _classdb.STUDENT_LIMITS}
    eng.dispose()
    assert got == _classdb.STUDENT_LIMITS


def test_the_service_runs_only_with_the_teachers_login_on_postgresql(klass, tmp_path):
    _, logins = klass
    with pytest.raises(GuardFailed) as info:
        classroom.serve(logins["S01"])                                    # a student's login is not the teacher's
    assert info.value.code == "NOT_THE_TEACHER" and bilingual(info)
    with pytest.raises(GuardFailed) as info:
        classroom.serve(f"sqlite:///{tmp_path / 'class.db'}")
    assert info.value.code == "NEEDS_POSTGRES" and bilingual(info)
