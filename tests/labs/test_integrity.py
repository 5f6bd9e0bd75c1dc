"""Lab-integrity tests: every graded test of every lab is honest.

For each solution notebook (see crmlab.integrity for the rules):
- its structure is sound (objectives, summary, a graded test after each solution region, points add up);
- the solution earns full marks and runs warning-free (warnings as errors, nothing on stderr);
- the unsolved student version scores 0, every graded cell failing with the check's AssertionError and
  a Chinese message without a traceback (proven on real nbgrader's run of labs/, below);
- each declared wrong answer (NAME.mutants.toml) loses points;
- labs/ is exactly what nbgrader generates from solutions/;
- a real `nbgrader autograde` gives the solution full marks and the student version 0.
"""
import filecmp
import functools
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from crmlab import grading, integrity, labtools

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = labtools.solution_notebooks(ROOT)


def nb_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_there_are_labs():
    assert NOTEBOOKS, "no solution notebooks found"


class _NotebookChecks:
    """The honesty checks of one solution notebook (one subclass per notebook, made below)."""

    path: Path

    def test_structure(self):
        assert integrity.check_structure(self.path) == []

    @pytest.mark.slow
    def test_solution_earns_full_marks_without_warnings(self):
        # one run of the solution serves this test and the wrong answers' (they fork from it)
        assert _judged(self.path)[0] == []

    @pytest.mark.slow
    def test_declared_wrong_answer_is_caught(self, mutant):
        # all wrong answers of a notebook are judged in one run of it (a fork per answer), on first use
        assert _judged(self.path)[1][mutant] == []


@functools.cache
def _judged(path: Path) -> tuple[list[str], dict]:
    return integrity.check_answers(path)


def pytest_generate_tests(metafunc):
    if "mutant" in metafunc.fixturenames:
        mutants = labtools.load_mutants(metafunc.cls.path)
        metafunc.parametrize("mutant", mutants, ids=[f"{m.cell}:{m.why[:40]}" for m in mutants])


# One class per notebook: pytest-xdist (--dist loadscope) keeps a class on one worker.
for _path in NOTEBOOKS:
    _name = "Test_" + re.sub(r"\W", "_", nb_id(_path))
    globals()[_name] = type(_name, (_NotebookChecks,), {"path": _path})


@pytest.mark.slow
def test_labs_folder_is_what_nbgrader_generates(tmp_path):
    course = labtools.copy_course(ROOT, tmp_path / "course")
    labtools.generate_labs(course)
    fresh, committed = course / "labs", ROOT / "labs"
    fresh_files = sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(str(p.relative_to(committed)) for p in committed.rglob("*") if p.is_file())
    assert fresh_files == committed_files, "labs/ has missing or extra files: run `crmlab labs generate`"
    _, mismatch, errors = filecmp.cmpfiles(committed, fresh, fresh_files, shallow=False)
    assert not mismatch and not errors, f"labs/ is out of date ({mismatch}): run `crmlab labs generate`"
    assert not any(name.endswith(".mutants.toml") for name in committed_files)


@pytest.mark.slow
@pytest.mark.parametrize("lab", labtools.lab_names(ROOT))
def test_real_nbgrader_autograde_gives_solution_full_and_stub_zero(lab, tmp_path):
    _autograde_lab(lab, tmp_path)


def _autograde_lab(lab: str, tmp_path: Path) -> None:
    perfect, empty = tmp_path / "perfect", tmp_path / "empty"
    shutil.copytree(ROOT / "solutions" / lab, perfect, ignore=shutil.ignore_patterns("*.mutants.toml"))
    shutil.copytree(ROOT / "labs" / lab, empty)
    scores = grading.autograde(lab, {"perfect": perfect, "empty": empty}, root=ROOT, course=tmp_path / "course")
    by_student = scores.groupby("student")[["points", "max_points"]].sum()
    assert by_student.loc["perfect", "points"] == by_student.loc["perfect", "max_points"] > 0
    assert by_student.loc["empty", "points"] == 0
    empty_errors = set(scores.loc[scores["student"] == "empty", "error"])
    assert empty_errors <= labtools.ASSERTION_ERRORS, empty_errors
    # rule 3 on nbgrader's own run of the unsolved release: every graded cell fails with its check's
    # message, in Chinese, shown without a traceback through crmlab
    autograded = sorted((tmp_path / "course" / "autograded" / "empty" / lab).glob("*.ipynb"))
    assert len(autograded) == len(list((ROOT / "labs" / lab).glob("*.ipynb")))
    for path in autograded:
        assert integrity.message_problems(nbformat.read(path, as_version=4)) == [], path.stem
    # the declared totals are what nbgrader counts
    for path in (ROOT / "solutions" / lab).glob("*.ipynb"):
        declared = nbformat.read(path, as_version=4).metadata["crmlab"]["points"]
        counted = scores.loc[(scores["student"] == "perfect") & (scores["notebook"] == path.stem), "max_points"].sum()
        assert counted == declared


