"""What the engine and the desk actions share below them: rows, the running action, inputs.

The lower layer of :mod:`crmlab.system.engine` (the CRM and its transactions) and
:mod:`crmlab.system._actions` (the desk's actions): both import from here; the actions never
import the engine, and the engine assembles the desk class from the action mixins. So the layers
are ``_rows`` → ``_actions`` → ``engine``, without a cycle.

* **rows** — :func:`_snap` / :func:`_raw` (the column values of an ORM object, the before/after of
  the audit log) and :func:`_new` (a new ORM object without per-attribute events);
* **the running action** — :data:`_ACTION` holds an :class:`_ActionState` while an action runs;
  :func:`_bump` raises a document's or customer's ``version`` once per action (optimistic locking);
* **inputs** — :func:`_number`, :func:`_date`, :func:`_ts`, :func:`_need`, :func:`_card_code`:
  strict parsing (:mod:`crmlab.system.fields`) with bilingual errors.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import operator

from sqlalchemy import Date, DateTime

from crmlab import glossary

from . import fields
from . import models as m
from .errors import GuardFailed


# --------------------------------------------------------------------------------------------
# Rows: column values and fast construction of ORM objects
# --------------------------------------------------------------------------------------------
_KEYS: dict[type, tuple] = {}


def _layout(cls) -> tuple:
    """(column attribute keys, their itemgetter, the date/time keys) of a mapped class."""
    lay = _KEYS.get(cls)
    if lay is None:
        attrs = cls.__mapper__.column_attrs
        keys = tuple(a.key for a in attrs)
        dates = tuple(a.key for a in attrs if isinstance(a.columns[0].type, (DateTime, Date)))
        lay = _KEYS[cls] = (keys, operator.itemgetter(*keys), dates)
    return lay


def _snap(obj) -> dict:
    """The column values of ``obj`` (dates as ISO strings): the before/after of the audit log."""
    keys, get, dates = _layout(type(obj))
    try:
        out = dict(zip(keys, get(obj.__dict__)))
    except KeyError:                                # expired or never set: let SQLAlchemy load it
        out = {k: getattr(obj, k) for k in keys}
    for k in dates:
        v = out[k]
        if v is not None:
            out[k] = v.isoformat()
    return out


def _raw(obj) -> tuple:
    """The column values of ``obj`` as a tuple (the "before" of :meth:`_Ctx.log`; compared and
    turned into the audit log's dict only for the columns that changed)."""
    keys, get, _ = _layout(type(obj))
    try:
        return get(obj.__dict__)
    except KeyError:                                # expired or never set: let SQLAlchemy load it
        return tuple(getattr(obj, k) for k in keys)


def _iso(v):
    return v.isoformat() if v is not None and isinstance(v, (dt.datetime, dt.date)) else v


def _new(cls, **values):
    """A new ORM object with ``values`` (what ``cls(**values)`` makes, without the per-attribute
    events of the declarative constructor; ten times faster for the many rows an action writes)."""
    obj = cls._sa_class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


# --------------------------------------------------------------------------------------------
# The running action: which objects it created, which versions it bumped (optimistic locking)
# --------------------------------------------------------------------------------------------
class _ActionState:
    """Book-keeping of the action being run (one per action, in a context variable).

    ``created``: ids of the objects the action created; ``bumped``: ids of the versioned objects
    whose ``version`` it already raised.
    """
    __slots__ = ("created", "bumped")

    def __init__(self):
        self.created: set[int] = set()
        self.bumped: set[int] = set()


_ACTION: contextvars.ContextVar[_ActionState | None] = contextvars.ContextVar("crmlab_system_action", default=None)
_VERSIONED = (m.Document, m.Customer)


def _is_new(st: _ActionState, target) -> bool:
    """Whether ``target`` was created by the running action (its version stays 1)."""
    return id(target) in st.created or target._sa_instance_state.key is None


def _bump(target) -> bool:
    """Raise the version of a document or customer once in the running action (one action = one
    version step); True when it did."""
    st = _ACTION.get()
    if st is None or id(target) in st.bumped or _is_new(st, target):
        return False
    st.bumped.add(id(target))
    target.version = (target.version or 0) + 1
    return True


# --------------------------------------------------------------------------------------------
# Inputs: strict parsing with bilingual errors
# --------------------------------------------------------------------------------------------
def _number(value, what: str, zh: str | None = None) -> float:
    """An amount, quantity or price: a finite number in [0, MAX_AMOUNT] (:func:`fields.number`)."""
    return fields.number(value, what, zh)


def _date(value, what: str = "date", zh: str = "日期") -> dt.date | None:
    """A day or None (:func:`fields.date_value`: numbers, NaN and "now" are refused)."""
    return fields.date_value(value, what, zh)


def _ts(value, what: str = "time", zh: str = "时间") -> dt.datetime:
    """A date/time (:func:`fields.datetime_value`)."""
    return fields.datetime_value(value, what, zh)


def _need(value, en: str, zh: str, code: str = "REQUIRED"):
    """A required text (stripped): None or blank raises :class:`GuardFailed` ``code``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise GuardFailed(code, f"{en} is required", f"{zh}不能为空")
    return fields.text(value if not isinstance(value, str) else value.strip(), en, zh, None)


_CARD = {code: entry[0] for code, entry in glossary.CARD_TYPE.items()}   # the one table: glossary.CARD_TYPE
_CARD_ALIASES = glossary.CARD_TYPE.aliases()


def _card_code(label) -> str:
    """The customer card type code (``prospect`` / ``current`` / ``former``) of a label or alias."""
    code = _CARD_ALIASES.get(str(label).strip())
    if code is None:
        raise GuardFailed("UNKNOWN_CARD", f"unknown card type {label!r}; use {list(_CARD)}", f"未知的客户卡类型 {label!r}")
    return code
