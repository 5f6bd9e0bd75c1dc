"""Complaint management (客户投诉管理): record, typology, 8-step workflow, routing, KPIs, Ctrip case.

Textbook task 10:

- §10.1.2 the complaint typology (客户投诉的类型) on four independent dimensions — severity,
  cause, behaviour, purpose — :data:`TYPOLOGY`, :func:`typology`, :class:`ComplaintRecord`;
- §10.2.3 the eight-step handling process (客户投诉处理流程) as a declared state machine —
  :data:`TRANSITIONS`, :func:`transition_table`, :class:`ComplaintWorkflow`, :func:`replay`,
  :func:`complaint_flowchart`; step 3's routing examples — :func:`route`;
- §10.2.4 the five handling methods — :data:`HANDLING_METHODS`;
- step 4 (analyse causes) and step 8 (lower the complaint rate) as analytics —
  :func:`complaint_rate`, :func:`hours_to_close`, :func:`sla_share`, :func:`pareto_of_causes`,
  :func:`complaint_kpis`;
- §10.1.3 the 91 % / 18 % figures — :func:`customers_lost`;
- 拓展学习 the Ctrip fake-insurance case — :data:`CTRIP_TIMELINE`, :func:`ctrip_case`.

The shipped ``complaints`` dataset uses English category codes (product_quality, delivery,
installation, service_attitude, price, billing); :data:`DATASET_CATEGORIES` maps them onto the
textbook's cause types and departments. Every label input also accepts the textbook's Chinese.

Example
-------
>>> from crmlab import complaints
>>> complaints.route("运输问题")
'储运部'
>>> complaints.typology("cause", "delivery")
'service'
>>> rec = complaints.ComplaintRecord("CP1", "C001", "2024-03-01 09:00", target="O17", demand="换货")
>>> wf = complaints.ComplaintWorkflow(rec)
>>> wf.record(at="2024-03-01 09:05").validate(at="2024-03-01 10:00").state
'validated'
>>> wf.approve(by="王经理")
Traceback (most recent call last):
...
crmlab.complaints.InvalidTransition: 不能在状态“已判定成立”下执行“approve”；当前可执行：route。 / cannot 'approve' a complaint in state 'validated'; allowed now: route.
"""
from __future__ import annotations

import dataclasses
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from .shortcuts import computes
from . import errors
from ._lang import DEFAULT_LANG, check_lang
from .errors import CRMLabError, bilingual, parts
from . import _validate
from ._validate import is_blank as _blank, blank_mask as _blanks, preview as _rows

__all__ = [
    "ComplaintError",
    "TYPOLOGY", "typology", "typology_table", "DATASET_CATEGORIES", "DATASET_SEVERITY",
    "PURPOSE_ESCALATION", "REMEDIES",
    "ComplaintRecord", "records_from_frame",
    "InvalidTransition", "Transition", "GUARDS", "STATES", "transition_table",
    "ComplaintWorkflow", "replay", "complaint_flowchart", "CANONICAL_EDGES",
    "DEFAULT_ROUTING", "route", "route_complaints",
    "complaint_rate", "hours_to_close", "sla_share", "pareto_of_causes", "complaint_kpis",
    "customers_lost", "CTRIP_TIMELINE", "uncovered_minutes", "ctrip_case",
]


class ComplaintError(CRMLabError):
    """Bad input to the complaint functions (客户投诉):
    a :class:`crmlab.errors.CRMLabError` (a ``ValueError``), message in Chinese then English."""

    code = "COMPLAINT_ERROR"


def _err(en: str, zh: str) -> ComplaintError:
    return ComplaintError(en, zh)


def _need_columns(frame, columns, what: str) -> None:
    _validate.require_columns(frame, columns, what, ComplaintError)


def _to_dt(values, **kw):
    """Parse dates leniently (each value on its own format); unreadable values become NaT."""
    kw.setdefault("errors", "coerce")
    return pd.to_datetime(values, format="mixed", **kw)


# --------------------------------------------------------------------------- §10.1.2 typology
#: The textbook's complaint typology (task 10 §10.1.2): dimension → key → (中文, English, other labels).
TYPOLOGY: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "severity": {
        "general": ("一般投诉", "general complaint", ("一般",)),
        "serious": ("严重投诉", "serious complaint", ("严重",)),
    },
    "cause": {
        "product_quality": ("产品质量投诉", "product-quality complaint", ("产品质量", "质量", "质量问题", "quality")),
        "service": ("服务投诉", "service complaint", ("服务", "服务问题")),
        "price": ("价格投诉", "price complaint", ("价格", "价格问题")),
        "integrity": ("诚信投诉", "integrity complaint", ("诚信", "诚信问题", "honesty")),
    },
    "behavior": {
        "passive": ("消极抱怨型", "passive grumbling", ("消极抱怨",)),
        "publicity": ("负面宣传型", "negative publicity", ("负面宣传", "negative_publicity")),
        "venting": ("愤怒发泄型", "angry venting", ("愤怒发泄",)),
        "extreme": ("极端激进型", "extreme / radical (customer conflict)", ("极端激进", "客户冲突", "conflict")),
    },
    "purpose": {
        "suggestive": ("建议性", "suggestive", ("建议性投诉", "建议")),
        "critical": ("批评性", "critical", ("批评性投诉", "批评")),
        "accusatory": ("控告性", "accusatory", ("控告性投诉", "控告")),
    },
}
_ZH_DIM = {"severity": "严重程度", "cause": "投诉原因", "behavior": "投诉行为", "purpose": "投诉目的"}

#: Escalation of an ignored complaint (§10.1.2): suggestive → critical → accusatory.
PURPOSE_ESCALATION = ("suggestive", "critical", "accusatory")

#: Shipped ``complaints.category`` → (textbook cause type, note). The textbook names only the four
#: cause types; placing the dataset's six categories under them is crmlab's reading.
DATASET_CATEGORIES: dict[str, tuple[str, str]] = {
    "product_quality": ("product_quality", "quality, performance, safety"),
    "delivery": ("service", "transport is part of the service (送货); routed to 储运部"),
    "installation": ("service", "installation is an in-sale/after-sales service"),
    "service_attitude": ("service", "staff manner or attitude"),
    "price": ("price", "price too high / poor value"),
    "billing": ("integrity", "charged differently from what was agreed before the sale (与售前承诺不符)"),
}
#: Shipped ``complaints.severity`` → textbook severity (two levels; medium counts as general — crmlab's reading).
DATASET_SEVERITY: dict[str, str] = {"low": "general", "medium": "general", "high": "serious"}

_TYPO_LOOKUP: dict[str, dict[str, str]] = {}
for _dim, _keys in TYPOLOGY.items():
    table = _TYPO_LOOKUP.setdefault(_dim, {})
    for _key, (_zh, _en, _alts) in _keys.items():
        for _label in (_key, _zh, _en, *_alts):
            table[_label.casefold()] = _key
