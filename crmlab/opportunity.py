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
from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from crmlab import glossary
from crmlab.errors import CRMLabError, InvalidTransition
from crmlab.shortcuts import computes

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


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class OpportunityError(CRMLabError):
    """Base error of this module: ``code`` plus a Chinese and an English message (a
    :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``).

    >>> err = OpportunityError("DEMO", "something is wrong", "出错了")
    >>> err.code, str(err)
    ('DEMO', '出错了 / something is wrong')
    """

    def __init__(self, code: str, en: str, zh: str):
        super().__init__(code, en, zh)


class UnknownLabel(OpportunityError):
    """A stage, status, indicator, level or other label that is not in the vocabulary."""


class InvalidValue(OpportunityError):
    """A number or table that cannot be used (negative amount, malformed matrix, …)."""


class IllegalTransition(OpportunityError, InvalidTransition):
    """A state change that the transition table or a guard does not allow. Nothing changed.

    Also a :class:`crmlab.errors.InvalidTransition` (like ``complaints.InvalidTransition``).
    """


class ConditionsNotMet(IllegalTransition):
    """A strictly controlled stage (严格控制) lacks the activities/tasks/quotes/samples it needs.

    ``unmet`` lists ``(kind, required, done)`` triples.
    """

    def __init__(self, code, en, zh, unmet=()):
        super().__init__(code, en, zh)
        self.unmet = tuple(unmet)


class BelowFloor(OpportunityError):
    """A quoted price below the floor price (底价) without an approver."""


class InconsistentJudgements(OpportunityError):
    """An AHP matrix whose consistency ratio reaches the limit; ``result`` holds the numbers."""

    def __init__(self, code, en, zh, result=None):
        super().__init__(code, en, zh)
        self.result = result


def _short(values, k: int = 5) -> str:
    values = list(values)
    text = ", ".join(repr(v) for v in values[:k])
    return text + (f" … ({len(values)} in all)" if len(values) > k else "")


# --------------------------------------------------------------------------------------------
# Vocabulary: statuses, textbook states, stage control
# --------------------------------------------------------------------------------------------
# status code: (中文, English, other accepted labels)
STATUSES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "potential": ("潜在商机（储备）", "potential (in the reserve)", ("潜在", "潜在商机", "储备", "未评估", "reserve")),
    "open": ("进行中", "open (in a sales stage)", ("执行中", "进行中", "跟进中", "pending", "in_progress")),
    "won": ("赢单", "won", ("赢单", "成功", "成功商机", "成交")),
    "lost": ("输单（退回储备）", "lost (back in the reserve)", ("输单", "丢单", "失败")),
}

# Textbook task 7 §7.1.1: the five opportunity states, with the entry condition in the text.
TEXTBOOK_STATES: dict[str, tuple[str, str]] = {
    "potential": ("潜在商机", "vague need, no formal request yet; kept in the reserve 商机资源储备"),
    "valid": ("有效商机", "formal request, or matches the confirmation template 商机确认模板"),
    "feasible": ("可行商机", "need confirmed and opportunity assessment + feasibility analysis passed"),
    "target": ("目标商机", "technical solution accepted; to be won by negotiation or bidding"),
    "won": ("成功商机", "contract signed"),
}

# Kingdee 推进条件 控制方式 (task 12.3): none / remind / strict.
CONTROL_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "none": ("不控制", ("不控制",)),
    "remind": ("提醒", ("提醒",)),
    "strict": ("严格控制", ("严格控制", "严格")),
}

# Kingdee 推进条件 kinds (活动次数, 任务次数, 报价次数 …; 样品 is crmlab's, covered by the book's "等").
CONDITION_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "activity": ("活动次数", ("活动", "活动次数", "activities")),
    "task": ("任务次数", ("任务", "任务次数", "tasks")),
    "quote": ("报价次数", ("报价", "报价单", "报价次数", "quotes")),
    "sample": ("样品次数", ("样品", "样品申请单", "样品次数", "samples")),
}

QUALIFY_BASES = {"formal_request": "客户正式提出需求", "template_match": "符合商机确认模板"}


def _vocabulary(name: str, table: Mapping[str, tuple], what_en: str, what_zh: str) -> glossary.Vocabulary:
    """A registered vocabulary from a ``code: (中文, [English,] aliases)`` table of this module."""
    entries = {code: (e[0], e[1] if len(e) == 3 else code, e[-1]) for code, e in table.items()}
    return glossary.Vocabulary(name, entries, what=(what_en, what_zh),
                               error_code=f"UNKNOWN_{what_en.upper().replace(' ', '_')}")


STATUS = _vocabulary("opportunity_status", STATUSES, "status", "状态")
CONTROL_MODE = _vocabulary("control_mode", CONTROL_MODES, "control mode", "控制方式")
CONDITION_KIND = _vocabulary("condition_kind", CONDITION_KINDS, "condition kind", "推进条件")


def _lookup(value, vocabulary: glossary.Vocabulary) -> str:
    return vocabulary.code(value, error=UnknownLabel)


def status_code(label) -> str:
    """Canonical status code for an English or Chinese label.

    >>> status_code("赢单"), status_code("执行中"), status_code("lost")
    ('won', 'open', 'lost')
    """
    return _lookup(label, STATUS)


