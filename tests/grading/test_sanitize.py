"""Fast tests of the grader's pieces that need no kernel: reading, sanitizing, feedback, gradebook.

A toy lab notebook (two answers, four graded cells, one hidden test) stands in for a real one, with
nbgrader's own checksums, so that every repair the grader makes before nbgrader sees a submission
is checked in milliseconds. The slow end-to-end tests (test_grade_class.py) grade real labs.
"""
import copy
import shutil
import json
import re

import nbformat
import pytest
from nbgrader.utils import compute_checksum

from crmlab import feedback, grading


def _cell(source, gid=None, kind="code", **flags):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if gid:
        meta = {"grade": False, "solution": False, "locked": False, "grade_id": gid, "schema_version": 3,
                "task": False}
        meta.update(flags)
        cell.metadata["nbgrader"] = meta
        cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    return cell


def toy_release():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("# Toy lab", kind="markdown"),
        _cell("from crmlab import check"),
        _cell("answer = None\n# YOUR CODE HERE 在此作答\n...", "q1-answer", solution=True),
        _cell("check.true(answer is not None, 'answer')", "q1-visible", grade=True, locked=True, points=1),
        _cell("# hidden tests 隐藏测试", "q1-hidden", grade=True, locked=True, points=2),
        _cell("def f(x):\n    # YOUR CODE HERE 在此作答\n    ...", "q2-answer", solution=True),
        _cell("check.equal(f(1), 2, 'f(1)')", "q2-visible", grade=True, locked=True, points=1),
        _cell("check.equal(f(5), 10, 'f(5)')", "q2-more", grade=True, locked=True, points=1),
    ]
    return nb


def solved():
    nb = toy_release()
    nb.cells[2].source = "answer = 42"
    nb.cells[5].source = "def f(x):\n    return 2 * x"
    return nb


def write(folder, name, nb):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


RELEASES = {"toy": toy_release()}


# --------------------------------------------------------------------------- reading
def test_read_valid_damaged_and_truncated_notebooks():
    good = nbformat.writes(solved()).encode()
    nb, note = grading.read_notebook(good)
    assert note is None and nb.cells[2].source == "answer = 42"
    nb, note = grading.read_notebook(good[: len(good) // 2])
    assert nb is None and "truncated JSON" in note and "被截断" in note
    raw = json.loads(good)
    del raw["nbformat"], raw["cells"][1]["metadata"]
    nb, note = grading.read_notebook(json.dumps(raw).encode())
    assert nb is not None and "rebuilt from its cells" in note
    assert ids(nb)[2] == "q1-answer"
    assert grading.read_notebook(b"[1, 2]")[0] is None
    v3 = nbformat.writes(nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=[nbformat.v3.new_code_cell("x = 1")])]), version=3).encode()
    nb, note = grading.read_notebook(v3)
    assert note is None and nb.nbformat == 4 and nb.cells[0].source == "x = 1"


# --------------------------------------------------------------------------- matching files
def test_exact_renamed_extra_and_missing_notebooks(tmp_path):
    releases = {"toy": toy_release(), "other": toy_release()}
    releases["other"].cells[3].source = "check.true(True, 'other')"
    releases["other"].cells[3].metadata.nbgrader["checksum"] = compute_checksum(releases["other"].cells[3])
    write(tmp_path, "toy (1).ipynb", solved())                     # renamed copy of toy
    write(tmp_path, "Untitled.ipynb", nbformat.v4.new_notebook())   # unrelated
    sub = grading.sanitize_submission(tmp_path, releases)
    assert set(sub.notebooks) == {"toy"}
    assert any("renamed" in p for p in sub.problems["toy"])
    assert any("missing" in p for p in sub.problems["other"])
    assert any("extra notebook Untitled.ipynb" in p for p in sub.general)
    write(tmp_path, "toy.ipynb", solved())                          # now the exact name wins
    sub = grading.sanitize_submission(tmp_path, releases)
    assert not any("renamed" in p for p in sub.problems["toy"])
    assert any("extra copy" in p for p in sub.general)


