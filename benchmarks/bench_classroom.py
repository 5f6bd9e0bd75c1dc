"""Load test of the classroom mode (crmlab.system.classroom): 50 simulated students, one PostgreSQL.

A fresh database on the loopback PostgreSQL server gets the demo company and a roster of
``--students`` students: teams of three sales reps and one evaluator (销售经理), plus one service
engineer per team. Every student is a thread with **its own connection**
(:func:`classroom.connect`) and plays the classroom scenario (:func:`classroom.autoplay`) as in a
lesson, all at once:

* a rep: lead → conversion → 潜在机会 → submit to the team's evaluator; once evaluated,
  ``--edits`` contested edits of the opportunity (read ``version`` with ``desk.get``, think
  for a moment, save with ``expected_version=``; on :class:`StaleRecord` reload and retry),
  then activity, task, quote, sample, four stage pushes and 赢单;
* an evaluator: audits each customer, sets it trading, evaluates, then reviews every open
  opportunity of the team ``--edits`` times with the same optimistic-locking edit (so rep and
  evaluator collide on the same rows);
* an engineer: accepts and handles ``--orders`` work orders dispatched before the run.

Students connect with their own database logins, which write no table: every action is a
request to the classroom service (``classroom serve``), run here as ``--service`` separate
processes of ``--service-threads`` threads each, as ``crmlab classroom start`` runs it beside the
server. ``--think SECONDS`` makes each student pause that long (±50 %) after each action, as a
student at a notebook does; 0 (the default) is the worst case, everyone acting back to back.

Bounded: a fixed number of actions per student and a wall-clock limit (``--limit`` seconds,
default 120). Reported: students finished, write actions and their throughput, p50/p95/max
round trip of an action (request → result, measured in the student's thread; and, from the
request table's server-side times, the wait in the queue and the service's run time), the
StaleRecord conflicts detected, other refusals and errors by code, and the consistency checks at
the end: ``check_invariants()`` empty, and no lost update (every successful contested edit is in
the audit log, the final version of each opportunity equals its count of changes + 1).

Usage::

    .venv/bin/python benchmarks/bench_classroom.py [--students 50] [--edits 5] [--orders 3] [--think 0]
        [--service 1] [--service-threads 2] [--pg URL]

``--pg`` defaults to ``$CRMLAB_TEST_PG_URL`` (``source .ci/services && pg_start``). Prints a
Markdown table.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crmlab.system import CRMError, StaleRecord, classroom

from bench_system import _fresh_pg  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

READS = {"documents", "get", "my_schedule", "user", "crm", "login"}


class Stats:
    """Thread-safe record of every write action: (student, action, seconds, outcome)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple] = []
        self.edits = collections.Counter()          # successful contested edits per opportunity
        self.messages: list[str] = []               # first line of each unexpected error

    def add(self, *row):
        with self.lock:
            self.rows.append(row)


class Timed:
    """A desk whose actions are timed into ``stats`` (reads pass through untimed)."""

    def __init__(self, desk, stats: Stats, think: float = 0.0):
        self._desk, self._stats, self._think = desk, stats, think
        self._rng = random.Random(desk.login)

    def __getattr__(self, name):
        attr = getattr(self._desk, name)
        if name in READS or name.startswith("_") or not callable(attr):
            return attr

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                out = attr(*a, **kw)
            except StaleRecord:
                self._stats.add(self._desk.login, name, time.perf_counter() - t, "STALE_RECORD")
                raise
            except CRMError as err:
                self._stats.add(self._desk.login, name, time.perf_counter() - t, err.code)
                raise
            except Exception as err:                      # noqa: BLE001 - counted and reported
                self._stats.add(self._desk.login, name, time.perf_counter() - t, type(err).__name__)
                with self._stats.lock:
                    self._stats.messages.append(f"{self._desk.login}.{name}: {str(err).splitlines()[0][:300]}")
                raise
            self._stats.add(self._desk.login, name, time.perf_counter() - t, "ok")
            if self._think:
                time.sleep(self._think * self._rng.uniform(0.5, 1.5))      # the student reads the result
            return out
        return timed


def make_roster(n: int) -> pd.DataFrame:
    """Teams of 3 reps + 1 evaluator + 1 engineer (5 students per team)."""
    rows = []
    for i in range(n):
        team, k = divmod(i, 5)
        role = ["业务员", "业务员", "业务员", "评估人", "服务工程师"][k]
        rows.append((f"S{i + 1:03d}", f"学生{i + 1:03d}", role, f"第{team + 1:02d}组" if k < 4 else "服务组"))
    return pd.DataFrame(rows, columns=["学号", "姓名", "角色", "小组"])


