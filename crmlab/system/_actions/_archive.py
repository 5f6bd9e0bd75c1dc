"""The customer archive at the desk (客户档案, task 5; Kingdee 客户, task 15.1): customers, profiles, contacts,
credit records, card types and the import of a customer table."""
from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import select

from .. import fields
from .. import lifecycle as lc
from .. import models as m
from .._rows import _card_code, _date, _need, _new, _number, _snap
from ..errors import GuardFailed, IllegalTransition, ReadOnly
from ._common import CARD_TRANSITIONS, _DECISION_ALIASES, _add_months, _alias, _versioned


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
