"""Service at the desk (task 14.2-2): product archives, service requests and their handling, service contracts."""
from __future__ import annotations

from .. import fields
from .. import lifecycle as lc
from .. import models as m
from .._rows import _date, _need, _number
from ..errors import GuardFailed, InvalidValue, NotFound, ReadOnly
from ._common import _add_months, _trading, _versioned


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
