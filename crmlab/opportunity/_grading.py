"""Grading an opportunity (商机分级, task 7 §7.1.2 ②): 8 indicators, AHP weights, the revenue
pre-screen, three levels and their time limits."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from crmlab import glossary
from crmlab.shortcuts import computes
from crmlab.sales_method import InconsistentJudgements, InvalidValue, UnknownLabel, _amount, _ts


# --------------------------------------------------------------------------------------------
# Grading: 8 indicators, AHP weights, pre-screen, levels, time limits (task 7 §7.1.2 ②)
# --------------------------------------------------------------------------------------------
class Indicator(NamedTuple):
    code: str
    zh: str
    en: str
    dimension: str
    reverse: bool


# Task 7 §7.1.2 ②: two dimensions, 8 indicators (table 7-1's title and names survive; its scales
# are lost). ``reverse`` marks the indicators crmlab reverse-codes so that 5 is always favourable
# (5 = easy need, little competition, low risk): a design decision, not the textbook's.
GRADE_INDICATORS: tuple[Indicator, ...] = (
    Indicator("revenue", "预测收入", "forecast revenue", "opportunity", False),
    Indicator("urgency", "紧急程度", "urgency", "opportunity", False),
    Indicator("importance", "重要程度", "importance", "opportunity", False),
    Indicator("difficulty", "需求难易度", "difficulty of the need", "opportunity", True),
    Indicator("competition", "竞争程度", "degree of competition", "opportunity", True),
    Indicator("customer_value", "客户价值", "customer value", "customer", False),
    Indicator("customer_risk", "客户风险程度", "customer risk", "customer", True),
    Indicator("customer_activity", "客户活跃程度", "customer activity", "customer", False),
)
_INDICATOR_CODES = tuple(i.code for i in GRADE_INDICATORS)
GRADE_INDICATOR = glossary.Vocabulary("grade_indicator", {i.code: (i.zh, i.en) for i in GRADE_INDICATORS},
                                      what=("indicator", "指标"), error_code="UNKNOWN_INDICATOR")

# Saaty (1980) The Analytic Hierarchy Process, random consistency index RI for n = 1 … 15.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                                  9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp_weights`."""

    weights: Any
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    random_index: float

    @property
    def consistent(self) -> bool:
        """Saaty's rule: consistency ratio below 0.1."""
        return self.consistency_ratio < 0.1


