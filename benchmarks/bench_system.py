"""Benchmark of the simulated CRM (crmlab.system): full flows and reports, SQLite and PostgreSQL.

1. Full flows — lead → conversion → evaluation → five stages → won opportunity → quote audit →
   contract (payment plan, audit) → product archive → service request → dispatch → accept →
   handle (:func:`crmlab.system.demo.full_flow`, 32 actions by six users, each checked, logged
   and all-or-nothing, 44 audit-log rows), two ways:

   * ``single`` — every action its own transaction (how a notebook or the UI runs them);
   * ``batch`` — :meth:`CRM.batch` blocks: one transaction, a savepoint per action.

   Wall time and the CPU time of this process (the machine is shared: wall time depends on the
   load; the CPU time is the engine's own cost — on PostgreSQL the server's work is not in it).
2. Reports over ``--opps`` opportunities (bulk-inserted with SQLAlchemy Core): the sales funnel
   and the win rate (overall, by department, by salesperson), best of 3, against the pandas way a
   user would otherwise take (``read_sql`` of the opportunities, then ``groupby``).

Usage::

    .venv/bin/python benchmarks/bench_system.py                    # a few minutes

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


def bench_flows(url: str, n: int, mode: str, block: int) -> tuple[float, float, int]:
    """Run ``n`` full flows; returns (wall s, CPU s of this process, audit-log rows)."""
    crm = system.open(url, demo=True)
    full_flow(crm, "预热客户")                      # warm the caches (users, products, method)
    with crm.engine.connect() as con:
        logged0 = con.execute(sa.select(sa.func.count()).select_from(m.AuditLog)).scalar_one()
    t, c = time.perf_counter(), time.process_time()
    done = 0
    while done < n:
        k = min(block, n - done)
        if mode == "single":
            for _ in range(k):
                full_flow(crm, f"客户{done:06d}")
                done += 1
            continue
        with getattr(crm, mode)():
            for _ in range(k):
                full_flow(crm, f"客户{done:06d}")
                done += 1
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    problems = crm.check_invariants() if n <= 2000 else []
    assert not problems, problems[:5]
    with crm.engine.connect() as con:
        logged = con.execute(sa.select(sa.func.count()).select_from(m.AuditLog)).scalar_one() - logged0
    crm.close()
    return wall, cpu, logged


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
    ap.add_argument("--batch-flows", type=int, default=200, help="flows run with CRM.batch()")
    ap.add_argument("--single-flows", type=int, default=40, help="flows run one transaction per action")
    ap.add_argument("--block", type=int, default=1_000, help="flows per batch() block")
    ap.add_argument("--only", choices=["single", "batch"], help="run one flow mode only")
    ap.add_argument("--opps", type=int, default=100_000, help="opportunities for the reports (0: skip)")
    ap.add_argument("--pg", default=os.environ.get("CRMLAB_TEST_PG_URL"))
    args = ap.parse_args()
    backends = []
    tmp = tempfile.mkdtemp()
    backends.append(("SQLite file", lambda tag: (f"sqlite:///{tmp}/{tag}.db", lambda: None)))
    if args.pg:
        backends.append(("PostgreSQL", lambda tag: _fresh_pg(args.pg)))
    modes = [("single", args.single_flows, "one transaction per action"),
             ("batch", args.batch_flows, "CRM.batch(): savepoint per action")]
    modes = [x for x in modes if (args.only is None or x[0] == args.only) and x[1] > 0]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"## crmlab.system — full flows, reports over {args.opps:,} opportunities (load average {load:.1f})\n")
    print("| backend | measure | wall (s) | wall per flow | CPU per flow | 10,000 flows at this rate |")
    print("|---|---|---:|---:|---:|---:|")
    report_rows = []
    for name, make in backends:
        for mode, n, label in modes:
            url, drop = make(f"flows_{mode}")
            try:
                wall, cpu, logged = bench_flows(url, n, mode, args.block)
            finally:
                drop()
            print(f"| {name} | {n:,} full flows, {label} ({logged:,} audit-log rows) | {wall:.1f} | "
                  f"{1000 * wall / n:.1f} ms | {1000 * cpu / n:.1f} ms | {10_000 * wall / n:,.0f} s |", flush=True)
        if args.opps:
            url, drop = make("reports")
            try:
                report_rows += [(name, *r) for r in bench_reports(url, args.opps)]
            finally:
                drop()
    if report_rows:
        print("\n| backend | report | crmlab.system (s) | pandas read_sql + groupby (s) | speed-up |")
        print("|---|---|---:|---:|---:|")
        for name, label, t_crm, t_pd in report_rows:
            print(f"| {name} | {label}, {args.opps:,} opps | {t_crm:.3f} | {t_pd:.3f} | {t_pd / t_crm:.0f}× |")


if __name__ == "__main__":
    main()
