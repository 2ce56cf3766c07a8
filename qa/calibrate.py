"""Abstention calibration: choose each language's weights and threshold on the dev split.

``qa eval --calibrate`` calls :func:`calibrate` and writes the result to ``qa/data/abstain.json``.
"""

from __future__ import annotations

from typing import Any

from qa.abstain import AbstainPolicy, Evidence
from qa.answer import QA
from qa.textnorm import is_english

GRID = [i / 10 for i in range(11)]
MAX_FALSE_REFUSAL = 0.05  # the target: refuse at most this share of answerable dev questions


def _rates(rows: list[tuple[Evidence, bool]], p: AbstainPolicy) -> tuple[float, float]:
    """(answered share of answerable, abstained share of unanswerable) under policy ``p``."""
    ans = [ev.confidence(p) >= p.threshold for ev, a in rows if a]
    una = [ev.confidence(p) < p.threshold for ev, a in rows if not a]
    return sum(ans) / len(ans), sum(una) / len(una)


def best_policy(rows: list[tuple[Evidence, bool]]) -> AbstainPolicy:
    """Grid search over weights (summing to 1) and thresholds.

    Among the policies that refuse at most MAX_FALSE_REFUSAL of the answerable questions, take the one
    that abstains on the most unanswerable ones; ties go to the lowest threshold (fewest refusals).
    """
    best, best_key = AbstainPolicy(1.0, 0.0, 0.0, 0.0), (-1.0, -1.0, 0.0)
    weights = [(wd, wc, max(0.0, round(1 - wd - wc, 2))) for wd in GRID for wc in GRID if wd + wc <= 1.0 + 1e-9]
    for wd, wc, wf in weights:
        probe = AbstainPolicy(wd, wc, wf, 0.0)
        for t in sorted({round(ev.confidence(probe), 4) for ev, _ in rows}):
            p = AbstainPolicy(wd, wc, wf, t)
            answered, abstained = _rates(rows, p)
            if 1 - answered > MAX_FALSE_REFUSAL:
                break  # higher thresholds only refuse more
            key = (abstained, answered, -t)
            if key > best_key:
                best, best_key = p, key
    return best


def calibrate(qa: QA, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-language policies fitted on ``questions`` (which carry ``answerable``), with their dev rates.

    Questions that a plain rule already decides (an unknown name, a year the report does not cover)
    are left out: the policy only has to separate the rest.
    """
    result: dict[str, Any] = {"policies": {}, "report": {}}
    for lang in ("zh", "en"):
        mine = [q for q in questions if ("en" if is_english(q["question"]) else "zh") == lang]
        rows = [(ev, bool(q["answerable"])) for q in mine if (ev := qa.evidence(q["question"])) is not None]
        if not rows or all(a for _, a in rows) or not any(a for _, a in rows):
            result["policies"][lang] = qa.policies[lang].__dict__
            continue
        p = best_policy(rows)
        answered, abstained = _rates(rows, p)
        result["policies"][lang] = p.__dict__
        result["report"][lang] = {
            "n_answerable": sum(a for _, a in rows),
            "n_unanswerable": sum(not a for _, a in rows),
            "answered_when_answerable": round(answered, 4),
            "abstained_when_unanswerable": round(abstained, 4),
        }
    return result
