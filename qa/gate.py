"""The quality gate: pinned test-split scores (``eval/expected.json``) and the comparison against them.

Tolerances are written into the file next to each value, so a reader sees exactly what
fails the gate. Rates get two questions' worth of slack (at least 0.01); verbatim gets none;
latency, which depends on the machine and its load, fails above the larger of twice the pinned
value plus 20 ms and the 50 ms target.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from qa.metrics import LOWER_IS_BETTER, METRICS

EXPECTED_FILE = Path(__file__).resolve().parent.parent / "eval" / "expected.json"
TARGETS: dict[str, float] = {  # the targets on the test split (shown in reports, not enforced by the gate)
    "recall@5": 0.95,
    "answer_hit": 0.90,
    "verbatim": 1.0,
    "abstention_accuracy": 0.90,
    "false_refusal": 0.05,
    "latency_p95_ms": 50.0,
}


def tolerance(metric: str, value: float, n: int) -> float:
    """The slack allowed below (or, for lower-is-better metrics, above) a pinned value."""
    if metric == "verbatim":
        return 0.0
    if metric.startswith("latency"):
        return round(max(value + 20.0, TARGETS["latency_p95_ms"] - value), 1)
    return math.ceil(max(0.01, 2 / max(n, 1)) * 1000) / 1000


def pin(summary: dict[str, float], counts: dict[str, int], meta: dict[str, Any]) -> dict[str, Any]:
    """The ``expected.json`` object for a run: each metric's value, how many questions it rests on, its tolerance."""
    metrics = {
        m: {
            "value": round(summary[m], 4),
            "n": counts.get(m, 0),
            "tolerance": tolerance(m, summary[m], counts.get(m, 0)),
            "lower_is_better": m in LOWER_IS_BETTER,
        }
        for m in METRICS
        if m in summary
    }
    return {
        "note": "Pinned by `qa eval --split test --pin`; the gate is tests/test_eval.py::test_quality_gate.",
        "pinned_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **meta,
        "metrics": metrics,
    }


def compare(expected: dict[str, Any], summary: dict[str, float], meta: dict[str, Any] | None = None) -> list[str]:
    """One message per pinned metric that got worse by more than its tolerance (and per context mismatch)."""
    problems: list[str] = []
    for key in ("set_sha256", "model", "split"):
        if meta is not None and key in expected and expected[key] != meta.get(key):
            problems.append(
                f"{key} changed since the pin: pinned {expected[key]!r}, now {meta.get(key)!r}; "
                "re-pin with `qa eval --split test --pin` if the change is intended"
            )
    for metric, pinned in expected["metrics"].items():
        if metric not in summary:
            problems.append(f"{metric}: pinned {pinned['value']} but not computed in this run")
            continue
        now = summary[metric]
        delta = now - pinned["value"]
        worse = delta if pinned.get("lower_is_better") else -delta
        if worse > pinned["tolerance"] + 1e-9:
            problems.append(
                f"{metric}: {now:.4g} vs pinned {pinned['value']:.4g} "
                f"({'+' if delta >= 0 else ''}{delta:.4g}, tolerance {pinned['tolerance']:.4g})"
            )
    return problems


def load_expected(path: Path = EXPECTED_FILE) -> dict[str, Any]:
    """The pinned scores."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_expected(data: dict[str, Any], path: Path = EXPECTED_FILE) -> None:
    """Write the pinned scores (pretty, UTF-8, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
