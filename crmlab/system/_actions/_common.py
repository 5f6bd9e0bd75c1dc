"""What the desk's action mixins share: the vocabularies of the desk (crmlab defaults where the textbook
prints none) and small helpers over an action context."""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import inspect

from crmlab import glossary
from .. import fields
from .. import lifecycle as lc
from .. import models as m
from ..errors import GuardFailed


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
