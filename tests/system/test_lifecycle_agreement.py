"""The declared tables are the truth (issue 17): for EVERY document type, every status it can be
in (:func:`lifecycle.lifecycle_statuses`) and every action the tables declare for it (the rows of
:data:`lifecycle.LIFECYCLE` and :data:`lifecycle.PUSH_DOWN`), the engine allows the action exactly
when the table lists the status as a source. Each case runs in a batch that is rolled back, so all
cases start from the same database; the acting user is one the permission table allows.

"Allowed" means: the engine does not refuse on lifecycle grounds (another guard of the action may
still refuse, e.g. a missing payment plan). "Not allowed" means: IllegalTransition or ReadOnly, and
nothing changed. On SQLite and PostgreSQL.
"""
import datetime as dt

import pytest
import sqlalchemy as sa

from crmlab import opportunity as op
from crmlab import system
from crmlab.system import lifecycle as lc
from crmlab.system import models as m
from crmlab.system.demo import full_flow

from helpers import bilingual
from syshelpers import new_opportunity, open_opportunity

#: Codes meaning "the document's status does not allow this" (the lifecycle's refusals).
LIFECYCLE_CODES = {"ILLEGAL_TRANSITION", "READ_ONLY", "OPPORTUNITY_NOT_OPEN", "SOURCE_NOT_AUDITED", "MULTI_LEVEL"}
#: Declared rows that are side effects of another document's action, not actions of their own.
SIDE_EFFECTS = {("service_request", "on_accept"), ("service_request", "on_reject"), ("service_request", "on_handle")}

D = dt.timedelta


class _Rollback(Exception):
    pass


def _is_bilingual(err) -> bool:
    try:
        bilingual(err)
    except AssertionError:
        return False
    return True


def _declared_pairs():
    """(doc type, action, sources) of every declared row (creation — save — excepted) and of every
    push-down / creation from a source (action ``push:<target>``)."""
    pairs = {}
    for r in lc.LIFECYCLE:
        for t in r.doc_types:
            if r.action != "save" and (t, r.action) not in SIDE_EFFECTS:
                pairs.setdefault((t, r.action), r.sources)
    for (src, tgt), (sources, _rel) in lc.PUSH_DOWN.items():
        pairs[(src, f"push:{tgt}")] = sources
    return pairs


def _world(crm):
    """One document of each type (owned as the demo company would own it)."""
    zs, lj, wz = crm.login("zhangsan"), crm.login("lijingli"), crm.login("wangzong")
    zm, cj, lg, zg = crm.login("zhaomin"), crm.login("chenjing"), crm.login("liugong"), crm.login("zhougong")
    w = full_flow(crm, "甲方科技")
    cust, archive = w["customer"], w["archive"]
    w["opp_won"] = w["opportunity"]
    w["opp_potential"], _ = new_opportunity(crm, "乙方科技")
    w["opp_evaluating"], _ = new_opportunity(crm, "丙方科技")
    zs.submit_evaluation(w["opp_evaluating"], evaluator="lijingli")
    w["opp_failed"], _ = new_opportunity(crm, "丁方科技")
    zs.submit_evaluation(w["opp_failed"], evaluator="lijingli")
    lj.evaluate(w["opp_failed"], "fail")
    w["opp_open"], _ = open_opportunity(crm, "戊方科技")
    w["opp_lost"], _ = open_opportunity(crm, "己方科技")
    zs.lose(w["opp_lost"], "价格过高")
    crm.tick(hours=1)
    t = zs.new_task(w["opp_open"], "调研")
    zs.assign_task(t, "zhangsan")
    w["task"] = t
    w["lead"] = zs.new_lead("新意向", source="网站", customer_name="庚方科技", contact_name="钱工")
    w["competitor"] = zs.add_competitor("启明网安", industry="网络安全")
    w["price_list"] = zs.new_price_list(cust, [("R740", 1, 48_000)])
    w["project"] = zg.new_project(w["contract"], "实施项目")
    w["service_quote"] = cj.new_service_quote(cust, [("OPS", 1, 20_000)], level="SL01", archives=[archive])
    w["service_contract"] = cj.new_service_contract(cust, level="SL01", products=["R740"], archives=[archive],
                                                    amount=20_000)
    w["request"] = cj.new_service_request(cust, archive, "硬盘告警", required_by=crm.now.date() + D(days=3))
    r2 = cj.new_service_request(cust, archive, "风扇异响", required_by=crm.now.date() + D(days=3))
    cj.assign_request(r2, "chenjing")
    w["work_order"] = cj.dispatch(r2, "liugong")
    q = zm.add_question("服务满意吗", "判断题")
    s = zm.new_survey("满意度调查")
    zm.add_survey_item(s, q)
    w["question"], w["survey"] = q, s
    for kind in ("market_activity", "campaign", "care"):
        w[kind] = zm.new_market_activity(f"{kind} 活动", kind=kind)
    w["intelligence"] = zm.new_intelligence("竞品降价", "启明网安降价 10%", "强调服务")
    w["sample"] = crm.documents(doc_type="sample")["no"].iloc[0]
    _ = (wz, lg)
    return w


