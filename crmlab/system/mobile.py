"""The mobile app of task 16 (任务16 移动应用体验) as a phone-sized web page over the same database.

The textbook installs 云之家 (Yunzhijia), adds the 金蝶K/3 WISE CRM app and taps 【演示】 (demo
mode); its screenshots show five screens (digest §1.8): 登录界面 (login), 操作主界面 and 我的日程
(home and my schedule), 位置上报 (location check-in), 客户 and 活动 (customers and activities),
商机 and 任务 (opportunities and tasks). crmlab gives the same five screens as a web page for a
phone (390 × 844 px) served by Voila from the dashboard notebook ``mobile_app.ipynb`` next to this
module, over the same database as the desktop notebooks (a SQLite file or PostgreSQL):

    crmlab mobile crm.db --port 8866        # then open http://127.0.0.1:8866 in a (phone) browser
    python -m crmlab.system.mobile crm.db   # the same without the crmlab command

The layout (cards, bottom bar, colours) is crmlab's own, not a copy of the Kingdee screens.
The page has no passwords: keep it on 127.0.0.1 (the default) unless the network is a classroom's.

Three layers, each usable alone:

* :class:`MobileSession` — what the screens show and do for one logged-in user, as DataFrames and
  :class:`~crmlab.system.Desk` actions (testable without a browser);
* :class:`MobileApp` — the ipywidgets page built on a session (the notebook only displays it);
* :func:`start` / :func:`serve` / :func:`main` — run Voila on the notebook (a subprocess), with
  the database named by the environment variable ``CRMLAB_DB``.

Login: the engine's users have no passwords (``crm.login(name)`` stands for "log in as"), so the
login screen is the textbook's **【演示】 demo mode**: pick a user of the company and log in; every
action is then attributed to that user and checked by the permission layer. crmlab's choice, not
the textbook's (the real app asks for a 云之家 account and password).

The page shows the CRM's simulated clock, never the wall clock: when the page opens it resumes the
clock at the last audit-logged event of the database (or ``CRMLAB_CLOCK``), so "today" is the
CRM's day. A check-in needs coordinates (the engine refuses one without); the page pre-fills the
demo coordinates :data:`DEMO_LAT` / :data:`DEMO_LON` that the user may change — the browser's
geolocation is not used.

Example
-------
>>> from crmlab import system
>>> from crmlab.system import mobile
>>> crm = system.open(":memory:", demo=True, clock="2024-03-04 08:00")
>>> zs = crm.login("zhangsan")
>>> opp = zs.new_opportunity("机房扩容", "华东电网科技")
>>> visit = zs.new_activity(opp, "上门拜访", plan_start="2024-03-04 10:00")
>>> me = mobile.MobileSession(crm, "zhangsan")
>>> me.home()[["screen", "zh", "count"]].values.tolist()[:3]
[['schedule', '我的日程', 1], ['checkin', '位置上报', 1], ['customers', '客户', 3]]
>>> me.schedule()[["no", "subject"]].values.tolist()
[['HD000001', '上门拜访']]
>>> row = me.check_in(visit, "华东电网科技 机房", mobile.DEMO_LAT, mobile.DEMO_LON)
>>> len(me.check_ins())
1
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd

from crmlab.errors import bilingual

from . import lifecycle as lc
from . import permissions as perm

__all__ = ["SCREENS", "NOTEBOOK", "ENV_DB", "ENV_CLOCK", "ENV_DEMO", "DEMO_LAT", "DEMO_LON", "open_db",
           "resume_clock", "login_choices", "MobileSession", "MobileApp", "app_from_env", "free_port", "start",
           "wait_ready", "stop", "serve", "main", "add_arguments", "run"]

#: The screens of the textbook's app (task 16 §16.2, digest §1.8) and of this page, in menu order:
#: key, 中文, English, textbook screenshot group.
SCREENS = pd.DataFrame(
    [("login", "登录界面", "login", 1), ("home", "操作主界面", "home menu", 2),
     ("schedule", "我的日程", "my schedule", 2), ("checkin", "位置上报", "location check-in", 3),
     ("customers", "客户", "customers", 4), ("activities", "活动", "activities", 4),
     ("opportunities", "商机", "opportunities", 5), ("tasks", "任务", "tasks", 5)],
    columns=["screen", "zh", "en", "textbook_group"])

NOTEBOOK = Path(__file__).with_name("mobile_app.ipynb")
#: Jupyter data folder holding the page's Voila template (``nbconvert/templates/crmlab_mobile``: Voila's lab
#: template without its CDN links; not under ``voila/``, which would hide Voila's own data folder).
TEMPLATES = Path(__file__).with_name("voila")
TEMPLATE = "crmlab_mobile"
#: JupyterLab extensions installed beside crmlab that the page does not need: in Voila they fail to load
#: (they expect JupyterLab's file browser, notebook panel …) and fill the browser console with errors.
NOT_LOADED = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension", "@voila-dashboards/jupyterlab-preview")
ENV_DB, ENV_CLOCK, ENV_DEMO = "CRMLAB_DB", "CRMLAB_CLOCK", "CRMLAB_DEMO"
#: Demo coordinates pre-filled on the check-in screen (the Shanghai office of the demo company).
DEMO_LAT, DEMO_LON = 31.2304, 121.4737

_MENU = [s for s in SCREENS["screen"] if s not in ("login", "home")]


def _err(code: str, en: str, zh: str):
    from .errors import GuardFailed
    return GuardFailed(code, en, zh)


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------
def open_db(url=None, *, demo: bool | None = None, clock=None):
    """Open the database the page works on: ``url``, else ``$CRMLAB_DB``, else ``crmlab_crm.db``.

    ``demo`` (default ``$CRMLAB_DEMO`` = 1) builds the living demo company (the company in its
    second year, :func:`crmlab.system.demo_company.open`: today's visits to check in to, leads,
    opportunities, tasks …) into an empty database.
    ``clock`` (default ``$CRMLAB_CLOCK``) sets the CRM clock; without one the clock resumes at
    the database's last logged event (:func:`resume_clock`).

    >>> crm = open_db(":memory:", demo=True, clock="2024-03-05 08:30")
    >>> str(crm.now), len(MobileSession(crm, "zhangsan").schedule("2024-03-04"))
    ('2024-03-05 08:30:00', 4)
    """
    from .engine import open as _open
    url = url or os.environ.get(ENV_DB) or None
    if demo is None:
        demo = os.environ.get(ENV_DEMO, "") not in ("", "0", "false", "False")
    clock = clock or os.environ.get(ENV_CLOCK) or None
    if demo:
        from . import demo_company
        crm = demo_company.open(url)
        if clock:
            crm.set_clock(max(pd.Timestamp(clock).to_pydatetime(), crm.now))
    else:
        crm = _open(url, **({"clock": clock} if clock else {}))
    if clock is None:
        resume_clock(crm)
    return crm


def resume_clock(crm) -> dt.datetime:
    """Move the CRM clock forward to the last audit-logged event (a database made before the clock
    was saved in it starts at :data:`~crmlab.system.DEFAULT_CLOCK`). Never moves back.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True, clock="2024-03-02 10:00")   # seed logged at 10:00
    >>> crm.now = dt.datetime(2024, 3, 1, 9, 0)       # what a new process would start from
    >>> str(resume_clock(crm))
    '2024-03-02 10:00:00'
    """
    from sqlalchemy import func, select

    from . import models as m
    with crm._read() as s:
        last = s.scalar(select(func.max(m.AuditLog.at)))
    if last is not None and pd.Timestamp(last).to_pydatetime() > crm.now:
        crm.set_clock(last)
    return crm.now


def login_choices(crm) -> pd.DataFrame:
    """The users the demo-mode login screen offers: active users with role and department.

    >>> from crmlab import system
    >>> login_choices(system.open(":memory:", demo=True)).head(2).values.tolist()
    [['admin', 'Administrator', '系统管理员', '总经办'], ['lijingli', '李经理', '销售经理', '销售一部']]
    """
    u = crm.users()
    u = u[u["active"].astype(bool)]
    return u[["login", "name", "role_zh", "dept"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The screens' logic for one user
# --------------------------------------------------------------------------------------------
def _day(day, crm) -> dt.date:
    if day is None:
        return crm.now.date()
    try:
        return pd.Timestamp(day).date()
    except (TypeError, ValueError):
        raise _err("BAD_DATE", f"{day!r} is not a date", f"{day!r} 不是有效日期") from None


class MobileSession:
    """What the mobile screens show and do for one logged-in user (no widgets, no browser).

    Every list is a DataFrame read through the user's :class:`~crmlab.system.Desk` (so the
    record rules apply: a rep sees their own documents); every action is a Desk action (checked,
    one transaction, audit-logged). Pass the ``version`` shown in a list to an action to refuse
    it with :class:`~crmlab.system.StaleRecord` when someone changed the record meanwhile. Before
    each action the clock catches up with the database (:func:`resume_clock`): another user may
    have worked later in the CRM's day.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> me = MobileSession(crm, "lisi")
    >>> me.user.name, me.role_zh
    ('李四', '业务员')
    >>> me.customers()["name"].tolist()
    ['北方重型机械', '西部银行股份', '东海港务集团']
    """

    def __init__(self, crm, user):
        self.crm = crm
        self.desk = crm.login(user, channel="mobile")  # demo mode: no password; the audit log says 移动端
        self.user = self.desk.user
        self.role_zh = perm.ROLES.get(self.user.role, (self.user.role,))[0]

    def __repr__(self):
        return f"<MobileSession {self.user.login} {self.user.name}>"

    # -- 操作主界面 -----------------------------------------------------------------------------
    def home(self, day=None) -> pd.DataFrame:
        """The home menu (操作主界面): one row per screen with the number of items it lists."""
        counts = {"schedule": len(self.schedule(day)), "checkin": len(self.check_in_choices(day)),
                  "customers": len(self.customers()), "activities": len(self.activities()),
                  "opportunities": len(self.opportunities()), "tasks": len(self.tasks())}
        f = SCREENS[SCREENS["screen"].isin(_MENU)][["screen", "zh", "en"]].reset_index(drop=True)
        f["count"] = f["screen"].map(counts).astype(int)
        return f

    # -- 我的日程 -------------------------------------------------------------------------------
    def schedule(self, day=None) -> pd.DataFrame:
        """我的日程: the user's activities and tasks planned on ``day`` (default: the CRM's today),
        sorted by planned start, with customer name and ``checked_in`` (``Desk.my_schedule``)."""
        return self.desk.my_schedule(_day(day, self.crm)).reset_index(drop=True)

    # -- 位置上报 -------------------------------------------------------------------------------
    def check_in_choices(self, day=None) -> pd.DataFrame:
        """The day's schedule items (activities and tasks) the user can check in at, with
        ``checked_in`` telling which already have a check-in."""
        return self.schedule(day)

    def check_in(self, activity, place: str, lat, lon) -> int:
        """位置上报: check in at ``activity`` (an activity or task of the user; place name, latitude,
        longitude — numbers or the text of input boxes) at the CRM clock's time (``Desk.check_in``);
        returns the new check-in row's id."""
        resume_clock(self.crm)
        return self.desk.check_in(str(activity), place, lat, lon)   # the engine checks place and coordinates

    def check_ins(self, day=None) -> pd.DataFrame:
        """The user's check-ins (签到记录, table ``check_ins``) of ``day`` (default today; ``"all"``:
        every day), in time order."""
        f = self.crm.table("check_ins")
        f = f[f["user_login"] == self.user.login]
        if day != "all" and len(f):
            f = f[pd.to_datetime(f["at"]).dt.date == _day(day, self.crm)]
        return f.sort_values(["at", "id"]).reset_index(drop=True)

    # -- 客户 and 活动 ---------------------------------------------------------------------------
    def customers(self) -> pd.DataFrame:
        """客户: the customers the user looks after (owner), or all customers for roles without
        customers of their own (crmlab default)."""
        f = self.crm.customers()
        mine = f[f["owner_id"] == self.user.id]
        f = mine if len(mine) else f
        cols = [c for c in ("no", "name", "industry", "region", "card_type", "status", "address", "phone") if c in f]
        f = f[cols].reset_index(drop=True)
        f.insert(f.columns.get_loc("status") + 1, "status_zh", f["status"].map(lc.status_label))
        return f

    def activities(self) -> pd.DataFrame:
        """活动: the activities the user may see (``Desk.documents``), newest first."""
        return self._docs("activity")

    # -- 商机 and 任务 ---------------------------------------------------------------------------
    def opportunities(self) -> pd.DataFrame:
        """商机: the user's visible opportunities with stage (中文), probability and expected revenue."""
        f = self._docs("opportunity")
        if f.empty:
            return f.assign(stage_zh=pd.Series(dtype=object), probability=pd.Series(dtype=float),
                            expected_revenue=pd.Series(dtype=float))
        o = self.crm.opportunities().set_index("opportunity_id")
        names = {s.code: s.name_zh for s in self.crm.method().stages}
        f["stage"] = f["no"].map(o["stage"])                  # the opportunity tab's current stage
        f["stage_zh"] = f["stage"].map(lambda s: names.get(s, s) if isinstance(s, str) else "")
        f["probability"] = f["no"].map(o["probability"])
        f["expected_revenue"] = f["no"].map(o["expected_revenue"])
        return f

    def tasks(self) -> pd.DataFrame:
        """任务: the tasks the user may see (own, or assigned to them as executor), with the executor
        and a ``can_complete`` flag (执行中 and the user is the executor)."""
        f = self._docs("task")
        f["executor"] = pd.Series([self.crm.doc(no).get("executor") for no in f["no"]], index=f.index, dtype=object)
        names = self.crm.users().set_index("login")["name"]
        f["executor_name"] = f["executor"].map(lambda x: names.get(x, x) if isinstance(x, str) else "")
        f["can_complete"] = (f["status"] == "in_progress") & (f["executor"] == self.user.login)
        return f

    def complete_task(self, task, version=None) -> str:
        """【完成】 a task the user executes: actual start = the task's recorded start or its creation
        time, actual end = now (R19). Returns the new status."""
        resume_clock(self.crm)
        d = self.crm.doc(task)
        start = d.get("actual_start") or d.get("created_at")
        return self.desk.complete_task(task, actual_start=start, actual_end=self.crm.now,
                                       **self._version(version))

    def advance(self, opp, version=None) -> dict:
        """【阶段推进】 an opportunity: ends the current stage now (the textbook's R16 fix) and moves
        to the next stage when its conditions hold. Returns the engine's dialog (next stage …)."""
        resume_clock(self.crm)
        return self.desk.advance(opp, end_stage_now=True, **self._version(version))

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _version(version) -> dict:
        if version is None or (isinstance(version, float) and version != version):
            return {}
        return {"expected_version": int(version)}

    def _docs(self, doc_type: str) -> pd.DataFrame:
        f = self.desk.documents(doc_type=doc_type)
        f = f.sort_values(["created_at", "no"], ascending=False) if "created_at" in f else f
        f = f.reset_index(drop=True)
        f["status_zh"] = f["status"].map(lc.status_label)
        names = self.crm.customers().set_index("no")["name"]
        f["customer"] = f["customer_no"].map(lambda c: names.get(c, c) if isinstance(c, str) else "")
        if doc_type in ("activity", "task"):
            f["plan_start"] = pd.Series([self.crm.doc(no).get("plan_start") for no in f["no"]], index=f.index,
                                        dtype=object)
        return f


