"""The actions of a :class:`crmlab.system.Desk`, one mixin per area of the textbook (tasks 12–15).

Every public method builds a function ``fn(c)`` over an action context ``c`` (session, acting user,
clock) and hands it to ``self._do``, which runs it in one transaction: checks first (permission,
lifecycle, guards), then changes, then the audit-log entry. Any exception rolls everything back.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import inspect
import re

import pandas as pd
from sqlalchemy import select

from crmlab import glossary, sales_method as op

from . import fields
from . import lifecycle as lc
from . import models as m
from ._rows import _bump, _card_code, _date, _need, _new, _number, _raw, _snap, _ts
from .errors import CRMError, GuardFailed, IllegalTransition, InvalidValue, NotFound, PermissionDenied, ReadOnly

# --------------------------------------------------------------------------------------------
# Vocabularies (crmlab defaults where the textbook prints none, digest §5.2.2)
# --------------------------------------------------------------------------------------------
HOME_BLOCKS = ("消息", "待处理", "报表分析", "业务数据", "常用功能", "其他")           # task 12.1
# decision roles and evaluation results: the one tables of crmlab.glossary (采购 is "buyer", "purchaser" an alias)
DECISION_ROLES = {code: entry[0] for code, entry in glossary.DECISION_ROLE.items()}
_DECISION_ALIASES = glossary.DECISION_ROLE.aliases()
EVALUATION_RESULTS = {code: entry[0] for code, entry in glossary.EVALUATION_RESULT.items()}
_RESULT_ALIASES = glossary.EVALUATION_RESULT.aliases()
INTEREST_LEVELS = {"high": "高", "medium": "中", "low": "低"}
_INTEREST_ALIASES = {k: k for k in INTEREST_LEVELS} | {v: k for k, v in INTEREST_LEVELS.items()}
#: Card-type transitions of the customer archive (task 5 §5.1.3): (action, from, to, guard).
CARD_TRANSITIONS = (
    ("become_current", "prospect", "current", "first trade (an audited sales contract) or by hand"),
    ("stop_trading", "current", "former", "stop reason given; history kept (已经中断交易的客户也不应放弃)"),
    ("resume_trading", "former", "current", "the customer trades again; the old stop reason stays in the history"),
)
#: Documents that need an audited trading customer (交易客户, R34).
NEEDS_TRADING = ("price_list", "quote", "contract", "product_archive", "service_request", "service_quote",
                 "service_contract")


def _versioned(method):
    """Give a Desk action on an existing document the keyword ``expected_version=None``
    (optimistic locking): when given and different from the stored ``version`` the action raises
    :class:`crmlab.system.StaleRecord` and changes nothing."""
    @functools.wraps(method)
    def wrapper(self, no, *args, expected_version=None, **kw):
        if expected_version is None:
            return method(self, no, *args, **kw)
        self._expect = (no, fields.version(expected_version))
        try:
            return method(self, no, *args, **kw)
        finally:
            self.__dict__.pop("_expect", None)
    sig = inspect.signature(method)
    params = list(sig.parameters.values())
    extra = inspect.Parameter("expected_version", inspect.Parameter.KEYWORD_ONLY, default=None)
    at = next((i for i, p in enumerate(params) if p.kind is inspect.Parameter.VAR_KEYWORD), len(params))
    wrapper.__signature__ = sig.replace(parameters=[*params[:at], extra, *params[at:]])
    wrapper.__doc__ = (method.__doc__ or "") + "\n\n        ``expected_version``: optimistic locking (see :class:`crmlab.system.StaleRecord`)."
    return wrapper


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, the day clipped to the month's end (what ``pd.DateOffset`` does)."""
    y, mo = divmod(day.month - 1 + int(months), 12)
    y, mo = day.year + y, mo + 1
    return dt.date(y, mo, min(day.day, calendar.monthrange(y, mo)[1]))


def _alias(value, table: dict, en: str, zh: str) -> str:
    code = table.get(str(value).strip())
    if code is None:
        raise GuardFailed("UNKNOWN_VALUE", f"unknown {en} {value!r}; use one of {sorted(set(table.values()))}",
                          f"未知的{zh} {value!r}")
    return code


def _trading(c, customer_no):
    cu = c.customer(customer_no)
    if cu.status != "audited" or not cu.is_trading:
        raise GuardFailed("NOT_TRADING_CUSTOMER",
                          f"customer {cu.no} must be audited and marked as a trading customer before use (R34)",
                          f"客户 {cu.name} 须先审核并设为交易客户才能使用（R34）")
    return cu


def _load(c, no):
    """A document or (KH…) a customer."""
    if str(no).startswith(lc.DOC_TYPES["customer"].prefix):
        cu = c.s.get(m.Customer, str(no))
        if cu is not None:
            return cu
    return c.doc(no)


def _area(obj) -> str:
    return getattr(obj, "doc_type", "customer")


def _sync_opp(c, d: m.Document, o: m.Opportunity):
    o.status = d.status