def _opp_for(status):
    return f"opp_{status}"


#: (doc type) → the world key of its document.
BASE = {"competitor": "competitor", "customer": "customer", "survey": "survey", "market_activity": "market_activity",
        "campaign": "campaign", "care": "care", "intelligence": "intelligence", "lead": "lead",
        "activity": "activity", "task": "task", "sample": "sample", "price_list": "price_list", "quote": "quote",
        "contract": "contract", "project": "project", "product_archive": "archive",
        "service_request": "request", "work_order": "work_order", "handling": "handling",
        "service_quote": "service_quote", "service_contract": "service_contract"}
#: Who audits a type (the permission table: a manager of the department, or the director).
AUDITOR = {"service_quote": "wangzong", "service_contract": "wangzong", "project": "wangzong"}
#: Who owns (edits, sends …) a type.
OWNER = {"survey": "zhaomin", "market_activity": "zhaomin", "campaign": "zhaomin", "care": "zhaomin",
         "intelligence": "zhaomin", "project": "zhougong", "product_archive": "chenjing",
         "service_request": "chenjing", "work_order": "liugong", "handling": "liugong",
         "service_quote": "chenjing", "service_contract": "chenjing"}


def _invoker(t, action, w, crm):
    """(login, callable(desk, no)) doing ``action`` on a document of type ``t``."""
    owner = OWNER.get(t, "zhangsan")
    auditor = AUDITOR.get(t, "lijingli")
    now = crm.now
    simple = {
        "edit": (owner, lambda d, no: d.edit_customer(no, industry="能源") if t == "customer" else d.edit(no, subject="改")),
        "audit": (auditor, lambda d, no: d.audit(no)),
        "enable_multi_audit": (owner, lambda d, no: d.enable_multi_audit(no, [auditor])),
        "approve": (auditor, lambda d, no: d.approve(no)),
        "unaudit": (auditor, lambda d, no: d.unaudit(no)),
        "close": ("chenjing", lambda d, no: d.close_request(no, 5)) if t == "service_request"
        else (auditor, lambda d, no: d.close(no)),
        "push_down": (owner, lambda d, no: d.push_down(no, next(tgt for (src, tgt), (_, rel) in lc.PUSH_DOWN.items()
                                                              if src == t and rel == "push_down"))),
        "send": (owner, lambda d, no: d.send_quote(no)),
        "cancel": (owner, lambda d, no: d.cancel_quote(no)),
        "set_trading": ("lijingli", lambda d, no: d.set_trading(no)),
        "set_profile": ("zhangsan", lambda d, no: d.set_profile(no, main_needs="服务器")),
        "add_contact": ("zhangsan", lambda d, no: d.add_contact(no, "孙工")),
        "add_credit": ("zhangsan", lambda d, no: d.add_credit(no, 100_000, "A")),
        "change_card": ("zhangsan", lambda d, no: d.change_card(no, "former", reason="停止合作")),
        "convert": ("zhangsan", lambda d, no: d.convert_lead(no, new_customer=True, new_contact=True)),
        "invalidate": ("zhangsan", lambda d, no: d.invalidate_lead(no, "重复")),
        "set_potential": ("zhangsan", lambda d, no: d.set_potential(no, need="更新需求")),
        "add_interest": ("zhangsan", lambda d, no: d.add_interest(no, "PSU", qty=1, price=1_200)),
        "set_summary": ("zhangsan", lambda d, no: d.set_summary(no, win_reason="方案好")),
        "submit_evaluation": ("zhangsan", lambda d, no: d.submit_evaluation(no, evaluator="lijingli")),
        "evaluate_forward": ("lijingli", lambda d, no: d.evaluate(no, "forward", next_evaluator="wangzong")),
        "evaluate_reject": ("lijingli", lambda d, no: d.evaluate(no, "reject")),
        "evaluate_pass": ("lijingli", lambda d, no: d.evaluate(no, "pass")),
        "evaluate_fail": ("lijingli", lambda d, no: d.evaluate(no, "fail")),
        "advance": ("zhangsan", lambda d, no: d.advance(no, end_stage_now=True)),
        "win": ("zhangsan", lambda d, no: d.win(no, reason="方案好", date=now.date())),
        "lose": ("zhangsan", lambda d, no: d.lose(no, "价格")),
        "restore": ("zhangsan", lambda d, no: d.restore(no)),
        "assign": (owner, lambda d, no: d.assign_task(no, "zhangsan") if t == "task" else d.assign_request(no, "chenjing")),
        "add_process": ("zhangsan", lambda d, no: d.add_task_process(no, "已联系")),
        "complete": ("zhangsan", lambda d, no: d.complete_task(no, actual_start=now, actual_end=now)),
        "execute": ("zhougong", lambda d, no: d.execute_project(no)),
        "advance_project": ("zhougong", lambda d, no: d.advance_project(no)),
        "close_project": ("zhougong", lambda d, no: d.close_project(no, "按期验收")),
        "dispatch": ("chenjing", lambda d, no: d.dispatch(no, "liugong")),
        "accept": ("liugong", lambda d, no: d.accept_work_order(no, "已确认")),
        "reject": ("liugong", lambda d, no: d.reject_work_order(no, "没空")),
        "handle": ("liugong", lambda d, no: d.handle_work_order(no, cause="风扇", action="更换")),
        "edit_dates": ("chenjing", lambda d, no: d.edit_archive(no, next_repair="2024-09-01")),
        "add_item": ("zhaomin", lambda d, no: d.add_survey_item(no, w["question"])),
        "generate": ("zhaomin", lambda d, no: d.generate_questionnaire(no)),
        "enter_response": ("zhaomin", lambda d, no: d.enter_response(no, {w["question"]: "是"})),
        "summarize": ("zhaomin", lambda d, no: d.summarize_survey(no)),
        "start": ("zhaomin", lambda d, no: d.start_activity(no)),
        "finish": ("zhaomin", lambda d, no: d.finish_activity(no)),
        "push:activity": ("zhangsan", lambda d, no: d.new_activity(no, "拜访")),
        "push:task": ("zhangsan", lambda d, no: d.new_task(no, "调研")),
        "push:quote": (owner, lambda d, no: d.new_quote_from_opportunity(no) if t == "opportunity"
                       else d.push_down(no, "quote")),
        "push:sample": ("zhangsan", lambda d, no: d.new_sample(no, [("R740", 1, 48_000)])),
        "push:contract": (owner, lambda d, no: d.push_down(no, "contract")),
        "push:project": ("zhougong", lambda d, no: d.new_project(no, "二期项目")),
        "push:service_contract": (owner, lambda d, no: d.push_down(no, "service_contract")),
        "push:work_order": ("chenjing", lambda d, no: d.dispatch(no, "liugong")),
        "push:handling": ("liugong", lambda d, no: d.handle_work_order(no, cause="风扇", action="更换")),
        "push:market_activity": ("zhaomin", lambda d, no: d.new_market_activity("调研后活动", survey=no)),
        "push:campaign": ("zhaomin", lambda d, no: d.new_campaign("调研后营销", survey=no)),
        "push:care": ("zhaomin", lambda d, no: d.new_care("调研后关怀", survey=no)),
        "push:opportunity": ("zhangsan", lambda d, no: d.convert_lead(no, new_customer=True, new_contact=True)),
    }
    return simple[action]


