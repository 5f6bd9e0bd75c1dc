"""Checks of the simulated CRM's database state, for graded test cells (lab 04_system): ``check.crm``.

The textbook grades learning situation 4 by **process screenshots** (技能训练: 实训作品截屏, one per
stage). crmlab grades the same steps by reading the database the student's work has changed: the
documents, their statuses, fields and lines, the links between them (源单/下推), the audit log (who did
what, when) and the invariants. Each check either returns what it found — a document number, a
document, an audit-log entry, a row — or raises :class:`crmlab.check.CheckFailed` (an ``AssertionError``)
whose message says, Chinese first with an English gloss, what is missing and what was found instead,
with a hint. A missing step, a student's ``None`` or a wrong number all fail the same readable way;
no ``NotFound`` or ``KeyError`` escapes.

One vocabulary, reached as ``check.crm`` (``from crmlab import check``), so a test cell uses one name:

* documents — :func:`document` (this number is a document of that type), :func:`find_document` (some
  document of a type, in a status, with these fields), :func:`status`, :func:`fields`, :func:`line_items`;
* links — :func:`linked` (源单 → 目标单据), :func:`lineage` (the whole chain);
* who did what — :func:`audit`, :func:`no_audit` (the audit log), :func:`approvals` (多级审核);
* refusals — :func:`refused` (a captured error, or its code, is the refusal the step should produce);
* base data and tabs — :func:`row`, :func:`stages`, :func:`evaluations`, :func:`payment_plan`,
  :func:`value_model`;
* the whole database — :func:`consistent` (:meth:`crmlab.system.CRM.check_invariants` finds nothing).

Every check takes ``label`` (what the student reads as the check's name) and ``hint``. Statuses,
document types, stages and evaluation results may be codes or the Kingdee labels (``"已审核"``,
``"商机"``, ``"了解情况"``, ``"通过，评估结束"``). Hidden tests may build a second company with
:func:`reference_crm`.

Example
-------
>>> from crmlab import check, system
>>> crm = system.open(":memory:", demo=True)
>>> zs = crm.login("zhangsan")
>>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
>>> check.crm.find_document(crm, "线索", status="已保存", subject="服务器购买意愿")
'XS000001'
>>> try:
...     check.crm.find_document(crm, "商机", subject="服务器购买意愿", hint="先把线索【转化】为商机 (convert the lead)。")
... except AssertionError as err:
...     print(err)
✗ 商机 opportunity subject='服务器购买意愿'
  应为 expected: 数据库中有这样的单据 (a document in the database)
  实际 got:      一张商机都没有 (no 商机 at all)
  提示 hint: 先把线索【转化】为商机 (convert the lead)。
"""
from __future__ import annotations

import datetime as dt
import functools
import math

import pandas as pd

from crmlab import glossary
from crmlab._checkbase import _count, fail, unanswered
from crmlab.errors import CRMLabError
from crmlab.system import lifecycle as lc
from crmlab.system.errors import CRMError

__all__ = ["document", "find_document", "status", "fields", "line_items", "linked", "lineage", "audit", "no_audit",
           "approvals", "refused", "row", "stages", "evaluations", "payment_plan", "value_model", "consistent",
           "reference_crm"]

_A_NUMBER = "一个单据编号 (a document number)"
_AN_OPP = "一个商机编号 (an opportunity number)"
_KEEP_NO = "把操作返回的单据编号存进变量 (store the number the action returned)。"
_NOT_IN_DB = "（数据库中没有 not in the database）"
_ANY = object()            # linked(), audit(): no particular target document
_CHANNELS = {"desk": "代码 code", "ui": "客户端界面 desktop client", "mobile": "移动端 phone page"}

# evaluation results: the one table crmlab.glossary.EVALUATION_RESULT (also read by crmlab.system)
_EVALUATION_LABELS = {code: entry[0] for code, entry in glossary.EVALUATION_RESULT.items()}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _type(doc_type) -> str:
    try:
        return lc.doc_type_code(doc_type)
    except CRMError:
        fail("单据类型 document type", f"其中之一 (one of) {list(lc.DOC_TYPES)}", repr(doc_type))


def _type_label(code: str) -> str:
    return f"{lc.DOC_TYPES[code].zh} {code}" if code in lc.DOC_TYPES else code


