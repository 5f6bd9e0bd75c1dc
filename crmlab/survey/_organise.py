"""Organising and analysing responses (调查资料的整理与分析): cleaning, tables, χ², reliability, report.

Textbook task 3 §3.4: the four checks of the material (准确性 accuracy, 完整性 completeness — no
duplicates or omissions —, 可比性 comparability, 时间性 timeliness), tabulation (列表分析), the
descriptive and exploratory analyses, and the survey report (专门报告 / 综合报告 with three blocks:
背景材料, 调查事实, 分析与建议).

Bad responses never crash a lab: :func:`clean_responses` flags, counts and keeps them out, and its
report lists every dropped row with its reason, so kept + dropped = input.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import bilingual, fail
from ._likert import LIKERT_5, LIKERT_7, _is_missing, _norm, code_likert
from ..shortcuts import computes

__all__ = ["REASONS", "CleaningResult", "clean_responses", "likert_items", "frequency_table", "likert_table",
           "describe_items", "crosstab", "chi_square", "cronbach_alpha", "item_total", "REPORT_FORMS",
           "REPORT_BLOCKS", "report_skeleton"]

#: Reasons for dropping a response, in the order they are checked (the first that applies is the
#: row's ``reason``; ``reasons`` lists them all).
REASONS: dict[str, str] = {
    "duplicate_id": "编号重复",
    "duplicate": "重复答卷",
    "incomplete": "答卷不完整",
    "out_of_range": "答案超出范围",
    "straight_lined": "直线作答（所有题目选同一答案）",
}


@dataclass
class CleaningResult:
    """What :func:`clean_responses` returns.

    Attributes
    ----------
    kept : the clean responses (original values, original index).
    dropped : the dropped responses (original values, original index).
    report : one row per dropped response: ``id``, ``reason``, ``reason_zh``, ``detail`` and
        ``reasons`` (every problem found, ``;``-separated).
    n_input : number of responses given.
    """
    kept: pd.DataFrame
    dropped: pd.DataFrame
    report: pd.DataFrame
    n_input: int

    def summary(self) -> pd.Series:
        """Counts: input, kept, dropped, and dropped per reason (kept + dropped = input)."""
        counts = self.report["reason"].value_counts().reindex(list(REASONS), fill_value=0)
        head = pd.Series({"input": self.n_input, "kept": len(self.kept), "dropped": len(self.dropped)})
        return pd.concat([head, counts]).astype(int).rename("responses")

    def ids(self, reason: str) -> list:
        """Ids of the responses dropped for ``reason`` (their first reason)."""
        if reason not in REASONS:
            raise fail(f"unknown reason {reason!r}; reasons: {', '.join(REASONS)}", f"未知原因 {reason!r}")
        return self.report.loc[self.report["reason"] == reason, "id"].tolist()

    def to_markdown(self) -> str:
        """The cleaning report as Markdown (for the survey report's data-quality note)."""
        s = self.summary()
        lines = [f"- 收回答卷 responses received: {s['input']}", f"- 有效答卷 kept: {s['kept']}",
                 f"- 剔除 dropped: {s['dropped']}"]
        lines += [f"  - {REASONS[r]} {r}: {s[r]}" for r in REASONS if s[r]]
        return "\n".join(lines)


def likert_items(responses: pd.DataFrame, levels: int = 5, share: float = 0.5) -> list[str]:
    """Columns that hold Likert answers: at least ``share`` of their non-blank values are scale labels.

    >>> frame = pd.DataFrame({"id": ["R1", "R2"], "q1": ["满意", "一般"], "note": ["", "ok"]})
    >>> likert_items(frame)
    ['q1']
    """
    out = []
    for col in responses.columns:
        s = responses[col]
        if s.dtype.kind in "biufcmM":
            continue
        try:
            counts = s.value_counts(dropna=True)
        except TypeError:               # unhashable cells: not a Likert column
            continue
        if len(counts) > 10 * levels:   # a scale has `levels` labels plus a few typos, not hundreds
            continue
        answered = counts[~pd.Series(counts.index, dtype=object).map(_is_missing).to_numpy()]
        if answered.sum() == 0:
            continue
        known = code_likert(pd.Series(answered.index, dtype=object), levels).notna().to_numpy()
        if answered[known].sum() / answered.sum() >= share:
            out.append(col)
    return out


def _ids(responses: pd.DataFrame, id_col: str | None) -> pd.Series:
    if id_col is None:
        return pd.Series(responses.index, index=responses.index)
    if id_col not in responses.columns:
        raise fail(f"no id column {id_col!r}; pass id_col=None to use the row index",
                   f"没有编号列 {id_col!r}；如用行索引请设 id_col=None")
    return responses[id_col]


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Vectorised missing test: NaN/None or blank text (also 'nan', 'None', '<NA>')."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        text = s.astype(str).str.strip().str.casefold()
        out[c] = s.isna() | text.isin(["", "nan", "none", "<na>", "nat"])
    return pd.DataFrame(out, index=frame.index)


def _normalised(s: pd.Series) -> pd.Series:
    """Labels normalised for comparison (missing → NaN), computed once per distinct value."""
    cache: dict = {}
    out = []
    for v in s.to_numpy(dtype=object):
        try:
            hit = cache.get((type(v), v), None)
        except TypeError:
            out.append(repr(v))
            continue
        if hit is None:
            hit = np.nan if _is_missing(v) else _norm(v)
            cache[(type(v), v)] = hit
        out.append(hit)
    return pd.Series(out, index=s.index, dtype=object)


@computes("response_checks", "答卷审核（重复、不完整、超范围、直线作答）", "checking responses")
def clean_responses(responses: pd.DataFrame, items: Sequence[str] | None = None, *,
                    id_col: str | None = "response_id", levels: int = 5, scale: Mapping[str, int] | None = None,
                    required: Sequence[str] | None = None, ranges: Mapping[str, tuple] | None = None,
                    duplicate_subset: Sequence[str] | None = None, straight_min_items: int = 3) -> CleaningResult:
    """Check every response and keep out the bad ones, reporting each with its reason (审核).

    Textbook task 3 §3.4 (资料检校: accuracy and completeness — "no duplicates or omissions").
    Checks, in this order (a row's ``reason`` is the first that applies):

    1. ``duplicate_id`` — the id was already used by an earlier row;
    2. ``duplicate`` — an exact copy of an earlier response (all columns except the id, or
       ``duplicate_subset``); the first copy is kept;
    3. ``incomplete`` — a ``required`` answer (default: every item) is blank;
    4. ``out_of_range`` — an item answer that is not on the scale (an unknown label, ``"6"`` on a
       5-level scale, a 7-level label such as 非常满意 on a 5-level scale), or a value outside
       ``ranges`` (``{"recommend_0_10": (0, 10)}``);
    5. ``straight_lined`` — every answered item has the same answer (at least
       ``straight_min_items`` items; needs 3 or more items).

    Parameters
    ----------
    responses : the raw response table (never changed).
    items : the Likert item columns; by default every column whose answers are mostly scale
        labels (:func:`likert_items`).
    id_col : the response id column (``None``: the row index).
    levels, scale : the Likert scale, as in :func:`code_likert`.

    Returns
    -------
    CleaningResult with ``kept``, ``dropped``, ``report`` (every dropped id and why) and
    ``summary()``. Nothing is lost: ``len(kept) + len(dropped) == len(responses)``.

    Examples
    --------
    >>> raw = pd.DataFrame({"response_id": ["R1", "R2", "R3", "R4", "R5"],
    ...                     "q1": ["满意", "很满意", "", "满意", "满意"],
    ...                     "q2": ["一般", "满意", "满意", "6", "满意"],
    ...                     "q3": ["满意", "一般", "一般", "满意", "满意"]})
    >>> result = clean_responses(raw)
    >>> result.report[["id", "reason", "detail"]].values.tolist()
    [['R3', 'incomplete', 'blank: q1'], ['R4', 'out_of_range', "q2='6'"], ['R5', 'straight_lined', "all 3 items '满意'"]]
    >>> result.summary()[["input", "kept", "dropped"]].tolist()
    [5, 2, 3]
    """
    if not isinstance(responses, pd.DataFrame):
        raise fail("responses must be a DataFrame", "答卷必须是 DataFrame")
    ids = _ids(responses, id_col)
    if items is None:
        items = [c for c in likert_items(responses, levels) if c != id_col]
    items = list(items)
    missing_cols = [c for c in [*items, *(required or []), *(ranges or {}), *(duplicate_subset or [])]
                    if c not in responses.columns]
    if missing_cols:
        raise fail(f"columns not in the responses: {missing_cols}", f"答卷中没有这些列：{missing_cols}")
    required = items if required is None else list(required)
    n = len(responses)
    problems: dict[int, dict[str, str]] = {}
    id_values = ids.to_numpy(dtype=object)
    item_values = responses[items].to_numpy(dtype=object) if items else None

    def note(i: int, reason: str, text: str) -> None:
        p = problems.setdefault(int(i), {})
        p[reason] = "; ".join(x for x in (p.get(reason), text) if x)

    # 1. duplicate ids
    if id_col is not None:
        for i in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):
            note(i, "duplicate_id", f"id {id_values[i]} used by an earlier row")
    # 2. duplicate submissions (the first copy is kept)
    subset = list(duplicate_subset) if duplicate_subset is not None else \
        [c for c in responses.columns if c != id_col]
    if subset and n:
        group = responses[subset].astype(str).groupby(subset, sort=False, dropna=False).ngroup()
        first = pd.Series(np.arange(n), index=responses.index).groupby(group.to_numpy()).transform("first").to_numpy()
        for i in np.flatnonzero(first != np.arange(n)):
            note(i, "duplicate", f"copy of {id_values[first[i]]}")
    # 3. incomplete
    if required:
        blank = _blank(responses[required]).to_numpy()
        for i in np.flatnonzero(blank.any(axis=1)):
            note(i, "incomplete", "blank: " + ", ".join(c for c, b in zip(required, blank[i]) if b))
    # 4. out of range
    if items:
        _, flags = code_likert(responses[items], levels, scale=scale, return_flags=True)
        flags = flags.to_numpy()
        for i in np.flatnonzero(flags.any(axis=1)):
            note(i, "out_of_range", ", ".join(f"{c}={v!r}" for c, v, b in zip(items, item_values[i], flags[i]) if b))
    for col, (lo, hi) in (ranges or {}).items():
        num = pd.to_numeric(responses[col], errors="coerce").to_numpy(dtype=float)
        raw_values = responses[col].to_numpy(dtype=object)
        answered = ~_blank(responses[[col]]).to_numpy()[:, 0]
        with np.errstate(invalid="ignore"):
            bad_value = answered & (np.isnan(num) | (num < lo) | (num > hi))
        for i in np.flatnonzero(bad_value):
            note(i, "out_of_range", f"{col}={raw_values[i]!r} not in {lo}–{hi}")
    # 5. straight-lining: every answered item has the same (normalised) label
    if len(items) >= 3 and n:
        norm = pd.DataFrame({c: _normalised(responses[c]) for c in items})
        first_label = norm.bfill(axis=1).iloc[:, 0]
        same = (norm.eq(first_label, axis=0) | norm.isna()).all(axis=1).to_numpy()
        count = norm.notna().sum(axis=1).to_numpy()
        for i in np.flatnonzero(same & (count >= max(3, straight_min_items))):
            shown = next(str(v).strip() for v in item_values[i] if not _is_missing(v))
            note(i, "straight_lined", f"all {count[i]} items {shown!r}")

    rows = []
    bad = np.zeros(n, dtype=bool)
    for i in sorted(problems):
        p = problems[i]
        bad[i] = True
        reason = next(r for r in REASONS if r in p)
        rows.append((id_values[i], reason, REASONS[reason], p[reason], ";".join(r for r in REASONS if r in p)))
    report = pd.DataFrame(rows, columns=["id", "reason", "reason_zh", "detail", "reasons"])
    kept, dropped = responses[~bad].copy(), responses[bad].copy()
    if len(kept) + len(dropped) != n or len(report) != len(dropped):  # pragma: no cover - invariant
        raise RuntimeError(bilingual("cleaning lost rows; please report this bug", "清洗丢失了数据行，请报告此错误"))
    return CleaningResult(kept, dropped, report, n)