#: Statuses forced on a work order keep its service request consistent (the request follows it).
_REQUEST_OF_WORK_ORDER = {"pending": "dispatching", "accepted": "dispatched", "rejected": "assigned",
                          "handled": "handled"}


def _force(s, t, no, status, auditor):
    """Put document (or customer) ``no`` into ``status`` inside the batch session ``s``."""
    if t == "customer":
        s.get(m.Customer, no).status = status
        s.flush()
        return
    d = s.get(m.Document, no)
    d.status = status
    data = dict(d.data or {})
    if status == "auditing":
        d.audit_levels, d.audit_step = [auditor], 0
    if t == "project" and status in ("executing", "closed") and data.get("stage_index") is None:
        data["stage_index"] = 0
    if t == "task" and data.get("executor") is None:
        data["executor"] = "zhangsan"
    d.data = data
    if t == "work_order":
        s.get(m.Document, d.src_no).status = _REQUEST_OF_WORK_ORDER[status]
    s.flush()


def _snapshot(crm):
    with crm._read() as s:
        return (tuple(s.execute(sa.select(m.Document.no, m.Document.status, m.Document.version, m.Document.total)
                                .order_by(m.Document.no)).all()),
                tuple(s.execute(sa.select(m.Customer.no, m.Customer.status, m.Customer.version)
                                .order_by(m.Customer.no)).all()),
                s.scalar(sa.select(sa.func.count()).select_from(m.AuditLog)),
                s.scalar(sa.select(sa.func.count()).select_from(m.DocLine)),
                s.scalar(sa.select(sa.func.count()).select_from(m.Contact)))


