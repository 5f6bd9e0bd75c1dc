"""The ``crmlab`` command line.

    crmlab labs generate [LAB ...]     regenerate labs/ (student versions) from solutions/
    crmlab labs execute [LAB ...]      re-run solution notebooks in place (fresh outputs)
    crmlab labs check [LAB ...]        prove every graded test honest (stub, solution, wrong answers)
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
