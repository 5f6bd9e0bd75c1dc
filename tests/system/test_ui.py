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
from crmlab.system import Desk, reports, scenario, ui
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
    # a form for every document type (the 处理单 is written by 处理 on the work order) and a menu entry for each
    from crmlab.system import lifecycle
    assert set(lifecycle.DOC_TYPES) - set(spec.FORMS) == {"handling"}
    in_menu = [t for _, _, _, items in spec.MENU for t, _, _ in items if not t.startswith("report:")]
    assert sorted(in_menu) == sorted(spec.FORMS)


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
    assert crm.status(lead, lang="en") == "saved" and crm.doc(lead)["customer_name"] == "江南重工集团"
    assert form.message.startswith("✓") and lead in app.list.frame()["no"].tolist()
    before = fingerprint(crm)
    form.buttons["convert"].click()                          # 新增客户 not ticked: refused (R9)
    assert isinstance(form.last_error, system.CRMError) and "CUSTOMER_NOT_ON_FILE" in form.status.value
    assert "新增客户" in form.status.value and "tick new_customer" in form.status.value
    assert fingerprint(crm) == before and crm.status(lead, lang="en") == "saved"
    form.widgets["new_customer"].value = form.widgets["new_contact"].value = True
    form.buttons["convert"].click()
    opp = app.form
    assert opp.spec.doc_type == "opportunity" and crm.status(lead, lang="en") == "converted"
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
    assert mem.status(form.no, lang="en") == "running"
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
    assert "必填" in opp.errors["evaluator"].value and mem.status(no, lang="en") == "potential"
    opp.fill(evaluator="lijingli").click("submit")
    assert mem.status(no, lang="en") == "evaluating"
    opp.fill(eval_result="pass").click("evaluate")           # the rep is not the evaluator
    assert "NOT_EVALUATOR" in opp.message and mem.status(no, lang="en") == "evaluating"
    ev = lj.open("opportunity", no)
    ev.fill(eval_result="pass", comment="需求明确").click("evaluate")
    assert mem.status(no, lang="en") == "open" and mem.doc(no)["stage"] == "understanding"
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
    assert "WIN_DATE_REQUIRED" in opp.message and mem.status(opp_no, lang="en") == "open"
    opp.fill(win_date=mem.now.date(), win_reason="方案契合").click("win")
    assert mem.status(opp_no, lang="en") == "won" and mem.doc(opp_no)["probability"] == 1.0
    q = zs.open("quote", quote)
    assert q.widgets["items"].value == "R740 2 48000\nFW-3000 1 36000"
    q.fill(items="R740 2 46000\nFW-3000 1 36000").click("save")
    assert mem.doc(quote)["total"] == 128000
    q.buttons["audit"].click()                               # a rep may not audit
    assert "ROLE_FORBIDDEN" in q.message and mem.status(quote, lang="en") == "saved"
    lj.open("quote", quote).click("audit")
    assert mem.status(quote, lang="en") == "audited"
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
    assert mem.status(contract, lang="en") == "audited" and mem.doc(cust)["card_type"] == "current"


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
    assert mem.status(req, lang="en") == "assigned"
    sr.fill(handler="wanggong").click("dispatch")            # not bound to an employee (R31)
    assert "HANDLER_NOT_EMPLOYEE" in sr.message and mem.status(req, lang="en") == "assigned"
    sr.fill(handler="liugong").click("dispatch")
    wo = cj.form.no
    assert cj.current == "work_order" and mem.status(req, lang="en") == "dispatching"
    lg = ui.app(mem, "liugong")
    f = lg.open("work_order", wo)
    f.buttons["handle"].click()                              # 处理 needs cause and action, and 接受 first
    assert "必填" in f.errors["cause"].value
    f.fill(cause="电源模块故障", action="更换电源模块", parts="PSU:1").click("handle")
    assert "ILLEGAL_TRANSITION" in f.message and mem.status(wo, lang="en") == "pending"
    f.fill(reason="已电话确认").click("accept")
    assert (mem.status(wo, lang="en"), mem.status(req, lang="en")) == ("accepted", "dispatched")
    f.fill(cause="电源模块故障", action="更换电源模块", parts="PSU:1").click("handle")
    assert (mem.status(wo, lang="en"), mem.status(req, lang="en")) == ("handled", "handled")
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