# --------------------------------------------------------------------------------------------
# Sales stages and methods (Kingdee 方法 / 阶段)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    """One sales stage (销售阶段) of a sales method (Kingdee task 12.3, rules R3–R4).

    Parameters
    ----------
    code, name_zh, name_en : stage code (as in the datasets), 阶段名称, English name.
    days : planned stage duration 阶段天数 (int > 0).
    probability : win probability 成功率 as a fraction, 0 < p < 1, rising along the stages.
    control : 控制方式 ``"none"`` 不控制, ``"remind"`` 提醒 or ``"strict"`` 严格控制.
    conditions : minimum counts before the stage may be left, e.g. ``{"activity": 1}``
        (活动次数); kinds are in :data:`CONDITION_KINDS`.
    state : the textbook state an opportunity in this stage is in (``valid``, ``feasible`` or
        ``target``); crmlab's bridge, see :func:`concept_map`.

    >>> Stage("demo", "演示", "Demo", days=5, probability=0.2, control="提醒",
    ...       conditions={"活动": 2}).conditions
    (('activity', 2),)
    """

    code: str
    name_zh: str
    name_en: str
    days: int
    probability: float
    control: str = "none"
    conditions: Any = ()
    state: str = "valid"

    def __post_init__(self):
        if not str(self.code).strip() or not str(self.name_zh).strip():
            raise InvalidValue("STAGE_NAME", "a stage needs a code and a Chinese name",
                               "阶段需要代码和阶段名称")
        if isinstance(self.days, bool) or not isinstance(self.days, (int, np.integer)) or self.days <= 0:
            raise InvalidValue("STAGE_DAYS", f"stage {self.code!r}: days must be a positive integer, got {self.days!r}",
                               f"阶段 {self.code!r} 的阶段天数必须是正整数，得到 {self.days!r}")
        try:
            p = float(self.probability)
        except (TypeError, ValueError):
            p = math.nan
        if not 0 < p < 1:
            raise InvalidValue("STAGE_PROBABILITY",
                               f"stage {self.code!r}: probability must be a fraction in (0, 1), got {self.probability!r}",
                               f"阶段 {self.code!r} 的成功率必须在 0 与 1 之间（不含端点），得到 {self.probability!r}")
        object.__setattr__(self, "probability", p)
        object.__setattr__(self, "days", int(self.days))
        object.__setattr__(self, "control", _lookup(self.control, CONTROL_MODE))
        items = self.conditions.items() if isinstance(self.conditions, Mapping) else self.conditions
        conds = []
        for kind, minimum in items:
            kind = _lookup(kind, CONDITION_KIND)
            if isinstance(minimum, bool) or not isinstance(minimum, (int, np.integer)) or minimum < 0:
                raise InvalidValue("STAGE_CONDITION", f"stage {self.code!r}: the minimum for {kind!r} must be an integer ≥ 0",
                                   f"阶段 {self.code!r} 的 {kind!r} 最少次数必须是非负整数")
            conds.append((kind, int(minimum)))
        if len({k for k, _ in conds}) != len(conds):
            raise InvalidValue("STAGE_CONDITION", f"stage {self.code!r}: a condition kind appears twice",
                               f"阶段 {self.code!r} 的推进条件重复")
        object.__setattr__(self, "conditions", tuple(conds))
        if self.state not in ("valid", "feasible", "target"):
            raise UnknownLabel("UNKNOWN_STATE", f"stage state must be valid, feasible or target, got {self.state!r}",
                               f"阶段对应的商机状态必须是 有效/可行/目标，得到 {self.state!r}")


_STATE_ORDER = {"valid": 0, "feasible": 1, "target": 2}


@dataclass(frozen=True)
class SalesMethod:
    """A sales method (销售方法): an ordered list of stages (Kingdee task 12.3).

    Validation on creation (crmlab's rules, following the book's "成功率逐步提高"): at least one
    stage; codes and names unique; probabilities strictly increasing; textbook states never go
    backwards. ``win_at_last_stage_only`` (default True) allows 赢单 only from the last stage.

    >>> m = SalesMethod("简化方法", (Stage("a", "甲", "A", 5, 0.3), Stage("b", "乙", "B", 5, 0.6)))
    >>> m.codes, m.next("a"), m.stage("乙").probability
    (('a', 'b'), 'b', 0.6)
    """

    name: str
    stages: tuple
    win_at_last_stage_only: bool = True

    def __post_init__(self):
        stages = tuple(self.stages)
        if not stages or not all(isinstance(s, Stage) for s in stages):
            raise InvalidValue("METHOD_STAGES", "a sales method needs at least one Stage",
                               "销售方法至少需要一个阶段")
        object.__setattr__(self, "stages", stages)
        for attr, en, zh in (("code", "codes", "代码"), ("name_zh", "names", "阶段名称")):
            values = [getattr(s, attr) for s in stages]
            if len(set(values)) != len(values):
                raise InvalidValue("METHOD_DUPLICATE", f"stage {en} must be unique: {values}",
                                   f"阶段{zh}不能重复：{values}")
        probs = [s.probability for s in stages]
        if any(b <= a for a, b in zip(probs, probs[1:])):
            raise InvalidValue("STAGE_RATE_ORDER", f"stage probabilities must rise strictly: {probs}",
                               f"阶段成功率必须逐步提高：{probs}")
        order = [_STATE_ORDER[s.state] for s in stages]
        if any(b < a for a, b in zip(order, order[1:])):
            raise InvalidValue("STAGE_STATE_ORDER", "textbook states must not go backwards along the stages",
                               "阶段对应的商机状态不能倒退")
        aliases: dict[str, str] = {}
        for s in stages:
            for label in (s.code, s.name_zh, s.name_en):
                aliases[str(label)] = s.code
                aliases[str(label).lower()] = s.code
        object.__setattr__(self, "_aliases", aliases)

    @property
    def codes(self) -> tuple:
        """Stage codes in order."""
        return tuple(s.code for s in self.stages)

    @property
    def probabilities(self) -> dict:
        """``{stage code: probability}`` in stage order."""
        return {s.code: s.probability for s in self.stages}

    def code(self, label) -> str:
        """Stage code for a code, Chinese name or English name; :class:`UnknownLabel` otherwise."""
        key = str(label).strip()
        code = self._aliases.get(key, self._aliases.get(key.lower()))
        if code is None:
            names = [f"{s.code} {s.name_zh}" for s in self.stages]
            raise UnknownLabel("UNKNOWN_STAGE", f"unknown stage {label!r}; the stages of {self.name!r} are {names}",
                               f"未知的销售阶段 {label!r}；{self.name!r} 的阶段为 {names}")
        return code

    def stage(self, label) -> Stage:
        """The :class:`Stage` for a label."""
        return self.stages[self.index(label)]

    def index(self, label) -> int:
        """Position (0-based) of a stage."""
        return self.codes.index(self.code(label))

    def next(self, label):
        """Code of the following stage, or ``None`` after the last one."""
        i = self.index(label)
        return self.codes[i + 1] if i + 1 < len(self.stages) else None

    def to_frame(self) -> pd.DataFrame:
        """The method as a table (one row per stage), e.g. to print in a notebook."""
        rows = [{"code": s.code, "阶段名称": s.name_zh, "name": s.name_en, "days": s.days,
                 "probability": s.probability, "control": s.control,
                 "控制方式": CONTROL_MODES[s.control][0],
                 "conditions": ", ".join(f"{CONDITION_KINDS[k][0]} ≥ {n}" for k, n in s.conditions) or "—",
                 "textbook_state": s.state}
                for s in self.stages]
        return pd.DataFrame(rows).set_index("code")


# Stage names: Kingdee task 13.3 (l.4848–4950). Days, probabilities, control modes, conditions and
# the state bridge are crmlab's defaults (the textbook prints none). The probabilities equal the
# ones the shipped dataset uses; the conditions follow the book's worked example (one activity in
# 了解情况, one task in 预研阶段, a quote in 制作方案, a sample show in 投标阶段).
DEFAULT_METHOD = SalesMethod("默认销售方法", (
    Stage("understanding", "了解情况", "Understanding", 10, 0.10, "strict", {"activity": 1}, "valid"),
    Stage("pre_study", "预研阶段", "Pre-study", 15, 0.25, "strict", {"task": 1}, "valid"),
    Stage("proposal", "制作方案", "Proposal", 15, 0.40, "strict", {"quote": 1}, "feasible"),
    Stage("bidding", "投标阶段", "Bidding", 20, 0.60, "remind", {"sample": 1}, "target"),
    Stage("signing", "签约阶段", "Signing", 10, 0.80, "none", {}, "target"),
))


def stage_code(label, method: SalesMethod = DEFAULT_METHOD) -> str:
    """Canonical stage code for a code, a Chinese or an English stage name.

    >>> stage_code("预研阶段"), stage_code("Bidding"), stage_code("signing")
    ('pre_study', 'bidding', 'signing')
    """
    return method.code(label)


# --------------------------------------------------------------------------------------------
# The declared transition table
# --------------------------------------------------------------------------------------------
class Rule(NamedTuple):
    """One row of the transition table."""

    action: str
    action_zh: str
    sources: tuple
    target: str
    guard: str
    textbook: str


TRANSITIONS: tuple[Rule, ...] = (
    Rule("qualify", "确认为有效商机", ("potential",), "open",
         "basis is formal_request or template_match; enters the first stage",
         "潜在 → 有效 (task 7 §7.1.1)"),
    Rule("record", "登记活动/任务/报价/样品", ("potential", "open"), "(same)",
         "kind known; stamped with the current stage (Kingdee R15)", "—"),
    Rule("advance", "阶段推进", ("open",), "open",
         "not the last stage; strict stages need their conditions met, remind stages log a warning",
         "有效 → 可行 → 目标 as the stage requires"),
    Rule("win", "赢单", ("open",), "won",
         "win reason given; at the last stage unless the method allows otherwise (Kingdee R23)",
         "目标 → 成功"),
    Rule("lose", "输单（退回储备）", ("open",), "lost",
         "loss reason given; probability 0; record kept in the reserve",
         "有效/可行/目标 → 潜在 (储备), never deleted"),
    Rule("restore", "恢复", ("lost",), "open",
         "reopens at the stage where it was lost (Odoo action_restore)", "潜在 (储备) → back in the pipeline"),
)
_RULES = {r.action: r for r in TRANSITIONS}


def transition_table() -> pd.DataFrame:
    """The declared transition table (from, to, action, guard) as a DataFrame to print.

    >>> t = transition_table()
    >>> t.loc["lose", "to"], t.loc["restore", "from"]
    ('lost', 'lost')
    """
    rows = [{"action": r.action, "动作": r.action_zh, "from": ", ".join(r.sources), "to": r.target,
             "guard": r.guard, "textbook": r.textbook} for r in TRANSITIONS]
    return pd.DataFrame(rows).set_index("action")


def concept_map() -> pd.DataFrame:
    """Seller process P1–P5, buyer process C1–C5, lifecycle period and Kingdee stages side by side.

    The textbook's table 7-3 (商机管理概念对应表) is lost; this reconstruction from the prose of
    task 7 §7.1.2 and the Kingdee bridge is crmlab's (CONSTRUCTED), not the textbook's.

    >>> concept_map().loc["P3", "kingdee_stages"]
    '制作方案'
    """
    rows = [
        ("P1", "商机获取", "C1 发现需求", "识别期", "潜在 → 有效", "挖掘 + 识别细分", "(qualify)"),
        ("P2", "需求确定", "C2 内部规划及确立需求", "发展期", "有效 → 可行", "机会评估及可行性分析", "了解情况, 预研阶段"),
        ("P3", "方案制订", "C3 选择解决方案", "成熟期", "可行 → 目标", "资源投入", "制作方案"),
        ("P4", "合同签订", "C4 评估比较及做出决定", "收获期", "目标 → 成功", "商务谈判和投标", "投标阶段, 签约阶段"),
        ("P5", "商机结束", "C5 实施解决方案并评估绩效", "收获期 (结束)", "成功 → 归档", "商机结束 (挖掘新商机)", "(won)"),
    ]
    cols = ["seller_stage", "buyer_stage", "period", "states", "strategy", "kingdee_stages"]
    return pd.DataFrame([r[1:] for r in rows], index=pd.Index([r[0] for r in rows], name="P"), columns=cols)


# --------------------------------------------------------------------------------------------
# Opportunity (the state machine) and its records
# --------------------------------------------------------------------------------------------
def _ts(value, what: str = "time") -> _dt.datetime:
    # crmlab never reads the wall clock (deterministic labs; the simulated CRM passes its clock).
    if _blank(value):
        raise InvalidValue("MISSING_TIME", f"{what} is required (a date/time)", f"{what} 不能为空（日期时间）")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise InvalidValue("BAD_TIME", f"{what} {value!r} is not a date/time", f"{what} {value!r} 不是有效的日期时间")
    return ts.tz_localize(None).to_pydatetime() if ts.tzinfo else ts.to_pydatetime()


def _amount(value, what: str = "expected_revenue") -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x) or x < 0:
        raise InvalidValue("NEGATIVE_AMOUNT" if math.isfinite(x) else "BAD_AMOUNT",
                           f"{what} must be a finite amount ≥ 0, got {value!r}",
                           f"{what} 必须是不小于 0 的有限金额，得到 {value!r}")
    return x


@dataclass(frozen=True)
class Transition:
    """One recorded state change: who (``by``), when (``at``), from and to (status and stage)."""

    opportunity_id: str
    seq: int
    action: str
    at: _dt.datetime
    by: str
    from_status: str | None
    to_status: str
    from_stage: str | None
    to_stage: str | None
    note: str = ""
    warnings: tuple = ()


@dataclass(frozen=True)
class Activity:
    """An activity, task, quote or sample logged on an opportunity, stamped with its stage."""

    opportunity_id: str
    kind: str
    stage: str | None
    at: _dt.datetime
    by: str
    note: str = ""


_PROTECTED = frozenset({"status", "stage", "probability", "closed_at", "lost_reason", "win_reason"})


@dataclass(eq=False)
class Opportunity:
    """An opportunity (商机) and its state machine.

    Statuses and transitions are declared in :data:`TRANSITIONS`. The fields ``status``,
    ``stage``, ``probability``, ``closed_at``, ``lost_reason`` and ``win_reason`` change only
    through the transition methods (:meth:`qualify`, :meth:`advance`, :meth:`win`,
    :meth:`lose`, :meth:`restore`); assigning them raises :class:`IllegalTransition`. Each
    method checks its rule and guards first and raises without changing anything, or applies
    the change and appends a :class:`Transition` to ``history``. Every method needs ``by``
    (who) and ``at`` (when, not earlier than the last record); ``created_at`` is required too:
    crmlab never reads the wall clock.

    The textbook's rule (task 7 §7.1.2, lifecycle table): an opportunity that fails at any stage
    goes back to the reserve of potential opportunities and is never deleted; here ``lose``
    keeps the record (status ``lost``, :attr:`in_reserve` True) and :meth:`delete` always
    refuses.

    Plain dataclass: an ORM (SQLAlchemy ``registry.map_imperatively``) can map its scalar
    fields; ``history`` and ``activities`` are lists of frozen dataclasses.

    Examples
    --------
    >>> opp = Opportunity("OP7", owner="张三", expected_revenue=50_000, created_at="2024-03-01")
    >>> _ = opp.qualify(by="张三", at="2024-03-01 10:00", basis="template_match")
    >>> _ = opp.record("activity", by="张三", at="2024-03-03")      # 了解情况 needs one activity
    >>> opp.advance(by="张三", at="2024-03-05").to_stage
    'pre_study'
    >>> try:
    ...     opp.advance(by="张三", at="2024-03-06")            # 预研阶段 needs a task first
    ... except ConditionsNotMet as err:
    ...     print(err.code, err.unmet)
    CONDITION_NOT_MET (('task', 1, 0),)
    >>> opp.stage, len(opp.history)
    ('pre_study', 2)
    """

    opportunity_id: str
    customer_id: str = ""
    owner: str = ""
    title: str = ""
    expected_revenue: float = 0.0
    source: str = ""
    created_at: Any = None
    expected_close: Any = None
    status: str = "potential"
    stage: str | None = None
    probability: float | None = None
    closed_at: Any = None
    lost_reason: str = ""
    win_reason: str = ""
    method: SalesMethod = field(default=DEFAULT_METHOD, repr=False)
    history: list = field(default_factory=list, repr=False)
    activities: list = field(default_factory=list, repr=False)

    # -- construction and protection --------------------------------------------------------
    def __setattr__(self, name, value):
        if name in _PROTECTED and name in self.__dict__:
            raise IllegalTransition("USE_TRANSITION",
                                    f"{name!r} changes only through qualify/advance/win/lose/restore",
                                    f"{name!r} 只能通过 确认/推进/赢单/输单/恢复 等操作改变")
        if name == "expected_revenue":
            value = _amount(value)
        object.__setattr__(self, name, value)

    def __post_init__(self):
        if not str(self.opportunity_id).strip():
            raise InvalidValue("MISSING_ID", "an opportunity needs an opportunity_id", "商机需要编号")
        if not isinstance(self.method, SalesMethod):
            raise InvalidValue("BAD_METHOD", "method must be a SalesMethod", "method 必须是 SalesMethod")
        status = status_code(self.status)
        stage = None if _blank(self.stage) else self.method.code(self.stage)
        created = _ts(self.created_at, "created_at")
        expected_close = None if _blank(self.expected_close) else _ts(self.expected_close, "expected_close")
        closed = None if _blank(self.closed_at) else _ts(self.closed_at, "closed_at")
        if status == "potential" and stage is not None:
            raise IllegalTransition("STAGE_BEFORE_QUALIFY", "a potential opportunity has no sales stage yet",
                                    "潜在商机尚未进入销售阶段")
        if status != "potential" and stage is None:
            raise IllegalTransition("STAGE_REQUIRED", f"a {status} opportunity needs a stage",
                                    f"状态为 {status} 的商机必须有销售阶段")
        if (status == "won" and self.method.win_at_last_stage_only and stage != self.method.codes[-1]):
            raise IllegalTransition("WIN_NOT_AT_LAST_STAGE", f"a won opportunity must be at stage {self.method.codes[-1]!r}",
                                    f"赢单的商机必须处于最后阶段 {self.method.stages[-1].name_zh}")
        if status in ("won", "lost") and closed is not None and closed < created:
            raise InvalidValue("CLOSED_BEFORE_CREATED", "closed_at is before created_at", "关闭日期早于创建日期")
        if status == "lost" and _blank(self.lost_reason):
            raise IllegalTransition("REASON_REQUIRED", "a lost opportunity needs a lost_reason", "输单的商机必须填写输单原因")
        default_p = {"potential": 0.0, "won": 1.0, "lost": 0.0}.get(status)
        p = default_p if default_p is not None else self.method.stage(stage).probability
        if self.probability is not None and not _blank(self.probability):
            given = float(self.probability)
            if not 0 <= given <= 1:
                raise InvalidValue("BAD_PROBABILITY", f"probability must be in [0, 1], got {given}",
                                   f"成功率必须在 [0, 1] 之间，得到 {given}")
            if default_p is not None and given != default_p:
                raise InvalidValue("BAD_PROBABILITY", f"a {status} opportunity has probability {default_p}",
                                   f"状态为 {status} 的商机成功率为 {default_p}")
            p = given
        for name, value in (("status", status), ("stage", stage), ("probability", p), ("created_at", created),
                            ("expected_close", expected_close),
                            ("closed_at", closed if status in ("won", "lost") else None),
                            ("lost_reason", "" if _blank(self.lost_reason) else str(self.lost_reason)),
                            ("win_reason", "" if _blank(self.win_reason) else str(self.win_reason))):
            object.__setattr__(self, name, value)

    @classmethod
    def from_record(cls, record: Mapping, method: SalesMethod = DEFAULT_METHOD) -> Opportunity:
        """Build an opportunity from a dataset row (``crmlab.datasets.load("opportunities")``).

        >>> row = {"opportunity_id": "OP1", "stage": "制作方案", "status": "输单",
        ...        "expected_revenue": 45400.0, "created_date": "2024-01-04",
        ...        "closed_date": "2024-02-08", "lost_reason": "budget_cut"}
        >>> o = Opportunity.from_record(row)
        >>> o.status, o.stage, o.probability, o.textbook_state
        ('lost', 'proposal', 0.0, 'potential')
        """
        r = dict(record)
        return cls(opportunity_id=str(r["opportunity_id"]), customer_id=str(r.get("customer_id", "")),
                   owner=str(r.get("owner", "")), title=str(r.get("title", "")),
                   expected_revenue=r.get("expected_revenue", 0.0), source=str(r.get("source", "")),
                   created_at=r.get("created_date", r.get("created_at")),
                   expected_close=r.get("expected_close"), status=r.get("status", "potential"),
                   stage=r.get("stage"), probability=r.get("probability"),
                   closed_at=r.get("closed_date", r.get("closed_at")),
                   lost_reason=r.get("lost_reason", ""), win_reason=r.get("win_reason", ""), method=method)

    def to_record(self) -> dict:
        """The opportunity as a dict with the dataset's column names (plus title and win_reason)."""
        return {"opportunity_id": self.opportunity_id, "customer_id": self.customer_id, "owner": self.owner,
                "source": self.source, "created_date": self.created_at, "stage": self.stage or "",
                "status": self.status, "expected_revenue": self.expected_revenue,
                "probability": self.probability, "closed_date": self.closed_at,
                "lost_reason": self.lost_reason, "title": self.title, "win_reason": self.win_reason}

    # -- derived views ----------------------------------------------------------------------
    @property
    def textbook_state(self) -> str:
        """The textbook's state (task 7 §7.1.1): potential, valid, feasible, target or won."""
        if self.status in ("potential", "lost"):
            return "potential"
        if self.status == "won":
            return "won"
        return self.method.stage(self.stage).state

    @property
    def in_reserve(self) -> bool:
        """True for potential and lost opportunities: the reserve 商机资源储备 (never deleted)."""
        return self.status in ("potential", "lost")

    @property
    def weighted_revenue(self) -> float:
        """``expected_revenue × probability`` (Odoo's prorated revenue)."""
        return self.expected_revenue * self.probability

    def counts(self, stage=None) -> dict:
        """Activities, tasks, quotes and samples logged in ``stage`` (default: the current one)."""
        stage = self.stage if stage is None else self.method.code(stage)
        out = dict.fromkeys(CONDITION_KINDS, 0)
        for a in self.activities:
            if a.stage == stage:
                out[a.kind] += 1
        return out

    def allowed_actions(self) -> list:
        """Actions the transition table allows from the current status (guards not checked)."""
        return [r.action for r in TRANSITIONS if self.status in r.sources]

    # -- transitions ------------------------------------------------------------------------
    def _check(self, action: str, by, at) -> tuple[Rule, str, _dt.datetime]:
        rule = _RULES[action]
        if self.status not in rule.sources:
            raise IllegalTransition("ILLEGAL_TRANSITION",
                                    f"{action} is not allowed from status {self.status!r} (allowed: {self.allowed_actions()})",
                                    f"状态为 {STATUSES[self.status][0]} 时不能执行 {rule.action_zh}")
        who = "" if by is None else str(by).strip()
        if not who:
            raise InvalidValue("WHO_REQUIRED", "every transition needs the acting user (by=...)",
                               "每次操作都必须记录操作人 (by=...)")
        when = _ts(at, "at")
        last = max([self.created_at] + [t.at for t in self.history] + [a.at for a in self.activities])
        if when < last:
            raise IllegalTransition("TIME_ORDER", f"{when} is earlier than the last recorded event ({last})",
                                    f"时间 {when} 早于最近一次记录 ({last})")
        return rule, who, when

    def _commit(self, action, by, at, to_status, to_stage, note="", warnings=(), **fields) -> Transition:
        t = Transition(self.opportunity_id, len(self.history) + 1, action, at, by, self.status, to_status,
                       self.stage, to_stage, note, tuple(warnings))
        values = {"status": to_status, "stage": to_stage, **fields}
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self.history.append(t)
        return t

    def qualify(self, *, by, at, basis: str = "formal_request") -> Transition:
        """潜在 → 有效: the customer made a formal request, or the opportunity matches the
        confirmation template (task 7 §7.1.1). Enters the first stage with its probability."""
        rule, who, when = self._check("qualify", by, at)
        if basis not in QUALIFY_BASES:
            raise IllegalTransition("QUALIFY_BASIS", f"basis must be one of {list(QUALIFY_BASES)}, got {basis!r}",
                                    f"确认依据必须是 {list(QUALIFY_BASES.values())} 之一")
        first = self.method.stages[0]
        return self._commit("qualify", who, when, rule.target, first.code, note=basis, probability=first.probability)

    def record(self, kind, *, by, at, note: str = "") -> Activity:
        """Log an activity, task, quote or sample (活动/任务/报价/样品) in the current stage."""
        kind = _lookup(kind, CONDITION_KIND)
        _, who, when = self._check("record", by, at)
        a = Activity(self.opportunity_id, kind, self.stage, when, who, str(note))
        self.activities.append(a)
        return a

    @computes("stage_advance", "阶段推进的结果（通过、提醒或拒绝）", "outcome of a stage push (ok, warning, refused)")
    def advance(self, *, by, at) -> Transition:
        """阶段推进: move to the next stage (Kingdee task 13.3, rules R4 and R17).

        A 严格控制 stage with unmet conditions raises :class:`ConditionsNotMet`; a 提醒 stage
        advances and records the unmet conditions as warnings; 不控制 ignores them.
        """
        rule, who, when = self._check("advance", by, at)
        stage = self.method.stage(self.stage)
        nxt = self.method.next(stage.code)
        if nxt is None:
            raise IllegalTransition("LAST_STAGE", f"{stage.code!r} is the last stage: win() or lose() instead",
                                    f"已是最后阶段（{stage.name_zh}），请执行赢单或输单")
        done = self.counts(stage.code)
        unmet = [(k, n, done[k]) for k, n in stage.conditions if done[k] < n]
        warnings = []
        if unmet and stage.control == "strict":
            need = "; ".join(f"{k} {d}/{n}" for k, n, d in unmet)
            need_zh = "；".join(f"{CONDITION_KINDS[k][0]} {d}/{n}" for k, n, d in unmet)
            raise ConditionsNotMet("CONDITION_NOT_MET", f"stage {stage.code!r} is strictly controlled and needs: {need}",
                                   f"阶段「{stage.name_zh}」严格控制，推进条件未满足：{need_zh}", unmet)
        if unmet and stage.control == "remind":
            warnings = [f"{k}: {d}/{n}" for k, n, d in unmet]
        return self._commit("advance", who, when, rule.target, nxt, warnings=warnings,
                            probability=self.method.stage(nxt).probability)

    def win(self, *, by, at, reason: str) -> Transition:
        """赢单: probability 100 %, closed at ``at``; needs a win reason (项目总结, Kingdee R23)."""
        rule, who, when = self._check("win", by, at)
        if _blank(reason):
            raise IllegalTransition("REASON_REQUIRED", "win() needs a reason (赢单原因)", "赢单必须填写赢单原因（项目总结）")
        if self.method.win_at_last_stage_only and self.stage != self.method.codes[-1]:
            raise IllegalTransition("WIN_NOT_AT_LAST_STAGE",
                                    f"win only from the last stage {self.method.codes[-1]!r}; now at {self.stage!r}",
                                    f"只能在最后阶段（{self.method.stages[-1].name_zh}）赢单")
        return self._commit("win", who, when, rule.target, self.stage, note=str(reason), probability=1.0,
                            closed_at=when, win_reason=str(reason))

    def lose(self, *, by, at, reason: str) -> Transition:
        """输单: probability 0 and a loss reason; the record stays, back in the reserve (储备)."""
        rule, who, when = self._check("lose", by, at)
        if _blank(reason):
            raise IllegalTransition("REASON_REQUIRED", "lose() needs a reason (输单原因)", "输单必须填写原因")
        return self._commit("lose", who, when, rule.target, self.stage, note=str(reason), probability=0.0,
                            closed_at=when, lost_reason=str(reason))

    def restore(self, *, by, at) -> Transition:
        """Reopen a lost opportunity at the stage where it was lost (Odoo ``action_restore``)."""
        rule, who, when = self._check("restore", by, at)
        return self._commit("restore", who, when, rule.target, self.stage,
                            probability=self.method.stage(self.stage).probability, closed_at=None, lost_reason="")

    def delete(self):
        """Always refuses: failed opportunities return to the reserve and are never deleted."""
        raise IllegalTransition("NEVER_DELETED",
                                "opportunities are never deleted; lose() returns one to the reserve (task 7 §7.1.2)",
                                "商机不能删除；失败的商机退回商机资源储备（任务7 §7.1.2）")


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def to_frame(opportunities: Sequence[Opportunity]) -> pd.DataFrame:
    """Snapshot of opportunities in the dataset's columns, ready for the KPI functions.

    >>> o = Opportunity("OP1", expected_revenue=1000, created_at="2024-01-01")
    >>> to_frame([o])[["opportunity_id", "status", "expected_revenue"]].to_dict("records")
    [{'opportunity_id': 'OP1', 'status': 'potential', 'expected_revenue': 1000.0}]
    """
    frame = pd.DataFrame([o.to_record() for o in opportunities])
    for col in ("created_date", "closed_date"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def history_frame(opportunities: Sequence[Opportunity]) -> pd.DataFrame:
    """All recorded transitions (who, when, from, to) as one DataFrame.

    >>> o = Opportunity("OP1", owner="张三", created_at="2024-03-01")
    >>> _ = o.qualify(by="张三", at="2024-03-02")
    >>> history_frame([o])[["action", "by", "from_status", "to_status", "to_stage"]].to_dict("records")
    [{'action': 'qualify', 'by': '张三', 'from_status': 'potential', 'to_status': 'open', 'to_stage': 'understanding'}]
    """
    rows = [t.__dict__ for o in opportunities for t in o.history]
    cols = list(Transition.__dataclass_fields__)
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# Grading: 8 indicators, AHP weights, pre-screen, levels, time limits (task 7 §7.1.2 ②)
# --------------------------------------------------------------------------------------------
class Indicator(NamedTuple):
    code: str
    zh: str
    en: str
    dimension: str
    reverse: bool


# Task 7 §7.1.2 ②: two dimensions, 8 indicators (table 7-1's title and names survive; its scales
# are lost). ``reverse`` marks the indicators crmlab reverse-codes so that 5 is always favourable
# (5 = easy need, little competition, low risk): a design decision, not the textbook's.
GRADE_INDICATORS: tuple[Indicator, ...] = (
    Indicator("revenue", "预测收入", "forecast revenue", "opportunity", False),
    Indicator("urgency", "紧急程度", "urgency", "opportunity", False),
    Indicator("importance", "重要程度", "importance", "opportunity", False),
    Indicator("difficulty", "需求难易度", "difficulty of the need", "opportunity", True),
    Indicator("competition", "竞争程度", "degree of competition", "opportunity", True),
    Indicator("customer_value", "客户价值", "customer value", "customer", False),
    Indicator("customer_risk", "客户风险程度", "customer risk", "customer", True),
    Indicator("customer_activity", "客户活跃程度", "customer activity", "customer", False),
)
_INDICATOR_CODES = tuple(i.code for i in GRADE_INDICATORS)
GRADE_INDICATOR = glossary.Vocabulary("grade_indicator", {i.code: (i.zh, i.en) for i in GRADE_INDICATORS},
                                      what=("indicator", "指标"), error_code="UNKNOWN_INDICATOR")

# Saaty (1980) The Analytic Hierarchy Process, random consistency index RI for n = 1 … 15.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                                  9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp_weights`."""

    weights: Any
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    random_index: float

    @property
    def consistent(self) -> bool:
        """Saaty's rule: consistency ratio below 0.1."""
        return self.consistency_ratio < 0.1


@computes("ahp", "层次分析法权重与一致性比率", "AHP weights and consistency ratio")
def ahp_weights(pairwise, max_cr: float | None = 0.1, tol: float = 0.05) -> AHPResult:
    """AHP weights (层次分析法) from a pairwise comparison matrix: the principal eigenvector.

    Textbook task 7 §7.1.2 ② step (4) asks for the 8 indicator weights by AHP; the method is
    Saaty's (1980): ``A w = λmax w`` with ``w`` scaled to sum 1, consistency index
    ``CI = (λmax − n)/(n − 1)``, consistency ratio ``CR = CI / RI(n)`` with Saaty's random index
    (:data:`RANDOM_INDEX`; CR = 0 for n ≤ 2). The eigenvector comes from ``numpy.linalg.eig``.

    Parameters
    ----------
    pairwise : square reciprocal matrix (``a[i, j]`` = importance of i over j on Saaty's 1–9
        scale, ``a[j, i] = 1 / a[i, j]``); an array or a DataFrame with the same labels on the
        index and columns.
    max_cr : refuse matrices with ``CR ≥ max_cr`` by raising :class:`InconsistentJudgements`
        (its ``result`` attribute still holds the numbers). ``None`` accepts any matrix.
    tol : tolerance of the reciprocity check ``|a[i, j] · a[j, i] − 1| ≤ tol`` and of the unit
        diagonal, so judgements typed with two decimals (0.33 for 1/3, 0.14 for 1/7) pass.

    Returns
    -------
    AHPResult with ``weights`` (a Series named like the DataFrame's labels, or an array),
    ``lambda_max``, ``consistency_index``, ``consistency_ratio`` and ``random_index``.

    Raises
    ------
    InvalidValue (a ValueError) when the matrix is not square, not positive, has a diagonal
    other than 1 or is not reciprocal.

    Examples
    --------
    >>> A = [[1, 3, 5, 7], [1/3, 1, 3, 5], [1/5, 1/3, 1, 3], [1/7, 1/5, 1/3, 1]]
    >>> r = ahp_weights(A)
    >>> r.weights.round(3).tolist(), round(r.lambda_max, 3), round(r.consistency_ratio, 3)
    ([0.565, 0.262, 0.118, 0.055], 4.117, 0.043)
    """
    labels = None
    if isinstance(pairwise, pd.DataFrame):
        if list(pairwise.index) != list(pairwise.columns):
            raise InvalidValue("AHP_LABELS", "the DataFrame needs the same labels, in the same order, on index and columns",
                               "判断矩阵的行标签与列标签必须相同且顺序一致")
        labels = pairwise.index
        values = pairwise.to_numpy()
    else:
        values = pairwise
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValue("AHP_NOT_NUMERIC", "the pairwise matrix must hold numbers", "判断矩阵必须是数值") from None
    n = a.shape[0] if a.ndim == 2 else 0
    if a.ndim != 2 or a.shape[0] != a.shape[1] or n == 0:
        raise InvalidValue("AHP_NOT_SQUARE", f"the pairwise matrix must be square, got shape {a.shape}",
                           f"判断矩阵必须是方阵，得到形状 {a.shape}")
    if n > max(RANDOM_INDEX):
        raise InvalidValue("AHP_TOO_LARGE", f"Saaty's random index is tabulated up to n = {max(RANDOM_INDEX)}",
                           f"随机一致性指标 RI 只列到 n = {max(RANDOM_INDEX)}")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise InvalidValue("AHP_NOT_POSITIVE", "every entry of the pairwise matrix must be a positive number",
                           "判断矩阵的每个元素都必须是正数")
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=tol):
        raise InvalidValue("AHP_DIAGONAL", "the diagonal of the pairwise matrix must be 1", "判断矩阵对角线必须为 1")
    bad = np.argwhere(np.abs(a * a.T - 1.0) > tol)
    if len(bad):
        i, j = bad[0]
        raise InvalidValue("AHP_NOT_RECIPROCAL",
                           f"the matrix is not reciprocal: a[{i},{j}] × a[{j},{i}] = {a[i, j] * a[j, i]:.4g}, not 1",
                           f"判断矩阵不满足互反性：a[{i},{j}] × a[{j},{i}] = {a[i, j] * a[j, i]:.4g} ≠ 1")
    eigenvalues, vectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lam = float(eigenvalues[k].real)
    ri = RANDOM_INDEX[n]
    ci = max((lam - n) / (n - 1), 0.0) if n > 2 else 0.0
    cr = ci / ri if ri > 0 else 0.0
    weights = pd.Series(w, index=labels, name="weight") if labels is not None else w
    result = AHPResult(weights, lam, ci, cr, ri)
    if max_cr is not None and cr >= max_cr:
        raise InconsistentJudgements("AHP_INCONSISTENT",
                                     f"consistency ratio CR = {cr:.3f} ≥ {max_cr}: revise the judgements",
                                     f"一致性比率 CR = {cr:.3f} ≥ {max_cr}，判断矩阵需要调整", result)
    return result


