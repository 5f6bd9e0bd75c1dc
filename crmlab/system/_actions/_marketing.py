"""Marketing at the desk (task 13.1–13.2): market survey, activities, campaigns, customer care, market
intelligence, leads and their conversion."""
from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import select

from .. import fields
from .. import lifecycle as lc
from .. import models as m
from .._rows import _bump, _need, _new
from ..errors import GuardFailed, NotFound
from ._archive import _new_customer
from ._common import _versioned
from ._opportunity import _new_opportunity


class MarketingActions:
    """Task 13.1–13.2: market survey (R6–R7), market activity / campaign / customer care (R8),
    market intelligence, leads and their conversion (R9)."""

    def new_survey(self, theme: str) -> str:
        """市场调查－新增: a survey (draft) with its theme (调查主题)."""
        def fn(c):
            c.require("survey", "maintain")
            d = c.new_doc("survey", subject=_need(theme, "theme", "调查主题"), data={"items": []})
            c.log("new_survey", d, None)
            return d.no
        return self._do(fn)

    @_versioned
    def add_survey_item(self, survey, question) -> None:
        """问卷设计: add a question of the bank to a draft survey."""
        def fn(c):
            d = c.doc(survey, "survey")
            c.require("survey", "maintain")
            q = c.s.get(m.Question, str(question))
            if q is None:
                raise NotFound("NO_QUESTION", f"no question {question!r} in the bank", f"调查题库中没有 {question!r}")
            with c.track(d, "add_survey_item"):
                lc.transition("survey", d.status, "add_item")
                d.data = {**d.data, "items": [*d.data.get("items", []), q.no]}
        return self._do(fn)

    @_versioned
    def generate_questionnaire(self, survey) -> str:
        """生成问卷: draft → published (needs ≥ 1 question, R7)."""
        def fn(c):
            d = c.doc(survey, "survey")
            c.require("survey", "maintain")
            if not d.data.get("items"):
                raise GuardFailed("NO_ITEMS", "add questions (问卷设计) before generating", "请先进行问卷设计再生成问卷")
            with c.track(d, "generate_questionnaire"):
                c.move(d, "generate")
            return d.status
        return self._do(fn)

    @_versioned
    def enter_response(self, survey, answers: dict, customer=None) -> float:
        """问卷录入: one respondent's answers ``{question no: answer}``; returns the total score.

        单选/判断: one option label; 多选: a list of labels; 问答: text. Checked per type (R5).
        """
        def fn(c):
            d = c.doc(survey, "survey")
            c.require("survey", "maintain")
            lc.transition("survey", d.status, "enter_response")
            items = d.data.get("items", [])
            unknown = [k for k in answers if k not in items]
            if unknown:
                raise GuardFailed("NOT_IN_SURVEY", f"questions {unknown} are not in this survey", f"问卷中没有题目 {unknown}")
            total, clean = 0.0, {}
            for qno, ans in answers.items():
                q = c.s.get(m.Question, qno)
                opts = {o.text: o.score for o in c.s.scalars(select(m.QuestionOption)
                                                             .where(m.QuestionOption.question_no == qno))}
                if q.qtype == "open":
                    clean[qno] = str(ans)
                    continue
                chosen = [ans] if isinstance(ans, str) else list(ans)
                if q.qtype in ("single", "true_false") and len(chosen) != 1:
                    raise GuardFailed("ONE_ANSWER", f"{qno} ({q.qtype}) takes exactly one option",
                                      f"{qno} 是{'单选题' if q.qtype == 'single' else '判断题'}，只能选一项")
                bad = [x for x in chosen if x not in opts]
                if bad or not chosen:
                    raise GuardFailed("BAD_OPTION", f"{qno}: {bad or chosen} not among {list(opts)}",
                                      f"{qno} 的选项 {bad or chosen} 不存在")
                total += sum(opts[x] for x in chosen)
                clean[qno] = chosen
            cu = c.customer(customer).no if customer is not None else None
            c.s.add(m.SurveyResponse(survey_no=d.no, customer_no=cu, at=c.now, answers=clean, score=total))
            with c.track(d, "enter_response"):
                c.move(d, "enter_response")
                _bump(d)                  # a new response changes the survey even when its status stays 回收中
            return total
        return self._do(fn)

    @_versioned
    def summarize_survey(self, survey) -> pd.DataFrame:
        """汇总分析: collecting → summarized; returns per question and option: n, percent, score."""
        def fn(c):
            d = c.doc(survey, "survey")
            c.require("survey", "maintain")
            if c.s.scalar(select(m.SurveyResponse.id).where(m.SurveyResponse.survey_no == d.no).limit(1)) is None:
                lc.transition("survey", d.status, "summarize")
                raise GuardFailed("NO_RESPONSES", "enter responses before the summary", "请先录入问卷")
            with c.track(d, "summarize_survey"):
                c.move(d, "summarize")
            return d.no
        no = self._do(fn)
        from ..reports import survey_summary
        return survey_summary(self.crm, no)

    def new_market_activity(self, name: str, act_type: str = "研讨会", *, kind: str = "market_activity",
                            department: str | None = None, theme=None, purpose=None, process=None, targets=(),
                            participants=(), budget=None, survey=None) -> str:
        """市场活动－新增 (also ``kind="campaign"`` 营销活动, ``kind="care"`` 客户关怀): header, content,
        target customers, participants, budget lines ``{expense type code: amount}`` (R8)."""
        kind = lc.doc_type_code(kind)
        if kind not in ("market_activity", "campaign", "care"):
            raise GuardFailed("BAD_KIND", "kind is market_activity, campaign or care", "类型须为 市场活动/营销活动/客户关怀")
        targets = fields.items(targets, "targets", "目标客户")
        participants = fields.items(participants, "participants", "参与人员")
        budget = fields.mapping(budget, "budget", "费用预算")

        def fn(c):
            c.require(kind, "maintain")
            tgt = [c.customer(x).no for x in targets]
            for login in participants:
                c.other_user(login)
            d = c.new_doc(kind, subject=_need(name, "name", "活动名称"),
                          data={"act_type": act_type, "department": department, "theme": theme, "purpose": purpose,
                                "process": process, "targets": tgt, "participants": list(participants),
                                "survey": survey})
            lines = []
            for code, amount in (budget or {}).items():
                if c.s.get(m.ExpenseType, code) is None:
                    raise GuardFailed("NO_EXPENSE_TYPE", f"expense type {code!r} is not defined (要素项目, R8)",
                                      f"费用类型 {code!r} 未在要素项目中定义（R8）")
                lines.append({"description": code, "qty": 1, "price": amount})
            d.total = c.set_lines(d, lines, "budget")
            if survey is not None:
                src = c.doc(survey, "survey")
                d.src_type, d.src_no = src.doc_type, src.no
                c.link(src, d, lc.PUSH_DOWN[("survey", kind)][1])
            c.log(f"new_{kind}", d, None)
            return d.no
        return self._do(fn)

    def new_campaign(self, name: str, act_type: str = "促销", **kw) -> str:
        """营销活动－新增: same structure as a market activity."""
        return self.new_market_activity(name, act_type, kind="campaign", **kw)

    def new_care(self, name: str, act_type: str = "答谢会", **kw) -> str:
        """客户关怀－新增 (task 14.3): same structure as a market activity."""
        return self.new_market_activity(name, act_type, kind="care", **kw)

    @_versioned
    def start_activity(self, activity) -> str:
        """执行: a market activity, campaign or care record starts (saved → running)."""
        return self._activity_move(activity, "start")

    @_versioned
    def finish_activity(self, activity) -> str:
        """结束: running → finished."""
        return self._activity_move(activity, "finish")

    def _activity_move(self, no, action):
        def fn(c):
            d = c.doc(no)
            c.require(d.doc_type, "maintain")
            with c.track(d, f"{action}_activity"):
                c.move(d, action)
            return d.status
        return self._do(fn)

    def new_intelligence(self, topic: str, content: str, strategy: str, *, source: str = "网络",
                         intel_type: str = "竞争对手", attachments=None) -> str:
        """市场情报－新增: topic, content, response strategy, source, type; attachments stored as SHA-256."""
        def fn(c):
            c.require("intelligence", "save")
            files = {fields.text(str(name), "attachment name", "附件名称", 200):
                     hashlib.sha256(data if isinstance(data, bytes) else str(data).encode()).hexdigest()
                     for name, data in fields.mapping(attachments, "attachments", "附件").items()}
            d = c.new_doc("intelligence", subject=_need(topic, "topic", "情报主题"),
                          data={"content": _need(content, "content", "情报内容"),
                                "strategy": _need(strategy, "strategy", "应对策略"), "source": source,
                                "intel_type": intel_type, "attachments": files})
            c.log("new_intelligence", d, None)
            return d.no
        return self._do(fn)

    def new_lead(self, subject: str, *, source: str, customer_name: str | None = None,
                 contact_name: str | None = None, phone: str | None = None, need: str | None = None) -> str:
        """线索－新增: subject, source, customer and contact (typed in or existing)."""
        def fn(c):
            c.require("lead", "save")
            d = c.new_doc("lead", subject=_need(subject, "subject", "线索主题"),
                          data={"source": source, "customer_name": customer_name, "contact_name": contact_name,
                                "phone": phone, "need": need})
            c.log("new_lead", d, None)
            return d.no
        return self._do(fn)

    @_versioned
    def convert_lead(self, lead, *, new_customer: bool = False, new_contact: bool = False) -> str:
        """【转化】: a complete lead becomes an opportunity (未评估); a customer or contact not on file
        is created only when ``new_customer`` / ``new_contact`` is ticked (R9). Returns the opportunity."""
        def fn(c):
            d = c.doc(lead, "lead")
            c.require("lead", "convert", d.owner_id, d.dept_id)
            c.require("opportunity", "save")          # the converter owns the new opportunity
            lc.transition("lead", d.status, "convert")
            data = d.data or {}
            for key, en, zh in (("source", "source", "来源"), ("customer_name", "customer", "客户"),
                                ("contact_name", "contact", "联系人")):
                _need(data.get(key), f"the lead's {en}", f"线索的{zh}", "LEAD_INCOMPLETE")
            cu = next(iter(c.rows(m.Customer, name=data["customer_name"])), None)
            if cu is None:
                if not new_customer:
                    raise GuardFailed("CUSTOMER_NOT_ON_FILE", f"customer {data['customer_name']!r} is not on file: "
                                      "tick new_customer", f"客户 {data['customer_name']} 不存在，请勾选【新增客户】")
                cu = c.s.get(m.Customer, _new_customer(c, data["customer_name"], source=data["source"],
                                                       phone=data.get("phone")))
            ct = next(iter(c.rows(m.Contact, order="id", customer_no=cu.no, name=data["contact_name"])), None)
            if ct is None:
                if not new_contact:
                    raise GuardFailed("CONTACT_NOT_ON_FILE", f"contact {data['contact_name']!r} is not on file: "
                                      "tick new_contact", f"联系人 {data['contact_name']} 不存在，请勾选【新增联系人】")
                ct = _new(m.Contact, customer_no=cu.no, name=data["contact_name"], phone=data.get("phone"),
                               decision_role="user", is_key=False)
                c.s.add(ct)
                c.s.flush()
                c.log("new_contact", ct, None)
            with c.track(d, "convert"):
                c.move(d, "convert")
            o = _new_opportunity(c, d.subject, cu.no, ct.id, source=data["source"], need=data.get("need"), src=d)
            d.data = {**data, "opportunity": o}
            return o
        return self._do(fn)

    @_versioned
    def invalidate_lead(self, lead, reason: str) -> str:
        """Mark a lead invalid (无效) with a reason."""
        def fn(c):
            d = c.doc(lead, "lead")
            c.require("lead", "convert", d.owner_id, d.dept_id)
            with c.track(d, "invalidate"):
                c.move(d, "invalidate")
                d.data = {**d.data, "invalid_reason": _need(reason, "reason", "原因")}
            return d.status
        return self._do(fn)
