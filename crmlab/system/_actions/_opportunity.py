"""Opportunities at the desk (商机, task 13.3): evaluation, stage advancement with activities, tasks, quotes
and samples, win and loss."""
from __future__ import annotations

import datetime as dt

from crmlab import sales_method as op
from .. import lifecycle as lc
from .. import models as m
from .._rows import _date, _need, _new, _number, _raw, _ts
from ..errors import GuardFailed, IllegalTransition, PermissionDenied, ReadOnly
from ._common import _INTEREST_ALIASES, _RESULT_ALIASES, _alias, _versioned
from ._documents import _jsonish, _push


def _new_opportunity(c, subject, customer_no, contact_id=None, source=None, need=None, src=None) -> str:
    method_id = c.default_method_id()
    d = c.new_doc("opportunity", subject=_need(subject, "subject", "商机主题"), customer_no=customer_no,
                  contact_id=contact_id, src=src)
    o = _new(m.Opportunity, no=d.no, status="potential", owner_id=d.owner_id, dept_id=d.dept_id, customer_no=customer_no,
                      method_id=method_id, stage=None, probability=0.0, expected_revenue=0.0, opp_source=source,
                      need=need, created_at=c.now, active=True)
    c.s.add(o)
    if src is not None:
        c.link(src, d, "convert")
    c.log("convert_lead" if src is not None else "new_opportunity", d, None)
    return d.no


