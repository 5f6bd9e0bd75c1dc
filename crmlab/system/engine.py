"""The engine: a :class:`CRM` database with a simulated clock, and :class:`Desk`, a logged-in user.

``crm = crmlab.system.open()`` opens (and creates) the database; ``desk = crm.login("zhangsan")``
stands for "log in as 张三": every action is a method of the desk, checked against the user's role
and ownership (:mod:`crmlab.system.permissions`) and the declared lifecycle
(:mod:`crmlab.system.lifecycle`), run in **one transaction**, and written to the audit log (who,
when, what, before/after). A refused action raises a bilingual error and changes nothing.

Actions take and return document numbers (``"SJ000001"``); read anything back with the query
helpers of :class:`CRM` (:meth:`CRM.doc`, :meth:`CRM.documents`, :meth:`CRM.lines`,
:meth:`CRM.links`, :meth:`CRM.audit_log`, …), which return dicts and DataFrames a grader can check.

crmlab never reads the wall clock: ``crm.now`` starts at 2024-03-01 09:00 and moves only with
:meth:`CRM.tick` / :meth:`CRM.set_clock`; it is saved in the database (table ``clock``), so a
reopened database resumes its own time.

Shared by every client (notebooks, the UI, the mobile page, the classroom server):

* **optimistic locking** — every document and customer has a ``version`` (1 when created, +1 per
  action that changes it); actions on an existing document take ``expected_version=`` and raise
  :class:`~crmlab.system.StaleRecord` ("reload and try again / 请刷新后重试", naming who changed
  it and when) when someone saved in between — checked after the permission check, so a user
  who may not act on a document learns nothing about it; the database refuses a racing write too;
* **one validation layer** — inputs are parsed strictly and every row an action writes is
  checked against its declared columns (:mod:`crmlab.system.fields`): bad values raise
  :class:`~crmlab.system.InvalidValue` and change nothing;
* **read record rules** — :meth:`Desk.documents` and :meth:`Desk.get` show a user only what the
  ``(type, "read")`` rows of the permission table allow (own / department / all);
* **mobile** — :meth:`Desk.my_schedule` (activities and tasks planned on a day) and
  :meth:`Desk.check_in` (签到 with place and coordinates);
* **many actions at once** — :meth:`CRM.batch` (one transaction, a savepoint per action).

Example
-------
>>> from crmlab import system
>>> crm = system.open(":memory:", demo=True)
>>> zs = crm.login("zhangsan")
>>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
>>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
>>> crm.status(opp), crm.status(opp, lang="en")
('未评估', 'potential')
>>> try:
...     crm.login("lisi").add_interest(opp, "R740", qty=2, price=48_000)   # not his opportunity
... except system.PermissionDenied as err:
...     print(err.code)
NOT_OWNER
>>> crm.audit_log(doc_no=opp)[["user_login", "action", "to_status"]].values.tolist()
[['zhangsan', 'convert_lead', 'potential']]
"""
from __future__ import annotations

import contextlib
import datetime as dt
import operator
import random
from itertools import compress
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, event, func, insert, inspect as sa_inspect, or_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool

from crmlab import sales_method as op
from crmlab._lang import DEFAULT_LANG, check_lang

from . import lifecycle as lc
from . import models as m
from . import permissions as perm
from . import fields
from ._actions import (ArchiveActions, MarketingActions, OpportunityActions, SalesActions, ServiceActions,
                       SetupActions, ValueActions)
from ._rows import (_ACTION, _ActionState, _VERSIONED, _bump, _card_code, _date, _iso, _layout, _need, _new, _number,
                    _raw, _snap, _ts)
from .errors import Conflict, GuardFailed, InvalidValue, NotFound, PermissionDenied, ReadOnly, StaleRecord
from .fields import check_row

__all__ = ["CRM", "Desk", "open", "DEFAULT_CLOCK", "DEFAULT_FILE"]

DEFAULT_CLOCK = "2024-03-01 09:00"
DEFAULT_FILE = "crmlab_crm.db"


def _url(url) -> str:
    if url is None:
        url = DEFAULT_FILE
    url = str(url) if isinstance(url, Path) else url
    if url in (":memory:", "memory"):
        return "sqlite://"
    if "://" in url:
        return url
    return f"sqlite:///{Path(url).expanduser()}"


def _singular(table: str) -> str:
    """The record kind the audit log names for a table: ``opportunities`` → ``opportunity``,
    ``opp_stages`` → ``opp_stage``, ``categories`` → ``category`` (one trailing s only)."""
    if table.endswith("ies"):
        return table[:-3] + "y"
    return table[:-1] if table.endswith("s") else table


@dataclass(frozen=True)
class UserInfo:
    """A user as the engine sees it while acting (read from the users table)."""
    id: int
    login: str
    name: str
    role: str
    dept_id: int | None
    employee_code: str | None
    authorised: bool
    active: bool


class _Track:
    """The context manager of :meth:`_Ctx.track` (a class: cheaper than a generator)."""
    __slots__ = ("c", "obj", "action", "before", "status")

    def __init__(self, c, obj, action):
        self.c, self.obj, self.action = c, obj, action

    def __enter__(self):
        self.c.check_pending()
        self.before = _raw(self.obj)
        self.status = getattr(self.obj, "status", None)
        return self.obj

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.c.log(self.action, self.obj, self.before, self.status)
        return False


#: Columns an action changes by itself (not what the user edited): an audit entry changing only
#: these is folded into the action's other entry on the same document.
_BOOKKEEPING = frozenset({"version", "updated_at"})