def test_the_submission_folder_is_not_changed(tmp_path):
    write(tmp_path / "s", "toy.ipynb", solved())
    before = grading.submission_hash(tmp_path / "s")
    grading.sanitize_submission(tmp_path / "s", RELEASES)
    assert grading.submission_hash(tmp_path / "s") == before
    (tmp_path / "s" / "timestamp.txt").write_text("2026-01-01 10:00:00")
    assert grading.submission_hash(tmp_path / "s") != before


# --------------------------------------------------------------------------- repairing notebooks
def test_full_notebook_passes_unchanged():
    nb, notes = grading.sanitize_notebook(solved(), toy_release())
    assert notes == []
    assert ids(nb) == ids(toy_release())


def test_duplicated_cells_keep_one_grade_id_in_the_released_place():
    nb = solved()
    nb.cells.append(copy.deepcopy(nb.cells[3]))     # copy of q1-visible at the end
    nb.cells.insert(3, copy.deepcopy(nb.cells[2]))  # split answer: two cells carry q1-answer
    nb.cells[3].source = "answer = answer + 0"
    fixed, notes = grading.sanitize_notebook(nb, toy_release())
    kept = [i for i, g in enumerate(ids(fixed)) if g]
    assert [ids(fixed)[i] for i in kept] == ids(toy_release())[2:]          # each id once, in order
    assert ids(fixed)[-1] is None and "nbgrader" not in fixed.cells[-1].metadata
    assert sum("appears 2 times" in n for n in notes) == 2
    assert len({c.id for c in fixed.cells}) == len(fixed.cells)             # cell ids unique


def test_deleted_answer_comes_back_empty_and_tests_are_left_to_nbgrader():
    nb = solved()
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("q2-answer", "q2-visible")]
    fixed, notes = grading.sanitize_notebook(nb, toy_release())
    assert "q2-answer" in ids(fixed) and "q2-visible" not in ids(fixed)     # nbgrader adds test cells
    assert ids(fixed).index("q2-answer") == ids(fixed).index("q1-hidden") + 1
    assert "missing from the submission" in fixed.cells[ids(fixed).index("q2-answer")].source
    assert any("answer cell q2-answer was deleted" in n for n in notes)
    assert any("test cell q2-visible was deleted" in n for n in notes)


def test_edited_and_retyped_test_cells_get_their_metadata_back():
    nb = solved()
    nb.cells[3].source = "pass"
    nb.cells[3].metadata.nbgrader.update(points=100, locked=False)
    nb.cells[6].cell_type = "markdown"
    del nb.cells[6]["outputs"], nb.cells[6]["execution_count"]
    nb.cells.append(_cell("print(1)", "q9-bonus", grade=True, locked=True, points=50))  # invented id
    fixed, notes = grading.sanitize_notebook(nb, toy_release())
    assert fixed.cells[3].metadata.nbgrader == toy_release().cells[3].metadata.nbgrader
    assert fixed.cells[6].cell_type == "code" and fixed.cells[6].outputs == []
    assert "nbgrader" not in fixed.cells[-1].metadata
    joined = "\n".join(notes)
    assert "test cell q1-visible was changed" in joined and "test cell q2-visible was changed" in joined
    assert "unknown grade id 'q9-bonus'" in joined


def test_kernel_metadata_and_outputs_are_reset():
    nb = solved()
    nb.metadata = {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 10_000)]
    fixed, notes = grading.sanitize_notebook(nb, toy_release())
    assert fixed.metadata["kernelspec"]["name"] == "python3"
    assert fixed.cells[1].outputs == []
    assert any("kernel metadata was 'ir'" in n for n in notes)


