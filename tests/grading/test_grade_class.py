"""End to end: one `grade_class` call grades a class of adversarial submissions built from the lab.

tests/fixtures/make_submissions.py builds, from the current lab 01 (its first notebook), a class of
students who each do one thing real students do: an endless loop, 6 MB of output, a broken import,
edited / deleted / duplicated test cells, a renamed, missing or extra notebook, a widget waiting for
a click, a syntax error, a truncated file, a wrong or missing kernel, code that deletes files around
it, a kernel that exits, a hard-coded answer, a patched checker … Each student must get the right
points for every graded cell, the right problem note, and the rest of the class must be graded.
Grading runs once (module fixture) with 2 worker processes and short time limits.
"""
import hashlib
import html
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from crmlab import feedback, grading

ROOT = Path(__file__).resolve().parents[2]
LAB = "01_concepts"
CASES = ["full", "empty", "partial", "infinite_loop", "slow_notebook", "huge_output", "import_error",
         "edited_tests", "deleted_tests", "deleted_answer", "duplicated_cells", "renamed_notebook",
         "missing_notebook", "extra_notebook", "widget_wait", "syntax_error", "truncated_json", "wrong_kernel",
         "no_metadata", "file_vandal", "kernel_dies", "prints_hidden_tests", "patches_checks", "patches_checks_vars", "late",
         "hardcoded_visible"]

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_sandbox")]


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, builder):
    subs = tmp_path_factory.mktemp("class")
    spec = builder.build(subs, ROOT, LAB)
    (subs / "expectations.json").unlink()
    before = snapshot(subs)
    out = tmp_path_factory.mktemp("grades")
    book = grading.grade_class(LAB, subs, out, workers=2, cell_timeout=builder.CELL_TIMEOUT,
                               notebook_timeout=builder.NOTEBOOK_TIMEOUT, duedate=builder.DUEDATE, progress=False)
    return SimpleNamespace(subs=subs, spec=spec, before=before, out=out, book=book,
                           results=grading.load_results(out, LAB), notebook=spec["notebook"])


def test_at_least_15_adversarial_submissions(graded):
    assert len(graded.spec["cases"]) >= 15
    assert set(graded.spec["cases"]) <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_each_student_gets_the_right_points_and_note(graded, case):
    if case not in graded.spec["cases"]:
        pytest.skip(f"the lab offers no cell for the {case!r} case")
    want = graded.spec["cases"][case]
    row = graded.book[(graded.book["student"] == case) & (graded.book["notebook"] == graded.notebook)]
    assert len(row) == 1
    row = row.iloc[0]
    got = {g: row[g] for g in want["expect"]}
    expected = {g: p for g, p in want["expect"].items() if p is not None}
    assert {g: got[g] for g in expected} == expected, f"{case}: {want['why']}\n{row['problems']}"
    for words in want["notes"]:
        assert words in row["problems"], f"{case}: expected a note with {words!r}, got {row['problems']!r}"
    assert bool(row["late"]) is want["late"]
    status = graded.results[case]["status"]
    assert status == "graded", graded.results[case].get("detail")


def test_full_marks_has_no_problem_note(graded):
    row = graded.book[(graded.book["student"] == "full") & (graded.book["notebook"] == graded.notebook)].iloc[0]
    assert row["problems"] == "" and row["total"] == row["max"] > 0


