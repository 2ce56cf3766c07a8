"""Ledger rows out and back in: CSV, JSON, a plain-text table and the ``qa ledger`` command."""

from __future__ import annotations

import argparse
import csv
import io
import json
import unicodedata
from dataclasses import asdict
from typing import Any

from qa.ledger import ROW_FIELDS, Row
from qa.numbers import format_value
from qa.types import PART_LABELS

_FLOAT_FIELDS = ("value", "value_max", "base_value")
_INT_FIELDS = ("start", "end")


def to_csv(rows: list[Row]) -> str:
    """Rows as CSV text with a header line (None as an empty cell; floats exact)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ROW_FIELDS)
    for r in rows:
        d = asdict(r)
        w.writerow(["" if d[f] is None else repr(d[f]) if f in _FLOAT_FIELDS else d[f] for f in ROW_FIELDS])
    return buf.getvalue()


def from_csv(text: str) -> list[Row]:
    """Inverse of :func:`to_csv`."""
    rows = []
    for d in csv.DictReader(io.StringIO(text)):
        kw: dict[str, Any] = dict(d)
        for f in _FLOAT_FIELDS:
            kw[f] = float(d[f]) if d[f] else None
        for f in _INT_FIELDS:
            kw[f] = int(d[f])
        rows.append(Row(**kw))
    return rows


def row_dicts(rows: list[Row]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (what ``qa ledger --json`` and ``GET /api/ledger`` give)."""
    return [asdict(r) for r in rows]


def to_json(rows: list[Row]) -> str:
    """Rows as a JSON array (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(row_dicts(rows), ensure_ascii=False, indent=1)


def _width(s: str) -> int:
    """Display width of a string (CJK characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cut(s: str, width: int) -> str:
    """Truncate to a display width, marking the cut with …, and pad to it."""
    out, w = "", 0
    for ch in s:
        cw = _width(ch)
        if w + cw > width - 1 and _width(s) > width:
            out, w = out + "…", w + 1
            break
        out, w = out + ch, w + cw
    return out + " " * max(0, width - w)


COLUMNS = (
    ("id", 5),
    ("part", 14),
    ("indicator", 28),
    ("value", 9),
    ("unit", 10),
    ("qualifier", 10),
    ("section", 30),
    ("quote", 60),
)


def format_table(rows: list[Row]) -> str:
    """A fixed-width text table, one line per row (commitments show verb + object as indicator)."""

    def cells(r: Row) -> dict[str, str]:
        return {
            "id": r.id,
            "part": PART_LABELS.get(r.part, r.part),
            "indicator": r.indicator,
            "value": format_value(r.value, r.value_max),
            "unit": r.unit,
            "qualifier": r.qualifier,
            "section": r.section.split(" › ", 1)[-1],
            "quote": r.quote,
        }

    head = " ".join(_cut(name, w) for name, w in COLUMNS)
    lines = [head.rstrip(), "-" * len(head)]
    for r in rows:
        c = cells(r)
        lines.append(" ".join(_cut(c[name], w) for name, w in COLUMNS).rstrip())
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    """Handler of ``qa ledger``: build, filter and print the ledger; returns the exit code."""
    from qa.corpus import load_report
    from qa.ledger import build_ledger, filter_rows

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