def _status(label, doc_type: str | None = None) -> str:
    try:
        return lc.status_code(label, doc_type)
    except CRMError:
        fail("状态 status", f"其中之一 (one of) {sorted(lc.STATUS_LABELS)}", repr(label))


def _status_label(code) -> str:
    return f"{lc.status_label(code)} {code}" if code else repr(code)


def _same(got, want) -> bool:
    if isinstance(want, float) or (isinstance(got, float) and isinstance(want, int) and not isinstance(want, bool)):
        try:
            return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-6)
        except (TypeError, ValueError):
            return False
    if isinstance(want, (set, frozenset)):
        try:
            return set(got) == want
        except TypeError:
            return False
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return list(got) == list(want)
    return got == want


def _describe_fields(fields: dict) -> str:
    return " ".join(f"{k}={v!r}" for k, v in fields.items())


def _login(crm, user) -> str:
    """A user's login from a login or a name (张三 → zhangsan); unknown users stay as given."""
    if user is None:
        return None
    try:
        return crm._user(user).login
    except CRMError:
        return str(user)


def _doc(crm, no) -> dict | None:
    if no is None:
        return None
    try:
        return crm.doc(no)
    except CRMError:
        return None




def find_document(crm, doc_type, status=None, *, owner=None, label: str | None = None, hint: str | None = None,
                    **fields) -> str:
    """The number of the (last) document of ``doc_type`` in ``status`` whose fields match ``fields``.

    Fields are compared with what :meth:`crmlab.system.CRM.doc` returns (header, ``data`` fields
    and, for an opportunity, its tab): ``subject="服务器购买意愿"``, ``total=15_000.0``,
    ``stage="proposal"``, ``customer_no="KH000007"`` …; floats are compared with a tolerance,
    sets ignore order. ``owner`` is a login or a name. ``doc_type="customer"`` (客户) searches the
    customer archive (match ``name=`` there through ``fields``, e.g. ``name="江南重工集团"``).

    Raises :class:`crmlab.check.CheckFailed` when no document matches, saying whether there is
    no document of the type at all, none with these fields, or one with the fields in another
    status (and which).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> no = crm.login("zhangsan").add_competitor("启明网安", industry="网络安全")
    >>> find_document(crm, "竞争对手", subject="启明网安", industry="网络安全", owner="张三")
    'JZDS000001'
    >>> try:
    ...     find_document(crm, "competitor", status="已审核", subject="启明网安", hint="请以李经理身份审核 (audit it as 李经理)。")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 竞争对手 competitor subject='启明网安'
      应为 expected: 状态 已审核 audited (status)
      实际 got:      JZDS000001 的状态是 已保存 saved (in status)
      提示 hint: 请以李经理身份审核 (audit it as 李经理)。
    >>> find_document(crm, "customer", status="audited", name="华东电网科技", is_trading=True)
    'KH000001'
    """
    code = _type(doc_type)
    want = _status(status, code) if status is not None else None
    owner_login = _login(crm, owner) if owner is not None else None
    what = " ".join(x for x in (_type_label(code), _describe_fields(fields)) if x)
    label = label or what
    if code == "customer":
        frame = crm.customers()
        candidates = [crm.doc(no) for no in frame["no"]] if len(frame) else []
    else:
        frame = crm.documents(doc_type=code)
        candidates = [crm.doc(no) for no in frame["no"]] if len(frame) else []
    if not candidates:
        fail(label, "数据库中有这样的单据 (a document in the database)",
                   f"一张{lc.DOC_TYPES[code].zh}都没有 (no {lc.DOC_TYPES[code].zh} at all)", hint)
    if owner_login is not None:
        for d in candidates:
            if "owner" not in d and d.get("owner_id") is not None:
                d["owner"] = _owner_login(crm, d["owner_id"])
    matching = [d for d in candidates
                if all(k in d and _same(d[k], v) for k, v in fields.items())
                and (owner_login is None or d.get("owner") == owner_login)]
    if not matching:
        near = _nearest(candidates, fields)
        fail(label, "字段相符的单据 (a document with these fields)"
                   + (f"，负责人 {owner_login} (owned by {owner_login})" if owner_login else ""),
                   f"{len(candidates)} 张{lc.DOC_TYPES[code].zh}，没有一张相符 (none matching; {near})", hint)
    good = [d for d in matching if want is None or d["status"] == want]
    if not good:
        found = "，".join(f"{d['no']} 的状态是 {_status_label(d['status'])}" for d in matching[-3:])
        fail(label, f"状态 {_status_label(want)} (status)", found + " (in status)", hint)
    return good[-1]["no"]



