"""The user interface as data: the menu tree, every form's fields and buttons, lists and reports.

Like an Odoo view, a form is declared, not programmed: :data:`FORMS` maps each document type to a
:class:`FormSpec` — its :class:`Field` s (grouped in tabs 页签, as on the Kingdee forms), the
:class:`Call` s that 保存 makes (create or update), and its :class:`Button` s, each a list of
:class:`Call` s to :class:`~crmlab.system.Desk` actions run in **one transaction**. The widgets of
:mod:`crmlab.system.ui.widgets` read these declarations; nothing here imports ipywidgets, so a
student can print a form's buttons and the action behind each (:func:`button_table`).

The menu tree :data:`MENU` follows the textbook's paths 所有功能 → 客户关系管理 → 市场管理 / 商机管理 /
销售过程 / 服务管理 / 客户管理 / 决策分析 / 系统管理 (textbook task 12 §12.1 and the digest's §1.2
menu tree); the buttons carry the textbook's names (新增, 保存, 审核, 下推, 转化, 提交评估, 评估,
阶段推进, 赢单, 分配, 派工, 接受, 处理; digest §1.3). Field lists where the textbook prints none
are crmlab's (its screenshots are lost). Every document type has a form; the textbook's 日程管理 →
活动管理 (活动) and its unprinted 任务 path sit here under 商机管理, because both hang on an opportunity,
and 客户关怀 under 服务管理 as in the textbook; the 调查题库 of 系统管理 → 业务资料 is a form too.

Arguments of a call name form fields, or ``"@no"`` (the open document) or ``"@result"`` (what
the first call of the same click returned, e.g. the number of a document just created).

Example
-------
>>> from crmlab.system.ui import spec
>>> [label for _, label, _, _ in spec.MENU][:3]
['市场管理', '商机管理', '销售过程']
>>> t = spec.button_table("lead")
>>> t.loc[t.button == "转化", "calls"].item()
'convert_lead(@no, new_customer=new_customer, new_contact=new_contact)'
>>> spec.FORMS["opportunity"].field("expected_close").zh
'预计成交日期'
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

__all__ = ["Field", "Call", "Button", "FormSpec", "call", "MENU", "FORMS", "REPORTS", "REPORT_COLUMNS", "VALUE_LABELS",
           "TABS", "TEXT", "LIST_COLUMNS", "NEW", "SAVE", "button_table", "field_table", "menu_table"]


class Field(NamedTuple):
    """One input of a form.

    ``kind``: ``text``, ``area`` (several lines), ``number``, ``date``, ``choice`` (a drop-down of
    ``options``: ``((code, zh, en), …)`` or the name of a list read from the database, e.g.
    ``"customers"``), ``combo`` (free text with suggestions), ``bool``, ``lines`` (product lines,
    one per row: ``code qty price``), ``pairs`` (``a:1, b:2`` → a list of pairs) or ``mapping``
    (the same, as a dict), ``list`` (names separated by commas: ``lijingli, wangzong``) or
    ``answers`` (one survey answer a line: ``DCTK000001: 很满意``; several options ``a|b``). ``key``: where :meth:`CRM.doc` keeps the value (default: ``name``;
    ``""``: an action parameter, not loaded; ``"@lines"``: the document's item lines;
    ``"lines.COLUMN"``: that column of the first item line). ``locked``: read-only once the
    document exists. ``required``: needed to save a new document.
    """
    name: str
    zh: str
    en: str
    kind: str = "text"
    tab: str = "basic"
    required: bool = False
    key: str | None = None
    options: tuple | str = ()
    default: object = None
    locked: bool = False
    hint: str = ""

    @property
    def source(self) -> str:
        """The key of the value in the document dict ("" = not loaded)."""
        return self.name if self.key is None else self.key


class Call(NamedTuple):
    """One Desk action: ``method(*args, **{param: field})``.

    ``when``: run only if one of these fields has a value. ``partial`` (on 保存 of an existing
    document): pass only the fields the user changed, skip the call if none changed. Other
    update calls run when one of their fields changed.
    """
    method: str
    args: tuple = ()
    kwargs: tuple = ()
    when: tuple = ()
    partial: bool = False

    def fields(self) -> list[str]:
        """The form fields this call reads."""
        return [a for a in self.args if not a.startswith("@")] + [f for _, f in self.kwargs]

    def __str__(self):
        parts = list(self.args) + [f"{p}={f}" for p, f in self.kwargs]
        return f"{self.method}({', '.join(parts)})"


def call(method: str, *args: str, when=(), partial: bool = False, **kwargs: str) -> Call:
    """Build a :class:`Call`: ``call("win", "@no", reason="win_reason", date="win_date")``."""
    when = (when,) if isinstance(when, str) else tuple(when)
    return Call(method, tuple(args), tuple(kwargs.items()), when, partial)


class Button(NamedTuple):
    """A toolbar button: label, the calls it makes (one transaction), the fields it needs, and
    the form it opens with the first call's result (e.g. 转化 opens the new opportunity)."""
    key: str
    zh: str
    en: str
    calls: tuple = ()
    requires: tuple = ()
    opens: str | None = None


#: 新增 (an empty form) and 保存 (the form's create or update calls) are the same on every form.
NEW = Button("new", "新增", "New")
SAVE = Button("save", "保存", "Save")


