"""Lab 04·06 (task 16) graded end to end: the work a student does on the phone page lives in the
``mobile_lab.db`` beside the notebook, travels with the submission and is what `crmlab grade` sees.

Students: one who tapped through the day on the page (and answered exercise 1), one who only tapped
(the notebook unchanged: not skipped as unattempted), one who did the steps at the desk in code
(not on the phone: no points for them), one who faked the channel with a database tool (the hash
chain notices: no points, and the feedback says why), one who forgot the file."""
import shutil
import sqlite3
from pathlib import Path

import nbformat
import pytest

from crmlab import grading
from crmlab.system import engine, mobile, mobile_lab

ROOT = Path(__file__).resolve().parents[2]
LAB, NAME = "04_system", "06_mobile_crm"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_sandbox")]


def _day(path: Path, channel: str = "mobile") -> None:
    """Work the day in the database file as the page (or the desk) would."""
    mobile_lab.build(f"sqlite:///{path}").close()
    crm = engine.open(f"sqlite:///{path}")
    mobile.resume_clock(crm)
    day = mobile_lab.facts(crm)
    if channel == "mobile":
        phone = mobile.MobileSession(crm, "zhangsan")
        phone.check_in(day["visit"], "华东电网科技 机房", mobile.DEMO_LAT, mobile.DEMO_LON)
        phone.complete_task(day["task"])
        phone.advance(day["opportunity"])
    else:
        zs = crm.login("zhangsan")
        zs.check_in(day["visit"], "华东电网科技 机房", mobile.DEMO_LAT, mobile.DEMO_LON)
        zs.complete_task(day["task"], actual_start=crm.now, actual_end=crm.now)
        zs.advance(day["opportunity"], end_stage_now=True)
    crm.close()


def _notebook(answered: bool):
    nb = nbformat.read(ROOT / "labs" / LAB / f"{NAME}.ipynb", as_version=4)
    if answered:
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer":
                cell.source = 'n_visits = 2\nfirst_customer = "华东电网科技"'
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("class")
    students = {"tapped": (True, "mobile"), "only_tapped": (False, "mobile"), "at_the_desk": (True, "desk"),
                "forged": (True, "desk"), "no_file": (True, None)}
    for student, (answered, channel) in students.items():
        folder = subs / student
        folder.mkdir()
        nbformat.write(_notebook(answered), folder / f"{NAME}.ipynb")
        if channel:
            _day(folder / "mobile_lab.db", channel)
    con = sqlite3.connect(subs / "forged" / "mobile_lab.db")     # a database browser: desk → mobile
    con.execute("UPDATE audit_log SET channel = 'mobile' WHERE channel = 'desk' AND at >= '2024-03-04'")
    con.commit()
    con.close()
    before = {p: p.read_bytes() for p in subs.rglob("*.db")}
    out = tmp_path_factory.mktemp("grades")
    grading.grade_class(LAB, subs, out, workers=2, progress=False)
    rows = grading.load_results(out, LAB)
    return {"subs": subs, "out": out, "before": before, "results": rows}


def _points(graded, student) -> dict:
    result = graded["results"][student]
    nb = next(n for n in result["notebooks"] if n["notebook"] == NAME)
    return {c["grade_id"]: c["points"] for c in nb["cells"]}, nb


def test_the_taps_saved_in_the_file_earn_full_marks(graded):
    points, nb = _points(graded, "tapped")
    assert sum(points.values()) == 14, (points, nb["problems"])


def test_a_notebook_left_as_released_is_graded_when_its_file_holds_taps(graded):
    points, _ = _points(graded, "only_tapped")
    assert points["q1-visible"] == points["q1-hidden"] == 0
    assert sum(v for k, v in points.items() if not k.startswith("q1")) == 12


def test_steps_done_at_the_desk_do_not_count_as_taps(graded):
    points, _ = _points(graded, "at_the_desk")
    assert points["q2-visible"] == 0 and points["q3-hidden"] == 0 and points["q4-hidden"] == 0
    assert points["q1-visible"] + points["q1-hidden"] == 2


def test_a_log_edited_with_a_database_tool_earns_nothing_and_says_why(graded):
    points, _ = _points(graded, "forged")
    assert points["q2-visible"] == points["q2-hidden"] == points["q3-hidden"] == points["q4-hidden"] == 0
    page = (graded["out"] / LAB / "feedback" / "forged" / f"{NAME}.html").read_text(encoding="utf-8")
    assert "审计日志" in page and "改动" in page


def test_a_missing_file_is_noted(graded):
    points, nb = _points(graded, "no_file")
    assert points["q2-visible"] == 0
    assert any("mobile_lab.db" in p for p in nb["problems"])


def test_grading_changes_no_submitted_file(graded):
    assert {p: p.read_bytes() for p in graded["subs"].rglob("*.db")} == graded["before"]
