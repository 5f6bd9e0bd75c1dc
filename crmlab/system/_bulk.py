"""The write-behind store of :meth:`crmlab.system.CRM.bulk`: same actions, rows written in bulk.

Inside ``crm.bulk()`` the Desk actions run unchanged — the same permission checks, declared
lifecycle, guards and audit log — against :class:`BulkStore` instead of a SQLAlchemy session. The
store keeps the objects in memory (an identity map with hash indexes for the few lookups actions
make) and writes new and changed rows with one multi-row INSERT/UPDATE per table
(``executemany``) at the end of the block, or before any query it cannot answer from memory.

Each action stays all-or-nothing: every object an action reaches comes from the store (``get``,
the lookups, queries), which copies its values the first time the action sees it; a refused
action gets those values back and loses the objects it created. If the action had to write rows
already (a query in the middle of it), those writes are rolled back to a savepoint taken for it. Integer ids are handed out in memory (max + 1, as SQLite would), so the
database is taken for the block: SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``LOCK TABLE … IN SHARE
ROW EXCLUSIVE MODE`` (other readers go on; PostgreSQL sequences are moved past the new ids).
"""
from __future__ import annotations

import datetime
import json
import operator

from sqlalchemy import Integer, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from . import models as m
from .engine import _ACTION, _ActionState, _Ctx, _keys
from .errors import StaleRecord
from .fields import check_row



class _Info:
    """What the store needs to know about one mapped class."""

    def __init__(self, cls):
        self.cls, self.table = cls, cls.__table__
        self.attrs = [(a.key, a.columns[0]) for a in cls.__mapper__.column_attrs]
        self.names = [(key, col.name) for key, col in self.attrs]
        self.same_names = all(k == n for k, n in self.names)
        pk = list(self.table.primary_key.columns)
        assert len(pk) == 1, cls
        self.pk_col = pk[0]
        self.pk = cls.__mapper__.get_property_by_column(self.pk_col).key
        self.int_pk = isinstance(self.pk_col.type, Integer)
        self.versioned = cls in (m.Document, m.Customer)
        self.defaults = []                  # (key, callable or None, constant): every column gets a value
        for key, col in self.attrs:
            d = col.default
            if d is None:
                self.defaults.append((key, None, None))
            elif d.is_callable:
                self.defaults.append((key, lambda d=d: d.arg(None), None))
            else:
                self.defaults.append((key, None, d.arg))
        self.default_keys = frozenset(key for key, _, _ in self.defaults)
        self.parents = {}
        for key, col in self.attrs:
            for fk in col.foreign_keys:
                self.parents[key] = fk.column.table
        names = [col.name for _, col in self.attrs]
        where = self.pk_col == bindparam("b_pk")
        if self.versioned:
            where = where & (self.table.c.version == bindparam("b_version"))
        self.update = update(self.table).where(where).values({n: bindparam(f"v_{n}") for n in names})
        self.insert = insert(self.table)
        self._raw: dict = {}

    def raw(self, dialect, kind: str) -> _Raw:
        """The INSERT or UPDATE of this table compiled once for ``dialect`` (see :class:`_Raw`)."""
        r = self._raw.get((dialect.name, kind))
        if r is None:
            types = {col.name: col.type for _, col in self.attrs}
            if kind == "insert":
                r = _Raw(self.insert.compile(dialect=dialect, column_keys=list(types)), types, dialect, self.table.name)
            else:
                types = {f"v_{k}": t for k, t in types.items()} | {"b_pk": self.pk_col.type,
                                                                 "b_version": Integer()}
                r = _Raw(self.update.compile(dialect=dialect), types, dialect)
            self._raw[(dialect.name, kind)] = r
        return r

    def row(self, obj) -> dict:
        d = obj.__dict__
        return {name: d.get(key) for key, name in self.names}