@computes("ahp", "层次分析法权重与一致性比率", "AHP weights and consistency ratio")
def ahp_weights(pairwise, max_cr: float | None = 0.1, tol: float = 0.05) -> AHPResult:
    """AHP weights (层次分析法) from a pairwise comparison matrix: the principal eigenvector.

    Textbook task 7 §7.1.2 ② step (4) asks for the 8 indicator weights by AHP; the method is
    Saaty's (1980): ``A w = λmax w`` with ``w`` scaled to sum 1, consistency index
    ``CI = (λmax − n)/(n − 1)``, consistency ratio ``CR = CI / RI(n)`` with Saaty's random index
    (:data:`RANDOM_INDEX`; CR = 0 for n ≤ 2). The eigenvector comes from ``numpy.linalg.eig``.

    Parameters
    ----------
    pairwise : square reciprocal matrix (``a[i, j]`` = importance of i over j on Saaty's 1–9
        scale, ``a[j, i] = 1 / a[i, j]``); an array or a DataFrame with the same labels on the
        index and columns.
    max_cr : refuse matrices with ``CR ≥ max_cr`` by raising :class:`InconsistentJudgements`
        (its ``result`` attribute still holds the numbers). ``None`` accepts any matrix.
    tol : tolerance of the reciprocity check ``|a[i, j] · a[j, i] − 1| ≤ tol`` and of the unit
        diagonal, so judgements typed with two decimals (0.33 for 1/3, 0.14 for 1/7) pass.

    Returns
    -------
    AHPResult with ``weights`` (a Series named like the DataFrame's labels, or an array),
    ``lambda_max``, ``consistency_index``, ``consistency_ratio`` and ``random_index``.

    Raises
    ------
    InvalidValue (a ValueError) when the matrix is not square, not positive, has a diagonal
    other than 1 or is not reciprocal.

    Examples
    --------
    >>> A = [[1, 3, 5, 7], [1/3, 1, 3, 5], [1/5, 1/3, 1, 3], [1/7, 1/5, 1/3, 1]]
    >>> r = ahp_weights(A)
    >>> r.weights.round(3).tolist(), round(r.lambda_max, 3), round(r.consistency_ratio, 3)
    ([0.565, 0.262, 0.118, 0.055], 4.117, 0.043)
    """
    labels = None
    if isinstance(pairwise, pd.DataFrame):
        if list(pairwise.index) != list(pairwise.columns):
            raise InvalidValue("AHP_LABELS", "the DataFrame needs the same labels, in the same order, on index and columns",
                               "判断矩阵的行标签与列标签必须相同且顺序一致")
        labels = pairwise.index
        values = pairwise.to_numpy()
    else:
        values = pairwise
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValue("AHP_NOT_NUMERIC", "the pairwise matrix must hold numbers", "判断矩阵必须是数值") from None
    n = a.shape[0] if a.ndim == 2 else 0
    if a.ndim != 2 or a.shape[0] != a.shape[1] or n == 0:
        raise InvalidValue("AHP_NOT_SQUARE", f"the pairwise matrix must be square, got shape {a.shape}",
                           f"判断矩阵必须是方阵，得到形状 {a.shape}")
    if n > max(RANDOM_INDEX):
        raise InvalidValue("AHP_TOO_LARGE", f"Saaty's random index is tabulated up to n = {max(RANDOM_INDEX)}",
                           f"随机一致性指标 RI 只列到 n = {max(RANDOM_INDEX)}")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise InvalidValue("AHP_NOT_POSITIVE", "every entry of the pairwise matrix must be a positive number",
                           "判断矩阵的每个元素都必须是正数")
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=tol):
        raise InvalidValue("AHP_DIAGONAL", "the diagonal of the pairwise matrix must be 1", "判断矩阵对角线必须为 1")
    bad = np.argwhere(np.abs(a * a.T - 1.0) > tol)
    if len(bad):
        i, j = bad[0]
        raise InvalidValue("AHP_NOT_RECIPROCAL",
                           f"the matrix is not reciprocal: a[{i},{j}] × a[{j},{i}] = {a[i, j] * a[j, i]:.4g}, not 1",
                           f"判断矩阵不满足互反性：a[{i},{j}] × a[{j},{i}] = {a[i, j] * a[j, i]:.4g} ≠ 1")
    eigenvalues, vectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lam = float(eigenvalues[k].real)
    ri = RANDOM_INDEX[n]
    ci = max((lam - n) / (n - 1), 0.0) if n > 2 else 0.0
    cr = ci / ri if ri > 0 else 0.0
    weights = pd.Series(w, index=labels, name="weight") if labels is not None else w
    result = AHPResult(weights, lam, ci, cr, ri)
    if max_cr is not None and cr >= max_cr:
        raise InconsistentJudgements("AHP_INCONSISTENT",
                                     f"consistency ratio CR = {cr:.3f} ≥ {max_cr}: revise the judgements",
                                     f"一致性比率 CR = {cr:.3f} ≥ {max_cr}，判断矩阵需要调整", result)
    return result


# Task 7 §7.1.2 ② step (2): top grade if annual revenue is above 50万 / 30万 / 10万, bottom grade if
# below 10万 / 5万 / 2万 (annual contract revenue including one-off fees). The numbers are the
# textbook's; pairing them into three branch tiers (province / city / county) is crmlab's reading.
PRESCREEN: dict[str, tuple[float, float]] = {
    "province": (500_000.0, 100_000.0),
    "city": (300_000.0, 50_000.0),
    "county": (100_000.0, 20_000.0),
}
PRESCREEN_TIER = glossary.Vocabulary("prescreen_tier", {
    "province": ("省级", "province", ("省",)),
    "city": ("市级", "city", ("市",)),
    "county": ("县级", "county", ("县", "区县")),
}, what=("tier", "层级"), error_code="UNKNOWN_TIER")

# Levels 一级 重大 / 二级 重要 / 三级 普通 (task 7 §7.1.2 ①); the cut-offs (table 7-2 is lost) and the
# time limits (working days to respond) are crmlab's defaults, not the textbook's.
GRADE_LEVELS: dict[str, tuple[str, str]] = {
    "major": ("一级", "重大"),
    "important": ("二级", "重要"),
    "ordinary": ("三级", "普通"),
}
GRADE_LEVEL = glossary.Vocabulary("grade_level", {code: (a, code, (b,)) for code, (a, b) in GRADE_LEVELS.items()},
                                  what=("grade level", "商机级别"), error_code="UNKNOWN_LEVEL")
GRADE_CUTS = (3.0, 4.0)
TIME_LIMITS: dict[str, int] = {"major": 1, "important": 3, "ordinary": 7}