class _Ctx:
    """What an action sees: the session, the acting user, the clock, and small helpers."""

    def __init__(self, crm: CRM, s: Session, user: UserInfo, channel: str = "desk"):
        self.crm, self.s, self.user, self.now, self.channel = crm, s, user, crm.now, channel
        self.logs: list[dict] = []          # audit-log rows, written in one INSERT when the action succeeds
        self.expect: tuple | None = None    # (no, expected_version) still to check (see expect_version)

    # -- loading -------------------------------------------------------------------------------
    def doc(self, no, doc_type: str | None = None) -> m.Document:
        d = self.s.get(m.Document, fields.key(no))
        if d is None or (doc_type is not None and d.doc_type != doc_type):
            what = lc.DOC_TYPES[doc_type].zh if doc_type else "单据"
            raise NotFound("NO_DOCUMENT", f"no {doc_type or 'document'} numbered {no!r}", f"找不到{what} {no!r}")
        return d

    def opp(self, no) -> tuple[m.Document, m.Opportunity]:
        d = self.doc(no, "opportunity")
        return d, self.s.get(m.Opportunity, d.no)

    def customer(self, no) -> m.Customer:
        no = fields.key(no)
        c = self.s.get(m.Customer, no)
        if c is None:
            c = next(iter(self.rows(m.Customer, name=str(no))), None)
        if c is None:
            raise NotFound("NO_CUSTOMER", f"no customer {no!r}", f"找不到客户 {no!r}")
        return c

    def product(self, code) -> m.Product:
        code = fields.key(code)
        p = self.crm._product_cache.get(code)
        if p is not None:
            return self.s.get(m.Product, p)
        row = self.s.scalar(select(m.Product).where((m.Product.code == str(code)) | (m.Product.name == str(code))))
        if row is None:
            raise NotFound("NO_PRODUCT", f"no product {code!r}", f"找不到物料 {code!r}")
        self.crm._product_cache[str(code)] = row.id
        return row

    def other_user(self, login) -> UserInfo:
        return self.crm._user(login, self.s)

    def rows(self, model, *, order: str | None = None, desc: bool = False, **equals) -> list:
        """Rows of ``model`` whose columns equal ``equals``, ordered by ``order``."""
        q = select(model).where(*(getattr(model, k) == v for k, v in equals.items()))
        if order is not None:
            col = getattr(model, order)
            q = q.order_by(col.desc() if desc else col)
        return list(self.s.scalars(q))

    def default_method_id(self) -> int:
        mid = self.crm._methods.get("default")
        if mid is None:
            row = self.s.scalar(select(m.SalesMethodRow.id).where(m.SalesMethodRow.is_default.is_(True)))
            if row is None:
                raise NotFound("NO_METHOD", "no default sales method", "没有默认销售方法")
            mid = self.crm._methods["default"] = row
        return mid

    def touch(self, d):
        """A tab of document ``d`` changed (e.g. the opportunity's own tab or its stage rows): its
        version goes up (once per action)."""
        self.check_pending()
        _bump(d)

    def expect_version(self, no, expected):
        """Optimistic locking, permission first: ``expected_version`` is checked once the action
        passed its permission check (:meth:`require`), or before its first change, or at its end —
        so a user who may not act on a document never learns who changed it, when, or its version."""
        self.expect = (no, expected)

    def check_pending(self):
        """Run the optimistic-locking check the action was given (once)."""
        if self.expect is not None:
            no, expected = self.expect
            self.expect = None
            self.check_version(no, expected)

    def check_version(self, no, expected):
        """Optimistic locking: raise :class:`StaleRecord` unless ``no`` is still at ``expected``."""
        obj = self.s.get(m.Document, str(no))
        if obj is None:
            obj = self.customer(no)
        if obj.version != expected:
            who, when = self.crm._last_change(self.s, obj.no)
            raise StaleRecord(obj.no, expected, obj.version, who, when)

    # -- permissions ------------------------------------------------------------------------------
    def require(self, area: str, action: str, owner_id: int | None = None, dept_id: int | None = None):
        """Raise PermissionDenied unless the acting user's role and scope allow it."""
        u = self.user
        scope = perm.PERMISSIONS.get((area, action), {}).get(u.role)
        label = perm.ROLES.get(u.role, (u.role,))[0]
        if scope is None:
            raise PermissionDenied("ROLE_FORBIDDEN",
                                   f"{u.login} ({u.role}) may not {action} {area}",
                                   f"{u.name}（{label}）无权执行：{area} {action}")
        own = owner_id is None or owner_id == u.id
        same = dept_id is not None and dept_id == u.dept_id
        if scope == "all" or own or (scope == "dept" and same):
            self.check_pending()
            return
        raise PermissionDenied("NOT_OWNER", f"{u.login} may not {action} a {area} owned by someone else"
                               + (" outside the department" if scope == "dept" else ""),
                               f"{u.name} 不能操作他人的{lc.DOC_TYPES.get(area, lc.DocType(area, area, '', '')).zh}")

    def require_doc(self, d, area_action: str):
        self.require(d.doc_type if hasattr(d, "doc_type") else "customer", area_action, d.owner_id, d.dept_id)

    # -- writing ----------------------------------------------------------------------------------
    def new_no(self, doc_type: str) -> str:
        """The next number of ``doc_type``. The counter row is read ``FOR UPDATE`` (PostgreSQL: a
        second writer waits for this transaction; SQLite: actions take the write lock at BEGIN
        IMMEDIATE), and a missing counter row is created with INSERT … ON CONFLICT DO NOTHING, so
        two connections numbering documents at once never take the same number."""
        s = self.s
        lock = self.crm._row_locks or None
        c = s.get(m.Counter, doc_type, with_for_update=lock)
        if c is None:
            dialect = s.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            s.execute(dialect_insert(m.Counter).values(doc_type=doc_type, last=0)
                      .on_conflict_do_nothing(index_elements=["doc_type"]))
            c = s.get(m.Counter, doc_type, with_for_update=lock, populate_existing=True)
        c.last += 1
        return f"{lc.DOC_TYPES[doc_type].prefix}{c.last:06d}"

    def new_doc(self, doc_type: str, *, subject=None, customer_no=None, contact_id=None, src=None,
                ref_no=None, stage=None, data=None, owner: UserInfo | None = None, status=None) -> m.Document:
        owner = owner or self.user
        d = _new(m.Document, no=self.new_no(doc_type), doc_type=doc_type, status=status or lc.DOC_TYPES[doc_type].initial,
                       subject=subject, customer_no=customer_no, contact_id=contact_id, owner_id=owner.id,
                       dept_id=owner.dept_id, ref_no=ref_no, stage=stage, total=0.0, audit_step=0,
                       created_at=self.now, created_by=self.user.login, updated_at=self.now, data=dict(data or {}),
                       version=1, src_type=src.doc_type if src is not None else None,
                       src_no=src.no if src is not None else None)
        self.s.add(d)
        return d

    def link(self, src, dst, relation: str):
        self.s.add(_new(m.DocLink, src_type=src.doc_type, src_no=src.no, dst_type=dst.doc_type, dst_no=dst.no,
                             relation=relation, at=self.now))

    def move(self, d, action: str, target: str | None = None) -> str:
        """Apply a declared transition to a document, customer or opportunity (and its tab)."""
        self.check_pending()
        kind = getattr(d, "doc_type", "customer")
        new = lc.transition(kind, d.status, action, target)
        d.status = new
        if hasattr(d, "updated_at"):
            d.updated_at = self.now
        return new

    def log(self, action: str, obj, before: dict | tuple | None, from_status=None, *, doc_no=None, doc_type=None):
        """Audit row of ``action`` on ``obj``: ``before`` is None (created: the whole row), or its
        values before the change (a :func:`_snap` dict or a :func:`_raw` tuple): only the changed
        columns are logged; a changed document or customer steps its version (once per action)."""
        self.check_pending()
        if type(before) is tuple:
            self._log_raw(action, obj, before, from_status, doc_no, doc_type)
            return
        after = _snap(obj)
        if before is not None:
            changed = [k for k in after if after[k] != before.get(k)]
            if changed and isinstance(obj, _VERSIONED) and _bump(obj):
                after["version"] = obj.version
                if "version" not in changed:
                    changed.append("version")
            b = {k: before.get(k) for k in changed}
            a = {k: after[k] for k in changed}
        else:
            b, a = None, after
        no = doc_no if doc_no is not None else getattr(obj, "no", None)
        kind = doc_type or getattr(obj, "doc_type", None) or _singular(obj.__tablename__)
        self.logs.append({"at": self.now, "user_login": self.user.login, "role": self.user.role, "action": action,
                          "doc_type": kind, "doc_no": no, "from_status": from_status,
                          "to_status": getattr(obj, "status", None), "before": b, "after": a,
                          "channel": self.channel})

    def _log_raw(self, action, obj, before: tuple, from_status, doc_no, doc_type):
        keys, get, dates = _layout(type(obj))
        try:
            now = get(obj.__dict__)
        except KeyError:
            now = tuple(getattr(obj, k) for k in keys)
        changed = list(compress(range(len(keys)), map(operator.ne, before, now)))     # compared in C
        if changed and isinstance(obj, _VERSIONED) and _bump(obj):
            v = keys.index("version")
            now = (*now[:v], obj.version, *now[v + 1:])
            if v not in changed:
                changed.append(v)
        b = {keys[i]: before[i] for i in changed}
        a = {keys[i]: now[i] for i in changed}
        if dates:
            for k in dates:
                if k in a:
                    b[k], a[k] = _iso(b[k]), _iso(a[k])
        self.logs.append({"at": self.now, "user_login": self.user.login, "role": self.user.role, "action": action,
                          "doc_type": doc_type or getattr(obj, "doc_type", None) or _singular(obj.__tablename__),
                          "doc_no": doc_no if doc_no is not None else getattr(obj, "no", None),
                          "from_status": from_status, "to_status": getattr(obj, "status", None),
                          "before": b, "after": a, "channel": self.channel})

    def finished_logs(self) -> list[dict]:
        """The audit rows of the action, without empty entries: a change-free entry is dropped,
        and an entry that only records a document's version step is folded into another entry of
        the same action on that document (e.g. the header and the tab of an opportunity)."""
        logs = self.logs
        if len(logs) < 2 and not (logs and logs[0]["before"] == {}):
            return logs
        out = []
        for r in logs:
            b = r["before"]
            if b is not None and set(r["after"]) <= _BOOKKEEPING:
                other = next((x for x in logs if x is not r and x["doc_no"] == r["doc_no"] and x["before"] is not None
                              and not set(x["after"]) <= _BOOKKEEPING), None)
                if other is not None:
                    other["before"] = {**other["before"], **{k: v for k, v in b.items() if k not in other["before"]}}
                    other["after"] = {**other["after"], **{k: v for k, v in r["after"].items()
                                                            if k not in other["after"]}}
                    continue
                if not r["after"]:
                    continue
            out.append(r)
        # One row per action and document: the header and its tab (an opportunity's 潜在机会 or its
        # stage fields) are two tables but one document for the reader of the log.
        merged: list[dict] = []
        for r in out:
            other = next((x for x in merged if r["before"] is not None and x["before"] is not None
                          and x["doc_no"] is not None and (x["doc_type"], x["doc_no"]) == (r["doc_type"], r["doc_no"])),
                         None)
            if other is None:
                merged.append(r)
                continue
            other["before"] = {**other["before"], **{k: v for k, v in r["before"].items() if k not in other["before"]}}
            other["after"] = {**other["after"], **r["after"]}
            other["to_status"] = r["to_status"] if r["to_status"] is not None else other["to_status"]
            if other["from_status"] is None:
                other["from_status"] = r["from_status"]
        self.logs = merged
        return merged

    def track(self, obj, action: str) -> _Track:
        """``with c.track(obj, action):`` logs the change ``action`` makes to ``obj`` (before/after
        snapshot) once the block succeeded."""
        return _Track(self, obj, action)

    def set_lines(self, d: m.Document, lines, kind: str = "item") -> float:
        """Replace the ``kind`` lines of a document; return Σ amount. Lines: dicts or tuples."""
        self.check_pending()
        lines = fields.items(lines, "lines", "分录", one=(dict,))
        for old in self.lines(d.no, kind):
            self.s.delete(old)
        _bump(d)
        total = 0.0
        for i, line in enumerate(lines, start=1):
            ln = self.make_line(d.no, i, line, kind)
            self.s.add(ln)
            total += ln.amount
        return round(total, 2)

    def make_line(self, doc_no, seq, line, kind="item") -> m.DocLine:
        if isinstance(line, m.DocLine):
            return _new(m.DocLine, doc_no=doc_no, kind=kind, seq=seq, product_id=line.product_id,
                             description=line.description, qty=line.qty, price=line.price, amount=line.amount,
                             due_date=line.due_date)
        if isinstance(line, (list, tuple)):
            line = dict(zip(("product", "qty", "price"), line))
        elif not isinstance(line, dict):
            raise InvalidValue("BAD_LINE", f"a line is (product, qty, price) or a dict, got {type(line).__name__}",
                               f"分录应为 (物料, 数量, 单价) 或字典，得到 {type(line).__name__}")
        product = line.get("product")
        pid, desc = None, line.get("description")
        price = line.get("price")
        if product is not None:
            p = self.product(product)
            pid, desc = p.id, desc or p.name
            if price is None:
                price = p.list_price
        if pid is None and (desc is None or (isinstance(desc, str) and not desc.strip())):
            raise GuardFailed("LINE_PRODUCT_REQUIRED", "a line needs a product (or a description)",
                              "分录必须有物料（或说明）")
        qty = _number(line.get("qty", 1), "qty", "数量")
        price = _number(price if price is not None else line.get("amount", 0), "price", "单价")
        if qty <= 0:
            raise GuardFailed("BAD_QTY", f"a line needs qty > 0, got {qty}", f"数量必须大于 0，得到 {qty}")
        if qty * price > fields.MAX_AMOUNT:
            raise InvalidValue("BAD_NUMBER", f"a line amount (qty × price) cannot exceed {fields.MAX_AMOUNT:g}",
                               f"分录金额（数量 × 单价）不能超过 {fields.MAX_AMOUNT:g}")
        return _new(m.DocLine, doc_no=doc_no, kind=kind, seq=seq, product_id=pid, description=desc, qty=qty, price=price,
                         amount=round(qty * price, 2), due_date=_date(line.get("due_date")))

    def lines(self, no, kind: str = "item") -> list[m.DocLine]:
        return list(self.s.scalars(select(m.DocLine).where(m.DocLine.doc_no == no, m.DocLine.kind == kind)
                                   .order_by(m.DocLine.seq)))

    def editable(self, d, action: str = "edit"):
        """Raise ReadOnly unless the declared ``action`` rule (default ``edit``) of the document's or
        customer's type allows its status (audited and closed documents are read-only)."""
        self.check_pending()
        kind = getattr(d, "doc_type", "customer")
        r = lc.rule(kind, action)
        if d.status not in r.sources:
            allowed = ", ".join(r.sources)
            allowed_zh = "、".join(lc.status_label(x) for x in r.sources)
            raise ReadOnly("READ_ONLY", f"{d.no} is {d.status}: it cannot be edited ({r.action_zh} {action!r} "
                           f"only while {allowed}; audited and closed documents are read-only)",
                           f"{d.no} 状态为「{lc.status_label(d.status)}」，不能修改（「{r.action_zh}」仅限{allowed_zh}状态；"
                           "已审核或已关闭的单据不能修改）")


