"""The satisfaction module's error (:class:`SatisfactionError`)."""
from __future__ import annotations

from ..errors import CRMLabError


class SatisfactionError(CRMLabError):
    """Bad input to the satisfaction functions (客户满意度): a :class:`crmlab.errors.CRMLabError`
    (a ``ValueError``), message in Chinese then English."""

    code = "SATISFACTION_ERROR"


def _error(en: str, zh: str) -> SatisfactionError:
    """A :class:`SatisfactionError` saying what is wrong in Chinese and in English."""
    return SatisfactionError(en, zh)
