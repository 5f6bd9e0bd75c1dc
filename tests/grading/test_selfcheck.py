"""`crmlab check NOTEBOOK`: a student's self-check grades one notebook as the teacher's grading will.

It scores that notebook alone, shows each failed test's message and hint, and never shows
hidden-test code or a hidden test's expected value; a shortcut answer scores nothing there too.
"""
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from crmlab import cli, labtools, selfcheck

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = labtools.solution_notebooks(ROOT)[0]
LAB = SOLUTION.parent.name


def _place(tmp_path, nb) -> Path:
    path = tmp_path / LAB / SOLUTION.name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _hidden_lines() -> list[str]:
    """Code lines of the notebook's hidden tests (never to be shown to a student)."""
    nb = nbformat.read(SOLUTION, as_version=4)
    lines = []
    for cell in labtools.grade_cells(nb):
        block = re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, flags=re.S)
        lines += [line.strip() for part in block for line in part.splitlines() if len(line.strip()) > 12]
    return lines


@pytest.mark.slow
def test_unsolved_notebook_scores_zero_with_not_answered_messages(tmp_path, capsys):
    path = _place(tmp_path, nbformat.read(labtools.release_path(ROOT, SOLUTION), as_version=4))
    before = path.read_bytes()
    assert cli.main(["check", str(path), "--root", str(ROOT)]) == 1
    shown = capsys.readouterr().out
    assert re.search(r"本笔记本得分 score of this notebook: 0 / \d+", shown)
    assert "未作答" in shown                        # 还没有作答 per test, or the whole notebook unanswered
    assert "Traceback" not in shown and "BEGIN HIDDEN" not in shown
    assert not [line for line in _hidden_lines() if line in shown]
    assert path.read_bytes() == before                      # the student's notebook is not changed


@pytest.mark.slow
def test_shortcut_and_wrong_answers_are_scored_without_showing_expected_values(tmp_path):
    mutants = labtools.load_mutants(SOLUTION)
    shortcut = next((m for m in mutants if m.kind == "shortcut"), None)
    wrong = next(m for m in mutants if m.kind == "wrong")
    nb = labtools.apply_mutant(nbformat.read(SOLUTION, as_version=4), wrong)
    if shortcut is not None:
        nb = labtools.apply_mutant(nb, shortcut)
    result = selfcheck.check_notebook(_place(tmp_path, nb), root=ROOT)
    assert 0 < result.points < result.max_points
    text = selfcheck.report(result)
    hidden = [c for c in result.cells if c["grade_id"].endswith("hidden") and c["points"] < c["max_points"]]
    for cell in hidden:
        assert "应为 expected" not in (cell.get("message") or "")
    assert not [line for line in _hidden_lines() if line in text]
    if shortcut is not None:
        exercise = labtools.exercise_of(shortcut.cell)
        mine = [c for c in result.cells if labtools.exercise_of(c["grade_id"]) == exercise]
        assert mine and all(c["points"] == 0 for c in mine)
        assert "本题要你自己计算" in text


@pytest.mark.slow
def test_solved_notebook_scores_full_marks(tmp_path):
    result = selfcheck.check_notebook(_place(tmp_path, nbformat.read(SOLUTION, as_version=4)), root=ROOT)
    assert result.points == result.max_points > 0


def test_a_notebook_outside_the_course_is_refused_bilingually(tmp_path, capsys):
    stray = tmp_path / "mine" / "homework.ipynb"
    stray.parent.mkdir()
    shutil.copy2(labtools.release_path(ROOT, SOLUTION), stray)
    assert cli.main(["check", str(stray), "--root", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert "不是本课程的实验笔记本" in err and "not one of the course's lab notebooks" in err