class FormSpec(NamedTuple):
    """A document form: fields, create and update calls of 保存, buttons, read-only tables, list."""
    doc_type: str
    zh: str
    en: str
    fields: tuple
    buttons: tuple
    create: tuple = ()
    update: tuple = ()
    tables: tuple = ()          # (tab, table): "lines", "payment", "budget", "stages", "evaluations", "links"
    source: str = "documents"   # list: "documents", "customers", "users" or "questions"
    loader: str = "doc"         # "doc" (crm.doc / desk.get), "user" or "question"

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def tabs(self) -> list[str]:
        """Tab keys in order of first use (fields, then tables)."""
        out = []
        for t in [f.tab for f in self.fields] + [t for t, _ in self.tables]:
            if t not in out:
                out.append(t)
        return out


#: Tab (页签) labels.
TABS = {
    "basic": ("基本信息", "Basic data"), "potential": ("潜在机会", "Potential"), "evaluation": ("评估", "Evaluation"),
    "stages": ("销售阶段", "Sales stages"), "summary": ("项目总结", "Summary"), "lines": ("明细", "Lines"),
    "convert": ("转化", "Conversion"), "dispatch": ("分配与派工", "Assign & dispatch"),
    "plan": ("收款计划", "Payment plan"), "budget": ("费用预算", "Budget"), "accept": ("接受", "Accept"),
    "handle": ("处理", "Handle"), "push": ("下推", "Push down"), "links": ("关联单据", "Linked documents"),
    "design": ("问卷设计", "Questionnaire design"), "response": ("问卷录入", "Enter a response"),
    "analysis": ("汇总分析", "Summary analysis"), "process": ("处理过程", "Process"),
    "audit": ("多级审核", "Multi-level audit"), "project_stages": ("项目阶段", "Project stages"),
    "scope": ("服务范围", "Service scope"), "checkin": ("签到", "Check-in"),
}

_SOURCES = (("市场活动", "市场活动", "market activity"), ("电话营销", "电话营销", "telemarketing"),
            ("网站", "网站", "website"), ("展会", "展会", "trade fair"), ("客户介绍", "客户介绍", "referral"),
            ("其他", "其他", "other"))
_INTEREST = (("high", "高", "high"), ("medium", "中", "medium"), ("low", "低", "low"))
_RESULTS = (("forward", "通过，转下一评估人", "pass, forward to the next evaluator"), ("reject", "驳回", "send back"),
            ("pass", "通过，评估结束", "pass, evaluation ends"), ("fail", "不通过，评估结束", "fail, evaluation ends"))
_SETTLEMENT = (("银行转账", "银行转账", "bank transfer"), ("现金", "现金", "cash"), ("承兑汇票", "承兑汇票", "bank acceptance"))
_ACT_TYPES = (("研讨会", "研讨会", "seminar"), ("展会", "展会", "trade fair"), ("促销", "促销", "promotion"),
              ("答谢会", "答谢会", "customer thank-you event"))

_INTEL_SOURCES = (("网络", "网络", "internet"), ("展会", "展会", "trade fair"), ("客户", "客户", "customer"),
                  ("同行", "同行", "peer"), ("媒体", "媒体", "media"))
_INTEL_TYPES = (("竞争对手", "竞争对手", "competitor"), ("市场", "市场", "market"), ("政策", "政策", "policy"),
                ("技术", "技术", "technology"))
_PROJECT_STAGES = "预研阶段, 实施阶段, 验收阶段"
_VISIT_TYPES = (("拜访", "拜访", "visit"), ("电话", "电话", "phone call"), ("演示", "演示", "demonstration"),
                ("会议", "会议", "meeting"))
_QTYPES = (("single", "单选题", "single choice"), ("multiple", "多选题", "multiple choice"),
           ("true_false", "判断题", "true/false"), ("open", "问答题", "open question"))


def _activity_form(doc_type: str, zh: str, en: str, method: str, default_type: str) -> FormSpec:
    """市场活动, 营销活动 and 客户关怀 share one form: the engine's ``new_market_activity`` makes all three."""
    return FormSpec(doc_type, zh, en, (
        Field("subject", "活动名称", "Name", required=True),
        Field("act_type", "活动类型", "Type", "combo", options=_ACT_TYPES, default=default_type),
        Field("department", "部门", "Department"),
        Field("theme", "活动主题", "Theme"),
        Field("purpose", "活动目的", "Purpose", "area"),
        Field("budget", "费用预算", "Budget", "mapping", tab="budget", key="", hint="F01:3000, F03:1200"),
    ), (NEW, SAVE, Button("start", "执行", "Start", (call("start_activity", "@no"),)),
        Button("finish", "结束", "Finish", (call("finish_activity", "@no"),))),
        create=(call(method, "subject", act_type="act_type", department="department", theme="theme",
                     purpose="purpose", budget="budget"),),
        tables=(("budget", "budget"),))