# ------------------------------------------------------------------------------ 市场调查, 市场情报
def test_question_bank_form(mem):
    app = ui.app(mem, "zhaomin")                             # 系统管理 → 业务资料 → 调查题库
    f = app.open("question")
    f.fill(stem="您对我们的服务满意吗？", qtype="single", options="很满意:5, 满意").click("save")
    assert "a:1, b:2" in f.errors["options"].value and mem.table("questions").empty
    f.fill(options="很满意:5").click("save")                  # a choice question needs ≥ 2 scored options (R5)
    assert "OPTIONS_REQUIRED" in f.message and mem.table("questions").empty
    f.fill(options="很满意:5, 满意:4, 一般:3, 不满意:2, 很不满意:1").click("save")
    q = f.no
    assert mem.table("question_options")["score"].tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert f.widgets["options"].value == "很满意:5, 满意:4, 一般:3, 不满意:2, 很不满意:1" and f.widgets["stem"].disabled
    f.click("new")
    f.fill(stem="是否愿意参加新品发布会？", qtype="true_false").click("save")
    assert app.list.frame()["no"].tolist() == [q, f.no] and mem.table("question_options")["text"].tolist()[-2:] == ["是", "否"]
    rep = ui.app(mem, "zhangsan").open("question")
    rep.fill(stem="随便问问", qtype="open").click("save")
    assert "ROLE_FORBIDDEN" in rep.message and len(mem.table("questions")) == 2


def test_survey_form_design_responses_summary(mem):
    adm = mem.login("admin")
    q1 = adm.add_question("您对我们的服务满意吗？", "单选题", {"很满意": 5, "满意": 4, "一般": 3, "不满意": 2, "很不满意": 1})
    q2 = adm.add_question("您最关注哪些方面？", "多选题", {"价格": 1, "服务": 2, "质量": 3})
    rep = ui.app(mem, "zhangsan").open("survey")             # surveys are the marketing department's (R7)
    rep.fill(theme="私自调查").click("save")
    assert "ROLE_FORBIDDEN" in rep.message and mem.documents(doc_type="survey").empty
    app = ui.app(mem, "zhaomin")
    f = app.open("survey")
    f.fill(theme="服务器需求调查").click("save")
    survey = f.no
    f.click("generate")                                      # no question yet: refused, nothing changed
    assert "NO_ITEMS" in f.message and mem.status(survey, lang="en") == "draft"
    for q in (q1, q2):
        f.fill(question=q).click("add_item")
    assert f.widgets["items"].value == f"{q1}, {q2}" and mem.doc(survey)["items"] == [q1, q2]
    assert "您最关注哪些方面？" in f.tables["questions"].value
    f.click("generate")
    assert mem.status(survey, lang="en") == "published"
    before = fingerprint(mem)
    f.fill(answers=f"{q1} 很满意").click("response")          # no colon: marked inline
    assert "question: option" in f.errors["answers"].value
    f.fill(answers=f"{q1}: 棒").click("response")             # not an option of the question: the engine refuses
    assert "BAD_OPTION" in f.message and fingerprint(mem) == before
    f.fill(answers=f"{q1}: 很满意\n{q2}: 价格|服务", customer="KH000001").click("response")
    f.fill(answers=f"{q1}：满意\n{q2}: 质量", customer="KH000002").click("response")
    r = mem.table("survey_responses")
    assert r["score"].tolist() == [8.0, 7.0] and r["customer_no"].tolist() == ["KH000001", "KH000002"]
    f.click("summarize")
    assert mem.status(survey, lang="en") == "summarized" and "很满意" in f.tables["survey_summary"].value
    assert f.widgets["theme"].disabled is False and f.widgets["items"].disabled


def test_intelligence_form(mem):
    f = ui.app(mem, "zhangsan").open("intelligence")
    f.fill(topic="竞品降价", content="某品牌服务器降价 10%").click("save")
    assert "必填" in f.errors["strategy"].value and f.no is None
    f.fill(strategy="强调本地服务").click("save")
    no = f.no
    d = mem.doc(no)
    assert (d["subject"], d["intel_type"], d["source"], d["strategy"]) == ("竞品降价", "竞争对手", "网络", "强调本地服务")
    f.fill(strategy="加送一年质保").click("save")
    log = mem.audit_log(doc_no=no, action="edit")
    assert len(log) == 1 and mem.doc(no)["strategy"] == "加送一年质保" and mem.doc(no)["content"] == "某品牌服务器降价 10%"


