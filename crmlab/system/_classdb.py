"""The database side of the classroom's security (PostgreSQL): who is acting, what they may read and
write, the audit log and the class clock — enforced by PostgreSQL itself, not only by the engine.

:func:`secure` (run by the teacher's :func:`crmlab.system.classroom.open_class`, as the owner of
the tables) declares it, idempotently:

* one NOLOGIN group role ``crmlab_student`` holds the students' privileges; each student logs in
  with their own LOGIN role (:func:`create_login`, a member of the group), mapped to their 学号 in
  ``classroom_logins``; ``crm_me()`` is the CRM login of the session (``session_user``), so a
  student's connection can only ever act as that student;
* row-level security on every CRM table: documents and their child rows are visible and writable
  only as the read record rules say (:data:`crmlab.system.permissions.PERMISSIONS` ``(type,
  "read")``, copied into ``classroom_read_rules``: reps their own, managers their department,
  evaluators what they are named to evaluate — and, here, also what they evaluated, which the
  action needs to finish —, engineers their assignments); customers and base
  data are company-wide; setup tables are read-only; nothing without an identity;
* the audit log is stamped by a trigger: a student's row must name the student (else the whole
  action is refused), its role and time come from the database (``classroom_clock``), its
  ``db_user`` and ``txid`` are the session's; students may only INSERT (no UPDATE, DELETE,
  TRUNCATE);
* every transaction in which a student changed CRM data is journalled (``classroom_journal``,
  students cannot touch it): the grader matches it with the audit log and flags audit entries
  without a change and changes without an audit entry (SQL written outside the CRM's actions);
* only the teacher (the tables' owner) moves ``classroom_clock``; document counters never go back.

The teacher's login owns the tables, so row-level security does not apply to it (dashboard,
grading, roster, the service desk).
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
#: Tables students may only read.
READ_ONLY = ("departments", "products", "sales_methods", "sales_stages", "knowledge_types", "expense_types",
             "home_schemes", "questions", "question_options", "classroom_roster", "classroom_clock")
#: Tables students may not touch at all (the teacher's bookkeeping).
PRIVATE = ("classroom_logins", "classroom_journal", "classroom_read_rules")
#: Child tables of a document: table → column naming the document.
DOC_CHILDREN = {"opportunities": "no", "doc_lines": "doc_no", "audit_steps": "doc_no", "opp_stages": "opp_no",
                "evaluations": "opp_no", "check_ins": "doc_no", "survey_responses": "survey_no"}
#: Columns no action changes once a row exists: a student may not UPDATE them (moving a document
#: to another owner would move its grade).
FIXED_COLUMNS = {"documents": ("no", "doc_type", "owner_id", "dept_id", "created_at", "created_by"),
                 "opportunities": ("no", "owner_id", "dept_id", "created_at"),
                 "evaluations": ("id", "opp_no", "submitter", "evaluator", "submitted_at")}
#: Tables from which rows are deleted by actions (replacing a document's lines).
DELETABLE = ("doc_lines",)


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
        # the audit log: written by the database for a student (who, role, when), refused as anyone else
        f"""CREATE OR REPLACE FUNCTION crm_stamp_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {sp} AS $$
            DECLARE me text;
            BEGIN
              NEW.db_user := session_user;
              NEW.txid := txid_current();
              me := crm_me();
              IF me IS NULL THEN
                IF crm_teacher() THEN RETURN NEW; END IF;
                RAISE EXCEPTION USING ERRCODE = '42501',
                  MESSAGE = format('%s 不是本班的账号，不能写入审计日志 / %s is not a login of this class: '
                                   'it cannot write the audit log', session_user, session_user);
              END IF;
              IF NEW.user_login IS DISTINCT FROM me THEN
                RAISE EXCEPTION USING ERRCODE = '42501',
                  MESSAGE = format('%s 只能以自己的身份操作，不能以 %s 的身份操作 / %s may act only as %s, not as %s',
                                   me, NEW.user_login, me, me, NEW.user_login);
              END IF;
              NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
              NEW.role := (SELECT role FROM users WHERE login = me);
              NEW.at := crm_class_now();
              RETURN NEW;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION crm_journal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {sp} AS $$
            DECLARE me text := crm_me();
            BEGIN
              IF me IS NOT NULL AND NOT EXISTS (SELECT 1 FROM classroom_journal WHERE txid = txid_current()) THEN
                INSERT INTO classroom_journal (txid, student_id, db_user, tbl, at)
                VALUES (txid_current(), me, session_user, TG_TABLE_NAME, clock_timestamp());
              END IF;
              RETURN NULL;
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