def _owner_login(crm, owner_id) -> str | None:
    users = crm.table("users")
    row = users[users["id"] == owner_id]
    return row["login"].iloc[0] if len(row) else None



def _nearest(candidates: list, fields: dict) -> str:
    """Which requested field differs on the closest candidate (for the message)."""
    if not fields:
        return "—"
    best = max(candidates, key=lambda d: sum(k in d and _same(d[k], v) for k, v in fields.items()))
    diffs = [f"{k}={best.get(k)!r}" for k, v in fields.items() if not (k in best and _same(best[k], v))]
    return f"最接近的 closest {best['no']}: " + ", ".join(diffs)



def fields(crm, no, label: str | None = None, hint: str | None = None, **fields) -> dict:
    """Check fields of one document (as :func:`find_document` compares them); returns the document.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> fields(crm, "KH000001", name="华东电网科技", industry="能源")["region"]
    '华东'
    """
    label = label or f"单据 document {no!r}"
    d = _doc(crm, no)
    if d is None:
        fail(label, _A_NUMBER, repr(no) if no is not None else None, hint or _KEEP_NO)
    for k, v in fields.items():
        if k not in d:
            fail(f"{label} {d['no']}: 字段 field {k}", repr(v), "没有这个字段 (no such field)", hint)
        if not _same(d[k], v):
            fail(f"{label} {d['no']}: {k}", repr(v), repr(d[k]), hint)
    return d



def lineage(crm, no, chain, label: str | None = None, hint: str | None = None) -> list:
    """Check the chain of source documents of ``no`` (oldest first, ending with ``no``).

    ``chain`` lists numbers or document types (``["lead", "opportunity"]`` or ``["线索", "商机"]``).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> zs = crm.login("zhangsan")
    >>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
    >>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    >>> lineage(crm, opp, ["线索", "商机"])
    ['XS000001', 'SJ000001']
    """
    label = label or f"{no!r} 的单据链 (lineage)"
    if _doc(crm, no) is None:
        fail(label, _A_NUMBER, repr(no) if no is not None else None, hint or _KEEP_NO)
    got = crm.lineage(no)
    types = [crm.doc(x)["doc_type"] for x in got]
    want = list(chain)
    ok = len(want) == len(got) and all(w == g or _maybe_type(w) == t for w, g, t in zip(want, got, types))
    if not ok:
        fail(label, " → ".join(map(str, want)), " → ".join(f"{g} ({t})" for g, t in zip(got, types)), hint)
    return got



def _maybe_type(label):
    try:
        return lc.doc_type_code(label)
    except CRMError:
        return None



def _audit_rows(crm, action, user, doc_no, after, channel=None):
    log = crm.audit_log()
    rows = log[log["action"] == action] if action is not None else log
    if channel is not None:
        rows = rows[rows["channel"] == channel]
    if user is not None:
        rows = rows[rows["user_login"] == _login(crm, user)]
    if doc_no is not _ANY:
        rows = rows[rows["doc_no"] == str(doc_no)]
    if after:
        keep = [isinstance(a, dict) and all(k in a and _same(a[k], v) for k, v in after.items())
                for a in rows["after"]]
        rows = rows[keep]
    return log, rows