@computes("opportunity_grade", "商机等级", "opportunity grade")
def prescreen(annual_revenue, tier: str = "city", social_impact: bool = False):
    """Pre-screen grade from annual revenue (task 7 §7.1.2 ② step 2): ``major``, ``ordinary`` or None.

    Above the tier's top threshold (or with a large social impact) the opportunity is graded
    ``major`` (一级) directly; below the bottom threshold ``ordinary`` (三级); otherwise ``None``
    and the 8-indicator score decides. Thresholds in :data:`PRESCREEN` (元).

    >>> prescreen(600_000, tier="province"), prescreen(15_000, tier="县"), prescreen(80_000)
    ('major', 'ordinary', None)
    """
    revenue = _amount(annual_revenue, "annual_revenue")
    key = PRESCREEN_TIER.get(tier)
    if key is None:
        raise UnknownLabel("UNKNOWN_TIER", f"unknown tier {tier!r}; use province, city or county",
                           f"未知的层级 {tier!r}，可用：省 / 市 / 县")
    top, bottom = PRESCREEN[key]
    if social_impact or revenue > top:
        return "major"
    if revenue < bottom:
        return "ordinary"
    return None


def _indicator_vector(x, what: str) -> np.ndarray:
    if isinstance(x, AHPResult):
        x = x.weights
    if isinstance(x, Mapping) or isinstance(x, pd.Series):
        items = dict(x.items())
        keys = {}
        for k in items:
            code = GRADE_INDICATOR.get(k)
            if code is None:
                raise UnknownLabel("UNKNOWN_INDICATOR", f"unknown indicator {k!r}; use {list(_INDICATOR_CODES)}",
                                   f"未知的指标 {k!r}，可用：{[i.zh for i in GRADE_INDICATORS]}")
            keys[code] = items[k]
        missing = [c for c in _INDICATOR_CODES if c not in keys]
        if missing:
            raise InvalidValue("MISSING_INDICATOR", f"{what}: missing indicators {missing}", f"{what} 缺少指标 {missing}")
        values = [keys[c] for c in _INDICATOR_CODES]
    else:
        values = list(np.ravel(np.asarray(x, dtype=object)))
        if len(values) != len(_INDICATOR_CODES):
            raise InvalidValue("INDICATOR_COUNT", f"{what}: need 8 values (one per indicator), got {len(values)}",
                               f"{what} 需要 8 个值（每个指标一个），得到 {len(values)} 个")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValue("NOT_NUMERIC", f"{what} must be numbers", f"{what} 必须是数值") from None
    if not np.isfinite(arr).all():
        raise InvalidValue("NOT_NUMERIC", f"{what} must be finite numbers", f"{what} 必须是有限数值")
    return arr


def grade_score(scores, weights, oriented: bool = True):
    """Opportunity grade G = Σ wᵢ·xᵢ over the 8 indicators (task 7 §7.1.2 ② step 5).

    The printed formula is lost; the weighted sum is the reading of "(w1, …, w8)" plus AHP.

    Parameters
    ----------
    scores : 8 scores on 1–5, as a sequence in :data:`GRADE_INDICATORS` order, a dict/Series
        keyed by indicator code or Chinese name, or a DataFrame with one column per indicator
        (then a Series of scores is returned).
    weights : 8 non-negative weights summing to 1 (a sequence, dict, Series or
        :class:`AHPResult`).
    oriented : True when 5 is already the favourable end for every indicator; False to
        reverse-code difficulty, competition and customer risk (x → 6 − x) first.

    >>> w = [.20, .10, .15, .10, .10, .15, .10, .10]
    >>> round(grade_score([5, 4, 5, 3, 3, 5, 4, 4], w), 2)
    4.3
    """
    w = _indicator_vector(weights, "weights")
    if (w < 0).any() or abs(w.sum() - 1.0) > 1e-6:
        raise InvalidValue("WEIGHTS_SUM", f"weights must be ≥ 0 and sum to 1, got sum {w.sum():.6g}",
                           f"权重必须非负且和为 1，当前和为 {w.sum():.6g}")
    reverse = np.array([i.reverse for i in GRADE_INDICATORS])
    if isinstance(scores, pd.DataFrame):
        cols = {}
        for c in scores.columns:
            code = GRADE_INDICATOR.get(c)
            if code is not None:
                cols[code] = c
        missing = [c for c in _INDICATOR_CODES if c not in cols]
        if missing:
            raise InvalidValue("MISSING_INDICATOR", f"scores: missing indicator columns {missing}",
                               f"评分表缺少指标列 {missing}")
        x = scores[[cols[c] for c in _INDICATOR_CODES]].to_numpy(dtype=float)
    else:
        x = _indicator_vector(scores, "scores")[None, :]
    if not np.isfinite(x).all() or (x < 1).any() or (x > 5).any():
        raise InvalidValue("SCORE_RANGE", "indicator scores must lie between 1 and 5", "指标评分必须在 1 到 5 之间")
    if not oriented:
        x = np.where(reverse, 6 - x, x)
    g = x @ w
    if isinstance(scores, pd.DataFrame):
        return pd.Series(g, index=scores.index, name="grade_score")
    return float(g[0])