# --------------------------------------------------------------------------------------------
# The page (ipywidgets)
# --------------------------------------------------------------------------------------------
_NAV = [("home", "主页"), ("schedule", "日程"), ("checkin", "签到"), ("opportunities", "商机"), ("tasks", "任务")]
_MENU_LABEL = {"schedule": "我的日程", "checkin": "位置上报", "customers": "客户", "activities": "活动",
               "opportunities": "商机", "tasks": "任务"}
_WEEKDAY = "一二三四五六日"


def _blank(value):
    """What a template prints for ``None`` and NaN (missing values of a row): nothing."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


@functools.cache
def _templates():
    """The page's HTML templates (``templates/mobile/*.html.j2``), autoescaping on: user text such as a
    customer name or a note is shown as text, never as HTML."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    env = Environment(loader=PackageLoader("crmlab.system", "templates"),
                      autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
                      finalize=_blank)
    env.filters.update(hhmm=_hhmm, when=_when, weekday=lambda d: _WEEKDAY[d.weekday()])
    return env


def render(name: str, **context) -> str:
    """The HTML of template ``templates/mobile/<name>.html.j2`` with ``context``.

    >>> render("title", text="<script>alert(1)</script> & 客户")
    '<div class="crm-title">&lt;script&gt;alert(1)&lt;/script&gt; &amp; 客户</div>'
    """
    return _templates().get_template(f"mobile/{name}.html.j2").render(**context)


