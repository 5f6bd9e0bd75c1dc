"""Seeded generator of the course's fictional market: 星海电器 (Xinghai Appliances).

Xinghai sells household and commercial appliances to individuals, to organisations (hotels,
schools, offices …) and through dealers. Every table comes from one simulated market, so the
tables agree with each other: orders belong to existing customers, complaints cite real orders,
opportunities belong to organisational customers, and so on.

The same ``seed`` always gives the same tables (numpy's PCG64 generator plus a seeded Faker
``zh_CN`` instance for names, companies, addresses and phone numbers). The shipped CSV files in
``datasets/`` are ``generate_market(DEFAULT_SEED)`` written by :func:`crmlab.datasets.regenerate`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from faker import Faker

DEFAULT_SEED = 20240601
START, END = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")

# (province, city, region); weights roughly follow where a coastal appliance maker sells.
CITIES = [
    ("上海市", "上海市", "华东"), ("江苏省", "南京市", "华东"), ("江苏省", "苏州市", "华东"),
    ("浙江省", "杭州市", "华东"), ("浙江省", "宁波市", "华东"), ("山东省", "济南市", "华东"),
    ("广东省", "广州市", "华南"), ("广东省", "深圳市", "华南"), ("福建省", "厦门市", "华南"),
    ("北京市", "北京市", "华北"), ("天津市", "天津市", "华北"), ("河北省", "石家庄市", "华北"),
    ("湖北省", "武汉市", "华中"), ("湖南省", "长沙市", "华中"), ("河南省", "郑州市", "华中"),
    ("四川省", "成都市", "西南"), ("重庆市", "重庆市", "西南"), ("陕西省", "西安市", "西北"),
    ("辽宁省", "沈阳市", "东北"), ("黑龙江省", "哈尔滨市", "东北"),
]
CITY_WEIGHTS = np.array([9, 6, 5, 7, 4, 4, 7, 7, 3, 8, 4, 2, 4, 3, 3, 5, 3, 3, 2, 2], float)

# product_id, name, line, category, list price (元), unit cost (元)
PRODUCTS = [
    ("P01", "变频空调 1.5匹", "household", "air_conditioner", 3299, 2380),
    ("P02", "变频空调 3匹柜机", "household", "air_conditioner", 6999, 5010),
    ("P03", "对开门冰箱 520L", "household", "refrigerator", 4599, 3320),
    ("P04", "三门冰箱 260L", "household", "refrigerator", 2199, 1610),
    ("P05", "滚筒洗衣机 10kg", "household", "washer", 2899, 2050),
    ("P06", "波轮洗衣机 8kg", "household", "washer", 1299, 930),
    ("P07", "4K电视 65英寸", "household", "television", 4299, 3260),
    ("P08", "4K电视 55英寸", "household", "television", 2799, 2110),
    ("P09", "电饭煲", "household", "small_appliance", 399, 210),
    ("P10", "空气净化器", "household", "small_appliance", 1599, 980),
    ("P11", "吸尘器", "household", "small_appliance", 999, 600),
    ("P12", "电热水器 60L", "household", "water_heater", 1899, 1290),
    ("P13", "商用多联机空调", "commercial", "air_conditioner", 38000, 29600),
    ("P14", "商用嵌入式空调", "commercial", "air_conditioner", 8600, 6520),
    ("P15", "商用展示冷柜", "commercial", "refrigerator", 5200, 3900),
    ("P16", "商用洗衣机 20kg", "commercial", "washer", 15800, 11900),
    ("P17", "会议平板 86英寸", "commercial", "television", 21800, 16500),
    ("P18", "空气能热水机组", "commercial", "water_heater", 26500, 20400),
    ("S01", "上门安装服务", "service", "service", 300, 180),
    ("S02", "三年延保服务", "service", "service", 499, 120),
]

INDUSTRIES = ["酒店", "餐饮", "学校", "写字楼物业", "医院", "制造企业", "政府机关", "房地产"]
DEALER_INDUSTRIES = ["家电零售", "家电批发"]
TITLES = [("总经理", "decision_maker"), ("采购经理", "buyer"), ("财务经理", "influencer"),
          ("设备主管", "user"), ("行政主管", "gatekeeper"), ("技术主管", "influencer")]
LIKERT5 = ["很不满意", "不满意", "一般", "满意", "很满意"]
SURVEY_ITEMS = ["q1_product_quality", "q2_price", "q3_delivery", "q4_installation",
                "q5_after_sales", "q6_staff_attitude", "q7_overall"]
STAGES = ["understanding", "pre_study", "proposal", "bidding", "signing"]
STAGE_PROB = {"understanding": 0.1, "pre_study": 0.25, "proposal": 0.4, "bidding": 0.6, "signing": 0.8}
LOST_REASONS = ["price_too_high", "chose_competitor", "budget_cut", "no_decision", "requirements_changed"]
COMPLAINT_CATEGORIES = ["product_quality", "delivery", "installation", "service_attitude", "price", "billing"]


@dataclass(frozen=True)
class MarketSize:
    customers: int = 1200
    survey_share: float = 0.5
    duplicate_customers: int = 12


def _faker(seed: int) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return fake


def _dates(rng, start: pd.Timestamp, end: pd.Timestamp, n: int) -> pd.DatetimeIndex:
    days = rng.integers(0, (end - start).days + 1, size=n)
    return pd.DatetimeIndex(start + pd.to_timedelta(days, unit="D"))


def _customers(rng, fake, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers plus their hidden traits (purchase rate, spend level, churn date)."""
    is_org = rng.random(n) < 0.3
    is_dealer = is_org & (rng.random(n) < 0.35)
    city_idx = rng.choice(len(CITIES), size=n, p=CITY_WEIGHTS / CITY_WEIGHTS.sum())
    rows = []
    for i in range(n):
        province, city, region = CITIES[city_idx[i]]
        org = bool(is_org[i])
        rows.append({
            "customer_id": f"C{i + 1:05d}",
            "name": fake.company() if org else fake.name(),
            "customer_type": "organisation" if org else "individual",
            "channel_role": "intermediary" if is_dealer[i] else "end_customer",
            "industry": (rng.choice(DEALER_INDUSTRIES) if is_dealer[i] else rng.choice(INDUSTRIES)) if org else "",
            "company_size": rng.choice(["small", "medium", "large"], p=[0.5, 0.35, 0.15]) if org else "",
            "gender": "" if org else rng.choice(["男", "女"]),
            "birth_year": pd.NA if org else int(rng.integers(1955, 2004)),
            "province": province, "city": city, "region": region,
            "address": f"{province if province != city else ''}{city}{fake.district()}区"
                       f"{fake.street_name()}{int(rng.integers(1, 300))}号",
            "phone": fake.phone_number(),
        })
    customers = pd.DataFrame(rows)
    customers["signup_date"] = _dates(rng, pd.Timestamp("2021-01-01"), pd.Timestamp("2025-09-30"), n)
    customers["acquisition_channel"] = rng.choice(
        ["store", "online", "referral", "exhibition", "sales_visit"], size=n, p=[0.35, 0.3, 0.15, 0.08, 0.12])
    customers["campaigns_received"] = rng.integers(2, 13, size=n)
    # Hidden traits: purchase rate per day (gamma, so a few customers buy very often), spend, churn.
    mean_gap = np.where(is_dealer, 8.0, np.where(is_org, 30.0, 75.0))
    rate = rng.gamma(shape=1.2, scale=1 / 1.2, size=n) / mean_gap
    spend = rng.lognormal(mean=0.0, sigma=0.35, size=n)
    churn = customers["signup_date"] + pd.to_timedelta(rng.exponential(900, size=n).astype(int), unit="D")
    responsiveness = rng.beta(1.2, 3.0, size=n)
    customers["campaign_responses"] = rng.binomial(customers["campaigns_received"].to_numpy(), responsiveness)
    traits = pd.DataFrame({"rate": rate, "spend": spend, "churn": churn.to_numpy(), "is_org": is_org,
                           "is_dealer": is_dealer}, index=customers["customer_id"])
    return customers, traits


