"""The declared document lifecycle: document types, statuses, transitions and push-down map.

Every state change in :mod:`crmlab.system` goes through :func:`transition`, which looks the action
up in :data:`LIFECYCLE` — rows of (document types, action, from statuses, to status, guard, side
effect) — and refuses anything not declared there. Nothing else writes a status. Print the table
with :func:`lifecycle_table`; the opportunity's stage moves (advance, win, lose, restore) are the
rows of :data:`crmlab.sales_method.TRANSITIONS`, reused as they are.

The shared lifecycle of a Kingdee document (textbook task 14, digest §5.3.1)::

    (new) ─save→ saved 已保存 ─audit→ audited 已审核 ─close→ closed 已关闭
                   │  └─enable_multi_audit→ auditing 审核中 ─approve (last level)┘
                   └──────── unaudit 反审核/驳回审核 (no pushed-down document yet) ┘

An audited document cannot be edited; only audited documents are pushed down (下推) along
:data:`PUSH_DOWN`. Statuses are stored as English codes; :data:`STATUS_LABELS` gives the Kingdee
Chinese label and :func:`status_code` accepts either.

Example
-------
>>> from crmlab.system import lifecycle
>>> lifecycle.transition("quote", "saved", "audit")
'audited'
>>> t = lifecycle.lifecycle_table("contract")
>>> t.loc[t.action == "unaudit", ["from", "to"]].values.tolist()
[['auditing, audited', 'saved']]
>>> lifecycle.status_label("evaluating"), lifecycle.status_code("执行中", "opportunity")
('评估中', 'open')
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from crmlab import glossary
from crmlab import sales_method as _op

from .errors import GuardFailed, IllegalTransition

__all__ = ["DocType", "DOC_TYPES", "STATUS_LABELS", "Rule", "LIFECYCLE", "PUSH_DOWN", "AUDITABLE",
           "lifecycle_table", "push_down_table", "transition", "rule", "status_label", "status_code",
           "doc_type_code", "EDITABLE_STATUSES", "EDITABLE_FIELDS", "editable_fields", "lifecycle_statuses"]


class DocType(NamedTuple):
    """A document type: code, Kingdee name, number prefix, initial status."""
    code: str
    zh: str
    prefix: str
    initial: str


#: Document types (单据类型) with their number prefix (digest §5.2.8) and initial status.
DOC_TYPES: dict[str, DocType] = {d.code: d for d in (
    DocType("competitor", "竞争对手", "JZDS", "saved"),
    DocType("customer", "客户", "KH", "saved"),
    DocType("question", "调查题库", "DCTK", "saved"),
    DocType("survey", "市场调查", "SCDC", "draft"),
    DocType("market_activity", "市场活动", "SCHD", "saved"),
    DocType("campaign", "营销活动", "YXHD", "saved"),
    DocType("care", "客户关怀", "KHGH", "saved"),
    DocType("intelligence", "市场情报", "SCQB", "saved"),
    DocType("lead", "线索", "XS", "saved"),
    DocType("opportunity", "商机", "SJ", "potential"),
    DocType("activity", "活动", "HD", "saved"),
    DocType("task", "任务", "RW", "saved"),
    DocType("sample", "样品申请单", "YP", "saved"),
    DocType("price_list", "价目表", "JMB", "saved"),
    DocType("quote", "CRM销售报价单", "BJ", "saved"),
    DocType("contract", "销售合同", "HT", "saved"),
    DocType("project", "项目", "XM", "saved"),
    DocType("product_archive", "产品档案", "CPDA", "registered"),
    DocType("service_request", "服务请求", "FWQQ", "saved"),
    DocType("work_order", "派工单", "PG", "pending"),
    DocType("handling", "处理单", "CLD", "saved"),
    DocType("service_quote", "服务报价单", "FWBJ", "saved"),
    DocType("service_contract", "服务合同", "FWHT", "saved"),
)}

_TYPE_MORE = {"opportunity": ("商业机会",), "quote": ("销售报价单", "报价单"), "contract": ("CRM销售合同", "合同"),
              "sample": ("样品",), "work_order": ("派工",), "service_quote": ("服务报价",)}
#: The document types as a :class:`crmlab.glossary.Vocabulary` (code, Kingdee name, other names).
DOC_TYPE = glossary.Vocabulary(
    "doc_type", {d.code: (d.zh, d.code.replace("_", " "), _TYPE_MORE.get(d.code, ())) for d in DOC_TYPES.values()},
    what=("document type", "单据类型"), error_code="UNKNOWN_DOC_TYPE")

#: Status code → Kingdee label (中文). Opportunity codes follow :mod:`crmlab.opportunity`.
STATUS_LABELS: dict[str, str] = {
    "new": "新增", "saved": "已保存", "auditing": "审核中", "audited": "已审核", "closed": "已关闭",
    "sent": "已发送", "cancelled": "已取消", "converted": "已转化", "invalid": "无效",
    "potential": "未评估", "evaluating": "评估中", "open": "执行中", "failed": "不通过",
    "won": "赢单", "lost": "输单", "in_progress": "执行中", "done": "已完成", "executing": "执行中",
    "assigned": "已分配", "dispatching": "派工中", "dispatched": "已派工", "handled": "已处理",
    "pending": "待接受", "accepted": "已接受", "rejected": "已拒绝", "draft": "草稿",
    "published": "已生成问卷", "collecting": "收集中", "summarized": "已汇总", "registered": "已注册",
    "running": "进行中", "finished": "已结束",
}

#: Types with the shared save → audit → close lifecycle (and multi-level audit, un-audit, push-down).
AUDITABLE = ("competitor", "customer", "price_list", "quote", "contract", "project", "service_quote",
             "service_contract")

#: Statuses in which a document's own fields and lines may still be edited.
EDITABLE_STATUSES = ("saved", "sent", "potential", "draft")

#: The fields a user may type into, per document type (the header's ``subject`` and the type's own
#: fields kept on the document), for the customer card (basic data, level 1) and its profile
#: (level 2). Everything else — owner, department, status, version, audit stamps, totals, trade
#: dates, value score, the fields actions manage (executor, handler, stage index …) — changes only
#: through its action. Types not listed edit their ``subject`` only.
EDITABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("name", "kind", "industry", "region", "address", "phone", "source"),
    "customer_profile": ("business_direction", "business_scale", "main_products", "main_needs", "target_market",
                         "gender", "birth_date", "income_level", "hobbies", "product_preference", "attitude_to_us",
                         "competitor_dealings"),
    "competitor": ("subject", "industry", "strengths", "weaknesses", "strategy", "products", "website", "note"),
    "survey": ("subject",),
    "intelligence": ("subject", "intel_type", "source", "content", "strategy"),
    "lead": ("subject", "source", "customer_name", "contact_name", "phone", "need"),
    "market_activity": ("subject", "act_type", "department", "theme", "purpose", "process"),
    "campaign": ("subject", "act_type", "department", "theme", "purpose", "process"),
    "care": ("subject", "act_type", "department", "theme", "purpose", "process"),
    "activity": ("subject", "act_type", "plan_start", "result"),
    "task": ("subject", "plan_start"),
    "contract": ("subject", "settlement", "terms"),
    "project": ("subject", "goal", "content"),
}


def editable_fields(kind: str) -> tuple[str, ...]:
    """The fields of :data:`EDITABLE_FIELDS` for a document type, ``"customer"`` or
    ``"customer_profile"``.

    >>> editable_fields("quote"), "owner_id" in editable_fields("customer")
    (('subject',), False)
    """
    return EDITABLE_FIELDS.get(kind, ("subject",))


class Rule(NamedTuple):
    """One row of the declared lifecycle: who may go where, under which guard, with which effect."""
    doc_types: tuple
    action: str
    action_zh: str
    sources: tuple
    target: str
    guard: str
    effect: str


_A = AUDITABLE
_D = tuple(t for t in AUDITABLE if t != "customer")      # documents: multi-level audit, audit steps
LIFECYCLE: tuple[Rule, ...] = (
    # -- the shared document lifecycle (task 14, R2, R25–R28, R33, R34) ----------------------
    Rule(tuple(DOC_TYPES), "save", "保存", ("new",), "(initial)",
         "required fields present; lines valid (qty > 0, price ≥ 0)", "number assigned; total = Σ lines"),
    Rule(tuple(t for t in DOC_TYPES if t != "question"), "edit", "修改", EDITABLE_STATUSES, "(same)",
         "not audited (audited documents are read-only); owner or manager", "total = Σ lines"),
    Rule(_A, "audit", "审核", ("saved", "sent"), "audited",
         "role may audit; no multi-level audit started", "audited_by/at stamped"),
    Rule(_D, "enable_multi_audit", "启用多级审核", ("saved",), "auditing",
         "≥ 1 approver level, each approver may audit", "audit_step = 0"),
    Rule(_D, "approve", "多级审核", ("auditing",), "auditing | audited",
         "actor is the approver of the current level", "next level; the last level → audited"),
    Rule(("customer",), "unaudit", "反审核", ("audited",), "saved", "role may audit", "—"),
    Rule(_D, "unaudit", "反审核 / 驳回审核", ("auditing", "audited"), "saved",
         "no document was pushed down from it (R25)", "audit steps kept in the history"),
    Rule(("contract", "service_contract", "competitor"), "close", "关闭", ("audited",), "closed",
         "—", "read-only for good"),
    Rule(("price_list", "quote", "service_quote"), "push_down", "下推", ("audited",), "(same)",
         "source audited (R25, R26, R33); target type allowed by PUSH_DOWN",
         "target document created (saved), lines copied, 源单类型/源单编号 set, link recorded"),
    # -- quotation (Odoo sale.order: draft → sent → confirmed | cancelled) ------------------------
    Rule(("quote",), "send", "发送", ("saved",), "sent", "≥ 1 line", "—"),
    Rule(("quote",), "cancel", "作废", ("saved", "sent"), "cancelled", "—", "—"),
    # -- customer (R34; the archive's levels 2 and 3, task 5) ------------------------------------
    Rule(("customer",), "set_profile", "客户资料", ("saved", "audited"), "(same)",
         "owner, manager or director; declared profile fields only", "customer version +1"),
    Rule(("customer",), "add_contact", "联系人", ("saved", "audited"), "(same)",
         "owner, manager or director; name and decision role", "contact added; customer version +1"),
    Rule(("customer",), "add_credit", "资信/授信", ("saved", "audited"), "(same)",
         "owner, manager or director; valid_until after the report date", "credit record added; customer version +1"),
    Rule(("customer",), "change_card", "客户卡转换", ("saved", "audited"), "(same)",
         "declared card move (潜在 → 现有 → 旧客户 → 现有); stop reason for 旧客户", "card history row"),
    Rule(("customer",), "set_trading", "交易客户", ("saved", "audited"), "(same)", "role may audit",
         "is_trading = True (needed before sales and service documents)"),
    # -- lead (R9) --------------------------------------------------------------------------------
    Rule(("lead",), "convert", "转化", ("saved",), "converted",
         "subject, source, customer and contact named; new customer/contact only if ticked",
         "opportunity (未评估) created; customer and contact created or synced; links recorded"),
    Rule(("lead",), "invalidate", "无效", ("saved",), "invalid", "reason given", "—"),
    # -- opportunity evaluation (R11–R14) --------------------------------------------------------
    Rule(("opportunity",), "submit_evaluation", "提交评估", ("potential",), "evaluating",
         "潜在机会 tab complete (expected close, revenue > 0, source, interest); evaluator may evaluate",
         "evaluation round opened"),
    Rule(("opportunity",), "evaluate_forward", "通过，转下一评估人", ("evaluating",), "evaluating",
         "actor is the current evaluator; next evaluator named and different", "new round"),
    Rule(("opportunity",), "evaluate_reject", "驳回", ("evaluating",), "potential",
         "actor is the current evaluator", "back to the initiator"),
    Rule(("opportunity",), "evaluate_pass", "通过，评估结束", ("evaluating",), "open",
         "actor is the current evaluator", "crmlab.opportunity qualify: first stage 了解情况, its probability (R14)"),
    Rule(("opportunity",), "evaluate_fail", "不通过，评估结束", ("evaluating",), "failed",
         "actor is the current evaluator", "terminal: no further operation"),
    # the 潜在机会 tab stays open while the opportunity executes: R21 sends the user back to it to add
    # interest lines before a quote (方案 stage); closed, failed or evaluating ones are read-only
    Rule(("opportunity",), "set_potential", "潜在机会", ("potential", "open"), "(same)",
         "owner, manager or director; revenue from lines while there are lines (R10)", "—"),
    Rule(("opportunity",), "add_interest", "兴趣范围", ("potential", "open"), "(same)",
         "a product; qty > 0, price ≥ 0", "expected revenue = Σ lines (R10)"),
    Rule(("opportunity",), "set_summary", "项目总结", ("potential", "open"), "(same)",
         "win/loss date not in the future", "—"),
    *(Rule(("opportunity",), r.action, r.action_zh, r.sources, r.target, r.guard
           + ("; 项目总结 win/loss date set (R23)" if r.action in ("win", "lose") else ""),
           "see crmlab.sales_method.TRANSITIONS")
      for r in _op.TRANSITIONS if r.action in ("advance", "win", "lose", "restore")),
    # -- task (R18–R20) ------------------------------------------------------------------------------
    Rule(("task",), "assign", "向下分配", ("saved",), "in_progress", "executor is an active user", "—"),
    Rule(("task",), "add_process", "处理过程", ("in_progress",), "(same)", "actor is the executor",
         "counts as an activity of the opportunity's current stage (R20)"),
    Rule(("task",), "complete", "完成", ("in_progress",), "done",
         "actor is the executor; actual start and end set, end ≥ start (R19)", "counts as a task of its stage"),
    # -- project (R28) --------------------------------------------------------------------------------
    Rule(("project",), "execute", "执行", ("audited",), "executing", "—", "first ticked stage started"),
    Rule(("project",), "advance_project", "阶段推进", ("executing",), "(same)", "not the last stage", "next stage"),
    Rule(("project",), "close_project", "结案", ("executing",), "closed", "project summary (项目总结) given",
         "read-only"),
    # -- service (R30–R32) ------------------------------------------------------------------------
    Rule(("service_request",), "assign", "分配", ("saved",), "assigned", "follower is an active user", "—"),
    Rule(("service_request",), "dispatch", "派工", ("assigned",), "dispatching",
         "handler is a user bound to an employee and authorised (R31)", "work order (派工单) created"),
    Rule(("work_order",), "accept", "接受", ("pending",), "accepted", "actor is the handler; reason given",
         "service request → dispatched 已派工 (R32)"),
    Rule(("work_order",), "reject", "拒绝", ("pending",), "rejected", "actor is the handler; reason given",
         "service request back to assigned"),
    Rule(("work_order",), "handle", "处理", ("accepted",), "handled", "actor is the handler",
         "handling record (处理单) created; service request → handled; parts may update the archive"),
    Rule(("service_request",), "close", "关闭", ("handled",), "closed", "satisfaction 1–5", "—"),
    Rule(("service_request",), "on_accept", "(派工单接受)", ("dispatching",), "dispatched", "—", "—"),
    Rule(("service_request",), "on_reject", "(派工单拒绝)", ("dispatching",), "assigned", "—", "—"),
    Rule(("service_request",), "on_handle", "(处理单保存)", ("dispatched",), "handled", "—", "—"),
    Rule(("product_archive",), "edit_dates", "维护日期", ("registered",), "(same)",
         "only warranty_until, last_repair, next_repair (R29)", "—"),
    # -- market survey (R7) and activities (R8) ---------------------------------------------------
    Rule(("survey",), "add_item", "问卷设计", ("draft",), "(same)", "question exists in the bank", "—"),
    Rule(("survey",), "generate", "生成问卷", ("draft",), "published", "≥ 1 question", "—"),
    Rule(("survey",), "enter_response", "问卷录入", ("published", "collecting"), "collecting",
         "answers valid for each question type (R5)", "response and its score stored"),
    Rule(("survey",), "summarize", "汇总分析", ("collecting",), "summarized", "≥ 1 response", "—"),
    Rule(("market_activity", "campaign", "care"), "start", "执行", ("saved",), "running", "—", "—"),
    Rule(("market_activity", "campaign", "care"), "finish", "结束", ("running",), "finished", "—", "—"),
)

_INDEX: dict[tuple[str, str], Rule] = {}
for _r in LIFECYCLE:
    for _t in _r.doc_types:
        _INDEX.setdefault((_t, _r.action), _r)

#: Allowed push-downs / document creations from a source (digest §5.4): (source type, target type)
#: → (source statuses, relation).
PUSH_DOWN: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("lead", "opportunity"): (("saved",), "convert"),
    ("opportunity", "activity"): (("potential", "open"), "source"),
    ("opportunity", "task"): (("open",), "source"),
    ("opportunity", "quote"): (("open",), "source"),
    ("opportunity", "sample"): (("open",), "source"),
    ("price_list", "quote"): (("audited",), "push_down"),
    ("quote", "contract"): (("audited",), "push_down"),
    ("contract", "project"): (("audited",), "source"),
    ("service_quote", "service_contract"): (("audited",), "push_down"),          # R33, task 14.2‑2
    ("service_request", "work_order"): (("assigned",), "dispatch"),
    ("work_order", "handling"): (("accepted",), "handle"),
    # a market activity, campaign or care names the survey it was planned from (源单, R7 → R8)
    ("survey", "market_activity"): (("draft", "published", "collecting", "summarized"), "source"),
    ("survey", "campaign"): (("draft", "published", "collecting", "summarized"), "source"),
    ("survey", "care"): (("draft", "published", "collecting", "summarized"), "source"),
}


def doc_type_code(label) -> str:
    """Canonical document type for an English code or a Kingdee name.

    >>> doc_type_code("商业机会"), doc_type_code("价目表"), doc_type_code("quote")
    ('opportunity', 'price_list', 'quote')
    """
    code = DOC_TYPE.get(label)
    if code is None:
        raise GuardFailed("UNKNOWN_DOC_TYPE", f"unknown document type {label!r}; use one of {list(DOC_TYPES)}",
                          f"未知的单据类型 {label!r}")
    return code


def status_label(code: str) -> str:
    """The Kingdee (Chinese) label of a status code."""
    return STATUS_LABELS.get(code, code)


def status_code(label, doc_type: str | None = None) -> str:
    """Status code for a code or a Chinese label (执行中 depends on the document type).

    >>> status_code("已审核"), status_code("执行中", "task"), status_code("执行中", "project")
    ('audited', 'in_progress', 'executing')
    """
    key = str(label).strip()
    if key in STATUS_LABELS:
        return key
    if doc_type == "opportunity" or key in ("未评估", "赢单", "输单", "不通过", "评估中"):
        if key == "评估中":
            return "evaluating"
        if key == "不通过":
            return "failed"
        return _op.status_code(key)
    matches = [c for c, z in STATUS_LABELS.items() if z == key]
    if doc_type == "task" and "in_progress" in matches:
        return "in_progress"
    if doc_type == "project" and "executing" in matches:
        return "executing"
    if matches:
        return matches[0]
    raise GuardFailed("UNKNOWN_STATUS", f"unknown status {label!r}", f"未知的单据状态 {label!r}")


def rule(doc_type: str, action: str) -> Rule:
    """The declared rule for ``action`` on ``doc_type``; :class:`IllegalTransition` if none."""
    r = _INDEX.get((doc_type, action))
    if r is None:
        raise IllegalTransition("NO_SUCH_ACTION", f"{DOC_TYPES[doc_type].zh} ({doc_type}) has no action {action!r}",
                                f"{DOC_TYPES[doc_type].zh} 没有操作 {action!r}")
    return r


def transition(doc_type: str, status: str, action: str, target: str | None = None) -> str:
    """Check ``action`` from ``status`` against :data:`LIFECYCLE`; return the new status.

    ``target`` picks one of several declared targets (``"auditing | audited"``). Raises
    :class:`IllegalTransition` (English and Chinese) when the table does not allow it.

    >>> transition("contract", "audited", "unaudit")
    'saved'
    >>> try:
    ...     transition("contract", "audited", "edit")
    ... except IllegalTransition as err:
    ...     print(err.code)
    ILLEGAL_TRANSITION
    """
    r = rule(doc_type, action)
    if status not in r.sources:
        dz = DOC_TYPES[doc_type].zh
        allowed = ", ".join(f"{s} {status_label(s)}" for s in r.sources)
        raise IllegalTransition("ILLEGAL_TRANSITION",
                                f"{doc_type} {action!r} is not allowed from status {status!r} (allowed from: {allowed})",
                                f"{dz}状态为「{status_label(status)}」时不能执行「{r.action_zh}」")
    if r.target == "(same)":
        return status
    if r.target == "(initial)":
        return DOC_TYPES[doc_type].initial
    options = [t.strip() for t in r.target.split("|")]
    if target is not None:
        if target not in options:
            raise IllegalTransition("ILLEGAL_TRANSITION", f"{action!r} cannot lead to {target!r}",
                                    f"「{r.action_zh}」不能转到「{status_label(target)}」")
        return target
    return options[0]


def lifecycle_statuses(doc_type: str) -> tuple[str, ...]:
    """Every status a document of ``doc_type`` can be in: its initial status and every status a
    declared rule of the type leads from or to (``edit``, shared by every type, moves nothing).

    >>> lifecycle_statuses("quote")
    ('saved', 'auditing', 'audited', 'sent', 'cancelled')
    """
    found = [DOC_TYPES[doc_type].initial]
    for r in LIFECYCLE:
        if doc_type in r.doc_types and r.action != "edit":
            targets = [t.strip() for t in r.target.split("|") if not t.strip().startswith("(")]
            found += [s for s in r.sources if s != "new"] + targets
    order = list(STATUS_LABELS)
    return tuple(sorted(dict.fromkeys(found), key=order.index))


def lifecycle_table(doc_type: str | None = None) -> pd.DataFrame:
    """The declared lifecycle as a DataFrame (one row per document type and action), to print.

    >>> t = lifecycle_table("opportunity")
    >>> t.action.tolist()[:4]
    ['save', 'edit', 'submit_evaluation', 'evaluate_forward']
    """
    rows = []
    for r in LIFECYCLE:
        for t in r.doc_types:
            if doc_type is None or t == doc_type:
                rows.append({"doc_type": t, "单据": DOC_TYPES[t].zh, "action": r.action, "动作": r.action_zh,
                             "from": ", ".join(r.sources), "to": r.target, "guard": r.guard, "effect": r.effect})
    return pd.DataFrame(rows)


def push_down_table() -> pd.DataFrame:
    """Allowed push-downs and conversions (source type, required status, target type, relation).

    >>> push_down_table().query("source == 'quote'")[["target", "source_status"]].values.tolist()
    [['contract', 'audited']]
    """
    rows = [{"source": s, "源单类型": DOC_TYPES[s].zh, "source_status": ", ".join(st), "target": t,
             "目标单据": DOC_TYPES[t].zh, "relation": rel} for (s, t), (st, rel) in PUSH_DOWN.items()]
    return pd.DataFrame(rows)
