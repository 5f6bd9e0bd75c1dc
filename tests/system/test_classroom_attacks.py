"""Attacks on the classroom mode (issue 17) against the real PostgreSQL of ``.ci/services``.

The harness's superuser URL (CRMLAB_TEST_PG_URL) is the teacher here: it builds a class database
(demo company, ROSTER, one login per student); every attack then runs on a student's own login,
through the desk, through ``desk.crm.engine`` or with plain SQL — and must be refused, change
nothing and move no grade.
"""
import datetime as dt
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import database_url, drop_pg_database, new_pg_database
from syshelpers import fingerprint

from crmlab.system import GuardFailed, PermissionDenied, _classdb, classroom
from crmlab.system.engine import Desk

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
    crm.close()
    yield name, logins
    drop_pg_database(pg_url, name)


@pytest.fixture
def klass(pg_url, template):
    """(teacher's CRM, student → URL of their own login) on a fresh copy of the played class."""
    tpl, logins = template
    name = new_pg_database(pg_url, template=tpl)
    url = database_url(pg_url, name)
    crm = classroom.open_class(url)
    mine = {s: sa.engine.make_url(u).set(database=name).render_as_string(hide_password=False)
            for s, u in logins.items()}
    try:
        yield crm, mine
    finally:
        crm.close()
        drop_pg_database(pg_url, name)


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
                 "SELECT * FROM classroom_journal",
                 "DELETE FROM classroom_journal",
                 "INSERT INTO classroom_logins VALUES ('x', 'S03')",
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
    _sql_refused(logins["S02"],
                 "UPDATE audit_log SET user_login = 'S02' WHERE user_login = 'S01'",      # take S01's work
                 "DELETE FROM audit_log WHERE user_login = 'S01'",                        # erase it
                 "UPDATE audit_log SET at = at + interval '400 days' WHERE user_login = 'S03'",
                 "INSERT INTO audit_log (at, user_login, role, action) VALUES (now(), 'S01', 'sales_rep', 'new_lead')")
    pd.testing.assert_frame_equal(crm.audit_log(), log_before)
    # rows S02 may insert (as S02): stamped by the server, and not evidence of anything
    eng = sa.create_engine(logins["S02"])
    opp01 = _opp(crm, "S01")
    with eng.begin() as con:
        for action, doc_type in (("new_lead", "lead"), ("convert_lead", "opportunity"), ("set_potential", "opportunity"),
                                 ("add_interest", "opportunity"), ("submit_evaluation", "opportunity"),
                                 ("new_activity", "activity"), ("complete_task", "task"), ("push_down_quote", "quote"),
                                 ("win", "opportunity")):
            con.execute(sa.text("INSERT INTO audit_log (id, at, user_login, role, action, doc_type, doc_no) VALUES "
                                "(1, '2020-01-01', 'S02', 'admin', :a, :t, :n)"), {"a": action, "t": doc_type, "n": opp01})
    eng.dispose()
    forged = crm.audit_log(user="S02")
    assert len(forged) == 9 and forged["role"].eq("sales_rep").all()
    assert pd.to_datetime(forged["at"]).eq(pd.Timestamp(crm.now)).all()           # the class clock, not 2020
    after = _grades(crm)
    assert after["total"].tolist() == grades["total"].tolist()                       # nobody moved
    assert after.loc["S02", "total"] == 0 and "请人工复核 (review by hand)" in after.loc["S02", "problems"]
    assert "9 audit entries without any change" in after.loc["S02", "problems"]
    assert after.loc["S01", "problems"] == grades.loc["S01", "problems"]
    book = classroom.grade_command("04_system", crm.url, tmp_path / "gb.csv")     # crmlab grade … --from-db URL
    assert book["total"].tolist() == grades["total"].tolist() and "请人工复核" in book.set_index("student").loc["S02", "problems"]


def test_a_change_written_with_sql_outside_the_crm_is_flagged(klass):
    crm, logins = klass
    grades = _grades(crm)
    opp = _opp(crm, "S05")
    eng = sa.create_engine(logins["S05"])
    with eng.begin() as con:                                  # S05's own opportunity: allowed, but not an action
        n = con.execute(sa.text("UPDATE opportunities SET status = 'won', stage = 'signing' WHERE no = :n"),
                        {"n": opp}).rowcount
    eng.dispose()
    assert n == 1
    after = _grades(crm)
    assert after["total"].tolist() == grades["total"].tolist()
    assert "1 change(s) of CRM data written with SQL outside the CRM's actions" in after.loc["S05", "problems"]
    assert "请人工复核" in after.loc["S05", "problems"] and after.loc["S01", "problems"] == ""


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
            assert con.execute(sa.text("UPDATE documents SET subject = 'x' WHERE no = :n"), {"n": opp01}).rowcount == 0
            assert con.execute(sa.text("UPDATE opportunities SET need = 'x' WHERE no = :n"), {"n": opp01}).rowcount == 0
            assert con.execute(sa.text("DELETE FROM doc_lines WHERE doc_no = :n"), {"n": opp01}).rowcount == 0
        eng.dispose()
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
