"""Which crmlab functions compute what a graded exercise asks (捷径登记).

crmlab is the students' toolbox *and* the source of the labs' reference answers. A graded answer
that calls the crmlab function computing that very answer has not done the exercise, so:

- a subject module marks such a function with :func:`computes`, naming the concept it computes
  (``@computes("clv", "客户终身价值", "customer lifetime value")``);
- every call of a marked function is recorded, however it was reached (an alias, a wrapper, another
  crmlab function calling it, a replayed scenario step);
- the graded test of an exercise calls ``check.own_work("clv")``: the exercise earns nothing when a
  function computing ``clv`` ran outside the tests' own reference computations.

Hidden tests may still compute expected values with crmlab, inside ``with shortcuts.reference():``
(``check.reference()``); that context is honoured only in a cell that carries hidden tests, so an
answer cell cannot use it. Nothing here is a security boundary against code that rewrites this
module (the grading sandbox detects that); it makes an honest shortcut visible at once.

>>> @computes("toy_total", "玩具合计", "toy total")
... def toy_total(values):
...     return sum(values)
>>> forget()
>>> toy_total([1, 2])
3
>>> sorted(called())
['toy_total']
>>> with reference():
...     _ = toy_total([3])
>>> label("toy_total")
'玩具合计 (toy total)'
"""
from __future__ import annotations

import functools
import linecache
import sys
import threading
from contextlib import contextmanager

__all__ = ["computes", "called", "forget", "tampered", "reference", "label", "in_hidden_tests", "HIDDEN_MARK"]

HIDDEN_MARK = "### BEGIN HIDDEN TESTS"

_LABELS: dict[str, tuple[str, str]] = {}
_CALLED: dict[str, int] = {}
_LAST_CELL: dict[str, int | None] = {}      # concept → the notebook cell (execution count) of its last call
_STATE = threading.local()


def _ledger():
    """A second record, kept where answer code does not reach it by name (a closure): if the
    visible record is emptied or replaced, :func:`tampered` says so."""
    seen: dict[str, int] = {}
    last: dict[str, int | None] = {}

    def add(concept: str, cell: int | None) -> None:
        seen[concept] = seen.get(concept, 0) + 1
        last[concept] = cell

    def compare() -> bool:
        return (any(_CALLED.get(c, 0) < n for c, n in seen.items())
                or any(_LAST_CELL.get(c, "gone") != cell for c, cell in last.items()))

    def reset() -> None:
        seen.clear()
        last.clear()

    return add, compare, reset


_shadow_add, _shadow_differs, _shadow_reset = _ledger()


def computes(concept: str, zh: str | None = None, en: str | None = None):
    """Mark a function as computing ``concept`` (its Chinese and English names given once)."""
    if zh or en:
        _LABELS.setdefault(concept, (zh or concept, en or concept))

    add = _shadow_add

    def mark(func):
        @functools.wraps(func)
        def recorded(*args, **kwargs):
            if not getattr(_STATE, "reference", 0):
                cell = _cell_number()
                _CALLED[concept] = _CALLED.get(concept, 0) + 1
                _LAST_CELL[concept] = cell
                add(concept, cell)
            return func(*args, **kwargs)

        recorded.computes = concept
        return recorded

    return mark


def called(this_cell: bool = False) -> set[str]:
    """The concepts whose crmlab functions ran outside reference computations since :func:`forget`;
    with ``this_cell=True`` only those that ran while the notebook cell now running ran."""
    if this_cell:
        now = _cell_number()
        return {c for c, cell in _LAST_CELL.items() if now is not None and cell == now}
    return {c for c, n in _CALLED.items() if n}


def _cell_number() -> int | None:
    """The execution count of the notebook cell now running (None outside IPython)."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


def forget() -> None:
    """Clear the record (a fresh kernel starts clear; unit tests use this). Refused in a notebook cell."""
    if _innermost_cell() is not None:
        raise PermissionError("记录不能在笔记本里清除 (the record cannot be cleared from a notebook)")
    _CALLED.clear()
    _LAST_CELL.clear()
    _shadow_reset()


def tampered() -> bool:
    """Whether the record of calls was emptied or replaced since the calls were made."""
    return _shadow_differs()


def label(concept: str) -> str:
    """``'中文 (English)'`` for a concept, or the concept's code when it was never declared."""
    zh, en = _LABELS.get(concept, (concept, ""))
    return f"{zh} ({en})" if en and en != zh else zh


def in_hidden_tests() -> bool:
    """Whether the innermost notebook cell on the call stack carries hidden tests.

    Outside IPython (plain Python, doctests, the unit tests) there is no cell: False.
    """
    source = _innermost_cell()
    return source is not None and HIDDEN_MARK in source


def _innermost_cell() -> str | None:
    frame = sys._getframe(1)
    while frame is not None:
        source = _cell_source(frame.f_code.co_filename)
        if source is not None:
            return source
        frame = frame.f_back
    return None


def _cell_source(filename: str) -> str | None:
    """The source of a notebook cell compiled by IPython, or None for a file on disk."""
    if not ("ipykernel_" in filename or filename.startswith("<ipython-input")):
        return None
    return "".join(linecache.getlines(filename))


@contextmanager
def reference():
    """Compute reference answers without counting the calls as a student's shortcut.

    Honoured in hidden-test cells (and outside notebooks); elsewhere the calls are recorded as usual.
    """
    source = _innermost_cell()
    trusted = source is None or HIDDEN_MARK in source
    _STATE.reference = getattr(_STATE, "reference", 0) + trusted
    try:
        yield
    finally:
        _STATE.reference -= trusted
