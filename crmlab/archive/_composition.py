"""Composition tables (task 5 §5.2.5 3, §5.3.2 1) and the six solvency ratios (偿债能力, §5.3.2 2)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes
from ._errors import ArchiveError, _amounts, _need_columns, _need_frame, _short


# --------------------------------------------------------------------------------------------
# Analysis: composition tables (task 5 §5.2.5 3, §5.3.2 1)
# --------------------------------------------------------------------------------------------
@computes("composition", "客户构成表", "composition table")
def composition(df: pd.DataFrame, by: str | Sequence[str], value: str | None = "amount",
                customer: str | None = "customer_id") -> pd.DataFrame:
    """Composition table: customers and value per group, with shares and the cumulative share.

    Task 5 §5.2.5 3 (客户构成分析) and §5.3.2 1: sales, product and regional composition show
    each group's share of customers and of the volume, to set the marketing focus. The columns
    follow table 5-1 客户统计表 (whose layout is lost; the columns are crmlab's): group,
    customers, share of customers, value, share of value, cumulative share of value; groups are
    sorted by value, largest first.

    Parameters
    ----------
    df : rows to summarise (orders, or one row per customer); not modified.
    by : grouping column(s).
    value : numeric column to add up (must be ≥ 0); ``None`` counts rows only.
    customer : customer column, to count distinct customers; ``None`` counts rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d"],
    ...                        "region": ["华东", "华东", "华南", "华东", "华北"],
    ...                        "amount": [300.0, 100.0, 500.0, 50.0, 50.0]})
    >>> archive.composition(orders, "region")
            customers  customer_share  value  value_share  cumulative_share
    region
    华南              1            0.25  500.0         0.50              0.50
    华东              2            0.50  450.0         0.45              0.95
    华北              1            0.25   50.0         0.05              1.00
    """
    by = [by] if isinstance(by, str) else list(by)
    _need_columns(df, by + [value, customer], "df")
    if df[by].isna().any().any():
        raise ArchiveError("MISSING_GROUP", f"the grouping column(s) {by} have missing values; label them first",
                           f"分组列 {by} 有缺失值；请先补全")
    g = df.groupby(by, sort=False)
    out = pd.DataFrame({"customers": g[customer].nunique() if customer else g.size()})
    total_customers = df[customer].nunique() if customer else len(df)
    out["customer_share"] = out["customers"] / total_customers if total_customers else np.nan
    if value:
        v = _amounts(df[value], value)
        out["value"] = v.groupby([df[b] for b in by], sort=False).sum().reindex(out.index).round(6)
        total = out["value"].sum()
        out["value_share"] = out["value"] / total if total else np.nan
        out = out.sort_values("value", ascending=False, kind="stable")
        out["cumulative_share"] = out["value_share"].cumsum().round(12)
    else:
        out = out.sort_values("customers", ascending=False, kind="stable")
        out["cumulative_share"] = out["customer_share"].cumsum().round(12)
    return out


def sales_composition(orders: pd.DataFrame, customer: str = "customer_id", amount: str = "amount",
                      shares: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Sales composition 销售构成: customers graded by their sales volume, each grade's share.

    Task 5 §5.2.5 3 (1): the share of sales by sales-volume grade shows where to focus. The
    grades are the A/B/C classes of :func:`crmlab.value.abc_classes` (A = customers making the
    first 80 % of sales, B the next 15 %, C the rest; crmlab's cut-offs, task 1's ABC idea).

    >>> from crmlab import archive, datasets
    >>> t = archive.sales_composition(datasets.load("orders"))
    >>> t.index.tolist(), bool(t.loc["A", "value_share"] > 0.79)
    (['A', 'B', 'C'], True)
    """
    from crmlab import value as _value

    _need_columns(orders, [customer, amount], "orders")
    per_customer = _amounts(orders[amount], amount).groupby(orders[customer]).sum()
    grade = _value.abc_classes(per_customer, shares)
    frame = pd.DataFrame({"customer_id": per_customer.index, "grade": grade.to_numpy(), "amount": per_customer.to_numpy()})
    return composition(frame, "grade", "amount", "customer_id").sort_index()