F = Field
FORMS: dict[str, FormSpec] = {s.doc_type: s for s in (
    # -- 市场管理 → 市场活动 / 营销活动 (task 13.1-2, R8); 服务管理 → 客户关怀 (task 14.3) -----------------
    _activity_form("market_activity", "市场活动", "Market activity", "new_market_activity", "研讨会"),
    _activity_form("campaign", "营销活动", "Marketing campaign", "new_campaign", "促销"),
    _activity_form("care", "客户关怀", "Customer care", "new_care", "答谢会"),
    # -- 市场管理 → 市场调查 (task 13.1-1, R5-R7): 新增, 问卷设计, 生成问卷, 问卷录入, 汇总分析 ------------
    FormSpec("survey", "市场调查", "Market survey", (
        F("theme", "调查主题", "Theme", key="subject", required=True),
        F("items", "问卷题目", "Questions", "list", key="items", locked=True),
        F("question", "题库题目", "Question of the bank", "choice", tab="design", key="", options="questions"),
        F("customer", "被调查客户", "Respondent (customer)", "choice", tab="response", key="", options="customers"),
        F("answers", "答案", "Answers", "answers", tab="response", key="",
          hint="DCTK000001: 很满意\nDCTK000002: 价格|服务"),
    ), (NEW, SAVE,
        Button("add_item", "问卷设计", "Add question", (call("add_survey_item", "@no", "question"),),
               requires=("question",)),
        Button("generate", "生成问卷", "Generate questionnaire", (call("generate_questionnaire", "@no"),)),
        Button("response", "问卷录入", "Enter response", (call("enter_response", "@no", "answers", customer="customer"),),
               requires=("answers",)),
        Button("summarize", "汇总分析", "Summarize", (call("summarize_survey", "@no"),))),
        create=(call("new_survey", "theme"),),
        update=(call("edit", "@no", partial=True, subject="theme"),),
        tables=(("design", "questions"), ("analysis", "survey_summary"), ("links", "links"))),
    # -- 市场管理 → 市场情报 (task 13.1-3) ------------------------------------------------------------
    FormSpec("intelligence", "市场情报", "Market intelligence", (
        F("topic", "情报主题", "Topic", key="subject", required=True),
        F("intel_type", "情报类型", "Type", "combo", options=_INTEL_TYPES, default="竞争对手"),
        F("source", "情报来源", "Source", "combo", options=_INTEL_SOURCES, default="网络"),
        F("content", "情报内容", "Content", "area", required=True),
        F("strategy", "应对策略", "Response strategy", "area", required=True),
    ), (NEW, SAVE),
        create=(call("new_intelligence", "topic", "content", "strategy", source="source", intel_type="intel_type"),),
        update=(call("edit", "@no", partial=True, subject="topic", intel_type="intel_type", source="source",
                     content="content", strategy="strategy"),)),
    # -- 市场管理 → 线索管理 (task 13.2, R9) -------------------------------------------------------
    FormSpec("lead", "线索", "Lead", (
        F("subject", "线索主题", "Subject", required=True),
        F("source", "来源", "Source", "combo", options=_SOURCES, required=True),
        F("customer_name", "客户名称", "Customer"),
        F("contact_name", "联系人", "Contact"),
        F("phone", "电话", "Phone"),
        F("need", "需求描述", "Need", "area"),
        F("new_customer", "新增客户", "New customer", "bool", tab="convert", key="", default=False),
        F("new_contact", "新增联系人", "New contact", "bool", tab="convert", key="", default=False),
    ), (NEW, SAVE, Button("convert", "转化", "Convert",
                          (call("convert_lead", "@no", new_customer="new_customer", new_contact="new_contact"),),
                          opens="opportunity")),
        create=(call("new_lead", "subject", source="source", customer_name="customer_name",
                     contact_name="contact_name", phone="phone", need="need"),),
        update=(call("edit", "@no", partial=True, subject="subject", source="source", customer_name="customer_name",
                     contact_name="contact_name", phone="phone", need="need"),),
        tables=(("links", "links"),)),
    # -- 商机管理 → 商业机会 (task 13.3, R10-R24) -------------------------------------------------
    FormSpec("opportunity", "商机", "Opportunity", (
        F("subject", "商机主题", "Subject", required=True),
        F("customer", "客户", "Customer", "choice", options="customers", key="customer_no", required=True, locked=True),
        F("source", "机会来源", "Source", "combo", options=_SOURCES, key="opp_source"),
        F("expected_close", "预计成交日期", "Expected close", "date", tab="potential"),
        F("interest", "兴趣大小", "Interest", "choice", tab="potential", options=_INTEREST),
        F("need", "需求描述", "Need", "area", tab="potential"),
        F("product", "兴趣产品", "Product of interest", "choice", tab="potential", key="", options="products"),
        F("qty", "数量", "Quantity", "number", tab="potential", key="", default=1),
        F("price", "单价", "Unit price", "number", tab="potential", key=""),
        F("evaluator", "评估人", "Evaluator", "choice", tab="evaluation", options="evaluators"),
        F("eval_result", "评估结果", "Result", "choice", tab="evaluation", key="", options=_RESULTS),
        F("next_evaluator", "下一评估人", "Next evaluator", "choice", tab="evaluation", key="", options="evaluators"),
        F("comment", "评估意见", "Comment", "area", tab="evaluation", key=""),
        F("activity_subject", "活动主题", "Activity subject", tab="stages", key=""),
        F("end_stage_now", "以当前时间结束本阶段", "End the stage now", "bool", tab="stages", key="", default=True),
        F("win_date", "输赢日期", "Win/loss date", "date", tab="summary", key="win_loss_date"),
        F("win_reason", "赢单原因", "Win reason", tab="summary"),
        F("lost_reason", "输单原因", "Loss reason", tab="summary"),
    ), (NEW, SAVE,
        Button("submit", "提交评估", "Submit for evaluation", (call("submit_evaluation", "@no", "evaluator"),),
               requires=("evaluator",)),
        Button("evaluate", "评估", "Evaluate", (call("evaluate", "@no", "eval_result", next_evaluator="next_evaluator",
                                                     comment="comment"),), requires=("eval_result",)),
        Button("activity", "新增活动", "New activity", (call("new_activity", "@no", "activity_subject"),),
               requires=("activity_subject",)),
        Button("advance", "阶段推进", "Advance stage", (call("advance", "@no", end_stage_now="end_stage_now"),)),
        Button("quote", "报价", "Quote", (call("new_quote_from_opportunity", "@no"),), opens="quote"),
        Button("win", "赢单", "Won", (call("win", "@no", reason="win_reason", date="win_date"),)),
        Button("lose", "输单", "Lost", (call("lose", "@no", "lost_reason", date="win_date"),),
               requires=("lost_reason",))),
        create=(call("new_opportunity", "subject", "customer", source="source"),
                call("set_potential", "@result", when=("expected_close", "interest", "need"),
                     expected_close="expected_close", interest="interest", need="need"),
                call("add_interest", "@result", "product", qty="qty", price="price", when="product")),
        update=(call("edit", "@no", partial=True, subject="subject"),
                call("set_potential", "@no", partial=True, expected_close="expected_close", source="source",
                     interest="interest", need="need"),
                call("add_interest", "@no", "product", qty="qty", price="price", when="product"),
                call("set_summary", "@no", partial=True, win_loss_date="win_date", win_reason="win_reason",
                     lost_reason="lost_reason")),
        tables=(("potential", "lines"), ("evaluation", "evaluations"), ("stages", "stages"), ("links", "links"))),
    # -- 日程管理 → 活动 (task 13.3, R15; check-in 签到 as on the phone, task 16) --------------------
    FormSpec("activity", "活动", "Activity", (
        F("opportunity", "源单（商机）", "Source opportunity", "choice", options="open_opportunities", key="src_no",
          required=True, locked=True),
        F("subject", "活动主题", "Subject", required=True),
        F("act_type", "活动类型", "Type", "combo", options=_VISIT_TYPES, default="拜访", locked=True),
        F("plan_start", "计划开始", "Planned start", "date"),
        F("result", "活动结果", "Result", "area"),
        F("place", "签到地点", "Check-in place", tab="checkin", key=""),
        F("lat", "纬度", "Latitude", "number", tab="checkin", key=""),
        F("lon", "经度", "Longitude", "number", tab="checkin", key=""),
    ), (NEW, SAVE, Button("check_in", "签到", "Check in", (call("check_in", "@no", "place", "lat", "lon"),),
                          requires=("place", "lat", "lon"))),
        create=(call("new_activity", "opportunity", "subject", act_type="act_type", plan_start="plan_start",
                     result="result"),),
        update=(call("edit", "@no", partial=True, subject="subject", plan_start="plan_start", result="result"),),
        tables=(("links", "links"),)),
    # -- 商机管理 → 任务 (task 13.3, R18-R20; the textbook prints no menu path for 任务) --------------
    FormSpec("task", "任务", "Task", (
        F("opportunity", "源单（商机）", "Source opportunity", "choice", options="open_opportunities", key="src_no",
          required=True, locked=True),
        F("subject", "任务主题", "Subject", required=True),
        F("plan_start", "计划开始", "Planned start", "date"),
        F("executor", "执行人", "Executor", "choice", options="users"),
        F("process", "处理过程", "Process note", "area", tab="process", key=""),
        F("actual_start", "实际开始", "Actual start", "date", tab="process"),
        F("actual_end", "实际结束", "Actual end", "date", tab="process"),
    ), (NEW, SAVE,
        Button("assign", "向下分配", "Assign", (call("assign_task", "@no", "executor"),), requires=("executor",)),
        Button("process", "处理过程", "Add process note", (call("add_task_process", "@no", "process"),),
               requires=("process",)),
        Button("complete", "完成", "Complete", (call("complete_task", "@no", actual_start="actual_start",
                                                     actual_end="actual_end"),),
               requires=("actual_start", "actual_end"))),
        create=(call("new_task", "opportunity", "subject", plan_start="plan_start"),),
        update=(call("edit", "@no", partial=True, subject="subject", plan_start="plan_start"),),
        tables=(("links", "links"),)),
    # -- 商机管理 → 样品申请 (task 13.3, R22) -----------------------------------------------------------
    FormSpec("sample", "样品申请单", "Sample request", (
        F("opportunity", "源单（商机）", "Source opportunity", "choice", options="open_opportunities", key="src_no",
          required=True, locked=True),
        F("items", "样品明细", "Lines", "lines", key="@lines", required=True, hint="R740 1 48000"),
    ), (NEW, SAVE),
        create=(call("new_sample", "opportunity", "items"),),
        update=(call("set_lines", "@no", "items"),),
        tables=(("basic", "lines"), ("links", "links"))),
    # -- 销售过程 → 价目表 (task 14.1-1, R25): 启用多级审核, 多级审核, 驳回审核, 下推 CRM销售报价单 ------
    FormSpec("price_list", "价目表", "Price list", (
        F("customer", "客户", "Customer", "choice", options="trading_customers", key="customer_no", required=True,
          locked=True),
        F("subject", "价目表名称", "Name"),
        F("items", "价目明细", "Lines", "lines", tab="lines", key="@lines", required=True, hint="R740 2 46000"),
        F("levels", "各级审核人", "Approvers by level", "list", tab="audit", key="audit_levels",
          hint="lijingli, wangzong"),
        F("target", "下推目标", "Push down to", "choice", tab="push", key="", default="quote",
          options=(("quote", "CRM销售报价单", "quote"),)),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),)),
        Button("multi", "启用多级审核", "Start multi-level audit", (call("enable_multi_audit", "@no", "levels"),),
               requires=("levels",)),
        Button("approve", "多级审核", "Approve my level", (call("approve", "@no"),)),
        Button("unaudit", "驳回审核", "Un-audit", (call("unaudit", "@no"),)),
        Button("push_down", "下推", "Push down", (call("push_down", "@no", "target"),), requires=("target",),
               opens="quote")),
        create=(call("new_price_list", "customer", "items", subject="subject"),),
        update=(call("edit", "@no", partial=True, subject="subject"), call("set_lines", "@no", "items")),
        tables=(("lines", "lines"), ("links", "links"))),
    # -- 销售过程 → 销售报价单 (task 14.1, R21, R25-R26) -------------------------------------------
    FormSpec("quote", "CRM销售报价单", "Quote", (
        F("src_no", "源单编号", "Source document", "choice", options="open_opportunities", required=True, locked=True),
        F("subject", "报价主题", "Subject"),
        F("items", "报价明细", "Lines", "lines", tab="lines", key="@lines", hint="R740 2 48000"),
        F("target", "下推目标", "Push down to", "choice", tab="push", key="", default="contract",
          options=(("contract", "销售合同", "sales contract"),)),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),)),
        Button("push_down", "下推", "Push down", (call("push_down", "@no", "target"),), requires=("target",),
               opens="contract")),
        create=(call("new_quote_from_opportunity", "src_no"),),
        update=(call("edit", "@no", partial=True, subject="subject"), call("set_lines", "@no", "items")),
        tables=(("lines", "lines"), ("links", "links"))),
    # -- 销售过程 → 销售合同 (task 14.1, R24, R27) --------------------------------------------------
    FormSpec("contract", "销售合同", "Sales contract", (
        F("src_no", "源单编号", "Source document", locked=True),
        F("subject", "合同主题", "Subject", locked=True),
        F("settlement", "结算方式", "Settlement", "combo", options=_SETTLEMENT),
        F("terms", "合同条款", "Terms", "area"),
        F("plan", "收款计划", "Payment plan", "pairs", tab="plan", key="", hint="2024-03-01:0.3, 2024-06-30:0.7"),
    ), (SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),))),
        update=(call("set_contract_terms", "@no", settlement="settlement", terms="terms", when="settlement"),
                call("set_payment_plan", "@no", "plan", when="plan")),
        tables=(("lines", "lines"), ("plan", "payment"), ("links", "links"))),
    # -- 销售过程 → 项目管理 (task 14.2-1, R28): 项目新增, 审核, 执行, 阶段推进, 结案 -------------------
    FormSpec("project", "项目", "Project", (
        F("contract", "源单（销售合同）", "Source contract", "choice", options="audited_contracts", key="src_no",
          required=True, locked=True),
        F("subject", "项目主题", "Subject", required=True),
        F("goal", "项目目标", "Goal", "area"),
        F("content", "项目内容", "Content", "area"),
        F("stages", "项目阶段", "Stages (ticked)", "list", tab="project_stages", default=_PROJECT_STAGES,
          required=True, locked=True),
        F("summary", "项目总结", "Project summary", "area", tab="summary"),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),)),
        Button("execute", "执行", "Execute", (call("execute_project", "@no"),)),
        Button("advance", "阶段推进", "Next stage", (call("advance_project", "@no"),)),
        Button("close", "结案", "Close", (call("close_project", "@no", "summary"),), requires=("summary",))),
        create=(call("new_project", "contract", "subject", goal="goal", content="content", stages="stages"),),
        update=(call("edit", "@no", partial=True, subject="subject", goal="goal", content="content"),),
        tables=(("project_stages", "project_stages"), ("links", "links"))),
    # -- 服务管理 → 产品档案 (task 14.2-2, R29) ---------------------------------------------------
    FormSpec("product_archive", "产品档案", "Product archive", (
        F("customer", "客户", "Customer", "choice", options="trading_customers", key="customer_no", required=True,
          locked=True),
        F("product", "产品", "Product", "choice", options="service_products", key="lines.product", required=True,
          locked=True),
        F("qty", "数量", "Quantity", "number", key="lines.qty", default=1, locked=True),
        F("serial_no", "序列号", "Serial number", locked=True),
        F("warranty_until", "保修到期日", "Warranty until", "date", locked=True),
    ), (NEW, SAVE),
        create=(call("register_product_archive", "customer", "product", "qty", warranty_until="warranty_until",
                     serial_no="serial_no"),),
        tables=(("basic", "lines"),)),
    # -- 服务管理 → 服务报价单 (task 14.2-2, R33): 审核, 下推 服务合同 ----------------------------------
    FormSpec("service_quote", "服务报价单", "Service quote", (
        F("customer", "客户", "Customer", "choice", options="trading_customers", key="customer_no", required=True,
          locked=True),
        F("subject", "报价主题", "Subject"),
        F("level", "服务级别", "Service level", "choice", options="service_levels", required=True, locked=True),
        F("items", "服务产品", "Service lines", "lines", tab="lines", key="@lines", required=True, hint="OPS 1 18000"),
        F("archives", "产品档案", "Product archives covered", "list", tab="scope", required=True, locked=True,
          hint="CPDA000001, CPDA000002"),
        F("target", "下推目标", "Push down to", "choice", tab="push", key="", default="service_contract",
          options=(("service_contract", "服务合同", "service contract"),)),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),)),
        Button("unaudit", "反审核", "Un-audit", (call("unaudit", "@no"),)),
        Button("push_down", "下推", "Push down", (call("push_down", "@no", "target"),), requires=("target",),
               opens="service_contract")),
        create=(call("new_service_quote", "customer", "items", level="level", archives="archives", subject="subject"),),
        update=(call("edit", "@no", partial=True, subject="subject"), call("set_lines", "@no", "items")),
        tables=(("lines", "lines"), ("links", "links"))),
    # -- 服务管理 → 服务合同 (task 14.2-2, R33): 服务合同－新增 or pushed down from a 服务报价单 -------------
    FormSpec("service_contract", "服务合同", "Service contract", (
        F("customer", "客户", "Customer", "choice", options="trading_customers", key="customer_no", required=True,
          locked=True),
        F("subject", "合同主题", "Subject"),
        F("src_no", "源单编号", "Source document", locked=True),
        F("level", "服务级别", "Service level", "choice", options="service_levels", required=True, locked=True),
        F("amount", "合同金额", "Amount", "number", key="total", locked=True),
        F("start", "开始日期", "Start", locked=True),
        F("end", "结束日期", "End", locked=True),
        F("products", "服务产品", "Products served", "list", tab="scope", required=True, locked=True, hint="R740"),
        F("archives", "产品档案", "Product archives covered", "list", tab="scope", required=True, locked=True,
          hint="CPDA000001"),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),)),
        Button("close", "关闭", "Close", (call("close", "@no"),))),
        create=(call("new_service_contract", "customer", level="level", products="products", archives="archives",
                     amount="amount", subject="subject"),),
        update=(call("edit", "@no", partial=True, subject="subject"),),
        tables=(("lines", "lines"), ("links", "links"))),
    # -- 服务管理 → 服务请求 (task 14.2-2, R30-R31) -----------------------------------------------
    FormSpec("service_request", "服务请求", "Service request", (
        F("customer", "客户", "Customer", "choice", options="trading_customers", key="customer_no", required=True,
          locked=True),
        F("archive", "产品档案", "Product archive", "choice", options="archives", key="ref_no", required=True,
          locked=True),
        F("problem", "问题描述", "Problem", "area", key="subject", required=True),
        F("required_by", "要求完成日期", "Required by", "date", required=True, locked=True),
        F("follower", "跟进人", "Follower", "choice", tab="dispatch", options="service_staff"),
        F("handler", "派工人员", "Handler", "choice", tab="dispatch", options="engineers"),
    ), (NEW, SAVE, Button("assign", "分配", "Assign", (call("assign_request", "@no", "follower"),),
                          requires=("follower",)),
        Button("dispatch", "派工", "Dispatch", (call("dispatch", "@no", "handler"),), requires=("handler",),
               opens="work_order")),
        create=(call("new_service_request", "customer", "archive", "problem", "required_by"),),
        update=(call("edit", "@no", partial=True, subject="problem"),),
        tables=(("links", "links"),)),
    # -- 服务管理 → 派工单 (task 14.2-2, R32) ----------------------------------------------------
    FormSpec("work_order", "派工单", "Work order", (
        F("problem", "问题描述", "Problem", "area", key="subject", locked=True),
        F("request", "服务请求", "Service request", key="src_no", locked=True),
        F("reason", "接受原因", "Reason (accept/reject)", tab="accept", key=""),
        F("cause", "故障原因", "Cause", tab="handle", key=""),
        F("action", "处理措施", "Action taken", "area", tab="handle", key=""),
        F("parts", "更换配件", "Parts used", "pairs", tab="handle", key="", hint="PSU:1"),
        F("hours", "工时", "Hours", "number", tab="handle", key="", default=1),
    ), (Button("accept", "接受", "Accept", (call("accept_work_order", "@no", "reason"),), requires=("reason",)),
        Button("reject", "拒绝", "Reject", (call("reject_work_order", "@no", "reason"),), requires=("reason",)),
        Button("handle", "处理", "Handle", (call("handle_work_order", "@no", cause="cause", action="action",
                                                   parts="parts", hours="hours"),), requires=("cause", "action"))),
        tables=(("links", "links"),)),
    # -- 客户管理 → 竞争对手 (task 12.2, R2): 新增, 保存, 审核 ----------------------------------------
    FormSpec("competitor", "竞争对手", "Competitor", (
        F("name", "名称", "Name", key="subject", required=True),
        F("industry", "行业", "Industry"),
        F("strengths", "优势", "Strengths", "area"),
        F("weaknesses", "劣势", "Weaknesses", "area"),
        F("strategy", "竞争策略", "Strategy", "area"),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),))),
        create=(call("add_competitor", "name", industry="industry", strengths="strengths", weaknesses="weaknesses",
                     strategy="strategy"),),
        update=(call("edit", "@no", partial=True, subject="name", industry="industry", strengths="strengths",
                     weaknesses="weaknesses", strategy="strategy"),)),
    # -- 客户管理 → 客户 (task 15.1, R34) -------------------------------------------------------
    FormSpec("customer", "客户", "Customer", (
        F("name", "客户名称", "Name", required=True),
        F("industry", "行业", "Industry"),
        F("region", "地区", "Region"),
        F("address", "地址", "Address"),
        F("phone", "电话", "Phone"),
        F("source", "客户来源", "Source", "combo", options=_SOURCES),
    ), (NEW, SAVE, Button("audit", "审核", "Audit", (call("audit", "@no"),)),
        Button("trading", "交易客户", "Trading customer", (call("set_trading", "@no"),))),
        create=(call("new_customer", "name", industry="industry", region="region", address="address", phone="phone",
                     source="source"),),
        update=(call("edit_customer", "@no", partial=True, name="name", industry="industry", region="region",
                     address="address", phone="phone", source="source"),),
        source="customers"),
    # -- 系统管理 → 业务资料 → 调查题库 (task 12.6, R5): a question with its scored options ------------
    FormSpec("question", "调查题库", "Question bank", (
        F("stem", "题干", "Question", "area", required=True, locked=True),
        F("qtype", "题型", "Type", "choice", options=_QTYPES, required=True, locked=True),
        F("options", "答题分录（选项:分值）", "Options (option:score)", "mapping", locked=True,
          hint="很满意:5, 满意:4, 一般:3, 不满意:2, 很不满意:1"),
    ), (NEW, SAVE),
        create=(call("add_question", "stem", "qtype", options="options"),),
        source="questions", loader="question"),
    # -- 系统管理 → 用户管理 (task 12, R31) ------------------------------------------------------
    FormSpec("user", "用户", "User", (
        F("login", "登录名", "Login", required=True, locked=True),
        F("name", "姓名", "Name", required=True, locked=True),
        F("role", "角色", "Role", "choice", options="roles", required=True, locked=True),
        F("dept", "部门", "Department", "choice", options="departments", locked=True),
        F("employee_code", "职员代码", "Employee code", locked=True),
    ), (NEW, SAVE),
        create=(call("add_user", "login", "name", "role", dept="dept", employee_code="employee_code"),),
        source="users", loader="user"),
)}
del F

