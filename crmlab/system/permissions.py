"""Roles and the permission matrix: who may do what, on whose documents.

The textbook fixes only a few rules (R1: only the Administrator maintains and assigns home-page
schemes; an evaluator is named per submission; a service handler must be an authorised user
bound to an employee, R31; audit levels name their approvers). Everything else is crmlab's
default (digest §5.5), declared as data in :data:`PERMISSIONS`: ``(area, action) → {role: scope}``
with scope ``own`` (the user owns the document), ``dept`` (same department) or ``all``.
Print it with :func:`permission_table`; test a case with :func:`allowed`.

Customers belong to the company (visible to every role); opportunities and sales documents
are owner-scoped: a rep edits only their own, a manager their department, the director all.
The same goes for reading (record rules, rows ``(document type, "read")``): a rep or an engineer
sees their own documents (and those assigned to them), a manager the department's, the director
and the administrator all; who may act on a document may also see it.

Example
-------
>>> from crmlab.system import permissions as p
>>> p.allowed("sales_rep", "opportunity", "edit", own=True), p.allowed("sales_rep", "opportunity", "edit")
(True, False)
>>> p.allowed("sales_manager", "quote", "audit", same_dept=True), p.allowed("sales_rep", "quote", "audit", own=True)
(True, False)
>>> p.ROLES["admin"]
('系统管理员', 'Administrator')
>>> p.allowed("sales_rep", "opportunity", "read"), p.allowed("sales_manager", "opportunity", "read", same_dept=True)
(False, True)
"""
from __future__ import annotations

import pandas as pd

from crmlab import glossary

__all__ = ["ROLES", "PERMISSIONS", "READ_BASE", "allowed", "permission_table", "role_code"]

#: Role code → (中文, English).
ROLES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "Administrator"),
    "sales_manager": ("销售经理", "sales manager"),
    "sales_director": ("销售总监", "sales director"),
    "sales_rep": ("业务员", "sales representative"),
    "marketing": ("市场专员", "marketing specialist"),
    "service_manager": ("客服主管", "service desk manager"),
    "engineer": ("服务工程师", "service engineer"),
    "project_manager": ("项目经理", "project manager"),
}
#: The roles as a :class:`crmlab.glossary.Vocabulary` (code, 中文, English, 管理员 for admin).
ROLE = glossary.Vocabulary("role", {k: (z, e, ("管理员",) if k == "admin" else ()) for k, (z, e) in ROLES.items()},
                           what=("role", "角色"), error_code="UNKNOWN_ROLE")

_ALL = "all"
_SALES = {"sales_rep": "own", "sales_manager": "dept", "sales_director": _ALL}
_SALES_ADMIN = {"sales_manager": "dept", "sales_director": _ALL}
_SETUP = {"admin": _ALL}