# Task 7 §7.1.2 ② step (2): top grade if annual revenue is above 50万 / 30万 / 10万, bottom grade if
# below 10万 / 5万 / 2万 (annual contract revenue including one-off fees). The numbers are the
# textbook's; pairing them into three branch tiers (province / city / county) is crmlab's reading.
PRESCREEN: dict[str, tuple[float, float]] = {
    "province": (500_000.0, 100_000.0),
    "city": (300_000.0, 50_000.0),
    "county": (100_000.0, 20_000.0),
}
PRESCREEN_TIER = glossary.Vocabulary("prescreen_tier", {
    "province": ("省级", "province", ("省",)),
    "city": ("市级", "city", ("市",)),
    "county": ("县级", "county", ("县", "区县")),
}, what=("tier", "层级"), error_code="UNKNOWN_TIER")

# Levels 一级 重大 / 二级 重要 / 三级 普通 (task 7 §7.1.2 ①); the cut-offs (table 7-2 is lost) and the
# time limits (working days to respond) are crmlab's defaults, not the textbook's.
GRADE_LEVELS: dict[str, tuple[str, str]] = {
    "major": ("一级", "重大"),
    "important": ("二级", "重要"),
    "ordinary": ("三级", "普通"),
}
GRADE_LEVEL = glossary.Vocabulary("grade_level", {code: (a, code, (b,)) for code, (a, b) in GRADE_LEVELS.items()},
                                  what=("grade level", "商机级别"), error_code="UNKNOWN_LEVEL")
