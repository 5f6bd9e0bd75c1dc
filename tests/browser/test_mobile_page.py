"""The mobile page (task 16) in a real headless browser at phone size (390 × 844).

Voila serves ``crmlab/system/mobile_app.ipynb`` on a free loopback port over a temporary SQLite
demo database (one working day of 张三, see ``mobhelpers.build_day``); Debian's Chromium, driven
by Playwright (``executable_path``, never a downloaded browser), logs in as 张三, reads today's
schedule, checks in at the planned visit, completes the opportunity's task and advances the
opportunity to the next stage. The database is then checked through ``crmlab.system``.
Screenshots go to ``test-artifacts/browser/`` (git-ignored).

Without Chromium (or Playwright/Voila) the test is skipped with the reason — except on CI
(``CI=true``) or with ``CRMLAB_REQUIRE_BROWSER=1``, where a missing browser fails it.
"""
import importlib.util
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from mobhelpers import DAY, build_day

from crmlab import system
from crmlab.system import mobile

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
VIEWPORT = {"width": 390, "height": 844}
CHROMIUM = os.environ.get("CRMLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("CRMLAB_REQUIRE_BROWSER", "") not in ("", "0")
#: Debian's Chromium running as root in a container: no sandbox, no GPU, no network chatter.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
STEP_MS = 30_000                                          # the longest wait for one step of the page


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM:
        missing.append("chromium (Debian: apt-get install chromium)")
    for module in ("playwright", "voila"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"the Python package {module}")
    return missing


def _cjk_font() -> bool:
    """Whether fontconfig knows a Chinese font (else Chromium draws 张三 as boxes, "tofu")."""
    fc = shutil.which("fc-list")
    if fc is None:
        return False
    out = subprocess.run([fc, ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    return bool(out.strip())


def _require_browser():
    missing = _missing()
    if CHROMIUM and not _cjk_font():
        missing.append("a Chinese font for Chromium (Debian: apt-get install fonts-noto-cjk)")
    if missing:
        reason = "the browser test needs " + ", ".join(missing)
        if REQUIRED:
            pytest.fail(f"{reason} (required on CI / CRMLAB_REQUIRE_BROWSER)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Voila on a free port over a fresh demo database; stopped (and killed if need be) at the end."""
    _require_browser()
    folder = tmp_path_factory.mktemp("mobile")
    db = folder / "crm.db"
    crm = system.open(db, demo=True, clock=f"{DAY} 08:00")
    day = build_day(crm)
    crm.close()
    port = mobile.free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "voila.log", "w")
    proc = mobile.start(db, port, log=log)
    try:
        mobile.wait_ready(f"http://127.0.0.1:{port}", timeout=60, proc=proc)
        yield {"url": f"http://127.0.0.1:{port}/", "db": db, **day}
    finally:
        mobile.stop(proc, timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        # Playwright gives every launch a fresh temporary profile (user-data-dir) and adds --headless.
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=STEP_MS)
        try:
            yield b
        finally:
            b.close()


def expect(locator):
    from playwright.sync_api import expect as _expect
    return _expect(locator)


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _card(page, no):
    return page.locator(f".crm-card-{no}")


def test_rep_day_on_a_phone(served, browser):
    t0 = time.monotonic()
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(STEP_MS)
    errors, console, requests = [], [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    try:
        # 1 登录界面: the demo-mode login (no password), pick 张三
        page.goto(served["url"], wait_until="domcontentloaded")
        page.get_by_text("登录界面 Login").wait_for()
        _shot(page, "01_login")
        page.locator(".crm-mobile select").select_option(label="张三（业务员，销售一部）")
        page.get_by_role("button", name="登录 Log in").click()

        # 2 操作主界面 and today's schedule (我的日程): the visit at 10:00, not 李四's visit
        page.get_by_text("操作主界面 Home").wait_for()
        visit = _card(page, served["activity"])
        visit.wait_for()
        assert "上门拜访：机房现状调研" in visit.inner_text() and "10:00" in visit.inner_text()
        assert page.get_by_text("李四的拜访").count() == 0
        assert "张三" in page.locator(".crm-top").inner_text() and DAY in page.locator(".crm-top").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]   # no sideways scroll
        _shot(page, "02_home_schedule")

        # 3 位置上报: check in at the visit with the pre-filled demo coordinates
        visit.get_by_role("button", name="签到 Check in").click()
        page.get_by_text("位置上报 Check-in").wait_for()
        assert page.get_by_placeholder("纬度 latitude").input_value() == str(mobile.DEMO_LAT)
        _shot(page, "03_checkin_form")
        page.get_by_role("button", name="签到 Check in").click()
        page.get_by_text("签到成功").wait_for()
        page.get_by_text("今日签到 Check-ins (1)").wait_for()
        _shot(page, "04_checked_in")

        # 4 客户 and 活动
        page.get_by_role("button", name="主页").click()
        page.get_by_role("button", name="客户 (3)").click()
        page.get_by_text("华东电网科技").first.wait_for()
        _shot(page, "05_customers")
        page.get_by_role("button", name="主页").click()
        page.get_by_role("button", name="活动 (1)").click()
        _card(page, served["activity"]).wait_for()
        _shot(page, "06_activities")

        # 5 商机 and 任务: complete the task, then advance the opportunity 预研阶段 → 制作方案
        page.get_by_role("button", name="任务", exact=True).click()
        task = _card(page, served["task"])
        task.get_by_role("button", name="完成 Complete").click()
        page.get_by_text(f"{served['task']} 已完成").wait_for()
        expect(task.get_by_role("button", name="完成 Complete")).to_have_count(0)
        _shot(page, "07_task_completed")
        page.get_by_role("button", name="商机", exact=True).click()
        opp = _card(page, served["opportunity"])
        assert "预研阶段" in opp.inner_text()
        opp.get_by_role("button", name="推进阶段 Advance").click()
        page.get_by_text("已推进到「制作方案」").wait_for()
        _card(page, served["opportunity"]).get_by_text("制作方案").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        _shot(page, "08_opportunity_advanced")
    except Exception:
        _shot(page, "99_failure")
        raise
    finally:
        context.close()
    assert not errors, errors
    assert not console, console                    # e.g. JupyterLab extensions the page cannot load
    # offline: every asset comes from the page's own server (no CDN)
    outside = [u for u in requests if not u.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))]
    assert not outside, outside
    assert time.monotonic() - t0 < 75

    # The database, read back through crmlab.system (a fresh connection): what the page did is stored.
    crm = system.open(served["db"])
    try:
        checks = crm.table("check_ins")
        assert len(checks) == 1
        row = checks.iloc[0]
        assert row["doc_no"] == served["activity"] and row["user_login"] == "zhangsan" and row["place"] == "华东电网科技 现场"
        assert abs(row["lat"] - mobile.DEMO_LAT) < 1e-9 and abs(row["lon"] - mobile.DEMO_LON) < 1e-9
        assert crm.status(served["task"], lang="en") == "done"
        assert crm.doc(served["opportunity"])["stage"] == "proposal"
        log = crm.audit_log(user="zhangsan")
        assert {"check_in", "complete_task", "advance"} <= set(log["action"])
        assert crm.check_invariants() == []
    finally:
        crm.close()
