"""Authoring tools for graded labs: generate student versions, run notebooks, prove the tests honest.

A pipeline of small steps, in nbgrader's spirit — each function does one thing:

- :func:`generate_labs` runs nbgrader's ``generate_assignment`` (solutions/ → labs/).
- :func:`execute_solutions` re-runs solution notebooks in place so they carry fresh outputs.
- :func:`stub_notebook` is what an *unsolved* submission looks like at grading time: nbgrader's
  ClearSolutions applied with our stub, hidden tests kept (nbgrader restores them when grading).
- :func:`apply_mutant` substitutes one declared wrong answer into a solution region.
- :func:`execute` runs a notebook with nbclient, errors allowed, like nbgrader's autograder.
- :func:`cell_grades` scores each graded cell with nbgrader's own ``determine_grade``.
- :func:`structure_problems` lists authoring mistakes (missing objectives, a solution without a
  test after it, points that do not add up to the declared total, unlocked test cells …).

Wrong answers ("mutants") are declared beside each solution notebook in ``NAME.mutants.toml``::

    [[mutant]]
    cell = "q2-answer"              # grade_id of the solution cell
    why = "forgot to drop duplicate customer records"
    old = "customers.drop_duplicates(subset=\\"customer_id\\")"
    new = "customers"
"""
from __future__ import annotations

import ast
import copy
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

__all__ = [
    "find_root", "lab_names", "solution_notebooks", "release_path", "generate_labs",
    "execute_solutions", "load_config", "stub_notebook", "Mutant", "load_mutants", "apply_mutant",
    "execute", "first_lost_points", "grades_through", "cell_grades", "structure_problems", "solution_cells",
    "grade_cells", "exercise_of", "test_cell_problems", "shortcut_coverage_problems", "MUTANT_KINDS",
]

ASSERTION_ERRORS = {"AssertionError", "CheckFailed"}


# --------------------------------------------------------------------------- where things are
def find_root(start: str | Path | None = None) -> Path:
    """The course root: the nearest folder at or above ``start`` with nbgrader_config.py and solutions/."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(f"no crmlab course root (nbgrader_config.py + solutions/) at or above {here}")


def lab_names(root: Path) -> list[str]:
    """Lab folders in solutions/, e.g. ``['01_concepts', '02_mining']``."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


def solution_notebooks(root: Path, labs: list[str] | None = None) -> list[Path]:
    """Every solution notebook, in lab and file order."""
    labs = labs or lab_names(root)
    return [nb for lab in labs for nb in sorted((root / "solutions" / lab).glob("*.ipynb"))]


def release_path(root: Path, solution: Path) -> Path:
    """Where nbgrader writes the student version of a solution notebook."""
    return root / "labs" / solution.parent.name / solution.name


def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"]
    # nbgrader runs the `alembic` command of its own environment: put that environment first on PATH.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def generate_labs(root: Path, labs: list[str] | None = None) -> list[Path]:
    """Regenerate labs/LAB/ from solutions/LAB/ with nbgrader (no gradebook is written)."""
    written = []
    for lab in labs or lab_names(root):
        _nbgrader(root, "generate_assignment", lab, "--force", "--no-db")
        written += sorted((root / "labs" / lab).glob("*.ipynb"))
    return written


