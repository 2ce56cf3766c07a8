"""`qa eval`: run a question set through ``QA.ask`` once per retrieval variant, score it, report it.

Scoring lives in :mod:`qa.evaluate.metrics`, the report files in :mod:`qa.evaluate.report`, the pinned
scores in :mod:`qa.evaluate.gate`; the answerability model is trained by :mod:`qa.answer.train`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from qa.answer.engine import QA, RETRIEVERS
from qa.evaluate import gate, metrics
from qa.evaluate import report as evalreport
from qa.settings import settings

VARIANTS: dict[str, tuple[str, ...]] = {  # name -> the rankings QA.ask fuses (its ``retrievers``)
    "hybrid": RETRIEVERS,
    "dense": ("dense",),
    "bm25": ("words", "bigrams"),
}
PROGRESS_MIN = 20  # show a progress bar from this many questions on


def default_report_dir() -> Path:
    """Where eval reports go by default: ``eval/reports`` in ``$QA_HOME`` (read at call time)."""
    return settings().eval_dir / "reports"


def shown_path(path: Path) -> str:
    """``path`` as a report shows it: relative to ``$QA_HOME`` when inside it (``eval/qa.jsonl``), else as given."""
    try:
        return str(path.relative_to(settings().home))
    except ValueError:
        return str(path)


def _decode_lines(path: Path) -> tuple[str, list[str]]:
    """The file's text, line by line: a line that is not valid UTF-8 is left out and named in an error."""
    errors: list[str] = []
    lines = path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n")
    out = []
    for n, raw in enumerate(lines, start=1):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            errors.append(
                f"{path}:{n}: not valid UTF-8 (byte {raw[e.start]:#04x} at column {e.start + 1}); line skipped"
            )
            out.append("")
    return "\n".join(out), errors