class SetupActions:
    """Task 12 初始化设置: users, home-page schemes (R1), competitors (R2), sales methods (R3–R4),
    knowledge types, service levels, expense types, products and their service data, question bank (R5)."""

    def add_department(self, code: str, name: str) -> int:
        """Add a department (部门); Administrator only."""
        def fn(c):
            c.require("user", "maintain")
            d = m.Department(code=_need(code, "code", "代码"), name=_need(name, "name", "名称"))
            c.s.add(d)
            c.s.flush()
            c.log("add_department", d, None)
            return d.id
        return self._do(fn)

    def add_user(self, login: str, name: str, role: str, dept: str | None = None, employee_code: str | None = None,
                 authorised: bool = True) -> str:
        """Add a user bound to a role (and an employee code: needed by service handlers, R31)."""
        from .permissions import role_code

        def fn(c):
            c.require("user", "maintain")
            dept_id = None
            if dept is not None:
                row = c.s.scalar(select(m.Department).where((m.Department.code == dept) | (m.Department.name == dept)))
                if row is None:
                    raise NotFound("NO_DEPARTMENT", f"no department {dept!r}", f"找不到部门 {dept!r}")
                dept_id = row.id
            u = m.User(login=_need(login, "login", "登录名"), name=_need(name, "name", "姓名"), role=role_code(role),
                       dept_id=dept_id, employee_code=employee_code, authorised=authorised, active=True)
            c.s.add(u)
            c.s.flush()
            c.log("add_user", u, None)
            return u.login
        out = self._do(fn)
        self.crm._users.clear()
        return out

    def save_home_scheme(self, name: str, blocks) -> int:
        """主页方案: define or change a home-page scheme (Administrator only, R1)."""
        blocks = fields.items(blocks, "blocks", "主页区块")

        def fn(c):
            c.require("home_scheme", "maintain")
            bad = [b for b in blocks if not isinstance(b, str) or b not in HOME_BLOCKS]
            if bad or not blocks:
                raise GuardFailed("BAD_BLOCKS", f"home blocks must be some of {HOME_BLOCKS}, got {bad or blocks}",
                                  f"主页区块必须取自 {HOME_BLOCKS}")
            row = c.s.scalar(select(m.HomeScheme).where(m.HomeScheme.name == name))
            if row is None:
                row = m.HomeScheme(name=_need(name, "name", "方案名称"), blocks=list(blocks), owner_id=c.user.id)
                c.s.add(row)
                c.s.flush()
                c.log("save_home_scheme", row, None)
            else:
                with c.track(row, "save_home_scheme"):
                    row.blocks = list(blocks)
            return row.id
        return self._do(fn)

    def assign_home_scheme(self, name: str, users) -> None:
        """Assign a home-page scheme to users (Administrator only, R1)."""
        def fn(c):
            c.require("home_scheme", "assign")
            row = c.s.scalar(select(m.HomeScheme).where(m.HomeScheme.name == name))
            if row is None:
                raise NotFound("NO_SCHEME", f"no home scheme {name!r}", f"找不到主页方案 {name!r}")
            for login in ([users] if isinstance(users, str) else users):
                u = c.s.get(m.User, c.other_user(login).id)
                with c.track(u, "assign_home_scheme"):
                    u.home_scheme_id = row.id
        return self._do(fn)

    def set_my_home(self, blocks) -> None:
        """Adjust one's own home-page display (every user, only their own, R1)."""
        blocks = fields.items(blocks, "blocks", "主页区块")

        def fn(c):
            c.require("home_scheme", "own_display")
            bad = [b for b in blocks if not isinstance(b, str) or b not in HOME_BLOCKS]
            if bad:
                raise GuardFailed("BAD_BLOCKS", f"unknown home blocks {bad}", f"未知的主页区块 {bad}")
            u = c.s.get(m.User, c.user.id)
            with c.track(u, "set_my_home"):
                u.home_blocks = list(blocks)
        return self._do(fn)

    def add_competitor(self, name: str, **fields) -> str:
        """竞争对手－新增: a competitor document (then :meth:`audit` it, R2). Extra fields (industry,
        strengths, weaknesses, strategy …) are kept on the document."""
        data = _own_fields("competitor", fields)

        def fn(c):
            c.require("competitor", "save")
            d = c.new_doc("competitor", subject=_need(name, "name", "名称"), data=data)
            c.log("add_competitor", d, None)
            return d.no
        return self._do(fn)

    def set_method(self, name: str, stages, default: bool = False, win_at_last_stage_only: bool = True) -> int:
        """方法: create or replace a sales method (Administrator, task 12.3).

        ``stages``: :class:`crmlab.sales_method.Stage` objects, dicts with their fields, or a
        DataFrame like ``SalesMethod.to_frame()``. Validated by :class:`crmlab.sales_method.SalesMethod`
        (probabilities rise, R3; control modes and conditions, R4). Stages that an open opportunity
        stands in cannot be removed.
        """
        try:
            if isinstance(stages, pd.DataFrame):
                frame = stages.reset_index() if "code" not in stages.columns else stages
                stages = [op.Stage(r["code"], r.get("阶段名称", r.get("name_zh")),
                                   r.get("name", r.get("name_en", r["code"])),
                                   int(r["days"]), float(r["probability"]), r.get("control", "none"),
                                   r.get("conditions_dict", {}) if isinstance(r.get("conditions_dict"), dict) else {},
                                   r.get("textbook_state", r.get("state", "valid")))
                          for r in frame.to_dict("records")]
            stages = [s if isinstance(s, op.Stage) else op.Stage(**s) for s in stages]
            method = op.SalesMethod(name, tuple(stages), win_at_last_stage_only)
        except op.OpportunityError as err:          # the domain model's check, as an error of the system
            if isinstance(err, CRMError):
                raise
            raise InvalidValue(err.code, err.en, err.zh) from err
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise InvalidValue("BAD_STAGES", f"stages are Stage objects, dicts or a DataFrame of stages ({err})",
                               f"阶段须为 Stage 对象、字典或阶段表（{err}）") from None

        def fn(c):
            c.require("sales_method", "maintain")
            row = c.s.scalar(select(m.SalesMethodRow).where(m.SalesMethodRow.name == name))
            if row is None:
                row = m.SalesMethodRow(name=name, is_default=False, win_at_last_stage_only=win_at_last_stage_only)
                c.s.add(row)
                c.s.flush()
            else:
                used = set(c.s.scalars(select(m.Opportunity.stage).where(
                    m.Opportunity.method_id == row.id, m.Opportunity.status == "open")))
                missing = used - set(method.codes)
                if missing:
                    raise GuardFailed("STAGE_IN_USE", f"open opportunities stand in stages {sorted(missing)}",
                                      f"有执行中的商机处于阶段 {sorted(missing)}，不能删除")
                for old in c.s.scalars(select(m.SalesStageRow).where(m.SalesStageRow.method_id == row.id)):
                    c.s.delete(old)
                c.s.flush()
                row.win_at_last_stage_only = win_at_last_stage_only
            if default:
                for other in c.s.scalars(select(m.SalesMethodRow).where(m.SalesMethodRow.is_default.is_(True))):
                    other.is_default = False
                row.is_default = True
            for i, s in enumerate(method.stages, start=1):
                c.s.add(m.SalesStageRow(method_id=row.id, seq=i, code=s.code, name_zh=s.name_zh, name_en=s.name_en,
                                        days=s.days, probability=s.probability, control=s.control,
                                        conditions=dict(s.conditions), state=s.state))
            c.s.flush()
            c.log("set_method", row, None)
            return row.id
        out = self._do(fn)
        self.crm._methods.clear()
        return out

    def add_knowledge_type(self, code: str, name: str) -> str:
        """知识类型: code and name (task 12.4)."""
        return self._base_row("knowledge_type", m.KnowledgeType(code=_need(code, "code", "代码"),
                                                                name=_need(name, "name", "名称")))

    def add_service_level(self, code: str, name: str, term_months: int, content: str) -> str:
        """服务级别: code, name, period in months (服务期限 > 0), content (服务内容) (task 12.5)."""
        try:
            term = fields.integer(term_months, "term_months", "服务期限", minimum=1, maximum=2**31 - 1)
        except InvalidValue:
            raise GuardFailed("BAD_TERM", "the service period must be > 0 months", "服务期限必须大于 0 个月") from None
        return self._base_row("service_level", m.ServiceLevel(code=_need(code, "code", "代码"), name=name,
                                                              term_months=term,
                                                              content=_need(content, "content", "服务内容")))

    def add_expense_type(self, code: str, name: str) -> str:
        """费用类型 (要素项目), needed by activity budgets (R8)."""
        return self._base_row("expense_type", m.ExpenseType(code=_need(code, "code", "代码"), name=name))

    def _base_row(self, area, row):
        def fn(c):
            c.require(area, "maintain")
            c.s.add(row)
            c.s.flush()
            c.log(f"add_{area}", row, None)
            return row.code
        return self._do(fn)

    def add_product(self, code: str, name: str, list_price: float, floor_price: float | None = None,
                    cost_price: float | None = None, unit: str = "台", is_part: bool = False) -> str:
        """物料: a product with list, floor and cost price (crmlab defaults: floor 85 %, cost 70 % of list)."""
        lp = _number(list_price, "list_price")

        def fn(c):
            c.require("product", "maintain")
            p = m.Product(code=_need(code, "code", "代码"), name=_need(name, "name", "名称"), unit=unit, list_price=lp,
                          floor_price=_number(floor_price if floor_price is not None else round(lp * 0.85, 2), "floor"),
                          cost_price=_number(cost_price if cost_price is not None else round(lp * 0.7, 2), "cost"),
                          is_part=is_part)
            c.s.add(p)
            c.s.flush()
            c.log("add_product", p, None)
            return p.code
        return self._do(fn)

    def set_service_data(self, product: str, service_enabled: bool = True, gen_archive: bool = True,
                         repairable: bool = True, life_months: int | None = None) -> None:
        """物料 → 服务资料: 启用服务, 生成产品档案, 维修件, 使用寿命 (task 14.2‑2, R29 prerequisite)."""
        def fn(c):
            c.require("product", "maintain")
            p = c.product(product)
            with c.track(p, "set_service_data"):
                p.service_enabled, p.gen_archive, p.repairable = service_enabled, gen_archive, repairable
                p.life_months = life_months
        return self._do(fn)

    def add_question(self, stem: str, qtype: str, options=None) -> str:
        """调查题库: a question with its type and scored options (task 12.6, R5).

        ``qtype``: 单选题/多选题/判断题/问答题 (or single/multiple/true_false/open). ``options``:
        ``{label: score}`` or ``[(label, score), …]``; single and multiple choice need ≥ 2 scored
        options, true/false gets 是 1 / 否 0 when none are given, an open question has none.
        Validated by :class:`crmlab.survey.Question` (the question model of ``crmlab.survey``).
        """
        from crmlab.survey import KINGDEE_TYPES, Question as SurveyQuestion
        from crmlab.survey import SurveyError
        try:
            q = SurveyQuestion("Q", _need(stem, "stem", "题干"), qtype, options=options or ())
        except (SurveyError, TypeError, ValueError) as err:     # the survey model's check, as a CRM error
            if isinstance(err, CRMError):
                raise
            code = getattr(err, "code", "BAD_QUESTION")
            raise InvalidValue(code, getattr(err, "en", f"not a valid question: {err}"),
                               getattr(err, "zh", f"题目无效：{err}")) from None
        if q.qtype not in ("single", "multiple", "true_false", "open"):
            raise GuardFailed("BAD_QTYPE", f"the Kingdee question bank has 单选/多选/判断/问答 only, not {qtype!r}",
                              f"调查题库只有 单选题/多选题/判断题/问答题，不支持 {qtype!r}")
        if q.qtype in ("single", "multiple"):
            if len(q.options) < 2 or any(o.score is None for o in q.options):
                raise GuardFailed("OPTIONS_REQUIRED", "a choice question needs ≥ 2 options, each with a score (分值)",
                                  "选择题至少需要 2 个选项，且每个选项都要有分值")
        if q.qtype == "true_false" and len(q.options) != 2:
            raise GuardFailed("TRUE_FALSE_OPTIONS", "a true/false question has exactly two options (是/否)",
                              "判断题恰有两个选项（是/否）")
        if q.qtype == "open" and q.options:
            raise GuardFailed("OPEN_HAS_OPTIONS", "an open question has no options", "问答题没有选项")

        def fn(c):
            c.require("question", "save")
            row = m.Question(no=c.new_no("question"), stem=q.text, qtype=q.qtype, created_at=c.now,
                             created_by=c.user.login)
            c.s.add(row)
            for i, o in enumerate(q.options, start=1):
                c.s.add(m.QuestionOption(question_no=row.no, seq=i, text=o.label, score=float(o.score)))
            c.s.flush()
            c.log("add_question", row, None)
            return row.no
        _ = KINGDEE_TYPES
        return self._do(fn)


class ArchiveActions:
    """The customer archive (客户档案, task 5; Kingdee 客户, task 15.1): customers, profiles,
    contacts with decision roles, credit records, card types (潜在/现有/流失)."""


    def new_customer(self, name: str, *, kind: str = "organisation", industry=None, region=None, address=None,
                     phone=None, source=None, profile: dict | None = None) -> str:
        """客户－新增: a customer card (潜在客户, status saved). Then :meth:`audit` and :meth:`set_trading` (R34)."""
        def fn(c):
            c.require("customer", "save")
            return _new_customer(c, name, kind=kind, industry=industry, region=region, address=address, phone=phone,
                                 source=source, profile=profile)
        return self._do(fn)

    @_versioned
    def edit_customer(self, customer, **fields) -> None:
        """Edit the basic data (动态管理) of a saved customer: only the fields of
        ``lifecycle.EDITABLE_FIELDS["customer"]``; 客户价值, owner, statuses, version and trade dates
        change only through their actions (R34)."""
        values = _own_fields("customer", fields, m.Customer)
        if "name" in values:
            values["name"] = _need(values["name"], "customer name", "客户名称")
        if "kind" in values:
            values["kind"] = _alias(values["kind"], CUSTOMER_KINDS, "customer kind", "客户类型")

        def fn(c):
            cu = c.customer(customer)
            c.require("customer", "edit", cu.owner_id, cu.dept_id)
            c.editable(cu)
            if "name" in values and values["name"] != cu.name and c.rows(m.Customer, name=values["name"]):
                raise _duplicate_customer(values["name"])
            with c.track(cu, "edit_customer"):
                for k, v in values.items():
                    setattr(cu, k, v)
        return self._do(fn)

    @_versioned
    def set_profile(self, customer, **fields) -> None:
        """Level 2 of the archive: business or personal profile fields (see :class:`models.CustomerProfile`
        and ``lifecycle.EDITABLE_FIELDS["customer_profile"]``). Steps the customer's version."""
        values = _own_fields("customer_profile", fields, m.CustomerProfile)

        def fn(c):
            cu = c.customer(customer)
            c.require("customer", "edit", cu.owner_id, cu.dept_id)
            c.editable(cu, "set_profile")
            p = c.s.get(m.CustomerProfile, cu.no) or m.CustomerProfile(customer_no=cu.no)
            c.s.add(p)
            before = _snap(p)
            for k, v in values.items():
                setattr(p, k, _date(v, "birth_date", "出生日期") if k == "birth_date" else v)
            c.touch(cu)                      # the archive changed: the customer's version steps
            c.s.flush()
            c.log("set_profile", p, before, doc_no=cu.no)
        return self._do(fn)

    @_versioned
    def add_contact(self, customer, name: str, *, title=None, dept=None, phone=None, email=None,
                    decision_role: str = "user", is_key: bool = False, birthday=None) -> int:
        """联系人: a contact with a decision role (决策者/采购/使用者/影响者/评估小组) and the key flag."""
        role = _alias(decision_role, _DECISION_ALIASES, "decision role", "决策角色")

        def fn(c):
            cu = c.customer(customer)
            c.require("customer", "edit", cu.owner_id, cu.dept_id)
            c.editable(cu, "add_contact")
            c.touch(cu)
            ct = _new(m.Contact, customer_no=cu.no, name=_need(name, "name", "姓名"), title=title, dept=dept, phone=phone,
                           email=email, decision_role=role, is_key=bool(is_key), birthday=_date(birthday, "birthday", "生日"))
            c.s.add(ct)
            c.s.flush()
            c.log("add_contact", ct, None, doc_no=cu.no)
            return ct.id
        return self._do(fn)

    @_versioned
    def add_credit(self, customer, credit_limit: float, credit_grade: str, report_date=None, valid_until=None,
                   note: str | None = None) -> int:
        """资信/授信: a credit record; valid for one year by default (task 5 §5.2.2: 3 months to 1 year)."""
        def fn(c):
            cu = c.customer(customer)
            c.require("customer", "edit", cu.owner_id, cu.dept_id)
            c.editable(cu, "add_credit")
            c.touch(cu)
            rd = _date(report_date, "report_date", "报告日期") or c.now.date()
            vu = _date(valid_until, "valid_until", "有效期") or _add_months(rd, 12)
            if vu <= rd:
                raise GuardFailed("BAD_VALIDITY", "valid_until must be after the report date", "有效期必须晚于报告日期")
            r = m.CreditRecord(customer_no=cu.no, credit_limit=_number(credit_limit, "credit_limit", "信用额度"),
                               credit_grade=_need(credit_grade, "credit grade", "信用等级"), report_date=rd,
                               valid_until=vu, note=note, created_by=c.user.login)
            c.s.add(r)
            c.s.flush()
            c.log("add_credit", r, None, doc_no=cu.no)
            return r.id
        return self._do(fn)

    @_versioned
    def set_trading(self, customer) -> None:
        """【交易客户】: mark a customer as a trading customer — needed before use (R34)."""
        def fn(c):
            cu = c.customer(customer)
            c.require("customer", "set_trading", cu.owner_id, cu.dept_id)
            with c.track(cu, "set_trading"):
                c.move(cu, "set_trading")
                cu.is_trading = True
        return self._do(fn)

    @_versioned
    def change_card(self, customer, to: str, reason: str | None = None) -> str:
        """Move a customer card: 潜在 → 现有 (become_current), 现有 → 流失 (stop_trading, reason
        required), 流失 → 现有 (resume_trading). See :data:`CARD_TRANSITIONS`."""
        target = _card_code(to)

        def fn(c):
            cu = c.customer(customer)
            c.require("customer", "change_card", cu.owner_id, cu.dept_id)
            c.editable(cu, "change_card")
            _card_move(c, cu, target, reason)
            return cu.card_type
        return self._do(fn)

    @_versioned
    def stop_trading(self, customer, reason: str) -> str:
        """现有 → 流失客户 (former): keep the card and its history, record the stop reason."""
        return self.change_card(customer, "former", reason)

    def import_customers(self, frame: pd.DataFrame) -> pd.DataFrame:
        """客户引入 (bulk import): one new customer card (潜在客户, saved) per row of ``frame``.

        Columns in English or Chinese (:data:`IMPORT_COLUMNS`: 客户名称 name — required —,
        客户类型 kind 企业/个人, 行业 industry, 区域 region, 地址 address, 电话 phone, 来源 source).
        Every row is checked first (name present and not yet on file, no repeats in the file,
        known kind, phone digits, field lengths); one bad row and nothing is imported: the
        :class:`~crmlab.system.GuardFailed` (code ``IMPORT_INVALID``) lists every bad row by its
        index label in English and Chinese, and carries them as ``err.rows``. Each imported customer
        is audit-logged (``import_customers``). Needs the ``("customer", "import")`` permission
        (administrator, marketing, sales manager and director). The caller's frame is not changed.
        crmlab default: the textbook names the import (客户引入) but prints no template.
        Returns the imported rows with their new numbers.

        >>> import pandas as pd
        >>> from crmlab import system
        >>> crm = system.open(":memory:", demo=True)
        >>> new = pd.DataFrame({"客户名称": ["江南重工集团", "钱塘物流"], "行业": ["制造", "物流"],
        ...                     "电话": ["0571-88886666", None]})
        >>> crm.login("zhaomin").import_customers(new)[["no", "name", "industry"]].values.tolist()
        [['KH000007', '江南重工集团', '制造'], ['KH000008', '钱塘物流', '物流']]
        >>> try:
        ...     crm.login("zhaomin").import_customers(pd.DataFrame({"name": ["钱塘物流", ""]}))
        ... except system.GuardFailed as err:
        ...     print(err.code, [r[0] for r in err.rows])
        IMPORT_INVALID [0, 1]
        """
        if not isinstance(frame, pd.DataFrame):
            raise GuardFailed("NOT_A_FRAME", "import_customers takes a pandas DataFrame",
                              "import_customers 需要一个 pandas DataFrame")
        if frame.empty:
            raise GuardFailed("NO_ROWS", "the DataFrame has no rows to import", "没有可导入的行")

        def fn(c):
            c.require("customer", "import")
            existing = set()
            rows, problems = _import_rows(frame, existing)
            wanted = list(dict.fromkeys(r["name"] for r in rows if isinstance(r.get("name"), str)))
            for k in range(0, len(wanted), 500):           # the names already on file, 500 at a time
                existing.update(c.s.scalars(select(m.Customer.name).where(m.Customer.name.in_(wanted[k:k + 500]))))
            if existing:
                rows, problems = _import_rows(frame, existing)
            if problems:
                err = GuardFailed("IMPORT_INVALID",
                                  f"{len(problems)} problem(s), nothing imported: "
                                  + "; ".join(f"row {r}: {en}" for r, en, _ in problems),
                                  f"共 {len(problems)} 处错误，未导入任何客户：" + "；".join(f"第 {r} 行：{zh}" for r, _, zh in problems))
                err.rows = problems
                raise err
            out = []
            for r in rows:
                no = _new_customer(c, r["name"], kind=r["kind"], industry=r.get("industry"), region=r.get("region"),
                                   address=r.get("address"), phone=r.get("phone"), source=r.get("source"),
                                   action="import_customers", checked=True)
                out.append({"no": no, **{f: r.get(f) for f in IMPORT_COLUMNS}})
            return pd.DataFrame(out, columns=["no", *IMPORT_COLUMNS], index=frame.index)
        return self._do(fn)


