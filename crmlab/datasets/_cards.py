"""Data cards: what each shipped dataset is, how it was made, and what its columns mean."""
from __future__ import annotations

import pandas as pd

GENERATOR = "crmlab.datasets.regenerate() (crmlab/datasets/_generate.py)"
LICENCE = ("CC BY 4.0 (synthetic data made by crmlab; every name, company, address and phone number "
           "is invented by the Faker library's zh_CN locale and belongs to no real person)")

# kind: str | int | int? (nullable) | float | date | datetime
CARDS: dict[str, dict] = {
    "customers": {
        "title": "Customers 客户 of 星海电器 (Xinghai Appliances)",
        "what": "One row per customer: individuals, organisations and dealers, with where they are "
                "and how they were acquired. Used from lab 01 (segmentation) onwards.",
        "dirty": "duplicate_customers",
        "dirty_text": "these customers were keyed in twice (exact duplicate rows), as happens when two "
                      "salespeople record the same customer; drop duplicates before counting.",
        "columns": {
            "customer_id": ("str", "customer number, C00001 …"),
            "name": ("str", "person's name (individual) or company name (organisation)"),
            "customer_type": ("str", "individual 个人客户 / organisation 企业客户"),
            "channel_role": ("str", "end_customer 最终客户 / intermediary 中间客户 (dealers who resell)"),
            "industry": ("str", "organisations only: industry (酒店, 学校 …; dealers: 家电零售/家电批发)"),
            "company_size": ("str", "organisations only: small / medium / large"),
            "gender": ("str", "individuals only: 男 / 女"),
            "birth_year": ("int?", "individuals only: year of birth"),
            "province": ("str", "province 省"),
            "city": ("str", "city 市"),
            "region": ("str", "sales region 大区: 华东 华南 华北 华中 西南 西北 东北"),
            "address": ("str", "postal address (invented)"),
            "phone": ("str", "mobile phone number (invented)"),
            "signup_date": ("date", "date the customer was first recorded"),
            "acquisition_channel": ("str", "store / online / referral / exhibition / sales_visit"),
            "campaigns_received": ("int", "marketing campaigns sent to the customer in 2024–2025"),
            "campaign_responses": ("int", "how many of them the customer answered (for the value × response matrix)"),
        },
    },
    "contacts": {
        "title": "Contacts 联系人 of organisational customers",
        "what": "People at organisational customers, with their role in the buying decision.",
        "columns": {
            "contact_id": ("str", "contact number, K00001 …"),
            "customer_id": ("str", "the organisation (customers.customer_id)"),
            "name": ("str", "contact's name (invented)"),
            "title": ("str", "job title 职务"),
            "decision_role": ("str", "decision_maker / buyer / influencer / user / gatekeeper"),
            "phone": ("str", "mobile phone (invented)"),
            "email": ("str", "e-mail (invented)"),
            "birthday": ("date", "birthday, for care records (ages 24–62 counted on 2026-11-24, a fixed day: the file never changes with the calendar)"),
        },
    },
    "products": {
        "title": "Products 产品 of 星海电器",
        "what": "The product catalogue: household and commercial appliances plus two services.",
        "columns": {
            "product_id": ("str", "product code"),
            "name": ("str", "product name 产品名称"),
            "line": ("str", "household / commercial / service"),
            "category": ("str", "air_conditioner, refrigerator, washer, television, water_heater, small_appliance, service"),
            "list_price": ("int", "list price 标准售价, 元"),
            "unit_cost": ("int", "unit cost 单位成本, 元"),
        },
    },
    "orders": {
        "title": "Orders 订单 (transactions) 2024-01-01 … 2025-12-31",
        "what": "One row per order (one product line each). Customers buy at their own rate until "
                "they churn, so purchase frequency and value are very unequal (Pareto-like).",
        "columns": {
            "order_id": ("str", "order number, in date order"),
            "customer_id": ("str", "buyer (customers.customer_id)"),
            "order_date": ("date", "order date"),
            "product_id": ("str", "products.product_id"),
            "quantity": ("int", "units"),
            "unit_price": ("float", "price paid per unit after discount, 元"),
            "amount": ("float", "revenue of the order = quantity × unit_price, 元"),
            "cost": ("float", "cost of goods plus handling, 元 (profit = amount − cost)"),
            "channel": ("str", "store / online / sales_rep"),
        },
    },
    "survey_responses": {
        "title": "Satisfaction survey responses 满意度调查 (November 2025)",
        "what": "Answers of about half the buyers to a 7-item satisfaction questionnaire, in the "
                "textbook's 5-level Chinese Likert labels 很满意 满意 一般 不满意 很不满意.",
        "dirty": ["incomplete", "out_of_range", "straight_lined", "duplicate"],
        "dirty_text": "rows are dirty on purpose for the lab on organising responses: incomplete "
                      "(two items blank), out_of_range (a label that is not on the scale), "
                      "straight_lined (every item the same answer) and duplicate (a second copy of an "
                      "earlier submission).",
        "columns": {
            "response_id": ("str", "response number"),
            "customer_id": ("str", "respondent (customers.customer_id)"),
            "submitted_at": ("date", "submission date"),
            "q1_product_quality": ("str", "产品质量 product quality (Likert label)"),
            "q2_price": ("str", "价格 price"),
            "q3_delivery": ("str", "送货 delivery"),
            "q4_installation": ("str", "安装 installation"),
            "q5_after_sales": ("str", "售后服务 after-sales service"),
            "q6_staff_attitude": ("str", "服务态度 staff attitude"),
            "q7_overall": ("str", "总体满意度 overall satisfaction"),
            "recommend_0_10": ("int", "likelihood to recommend, 0–10"),
            "comment": ("str", "open answer (empty in this release)"),
        },
    },
    "opportunities": {
        "title": "Sales opportunities 商机 with organisational customers",
        "what": "Opportunities created 2024-01 … 2025-11, in the Kingdee-style stages 了解情况 "
                "understanding → 预研阶段 pre_study → 制作方案 proposal → 投标阶段 bidding → 签约阶段 signing. "
                "The stage probabilities are crmlab's defaults, not the textbook's.",
        "columns": {
            "opportunity_id": ("str", "opportunity number"),
            "customer_id": ("str", "customers.customer_id (organisations)"),
            "owner": ("str", "sales representative"),
            "source": ("str", "exhibition / referral / website / cold_call / existing_customer"),
            "created_date": ("date", "date created"),
            "stage": ("str", "current (or last) stage"),
            "status": ("str", "open / won / lost"),
            "expected_revenue": ("float", "expected revenue 预计金额, 元"),
            "probability": ("float", "win probability (1 won, 0 lost, stage default when open)"),
            "closed_date": ("date", "date won or lost (empty when open)"),
            "lost_reason": ("str", "why it was lost (empty otherwise)"),
        },
    },
    "complaints": {
        "title": "Complaints 投诉",
        "what": "Customer complaints about orders, with channel, category and handling times.",
        "columns": {
            "complaint_id": ("str", "complaint number"),
            "customer_id": ("str", "customers.customer_id"),
            "order_id": ("str", "orders.order_id complained about"),
            "received_at": ("datetime", "when it was received"),
            "channel": ("str", "phone / online / store / social_media"),
            "category": ("str", "product_quality / delivery / installation / service_attitude / price / billing"),
            "severity": ("str", "low / medium / high"),
            "status": ("str", "open / closed"),
            "closed_at": ("datetime", "when it was closed (empty when open)"),
        },
    },
    "service_tickets": {
        "title": "Service tickets 服务单",
        "what": "Pre-sale, in-sale and after-sale service requests (consultation, installation, repair …).",
        "columns": {
            "ticket_id": ("str", "ticket number"),
            "customer_id": ("str", "customers.customer_id"),
            "order_id": ("str", "orders.order_id"),
            "product_id": ("str", "products.product_id"),
            "service_type": ("str", "pre_sale 售前 / in_sale 售中 / after_sale 售后"),
            "request": ("str", "consultation / installation / repair / maintenance / return"),
            "engineer": ("str", "service engineer"),
            "opened_at": ("date", "date opened"),
            "closed_at": ("date", "date closed"),
            "rating_1_5": ("int", "customer's rating of the service, 1–5"),
        },
    },
}


