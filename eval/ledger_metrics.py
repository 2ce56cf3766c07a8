#!/usr/bin/env python3
"""Measure the ledger against the hand-checked gold lists in ``tests/data/``.

Usage (from the repository root)::

    python eval/ledger_metrics.py

Prints figure precision/recall (a row matches a gold row when it is in the same part,
its quote contains the gold ``quote_contains``, and value and unit are equal), qualifier
and indicator agreement on the matched rows, and the precision/recall of 2024↔2025 pairs.
The gold lists are complete for figures: every figure the report states in parts 一 and 二,
as read by a person, so an extracted figure that matches no gold row is a false positive.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "ledger_gold.jsonl"
GOLD_PAIRS = ROOT / "tests" / "data" / "ledger_pairs.jsonl"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.ledger.build import build_ledger  # noqa: E402
from qa.ledger.match import match_pairs  # noqa: E402
from qa.ledger.row import Row  # noqa: E402
from qa.report.corpus import load_report  # noqa: E402


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _quals(s: str) -> set[str]:
    """A qualifier string as a set of words."""
    return {w for w in s.split("、") if w}


def figure_metrics(rows: list[Row], gold: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall of figure rows against the gold list (one-to-one matching)."""
    figs = [r for r in rows if r.is_figure]
    used: set[str] = set()
    missed, qual_bad, ind_bad = [], [], []
    for g in gold:
        m = next(
            (
                r
                for r in figs
                if r.id not in used
                and r.part == g["part"]
                and g["quote_contains"] in r.quote
                and r.value == g["value"]
                and r.unit == g["unit"]
                and r.value_max == g.get("value_max")
            ),
            None,
        )
        if m is None:
            missed.append(g)
            continue
        used.add(m.id)
        if _quals(m.qualifier) != _quals(g["qualifier"]):
            qual_bad.append((g, m))
        if g["indicator_contains"] not in m.indicator:
            ind_bad.append((g, m))
    tp = len(used)
    false_pos = [r for r in figs if r.id not in used]
    return {
        "extracted": len(figs),
        "gold": len(gold),
        "tp": tp,
        "precision": tp / len(figs) if figs else 0.0,
        "recall": tp / len(gold) if gold else 0.0,
        "qualifier_accuracy": (tp - len(qual_bad)) / tp if tp else 0.0,
        "indicator_accuracy": (tp - len(ind_bad)) / tp if tp else 0.0,
        "missed": missed,
        "false_positives": false_pos,
        "qualifier_errors": qual_bad,
        "indicator_errors": ind_bad,
    }


def _is_gold_pair(plan: Row, review: Row, g: dict[str, Any]) -> bool:
    """True when a predicted pair is this gold pair."""
    return (
        g["plan_quote_contains"] in plan.quote
        and plan.value == g["plan_value"]
        and g["review_quote_contains"] in review.quote
        and review.value == g["review_value"]
    )


def pair_metrics(rows: list[Row], gold_pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision of predicted 2025→2024 pairs, and recall over the gold's 2025 rows."""
    by_id = {r.id: r for r in rows}
    predicted = [(by_id[pid], review) for pid, review in match_pairs(rows).items()]
    correct = [(p, r) for p, r in predicted if any(_is_gold_pair(p, r, g) for g in gold_pairs)]
    gold_plans = {(g["plan_quote_contains"], g["plan_value"]) for g in gold_pairs}
    found = {
        (g["plan_quote_contains"], g["plan_value"]) for g in gold_pairs for p, r in correct if _is_gold_pair(p, r, g)
    }
    return {
        "predicted": len(predicted),
        "correct": len(correct),
        "gold_plan_rows": len(gold_plans),
        "precision": len(correct) / len(predicted) if predicted else 0.0,
        "recall": len(found) / len(gold_plans) if gold_plans else 0.0,
        "wrong": [(p, r) for p, r in predicted if (p, r) not in correct],
        "missed": sorted(gold_plans - found),
    }


def main() -> int:
    """Print the ledger metrics; exit code 0."""
    rows = build_ledger(load_report())
    counts: dict[str, int] = {}
    for r in rows:
        counts[f"{r.part}/{r.kind}"] = counts.get(f"{r.part}/{r.kind}", 0) + 1
    print("rows:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    f = figure_metrics(rows, load_jsonl(GOLD))
    print(
        f"figures: precision {f['precision']:.3f} ({f['tp']}/{f['extracted']}), "
        f"recall {f['recall']:.3f} ({f['tp']}/{f['gold']})"
    )
    print(
        f"  on matched rows: qualifier agreement {f['qualifier_accuracy']:.3f}, "
        f"indicator contains gold phrase {f['indicator_accuracy']:.3f}"
    )
    for g in f["missed"]:
        print("  missed:", g["part"], g["quote_contains"], g["value"], g["unit"])
    for r in f["false_positives"]:
        print("  extra: ", r.id, r.value, r.unit, r.quote)
    for g, r in f["qualifier_errors"]:
        print(f"  qualifier: {g['quote_contains']} gold {g['qualifier']!r} got {r.qualifier!r}")
    for g, r in f["indicator_errors"]:
        print(f"  indicator: gold contains {g['indicator_contains']!r} got {r.indicator!r}")
    p = pair_metrics(rows, load_jsonl(GOLD_PAIRS))
    print(
        f"pairs: precision {p['precision']:.3f} ({p['correct']}/{p['predicted']}), "
        f"recall {p['recall']:.3f} over {p['gold_plan_rows']} gold 2025 rows"
    )
    for plan, review in p["wrong"]:
        print(
            f"  wrong pair: {plan.indicator} {plan.value}{plan.unit} <-> {review.indicator} {review.value}{review.unit}"
        )
    for quote, value in p["missed"]:
        print(f"  missed pair: {quote} ({value:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