class _Raw:
    """A statement compiled once, executed with ``executemany`` on the driver: the values go through
    the same bind processors SQLAlchemy would apply (dates, JSON, floats), without its per-row
    parameter machinery."""

    def __init__(self, compiled, types: dict, dialect, copy_table: str | None = None):
        self.sql = compiled.string
        self.positional = dialect.positional
        self.copy = None
        if copy_table is not None and dialect.name == "postgresql":     # PostgreSQL: COPY … FROM STDIN
            self.copy = f"COPY {copy_table} ({', '.join(types)}) FROM STDIN"
            self.positional = True
        if self.copy is not None:
            self.names = list(types)
        else:
            self.names = list(compiled.positiontup) if self.positional else [n for n in types if n in compiled.binds]
        self.get = operator.itemgetter(*self.names) if len(self.names) > 1 else (lambda r, n=self.names[0]: (r[n],))
        self.procs = [(i, p) for i, n in enumerate(self.names)
                      if (p := _processor(types[n], dialect)) is not None]

    def params(self, rows: list[dict]) -> list:
        if not rows:
            return []
        cols = list(zip(*map(self.get, rows)))          # column by column: one map() per processor
        for i, p in self.procs:
            if p is _sqlite_datetime:                    # many rows share a time (the clock): format it once
                memo: dict = {}
                cols[i] = [memo[v] if v in memo else memo.setdefault(v, p(v)) for v in cols[i]]
            else:
                cols[i] = map(p, cols[i])
        if self.positional:
            return list(zip(*cols))
        names = self.names
        return [dict(zip(names, v)) for v in zip(*cols)]

    def run(self, conn, rows: list[dict]):
        if self.copy is not None:
            cur = conn.connection.cursor()
            try:
                with cur.copy(self.copy) as cp:
                    for r in self.params(rows):
                        cp.write_row(r)
            finally:
                cur.close()
            return None
        return conn.exec_driver_sql(self.sql, self.params(rows))


def _sqlite_datetime(v):
    if v is None:
        return None
    if not isinstance(v, datetime.datetime):          # a date in a date-time column: midnight
        v = datetime.datetime(v.year, v.month, v.day)
    return v.isoformat(" ", "microseconds")


def _sqlite_date(v):
    return None if v is None else v.isoformat()


def _json_encoder():
    """What ``json.dumps(v)`` returns (SQLAlchemy's default JSON serializer), with the C encoder
    made once instead of once per value."""
    make = json.encoder.c_make_encoder
    if make is None:
        return json.JSONEncoder().encode
    run = make(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ": ", ", ",
               False, False, True)

    def encode(v):
        return "".join(run(v, 0))
    return encode


_ENCODE = _json_encoder()


def _sqlite_json(v):
    return "null" if v is None else _ENCODE(v)


def _processor(type_, dialect):
    """The bind processor SQLAlchemy would use; on SQLite, for the default DATETIME/DATE storage
    formats and the default JSON serializer, the same strings made more directly."""
    impl = type_.dialect_impl(dialect)
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import DATE, DATETIME, JSON
        if type(impl) is DATETIME and impl._storage_format == DATETIME._storage_format:
            return _sqlite_datetime
        if isinstance(impl, DATE) and impl._storage_format == DATE._storage_format:
            return _sqlite_date
        if isinstance(impl, JSON) and not impl.none_as_null and dialect._json_serializer is None:
            return _sqlite_json
    return impl.bind_processor(dialect)


_INFO: dict[type, _Info] = {}
_CLS_BY_TABLE = {mp.local_table: mp.class_ for mp in m.Base.registry.mappers}


def info(cls) -> _Info:
    i = _INFO.get(cls)
    if i is None:
        i = _INFO[cls] = _Info(cls)
    return i


_LOG: dict = {}


def _log_insert(dialect) -> _Raw:
    r = _LOG.get(dialect.name)
    if r is None:
        t = m.AuditLog.__table__
        types = {c.name: c.type for c in t.columns}
        r = _LOG[dialect.name] = _Raw(insert(t).compile(dialect=dialect, column_keys=list(types)), types, dialect,
                                      t.name)
    return r


class _Result(list):
    """The part of SQLAlchemy's ScalarResult that actions use."""

    def first(self):
        return self[0] if self else None

    def all(self):
        return list(self)

    def one_or_none(self):
        return self[0] if self else None