def _run_case(crm, w, t, action, status):
    """Run ``action`` on a ``t`` document in ``status``; returns (outcome, changed?) and rolls back."""
    login, fn = _invoker(t, action, w, crm)
    auditor = AUDITOR.get(t, "lijingli")
    key = _opp_for(status) if t == "opportunity" else BASE[t]
    no = w[key]
    result = {}
    try:
        with crm.batch():
            if t != "opportunity":
                _force(crm._batch, t, no, status, auditor)
            before = _snapshot(crm)
            try:
                fn(crm.login(login), no)
                result["outcome"] = None
            except Exception as err:                  # noqa: BLE001 - classified by the caller
                result["outcome"] = err
            result["changed"] = _snapshot(crm) != before
            raise _Rollback
    except _Rollback:
        pass
    return result["outcome"], result["changed"]


#: Types no role may edit at all (no ``save``/``maintain`` row): their ``edit`` is refused by the
#: permission table first, whatever the status (an archive changes through edit_archive, R29).
NOBODY_EDITS = {"product_archive", "work_order", "handling"}


def _nobody_may(t, action, err) -> bool:
    if action != "edit" or t not in NOBODY_EDITS:
        return False
    from crmlab.system.permissions import PERMISSIONS
    assert not PERMISSIONS.get((t, "save")) and not PERMISSIONS.get((t, "maintain"))
    return isinstance(err, system.PermissionDenied) and err.code == "ROLE_FORBIDDEN"


def _lifecycle_refusal(err) -> bool:
    return isinstance(err, (system.IllegalTransition, op.IllegalTransition, system.ReadOnly)) \
        and getattr(err, "code", None) in LIFECYCLE_CODES


def test_every_declared_pair_has_an_invoker(crm):
    """A new declared row without an engine action (or a test case) fails here."""
    w = {"question": "DCTK000001"}
    missing = []
    for (t, action) in _declared_pairs():
        try:
            _invoker(t, action, w, crm)
        except KeyError:
            missing.append((t, action))
    assert missing == []
    assert set(BASE) | {"opportunity", "question"} == set(lc.DOC_TYPES)


