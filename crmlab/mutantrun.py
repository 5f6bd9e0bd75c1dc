"""Prove a notebook's declared wrong answers lose points — all of them in one process, a fork per answer.

Starting a Jupyter kernel and re-running the notebook from its first cell for each of its 10–25 declared
wrong answers was most of the lab-integrity suite's time. This runner executes the solution notebook once, in
an IPython shell (the interpreter a kernel wraps), and before each cell that a wrong answer replaces it forks:
the child process holds exactly the state a fresh kernel would hold at that point, runs the wrong answer and
the cells after it, reports the graded cells' points (nbgrader's own ``determine_grade``) and exits; the parent
then runs the right answer and goes on. Each answer is still judged in a process of its own, from the
notebook's own earlier cells, so no answer can affect another. The run of the right answers is itself
checked (warnings as errors, nothing on stderr, full marks), so one run of a notebook serves both proofs.

``tests/labs/test_integrity.py`` checks on a sample of answers that this runner and a real kernel agree.

Run as ``python -m crmlab.mutantrun SPEC.json RESULT.json`` (see :func:`run`).
"""
from __future__ import annotations

import copy
import io
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
from pathlib import Path

__all__ = ["run"]


def run(path: Path, mutants: list, timeout: int = 300, solution: bool = False) -> list[dict]:
    """Judge every mutant of the solution notebook ``path``; one result per mutant, in order.

    A result is ``{"lost": grade_id or None}`` for a wrong answer (the first graded cell that loses points)
    and ``{"grades": {grade_id: [points, max_points]}}`` for a shortcut (its exercise's graded cells);
    ``{"error": text}`` when the answer could not be judged (a crash or a timeout).

    With ``solution=True`` the run of the right answers is checked too, and a last item is added:
    ``{"solution": [problems]}`` — every cell runs with warnings as errors and writes nothing to stderr,
    and every graded cell earns its points (the same run that the wrong answers fork from).
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="crmlab-mutants-") as tmp:
        spec, out = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec.write_text(json.dumps({"notebook": str(path.resolve()), "timeout": timeout, "solution": solution,
                                    "mutants": [asdict(m) for m in mutants]}), encoding="utf-8")
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   MPLBACKEND="module://matplotlib_inline.backend_inline", PYDEVD_DISABLE_FILE_VALIDATION="1")
        budget = timeout * (len(mutants) + 1)
        done = subprocess.run([sys.executable, "-m", "crmlab.mutantrun", str(spec), str(out)], cwd=path.parent,
                              env=env, capture_output=True, text=True, timeout=budget)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"the mutant runner failed on {path.name}:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- inside the runner process
def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False      # no history thread (threads and fork do not mix)
    return InteractiveShell.instance(config=config)


def _run_cell(shell, cell) -> None:
    """Run a code cell as a kernel would; an exception becomes the cell's error output (nbgrader's rule),
    what it writes to stderr a stderr stream output."""
    import nbformat

    stderr, sys.stderr = sys.stderr, io.StringIO()
    try:
        result = shell.run_cell(cell.source, store_history=True)
    finally:
        written, sys.stderr = sys.stderr.getvalue(), stderr
    failed = result.error_in_exec or result.error_before_exec
    cell.outputs = [] if failed is None else [nbformat.v4.new_output(
        "error", ename=type(failed).__name__, evalue=str(failed)[:500], traceback=[])]
    if written:
        cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=written))


#: Warnings become errors in the solution's run, except those of the interpreter's own machinery
#: (the same rule as :func:`crmlab.labtools.execute` with ``warnings_as_errors``).
_MACHINERY = ("ipykernel", "jupyter_client", "zmq", "tornado", "traitlets", "IPython", "comm")


def _strict_warnings() -> list:
    saved = warnings.filters[:]
    warnings.simplefilter("error")
    for module in _MACHINERY:
        warnings.filterwarnings("default", module=module)
    return saved


def _solution_problems(index: int, cell) -> list[str]:
    from nbgrader.utils import determine_grade, is_grade

    problems = []
    for out in cell.outputs:
        if out.output_type == "error":
            problems.append(f"cell {index} raised {out.ename}: {out.evalue[:200]}")
        elif out.output_type == "stream":
            problems.append(f"cell {index} wrote to stderr (nbgrader scores 0): {out.text.strip()[:200]}")
    if is_grade(cell):
        points, max_points = determine_grade(cell)
        if points is not None and points != max_points:
            problems.append(f"solution loses points on {cell.metadata.nbgrader['grade_id']}: {points}/{max_points}")
    return problems


def _judge(shell, nb, start: int, mutant) -> dict:
    """In the child: run the mutated cell and what follows; the points the checks give it."""
    from nbgrader.utils import determine_grade, is_grade

    from .labtools import exercise_of

    if mutant.kind == "shortcut":
        mine = [i for i, c in enumerate(nb.cells)
                if is_grade(c) and exercise_of(c.metadata.nbgrader["grade_id"]) == exercise_of(mutant.cell)]
        grades = {}
        for index in range(start, mine[-1] + 1):
            cell = nb.cells[index]
            if cell.cell_type != "code":
                continue
            _run_cell(shell, cell)
            if index in mine:
                grades[cell.metadata.nbgrader["grade_id"]] = list(determine_grade(cell))
        return {"grades": grades}
    for index in range(start, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type != "code":
            continue
        _run_cell(shell, cell)
        if is_grade(cell):
            points, max_points = determine_grade(cell)
            if points is not None and points < max_points:
                return {"lost": cell.metadata.nbgrader["grade_id"]}
    return {"lost": None}


def _in_child(work, timeout: int, filters: list | None = None) -> dict:
    """Run ``work()`` in a forked copy of this process; its JSON result, or an error after ``timeout`` s."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                  # the child: judge, report, leave without cleanup
        os.close(read_end)
        if filters is not None:                   # a wrong answer runs under the usual warning rules
            warnings.filters[:] = filters
        try:
            payload = json.dumps(work())
        except BaseException as exc:              # noqa: BLE001 - reported to the parent
            payload = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        data = payload.encode()
        while data:
            data = data[os.write(write_end, data):]
        os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([read_end], [], [], max(left, 0))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            chunks = [json.dumps({"error": f"timed out after {timeout} s"}).encode()]
            break
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    text = b"".join(chunks).decode() or json.dumps({"error": "the child process died without a result"})
    return json.loads(text)