def load_questions(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Questions from JSON lines (``id``, ``question``, optional gold fields) or CSV (``question``[, ``answer``]).

    A folder gives the questions of its ``*.jsonl`` files (e.g. ``eval/corpora/``, one file per report).
    Returns the good rows and one error message per malformed line (named by its line number).
    """
    if path.is_dir():
        return _load_folder(path)
    text, errors = _decode_lines(path)
    if not text.strip() and not errors:
        return [], [f"{path}: the file is empty (or blank)"]
    if path.suffix.lower() == ".csv":
        return _load_csv(path, text, errors)
    return _load_jsonl(path, text, errors)


def _load_csv(path: Path, text: str, errors: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of a CSV file with a ``question`` column (``errors``: those met so far, added to)."""
    reader = csv.DictReader(io.StringIO(text))
    csv_rows: list[tuple[int, dict[str, str]]] = []
    try:
        if not reader.fieldnames or "question" not in reader.fieldnames:
            return [], [*errors, f"{path}: CSV needs a 'question' column"]
    except csv.Error as e:  # in the header
        return [], [*errors, f"{path}:1: {e}; no row read"]
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:  # e.g. a field longer than the csv module's limit (131,072 characters)
            errors.append(f"{path}:{start}: {e}; row skipped")
            continue
        csv_rows.append((reader.line_num, row))
    rows: list[dict[str, Any]] = []
    for n, row in csv_rows:
        if None in row:
            errors.append(f"{path}:{n}: more fields than the header has")
            continue
        q = (row.get("question") or "").strip()
        if not q:
            errors.append(f"{path}:{n}: empty question")
            continue
        answer = (row.get("answer") or "").strip()
        rows.append({"id": row.get("id") or f"line{n}", "question": q, **({"gold_answer": answer} if answer else {})})
    return rows, errors


def _load_jsonl(path: Path, text: str, errors: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of a JSON-lines file, each an object with a unique ``id`` (``errors``: those met so far, added to)."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{path}:{n}: not JSON ({e.msg})")
            continue
        problem = _jsonl_row_problem(row)
        if problem is None and str(row["id"]) in seen:
            problem = f"duplicate id {row['id']!r}"
        if problem is not None:
            errors.append(f"{path}:{n}: {problem}")
            continue
        seen.add(str(row["id"]))
        rows.append(row)
    return rows, errors


def _jsonl_row_problem(row: Any) -> str | None:
    """What is wrong with one parsed JSON line as a question (None: nothing)."""
    if not isinstance(row, dict) or not isinstance(row.get("question"), str) or "id" not in row:
        return "needs an object with 'id' and 'question'"
    if "gold_quotes" in row and not (
        isinstance(row["gold_quotes"], list) and all(isinstance(g, str) for g in row["gold_quotes"])
    ):
        return "'gold_quotes' must be a list of strings"
    if "answerable" in row and not isinstance(row["answerable"], bool):
        return "'answerable' must be true or false"
    return None


def _load_folder(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The questions of every ``*.jsonl`` file of a folder, in file-name order."""
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for f in sorted(path.glob("*.jsonl")):
        more, errs = load_questions(f)
        rows += more
        errors += errs
    return rows, errors if rows or errors else [f"{path}: no .jsonl question file in this folder"]


def resolve_gold(
    questions: Sequence[dict[str, Any]], texts: Sequence[str]
) -> tuple[list[list[list[metrics.Span]] | None], list[bool | None], list[str]]:
    """Per question: the report spans of each gold quote, whether it is answerable, and warnings.

    A gold quote missing from the report is dropped with a warning. A question without
    ``gold_quotes`` whose ``gold_answer`` (a CSV ``answer``) occurs verbatim in the report uses
    it as its gold quote. ``answerable`` defaults to True when gold quotes were found, else unknown.
    """
    golds: list[list[list[metrics.Span]] | None] = []
    answerable: list[bool | None] = []
    warnings: list[str] = []
    for q, text in zip(questions, texts, strict=True):
        quotes = q.get("gold_quotes")
        if quotes is None and isinstance(q.get("gold_answer"), str) and metrics.find_spans(text, q["gold_answer"]):
            quotes = [q["gold_answer"]]
        spans = []
        for quote in quotes or []:
            if found := metrics.find_spans(text, quote):
                spans.append(found)
            else:
                warnings.append(f"{q['id']}: gold quote not in the report, ignored: {quote[:40]!r}")
        golds.append(spans or None)
        answerable.append(q["answerable"] if isinstance(q.get("answerable"), bool) else (True if spans else None))
    return golds, answerable, warnings


def run(
    qa: QA,
    questions: Iterable[dict[str, Any]],
    progress: bool = False,
    desc: str = "questions",
    retrievers: tuple[str, ...] = RETRIEVERS,
) -> list[dict[str, Any]]:
    """One ``ask --json`` object (plus its ``id``) per question, fusing the rankings ``retrievers``."""
    items = list(questions)
    it: Iterable[dict[str, Any]] = items
    if progress:
        from tqdm import tqdm

        it = tqdm(items, desc=desc, unit="q", file=sys.stderr)
    return [{"id": q["id"], **qa.ask(q["question"], q.get("report"), retrievers).to_json()} for q in it]


def report_of(qa: QA, q: dict[str, Any]) -> str:
    """The id of the report a question is about: its ``report`` field, else the index's first report."""
    rid = q.get("report")
    return rid if isinstance(rid, str) else qa.index.report.id


def in_report(result: dict[str, Any], rid: str) -> dict[str, Any]:
    """The result with only the passages and citations from report ``rid`` (offsets index that report)."""
    keep = lambda items: [x for x in items if x.get("report", rid) == rid]  # noqa: E731
    return {**result, "passages": keep(result["passages"]), "citations": keep(result["citations"])}


def run_variants(
    qa: QA, questions: Sequence[dict[str, Any]], names: Sequence[str], progress: bool
) -> dict[str, list[dict[str, Any]]]:
    """The results of every question under each named retrieval variant.

    Each variant starts with the engine's kept answers and question vectors forgotten, so that its latency is that of
    new questions, as the first variant's is.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        qa.forget()
        qa.ask("预热", retrievers=VARIANTS[name])  # warm-up, not timed
        out[name] = run(qa, questions, progress=progress, desc=name, retrievers=VARIANTS[name])
    return out


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def set_sha256(path: Path) -> str:
    """Hex sha256 of a question file, or of a folder's ``*.jsonl`` files (their names and bytes, in order)."""
    if not path.is_dir():
        return file_sha256(path)
    h = hashlib.sha256()
    for f in sorted(path.glob("*.jsonl")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def evaluate(
    qa: QA, questions: Sequence[dict[str, Any]], names: Sequence[str] = ("hybrid",), progress: bool = False
) -> dict[str, Any]:
    """Run and score ``questions`` under each variant: summaries, breakdowns, per-question rows, notes."""
    rids = [report_of(qa, q) for q in questions]
    texts = [qa.library.text_of(rid) for rid in rids]
    golds, answerable, warnings = resolve_gold(questions, texts)
    results = run_variants(qa, questions, names, progress)
    variants: dict[str, Any] = {}
    all_scores: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        scores = [
            metrics.score(in_report(r, rid), g, a, t, q.get("unanswerable_kind"))
            for q, r, g, a, rid, t in zip(questions, results[name], golds, answerable, rids, texts, strict=True)
        ]
        all_scores[name] = scores
        variants[name] = {
            "retrievers": list(VARIANTS[name]),
            "summary": metrics.summarize(scores),
            "support": metrics.support(scores),
            "breakdown": metrics.breakdown(
                [
                    {**q, "intent": r.get("understanding", {}).get("intent")}
                    for q, r in zip(questions, results[name], strict=True)
                ],
                scores,
            ),
        }
    first = names[0]
    rows = []
    for i, q in enumerate(questions):
        row: dict[str, Any] = {k: q[k] for k in ("id", "question", "persona", "lang", "kind", "split") if k in q}
        row["answerable"] = answerable[i]
        row["why"] = metrics.failures(q, all_scores[first][i])
        row["cited"] = [[c["start"], c["end"]] for c in results[first][i]["citations"]]
        row["scores"] = {n: all_scores[n][i] for n in names}
        rows.append(row)
    return {
        "variants": variants,
        "notes": metrics.skipped(all_scores[first]),
        "warnings": warnings,
        "questions": rows,
        "results": results,
    }


def best_latency(qa: QA, questions: Sequence[dict[str, Any]], passes: int = 3) -> dict[str, float]:
    """The lowest p50 and p95 latency of the shipped engine over ``passes`` runs (what the gate compares).

    Taking the best of a few passes, as ``timeit`` does, keeps other processes' load out of the gate;
    a pipeline that is really slow is slow in every pass. Each pass starts with the engine's kept answers and
    vectors forgotten, so that it times new questions, not questions asked again.
    """
    texts = [qa.library.text_of(report_of(qa, q)) for q in questions]
    runs = []
    for _ in range(passes):
        qa.forget()
        results = run(qa, questions)
        runs.append(metrics.summarize([metrics.score(r, None, None, t) for r, t in zip(results, texts, strict=True)]))
    return {k: min(r[k] for r in runs) for k in ("latency_p50_ms", "latency_p95_ms")}


def gate_summary(
    qa: QA, questions: Sequence[dict[str, Any]], data: dict[str, Any] | None = None
) -> tuple[dict[str, float], dict[str, int]]:
    """What the gate compares for the shipped engine: metrics (per language too, best-of-3 latency) and supports."""
    data = data or evaluate(qa, questions, ("hybrid",))
    hybrid = data["variants"]["hybrid"]
    by_lang = hybrid["breakdown"].get("lang", {})
    summary = gate.gated({**hybrid["summary"], **best_latency(qa, questions)}, by_lang)
    counts = dict(hybrid["support"])
    scores = [row["scores"]["hybrid"] for row in data["questions"]]
    for lang in gate.LANGS:
        sub = [s for q, s in zip(questions, scores, strict=True) if q.get("lang") == lang]
        for m in gate.PER_LANGUAGE:
            counts[f"{m}[{lang}]"] = metrics.support(sub)[m]
    return summary, counts


def unwritable(path: Path, folder: bool = False) -> str | None:
    """Why ``path`` cannot be written (a file, or with ``folder`` a folder to write files into), else None.

    Tried for real, as the run will write it (permission bits say nothing to root, nor about /proc or a
    read-only mount): missing folders are made, a file is opened for appending (nothing is truncated)
    and removed again if it was not there, a folder gets a temporary file.
    """
    try:
        if folder:
            path.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=path).close()
        else:
            existed = path.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8"):
                pass
            if not existed:
                path.unlink()
    except OSError as e:
        existing = next(p for p in (path, *path.parents) if p.exists())  # "/" at least
        if isinstance(e, FileExistsError | NotADirectoryError) and not existing.is_dir():
            return f"cannot write {path}: {existing} is a file, not a folder"
        if isinstance(e, FileNotFoundError) and existing.is_dir():  # e.g. /proc: nothing new may be made in it
            return f"cannot write {path}: nothing can be created in {existing} ({e.strerror})"
        return f"cannot write {path}: {e.strerror or e}"
    return None


def parse_variants(spec: str) -> list[str]:
    """``hybrid,dense,bm25`` -> the list of names (unknown names raise ValueError)."""
    names = [v.strip() for v in spec.split(",") if v.strip()]
    if bad := [v for v in names if v not in VARIANTS]:
        raise ValueError(f"unknown variant(s) {bad}; choose from {sorted(VARIANTS)}")
    return names or ["hybrid"]


def main(args: argparse.Namespace) -> int:
    """`qa eval`: run, print the table, write the report, optionally calibrate, pin or check the gate."""
    from qa.answer.engine import load_qa
    from qa.report.corpus import corpus_files

    pin = getattr(args, "pin", False)
    check = getattr(args, "check_expected", False)
    names = _chosen_variants(args, pin or check)
    if names is None:
        return 2
    path = Path(args.questions) if args.questions else settings().eval_dir / "qa.jsonl"
    loaded = _questions_of_split(path, args.split)
    if loaded is None:
        return 2
    questions, errors = loaded
    out, report_dir = _outputs(args)
    if not _outputs_writable(out, report_dir):  # before the model loads: a typo in --out must not cost the run
        return 2
    corpus = corpus_files(args.corpus) if getattr(args, "corpus", None) else None
    qa = load_qa(args.model, rebuild=not args.no_rebuild, corpus=corpus)
    if missing := sorted({q["report"] for q in questions if isinstance(q.get("report"), str)} - set(qa.library.ids())):
        print(f"qa eval: the index holds no report {', '.join(missing)} (add it with --corpus)", file=sys.stderr)
        return 2
    data = evaluate(qa, questions, names, progress=len(questions) >= PROGRESS_MIN)
    for w in data["warnings"]:
        print(f"qa eval: {w}", file=sys.stderr)
    results = data.pop("results")
    if out is not None and not _write_results(out, results[names[0]]):
        return 2
    meta = _run_meta(qa, path, args.split, len(questions))
    data = {"meta": meta, **data, "errors": errors}
    _print_run(data, names[0])
    if report_dir is not None and not _write_report(data, report_dir):
        return 2
    if not (pin or check):
        return 1 if errors else 0
    gate_meta = {k: meta[k] for k in ("set_sha256", "model", "split")}
    gated, counts = gate_summary(qa, questions, data)
    print(
        f"gate: latency, best of 3 passes: p50 {gated['latency_p50_ms']:.1f} ms, p95 {gated['latency_p95_ms']:.1f} ms"
    )
    expected_path = Path(getattr(args, "expected", None) or gate.expected_file())
    if pin and (failed := _pin(expected_path, gated, counts, gate_meta, data, getattr(args, "reason", None))):
        return failed
    if check and (failed := _check_gate(expected_path, gated, gate_meta)):
        return failed
    return 1 if errors else 0


def _chosen_variants(args: argparse.Namespace, gating: bool) -> list[str] | None:
    """The variants asked for (None, said on stderr, when they are unknown or cannot be gated)."""
    try:
        names = parse_variants(getattr(args, "variants", "hybrid,dense,bm25"))
    except ValueError as bad:
        print(f"qa eval: {bad}", file=sys.stderr)
        return None
    if gating and (args.split != "test" or names[0] != "hybrid"):
        print("qa eval: --pin and --check-expected need --split test with hybrid as the first variant", file=sys.stderr)
        return None
    return names


def _questions_of_split(path: Path, split: str | None) -> tuple[list[dict[str, Any]], list[str]] | None:
    """The questions of a file (of one split, when given) and the file's errors, said on stderr.

    None (said on stderr) when the file cannot be read, has no good question, or none of the split asked for.
    """
    try:
        questions, errors = load_questions(path)
    except OSError as unreadable:
        print(f"qa eval: cannot read {path}: {unreadable.strerror or unreadable}", file=sys.stderr)
        return None
    for e in errors:
        print(f"qa eval: {e}", file=sys.stderr)
    if not questions:  # each error above said why (one line each); else say it here
        if not errors:
            print(f"qa eval: {path}: no question in it", file=sys.stderr)
        return None
    if split:
        questions = [q for q in questions if q.get("split") == split]
        if not questions:
            print(f"qa eval: no question has split {split!r}", file=sys.stderr)
            return None
    return questions, errors


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Where the run writes: the --out file and the report folder (None: not written)."""
    out = Path(args.out) if args.out else None
    report_dir = (
        None if getattr(args, "no_report", False) else Path(getattr(args, "report_dir", None) or default_report_dir())
    )
    return out, report_dir


def _outputs_writable(out: Path | None, report_dir: Path | None) -> bool:
    """Whether the --out file and the report folder can be written (each None: not written); else said on stderr."""
    for target, folder in ((out, False), (report_dir, True)):
        if target is not None and (why := unwritable(target, folder)):
            print(f"qa eval: {why}", file=sys.stderr)
            return False
    return True


def _write_results(out: Path, results: list[dict[str, Any]]) -> bool:
    """One JSON line per question's result: True, or False (said on stderr) when the file cannot be written."""
    try:
        with open(out, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    except OSError as e:  # checked before the run, so this is e.g. a full disk
        print(f"qa eval: cannot write {out}: {e.strerror or e}", file=sys.stderr)
        return False
    return True


def _write_report(data: dict[str, Any], report_dir: Path) -> bool:
    """The report files, their paths printed: True, or False (said on stderr) when they cannot be written."""
    try:
        paths = evalreport.write(data, report_dir)
    except OSError as e:
        print(f"qa eval: cannot write the report into {report_dir}: {e.strerror or e}", file=sys.stderr)
        return False
    print("report: " + ", ".join(str(p) for p in paths))
    return True


def _run_meta(qa: QA, path: Path, split: str | None, n_questions: int) -> dict[str, Any]:
    """What a run was: date, model and index manifest, question set and its hash, split, commit, CPUs."""
    manifest = qa.index.manifest.to_json()
    return {
        "date": dt.date.today().isoformat(),
        "model": manifest["model"],
        "manifest": manifest,
        "questions_file": shown_path(path),
        "set_sha256": set_sha256(path),
        "split": split,
        "n_questions": n_questions,
        "commit": evalreport.git_commit(),
        "cpus": os.cpu_count(),
    }


def _print_run(data: dict[str, Any], first: str) -> None:
    """The variants' table, the first variant's breakdowns, and the run's notes."""
    summaries = {v: d["summary"] for v, d in data["variants"].items()}
    print(evalreport.variants_table(summaries))
    for field, groups in data["variants"][first]["breakdown"].items():
        print(f"\n{first} by {field}\n" + evalreport.breakdown_table(groups, field))
    for note in data["notes"]:
        print(f"note: {note}")


def _pin(
    expected_path: Path,
    gated: dict[str, float],
    counts: dict[str, int],
    gate_meta: dict[str, Any],
    data: dict[str, Any],
    reason: str | None,
) -> int:
    """Pin the run's scores as the gate's floors: 0, or 1 (said on stderr) when the run may not be pinned."""
    if data["errors"] or data["warnings"]:
        print("qa eval: not pinning a run with input errors or warnings", file=sys.stderr)
        return 1
    previous = gate.load_expected(expected_path) if expected_path.exists() else None
    try:
        pinned = gate.pin(gated, counts, gate_meta, previous, reason)
    except gate.FloorLowered as e:
        print(f"qa eval: {e}", file=sys.stderr)
        return 1
    gate.write_expected(pinned, expected_path)
    print(f"pinned: {expected_path}")
    return 0


def _check_gate(expected_path: Path, gated: dict[str, float], gate_meta: dict[str, Any]) -> int:
    """Compare the run with the pinned floors: 0 when it passes, else 1 (each problem said on stderr)."""
    problems = gate.compare(gate.load_expected(expected_path), gated, gate_meta)
    for p in problems:
        print(f"gate: {p}", file=sys.stderr)
    print("gate: " + (f"FAILED ({len(problems)})" if problems else "passed"))
    return 1 if problems else 0
