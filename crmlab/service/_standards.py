"""Service standards (服务标准, task 11 §11.3): the audit items and their scores."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ..errors import bilingual
from .._validate import preview as _rows
from ._errors import _err


# --------------------------------------------------------------------------- §11.3 standards
#: Service-standard audit items (textbook task 11 §11.3): hardware 3, software 5, people 3.
SERVICE_STANDARD_ITEMS = pd.DataFrame(
    [
        ("hardware", "location", "服务地点", ("地点",)),
        ("hardware", "facilities", "服务设施", ("设施",)),
        ("hardware", "environment", "服务环境", ("环境",)),
        ("software", "timeliness", "时间性", ()),
        ("software", "smoothness", "流畅性", ()),
        ("software", "anticipation", "预见性", ()),
        ("software", "channels", "沟通渠道", ()),
        ("software", "feedback", "客户反馈", ()),
        ("people", "appearance_attitude", "仪容仪表、态度", ("仪容仪表", "态度", "仪容仪表和态度")),
        ("people", "attention", "关注", ()),
        ("people", "guidance", "指导", ()),
    ],
    columns=["element", "item", "zh", "also"]).set_index("item")
_ELEMENTS = {"hardware": "服务硬件", "software": "服务软件", "people": "服务人员"}
_ITEM_LOOKUP = {lbl.casefold(): item for item, row in SERVICE_STANDARD_ITEMS.iterrows()
                for lbl in (item, row["zh"], *row["also"])}
_ELEMENT_LOOKUP = {**{k: k for k in _ELEMENTS}, **{v: k for k, v in _ELEMENTS.items()},
                   "硬件": "hardware", "软件": "software", "人员": "people"}


@computes("service_standards", "服务标准得分", "service-standard scores")
def service_standard_table(audits: pd.DataFrame, weights: Mapping[str, float] | None = None,
                           scale: tuple[float, float] = (1, 5)) -> pd.DataFrame:
    """Element and total service-standard scores (0–100) for every audited outlet.

    Textbook task 11 §11.3 names the three elements and their 11 items but no scoring; crmlab's
    method: each item rescaled ``(x − lo)/(hi − lo)`` on ``scale`` (``(0, 1)`` for a yes/no
    checklist, ``(1, 5)`` for ratings), the element score is the mean of its items × 100, and the
    total is the weighted mean of the elements (equal weights by default). Item columns may be
    named by key or Chinese term (服务地点 …); other columns are ignored. Missing items or values
    outside the scale raise.

    Examples
    --------
    >>> audit = pd.DataFrame([[5, 4, 4, 3, 3, 2, 4, 3, 5, 4, 4]], index=["门店A"],
    ...                      columns=SERVICE_STANDARD_ITEMS.index)
    >>> service_standard_table(audit)  # doctest: +NORMALIZE_WHITESPACE
           hardware  software  people  total
    门店A     83.33      50.0   83.33  72.22
    """
    if not isinstance(audits, pd.DataFrame):
        raise TypeError(bilingual("audits must be a DataFrame", "audits 必须是 DataFrame"))
    lo, hi = scale
    if not hi > lo:
        raise _err(f"scale must be (lo, hi) with hi > lo, got {scale!r}.", f"量表必须满足上限大于下限，收到 {scale!r}。")
    renamed = {}
    for col in audits.columns:
        item = _ITEM_LOOKUP.get(str(col).strip().casefold())
        if item is not None:
            if item in renamed.values():
                raise _err(f"item {item!r} appears in more than one column.", f"评分项 {item!r} 出现在多列中。")
            renamed[col] = item
    missing = [i for i in SERVICE_STANDARD_ITEMS.index if i not in renamed.values()]
    if missing:
        zh = [SERVICE_STANDARD_ITEMS.loc[i, "zh"] for i in missing]
        raise _err(f"the audit lacks item(s) {missing}.", f"审核表缺少评分项：{zh}。")
    x = audits[list(renamed)].rename(columns=renamed).apply(pd.to_numeric, errors="coerce")
    bad = [(r, c) for c in x.columns for r in x.index[x[c].isna() | (x[c] < lo) | (x[c] > hi)]]
    if bad:
        raise _err(f"scores must be numbers in {lo}–{hi}; bad cells {_rows(bad)}.", f"评分必须是 {lo}–{hi} 的数值；有问题的单元格：{_rows(bad)}。")
    w = {"hardware": 1.0, "software": 1.0, "people": 1.0}
    if weights is not None:
        w = {}
        for k, v in weights.items():
            key = _ELEMENT_LOOKUP.get(str(k).strip())
            if key is None:
                raise _err(f"unknown element {k!r}; use hardware/software/people (服务硬件/服务软件/服务人员).",
                           f"未知的要素 {k!r}；可用：服务硬件、服务软件、服务人员。")
            if not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) or v < 0:
                raise _err(f"weight of {k!r} must be a number ≥ 0.", f"要素 {k!r} 的权重必须是 ≥ 0 的数。")
            w[key] = float(v)
        if sum(w.values()) <= 0:
            raise _err("weights must not all be zero.", "权重不能全为 0。")
    n = (x - lo) / (hi - lo)
    out = pd.DataFrame({e: n[SERVICE_STANDARD_ITEMS.index[SERVICE_STANDARD_ITEMS["element"] == e]].mean(axis=1) * 100
                        for e in _ELEMENTS}, index=audits.index)
    ws = pd.Series(w).reindex(list(_ELEMENTS), fill_value=0.0)
    out["total"] = (out[list(_ELEMENTS)] * ws).sum(axis=1) / ws.sum()
    return out.round(2)


@computes("service_standards")
def service_standard_score(audit, weights: Mapping[str, float] | None = None,
                           scale: tuple[float, float] = (1, 5)):
    """Service-standard audit score 0–100 (see :func:`service_standard_table` for the method).

    One audit (dict or Series of item → score) gives a float; a DataFrame gives a Series.

    Examples
    --------
    >>> checklist = {"服务地点": 1, "服务设施": 1, "服务环境": 0, "时间性": 1, "流畅性": 1, "预见性": 0,
    ...              "沟通渠道": 1, "客户反馈": 1, "仪容仪表、态度": 1, "关注": 1, "指导": 0}
    >>> service_standard_score(checklist, scale=(0, 1))
    71.11
    """
    if isinstance(audit, (Mapping, pd.Series)):
        return float(service_standard_table(pd.DataFrame([dict(audit)]), weights, scale)["total"].iloc[0])
    return service_standard_table(audit, weights, scale)["total"].rename("service_standard_score")
