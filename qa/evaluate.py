"""`qa eval`: run a question set through ``QA.ask`` and score it from character offsets."""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qa.answer import QA, AbstainPolicy
from qa.textnorm import DATA_DIR, is_english


def load_questions(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Questions from JSON lines (``id``, ``question``, optional gold fields) or CSV (``question``[, ``answer``]).

    Returns the good rows and one error message per malformed line (named by its line number).
    """
    text = path.read_text(encoding="utf-8-sig")
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "question" not in reader.fieldnames:
            return [], [f"{path}: CSV needs a 'question' column"]
        for n, row in enumerate(reader, start=2):
            q = (row.get("question") or "").strip()
            if not q:
                errors.append(f"{path}:{n}: empty question")
                continue
            rows.append(
                {
                    "id": row.get("id") or f"row{n}",
                    "question": q,
                    **({"gold_answer": row["answer"]} if row.get("answer") else {}),
                }
            )
        return rows, errors
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{path}:{n}: not JSON ({e.msg})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or "id" not in row:
            errors.append(f"{path}:{n}: needs an object with 'id' and 'question'")
            continue
        rows.append(row)
    return rows, errors


def run(qa: QA, questions: Iterable[dict[str, Any]], progress: bool = False) -> list[dict[str, Any]]:
    """One ``ask --json`` object (plus its ``id``) per question."""
    items = list(questions)
    it: Iterable[dict[str, Any]] = items
    if progress:
        from tqdm import tqdm

        it = tqdm(items, desc="questions", unit="q", file=sys.stderr)
    return [{"id": q["id"], **qa.ask(q["question"]).to_json()} for q in it]


def gold_spans(text: str, quotes: list[str]) -> list[list[tuple[int, int]]]:
    """For each gold quote, every (start, end) where it occurs in the report."""
    out = []
    for quote in quotes:
        spans, pos = [], text.find(quote)
        while pos >= 0:
            spans.append((pos, pos + len(quote)))
            pos = text.find(quote, pos + 1)
        out.append(spans)
    return out


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two half-open spans share a character."""
    return a[0] < b[1] and b[0] < a[1]


def first_rank(passages: list[dict[str, Any]], spans: list[tuple[int, int]]) -> int | None:
    """1-based rank of the first passage overlapping any of ``spans``."""
    for i, p in enumerate(passages, start=1):
        if any(_overlaps((p["start"], p["end"]), s) for s in spans):
            return i
    return None


def score(result: dict[str, Any], question: dict[str, Any], text: str) -> dict[str, Any]:
    """Per-question scores, from character offsets."""
    out: dict[str, Any] = {
        "abstained": result["abstained"],
        "latency_ms": result["timings_ms"].get("total", 0.0),
        "verbatim": all(text[c["start"] : c["end"]] == c["quote"] for c in result["citations"])
        and all(text[p["start"] : p["end"]] == p["text"] for p in result["passages"]),
    }
    if "answerable" not in question:
        return out
    out["answerable"] = bool(question["answerable"])
    golds = gold_spans(text, question.get("gold_quotes") or [])
    if not golds:
        return out
    ranks = [first_rank(result["passages"], spans) for spans in golds]
    for k in (1, 5, 10):
        out[f"recall@{k}"] = sum(r is not None and r <= k for r in ranks) / len(ranks)
    out["rr"] = statistics.mean(1 / r if r else 0.0 for r in ranks)
    cited = [(c["start"], c["end"]) for c in result["citations"]]
    all_gold = [s for spans in golds for s in spans]
    out["answer_hit"] = any(_overlaps(c, g) for c in cited for g in all_gold)
    if cited:
        out["citation_precision"] = sum(any(_overlaps(c, g) for g in all_gold) for c in cited) / len(cited)
    return out


def summarize(scores: list[dict[str, Any]]) -> dict[str, float]:
    """Mean of each metric over the questions that have it, plus abstention rates and latency."""
    out: dict[str, float] = {"n": len(scores)}
    for key in ("recall@1", "recall@5", "recall@10", "rr", "answer_hit", "citation_precision", "verbatim"):
        vals = [float(s[key]) for s in scores if key in s]
        if vals:
            out["mrr" if key == "rr" else key] = statistics.mean(vals)
    unans = [s for s in scores if s.get("answerable") is False]
    ans = [s for s in scores if s.get("answerable") is True]
    if unans:
        out["abstention_accuracy"] = statistics.mean(float(s["abstained"]) for s in unans)
    if ans:
        out["false_refusal"] = statistics.mean(float(s["abstained"]) for s in ans)
    lat = sorted(s["latency_ms"] for s in scores)
    if lat:
        out["latency_p50_ms"] = lat[len(lat) // 2]
        out["latency_p95_ms"] = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    return out


def calibrate(qa: QA, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Choose (weight, threshold) per language maximising balanced accuracy on the given questions."""
    result: dict[str, Any] = {"policies": {}, "report": {}}
    for lang in ("zh", "en"):
        rows = [
            (qa.evidence(q["question"]), bool(q["answerable"]))
            for q in questions
            if ("en" if is_english(q["question"]) else "zh") == lang
        ]
        if not rows or all(a for _, a in rows) or not any(a for _, a in rows):
            result["policies"][lang] = qa.policies[lang].__dict__
            continue
        best: tuple[float, float, float] = (-1.0, 0.5, 0.0)
        for w in [i / 10 for i in range(11)]:
            confs = sorted({round(ev.confidence(AbstainPolicy(w, 0)), 4) for ev, _ in rows})
            for t in confs:
                pol = AbstainPolicy(w, t)
                ans = [ev.confidence(pol) >= t for ev, a in rows if a]
                una = [ev.confidence(pol) < t for ev, a in rows if not a]
                bal = 0.5 * (sum(ans) / len(ans) + sum(una) / len(una)) - 0.5 * (ans.count(False) / len(ans))
                if bal > best[0]:
                    best = (bal, w, t)
        _, w, t = best
        pol = AbstainPolicy(w, t)
        ans = [ev.confidence(pol) >= t for ev, a in rows if a]
        una = [ev.confidence(pol) < t for ev, a in rows if not a]
        result["policies"][lang] = {"weight": w, "threshold": t}
        result["report"][lang] = {
            "n_answerable": len(ans),
            "n_unanswerable": len(una),
            "answered_when_answerable": sum(ans) / len(ans),
            "abstained_when_unanswerable": sum(una) / len(una),
        }
    return result


def main(args: argparse.Namespace) -> int:
    """`qa eval`: run, write results, print the summary (and calibrate when asked)."""
    from qa.answer import load_qa

    path = Path(args.questions)
    questions, errors = load_questions(path)
    for e in errors:
        print(f"qa eval: {e}", file=sys.stderr)
    if args.split:
        questions = [q for q in questions if q.get("split") == args.split]
    qa = load_qa(args.model, rebuild=not args.no_rebuild)
    if args.calibrate:
        dev = [q for q in questions if q.get("split") == "dev" and "answerable" in q]
        cal = calibrate(qa, dev)
        cal["note"] = f"Written by `qa eval --calibrate` on {len(dev)} dev questions of {path.name}."
        (DATA_DIR / "abstain.json").write_text(json.dumps(cal, ensure_ascii=False, indent=2) + "\n")
        print(json.dumps(cal, ensure_ascii=False, indent=2))
        qa.policies = AbstainPolicy.load()
    qa.ask("预热")  # warm-up, not timed
    results = run(qa, questions, progress=len(questions) > 20)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    text = qa.index.report.text
    scores = [score(r, q, text) for r, q in zip(results, questions, strict=True)]
    summary = summarize(scores)
    for k, v in summary.items():
        print(f"{k:22s} {v:.3f}" if isinstance(v, float) else f"{k:22s} {v}")
    return 1 if errors else 0
