"""Check one notebook the way the teacher's grading will (自测): ``crmlab check NOTEBOOK``.

For self-learners and for students before they hand in. The notebook is graded by the same
pipeline as ``crmlab grade`` (nbgrader's autograde, hidden tests restored from the course's
solutions, the same sandbox and time limits) on a copy, and the result is printed for **that
notebook alone**: each exercise's points, and for a failed test its message and hint. Hidden-test
code and expected values are never shown: a hidden check that fails says only that the answer does
not match (与参考答案不一致). The notebook itself is not changed.

It needs the course folder (a clone of the crmlab repository, whose ``solutions/`` hold the
hidden tests); the student's notebook may be anywhere, as long as its file name and lab folder are
the released ones (e.g. ``labs/02_mining/04_identifying_customers.ipynb``).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import grading, labtools

__all__ = ["Result", "check_notebook", "report"]

STUDENT = "self"


@dataclass
class Result:
    lab: str
    notebook: str
    cells: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    feedback: Path | None = None

    @property
    def points(self) -> float:
        return sum(c["points"] for c in self.cells)

    @property
    def max_points(self) -> float:
        return sum(c["max_points"] for c in self.cells)


def _locate(path: Path, root: Path) -> tuple[str, str]:
    """(lab, notebook) of a student notebook, from its folder and file name."""
    lab, name = path.parent.name, path.stem
    if lab not in labtools.lab_names(root) or not (root / "solutions" / lab / f"{name}.ipynb").is_file():
        raise FileNotFoundError(
            f"{path} 不是本课程的实验笔记本：应放在实验文件夹中且保留原文件名，例如 labs/02_mining/04_identifying_customers.ipynb。\n"
            f"({path} is not one of the course's lab notebooks: keep it in its lab folder under its released name.)")
    return lab, name


def check_notebook(path: str | Path, *, root: Path | None = None, out: str | Path | None = None,
                   cell_timeout: int | None = None) -> Result:
    """Grade one notebook with the class grader and return its result (the notebook is not changed)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"找不到笔记本 {path} (no such notebook)")
    root = Path(root) if root else labtools.find_root(path.parent)
    lab, name = _locate(path, root)
    keep = out is not None
    out = Path(out) if keep else Path(tempfile.mkdtemp(prefix="crmlab-selfcheck-"))
    submissions = Path(tempfile.mkdtemp(prefix="crmlab-selfcheck-sub-"))
    try:
        (submissions / STUDENT).mkdir()
        shutil.copy2(path, submissions / STUDENT / path.name)
        release = nbformat.read(root / "labs" / lab / f"{name}.ipynb", as_version=4)
        for data in (release.metadata.get("crmlab", {}) or {}).get("submission_files", []):
            if (path.parent / data).is_file():   # e.g. the phone page's mobile_lab.db beside the notebook
                shutil.copyfile(path.parent / data, submissions / STUDENT / data)
        grading.grade_class(lab, submissions, out, root=root, workers=1, cell_timeout=cell_timeout,
                            force=True, progress=False)
        stored = grading.load_results(out, lab)[STUDENT]
        entry = next(nb for nb in stored["notebooks"] if nb["notebook"] == name)
        # the other notebooks of the lab were not handed in: that is no problem of this one
        problems = [p for p in entry["problems"] if name in p or not _about_missing(p)]
        feedback = out / lab / "feedback" / STUDENT / f"{name}.html"
        return Result(lab, name, entry["cells"], problems, feedback if (keep and feedback.exists()) else None)
    finally:
        shutil.rmtree(submissions, ignore_errors=True)
        if not keep:
            shutil.rmtree(out, ignore_errors=True)


def _about_missing(problem: str) -> bool:
    return "missing" in problem or "缺少" in problem


def report(result: Result) -> str:
    """The printed summary: one line per graded test, the message of each failed one, the score."""
    lines = [f"自测 self-check: {result.lab}/{result.notebook}"]
    for cell in result.cells:
        mark = "✓" if cell["points"] >= cell["max_points"] else "✗"
        lines.append(f"  {mark} {cell['grade_id']:<16} {cell['points']:g} / {cell['max_points']:g}")
        message = (cell.get("message") or "").strip()
        if mark == "✗" and message:
            lines += [f"      {line}" for line in message.splitlines()]
    for problem in result.problems:
        lines.append(f"  ! {problem}")
    lines.append(f"本笔记本得分 score of this notebook: {result.points:g} / {result.max_points:g}")
    if result.feedback:
        lines.append(f"反馈页面 feedback page: {result.feedback}")
    return "\n".join(lines)