#: The navigation tree under 所有功能 → 客户关系管理: (key, 中文, English, items); an item is
#: (target, 中文, English) where target is a form (document type) or ``report:KEY``.
MENU = (
    ("marketing", "市场管理", "Marketing", (("survey", "市场调查", "Market surveys"),
                                         ("market_activity", "市场活动", "Market activities"),
                                         ("intelligence", "市场情报", "Market intelligence"),
                                         ("campaign", "营销活动", "Marketing campaigns"),
                                         ("lead", "线索管理", "Leads"))),
    ("opportunities", "商机管理", "Opportunities", (("opportunity", "商业机会", "Opportunities"),
                                                ("activity", "活动", "Activities"), ("task", "任务", "Tasks"),
                                                ("sample", "样品申请", "Sample requests"),
                                                ("report:funnel", "报表分析 · 销售漏斗", "Reports · sales funnel"))),
    ("sales", "销售过程", "Sales process", (("price_list", "价目表管理", "Price lists"), ("quote", "销售报价单", "Quotes"),
                                        ("contract", "销售合同", "Sales contracts"), ("project", "项目管理", "Projects"))),
    ("service", "服务管理", "Service", (("product_archive", "产品档案", "Product archives"),
                                    ("service_quote", "服务报价单", "Service quotes"),
                                    ("service_contract", "服务合同", "Service contracts"),
                                    ("service_request", "服务请求", "Service requests"),
                                    ("work_order", "派工单", "Work orders"), ("care", "客户关怀", "Customer care"))),
    ("customers", "客户管理", "Customers", (("customer", "客户", "Customers"), ("competitor", "竞争对手", "Competitors"))),
    ("analysis", "决策分析", "Decision analysis", (("report:win_rate", "商机分析", "Opportunity analysis"),
                                               ("report:composition", "客户分析", "Customer analysis"))),
    ("system", "系统管理", "System", (("user", "用户管理", "Users"), ("question", "业务资料 · 调查题库", "Question bank"),
                                  ("report:permissions", "权限矩阵", "Permission matrix"))),
)

