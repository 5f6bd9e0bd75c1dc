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
:meth:`~crmlab.system.CRM.batch` (one transaction, a savepoint per action: about a second).

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

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes

from .errors import GuardFailed

__all__ = ["STEPS", "CUSTOMER", "CONTACT", "OPPORTUNITY", "steps_table", "until", "clock", "populate"]

#: The scenario's customer, contact and opportunity subject (textbook task 13.3‑3; the customer and
#: contact names are crmlab's, the textbook gives none).
CUSTOMER, CONTACT, OPPORTUNITY = "江南重工集团", "钱工", "服务器购买意愿"

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


def clock(crm, when) -> dt.datetime:
    """Move the CRM clock to ``when`` unless it is already later (then leave it); returns now.

    Unlike :meth:`CRM.set_clock` this never refuses, so a notebook cell that sets the scene can be
    run twice.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> clock(crm, "2024-03-04 09:00"), clock(crm, "2024-03-02")
    (datetime.datetime(2024, 3, 4, 9, 0), datetime.datetime(2024, 3, 4, 9, 0))
    """
    t = pd.Timestamp(when).to_pydatetime()
    return crm.set_clock(t) if t > crm.now else crm.now


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


# --------------------------------------------------------------------------------------------
# A seeded history for the reports (task 15)
# --------------------------------------------------------------------------------------------
_CITIES = ("苏州", "杭州", "合肥", "武汉", "成都", "重庆", "西安", "青岛", "厦门", "长沙", "南昌", "郑州", "天津", "宁波",
           "无锡", "济南")
_TRADES = (("智能制造", "制造"), ("精密机械", "制造"), ("物流", "物流"), ("能源", "能源"), ("电力", "能源"),
           ("医药", "医药"), ("农商银行", "金融"), ("证券", "金融"), ("港务", "交通"), ("地铁", "交通"))
_REGIONS = {"苏州": "华东", "杭州": "华东", "合肥": "华东", "武汉": "华中", "成都": "西南", "重庆": "西南", "西安": "西北",
            "青岛": "华东", "厦门": "华南", "长沙": "华中", "南昌": "华中", "郑州": "华中", "天津": "华北", "宁波": "华东",
            "无锡": "华东", "济南": "华北"}
_OWNERS = (("zhangsan", "lijingli"), ("lisi", "lijingli"), ("lijingli", "wangzong"))     # owner, evaluator
_PRODUCTS = (("R740", 48_000), ("FW-3000", 36_000), ("SW-24", 6_800), ("OPS", 20_000))
_SUBJECTS = ("服务器扩容", "边界安全加固", "数据中心升级", "网络改造", "运维服务外包", "灾备建设")
_LOST = ("价格高于竞争对手", "预算取消", "选择了竞争对手", "需求延期")
#: Outcomes of a populated opportunity and their shares (crmlab's choice).
OUTCOMES = {"potential": 0.05, "failed": 0.05, "open": 0.42, "won": 0.30, "lost": 0.18}
#: Shares of the open opportunities by stage 了解情况 … 签约阶段: a funnel (crmlab's choice).
OPEN_STAGES = (0.35, 0.25, 0.20, 0.12, 0.08)


def _quota(n: int, shares) -> list[int]:
    """Split ``n`` into whole counts proportional to ``shares`` (largest remainder).

    >>> _quota(10, (0.35, 0.25, 0.2, 0.12, 0.08))
    [4, 2, 2, 1, 1]
    """
    raw = [n * s / sum(shares) for s in shares]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[:n - sum(out)]:
        out[i] += 1
    return out


def _engineers(crm) -> list[str]:
    users = crm.users()
    if "sungong" not in set(users["login"]):
        crm.login("admin").add_user("sungong", "孙工", "engineer", dept="D04", employee_code="E403")
    return ["liugong", "sungong"]


def _walk(crm, desk, opp, to_stage: int, owner: str):
    """Advance an open opportunity from 了解情况 to stage number ``to_stage`` (1–5)."""
    out = {}
    for k in range(1, to_stage):
        if k == 1:
            desk.new_activity(opp, "客户拜访")
        elif k == 2:
            task = desk.new_task(opp, "需求调研")
            desk.assign_task(task, owner)
            crm.tick(hours=2)
            desk.complete_task(task, actual_start=crm.now - dt.timedelta(hours=2), actual_end=crm.now)
        elif k == 3:
            out["quote"] = desk.new_quote_from_opportunity(opp)
        crm.tick(hours=1)
        desk.advance(opp, end_stage_now=True)
    return out


