"""Per-question scores and their summaries, all from character offsets into the report.

A gold quote counts as *found* by a set of spans (ranked passages, or an answer's
citations) when the union of those spans covers every character of one of the
quote's occurrences. Nothing here compares strings except the verbatim check,
which is the point of that check.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

Span = tuple[int, int]

METRICS: tuple[str, ...] = (  # summary keys, in display order
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "answer_hit",
    "citation_precision",
    "verbatim",
    "abstention_accuracy",
    "false_refusal",
    "reason_fit",
    "latency_p50_ms",
    "latency_p95_ms",
)
LOWER_IS_BETTER: frozenset[str] = frozenset({"false_refusal", "latency_p50_ms", "latency_p95_ms"})
GOLD_METRICS: tuple[str, ...] = ("recall@1", "recall@5", "recall@10", "mrr", "answer_hit", "citation_precision")
ABSTAIN_METRICS: tuple[str, ...] = ("abstention_accuracy", "false_refusal")
# The reasons that fit a declined question of each unanswerable kind (``reason`` of ``ask --json``): another
# place is declined for its place (the report's own city or province as a whole, for that), another year for
# its year, an opinion or a how-to question as one; chit-chat as chit-chat, or as off the report's subject in
# another way (今天星期几: a particular day; 法国首都是哪儿: another place; 推荐个电视剧: advice). A thing the
# report never gives, a near-miss or a left-out detail is declined plainly, or answered in part; what does not
# fit is a specific reason that is wrong for it (how-to said of a figure the report leaves out).
PLAIN_REASONS: frozenset[str] = frozenset({"abstain", "abstain_unclear", "abstain_day", "partial"})
FITTING_REASONS: dict[str, frozenset[str]] = {
    "other-place": frozenset({"abstain_name", "abstain_parent"}),
    "other-year": frozenset({"abstain_year"}),
    "opinion": frozenset({"abstain_opinion"}),
    "howto": frozenset({"abstain_howto"}),
    "chitchat": frozenset({"abstain_chitchat", "abstain_day", "abstain_name", "abstain_opinion"}),
    "never-given": PLAIN_REASONS,
    "near-miss": PLAIN_REASONS,
    "detail-left-out": PLAIN_REASONS,
}
BREAKDOWN_FIELDS: tuple[str, ...] = ("report", "persona", "lang", "kind", "intent", "unanswerable_kind", "split")


def find_spans(text: str, quote: str) -> list[Span]:
    """Every (start, end) where ``quote`` occurs in ``text`` (overlapping occurrences included)."""
    spans: list[Span] = []
    pos = text.find(quote) if quote else -1
    while pos >= 0:
        spans.append((pos, pos + len(quote)))
        pos = text.find(quote, pos + 1)
    return spans


def overlaps(a: Span, b: Span) -> bool:
    """Whether two half-open spans share a character."""
    return a[0] < b[1] and b[0] < a[1]


def covers(spans: Iterable[Span], target: Span) -> bool:
    """Whether the union of ``spans`` contains every character of ``target``."""
    pos = target[0]
    for start, end in sorted(spans):
        if start > pos:
            break
        pos = max(pos, end)
        if pos >= target[1]:
            return True
    return pos >= target[1]


def first_rank(passages: Sequence[Span], occurrences: Sequence[Span]) -> int | None:
    """Smallest r such that passages 1..r together cover one occurrence of a gold quote (None if never)."""
    for r in range(1, len(passages) + 1):
        if any(covers(passages[:r], occ) for occ in occurrences):
            return r
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile of ``values``, ``q`` in percent (0 < q <= 100).

    The smallest value that at least ``q`` percent of the values are less than or equal to: always
    one of the values, never an interpolation (p95 of 20 latencies is the 19th smallest). The one
    percentile of the project: ``qa eval``, ``scripts/bench.py`` and ``scripts/load_test.py`` use it.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile q must be in (0, 100], not {q}")
    ordered = sorted(values)
    return ordered[math.ceil(q / 100 * len(ordered)) - 1]


def is_verbatim(result: dict[str, Any], text: str) -> bool:
    """Every citation quote and every passage text equals the report between its offsets."""
    return all(text[c["start"] : c["end"]] == c["quote"] for c in result["citations"]) and all(
        text[p["start"] : p["end"]] == p["text"] for p in result["passages"]
    )


def score(
    result: dict[str, Any],
    gold: list[list[Span]] | None,
    answerable: bool | None,
    text: str,
    unanswerable_kind: str | None = None,
) -> dict[str, Any]:
    """Per-question scores for one ``ask --json`` result.

    ``gold`` holds, per gold quote, every span where it occurs (None when the question has no gold
    quotes); ``answerable`` is None when the question does not say; ``unanswerable_kind`` is the kind
    of an unanswerable question (other-place, opinion ...), when it says. Keys a question cannot support
    are left out, so that summaries average only over the questions that have them.
    """
    out: dict[str, Any] = {
        "abstained": bool(result["abstained"]),
        "latency_ms": float(result["timings_ms"].get("total", 0.0)),
        "verbatim": is_verbatim(result, text),
    }
    if answerable is not None:
        out["answerable"] = answerable
    if answerable is False and out["abstained"] and unanswerable_kind in FITTING_REASONS:
        out["reason_fit"] = result.get("reason") in FITTING_REASONS[unanswerable_kind]
    if not gold:
        return out
    passages = [(p["start"], p["end"]) for p in result["passages"]]
    ranks = [first_rank(passages, occ) for occ in gold]
    out["ranks"] = ranks
    for k in (1, 5, 10):
        out[f"recall@{k}"] = sum(r is not None and r <= k for r in ranks) / len(ranks)
    out["rr"] = statistics.mean(1 / r if r else 0.0 for r in ranks)
    cited = [(c["start"], c["end"]) for c in result["citations"]]
    out["answer_hit"] = any(covers(cited, occ) for occ_list in gold for occ in occ_list)
    if cited:
        all_gold = [occ for occ_list in gold for occ in occ_list]
        out["citation_precision"] = sum(any(overlaps(c, g) for g in all_gold) for c in cited) / len(cited)
    return out


def summarize(scores: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Mean of each metric over the questions that support it, abstention rates and latency percentiles."""
    out: dict[str, float] = {"n": float(len(scores))}
    for key in ("recall@1", "recall@5", "recall@10", "rr", "answer_hit", "citation_precision", "verbatim"):
        vals = [float(s[key]) for s in scores if key in s]
        if vals:
            out["mrr" if key == "rr" else key] = statistics.mean(vals)
    unans = [float(s["abstained"]) for s in scores if s.get("answerable") is False]
    ans = [float(s["abstained"]) for s in scores if s.get("answerable") is True]
    if unans:
        out["abstention_accuracy"] = statistics.mean(unans)
    if ans:
        out["false_refusal"] = statistics.mean(ans)
    fits = [float(s["reason_fit"]) for s in scores if "reason_fit" in s]
    if fits:
        out["reason_fit"] = statistics.mean(fits)
    lat = [s["latency_ms"] for s in scores]
    if lat:
        out["latency_p50_ms"] = percentile(lat, 50)
        out["latency_p95_ms"] = percentile(lat, 95)
    return out


