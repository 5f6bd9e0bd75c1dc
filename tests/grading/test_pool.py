"""The worker pool: a job over its hard time limit gets its worker killed (and replaced); a job
that crashes the grader is reported as a grading error for that student only."""
import nbformat
from nbgrader.utils import compute_checksum

from crmlab import grading


def toy_release():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    answer = nbformat.v4.new_code_cell("answer = None")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "a",
                                   "schema_version": 3, "task": False}
    tests = []
    for gid in ("t1", "t2"):
        test = nbformat.v4.new_code_cell("assert answer == 42")
        test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid,
                                     "points": 1, "schema_version": 3, "task": False}
        tests.append(test)
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), answer, *tests]
    for cell in nb.cells[1:]:
        cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    return nb


def _job(tmp_path, student, hard_timeout):
    folder = tmp_path / student
    folder.mkdir()
    nbformat.write(toy_release(), folder / "toy.ipynb")
    return {"student": student, "folder": str(folder), "lab": "toy", "template": str(tmp_path / "no-template"),
            "releases": {"toy": nbformat.writes(toy_release())}, "settings": grading.Settings().__dict__,
            "submission_hash": "h", "lab_hash": "l", "hard_timeout": hard_timeout, "duedate": None}


def test_hard_timeout_kills_and_replaces_the_worker_and_crashes_stay_local(tmp_path):
    solved = toy_release()
    solved.cells[1].source = "answer = 42"
    jobs = [_job(tmp_path, "slowpoke", 0.01), _job(tmp_path, "crasher", 120)]
    nbformat.write(solved, tmp_path / "crasher" / "toy.ipynb")      # attempted: it must really be graded
    results = {r["student"]: r for r in grading._Pool(1, tmp_path / "work", 0).run(jobs)}
    assert set(results) == {"slowpoke", "crasher"}
    slow, crash = results["slowpoke"], results["crasher"]
    assert slow["status"] == crash["status"] == "error"
    assert "hard limit" in slow["notebooks"][0]["problems"][0]
    assert "grading crashed" in crash["notebooks"][0]["problems"][0] and "no-template" in crash["detail"]
    assert [c["points"] for c in crash["notebooks"][0]["cells"]] == [0.0, 0.0]
