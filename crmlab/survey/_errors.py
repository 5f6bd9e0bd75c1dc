"""Bilingual errors shared by the survey submodules."""
from __future__ import annotations


class SurveyError(ValueError):
    """Bad input to a crmlab.survey function; the message is in English and Chinese."""


def bilingual(en: str, zh: str) -> str:
    """Join an English and a Chinese message the way every crmlab error does."""
    return f"{en} / {zh}"


def fail(en: str, zh: str) -> SurveyError:
    """Build (not raise) a :class:`SurveyError` with a bilingual message."""
    return SurveyError(bilingual(en, zh))
