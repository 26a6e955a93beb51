"""`python -m benchmarks [--only SUITE] [--customers N]`: run the suites and update docs/benchmarks.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from benchmarks.docs import DOC, write_section


def _analytics(args: argparse.Namespace) -> str:
    from benchmarks.analytics import run

    return run(args.customers, args.databases.split(","), repeats=args.repeats)


def _api(args: argparse.Namespace) -> str:
    from benchmarks.api import run

    return run(args.databases.split(","))


def _slack(args: argparse.Namespace) -> str:
    from benchmarks.slack import run

    return run()


def _telegram(args: argparse.Namespace) -> str:
    from benchmarks.telegram import run

    return run()


def _triage(args: argparse.Namespace) -> str:
    from benchmarks.triage import run

    return run()


SUITES: dict[str, Callable[[argparse.Namespace], str]] = {
    "analytics": _analytics,
    "api": _api,
    "slack": _slack,
    "telegram": _telegram,
    "triage": _triage,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", choices=sorted(SUITES), action="append", help="run only this suite (repeatable)"
    )
    parser.add_argument(
        "--customers", type=int, default=1_000_000, help="synthetic customers (default 1,000,000)"
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql (default both)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="runs per side of the lifetimes comparison")
    parser.add_argument(
        "--no-write", action="store_true", help=f"print the results instead of updating {DOC}"
    )
    args = parser.parse_args(argv)
    if args.customers < 100:
        parser.error("--customers must be at least 100")
    unknown = set(args.databases.split(",")) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    for name in args.only or sorted(SUITES):
        body = SUITES[name](args)
        if args.no_write:
            print(body)
        else:
            write_section(name, body)
            print(f"{name}: results written to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