# Public data sets that crmlab ships unchanged, as their own packages distribute them, each in its own
# folder of datasets/ with its licence file beside the data and a hand-written card datasets/NAME.md.
# They keep their own licences (not CC BY 4.0) and are read by the loaders named here.
PUBLIC: dict[str, dict] = {
    "cdnow": {
        "title": "CDNOW customer purchases (Fader & Hardie)",
        "files": ["cdnow_customers_summary_with_transactions.csv", "CDNOW_sample.txt", "CDNOW_master.txt"],
        "licence": "MIT",
        "licence_files": ["LICENSE"],
        "loader": "crmlab.value.load_cdnow",
    },
    "mobi": {
        "title": "ECSI mobile-phone satisfaction survey (Tenenhaus et al. 2005)",
        "files": ["mobi.csv"],
        "licence": "GPL-3.0-only",
        "licence_files": ["LICENSE", "COPYING"],
        "loader": "crmlab.satisfaction.load_mobi",
    },
}


def card_markdown(name: str, frame: pd.DataFrame, seed: int, dirt: dict[str, list[str]]) -> str:
    """The data card of one dataset as Markdown."""
    card = CARDS[name]
    lines = [f"# {name}.csv — {card['title']}", "", card["what"], "",
             f"- Rows: {len(frame)}; columns: {len(frame.columns)}",
             f"- How generated: {GENERATOR}, seed {seed}; same seed, same bytes (tested).",
             f"- Load it with `crmlab.datasets.load(\"{name}\")`; a fresh market with "
             f"`crmlab.datasets.generate(\"{name}\", seed=…)`.",
             f"- Licence: {LICENCE}.", ""]
    if "dirty" in card:
        kinds = card["dirty"] if isinstance(card["dirty"], list) else [card["dirty"]]
        lines += ["## Dirty on purpose", "", f"These {card['dirty_text']}", ""]
        for kind in kinds:
            ids = dirt.get(kind, [])
            lines.append(f"- {kind} ({len(ids)}): {', '.join(ids)}")
        lines.append("")
    lines += ["## Columns", "", "| column | type | meaning |", "|---|---|---|"]
    for column, (kind, meaning) in card["columns"].items():
        lines.append(f"| `{column}` | {kind} | {meaning} |")
    lines.append("")
    return "\n".join(lines)
