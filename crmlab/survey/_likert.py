"""Likert scales (量表) and their coding (编码): the only place in crmlab where Likert labels become numbers.

Textbook sources
----------------
- 5-level satisfaction scale with its values (task 8, the satisfaction survey; digest D §3.A2):
  很满意 5, 满意 4, 一般 3, 不满意 2, 很不满意 1. The same section spells the lowest level
  "极不满意" once, so both spellings code as 1.
- 7-level labels from high to low (digest D §3.A2, no values printed): 很满意、满意、较满意、一般、
  不太满意、不满意、极不满意. The book prints no codes; crmlab codes them 7..1 (crmlab default,
  the natural coding, not the textbook's).
- Coding itself (问卷编码: turn answers into numbers for the computer) is task 3 §3.3 (questionnaire
  part 3).

English labels (crmlab default, not in the textbook): very satisfied … very dissatisfied and
strongly agree … strongly disagree, with "somewhat …" for the 7-level scales.

Whatever the input language, **the highest satisfaction (or agreement) gets the highest code.**
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from .._lang import DEFAULT_LANG, check_lang
from ._errors import fail
from ..shortcuts import computes

__all__ = ["LIKERT_5", "LIKERT_7", "LIKERT_5_EN", "LIKERT_7_EN", "AGREE_5_EN", "AGREE_7_EN",
           "likert_scale", "code_likert", "likert_labels", "likert_unknown"]

#: 5-level satisfaction scale, textbook order (high → low) and values (task 8; digest D §3.A2).
LIKERT_5: Mapping[str, int] = MappingProxyType({"很满意": 5, "满意": 4, "一般": 3, "不满意": 2, "很不满意": 1})
#: 7-level satisfaction scale, the digest's labels high → low; codes 7..1 are crmlab's (the book gives none).
LIKERT_7: Mapping[str, int] = MappingProxyType({"很满意": 7, "满意": 6, "较满意": 5, "一般": 4, "不太满意": 3,
                                                 "不满意": 2, "极不满意": 1})
#: English satisfaction labels (crmlab default).
LIKERT_5_EN: Mapping[str, int] = MappingProxyType({"very satisfied": 5, "satisfied": 4, "neutral": 3,
                                                    "dissatisfied": 2, "very dissatisfied": 1})
LIKERT_7_EN: Mapping[str, int] = MappingProxyType({"very satisfied": 7, "satisfied": 6, "somewhat satisfied": 5,
                                                    "neutral": 4, "somewhat dissatisfied": 3, "dissatisfied": 2,
                                                    "very dissatisfied": 1})
#: English agreement labels (crmlab default).
AGREE_5_EN: Mapping[str, int] = MappingProxyType({"strongly agree": 5, "agree": 4, "neither agree nor disagree": 3,
                                                   "disagree": 2, "strongly disagree": 1})
AGREE_7_EN: Mapping[str, int] = MappingProxyType({"strongly agree": 7, "agree": 6, "somewhat agree": 5,
                                                   "neither agree nor disagree": 4, "somewhat disagree": 3,
                                                   "disagree": 2, "strongly disagree": 1})

# Synonyms accepted on input only (never produced on output).
_SYNONYMS = {
    5: {"极不满意": 1,  # the textbook's other spelling of 很不满意 (digest D §3.A2)
        "neither satisfied nor dissatisfied": 3, "neither agree nor disagree": 3},
    7: {"neither satisfied nor dissatisfied": 4, "neutral": 4},
}

_MISSING_TEXT = {"", "nan", "none", "<na>", "nat"}


def _norm(label) -> str:
    """Normalise a label for look-up: strip, fold case, unify spaces/underscores/hyphens."""
    text = str(label).replace("\u3000", " ").strip().casefold()
    return re.sub(r"[\s_\-]+", " ", text)


def likert_scale(levels: int = 5) -> dict[str, int]:
    """Every label accepted for a ``levels``-point scale (Chinese, English, synonyms) → its code.

    >>> likert_scale(5)["满意"], likert_scale(7)["满意"], likert_scale(5)["strongly agree"]
    (4, 6, 5)
    """
    if levels == 5:
        tables = (LIKERT_5, LIKERT_5_EN, AGREE_5_EN, _SYNONYMS[5])
    elif levels == 7:
        tables = (LIKERT_7, LIKERT_7_EN, AGREE_7_EN, _SYNONYMS[7])
    else:
        raise fail(f"levels must be 5 or 7, got {levels!r}", f"量表级数只能是 5 或 7，收到 {levels!r}")
    out: dict[str, int] = {}
    for table in tables:
        out.update(table)
    return out


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and _norm(value) in _MISSING_TEXT:
        return True
    return False


def _code_one(value, lookup: dict[str, int], levels: int) -> tuple[float, bool]:
    """(code, unknown) for one raw value; missing values give (nan, False)."""
    if _is_missing(value):
        return np.nan, False
    if isinstance(value, (bool, np.bool_)):
        return np.nan, True
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    else:
        key = _norm(value)
        if key in lookup:
            return float(lookup[key]), False
        try:
            number = float(key)
        except ValueError:
            return np.nan, True
    if number.is_integer() and 1 <= number <= levels:
        return number, False
    return np.nan, True


def _code_series(s: pd.Series, levels: int, reverse: bool, lookup: dict[str, int]) -> tuple[pd.Series, pd.Series]:
    raw = s.to_numpy(dtype=object)
    codes = np.empty(len(raw), dtype=float)
    flags = np.zeros(len(raw), dtype=bool)
    cache: dict = {}
    for i, v in enumerate(raw):
        try:
            key = (type(v), v)
            hit = cache.get(key)
        except TypeError:          # unhashable (a list, a dict …): never crash, just flag it
            key, hit = None, (np.nan, True)
        if hit is None:
            hit = _code_one(v, lookup, levels)
            cache[key] = hit
        codes[i], flags[i] = hit
    if reverse:
        codes = levels + 1 - codes
    return (pd.Series(codes, index=s.index, name=s.name, dtype=float),
            pd.Series(flags, index=s.index, name=s.name, dtype=bool))


@computes("likert_coding", "把答案编码为分值", "coding answers with the codebook")
def code_likert(values, levels: int = 5, reverse: bool = False, *, scale: Mapping[str, int] | None = None,
                return_flags: bool = False):
    """Code Likert answers as numbers (量表编码): highest satisfaction or agreement = highest code.

    Accepts the textbook's Chinese labels (5-level 很满意 满意 一般 不满意 很不满意, with 极不满意 as the
    book's other spelling of the lowest level; 7-level 很满意 满意 较满意 一般 不太满意 不满意 极不满意),
    English labels (very satisfied … very dissatisfied; strongly agree … strongly disagree; the
    7-level scales add "somewhat …"), or codes that are already numbers (``4``, ``4.0`` or ``"4"``).
    Case, surrounding spaces and ``_``/``-`` in English labels are ignored.

    Textbook task 8 (5-level values, digest D §3.A2) and task 3 §3.3 (问卷编码). The 7-level codes
    7..1 are crmlab's: the book lists the labels but prints no values.

    Parameters
    ----------
    values : Series, DataFrame, or a list of answers. The caller's object is never changed.
    levels : 5 or 7.
    reverse : code a negatively worded item the other way round (code → levels + 1 − code).
    scale : optional label → code mapping to use instead of the built-in labels (e.g. a
        willingness scale 非常愿意 … 非常不愿意). Numeric codes 1..levels are still accepted.
    return_flags : also return a boolean mask (same shape) that is True where a value was not
        understood.

    Returns
    -------
    Series or DataFrame of float codes (NaN where the answer is blank or not understood); with
    ``return_flags=True`` a tuple ``(codes, flags)``. Blank answers are *missing*, not flagged; an
    answer that is not on the scale (an unknown label, ``"6"`` on a 5-level scale, ``4.5``) becomes
    NaN **and is flagged** — never an exception. The flagged cells are also listed in
    ``codes.attrs["likert_unknown"]`` as ``(row, column, value)`` tuples.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.Series(["很满意", "一般", "very dissatisfied", "4", "", "非常满意"])
    >>> code_likert(answers).tolist()
    [5.0, 3.0, 1.0, 4.0, nan, nan]
    >>> code_likert(answers).attrs["likert_unknown"]       # 非常满意 is not on the 5-level scale
    [(5, None, '非常满意')]
    >>> code_likert(["较满意", "极不满意"], levels=7).tolist()
    [5.0, 1.0]
    >>> code_likert(["strongly agree", "disagree"], reverse=True).tolist()
    [1.0, 4.0]
    """
    if levels not in (5, 7):
        raise fail(f"levels must be 5 or 7, got {levels!r}", f"量表级数只能是 5 或 7，收到 {levels!r}")
    if scale is not None:
        lookup = {_norm(k): int(v) for k, v in scale.items()}
        bad = [k for k, v in lookup.items() if not 1 <= v <= levels]
        if bad:
            raise fail(f"scale codes must lie in 1..{levels}; check {bad}",
                       f"量表代码必须在 1..{levels} 之间；请检查 {bad}")
    else:
        lookup = {_norm(k): v for k, v in likert_scale(levels).items()}
    if isinstance(values, pd.DataFrame):
        coded, flags = {}, {}
        for col in values.columns:
            coded[col], flags[col] = _code_series(values[col], levels, reverse, lookup)
        out = pd.DataFrame(coded, index=values.index, columns=values.columns)
        mask = pd.DataFrame(flags, index=values.index, columns=values.columns)
        unknown = [(idx, col, values.at[idx, col]) for col in values.columns
                   for idx in values.index[mask[col].to_numpy()]]
    else:
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        out, mask = _code_series(series, levels, reverse, lookup)
        unknown = [(idx, None, series.loc[idx]) for idx in series.index[mask.to_numpy()]]
    out.attrs["likert_unknown"] = unknown
    return (out, mask) if return_flags else out


def likert_unknown(values, levels: int = 5, *, scale: Mapping[str, int] | None = None):
    """Boolean mask of answers that are not on the scale (blank answers are *not* flagged).

    >>> likert_unknown(["满意", "满意满意", "", "6"]).tolist()
    [False, True, False, True]
    """
    return code_likert(values, levels, scale=scale, return_flags=True)[1]


def likert_labels(codes, levels: int = 5, lang: str = DEFAULT_LANG):
    """Turn codes back into the canonical labels (解码): Chinese by default, ``lang="en"`` for English.

    Codes that are not whole numbers in 1..levels become missing.

    >>> likert_labels([5, 3, 1]).tolist()
    ['很满意', '一般', '很不满意']
    >>> likert_labels([7, 5], levels=7, lang="en").tolist()
    ['very satisfied', 'somewhat satisfied']
    """
    if levels not in (5, 7):
        raise fail(f"levels must be 5 or 7, got {levels!r}", f"量表级数只能是 5 或 7，收到 {levels!r}")
    check_lang(lang, fail)
    table = {5: {"zh": LIKERT_5, "en": LIKERT_5_EN}, 7: {"zh": LIKERT_7, "en": LIKERT_7_EN}}[levels][lang]
    reverse = {v: k for k, v in table.items()}

    def one(v):
        if _is_missing(v):
            return None
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None
        return reverse.get(int(f)) if f.is_integer() else None

    if isinstance(codes, pd.DataFrame):
        return codes.apply(lambda col: pd.Series([one(v) for v in col], index=col.index, dtype=object))
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes))
    return pd.Series([one(v) for v in series], index=series.index, name=series.name, dtype=object)


#: Separator of the chosen labels of a multiple-choice answer in a response table.
MULTI_SEP = ";"


def _split_multi(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if not _is_missing(v)]
    if _is_missing(value):
        return []
    return [p.strip() for p in re.split(r"[;；]", str(value)) if p.strip()]