# --------------------------------------------------------------------------- notebooks
def load_config(root: Path):
    """The traitlets config of the course (nbgrader_config.py)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def solution_cells(nb) -> list:
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def grade_cells(nb) -> list:
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]


def stub_notebook(nb, root: Path):
    """The unsolved student version as the autograder sees it (solutions stubbed, hidden tests kept)."""
    from nbgrader.preprocessors import ClearSolutions

    nb = copy.deepcopy(nb)
    nb, _ = ClearSolutions(config=load_config(root)).preprocess(nb, {})
    return nb


MUTANT_KINDS = ("wrong", "shortcut")


@dataclass(frozen=True)
class Mutant:
    """A declared wrong answer. ``kind = "shortcut"`` marks an answer that calls the crmlab code computing
    what the exercise asks (or reads it from a crmlab constant); it must earn nothing."""

    cell: str
    why: str
    old: str
    new: str
    kind: str = "wrong"

    def __post_init__(self):
        if self.kind not in MUTANT_KINDS:
            raise ValueError(f"mutant {self.why!r}: kind must be one of {MUTANT_KINDS}, not {self.kind!r}")


def mutants_path(solution: Path) -> Path:
    return solution.with_name(solution.stem + ".mutants.toml")


def load_mutants(solution: Path) -> list[Mutant]:
    """The wrong answers declared beside a solution notebook (empty list when there is no file)."""
    path = mutants_path(solution)
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Mutant(**m) for m in data.get("mutant", [])]


def apply_mutant(nb, mutant: Mutant):
    """A copy of ``nb`` with one wrong answer substituted into its solution cell."""
    nb = copy.deepcopy(nb)
    cells = [c for c in solution_cells(nb) if c.metadata.nbgrader.get("grade_id") == mutant.cell]
    if len(cells) != 1:
        raise ValueError(f"mutant {mutant.why!r}: no single solution cell with grade_id {mutant.cell!r}")
    source = cells[0].source
    if source.count(mutant.old) != 1:
        raise ValueError(f"mutant {mutant.why!r}: the text to replace occurs {source.count(mutant.old)} "
                         f"times in cell {mutant.cell!r} (must be exactly once)")
    cells[0].source = source.replace(mutant.old, mutant.new)
    return nb


def execute(nb, cwd: Path, timeout: int = 300, warnings_as_errors: bool = False,
            env: dict | None = None):
    """Run every cell (errors allowed, like nbgrader's autograder) and return the executed copy."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    if warnings_as_errors:
        # Warnings from the lab's code become errors; the kernel's own machinery is left alone.
        guard = nbformat.v4.new_code_cell(
            "import warnings as _w\n_w.simplefilter('error')\n"
            "for _m in ('ipykernel', 'jupyter_client', 'zmq', 'tornado', 'traitlets', 'IPython', 'comm'):\n"
            "    _w.filterwarnings('default', module=_m)")
        guard.metadata["crmlab_guard"] = True
        nb.cells.insert(0, guard)
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3", store_widget_state=False,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if warnings_as_errors:
        nb.cells = [c for c in nb.cells if not c.metadata.get("crmlab_guard")]
    return nb


def first_lost_points(nb, cwd: Path, timeout: int = 300) -> str | None:
    """Run cells in order and stop at the first graded cell that loses points; return its grade_id.

    Returns None when every graded cell earns full points. Used to check wrong answers: most are
    caught by the test right after the exercise, so the rest of the notebook need not run.
    """
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade, is_grade

    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(cwd)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if is_grade(cell):
                points, max_points = determine_grade(cell)
                if points is not None and points < max_points:
                    return cell.metadata.nbgrader["grade_id"]
    return None


def grades_through(nb, cwd: Path, exercise: str, timeout: int = 300) -> dict[str, tuple[float, float]]:
    """Run cells in order until the last graded cell of ``exercise`` (e.g. ``"q3"``); return
    ``{grade_id: (points, max_points)}`` for that exercise's graded cells."""
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade, is_grade

    nb = copy.deepcopy(nb)
    mine = [i for i, c in enumerate(nb.cells) if is_grade(c) and exercise_of(c.metadata.nbgrader["grade_id"]) == exercise]
    if not mine:
        raise ValueError(f"no graded cell of exercise {exercise!r}")
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(cwd)}})
    grades = {}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells[: mine[-1] + 1]):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if index in mine:
                grades[cell.metadata.nbgrader["grade_id"]] = determine_grade(cell)
    return grades


def _error_of(cell) -> tuple[str, str]:
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return out.ename, out.evalue
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr":
            return "stderr", out.text.strip()[:300]
    return "", ""


def cell_grades(nb) -> pd.DataFrame:
    """One row per graded cell of an executed notebook: points scored (nbgrader's rule) and error.

    Columns: ``grade_id``, ``points``, ``max_points``, ``error`` (exception name, ``stderr`` or
    empty) and ``message``.
    """
    from nbgrader.utils import determine_grade

    rows = []
    for cell in grade_cells(nb):
        if cell.cell_type != "code":
            continue
        points, max_points = determine_grade(cell)
        error, message = _error_of(cell)
        rows.append({"grade_id": cell.metadata.nbgrader["grade_id"], "points": points,
                     "max_points": max_points, "error": error, "message": message})
    return pd.DataFrame(rows, columns=["grade_id", "points", "max_points", "error", "message"])


