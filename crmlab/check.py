"""Assertion helpers for graded test cells (自测断言).

Every helper raises :class:`CheckFailed` (a subclass of ``AssertionError``) with a short message,
Chinese first with an English gloss: what was checked, what was expected, what was found, and a
hint. In a notebook the message is shown alone, without a traceback, and a test cell whose checks
all pass prints one ✓ line. In a hidden-test cell the expected value is never shown.

The helpers never emit warnings and never write to stderr, because nbgrader scores a test cell 0
as soon as the cell writes anything there.

Example
-------
>>> from crmlab import check
>>> check.number(0.5, 0.5, "收入占比 share of revenue")
>>> try:
...     check.number(0.4, 0.5, "收入占比 share of revenue", hint="先从大到小排序 (sort from largest first)。")
... except AssertionError as err:
...     print(err)
✗ 收入占比 share of revenue
  应为 expected: 0.5
  实际 got:      0.4
  提示 hint: 先从大到小排序 (sort from largest first)。
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import shortcuts
from ._checkbase import _STATE, CheckFailed, _count, _ran, fail, unanswered

__all__ = [
    "CheckFailed", "fail", "true", "equal", "number", "one_of", "set_equal", "is_frame",
    "has_columns", "frame_equal", "series_equal", "answered", "own_work", "reference", "ready",
]


class NotReady(RuntimeError):
    """A cell needs the result of an exercise that is not finished yet (请先完成练习)."""

    def _render_traceback_(self):
        return str(self).splitlines()


def answered(actual, name: str) -> None:
    """Fail with "not answered yet" when ``actual`` is still a placeholder (None, ..., empty).

    Returns nothing: nbgrader would read a number left as a test cell's last value as partial credit.

    >>> answered([1], "list 列表")
    """
    _ran()
    if _placeholder(actual):
        unanswered(name, actual)


def own_work(*concepts: str, this_cell: bool = False) -> None:
    """Fail when an answer used the crmlab function that computes what this exercise asks.

    ``concepts`` are the codes given to :func:`crmlab.shortcuts.computes`. The message names the
    concept to compute, never the function. Call it *after* the test has called the student's
    functions (a shortcut inside a function runs only when the function is called), e.g. as the
    last line of the visible test and again in the hidden test.

    ``this_cell=True`` counts only the calls made while this test cell ran — for an answer that is a
    function the test calls, where earlier cells rightly used the same crmlab code (e.g. the CRM
    engine, which pushes stages with the function an exercise asks the student to write).
    """
    _ran()
    if shortcuts.tampered():
        raise CheckFailed("✗ 本题的计算记录被清除或替换，请人工复核 (review by hand)\n"
                          "  (The record of which crmlab functions ran was cleared or replaced.)")
    used = sorted(set(concepts) & shortcuts.called(this_cell=this_cell))
    if used:
        names = "、".join(shortcuts.label(c) for c in used)
        raise CheckFailed(
            f"✗ 本题要你自己计算：{names}\n"
            "  你的答案调用了 crmlab 里直接算出这一结果的函数，本题不得分。请用 pandas 按课文的方法自己写出来。\n"
            "  (Your answer called the crmlab function that computes this result; do it yourself, "
            "then restart the kernel and run all cells.)")


def reference():
    """``with check.reference():`` — compute expected values with crmlab in a hidden test (not counted)."""
    return shortcuts.reference()


def ready(value, exercise: str):
    """Stop a cell politely when it needs an exercise's result that is still missing; return ``value``.

    >>> ready(3, "练习 2")
    3
    """
    if _placeholder(value) or (callable(value) and getattr(value, "__crmlab_stub__", False)):
        raise NotReady(f"⚠ 请先完成{exercise}：这个单元格要用到它的结果。\n"
                       f"  (Finish {exercise} first: this cell uses its result.)")
    return value


def true(condition, name: str, hint: str | None = None) -> None:
    """Check that ``condition`` is truthy.

    >>> true(1 + 1 == 2, "arithmetic 算术")
    """
    if not bool(condition):
        _ran()
        lines = [f"✗ {name}", "  不符合题目要求 (does not meet the requirement)"]
        if hint:
            lines.append(f"  提示 hint: {hint}")
        raise CheckFailed("\n".join(lines))


def equal(actual, expected, name: str, hint: str | None = None) -> None:
    """Check exact equality of two plain values (str, int, tuple, …).

    >>> equal("黄金客户", "黄金客户", "matrix cell 矩阵格")
    """
    if _placeholder(actual) and not _placeholder(expected):
        unanswered(name, actual)
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
    if _placeholder(actual):
        unanswered(name, actual)
    if isinstance(actual, (bool, np.bool_)) or not _is_number(actual):
        fail(name, f"一个接近 {expected!r} 的数 (a number)", f"{actual!r} ({type(actual).__name__})", hint)
    value = float(actual)
    if math.isnan(value) or not math.isclose(value, float(expected), rel_tol=rel, abs_tol=abs):
        fail(name, _fmt(expected), _fmt(value), hint)


def one_of(actual, allowed: Iterable, name: str, hint: str | None = None) -> None:
    """Check that ``actual`` is one of the allowed values.

    >>> one_of("20/80", ["5/80", "20/80"], "which claim 哪种说法")
    """
    allowed = list(allowed)
    if _placeholder(actual):
        unanswered(name, actual)
    if actual not in allowed:
        fail(name, f"其中之一 (one of) {allowed!r}", repr(actual), hint)


def set_equal(actual, expected: Iterable, name: str, hint: str | None = None) -> None:
    """Check that ``actual`` holds exactly the members of ``expected`` (order ignored).

    The message names how many members are missing or extra, never which ones, so a visible
    test does not give the answer away.

    >>> set_equal({"b", "a"}, ["a", "b"], "customers 客户")
    """
    expected = set(expected)
    if _placeholder(actual) and expected:
        unanswered(name, actual)
    if isinstance(actual, (str, bytes)) or not isinstance(actual, Iterable):
        fail(name, "一个集合或列表 (a set or list)", f"{type(actual).__name__}", hint)
    actual = set(actual)
    if actual != expected:
        missing, extra = len(expected - actual), len(actual - expected)
        fail(name, f"{len(expected)} 项 (members)", f"{len(actual)} 项，缺少 {missing} 项、多出 {extra} 项 "
             f"({missing} missing, {extra} not expected)", hint)


def is_frame(actual, name: str, hint: str | None = None) -> pd.DataFrame:
    """Check that ``actual`` is a pandas DataFrame and return it.

    >>> is_frame(pd.DataFrame({"a": [1]}), "table 表").shape
    (1, 1)
    """
    if _placeholder(actual):
        unanswered(name, actual)
    if not isinstance(actual, pd.DataFrame):
        fail(name, "一个 DataFrame (a pandas DataFrame)", _describe(actual), hint)
    return actual


def has_columns(frame, columns: Iterable[str], name: str, hint: str | None = None) -> None:
    """Check that a DataFrame has (at least) the given columns.

    >>> has_columns(pd.DataFrame({"a": [1], "b": [2]}), ["a"], "table 表")
    """
    frame = is_frame(frame, name, hint)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        fail(name, f"列 (columns) {list(columns)!r}", f"列 (columns) {list(frame.columns)!r}", hint)


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
        fail(name, f"列 (columns) {list(expected.columns)!r}", f"列 (columns) {list(actual.columns)!r}", hint)
    if len(actual) != len(expected):
        fail(name, f"{len(expected)} 行 (rows)", f"{len(actual)} 行 (rows)", hint)
    if list(actual.index) != list(expected.index):
        fail(name, f"索引 (index) {_short(list(expected.index))}", f"索引 (index) {_short(list(actual.index))}", hint)
    for column in expected.columns:
        _values_match(actual[column], expected[column], f"{name} [{column}]", rtol, hint)
    if check_dtype:
        for column in expected.columns:
            if actual[column].dtype != expected[column].dtype:
                fail(f"{name} [{column}]", f"类型 (dtype) {expected[column].dtype}",
                     f"类型 (dtype) {actual[column].dtype}", hint)


def series_equal(actual, expected: pd.Series, name: str, *, rtol: float = 1e-6,
                 ignore_order: bool = False, hint: str | None = None) -> None:
    """Check that a Series matches the expected one (index and values).

    >>> s = pd.Series([1, 2], index=["x", "y"])
    >>> series_equal(s.copy(), s, "counts 计数")
    """
    if _placeholder(actual):
        unanswered(name, actual)
    if not isinstance(actual, pd.Series):
        fail(name, "一个 Series (a pandas Series)", _describe(actual), hint)
    if ignore_order:
        actual, expected = actual.sort_index(), expected.sort_index()
    if len(actual) != len(expected):
        fail(name, f"{len(expected)} 个值 (values)", f"{len(actual)} 个值 (values)", hint)
    if list(actual.index) != list(expected.index):
        fail(name, f"索引 (index) {_short(list(expected.index))}", f"索引 (index) {_short(list(actual.index))}", hint)
    _values_match(actual, expected, name, rtol, hint)


# --------------------------------------------------------------------------- internals
_NONE_HINT = "答案仍是 None：写好答案后请先运行上面的单元格 (your answer is still None: run the cell above)。"


def _placeholder(x) -> bool:
    """An answer left as the release gives it: None, ``...`` or an empty container."""
    if x is None or x is Ellipsis:
        return True
    if isinstance(x, (set, frozenset, dict, list, tuple, str)) and len(x) == 0:
        return True
    return isinstance(x, (pd.DataFrame, pd.Series)) and x.empty and len(x.columns if x.ndim == 2 else x) == 0


def _values_match(actual: pd.Series, expected: pd.Series, name: str, rtol: float, hint):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, e = actual.to_numpy(), expected.to_numpy()
        if pd.api.types.is_numeric_dtype(expected.dtype) and not pd.api.types.is_bool_dtype(expected.dtype):
            try:
                a = a.astype(float)
            except (TypeError, ValueError):
                fail(name, "数值 (numbers)", f"{actual.dtype} 类型的值 (values)", hint)
            e = e.astype(float)
            bad = ~(np.isclose(a, e, rtol=rtol, atol=1e-9) | (np.isnan(a) & np.isnan(e)))
        else:
            bad = np.array([not _same(x, y) for x, y in zip(a, e)], dtype=bool)
    if bad.any():
        i = int(np.argmax(bad))
        fail(name, f"{actual.index[i]!r} 处为 {_short(e[i])} (at {actual.index[i]!r})",
             f"{actual.index[i]!r} 处为 {_short(a[i])}；{len(bad)} 个值中有 {int(bad.sum())} 个不同 "
             f"({int(bad.sum())} of {len(bad)} values differ)", hint)


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
    return f"{type(x).__name__}"


def _short(x, limit: int = 80) -> str:
    text = str(x)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- one ✓ line per passing test cell
def _pre_run_cell(info=None) -> None:
    _STATE["checks"] = 0


def _post_run_cell(result) -> None:
    if _STATE["checks"] and getattr(result, "success", False):
        print("✓ 通过 (passed)")
    _STATE["checks"] = 0


def _hook_ipython() -> None:
    """In a notebook, print one ✓ line after a cell whose checks all passed."""
    if _STATE["hooked"]:
        return
    try:
        from IPython import get_ipython
    except ImportError:       # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "events"):
        return
    shell.events.register("pre_run_cell", _pre_run_cell)
    shell.events.register("post_run_cell", _post_run_cell)
    _STATE["hooked"] = True


def __getattr__(name: str):
    """``check.crm``: the checks of the simulated CRM's database state (:mod:`crmlab.check_crm`),
    imported on first use so that labs without the CRM do not load it (and not stored here, so
    this module's contents stay what the grader's integrity check saw)."""
    if name == "crm":
        from crmlab import check_crm
        return check_crm
    raise AttributeError(f"module 'crmlab.check' has no attribute {name!r}")


for _name in ("true", "equal", "number", "one_of", "set_equal", "is_frame", "has_columns", "frame_equal",
              "series_equal"):
    globals()[_name] = _count(globals()[_name])
del _name
_hook_ipython()
