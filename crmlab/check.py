"""Assertion helpers for graded test cells (自测断言).

Every helper raises :class:`CheckFailed` (a subclass of ``AssertionError``) with a short
bilingual message: what was checked, what was expected, what was found, and an optional hint.
They never print and never emit warnings, because nbgrader scores a test cell 0 as soon as the
cell writes anything to stderr.

Example
-------
>>> from crmlab import check
>>> check.number(0.5, 0.5, "share of revenue 收入占比")
>>> try:
...     check.number(0.4, 0.5, "share of revenue 收入占比", hint="Sort from largest to smallest.")
... except AssertionError as err:
...     print(err)
✗ share of revenue 收入占比: expected 0.5, got 0.4.
  Hint 提示: Sort from largest to smallest.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "CheckFailed", "fail", "true", "equal", "number", "one_of", "set_equal", "is_frame",
    "has_columns", "frame_equal", "series_equal",
]


class CheckFailed(AssertionError):
    """A graded check did not pass. The message says what was expected and gives a hint."""


def fail(name: str, expected, got, hint: str | None = None):
    """Raise :class:`CheckFailed` with the standard bilingual message."""
    message = f"✗ {name}: expected {_short(expected)}, got {_short(got)}."
    if hint:
        message += f"\n  Hint 提示: {hint}"
    raise CheckFailed(message)


def true(condition, name: str, hint: str | None = None) -> None:
    """Check that ``condition`` is truthy.

    >>> true(1 + 1 == 2, "arithmetic 算术")
    """
    if not bool(condition):
        fail(name, "True", condition, hint)


def equal(actual, expected, name: str, hint: str | None = None) -> None:
    """Check exact equality of two plain values (str, int, tuple, …).

    >>> equal("黄金客户", "黄金客户", "matrix cell 矩阵格")
    """
    if actual is None and expected is not None:
        fail(name, expected, None, hint or _NONE_HINT)
    if type(actual) is not type(expected) and not _both_numbers(actual, expected):
        fail(name, f"{expected!r} ({type(expected).__name__})",
             f"{actual!r} ({type(actual).__name__})", hint)
    if actual != expected:
        fail(name, repr(expected), repr(actual), hint)


def number(actual, expected: float, name: str, *, rel: float = 1e-6, abs: float = 1e-9,
           hint: str | None = None) -> None:
    """Check that ``actual`` is a number within a relative or absolute tolerance of ``expected``.

    >>> number(0.333333, 1 / 3, "one third 三分之一", rel=1e-3)
    """
    if actual is None:
        fail(name, expected, None, hint or _NONE_HINT)
    if isinstance(actual, (bool, np.bool_)) or not _is_number(actual):
        fail(name, f"a number near {expected!r}", f"{actual!r} ({type(actual).__name__})", hint)
    value = float(actual)
    if math.isnan(value) or not math.isclose(value, float(expected), rel_tol=rel, abs_tol=abs):
        fail(name, _fmt(expected), _fmt(value), hint)


def one_of(actual, allowed: Iterable, name: str, hint: str | None = None) -> None:
    """Check that ``actual`` is one of the allowed values.

    >>> one_of("20/80", ["5/80", "20/80"], "which claim 哪种说法")
    """
    allowed = list(allowed)
    if actual not in allowed:
        fail(name, f"one of {allowed!r}", repr(actual), hint)


def set_equal(actual, expected: Iterable, name: str, hint: str | None = None) -> None:
    """Check that ``actual`` holds exactly the members of ``expected`` (order ignored).

    The message names how many members are missing or extra, never which ones, so a visible
    test does not give the answer away.

    >>> set_equal({"b", "a"}, ["a", "b"], "customers 客户")
    """
    if actual is None:
        fail(name, "a set", None, hint or _NONE_HINT)
    if isinstance(actual, (str, bytes)) or not isinstance(actual, Iterable):
        fail(name, "a set (or list) of members", f"{type(actual).__name__}", hint)
    actual, expected = set(actual), set(expected)
    if actual != expected:
        missing, extra = len(expected - actual), len(actual - expected)
        fail(name, f"{len(expected)} members", f"{len(actual)} members "
             f"({missing} missing 缺少, {extra} not expected 多余)", hint)


def is_frame(actual, name: str, hint: str | None = None) -> pd.DataFrame:
    """Check that ``actual`` is a pandas DataFrame and return it.

    >>> is_frame(pd.DataFrame({"a": [1]}), "table 表").shape
    (1, 1)
    """
    if not isinstance(actual, pd.DataFrame):
        fail(name, "a pandas DataFrame", _describe(actual), hint or (_NONE_HINT if actual is None else None))
    return actual


def has_columns(frame, columns: Iterable[str], name: str, hint: str | None = None) -> None:
    """Check that a DataFrame has (at least) the given columns.

    >>> has_columns(pd.DataFrame({"a": [1], "b": [2]}), ["a"], "table 表")
    """
    frame = is_frame(frame, name, hint)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        fail(name, f"columns {list(columns)!r}", f"columns {list(frame.columns)!r}", hint)


def frame_equal(actual, expected: pd.DataFrame, name: str, *, rtol: float = 1e-6,
                check_dtype: bool = False, ignore_order: bool = False,
                hint: str | None = None) -> None:
    """Check that a DataFrame matches the expected one (index, columns and values).

    ``ignore_order=True`` sorts both frames by their index first.

    >>> df = pd.DataFrame({"n": [2, 1]}, index=["a", "b"])
    >>> frame_equal(df.copy(), df, "segment sizes 细分规模")
    """
    actual = is_frame(actual, name, hint)
    if ignore_order:
        actual, expected = actual.sort_index(), expected.sort_index()
    if list(actual.columns) != list(expected.columns):
        fail(name, f"columns {list(expected.columns)!r}", f"columns {list(actual.columns)!r}", hint)
    if len(actual) != len(expected):
        fail(name, f"{len(expected)} rows", f"{len(actual)} rows", hint)
    if list(actual.index) != list(expected.index):
        fail(name, f"index {_short(list(expected.index))}", f"index {_short(list(actual.index))}", hint)
    for column in expected.columns:
        _values_match(actual[column], expected[column], f"{name} [{column}]", rtol, hint)
    if check_dtype:
        for column in expected.columns:
            if actual[column].dtype != expected[column].dtype:
                fail(f"{name} [{column}]", f"dtype {expected[column].dtype}",
                     f"dtype {actual[column].dtype}", hint)


def series_equal(actual, expected: pd.Series, name: str, *, rtol: float = 1e-6,
                 ignore_order: bool = False, hint: str | None = None) -> None:
    """Check that a Series matches the expected one (index and values).

    >>> s = pd.Series([1, 2], index=["x", "y"])
    >>> series_equal(s.copy(), s, "counts 计数")
    """
    if not isinstance(actual, pd.Series):
        fail(name, "a pandas Series", _describe(actual), hint or (_NONE_HINT if actual is None else None))
    if ignore_order:
        actual, expected = actual.sort_index(), expected.sort_index()
    if len(actual) != len(expected):
        fail(name, f"{len(expected)} values", f"{len(actual)} values", hint)
    if list(actual.index) != list(expected.index):
        fail(name, f"index {_short(list(expected.index))}", f"index {_short(list(actual.index))}", hint)
    _values_match(actual, expected, name, rtol, hint)


# --------------------------------------------------------------------------- internals
_NONE_HINT = "Your answer is still None: did you run the cell above after writing it? 答案仍为 None，请先运行上面的单元格。"


def _values_match(actual: pd.Series, expected: pd.Series, name: str, rtol: float, hint):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, e = actual.to_numpy(), expected.to_numpy()
        if pd.api.types.is_numeric_dtype(expected.dtype) and not pd.api.types.is_bool_dtype(expected.dtype):
            try:
                a = a.astype(float)
            except (TypeError, ValueError):
                fail(name, "numbers", f"{actual.dtype} values", hint)
            e = e.astype(float)
            bad = ~(np.isclose(a, e, rtol=rtol, atol=1e-9) | (np.isnan(a) & np.isnan(e)))
        else:
            bad = np.array([not _same(x, y) for x, y in zip(a, e)], dtype=bool)
    if bad.any():
        i = int(np.argmax(bad))
        fail(name, f"{_short(e[i])} at {actual.index[i]!r}",
             f"{_short(a[i])} ({int(bad.sum())} of {len(bad)} values differ)", hint)


def _same(x, y) -> bool:
    if pd.isna(x) and pd.isna(y):
        return True
    return bool(x == y)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating))


def _both_numbers(x, y) -> bool:
    return _is_number(x) and _is_number(y) and not isinstance(x, bool) and not isinstance(y, bool)


def _fmt(x) -> str:
    return f"{float(x):.6g}"


def _describe(x) -> str:
    if x is None:
        return "None"
    return f"a {type(x).__name__}"


def _short(x, limit: int = 80) -> str:
    text = str(x)
    return text if len(text) <= limit else text[: limit - 1] + "…"
