"""The CRM user interface (crmlab.system.ui): widgets driven as a student clicks, database checked.

Every test sets widget values (``.value``) and clicks buttons (``button.click()``), then reads the
database through the CRM's query helpers. Refused actions must show the engine's bilingual error
inline in the form and leave the database exactly as it was (``fingerprint``).
"""
import datetime as dt
import inspect

import ipywidgets as w
import pytest
from syshelpers import fingerprint, open_opportunity, to_signing

from crmlab import system
from crmlab.system import Desk, reports, ui
from crmlab.system.ui import spec


@pytest.fixture
def mem():
    c = system.open(":memory:", demo=True)
    yield c
    c.close()


def _lead(app, **values):
    form = app.open("lead")
    form.widgets["subject"].value = values.get("subject", "服务器购买意愿")
    form.widgets["source"].value = values.get("source", "市场活动")
    form.widgets["customer_name"].value = values.get("customer_name", "江南重工集团")
    form.widgets["contact_name"].value = values.get("contact_name", "钱工")
    form.buttons["save"].click()
    return form


# ------------------------------------------------------------------------------ declarations
def test_declarations_are_consistent():
    """Every call names a Desk action and real fields; every button's needs are fields; every menu
    item opens a form or a report."""
    for s in spec.FORMS.values():
        names = {f.name for f in s.fields}
        calls = [*s.create, *s.update, *(c for b in s.buttons for c in b.calls)]
        for c in calls:
            fn = getattr(Desk, c.method)
            params = inspect.signature(fn).parameters
            assert set(c.fields()) <= names, (s.doc_type, c)
            for p, _ in c.kwargs:
                assert p in params or any(x.kind is x.VAR_KEYWORD for x in params.values()), (c, p)
        for b in s.buttons:
            assert set(b.requires) <= names and (b.opens is None or b.opens in spec.FORMS)
        assert set(s.tabs()) <= set(spec.TABS)
    for _, _, _, items in spec.MENU:
        for target, _, _ in items:
            assert target in spec.FORMS or target.split(":", 1)[1] in spec.REPORTS
    assert [zh for _, zh, _, _ in spec.MENU] == ["市场管理", "商机管理", "销售过程", "服务管理", "客户管理", "决策分析", "系统管理"]
    used = {b.zh for s in spec.FORMS.values() for b in s.buttons}
    assert {"新增", "保存", "审核", "下推", "转化", "提交评估", "评估", "阶段推进", "赢单", "分配", "派工", "接受", "处理"} <= used
    assert spec.button_table("quote")["button"].tolist() == ["新增", "保存", "审核", "下推"]


def test_menu_tree_and_display(mem):
    app = ui.app(mem, "zhangsan")
    assert isinstance(app.widget, w.AppLayout) and isinstance(app.nav, w.Accordion)
    assert app.nav.titles[:2] == ("市场管理", "商机管理") and "所有功能 → 客户关系管理" in app.root.value
    app.menu["opportunity"].click()                          # 商机管理 → 商业机会
    assert app.current == "opportunity" and app.main.children == (app.list.box, app.form.box)
    app.menu["report:funnel"].click()
    assert app.main.children == (app.reports.box,)
    bundle = app._repr_mimebundle_()
    assert bundle["text/plain"] == "<crmlab CRM app: 张三 (zhangsan, 业务员) · lang=zh · report funnel>"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    with pytest.raises(ValueError):
        ui.app(mem, "zhangsan", lang="fr")


