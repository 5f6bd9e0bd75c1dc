"""The archive's error (:class:`ArchiveError`) and the small input checks its functions share."""
from __future__ import annotations

import pandas as pd

from crmlab.errors import CRMLabError


# --------------------------------------------------------------------------------------------
# Errors and small helpers
# --------------------------------------------------------------------------------------------
class ArchiveError(CRMLabError):
    """Bad input to the archive functions: ``code`` plus a Chinese and an English message (a
    :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``).

    >>> err = ArchiveError("DEMO", "bad phone", "电话无效")
    >>> err.code, str(err)
    ('DEMO', '电话无效 / bad phone')
    """

    def __init__(self, code: str, en: str, zh: str):
        super().__init__(code, en, zh)


def _short(values, k: int = 5) -> str:
    values = list(values)
    text = ", ".join(repr(v) for v in values[:k])
    return text + (f" … (+{len(values) - k} more)" if len(values) > k else "")


def _need_frame(df, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ArchiveError("NOT_A_FRAME", f"{what} must be a pandas DataFrame, got {type(df).__name__}",
                           f"{what} 必须是 pandas DataFrame，收到 {type(df).__name__}")


def _need_columns(df, columns, what: str) -> None:
    _need_frame(df, what)
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ArchiveError("MISSING_COLUMN", f"{what} has no column(s) {missing}; it has {list(df.columns)}",
                           f"{what} 缺少列 {missing}；现有列 {list(df.columns)}")


def _blank_mask(values: pd.Series) -> pd.Series:
    """True where a cell is empty: NaN/None/NaT or text that is only spaces."""
    mask = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype("string")
        mask = mask | text.str.strip().eq("").fillna(False).astype(bool)
    return mask.astype(bool)


def _as_of(as_of, what: str = "as_of") -> pd.Timestamp:
    if as_of is None:
        raise ArchiveError("NO_AS_OF", f"{what} is required: give the date of the analysis (the wall clock is never used)",
                           f"必须给出 {what}（分析日期）；本模块从不使用系统当前时间")
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise ArchiveError("BAD_DATE", f"{what} {as_of!r} is not a date", f"{what} {as_of!r} 不是日期") from None
    if ts is pd.NaT:
        raise ArchiveError("BAD_DATE", f"{what} is missing", f"{what} 缺失")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _dates(values: pd.Series, name: str, allow_missing: bool = False) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    else:
        out = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = out.isna() & ~_blank_mask(values)
        if bad.any():
            raise ArchiveError("BAD_DATE", f"column {name!r} has {int(bad.sum())} value(s) that are not dates: "
                               f"{_short(values[bad].unique())}",
                               f"列 {name!r} 有 {int(bad.sum())} 个值不是日期：{_short(values[bad].unique())}")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    if not allow_missing and out.isna().any():
        raise ArchiveError("MISSING_DATE", f"column {name!r} has {int(out.isna().sum())} missing date(s)",
                           f"列 {name!r} 有 {int(out.isna().sum())} 个缺失日期")
    return out


def _amounts(values: pd.Series, name: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise ArchiveError("NOT_NUMERIC", f"column {name!r} must be numeric, got dtype {values.dtype}",
                           f"列 {name!r} 必须是数值，收到类型 {values.dtype}")
    out = values.astype(float)
    if out.isna().any():
        raise ArchiveError("MISSING_AMOUNT", f"column {name!r} has {int(out.isna().sum())} missing amount(s)",
                           f"列 {name!r} 有 {int(out.isna().sum())} 个缺失金额")
    if (out < 0).any():
        rows = list(values.index[out < 0])
        raise ArchiveError("NEGATIVE_AMOUNT", f"column {name!r} has {len(rows)} negative amount(s) at rows {_short(rows)}; "
                           "remove returns or fix the entries first",
                           f"列 {name!r} 在行 {_short(rows)} 有 {len(rows)} 个负金额；请先剔除退货或更正录入")
    return out