def _created(_session, obj):
    """Session hook: remember that the running action created ``obj`` (its version stays 1)."""
    st = _ACTION.get()
    if st is not None:
        st.created.add(id(obj))


def _validate_flush(session, _context, _instances):
    """Session hook: every new or changed row is checked against its declared column types and
    limits (:mod:`crmlab.system.fields`) before it is written; a bad value raises InvalidValue."""
    for obj in session.new:
        check_row(obj)
    for obj in session.dirty:
        state = obj._sa_instance_state
        changed = [k for k in state.committed_state if k in state.dict]
        if changed:
            check_row(obj, changed)


def _integrity_kind(err) -> str:
    """``"not_null"``, ``"unique"``, ``"foreign_key"`` or ``"other"``: what the database refused."""
    msg = str(getattr(err, "orig", err)).lower()
    if "not null" in msg or "null value in column" in msg:
        return "not_null"
    if "unique" in msg or "duplicate key" in msg:
        return "unique"
    if "foreign key" in msg:
        return "foreign_key"
    return "other"


def _integrity_error(err):
    """The CRM error for what the database refused when running the action again will not help
    (a missing required value, a missing referenced row), or None (a race: try again)."""
    kind = _integrity_kind(err)
    detail = str(getattr(err, "orig", err)).splitlines()[0][:200]
    if kind == "not_null":
        return InvalidValue("REQUIRED", f"a required field is empty ({detail})", f"必填字段为空（{detail}）")
    if kind == "foreign_key":
        return NotFound("NO_REFERENCE", f"a referenced record does not exist ({detail})", f"引用的记录不存在（{detail}）")
    return None


def _conflict(err) -> Conflict:
    wrong = _integrity_error(err)
    if wrong is not None:
        return wrong
    detail = str(getattr(err, "orig", err)).splitlines()[0][:200]
    if _integrity_kind(err) == "unique" and ("customers.name" in detail or "customers_name" in detail):
        return GuardFailed("DUPLICATE_CUSTOMER", f"a customer with this name is already on file ({detail})",
                           f"客户名称已存在（{detail}）")
    return Conflict("CONFLICT", f"another user saved the same key at the same time ({detail}): try again",
                    f"其他用户同时保存了相同的编号或名称（{detail}），请重试")


# --------------------------------------------------------------------------------------------
# The retry policy: the one place that decides which failures are collisions and how often
# --------------------------------------------------------------------------------------------
#: How often an action is tried when its transaction collided with a concurrent one (a unique key
#: taken meanwhile, a deadlock, a serialisation failure, SQLite's write lock): every client — a
#: notebook, the UI, a classroom of students on one PostgreSQL — follows this one policy. Safe,
#: because a failed action rolled back as a whole and changed nothing.
#: How an action reached the engine, written in every audit row (``channel``): code in a notebook,
#: the ipywidgets client of the textbook's screens, the phone page of task 16.
CHANNELS = {"desk": ("代码", "code"), "ui": ("客户端界面", "desktop client"), "mobile": ("移动端", "phone page")}

RETRIES = 8

#: PostgreSQL's codes of a collision: serialisation failure, deadlock (a unique key is an IntegrityError).
_COLLISION_CODES = ("40001", "40P01")


def _collision(err) -> bool:
    """Whether a database error is a collision with a concurrent transaction, so that running the
    action again on the new state may succeed. A missing required value or reference is no race."""
    if isinstance(err, IntegrityError):
        return _integrity_error(err) is None
    code = getattr(getattr(err, "orig", None), "sqlstate", None)
    if code is not None:
        return code in _COLLISION_CODES
    return "database is locked" in str(err)


def _backoff(attempt: int) -> float:
    """Seconds to wait before the next try: doubling, and random so that colliding clients fall
    out of step (at most about 0.6 s over all of :data:`RETRIES`)."""
    return random.uniform(0, 0.005 * 2 ** attempt)


def _gave_up(err) -> Conflict:
    """The CRM error once the policy stops: what the database refused, or "try again"."""
    if isinstance(err, IntegrityError):
        return _conflict(err)
    detail = str(getattr(err, "orig", err)).splitlines()[0][:200]
    return Conflict("CONFLICT", f"other users were saving at the same time ({detail}): try again",
                    f"其他用户正在同时保存（{detail}），请重试")


def _value_fault(err) -> bool:
    """Whether a database error is the value's fault (refused or not bindable), not a race, a lock
    or a broken connection."""
    if isinstance(err, DataError) or not isinstance(err, DBAPIError):
        return True
    msg = str(getattr(err, "orig", err)).lower()
    return isinstance(err, ProgrammingError) and ("binding parameter" in msg or "adapt" in msg)


def _refused_value(err) -> InvalidValue:
    """A value the validation layer let through and the database (or its driver) refused: still a
    bilingual CRM error, and the action's transaction is rolled back."""
    detail = str(getattr(err, "orig", None) or err).splitlines()[0][:200]
    return InvalidValue("BAD_VALUE", f"the database refused a value ({detail})", f"数据库拒绝了一个值（{detail}）")


def _race(expect):
    no = expect[0] if expect is not None else "the record"
    return StaleRecord(no, expect[1] if expect is not None else None, "newer", None, None)


