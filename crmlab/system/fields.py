"""Field types and limits: the one validation layer of :mod:`crmlab.system`.

Two halves, both declared once:

* **inputs** — what an action accepts for a date, a date/time, an amount, a count or a version
  (:func:`date_value`, :func:`datetime_value`, :func:`number`, :func:`integer`, :func:`version`):
  strict parsers that refuse NaN, infinities, amounts beyond :data:`MAX_AMOUNT`, numbers given as
  dates (``12345`` is not a day) and words that would read the wall clock (``"now"``, ``"today"``);
* **rows** — every row an action writes is checked against its table's declared columns
  (:func:`check_row`: text length of ``String(n)``, no NUL character, finite numbers, a date in a
  date column, JSON made only of text, finite numbers, booleans, lists and objects) before it
  reaches the database. The engine calls it for every new or changed row of an action (at the
  session's flush), so no raw database error ever reaches the user.

A refused value raises :class:`~crmlab.system.InvalidValue` (English and Chinese) and, being
raised inside the action's transaction, changes nothing.

>>> from crmlab.system import fields
>>> fields.date_value("2024-06-30"), fields.number("12.5", "price", "单价")
(datetime.date(2024, 6, 30), 12.5)
>>> for bad in ("now", 12345, float("nan")):
...     try:
...         fields.date_value(bad)
...     except fields.InvalidValue as err:
...         print(err.code)
BAD_DATE
BAD_DATE
BAD_DATE
"""
from __future__ import annotations

import datetime as dt
import math
import numbers
import re

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text

from .errors import InvalidValue

__all__ = ["InvalidValue", "MAX_AMOUNT", "MAX_TEXT", "MAX_JSON", "date_value", "datetime_value", "number",
           "integer", "version", "text", "key", "items", "mapping", "check_row", "check_json"]

#: The largest amount, quantity or price an action accepts (a trillion; Σ lines stays finite).
MAX_AMOUNT = 1e12
#: The longest text of an unbounded (``Text``) column or of a text inside a JSON field.
MAX_TEXT = 10_000
#: The largest JSON field (characters once serialised).
MAX_JSON = 100_000

_DATE_TEXT = re.compile(r"^\s*\d{4}[-/.年]\s*\d{1,2}")     # a date written with its year first


def _bad(code, en, zh):
    return InvalidValue(code, en, zh)


def _timestamp(value, what, zh, code, kind_en, kind_zh):
    import pandas as pd
    if isinstance(value, bool) or isinstance(value, numbers.Number):
        raise _bad(code, f"{what}: {value!r} is not a {kind_en} (write it like 2024-06-30)",
                   f"{zh}：{value!r} 不是有效的{kind_zh}（请写成 2024-06-30 这样的格式）")
    if isinstance(value, str) and not _DATE_TEXT.match(value):
        raise _bad(code, f"{what}: {value!r} is not a {kind_en} (write it like 2024-06-30; "
                   "crmlab never reads the wall clock)",
                   f"{zh}：{value!r} 不是有效的{kind_zh}（请写成 2024-06-30 这样的格式；crmlab 不读取系统时钟）")
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        t = None
    if t is None or t is pd.NaT or not 1900 <= t.year <= 2200:
        raise _bad(code, f"{what}: {value!r} is not a {kind_en}", f"{zh}：{value!r} 不是有效的{kind_zh}")
    return t


def date_value(value, what: str = "date", zh: str = "日期") -> dt.date | None:
    """A day: a ``date``, a ``datetime``/``Timestamp`` or text such as ``"2024-06-30"``; ``None``
    or ``""`` → ``None``. Numbers, NaN and words such as ``"now"`` are refused (``BAD_DATE``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _timestamp(value, what, zh, "BAD_DATE", "date", "日期").date()


def datetime_value(value, what: str = "time", zh: str = "时间") -> dt.datetime:
    """A date/time (like :func:`date_value`, ``None`` refused too: ``BAD_TIME``)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    t = _timestamp(value, what, zh, "BAD_TIME", "date/time", "日期时间")
    return t.tz_localize(None).to_pydatetime() if t.tzinfo is not None else t.to_pydatetime()


