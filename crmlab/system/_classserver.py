"""The classroom action service (班级服务): students' desks never write the class database.

In a secured classroom (PostgreSQL, :mod:`crmlab.system._classdb`) a student's database login may
only read (row-level security) and put **requests** into ``classroom_requests``: a method name of
the desk and its JSON arguments. The database fills in who asked (``session_user``, mapped to the
学号) and when; the student may read only their own requests. The teacher's side runs an
:class:`ActionWorker` (the owner's login, never a student's): it takes each request
(``LISTEN``/``NOTIFY`` and ``SELECT … FOR UPDATE SKIP LOCKED``, so several worker threads or
processes may run), runs it through the ordinary engine as that student — every validation,
record rule and lifecycle rule, the audit log written by the worker — and stores the result or
the error (its crmlab error class, code, 中文, English), then notifies the student. This is the
architecture of real CRMs (Odoo: clients never write tables): a student cannot write CRM data
or audit entries with SQL at all, so grades rest on the worker's evidence only.

:class:`RemoteDesk` is the student's :class:`~crmlab.system.Desk`: the same API, reads direct
(under row-level security), every action (:data:`ACTIONS`: the public methods that end in
``Desk._do``) sent as a request and waited for; the result comes back as if run locally, an
error re-raised with its own class. When no worker answers, :class:`ServiceUnavailable`
("班级服务没有运行…请告诉老师 / the classroom service is not running").

Arguments and results travel as JSON (:func:`encode` / :func:`decode`): numbers, text, lists,
dicts, and tagged dates, times, tuples, sets, bytes, decimals and DataFrames.

>>> decode(json.loads(json.dumps(encode([("PSU", 1), dt.date(2024, 3, 1), float("nan")]))))[:2]
[('PSU', 1), datetime.date(2024, 3, 1)]
>>> {"new_lead", "evaluate", "check_in"} <= ACTIONS and not {"documents", "get", "_do", "crm"} & ACTIONS
True
"""
from __future__ import annotations

import ast
import base64
import datetime as dt
import decimal
import functools
import importlib
import inspect
import json
import math
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crmlab.errors import CRMLabError

from .engine import Desk
from .errors import CRMError, InvalidValue, PermissionDenied

__all__ = ["ACTIONS", "RemoteDesk", "ActionWorker", "ServiceUnavailable", "encode", "decode", "REQUESTS",
           "CHANNEL", "MAX_ARGS"]

#: The table of requests, and the channel a worker listens on for new ones.
REQUESTS = "classroom_requests"
CHANNEL = "crmlab_requests"
#: Largest request (bytes of JSON), also a CHECK of the table.
MAX_ARGS = 1_000_000
#: Seconds a desk waits for a request that a worker is running, beyond its own wait.
RUNNING_GRACE = 120.0


class ServiceUnavailable(CRMError):
    """The classroom service (the teacher's action worker) did not take the request in time: nothing
    was done. The teacher runs ``crmlab classroom start`` (or ``crmlab classroom serve URL``)."""

    code = "SERVICE_DOWN"


def _down() -> ServiceUnavailable:
    return ServiceUnavailable(
        "SERVICE_DOWN", "the classroom service is not running, your action was not done: tell the teacher "
        "(crmlab classroom start, or crmlab classroom serve URL)",
        "班级服务没有运行，你的操作没有执行：请告诉老师（crmlab classroom start 或 crmlab classroom serve 连接串）")


def _interrupted() -> ServiceUnavailable:
    return ServiceUnavailable(
        "SERVICE_INTERRUPTED", "the classroom service stopped while running your action: reload (desk.documents()) "
        "to see whether it was done", "班级服务在执行你的操作时中断：请刷新（desk.documents()）查看操作是否已完成")