def audit(crm, action: str, *, user=None, doc_no=_ANY, channel: str | None = None, count: int | None = None,
          at_least: int = 1, label: str | None = None, hint: str | None = None, **after) -> dict:
    """An entry of the audit log: ``action`` done by ``user`` (login or name) on ``doc_no``, through
    ``channel`` (``"mobile"`` the phone page, ``"ui"`` the desktop client, ``"desk"`` code).

    Extra keywords must match the entry's ``after`` values (useful for base data without a
    number, e.g. ``code="K04"``). ``count`` asks for exactly that many entries, ``at_least`` for
    a minimum. Returns the last matching entry as a dict (``at``, ``user_login``, ``role``,
    ``from_status``, ``to_status``, ``before``, ``after`` …).

    Some actions write two entries (an opportunity's header and its tab); count them with care.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> crm.login("admin").add_knowledge_type("K04", "竞争情报")
    'K04'
    >>> audit(crm, "add_knowledge_type", user="Administrator", code="K04")["role"]
    'admin'
    >>> try:
    ...     audit(crm, "add_knowledge_type", user="zhangsan")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 审计日志 audit log: add_knowledge_type 操作人 by zhangsan
      应为 expected: 至少 1 条记录 (at least 1 entry)
      实际 got:      0 条；做这个操作的是 (done by): admin
    """
    login = _login(crm, user)
    label = label or "审计日志 audit log: " + " ".join(
        x for x in (action, f"操作人 by {login}" if login else "", f"单据 on {doc_no}" if doc_no is not _ANY else "",
                    f"渠道 via {_CHANNELS.get(channel, channel)}" if channel else "", _describe_fields(after)) if x)
    if doc_no is not _ANY:
        _number(doc_no, label, hint)
    if channel is not None:                       # how it was done counts only while the log is intact
        broken = crm.audit_chain_problems()
        if broken:
            fail(label, "一份没有被手工改动过的审计日志 (an audit log as the CRM wrote it)", broken[0],
                 hint or "不要用数据库工具改动 mobile_lab.db；重新做一遍这一天 (do not edit the database by hand)。")
    log, rows = _audit_rows(crm, action, user, doc_no, after, channel)
    n = len(rows)
    if (count is not None and n != count) or n < at_least:
        others = log[log["action"] == action]
        if doc_no is not _ANY:
            others = others[others["doc_no"] == str(doc_no)]
        who = ", ".join(sorted(set(others["user_login"]))) or "无人 nobody"
        if channel is not None and len(others):
            who += "；渠道 (via): " + ", ".join(sorted({_CHANNELS.get(c, str(c)) for c in others["channel"]}))
        want = (f"恰好 {count} 条记录 (exactly {count} entries)" if count is not None
                else f"至少 {at_least} 条记录 (at least {at_least} entr{'y' if at_least == 1 else 'ies'})")
        fail(label, want, f"{n} 条；做这个操作的是 (done by): {who}", hint)
    return rows.iloc[-1].to_dict() if n else {}



def no_audit(crm, action: str, *, user=None, doc_no=_ANY, label: str | None = None, hint: str | None = None,
                    **after) -> None:
    """Check that the audit log has **no** such entry (a refused action changes nothing and logs nothing).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> no_audit(crm, "save_home_scheme", user="zhangsan")
    """
    login = _login(crm, user)
    label = label or "审计日志 audit log: 不应有 (no) " + " ".join(
        x for x in (action, f"操作人 by {login}" if login else "", f"单据 on {doc_no}" if doc_no is not _ANY else "")
        if x)
    _, rows = _audit_rows(crm, action, user, doc_no, after)
    if len(rows):
        fail(label, "没有记录 (no entry)", f"{len(rows)} 条记录 (entries)，第一条在 (at) {rows['at'].iloc[0]}", hint)



def row(crm, table: str, label: str | None = None, hint: str | None = None, **fields) -> dict:
    """The (last) row of a table (``users``, ``home_schemes``, ``knowledge_types``, ``service_levels``,
    ``questions``, ``question_options``, ``contacts``, ``sales_methods`` …) whose columns match
    ``fields``; returns it as a dict.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> row(crm, "service_levels", code="SL01", name="金牌")["term_months"]
    12
    >>> try:
    ...     row(crm, "service_levels", code="SL03")
    ... except AssertionError as err:
    ...     print(err)
    ✗ service_levels code='SL03'
      应为 expected: 有这样一行 (a row)
      实际 got:      2 行，没有一行相符 (none matching; code: SL01, SL02)
    """
    label = label or f"{table} {_describe_fields(fields)}".strip()
    try:
        frame = crm.table(table)
    except KeyError:
        fail(label, "数据库中的一张表 (a table of the schema)", repr(table), hint)
    for k in fields:
        if k not in frame.columns:
            fail(label, f"有一列 (a column) {k!r}", f"列 (columns) {list(frame.columns)}", hint)
    keep = [all(_same(r[k], v) for k, v in fields.items()) for r in frame.to_dict("records")]
    rows = frame[keep]
    if rows.empty:
        key = next(iter(fields), None)
        seen = ", ".join(map(str, frame[key].tolist()[:8])) if key is not None and len(frame) else "—"
        fail(label, "有这样一行 (a row)",
                   f"{len(frame)} 行，没有一行相符 (none matching; {key}: {seen})" if key else "没有行 (no rows)", hint)
    return rows.iloc[-1].to_dict()