for _code, (_cause, _) in DATASET_CATEGORIES.items():
    _TYPO_LOOKUP["cause"].setdefault(_code, _cause)
_TYPO_LOOKUP["cause"].update({"运输": "service", "运输问题": "service", "送货": "service", "安装": "service",
                              "服务态度": "service", "账单": "integrity", "收费": "integrity"})
for _code, _sev in DATASET_SEVERITY.items():
    _TYPO_LOOKUP["severity"][_code] = _sev


def typology(dimension: str, label) -> str:
    """Canonical key of a typology label on one dimension (textbook task 10 §10.1.2).

    ``dimension`` is ``severity``, ``cause``, ``behavior`` or ``purpose``. Labels may be the key,
    the Chinese term (产品质量投诉 or 产品质量), the English gloss, or a code of the shipped
    dataset (delivery → service, billing → integrity; see :data:`DATASET_CATEGORIES`).

    Examples
    --------
    >>> typology("cause", "产品质量")
    'product_quality'
    >>> typology("severity", "high")
    'serious'
    >>> typology("purpose", "控告性")
    'accusatory'
    """
    if dimension not in TYPOLOGY:
        raise _err(f"unknown typology dimension {dimension!r}; use one of {list(TYPOLOGY)}.",
                   f"未知的分类维度 {dimension!r}；可用：{list(TYPOLOGY)}（严重程度、原因、行为、目的）。")
    try:
        return _TYPO_LOOKUP[dimension][str(label).strip().casefold()]
    except KeyError:
        options = [v[0] for v in TYPOLOGY[dimension].values()]
        raise _err(f"unknown {dimension} label {label!r}; use one of {list(TYPOLOGY[dimension])} or {options}.",
                   f"未知的{_ZH_DIM[dimension]}标签 {label!r}；可用：{options}。") from None


def typology_table() -> pd.DataFrame:
    """The whole typology as a table: dimension, key, 中文, English and other accepted labels."""
    rows = [(d, k, z, e, "、".join(a)) for d, keys in TYPOLOGY.items() for k, (z, e, a) in keys.items()]
    return pd.DataFrame(rows, columns=["dimension", "key", "zh", "en", "also"])


#: Remedies of step 5 (§10.2.3): return/refund, exchange, repair, price reduction, compensation.
REMEDIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "refund": ("退货", ("退款", "return")),
    "exchange": ("换货", ("更换",)),
    "repair": ("维修", ("修理",)),
    "discount": ("折价", ("降价", "price_reduction")),
    "compensation": ("赔偿", ("补偿",)),
}
_REMEDY_LOOKUP = {a.casefold(): k for k, (z, alts) in REMEDIES.items() for a in (k, z, *alts)}

#: The five front-line handling methods (投诉处理的一般方法), §10.2.4, in order.
_HANDLING_METHODS = pd.DataFrame(
    [("listen", "倾听"), ("apologise", "表示道歉"), ("ask", "仔细询问"), ("record", "记录问题"),
     ("solve", "解决问题")], columns=["method", "zh"])

#: The eight steps of the handling process (§10.2.3).
_COMPLAINT_STEPS = pd.DataFrame(
    [
        (1, "记录投诉内容", "record the complaint on the complaint record form"),
        (2, "判定投诉是否成立", "judge whether the complaint is valid"),
        (3, "确定投诉处理责任部门", "route it to the responsible department"),
        (4, "责任部门分析投诉原因", "the department analyses the cause and the person responsible"),
        (5, "提出处理方案", "propose a remedy"),
        (6, "提交主管领导批示", "the responsible leader approves"),
        (7, "实施处理方案", "carry it out, notify the customer, penalise those responsible"),
        (8, "总结评价", "review, learn lessons, lower the complaint rate"),
    ],
    columns=["step", "zh", "en"]).set_index("step")


# --------------------------------------------------------------------------- the record form
@dataclass(frozen=True)
class ComplaintRecord:
    """One entry of the complaint record form (客户投诉记录表), textbook task 10 §10.2.3 step 1.

    The textbook names the form's fields as complainant, time, object and demand (投诉人、投诉时间、
    投诉对象、投诉要求 "等"); the other fields are crmlab's. Typology fields are stored as keys
    (see :func:`typology`) and accept Chinese labels and the dataset's codes. ``category`` keeps
    the issue as recorded (delivery, 运输问题 …) for routing; when ``cause`` is not given it is
    derived from ``category``. The record is frozen: handling data lives in
    :class:`ComplaintWorkflow`.

    Examples
    --------
    >>> r = ComplaintRecord("CP9", "C12", "2024-05-02", target="空调 KF-35", demand="维修",
    ...                     cause="质量", severity="严重", purpose="控告性")
    >>> r.cause, r.severity, r.purpose
    ('product_quality', 'serious', 'accusatory')
    >>> r.to_dict()["cause"], r.to_dict(lang="en")["cause"]
    ('产品质量投诉', 'product_quality')
    """

    complaint_id: str
    complainant: str                 # 投诉人 (customer id or name)
    received_at: pd.Timestamp        # 投诉时间
    target: str = ""                 # 投诉对象 (product, order, staff or department)
    demand: str = ""                 # 投诉要求
    content: str = ""                # 投诉内容
    channel: str = ""
    category: str = ""               # the issue as recorded (e.g. delivery, 运输问题); used for routing
    cause: str | None = None
    severity: str | None = None
    behavior: str | None = None
    purpose: str | None = None

    def __post_init__(self):
        for name, zh in (("complaint_id", "投诉编号"), ("complainant", "投诉人")):
            if _blank(getattr(self, name)):
                raise _err(f"a complaint record needs a {name}.", f"投诉记录必须填写{zh}。")
        when = _to_dt(self.received_at) if not _blank(self.received_at) else pd.NaT
        if pd.isna(when):
            raise _err(f"received_at of complaint {self.complaint_id!r} is missing or unreadable: {self.received_at!r}.",
                       f"投诉 {self.complaint_id!r} 的投诉时间为空或无法识别：{self.received_at!r}。")
        object.__setattr__(self, "received_at", pd.Timestamp(when))
        if _blank(self.cause) and not _blank(self.category):
            object.__setattr__(self, "cause", self.category)
        for dim in TYPOLOGY:
            value = getattr(self, dim)
            if not _blank(value):
                object.__setattr__(self, dim, typology(dim, value))
            else:
                object.__setattr__(self, dim, None)
        for name in ("complaint_id", "complainant", "target", "demand", "content", "channel", "category"):
            value = getattr(self, name)
            object.__setattr__(self, name, "" if _blank(value) else str(value))

    def to_dict(self, lang: str = DEFAULT_LANG) -> dict:
        """The record as a dict, the typology fields as Chinese terms (``lang="en"``: as keys)."""
        check_lang(lang, _err)
        out = dataclasses.asdict(self)
        if lang == "zh":
            for dim in TYPOLOGY:
                if out[dim] is not None:
                    out[dim] = TYPOLOGY[dim][out[dim]][0]
        return out


