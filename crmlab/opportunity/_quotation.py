"""Quotation (报价, task 7 §7.2): the five principles, quote lines with floor-price checks, per-day
prices (化整为零) and the comparison table (比较法)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from crmlab import glossary
from crmlab.shortcuts import computes
from crmlab.sales_method import BelowFloor, InvalidValue, UnknownLabel, _amount, _blank


# --------------------------------------------------------------------------------------------
# Quotation (报价, task 7 §7.2)
# --------------------------------------------------------------------------------------------
class Principle(NamedTuple):
    code: str
    number: int
    condition_zh: str
    condition_en: str
    rule_zh: str
    rule_en: str
    price_policy: str


# Task 7 §7.2.3 报价原则, the five rules (paraphrased). ``price_policy`` is crmlab's mapping used
# by :func:`suggest_price`: "list" = quote the list price, "near_floor" = just above the floor,
# "floor" = show the bottom line at once.
QUOTE_PRINCIPLES: tuple[Principle, ...] = (
    Principle("big_customer", 1, "大客户、购买力强", "big customer, strong purchasing power",
              "报价可以适当高一些", "quote somewhat higher", "list"),
    Principle("familiar", 2, "对产品和价格非常了解", "knows the product and prices well",
              "用比较法，报价接近底价，一开始就抓住客户", "use the comparison method and quote close to the floor", "near_floor"),
    Principle("straightforward", 3, "性格直爽、不喜欢讨价还价", "straightforward, dislikes haggling",
              "直接亮出底牌，不要用高价吓跑客户", "show the bottom line at once", "floor"),
    Principle("unfamiliar", 4, "对产品不了解", "does not know the product",
              "热情介绍用途和优点，价格可以高一些", "explain uses and advantages; the price can be higher", "list"),
    Principle("price_sensitive", 5, "对价格敏感、斤斤计较，但喜欢产品", "price-sensitive haggler who likes the product",
              "耐心打心理战，从标准价开始逐步让步", "be patient: fight a psychological battle from the list price", "list"),
)
_PRINCIPLES = {p.code: p for p in QUOTE_PRINCIPLES}
QUOTE_PRINCIPLE = glossary.Vocabulary(
    "quote_principle", {p.code: (p.condition_zh, p.condition_en, (str(p.number),)) for p in QUOTE_PRINCIPLES},
    what=("principle", "报价原则"), error_code="UNKNOWN_PRINCIPLE")


@computes("opening_price", "报价原则与开盘价", "opening price")
def choose_principle(big: bool = False, familiar: bool = False, straightforward: bool = False,
                     price_sensitive: bool = False) -> str:
    """Pick the quotation principle (报价原则, task 7 §7.2.3) for a customer profile.

    The textbook lists the five rules without saying which wins when several apply; crmlab's
    precedence is price-sensitive > straightforward > familiar > big > unfamiliar.

    >>> choose_principle(familiar=True), choose_principle(big=True), choose_principle()
    ('familiar', 'big_customer', 'unfamiliar')
    """
    if price_sensitive:
        return "price_sensitive"
    if straightforward:
        return "straightforward"
    if familiar:
        return "familiar"
    if big:
        return "big_customer"
    return "unfamiliar"


def _prices(list_price, floor_price):
    lp, fp = _amount(list_price, "list_price"), _amount(floor_price, "floor_price")
    if fp <= 0 or fp > lp:
        raise InvalidValue("BAD_FLOOR", f"need 0 < floor_price ≤ list_price, got floor {fp} and list {lp}",
                           f"需要 0 < 底价 ≤ 标准价，得到底价 {fp}、标准价 {lp}")
    return lp, fp


@computes("opening_price")
def suggest_price(list_price, floor_price, principle: str, near_floor: float = 0.05) -> float:
    """Opening price under a quotation principle; never below the floor.

    crmlab's mapping of the textbook's rules: big, unfamiliar and price-sensitive customers get
    the list price; familiar customers get ``floor × (1 + near_floor)`` (at most the list
    price); straightforward customers get the floor itself (亮底牌).

    >>> suggest_price(1000, 800, "familiar"), suggest_price(1000, 800, "大客户、购买力强")
    (840.0, 1000.0)
    """
    lp, fp = _prices(list_price, floor_price)
    key = QUOTE_PRINCIPLE.get(principle)
    if key is None:
        raise UnknownLabel("UNKNOWN_PRINCIPLE", f"unknown principle {principle!r}; use {list(_PRINCIPLES)}",
                           f"未知的报价原则 {principle!r}")
    if not 0 <= near_floor < 1:
        raise InvalidValue("BAD_MARGIN", "near_floor must be in [0, 1)", "near_floor 必须在 [0, 1) 之间")
    policy = _PRINCIPLES[key].price_policy
    if policy == "list":
        return lp
    if policy == "floor":
        return fp
    return round(min(lp, fp * (1 + near_floor)), 2)


@dataclass(frozen=True)
class QuoteLine:
    """One quotation line: list price 标准价, floor price 底价 (internal) and quoted price.

    A quoted price below the floor is refused (:class:`BelowFloor`) unless ``approved_by`` names
    who approved it. ``usage_days`` (days one unit lasts) enables the per-day price (化整为零).

    >>> line = QuoteLine("保健品", qty=3, list_price=500, floor_price=400, quoted_price=450, usage_days=30)
    >>> line.amount, round(line.discount, 2), line.per_day
    (1350.0, 0.1, 15.0)
    >>> try:
    ...     QuoteLine("保健品", 1, 500, 400, 380)
    ... except BelowFloor as err:
    ...     print(err.code)
    BELOW_FLOOR
    """

    product: str
    qty: float
    list_price: float
    floor_price: float
    quoted_price: float
    approved_by: str = ""
    usage_days: float | None = None

    def __post_init__(self):
        if not str(self.product).strip():
            raise InvalidValue("MISSING_PRODUCT", "a quote line needs a product", "报价行需要产品")
        qty = _amount(self.qty, "qty")
        if qty <= 0:
            raise InvalidValue("BAD_QTY", f"qty must be > 0, got {self.qty!r}", f"数量必须大于 0，得到 {self.qty!r}")
        lp, fp = _prices(self.list_price, self.floor_price)
        qp = _amount(self.quoted_price, "quoted_price")
        if qp <= 0:
            raise InvalidValue("BAD_PRICE", "quoted_price must be > 0", "报价必须大于 0")
        if qp < fp and _blank(self.approved_by):
            raise BelowFloor("BELOW_FLOOR",
                             f"{self.product}: quoted {qp:g} is below the floor {fp:g}; it needs approved_by=...",
                             f"{self.product}：报价 {qp:g} 低于底价 {fp:g}，需经审批（approved_by=...）")
        days = None
        if self.usage_days is not None:
            days = _amount(self.usage_days, "usage_days")
            if days <= 0:
                raise InvalidValue("BAD_DAYS", "usage_days must be > 0", "使用天数必须大于 0")
        for name, value in (("qty", qty), ("list_price", lp), ("floor_price", fp), ("quoted_price", qp),
                            ("usage_days", days), ("approved_by", "" if _blank(self.approved_by) else str(self.approved_by))):
            object.__setattr__(self, name, value)

    @property
    def amount(self) -> float:
        """qty × quoted price."""
        return round(self.qty * self.quoted_price, 2)

    @property
    def discount(self) -> float:
        """Discount off the list price, 1 − quoted / list."""
        return 1 - self.quoted_price / self.list_price

    @property
    def below_floor(self) -> bool:
        """True for an approved line quoted below the floor."""
        return self.quoted_price < self.floor_price

    @property
    def per_day(self) -> float | None:
        """Quoted price per day of use (化整为零), when ``usage_days`` is known."""
        return None if self.usage_days is None else per_day_price(self.quoted_price, self.usage_days)


@dataclass
class Quote:
    """A quotation (报价单): header plus :class:`QuoteLine` rows; lines are checked when added.

    >>> q = Quote("Q1", customer_id="C1", principle="familiar")
    >>> _ = q.add_line("R740 服务器", qty=2, list_price=48_000, floor_price=42_000, quoted_price=44_000)
    >>> _ = q.add_line("FW-3000 防火墙", qty=1, list_price=36_000, floor_price=30_000, quoted_price=34_200)
    >>> q.total, round(q.discount, 4)
    (122200.0, 0.0742)
    """

    quote_id: str
    customer_id: str = ""
    opportunity_id: str = ""
    principle: str | None = None
    lines: list = field(default_factory=list)

    def __post_init__(self):
        if self.principle is not None:
            key = QUOTE_PRINCIPLE.get(self.principle)
            if key is None:
                raise UnknownLabel("UNKNOWN_PRINCIPLE", f"unknown principle {self.principle!r}",
                                   f"未知的报价原则 {self.principle!r}")
            self.principle = key
        lines = list(self.lines)
        if not all(isinstance(x, QuoteLine) for x in lines):
            raise InvalidValue("BAD_LINE", "lines must be QuoteLine objects", "报价行必须是 QuoteLine")
        self.lines = lines

    def add_line(self, product: str, qty, list_price, floor_price, quoted_price, approved_by: str = "",
                 usage_days=None) -> QuoteLine:
        """Check and append a line; a bad line raises and the quote stays unchanged."""
        line = QuoteLine(product, qty, list_price, floor_price, quoted_price, approved_by, usage_days)
        self.lines.append(line)
        return line

    @property
    def total(self) -> float:
        """Σ line amounts."""
        return round(sum(x.amount for x in self.lines), 2)

    @property
    def list_total(self) -> float:
        """Σ qty × list price."""
        return round(sum(x.qty * x.list_price for x in self.lines), 2)

    @property
    def discount(self) -> float:
        """Overall discount off the list total."""
        return 1 - self.total / self.list_total if self.lines else 0.0

    def to_frame(self) -> pd.DataFrame:
        """The lines as a table (product, qty, prices, discount, amount, per_day, approval)."""
        rows = [{"product": x.product, "qty": x.qty, "list_price": x.list_price, "floor_price": x.floor_price,
                 "quoted_price": x.quoted_price, "discount": x.discount, "amount": x.amount,
                 "per_day": x.per_day, "below_floor": x.below_floor, "approved_by": x.approved_by}
                for x in self.lines]
        return pd.DataFrame(rows)


def per_day_price(price, days) -> float:
    """化整为零 (task 7 §7.2.4): the price divided by the days it covers.

    The textbook's case: a supplement at 450 元 a box lasting a month is "只需 15 元一天".

    >>> per_day_price(450, 30)
    15.0
    """
    p, d = _amount(price, "price"), _amount(days, "days")
    if d <= 0:
        raise InvalidValue("BAD_DAYS", "days must be > 0", "天数必须大于 0")
    return round(p / d, 2)


# Task 7 §7.2.4 化整为零 case: 450元一盒, 三盒一个疗程; 15元/天 (one box = 30 days is implied).
SUPPLEMENT_CASE = {"price_per_box": 450.0, "boxes_per_course": 3, "days_per_box": 30, "per_day": 15.0}

# Task 7 §7.2.4 比较法: compare on design, performance, reputation and service, never disparage.
COMPARISON_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "design": ("设计", "款式"), "performance": ("性能",), "reputation": ("声誉", "信誉", "口碑"),
    "service": ("服务",),
}
COMPARISON_ATTRIBUTE = glossary.Vocabulary(
    "comparison_attribute",
    {code: (names[0], code, names[1:]) for code, names in {**COMPARISON_ATTRIBUTES, "price": ("价格",)}.items()},
    what=("attribute", "比较项"), error_code="UNKNOWN_ATTRIBUTE")


def comparison_table(own: Mapping, competitors: Mapping[str, Mapping]) -> pd.DataFrame:
    """比较法 (task 7 §7.2.4): our offer beside competitors on design, performance, reputation,
    service and price.

    Scores are numbers on 1–5 (objective ratings, no free text: the book says compare fairly and
    never disparage a rival); ``price`` is in 元. ``lead`` is our margin over the best competitor
    (for price: the cheapest competitor's price minus ours), so a positive lead is an advantage
    to show; ``advantage`` flags those rows.

    >>> own = {"设计": 4, "性能": 5, "声誉": 4, "服务": 5, "价格": 3200}
    >>> rival = {"design": 4, "performance": 4, "reputation": 5, "service": 3, "price": 2900}
    >>> t = comparison_table(own, {"乙公司": rival})
    >>> t["lead"].to_dict()
    {'design': 0.0, 'performance': 1.0, 'reputation': -1.0, 'service': 2.0, 'price': -300.0}
    """
    if not competitors:
        raise InvalidValue("NO_COMPETITORS", "give at least one competitor", "至少需要一个竞争对手")
    offers = {"own": own, **competitors}
    table = {}
    for name, offer in offers.items():
        row = {}
        for k, v in dict(offer).items():
            code = COMPARISON_ATTRIBUTE.get(k)
            if code is None:
                raise UnknownLabel("UNKNOWN_ATTRIBUTE",
                                   f"{name}: unknown attribute {k!r}; use design, performance, reputation, service, price",
                                   f"{name}：未知的比较项 {k!r}，可用：设计、性能、声誉、服务、价格")
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
                raise InvalidValue("NOT_NUMERIC", f"{name}: {k!r} must be a number, not {v!r} (compare objectively)",
                                   f"{name}：{k!r} 必须是数值评分，不能是 {v!r}（客观比较，不贬低对手）")
            row[code] = float(v)
        missing = [a for a in (*COMPARISON_ATTRIBUTES, "price") if a not in row]
        if missing:
            raise InvalidValue("MISSING_ATTRIBUTE", f"{name}: missing {missing}", f"{name}：缺少比较项 {missing}")
        if any(not 1 <= row[a] <= 5 for a in COMPARISON_ATTRIBUTES) or row["price"] < 0:
            raise InvalidValue("SCORE_RANGE", f"{name}: scores must be 1–5 and the price ≥ 0",
                               f"{name}：评分必须在 1–5 之间，价格不能为负")
        table[name] = row
    out = pd.DataFrame(table).loc[[*COMPARISON_ATTRIBUTES, "price"]]
    rivals = out.drop(columns="own")
    lead = out["own"] - rivals.max(axis=1)
    lead["price"] = rivals.loc["price"].min() - out.loc["price", "own"]
    out["lead"] = lead
    out["advantage"] = lead > 0
    out.index.name = "attribute"
    return out