def test_campaign_care_and_competitor_forms(mem):
    zm, cj = ui.app(mem, "zhaomin"), ui.app(mem, "chenjing")
    c = zm.open("campaign")                                  # 营销活动: the market activity's form
    assert c.widgets["act_type"].value == "促销"
    c.fill(subject="五一促销", budget="F01:2000").click("save")
    assert mem.doc(c.no)["doc_type"] == "campaign" and mem.doc(c.no)["total"] == 2000
    c.click("start")
    assert mem.status(c.no, lang="en") == "running"
    k = cj.open("care")                                      # 客户关怀 by the service manager (task 14.3)
    k.fill(subject="老客户答谢会").click("save")
    assert mem.doc(k.no)["act_type"] == "答谢会" and mem.doc(k.no)["owner"] == "chenjing"
    cp = ui.app(mem, "zhangsan").open("competitor")           # 竞争对手 (task 12.2, R2)
    cp.fill(name="华信科技", strengths="价格低", weaknesses="售后网点少").click("save")
    comp = cp.no
    cp.click("audit")
    assert "ROLE_FORBIDDEN" in cp.message and mem.status(comp, lang="en") == "saved"
    ui.app(mem, "lijingli").open("competitor", comp).click("audit")
    assert mem.status(comp, lang="en") == "audited" and mem.doc(comp)["weaknesses"] == "售后网点少"


# ------------------------------------------------------------------------------ 活动, 任务, 样品申请
def test_activity_form_and_check_in(mem):
    opp, _ = open_opportunity(mem)
    a = ui.app(mem, "zhangsan").open("activity")
    a.fill(opportunity=opp, subject="初次拜访", plan_start=mem.now.date()).click("save")
    act = a.no
    assert mem.doc(act)["act_type"] == "拜访" and mem.stages(opp)["n_activity"].iloc[0] == 1
    a.fill(place="江南重工集团 机房", lat=31.23).click("check_in")
    assert "必填" in a.errors["lon"].value and mem.table("check_ins").empty
    a.fill(lon=121.47).click("check_in")
    row = mem.table("check_ins").iloc[0]
    assert (row["place"], row["lat"], row["lon"]) == ("江南重工集团 机房", 31.23, 121.47)
    a.fill(result="了解机房现状").click("save")
    assert mem.doc(act)["result"] == "了解机房现状"


def test_task_and_sample_forms(mem):
    opp, _ = open_opportunity(mem)
    app = ui.app(mem, "zhangsan")
    t = app.open("task")
    t.fill(opportunity=opp, subject="机房环境调研", plan_start="2024-06-03").click("save")
    task = t.no
    assert mem.doc(task)["src_no"] == opp and mem.doc(task)["plan_start"].startswith("2024-06-03")
    t.click("assign")
    assert "必填" in t.errors["executor"].value and mem.status(task, lang="en") == "saved"
    t.fill(executor="zhangsan").click("assign")
    assert mem.status(task, lang="en") == "in_progress"
    t.fill(process="已到现场查看机房").click("process")
    assert mem.doc(task)["process"][0]["text"] == "已到现场查看机房"
    before = fingerprint(mem)
    t.fill(actual_start=mem.now.date(), actual_end=mem.now.date() - dt.timedelta(days=1)).click("complete")
    assert "BAD_ACTUAL_TIMES" in t.message and fingerprint(mem) == before      # R19, nothing saved
    t.fill(actual_end=mem.now.date()).click("complete")
    assert mem.status(task, lang="en") == "done" and mem.stages(opp)["n_task"].iloc[0] == 1
    s = app.open("sample")
    s.fill(opportunity=opp, items="R740 一台").click("save")
    assert "物料代码" in s.errors["items"].value and s.no is None
    s.fill(items="R740 1 48000").click("save")
    assert mem.doc(s.no)["total"] == 48000 and mem.links(opp)["dst_no"].tolist()[-1] == s.no
    other = ui.app(mem, "lisi").open("task")                  # another rep's opportunity: refused (record rules)
    other.fill(opportunity=opp, subject="插手").click("save")
    assert isinstance(other.last_error, system.PermissionDenied) and len(mem.documents(doc_type="task")) == 1


# ------------------------------------------------------------------------------ 价目表, 项目
def test_price_list_multi_level_audit_and_push_down(crm):
    zs, lj, wz = ui.app(crm, "zhangsan"), ui.app(crm, "lijingli"), ui.app(crm, "wangzong")
    f = zs.open("price_list")
    f.fill(customer="KH000001", items="R740 2 46000\nFW-3000 1 34000").click("save")
    pl = f.no
    assert crm.doc(pl)["total"] == 126000 and crm.status(pl, lang="en") == "saved"
    f.fill(levels="lijingli, wangzong").click("multi")        # 启用多级审核
    assert crm.status(pl, lang="en") == "auditing" and crm.doc(pl)["audit_levels"] == ["lijingli", "wangzong"]
    before = fingerprint(crm)
    wz.open("price_list", pl).click("approve")              # level 2 may not approve before level 1
    assert "NOT_APPROVER" in wz.form.message and fingerprint(crm) == before
    lj.open("price_list", pl).click("approve")
    assert crm.status(pl, lang="en") == "auditing"
    wz.open("price_list", pl).click("approve")
    assert crm.status(pl, lang="en") == "audited" and crm.doc(pl)["audited_by"] == "wangzong"
    g = zs.open("price_list", pl)
    g.fill(items="R740 2 1").click("save")                   # audited: read-only
    assert "READ_ONLY" in g.message and crm.doc(pl)["total"] == 126000
    zs.open("price_list", pl).click("push_down")             # 下推 → CRM销售报价单, opens the quote
    quote = zs.form.no
    assert zs.current == "quote" and crm.lineage(quote)[-2:] == [pl, quote]
    assert zs.form.widgets["items"].value == "R740 2 46000\nFW-3000 1 34000"
    u = wz.open("price_list", pl)
    u.click("unaudit")                                       # 驳回审核 refused once pushed down
    assert isinstance(u.last_error, system.CRMError) and crm.status(pl, lang="en") == "audited"