class OpportunityActions:
    """Task 13.3: 潜在机会 (R10–R11), evaluation (R12–R14), stage advancement with activities, tasks,
    quotes and samples (R15–R22), win and loss (R23–R24; Odoo: lost = archived, restore)."""

    def new_opportunity(self, subject: str, customer, *, source: str | None = None, contact: int | None = None) -> str:
        """商机－新增 by hand (未评估, default method, no stage: R11)."""
        def fn(c):
            c.require("opportunity", "save")
            return _new_opportunity(c, subject, c.customer(customer).no, contact, source=source)
        return self._do(fn)

    def _opp_edit(self, opp, action, body):
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "edit", d.owner_id, d.dept_id)
            c.editable(d, action)                   # the declared rule of set_potential / add_interest / set_summary
            before_o = _raw(o)
            with c.track(d, action):
                out = body(c, d, o)
                d.updated_at = c.now
                c.touch(d)
            c.log(action, o, before_o, o.status)
            return out
        return self._do(fn)

    @_versioned
    def set_potential(self, opp, *, expected_close=None, expected_revenue=None, source=None, interest=None,
                      need=None) -> None:
        """【潜在机会】 tab: expected close date, expected revenue (refused while interest lines exist:
        then it is Σ lines, R10), source, interest level (高/中/低), need description."""
        def body(c, d, o):
            if expected_close is not None:
                o.expected_close = _date(expected_close, "expected_close", "预计成交日期")
            if expected_revenue is not None:
                if c.lines(d.no):
                    raise ReadOnly("REVENUE_FROM_LINES", "expected revenue = Σ interest lines while there are lines (R10)",
                                   "已有兴趣范围明细时，预计收入 = 明细金额合计（R10）")
                o.expected_revenue = _number(expected_revenue, "expected_revenue", "预计收入")
            if source is not None:
                o.opp_source = source
            if interest is not None:
                o.interest = _alias(interest, _INTEREST_ALIASES, "interest level", "兴趣大小")
            if need is not None:
                o.need = need
        return self._opp_edit(opp, "set_potential", body)

    @_versioned
    def add_interest(self, opp, product, qty: float = 1, price: float | None = None) -> float:
        """兴趣范围: add a product line; expected revenue becomes Σ line amounts (R10). Returns it."""
        if product is None or (isinstance(product, str) and not product.strip()):
            raise GuardFailed("PRODUCT_REQUIRED", "an interest line names a product (兴趣范围)",
                              "兴趣范围明细必须选择物料")

        def body(c, d, o):
            n = len(c.lines(d.no))
            line = c.make_line(d.no, n + 1, {"product": product, "qty": qty, "price": price})
            c.s.add(line)
            c.s.flush()
            o.expected_revenue = d.total = round(sum(x.amount for x in c.lines(d.no)), 2)
            return o.expected_revenue
        return self._opp_edit(opp, "add_interest", body)

    @_versioned
    def submit_evaluation(self, opp, evaluator: str) -> str:
        """【提交评估】: 未评估 → 评估中, naming the evaluator (R12)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "edit", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "submit_evaluation")
            missing = [zh for ok, zh in ((o.expected_close, "预计成交时间"), (o.expected_revenue > 0, "预计收入"),
                                          (o.opp_source, "机会来源"), (o.interest, "兴趣大小")) if not ok]
            if missing:
                raise GuardFailed("POTENTIAL_INCOMPLETE", f"complete the 潜在机会 tab first: {missing}",
                                  f"请先完善【潜在机会】：{missing}")
            ev = c.other_user(evaluator)
            from ..permissions import PERMISSIONS
            if ev.role not in PERMISSIONS[("opportunity", "evaluate")] or ev.login == c.user.login:
                raise GuardFailed("BAD_EVALUATOR", f"{ev.login} cannot evaluate (a manager or director other than you)",
                                  f"{ev.name} 不能作为评估人（须为经理或总监，且不是提交人）")
            _opp_move(c, d, o, "submit_evaluation", lambda: setattr(o, "evaluator", ev.login)
                      or setattr(o, "submitter", c.user.login))
            rnd = len(c.rows(m.Evaluation, opp_no=d.no)) + 1
            c.s.add(_new(m.Evaluation, opp_no=d.no, round=rnd, submitter=c.user.login, evaluator=ev.login, submitted_at=c.now))
            return o.status
        return self._do(fn)

    @_versioned
    def evaluate(self, opp, result: str, next_evaluator: str | None = None, comment: str = "") -> str:
        """【评估】 by the named evaluator: ``forward`` 通过，转下一评估人 (needs ``next_evaluator``),
        ``reject`` 驳回, ``pass`` 通过，评估结束 (→ 执行中 at the first stage, R14), ``fail``
        不通过，评估结束 (terminal) (R13)."""
        res = _alias(result, _RESULT_ALIASES, "evaluation result", "评估结果")

        def fn(c):
            d, o = c.opp(opp)
            if o.status == "evaluating" and o.evaluator != c.user.login:
                raise PermissionDenied("NOT_EVALUATOR", f"only the named evaluator {o.evaluator} may evaluate",
                                       f"只有指定的评估人 {o.evaluator} 才能评估")
            c.require("opportunity", "evaluate", None, None)
            lc.transition("opportunity", o.status, f"evaluate_{res}")
            ev = c.rows(m.Evaluation, order="round", opp_no=d.no)[-1]
            nxt = None
            if res == "forward":
                nxt = c.other_user(_need(next_evaluator, "next evaluator", "下一评估人")).login
                from ..permissions import PERMISSIONS
                if nxt == c.user.login or c.other_user(nxt).role not in PERMISSIONS[("opportunity", "evaluate")]:
                    raise GuardFailed("BAD_EVALUATOR", f"{nxt} cannot be the next evaluator", f"{nxt} 不能作为下一评估人")

            def effect():
                if res == "forward":
                    o.evaluator = nxt
                elif res == "reject":
                    o.evaluator = None
                elif res == "pass":
                    o.evaluator = None
                    view = _op_view(c, o)
                    t = view.qualify(by=c.user.login, at=c.now, basis="formal_request")
                    o.stage, o.probability = t.to_stage, view.probability
                    _open_stage(c, o, 1)
                else:
                    o.evaluator = None
            _opp_move(c, d, o, f"evaluate_{res}", effect)
            ev.result, ev.next_evaluator, ev.comment, ev.decided_at = res, nxt, comment, c.now
            if res == "forward":
                c.s.add(_new(m.Evaluation, opp_no=d.no, round=ev.round + 1, submitter=c.user.login, evaluator=nxt,
                                     submitted_at=c.now))
            return o.status
        return self._do(fn)

    # -- child documents (活动, 任务, 报价, 样品) ------------------------------------------------
    @_versioned
    def new_activity(self, opp, subject: str, act_type: str = "拜访", *, plan_start=None, result=None) -> str:
        """活动－新增 with 源单 = the opportunity: stamped with its current stage and counted there (R15).
        ``plan_start`` (计划开始) puts it on the schedule (:meth:`~crmlab.system.Desk.my_schedule`)."""
        if plan_start is not None:
            _ts(plan_start)

        def fn(c):
            d, o = c.opp(opp)
            c.require("activity", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "activity")
            a = c.new_doc("activity", subject=_need(subject, "subject", "活动主题"), customer_no=d.customer_no, src=d,
                          ref_no=d.no, stage=o.stage, data={"act_type": act_type, "plan_start": _jsonish(plan_start),
                                                            "result": result})
            c.link(d, a, "source")
            c.log("new_activity", a, None)
            _count(c, o, "n_activity", action="new_activity")
            return a.no
        return self._do(fn)

    @_versioned
    def new_task(self, opp, subject: str, executor: str | None = None, *, plan_start=None) -> str:
        """任务－新增 with 源单 = the opportunity (stamped with the current stage); assign with
        :meth:`assign_task` (R18). ``plan_start`` (计划开始) puts it on the schedule
        (:meth:`~crmlab.system.Desk.my_schedule`)."""
        if plan_start is not None:
            _ts(plan_start)

        def fn(c):
            d, o = c.opp(opp)
            c.require("task", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "task")
            t = c.new_doc("task", subject=_need(subject, "subject", "任务主题"), customer_no=d.customer_no, src=d,
                          ref_no=d.no, stage=o.stage, data={"executor": executor, "plan_start": _jsonish(plan_start)})
            c.link(d, t, "source")
            c.log("new_task", t, None)
            return t.no
        return self._do(fn)

    @_versioned
    def assign_task(self, task, executor: str) -> str:
        """向下分配: saved → 执行中 (R18)."""
        def fn(c):
            t = c.doc(task, "task")
            c.require("task", "save", t.owner_id, t.dept_id)
            ex = c.other_user(executor)
            with c.track(t, "assign_task"):
                c.move(t, "assign")
                t.data = {**t.data, "executor": ex.login}
            return t.status
        return self._do(fn)

    @_versioned
    def add_task_process(self, task, text: str) -> None:
        """处理过程 line of a task: counts as an activity of the task's stage (R20). Executor only."""
        def fn(c):
            t = c.doc(task, "task")
            lc.transition("task", t.status, "add_process")
            _executor(c, t)
            with c.track(t, "add_task_process"):
                c.move(t, "add_process")
                t.data = {**t.data, "process": [*t.data.get("process", []), {"at": c.now.isoformat(),
                                                                             "text": _need(text, "text", "内容")}]}
            o = c.s.get(m.Opportunity, t.ref_no)
            if o is not None and o.status == "open":
                _count(c, o, "n_activity", t.stage, action="add_task_process")
        return self._do(fn)

    @_versioned
    def complete_task(self, task, actual_start=None, actual_end=None) -> str:
        """【完成】: 执行中 → 已完成; needs actual start and end times (R19). Executor only."""
        def fn(c):
            t = c.doc(task, "task")
            lc.transition("task", t.status, "complete")
            _executor(c, t)
            start = actual_start if actual_start is not None else t.data.get("actual_start")
            end = actual_end if actual_end is not None else t.data.get("actual_end")
            if start is None or end is None:
                raise GuardFailed("ACTUAL_TIMES_REQUIRED", "fill in the actual start and end times before 完成 (R19)",
                                  "完成前必须填写实际开始时间和实际结束时间（R19）")
            s_, e_ = _ts(start), _ts(end)
            if e_ < s_ or e_ > c.now:
                raise GuardFailed("BAD_ACTUAL_TIMES", "need actual start ≤ actual end ≤ now",
                                  "需要 实际开始 ≤ 实际结束 ≤ 当前时间")
            with c.track(t, "complete_task"):
                c.move(t, "complete")
                t.data = {**t.data, "actual_start": s_.isoformat(), "actual_end": e_.isoformat()}
            o = c.s.get(m.Opportunity, t.ref_no)
            if o is not None and o.status == "open":
                _count(c, o, "n_task", t.stage, action="complete_task")
            return t.status
        return self._do(fn)

    @_versioned
    def new_quote_from_opportunity(self, opp) -> str:
        """【报价】 tab: a quote whose lines are copied from the interest lines (R21; none → refused)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("quote", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "quote")
            lines = c.lines(d.no)
            if not lines:
                raise GuardFailed("NO_INTEREST_LINES", "add interest products (兴趣范围) before quoting (R21)",
                                  "【潜在机会】中未添加兴趣范围的明细产品，无法新增报价单（R21）")
            q = _push(c, d, "quote", stage=o.stage, lines=lines)
            _count(c, o, "n_quote", action="push_down_quote")
            return q.no
        return self._do(fn)

    @_versioned
    def new_sample(self, opp, lines) -> str:
        """样品申请单: sample lines entered by hand with qty and unit price (R22); counted in the stage."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("sample", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "sample")
            if not lines:
                raise GuardFailed("NO_LINES", "a sample request needs lines (qty, unit price) (R22)",
                                  "样品申请单需要手工录入数量和单价（R22）")
            s_ = c.new_doc("sample", subject=d.subject, customer_no=d.customer_no, src=d, ref_no=d.no, stage=o.stage)
            s_.total = c.set_lines(s_, lines)
            c.link(d, s_, "source")
            c.log("new_sample", s_, None)
            _count(c, o, "n_sample", action="new_sample")
            return s_.no
        return self._do(fn)

    # -- stages, win, loss -----------------------------------------------------------------------
    @_versioned
    def set_stage_end(self, opp, when=None) -> None:
        """【销售阶段】 tab: set the current stage's actual end time (default: now) — the textbook's
        fix for the R16 error."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "advance", d.owner_id, d.dept_id)
            if o.status != "open":
                lc.transition("opportunity", o.status, "advance")
            row = _current_row(c, o)
            t = _ts(when) if when is not None else c.now
            if t > c.now or t < row.started_at:
                raise GuardFailed("BAD_STAGE_END", "the actual end must lie between the stage start and now",
                                  "实际结束时间须在阶段开始时间与当前时间之间")
            before, version = _raw(row), d.version
            row.actual_end = t
            c.touch(d)
            _log_tab(c, "set_stage_end", row, before, d, version)
        return self._do(fn)

    @_versioned
    def advance(self, opp, *, end_stage_now: bool = False) -> dict:
        """【阶段推进】: move to the next stage when the current stage's actual end is not later than
        now (R16; ``end_stage_now=True`` sets it to now first) and its conditions hold (strict:
        refused with :class:`crmlab.sales_method.ConditionsNotMet`; remind: warnings; R4). Returns
        the dialog of R17: next stage, its name, probability, warnings."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "advance", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "advance")
            row = _current_row(c, o)
            if end_stage_now:
                row.actual_end = c.now
            end = row.actual_end or row.planned_end
            if end > c.now:
                raise GuardFailed("STAGE_END_AFTER_NOW", "the current stage's actual end time must be before now (R16)",
                                  "当前阶段的实际结束时间应该在当前时间之前（R16）")
            view = _op_view(c, o, row)
            t = view.advance(by=c.user.login, at=c.now)
            meth = view.method

            def effect():
                o.stage, o.probability = t.to_stage, view.probability
                row.closed, row.warnings = True, list(t.warnings) or None
                row.actual_end = row.actual_end or c.now
                _open_stage(c, o, row.seq + 1)
            _opp_move(c, d, o, "advance", effect)
            st = meth.stage(t.to_stage)
            return {"stage": st.code, "stage_zh": st.name_zh, "probability": st.probability,
                    "warnings": list(t.warnings)}
        return self._do(fn)

    @_versioned
    def set_summary(self, opp, *, win_loss_date=None, win_reason: str | None = None,
                    lost_reason: str | None = None) -> None:
        """【项目总结】: win/loss date (输赢日期, not after today) and the win or loss reason."""
        def body(c, d, o):
            if win_loss_date is not None:
                day = _date(win_loss_date)
                if day > c.now.date():
                    raise GuardFailed("DATE_IN_FUTURE", "the win/loss date cannot be in the future", "输赢日期不能晚于今天")
                o.win_loss_date = day
            if win_reason is not None:
                o.win_reason = win_reason
            if lost_reason is not None:
                o.lost_reason = lost_reason
        return self._opp_edit(opp, "set_summary", body)

    @_versioned
    def win(self, opp, reason: str | None = None, date=None) -> str:
        """【赢单】: needs the 项目总结 win/loss date and a win reason (R23; given here or by
        :meth:`set_summary`) and, by default, the last stage. Probability 1 (Odoo: won stage, 100 %)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "close", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "win")
            day = _date(date) if date is not None else o.win_loss_date
            why = reason if reason is not None else o.win_reason
            if day is None:
                raise GuardFailed("WIN_DATE_REQUIRED", "fill in the win/loss date (输赢日期) of the project summary (R23)",
                                  "不填写项目总结页签的输赢日期，将无法进行赢单操作（R23）")
            if day > c.now.date():
                raise GuardFailed("DATE_IN_FUTURE", "the win/loss date cannot be in the future", "输赢日期不能晚于今天")
            view = _op_view(c, o)
            t = view.win(by=c.user.login, at=c.now, reason=why)

            def effect():
                o.win_loss_date, o.win_reason = day, str(why)
                o.probability, o.closed_at = 1.0, c.now
                row = _current_row(c, o)
                row.closed, row.actual_end = True, row.actual_end or c.now
            _opp_move(c, d, o, "win", effect)
            _ = t
            return o.status
        return self._do(fn)

    @_versioned
    def lose(self, opp, reason: str, date=None) -> str:
        """输单: probability 0, loss reason, archived (Odoo ``action_set_lost``); never deleted."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "close", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "lose")
            day = _date(date) if date is not None else c.now.date()
            if day > c.now.date():
                raise GuardFailed("DATE_IN_FUTURE", "the win/loss date cannot be in the future", "输赢日期不能晚于今天")
            view = _op_view(c, o)
            view.lose(by=c.user.login, at=c.now, reason=reason)

            def effect():
                o.win_loss_date, o.lost_reason = day, str(reason)
                o.probability, o.closed_at, o.active = 0.0, c.now, False
            _opp_move(c, d, o, "lose", effect)
            return o.status
        return self._do(fn)

    @_versioned
    def restore(self, opp) -> str:
        """Restore a lost opportunity at the stage where it was lost (Odoo ``action_restore``)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "close", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "restore")
            view = _op_view(c, o)
            view.restore(by=c.user.login, at=c.now)

            def effect():
                o.probability, o.closed_at, o.active = view.probability, None, True
                o.lost_reason, o.win_loss_date = None, None
            _opp_move(c, d, o, "restore", effect)
            return o.status
        return self._do(fn)


def _opp_move(c, d, o, action, effect):
    before_o = _raw(o)
    status = o.status
    with c.track(d, action):
        new = c.move(d, action)
        effect()
        o.status = new
        c.touch(d)
    c.log(action, o, before_o, status)


def _op_view(c, o: m.Opportunity, row: m.OppStage | None = None) -> op.Opportunity:
    """The opportunity as a :class:`crmlab.sales_method.Opportunity` (the shared domain model), with
    the current stage's counts as its activities, so its guards decide."""
    meth = c.crm._method(c.s, o.method_id)
    acts = []
    if row is not None:
        for kind, n in (("activity", row.n_activity), ("task", row.n_task), ("quote", row.n_quote),
                        ("sample", row.n_sample)):
            acts += [op.Activity(o.no, kind, row.stage, o.created_at, "")] * n
    status = {"evaluating": "potential", "failed": "potential"}.get(o.status, o.status)
    return op.Opportunity(o.no, customer_id=o.customer_no or "", expected_revenue=o.expected_revenue,
                          created_at=o.created_at, status=status, stage=o.stage if status != "potential" else None,
                          probability=o.probability if status == "open" else None,
                          lost_reason=o.lost_reason or "", method=meth, activities=acts)