#: Keys of a document's ``data`` naming a user it is assigned to (task executor, service follower
#: and handler): an assigned user sees the document as their own (read record rules).
ASSIGNEE_KEYS = ("executor", "follower", "handler")


def _mine_clause(u: UserInfo):
    return or_(m.Document.owner_id == u.id,
               *(m.Document.data[k].as_string() == u.login for k in ASSIGNEE_KEYS))


def _evaluating_clause(u: UserInfo):
    """SQL condition: opportunities ``u`` is the current evaluator of (they must read them)."""
    return m.Document.no.in_(select(m.Opportunity.no).where(m.Opportunity.evaluator == u.login))


def _visible_clause(u: UserInfo):
    """SQL condition: the documents ``u`` may read (``PERMISSIONS[(doc type, "read")]``)."""
    by_scope: dict[str, list[str]] = {"all": [], "dept": [], "own": []}
    for t in lc.DOC_TYPES:
        scope = perm.PERMISSIONS.get((t, "read"), {}).get(u.role)
        if scope is not None and t != "customer":
            by_scope[scope].append(t)
    mine = or_(_mine_clause(u), _evaluating_clause(u))
    parts = []
    if by_scope["all"]:
        parts.append(m.Document.doc_type.in_(by_scope["all"]))
    if by_scope["dept"]:
        parts.append(m.Document.doc_type.in_(by_scope["dept"]) & (or_(m.Document.dept_id == u.dept_id, mine)
                                                                 if u.dept_id is not None else mine))
    if by_scope["own"]:
        parts.append(m.Document.doc_type.in_(by_scope["own"]) & mine)
    return or_(*parts) if parts else m.Document.no.is_(None)


def _can_read(u: UserInfo, d: dict) -> bool:
    """Whether ``u`` may read the document ``d`` (a :meth:`CRM.doc` dict)."""
    if "doc_type" not in d:                      # a customer: company-wide
        return perm.allowed(u.role, "customer", "read", own=True)
    own = (d.get("owner_id") == u.id or any(d.get(k) == u.login for k in ASSIGNEE_KEYS)
           or (d["doc_type"] == "opportunity" and d.get("evaluator") == u.login))     # the current evaluator
    same = d.get("dept_id") is not None and d.get("dept_id") == u.dept_id
    return perm.allowed(u.role, d["doc_type"], "read", own=own, same_dept=same)