def support(scores: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many questions each metric is averaged over."""
    n = {key: sum(key in s for s in scores) for key in ("recall@1", "answer_hit", "citation_precision")}
    return {
        **{k: n["recall@1"] for k in ("recall@1", "recall@5", "recall@10", "mrr")},
        "answer_hit": n["answer_hit"],
        "citation_precision": n["citation_precision"],
        "verbatim": len(scores),
        "abstention_accuracy": sum(s.get("answerable") is False for s in scores),
        "false_refusal": sum(s.get("answerable") is True for s in scores),
        "reason_fit": sum("reason_fit" in s for s in scores),
        "latency_p50_ms": len(scores),
        "latency_p95_ms": len(scores),
    }


def skipped(scores: Sequence[dict[str, Any]]) -> list[str]:
    """Plain-language notes on metrics that were skipped, or computed on only part of the set."""
    notes: list[str] = []
    n = len(scores)
    sup = support(scores)
    with_gold = sup["recall@1"]
    if n and with_gold == 0:
        notes.append("Recall@k, MRR, answer hit, citation precision: skipped (no question has gold quotes).")
    elif with_gold < n:
        notes.append(f"Recall@k, MRR, answer hit: computed on the {with_gold} of {n} questions that have gold quotes.")
    if with_gold and sup["citation_precision"] < with_gold:
        notes.append(
            f"Citation precision: computed on the {sup['citation_precision']} questions with gold quotes "
            "that were answered with citations."
        )
    known = sum("answerable" in s for s in scores)
    if n and known == 0:
        notes.append("Abstention accuracy, false-refusal rate: skipped (no question says whether it is answerable).")
    else:
        if n and sup["abstention_accuracy"] == 0:
            notes.append("Abstention accuracy: skipped (no unanswerable questions).")
        if n and sup["false_refusal"] == 0:
            notes.append("False-refusal rate: skipped (no answerable questions).")
        if known < n:
            notes.append(f"Abstention metrics: computed on the {known} of {n} questions marked answerable or not.")
    return notes


def breakdown(
    questions: Sequence[dict[str, Any]], scores: Sequence[dict[str, Any]], fields: Sequence[str] = BREAKDOWN_FIELDS
) -> dict[str, dict[str, dict[str, float]]]:
    """Summaries per value of each field (persona, lang, kind, intent, unanswerable kind, split) that varies."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for f in fields:
        groups: dict[str, list[dict[str, Any]]] = {}
        for q, s in zip(questions, scores, strict=True):
            if isinstance(q.get(f), str):
                groups.setdefault(q[f], []).append(s)
        if len(groups) > 1:
            out[f] = {g: summarize(groups[g]) for g in sorted(groups)}
    return out


def failures(question: dict[str, Any], s: dict[str, Any], k: int = 5) -> list[str]:
    """Short reasons this question counts against the scores (empty when it does not)."""
    why: list[str] = []
    if not s["verbatim"]:
        why.append("not verbatim")
    if s.get("answerable") is False and not s["abstained"]:
        why.append("answered an unanswerable question")
    if s.get("answerable") is True and s["abstained"]:
        why.append("refused an answerable question")
    if s.get("reason_fit") is False:
        why.append("declined with a reason that does not fit its kind")
    if "ranks" in s and s["recall@" + str(k)] < 1:
        why.append(f"gold not in top {k} (ranks {['-' if r is None else r for r in s['ranks']]})")
    if "answer_hit" in s and not s["abstained"] and not s["answer_hit"]:
        why.append("citations miss every gold quote")
    return why
