"""Graders' checks on the database state of the simulated CRM (lab 04_system).

The textbook grades learning situation 4 by **process screenshots** (技能训练: 实训作品截屏, one per
stage). crmlab grades the same steps by reading the database a student's code has changed: the
documents, their statuses and fields, the links between them (源单/下推), the audit log (who did what,
when) and the invariants. Each helper here either returns what it found — a document number, a row
of a base-data table, an audit-log entry — or raises :class:`crmlab.check.CheckFailed` (an
``AssertionError``) whose message says, Chinese first with an English gloss, what is missing and what
was found instead, with a hint. It never lets a ``NotFound`` or ``KeyError`` escape: a missing step, a student's
``None`` or a wrong number all fail the same, readable way.

* :func:`expect_document` — a document (or customer) of a type, in a status, with some fields;
* :func:`expect_status`, :func:`expect_fields` — one known document;
* :func:`expect_link`, :func:`expect_lineage` — 源单 → 目标单据 links (conversion, push-down, source);
* :func:`expect_audit`, :func:`expect_no_audit` — entries of the audit log (by the right user);
* :func:`expect_refused` — a captured exception is the refusal the step should produce;
* :func:`expect_row` — a row of a base-data table (users, home schemes, knowledge types …);
* :func:`expect_stages`, :func:`expect_evaluations` — an opportunity's 销售阶段 and 评估 tabs;
* :func:`expect_invariants` — :meth:`crmlab.system.CRM.check_invariants` is empty.

Statuses, document types, stages and evaluation results may be given as codes or as the Kingdee
labels (``"已审核"``, ``"商机"``, ``"了解情况"``, ``"通过，评估结束"``).

Example
-------
>>> from crmlab import system
>>> from crmlab.system import checks
>>> crm = system.open(":memory:", demo=True)
>>> zs = crm.login("zhangsan")
>>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
>>> checks.expect_document(crm, "线索", status="已保存", subject="服务器购买意愿")
'XS000001'
>>> try:
...     checks.expect_document(crm, "商机", subject="服务器购买意愿", hint="先把线索【转化】为商机 (convert the lead)。")
... except AssertionError as err:
...     print(err)
✗ 商机 opportunity subject='服务器购买意愿'
  应为 expected: 数据库中有这样的单据 (a document in the database)
  实际 got:      一张商机都没有 (no 商机 at all)
  提示 hint: 先把线索【转化】为商机 (convert the lead)。
"""
from __future__ import annotations

import math

import pandas as pd

from crmlab import check, glossary
from crmlab.errors import CRMLabError

from . import lifecycle as lc
from .errors import CRMError

__all__ = ["expect_document", "expect_status", "expect_fields", "expect_link", "expect_lineage", "expect_audit",
           "expect_no_audit", "expect_refused", "expect_row", "expect_stages", "expect_evaluations",
           "expect_invariants"]

_A_NUMBER = "一个单据编号 (a document number)"
_AN_OPP = "一个商机编号 (an opportunity number)"
_KEEP_NO = "把操作返回的单据编号存进变量 (store the number the action returned)。"

# evaluation results: the one table crmlab.glossary.EVALUATION_RESULT (also read by crmlab.system)
_EVALUATION_LABELS = {code: entry[0] for code, entry in glossary.EVALUATION_RESULT.items()}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _type(doc_type) -> str:
    try:
        return lc.doc_type_code(doc_type)
    except CRMError:
        check.fail("单据类型 document type", f"其中之一 (one of) {list(lc.DOC_TYPES)}", repr(doc_type))


def _type_label(code: str) -> str:
    return f"{lc.DOC_TYPES[code].zh} {code}" if code in lc.DOC_TYPES else code


def _status(label, doc_type: str | None = None) -> str:
    try:
        return lc.status_code(label, doc_type)
    except CRMError:
        check.fail("状态 status", f"其中之一 (one of) {sorted(lc.STATUS_LABELS)}", repr(label))


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


