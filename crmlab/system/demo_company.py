"""A living demo company: 埃佛特信息科技 in its second year, and the seeded history behind it.

``system.open(demo=True)`` gives the demo company's base data only (users, departments, products,
six customers: :mod:`crmlab.system.demo`), which the labs of 04_system and many tests build on.
:func:`open` gives the same company **in its second year**, as a student should meet it in the CRM
client (:func:`crmlab.system.ui.app`) and on the phone page (``crmlab mobile crm.db --demo``):

* 14 months of history (:func:`populate`: 40 opportunities of 张三, 李四 and 李经理 from
  2023-01 to 2024-02): customers created over the months, opportunities that ended 未评估,
  不通过, 赢单 (with an audited contract), 输单 or are open at every stage, quotes, product
  archives and service requests closed with a satisfaction score; 【更新客户价值】 run by 王总 —
  so the funnel, the win rates and the customer pyramid all show something;
* the last days (:func:`recent`): leads (saved, converted, 无效), an opportunity waiting for
  李经理's evaluation, a project under way, price lists, a sample, a market activity, a piece of
  intelligence, a competitor, a customer care event, the survey question bank, open tasks,
  service requests waiting for 分配 / 派工 and a work order waiting for 刘工;
* today, :data:`TODAY` (a Monday, the clock at 08:30): 张三's schedule — three visits and a
  task to check in to — and 李四's visit.

Everything after the base data is done through the ordinary :class:`~crmlab.system.Desk` actions
by the right users on the CRM's own clock, so every rule holds and the audit log is real. Fixed
seed, no wall clock: the same call always builds the same company (about a second on SQLite).

Example
-------
>>> from crmlab.system import demo_company
>>> crm = demo_company.open(":memory:")
>>> print(crm.now)
2024-03-04 08:30:00
>>> crm.login("zhangsan").my_schedule(TODAY)["subject"].tolist()
['上门拜访：机房现状调研', '电话回访：确认方案需求', '方案演示：边界安全加固', '提交投标文件']
>>> crm.check_invariants()
[]
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .errors import GuardFailed
from .reports import DEFAULT_VALUE_MODEL

__all__ = ["TODAY", "START", "SCENARIO_CUSTOMER", "OUTCOMES", "OPEN_STAGES", "open", "build", "recent", "populate",
           "clock"]

#: The demo company's today (a Monday): :func:`open` leaves the clock at 08:30 that day.
TODAY = "2024-03-04"
#: When the demo company's history starts (its first year).
START = "2022-12-30 09:00"
#: The customer of the 04_system scenario (:data:`crmlab.system.scenario.CUSTOMER`): the scenario
#: creates it, so the history never does.
SCENARIO_CUSTOMER = "江南重工集团"
#: The history: opportunities, seed, months (crmlab's choice).
HISTORY = (40, 2023, 14)


def open(url=None, *, echo: bool = False):
    """Open ``url`` (as :func:`crmlab.system.open`) with the demo company in its second year.

    An empty database gets the base data, the history, the last days and today's schedule; a
    database that already has documents is opened as it is (never built twice).

    >>> crm = open(":memory:")
    >>> int((crm.documents(doc_type="opportunity")["status"] == "open").sum()) > 10
    True
    """
    from .engine import open as _open
    crm = _open(url, demo=True, clock=START, echo=echo)
    if crm.documents().empty and crm.now <= pd.Timestamp(START).to_pydatetime():
        build(crm)
    return crm


def build(crm) -> None:
    """Write the history, the last days and today's schedule into a freshly seeded demo company."""
    n, seed, months = HISTORY
    plan = populate(crm, n=n, seed=seed, months=months)
    recent(crm, plan)


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
                    if name not in names and name != SCENARIO_CUSTOMER:
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


# --------------------------------------------------------------------------------------------
# The last days and today (a company at work)
# --------------------------------------------------------------------------------------------
def _on(crm, when: str) -> None:
    """Move the clock to ``when`` (never back)."""
    clock(crm, f"{when}" if " " in when else f"{when} 09:00")


