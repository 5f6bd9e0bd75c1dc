"""The ``crmlab`` command line.

    crmlab labs generate [LAB ...]     regenerate labs/ (student versions) from solutions/
    crmlab labs execute [LAB ...]      re-run solution notebooks in place (fresh outputs)
    crmlab labs check [LAB ...]        prove every graded test honest (stub, solution, wrong answers)
    crmlab check NOTEBOOK              check one notebook as the teacher's grading will (自测; score, hints)
    crmlab grade LAB --submissions PATH [--out DIR]   grade a class: feedback + gradebook CSV
    crmlab grade LAB --from-db URL     grade the classroom role-play from the shared CRM database
    crmlab classroom start|stop|serve|roster|dispatch|dashboard|grade   one shared CRM for a class (PostgreSQL)
    crmlab mobile [DB] [--port N] [--demo]   serve the phone page of the simulated CRM (task 16)
    crmlab datasets list               list the shipped datasets
    crmlab datasets regenerate [--out DIR]   rewrite the shipped CSV files and data cards
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _labs(args) -> tuple[Path, list[str] | None]:
    from . import labtools

    root = labtools.find_root(args.root)
    return root, (args.labs or None)


def cmd_labs_generate(args) -> int:
    from . import labtools

    root, labs = _labs(args)
    for path in labtools.generate_labs(root, labs):
        print(f"wrote {path.relative_to(root)}")
    return 0


def cmd_labs_execute(args) -> int:
    from . import labtools

    root, labs = _labs(args)
    for path in labtools.execute_solutions(root, labs):
        print(f"executed {path.relative_to(root)}")
    return 0


def cmd_labs_check(args) -> int:
    from . import integrity

    root, labs = _labs(args)
    failures = 0
    for report in integrity.check_labs(root, labs):
        print(report.summary())
        failures += not report.ok
    print("all labs honest" if not failures else f"{failures} notebook(s) with problems")
    return 1 if failures else 0


def cmd_check(args) -> int:
    from . import selfcheck

    try:
        result = selfcheck.check_notebook(args.notebook, root=args.root, out=args.out)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    print(selfcheck.report(result))
    return 0 if result.points >= result.max_points else 1


def cmd_grade(args) -> int:
    from . import grading, labtools

    if args.from_db:
        from .system import classroom

        return classroom.cli_grade(args)
    if not args.submissions:
        print("crmlab grade: give --submissions PATH or --from-db URL / 请给出 --submissions 或 --from-db",
              file=sys.stderr)
        return 2
    root = labtools.find_root(args.root)
    from . import sandbox

    try:
        if not args.no_sandbox:
            sandbox.require()
    except sandbox.SandboxUnavailable as err:
        print(f"crmlab grade: {err}", file=sys.stderr)
        return 3
    book = grading.grade_class(
        args.lab, args.submissions, args.out, root=root, workers=args.workers, cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout, duedate=args.duedate, force=args.force,
        zip_format=args.zip_format, progress=not args.no_progress, cache=not args.no_cache,
        only=args.student or None, nbgrader_feedback=args.nbgrader_feedback, sandbox=not args.no_sandbox)
    where = Path(args.out) / args.lab
    from . import gradebook

    gradebook.write(book, where, roster=args.roster)
    print(f"{args.lab}: graded {book.attrs.get('graded', 0)} submission(s), {book.attrs.get('reused', 0)} unchanged "
          f"since the last run; gradebook {where / 'gradebook.csv'} and .xlsx, feedback in {where / 'feedback'}")
    per_student = book.groupby("student")[["total", "max"]].sum()
    for student, row in per_student.iterrows():
        print(f"  {student:24s} {row['total']:g} / {row['max']:g}")
    return 0


def cmd_datasets_list(args) -> int:
    from . import datasets

    for name in datasets.names():
        print(f"{name:18s} {datasets.CARDS[name]['title']}")
    return 0


def cmd_datasets_regenerate(args) -> int:
    from . import datasets

    for path in datasets.regenerate(args.out, seed=args.seed):
        print(f"wrote {path}")
    return 0


def cmd_classroom(args) -> int:
    from .system import classroom

    return classroom.main(args.rest)


def cmd_mobile(args) -> int:
    from .system import mobile

    return mobile.serve(args.db, args.port, ip=args.ip, demo=args.demo, clock=args.clock)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlab", description="crmlab: graded CRM course labs")
    sub = parser.add_subparsers(dest="command", required=True)

    labs = sub.add_parser("labs", help="author and check the graded labs").add_subparsers(dest="action", required=True)
    for name, func, text in [("generate", cmd_labs_generate, "regenerate labs/ from solutions/"),
                             ("execute", cmd_labs_execute, "re-run solution notebooks in place"),
                             ("check", cmd_labs_check, "prove the graded tests honest")]:
        p = labs.add_parser(name, help=text)
        p.add_argument("labs", nargs="*", help="lab folders such as 01_concepts (default: all)")
        p.add_argument("--root", default=None, help="course root (default: found from the current folder)")
        p.set_defaults(func=func)

    k = sub.add_parser("check", help="check one notebook as the teacher's grading will (自测)",
                       description="Grade one lab notebook with the hidden tests, as `crmlab grade` would, and "
                                   "print its score alone with the message of each failed test. Hidden-test code "
                                   "and expected values are never shown; the notebook is not changed.")
    k.add_argument("notebook", help="the notebook, e.g. labs/02_mining/04_identifying_customers.ipynb")
    k.add_argument("--out", default=None, help="keep the feedback page in this folder (default: not kept)")
    k.add_argument("--root", default=None, help="course root (default: found from the notebook's folder)")
    k.set_defaults(func=cmd_check)

    g = sub.add_parser("grade", help="grade a class with nbgrader: feedback per student and a gradebook CSV",
                       description="Autograde every student's submission of one lab in parallel worker "
                                   "processes, write one HTML feedback per student and notebook (hidden-test "
                                   "code removed) and OUT/LAB/gradebook.csv with per-question points. "
                                   "Re-running regrades only changed submissions.")
    g.add_argument("lab", help="lab folder, e.g. 01_concepts")
    g.add_argument("--submissions", default=None,
                   help="folder with one sub-folder per student (STUDENT/*.ipynb or STUDENT/LAB/*.ipynb, "
                        "optional timestamp.txt), or an LMS zip")
    g.add_argument("--from-db", default=None, metavar="URL",
                   help="grade the classroom role-play from the shared CRM database (crmlab.system.classroom) "
                        "instead; --out may be a .csv file; --duedate marks steps done later as late")
    g.add_argument("--points", action="append", default=[], metavar="STEP=POINTS",
                   help="with --from-db: change a step's points (repeatable)")
    g.add_argument("--out", default="grades", help="output folder (default: ./grades); results go to OUT/LAB/")
    g.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: CPUs)")
    g.add_argument("--cell-timeout", type=int, default=None,
                   help="seconds per cell (default: Execute.timeout in nbgrader_config.py)")
    g.add_argument("--notebook-timeout", type=int, default=900, help="seconds for a whole notebook (default 900)")
    g.add_argument("--duedate", default=None, help='due date, e.g. "2026-03-01 23:59:00 +0800"')
    g.add_argument("--zip-format", default="canvas",
                   help="file names inside a zip: canvas, moodle, attempt, or a regular expression with the "
                        "groups student_id and file_id (default canvas)")
    g.add_argument("--force", action="store_true", help="regrade every student, even unchanged submissions")
    g.add_argument("--student", action="append", default=[],
                   help="regrade only this student (repeatable); the others keep their stored grades")
    g.add_argument("--nbgrader-feedback", default=None, metavar="DIR",
                   help="also copy the feedback into nbgrader's DIR/STUDENT/LAB/ layout for "
                        "`nbgrader release_feedback` (JupyterHub)")
    g.add_argument("--roster", default=None, metavar="CSV",
                   help="class list with 学号/student and 姓名/name columns (CSV in UTF-8 or GBK, or .xlsx): "
                        "puts names in gradebook.xlsx")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run students' kernels WITHOUT the bubblewrap sandbox (with your rights: only for "
                        "submissions you trust); without this flag grading refuses when the sandbox is unavailable")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--no-cache", action="store_true", help="regenerate the lab with nbgrader even if cached")
    g.add_argument("--root", default=None, help="course root (default: found from the current folder)")
    g.set_defaults(func=cmd_grade)

    c = sub.add_parser("classroom", add_help=False, prefix_chars="\0",
                       help="one shared CRM for a class (课堂角色扮演): start|stop|serve|roster|dispatch|dashboard|grade")
    c.add_argument("rest", nargs=argparse.REMAINDER)
    c.set_defaults(func=cmd_classroom)

    p = sub.add_parser("mobile", help="serve the phone page of the simulated CRM (task 16) with Voila",
                       description="Serve crmlab/system/mobile_app.ipynb with Voila over a database; "
                                   "every browser tab logs in (demo mode, no passwords) as one user.")
    p.add_argument("db", nargs="?", default=None,
                   help="SQLite file or SQLAlchemy URL (default $CRMLAB_DB or crmlab_crm.db)")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--ip", default="127.0.0.1",
                   help="0.0.0.0 lets phones on the network in (no passwords: trusted networks only)")
    p.add_argument("--demo", action="store_true",
                   help="build the demo company in its second year into an empty database (演示公司)")
    p.add_argument("--clock", default=None, help="CRM time (default: the database's last event)")
    p.set_defaults(func=cmd_mobile)

    data = sub.add_parser("datasets", help="shipped datasets").add_subparsers(dest="action", required=True)
    p = data.add_parser("list", help="list datasets")
    p.set_defaults(func=cmd_datasets_list)
    p = data.add_parser("regenerate", help="rewrite the shipped CSV files and data cards")
    p.add_argument("--out", default=None, help="output folder (default: the repository's datasets/)")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(func=cmd_datasets_regenerate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "seed", 0) is None:
        from .datasets import DEFAULT_SEED
        args.seed = DEFAULT_SEED
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
