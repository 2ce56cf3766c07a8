"""The ``qa ledger`` command: build, filter and print the ledger."""

from __future__ import annotations

import argparse
from typing import Any

from qa.ledger.build import build_ledger, filter_rows
from qa.ledger.table import format_table, to_csv, to_json
from qa.report.corpus import load_report


def run_cli(args: argparse.Namespace) -> int:
    """Handler of ``qa ledger``: build, filter and print the ledger; returns the exit code."""
    rows = filter_rows(
        build_ledger(load_report()),
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


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``ledger`` subcommand to an argparse subparsers object (sets ``func=run_cli``)."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "ledger",
        help="the report's targets and results, one row per figure",
        description="Print the ledger of 2025 commitments and 2024 results.",
    )
    p.add_argument("--part", choices=("plan2025", "review2024"), help="only this part of the report")
    p.add_argument("--section", help="only rows whose section breadcrumb contains TEXT", metavar="TEXT")
    p.add_argument("--keyword", help="only rows whose indicator, quote, object or section has TEXT", metavar="TEXT")
    p.add_argument("--figures", action="store_true", help="only rows with a number")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV instead of a table")
    out.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(func=run_cli)
    return p
