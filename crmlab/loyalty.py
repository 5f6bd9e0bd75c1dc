"""Customer loyalty (客户忠诚度): loyalty types, the six indicators, a loyalty index and programmes.

Textbook task 9 (客户忠诚度管理):

- §9.1.2 the seven loyalty types (客户忠诚的分类), classified by attachment (依恋) and repeat
  purchase (重复购买) plus the *driver* (why the customer keeps buying) — :func:`classify_loyalty`;
- §9.2 satisfied is not loyal (满意不等于忠诚; 65 %–85 % of customers who left said they had been
  satisfied) — :func:`satisfaction_loyalty_table`, :func:`satisfied_not_loyal`,
  :func:`satisfied_share_of_defectors`;
- §9.3 the six loyalty indicators (客户忠诚度的衡量指标) — :func:`loyalty_indicators` and the
  weighted 0–100 :func:`loyalty_index`;
- §9.4 loyalty programmes (客户忠诚计划): the three levels, a tiered programme engine
  (:class:`LoyaltyProgram`), Tesco's points and keys exactly as printed (:class:`TescoRules`),
  coalition points (:func:`coalition_convert`) and cause-related points (:func:`donation_program`).

.. warning:: **Known source error — the latent-loyalty row (潜在忠诚).** The textbook (§9.1.2)
   prints latent loyalty as *low attachment, low repeat purchase* (低依恋、低重复购买). That makes
   it identical to price loyalty on both axes. In the standard matrix (Dick & Basu 1994, *Journal
   of the Academy of Marketing Science* 22(2), "relative attitude × repeat patronage") latent
   loyalty is *high* attitude with *low* repeat patronage. :data:`LOYALTY_TYPES` keeps the row as
   printed; :func:`classify_loyalty` therefore needs the driver to tell latent from price loyalty,
   and ``convention="dick_basu"`` switches to the standard reading.

Example
-------
>>> from crmlab import loyalty
>>> loyalty.classify_loyalty("high", "high")
'超值忠诚'
>>> loyalty.classify_loyalty("低", "高", driver="惰性", lang="en")
'inertia'
>>> customer_a = {"repeat_purchases": 24, "decision_days": 1, "extra_distance_km": 3.0,
...               "price_sensitivity": 0.4, "competitor_liking": 1, "defect_tolerance": 5}
>>> loyalty.loyalty_index(customer_a)
89.73
>>> r = loyalty.tesco_rewards([45.20, 12.80, 38.00, 150.00])
>>> r["points"], r["vouchers"], r["points_left"], r["keys"]
(245, 1, 95, 3)
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from .shortcuts import computes
from ._lang import DEFAULT_LANG, check_lang
from .errors import CRMLabError, bilingual, parts
from . import _validate
from ._validate import preview as _rows

__all__ = [
    "LoyaltyError",
    "LOYALTY_TYPES", "LOYALTY_DRIVERS", "LOYALTY_FACTORS", "classify_loyalty", "loyalty_types",
    "LOYALTY_INDICATORS", "DEFAULT_WEIGHTS", "DEFAULT_BOUNDS", "DIRECTIONS",
    "price_elasticity", "loyalty_indicators", "loyalty_index",
    "satisfaction_loyalty_table", "satisfied_not_loyal", "satisfied_share_of_defectors",
    "PROGRAM_LEVELS", "LoyaltyProgram", "TescoRules", "tesco_rewards",
    "COALITION_RATES", "coalition_convert", "donation_program", "switching_cost",
]


class LoyaltyError(CRMLabError):
    """Bad input to the loyalty functions (客户忠诚):
    a :class:`crmlab.errors.CRMLabError` (a ``ValueError``), message in Chinese then English."""

    code = "LOYALTY_ERROR"


def _err(en: str, zh: str) -> LoyaltyError:
    return LoyaltyError(en, zh)


def _need_columns(frame, columns, what: str) -> None:
    _validate.require_columns(frame, columns, what, LoyaltyError)


# --------------------------------------------------------------------------- §9.1.2 loyalty types
_HIGH = {"high", "h", "高", "high 高", "true", "1", "yes", "是"}
_LOW = {"low", "l", "低", "low 低", "false", "0", "no", "否"}

#: The seven loyalty types of textbook task 9 §9.1.2, **as printed** (including the latent row).
LOYALTY_TYPES = pd.DataFrame(
    [
        ("monopoly", "垄断忠诚", "low", "high", "no_alternative",
         "no alternative supplier (utilities, a mandated single supplier)", "loyal only by compulsion"),
        ("inertia", "惰性忠诚", "low", "high", "inertia",
         "too lazy to look elsewhere; not actually satisfied",
         "easily poached: differentiate the product or service"),
        ("latent", "潜在忠诚", "low", "low", "constraint",
         "wants to buy but rules or circumstances block it (free delivery only over 2,000 yuan)",
         "remove the barriers"),
        ("convenience", "方便忠诚", "low", "high", "location",
         "the outlet is convenient", "like inertia: easily poached"),
        ("price", "价格忠诚", "low", "low", "price",
         "loyal to the lowest price (one-yuan and ten-yuan shops)", "cannot be made truly loyal"),
        ("incentive", "激励忠诚", "low", "high", "reward",
         "buys while rewards run, leaves when they stop", "like inertia"),
        ("super_value", "超值忠诚", "high", "high", "emotion",
         "emotional or brand loyalty; recommends the firm", "the most valuable customers"),
    ],
    columns=["type", "zh", "attachment", "repeat", "driver", "cause", "advice"],
).set_index("type")

#: Drivers (why the customer keeps buying) and the labels accepted for each.
LOYALTY_DRIVERS: dict[str, tuple[str, ...]] = {
    "no_alternative": ("无可替代", "没有选择", "垄断", "垄断忠诚", "monopoly", "no alternative"),
    "inertia": ("惰性", "懒得寻找", "惰性忠诚", "habit"),
    "constraint": ("条件限制", "受限", "限制", "潜在", "潜在忠诚", "latent", "blocked"),
    "location": ("地点", "方便", "便利", "方便忠诚", "convenience"),
    "price": ("价格", "低价", "价格忠诚", "cheap"),
    "reward": ("奖励", "激励", "激励忠诚", "incentive", "rewards"),
    "emotion": ("情感", "品牌", "超值", "超值忠诚", "super_value", "brand"),
}

#: The five factors that drive loyalty (textbook task 9 §9.1.3), most important first.
LOYALTY_FACTORS = pd.DataFrame(
    [
        ("trust", "信任", "ability, goodwill and reputation (能力、善意和信誉); the decisive factor"),
        ("perceived_value", "感知价值", "benefits against costs; second after trust"),
        ("emotion", "情感", "reliance, credibility, pride, passion (信赖感、信誉感、自豪感、激情)"),
        ("switching_cost", "转移成本", "one-time cost of changing supplier (Porter 1980)"),
        ("employee_quality", "企业员工的素质", "staff attitude and behaviour"),
    ],
    columns=["factor", "zh", "meaning"],
).set_index("factor")

_DRIVER_LOOKUP = {}
for _key, _aliases in LOYALTY_DRIVERS.items():
    for _label in (_key, *_aliases):
        _DRIVER_LOOKUP[_label.casefold()] = _key


def _level(value, what: str) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "high" if value else "low"
    text = str(value).strip().casefold()
    if text in _HIGH:
        return "high"
    if text in _LOW:
        return "low"
    raise _err(f"{what} must be 'high' or 'low' (高/低), got {value!r}.",
               f"{_ZH_AXIS[what]}必须是“高”或“低”（high/low），收到 {value!r}。")


_ZH_AXIS = {"attachment": "依恋程度", "repeat": "重复购买程度"}


def _driver(value) -> str:
    try:
        return _DRIVER_LOOKUP[str(value).strip().casefold()]
    except KeyError:
        raise _err(f"unknown loyalty driver {value!r}; use one of {list(LOYALTY_DRIVERS)} "
                   f"or a Chinese label such as 惰性, 方便, 价格, 激励, 情感.",
                   f"未知的忠诚原因 {value!r}；可用：{list(LOYALTY_DRIVERS)} 或 惰性、方便、价格、激励、情感 等。") from None


def _cells(convention: str) -> dict[str, tuple[str, str]]:
    if convention not in ("textbook", "dick_basu"):
        raise _err(f"convention must be 'textbook' or 'dick_basu', got {convention!r}.",
                   f"convention 只能是 'textbook'（教材原表）或 'dick_basu'（标准矩阵），收到 {convention!r}。")
    cells = {t: (row["attachment"], row["repeat"]) for t, row in LOYALTY_TYPES.iterrows()}
    if convention == "dick_basu":
        cells["latent"] = ("high", "low")
    return cells


@computes("loyalty_type", "忠诚类型", "loyalty type")
def classify_loyalty(attachment, repeat, driver=None, *, convention: str = "textbook",
                     lang: str = DEFAULT_LANG) -> str:
    """Loyalty type (客户忠诚的类型) from attachment, repeat purchase and, when needed, the driver.

    Textbook task 9 §9.1.2. High attachment with high repeat purchase is 超值忠诚 (super-value)
    whatever the driver. The other cells hold several types, so the driver decides:
    low/high is monopoly, inertia, convenience or incentive loyalty; low/low is latent or price
    loyalty (as printed). A driver that contradicts the two axes is an error, not a guess.

    Parameters
    ----------
    attachment, repeat : "high"/"low", "高"/"低" or bool.
    driver : why the customer buys: ``no_alternative``, ``inertia``, ``constraint``, ``location``,
        ``price``, ``reward``, ``emotion`` (see :data:`LOYALTY_DRIVERS` for Chinese labels).
    convention : ``"textbook"`` (latent = low/low, as printed — a known source error) or
        ``"dick_basu"`` (latent = high attachment, low repeat; Dick & Basu 1994).
    lang : ``"zh"`` (the default) returns the Chinese name (``"惰性忠诚"``), ``"en"`` the key
        (``"inertia"``).

    Examples
    --------
    >>> classify_loyalty("low", "high", driver="location")
    '方便忠诚'
    >>> classify_loyalty("低", "低", driver="价格", lang="en")
    'price'
    >>> classify_loyalty("high", "low", convention="dick_basu", lang="en")
    'latent'
    """
    check_lang(lang, _err)
    a, r = _level(attachment, "attachment"), _level(repeat, "repeat")
    cells = _cells(convention)
    candidates = [t for t, cell in cells.items() if cell == (a, r)]
    if not candidates:
        raise _err(f"no loyalty type in the textbook's table has attachment={a}, repeat={r} "
                   f"(the table has no high-attachment, low-repeat row; Dick & Basu call this "
                   f"latent loyalty: pass convention='dick_basu').",
                   f"教材的忠诚分类表中没有“依恋{_zh(a)}、重复购买{_zh(r)}”的类型"
                   f"（标准矩阵称之为潜在忠诚，可用 convention='dick_basu'）。")
    if driver is None or (isinstance(driver, float) and math.isnan(driver)):
        if len(candidates) > 1:
            raise _err(f"attachment={a}, repeat={r} fits several types {candidates}; "
                       f"pass driver= to say why the customer buys.",
                       f"依恋{_zh(a)}、重复购买{_zh(r)}对应多种类型 "
                       f"{[LOYALTY_TYPES.loc[t, 'zh'] for t in candidates]}，请用 driver= 说明购买原因。")
        chosen = candidates[0]
    else:
        d = _driver(driver)
        chosen = LOYALTY_TYPES.index[LOYALTY_TYPES["driver"] == d][0]
        if chosen not in candidates:
            ca, cr = cells[chosen]
            raise _err(f"driver {driver!r} means {chosen} loyalty, which has attachment={ca}, "
                       f"repeat={cr}, not attachment={a}, repeat={r}.",
                       f"原因 {driver!r} 对应{LOYALTY_TYPES.loc[chosen, 'zh']}（依恋{_zh(ca)}、"
                       f"重复购买{_zh(cr)}），与输入的依恋{_zh(a)}、重复购买{_zh(r)}矛盾。")
    return chosen if lang == "en" else LOYALTY_TYPES.loc[chosen, "zh"]


def _zh(level: str) -> str:
    return "高" if level == "high" else "低"


@computes("loyalty_type")
def loyalty_types(frame: pd.DataFrame, attachment: str = "attachment", repeat: str = "repeat",
                  driver: str | None = "driver", *, attachment_cut: float | None = None,
                  repeat_cut: float | None = None, convention: str = "textbook",
                  lang: str = DEFAULT_LANG) -> pd.Series:
    """Loyalty type of every row of a table (vectorised :func:`classify_loyalty`).

    Columns may hold high/low labels (高/低) or numbers; numbers need a cut-off and a value at or
    above the cut is "high" (crmlab default: the textbook gives no cut-offs). Rows that cannot be
    classified are reported all at once in one ``ValueError``; the frame is never changed.

    Examples
    --------
    >>> df = pd.DataFrame({"attachment": [5, 2, 1], "repeat": [20, 18, 1],
    ...                    "driver": ["情感", "惰性", "价格"]})
    >>> loyalty_types(df, attachment_cut=4, repeat_cut=12).tolist()
    ['超值忠诚', '惰性忠诚', '价格忠诚']
    >>> loyalty_types(df, attachment_cut=4, repeat_cut=12, lang="en").tolist()
    ['super_value', 'inertia', 'price']
    """
    cols = [attachment, repeat] + ([driver] if driver is not None and driver in frame.columns else [])
    _need_columns(frame, [attachment, repeat], "frame")
    a_col = _cut(frame[attachment], attachment_cut, attachment)
    r_col = _cut(frame[repeat], repeat_cut, repeat)
    has_driver = len(cols) == 3
    out, problems = [], []
    for i, label in enumerate(frame.index):
        d = frame[driver].iloc[i] if has_driver else None
        if d is not None and pd.isna(d):
            d = None
        try:
            out.append(classify_loyalty(a_col.iloc[i], r_col.iloc[i], d, convention=convention, lang=lang))
        except ValueError as exc:
            problems.append((label, *parts(exc)))
    if problems:
        head = problems[:10]
        raise _err(f"{len(problems)} row(s) could not be classified:\n  " + "\n  ".join(f"row {label!r}: {en}" for label, en, _ in head),
                   f"有 {len(problems)} 行无法分类：\n  " + "\n  ".join(f"第 {label!r} 行：{zh}" for label, _, zh in head))
    return pd.Series(out, index=frame.index, name="loyalty_type")


def _cut(values: pd.Series, cut, name: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if cut is None:
            raise _err(f"column {name!r} is numeric: pass a cut-off ({name}_cut=…) to split high/low.",
                       f"列 {name!r} 是数值，请给出高/低的分界值（{name}_cut=…）。")
        bad = values.index[values.isna()]
        if len(bad):
            raise _err(f"column {name!r} is empty in rows {_rows(bad)}.", f"列 {name!r} 在这些行为空：{_rows(bad)}。")
        return values.ge(cut).map({True: "high", False: "low"})
    return values


# --------------------------------------------------------------------------- §9.3 six indicators
#: The six loyalty indicators of textbook task 9 §9.3 with the direction the textbook gives
#: (``+1``: higher is more loyal, ``-1``: lower is more loyal) and what to control for.
LOYALTY_INDICATORS = pd.DataFrame(
    [
        ("repeat_purchases", "重复购买的次数", +1, "repeat purchases in the period", "product category"),
        ("decision_days", "决策时间的长短", -1, "days taken to decide a purchase", "quality differences"),
        ("extra_distance_km", "购物路程的远近", +1, "km travelled beyond the nearest outlet", "price effects"),
        ("price_sensitivity", "对价格的敏感度", -1, "|price elasticity| of the customer's demand",
         "necessity, supply and demand, competition"),
        ("competitor_liking", "对竞争者的态度", -1, "liking of competitors, 1–5", "—"),
        ("defect_tolerance", "对瑕疵品的态度", +1, "tolerance of a defective product, 1–5", "—"),
    ],
    columns=["indicator", "zh", "direction", "measure", "control_for"],
).set_index("indicator")

#: Direction of each indicator (textbook §9.3): +1 higher is more loyal, −1 lower is more loyal.
DIRECTIONS: dict[str, int] = LOYALTY_INDICATORS["direction"].to_dict()
#: Weights for the index — crmlab default, not the textbook's (the book says only "weight by industry").
DEFAULT_WEIGHTS: dict[str, float] = {"repeat_purchases": 0.25, "decision_days": 0.15,
                                     "extra_distance_km": 0.15, "price_sensitivity": 0.20,
                                     "competitor_liking": 0.15, "defect_tolerance": 0.10}
#: Fixed (lo, hi) bounds for the 0–1 rescaling — crmlab default, not the textbook's.
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {"repeat_purchases": (0, 24), "decision_days": (0, 14),
                                                  "extra_distance_km": (0, 5), "price_sensitivity": (0, 2.5),
                                                  "competitor_liking": (1, 5), "defect_tolerance": (1, 5)}
_SURVEY_RANGES = {"competitor_liking": (1, 5), "defect_tolerance": (1, 5), "decision_days": (0, np.inf),
                  "distance_km": (0, np.inf), "nearest_km": (0, np.inf)}


def price_elasticity(transactions: pd.DataFrame, *, customer: str = "customer_id",
                     product: str = "product_id", date: str = "order_date",
                     price: str = "unit_price", quantity: str = "quantity") -> pd.DataFrame:
    """Arc (midpoint) price elasticity between consecutive purchases of the same product.

    For each customer and product, purchases are taken in date order and every consecutive pair
    gives ``E = [(q2 − q1) / ((q1 + q2)/2)] / [(p2 − p1) / ((p1 + p2)/2)]`` — the standard
    midpoint formula (crmlab default; the textbook §9.3 names price sensitivity but gives no
    formula). Pairs with an unchanged price have no elasticity and are kept with ``NaN``.

    Returns one row per consecutive pair: customer, product, both dates, prices, quantities and
    ``elasticity``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["c1"] * 3, "product_id": ["p"] * 3,
    ...                    "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
    ...                    "unit_price": [4.0, 6.0, 6.0], "quantity": [120, 80, 90]})
    >>> price_elasticity(tx)["elasticity"].round(2).tolist()
    [-1.0, nan]
    """
    _need_columns(transactions, [customer, product, date, price, quantity], "transactions")
    df = transactions[[customer, product, date, price, quantity]].copy()
    _check_numbers(df, [price, quantity], "transactions", positive=True)
    df = df.sort_values([customer, product, date], kind="stable")
    g = df.groupby([customer, product], sort=False)
    p1, q1, d1 = g[price].shift(), g[quantity].shift(), g[date].shift()
    has_prev = p1.notna()
    p2, q2 = df[price].astype(float), df[quantity].astype(float)
    dq = (q2 - q1) / ((q1 + q2) / 2)
    dp = (p2 - p1) / ((p1 + p2) / 2)
    e = (dq / dp.where(dp != 0)).astype(float)
    out = pd.DataFrame({customer: df[customer], product: df[product], "date_1": d1, "date_2": df[date],
                        "price_1": p1, "price_2": p2, "qty_1": q1, "qty_2": q2, "elasticity": e})
    return out[has_prev].reset_index(drop=True)


def _check_numbers(df: pd.DataFrame, columns, what: str, positive: bool = False) -> None:
    for c in columns:
        values = pd.to_numeric(df[c], errors="coerce")
        bad = df.index[values.isna() | (values <= 0 if positive else values < 0)]
        if len(bad):
            cond = "positive numbers" if positive else "non-negative numbers"
            raise _err(f"{what}[{c!r}] must hold {cond}; bad rows: {_rows(bad)}.",
                       f"{what} 的列 {c!r} 必须是{'正数' if positive else '非负数'}；有问题的行：{_rows(bad)}。")


@computes("loyalty_indicators", "客户忠诚度指标（如重复购买次数）", "loyalty indicators such as repeat purchases")
def loyalty_indicators(transactions: pd.DataFrame, survey: pd.DataFrame | None = None, *,
                       customer: str = "customer_id", date: str = "order_date",
                       period_days: int = 365, end=None, product: str = "product_id",
                       price: str = "unit_price", quantity: str = "quantity") -> pd.DataFrame:
    """The six loyalty indicators of textbook task 9 §9.3, one row per customer.

    From the transactions (e.g. ``crmlab.datasets.load("orders")``), over the ``period_days``
    up to ``end`` (default: the last date in the data):

    - ``repeat_purchases``: purchase days in the period that are not the customer's first ever
      purchase (several orders on one day count once — the BTYD convention of Fader, Hardie & Lee
      2005; crmlab default);
    - ``price_sensitivity``: mean ``|arc elasticity|`` from :func:`price_elasticity` over the
      period (``NaN`` when the customer never saw a price change);
    - ``extra_distance_km``: mean ``distance_km − nearest_km`` when those columns are present.

    From the survey (one row per customer, optional): ``decision_days`` (≥ 0),
    ``competitor_liking`` and ``defect_tolerance`` (1–5), and ``distance_km``/``nearest_km`` if
    the transactions do not carry them. Indicators without a source are ``NaN`` columns, so the
    table always has the six columns in the textbook's order. Customers in the survey but not in
    the transactions are kept (their transaction indicators are ``NaN``).

    Malformed input — missing ids or dates, non-positive prices or quantities, duplicated survey
    customers, out-of-range answers, an indicator given by both sources — raises ``ValueError``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "order_date": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-03-01", "2024-06-01"]),
    ...                    "product_id": ["p1", "p1", "p2", "p1"], "unit_price": [10.0, 8.0, 5.0, 10.0],
    ...                    "quantity": [1, 2, 1, 1]})
    >>> sv = pd.DataFrame({"customer_id": ["a", "b"], "decision_days": [1, 7],
    ...                    "competitor_liking": [2, 4], "defect_tolerance": [5, 2]})
    >>> ind = loyalty_indicators(tx, sv)
    >>> ind.columns.tolist()
    ['repeat_purchases', 'decision_days', 'extra_distance_km', 'price_sensitivity', 'competitor_liking', 'defect_tolerance']
    >>> ind[["repeat_purchases", "price_sensitivity", "decision_days"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
                 repeat_purchases  price_sensitivity  decision_days
    customer_id
    a                         1.0                3.0              1
    b                         0.0                NaN              7
    """
    _need_columns(transactions, [customer, date], "transactions")
    keep = [c for c in (customer, date, product, price, quantity, "distance_km", "nearest_km")
            if c in transactions.columns]
    tx = transactions[list(dict.fromkeys(keep))].copy()
    tx[date] = _dates(tx[date], "transactions", date)
    bad = tx.index[_missing_ids(tx[customer])]
    if len(bad):
        raise _err(f"transactions have no {customer!r} in rows {_rows(bad)}.",
                   f"交易记录的这些行缺少客户编号 {customer!r}：{_rows(bad)}。")
    if not isinstance(period_days, (int, np.integer)) or period_days <= 0:
        raise _err(f"period_days must be a positive whole number of days, got {period_days!r}.",
                   f"period_days 必须是正整数天数，收到 {period_days!r}。")
    end = tx[date].max() if end is None else pd.Timestamp(end)
    start = end - pd.Timedelta(days=int(period_days))
    customers = pd.Index(pd.unique(tx[customer]), name=customer)

    days = tx[[customer, date]].assign(day=tx[date].dt.normalize()).drop_duplicates([customer, "day"])
    first = days.groupby(customer)["day"].min()
    in_win = days[(days["day"] > start) & (days["day"] <= end)]
    n_win = in_win.groupby(customer).size().reindex(customers, fill_value=0)
    first_in_win = ((first > start) & (first <= end)).reindex(customers).astype(int)
    repeat = (n_win - first_in_win).clip(lower=0).astype(float)

    out = pd.DataFrame(index=customers, columns=list(LOYALTY_INDICATORS.index), dtype=float)
    out["repeat_purchases"] = repeat

    if all(c in tx.columns for c in (product, price, quantity)):
        win_tx = tx[(tx[date] > start) & (tx[date] <= end)]
        pairs = price_elasticity(win_tx, customer=customer, product=product, date=date,
                                 price=price, quantity=quantity)
        out["price_sensitivity"] = pairs["elasticity"].abs().groupby(pairs[customer]).mean().reindex(customers)
    tx_distance = "distance_km" in tx.columns and "nearest_km" in tx.columns
    if tx_distance:
        _check_numbers(tx, ["distance_km", "nearest_km"], "transactions")
        extra = (tx["distance_km"].astype(float) - tx["nearest_km"].astype(float)).groupby(tx[customer]).mean()
        out["extra_distance_km"] = extra.reindex(customers)

    if survey is not None:
        out = _merge_survey(out, survey, customer, tx_distance)
    out.index.name = customer
    return out


def _missing_ids(ids: pd.Series) -> pd.Series:
    """Mask of missing or blank ids (blank text is checked on the distinct values only, for speed)."""
    mask = ids.isna()
    if not (pd.api.types.is_numeric_dtype(ids) or pd.api.types.is_bool_dtype(ids)):
        blank = [u for u in pd.unique(ids[~mask]) if isinstance(u, str) and not u.strip()]
        if blank:
            mask |= ids.isin(blank)
    return mask


def _dates(values: pd.Series, what: str, column: str) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce")
    retry = parsed.isna() & values.notna()
    if retry.any():   # text in several formats: parse those values one by one
        parsed = parsed.astype("datetime64[ns]")
        parsed[retry] = pd.to_datetime(values[retry], errors="coerce", format="mixed")
    bad = values.index[parsed.isna()]
    if len(bad):
        raise _err(f"{what}[{column!r}] has missing or unreadable dates in rows {_rows(bad)}.",
                   f"{what} 的日期列 {column!r} 在这些行为空或无法识别：{_rows(bad)}。")
    return parsed


def _merge_survey(out: pd.DataFrame, survey: pd.DataFrame, customer: str, tx_distance: bool) -> pd.DataFrame:
    _need_columns(survey, [customer], "survey")
    dup = survey[customer][survey[customer].duplicated(keep=False)]
    if len(dup):
        raise _err(f"survey has several rows for customer(s) {_rows(pd.unique(dup))}; keep one per customer.",
                   f"问卷中这些客户出现了多次：{_rows(pd.unique(dup))}；每位客户只能有一行。")
    sv = survey.set_index(customer)
    if "extra_distance_km" in sv.columns or "price_sensitivity" in sv.columns or "repeat_purchases" in sv.columns:
        given = [c for c in ("extra_distance_km", "price_sensitivity", "repeat_purchases") if c in sv.columns]
        raise _err(f"survey column(s) {given} are computed from the transactions; give distance_km "
                   f"and nearest_km instead, or drop them.",
                   f"问卷列 {given} 由交易数据计算，请改为提供 distance_km 与 nearest_km，或删除这些列。")
    distance_cols = [c for c in ("distance_km", "nearest_km") if c in sv.columns]
    if distance_cols and tx_distance:
        raise _err("distance_km/nearest_km are given in both the transactions and the survey; keep one source.",
                   "distance_km/nearest_km 同时出现在交易数据和问卷中，请只保留一个来源。")
    if len(distance_cols) == 1:
        raise _err("the survey needs both distance_km and nearest_km to compute the extra distance.",
                   "问卷需同时提供 distance_km 与 nearest_km 才能计算多走的路程。")
    for c, (lo, hi) in _SURVEY_RANGES.items():
        if c not in sv.columns:
            continue
        values = pd.to_numeric(sv[c], errors="coerce")
        bad = sv.index[values.isna() | (values < lo) | (values > hi)]
        if len(bad):
            rng = f"{lo}–{hi}" if np.isfinite(hi) else f"≥ {lo}"
            raise _err(f"survey[{c!r}] must be a number {rng}; bad answers for customer(s) {_rows(bad)}.",
                       f"问卷列 {c!r} 必须是 {rng} 的数值；有问题的客户：{_rows(bad)}。")
    out = out.reindex(out.index.union(sv.index, sort=False))
    for c in ("decision_days", "competitor_liking", "defect_tolerance"):
        if c in sv.columns:
            out[c] = pd.to_numeric(sv[c]).reindex(out.index)
    if distance_cols:
        out["extra_distance_km"] = (pd.to_numeric(sv["distance_km"]) - pd.to_numeric(sv["nearest_km"])).reindex(out.index)
    return out


@computes("loyalty_index", "忠诚指数", "loyalty index")
def loyalty_index(indicators, weights: Mapping[str, float] | None = None,
                  bounds: Mapping[str, tuple[float, float]] | None = None,
                  directions: Mapping[str, int] | None = None, *, missing: str = "raise"):
    """Weighted 0–100 loyalty index from the six indicators (textbook task 9 §9.3).

    The textbook says only: weight the six indicators by industry, build a standard index and
    compare customers. crmlab's method (not the textbook's) rescales each indicator with fixed
    bounds, ``n = (x − lo)/(hi − lo)`` clipped to [0, 1], flips it (``1 − n``) where lower is more
    loyal, and returns ``100 × Σ w·n / Σ w``, rounded to 2 decimals.

    Parameters
    ----------
    indicators : DataFrame (one row per customer, as from :func:`loyalty_indicators`) or one
        customer as a dict/Series. Only the weighted columns are used.
    weights : indicator → weight ≥ 0 (default :data:`DEFAULT_WEIGHTS`). To use fewer indicators,
        pass weights for just those.
    bounds : indicator → (lo, hi) (default :data:`DEFAULT_BOUNDS`).
    directions : indicator → +1 or −1 (default :data:`DIRECTIONS`, from the textbook).
    missing : what to do with a missing value: ``"raise"`` (default; the error names the
        customers), ``"nan"`` (that customer's index is NaN) or ``"reweight"`` (use the indicators
        the customer has, re-normalising the weights).

    Returns
    -------
    float for one customer, otherwise a Series named ``loyalty_index``.

    Examples
    --------
    >>> df = pd.DataFrame({"repeat_purchases": [6, 12], "decision_days": [10, 4],
    ...                    "extra_distance_km": [0.0, 1.0], "price_sensitivity": [2.0, 1.0],
    ...                    "competitor_liking": [4, 3], "defect_tolerance": [1, 3]}, index=["B", "C"])
    >>> loyalty_index(df).tolist()
    [18.29, 50.71]
    >>> loyalty_index(df, weights={"repeat_purchases": 1, "defect_tolerance": 1}).tolist()
    [12.5, 50.0]
    """
    single = isinstance(indicators, (Mapping, pd.Series))
    frame = pd.DataFrame([dict(indicators)]) if single else indicators
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(bilingual("indicators must be a DataFrame, a Series or a dict",
                                  "indicators 必须是 DataFrame、Series 或 dict"))
    if missing not in ("raise", "nan", "reweight"):
        raise _err(f"missing must be 'raise', 'nan' or 'reweight', got {missing!r}.",
                   f"missing 只能是 'raise'、'nan' 或 'reweight'，收到 {missing!r}。")
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    bounds = {**DEFAULT_BOUNDS, **(bounds or {})}
    directions = {**DIRECTIONS, **(directions or {})}
    if not weights:
        raise _err("weights is empty.", "权重为空。")
    for k, w in weights.items():
        if k not in bounds or k not in directions:
            raise _err(f"no bounds or direction for indicator {k!r}; pass bounds= and directions=.",
                       f"指标 {k!r} 没有上下界或方向，请用 bounds= 和 directions= 给出。")
        if not isinstance(w, (int, float, np.integer, np.floating)) or not np.isfinite(w) or w < 0:
            raise _err(f"weight of {k!r} must be a number ≥ 0, got {w!r}.", f"指标 {k!r} 的权重必须是 ≥ 0 的数，收到 {w!r}。")
        lo, hi = bounds[k]
        if not hi > lo:
            raise _err(f"bounds of {k!r} must have hi > lo, got {bounds[k]!r}.", f"指标 {k!r} 的上界必须大于下界，收到 {bounds[k]!r}。")
        if directions[k] not in (1, -1):
            raise _err(f"direction of {k!r} must be +1 or -1, got {directions[k]!r}.",
                       f"指标 {k!r} 的方向必须是 +1 或 -1，收到 {directions[k]!r}。")
    if sum(weights.values()) <= 0:
        raise _err("weights must not all be zero.", "权重不能全为 0。")
    _need_columns(frame, list(weights), "indicators")

    w = pd.Series(weights, dtype=float)
    x = frame[list(weights)].apply(pd.to_numeric, errors="coerce")
    unreadable = [(i, c) for c in x.columns for i in frame.index[x[c].isna() & frame[c].notna()]]
    if unreadable:
        raise _err(f"indicator values are not numbers at {_rows(unreadable)}.", f"这些指标值不是数值：{_rows(unreadable)}。")
    lo = pd.Series({k: bounds[k][0] for k in weights})
    hi = pd.Series({k: bounds[k][1] for k in weights})
    n = ((x - lo) / (hi - lo)).clip(0, 1)
    flip = [k for k in weights if directions[k] == -1]
    n[flip] = 1 - n[flip]
    has = n.notna()
    if missing == "raise" and not has.all().all():
        holes = [f"{i!r}: {list(n.columns[~has.loc[i]])}" for i in n.index[~has.all(axis=1)]]
        raise _err(f"missing indicator values for {len(holes)} customer(s): " + "; ".join(holes[:10])
                   + ". Pass weights for the indicators you have, or missing='nan' / 'reweight'.",
                   f"有 {len(holes)} 位客户缺少指标值；请只给有数据的指标设权重，或使用 missing='nan' / 'reweight'。")
    num = (n.fillna(0) * w).sum(axis=1)
    den = has.mul(w).sum(axis=1) if missing == "reweight" else pd.Series(w.sum(), index=n.index)
    index = (100 * num / den.where(den > 0)).round(2)
    if missing == "nan":
        index[~has.all(axis=1)] = np.nan
    index.name = "loyalty_index"
    return float(index.iloc[0]) if single else index


# --------------------------------------------------------------------------- §9.2 satisfied ≠ loyal
_LIKERT5 = {"很满意": 5, "满意": 4, "一般": 3, "不满意": 2, "很不满意": 1, "极不满意": 1,
            "very satisfied": 5, "satisfied": 4, "neutral": 3, "dissatisfied": 2, "very dissatisfied": 1}


def _satisfaction_scores(values: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        scores = values.astype(float)
        bad = values.index[scores.isna()]
    else:
        scores = values.map(lambda v: _LIKERT5.get(str(v).strip().casefold()) if not pd.isna(v) else np.nan).astype(float)
        bad = values.index[scores.isna()]
    if len(bad):
        raise _err(f"column {name!r} has missing or unknown satisfaction values in rows {_rows(bad)} "
                   f"(use numbers or 很满意/满意/一般/不满意/很不满意).",
                   f"满意度列 {name!r} 在这些行为空或无法识别：{_rows(bad)}（请用数值或 很满意/满意/一般/不满意/很不满意）。")
    return scores


def _flags(values: pd.Series, name: str, cut) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool)
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values.index[numeric.isna()]
    if len(bad):
        raise _err(f"column {name!r} must be True/False or numbers; bad rows {_rows(bad)}.",
                   f"列 {name!r} 必须是 True/False 或数值；有问题的行：{_rows(bad)}。")
    if cut is None:
        odd = values.index[~numeric.isin([0, 1])]
        if len(odd):
            raise _err(f"column {name!r} is not 0/1: pass a cut-off to turn it into yes/no (rows {_rows(odd)}).",
                       f"列 {name!r} 不是 0/1，请给出分界值（行 {_rows(odd)}）。")
        return numeric.astype(bool)
    return numeric >= cut


@computes("satisfied_not_loyal", "满意但不忠诚的客户", "satisfied but not loyal customers")
def satisfaction_loyalty_table(frame: pd.DataFrame, satisfaction: str = "satisfaction",
                               loyal: str = "loyal", *, sat_cut: float = 4,
                               loyal_cut: float | None = None) -> pd.DataFrame:
    """2 × 2 counts of satisfied × loyal customers (满意 × 忠诚), textbook task 9 §9.2.

    A customer is satisfied when the score is at least ``sat_cut`` (default 4 = 满意 on the
    5-point scale; crmlab default). ``loyal`` is a True/False (or 0/1) column, or a number with
    ``loyal_cut`` (e.g. a loyalty index ≥ 60).

    Examples
    --------
    >>> df = pd.DataFrame({"satisfaction": ["很满意", "满意", "一般", "满意"], "loyal": [True, False, False, False]})
    >>> table = satisfaction_loyalty_table(df)
    >>> table.columns.tolist(), table.to_numpy().tolist()
    (['忠诚 loyal', '不忠诚 not loyal'], [[1, 2], [0, 1]])
    """
    _need_columns(frame, [satisfaction, loyal], "frame")
    sat = _satisfaction_scores(frame[satisfaction], satisfaction) >= sat_cut
    loy = _flags(frame[loyal], loyal, loyal_cut)
    table = pd.crosstab(sat.map({True: "满意 satisfied", False: "不满意 not satisfied"}).rename("satisfied"),
                        loy.map({True: "忠诚 loyal", False: "不忠诚 not loyal"}).rename("loyal"))
    return table.reindex(index=["满意 satisfied", "不满意 not satisfied"],
                         columns=["忠诚 loyal", "不忠诚 not loyal"], fill_value=0)


@computes("satisfied_not_loyal")
def satisfied_not_loyal(frame: pd.DataFrame, satisfaction: str = "satisfaction", loyal: str = "loyal",
                        *, sat_cut: float = 4, loyal_cut: float | None = None) -> pd.DataFrame:
    """The customers who are satisfied but not loyal (满意但不忠诚) — a copy of those rows.

    Textbook task 9 §9.2: satisfaction does not guarantee loyalty; these customers switch for
    convenience or price. Their share of all customers is ``len(result) / len(frame)``.

    Examples
    --------
    >>> df = pd.DataFrame({"satisfaction": [5, 4, 2, 4], "loyalty_index": [80, 30, 20, 55]})
    >>> satisfied_not_loyal(df, loyal="loyalty_index", loyal_cut=60).index.tolist()
    [1, 3]
    """
    _need_columns(frame, [satisfaction, loyal], "frame")
    sat = _satisfaction_scores(frame[satisfaction], satisfaction) >= sat_cut
    loy = _flags(frame[loyal], loyal, loyal_cut)
    return frame[sat & ~loy].copy()


@computes("satisfied_not_loyal")
def satisfied_share_of_defectors(frame: pd.DataFrame, satisfaction: str = "satisfaction",
                                 churned: str = "churned", *, sat_cut: float = 4) -> float:
    """Share of the customers who left (churned) that had said they were satisfied.

    Textbook task 9 §9.1.3: in telecoms 65 %–85 % of customers who switched said they had been
    satisfied with the old supplier. Raises if no customer churned.

    Examples
    --------
    >>> df = pd.DataFrame({"satisfaction": [5, 4, 4, 2, 5], "churned": [True, True, True, True, False]})
    >>> satisfied_share_of_defectors(df)
    0.75
    """
    _need_columns(frame, [satisfaction, churned], "frame")
    sat = _satisfaction_scores(frame[satisfaction], satisfaction) >= sat_cut
    left = _flags(frame[churned], churned, None)
    if not left.any():
        raise _err("no customer churned, so the share is undefined.", "没有流失的客户，无法计算比例。")
    return round(float(sat[left].mean()), 6)


# --------------------------------------------------------------------------- §9.4 programmes
#: The three levels of a loyalty programme (忠诚计划的层级), textbook task 9 §9.4.1.
PROGRAM_LEVELS = pd.DataFrame(
    [
        (1, "一级阶梯", "price incentives and extra rewards (frequency marketing 频繁营销)", "financial",
         "discounts, points, gifts, prizes", "large customer bases with low unit margins; easy to copy",
         "American Airlines AAdvantage"),
        (2, "二级阶梯", "customer organisations: files, clubs, associations, personalisation",
         "social + financial", "clubs, member cards with data", "needs customer data and contact",
         "Tesco Clubcard"),
        (3, "三级阶梯", "resources the customer cannot get elsewhere", "structural + financial + social",
         "communities and member privileges", "concentrated customer bases with high margins", "—"),
    ],
    columns=["level", "zh", "lever", "bonds", "forms", "fit", "example"],
).set_index("level")


@dataclass(frozen=True)
class LoyaltyProgram:
    """A tiered points programme (会员等级 + 积分), e.g. silver/gold/diamond (银卡/金卡/钻石卡).

    Textbook task 9 §9.4.2 lever 7 names diamond, gold and silver member tiers with different
    policies and "rewards that grow with purchases"; the thresholds, multipliers and point value
    below are crmlab defaults, not the textbook's.

    Rules of the engine (crmlab default): a customer's tier is set by cumulative qualifying spend
    *before* each purchase, so an upgrade counts from the next purchase; each purchase earns
    ``floor(amount × points_per_yuan × multiplier of the tier)`` points; the liability is
    ``points × point_value`` 元.

    Parameters
    ----------
    tiers : tier name → minimum cumulative spend (元); strictly increasing, the lowest must be 0.
    multipliers : tier name → points multiplier (default 1 for every tier).
    points_per_yuan, point_value : earn rate and the redemption value of one point (元).
    level : programme level 1, 2 or 3 of :data:`PROGRAM_LEVELS`.

    Examples
    --------
    >>> prog = LoyaltyProgram()
    >>> prog.tier_of(12_000)
    '金卡'
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a"], "amount": [4000.0, 2000.0, 1000.0],
    ...                    "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])})
    >>> prog.statement(tx)  # doctest: +NORMALIZE_WHITESPACE
                  spend  purchases tier  points  liability
    customer_id
    a            7000.0          3   金卡    7500       75.0
    """

    tiers: Mapping[str, float] = field(default_factory=lambda: {"银卡": 0, "金卡": 5_000, "钻石卡": 20_000})
    multipliers: Mapping[str, float] | None = field(default_factory=lambda: {"银卡": 1.0, "金卡": 1.5, "钻石卡": 2.0})
    points_per_yuan: float = 1.0
    point_value: float = 0.01
    level: int = 1

    def __post_init__(self):
        if not self.tiers:
            raise _err("a programme needs at least one tier.", "会员计划至少需要一个等级。")
        names, mins = list(self.tiers), [self.tiers[n] for n in self.tiers]
        if any(not isinstance(m, (int, float, np.integer, np.floating)) or not np.isfinite(m) for m in mins):
            raise _err(f"tier thresholds must be numbers, got {dict(self.tiers)}.", f"等级门槛必须是数值，收到 {dict(self.tiers)}。")
        if mins[0] != 0:
            raise _err(f"the lowest tier must start at 0 so every customer has a tier, got {mins[0]!r}; "
                       f"add an entry tier (e.g. '普通': 0) with multiplier 0 to model a joining threshold.",
                       f"最低等级的门槛必须为 0（收到 {mins[0]!r}）；如需入会门槛，可增加门槛为 0、倍数为 0 的“普通”等级。")
        if any(b <= a for a, b in zip(mins, mins[1:])):
            raise _err(f"tier thresholds must increase strictly in the order given, got {dict(self.tiers)}.",
                       f"等级门槛必须按给出顺序严格递增，收到 {dict(self.tiers)}。")
        mult = self.multipliers or {}
        unknown = set(mult) - set(names)
        if unknown:
            raise _err(f"multipliers name unknown tier(s) {sorted(unknown)}.", f"倍数中有未知的等级 {sorted(unknown)}。")
        if any(not np.isfinite(v) or v < 0 for v in mult.values()):
            raise _err("multipliers must be numbers ≥ 0.", "积分倍数必须是 ≥ 0 的数。")
        for what, v in (("points_per_yuan", self.points_per_yuan), ("point_value", self.point_value)):
            if not np.isfinite(v) or v < 0:
                raise _err(f"{what} must be a number ≥ 0, got {v!r}.", f"{what} 必须是 ≥ 0 的数，收到 {v!r}。")
        if self.level not in (1, 2, 3):
            raise _err(f"level must be 1, 2 or 3 (一级/二级/三级阶梯), got {self.level!r}.",
                       f"计划层级必须是 1、2 或 3，收到 {self.level!r}。")

    def rules(self) -> pd.DataFrame:
        """The tier table: minimum spend and points multiplier of every tier."""
        mult = self.multipliers or {}
        return pd.DataFrame({"min_spend": pd.Series(dict(self.tiers), dtype=float),
                             "multiplier": pd.Series({n: float(mult.get(n, 1.0)) for n in self.tiers})}
                            ).rename_axis("tier")

    @computes("loyalty_tier", "会员等级", "member tier")
    def tier_of(self, spend: float) -> str:
        """Tier for a cumulative spend (元)."""
        if spend is None or not np.isfinite(spend) or spend < 0:
            raise _err(f"spend must be a number ≥ 0, got {spend!r}.", f"消费额必须是 ≥ 0 的数，收到 {spend!r}。")
        names, mins = list(self.tiers), np.array([self.tiers[n] for n in self.tiers], dtype=float)
        return names[int(np.searchsorted(mins, spend, side="right")) - 1]

    @computes("loyalty_tier")
    def assign_tiers(self, spend: pd.Series) -> pd.Series:
        """Tier of every customer from a Series of cumulative spend (ordered categorical)."""
        values = pd.to_numeric(pd.Series(spend), errors="coerce")
        bad = values.index[values.isna() | (values < 0)]
        if len(bad):
            raise _err(f"spend must be numbers ≥ 0; bad rows {_rows(bad)}.", f"消费额必须是 ≥ 0 的数；有问题的行：{_rows(bad)}。")
        names, mins = list(self.tiers), np.array([self.tiers[n] for n in self.tiers], dtype=float)
        codes = np.searchsorted(mins, values.to_numpy(float), side="right") - 1
        return pd.Series(pd.Categorical.from_codes(codes, categories=names, ordered=True),
                         index=values.index, name="tier")

    def statement(self, transactions: pd.DataFrame, *, customer: str = "customer_id",
                  amount: str = "amount", date: str = "order_date") -> pd.DataFrame:
        """Per-customer statement: spend, number of purchases, final tier, points and liability (元)."""
        _need_columns(transactions, [customer, amount, date], "transactions")
        tx = transactions[[customer, amount, date]].copy()
        tx[date] = _dates(tx[date], "transactions", date)
        _check_numbers(tx, [amount], "transactions")
        tx[amount] = tx[amount].astype(float)
        tx = tx.sort_values([customer, date], kind="stable")
        before = tx.groupby(customer)[amount].cumsum() - tx[amount]
        tier = self.assign_tiers(before)
        mult = self.rules()["multiplier"]
        earned = np.floor((tx[amount] * self.points_per_yuan * tier.map(mult).astype(float)).round(6))
        g = tx.assign(points=earned).groupby(customer, sort=True)
        out = pd.DataFrame({"spend": g[amount].sum().round(2), "purchases": g.size(),
                            "points": g["points"].sum().astype(int)})
        out.insert(2, "tier", self.assign_tiers(out["spend"]).astype(str))
        out["liability"] = (out["points"] * self.point_value).round(2)
        return out


@dataclass(frozen=True)
class TescoRules:
    """Tesco's two-tier reward rules exactly as printed (textbook task 9 §9.4.2).

    - Tier 1: 1 point per £1 spent (whole pounds of each purchase); 150 points → one shopping
      voucher (购物券); the rest carries over.
    - Tier 2: every single purchase of at least 38 → one key (钥匙); 50 keys → one key-chain
      (钥匙链); 100 key-chains → a gold key-chain (金钥匙链).

    The book mixes £ (points) and US$ (the 38 threshold); crmlab uses one currency for both.
    Counting whole units *per purchase* (``floor`` of each amount) is crmlab's reading.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a"] * 4 + ["b"], "amount": [45.20, 12.80, 38.00, 150.00, 37.99]})
    >>> TescoRules().apply(tx)[["points", "vouchers", "points_left", "keys", "key_chains"]]  # doctest: +NORMALIZE_WHITESPACE
                 points  vouchers  points_left  keys  key_chains
    customer_id
    a               245         1           95     3           0
    b                37         0           37     0           0
    """

    points_per_unit: float = 1.0
    voucher_points: int = 150
    key_threshold: float = 38.0
    keys_per_chain: int = 50
    chains_per_gold: int = 100

    def __post_init__(self):
        for what in ("points_per_unit", "voucher_points", "key_threshold", "keys_per_chain", "chains_per_gold"):
            v = getattr(self, what)
            if not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) or v <= 0:
                raise _err(f"{what} must be a positive number, got {v!r}.", f"{what} 必须是正数，收到 {v!r}。")

    @computes("tesco_rewards")
    def apply(self, transactions: pd.DataFrame, *, customer: str = "customer_id",
              amount: str = "amount") -> pd.DataFrame:
        """Points, vouchers, keys, key-chains and gold key-chains per customer."""
        _need_columns(transactions, [customer, amount], "transactions")
        tx = transactions[[customer, amount]].copy()
        _check_numbers(tx, [amount], "transactions")
        a = tx[amount].astype(float)
        tx["points"] = np.floor((a * self.points_per_unit).round(6)).astype(int)
        tx["keys"] = (a.round(6) >= self.key_threshold).astype(int)
        g = tx.groupby(customer, sort=True)
        out = pd.DataFrame({"spend": g[amount].sum().round(2), "points": g["points"].sum(), "keys": g["keys"].sum()})
        out.insert(2, "vouchers", out["points"] // int(self.voucher_points))
        out.insert(3, "points_left", out["points"] % int(self.voucher_points))
        chains = out["keys"] // int(self.keys_per_chain)
        out["keys_left"] = out["keys"] % int(self.keys_per_chain)
        out["key_chains"] = chains
        out["gold_key_chains"] = chains // int(self.chains_per_gold)
        out["key_chains_left"] = chains % int(self.chains_per_gold)
        return out


@computes("tesco_rewards", "乐购的积分与钥匙", "Tesco points and keys")
def tesco_rewards(amounts, rules: TescoRules | None = None) -> dict:
    """Tesco rewards of one customer from a list of purchase amounts (see :class:`TescoRules`).

    Returns a dict of plain numbers: spend, points, vouchers, points_left, keys, keys_left,
    key_chains, gold_key_chains, key_chains_left.

    Examples
    --------
    >>> tesco_rewards([45.20, 12.80, 38.00, 150.00])
    {'spend': 246.0, 'points': 245, 'vouchers': 1, 'points_left': 95, 'keys': 3, 'keys_left': 3, 'key_chains': 0, 'gold_key_chains': 0, 'key_chains_left': 0}
    """
    values = pd.Series(list(amounts), dtype="object")
    frame = pd.DataFrame({"customer_id": "customer", "amount": pd.to_numeric(values, errors="coerce")})
    bad = values.index[frame["amount"].isna()]
    if len(bad):
        raise _err(f"amounts must be numbers; bad positions {_rows(bad)}.", f"消费金额必须是数值；有问题的位置：{_rows(bad)}。")
    if frame.empty:
        raise _err("no purchase amounts were given.", "没有消费记录。")
    row = (rules or TescoRules()).apply(frame).iloc[0]
    return {k: (float(v) if k == "spend" else int(v)) for k, v in row.items()}


#: Value of one point in 元 for the partners of a coalition card — a CONSTRUCTED example (the
#: German coalition-card case in task 9 gives no rates).
COALITION_RATES: dict[str, float] = {"airline": 0.05, "hotel": 0.02, "retail": 0.01, "fuel": 0.01}


@computes("coalition_convert", "联盟积分换算", "coalition points conversion")
def coalition_convert(points, from_partner: str, to_partner: str,
                      rates: Mapping[str, float] | None = None):
    """Convert points between partners of a coalition programme (联盟积分), conserving value.

    Textbook task 9 拓展学习 案例2 (the German coalition card): airline, hotel, retail and fuel
    points are interchangeable. With ``rates`` giving the 元 value of one point at each partner,
    ``converted = points × rate[from] / rate[to]`` — the value of the points is unchanged. Rounding
    to whole points is left to the caller.

    Examples
    --------
    >>> coalition_convert(1000, "airline", "fuel")
    5000.0
    >>> coalition_convert([100, 250], "retail", "hotel").tolist()
    [50.0, 125.0]
    """
    rates = COALITION_RATES if rates is None else rates
    for p in (from_partner, to_partner):
        if p not in rates:
            raise _err(f"unknown partner {p!r}; rates are given for {list(rates)}.", f"未知的合作商家 {p!r}；已有汇率：{list(rates)}。")
    r_from, r_to = float(rates[from_partner]), float(rates[to_partner])
    if not (r_from > 0 and r_to > 0 and np.isfinite(r_from) and np.isfinite(r_to)):
        raise _err("point values must be positive numbers.", "积分价值必须是正数。")
    scalar = np.isscalar(points)
    arr = np.asarray(points, dtype=float)
    if np.isnan(arr).any() or (arr < 0).any():
        raise _err("points must be numbers ≥ 0.", "积分必须是 ≥ 0 的数。")
    out = arr * r_from / r_to
    return float(out) if scalar else out


@computes("cause_donations", "公益捐赠金额", "cause-related donations")
def donation_program(transactions: pd.DataFrame, *, rate: float = 0.01, beneficiary: str = "beneficiary",
                     amount: str = "amount") -> pd.Series:
    """Donations per beneficiary from a cause-related programme (捐赠型忠诚计划).

    Textbook task 9 §9.4.2: Target gives 1 % of card spend to a school the customer names;
    案例1 青山农场 gives the customers' points to the church of their choice. The donation is
    ``rate × amount`` summed per beneficiary, rounded to fen (0.01 元). A purchase without a
    beneficiary is an error, not a silent zero.

    Examples
    --------
    >>> tx = pd.DataFrame({"amount": [200.0, 50.0, 300.0], "beneficiary": ["一中", "二中", "一中"]})
    >>> donation_program(tx).to_dict()
    {'一中': 5.0, '二中': 0.5}
    """
    _need_columns(transactions, [amount, beneficiary], "transactions")
    if not (0 <= rate <= 1):
        raise _err(f"rate must be between 0 and 1, got {rate!r}.", f"捐赠比例必须在 0 到 1 之间，收到 {rate!r}。")
    _check_numbers(transactions, [amount], "transactions")
    who = transactions[beneficiary]
    bad = transactions.index[who.isna() | (who.astype(str).str.strip() == "")]
    if len(bad):
        raise _err(f"purchases without a beneficiary in rows {_rows(bad)}.", f"这些消费记录没有受捐对象：{_rows(bad)}。")
    return (transactions[amount].astype(float) * rate).groupby(who).sum().round(2).rename("donation")


def switching_cost(financial: float = 0.0, process: float = 0.0, emotional: float = 0.0,
                   **other: float) -> pd.Series:
    """Switching cost (转移成本) by kind and in total, textbook task 9 §9.4.2 lever 5.

    The textbook's three classes are financial, process and emotional cost (财务、过程、情感成本);
    other named kinds (e.g. ``learning=…``) may be added. Emotional cost is the hardest for rivals
    to copy.

    Examples
    --------
    >>> switching_cost(financial=200, process=50, emotional=300)["total"]
    np.float64(550.0)
    """
    parts = {"financial": financial, "process": process, "emotional": emotional, **other}
    for k, v in parts.items():
        if not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) or v < 0:
            raise _err(f"switching cost {k!r} must be a number ≥ 0, got {v!r}.", f"转移成本 {k!r} 必须是 ≥ 0 的数，收到 {v!r}。")
    s = pd.Series(parts, dtype=float)
    s["total"] = s.sum()
    return s
