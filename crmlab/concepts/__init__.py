"""Concepts of learning situation 1 认知客户关系管理 (textbook tasks 1–2), as data and small functions.

Everything labs/01_concepts reuses lives here, one section per lab:

- **customers** 客户 (task 1 §1.1 and [001] 项目一 二): the classification bases, the time-order rule
  (过去型 / 现在型 / 未来型) applied to a market, the purchase-motive types;
- **customer relationships** 客户关系 (task 1 §1.2): characteristics, length / depth / breadth and the
  breadth count (new, retained, won back), Kotler's five levels and choice matrix, the four
  supply-chain relationship types with a rule classifier, the three steps to develop relationships;
- **CRM** 客户关系管理 (task 1 §1.3–§1.4): the three concept layers, the four definitions, the content
  model, the five-step process as a small directed graph (:class:`ProcessGraph`), the five CRM roles
  and their duties, the three organisation levels, and the 东方饭店 guest archive with a profile lookup;
- **history** 发展历程 (task 2): the three causes, the technology lineage, the theory evolution, the
  management philosophies, the consumption eras, the (inconsistent) dates of the sources, the 海底捞
  survey figures ([001] 项目一 opening case) and the personal-information categories of China's
  个人信息保护法 (PIPL, 2021) used to discuss the pizza-shop story.

Tables are plain dicts ``key -> (中文, English, …)`` that a student can print; every function that
takes a label accepts the key, the Chinese term or the English gloss, and raises
:class:`ConceptError` (a ``ValueError``) with a ``"中文 / English"`` message on anything else.
Nothing here changes the caller's DataFrames.

The package keeps one module per section: ``_common`` (the error, label lookups), ``_customers``,
``_relationships``, ``_crm``, ``_hotel`` and ``_history``. Use the names from here.

Example
-------
>>> from crmlab import concepts
>>> concepts.kotler_level("few", "high")
'partnership'
>>> concepts.supply_chain_type({"equity_ties": False, "top_management_ties": True,
...                             "high_switching_cost": True, "priority_access": True})
'partnership'
>>> concepts.step_key("客户服务管理")
'service'

Ordered tables whose order is what a lab asks for (the steps to develop relationships, the three
concept layers, the CRM process, the stages of CRM's history, the consumption eras) are listed in
the alphabetical order of their keys: their textbook order is an exercise's answer, kept in the
graded tests only. Functions that compute an exercise's answer are marked with
:func:`crmlab.shortcuts.computes`, so a graded answer that calls them earns no points.
"""
# One module per concept (crmlab/concepts/_*.py); every name is re-exported here, as before the split.
from ._common import ConceptError, key_of, wrong_entries
from ._customers import (
    CLASSIFICATION_BASES, PURCHASE_MOTIVES, TIME_ORDER_TYPES, classification_bases, time_order_type,
    time_order_types,
)
from ._relationships import (
    DEVELOPMENT_STEPS, KOTLER_LEVELS, LIFECYCLE_STAGES, LOYALTY_LADDER, RELATIONSHIP_CHARACTERISTICS,
    RELATIONSHIP_DIMENSIONS, SUPPLY_CHAIN_FEATURES, SUPPLY_CHAIN_RULES, SUPPLY_CHAIN_TYPES, kotler_level,
    kotler_table, relationship_breadth, relationship_cases, supply_chain_type, supply_chain_types,
)
from ._crm import (
    CONCEPT_LAYERS, CONTENT_BLOCKS, CRM_DEFINITIONS, CRM_PROCESS_STEPS, CRM_ROLES, ORG_LEVELS,
    VOCATIONAL_ABILITIES, ProcessGraph, compare_edges, role_key, step_key,
)
from ._hotel import BIRTHDAY_CARD, full_years, guest_profile, hotel_archive
from ._history import (
    CAUSES, CONSUMPTION_ERAS, HAIDILAO_FIGURES, MANAGEMENT_PHILOSOPHIES, PIPL_LAWFUL_BASES, PIPL_SENSITIVE,
    TECH_LINEAGE, THEORY_EVOLUTION, haidilao_survey, history_timeline, is_sensitive, repeat_profit_share,
    survey_summary,
)

__all__ = [
    "ConceptError",
    # customers
    "CLASSIFICATION_BASES", "classification_bases", "TIME_ORDER_TYPES", "PURCHASE_MOTIVES",
    "time_order_type", "time_order_types",
    # relationships
    "RELATIONSHIP_CHARACTERISTICS", "RELATIONSHIP_DIMENSIONS", "LIFECYCLE_STAGES", "LOYALTY_LADDER",
    "relationship_breadth", "KOTLER_LEVELS", "kotler_level", "kotler_table",
    "SUPPLY_CHAIN_TYPES", "SUPPLY_CHAIN_FEATURES", "SUPPLY_CHAIN_RULES", "supply_chain_type",
    "supply_chain_types", "relationship_cases", "DEVELOPMENT_STEPS",
    # CRM
    "CONCEPT_LAYERS", "CRM_DEFINITIONS", "CONTENT_BLOCKS", "CRM_PROCESS_STEPS", "ProcessGraph",
    "step_key", "compare_edges", "CRM_ROLES", "role_key", "ORG_LEVELS", "VOCATIONAL_ABILITIES",
    "hotel_archive", "guest_profile", "full_years", "BIRTHDAY_CARD",
    # history
    "CAUSES", "TECH_LINEAGE", "THEORY_EVOLUTION", "MANAGEMENT_PHILOSOPHIES", "CONSUMPTION_ERAS",
    "history_timeline", "HAIDILAO_FIGURES", "haidilao_survey", "survey_summary",
    "PIPL_SENSITIVE", "PIPL_LAWFUL_BASES", "is_sensitive", "repeat_profit_share",
    "key_of", "wrong_entries",
]
