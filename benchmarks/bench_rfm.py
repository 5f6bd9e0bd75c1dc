"""Benchmark: crmlab.value.rfm_summary against lifetimes' summary_data_from_transaction_data.

Both run in this process on the same generated transactions (uniform or skewed customer ids,
purchase times to the minute over one or two years, gamma-distributed amounts; the dates are already datetime64,
so date parsing is not timed). For every case the script checks that the two results are the same
numbers (same customers in the same order; np.allclose, rtol 1e-10) and prints a Markdown table
of the timings and the speed-up (lifetimes time / crmlab time).

Run:  .venv/bin/python benchmarks/bench_rfm.py            (1M and 10M rows, about 2 minutes)
      .venv/bin/python benchmarks/bench_rfm.py --quick    (100k rows, a few seconds)

lifetimes is timed best of 3 at 1M rows and once at 10M rows (about 15 s and 2 GB there);
crmlab best of 5 / 3.
"""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from crmlab import value


def generate(n_rows: int, n_customers: int, seed: int = 0, string_ids: bool = False, days: int = 373,
             skewed: bool = False) -> pd.DataFrame:
    """Transactions over ``days`` days; ``skewed``: a few customers buy very often (gamma purchase
    rates, as in the course's market), else every customer is equally likely."""
    rng = np.random.default_rng(seed)
    if skewed:
        rate = rng.gamma(0.6, 1.0, n_customers)
        ids = rng.choice(n_customers, size=n_rows, p=rate / rate.sum())
    else:
        ids = rng.integers(0, n_customers, n_rows)
    minutes = rng.integers(0, days * 24 * 60, n_rows)
    df = pd.DataFrame({
        "customer_id": np.char.add("C", ids.astype(str)).astype(object) if string_ids else ids,
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(minutes, unit="min"),
        "amount": np.round(rng.gamma(2.0, 20.0, n_rows), 2),
    })
    if string_ids:
        df["customer_id"] = df["customer_id"].astype("str")
    return df


def best_time(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def same_numbers(ours: pd.DataFrame, ref: pd.DataFrame) -> bool:
    if len(ours) != len(ref) or not (ours.index.astype(str) == ref.index.astype(str)).all():
        return False
    return all(np.allclose(ours[c].to_numpy(), ref[c].to_numpy(), rtol=1e-10, atol=1e-9) for c in ref.columns)


def run_case(label, df, freq, end, lt_repeat, our_repeat):
    from lifetimes.utils import summary_data_from_transaction_data

    t_ref, ref = best_time(lambda: summary_data_from_transaction_data(
        df, "customer_id", "date", "amount", observation_period_end=end, freq=freq), lt_repeat)
    t_our, ours = best_time(lambda: value.rfm_summary(df, "customer_id", "date", "amount", end=end, freq=freq),
                            our_repeat)
    return {"case": label, "rows": f"{len(df):,}", "customers": f"{len(ref):,}", "freq": freq,
            "lifetimes (s)": f"{t_ref:.3f}", "crmlab (s)": f"{t_our:.3f}", "speed-up": f"{t_ref / t_our:.1f}×",
            "same numbers": "yes" if same_numbers(ours, ref) else "NO"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows only")
    args = parser.parse_args()

    # (label, rows, customers, string ids, freq, days, skewed, lifetimes repeats, crmlab repeats)
    if args.quick:
        cases = [("int ids, 1 year", 100_000, 10_000, False, "D", 373, False, 3, 5)]
    else:
        cases = [
            ("int ids, 1 year", 1_000_000, 100_000, False, "D", 373, False, 3, 5),
            ("int ids, 2 years", 1_000_000, 100_000, False, "D", 730, False, 3, 5),
            ("int ids, 2 years, skewed", 1_000_000, 100_000, False, "D", 730, True, 3, 5),
            ("int ids, 2 years", 1_000_000, 100_000, False, "W", 730, False, 3, 5),
            ("string ids, 2 years", 1_000_000, 100_000, True, "D", 730, False, 3, 5),
            ("string ids, 2 years, skewed", 1_000_000, 100_000, True, "D", 730, True, 3, 5),
            ("int ids, 2 years", 10_000_000, 1_000_000, False, "D", 730, False, 1, 3),
        ]
    rows = []
    for label, n_rows, n_customers, string_ids, freq, days, skewed, lt_repeat, our_repeat in cases:
        df = generate(n_rows, n_customers, seed=n_rows, string_ids=string_ids, days=days, skewed=skewed)
        end = str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=days - 1)).date())
        rows.append(run_case(label, df, freq, end, lt_repeat, our_repeat))
        del df
    import lifetimes

    print(f"rfm_summary vs lifetimes {lifetimes.__version__} summary_data_from_transaction_data "
          f"(Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__})\n")
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "|".join("---" for _ in table.columns) + "|")
    for _, row in table.iterrows():
        print("| " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
