"""Data quality of an archive: row-level issues, the per-column report and :func:`validate_archive`."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab import glossary
from crmlab.shortcuts import computes
from ._catalogue import COLLECTION_METHOD, DECISION_ROLES, LEVELS, _COLUMN_BY_LABEL, _catalogue_entry
from ._errors import ArchiveError, _as_of, _blank_mask, _need_columns, _need_frame
from ._normalise import phone_valid


# --------------------------------------------------------------------------------------------
# Data quality: row-level issues and the per-column report
# --------------------------------------------------------------------------------------------
_ISSUE_TEXT = {
    "bad_phone": ("not a valid phone number", "电话号码格式无效"),
    "negative_amount": ("negative amount", "金额为负"),
    "not_a_number": ("not a number", "不是数值"),
    "bad_count": ("not a whole number ≥ 0", "不是非负整数"),
    "bad_date": ("not a date", "不是日期"),
    "future_date": ("date after as_of", "日期晚于分析日期"),
    "bad_year": ("implausible year", "年份不合理"),
    "unknown_label": ("label not in the vocabulary", "取值不在允许范围内"),
    "unknown_customer": ("customer not in the archive", "客户不在档案中"),
    "bad_bool": ("not yes/no", "不是是/否"),
    "duplicate_id": ("duplicated customer number", "客户编号重复"),
    "blank_id": ("blank customer number", "客户编号为空"),
    "blank_name": ("blank name", "名称为空"),
}
_BOOL_LABELS = {True, False, 1, 0, "true", "false", "True", "False", "是", "否", "yes", "no", "Y", "N"}


def _allowed_labels(c: Column):
    if c.code == "source_method":
        return COLLECTION_METHOD
    if c.code == "card_type":
        return glossary.CARD_TYPE
    if c.code == "decision_role":
        return DECISION_ROLES
    if c.code == "customer_stage":
        return set(_STAGE_LABELS)
    return set(c.allowed) if c.allowed else None


# behaviour stages of task 6 §6.1.2 3 (also crmlab.visits.BEHAVIOUR_STAGES)
_STAGE_LABELS = {"rapport", "initial_trust", "reliance", "action", "建立良好关系", "初步信任", "信赖", "行动和帮助"}


def _invalid_mask(values: pd.Series, c: Column, as_of: pd.Timestamp | None) -> tuple[pd.Series, pd.Series]:
    """(checked mask, problem code per row or None) for the non-blank values of one column."""
    blank = _blank_mask(values)
    checked = ~blank
    problem = pd.Series(None, index=values.index, dtype=object)
    v = values[checked]
    if c.kind == "phone":
        ok = phone_valid.__wrapped__(v.astype(object))
        problem[v.index[~ok.to_numpy()]] = "bad_phone"
    elif c.kind in ("amount", "count"):
        num = pd.to_numeric(v, errors="coerce")
        problem[num.index[num.isna()]] = "not_a_number"
        if c.kind == "amount":
            problem[num.index[num < 0]] = "negative_amount"
        else:
            problem[num.index[(num < 0) | (num.notna() & (num % 1 != 0))]] = "bad_count"
    elif c.kind == "date":
        d = v if pd.api.types.is_datetime64_any_dtype(v) else pd.to_datetime(v, errors="coerce", format="mixed")
        problem[d.index[d.isna()]] = "bad_date"
        if as_of is not None:
            problem[d.index[d > as_of]] = "future_date"
    elif c.kind == "year":
        num = pd.to_numeric(v, errors="coerce")
        top = as_of.year if as_of is not None else 2100
        problem[num.index[num.isna() | (num < 1900) | (num > top)]] = "bad_year"
    elif c.kind == "category":
        allowed = _allowed_labels(c)
        if allowed:
            bad = ~v.map(lambda x: (x.strip() if isinstance(x, str) else x) in allowed).astype(bool)
            problem[v.index[bad.to_numpy()]] = "unknown_label"
    elif c.kind == "bool":
        bad = ~v.map(lambda x: x in _BOOL_LABELS if not isinstance(x, float) else x in (0.0, 1.0)).astype(bool)
        problem[v.index[bad.to_numpy()]] = "bad_bool"
    elif c.kind == "id":
        problem[v.index[v.duplicated(keep=False).to_numpy()]] = "duplicate_id"
    return checked, problem


def quality_issues(df: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Every invalid cell of an archive frame, one row per problem, with a bilingual message.

    Columns are recognised through the catalogue (:func:`column_catalogue`, by code, Chinese
    name or alias) and checked by kind: phone numbers must be well formed (:func:`phone_valid`),
    amounts numeric and ≥ 0, counts whole numbers ≥ 0, dates readable (and not after ``as_of``
    when given), labels in the vocabulary, customer numbers unique and present. Columns not in
    the catalogue are not checked. Nothing is changed or dropped: this only reports.

    Returns
    -------
    DataFrame with ``row`` (index label), ``column``, ``value``, ``problem`` (code), ``en``, ``zh``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"customer_id": ["C1", "C2", "C2"], "phone": ["13800138000", "12345", None],
    ...                    "credit_limit": [1000, -50, 200]})
    >>> archive.quality_issues(df)[["row", "column", "value", "problem", "zh"]]
       row        column value          problem        zh
    0    1   customer_id    C2     duplicate_id    客户编号重复
    1    2   customer_id    C2     duplicate_id    客户编号重复
    2    1         phone 12345        bad_phone  电话号码格式无效
    3    1  credit_limit   -50  negative_amount      金额为负
    """
    _need_frame(df, "df")
    as_of = _as_of(as_of) if as_of is not None else None
    rows = []
    for col in df.columns:
        c = _catalogue_entry(col)
        if c is None:
            continue
        values = df[col]
        _, problem = _invalid_mask(values, c, as_of)
        if c.kind == "id":
            blank = _blank_mask(values)
            problem[blank] = "blank_id"
        if c.code == "name":
            problem[_blank_mask(values)] = "blank_name"
        for idx, code in problem.dropna().items():
            en, zh = _ISSUE_TEXT[code]
            rows.append({"row": idx, "column": col, "value": values.at[idx] if values.index.is_unique else None,
                         "problem": code, "en": en, "zh": zh})
    out = pd.DataFrame(rows, columns=["row", "column", "value", "problem", "en", "zh"])
    return out.astype({"value": object})


