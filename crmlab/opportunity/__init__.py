"""Opportunity management (商机管理): states, sales stages, grading, pipeline KPIs and quotation.

Textbook task 7 (商机管理) with the Kingdee K/3 WISE flow of task 13 (商机 → 阶段推进 → 赢单).
One domain model serves the whole project: labs/02 walks an opportunity through the textbook's
states, labs/04's simulated CRM (``crmlab.system``) persists the same dataclasses with SQLAlchemy.

What is where
-------------
* **States** (status): ``potential`` 潜在 (the reserve 商机资源储备) → ``open`` 进行中 (in a sales
  stage) → ``won`` 赢单 or ``lost`` 输单. A lost opportunity goes back to the reserve and is never
  deleted (textbook task 7 §7.1.2 lifecycle table); ``restore`` reopens it (Odoo ``action_restore``).
  The declared table is :data:`TRANSITIONS`; print it with :func:`transition_table`.
* **Sales stages** (Kingdee task 12.3 / 13.3): 了解情况 → 预研阶段 → 制作方案 → 投标阶段 → 签约阶段,
  codes ``understanding`` / ``pre_study`` / ``proposal`` / ``bidding`` / ``signing`` as in
  ``crmlab.datasets.load("opportunities")``. Each stage has days, a win probability and advance
  conditions (控制方式 + 活动/任务/报价/样品次数). The numbers are crmlab's defaults, not the
  textbook's (it prints none): see :data:`DEFAULT_METHOD`.
* **Grading** (task 7 §7.1.2 ②): 8 indicators, AHP weights (:func:`ahp_weights`), the revenue
  pre-screen (:func:`prescreen`), three levels and time limits.
* **Pipeline KPIs** over a DataFrame shaped like the shipped dataset: :func:`weighted_forecast`,
  :func:`funnel`, :func:`stage_conversion`, :func:`win_rate`, :func:`cycle_time`, :func:`aging`,
  :func:`win_loss_reasons`, :func:`pipeline_kpis`.
* **Quotation** (报价, task 7 §7.2): the five principles (:data:`QUOTE_PRINCIPLES`),
  :class:`QuoteLine` / :class:`Quote` with floor-price checks, :func:`per_day_price` (化整为零) and
  :func:`comparison_table` (比较法).

Every bad input raises a subclass of :class:`OpportunityError` (a :class:`crmlab.errors.CRMLabError`,
itself a ``ValueError``) with a Chinese and an English message and a short ``code``; an illegal
step changes nothing.

The states, stages, transitions, errors and :class:`Opportunity` are the domain core shared with
:mod:`crmlab.system`: they live in :mod:`crmlab.sales_method` and are re-exported here. The rest keeps one
module per concept: ``_grading``, ``_pipeline`` and ``_quotation``. Use the names from here.

Example
-------
>>> from crmlab import opportunity as op
>>> opp = op.Opportunity("OP1", customer_id="C1", owner="张三", expected_revenue=132_000,
...                      created_at="2024-03-01")
>>> opp.qualify(by="张三", at="2024-03-02", basis="formal_request").to_stage
'understanding'
>>> opp.textbook_state, opp.probability
('valid', 0.1)
>>> opp.lose(by="张三", at="2024-03-20", reason="budget_cut").to_status
'lost'
>>> opp.in_reserve, opp.stage
(True, 'understanding')
"""
from crmlab.sales_method import (
    CONDITION_KIND, CONDITION_KINDS, CONTROL_MODE, CONTROL_MODES, DEFAULT_METHOD, QUALIFY_BASES, STATUS,
    STATUSES, TEXTBOOK_STATES, TRANSITIONS, Activity, BelowFloor, ConditionsNotMet, IllegalTransition,
    InconsistentJudgements, InvalidValue, Opportunity, OpportunityError, Rule, SalesMethod, Stage, Transition,
    UnknownLabel, concept_map, history_frame, stage_code, status_code, to_frame, transition_table,
)
from ._grading import (
    GRADE_CUTS, GRADE_INDICATOR, GRADE_INDICATORS, GRADE_LEVEL, GRADE_LEVELS, PRESCREEN, PRESCREEN_TIER,
    RANDOM_INDEX, TIME_LIMITS, AHPResult, GradeResult, Indicator, ahp_weights, due_date, grade_level,
    grade_opportunity, grade_score, horizon, prescreen,
)
from ._pipeline import (
    AGING_BINS, TELECOM_CASE, aging, conversion_rate, cycle_time, funnel, opportunity_age, pipeline_kpis,
    stage_conversion, validate_opportunities, weighted_forecast, win_loss_reasons, win_rate,
)
from ._quotation import (
    COMPARISON_ATTRIBUTE, COMPARISON_ATTRIBUTES, QUOTE_PRINCIPLE, QUOTE_PRINCIPLES, SUPPLEMENT_CASE, Principle,
    Quote, QuoteLine, choose_principle, comparison_table, per_day_price, suggest_price,
)

__all__ = [
    # errors
    "OpportunityError", "UnknownLabel", "InvalidValue", "IllegalTransition", "ConditionsNotMet",
    "BelowFloor", "InconsistentJudgements",
    # states, stages, transitions
    "STATUSES", "TEXTBOOK_STATES", "CONTROL_MODES", "CONDITION_KINDS", "Stage", "SalesMethod",
    "DEFAULT_METHOD", "TRANSITIONS", "transition_table", "concept_map", "stage_code",
    "status_code", "Transition", "Activity", "Opportunity", "to_frame", "history_frame",
    # grading
    "GRADE_INDICATORS", "RANDOM_INDEX", "AHPResult", "ahp_weights", "PRESCREEN", "prescreen",
    "grade_score", "GRADE_LEVELS", "grade_level", "GradeResult", "grade_opportunity",
    "TIME_LIMITS", "due_date", "horizon",
    # pipeline KPIs
    "validate_opportunities", "weighted_forecast", "funnel", "stage_conversion", "win_rate",
    "conversion_rate", "cycle_time", "AGING_BINS", "opportunity_age", "aging",
    "win_loss_reasons", "pipeline_kpis", "TELECOM_CASE",
    # quotation
    "QUOTE_PRINCIPLES", "choose_principle", "suggest_price", "QuoteLine", "Quote",
    "per_day_price", "COMPARISON_ATTRIBUTES", "comparison_table", "SUPPLEMENT_CASE",
]