GRADE_CUTS = (3.0, 4.0)
TIME_LIMITS: dict[str, int] = {"major": 1, "important": 3, "ordinary": 7}


@computes("opportunity_grade", "商机等级", "opportunity grade")
def prescreen(annual_revenue, tier: str = "city", social_impact: bool = False):
    """Pre-screen grade from annual revenue (task 7 §7.1.2 ② step 2): ``major``, ``ordinary`` or None.

    Above the tier's top threshold (or with a large social impact) the opportunity is graded
    ``major`` (一级) directly; below the bottom threshold ``ordinary`` (三级); otherwise ``None``
    and the 8-indicator score decides. Thresholds in :data:`PRESCREEN` (元).

    >>> prescreen(600_000, tier="province"), prescreen(15_000, tier="县"), prescreen(80_000)
    ('major', 'ordinary', None)
    """
    revenue = _amount(annual_revenue, "annual_revenue")
    key = PRESCREEN_TIER.get(tier)
    if key is None:
        raise UnknownLabel("UNKNOWN_TIER", f"unknown tier {tier!r}; use province, city or county",
                           f"未知的层级 {tier!r}，可用：省 / 市 / 县")
    top, bottom = PRESCREEN[key]
    if social_impact or revenue > top:
        return "major"
    if revenue < bottom:
        return "ordinary"
    return None


