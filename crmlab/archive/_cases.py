"""The textbook's cases behind the archive functions (figures as printed, except where marked)."""
from __future__ import annotations


# --------------------------------------------------------------------------------------------
# Cases (figures as printed in the textbook, except where marked as crmlab's own)
# --------------------------------------------------------------------------------------------
#: Task 5 任务引入 密密麻麻的小本子: a 2000万 billing-system order won by Ms Liu with 3 visits
#: (signed on the third) against a competitor's team of "十几个人" camped in a hotel for a month.
#: Her notebook held the level-3 data (names, times, flights, hobbies, hometowns, this and next
#: week's whereabouts); the director had 2 days off and the technical exchange came a week later.
NOTEBOOK_CASE = {"order_yuan": 20_000_000, "winner_visits": 3, "signed_on_visit": 3, "rival_team": "十几个人",
                 "rival_days_in_hotel": "整整一个月", "director_days_off": 2, "technical_exchange_after_days": 7,
                 "notebook_fields": ["contact_name", "itinerary", "flights", "hobbies", "hometown"]}
#: Task 5 拓展学习: FedEx's score (2 × last 3 months + 3–6 months ago), 7 groups, deciles, 2 years, the
#: 90 % drop and the growth printed as "15倍". The 8,000 + 5,000 → 21,000 example is crmlab's own: the
#: textbook gives the formula only.
FEDEX_EXAMPLE = {"last_3m": 8_000.0, "months_3_6": 5_000.0, "score": 21_000.0, "groups": 7, "deciles": 10,
                 "tracked_years": 2, "lost_drop": 0.90, "growth_as_printed": "15倍"}
#: Task 7 拓展学习 无锡中原医疗器械: customer data scattered across branches; a salesperson's
#: departure took customers along — the case for central management. :func:`scattered_records`
#: copies its territory (华南 with head office 上海 and an office per province, and 北方; each
#: salesperson covers 2 prefecture-level areas).
WUXI_ZHONGYUAN = {"regions": ("华南", "北方"), "south_head_office": "上海", "areas_per_salesperson": 2,
                  "problem": "customer data scattered across branches; departing salespeople took customers",
                  "erp": "金蝶 K/3", "crm": "金蝶 TEEMS CRM eSales", "cards_handed_in": "weekly, to the 销售内勤"}