def stages(crm, opp, stages, *, closed: bool | None = None, label: str | None = None,
                  hint: str | None = None) -> pd.DataFrame:
    """Check the 销售阶段 tab of ``opp``: the stages entered, in order (codes or 中文 names).

    ``closed=True`` also requires every listed stage row to be closed (阶段已结束). Returns the tab
    (:meth:`crmlab.system.CRM.stages`).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> out = system.demo.full_flow(crm, "甲公司")
    >>> stages(crm, out["opportunity"], ["了解情况", "预研阶段", "制作方案", "投标阶段", "签约阶段"],
    ...               closed=True)["n_task"].tolist()
    [0, 1, 0, 0, 0]
    >>> try:
    ...     stages(crm, out["opportunity"], ["了解情况", "制作方案"])
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ SJ000001 的销售阶段 (stages)
    """
    label = label or f"{opp} 的销售阶段 (stages)"
    d = _doc(crm, opp)
    if d is None or d.get("doc_type") != "opportunity":
        fail(label, _AN_OPP, repr(opp) if opp is not None else None,
                   hint or "把 convert_lead() 返回的商机编号存进变量：opp = zs.convert_lead(...) (store the number)。")
    try:
        meth = crm.method(int(d["method_id"]))
        want = [meth.code(s) for s in stages]
    except CRMLabError as err:          # a NotFound of the engine or an UnknownLabel of the method
        fail(label, "销售方法中的阶段名称 (stage names of the method)", str(err), hint)
    tab = crm.stages(opp)
    got = tab["stage"].tolist()
    if got != want:
        fail(label, want, got, hint)
    if closed and not tab["closed"].all():
        open_rows = tab.loc[~tab["closed"].astype(bool), "stage"].tolist()
        fail(f"{label}: 已结束 closed rows", "每个阶段都已结束 (every stage row closed)",
                   f"仍未结束 (still open): {open_rows}", hint)
    return tab



def evaluations(crm, opp, results, evaluators=None, label: str | None = None,
                       hint: str | None = None) -> pd.DataFrame:
    """Check the evaluation rounds of ``opp``: results in order (``forward``/``reject``/``pass``/
    ``fail`` or the four Kingdee labels) and, optionally, who evaluated each round.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> out = system.demo.full_flow(crm, "甲公司")
    >>> evaluations(crm, out["opportunity"], ["通过，转下一评估人", "通过，评估结束"],
    ...                    evaluators=["李经理", "wangzong"])["round"].tolist()
    [1, 2]
    """
    label = label or f"{opp} 的评估记录 (evaluation rounds)"
    d = _doc(crm, opp)
    if d is None or d.get("doc_type") != "opportunity":
        fail(label, _AN_OPP, repr(opp) if opp is not None else None,
                   hint or "把 convert_lead() 返回的商机编号存进变量 (store the number convert_lead() returned)。")
    want = []
    for r in results:
        code = glossary.EVALUATION_RESULT.get(r)
        if code is None:
            fail(f"{label}: 评估结果 result", f"其中之一 (one of) {list(_EVALUATION_LABELS)}", repr(r))
        want.append(code)
    rounds = crm.evaluations(opp)
    got = [x if isinstance(x, str) else None for x in rounds["result"]]
    if got != want:
        fail(label, [_EVALUATION_LABELS[w] for w in want],
                   [_EVALUATION_LABELS.get(g, "(pending 待评估)") for g in got], hint)
    if evaluators is not None:
        want_ev = [_login(crm, u) for u in evaluators]
        got_ev = rounds["evaluator"].tolist()
        if got_ev != want_ev:
            fail(f"{label}: 评估人 evaluators", want_ev, got_ev, hint)
    return rounds