def _note(*lines) -> str:
    return render("note", lines=lines)


def _hhmm(value) -> str:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return ""
    try:
        return pd.Timestamp(value).strftime("%H:%M")
    except (TypeError, ValueError):
        return ""


def _when(value) -> str:
    """``03-04 10:00 `` for a planned start, ``""`` when none."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        return f"{pd.Timestamp(value):%m-%d %H:%M} "
    except (TypeError, ValueError):
        return ""


class MobileApp:
    """The phone page: a header with user and CRM time, a message line, the screen, a bottom bar.

    ``app.widget`` is the ipywidgets box to display (the Voila notebook does only that).
    The screens can be driven from Python as well — ``app.login("zhangsan")``, ``app.show("tasks")``,
    or ``button.click()`` on any button — which is how the unit tests check the page without a
    browser.

    >>> from crmlab import system
    >>> app = MobileApp(system.open(":memory:", demo=True))
    >>> app.screen
    'login'
    >>> app.login("zhangsan")
    >>> app.screen, app.session.user.name
    ('home', '张三')
    """

    def __init__(self, crm):
        import ipywidgets as w
        self.w = w
        self.crm = crm
        self.session: MobileSession | None = None
        self.screen = "login"
        self.day: dt.date | None = None
        self.buttons: dict[str, object] = {}          # named buttons of the current screen (for tests)
        self.header = w.HTML()
        self.message = w.HTML()
        self.body = w.VBox(layout=w.Layout(width="100%"))
        self.nav = w.HBox(layout=w.Layout(width="100%"))
        self.nav.add_class("crm-nav")
        self.widget = w.VBox([w.HTML(render("style")), self.header, self.message, self.body, self.nav],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("crm-mobile")
        self.show("login")

    # -- public -----------------------------------------------------------------------------------
    def login(self, user) -> None:
        """Log in as ``user`` (login or name) and open the home screen."""
        resume_clock(self.crm)
        try:
            self.session = MobileSession(self.crm, user)
        except ValueError as err:                     # unknown or inactive user: stay on the login screen
            self.say(str(err), ok=False)
            self.show("login")
            return
        self.day = None
        self.say(f"欢迎，{self.session.user.name}！ Welcome.")
        self.show("home")

    def logout(self) -> None:
        """Back to the login screen."""
        self.session = None
        self.say("已退出 Logged out.")
        self.show("login")

    def say(self, text: str, ok: bool = True) -> None:
        """Show a message line (green) or an error (red)."""
        cls = "crm-msg-ok" if ok else "crm-msg-err"
        self.message.value = render("message", cls=cls, text=text) if text else ""

    def show(self, screen: str) -> None:
        """Render ``screen`` (a key of :data:`SCREENS`), reading fresh data from the database."""
        if screen not in set(SCREENS["screen"]):
            raise _err("UNKNOWN_SCREEN", f"unknown screen {screen!r}", f"未知的界面 {screen!r}")
        if screen != "login" and self.session is None:
            screen = "login"
        resume_clock(self.crm)                        # other users may have moved the CRM's time on
        self.screen = screen
        self.buttons = {}
        try:
            children = getattr(self, f"_screen_{screen}")()
        except ValueError as err:                     # a CRM error while reading: show it, keep the page
            self.say(str(err), ok=False)
            children = [self._title("出错了 Error")]
        self._header()
        self.nav.children = [] if self.session is None else self._nav()
        self.body.children = children                 # last: a new body means the whole page is updated

    # -- building blocks ------------------------------------------------------------------------
    def _button(self, label: str, handler, key: str | None = None, style: str = "", width="100%"):
        b = self.w.Button(description=label, button_style=style, layout=self.w.Layout(width=width))
        b.on_click(lambda _b: handler())
        if key:
            self.buttons[key] = b
        return b

    def _title(self, text: str):
        return self.w.HTML(render("title", text=text))

    def _card(self, html_text: str, *buttons, key: str | None = None):
        box = self.w.VBox([self.w.HTML(html_text), *buttons], layout=self.w.Layout(width="100%"))
        box.add_class("crm-card")
        if key:
            box.add_class(f"crm-card-{key}")
        return box

    def _header(self):
        self.header.value = render("header", session=self.session, now=self.crm.now)

    def _nav(self):
        out = []
        for key, label in _NAV:
            out.append(self._button(label, lambda k=key: self._go(k), key=f"nav_{key}",
                                    style="info" if key == self.screen else "", width="20%"))
        return out

    def _go(self, screen):
        self.say("")
        self.show(screen)

    def _act(self, fn, ok_text, then: str):
        """Run an action; re-render ``then``; then show its result or its bilingual error (last, so
        that a message on the page means the screen is already up to date)."""
        try:
            result = fn()
        except ValueError as err:                     # every CRM error is a ValueError (bilingual str)
            text, ok = str(err), False
        else:
            text, ok = (ok_text(result) if callable(ok_text) else ok_text), True
            self.crm.checkpoint()                     # the database file alone holds the tap (a hand-in)
        self.show(then)
        self.say(text, ok)

    # -- screens ---------------------------------------------------------------------------------
    def _screen_login(self):
        w = self.w
        users = login_choices(self.crm)
        if users.empty:
            return [self._title("登录 Login"),
                    w.HTML(render("login_empty"))]
        options = [(f"{r.name}（{r.role_zh}，{r.dept or ''}）", r.login) for r in users.itertuples()]
        default = "zhangsan" if "zhangsan" in set(users["login"]) else users["login"].iloc[0]
        self.user_pick = w.Dropdown(options=options, value=default, description="用户 User",
                                    layout=w.Layout(width="100%"))
        return [self._title("登录界面 Login"),
                w.HTML(_note("【演示】演示模式：选择用户即可登录，无需密码。", "Demo mode: pick a user, no password.")),
                self.user_pick,
                self._button("登录 Log in", lambda: self.login(self.user_pick.value), key="login", style="primary")]

    def _screen_home(self):
        w = self.w
        s = self.session
        menu = s.home(self.day)
        grid = w.GridBox([self._button(f"{_MENU_LABEL[r.screen]} ({r.count})", lambda k=r.screen: self._go(k),
                                       key=f"menu_{r.screen}") for r in menu.itertuples()],
                         layout=w.Layout(grid_template_columns="repeat(3, 1fr)", grid_gap="6px", width="100%"))
        grid.add_class("crm-menu")
        return [self._title("操作主界面 Home"), grid, *self._schedule_cards(title=True),
                self._button("退出 Log out", self.logout, key="logout")]

    def _screen_schedule(self):
        w = self.w
        prev = self._button("◀ 前一天", lambda: self._shift(-1), key="prev_day", width="33%")
        today = self._button("今天 Today", lambda: self._shift(None), key="today", width="34%")
        nxt = self._button("后一天 ▶", lambda: self._shift(1), key="next_day", width="33%")
        return [self._title("我的日程 My schedule"), w.HBox([prev, today, nxt], layout=w.Layout(width="100%")),
                *self._schedule_cards(title=False)]

    def _shift(self, days):
        if days is None:
            self.day = None
        else:
            base = self.day or self.crm.now.date()
            self.day = base + dt.timedelta(days=days)
        self.show("schedule")

    def _schedule_cards(self, title: bool):
        w = self.w
        day = self.day or self.crm.now.date()
        f = self.session.schedule(day)
        out = []
        if title:
            out.append(self._title(f"今日日程 Today {day:%m-%d}"))
        else:
            out.append(w.HTML(_note(f"{day:%Y-%m-%d} 周{_WEEKDAY[day.weekday()]}，共 {len(f)} 项")))
        if f.empty:
            out.append(w.HTML(_note("今天没有日程。 Nothing planned.")))
        for r in f.to_dict("records"):
            kind = r.get("doc_type", "")
            label = {"activity": "活动", "task": "任务"}.get(kind, kind)
            button = self._button("签到 Check in", lambda no=r["no"]: self._check_in_for(no), key=f"checkin_{r['no']}")
            out.append(self._card(render("card_schedule", r=r, label=label), button, key=r["no"]))
        return out

    def _check_in_for(self, activity):
        self.checkin_target = activity
        self._go("checkin")

    def _screen_checkin(self):
        w = self.w
        s = self.session
        choices = s.check_in_choices(self.day)
        out = [self._title("位置上报 Check-in")]
        if choices.empty:
            out.append(w.HTML(_note("今天没有可签到的日程。 Nothing to check in at today.")))
        else:
            opts = [(f"{_hhmm(r.get('plan_start'))} {r['subject']} ({r['no']}){' ✓' if r.get('checked_in') else ''}",
                     r["no"])
                    for r in choices.to_dict("records")]
            target = getattr(self, "checkin_target", None)
            value = target if target in set(choices["no"]) else opts[0][1]
            self.checkin_pick = w.Dropdown(options=opts, value=value, description="日程 Item",
                                           layout=w.Layout(width="100%"))
            row = choices[choices["no"] == value].iloc[0]
            place = row.get("customer") or row.get("customer_no") or ""
            self.checkin_place = w.Text(value=f"{place} 现场" if place else "", description="地点 Place",
                                        placeholder="地点 place", layout=w.Layout(width="100%"))
            self.checkin_lat = w.Text(value=f"{DEMO_LAT}", description="纬度 Lat", placeholder="纬度 latitude",
                                      layout=w.Layout(width="100%"))
            self.checkin_lon = w.Text(value=f"{DEMO_LON}", description="经度 Lon", placeholder="经度 longitude",
                                      layout=w.Layout(width="100%"))
            places = {r["no"]: (r.get("customer") or r.get("customer_no") or "") for r in choices.to_dict("records")}

            def _picked(change):
                self.checkin_target = change["new"]
                self.checkin_place.value = f"{places[change['new']]} 现场" if places.get(change["new"]) else ""
            self.checkin_pick.observe(_picked, names="value")
            out += [self.checkin_pick, self.checkin_place, self.checkin_lat, self.checkin_lon,
                    w.HTML(_note("坐标为演示坐标，可修改。 Demo coordinates; edit them if you like.")),
                    self._button("签到 Check in", self._do_check_in, key="do_checkin", style="primary")]
        done = s.check_ins(self.day)
        out.append(self._title(f"今日签到 Check-ins ({len(done)})"))
        for r in done.to_dict("records"):
            out.append(self._card(render("card_checkin", r=r)))
        return out

    def _do_check_in(self):
        no = self.checkin_pick.value
        self.checkin_target = no
        self._act(lambda: self.session.check_in(no, self.checkin_place.value, self.checkin_lat.value,
                                                self.checkin_lon.value),
                  lambda _id: f"签到成功 Checked in at {no} ({self.crm.now:%H:%M})", "checkin")

    def _screen_customers(self):
        out = [self._title("客户 Customers")]
        for r in self.session.customers().to_dict("records"):
            out.append(self._card(render("card_customer", r=r), key=r["no"]))
        return out

    def _screen_activities(self):
        out = [self._title("活动 Activities")]
        f = self.session.activities()
        if f.empty:
            out.append(self.w.HTML(_note("没有活动。 No activities.")))
        for r in f.to_dict("records"):
            out.append(self._card(render("card_activity", r=r), key=r["no"]))
        return out

    def _screen_opportunities(self):
        out = [self._title("商机 Opportunities")]
        f = self.session.opportunities()
        if f.empty:
            out.append(self.w.HTML(_note("没有商机。 No opportunities.")))
        for r in f.to_dict("records"):
            buttons = []
            if r.get("status") == "open":
                buttons.append(self._button("推进阶段 Advance", lambda no=r["no"], v=r.get("version"):
                                            self._act(lambda: self.session.advance(no, v),
                                                      lambda res: f"{no} 已推进到「{res['stage_zh']}」 advanced",
                                                      "opportunities"),
                                            key=f"advance_{r['no']}"))
            prob = r.get("probability")
            prob = f"{prob:.0%}" if isinstance(prob, float) and prob == prob else ""
            rev = r.get("expected_revenue")
            rev = f"¥{rev:,.0f}" if isinstance(rev, float) and rev == rev else ""
            out.append(self._card(render("card_opportunity", r=r, prob=prob, rev=rev), *buttons, key=r["no"]))
        return out

    def _screen_tasks(self):
        out = [self._title("任务 Tasks")]
        f = self.session.tasks()
        if f.empty:
            out.append(self.w.HTML(_note("没有任务。 No tasks.")))
        for r in f.to_dict("records"):
            buttons = []
            if r["can_complete"]:
                buttons.append(self._button("完成 Complete", lambda no=r["no"], v=r.get("version"):
                                            self._act(lambda: self.session.complete_task(no, v),
                                                      f"{no} 已完成 done", "tasks"),
                                            key=f"complete_{r['no']}", style="success"))
            out.append(self._card(render("card_task", r=r), *buttons, key=r["no"]))
        return out


def app_from_env() -> MobileApp:
    """The page over ``$CRMLAB_DB`` (what ``mobile_app.ipynb`` displays)."""
    return MobileApp(open_db())


# --------------------------------------------------------------------------------------------
# Serving (Voila in a subprocess)
# --------------------------------------------------------------------------------------------
def _served_url(db_url) -> str:
    """An absolute database URL for the Voila kernel (its working folder is the notebook's)."""
    if db_url is None:
        db_url = os.environ.get(ENV_DB) or "crmlab_crm.db"
    db_url = str(db_url)
    if db_url in (":memory:", "memory", "sqlite://"):
        return "sqlite://"
    if "://" not in db_url:
        return f"sqlite:///{Path(db_url).expanduser().resolve()}"
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        path = db_url[len("sqlite:///"):]
        if path and not path.startswith(":"):
            return f"sqlite:///{Path(path).expanduser().resolve()}"
    return db_url


def free_port(ip: str = "127.0.0.1") -> int:
    """A free TCP port on ``ip`` (asked from the operating system)."""
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def start(db_url=None, port: int = 8866, *, ip: str = "127.0.0.1", demo: bool = False, clock=None,
          log=None, extra_args=(), notebook=NOTEBOOK) -> subprocess.Popen:
    """Start Voila on :data:`NOTEBOOK` over ``db_url`` in a subprocess and return it at once.

    Every browser tab gets its own kernel (its own logged-in user); all share the database.
    ``demo`` builds the living demo company (:mod:`crmlab.system.demo_company`) into an empty
    database (with ``":memory:"``: a fresh demo company per tab). ``log``: a file object for Voila's
    output (default: inherited). ``notebook``: another dashboard to serve the same way (the CRM
    client's ``crmlab/system/ui/client_app.ipynb``, used by the browser tests).
    """
    url = _served_url(db_url)
    if url == "sqlite://" and not demo:
        raise _err("MEMORY_DB", "an in-memory database cannot be shared with the page; give a file or use demo=True",
                   "内存数据库无法与页面共享：请给出数据库文件，或使用演示模式 demo=True")
    if clock is not None:
        try:
            clock = str(pd.Timestamp(clock))
        except (TypeError, ValueError):
            raise _err("BAD_TIME", f"{clock!r} is not a date/time", f"{clock!r} 不是有效的日期时间") from None
    if url != "sqlite://":                              # fail early on a bad URL; build the demo company once
        from .engine import DEFAULT_CLOCK
        from .engine import open as _open
        if demo:
            from . import demo_company
            demo_company.open(url).close()
        else:
            _open(url, clock=clock or DEFAULT_CLOCK).close()
    env = dict(os.environ)
    env[ENV_DB] = url
    env[ENV_DEMO] = "1" if demo else "0"
    env.pop(ENV_CLOCK, None)
    if clock is not None:
        env[ENV_CLOCK] = clock
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # our template (Voila's lab template without its CDN links) is found on the Jupyter data path
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES), env.get("JUPYTER_PATH", "")) if p)
    notebook = Path(notebook).resolve()
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={int(port)}",
           f"--Voila.ip={ip}", "--Voila.port_retries=0", "--strip_sources=True", "--theme=light",
           f"--template={TEMPLATE}", *[f"--VoilaConfiguration.extension_denylist={e}" for e in NOT_LOADED],
           *extra_args]
    kw = {} if log is None else {"stdout": log, "stderr": subprocess.STDOUT}
    # its own session: stop() ends Voila and every kernel it started as one process group
    return subprocess.Popen(cmd, env=env, cwd=str(notebook.parent), start_new_session=True, **kw)


