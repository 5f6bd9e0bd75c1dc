"""Benchmark: grading a class — crmlab's parallel `grade_class` vs plain serial `nbgrader autograde`.

Builds N submissions of one lab notebook (default: 100 of lab 01's first notebook): the solved
student version, the same with each declared wrong answer (NAME.mutants.toml), and with the last
exercise left out, in turn — every one attempted, so no notebook is skipped as unanswered. Then:

1. plain nbgrader, serial: one course folder, all N students in ``submitted/``,
   ``nbgrader autograde LAB`` (one process, one kernel after another) — then, for a like-for-like
   comparison with crmlab's output, ``nbgrader generate_feedback LAB``;
2. crmlab: ``grade_class(LAB, ...)`` with W worker processes (default: the CPU count), which also
   writes one feedback page per student and the gradebook CSV.

Both start from a generated lab (nbgrader's ``generate_assignment`` is run before timing, crmlab's
template cache is warmed the same way). The scores of every graded cell of every student are compared
and must be identical. Prints a Markdown table.

Run:  .venv/bin/python benchmarks/bench_grading.py [--n 100] [--workers 2] [--lab 01_concepts]
(100 submissions take about 20–30 minutes on 2 cores: most of it is the serial nbgrader run. The two
methods run in turn on 4 chunks of the class so that both meet the same background load.)
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab import grading, labtools  # noqa: E402


def _builder():
    spec = importlib.util.spec_from_file_location("make_submissions", ROOT / "tests" / "fixtures" / "make_submissions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_class(dest: Path, lab: str, n: int) -> tuple[str, list[str]]:
    """N attempted submissions of the lab's first notebook; returns (notebook name, kinds)."""
    import copy
    import tomllib

    ms = _builder()
    versions = ms.lab_versions(ROOT, lab)
    name = next(iter(versions))
    release, solution = versions[name]
    full = ms.solved(release, solution)
    variants = [("full", full)]
    mutants = ROOT / "solutions" / lab / f"{name}.mutants.toml"
    for m in tomllib.loads(mutants.read_text(encoding="utf-8")).get("mutant", []) if mutants.exists() else []:
        nb = copy.deepcopy(full)
        cell = nb.cells[ms.index_of(nb, m["cell"])]
        if cell.source.count(m["old"]) == 1:
            cell.source = cell.source.replace(m["old"], m["new"])
            variants.append((f"wrong {m['cell']}", nb))
    answers = [ms.gid(c) for c in full.cells if ms.is_answer(c)]
    partial = copy.deepcopy(full)
    partial.cells[ms.index_of(partial, answers[-1])].source = release.cells[ms.index_of(release, answers[-1])].source
    variants.append(("partial", partial))
    kinds = []
    for i in range(n):
        kind, nb = variants[i % len(variants)]
        folder = dest / f"s{i:03d}"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
        kinds.append(kind)
    return name, kinds