def _current_row(c, o) -> m.OppStage:
    rows = c.rows(m.OppStage, order="seq", opp_no=o.no)
    return rows[-1] if rows else None


def _open_stage(c, o, seq):
    st = c.crm._method(c.s, o.method_id).stage(o.stage)
    c.s.add(_new(m.OppStage, opp_no=o.no, seq=seq, stage=o.stage, started_at=c.now,
                       planned_end=c.now + dt.timedelta(days=st.days), actual_end=None, closed=False, n_activity=0,
                       n_task=0, n_quote=0, n_sample=0))


def _count(c, o, column, stage=None, action=None):
    """Count a child document (activity, task, quote, sample) in the opportunity's stage row; the
    opportunity's version steps and the audit log names the opportunity (who changed it, when)."""
    if o.status != "open":
        return
    stage = stage or o.stage
    rows = c.rows(m.OppStage, order="seq", opp_no=o.no, stage=stage)
    row = rows[-1] if rows else None
    if row is not None:
        d = c.doc(o.no)
        before, version = _raw(row), d.version
        setattr(row, column, getattr(row, column) + 1)
        c.touch(d)
        _log_tab(c, action or f"count_{column}", row, before, d, version)


def _log_tab(c, action, row, before, d, version_before):
    """Audit entry of a change to a row of an opportunity's tab (e.g. its stage rows), naming the
    opportunity (doc type and number) and its version step."""
    c.log(action, row, before, None, doc_no=d.no, doc_type="opportunity")
    r = c.logs[-1]
    if d.version != version_before:
        r["before"]["version"], r["after"]["version"] = version_before, d.version


def _child_allowed(c, d, o, kind):
    allowed = lc.PUSH_DOWN[("opportunity", kind)][0]
    if o.status not in allowed:
        raise IllegalTransition("OPPORTUNITY_NOT_OPEN",
                                f"a {kind} needs an opportunity in status {allowed}, not {o.status}",
                                f"商机状态为「{lc.status_label(o.status)}」时不能新增{lc.DOC_TYPES[kind].zh}")


def _executor(c, t):
    if t.data.get("executor") != c.user.login:
        raise PermissionDenied("NOT_EXECUTOR", f"only the executor {t.data.get('executor')} may do this",
                               f"只有执行人 {t.data.get('executor')} 才能操作")
