"""The lifecycle every document shares at the desk (task 14): edit lines, audit, multi-level audit, un-audit,
close and push down (下推)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from .. import fields
from .. import lifecycle as lc
from .. import models as m
from .._rows import _need, _new, _ts
from ..errors import GuardFailed, IllegalTransition, PermissionDenied
from ._archive import _card_move, _own_fields
from ._common import NEEDS_TRADING, _add_months, _area, _load, _trading, _versioned
from ._service import _service_level


class DocumentActions:
    """The shared lifecycle (task 14): edit lines, audit, multi-level audit, un-audit, close, push-down."""

    @_versioned
    def set_lines(self, no, lines) -> float:
        """Replace the product lines of an editable document; returns the new total (= Σ lines)."""
        def fn(c):
            d = c.doc(no)
            c.require_doc(d, "save")
            c.editable(d)
            with c.track(d, "set_lines"):
                d.total = c.set_lines(d, lines)
                d.updated_at = c.now
                if d.doc_type == "opportunity":
                    o = c.s.get(m.Opportunity, d.no)
                    o.expected_revenue = d.total if lines else o.expected_revenue
            return d.total
        return self._do(fn)

    @_versioned
    def edit(self, no, **fields) -> None:
        """Edit header fields (subject or the type's own fields) of an editable document."""
        def fn(c):
            d = c.doc(no)
            c.require_doc(d, _edit_permission(d.doc_type))
            c.editable(d)
            values = _own_fields(d.doc_type, fields)
            with c.track(d, "edit"):
                data = dict(d.data or {})
                for k, v in values.items():
                    if k == "subject":
                        d.subject = _need(v, "subject", "主题")
                    elif k == "plan_start":
                        data[k] = _ts(v, "plan_start", "计划开始").isoformat() if v not in (None, "") else None
                    else:
                        data[k] = _jsonish(v)
                d.data = data
                d.updated_at = c.now
        return self._do(fn)

    @_versioned
    def audit(self, no) -> str:
        """审核: saved → audited (single-level). Customers (KH…) too (R34)."""
        def fn(c):
            d = _load(c, no)
            c.require(_area(d), "audit", d.owner_id, d.dept_id)
            if getattr(d, "audit_levels", None) and d.status == "auditing":
                raise IllegalTransition("MULTI_LEVEL", "multi-level audit is running: use approve()",
                                        "已启用多级审核，请逐级审核")
            with c.track(d, "audit"):
                _before_audit(c, d)
                c.move(d, "audit")
                d.audited_by, d.audited_at = c.user.login, c.now
                _after_audit(c, d)
            return d.status
        return self._do(fn)

    @_versioned
    def enable_multi_audit(self, no, levels) -> str:
        """启用多级审核: name the approvers of each level (R25); saved → auditing."""
        levels = fields.items(levels, "levels", "审核级次")

        def fn(c):
            d = c.doc(no)
            c.require_doc(d, "save")
            if not levels:
                raise GuardFailed("NO_LEVELS", "name at least one approver level", "至少指定一级审核人")
            for login in levels:
                _may_audit(c, c.other_user(login), d)
            with c.track(d, "enable_multi_audit"):
                _before_audit(c, d)
                c.move(d, "enable_multi_audit")
                d.audit_levels = [c.other_user(x).login for x in levels]
                d.audit_step = 0
            return d.status
        return self._do(fn)

    @_versioned
    def approve(self, no) -> str:
        """多级审核: the approver of the current level approves; the last level audits the document."""
        def fn(c):
            d = c.doc(no)
            if d.status != "auditing":
                lc.transition(d.doc_type, d.status, "approve")
            levels = d.audit_levels or []
            if d.audit_step >= len(levels) or levels[d.audit_step] != c.user.login:
                who = levels[d.audit_step] if d.audit_step < len(levels) else "nobody"
                raise PermissionDenied("NOT_APPROVER", f"level {d.audit_step + 1} is for {who}",
                                       f"第 {d.audit_step + 1} 级审核人是 {who if who != 'nobody' else '（无）'}")
            _may_audit(c, c.user, d, PermissionDenied)     # the approver still passes the rule audit enforces
            last = d.audit_step + 1 == len(levels)
            with c.track(d, "approve"):
                if last:
                    _before_audit(c, d)
                c.move(d, "approve", "audited" if last else "auditing")
                c.s.add(_new(m.AuditStep, doc_no=d.no, level=d.audit_step + 1, approver=c.user.login, action="approve",
                                    at=c.now))
                d.audit_step += 1
                if last:
                    d.audited_by, d.audited_at = c.user.login, c.now
                    _after_audit(c, d)
            return d.status
        return self._do(fn)

    @_versioned
    def unaudit(self, no) -> str:
        """反审核 / 驳回审核: auditing or audited → saved, refused once a document was pushed down from it."""
        def fn(c):
            d = _load(c, no)
            levels = getattr(d, "audit_levels", None) or []
            is_approver = d.status == "auditing" and d.audit_step < len(levels) and levels[d.audit_step] == c.user.login
            if not is_approver:
                c.require(_area(d), "audit", d.owner_id, d.dept_id)
            lc.transition(_area(d), d.status, "unaudit")
            if isinstance(d, m.Document):
                n = c.s.scalar(select(m.DocLink.id).where(m.DocLink.src_no == d.no).limit(1))
                if n is not None:
                    raise GuardFailed("HAS_DOWNSTREAM", f"{d.no} was already pushed down: un-audit the target first",
                                      f"{d.no} 已下推生成下游单据，不能反审核")
            with c.track(d, "unaudit"):
                c.move(d, "unaudit")
                if isinstance(d, m.Document):
                    if d.status == "saved" and levels:
                        c.s.add(_new(m.AuditStep, doc_no=d.no, level=d.audit_step + 1, approver=c.user.login,
                                            action="reject", at=c.now))
                    d.audit_step, d.audit_levels = 0, None
                d.audited_by, d.audited_at = None, None
            return d.status
        return self._do(fn)

    @_versioned
    def close(self, no) -> str:
        """关闭: audited → closed (contracts, service contracts, competitors)."""
        def fn(c):
            d = c.doc(no)
            c.require(d.doc_type, "audit", d.owner_id, d.dept_id)
            with c.track(d, "close"):
                c.move(d, "close")
            return d.status
        return self._do(fn)

    @_versioned
    def push_down(self, no, target: str) -> str:
        """下推: create a ``target`` document from an audited source, copying its lines (R25, R26)."""
        tgt = lc.doc_type_code(target)

        def fn(c):
            src = c.doc(no)
            key = (src.doc_type, tgt)
            if key not in lc.PUSH_DOWN or lc.PUSH_DOWN[key][1] != "push_down":
                raise IllegalTransition("NO_PUSH_DOWN", f"a {src.doc_type} cannot be pushed down to a {tgt}",
                                        f"{lc.DOC_TYPES[src.doc_type].zh} 不能下推为 {lc.DOC_TYPES[tgt].zh}")
            c.require(tgt, "save", src.owner_id, src.dept_id)
            lc.transition(src.doc_type, src.status, "push_down")
            if tgt == "contract" and src.ref_no:
                o = c.s.get(m.Opportunity, src.ref_no)
                if o is not None and o.status != "won":
                    raise GuardFailed("OPPORTUNITY_NOT_WON", f"close opportunity {o.no} as won (赢单) before the contract (R24)",
                                      f"签订合同前须先将商机 {o.no} 赢单关闭（R24）")
            return _push(c, src, tgt).no
        return self._do(fn)


def _edit_permission(doc_type: str) -> str:
    """The permission row that governs editing a document of ``doc_type``: ``save`` (who may create
    it), else ``maintain`` (surveys, market activities)."""
    from ..permissions import PERMISSIONS
    return "save" if (doc_type, "save") in PERMISSIONS else "maintain"


def _may_audit(c, u, d, exc=GuardFailed):
    """An approver of a multi-level audit must pass the same rule :meth:`DocumentActions.audit`
    enforces: role and scope of ``PERMISSIONS[(type, "audit")]`` (a manager: their department)."""
    from ..permissions import allowed
    own = d.owner_id == u.id
    same = d.dept_id is not None and d.dept_id == u.dept_id
    if not allowed(u.role, d.doc_type, "audit", own=own, same_dept=same):
        raise exc("APPROVER_CANNOT_AUDIT", f"{u.login} ({u.role}) may not audit this {d.doc_type} (role or department)",
                  f"{u.name} 无权审核该{lc.DOC_TYPES[d.doc_type].zh}（角色或部门不符）")


def _jsonish(v):
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def _push(c, src: m.Document, tgt: str, *, stage=None, lines=None) -> m.Document:
    if tgt in NEEDS_TRADING and src.customer_no:
        _trading(c, src.customer_no)
    data = None
    if tgt == "service_contract":                  # 服务产品, 服务范围 and the level come with the quote (R33)
        lv = _service_level(c, src.data["level"])
        start = c.now.date()
        data = {"level": lv.code, "products": list(src.data.get("products", [])),
                "archives": list(src.data.get("archives", [])), "start": start.isoformat(),
                "end": _add_months(start, lv.term_months).isoformat()}
    d = c.new_doc(tgt, subject=src.subject, customer_no=src.customer_no, contact_id=src.contact_id, src=src,
                  ref_no=src.no if src.doc_type == "opportunity" else src.ref_no, stage=stage, data=data)
    lines = c.lines(src.no) if lines is None else lines
    for i, ln in enumerate(lines, start=1):
        c.s.add(c.make_line(d.no, i, ln))
    d.total = round(sum(x.amount for x in lines), 2)
    c.link(src, d, lc.PUSH_DOWN[(src.doc_type, tgt)][1])
    c.log(f"push_down_{tgt}", d, None)
    return d


def _before_audit(c, d):
    if isinstance(d, m.Customer):
        return
    if d.doc_type == "contract":
        plan = c.lines(d.no, "payment")
        if not (d.data or {}).get("settlement"):
            raise GuardFailed("SETTLEMENT_REQUIRED", "a contract needs a settlement method (结算方式) before audit",
                              "合同审核前须填写结算方式")
        if not plan or abs(sum(p.amount for p in plan) - d.total) > 0.005:
            raise GuardFailed("PAYMENT_PLAN", "the payment plan (收款计划) must add up to the contract total",
                              "收款计划合计必须等于合同金额")
    if d.doc_type in ("price_list", "quote", "contract", "service_quote") and not c.lines(d.no):
        raise GuardFailed("NO_LINES", "a document without product lines cannot be audited", "没有产品分录的单据不能审核")
    if d.doc_type in ("service_quote", "service_contract"):
        data = d.data or {}
        if not data.get("products") or not data.get("archives"):
            raise GuardFailed("SCOPE_REQUIRED", "a service contract needs 服务产品 and 服务范围 (R33)",
                              "服务合同须有服务产品和服务范围（R33）")


def _after_audit(c, d):
    # The first audited sales contract opens the customer's 现有客户 card (task 5 §5.1.3).
    if isinstance(d, m.Document) and d.doc_type == "contract" and d.customer_no:
        cu = c.s.get(m.Customer, d.customer_no)
        if cu.card_type == "prospect":
            _card_move(c, cu, "current", f"first contract {d.no}")
        cu.last_trade_date = c.now.date()
        c.touch(cu)