_PROBE = "/voila/api/themes/@jupyterlab/theme-light-extension/index.css"


def wait_ready(url: str, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    """Wait until the Voila server at ``url`` answers (raise ``TimeoutError`` or, when ``proc``
    ended, ``RuntimeError``)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(bilingual(f"voila exited with code {proc.returncode}", "Voila 已退出"))
        try:
            # a static file of the page's theme: asking for it starts no kernel
            probe = urllib.request.Request(url.rstrip("/") + _PROBE, method="HEAD")
            with urllib.request.urlopen(probe, timeout=2):
                return
        except urllib.error.HTTPError:                 # any HTTP answer means the server is up
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise TimeoutError(bilingual(f"voila did not answer at {url} within {timeout:g} s", f"Voila 未在 {timeout:g} 秒内启动"))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(db_url=None, port: int = 8866, *, ip: str = "127.0.0.1", demo: bool = False, clock=None) -> int:
    """Serve the mobile page until Ctrl-C or SIGTERM: ``http://IP:PORT/`` (blocks; returns Voila's exit code).

    Either signal stops Voila and every kernel it started (nothing is left serving on the port).
    """
    proc = start(db_url, port, ip=ip, demo=demo, clock=clock)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)     # also when started in the background, where SIGINT is ignored
    try:
        wait_ready(f"http://{ip}:{port}", timeout=120, proc=proc)
        print(f"crmlab mobile: http://{ip}:{port}/  (database {_served_url(db_url)}; Ctrl-C to stop / 按 Ctrl-C 停止)",
              flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10) -> int:
    """Stop a Voila process started by :func:`start` and everything it started: SIGTERM to Voila (it
    then shuts its kernels down), SIGKILL after ``timeout`` seconds, then any process left of its
    tree or its process group. Returns Voila's exit code."""
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    code = proc.wait(timeout)
    # Voila shut its kernels down as it stopped; what is still running after a moment is killed
    _, alive = psutil.wait_procs(family, timeout=min(timeout, 3))
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)            # the session start() gave Voila
    return code