def populate(crm, n: int = 30, seed: int = 0, months: int = 24) -> pd.DataFrame:
    """Write a seeded history of ``n`` opportunities over ``months`` months from the CRM's clock.

    Through the ordinary desk actions only: new customers (saved by their salesperson, audited and
    made 交易客户 by 李经理) for about a third of the opportunities, the others for existing trading
    customers; each opportunity gets its 潜在机会 and interest lines, then ends as one of
    :data:`OUTCOMES` — 未评估, 不通过, open at a stage, 赢单 at the last stage followed by an audited
    contract (30/70 % payment plan), or 输单 at one of the first three stages. The outcomes come in
    the exact shares of :data:`OUTCOMES` (in a seeded order) and the open opportunities are spread
    over the stages in the shares of :data:`OPEN_STAGES`, the older ones further on — so the funnel
    narrows. About 40 % of the won deals with equipment (none in the last 70 days) get a product
    archive and a service request (dispatched to 刘工 or 孙工 — an engineer added once if missing —
    accepted, handled and closed with a satisfaction score 1–5). Salespeople: 张三 and 李经理
    (销售一部), 李四 (销售二部); work happens in office hours. The same CRM state and seed always give
    the same history; the clock ends ``months`` later.

    Returns one row per opportunity: ``opportunity``, ``customer_no``, ``owner``, ``outcome``,
    ``stage`` (reached), ``contract`` and ``service_request`` (or None).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True, clock="2022-03-01 09:00")
    >>> plan = populate(crm, n=8, seed=1)
    >>> plan["outcome"].value_counts().sort_index().to_dict()
    {'lost': 2, 'open': 3, 'potential': 1, 'won': 2}
    >>> print(crm.now), crm.check_invariants()
    2024-03-01 09:00:00
    (None, [])
    """
    if n < 1:
        raise GuardFailed("BAD_N", "n must be at least 1", "n 至少为 1")
    rng = np.random.default_rng(seed)
    start = crm.now
    end = (pd.Timestamp(start) + pd.DateOffset(months=months)).to_pydatetime()
    hours = int((end - start).total_seconds() // 3600)
    # creation times, spread over the period (sorted), on working hours
    offsets = np.sort(rng.integers(0, int(hours * 0.97), n))
    engineers = _engineers(crm)
    admin_desks = {u: crm.login(u) for u in ("lijingli", "wangzong", "chenjing", *engineers)}
    existing = crm.customers()
    names = set(existing["name"])
    trading = existing.loc[(existing["status"] == "audited") & existing["is_trading"], "no"].tolist()
    # outcomes in exact shares, in a seeded order; the open ones more advanced the older they are
    drawn = [o for o, k in zip(OUTCOMES, _quota(n, OUTCOMES.values())) for _ in range(k)]
    drawn = [drawn[i] for i in rng.permutation(n)]
    n_open = drawn.count("open")
    stages = [k + 1 for k, c in enumerate(_quota(n_open, OPEN_STAGES)) for _ in range(c)][::-1]
    rows = []
    with crm.batch():
        for i in range(n):
            t = start + dt.timedelta(hours=int(offsets[i]))
            hour = 9 + int(rng.integers(0, 8))
            t = t.replace(hour=hour, minute=0, second=0, microsecond=0)
            if t <= crm.now:                      # the previous deal ran past it: the next working morning
                t = (crm.now + dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
            clock(crm, t)
            owner, evaluator = _OWNERS[int(rng.integers(0, len(_OWNERS)))]
            desk = crm.login(owner)
            # customer: new (one in three, or when there is none) or an existing trading customer
            if not trading or rng.random() < 0.3:
                for _ in range(50):
                    city = _CITIES[int(rng.integers(0, len(_CITIES)))]
                    trade, industry = _TRADES[int(rng.integers(0, len(_TRADES)))]
                    name = f"{city}{trade}集团" if rng.random() < 0.5 else f"{city}{trade}有限公司"
                    if name not in names and name != CUSTOMER:
                        break
                names.add(name)
                cust = desk.new_customer(name, industry=industry, region=_REGIONS[city], source="电话营销")
                admin_desks["lijingli"].audit(cust)
                admin_desks["lijingli"].set_trading(cust)
                trading.append(cust)
            else:
                cust = trading[int(rng.integers(0, len(trading)))]
            outcome = drawn[i]
            subject = _SUBJECTS[int(rng.integers(0, len(_SUBJECTS)))]
            opp = desk.new_opportunity(subject, cust, source="市场活动")
            desk.set_potential(opp, expected_close=crm.now.date() + dt.timedelta(days=int(rng.integers(30, 150))),
                               source="市场活动", interest=("高", "中", "低")[int(rng.integers(0, 3))])
            picks = rng.choice(len(_PRODUCTS), size=int(rng.integers(1, 3)), replace=False)
            for j in sorted(picks):
                code, price = _PRODUCTS[j]
                qty = int(rng.integers(1, 7)) if code != "OPS" else int(rng.integers(1, 4))
                desk.add_interest(opp, code, qty=qty, price=round(price * float(rng.uniform(0.9, 1.0)), -2))
            row = {"opportunity": opp, "customer_no": cust, "owner": owner, "outcome": outcome, "stage": None,
                   "contract": None, "service_request": None}
            if outcome != "potential":
                desk.submit_evaluation(opp, evaluator=evaluator)
                crm.tick(hours=2)
                admin_desks[evaluator].evaluate(opp, "fail" if outcome == "failed" else "pass")
            if outcome in ("open", "won", "lost"):
                if outcome == "open":
                    to_stage = stages.pop(0)
                else:
                    to_stage = 5 if outcome == "won" else int(rng.integers(1, 4))
                crm.tick(days=1)
                made = _walk(crm, desk, opp, to_stage, owner)
                row["stage"] = crm.doc(opp)["stage"]
                crm.tick(days=1)
                if outcome == "lost":
                    desk.lose(opp, _LOST[int(rng.integers(0, len(_LOST)))])
                elif outcome == "won":
                    desk.win(opp, reason="方案与价格均有优势", date=crm.now.date())
                    approver = admin_desks["wangzong" if owner == "lisi" else "lijingli"]
                    approver.audit(made["quote"])
                    contract = desk.push_down(made["quote"], "contract")
                    desk.set_contract_terms(contract, settlement="银行转账")
                    day = crm.now.date()
                    desk.set_payment_plan(contract, [(day, 0.3), (day + dt.timedelta(days=90), 0.7)])
                    approver.audit(contract)
                    row["contract"] = contract
                    equipment = [p for p in crm.lines(contract)["product"] if p in ("R740", "FW-3000", "SW-24")]
                    if equipment and rng.random() < 0.4 and crm.now + dt.timedelta(days=70) <= end:
                        row["service_request"] = _service(crm, rng, admin_desks, engineers, cust, equipment[0])
            rows.append(row)
    clock(crm, end)
    return pd.DataFrame(rows, columns=["opportunity", "customer_no", "owner", "outcome", "stage", "contract",
                                       "service_request"], dtype=object)


def _service(crm, rng, desks, engineers, cust, product) -> str:
    cj = desks["chenjing"]
    crm.tick(days=7)
    archive = cj.register_product_archive(cust, product, 1)
    crm.tick(days=int(rng.integers(10, 60)))
    req = cj.new_service_request(cust, archive, ("设备无法启动", "性能下降", "告警灯亮起")[int(rng.integers(0, 3))],
                                 required_by=crm.now.date() + dt.timedelta(days=3))
    cj.assign_request(req, "chenjing")
    engineer = engineers[int(rng.integers(0, len(engineers)))]
    wo = cj.dispatch(req, engineer)
    eng = desks[engineer]
    crm.tick(hours=2)
    eng.accept_work_order(wo, "已电话确认")
    crm.tick(hours=int(rng.integers(2, 30)))
    eng.handle_work_order(wo, cause="部件故障", action="更换部件", parts=[("PSU", 1)] if rng.random() < 0.5 else ())
    crm.tick(days=1)
    cj.close_request(req, int(rng.choice(5, p=[0.04, 0.08, 0.18, 0.4, 0.3])) + 1)
    return req