# ============================================================================ the desk's actions
def _self_names(node: ast.AST) -> set[str]:
    """The ``self.NAME`` attributes a method's body uses (nested functions included)."""
    return {n.attr for n in ast.walk(node)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"}


def _actions() -> frozenset[str]:
    """The public methods of :class:`Desk` that write: those reaching ``self._do`` (directly or through
    another method), read from the source of Desk's classes (each module parsed once)."""
    trees: dict[str, ast.Module] = {}
    uses: dict[str, set[str]] = {}
    for cls in reversed(Desk.__mro__[:-1]):                        # object last: later classes override
        module = cls.__module__
        if module not in trees:
            trees[module] = ast.parse(Path(sys.modules[module].__file__).read_text(encoding="utf-8"))
        node = next(n for n in trees[module].body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
        for f in node.body:
            if isinstance(f, ast.FunctionDef):
                uses[f.name] = _self_names(f)
    writes = {"_do"}
    grew = True
    while grew:
        new = {n for n, used in uses.items() if n not in writes and used & writes}
        writes |= new
        grew = bool(new)
    return frozenset(n for n in writes if not n.startswith("_"))


#: The desk actions a request may name (``Desk`` methods that write).
ACTIONS = _actions()


# ============================================================================ JSON arguments
def encode(x):
    """A JSON-ready form of an argument or result (tagged dicts for what JSON lacks); anything else
    raises :class:`~crmlab.system.InvalidValue` ``NOT_SENDABLE``."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, np.generic):
        return encode(x.item())
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else {"$float": repr(x)}
    if isinstance(x, decimal.Decimal):
        return {"$decimal": str(x)}
    if x is pd.NaT:
        return {"$nat": True}
    if isinstance(x, pd.Timestamp):
        return {"$timestamp": x.isoformat()}
    if isinstance(x, dt.datetime):
        return {"$datetime": x.isoformat()}
    if isinstance(x, dt.date):
        return {"$date": x.isoformat()}
    if isinstance(x, dt.time):
        return {"$time": x.isoformat()}
    if isinstance(x, dt.timedelta):
        return {"$timedelta": x.total_seconds()}
    if isinstance(x, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(x)).decode("ascii")}
    if isinstance(x, tuple):
        return {"$tuple": [encode(v) for v in x]}
    if isinstance(x, (set, frozenset)):
        return {"$set": [encode(v) for v in x]}
    if isinstance(x, list):
        return [encode(v) for v in x]
    if isinstance(x, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in x):
            return {k: encode(v) for k, v in x.items()}
        return {"$dict": [[encode(k), encode(v)] for k, v in x.items()]}
    if isinstance(x, pd.DataFrame):
        return {"$frame": {"columns": encode(list(x.columns)), "index": encode(list(x.index)),
                           "dtypes": [str(t) for t in x.dtypes], "data": encode([list(r) for r in x.itertuples(False)])}}
    if isinstance(x, pd.Series):
        return {"$series": {"name": encode(x.name), "index": encode(list(x.index)), "data": encode(list(x))}}
    raise InvalidValue("NOT_SENDABLE", f"a {type(x).__name__} cannot be sent to the classroom service: use text, "
                       "numbers, dates, lists or dicts", f"{type(x).__name__} 类型的值不能发送给班级服务：请使用文本、数字、日期、列表或字典")


_TAGS = {
    "$float": float, "$decimal": decimal.Decimal, "$nat": lambda _: pd.NaT, "$timestamp": pd.Timestamp,
    "$datetime": dt.datetime.fromisoformat, "$date": dt.date.fromisoformat, "$time": dt.time.fromisoformat,
    "$timedelta": lambda s: dt.timedelta(seconds=s), "$bytes": base64.b64decode,
    "$tuple": lambda v: tuple(decode(v)), "$set": lambda v: set(decode(v)),
    "$dict": lambda v: {decode(k): decode(w) for k, w in v},
}


def _frame(v) -> pd.DataFrame:
    f = pd.DataFrame(decode(v["data"]), columns=decode(v["columns"]), index=decode(v["index"]))
    for col, dtype in zip(f.columns, v["dtypes"]):
        if dtype != "object" and str(f[col].dtype) != dtype:
            try:
                f[col] = f[col].astype(dtype)
            except (TypeError, ValueError):
                pass
    return f


def decode(x):
    """The value :func:`encode` made JSON-ready."""
    if isinstance(x, list):
        return [decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if len(x) == 1:
        (tag, v), = x.items()
        if tag in _TAGS:
            return _TAGS[tag](v)
        if tag == "$frame":
            return _frame(v)
        if tag == "$series":
            return pd.Series(decode(v["data"]), index=decode(v["index"]), name=decode(v["name"]), dtype=object)
    return {k: decode(v) for k, v in x.items()}


def _dumps(x) -> str:
    return json.dumps(encode(x), ensure_ascii=False, allow_nan=False)


def _error_payload(err: BaseException, method: str) -> str:
    """The error of a request: its crmlab class and attributes; any other error as a CRMError."""
    if not isinstance(err, CRMLabError):
        first = (str(err).splitlines() or [""])[0][:300]
        err = CRMError("SERVICE_ERROR", f"the classroom service could not run {method}: {type(err).__name__}: {first}",
                       f"班级服务无法执行 {method}：{type(err).__name__}：{first}")
    cls = type(err)
    return json.dumps({"class": f"{cls.__module__}:{cls.__qualname__}", "args": encode(list(err.args)),
                       "state": encode(dict(vars(err)))}, ensure_ascii=False, allow_nan=False)


def _error(payload: str) -> CRMLabError:
    """The crmlab error of a request, rebuilt with its own class (a CRMError if the class is unknown)."""
    p = json.loads(payload)
    module, _, qual = p["class"].partition(":")
    cls = None
    if module == "crmlab" or module.startswith("crmlab."):
        obj = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, type) and issubclass(obj, CRMLabError):
            cls = obj
    cls = cls or CRMError
    err = cls.__new__(cls)
    err.args = tuple(decode(p["args"]))
    err.__dict__.update(decode(p["state"]))
    return err


# ============================================================================ the student's side
class RemoteDesk(Desk):
    """A student's desk in a secured classroom: reads direct, every action a request to the
    classroom service (see the module). Same methods, same results, same errors."""

    def _do(self, fn):
        raise PermissionDenied("NOT_AN_ACTION", "this desk sends its actions to the classroom service",
                               "此工作台的操作由班级服务执行")


def _remote(name: str, method):
    sig = inspect.signature(method)

    @functools.wraps(method)
    def send(self, *args, **kwargs):
        sig.bind(self, *args, **kwargs)                 # a wrong call fails here, as on a local desk
        return request(self.crm, name, args, kwargs)
    return send


for _name in sorted(ACTIONS):
    setattr(RemoteDesk, _name, _remote(_name, getattr(Desk, _name)))


def _listen(con, channel: str | None = None) -> None:
    """LISTEN on ``channel`` (default: the session's login, where the worker answers) once per connection."""
    info = con.connection.info
    if "crmlab_listen" not in info:
        channel = channel or con.exec_driver_sql("SELECT session_user").scalar()
        con.exec_driver_sql(f'LISTEN "{channel}"')
        info["crmlab_listen"] = channel


def _notified(raw, rid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for the notification of request ``rid``."""
    for n in raw.notifies(timeout=max(seconds, 0.0), stop_after=1):
        if n.payload == str(rid):
            return True
    return False


def request(crm, method: str, args=(), kwargs=None, *, wait: float | None = None):
    """Send the action ``method(*args, **kwargs)`` of the connection's student to the classroom
    service and wait for its result (or its error, re-raised). ``wait``: seconds for a worker to take
    it (default ``crm.service_wait``); then :class:`ServiceUnavailable`."""
    wait = float(wait if wait is not None else getattr(crm, "service_wait", 10.0))
    body = json.dumps({"args": encode(list(args)), "kwargs": encode(dict(kwargs or {}))}, ensure_ascii=False,
                      allow_nan=False)
    if len(body.encode("utf-8")) > MAX_ARGS:
        raise InvalidValue("TOO_LARGE", "the action's values are too large to send (over 1 MB)",
                           "操作的数据太大（超过 1 MB），无法发送")
    with crm.engine.connect() as con:
        con.execution_options(isolation_level="AUTOCOMMIT")
        _listen(con)
        rid = con.execute(text(f"INSERT INTO {REQUESTS} (method, args, wait) VALUES (:m, :a, :w) RETURNING id"),
                          {"m": method, "a": body, "w": wait}).scalar()
        return _answer(con, rid, wait)


def _answer(con, rid: int, wait: float):
    raw = con.connection.driver_connection
    give_up = time.monotonic() + wait + RUNNING_GRACE
    while True:
        _notified(raw, rid, min(1.0, wait))
        state, result, error, expired = con.execute(text(
            f"SELECT state, result, error, expires_at < clock_timestamp() FROM {REQUESTS} WHERE id = :i"),
            {"i": rid}).one()
        if state == "done":
            return decode(json.loads(result))
        if state == "failed":
            raise _error(error)
        if (state == "new" and expired) or time.monotonic() > give_up:
            raise _down()


# ============================================================================ the worker
_CLAIM = text(f"""
    UPDATE {REQUESTS} SET state = 'running', taken_at = clock_timestamp(), worker = pg_backend_pid()
    WHERE id = (SELECT id FROM {REQUESTS} WHERE state = 'new' AND expires_at > clock_timestamp()
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, login, student_id, method, args""")
_FINISH = text(f"""
    WITH u AS (UPDATE {REQUESTS} SET state = :state, result = :result, error = :error, done_at = clock_timestamp()
               WHERE id = :id RETURNING login, id)
    SELECT pg_notify(login, id::text) FROM u""")
_RECOVER = text(f"""
    WITH u AS (UPDATE {REQUESTS} SET state = 'failed', error = :error, done_at = clock_timestamp()
               WHERE state = 'running' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = worker)
               RETURNING login, id)
    SELECT pg_notify(login, id::text) FROM u""")


def run_request(crm, student_id: str | None, method: str, body: str):
    """Run one request through the engine as ``student_id`` (the login the database stamped)."""
    if student_id is None:
        raise PermissionDenied("NOT_A_CLASS_LOGIN", "this request does not come from a student login of the class",
                               "该请求不是本班学生账号发出的")
    if method not in ACTIONS:
        raise PermissionDenied("NOT_AN_ACTION", f"{method!r} is not an action of the desk: the classroom service "
                               "runs only desk actions", f"{method!r} 不是工作台的操作：班级服务只执行工作台操作")
    try:
        p = json.loads(body)
        args, kwargs = decode(p["args"]), decode(p["kwargs"])
        desk = crm.login(student_id)
        inspect.signature(getattr(Desk, method)).bind(desk, *args, **kwargs)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        if isinstance(err, CRMLabError):
            raise
        raise InvalidValue("BAD_REQUEST", f"the request for {method} has wrong arguments ({err})",
                           f"{method} 请求的参数有误（{err}）") from None
    return getattr(desk, method)(*args, **kwargs)


class ActionWorker:
    """The classroom service: ``threads`` threads, each with its own CRM (``open_crm()``, the
    teacher's login) and a listening connection, taking requests until :meth:`stop`.

    ``start()`` returns at once (threads); :meth:`wait` blocks until stopped. ``log``: a text stream
    for one line per refused or failed request (default stderr)."""

    def __init__(self, open_crm, *, threads: int = 2, poll: float = 1.0, log=None):
        self.open_crm, self.n, self.poll = open_crm, max(1, int(threads)), poll
        self.log = log
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> ActionWorker:
        for i in range(self.n):
            t = threading.Thread(target=self._run, name=f"crmlab-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _say(self, line: str) -> None:
        print(f"{dt.datetime.now():%H:%M:%S} {line}", file=self.log or sys.stderr, flush=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve()
            except DBAPIError as err:                         # the database restarted or went away: try again
                self._say(f"数据库连接中断，稍后重试 / database connection lost, retrying: {str(err).splitlines()[0]}")
                self._stop.wait(2.0)
            except Exception:                                  # noqa: BLE001 - a service keeps serving
                self._say("班级服务出错，稍后重试 / classroom service error, retrying:\n" + traceback.format_exc())
                self._stop.wait(2.0)

    def _serve(self) -> None:
        crm = self.open_crm()
        try:
            with crm.engine.connect() as con:
                con.execution_options(isolation_level="AUTOCOMMIT")
                _listen(con, CHANNEL)
                raw = con.connection.driver_connection
                checked = 0.0
                while not self._stop.is_set():
                    row = con.execute(_CLAIM).first()
                    if row is not None:
                        self._handle(crm, con, row)
                        continue
                    if time.monotonic() - checked > 5:
                        con.execute(_RECOVER, {"error": _error_payload(_interrupted(), "")}).all()
                        checked = time.monotonic()
                    for _ in raw.notifies(timeout=self.poll, stop_after=1):
                        pass
        finally:
            crm.close()

    def _handle(self, crm, con, row) -> None:
        rid, _login, student, method, body = row
        result = error = None
        try:
            result = _dumps(run_request(crm, student, method, body))
            state = "done"
        except Exception as err:                               # noqa: BLE001 - every failure goes back to the student
            state, error = "failed", _error_payload(err, method)
            if not isinstance(err, CRMLabError):
                self._say(f"request {rid} {student} {method}: " + "".join(traceback.format_exception_only(err)).strip())
        con.execute(_FINISH, {"state": state, "result": result, "error": error, "id": rid}).all()