@computes("completeness", "档案资料完整度", "completeness of the archive")
def quality_report(df: pd.DataFrame, as_of=None, updated: str | None = None, fresh_days: int = 365) -> pd.DataFrame:
    """Data-quality report per column: completeness, validity and freshness.

    * ``completeness`` = non-blank cells / rows;
    * ``validity`` = valid / checked non-blank cells, by the column's kind in the catalogue
      (see :func:`quality_issues`); NaN for columns with no rule;
    * ``freshness`` = share of non-blank cells whose record was updated within ``fresh_days``
      before ``as_of``, the record date being the column ``updated`` (e.g. ``recorded_at``);
      NaN without ``updated`` or ``as_of``. The 365-day default follows the textbook's longest
      validity of a credit report (task 5 §5.2.2 2: 3 months to 1 year; applying it to every
      field is crmlab's choice). Records dated after ``as_of`` count as invalid, not fresh.

    Nothing is changed: invalid values are flagged here, never fixed or dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> df = pd.DataFrame({"name": ["甲", "乙", None, "丁"], "phone": ["13800138000", "+86 139 0000 0000", "123", None],
    ...                    "recorded_at": ["2025-06-01", "2023-01-01", "2025-05-01", "2025-01-01"]})
    >>> archive.quality_report(df, as_of="2025-06-30", updated="recorded_at")[
    ...     ["level", "completeness", "validity", "freshness"]]
                 level  completeness  validity  freshness
    column
    name             1          0.75       NaN   0.666667
    phone            1          0.75  0.666667   0.666667
    recorded_at      3          1.00  1.000000   0.750000
    """
    _need_frame(df, "df")
    as_of_ts = _as_of(as_of) if as_of is not None else None
    if fresh_days <= 0:
        raise ArchiveError("BAD_WINDOW", "fresh_days must be positive", "fresh_days 必须为正数")
    recent = None
    if updated is not None:
        _need_columns(df, [updated], "df")
        if as_of_ts is not None:
            rec = pd.to_datetime(df[updated], errors="coerce", format="mixed")
            recent = (rec <= as_of_ts) & (rec > as_of_ts - pd.Timedelta(days=fresh_days))
    n = len(df)
    rows = []
    for col in df.columns:
        c = _catalogue_entry(col)
        values = df[col]
        blank = _blank_mask(values)
        filled = int((~blank).sum())
        invalid = checked = 0
        validity = np.nan
        if c is not None and c.kind not in ("text",):
            checked_mask, problem = _invalid_mask(values, c, as_of_ts)
            checked = int(checked_mask.sum())
            invalid = int(problem.notna().sum())
            validity = (checked - invalid) / checked if checked else np.nan
        fresh = np.nan
        if recent is not None and filled:
            fresh = float((recent & ~blank).sum() / filled)
        rows.append({"column": col, "level": c.level if c else 0, "kind": c.kind if c else None, "n": n,
                     "filled": filled, "completeness": filled / n if n else np.nan, "checked": checked,
                     "invalid": invalid, "validity": validity, "freshness": fresh})
    return pd.DataFrame(rows).set_index("column")