def execute_solutions(root: Path, labs: list[str] | None = None, timeout: int = 600) -> list[Path]:
    """Re-run solution notebooks in place so they are committed with fresh, deterministic outputs."""
    done = []
    for path in solution_notebooks(root, labs):
        nb = nbformat.read(path, as_version=4)
        executed = execute(nb, path.parent, timeout=timeout)
        bad = [c for c in executed.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
        if bad:
            raise RuntimeError(f"{path}: {len(bad)} cell(s) raised an error; not saved")
        nbformat.write(executed, path)
        done.append(path)
    return done


# --------------------------------------------------------------------------- structure checks
REQUIRED_OPENING = ("知识目标", "技能目标", "Estimated time", "Data")


def structure_problems(nb, mutants: list[Mutant] | None = None) -> list[str]:
    """Authoring problems in a solution notebook; an empty list means the structure is sound."""
    problems = []
    cells = nb.cells
    first = cells[0] if cells else None
    if first is None or first.cell_type != "markdown" or not all(w in first.source for w in REQUIRED_OPENING):
        problems.append(f"the first cell must be markdown naming {', '.join(REQUIRED_OPENING)}")
    if not cells or cells[-1].cell_type != "markdown" or "Summary" not in cells[-1].source:
        problems.append("the last cell must be a markdown 'Summary'")
    ids = [c.metadata.nbgrader.get("grade_id") for c in cells if "nbgrader" in c.metadata]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"duplicate grade_id(s): {dupes}")
    pending = None
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            if pending is not None:
                problems.append(f"solution cell {pending!r} has no graded test after it")
            pending = meta.get("grade_id")
        elif meta.get("grade") and cell.cell_type == "code":
            pending = None
            if not meta.get("locked"):
                problems.append(f"test cell {meta.get('grade_id')!r} is not locked")
    if pending is not None:
        problems.append(f"solution cell {pending!r} has no graded test after it")
    declared = nb.metadata.get("crmlab", {}).get("points")
    total = sum(float(c.metadata.nbgrader.get("points", 0)) for c in grade_cells(nb))
    if declared is None:
        problems.append("notebook metadata crmlab.points (the declared total) is missing")
    elif abs(total - float(declared)) > 1e-9:
        problems.append(f"graded cells add up to {total:g} points, the notebook declares {declared}")
    if not any("BEGIN HIDDEN TESTS" in c.source for c in grade_cells(nb)):
        problems.append("no hidden tests: a hard-coded answer would pass every check")
    problems += test_cell_problems(nb)
    if mutants is not None:
        covered = {m.cell for m in mutants}
        for cell in solution_cells(nb):
            gid = cell.metadata.nbgrader.get("grade_id")
            if gid not in covered:
                problems.append(f"solution cell {gid!r} declares no wrong answer in the .mutants.toml file")
        problems += shortcut_coverage_problems(nb, mutants)
    return problems


_DOTTED = re.compile(r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*")


def _test_cells(nb) -> list:
    return [c for c in grade_cells(nb) if c.cell_type == "code" and not c.metadata.nbgrader.get("solution")]


def _visible_part(source: str) -> str:
    """What students see of a test cell: the source without its hidden block."""
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)


def test_cell_problems(nb) -> list[str]:
    """Rules for graded test cells (issue: honest, helpful grading).

    - tagged ``raises-exception``, so that Run All goes on past a failing test (nbval still compares
      the outputs, and nbgrader still scores an error 0);
    - a comment students can see never names a crmlab function (``value.rfm_scores``);
    - ``check.true`` always carries a ``hint=``: a bare "condition not met" does not help a student.
    """
    problems = []
    for cell in _test_cells(nb):
        gid = cell.metadata.nbgrader.get("grade_id")
        if "raises-exception" not in cell.metadata.get("tags", []):
            problems.append(f"test cell {gid!r} lacks the 'raises-exception' tag (Run All would stop at it)")
        for line in _visible_part(cell.source).splitlines():
            comment = line.split("#", 1)[1] if "#" in line else ""
            if _DOTTED.search(comment):
                problems.append(f"test cell {gid!r}: a comment students see names code ({comment.strip()!r})")
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as err:
            problems.append(f"test cell {gid!r} does not parse: {err}")
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "true"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "check"
                    and not any(k.arg == "hint" for k in node.keywords) and len(node.args) < 3):
                problems.append(f"test cell {gid!r}: check.true(...) without a hint (line {node.lineno})")
    return problems


def exercise_of(gid: str | None) -> str:
    return (gid or "").split("-")[0]


def shortcut_coverage_problems(nb, mutants: list[Mutant]) -> list[str]:
    """An exercise whose tests call ``check.own_work`` declares at least one shortcut answer.

    (A shortcut that reads an answer key from a crmlab constant needs no ``own_work``: the key is not
    kept in crmlab, so such an answer is simply wrong and its mutant test proves it.)"""
    guarded = {exercise_of(c.metadata.nbgrader.get("grade_id")) for c in _test_cells(nb) if "own_work(" in c.source}
    declared = {exercise_of(m.cell) for m in mutants if m.kind == "shortcut"}
    return [f"exercise {q!r} calls check.own_work but declares no shortcut answer (kind = \"shortcut\")"
            for q in sorted(guarded - declared)]


def copy_course(root: Path, dest: Path) -> Path:
    """Copy what nbgrader needs (config + solutions/) into ``dest``; return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(root / "solutions", dest / "solutions", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest
