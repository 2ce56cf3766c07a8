"""Ledger rows out and back in: CSV, JSON and a plain-text table."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import asdict
from typing import Any

from qa.ledger.row import ROW_FIELDS, Row
from qa.text.numbers import format_value
from qa.types import part_label

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
        kw["year"] = int(d["year"]) if d.get("year") else None
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
            "part": part_label(r.part, r.year),
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
