"""Sales at the desk (task 14.1 and 14.2-1): price list → quote → contract (payment plan) → project."""
from __future__ import annotations

from .. import lifecycle as lc
from .._rows import _date, _need, _number
from ..errors import GuardFailed, IllegalTransition
from ._common import _trading, _versioned
from ._documents import DocumentActions


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
