"""The labs are at the students' level (issue 15): one 45–90 minute class session each, with modest code.

For every solution notebook: the first cell states an estimated time inside 45–90 minutes and what the
notebook assumes; the code a student writes for the graded exercises (non-blank, non-comment lines
inside ``### BEGIN/END SOLUTION`` of answer cells whose exercise has points) is at most
:data:`MAX_WRITTEN` lines; the code given to read (cells without an nbgrader role, 拓展 included) at most
:data:`MAX_GIVEN`; the declared points match the graded cells.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
MAX_WRITTEN = 40
MAX_GIVEN = 60


def _code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def measure(nb) -> tuple[int, int]:
    """(lines a student writes for graded exercises, lines of given code)."""
    points: dict[str, float] = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("points"):
            exercise = meta.get("grade_id", "").split("-")[0]
            points[exercise] = points.get(exercise, 0) + meta["points"]
    written = given = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            if not points.get(meta.get("grade_id", "").split("-")[0]):
                continue
            body = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S)
            written += sum(len(_code_lines(b)) for b in body)
        elif not meta.get("grade"):
            given += len(_code_lines(cell.source))
    return written, given


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_one_class_session(notebook):
    path, nb = notebook
    first = nb.cells[0].source
    m = re.search(r"预计用时[^\n]*?(\d+)\s*[–～~-]\s*(\d+)\s*分钟|预计用时[^\n]*?(\d+)\s*分钟", first)
    assert m, f"{path.name}: the first cell states no 预计用时 … 分钟"
    low, high = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)),) * 2
    assert 45 <= low <= high <= 90, f"{path.name}: {low}–{high} minutes is not one 45–90 minute session"
    assert re.search(r"前提|前置|先修|假定|已经学过|Assumes|assumes", first), f"{path.name}: say what the notebook assumes"


def test_modest_code(notebook):
    path, nb = notebook
    written, given = measure(nb)
    assert written <= MAX_WRITTEN, f"{path.name}: a student writes {written} lines for the graded exercises"
    assert given <= MAX_GIVEN, f"{path.name}: {given} lines of given code to read"