# ------------------------------------------------------------------------------ 市场管理
def test_lead_save_and_convert(crm):
    app = ui.app(crm, "zhangsan")
    form = _lead(app)
    lead = form.no
    assert crm.status(lead) == "saved" and crm.doc(lead)["customer_name"] == "江南重工集团"
    assert form.message.startswith("✓") and lead in app.list.frame()["no"].tolist()
    before = fingerprint(crm)
    form.buttons["convert"].click()                          # 新增客户 not ticked: refused (R9)
    assert isinstance(form.last_error, system.CRMError) and "CUSTOMER_NOT_ON_FILE" in form.status.value
    assert "新增客户" in form.status.value and "tick new_customer" in form.status.value
    assert fingerprint(crm) == before and crm.status(lead) == "saved"
    form.widgets["new_customer"].value = form.widgets["new_contact"].value = True
    form.buttons["convert"].click()
    opp = app.form
    assert opp.spec.doc_type == "opportunity" and crm.status(lead) == "converted"
    assert crm.links(lead)[["src_no", "dst_no", "relation"]].values.tolist() == [[lead, opp.no, "convert"]]
    assert crm.doc(opp.no)["owner"] == "zhangsan" and crm.status(opp.no, lang="zh") == "未评估"
    assert opp.widgets["customer"].value == crm.doc(opp.no)["customer_no"] and opp.widgets["customer"].disabled


def test_required_fields_and_bad_numbers_inline(mem):
    app = ui.app(mem, "zhangsan")
    before = fingerprint(mem)
    form = app.open("lead")
    form.buttons["save"].click()
    assert "必填" in form.errors["subject"].value and "required" in form.errors["source"].value
    assert form.errors["phone"].value == "" and form.no is None and "✗" in form.message
    app.open("opportunity")
    opp = app.form
    opp.fill(subject="新商机", customer="KH000001", price="四万")
    opp.buttons["save"].click()
    assert "请输入数字" in opp.errors["price"].value and opp.no is None
    assert fingerprint(mem) == before


def test_edit_saves_only_changed_fields(mem):
    app = ui.app(mem, "zhangsan")
    form = _lead(app)
    assert form.click("save") == "没有修改 / nothing changed"
    form.widgets["phone"].value = "021-5555"
    form.buttons["save"].click()
    log = mem.audit_log(doc_no=form.no, action="edit")
    assert len(log) == 1 and set(log["after"].iloc[0]) - {"updated_at", "version"} == {"data"}
    assert mem.doc(form.no)["phone"] == "021-5555" and mem.doc(form.no)["subject"] == "服务器购买意愿"


def test_market_activity(mem):
    app = ui.app(mem, "zhaomin")                             # 市场专员
    form = app.open("market_activity")
    form.fill(subject="新品发布会", budget="F01=3000")
    form.buttons["save"].click()
    assert "a:1, b:2" in form.errors["budget"].value and form.no is None
    form.fill(budget="F01:3000, F03:1200")
    form.buttons["save"].click()
    assert mem.doc(form.no)["total"] == 4200 and form.widgets["subject"].disabled
    form.buttons["start"].click()
    assert mem.status(form.no) == "running"
    rep = ui.app(mem, "zhangsan").open("market_activity")   # a rep may not run market activities
    rep.fill(subject="私自办会")
    rep.buttons["save"].click()
    assert "ROLE_FORBIDDEN" in rep.message and len(mem.documents(doc_type="market_activity")) == 1