def recent(crm, plan: pd.DataFrame) -> None:
    """The last working days before :data:`TODAY` and today's schedule, on top of :func:`populate`'s
    history (``plan``, its returned table); the clock ends at 08:30 on :data:`TODAY`."""
    desks = {u: crm.login(u) for u in ("zhangsan", "lisi", "lijingli", "wangzong", "zhaomin", "chenjing", "zhougong")}
    zs, ls, lj, zm, cj = (desks[u] for u in ("zhangsan", "lisi", "lijingli", "zhaomin", "chenjing"))
    open_opps = plan[plan["outcome"] == "open"]
    won = plan[plan["contract"].notna()]
    with crm.batch():
        _on(crm, "2024-02-29 10:00")
        _marketing(zm, zs, lj)
        _question_bank(crm.login("admin"))
        _on(crm, "2024-02-29 14:00")
        _project(crm, desks, won.iloc[-1])
        _price_and_sample(crm, zs, won, open_opps)
        lj.new_price_list(won.iloc[-2]["customer_no"], [("R740", 1, 46_000), ("FW-3000", 1, 34_000), ("SW-24", 1, 6_500)],
                          subject="2024 年大客户价目表")
        _on(crm, "2024-03-01 09:30")
        _leads(crm, zs, ls)
        _on(crm, "2024-03-01 15:00")
        _service_waiting(crm, cj, zs, won)
        _on(crm, "2024-03-01 17:00")
        _customer_value(desks["wangzong"])
        _on(crm, "2024-03-04 08:00")
        _today(crm, zs, ls, open_opps)
        _on(crm, f"{TODAY} 08:30")


def _marketing(zm, zs, lj) -> None:
    """市场管理: a market activity under way and a care event (赵敏), a piece of intelligence and a
    competitor that 张三 records (李经理 audits it)."""
    act = zm.new_market_activity("2024 春季新品发布会", "研讨会", theme="R740 服务器与 FW-3000 防火墙新品",
                                 purpose="邀请老客户和潜在客户了解新品，收集线索", budget={"F01": 3000, "F03": 1200})
    zm.start_activity(act)
    zs.new_intelligence("竞争对手春季降价", "华信网络设备的同档服务器报价下调约 8%", "突出本地服务与交付周期，必要时申请特价",
                        source="客户", intel_type="竞争对手")
    comp = zs.add_competitor("华信网络设备", industry="网络设备", strengths="价格低、渠道广", weaknesses="服务网点少",
                             strategy="强调本地化服务和响应时间")
    lj.audit(comp)
    zm.new_care("老客户新春答谢会", "答谢会", theme="感谢老客户一年来的支持", purpose="回访满意度，发现新需求")


def _question_bank(admin) -> None:
    """调查题库 (task 12.6): three questions of the satisfaction survey."""
    admin.add_question("您对我公司产品质量的总体评价", "单选题",
                       options={"很满意": 5, "满意": 4, "一般": 3, "不满意": 2, "很不满意": 1})
    admin.add_question("您最看重供应商的哪些方面", "多选题", options={"价格": 1, "服务": 1, "交付": 1, "品牌": 1})
    admin.add_question("您是否愿意向同行推荐我公司", "判断题")


def _customer_value(wz) -> None:
    """客户价值 (R35): 王总 saves crmlab's default value model, makes it 生效 and runs 【更新客户价值】."""
    wz.save_value_model("默认价值模型", **DEFAULT_VALUE_MODEL)
    wz.activate_value_model("默认价值模型")
    wz.update_customer_value()


def _price_and_sample(crm, zs, won, open_opps) -> None:
    """张三's price list for one of his customers and a sample for his opportunity in 投标阶段."""
    mine = won[won["owner"] == "zhangsan"]
    if len(mine):
        zs.new_price_list(mine.iloc[-1]["customer_no"], [("R740", 1, 46_500), ("SW-24", 1, 6_600)],
                          subject="老客户优惠价目表")
    bidding = open_opps[(open_opps["owner"] == "zhangsan") & (open_opps["stage"] == "bidding")]
    if len(bidding):
        zs.new_sample(bidding.iloc[0]["opportunity"], [("FW-3000", 1, 36_000)])


def _project(crm, desks, row) -> None:
    """项目管理: 周工 makes a project of the latest audited contract, 王总 audits it, 周工 starts it."""
    wz, zg = desks["wangzong"], desks["zhougong"]
    name = crm.doc(row["customer_no"])["name"]
    proj = zg.new_project(row["contract"], f"{name} 实施项目", goal="按合同完成设备交付、安装与验收",
                          content="设备到货验收、上架安装、联调测试、培训")
    wz.audit(proj)
    zg.execute_project(proj)