def test_one_row_per_student_and_notebook_and_per_question_columns(graded):
    book = graded.book
    notebooks = sorted(p.stem for p in (ROOT / "solutions" / LAB).glob("*.ipynb"))
    assert len(book) == len(CASES) * len(notebooks) or len(book) == len(graded.spec["cases"]) * len(notebooks)
    assert not book.duplicated(["student", "notebook"]).any()
    solution = nbformat.read(ROOT / "solutions" / LAB / f"{graded.notebook}.ipynb", as_version=4)
    grade_ids = [c.metadata.nbgrader["grade_id"] for c in solution.cells
                 if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert set(grade_ids) <= set(book.columns)
    csv = pd.read_csv(graded.out / LAB / "gradebook.csv", keep_default_na=False, encoding="utf-8-sig")
    assert list(csv.columns) == list(book.columns) and len(csv) == len(book)
    assert (csv["total"] == csv[[c for c in csv.columns if c not in
                                  ("student", "lab", "notebook", "total", "max", "late", "problems")]]
            .apply(pd.to_numeric, errors="coerce").sum(axis=1)).all()


def test_submission_folder_is_never_modified(graded):
    assert snapshot(graded.subs) == graded.before


def test_student_code_did_not_write_into_the_output_folder(graded):
    files = [p.relative_to(graded.out).as_posix() for p in graded.out.rglob("*") if p.is_file()]
    pattern = re.compile(rf"{LAB}/(gradebook\.csv|results/[^/]+\.json|feedback/[^/]+/[^/]+\.html)")
    assert files and all(pattern.fullmatch(f) for f in files), [f for f in files if not pattern.fullmatch(f)]
    assert not any("pwned" in f or "vandal.txt" in f for f in files)


def _visible_text(page: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return " ".join(text.split())


def test_no_hidden_test_line_appears_in_any_feedback(graded):
    hidden, visible = [], set()
    for path in sorted((ROOT / "solutions" / LAB).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        hidden += feedback.hidden_lines([c.source for c in nb.cells])
        visible |= {" ".join(line.split()) for c in nb.cells for line in feedback.strip_hidden_source(c.source).split("\n")}
    needles = [" ".join(h.split()) for h in hidden if len(h) >= 12 and " ".join(h.split()) not in visible]
    assert needles
    pages = sorted((graded.out / LAB / "feedback").rglob("*.html"))
    assert len(pages) == len(graded.book)
    for page in pages:
        text = _visible_text(page.read_text(encoding="utf-8"))
        leaked = [n for n in needles if n in text]
        assert not leaked, f"{page}: {leaked[:3]}"


def test_feedback_shows_failed_checks_with_hints_in_both_languages(graded):
    page = (graded.out / LAB / "feedback" / "hardcoded_visible" / f"{graded.notebook}.html").read_text(encoding="utf-8")
    text = _visible_text(page)
    for words in ("Feedback 评分反馈", "Score 得分", "✗ failed 未通过", "✓ passed 通过"):
        assert words in text
    failed = [c for nb in graded.results["hardcoded_visible"]["notebooks"] for c in nb["cells"]
              if c["status"] == "failed"]
    assert failed and all(" ".join(c["message"].split())[:40] in text for c in failed)


def test_rerun_is_idempotent_and_keeps_every_grade(graded, tmp_path, builder):
    out = tmp_path / "grades"
    shutil.copytree(graded.out, out)
    before_csv = (out / LAB / "gradebook.csv").read_bytes()
    book = grading.grade_class(LAB, graded.subs, out, workers=2, cell_timeout=builder.CELL_TIMEOUT,
                               notebook_timeout=builder.NOTEBOOK_TIMEOUT, duedate=builder.DUEDATE, progress=False)
    assert book.attrs["graded"] == 0 and (out / LAB / "gradebook.csv").read_bytes() == before_csv
    # a student resubmits (partial -> full), another leaves the class folder: one regrade, no grade lost
    subs = tmp_path / "class"
    shutil.copytree(graded.subs, subs)
    shutil.copy2(subs / "full" / f"{graded.notebook}.ipynb", subs / "partial" / f"{graded.notebook}.ipynb")
    shutil.rmtree(subs / "empty")
    book = grading.grade_class(LAB, subs, out, workers=2, cell_timeout=builder.CELL_TIMEOUT,
                               notebook_timeout=builder.NOTEBOOK_TIMEOUT, duedate=builder.DUEDATE, progress=False)
    assert book.attrs["graded"] == 1
    assert len(book) == len(graded.book) and not book.duplicated(["student", "notebook"]).any()
    row = book[(book["student"] == "partial") & (book["notebook"] == graded.notebook)].iloc[0]
    assert row["total"] == row["max"]
    assert "empty" in set(book["student"])
    history = list((out / LAB / "results" / "history").glob("partial-*.json"))
    assert len(history) == 1
    old = json.loads(history[0].read_text(encoding="utf-8"))
    assert sum(c["points"] for c in old["notebooks"][0]["cells"]) < row["max"]
