"""The database side of the classroom's security (PostgreSQL): who is acting, what they may read,
the requests they may send, the audit log and the class clock — enforced by PostgreSQL itself.

:func:`secure` (run by the teacher's :func:`crmlab.system.classroom.open_class`, as the owner of
the tables) declares it, idempotently:

* one NOLOGIN group role ``crmlab_student`` holds the students' privileges; each student logs in
  with their own LOGIN role (:func:`create_login`, a member of the group), mapped to their 学号 in
  ``classroom_logins``; ``crm_me()`` is the CRM login of the session (``session_user``), so a
  student's connection can only ever act as that student;
* students write **no** CRM table: every table is read-only for them (SELECT only), under
  row-level security: documents and their child rows are visible only as the read record rules say (:data:`crmlab.system.permissions.PERMISSIONS` ``(type,
  "read")``, copied into ``classroom_read_rules``: reps their own, managers their department,
  evaluators what they are named to evaluate and what they evaluated, engineers their
  assignments); customers and base data are company-wide; nothing without an identity;
* a student's only write is a request (``classroom_requests``: a desk method and its JSON
  arguments) whose login, 学号, state and times the database fills in (a trigger, from
  ``session_user``); a student reads only their own requests. The classroom service
  (:mod:`crmlab.system._classserver`, the teacher's login) runs them through the engine;
* the audit log is written only by the owner's login (the service, the teacher); a trigger stamps
  each row's ``db_user`` and ``txid``; students may only read it (their own and what they see);
* only the teacher (the tables' owner) moves ``classroom_clock``; document counters never go back;
* each student login has a ``statement_timeout``, ``lock_timeout`` and
  ``idle_in_transaction_session_timeout`` (:data:`STUDENT_LIMITS`).

The teacher's login owns the tables, so row-level security does not apply to it (dashboard,
grading, roster, the classroom service).
"""
from __future__ import annotations

import hashlib
import secrets
import string

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from . import models as m
from . import permissions as perm

GROUP = "crmlab_student"
#: Tables students may not touch at all (the teacher's bookkeeping).
PRIVATE = ("classroom_logins", "classroom_read_rules")
#: The one table students may write (INSERT only): their requests to the classroom service.
REQUESTS = "classroom_requests"
#: Child tables of a document: table → column naming the document.
DOC_CHILDREN = {"opportunities": "no", "doc_lines": "doc_no", "audit_steps": "doc_no", "opp_stages": "opp_no",
                "evaluations": "opp_no", "check_ins": "doc_no", "survey_responses": "survey_no"}