@computes("opportunity_grade")
def grade_level(score, cuts: tuple[float, float] = GRADE_CUTS):
    """Level from the grade score: ``major`` (一级) if G ≥ 4.0, ``important`` (二级) if G ≥ 3.0,
    else ``ordinary`` (三级). Table 7-2 is lost; the cut-offs are crmlab's defaults.

    >>> grade_level(4.3), grade_level(3.2), grade_level(2.2)
    ('major', 'important', 'ordinary')
    >>> grade_level(pd.Series([4.0, 2.99])).tolist()
    ['major', 'ordinary']
    """
    low, high = cuts
    if isinstance(score, pd.Series):
        s = score.astype(float)
        return pd.Series(np.select([s >= high, s >= low], ["major", "important"], "ordinary"),
                         index=s.index, name="grade_level")
    g = float(score)
    return "major" if g >= high else "important" if g >= low else "ordinary"


@dataclass(frozen=True)
class GradeResult:
    """Result of :func:`grade_opportunity`."""

    score: float | None
    level: str
    decided_by: str
    time_limit_days: int

    @property
    def level_zh(self) -> str:
        """The level in Chinese, e.g. ``一级（重大）``."""
        a, b = GRADE_LEVELS[self.level]
        return f"{a}（{b}）"


@computes("opportunity_grade")
def grade_opportunity(scores=None, weights=None, annual_revenue=None, tier: str = "city",
                      social_impact: bool = False, oriented: bool = True) -> GradeResult:
    """Grade one opportunity: the revenue pre-screen first, otherwise the 8-indicator score.

    Follows the textbook's procedure (task 7 §7.1.2 ② steps 2–6); the levels' cut-offs and
    time limits are crmlab's defaults (:data:`GRADE_CUTS`, :data:`TIME_LIMITS`).

    >>> w = [.20, .10, .15, .10, .10, .15, .10, .10]
    >>> r = grade_opportunity([3, 3, 3, 4, 3, 3, 4, 3], w, annual_revenue=120_000)
    >>> round(r.score, 2), r.level_zh, r.decided_by, r.time_limit_days
    (3.2, '二级（重要）', 'score', 3)
    >>> grade_opportunity(annual_revenue=600_000, tier="province").level
    'major'
    """
    pre = None
    if annual_revenue is not None or social_impact:
        pre = prescreen(0 if annual_revenue is None else annual_revenue, tier, social_impact)
    if pre is not None:
        score = grade_score(scores, weights, oriented) if scores is not None else None
        return GradeResult(score, pre, "prescreen", TIME_LIMITS[pre])
    if scores is None or weights is None:
        raise InvalidValue("SCORES_REQUIRED", "the pre-screen did not decide: give the 8 scores and weights",
                           "预评估未能定级，请提供 8 项指标评分和权重")
    score = grade_score(scores, weights, oriented)
    level = grade_level(score)
    return GradeResult(score, level, "score", TIME_LIMITS[level])


def due_date(start, level, time_limits: Mapping[str, int] = TIME_LIMITS) -> pd.Timestamp:
    """Handling deadline: ``start`` plus the level's time limit in working days (Mon–Fri).

    The textbook says higher grades get shorter limits (task 7 §7.1.2 ② step 6); the numbers
    (1 / 3 / 7 working days) are crmlab's defaults.

    >>> due_date("2024-03-01", "一级"), due_date("2024-03-01", "ordinary")   # a Friday
    (Timestamp('2024-03-04 00:00:00'), Timestamp('2024-03-12 00:00:00'))
    """
    key = GRADE_LEVEL.get(level)
    if key is None:
        raise UnknownLabel("UNKNOWN_LEVEL", f"unknown grade level {level!r}; use {list(GRADE_LEVELS)}",
                           f"未知的商机级别 {level!r}，可用：一级/二级/三级")
    day = np.datetime64(pd.Timestamp(_ts(start, "start")).date())
    return pd.Timestamp(np.busday_offset(day, int(time_limits[key]), roll="forward"))


def horizon(expected_close, as_of, near_days: int = 90) -> str:
    """``near`` (近期) or ``far`` (远期) by expected close date; 90 days is crmlab's cut-off.

    >>> horizon("2024-05-01", "2024-03-01"), horizon("2024-12-01", "2024-03-01")
    ('near', 'far')
    """
    days = (_ts(expected_close, "expected_close") - _ts(as_of, "as_of")).days
    return "near" if days <= near_days else "far"