def _new_customer(c, name, *, kind="organisation", industry=None, region=None, address=None, phone=None,
                  source=None, profile=None, owner=None, action="new_customer", checked=False) -> str:
    name = _need(name, "customer name", "客户名称")
    if not checked and c.rows(m.Customer, name=name):
        raise _duplicate_customer(name)
    owner = owner or c.user
    cu = _new(m.Customer, no=c.new_no("customer"), name=name, kind=kind, card_type="prospect", status="saved",
              is_trading=False, industry=industry, region=region, address=address, phone=phone, source=source,
              owner_id=owner.id, dept_id=owner.dept_id, created_at=c.now, created_by=c.user.login, version=1)
    c.s.add(cu)
    c.s.flush()
    if profile:
        c.s.add(m.CustomerProfile(customer_no=cu.no, **_own_fields(
            "customer_profile", fields.mapping(profile, "profile", "客户资料"), m.CustomerProfile)))
    c.log(action, cu, None)
    return cu.no


def _duplicate_customer(name) -> GuardFailed:
    return GuardFailed("DUPLICATE_CUSTOMER", f"a customer named {name!r} is already on file",
                       f"客户名称已存在：{name!r}")


def _own_fields(kind: str, fields: dict, model=None) -> dict:
    """The fields a user may set on ``kind`` (:data:`lifecycle.EDITABLE_FIELDS`): any other key is
    refused — ``ReadOnly`` (READ_ONLY_FIELD) for a field that exists but changes only through its
    action, ``GuardFailed`` (UNKNOWN_FIELD) for one that does not exist."""
    allowed = lc.editable_fields(kind)
    what = "客户资料" if kind == "customer_profile" else lc.DOC_TYPES[kind].zh if kind in lc.DOC_TYPES else kind
    for k in fields:
        if k in allowed:
            continue
        managed = (model is not None and k in model.__table__.c) or hasattr(m.Document, k) \
            or k in _MANAGED_DATA
        if managed:
            raise ReadOnly("READ_ONLY_FIELD", f"{k!r} of a {kind} changes only through its action "
                           f"(editable: {list(allowed)}; the customer value comes from the value model, R34)",
                           f"{what}的字段 {k!r} 不能直接修改，只能通过相应操作改变（客户价值由价值模型计算，R34）")
        raise GuardFailed("UNKNOWN_FIELD", f"a {kind} has no editable field {k!r}; use {list(allowed)}",
                          f"{what}没有可编辑的字段 {k!r}，可编辑：{list(allowed)}")
    return dict(fields)


#: Keys of a document's ``data`` that only actions write (assignees, progress, results, links).
_MANAGED_DATA = frozenset({"executor", "follower", "handler", "items", "stage_index", "stages", "summary",
                           "satisfaction", "opportunity", "accept_reason", "reject_reason", "accepted_at",
                           "closed_at", "process", "actual_start", "actual_end", "archive_updated", "level",
                           "products", "archives", "start", "end", "parts", "invalid_reason", "handled_at",
                           "targets", "participants", "survey", "attachments", "serial_no", "required_by",
                           "warranty_until", "last_repair", "next_repair", "hours", "cause", "action"})


#: Columns of :meth:`ArchiveActions.import_customers`: field → accepted headers (English and the
#: Kingdee / textbook Chinese ones). Only ``name`` is required.
IMPORT_COLUMNS = {
    "name": ("name", "customer", "customer_name", "客户名称", "客户", "名称"),
    "kind": ("kind", "type", "customer_type", "客户类型", "类型", "客户性质"),
    "industry": ("industry", "行业", "所属行业"),
    "region": ("region", "area", "区域", "地区", "所属区域"),
    "address": ("address", "地址", "通讯地址"),
    "phone": ("phone", "tel", "telephone", "电话", "联系电话"),
    "source": ("source", "来源", "客户来源"),
}
_IMPORT_ALIASES = {a.lower(): f for f, aliases in IMPORT_COLUMNS.items() for a in aliases}
#: Customer kinds: organisation (企业/单位) or person (个人).
CUSTOMER_KINDS = {"organisation": "organisation", "organization": "organisation", "company": "organisation",
                  "企业": "organisation", "单位": "organisation", "组织": "organisation", "企业客户": "organisation",
                  "person": "person", "individual": "person", "个人": "person", "个人客户": "person"}
_PHONE = re.compile(r"^[0-9+()\- ]{5,30}$")


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()) or v is pd.NA \
        or v is pd.NaT


def _import_rows(frame: pd.DataFrame, existing: set) -> tuple[list[dict], list[tuple]]:
    """Check every row of an import; returns (clean rows, problems (row, English, 中文))."""
    cols = {}
    bad_cols = []
    for col in frame.columns:
        f = _IMPORT_ALIASES.get(str(col).strip().lower())
        if f is None:
            bad_cols.append(col)
        elif f in cols:
            bad_cols.append(col)
        else:
            cols[f] = col
    if bad_cols or "name" not in cols:
        known = ", ".join(f"{f} ({aliases[3] if len(aliases) > 3 else aliases[1]})"
                          for f, aliases in IMPORT_COLUMNS.items())
        what = f"unknown or repeated columns {bad_cols}" if bad_cols else "no customer-name column"
        zh = f"无法识别或重复的列 {bad_cols}" if bad_cols else "缺少客户名称列"
        raise GuardFailed("IMPORT_COLUMNS", f"{what}; use {known}", f"{zh}；可用的列：{known}")
    limits = {f: m.Customer.__table__.c[f].type.length for f in IMPORT_COLUMNS if f != "kind"}
    rows, problems, seen = [], [], {}
    for label, rec in zip(frame.index, frame[list(cols.values())].itertuples(index=False, name=None)):
        raw = dict(zip(cols, rec))
        row, errs = {}, []
        for f, v in raw.items():
            row[f] = None if _blank(v) else (v.strip() if isinstance(v, str) else str(v).strip() if f != "name" else v)
        name = row.get("name")
        if name is None:
            errs.append(("the customer name is empty", "客户名称为空"))
        elif not isinstance(name, str):
            errs.append((f"the customer name {name!r} is not text", f"客户名称 {name!r} 不是文本"))
        else:
            if name in existing:
                errs.append((f"{name!r} is already on file", f"客户 {name!r} 已存在"))
            if name in seen:
                errs.append((f"{name!r} repeats row {seen[name]}", f"客户 {name!r} 与第 {seen[name]} 行重复"))
            seen.setdefault(name, label)
        kind = row.get("kind")
        if kind is None:
            row["kind"] = "organisation"
        elif str(kind).strip().lower() in CUSTOMER_KINDS or kind in CUSTOMER_KINDS:
            row["kind"] = CUSTOMER_KINDS.get(kind, CUSTOMER_KINDS.get(str(kind).strip().lower()))
        else:
            errs.append((f"unknown customer kind {kind!r} (organisation 企业 or person 个人)",
                         f"未知的客户类型 {kind!r}（企业 或 个人）"))
        phone = row.get("phone")
        if phone is not None and not _PHONE.match(phone):
            errs.append((f"phone {phone!r} is not a phone number", f"电话 {phone!r} 不是有效号码"))
        for f, n in limits.items():
            v = row.get(f)
            if isinstance(v, str) and n and len(v) > n:
                errs.append((f"{f} is longer than {n} characters", f"{f} 超过 {n} 个字符"))
        for en, zh in errs:
            problems.append((label, en, zh))
        rows.append(row)
    return rows, problems


