"""Benchmark: crmlab.opportunity pipeline KPIs on 100k generated opportunities.

Compares each KPI function of :mod:`crmlab.opportunity` (vectorised pandas/numpy, with input
validation included) with a naive version a student would write with row-wise
``DataFrame.apply`` (same numbers, checked before timing). Prints a Markdown table.

Run:  .venv/bin/python benchmarks/bench_pipeline.py [--n 100000] [--repeat 3] [--seed 0]
"""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from crmlab import opportunity as op

STAGES = list(op.DEFAULT_METHOD.codes)
ZH = {s.code: s.name_zh for s in op.DEFAULT_METHOD.stages}
REASONS = ["price_too_high", "chose_competitor", "budget_cut", "no_decision", "requirements_changed"]
AS_OF = pd.Timestamp("2025-12-31")


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """n synthetic opportunities shaped like crmlab.datasets.load("opportunities").

    A quarter of the stage labels are Chinese (了解情况 …) so that label normalisation is timed too.
    """
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    status = rng.choice(["open", "won", "lost"], size=n, p=[0.25, 0.25, 0.5])
    stage = np.array(STAGES)[rng.integers(0, len(STAGES), n)]
    stage[status == "won"] = "signing"
    zh = rng.random(n) < 0.25
    stage = np.where(zh, pd.Series(stage).map(ZH).to_numpy(), stage)
    closed = created + pd.to_timedelta(rng.gamma(3.0, 20.0, n).astype(int), unit="D")
    closed = pd.Series(closed).where(status != "open")
    reason = np.where(status == "lost", np.array(REASONS)[rng.integers(0, len(REASONS), n)], "")
    return pd.DataFrame({
        "opportunity_id": [f"OP{i:06d}" for i in range(n)],
        "owner": np.array([f"rep{i:02d}" for i in range(50)])[rng.integers(0, 50, n)],
        "created_date": created, "stage": stage, "status": status,
        "expected_revenue": np.round(rng.lognormal(11.3, 0.8, n), -2),
        "closed_date": closed, "lost_reason": reason,
    })


# ---- naive, row-wise versions ------------------------------------------------------------
PROB = op.DEFAULT_METHOD.probabilities
ALIAS = {**{c: c for c in STAGES}, **{v: k for k, v in ZH.items()}}
CUM_DAYS = dict(zip(STAGES, np.cumsum([s.days for s in op.DEFAULT_METHOD.stages]).tolist()))


def _stage(row):
    return ALIAS[row["stage"]]


def naive_weighted(df):
    return float(round(df.apply(lambda r: r["expected_revenue"] * PROB[_stage(r)] if r["status"] == "open" else 0.0,
                                axis=1).sum(), 6))


def naive_funnel(df):
    d = df[df["status"] == "open"]
    code = d.apply(_stage, axis=1)
    rows = {s: (int((code == s).sum()), float(d.loc[code == s, "expected_revenue"].sum())) for s in STAGES}
    return pd.DataFrame(rows, index=["n", "amount"]).T


def naive_win_rate(df):
    closed = df[df["status"].isin(["won", "lost"])]
    return float(closed.apply(lambda r: r["status"] == "won", axis=1).mean())


def naive_cycle(df):
    closed = df[df["status"].isin(["won", "lost"])].copy()
    closed["days"] = closed.apply(lambda r: (r["closed_date"] - r["created_date"]).days, axis=1)
    return closed.groupby("status")["days"].agg(["size", "mean", "median"])


def _bucket(days):
    return "0-30" if days <= 30 else "31-60" if days <= 60 else "61-90" if days <= 90 else ">90"


def naive_aging(df):
    d = df[df["status"] == "open"].copy()
    d["age"] = d.apply(lambda r: (AS_OF - r["created_date"]).days, axis=1)
    d["bucket"] = d.apply(lambda r: _bucket(r["age"]), axis=1)
    d["overdue"] = d.apply(lambda r: r["age"] > CUM_DAYS[_stage(r)], axis=1)
    return d.groupby("bucket")["overdue"].agg(["size", "sum"])


def naive_reasons(df):
    d = df[df["status"] == "lost"]
    reason = d.apply(lambda r: r["lost_reason"].strip() or "unspecified", axis=1)
    return reason.value_counts()


def naive_kpis(df):
    return (naive_weighted(df), naive_funnel(df), naive_win_rate(df), naive_cycle(df), naive_aging(df),
            naive_reasons(df))


# ---- crmlab versions -----------------------------------------------------------------------
CASES = [
    ("weighted forecast", lambda d: op.weighted_forecast(d), naive_weighted),
    ("funnel by stage", lambda d: op.funnel(d), naive_funnel),
    ("win rate", lambda d: op.win_rate(d), naive_win_rate),
    ("cycle time", lambda d: op.cycle_time(d), naive_cycle),
    ("aging", lambda d: op.aging(d, AS_OF), naive_aging),
    ("loss reasons", lambda d: op.win_loss_reasons(d), naive_reasons),
    ("all KPIs (pipeline_kpis vs all naive)", lambda d: op.pipeline_kpis(d, AS_OF), naive_kpis),
]


def check_same(df):
    assert op.weighted_forecast(df) == naive_weighted(df)
    f, nf = op.funnel(df), naive_funnel(df)
    assert (f["n"].to_numpy() == nf["n"].to_numpy()).all() and np.allclose(f["amount"], nf["amount"])
    assert op.win_rate(df) == naive_win_rate(df)
    c, nc = op.cycle_time(df), naive_cycle(df)
    assert np.allclose(c.to_numpy(float), nc.to_numpy(float))
    a, na = op.aging(df, AS_OF), naive_aging(df).reindex(op.aging(df, AS_OF).index, fill_value=0)
    assert (a["n"].to_numpy() == na["size"].to_numpy()).all() and (a["overdue"].to_numpy() == na["sum"].to_numpy()).all()
    r, nr = op.win_loss_reasons(df)["n"], naive_reasons(df)
    assert r.sort_index().to_dict() == nr.sort_index().to_dict()


def best_of(fn, df, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(df)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    df = generate(args.n, args.seed)
    check_same(df)
    print(f"### Pipeline KPIs on {args.n:,} generated opportunities\n")
    print(f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}; "
          f"best of {args.repeat}; crmlab times include input validation and label normalisation.\n")
    print("| KPI | crmlab.opportunity (s) | naive row-wise apply (s) | speed-up |")
    print("|---|---:|---:|---:|")
    for name, fast, slow in CASES:
        t_fast, t_slow = best_of(fast, df, args.repeat), best_of(slow, df, args.repeat)
        print(f"| {name} | {t_fast:.4f} | {t_slow:.3f} | {t_slow / t_fast:.0f}× |")
    t_val = best_of(lambda d: op.validate_opportunities(d), df, args.repeat)
    print(f"\nValidation alone (`validate_opportunities`): {t_val:.4f} s; identical results checked before timing.")


if __name__ == "__main__":
    main()
