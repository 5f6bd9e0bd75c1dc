"""Initial settings at the desk (初始化设置, task 12): users, home pages, competitors, sales methods, knowledge
types, service levels, expense types, products and the question bank."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from crmlab import sales_method as op
from .. import fields
from .. import models as m
from .._rows import _need, _number
from ..errors import CRMError, GuardFailed, InvalidValue, NotFound
from ._archive import _own_fields
from ._common import HOME_BLOCKS


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
        from ..permissions import role_code

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
