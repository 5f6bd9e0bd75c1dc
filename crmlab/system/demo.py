"""The demo company 埃佛特信息科技有限公司 (Everfort, textbook situation 4) and the full flow.

:func:`seed` writes the base data in one transaction: departments, the eight users of the digest's
cast (one per role), products (R740 server, FW-3000 firewall, a spare part, a service), the default
sales method (:data:`crmlab.opportunity.DEFAULT_METHOD`), knowledge types, service levels, expense
types and six customers (already audited trading customers except 江南重工集团, which the scenario
creates by converting a lead). All names are fictional; the numbers are crmlab's.

:func:`full_flow` runs the textbook's whole chain once — lead → conversion → evaluation → five
stages with activity, task, quote and sample → 赢单 → quote audit → contract (payment plan, audit)
→ product archive → service request → dispatch → accept → handle — as the right users.

Example
-------
>>> from crmlab import system
>>> crm = system.open(":memory:", demo=True)
>>> out = system.demo.full_flow(crm, "甲公司")
>>> crm.status(out["opportunity"]), crm.status(out["contract"]), crm.status(out["service_request"])
('赢单', '已审核', '已处理')
>>> crm.lineage(out["contract"]) == [out["lead"], out["opportunity"], out["quote"], out["contract"]]
True
>>> crm.check_invariants()
[]
"""
from __future__ import annotations

import datetime as dt

from crmlab import sales_method as op
from crmlab.shortcuts import computes

from . import models as m

__all__ = ["COMPANY", "USERS", "PRODUCTS", "CUSTOMERS", "seed", "full_flow"]

COMPANY = "埃佛特信息科技有限公司"

DEPARTMENTS = [("D01", "销售一部"), ("D02", "销售二部"), ("D03", "市场部"), ("D04", "服务部"), ("D05", "实施部"),
               ("D00", "总经办")]

#: login, name, role, department code, employee code (None: not bound to an employee)
USERS = [
    ("admin", "Administrator", "admin", "D00", "E000"),
    ("lijingli", "李经理", "sales_manager", "D01", "E101"),
    ("wangzong", "王总", "sales_director", "D00", "E001"),
    ("zhangsan", "张三", "sales_rep", "D01", "E102"),
    ("lisi", "李四", "sales_rep", "D02", "E201"),
    ("zhaomin", "赵敏", "marketing", "D03", "E301"),
    ("chenjing", "陈静", "service_manager", "D04", "E401"),
    ("liugong", "刘工", "engineer", "D04", "E402"),
    ("wanggong", "王工", "engineer", "D04", None),          # not bound to an employee: cannot be dispatched (R31)
    ("zhougong", "周工", "project_manager", "D05", "E501"),
]

#: code, name, list price, floor price, cost price, unit, part, service flags, life (months)
PRODUCTS = [
    ("R740", "R740 机架式服务器", 48_000, 42_000, 33_000, "台", False, True, 60),
    ("FW-3000", "FW-3000 下一代防火墙", 36_000, 30_000, 24_000, "台", False, True, 60),
    ("PSU", "电源模块", 1_200, 1_000, 700, "个", True, False, None),
    ("OPS", "年度安全运维服务", 20_000, 16_000, 9_000, "年", False, False, None),
    ("SW-24", "SW-24 千兆交换机", 6_800, 5_800, 4_500, "台", False, True, 48),
]

#: name, industry, region, owner login
CUSTOMERS = [
    ("华东电网科技", "能源", "华东", "zhangsan"),
    ("南方航空物流", "物流", "华南", "zhangsan"),
    ("北方重型机械", "制造", "华北", "lisi"),
    ("西部银行股份", "金融", "西南", "lisi"),
    ("中原医药集团", "医药", "华中", "zhangsan"),
    ("东海港务集团", "交通", "华东", "lisi"),
]