def _leads(crm, zs, ls) -> None:
    """线索管理: saved leads (one with no customer yet), one 无效, one converted into an opportunity
    that waits for 李经理's evaluation."""
    zs.new_lead("智慧园区网络建设意向", source="展会", customer_name="苏州工业园区管委会", contact_name="周主任",
                phone="0512-66668888", need="园区二期网络与安全建设")
    zs.new_lead("官网咨询：防火墙报价", source="网站", need="官网留言询问 FW-3000 报价")
    ls.new_lead("老客户介绍：机房改造", source="客户介绍", customer_name="成都轨道交通集团", contact_name="孙经理")
    dup = ls.new_lead("电话咨询：交换机", source="电话营销", customer_name="成都轨道交通集团", contact_name="孙经理")
    ls.invalidate_lead(dup, "与已有线索重复")
    crm.tick(hours=1)
    lead = zs.new_lead("江北新区数据中心建设", source="市场活动", customer_name="南京江北新区投资集团", contact_name="吴总",
                       need="新建数据中心一期：服务器与边界安全")
    opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    zs.edit_customer(crm.doc(opp)["customer_no"], industry="金融", region="华东")
    zs.set_potential(opp, expected_close=dt.date(2024, 6, 28), source="市场活动", interest="高",
                     need="新建数据中心一期：服务器与边界安全")
    zs.add_interest(opp, "R740", qty=8, price=46_000)
    zs.add_interest(opp, "FW-3000", qty=2, price=34_000)
    zs.submit_evaluation(opp, evaluator="lijingli")


def _service_waiting(crm, cj, zs, won) -> None:
    """服务管理: equipment of recent deals registered; one request new (张三 records it for his
    customer: waiting for 分配), one assigned (waiting for 派工), one dispatched to 刘工 (waiting for
    him to accept)."""
    problems = ("服务器风扇噪音异常", "防火墙策略无法下发", "交换机端口频繁掉线")
    made = []
    mine = won["owner"] == "zhangsan"                   # 张三's customer first: the rep sees a request too
    for row in pd.concat([won[mine].iloc[::-1].head(1), won.drop(won[mine].index[-1:]).iloc[::-1]]).itertuples():
        if len(made) == len(problems):
            break
        lines = crm.lines(row.contract)
        equipment = [p for p in lines["product"] if p in ("R740", "FW-3000", "SW-24")]
        if not equipment:
            continue
        desk = zs if not made and row.owner == "zhangsan" else cj
        archive = desk.register_product_archive(row.customer_no, equipment[0], 1)
        crm.tick(minutes=10)
        made.append(desk.new_service_request(row.customer_no, archive, problems[len(made)],
                                           required_by=dt.date(2024, 3, 6)))
    if len(made) > 1:
        cj.assign_request(made[1], "chenjing")
    if len(made) > 2:
        cj.assign_request(made[2], "chenjing")
        cj.dispatch(made[2], "liugong")


def _today(crm, zs, ls, open_opps) -> None:
    """日程: 张三's visits and task of :data:`TODAY`, 李四's visit, an open task of 李四 tomorrow."""
    mine = open_opps[open_opps["owner"] == "zhangsan"]["opportunity"].tolist()
    plans = (("上门拜访：机房现状调研", "拜访", "10:00"), ("电话回访：确认方案需求", "电话", "11:30"),
             ("方案演示：边界安全加固", "演示", "14:30"))
    for k, (subject, kind, at) in enumerate(plans):
        zs.new_activity(mine[k % len(mine)], subject, kind, plan_start=f"{TODAY} {at}")
    task = zs.new_task(mine[-1], "提交投标文件", plan_start=f"{TODAY} 16:00")
    zs.assign_task(task, "zhangsan")
    theirs = open_opps[open_opps["owner"] == "lisi"]["opportunity"].tolist()
    if theirs:
        ls.new_activity(theirs[0], "拜访客户信息中心", plan_start=f"{TODAY} 09:30")
        task = ls.new_task(theirs[-1], "整理客户需求清单", plan_start="2024-03-05 10:00")
        ls.assign_task(task, "lisi")