def test_unattempted_and_tampering_notes():
    _, notes = grading.sanitize_notebook(toy_release(), toy_release())
    assert any("no answer was written" in n for n in notes)
    assert grading._unattempted(toy_release(), toy_release()) and not grading._unattempted(solved(), toy_release())
    cheat = solved()
    cheat.cells[2].source += "\ncheck.equal = lambda *a, **k: None"
    _, notes = grading.sanitize_notebook(cheat, toy_release())
    assert any("changes the checking code" in n and "review by hand" in n for n in notes)
    honest = solved()
    honest.cells[2].source += "\nimport pandas as pd\npd.options.display.max_rows = 5"
    assert grading.sanitize_notebook(honest, toy_release())[1] == []


# --------------------------------------------------------------------------- feedback
def test_only_test_cells_may_carry_the_hidden_test_mark():
    """check.reference() trusts cells with the hidden-test mark: an answer cell must not borrow it."""
    nb = solved()
    nb.cells[2].source = ("### BEGIN HIDDEN TESTS\nwith check.reference():\n    answer = 42\n"
                          "### END HIDDEN TESTS")
    fixed, notes = grading.sanitize_notebook(nb, toy_release())
    assert "BEGIN HIDDEN TESTS" not in fixed.cells[2].source
    assert any("请人工复核" in n and "review by hand" in n for n in notes)


def test_hidden_tests_are_removed_but_their_results_kept():
    nb = solved()
    secret = "check.equal(answer, 42, 'answer matches the key')"
    nb.cells[4].source = f"# hidden tests 隐藏测试\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS"
    nb.cells[4].outputs = [nbformat.v4.new_output(
        "error", ename="CheckFailed", evalue="✗ answer: expected 42, got 41.\n  Hint 提示: count again",
        traceback=["Traceback", f"----> 3 {secret}", "CheckFailed: ✗ answer"])]
    nb.cells.append(nbformat.v4.new_code_cell("print(In)"))
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"['x = 1', \"{secret}\"]")]
    hidden = feedback.hidden_lines([c.source for c in nb.cells])
    assert hidden == [secret]
    clean, removed = feedback.hide_hidden_tests(nb, hidden)
    assert removed == 1
    text = json.dumps(clean.cells, ensure_ascii=False)
    assert secret not in text and "BEGIN HIDDEN" not in text
    assert clean.cells[4].source == "# hidden tests 隐藏测试"
    assert clean.cells[4].outputs[0].traceback == [
        "CheckFailed: ✗ answer: expected 42, got 41.\n  Hint 提示: count again"]


def test_summary_is_bilingual_and_escaped():
    html = feedback.summary_html({"student": "<b>eve</b>", "late": True, "problems": ["a <script>"],
                                  "cells": [{"grade_id": "q1", "points": 0.0, "max_points": 2.0, "status": "failed",
                                             "message": "✗ x: expected 1, got <2>.\n  Hint 提示: y"}]})
    assert "<script>" not in html and "&lt;b&gt;eve" in html and "&lt;2&gt;" in html
    for words in ("Score 得分: 0 / 2", "late 迟交", "failed 未通过", "Hint 提示", "Problems found 发现的问题"):
        assert words in html
    assert feedback.strip_hidden_source("a\n### BEGIN HIDDEN TESTS\nb") == "a"


# --------------------------------------------------------------------------- gradebook and store
def _result(student, points, problems=()):
    cells = [{"grade_id": g, "points": p, "max_points": 2.0, "status": "passed", "error": "", "message": ""}
             for g, p in points.items()]
    return {"student": student, "lab": "toy", "seconds_late": 0.0, "general": [],
            "notebooks": [{"notebook": "toy", "cells": cells, "problems": list(problems)}]}