def product_composition(orders: pd.DataFrame, products: pd.DataFrame | None = None, by: str = "category",
                        product: str = "product_id", amount: str = "amount",
                        customer: str = "customer_id") -> pd.DataFrame:
    """Product composition 商品构成: each product group's share of sales (task 5 §5.2.5 3 (2)).

    ``by`` is a column of ``products`` (joined on ``product``) or of the orders themselves.

    >>> from crmlab import archive, datasets
    >>> t = archive.product_composition(datasets.load("orders"), datasets.load("products"))
    >>> round(float(t["value_share"].sum()), 6), t.index.name
    (1.0, 'category')
    """
    _need_columns(orders, [product, amount, customer], "orders")
    frame = orders
    if by not in orders.columns:
        if products is None:
            raise ArchiveError("MISSING_COLUMN", f"orders has no column {by!r}; pass the products table",
                               f"订单表没有列 {by!r}；请传入产品表")
        _need_columns(products, [product, by], "products")
        unknown = ~orders[product].isin(products[product])
        if unknown.any():
            raise ArchiveError("UNKNOWN_PRODUCT", f"orders name unknown products {_short(orders.loc[unknown, product].unique())}",
                               f"订单中有未知产品 {_short(orders.loc[unknown, product].unique())}")
        frame = orders[[customer, product, amount]].merge(products[[product, by]], on=product, how="left")
    return composition(frame, by, amount, customer)


def region_composition(orders: pd.DataFrame, customers: pd.DataFrame, by: str = "region",
                       customer: str = "customer_id", amount: str = "amount") -> pd.DataFrame:
    """Regional composition 地区构成: each region's share of sales (task 5 §5.2.5 3 (3)).

    >>> from crmlab import archive, datasets
    >>> customers = datasets.load("customers").drop_duplicates()
    >>> t = archive.region_composition(datasets.load("orders"), customers)
    >>> len(t), float(t["cumulative_share"].iloc[-1])
    (7, 1.0)
    """
    _need_columns(orders, [customer, amount], "orders")
    _need_columns(customers, [customer, by], "customers")
    if customers[customer].duplicated().any():
        raise ArchiveError("DUPLICATE_ID", "customers has duplicated ids; drop duplicates first", "客户表编号重复；请先去重")
    frame = orders[[customer, amount]].merge(customers[[customer, by]], on=customer, how="left")
    if frame[by].isna().any():
        raise ArchiveError("UNKNOWN_CUSTOMER", f"{int(frame[by].isna().sum())} order(s) have no {by} (customer unknown)",
                           f"{int(frame[by].isna().sum())} 笔订单找不到客户的 {by}")
    return composition(frame, by, amount, customer)


# --------------------------------------------------------------------------------------------
# Solvency ratios (偿债能力, task 5 §5.3.2 2)
# --------------------------------------------------------------------------------------------
_FIN_ITEMS = {
    "cash": ("货币资金", "现金"), "securities": ("有价证券", "短期有价证券", "短期证券"),
    "ar_net": ("应收账款净额",), "prepaid": ("预付账款",), "deferred": ("待摊费用",), "inventory": ("存货",),
    "current_assets": ("流动资产", "流动资产合计", "流动资产总额"),
    "current_liabilities": ("流动负债", "流动负债合计", "流动负债总额"),
    "total_liabilities": ("负债总额", "负债合计"), "total_assets": ("资产总额", "资产合计"),
}
_FIN_ALIASES = {a: k for k, v in _FIN_ITEMS.items() for a in (k, *v)}

