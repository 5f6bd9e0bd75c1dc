"""Customer value (客户价值): Pareto / 80-20, ABC classes and the two customer-value matrices.

Textbook task 1 §1.1.3 (the 80/20 rule and the customer pyramid) and §1.2.5 (the value ×
loyalty and value × response matrices). Later labs add CLV and RFM here.

Example
-------
>>> import pandas as pd
>>> from crmlab import value
>>> revenue = pd.Series([50, 30, 10, 5, 5], index=list("abcde"))
>>> value.top_share(revenue, 0.2)
0.5
>>> value.share_of_customers_for(revenue, 0.8)
0.4
>>> value.value_loyalty_cell(high_value=True, high_loyalty=False)
'risk'
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "pareto_table", "top_share", "share_of_customers_for", "abc_classes", "ABC_SHARES",
    "value_loyalty_cell", "value_response_cell", "value_loyalty_matrix", "value_response_matrix",
    "VALUE_LOYALTY", "VALUE_RESPONSE",
]


def _sorted_desc(values) -> np.ndarray:
    v = np.asarray(pd.Series(values).dropna(), dtype=float)
    return np.sort(v)[::-1]


def pareto_table(values: pd.Series) -> pd.DataFrame:
    """Customers sorted by value (largest first) with cumulative shares of customers and value.

    Columns: ``value``, ``cum_customers`` (share of customers so far, 0–1) and ``cum_value``
    (share of total value so far). Plotting ``cum_value`` against ``cum_customers`` gives the
    Pareto (concentration) curve.
    """
    s = pd.Series(values, dtype=float).dropna().sort_values(ascending=False, kind="stable")
    n, total = len(s), s.sum()
    return pd.DataFrame({"value": s, "cum_customers": np.arange(1, n + 1) / n,
                         "cum_value": s.cumsum() / total}, index=s.index)


def top_share(values, fraction: float) -> float:
    """Share of the total contributed by the top ``fraction`` of customers.

    The top group has ``ceil(fraction × n)`` customers (at least one), so 20 % of 7 customers is
    2 customers. Values may be revenue or profit; with negative profits the share can exceed 1.
    """
    v = _sorted_desc(values)
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    k = max(1, math.ceil(round(fraction * len(v), 9)))
    return float(v[:k].sum() / v.sum())


def share_of_customers_for(values, value_share: float) -> float:
    """Smallest share of customers (largest first) whose values reach ``value_share`` of the total.

    ``share_of_customers_for(revenue, 0.8)`` answers "what fraction of customers brings 80 % of
    revenue?" — the textbooks say 20 % (task 1 §1.1.3) or even 5 % ([001] 图1-2).
    """
    v = _sorted_desc(values)
    cum = np.cumsum(v) / v.sum()
    k = int(np.searchsorted(cum, value_share - 1e-12) + 1)
    return k / len(v)


# [001] 图1-2: key customers ≈ 5 % of customers and 80 % of revenue, potential ≈ 15 % / 15 %,
# general ≈ 80 % / 5 %. As cumulative value cut-offs: A up to 80 %, B up to 95 %, C the rest.
ABC_SHARES = {"A": 0.80, "B": 0.95}


def abc_classes(values: pd.Series, shares: dict[str, float] | None = None) -> pd.Series:
    """ABC class of each customer by cumulative share of value (largest first).

    A customer is ``A`` while the cumulative share *before* it is below 80 %, ``B`` below 95 %,
    otherwise ``C`` — so the customer that crosses a line still belongs to the upper class.
    """
    shares = shares or ABC_SHARES
    table = pareto_table(values)
    before = table["cum_value"] - table["value"] / table["value"].sum()
    cls = np.where(before < shares["A"] - 1e-12, "A", np.where(before < shares["B"] - 1e-12, "B", "C"))
    return pd.Series(cls, index=table.index, name="abc_class").reindex(pd.Series(values).index)


# Task 1 §1.2.5: (high value, high loyalty) → cell
VALUE_LOYALTY = {(True, True): "gold", (True, False): "risk", (False, True): "marginal", (False, False): "junk"}
# Task 1 §1.2.5: (high value, responsive) → cell
VALUE_RESPONSE = {(True, True): "best", (True, False): "strange", (False, True): "fatal_attraction",
                  (False, False): "ghost"}


def value_loyalty_cell(high_value: bool, high_loyalty: bool) -> str:
    """Cell of the value × loyalty matrix: gold 黄金, risk 风险, marginal 边际 or junk 垃圾客户."""
    return VALUE_LOYALTY[(bool(high_value), bool(high_loyalty))]


def value_response_cell(high_value: bool, responsive: bool) -> str:
    """Cell of the value × response matrix: best 最佳, strange 奇异, fatal_attraction 致命诱惑, ghost 幽灵."""
    return VALUE_RESPONSE[(bool(high_value), bool(responsive))]


def _matrix(x: pd.Series, y: pd.Series, x_cut, y_cut, cells: dict) -> pd.Series:
    x_cut = x.median() if x_cut is None else x_cut
    y_cut = y.median() if y_cut is None else y_cut
    high_x, high_y = x >= x_cut, y >= y_cut
    return pd.Series([cells[(bool(a), bool(b))] for a, b in zip(high_x, high_y)], index=x.index)


def value_loyalty_matrix(value: pd.Series, loyalty: pd.Series, value_cut=None, loyalty_cut=None) -> pd.Series:
    """Place customers in the value × loyalty matrix.

    The textbook gives no cut-offs (task 1 §1.2.5); by default a customer is "high" on an axis
    when at or above the median (``>=``). Pass ``value_cut`` / ``loyalty_cut`` to choose others.
    """
    return _matrix(value, loyalty, value_cut, loyalty_cut, VALUE_LOYALTY).rename("value_loyalty")


def value_response_matrix(value: pd.Series, response: pd.Series, value_cut=None, response_cut=None) -> pd.Series:
    """Place customers in the value × response matrix (median split by default, ``>=`` is high)."""
    return _matrix(value, response, value_cut, response_cut, VALUE_RESPONSE).rename("value_response")