def seed(crm) -> None:
    """Write the demo company's base data (one transaction, logged as ``system``)."""
    now = crm.now
    with crm._Session() as s, s.begin():
        depts = {}
        for code, name in DEPARTMENTS:
            d = m.Department(code=code, name=name)
            s.add(d)
            depts[code] = d
        s.flush()
        users = {}
        for login, name, role, dept, emp in USERS:
            u = m.User(login=login, name=name, role=role, dept_id=depts[dept].id, employee_code=emp, authorised=True,
                       active=True)
            s.add(u)
            users[login] = u
        s.flush()
        for code, name, lp, fp, cp, unit, part, serv, life in PRODUCTS:
            s.add(m.Product(code=code, name=name, list_price=lp, floor_price=fp, cost_price=cp, unit=unit,
                            is_part=part, service_enabled=serv, gen_archive=serv, repairable=serv, life_months=life))
        meth = m.SalesMethodRow(name=op.DEFAULT_METHOD.name, is_default=True,
                                win_at_last_stage_only=op.DEFAULT_METHOD.win_at_last_stage_only)
        s.add(meth)
        s.flush()
        for i, st in enumerate(op.DEFAULT_METHOD.stages, start=1):
            s.add(m.SalesStageRow(method_id=meth.id, seq=i, code=st.code, name_zh=st.name_zh, name_en=st.name_en,
                                  days=st.days, probability=st.probability, control=st.control,
                                  conditions=dict(st.conditions), state=st.state))
        for code, name in (("K01", "产品知识"), ("K02", "解决方案"), ("K03", "故障处理")):
            s.add(m.KnowledgeType(code=code, name=name))
        s.add(m.ServiceLevel(code="SL01", name="金牌", term_months=12, content="7×24 响应，4 小时到场"))
        s.add(m.ServiceLevel(code="SL02", name="银牌", term_months=12, content="5×8 响应，24 小时到场"))
        for code, name in (("F01", "场地费"), ("F02", "资料费"), ("F03", "餐饮费"), ("F04", "差旅费")):
            s.add(m.ExpenseType(code=code, name=name))
        s.add(m.HomeScheme(name="默认方案", blocks=["消息", "待处理", "报表分析", "业务数据", "常用功能"],
                           owner_id=users["admin"].id))
        for i, (name, industry, region, owner) in enumerate(CUSTOMERS, start=1):
            u = users[owner]
            s.add(m.Customer(no=f"KH{i:06d}", name=name, kind="organisation", card_type="prospect", status="audited",
                             is_trading=True, industry=industry, region=region, owner_id=u.id, dept_id=u.dept_id,
                             source="原始记录法", created_at=now, created_by="system", audited_at=now,
                             audited_by="system"))
        s.add(m.Counter(doc_type="customer", last=len(CUSTOMERS)))
        seed = dict(at=now, user_login="system", role="admin", action="seed_demo", doc_type=None, doc_no=None,
                    from_status=None, to_status=None, before=None, after={"company": COMPANY}, channel="desk",
                    prev_hash=None)
        s.add(m.AuditLog(**seed, hash=m.audit_hash(seed)))     # the first link of the log's hash chain


@computes("crm_demo_flow", "整条业务链（演示流程）", "the whole chain (demo flow)")
def full_flow(crm, customer_name: str, *, rep: str = "zhangsan", manager: str = "lijingli",
              director: str = "wangzong", service: str = "chenjing", engineer: str = "liugong") -> dict:
    """Run the whole chain once for a new customer; returns the document numbers by step.

    The clock moves a little between steps (the R16 stage-end rule needs the stage ended before
    now; here :meth:`~crmlab.system.Desk.advance` is called with ``end_stage_now=True``).
    """
    zs, lj, wz = crm.login(rep), crm.login(manager), crm.login(director)
    cj, lg = crm.login(service), crm.login(engineer)
    out = {}
    out["lead"] = lead = zs.new_lead(f"{customer_name} 服务器购买意愿", source="市场活动", customer_name=customer_name,
                                     contact_name="钱工")
    out["opportunity"] = opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    cust = crm.doc(opp)["customer_no"]
    out["customer"] = cust
    lj.audit(cust)
    lj.set_trading(cust)
    zs.set_potential(opp, expected_close=crm.now.date() + dt.timedelta(days=90), source="市场活动", interest="高",
                     need="替换老旧服务器并加固边界安全")
    zs.add_interest(opp, "R740", qty=2, price=48_000)
    zs.add_interest(opp, "FW-3000", qty=1, price=36_000)
    zs.submit_evaluation(opp, evaluator=manager)
    lj.evaluate(opp, "通过，转下一评估人", next_evaluator=director)
    wz.evaluate(opp, "通过，评估结束")
    crm.tick(hours=1)
    out["activity"] = zs.new_activity(opp, "初次拜访，了解机房现状")
    zs.advance(opp, end_stage_now=True)
    out["task"] = task = zs.new_task(opp, "机房环境调研报告")
    zs.assign_task(task, rep)
    zs.complete_task(task, actual_start=crm.now, actual_end=crm.now)
    zs.advance(opp, end_stage_now=True)
    out["quote"] = quote = zs.new_quote_from_opportunity(opp)
    zs.advance(opp, end_stage_now=True)
    out["sample"] = zs.new_sample(opp, [("R740", 1, 48_000)])
    zs.advance(opp, end_stage_now=True)
    zs.win(opp, reason="方案契合、响应及时", date=crm.now.date())
    lj.audit(quote)
    out["contract"] = contract = zs.push_down(quote, "contract")
    zs.set_contract_terms(contract, settlement="银行转账", terms="货到验收后付款")
    zs.set_payment_plan(contract, [(crm.now.date(), 0.3), (crm.now.date() + dt.timedelta(days=60), 0.6),
                                   (crm.now.date() + dt.timedelta(days=365), 0.1)])
    lj.audit(contract)
    out["archive"] = archive = cj.register_product_archive(cust, "R740", 2)
    out["service_request"] = req = cj.new_service_request(cust, archive, "服务器无法开机",
                                                          required_by=crm.now.date() + dt.timedelta(days=2))
    cj.assign_request(req, service)
    out["work_order"] = wo = cj.dispatch(req, engineer)
    lg.accept_work_order(wo, "已电话确认故障现象")
    out["handling"] = lg.handle_work_order(wo, cause="电源模块故障", action="更换电源模块", parts=[("PSU", 1)])
    crm.tick(minutes=5)
    return out