def _indicator_vector(x, what: str) -> np.ndarray:
    if isinstance(x, AHPResult):
        x = x.weights
    if isinstance(x, Mapping) or isinstance(x, pd.Series):
        items = dict(x.items())
        keys = {}
        for k in items:
            code = GRADE_INDICATOR.get(k)
            if code is None:
                raise UnknownLabel("UNKNOWN_INDICATOR", f"unknown indicator {k!r}; use {list(_INDICATOR_CODES)}",
                                   f"未知的指标 {k!r}，可用：{[i.zh for i in GRADE_INDICATORS]}")
            keys[code] = items[k]
        missing = [c for c in _INDICATOR_CODES if c not in keys]
        if missing:
            raise InvalidValue("MISSING_INDICATOR", f"{what}: missing indicators {missing}", f"{what} 缺少指标 {missing}")
        values = [keys[c] for c in _INDICATOR_CODES]
    else:
        values = list(np.ravel(np.asarray(x, dtype=object)))
        if len(values) != len(_INDICATOR_CODES):
            raise InvalidValue("INDICATOR_COUNT", f"{what}: need 8 values (one per indicator), got {len(values)}",
                               f"{what} 需要 8 个值（每个指标一个），得到 {len(values)} 个")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValue("NOT_NUMERIC", f"{what} must be numbers", f"{what} 必须是数值") from None
    if not np.isfinite(arr).all():
        raise InvalidValue("NOT_NUMERIC", f"{what} must be finite numbers", f"{what} 必须是有限数值")
    return arr


