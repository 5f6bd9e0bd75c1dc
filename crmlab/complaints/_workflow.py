"""The 8-step complaint workflow as a state machine (task 10 §10.2.3): states, guards, replay and the
flowchart."""
from __future__ import annotations

import dataclasses
from collections import namedtuple
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..shortcuts import computes
from .._lang import DEFAULT_LANG, check_lang
from ..errors import bilingual
from .._validate import is_blank as _blank
from ._errors import InvalidTransition, _err, _to_dt
from ._records import ComplaintRecord
from ._routing import route
from ._typology import REMEDIES, _REMEDY_LOOKUP


# --------------------------------------------------------------------------- §10.2.3 state machine
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
