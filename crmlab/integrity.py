"""Honest-grading checks (评分诚信检查) for every solution notebook.

For a graded lab to be trustworthy, each of these must hold (tests/labs runs them all):

1. **structure**: objectives first, summary last, every solution region followed by a locked
   graded test, unique ids, hidden tests present, points adding up to the declared total, and
   at least one declared wrong answer per exercise;
2. **solution**: run with warnings as errors, every graded cell earns full points and no cell
   writes to stderr (nbgrader would score such a cell 0);
3. **stub**: the unsolved student version (hidden tests restored) scores 0 on every graded
   cell, and each one fails with an ``AssertionError`` from its own check — not a ``NameError``
   or ``NotImplementedError`` leaking from an earlier cell;
   Its message has Chinese in it and is shown without crmlab traceback frames;
4. **wrong answers**: each declared mutant of a solution region loses points on at least one
   graded cell (visible or hidden) — including the *shortcut* answers (``kind = "shortcut"``) that
   call the crmlab code computing the exercise's answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import labtools

__all__ = ["Report", "check_structure", "check_solution", "check_stub", "check_mutant", "check_mutants", "check_answers", "check_notebook",
           "check_labs"]


@dataclass
class Report:
    notebook: Path
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = f"{'ok  ' if self.ok else 'FAIL'} {self.notebook}"
        return "\n".join([head, *[f"     - {p}" for p in self.problems]])


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def check_structure(path: Path) -> list[str]:
    return labtools.structure_problems(_read(path), labtools.load_mutants(path))


def check_solution(path: Path) -> list[str]:
    """Problems when running the solution with warnings as errors (empty list: full marks)."""
    executed = labtools.execute(_read(path), path.parent, warnings_as_errors=True)
    problems = []
    for i, cell in enumerate(executed.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {i} raised {out.ename}: {out.evalue[:200]}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {i} wrote to stderr (nbgrader scores 0): {out.text.strip()[:200]}")
    grades = labtools.cell_grades(executed)
    for row in grades.itertuples():
        if row.points != row.max_points:
            problems.append(f"solution loses points on {row.grade_id}: {row.points}/{row.max_points}")
    return problems


def check_stub(path: Path, root: Path) -> list[str]:
    """Problems with the unsolved version: every graded cell must fail with an AssertionError whose
    message a student can act on (Chinese in it, shown without crmlab traceback frames)."""
    stub = labtools.stub_notebook(_read(path), root)
    executed = labtools.execute(stub, path.parent)
    grades = labtools.cell_grades(executed)
    problems = message_problems(executed)
    for row in grades.itertuples():
        if row.points:
            problems.append(f"{row.grade_id} gives {row.points} points to the unsolved stub")
        elif row.error not in labtools.ASSERTION_ERRORS:
            problems.append(f"{row.grade_id} fails on the stub with {row.error or 'no error'} "
                            f"({row.message[:120]}), not with the check's AssertionError")
    return problems


_CJK = re.compile(r"[\u4e00-\u9fff]")


def message_problems(executed) -> list[str]:
    """Failing graded cells must say what is wrong in Chinese, without a traceback through crmlab."""
    problems = []
    for cell in labtools.grade_cells(executed):
        gid = cell.metadata.nbgrader.get("grade_id")
        for out in cell.get("outputs", []):
            if out.output_type != "error":
                continue
            shown = "\n".join(out.get("traceback", []))
            if not _CJK.search(out.evalue):
                problems.append(f"{gid}: the failure message has no Chinese ({out.evalue[:100]!r})")
            if "Traceback" in shown or "File " in shown or "crmlab/" in shown:
                problems.append(f"{gid}: the failure is shown with a traceback, not the message alone "
                                f"({out.ename})")
    return problems


def check_mutant(path: Path, mutant: labtools.Mutant) -> list[str]:
    """Problems with one wrong answer: it must lose points on at least one graded cell."""
    return check_mutants(path, [mutant])[0]


def check_mutants(path: Path, mutants: list[labtools.Mutant]) -> list[list[str]]:
    """The problems of each wrong answer of one notebook (a list per mutant, in order).

    A wrong answer must lose points on at least one graded cell; a shortcut must earn nothing on any graded
    cell of its exercise. All are judged in one run of the notebook, a fork per answer
    (:mod:`crmlab.mutantrun`).
    """
    if not mutants:
        return []
    from . import mutantrun

    return _judge(mutants, mutantrun.run(path, mutants))


def check_answers(path: Path) -> tuple[list[str], dict[labtools.Mutant, list[str]]]:
    """Rules 2 and 4 in one run of the notebook: the solution's problems, and each declared wrong answer's.

    The right answers run once, with warnings as errors; each wrong answer forks from that run just before
    its cell (:mod:`crmlab.mutantrun`).
    """
    from . import mutantrun

    mutants = labtools.load_mutants(path)
    *results, solution = mutantrun.run(path, mutants, solution=True)
    return solution["solution"], dict(zip(mutants, _judge(mutants, results)))


def _judge(mutants, results) -> list[list[str]]:
    problems = []
    for mutant, result in zip(mutants, results):
        if "error" in result:
            problems.append([f"could not judge the answer ({mutant.cell}: {mutant.why}): {result['error']}"])
        elif mutant.kind == "shortcut":
            earned = {gid: p for gid, (p, _) in result["grades"].items() if p}
            problems.append([f"shortcut answer earns points ({mutant.cell}: {mutant.why}): {earned}"] if earned else [])
        else:
            problems.append([] if result["lost"] is not None else
                            [f"wrong answer not caught ({mutant.cell}): {mutant.why}"])
    return problems


def check_notebook(path: Path, root: Path) -> Report:
    report = Report(path.relative_to(root))
    report.problems += check_structure(path)
    solution, mutants = check_answers(path)
    report.problems += solution
    report.problems += check_stub(path, root)
    for found in mutants.values():
        report.problems += found
    return report


def check_labs(root: Path, labs: list[str] | None = None):
    """Yield a :class:`Report` per solution notebook."""
    for path in labtools.solution_notebooks(root, labs):
        yield check_notebook(path, root)
