"""The service module's error (:class:`ServiceError`) and the small input checks its functions share."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CRMLabError
from .. import _validate
from .._validate import blank_mask as _blanks, is_blank as _blank, preview as _rows


class ServiceError(CRMLabError):
    """Bad input to the after-sales service functions (售后服务):
    a :class:`crmlab.errors.CRMLabError` (a ``ValueError``), message in Chinese then English."""

    code = "SERVICE_ERROR"


def _err(en: str, zh: str) -> ServiceError:
    return ServiceError(en, zh)


def _need_columns(frame, columns, what: str) -> None:
    _validate.require_columns(frame, columns, what, ServiceError)


def _day(value, what: str) -> pd.Timestamp:
    if _blank(value):
        raise _err(f"{what} is missing.", f"{what} 为空。")
    ts = pd.to_datetime(value, errors="coerce", format="mixed")
    if pd.isna(ts):
        raise _err(f"{what} is not a readable date: {value!r}.", f"{what} 不是可识别的日期：{value!r}。")
    return pd.Timestamp(ts).normalize()


def _days(values: pd.Series, what: str, allow_blank: bool = False) -> pd.Series:
    blank = values.pipe(_blanks)
    parsed = pd.to_datetime(values.where(~blank), errors="coerce", format="mixed").dt.normalize()
    bad = values.index[(parsed.isna() & ~blank) | (blank & (not allow_blank))]
    if len(bad):
        raise _err(f"{what} has missing or unreadable dates in rows {_rows(bad)}.", f"{what} 在这些行为空或无法识别：{_rows(bad)}。")
    return parsed


def _bool_or_none(v):
    if _blank(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    text = str(v).strip().casefold()
    if text in ("true", "1", "yes", "是", "已解决", "修好"):
        return True
    if text in ("false", "0", "no", "否", "未解决", "没修好"):
        return False
    return "bad"
