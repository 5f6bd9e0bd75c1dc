"""The mobile page's logic (task 16) without a browser: MobileSession, the widget page driven by
``button.click()``, and the serving helpers. The browser test is test_mobile_page.py."""
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy.exc
from mobhelpers import DAY, build_day

from crmlab import system
from crmlab.system import mobile


# -- the textbook's screens -------------------------------------------------------------------------
def test_screens_are_the_textbooks_five_groups():
    assert mobile.SCREENS["textbook_group"].tolist() == [1, 2, 2, 3, 4, 4, 5, 5]
    assert mobile.SCREENS["zh"].tolist() == ["登录界面", "操作主界面", "我的日程", "位置上报", "客户", "活动", "商机", "任务"]
    assert mobile.NOTEBOOK.is_file()


def test_notebook_only_displays_the_app():
    import nbformat
    nb = nbformat.read(mobile.NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and "mobile.app_from_env()" in code[0]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


# -- the database and the clock --------------------------------------------------------------------
def test_open_db_from_environment_resumes_the_clock(tmp_path, monkeypatch):
    path = tmp_path / "crm.db"
    crm = system.open(path, demo=True, clock=f"{DAY} 08:00")
    build_day(crm)
    last = crm.now
    crm.close()
    monkeypatch.setenv(mobile.ENV_DB, str(path))
    monkeypatch.delenv(mobile.ENV_CLOCK, raising=False)
    again = mobile.open_db()
    assert again.now == last                                 # the saved clock: it resumes where it was
    again.close()
    monkeypatch.setenv(mobile.ENV_CLOCK, f"{DAY} 17:00")
    late = mobile.open_db()
    assert str(late.now) == f"{DAY} 17:00:00"
    late.close()


def test_open_db_demo_flag_from_environment(monkeypatch):
    monkeypatch.setenv(mobile.ENV_DEMO, "1")
    crm = mobile.open_db(":memory:")
    assert "zhangsan" in set(mobile.login_choices(crm)["login"])
    monkeypatch.setenv(mobile.ENV_DEMO, "0")
    empty = mobile.open_db(":memory:")
    assert mobile.login_choices(empty).empty


def test_resume_clock_never_moves_back(crm):
    crm.set_clock(f"{DAY} 18:00")
    assert str(mobile.resume_clock(crm)) == f"{DAY} 18:00:00"


def test_actions_catch_up_with_work_done_later_elsewhere(tmp_path):
    """The page's process opened the database at 08:10; a notebook then works until 15:00 and
    creates a task. Completing it on the page must not be refused as "ends before it starts"."""
    path = tmp_path / "crm.db"
    desk_crm = system.open(path, demo=True, clock=f"{DAY} 08:00")
    day = build_day(desk_crm)
    page = mobile.open_db(str(path))
    desk_crm.set_clock(f"{DAY} 15:00")
    late = desk_crm.login("zhangsan").new_task(day["opportunity"], "下午补充任务")
    desk_crm.login("zhangsan").assign_task(late, "zhangsan")
    me = mobile.MobileSession(page, "zhangsan")
    assert me.complete_task(late) == "done"
    assert str(page.now) == f"{DAY} 15:00:00"
    page.close()
    desk_crm.close()


def test_login_choices_leave_out_inactive_users(crm):
    import sqlalchemy as sa

    from crmlab.system import models as m
    crm.login("admin").add_user("old", "老员工", "sales_rep", dept="D01")
    with crm.engine.begin() as con:                     # no action deactivates a user: set the flag
        con.execute(sa.update(m.User).where(m.User.login == "old").values(active=False))
    users = mobile.login_choices(crm)
    assert list(users.columns) == ["login", "name", "role_zh", "dept"]
    assert "old" not in set(users["login"])
    assert users.set_index("login").loc["zhangsan", "name"] == "张三"


# -- MobileSession ------------------------------------------------------------------------------------
def test_schedule_is_the_engines_my_schedule(crm):
    me = mobile.MobileSession(crm, "zhangsan")
    f = me.schedule()
    ref = crm.login("zhangsan").my_schedule(crm.now.date())
    assert f["no"].tolist() == ref["no"].tolist()
    assert crm.day["activity"] in set(f["no"]) and crm.day["other_activity"] not in set(f["no"])
    assert me.schedule("2024-03-05").empty                   # nothing planned the next day
    with pytest.raises(ValueError, match="不是有效日期"):
        me.schedule("next tuesday")


def test_home_menu_counts(crm):
    home = mobile.MobileSession(crm, "zhangsan").home().set_index("screen")
    assert list(home.index) == ["schedule", "checkin", "customers", "activities", "opportunities", "tasks"]
    assert home.loc["schedule", "count"] == 2 and home.loc["checkin", "count"] == 2
    assert home.loc["opportunities", "count"] == 1
    assert home.loc["tasks", "count"] == 1 and home.loc["customers", "count"] == 3


def test_check_in_stores_a_row(crm):
    me = mobile.MobileSession(crm, "zhangsan")
    me.check_in(crm.day["activity"], "华东电网科技 机房", "31.2304", 121.4737)
    rows = me.check_ins()
    assert len(rows) == 1
    assert rows.iloc[0]["place"] == "华东电网科技 机房"
    assert abs(rows.iloc[0]["lat"] - 31.2304) < 1e-9 and abs(rows.iloc[0]["lon"] - 121.4737) < 1e-9
    assert mobile.MobileSession(crm, "lisi").check_ins().empty


@pytest.mark.parametrize("place, lat, lon, message", [
    ("", 31.2, 121.4, "签到地点不能为空"),
    ("  ", 31.2, 121.4, "签到地点不能为空"),
    (None, 31.2, 121.4, "签到地点不能为空"),
    ("机房", "", 121.4, "纬度"),
    ("机房", "abc", 121.4, "纬度"),
    ("机房", 91, 121.4, "纬度"),
    ("机房", 31.2, None, "经度"),
    ("机房", 31.2, -180.5, "经度"),
    ("机房", float("nan"), 121.4, "纬度"),
])
def test_bad_check_in_is_refused_and_changes_nothing(crm, place, lat, lon, message):
    me = mobile.MobileSession(crm, "zhangsan")
    with pytest.raises(ValueError, match=message):
        me.check_in(crm.day["activity"], place, lat, lon)
    assert me.check_ins("all").empty


def test_check_in_at_someone_elses_activity_is_refused(crm):
    me = mobile.MobileSession(crm, "zhangsan")
    with pytest.raises(system.CRMError):
        me.check_in(crm.day["other_activity"], "北方重型", 39.9, 116.4)
    assert me.check_ins("all").empty


def test_lists_respect_the_record_rules(crm):
    zs, ls = mobile.MobileSession(crm, "zhangsan"), mobile.MobileSession(crm, "lisi")
    assert zs.opportunities()["no"].tolist() == [crm.day["opportunity"]]
    assert crm.day["opportunity"] not in set(ls.opportunities()["no"])
    assert crm.day["activity"] in set(zs.activities()["no"])
    assert crm.day["activity"] not in set(ls.activities()["no"])
    opp = zs.opportunities().iloc[0]
    assert (opp["stage_zh"], opp["probability"], opp["expected_revenue"]) == ("预研阶段", 0.25, 96_000.0)
    boss = mobile.MobileSession(crm, "wangzong")              # the director sees every opportunity
    assert {crm.day["opportunity"]} <= set(boss.opportunities()["no"])


def test_complete_task_then_advance(crm):
    me = mobile.MobileSession(crm, "zhangsan")
    tasks = me.tasks()
    row = tasks[tasks["no"] == crm.day["task"]].iloc[0]
    assert row["can_complete"] and row["executor"] == "zhangsan"
    assert me.complete_task(row["no"], row.get("version")) == "done"
    assert crm.status(row["no"], lang="en") == "done"
    assert not me.tasks().set_index("no").loc[row["no"], "can_complete"]
    opp = me.opportunities().iloc[0]
    dialog = me.advance(opp["no"], opp.get("version"))
    assert dialog["stage_zh"] == "制作方案"
    assert crm.doc(crm.day["opportunity"])["stage"] == "proposal"


def test_advance_without_the_task_is_refused(crm):
    me = mobile.MobileSession(crm, "zhangsan")
    with pytest.raises(system.ConditionsNotMet):
        me.advance(crm.day["opportunity"])
    assert crm.doc(crm.day["opportunity"])["stage"] == "pre_study"


def test_stale_version_is_refused(crm):
    me = mobile.MobileSession(crm, "zhangsan")
    seen = me.tasks().set_index("no").loc[crm.day["task"], "version"]
    crm.login("zhangsan").add_task_process(crm.day["task"], "已联系机房负责人")   # changed elsewhere meanwhile
    with pytest.raises(system.StaleRecord):
        me.complete_task(crm.day["task"], seen)
    assert crm.status(crm.day["task"], lang="en") == "in_progress"


def test_only_the_executor_can_complete(crm):
    boss = mobile.MobileSession(crm, "lijingli")
    with pytest.raises(system.PermissionDenied):
        boss.complete_task(crm.day["task"])
    assert crm.status(crm.day["task"], lang="en") == "in_progress"


def test_executor_sees_tasks_assigned_by_others(crm):
    task = crm.login("zhangsan").new_task(crm.day["opportunity"], "准备方案初稿")
    crm.login("zhangsan").assign_task(task, "lisi")       # 张三 owns the task, 李四 executes it
    row = mobile.MobileSession(crm, "lisi").tasks().set_index("no").loc[task]
    assert row["can_complete"] and row["executor"] == "lisi"


# -- the widget page, driven from Python -------------------------------------------------------------
def _texts(widget) -> str:
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if hasattr(w, "value") and isinstance(w.value, str):
            out.append(w.value)
        if hasattr(w, "description") and isinstance(w.description, str):
            out.append(w.description)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(out)


def test_page_login_home_and_navigation(crm):
    app = mobile.MobileApp(crm)
    assert app.screen == "login" and "演示模式" in _texts(app.widget)
    app.user_pick.value = "zhangsan"
    app.buttons["login"].click()
    assert app.screen == "home"
    text = _texts(app.widget)
    assert "张三" in text and "操作主界面" in text and "上门拜访：机房现状调研" in text and "李四的拜访" not in text
    assert f"{DAY}" in app.header.value
    for key in ("customers", "activities", "opportunities", "tasks", "schedule", "checkin"):
        app.buttons[f"menu_{key}"].click()
        assert app.screen == key
        app.buttons["nav_home"].click()
    app.buttons["logout"].click()
    assert app.screen == "login" and app.session is None


def test_page_login_as_unknown_user_stays_on_login(crm):
    app = mobile.MobileApp(crm)
    app.login("nobody")
    assert app.screen == "login" and app.session is None and "找不到用户" in app.message.value


def test_page_schedule_day_navigation(crm):
    app = mobile.MobileApp(crm)
    app.login("zhangsan")
    app.show("schedule")
    app.buttons["next_day"].click()
    assert "2024-03-05" in _texts(app.body) and "上门拜访" not in _texts(app.body)
    app.buttons["today"].click()
    assert "上门拜访" in _texts(app.body)


def test_page_check_in_flow(crm):
    app = mobile.MobileApp(crm)
    app.login("zhangsan")
    app.buttons[f"checkin_{crm.day['activity']}"].click()
    assert app.screen == "checkin" and app.checkin_pick.value == crm.day["activity"]
    assert app.checkin_lat.value == str(mobile.DEMO_LAT)
    app.checkin_lat.value = "north"                      # bad input: a red message, nothing stored
    app.buttons["do_checkin"].click()
    assert "crm-msg-err" in app.message.value and "纬度" in app.message.value
    assert app.session.check_ins().empty
    app.checkin_lat.value = "31.2304"
    app.buttons["do_checkin"].click()
    assert "签到成功" in app.message.value
    assert len(app.session.check_ins()) == 1
    assert "今日签到 Check-ins (1)" in _texts(app.body)


def test_page_complete_and_advance(crm):
    app = mobile.MobileApp(crm)
    app.login("zhangsan")
    app.show("opportunities")
    app.buttons[f"advance_{crm.day['opportunity']}"].click()  # the task is not done yet: refused
    assert "crm-msg-err" in app.message.value and crm.doc(crm.day["opportunity"])["stage"] == "pre_study"
    app.show("tasks")
    app.buttons[f"complete_{crm.day['task']}"].click()
    assert "已完成" in app.message.value and crm.status(crm.day["task"], lang="en") == "done"
    assert f"complete_{crm.day['task']}" not in app.buttons
    app.show("opportunities")
    app.buttons[f"advance_{crm.day['opportunity']}"].click()
    assert "制作方案" in app.message.value and crm.doc(crm.day["opportunity"])["stage"] == "proposal"


def test_page_refuses_a_stale_screen(crm):
    """张三 adds a process line from his desk after the page drew his task list: 完成 is refused with the
    bilingual optimistic-locking message, the task stays 执行中, the list is redrawn (new version)."""
    app = mobile.MobileApp(crm)
    app.login("zhangsan")
    app.show("tasks")
    crm.login("zhangsan").add_task_process(crm.day["task"], "已联系机房负责人")
    app.buttons[f"complete_{crm.day['task']}"].click()
    assert "crm-msg-err" in app.message.value and "请刷新后重试" in app.message.value
    assert crm.status(crm.day["task"], lang="en") == "in_progress"
    app.buttons[f"complete_{crm.day['task']}"].click()          # the redrawn screen has the new version
    assert crm.status(crm.day["task"], lang="en") == "done"


def test_page_escapes_user_text(crm):
    zs = crm.login("zhangsan")
    zs.new_activity(crm.day["opportunity"], "<img src=x onerror=alert(1)>", plan_start=f"{DAY} 11:00")
    app = mobile.MobileApp(crm)
    app.login("zhangsan")
    assert "<img" not in _texts(app.body) and "&lt;img" in _texts(app.body)


SCRIPT = "<script>alert(1)</script> & 合作"


def test_page_html_escapes_customer_names_and_notes(crm):
    """The page's HTML comes from autoescaping jinja2 templates: a customer named ``<script>…`` and a
    check-in note typed by a student are shown as text (``&lt;script&gt;``, ``&amp;``), never run."""
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 合作"
    zs = crm.login("zhangsan")
    zs.new_customer(SCRIPT, region=SCRIPT)
    app = mobile.MobileApp(crm)
    app.login("zhangsan")
    app.show("customers")
    html = _texts(app.body)
    assert f"<b>{escaped}</b>" in html and f" · {escaped} · " in html
    assert "<script>" not in html and " & " not in html
    app.show("checkin")                                   # a note (place) typed on the page
    app.checkin_place.value = SCRIPT
    app.buttons["do_checkin"].click()
    assert "签到成功" in app.message.value
    html = _texts(app.body)
    assert f"</b> {escaped}<div class='crm-sub'>" in html and "<script>" not in html
    # the message line and the header escape too
    app.say(SCRIPT, ok=False)
    assert app.message.value == f'<div class="crm-msg-err">{escaped}</div>'
    assert mobile.render("card_customer", r={"name": SCRIPT, "no": "A&B", "industry": None,
                                             "region": float("nan")}) == (
        f"<b>{escaped}</b><div class='crm-sub'>A&amp;B ·  ·  · </div>")


def test_page_unknown_screen_and_logged_out(crm):
    app = mobile.MobileApp(crm)
    with pytest.raises(ValueError, match="未知的界面"):
        app.show("settings")
    app.show("tasks")                                    # not logged in: stays on the login screen
    assert app.screen == "login"


def test_page_without_users(tmp_path):
    app = mobile.MobileApp(system.open(":memory:"))
    assert "没有用户" in _texts(app.widget)


# -- serving helpers -----------------------------------------------------------------------------------
def test_served_url_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert mobile._served_url("crm.db") == f"sqlite:///{tmp_path / 'crm.db'}"
    assert mobile._served_url("sqlite:///crm.db") == f"sqlite:///{tmp_path / 'crm.db'}"
    assert mobile._served_url(f"sqlite:///{tmp_path}/a.db") == f"sqlite:///{tmp_path}/a.db"
    pg = "postgresql+psycopg://u@127.0.0.1:5432/crm"
    assert mobile._served_url(pg) == pg
    assert mobile._served_url(":memory:") == "sqlite://"


def test_start_refuses_bad_input_before_starting_voila(tmp_path):
    with pytest.raises(ValueError, match="内存数据库"):
        mobile.start(":memory:")
    with pytest.raises(ValueError, match="不是有效的日期时间"):
        mobile.start(tmp_path / "crm.db", clock="soon")
    with pytest.raises(sqlalchemy.exc.OperationalError):     # a folder that does not exist
        mobile.start(tmp_path / "missing" / "crm.db")
    assert not (tmp_path / "crm.db").exists()


def test_cli_arguments():
    import argparse
    p = argparse.ArgumentParser()
    mobile.add_arguments(p)
    args = p.parse_args(["crm.db", "--port", "9000", "--demo", "--clock", f"{DAY} 08:00"])
    assert (args.db, args.port, args.ip, args.demo, args.clock) == ("crm.db", 9000, "127.0.0.1", True, f"{DAY} 08:00")


def test_free_port_is_free():
    import socket
    port = mobile.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_wait_ready_times_out_quickly():
    port = mobile.free_port()
    with pytest.raises(TimeoutError, match="Voila"):
        mobile.wait_ready(f"http://127.0.0.1:{port}", timeout=0.5)


def test_repo_ignores_the_artifacts():
    root = Path(__file__).resolve().parents[2]
    assert "/test-artifacts/" in (root / ".gitignore").read_text().splitlines()


def test_rep_day_on_each_backend(db_url):
    """The same day on SQLite and PostgreSQL (the root ``db_url`` fixture)."""
    crm = system.open(db_url, demo=True, clock=f"{DAY} 08:00")
    try:
        day = build_day(crm)
        me = mobile.MobileSession(crm, "zhangsan")
        assert me.schedule()["no"].tolist() == [day["activity"], day["task"]]
        me.check_in(day["activity"], "华东电网科技 现场", mobile.DEMO_LAT, mobile.DEMO_LON)
        me.complete_task(day["task"], me.tasks().set_index("no").loc[day["task"], "version"])
        me.advance(day["opportunity"], me.opportunities().set_index("no").loc[day["opportunity"], "version"])
        assert len(me.check_ins()) == 1 and me.schedule()["checked_in"].tolist() == [True, False]
        assert crm.doc(day["opportunity"])["stage"] == "proposal" and crm.check_invariants() == []
    finally:
        crm.close()