def _card_move(c, cu, target, reason):
    for action, src, dst, _ in CARD_TRANSITIONS:
        if src == cu.card_type and dst == target:
            break
    else:
        raise IllegalTransition("ILLEGAL_CARD_CHANGE", f"a {cu.card_type} card cannot become {target}",
                                f"客户卡不能从「{cu.card_type}」转为「{target}」")
    if action == "stop_trading":
        reason = _need(reason, "stop reason", "停止交易原因", "STOP_REASON_REQUIRED")
    with c.track(cu, action):
        cu.card_type = target
        if action == "stop_trading":
            cu.stop_reason = reason
        if action in ("become_current", "resume_trading") and cu.first_trade_date is None:
            cu.first_trade_date = c.now.date()
    c.s.add(_new(m.CardChange, customer_no=cu.no, at=c.now, from_card=src, to_card=dst, reason=reason, by=c.user.login))


class DocumentActions:
    """The shared lifecycle (task 14): edit lines, audit, multi-level audit, un-audit, close, push-down."""

    @_versioned
    def set_lines(self, no, lines) -> float:
        """Replace the product lines of an editable document; returns the new total (= Σ lines)."""
        def fn(c):
            d = c.doc(no)
            c.require_doc(d, "save")
            c.editable(d)
            with c.track(d, "set_lines"):
                d.total = c.set_lines(d, lines)
                d.updated_at = c.now
                if d.doc_type == "opportunity":
                    o = c.s.get(m.Opportunity, d.no)
                    o.expected_revenue = d.total if lines else o.expected_revenue
            return d.total
        return self._do(fn)

    @_versioned
    def edit(self, no, **fields) -> None:
        """Edit header fields (subject or the type's own fields) of an editable document."""
        def fn(c):
            d = c.doc(no)
            c.require_doc(d, _edit_permission(d.doc_type))
            c.editable(d)
            values = _own_fields(d.doc_type, fields)
            with c.track(d, "edit"):
                data = dict(d.data or {})
                for k, v in values.items():
                    if k == "subject":
                        d.subject = _need(v, "subject", "主题")
                    elif k == "plan_start":
                        data[k] = _ts(v, "plan_start", "计划开始").isoformat() if v not in (None, "") else None
                    else:
                        data[k] = _jsonish(v)
                d.data = data
                d.updated_at = c.now
        return self._do(fn)

    @_versioned
    def audit(self, no) -> str:
        """审核: saved → audited (single-level). Customers (KH…) too (R34)."""
        def fn(c):
            d = _load(c, no)
            c.require(_area(d), "audit", d.owner_id, d.dept_id)
            if getattr(d, "audit_levels", None) and d.status == "auditing":
                raise IllegalTransition("MULTI_LEVEL", "multi-level audit is running: use approve()",
                                        "已启用多级审核，请逐级审核")
            with c.track(d, "audit"):
                _before_audit(c, d)
                c.move(d, "audit")
                d.audited_by, d.audited_at = c.user.login, c.now
                _after_audit(c, d)
            return d.status
        return self._do(fn)

    @_versioned
    def enable_multi_audit(self, no, levels) -> str:
        """启用多级审核: name the approvers of each level (R25); saved → auditing."""
        levels = fields.items(levels, "levels", "审核级次")

        def fn(c):
            d = c.doc(no)
            c.require_doc(d, "save")
            if not levels:
                raise GuardFailed("NO_LEVELS", "name at least one approver level", "至少指定一级审核人")
            for login in levels:
                _may_audit(c, c.other_user(login), d)
            with c.track(d, "enable_multi_audit"):
                _before_audit(c, d)
                c.move(d, "enable_multi_audit")
                d.audit_levels = [c.other_user(x).login for x in levels]
                d.audit_step = 0
            return d.status
        return self._do(fn)

    @_versioned
    def approve(self, no) -> str:
        """多级审核: the approver of the current level approves; the last level audits the document."""
        def fn(c):
            d = c.doc(no)
            if d.status != "auditing":
                lc.transition(d.doc_type, d.status, "approve")
            levels = d.audit_levels or []
            if d.audit_step >= len(levels) or levels[d.audit_step] != c.user.login:
                who = levels[d.audit_step] if d.audit_step < len(levels) else "nobody"
                raise PermissionDenied("NOT_APPROVER", f"level {d.audit_step + 1} is for {who}",
                                       f"第 {d.audit_step + 1} 级审核人是 {who if who != 'nobody' else '（无）'}")
            _may_audit(c, c.user, d, PermissionDenied)     # the approver still passes the rule audit enforces
            last = d.audit_step + 1 == len(levels)
            with c.track(d, "approve"):
                if last:
                    _before_audit(c, d)
                c.move(d, "approve", "audited" if last else "auditing")
                c.s.add(_new(m.AuditStep, doc_no=d.no, level=d.audit_step + 1, approver=c.user.login, action="approve",
                                    at=c.now))
                d.audit_step += 1
                if last:
                    d.audited_by, d.audited_at = c.user.login, c.now
                    _after_audit(c, d)
            return d.status
        return self._do(fn)

    @_versioned
    def unaudit(self, no) -> str:
        """反审核 / 驳回审核: auditing or audited → saved, refused once a document was pushed down from it."""
        def fn(c):
            d = _load(c, no)
            levels = getattr(d, "audit_levels", None) or []
            is_approver = d.status == "auditing" and d.audit_step < len(levels) and levels[d.audit_step] == c.user.login
            if not is_approver:
                c.require(_area(d), "audit", d.owner_id, d.dept_id)
            lc.transition(_area(d), d.status, "unaudit")
            if isinstance(d, m.Document):
                n = c.s.scalar(select(m.DocLink.id).where(m.DocLink.src_no == d.no).limit(1))
                if n is not None:
                    raise GuardFailed("HAS_DOWNSTREAM", f"{d.no} was already pushed down: un-audit the target first",
                                      f"{d.no} 已下推生成下游单据，不能反审核")
            with c.track(d, "unaudit"):
                c.move(d, "unaudit")
                if isinstance(d, m.Document):
                    if d.status == "saved" and levels:
                        c.s.add(_new(m.AuditStep, doc_no=d.no, level=d.audit_step + 1, approver=c.user.login,
                                            action="reject", at=c.now))
                    d.audit_step, d.audit_levels = 0, None
                d.audited_by, d.audited_at = None, None
            return d.status
        return self._do(fn)

    @_versioned
    def close(self, no) -> str:
        """关闭: audited → closed (contracts, service contracts, competitors)."""
        def fn(c):
            d = c.doc(no)
            c.require(d.doc_type, "audit", d.owner_id, d.dept_id)
            with c.track(d, "close"):
                c.move(d, "close")
            return d.status
        return self._do(fn)

    @_versioned
    def push_down(self, no, target: str) -> str:
        """下推: create a ``target`` document from an audited source, copying its lines (R25, R26)."""
        tgt = lc.doc_type_code(target)

        def fn(c):
            src = c.doc(no)
            key = (src.doc_type, tgt)
            if key not in lc.PUSH_DOWN or lc.PUSH_DOWN[key][1] != "push_down":
                raise IllegalTransition("NO_PUSH_DOWN", f"a {src.doc_type} cannot be pushed down to a {tgt}",
                                        f"{lc.DOC_TYPES[src.doc_type].zh} 不能下推为 {lc.DOC_TYPES[tgt].zh}")
            c.require(tgt, "save", src.owner_id, src.dept_id)
            lc.transition(src.doc_type, src.status, "push_down")
            if tgt == "contract" and src.ref_no:
                o = c.s.get(m.Opportunity, src.ref_no)
                if o is not None and o.status != "won":
                    raise GuardFailed("OPPORTUNITY_NOT_WON", f"close opportunity {o.no} as won (赢单) before the contract (R24)",
                                      f"签订合同前须先将商机 {o.no} 赢单关闭（R24）")
            return _push(c, src, tgt).no
        return self._do(fn)


def _edit_permission(doc_type: str) -> str:
    """The permission row that governs editing a document of ``doc_type``: ``save`` (who may create
    it), else ``maintain`` (surveys, market activities)."""
    from .permissions import PERMISSIONS
    return "save" if (doc_type, "save") in PERMISSIONS else "maintain"


def _may_audit(c, u, d, exc=GuardFailed):
    """An approver of a multi-level audit must pass the same rule :meth:`DocumentActions.audit`
    enforces: role and scope of ``PERMISSIONS[(type, "audit")]`` (a manager: their department)."""
    from .permissions import allowed
    own = d.owner_id == u.id
    same = d.dept_id is not None and d.dept_id == u.dept_id
    if not allowed(u.role, d.doc_type, "audit", own=own, same_dept=same):
        raise exc("APPROVER_CANNOT_AUDIT", f"{u.login} ({u.role}) may not audit this {d.doc_type} (role or department)",
                  f"{u.name} 无权审核该{lc.DOC_TYPES[d.doc_type].zh}（角色或部门不符）")


def _jsonish(v):
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def _push(c, src: m.Document, tgt: str, *, stage=None, lines=None) -> m.Document:
    if tgt in NEEDS_TRADING and src.customer_no:
        _trading(c, src.customer_no)
    data = None
    if tgt == "service_contract":                  # 服务产品, 服务范围 and the level come with the quote (R33)
        lv = _service_level(c, src.data["level"])
        start = c.now.date()
        data = {"level": lv.code, "products": list(src.data.get("products", [])),
                "archives": list(src.data.get("archives", [])), "start": start.isoformat(),
                "end": _add_months(start, lv.term_months).isoformat()}
    d = c.new_doc(tgt, subject=src.subject, customer_no=src.customer_no, contact_id=src.contact_id, src=src,
                  ref_no=src.no if src.doc_type == "opportunity" else src.ref_no, stage=stage, data=data)
    lines = c.lines(src.no) if lines is None else lines
    for i, ln in enumerate(lines, start=1):
        c.s.add(c.make_line(d.no, i, ln))
    d.total = round(sum(x.amount for x in lines), 2)
    c.link(src, d, lc.PUSH_DOWN[(src.doc_type, tgt)][1])
    c.log(f"push_down_{tgt}", d, None)
    return d