def _orders(rng, customers: pd.DataFrame, traits: pd.DataFrame) -> pd.DataFrame:
    products = pd.DataFrame(PRODUCTS, columns=["product_id", "name", "line", "category", "list_price", "unit_cost"])
    household = products.index[products["line"] == "household"].to_numpy()
    commercial = products.index[products["line"] == "commercial"].to_numpy()
    service = products.index[products["line"] == "service"].to_numpy()
    records = []
    for cid, signup, (rate, spend, churn, is_org, is_dealer) in zip(
            customers["customer_id"], customers["signup_date"], traits.itertuples(index=False)):
        start, stop = max(signup, START), min(churn, END)
        days = (stop - start).days
        if days <= 0:
            continue
        count = rng.poisson(rate * days)
        if count == 0:
            continue
        offsets = np.sort(rng.integers(0, days + 1, size=count))
        for offset in offsets:
            if is_dealer:
                pool, qty = household, int(rng.integers(5, 31))
            elif is_org:
                pool = commercial if rng.random() < 0.6 else household
                qty = int(rng.integers(1, 9))
            else:
                pool = service if rng.random() < 0.15 else household
                qty = 1 if rng.random() < 0.85 else 2
            p = products.loc[int(rng.choice(pool))]
            discount = rng.choice([0.0, 0.05, 0.1, 0.15, 0.2], p=[0.45, 0.2, 0.2, 0.1, 0.05])
            if is_dealer:
                discount = min(discount + 0.12, 0.3)
            unit_price = round(float(p.list_price) * (1 - discount) * (0.9 + 0.2 * spend / (1 + spend)), 2)
            amount = round(unit_price * qty, 2)
            handling = round(float(rng.gamma(2.0, 40.0)) * (1 + 0.5 * is_org), 2)
            cost = round(float(p.unit_cost) * qty + handling, 2)
            records.append((cid, start + pd.Timedelta(days=int(offset)), p.product_id, qty,
                            unit_price, amount, cost))
    orders = pd.DataFrame(records, columns=["customer_id", "order_date", "product_id", "quantity",
                                            "unit_price", "amount", "cost"])
    orders = orders.sort_values(["order_date", "customer_id"], kind="stable").reset_index(drop=True)
    orders.insert(0, "order_id", [f"O{i + 1:06d}" for i in range(len(orders))])
    orders["channel"] = rng.choice(["store", "online", "sales_rep"], size=len(orders), p=[0.45, 0.4, 0.15])
    return orders


