"""Contacts and decision roles, credit reports (动态管理, task 5 §5.2.2 2) and the three customer
data cards (task 5 §5.1.3: prospect / current / former)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.shortcuts import computes
from ._catalogue import DECISION_ROLES
from ._errors import ArchiveError, _amounts, _as_of, _blank_mask, _dates, _need_columns, _short
from ._quality import quality_issues


def decision_role(label) -> str:
    """The role code for a label in English or Chinese.

    >>> from crmlab import archive
    >>> archive.decision_role("决策者"), archive.decision_role("buyer")
    ('decision_maker', 'buyer')
    """
    return DECISION_ROLES.code(label, error=ArchiveError)


def decision_map(contacts: pd.DataFrame, customers: pd.DataFrame | None = None,
                 required: Sequence[str] = ("decision_maker",), customer: str = "customer_id",
                 role: str = "decision_role") -> pd.DataFrame:
    """Per customer: how many contacts in each decision role, and which required roles are missing.

    Task 6's opening case (苏州金龙 lost a 20-bus tender) shows the cost of knowing only a retired
    secretary and a clerk instead of the real decision-makers; task 5's 小本子 case shows the
    value of knowing them. This map is the archive view of that lesson. With ``customers``,
    organisations without any contact are listed too (``n_contacts`` 0).

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> m = archive.decision_map(datasets.load("contacts"))
    >>> m.columns.tolist()[:3]
    ['n_contacts', 'decision_maker', 'buyer']
    >>> int((~m["has_required"]).sum()) >= 0
    True
    """
    _need_columns(contacts, [customer, role], "contacts")
    codes = contacts[role].map(DECISION_ROLES.get)
    bad = codes.isna()
    if bad.any():
        raise ArchiveError("UNKNOWN_ROLE", f"contacts has unknown decision role(s) {_short(contacts.loc[bad, role].unique())}",
                           f"联系人表有未知的决策角色 {_short(contacts.loc[bad, role].unique())}")
    required = [decision_role(r) for r in required]
    table = pd.crosstab(contacts[customer], codes).reindex(columns=list(DECISION_ROLES), fill_value=0)
    if customers is not None:
        _need_columns(customers, [customer], "customers")
        ids = customers[customer]
        if "customer_type" in customers.columns:
            ids = ids[customers["customer_type"].isin(["organisation", "企业客户", "企业", "组织客户"])]
        table = table.reindex(table.index.union(pd.Index(ids.unique())), fill_value=0)
    table.columns.name = None
    table.insert(0, "n_contacts", table.sum(axis=1))
    missing = [[r for r in required if row[r] == 0] for _, row in table.iterrows()]
    table["missing_roles"] = [", ".join(m) for m in missing]
    table["has_required"] = [not m for m in missing]
    table.index.name = customer
    return table


def validate_contacts(contacts: pd.DataFrame, customers: pd.DataFrame | None = None, customer: str = "customer_id",
                      errors: str = "report") -> pd.DataFrame:
    """Check a contacts table: names, decision roles, phones, unique contact ids, known customers.

    Same output as :func:`quality_issues` (one row per problem, English and Chinese), but with
    the rules of a contacts table: many contacts may share a customer, so ``customer_id`` is not
    required to be unique — ``contact_id`` is. With ``customers``, contacts of customers not in
    the archive are flagged (``unknown_customer``). ``errors="raise"`` raises on any problem.

    >>> import pandas as pd
    >>> from crmlab import archive, datasets
    >>> archive.validate_contacts(datasets.load("contacts"), datasets.load("customers")).empty
    True
    >>> bad = pd.DataFrame({"contact_id": ["K1", "K1"], "customer_id": ["C00005", "C99999"], "name": ["李明", ""],
    ...                     "decision_role": ["决策者", "老大"], "phone": ["13800138000", "123"]})
    >>> archive.validate_contacts(bad, datasets.load("customers"))["problem"].tolist()
    ['duplicate_id', 'duplicate_id', 'blank_name', 'unknown_label', 'bad_phone', 'unknown_customer']
    """
    _need_columns(contacts, [customer, "name", "decision_role"], "contacts")
    if errors not in ("raise", "report"):
        raise ArchiveError("BAD_OPTION", "errors must be 'raise' or 'report'", "errors 只能是 'raise' 或 'report'")
    cols = [c for c in ("contact_id", "name", "decision_role", "phone", "birthday") if c in contacts.columns]
    frame = contacts[cols].rename(columns={"contact_id": "customer_id"})    # the id rule: unique, present
    issues = quality_issues(frame)
    issues["column"] = issues["column"].replace({"customer_id": "contact_id"})
    if customers is not None:
        _need_columns(customers, [customer], "customers")
        unknown = ~contacts[customer].isin(customers[customer])
        extra = pd.DataFrame({"row": contacts.index[unknown], "column": customer,
                              "value": contacts.loc[unknown, customer].astype(object).to_numpy(),
                              "problem": "unknown_customer", "en": "customer not in the archive",
                              "zh": "客户不在档案中"})
        issues = pd.concat([issues, extra], ignore_index=True) if len(extra) else issues
    if errors == "raise" and len(issues):
        head = issues.head(5)
        raise ArchiveError("INVALID_CONTACTS", f"{len(issues)} problem(s): " + "; ".join(
            f"row {r.row} {r.column}={r.value!r}: {r.en}" for r in head.itertuples()),
            f"{len(issues)} 个问题：" + "；".join(f"第 {r.row} 行 {r.column}={r.value!r}：{r.zh}" for r in head.itertuples()))
    return issues.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Dynamic management: credit reports (task 5 §5.2.2 2)
# --------------------------------------------------------------------------------------------
#: Task 5 §5.2.2 2 (动态管理): a credit report (资信报告) is valid from 3 months to 1 year; the
#: credit line (授信额度) is normally granted for one year. In days: (90, 365).
CREDIT_VALIDITY_DAYS = (90, 365)

_CREDIT_STATUS_ZH = {"valid": "有效", "review": "待复查", "expired": "过期", "missing": "无资信报告"}


def credit_status(credit: pd.DataFrame, as_of, review_days: int = CREDIT_VALIDITY_DAYS[0],
                  max_days: int = CREDIT_VALIDITY_DAYS[1], customers: pd.DataFrame | None = None,
                  customer: str = "customer_id", date: str = "report_date",
                  valid_until: str | None = "valid_until") -> pd.DataFrame:
    """Flag stale credit reports as of a given date (dynamic management 动态管理).

    Textbook task 5 §5.2.2 2: a credit report is valid **3 months to 1 year**; after that the
    customer must be investigated again. For each customer's latest report:

    * ``expired`` 过期 — older than ``max_days`` (default 365), or past its own ``valid_until``;
    * ``review`` 待复查 — older than ``review_days`` (default 90): inside the book's window, due
      for a check;
    * ``valid`` 有效 — otherwise;
    * ``missing`` 无资信报告 — a customer of ``customers`` with no report at all.

    ``as_of`` is required: the wall clock is never used, so results do not change with the day
    you run them. A report dated after ``as_of`` is an error.

    Parameters
    ----------
    credit : one row per report (``customer_id``, ``report_date``, optional ``valid_until``,
        ``credit_limit``, ``credit_grade`` …); not modified.
    as_of : the date of the check.
    review_days, max_days : the window, in days (0 < review_days ≤ max_days).
    customers : optional; customers without a report are listed as ``missing``.

    Returns
    -------
    DataFrame indexed by customer with the latest report's columns plus ``age_days``, ``status``
    and ``status_zh``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import archive
    >>> credit = pd.DataFrame({"customer_id": ["C1", "C1", "C2", "C3"],
    ...                        "report_date": ["2024-01-10", "2025-05-01", "2025-01-15", "2024-03-01"],
    ...                        "credit_limit": [50_000, 80_000, 20_000, 10_000]})
    >>> archive.credit_status(credit, as_of="2025-06-30")[["report_date", "age_days", "status", "status_zh"]]
                report_date  age_days   status status_zh
    customer_id
    C1           2025-05-01        60    valid        有效
    C2           2025-01-15       166   review       待复查
    C3           2024-03-01       486  expired        过期
    """
    as_of = _as_of(as_of)
    _need_columns(credit, [customer, date], "credit")
    if not (0 < review_days <= max_days):
        raise ArchiveError("BAD_WINDOW", f"need 0 < review_days ≤ max_days, got {review_days}, {max_days}",
                           f"需要 0 < review_days ≤ max_days，收到 {review_days}、{max_days}")
    df = credit.copy()
    df[date] = _dates(df[date], date)
    future = df[date] > as_of
    if future.any():
        raise ArchiveError("FUTURE_REPORT", f"{int(future.sum())} credit report(s) are dated after as_of {as_of.date()} "
                           f"(rows {_short(df.index[future])})",
                           f"{int(future.sum())} 份资信报告的日期晚于分析日期 {as_of.date()}（行 {_short(df.index[future])}）")
    has_until = valid_until is not None and valid_until in df.columns
    if has_until:
        df[valid_until] = _dates(df[valid_until], valid_until, allow_missing=True)
    latest = df.sort_values([customer, date], kind="stable").groupby(customer, sort=True).tail(1).set_index(customer)
    age = (as_of - latest[date]).dt.days
    status = np.where(age > max_days, "expired", np.where(age > review_days, "review", "valid"))
    if has_until:
        status = np.where(latest[valid_until].notna() & (latest[valid_until] < as_of), "expired", status)
    latest["age_days"] = age.astype(int)
    latest["status"] = status
    if customers is not None:
        _need_columns(customers, [customer], "customers")
        latest = latest.reindex(latest.index.union(pd.Index(customers[customer].unique())))
        latest["status"] = latest["status"].fillna("missing")
        latest["age_days"] = latest["age_days"].astype("Int64")
    latest["status_zh"] = latest["status"].map(_CREDIT_STATUS_ZH)
    latest.index.name = customer
    return latest.sort_index()


# --------------------------------------------------------------------------------------------
# Card types (task 5 §5.1.3: prospect / current / former customer cards)
# --------------------------------------------------------------------------------------------
#: The three customer data cards (客户资料卡), task 5 §5.1.3 2, with the rule of each. Codes as in
#: ``crmlab.system.models.Customer.card_type``.
CARD_TYPES = pd.DataFrame([
    {"card_type": "prospect", "zh": "潜在客户调查卡", "short_zh": "潜在客户",
     "rule": "no trade yet", "record": "basic personal data; time, place and manner of trading"},
    {"card_type": "current", "zh": "现有客户调查卡", "short_zh": "现有客户",
     "rule": "opened at the first transaction", "record": "basic data plus transactions, continuously supplemented"},
    {"card_type": "former", "zh": "旧客户调查卡", "short_zh": "旧客户",
     "rule": "stopped buying: transferred here, never deleted", "record": "history kept; track the stop reason 停止交易原因"},
]).set_index("card_type")


@computes("card_types", "客户调查卡类别", "prospect / current / former card")
def card_types(customers: pd.DataFrame, orders: pd.DataFrame, as_of, inactive_days: int = 365,
               customer: str = "customer_id", date: str = "order_date", amount: str | None = "amount",
               stop_reason: str = "stop_reason") -> pd.DataFrame:
    """Classify every customer onto the prospect, current or former card (潜在/现有/旧客户调查卡).

    Textbook task 5 §5.1.3 2: a current-customer card is opened at the first transaction; a
    customer who stops buying is transferred to the former-customer card, which keeps the
    history and tracks the reason trading stopped; and §5.1.3 1: customers who stopped trading
    must not be dropped (已经中断交易的客户也不应放弃). The rule, over data up to ``as_of``:

    * ``prospect`` — no order on or before ``as_of``;
    * ``former`` — a stop reason is recorded, or the last order is more than ``inactive_days``
      before ``as_of`` (the 365-day default is crmlab's, not the textbook's; the book gives no
      number). ``needs_stop_reason`` is True when the reason is still blank: go and find out;
    * ``current`` — otherwise.

    Every customer of ``customers`` appears exactly once; none is dropped. Orders after
    ``as_of`` are ignored. Orders of customers that are not in ``customers`` are an error, and
    so are duplicated customer ids (drop exact duplicate rows first).

    Returns
    -------
    DataFrame indexed by customer: ``card_type``, ``card_zh``, ``first_order``, ``last_order``,
    ``n_orders``, ``total_amount`` (if ``amount``), ``stop_reason``, ``needs_stop_reason``.

    Examples
    --------
    >>> from crmlab import archive, datasets
    >>> customers = datasets.load("customers").drop_duplicates()
    >>> cards = archive.card_types(customers, datasets.load("orders"), as_of="2025-12-31")
    >>> len(cards) == len(customers)
    True
    >>> sorted(cards["card_type"].unique())
    ['current', 'former', 'prospect']
    """
    as_of = _as_of(as_of)
    _need_columns(customers, [customer], "customers")
    _need_columns(orders, [customer, date] + ([amount] if amount else []), "orders")
    dup = customers[customer].duplicated()
    if dup.any():
        raise ArchiveError("DUPLICATE_ID", f"customers has duplicated ids {_short(customers.loc[dup, customer].unique())}; "
                           "drop exact duplicate rows (or consolidate) first",
                           f"客户表的编号重复：{_short(customers.loc[dup, customer].unique())}；请先去重或合并")
    if inactive_days <= 0:
        raise ArchiveError("BAD_WINDOW", "inactive_days must be positive", "inactive_days 必须为正数")
    od = _dates(orders[date], date)
    keep = od <= as_of
    o = pd.DataFrame({"c": orders[customer][keep], "d": od[keep]})
    if amount:
        o["a"] = _amounts(orders[amount], amount)[keep]
    orphan = ~o["c"].isin(customers[customer])
    if orphan.any():
        raise ArchiveError("UNKNOWN_CUSTOMER", f"orders name customer(s) not in customers: {_short(o.loc[orphan, 'c'].unique())}",
                           f"订单中的客户不在客户表中：{_short(o.loc[orphan, 'c'].unique())}")
    g = o.groupby("c")
    out = pd.DataFrame(index=pd.Index(customers[customer], name=customer))
    out["first_order"] = g["d"].min().reindex(out.index)
    out["last_order"] = g["d"].max().reindex(out.index)
    out["n_orders"] = g.size().reindex(out.index, fill_value=0).astype(int)
    if amount:
        out["total_amount"] = g["a"].sum().reindex(out.index, fill_value=0.0).round(2)
    if stop_reason in customers.columns:
        reason = customers.set_index(customer)[stop_reason]
        reason = reason.where(~_blank_mask(reason))
    else:
        reason = pd.Series(np.nan, index=out.index, dtype=object)
    out["stop_reason"] = reason.to_numpy()
    traded = out["n_orders"] > 0
    lapsed = traded & ((as_of - out["last_order"]).dt.days > inactive_days)
    stopped = traded & out["stop_reason"].notna()
    out["card_type"] = np.where(~traded, "prospect", np.where(lapsed | stopped, "former", "current"))
    out["card_zh"] = out["card_type"].map(CARD_TYPES["zh"])
    out["needs_stop_reason"] = (out["card_type"] == "former") & out["stop_reason"].isna()
    cols = ["card_type", "card_zh", "first_order", "last_order", "n_orders"] + (["total_amount"] if amount else []) \
        + ["stop_reason", "needs_stop_reason"]
    return out[cols]
