"""Routing a complaint to the responsible department (责任部门, task 10 §10.2.3 step 3)."""
from __future__ import annotations

import pandas as pd

from .._validate import is_blank as _blank, preview as _rows
from ._errors import _err, _need_columns


# --------------------------------------------------------------------------- step 3 routing
#: Issue → responsible department (责任部门). The two textbook examples (§10.2.3 step 3):
#: transport → 储运部, quality → 质量管理部; the other rows are crmlab defaults.
DEFAULT_ROUTING = pd.DataFrame(
    [
        ("transport", "储运部", "textbook §10.2.3", ("运输", "运输问题", "delivery", "送货", "物流", "储运")),
        ("quality", "质量管理部", "textbook §10.2.3", ("质量", "质量问题", "product_quality", "产品质量", "产品质量投诉")),
        ("installation", "售后服务部", "crmlab default", ("安装", "安装问题", "售后")),
        ("service", "客户服务部", "crmlab default", ("service_attitude", "服务", "服务态度", "服务投诉")),
        ("price", "销售部", "crmlab default", ("价格", "价格问题", "价格投诉")),
        ("billing", "财务部", "crmlab default", ("账单", "收费", "发票")),
        ("integrity", "市场部", "crmlab default", ("诚信", "诚信问题", "诚信投诉")),
    ],
    columns=["issue", "department", "source", "also"]).set_index("issue")


def _routing_lookup(table: pd.DataFrame) -> dict[str, str]:
    _need_columns(table, ["department"], "routing table")
    lookup = {}
    for issue, row in table.iterrows():
        for label in (issue, *(row["also"] if "also" in table.columns else ())):
            lookup[str(label).strip().casefold()] = row["department"]
    return lookup


def route(issue, table: pd.DataFrame | None = None) -> str:
    """Responsible department for a complaint issue (textbook task 10 §10.2.3 step 3).

    Accepts the issue names of :data:`DEFAULT_ROUTING`, Chinese labels (运输问题, 质量问题 …) and
    the shipped dataset's category codes. An unknown issue is an error, never a default desk.

    Examples
    --------
    >>> route("质量问题"), route("delivery"), route("billing")
    ('质量管理部', '储运部', '财务部')
    """
    lookup = _routing_lookup(DEFAULT_ROUTING if table is None else table)
    try:
        return lookup[str(issue).strip().casefold()]
    except KeyError:
        raise _err(f"no department for issue {issue!r}; add it to the routing table.",
                   f"问题 {issue!r} 没有对应的责任部门，请在路由表中补充。") from None


def route_complaints(complaints: pd.DataFrame, column: str = "category",
                     table: pd.DataFrame | None = None) -> pd.Series:
    """Department of every complaint; all unroutable rows are reported together.

    Examples
    --------
    >>> route_complaints(pd.DataFrame({"category": ["delivery", "price"]})).tolist()
    ['储运部', '销售部']
    """
    _need_columns(complaints, [column], "complaints")
    lookup = _routing_lookup(DEFAULT_ROUTING if table is None else table)
    dept = complaints[column].map(lambda v: lookup.get(str(v).strip().casefold()) if not _blank(v) else None)
    bad = complaints.index[dept.isna()]
    if len(bad):
        raise _err(f"no department for the {column!r} value(s) {_rows(pd.unique(complaints.loc[bad, column]))} "
                   f"in rows {_rows(bad)}.", f"这些行的问题类型无法确定责任部门：{_rows(bad)}。")
    return dept.rename("department")
