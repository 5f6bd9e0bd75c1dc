"""Every rule R1–R35 of the Kingdee chapter (digest E §1.10) as an invariant of crmlab.system.

Each test runs on SQLite and on PostgreSQL (the ``db_url`` fixture). Where a refused action is
tested, the database fingerprint (row counts, statuses, totals) must be unchanged afterwards.
"""
import datetime as dt

import pytest
from syshelpers import new_opportunity, open_opportunity, refused, to_signing

from crmlab import opportunity as op
from crmlab import system
from crmlab.system import GuardFailed, IllegalTransition, PermissionDenied, ReadOnly


def test_R01_only_admin_maintains_and_assigns_home_schemes(crm):
    admin, zs = crm.login("admin"), crm.login("zhangsan")
    admin.save_home_scheme("销售人员方案", ["消息", "待处理", "业务数据", "常用功能"])
    admin.assign_home_scheme("销售人员方案", ["zhangsan"])
    refused(crm, PermissionDenied, zs.save_home_scheme, "销售人员方案", ["消息"], code="ROLE_FORBIDDEN")
    refused(crm, PermissionDenied, zs.assign_home_scheme, "销售人员方案", ["lisi"])
    zs.set_my_home(["消息", "待处理"])                          # own display only
    users = crm.table("users").set_index("login")
    schemes = crm.table("home_schemes").set_index("name")
    assert users.loc["zhangsan", "home_scheme_id"] == schemes.loc["销售人员方案", "id"]
    assert users.loc["zhangsan", "home_blocks"] == ["消息", "待处理"]
    assert schemes.loc["销售人员方案", "blocks"] == ["消息", "待处理", "业务数据", "常用功能"]