def main(argv=None) -> int:
    """``crmlab mobile [DB] [--port N] [--ip IP] [--demo] [--clock TIME]`` (the CLI subcommand)."""
    import argparse
    p = argparse.ArgumentParser(prog="crmlab mobile",
                                description="Serve the mobile CRM page (task 16) with Voila over a database.")
    add_arguments(p)
    args = p.parse_args(argv)
    return run(args)


def add_arguments(p) -> None:
    """Add the ``crmlab mobile`` options to an argparse parser (used by :func:`main` and the CLI)."""
    p.add_argument("db", nargs="?", default=None,
                   help=f"database: a SQLite file or a SQLAlchemy URL (default ${ENV_DB} or crmlab_crm.db)")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 lets phones on the same network in — "
                        "the demo login has no passwords, so only on a trusted classroom network)")
    p.add_argument("--demo", action="store_true",
                   help="build the demo company in its second year into an empty database (演示公司)")
    p.add_argument("--clock", default=None, help="CRM time to use (default: the database's last event)")


def run(args) -> int:
    """Run ``crmlab mobile`` from parsed arguments."""
    return serve(args.db, args.port, ip=args.ip, demo=args.demo, clock=args.clock)


if __name__ == "__main__":  # pragma: no cover - `python -m crmlab.system.mobile crm.db --demo`
    sys.exit(main())
