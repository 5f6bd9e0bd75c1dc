"""The complaints' errors (:class:`ComplaintError`, :class:`InvalidTransition`) and the small input checks
its functions share."""
from __future__ import annotations

import pandas as pd

from .. import _validate, errors
from ..errors import CRMLabError


class ComplaintError(CRMLabError):
    """Bad input to the complaint functions (客户投诉):
    a :class:`crmlab.errors.CRMLabError` (a ``ValueError``), message in Chinese then English."""

    code = "COMPLAINT_ERROR"


class InvalidTransition(ComplaintError, errors.InvalidTransition):
    """A workflow action that is not allowed now, or whose guard fails. Nothing was changed.

    A :class:`crmlab.errors.InvalidTransition`, like ``opportunity.IllegalTransition``.
    """

    code = "INVALID_TRANSITION"


def _err(en: str, zh: str) -> ComplaintError:
    return ComplaintError(en, zh)


def _need_columns(frame, columns, what: str) -> None:
    _validate.require_columns(frame, columns, what, ComplaintError)


def _to_dt(values, **kw):
    """Parse dates leniently (each value on its own format); unreadable values become NaT."""
    kw.setdefault("errors", "coerce")
    return pd.to_datetime(values, format="mixed", **kw)
