"""Graded checks of the database state for labs/04_system 03 (sales and service) and 04 (customers).

The textbook grades task 14–15 with one screenshot per step (技能训练: 实训作品截屏 60 %). crmlab
reads the **database** instead: the document exists and has the right type, status, lines and
totals; it was made from the right source (源单, 下推 links); the right user did each step (audit
log, multi-level audit steps); the payment plan has the agreed instalments. Every helper raises
:class:`crmlab.check.CheckFailed` (an ``AssertionError``) with a short English and Chinese message
and a hint — never ``NotFound`` or ``KeyError`` — so a missing step (an answer still ``None``, a
document that was never made) fails the graded test cleanly.

Example
-------
>>> from crmlab import system
>>> from crmlab.system import checks_sales as cs, scenario
>>> crm = system.open(":memory:", demo=True)
>>> nos = scenario.until(crm, "contract")
>>> cs.status(crm, nos["contract"], "已审核", "sales contract 销售合同")
>>> cs.done_by(crm, nos["contract"], "audit", "lijingli", "contract audit 合同审核").shape[0]
1
>>> try:
...     cs.document(crm, None, "contract", "sales contract 销售合同")
... except AssertionError as err:
...     print(err)
✗ sales contract 销售合同: expected a document number such as 'HT000001', got None.
  Hint 提示: Your answer is still None: did you run the cell above after writing it? 答案仍为 None，请先运行上面的单元格。
"""
from __future__ import annotations

import datetime as dt
import functools

import pandas as pd

from crmlab import check

from . import lifecycle as lc
from .errors import CRMError

__all__ = ["document", "customer", "status", "done_by", "line_items", "linked", "approvals", "payment_plan",
           "consistent", "error_code", "value_model", "reference_crm"]

_NONE = check._NONE_HINT


def document(crm, no, doc_type: str, name: str, hint: str | None = None) -> dict:
    """Check that ``no`` is the number of an existing document of type ``doc_type``; return it
    (as :meth:`CRM.doc` gives it). ``doc_type`` is a code or a Kingdee name (销售合同 …).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> try:
    ...     document(crm, "HT000009", "contract", "contract 合同")
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ contract 合同: expected an existing 销售合同 (contract), got 'HT000009' (not in the database 数据库中没有).
    """
    code = lc.doc_type_code(doc_type)
    zh = lc.DOC_TYPES[code].zh
    if no is None or not isinstance(no, str):
        check.fail(name, f"a document number such as '{lc.DOC_TYPES[code].prefix}000001'",
                   repr(no) if no is None else f"{no!r} ({type(no).__name__})",
                   hint or (_NONE if no is None else "Keep the number the action returned (a str). 保存操作返回的单据编号。"))
    try:
        d = crm.doc(no)
    except CRMError:
        check.fail(name, f"an existing {zh} ({code})", f"{no!r} (not in the database 数据库中没有)", hint)
    if d.get("doc_type", "customer") != code:
        check.fail(name, f"a {zh} ({code})", f"{no!r}, a {lc.DOC_TYPES[d.get('doc_type', 'customer')].zh} "
                   f"({d.get('doc_type', 'customer')})", hint)
    return d


def customer(crm, no, name: str, hint: str | None = None) -> dict:
    """Check that ``no`` is an existing customer number (KH…); return the customer record.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> customer(crm, "KH000001", "customer 客户")["name"]
    '华东电网科技'
    """
    if no is None or not isinstance(no, str):
        check.fail(name, "a customer number such as 'KH000007'", repr(no), hint or (_NONE if no is None else None))
    f = crm.customers()
    row = f[f["no"] == no]
    if row.empty:
        check.fail(name, "an existing customer 已有客户", f"{no!r} (not in the database 数据库中没有)", hint)
    return row.iloc[0].to_dict()


def status(crm, no, expected, name: str, hint: str | None = None) -> None:
    """Check the status of a document or customer: a code (``"audited"``), a Kingdee label
    (``"已审核"``) or a list of allowed ones.

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> status(crm, nos["opportunity"], "赢单", "opportunity 商机")
    >>> try:
    ...     status(crm, nos["quote"], "audited", "quote 报价单", hint="李经理 audits it.")
    ... except AssertionError as err:
    ...     print(err)
    ✗ quote 报价单: expected audited 已审核, got saved 已保存.
      Hint 提示: 李经理 audits it.
    """
    if not isinstance(no, str):
        check.fail(name, "a document number", repr(no), hint or (_NONE if no is None else None))
    try:
        d = crm.doc(no)
    except CRMError:
        check.fail(name, "an existing document 已有单据", f"{no!r} (not in the database 数据库中没有)", hint)
    kind = d.get("doc_type")
    wanted = [expected] if isinstance(expected, str) else list(expected)
    codes = [lc.status_code(w, kind) for w in wanted]
    if d["status"] not in codes:
        shown = " or ".join(f"{c} {lc.status_label(c)}" for c in codes)
        check.fail(name, shown, f"{d['status']} {lc.status_label(d['status'])}", hint)


