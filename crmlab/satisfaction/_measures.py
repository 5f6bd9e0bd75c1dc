"""Part 1, the textbook (学习情境3 任务8): the satisfaction ratio C = b/a and its levels, Likert codes,
the composite score and the 0–100 index."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._lang import DEFAULT_LANG, check_lang
from ..shortcuts import computes
from ._errors import _error


# ================================================================================================
# Part 1 — the textbook (学习情境3 任务8)
# ================================================================================================

# §8.2.1: C < 1 不满意, C = 1 (≈1) 满意, C > 1 非常满意 (甚至惊喜).
SATISFACTION_LEVELS = {"不满意": "dissatisfied", "满意": "satisfied", "非常满意": "very satisfied"}


def _numbers(x, name: str):
    """Scalars stay scalars, Series stay Series, everything else becomes a float array."""
    if isinstance(x, pd.Series):
        values = pd.to_numeric(x, errors="coerce")
        bad = values.isna() & x.notna()
        if bad.any():
            raise _error(f"{name} must be numbers; not numbers: {list(x[bad].unique())[:5]}",
                         f"{name} 必须是数字")
        if values.isna().any():
            raise _error(f"{name} has {int(values.isna().sum())} missing value(s)", f"{name} 有缺失值")
        return values.astype(float)
    if np.ndim(x) == 0:
        try:
            value = float(x)
        except (TypeError, ValueError):
            raise _error(f"{name} must be a number, got {x!r}", f"{name} 必须是数字") from None
        if math.isnan(value):
            raise _error(f"{name} is missing (NaN)", f"{name} 缺失")
        return value
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise _error(f"{name} must be numbers", f"{name} 必须是数字") from None
    if np.isnan(arr).any():
        raise _error(f"{name} has missing values (NaN)", f"{name} 有缺失值")
    return arr


@computes("satisfaction_level", "满意度 C = b/a 与满意等级", "satisfaction ratio and level")
def satisfaction_ratio(perceived, expected):
    """Satisfaction degree C = b / a: perceived value over expected value (客户满意度 C=b/a).

    Textbook task 8 §8.2.1: C = b/a, where b = 客户的感知值 (perceived value) and
    a = 客户的期望值 (expected value); the book's legend misprints a as "α". Read it with
    :func:`classify_satisfaction`: C < 1 dissatisfied, C ≈ 1 satisfied, C > 1 very satisfied.

    The textbook gives no scale: a and b must be on the same positive scale (for example 1–10).

    Parameters
    ----------
    perceived : number, array or Series (b, ≥ 0).
    expected : number, array or Series (a, > 0).

    Returns
    -------
    float for scalars, otherwise an array or Series of ratios.

    Examples
    --------
    >>> satisfaction_ratio(perceived=6, expected=8)
    0.75
    """
    b = _numbers(perceived, "perceived value b 感知值")
    a = _numbers(expected, "expected value a 期望值")
    if np.any(np.asarray(a) <= 0):
        raise _error("the expected value a must be greater than 0 (C = b/a divides by it)",
                     "期望值 a 必须大于 0（C = b/a 要除以它）")
    if np.any(np.asarray(b) < 0):
        raise _error("the perceived value b cannot be negative", "感知值 b 不能为负数")
    return b / a


@computes("satisfaction_level")
def classify_satisfaction(perceived, expected, tol: float = 0.05, lang: str = DEFAULT_LANG):
    """The three readings of C = b/a: 不满意 / 满意 / 非常满意 (textbook task 8 §8.2.1).

    C < 1 → dissatisfied (不满意; the smaller, the more dissatisfied); C = 1 or ≈ 1 → satisfied
    (满意); C > 1 → very satisfied, even delighted (非常满意甚至惊喜). The textbook does not say how
    close "≈ 1" is; crmlab's default (not the textbook's) counts |C − 1| ≤ ``tol`` = 0.05 as 1.

    Parameters
    ----------
    perceived, expected : numbers, arrays or Series (see :func:`satisfaction_ratio`).
    tol : half-width of the "C ≈ 1" band.
    lang : ``"zh"`` for the textbook's Chinese labels, ``"en"`` for English.

    Returns
    -------
    str for scalars, otherwise a Series of labels.

    Examples
    --------
    >>> classify_satisfaction(6, 8), classify_satisfaction(8, 8), classify_satisfaction(9, 8)
    ('不满意', '满意', '非常满意')
    >>> classify_satisfaction(9, 8, lang="en")
    'very satisfied'
    """
    check_lang(lang, _error)
    if not 0 <= tol < 1:
        raise _error("tol must be in [0, 1)", "tol 必须在 [0, 1) 之间")
    c = satisfaction_ratio(perceived, expected)
    eps = 1e-12
    labels = np.where(np.asarray(c) < 1 - tol - eps, "不满意",
                      np.where(np.asarray(c) > 1 + tol + eps, "非常满意", "满意"))
    if lang == "en":
        labels = np.vectorize(SATISFACTION_LEVELS.get, otypes=[object])(labels)
    if np.ndim(c) == 0:
        return str(labels)
    index = c.index if isinstance(c, pd.Series) else None
    return pd.Series(labels, index=index, name="satisfaction_level", dtype=object)


def expectation_gap(perceived, expected):
    """Perceived minus expected (结果 − 期望): positive means the customer is delighted.

    Textbook task 8 §8.1.1 quotes the AMA handbook as "满意 = 期望 − 结果" (satisfaction =
    expectation − outcome). **That sign is reversed (a textbook error):** in the book's own
    logic (and Kotler's definition right after it) satisfaction grows when the outcome exceeds
    the expectation, so the gap must be outcome − expectation, as here. The ratio form of the
    same idea is :func:`satisfaction_ratio` (C = b/a).

    Examples
    --------
    >>> expectation_gap(perceived=9, expected=8)
    1.0
    """
    b = _numbers(perceived, "perceived value 感知值")
    a = _numbers(expected, "expected value 期望值")
    return b - a


@computes("likert_codes", "李克特量表编码", "Likert codes")
def likert_scores(responses: pd.DataFrame, items: Sequence[str] | None = None, levels: int = 5,
                  reverse: Sequence[str] = ()) -> pd.DataFrame:
    """Turn Likert labels (很满意 … 很不满意, or English) into numbers, highest satisfaction highest.

    Textbook task 8 §8.3.9 (5- and 7-level scales) and §8.3.10 step 3 (很满意 5, 满意 4, 一般 3,
    不满意 2, 很不满意 1). The coding table itself lives in :func:`crmlab.survey.code_likert`;
    this helper picks the item columns, reverse-codes the ``reverse`` items (questions worded
    negatively) and never changes the caller's DataFrame.

    Parameters
    ----------
    responses : one row per respondent, labels in the item columns.
    items : item columns to code (default: all columns).
    levels : 5 or 7.
    reverse : items to reverse-code (5 ↔ 1 on a 5-level scale).

    Returns
    -------
    DataFrame of float codes. Blank answers and labels that are not on the scale become NaN;
    the latter are listed in ``.attrs["likert_unknown"]`` as (row, column, label).

    Examples
    --------
    >>> answers = pd.DataFrame({"q1": ["很满意", "一般"], "q2": ["不满意", "满意"]})
    >>> likert_scores(answers).astype(int).to_dict("list")
    {'q1': [5, 3], 'q2': [2, 4]}
    """
    from crmlab.survey import code_likert  # written alongside this module; imported lazily

    if not isinstance(responses, pd.DataFrame):
        raise _error("responses must be a pandas DataFrame", "responses 必须是 pandas DataFrame")
    items = list(responses.columns) if items is None else list(items)
    missing = [c for c in items if c not in responses.columns]
    if missing:
        raise _error(f"missing item columns: {missing}", f"缺少题目列：{missing}")
    unknown = [c for c in reverse if c not in items]
    if unknown:
        raise _error(f"reverse items are not among the items: {unknown}", f"反向计分题不在题目中：{unknown}")
    forward = [c for c in items if c not in set(reverse)]
    parts, unknown = [], []
    for cols, rev in ((forward, False), (list(reverse), True)):
        if cols:
            coded = code_likert(responses[cols].copy(), levels=levels, reverse=rev)
            unknown += list(coded.attrs.get("likert_unknown", []))
            parts.append(pd.DataFrame(coded))
    out = pd.concat(parts, axis=1)[items]
    out.attrs["likert_unknown"] = unknown    # (row, column, label) of answers not on the scale
    return out


def _item_series(values, name: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        bad = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
        if bad:
            raise _error(f"{name}: non-numeric columns {bad}; code Likert labels first "
                         "(crmlab.survey.code_likert)",
                         f"{name}：非数值列 {bad}；请先把李克特标签编码为数字")
        values = values.mean()
    s = pd.Series(values, dtype=object) if isinstance(values, Mapping) else pd.Series(values)
    try:
        s = s.astype(float)
    except (TypeError, ValueError):
        raise _error(f"{name} must be numbers", f"{name} 必须是数字") from None
    if s.isna().any():
        raise _error(f"{name} has missing values for {list(s.index[s.isna()])}",
                     f"{name} 有缺失值：{list(s.index[s.isna()])}")
    return s


@computes("csi_composite", "满意度综合得分与百分制指数", "composite satisfaction score and 0–100 index")
def composite_score(satisfaction, importance) -> float:
    """Composite satisfaction score Σ(satisfaction × importance) / Σ importance (满意度综合得分).

    Textbook task 8 §8.3.10 step 3: 满意度综合得分 = Σ(满意度 × 重要性) / Σ重要性, where
    满意度 is an item's mean rating and 重要性 its importance weight (from the Delphi method,
    :func:`delphi_weights`, or from mean importance ratings). The result stays on the rating
    scale (1–5 for the textbook's scale); use :func:`to_0_100` for a 0–100 index.

    Parameters
    ----------
    satisfaction : mapping or Series item → mean rating, or a DataFrame of numeric answers
        (its column means are used).
    importance : mapping or Series item → weight (≥ 0, not all 0); same items.

    Returns
    -------
    float (not rounded: round only for display).

    Examples
    --------
    >>> sat = {"产品质量": 4.2, "价格": 3.6, "售后服务": 3.1, "购物环境": 4.5}
    >>> imp = {"产品质量": 5, "价格": 4, "售后服务": 5, "购物环境": 2}
    >>> round(composite_score(sat, imp), 6)     # 59.9 / 16
    3.74375
    """
    s = _item_series(satisfaction, "satisfaction 满意度")
    w = _item_series(importance, "importance 重要性")
    missing, extra = [i for i in s.index if i not in w.index], [i for i in w.index if i not in s.index]
    if missing or extra:
        raise _error(f"items differ: no importance for {missing}, no satisfaction for {extra}",
                     f"题目不一致：{missing} 没有重要性，{extra} 没有满意度")
    if len(s) == 0:
        raise _error("no items given", "没有题目")
    w = w.reindex(s.index)
    if (w < 0).any():
        raise _error(f"importance weights cannot be negative: {list(w.index[w < 0])}",
                     f"重要性权重不能为负：{list(w.index[w < 0])}")
    if w.sum() <= 0:
        raise _error("importance weights sum to 0", "重要性权重之和为 0")
    return float((s * w).sum() / w.sum())


@computes("csi_composite")
def to_0_100(x, lo: float = 1, hi: float = 5):
    """Rescale a score on a lo–hi rating scale to 0–100: (x − lo) / (hi − lo) × 100.

    The textbook stops at the 1–5 composite score (task 8 §8.3.10 step 3); the 0–100 index is
    the ACSI convention (crmlab default, not the textbook's). **The ×20 trap:** on a 1–5 scale
    the naive ``x × 20`` (= x/5 × 100) sends the worst answer 1 to 20 instead of 0, so every
    index looks better than it is; see :func:`naive_0_100`.

    Parameters
    ----------
    x : number, array or Series inside [lo, hi].
    lo, hi : the scale's lowest and highest codes (1 and 5 for the textbook's scale; 1 and 10
        for ACSI/ECSI items).

    Examples
    --------
    >>> to_0_100(3.74375)              # composite score of the worked example
    68.59375
    >>> to_0_100(1), to_0_100(5), round(to_0_100(7.5, lo=1, hi=10), 2)
    (0.0, 100.0, 72.22)
    """
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise _error(f"the scale needs lo < hi, got lo={lo}, hi={hi}", f"量表需要 lo < hi，实际 lo={lo}, hi={hi}")
    v = _numbers(x, "score 得分")
    arr = np.asarray(v)
    if np.any(arr < lo - 1e-9) or np.any(arr > hi + 1e-9):
        raise _error(f"scores must lie on the {lo}–{hi} scale", f"得分必须在 {lo}–{hi} 量表之内")
    return (v - lo) / (hi - lo) * 100


def naive_0_100(x, hi: float = 5):
    """The WRONG rescale x / hi × 100 (×20 on a 1–5 scale), kept to show students the trap.

    A 1 ("很不满意", the worst answer) becomes 20 instead of 0, and the worked example's
    composite 3.74375 becomes 74.875 instead of 68.59375 (:func:`to_0_100`). Not a method to
    use; crmlab keeps it only so a lab can compare the two numbers.

    Examples
    --------
    >>> naive_0_100(1), naive_0_100(3.74375)
    (20.0, 74.875)
    """
    return _numbers(x, "score 得分") / hi * 100