def test_gradebook_has_per_question_columns_and_one_row_per_student_notebook(tmp_path):
    results = {"bob": _result("bob", {"q1": 2.0, "q2": 0.5}, ["late, 迟交"]), "al": _result("al", {"q1": 1.0, "q2": 2.0})}
    book = grading.gradebook(results)
    assert list(book.columns) == ["student", "lab", "notebook", "q1", "q2", "total", "max", "late", "problems"]
    assert list(book["student"]) == ["al", "bob"] and list(book["total"]) == [3.0, 2.5]
    grading._write_csv(book, tmp_path / "g.csv")
    lines = (tmp_path / "g.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "al,toy,toy,1,2,3,4,False," and lines[2] == 'bob,toy,toy,2,0.5,2.5,4,False,"late, 迟交"'
    assert grading.cell_results(results).shape == (4, 9)


def test_store_keeps_old_grades_when_a_submission_changes(tmp_path):
    first = dict(_result("al", {"q1": 1.0}), submission_hash="a" * 64, status="graded", feedback={"toy": "<p>1</p>"})
    grading._save_result(tmp_path, "toy", first)
    second = dict(_result("al", {"q1": 2.0}), submission_hash="b" * 64, status="graded", feedback={"toy": "<p>2</p>"})
    grading._save_result(tmp_path, "toy", second)
    results = grading.load_results(tmp_path, "toy")
    assert list(results) == ["al"] and results["al"]["notebooks"][0]["cells"][0]["points"] == 2.0
    history = list((tmp_path / "toy" / "results" / "history").glob("al-*.json"))
    assert len(history) == 1 and json.loads(history[0].read_text())["submission_hash"] == "a" * 64
    assert (tmp_path / "toy" / "feedback" / "al" / "toy.html").read_text() == "<p>2</p>"


def test_find_submissions_and_refuse_output_inside_submissions(tmp_path):
    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "ben" / "01_concepts").mkdir(parents=True)
    (tmp_path / "class" / ".ipynb_checkpoints").mkdir()
    found = grading.find_submissions(tmp_path / "class", "01_concepts")
    assert list(found) == ["ann", "ben"] and found["ben"].name == "01_concepts"
    with pytest.raises(ValueError, match="outside the submissions folder"):
        grading.grade_class("01_concepts", tmp_path / "class", tmp_path / "class" / "grades")
    with pytest.raises(FileNotFoundError):
        grading.find_submissions(tmp_path / "nope", "01_concepts")


def test_zip_formats_match_lms_file_names():
    canvas = re.match(grading.ZIP_FORMATS["canvas"], "/x/extracted/wangfang_LATE_1234_567890_lab01.ipynb")
    assert canvas["student_id"] == "wangfang" and canvas["file_id"] == "lab01.ipynb"
    moodle = re.match(grading.ZIP_FORMATS["moodle"], "/x/Wang Fang_98765_assignsubmission_file_/lab01.ipynb")
    assert moodle["student_id"] == "Wang Fang" and moodle["file_id"] == "lab01.ipynb"
    attempt = re.match(grading.ZIP_FORMATS["attempt"], "/x/ps1_bob_attempt_2026-01-16-02-30-00_lab01.ipynb")
    assert attempt["student_id"] == "bob" and attempt["timestamp"] == "2026-01-16-02-30-00"


def test_feedback_in_nbgrader_layout_for_release_feedback(tmp_path):
    out = tmp_path / "grades"
    page = out / '01_concepts' / "feedback" / "carol" / "01_x.html"
    page.parent.mkdir(parents=True)
    page.write_text("<p>ok</p>")
    folder = tmp_path / "submitted" / "carol" / '01_concepts'
    folder.mkdir(parents=True)
    (folder / "submission_secret.txt").write_text("s3cret")
    (folder / "timestamp.txt").write_text("2026-01-14 20:00:00")
    written = grading.nbgrader_feedback_layout(out, '01_concepts', {"carol": folder, "dave": tmp_path}, tmp_path / "feedback")
    target = tmp_path / "feedback" / "carol" / '01_concepts'
    assert written == [target / "01_x.html"]
    assert (target / "submission_secret.txt").read_text() == "s3cret" and (target / "timestamp.txt").exists()
    shutil.rmtree(tmp_path / "feedback")
