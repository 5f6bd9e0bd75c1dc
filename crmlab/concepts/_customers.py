"""Customers 客户 (task 1 §1.1 and [001] 项目一 二(二)): classification bases, the time-order rule and
the purchase-motive types."""
from __future__ import annotations

import pandas as pd

from ..shortcuts import computes
from ._common import _bad


# ======================================================================================
# 1 Customers 客户 — task 1 §1.1 and [001] 项目一 二(二) 客户的分类
# ======================================================================================

#: Classification bases of the two textbooks: key -> (中文, English, source, types).
#: [004] §1.1.2 shows its four bases as image tables that are lost; where the types are not in the
#: prose, the usual textbook version is given and marked "standard".
CLASSIFICATION_BASES: dict[str, tuple[str, str, str, str]] = {
    "relationship": ("根据客户与企业的关系", "by relationship to the firm",
                     "[004] task 1 §1.1.2 表1-2 (lost; standard version)",
                     "消费客户、企业客户(B2B)、渠道客户(分销商/代理商)、内部客户"),
    "value": ("根据客户对企业的价值大小", "by value to the firm", "[004] task 1 §1.1.2 图1-1, 表1-3",
              "贵宾型客户、重要型客户、普通型客户"),
    "loyalty": ("根据客户的忠诚度", "by loyalty", "[004] task 1 §1.1.2 表1-4",
                "潜在客户 → 新客户 → 老客户 → 忠诚客户"),
    "value_ability": ("根据客户提供价值的能力", "by ability to provide value",
                      "[004] task 1 §1.1.2 表1-5 (fourth type 跟随型 standard)",
                      "灯塔型客户、跟随型客户、理性客户、逐利客户"),
    "value_level": ("根据客户所追求价值的层次", "by level of value sought", "[001] 项目一 二(二)1, 图1-2",
                    "关键客户(A)、潜力客户(B)、一般客户(C)"),
    "time_order": ("根据客户关系建立的时间顺序", "by time order of the relationship", "[001] 项目一 二(二)2",
                   "过去型客户、现在型客户、未来型客户"),
    "purchase_motive": ("根据客户购买动机", "by purchase motive", "[001] 项目一 二(二)3, 图1-3",
                        "生产型客户、中间客户、最终客户"),
}

#: [001] 项目一 二(二)2: key -> (中文, English, rule). Keys are those of crmlab.glossary.
TIME_ORDER_TYPES: dict[str, tuple[str, str, str]] = {
    "past": ("过去型客户", "past customer", "bought from the firm before, even if never again"),
    "present": ("现在型客户", "present customer", "a transaction is in progress now, even a first one"),
    "future": ("未来型客户", "future customer", "no transaction yet, but may buy when conditions are ripe"),
}

#: [001] 项目一 二(二)3: key -> (中文, English, definition). Keys are those of crmlab.glossary.
PURCHASE_MOTIVES: dict[str, tuple[str, str, str]] = {
    "production": ("生产型客户", "production customer",
                   "provides the firm with materials for production ([001]'s definition; in effect a supplier)"),
    "intermediary": ("中间客户", "intermediate customer",
                     "between producer and end customer: customer of the supplier and supplier of the next"),
    "end_customer": ("最终客户", "final customer", "the final recipient and user (用户) of the product"),
}


def classification_bases() -> pd.DataFrame:
    """The classification bases of [004] task 1 §1.1.2 and [001] 项目一 as a table.

    >>> classification_bases().loc["time_order", "zh"]
    '根据客户关系建立的时间顺序'
    """
    return pd.DataFrame.from_dict(CLASSIFICATION_BASES, orient="index",
                                  columns=["zh", "en", "source", "types"]).rename_axis("basis")


@computes("time_order", "客户的时间顺序类型（过去型/现在型/未来型）", "past/present/future type")
def time_order_type(has_bought: bool, in_progress: bool) -> str:
    """Time-order type of one customer ([001] 项目一 二(二)2).

    A transaction in progress makes a *present* customer (现在型), even a first-time one; otherwise a
    customer who bought before is *past* (过去型); one who never bought is *future* (未来型).

    >>> time_order_type(has_bought=True, in_progress=False)
    'past'
    >>> time_order_type(has_bought=False, in_progress=True)
    'present'
    """
    if in_progress:
        return "present"
    return "past" if has_bought else "future"


@computes("time_order")
def time_order_types(customers: pd.DataFrame, orders: pd.DataFrame, opportunities: pd.DataFrame,
                     today, window_days: int = 90) -> pd.Series:
    """Past / present / future type (过去型/现在型/未来型) of every distinct customer on ``today``.

    [001] 项目一 二(二)2 gives the rule in words; the data reading is crmlab's:

    - a transaction is *in progress* when the customer has an opportunity created on or before
      ``today`` and not closed by then (``closed_date`` empty or after ``today``), or an order less
      than ``window_days`` days before ``today`` (0 … 89 days with the crmlab default of 90; the
      textbook gives no window);
    - a customer *has bought* when an order is dated on or before ``today``.

    Returns a Series indexed by ``customer_id`` (in the customers' order, duplicates dropped).

    >>> cust = pd.DataFrame({"customer_id": ["A", "B", "C", "D"]})
    >>> orders = pd.DataFrame({"customer_id": ["A", "B"],
    ...                        "order_date": pd.to_datetime(["2025-01-05", "2025-12-20"])})
    >>> opps = pd.DataFrame({"customer_id": ["C"], "created_date": pd.to_datetime(["2025-11-01"]),
    ...                      "closed_date": pd.to_datetime([pd.NaT])})
    >>> time_order_types(cust, orders, opps, "2026-01-01").to_dict()
    {'A': 'past', 'B': 'present', 'C': 'present', 'D': 'future'}
    """
    if window_days < 0:
        raise _bad(f"window_days must be >= 0, got {window_days}", f"window_days 不能为负数：{window_days}")
    today = pd.Timestamp(today)
    ids = customers["customer_id"].drop_duplicates()
    dated = orders[orders["order_date"] <= today]
    bought = set(dated["customer_id"])
    recent = set(dated.loc[dated["order_date"] > today - pd.Timedelta(days=window_days), "customer_id"])
    closed = opportunities["closed_date"]
    open_now = (opportunities["created_date"] <= today) & (closed.isna() | (closed > today))
    in_progress = recent | set(opportunities.loc[open_now, "customer_id"])
    types = [time_order_type(c in bought, c in in_progress) for c in ids]
    return pd.Series(types, index=pd.Index(ids, name="customer_id"), name="time_order")