def done_by(crm, no, action: str, user: str, name: str, hint: str | None = None) -> pd.DataFrame:
    """Check that the audit log shows ``action`` on document ``no`` done by ``user`` (login);
    return those log rows.

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> try:
    ...     done_by(crm, nos["opportunity"], "win", "lijingli", "赢单")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 赢单: expected 'win' by lijingli in the audit log 审计日志, got 'win' by zhangsan.
    """
    if not isinstance(no, str):
        check.fail(name, "a document number", repr(no), hint or (_NONE if no is None else None))
    log = crm.audit_log(doc_no=no)
    log = log[log["action"] == action]
    mine = log[log["user_login"] == user]
    if mine.empty:
        who = ", ".join(dict.fromkeys(log["user_login"])) or "nobody 无人"
        check.fail(name, f"{action!r} by {user} in the audit log 审计日志", f"{action!r} by {who}", hint)
    return mine.reset_index(drop=True)


def line_items(crm, no, expected, name: str, kind: str = "item", hint: str | None = None) -> None:
    """Check the lines (分录) of a document: ``expected`` is ``[(product code, qty, price), …]``
    in line order (``kind="part"`` for the parts of a handling record, price ignored if None).

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> line_items(crm, nos["quote"], [("R740", 2, 48_000), ("FW-3000", 1, 36_000)], "quote lines 报价分录")
    """
    if not isinstance(no, str):
        check.fail(name, "a document number", repr(no), hint or (_NONE if no is None else None))
    got = crm.lines(no, kind)
    have = [(p, float(q), float(pr)) for p, q, pr in zip(got["product"], got["qty"], got["price"])]
    want = [(p, float(q), None if pr is None else float(pr)) for p, q, pr in expected]
    if len(have) != len(want):
        check.fail(name, f"{len(want)} lines 行", f"{len(have)} lines 行", hint)
    for i, (h, w) in enumerate(zip(have, want), start=1):
        if h[0] != w[0] or abs(h[1] - w[1]) > 1e-9 or (w[2] is not None and abs(h[2] - w[2]) > 0.005):
            shown = (w[0], w[1]) if w[2] is None else w
            check.fail(f"{name}, line {i} 第{i}行", f"{shown} (product, qty, price)", h, hint)


def linked(crm, src, dst, name: str, relation: str | None = None, hint: str | None = None) -> None:
    """Check that ``dst`` was made from ``src`` (a 下推/源单/派工 link, optionally of ``relation``).

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "contract")
    >>> linked(crm, nos["quote"], nos["contract"], "下推", relation="push_down")
    """
    if not isinstance(src, str) or not isinstance(dst, str):
        check.fail(name, "two document numbers", f"{src!r} → {dst!r}", hint or _NONE)
    links = crm.links(dst)
    links = links[(links["src_no"] == src) & (links["dst_no"] == dst)]
    if relation is not None:
        links = links[links["relation"] == relation]
    if links.empty:
        made_from = crm.links(dst)
        made_from = made_from[made_from["dst_no"] == dst]["src_no"].tolist()
        check.fail(name, f"{dst} made from {src}" + (f" ({relation})" if relation else ""),
                   f"{dst} made from {made_from or 'nothing 无源单'}", hint)


def approvals(crm, no, approvers, name: str, hint: str | None = None) -> None:
    """Check the last round of a multi-level audit (多级审核): the levels were approved by
    ``approvers`` (logins) in this order, and the document is audited.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> zs, lj, wz = crm.login("zhangsan"), crm.login("lijingli"), crm.login("wangzong")
    >>> pl = zs.new_price_list("KH000001", [("R740", 1, 46_000)])
    >>> _ = zs.enable_multi_audit(pl, ["lijingli", "wangzong"]), lj.approve(pl), wz.approve(pl)
    >>> approvals(crm, pl, ["lijingli", "wangzong"], "price list 价目表")
    """
    status(crm, no, "audited", name, hint)
    steps = crm.table("audit_steps")
    steps = steps[steps["doc_no"] == no].sort_values("id")
    got = []                       # the last round: approvals since the last level-1 approval
    for r in steps.itertuples():
        if r.action != "approve":
            got = []
        elif int(r.level) == 1:
            got = [(1, r.approver)]
        else:
            got.append((int(r.level), r.approver))
    want = [(i, a) for i, a in enumerate(approvers, start=1)]
    if got != want:
        check.fail(name, f"levels approved by {want} (level, approver)", got or "no multi-level audit 未启用多级审核",
                   hint)


