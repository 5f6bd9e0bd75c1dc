"""Marketing events (策划市场活动): launch-plan validator, registration log, funnel, cost per lead.

Textbook task 6 建立客户关系 §6.2: after the visit, marketing activities let customers perceive
the product and so create opportunities.

* §6.2.1 experience marketing (体验营销): the three types :data:`EXPERIENCE_TYPES` and a keyword
  baseline :func:`classify_experience`;
* §6.2.2 the product launch (产品推介会) and 技能训练 组织一场某产品的推介会: the book's procedure as
  a checklist :data:`LAUNCH_CHECKLIST` and :func:`validate_launch_plan`;
* on-site registration, start to finish, especially trade journalists: :data:`REGISTRATION_FIELDS`,
  :func:`registration_log`, :func:`register`;
* the funnel invited → attended → leads → opportunities (→ won), :func:`event_funnel`, with the
  opportunities taken from a ``crmlab.opportunity``-shaped table (:func:`event_opportunities`),
  and the cost per lead :func:`event_costs`.

Bad input raises :class:`EventError` (a ``ValueError``), message ``"中文 / English"``; the caller's
frames are never changed.

Example
-------
>>> from crmlab import events
>>> f = events.event_funnel(invited=range(200), attended=range(80), leads=range(24), opportunities=range(6))
>>> f["n"].tolist(), f["rate_from_previous"].round(2).tolist()
([200, 80, 24, 6], [1.0, 0.4, 0.3, 0.25])
>>> float(events.event_costs(f, fixed_cost=30_000, cost_per_attendee=150)["per_lead"])
1750.0
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from crmlab import archive as _archive
from crmlab import glossary
from crmlab.shortcuts import computes
from crmlab.archive import ArchiveError

__all__ = [
    "EventError", "EXPERIENCE_TYPES", "classify_experience", "LAUNCH_CHECKLIST", "validate_launch_plan",
    "REGISTRATION_FIELDS", "registration_log", "register", "FUNNEL_STAGES", "event_funnel",
    "event_opportunities", "event_costs", "cost_per_lead", "PC_MIX",
]


class EventError(ArchiveError):
    """Bad input to an event function (a :class:`crmlab.archive.ArchiveError`,
    so a :class:`crmlab.errors.CRMLabError` and a ValueError).

    >>> str(EventError("DEMO", "no organiser", "缺少主办机构"))
    '缺少主办机构 / no organiser'
    """


def _blank(v) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


# --------------------------------------------------------------------------------------------
# Experience marketing (体验营销, task 6 §6.2.1)
# --------------------------------------------------------------------------------------------
#: The three types of experience marketing (task 6 §6.2.1 1) with the book's examples and cue
#: words for :func:`classify_experience` (the cue lists are crmlab's).
EXPERIENCE_TYPES = {
    "sensory": ("感官体验", "sensory", "sight, sound, touch, taste, smell: showroom light, music, hands-on trial",
                ("视觉", "听觉", "触觉", "味觉", "嗅觉", "灯光", "音乐", "试用", "试吃", "试驾", "品尝", "展厅", "触摸", "香味")),
    "emotional": ("情感体验", "emotional", "feelings: HK Disney's imagineers, local culture, detail service",
                  ("情感", "亲情", "温馨", "感动", "微笑服务", "母亲节", "关怀", "贴心", "生日", "回忆", "快乐")),
    "relational": ("关联体验", "relational", "links to an ideal self, others or a culture; brand community: 农夫山泉 一分钱",
                   ("社区", "公益", "社会责任", "一分钱", "俱乐部", "车友会", "认同", "文化", "品牌社群", "会员")),
}


@computes("experience_type", "体验营销类型", "type of experience marketing")
def classify_experience(text: str) -> str:
    """Keyword baseline: which experience type a campaign description is about.

    Counts the cue words of :data:`EXPERIENCE_TYPES` in the text and returns the type with the
    most hits (ties: the book's order); ``"unknown"`` if none. A teaching baseline, not a model.

    >>> from crmlab import events
    >>> events.classify_experience("展厅灯光与音乐配合，顾客可现场试用")
    'sensory'
    >>> events.classify_experience("每购买一瓶水捐出一分钱，支持公益")
    'relational'
    """
    if not isinstance(text, str):
        raise EventError("BAD_VALUE", "text must be a string", "text 必须是字符串")
    hits = {code: sum(text.count(w) for w in spec[3]) for code, spec in EXPERIENCE_TYPES.items()}
    best = max(hits, key=lambda k: hits[k])
    return best if hits[best] > 0 else "unknown"


#: IBM and Lenovo PC customers (task 6 §6.2.1 2 (5)): shares of relationship and transactional
#: customers; experience marketing should focus on the transactional ones.
PC_MIX = {"IBM": {"relationship": 0.75, "transactional": 0.25},
          "Lenovo China": {"relationship": (0.30, 0.40), "transactional": (0.60, 0.70)}}


# --------------------------------------------------------------------------------------------
# The launch plan (产品推介会, task 6 §6.2.2)
# --------------------------------------------------------------------------------------------
#: The items a launch plan must settle, after task 6 §6.2.2 (the procedure) and the 技能训练;
#: (key, 中文, English, what counts as done). Chinese keys are accepted in a plan too.
LAUNCH_CHECKLIST = pd.DataFrame([
    ("theme", "主题与产品", "theme and product", "non-empty text"),
    ("date", "日期", "date", "a date"),
    ("venue", "地点", "venue", "non-empty text"),
    ("organiser", "主办机构联系人", "organiser contacted (say whom you will invite, ask for help inviting)",
     "non-empty text"),
    ("form_and_content", "形式与内容", "form and content agreed with the organiser", "non-empty text"),
    ("invitations", "邀请名单", "invitation list, especially prospects", "a list of invitees; at least min_prospects prospects"),
    ("booth_briefing", "展台人员知晓", "booth staff know the talk's time, place, speaker and content",
     "all four of time/place/speaker/content"),
    ("registration_staff", "专人登记", "dedicated staff record attendees from start to finish", "non-empty"),
    ("journalists", "行业记者与资料", "trade journalists invited and a full press kit ready", "journalist list and press_kit"),
    ("video", "全程录像", "the whole event is filmed", "True"),
    ("follow_up", "会后跟进", "after the event: disc with the footage to customers, follow-up owner", "non-empty"),
], columns=["item", "zh", "en", "done_when"]).set_index("item")

_PLAN_SHORT = {"organiser": ("主办机构",), "theme": ("主题",), "invitations": ("邀请",), "video": ("录像",),
               "journalists": ("记者",), "follow_up": ("跟进",), "registration_staff": ("登记",),
               "booth_briefing": ("展台",)}
#: The launch-plan items as a :class:`crmlab.glossary.Vocabulary` (code, 中文, short Chinese names).
LAUNCH_ITEM = glossary.Vocabulary(
    "launch_item", {k: (zh, k.replace("_", " "), _PLAN_SHORT.get(k, ())) for k, zh in LAUNCH_CHECKLIST["zh"].items()},
    what=("plan item", "方案项目"), error_code="UNKNOWN_ITEM")
_BRIEFING = {"time": ("时间",), "place": ("地点",), "speaker": ("演讲人", "主讲人"), "content": ("内容",)}


def _is_prospect(inv) -> bool:
    if isinstance(inv, Mapping):
        for k in ("is_prospect", "是否潜在客户", "prospect"):
            if k in inv:
                return bool(inv[k])
    return False


def validate_launch_plan(plan: Mapping, min_prospects: int = 1, errors: str = "report") -> pd.DataFrame:
    """Check a product-launch plan against the book's procedure; list what is missing.

    Task 6 §6.2.2: contact the organiser and agree form and content; actively invite customers,
    **especially prospects**; booth staff must know the talk's **time, place, speaker and
    content**; dedicated staff register attendees from start to finish, **especially trade
    journalists**, who get full materials; **film the whole event** and give customers a disc
    afterwards. :data:`LAUNCH_CHECKLIST` lists the items; keys may be English or Chinese.

    Parameters
    ----------
    plan : dict. ``invitations`` is a list of invitees (dicts with ``is_prospect``) or a
        DataFrame with an ``is_prospect`` column; ``booth_briefing`` a dict with ``time``,
        ``place``, ``speaker``, ``content``; ``journalists`` a dict with ``list`` (names) and
        ``press_kit`` (True / a description).
    min_prospects : how many invited prospects at least (crmlab's default 1).
    errors : ``"report"`` returns the table; ``"raise"`` raises :class:`EventError` when any item
        fails.

    Returns
    -------
    DataFrame indexed by item: ``zh``, ``ok``, ``problem_en``, ``problem_zh``.

    Examples
    --------
    >>> from crmlab import events
    >>> plan = {"主题与产品": "变频空调新品推介", "date": "2025-09-20", "venue": "无锡国际会展中心",
    ...         "organiser": "家电协会 李主任", "form_and_content": "展台 + 30分钟技术讲座",
    ...         "invitations": [{"name": "星海酒店", "is_prospect": True}, {"name": "王伟", "is_prospect": False}],
    ...         "booth_briefing": {"time": "14:00", "place": "B厅", "speaker": "张工", "content": "节能技术"},
    ...         "registration_staff": "销售内勤 2 人", "journalists": {"list": ["《家电周刊》"], "press_kit": True},
    ...         "video": False, "follow_up": ""}
    >>> r = events.validate_launch_plan(plan)
    >>> r.loc[~r["ok"], ["zh", "problem_en"]]
                 zh                         problem_en
    item
    video      全程录像  the event must be filmed from start to finish
    follow_up  会后跟进                      missing or empty
    """
    if not isinstance(plan, Mapping):
        raise EventError("BAD_PLAN", "the plan must be a dict", "推介会方案必须是字典")
    if errors not in ("report", "raise"):
        raise EventError("BAD_OPTION", "errors must be 'report' or 'raise'", "errors 只能是 'report' 或 'raise'")
    p = {}
    for k, v in plan.items():
        key = LAUNCH_ITEM.get(k)
        if key is None:
            raise EventError("UNKNOWN_ITEM", f"unknown plan item {k!r}; use one of {list(LAUNCH_CHECKLIST.index)}",
                             f"未知的方案项目 {k!r}；可用：{list(LAUNCH_CHECKLIST['zh'])}")
        p[key] = v
    problems: dict[str, tuple[str, str]] = {}
    missing = ("missing or empty", "缺失或为空")
    for item in ("theme", "venue", "organiser", "form_and_content", "registration_staff", "follow_up"):
        if _blank(p.get(item)):
            problems[item] = missing
    if _blank(p.get("date")):
        problems["date"] = missing
    else:
        try:
            pd.Timestamp(p["date"])
        except (ValueError, TypeError):
            problems["date"] = ("not a date", "不是日期")
    inv = p.get("invitations")
    if inv is None or (hasattr(inv, "__len__") and len(inv) == 0):
        problems["invitations"] = ("no invitation list", "没有邀请名单")
    else:
        if isinstance(inv, pd.DataFrame):
            n_pros = int(inv["is_prospect"].fillna(False).astype(bool).sum()) if "is_prospect" in inv.columns else 0
        else:
            n_pros = sum(_is_prospect(i) for i in inv)
        if n_pros < min_prospects:
            problems["invitations"] = (f"only {n_pros} prospect(s) invited; invite at least {min_prospects} (especially prospects)",
                                       f"仅邀请了 {n_pros} 位潜在客户；至少应邀请 {min_prospects} 位（尤其是潜在客户）")
    brief = p.get("booth_briefing")
    if not isinstance(brief, Mapping):
        problems["booth_briefing"] = ("booth staff must know the talk's time, place, speaker and content",
                                      "展台人员必须知道讲座的时间、地点、演讲人和内容")
    else:
        have = {k for k, alts in _BRIEFING.items() if any(not _blank(brief.get(a)) for a in (k, *alts))}
        lack = [k for k in _BRIEFING if k not in have]
        if lack:
            problems["booth_briefing"] = (f"booth briefing lacks {lack}", f"展台人员培训缺少 {[_BRIEFING[k][0] for k in lack]}")
    jr = p.get("journalists")
    if not isinstance(jr, Mapping) or not jr.get("list") or not jr.get("press_kit"):
        problems["journalists"] = ("invite trade journalists and prepare a full press kit",
                                   "应邀请行业记者并准备完整的新闻资料")
    if p.get("video") is not True:
        problems["video"] = ("the event must be filmed from start to finish", "必须全程录像")
    out = LAUNCH_CHECKLIST[["zh"]].copy()
    out["ok"] = [i not in problems for i in out.index]
    out["problem_en"] = [problems.get(i, ("", ""))[0] for i in out.index]
    out["problem_zh"] = [problems.get(i, ("", ""))[1] for i in out.index]
    if errors == "raise" and problems:
        raise EventError("INCOMPLETE_PLAN", "launch plan incomplete: " + "; ".join(f"{k}: {v[0]}" for k, v in problems.items()),
                         "推介会方案不完整：" + "；".join(f"{LAUNCH_CHECKLIST.at[k, 'zh']}：{v[1]}" for k, v in problems.items()))
    return out


# --------------------------------------------------------------------------------------------
# Registration log (现场登记, task 6 §6.2.2 3)
# --------------------------------------------------------------------------------------------
#: Columns of the registration log (推介会登记表); the book names the task, the columns are
#: crmlab's. Chinese column names are accepted on input.
REGISTRATION_FIELDS = {
    "event_id": "活动编号", "name": "姓名", "org": "单位", "title": "职务", "phone": "联系方式",
    "is_journalist": "是否记者", "media": "所属媒体", "interest": "感兴趣产品", "is_prospect": "是否潜在客户",
    "customer_id": "客户编号", "follow_up_owner": "后续跟进人", "registered_at": "登记时间",
}
REGISTRATION_FIELD = glossary.Vocabulary("registration_field", {k: (v, k) for k, v in REGISTRATION_FIELDS.items()},
                                         what=("registration field", "登记字段"), error_code="UNKNOWN_FIELD")
_BOOL_COLS = ("is_journalist", "is_prospect")


def registration_log(rows=None) -> pd.DataFrame:
    """A checked registration log: one row per attendee, phones normalised, journalists marked.

    Checks (each failure raises :class:`EventError` and returns nothing): a name on every row,
    phones valid after :func:`crmlab.archive.normalise_phone` (missing allowed), a journalist
    must name the media, and the same phone may not register twice for one event. Missing
    ``is_journalist``/``is_prospect`` count as False.

    Parameters
    ----------
    rows : a DataFrame, a list of dicts, or None for an empty log. Not modified.

    Examples
    --------
    >>> from crmlab import events
    >>> log = events.registration_log([
    ...     {"event_id": "E1", "姓名": "李明", "单位": "星海酒店", "联系方式": "+86 138 0013 8000", "是否潜在客户": True},
    ...     {"event_id": "E1", "name": "赵敏", "org": "家电周刊", "phone": "13900000000", "is_journalist": True,
    ...      "media": "《家电周刊》"}])
    >>> log[["name", "phone", "is_journalist", "is_prospect"]]
      name        phone  is_journalist  is_prospect
    0   李明  13800138000          False         True
    1   赵敏  13900000000           True        False
    """
    if rows is None:
        frame = pd.DataFrame(columns=list(REGISTRATION_FIELDS))
    elif isinstance(rows, pd.DataFrame):
        frame = rows.copy()
    else:
        frame = pd.DataFrame(list(rows))
    unknown = [c for c in frame.columns if c not in REGISTRATION_FIELD]
    if unknown:
        raise EventError("UNKNOWN_FIELD", f"unknown registration field(s) {unknown}; use {list(REGISTRATION_FIELDS)}",
                         f"未知的登记字段 {unknown}；可用：{list(REGISTRATION_FIELDS.values())}")
    merged = {}
    for c in REGISTRATION_FIELDS:     # English and Chinese columns of one field: first non-blank wins
        sources = [col for col in frame.columns if REGISTRATION_FIELD.get(col) == c]
        value = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        for col in sources:
            take = value.map(_blank) & ~frame[col].map(_blank)
            value = value.where(~take, frame[col].astype(object))
        merged[c] = value
    frame = pd.DataFrame(merged).reset_index(drop=True)
    if frame.empty:
        return frame.astype({c: bool for c in _BOOL_COLS})
    blank_name = frame["name"].map(_blank)
    if blank_name.any():
        raise EventError("MISSING_NAME", f"rows {list(frame.index[blank_name])} have no name",
                         f"第 {list(frame.index[blank_name])} 行没有姓名")
    for c in _BOOL_COLS:
        frame[c] = frame[c].map(lambda v: False if _blank(v) else bool(v)).astype(bool)
    has_phone = ~frame["phone"].map(_blank)
    valid = _archive.phone_valid(frame["phone"].astype(object))
    bad = has_phone & ~valid
    if bad.any():
        raise EventError("BAD_PHONE", f"invalid phone number(s) {_archive._short(frame.loc[bad, 'phone'])} at rows "
                         f"{list(frame.index[bad])}",
                         f"第 {list(frame.index[bad])} 行的电话号码无效：{_archive._short(frame.loc[bad, 'phone'])}")
    frame["phone"] = pd.Series(_archive.normalise_phone(frame["phone"].astype(object)), dtype=object)
    no_media = frame["is_journalist"] & frame["media"].map(_blank)
    if no_media.any():
        raise EventError("MISSING_MEDIA", f"journalists at rows {list(frame.index[no_media])} must name their media",
                         f"第 {list(frame.index[no_media])} 行的记者必须填写所属媒体")
    key = frame["event_id"].astype(str) + "|" + frame["phone"].astype(str)
    dup = has_phone & key.duplicated()
    if dup.any():
        raise EventError("DUPLICATE_REGISTRATION", f"phone(s) {_archive._short(frame.loc[dup, 'phone'])} registered twice "
                         "for the same event", f"同一活动中电话 {_archive._short(frame.loc[dup, 'phone'])} 重复登记")
    return frame


def register(log: pd.DataFrame, **entry) -> pd.DataFrame:
    """A new log with one more attendee; the old log is unchanged, a bad entry raises.

    >>> from crmlab import events
    >>> log = events.registration_log()
    >>> log = events.register(log, event_id="E1", name="李明", phone="138 0013 8000")
    >>> events.register(log, event_id="E1", name="李明", phone="+8613800138000")
    Traceback (most recent call last):
    ...
    crmlab.events.EventError: 同一活动中电话 '13800138000' 重复登记 / phone(s) '13800138000' registered twice for the same event
    >>> len(log)
    1
    """
    _archive._need_frame(log, "log")
    new = pd.DataFrame([entry])
    both = pd.concat([log, new], ignore_index=True) if len(log) else new
    return registration_log(both)


# --------------------------------------------------------------------------------------------
# Funnel and costs
# --------------------------------------------------------------------------------------------
#: Stages of the event funnel: (中文, English).
FUNNEL_STAGES = {"invited": ("邀请", "invited"), "attended": ("到场", "attended"), "leads": ("线索", "leads"),
                 "opportunities": ("商机", "opportunities"), "won": ("赢单", "won")}


def _ids(values, what: str) -> pd.Index:
    if isinstance(values, pd.DataFrame):
        raise EventError("BAD_VALUE", f"{what} must be ids (a list, Series or Index), not a table",
                         f"{what} 必须是编号列表，而不是表格")
    idx = pd.Index(list(values))
    if idx.hasnans:
        raise EventError("BAD_VALUE", f"{what} has missing ids", f"{what} 中有缺失的编号")
    return idx.unique()


@computes("event_funnel", "活动漏斗", "event funnel")
def event_funnel(invited: Iterable, attended: Iterable, leads: Iterable, opportunities: Iterable | None = None,
                 won: Iterable | None = None) -> pd.DataFrame:
    """Funnel of one event: invited → attended → leads → opportunities (→ won), with rates.

    Each argument is a collection of ids (customer or person ids; duplicates count once). A
    lead must have attended, an opportunity must come from a lead and a won deal from an
    opportunity: otherwise :class:`EventError` names the stray ids (a funnel only narrows).
    Walk-ins (attended without invitation) are allowed — the book wants everyone registered —
    so ``attended`` can exceed ``invited``; their number is in ``.attrs["walk_ins"]``.

    Returns
    -------
    DataFrame indexed by stage: ``zh``, ``n``, ``rate_from_previous``, ``rate_from_invited``.

    Examples
    --------
    >>> from crmlab import events
    >>> f = events.event_funnel(invited=["a", "b", "c", "d"], attended=["a", "b", "x"], leads=["a", "x"],
    ...                         opportunities=["a"])
    >>> f.round(2)
                   zh  n  rate_from_previous  rate_from_invited
    stage
    invited        邀请  4                1.00               1.00
    attended       到场  3                0.75               0.75
    leads          线索  2                0.67               0.50
    opportunities  商机  1                0.50               0.25
    >>> f.attrs["walk_ins"]
    1
    """
    stages = {"invited": _ids(invited, "invited"), "attended": _ids(attended, "attended"), "leads": _ids(leads, "leads")}
    if opportunities is not None:
        stages["opportunities"] = _ids(opportunities, "opportunities")
    if won is not None:
        if opportunities is None:
            raise EventError("BAD_VALUE", "won needs opportunities", "给出赢单时必须给出商机")
        stages["won"] = _ids(won, "won")
    names = list(stages)
    for prev, cur in zip(names[1:-1], names[2:]):
        stray = stages[cur].difference(stages[prev])
        if len(stray):
            raise EventError("NOT_NARROWING", f"{len(stray)} of the {cur} are not among the {prev}: {_archive._short(stray)}",
                             f"{FUNNEL_STAGES[cur][0]}中有 {len(stray)} 个不在{FUNNEL_STAGES[prev][0]}中：{_archive._short(stray)}")
    n = pd.Series({k: len(v) for k, v in stages.items()})
    if n["invited"] == 0:
        raise EventError("EMPTY", "nobody was invited", "邀请人数为 0")
    prev = n.shift(1)
    prev.iloc[0] = n.iloc[0]
    out = pd.DataFrame({"zh": [FUNNEL_STAGES[k][0] for k in n.index], "n": n.astype(int),
                        "rate_from_previous": (n / prev.where(prev > 0)).round(6),
                        "rate_from_invited": (n / n["invited"]).round(6)})
    out.index.name = "stage"
    out.attrs["walk_ins"] = int(len(stages["attended"].difference(stages["invited"])))
    return out


def event_opportunities(opps: pd.DataFrame, leads: Iterable, event_date, window_days: int = 90,
                        customer: str = "customer_id", created: str = "created_date") -> pd.DataFrame:
    """The opportunities an event produced: those of its leads created within ``window_days``.

    ``opps`` is shaped like ``crmlab.datasets.load("opportunities")`` and is checked with
    :func:`crmlab.opportunity.validate_opportunities` (stage and status labels in English or
    Chinese). An opportunity counts for the event when its customer is one of the event's
    leads and it was created on or after the event date and at most ``window_days`` later
    (90 by crmlab's default; the book gives no window). Feed ``customer_id`` of the result, and
    of its won rows, to :func:`event_funnel`.

    >>> from crmlab import datasets, events
    >>> opps = datasets.load("opportunities")
    >>> leads = opps.loc[opps["created_date"].between("2025-03-01", "2025-03-31"), "customer_id"]
    >>> got = events.event_opportunities(opps, leads, "2025-03-01", window_days=30)
    >>> bool(got["created_date"].between("2025-03-01", "2025-03-31").all()), sorted(got["status"].unique())
    (True, ['lost', 'open', 'won'])
    """
    from crmlab import opportunity as _opp

    _archive._need_columns(opps, [customer, created], "opportunities")
    when = _archive._as_of(event_date, "event_date")
    if window_days <= 0:
        raise EventError("BAD_WINDOW", "window_days must be positive", "window_days 必须为正数")
    checked = _opp.validate_opportunities(opps, columns=["stage", "status", "expected_revenue", customer, created])
    c = pd.to_datetime(checked[created], errors="coerce", format="mixed")
    lead_ids = _ids(leads, "leads")
    keep = checked[customer].isin(lead_ids) & (c >= when) & (c <= when + pd.Timedelta(days=window_days))
    return checked[keep]


@computes("event_costs", "活动成本", "event cost per stage")
def event_costs(funnel: pd.DataFrame, fixed_cost: float, cost_per_attendee: float = 0.0) -> pd.Series:
    """Total cost of an event and the cost per invitee, attendee, lead, opportunity and win.

    Task 5 §5.2.1 lists a campaign's cost information as fixed and variable costs; here the
    variable cost is per attendee. Stages with nobody get ``inf`` (money spent, nothing gained).

    >>> from crmlab import events
    >>> f = events.event_funnel(range(200), range(80), range(24), range(6))
    >>> events.event_costs(f, fixed_cost=30_000, cost_per_attendee=150).to_dict()
    {'total_cost': 42000.0, 'per_invited': 210.0, 'per_attended': 525.0, 'per_lead': 1750.0, 'per_opportunity': 7000.0}
    """
    _archive._need_columns(funnel, ["n"], "funnel")
    for v, nm in ((fixed_cost, "fixed_cost"), (cost_per_attendee, "cost_per_attendee")):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v) or v < 0:
            raise EventError("BAD_VALUE", f"{nm} must be a number ≥ 0", f"{nm} 必须是非负数")
    attended = int(funnel.at["attended", "n"]) if "attended" in funnel.index else 0
    total = float(fixed_cost) + float(cost_per_attendee) * attended
    out = {"total_cost": round(total, 6)}
    keys = {"invited": "per_invited", "attended": "per_attended", "leads": "per_lead",
            "opportunities": "per_opportunity", "won": "per_won"}
    for stage, n in funnel["n"].items():
        out[keys.get(stage, f"per_{stage}")] = round(total / n, 6) if n else math.inf
    return pd.Series(out, dtype=float)


def cost_per_lead(total_cost: float, n_leads: int) -> float:
    """Cost per lead = total cost ÷ leads (``inf`` with no lead).

    >>> from crmlab import events
    >>> events.cost_per_lead(42_000, 24)
    1750.0
    """
    if isinstance(total_cost, bool) or not isinstance(total_cost, (int, float)) or total_cost < 0:
        raise EventError("BAD_VALUE", "total_cost must be a number ≥ 0", "total_cost 必须是非负数")
    if isinstance(n_leads, bool) or not float(n_leads).is_integer() or n_leads < 0:
        raise EventError("BAD_VALUE", "n_leads must be a whole number ≥ 0", "n_leads 必须是非负整数")
    return total_cost / n_leads if n_leads else math.inf