def line_items(crm, no, expected, label: str | None = None, kind: str = "item", hint: str | None = None) -> None:
    """Check the lines (分录) of a document: ``expected`` is ``[(product code, qty, price), …]``
    in line order (``kind="part"`` for the parts of a handling record, price ignored if None).

    >>> from crmlab import system
    >>> from crmlab.system import scenario
    >>> crm = system.open(":memory:", demo=True)
    >>> nos = scenario.until(crm, "won")
    >>> line_items(crm, nos["quote"], [("R740", 2, 48_000), ("FW-3000", 1, 36_000)], "报价分录 quote lines")
    """
    label = label or f"{no!r} 的分录 (lines)"
    _number(no, label, hint)
    got = crm.lines(no, kind)
    have = [(p, float(q), float(pr)) for p, q, pr in zip(got["product"], got["qty"], got["price"])]
    want = [(p, float(q), None if pr is None else float(pr)) for p, q, pr in expected]
    if len(have) != len(want):
        fail(label, f"{len(want)} 行 (lines)", f"{len(have)} 行 (lines)", hint)
    for i, (h, w) in enumerate(zip(have, want), start=1):
        if h[0] != w[0] or abs(h[1] - w[1]) > 1e-9 or (w[2] is not None and abs(h[2] - w[2]) > 0.005):
            shown = (w[0], w[1]) if w[2] is None else w
            fail(f"{label}，第{i}行 line {i}", f"{shown} (产品 product, 数量 qty, 单价 price)", h, hint)



def approvals(crm, no, approvers, label: str | None = None, hint: str | None = None) -> None:
    """Check the last round of a multi-level audit (多级审核): the levels were approved by
    ``approvers`` (logins) in this order, and the document is audited.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> zs, lj, wz = crm.login("zhangsan"), crm.login("lijingli"), crm.login("wangzong")
    >>> pl = zs.new_price_list("KH000001", [("R740", 1, 46_000)])
    >>> _ = zs.enable_multi_audit(pl, ["lijingli", "wangzong"]), lj.approve(pl), wz.approve(pl)
    >>> approvals(crm, pl, ["lijingli", "wangzong"], "price list 价目表")
    """
    label = label or f"{no!r} 的多级审核 (multi-level audit)"
    status(crm, no, "audited", label, hint)
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
        fail(label, f"各级审核人 {want} (级别, 审核人) (levels approved by: level, approver)",
                   got or "未启用多级审核 (no multi-level audit)", hint)



def payment_plan(crm, contract, shares, due, label: str | None = None, hint: str | None = None) -> None:
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
    label = label or f"{contract!r} 的收款计划 (payment plan)"
    d = document(crm, contract, "contract", label, hint)
    plan = crm.lines(contract, "payment")
    if len(plan) != len(shares):
        fail(label, f"{len(shares)} 期 (instalments)", f"{len(plan)} 期 (instalments)", hint)
    day0 = pd.Timestamp(d["created_at"]).date()
    total = float(d["total"])
    for i, (amount, got, share, k) in enumerate(zip(plan["amount"], plan["due_date"], shares, due), start=1):
        if abs(float(amount) - total * share) > 0.05:
            fail(f"{label}，第{i}期 instalment {i}", f"{total:,.2f} 的 {share:.0%} = {total * share:,.2f}",
                       f"{float(amount):,.2f}", hint)
        if isinstance(k, (int, float)):
            want = day0 + dt.timedelta(days=int(k))
            shown = f"{want}（{day0} 之后 {k} 天 days after）"
        else:
            want = pd.Timestamp(k).date()
            shown = str(want)
        got = pd.Timestamp(got).date() if got is not None and not pd.isna(got) else None
        if got != want:
            fail(f"{label}，第{i}期日期 instalment {i} due", shown, got, hint)



def value_model(crm, model_name, label: str = "价值模型 value model", hint: str | None = None) -> dict:
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
        fail(label, f"已保存的价值模型 {model_name!r} (a saved value model of that name)", "无此模型 (no such model)",
                   hint)
    return rows.iloc[0].to_dict()



def _number(no, label, hint) -> None:
    """Fail with 还没有作答 for None, or when ``no`` is not a document number (a str)."""
    if no is None:
        unanswered(label, no)
    if not isinstance(no, str):
        fail(label, _A_NUMBER, repr(no), hint or _KEEP_NO)




@functools.lru_cache(maxsize=4)
def reference_crm(seed: int, n: int = 12, step: str = "contract"):
    """A fresh CRM with a seeded history (:func:`scenario.populate` from 2022-03-01) and the
    scenario up to ``step``, built once per process: hidden tests call the student's functions on
    it. Treat it as read-only.

    >>> crm = reference_crm(5, n=4, step="won")
    >>> crm is reference_crm(5, n=4, step="won"), len(crm.opportunities())
    (True, 5)
    """
    from crmlab.system import engine, scenario
    crm = engine.open(":memory:", demo=True, clock="2022-03-01 09:00")
    scenario.populate(crm, n=n, seed=seed)
    scenario.until(crm, step)
    return crm