def validate_archive(df: pd.DataFrame, level: int | Sequence[int] = 1, as_of=None,
                     errors: str = "raise") -> pd.DataFrame:
    """Check an archive frame against the catalogue; raise (or report) every problem.

    Checks: the columns a level requires are present (level 1: ``customer_id`` and ``name``;
    crmlab's minimum), and every recognised column passes :func:`quality_issues`. With
    ``errors="raise"`` (default) any problem raises :class:`ArchiveError` listing the first
    problems in English and Chinese; with ``errors="report"`` the issues frame is returned.
    The frame is never modified.

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> customers = datasets.load("customers")
    >>> archive.validate_archive(customers, errors="report")["problem"].value_counts().to_dict()
    {'duplicate_id': 24}
    >>> archive.validate_archive(customers.drop_duplicates()).empty
    True
    """
    _need_frame(df, "df")
    if errors not in ("raise", "report"):
        raise ArchiveError("BAD_OPTION", "errors must be 'raise' or 'report'", "errors 只能是 'raise' 或 'report'")
    levels = [level] if isinstance(level, int) else list(level)
    for lv in levels:
        if lv not in LEVELS:
            raise ArchiveError("BAD_LEVEL", f"level must be 1, 2 or 3, got {lv!r}", f"级别只能是 1、2 或 3，收到 {lv!r}")
    present = {c.code for c in (_catalogue_entry(col) for col in df.columns) if c is not None}
    required = {1: ["customer_id", "name"], 2: [], 3: []}
    missing = [r for lv in levels for r in required[lv] if r not in present]
    if missing:
        raise ArchiveError("MISSING_COLUMN", f"the archive lacks required column(s) {missing}",
                           f"档案缺少必需列 {[_COLUMN_BY_LABEL[m].zh for m in missing]}")
    issues = quality_issues(df, as_of=as_of)
    if errors == "raise" and len(issues):
        head = issues.head(5)
        en = "; ".join(f"row {r.row} {r.column}={r.value!r}: {r.en}" for r in head.itertuples())
        zh = "；".join(f"第 {r.row} 行 {r.column}={r.value!r}：{r.zh}" for r in head.itertuples())
        more = f" (+{len(issues) - 5} more)" if len(issues) > 5 else ""
        raise ArchiveError("INVALID_ARCHIVE", f"{len(issues)} invalid value(s): {en}{more}",
                           f"{len(issues)} 个无效值：{zh}{more}")
    return issues
