"""Lab 04·05's clicks in a real browser: Voila serves the CRM client over a ``ui_lab.db``
(:func:`crmlab.system.ui_lab.serve`), Debian's Chromium (Playwright) clicks exercise 2 (张三 converts
the lead, ticking 新增客户 and 新增联系人), exercise 3 (李经理 audits the new customer and makes it a
trading customer) and exercise 4 (张三 fills in the 潜在机会 tab: the quantity typed as 两台 is marked
in red, then two interest lines), and the lab's own graded test cells for these exercises then pass on that file,
read as the notebook reads it (:func:`crmlab.system.ui_lab.open_lab`). Screenshots go to
``test-artifacts/browser/ui_lab/`` (git-ignored). Skipped like the other browser tests when Chromium,
Playwright, Voila or a Chinese font is missing.
"""
import re
import time
from pathlib import Path

import nbformat
import pytest
from test_demo_screens import _item, _section
from test_mobile_page import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _require_browser

from crmlab import check, system
from crmlab.system import mobile, ui, ui_lab

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "04_system" / "05_crm_user_interface.ipynb"
SHOTS = ARTIFACTS / "ui_lab"
STEP_MS = 60_000


def _open_menu(page, target):
    item = page.get_by_role("button", name=_item(target), exact=True)
    if not item.is_visible():
        page.get_by_text(_section(target), exact=True).click()
    item.click()


def _open_record(page, label):
    page.locator("select").filter(has_text=label).select_option(label=label)
    page.get_by_role("button", name="打开", exact=True).click()


def _click(page, button, done):
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_text(done).wait_for()


def _line(page, product, qty, price):
    """Type an interest line into the 潜在机会 tab (None: leave that field as it is)."""
    if product:
        page.get_by_label("兴趣产品").select_option(label=product)
    page.get_by_label("数量", exact=True).fill(qty)
    if price:
        page.get_by_label("单价", exact=True).fill(price)
    time.sleep(0.3)                                  # let the typed values reach the kernel


def _wait_lines(db, n, timeout=60):
    """Wait until the file holds ``n`` interest lines of the lab's opportunity (the click is done)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        crm = ui_lab.open_lab(db)
        opp = ui_lab.facts(crm)["opportunity"]
        if len(crm.lines(opp)) >= n:
            return
        time.sleep(0.5)
    raise AssertionError(f"{n} interest line(s) not saved in {db}")


def _shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def clicked(tmp_path_factory):
    """A ui_lab.db after exercises 2–4 were clicked in the served client."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    db = tmp_path_factory.mktemp("student") / ui_lab.LAB_DB
    log = open(SHOTS / "voila.log", "w")
    proc, url = ui_lab.serve(db, log=log)
    try:
        mobile.wait_ready(url, timeout=120, proc=proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=STEP_MS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page.set_default_timeout(STEP_MS)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            try:
                page.goto(url, wait_until="domcontentloaded")
                page.get_by_text("所有功能 → 客户关系管理").wait_for()
                _open_menu(page, "lead")                                   # 练习 2, as 张三
                _open_record(page, f"XS000001 {ui_lab.LEAD['subject']}")
                page.get_by_role("tab", name="转化").click()
                page.get_by_label("新增客户").check()
                page.get_by_label("新增联系人").check()
                _click(page, "转化", re.compile("转化成功"))
                _shot(page, "01_converted")
                page.get_by_label("用户", exact=True).select_option(label="李经理 (lijingli)")
                time.sleep(0.5)
                _open_menu(page, "customer")                               # 练习 3, as 李经理
                _open_record(page, "KH000007 江南重工集团")
                _click(page, "审核", re.compile("审核成功"))
                _click(page, "交易客户", re.compile("交易客户成功"))
                _shot(page, "02_audited")
                page.get_by_label("用户", exact=True).select_option(label="张三 (zhangsan)")
                time.sleep(0.5)
                _open_menu(page, "opportunity")                            # 练习 4, as 张三
                _open_record(page, f"SJ000001 {ui_lab.LEAD['subject']}")
                page.get_by_role("tab", name="潜在机会").click()
                page.get_by_label("预计成交日期").fill("2024-06-30")
                page.get_by_label("兴趣大小").select_option(label="高")
                page.get_by_label("需求描述").fill("替换老旧服务器并加固边界安全")
                _line(page, "R740 R740 机架式服务器", "两台", "48000")
                _click(page, "保存", re.compile("请输入数字"))
                _shot(page, "03_qty_in_red")
                _line(page, None, "2", None)
                page.get_by_role("button", name="保存", exact=True).click()
                _wait_lines(db, 1)
                _line(page, "FW-3000 FW-3000 下一代防火墙", "1", "36000")
                page.get_by_role("button", name="保存", exact=True).click()
                _wait_lines(db, 2)
                _shot(page, "04_two_lines")
            except Exception:
                _shot(page, "99_failure")
                raise
            finally:
                browser.close()
        assert not errors, errors
    finally:
        mobile.stop(proc, timeout=10)
        log.close()
    return db


def _test_cells(prefix):
    nb = nbformat.read(SOLUTION, as_version=4)
    return [c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(prefix)
            and c.metadata["nbgrader"].get("points")]


@pytest.mark.parametrize("exercise", ["q2", "q3", "q4"])
def test_the_clicks_pass_the_labs_graded_tests(clicked, exercise):
    from crmlab import shortcuts

    shortcuts.forget()          # as a fresh kernel: what other tests of this process computed is not the student's
    crm = ui_lab.open_lab(clicked)
    day = ui_lab.facts(crm)
    scope = {"crm": crm, "check": check, "system": system, "ui": ui, "ui_lab": ui_lab,
             "lead_no": day["lead"], "opp_no": day["opportunity"], "customer_no": day["customer"],
             "qty_error": "请输入数字 / enter a number"}                     # the red text, copied by the student
    cells = _test_cells(exercise)
    assert len(cells) == 2
    for source in cells:
        exec(compile(source, f"{exercise} test cell", "exec"), scope)
    log = crm.audit_log(user="lijingli")
    assert set(log[log["action"].isin(["audit", "set_trading"])]["channel"]) == {"ui"}