# --- the checker itself must catch dishonest tests (otherwise the tests above prove nothing) ---------

def _toy(tmp_path, test_source: str, answer_prelude: str = "answer = None\n"):
    nb = nbformat.v4.new_notebook()
    sol = nbformat.v4.new_code_cell(answer_prelude + "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")
    sol.metadata["nbgrader"] = {"grade": False, "grade_id": "a", "locked": False, "schema_version": 3,
                                "solution": True, "task": False}
    test = nbformat.v4.new_code_cell(test_source)
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    nb.cells = [nbformat.v4.new_code_cell("from crmlab import check"), sol, test]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_checker_rejects_a_test_that_cannot_fail(tmp_path):
    path = _toy(tmp_path, "assert isinstance(answer, object)")
    assert any("gives 1.0 points to the unsolved stub" in p for p in integrity.check_stub(path, ROOT))


@pytest.mark.slow
def test_checker_rejects_a_name_error_leaking_from_the_answer_cell(tmp_path):
    path = _toy(tmp_path, "check.equal(answer, 42, 'answer')", answer_prelude="")
    problems = integrity.check_stub(path, ROOT)
    assert any("NameError" in p for p in problems), problems


def test_checker_rejects_an_uncaught_wrong_answer(tmp_path):
    path = _toy(tmp_path, "check.true(answer is not None, 'answer')")
    mutant = labtools.Mutant(cell="a", why="off by one", old="42", new="43")
    assert integrity.check_mutant(path, mutant) == ["wrong answer not caught (a): off by one"]


def test_structure_checker_finds_authoring_mistakes(tmp_path):
    nb = nbformat.read(_toy(tmp_path, "check.equal(answer, 42, 'a')"), as_version=4)
    problems = labtools.structure_problems(nb, mutants=[])
    joined = "\n".join(problems)
    for expected in ("first cell must be markdown", "Summary", "crmlab.points", "no hidden tests",
                     "declares no wrong answer"):
        assert expected in joined


# --- the one-process runner judges wrong answers as a real kernel does -------------------------------

def _sample_of_each_kind():
    """A wrong answer of the first lab and a shortcut of the last (each check costs a real kernel run)."""
    labs = labtools.lab_names(ROOT)
    sample = []
    for lab, kind in ((labs[0], "wrong"), (labs[-1], "shortcut")):
        for path in labtools.solution_notebooks(ROOT, [lab]):
            found = [m for m in labtools.load_mutants(path) if m.kind == kind]
            if found:
                sample.append((path, found[-1]))
                break
    return sample


@pytest.mark.slow
@pytest.mark.parametrize("path, answer", _sample_of_each_kind(), ids=lambda x: getattr(x, "why", nb_id(x) if
                                                                                       isinstance(x, Path) else x))
def test_runner_agrees_with_a_real_kernel(path, answer):
    from crmlab import mutantrun

    [fast] = mutantrun.run(path, [answer])
    nb = labtools.apply_mutant(nbformat.read(path, as_version=4), answer)
    if answer.kind == "shortcut":
        kernel = labtools.grades_through(nb, path.parent, labtools.exercise_of(answer.cell))
        assert {gid: tuple(g) for gid, g in fast["grades"].items()} == kernel
    else:
        assert fast["lost"] == labtools.first_lost_points(nb, path.parent)


def test_runner_reports_a_crashing_answer_without_stopping(tmp_path):
    from crmlab import mutantrun

    path = _toy(tmp_path, "check.equal(answer, 42, 'answer')")
    crash = labtools.Mutant(cell="a", why="kills its process", old="answer = 42", new="import os; os._exit(3)")
    wrong = labtools.Mutant(cell="a", why="off by one", old="42", new="43")
    first, second = mutantrun.run(path, [crash, wrong])
    assert "error" in first
    assert second == {"lost": "t"}


def test_solution_run_finds_warnings_stderr_and_lost_points(tmp_path):
    path = _toy(tmp_path, "check.equal(answer, 43, 'answer')",
                answer_prelude="import sys, warnings\nwarnings.warn('old API', DeprecationWarning)\n")
    solution, mutants = integrity.check_answers(path)
    assert mutants == {}
    assert any("raised DeprecationWarning: old API" in p for p in solution), solution
    assert any("loses points on t" in p for p in solution), solution
    path = _toy(tmp_path, "check.equal(answer, 42, 'answer')", answer_prelude="import sys\nprint('x', file=sys.stderr)\n")
    assert integrity.check_answers(path)[0] == ["cell 1 wrote to stderr (nbgrader scores 0): x"]