#: Reports (决策分析, task 15.3): key → (中文, English, function of crmlab.system.reports or
#: "permissions" / "lifecycle", keyword arguments).
REPORTS = {
    "funnel": ("销售漏斗", "Sales funnel", "sales_funnel", {}),
    "win_rate": ("商机成交率", "Win rate", "win_rate", {}),
    "win_rate_dept": ("商机成交率（按部门）", "Win rate by department", "win_rate", {"by": "department"}),
    "win_rate_owner": ("商机成交率（按业务员）", "Win rate by salesperson", "win_rate", {"by": "owner"}),
    "amounts": ("商机金额（按阶段）", "Opportunity amounts by stage", "opportunity_amounts", {"by": "stage"}),
    "composition": ("客户构成（按客户卡）", "Customer composition by card", "customer_composition", {}),
    "pyramid": ("客户金字塔（价值等级）", "Customer pyramid (value grades)", "customer_pyramid", {}),
    "satisfaction": ("服务满意度（按处理人）", "Service satisfaction by handler", "service_satisfaction", {}),
    "forecast": ("加权预测（按预计成交月份）", "Weighted forecast by expected close", "weighted_forecast", {}),
    "distribution": ("客户布局（地区×行业）", "Customers by region × industry", "customer_distribution", {}),
    "permissions": ("权限矩阵", "Permission matrix", "permissions", {}),
    "lifecycle": ("单据生命周期", "Document lifecycle", "lifecycle", {}),
}