class _BulkCtx(_Ctx):
    """Action context over the store: lookups are answered from memory (and the database)."""

    def rows(self, model, *, order=None, desc=False, **equals) -> list:
        return self.s.find(model, order, desc, equals)

    def lines(self, no, kind: str = "item") -> list:
        return self.s.find(m.DocLine, "seq", False, {"doc_no": no, "kind": kind})


class BulkStore:
    """In-memory identity map + pending rows of one ``crm.bulk()`` block (see the module docstring)."""

    def __init__(self, crm):
        self.crm = crm
        self.backend = crm.engine.dialect.name
        self.conn = crm.engine.connect()
        if self.backend == "sqlite":
            self.conn.info["crmlab_begin"] = "BEGIN IMMEDIATE"
        self.trans = self.conn.begin()
        if self.backend == "sqlite":                   # a bigger page cache for the index inserts
            self.conn.exec_driver_sql("PRAGMA cache_size=-65536")
        if self.backend == "postgresql":
            names = ", ".join(t.name for t in m.Base.metadata.sorted_tables)
            self.conn.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
        self.real = Session(bind=self.conn, autoflush=False, expire_on_commit=False)
        self.session = self
        self.objs: dict = {}            # (class, pk) → object
        self.known: dict = {}           # id → object, every object of the store
        self.by_cls: dict = {}          # class → {id: object}
        self.unwritten: dict = {}       # id → object created and not yet INSERTed (in creation order)
        self.seen: dict = {}            # id → object in the database an action reached since the last write
        self.base: dict = {}            # id → its values then (only rows that differ are UPDATEd)
        self.action_snap = None         # id → (object, values) the running action found
        self.deleted: list = []         # objects in the database to DELETE
        self.db_version: dict = {}      # id → version of the row in the database (versioned tables)
        self.created: dict = {}         # class → pks created in this block
        self.next_id: dict = {}         # class → next integer id
        self.index: dict = {}           # (class, attribute) → {value: {id: object}}
        self.indexed: dict = {}         # class → [(attribute, its index)]
        self.queried: set = set()       # database lookups already adopted into memory
        self.absent: set = set()        # (class, pk) not in the database
        self.db_values: dict = {}       # (class, attribute) → its values in the database
        self.logs: list = []            # audit-log rows not yet written
        self.savepoint = None           # taken when an action has to write before it ends
        self.journal = None
        self.action_new = None
        self.action_deleted = None

    # -- the Session interface actions and readers use -------------------------------------------
    def get(self, cls, pk):
        obj = self.objs.get((cls, pk))
        if obj is None and (cls, pk) not in self.absent:
            obj = self.real.get(cls, pk)
            if obj is not None:
                self.real.expunge(obj)
                obj = self._adopt(obj)
            else:
                self.absent.add((cls, pk))          # the database holds no other writer's rows
        if obj is not None and self.action_snap is not None:
            self._reach(obj)
        return obj

    def _reach(self, obj):
        """The running action reached ``obj``: copy its values once (undo, and the UPDATE check)."""
        i = id(obj)
        snap = None
        if i not in self.action_snap:
            snap = dict(obj.__dict__)
            self.action_snap[i] = (obj, snap)
        if i not in self.unwritten and i not in self.seen:
            self.seen[i] = obj
            self.base[i] = snap if snap is not None else dict(obj.__dict__)    # both only read: one copy

    def add(self, obj):
        if id(obj) in self.known:
            return
        i = info(type(obj))
        st = _ACTION.get()
        if st is not None:
            st.created.add(id(obj))
        d = obj.__dict__
        missing = i.default_keys.difference(d)
        if missing:
            for key, make, const in i.defaults:
                if key in missing:
                    d[key] = make() if make is not None else const
        if i.int_pk and d.get(i.pk) is None:
            d[i.pk] = self._next_id(i)       # (the store writes rows from __dict__: no attribute events)
        self._register(obj, i, new=True)
        if self.action_new is not None:
            self.action_new.append(obj)

    def flush(self):
        pass

    def delete(self, obj):
        i = info(type(obj))
        self._unregister(obj, i)
        self.absent.add((i.cls, getattr(obj, i.pk)))
        if id(obj) in self.unwritten:
            del self.unwritten[id(obj)]
        else:
            self.seen.pop(id(obj), None)
            self.deleted.append(obj)
            if self.action_deleted is not None:
                self.action_deleted.append(obj)

    def scalars(self, stmt, params=None):
        self.write_out()
        return _Result([self._canonical(x) for x in self.real.scalars(stmt, params)])

    def scalar(self, stmt, params=None):
        self.write_out()
        return self._canonical(self.real.scalar(stmt, params))

    def execute(self, stmt, params=None):
        self.write_out()
        return self.real.execute(stmt, params)

    def connection(self):
        self.write_out()
        return self.conn

    # -- lookups ------------------------------------------------------------------------------------
    def find(self, model, order, desc, equals: dict) -> list:
        """Objects of ``model`` whose attributes equal ``equals`` (memory, then the database rows
        not in memory — skipped when the parent row was created in this block)."""
        items = list(equals.items())
        k0, v0 = items[0]
        bucket = self._bucket(model, k0).get(v0, {})
        found = {i: o for i, o in bucket.items() if all(o.__dict__.get(k) == v for k, v in items)}
        i = info(model)
        key = (model, tuple(items))
        if key not in self.queried and not self._children_of_new(i, items) and self._maybe_in_db(model, k0, v0):
            self.queried.add(key)
            q = select(model).where(*(getattr(model, k) == v for k, v in items))
            for obj in self.real.scalars(q):
                pk = getattr(obj, i.pk)
                self.real.expunge(obj)
                if (model, pk) in self.objs or any(getattr(d, i.pk) == pk for d in self.deleted
                                                   if type(d) is model):
                    continue                       # memory decides for rows it holds
                obj = self._adopt(obj)
                found[id(obj)] = obj
        out = list(found.values())
        if self.action_snap is not None:
            for o in out:
                self._reach(o)
        if len(out) > 1:
            by = order if order is not None else i.pk
            out.sort(key=lambda o: o.__dict__[by], reverse=desc)
        return out

    def _maybe_in_db(self, model, key, value) -> bool:
        """Whether the database may hold a row with ``key == value`` (one DISTINCT query per
        column and block; the block's own rows are in memory anyway)."""
        vals = self.db_values.get((model, key))
        if vals is None:
            vals = self.db_values[(model, key)] = set(self.conn.execute(
                select(getattr(model, key)).distinct()).scalars())
        return value in vals

    def _children_of_new(self, i: _Info, items) -> bool:
        for k, v in items:
            parent = i.parents.get(k)
            if parent is not None and v in self.created.get(_CLS_BY_TABLE[parent], ()):
                return True
        return False

    def _bucket(self, cls, key) -> dict:
        idx = self.index.get((cls, key))
        if idx is None:
            idx = self.index[(cls, key)] = {}
            self.indexed.setdefault(cls, []).append((key, idx))
            for i, o in self.by_cls.get(cls, {}).items():
                idx.setdefault(o.__dict__.get(key), {})[i] = o
        return idx

    # -- registration -----------------------------------------------------------------------------
    def _next_id(self, i: _Info) -> int:
        n = self.next_id.get(i.cls)
        if n is None:
            n = (self.conn.execute(select(func.max(i.pk_col))).scalar() or 0) + 1
        self.next_id[i.cls] = n + 1
        return n

    def _register(self, obj, i: _Info, new: bool):
        d = obj.__dict__
        pk = d[i.pk] if i.pk in d else getattr(obj, i.pk)
        self.objs[(i.cls, pk)] = obj
        if self.absent:
            self.absent.discard((i.cls, pk))
        oid = id(obj)
        self.known[oid] = obj
        self.by_cls.setdefault(i.cls, {})[oid] = obj
        for key, idx in self.indexed.get(i.cls, ()):
            idx.setdefault(d.get(key), {})[oid] = obj
        if new:
            self.unwritten[oid] = obj
            self.created.setdefault(i.cls, set()).add(pk)
        elif i.versioned:
            self.db_version[id(obj)] = obj.version

    def _unregister(self, obj, i: _Info):
        self.objs.pop((i.cls, getattr(obj, i.pk)), None)
        self.known.pop(id(obj), None)
        self.by_cls.get(i.cls, {}).pop(id(obj), None)
        d = obj.__dict__
        for key, idx in self.indexed.get(i.cls, ()):
            idx.get(d.get(key), {}).pop(id(obj), None)

    def _adopt(self, obj):
        i = info(type(obj))
        mine = self.objs.get((i.cls, getattr(obj, i.pk)))
        if mine is not None:
            return mine
        self._register(obj, i, new=False)
        return obj

    def _canonical(self, x):
        if x is not None and hasattr(x, "__mapper__"):
            try:
                self.real.expunge(x)
            except Exception:                      # noqa: BLE001 - not in the session
                pass
            x = self._adopt(x)
            if self.action_snap is not None:
                self._reach(x)
        return x

    def _reindex(self, obj, old: dict):
        """Move ``obj`` to the right index buckets after its values changed from ``old``."""
        for key, idx in self.indexed.get(type(obj), ()):
            was, now = old.get(key), obj.__dict__.get(key)
            if was is not now and was != now:
                idx.get(was, {}).pop(id(obj), None)
                idx.setdefault(now, {})[id(obj)] = obj

    # -- writing ----------------------------------------------------------------------------------
    def write_out(self):
        """INSERT the new rows, UPDATE the changed ones, DELETE the deleted ones, write the audit log."""
        if not (self.unwritten or self.seen or self.deleted or self.logs):
            return
        if self.action_snap is not None:
            self.validate_action()        # the declared column types, before any row reaches the database
        if self.action_snap is not None and self.savepoint is None:
            self.savepoint = self.conn.begin_nested()
            self.journal = {"unwritten": [], "seen": {}, "deleted": [], "logs": [], "db_version": {}}
        j = self.journal
        if j is not None:
            j["unwritten"] += self.unwritten.values()
            for i, o in self.seen.items():
                j["seen"].setdefault(i, (o, self.base[i]))
            j["deleted"] += self.deleted
            j["logs"] += self.logs
            for i in self.seen:
                j["db_version"].setdefault(i, self.db_version.get(i))
        for obj in self.deleted:
            i = info(type(obj))
            self.conn.execute(delete(i.table).where(i.pk_col == getattr(obj, i.pk)))
        groups: dict = {}
        for obj in self.unwritten.values():
            groups.setdefault(type(obj), []).append(obj)
        for table in m.Base.metadata.sorted_tables:
            objs = groups.get(_CLS_BY_TABLE.get(table))
            if objs:
                i = info(type(objs[0]))
                rows = [o.__dict__ for o in objs] if i.same_names else [i.row(o) for o in objs]
                i.raw(self.conn.dialect, "insert").run(self.conn, rows)
                if i.versioned:
                    for o in objs:
                        self.db_version[id(o)] = o.version
        groups = {}
        for i, obj in self.seen.items():
            if i in self.known:
                base = self.base[i]
                keys = _keys(type(obj))
                d = obj.__dict__
                if any(d.get(k) != base.get(k) for k in keys):
                    groups.setdefault(type(obj), []).append(obj)
        for cls, objs in groups.items():
            i = info(cls)
            params = []
            for o in objs:
                p = {f"v_{k}": v for k, v in i.row(o).items()}
                p["b_pk"] = getattr(o, i.pk)
                if i.versioned:
                    p["b_version"] = self.db_version.get(id(o), o.version)
                params.append(p)
            res = i.raw(self.conn.dialect, "update").run(self.conn, params)
            if i.versioned and res.rowcount != len(params) and self.conn.dialect.supports_sane_multi_rowcount:
                raise StaleRecord(getattr(objs[0], i.pk), None, "newer", None, None)
            if i.versioned:
                for o in objs:
                    self.db_version[id(o)] = o.version
        if self.logs:
            _log_insert(self.conn.dialect).run(self.conn, self.logs)
        self.unwritten, self.seen, self.base, self.deleted, self.logs = {}, {}, {}, [], []
        if self.action_snap is not None:       # later changes of the running action: UPDATEs
            for i, (o, _) in self.action_snap.items():
                if i in self.known:
                    self.seen[i] = o
                    self.base[i] = dict(o.__dict__)
            for o in self.action_new:
                if id(o) in self.known:
                    self.seen[id(o)] = o
                    self.base[id(o)] = dict(o.__dict__)

    # -- actions ----------------------------------------------------------------------------------
    def run(self, user, fn, expect):
        st = _ActionState(store=self)
        token = _ACTION.set(st)
        self.action_new, self.action_deleted, self.action_snap = [], [], {}
        ids = dict(self.next_id)
        c = _BulkCtx(self.crm, self, user)
        try:
            if expect is not None:
                c.expect_version(*expect)
            result = fn(c)
            c.check_pending()
            self.validate_action()
            if self.indexed:
                for obj, old in self.action_snap.values():
                    if type(obj) in self.indexed:
                        self._reindex(obj, old)
        except BaseException:
            self._undo(ids)
            raise
        finally:
            _ACTION.reset(token)
            self.action_new = self.action_deleted = self.action_snap = None
        logs = c.finished_logs()
        if logs:
            log = info(m.AuditLog)
            for r in logs:
                r["id"] = self._next_id(log)   # ids handed out here: a rolled-back write leaves no gap
            self.logs.extend(logs)
        if self.savepoint is not None:
            self.savepoint.commit()
            self.savepoint = self.journal = None
        return result

    def validate_action(self):
        """Check the rows the running action created or changed against their declared columns
        (:func:`crmlab.system.fields.check_row`), as the session's flush does outside a bulk block."""
        for obj in self.action_new:
            check_row(obj)
        for obj, old in self.action_snap.values():
            d = obj.__dict__
            changed = [k for k in _keys(type(obj)) if d.get(k) != old.get(k)]
            if changed:
                check_row(obj, changed)

    def _undo(self, ids: dict):
        new = {id(o) for o in self.action_new}
        for i, (obj, old) in self.action_snap.items():
            if i in new:
                continue
            now = dict(obj.__dict__)
            d = obj.__dict__
            for k in _keys(type(obj)):
                if k in old:
                    d[k] = old[k]
            if self.index:
                self._reindex(obj, now)
        for obj in self.action_new:
            i = info(type(obj))
            self._unregister(obj, i)
            self.unwritten.pop(id(obj), None)
            self.seen.pop(id(obj), None)
            self.created.get(i.cls, set()).discard(getattr(obj, i.pk))
        for obj in self.action_deleted:
            if obj in self.deleted:
                self.deleted.remove(obj)
            self._register(obj, info(type(obj)), new=False)
        self.next_id = ids
        if self.savepoint is not None:
            self.savepoint.rollback()
            j = self.journal
            self.savepoint = self.journal = None
            self.unwritten = {id(o): o for o in j["unwritten"] if id(o) not in new and id(o) in self.known}
            self.seen = {i: o for i, (o, _) in j["seen"].items() if i in self.known}
            self.base = {i: b for i, (_, b) in j["seen"].items() if i in self.known}
            self.deleted = [*j["deleted"], *self.deleted]
            self.logs = [*j["logs"], *self.logs]
            for i, v in j["db_version"].items():
                if v is None:
                    self.db_version.pop(i, None)
                else:
                    self.db_version[i] = v
            for o in j["unwritten"]:
                self.db_version.pop(id(o), None)

    # -- the end of the block ---------------------------------------------------------------------
    def finish(self):
        self.write_out()
        if self.backend == "postgresql":
            for cls in {*self.created, *self.next_id}:
                i = info(cls)
                if i.int_pk:
                    t = i.table.name
                    self.conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', '{i.pk_col.name}'), "
                                           f"(SELECT MAX({i.pk_col.name}) FROM {t}))"))
        self.real.close()
        self.trans.commit()
        self.conn.close()
        self.release()

    def abort(self):
        try:
            self.real.close()
            self.trans.rollback()
        finally:
            self.conn.close()
            self.release()

    def release(self):
        """Drop the block's objects now (reference counting frees them): the cyclic garbage
        collector, off during the block, then has no million objects to walk when it is back on."""
        self.session = None
        for name in ("objs", "known", "by_cls", "unwritten", "seen", "base", "db_version", "created", "index",
                     "indexed", "db_values"):
            getattr(self, name).clear()
        self.deleted, self.logs, self.journal, self.action_snap = [], [], None, None
