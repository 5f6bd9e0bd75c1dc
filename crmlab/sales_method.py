"""The sales method and the opportunity state machine (销售方法与商机状态机): the domain core.

One domain model serves the whole project: :mod:`crmlab.opportunity` (labs/02, the textbook's task 7)
re-exports everything here, and the simulated CRM (:mod:`crmlab.system`, labs/04) persists the same
dataclasses with SQLAlchemy. It lives in the core layer so that the CRM engine does not import a
subject module for its stages, sales method, transitions and errors.

* **Errors**: :class:`OpportunityError` (a :class:`crmlab.errors.CRMLabError`) and its subclasses;
  :class:`IllegalTransition` is also a :class:`crmlab.errors.InvalidTransition`.
* **Vocabulary**: statuses (:data:`STATUSES`), the textbook's states, control modes and condition
  kinds of the Kingdee stage guards.
* **Sales stages and methods** (Kingdee 方法 / 阶段): :class:`Stage`, :class:`SalesMethod`,
  :data:`DEFAULT_METHOD`, :func:`stage_code`, :func:`status_code`.
* **The declared transition table** :data:`TRANSITIONS` (:func:`transition_table`,
  :func:`concept_map`) and **the state machine** :class:`Opportunity` with its records
  :class:`Transition` and :class:`Activity` (:func:`to_frame`, :func:`history_frame`).

>>> from crmlab import sales_method, opportunity
>>> opportunity.Opportunity is sales_method.Opportunity
True
>>> [s.code for s in DEFAULT_METHOD.stages][:2]
['understanding', 'pre_study']
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
]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class OpportunityError(CRMLabError):
    """Base error of the opportunity model (:mod:`crmlab.opportunity`, :mod:`crmlab.system`): ``code`` plus
    a Chinese and an English message (a :class:`crmlab.errors.CRMLabError`, itself a ``ValueError``).

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