#: Report columns: name → (中文, English, kind). ``kind`` says how a value is shown: ``pct`` (a share:
#: 63.2%; no value: —), ``money`` (1,238,300), ``int``, ``score`` (one decimal) or ``text``. A column not
#: listed keeps its name and its values.
REPORT_COLUMNS = {
    "stage": ("阶段", "Stage", "text"), "probability": ("成交概率", "Probability", "pct"), "n": ("数量", "Count", "int"),
    "amount": ("金额", "Amount", "money"), "weighted": ("加权金额", "Weighted amount", "money"),
    "won": ("赢单数", "Won", "int"), "lost": ("输单数", "Lost", "int"), "win_rate": ("成交率", "Win rate", "pct"),
    "department": ("部门", "Department", "text"), "owner": ("业务员", "Salesperson", "text"),
    "card_type": ("客户卡", "Customer card", "text"), "share": ("占比", "Share", "pct"),
    "region": ("地区", "Region", "text"), "grade": ("价值等级", "Value grade", "text"),
    "value": ("价值得分合计", "Total value score", "score"), "share_customers": ("客户数占比", "Share of customers", "pct"),
    "share_value": ("价值占比", "Share of value", "pct"), "handler": ("处理人", "Handler", "text"),
    "mean_satisfaction": ("平均满意度", "Mean satisfaction", "score"),
    "share_satisfied": ("满意率（≥4）", "Share satisfied (≥ 4)", "pct"),
    "month": ("月份", "Month", "text"), "expected_revenue": ("预计收入", "Expected revenue", "money"),
    "area": ("业务", "Area", "text"), "action": ("动作", "Action", "text"), "no": ("单据编号", "Number", "text"),
    "subject": ("主题", "Subject", "text"),
}