def _before_audit(c, d):
    if isinstance(d, m.Customer):
        return
    if d.doc_type == "contract":
        plan = c.lines(d.no, "payment")
        if not (d.data or {}).get("settlement"):
            raise GuardFailed("SETTLEMENT_REQUIRED", "a contract needs a settlement method (结算方式) before audit",
                              "合同审核前须填写结算方式")
        if not plan or abs(sum(p.amount for p in plan) - d.total) > 0.005:
            raise GuardFailed("PAYMENT_PLAN", "the payment plan (收款计划) must add up to the contract total",
                              "收款计划合计必须等于合同金额")
    if d.doc_type in ("price_list", "quote", "contract", "service_quote") and not c.lines(d.no):
        raise GuardFailed("NO_LINES", "a document without product lines cannot be audited", "没有产品分录的单据不能审核")
    if d.doc_type in ("service_quote", "service_contract"):
        data = d.data or {}
        if not data.get("products") or not data.get("archives"):
            raise GuardFailed("SCOPE_REQUIRED", "a service contract needs 服务产品 and 服务范围 (R33)",
                              "服务合同须有服务产品和服务范围（R33）")


def _after_audit(c, d):
    # The first audited sales contract opens the customer's 现有客户 card (task 5 §5.1.3).
    if isinstance(d, m.Document) and d.doc_type == "contract" and d.customer_no:
        cu = c.s.get(m.Customer, d.customer_no)
        if cu.card_type == "prospect":
            _card_move(c, cu, "current", f"first contract {d.no}")
        cu.last_trade_date = c.now.date()
        c.touch(cu)


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
        from .reports import survey_summary
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


def _new_opportunity(c, subject, customer_no, contact_id=None, source=None, need=None, src=None) -> str:
    method_id = c.default_method_id()
    d = c.new_doc("opportunity", subject=_need(subject, "subject", "商机主题"), customer_no=customer_no,
                  contact_id=contact_id, src=src)
    o = _new(m.Opportunity, no=d.no, status="potential", owner_id=d.owner_id, dept_id=d.dept_id, customer_no=customer_no,
                      method_id=method_id, stage=None, probability=0.0, expected_revenue=0.0, opp_source=source,
                      need=need, created_at=c.now, active=True)
    c.s.add(o)
    if src is not None:
        c.link(src, d, "convert")
    c.log("convert_lead" if src is not None else "new_opportunity", d, None)
    return d.no


class OpportunityActions:
    """Task 13.3: 潜在机会 (R10–R11), evaluation (R12–R14), stage advancement with activities, tasks,
    quotes and samples (R15–R22), win and loss (R23–R24; Odoo: lost = archived, restore)."""

    def new_opportunity(self, subject: str, customer, *, source: str | None = None, contact: int | None = None) -> str:
        """商机－新增 by hand (未评估, default method, no stage: R11)."""
        def fn(c):
            c.require("opportunity", "save")
            return _new_opportunity(c, subject, c.customer(customer).no, contact, source=source)
        return self._do(fn)

    def _opp_edit(self, opp, action, body):
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "edit", d.owner_id, d.dept_id)
            c.editable(d, action)                   # the declared rule of set_potential / add_interest / set_summary
            before_o = _raw(o)
            with c.track(d, action):
                out = body(c, d, o)
                d.updated_at = c.now
                c.touch(d)
            c.log(action, o, before_o, o.status)
            return out
        return self._do(fn)

    @_versioned
    def set_potential(self, opp, *, expected_close=None, expected_revenue=None, source=None, interest=None,
                      need=None) -> None:
        """【潜在机会】 tab: expected close date, expected revenue (refused while interest lines exist:
        then it is Σ lines, R10), source, interest level (高/中/低), need description."""
        def body(c, d, o):
            if expected_close is not None:
                o.expected_close = _date(expected_close, "expected_close", "预计成交日期")
            if expected_revenue is not None:
                if c.lines(d.no):
                    raise ReadOnly("REVENUE_FROM_LINES", "expected revenue = Σ interest lines while there are lines (R10)",
                                   "已有兴趣范围明细时，预计收入 = 明细金额合计（R10）")
                o.expected_revenue = _number(expected_revenue, "expected_revenue", "预计收入")
            if source is not None:
                o.opp_source = source
            if interest is not None:
                o.interest = _alias(interest, _INTEREST_ALIASES, "interest level", "兴趣大小")
            if need is not None:
                o.need = need
        return self._opp_edit(opp, "set_potential", body)

    @_versioned
    def add_interest(self, opp, product, qty: float = 1, price: float | None = None) -> float:
        """兴趣范围: add a product line; expected revenue becomes Σ line amounts (R10). Returns it."""
        if product is None or (isinstance(product, str) and not product.strip()):
            raise GuardFailed("PRODUCT_REQUIRED", "an interest line names a product (兴趣范围)",
                              "兴趣范围明细必须选择物料")

        def body(c, d, o):
            n = len(c.lines(d.no))
            line = c.make_line(d.no, n + 1, {"product": product, "qty": qty, "price": price})
            c.s.add(line)
            c.s.flush()
            o.expected_revenue = d.total = round(sum(x.amount for x in c.lines(d.no)), 2)
            return o.expected_revenue
        return self._opp_edit(opp, "add_interest", body)

    @_versioned
    def submit_evaluation(self, opp, evaluator: str) -> str:
        """【提交评估】: 未评估 → 评估中, naming the evaluator (R12)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "edit", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "submit_evaluation")
            missing = [zh for ok, zh in ((o.expected_close, "预计成交时间"), (o.expected_revenue > 0, "预计收入"),
                                          (o.opp_source, "机会来源"), (o.interest, "兴趣大小")) if not ok]
            if missing:
                raise GuardFailed("POTENTIAL_INCOMPLETE", f"complete the 潜在机会 tab first: {missing}",
                                  f"请先完善【潜在机会】：{missing}")
            ev = c.other_user(evaluator)
            from .permissions import PERMISSIONS
            if ev.role not in PERMISSIONS[("opportunity", "evaluate")] or ev.login == c.user.login:
                raise GuardFailed("BAD_EVALUATOR", f"{ev.login} cannot evaluate (a manager or director other than you)",
                                  f"{ev.name} 不能作为评估人（须为经理或总监，且不是提交人）")
            _opp_move(c, d, o, "submit_evaluation", lambda: setattr(o, "evaluator", ev.login)
                      or setattr(o, "submitter", c.user.login))
            rnd = len(c.rows(m.Evaluation, opp_no=d.no)) + 1
            c.s.add(_new(m.Evaluation, opp_no=d.no, round=rnd, submitter=c.user.login, evaluator=ev.login, submitted_at=c.now))
            return o.status
        return self._do(fn)

    @_versioned
    def evaluate(self, opp, result: str, next_evaluator: str | None = None, comment: str = "") -> str:
        """【评估】 by the named evaluator: ``forward`` 通过，转下一评估人 (needs ``next_evaluator``),
        ``reject`` 驳回, ``pass`` 通过，评估结束 (→ 执行中 at the first stage, R14), ``fail``
        不通过，评估结束 (terminal) (R13)."""
        res = _alias(result, _RESULT_ALIASES, "evaluation result", "评估结果")

        def fn(c):
            d, o = c.opp(opp)
            if o.status == "evaluating" and o.evaluator != c.user.login:
                raise PermissionDenied("NOT_EVALUATOR", f"only the named evaluator {o.evaluator} may evaluate",
                                       f"只有指定的评估人 {o.evaluator} 才能评估")
            c.require("opportunity", "evaluate", None, None)
            lc.transition("opportunity", o.status, f"evaluate_{res}")
            ev = c.rows(m.Evaluation, order="round", opp_no=d.no)[-1]
            nxt = None
            if res == "forward":
                nxt = c.other_user(_need(next_evaluator, "next evaluator", "下一评估人")).login
                from .permissions import PERMISSIONS
                if nxt == c.user.login or c.other_user(nxt).role not in PERMISSIONS[("opportunity", "evaluate")]:
                    raise GuardFailed("BAD_EVALUATOR", f"{nxt} cannot be the next evaluator", f"{nxt} 不能作为下一评估人")

            def effect():
                if res == "forward":
                    o.evaluator = nxt
                elif res == "reject":
                    o.evaluator = None
                elif res == "pass":
                    o.evaluator = None
                    view = _op_view(c, o)
                    t = view.qualify(by=c.user.login, at=c.now, basis="formal_request")
                    o.stage, o.probability = t.to_stage, view.probability
                    _open_stage(c, o, 1)
                else:
                    o.evaluator = None
            _opp_move(c, d, o, f"evaluate_{res}", effect)
            ev.result, ev.next_evaluator, ev.comment, ev.decided_at = res, nxt, comment, c.now
            if res == "forward":
                c.s.add(_new(m.Evaluation, opp_no=d.no, round=ev.round + 1, submitter=c.user.login, evaluator=nxt,
                                     submitted_at=c.now))
            return o.status
        return self._do(fn)

    # -- child documents (活动, 任务, 报价, 样品) ------------------------------------------------
    @_versioned
    def new_activity(self, opp, subject: str, act_type: str = "拜访", *, plan_start=None, result=None) -> str:
        """活动－新增 with 源单 = the opportunity: stamped with its current stage and counted there (R15).
        ``plan_start`` (计划开始) puts it on the schedule (:meth:`~crmlab.system.Desk.my_schedule`)."""
        if plan_start is not None:
            _ts(plan_start)

        def fn(c):
            d, o = c.opp(opp)
            c.require("activity", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "activity")
            a = c.new_doc("activity", subject=_need(subject, "subject", "活动主题"), customer_no=d.customer_no, src=d,
                          ref_no=d.no, stage=o.stage, data={"act_type": act_type, "plan_start": _jsonish(plan_start),
                                                            "result": result})
            c.link(d, a, "source")
            c.log("new_activity", a, None)
            _count(c, o, "n_activity", action="new_activity")
            return a.no
        return self._do(fn)

    @_versioned
    def new_task(self, opp, subject: str, executor: str | None = None, *, plan_start=None) -> str:
        """任务－新增 with 源单 = the opportunity (stamped with the current stage); assign with
        :meth:`assign_task` (R18). ``plan_start`` (计划开始) puts it on the schedule
        (:meth:`~crmlab.system.Desk.my_schedule`)."""
        if plan_start is not None:
            _ts(plan_start)

        def fn(c):
            d, o = c.opp(opp)
            c.require("task", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "task")
            t = c.new_doc("task", subject=_need(subject, "subject", "任务主题"), customer_no=d.customer_no, src=d,
                          ref_no=d.no, stage=o.stage, data={"executor": executor, "plan_start": _jsonish(plan_start)})
            c.link(d, t, "source")
            c.log("new_task", t, None)
            return t.no
        return self._do(fn)

    @_versioned
    def assign_task(self, task, executor: str) -> str:
        """向下分配: saved → 执行中 (R18)."""
        def fn(c):
            t = c.doc(task, "task")
            c.require("task", "save", t.owner_id, t.dept_id)
            ex = c.other_user(executor)
            with c.track(t, "assign_task"):
                c.move(t, "assign")
                t.data = {**t.data, "executor": ex.login}
            return t.status
        return self._do(fn)

    @_versioned
    def add_task_process(self, task, text: str) -> None:
        """处理过程 line of a task: counts as an activity of the task's stage (R20). Executor only."""
        def fn(c):
            t = c.doc(task, "task")
            lc.transition("task", t.status, "add_process")
            _executor(c, t)
            with c.track(t, "add_task_process"):
                c.move(t, "add_process")
                t.data = {**t.data, "process": [*t.data.get("process", []), {"at": c.now.isoformat(),
                                                                             "text": _need(text, "text", "内容")}]}
            o = c.s.get(m.Opportunity, t.ref_no)
            if o is not None and o.status == "open":
                _count(c, o, "n_activity", t.stage, action="add_task_process")
        return self._do(fn)

    @_versioned
    def complete_task(self, task, actual_start=None, actual_end=None) -> str:
        """【完成】: 执行中 → 已完成; needs actual start and end times (R19). Executor only."""
        def fn(c):
            t = c.doc(task, "task")
            lc.transition("task", t.status, "complete")
            _executor(c, t)
            start = actual_start if actual_start is not None else t.data.get("actual_start")
            end = actual_end if actual_end is not None else t.data.get("actual_end")
            if start is None or end is None:
                raise GuardFailed("ACTUAL_TIMES_REQUIRED", "fill in the actual start and end times before 完成 (R19)",
                                  "完成前必须填写实际开始时间和实际结束时间（R19）")
            s_, e_ = _ts(start), _ts(end)
            if e_ < s_ or e_ > c.now:
                raise GuardFailed("BAD_ACTUAL_TIMES", "need actual start ≤ actual end ≤ now",
                                  "需要 实际开始 ≤ 实际结束 ≤ 当前时间")
            with c.track(t, "complete_task"):
                c.move(t, "complete")
                t.data = {**t.data, "actual_start": s_.isoformat(), "actual_end": e_.isoformat()}
            o = c.s.get(m.Opportunity, t.ref_no)
            if o is not None and o.status == "open":
                _count(c, o, "n_task", t.stage, action="complete_task")
            return t.status
        return self._do(fn)

    @_versioned
    def new_quote_from_opportunity(self, opp) -> str:
        """【报价】 tab: a quote whose lines are copied from the interest lines (R21; none → refused)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("quote", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "quote")
            lines = c.lines(d.no)
            if not lines:
                raise GuardFailed("NO_INTEREST_LINES", "add interest products (兴趣范围) before quoting (R21)",
                                  "【潜在机会】中未添加兴趣范围的明细产品，无法新增报价单（R21）")
            q = _push(c, d, "quote", stage=o.stage, lines=lines)
            _count(c, o, "n_quote", action="push_down_quote")
            return q.no
        return self._do(fn)

    @_versioned
    def new_sample(self, opp, lines) -> str:
        """样品申请单: sample lines entered by hand with qty and unit price (R22); counted in the stage."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("sample", "save", d.owner_id, d.dept_id)
            _child_allowed(c, d, o, "sample")
            if not lines:
                raise GuardFailed("NO_LINES", "a sample request needs lines (qty, unit price) (R22)",
                                  "样品申请单需要手工录入数量和单价（R22）")
            s_ = c.new_doc("sample", subject=d.subject, customer_no=d.customer_no, src=d, ref_no=d.no, stage=o.stage)
            s_.total = c.set_lines(s_, lines)
            c.link(d, s_, "source")
            c.log("new_sample", s_, None)
            _count(c, o, "n_sample", action="new_sample")
            return s_.no
        return self._do(fn)

    # -- stages, win, loss -----------------------------------------------------------------------
    @_versioned
    def set_stage_end(self, opp, when=None) -> None:
        """【销售阶段】 tab: set the current stage's actual end time (default: now) — the textbook's
        fix for the R16 error."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "advance", d.owner_id, d.dept_id)
            if o.status != "open":
                lc.transition("opportunity", o.status, "advance")
            row = _current_row(c, o)
            t = _ts(when) if when is not None else c.now
            if t > c.now or t < row.started_at:
                raise GuardFailed("BAD_STAGE_END", "the actual end must lie between the stage start and now",
                                  "实际结束时间须在阶段开始时间与当前时间之间")
            before, version = _raw(row), d.version
            row.actual_end = t
            c.touch(d)
            _log_tab(c, "set_stage_end", row, before, d, version)
        return self._do(fn)

    @_versioned
    def advance(self, opp, *, end_stage_now: bool = False) -> dict:
        """【阶段推进】: move to the next stage when the current stage's actual end is not later than
        now (R16; ``end_stage_now=True`` sets it to now first) and its conditions hold (strict:
        refused with :class:`crmlab.sales_method.ConditionsNotMet`; remind: warnings; R4). Returns
        the dialog of R17: next stage, its name, probability, warnings."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "advance", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "advance")
            row = _current_row(c, o)
            if end_stage_now:
                row.actual_end = c.now
            end = row.actual_end or row.planned_end
            if end > c.now:
                raise GuardFailed("STAGE_END_AFTER_NOW", "the current stage's actual end time must be before now (R16)",
                                  "当前阶段的实际结束时间应该在当前时间之前（R16）")
            view = _op_view(c, o, row)
            t = view.advance(by=c.user.login, at=c.now)
            meth = view.method

            def effect():
                o.stage, o.probability = t.to_stage, view.probability
                row.closed, row.warnings = True, list(t.warnings) or None
                row.actual_end = row.actual_end or c.now
                _open_stage(c, o, row.seq + 1)
            _opp_move(c, d, o, "advance", effect)
            st = meth.stage(t.to_stage)
            return {"stage": st.code, "stage_zh": st.name_zh, "probability": st.probability,
                    "warnings": list(t.warnings)}
        return self._do(fn)

    @_versioned
    def set_summary(self, opp, *, win_loss_date=None, win_reason: str | None = None,
                    lost_reason: str | None = None) -> None:
        """【项目总结】: win/loss date (输赢日期, not after today) and the win or loss reason."""
        def body(c, d, o):
            if win_loss_date is not None:
                day = _date(win_loss_date)
                if day > c.now.date():
                    raise GuardFailed("DATE_IN_FUTURE", "the win/loss date cannot be in the future", "输赢日期不能晚于今天")
                o.win_loss_date = day
            if win_reason is not None:
                o.win_reason = win_reason
            if lost_reason is not None:
                o.lost_reason = lost_reason
        return self._opp_edit(opp, "set_summary", body)

    @_versioned
    def win(self, opp, reason: str | None = None, date=None) -> str:
        """【赢单】: needs the 项目总结 win/loss date and a win reason (R23; given here or by
        :meth:`set_summary`) and, by default, the last stage. Probability 1 (Odoo: won stage, 100 %)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "close", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "win")
            day = _date(date) if date is not None else o.win_loss_date
            why = reason if reason is not None else o.win_reason
            if day is None:
                raise GuardFailed("WIN_DATE_REQUIRED", "fill in the win/loss date (输赢日期) of the project summary (R23)",
                                  "不填写项目总结页签的输赢日期，将无法进行赢单操作（R23）")
            if day > c.now.date():
                raise GuardFailed("DATE_IN_FUTURE", "the win/loss date cannot be in the future", "输赢日期不能晚于今天")
            view = _op_view(c, o)
            t = view.win(by=c.user.login, at=c.now, reason=why)

            def effect():
                o.win_loss_date, o.win_reason = day, str(why)
                o.probability, o.closed_at = 1.0, c.now
                row = _current_row(c, o)
                row.closed, row.actual_end = True, row.actual_end or c.now
            _opp_move(c, d, o, "win", effect)
            _ = t
            return o.status
        return self._do(fn)

    @_versioned
    def lose(self, opp, reason: str, date=None) -> str:
        """输单: probability 0, loss reason, archived (Odoo ``action_set_lost``); never deleted."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "close", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "lose")
            day = _date(date) if date is not None else c.now.date()
            if day > c.now.date():
                raise GuardFailed("DATE_IN_FUTURE", "the win/loss date cannot be in the future", "输赢日期不能晚于今天")
            view = _op_view(c, o)
            view.lose(by=c.user.login, at=c.now, reason=reason)

            def effect():
                o.win_loss_date, o.lost_reason = day, str(reason)
                o.probability, o.closed_at, o.active = 0.0, c.now, False
            _opp_move(c, d, o, "lose", effect)
            return o.status
        return self._do(fn)

    @_versioned
    def restore(self, opp) -> str:
        """Restore a lost opportunity at the stage where it was lost (Odoo ``action_restore``)."""
        def fn(c):
            d, o = c.opp(opp)
            c.require("opportunity", "close", d.owner_id, d.dept_id)
            lc.transition("opportunity", o.status, "restore")
            view = _op_view(c, o)
            view.restore(by=c.user.login, at=c.now)

            def effect():
                o.probability, o.closed_at, o.active = view.probability, None, True
                o.lost_reason, o.win_loss_date = None, None
            _opp_move(c, d, o, "restore", effect)
            return o.status
        return self._do(fn)


