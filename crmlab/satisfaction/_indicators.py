"""The CSI three-level indicator system (task 8 §8.3.10 step 2) and Delphi weights (step 3)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ._errors import _error
from ._measures import _item_series, composite_score


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