#: Codes shown by their label in lists and reports: column → {code: (中文, English)}. Stages come from
#: the database's sales method, people (owner, handler …) from the users.
VALUE_LABELS = {
    "card_type": {"prospect": ("潜在客户", "prospect"), "current": ("现有客户", "current"), "former": ("旧客户", "former")},
    "is_trading": {True: ("是", "yes"), False: ("", "")},
    "active": {True: ("是", "yes"), False: ("否", "no")},
    "qtype": {k: (zh, en) for k, zh, en in _QTYPES},
    "scope": {"all": ("全部", "all"), "dept": ("本部门", "department"), "own": ("本人", "own")},
    "action": {"evaluate": ("商机评估", "evaluate the opportunity"), "approve": ("多级审核", "approve (multi-level audit)"),
               "accept": ("接受派工单", "accept the work order"), "handle": ("处理派工单", "handle the work order"),
               "complete": ("完成任务", "complete the task")},
}

#: Column labels of the list views.
LIST_COLUMNS = {
    "documents": (("no", "单据编号", "Number"), ("subject", "主题", "Subject"), ("status", "状态", "Status"),
                  ("customer_no", "客户", "Customer"), ("owner", "负责人", "Owner"), ("total", "金额", "Amount"),
                  ("src_no", "源单编号", "Source"), ("created_at", "日期", "Date")),
    "customers": (("no", "客户编号", "Number"), ("name", "客户名称", "Name"), ("status", "状态", "Status"),
                  ("card_type", "客户卡", "Card"), ("is_trading", "交易客户", "Trading"), ("industry", "行业", "Industry"),
                  ("region", "地区", "Region")),
    "questions": (("no", "题目编号", "Number"), ("stem", "题干", "Question"), ("qtype", "题型", "Type"),
                  ("created_by", "创建人", "Created by")),
    "users": (("login", "登录名", "Login"), ("name", "姓名", "Name"), ("role_zh", "角色", "Role"),
              ("dept", "部门", "Department"), ("employee_code", "职员代码", "Employee code"),
              ("active", "启用", "Active")),
}