def records_from_frame(complaints: pd.DataFrame, *, complaint_id: str = "complaint_id",
                       complainant: str = "customer_id", received_at: str = "received_at",
                       target: str = "order_id", cause: str | None = "category",
                       severity: str | None = "severity", channel: str | None = "channel") -> list[ComplaintRecord]:
    """Complaint records from a table such as ``crmlab.datasets.load("complaints")``.

    Every bad row is reported in one ``ValueError`` (no row is skipped silently).

    Examples
    --------
    >>> df = pd.DataFrame({"complaint_id": ["CP1"], "customer_id": ["C1"], "order_id": ["O1"],
    ...                    "received_at": ["2024-01-02"], "category": ["billing"], "severity": ["medium"],
    ...                    "channel": ["phone"]})
    >>> r = records_from_frame(df)[0]
    >>> r.cause, r.severity, r.target
    ('integrity', 'general', 'O1')
    """
    cols = {"complaint_id": complaint_id, "complainant": complainant, "received_at": received_at,
            "target": target, "category": cause, "severity": severity, "channel": channel}
    cols = {k: v for k, v in cols.items() if v is not None}
    _need_columns(complaints, list(cols.values()), "complaints")
    dup = complaints[complaint_id][complaints[complaint_id].duplicated(keep=False)]
    if len(dup):
        raise _err(f"complaint ids occur more than once: {_rows(pd.unique(dup))}.",
                   f"投诉编号重复：{_rows(pd.unique(dup))}。")
    records, problems = [], []
    for label, row in complaints.iterrows():
        try:
            records.append(ComplaintRecord(**{k: row[v] for k, v in cols.items()}))
        except ValueError as exc:
            problems.append((label, *parts(exc)))
    if problems:
        head = problems[:10]
        raise _err(f"{len(problems)} complaint row(s) are malformed:\n  " + "\n  ".join(f"row {label!r}: {en}" for label, en, _ in head),
                   f"有 {len(problems)} 行投诉记录有误：\n  " + "\n  ".join(f"第 {label!r} 行：{zh}" for label, _, zh in head))
    return records


# --------------------------------------------------------------------------- §10.2.3 state machine
class InvalidTransition(ComplaintError, errors.InvalidTransition):
    """A workflow action that is not allowed now, or whose guard fails. Nothing was changed.

    A :class:`crmlab.errors.InvalidTransition`, like ``opportunity.IllegalTransition``.
    """

    code = "INVALID_TRANSITION"


Transition = namedtuple("Transition", "source target action guard step zh")

#: States of a complaint, in the order of the eight steps, with their Chinese names.
STATES: dict[str, str] = {
    "received": "已受理", "recorded": "已记录", "validated": "已判定成立", "closed_invalid": "不成立已答复",
    "routed": "已转责任部门", "analysed": "已分析原因", "proposed": "已提出方案", "approved": "领导已批示",
    "accepted": "客户已同意", "escalated": "已移交经理", "implemented": "已实施", "closed": "已总结结案",
}

#: The transition table (from, to, action, guard, textbook step, 中文) — textbook task 10 §10.2.3,
#: with the step-2 invalid branch and the manager escalation of the 实训 role play (the manager
#: steps in when the customer rejects the solution; §10.2.4 method 5).
_TRANSITIONS: tuple[Transition, ...] = tuple(Transition(*t) for t in (
    ("received", "recorded", "record", "form_complete", 1, "记录投诉内容"),
    ("recorded", "validated", "validate", None, 2, "判定投诉成立"),
    ("recorded", "closed_invalid", "reject_invalid", "has_reply", 2, "投诉不成立：婉言答复、消除误会"),
    ("validated", "routed", "route", "has_department", 3, "确定投诉处理责任部门"),
    ("routed", "analysed", "analyse", "has_cause_and_person", 4, "责任部门分析投诉原因"),
    ("analysed", "proposed", "propose", "valid_remedy", 5, "提出处理方案"),
    ("proposed", "approved", "approve", "has_approver", 6, "提交主管领导批示"),
    ("approved", "accepted", "customer_accepts", None, 7, "客户同意方案"),
    ("approved", "escalated", "customer_rejects", None, 7, "客户不同意：移交经理"),
    ("escalated", "proposed", "propose", "manager_remedy", 5, "经理提出新方案"),
    ("accepted", "implemented", "implement", "valid_penalty", 7, "实施处理方案、通知客户、处罚责任人"),
    ("implemented", "closed", "review", "has_lessons", 8, "总结评价"),
))

_FINAL = {"closed", "closed_invalid"}


def _g_form(wf, d):
    r = wf.record_data if not d.get("fields") else d["fields"]
    missing = [zh for name, zh in (("target", "投诉对象"),) if _blank(getattr(r, name))]
    if _blank(r.demand) and _blank(r.content):
        missing.append("投诉要求或投诉内容")
    if missing:
        return ("the record form is incomplete: give target (the object complained about) and the demand or content",
                f"投诉记录表不完整，缺少：{'、'.join(missing)}")


def _g_reply(wf, d):
    if _blank(d.get("reply")):
        return ("an invalid complaint still needs a tactful reply (reply=…)", "投诉不成立也要婉言答复客户（reply=…）")


def _g_department(wf, d):
    if _blank(d.get("department")):
        return ("no responsible department: pass department=… or give the record a cause that route() knows",
                "没有责任部门：请给出 department=…，或在记录中填写可路由的投诉原因")


def _g_cause(wf, d):
    if _blank(d.get("root_cause")) or _blank(d.get("responsible_person")):
        return ("the analysis needs root_cause=… and responsible_person=…", "原因分析需要写明具体原因和责任人")


def _g_remedy(wf, d):
    if d.get("remedy") not in REMEDIES:
        return (f"remedy must be one of {list(REMEDIES)} (退货/换货/维修/折价/赔偿)",
                "处理方案必须是 退货、换货、维修、折价 或 赔偿")


def _g_manager(wf, d):
    problem = _g_remedy(wf, d)
    if problem:
        return problem
    if _blank(d.get("proposed_by")):
        return ("after escalation the new remedy must name the manager who proposes it (by=…)",
                "移交经理后，新方案必须写明提出方案的经理（by=…）")


def _g_approver(wf, d):
    if _blank(d.get("approved_by")):
        return ("approval needs the approving leader (by=…)", "领导批示需要写明批示人（by=…）")


