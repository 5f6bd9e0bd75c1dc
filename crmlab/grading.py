"""Grading with nbgrader (自动评分): a throw-away course folder, ``nbgrader autograde``, per-cell scores.

nbgrader wants its own folder layout (source/ → release/ → submitted/ → autograded/). crmlab
keeps that layout in a temporary course folder, so the repository and the teacher's submission
folder are never written to by grading or by student code.

Example (not run here: it starts a kernel per student)::

    from crmlab import grading
    scores = grading.autograde("01_concepts", {"alice": Path("submissions/alice")})
    scores.groupby("student")["points"].sum()
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from . import labtools

__all__ = ["prepare_course", "autograde"]


def prepare_course(root: Path, lab: str, course: Path) -> Path:
    """Make an nbgrader course folder with the lab's source and a gradebook holding its tests."""
    labtools.copy_course(root, course)
    # Grading needs the gradebook copy of every locked cell and hidden test: generate with the db.
    labtools._nbgrader(course, "generate_assignment", lab, "--force")
    return course


def autograde(lab: str, submissions: dict[str, Path], root: Path | None = None,
              course: Path | None = None) -> pd.DataFrame:
    """Autograde each student's folder of notebooks for one lab with nbgrader.

    Returns one row per student × notebook × graded cell with columns ``student``,
    ``notebook``, ``grade_id``, ``points``, ``max_points``, ``error`` and ``message``; the
    errors come from the autograded notebooks, the points from nbgrader's gradebook.
    """
    from nbgrader.api import Gradebook

    root = Path(root) if root else labtools.find_root()
    owned = course is None
    course = Path(course or tempfile.mkdtemp(prefix="crmlab-grade-"))
    try:
        prepare_course(root, lab, course)
        for student, folder in submissions.items():
            dest = course / "submitted" / student / lab
            shutil.copytree(folder, dest, dirs_exist_ok=True)
        labtools._nbgrader(course, "autograde", lab, "--force")
        rows = []
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for student in submissions:
                for nb_path in sorted((course / "autograded" / student / lab).glob("*.ipynb")):
                    import nbformat

                    executed = nbformat.read(nb_path, as_version=4)
                    errors = labtools.cell_grades(executed).set_index("grade_id")
                    for grade in gb.find_submission_notebook(nb_path.stem, lab, student).grades:
                        if grade.cell.cell_type != "code":
                            continue
                        err = errors.loc[grade.name] if grade.name in errors.index else None
                        rows.append({"student": student, "notebook": nb_path.stem, "grade_id": grade.name,
                                     "points": grade.score, "max_points": grade.max_score,
                                     "error": "" if err is None else err["error"],
                                     "message": "" if err is None else err["message"]})
        return pd.DataFrame(rows, columns=["student", "notebook", "grade_id", "points", "max_points",
                                           "error", "message"])
    finally:
        if owned:
            shutil.rmtree(course, ignore_errors=True)
