"""Benchmark: deduplication of ~100,000 scattered archive records (crmlab.archive).

The records come from ``crmlab.archive.scattered_records`` (the same customers keyed by several
salespeople, messy phones/names/addresses, with the ground truth), so every method is scored by
pairwise precision and recall (``archive.dedup_scores``). All methods run in this process on the
same table:

* pandas ``drop_duplicates``-style grouping on the raw (name, phone) — what a user would do first;
* the same on crmlab's normal forms (name key + normalised phone) — exact matching only;
* ``archive.find_duplicates`` + ``cluster_ids`` (blocking on phone / name-in-city / address,
  then the fuzzy rules) with rapidfuzz and with the standard library's difflib;
* ``archive.consolidate`` (dedup + merge + audit);
* for scale, all-pairs fuzzy name comparison without blocking (``rapidfuzz.process.cdist``) on a
  subsample, extrapolated to the full table by n² — the cost blocking avoids.

Run:  .venv/bin/python benchmarks/bench_archive.py            (~100k records, about a minute)
      .venv/bin/python benchmarks/bench_archive.py --quick    (~10k records, a few seconds)

Prints a Markdown table (times are best of ``--repeat`` runs; the ratio is the method's time over
the raw pandas grouping).
"""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from crmlab import archive


def best_time(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10k records instead of 100k")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    n_customers = 5_550 if args.quick else 55_500          # ≈ 1.8 records per customer
    t0 = time.perf_counter()
    records, truth = archive.scattered_records(n_customers=n_customers, seed=args.seed)
    gen_time = time.perf_counter() - t0
    n = len(records)
    truth_arr = truth.to_numpy()
    rows = []

    def add(method, seconds, clusters, pairs=None, note=""):
        s = archive.dedup_scores(np.asarray(clusters), truth_arr)
        rows.append({"method": method, "seconds": seconds, "pairs": pairs, "precision": s["precision"],
                     "recall": s["recall"], "f1": s["f1"], "note": note})

    t, cl = best_time(lambda: records.groupby(["name", "phone"], dropna=False, sort=False).ngroup().to_numpy(), args.repeat)
    add("pandas: group raw (name, phone)", t, cl, note="exact match on the raw text")

    def normalised_exact():
        key = pd.DataFrame({"n": archive.name_key(records["name"]), "p": archive.normalise_phone(records["phone"])})
        return key.groupby(["n", "p"], dropna=False, sort=False).ngroup().to_numpy()
    t, cl = best_time(normalised_exact, args.repeat)
    add("crmlab normal forms + pandas group", t, cl, note="exact match after normalisation")

    for backend in ("rapidfuzz", "difflib"):
        def run(backend=backend):
            pairs = archive.find_duplicates(records, city="city", backend=backend)
            return pairs, archive.cluster_ids(pairs, records.index).to_numpy()
        t, (pairs, cl) = best_time(run, args.repeat if backend == "rapidfuzz" else 1)
        add(f"crmlab find_duplicates ({backend})", t, cl, len(pairs), "blocking + fuzzy rules")

    t, res = best_time(lambda: archive.consolidate(records, id_col="record_id", city="city", date="recorded_at"),
                       args.repeat)
    add("crmlab consolidate (dedup + merge + audit)", t, res.members["cluster"].to_numpy(), len(res.pairs),
        f"{len(res.records):,} records kept, {len(res.audit):,} audit rows")

    try:
        from rapidfuzz import fuzz, process
        sub = min(5_000, n)
        names = archive.name_key(records["name"].head(sub)).fillna("").tolist()
        t, _ = best_time(lambda: process.cdist(names, names, scorer=fuzz.ratio, dtype=np.uint8, workers=1), 1)
        scale = (n / sub) ** 2
        rows.append({"method": f"all pairs, no blocking (rapidfuzz cdist, {sub:,} records × (n/{sub:,})²)",
                     "seconds": t * scale, "pairs": n * (n - 1) // 2, "precision": np.nan, "recall": np.nan,
                     "f1": np.nan, "note": f"measured {t:.2f} s on {sub:,}, extrapolated"})
    except ImportError:
        pass

    base = rows[0]["seconds"]
    print(f"## Archive deduplication (`benchmarks/bench_archive.py{' --quick' if args.quick else ''}`)\n")
    print(f"{n:,} records of {truth.nunique():,} customers (`scattered_records(n_customers={n_customers}, "
          f"seed={args.seed})`, generated in {gen_time:.1f} s); {int(sum(c * (c - 1) // 2 for c in truth.value_counts())):,} "
          f"true duplicate pairs. Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}; "
          f"best of {args.repeat} (difflib once).\n")
    print("| method | time (s) | × pandas raw | candidate pairs | precision | recall | F1 | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        pairs = f"{r['pairs']:,}" if r["pairs"] is not None else "—"
        fmt = (lambda v: "—" if np.isnan(v) else f"{v:.3f}")
        print(f"| {r['method']} | {r['seconds']:.2f} | {r['seconds'] / base:,.0f}× | {pairs} | {fmt(r['precision'])} | "
              f"{fmt(r['recall'])} | {fmt(r['f1'])} | {r['note']} |")


if __name__ == "__main__":
    main()