def contested_edit(desk, opp, field: dict, stats: Stats, rng, retries: int = 5) -> bool:
    """Read the version, think, save with expected_version; on StaleRecord reload and retry."""
    for _ in range(retries):
        v = desk.get(opp)["version"]
        time.sleep(rng.uniform(0.005, 0.03))                      # the student reads the screen
        try:
            desk.set_potential(opp, expected_version=v, **field)
            with stats.lock:
                stats.edits[opp] += 1
            return True
        except StaleRecord:
            continue
        except CRMError:
            return False                                         # e.g. won meanwhile: read-only
    return False


def student(url, sid, role, team_eval, team_reps, args, stats, deadline, start, done, errors):
    rng = random.Random(sid)
    desk = Timed(classroom.connect(url, sid, wait=60), stats, args.think)   # the student's own login (or the teacher's)
    crm = desk.crm
    start.wait()
    try:
        if role == "sales_rep":
            edited = 0
            while time.monotonic() < deadline:
                try:
                    acts = classroom.autoplay(desk, evaluator=team_eval) if edited >= args.edits or \
                        _status(crm, sid) != "open" else []
                except (CRMError, sa.exc.SQLAlchemyError):
                    acts = []
                    time.sleep(0.05)
                st = _status(crm, sid)
                if st == "won":
                    break
                if st == "open" and edited < args.edits:
                    opp = _opp(crm, sid)
                    contested_edit(desk, opp, {"need": f"{sid} 第 {edited + 1} 次修改"}, stats, rng)
                    edited += 1
                    continue
                if not acts:
                    time.sleep(args.poll)
        elif role == "sales_manager":
            reviewed = collections.Counter()
            while time.monotonic() < deadline:
                try:
                    acts = classroom.autoplay(desk)
                except (CRMError, sa.exc.SQLAlchemyError):
                    acts = []
                opps = [(_opp(crm, r), _status(crm, r)) for r in team_reps]
                todo = [o for o, s in opps if s == "open" and reviewed[o] < args.edits]
                for o in todo:
                    contested_edit(desk, o, {"interest": rng.choice(["高", "中"])}, stats, rng)
                    reviewed[o] += 1
                if all(s in ("won",) or (s == "open" and reviewed[o] >= args.edits) for o, s in opps) \
                        and len(reviewed) == len(team_reps):
                    break
                if not acts and not todo:
                    time.sleep(args.poll)
        elif role == "engineer":
            while time.monotonic() < deadline:
                try:
                    acts = classroom.autoplay(desk)
                except (CRMError, sa.exc.SQLAlchemyError):
                    acts = []
                if crm.pending(sid).empty:
                    break
                if not acts:
                    time.sleep(args.poll)
        done.append(sid)
    except Exception as err:                                       # noqa: BLE001 - reported
        errors.append(f"{sid}: {type(err).__name__}: {err}")
    finally:
        crm.close()


def _opp(crm, sid):
    f = crm.documents(user=sid, doc_type="opportunity")
    return f["no"].iloc[-1] if len(f) else None


def _status(crm, sid):
    no = _opp(crm, sid)
    return crm.status(no, lang="en") if no else None


def dispatch_orders(crm, k: int) -> int:
    """The service desk (陈静) dispatches k work orders to every engineer before the lesson."""
    engineers = classroom.roster(crm).query("role == 'engineer'")["student_id"]
    cust = crm.customers().query("status == 'audited'")["no"].iloc[0]
    cj = crm.login("chenjing")
    n = 0
    with crm.batch():
        for e in engineers:
            for i in range(k):
                a = cj.register_product_archive(cust, "R740", 1)
                r = cj.new_service_request(cust, a, f"故障 {e}-{i}", required_by=crm.now.date() + dt.timedelta(days=2))
                cj.assign_request(r, "chenjing")
                cj.dispatch(r, e)
                n += 1
    return n


def _logins(out, url, shared: bool):
    """student id → URL: their own database login (row-level security on), or the teacher's URL."""
    sheet = out.attrs.get("credentials")
    own = {} if shared or sheet is None else dict(zip(sheet["学号"], sheet["连接串"]))
    return lambda sid: own.get(sid, url)


