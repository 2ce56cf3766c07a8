"""The ``qa ledger`` command: build, filter and print the ledger."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qa.ledger.build import build_ledger, filter_rows
from qa.ledger.promises import all_promises, successive
from qa.ledger.table import format_table, to_csv, to_json
from qa.report.corpus import Report, corpus_files, default_corpus, load_reports


def run_cli(args: argparse.Namespace) -> int:
    """Handler of ``qa ledger``: build, filter and print the ledger; returns the exit code."""
    reports = load_reports(corpus_files(args.corpus) if args.corpus else default_corpus())
    if args.promises:
        return _print_promises(reports, args)
    if args.report is not None:
        reports = tuple(r for r in reports if r.id == args.report)
        if not reports:
            print(f"qa ledger: no report {args.report!r} among the reports given", file=sys.stderr)
            return 2
    rows = filter_rows(
        [row for r in reports for row in build_ledger(r)],
        part=args.part,
        section=args.section,
        keyword=args.keyword,
        figures_only=args.figures,
    )
    if args.csv:
        print(to_csv(rows), end="")
    elif args.json:
        print(to_json(rows))
    else:
        print(format_table(rows))
    return 0


def _print_promises(reports: tuple[Report, ...], args: argparse.Namespace) -> int:
    """``qa ledger --promises``: each target of a year beside the later report's result for it."""
    ledgers = {r.id: build_ledger(r) for r in reports}
    found = [p for p in all_promises(reports, ledgers) if args.report in (None, p.target.report, p.result.report)]
    if args.json:
        print(json.dumps([p.to_json() for p in found], ensure_ascii=False, indent=1))
        return 0
    if not successive(reports):
        print("qa ledger: no two reports of one place where one reviews the year the other plans", file=sys.stderr)
        return 1
    for p in found:
        t, r = p.target, p.result
        print(f"{t.year} {t.indicator}\n  目标 [{t.report} {t.id}] {t.quote}\n  结果 [{r.report} {r.id}] {r.quote}")
    print(f"({len(found)} targets paired with a later report's result)")
    return 0


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``ledger`` subcommand to an argparse subparsers object (sets ``func=run_cli``)."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "ledger",
        help="the report's targets and results, one row per figure",
        description="Print the ledger of each report's targets (its plan) and results (its review).",
    )
    p.add_argument(
        "--corpus",
        action="append",
        metavar="PATH",
        help="a report file, or a folder of .txt reports (repeatable; default: $QA_CORPUS or the Liwan report)",
    )
    p.add_argument("--report", default=None, metavar="ID", help="only this report (its file stem)")
    p.add_argument("--part", choices=("plan", "review"), help="only this part of the report")
    p.add_argument("--section", help="only rows whose section breadcrumb contains TEXT", metavar="TEXT")
    p.add_argument("--keyword", help="only rows whose indicator, quote, object or section has TEXT", metavar="TEXT")
    p.add_argument("--figures", action="store_true", help="only rows with a number")
    p.add_argument(
        "--promises",
        action="store_true",
        help="pair each target of a year with the result a later report of the same place gives for it",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV instead of a table")
    out.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(func=run_cli)
    return p