def _g_penalty(wf, d):
    pct, loss = d.get("penalty_pct"), d.get("loss")
    for name, v in (("penalty_pct", pct), ("loss", loss)):
        if v is not None and (not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v) or v < 0):
            return (f"{name} must be a number ≥ 0", f"{name} 必须是 ≥ 0 的数")
    if pct is not None and pct > 1:
        return ("penalty_pct is a share of the loss between 0 and 1", "处罚比例应在 0 到 1 之间")
    if (pct is None) != (loss is None):
        return ("give both penalty_pct and loss, or neither", "penalty_pct 与 loss 需同时给出或都不给")


def _g_lessons(wf, d):
    if _blank(d.get("lessons")):
        return ("the review needs the lessons learned (lessons=…)", "总结评价需要写明经验教训（lessons=…）")


#: Guards: name → (check, English description, 中文说明). A check returns None or (en, zh) reasons.
GUARDS = {
    "form_complete": (_g_form, "record form has target and demand or content", "记录表填写完整"),
    "has_reply": (_g_reply, "a tactful reply to the customer is given", "已婉言答复客户"),
    "has_department": (_g_department, "a responsible department is named", "已确定责任部门"),
    "has_cause_and_person": (_g_cause, "root cause and responsible person are named", "已找出具体原因和责任人"),
    "valid_remedy": (_g_remedy, "remedy is 退货/换货/维修/折价/赔偿", "方案属于退货、换货、维修、折价、赔偿之一"),
    "manager_remedy": (_g_manager, "valid remedy proposed by a named manager", "经理提出有效方案"),
    "has_approver": (_g_approver, "the approving leader is named", "写明批示领导"),
    "valid_penalty": (_g_penalty, "penalty share in [0, 1] given with the loss, or none", "处罚比例与损失额有效"),
    "has_lessons": (_g_lessons, "lessons learned are written down", "写明经验教训"),
}