def test_R02_competitors_are_saved_and_audited(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    no = zs.add_competitor("启明网安", strengths="价格低")
    assert crm.status(no, lang="en") == "saved"
    refused(crm, PermissionDenied, zs.audit, no)                 # a rep saves, a manager audits
    assert lj.audit(no) == "audited"
    refused(crm, ReadOnly, zs.edit, no, strengths="服务好", code="READ_ONLY")
    assert crm.doc(no)["audited_by"] == "lijingli"


def test_R03_stage_fields_and_rising_success_rates(crm):
    admin = crm.login("admin")
    frame = crm.method().to_frame()
    assert list(frame["阶段名称"]) == ["了解情况", "预研阶段", "制作方案", "投标阶段", "签约阶段"]
    assert frame["days"].gt(0).all() and frame["probability"].is_monotonic_increasing
    bad = [op.Stage("a", "甲", "A", 5, 0.5), op.Stage("b", "乙", "B", 5, 0.3)]
    with pytest.raises(op.InvalidValue) as info:
        admin.set_method("坏方法", bad)
    assert info.value.code == "STAGE_RATE_ORDER"
    assert "坏方法" not in crm.table("sales_methods")["name"].tolist()
    refused(crm, PermissionDenied, crm.login("zhangsan").set_method, "简化方法",
            [op.Stage("a", "甲", "A", 5, 0.3), op.Stage("b", "乙", "B", 5, 0.6)])
    admin.set_method("简化方法", [op.Stage("a", "甲", "A", 5, 0.3), op.Stage("b", "乙", "B", 5, 0.6)])
    assert crm.method("简化方法").probabilities == {"a": 0.3, "b": 0.6}


def test_R04_control_modes_none_remind_strict(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    err = refused(crm, op.ConditionsNotMet, zs.advance, opp, end_stage_now=True)     # 了解情况: strict, 1 activity
    assert err.unmet == (("activity", 1, 0),)
    to_signing(crm, opp)                                       # conditions met at every stage
    assert crm.stages(opp)["warnings"].isna().all()
    opp2, _ = open_opportunity(crm, "东方港口集团")
    zs.new_activity(opp2, "拜访")
    zs.advance(opp2, end_stage_now=True)
    t = zs.new_task(opp2, "调研")
    zs.assign_task(t, "zhangsan")
    zs.complete_task(t, actual_start=crm.now, actual_end=crm.now)
    zs.advance(opp2, end_stage_now=True)
    zs.new_quote_from_opportunity(opp2)
    zs.advance(opp2, end_stage_now=True)
    res = zs.advance(opp2, end_stage_now=True)                 # 投标阶段: remind, no sample → warning
    assert res["stage"] == "signing" and res["warnings"] == ["sample: 0/1"]
    assert crm.stages(opp2).set_index("stage").loc["bidding", "warnings"] == ["sample: 0/1"]
    assert crm.method().stage("signing").control == "none"     # 签约阶段: no control (then win)


def test_R05_question_types_and_option_scores(crm):
    zm = crm.login("zhaomin")
    q1 = zm.add_question("未来一年是否有服务器采购计划", "单选题", {"有": 10, "不确定": 5, "没有": 0})
    q2 = zm.add_question("最关注的IT问题", "多选题", {"数据安全": 5, "系统性能": 3, "运维成本": 2})
    q3 = zm.add_question("机房设备已超过5年", "判断题")
    q4 = zm.add_question("对我公司的建议", "问答题")
    opts = crm.table("question_options")
    assert opts[opts.question_no == q3]["text"].tolist() == ["是", "否"]
    assert opts[opts.question_no == q4].empty
    assert opts[opts.question_no == q1].set_index("text")["score"].to_dict() == {"有": 10, "不确定": 5, "没有": 0}
    assert crm.table("questions").set_index("no").loc[q2, "qtype"] == "multiple"
    refused(crm, GuardFailed, zm.add_question, "只有一个选项", "单选题", {"是": 1}, code="OPTIONS_REQUIRED")
    refused(crm, GuardFailed, zm.add_question, "无分值", "单选题", ["甲", "乙"], code="OPTIONS_REQUIRED")
    refused(crm, GuardFailed, zm.add_question, "量表", "量表题", code="BAD_QTYPE")
    refused(crm, PermissionDenied, crm.login("zhangsan").add_question, "x", "问答题")


def test_R06_survey_then_activity_then_intelligence(crm):
    """The recommended order is recorded (activity → its source survey), not forced: the book
    says 建议 (recommended), so an activity without a survey is allowed."""
    zm = crm.login("zhaomin")
    q = zm.add_question("采购计划", "单选题", {"有": 10, "没有": 0})
    sv = zm.new_survey("2024服务器采购意向调查")
    zm.add_survey_item(sv, q)
    zm.generate_questionnaire(sv)
    zm.enter_response(sv, {q: "有"})
    zm.summarize_survey(sv)
    act = zm.new_market_activity("数据中心安全研讨会", survey=sv, budget={"F01": 8000})
    assert (crm.doc(act)["src_type"], crm.doc(act)["src_no"]) == ("survey", sv)
    intel = crm.login("zhangsan").new_intelligence("启明网安下调报价15%", "竞品降价", "强调服务", source="合作伙伴",
                                                   intel_type="价格", attachments={"a.txt": b"abc"})
    assert crm.doc(intel)["attachments"]["a.txt"].startswith("ba7816bf")      # SHA-256 of b"abc"
    assert zm.new_market_activity("无调查的活动")                              # allowed (recommended order only)


def test_R07_survey_design_generate_enter_summarize(crm):
    zm = crm.login("zhaomin")
    q1 = zm.add_question("采购计划", "单选题", {"有": 10, "不确定": 5, "没有": 0})
    q2 = zm.add_question("关注问题", "多选题", {"数据安全": 5, "系统性能": 3})
    sv = zm.new_survey("调查")
    refused(crm, IllegalTransition, zm.enter_response, sv, {q1: "有"})           # not generated yet
    refused(crm, GuardFailed, zm.generate_questionnaire, sv, code="NO_ITEMS")
    zm.add_survey_item(sv, q1)
    zm.add_survey_item(sv, q2)
    zm.generate_questionnaire(sv)
    refused(crm, IllegalTransition, zm.add_survey_item, sv, q1)                   # design is closed
    refused(crm, IllegalTransition, zm.summarize_survey, sv)                      # no responses yet
    assert zm.enter_response(sv, {q1: "有", q2: ["数据安全", "系统性能"]}, customer="KH000001") == 18
    assert zm.enter_response(sv, {q1: "没有", q2: ["数据安全"]}) == 5
    refused(crm, GuardFailed, zm.enter_response, sv, {q1: ["有", "没有"]}, code="ONE_ANSWER")
    refused(crm, GuardFailed, zm.enter_response, sv, {q1: "也许"}, code="BAD_OPTION")
    summary = zm.summarize_survey(sv)
    assert crm.status(sv, lang="en") == "summarized"
    assert summary[summary.question == q1]["percent"].sum() == 100
    assert summary.set_index(["question", "option"]).loc[(q2, "数据安全"), "n"] == 2
    sat = system.reports.customer_satisfaction(crm, sv)
    assert sat["index_0_100"].tolist() == [100.0, round(100 * 5 / 18, 2)]


def test_R08_activity_budget_needs_defined_expense_types(crm):
    zm = crm.login("zhaomin")
    refused(crm, GuardFailed, zm.new_market_activity, "研讨会", budget={"F99": 1000}, code="NO_EXPENSE_TYPE")
    act = zm.new_market_activity("数据中心安全研讨会", "研讨会", department="市场部", theme="数据安全",
                                 targets=["KH000001", "KH000002"], participants=["zhangsan"],
                                 budget={"F01": 8000, "F02": 2000, "F03": 5000})
    assert crm.doc(act)["total"] == 15_000
    assert crm.lines(act, "budget")["description"].tolist() == ["F01", "F02", "F03"]
    assert crm.doc(act)["targets"] == ["KH000001", "KH000002"]
    assert zm.start_activity(act) == "running" and zm.finish_activity(act) == "finished"
    refused(crm, IllegalTransition, zm.start_activity, act)
    care = crm.login("chenjing").new_care("年度客户答谢会", targets=["KH000001"])
    assert crm.doc(care)["doc_type"] == "care"
    refused(crm, PermissionDenied, crm.login("zhangsan").new_market_activity, "x")


def test_R09_lead_conversion(crm):
    zs = crm.login("zhangsan")
    incomplete = zs.new_lead("不完整线索", source="网站", customer_name="某公司")
    refused(crm, GuardFailed, zs.convert_lead, incomplete, new_customer=True, new_contact=True, code="LEAD_INCOMPLETE")
    lead = zs.new_lead("服务器", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
    refused(crm, GuardFailed, zs.convert_lead, lead, code="CUSTOMER_NOT_ON_FILE")
    refused(crm, GuardFailed, zs.convert_lead, lead, new_customer=True, code="CONTACT_NOT_ON_FILE")
    opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    assert crm.status(lead, lang="en") == "converted" and crm.status(opp, lang="en") == "potential"
    assert crm.links(opp)[["src_no", "relation"]].values.tolist() == [[lead, "convert"]]
    cust = crm.doc(opp)["customer_no"]
    assert crm.contacts(cust)["name"].tolist() == ["钱工"]
    refused(crm, IllegalTransition, zs.convert_lead, lead, new_customer=True, new_contact=True)
    again = zs.new_lead("扩容", source="老客户介绍", customer_name="江南重工集团", contact_name="钱工")
    opp2 = zs.convert_lead(again)                                  # both on file: synced, not duplicated
    assert crm.doc(opp2)["customer_no"] == cust and len(crm.customers().query("name == '江南重工集团'")) == 1


def test_R10_expected_revenue_is_the_sum_of_interest_lines(crm):
    opp, _ = new_opportunity(crm, lines=(("R740", 2, 48_000), ("FW-3000", 1, 36_000)))
    assert crm.doc(opp)["expected_revenue"] == 132_000 == crm.lines(opp)["amount"].sum()
    refused(crm, ReadOnly, crm.login("zhangsan").set_potential, opp, expected_revenue=1, code="REVENUE_FROM_LINES")
    assert crm.check_invariants() == []


def test_R11_new_opportunity_has_default_method_and_no_stage(crm):
    opp, _ = new_opportunity(crm)
    d = crm.doc(opp)
    assert d["status_zh"] == "未评估" and d["stage"] is None and d["probability"] == 0
    assert d["method_id"] == crm.table("sales_methods").query("is_default")["id"].item()
    refused(crm, IllegalTransition, crm.login("zhangsan").advance, opp, end_stage_now=True)


def test_R12_only_unevaluated_opportunities_are_submitted(crm):
    zs = crm.login("zhangsan")
    lead = zs.new_lead("x", source="网站", customer_name="甲公司", contact_name="甲")
    bare = zs.convert_lead(lead, new_customer=True, new_contact=True)
    refused(crm, GuardFailed, zs.submit_evaluation, bare, evaluator="lijingli", code="POTENTIAL_INCOMPLETE")
    opp, _ = new_opportunity(crm)
    refused(crm, GuardFailed, zs.submit_evaluation, opp, evaluator="lisi", code="BAD_EVALUATOR")
    assert zs.submit_evaluation(opp, evaluator="lijingli") == "evaluating"
    refused(crm, IllegalTransition, zs.submit_evaluation, opp, evaluator="wangzong")
    assert crm.evaluations(opp)[["round", "evaluator", "result"]].values.tolist() == [[1, "lijingli", None]]


def test_R13_four_evaluation_outcomes(crm):
    zs, lj, wz = crm.login("zhangsan"), crm.login("lijingli"), crm.login("wangzong")
    opp, _ = new_opportunity(crm)
    zs.submit_evaluation(opp, evaluator="lijingli")
    refused(crm, PermissionDenied, wz.evaluate, opp, "pass", code="NOT_EVALUATOR")
    assert lj.evaluate(opp, "通过，转下一评估人", next_evaluator="wangzong") == "evaluating"
    refused(crm, PermissionDenied, lj.evaluate, opp, "pass")                     # no longer his turn
    assert wz.evaluate(opp, "驳回") == "potential"                                # back to the initiator
    zs.submit_evaluation(opp, evaluator="wangzong")
    assert wz.evaluate(opp, "通过，评估结束") == "open"
    assert crm.evaluations(opp)["result"].tolist() == ["forward", "reject", "pass"]
    bad, _ = new_opportunity(crm, "打印机更换客户")
    zs.submit_evaluation(bad, evaluator="lijingli")
    assert lj.evaluate(bad, "不通过，评估结束") == "failed"
    for fn, args in ((zs.advance, ()), (zs.submit_evaluation, ("lijingli",)), (zs.new_activity, ("x",)),
                     (zs.add_interest, ("R740",)), (zs.win, ("r", crm.now.date()))):
        refused(crm, (IllegalTransition, ReadOnly), fn, bad, *args)


def test_R14_entering_execution_sets_the_first_stage(crm):
    opp, _ = open_opportunity(crm)
    d = crm.doc(opp)
    assert (d["stage"], d["probability"], d["status_zh"]) == ("understanding", 0.10, "执行中")
    st = crm.stages(opp)
    assert st[["seq", "stage", "closed"]].values.tolist() == [[1, "understanding", False]]
    assert st["planned_end"][0] - st["started_at"][0] == dt.timedelta(days=10)


def test_R15_activities_carry_the_current_stage_and_sync(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    a = zs.new_activity(opp, "初次拜访，了解机房现状")
    d = crm.doc(a)
    assert (d["stage"], d["src_type"], d["src_no"], d["ref_no"]) == ("understanding", "opportunity", opp, opp)
    assert crm.documents(doc_type="activity").query("ref_no == @opp")["no"].tolist() == [a]
    assert crm.stages(opp)["n_activity"].tolist() == [1]
    refused(crm, PermissionDenied, crm.login("lisi").new_activity, opp, "不是他的商机")


def test_R16_advance_needs_the_stage_ended_before_now(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    zs.new_activity(opp, "拜访")
    refused(crm, GuardFailed, zs.advance, opp, code="STAGE_END_AFTER_NOW")
    refused(crm, GuardFailed, zs.set_stage_end, opp, crm.now + dt.timedelta(days=1), code="BAD_STAGE_END")
    zs.set_stage_end(opp)                                        # the textbook's fix: actual end = today
    assert zs.advance(opp)["stage"] == "pre_study"
    crm.tick(days=16)                                            # planned end (15 days) has passed
    t = zs.new_task(opp, "调研")
    zs.assign_task(t, "zhangsan")
    zs.complete_task(t, actual_start=crm.now, actual_end=crm.now)
    assert zs.advance(opp)["stage"] == "proposal"


def test_R17_the_push_dialog_shows_next_stage_and_rate(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    zs.new_activity(opp, "拜访")
    res = zs.advance(opp, end_stage_now=True)
    assert res == {"stage": "pre_study", "stage_zh": "预研阶段", "probability": 0.25, "warnings": []}
    assert crm.doc(opp)["probability"] == 0.25


def test_R18_task_assign_then_complete(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    t = zs.new_task(opp, "机房环境调研报告")
    assert crm.status(t, lang="en") == "saved"
    refused(crm, IllegalTransition, zs.complete_task, t, crm.now, crm.now)        # not assigned: no executor
    assert zs.assign_task(t, "zhangsan") == "in_progress"
    assert crm.status(t, lang="zh") == "执行中"
    assert zs.complete_task(t, actual_start=crm.now, actual_end=crm.now) == "done"
    assert crm.status(t, lang="zh") == "已完成"


def test_R19_completion_needs_actual_start_and_end(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    t = zs.new_task(opp, "调研")
    zs.assign_task(t, "zhangsan")
    refused(crm, GuardFailed, zs.complete_task, t, code="ACTUAL_TIMES_REQUIRED")
    refused(crm, GuardFailed, zs.complete_task, t, actual_start=crm.now, actual_end=crm.now - dt.timedelta(hours=1),
            code="BAD_ACTUAL_TIMES")
    refused(crm, PermissionDenied, crm.login("lijingli").complete_task, t, crm.now, crm.now, code="NOT_EXECUTOR")
    zs.complete_task(t, actual_start=crm.now - dt.timedelta(hours=2), actual_end=crm.now)


def test_R20_task_process_lines_count_as_stage_activities(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    t = zs.new_task(opp, "需求访谈")                            # stamped 了解情况
    zs.assign_task(t, "zhangsan")
    zs.add_task_process(t, "电话访谈信息中心主任")
    assert crm.stages(opp)["n_activity"].tolist() == [1]
    assert zs.advance(opp, end_stage_now=True)["stage"] == "pre_study"    # no separate 活动 needed


def test_R21_quote_needs_interest_lines_which_it_copies(crm):
    zs = crm.login("zhangsan")
    opp, _ = open_opportunity(crm)
    to_stage = crm.doc(opp)["stage"]
    q = zs.new_quote_from_opportunity(opp)
    assert crm.lines(q)[["product", "qty", "price"]].values.tolist() == \
        crm.lines(opp)[["product", "qty", "price"]].values.tolist()
    assert crm.doc(q)["stage"] == to_stage and q in crm.documents(doc_type="销售报价单")["no"].tolist()


@pytest.fixture
def crm_without_lines(crm):
    """An open opportunity with a typed-in revenue and no interest lines."""
    zs = crm.login("zhangsan")
    lead = zs.new_lead("x", source="网站", customer_name="无产品客户", contact_name="甲")
    opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    zs.set_potential(opp, expected_close="2024-06-30", source="网站", interest="中", expected_revenue=5000)
    zs.submit_evaluation(opp, evaluator="lijingli")
    crm.login("lijingli").evaluate(opp, "pass")
    return crm, opp


def test_R21_no_interest_lines_no_quote(crm_without_lines):
    crm, opp = crm_without_lines
    refused(crm, GuardFailed, crm.login("zhangsan").new_quote_from_opportunity, opp, code="NO_INTEREST_LINES")


def test_R22_sample_lines_are_entered_by_hand(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    refused(crm, GuardFailed, zs.new_sample, opp, [], code="NO_LINES")
    refused(crm, GuardFailed, zs.new_sample, opp, [("R740", 0, 48_000)], code="BAD_QTY")
    s = zs.new_sample(opp, [("R740", 1, 48_000), ("SW-24", 2, 6_000)])
    assert crm.doc(s)["total"] == 60_000 == crm.lines(s)["amount"].sum()


def test_R23_win_needs_the_win_loss_date_and_reason(crm):
    opp, _ = open_opportunity(crm)
    zs = crm.login("zhangsan")
    zs.new_activity(opp, "拜访")
    zs.advance(opp, end_stage_now=True)
    refused(crm, op.IllegalTransition, zs.win, opp, "原因", crm.now.date(), code="WIN_NOT_AT_LAST_STAGE")
    opp2, _ = open_opportunity(crm, "第二客户")
    to_signing(crm, opp2)
    refused(crm, GuardFailed, zs.win, opp2, code="WIN_DATE_REQUIRED")
    refused(crm, GuardFailed, zs.win, opp2, "原因", crm.now.date() + dt.timedelta(days=1), code="DATE_IN_FUTURE")
    zs.set_summary(opp2, win_loss_date=crm.now.date())
    refused(crm, op.IllegalTransition, zs.win, opp2, code="REASON_REQUIRED")
    zs.set_summary(opp2, win_reason="方案契合、响应及时")
    assert zs.win(opp2) == "won"
    d = crm.doc(opp2)
    assert (d["probability"], d["win_reason"], d["status_zh"]) == (1.0, "方案契合、响应及时", "赢单")
    refused(crm, ReadOnly, zs.set_summary, opp2, win_reason="改")                 # won: read-only


def test_R24_the_opportunity_is_won_before_the_contract(crm):
    opp, _ = open_opportunity(crm)
    quote = to_signing(crm, opp)
    lj, zs = crm.login("lijingli"), crm.login("zhangsan")
    lj.audit(quote)
    refused(crm, GuardFailed, zs.push_down, quote, "contract", code="OPPORTUNITY_NOT_WON")
    zs.win(opp, reason="中标", date=crm.now.date())
    contract = zs.push_down(quote, "销售合同")
    assert crm.lineage(contract)[-3:] == [opp, quote, contract]


def test_R25_price_list_multi_level_audit_unaudit_and_push(crm):
    zs, lj, wz = crm.login("zhangsan"), crm.login("lijingli"), crm.login("wangzong")
    pl = zs.new_price_list("KH000001", [("R740", 2, 46_000), ("FW-3000", 1, 34_000), ("OPS", 1, 20_000)])
    assert crm.doc(pl)["total"] == 146_000
    refused(crm, IllegalTransition, zs.push_down, pl, "quote")                    # not audited
    refused(crm, GuardFailed, zs.enable_multi_audit, pl, ["zhangsan"], code="APPROVER_CANNOT_AUDIT")
    zs.enable_multi_audit(pl, ["lijingli", "wangzong"])
    refused(crm, PermissionDenied, wz.approve, pl, code="NOT_APPROVER")
    refused(crm, IllegalTransition, lj.audit, pl)
    assert lj.approve(pl) == "auditing"
    assert wz.unaudit(pl) == "saved"                                               # 驳回审核
    zs.enable_multi_audit(pl, ["lijingli", "wangzong"])
    lj.approve(pl)
    assert wz.approve(pl) == "audited"
    steps = crm.table("audit_steps").query("doc_no == @pl")
    assert steps[["level", "approver", "action"]].values.tolist() == [
        [1, "lijingli", "approve"], [2, "wangzong", "reject"], [1, "lijingli", "approve"], [2, "wangzong", "approve"]]
    q = zs.push_down(pl, "CRM销售报价单")
    assert crm.doc(q)["src_no"] == pl and crm.doc(q)["total"] == 146_000
    refused(crm, GuardFailed, lj.unaudit, pl, code="HAS_DOWNSTREAM")


def test_R26_only_audited_quotes_are_pushed_to_contracts(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    pl = zs.new_price_list("KH000001", [("R740", 1, 47_000)])
    lj.audit(pl)
    q = zs.push_down(pl, "quote")
    refused(crm, IllegalTransition, zs.push_down, q, "contract")
    assert zs.send_quote(q) == "sent"
    refused(crm, IllegalTransition, zs.push_down, q, "contract")
    lj.audit(q)
    c = zs.push_down(q, "contract")
    assert crm.lineage(c) == [pl, q, c]
    refused(crm, IllegalTransition, zs.push_down, pl, "contract", code="NO_PUSH_DOWN")
    q2 = zs.push_down(pl, "quote")
    assert zs.cancel_quote(q2) == "cancelled"
    refused(crm, IllegalTransition, lj.audit, q2)


def _contract(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    pl = zs.new_price_list("KH000001", [("R740", 2, 46_000), ("FW-3000", 1, 34_000)])
    lj.audit(pl)
    q = zs.push_down(pl, "quote")
    lj.audit(q)
    return zs.push_down(q, "contract")


def test_R27_contract_lines_payment_plan_settlement_audit(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    c = _contract(crm)
    assert crm.lines(c)["amount"].sum() == crm.doc(c)["total"] == 126_000
    refused(crm, GuardFailed, lj.audit, c, code="SETTLEMENT_REQUIRED")
    zs.set_contract_terms(c, settlement="银行转账", terms="验收后付款")
    refused(crm, GuardFailed, lj.audit, c, code="PAYMENT_PLAN")
    refused(crm, GuardFailed, zs.set_payment_plan, c, [("2024-03-01", 0.3), ("2024-05-01", 0.6)], code="PAYMENT_PLAN")
    refused(crm, GuardFailed, zs.set_payment_plan, c, [("2024-05-01", 0.3), ("2024-03-01", 0.7)], code="PLAN_ORDER")
    zs.set_payment_plan(c, [("2024-03-01", 0.3), ("2024-05-01", 0.6), ("2025-03-01", 0.1)])
    assert crm.lines(c, "payment")["amount"].tolist() == [37_800, 75_600, 12_600]
    refused(crm, PermissionDenied, zs.audit, c)
    assert lj.audit(c) == "audited"
    refused(crm, ReadOnly, zs.set_contract_terms, c, settlement="现金")
    refused(crm, ReadOnly, zs.set_lines, c, [("R740", 1, 1)])


def test_R28_project_from_contract_audit_execute_close(crm):
    zs, lj, zg = crm.login("zhangsan"), crm.login("lijingli"), crm.login("zhougong")
    c = _contract(crm)
    refused(crm, IllegalTransition, zg.new_project, c, "实施项目", code="SOURCE_NOT_AUDITED")
    zs.set_contract_terms(c, settlement="银行转账")
    zs.set_payment_plan(c, [("2024-03-01", 1.0)])
    lj.audit(c)
    p = zg.new_project(c, "江南数据中心实施", goal="三个月上线", content="服务器与防火墙部署")
    assert crm.doc(p)["src_type"] == "contract" and crm.doc(p)["src_no"] == c
    refused(crm, IllegalTransition, zg.execute_project, p)                        # audit first
    refused(crm, PermissionDenied, lj.audit, p)                                    # another department's
    crm.login("wangzong").audit(p)
    assert zg.execute_project(p) == "executing"
    refused(crm, GuardFailed, zg.close_project, p, "总结", code="STAGES_OPEN")
    assert zg.advance_project(p) == "实施阶段"
    assert zg.advance_project(p) == "验收阶段"
    refused(crm, IllegalTransition, zg.advance_project, p, code="LAST_STAGE")
    refused(crm, GuardFailed, zg.close_project, p, "", code="SUMMARY_REQUIRED")
    assert zg.close_project(p, "按期验收") == "closed"
    assert crm.status(p, lang="zh") == "已关闭"


def test_R29_product_archive_registration_and_editable_dates(crm):
    cj = crm.login("chenjing")
    refused(crm, GuardFailed, cj.register_product_archive, "KH000001", "PSU", code="PRODUCT_NOT_SERVICED")
    crm.login("admin").set_service_data("SW-24", service_enabled=False, gen_archive=False)
    refused(crm, GuardFailed, cj.register_product_archive, "KH000001", "SW-24", code="PRODUCT_NOT_SERVICED")
    a = cj.register_product_archive("KH000001", "R740", 2, warranty_until="2027-03-01")
    assert crm.status(a, lang="en") == "registered" and crm.lines(a)["qty"].tolist() == [2]
    refused(crm, ReadOnly, cj.edit_archive, a, product="FW-3000", code="ARCHIVE_REGISTERED")
    cj.edit_archive(a, next_repair="2024-09-01", warranty_until="2027-06-01")
    assert crm.doc(a)["warranty_until"] == "2027-06-01"


def _request(crm):
    cj = crm.login("chenjing")
    a = cj.register_product_archive("KH000001", "R740", 2)
    r = cj.new_service_request("KH000001", a, "服务器无法开机", required_by=crm.now.date() + dt.timedelta(days=2))
    return a, r


def test_R30_service_request_needs_customer_and_product_card(crm):
    cj = crm.login("chenjing")
    a, r = _request(crm)
    other = cj.register_product_archive("KH000002", "R740", 1)
    refused(crm, GuardFailed, cj.new_service_request, "KH000001", other, "x", crm.now.date(),
            code="ARCHIVE_OF_OTHER_CUSTOMER")
    refused(crm, IllegalTransition, cj.dispatch, r, "liugong")                  # assign first
    refused(crm, PermissionDenied, crm.login("zhangsan").assign_request, r, "chenjing")
    assert cj.assign_request(r, "chenjing") == "assigned"
    wo = cj.dispatch(r, "liugong")
    d = crm.doc(wo)
    assert (d["doc_type"], d["src_no"], d["owner"], d["status"]) == ("work_order", r, "liugong", "pending")
    assert crm.status(r, lang="zh") == "派工中"


def test_R31_handler_must_be_an_authorised_employee_user(crm):
    cj = crm.login("chenjing")
    _, r = _request(crm)
    cj.assign_request(r, "chenjing")
    refused(crm, GuardFailed, cj.dispatch, r, "wanggong", code="HANDLER_NOT_EMPLOYEE")
    refused(crm, GuardFailed, cj.dispatch, r, "zhangsan", code="HANDLER_NOT_ENGINEER")
    crm.login("admin").add_user("sungong", "孙工", "服务工程师", dept="D04", employee_code="E403", authorised=False)
    refused(crm, GuardFailed, cj.dispatch, r, "sungong", code="HANDLER_NOT_EMPLOYEE")
    assert cj.dispatch(r, "liugong").startswith("PG")


def test_R32_accept_then_handle_then_update_archive(crm):
    cj, lg = crm.login("chenjing"), crm.login("liugong")
    a, r = _request(crm)
    cj.assign_request(r, "chenjing")
    wo = cj.dispatch(r, "liugong")
    refused(crm, PermissionDenied, crm.login("zhangsan").accept_work_order, wo, "x")
    crm.login("admin").add_user("sungong", "孙工", "服务工程师", dept="D04", employee_code="E403")
    refused(crm, PermissionDenied, crm.login("sungong").accept_work_order, wo, "x", code="NOT_OWNER")
    refused(crm, IllegalTransition, lg.handle_work_order, wo, cause="c", action="a")
    refused(crm, GuardFailed, lg.accept_work_order, wo, "")
    lg.accept_work_order(wo, "已电话确认故障现象")
    assert crm.status(r, lang="zh") == "已派工"
    crm.tick(days=1)
    h = lg.handle_work_order(wo, cause="电源模块故障", action="更换电源模块", parts=[("PSU", 1)])
    assert crm.status(r, lang="en") == "handled" and crm.status(wo, lang="en") == "handled"
    lg.update_product_archive(h)
    arc = crm.doc(a)
    assert arc["last_repair"] == crm.now.date().isoformat() and len(arc["parts"]) == 1
    refused(crm, GuardFailed, lg.update_product_archive, h, code="ALREADY_UPDATED")
    assert cj.close_request(r, 5) == "closed"
    assert system.reports.service_satisfaction(crm).to_dict("records") == [
        {"handler": "liugong", "n": 1, "mean_satisfaction": 5.0, "share_satisfied": 1.0}]


def test_R33_service_contract_products_scope_audit(crm):
    cj, wz = crm.login("chenjing"), crm.login("wangzong")
    a = cj.register_product_archive("KH000001", "R740", 2)
    other = cj.register_product_archive("KH000002", "R740", 1)
    refused(crm, GuardFailed, cj.new_service_contract, "KH000001", level="SL01", products=["R740"], archives=[other],
            code="ARCHIVE_OF_OTHER_CUSTOMER")
    sc = cj.new_service_contract("KH000001", level="SL01", products=["R740"], archives=[a], amount=20_000)
    refused(crm, PermissionDenied, cj.audit, sc)
    assert wz.audit(sc) == "audited"
    d = crm.doc(sc)
    assert d["archives"] == [a] and d["end"] == "2025-03-01" and d["total"] == 20_000
    empty = cj.new_service_contract("KH000001", level="SL02", products=[], archives=[])
    refused(crm, GuardFailed, wz.audit, empty, code="SCOPE_REQUIRED")


def test_R34_customer_audit_trading_and_read_only_value(crm):
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    cu = zs.new_customer("新客户有限公司", industry="制造", region="华东")
    assert crm.status(cu, lang="en") == "saved"
    refused(crm, GuardFailed, zs.new_price_list, cu, [("R740", 1, 48_000)], code="NOT_TRADING_CUSTOMER")
    refused(crm, PermissionDenied, zs.audit, cu)
    lj.audit(cu)
    refused(crm, GuardFailed, zs.new_price_list, cu, [("R740", 1, 48_000)], code="NOT_TRADING_CUSTOMER")
    refused(crm, PermissionDenied, zs.set_trading, cu)
    lj.set_trading(cu)
    assert zs.new_price_list(cu, [("R740", 1, 48_000)]).startswith("JMB")
    refused(crm, ReadOnly, zs.edit_customer, cu, value_score=99, code="READ_ONLY_FIELD")
    refused(crm, ReadOnly, zs.edit_customer, cu, value_grade="A")


def test_R35_value_model_must_be_active_and_writes_back(crm):
    from crmlab.system.reports import DEFAULT_VALUE_MODEL
    admin = crm.login("admin")
    refused(crm, GuardFailed, admin.update_customer_value, code="NO_ACTIVE_MODEL")
    with pytest.raises(GuardFailed):
        admin.save_value_model("坏模型", bands=DEFAULT_VALUE_MODEL["bands"], weights={"win_rate": 0.6, "margin": 0.6},
                               grades=DEFAULT_VALUE_MODEL["grades"])
    admin.save_value_model("默认模型", **DEFAULT_VALUE_MODEL)
    refused(crm, GuardFailed, admin.update_customer_value, code="NO_ACTIVE_MODEL")     # saved, not 生效
    refused(crm, PermissionDenied, crm.login("zhangsan").activate_value_model, "默认模型")
    assert admin.activate_value_model("默认模型") == "active"
    refused(crm, ReadOnly, admin.save_value_model, "默认模型", **DEFAULT_VALUE_MODEL)
    scores = admin.update_customer_value()
    cust = crm.customers().set_index("no")
    assert (cust.loc[scores.customer_no, "value_grade"].values == scores.grade.values).all()
    pyr = system.reports.customer_pyramid(crm)
    assert pyr["n"].sum() == len(scores) and pyr["share_customers"].sum() == pytest.approx(1.0)
