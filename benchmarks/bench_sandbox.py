"""Benchmark: what the grading sandbox costs per notebook.

For one small notebook (a cell importing crmlab.check, one assert), alternately N times each:

1. ``plain``   — nbclient with jupyter_client's usual kernel manager (what nbgrader does);
2. ``sandbox`` — the same with :class:`crmlab.sandbox.SandboxKernelManager` (bubblewrap);
3. ``sandbox + tamper checks`` — the sandbox plus crmlab's hidden baseline and one verification
   (:mod:`crmlab.tamper`), i.e. one graded cell's worth of checks.

Each run starts a kernel, runs the cells and shuts the kernel down; the medians are printed with the
1-minute load average (the machine may be shared). Run: .venv/bin/python benchmarks/bench_sandbox.py [--n 10]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab import sandbox, tamper  # noqa: E402


def notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from crmlab import check\nx = 41 + 1"),
                                         nbformat.v4.new_code_cell("check.equal(x, 42, 'x')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run(kind: str) -> float:
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    nb = notebook()
    t0 = time.perf_counter()
    if kind == "plain":
        client = NotebookClient(nb, timeout=60, allow_errors=True)
        client.execute(cwd=tempfile.gettempdir())
    else:
        work = tempfile.mkdtemp(prefix="crmlab-bench-")
        sandbox.prepare_dir(work)
        client = NotebookClient(nb, timeout=60, allow_errors=True, kernel_manager_class=sandbox.kernel_manager_class())
        client.km = client.create_kernel_manager()
        client.km.work = work
        if kind == "sandbox":
            client.execute()
        else:
            with client.setup_kernel():
                def check(mode):
                    msg_id = client.kc.execute("", silent=True, store_history=False,
                                               user_expressions={"tamper": tamper.expression(mode, {"check": "crmlab:check"})})
                    while True:
                        msg = run_sync(client.kc.shell_channel.get_msg)(timeout=60)
                        if msg["parent_header"].get("msg_id") == msg_id:
                            return tamper.parse(msg)
                base = check("baseline")
                for i, cell in enumerate(nb.cells):
                    client.execute_cell(cell, i)
                assert tamper.differences(base, check("verify")) == []
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.outputs), nb.cells
    return time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args(argv)
    sandbox.require()
    kinds = ["plain", "sandbox", "sandbox + tamper checks"]
    times = {k: [] for k in kinds}
    loads = [os.getloadavg()[0]]
    run("plain")                         # warm the file cache
    for _ in range(args.n):
        for kind in kinds:
            times[kind].append(run(kind))
        loads.append(os.getloadavg()[0])
    print(f"\n{args.n} runs each, alternating; {os.cpu_count()} CPUs; 1-minute load average "
          f"{min(loads):.1f}–{max(loads):.1f} during the runs. {sandbox.describe().split(';')[0]}\n")
    print("| kernel | median: start + 2 cells + shutdown | min | max | cost per notebook vs plain |")
    print("|---|---:|---:|---:|---:|")
    plain = statistics.median(times["plain"])
    for kind in kinds:
        med = statistics.median(times[kind])
        print(f"| {kind} | {med:.2f} s | {min(times[kind]):.2f} s | {max(times[kind]):.2f} s | "
              f"{med - plain:+.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
