"""Customer segmentation (客户细分) helpers — textbook task 1, §1.1.2.

The textbook segments customers by size (规模), consumption behaviour (消费行为), purchase
method (购买方式) and loyalty (忠诚度); these functions do the counting so later labs can reuse it.

Example
-------
>>> import pandas as pd
>>> from crmlab import segmentation
>>> customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C3"],
...                           "customer_type": ["individual", "organisation", "individual", "individual"]})
>>> segmentation.segment_sizes(customers, "customer_type")
              customers     share
customer_type                    
individual            2  0.666667
organisation          1  0.333333
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .shortcuts import computes

__all__ = ["segment_sizes", "purchase_intervals", "frequency_segments", "FREQUENCY_CUTS"]

# KFC example (task 1 §1.1.2): heavy buyers come about once a week, medium about once a month,
# light about once every half year. As day limits on the mean gap between purchases:
FREQUENCY_CUTS = {"heavy": 7, "medium": 31}


@computes("segment_sizes", "各细分市场的客户数与占比", "segment sizes and shares")
def segment_sizes(customers: pd.DataFrame, basis: str | list[str], id_col: str = "customer_id") -> pd.DataFrame:
    """Number and share of distinct customers in each segment of a basis, largest first.

    Parameters
    ----------
    customers : one row per customer record (duplicate records of a customer count once).
    basis : column(s) to segment by, e.g. ``"region"`` or ``["customer_type", "channel_role"]``.
    id_col : the customer identifier.

    Returns
    -------
    DataFrame indexed by segment with columns ``customers`` (count) and ``share`` (0–1),
    sorted by ``customers`` descending (a stable sort, so ties keep the segments' sorted order).
    """
    unique = customers.drop_duplicates(subset=id_col)
    table = unique.groupby(basis).size().rename("customers").to_frame()
    table["share"] = table["customers"] / table["customers"].sum()
    return table.sort_values("customers", ascending=False, kind="stable")


@computes("frequency_segment", "按购买频率细分（重度/中度/轻度消费者）", "heavy, medium and light buyers")
def purchase_intervals(orders: pd.DataFrame, customer_col: str = "customer_id",
                       date_col: str = "order_date") -> pd.DataFrame:
    """Per customer: number of orders, first and last order date and the mean gap in days.

    The mean gap is (last − first) / (orders − 1): the average time between consecutive
    purchases. It is NaN for a customer with a single order.
    """
    g = orders.groupby(customer_col)[date_col].agg(orders="count", first="min", last="max")
    span = (g["last"] - g["first"]).dt.days
    g["mean_gap_days"] = (span / (g["orders"] - 1)).where(g["orders"] > 1)
    return g


@computes("frequency_segment")
def frequency_segments(orders: pd.DataFrame, customer_col: str = "customer_id",
                       date_col: str = "order_date", cuts: dict[str, float] | None = None) -> pd.Series:
    """Heavy / medium / light buyers (重度/中度/轻度消费者) by their mean purchase gap.

    Textbook task 1 §1.1.2 (the KFC example) describes heavy buyers as coming about once a
    week, medium about once a month and light about once every half year. The textbook gives
    no cut-offs; crmlab uses mean gap ≤ 7 days → ``heavy``, ≤ 31 days → ``medium``, otherwise
    ``light``. A customer with one order has no gap and counts as ``light``.
    """
    cuts = cuts or FREQUENCY_CUTS
    gaps = purchase_intervals(orders, customer_col, date_col)["mean_gap_days"]
    labels = np.where(gaps <= cuts["heavy"], "heavy", np.where(gaps <= cuts["medium"], "medium", "light"))
    return pd.Series(labels, index=gaps.index, name="frequency_segment")