def solo_baseline(crm, url, shared: bool = False) -> pd.DataFrame:
    """The same scenario by one rep and one evaluator alone (after the load run): uncontended latency."""
    out = classroom.load_roster(crm, pd.DataFrame({"学号": ["SOLO1", "SOLO2"], "姓名": ["独奏甲", "独奏乙"],
                                                   "角色": ["业务员", "评估人"], "小组": ["独奏组", "独奏组"]}))
    logins = _logins(out, url, shared)
    stats = Stats()
    rep = Timed(classroom.connect(logins("SOLO1"), "SOLO1"), stats)
    ev = Timed(classroom.connect(logins("SOLO2"), "SOLO2"), stats)
    classroom.autoplay(rep, evaluator="SOLO2")
    classroom.autoplay(ev)
    opp = _opp(crm, "SOLO1")
    for i in range(5):
        rep.set_potential(opp, need=f"solo {i}", expected_version=rep.get(opp)["version"])
    classroom.autoplay(rep)
    rep.crm.close()
    ev.crm.close()
    return pd.DataFrame(stats.rows, columns=["student", "action", "seconds", "outcome"])


def start_service(url: str, args) -> list[subprocess.Popen]:
    """The classroom service in ``args.service`` processes (as ``crmlab classroom start`` runs it)."""
    env = {**os.environ, "CRMLAB_CLASS_URL": url}
    procs = [subprocess.Popen([sys.executable, "-m", "crmlab.system.classroom", "serve", "--threads",
                               str(args.service_threads)], env=env, stdout=subprocess.DEVNULL) for _ in range(args.service)]
    time.sleep(1.0)
    return procs


def stop_service(procs) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(30)


def request_times(crm) -> pd.DataFrame:
    """Server-side times of every answered request (ms): queued (taken − created), run (done − taken), total."""
    with crm.engine.connect() as con:
        f = pd.read_sql(sa.text("SELECT method, extract(epoch FROM taken_at - created_at) * 1000 AS queued, "
                                "extract(epoch FROM done_at - taken_at) * 1000 AS run, "
                                "extract(epoch FROM done_at - created_at) * 1000 AS total "
                                "FROM classroom_requests WHERE done_at IS NOT NULL"), con)
    return f