def test_engine_allows_exactly_what_the_tables_declare(crm):
    w = _world(crm)
    pairs = _declared_pairs()
    disagreements, checked = [], 0
    for (t, action), sources in sorted(pairs.items()):
        for status in lc.lifecycle_statuses(t):
            err, changed = _run_case(crm, w, t, action, status)
            checked += 1
            if _nobody_may(t, action, err):
                assert not changed
                continue
            if status in sources:
                if _lifecycle_refusal(err):
                    disagreements.append((t, status, action, "declared allowed, engine refused", str(err)[:160]))
                elif err is not None and not isinstance(err, system.CRMError) \
                        and not isinstance(err, op.OpportunityError):
                    disagreements.append((t, status, action, "raw error", repr(err)[:160]))
            else:
                if not isinstance(err, (system.IllegalTransition, op.IllegalTransition, system.ReadOnly)):
                    disagreements.append((t, status, action, "declared refused, engine did "
                                          + ("it" if err is None else type(err).__name__), str(err)[:160]))
                elif changed:
                    disagreements.append((t, status, action, "refused but changed something", str(err)[:160]))
                elif not _is_bilingual(err):
                    disagreements.append((t, status, action, "not bilingual", str(err)[:160]))
    assert disagreements == [], "\n".join(map(str, disagreements))
    assert checked > 400


def test_multi_level_audit_keeps_the_department_rule(crm):
    """An approver must pass the rule audit enforces: a manager of another department may neither be
    named nor approve (before: enable_multi_audit + approve bypassed it)."""
    from syshelpers import refused
    crm.login("admin").add_user("zhaojingli", "赵经理", "sales_manager", dept="D02")
    zs, zj = crm.login("zhangsan"), crm.login("zhaojingli")
    pl = zs.new_price_list("KH000001", [("R740", 1, 48_000)])
    refused(crm, system.PermissionDenied, zj.audit, pl, code="NOT_OWNER")                # the rule of audit
    refused(crm, system.GuardFailed, zs.enable_multi_audit, pl, ["zhaojingli"], code="APPROVER_CANNOT_AUDIT")
    refused(crm, system.GuardFailed, zs.enable_multi_audit, pl, ["lijingli", "zhaojingli"],
            code="APPROVER_CANNOT_AUDIT")
    with crm.engine.begin() as con:            # named before the rule (an old database): approve re-checks
        con.execute(sa.update(m.Document).where(m.Document.no == pl)
                    .values(status="auditing", audit_levels=["zhaojingli"], audit_step=0))
    refused(crm, system.PermissionDenied, zj.approve, pl, code="APPROVER_CANNOT_AUDIT")
    with crm.engine.begin() as con:
        con.execute(sa.update(m.Document).where(m.Document.no == pl).values(status="saved", audit_levels=None))
    assert zs.enable_multi_audit(pl, ["lijingli", "wangzong"]) == "auditing"
    assert crm.login("lijingli").approve(pl) == "auditing"
    assert crm.login("wangzong").approve(pl) == "audited"


def test_opportunity_tabs_follow_the_table(crm):
    from syshelpers import refused
    opp, cust = open_opportunity(crm)
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    assert lc.rule("opportunity", "set_potential").sources == ("potential", "open")      # declared: R21
    zs.set_potential(opp, need="执行中修改")
    zs.add_interest(opp, "PSU", qty=1, price=1_200)
    zs.set_summary(opp, win_reason="方案好")                                      # 项目总结: declared from open
    zs.lose(opp, "价格")
    refused(crm, system.ReadOnly, zs.set_potential, opp, need="输单后修改", code="READ_ONLY")
    refused(crm, system.ReadOnly, zs.add_interest, opp, "PSU", qty=1, price=1_200, code="READ_ONLY")
    refused(crm, system.ReadOnly, zs.edit, opp, subject="改名", code="READ_ONLY")
    refused(crm, system.ReadOnly, zs.edit_customer, cust, industry="能源", code="READ_ONLY")   # audited customer
    lj.unaudit(cust)
    zs.edit_customer(cust, industry="能源")
    assert crm.doc(cust)["industry"] == "能源"