#: A new row belongs to the student who writes it (owner and department are theirs).
_MINE_NOW = "(owner_id = (SELECT crm_uid()) AND dept_id IS NOT DISTINCT FROM (SELECT crm_dept()))"


def _policies(table: str) -> list[str]:
    """The row-level-security policies of one table (students only: the owner bypasses them)."""
    me = "(SELECT crm_me()) IS NOT NULL"
    g = ident(GROUP)
    t = ident(table)
    if table == "documents":
        sees = doc_rule()
        return [f"CREATE POLICY crm_read ON {t} FOR SELECT TO {g} USING ({sees})",
                f"CREATE POLICY crm_new ON {t} FOR INSERT TO {g} WITH CHECK (created_by = (SELECT crm_me()) AND "
                f"({_MINE_NOW} OR doc_type = 'work_order'))",             # a work order: for the engineer
                f"CREATE POLICY crm_change ON {t} FOR UPDATE TO {g} USING ({sees}) WITH CHECK ({me})"]
    if table in DOC_CHILDREN:
        sees = f"crm_sees_no({ident(DOC_CHILDREN[table])})"
        new = f"{sees} AND {_MINE_NOW}" if table == "opportunities" else sees
        return [f"CREATE POLICY crm_read ON {t} FOR SELECT TO {g} USING ({sees})",
                f"CREATE POLICY crm_change ON {t} FOR UPDATE TO {g} USING ({sees}) WITH CHECK ({sees})",
                f"CREATE POLICY crm_drop ON {t} FOR DELETE TO {g} USING ({sees})",
                f"CREATE POLICY crm_new ON {t} FOR INSERT TO {g} WITH CHECK ({new})"]
    if table == "doc_links":
        sees = "(crm_sees_no(src_no) OR crm_sees_no(dst_no))"
        return [f"CREATE POLICY crm_all ON {t} TO {g} USING ({sees}) WITH CHECK ({sees})"]
    if table == "audit_log":
        return [f"CREATE POLICY crm_read ON {t} FOR SELECT TO {g} USING "
                f"(user_login = (SELECT crm_me()) OR (doc_no IS NULL AND {me}) OR crm_sees_no(doc_no))",
                f"CREATE POLICY crm_new ON {t} FOR INSERT TO {g} WITH CHECK (user_login = (SELECT crm_me()))"]
    if table == "users":
        return [f"CREATE POLICY crm_read ON {t} FOR SELECT TO {g} USING ({me})",
                f"CREATE POLICY crm_self ON {t} FOR UPDATE TO {g} USING (login = (SELECT crm_me())) "
                f"WITH CHECK (login = (SELECT crm_me()))"]
    return [f"CREATE POLICY crm_all ON {t} TO {g} USING ({me}) WITH CHECK ({me})"]


def _grants(table: str) -> str | None:
    g, t = ident(GROUP), ident(table)
    if table in PRIVATE:
        return None
    if table in READ_ONLY:
        return f"GRANT SELECT ON {t} TO {g}"
    if table == "audit_log":
        return f"GRANT SELECT, INSERT ON {t} TO {g}"
    if table == "users":
        return f"GRANT SELECT, UPDATE (home_scheme_id, home_blocks) ON {t} TO {g}"
    extra = ", DELETE" if table in DELETABLE else ""
    if table in FIXED_COLUMNS:                 # who owns a document never changes: no UPDATE of those columns
        cols = [c.name for c in m.Base.metadata.tables[table].columns if c.name not in FIXED_COLUMNS[table]]
        return f"GRANT SELECT, INSERT, UPDATE ({', '.join(map(ident, cols))}){extra} ON {t} TO {g}"
    return f"GRANT SELECT, INSERT, UPDATE{extra} ON {t} TO {g}"