def grade_score(scores, weights, oriented: bool = True):
    """Opportunity grade G = Σ wᵢ·xᵢ over the 8 indicators (task 7 §7.1.2 ② step 5).

    The printed formula is lost; the weighted sum is the reading of "(w1, …, w8)" plus AHP.

    Parameters
    ----------
    scores : 8 scores on 1–5, as a sequence in :data:`GRADE_INDICATORS` order, a dict/Series
        keyed by indicator code or Chinese name, or a DataFrame with one column per indicator
        (then a Series of scores is returned).
    weights : 8 non-negative weights summing to 1 (a sequence, dict, Series or
        :class:`AHPResult`).
    oriented : True when 5 is already the favourable end for every indicator; False to
        reverse-code difficulty, competition and customer risk (x → 6 − x) first.

    >>> w = [.20, .10, .15, .10, .10, .15, .10, .10]
    >>> round(grade_score([5, 4, 5, 3, 3, 5, 4, 4], w), 2)
    4.3
    """
    w = _indicator_vector(weights, "weights")
    if (w < 0).any() or abs(w.sum() - 1.0) > 1e-6:
        raise InvalidValue("WEIGHTS_SUM", f"weights must be ≥ 0 and sum to 1, got sum {w.sum():.6g}",
                           f"权重必须非负且和为 1，当前和为 {w.sum():.6g}")
    reverse = np.array([i.reverse for i in GRADE_INDICATORS])
    if isinstance(scores, pd.DataFrame):
        cols = {}
        for c in scores.columns:
            code = GRADE_INDICATOR.get(c)
            if code is not None:
                cols[code] = c
        missing = [c for c in _INDICATOR_CODES if c not in cols]
        if missing:
            raise InvalidValue("MISSING_INDICATOR", f"scores: missing indicator columns {missing}",
                               f"评分表缺少指标列 {missing}")
        x = scores[[cols[c] for c in _INDICATOR_CODES]].to_numpy(dtype=float)
    else:
        x = _indicator_vector(scores, "scores")[None, :]
    if not np.isfinite(x).all() or (x < 1).any() or (x > 5).any():
        raise InvalidValue("SCORE_RANGE", "indicator scores must lie between 1 and 5", "指标评分必须在 1 到 5 之间")
    if not oriented:
        x = np.where(reverse, 6 - x, x)
    g = x @ w
    if isinstance(scores, pd.DataFrame):
        return pd.Series(g, index=scores.index, name="grade_score")
    return float(g[0])


@computes("opportunity_grade")
def grade_level(score, cuts: tuple[float, float] = GRADE_CUTS):
    """Level from the grade score: ``major`` (一级) if G ≥ 4.0, ``important`` (二级) if G ≥ 3.0,
    else ``ordinary`` (三级). Table 7-2 is lost; the cut-offs are crmlab's defaults.

    >>> grade_level(4.3), grade_level(3.2), grade_level(2.2)
    ('major', 'important', 'ordinary')
    >>> grade_level(pd.Series([4.0, 2.99])).tolist()
    ['major', 'ordinary']
    """
    low, high = cuts
    if isinstance(score, pd.Series):
        s = score.astype(float)
        return pd.Series(np.select([s >= high, s >= low], ["major", "important"], "ordinary"),
                         index=s.index, name="grade_level")
    g = float(score)
    return "major" if g >= high else "important" if g >= low else "ordinary"


@dataclass(frozen=True)
class GradeResult:
    """Result of :func:`grade_opportunity`."""

    score: float | None
    level: str
    decided_by: str
    time_limit_days: int

    @property
    def level_zh(self) -> str:
        """The level in Chinese, e.g. ``一级（重大）``."""
        a, b = GRADE_LEVELS[self.level]
        return f"{a}（{b}）"


@computes("opportunity_grade")
def grade_opportunity(scores=None, weights=None, annual_revenue=None, tier: str = "city",
                      social_impact: bool = False, oriented: bool = True) -> GradeResult:
    """Grade one opportunity: the revenue pre-screen first, otherwise the 8-indicator score.

    Follows the textbook's procedure (task 7 §7.1.2 ② steps 2–6); the levels' cut-offs and
    time limits are crmlab's defaults (:data:`GRADE_CUTS`, :data:`TIME_LIMITS`).

    >>> w = [.20, .10, .15, .10, .10, .15, .10, .10]
    >>> r = grade_opportunity([3, 3, 3, 4, 3, 3, 4, 3], w, annual_revenue=120_000)
    >>> round(r.score, 2), r.level_zh, r.decided_by, r.time_limit_days
    (3.2, '二级（重要）', 'score', 3)
    >>> grade_opportunity(annual_revenue=600_000, tier="province").level
    'major'
    """
    pre = None
    if annual_revenue is not None or social_impact:
        pre = prescreen(0 if annual_revenue is None else annual_revenue, tier, social_impact)
    if pre is not None:
        score = grade_score(scores, weights, oriented) if scores is not None else None
        return GradeResult(score, pre, "prescreen", TIME_LIMITS[pre])
    if scores is None or weights is None:
        raise InvalidValue("SCORES_REQUIRED", "the pre-screen did not decide: give the 8 scores and weights",
                           "预评估未能定级，请提供 8 项指标评分和权重")
    score = grade_score(scores, weights, oriented)
    level = grade_level(score)
    return GradeResult(score, level, "score", TIME_LIMITS[level])


def due_date(start, level, time_limits: Mapping[str, int] = TIME_LIMITS) -> pd.Timestamp:
    """Handling deadline: ``start`` plus the level's time limit in working days (Mon–Fri).

    The textbook says higher grades get shorter limits (task 7 §7.1.2 ② step 6); the numbers
    (1 / 3 / 7 working days) are crmlab's defaults.

    >>> due_date("2024-03-01", "一级"), due_date("2024-03-01", "ordinary")   # a Friday
    (Timestamp('2024-03-04 00:00:00'), Timestamp('2024-03-12 00:00:00'))
    """
    key = GRADE_LEVEL.get(level)
    if key is None:
        raise UnknownLabel("UNKNOWN_LEVEL", f"unknown grade level {level!r}; use {list(GRADE_LEVELS)}",
                           f"未知的商机级别 {level!r}，可用：一级/二级/三级")
    day = np.datetime64(pd.Timestamp(_ts(start, "start")).date())
    return pd.Timestamp(np.busday_offset(day, int(time_limits[key]), roll="forward"))


def horizon(expected_close, as_of, near_days: int = 90) -> str:
    """``near`` (近期) or ``far`` (远期) by expected close date; 90 days is crmlab's cut-off.

    >>> horizon("2024-05-01", "2024-03-01"), horizon("2024-12-01", "2024-03-01")
    ('near', 'far')
    """
    days = (_ts(expected_close, "expected_close") - _ts(as_of, "as_of")).days
    return "near" if days <= near_days else "far"


# --------------------------------------------------------------------------------------------
# Pipeline KPIs over a DataFrame shaped like crmlab.datasets.load("opportunities")
# --------------------------------------------------------------------------------------------
_REQUIRED = ("stage", "status", "expected_revenue")