#: The six solvency ratios of task 5 §5.3.2 2 with the book's formulas and thresholds.
#: ``quick_to_current`` is the book's "速动比率与流动比率的比值 … 1∶1.5 左右最为合适"; the printed
#: text is OCR-damaged ("1 1.") and 1∶1.5 is only crmlab's reading, so it is a parameter.
SOLVENCY_RULES = pd.DataFrame([
    {"ratio": "current_ratio", "zh": "流动比率", "formula": "流动资产 ÷ 流动负债",
     "rule": "2∶1 ideal; below 1∶1 needs attention", "source": "task 5 §5.3.2 2 (1)"},
    {"ratio": "quick_ratio", "zh": "速动比率", "formula": "(流动资产 − 存货 − 预付账款 − 待摊费用) ÷ 流动负债",
     "rule": "keep above 100 %", "source": "task 5 §5.3.2 2 (2)"},
    {"ratio": "cash_ratio", "zh": "现金比率", "formula": "(货币资金 + 有价证券) ÷ 流动负债",
     "rule": "above 20 % is good; too high means idle cash (no number given)", "source": "task 5 §5.3.2 2 (3)"},
    {"ratio": "super_quick_ratio", "zh": "超速动比率", "formula": "(现金 + 短期证券 + 应收账款净额) ÷ 流动负债",
     "rule": "no threshold given", "source": "task 5 §5.3.2 2 (4)"},
    {"ratio": "liability_liquidity_ratio", "zh": "负债流动率", "formula": "流动资产 ÷ 负债总额",
     "rule": "higher is better (no threshold given)", "source": "task 5 §5.3.2 2 (5)"},
    {"ratio": "debt_asset_ratio", "zh": "资产负债率", "formula": "负债总额 ÷ 资产总额",
     "rule": "no threshold given", "source": "task 5 §5.3.2 2 (6)"},
    {"ratio": "quick_to_current", "zh": "速动比率∶流动比率", "formula": "速动比率 ÷ 流动比率",
     "rule": "about 1∶1.5 is best (OCR-damaged in the source)", "source": "task 5 §5.3.2 2 (2)"},
]).set_index("ratio")


def _fin_frame(fin) -> tuple[pd.DataFrame, bool]:
    single = isinstance(fin, (Mapping, pd.Series))
    frame = pd.DataFrame([dict(fin)]) if single else fin
    _need_frame(frame, "financials")
    renamed = frame.rename(columns={c: _FIN_ALIASES[c] for c in frame.columns if c in _FIN_ALIASES})
    missing = [k for k in _FIN_ITEMS if k not in renamed.columns]
    if missing:
        raise ArchiveError("MISSING_COLUMN", f"financials lack {missing}", f"财务数据缺少 {[_FIN_ITEMS[m][0] for m in missing]}")
    values = renamed[list(_FIN_ITEMS)]
    try:
        values = values.astype(float)
    except (ValueError, TypeError):
        raise ArchiveError("NOT_NUMERIC", "financial items must be numbers", "财务项目必须是数值") from None
    if values.isna().any().any():
        raise ArchiveError("MISSING_AMOUNT", "financial items have missing values", "财务项目有缺失值")
    neg = (values < 0).any(axis=1)
    if neg.any():
        raise ArchiveError("NEGATIVE_AMOUNT", f"balance-sheet items cannot be negative (rows {_short(values.index[neg])})",
                           f"资产负债表项目不能为负（行 {_short(values.index[neg])}）")
    for den in ("current_liabilities", "total_liabilities", "total_assets"):
        zero = values[den] == 0
        if zero.any():
            raise ArchiveError("ZERO_DENOMINATOR", f"{den} is 0 in rows {_short(values.index[zero])}: the ratio is undefined",
                               f"{_FIN_ITEMS[den][0]} 在行 {_short(values.index[zero])} 为 0，比率无意义")
    parts = values[["inventory", "prepaid", "deferred"]].sum(axis=1)
    over = parts > values["current_assets"] + 1e-9
    if over.any():
        raise ArchiveError("INCONSISTENT", f"inventory + prepaid + deferred exceed current assets (rows {_short(values.index[over])})",
                           f"存货、预付账款与待摊费用之和超过流动资产（行 {_short(values.index[over])}）")
    return values, single


