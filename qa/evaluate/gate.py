"""The quality gate: floors for the test-split scores (``eval/expected.json``) that cannot go down quietly.

Each metric has a *floor*: the pinned value while it is below the issue's target, the target once
reached. ``qa eval --split test --pin`` raises floors and never lowers one, unless it is given
``--reason``; then the lowering is recorded in the file (``lowered``: date, metric, from, to, why).
The gate fails when a metric is worse than its floor by more than its tolerance: one question's
worth for rates (the same code can flip one near-tie on another CPU), none for verbatim. Latency,
which depends on the machine and its load, has no floor; it fails above the larger of twice the
pinned value plus 20 ms and 50 ms (the speed target itself is measured by ``scripts/bench.py``).
Per-language metrics are gated too: ``answer_hit[en]``, ``recall@5[zh-Hant]`` ...
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from qa.evaluate.metrics import LOWER_IS_BETTER, METRICS
from qa.settings import settings


def expected_file() -> Path:
    """The pinned scores: ``eval/expected.json`` in ``$QA_HOME`` (read at call time)."""
    return settings().eval_dir / "expected.json"


TARGETS: dict[str, float] = {  # the targets on the test split (floors rise to these)
    "recall@5": 0.95,
    "answer_hit": 0.90,
    "verbatim": 1.0,
    "abstention_accuracy": 0.90,
    "false_refusal": 0.05,
    "latency_p95_ms": 50.0,
}
PER_LANGUAGE: tuple[str, ...] = ("recall@5", "answer_hit")  # also gated per language, with the same targets
LANGS: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")


class FloorLowered(ValueError):
    """A pin would lower a floor and no reason was given."""


def base(metric: str) -> str:
    """``answer_hit[en]`` -> ``answer_hit``."""
    return metric.split("[", 1)[0]


def is_latency(metric: str) -> bool:
    """Latency metrics have no floor (they depend on the machine)."""
    return metric.startswith("latency")


def gated(summary: dict[str, float], by_lang: dict[str, dict[str, float]]) -> dict[str, float]:
    """The metrics the gate looks at: the summary's plus per-language recall@5 and answer hit."""
    out = {m: summary[m] for m in METRICS if m in summary}
    for lang in LANGS:
        for m in PER_LANGUAGE:
            if m in by_lang.get(lang, {}):
                out[f"{m}[{lang}]"] = by_lang[lang][m]
    return out


def tolerance(metric: str, value: float, n: int) -> float:
    """The slack allowed below (or, for lower-is-better metrics, above) a floor."""
    if base(metric) == "verbatim":
        return 0.0
    if is_latency(metric):
        return round(max(value + 20.0, TARGETS["latency_p95_ms"] - value), 1)
    return math.ceil(max(0.005, 1 / max(n, 1)) * 1000) / 1000


def _worse(metric: str, a: float, b: float) -> float:
    """How much worse ``a`` is than ``b`` (negative when better)."""
    return a - b if base(metric) in LOWER_IS_BETTER else b - a


def _floor_for(metric: str, value: float) -> float:
    """The floor a value earns: the value itself, or the target once the value reaches it."""
    target = TARGETS.get(base(metric))
    if target is None or is_latency(metric):
        return value
    return max(value, target) if base(metric) in LOWER_IS_BETTER else min(value, target)


def pin(
    summary: dict[str, float],
    counts: dict[str, int],
    meta: dict[str, Any],
    previous: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The ``expected.json`` object for a run, with floors raised (never lowered without ``reason``).

    Raises :class:`FloorLowered` naming each metric whose floor would go down when no reason is given.
    """
    old = (previous or {}).get("metrics", {})
    lowered = list((previous or {}).get("lowered", []))
    refused: list[str] = []
    metrics: dict[str, Any] = {}
    today = dt.date.today().isoformat()
    for m, value in summary.items():
        n = counts.get(m, 0)
        tol = tolerance(m, value, n)
        floor = _floor_for(m, value)
        prev = old.get(m, {}).get("floor", old.get(m, {}).get("value"))
        if prev is not None and not is_latency(m):
            drop = _worse(m, floor, prev)
            if drop > tol + 1e-9:  # a real drop: only with a reason, which is recorded
                if reason is None:
                    refused.append(f"{m}: {value:.4g} would lower the floor {prev:.4g}")
                    continue
                lowered.append({"date": today, "metric": m, "from": prev, "to": round(floor, 4), "reason": reason})
            elif drop > 0:  # within the noise: the floor stays where it was
                floor = prev
        metrics[m] = {
            "value": round(value, 4),
            "floor": round(floor, 4),
            "target": TARGETS.get(base(m)),
            "n": n,
            "tolerance": tol,
            "lower_is_better": base(m) in LOWER_IS_BETTER,
        }
    if refused:
        raise FloorLowered(
            "pinning would lower floors (give --reason to record why, or fix the regression):\n  "
            + "\n  ".join(refused)
        )
    return {
        "note": (
            "Pinned by `qa eval --split test --pin`; the gate is tests/test_eval.py::test_quality_gate. "
            "A floor is lowered only with --reason, recorded under 'lowered'."
        ),
        "pinned_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **meta,
        "metrics": metrics,
        "lowered": lowered,
    }


def compare(expected: dict[str, Any], summary: dict[str, float], meta: dict[str, Any] | None = None) -> list[str]:
    """One message per floored metric that is worse than its floor by more than its tolerance (and per context)."""
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
        floor = pinned["value"] if is_latency(metric) else pinned.get("floor", pinned["value"])
        if _worse(metric, now, floor) > pinned["tolerance"] + 1e-9:
            problems.append(
                f"{metric}: {now:.4g} is worse than its {'pinned value' if is_latency(metric) else 'floor'} "
                f"{floor:.4g} (tolerance {pinned['tolerance']:.4g})"
            )
    return problems


def load_expected(path: Path | None = None) -> dict[str, Any]:
    """The pinned scores (default: :func:`expected_file`)."""
    data: dict[str, Any] = json.loads((path or expected_file()).read_text(encoding="utf-8"))
    return data


def write_expected(data: dict[str, Any], path: Path | None = None) -> None:
    """Write the pinned scores (pretty, UTF-8, trailing newline; default: :func:`expected_file`)."""
    path = path or expected_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