# ------------------------------------------------------------------------------ 商机管理
def test_opportunity_evaluation_and_stages(mem):
    zs, lj = ui.app(mem, "zhangsan"), ui.app(mem, "lijingli")
    form = _lead(zs)
    form.fill(new_customer=True, new_contact=True).click("convert")
    opp = zs.form
    no = opp.no
    opp.fill(expected_close="2024-06-30", interest="high", product="R740", qty=2, price=48000)
    opp.buttons["save"].click()
    opp.fill(source="市场活动", product="FW-3000", qty=1, price=36000)
    opp.buttons["save"].click()
    d = mem.doc(no)
    assert (d["expected_revenue"], d["interest"], str(d["expected_close"])[:10]) == (132000.0, "high", "2024-06-30")
    assert mem.lines(no)["product"].tolist() == ["R740", "FW-3000"] and opp.widgets["product"].value is None
    opp.buttons["submit"].click()                            # no evaluator chosen: inline, nothing sent
    assert "必填" in opp.errors["evaluator"].value and mem.status(no) == "potential"
    opp.fill(evaluator="lijingli").click("submit")
    assert mem.status(no) == "evaluating"
    opp.fill(eval_result="pass").click("evaluate")           # the rep is not the evaluator
    assert "NOT_EVALUATOR" in opp.message and mem.status(no) == "evaluating"
    ev = lj.open("opportunity", no)
    ev.fill(eval_result="pass", comment="需求明确").click("evaluate")
    assert mem.status(no) == "open" and mem.doc(no)["stage"] == "understanding"
    assert mem.evaluations(no)["result"].tolist() == ["pass"]
    opp = zs.open("opportunity", no)
    before = fingerprint(mem)
    opp.buttons["advance"].click()                           # 了解情况 is strictly controlled
    assert isinstance(opp.last_error, system.ConditionsNotMet) and "了解情况" in opp.message
    assert fingerprint(mem) == before
    opp.fill(activity_subject="初次拜访").click("activity")
    opp.buttons["advance"].click()
    assert mem.doc(no)["stage"] == "pre_study" and mem.doc(no)["probability"] == 0.25
    assert mem.audit_log(doc_no=no, action="advance")["user_login"].tolist()[-1] == "zhangsan"


def test_save_is_all_or_nothing(crm):
    """保存 makes several calls (潜在机会, then an interest line): a refusal of the second undoes the first."""
    opp_no, _ = open_opportunity(crm)
    app = ui.app(crm, "zhangsan")
    opp = app.open("opportunity", opp_no)
    before, close = fingerprint(crm), crm.doc(opp_no)["expected_close"]
    opp.fill(expected_close="2024-09-30", need="扩容", product="R740", qty=0, price=48000)
    opp.buttons["save"].click()
    assert "BAD_QTY" in opp.message and fingerprint(crm) == before
    assert crm.doc(opp_no)["expected_close"] == close and crm.doc(opp_no)["need"] != "扩容"
    assert opp.widgets["need"].value == "扩容"               # the user's input stays to be corrected


def test_stale_record_shown_inline(crm):
    """Two users open the same lead; the second save is refused (optimistic locking)."""
    a, b = ui.app(crm, "zhangsan"), ui.app(crm, "lijingli")
    lead = _lead(a).no
    fa, fb = a.open("lead", lead), b.open("lead", lead)
    assert fa.version == fb.version
    fa.fill(phone="111").click("save")
    before = fingerprint(crm)
    fb.fill(phone="222").click("save")
    assert "STALE_RECORD" in fb.message and "请刷新后重试" in fb.message and "reload" in fb.message
    assert isinstance(fb.last_error, ui.StaleRecord) and fingerprint(crm) == before
    assert crm.doc(lead)["phone"] == "111"
    fb = b.open("lead", lead)                               # reload, then it works
    fb.fill(phone="222").click("save")
    assert crm.doc(lead)["phone"] == "222"