def test_project_form(mem):
    scenario.until(mem, "contract")
    contract = mem.documents(doc_type="contract")["no"].item()
    pm = ui.app(mem, "zhougong")                             # 项目经理
    f = pm.open("project")
    f.fill(contract=contract, subject="埃佛特服务器实施", goal="两周内上线", stages="").click("save")
    assert "必填" in f.errors["stages"].value and mem.documents(doc_type="project").empty
    f.fill(stages="预研阶段, 实施阶段, 验收阶段").click("save")
    project = f.no
    assert mem.doc(project)["stages"] == ["预研阶段", "实施阶段", "验收阶段"] and mem.lineage(project)[-2:] == [contract, project]
    f.click("execute")                                       # audit first
    assert "ILLEGAL_TRANSITION" in f.message and mem.status(project, lang="en") == "saved"
    m = ui.app(mem, "lijingli").open("project", project)   # 实施部's project: not the sales manager's to see
    assert m.no is None and "NOT_VISIBLE" in m.message
    ui.app(mem, "wangzong").open("project", project).click("audit")
    f = pm.open("project", project)
    f.click("execute")
    assert mem.status(project, lang="en") == "executing" and "●" in f.tables["project_stages"].value
    f.click("close")                                         # 结案 needs the summary
    assert "必填" in f.errors["summary"].value
    f.fill(summary="按期验收").click("close")                    # stages not finished
    assert "STAGES_OPEN" in f.message and mem.status(project, lang="en") == "executing"
    f.click("advance")
    f.click("advance")
    f.click("advance")
    assert "LAST_STAGE" in f.message and mem.doc(project)["stage_index"] == 2
    f.fill(summary="按期验收").click("close")
    assert mem.status(project, lang="en") == "closed" and mem.doc(project)["summary"] == "按期验收"


# ------------------------------------------------------------------------------ 服务报价单, 服务合同
def test_service_quote_push_down_and_service_contract(mem):
    scenario.until(mem, "archive")
    archive = mem.documents(doc_type="product_archive")["no"].item()
    cust = mem.doc(archive)["customer_no"]
    other = mem.login("chenjing").register_product_archive("KH000001", "SW-24", 1)
    cj, wz = ui.app(mem, "chenjing"), ui.app(mem, "wangzong")
    q = cj.open("service_quote")
    q.fill(customer=cust, level="SL01", items="OPS 1 18000", archives=f"{archive}, {other}").click("save")
    assert "ARCHIVE_OF_OTHER_CUSTOMER" in q.message and mem.documents(doc_type="service_quote").empty   # R33
    q.fill(archives=archive).click("save")
    sq = q.no
    assert (mem.doc(sq)["level"], mem.doc(sq)["archives"], mem.doc(sq)["total"]) == ("SL01", [archive], 18000)
    q.click("push_down")                                     # not audited yet
    assert isinstance(q.last_error, system.CRMError) and mem.documents(doc_type="service_contract").empty
    wz.open("service_quote", sq).click("audit")
    cj.open("service_quote", sq).click("push_down")          # 下推 → 服务合同, opens it
    sc = cj.form
    assert cj.current == "service_contract" and mem.lineage(sc.no)[-2:] == [sq, sc.no]
    assert sc.widgets["archives"].value == archive and sc.widgets["level"].value == "SL01"
    assert sc.widgets["src_no"].value == sq and sc.widgets["src_no"].disabled
    wz.open("service_contract", sc.no).click("audit")
    assert mem.status(sc.no, lang="en") == "audited"
    m = cj.open("service_contract")                         # 服务合同－新增 by hand
    m.click("new")
    m.fill(customer="KH000001", level="SL02", products="SW-24", archives=other, amount=5000).click("save")
    assert mem.doc(m.no)["total"] == 5000 and mem.doc(m.no)["products"] == ["SW-24"] and mem.status(m.no, lang="en") == "saved"