def _opp_move(c, d, o, action, effect):
    before_o = _raw(o)
    status = o.status
    with c.track(d, action):
        new = c.move(d, action)
        effect()
        o.status = new
        c.touch(d)
    c.log(action, o, before_o, status)


def _op_view(c, o: m.Opportunity, row: m.OppStage | None = None) -> op.Opportunity:
    """The opportunity as a :class:`crmlab.sales_method.Opportunity` (the shared domain model), with
    the current stage's counts as its activities, so its guards decide."""
    meth = c.crm._method(c.s, o.method_id)
    acts = []
    if row is not None:
        for kind, n in (("activity", row.n_activity), ("task", row.n_task), ("quote", row.n_quote),
                        ("sample", row.n_sample)):
            acts += [op.Activity(o.no, kind, row.stage, o.created_at, "")] * n
    status = {"evaluating": "potential", "failed": "potential"}.get(o.status, o.status)
    return op.Opportunity(o.no, customer_id=o.customer_no or "", expected_revenue=o.expected_revenue,
                          created_at=o.created_at, status=status, stage=o.stage if status != "potential" else None,
                          probability=o.probability if status == "open" else None,
                          lost_reason=o.lost_reason or "", method=meth, activities=acts)


def _current_row(c, o) -> m.OppStage:
    rows = c.rows(m.OppStage, order="seq", opp_no=o.no)
    return rows[-1] if rows else None


def _open_stage(c, o, seq):
    st = c.crm._method(c.s, o.method_id).stage(o.stage)
    c.s.add(_new(m.OppStage, opp_no=o.no, seq=seq, stage=o.stage, started_at=c.now,
                       planned_end=c.now + dt.timedelta(days=st.days), actual_end=None, closed=False, n_activity=0,
                       n_task=0, n_quote=0, n_sample=0))


def _count(c, o, column, stage=None, action=None):
    """Count a child document (activity, task, quote, sample) in the opportunity's stage row; the
    opportunity's version steps and the audit log names the opportunity (who changed it, when)."""
    if o.status != "open":
        return
    stage = stage or o.stage
    rows = c.rows(m.OppStage, order="seq", opp_no=o.no, stage=stage)
    row = rows[-1] if rows else None
    if row is not None:
        d = c.doc(o.no)
        before, version = _raw(row), d.version
        setattr(row, column, getattr(row, column) + 1)
        c.touch(d)
        _log_tab(c, action or f"count_{column}", row, before, d, version)


def _log_tab(c, action, row, before, d, version_before):
    """Audit entry of a change to a row of an opportunity's tab (e.g. its stage rows), naming the
    opportunity (doc type and number) and its version step."""
    c.log(action, row, before, None, doc_no=d.no, doc_type="opportunity")
    r = c.logs[-1]
    if d.version != version_before:
        r["before"]["version"], r["after"]["version"] = version_before, d.version