@computes("complaint_steps", "投诉处理步骤的顺序", "order of the complaint-handling steps")
def transition_table(lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The workflow's transition table as a DataFrame a student can print.

    ``lang`` is the language of the ``guard_rule`` column: Chinese (the default) or ``"en"``.

    Examples
    --------
    >>> t = transition_table()
    >>> t.loc[t["action"] == "customer_rejects", ["source", "target"]].values.tolist()
    [['approved', 'escalated']]
    """
    check_lang(lang, _err)
    col = 1 if lang == "en" else 2
    rows = [(t.source, t.target, t.action, t.guard or "", GUARDS[t.guard][col] if t.guard else "", t.step, t.zh)
            for t in _TRANSITIONS]
    return pd.DataFrame(rows, columns=["source", "target", "action", "guard", "guard_rule", "step", "zh"])


class ComplaintWorkflow:
    """One complaint moving through the eight handling steps (textbook task 10 §10.2.3).

    The allowed moves are the data in :data:`TRANSITIONS`; each action is a method whose guard is
    checked before anything changes. An illegal action, a failed guard or a time earlier than
    the last event raises :class:`InvalidTransition` and leaves the workflow exactly as it was.
    The state machine is written by hand (no library) so that students can read all of it.

    Actions, in order: ``record`` → ``validate`` (or ``reject_invalid`` → closed_invalid) →
    ``route`` → ``analyse`` → ``propose`` → ``approve`` → ``customer_accepts`` (or
    ``customer_rejects`` → escalated → the manager must ``propose`` again) → ``implement`` →
    ``review`` → closed. Every action takes an optional ``at=`` time (default: now).

    Examples
    --------
    >>> rec = ComplaintRecord("CP2", "C7", "2024-06-01 08:00", target="O99", demand="退货", category="delivery")
    >>> wf = ComplaintWorkflow(rec)
    >>> _ = (wf.record(at="2024-06-01 08:10").validate(at="2024-06-01 09:00").route(at="2024-06-01 09:30")
    ...        .analyse(root_cause="快递延误", responsible_person="李四", at="2024-06-01 12:00")
    ...        .propose(remedy="折价", at="2024-06-01 13:00").approve(by="张主管", at="2024-06-01 14:00")
    ...        .customer_rejects(reason="要求退货", at="2024-06-01 15:00"))
    >>> wf.state, wf.data["department"], wf.escalations
    ('escalated', '储运部', 1)
    >>> _ = (wf.propose(remedy="退货", by="王经理", at="2024-06-01 16:00").approve(by="张主管", at="2024-06-01 16:30")
    ...        .customer_accepts(at="2024-06-01 17:00").implement(penalty_pct=0.1, loss=300, at="2024-06-02 10:00")
    ...        .review(lessons="与快递公司约定时限", at="2024-06-03 10:00"))
    >>> wf.state, wf.data["penalty"], wf.hours_to_close()
    ('closed', 30.0, 50.0)
    """

    def __init__(self, record: ComplaintRecord):
        if not isinstance(record, ComplaintRecord):
            raise TypeError(bilingual("ComplaintWorkflow needs a ComplaintRecord", "需要一条 ComplaintRecord 投诉记录"))
        self.record_data = record
        self.state = "received"
        self.data: dict = {}
        self.history: list[dict] = []
        self.escalations = 0

    # ---- introspection
    def allowed_actions(self) -> list[str]:
        """Actions allowed in the current state."""
        return [t.action for t in _TRANSITIONS if t.source == self.state]

    @property
    def step(self) -> int | None:
        """Textbook step (1–8) reached so far, ``None`` before the complaint is recorded."""
        done = [h["step"] for h in self.history]
        return max(done) if done else None

    @property
    def closed(self) -> bool:
        return self.state in _FINAL

    def log(self) -> pd.DataFrame:
        """The history as a DataFrame (at, action, source, target, step)."""
        return pd.DataFrame(self.history, columns=["at", "action", "source", "target", "step"])

    def hours_to_close(self) -> float | None:
        """Hours from receipt to closing (``None`` while open)."""
        if not self.closed:
            return None
        return round((self.history[-1]["at"] - self.record_data.received_at).total_seconds() / 3600, 2)

    # ---- the engine
    def _fire(self, action: str, at=None, **data) -> "ComplaintWorkflow":
        matches = [t for t in _TRANSITIONS if t.source == self.state and t.action == action]
        if not matches:
            allowed = ", ".join(self.allowed_actions()) or "none (the complaint is closed)"
            allowed_zh = "、".join(self.allowed_actions()) or "无（投诉已结案）"
            raise InvalidTransition("ACTION_NOT_ALLOWED",
                                    f"cannot {action!r} a complaint in state {self.state!r}; allowed now: {allowed}.",
                                    f"不能在状态“{STATES[self.state]}”下执行“{action}”；当前可执行：{allowed_zh}。")
        t = matches[0]
        if t.guard:
            problem = GUARDS[t.guard][0](self, data)
            if problem:
                raise InvalidTransition("GUARD_FAILED", f"{action!r} is not allowed: {problem[0]}.",
                                        f"不能执行“{action}”：{problem[1]}。")
        when = pd.Timestamp.now() if at is None else _to_dt(at)
        if pd.isna(when):
            raise InvalidTransition("BAD_TIME", f"unreadable time at={at!r}.", f"无法识别的时间 at={at!r}。")
        last = self.history[-1]["at"] if self.history else self.record_data.received_at
        if when < last:
            raise InvalidTransition("OUT_OF_ORDER", f"{action!r} at {when} is earlier than the previous event ({last}).",
                                    f"“{action}”的时间 {when} 早于上一步（{last}）。")
        # all checks passed: change state and data together
        fields = data.pop("fields", None)
        if fields is not None:
            self.record_data = fields
        self.data.update({k: v for k, v in data.items() if v is not None})
        self.history.append({"at": pd.Timestamp(when), "action": action, "source": self.state,
                             "target": t.target, "step": t.step})
        if t.target == "escalated":
            self.escalations += 1
        self.state = t.target
        return self

    # ---- one method per action (each returns the workflow, so calls chain)
    def record(self, at=None, **fields) -> "ComplaintWorkflow":
        """Step 1: complete the record form (extra ``fields`` fill in the record, e.g. ``demand=``)."""
        updated = None
        if fields:
            unknown = set(fields) - {f.name for f in dataclasses.fields(ComplaintRecord)}
            if unknown:
                raise InvalidTransition("UNKNOWN_FIELD", f"unknown record field(s) {sorted(unknown)}.",
                                        f"未知的记录字段 {sorted(unknown)}。")
            try:
                updated = dataclasses.replace(self.record_data, **fields)
            except ValueError as exc:
                raise _prefixed(exc, "BAD_RECORD", "", "") from None
        return self._fire("record", at, fields=updated)

    def validate(self, at=None) -> "ComplaintWorkflow":
        """Step 2: the complaint is valid (reasons sufficient, demand reasonable)."""
        return self._fire("validate", at)

    def reject_invalid(self, reply: str | None = None, at=None) -> "ComplaintWorkflow":
        """Step 2, invalid branch: reply tactfully, win understanding, clear up the misunderstanding."""
        return self._fire("reject_invalid", at, reply=reply)

    def route(self, department: str | None = None, at=None) -> "ComplaintWorkflow":
        """Step 3: responsible department (default: :func:`route` of the record's category, else its cause)."""
        if _blank(department):
            issue = self.record_data.category or self.record_data.cause
            if issue:
                try:
                    department = route(issue)
                except ValueError:
                    department = None     # the guard reports the missing department

        return self._fire("route", at, department=department)

    def analyse(self, root_cause: str | None = None, responsible_person: str | None = None, at=None) -> "ComplaintWorkflow":
        """Step 4: the department finds the specific cause and the person responsible."""
        return self._fire("analyse", at, root_cause=root_cause, responsible_person=responsible_person)

    def propose(self, remedy: str | None = None, by: str | None = None, at=None) -> "ComplaintWorkflow":
        """Step 5: propose a remedy (退货/换货/维修/折价/赔偿); after escalation ``by`` names the manager."""
        key = _REMEDY_LOOKUP.get(str(remedy).strip().casefold()) if not _blank(remedy) else None
        return self._fire("propose", at, remedy=key if key else remedy, proposed_by=by)

    def approve(self, by: str | None = None, at=None) -> "ComplaintWorkflow":
        """Step 6: the responsible leader approves the plan."""
        return self._fire("approve", at, approved_by=by)

    def customer_accepts(self, feedback: str | None = None, at=None) -> "ComplaintWorkflow":
        """The customer agrees to the approved plan."""
        return self._fire("customer_accepts", at, feedback=feedback)

    def customer_rejects(self, reason: str | None = None, at=None) -> "ComplaintWorkflow":
        """The customer rejects the plan: escalate to the manager (§10.2.4 method 5)."""
        return self._fire("customer_rejects", at, rejection=reason)

    def implement(self, penalty_pct: float | None = None, loss: float | None = None, at=None) -> "ComplaintWorkflow":
        """Step 7: carry out the plan, notify the customer; optionally penalise ``penalty_pct`` × ``loss``.

        The textbook says only to deduct performance pay "in proportion to the loss caused"; the
        share is the firm's rule (none is given in the source).
        """
        penalty = None if penalty_pct is None or loss is None or _g_penalty(self, {"penalty_pct": penalty_pct, "loss": loss}) \
            else round(float(penalty_pct) * float(loss), 2)
        return self._fire("implement", at, penalty_pct=penalty_pct, loss=loss, penalty=penalty)

    def review(self, lessons: str | None = None, at=None) -> "ComplaintWorkflow":
        """Step 8: review, record lessons and improvements, close the complaint."""
        return self._fire("review", at, lessons=lessons)

    def __repr__(self) -> str:
        return f"ComplaintWorkflow({self.record_data.complaint_id!r}, state={self.state!r}, escalations={self.escalations})"


def _prefixed(exc: ValueError, code: str, en: str, zh: str) -> InvalidTransition:
    """``exc`` as an :class:`InvalidTransition` whose messages start with ``en`` / ``zh``."""
    if getattr(exc, "zh", None) is None or getattr(exc, "en", None) is None:
        return InvalidTransition(code, f"{en}{exc}", f"{zh}{exc}")
    return InvalidTransition(code, f"{en}{exc.en}", f"{zh}{exc.zh}")


def replay(record: ComplaintRecord, events: Iterable) -> ComplaintWorkflow:
    """Run a script of events and return the workflow.

    Each event is an action name or a dict ``{"action": …, "at": …, **arguments}``. The first event
    that is not allowed raises :class:`InvalidTransition` naming its position.

    Examples
    --------
    >>> rec = ComplaintRecord("CP3", "C8", "2024-07-01", target="O1", content="发票金额不对")
    >>> wf = replay(rec, ["record", {"action": "reject_invalid", "reply": "发票无误，已当面解释"}])
    >>> wf.state
    'closed_invalid'
    """
    wf = ComplaintWorkflow(record)
    for i, event in enumerate(events):
        spec = {"action": event} if isinstance(event, str) else dict(event)
        action = spec.pop("action", None)
        method = getattr(wf, action, None) if action in {t.action for t in _TRANSITIONS} else None
        if method is None:
            raise InvalidTransition("UNKNOWN_ACTION", f"event {i}: unknown action {action!r}.",
                                    f"第 {i} 个事件：未知动作 {action!r}。")
        try:
            method(**spec)
        except InvalidTransition as exc:
            raise _prefixed(exc, exc.code, f"event {i}: ", f"第 {i} 个事件：") from None
        except TypeError as exc:
            raise InvalidTransition("BAD_ARGUMENTS", f"event {i}: bad arguments for {action!r}: {exc}.",
                                    f"第 {i} 个事件参数有误。") from None
    return wf


#: The edges of the complaint flowchart, for checking a student's drawing.
CANONICAL_EDGES = frozenset((t.source, t.target) for t in _TRANSITIONS)


@computes("complaint_steps")
def complaint_flowchart(fmt: str = "mermaid", lang: str = DEFAULT_LANG) -> str:
    """The complaint-handling flowchart as text (Mermaid or Graphviz dot), from :data:`TRANSITIONS`.

    Examples
    --------
    >>> print(complaint_flowchart().splitlines()[1])
        received["已受理"] -->|record 1| recorded["已记录"]
    """
    check_lang(lang, _err)
    name = (lambda s: STATES[s]) if lang == "zh" else (lambda s: s)
    if fmt == "mermaid":
        lines = ["flowchart TD"]
        lines += [f'    {t.source}["{name(t.source)}"] -->|{t.action} {t.step}| {t.target}["{name(t.target)}"]'
                  for t in _TRANSITIONS]
    elif fmt == "dot":
        lines = ["digraph complaint {"]
        lines += [f'    {s} [label="{name(s)}"];' for s in STATES]
        lines += [f'    {t.source} -> {t.target} [label="{t.action} {t.step}"];' for t in _TRANSITIONS]
        lines.append("}")
    else:
        raise _err(f"fmt must be 'mermaid' or 'dot', got {fmt!r}.", f"fmt 只能是 'mermaid' 或 'dot'，收到 {fmt!r}。")
    return "\n".join(lines)


# --------------------------------------------------------------------------- step 3 routing
#: Issue → responsible department (责任部门). The two textbook examples (§10.2.3 step 3):
#: transport → 储运部, quality → 质量管理部; the other rows are crmlab defaults.
DEFAULT_ROUTING = pd.DataFrame(
    [
        ("transport", "储运部", "textbook §10.2.3", ("运输", "运输问题", "delivery", "送货", "物流", "储运")),
        ("quality", "质量管理部", "textbook §10.2.3", ("质量", "质量问题", "product_quality", "产品质量", "产品质量投诉")),
        ("installation", "售后服务部", "crmlab default", ("安装", "安装问题", "售后")),
        ("service", "客户服务部", "crmlab default", ("service_attitude", "服务", "服务态度", "服务投诉")),
        ("price", "销售部", "crmlab default", ("价格", "价格问题", "价格投诉")),
        ("billing", "财务部", "crmlab default", ("账单", "收费", "发票")),
        ("integrity", "市场部", "crmlab default", ("诚信", "诚信问题", "诚信投诉")),
    ],
    columns=["issue", "department", "source", "also"]).set_index("issue")


def _routing_lookup(table: pd.DataFrame) -> dict[str, str]:
    _need_columns(table, ["department"], "routing table")
    lookup = {}
    for issue, row in table.iterrows():
        for label in (issue, *(row["also"] if "also" in table.columns else ())):
            lookup[str(label).strip().casefold()] = row["department"]
    return lookup


def route(issue, table: pd.DataFrame | None = None) -> str:
    """Responsible department for a complaint issue (textbook task 10 §10.2.3 step 3).

    Accepts the issue names of :data:`DEFAULT_ROUTING`, Chinese labels (运输问题, 质量问题 …) and
    the shipped dataset's category codes. An unknown issue is an error, never a default desk.

    Examples
    --------
    >>> route("质量问题"), route("delivery"), route("billing")
    ('质量管理部', '储运部', '财务部')
    """
    lookup = _routing_lookup(DEFAULT_ROUTING if table is None else table)
    try:
        return lookup[str(issue).strip().casefold()]
    except KeyError:
        raise _err(f"no department for issue {issue!r}; add it to the routing table.",
                   f"问题 {issue!r} 没有对应的责任部门，请在路由表中补充。") from None


def route_complaints(complaints: pd.DataFrame, column: str = "category",
                     table: pd.DataFrame | None = None) -> pd.Series:
    """Department of every complaint; all unroutable rows are reported together.

    Examples
    --------
    >>> route_complaints(pd.DataFrame({"category": ["delivery", "price"]})).tolist()
    ['储运部', '销售部']
    """
    _need_columns(complaints, [column], "complaints")
    lookup = _routing_lookup(DEFAULT_ROUTING if table is None else table)
    dept = complaints[column].map(lambda v: lookup.get(str(v).strip().casefold()) if not _blank(v) else None)
    bad = complaints.index[dept.isna()]
    if len(bad):
        raise _err(f"no department for the {column!r} value(s) {_rows(pd.unique(complaints.loc[bad, column]))} "
                   f"in rows {_rows(bad)}.", f"这些行的问题类型无法确定责任部门：{_rows(bad)}。")
    return dept.rename("department")


# --------------------------------------------------------------------------- KPIs (steps 4 and 8)
def _checked_times(complaints: pd.DataFrame, received_at: str, closed_at: str, status: str | None) -> pd.DataFrame:
    _need_columns(complaints, [received_at, closed_at] + ([status] if status else []), "complaints")
    rec = _to_dt(complaints[received_at])
    raw_closed = complaints[closed_at]
    closed = _to_dt(raw_closed.where(~raw_closed.pipe(_blanks)))
    problems = []
    bad = complaints.index[rec.isna()]
    if len(bad):
        problems.append(f"missing/unreadable {received_at} in rows {_rows(bad)}")
    bad = complaints.index[closed.isna() & ~raw_closed.pipe(_blanks)]
    if len(bad):
        problems.append(f"unreadable {closed_at} in rows {_rows(bad)}")
    bad = complaints.index[closed < rec]
    if len(bad):
        problems.append(f"{closed_at} before {received_at} in rows {_rows(bad)}")
    if status:
        st = complaints[status].astype(str).str.strip().str.casefold()
        unknown = complaints.index[~st.isin(["open", "closed"])]
        if len(unknown):
            problems.append(f"{status} must be open or closed; rows {_rows(unknown)}")
        bad = complaints.index[(st == "closed") & closed.isna()]
        if len(bad):
            problems.append(f"closed without {closed_at} in rows {_rows(bad)}")
        bad = complaints.index[(st == "open") & closed.notna()]
        if len(bad):
            problems.append(f"open but with a {closed_at} in rows {_rows(bad)}")
    if problems:
        raise _err("malformed complaint times: " + "; ".join(problems) + ".",
                   "投诉时间数据有误（详见后面的英文说明），请先修正。")
    return pd.DataFrame({"received": rec, "closed": closed}, index=complaints.index)


@computes("complaint_kpis", "投诉指标（投诉率、结案时长、达标率）", "complaint KPIs")
def complaint_rate(complaints: pd.DataFrame, orders: pd.DataFrame, *, per: int = 1000,
                   received_at: str = "received_at", order_date: str = "order_date",
                   start=None, end=None) -> float:
    """Complaints per ``per`` orders (投诉率), textbook task 10 §10.2.3 step 8.

    Both tables are cut to the same period when ``start``/``end`` are given (inclusive dates);
    otherwise all rows count. Rounded to 4 decimals.

    Examples
    --------
    >>> c = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-03", "2024-02-01", "2025-01-01"])})
    >>> o = pd.DataFrame({"order_date": pd.date_range("2024-01-01", periods=1500, freq="h")})
    >>> complaint_rate(c, o), complaint_rate(c, o, end="2024-12-31")
    (2.0, 1.3333)
    """
    _need_columns(complaints, [received_at], "complaints")
    _need_columns(orders, [order_date], "orders")
    crec = _to_dt(complaints[received_at])
    odate = _to_dt(orders[order_date])
    for what, col, values, frame in (("complaints", received_at, crec, complaints), ("orders", order_date, odate, orders)):
        bad = frame.index[values.isna()]
        if len(bad) and (start is not None or end is not None):
            raise _err(f"{what}[{col!r}] has missing dates in rows {_rows(bad)}; cannot cut to a period.",
                       f"{what} 的日期列在这些行为空，无法按期间筛选：{_rows(bad)}。")
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) + pd.Timedelta(days=1) if end is not None else None

    def count(values):
        keep = pd.Series(True, index=values.index)
        if lo is not None:
            keep &= values >= lo
        if hi is not None:
            keep &= values < hi
        return int(keep.sum())

    n_c, n_o = count(crec), count(odate)
    if n_o == 0:
        raise _err("there are no orders in the period, so the complaint rate is undefined.", "期间内没有订单，无法计算投诉率。")
    return round(n_c / n_o * per, 4)


@computes("complaint_kpis")
def hours_to_close(complaints: pd.DataFrame, *, received_at: str = "received_at",
                   closed_at: str = "closed_at", status: str | None = "status") -> pd.Series:
    """Hours from receipt to closing for every complaint (``NaN`` while open).

    Inconsistent rows (closed before received, closed without a time, open with a time) raise.

    Examples
    --------
    >>> df = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-01 08:00", "2024-01-02 08:00"]),
    ...                    "closed_at": pd.to_datetime(["2024-01-01 20:30", None]), "status": ["closed", "open"]})
    >>> hours_to_close(df).tolist()
    [12.5, nan]
    """
    t = _checked_times(complaints, received_at, closed_at, status)
    return ((t["closed"] - t["received"]).dt.total_seconds() / 3600).round(2).rename("hours_to_close")


@computes("complaint_kpis")
def sla_share(complaints: pd.DataFrame, sla_hours: float = 24, *, as_of=None, received_at: str = "received_at",
              closed_at: str = "closed_at", status: str | None = "status") -> float:
    """Share of complaints handled within the service-level target (SLA), e.g. 24 hours.

    crmlab default (the textbook asks for speed but sets no target): complaints closed within
    ``sla_hours`` count as met; closed later, or still open after ``sla_hours`` at ``as_of``
    (default: the latest time in the table), count as missed; open complaints still inside the
    window are not decided yet and are left out of the share.

    Examples
    --------
    >>> df = pd.DataFrame({"received_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-04", "2024-01-06"]),
    ...                    "closed_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-03 00:00", None, None]),
    ...                    "status": ["closed", "closed", "open", "open"]})
    >>> sla_share(df, 24)
    0.333333
    """
    if not (isinstance(sla_hours, (int, float, np.integer, np.floating)) and sla_hours > 0):
        raise _err(f"sla_hours must be a positive number, got {sla_hours!r}.", f"sla_hours 必须是正数，收到 {sla_hours!r}。")
    t = _checked_times(complaints, received_at, closed_at, status)
    now = pd.Timestamp(as_of) if as_of is not None else pd.concat([t["received"], t["closed"]]).max()
    limit = t["received"] + pd.Timedelta(hours=float(sla_hours))
    met = t["closed"].notna() & (t["closed"] <= limit)
    missed = (t["closed"].notna() & (t["closed"] > limit)) | (t["closed"].isna() & (now > limit))
    decided = int(met.sum() + missed.sum())
    if decided == 0:
        raise _err("no complaint is decided yet, so the SLA share is undefined.", "还没有可判定的投诉，无法计算达标率。")
    return round(float(met.sum()) / decided, 6)


@computes("complaint_pareto", "投诉原因帕累托表", "Pareto table of complaint causes")
def pareto_of_causes(complaints: pd.DataFrame, by: str = "category", *, textbook_causes: bool = False,
                     vital_share: float = 0.8) -> pd.DataFrame:
    """Pareto table of complaint causes (step 4: find the few causes behind most complaints).

    Columns: ``count``, ``share``, ``cum_share`` and ``vital_few`` (the causes needed to reach
    ``vital_share`` of complaints, 80 % by default — the same rule as ``crmlab.value``'s A class).
    With ``textbook_causes=True`` the dataset's categories are first mapped to the textbook's four
    cause types. Empty causes are an error.

    Examples
    --------
    >>> df = pd.DataFrame({"category": ["delivery"] * 5 + ["price"] * 3 + ["billing"] * 2})
    >>> pareto_of_causes(df)  # doctest: +NORMALIZE_WHITESPACE
              count  share  cum_share  vital_few
    category
    delivery      5    0.5        0.5       True
    price         3    0.3        0.8       True
    billing       2    0.2        1.0      False
    """
    _need_columns(complaints, [by], "complaints")
    values = complaints[by]
    bad = complaints.index[values.pipe(_blanks)]
    if len(bad):
        raise _err(f"complaints[{by!r}] is empty in rows {_rows(bad)}.", f"投诉的 {by!r} 列在这些行为空：{_rows(bad)}。")
    if textbook_causes:
        values = values.map(lambda v: typology("cause", v)).rename("cause")
    counts = values.value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="stable")
    share = counts / counts.sum()
    cum = share.cumsum()
    out = pd.DataFrame({"count": counts, "share": share.round(4), "cum_share": cum.round(4),
                        "vital_few": (cum - share) < vital_share - 1e-12})
    out.index.name = values.name
    return out


