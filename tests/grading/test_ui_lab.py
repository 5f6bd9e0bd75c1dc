"""Lab 04·05 (任务12–15 操作界面) graded end to end: exercises 2–4 done by clicking in the CRM
client live in the ``ui_lab.db`` beside the notebook, travel with the submission and are what
`crmlab grade` sees.

Students: one who clicked exercises 2–4 in the client (copying the red text of exercise 4 into
``qty_error``) and answered the other exercises in code (full marks), one who only clicked (the
notebook unchanged: not skipped as unattempted), one who did the
same steps at the desk in code (not in the client: no points for them), one who faked the channel
with a database tool (the hash chain notices: no points, and the feedback says why), one who forgot
the file."""
import sqlite3
from pathlib import Path

import nbformat
import pytest

from crmlab import grading
from crmlab.system import ui, ui_lab

ROOT = Path(__file__).resolve().parents[2]
LAB, NAME = "04_system", "05_crm_user_interface"
CLICKED = ("q2", "q3", "q4")
POINTS = {"q2": 4, "q3": 3, "q4": 2}      # q4-visible also wants qty_error
#: what a student who clicks types into an answer cell: the red text seen in the client
TYPED = {"q4-answer": ("qty_error = None", 'qty_error = "请输入数字 / enter a number"')}

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_sandbox")]


def _clicks(path: Path, channel: str = "ui") -> None:
    """Exercises 2–4 in the database file, as the client (or the desk) would do them."""
    crm = ui_lab.open_file(path)
    day = ui_lab.facts(crm)
    if channel == "ui":
        client = ui.app(crm, "zhangsan")
        client.open("lead", day["lead"]).fill(new_customer=True, new_contact=True).click("convert")
        customer = ui_lab.facts(crm)["customer"]
        client.switch_user("lijingli")
        form = client.open("customer", customer)
        assert "✓" in form.click("audit") and "✓" in form.click("trading")
        client.switch_user("zhangsan")
        form = client.open("opportunity", ui_lab.facts(crm)["opportunity"])
        form.fill(expected_close="2024-06-30", interest="high", need="替换老旧服务器并加固边界安全",
                  product="R740", qty="两台", price=48000).click("save")
        assert "请输入数字" in form.field_errors()["qty"]
        assert "✓" in form.fill(qty=2).click("save")
        assert "✓" in form.fill(product="FW-3000", qty=1, price=36000).click("save")
    else:
        crm.login("zhangsan").convert_lead(day["lead"], new_customer=True, new_contact=True)
        customer = ui_lab.facts(crm)["customer"]
        crm.login("lijingli").audit(customer)
        crm.login("lijingli").set_trading(customer)
        zs, opp = crm.login("zhangsan"), ui_lab.facts(crm)["opportunity"]
        zs.set_potential(opp, expected_close="2024-06-30", interest="高", need="替换老旧服务器并加固边界安全")
        zs.add_interest(opp, "R740", qty=2, price=48000)
        zs.add_interest(opp, "FW-3000", qty=1, price=36000)
    crm.close()


def _solution_answers() -> dict:
    """The solution's answer cells (markers dropped), by grade id."""
    nb = nbformat.read(ROOT / "solutions" / LAB / f"{NAME}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def _notebook(answered: bool):
    nb = nbformat.read(ROOT / "labs" / LAB / f"{NAME}.ipynb", as_version=4)
    if answered:
        answers = _solution_answers()
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if gid in TYPED:
                cell.source = cell.source.replace(*TYPED[gid], 1)
            elif gid in answers and not gid.startswith(CLICKED):
                cell.source = answers[gid]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("class")
    students = {"clicked": (True, "ui"), "only_clicked": (False, "ui"), "at_the_desk": (True, "desk"),
                "forged": (True, "desk"), "no_file": (True, None)}
    for student, (answered, channel) in students.items():
        folder = subs / student
        folder.mkdir()
        nbformat.write(_notebook(answered), folder / f"{NAME}.ipynb")
        if channel:
            _clicks(folder / ui_lab.LAB_DB, channel)
    con = sqlite3.connect(subs / "forged" / ui_lab.LAB_DB)     # a database browser: desk → ui
    con.execute("UPDATE audit_log SET channel = 'ui' WHERE action IN ('convert_lead', 'audit', 'set_trading', 'set_potential', 'add_interest')")
    con.commit()
    con.close()
    before = {p: p.read_bytes() for p in subs.rglob("*.db")}
    out = tmp_path_factory.mktemp("grades")
    grading.grade_class(LAB, subs, out, workers=2, progress=False)
    rows = grading.load_results(out, LAB)
    return {"subs": subs, "out": out, "before": before, "results": rows}


def _points(graded, student) -> tuple[dict, dict]:
    result = graded["results"][student]
    nb = next(n for n in result["notebooks"] if n["notebook"] == NAME)
    return {c["grade_id"]: c["points"] for c in nb["cells"]}, nb


def _exercise(points, q) -> float:
    return points[f"{q}-visible"] + points[f"{q}-hidden"]


def test_the_clicks_saved_in_the_file_earn_full_marks(graded):
    points, nb = _points(graded, "clicked")
    assert sum(points.values()) == 25, (points, nb["problems"])


def test_a_notebook_left_as_released_is_graded_when_its_file_holds_clicks(graded):
    points, _ = _points(graded, "only_clicked")
    assert {q: _exercise(points, q) for q in CLICKED} == POINTS
    assert sum(v for k, v in points.items() if not k.startswith(CLICKED)) == 0


def test_steps_done_at_the_desk_do_not_count_as_clicks(graded):
    points, _ = _points(graded, "at_the_desk")
    assert all(_exercise(points, q) == 0 for q in CLICKED)
    assert points["q1-visible"] + points["q1-hidden"] == 3


def test_a_log_edited_with_a_database_tool_earns_nothing_and_says_why(graded):
    points, _ = _points(graded, "forged")
    assert all(_exercise(points, q) == 0 for q in CLICKED)
    page = (graded["out"] / LAB / "feedback" / "forged" / f"{NAME}.html").read_text(encoding="utf-8")
    assert "审计日志" in page and "改动" in page


def test_a_missing_file_is_noted(graded):
    points, nb = _points(graded, "no_file")
    assert all(_exercise(points, q) == 0 for q in CLICKED)
    assert any(ui_lab.LAB_DB in p for p in nb["problems"])


def test_grading_changes_no_submitted_file(graded):
    assert {p: p.read_bytes() for p in graded["subs"].rglob("*.db")} == graded["before"]