def test_win_quote_audit_push_down_contract(mem):
    opp_no, cust = open_opportunity(mem)
    quote = to_signing(mem, opp_no)
    zs, lj = ui.app(mem, "zhangsan"), ui.app(mem, "lijingli")
    opp = zs.open("opportunity", opp_no)
    opp.buttons["win"].click()                               # R23: the win/loss date first
    assert "WIN_DATE_REQUIRED" in opp.message and mem.status(opp_no) == "open"
    opp.fill(win_date=mem.now.date(), win_reason="方案契合").click("win")
    assert mem.status(opp_no) == "won" and mem.doc(opp_no)["probability"] == 1.0
    q = zs.open("quote", quote)
    assert q.widgets["items"].value == "R740 2 48000\nFW-3000 1 36000"
    q.fill(items="R740 2 46000\nFW-3000 1 36000").click("save")
    assert mem.doc(quote)["total"] == 128000
    q.buttons["audit"].click()                               # a rep may not audit
    assert "ROLE_FORBIDDEN" in q.message and mem.status(quote) == "saved"
    lj.open("quote", quote).click("audit")
    assert mem.status(quote) == "audited"
    q = zs.open("quote", quote)
    q.fill(items="R740 1 1").click("save")                    # audited: read-only (the engine refuses)
    assert "READ_ONLY" in q.message and mem.doc(quote)["total"] == 128000
    q = zs.open("quote", quote)
    q.buttons["push_down"].click()                           # 下推 → 销售合同, opens the contract
    contract = zs.form.no
    assert zs.current == "contract" and mem.lineage(contract)[-2:] == [quote, contract]
    c = zs.form
    c.fill(settlement="银行转账", plan="2024-03-01:0.3, 2024-06-30:x").click("save")
    assert "a:1, b:2" in c.errors["plan"].value
    c.fill(plan="2024-03-01:0.3, 2024-06-30:0.7").click("save")
    assert mem.lines(contract, "payment")["amount"].tolist() == [38400.0, 89600.0]
    assert mem.doc(contract)["settlement"] == "银行转账"
    lj.open("contract", contract).click("audit")
    assert mem.status(contract) == "audited" and mem.doc(cust)["card_type"] == "current"


# ------------------------------------------------------------------------------ 服务管理, 客户管理
def test_customer_and_service_flow(mem):
    zs, lj, cj = ui.app(mem, "zhangsan"), ui.app(mem, "lijingli"), ui.app(mem, "chenjing")
    cu = zs.open("customer")
    cu.fill(name="华东电网科技").click("save")                 # already on file
    assert "DUPLICATE_CUSTOMER" in cu.message
    cu.fill(name="江北化工", industry="化工", region="华东").click("save")
    no = cu.no
    assert mem.doc(no)["status"] == "saved" and no in zs.list.frame()["no"].tolist()
    cu.buttons["audit"].click()
    assert "ROLE_FORBIDDEN" in cu.message
    m = lj.open("customer", no)
    m.click("audit")
    m.click("trading")
    assert (mem.doc(no)["status"], bool(mem.doc(no)["is_trading"])) == ("audited", True)
    pa = cj.open("product_archive")
    pa.fill(customer=no, product="R740", qty=2).click("save")
    archive = pa.no
    assert mem.lines(archive)["qty"].tolist() == [2.0] and pa.widgets["product"].value == "R740"
    sr = cj.open("service_request")
    sr.fill(customer=no, archive=archive, problem="服务器无法开机", required_by=mem.now.date() + dt.timedelta(days=2))
    sr.buttons["save"].click()
    req = sr.no
    sr.fill(follower="chenjing").click("assign")
    assert mem.status(req) == "assigned"
    sr.fill(handler="wanggong").click("dispatch")            # not bound to an employee (R31)
    assert "HANDLER_NOT_EMPLOYEE" in sr.message and mem.status(req) == "assigned"
    sr.fill(handler="liugong").click("dispatch")
    wo = cj.form.no
    assert cj.current == "work_order" and mem.status(req) == "dispatching"
    lg = ui.app(mem, "liugong")
    f = lg.open("work_order", wo)
    f.buttons["handle"].click()                              # 处理 needs cause and action, and 接受 first
    assert "必填" in f.errors["cause"].value
    f.fill(cause="电源模块故障", action="更换电源模块", parts="PSU:1").click("handle")
    assert "ILLEGAL_TRANSITION" in f.message and mem.status(wo) == "pending"
    f.fill(reason="已电话确认").click("accept")
    assert (mem.status(wo), mem.status(req)) == ("accepted", "dispatched")
    f.fill(cause="电源模块故障", action="更换电源模块", parts="PSU:1").click("handle")
    assert (mem.status(wo), mem.status(req)) == ("handled", "handled")
    assert mem.links(wo)["dst_type"].tolist()[-1] == "handling"


