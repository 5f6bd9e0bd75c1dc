"""Graded checks of the database state for labs/04_system 03 (sales and service) and 04 (customers).

The textbook grades task 14–15 with one screenshot per step (技能训练: 实训作品截屏 60 %). crmlab
reads the **database** instead: the document exists and has the right type, status, lines and
totals; it was made from the right source (源单, 下推 links); the right user did each step (audit
log, multi-level audit steps); the payment plan has the agreed instalments. Every helper raises
:class:`crmlab.check.CheckFailed` (an ``AssertionError``) with a short message, Chinese first with an
English gloss, and a hint — never ``NotFound`` or ``KeyError`` — so a missing step (an answer still ``None``, a
document that was never made) fails the graded test cleanly.

Example
-------
>>> from crmlab import system
>>> from crmlab.system import checks_sales as cs, scenario
>>> crm = system.open(":memory:", demo=True)
>>> nos = scenario.until(crm, "contract")
>>> cs.status(crm, nos["contract"], "已审核", "销售合同 sales contract")
>>> cs.done_by(crm, nos["contract"], "audit", "lijingli", "合同审核 contract audit").shape[0]
1
>>> try:
...     cs.document(crm, None, "contract", "销售合同 sales contract")
... except AssertionError as err:
...     print(err)
✗ 销售合同 sales contract
  还没有作答 (not answered yet): 答案仍是 None。写好答案后，先运行答题单元格，再运行本测试。
  (Write your answer, run its cell, then run this test.)
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
_KEEP = "保存操作返回的单据编号（字符串）(keep the number the action returned, a str)。"
_A_NUMBER = "一个单据编号 (a document number)"
_NOT_IN_DB = "（数据库中没有 not in the database）"


def document(crm, no, doc_type: str, name: str, hint: str | None = None) -> dict:
    """Check that ``no`` is the number of an existing document of type ``doc_type``; return it
    (as :meth:`CRM.doc` gives it). ``doc_type`` is a code or a Kingdee name (销售合同 …).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> try:
    ...     document(crm, "HT000009", "contract", "合同 contract")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 合同 contract
      应为 expected: 一张已有的销售合同 (an existing contract)
      实际 got:      'HT000009'（数据库中没有 not in the database）
    """
    code = lc.doc_type_code(doc_type)
    zh = lc.DOC_TYPES[code].zh
    if no is None:
        check.unanswered(name, no)
    if not isinstance(no, str):
        check.fail(name, f"单据编号，如 (a document number such as) '{lc.DOC_TYPES[code].prefix}000001'",
                   f"{no!r} ({type(no).__name__})", hint or _KEEP)
    try:
        d = crm.doc(no)
    except CRMError:
        check.fail(name, f"一张已有的{zh} (an existing {code})", f"{no!r}{_NOT_IN_DB}", hint)
    if d.get("doc_type", "customer") != code:
        check.fail(name, f"一张{zh} (a {code})", f"{no!r} 是一张{lc.DOC_TYPES[d.get('doc_type', 'customer')].zh} "
                   f"(a {d.get('doc_type', 'customer')})", hint)
    return d


def customer(crm, no, name: str, hint: str | None = None) -> dict:
    """Check that ``no`` is an existing customer number (KH…); return the customer record.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> customer(crm, "KH000001", "客户 customer")["name"]
    '华东电网科技'
    """
    if no is None:
        check.unanswered(name, no)
    if not isinstance(no, str):
        check.fail(name, "客户编号，如 (a customer number such as) 'KH000007'", repr(no), hint or _KEEP)
    f = crm.customers()
    row = f[f["no"] == no]
    if row.empty:
        check.fail(name, "一个已有客户 (an existing customer)", f"{no!r}{_NOT_IN_DB}", hint)
    return row.iloc[0].to_dict()


def status(crm, no, expected, name: str, hint: str | None = None) -> None:
    """Check the status of a document or customer: a code (``"audited"``), a Kingdee label
    (``"已审核"``) or a list of allowed ones.

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> status(crm, nos["opportunity"], "赢单", "商机 opportunity")
    >>> try:
    ...     status(crm, nos["quote"], "audited", "报价单 quote", hint="由李经理审核 (李经理 audits it)。")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 报价单 quote
      应为 expected: 已审核 audited
      实际 got:      已保存 saved
      提示 hint: 由李经理审核 (李经理 audits it)。
    """
    _number(no, name, hint)
    try:
        d = crm.doc(no)
    except CRMError:
        check.fail(name, "一张已有的单据 (an existing document)", f"{no!r}{_NOT_IN_DB}", hint)
    kind = d.get("doc_type")
    wanted = [expected] if isinstance(expected, str) else list(expected)
    codes = [lc.status_code(w, kind) for w in wanted]
    if d["status"] not in codes:
        shown = " 或 (or) ".join(f"{lc.status_label(c)} {c}" for c in codes)
        check.fail(name, shown, f"{lc.status_label(d['status'])} {d['status']}", hint)


def done_by(crm, no, action: str, user: str, name: str, hint: str | None = None) -> pd.DataFrame:
    """Check that the audit log shows ``action`` on document ``no`` done by ``user`` (login);
    return those log rows.

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> try:
    ...     done_by(crm, nos["opportunity"], "win", "lijingli", "赢单 win")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 赢单 win
      应为 expected: 审计日志中由 lijingli 做的 'win' ('win' by lijingli in the audit log)
      实际 got:      'win' 由 (by) zhangsan 做
    """
    _number(no, name, hint)
    log = crm.audit_log(doc_no=no)
    log = log[log["action"] == action]
    mine = log[log["user_login"] == user]
    if mine.empty:
        who = ", ".join(dict.fromkeys(log["user_login"])) or "无人 nobody"
        check.fail(name, f"审计日志中由 {user} 做的 {action!r} ({action!r} by {user} in the audit log)",
                   f"{action!r} 由 (by) {who} 做", hint)
    return mine.reset_index(drop=True)


def line_items(crm, no, expected, name: str, kind: str = "item", hint: str | None = None) -> None:
    """Check the lines (分录) of a document: ``expected`` is ``[(product code, qty, price), …]``
    in line order (``kind="part"`` for the parts of a handling record, price ignored if None).

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> line_items(crm, nos["quote"], [("R740", 2, 48_000), ("FW-3000", 1, 36_000)], "报价分录 quote lines")
    """
    _number(no, name, hint)
    got = crm.lines(no, kind)
    have = [(p, float(q), float(pr)) for p, q, pr in zip(got["product"], got["qty"], got["price"])]
    want = [(p, float(q), None if pr is None else float(pr)) for p, q, pr in expected]
    if len(have) != len(want):
        check.fail(name, f"{len(want)} 行 (lines)", f"{len(have)} 行 (lines)", hint)
    for i, (h, w) in enumerate(zip(have, want), start=1):
        if h[0] != w[0] or abs(h[1] - w[1]) > 1e-9 or (w[2] is not None and abs(h[2] - w[2]) > 0.005):
            shown = (w[0], w[1]) if w[2] is None else w
            check.fail(f"{name}，第{i}行 line {i}", f"{shown} (产品 product, 数量 qty, 单价 price)", h, hint)


def linked(crm, src, dst, name: str, relation: str | None = None, hint: str | None = None) -> None:
    """Check that ``dst`` was made from ``src`` (a 下推/源单/派工 link, optionally of ``relation``).

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "contract")
    >>> linked(crm, nos["quote"], nos["contract"], "下推", relation="push_down")
    """
    if src is None or dst is None:
        check.unanswered(name, None)
    if not isinstance(src, str) or not isinstance(dst, str):
        check.fail(name, "两个单据编号 (two document numbers)", f"{src!r} → {dst!r}", hint or _KEEP)
    links = crm.links(dst)
    links = links[(links["src_no"] == src) & (links["dst_no"] == dst)]
    if relation is not None:
        links = links[links["relation"] == relation]
    if links.empty:
        made_from = crm.links(dst)
        made_from = made_from[made_from["dst_no"] == dst]["src_no"].tolist()
        check.fail(name, f"{dst} 由 {src} 生成 (made from {src}" + (f", {relation})" if relation else ")"),
                   f"{dst} 的源单 (made from): {made_from or '无源单 nothing'}", hint)


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
        check.fail(name, f"各级审核人 {want} (级别, 审核人) (levels approved by: level, approver)",
                   got or "未启用多级审核 (no multi-level audit)", hint)


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
    ...     payment_plan(crm, nos["contract"], [0.5, 0.5], [0, 30], "收款计划 payment plan")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 收款计划 payment plan
      应为 expected: 2 期 (instalments)
      实际 got:      3 期 (instalments)
    """
    d = document(crm, contract, "contract", name, hint)
    plan = crm.lines(contract, "payment")
    if len(plan) != len(shares):
        check.fail(name, f"{len(shares)} 期 (instalments)", f"{len(plan)} 期 (instalments)", hint)
    day0 = pd.Timestamp(d["created_at"]).date()
    total = float(d["total"])
    for i, (amount, got, share, k) in enumerate(zip(plan["amount"], plan["due_date"], shares, due), start=1):
        if abs(float(amount) - total * share) > 0.05:
            check.fail(f"{name}，第{i}期 instalment {i}", f"{total:,.2f} 的 {share:.0%} = {total * share:,.2f}",
                       f"{float(amount):,.2f}", hint)
        if isinstance(k, (int, float)):
            want = day0 + dt.timedelta(days=int(k))
            shown = f"{want}（{day0} 之后 {k} 天 days after）"
        else:
            want = pd.Timestamp(k).date()
            shown = str(want)
        got = pd.Timestamp(got).date() if got is not None and not pd.isna(got) else None
        if got != want:
            check.fail(f"{name}，第{i}期日期 instalment {i} due", shown, got, hint)


