"""Customer value (客户价值): Pareto / 80-20, ABC classes and the two customer-value matrices.

Textbook task 1 §1.1.2 (the 80/20 rule and the customer pyramid) and §1.2.5 (the value ×
loyalty and value × response matrices); the pyramid again in task 15 §15.2 (Kingdee 客户金字塔).

Task 4 客户识别与选择 (customer identification and selection): the textbook's CLV = s / t × T,
the three qualitative value types, potential customers (hot/warm/cold, importance, purchase type,
conversion funnel), general-customer and dealer scorecards and the key-customer matrix.

Beyond the textbook (marked so in each docstring): the RFM summary of ``lifetimes``, the BG/NBD and
Gamma-Gamma models (hand-written for study, tested against lifetimes and the published numbers),
a discounted CLV and the CDNOW data.

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
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ._lang import DEFAULT_LANG, check_lang
from .errors import CRMLabError, bilingual
from .shortcuts import computes

__all__ = [
    "CustomerValueError",
    "pareto_table", "top_share", "share_of_customers_for", "abc_classes", "ABC_SHARES",
    "value_loyalty_cell", "value_response_cell", "value_loyalty_matrix", "value_response_matrix",
    "VALUE_LOYALTY", "VALUE_RESPONSE", "plot_value_matrix",
    # task 4: identification and selection
    "clv_simple", "clv_from_transactions", "VALUE_TYPES", "value_type", "value_type_strategy",
    "IDENTIFICATION_STEPS", "is_prospect", "PROSPECT_TEMPERATURES", "PROSPECT_IMPORTANCE", "PURCHASE_TYPES",
    "CONVERSION_POINTS", "FUNNEL_STAGES", "prospect_temperature", "prospect_importance", "purchase_type",
    "conversion_funnel", "funnel_counts", "GENERAL_SELECTION_POINTS", "QUALITY_TRAITS", "STRATEGIC_CRITERIA",
    "STRATEGIC_WEIGHTS", "DEALER_CRITERIA", "DEALER_WEIGHTS", "DEALER_VETO", "weighted_score",
    "dealer_scorecard", "general_scorecard", "quality_traits_count", "KEY_CUSTOMER_MATRIX",
    "KEY_CUSTOMER_TYPES", "key_customer_cell", "key_customer_matrix",
    # customer pyramid (task 1 §1.1.2)
    "abc_by_count", "customer_pyramid",
    # beyond the textbook
    "rfm_summary", "load_cdnow", "fit_bgnbd", "BGNBDResult", "fit_gamma_gamma", "GammaGammaResult",
    "clv_discounted",
]


def _sorted_desc(values) -> np.ndarray:
    v = np.asarray(pd.Series(values).dropna(), dtype=float)
    return np.sort(v)[::-1]


@computes("top_share", "前 x% 客户带来的收入或利润占比", "share of the top customers")
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


@computes("top_share")
def top_share(values, fraction: float) -> float:
    """Share of the total contributed by the top ``fraction`` of customers.

    The top group has ``ceil(fraction × n)`` customers (at least one), so 20 % of 7 customers is
    2 customers. Values may be revenue or profit; with negative profits the share can exceed 1.
    """
    v = _sorted_desc(values)
    if not 0 < fraction <= 1:
        raise _bad(f"fraction must be in (0, 1], got {fraction!r}", f"fraction 必须在 (0, 1] 之间，收到 {fraction!r}")
    k = max(1, math.ceil(round(fraction * len(v), 9)))
    return float(v[:k].sum() / v.sum())


def share_of_customers_for(values, value_share: float) -> float:
    """Smallest share of customers (largest first) whose values reach ``value_share`` of the total.

    ``share_of_customers_for(revenue, 0.8)`` answers "what fraction of customers brings 80 % of
    revenue?" — the textbooks say 20 % (task 1 §1.1.2) or even 5 % ([001] 图1-2).
    """
    v = _sorted_desc(values)
    cum = np.cumsum(v) / v.sum()
    k = int(np.searchsorted(cum, value_share - 1e-12) + 1)
    return k / len(v)


# Second textbook [001] 项目一 图1-2: key customers ≈ 5 % of customers and 80 % of revenue, potential ≈ 15 % / 15 %,
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


@computes("value_loyalty", "客户价值矩阵中的位置（黄金/风险/边际/垃圾）", "value × loyalty cell")
def value_loyalty_cell(high_value: bool, high_loyalty: bool) -> str:
    """Cell of the value × loyalty matrix: gold 黄金, risk 风险, marginal 边际 or junk 垃圾客户."""
    return VALUE_LOYALTY[(bool(high_value), bool(high_loyalty))]


@computes("value_response", "价值—响应矩阵中的位置（最佳/奇异/致命诱惑/幽灵）", "value × response cell")
def value_response_cell(high_value: bool, responsive: bool) -> str:
    """Cell of the value × response matrix: best 最佳, strange 奇异, fatal_attraction 致命诱惑, ghost 幽灵."""
    return VALUE_RESPONSE[(bool(high_value), bool(responsive))]


def _matrix(x: pd.Series, y: pd.Series, x_cut, y_cut, cells: dict) -> pd.Series:
    x_cut = x.median() if x_cut is None else x_cut
    y_cut = y.median() if y_cut is None else y_cut
    high_x, high_y = x >= x_cut, y >= y_cut
    return pd.Series([cells[(bool(a), bool(b))] for a, b in zip(high_x, high_y)], index=x.index)


@computes("value_loyalty")
def value_loyalty_matrix(value: pd.Series, loyalty: pd.Series, value_cut=None, loyalty_cut=None) -> pd.Series:
    """Place customers in the value × loyalty matrix.

    The textbook gives no cut-offs (task 1 §1.2.5); by default a customer is "high" on an axis
    when at or above the median (``>=``). Pass ``value_cut`` / ``loyalty_cut`` to choose others.
    """
    return _matrix(value, loyalty, value_cut, loyalty_cut, VALUE_LOYALTY).rename("value_loyalty")


@computes("value_response")
def value_response_matrix(value: pd.Series, response: pd.Series, value_cut=None, response_cut=None) -> pd.Series:
    """Place customers in the value × response matrix (median split by default, ``>=`` is high)."""
    return _matrix(value, response, value_cut, response_cut, VALUE_RESPONSE).rename("value_response")


def _symlog_ticks(lo: float, hi: float, linthresh: float) -> list[float]:
    """Ticks of a symlog axis that never crowd: 0 and ±linthresh × 10^k inside [lo, hi] (no tick
    inside the linear band but 0, so 10⁰, 10¹, 10² never pile up next to it).

    >>> _symlog_ticks(-4_000, 250_000, 1_000)
    [-1000.0, 0.0, 1000.0, 10000.0, 100000.0]
    """
    ticks = [0.0]
    k = float(linthresh)
    while k <= max(abs(lo), abs(hi)) * 1.0000001:
        ticks += [t for t in (-k, k) if lo <= t <= hi]
        k *= 10
    return sorted(ticks)


def _band_middle(ax, axis: str, values: np.ndarray, cut: float, high: bool) -> float:
    """Where (axes fraction 0–1) a quadrant's label goes along one axis: the middle of the span its
    points occupy between the cut line and the farthest point (the middle of the half when empty)."""
    to_axes = ax.transData + ax.transAxes.inverted()
    pos = (lambda v: to_axes.transform((v, 0))[0]) if axis == "x" else (lambda v: to_axes.transform((0, v))[1])
    side = values[values >= cut] if high else values[values < cut]
    c = float(np.clip(pos(cut), 0, 1))
    far = (1.0 if high else 0.0) if side.size == 0 else float(np.clip(pos(side.max() if high else side.min()), 0, 1))
    return (c + far) / 2


def plot_value_matrix(data: pd.DataFrame, x: str, y: str, cells: pd.Series, labels: dict, *, x_cut=None, y_cut=None,
                      linthresh: float = 1_000, xlabel: str | None = None, ylabel: str | None = None,
                      title: str | None = None, ax=None):
    """Scatter plot of a customer-value matrix (task 1 §1.2.5): ``x`` (loyalty or response) against
    ``y`` (value, e.g. profit in 元, on a symmetric-log scale so losses and the long tail both show),
    points coloured by their ``cells`` (the matrix label of each customer), the two cut lines (median
    by default, as :func:`value_loyalty_matrix`) and the quadrant names ``labels`` ({(x high, y high):
    text}) written where that quadrant's points are. The y ticks are plain numbers (−1,000 · 0 ·
    1,000 · 10,000 …), never crowded near zero; Chinese labels use crmlab's CJK font
    (:func:`crmlab.plotting.use_theme`). Returns the matplotlib ``Axes``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> df = pd.DataFrame({"months": [1, 2, 10, 12], "profit": [-1_500.0, 200.0, 3_000.0, 90_000.0]})
    >>> cells = value_loyalty_matrix(df["profit"], df["months"])
    >>> ax = plot_value_matrix(df, "months", "profit", cells, {(True, True): "黄金客户 gold",
    ...     (False, True): "风险客户 risk", (True, False): "边际客户 marginal", (False, False): "垃圾客户 junk"})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['−1,000', '0', '1,000', '10,000', '100,000']
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from . import plotting
    if plotting.CJK_FONT not in plt.rcParams["font.sans-serif"]:
        plotting.use_theme()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    xs, ys = data[x].to_numpy(dtype=float), data[y].to_numpy(dtype=float)
    x_cut = float(np.median(xs)) if x_cut is None else float(x_cut)
    y_cut = float(np.median(ys)) if y_cut is None else float(y_cut)
    sns.scatterplot(x=xs, y=ys, hue=pd.Series(cells).to_numpy(), s=18, ax=ax)
    ax.set_yscale("symlog", linthresh=linthresh)
    lo, hi = float(min(ys.min(), 0)), float(max(ys.max(), 0))
    span = np.arcsinh(np.array([lo, hi]) / linthresh)            # pad 5 % in the scale's own units
    pad = 0.05 * (span[1] - span[0] or 1)
    ax.set_ylim(*(linthresh * np.sinh(span + [-pad, pad])))
    ax.yaxis.set_major_locator(FixedLocator(_symlog_ticks(*ax.get_ylim(), linthresh)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}".replace("-", "−")))
    ax.axvline(x_cut, color="grey", lw=1, ls="--")
    ax.axhline(y_cut, color="grey", lw=1, ls="--")
    for (x_high, y_high), text in labels.items():
        mine = (xs >= x_cut) == x_high
        ax.text(_band_middle(ax, "x", xs[(ys >= y_cut) == y_high], x_cut, x_high),
                _band_middle(ax, "y", ys[mine], y_cut, y_high), text, ha="center", va="center", fontsize=9,
                transform=ax.transAxes, bbox=dict(boxstyle="round", fc="white", ec="grey", alpha=0.8))
    if ax.get_legend() is not None:
        ax.legend(title="", fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set(xlabel=xlabel or x, ylabel=ylabel or y, title=title or "")
    return ax


# ==========================================================================================
# Task 4 客户识别与选择 (customer identification and selection) and beyond-the-textbook CLV.
# Everything below was added for labs/02_mining part 1.
# ==========================================================================================

_BIG = np.iinfo(np.int64).max


class CustomerValueError(CRMLabError):
    """Bad input to the customer-value functions (客户价值): a :class:`crmlab.errors.CRMLabError`
    (a ``ValueError``), message in Chinese then English."""

    code = "VALUE_ERROR"


def _bad(en: str, zh: str) -> CustomerValueError:
    """A :class:`CustomerValueError` saying what is wrong in Chinese and in English."""
    return CustomerValueError(en, zh)


def _check_lang(lang: str) -> str:
    return check_lang(lang, _bad)


def _require_columns(df: pd.DataFrame, columns, what: str = "transactions") -> None:
    if not isinstance(df, pd.DataFrame):
        raise _bad(f"{what} must be a pandas DataFrame, got {type(df).__name__}",
                   f"{what} 必须是 pandas DataFrame，收到 {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise _bad(f"{what} has no column(s) {missing}; it has {list(df.columns)}",
                   f"{what} 缺少列 {missing}；现有列 {list(df.columns)}")


def _datetimes(values: pd.Series, name: str) -> pd.Series:
    """The column as datetime64 (parsed if needed), timezone dropped (local wall time), no NaT."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values)
        except (ValueError, TypeError) as err:
            raise _bad(f"column {name!r} cannot be read as dates ({err})",
                       f"列 {name!r} 无法解析为日期（{err}）") from None
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    if values.isna().any():
        raise _bad(f"column {name!r} has {int(values.isna().sum())} missing date(s)",
                   f"列 {name!r} 有 {int(values.isna().sum())} 个缺失日期")
    return values


def _amounts(values: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise _bad(f"column {name!r} must be numeric, got dtype {values.dtype}",
                   f"列 {name!r} 必须是数值，收到类型 {values.dtype}")
    amount = values.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(amount).any():
        raise _bad(f"column {name!r} has {int(np.isnan(amount).sum())} missing amount(s)",
                   f"列 {name!r} 有 {int(np.isnan(amount).sum())} 个缺失金额")
    if (amount < 0).any():
        raise _bad(f"column {name!r} has {int((amount < 0).sum())} negative amount(s); "
                   "remove returns or refunds first",
                   f"列 {name!r} 有 {int((amount < 0).sum())} 个负金额；请先剔除退货或退款")
    return amount


# ------------------------------------------------------------------------------------------
# Textbook CLV: CLV = s / t × T (task 4 §4.1.3)
# ------------------------------------------------------------------------------------------

_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


@computes("clv", "客户生命周期价值 CLV", "customer lifetime value")
def clv_simple(s, t, T):
    """The textbook's customer lifetime value, **CLV = s / t × T**.

    Textbook task 4 §4.1.3 客户识别的方法 (2) 定量识别 (quantitative identification):
    ``s`` is the customer's spend per purchase (每次消费额), ``t`` the purchase cycle — the time
    between purchases (消费周期) — and ``T`` the customer's remaining lifetime counted from the
    reference date (从核定期开始计算的客户生命周期长度). ``T / t`` is the number of purchases still
    to come, so CLV is undiscounted revenue: no margin, no discounting, no retention probability
    (compare :func:`clv_discounted`). ``t`` and ``T`` must be in the same time unit.

    Parameters
    ----------
    s, t, T : numbers, arrays or Series (broadcast together).

    Returns
    -------
    float, or an array/Series of the same shape.

    Examples
    --------
    Spend 100 元 per purchase, one purchase every 30 days, one more year as a customer:

    >>> from crmlab import value
    >>> round(value.clv_simple(100, 30, 365), 2)
    1216.67
    """
    arrays = [np.asarray(v, dtype=float) for v in (s, t, T)]
    if any(np.isnan(a).any() for a in arrays):
        raise _bad("s, t and T must not be missing", "s、t、T 不能有缺失值")
    if (arrays[0] < 0).any():
        raise _bad("spend per purchase s must be ≥ 0", "每次消费额 s 必须 ≥ 0")
    if (arrays[1] <= 0).any():
        raise _bad("purchase cycle t must be > 0", "消费周期 t 必须 > 0")
    if (arrays[2] < 0).any():
        raise _bad("remaining lifetime T must be ≥ 0", "客户生命周期长度 T 必须 ≥ 0")
    result = s / t * T
    if np.ndim(result) == 0:
        return float(result)
    return result


@computes("clv")
def clv_from_transactions(transactions: pd.DataFrame, T, customer_col: str = "customer_id",
                          date_col: str = "order_date", amount_col: str = "amount", unit: str = "D",
                          default_t: float | None = None) -> pd.DataFrame:
    """The textbook CLV (s / t × T) of every customer, with s and t measured from a purchase log.

    Textbook task 4 §4.1.3 (2) 定量识别 says s and t are "calculated from the customer's purchase
    data"; how is not said, so crmlab uses (crmlab default, not the textbook's):

    - every row is one purchase; ``s`` = mean amount per row;
    - ``t`` = mean gap between consecutive purchases = (last − first) / (n − 1), in ``unit``
      (``"D"`` days, ``"W"`` weeks, ``"M"`` months of 365.25/12 days);
    - a customer with one purchase has no gap: ``t`` and ``clv`` are NaN unless ``default_t``
      (for example the population's median gap) is given; a customer whose purchases all fall on
      one day has t = 0 and CLV NaN (no cycle can be measured).

    Parameters
    ----------
    transactions : one row per purchase.
    T : remaining lifetime in ``unit``: a number, or a Series indexed by customer.
    customer_col, date_col, amount_col : column names.
    unit : time unit of ``t`` and ``T``.
    default_t : purchase cycle to use for single-purchase customers.

    Returns
    -------
    DataFrame indexed by customer (sorted) with columns ``n`` (purchases), ``s``, ``t``, ``T``
    and ``clv``.

    Examples
    --------
    The worked example of the digest: four purchases 30 days apart, 100 元 on average.

    >>> import pandas as pd
    >>> from crmlab import value
    >>> tx = pd.DataFrame({"customer_id": ["A"] * 4 + ["B"],
    ...                    "order_date": pd.to_datetime(["2024-01-05", "2024-02-04", "2024-03-05",
    ...                                                  "2024-04-04", "2024-03-01"]),
    ...                    "amount": [120.0, 80.0, 100.0, 100.0, 50.0]})
    >>> value.clv_from_transactions(tx, T=365).round(2)
                 n      s     t      T      clv
    customer_id                                
    A            4  100.0  30.0  365.0  1216.67
    B            1   50.0   NaN  365.0      NaN
    """
    _require_columns(transactions, [customer_col, date_col, amount_col])
    if unit not in _UNIT_DAYS:
        raise _bad(f"unit must be one of {list(_UNIT_DAYS)}, got {unit!r}",
                   f"unit 只能是 {list(_UNIT_DAYS)} 之一，收到 {unit!r}")
    if transactions[customer_col].isna().any():
        raise _bad(f"column {customer_col!r} has missing customer ids", f"列 {customer_col!r} 有缺失的客户编号")
    dates = _datetimes(transactions[date_col], date_col)
    amount = _amounts(transactions[amount_col], amount_col)
    frame = pd.DataFrame({"c": transactions[customer_col].to_numpy(), "d": dates.to_numpy(), "a": amount})
    g = frame.groupby("c", sort=True).agg(n=("a", "size"), s=("a", "mean"), first=("d", "min"), last=("d", "max"))
    g.index.name = customer_col
    span = (g["last"] - g["first"]) / pd.Timedelta(days=1) / _UNIT_DAYS[unit]
    t = (span / (g["n"] - 1)).where(g["n"] > 1)
    if default_t is not None:
        if not default_t > 0:
            raise _bad("default_t must be > 0", "default_t 必须 > 0")
        t = t.fillna(float(default_t))
    if isinstance(T, pd.Series):
        T = T.reindex(g.index)
        if T.isna().any():
            raise _bad("T has no value for some customers", "T 缺少部分客户的值")
    T_arr = np.broadcast_to(np.asarray(T, dtype=float), (len(g),))
    if (T_arr < 0).any() or np.isnan(T_arr).any():
        raise _bad("remaining lifetime T must be ≥ 0", "客户生命周期长度 T 必须 ≥ 0")
    out = pd.DataFrame({"n": g["n"], "s": g["s"], "t": t, "T": T_arr}, index=g.index)
    out["clv"] = out["s"] / out["t"].where(out["t"] > 0) * out["T"]
    return out


# ------------------------------------------------------------------------------------------
# Qualitative identification: three value types (task 4 §4.1.3 (1) 定性识别)
# ------------------------------------------------------------------------------------------

#: Task 4 §4.1.3 (1): value type → (Chinese term, who they are, CRM strategy as the textbook states it).
VALUE_TYPES = {
    "intrinsic": ("内在价值型客户", "ordinary public 普通大众: value the product itself and convenience",
                  "simple transactions 简单交易模式: simplify the process, cut selling cost, satisfying low prices"),
    "extrinsic": ("外在价值型客户", "group customers 集团客户: companies, government departments",
                  "expert-consultant selling 专家顾问型销售: understand their problems, provide solutions"),
    "strategic": ("战略价值型客户", "partners and third-party providers 合作伙伴、第三方",
                  "long-term partnership 长期伙伴关系: invest people, money, resources and time"),
}

# customer kind (English or Chinese) → value type; the textbook's examples plus the dataset's labels
_KIND_TO_TYPE = {
    **dict.fromkeys(["individual", "person", "consumer", "public", "个人", "个人客户", "普通大众", "大众",
                     "消费者", "内在价值型", "内在价值型客户", "intrinsic"], "intrinsic"),
    **dict.fromkeys(["organisation", "organization", "company", "enterprise", "business", "government",
                     "group", "企业", "企业客户", "组织客户", "政府", "政府部门", "集团客户", "外在价值型",
                     "外在价值型客户", "extrinsic"], "extrinsic"),
    **dict.fromkeys(["partner", "third_party", "third-party", "合作伙伴", "第三方", "第三方提供商",
                     "战略价值型", "战略价值型客户", "strategic"], "strategic"),
}


@computes("value_type", "客户价值类型", "customer value type")
def value_type(customer_kind, lang: str = DEFAULT_LANG):
    """Qualitative value type (定性识别) of a customer from its kind.

    Textbook task 4 §4.1.3 (1): ordinary individuals are 内在价值型 (intrinsic value), companies
    and government departments 外在价值型 (extrinsic value), partners and third-party providers
    战略价值型 (strategic value) — the book's example is the Chinese telecom operators.

    Parameters
    ----------
    customer_kind : a label or a Series of labels, English or Chinese: ``individual`` / 个人,
        ``organisation`` / 企业 / 政府, ``partner`` / 合作伙伴 / 第三方 (see ``_KIND_TO_TYPE``).
    lang : ``"zh"`` (the default) returns the Chinese terms; ``"en"`` the keys ``intrinsic`` /
        ``extrinsic`` / ``strategic``.

    Examples
    --------
    >>> from crmlab import value
    >>> value.value_type("企业")
    '外在价值型客户'
    >>> value.value_type("partner", lang="en")
    'strategic'
    """
    _check_lang(lang)

    def one(kind):
        k = _KIND_TO_TYPE.get(str(kind).strip().casefold(), _KIND_TO_TYPE.get(str(kind).strip()))
        if k is None:
            raise _bad(f"unknown customer kind {kind!r}; use individual/organisation/partner",
                       f"未知的客户类型 {kind!r}；请用 个人/企业/合作伙伴")
        return k if lang == "en" else VALUE_TYPES[k][0]

    if isinstance(customer_kind, pd.Series):
        return customer_kind.map(one).rename("value_type")
    return one(customer_kind)


def value_type_strategy(value_type_label: str) -> str:
    """The CRM strategy the textbook gives for a value type (task 4 §4.1.3 (1)).

    >>> from crmlab import value
    >>> value.value_type_strategy("内在价值型客户")[:19]
    'simple transactions'
    """
    return VALUE_TYPES[value_type(value_type_label, lang="en")][2]


#: Task 4 §4.1.3 2: the four identification steps, in order.
IDENTIFICATION_STEPS = [("locate", "定位客户"), ("adjust", "调整客户"), ("segment", "客户细分"),
                        ("develop", "发展客户")]


# ------------------------------------------------------------------------------------------
# Potential customers (task 4 §4.2.3 and §4.3)
# ------------------------------------------------------------------------------------------

@computes("lead_class", "潜在客户分类", "classifying prospects")
def is_prospect(needs, can_afford):
    """A potential customer both can use the product (用得着) and can afford it (买得起).

    Textbook task 4 §4.2.3 1: "a potential customer has two elements" — a family living on the
    minimum standard needs insurance but cannot buy it; nobody buys a telephone exchange for home.

    >>> from crmlab import value
    >>> value.is_prospect(True, False)
    False
    """
    if isinstance(needs, pd.Series) or isinstance(can_afford, pd.Series):
        return (pd.Series(needs).astype(bool) & pd.Series(can_afford).astype(bool)).rename("is_prospect")
    return bool(needs) and bool(can_afford)


#: Task 4 §4.3.2 (1): temperature by expected time to order.
PROSPECT_TEMPERATURES = {"hot": "热客", "warm": "暖客", "cold": "冷客"}
#: Task 4 §4.3.2 (2): importance to the firm.
PROSPECT_IMPORTANCE = {"highest": "重要程度最高", "higher": "重要程度较高", "ordinary": "重要程度一般"}
#: Task 4 §4.3.2 (3): purchase type.
PURCHASE_TYPES = {"new_buy": "新购", "rebuy": "添购或重购", "replacement": "更新购买"}
#: Task 4 §4.3.1 2: the nine points for converting potential customers, in the book's order.
CONVERSION_POINTS = [
    ("needs_and_wants", "强调客户的需求和欲望"), ("brand", "加强品牌建设"), ("lower_cost", "降低客户付出成本"),
    ("convenience", "提供购买便利"), ("communication", "进行有效的沟通"), ("contact", "重视与客户的接触"),
    ("motives", "强化潜在客户动机"), ("promote_purchase", "促进客户购买"), ("close_sale", "实现销售"),
]
#: Task 1 §1.1.2 (by loyalty): the progression potential → new → repeat → loyal customer.
FUNNEL_STAGES = {"potential": "潜在客户", "new": "新客户", "repeat": "老客户", "loyal": "忠诚客户"}


@computes("lead_class")
def prospect_temperature(expected_date, today, hot_days: int = 30, warm_days: int = 90,
                         calendar: bool = False, lang: str = DEFAULT_LANG):
    """Hot / warm / cold prospect (热客 / 暖客 / 冷客) from the expected order date.

    Textbook task 4 §4.3.2 (1): a hot prospect may order within one month, a warm one within three
    months, a cold one after three months. A "month" is 30 days by default (crmlab default, not the
    textbook's): ≤ 30 days → hot, ≤ 90 days → warm, later → cold. With ``calendar=True`` the limits
    are today + 1 and + 3 calendar months. An expected date already past counts as hot.

    Parameters
    ----------
    expected_date : a date or a Series of dates.
    today : the reference date.
    lang : ``"zh"`` (热客/暖客/冷客, the default) or ``"en"`` (hot/warm/cold).

    Examples
    --------
    >>> from crmlab import value
    >>> [value.prospect_temperature(d, "2024-06-01") for d in ["2024-07-01", "2024-07-02", "2024-09-15"]]
    ['热客', '暖客', '冷客']
    >>> value.prospect_temperature("2024-07-01", "2024-06-01", lang="en")
    'hot'
    """
    _check_lang(lang)
    today = pd.Timestamp(today)
    scalar = not isinstance(expected_date, pd.Series)
    dates = _datetimes(pd.Series([expected_date]) if scalar else expected_date, "expected_date")
    if calendar:
        hot = dates <= today + pd.DateOffset(months=1)
        warm = dates <= today + pd.DateOffset(months=3)
    else:
        days = (dates - today) / pd.Timedelta(days=1)
        hot, warm = days <= hot_days, days <= warm_days
    labels = np.where(hot, "hot", np.where(warm, "warm", "cold"))
    if lang == "zh":
        labels = np.array([PROSPECT_TEMPERATURES[k] for k in labels], dtype=object)
    out = pd.Series(labels, index=dates.index, name="temperature")
    return str(out.iloc[0]) if scalar else out


def prospect_importance(score, cuts=(80, 60), lang: str = DEFAULT_LANG):
    """Importance class of a prospect: highest / higher / ordinary (重要程度最高/较高/一般).

    Textbook task 4 §4.3.2 (2) names the three classes but gives no rule. crmlab default (not the
    textbook's): a 0–100 importance score, ``score ≥ cuts[0]`` → highest, ``≥ cuts[1]`` → higher,
    otherwise ordinary.

    >>> from crmlab import value
    >>> value.prospect_importance(80), value.prospect_importance(59.9, lang="en")
    ('重要程度最高', 'ordinary')
    """
    _check_lang(lang)
    if not cuts[0] > cuts[1]:
        raise _bad("cuts must be (upper, lower) with upper > lower", "cuts 必须是 (上限, 下限) 且上限 > 下限")
    scalar = np.ndim(score) == 0
    s = np.atleast_1d(np.asarray(score, dtype=float))
    if np.isnan(s).any():
        raise _bad("importance scores must not be missing", "重要程度得分不能缺失")
    labels = np.where(s >= cuts[0], "highest", np.where(s >= cuts[1], "higher", "ordinary"))
    if lang == "zh":
        labels = np.array([PROSPECT_IMPORTANCE[k] for k in labels], dtype=object)
    if scalar:
        return str(labels[0])
    return pd.Series(labels, index=getattr(score, "index", None), name="importance")


@computes("lead_class")
def purchase_type(history, item, replaces=None, lang: str = DEFAULT_LANG) -> str:
    """Purchase type of a prospect's next order: new buy, rebuy or replacement.

    Textbook task 4 §4.3.2 (3): 新购 (a first-time buy), 添购或重购 (more of an item already bought,
    or regular repeat buying), 更新购买 (a new kind bought to replace the one in use). The rule
    (crmlab's reading): ``replaces`` in the history → replacement; ``item`` in the history →
    rebuy; otherwise a new buy.

    Parameters
    ----------
    history : items the customer bought before (any iterable; empty for a new customer).
    item : the item about to be bought.
    replaces : the item it replaces, if any.
    lang : ``"zh"`` (新购 / 添购或重购 / 更新购买, the default) or ``"en"`` (the keys).

    >>> from crmlab import value
    >>> value.purchase_type([], "P01"), value.purchase_type(["P01"], "P01"), \\
    ...     value.purchase_type(["P01"], "P02", replaces="P01")
    ('新购', '添购或重购', '更新购买')
    >>> value.purchase_type(["P01"], "P02", replaces="P01", lang="en")
    'replacement'
    """
    _check_lang(lang)
    bought = set(history) if history is not None else set()
    if replaces is not None and replaces in bought:
        kind = "replacement"
    elif item in bought:
        kind = "rebuy"
    else:
        kind = "new_buy"
    return kind if lang == "en" else PURCHASE_TYPES[kind]


def conversion_funnel(counts) -> pd.DataFrame:
    """Conversion funnel: how many reach each stage, and the conversion rates between stages.

    Converting potential customers into buyers is task 4 §4.3.1 2 (nine points, see
    ``CONVERSION_POINTS``); the stages potential → new → repeat → loyal are task 1 §1.1.2 (by
    loyalty; ``FUNNEL_STAGES``). Any ordered stages work, e.g. the 扫街 case of task 4: 500
    contacted, 9 interested.

    Parameters
    ----------
    counts : mapping or Series, stage → number of customers that reached it, in funnel order.
        Counts must not grow from one stage to the next.

    Returns
    -------
    DataFrame indexed by stage with ``count``, ``step_rate`` (share of the previous stage;
    1 for the first) and ``overall_rate`` (share of the first stage).

    Examples
    --------
    >>> from crmlab import value
    >>> value.conversion_funnel({"contacted": 500, "interested": 9, "bought": 3}).round(3)
                count  step_rate  overall_rate
    stage                                     
    contacted     500      1.000         1.000
    interested      9      0.018         0.018
    bought          3      0.333         0.006
    """
    s = pd.Series(counts)
    if s.empty:
        raise _bad("counts is empty", "counts 为空")
    if not pd.api.types.is_numeric_dtype(s) or s.isna().any() or (s < 0).any():
        raise _bad("counts must be non-negative numbers", "counts 必须是非负数")
    if (s.diff().iloc[1:] > 0).any():
        raise _bad("a funnel cannot grow: each stage must have at most as many customers as the one before",
                   "漏斗不能变宽：每一阶段的客户数不能多于上一阶段")
    if s.iloc[0] == 0:
        raise _bad("the first stage has no customers", "第一阶段没有客户")
    out = pd.DataFrame({"count": s})
    out.index.name = "stage"
    previous = s.shift(1).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(previous > 0, s.to_numpy(dtype=float) / previous, np.nan)
    step[0] = 1.0
    out["step_rate"] = step
    out["overall_rate"] = s / s.iloc[0]
    return out


def funnel_counts(stage_reached: pd.Series, stages=None) -> pd.Series:
    """Number of customers that reached at least each stage, from each customer's furthest stage.

    A customer whose furthest stage is ``repeat`` also passed ``potential`` and ``new``. Labels may
    be the English keys or the Chinese terms of ``stages`` (default ``FUNNEL_STAGES``, task 1
    §1.1.2). Feed the result to :func:`conversion_funnel`.

    >>> import pandas as pd
    >>> from crmlab import value
    >>> value.funnel_counts(pd.Series(["potential", "潜在客户", "new", "loyal"])).to_dict()
    {'potential': 4, 'new': 2, 'repeat': 1, 'loyal': 1}
    """
    stages = FUNNEL_STAGES if stages is None else stages
    stage_reached = pd.Series(stage_reached)
    if isinstance(stages, dict):
        order = list(stages)
        alias = {**{k: k for k in stages}, **{v: k for k, v in stages.items()}}
    else:
        order = list(stages)
        alias = {k: k for k in order}
    unknown = sorted(set(map(str, stage_reached)) - set(alias))
    if unknown:
        raise _bad(f"unknown stage label(s) {unknown}; stages are {order}",
                   f"未知的阶段 {unknown}；阶段为 {order}")
    rank = stage_reached.map(lambda v: order.index(alias[str(v)])).to_numpy()
    return pd.Series([int((rank >= i).sum()) for i in range(len(order))], index=pd.Index(order, name="stage"),
                     name="count")


# ------------------------------------------------------------------------------------------
# Selection scorecards (task 4 §4.2.3 general customers, §4.2.4 dealers)
# ------------------------------------------------------------------------------------------

#: Task 4 §4.2.3 2: the six points for selecting general customers.
GENERAL_SELECTION_POINTS = [
    ("consumers", "消费者"), ("retail_terminal", "销售终端（零售）"), ("distributors", "经销中间商"),
    ("brand", "品牌情况"), ("quality_customers", "选择优质客户"), ("strategic_customers", "确定战略客户"),
]
#: Task 4 §4.2.3 2 (5): the three traits of a quality customer (优质客户).
QUALITY_TRAITS = [
    ("honest_long_term", "诚实守信，愿意长期稳定合作"),
    ("large_volume_pays_on_time", "购买量大或习惯集中购买，按时付款"),
    ("prefers_us", "认为本企业的产品或服务更可靠、更好、更超值"),
]
#: Task 4 §4.2.3 2 (6): the seven customer-quality criteria (客户质量评价标准) for strategic customers.
STRATEGIC_CRITERIA = {
    "transaction_scale": "交易的规模", "influence": "对其他客户群体的影响", "stability": "客户的稳定性",
    "competition": "同类企业为争取相同的目标客户而竞争的激烈程度", "unique_value": "独特的增值机会",
    "cost_savings": "成本的节约", "future_business": "客户未来交易的可能性",
}
#: crmlab default weights for the seven criteria (equal; the textbook gives none).
STRATEGIC_WEIGHTS = {k: 1 / 7 for k in STRATEGIC_CRITERIA}
#: Task 4 §4.2.4: the ten dealer (经销商) selection criteria, in the book's order.
DEALER_CRITERIA = {
    "market_coverage": "市场范围", "reputation": "信誉", "business_history": "经营历史",
    "cooperation": "合作态度", "products_carried": "经销产品情况", "financial_strength": "财务状况",
    "location": "区位优势", "distribution": "分销能力", "service": "服务能力", "price_discipline": "价格",
}
#: crmlab default dealer weights (constructed, not the textbook's; market coverage — "the most
#: critical factor" — and reputation weigh most). They sum to 1.
DEALER_WEIGHTS = {
    "market_coverage": 0.15, "reputation": 0.15, "business_history": 0.10, "cooperation": 0.10,
    "products_carried": 0.10, "financial_strength": 0.10, "location": 0.08, "distribution": 0.10,
    "service": 0.07, "price_discipline": 0.05,
}
#: crmlab default veto: a dealer with reputation below 6 (of 10) is rejected whatever its total —
#: after the textbook's Goodyear quote, "the dealer's character is absolutely essential and
#: non-negotiable" (task 4 §4.2.4 2).
DEALER_VETO = {"reputation": 6}


def _rename_criteria(frame: pd.DataFrame, names: dict[str, str] | None) -> pd.DataFrame:
    """Accept Chinese criterion names as column labels (renamed to the English keys)."""
    if not names:
        return frame
    back = {zh: en for en, zh in names.items()}
    return frame.rename(columns={c: back[c] for c in frame.columns if c in back})


def _weights(weights, names=None) -> dict[str, float]:
    if isinstance(weights, (list, tuple, pd.Index)):
        weights = {c: 1 / len(weights) for c in weights}
    weights = dict(weights)
    if names:
        back = {zh: en for en, zh in names.items()}
        weights = {back.get(k, k): v for k, v in weights.items()}
    if not weights:
        raise _bad("weights are empty", "权重为空")
    w = np.array(list(weights.values()), dtype=float)
    if np.isnan(w).any() or (w < 0).any():
        raise _bad("weights must be non-negative numbers", "权重必须是非负数")
    if abs(w.sum() - 1) > 1e-9:
        raise _bad(f"weights must sum to 1, they sum to {w.sum():.6g}", f"权重之和必须为 1，现为 {w.sum():.6g}")
    return weights


@computes("weighted_score", "加权评分与一票否决", "weighted scorecard with a veto")
def weighted_score(scores: pd.DataFrame, weights, scale=(1, 10), veto: dict | None = None,
                   names: dict[str, str] | None = None) -> pd.DataFrame:
    """Weighted scorecard: Σ weight × score per row, with optional veto (one-vote-down) rules.

    The textbook lists criteria but no weights or scales (task 4 §4.2.3, §4.2.4, §4.4.2); a
    weighted sum is the standard scorecard (crmlab default, not the textbook's).

    Parameters
    ----------
    scores : one row per candidate, one column per criterion.
    weights : mapping criterion → weight (must sum to 1), or a list of criteria (equal weights).
    scale : (lowest, highest) allowed score; scores outside raise ``ValueError``.
    veto : mapping criterion → minimum score; a candidate below it is ``vetoed``.
    names : optional mapping English key → Chinese name, so Chinese column labels work too.

    Returns
    -------
    DataFrame with ``score`` (rounded to 9 decimals so that boundary cases compare exactly),
    ``vetoed`` (bool) and ``rank`` (1 = best among the candidates not vetoed; vetoed rows have no
    rank), in the input's row order.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import value
    >>> s = pd.DataFrame({"quality": [8, 6], "price": [5, 9]}, index=["X", "Y"])
    >>> value.weighted_score(s, {"quality": 0.6, "price": 0.4})
       score  vetoed  rank
    X    6.8   False   2.0
    Y    7.2   False   1.0
    """
    if not isinstance(scores, pd.DataFrame):
        raise _bad("scores must be a DataFrame", "scores 必须是 DataFrame")
    frame = _rename_criteria(scores, names)
    weights = _weights(weights, names)
    _require_columns(frame, list(weights), "scores")
    values = frame[list(weights)]
    if not all(pd.api.types.is_numeric_dtype(values[c]) for c in values) or values.isna().any().any():
        raise _bad("scores must be numbers without missing values", "得分必须是数值且不能缺失")
    lo, hi = scale
    if ((values < lo) | (values > hi)).any().any():
        raise _bad(f"scores must lie in [{lo}, {hi}]", f"得分必须在 [{lo}, {hi}] 之间")
    total = (values * pd.Series(weights)).sum(axis=1).round(9)
    vetoed = pd.Series(False, index=frame.index)
    back = {zh: en for en, zh in (names or {}).items()}
    for criterion, minimum in (veto or {}).items():
        criterion = back.get(criterion, criterion)
        if criterion not in frame.columns:
            raise _bad(f"veto criterion {criterion!r} is not a column", f"否决项 {criterion!r} 不在列中")
        vetoed |= frame[criterion] < minimum
    rank = total.where(~vetoed).rank(ascending=False, method="min")
    return pd.DataFrame({"score": total, "vetoed": vetoed, "rank": rank})


def dealer_scorecard(dealers: pd.DataFrame, weights=None, veto=None) -> pd.DataFrame:
    """Score dealer candidates (经销商客户的选择) on the textbook's ten criteria.

    Textbook task 4 §4.2.4 lists the ten criteria (``DEALER_CRITERIA``: market coverage, reputation,
    business history, cooperation attitude, products carried, financial condition, location,
    distribution capability, service capability, price discipline). The weights
    (``DEALER_WEIGHTS``), the 1–10 scale and the reputation veto (``DEALER_VETO``) are crmlab
    defaults, not the textbook's. Columns may use the English keys or the Chinese names.

    Examples
    --------
    The 王老板 / 赵老板 example: the applicant promising double sales is vetoed for reputation.

    >>> import pandas as pd
    >>> from crmlab import value
    >>> d = pd.DataFrame([[8, 9, 9, 7, 6, 8, 7, 7, 8, 8], [8, 5, 5, 9, 5, 6, 8, 8, 6, 5]],
    ...                  index=["王老板", "赵老板"], columns=list(value.DEALER_CRITERIA.values()))
    >>> value.dealer_scorecard(d)
         score  vetoed  rank
    王老板   7.77   False   1.0
    赵老板   6.56    True   NaN
    """
    return weighted_score(dealers, DEALER_WEIGHTS if weights is None else weights,
                          veto=DEALER_VETO if veto is None else veto, names=DEALER_CRITERIA)


def general_scorecard(customers: pd.DataFrame, weights=None, veto=None) -> pd.DataFrame:
    """Score general customers on the seven customer-quality criteria (客户质量评价标准).

    Textbook task 4 §4.2.3 2 (6): to pick strategic customers, first set customer-quality criteria;
    the book lists seven (``STRATEGIC_CRITERIA``). Equal weights and the 1–10 scale are crmlab
    defaults, not the textbook's. Columns may use the English keys or the Chinese names.

    >>> import pandas as pd
    >>> from crmlab import value
    >>> c = pd.DataFrame([[9, 8, 8, 5, 7, 6, 9], [4, 3, 6, 8, 2, 5, 4]], index=["K1", "K2"],
    ...                  columns=list(value.STRATEGIC_CRITERIA))
    >>> value.general_scorecard(c)["score"].round(2).tolist()
    [7.43, 4.57]
    """
    return weighted_score(customers, STRATEGIC_WEIGHTS if weights is None else weights, veto=veto,
                          names=STRATEGIC_CRITERIA)


def quality_traits_count(customers: pd.DataFrame, columns=None) -> pd.Series:
    """How many of the three quality-customer traits (0–3) each customer shows.

    Textbook task 4 §4.2.3 2 (5): the more of the three traits (``QUALITY_TRAITS``) a customer
    matches, the better. ``columns`` are three boolean columns (default: the English keys).

    >>> import pandas as pd
    >>> from crmlab import value
    >>> df = pd.DataFrame({"honest_long_term": [True, False], "large_volume_pays_on_time": [True, False],
    ...                    "prefers_us": [False, False]})
    >>> value.quality_traits_count(df).tolist()
    [2, 0]
    """
    columns = [k for k, _ in QUALITY_TRAITS] if columns is None else list(columns)
    _require_columns(customers, columns, "customers")
    return customers[columns].astype(bool).sum(axis=1).rename("quality_traits")


# ------------------------------------------------------------------------------------------
# Key-customer identification and selection matrix (Cheverton; task 4 §4.4.2)
# ------------------------------------------------------------------------------------------

#: Task 4 §4.4.2 (图4‑1, lost in our copy; quadrant positions per Cheverton's published matrix):
#: (high attractiveness, high relative advantage) → type.
KEY_CUSTOMER_MATRIX = {(True, True): "key", (True, False): "key_development",
                       (False, True): "maintenance", (False, False): "opportunistic"}
#: Type → (Chinese term, treatment as the textbook states it).
KEY_CUSTOMER_TYPES = {
    "key": ("关键客户", "more resources, people and time; a key-account team 关键客户团队"),
    "key_development": ("关键发展客户", "win them: explore needs one by one; heavy investment, slower payback"),
    "maintenance": ("维持客户", "keep them, but gradually move resources to key and key-development customers"),
    "opportunistic": ("机会主义客户", "serve when it pays, by priority; promise nothing you cannot keep"),
}


@computes("key_customer", "关键客户识别和选择矩阵", "key-customer matrix")
def key_customer_cell(high_attractiveness: bool, high_advantage: bool, lang: str = DEFAULT_LANG) -> str:
    """Quadrant of the key-customer matrix (关键客户识别和选择矩阵, Peter Cheverton).

    Textbook task 4 §4.4.2: customer attractiveness (what attracts us to the customer) × relative
    advantage (what attracts the customer to us, against competitors) → 关键客户 key (both high),
    关键发展客户 key development (attractive, our advantage low), 维持客户 maintenance (our advantage
    high, attractiveness low), 机会主义客户 opportunistic (both low). Not the ABC scheme's
    "关键客户" (A class).

    >>> from crmlab import value
    >>> value.key_customer_cell(True, False), value.key_customer_cell(False, True, lang="en")
    ('关键发展客户', 'maintenance')
    """
    _check_lang(lang)
    k = KEY_CUSTOMER_MATRIX[(bool(high_attractiveness), bool(high_advantage))]
    return k if lang == "en" else KEY_CUSTOMER_TYPES[k][0]


@computes("key_customer")
def key_customer_matrix(factors: pd.DataFrame, attractiveness, advantage, cut=5.5, scale=(1, 10),
                        lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Place customers in the key-customer matrix from weighted factor scores.

    Textbook task 4 §4.4.2: each axis is a composite of quantitative and qualitative factors the
    firm must define. The book gives no factors, weights or cut-off, so all are parameters; the
    defaults — factors scored 1–10, cut 5.5 (the scale's midpoint), "≥ cut is high" — are crmlab
    defaults, not the textbook's. Scores are rounded to 9 decimals before the comparison.

    Parameters
    ----------
    factors : one row per customer, one column per factor.
    attractiveness, advantage : mapping factor → weight (summing to 1), or lists of factors
        (equal weights), for the two axes.
    cut : a number, or (attractiveness cut, advantage cut).
    lang : labels in Chinese (``"zh"``, the default) or as English keys (``"en"``).

    Returns
    -------
    DataFrame with ``attractiveness``, ``advantage`` and ``type``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import value
    >>> f = pd.DataFrame({"size": [9, 8, 3, 6], "margin": [8, 9, 4, 5], "share": [8, 3, 9, 5],
    ...                   "ties": [9, 4, 8, 5]}, index=["C1", "C2", "C3", "C5"])
    >>> value.key_customer_matrix(f, {"size": 0.5, "margin": 0.5}, ["share", "ties"], lang="en")
        attractiveness  advantage             type
    C1             8.5        8.5              key
    C2             8.5        3.5  key_development
    C3             3.5        8.5      maintenance
    C5             5.5        5.0  key_development
    """
    _check_lang(lang)
    a_cut, v_cut = (cut, cut) if np.ndim(cut) == 0 else cut
    attr = weighted_score(factors, attractiveness, scale=scale)["score"]
    adv = weighted_score(factors, advantage, scale=scale)["score"]
    types = [key_customer_cell(x >= a_cut, y >= v_cut, lang) for x, y in zip(attr, adv)]
    return pd.DataFrame({"attractiveness": attr, "advantage": adv, "type": types}, index=factors.index)


# ------------------------------------------------------------------------------------------
# Customer pyramid (task 1 §1.1.2, 图1‑1; task 15 §15.2 客户金字塔 "drawn by the ABC method")
# ------------------------------------------------------------------------------------------

def abc_by_count(values: pd.Series, shares: dict[str, float] | None = None) -> pd.Series:
    """ABC class by *share of customers* (largest value first) instead of share of value.

    The second textbook's pyramid ([001] 项目一 图1‑2) puts ≈ 5 % of customers in A (关键客户),
    the next ≈ 15 % in B (潜力客户) and ≈ 80 % in C (一般客户). ``shares`` are cumulative customer
    shares: A = the top ``ceil(0.05 n)`` customers, B up to ``ceil(0.20 n)``, C the rest; ties in
    value are broken by the input order (a stable sort). Compare :func:`abc_classes`, which cuts on
    cumulative value.

    >>> import pandas as pd
    >>> from crmlab import value
    >>> v = pd.Series(range(20, 0, -1), index=[f"c{i}" for i in range(20)])
    >>> value.abc_by_count(v).value_counts().sort_index().to_dict()
    {'A': 1, 'B': 3, 'C': 16}
    """
    shares = shares or {"A": 0.05, "B": 0.20}
    s = pd.Series(values, dtype=float)
    if s.isna().any():
        raise _bad("values must not be missing", "数值不能缺失")
    if not 0 < shares["A"] <= shares["B"] <= 1:
        raise _bad("shares must satisfy 0 < A ≤ B ≤ 1", "shares 必须满足 0 < A ≤ B ≤ 1")
    n = len(s)
    order = np.argsort(-s.to_numpy(), kind="stable")
    k_a = math.ceil(round(shares["A"] * n, 9))
    k_b = math.ceil(round(shares["B"] * n, 9))
    labels = np.empty(n, dtype=object)
    labels[order] = np.where(np.arange(n) < k_a, "A", np.where(np.arange(n) < k_b, "B", "C"))
    return pd.Series(labels, index=s.index, name="abc_class")


def customer_pyramid(values: pd.Series, classes: pd.Series | None = None, order=None) -> pd.DataFrame:
    """The customer pyramid (客户金字塔): customers and value per class, top class first.

    Textbook task 1 §1.1.2 (图1‑1 客户金字塔: 贵宾型 + 重要型 ≈ 20 % of customers bring ≈ 80 % of
    profit, 普通型 the rest) and task 15 §15.2 (the Kingdee pyramid, drawn "by the ABC method").
    By default the classes are :func:`abc_classes` (A on top); pass ``classes`` for any other
    scheme, with ``order`` from top to bottom.

    Returns
    -------
    DataFrame indexed by class (top first) with ``customers``, ``customer_share``, ``value`` and
    ``value_share``; both shares sum to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import value
    >>> revenue = pd.Series([500, 300, 100, 50, 30, 10, 5, 3, 1, 1])
    >>> value.customer_pyramid(revenue)
           customers  customer_share  value  value_share
    level                                               
    A              2             0.2  800.0         0.80
    B              2             0.2  150.0         0.15
    C              6             0.6   50.0         0.05
    """
    v = pd.Series(values, dtype=float)
    if v.isna().any():
        raise _bad("values must not be missing", "数值不能缺失")
    cls = abc_classes(v) if classes is None else pd.Series(classes).reindex(v.index)
    if cls.isna().any():
        raise _bad("every customer needs a class", "每个客户都必须有类别")
    if order is None:
        order = sorted(cls.unique(), key=str)
    missing = set(cls.unique()) - set(order)
    if missing:
        names = sorted(map(str, missing))
        raise _bad(f"classes {names} are not in order", f"类别 {names} 不在 order 中")
    g = pd.DataFrame({"cls": cls.to_numpy(), "v": v.to_numpy()}).groupby("cls", sort=False)["v"]
    out = pd.DataFrame({"customers": g.size(), "value": g.sum()}).reindex(list(order)).fillna(0)
    out["customers"] = out["customers"].astype(int)
    out.insert(1, "customer_share", out["customers"] / out["customers"].sum())
    out["value_share"] = out["value"] / out["value"].sum()
    out.index.name = "level"
    return out


# ------------------------------------------------------------------------------------------
# Beyond the textbook: RFM summary in the conventions of lifetimes
# ------------------------------------------------------------------------------------------

_FREQ_UNITS = {"D": "D", "W": "D", "h": "h", "min": "m", "s": "s", "ms": "ms"}


def _period_codes(values: np.ndarray, freq: str) -> np.ndarray:
    """Integer period number of every datetime64 value (floor), as pandas' ``to_period(freq)``."""
    if freq == "M":
        return values.astype("datetime64[M]").view("i8")  # months since 1970-01
    base = np.timedelta64(1, _FREQ_UNITS[freq])
    unit = np.datetime_data(values.dtype)[0]
    if base < np.timedelta64(1, unit):  # dates coarser than the period: refine them
        values = values.astype(f"datetime64[{_FREQ_UNITS[freq]}]")
        unit = _FREQ_UNITS[freq]
    ticks = int(base // np.timedelta64(1, unit))
    i8 = values.view("i8")
    if freq == "W":
        # pandas' "W" is W-SUN: weeks run Monday–Sunday. 1970-01-01 was a Thursday, 3 days after Monday.
        return np.floor_divide(i8 + 3 * ticks, 7 * ticks)
    return np.floor_divide(i8, ticks)


def _customer_codes(ids: pd.Series):
    """Codes 0..k-1 in sorted id order, and the sorted unique ids."""
    raw = ids.to_numpy()
    if raw.dtype.kind in "iu" and len(raw):
        lo, hi = raw.min(), raw.max()
        span = int(hi) - int(lo) + 1
        if span <= 4 * len(raw) + 1024:  # dense integer ids: a bincount instead of a hash table
            shifted = (raw - lo).astype(np.intp)
            present = np.zeros(span, dtype=bool)
            present[shifted] = True
            codes = (np.cumsum(present) - 1)[shifted]
            return codes, pd.Index((np.flatnonzero(present) + lo).astype(raw.dtype), name=ids.name)
    if pd.api.types.is_string_dtype(ids.dtype):
        codes, uniques = pd.factorize(ids, sort=False)
        if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
            # sorting the few unique ids as a numpy unicode array is much faster than pandas'
            # sort of Python strings; both order by code point, as Python (and lifetimes) does
            order = np.argsort(np.asarray(uniques, dtype=object).astype(str), kind="stable")
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            return np.where(codes < 0, -1, rank[codes]), pd.Index(uniques.take(order), name=ids.name)
    codes, uniques = pd.factorize(ids, sort=True)
    return codes, pd.Index(uniques, name=ids.name)


def _distinct_periods(codes: np.ndarray, rel: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Number of distinct periods per customer, given each row's period offset from the customer's first.

    Each customer gets one byte flag per period of its active span (rounded up to 8 bytes); every
    purchase sets its flag (a plain scatter, no sort), and the flags are counted 8 at a time with a
    popcount of the bytes viewed as 64-bit words. Falls back to hashing the (customer, period)
    pairs when the spans are too long for the flags to fit in ~48 bytes per row.
    """
    n_words = (width + 7) >> 3
    if n_words.sum() * 8 <= max(48 * len(codes), 1 << 24):
        start = np.zeros(len(width), dtype=np.int64)
        np.cumsum(n_words[:-1], out=start[1:])
        flags = np.zeros(int(n_words.sum()) * 8, dtype=np.uint8)
        flags[start[codes] * 8 + rel] = 1
        return np.add.reduceat(np.bitwise_count(flags.view(np.uint64)), start, dtype=np.int64)
    first = ~pd.DataFrame({"c": codes, "r": rel}).duplicated().to_numpy()
    return np.bincount(codes[first], minlength=len(width))


@dataclass(frozen=True)
class _PerCustomer:
    """What :func:`_rfm` returns: one entry per customer, in sorted id order."""
    customers: pd.Index
    first: np.ndarray       # int64: first time (period number, or datetime64 ticks)
    last: np.ndarray        # int64: last time
    purchases: np.ndarray   # int64: distinct times, or rows
    spend: np.ndarray | None  # float: amount summed (over the repeat times only with repeat_only)
    missing: int            # rows without a customer id (left out of everything above)


def _rfm(ids: pd.Series, time: np.ndarray, amount: np.ndarray | None, distinct: bool,
         repeat_only: bool = False) -> _PerCustomer:
    """The one place crmlab computes recency, frequency and monetary value per customer.

    Not marked with ``@computes``: :func:`rfm_summary` (lifetimes' summary) and
    ``archive.rfm_table`` (Hughes' RFM table) both call it, and each public function records only
    its own concept. Inputs are validated, already filtered arrays of equal length: ``ids`` the
    customer ids, ``time`` int64 (period numbers, or a datetime64 array viewed as int64) and
    ``amount`` non-negative floats (or None).

    Per customer: ``first``/``last`` = earliest/latest ``time``; ``purchases`` = number of distinct
    ``time`` values (``distinct=True``, lifetimes: one purchase per period) or of rows (RFM:
    every order counts); ``spend`` = sum of ``amount`` (with ``repeat_only`` only over times after
    the first one, as lifetimes' monetary value). Rows with a missing id are counted in
    ``missing`` and otherwise left out.
    """
    codes, customers = _customer_codes(ids)
    missing = int((codes < 0).sum())          # factorize codes missing ids as -1
    if missing:
        keep = codes >= 0
        codes, time = codes[keep], time[keep]
        amount = amount[keep] if amount is not None else None
    n = len(customers)
    first = np.full(n, _BIG, dtype=np.int64)
    last = np.full(n, -_BIG, dtype=np.int64)
    np.minimum.at(first, codes, time)
    np.maximum.at(last, codes, time)
    rel = time - first[codes]                 # time since the customer's first purchase
    if distinct:
        purchases = _distinct_periods(codes, rel, last - first + 1)
    else:
        purchases = np.bincount(codes, minlength=n).astype(np.int64)
    spend = None
    if amount is not None:
        weights = np.where(rel > 0, amount, 0.0) if repeat_only else amount
        spend = np.bincount(codes, weights=weights, minlength=n).astype(float, copy=False)  # float when empty too
    return _PerCustomer(customers, first, last, purchases, spend, missing)


@computes("btyd_summary", "重复购买次数、购买时长和客户年龄 (x, tx, T)", "repeat frequency, recency and age")
def rfm_summary(transactions: pd.DataFrame, customer_col: str, date_col: str, amount_col: str | None,
                end=None, freq: str = "D") -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer, as ``lifetimes`` computes them.

    Beyond the textbook: the "buy till you die" summary that BG/NBD and Gamma-Gamma need. It
    returns the same numbers as ``lifetimes.utils.summary_data_from_transaction_data(transactions,
    customer_col, date_col, amount_col, observation_period_end=end, freq=freq)``:

    - every date is put in its period (``freq``); purchases of one customer in one period count
      as one purchase, their amounts added;
    - ``frequency`` = number of **repeat** periods with a purchase (periods − 1);
    - ``recency`` = last period − first period (not RFM's "time since last purchase"!);
    - ``T`` = period of ``end`` − first period (the customer's age);
    - ``monetary_value`` = mean amount of the repeat periods; 0 when frequency is 0;
    - transactions after the period of ``end`` are ignored (as in lifetimes).

    The code uses integer period numbers and one flag per (customer, period) instead of sorting,
    so it is over 10× faster than lifetimes on integer customer ids (benchmarks/bench_rfm.py).

    Parameters
    ----------
    transactions : one row per purchase. Not modified.
    customer_col, date_col : customer id and purchase date columns (dates may be strings).
    amount_col : amount column (non-negative); ``None`` leaves out ``monetary_value``.
    end : end of the observation period (date); default the last transaction date.
    freq : period length: ``"D"`` day, ``"W"`` week (Monday–Sunday, as pandas), ``"h"`` hour,
        ``"min"``, ``"s"``, ``"ms"``, or ``"M"`` calendar month (lifetimes itself cannot do
        ``"M"`` and ``"min"``).

    Returns
    -------
    DataFrame indexed by customer (sorted), float columns ``frequency, recency, T,
    monetary_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import value
    >>> tx = pd.DataFrame({"id": ["a", "a", "a", "b"],
    ...                    "date": ["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"],
    ...                    "amount": [10.0, 5.0, 20.0, 8.0]})
    >>> value.rfm_summary(tx, "id", "date", "amount", end="2024-01-31")
        frequency  recency     T  monetary_value
    id                                          
    a         1.0     10.0  30.0            20.0
    b         0.0      0.0  26.0             0.0
    """
    columns = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    _require_columns(transactions, columns)
    if freq not in _FREQ_UNITS and freq != "M":
        raise _bad(f"freq must be one of {list(_FREQ_UNITS) + ['M']}, got {freq!r}",
                   f"freq 只能是 {list(_FREQ_UNITS) + ['M']} 之一，收到 {freq!r}")
    if len(transactions) == 0:
        raise _bad("transactions is empty", "交易表为空")
    ids = transactions[customer_col]
    dates = _datetimes(transactions[date_col], date_col).to_numpy()
    amount = _amounts(transactions[amount_col], amount_col) if amount_col is not None else None
    period = _period_codes(dates, freq)

    if end is None:
        end_period = int(period.max())
    else:
        try:
            end_ts = pd.Timestamp(end)
        except (ValueError, TypeError):
            end_ts = pd.NaT
        if end_ts is pd.NaT:
            raise _bad(f"end must be a date, got {end!r}", f"end 必须是日期，收到 {end!r}")
        if end_ts.tzinfo is not None:
            end_ts = end_ts.tz_localize(None)
        end_period = int(_period_codes(np.array([end_ts.to_datetime64()]), freq)[0])
    if period.min() > end_period:
        raise _bad(f"end ({end}) is before the first transaction ({pd.Timestamp(dates.min())})",
                   f"观察期结束日 end（{end}）早于第一笔交易（{pd.Timestamp(dates.min())}）")
    if period.max() > end_period:  # later transactions are ignored, as lifetimes does
        keep = period <= end_period
        period, ids = period[keep], ids[keep]
        amount = amount[keep] if amount is not None else None

    r = _rfm(ids, period, amount, distinct=True, repeat_only=True)
    if r.missing:
        raise _bad(f"column {customer_col!r} has {r.missing} missing customer id(s)",
                   f"列 {customer_col!r} 有 {r.missing} 个缺失的客户编号")
    frequency = r.purchases - 1
    out = pd.DataFrame({"frequency": frequency.astype(float), "recency": (r.last - r.first).astype(float),
                        "T": (end_period - r.first).astype(float)}, index=r.customers)
    if amount is not None:
        n = len(r.customers)
        out["monetary_value"] = np.divide(r.spend, frequency, out=np.zeros(n), where=frequency > 0)
    out.index.name = customer_col
    return out


# ------------------------------------------------------------------------------------------
# CDNOW data (shipped with crmlab: datasets/cdnow, MIT, copied from the lifetimes package)
# ------------------------------------------------------------------------------------------

_CDNOW_FILES = {"summary": "cdnow_customers_summary_with_transactions.csv",
                "transactions": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}


def load_cdnow(kind: str = "summary") -> pd.DataFrame:
    """The CDNOW customer data (Fader & Hardie), shipped with crmlab.

    Data: the CDNOW data set of P. S. Fader and B. G. S. Hardie (brucehardie.com), in the files
    that the ``lifetimes`` package (MIT licence, C. Davidson-Pilon) redistributes. crmlab ships
    unchanged copies under that MIT licence (``datasets/cdnow/`` with its ``LICENSE``; data card
    ``datasets/cdnow.md``), so neither ``lifetimes`` nor a network connection is needed.

    Parameters
    ----------
    kind : ``"summary"`` — the 2,357 customers of the 1/10 sample, calibration period 1997-01-01 to
        1997-09-30, in **weeks**: index ``customer_id``, columns ``frequency, recency, T,
        monetary_value`` (the data of Fader, Hardie & Lee 2005); ``"transactions"`` — the same
        sample's 6,919 purchases to 1998-06-30: ``customer_id, date, cds, amount``; ``"master"`` —
        all 69,659 purchases of the 23,570 customers, same columns.

    Examples
    --------
    >>> from crmlab import value
    >>> cdnow = value.load_cdnow()
    >>> cdnow.shape, int((cdnow["frequency"] > 0).sum())
    ((2357, 4), 946)
    """
    if kind not in _CDNOW_FILES:
        raise _bad(f"kind must be one of {list(_CDNOW_FILES)}, got {kind!r}",
                   f"kind 只能是 {list(_CDNOW_FILES)} 之一，收到 {kind!r}")
    from .datasets import public_file

    path = public_file("cdnow", _CDNOW_FILES[kind])
    if kind == "summary":
        df = pd.read_csv(path)
        df.columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
        return df.set_index("customer_id")
    if kind == "transactions":
        df = pd.read_csv(path, sep=r"\s+", header=None, dtype={2: str},
                         names=["master_id", "customer_id", "date", "cds", "amount"])
        df = df.drop(columns="master_id")
    else:
        df = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
        df.columns = ["customer_id", "date", "cds", "amount"]
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


# ------------------------------------------------------------------------------------------
# Beyond the textbook: BG/NBD and Gamma-Gamma, hand-written for study
# ------------------------------------------------------------------------------------------

def _as_arrays(names, *arrays):
    index = next((a.index for a in arrays if isinstance(a, pd.Series)), None)
    out = []
    for name, a in zip(names, arrays):
        arr = np.asarray(a, dtype=float).ravel()
        if np.isnan(arr).any() or np.isinf(arr).any():
            raise _bad(f"{name} has missing or infinite values", f"{name} 含缺失值或无穷值")
        out.append(arr)
    if len({len(a) for a in out}) != 1:
        raise _bad(f"{', '.join(names)} must have the same length", f"{'、'.join(names)} 的长度必须相同")
    if len(out[0]) == 0:
        raise _bad("no customers to fit", "没有可拟合的客户")
    return out, (index if index is not None and len(index) == len(out[0]) else pd.RangeIndex(len(out[0])))


def _check_frequency(x: np.ndarray) -> None:
    if (x < 0).any() or (x != np.round(x)).any():
        raise _bad("frequency must be whole numbers ≥ 0 (repeat purchases)", "frequency 必须是 ≥ 0 的整数（重复购买次数）")


def _bgnbd_loglik(params, x, tx, T):
    """Log-likelihood of each customer under BG/NBD (Fader, Hardie & Lee 2005, the integrated likelihood)."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b = params
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    ln_a4 = np.full(np.shape(x), -np.inf)
    ln_a4[repeat] = (np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + tx[repeat]))
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def _maximise(negloglik, n_params):
    """Maximum likelihood on log-parameters (so every parameter stays positive)."""
    from scipy.optimize import minimize

    start = np.zeros(n_params)
    fit = minimize(negloglik, start, method="L-BFGS-B", options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 5000})
    if not fit.success or not np.isfinite(fit.fun):
        fit = minimize(negloglik, fit.x if np.isfinite(fit.fun) else start, method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000, "maxfev": 40000})
    if not fit.success:
        warnings.warn(bilingual("the maximum-likelihood fit did not converge", "极大似然估计未收敛"),
                      RuntimeWarning, stacklevel=3)
    return np.exp(fit.x), -float(fit.fun), bool(fit.success)


@dataclass(frozen=True, repr=False)
class _FitResult:
    """Fields shared by the maximum-likelihood fits below."""

    params: dict
    log_likelihood: float
    n_customers: int
    converged: bool
    data: pd.DataFrame

    @property
    def loglik(self) -> float:
        return self.log_likelihood

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{type(self).__name__}({p}, log_likelihood={self.log_likelihood:.2f}, n_customers={self.n_customers})"


@dataclass(frozen=True, repr=False)
class BGNBDResult(_FitResult):
    """A fitted BG/NBD model (see :func:`fit_bgnbd`).

    Attributes
    ----------
    params : dict with ``r``, ``alpha``, ``a``, ``b``.
    log_likelihood : maximised log-likelihood (``loglik`` is the same number).
    n_customers : customers in the fit.
    converged : whether the optimiser reported success.
    data : the fitted ``frequency``, ``recency`` and ``T`` (one row per customer).
    """

    def _xtT(self, frequency, recency, T):
        if frequency is None and recency is None and T is None:
            d = self.data
            return d["frequency"].to_numpy(), d["recency"].to_numpy(), d["T"].to_numpy(), d.index
        (x, tx, T), index = _as_arrays(["frequency", "recency", "T"], frequency, recency, T)
        _check_frequency(x)
        return x, tx, T, index

    def expected_purchases(self, t, frequency=None, recency=None, T=None) -> pd.Series:
        """Expected purchases in the next ``t`` periods, per customer (Fader, Hardie & Lee 2005).

        E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ·
        ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] / [1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)].
        Without data, for the fitted customers. When ₂F₁ overflows, Euler's transformation
        ₂F₁(a, b; c; z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z) is used, as lifetimes does.
        """
        from scipy.special import hyp2f1

        r, alpha, a, b = (self.params[k] for k in ("r", "alpha", "a", "b"))
        x, tx, T, index = self._xtT(frequency, recency, T)
        if np.any(np.asarray(t) < 0):
            raise _bad("t must be ≥ 0", "t 必须 ≥ 0")
        z = t / (alpha + T + t)
        ca, cb, cc = r + x, b + x, a + b + x - 1
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            ln_hyp = np.log(hyp2f1(ca, cb, cc, z))
            ln_hyp_alt = np.log(hyp2f1(cc - ca, cc - cb, cc, z)) + (cc - ca - cb) * np.log1p(-z)
        ln_hyp = np.where(np.isfinite(ln_hyp), ln_hyp, ln_hyp_alt)
        first = (a + b + x - 1) / (a - 1)
        second = 1 - np.exp(ln_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
        return pd.Series(first * second / self._alive_denominator(x, tx, T), index=index,
                         name="expected_purchases")

    def _alive_denominator(self, x, tx, T):
        r, alpha, a, b = (self.params[k] for k in ("r", "alpha", "a", "b"))
        ratio = np.where(x > 0, a / (b + np.maximum(x, 1) - 1), 0.0)
        return 1 + ratio * ((alpha + T) / (alpha + tx)) ** (r + x)

    def p_alive(self, frequency=None, recency=None, T=None) -> pd.Series:
        """Probability that each customer is still active ("alive") at T.

        From Fader, Hardie & Lee's note "Computing P(alive) using the BG/NBD model":

        P(alive | x, t_x, T) = 1 / [1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)];
        a customer with no repeat purchase has P(alive) = 1 under BG/NBD.
        """
        x, tx, T, index = self._xtT(frequency, recency, T)
        return pd.Series(1 / self._alive_denominator(x, tx, T), index=index, name="p_alive")

    def expected_purchases_new(self, t) -> float:
        """Expected purchases of a new customer in ``t`` periods, E[X(t)] (Fader, Hardie & Lee 2005)."""
        from scipy.special import hyp2f1

        r, alpha, a, b = (self.params[k] for k in ("r", "alpha", "a", "b"))
        value_ = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        return float(value_) if np.ndim(value_) == 0 else value_


def fit_bgnbd(frequency, recency, T) -> BGNBDResult:
    """Fit the BG/NBD "buy till you die" model by maximum likelihood.

    Beyond the textbook. BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy
    way", *Marketing Science* 24(2) 275–284): while alive, a customer buys as a Poisson process
    with rate λ ~ Gamma(r, α); after each purchase the customer drops out with probability
    p ~ Beta(a, b). The log-likelihood is written out here with numpy/scipy
    (``gammaln``, ``betaln``, ``scipy.optimize.minimize`` on the log-parameters) on purpose: the
    students study the model. ``lifetimes.BetaGeoFitter`` gives the same estimates (tested).

    Parameters
    ----------
    frequency, recency, T : per customer, as :func:`rfm_summary` returns them (repeat purchases,
        time of the last purchase and age, both counted from the first purchase).

    Returns
    -------
    BGNBDResult with ``params`` (r, alpha, a, b), ``log_likelihood`` and the methods
    ``expected_purchases(t)``, ``p_alive()`` and ``expected_purchases_new(t)``.

    Examples
    --------
    On CDNOW the estimates of Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793,
    b = 2.426, LL = −9582.4.

    >>> from crmlab import value
    >>> cdnow = value.load_cdnow()
    >>> fit = value.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    >>> {k: round(v, 3) for k, v in fit.params.items()}, round(fit.log_likelihood, 1)
    ({'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}, -9582.4)
    >>> round(float(fit.expected_purchases(39).iloc[0]), 3), round(float(fit.p_alive().iloc[0]), 3)
    (1.226, 0.727)
    """
    (x, tx, T_), index = _as_arrays(["frequency", "recency", "T"], frequency, recency, T)
    _check_frequency(x)
    if not (x > 0).any():
        raise _bad("no customer has a repeat purchase (all frequency = 0): BG/NBD cannot be fitted",
                   "没有客户重复购买（frequency 全为 0）：无法拟合 BG/NBD")
    if (tx < 0).any() or (tx > T_).any():
        raise _bad("recency must satisfy 0 ≤ recency ≤ T", "recency 必须满足 0 ≤ recency ≤ T")
    if (tx[x == 0] != 0).any():
        raise _bad("recency must be 0 when frequency is 0", "frequency 为 0 时 recency 必须为 0")

    def negloglik(log_params):
        with np.errstate(all="ignore"):
            total = _bgnbd_loglik(np.exp(log_params), x, tx, T_).sum()
        return -total if np.isfinite(total) else np.inf

    params, ll, ok = _maximise(negloglik, 4)
    data = pd.DataFrame({"frequency": x, "recency": tx, "T": T_}, index=index)
    return BGNBDResult(dict(zip(("r", "alpha", "a", "b"), map(float, params))), ll, len(x), ok, data)


def _gamma_gamma_loglik(params, x, m):
    """Log-likelihood of each customer's mean spend under Gamma-Gamma (Fader, Hardie & Lee 2005b)."""
    from scipy.special import betaln, gammaln

    p, q, v = params
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
            + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


@dataclass(frozen=True, repr=False)
class GammaGammaResult(_FitResult):
    """A fitted Gamma-Gamma spend model (see :func:`fit_gamma_gamma`).

    Attributes
    ----------
    params : dict with ``p``, ``q``, ``v`` (``v`` is the paper's γ).
    log_likelihood : maximised log-likelihood (``loglik`` is the same number).
    n_customers, converged, data : as in :class:`BGNBDResult`.
    """

    def mean_spend(self) -> float:
        """Population mean spend per transaction, E[Z] = p·v / (q − 1) (infinite if q ≤ 1)."""
        p, q, v = (self.params[k] for k in ("p", "q", "v"))
        return p * v / (q - 1) if q > 1 else float("inf")

    def conditional_expected_average_profit(self, frequency=None, monetary_value=None) -> pd.Series:
        """Expected mean spend per transaction of each customer, E[Z | x, m̄] = p(v + x·m̄) / (p·x + q − 1).

        A weighted average of the population mean p·v/(q−1) and the customer's own mean m̄; the
        more purchases x, the more weight on m̄. Customers with x = 0 get the population mean.
        Without data, for the fitted customers.
        """
        p, q, v = (self.params[k] for k in ("p", "q", "v"))
        if frequency is None and monetary_value is None:
            x, m, index = self.data["frequency"].to_numpy(), self.data["monetary_value"].to_numpy(), self.data.index
        else:
            (x, m), index = _as_arrays(["frequency", "monetary_value"], frequency, monetary_value)
            _check_frequency(x)
        return pd.Series(p * (v + x * m) / (p * x + q - 1), index=index, name="expected_average_profit")

    expected_average_profit = conditional_expected_average_profit


def fit_gamma_gamma(frequency, monetary_value) -> GammaGammaResult:
    """Fit the Gamma-Gamma model of spend per transaction by maximum likelihood.

    Beyond the textbook. Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
    curves for customer base analysis", *Journal of Marketing Research* 42(4) 415–430; Hardie's
    note "The Gamma-Gamma model of monetary value", 2013): each transaction's value is
    Gamma(p, ν), and ν ~ Gamma(q, γ) across customers (γ is ``v`` here, as in lifetimes). The
    likelihood of a customer's mean spend m̄ over x transactions is written out with
    numpy/scipy on purpose, because the students study the model; ``lifetimes.GammaGammaFitter``
    gives the same estimates (tested).

    Fit it on repeat buyers only (``frequency > 0``) with their mean repeat spend
    (``monetary_value`` of :func:`rfm_summary`); it assumes spend is independent of frequency.

    Examples
    --------
    On the 946 CDNOW repeat buyers, FHL (2005b) report p = 6.25, q = 3.74, γ = 15.44 (the maximum
    is at γ = 15.448, which lifetimes finds too):

    >>> from crmlab import value
    >>> cdnow = value.load_cdnow()
    >>> repeat = cdnow[cdnow["frequency"] > 0]
    >>> gg = value.fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    >>> {k: round(v, 2) for k, v in gg.params.items()}
    {'p': 6.25, 'q': 3.74, 'v': 15.45}
    >>> round(float(gg.conditional_expected_average_profit().iloc[0]), 2)
    24.66
    """
    (x, m), index = _as_arrays(["frequency", "monetary_value"], frequency, monetary_value)
    _check_frequency(x)
    if (x <= 0).any():
        raise _bad(f"{int((x <= 0).sum())} customer(s) have frequency 0; fit Gamma-Gamma on repeat buyers only, "
                   "e.g. summary[summary['frequency'] > 0]",
                   f"{int((x <= 0).sum())} 个客户的 frequency 为 0；Gamma-Gamma 只用重复购买的客户拟合，"
                   "例如 summary[summary['frequency'] > 0]")
    if (m <= 0).any():
        raise _bad("monetary_value must be > 0 for every customer", "每个客户的 monetary_value 都必须 > 0")

    def negloglik(log_params):
        with np.errstate(all="ignore"):
            total = _gamma_gamma_loglik(np.exp(log_params), x, m).sum()
        return -total if np.isfinite(total) else np.inf

    params, ll, ok = _maximise(negloglik, 3)
    data = pd.DataFrame({"frequency": x, "monetary_value": m}, index=index)
    return GammaGammaResult(dict(zip(("p", "q", "v"), map(float, params))), ll, len(x), ok, data)


_PERIODS_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0, "h": 30.0 * 24}


def clv_discounted(bgnbd: BGNBDResult, gamma_gamma: GammaGammaResult, frequency, recency, T, monetary_value,
                   months: int = 12, discount_rate: float = 0.01, freq: str = "D") -> pd.Series:
    """Discounted CLV over the next ``months`` from BG/NBD purchases × Gamma-Gamma spend.

    Beyond the textbook (compare the textbook's undiscounted :func:`clv_simple`). For month
    i = 1 … ``months``: expected purchases in that month (BG/NBD, cumulative expectation at the
    month's end minus at its start) × expected spend per purchase (Gamma-Gamma), discounted by
    (1 + ``discount_rate``)^i, summed. Months are converted to model periods as lifetimes does
    (``freq``: 30 days, 4.345 weeks, 1 month or 720 hours), so the result equals
    ``GammaGammaFitter.customer_lifetime_value(..., time=months, discount_rate=discount_rate,
    freq=freq)``. The result is revenue (or profit if ``monetary_value`` is a margin).

    Examples
    --------
    >>> from crmlab import value
    >>> cdnow = value.load_cdnow()
    >>> bg = value.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    >>> rep = cdnow[cdnow["frequency"] > 0]
    >>> gg = value.fit_gamma_gamma(rep["frequency"], rep["monetary_value"])
    >>> clv = value.clv_discounted(bg, gg, cdnow["frequency"], cdnow["recency"], cdnow["T"],
    ...                            cdnow["monetary_value"], months=12, freq="W")
    >>> round(float(clv.iloc[0]), 2)
    36.28
    """
    if freq not in _PERIODS_PER_MONTH:
        raise _bad(f"freq must be one of {list(_PERIODS_PER_MONTH)}, got {freq!r}",
                   f"freq 只能是 {list(_PERIODS_PER_MONTH)} 之一，收到 {freq!r}")
    if int(months) != months or months < 1:
        raise _bad("months must be a whole number ≥ 1", "months 必须是 ≥ 1 的整数")
    if not discount_rate > -1:
        raise _bad("discount_rate must be > −1", "discount_rate 必须 > −1")
    spend = gamma_gamma.conditional_expected_average_profit(frequency, monetary_value).to_numpy()
    factor = _PERIODS_PER_MONTH[freq]
    before = bgnbd.expected_purchases(0.0, frequency, recency, T)
    clv = np.zeros(len(before))
    for i in range(1, int(months) + 1):
        after = bgnbd.expected_purchases(i * factor, frequency, recency, T)
        clv += spend * (after - before).to_numpy() / (1 + discount_rate) ** i
        before = after
    return pd.Series(clv, index=before.index, name="clv")