@computes("complaint_kpis")
def complaint_kpis(complaints: pd.DataFrame, orders: pd.DataFrame, *, sla_hours: float = 24, as_of=None,
                   received_at: str = "received_at", closed_at: str = "closed_at", status: str = "status",
                   order_date: str = "order_date") -> pd.Series:
    """The complaint dashboard: counts, rate per 1,000 orders, time to close and SLA share.

    Examples
    --------
    >>> from crmlab import datasets
    >>> kpi = complaint_kpis(datasets.load("complaints"), datasets.load("orders"))
    >>> kpi[["n_complaints", "n_open", "rate_per_1000_orders", "median_hours_to_close"]].tolist()
    [119.0, 5.0, 11.0585, 32.5]
    """
    hours = hours_to_close(complaints, received_at=received_at, closed_at=closed_at, status=status)
    return pd.Series({
        "n_complaints": float(len(complaints)),
        "n_orders": float(len(orders)),
        "rate_per_1000_orders": complaint_rate(complaints, orders, received_at=received_at, order_date=order_date),
        "n_open": float(hours.isna().sum()),
        "median_hours_to_close": round(float(hours.median()), 2),
        "mean_hours_to_close": round(float(hours.mean()), 2),
        "share_within_sla": sla_share(complaints, sla_hours, as_of=as_of, received_at=received_at,
                                      closed_at=closed_at, status=status),
    }, name="complaint_kpis")