def payment_plan(crm, contract, shares, due, name: str, hint: str | None = None) -> None:
    """Check a contract's 收款计划: instalment amounts = ``shares`` × total (to the cent; the last
    one takes the rounding) and due dates ``due`` — dates, or whole days after the contract date
    (the day it was made).

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "contract")
    >>> payment_plan(crm, nos["contract"], [0.3, 0.6, 0.1], [0, 60, 365], "收款计划")
    >>> payment_plan(crm, nos["contract"], [0.3, 0.6, 0.1], ["2024-03-26", "2024-05-25", "2025-03-26"], "收款计划")
    >>> try:
    ...     payment_plan(crm, nos["contract"], [0.5, 0.5], [0, 30], "收款计划")
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ 收款计划: expected 2 instalments 期, got 3 instalments 期.
    """
    d = document(crm, contract, "contract", name, hint)
    plan = crm.lines(contract, "payment")
    if len(plan) != len(shares):
        check.fail(name, f"{len(shares)} instalments 期", f"{len(plan)} instalments 期", hint)
    day0 = pd.Timestamp(d["created_at"]).date()
    total = float(d["total"])
    for i, (amount, got, share, k) in enumerate(zip(plan["amount"], plan["due_date"], shares, due), start=1):
        if abs(float(amount) - total * share) > 0.05:
            check.fail(f"{name}, instalment {i} 第{i}期", f"{share:.0%} of {total:,.2f} = {total * share:,.2f}",
                       f"{float(amount):,.2f}", hint)
        if isinstance(k, (int, float)):
            want = day0 + dt.timedelta(days=int(k))
            shown = f"{want} ({k} days after {day0})"
        else:
            want = pd.Timestamp(k).date()
            shown = str(want)
        got = pd.Timestamp(got).date() if got is not None and not pd.isna(got) else None
        if got != want:
            check.fail(f"{name}, instalment {i} due 第{i}期日期", shown, got, hint)


def consistent(crm, name: str = "database consistency 数据一致性", hint: str | None = None) -> None:
    """Check :meth:`CRM.check_invariants` finds no problem (totals = Σ lines, links, statuses).

    >>> from crmlab import system
    >>> consistent(system.open(":memory:", demo=True))
    """
    problems = crm.check_invariants()
    if problems:
        check.fail(name, "no problems 无问题", f"{len(problems)} problem(s): {problems[0]}", hint)


def error_code(actual, expected: str, name: str, hint: str | None = None) -> None:
    """Check a recorded refusal: ``actual`` is the ``code`` of the error the system raised
    (``err.code``), e.g. ``"READ_ONLY"``.

    >>> error_code("READ_ONLY", "READ_ONLY", "edit an audited price list 修改已审核价目表")
    >>> try:
    ...     error_code(None, "READ_ONLY", "edit an audited price list 修改已审核价目表")
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ edit an audited price list 修改已审核价目表: expected the code of the error the system raised (err.code), got None.
    """
    if not isinstance(actual, str):
        check.fail(name, "the code of the error the system raised (err.code)", repr(actual),
                   hint or "Catch the error with try/except and keep err.code. 用 try/except 捕获错误并保存 err.code。")
    check.equal(actual, expected, name, hint)


def value_model(crm, model_name, name: str, hint: str | None = None) -> dict:
    """Check that a customer value model (客户价值模型) of that name exists; return its row.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> try:
    ...     value_model(crm, "埃佛特", "value model 价值模型")
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ value model 价值模型: expected a saved value model named '埃佛特', got no such model 无此模型.
    """
    rows = crm.table("value_models")
    rows = rows[rows["name"] == model_name]
    if rows.empty:
        check.fail(name, f"a saved value model named {model_name!r}", "no such model 无此模型", hint)
    return rows.iloc[0].to_dict()


@functools.lru_cache(maxsize=4)
def reference_crm(seed: int, n: int = 12, step: str = "contract"):
    """A fresh CRM with a seeded history (:func:`scenario.populate` from 2022-03-01) and the
    scenario up to ``step``, built once per process: hidden tests call the student's functions on
    it. Treat it as read-only.

    >>> crm = reference_crm(5, n=4, step="won")
    >>> crm is reference_crm(5, n=4, step="won"), len(crm.opportunities())
    (True, 5)
    """
    from . import engine, scenario
    crm = engine.open(":memory:", demo=True, clock="2022-03-01 09:00")
    scenario.populate(crm, n=n, seed=seed)
    scenario.until(crm, step)
    return crm