def consistent(crm, name: str = "数据一致性 database consistency", hint: str | None = None) -> None:
    """Check :meth:`CRM.check_invariants` finds no problem (totals = Σ lines, links, statuses).

    >>> from crmlab import system
    >>> consistent(system.open(":memory:", demo=True))
    """
    problems = crm.check_invariants()
    if problems:
        check.fail(name, "没有问题 (no problems)", f"{len(problems)} 个问题 (problems): {problems[0]}",
                   hint or "只用系统的操作修改数据，不要直接改表 (change data through the actions only)。")


def error_code(actual, expected: str, name: str, hint: str | None = None) -> None:
    """Check a recorded refusal: ``actual`` is the ``code`` of the error the system raised
    (``err.code``), e.g. ``"READ_ONLY"``.

    >>> error_code("READ_ONLY", "READ_ONLY", "修改已审核价目表 edit an audited price list")
    >>> try:
    ...     error_code(42, "READ_ONLY", "修改已审核价目表 edit an audited price list")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 修改已审核价目表 edit an audited price list
      应为 expected: 系统报出的错误代码 err.code (the code of the error the system raised)
      实际 got:      42
      提示 hint: 用 try/except 捕获错误并保存 err.code (catch the error and keep err.code)。
    """
    if actual is None:
        check.unanswered(name, actual)
    if not isinstance(actual, str):
        check.fail(name, "系统报出的错误代码 err.code (the code of the error the system raised)", repr(actual),
                   hint or "用 try/except 捕获错误并保存 err.code (catch the error and keep err.code)。")
    check.equal(actual, expected, name, hint)