def main(argv: list[str]) -> int:
    import nbformat

    from .labtools import Mutant, apply_mutant

    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    nb = nbformat.read(spec["notebook"], as_version=4)
    mutants = [Mutant(**m) for m in spec["mutants"]]
    # which cell each mutant replaces (apply_mutant also proves the substitution is well-formed)
    variants = [apply_mutant(nb, m) for m in mutants]
    index_of = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    waiting: dict[int, list[int]] = {}
    for k, m in enumerate(mutants):
        waiting.setdefault(index_of[m.cell], []).append(k)

    devnull = os.open(os.devnull, os.O_WRONLY)   # what the cells print is not needed
    os.dup2(devnull, 1)
    shell = _shell()
    filters = _strict_warnings() if spec["solution"] else None
    results: list[dict | None] = [None] * len(mutants)
    problems: list[str] = []
    # without the solution check nothing after the last mutated cell is needed
    last = len(nb.cells) - 1 if spec["solution"] else max(waiting, default=-1)
    for index, cell in enumerate(nb.cells[: last + 1]):
        if cell.cell_type != "code":
            continue
        for k in waiting.get(index, []):
            mutated = copy.deepcopy(variants[k])
            results[k] = _in_child(lambda: _judge(shell, mutated, index, mutants[k]), spec["timeout"], filters)
        _run_cell(shell, cell)
        problems += _solution_problems(index, cell)
    if spec["solution"]:
        results.append({"solution": problems})
    Path(argv[1]).write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