@computes("complaint_losses", "不满客户中流失的人数", "customers lost to dissatisfaction")
def customers_lost(n_silent: int, n_resolved: int, *, p_leave_silent: float = 0.91,
                   p_leave_resolved: float = 0.18) -> pd.Series:
    """Expected customers lost: silent dissatisfied vs complainers whose problem was solved well.

    Textbook task 10 §10.1.3: 91 % of dissatisfied customers who do not complain stop buying;
    only 18 % of complainers whose problem was resolved well do.

    Examples
    --------
    >>> customers_lost(100, 100).tolist()
    [91.0, 18.0, 109.0]
    """
    for name, v in (("n_silent", n_silent), ("n_resolved", n_resolved)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise _err(f"{name} must be a whole number ≥ 0, got {v!r}.", f"{name} 必须是非负整数，收到 {v!r}。")
    for name, p in (("p_leave_silent", p_leave_silent), ("p_leave_resolved", p_leave_resolved)):
        if not 0 <= p <= 1:
            raise _err(f"{name} must be a probability in [0, 1], got {p!r}.", f"{name} 必须在 0 到 1 之间，收到 {p!r}。")
    silent, resolved = round(n_silent * p_leave_silent, 4), round(n_resolved * p_leave_resolved, 4)
    return pd.Series({"silent": silent, "resolved": resolved, "total": round(silent + resolved, 4)}, name="customers_lost")


# --------------------------------------------------------------------------- the Ctrip case
#: Timeline of the Ctrip (携程) fake-insurance complaint, task 10 拓展学习 (dates from the case text).
CTRIP_TIMELINE = pd.DataFrame(
    [
        ("2008-11-14", "booking", "梁玉祥在海南度蜜月，电话订两张11月18日回昆明的机票和两份航空意外险（共20元，最高保额80万元）",
         "books two tickets for 18 Nov and two accident policies (20 yuan, cover up to 800,000 yuan)"),
        ("2008-11-18", "flight", "航班23:05起飞、次日00:55到达，保单只保11月18日当天",
         "flight 23:05 → 00:55 next day; the policy covers 18 Nov only"),
        ("2008-12-12", "insurer_letter", "平安保险海南分公司书面确认保单并非其产品",
         "Ping An Hainan confirms in writing the policies are not its products"),
        ("2009-02-20", "apology", "携程在网上发布致歉信，承认监管不力，终止保险合作",
         "Ctrip posts an apology online, admits lax supervision, ends the insurance partnership"),
    ],
    columns=["date", "event", "zh", "en"])
CTRIP_TIMELINE["date"] = pd.to_datetime(CTRIP_TIMELINE["date"])

#: Steps of §10.2.3 the handling violated (crmlab's reading of the case).
_CTRIP_VIOLATIONS = pd.DataFrame(
    [
        (2, "判定投诉是否成立", "insisted the policies could not be fake without checking"),
        (4, "责任部门分析投诉原因", "did not trace the cause (the agent's forged policies) until the press did"),
        (None, "及时处理", "no answer for more than two months ('we are victims too', then silence)"),
        (None, "明确责任", "passed the buck to the insurer and the agent"),
    ],
    columns=["step", "zh", "en"])


@computes("uncovered_minutes", "保障期外的飞行时间", "minutes outside the cover")
def uncovered_minutes(cover_start, cover_end, departure, arrival) -> int:
    """Minutes of a trip that fall outside an insurance cover period ("裸飞" in the Ctrip case).

    Examples
    --------
    >>> uncovered_minutes("2008-11-18 00:00", "2008-11-19 00:00", "2008-11-18 23:05", "2008-11-19 00:55")
    55
    """
    cs, ce, dep, arr = (pd.Timestamp(x) for x in (cover_start, cover_end, departure, arrival))
    if ce <= cs or arr <= dep:
        raise _err("each period must end after it starts.", "每个时间段的结束时间必须晚于开始时间。")
    overlap = max(pd.Timedelta(0), min(ce, arr) - max(cs, dep))
    return int(round((arr - dep - overlap).total_seconds() / 60))


@computes("uncovered_minutes")
def ctrip_case() -> pd.Series:
    """The Ctrip case computed from its figures: flight and uncovered minutes, days to the apology.

    Examples
    --------
    >>> ctrip_case().to_dict()
    {'flight_minutes': 110, 'uncovered_minutes': 55, 'days_booking_to_apology': 98, 'days_insurer_letter_to_apology': 70, 'premium_yuan': 20, 'max_cover_yuan': 800000}
    """
    d = CTRIP_TIMELINE.set_index("event")["date"]
    dep, arr = pd.Timestamp("2008-11-18 23:05"), pd.Timestamp("2008-11-19 00:55")
    return pd.Series({
        "flight_minutes": int((arr - dep).total_seconds() // 60),
        "uncovered_minutes": uncovered_minutes("2008-11-18", "2008-11-19", dep, arr),
        "days_booking_to_apology": int((d["apology"] - d["booking"]).days),
        "days_insurer_letter_to_apology": int((d["apology"] - d["insurer_letter"]).days),
        "premium_yuan": 20,
        "max_cover_yuan": 800_000,
    }, name="ctrip")


# --------------------------------------------------------------------------- answer keys
# The step order, the method order and the Ctrip reading are what lab exercises ask students to work
# out; reading them here counts as using crmlab's answer (crmlab.shortcuts), like calling a function.
@computes("complaint_steps")
def _read_complaint_steps():
    return _COMPLAINT_STEPS.copy()


@computes("complaint_steps")
def _read_transitions():
    return _TRANSITIONS


@computes("handling_methods", "投诉处理方法的顺序", "order of the handling methods")
def _read_handling_methods():
    return _HANDLING_METHODS.copy()


@computes("ctrip_violations", "携程违反的处理步骤", "steps Ctrip violated")
def _read_ctrip_violations():
    return _CTRIP_VIOLATIONS.copy()


_ANSWER_KEYS = {"COMPLAINT_STEPS": _read_complaint_steps, "TRANSITIONS": _read_transitions,
                "HANDLING_METHODS": _read_handling_methods, "CTRIP_VIOLATIONS": _read_ctrip_violations}


def __getattr__(name: str):
    """``COMPLAINT_STEPS``, ``TRANSITIONS``, ``HANDLING_METHODS`` and ``CTRIP_VIOLATIONS``: read through a
    recorded accessor (they hold lab answers)."""
    if name in _ANSWER_KEYS:
        return _ANSWER_KEYS[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
