"""Bilingual errors shared by the survey submodules."""
from __future__ import annotations

from crmlab import errors as _errors


class SurveyError(_errors.CRMLabError):
    """Bad input to a crmlab.survey function; the message is in Chinese and English (a
    :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``)."""

    code = "SURVEY_ERROR"


def bilingual(en: str, zh: str) -> str:
    """Join an English and a Chinese message the way every crmlab error does (Chinese first)."""
    return _errors.bilingual(en, zh)


def fail(en: str, zh: str) -> SurveyError:
    """Build (not raise) a :class:`SurveyError` with a bilingual message."""
    return SurveyError(en, zh)
