"""One error family for all of crmlab (错误类型).

Every error crmlab raises for bad input or a refused action is a :class:`CRMLabError`, itself a
``ValueError``: ``except crmlab.errors.CRMLabError`` (or ``except ValueError``) catches them all.
Each module keeps its own subclass under its own name (``survey.SurveyError``,
``archive.ArchiveError``, ``opportunity.OpportunityError``, ``system.CRMError`` …), so an
``except`` written for one module keeps working.

An error carries

* ``code`` — a short stable identifier such as ``"ILLEGAL_TRANSITION"`` (the class's default code
  when the raiser gives none);
* ``zh`` — the Chinese message, and ``en`` — its English gloss;
* one message, ``str(err)``, in the one bilingual format of crmlab: **Chinese first, then the
  English**, joined by ``" / "`` (:func:`bilingual`), the order of the graded checks (``check``)
  and of the Chinese CRM pages.

:class:`InvalidTransition` is the one "this action is not allowed from this state" error:
``opportunity.IllegalTransition``, ``complaints.InvalidTransition`` and
``system.IllegalTransition`` are all ``InvalidTransition``.

Example
-------
>>> from crmlab import errors
>>> err = errors.CRMLabError("DEMO", "something is wrong", "出错了")
>>> err.code, err.zh, err.en
('DEMO', '出错了', 'something is wrong')
>>> str(err)
'出错了 / something is wrong'
>>> isinstance(err, ValueError)
True
>>> errors.bilingual("unknown stage 'x'", "未知阶段 'x'")
"未知阶段 'x' / unknown stage 'x'"
"""
from __future__ import annotations

__all__ = ["SEPARATOR", "bilingual", "parts", "CRMLabError", "InvalidTransition"]

#: What joins the Chinese message and its English gloss in every crmlab error message.
SEPARATOR = " / "


def bilingual(en: str, zh: str) -> str:
    """The one bilingual message format of crmlab: ``"中文 / English"``.

    The arguments come English first, like every crmlab error constructor (``code, en, zh``);
    the text reads Chinese first.

    >>> bilingual("the amount must be ≥ 0", "金额必须 ≥ 0")
    '金额必须 ≥ 0 / the amount must be ≥ 0'
    """
    return f"{zh}{SEPARATOR}{en}"


def parts(err: BaseException) -> tuple[str, str]:
    """``(en, zh)`` of an error; an error without them (e.g. one of pandas) gives its text twice.

    >>> parts(CRMLabError("bad date", "日期无效")), parts(ValueError("x"))
    (('bad date', '日期无效'), ('x', 'x'))
    """
    en, zh = getattr(err, "en", None), getattr(err, "zh", None)
    if en is None or zh is None:
        return str(err), str(err)
    return en, zh


def _restore(cls, args, state):
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class CRMLabError(ValueError):
    """Root of every crmlab error: a ``ValueError`` with ``code``, ``zh`` and ``en``.

    ``CRMLabError(code, en, zh)`` or ``CRMLabError(en, zh)`` (the class's default ``code``);
    ``str(err)`` is :func:`bilingual` ``(en, zh)``. ``CRMLabError(message)`` (one ready-made
    message) is accepted too: then ``zh`` and ``en`` are ``None``.

    >>> err = CRMLabError("the file is empty", "文件是空的")
    >>> err.code, str(err)
    ('CRMLAB_ERROR', '文件是空的 / the file is empty')
    >>> import pickle
    >>> str(pickle.loads(pickle.dumps(err))) == str(err)
    True
    """

    #: The code of an error raised without one (subclasses set their own).
    code = "CRMLAB_ERROR"

    def __init__(self, *args):
        zh = en = None
        if len(args) == 3:
            self.code, en, zh = args
        elif len(args) == 2:
            en, zh = args
        elif len(args) > 3:
            raise TypeError(f"{type(self).__name__}(code, en, zh) takes at most 3 arguments, got {len(args)}")
        self.en, self.zh = en, zh
        if len(args) >= 2:
            super().__init__(bilingual(en, zh))
        else:
            super().__init__(*args)

    def __reduce__(self):
        # Subclasses have other __init__ signatures: rebuild from args and attributes instead.
        return _restore, (type(self), self.args, dict(self.__dict__))


class InvalidTransition(CRMLabError):
    """An action that the lifecycle (state machine) or one of its guards does not allow now.

    Nothing was changed. ``opportunity.IllegalTransition``, ``complaints.InvalidTransition`` and
    ``system.IllegalTransition`` are all this error.
    """

    code = "INVALID_TRANSITION"
