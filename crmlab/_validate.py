"""Small input-checking helpers shared by crmlab's subject modules (not part of the public API).

Every error crmlab raises for bad input says what is wrong in Chinese and in English
(:func:`crmlab.errors.bilingual`) and is a :class:`crmlab.errors.CRMLabError`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from .errors import CRMLabError, bilingual

__all__ = ["bilingual_error", "preview", "is_blank", "blank_mask", "require_columns"]


def bilingual_error(en: str, zh: str, cls: type[CRMLabError] = CRMLabError) -> CRMLabError:
    """An error of class ``cls`` (a ``ValueError``) saying what is wrong in Chinese, then in English."""
    return cls(en, zh)


def preview(labels, limit: int = 10) -> str:
    """The first ``limit`` labels as text, with a count of the rest: ``'a', 'b' … (+3)``."""
    labels = list(labels)
    text = ", ".join(repr(x) for x in labels[:limit])
    return text + (f" … (+{len(labels) - limit})" if len(labels) > limit else "")


def is_blank(v) -> bool:
    """True for None, NaN, NaT, pd.NA and blank text."""
    return v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v)) \
        or (isinstance(v, str) and not v.strip())


def blank_mask(values: pd.Series) -> pd.Series:
    """Boolean mask of empty cells (None, NaN, NaT, blank text)."""
    return pd.Series([is_blank(v) for v in values], index=values.index, dtype=bool)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str,
                    cls: type[CRMLabError] = CRMLabError) -> None:
    """Raise unless ``frame`` is a DataFrame holding every one of ``columns`` (a ``cls`` error)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(bilingual(f"{what} must be a pandas DataFrame, got {type(frame).__name__}",
                                  f"{what} 必须是 pandas DataFrame"))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise bilingual_error(f"{what} is missing the column(s) {missing}; it has {list(frame.columns)}.",
                              f"{what} 缺少列 {missing}。", cls)