def _cpu() -> float:
    """CPU seconds used so far by finished child processes (nbgrader, workers and their kernels)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def nbgrader_serial(subs: Path, lab: str, course: Path, feedback: bool) -> tuple[dict, float, float]:
    """Plain nbgrader: autograde (and generate_feedback) every student in one course, serially."""
    from nbgrader.api import Gradebook

    labtools.copy_course(ROOT, course)
    labtools._nbgrader(course, "generate_assignment", lab, "--force")
    for folder in sorted(subs.iterdir()):
        shutil.copytree(folder, course / "submitted" / folder.name / lab)
    t0, c0 = time.perf_counter(), _cpu()
    labtools._nbgrader(course, "autograde", lab, "--force")
    t_autograde = time.perf_counter() - t0
    CPU["nbgrader"] = CPU.get("nbgrader", 0.0) + _cpu() - c0
    t_feedback = 0.0
    if feedback:
        t0 = time.perf_counter()
        labtools._nbgrader(course, "generate_feedback", lab, "--force")
        t_feedback = time.perf_counter() - t0
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for folder in sorted(subs.iterdir()):
            for nb_path in sorted((course / "autograded" / folder.name / lab).glob("*.ipynb")):
                for g in gb.find_submission_notebook(nb_path.stem, lab, folder.name).grades:
                    if g.cell.cell_type == "code":
                        scores[(folder.name, nb_path.stem, g.name)] = float(g.score or 0)
    return scores, t_autograde, t_feedback


CPU: dict[str, float] = {}


def crmlab_parallel(subs: Path, lab: str, out: Path, workers: int) -> tuple[dict, float, float]:
    t0 = time.perf_counter()
    grading._template(ROOT, lab, Path(tempfile.mkdtemp()), None, cache=True)   # warm the generated lab
    t_template = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), _cpu()
    grading.grade_class(lab, subs, out, root=ROOT, workers=workers, progress=True)
    t_grade = time.perf_counter() - t0
    CPU["crmlab"] = CPU.get("crmlab", 0.0) + _cpu() - c0
    scores = {}
    for student, res in grading.load_results(out, lab).items():
        for nb in res["notebooks"]:
            for cell in nb["cells"]:
                if cell["status"] not in ("missing",):
                    scores[(student, nb["notebook"], cell["grade_id"])] = float(cell["points"])
    return scores, t_grade, t_template


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--lab", default="01_concepts")
    parser.add_argument("--chunks", type=int, default=4, help="alternate the two methods over this many chunks")
    parser.add_argument("--no-feedback-baseline", action="store_true",
                        help="skip timing nbgrader generate_feedback")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crmlab-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["CRMLAB_CACHE"] = str(tmp / "cache")
        name, kinds = build_class(tmp / "class", args.lab, args.n)
        folders = sorted((tmp / "class").iterdir())
        theirs, ours, loads, ratios = {}, {}, [os.getloadavg()[0]], []
        t_auto = t_fb = t_ours = t_template = 0.0
        # The machine is shared: run the two methods in turn on chunks of the class, so that both
        # see the same background load; times and CPU are summed over the chunks.
        for k in range(args.chunks):
            chunk = tmp / f"chunk{k}"
            chunk.mkdir()
            for folder in folders[k::args.chunks]:
                folder.rename(chunk / folder.name)
            s1, a1, f1 = nbgrader_serial(chunk, args.lab, tmp / f"course{k}", not args.no_feedback_baseline)
            s2, o2, t2 = crmlab_parallel(chunk, args.lab, tmp / f"grades{k}", args.workers)
            theirs.update(s1)
            ours.update(s2)
            t_auto, t_fb, t_ours, t_template = t_auto + a1, t_fb + f1, t_ours + o2, max(t_template, t2)
            ratios.append(a1 / o2)
            loads.append(os.getloadavg()[0])
    common = {k for k in theirs if k[1] == name}
    same = all(ours.get(k) == theirs[k] for k in common) and len(common) == len([k for k in ours if k[1] == name])
    total = sum(theirs[k] for k in common)
    print(f"\n{args.n} submissions of {args.lab}/{name} ({len(set(kinds))} distinct kinds: solved, each declared wrong answer, "
          f"last exercise missing); {os.cpu_count()} CPUs, {args.workers} crmlab workers; "
          f"Python {platform.python_version()}; the two methods ran in turn on {args.chunks} chunks of the class "
          f"(speed-up per chunk: {', '.join(f'{r:.2f}×' for r in ratios)}); 1-minute load average "
          f"{', '.join(f'{x:.1f}' for x in loads)} at the start and after each chunk "
          f"(other work shares the machine)\n")
    print("| grading run | wall time | per submission | CPU time (all processes) | speed-up |")
    print("|---|---:|---:|---:|---:|")
    print(f"| nbgrader autograde, serial | {t_auto:.0f} s | {t_auto / args.n:.1f} s | {CPU['nbgrader']:.0f} s | 1.00× |")
    print(f"| crmlab grade_class, {args.workers} workers (autograde + feedback + CSV) | {t_ours:.0f} s | "
          f"{t_ours / args.n:.1f} s | {CPU['crmlab']:.0f} s | **{t_auto / t_ours:.2f}×** |")
    if t_fb:
        print(f"| nbgrader autograde + generate_feedback, serial | {t_auto + t_fb:.0f} s | "
              f"{(t_auto + t_fb) / args.n:.1f} s | | crmlab is **{(t_auto + t_fb) / t_ours:.2f}×** faster |")
    print(f"\nGenerating the lab once (nbgrader generate_assignment, not timed above): {t_template:.0f} s.")
    print(f"Scores identical for all {len(common)} graded cells ({total:g} points in total): {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
