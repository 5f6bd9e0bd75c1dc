"""The 埃佛特 (Everfort) scenario of labs/04_system, replayable step by step, and a seeded history.

The graded notebooks of lab 04 start part-way through one story: 埃佛特信息科技 sells servers and a
firewall to 江南重工集团 (the textbook's opportunity "服务器购买意愿", task 13.3‑3), then quotes,
signs, delivers and services it (task 14). :func:`until` replays that story up to a named step,
each action done **by the right user** (张三 the rep, 李经理 the manager, 王总 the director, 陈静
the service desk, 刘工 the engineer) on the CRM's own clock, and returns the document numbers. The
steps and their order are those of :func:`crmlab.system.demo.full_flow` (same actions, same users,
plus 张三 completing the new customer's industry and region; :data:`STEPS` lists them); here the
clock moves by working days and hours between steps, so the audit log reads like a real sales
cycle (the textbook prints no dates: the timeline is crmlab's).

:func:`populate` writes a seeded, deterministic **history** for the reports of task 15 —
customers created over the months, opportunities of three salespeople in two departments that
end as 未评估, 不通过, open at each stage, 赢单 (with an audited contract) or 输单, and service
requests closed with a satisfaction score — through the ordinary desk actions only (so every
rule holds and the audit log is complete). It runs a few hundred actions in one
:meth:`~crmlab.system.CRM.batch` (one transaction, a savepoint per action: about a second). It
lives in :mod:`crmlab.system.demo_company` (the living demo company is built on it) and is
re-exported here, as is :func:`clock`.

Example
-------
>>> from crmlab import system
>>> from crmlab.system import scenario
>>> crm = system.open(":memory:", demo=True)
>>> nos = scenario.until(crm, "won")
>>> crm.status(nos["opportunity"]), crm.status(nos["quote"]), crm.doc(nos["customer"])["name"]
('赢单', '已保存', '江南重工集团')
>>> sorted(nos)
['activity', 'contact', 'customer', 'lead', 'opportunity', 'quote', 'sample', 'task']
>>> print(crm.now)
2024-03-25 15:00:00
>>> crm.check_invariants()
[]

The step groups compute what the exercises of lab 04·02 and 04·03 ask (convert a lead, evaluate, advance
the stages, win, sign the contract, service the product), so each is marked with
:func:`crmlab.shortcuts.computes`: a graded answer that replays them earns nothing for that exercise,
while a given cell may still replay the earlier steps an exercise builds on.

>>> from crmlab import shortcuts
>>> {"crm_lead_to_opportunity", "crm_sales_stages", "crm_win"} <= shortcuts.called()
True
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from crmlab.shortcuts import computes

from .demo_company import OPEN_STAGES, OUTCOMES, SCENARIO_CUSTOMER, clock, populate
from .errors import GuardFailed

__all__ = ["STEPS", "CUSTOMER", "CONTACT", "OPPORTUNITY", "steps_table", "until", "clock", "populate"]

#: The scenario's customer, contact and opportunity subject (textbook task 13.3‑3; the customer and
#: contact names are crmlab's, the textbook gives none).
CUSTOMER, CONTACT, OPPORTUNITY = SCENARIO_CUSTOMER, "钱工", "服务器购买意愿"

#: The steps in order: (step, 中文, who acts, what happens). ``until(crm, step)`` runs every step up
#: to and including ``step``.
STEPS = (
    ("lead", "线索", "张三", "records the lead 服务器购买意愿 (来源 市场活动, customer 江南重工集团, contact 钱工)"),
    ("opportunity", "转化", "张三", "converts the lead (新增客户, 新增联系人): opportunity 未评估; customer data completed"),
    ("trading", "交易客户", "李经理", "audits the new customer and marks it 交易客户 (R34)"),
    ("potential", "潜在机会", "张三", "expected close in 90 days, interest 高; lines R740 × 2 @48,000, FW-3000 × 1 @36,000"),
    ("evaluated", "评估", "张三 → 李经理 → 王总", "提交评估; 通过，转下一评估人; 通过，评估结束 → 执行中 at 了解情况"),
    ("activity", "活动", "张三", "visit 初次拜访，了解机房现状, then 阶段推进 → 预研阶段"),
    ("task", "任务", "张三", "task 机房环境调研报告 assigned and completed, then 阶段推进 → 制作方案"),
    ("quote", "报价", "张三", "quote from the opportunity (lines copied, R21), then 阶段推进 → 投标阶段"),
    ("sample", "样品", "张三", "sample request R740 × 1, then 阶段推进 → 签约阶段"),
    ("won", "赢单", "张三", "项目总结 (赢单原因, 输赢日期) and 赢单 (R23)"),
    ("contract", "合同", "李经理, 张三", "quote audited, pushed down to a contract; 结算方式, 收款计划 30/60/10 %; audited"),
    ("archive", "产品档案", "陈静", "product archive registered: R740 × 2 for 江南重工集团"),
    ("service", "服务", "陈静 → 刘工", "request 服务器无法开机 → 分配 → 派工 刘工 → 接受 → 处理 (电源模块 × 1)"),
)
_ORDER = [s[0] for s in STEPS]

_CAST = {"rep": "zhangsan", "manager": "lijingli", "director": "wangzong", "service": "chenjing",
         "engineer": "liugong"}


def steps_table() -> pd.DataFrame:
    """The scenario's steps as a table (step, 中文, who, what), to print in a notebook.

    >>> steps_table()["step"].tolist()[:5]
    ['lead', 'opportunity', 'trading', 'potential', 'evaluated']
    """
    return pd.DataFrame(STEPS, columns=["step", "步骤", "who", "what"])


def _at(crm, days: float = 0, hour: int | None = None, minute: int = 0):
    """Move to ``days`` later at ``hour:minute`` (an hour past 23 runs into the next day), or by
    ``days`` only; never backwards."""
    t = crm.now + dt.timedelta(days=days)
    if hour is not None:
        t = t.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(hours=hour, minutes=minute)
    if t > crm.now:
        crm.set_clock(t)


def until(crm, step: str = "won", *, customer: str = CUSTOMER, contact: str = CONTACT,
          subject: str = OPPORTUNITY) -> dict:
    """Replay the scenario from its beginning up to ``step`` (one of :data:`STEPS`, inclusive).

    Starts at the CRM's current time (the demo clock starts on 2024-03-01 09:00) and moves the
    clock between steps. Returns the document numbers made so far: ``lead``, ``opportunity``,
    ``customer``, ``contact`` (contact id), ``activity``, ``task``, ``quote``, ``sample``,
    ``contract``, ``archive``, ``service_request``, ``work_order``, ``handling``. Run it once
    per database (the customer is new); a different ``customer`` name gives a second, parallel story.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = until(crm, "evaluated")
    >>> d = crm.doc(nos["opportunity"])
    >>> d["status_zh"], d["stage"], d["expected_revenue"]
    ('执行中', 'understanding', 132000.0)
    >>> until(crm, "invoice")
    Traceback (most recent call last):
    ...
    crmlab.system.errors.GuardFailed: 未知的场景步骤 'invoice' / unknown scenario step 'invoice'; use one of ['lead', ...]
    """
    if step not in _ORDER:
        raise GuardFailed("UNKNOWN_STEP", f"unknown scenario step {step!r}; use one of {_ORDER}",
                          f"未知的场景步骤 {step!r}")
    last = _ORDER.index(step)
    out: dict = {}
    for first, group in _GROUPS:
        if _ORDER.index(first) > last:
            break
        group(crm, out, last, customer=customer, contact=contact, subject=subject)
    return out


def _reached(name: str, last: int) -> bool:
    """Whether step ``name`` lies beyond the last step asked for."""
    return _ORDER.index(name) > last


def _desks(crm):
    return (crm.login(_CAST[k]) for k in ("rep", "manager", "director"))


# The step groups of :func:`until`. Each computes what an exercise of lab 04·02 or 04·03 asks, so each is
# marked with the concept it computes (crmlab.shortcuts): a graded answer that replays them earns nothing.
@computes("crm_lead_to_opportunity", "线索转化为商机并设为交易客户", "lead converted to an opportunity, trading customer")
def _convert(crm, out, last, *, customer, contact, subject, **_):
    """Steps lead, opportunity, trading (task 13.2)."""
    zs, lj, _wz = _desks(crm)
    out["lead"] = lead = zs.new_lead(subject, source="市场活动", customer_name=customer, contact_name=contact)
    if _reached("opportunity", last):
        return
    _at(crm, hour=crm.now.hour, minute=30)
    out["opportunity"] = opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    out["customer"] = cust = crm.doc(opp)["customer_no"]
    out["contact"] = crm.doc(opp)["contact_id"]
    zs.edit_customer(cust, industry="制造", region="华东")         # the basic data the lead did not carry
    if _reached("trading", last):
        return
    _at(crm, hour=crm.now.hour + 1)
    lj.audit(cust)
    lj.set_trading(cust)


@computes("crm_potential", "潜在机会与兴趣范围", "potential opportunity and interest lines")
def _potential(crm, out, last, **_):
    """Step potential (task 13.3‑1)."""
    zs, _lj, _wz = _desks(crm)
    opp = out["opportunity"]
    _at(crm, hour=14)
    zs.set_potential(opp, expected_close=crm.now.date() + dt.timedelta(days=90), source="市场活动", interest="高",
                     need="替换老旧服务器并加固边界安全")
    zs.add_interest(opp, "R740", qty=2, price=48_000)
    zs.add_interest(opp, "FW-3000", qty=1, price=36_000)


@computes("crm_opportunity_evaluation", "商机评估", "opportunity evaluation")
def _evaluate(crm, out, last, **_):
    """Step evaluated (task 13.3‑2): two rounds."""
    zs, lj, wz = _desks(crm)
    opp = out["opportunity"]
    _at(crm, days=3, hour=9)
    zs.submit_evaluation(opp, evaluator=_CAST["manager"])
    _at(crm, hour=11)
    lj.evaluate(opp, "通过，转下一评估人", next_evaluator=_CAST["director"])
    _at(crm, days=1, hour=10)
    wz.evaluate(opp, "通过，评估结束")


@computes("crm_sales_stages", "销售阶段推进", "advancing the sales stages")
def _stages(crm, out, last, **_):
    """Steps activity, task, quote, sample (task 13.3‑3)."""
    zs, _lj, _wz = _desks(crm)
    opp = out["opportunity"]
    _at(crm, days=1, hour=10)
    out["activity"] = zs.new_activity(opp, "初次拜访，了解机房现状")
    _at(crm, hour=17)
    zs.advance(opp, end_stage_now=True)
    if _reached("task", last):
        return
    _at(crm, days=1, hour=9)
    out["task"] = task = zs.new_task(opp, "机房环境调研报告")
    zs.assign_task(task, _CAST["rep"])
    start = crm.now
    _at(crm, days=5, hour=16)
    zs.complete_task(task, actual_start=start, actual_end=crm.now)
    _at(crm, hour=17, minute=30)
    zs.advance(opp, end_stage_now=True)
    if _reached("quote", last):
        return
    _at(crm, days=2, hour=10)
    out["quote"] = zs.new_quote_from_opportunity(opp)
    _at(crm, hour=16)
    zs.advance(opp, end_stage_now=True)
    if _reached("sample", last):
        return
    _at(crm, days=4, hour=10)
    out["sample"] = zs.new_sample(opp, [("R740", 1, 48_000)])
    _at(crm, days=2, hour=17)
    zs.advance(opp, end_stage_now=True)


@computes("crm_win", "赢单", "winning the opportunity")
def _win(crm, out, last, **_):
    """Step won (task 13.3‑4)."""
    zs, _lj, _wz = _desks(crm)
    _at(crm, days=5, hour=15)
    zs.win(out["opportunity"], reason="方案契合、响应及时", date=crm.now.date())


@computes("crm_contract", "报价下推合同与收款计划", "quote pushed down to a contract, payment plan")
def _contract(crm, out, last, **_):
    """Step contract (task 14.1)."""
    zs, lj, _wz = _desks(crm)
    quote = out["quote"]
    _at(crm, days=1, hour=10)
    lj.audit(quote)
    _at(crm, hour=10, minute=30)
    out["contract"] = contract = zs.push_down(quote, "contract")
    zs.set_contract_terms(contract, settlement="银行转账", terms="货到验收后付款")
    day = crm.now.date()
    zs.set_payment_plan(contract, [(day, 0.3), (day + dt.timedelta(days=60), 0.6), (day + dt.timedelta(days=365), 0.1)])
    _at(crm, hour=16)
    lj.audit(contract)


@computes("crm_service", "产品档案与服务请求处理", "product archive and service request handling")
def _service_steps(crm, out, last, **_):
    """Steps archive and service (task 14.2‑2)."""
    cj, lg = crm.login(_CAST["service"]), crm.login(_CAST["engineer"])
    cust = out["customer"]
    _at(crm, days=20, hour=10)
    out["archive"] = archive = cj.register_product_archive(cust, "R740", 2)
    if _reached("service", last):
        return
    _at(crm, days=30, hour=9)
    out["service_request"] = req = cj.new_service_request(cust, archive, "服务器无法开机",
                                                          required_by=crm.now.date() + dt.timedelta(days=2))
    cj.assign_request(req, _CAST["service"])
    _at(crm, hour=9, minute=15)
    out["work_order"] = wo = cj.dispatch(req, _CAST["engineer"])
    _at(crm, hour=10)
    lg.accept_work_order(wo, "已电话确认故障现象")
    _at(crm, hour=15)
    out["handling"] = lg.handle_work_order(wo, cause="电源模块故障", action="更换电源模块", parts=[("PSU", 1)])


#: (first step, group) in order: :func:`until` runs the groups whose first step it reaches.
_GROUPS = (("lead", _convert), ("potential", _potential), ("evaluated", _evaluate), ("activity", _stages),
           ("won", _win), ("contract", _contract), ("archive", _service_steps))