def number(value, what: str, zh: str | None = None, *, minimum: float = 0.0, maximum: float = MAX_AMOUNT) -> float:
    """A finite number in ``[minimum, maximum]`` (text such as ``"12.5"`` is read); anything else
    (``None``, NaN, ``inf``, ``"abc"``, ``1e200``) raises ``BAD_NUMBER``."""
    zh = zh or what
    x = None
    if not isinstance(value, bool):
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            x = None
    if x is None or not math.isfinite(x):
        raise _bad("BAD_NUMBER", f"{what} must be a number, got {value!r}", f"{zh}必须是数字，得到 {value!r}")
    if not minimum <= x <= maximum:
        raise _bad("BAD_NUMBER", f"{what} must lie between {minimum:g} and {maximum:g}, got {value!r}",
                   f"{zh}必须在 {minimum:g} 与 {maximum:g} 之间，得到 {value!r}")
    return x


def integer(value, what: str, zh: str | None = None, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    """A whole number (``3``, ``3.0``, ``"3"``) within the bounds, else ``BAD_INTEGER``."""
    zh = zh or what
    x = None
    if not isinstance(value, bool):
        if isinstance(value, numbers.Integral):
            x = int(value)
        else:
            try:
                f = float(value)
            except (TypeError, ValueError, OverflowError):
                f = None
            if f is not None and math.isfinite(f) and f == int(f):
                x = int(f)
    if x is None:
        raise _bad("BAD_INTEGER", f"{what} must be a whole number, got {value!r}", f"{zh}必须是整数，得到 {value!r}")
    if (minimum is not None and x < minimum) or (maximum is not None and x > maximum):
        raise _bad("BAD_INTEGER", f"{what} must lie between {minimum} and {maximum}, got {value!r}",
                   f"{zh}必须在 {minimum} 与 {maximum} 之间，得到 {value!r}")
    return x


def version(value) -> int:
    """An ``expected_version``: a whole number ≥ 0 (``BAD_VERSION`` otherwise; versions start at 1,
    so 0 is merely stale)."""
    try:
        return integer(value, "expected_version", "版本号", minimum=0, maximum=2**31 - 1)
    except InvalidValue:
        raise _bad("BAD_VERSION", f"expected_version must be a version number (1, 2, …), got {value!r:.40}",
                   f"版本号必须是整数（1、2 …），得到 {value!r:.40}") from None


def text(value, what: str, zh: str, limit: int | None = MAX_TEXT) -> str:
    """Text without NUL characters, at most ``limit`` characters."""
    if not isinstance(value, str):
        raise _bad("BAD_TEXT", f"{what} must be text, got {type(value).__name__} {value!r:.40}",
                   f"{zh}必须是文本，得到 {type(value).__name__}")
    if "\x00" in value:
        raise _bad("BAD_TEXT", f"{what} contains a NUL character (\\x00)", f"{zh}含有非法的空字符（\\x00）")
    if limit is not None and len(value) > limit:
        raise _bad("TOO_LONG", f"{what} is longer than {limit} characters ({len(value)})",
                   f"{zh}超过 {limit} 个字符（{len(value)} 个）")
    return value


def items(value, what: str, zh: str, *, one=(str,)) -> list:
    """A list of entries (a list or tuple; a single entry of the ``one`` types becomes a list of
    one), else ``BAD_LIST``."""
    if isinstance(value, one):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise _bad("BAD_LIST", f"{what} must be a list, got {type(value).__name__}",
                   f"{zh}必须是列表，得到 {type(value).__name__}")
    return list(value)


def mapping(value, what: str, zh: str) -> dict:
    """A dict (``None`` → ``{}``), else ``BAD_MAPPING``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad("BAD_MAPPING", f"{what} must be a mapping {{name: value}}, got {type(value).__name__}",
                   f"{zh}必须是字典（名称: 值），得到 {type(value).__name__}")
    return value


def key(value) -> str:
    """A number, code, login or name looked up in the database: text (numbers are written as
    text), without NUL, at most 200 characters (``BAD_KEY``)."""
    k = value if isinstance(value, str) else str(value)
    if "\x00" in k or len(k) > 200:
        raise _bad("BAD_KEY", f"{k[:40]!r}… is not a number, code or name", f"{k[:40]!r}… 不是有效的编号、代码或名称")
    return k


def check_json(value, what: str, zh: str, _depth: int = 0, _budget: list | None = None):
    """Raise ``BAD_JSON`` unless ``value`` is plain JSON: text (no NUL), finite numbers, booleans,
    ``None``, lists and objects with text keys, at most 20 levels deep and :data:`MAX_JSON`
    characters."""
    budget = _budget if _budget is not None else [MAX_JSON]
    if _depth > 20:
        raise _bad("BAD_JSON", f"{what} is nested too deeply", f"{zh}嵌套层数过多")
    if value is None or isinstance(value, bool):
        budget[0] -= 5
    elif isinstance(value, str):
        text(value, what, zh, MAX_TEXT)
        budget[0] -= len(value) + 2
    elif isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        if not math.isfinite(float(value)):
            raise _bad("BAD_JSON", f"{what} contains {value!r}: only finite numbers can be stored",
                       f"{zh}含有 {value!r}：只能保存有限的数字")
        budget[0] -= 24
    elif isinstance(value, numbers.Integral):
        if abs(int(value)) > 2**53:
            raise _bad("BAD_JSON", f"{what} contains the number {value!r}, too large", f"{zh}含有过大的数字 {value!r}")
        budget[0] -= 20
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_json(v, what, zh, _depth + 1, budget)
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise _bad("BAD_JSON", f"{what}: key {k!r} is not text", f"{zh}：键 {k!r} 不是文本")
            check_json(k, what, zh, _depth + 1, budget)
            check_json(v, what, zh, _depth + 1, budget)
    else:
        raise _bad("BAD_JSON", f"{what} contains a {type(value).__name__} ({value!r:.40}): store text, numbers, "
                   "true/false, lists or objects", f"{zh}含有无法保存的 {type(value).__name__} 类型的值")
    if budget[0] < 0:
        raise _bad("TOO_LONG", f"{what} is larger than {MAX_JSON} characters", f"{zh}超过 {MAX_JSON} 个字符")


def _check_value(col, v, what: str):
    t = col.type
    if isinstance(t, JSON):
        check_json(v, what, what)
    elif isinstance(t, String):                         # String(n) and Text
        text(v, what, what, getattr(t, "length", None) or (MAX_JSON if isinstance(t, Text) else MAX_TEXT))
    elif isinstance(t, Boolean):
        if not isinstance(v, bool):
            raise _bad("BAD_VALUE", f"{what} must be true or false, got {v!r:.40}", f"{what} 必须是 是/否，得到 {v!r:.40}")
    elif isinstance(t, Float):
        number(v, what, what, minimum=-MAX_AMOUNT * 1e3, maximum=MAX_AMOUNT * 1e3)
    elif isinstance(t, Integer):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or abs(int(v)) > 2**31 - 1:
            raise _bad("BAD_INTEGER", f"{what} must be a whole number, got {v!r:.40}", f"{what} 必须是整数，得到 {v!r:.40}")
    elif isinstance(t, DateTime):
        if not isinstance(v, dt.datetime):
            raise _bad("BAD_TIME", f"{what} must be a date/time, got {v!r:.40}", f"{what} 必须是日期时间，得到 {v!r:.40}")
    elif isinstance(t, Date):
        if not isinstance(v, dt.date) or isinstance(v, dt.datetime):
            raise _bad("BAD_DATE", f"{what} must be a date, got {v!r:.40}", f"{what} 必须是日期，得到 {v!r:.40}")


def check_row(obj, keys=None) -> None:
    """Check the values of a mapped object against its table's declared column types and limits
    (all columns, or only ``keys``); raise :class:`InvalidValue` naming ``table.column``."""
    plan = _PLANS.get(type(obj))
    if plan is None:
        name = obj.__table__.name
        plan = _PLANS[type(obj)] = tuple((a.key, a.columns[0], f"{name}.{a.key}")
                                         for a in type(obj).__mapper__.column_attrs)
    values = obj.__dict__
    for k, col, what in plan:
        if keys is not None and k not in keys:
            continue
        v = values.get(k)
        if v is None:
            continue
        t = type(v)
        if (t is str and col.type.__class__ in _PLAIN_TEXT and len(v) <= (col.type.length or MAX_TEXT)
                and "\x00" not in v) or (t is int and col.type.__class__ is Integer and abs(v) <= 2**31 - 1):
            continue                                    # the common case, without the general checks
        _check_value(col, v, what)


_PLANS: dict = {}
_PLAIN_TEXT = (String,)