# -- tables ------------------------------------------------------------------------------------
def frequency_table(values, order: Sequence | None = None) -> pd.DataFrame:
    """Frequency table (频数分布表): count, percent and cumulative percent of the answered values.

    ``order`` fixes the row order (e.g. ``list(LIKERT_5)`` high → low) and shows zero counts;
    blank answers are counted in a last row ``(missing)`` and left out of the percentages.

    >>> table = frequency_table(pd.Series(["满意", "一般", "满意", ""]), order=["很满意", "满意", "一般"])
    >>> table.index.tolist(), table["n"].tolist(), table["percent"].tolist()[:3]
    (['很满意', '满意', '一般', '(missing)'], [0, 2, 1, 1], [0.0, 66.7, 33.3])
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    miss = s.map(_is_missing)
    answered = s[~miss]
    counts = answered.value_counts(sort=order is None)
    if order is not None:
        counts = counts.reindex(list(order) + [x for x in counts.index if x not in list(order)], fill_value=0)
    total = counts.sum()
    pct = (counts / total * 100).round(1) if total else counts * np.nan
    table = pd.DataFrame({"n": counts.astype(int), "percent": pct, "cum_percent": pct.cumsum().round(1)})
    table.index = table.index.astype(object)
    table.index.name = None
    if miss.any():
        table.loc["(missing)"] = [int(miss.sum()), np.nan, np.nan]
        table["n"] = table["n"].astype(int)
    return table


def likert_table(responses: pd.DataFrame, items: Sequence[str], levels: int = 5) -> pd.DataFrame:
    """Item × answer table of a Likert battery: percent choosing each label (high → low), n and mean.

    Unknown labels count as missing (clean the data first to see them).

    >>> frame = pd.DataFrame({"q1": ["很满意", "满意", "满意", "一般"], "q2": ["一般", "一般", "不满意", "很满意"]})
    >>> likert_table(frame, ["q1", "q2"])[["很满意", "满意", "一般", "n", "mean"]]
         很满意    满意    一般  n  mean
    q1  25.0  50.0  25.0  4  4.00
    q2  25.0   0.0  50.0  4  3.25
    """
    labels = list(LIKERT_5 if levels == 5 else LIKERT_7)
    codes = code_likert(responses[list(items)], levels)
    rows = {}
    for col in items:
        c = codes[col].dropna()
        share = [(c == levels - k).mean() * 100 if len(c) else np.nan for k in range(levels)]
        rows[col] = [round(x, 1) for x in share] + [len(c), round(c.mean(), 2) if len(c) else np.nan]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=labels + ["n", "mean"])
    out["n"] = out["n"].astype(int)
    return out


@computes("top2_box", "满意及以上占比（前两级占比）", "top-2-box share")
def describe_items(coded: pd.DataFrame, items: Sequence[str] | None = None, levels: int | None = None) -> pd.DataFrame:
    """Descriptive statistics of coded items (集中趋势、离散程度): n, mean, std, median, min, max.

    With ``levels`` also ``top2`` — the share (%) answering one of the two best levels.

    >>> describe_items(pd.DataFrame({"q1": [5, 4, 4, 3], "q2": [3, 3, 2, 5]}), levels=5)
        n  mean   std  median  min  max  top2
    q1  4  4.00  0.82     4.0  3.0  5.0  75.0
    q2  4  3.25  1.26     3.0  2.0  5.0  25.0
    """
    items = list(coded.columns) if items is None else list(items)
    frame = coded[items]
    bad = [c for c in items if frame[c].dtype.kind not in "biuf"]
    if bad:
        raise fail(f"columns {bad} are not numeric; code them first (code_likert or Questionnaire.encode)",
                   f"列 {bad} 不是数值，请先编码（code_likert 或 Questionnaire.encode）")
    out = pd.DataFrame({"n": frame.count(), "mean": frame.mean().round(2), "std": frame.std().round(2),
                        "median": frame.median(), "min": frame.min().astype(float), "max": frame.max().astype(float)})
    if levels is not None:
        out["top2"] = ((frame >= levels - 1).sum() / frame.count() * 100).round(1)
    return out


def crosstab(responses: pd.DataFrame, row: str, col: str, percent: str | None = None,
             margins: bool = True) -> pd.DataFrame:
    """Cross-tabulation (横向列表/交叉表) of two answers; ``percent`` = ``"row"``, ``"col"`` or ``"all"``.

    Blank answers are left out.

    >>> frame = pd.DataFrame({"sex": ["男", "女", "男", "女"], "buy": ["是", "是", "否", "是"]})
    >>> table = crosstab(frame, "sex", "buy")
    >>> table.index.tolist(), table.columns.tolist(), table.values.tolist()
    (['女', '男', '合计'], ['否', '是', '合计'], [[0, 2, 2], [1, 1, 2], [1, 3, 4]])
    >>> crosstab(frame, "sex", "buy", percent="row").loc["男", "是"]
    np.float64(50.0)
    """
    for c in (row, col):
        if c not in responses.columns:
            raise fail(f"no column {c!r}", f"没有列 {c!r}")
    data = responses[[row, col]]
    data = data[~data[row].map(_is_missing) & ~data[col].map(_is_missing)]
    normalize = {None: False, "row": "index", "col": "columns", "all": "all"}
    if percent not in normalize:
        raise fail(f"percent must be None, 'row', 'col' or 'all', got {percent!r}", "percent 只能是 None/row/col/all")
    table = pd.crosstab(data[row], data[col], margins=margins, margins_name="合计", normalize=normalize[percent])
    return (table * 100).round(1) if percent else table


@computes("chi_square", "卡方检验", "chi-square test")
def chi_square(responses: pd.DataFrame, row: str | None = None, col: str | None = None, *,
               correction: bool = True) -> pd.Series:
    """χ² test of independence of two answers (假设检验), with Cramér's V (scipy).

    Give a response table and two columns, or a contingency table of counts as ``responses``.
    ``correction`` applies Yates' continuity correction to 2 × 2 tables (scipy's default).
    Returns ``chi2``, ``dof``, ``p``, ``cramers_v``, ``n``, ``min_expected`` and
    ``cells_below_5`` (the share of expected counts under 5; above 0.2 the test is unreliable).

    >>> table = pd.DataFrame([[30, 10], [20, 40]], index=["男", "女"], columns=["是", "否"])
    >>> chi_square(table).round(4)[["chi2", "dof", "p"]].tolist()
    [15.0417, 1.0, 0.0001]
    """
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    if row is None and col is None:
        table = responses
    else:
        table = crosstab(responses, row, col, margins=False)
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or min(counts.shape) < 2:
        raise fail("a χ² test needs at least a 2 × 2 table", "χ² 检验至少需要 2 × 2 的列联表")
    if (counts < 0).any() or counts.sum() == 0:
        raise fail("the table must hold non-negative counts", "列联表必须是非负频数")
    res = chi2_contingency(counts, correction=correction)
    expected = res.expected_freq
    return pd.Series({"chi2": float(res.statistic), "dof": float(res.dof), "p": float(res.pvalue),
                      "cramers_v": float(association(counts.astype(int), method="cramer")),
                      "n": float(counts.sum()), "min_expected": float(expected.min()),
                      "cells_below_5": float((expected < 5).mean())}, name="chi_square")


# -- reliability ----------------------------------------------------------------------------------
def _numeric_items(items: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        raise fail("items must be a DataFrame with one column per item", "items 必须是每题一列的 DataFrame")
    bad = [c for c in items.columns if items[c].dtype.kind not in "biuf"]
    if bad:
        raise fail(f"columns {bad} are not numeric; code the answers first with code_likert",
                   f"列 {bad} 不是数值，请先用 code_likert 编码")
    if items.shape[1] < 2:
        raise fail("reliability needs at least 2 items", "信度分析至少需要 2 道题")
    return items.astype(float)


@computes("cronbach_alpha", "克朗巴赫 α 系数", "Cronbach's alpha")
def cronbach_alpha(items: pd.DataFrame, nan_policy: str = "listwise") -> float:
    """Cronbach's α (信度系数): α = k/(k − 1) · (1 − Σ s²ᵢ / s²ₜ).

    k items, s²ᵢ the variance of item i, s²ₜ the variance of the total score (sample variances).
    Written out by hand so that students see the formula (standard method, Cronbach 1951; not in
    the textbook). ``nan_policy="listwise"`` (default) uses only complete responses;
    ``"pairwise"`` uses each pair's complete responses in the covariance matrix (as pingouin).
    Returns NaN when the total score does not vary.

    >>> round(cronbach_alpha(pd.DataFrame({"q1": [5, 4, 4, 3, 2], "q2": [4, 4, 5, 3, 2], "q3": [5, 3, 4, 2, 2]})), 3)
    0.929
    """
    frame = _numeric_items(items)
    if nan_policy == "listwise":
        frame = frame.dropna()
    elif nan_policy != "pairwise":
        raise fail(f"nan_policy must be 'listwise' or 'pairwise', got {nan_policy!r}",
                   "nan_policy 只能是 'listwise' 或 'pairwise'")
    if len(frame) < 2:
        raise fail("reliability needs at least 2 complete responses", "信度分析至少需要 2 份完整答卷")
    k = frame.shape[1]
    cov = frame.cov().to_numpy()              # item variances on the diagonal
    total_var = cov.sum()                     # variance of the total score = sum of all covariances
    if not total_var > 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total_var))


def item_total(items: pd.DataFrame) -> pd.DataFrame:
    """Item analysis: mean, corrected item–total correlation and α if the item were deleted.

    The corrected item–total correlation is the Pearson correlation of an item with the sum of
    the *other* items (complete responses only). An item with a low or negative correlation, or
    whose deletion raises α, does not measure the same thing as the rest (or is reverse-worded and
    not yet turned round).

    >>> item_total(pd.DataFrame({"q1": [5, 4, 4, 3, 2], "q2": [4, 4, 5, 3, 2], "q3": [5, 3, 4, 2, 1],
    ...                          "q4": [1, 3, 2, 4, 5]}))          # q4 is worded the other way round
        mean  item_total_r  alpha_if_deleted
    q1   3.6         0.808            -5.769
    q2   3.6         0.808            -5.769
    q3   3.0         0.567            -9.429
    q4   3.0        -0.983             0.942
    """
    frame = _numeric_items(items).dropna()
    if len(frame) < 2:
        raise fail("item analysis needs at least 2 complete responses", "项目分析至少需要 2 份完整答卷")
    total = frame.sum(axis=1)
    rows = {}
    for c in frame.columns:
        rest = total - frame[c]
        r = frame[c].corr(rest) if frame[c].std() > 0 and rest.std() > 0 else np.nan
        alpha = cronbach_alpha(frame.drop(columns=c)) if frame.shape[1] > 2 else np.nan
        rows[c] = (round(frame[c].mean(), 2), round(r, 3), round(alpha, 3))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "item_total_r", "alpha_if_deleted"])


# -- report ----------------------------------------------------------------------------------------
#: The two report forms (textbook task 3 §3.4 item 5).
REPORT_FORMS = ("专门报告", "综合报告")
#: The three blocks of a survey report (task 3 §3.4) with the usual contents of the lost table 3‑3
#: (NOT IN SOURCE: a common textbook version; the teacher should confirm it).
REPORT_BLOCKS: dict[str, tuple[str, ...]] = {
    "背景材料": ("调查目的", "调查对象与范围", "调查方法", "样本", "调查时间"),
    "调查事实": ("数据结果", "图表"),
    "分析与建议": ("结论", "存在的问题", "对策建议"),
}


def report_skeleton(title: str, form: str = "专门报告", *, content: Mapping[str, str] | None = None,
                    cleaning: CleaningResult | None = None, alpha: float | None = None) -> str:
    """A survey report skeleton in Markdown (调查报告): the textbook's three blocks, ready to fill in.

    Textbook task 3 §3.4 item 5: two forms (专门报告 special, 综合报告 comprehensive) and three
    blocks (背景材料, 调查事实, 分析与建议). The sub-headings are the usual contents of the lost
    table 3‑3 (not in our copy of the source). ``content`` fills sub-headings by name; a
    ``cleaning`` result and a reliability ``alpha`` are written into the facts block.

    >>> print(report_skeleton("满意度调查", content={"调查目的": "了解顾客满意度"}).splitlines()[:6])
    ['# 满意度调查（专门报告）', '', '## 一、背景材料', '', '### 调查目的', '了解顾客满意度']
    """
    if form not in REPORT_FORMS:
        raise fail(f"form must be one of {REPORT_FORMS}, got {form!r}", f"报告形式只能是 {REPORT_FORMS}")
    content = dict(content or {})
    known = {s for subs in REPORT_BLOCKS.values() for s in subs}
    unknown = sorted(set(content) - known)
    if unknown:
        raise fail(f"unknown sections {unknown}; sections: {', '.join(sorted(known))}", f"未知的报告小节 {unknown}")
    extra = {}
    if cleaning is not None:
        extra["数据结果"] = "数据审核 Data check:\n" + cleaning.to_markdown()
    if alpha is not None:
        extra["数据结果"] = extra.get("数据结果", "") + f"\n- 信度 Cronbach's α = {alpha:.3f}"
    lines = [f"# {title}（{form}）", ""]
    for num, (block, subs) in zip("一二三", REPORT_BLOCKS.items()):
        lines += [f"## {num}、{block}", ""]
        for sub in subs:
            body = "\n".join(x for x in (extra.get(sub, "").strip(), content.get(sub, "").strip()) if x)
            lines += [f"### {sub}", body or "（待填写 to do）", ""]
    return "\n".join(lines)
