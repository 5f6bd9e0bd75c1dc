"""The core of crmlab's graded checks: the failure every check raises and its message format.

:mod:`crmlab.check` (and the CRM checks :mod:`crmlab.check_crm`, reached as ``check.crm``) build on
these; import them from :mod:`crmlab.check`.
"""
from __future__ import annotations

from . import shortcuts

__all__ = ["CheckFailed", "fail", "unanswered"]


class CheckFailed(AssertionError):
    """A graded check did not pass. The message says what was expected and gives a hint."""

    def _render_traceback_(self):
        # IPython shows these lines instead of a traceback through crmlab's code.
        return [f"\x1b[31m{line}\x1b[0m" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def fail(name: str, expected, got, hint: str | None = None):
    """Raise :class:`CheckFailed` with the standard message (Chinese first, English gloss).

    In a hidden-test cell the expected value is replaced by "does not match the reference answer".
    """
    _ran()
    lines = [f"✗ {name}"]
    if shortcuts.in_hidden_tests():
        lines.append("  与参考答案不一致 (does not match the reference answer)")
    else:
        lines.append(f"  应为 expected: {expected}")
    lines.append(f"  实际 got:      {got}")
    if hint:
        lines.append(f"  提示 hint: {hint}")
    raise CheckFailed("\n".join(lines))


def unanswered(name: str, got=None):
    """Raise :class:`CheckFailed` saying the exercise is not answered yet (还没有作答)."""
    _ran()
    shown = "..." if got is Ellipsis else repr(got)
    raise CheckFailed(f"✗ {name}\n  还没有作答 (not answered yet): 答案仍是 {shown}。"
                      "写好答案后，先运行答题单元格，再运行本测试。\n"
                      "  (Write your answer, run its cell, then run this test.)")



# --------------------------------------------------------------------------- one ✓ line per passing test cell
_STATE = {"checks": 0, "hooked": False}


def _ran() -> None:
    _STATE["checks"] += 1


def _count(func):
    """Count a helper's use so that a passing test cell can say ✓ once."""
    import functools

    @functools.wraps(func)
    def counted(*args, **kwargs):
        _ran()
        return func(*args, **kwargs)

    return counted