#: Session limits of every student login: one student's forgotten transaction or endless query does
#: not hold the class up (a student may lower them in their own session, not the worker's).
STUDENT_LIMITS = {"statement_timeout": "15s", "lock_timeout": "5s", "idle_in_transaction_session_timeout": "30s"}


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def new_password(n: int = 12) -> str:
    """A random password of letters and digits without look-alikes (0/O, 1/l/I): easy to type from paper."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    return "".join(secrets.choice(alphabet) for _ in range(n))


def login_role(database: str, student_id: str) -> str:
    """The PostgreSQL login of a student of the class database ``database``: ``<database>_<学号>``
    (roles are shared by every database of a server, so the database name keeps classes apart)."""
    name = f"{database}_{student_id}"
    if len(name.encode("utf-8")) > 63:
        name = f"crm{hashlib.sha1(database.encode('utf-8')).hexdigest()[:8]}_{student_id}"
    return name


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def secured(con: Connection) -> bool:
    """Whether the class database has the security layer (the function ``crm_me``)."""
    return con.execute(text("SELECT to_regprocedure('crm_me()') IS NOT NULL")).scalar()


def whoami(con: Connection) -> tuple[str | None, bool]:
    """(student id of this session or None, whether the session is the teacher's)."""
    row = con.execute(text("SELECT crm_me(), crm_teacher()")).one()
    return row[0], bool(row[1])


# --------------------------------------------------------------------------------------------- the SQL
def _functions(schema: str, owner: str) -> list[str]:
    sp = f"SET search_path = {ident(schema)}, pg_temp"
    return [
        f"""CREATE OR REPLACE FUNCTION crm_me() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER {sp} AS
            $$ SELECT student_id FROM classroom_logins WHERE db_role = session_user $$""",
        f"""CREATE OR REPLACE FUNCTION crm_teacher() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER {sp} AS
            $$ SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
                      OR pg_has_role(session_user, {literal(owner)}, 'MEMBER') $$""",
        f"""CREATE OR REPLACE FUNCTION crm_class_now() RETURNS timestamp LANGUAGE sql STABLE SECURITY DEFINER {sp} AS
            $$ SELECT CASE WHEN live THEN greatest(now, localtimestamp(0)) ELSE now END
               FROM classroom_clock WHERE id = 1 $$""",
        # the session's student, once per statement in the policies: (SELECT crm_uid()) is an InitPlan
        f"""CREATE OR REPLACE FUNCTION crm_uid() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER {sp} AS
            $$ SELECT u.id FROM classroom_logins l JOIN users u ON u.login = l.student_id
               WHERE l.db_role = session_user $$""",
        f"""CREATE OR REPLACE FUNCTION crm_dept() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER {sp} AS
            $$ SELECT u.dept_id FROM classroom_logins l JOIN users u ON u.login = l.student_id
               WHERE l.db_role = session_user $$""",
        # the document types the session's role reads with a scope (all, dept, own): the read record rules
        f"""CREATE OR REPLACE FUNCTION crm_types(want text) RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER {sp} AS
            $$ SELECT coalesce(array_agg(r.doc_type), '{{}}') FROM classroom_logins l
               JOIN users u ON u.login = l.student_id JOIN classroom_read_rules r ON r.role = u.role
               WHERE l.db_role = session_user AND r.scope = want $$""",
        f"""CREATE OR REPLACE FUNCTION crm_evaluates(d_no text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
            {sp} AS $$ SELECT EXISTS (SELECT 1 FROM opportunities o WHERE o.no = d_no AND o.evaluator = crm_me())
                           OR EXISTS (SELECT 1 FROM evaluations e WHERE e.opp_no = d_no AND e.evaluator = crm_me()) $$""",
        f"""CREATE OR REPLACE FUNCTION crm_sees_no(d_no text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER {sp}
            AS $$ SELECT CASE
                 WHEN EXISTS (SELECT 1 FROM documents d WHERE d.no = d_no)
                   THEN (SELECT {doc_rule("d.")} FROM documents d WHERE d.no = d_no)
                 WHEN EXISTS (SELECT 1 FROM customers c WHERE c.no = d_no) THEN crm_me() IS NOT NULL
                 ELSE false END $$""",
        # the audit log: written by the owner's login only (the classroom service, the teacher), stamped
        f"""CREATE OR REPLACE FUNCTION crm_stamp_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {sp} AS $$
            BEGIN
              IF crm_me() IS NOT NULL OR NOT crm_teacher() THEN
                RAISE EXCEPTION USING ERRCODE = '42501',
                  MESSAGE = '只有班级服务能写审计日志 / only the classroom service writes the audit log';
              END IF;
              NEW.db_user := session_user;
              NEW.txid := txid_current();
              RETURN NEW;
            END $$""",
        # a request: who and when from the database, whatever the student wrote; the service is woken
        f"""CREATE OR REPLACE FUNCTION crm_stamp_request() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {sp} AS $$
            BEGIN
              NEW.id := nextval(pg_get_serial_sequence('{REQUESTS}', 'id'));
              NEW.login := session_user;
              NEW.student_id := crm_me();
              NEW.wait := least(greatest(coalesce(NEW.wait, 10), 0.5), 120);
              NEW.state := 'new';
              NEW.created_at := clock_timestamp();
              NEW.expires_at := clock_timestamp() + make_interval(secs => NEW.wait);
              NEW.taken_at := NULL; NEW.worker := NULL; NEW.done_at := NULL; NEW.result := NULL; NEW.error := NULL;
              PERFORM pg_notify('crmlab_requests', NEW.id::text);
              RETURN NEW;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION crm_counter_forward() RETURNS trigger LANGUAGE plpgsql {sp} AS $$
            BEGIN
              IF NEW.last < OLD.last OR NEW.doc_type IS DISTINCT FROM OLD.doc_type THEN
                RAISE EXCEPTION USING ERRCODE = '42501',
                  MESSAGE = '单据编号只能向前 / document numbers only move forward';
              END IF;
              RETURN NEW;
            END $$""",
    ]


def doc_rule(p: str = "") -> str:
    """SQL condition on a ``documents`` row (columns prefixed ``p``): the session's student may read
    it — the read record rules of :data:`~crmlab.system.permissions.PERMISSIONS` as the engine's
    ``_visible_clause``: scope ``all``; ``dept`` (same department, or mine); ``own`` (mine: owner,
    assignee — executor, follower, handler —, or the opportunity's evaluator)."""
    keys = ", ".join(f"{p}data->>{literal(k)}" for k in _assignee_keys())
    mine = (f"({p}owner_id = (SELECT crm_uid()) OR (SELECT crm_me()) IN ({keys}) "
            f"OR ({p}doc_type = 'opportunity' AND crm_evaluates({p}no)))")
    return (f"({p}doc_type = ANY ((SELECT crm_types('all'))::text[]) "
            f"OR ({p}doc_type = ANY ((SELECT crm_types('dept'))::text[]) AND {p}dept_id = (SELECT crm_dept())) "
            f"OR (({p}doc_type = ANY ((SELECT crm_types('dept'))::text[]) OR {p}doc_type = ANY ((SELECT crm_types('own'))::text[])) "
            f"AND {mine}))")


def _assignee_keys() -> tuple[str, ...]:
    from .engine import ASSIGNEE_KEYS
    return ASSIGNEE_KEYS


def _tables(con: Connection, schema: str) -> list[str]:
    return list(con.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalars())


def _policies(table: str) -> list[str]:
    """The row-level-security policies of one table (students only: the owner bypasses them). Every
    policy but the requests' is FOR SELECT: students write no CRM table."""
    me = "(SELECT crm_me()) IS NOT NULL"
    g = ident(GROUP)
    t = ident(table)
    if table == REQUESTS:
        mine = "login = session_user"
        return [f"CREATE POLICY crm_read ON {t} FOR SELECT TO {g} USING ({mine})",
                f"CREATE POLICY crm_new ON {t} FOR INSERT TO {g} WITH CHECK ({mine} AND student_id IS NOT NULL)"]
    if table == "documents":
        sees = doc_rule()
    elif table in DOC_CHILDREN:
        sees = f"crm_sees_no({ident(DOC_CHILDREN[table])})"
    elif table == "doc_links":
        sees = "(crm_sees_no(src_no) OR crm_sees_no(dst_no))"
    elif table == "audit_log":
        sees = f"(user_login = (SELECT crm_me()) OR (doc_no IS NULL AND {me}) OR crm_sees_no(doc_no))"
    else:
        sees = me
    return [f"CREATE POLICY crm_read ON {t} FOR SELECT TO {g} USING ({sees})"]


def _grants(table: str) -> str | None:
    g, t = ident(GROUP), ident(table)
    if table in PRIVATE:
        return None
    if table == REQUESTS:
        return f"GRANT SELECT, INSERT ON {t} TO {g}"
    return f"GRANT SELECT ON {t} TO {g}"


def _requests_table() -> list[str]:
    """The requests to the classroom service (:mod:`crmlab.system._classserver`)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {REQUESTS} (id bigserial PRIMARY KEY, login text NOT NULL DEFAULT session_user, "
        "student_id varchar(20), method varchar(64) NOT NULL, args text NOT NULL, wait real NOT NULL DEFAULT 10, "
        "state varchar(10) NOT NULL DEFAULT 'new', created_at timestamptz NOT NULL DEFAULT clock_timestamp(), "
        "expires_at timestamptz, taken_at timestamptz, worker integer, done_at timestamptz, result text, error text, "
        "CONSTRAINT classroom_requests_size CHECK (octet_length(args) <= 1000000))",
        f"CREATE INDEX IF NOT EXISTS ix_classroom_requests_new ON {REQUESTS} (id) WHERE state = 'new'",
        f"CREATE INDEX IF NOT EXISTS ix_classroom_requests_running ON {REQUESTS} (worker) WHERE state = 'running'",
    ]


def _plan(schema: str, owner: str, db: str, tables: list[str]) -> list[str]:
    """Every statement of the security layer, in order (idempotent)."""
    g, sch = ident(GROUP), ident(schema)
    out = [
        "CREATE TABLE IF NOT EXISTS classroom_logins (db_role text PRIMARY KEY, student_id varchar(20) NOT NULL UNIQUE)",
        *_requests_table(),
        "CREATE TABLE IF NOT EXISTS classroom_read_rules (role text, doc_type text, scope text, PRIMARY KEY (role, doc_type))",
        "DELETE FROM classroom_read_rules",
        "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS db_user text",
        "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS txid bigint",
        "CREATE INDEX IF NOT EXISTS ix_audit_log_txid ON audit_log (txid)",
    ]
    rules = sorted((role, t, scope) for (t, action), row in perm.PERMISSIONS.items() if action == "read"
                   for role, scope in row.items() if scope)
    out.append("INSERT INTO classroom_read_rules VALUES " + ", ".join(
        f"({literal(r)}, {literal(t)}, {literal(sc)})" for r, t, sc in rules))
    out += _functions(schema, owner)
    crm_tables = {t.name for t in m.Base.metadata.sorted_tables}
    for table in sorted(set(tables) | set(PRIVATE) | {REQUESTS}):
        if (table not in crm_tables and not table.startswith("classroom_")) or table == "classroom_journal":
            continue                                   # not ours (or an older crmlab's journal, dropped below)
        t = ident(table)
        out += [f"REVOKE ALL ON {t} FROM PUBLIC", f"REVOKE ALL ON {t} FROM {g}",
                f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY", f"-- drop the policies of {table}"]
        if table in crm_tables:                        # the write journal of an older crmlab
            out.append(f"DROP TRIGGER IF EXISTS crm_journal ON {t}")
        grant = _grants(table)
        if grant is not None:
            out += [grant, *_policies(table)]
    out += [
        "DROP FUNCTION IF EXISTS crm_journal()",
        "DROP TABLE IF EXISTS classroom_journal",
        "DROP TRIGGER IF EXISTS crm_stamp ON audit_log",
        "CREATE TRIGGER crm_stamp BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION crm_stamp_audit()",
        f"DROP TRIGGER IF EXISTS crm_stamp ON {REQUESTS}",
        f"CREATE TRIGGER crm_stamp BEFORE INSERT ON {REQUESTS} FOR EACH ROW EXECUTE FUNCTION crm_stamp_request()",
        "DROP TRIGGER IF EXISTS crm_forward ON counters",
        "CREATE TRIGGER crm_forward BEFORE UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION crm_counter_forward()",
        f"GRANT USAGE ON SCHEMA {sch} TO {g}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {g}",
        f"GRANT USAGE ON SEQUENCE {sch}.classroom_requests_id_seq TO {g}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        f"REVOKE CONNECT, TEMPORARY ON DATABASE {ident(db)} FROM PUBLIC",
    ]
    return out


def secure(engine: Engine) -> bool:
    """Install (or refresh) the security layer on the class database; run as the tables' owner.

    Skipped when the database already has this very layer (the teacher's ``open_class`` then takes
    no lock the students' actions would wait for). Returns whether it was (re)installed. Raises
    :class:`~crmlab.system.errors.GuardFailed` ``NEEDS_CREATEROLE`` when the login may not create
    the students' group role."""
    from .errors import GuardFailed

    with engine.connect() as con:
        schema, owner, db = con.execute(text("SELECT current_schema(), current_user, current_database()")).one()
        has_group = con.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :g"), {"g": GROUP}).scalar()
        can_create = con.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")
                                 ).scalar()
        plan = _plan(schema, owner, db, _tables(con, schema))
        stamp = "crmlab classroom " + hashlib.sha1("\n".join([db, *plan]).encode("utf-8")).hexdigest()
        if has_group and secured(con) and con.execute(
                text("SELECT obj_description('crm_me()'::regprocedure, 'pg_proc')")).scalar() == stamp:
            return False
    if not has_group and not can_create:
        raise GuardFailed("NEEDS_CREATEROLE", f"the login {owner} may not create roles: ask the database administrator "
                          f"for CREATEROLE (or to create the NOLOGIN role {GROUP} with ADMIN OPTION for {owner})",
                          f"登录名 {owner} 无权创建角色：请数据库管理员授予 CREATEROLE（或创建 NOLOGIN 角色 {GROUP} 并授予 "
                          f"{owner} ADMIN OPTION）")
    with engine.begin() as con:
        con.execute(text("SELECT pg_advisory_xact_lock(7161717)"))          # two teachers' open_class at once
        if not con.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :g"), {"g": GROUP}).scalar():
            con.execute(text(f"CREATE ROLE {ident(GROUP)} NOLOGIN"))
        for sql in plan:
            if sql.startswith("-- drop the policies of "):
                table = sql.rsplit(" ", 1)[1]
                for (name,) in con.execute(text("SELECT policyname FROM pg_policies WHERE schemaname = :s "
                                                "AND tablename = :t"), {"s": schema, "t": table}).all():
                    con.execute(text(f"DROP POLICY {ident(name)} ON {ident(table)}"))
            else:
                con.execute(text(sql))
        for (role,) in con.execute(text("SELECT db_role FROM classroom_logins")).all():
            if con.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                con.execute(text(f"GRANT CONNECT ON DATABASE {ident(db)} TO {ident(role)}"))
                _limit(con, role)
        con.execute(text(f"COMMENT ON FUNCTION crm_me() IS {literal(stamp)}"))
    return True


def create_login(con: Connection, student_id: str, password: str) -> str:
    """Create (or give a new password to) the PostgreSQL login of a student; returns its name."""
    db = con.execute(text("SELECT current_database()")).scalar()
    role = login_role(db, student_id)
    pw = literal(password)
    taken = taken_logins(con, [student_id])
    if taken:                                                  # somebody else's login: never take it over
        from .errors import GuardFailed
        raise GuardFailed("LOGIN_TAKEN", f"the database login {role} exists and is not a student's: rename the class "
                          "database or the student id", f"数据库账号 {role} 已存在且不是学生账号：请更换班级数据库名或学号")
    if con.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
        con.execute(text(f"ALTER ROLE {ident(role)} WITH LOGIN PASSWORD {pw}"))
    else:
        con.execute(text(f"CREATE ROLE {ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                         f"CONNECTION LIMIT 20 PASSWORD {pw}"))
    con.execute(text(f"GRANT {ident(GROUP)} TO {ident(role)}"))
    con.execute(text(f"GRANT CONNECT ON DATABASE {ident(db)} TO {ident(role)}"))
    _limit(con, role)
    con.execute(text("INSERT INTO classroom_logins (db_role, student_id) VALUES (:r, :s) "
                     "ON CONFLICT (student_id) DO UPDATE SET db_role = EXCLUDED.db_role"), {"r": role, "s": student_id})
    return role


def _limit(con: Connection, role: str) -> None:
    """The session limits of a student login (:data:`STUDENT_LIMITS`)."""
    for name, value in STUDENT_LIMITS.items():
        con.execute(text(f"ALTER ROLE {ident(role)} SET {name} = {literal(value)}"))


def taken_logins(con: Connection, student_ids) -> list[str]:
    """The students whose login name is already a role that is not a plain student login (a member of
    the group, without any special right): making their login would take somebody's role over."""
    db = con.execute(text("SELECT current_database()")).scalar()
    out = []
    for sid in student_ids:
        row = con.execute(text("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls, "
                               "pg_has_role(oid, :g, 'MEMBER') FROM pg_roles WHERE rolname = :r"),
                          {"r": login_role(db, sid), "g": GROUP}).first()
        if row is not None and (row[0] or not row[1]):
            out.append(sid)
    return out


def logins(con: Connection) -> dict[str, str]:
    """student id → PostgreSQL login."""
    return dict(con.execute(text("SELECT student_id, db_role FROM classroom_logins")).all())


def evidence_problems(con: Connection) -> tuple[set[int], dict[str, list[str]]]:
    """Audit entries the grader must not trust, and a note per student for the teacher.

    Only the owner's login (the classroom service, the teacher) writes the audit log now; an entry
    written by a student's own login (possible only in a class database secured by an older
    crmlab) is not evidence. Returns (ids of untrusted audit rows, student → notes)."""
    forged = con.execute(text(
        "SELECT a.id, l.student_id FROM audit_log a JOIN classroom_logins l ON l.db_role = a.db_user")).all()
    per: dict[str, int] = {}
    for _id, who in forged:
        per[who] = per.get(who, 0) + 1
    notes = {who: [f"请人工复核 (review by hand): {n} 条审计日志由学生账号直接写入（不是班级服务），未计分 / {n} audit "
                   f"entr{'y' if n == 1 else 'ies'} written by the student's own login, not by the classroom service: "
                   "not counted"] for who, n in per.items()}
    return {r[0] for r in forged}, notes
