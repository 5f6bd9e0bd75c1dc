"""Errors of the simulated CRM: a short ``code`` plus a Chinese and an English message.

They belong to crmlab's one error family (:mod:`crmlab.errors`), so ``except CRMLabError`` catches
them together with the opportunity model's errors (:mod:`crmlab.sales_method`, one domain model):

* :class:`CRMError` (a :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``);
* :class:`PermissionDenied` — the acting user's role or ownership does not allow the action;
* :class:`IllegalTransition` — the declared lifecycle does not allow the action from this status
  (also a :class:`crmlab.sales_method.IllegalTransition` and a :class:`crmlab.errors.InvalidTransition`);
* :class:`GuardFailed` — a rule of the textbook (R1–R35) or of crmlab is not met;
* :class:`ReadOnly` — the field or document may not be edited (audited documents, registered
  product archives, the computed customer value);
* :class:`NotFound` — no such user, customer, product or document;
* :class:`StaleRecord` — optimistic locking: the document changed since the caller read it
  (``expected_version`` differs from the stored ``version``); reload and try again;
* :class:`InvalidValue` — a value the domain model refuses (e.g. a sales method's stages); also a
  :class:`crmlab.sales_method.InvalidValue`;
* :class:`Conflict` — two writers collided on a unique key (e.g. a name taken meanwhile) and
  retrying did not help.

:class:`crmlab.sales_method.ConditionsNotMet` (a strictly controlled stage lacks its activities,
tasks, quotes or samples) passes through unchanged. Whatever is raised, nothing was changed.

Example
-------
>>> from crmlab.system.errors import GuardFailed, IllegalTransition
>>> from crmlab import sales_method
>>> err = IllegalTransition("ILLEGAL_TRANSITION", "cannot audit", "不能审核")
>>> isinstance(err, sales_method.IllegalTransition), isinstance(err, ValueError), err.code
(True, True, 'ILLEGAL_TRANSITION')
>>> str(GuardFailed("WIN_DATE_REQUIRED", "set the win/loss date first", "请先填写输赢日期"))
'请先填写输赢日期 / set the win/loss date first'
"""
from __future__ import annotations

from crmlab import sales_method as _op
from crmlab.errors import CRMLabError

__all__ = ["CRMError", "PermissionDenied", "IllegalTransition", "GuardFailed", "ReadOnly", "NotFound",
           "StaleRecord", "InvalidValue", "Conflict", "ConditionsNotMet"]

ConditionsNotMet = _op.ConditionsNotMet


class CRMError(CRMLabError):
    """Base error of :mod:`crmlab.system`: ``code``, ``en``, ``zh`` (a :class:`crmlab.errors.CRMLabError`).

    ``CRMError(code, en, zh)``; ``str(err)`` is ``"中文 / English"``.
    """

    code = "CRM_ERROR"


class PermissionDenied(CRMError):
    """The acting user's role or ownership does not allow this action. Nothing changed."""


class IllegalTransition(CRMError, _op.IllegalTransition):
    """The declared lifecycle does not allow this action from the document's status."""


class GuardFailed(CRMError):
    """A rule (guard) of the action is not met, e.g. R23: 赢单 needs the win/loss date."""


class ReadOnly(CRMError):
    """The document or field may not be edited (audited, registered, computed)."""


class NotFound(CRMError):
    """No such user, customer, product or document."""


class StaleRecord(CRMError):
    """Optimistic locking (乐观锁): the document was changed by someone else since you read it.

    Raised when an action is given ``expected_version=`` and the stored ``version`` differs (or
    when two writers race for the same row). Attributes: ``no``, ``expected``, ``actual``,
    ``changed_by`` and ``changed_at`` (the last change in the audit log). Nothing changed.

    >>> err = StaleRecord("SJ000001", 3, 4, "lijingli", None)
    >>> err.code, err.actual
    ('STALE_RECORD', 4)
    >>> "reload and try again" in str(err) and "请刷新后重试" in str(err)
    True
    >>> "version None" in str(StaleRecord("the record", None, "newer"))     # a race, no version given
    False
    """

    def __init__(self, no, expected, actual, changed_by=None, changed_at=None):
        self.no, self.expected, self.actual = no, expected, actual
        self.changed_by, self.changed_at = changed_by, changed_at
        when = f" at {changed_at:%Y-%m-%d %H:%M}" if changed_at is not None else ""
        who = f" by {changed_by}" if changed_by else ""
        when_zh = f"于 {changed_at:%Y-%m-%d %H:%M} " if changed_at is not None else ""
        who_zh = f"{changed_by} " if changed_by else "他人"
        if expected is None:               # a racing write caught by the database: no version was given
            no_zh = "该单据" if no == "the record" else no
            super().__init__("STALE_RECORD",
                             f"{no} was changed{who or ' by another user'}{when} while you were saving: "
                             "reload and try again",
                             f"{no_zh} 在你保存时已被{who_zh}{when_zh}修改，请刷新后重试")
            return
        super().__init__("STALE_RECORD",
                         f"{no} was changed{who}{when} (version {actual}, you have version {expected}): "
                         "reload and try again",
                         f"{no} 已被{who_zh}{when_zh}修改（当前版本 {actual}，你的版本 {expected}），请刷新后重试")


class InvalidValue(CRMError, _op.InvalidValue):
    """A value the domain model refuses, e.g. a sales method whose probabilities do not rise (R3).
    Also a :class:`crmlab.sales_method.InvalidValue` (and a ``ValueError``). Nothing changed.

    >>> err = InvalidValue("STAGE_DAYS", "days must be positive", "天数必须为正")
    >>> isinstance(err, CRMError), isinstance(err, _op.InvalidValue), isinstance(err, ValueError)
    (True, True, True)
    """


class Conflict(CRMError):
    """Concurrent writers collided on a unique key (a document number, a name) and the action,
    tried again, still collided. Nothing changed; code ``"CONFLICT"``."""