#: Labels of the frame around the forms.
TEXT = {
    "title": ("金蝶 K/3 WISE CRM（模拟） · 埃佛特信息科技", "Kingdee K/3 WISE CRM (simulated) · Everfort"),
    "root": ("所有功能 → 客户关系管理", "All functions → CRM"),
    "user": ("用户", "User"), "lang": ("语言", "Language"), "clock": ("系统时间", "System time"),
    "status": ("状态", "Status"), "all": ("全部", "all"), "search": ("查找", "Search"), "mine": ("只看我的", "Mine only"),
    "refresh": ("刷新", "Refresh"), "open": ("打开", "Open"), "record": ("单据", "Record"), "report": ("报表", "Report"),
    "new_record": ("（新单据，未保存）", "(new record, not saved)"), "version": ("版本", "version"),
    "no": ("编号", "No."), "rows": ("行", "rows"), "empty": ("（无数据）", "(no rows)"),
    "required": ("必填", "required"), "number": ("请输入数字", "enter a number"),
    "lines": ("每行：物料代码 数量 单价", "one line each: product qty price"),
    "pairs": ("格式 a:1, b:2", "format a:1, b:2"),
    "answers": ("每行：题目编号: 选项（多选用 | 分隔）", "one line each: question: option (multiple: a|b)"), "fix": ("请更正标红的字段", "correct the fields marked in red"),
    "save_first": ("请先保存单据", "save the record first"), "nothing": ("没有修改", "nothing changed"),
    "done": ("成功", "done"), "cleared": ("请填写新单据", "fill in the new record"),
    "stale": ("单据已被他人修改，请刷新后重试", "the record was changed by someone else: reload and try again"),
}


def _label(pair, lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def button_table(doc_type: str) -> pd.DataFrame:
    """A form's buttons and the Desk actions behind each (保存: create / update calls).

    >>> button_table("service_request")[["button", "calls"]].tail(2).values.tolist()
    [['分配', 'assign_request(@no, follower)'], ['派工', 'dispatch(@no, handler)']]
    """
    s = FORMS[doc_type]
    rows = []
    for b in s.buttons:
        if b.key == "save":
            calls = (" ; ".join(map(str, s.create)) + (" | " if s.create and s.update else "")
                     + " ; ".join(map(str, s.update)))
        else:
            calls = " ; ".join(map(str, b.calls))
        rows.append({"button": b.zh, "button_en": b.en, "calls": calls or "(clear the form)",
                     "requires": ", ".join(b.requires), "opens": b.opens or ""})
    return pd.DataFrame(rows, columns=["button", "button_en", "calls", "requires", "opens"])


def field_table(doc_type: str) -> pd.DataFrame:
    """A form's fields: tab, name, labels, kind, required, locked.

    >>> field_table("lead").query("required")["zh"].tolist()
    ['线索主题', '来源']
    """
    rows = [{"tab": TABS[f.tab][0], "field": f.name, "zh": f.zh, "en": f.en, "kind": f.kind,
             "required": f.required, "locked": f.locked} for f in FORMS[doc_type].fields]
    return pd.DataFrame(rows)


def menu_table() -> pd.DataFrame:
    """The menu tree as rows: 所有功能 → 客户关系管理 → module → item.

    >>> menu_table().query("module == '服务管理'")["item"].tolist()
    ['产品档案', '服务报价单', '服务合同', '服务请求', '派工单', '客户关怀']
    """
    rows = [{"path": f"所有功能 → 客户关系管理 → {zh} → {izh}", "module": zh, "item": izh, "item_en": ien,
             "opens": target} for _, zh, _, items in MENU for target, izh, ien in items]
    return pd.DataFrame(rows)