# --------------------------------------------------------------------------------------------
# checks merged from the two former vocabularies
# --------------------------------------------------------------------------------------------
def document(crm, no, doc_type, label: str | None = None, hint: str | None = None) -> dict:
    """Check that ``no`` — the number an action returned — is an existing document of ``doc_type``
    (a code or a Kingdee name: 销售合同, 客户 …); return it as :meth:`crmlab.system.CRM.doc` gives it.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> document(crm, "KH000001", "客户", "客户 customer")["name"]
    '华东电网科技'
    >>> try:
    ...     document(crm, "HT000009", "contract", "合同 contract")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 合同 contract
      应为 expected: 一张已有的销售合同 (an existing contract)
      实际 got:      'HT000009'（数据库中没有 not in the database）
    """
    code = _type(doc_type)
    zh = lc.DOC_TYPES[code].zh
    label = label or f"{zh} {code}"
    if no is None:
        unanswered(label, no)
    if not isinstance(no, str):
        fail(label, f"单据编号，如 (a document number such as) '{lc.DOC_TYPES[code].prefix}000001'",
                   f"{no!r} ({type(no).__name__})", hint or _KEEP_NO)
    d = _doc(crm, no)
    if d is None:
        fail(label, f"一张已有的{zh} (an existing {code})", f"{no!r}{_NOT_IN_DB}", hint)
    got = d.get("doc_type", "customer")
    if got != code:
        fail(label, f"一张{zh} (a {code})", f"{no!r} 是一张{lc.DOC_TYPES[got].zh} (a {got})", hint)
    return d


def status(crm, no, status, label: str | None = None, hint: str | None = None) -> None:
    """Check that document (or customer) ``no`` exists and is in ``status`` — a code, a Kingdee label
    (``"已审核"``) or a list of allowed ones.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> status(crm, "KH000001", "已审核")
    >>> try:
    ...     status(crm, None, "执行中", "商机 the opportunity")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 商机 the opportunity
      还没有作答 (not answered yet): 答案仍是 None。写好答案后，先运行答题单元格，再运行本测试。
      (Write your answer, run its cell, then run this test.)
    """
    label = label or f"单据 document {no!r}"
    _number(no, label, hint)
    d = _doc(crm, no)
    if d is None:
        fail(label, "一张已有的单据 (an existing document)", f"{no!r}{_NOT_IN_DB}",
                   hint or "把操作返回的单据编号存进变量，例如 opp = zs.convert_lead(...) (store the number the action returned)。")
    kind = d.get("doc_type", "customer")
    wanted = [status] if isinstance(status, str) else list(status)
    codes = [_status(w, kind) for w in wanted]
    if d["status"] not in codes:
        fail(f"{label} {d['no']}" if d["no"] not in label else label,
                   " 或 (or) ".join(f"状态 {_status_label(c)} (status)" for c in codes),
                   f"状态 {_status_label(d['status'])} (status)", hint)


def linked(crm, src, dst=_ANY, label: str | None = None, *, dst_type=None, relation: str | None = None,
           hint: str | None = None) -> str:
    """Check a link 源单 ``src`` → ``dst`` (or → some document of ``dst_type``); returns the target number.

    ``relation``: ``convert`` (线索 → 商机), ``source`` (商机 → 活动/任务/报价/样品, 合同 → 项目),
    ``push_down`` (下推), ``dispatch``, ``handle`` — see :func:`crmlab.system.push_down_table`.
    The target must also name ``src`` as its 源单 (``src_no``). A ``dst`` given as ``None`` (an
    unanswered exercise) fails.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> zs = crm.login("zhangsan")
    >>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
    >>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    >>> linked(crm, lead, dst_type="商机", relation="convert")
    'SJ000001'
    >>> try:
    ...     linked(crm, opp, dst_type="报价单")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 关联 link SJ000001 → CRM销售报价单 quote
      应为 expected: 单据关联表中有这条关联 (a link in doc_links)
      实际 got:      关联到 (links to): 无 none
    """
    tgt_type = _type(dst_type) if dst_type is not None else None
    shown = dst if dst is not _ANY else _type_label(tgt_type) if tgt_type else "?"
    label = label or f"关联 link {src} → {shown}"
    if dst is not _ANY:
        _number(dst, label, hint)
    _number(src, label, hint)
    if _doc(crm, src) is None:
        fail(label, "一个源单编号 (a source document number)", f"{src!r}{_NOT_IN_DB}", hint or _KEEP_NO)
    links = crm.links(src)
    out = links[links["src_no"] == str(src)]
    got = ", ".join(f"{r.dst_no} ({r.relation})" for r in out.itertuples()) or "无 none"
    if dst is not _ANY:
        out = out[out["dst_no"] == str(dst)]
    if tgt_type is not None:
        out = out[out["dst_type"] == tgt_type]
    if relation is not None:
        out = out[out["relation"] == relation]
    if out.empty and dst is not _ANY:
        made_from = crm.links(dst)
        made_from = made_from[made_from["dst_no"] == str(dst)]["src_no"].tolist()
        fail(label, f"{dst} 由 {src} 生成 (made from {src}" + (f", {relation})" if relation else ")"),
                   f"{dst} 的源单 (made from): {made_from or '无源单 nothing'}", hint)
    if out.empty:
        fail(label, "单据关联表中有这条关联 (a link in doc_links"
                   + (f" with relation {relation!r})" if relation else ")"),
                   f"关联到 (links to): {got}", hint)
    target = out["dst_no"].iloc[-1]
    d = _doc(crm, target)
    if d is None or d.get("src_no") != str(src):
        fail(f"{label}: {target} 的源单编号 (source number)", repr(str(src)), repr(d and d.get("src_no")), hint)
    return target