#: (area, action) → {role: scope}. crmlab's defaults except where a rule number is given.
PERMISSIONS: dict[tuple[str, str], dict[str, str]] = {
    # task 12: initial settings
    ("home_scheme", "maintain"): {"admin": _ALL},                          # R1
    ("home_scheme", "assign"): {"admin": _ALL},                            # R1
    ("home_scheme", "own_display"): {r: "own" for r in ROLES},             # R1
    ("user", "maintain"): _SETUP,
    ("sales_method", "maintain"): _SETUP,
    ("knowledge_type", "maintain"): _SETUP,
    ("service_level", "maintain"): {"admin": _ALL, "service_manager": _ALL},
    ("expense_type", "maintain"): _SETUP,
    ("product", "maintain"): _SETUP,
    ("question", "save"): {"admin": _ALL, "marketing": _ALL},
    ("competitor", "save"): {"admin": _ALL, "marketing": _ALL, **_SALES},
    ("competitor", "edit"): {"admin": _ALL, "marketing": _ALL, **_SALES},
    ("competitor", "audit"): {"admin": _ALL, **_SALES_ADMIN},
    ("competitor", "close"): {"admin": _ALL, **_SALES_ADMIN},
    # customers and the archive (task 15 §15.1; task 5)
    ("customer", "save"): {"admin": _ALL, "marketing": _ALL, "sales_rep": _ALL, "sales_manager": _ALL,
                           "sales_director": _ALL},
    ("customer", "import"): {"admin": _ALL, "marketing": _ALL, "sales_manager": _ALL, "sales_director": _ALL},
    ("customer", "edit"): {"admin": _ALL, **_SALES},
    ("customer", "audit"): {"admin": _ALL, "sales_manager": _ALL, "sales_director": _ALL},
    ("customer", "set_trading"): {"admin": _ALL, "sales_manager": _ALL, "sales_director": _ALL},
    ("customer", "change_card"): {"admin": _ALL, **_SALES},
    ("customer", "value"): {"admin": _ALL, "sales_director": _ALL},        # value model, R35
    # marketing (task 13.1)
    ("survey", "maintain"): {"marketing": _ALL, "admin": _ALL},
    ("market_activity", "maintain"): {"marketing": _ALL},
    ("campaign", "maintain"): {"marketing": _ALL},
    ("care", "maintain"): {"marketing": _ALL, "service_manager": _ALL},
    ("intelligence", "save"): {"marketing": _ALL, **_SALES},
    # leads and opportunities (task 13.2–13.3)
    ("lead", "save"): {"marketing": _ALL, **_SALES},
    ("lead", "convert"): {"marketing": _ALL, **_SALES},
    ("opportunity", "save"): dict(_SALES),
    ("opportunity", "edit"): dict(_SALES),
    ("opportunity", "evaluate"): dict(_SALES_ADMIN),                      # and must be the named evaluator
    ("opportunity", "advance"): dict(_SALES),
    ("opportunity", "close"): dict(_SALES),                               # win, lose, restore
    ("activity", "save"): dict(_SALES),
    ("task", "save"): dict(_SALES),
    ("sample", "save"): dict(_SALES),
    # sales (task 14.1)
    ("price_list", "save"): dict(_SALES),
    ("price_list", "audit"): dict(_SALES_ADMIN),
    ("quote", "save"): dict(_SALES),
    ("quote", "audit"): dict(_SALES_ADMIN),
    ("contract", "save"): dict(_SALES),
    ("contract", "audit"): dict(_SALES_ADMIN),
    ("project", "save"): {"project_manager": _ALL, **_SALES_ADMIN},
    ("project", "audit"): dict(_SALES_ADMIN),
    ("project", "execute"): {"project_manager": "own", "sales_director": _ALL},
    # service (task 14.2–14.3)
    ("product_archive", "register"): {"admin": _ALL, "service_manager": _ALL, **_SALES},
    ("product_archive", "edit_dates"): {"admin": _ALL, "service_manager": _ALL, "engineer": _ALL},
    ("service_request", "save"): {"service_manager": _ALL, **_SALES},
    ("service_request", "dispatch"): {"service_manager": _ALL},           # assign, dispatch, close
    ("work_order", "handle"): {"engineer": "own"},                         # accept, reject, handle (R31/R32)
    ("service_quote", "save"): {"service_manager": _ALL},
    ("service_quote", "audit"): {"sales_director": _ALL, "admin": _ALL},
    ("service_contract", "save"): {"service_manager": _ALL},
    ("service_contract", "audit"): {"sales_director": _ALL, "admin": _ALL},
    # mobile (签到): only the activity's owner (or the task's executor) checks in
    ("activity", "check_in"): {r: "own" for r in ROLES},
    ("task", "check_in"): {r: "own" for r in ROLES},
}

_WIDTH = {None: 0, "own": 1, "dept": 2, _ALL: 3}
#: Read scope by role before the actions widen it (crmlab default, Odoo-style record rules): reps,
#: engineers and the other roles see their own documents, managers their department, the
#: director and the administrator everything.
READ_BASE: dict[str, str] = {"admin": _ALL, "sales_director": _ALL, "sales_manager": "dept",
                             "service_manager": "dept"}


def _read_rules() -> dict[tuple[str, str], dict[str, str]]:
    """``(type, "read")`` rows: the base scope of :data:`READ_BASE` ("own" otherwise), widened to the
    widest scope the role has for any action on that type (who may act on a document may see it).
    Customers are company-wide (every role reads all)."""
    from .lifecycle import DOC_TYPES
    rows = {}
    for t in DOC_TYPES:
        if t == "customer":
            rows[("customer", "read")] = {r: _ALL for r in ROLES}
            continue
        row = {}
        for r in ROLES:
            scope = READ_BASE.get(r, "own")
            for (area, _action), grant in PERMISSIONS.items():
                if area == t and _WIDTH[grant.get(r)] > _WIDTH[scope]:
                    scope = grant[r]
            row[r] = scope
        rows[(t, "read")] = row
    return rows


PERMISSIONS.update(_read_rules())


def role_code(label) -> str:
    """Role code for a code, a Chinese or an English role name.

    >>> role_code("业务员"), role_code("Administrator")
    ('sales_rep', 'admin')
    """
    code = ROLE.get(label)
    if code is None:
        from .errors import GuardFailed
        raise GuardFailed("UNKNOWN_ROLE", f"unknown role {label!r}; use one of {list(ROLES)}", f"未知的角色 {label!r}")
    return code


def allowed(role: str, area: str, action: str, *, own: bool = False, same_dept: bool = False) -> bool:
    """Whether ``role`` may do ``action`` in ``area`` on a document it owns / of its department.

    For a new document pass ``own=True`` (the creator owns it).
    """
    scope = PERMISSIONS.get((area, action), {}).get(role)
    if scope is None:
        return False
    if scope == _ALL:
        return True
    if scope == "dept":
        return same_dept or own
    return own


def permission_table() -> pd.DataFrame:
    """The matrix as a DataFrame: one row per (area, action), one column per role, cells = scope.

    >>> permission_table().loc[("home_scheme", "maintain")].dropna().to_dict()
    {'admin': 'all'}
    """
    rows = {k: {r: v.get(r) for r in ROLES} for k, v in PERMISSIONS.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["area", "action"])
    return frame