# --------------------------------------------------------------------------------------------
# documents
# --------------------------------------------------------------------------------------------
def expect_document(crm, doc_type, status=None, *, owner=None, label: str | None = None, hint: str | None = None,
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
    >>> expect_document(crm, "竞争对手", subject="启明网安", industry="网络安全", owner="张三")
    'JZDS000001'
    >>> try:
    ...     expect_document(crm, "competitor", status="已审核", subject="启明网安", hint="请以李经理身份审核 (audit it as 李经理)。")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 竞争对手 competitor subject='启明网安'
      应为 expected: 状态 已审核 audited (status)
      实际 got:      JZDS000001 的状态是 已保存 saved (in status)
      提示 hint: 请以李经理身份审核 (audit it as 李经理)。
    >>> expect_document(crm, "customer", status="audited", name="华东电网科技", is_trading=True)
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
        check.fail(label, "数据库中有这样的单据 (a document in the database)",
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
        check.fail(label, "字段相符的单据 (a document with these fields)"
                   + (f"，负责人 {owner_login} (owned by {owner_login})" if owner_login else ""),
                   f"{len(candidates)} 张{lc.DOC_TYPES[code].zh}，没有一张相符 (none matching; {near})", hint)
    good = [d for d in matching if want is None or d["status"] == want]
    if not good:
        found = "，".join(f"{d['no']} 的状态是 {_status_label(d['status'])}" for d in matching[-3:])
        check.fail(label, f"状态 {_status_label(want)} (status)", found + " (in status)", hint)
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


def expect_status(crm, no, status, label: str | None = None, hint: str | None = None) -> str:
    """Check that document (or customer) ``no`` exists and is in ``status`` (code or 中文); returns ``no``.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> expect_status(crm, "KH000001", "已审核")
    'KH000001'
    >>> try:
    ...     expect_status(crm, None, "执行中", "商机 the opportunity")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 商机 the opportunity
      应为 expected: 一个单据编号 (a document number)
      实际 got:      None
      提示 hint: 把操作返回的单据编号存进变量，例如 opp = zs.convert_lead(...) (store the number the action returned)。
    """
    label = label or f"单据 document {no!r}"
    d = _doc(crm, no)
    if d is None:
        check.fail(label, _A_NUMBER, repr(no) if no is not None else None,
                   hint or "把操作返回的单据编号存进变量，例如 opp = zs.convert_lead(...) (store the number the action returned)。")
    want = _status(status, d.get("doc_type", "customer"))
    if d["status"] != want:
        check.fail(f"{label} {d['no']}", f"状态 {_status_label(want)} (status)", f"状态 {_status_label(d['status'])} (status)",
                   hint)
    return d["no"]


def expect_fields(crm, no, label: str | None = None, hint: str | None = None, **fields) -> dict:
    """Check fields of one document (as :func:`expect_document` compares them); returns the document.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> expect_fields(crm, "KH000001", name="华东电网科技", industry="能源")["region"]
    '华东'
    """
    label = label or f"单据 document {no!r}"
    d = _doc(crm, no)
    if d is None:
        check.fail(label, _A_NUMBER, repr(no) if no is not None else None, hint or _KEEP_NO)
    for k, v in fields.items():
        if k not in d:
            check.fail(f"{label} {d['no']}: 字段 field {k}", repr(v), "没有这个字段 (no such field)", hint)
        if not _same(d[k], v):
            check.fail(f"{label} {d['no']}: {k}", repr(v), repr(d[k]), hint)
    return d


# --------------------------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------------------------
def expect_link(crm, src, dst=None, *, dst_type=None, relation: str | None = None, label: str | None = None,
                hint: str | None = None) -> str:
    """Check a link 源单 ``src`` → ``dst`` (or → some document of ``dst_type``); returns the target number.

    ``relation``: ``convert`` (线索 → 商机), ``source`` (商机 → 活动/任务/报价/样品, 合同 → 项目),
    ``push_down`` (下推), ``dispatch``, ``handle`` — see :func:`crmlab.system.push_down_table`.
    The target must also name ``src`` as its 源单 (``src_no``).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> zs = crm.login("zhangsan")
    >>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
    >>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    >>> expect_link(crm, lead, dst_type="商机", relation="convert")
    'SJ000001'
    >>> try:
    ...     expect_link(crm, opp, dst_type="报价单")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 关联 link SJ000001 → CRM销售报价单 quote
      应为 expected: 单据关联表中有这条关联 (a link in doc_links)
      实际 got:      关联到 (links to): 无 none
    """
    tgt_type = _type(dst_type) if dst_type is not None else None
    label = label or f"关联 link {src} → {dst if dst is not None else _type_label(tgt_type) if tgt_type else '?'}"
    if _doc(crm, src) is None:
        check.fail(label, "一个源单编号 (a source document number)", repr(src) if src is not None else None,
                   hint or _KEEP_NO)
    links = crm.links(src)
    out = links[links["src_no"] == str(src)]
    got = ", ".join(f"{r.dst_no} ({r.relation})" for r in out.itertuples()) or "无 none"
    if dst is not None:
        out = out[out["dst_no"] == str(dst)]
    if tgt_type is not None:
        out = out[out["dst_type"] == tgt_type]
    if relation is not None:
        out = out[out["relation"] == relation]
    if out.empty:
        check.fail(label, "单据关联表中有这条关联 (a link in doc_links"
                   + (f" with relation {relation!r})" if relation else ")"),
                   f"关联到 (links to): {got}", hint)
    target = out["dst_no"].iloc[-1]
    d = _doc(crm, target)
    if d is None or d.get("src_no") != str(src):
        check.fail(f"{label}: {target} 的源单编号 (source number)", repr(str(src)), repr(d and d.get("src_no")), hint)
    return target


def expect_lineage(crm, no, chain, label: str | None = None, hint: str | None = None) -> list:
    """Check the chain of source documents of ``no`` (oldest first, ending with ``no``).

    ``chain`` lists numbers or document types (``["lead", "opportunity"]`` or ``["线索", "商机"]``).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> zs = crm.login("zhangsan")
    >>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
    >>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    >>> expect_lineage(crm, opp, ["线索", "商机"])
    ['XS000001', 'SJ000001']
    """
    label = label or f"{no!r} 的单据链 (lineage)"
    if _doc(crm, no) is None:
        check.fail(label, _A_NUMBER, repr(no) if no is not None else None, hint or _KEEP_NO)
    got = crm.lineage(no)
    types = [crm.doc(x)["doc_type"] for x in got]
    want = list(chain)
    ok = len(want) == len(got) and all(w == g or _maybe_type(w) == t for w, g, t in zip(want, got, types))
    if not ok:
        check.fail(label, " → ".join(map(str, want)), " → ".join(f"{g} ({t})" for g, t in zip(got, types)), hint)
    return got


def _maybe_type(label):
    try:
        return lc.doc_type_code(label)
    except CRMError:
        return None


# --------------------------------------------------------------------------------------------
# the audit log
# --------------------------------------------------------------------------------------------
def _audit_rows(crm, action, user, doc_no, after):
    log = crm.audit_log()
    rows = log[log["action"] == action] if action is not None else log
    if user is not None:
        rows = rows[rows["user_login"] == _login(crm, user)]
    if doc_no is not None:
        rows = rows[rows["doc_no"] == str(doc_no)]
    if after:
        keep = [isinstance(a, dict) and all(k in a and _same(a[k], v) for k, v in after.items())
                for a in rows["after"]]
        rows = rows[keep]
    return log, rows


def expect_audit(crm, action: str, *, user=None, doc_no=None, count: int | None = None, at_least: int = 1,
                 label: str | None = None, hint: str | None = None, **after) -> dict:
    """An entry of the audit log: ``action`` done by ``user`` (login or name) on ``doc_no``.

    Extra keywords must match the entry's ``after`` values (useful for base data without a
    number, e.g. ``code="K04"``). ``count`` asks for exactly that many entries, ``at_least`` for
    a minimum. Returns the last matching entry as a dict (``at``, ``user_login``, ``role``,
    ``from_status``, ``to_status``, ``before``, ``after`` …).

    Some actions write two entries (an opportunity's header and its tab); count them with care.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> crm.login("admin").add_knowledge_type("K04", "竞争情报")
    'K04'
    >>> expect_audit(crm, "add_knowledge_type", user="Administrator", code="K04")["role"]
    'admin'
    >>> try:
    ...     expect_audit(crm, "add_knowledge_type", user="zhangsan")
    ... except AssertionError as err:
    ...     print(err)
    ✗ 审计日志 audit log: add_knowledge_type 操作人 by zhangsan
      应为 expected: 至少 1 条记录 (at least 1 entry)
      实际 got:      0 条；做这个操作的是 (done by): admin
    """
    login = _login(crm, user)
    label = label or "审计日志 audit log: " + " ".join(
        x for x in (action, f"操作人 by {login}" if login else "", f"单据 on {doc_no}" if doc_no is not None else "",
                    _describe_fields(after)) if x)
    log, rows = _audit_rows(crm, action, user, doc_no, after)
    n = len(rows)
    if (count is not None and n != count) or n < at_least:
        others = log[log["action"] == action]
        if doc_no is not None:
            others = others[others["doc_no"] == str(doc_no)]
        who = ", ".join(sorted(set(others["user_login"]))) or "无人 nobody"
        want = (f"恰好 {count} 条记录 (exactly {count} entries)" if count is not None
                else f"至少 {at_least} 条记录 (at least {at_least} entr{'y' if at_least == 1 else 'ies'})")
        check.fail(label, want, f"{n} 条；做这个操作的是 (done by): {who}", hint)
    return rows.iloc[-1].to_dict() if n else {}


def expect_no_audit(crm, action: str, *, user=None, doc_no=None, label: str | None = None, hint: str | None = None,
                    **after) -> None:
    """Check that the audit log has **no** such entry (a refused action changes nothing and logs nothing).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> expect_no_audit(crm, "save_home_scheme", user="zhangsan")
    """
    login = _login(crm, user)
    label = label or "审计日志 audit log: 不应有 (no) " + " ".join(
        x for x in (action, f"操作人 by {login}" if login else "", f"单据 on {doc_no}" if doc_no is not None else "")
        if x)
    _, rows = _audit_rows(crm, action, user, doc_no, after)
    if len(rows):
        check.fail(label, "没有记录 (no entry)", f"{len(rows)} 条记录 (entries)，第一条在 (at) {rows['at'].iloc[0]}", hint)


# --------------------------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------------------------
def expect_refused(err, kind=Exception, code=None, label: str = "系统拒绝 the refusal", hint: str | None = None) -> None:
    """Check that a captured exception ``err`` is of ``kind`` (a class or tuple) with ``code``.

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
    ...     refused = e
    >>> expect_refused(refused, system.PermissionDenied, "ROLE_FORBIDDEN")
    >>> try:
    ...     expect_refused(None, system.PermissionDenied)
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ 系统拒绝 the refusal
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = " or ".join(k.__name__ for k in kinds)
    if err is None:
        check.fail(label, f"系统报出的错误 (a {names})", None, hint or "在 try/except 中尝试这一步，并保存错误：`except "
                   "system.PermissionDenied as e: refused = e` (try the forbidden step and store the error)。")
    if not isinstance(err, kinds):
        check.fail(label, f"系统报出的错误 (a {names})", f"{type(err).__name__}: {str(err)[:120]}", hint)
    if code is not None:
        codes = (code,) if isinstance(code, str) else tuple(code)
        got = getattr(err, "code", None)
        if got not in codes:
            check.fail(f"{label}: 错误代码 error code", " 或 (or) ".join(codes), repr(got), hint)


# --------------------------------------------------------------------------------------------
# base data and tabs
# --------------------------------------------------------------------------------------------
def expect_row(crm, table: str, label: str | None = None, hint: str | None = None, **fields) -> dict:
    """The (last) row of a table (``users``, ``home_schemes``, ``knowledge_types``, ``service_levels``,
    ``questions``, ``question_options``, ``contacts``, ``sales_methods`` …) whose columns match
    ``fields``; returns it as a dict.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> expect_row(crm, "service_levels", code="SL01", name="金牌")["term_months"]
    12
    >>> try:
    ...     expect_row(crm, "service_levels", code="SL03")
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
        check.fail(label, "数据库中的一张表 (a table of the schema)", repr(table), hint)
    for k in fields:
        if k not in frame.columns:
            check.fail(label, f"有一列 (a column) {k!r}", f"列 (columns) {list(frame.columns)}", hint)
    keep = [all(_same(r[k], v) for k, v in fields.items()) for r in frame.to_dict("records")]
    rows = frame[keep]
    if rows.empty:
        key = next(iter(fields), None)
        seen = ", ".join(map(str, frame[key].tolist()[:8])) if key is not None and len(frame) else "—"
        check.fail(label, "有这样一行 (a row)",
                   f"{len(frame)} 行，没有一行相符 (none matching; {key}: {seen})" if key else "没有行 (no rows)", hint)
    return rows.iloc[-1].to_dict()


def expect_stages(crm, opp, stages, *, closed: bool | None = None, label: str | None = None,
                  hint: str | None = None) -> pd.DataFrame:
    """Check the 销售阶段 tab of ``opp``: the stages entered, in order (codes or 中文 names).

    ``closed=True`` also requires every listed stage row to be closed (阶段已结束). Returns the tab
    (:meth:`crmlab.system.CRM.stages`).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> out = system.demo.full_flow(crm, "甲公司")
    >>> expect_stages(crm, out["opportunity"], ["了解情况", "预研阶段", "制作方案", "投标阶段", "签约阶段"],
    ...               closed=True)["n_task"].tolist()
    [0, 1, 0, 0, 0]
    >>> try:
    ...     expect_stages(crm, out["opportunity"], ["了解情况", "制作方案"])
    ... except AssertionError as err:
    ...     print(str(err).splitlines()[0])
    ✗ SJ000001 的销售阶段 (stages)
    """
    label = label or f"{opp} 的销售阶段 (stages)"
    d = _doc(crm, opp)
    if d is None or d.get("doc_type") != "opportunity":
        check.fail(label, _AN_OPP, repr(opp) if opp is not None else None,
                   hint or "把 convert_lead() 返回的商机编号存进变量：opp = zs.convert_lead(...) (store the number)。")
    try:
        meth = crm.method(int(d["method_id"]))
        want = [meth.code(s) for s in stages]
    except CRMLabError as err:          # a NotFound of the engine or an UnknownLabel of the method
        check.fail(label, "销售方法中的阶段名称 (stage names of the method)", str(err), hint)
    tab = crm.stages(opp)
    got = tab["stage"].tolist()
    if got != want:
        check.fail(label, want, got, hint)
    if closed and not tab["closed"].all():
        open_rows = tab.loc[~tab["closed"].astype(bool), "stage"].tolist()
        check.fail(f"{label}: 已结束 closed rows", "每个阶段都已结束 (every stage row closed)",
                   f"仍未结束 (still open): {open_rows}", hint)
    return tab


def expect_evaluations(crm, opp, results, evaluators=None, label: str | None = None,
                       hint: str | None = None) -> pd.DataFrame:
    """Check the evaluation rounds of ``opp``: results in order (``forward``/``reject``/``pass``/
    ``fail`` or the four Kingdee labels) and, optionally, who evaluated each round.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> out = system.demo.full_flow(crm, "甲公司")
    >>> expect_evaluations(crm, out["opportunity"], ["通过，转下一评估人", "通过，评估结束"],
    ...                    evaluators=["李经理", "wangzong"])["round"].tolist()
    [1, 2]
    """
    label = label or f"{opp} 的评估记录 (evaluation rounds)"
    d = _doc(crm, opp)
    if d is None or d.get("doc_type") != "opportunity":
        check.fail(label, _AN_OPP, repr(opp) if opp is not None else None,
                   hint or "把 convert_lead() 返回的商机编号存进变量 (store the number convert_lead() returned)。")
    want = []
    for r in results:
        code = glossary.EVALUATION_RESULT.get(r)
        if code is None:
            check.fail(f"{label}: 评估结果 result", f"其中之一 (one of) {list(_EVALUATION_LABELS)}", repr(r))
        want.append(code)
    rounds = crm.evaluations(opp)
    got = [x if isinstance(x, str) else None for x in rounds["result"]]
    if got != want:
        check.fail(label, [_EVALUATION_LABELS[w] for w in want],
                   [_EVALUATION_LABELS.get(g, "(pending 待评估)") for g in got], hint)
    if evaluators is not None:
        want_ev = [_login(crm, u) for u in evaluators]
        got_ev = rounds["evaluator"].tolist()
        if got_ev != want_ev:
            check.fail(f"{label}: 评估人 evaluators", want_ev, got_ev, hint)
    return rounds


def expect_invariants(crm, label: str = "数据一致性 database invariants", hint: str | None = None) -> None:
    """Check :meth:`crmlab.system.CRM.check_invariants` finds no problem.

    >>> from crmlab import system
    >>> expect_invariants(system.open(":memory:", demo=True))
    """
    problems = crm.check_invariants()
    if problems:
        check.fail(label, "没有问题 (no problems)", "; ".join(problems[:3]) + (" …" if len(problems) > 3 else ""),
                   hint or "只用系统的操作修改数据，不要直接改表 (change data through the actions only)。")


_counted = check._count        # a passing check counts, so a test cell whose checks all pass prints one ✓ line


for _name in __all__:
    globals()[_name] = _counted(globals()[_name])
del _name