def refused(err, kind=Exception, code=None, label: str = "系统拒绝 the refusal", hint: str | None = None) -> None:
    """Check that a captured refusal is the one the step should produce: ``err`` is the exception
    (of ``kind``, a class or tuple, with ``code``) or the code it carried (``err.code``, a str).

    A notebook captures a refusal like this::

        refused = None
        try:
            zs.save_home_scheme("默认方案", ["消息"])
        except system.PermissionDenied as e:
            refused = e

    ``code`` is one code or a tuple of accepted codes (``"ROLE_FORBIDDEN"``, ``"CONDITION_NOT_MET"`` …).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> try:
    ...     crm.login("zhangsan").save_home_scheme("默认方案", ["消息"])
    ... except system.PermissionDenied as e:
    ...     denied = e
    >>> refused(denied, system.PermissionDenied, "ROLE_FORBIDDEN")
    >>> refused("READ_ONLY", code="READ_ONLY", label="修改已审核价目表 edit an audited price list")
    >>> try:
    ...     refused(None, system.PermissionDenied)
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ 系统拒绝 the refusal
    """
    codes = None if code is None else (code,) if isinstance(code, str) else tuple(code)
    if isinstance(err, str) and codes is not None:      # the code the student kept (err.code)
        if err not in codes:
            fail(f"{label}: 错误代码 error code", " 或 (or) ".join(codes), repr(err), hint)
        return
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = " or ".join(k.__name__ for k in kinds)
    if err is None:
        fail(label, f"系统报出的错误 (a {names})", None, hint or "在 try/except 中尝试这一步，并保存错误：`except "
                   "system.PermissionDenied as e: refused = e` (try the forbidden step and store the error)。")
    if not isinstance(err, kinds):
        fail(label, f"系统报出的错误 (a {names})", f"{type(err).__name__}: {str(err)[:120]}", hint)
    if codes is not None:
        got = getattr(err, "code", None)
        if got not in codes:
            fail(f"{label}: 错误代码 error code", " 或 (or) ".join(codes), repr(got), hint)


def consistent(crm, label: str = "数据一致性 database consistency", hint: str | None = None) -> None:
    """Check :meth:`crmlab.system.CRM.check_invariants` finds no problem (totals = Σ lines, links,
    statuses) and the audit log is as the CRM wrote it (:meth:`~crmlab.system.CRM.audit_chain_problems`:
    no row edited by hand).

    >>> from crmlab import system
    >>> consistent(system.open(":memory:", demo=True))
    """
    problems = crm.check_invariants() + crm.audit_chain_problems()
    if problems:
        fail(label, "没有问题 (no problems)",
                   f"{len(problems)} 个问题 (problems): " + "; ".join(problems[:3]) + (" …" if len(problems) > 3 else ""),
                   hint or "只用系统的操作修改数据，不要直接改表 (change data through the actions only)。")




for _name in __all__:
    if _name != "reference_crm":      # a passing check counts, so a test cell whose checks all pass prints one ✓ line
        globals()[_name] = _count(globals()[_name])
del _name