def _contacts(rng, fake, customers: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for cid in customers.loc[customers["customer_type"] == "organisation", "customer_id"]:
        for title_idx in rng.choice(len(TITLES), size=int(rng.integers(1, 5)), replace=False):
            title, role = TITLES[int(title_idx)]
            rows.append({"customer_id": cid, "name": fake.name(), "title": title, "decision_role": role,
                         "phone": fake.phone_number(), "email": fake.free_email(),
                         "birthday": fake.date_of_birth(minimum_age=24, maximum_age=62).isoformat()})
    contacts = pd.DataFrame(rows)
    contacts.insert(0, "contact_id", [f"K{i + 1:05d}" for i in range(len(contacts))])
    return contacts


def _survey(rng, customers: pd.DataFrame, orders: pd.DataFrame, share: float) -> tuple[pd.DataFrame, dict]:
    buyers = orders["customer_id"].unique()
    chosen = np.sort(rng.choice(buyers, size=int(len(buyers) * share), replace=False))
    n = len(chosen)
    latent = rng.normal(0.6, 0.9, size=n)
    item_bias = np.array([0.3, -0.5, 0.0, 0.1, -0.2, 0.4, 0.0])
    scores = latent[:, None] + item_bias[None, :] + rng.normal(0, 0.7, size=(n, len(SURVEY_ITEMS)))
    codes = np.clip(np.round(scores + 3), 1, 5).astype(int)
    # Honest respondents who happen to give one answer to every item would be indistinguishable from
    # the straight-lined rows planted below; move their price item one step (no random draw, so the
    # rest of the market is unchanged).
    same = (codes == codes[:, :1]).all(axis=1)
    codes[same, 1] = np.where(codes[same, 1] > 1, codes[same, 1] - 1, codes[same, 1] + 1)
    survey = pd.DataFrame({item: [LIKERT5[c - 1] for c in codes[:, j]] for j, item in enumerate(SURVEY_ITEMS)})
    survey.insert(0, "customer_id", chosen)
    survey.insert(1, "submitted_at", _dates(rng, pd.Timestamp("2025-11-01"), pd.Timestamp("2025-11-30"), n))
    survey["recommend_0_10"] = np.clip(np.round(latent * 2.2 + 6 + rng.normal(0, 1.2, n)), 0, 10).astype(int)
    survey["comment"] = ""
    # Dirty rows on purpose (the lab on organising responses finds them); recorded in the data card.
    picks = rng.choice(n, size=int(n * 0.09), replace=False)
    k = len(picks) // 3
    incomplete, out_of_range, straight = picks[:k], picks[k:2 * k], picks[2 * k:]
    for i in incomplete:
        survey.loc[i, rng.choice(SURVEY_ITEMS, size=2, replace=False)] = ""
    for i in out_of_range:
        survey.loc[i, rng.choice(SURVEY_ITEMS)] = rng.choice(["非常满意", "6", "满意满意"])
    for i in straight:
        survey.loc[i, SURVEY_ITEMS] = rng.choice(["很满意", "一般"])
    dup_rows = survey.iloc[np.sort(rng.choice(np.setdiff1d(np.arange(n), picks), size=8, replace=False))]
    survey = pd.concat([survey, dup_rows], ignore_index=True)
    survey.insert(0, "response_id", [f"R{i + 1:05d}" for i in range(len(survey))])
    survey["submitted_at"] = survey["submitted_at"].dt.strftime("%Y-%m-%d")
    dirt = {"incomplete": survey.loc[np.sort(incomplete), "response_id"].tolist(),
            "out_of_range": survey.loc[np.sort(out_of_range), "response_id"].tolist(),
            "straight_lined": survey.loc[np.sort(straight), "response_id"].tolist(),
            "duplicate": survey["response_id"].iloc[n:].tolist()}
    return survey, dirt


def _opportunities(rng, fake, customers: pd.DataFrame, reps: list[str]) -> pd.DataFrame:
    orgs = customers.loc[customers["customer_type"] == "organisation", "customer_id"].to_numpy()
    n = int(len(orgs) * 2.2)
    created = _dates(rng, START, pd.Timestamp("2025-11-30"), n)
    rows = []
    for i in range(n):
        closed = created[i] + pd.Timedelta(days=int(rng.gamma(3.0, 20.0)))
        amount = round(float(rng.lognormal(11.3, 0.8)), -2)
        if closed <= END and rng.random() < 0.8:
            won = rng.random() < 0.35
            stage, status = ("signing", "won") if won else (STAGES[int(rng.integers(0, 5))], "lost")
            prob = 1.0 if won else 0.0
            reason = "" if won else rng.choice(LOST_REASONS)
            closed_str = closed.strftime("%Y-%m-%d")
        else:
            stage, status = STAGES[int(rng.integers(0, 5))], "open"
            prob, reason, closed_str = STAGE_PROB[stage], "", ""
        rows.append({"opportunity_id": f"OP{i + 1:05d}", "customer_id": rng.choice(orgs),
                     "owner": reps[int(rng.integers(0, len(reps)))],
                     "source": rng.choice(["exhibition", "referral", "website", "cold_call", "existing_customer"]),
                     "created_date": created[i].strftime("%Y-%m-%d"), "stage": stage, "status": status,
                     "expected_revenue": amount, "probability": prob, "closed_date": closed_str,
                     "lost_reason": reason})
    return pd.DataFrame(rows).sort_values(["created_date", "opportunity_id"]).reset_index(drop=True)


def _complaints(rng, orders: pd.DataFrame) -> pd.DataFrame:
    picked = orders.iloc[np.sort(rng.choice(len(orders), size=max(1, len(orders) // 90), replace=False))]
    n = len(picked)
    received = picked["order_date"] + pd.to_timedelta(rng.integers(1, 60, size=n), unit="D")
    hours = np.round(rng.gamma(1.6, 30.0, size=n), 1)
    closed = received + pd.to_timedelta(hours, unit="h")
    still_open = (received > END - pd.Timedelta(days=5)).to_numpy() | (rng.random(n) < 0.03)
    return pd.DataFrame({
        "complaint_id": [f"CP{i + 1:05d}" for i in range(n)],
        "customer_id": picked["customer_id"].to_numpy(), "order_id": picked["order_id"].to_numpy(),
        "received_at": received.dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
        "channel": rng.choice(["phone", "online", "store", "social_media"], size=n, p=[0.4, 0.3, 0.2, 0.1]),
        "category": rng.choice(COMPLAINT_CATEGORIES, size=n, p=[0.3, 0.2, 0.18, 0.14, 0.1, 0.08]),
        "severity": rng.choice(["low", "medium", "high"], size=n, p=[0.5, 0.35, 0.15]),
        "status": np.where(still_open, "open", "closed"),
        "closed_at": np.where(still_open, "", closed.dt.strftime("%Y-%m-%d %H:%M").to_numpy()),
    })


def _service_tickets(rng, orders: pd.DataFrame, engineers: list[str]) -> pd.DataFrame:
    goods = orders[~orders["product_id"].str.startswith("S")]
    picked = goods.iloc[np.sort(rng.choice(len(goods), size=len(goods) // 30, replace=False))]
    n = len(picked)
    kind = rng.choice(["pre_sale", "in_sale", "after_sale"], size=n, p=[0.15, 0.25, 0.6])
    request = np.where(kind == "pre_sale", "consultation",
                       np.where(kind == "in_sale", "installation",
                                rng.choice(["repair", "maintenance", "return"], size=n, p=[0.6, 0.3, 0.1])))
    lead = np.where(kind == "pre_sale", -rng.integers(1, 15, size=n), rng.integers(0, 400, size=n))
    opened = picked["order_date"] + pd.to_timedelta(lead, unit="D")
    closed = opened + pd.to_timedelta(np.round(rng.gamma(1.5, 1.2, size=n), 1), unit="D")
    return pd.DataFrame({
        "ticket_id": [f"T{i + 1:05d}" for i in range(n)],
        "customer_id": picked["customer_id"].to_numpy(), "order_id": picked["order_id"].to_numpy(),
        "product_id": picked["product_id"].to_numpy(), "service_type": kind, "request": request,
        "engineer": [engineers[int(j)] for j in rng.integers(0, len(engineers), size=n)],
        "opened_at": opened.dt.strftime("%Y-%m-%d").to_numpy(),
        "closed_at": closed.dt.strftime("%Y-%m-%d").to_numpy(),
        "rating_1_5": np.clip(np.round(rng.normal(4.1, 0.9, size=n)), 1, 5).astype(int),
    })


@lru_cache(maxsize=8)
def _market(seed: int, n_customers: int) -> tuple[dict[str, pd.DataFrame], dict]:
    rng = np.random.default_rng(seed)
    fake = _faker(seed)
    size = MarketSize(customers=n_customers)
    customers, traits = _customers(rng, fake, size.customers)
    orders = _orders(rng, customers, traits)
    reps = [fake.name() for _ in range(8)]
    engineers = [fake.name() for _ in range(6)]
    contacts = _contacts(rng, fake, customers)
    survey, dirt = _survey(rng, customers, orders, size.survey_share)
    opportunities = _opportunities(rng, fake, customers, reps)
    complaints = _complaints(rng, orders)
    tickets = _service_tickets(rng, orders, engineers)
    # A few customers were keyed in twice by two salespeople: exact duplicate rows (lab 01 drops them).
    n_dup = min(size.duplicate_customers, max(1, n_customers // 100))
    dup_idx = np.sort(rng.choice(len(customers), size=n_dup, replace=False))
    dirt["duplicate_customers"] = customers.loc[dup_idx, "customer_id"].tolist()
    customers = pd.concat([customers, customers.iloc[dup_idx]]).sort_values("customer_id", kind="stable")
    customers = customers.reset_index(drop=True)
    customers["signup_date"] = customers["signup_date"].dt.strftime("%Y-%m-%d")
    orders["order_date"] = orders["order_date"].dt.strftime("%Y-%m-%d")
    products = pd.DataFrame(PRODUCTS, columns=["product_id", "name", "line", "category", "list_price", "unit_cost"])
    tables = {"customers": customers, "contacts": contacts, "products": products, "orders": orders,
              "survey_responses": survey, "opportunities": opportunities, "complaints": complaints,
              "service_tickets": tickets}
    return tables, dirt


def generate_market(seed: int = DEFAULT_SEED, n_customers: int = 1200) -> dict[str, pd.DataFrame]:
    """All tables of one simulated market, as raw (string-dated) DataFrames, keyed by name."""
    tables, _ = _market(int(seed), int(n_customers))
    return {name: frame.copy() for name, frame in tables.items()}


def dirty_rows(seed: int = DEFAULT_SEED, n_customers: int = 1200) -> dict[str, list[str]]:
    """Which rows were made dirty on purpose, and how (ids by kind of dirt)."""
    _, dirt = _market(int(seed), int(n_customers))
    return {kind: list(ids) for kind, ids in dirt.items()}