def validate_opportunities(opps: pd.DataFrame, method: SalesMethod = DEFAULT_METHOD,
                           columns: Sequence[str] = _REQUIRED) -> pd.DataFrame:
    """Checked copy of an opportunities table with canonical stage and status codes.

    Accepts Chinese or English stage names and statuses (了解情况 … / 赢单 …). Raises
    :class:`UnknownLabel` for unknown stages or statuses, :class:`InvalidValue` for missing
    columns, negative or non-numeric amounts and closed dates before created dates. The
    caller's DataFrame is never changed.

    >>> df = pd.DataFrame({"stage": ["了解情况", "signing"], "status": ["进行中", "赢单"],
    ...                    "expected_revenue": [1000, 2000]})
    >>> validate_opportunities(df)[["stage", "status"]].to_dict("list")
    {'stage': ['understanding', 'signing'], 'status': ['open', 'won']}
    """
    if not isinstance(opps, pd.DataFrame):
        raise InvalidValue("NOT_A_FRAME", "opportunities must be a pandas DataFrame", "商机数据必须是 DataFrame")
    missing = [c for c in columns if c not in opps.columns]
    if missing:
        raise InvalidValue("MISSING_COLUMNS", f"missing columns {missing}", f"缺少列 {missing}")
    out = opps.copy(deep=False)      # copy-on-write: the caller's frame is never changed
    status, _ = _map_labels(out["status"], STATUS)
    bad = out.loc[status.isna(), "status"]
    if len(bad):
        raise UnknownLabel("UNKNOWN_STATUS", f"unknown status values {_short(bad.unique())}; use {list(STATUSES)}",
                           f"未知的状态 {_short(bad.unique())}，可用：进行中/赢单/输单/潜在")
    stage, blank = _map_labels(out["stage"], method._aliases)
    bad = out.loc[stage.isna() & ~blank, "stage"]
    if len(bad):
        names = [f"{s.code} {s.name_zh}" for s in method.stages]
        raise UnknownLabel("UNKNOWN_STAGE", f"unknown stage values {_short(bad.unique())}; the stages are {names}",
                           f"未知的销售阶段 {_short(bad.unique())}；可用阶段：{names}")
    need_stage = blank & (status != "potential")
    if need_stage.any():
        raise InvalidValue("STAGE_REQUIRED", f"{int(need_stage.sum())} open/won/lost rows have no stage",
                           f"{int(need_stage.sum())} 行进行中/赢单/输单的商机缺少销售阶段")
    amount = pd.to_numeric(out["expected_revenue"], errors="coerce")
    if amount.isna().any() or not np.isfinite(amount.to_numpy(dtype=float)).all():
        raise InvalidValue("BAD_AMOUNT", "expected_revenue must be numeric (no blanks)", "预计收入必须是数值且不能为空")
    if (amount < 0).any():
        raise InvalidValue("NEGATIVE_AMOUNT", f"{int((amount < 0).sum())} rows have a negative expected_revenue",
                           f"{int((amount < 0).sum())} 行预计收入为负数")
    out["status"], out["stage"], out["expected_revenue"] = status, stage, amount.astype(float)
    for col in ("created_date", "closed_date"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col])
    if {"created_date", "closed_date"} <= set(out.columns):
        early = out["closed_date"] < out["created_date"]
        if early.any():
            raise InvalidValue("CLOSED_BEFORE_CREATED", f"{int(early.sum())} rows close before they were created",
                               f"{int(early.sum())} 行关闭日期早于创建日期")
    return out


