"""The concepts' error (:class:`ConceptError`) and the label lookups every section uses."""
from __future__ import annotations

from collections.abc import Mapping

from ..errors import CRMLabError


class ConceptError(CRMLabError):
    """A label or an input that the concept tables do not know (message in Chinese and English;
    a :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``)."""

    code = "CONCEPT_ERROR"


def _bad(en: str, zh: str) -> ConceptError:
    return ConceptError(en, zh)


def key_of(label, table: Mapping, what: str = "label") -> str:
    """The key of ``table`` that ``label`` names: the key itself, its Chinese term or English gloss.

    Comparison ignores case and surrounding spaces. ``table`` maps keys to tuples whose first
    two items are the Chinese term and the English gloss (every table in this module does).

    >>> from crmlab.concepts import KOTLER_LEVELS
    >>> key_of("伙伴型", KOTLER_LEVELS)
    'partnership'
    >>> key_of(" Partnership ", KOTLER_LEVELS)
    'partnership'
    """
    text = str(label).strip().casefold()
    for k, entry in table.items():
        names = {str(k).casefold(), str(entry[0]).casefold(), str(entry[1]).casefold()}
        if text in names:
            return k
    choices = ", ".join(f"{k} ({entry[0]})" for k, entry in table.items())
    raise _bad(f"unknown {what} {label!r}; use one of: {choices}",
               f"未知的{what} {label!r}，可用：{choices}")


def wrong_entries(answer: Mapping, key: Mapping, normalise=None) -> list:
    """Entries of a dict answer that do not match an answer key: for grading matching exercises.

    Returns the keys whose value differs from ``key`` after ``normalise`` (e.g. :func:`key_of` or
    ``glossary.key``; a label it rejects counts as wrong), the keys the answer lacks, and any key the
    answer has that the key does not — sorted, so a test can report *how many* are wrong without
    saying which value is right.

    >>> from crmlab.concepts import KOTLER_LEVELS
    >>> wrong_entries({"a": "伙伴型", "b": "basic"}, {"a": "partnership", "b": "reactive", "c": "basic"},
    ...               normalise=lambda v: key_of(v, KOTLER_LEVELS))
    ['b', 'c']
    """
    if not isinstance(answer, Mapping):
        return sorted(key, key=str)

    def norm(value):
        if normalise is None:
            return value
        try:
            return normalise(value)
        except (KeyError, ValueError, TypeError):
            return value

    wrong = {k for k, v in key.items() if k not in answer or norm(answer[k]) != v}
    wrong |= set(answer) - set(key)
    return sorted(wrong, key=str)