def test_record_rules_in_lists_and_forms(mem):
    zs, ls = ui.app(mem, "zhangsan"), ui.app(mem, "lisi")
    lead = _lead(zs).no
    ls.open("lead")
    assert lead not in ls.list.frame()["no"].tolist()
    form = ls.open_record(lead)
    assert "NOT_VISIBLE" in form.message and form.no is None
    zs.list.mine.value = True
    assert zs.list.frame()["no"].tolist() == [lead]
    zs.list.search.value = "不存在"
    assert zs.list.frame().empty and "无数据" in zs.list.table.value
    zs.list.search.value = ""
    zs.list.picker.value = lead
    zs.list.open_button.click()
    assert zs.form.no == lead


# ------------------------------------------------------------------------------ 决策分析, 系统管理, language
def test_reports_and_users(mem):
    opp_no, _ = open_opportunity(mem)
    app = ui.app(mem, "wangzong")
    view = app.open("report:funnel")
    assert view.frame().equals(reports.sales_funnel(mem)) and "了解情况" in view.table.value
    view.picker.value = "win_rate_dept"
    assert view.frame().equals(reports.win_rate(mem, by="department"))
    app.open("report:permissions")
    assert "home_scheme" in app.reports.table.value
    rep = ui.app(mem, "zhangsan").open("user")
    rep.fill(login="xiaowang", name="小王", role="sales_rep", dept="D01").click("save")
    assert "ROLE_FORBIDDEN" in rep.message and "xiaowang" not in mem.users()["login"].tolist()
    admin = ui.app(mem, "admin")
    form = admin.open("user")
    form.fill(login="xiaowang", name="小王", role="sales_rep", dept="D01", employee_code="E103").click("save")
    row = mem.users().set_index("login").loc["xiaowang"]
    assert (row["role"], row["dept"], row["employee_code"]) == ("sales_rep", "销售一部", "E103")
    assert "xiaowang" in admin.list.frame()["login"].tolist() and form.widgets["login"].disabled
    assert "xiaowang" in [v for _, v in admin.user.options] and admin.desk.login == "admin"
    admin.user.value = "xiaowang"                            # the new user can log in from the header
    assert repr(admin).startswith("<crmlab CRM app: 小王 (xiaowang, 业务员)")


def test_language_switch(mem):
    app = ui.app(mem, "zhangsan")
    form = _lead(app)
    assert form.buttons["convert"].description == "转化" and form.widgets["subject"].description == "线索主题"
    app.language.value = "en"                                # the toggle in the header
    assert app.lang == "en" and form.buttons["convert"].description == "Convert"
    assert form.widgets["subject"].description == "Subject" and form.widgets["subject"].value == "服务器购买意愿"
    assert app.nav.titles[0] == "Marketing" and app.menu["lead"].description == "Leads"
    assert "Status saved" in form.header.value and "<th>Subject</th>" in app.list.table.value
    assert form.tab.titles[0] == "Basic data"
    opp = app.open("opportunity")
    assert [label for label, _ in opp.widgets["interest"].options][1:] == ["high", "medium", "low"]
    form = app.open("lead", form.no)
    form.click("convert")
    assert form.message.startswith("✗ [CUSTOMER_NOT_ON_FILE] customer")   # English first, then Chinese
    app.set_lang("zh")
    assert form.buttons["convert"].description == "转化" and app.language.value == "zh"
    en = ui.app(mem, "lijingli", lang="en")
    assert en.menu["report:win_rate"].description == "Opportunity analysis"


def test_switch_user_in_header(mem):
    app = ui.app(mem, "zhangsan")
    lead = _lead(app).no
    app.user.value = "lisi"                                  # lisi may not see zhangsan's lead
    assert app.desk.login == "lisi" and app.form.no is None and "NOT_VISIBLE" in app.form.message
    app.user.value = "lijingli"
    app.open("lead", lead)
    assert app.form.no == lead and repr(app).startswith("<crmlab CRM app: 李经理 (lijingli, 销售经理)")
