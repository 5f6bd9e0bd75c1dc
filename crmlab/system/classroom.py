"""Classroom role-play (课堂角色扮演): one shared simulated CRM for a whole class.

The teacher starts one PostgreSQL server (:func:`start_server`, or uses any PostgreSQL URL the
school already has), opens the shared CRM (:func:`open_class`: schema + the demo company
埃佛特), loads the class from a CSV roster (:func:`load_roster`: every student becomes a user
with a role in a team = a department), and hands out one connection line. Each student runs
``desk = classroom.connect(URL, "学号")`` in their own notebook and plays their role — sales rep
(业务员), evaluator (销售经理) or service engineer (服务工程师) — through the textbook's chain
(task 13.2–14.2). What each user sees and may change is decided by the engine's record rules
(:mod:`crmlab.system.permissions`, ``desk.documents()`` / ``desk.get()``); two students changing
the same document are told so by optimistic locking (``expected_version=`` →
:class:`~crmlab.system.StaleRecord`).

The teacher watches :func:`dashboard` (an ipywidgets view of :func:`progress`: student × step,
done or not, and when) and scores each student from the shared database with
:func:`grade_from_db`, whose table has the columns of the notebook gradebook
(:func:`crmlab.grading.gradebook`) so both export alike (``crmlab grade 04_system --from-db URL``).

The scenario is declared as data (:data:`SCENARIO`, print it with :func:`scenario_table`): each
step names the role that plays it, its points and the check that reads the evidence in the
database — the audit log says *who* did it (textbook §3.2 grades 60 % on per-stage screenshots;
here the audit log and the database state are the evidence, digest §5.1.5). The step list, the
points and the roster format are crmlab's (the textbook's 技能训练 is one student per machine).

The CRM clock of a classroom is *shared* and the teacher's: every action happens at the class
time (the table ``classroom_clock``); the teacher moves it (``crm.tick``, ``crm.set_clock`` on the
teacher's connection), a student's desk may not (``CLASS_CLOCK``). ``open_class(url, live=True)``
makes it follow the computer's clock instead (for a real lesson; notebooks and tests use the default).

Many students at once: a class connection reads the document-number counter ``FOR UPDATE``
(two students saving a lead at the same moment wait for each other instead of taking the same
number), and an action whose transaction collided with another's (unique key, deadlock) is run
again at the class time, at most :data:`RETRIES` times — the engine's one retry policy
(:data:`crmlab.system.engine.RETRIES`), safe because a failed action changed nothing.
``benchmarks/bench_classroom.py`` runs 50 simulated students against one PostgreSQL.

Security (PostgreSQL, :mod:`crmlab.system._classdb`): the teacher's login owns the database and
is not a superuser (:func:`start_server`); each student has their own login from
:func:`load_roster` (credentials sheet: :func:`write_credentials`) and connects with
``classroom.connect(URL, "学号", password=…)``. A student's login writes no CRM table: it reads
under row-level security (the record rules, enforced by PostgreSQL as well as by the engine) and
sends every action of its desk as a request to the classroom service (:func:`serve`, started by
``crmlab classroom start`` beside the server; :mod:`crmlab.system._classserver`), which runs it
through the engine as that student — the login is stamped by the database — and writes the audit
log; only the teacher moves the clock; :func:`grade_from_db` counts only the service's evidence.
On SQLite the rules are the rules of the game, not a security boundary. See ``docs/classroom.md``.

Example
-------
>>> from crmlab.system import classroom
>>> crm = classroom.open_class(":memory:")              # a school's PostgreSQL URL in class
>>> roster = pd.DataFrame({"学号": ["S01", "S02", "S03"], "姓名": ["王芳", "李雷", "赵工"],
...                        "角色": ["业务员", "评估人", "服务工程师"], "小组": ["一组", "一组", "服务组"]})
>>> classroom.load_roster(crm, roster)["action"].tolist()
['created', 'created', 'created']
>>> rep = crm.login("S01")                              # classroom.connect(URL, "S01") in class
>>> lead = rep.new_lead("服务器购买意愿", source="市场活动", customer_name="一组客户", contact_name="钱工")
>>> p = classroom.progress(crm)
>>> p.query("student == 'S01'")[["step", "done"]].head(3).values.tolist()
[['rep_lead', True], ['rep_convert', False], ['rep_potential', False]]
>>> classroom.grade_from_db(crm)[["student", "total", "max"]].values.tolist()
[['S01', 5.0, 100.0], ['S02', 0.0, 100.0], ['S03', 0.0, 100.0]]
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, event, insert, inspect, select
from sqlalchemy.exc import DBAPIError, OperationalError

from . import _classdb, _classserver
from . import models as m
from . import permissions as perm
from ._classserver import ActionWorker, RemoteDesk, ServiceUnavailable
from .engine import CRM, RETRIES, Desk, _seed_if_empty, _url
from .errors import CRMError, GuardFailed, NotFound, PermissionDenied

__all__ = [
    "start_server", "stop_server", "server_running", "open_class", "read_roster", "load_roster", "roster",
    "connect", "RosterError", "ROSTER_ROLES", "Step", "SCENARIO", "scenario_table", "progress", "dashboard",
    "autoplay", "dispatch_requests", "grade_from_db", "write_gradebook", "grade_command", "cli_grade",
    "add_cli", "main", "DEFAULT_PORT", "RETRIES", "ROLE_GROUPS", "STUDENT_ROLES", "ROSTER_TABLE", "CLOCK_TABLE",
    "write_credentials", "reset_passwords", "CREDENTIAL_COLUMNS", "class_url", "serve", "start_worker",
    "stop_worker", "worker_pid", "ActionWorker", "RemoteDesk", "ServiceUnavailable",
]

DEFAULT_PORT = 54330
DB_ROLE = "crmlab"          # the teacher's login: owns the class database, not a superuser
DB_NAME = "crmlab"
SUPERUSER = "postgres"      # the cluster's superuser: random password, never handed out

# ============================================================================ the server
def _pg_bin() -> Path:
    """The folder of PostgreSQL's server programs (Debian: /usr/lib/postgresql/VERSION/bin)."""
    env = os.environ.get("CRMLAB_PG_BIN")
    candidates = [Path(env)] if env else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")],
                         reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(Path(which).parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise FileNotFoundError("PostgreSQL is not installed (Debian: sudo apt-get install postgresql), or set "
                            "CRMLAB_PG_BIN to the folder of initdb and pg_ctl / 未安装 PostgreSQL（Debian：sudo apt-get "
                            "install postgresql），或用 CRMLAB_PG_BIN 指定 initdb 和 pg_ctl 所在文件夹")


def _as_owner(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program as the cluster owner: ``postgres`` when we are root (initdb and
    postgres refuse to run as root), else the current user — as ``.ci/services`` does."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) != 0


def server_running(data_dir) -> bool:
    """Whether a PostgreSQL server runs on the cluster in ``data_dir`` (``pg_ctl status``)."""
    data_dir = Path(data_dir).resolve()
    if not (data_dir / "PG_VERSION").exists():
        return False
    return _as_owner([str(_pg_bin() / "pg_ctl"), "-D", str(data_dir), "status"]).returncode == 0


def _server_url(host: str, port: int, password: str | None, user: str = DB_ROLE) -> str:
    who = user if password is None else f"{user}:{quote(password, safe='')}"
    return f"postgresql+psycopg://{who}@{host}:{port}/{DB_NAME}"


#: File in the cluster's folder (readable by the cluster owner only) with the generated passwords of
#: the cluster superuser ``postgres`` (never shown to anyone) and of the teacher's login ``crmlab``.
SECRETS = "crmlab-class.json"


def _secrets(data_dir: Path) -> dict:
    import json
    path = data_dir / SECRETS
    if not path.exists():
        raise GuardFailed("NOT_A_CLASS_SERVER", f"{data_dir} was not made by this version of crmlab (no {SECRETS}): "
                          "start the class in a new folder", f"{data_dir} 不是本版本 crmlab 创建的班级数据库（缺少 "
                          f"{SECRETS}），请换一个新文件夹启动")
    return json.loads(path.read_text(encoding="utf-8"))


def _write_secrets(data_dir: Path, secrets_: dict, root: bool) -> None:
    import json
    path = data_dir / SECRETS
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(secrets_, f)
    if root:
        shutil.chown(path, "postgres", "postgres")


def start_server(data_dir, port: int = DEFAULT_PORT, *, listen: str = "127.0.0.1", password: str | None = None,
                 host: str | None = None, fast: bool = False, timeout: int = 60) -> str:
    """Initialise (first time) and start a local PostgreSQL server for the class; return the
    teacher's URL (with the teacher's password).

    Uses Debian's ``initdb`` and ``pg_ctl`` (run as the ``postgres`` user when called as root,
    the approach of ``.ci/services``). The cluster lives in ``data_dir`` (kept between lessons:
    :func:`stop_server` stops it, the data stay), its log in ``data_dir/server.log``.

    Security (课堂服务器的安全): the cluster's superuser is ``postgres`` with a random password
    kept in ``data_dir/crmlab-class.json`` (readable by the cluster owner only) and never shown;
    the teacher's login ``crmlab`` is **not** a superuser — it owns the database ``crmlab`` and may
    create the students' logins (CREATEROLE); every login needs its password (scram-sha-256 on
    the Unix socket and on TCP, loopback included; no ``trust``). Students get their own logins
    from :func:`load_roster` (``crmlab classroom roster``), never this URL. Calling it again while
    the server runs just returns the URL.

    Parameters
    ----------
    data_dir : folder of the cluster (created; must be reachable by the ``postgres`` user when
        root — e.g. under /srv or /tmp, not /root).
    port : TCP port (default 54330).
    listen : address(es) to listen on. The default ``127.0.0.1`` serves notebooks on the same
        machine (a JupyterHub); any other address (``"*"``, the machine's LAN address) needs
        ``password`` and admits password logins from the server's own subnets.
    password : the teacher's password (generated when not given on a loopback server; required when
        ``listen`` is not loopback). Kept from the first start.
    host : host name put in the returned URL (default: ``listen``, or 127.0.0.1 for ``*``).
    fast : no fsync (tests, benchmarks; never for a real class: a crash could lose data).

    Example (not run here: it starts a server)::

        url = classroom.start_server("/srv/crm-class", port=54330)
        # 'postgresql+psycopg://crmlab:<teacher password>@127.0.0.1:54330/crmlab'
    """
    data_dir = Path(data_dir).resolve()
    loopback = listen in ("127.0.0.1", "localhost", "::1")
    if not loopback and not password:
        raise GuardFailed("PASSWORD_REQUIRED", f"listening on {listen!r} (beyond this machine) needs a password",
                          f"在 {listen!r} 上监听（本机以外可访问）时必须设置密码")
    url_host = host or (listen if listen not in ("*", "0.0.0.0") else "127.0.0.1")
    bin_ = _pg_bin()
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if server_running(data_dir):
        return _server_url(url_host, port, _secrets(data_dir)["teacher"])
    if not (data_dir / "PG_VERSION").exists():
        _initdb(bin_, data_dir, password, loopback, fast, timeout, root)
    secrets_ = _secrets(data_dir)
    probe = "127.0.0.1" if listen in ("*", "0.0.0.0") else listen.split(",")[0].strip()
    if not _port_free(probe, port):
        raise GuardFailed("PORT_IN_USE", f"port {port} is already in use: choose another port",
                          f"端口 {port} 已被占用，请换一个端口")
    opts = f"-p {port} -k {data_dir} -c listen_addresses={listen}" + (" -c fsync=off" if fast else "")
    res = _as_owner([str(bin_ / "pg_ctl"), "-D", str(data_dir), "-l", str(data_dir / "server.log"), "-w",
                     "-t", str(timeout), "-o", opts, "start"], timeout=timeout + 30)
    if res.returncode != 0:
        raise RuntimeError(f"PostgreSQL 未能启动，请查看 {data_dir / 'server.log'} / PostgreSQL did not start; "
                           f"see {data_dir / 'server.log'}:\n{res.stderr or res.stdout}")
    _create_database(data_dir, port, secrets_)
    return _server_url(url_host, port, secrets_["teacher"])


def _initdb(bin_: Path, data_dir: Path, password, loopback: bool, fast: bool, timeout: int, root: bool) -> None:
    """A new cluster: superuser ``postgres`` with a random password, scram-sha-256 for every login."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if any(data_dir.iterdir()):
        raise GuardFailed("DATA_DIR_NOT_EMPTY", f"{data_dir} is neither empty nor a PostgreSQL cluster",
                          f"{data_dir} 不是空文件夹，也不是 PostgreSQL 数据目录")
    if root:
        shutil.chown(data_dir, "postgres", "postgres")
        if _as_owner(["test", "-w", str(data_dir)]).returncode != 0:
            raise PermissionError(f"the postgres user cannot write {data_dir}: choose a folder it can reach "
                                  f"(e.g. under /srv or /tmp) / postgres 用户无法写入 {data_dir}，请换一个它能访问的文件夹")
    secrets_ = {"superuser": _classdb.new_password(24), "teacher": password or _classdb.new_password(16)}
    fd, name = tempfile.mkstemp(prefix="crmlab-pw-")         # 0600, readable by the cluster owner only
    os.write(fd, (secrets_["superuser"] + "\n").encode("utf-8"))
    os.close(fd)
    pwfile = Path(name)
    if root:
        shutil.chown(pwfile, "postgres", "postgres")
    cmd = [str(bin_ / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8",
           "--auth=scram-sha-256", "--pwfile", str(pwfile)]
    if fast:
        cmd.append("--no-sync")
    try:
        res = _as_owner(cmd, timeout=timeout * 2)
    finally:
        pwfile.unlink(missing_ok=True)
    if res.returncode != 0:
        raise RuntimeError(f"初始化数据库失败 / initdb failed:\n{res.stderr or res.stdout}")
    if not loopback:
        with open(data_dir / "pg_hba.conf", "a", encoding="utf-8") as f:
            f.write("# crmlab classroom: password logins from this server's subnets\n"
                    "host all all samenet scram-sha-256\n")
    _write_secrets(data_dir, secrets_, root)


def _create_database(data_dir: Path, port: int, secrets_: dict) -> None:
    """The teacher's login (not a superuser) and the class database it owns; over the Unix socket
    in ``data_dir`` as the superuser, with its password."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import URL

    su = create_engine(URL.create("postgresql+psycopg", username=SUPERUSER, password=secrets_["superuser"],
                                  database="postgres", query={"host": str(data_dir), "port": str(port)}),
                       isolation_level="AUTOCOMMIT")
    q = _classdb.ident
    try:
        with su.connect() as con:
            if not con.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": DB_ROLE}).scalar():
                con.execute(text(f"CREATE ROLE {q(DB_ROLE)} LOGIN NOSUPERUSER CREATEROLE NOCREATEDB "
                                 f"PASSWORD {_classdb.literal(secrets_['teacher'])}"))
                con.execute(text(f"GRANT pg_signal_backend TO {q(DB_ROLE)}"))     # end a student's stuck session
            if not con.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DB_NAME}).scalar():
                con.execute(text(f"CREATE DATABASE {q(DB_NAME)} OWNER {q(DB_ROLE)}"))
                con.execute(text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {q(DB_NAME)} FROM PUBLIC"))
                con.execute(text(f"GRANT CONNECT ON DATABASE {q(DB_NAME)} TO {q(DB_ROLE)}"))
    finally:
        su.dispose()


def stop_server(data_dir, *, timeout: int = 60) -> bool:
    """Stop the class's PostgreSQL server (fast shutdown; the data stay in ``data_dir``).

    Returns ``True`` when a running server was stopped, ``False`` when none was running.
    """
    data_dir = Path(data_dir).resolve()
    if not server_running(data_dir):
        return False
    res = _as_owner([str(_pg_bin() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "-t", str(timeout),
                     "stop"], timeout=timeout + 30)
    if res.returncode != 0:
        raise RuntimeError(f"停止数据库失败 / pg_ctl stop failed:\n{res.stderr or res.stdout}")
    return True


# ============================================================================ the shared CRM
def _class_url(url) -> str:
    """A SQLAlchemy URL; plain ``postgresql://`` / ``postgres://`` URLs get the psycopg 3 driver."""
    url = _url(url)
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


class _ClassCRM(CRM):
    """A :class:`CRM` on the class database whose clock is the class's (``classroom_clock``, moved by
    the teacher only; ``live``: the computer's clock). A student's connection (:func:`connect`)
    acts only as that student: logging in as anyone else and moving the clock are refused here, and
    on PostgreSQL by the database itself (:mod:`crmlab.system._classdb`)."""

    def __init__(self, url, *, live: bool = False, **kw):
        super().__init__(_class_url(url), **kw)
        self.live = live
        self.student: str | None = None          # set by connect(): the one student this connection plays
        self.remote = False                      # a student's own login: actions go to the classroom service
        self.service_wait = 10.0                 # seconds to wait for the service to take a request
        self._secure: bool | None = None
        self._clock_table = False
        event.listen(self._Session, "do_orm_execute", _lock_counter)

    def secured(self) -> bool:
        """Whether the database enforces the classroom's security (PostgreSQL, :func:`open_class`)."""
        if self._secure is None:
            if not _classdb.is_postgres(self.engine):
                self._secure = False
            else:
                with self.engine.connect() as con:
                    self._secure = bool(_classdb.secured(con))
        return self._secure

    def _has_clock(self) -> bool:
        if not self._clock_table:                    # once there, it stays: one catalog query per connection
            self._clock_table = inspect(self.engine).has_table(CLOCK_TABLE.name)
        return self._clock_table

    def _class_clock(self):
        if not self._has_clock():
            return None
        with self.engine.connect() as con:
            return con.execute(select(CLOCK_TABLE.c.now, CLOCK_TABLE.c.live).where(CLOCK_TABLE.c.id == 1)).first()

    def sync_clock(self) -> dt.datetime:
        """Move this connection's clock to the class clock (and, ``live``, the computer's clock)."""
        row = self._class_clock()
        candidates = [self.now] if row is None else [pd.Timestamp(row[0]).to_pydatetime().replace(tzinfo=None)]
        if self.live or (row is not None and row[1]):
            candidates.append(dt.datetime.now().replace(microsecond=0))
        self.now = max(candidates)
        return self.now

    def _teacher_only(self):
        if self.student is not None:
            raise PermissionDenied("CLASS_CLOCK", f"only the teacher moves the class clock ({self.student} may not)",
                                   f"只有老师可以调整班级时钟（{self.student} 不能调整）")

    def tick(self, days: float = 0, hours: float = 0, minutes: float = 0) -> dt.datetime:
        """Move the class clock forward (the teacher only; a student's desk is refused)."""
        self._teacher_only()
        self.sync_clock()
        return self._store_clock(super().tick(days, hours, minutes))

    def set_clock(self, when) -> dt.datetime:
        """Set the class clock, not earlier than now (the teacher only)."""
        self._teacher_only()
        self.sync_clock()
        return self._store_clock(super().set_clock(when))

    def _store_clock(self, t: dt.datetime) -> dt.datetime:
        if self._has_clock():
            with self.engine.begin() as con:
                con.execute(CLOCK_TABLE.update().where(CLOCK_TABLE.c.id == 1).values(now=t))
        return t

    def login(self, user) -> Desk:
        """A desk for ``user``; on a student's connection only for that student (else PermissionDenied),
        and on a student's own login a :class:`RemoteDesk` (its actions run by the classroom service)."""
        if self.student is not None:
            u = self._user(user)
            if u.login != self.student:
                raise PermissionDenied("NOT_YOURSELF", f"this connection belongs to {self.student}: it cannot act "
                                       f"as {u.login}", f"此连接属于 {self.student}，不能以 {u.login} 的身份操作")
        desk = super().login(user)
        return RemoteDesk(self, desk.login) if self.remote else desk

    def _run(self, *args, **kw):
        """The engine's run (and its one retry policy, :data:`RETRIES`); what the class database
        refuses a student becomes :class:`PermissionDenied`."""
        try:
            return super()._run(*args, **kw)
        except DBAPIError as err:
            if getattr(getattr(err, "orig", None), "sqlstate", None) == "42501":     # insufficient privilege
                raise _refused(err) from None
            raise

    def _before_try(self):
        """Each try of a student's action happens at the class time (two students' transactions
        that collided run again at the clock the teacher may have moved meanwhile)."""
        self.sync_clock()


def _is_secured(crm: CRM) -> bool:
    """Whether ``crm``'s database enforces the classroom's security (any CRM on the class database)."""
    if isinstance(crm, _ClassCRM):
        return crm.secured()
    if not _classdb.is_postgres(crm.engine):
        return False
    with crm.engine.connect() as con:
        return bool(_classdb.secured(con))


def _refused(err) -> PermissionDenied:
    """The database refused a student's write (row-level security, the audit-log trigger, no grant)."""
    msg = str(getattr(err, "orig", err)).splitlines()[0]
    return PermissionDenied("DB_REFUSED", f"the class database refused this: {msg}", f"班级数据库拒绝了该操作：{msg}")


def _lock_counter(state):
    """Read a document-number counter ``FOR UPDATE``: two students numbering documents at once
    then wait for each other instead of both taking the same number (PostgreSQL row lock; SQLite
    serialises writers anyway)."""
    if state.is_select and any(d.get("entity") is m.Counter for d in state.statement.column_descriptions):
        state.statement = state.statement.with_for_update()


_meta = MetaData()
#: The class list (one row per student): written by :func:`load_roster`, next to the CRM's tables.
ROSTER_TABLE = Table("classroom_roster", _meta,
                     Column("student_id", String(20), primary_key=True),
                     Column("name", String(40), nullable=False),
                     Column("role", String(30), nullable=False),
                     Column("team", String(50), nullable=False),
                     Column("loaded_at", DateTime, nullable=False))
#: The class clock (one row): the CRM time of every student's action; only the teacher moves it.
CLOCK_TABLE = Table("classroom_clock", _meta,
                    Column("id", Integer, primary_key=True),
                    Column("now", DateTime, nullable=False),
                    Column("live", Boolean, nullable=False, default=False))


def _as_crm(crm_or_url) -> CRM:
    if isinstance(crm_or_url, CRM):
        return crm_or_url
    return _ClassCRM(crm_or_url)


def open_class(url=None, *, demo: bool = True, live: bool = False) -> CRM:
    """Open the shared class CRM at ``url`` as the teacher (any SQLAlchemy URL; ``postgresql://``
    works too): create the tables, the roster table and the class clock, seed the demo company
    埃佛特 (its staff, products and six trading customers) when the database is empty, and — on
    PostgreSQL, when ``url``'s login owns the tables — install the classroom's security
    (:mod:`crmlab.system._classdb`: students' group role, row-level security, the stamped audit
    log, the teacher-only clock). ``live=True`` makes the class clock follow the computer's clock.

    >>> crm = open_class(":memory:")
    >>> roster(crm).empty, "chenjing" in set(crm.users()["login"])
    (True, True)
    """
    crm = _ClassCRM(url, live=live)
    crm.create_schema()
    _meta.create_all(crm.engine)
    if demo:
        _seed_if_empty(crm)
    with crm.engine.begin() as con:
        if con.execute(select(CLOCK_TABLE.c.id)).first() is None:
            con.execute(insert(CLOCK_TABLE).values(id=1, now=crm.now, live=bool(live)))
        elif live:
            con.execute(CLOCK_TABLE.update().values(live=True))
    if _classdb.is_postgres(crm.engine) and _owns_tables(crm):
        _classdb.secure(crm.engine)
        crm._secure = True
    crm.sync_clock()
    return crm


def _owns_tables(crm: CRM) -> bool:
    from sqlalchemy import text
    with crm.engine.connect() as con:
        return bool(con.execute(text(
            "SELECT pg_has_role(current_user, tableowner, 'USAGE') OR "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
            "FROM pg_tables WHERE tablename = 'audit_log' AND schemaname = current_schema()")).scalar())


# ============================================================================ the roster
#: Roster role labels (English and Chinese, case and spacing ignored) → the CRM role code.
ROSTER_ROLES: dict[str, str] = {
    "sales rep": "sales_rep", "sales representative": "sales_rep", "rep": "sales_rep", "salesperson": "sales_rep",
    "业务员": "sales_rep", "销售代表": "sales_rep", "销售员": "sales_rep",
    "evaluator": "sales_manager", "sales manager": "sales_manager", "manager": "sales_manager",
    "评估人": "sales_manager", "评估员": "sales_manager", "销售经理": "sales_manager",
    "sales director": "sales_director", "director": "sales_director", "销售总监": "sales_director",
    "service engineer": "engineer", "engineer": "engineer", "服务工程师": "engineer", "工程师": "engineer",
    "service manager": "service_manager", "service desk": "service_manager", "客服主管": "service_manager",
    "客服": "service_manager",
}
#: Role codes a student may have (the Administrator stays the teacher's).
STUDENT_ROLES = ("sales_rep", "sales_manager", "sales_director", "engineer", "service_manager")
_COLUMNS = {
    "student_id": ("student_id", "student id", "student", "id", "login", "学号", "账号", "登录名"),
    "name": ("name", "student name", "姓名", "名字"),
    "role": ("role", "角色", "岗位"),
    "team": ("team", "department", "dept", "group", "小组", "组", "组别", "部门", "团队"),
}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")


def _key(label) -> str:
    return re.sub(r"[\s_\-]+", " ", str(label).strip().lower())


def _roster_role(label) -> str | None:
    code = ROSTER_ROLES.get(_key(label))
    if code is None:
        try:
            code = perm.role_code(str(label).strip())
        except CRMError:
            return None
    return code if code in STUDENT_ROLES else None


class RosterError(GuardFailed):
    """The roster has bad rows: nothing was written. ``problems`` lists them (line, student_id,
    column, problem, problem_zh); the line is the spreadsheet line (the header is line 1)."""

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems
        en = "\n".join(f"  line {r.line} ({r.student_id or '?'}), {r.column}: {r.problem}" for r in problems.itertuples())
        zh = "\n".join(f"  第 {r.line} 行（{r.student_id or '?'}）{r.column}：{r.problem_zh}" for r in problems.itertuples())
        super().__init__("BAD_ROSTER", f"{len(problems)} problem(s) in the roster, nothing was written:\n{en}",
                         f"花名册有 {len(problems)} 处错误，未写入任何数据：\n{zh}")


def _read_csv(path) -> pd.DataFrame:
    last = None
    for enc in ("utf-8-sig", "gb18030"):          # Excel in China saves CSV as GBK
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
        except UnicodeDecodeError as err:
            last = err
    raise GuardFailed("BAD_ENCODING", f"cannot read {path}: save the roster as UTF-8 CSV ({last})",
                      f"无法读取 {path}：请把花名册另存为 UTF-8 编码的 CSV")


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read_roster(csv_path_or_df) -> pd.DataFrame:
    """Read and check a class roster: one row per student with ``student_id``, ``name``, ``role``
    and ``team`` (or the Chinese headers 学号, 姓名, 角色, 小组; ``department``/部门 for team).

    Roles: ``sales rep`` / 业务员, ``evaluator`` / 评估人 (a 销售经理), ``service engineer`` /
    服务工程师, also ``service manager`` / 客服主管 and ``sales director`` / 销售总监. Every row is
    checked before anything is returned; all bad rows are listed in one bilingual
    :class:`RosterError`. Returns the rows with role codes (the caller's frame is not changed).

    >>> df = pd.DataFrame({"student_id": ["S01", "S01", ""], "name": ["王芳", "李雷", "赵敏"],
    ...                    "role": ["sales rep", "boss", "engineer"], "team": ["A", "A", "B"]})
    >>> try:
    ...     read_roster(df)
    ... except RosterError as err:
    ...     print(err.code, err.problems[["line", "column"]].values.tolist())
    ...     print(err.problems["problem"].iloc[1])
    BAD_ROSTER [[2, 'student_id'], [3, 'role'], [3, 'student_id'], [4, 'student_id']]
    unknown role 'boss': use sales rep, evaluator, service engineer, service manager or sales director
    """
    if isinstance(csv_path_or_df, pd.DataFrame):
        raw = csv_path_or_df.copy()
    else:
        path = Path(csv_path_or_df)
        if not path.exists():
            raise NotFound("NO_ROSTER", f"no roster file {path}", f"找不到花名册文件 {path}")
        raw = _read_csv(path)
    found, unknown = {}, []
    for col in raw.columns:
        k = _key(col)
        for target, names in _COLUMNS.items():
            if k in names and target not in found:
                found[target] = col
                break
        else:
            unknown.append(col)
    missing = [c for c in _COLUMNS if c not in found]
    if missing:
        zh = {"student_id": "学号", "name": "姓名", "role": "角色", "team": "小组"}
        raise GuardFailed("ROSTER_COLUMNS", f"the roster needs the columns {missing} (found {list(raw.columns)})",
                          f"花名册缺少列：{[zh[c] for c in missing]}（现有列：{list(raw.columns)}）")
    df = pd.DataFrame({c: [_cell(v) for v in raw[found[c]]] for c in _COLUMNS})
    df.insert(0, "line", range(2, len(df) + 2))
    if df.empty:
        raise GuardFailed("EMPTY_ROSTER", "the roster has no students", "花名册中没有学生")
    problems = []

    def bad(row, column, en, zh):
        problems.append((row.line, row.student_id, column, en, zh))
    counts = df["student_id"].value_counts()
    codes = []
    for row in df.itertuples():
        if not row.student_id:
            bad(row, "student_id", "student_id is empty", "学号为空")
        elif not _ID_RE.match(row.student_id):
            bad(row, "student_id", f"student_id {row.student_id!r} must be 1–20 letters, digits, '_', '.' or '-'",
                f"学号 {row.student_id!r} 只能由 1–20 个字母、数字、_ . - 组成")
        elif counts[row.student_id] > 1:
            bad(row, "student_id", f"student_id {row.student_id} appears {counts[row.student_id]} times",
                f"学号 {row.student_id} 重复 {counts[row.student_id]} 次")
        if not row.name:
            bad(row, "name", "name is empty", "姓名为空")
        elif len(row.name) > 40:
            bad(row, "name", "name is longer than 40 characters", "姓名超过 40 个字符")
        code = _roster_role(row.role) if row.role else None
        if not row.role:
            bad(row, "role", "role is empty", "角色为空")
        elif code is None:
            bad(row, "role", f"unknown role {row.role!r}: use sales rep, evaluator, service engineer, service manager "
                "or sales director", f"未知的角色 {row.role!r}：请用 业务员、评估人、服务工程师、客服主管 或 销售总监")
        codes.append(code)
        if not row.team:
            bad(row, "team", "team is empty", "小组为空")
        elif len(row.team) > 50:
            bad(row, "team", "team is longer than 50 characters", "小组名称超过 50 个字符")
    if problems:
        raise RosterError(_problem_frame(problems))
    df["role"] = codes
    return df


def _problem_frame(problems) -> pd.DataFrame:
    return pd.DataFrame(sorted(problems, key=lambda p: (p[0], p[2])),
                        columns=["line", "student_id", "column", "problem", "problem_zh"])


def roster(crm) -> pd.DataFrame:
    """The class list stored in the shared CRM: student_id, name, role (code and 中文), team.

    >>> roster(open_class(":memory:")).columns.tolist()
    ['student_id', 'name', 'role', 'role_zh', 'team', 'loaded_at']
    """
    crm = _as_crm(crm)
    cols = ["student_id", "name", "role", "role_zh", "team", "loaded_at"]
    if not inspect(crm.engine).has_table(ROSTER_TABLE.name):
        return pd.DataFrame(columns=cols)
    with crm.engine.connect() as con:
        rows = con.execute(select(ROSTER_TABLE).order_by(ROSTER_TABLE.c.team, ROSTER_TABLE.c.student_id)).all()
    f = pd.DataFrame(rows, columns=[c.name for c in ROSTER_TABLE.columns])
    f.insert(3, "role_zh", f["role"].map(lambda r: perm.ROLES.get(r, (r,))[0]))
    return f[cols]


def load_roster(crm, csv_path_or_df, *, admin: str = "admin", reset_passwords=False) -> pd.DataFrame:
    """Create the class's users and teams from a roster (CSV path or DataFrame); idempotent.

    Every row is checked first (:func:`read_roster`, then against the database: a student id may
    not be a staff login, and a student already loaded keeps their name, role and team); any
    problem raises one bilingual :class:`RosterError` listing all bad rows, and nothing is
    written. Then, in one transaction and through the Administrator's own actions
    (``add_department``, ``add_user``; audit-logged), each new team becomes a department and each
    new student a user whose login and employee code are the student id (R31: an engineer must
    be bound to an employee). Students already loaded are left as they are, so loading the same
    roster twice changes nothing.

    Returns one row per roster student: student_id, name, role, team, department code, and
    ``action`` (``created`` or ``unchanged``); ``.attrs["warnings"]`` lists teams with sales reps
    but no evaluator.

    On a PostgreSQL class database each student also gets their own database login (role
    ``<database>_<学号>``, a member of the group ``crmlab_student``) with a generated password:
    ``.attrs["credentials"]`` is the teacher's sheet (学号, 姓名, 用户名, 密码, 连接串) for the
    logins made now — write it with :func:`write_credentials`. Students who already have a login
    keep their password unless ``reset_passwords`` (``True`` or a list of ids).

    >>> crm = open_class(":memory:")
    >>> df = pd.DataFrame({"student_id": ["S01", "S02"], "name": ["王芳", "李雷"],
    ...                    "role": ["sales rep", "evaluator"], "team": ["A 组", "A 组"]})
    >>> load_roster(crm, df)[["student_id", "role", "dept", "action"]].values.tolist()
    [['S01', 'sales_rep', 'T01', 'created'], ['S02', 'sales_manager', 'T01', 'created']]
    >>> load_roster(crm, df)["action"].tolist()                   # again: nothing changes
    ['unchanged', 'unchanged']
    """
    crm = _as_crm(crm)
    df = read_roster(csv_path_or_df)
    _meta.create_all(crm.engine)
    _check_can_make_logins(crm, df)
    users = crm.users().set_index("login")
    loaded = roster(crm).set_index("student_id")
    depts = crm.table("departments")
    problems = []
    for row in df.itertuples():
        sid = row.student_id
        if sid in loaded.index:
            old = loaded.loc[sid]
            for col, new in (("name", row.name), ("role", row.role), ("team", row.team)):
                if old[col] != new:
                    problems.append((row.line, sid, col, f"{sid} is already in the class with {col} {old[col]!r}, "
                                     f"not {new!r}: a loaded student cannot be changed",
                                     f"{sid} 已在班级中，{col} 为 {old[col]!r} 而非 {new!r}：已导入的学生不能修改"))
        elif sid in users.index or sid in set(users["name"]):
            problems.append((row.line, sid, "student_id", f"{sid!r} is already a staff login of the CRM",
                             f"{sid!r} 已是系统中职员的登录名"))
    if problems:
        raise RosterError(_problem_frame(problems))
    by_name = dict(zip(depts["name"], depts["code"]))
    used = set(depts["code"])
    new_depts = {}
    for team in dict.fromkeys(df["team"]):
        if team not in by_name:
            n = 1
            while f"T{n:02d}" in used:
                n += 1
            used.add(f"T{n:02d}")
            by_name[team] = new_depts[team] = f"T{n:02d}"
    df["dept"] = df["team"].map(by_name)
    df["action"] = ["unchanged" if sid in loaded.index else "created" for sid in df["student_id"]]
    todo = df[df["action"] == "created"]
    if len(todo) or new_depts:
        desk = crm.login(admin)
        with crm.batch():
            for team, code in new_depts.items():
                desk.add_department(code, team)
            for row in todo.itertuples():
                desk.add_user(row.student_id, row.name, row.role, dept=row.dept, employee_code=row.student_id)
            if len(todo):
                crm._batch.execute(insert(ROSTER_TABLE), [
                    {"student_id": r.student_id, "name": r.name, "role": r.role, "team": r.team,
                     "loaded_at": crm.now} for r in todo.itertuples()])
        crm._users.clear()
    everyone = pd.concat([loaded.reset_index()[["role", "team"]], df[["role", "team"]]])
    warnings = [f"team {t!r} has sales reps but no evaluator: reps must name an evaluator of another team / "
                f"小组 {t!r} 有业务员但没有评估人，业务员须指定其他小组的评估人"
                for t, g in everyone.groupby("team")
                if (g["role"] == "sales_rep").any() and not g["role"].isin(["sales_manager", "sales_director"]).any()]
    out = df[["student_id", "name", "role", "team", "dept", "action"]].reset_index(drop=True)
    out.attrs["warnings"] = warnings
    out.attrs["credentials"] = _make_logins(crm, out, reset=reset_passwords)
    return out


#: Columns of the teacher's credentials sheet (账号密码表).
CREDENTIAL_COLUMNS = ["学号", "姓名", "用户名", "密码", "连接串"]


def _no_createrole(detail: str) -> GuardFailed:
    return GuardFailed("NEEDS_CREATEROLE", f"the teacher's login may not create the students' logins: ask the "
                       f"database administrator for CREATEROLE ({detail}); nothing was written",
                       "教师账号无权为学生创建数据库账号：请数据库管理员授予 CREATEROLE；未写入任何数据")


def _check_can_make_logins(crm: CRM, df: pd.DataFrame) -> None:
    """Before anything is written: the teacher may make logins, and no login name is somebody else's."""
    if not _is_secured(crm):
        return
    from sqlalchemy import text
    with crm.engine.connect() as con:
        if not con.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")
                           ).scalar():
            raise _no_createrole("no CREATEROLE")
        have = _classdb.logins(con)
        taken = set(_classdb.taken_logins(con, [s for s in df["student_id"] if s not in have]))
    if taken:
        raise RosterError(_problem_frame([
            (r.line, r.student_id, "student_id", f"the database login for {r.student_id} is already somebody else's "
             "role on this server", f"{r.student_id} 对应的数据库账号已被服务器上的其他角色占用")
            for r in df.itertuples() if r.student_id in taken]))


def _make_logins(crm: CRM, students: pd.DataFrame, *, reset=False) -> pd.DataFrame:
    """Give each roster student without one (all of ``reset``, or the ids in it) a PostgreSQL login
    with a new password; the rows of the credentials sheet (empty off PostgreSQL)."""
    sheet = pd.DataFrame(columns=CREDENTIAL_COLUMNS)
    if not _is_secured(crm):
        return sheet
    wanted = set(students["student_id"]) if reset is True else set(reset or ())
    rows = []
    try:
        with crm.engine.begin() as con:
            _logins_for(con, crm, students, wanted, rows)
    except DBAPIError as err:
        if getattr(getattr(err, "orig", None), "sqlstate", None) != "42501":
            raise
        raise _no_createrole(str(err.orig).splitlines()[0]) from None
    return pd.DataFrame(rows, columns=CREDENTIAL_COLUMNS)


def _logins_for(con, crm, students, wanted, rows) -> None:
    """Make the logins (in the caller's transaction), appending the sheet rows to ``rows``."""
    have = _classdb.logins(con)
    for r in students.itertuples():
        if r.student_id in have and r.student_id not in wanted:
            continue
        pw = _classdb.new_password()
        role = _classdb.create_login(con, r.student_id, pw)
        url = crm.engine.url.set(username=role, password=pw).render_as_string(hide_password=False)
        rows.append((r.student_id, r.name, role, pw, url))


def reset_passwords(crm, students=True) -> pd.DataFrame:
    """New passwords for ``students`` (ids; ``True``: the whole class): the credentials sheet rows.

    The old passwords stop working at once (PostgreSQL class databases only)."""
    crm = _as_crm(crm)
    return _make_logins(crm, roster(crm)[["student_id", "name"]], reset=students)


def write_credentials(sheet: pd.DataFrame, path) -> tuple[Path, Path]:
    """Write the teacher's credentials sheet: ``path`` (.csv, UTF-8 with BOM for Excel) and the same
    name with ``.html`` (one card per student, to print and cut). Both readable by the owner only.

    Keep them like exam papers: whoever has a student's card can act as that student."""
    path = Path(path).with_suffix(".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    page = path.with_suffix(".html")
    cards = "".join(
        f'<div class="card"><b>{html.escape(str(r["姓名"]))}</b> 学号 {html.escape(str(r["学号"]))}<br>'
        f'用户名 user: <code>{html.escape(str(r["用户名"]))}</code><br>密码 password: <code>{html.escape(str(r["密码"]))}</code>'
        f'<br><small>from crmlab.system import classroom<br>desk = classroom.connect("{html.escape(str(r["连接串"]))}", '
        f'"{html.escape(str(r["学号"]))}")</small></div>' for _, r in sheet.iterrows())
    doc = ('<!doctype html><meta charset="utf-8"><title>班级 CRM 账号 / class CRM logins</title><style>'
           "body{font-family:sans-serif}.card{border:1px dashed #888;padding:8px;margin:6px;width:46%;"
           "display:inline-block;vertical-align:top;page-break-inside:avoid;font-size:13px}"
           "code{font-size:15px}small{color:#444;word-break:break-all}</style>"
           "<h3>班级 CRM 账号（请剪开分发，勿外传） / class CRM logins (cut and hand out; keep private)</h3>" + cards)
    for p, write in ((path, lambda f: sheet.to_csv(f, index=False)), (page, lambda f: f.write(doc))):
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8-sig" if p.suffix == ".csv" else "utf-8", newline="") as f:
            write(f)
    return path, page


def _require_class(crm: CRM) -> None:
    if not inspect(crm.engine).has_table(ROSTER_TABLE.name):
        raise NotFound("NO_CLASS", "no class roster in this database: the teacher loads it first "
                       "(crmlab classroom roster URL roster.csv)",
                       "该数据库中没有班级花名册，请老师先导入花名册（crmlab classroom roster URL 花名册.csv）")


def connect(url, student_id: str, *, password: str | None = None, live: bool = False, wait: float = 10.0) -> Desk:
    """A student's desk on the shared class CRM: ``desk = classroom.connect(URL, "学号", password="…")``.

    ``url`` is the class URL the teacher hands out (the student's login ``<database>_<学号>`` is
    filled in), the student's own 连接串 from the credentials sheet, or the path of a credentials
    file (the teacher's CSV sheet, or a text file holding the 连接串); ``password`` may also be
    the path of a file holding the password. On PostgreSQL the database knows who the login
    belongs to: the desk — and anything done with this connection — acts only as that student
    (another 学号 is refused); the teacher's own URL may open any student's desk (rehearsal).

    Every action of the desk is checked against the student's role and ownership and logged
    under the student's login. The clock is the class's (moved by the teacher only). The student
    must be on the roster. On a secured class database with the student's own login the desk is
    a :class:`RemoteDesk`: same methods, reads direct, each action a request to the classroom
    service (:func:`serve`); when no service takes it within ``wait`` seconds,
    :class:`ServiceUnavailable` (班级服务没有运行…请告诉老师).

    >>> import tempfile, pathlib
    >>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'class.db'}"     # PostgreSQL in class
    >>> _ = load_roster(open_class(url), pd.DataFrame({"学号": ["S01"], "姓名": ["王芳"], "角色": ["业务员"],
    ...                                                "小组": ["A"]}))
    >>> connect(url, "S01")
    <Desk S01 王芳 (业务员)>
    >>> try:
    ...     connect(url, "S99")
    ... except NotFound as err:
    ...     print(err.code)
    NOT_IN_CLASS
    """
    if isinstance(url, CRM):
        url = url.url
    student_id = str(student_id)
    url = _student_url(url, student_id, password)
    crm = _ClassCRM(url, live=live)
    try:
        me, teacher = _identity(crm)
        if me is not None and me != student_id:
            raise PermissionDenied("NOT_YOUR_LOGIN", f"this database login belongs to {me}: it cannot connect as "
                                   f"{student_id}", f"这个数据库账号属于 {me}，不能以 {student_id} 的身份连接")
        if me is None and not teacher:
            raise PermissionDenied("NOT_A_CLASS_LOGIN", "this database login is not a login of this class",
                                   "这个数据库账号不属于本班")
        _require_class(crm)
        with crm.engine.connect() as con:
            found = con.execute(select(ROSTER_TABLE.c.student_id).where(ROSTER_TABLE.c.student_id == student_id)
                                ).scalar()
        if found is None:
            raise NotFound("NOT_IN_CLASS", f"{student_id!r} is not on the class roster",
                           f"{student_id!r} 不在班级花名册中")
        crm.sync_clock()
        crm.student, crm.remote, crm.service_wait = found, me is not None, float(wait)
        desk = crm.login(found)
    except BaseException:
        crm.close()
        raise
    return desk


def class_url(url) -> str:
    """The URL to hand out to the class: ``url`` without login and password (each student adds
    their own: ``classroom.connect(URL, "学号", password=…)``)."""
    from sqlalchemy.engine import make_url
    return make_url(_class_url(url))._replace(username=None, password=None).render_as_string(hide_password=False)


def _identity(crm: _ClassCRM) -> tuple[str | None, bool]:
    """(student id of the connection's database login, whether it is the teacher's); off a secured
    PostgreSQL database everyone is the teacher (the rules of the game, not a boundary)."""
    try:
        if not crm.secured():
            return None, True
        with crm.engine.connect() as con:
            return _classdb.whoami(con)
    except OperationalError as err:
        if "password" in str(err) or "authentication" in str(err):
            raise PermissionDenied("BAD_LOGIN", "the class database refused the login: check the 学号 and the "
                                   "password on your card", "班级数据库拒绝登录：请核对学号和账号卡上的密码") from None
        raise


def _student_url(url, student_id: str, password) -> str:
    """The URL to connect with: a credentials file read, the student's login and password filled in."""
    from sqlalchemy.engine import make_url

    text_ = str(url)
    if "://" not in text_ and text_ != ":memory:" and Path(text_).is_file():
        text_ = _from_file(Path(text_), student_id, "连接串")
    if password is not None and Path(str(password)).is_file():
        password = _from_file(Path(str(password)), student_id, "密码")
    text_ = _class_url(text_)
    if not text_.startswith(("postgresql", "postgres")):
        return text_
    u = make_url(text_)
    if not u.username:
        u = u.set(username=_classdb.login_role(u.database or "", student_id))
    if password is not None:
        u = u.set(password=str(password))
    return u.render_as_string(hide_password=False)


def _from_file(path: Path, student_id: str, column: str) -> str:
    """A value from a credentials file: the student's row of the CSV sheet, or the file's first line."""
    first = path.read_text(encoding="utf-8-sig").strip().splitlines()
    if first and "学号" in first[0] and column in first[0]:
        sheet = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        row = sheet[sheet["学号"] == student_id]
        if row.empty:
            raise NotFound("NOT_IN_SHEET", f"{student_id} is not in {path}", f"{path} 中没有 {student_id}")
        return row[column].iloc[0]
    if not first:
        raise NotFound("EMPTY_FILE", f"{path} is empty", f"{path} 是空文件")
    return first[0].strip()


# ============================================================================ the classroom service
#: Files of the classroom service in the server's data folder: its process id and its log.
WORKER_PID = "crmlab-worker.pid"
WORKER_LOG = "worker.log"
#: What the service's connections call themselves (``pg_stat_activity.application_name``).
SERVICE_NAME = "crmlab classroom service"


def serve(url, *, threads: int = 2, log=None) -> ActionWorker:
    """Start the classroom service (班级服务) for the class database at ``url``, the teacher's URL:
    ``threads`` worker threads that run the students' requests through the engine (see
    :mod:`crmlab.system._classserver`). Returns the running :class:`ActionWorker`; ``stop()`` ends
    it. ``crmlab classroom start`` runs it in a process beside the server, ``crmlab classroom serve``
    in the foreground (a school's own PostgreSQL); tests run it in threads.

    Installs the classroom's security first (as :func:`open_class`); refuses a URL whose login does
    not own the class database (a student's) and a database that is not PostgreSQL."""
    from sqlalchemy.engine import make_url

    crm = open_class(url)
    try:
        if not _classdb.is_postgres(crm.engine):
            raise GuardFailed("NEEDS_POSTGRES", "the classroom service runs on a PostgreSQL class database",
                              "班级服务只能用于 PostgreSQL 班级数据库")
        if not _owns_tables(crm):
            raise GuardFailed("NOT_THE_TEACHER", "the classroom service needs the teacher's URL (the login that owns "
                              "the class database)", "班级服务需要教师连接串（拥有班级数据库的账号）")
    finally:
        crm.close()
    named = make_url(_class_url(url)).update_query_dict({"application_name": SERVICE_NAME}).render_as_string(
        hide_password=False)
    return ActionWorker(lambda: _ClassCRM(named), threads=threads, log=log).start()


def _alive_worker(pid: int) -> bool:
    """Whether ``pid`` is a running classroom service (reaping it first when it is our own ended child)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"crmlab.system.classroom" in cmd and b"serve" in cmd


def worker_pid(data_dir) -> int | None:
    """The process id of the classroom service started for the server in ``data_dir`` (None: not running)."""
    try:
        pid = int((Path(data_dir).resolve() / WORKER_PID).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _alive_worker(pid) else None


def start_worker(data_dir, url, *, threads: int = 2) -> int:
    """Start the classroom service in a background process beside the server of ``data_dir`` (its
    pid in ``data_dir/crmlab-worker.pid``, its log in ``data_dir/worker.log``); returns the pid.
    The teacher's URL goes to it in the environment, never on a command line others can read."""
    data_dir = Path(data_dir).resolve()
    pid = worker_pid(data_dir)
    if pid is not None:
        return pid
    env = {**os.environ, "CRMLAB_CLASS_URL": str(url)}
    with open(data_dir / WORKER_LOG, "a", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "crmlab.system.classroom", "serve", "--threads", str(threads)],
                                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    (data_dir / WORKER_PID).write_text(f"{proc.pid}\n", encoding="utf-8")
    try:
        proc.wait(timeout=1.5)
    except subprocess.TimeoutExpired:
        return proc.pid
    (data_dir / WORKER_PID).unlink(missing_ok=True)
    tail = (data_dir / WORKER_LOG).read_text(encoding="utf-8").splitlines()[-5:]
    raise RuntimeError("班级服务未能启动 / the classroom service did not start:\n" + "\n".join(tail))


def stop_worker(data_dir, *, timeout: float = 20.0) -> bool:
    """Stop the classroom service of ``data_dir`` (it finishes the request it runs); whether one ran."""
    path = Path(data_dir).resolve() / WORKER_PID
    pid = worker_pid(data_dir)
    path.unlink(missing_ok=True)
    if pid is None:
        return False
    import signal
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + timeout
    while _alive_worker(pid) and time.monotonic() < end:
        time.sleep(0.1)
    if _alive_worker(pid):
        os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)                     # our own child (tests): reap it, it is ending
    except ChildProcessError:
        pass
    return True


# ============================================================================ the scenario
#: Role groups of the scenario → the CRM roles that play them.
ROLE_GROUPS = {"rep": ("sales_rep",), "evaluator": ("sales_manager", "sales_director"), "engineer": ("engineer",),
               "desk": ("service_manager",)}
_GROUP_OF = {r: g for g, roles in ROLE_GROUPS.items() for r in roles}


@dataclass(frozen=True)
class Step:
    """One step of the classroom scenario: who plays it, what it is, its points and its check.

    ``check(state, student)`` returns ``(done, when, note)`` from the database evidence.
    """
    id: str
    group: str
    title: str
    title_zh: str
    points: float
    evidence: str
    check: Callable


class _State:
    """What the checks read, loaded once: the audit log (who, when, what, which document), the
    document headers with their owners, and the opportunities."""

    def __init__(self, crm: CRM):
        log = m.AuditLog
        self.flags: dict[str, list[str]] = {}
        untrusted: set[int] = set()
        with crm.engine.connect() as con:
            if _is_secured(crm) and _classdb.whoami(con)[1]:          # the teacher's view: check the evidence
                untrusted, self.flags = _classdb.evidence_problems(con)
            r = con.execute(select(log.id, log.at, log.user_login, log.action, log.doc_type, log.doc_no)
                            .order_by(log.id))
            self.log = pd.DataFrame(r.fetchall(), columns=list(r.keys()))
        # only evidence the server stamped: a student's audit entry written by hand is not counted
        self.log = self.log[~self.log["id"].isin(untrusted)].drop(columns="id").reset_index(drop=True)
        self.log["at"] = pd.to_datetime(self.log["at"])
        self.opps = crm.opportunities()
        self.last_stage = crm.method().codes[-1]
        self.n_stages = len(crm.method().codes)

    def first(self, student, actions, doc_type=None, docs=None):
        f = self.log[(self.log["user_login"] == student) & self.log["action"].isin(actions)]
        if doc_type is not None:
            f = f[f["doc_type"] == doc_type]
        if docs is not None:
            f = f[f["doc_no"].isin(list(docs))]
        return f["at"].min() if len(f) else None

    def by_others(self, student, actions, docs) -> str:
        f = self.log[(self.log["user_login"] != student) & self.log["action"].isin(actions)
                     & self.log["doc_no"].isin(list(docs)) & (self.log["doc_type"] == "opportunity")]
        return "; ".join(f"{no}: {a} by {u}" for (no, a, u), _ in f.groupby(["doc_no", "action", "user_login"]))

    def own_opps(self, student) -> pd.DataFrame:
        return self.opps[self.opps["owner"] == student]


def _simple(actions, doc_type):
    def check(st: _State, s: str):
        when = st.first(s, actions, doc_type)
        return when is not None, when, ""
    return check


def _check_potential(st: _State, s: str):
    best = None
    for no in st.own_opps(s)["opportunity_id"]:
        a = st.first(s, ["set_potential"], "opportunity", [no])
        b = st.first(s, ["add_interest"], "opportunity", [no])
        if a is not None and b is not None:
            best = max(a, b) if best is None else min(best, max(a, b))
    return best is not None, best, ""


def _check_stages(st: _State, s: str):
    opps = st.own_opps(s)
    reached = opps[(opps["stage"] == st.last_stage) | (opps["status"] == "won")]
    best, notes = None, []
    for no in reached["opportunity_id"]:
        adv = st.log[(st.log["user_login"] == s) & (st.log["action"] == "advance") & (st.log["doc_no"] == no)
                     & (st.log["doc_type"] == "opportunity")]
        if len(adv) >= st.n_stages - 1:
            when = adv["at"].iloc[st.n_stages - 2]
            best = when if best is None else min(best, when)
        else:
            other = st.by_others(s, ["advance"], [no])
            notes.append(f"{no} reached the last stage, advanced by someone else ({other}) / 阶段推进由他人完成")
    return best is not None, best, "" if best is not None else " | ".join(notes)


def _check_win(st: _State, s: str):
    opps = st.own_opps(s)
    won = opps[opps["status"] == "won"]["opportunity_id"]
    when = st.first(s, ["win"], "opportunity", won)
    note = ""
    if when is None and len(won):
        note = f"won by someone else ({st.by_others(s, ['win'], won)}) / 赢单由他人完成"
    return when is not None, when, note


def _check_evaluate(st: _State, s: str):
    f = st.log[(st.log["user_login"] == s) & st.log["action"].str.startswith("evaluate_")
               & (st.log["doc_type"] == "opportunity")]
    return len(f) > 0, (f["at"].min() if len(f) else None), ""


#: The classroom scenario (crmlab's; textbook tasks 13.2–14.2, exercises E13.4–E13.7 and E14.6):
#: each role's points add up to 100.
SCENARIO: tuple[Step, ...] = (
    Step("rep_lead", "rep", "capture a lead", "新增线索", 5, "audit log: new_lead by the student",
         _simple(["new_lead"], "lead")),
    Step("rep_convert", "rep", "convert the lead (new customer, contact, opportunity)", "线索转化为商机", 10,
         "audit log: convert_lead (the student owns the new opportunity)", _simple(["convert_lead"], "opportunity")),
    Step("rep_potential", "rep", "fill in the 潜在机会 tab with interest products", "完善潜在机会与兴趣范围", 10,
         "audit log: set_potential and add_interest by the student on an opportunity they own", _check_potential),
    Step("rep_submit", "rep", "submit the opportunity for evaluation", "提交评估", 10,
         "audit log: submit_evaluation by the student", _simple(["submit_evaluation"], "opportunity")),
    Step("ev_customer", "evaluator", "audit a customer and mark it as a trading customer", "审核客户并设为交易客户", 40,
         "audit log: set_trading of a customer by the student", _simple(["set_trading"], "customer")),
    Step("ev_evaluate", "evaluator", "evaluate a submitted opportunity", "评估商机", 60,
         "audit log: evaluate_* by the student (the named evaluator)", _check_evaluate),
    Step("rep_activity", "rep", "log an activity on the opportunity", "新增活动", 10,
         "audit log: new_activity by the student", _simple(["new_activity"], "activity")),
    Step("rep_task", "rep", "complete a task (assigned, actual times)", "完成任务", 10,
         "audit log: complete_task by the student", _simple(["complete_task"], "task")),
    Step("rep_quote", "rep", "make a quote from the opportunity", "从商机生成报价单", 10,
         "audit log: push_down_quote by the student", _simple(["push_down_quote"], "quote")),
    Step("rep_stages", "rep", "advance the opportunity to 签约阶段", "阶段推进至签约阶段", 20,
         "an own opportunity at the last stage (or won) with every advance done by the student", _check_stages),
    Step("rep_win", "rep", "win the opportunity (赢单)", "赢单", 15,
         "an own opportunity won, the win done by the student", _check_win),
    Step("desk_dispatch", "desk", "dispatch a service request to an engineer", "服务请求派工", 100,
         "audit log: dispatch (a work order created) by the student", _simple(["dispatch"], "work_order")),
    Step("eng_accept", "engineer", "accept a work order", "接受派工单", 40,
         "audit log: accept_work_order by the student", _simple(["accept_work_order"], "work_order")),
    Step("eng_handle", "engineer", "handle the work order (cause, action, parts)", "处理派工单", 60,
         "audit log: handle_work_order (a handling record) by the student", _simple(["handle_work_order"], "handling")),
)
_STEPS = {s.id: s for s in SCENARIO}


def scenario_table() -> pd.DataFrame:
    """The declared scenario as a table to print: step, role, roles (CRM codes), title, 标题,
    points, evidence.

    >>> t = scenario_table()
    >>> t.groupby("role", sort=False)["points"].sum().to_dict()
    {'rep': 100, 'evaluator': 100, 'desk': 100, 'engineer': 100}
    """
    return pd.DataFrame([{"step": s.id, "role": s.group, "roles": ", ".join(ROLE_GROUPS[s.group]),
                          "title": s.title, "title_zh": s.title_zh, "points": s.points, "evidence": s.evidence}
                         for s in SCENARIO])


def progress(crm, *, wide: bool = False) -> pd.DataFrame:
    """Each student's progress through the scenario, read from the shared database.

    One row per student × step of their role: student, name, role, team, step, title_zh,
    ``done``, ``at`` (CRM time of the evidence) and ``note`` (e.g. a step on the student's
    opportunity done by someone else). ``wide=True``: students as rows, steps as columns,
    ``True``/``False`` (empty where the step is not the student's role).

    >>> crm = open_class(":memory:")
    >>> _ = load_roster(crm, pd.DataFrame({"学号": ["S01"], "姓名": ["王芳"], "角色": ["服务工程师"], "小组": ["B"]}))
    >>> progress(crm)[["student", "step", "done"]].values.tolist()
    [['S01', 'eng_accept', False], ['S01', 'eng_handle', False]]
    """
    crm = _as_crm(crm)
    _require_class(crm)
    students = roster(crm)
    st = _State(crm)
    rows = []
    for s in students.itertuples():
        group = _GROUP_OF.get(s.role)
        for step in SCENARIO:
            if step.group != group:
                continue
            done, when, note = step.check(st, s.student_id)
            rows.append({"student": s.student_id, "name": s.name, "role": s.role, "team": s.team, "step": step.id,
                         "title_zh": step.title_zh, "done": bool(done),
                         "at": pd.Timestamp(when) if when is not None else pd.NaT, "note": note})
    f = pd.DataFrame(rows, columns=["student", "name", "role", "team", "step", "title_zh", "done", "at", "note"])
    f["at"] = pd.to_datetime(f["at"])
    f.attrs["flags"] = st.flags
    if wide:
        order = [s.id for s in SCENARIO if s.id in set(f["step"])]
        w = f.pivot(index="student", columns="step", values="done").reindex(columns=order)
        w = w.reindex(students["student_id"])
        w.columns.name = None
        return w
    return f


def _summary(p: pd.DataFrame) -> pd.DataFrame:
    """Students as rows (team, name, role) and steps as columns: '✓ HH:MM', '·' or ''."""
    if p.empty:
        return pd.DataFrame()
    cell = p.apply(lambda r: f"✓ {r['at']:%m-%d %H:%M}" if r["done"] else "·", axis=1)
    q = p.assign(cell=cell)
    order = [s.id for s in SCENARIO if s.id in set(p["step"])]
    w = q.pivot(index=["team", "student", "name", "role"], columns="step", values="cell").reindex(columns=order)
    w = w.fillna("")
    done = p.groupby(["team", "student", "name", "role"])["done"].agg(["sum", "count"])
    w["done"] = [f"{int(a)}/{int(b)}" for a, b in done.loc[w.index].itertuples(index=False)]
    w.columns.name = None
    return w


def _html(p: pd.DataFrame) -> str:
    w = _summary(p)
    if w.empty:
        return "<p>No students yet (load the roster) / 尚无学生（请先导入花名册）</p>"
    titles = {s.id: f"{html.escape(s.title_zh)}<br><small>{s.id}</small>" for s in SCENARIO}
    head = "".join(f"<th>{h}</th>" for h in ("小组 team", "学号", "姓名", "角色"))
    head += "".join(f"<th>{titles.get(c, c)}</th>" for c in w.columns)
    body = []
    for idx, row in w.iterrows():
        team, sid, name, role = idx
        cells = [html.escape(str(team)), html.escape(sid), html.escape(str(name)),
                 html.escape(perm.ROLES.get(role, (role,))[0])]
        tds = "".join(f"<td>{c}</td>" for c in cells)
        for c, v in row.items():
            colour = "#d7f5dd" if str(v).startswith("✓") else ("#f4f4f4" if v == "·" else "white")
            tds += f'<td style="background:{colour};text-align:center">{html.escape(str(v))}</td>'
        body.append(f"<tr>{tds}</tr>")
    return (f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def dashboard(crm):
    """The teacher's dashboard (ipywidgets): progress of every student (student × step, ✓ and
    the time, or ·), a team filter, a summary line and a 刷新 Refresh button. Call
    ``view.refresh()`` (or press the button) to read the database again.

    >>> crm = open_class(":memory:")
    >>> view = dashboard(crm)
    >>> type(view).__name__, "尚无学生" in view.children[2].value
    ('VBox', True)
    """
    import ipywidgets as w

    crm = _as_crm(crm)
    button = w.Button(description="刷新 Refresh", icon="refresh")
    teams = w.Dropdown(options=["全部 all"], description="小组")
    summary, table = w.HTML(), w.HTML()

    def refresh(_=None):
        p = progress(crm)
        options = ["全部 all", *sorted(p["team"].unique())]
        if list(teams.options) != options:
            keep = teams.value if teams.value in options else "全部 all"
            teams.options = options
            teams.value = keep
        if teams.value != "全部 all":
            p = p[p["team"] == teams.value]
        n = p["student"].nunique()
        per = p.groupby("student")["done"].all() if n else pd.Series(dtype=bool)
        summary.value = (f"<b>{n}</b> students 学生 · <b>{int(p['done'].sum())}</b>/{len(p)} steps done 已完成步骤 · "
                         f"<b>{int(per.sum())}</b> finished 全部完成 · CRM time {crm.now:%Y-%m-%d %H:%M}")
        table.value = _html(p)

    button.on_click(refresh)
    teams.observe(refresh, names="value")
    box = w.VBox([w.HBox([button, teams]), summary, table])
    box.refresh = refresh
    refresh()
    return box


# ============================================================================ playing the scenario
_CHILD = {"understanding": "activity", "pre_study": "task", "proposal": "quote", "bidding": "sample"}


def _stale_error():
    from . import errors
    return getattr(errors, "StaleRecord", ())


def autoplay(desk, *, evaluator: str | None = None) -> list[str]:
    """Do the next steps of this student's role that are possible now (a simulated student, for
    rehearsing the lesson, tests and the load test); returns the actions done.

    A sales rep: lead → conversion → 潜在机会 → submit to ``evaluator`` → (after evaluation)
    activity, task, quote, sample and the stage pushes → 赢单 (the quote waits until the
    customer is a trading customer). An evaluator: audits the customer, sets it trading and
    passes each opportunity waiting for them. An engineer: accepts and handles each work order.
    Call it again after the others have acted; it resumes where it stopped.

    >>> crm = open_class(":memory:")
    >>> _ = load_roster(crm, pd.DataFrame({"学号": ["S01", "S02"], "姓名": ["王芳", "李雷"],
    ...                                    "角色": ["业务员", "评估人"], "小组": ["A", "A"]}))
    >>> autoplay(crm.login("S01"), evaluator="S02")
    ['new_lead', 'convert_lead', 'set_potential', 'add_interest', 'submit_evaluation']
    >>> autoplay(crm.login("S02"))
    ['audit', 'set_trading', 'evaluate']
    >>> len(autoplay(crm.login("S01")))
    11
    >>> grade_from_db(crm)["total"].tolist()
    [100.0, 100.0]
    """
    crm, me = desk.crm, desk.login
    role = desk.user.role
    done: list[str] = []

    def do(name, fn, *a, **kw):
        out = fn(*a, **kw)
        done.append(name)
        return out

    if role == "sales_rep":
        opps = crm.documents(user=me, doc_type="opportunity")
        opps = opps[~opps["status"].isin(["lost", "failed"])]
        if opps.empty:
            leads = crm.documents(user=me, doc_type="lead", status="saved")
            if leads.empty:
                lead = do("new_lead", desk.new_lead, f"{desk.user.name} 服务器购买意愿", source="市场活动",
                          customer_name=f"课堂客户 {me}", contact_name="钱工")
            else:
                lead = leads["no"].iloc[0]
            opp = do("convert_lead", desk.convert_lead, lead, new_customer=True, new_contact=True)
        else:
            opp = opps["no"].iloc[-1]
        d = crm.doc(opp)
        if d["status"] == "potential":
            if not d.get("expected_close"):
                do("set_potential", desk.set_potential, opp, expected_close=crm.now.date() + dt.timedelta(days=90),
                   source="市场活动", interest="高", need="替换老旧服务器")
            if not d.get("expected_revenue"):
                do("add_interest", desk.add_interest, opp, "R740", qty=2, price=48_000)
            if evaluator is None:
                return done
            do("submit_evaluation", desk.submit_evaluation, opp, evaluator=evaluator)
            return done
        while d["status"] == "open":
            stage = d["stage"]
            child = _CHILD.get(stage)
            rows = crm.stages(opp)
            cur = rows.iloc[-1]
            if child == "activity" and cur["n_activity"] == 0:
                do("new_activity", desk.new_activity, opp, "初次拜访，了解机房现状")
            elif child == "task" and cur["n_task"] == 0:
                task = do("new_task", desk.new_task, opp, "机房环境调研报告")
                do("assign_task", desk.assign_task, task, me)
                do("complete_task", desk.complete_task, task, actual_start=crm.now, actual_end=crm.now)
            elif child == "quote" and cur["n_quote"] == 0:
                cu = crm.doc(d["customer_no"])
                if not (cu["status"] == "audited" and cu["is_trading"]):
                    return done                               # wait for the evaluator (R34)
                do("new_quote", desk.new_quote_from_opportunity, opp)
            elif child == "sample" and cur["n_sample"] == 0:
                do("new_sample", desk.new_sample, opp, [("R740", 1, 48_000)])
            if stage == crm.method().codes[-1]:
                do("win", desk.win, opp, reason="方案契合、响应及时", date=crm.now.date())
            else:
                do("advance", desk.advance, opp, end_stage_now=True)
            d = crm.doc(opp)
        return done
    if role in ROLE_GROUPS["evaluator"]:
        for no in crm.pending(me).query("action == 'evaluate'")["no"]:
            cust = crm.doc(crm.doc(no)["customer_no"])
            if cust["status"] != "audited":
                do("audit", desk.audit, cust["no"])
            if not crm.doc(cust["no"])["is_trading"]:
                do("set_trading", desk.set_trading, cust["no"])
            do("evaluate", desk.evaluate, no, "pass", comment="需求明确，同意推进")
        return done
    if role == "engineer":
        for row in crm.pending(me).itertuples():
            if row.action == "accept":
                do("accept_work_order", desk.accept_work_order, row.no, "已电话确认故障现象")
                do("handle_work_order", desk.handle_work_order, row.no, cause="电源模块故障", action="更换电源模块",
                   parts=[("PSU", 1)])
            elif row.action == "handle":
                do("handle_work_order", desk.handle_work_order, row.no, cause="电源模块故障", action="更换电源模块",
                   parts=[("PSU", 1)])
        return done
    if role == "service_manager":
        f = dispatch_requests(crm, desk_user=me)
        return ["dispatch"] * len(f)
    return done


def dispatch_requests(crm, *, desk_user: str = "chenjing", customer=None, product: str = "R740") -> pd.DataFrame:
    """Give every engineer of the class a service request to handle (the service desk's part).

    For each roster engineer without a live work order, ``desk_user`` (a 客服主管; the demo's
    陈静 by default) registers a product archive for ``customer`` (default: the first trading
    customer), records a service request, assigns it to themself and dispatches it to the
    engineer (R30–R31). Idempotent. Returns student, service_request, work_order.

    >>> crm = open_class(":memory:")
    >>> _ = load_roster(crm, pd.DataFrame({"学号": ["E01"], "姓名": ["赵工"], "角色": ["服务工程师"], "小组": ["服务组"]}))
    >>> dispatch_requests(crm)[["student", "work_order"]].values.tolist()
    [['E01', 'PG000001']]
    >>> len(dispatch_requests(crm))                       # again: nothing to do
    0
    """
    crm = _as_crm(crm)
    cols = ["student", "service_request", "work_order"]
    engineers = roster(crm).query("role == 'engineer'")["student_id"]
    if engineers.empty:
        return pd.DataFrame(columns=cols)
    orders = crm.documents(doc_type="work_order")
    busy = set(orders[orders["status"] != "rejected"]["owner"])
    todo = [e for e in engineers if e not in busy]
    if not todo:
        return pd.DataFrame(columns=cols)
    if customer is None:
        cs = crm.customers()
        cs = cs[(cs["status"] == "audited") & cs["is_trading"].astype(bool)]
        if cs.empty:
            raise NotFound("NO_TRADING_CUSTOMER", "no trading customer to attach service requests to",
                           "没有可用于服务请求的交易客户")
        customer = cs["no"].iloc[0]
    cj = crm.login(desk_user)
    rows = []
    for e in todo:
        archive = cj.register_product_archive(customer, product, 1)
        req = cj.new_service_request(customer, archive, f"服务器无法开机（{e}）",
                                     required_by=crm.now.date() + dt.timedelta(days=2))
        cj.assign_request(req, desk_user)
        rows.append((e, req, cj.dispatch(req, e)))
    return pd.DataFrame(rows, columns=cols)


# ============================================================================ grading
def grade_from_db(crm, points: dict | None = None, *, lab: str = "04_system", notebook: str = "classroom",
                  deadline=None) -> pd.DataFrame:
    """Score every student of the class from the shared database, as a gradebook.

    The columns are those of the notebook gradebook (:func:`crmlab.grading.gradebook`):
    ``student``, ``lab``, ``notebook``, one column per scenario step (points earned; empty where
    the step is not the student's role), ``total``, ``max``, ``late`` (a step done after
    ``deadline``, CRM time) and ``problems`` (notes such as a step done by someone else). A step
    scores its points (:data:`SCENARIO`, or ``points={"rep_win": 20, …}``) when its evidence
    shows that the student did it.

    >>> crm = open_class(":memory:")
    >>> _ = load_roster(crm, pd.DataFrame({"学号": ["S01"], "姓名": ["王芳"], "角色": ["业务员"], "小组": ["A"]}))
    >>> book = grade_from_db(crm)
    >>> book.columns[:4].tolist(), book.columns[-4:].tolist()
    (['student', 'lab', 'notebook', 'rep_lead'], ['total', 'max', 'late', 'problems'])
    """
    crm = _as_crm(crm)
    points = dict(points or {})
    unknown = sorted(set(points) - set(_STEPS))
    if unknown:
        raise GuardFailed("UNKNOWN_STEP", f"unknown steps {unknown}; use {list(_STEPS)}", f"未知的步骤 {unknown}")
    limit = None
    if deadline is not None:
        limit = pd.Timestamp(deadline)
        limit = limit.tz_localize(None) if limit.tzinfo is not None else limit    # the CRM clock is local
    p = progress(crm)
    flags = p.attrs.get("flags", {})
    steps = [s.id for s in SCENARIO]
    rows = []
    for sid, g in p.groupby("student", sort=False):
        row = {"student": sid, "lab": lab, "notebook": notebook}
        total = mx = 0.0
        late = False
        notes = []
        for r in g.itertuples():
            pts = float(points.get(r.step, _STEPS[r.step].points))
            got = pts if r.done else 0.0
            row[r.step] = got
            total += got
            mx += pts
            if r.done and limit is not None and r.at > limit:
                late = True
            if r.note:
                notes.append(f"{r.step}: {r.note}")
        if not g["done"].any():
            notes.append("no step found in the database / 数据库中没有该学生完成的步骤")
        notes += flags.get(sid, [])
        row.update(total=total, max=mx, late=late, problems=" | ".join(notes))
        rows.append(row)
    for s in roster(crm).itertuples():                       # students whose role has no step
        if s.student_id not in set(p["student"]):
            rows.append({"student": s.student_id, "lab": lab, "notebook": notebook, "total": 0.0, "max": 0.0,
                         "late": False, "problems": f"role {s.role} has no scenario step / 该角色没有实训步骤"})
    book = pd.DataFrame(rows, columns=["student", "lab", "notebook", *steps, "total", "max", "late", "problems"])
    used = [c for c in steps if book[c].notna().any()]
    book = book[["student", "lab", "notebook", *used, "total", "max", "late", "problems"]]
    return book.sort_values("student", kind="stable").reset_index(drop=True)


def write_gradebook(book: pd.DataFrame, path) -> Path:
    """Write a gradebook CSV as ``crmlab grade`` writes the notebook gradebook: UTF-8 with a
    byte-order mark (Excel and WPS read its Chinese), no index, numbers in their shortest form."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.to_csv(path, index=False, encoding="utf-8-sig", float_format="%g", lineterminator="\n")
    return path


def grade_command(lab: str, url: str, out="grades", *, points: dict | None = None, deadline=None) -> pd.DataFrame:
    """``crmlab grade LAB --from-db URL --out OUT``: grade the class from the database and write
    the gradebook to ``OUT`` when it ends in ``.csv``, else to ``OUT/LAB/classroom_gradebook.csv``
    (next to, never over, the notebook gradebook). Returns the gradebook (``.attrs["gradebook"]``
    is the file written)."""
    crm = _ClassCRM(url)
    try:
        book = grade_from_db(crm, points, lab=lab, deadline=deadline)
    finally:
        crm.close()
    out = Path(out)
    path = out if out.suffix.lower() == ".csv" else out / lab / "classroom_gradebook.csv"
    book.attrs["gradebook"] = str(write_gradebook(book, path))
    return book


def cli_grade(args) -> int:
    """The ``crmlab grade … --from-db URL`` branch of :func:`crmlab.cli.cmd_grade` (``args``: lab,
    from_db, out, and optionally deadline and points as ``STEP=POINTS`` strings)."""
    points = {}
    for item in getattr(args, "points", None) or []:
        step, _, value = item.partition("=")
        points[step.strip()] = float(value)
    deadline = getattr(args, "deadline", None) or getattr(args, "duedate", None)
    book = grade_command(args.lab, args.from_db, args.out, points=points or None, deadline=deadline)
    print(f"{args.lab}: graded {len(book)} student(s) from the class database; gradebook {book.attrs['gradebook']}")
    for row in book.itertuples():
        print(f"  {row.student:24s} {row.total:g} / {row.max:g}")
    return 0


# ============================================================================ command line
def _cmd_start(a) -> int:
    url = start_server(a.data, a.port, listen=a.listen, password=a.password, host=a.host)
    crm = open_class(url)
    crm.close()
    pid = start_worker(a.data, url, threads=a.threads)
    public = class_url(url)
    print(f"班级 CRM 已启动 (class CRM running)。教师连接串，请勿外传 (teacher's URL, keep it private):\n    {url}")
    print(f"班级服务已启动 (classroom service running, pid {pid})：学生的操作由它执行 (it runs the students' actions)")
    print("下一步 (next): crmlab classroom roster 教师连接串 roster.csv  → 每位学生一个账号和密码 "
          "(one login and password per student)")
    print("学生在笔记本中运行 (students run):")
    print(f'    from crmlab.system import classroom\n    desk = classroom.connect("{public}", "学号", password="密码")')
    return 0


def _cmd_stop(a) -> int:
    if stop_worker(a.data):
        print("班级服务已停止 / classroom service stopped")
    print("stopped / 已停止" if stop_server(a.data) else "no server was running / 服务器未运行")
    return 0


def _cmd_serve(a) -> int:
    import signal
    url = a.url or os.environ.get("CRMLAB_CLASS_URL")
    if not url:
        print("请给出教师连接串（或设置环境变量 CRMLAB_CLASS_URL）/ give the teacher's URL (or set CRMLAB_CLASS_URL)",
              file=sys.stderr)
        return 2
    worker = serve(url, threads=a.threads)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)        # stop: finish the request, then end
    print(f"班级服务运行中，按 Ctrl-C 停止 / classroom service running ({a.threads} threads), Ctrl-C stops it",
          flush=True)
    try:
        worker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    print("班级服务已停止 / classroom service stopped", flush=True)
    return 0


def _cmd_roster(a) -> int:
    crm = open_class(a.url)
    try:
        reset = True if a.reset_passwords == "all" else (a.reset_passwords.split(",") if a.reset_passwords else False)
        out = load_roster(crm, a.csv, admin=a.admin, reset_passwords=reset)
    except RosterError as err:
        print(str(err), file=sys.stderr)
        return 2
    finally:
        crm.close()
    print(out.to_string(index=False))
    for w in out.attrs.get("warnings", []):
        print("warning / 注意:", w)
    sheet = out.attrs.get("credentials")
    if sheet is not None and len(sheet):
        target = a.credentials or Path(a.csv).with_name(Path(a.csv).stem + "_logins.csv")
        csv_path, page = write_credentials(sheet, target)
        print(f"已生成 {len(sheet)} 个账号 ({len(sheet)} login(s) made): {csv_path}, {page}\n"
              "密码仅此一份，请妥善保管 (the only copy of the passwords: keep it private)")
    if a.dispatch:
        print(dispatch_requests(a.url, desk_user=a.desk).to_string(index=False))
    return 0


def _cmd_dispatch(a) -> int:
    print(dispatch_requests(a.url, desk_user=a.desk).to_string(index=False))
    return 0


def _cmd_dashboard(a) -> int:
    crm = _ClassCRM(a.url)
    try:
        while True:
            p = progress(crm)
            if a.html:
                Path(a.html).write_text(f'<meta charset="utf-8"><meta http-equiv="refresh" content="{a.watch or 30}">'
                                        + _html(p), encoding="utf-8")
            table = _summary(p)
            print(table.to_string() if not table.empty else "no students yet / 尚无学生")
            print(f"{int(p['done'].sum())}/{len(p)} steps done / 已完成步骤", flush=True)
            if not a.watch:
                return 0
            time.sleep(a.watch)
    except KeyboardInterrupt:
        return 0
    finally:
        crm.close()


def add_cli(sub) -> argparse.ArgumentParser:
    """Register ``crmlab classroom start|stop|serve|roster|dispatch|dashboard|grade`` on the
    sub-parsers ``sub`` of the ``crmlab`` command line; returns the ``classroom`` parser."""
    cls = sub.add_parser("classroom", help="one shared CRM for a class: server, roster, dashboard (课堂角色扮演)")
    act = cls.add_subparsers(dest="action", required=True)
    p = act.add_parser("start", help="start the class's PostgreSQL server and create the CRM")
    p.add_argument("--data", required=True, help="folder of the database cluster (kept between lessons)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--listen", default="127.0.0.1", help="address to listen on (not loopback: needs --password)")
    p.add_argument("--password", default=None)
    p.add_argument("--host", default=None, help="host name to print in the students' connection line")
    p.add_argument("--threads", type=int, default=2, help="threads of the classroom service (default 2)")
    p.set_defaults(func=_cmd_start)
    p = act.add_parser("stop", help="stop the classroom service and the class's PostgreSQL server (the data stay)")
    p.add_argument("--data", required=True)
    p.set_defaults(func=_cmd_stop)
    p = act.add_parser("serve", help="run the classroom service (the students' actions) for a class database; "
                       "the URL may come from $CRMLAB_CLASS_URL (not visible to other users, unlike a command line)")
    p.add_argument("url", nargs="?", default=None, help="the teacher's URL (default: $CRMLAB_CLASS_URL)")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=_cmd_serve)
    p = act.add_parser("roster", help="create the students' users and teams from a CSV roster (idempotent)")
    p.add_argument("url")
    p.add_argument("csv")
    p.add_argument("--admin", default="admin", help="the Administrator's login (default admin)")
    p.add_argument("--dispatch", action="store_true", help="also give every engineer a service request")
    p.add_argument("--desk", default="chenjing", help="service-desk user who dispatches (default chenjing)")
    p.add_argument("--credentials", default=None,
                   help="the students' logins sheet (CSV + printable HTML; default ROSTER_logins.csv)")
    p.add_argument("--reset-passwords", default=None, metavar="all|ID,ID",
                   help="new passwords for these students (or all)")
    p.set_defaults(func=_cmd_roster)
    p = act.add_parser("dispatch", help="give every engineer without a work order a service request")
    p.add_argument("url")
    p.add_argument("--desk", default="chenjing")
    p.set_defaults(func=_cmd_dispatch)
    p = act.add_parser("dashboard", help="print every student's progress (student × step)")
    p.add_argument("url")
    p.add_argument("--watch", type=float, default=0, help="refresh every SECONDS until Ctrl-C")
    p.add_argument("--html", default=None, help="also write the table to this HTML file (auto-refreshing)")
    p.set_defaults(func=_cmd_dashboard)
    p = act.add_parser("grade", help="score the class from the database (= crmlab grade LAB --from-db URL)")
    p.add_argument("from_db", metavar="url")
    p.add_argument("--lab", default="04_system")
    p.add_argument("--out", default="grades", help="a .csv file, or a folder (OUT/LAB/classroom_gradebook.csv)")
    p.add_argument("--deadline", default=None, help="CRM time after which a step is late")
    p.add_argument("--points", action="append", default=[], metavar="STEP=POINTS")
    p.set_defaults(func=cli_grade)
    return cls


def main(argv: list[str] | None = None) -> int:
    """``crmlab classroom …`` on its own: ``python -m crmlab.system.classroom start --data DIR``."""
    parser = argparse.ArgumentParser(prog="crmlab")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["classroom", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except (CRMError, FileNotFoundError, PermissionError, RuntimeError) as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