def _child_allowed(c, d, o, kind):
    allowed = lc.PUSH_DOWN[("opportunity", kind)][0]
    if o.status not in allowed:
        raise IllegalTransition("OPPORTUNITY_NOT_OPEN",
                                f"a {kind} needs an opportunity in status {allowed}, not {o.status}",
                                f"商机状态为「{lc.status_label(o.status)}」时不能新增{lc.DOC_TYPES[kind].zh}")


def _executor(c, t):
    if t.data.get("executor") != c.user.login:
        raise PermissionDenied("NOT_EXECUTOR", f"only the executor {t.data.get('executor')} may do this",
                               f"只有执行人 {t.data.get('executor')} 才能操作")


class SalesActions(DocumentActions):
    """Task 14.1 and 14.2‑1: price list → quote → contract (payment plan) → project."""

    def new_price_list(self, customer, lines, subject: str | None = None) -> str:
        """价目表－新增: partner (an audited trading customer, R34) and product lines (qty, price)."""
        def fn(c):
            c.require("price_list", "save")
            cu = _trading(c, customer)
            d = c.new_doc("price_list", subject=subject or f"{cu.name} 价目表", customer_no=cu.no)
            if not lines:
                raise GuardFailed("NO_LINES", "a price list needs product lines", "价目表需要产品分录")
            d.total = c.set_lines(d, lines)
            c.log("new_price_list", d, None)
            return d.no
        return self._do(fn)

    @_versioned
    def send_quote(self, quote) -> str:
        """Send a quote to the customer (Odoo: draft → sent)."""
        return self._simple(quote, "quote", "send", "save")

    @_versioned
    def cancel_quote(self, quote) -> str:
        """Cancel a draft or sent quote."""
        return self._simple(quote, "quote", "cancel", "save")

    def _simple(self, no, doc_type, action, perm_action):
        def fn(c):
            d = c.doc(no, doc_type)
            c.require(doc_type, perm_action, d.owner_id, d.dept_id)
            with c.track(d, action):
                c.move(d, action)
            return d.status
        return self._do(fn)

    @_versioned
    def set_contract_terms(self, contract, *, settlement: str, terms: str = "") -> None:
        """【基本信息】: settlement method (结算方式) and contract terms (合同条款)."""
        self.edit(contract, settlement=_need(settlement, "settlement", "结算方式"), terms=terms)

    @_versioned
    def set_payment_plan(self, contract, instalments) -> None:
        """【收款计划】: instalments ``[(due date, share or amount), …]`` — shares (≤ 1) or amounts,
        due dates ascending; Σ must equal the contract total (R27)."""
        def fn(c):
            d = c.doc(contract, "contract")
            c.require("contract", "save", d.owner_id, d.dept_id)
            c.editable(d)
            rows, last = [], None
            for due, x in instalments:
                day = _date(due)
                if last is not None and day < last:
                    raise GuardFailed("PLAN_ORDER", "instalment due dates must ascend", "收款计划的日期必须递增")
                last = day
                x = _number(x, "instalment")
                amount = round(d.total * x, 2) if x <= 1 else x
                rows.append({"description": f"第{len(rows) + 1}期", "qty": 1, "price": amount, "due_date": day})
            if rows:
                rows[-1]["price"] = round(rows[-1]["price"] + d.total - sum(r["price"] for r in rows), 2) \
                    if abs(sum(r["price"] for r in rows) - d.total) < 0.05 else rows[-1]["price"]
            if abs(sum(r["price"] for r in rows) - d.total) > 0.005:
                raise GuardFailed("PAYMENT_PLAN", f"instalments add up to {sum(r['price'] for r in rows):.2f}, "
                                  f"not the contract total {d.total:.2f}", "收款计划合计必须等于合同金额")
            with c.track(d, "set_payment_plan"):
                c.set_lines(d, rows, "payment")
                d.updated_at = c.now
        return self._do(fn)

    @_versioned
    def new_project(self, contract, subject: str, *, goal: str = "", content: str = "",
                    stages=("预研阶段", "实施阶段", "验收阶段")) -> str:
        """项目新增 with 源单类型 = CRM销售合同 (an audited contract), subject, goal, content, ticked stages."""
        def fn(c):
            src = c.doc(contract, "contract")
            c.require("project", "save")
            if src.status not in lc.PUSH_DOWN[("contract", "project")][0]:
                raise IllegalTransition("SOURCE_NOT_AUDITED", "a project needs an audited sales contract",
                                        "项目的源单必须是已审核的销售合同")
            if not stages:
                raise GuardFailed("NO_STAGES", "tick at least one project stage", "至少勾选一个项目阶段")
            d = c.new_doc("project", subject=_need(subject, "subject", "项目主题"), customer_no=src.customer_no, src=src,
                          data={"goal": goal, "content": content, "stages": list(stages), "stage_index": None,
                                "summary": None})
            c.link(src, d, "source")
            c.log("new_project", d, None)
            return d.no
        return self._do(fn)

    @_versioned
    def execute_project(self, project) -> str:
        """【执行】: audited → executing, at the first ticked stage."""
        def fn(c):
            d = c.doc(project, "project")
            c.require("project", "execute", d.owner_id, d.dept_id)
            with c.track(d, "execute_project"):
                c.move(d, "execute")
                d.data = {**d.data, "stage_index": 0}
            return d.status
        return self._do(fn)

    @_versioned
    def advance_project(self, project) -> str:
        """Project 阶段推进: next ticked stage; returns its name."""
        def fn(c):
            d = c.doc(project, "project")
            c.require("project", "execute", d.owner_id, d.dept_id)
            lc.transition("project", d.status, "advance_project")
            i = d.data["stage_index"]
            if i + 1 >= len(d.data["stages"]):
                raise IllegalTransition("LAST_STAGE", "already the last project stage: close the project",
                                        "已是最后一个项目阶段，请结案")
            with c.track(d, "advance_project"):
                d.data = {**d.data, "stage_index": i + 1}
            return d.data["stages"][i + 1]
        return self._do(fn)

    @_versioned
    def close_project(self, project, summary: str) -> str:
        """【结案】: needs the project summary (项目总结) and the last stage reached."""
        def fn(c):
            d = c.doc(project, "project")
            c.require("project", "execute", d.owner_id, d.dept_id)
            lc.transition("project", d.status, "close_project")
            _need(summary, "project summary", "项目总结", "SUMMARY_REQUIRED")
            if d.data["stage_index"] + 1 < len(d.data["stages"]):
                raise GuardFailed("STAGES_OPEN", "finish the project stages before closing", "项目阶段未完成，不能结案")
            with c.track(d, "close_project"):
                c.move(d, "close_project")
                d.data = {**d.data, "summary": summary}
            return d.status
        return self._do(fn)


