"""Lab 04·06 (task 16) done the way a student does it: Debian's Chromium taps through 张三's field day
on the phone page over the lab's own ``mobile_lab.db``, and `crmlab check` then grades the student's
notebook lying beside that file — the taps earn the points of exercises 2–4 (the notebook itself has
no code for them). Screenshots go to ``test-artifacts/browser/mobile_lab/``."""
from pathlib import Path

import nbformat
import pytest
from test_mobile_page import CHROMIUM, CHROMIUM_ARGS, STEP_MS, VIEWPORT, _require_browser

from crmlab import selfcheck
from crmlab.system import mobile, mobile_lab

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser" / "mobile_lab"
NAME = "06_mobile_crm"

pytestmark = pytest.mark.usefixtures("require_sandbox")     # the grading sandbox (root conftest)


@pytest.fixture(scope="module")
def lab_folder(tmp_path_factory):
    """A student's copy of the lab: the released notebook (exercise 1 answered) and the day's database."""
    _require_browser()
    folder = tmp_path_factory.mktemp("student") / "04_system"
    folder.mkdir()
    nb = nbformat.read(ROOT / "labs" / "04_system" / f"{NAME}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer":
            cell.source = 'n_visits = 2\nfirst_customer = "华东电网科技"'
    nbformat.write(nb, folder / f"{NAME}.ipynb")
    mobile_lab.build(f"sqlite:///{folder / mobile_lab.LAB_DB}").close()
    return folder


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_day_tapped_on_the_phone_is_graded(lab_folder):
    from playwright.sync_api import sync_playwright

    db = lab_folder / mobile_lab.LAB_DB
    day = mobile_lab.facts(mobile_lab.open_lab(db))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = mobile.free_port()
    log = open(ARTIFACTS / "voila.log", "w")
    proc = mobile.start(db, port, log=log)
    try:
        mobile.wait_ready(f"http://127.0.0.1:{port}", timeout=60, proc=proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                         timeout=STEP_MS)
            context = browser.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(STEP_MS)
            try:
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
                page.get_by_text("登录界面 Login").wait_for()
                page.locator(".crm-mobile select").select_option(label="张三（业务员，销售一部）")
                page.get_by_role("button", name="登录 Log in").click()
                page.get_by_text("操作主界面 Home").wait_for()
                visit = page.locator(f".crm-card-{day['visit']}")
                visit.wait_for()
                _shot(page, "01_schedule")
                visit.get_by_role("button", name="签到 Check in").click()
                page.get_by_text("位置上报 Check-in").wait_for()
                page.get_by_role("button", name="签到 Check in").click()
                page.get_by_text("签到成功").wait_for()
                _shot(page, "02_checked_in")
                page.get_by_role("button", name="任务", exact=True).click()
                page.locator(f".crm-card-{day['task']}").get_by_role("button", name="完成 Complete").click()
                page.get_by_text(f"{day['task']} 已完成").wait_for()
                page.get_by_role("button", name="商机", exact=True).click()
                page.locator(f".crm-card-{day['opportunity']}").get_by_role("button", name="推进阶段 Advance").click()
                page.get_by_text("已推进到「制作方案」").wait_for()
                _shot(page, "03_advanced")
            except Exception:
                _shot(page, "99_failure")
                raise
            finally:
                context.close()
                browser.close()
    finally:
        mobile.stop(proc, timeout=10)
        log.close()

    result = selfcheck.check_notebook(lab_folder / f"{NAME}.ipynb", root=ROOT)
    points = {c["grade_id"]: c["points"] for c in result.cells}
    assert result.points == result.max_points == 14, (points, result.problems)