def value_model(crm, model_name, name: str, hint: str | None = None) -> dict:
    """Check that a customer value model (客户价值模型) of that name exists; return its row.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> try:
    ...     value_model(crm, "埃佛特", "价值模型 value model")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 价值模型 value model
      应为 expected: 已保存的价值模型 '埃佛特' (a saved value model of that name)
      实际 got:      无此模型 (no such model)
    """
    rows = crm.table("value_models")
    rows = rows[rows["name"] == model_name]
    if rows.empty:
        check.fail(name, f"已保存的价值模型 {model_name!r} (a saved value model of that name)", "无此模型 (no such model)",
                   hint)
    return rows.iloc[0].to_dict()


def _number(no, name, hint) -> None:
    """Fail with 还没有作答 for None, or when ``no`` is not a document number (a str)."""
    if no is None:
        check.unanswered(name, no)
    if not isinstance(no, str):
        check.fail(name, _A_NUMBER, repr(no), hint or _KEEP)


_counted = check._count        # a passing check counts, so a test cell whose checks all pass prints one ✓ line


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


for _name in ("document", "customer", "status", "done_by", "line_items", "linked", "approvals", "payment_plan",
              "consistent", "error_code", "value_model"):
    globals()[_name] = _counted(globals()[_name])
del _name