class ServiceActions:
    """Task 14.2‑2: product archive (R29), service request → assign → dispatch → accept → handle
    (R30–R32), service contract (R33)."""

    _ARCHIVE_DATES = ("warranty_until", "last_repair", "next_repair")

    def register_product_archive(self, customer, product, qty: float = 1, *, warranty_until=None,
                                 serial_no: str | None = None) -> str:
        """产品档案－新增 (注册): buying customer, product (service-enabled, archive-generating), qty (R29)."""
        def fn(c):
            c.require("product_archive", "register")
            cu = _trading(c, customer)
            p = c.product(product)
            if not (p.service_enabled and p.gen_archive):
                raise GuardFailed("PRODUCT_NOT_SERVICED", f"{p.code}: tick 启用服务 and 生成产品档案 first (R29)",
                                  f"物料 {p.name} 须先勾选【启用服务】和【生成产品档案】（R29）")
            wu = _date(warranty_until) or _add_months(c.now.date(), 12)
            d = c.new_doc("product_archive", subject=p.name, customer_no=cu.no,
                          data={"serial_no": serial_no, "warranty_until": wu.isoformat(), "last_repair": None,
                                "next_repair": None, "parts": []})
            d.total = c.set_lines(d, [{"product": p.code, "qty": qty, "price": p.list_price}])
            c.log("register_product_archive", d, None)
            return d.no
        return self._do(fn)

    @_versioned
    def edit_archive(self, archive, **fields) -> None:
        """After registration only 保修到期日, 上次维修日期, 下次维修日期 may change (R29)."""
        bad = [k for k in fields if k not in self._ARCHIVE_DATES]
        if bad:
            raise ReadOnly("ARCHIVE_REGISTERED", f"a registered product archive keeps {bad}; only "
                           f"{list(self._ARCHIVE_DATES)} may change (R29)",
                           "注册后产品信息不可再修改，只能维护保修到期日、上次维修日期和下次维修日期（R29）")

        def fn(c):
            d = c.doc(archive, "product_archive")
            c.require("product_archive", "edit_dates")
            lc.transition("product_archive", d.status, "edit_dates")
            with c.track(d, "edit_archive"):
                d.data = {**d.data, **{k: _date(v).isoformat() if v else None for k, v in fields.items()}}
        return self._do(fn)

    def new_service_request(self, customer, archive, problem: str, required_by) -> str:
        """服务请求－新增: customer, the product card reported (an archive of that customer), problem
        description, required completion date (R30)."""
        def fn(c):
            c.require("service_request", "save")
            cu = _trading(c, customer)
            a = c.doc(archive, "product_archive")
            if a.customer_no != cu.no:
                raise GuardFailed("ARCHIVE_OF_OTHER_CUSTOMER", f"{a.no} belongs to another customer",
                                  f"产品档案 {a.no} 不属于该客户")
            day = _date(required_by)
            if day is None or day < c.now.date():
                raise GuardFailed("BAD_REQUIRED_DATE", "the required completion date must be today or later",
                                  "要求完成日期不能早于今天")
            d = c.new_doc("service_request", subject=_need(problem, "problem", "问题描述"), customer_no=cu.no,
                          ref_no=a.no, data={"required_by": day.isoformat(), "follower": None, "handler": None,
                                             "satisfaction": None})
            c.log("new_service_request", d, None)
            return d.no
        return self._do(fn)

    @_versioned
    def assign_request(self, request, follower: str) -> str:
        """【分配】: give the request to a follower (R30)."""
        def fn(c):
            d = c.doc(request, "service_request")
            c.require("service_request", "dispatch")
            f = c.other_user(follower)
            with c.track(d, "assign_request"):
                c.move(d, "assign")
                d.data = {**d.data, "follower": f.login}
            return d.status
        return self._do(fn)

    @_versioned
    def dispatch(self, request, handler: str) -> str:
        """【派工】: the handler must be an authorised user bound to an employee (R31); a work order
        (派工单) is created automatically (R30). Returns the work order number."""
        def fn(c):
            d = c.doc(request, "service_request")
            c.require("service_request", "dispatch")
            lc.transition("service_request", d.status, "dispatch")
            h = c.other_user(handler)
            if not h.employee_code or not h.authorised or not h.active:
                raise GuardFailed("HANDLER_NOT_EMPLOYEE",
                                  f"{h.login} must be an authorised user bound to an employee (R31)",
                                  f"派工人员 {h.name} 必须是绑定本账套职员并已授权的用户（R31）")
            if h.role != "engineer":
                raise GuardFailed("HANDLER_NOT_ENGINEER", f"{h.login} is not a service engineer",
                                  f"{h.name} 不是服务工程师")
            with c.track(d, "dispatch"):
                c.move(d, "dispatch")
                d.data = {**d.data, "handler": h.login}
            wo = c.new_doc("work_order", subject=d.subject, customer_no=d.customer_no, src=d, ref_no=d.no, owner=h)
            c.link(d, wo, "dispatch")
            c.log("dispatch", wo, None)
            return wo.no
        return self._do(fn)

    def _wo(self, c, work_order, action):
        wo = c.doc(work_order, "work_order")
        c.require("work_order", "handle", wo.owner_id, wo.dept_id)
        lc.transition("work_order", wo.status, action)
        return wo, c.doc(wo.src_no, "service_request")

    @_versioned
    def accept_work_order(self, work_order, reason: str) -> str:
        """【接受】 by the handler with a reason: the request becomes 已派工 (R32)."""
        def fn(c):
            wo, req = self._wo(c, work_order, "accept")
            with c.track(wo, "accept_work_order"):
                c.move(wo, "accept")
                wo.data = {**wo.data, "accept_reason": _need(reason, "reason", "接受原因"), "accepted_at": c.now.isoformat()}
            with c.track(req, "on_accept"):
                c.move(req, "on_accept")
            return wo.status
        return self._do(fn)

    @_versioned
    def reject_work_order(self, work_order, reason: str) -> str:
        """Refuse a work order (crmlab): the request goes back to 已分配 for a new dispatch."""
        def fn(c):
            wo, req = self._wo(c, work_order, "reject")
            with c.track(wo, "reject_work_order"):
                c.move(wo, "reject")
                wo.data = {**wo.data, "reject_reason": _need(reason, "reason", "拒绝原因")}
            with c.track(req, "on_reject"):
                c.move(req, "on_reject")
            return wo.status
        return self._do(fn)

    @_versioned
    def handle_work_order(self, work_order, *, cause: str, action: str, parts=(), hours: float = 1.0) -> str:
        """【处理】 (only after 接受, R32): saves a handling record (处理单); parts used are listed
        ``[(product, qty), …]``. Returns the handling record number."""
        def fn(c):
            wo, req = self._wo(c, work_order, "handle")
            with c.track(wo, "handle_work_order"):
                c.move(wo, "handle")
            h = c.new_doc("handling", subject=wo.subject, customer_no=wo.customer_no, src=wo, ref_no=req.ref_no,
                          data={"cause": _need(cause, "cause", "故障原因"), "action": _need(action, "action", "处理措施"),
                                "hours": _number(hours, "hours"), "handled_at": c.now.isoformat(),
                                "archive_updated": False})
            h.total = c.set_lines(h, [{"product": p, "qty": q, "price": 0} for p, q in parts], "part")
            c.link(wo, h, "handle")
            with c.track(req, "on_handle"):
                c.move(req, "on_handle")
            c.log("handle_work_order", h, None)
            return h.no
        return self._do(fn)

    @_versioned
    def update_product_archive(self, handling) -> None:
        """【更新产品档案】: the archive gets the repair date (上次维修日期) and the parts used (R32)."""
        def fn(c):
            h = c.doc(handling, "handling")
            c.require("product_archive", "edit_dates")
            if h.data.get("archive_updated"):
                raise GuardFailed("ALREADY_UPDATED", "this handling record already updated the archive",
                                  "该处理单已更新过产品档案")
            a = c.doc(h.ref_no, "product_archive")
            parts = [{"product_id": ln.product_id, "qty": ln.qty, "handling": h.no} for ln in c.lines(h.no, "part")]
            with c.track(a, "update_product_archive"):
                a.data = {**a.data, "last_repair": h.data["handled_at"][:10], "parts": [*a.data.get("parts", []), *parts]}
            with c.track(h, "update_product_archive"):
                h.data = {**h.data, "archive_updated": True}
        return self._do(fn)

    @_versioned
    def close_request(self, request, satisfaction: int, note: str = "") -> str:
        """Close a handled request with the customer's satisfaction 1–5 (feeds 服务满意度分析)."""
        def fn(c):
            d = c.doc(request, "service_request")
            c.require("service_request", "dispatch")
            try:
                score = fields.integer(satisfaction, "satisfaction", "满意度", minimum=1, maximum=5)
            except InvalidValue:
                raise GuardFailed("BAD_SATISFACTION", f"satisfaction is an integer 1–5, got {satisfaction!r}",
                                  f"满意度为 1–5 的整数，得到 {satisfaction!r}") from None
            with c.track(d, "close_request"):
                c.move(d, "close")
                d.data = {**d.data, "satisfaction": score, "note": note, "closed_at": c.now.isoformat()}
            return d.status
        return self._do(fn)

    def new_service_contract(self, customer, *, level: str, products, archives, amount: float = 0.0,
                             subject: str | None = None) -> str:
        """服务合同－新增 (manual): 服务产品, 基本信息 (customer), 服务范围 (product archives of that
        customer), service level; then audit (R33)."""
        def fn(c):
            c.require("service_contract", "save")
            cu = _trading(c, customer)
            lv = _service_level(c, level)
            prods = [c.product(p).code for p in products]
            arcs = _archives_of(c, cu, archives)
            end = _add_months(c.now.date(), lv.term_months)
            d = c.new_doc("service_contract", subject=subject or f"{cu.name} {lv.name}服务合同", customer_no=cu.no,
                          data={"level": lv.code, "products": prods, "archives": arcs,
                                "start": c.now.date().isoformat(), "end": end.isoformat()})
            d.total = c.set_lines(d, [{"description": f"{lv.name} 服务", "qty": 1, "price": amount}])
            c.log("new_service_contract", d, None)
            return d.no
        return self._do(fn)

    def new_service_quote(self, customer, lines, *, level: str, archives, subject: str | None = None) -> str:
        """服务报价单－新增 (task 14.2‑2, R33): priced service lines (服务产品: ``[(product, qty,
        price), …]``), the service level and the customer's product archives it covers (服务范围).
        Then :meth:`audit` it (a sales director or the administrator) and :meth:`push_down` it to
        a 服务合同 (``push_down(no, "服务合同")``): lines, level, 服务产品 and 服务范围 are copied,
        源单类型/源单编号 set and the link recorded; the quote can no longer be un-audited.
        """
        def fn(c):
            c.require("service_quote", "save")
            cu = _trading(c, customer)
            lv = _service_level(c, level)
            arcs = _archives_of(c, cu, archives)
            if not lines:
                raise GuardFailed("NO_LINES", "a service quote needs priced service lines (服务产品)",
                                  "服务报价单需要服务产品分录")
            d = c.new_doc("service_quote", subject=subject or f"{cu.name} {lv.name}服务报价", customer_no=cu.no)
            d.total = c.set_lines(d, lines)
            prods = []
            for ln in c.lines(d.no):
                if ln.product_id is not None:
                    code = c.s.get(m.Product, ln.product_id).code
                    if code not in prods:
                        prods.append(code)
            d.data = {"level": lv.code, "products": prods, "archives": arcs}
            c.log("new_service_quote", d, None)
            return d.no
        return self._do(fn)


def _service_level(c, level) -> m.ServiceLevel:
    lv = c.s.get(m.ServiceLevel, str(level))
    if lv is None:
        lv = next(iter(c.rows(m.ServiceLevel, name=str(level))), None)
    if lv is None:
        raise NotFound("NO_SERVICE_LEVEL", f"no service level {level!r}", f"找不到服务级别 {level!r}")
    return lv


def _archives_of(c, cu, archives) -> list[str]:
    """The product archives of a service document: each must belong to the customer (R33)."""
    arcs = []
    for a in ([archives] if isinstance(archives, str) else archives):
        ad = c.doc(a, "product_archive")
        if ad.customer_no != cu.no:
            raise GuardFailed("ARCHIVE_OF_OTHER_CUSTOMER", f"{ad.no} belongs to another customer (R33)",
                              f"产品档案 {ad.no} 不属于该客户（R33）")
        arcs.append(ad.no)
    return arcs


class ValueActions:
    """Task 15.2: customer value scoring options, model (生效, R35), grades, pyramid and
    【更新客户价值】 (written back to the customers; R34: read-only elsewhere)."""

    def save_value_model(self, name: str, *, bands: dict, weights: dict, grades) -> int:
        """客户价值评分选项 + 模型 + 等级: ``bands`` {dimension: [(lower bound, score), …]},
        ``weights`` {dimension: weight} (Σ = 1), ``grades`` [(grade, minimum total), …] high → low."""
        from .reports import VALUE_DIMENSIONS, check_value_model
        try:
            check_value_model(fields.mapping(bands, "bands", "评分区间"), fields.mapping(weights, "weights", "权重"),
                              fields.items(grades, "grades", "等级", one=()))
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            if isinstance(err, CRMError):
                raise
            raise InvalidValue("BAD_VALUE_MODEL", f"not a value model: bands {{dimension: [(lower bound, score), …]}}, "
                               f"weights {{dimension: weight}}, grades [(grade, minimum), …] ({err})",
                               f"价值模型格式不正确（{err}）") from None
        _ = VALUE_DIMENSIONS

        def fn(c):
            c.require("customer", "value")
            row = c.s.scalar(select(m.ValueModel).where(m.ValueModel.name == name))
            if row is not None and row.status == "active":
                raise ReadOnly("MODEL_ACTIVE", "an active value model cannot be changed; save a new one",
                               "已生效的价值模型不能修改，请另存新模型")
            if row is None:
                row = m.ValueModel(name=name, status="draft", created_by=c.user.login, bands={}, weights={}, grades=[])
                c.s.add(row)
            row.bands = {k: [list(x) for x in v] for k, v in bands.items()}
            row.weights = dict(weights)
            row.grades = [list(g) for g in grades]
            c.s.flush()
            c.log("save_value_model", row, None)
            return row.id
        return self._do(fn)

    def activate_value_model(self, name: str) -> str:
        """【生效】: the model becomes the active one (the previous one is retired) (R35)."""
        def fn(c):
            c.require("customer", "value")
            row = c.s.scalar(select(m.ValueModel).where(m.ValueModel.name == name))
            if row is None:
                raise NotFound("NO_MODEL", f"no value model {name!r}", f"找不到价值模型 {name!r}")
            if row.status != "draft":
                raise IllegalTransition("ILLEGAL_TRANSITION", f"model {name!r} is {row.status}", f"模型 {name} 不是草稿状态")
            for other in c.s.scalars(select(m.ValueModel).where(m.ValueModel.status == "active")):
                with c.track(other, "retire_value_model"):
                    other.status = "retired"
            with c.track(row, "activate_value_model"):
                row.status, row.activated_at = "active", c.now
            return row.status
        return self._do(fn)

    def update_customer_value(self) -> pd.DataFrame:
        """【更新客户价值】: score every audited customer with the active model and write value score
        and grade back to the customer records (R35). Returns the scores."""
        from .reports import customer_value_scores

        def fn(c):
            c.require("customer", "value")
            row = c.s.scalar(select(m.ValueModel).where(m.ValueModel.status == "active"))
            if row is None:
                raise GuardFailed("NO_ACTIVE_MODEL", "activate (生效) a value model first (R35)", "请先使价值模型生效（R35）")
            scores = customer_value_scores(self.crm, row.name, session=c.s, now=c.now)
            for rec in scores.itertuples():
                cu = c.s.get(m.Customer, rec.customer_no)
                if cu.value_score != rec.total or cu.value_grade != rec.grade:
                    with c.track(cu, "update_customer_value"):
                        cu.value_score, cu.value_grade = float(rec.total), rec.grade
            return scores
        return self._do(fn)
