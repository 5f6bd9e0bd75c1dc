"""Benchmark of the simulated CRM (crmlab.system): full flows and reports, SQLite and PostgreSQL.

1. Full flows — lead → conversion → evaluation → five stages → won opportunity → quote audit →
   contract (payment plan, audit) → product archive → service request → dispatch → accept →
   handle (:func:`crmlab.system.demo.full_flow`, 32 actions by six users, each checked, logged
   and all-or-nothing), run inside :meth:`CRM.batch` blocks of ``--batch`` flows.
2. Reports over ``--opps`` opportunities (bulk-inserted with SQLAlchemy Core): the sales funnel
   and the win rate (overall, by department, by salesperson), best of 3, against the pandas way a
   user would otherwise take (``read_sql`` of the opportunities, then ``groupby``).

Usage::

    .venv/bin/python benchmarks/bench_system.py [--flows 10000] [--opps 100000] [--pg URL]

Without ``--pg`` the PostgreSQL rows use ``$CRMLAB_TEST_PG_URL`` (``.ci/services`` sets it) or are
skipped. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crmlab import system
from crmlab.system import models as m
from crmlab.system.demo import full_flow


def _fresh_pg(admin_url: str) -> tuple[str, callable]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def bench_flows(url: str, n: int, batch: int) -> tuple[float, int]:
    crm = system.open(url, demo=True)
    t = time.perf_counter()
    done = 0
    while done < n:
        with crm.batch():
            for _ in range(min(batch, n - done)):
                full_flow(crm, f"客户{done:06d}")
                done += 1
    dt = time.perf_counter() - t
    problems = crm.check_invariants() if n <= 2000 else []
    assert not problems, problems[:5]
    with crm.engine.connect() as con:
        actions = con.execute(sa.select(sa.func.count()).select_from(m.AuditLog)).scalar_one()
    crm.close()
    return dt, actions


def seed_opportunities(crm, n: int, seed: int = 0) -> None:
    """Bulk-insert n opportunities (documents + opportunity tabs) with Core, not through actions."""
    rng = np.random.default_rng(seed)
    users = crm.users().query("role in ['sales_rep', 'sales_manager', 'sales_director']")
    ids = crm.table("users").set_index("login").loc[users["login"], ["id", "dept_id"]].to_numpy()
    codes = list(crm.method().codes)
    probs = crm.method().probabilities
    status = rng.choice(["open", "won", "lost", "potential"], size=n, p=[0.5, 0.2, 0.2, 0.1])
    stage = rng.choice(codes, size=n)
    revenue = rng.integers(10, 500, size=n) * 1000.0
    who = ids[rng.integers(0, len(ids), size=n)]
    now = crm.now
    method_id = int(crm.table("sales_methods").query("is_default")["id"].iloc[0])
    docs, opps = [], []
    for i in range(n):
        no = f"SJ9{i:07d}"
        st = str(status[i])
        sg = None if st == "potential" else str(stage[i])
        if st == "won":
            sg = codes[-1]
        p = {"open": probs.get(sg, 0), "won": 1.0}.get(st, 0.0)
        docs.append({"no": no, "doc_type": "opportunity", "status": st, "subject": f"商机{i}", "owner_id": int(who[i][0]),
                     "dept_id": int(who[i][1]), "total": 0.0, "audit_step": 0, "created_at": now, "created_by": "bench",
                     "updated_at": now, "data": {}})
        opps.append({"no": no, "status": st, "owner_id": int(who[i][0]), "dept_id": int(who[i][1]),
                     "method_id": method_id, "stage": sg, "probability": p, "expected_revenue": float(revenue[i]),
                     "created_at": now, "active": st != "lost"})
    with crm.engine.begin() as con:
        for k in range(0, n, 20_000):
            con.execute(sa.insert(m.Document), docs[k:k + 20_000])
            con.execute(sa.insert(m.Opportunity), opps[k:k + 20_000])


def best_of(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_reports(url: str, n: int) -> list[tuple[str, float, float]]:
    crm = system.open(url, demo=True)
    seed_opportunities(crm, n)
    r = system.reports
    q = ("SELECT o.stage, o.status, o.expected_revenue, o.probability, u.login AS owner, d.name AS department "
         "FROM opportunities o JOIN users u ON u.id = o.owner_id LEFT JOIN departments d ON d.id = o.dept_id")

    def pandas_funnel():
        f = pd.read_sql(q, crm.engine)
        f = f[f.status == "open"]
        return f.groupby("stage").agg(n=("stage", "size"), amount=("expected_revenue", "sum"))

    def pandas_win(by):
        def run():
            f = pd.read_sql(q, crm.engine)
            f = f[f.status.isin(["won", "lost"])]
            g = f.groupby(by) if by else f.assign(k=1).groupby("k")
            return g["status"].apply(lambda s: (s == "won").mean())
        return run

    # results agree before timing
    fun = r.sales_funnel(crm).set_index("stage")
    ref = pandas_funnel()
    assert (fun.loc[ref.index, "n"].to_numpy() == ref["n"].to_numpy()).all()
    out = [("sales funnel (count, amount per stage)", best_of(lambda: r.sales_funnel(crm)), best_of(pandas_funnel))]
    for by, label in ((None, "overall"), ("department", "by department"), ("owner", "by salesperson")):
        out.append((f"win rate {label}", best_of(lambda: r.win_rate(crm, by=by)), best_of(pandas_win(by))))
    crm.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=10_000)
    ap.add_argument("--opps", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--pg", default=os.environ.get("CRMLAB_TEST_PG_URL"))
    args = ap.parse_args()
    backends = []
    tmp = tempfile.mkdtemp()
    backends.append(("SQLite file", lambda tag: (f"sqlite:///{tmp}/{tag}.db", lambda: None)))
    if args.pg:
        backends.append(("PostgreSQL", lambda tag: _fresh_pg(args.pg)))
    print(f"## crmlab.system — {args.flows:,} full flows, reports over {args.opps:,} opportunities\n")
    print("| backend | measure | crmlab.system (s) | per item | pandas read_sql + groupby (s) | speed-up |")
    print("|---|---|---:|---:|---:|---:|")
    for name, make in backends:
        url, drop = make("flows")
        try:
            dt, actions = bench_flows(url, args.flows, args.batch)
        finally:
            drop()
        print(f"| {name} | {args.flows:,} full flows ({actions:,} logged changes) | {dt:.1f} | "
              f"{1000 * dt / args.flows:.1f} ms/flow | — | — |", flush=True)
        url, drop = make("reports")
        try:
            for label, t_crm, t_pd in bench_reports(url, args.opps):
                print(f"| {name} | {label}, {args.opps:,} opps | {t_crm:.3f} | — | {t_pd:.3f} | {t_pd / t_crm:.0f}× |",
                      flush=True)
        finally:
            drop()


if __name__ == "__main__":
    main()