def _map_labels(series: pd.Series, aliases: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    """(canonical codes or None, blank mask); maps each distinct label once (fast on big tables)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = [str(u).strip() for u in uniques]
    canon = np.array([aliases.get(k, aliases.get(k.lower())) for k in keys] + [None], dtype=object)
    blank = np.array([k == "" for k in keys] + [True], dtype=bool)      # position -1: missing values
    return (pd.Series(canon[codes], index=series.index, dtype=object),
            pd.Series(blank[codes], index=series.index, dtype=bool))


def _clean_text(series: pd.Series, blank: str = "unspecified") -> pd.Series:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = np.array([str(u).strip() or blank for u in uniques] + [blank], dtype=object)
    return pd.Series(keys[codes], index=series.index, dtype=object)


@computes("pipeline_kpis", "商机阶段控制指标", "pipeline KPIs")
def weighted_forecast(opps: pd.DataFrame, by: str | None = None, method: SalesMethod = DEFAULT_METHOD,
                      probability: str | None = None):
    """Weighted forecast Σ expected_revenue × probability over open opportunities.

    Odoo's ``prorated_revenue`` summed (anchors §3.1). The probability is the stage's
    (:data:`DEFAULT_METHOD`) unless ``probability`` names a column to use instead. Won and lost
    opportunities are excluded (their revenue is realised or gone).

    >>> df = pd.DataFrame({"stage": ["了解情况", "投标阶段", "签约阶段"], "status": ["open", "open", "won"],
    ...                    "expected_revenue": [100_000, 200_000, 50_000], "owner": ["甲", "乙", "甲"]})
    >>> weighted_forecast(df)
    130000.0
    >>> weighted_forecast(df, by="owner").to_dict()
    {'乙': 120000.0, '甲': 10000.0}
    """
    cols = list(_REQUIRED) + [c for c in (by, probability) if c]
    df = validate_opportunities(opps, method, cols)
    open_ = df[df["status"] == "open"]
    if probability is None:
        p = open_["stage"].map(method.probabilities).astype(float)
    else:
        p = pd.to_numeric(open_[probability], errors="coerce")
        if p.isna().any() or ((p < 0) | (p > 1)).any():
            raise InvalidValue("BAD_PROBABILITY", f"column {probability!r} must hold probabilities in [0, 1]",
                               f"列 {probability!r} 必须是 0 到 1 之间的概率")
    weighted = open_["expected_revenue"] * p
    if by is None:
        return float(round(weighted.sum(), 6))
    return weighted.groupby(open_[by]).sum().round(6).rename("weighted_forecast")


@computes("pipeline_kpis")
def funnel(opps: pd.DataFrame, method: SalesMethod = DEFAULT_METHOD, status: str | None = "open") -> pd.DataFrame:
    """Sales funnel 销售漏斗: count, amount and weighted amount per stage, in stage order.

    By default only open opportunities count (Kingdee's funnel of 执行中 opportunities); pass
    ``status=None`` for all rows with a stage. Every stage of the method has a row.

    >>> df = pd.DataFrame({"stage": ["understanding", "understanding", "bidding"],
    ...                    "status": ["open"] * 3, "expected_revenue": [10.0, 20.0, 100.0]})
    >>> funnel(df)[["n", "amount", "weighted"]].loc[["understanding", "bidding"]].to_dict("index")
    {'understanding': {'n': 2, 'amount': 30.0, 'weighted': 3.0}, 'bidding': {'n': 1, 'amount': 100.0, 'weighted': 60.0}}
    """
    df = validate_opportunities(opps, method)
    if status is not None:
        df = df[df["status"] == status_code(status)]
    df = df[df["stage"].notna()]
    g = df.groupby("stage")["expected_revenue"].agg(["size", "sum"]).reindex(list(method.codes), fill_value=0)
    probs = pd.Series(method.probabilities)
    out = pd.DataFrame({"stage_zh": [s.name_zh for s in method.stages], "probability": probs,
                        "n": g["size"].astype(int), "amount": g["sum"].astype(float)}, index=pd.Index(method.codes, name="stage"))
    out["weighted"] = (out["amount"] * out["probability"]).round(6)
    total = out["n"].sum()
    out["share_n"] = out["n"] / total if total else 0.0
    return out


def stage_conversion(opps: pd.DataFrame, method: SalesMethod = DEFAULT_METHOD, closed_only: bool = False) -> pd.DataFrame:
    """Stage-to-stage conversion from a snapshot: how many reached each stage and went on.

    Stages are pushed one at a time, so an opportunity now at stage k (open, or won/lost there)
    passed stages 1 … k−1. ``reached`` counts those; ``to_next`` = reached(k+1) / reached(k),
    and for the last stage won / reached. Open opportunities have not finished yet and pull
    rates down; ``closed_only=True`` uses won and lost ones only (a cohort view).

    >>> df = pd.DataFrame({"stage": ["understanding", "proposal", "signing", "signing"],
    ...                    "status": ["lost", "lost", "won", "lost"], "expected_revenue": [1.0] * 4})
    >>> stage_conversion(df)["reached"].tolist(), stage_conversion(df)["to_next"].round(2).tolist()
    ([4, 3, 3, 2, 2], [0.75, 1.0, 0.67, 1.0, 0.5])
    """
    df = validate_opportunities(opps, method)
    df = df[df["status"] != "potential"]
    if closed_only:
        df = df[df["status"].isin(["won", "lost"])]
    idx = df["stage"].map({c: i for i, c in enumerate(method.codes)}).to_numpy(dtype=int)
    k = len(method.codes)
    at = np.bincount(idx, minlength=k)
    reached = at[::-1].cumsum()[::-1]
    lost = np.bincount(idx[(df["status"] == "lost").to_numpy()], minlength=k)
    open_ = np.bincount(idx[(df["status"] == "open").to_numpy()], minlength=k)
    won = int((df["status"] == "won").sum())
    nxt = np.append(reached[1:], won).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        to_next = np.where(reached > 0, nxt / np.maximum(reached, 1), np.nan)
    return pd.DataFrame({"stage_zh": [s.name_zh for s in method.stages], "reached": reached, "open_here": open_,
                         "lost_here": lost, "to_next": to_next}, index=pd.Index(method.codes, name="stage"))


@computes("pipeline_kpis")
def win_rate(opps: pd.DataFrame, by: str | None = None):
    """Win rate = won / (won + lost) over closed opportunities (Kingdee 赢单率).

    >>> df = pd.DataFrame({"stage": ["signing", "proposal", "bidding"], "status": ["won", "lost", "open"],
    ...                    "expected_revenue": [1.0, 1.0, 1.0]})
    >>> win_rate(df)
    0.5
    """
    df = validate_opportunities(opps, columns=list(_REQUIRED) + ([by] if by else []))
    closed = df[df["status"].isin(["won", "lost"])]
    won = closed["status"] == "won"
    if by is None:
        return float(won.mean()) if len(closed) else math.nan
    return won.groupby(closed[by]).mean().rename("win_rate")


def conversion_rate(n_valid: int, n_won: int) -> float:
    """Share of valid opportunities turned into successful ones.

    Task 7 intro (商机管理出效益): 139 valid opportunities, 40 converted → 28.8 %.

    >>> round(conversion_rate(139, 40), 4)
    0.2878
    """
    for v, name in ((n_valid, "n_valid"), (n_won, "n_won")):
        if isinstance(v, bool) or not float(v).is_integer() or v < 0:
            raise InvalidValue("BAD_COUNT", f"{name} must be a whole number ≥ 0", f"{name} 必须是非负整数")
    if n_won > n_valid or n_valid == 0:
        raise InvalidValue("BAD_COUNT", "need 0 ≤ n_won ≤ n_valid and n_valid > 0", "需要 0 ≤ 成功数 ≤ 有效数 且有效数 > 0")
    return n_won / n_valid


# Task 7 intro: a city telecom branch's 招生秘书 campaign. 95.269万元 is printed with a space.
TELECOM_CASE = {"valid": 139, "won": 40, "one_off_revenue": 952_690.0, "monthly_revenue_over": 20_000.0}


@computes("pipeline_kpis")
def cycle_time(opps: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Days from creation to close for won and lost opportunities: n, mean, median.

    >>> df = pd.DataFrame({"stage": ["signing", "proposal"], "status": ["won", "lost"],
    ...                    "expected_revenue": [1.0, 1.0], "created_date": ["2024-01-01", "2024-01-01"],
    ...                    "closed_date": ["2024-01-31", "2024-01-11"]})
    >>> cycle_time(df)["mean_days"].to_dict()
    {'lost': 10.0, 'won': 30.0}
    """
    cols = list(_REQUIRED) + ["created_date", "closed_date"] + ([by] if by else [])
    df = validate_opportunities(opps, columns=cols)
    closed = df[df["status"].isin(["won", "lost"])]
    if closed["closed_date"].isna().any():
        raise InvalidValue("MISSING_CLOSED_DATE", "won/lost rows need a closed_date", "赢单/输单的商机必须有关闭日期")
    days = (closed["closed_date"] - closed["created_date"]).dt.days.rename("days")
    keys = [closed["status"]] + ([closed[by]] if by else [])
    out = days.groupby(keys).agg(["size", "mean", "median"])
    out.columns = ["n", "mean_days", "median_days"]
    return out.astype({"n": int, "mean_days": float, "median_days": float})


# Age buckets in days (crmlab's defaults): 0–30, 31–60, 61–90, over 90.
AGING_BINS = (30, 60, 90)


def _age_labels(bins):
    edges = [0, *bins]
    return [f"{a + (1 if i else 0)}-{b}" for i, (a, b) in enumerate(zip(edges, edges[1:]))] + [f">{bins[-1]}"]


def opportunity_age(opps: pd.DataFrame, as_of, method: SalesMethod = DEFAULT_METHOD,
                    bins: Sequence[int] = AGING_BINS) -> pd.DataFrame:
    """Open opportunities with their age, age bucket, planned days and an overdue flag.

    ``planned_days`` = sum of the method's stage days up to and including the current stage
    (Kingdee 阶段天数); ``overdue`` = age > planned_days. Crmlab's reading of "average dwell time
    per stage versus the time limit" (table 7-4 is lost).

    >>> df = pd.DataFrame({"stage": ["understanding", "proposal"], "status": ["open", "open"],
    ...                    "expected_revenue": [1.0, 2.0], "created_date": ["2024-01-01", "2024-02-20"]})
    >>> opportunity_age(df, "2024-03-01")[["age_days", "age_bucket", "planned_days", "overdue"]].to_dict("list")
    {'age_days': [60, 10], 'age_bucket': ['31-60', '0-30'], 'planned_days': [10, 40], 'overdue': [True, False]}
    """
    df = validate_opportunities(opps, method, list(_REQUIRED) + ["created_date"])
    df = df[df["status"] == "open"].copy()
    now = pd.Timestamp(_ts(as_of, "as_of"))
    age = (now - df["created_date"]).dt.days
    if (age < 0).any():
        raise InvalidValue("CREATED_AFTER_AS_OF", f"{int((age < 0).sum())} open rows were created after as_of",
                           f"{int((age < 0).sum())} 行商机的创建日期晚于统计日期")
    bins = [int(b) for b in bins]
    if not bins or bins != sorted(set(bins)) or bins[0] <= 0:
        raise InvalidValue("BAD_BINS", "bins must be increasing positive day counts", "分组边界必须是递增的正天数")
    labels = _age_labels(bins)
    codes = np.searchsorted(np.asarray(bins), age.to_numpy(), side="left")
    df["age_days"] = age.astype(int)
    df["age_bucket"] = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    cum = dict(zip(method.codes, np.cumsum([s.days for s in method.stages]).tolist()))
    df["planned_days"] = df["stage"].map(cum).astype(int)
    df["overdue"] = df["age_days"] > df["planned_days"]
    return df


def aging(opps: pd.DataFrame, as_of, method: SalesMethod = DEFAULT_METHOD,
          bins: Sequence[int] = AGING_BINS) -> pd.DataFrame:
    """Aging of the open pipeline by age bucket: n, amount, overdue count and overdue amount.

    >>> df = pd.DataFrame({"stage": ["understanding", "proposal"], "status": ["open", "open"],
    ...                    "expected_revenue": [1.0, 2.0], "created_date": ["2024-01-01", "2024-02-20"]})
    >>> aging(df, "2024-03-01")["n"].to_dict()
    {'0-30': 1, '31-60': 1, '61-90': 0, '>90': 0}
    """
    df = opportunity_age(opps, as_of, method, bins)
    od = df["overdue"]
    grouped = pd.DataFrame({"n": 1, "amount": df["expected_revenue"], "overdue": od.astype(int),
                            "overdue_amount": df["expected_revenue"].where(od, 0.0)}).groupby(df["age_bucket"], observed=False)
    out = grouped.sum()
    out.index.name = "age_bucket"
    return out.astype({"n": int, "overdue": int})


def win_loss_reasons(opps: pd.DataFrame, outcome: str = "lost") -> pd.DataFrame:
    """Reasons for lost (or won) opportunities: n, share and amount, most frequent first.

    Uses the ``lost_reason`` column (or ``win_reason`` with ``outcome="won"``); blanks count as
    ``unspecified``.

    >>> df = pd.DataFrame({"stage": ["proposal"] * 3, "status": ["lost"] * 3, "expected_revenue": [1.0, 2.0, 3.0],
    ...                    "lost_reason": ["price_too_high", "budget_cut", "price_too_high"]})
    >>> win_loss_reasons(df).to_dict("index")["price_too_high"]
    {'n': 2, 'share': 0.6666666666666666, 'amount': 4.0}
    """
    outcome = status_code(outcome)
    if outcome not in ("won", "lost"):
        raise UnknownLabel("UNKNOWN_OUTCOME", "outcome must be won or lost", "outcome 必须是 赢单 或 输单")
    col = "lost_reason" if outcome == "lost" else "win_reason"
    df = validate_opportunities(opps, columns=list(_REQUIRED) + [col])
    rows = df[df["status"] == outcome]
    reason = _clean_text(rows[col])
    out = rows["expected_revenue"].groupby(reason).agg(["size", "sum"])
    out.columns = ["n", "amount"]
    out.index.name = col
    out["share"] = out["n"] / out["n"].sum() if len(out) else 0.0
    return out.sort_values(["n", "amount"], ascending=False)[["n", "share", "amount"]].astype({"n": int})


@computes("pipeline_kpis")
def pipeline_kpis(opps: pd.DataFrame, as_of, method: SalesMethod = DEFAULT_METHOD) -> pd.Series:
    """Headline KPIs of a pipeline in one Series (the table-7-4 style key parameters).

    n_open, open_amount, weighted_forecast, n_won, n_lost, win_rate, won_amount,
    mean_days_to_win, mean_days_to_lose, n_overdue, overdue_share and top_loss_reason.

    >>> from crmlab import datasets
    >>> k = pipeline_kpis(datasets.load("opportunities"), as_of="2025-12-31")
    >>> int(k["n_open"] + k["n_won"] + k["n_lost"])
    820
    """
    cols = list(_REQUIRED) + ["created_date", "closed_date", "lost_reason"]
    df = validate_opportunities(opps, method, cols)
    status = df["status"]
    open_, won, lost = df[status == "open"], df[status == "won"], df[status == "lost"]
    weighted = float(round((open_["expected_revenue"] * open_["stage"].map(method.probabilities)).sum(), 6))
    n_closed = len(won) + len(lost)
    days_won = (won["closed_date"] - won["created_date"]).dt.days
    days_lost = (lost["closed_date"] - lost["created_date"]).dt.days
    age = opportunity_age(df, as_of, method)
    reasons = _clean_text(lost["lost_reason"])
    return pd.Series({
        "n_open": len(open_), "open_amount": float(open_["expected_revenue"].sum()),
        "weighted_forecast": weighted, "n_won": len(won), "n_lost": len(lost),
        "win_rate": len(won) / n_closed if n_closed else math.nan,
        "won_amount": float(won["expected_revenue"].sum()),
        "mean_days_to_win": float(days_won.mean()) if len(won) else math.nan,
        "mean_days_to_lose": float(days_lost.mean()) if len(lost) else math.nan,
        "n_overdue": int(age["overdue"].sum()),
        "overdue_share": float(age["overdue"].mean()) if len(age) else math.nan,
        "top_loss_reason": str(reasons.value_counts().index[0]) if len(reasons) else "",
    }, dtype=object, name="kpi")


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