def run(url: str, args) -> dict:
    crm = classroom.open_class(url)
    roster = make_roster(args.students)
    t0 = time.perf_counter()
    logins = _logins(classroom.load_roster(crm, roster), url, args.shared)
    t_roster = time.perf_counter() - t0
    n_orders = dispatch_orders(crm, args.orders)
    service = [] if args.shared else start_service(url, args)
    r = classroom.roster(crm)
    stats, done, errors = Stats(), [], []
    start = threading.Barrier(len(r) + 1)
    threads = []
    teams = {t: g for t, g in r.groupby("team")}
    for s in r.itertuples():
        g = teams[s.team]
        ev = g.query("role == 'sales_manager'")["student_id"]
        reps = g.query("role == 'sales_rep'")["student_id"].tolist()
        threads.append(threading.Thread(target=student, daemon=True, args=(
            logins(s.student_id), s.student_id, s.role, ev.iloc[0] if len(ev) else None, reps, args, stats,
            time.monotonic() + args.limit + 30, start, done, errors)))
    for t in threads:
        t.start()
    time.sleep(0.5)
    deadline = time.monotonic() + args.limit
    start.wait()
    t1 = time.perf_counter()
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    wall = time.perf_counter() - t1
    alive = sum(t.is_alive() for t in threads)
    rows = pd.DataFrame(stats.rows, columns=["student", "action", "seconds", "outcome"])
    ok = rows[rows["outcome"] == "ok"]
    # consistency at the end
    problems = crm.check_invariants()
    log = crm.audit_log(action="set_potential")
    log = log[log["doc_type"] == "opportunity"]
    by_opp = log.groupby("doc_no").size()
    autoplay_sets = rows[(rows["action"] == "set_potential") & (rows["outcome"] == "ok")]
    contested = int(sum(stats.edits.values()))
    lost = []
    for opp, n in stats.edits.items():
        # autoplay's own set_potential (once per rep) + the contested edits = the audit log
        if by_opp.get(opp, 0) != n + 1:
            lost.append(opp)
    t2 = time.perf_counter()
    book = classroom.grade_from_db(crm)
    t_grade = time.perf_counter() - t2
    finished = int((book["total"] == book["max"]).sum())
    solo = solo_baseline(crm, url, args.shared)
    stop_service(service)
    server = request_times(crm) if not args.shared else pd.DataFrame(columns=["queued", "run", "total"])
    crm.close()
    return {
        "students": len(r), "threads_left": alive, "finished": finished, "roster_s": t_roster, "grade_s": t_grade,
        "orders": n_orders, "wall": wall, "actions": len(ok), "tries": len(rows),
        "throughput": len(ok) / wall if wall else float("nan"),
        "p50": float(np.percentile(rows["seconds"], 50)) * 1000 if len(rows) else float("nan"),
        "p95": float(np.percentile(rows["seconds"], 95)) * 1000 if len(rows) else float("nan"),
        "max": float(rows["seconds"].max()) * 1000 if len(rows) else float("nan"),
        "stale": int((rows["outcome"] == "STALE_RECORD").sum()), "contested_ok": contested,
        "outcomes": rows[rows["outcome"] != "ok"]["outcome"].value_counts().to_dict(),
        "invariants": problems, "lost": lost, "messages": stats.messages[:5],
        "errors": errors[:5], "autoplay_sets": len(autoplay_sets),
        "solo_p50": float(np.percentile(solo["seconds"], 50)) * 1000,
        "solo_p95": float(np.percentile(solo["seconds"], 95)) * 1000,
        "by_action": rows.groupby("action")["seconds"].describe(percentiles=[0.5, 0.95])
                         .sort_values("count", ascending=False),
        "server": {k: (float(np.percentile(server[k], 50)), float(np.percentile(server[k], 95)))
                   for k in ("queued", "run", "total")} if len(server) else {},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=50)
    ap.add_argument("--shared", action="store_true",
                    help="every student on the teacher's URL (no row-level security), as before issue 17")
    ap.add_argument("--edits", type=int, default=5, help="contested edits per rep (and reviews per opportunity)")
    ap.add_argument("--orders", type=int, default=3, help="work orders per engineer")
    ap.add_argument("--limit", type=float, default=120, help="wall-clock limit of the run (seconds)")
    ap.add_argument("--poll", type=float, default=0.25, help="seconds a waiting student pauses")
    ap.add_argument("--think", type=float, default=0.0, help="seconds a student pauses after each action (±50 %%)")
    ap.add_argument("--service", type=int, default=1, help="processes of the classroom service")
    ap.add_argument("--service-threads", type=int, default=2, help="threads per service process")
    ap.add_argument("--pg", default=os.environ.get("CRMLAB_TEST_PG_URL"))
    args = ap.parse_args(argv)
    if not args.pg:
        print("no PostgreSQL: run `source .ci/services && pg_start` or pass --pg URL", file=sys.stderr)
        return 1
    url, drop = _fresh_pg(args.pg)
    try:
        res = run(url, args)
    finally:
        drop()
    print(f"\n{res['students']} students (threads, one connection each), {args.edits} contested edits per rep, "
          f"{args.orders} work orders per engineer, think {args.think:g} s, limit {args.limit:g} s, "
          + ("everyone on the teacher's URL\n" if args.shared else
             f"classroom service {args.service} process(es) × {args.service_threads} threads\n"))
    print("| measure | value |\n|---|---:|")
    for k, v in [("students who finished every step of their role", f"{res['finished']} / {res['students']}"),
                 ("threads still running at the limit", res["threads_left"]),
                 ("roster load (users + teams, one transaction)", f"{res['roster_s']:.2f} s"),
                 ("run time (wall)", f"{res['wall']:.1f} s"),
                 ("write actions committed", res["actions"]),
                 ("write actions tried (incl. refused)", res["tries"]),
                 ("throughput", f"{res['throughput']:.1f} actions/s"),
                 ("action latency p50", f"{res['p50']:.0f} ms"),
                 ("action latency p95", f"{res['p95']:.0f} ms"),
                 ("action latency max", f"{res['max']:.0f} ms"),
                 ("same scenario, one rep + one evaluator alone: p50 / p95",
                  f"{res['solo_p50']:.0f} ms / {res['solo_p95']:.0f} ms"),
                 (f"p50 with {res['students']} students / p50 alone", f"{res['p50'] / res['solo_p50']:.1f}×"),
                 ("StaleRecord conflicts detected", res["stale"]),
                 ("contested edits that succeeded (after reload)", res["contested_ok"]),
                 ("other refusals / errors by code", res["outcomes"] and {k: v for k, v in res["outcomes"].items()
                                                                       if k != "STALE_RECORD"} or "none"),
                 ("grade the class from the database (`grade_from_db`)", f"{res['grade_s']:.2f} s"),
                 ("`check_invariants()` at the end", res["invariants"] or "[] (consistent)"),
                 ("lost updates (audit log vs successful edits)", res["lost"] or "none"),
                 ("student threads that crashed", res["errors"] or "none")]:
        print(f"| {k} | {v} |")
    for k, (p50, p95) in res["server"].items():
        print(f"| request {k} (server clock): p50 / p95 | {p50:.0f} ms / {p95:.0f} ms |")
    print("\n| action | n | p50 (ms) | p95 (ms) | max (ms) |\n|---|---:|---:|---:|---:|")
    for name, r in res["by_action"].iterrows():
        print(f"| {name} | {int(r['count'])} | {r['50%'] * 1000:.0f} | {r['95%'] * 1000:.0f} | {r['max'] * 1000:.0f} |")
    for msg in res["messages"]:
        print(f"\nunexpected error: {msg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