def _plan(schema: str, owner: str, db: str, tables: list[str]) -> list[str]:
    """Every statement of the security layer, in order (idempotent)."""
    g, sch = ident(GROUP), ident(schema)
    out = [
        "CREATE TABLE IF NOT EXISTS classroom_logins (db_role text PRIMARY KEY, student_id varchar(20) NOT NULL UNIQUE)",
        "CREATE TABLE IF NOT EXISTS classroom_journal (id bigserial PRIMARY KEY, txid bigint NOT NULL, "
        "student_id varchar(20) NOT NULL, db_user text NOT NULL, tbl text NOT NULL, at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS ix_classroom_journal_txid ON classroom_journal (txid)",
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
    for table in sorted(set(tables) | set(PRIVATE)):
        if table not in crm_tables and not table.startswith("classroom_"):
            continue                                   # not ours: leave it alone
        t = ident(table)
        out += [f"REVOKE ALL ON {t} FROM PUBLIC", f"REVOKE ALL ON {t} FROM {g}",
                f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY", f"-- drop the policies of {table}"]
        grant = _grants(table)
        if grant is None:
            continue
        out += [grant, *_policies(table)]
        if table in crm_tables and table != "audit_log":
            out += [f"DROP TRIGGER IF EXISTS crm_journal ON {t}",
                    f"CREATE TRIGGER crm_journal AFTER INSERT OR UPDATE OR DELETE ON {t} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION crm_journal()"]
    out += [
        "DROP TRIGGER IF EXISTS crm_stamp ON audit_log",
        "CREATE TRIGGER crm_stamp BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION crm_stamp_audit()",
        "DROP TRIGGER IF EXISTS crm_forward ON counters",
        "CREATE TRIGGER crm_forward BEFORE UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION crm_counter_forward()",
        f"GRANT USAGE ON SCHEMA {sch} TO {g}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {g}",
        f"REVOKE USAGE, SELECT ON SEQUENCE {sch}.classroom_journal_id_seq FROM {g}",
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
    con.execute(text("INSERT INTO classroom_logins (db_role, student_id) VALUES (:r, :s) "
                     "ON CONFLICT (student_id) DO UPDATE SET db_role = EXCLUDED.db_role"), {"r": role, "s": student_id})
    return role


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

    A student's transaction that wrote audit entries but changed no CRM data (rows INSERTed into
    the audit log by hand) is not evidence; a transaction that changed CRM data without any audit
    entry was SQL written outside the CRM's actions. Returns (ids of untrusted audit rows,
    student → notes)."""
    forged = con.execute(text(
        "SELECT a.id, a.user_login FROM audit_log a JOIN classroom_logins l ON l.db_role = a.db_user "
        "WHERE NOT EXISTS (SELECT 1 FROM classroom_journal j WHERE j.txid = a.txid)")).all()
    raw = con.execute(text(
        "SELECT j.student_id, count(*) FROM classroom_journal j "
        "WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.txid = j.txid) GROUP BY j.student_id")).all()
    notes: dict[str, list[str]] = {}
    per: dict[str, int] = {}
    for _id, who in forged:
        per[who] = per.get(who, 0) + 1
    for who, n in per.items():
        notes.setdefault(who, []).append(
            f"请人工复核 (review by hand): {n} 条审计日志没有对应的数据修改，未计分 / {n} audit entr{'y' if n == 1 else 'ies'} "
            "without any change in the CRM (written by hand), not counted")
    for who, n in raw:
        notes.setdefault(who, []).append(
            f"请人工复核 (review by hand): {n} 次绕过 CRM 操作直接用 SQL 修改数据 / {n} change(s) of CRM data written "
            "with SQL outside the CRM's actions (no audit entry)")
    return {r[0] for r in forged}, notes