@computes("solvency", "偿债能力指标", "solvency ratios")
def solvency_ratios(fin) -> pd.DataFrame | pd.Series:
    """The six solvency ratios (偿债能力指标) of task 5 §5.3.2 2, as fractions (×100 for %).

    * 流动比率 current ratio = 流动资产 ÷ 流动负债
    * 速动比率 quick ratio = (流动资产 − 存货 − 预付账款 − 待摊费用) ÷ 流动负债
    * 现金比率 cash ratio = (货币资金 + 有价证券) ÷ 流动负债
    * 超速动比率 super-quick ratio = (现金 + 短期证券 + 应收账款净额) ÷ 流动负债
    * 负债流动率 liability liquidity ratio = 流动资产 ÷ 负债总额
    * 资产负债率 debt-to-asset ratio = 负债总额 ÷ 资产总额

    plus ``quick_to_current`` = quick ÷ current (the book's 1∶1.5 guideline). Items may be named
    in English (``cash, securities, ar_net, prepaid, deferred, inventory, current_assets,
    current_liabilities, total_liabilities, total_assets``) or Chinese (货币资金, 有价证券 …).
    Negative items, zero denominators and parts larger than the current assets raise.

    Parameters
    ----------
    fin : one customer (dict or Series) → Series; a DataFrame (one row per customer/period) →
        DataFrame with the same index.

    Examples
    --------
    A worked example (customer 甲, 万元; crmlab's own figures, not the textbook's):

    >>> from crmlab import archive
    >>> jia = {"货币资金": 120, "有价证券": 30, "应收账款净额": 150, "预付账款": 20, "待摊费用": 10,
    ...        "存货": 250, "流动资产": 600, "流动负债": 300, "负债总额": 500, "资产总额": 1250}
    >>> archive.solvency_ratios(jia).round(4)
    current_ratio                2.0000
    quick_ratio                  1.0667
    cash_ratio                   0.5000
    super_quick_ratio            1.0000
    liability_liquidity_ratio    1.2000
    debt_asset_ratio             0.4000
    quick_to_current             0.5333
    dtype: float64
    """
    v, single = _fin_frame(fin)
    cl = v["current_liabilities"]
    out = pd.DataFrame({
        "current_ratio": v["current_assets"] / cl,
        "quick_ratio": (v["current_assets"] - v["inventory"] - v["prepaid"] - v["deferred"]) / cl,
        "cash_ratio": (v["cash"] + v["securities"]) / cl,
        "super_quick_ratio": (v["cash"] + v["securities"] + v["ar_net"]) / cl,
        "liability_liquidity_ratio": v["current_assets"] / v["total_liabilities"],
        "debt_asset_ratio": v["total_liabilities"] / v["total_assets"],
    }, index=v.index)
    out["quick_to_current"] = out["quick_ratio"] / out["current_ratio"]
    return out.iloc[0].rename(None) if single else out


@computes("solvency_verdicts", "偿债能力评价", "verdicts on the solvency ratios")
def solvency_flags(ratios, quick_to_current: float = 1 / 1.5, tolerance: float = 0.1,
                   cash_too_high: float | None = None) -> pd.DataFrame | pd.Series:
    """Verdicts on the solvency ratios, by the textbook's thresholds (task 5 §5.3.2 2).

    * current ratio: ``ideal`` at 2∶1 or more, ``ok`` from 1∶1, ``attention`` below 1∶1;
    * quick ratio: ``ok`` at 100 % or more, else ``attention``;
    * cash ratio: ``good`` above 20 %, else ``attention``; ``too_high`` above ``cash_too_high``
      if you give one (the book warns of idle cash but gives no number);
    * quick ∶ current: ``near_guideline`` within ``tolerance`` of 1∶1.5 (0.667), else ``off``
      (OCR-damaged figure in the source: a parameter, never a hard rule).

    The other three ratios have no threshold in the book and get no verdict.

    >>> from crmlab import archive
    >>> jia = {"货币资金": 120, "有价证券": 30, "应收账款净额": 150, "预付账款": 20, "待摊费用": 10,
    ...        "存货": 250, "流动资产": 600, "流动负债": 300, "负债总额": 500, "资产总额": 1250}
    >>> archive.solvency_flags(archive.solvency_ratios(jia)).to_dict()
    {'current_ratio': 'ideal', 'quick_ratio': 'ok', 'cash_ratio': 'good', 'quick_to_current': 'off'}
    """
    single = isinstance(ratios, pd.Series)
    frame = ratios.to_frame().T if single else ratios
    _need_columns(frame, ["current_ratio", "quick_ratio", "cash_ratio", "quick_to_current"], "ratios")
    cur, quick, cash, qc = (frame[c].astype(float) for c in ("current_ratio", "quick_ratio", "cash_ratio", "quick_to_current"))
    cash_flag = np.where(cash > 0.2, "good", "attention")
    if cash_too_high is not None:
        cash_flag = np.where(cash > cash_too_high, "too_high", cash_flag)
    out = pd.DataFrame({
        "current_ratio": np.where(cur >= 2, "ideal", np.where(cur >= 1, "ok", "attention")),
        "quick_ratio": np.where(quick >= 1, "ok", "attention"),
        "cash_ratio": cash_flag,
        "quick_to_current": np.where((qc - quick_to_current).abs() <= tolerance, "near_guideline", "off"),
    }, index=frame.index)
    return out.iloc[0].rename(None) if single else out
