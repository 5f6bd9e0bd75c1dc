"""The README's 3-student example (examples/class_01_concepts) and LMS zip downloads.

- the committed example submissions are what tests/fixtures/make_submissions.py builds from the
  current lab (so the walk-through in docs/teaching.md stays true when the lab changes);
- `crmlab grade` on them writes exactly examples/class_01_concepts/expected_gradebook.csv, and a
  second run regrades nothing and writes the same file;
- an LMS zip (Canvas, Moodle, nbgrader's "attempt" names) is unpacked by nbgrader's zip_collect into
  the same notebooks, and grading from the zip works.
"""
import hashlib
import zipfile
from pathlib import Path

import pytest

from crmlab import cli, grading

ROOT = Path(__file__).resolve().parents[2]
LAB = "01_concepts"
EXAMPLE = ROOT / "examples" / "class_01_concepts"
REGENERATE = "python tests/fixtures/make_submissions.py --example examples/class_01_concepts"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_sandbox")]


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_example_submissions_are_built_from_the_current_lab(tmp_path, builder):
    builder.build_example(tmp_path / "submissions", ROOT, LAB)
    assert snapshot(tmp_path / "submissions") == snapshot(EXAMPLE / "submissions"), \
        f"the lab changed: regenerate the example with `{REGENERATE}`"


def test_example_class_gives_the_expected_gradebook(tmp_path, capsys, builder):
    args = ["grade", LAB, "--submissions", str(EXAMPLE / "submissions"), "--out", str(tmp_path / "grades"),
            "--duedate", builder.DUEDATE, "--no-progress"]
    assert cli.main(args) == 0
    csv = tmp_path / "grades" / LAB / "gradebook.csv"
    assert csv.read_text(encoding="utf-8") == (EXAMPLE / "expected_gradebook.csv").read_text(encoding="utf-8"), \
        f"regenerate the expected gradebook with `{REGENERATE}` if the lab changed on purpose"
    first = capsys.readouterr().out
    assert "graded 3 submission(s)" in first and "alice" in first
    # again: nothing to regrade, the same gradebook
    assert cli.main(args) == 0
    assert "graded 0 submission(s), 3 unchanged" in capsys.readouterr().out
    assert csv.read_text(encoding="utf-8") == (EXAMPLE / "expected_gradebook.csv").read_text(encoding="utf-8")
    # one student on request (carol's notebooks are as released: no kernel needed)
    assert cli.main(args + ["--student", "carol"]) == 0
    assert "graded 1 submission(s), 2 unchanged" in capsys.readouterr().out
    assert csv.read_text(encoding="utf-8") == (EXAMPLE / "expected_gradebook.csv").read_text(encoding="utf-8")
    pages = sorted(p.relative_to(tmp_path / "grades" / LAB / "feedback").as_posix()
                   for p in (tmp_path / "grades" / LAB / "feedback").rglob("*.html"))
    assert len(pages) == 3 * len(list((EXAMPLE / "submissions" / "alice").glob("*.ipynb")))


def _zip(path: Path, names: dict[str, Path]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for arcname, source in names.items():
            z.write(source, arcname)
    return path


def test_lms_zips_unpack_to_the_same_notebooks(tmp_path):
    subs = EXAMPLE / "submissions"
    canvas, moodle, attempt = {}, {}, {}
    for i, student in enumerate(["alice", "bob", "carol"]):
        for nb in sorted((subs / student).glob("*.ipynb")):
            canvas[f"{student}_{1000 + i}_{2000 + i}_{nb.name}"] = nb
            moodle[f"{student.title()} Li_{3000 + i}_assignsubmission_file_/{nb.name}"] = nb
            attempt[f"lab1_{student}_attempt_2026-01-1{4 + i}-12-00-00_{nb.name}"] = nb
    for fmt, names, ids in [("canvas", canvas, ["alice", "bob", "carol"]),
                            ("moodle", moodle, ["Alice Li", "Bob Li", "Carol Li"]),
                            ("attempt", attempt, ["alice", "bob", "carol"])]:
        found = grading.collect_zip(_zip(tmp_path / f"{fmt}.zip", names), LAB, tmp_path / fmt, root=ROOT, regexp=fmt)
        assert list(found) == ids
        for student, folder in zip(["alice", "bob", "carol"], found.values()):
            got = {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}
            assert got == {p.name: p.read_bytes() for p in (subs / student).glob("*.ipynb")}
    assert (tmp_path / "attempt" / "bob" / "timestamp.txt").read_text().startswith("2026-01-15 12:00:00")


def test_grade_straight_from_a_zip(tmp_path, builder):
    notebooks = sorted((EXAMPLE / "submissions" / "carol").glob("*.ipynb"))
    archive = _zip(tmp_path / "class.zip", {f"carol_1_2_{nb.name}": nb for nb in notebooks})
    book = grading.grade_class(LAB, archive, tmp_path / "grades", root=ROOT, progress=False, duedate=builder.DUEDATE)
    assert set(book["student"]) == {"carol"} and len(book) == len(notebooks)
    assert (book["total"] == 0).all() and book["problems"].str.contains("no answer").all()