def _coordinate(value, what: str, zh: str, limit: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if value is None or x != x:
        raise GuardFailed("COORDINATES_REQUIRED", f"a check-in needs its location: {what} is missing",
                          f"签到必须有定位：缺少{zh}")
    if not -limit <= x <= limit:
        raise GuardFailed("BAD_COORDINATES", f"{what} must lie between -{limit:g} and {limit:g}, got {value!r}",
                          f"{zh}必须在 -{limit:g} 与 {limit:g} 之间，得到 {value!r}")
    return x


# --------------------------------------------------------------------------------------------
# The CRM database
# --------------------------------------------------------------------------------------------
class CRM:
    """A simulated CRM database (SQLite file, in-memory SQLite or PostgreSQL) with a clock.

    Use :func:`open` to create one. ``crm.login(name)`` returns a :class:`Desk` to act as a user;
    the other methods read: documents, lines, links, audit log, customers, reports.
    """

    def __init__(self, url=None, *, clock=DEFAULT_CLOCK, echo: bool = False):
        self.url = _url(url)
        u = make_url(self.url)
        kw = {}
        if u.get_backend_name() == "sqlite":
            if u.database in (None, "", ":memory:"):
                kw = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        self.engine = create_engine(self.url, echo=echo, **kw)
        self._row_locks = u.get_backend_name() != "sqlite"      # SELECT … FOR UPDATE of counter rows
        self._writer = self.engine
        if u.get_backend_name() == "sqlite":
            _sqlite_transactions(self.engine)
            # an action's transaction takes SQLite's write lock at BEGIN (IMMEDIATE): writers queue
            # (busy timeout) instead of failing or reading a counter another writer is moving
            self._writer = self.engine.execution_options(crmlab_begin="BEGIN IMMEDIATE")
        self._Session = sessionmaker(self.engine, expire_on_commit=False)
        self.now = _ts(clock)
        self._users: dict[str, UserInfo] = {}
        self._methods: dict = {}
        self._product_cache: dict[str, int] = {}
        self._batch: Session | None = None
        self._keep: list = []               # strong references: the batch session's identity map is weak
        self._pending_log: list[dict] = []  # audit-log rows of a batch, written with one executemany
        event.listen(self._Session, "transient_to_pending", _created)
        event.listen(self._Session, "before_flush", _validate_flush)
        event.listen(self._Session, "loaded_as_persistent", self._hold)
        event.listen(self._Session, "pending_to_persistent", self._hold)

    def __repr__(self):
        return f"<crmlab.system.CRM {make_url(self.url).render_as_string(hide_password=True)} now={self.now:%Y-%m-%d %H:%M}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Release the database connections."""
        self.engine.dispose()

    def checkpoint(self) -> None:
        """Write everything committed into the database file itself (SQLite: ``wal_checkpoint``), so
        that a copy of that one file — a student's hand-in, e.g. the phone page's ``mobile_lab.db`` —
        holds all the work even while the page is still open. Nothing to do for other databases."""
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            with self.engine.connect() as con:
                con.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- schema ---------------------------------------------------------------------------------
    def create_schema(self):
        """Create every table (idempotent); add the ``version`` columns to a database made by an
        older crmlab (every existing row starts at version 1)."""
        m.Base.metadata.create_all(self.engine)
        insp = sa_inspect(self.engine)
        for table in ("documents", "customers"):
            if "version" not in {c["name"] for c in insp.get_columns(table)}:
                with self.engine.begin() as con:
                    con.execute(text(f"ALTER TABLE {table} ADD COLUMN version INTEGER NOT NULL DEFAULT 1"))
        have = {c["name"] for c in insp.get_columns("audit_log")}
        for column, kind in (("channel", "VARCHAR(10)"), ("prev_hash", "VARCHAR(32)"), ("hash", "VARCHAR(32)")):
            if column not in have:                    # a database made before the channel and the hash chain
                with self.engine.begin() as con:
                    con.execute(text(f"ALTER TABLE audit_log ADD COLUMN {column} {kind}"))

    def drop_schema(self):
        """Drop every table (careful: deletes all data)."""
        if self.engine.dialect.name == "sqlite":      # users ↔ home_schemes reference each other
            with self.engine.connect() as con:
                raw = con.connection.driver_connection
                raw.execute("PRAGMA foreign_keys=OFF")
                try:
                    m.Base.metadata.drop_all(con)
                    con.commit()
                finally:
                    raw.execute("PRAGMA foreign_keys=ON")
        else:
            m.Base.metadata.drop_all(self.engine)
        self._users.clear()
        self._methods.clear()
        self._product_cache.clear()

    # -- clock ----------------------------------------------------------------------------------
    def tick(self, days: float = 0, hours: float = 0, minutes: float = 0) -> dt.datetime:
        """Move the simulated clock forward; returns the new time (saved in the database)."""
        try:
            delta = dt.timedelta(days=fields.number(days, "days", "天数", minimum=-1e5, maximum=1e5),
                                 hours=fields.number(hours, "hours", "小时", minimum=-1e6, maximum=1e6),
                                 minutes=fields.number(minutes, "minutes", "分钟", minimum=-1e8, maximum=1e8))
        except OverflowError:
            raise InvalidValue("BAD_NUMBER", "the clock cannot move that far", "时钟不能移动这么远") from None
        if delta < dt.timedelta(0):
            raise GuardFailed("CLOCK_BACKWARDS", "the clock only moves forward", "时钟只能向前")
        return self._move_clock(self.now + delta)

    def set_clock(self, when) -> dt.datetime:
        """Set the simulated clock (not earlier than now; saved in the database)."""
        t = _ts(when, "clock", "时钟")
        if t < self.now:
            raise GuardFailed("CLOCK_BACKWARDS", "the clock only moves forward", "时钟只能向前")
        return self._move_clock(t)

    def _move_clock(self, t: dt.datetime) -> dt.datetime:
        """The one place that moves the clock: the ``clock`` row (id 1) and ``self.now`` together."""
        t = t.replace(microsecond=0) if t.microsecond else t
        if t.year > 2200:
            raise InvalidValue("BAD_TIME", "the clock cannot go beyond the year 2200", "时钟不能超过 2200 年")
        row = {"id": 1, "now": t}
        stmt = m.Clock.__table__.update().where(m.Clock.__table__.c.id == 1).values(now=t)
        if self._batch is not None:
            if self._batch.execute(stmt).rowcount == 0:
                self._batch.execute(insert(m.Clock.__table__).values(**row))
        else:
            with self._writer.begin() as con:
                if con.execute(stmt).rowcount == 0:
                    con.execute(insert(m.Clock.__table__).values(**row))
        self.now = t
        return t

    def _load_clock(self, explicit: bool) -> dt.datetime:
        """Resume the saved clock (a reopened database goes on where it stopped); a database without
        one saves the current clock. An explicit ``clock=`` later than the saved one moves it."""
        with self._Session() as s:
            saved = s.scalar(select(m.Clock.now).where(m.Clock.id == 1))
        if saved is None or (explicit and self.now > saved):
            return self._move_clock(self.now)
        self.now = saved
        return saved

    # -- users and sessions ---------------------------------------------------------------------
    def _user(self, login, session: Session | None = None) -> UserInfo:
        login = fields.key(login)
        u = self._users.get(login)
        if u is None:
            with (self._read() if session is None else contextlib.nullcontext(session)) as s:
                row = s.scalar(select(m.User).where((m.User.login == login) | (m.User.name == login)))
                if row is None:
                    raise NotFound("NO_USER", f"no user {login!r}", f"找不到用户 {login!r}")
                u = UserInfo(row.id, row.login, row.name, row.role, row.dept_id, row.employee_code,
                             row.authorised, row.active)
            self._users[login] = u
        return u

    def login(self, user, *, channel: str = "desk") -> Desk:
        """Log in as ``user`` (login or name): every action of the returned desk is attributed to them.

        ``channel`` says in the audit log how the actions are done (:data:`CHANNELS`): ``desk``
        (code in a notebook, the default), ``ui`` (the ipywidgets client), ``mobile`` (the phone page).
        """
        u = self._user(user)
        if not u.active:
            raise PermissionDenied("INACTIVE_USER", f"user {u.login} is inactive", f"用户 {u.name} 已停用")
        if channel not in CHANNELS:
            raise GuardFailed("BAD_CHANNEL", f"channel must be one of {list(CHANNELS)}, not {channel!r}",
                              f"操作渠道必须是 {list(CHANNELS)} 之一，不能是 {channel!r}")
        return Desk(self, u.login, channel)

    def method(self, name_or_id=None) -> op.SalesMethod:
        """The sales method (default: the default method) as a :class:`crmlab.opportunity.SalesMethod`."""
        with self._Session() as s:
            q = select(m.SalesMethodRow)
            if name_or_id is None:
                q = q.where(m.SalesMethodRow.is_default.is_(True))
            elif isinstance(name_or_id, int):
                q = q.where(m.SalesMethodRow.id == name_or_id)
            else:
                q = q.where(m.SalesMethodRow.name == str(name_or_id))
            row = s.scalar(q)
            if row is None:
                raise NotFound("NO_METHOD", f"no sales method {name_or_id!r}", f"找不到销售方法 {name_or_id!r}")
            return self._method(s, row.id)

    def _method(self, s: Session, method_id: int) -> op.SalesMethod:
        meth = self._methods.get(method_id)
        if meth is None:
            row = s.get(m.SalesMethodRow, method_id)
            stages = s.scalars(select(m.SalesStageRow).where(m.SalesStageRow.method_id == method_id)
                               .order_by(m.SalesStageRow.seq))
            meth = op.SalesMethod(row.name, tuple(op.Stage(r.code, r.name_zh, r.name_en, r.days, r.probability,
                                                           r.control, dict(r.conditions or {}), r.state)
                                                  for r in stages), row.win_at_last_stage_only)
            self._methods[method_id] = meth
        return meth

    # -- running actions ------------------------------------------------------------------------
    def _hold(self, _session, obj):
        if self._batch is not None:
            self._keep.append(obj)

    def _write_log(self, s, rows: list[dict]):
        """Insert an action's (or a batch's) audit rows, chained: each row carries the hash of the
        row before it and its own (:func:`_chain_hash`)."""
        if rows:
            con = s.connection()
            prev = con.execute(select(m.AuditLog.hash).order_by(m.AuditLog.id.desc()).limit(1)).scalar()
            for r in rows:
                r.setdefault("channel", "desk")
                r["prev_hash"] = prev
                r["hash"] = prev = m.audit_hash(r)
            con.execute(insert(m.AuditLog.__table__), rows)
            rows.clear()

    def _last_change(self, s, no):
        """(login, time) of the last audit-log entry of document ``no``."""
        for r in reversed(self._pending_log):           # a batch's rows not yet written
            if r["doc_no"] == str(no):
                return r["user_login"], r["at"]
        row = s.execute(select(m.AuditLog.user_login, m.AuditLog.at).where(m.AuditLog.doc_no == str(no))
                        .order_by(m.AuditLog.id.desc()).limit(1)).first()
        return (row[0], row[1]) if row is not None else (None, None)

    def _run(self, login: str, fn, expect=None, channel: str = "desk"):
        """Run the action ``fn`` as ``login``: inside a batch once (its savepoint cannot be run
        again), else in its own transaction, tried again on a collision (:data:`RETRIES`)."""
        user = self._user(login)
        if self._batch is not None:
            return self._run_once(user, fn, expect, channel)
        for attempt in range(RETRIES):
            self._before_try()
            try:
                return self._run_once(user, fn, expect, channel)
            except (IntegrityError, OperationalError) as err:
                # Another transaction took the same key or lock between our read and our write
                # (ours was rolled back as a whole): run the action again on the new state. A
                # real duplicate fails every time and becomes a Conflict; a missing required
                # value or reference, or a broken connection, is no race: said at once.
                if not _collision(err):
                    if isinstance(err, IntegrityError):
                        raise _conflict(err) from None
                    raise
                if attempt == RETRIES - 1:
                    raise _gave_up(err) from None
                time.sleep(_backoff(attempt))

    def _before_try(self):
        """Called before each try of an action in its own transaction (a classroom connection
        follows the class clock here)."""

    def _run_once(self, user: UserInfo, fn, expect=None, channel: str = "desk"):
        token = _ACTION.set(_ActionState())
        try:
            if self._batch is not None:
                s = self._batch
                sp = s.begin_nested()
                try:
                    c = _Ctx(self, s, user, channel)
                    if expect is not None:
                        c.expect_version(*expect)
                    result = fn(c)
                    c.check_pending()
                    sp.commit()
                except StaleDataError:
                    sp.rollback()
                    raise _race(expect) from None
                except IntegrityError as err:
                    sp.rollback()
                    raise _conflict(err) from None
                except (StatementError, OverflowError) as err:
                    sp.rollback()
                    if isinstance(err, StatementError) and not _value_fault(err):
                        raise
                    raise _refused_value(err) from None
                except BaseException:
                    sp.rollback()
                    raise
                self._pending_log.extend(c.finished_logs())
                return result
            try:
                with self._Session(bind=self._writer) as s:
                    with s.begin():
                        c = _Ctx(self, s, user, channel)
                        if expect is not None:
                            c.expect_version(*expect)
                        result = fn(c)
                        c.check_pending()
                        s.flush()
                        self._write_log(s, c.finished_logs())
            except StaleDataError:
                raise _race(expect) from None
            except StatementError as err:
                if not _value_fault(err):
                    raise                       # integrity (retried), operational: not the value's fault
                raise _refused_value(err) from None
            except OverflowError as err:        # a number the driver cannot bind
                raise _refused_value(err) from None
            return result
        finally:
            _ACTION.reset(token)

    @contextmanager
    def batch(self):
        """Run many actions in one database transaction (each action still all-or-nothing).

        For many actions in a row (the UI's multi-step forms, a classroom's scripted steps, a
        seeded history): a refused action rolls back to its own savepoint; the batch commits at the
        end (or rolls back entirely on an exception that leaves the block). The audit-log rows of
        the batch are written with one multi-row INSERT. A batch inside a batch joins it.
        """
        if self._batch is not None:
            yield self
            return
        s = self._Session()
        s.begin()
        self._batch = s
        try:
            yield self
            self._write_log(s, self._pending_log)
            s.commit()
        except BaseException:
            s.rollback()
            self._forget()
            raise
        finally:
            self._batch = None
            self._keep.clear()
            self._pending_log.clear()
            s.close()

    def _forget(self):
        """Drop the caches after a rollback (they may name rows that no longer exist)."""
        self._users.clear()
        self._methods.clear()
        self._product_cache.clear()

    @contextmanager
    def _read(self):
        if self._batch is not None:
            self._batch.flush()
            self._write_log(self._batch, self._pending_log)
            yield self._batch
        else:
            with self._Session() as s:
                yield s

    def _frame(self, stmt) -> pd.DataFrame:
        with self._read() as s:
            result = s.execute(stmt)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    # -- query helpers (read-only; for notebooks and graders) ------------------------------------
    def doc(self, no) -> dict:
        """One document as a dict: header fields, ``data`` fields, and for an opportunity its tab.

        Keys include ``no``, ``doc_type``, ``status``, ``status_zh``, ``subject``, ``customer_no``,
        ``owner`` (login), ``src_type``, ``src_no``, ``total``.
        """
        with self._read() as s:
            d = s.get(m.Document, str(no))
            if d is None:
                c = s.get(m.Customer, str(no))
                if c is None:
                    raise NotFound("NO_DOCUMENT", f"no document {no!r}", f"找不到单据 {no!r}")
                out = _snap(c)
                out["status_zh"] = lc.status_label(c.status)
                return out
            out = _snap(d)
            out.pop("data")
            out.update({k: v for k, v in (d.data or {}).items() if k not in out})    # the row's own fields win
            out["owner"] = s.get(m.User, d.owner_id).login
            out["status_zh"] = lc.status_label(d.status)
            if d.doc_type == "opportunity":
                o = _snap(s.get(m.Opportunity, d.no))
                o.pop("status")
                out.update({k: v for k, v in o.items() if k not in ("no", "owner_id", "dept_id", "customer_no",
                                                                      "created_at")})
            return out

    def status(self, no, lang: str = DEFAULT_LANG) -> str:
        """The status of a document or customer: the Kingdee label (``lang="en"``: the status code)."""
        code = self.doc(no)["status"]
        return lc.status_label(code) if check_lang(lang) == "zh" else code

    def documents(self, user=None, doc_type=None, status=None) -> pd.DataFrame:
        """Documents (one row each) filtered by owner login, type and status, in number order.

        This is the administrator's view of every document; a user's own view (read record
        rules) is :meth:`Desk.documents`.
        """
        return self._documents(user=user, doc_type=doc_type, status=status)

    def _documents(self, user=None, doc_type=None, status=None, visible_to: UserInfo | None = None) -> pd.DataFrame:
        q = (select(m.Document.no, m.Document.doc_type, m.Document.status, m.Document.subject,
                    m.Document.customer_no, m.User.login.label("owner"), m.Document.src_type, m.Document.src_no,
                    m.Document.ref_no, m.Document.stage, m.Document.total, m.Document.created_at,
                    m.Document.created_by, m.Document.audited_by, m.Document.version)
             .join(m.User, m.User.id == m.Document.owner_id).order_by(m.Document.created_at, m.Document.no))
        if user is not None:
            q = q.where(m.User.login == self._user(user).login)
        if doc_type is not None:
            q = q.where(m.Document.doc_type == lc.doc_type_code(doc_type))
        if status is not None:
            q = q.where(m.Document.status == lc.status_code(status, doc_type and lc.doc_type_code(doc_type)))
        if visible_to is not None:
            q = q.where(_visible_clause(visible_to))
        return self._frame(q)

    def lines(self, no, kind: str = "item") -> pd.DataFrame:
        """The lines (分录) of a document: seq, product code and name, qty, price, amount (due_date).
        ``no=None`` raises :class:`NotFound` (like :meth:`doc`)."""
        if no is None:
            raise NotFound("NO_DOCUMENT", "no document None: give a document number", "请给出单据编号")
        q = (select(m.DocLine.seq, m.Product.code.label("product"), m.DocLine.description, m.DocLine.qty,
                    m.DocLine.price, m.DocLine.amount, m.DocLine.due_date)
             .outerjoin(m.Product, m.Product.id == m.DocLine.product_id)
             .where(m.DocLine.doc_no == str(no), m.DocLine.kind == kind).order_by(m.DocLine.seq))
        return self._frame(q)

    def links(self, no=None) -> pd.DataFrame:
        """Push-down and conversion links (source type/no → target type/no, relation), optionally
        only those touching document ``no``."""
        q = select(m.DocLink.src_type, m.DocLink.src_no, m.DocLink.dst_type, m.DocLink.dst_no,
                   m.DocLink.relation, m.DocLink.at).order_by(m.DocLink.id)
        if no is not None:
            q = q.where((m.DocLink.src_no == str(no)) | (m.DocLink.dst_no == str(no)))
        return self._frame(q)

    def lineage(self, no) -> list[str]:
        """The chain of source documents of ``no``, oldest first, ending with ``no``."""
        chain = [str(no)]
        with self._read() as s:
            while True:
                src = s.scalar(select(m.DocLink.src_no).where(m.DocLink.dst_no == chain[0]).order_by(m.DocLink.id))
                if src is None or src in chain:
                    return chain
                chain.insert(0, src)

    def audit_log(self, user=None, doc_no=None, action=None) -> pd.DataFrame:
        """The audit log: who (login, role), when, action, document, status and values before/after."""
        q = select(m.AuditLog).order_by(m.AuditLog.id)
        if user is not None:
            q = q.where(m.AuditLog.user_login == self._user(user).login)
        if doc_no is not None:
            q = q.where(m.AuditLog.doc_no == str(doc_no))
        if action is not None:
            q = q.where(m.AuditLog.action == action)
        with self._read() as s:
            rows = [_snap(r) for r in s.scalars(q)]
        cols = [c.key for c in m.AuditLog.__mapper__.column_attrs]
        return pd.DataFrame(rows, columns=cols)

    def audit_chain_problems(self) -> list[str]:
        """Rows of the audit log that break its hash chain (empty list: the log is as the CRM wrote it).

        Every row stores the previous row's hash and its own (:func:`_chain_hash`), so a row changed,
        inserted or deleted by hand — e.g. in a SQLite browser, to fake who did what — is listed,
        with its id. Rows written before crmlab kept the chain (no hash) are skipped. A classroom
        database on PostgreSQL stamps its rows on the server and protects the log with roles
        instead: nothing is reported there.

        >>> crm = open(":memory:", demo=True)
        >>> _ = crm.login("zhangsan").new_lead("甲意向", source="网站", customer_name="甲", contact_name="乙")
        >>> crm.audit_chain_problems()
        []
        >>> with crm.engine.begin() as con:
        ...     _ = con.execute(text("UPDATE audit_log SET user_login = 'lisi' WHERE action = 'new_lead'"))
        >>> crm.audit_chain_problems()
        ['审计日志第 2 行（new_lead，lisi）写入后被改动过 / audit log row 2 was changed after it was written']
        """
        t = m.AuditLog.__table__
        if "db_user" in {c["name"] for c in sa_inspect(self.engine).get_columns("audit_log")}:
            return []
        with self.engine.connect() as con:
            rows = [r._asdict() for r in con.execute(select(t).order_by(t.c.id))]
        problems, prev = [], None
        for r in rows:
            if r["hash"] is None:
                if r["channel"] is not None:          # written by this crmlab, which always chains
                    problems.append(f"审计日志第 {r['id']} 行没有哈希，被改动过 / audit log row {r['id']} lost its hash")
                prev = None
                continue
            what = f"{r['id']} 行（{r['action']}，{r['user_login']}）"
            if r["prev_hash"] != prev:
                problems.append(f"审计日志第 {what}之前的记录被删除或插入过 / audit log row {r['id']}: a row before "
                                "it was removed or added by hand")
            elif m.audit_hash(r) != r["hash"]:
                problems.append(f"审计日志第 {what}写入后被改动过 / audit log row {r['id']} was changed after it "
                                "was written")
            prev = r["hash"]
        return problems

    def table(self, name: str) -> pd.DataFrame:
        """Any table of the schema as a DataFrame (e.g. ``"customers"``, ``"opp_stages"``)."""
        t = m.Base.metadata.tables[name]
        return self._frame(select(t))

    def users(self) -> pd.DataFrame:
        """Users with role (code and 中文) and department."""
        q = (select(m.User.login, m.User.name, m.User.role, m.Department.name.label("dept"), m.User.employee_code,
                    m.User.authorised, m.User.active)
             .outerjoin(m.Department, m.Department.id == m.User.dept_id).order_by(m.User.id))
        f = self._frame(q)
        f.insert(3, "role_zh", f["role"].map(lambda r: perm.ROLES.get(r, (r,))[0]))
        return f

    def customers(self, card_type=None) -> pd.DataFrame:
        """The customer archive, level 1 (one row per customer), optionally one card type."""
        q = select(m.Customer).order_by(m.Customer.no)
        if card_type is not None:
            q = q.where(m.Customer.card_type == _card_code(card_type))
        with self._read() as s:
            rows = [_snap(c) for c in s.scalars(q)]
        return pd.DataFrame(rows, columns=[c.key for c in m.Customer.__mapper__.column_attrs])

    def contacts(self, customer=None, key_only: bool = False) -> pd.DataFrame:
        """Contacts with their decision roles; ``key_only`` keeps the key contacts (关键联系人)."""
        q = select(m.Contact).order_by(m.Contact.id)
        if customer is not None:
            q = q.where(m.Contact.customer_no == str(customer))
        if key_only:
            q = q.where(m.Contact.is_key.is_(True))
        with self._read() as s:
            rows = [_snap(c) for c in s.scalars(q)]
        return pd.DataFrame(rows, columns=[c.key for c in m.Contact.__mapper__.column_attrs])

    def credit(self, customer=None, as_of=None) -> pd.DataFrame:
        """Credit records with a ``stale`` flag (valid_until before ``as_of``, default now)."""
        as_of = _date(as_of) if as_of is not None else self.now.date()
        q = select(m.CreditRecord).order_by(m.CreditRecord.id)
        if customer is not None:
            q = q.where(m.CreditRecord.customer_no == str(customer))
        with self._read() as s:
            rows = [_snap(c) for c in s.scalars(q)]
        f = pd.DataFrame(rows, columns=[c.key for c in m.CreditRecord.__mapper__.column_attrs])
        f["stale"] = [pd.Timestamp(v).date() < as_of for v in f["valid_until"]] if len(f) else []
        return f

    def stale_credit(self, as_of=None) -> pd.DataFrame:
        """Customers whose latest credit record has expired (动态管理: investigate again)."""
        f = self.credit(as_of=as_of)
        if f.empty:
            return f
        latest = f.sort_values(["customer_no", "valid_until"]).groupby("customer_no").tail(1)
        return latest[latest["stale"]].reset_index(drop=True)

    def opportunities(self) -> pd.DataFrame:
        """Opportunities in the columns of ``crmlab.datasets.load("opportunities")`` (plus Kingdee
        status), ready for the :mod:`crmlab.opportunity` KPI functions."""
        q = (select(m.Opportunity.no.label("opportunity_id"), m.Opportunity.customer_no.label("customer_id"),
                    m.User.login.label("owner"), m.Department.name.label("department"),
                    m.Opportunity.opp_source.label("source"), m.Opportunity.created_at.label("created_date"),
                    m.Opportunity.stage, m.Opportunity.status, m.Opportunity.expected_revenue,
                    m.Opportunity.probability, m.Opportunity.closed_at.label("closed_date"),
                    m.Opportunity.lost_reason, m.Opportunity.win_reason, m.Opportunity.expected_close)
             .join(m.User, m.User.id == m.Opportunity.owner_id)
             .outerjoin(m.Department, m.Department.id == m.Opportunity.dept_id).order_by(m.Opportunity.no))
        f = self._frame(q)
        f.insert(f.columns.get_loc("status") + 1, "status_zh", f["status"].map(lc.status_label))
        return f

    def stages(self, opp) -> pd.DataFrame:
        """The 销售阶段 tab of an opportunity: stage rows with times, counts and warnings."""
        t = m.OppStage
        return self._frame(select(t.seq, t.stage, t.started_at, t.planned_end, t.actual_end, t.closed, t.n_activity,
                                  t.n_task, t.n_quote, t.n_sample, t.warnings).where(t.opp_no == str(opp))
                           .order_by(t.seq))

    def evaluations(self, opp) -> pd.DataFrame:
        """The evaluation rounds of an opportunity."""
        t = m.Evaluation
        return self._frame(select(t.round, t.submitter, t.evaluator, t.submitted_at, t.result, t.next_evaluator,
                                  t.comment, t.decided_at).where(t.opp_no == str(opp)).order_by(t.round))

    def pending(self, user) -> pd.DataFrame:
        """待处理: what waits for ``user`` — evaluations, audit levels, work orders, tasks."""
        u = self._user(user)
        rows = []
        with self._read() as s:
            for o in s.scalars(select(m.Opportunity).where(m.Opportunity.status == "evaluating",
                                                           m.Opportunity.evaluator == u.login)):
                rows.append(("evaluate", o.no))
            for d in s.scalars(select(m.Document).where(m.Document.status == "auditing")):
                levels = d.audit_levels or []
                if d.audit_step < len(levels) and levels[d.audit_step] == u.login:
                    rows.append(("approve", d.no))
            for d in s.scalars(select(m.Document).where(m.Document.doc_type == "work_order",
                                                        m.Document.status.in_(("pending", "accepted")),
                                                        m.Document.owner_id == u.id)):
                rows.append(("accept" if d.status == "pending" else "handle", d.no))
            for d in s.scalars(select(m.Document).where(m.Document.doc_type == "task",
                                                        m.Document.status == "in_progress")):
                if (d.data or {}).get("executor") == u.login:
                    rows.append(("complete", d.no))
        return pd.DataFrame(rows, columns=["action", "no"])

    def check_invariants(self) -> list[str]:
        """Problems found in the database state (empty list = consistent). Checks that totals equal
        their lines, every link's target names its source, statuses are declared, opportunities
        agree with their header, won/lost probabilities are 1/0, and an audited contract's payment
        plan (收款计划) adds up to its total (R27; the Σ rule is crmlab's, checked at audit)."""
        problems = []
        with self._read() as s:
            sums = dict(s.execute(select(m.DocLine.doc_no, func.sum(m.DocLine.amount))
                                  .where(m.DocLine.kind == "item").group_by(m.DocLine.doc_no)).all())
            plans = dict(s.execute(select(m.DocLine.doc_no, func.sum(m.DocLine.amount))
                                   .where(m.DocLine.kind == "payment").group_by(m.DocLine.doc_no)).all())
            for d in s.scalars(select(m.Document)):
                if d.status not in lc.STATUS_LABELS:
                    problems.append(f"{d.no}: undeclared status {d.status!r}")
                if d.doc_type in ("price_list", "quote", "contract", "sample", "service_quote", "service_contract") \
                        and abs(d.total - (sums.get(d.no) or 0.0)) > 0.005:
                    problems.append(f"{d.no}: total {d.total} != Σ lines {sums.get(d.no)}")
                if d.doc_type == "contract" and (d.status == "audited" or (d.status == "closed" and d.audited_by)) \
                        and (d.no not in plans or abs(d.total - plans[d.no]) > 0.005):
                    problems.append(f"{d.no}: payment plan Σ {plans.get(d.no)} != contract total {d.total} (R27)")
            for link in s.scalars(select(m.DocLink)):
                dst = s.get(m.Document, link.dst_no)
                if dst is None:
                    problems.append(f"link {link.src_no}→{link.dst_no}: target missing")
                elif link.relation in ("push_down", "source", "convert") and dst.src_no != link.src_no:
                    problems.append(f"link {link.src_no}→{link.dst_no}: target's source is {dst.src_no}")
                if s.get(m.Document, link.src_no) is None:
                    problems.append(f"link {link.src_no}→{link.dst_no}: source missing")
            for o in s.scalars(select(m.Opportunity)):
                d = s.get(m.Document, o.no)
                if d.status != o.status:
                    problems.append(f"{o.no}: header {d.status} != tab {o.status}")
                if o.status == "won" and o.probability != 1.0:
                    problems.append(f"{o.no}: won with probability {o.probability}")
                if o.status in ("lost", "potential", "evaluating", "failed") and o.probability != 0.0:
                    problems.append(f"{o.no}: {o.status} with probability {o.probability}")
                if o.status in ("open", "won", "lost") and o.stage is None:
                    problems.append(f"{o.no}: {o.status} without a stage")
                if o.status in ("potential", "evaluating", "failed") and o.stage is not None:
                    problems.append(f"{o.no}: {o.status} with a stage")
                n_lines = sums.get(o.no)
                if n_lines is not None and abs(o.expected_revenue - n_lines) > 0.005:
                    problems.append(f"{o.no}: expected revenue {o.expected_revenue} != Σ interest lines {n_lines}")
        return problems


def _sqlite_transactions(engine):
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself
    # (the recipe of the SQLAlchemy SQLite dialect documentation).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + synchronous=NORMAL: a commit no longer waits for the disk (fsync at checkpoints only);
        # a crashed or killed process still loses nothing committed, a power cut may lose the last
        # transactions, never consistency (the SQLite documentation's recommended WAL setting).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        begin = conn.info.pop("crmlab_begin", None) or conn.get_execution_options().get("crmlab_begin", "BEGIN")
        conn.exec_driver_sql(begin)           # single actions: BEGIN IMMEDIATE


# The desk (a logged-in user) is assembled from one mixin per area of the textbook (:mod:`._actions`).
class Desk(SetupActions, ArchiveActions, MarketingActions, OpportunityActions, SalesActions, ServiceActions,
           ValueActions):
    """A logged-in user: every method is one action, checked, run in one transaction and logged.

    Get one with :meth:`CRM.login`. Methods by textbook task: initial settings (task 12), the
    customer archive (tasks 5 and 15), marketing, leads and opportunities (task 13), sales and
    service (task 14), customer value (task 15).
    """

    def __init__(self, crm: CRM, login: str, channel: str = "desk"):
        self.crm = crm
        self.login = login
        self.channel = channel

    def __repr__(self):
        u = self.crm._user(self.login)
        return f"<Desk {u.login} {u.name} ({perm.ROLES.get(u.role, (u.role,))[0]})>"

    @property
    def user(self) -> UserInfo:
        """The logged-in user."""
        return self.crm._user(self.login)

    def _do(self, fn):
        return self.crm._run(self.login, fn, self.__dict__.pop("_expect", None), self.channel)

    # -- read record rules (what this user may see) -----------------------------------------------
    def documents(self, doc_type=None, status=None) -> pd.DataFrame:
        """The documents this user may see (read record rules, ``PERMISSIONS[(type, "read")]``):
        their own (and those assigned to them: task executor, service handler) for reps and
        engineers, their department's for managers, all for the director and the administrator.
        Same columns as :meth:`CRM.documents`, with ``version``.

        >>> from crmlab import system
        >>> crm = system.open(":memory:", demo=True)
        >>> zs, ls = crm.login("zhangsan"), crm.login("lisi")
        >>> a = zs.new_lead("甲意向", source="网站", customer_name="甲", contact_name="乙")
        >>> b = ls.new_lead("丙意向", source="网站", customer_name="丙", contact_name="丁")
        >>> zs.documents()["no"].tolist(), crm.login("wangzong").documents("线索")["no"].tolist()
        (['XS000001'], ['XS000001', 'XS000002'])
        """
        return self.crm._documents(doc_type=doc_type, status=status, visible_to=self.user)

    def get(self, no) -> dict:
        """One document like :meth:`CRM.doc` (with its ``version``), or :class:`PermissionDenied`
        when this user may not see it (customers are company-wide)."""
        d = self.crm.doc(no)
        u = self.user
        if not _can_read(u, d):
            label = perm.ROLES.get(u.role, (u.role,))[0]
            raise PermissionDenied("NOT_VISIBLE", f"{u.login} ({u.role}) may not see {d.get('no')}",
                                   f"{u.name}（{label}）无权查看单据 {d.get('no')}")
        return d

    # -- mobile: schedule and check-in ------------------------------------------------------------
    def my_schedule(self, day) -> pd.DataFrame:
        """日程: this user's activities and tasks planned on ``day`` (their ``plan_start``), owned or
        assigned to them, with the customer and whether they already checked in.

        >>> from crmlab import system
        >>> crm = system.open(":memory:", demo=True)
        >>> zs = crm.login("zhangsan")
        >>> lead = zs.new_lead("意向", source="网站", customer_name="江南重工集团", contact_name="钱工")
        >>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
        >>> act = zs.new_activity(opp, "上门拜访", plan_start="2024-03-01 14:00")
        >>> zs.my_schedule("2024-03-01")[["no", "subject", "customer", "checked_in"]].values.tolist()
        [['HD000001', '上门拜访', '江南重工集团', False]]
        """
        u = self.user
        day = _date(day)
        if day is None:
            raise GuardFailed("BAD_DATE", "give the day of the schedule", "请给出日程的日期")
        with self.crm._read() as s:
            q = (select(m.Document.no, m.Document.doc_type, m.Document.subject, m.Document.customer_no,
                        m.Customer.name.label("customer"), m.Document.ref_no.label("opportunity"), m.Document.stage,
                        m.Document.status, m.Document.data)
                 .outerjoin(m.Customer, m.Customer.no == m.Document.customer_no)
                 .where(m.Document.doc_type.in_(("activity", "task")), _mine_clause(u)))
            rows = []
            for r in s.execute(q):
                start = (r.data or {}).get("plan_start")
                if start is None:
                    continue
                try:
                    t = pd.Timestamp(start)
                except (TypeError, ValueError):
                    continue
                if t.date() == day:
                    rows.append({"plan_start": t, **{k: getattr(r, k) for k in r._fields if k != "data"}})
            done = set(s.scalars(select(m.CheckIn.doc_no).where(m.CheckIn.user_login == u.login)))
        cols = ["plan_start", "no", "doc_type", "subject", "customer_no", "customer", "opportunity", "stage",
                "status"]
        f = pd.DataFrame(rows, columns=cols).sort_values(["plan_start", "no"]).reset_index(drop=True)
        f["status_zh"] = f["status"].map(lc.status_label)
        f["checked_in"] = f["no"].isin(done)
        return f

    def check_in(self, activity_no, place: str, lat: float, lon: float) -> int:
        """签到: check in at one's own activity or task (the owner, or the task's executor) with the
        place and its coordinates, at the CRM clock's time; audit-logged. A check-in without
        coordinates, or at someone else's activity, is refused and changes nothing. Returns the
        check-in id.

        >>> from crmlab import system
        >>> crm = system.open(":memory:", demo=True)
        >>> zs = crm.login("zhangsan")
        >>> lead = zs.new_lead("意向", source="网站", customer_name="江南重工集团", contact_name="钱工")
        >>> act = zs.new_activity(zs.convert_lead(lead, new_customer=True, new_contact=True), "上门拜访")
        >>> zs.check_in(act, "江南重工集团 信息中心", 31.2304, 121.4737)
        1
        >>> try:
        ...     zs.check_in(act, "江南重工集团", None, None)
        ... except system.GuardFailed as err:
        ...     print(err.code)
        COORDINATES_REQUIRED
        """
        def fn(c):
            d = c.doc(activity_no)
            if d.doc_type not in ("activity", "task"):
                raise GuardFailed("NOT_AN_ACTIVITY", f"{d.no} is a {d.doc_type}: check in at an activity or a task",
                                  f"{d.no} 不是活动或任务，不能签到")
            mine = d.owner_id == c.user.id or (d.data or {}).get("executor") == c.user.login
            c.require(d.doc_type, "check_in", c.user.id if mine else d.owner_id, None)
            where = _need(place, "place", "签到地点")
            y = _coordinate(lat, "latitude", "纬度", 90)
            x = _coordinate(lon, "longitude", "经度", 180)
            row = _new(m.CheckIn, doc_no=d.no, user_login=c.user.login, at=c.now, place=where, lat=y, lon=x)
            c.s.add(row)
            c.s.flush()
            c.log("check_in", row, None, doc_no=d.no, doc_type=d.doc_type)
            return row.id
        return self._do(fn)


def open(url=None, *, demo: bool = False, clock=None, create: bool = True, echo: bool = False) -> CRM:
    """Open (and create) a simulated CRM database.

    Parameters
    ----------
    url : ``None`` (the SQLite file ``crmlab_crm.db`` in the current folder), a file path,
        ``":memory:"``, or any SQLAlchemy URL such as ``"postgresql+psycopg://user@host/db"``.
    demo : seed the demo company (埃佛特信息科技, users, products, customers, the default sales
        method) when the database is empty — schema and data in one call.
    clock : the simulated time to start from (crmlab never reads the wall clock); default
        :data:`DEFAULT_CLOCK` for a new database. The clock is saved in the database: a reopened
        database resumes its own clock (a ``clock`` later than it moves it forward).
    create : create missing tables.

    >>> crm = open(":memory:", demo=True)
    >>> crm.users().query("role == 'admin'")["login"].tolist()
    ['admin']
    >>> crm.method().codes
    ('understanding', 'pre_study', 'proposal', 'bidding', 'signing')
    """
    crm = CRM(url, clock=clock or DEFAULT_CLOCK, echo=echo)
    if create:
        crm.create_schema()
    if create or sa_inspect(crm.engine).has_table(m.Clock.__tablename__):
        crm._load_clock(explicit=clock is not None)
    if demo:
        _seed_if_empty(crm)
    return crm


def open_copy(path) -> CRM:
    """A CRM in memory holding a copy of the SQLite database file ``path`` (with the write-ahead log
    a program still using it may have left beside it), its saved clock resumed. The file is never
    written: what a lab reads of a student's hand-in (the phone page's ``mobile_lab.db``, the
    client's ``ui_lab.db``) each time the notebook runs.

    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "crm.db"
    >>> _ = open(file, demo=True).login("zhangsan").new_lead("意向", source="网站", customer_name="甲", contact_name="乙")
    >>> crm = open_copy(file)
    >>> len(crm.audit_log()), crm.url
    (2, 'sqlite://')
    """
    import shutil
    import sqlite3
    import tempfile

    path = Path(path)
    crm = CRM(":memory:")
    with tempfile.TemporaryDirectory(prefix="crmlab-copy-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        source = sqlite3.connect(copy)
        try:
            with crm.engine.connect() as con:
                source.backup(con.connection.driver_connection)
        finally:
            source.close()
    crm.create_schema()
    crm._load_clock(explicit=False)
    return crm


def _seed_if_empty(crm: CRM) -> None:
    """Seed the demo company into a database that has no users yet (never twice)."""
    from .demo import seed
    with crm._Session() as s:
        empty = s.scalar(select(func.count()).select_from(m.User)) == 0
    if empty:
        seed(crm)


def _iter(x) -> Iterable:
    return x if isinstance(x, (list, tuple)) else [x]
