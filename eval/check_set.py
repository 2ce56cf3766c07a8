#!/usr/bin/env python3
"""Validate the liwan-qa evaluation question set and print coverage statistics.

Usage::

    python eval/check_set.py [path]

``path`` defaults to ``eval/qa.jsonl`` relative to the repository root (the
parent of this script's directory).  The corpus is read from
``corpus/liwan-2025-government-work-report.txt`` under the repository root,
falling back to ``/work/shared/corpus/`` when the repo copy does not exist. Where a quote sits
in the report (the ``section`` a question must name) comes from the app's own parser of the
report's structure, :func:`qa.report.corpus.parse`, so the set and the app's citations use the same
breadcrumbs.

The validation logic is exposed as :func:`check`, which returns a list of error
strings (empty when the set is valid), so that tests can import it::

    from eval.check_set import check   # or via importlib / sys.path
    assert check("eval/qa.jsonl") == []

Standard library and the repository's ``qa`` package (no model, no jieba).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT: Path = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from qa.report.corpus import parse  # noqa: E402  (the one parser of the report's structure)
from qa.types import Section  # noqa: E402

CORPUS_NAME: str = "liwan-2025-government-work-report.txt"
FALLBACK_CORPUS: Path = Path("/work/shared/corpus") / CORPUS_NAME
DEFAULT_SET: Path = REPO_ROOT / "eval" / "qa.jsonl"

PERSONAS: frozenset[str] = frozenset({"resident", "staff", "evaluator"})
LANGS: frozenset[str] = frozenset({"zh-Hans", "zh-Hant", "en"})
KINDS: tuple[str, ...] = (
    "number",
    "fact",
    "definition",
    "list",
    "commitment",
    "comparison",
    "unanswerable",
    "false-premise",
)
SPLITS: tuple[str, ...] = ("dev", "test")
FIELDS: dict[str, type] = {
    "id": str,
    "question": str,
    "persona": str,
    "lang": str,
    "answerable": bool,
    "gold_quotes": list,
    "gold_answer": str,
    "section": str,
    "kind": str,
    "split": str,
}
OPTIONAL: dict[str, type] = {"unanswerable_kind": str, "expected_status": str}  # only on unanswerable rows
UNANSWERABLE_KINDS: tuple[str, ...] = (
    "other-place",
    "other-year",
    "never-given",
    "near-miss",
    "opinion",
    "howto",
    "detail-left-out",
)
STATUSES: tuple[str, ...] = ("answered", "partial", "declined")
DEFAULT_TRAIN: Path = REPO_ROOT / "eval" / "train"
TRAIN_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "question": str,
    "lang": str,
    "register": str,
    "status": str,
    "intent": str,
    "slot": str,
    "year": (int, type(None)),
    "kind": (str, type(None)),
    "missing": str,
    "gold_quotes": list,
    "paraphrase": bool,
    "template": bool,
    "line": int,
}
REGISTER_LANG: dict[str, str] = {"formal": "zh-Hans", "colloquial": "zh-Hans", "cantonese": "zh-Hant", "english": "en"}
INTENTS: frozenset[str] = frozenset(
    {"fact", "number", "list", "definition", "comparison", "opinion", "howto", "chitchat"}
)
SLOTS: frozenset[str] = frozenset(
    {"quantity", "money", "rate", "rank", "names", "place", "date", "yesno", "description", "none"}
)
NEAR_DUPLICATE: float = 0.8  # character-bigram Jaccard at or above this is a near-duplicate
ID_RE: re.Pattern[str] = re.compile(r"^q\d{3,}$")
SUBSECTION_KEY_RE: re.Pattern[str] = re.compile(r"^\((.+?)\)")

# Coverage keys every complete set is expected to touch (reported, not enforced).
EXPECTED_KEYS: tuple[str, ...] = (
    "开头",
    "一·总述",
    *tuple(f"一({n})" for n in "一二三四五六七八"),
    "一·困难和挑战",
    "二·总体要求",
    "二·主要预期目标",
    *tuple(f"二({n})" for n in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一")),
    "结尾",
    "附件",
)


@dataclass(frozen=True)
class LineInfo:
    """Location metadata for one paragraph (or section) of the corpus.

    Attributes:
        start: character offset of its start in the corpus text.
        end: character offset just past its end (excluding the newline).
        breadcrumb: expected ``section`` value for a quote located here (as the app cites it).
        key: short coverage key (e.g. ``"一(三)"``, ``"附件"``).
        term: glossary term label (``"6. 五外联动"``) or ``""``.

    """

    start: int
    end: int
    breadcrumb: str
    key: str
    term: str


def resolve_corpus_path() -> Path:
    """Return the corpus file path: the repo copy if present, else the shared fallback."""
    repo_copy = REPO_ROOT / "corpus" / CORPUS_NAME
    return repo_copy if repo_copy.exists() else FALLBACK_CORPUS


def load_corpus(path: Path | None = None) -> str:
    """Read the corpus text (UTF-8) from ``path`` or :func:`resolve_corpus_path`."""
    return (path or resolve_corpus_path()).read_text(encoding="utf-8")


def coverage_key(section: Section) -> str:
    """Short coverage key of a section: ``开头``, ``一(三)``, ``二·主要预期目标``, ``结尾``, ``附件``."""
    if section.part == "glossary":
        return "附件"
    if section.part == "other":
        return "结尾" if section.path[0] == "结尾" else "开头"
    number = section.path[0].split("、", 1)[0]
    sub = SUBSECTION_KEY_RE.match(section.path[1])
    return f"{number}({sub.group(1)})" if sub else f"{number}·{section.path[1]}"


def build_line_index(text: str) -> list[LineInfo]:
    """Where each stretch of the report sits, as :func:`qa.report.corpus.parse` reads it.

    One entry per paragraph, whose breadcrumb is the one the app cites (the section path and the
    paragraph's lead phrase), then one per section for text in no paragraph (part headings, the
    glossary title). Glossary entries carry their term (``6. 五外联动``).
    """
    report = parse(text)
    sections = {s.id: s for s in report.sections}

    def info(start: int, end: int, breadcrumb: str, section: Section) -> LineInfo:
        term = section.path[1] if section.part == "glossary" and len(section.path) > 1 else ""
        return LineInfo(start, end, breadcrumb, coverage_key(section), term)

    infos = [info(p.start, p.end, p.breadcrumb, sections[p.section_id]) for p in report.paragraphs]
    return infos + [info(s.start, s.end, s.breadcrumb, s) for s in report.sections]


def locate(text: str, index: list[LineInfo], quote: str) -> LineInfo | None:
    """Return the :class:`LineInfo` of the first occurrence of ``quote`` (None if absent).

    A paragraph's entry comes before its section's, so the paragraph's breadcrumb wins.
    """
    off = text.find(quote)
    if off < 0:
        return None
    for info in index:
        if info.start <= off <= info.end:
            return info
    return None


def _read_records(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Parse a JSONL file into ``(line_number, record)`` pairs plus parse errors."""
    records: list[tuple[int, dict[str, Any]]] = []
    errors: list[str] = []
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"cannot read {path}: {exc}"]
    for lineno, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            errors.append(f"line {lineno}: empty line")
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(f"line {lineno}: invalid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"line {lineno}: not a JSON object")
            continue
        records.append((lineno, obj))
    return records, errors


def check_record(lineno: int, rec: dict[str, Any], text: str, index: list[LineInfo]) -> list[str]:
    """Validate one record; return its errors, each prefixed with ``line N:``."""
    where = f"line {lineno}"
    errs = _field_errors(rec, where)
    if errs:
        return errs
    return [*_value_errors(rec, where), *_answerable_errors(rec, where), *_location_errors(rec, where, text, index)]


def _field_errors(rec: dict[str, Any], where: str) -> list[str]:
    """Missing fields, fields of the wrong type, and fields the set does not have."""
    errs: list[str] = []
    for name, typ in FIELDS.items():
        if name not in rec:
            errs.append(f"{where}: missing field {name!r}")
        elif not isinstance(rec[name], typ):
            errs.append(f"{where}: field {name!r} must be {typ.__name__}")
    extra = sorted(set(rec) - set(FIELDS) - set(OPTIONAL))
    if extra:
        errs.append(f"{where}: unexpected fields {extra}")
    return errs


def _value_errors(rec: dict[str, Any], where: str) -> list[str]:
    """Values outside what a field allows: the id's form, empty text, unknown persona, lang, kind or split."""
    errs: list[str] = []
    if not ID_RE.match(rec["id"]):
        errs.append(f"{where}: bad id {rec['id']!r} (expected like 'q001')")
    if not rec["question"].strip():
        errs.append(f"{where}: empty question")
    if not rec["gold_answer"].strip():
        errs.append(f"{where}: empty gold_answer")
    for name, allowed in (("persona", PERSONAS), ("lang", LANGS), ("kind", KINDS), ("split", SPLITS)):
        if rec[name] not in allowed:
            errs.append(f"{where}: bad {name} {rec[name]!r}")
    return errs


def _answerable_errors(rec: dict[str, Any], where: str) -> list[str]:
    """Fields that do not fit ``answerable``: its kind, its quotes, and an unanswerable question's own fields."""
    errs: list[str] = []
    quotes = rec["gold_quotes"]
    answerable = rec["answerable"]
    if (rec["kind"] == "unanswerable") == answerable:
        errs.append(f"{where}: kind 'unanswerable' must go with answerable=false and vice versa")
    if answerable and (set(OPTIONAL) & set(rec)):
        errs.append(f"{where}: unanswerable_kind / expected_status only go on unanswerable questions")
    if answerable and not 1 <= len(quotes) <= 3:
        errs.append(f"{where}: answerable question needs 1-3 gold_quotes, has {len(quotes)}")
    if not answerable:
        if rec.get("unanswerable_kind") not in UNANSWERABLE_KINDS:
            errs.append(f"{where}: unanswerable question needs unanswerable_kind in {list(UNANSWERABLE_KINDS)}")
        if "expected_status" in rec and rec["expected_status"] not in ("partial", "declined"):
            errs.append(f"{where}: expected_status must be 'partial' or 'declined'")
        if quotes:
            errs.append(f"{where}: unanswerable question must have no gold_quotes")
        if rec["section"] != "":
            errs.append(f"{where}: unanswerable question must have section ''")
    return errs


def _location_errors(rec: dict[str, Any], where: str, text: str, index: list[LineInfo]) -> list[str]:
    """Gold quotes not found verbatim in the corpus, and a ``section`` that is not where any quote is."""
    errs: list[str] = []
    quotes = rec["gold_quotes"]
    crumbs: list[str] = []
    for i, quote in enumerate(quotes):
        if not isinstance(quote, str) or not quote.strip():
            errs.append(f"{where}: gold_quotes[{i}] is not a non-empty string")
            continue
        info = locate(text, index, quote)
        if info is None:
            errs.append(f"{where}: gold_quotes[{i}] not found verbatim in corpus: {quote!r}")
        else:
            crumbs.append(info.breadcrumb)
    if rec["answerable"] and crumbs and len(crumbs) == len(quotes) and rec["section"] not in crumbs:
        errs.append(
            f"{where}: section {rec['section']!r} does not match any gold quote location "
            f"(expected one of {sorted(set(crumbs))})"
        )
    return errs


def check(path: str | Path = DEFAULT_SET) -> list[str]:
    """Validate the evaluation set at ``path``; return a list of errors (empty if valid).

    Checks: JSON per line, required fields with allowed values, unique ids,
    gold quotes verbatim in the corpus, 1-3 quotes for answerable and none for
    unanswerable questions, and that ``section`` matches a gold quote's location.
    """
    path = Path(path)
    text = load_corpus()
    index = build_line_index(text)
    records, errors = _read_records(path)
    if not records and not errors:
        errors.append(f"{path}: no records")
    seen: dict[str, int] = {}
    for lineno, rec in records:
        errors.extend(check_record(lineno, rec, text, index))
        rid = rec.get("id")
        if isinstance(rid, str):
            if rid in seen:
                errors.append(f"line {lineno}: duplicate id {rid!r} (first on line {seen[rid]})")
            else:
                seen[rid] = lineno
    return sorted(errors, key=_error_line)


def bigrams(text: str) -> set[str]:
    """Character bigrams of a question, lower-cased, punctuation and spaces dropped."""
    t = re.sub(r"[\W_]+", "", text.lower())
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b|."""
    return len(a & b) / len(a | b) if a | b else 0.0


def check_train(folder: str | Path = DEFAULT_TRAIN, test_set: str | Path = DEFAULT_SET) -> list[str]:
    """Validate the training set (``eval/train/*.jsonl``); return a list of errors (empty if valid).

    Checks: fields and allowed values, unique ids, register and language agree, an unanswered question
    has an unanswerable kind and a partial one says what is missing, gold quotes verbatim in the
    corpus, and no training question is a near-duplicate (character-bigram Jaccard >= 0.8) of a
    question in the test split of ``test_set``.
    """
    text = load_corpus()
    errors: list[str] = []
    tests = [(r["id"], bigrams(r["question"])) for _, r in _read_records(Path(test_set))[0] if r.get("split") == "test"]
    seen: set[str] = set()
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        return [f"{folder}: no training files"]
    for f in files:
        records, errs = _read_records(f)
        errors.extend(f"{f.name}: {e}" for e in errs)
        for lineno, rec in records:
            where = f"{f.name} line {lineno}"
            bad = [k for k, t in TRAIN_FIELDS.items() if k not in rec or not isinstance(rec[k], t)]
            if bad or set(rec) - set(TRAIN_FIELDS):
                errors.append(f"{where}: bad or missing fields {bad or sorted(set(rec) - set(TRAIN_FIELDS))}")
                continue
            if rec["id"] in seen:
                errors.append(f"{where}: duplicate id {rec['id']!r}")
            seen.add(rec["id"])
            if REGISTER_LANG.get(rec["register"]) != rec["lang"]:
                errors.append(f"{where}: register {rec['register']!r} does not go with lang {rec['lang']!r}")
            if rec["status"] not in STATUSES or rec["intent"] not in INTENTS or rec["slot"] not in SLOTS:
                errors.append(f"{where}: bad status, intent or slot")
            if (rec["kind"] is None) != (rec["status"] == "answered") or (
                rec["kind"] is not None and rec["kind"] not in UNANSWERABLE_KINDS
            ):
                errors.append(f"{where}: kind {rec['kind']!r} does not fit status {rec['status']!r}")
            if rec["status"] == "answered" and not 1 <= len(rec["gold_quotes"]) <= 3:
                errors.append(f"{where}: an answered question needs 1-3 gold quotes")
            if rec["status"] == "partial" and not (rec["missing"] and rec["gold_quotes"]):
                errors.append(f"{where}: a partial question needs 'missing' and the gold quotes of what is said")
            for q in rec["gold_quotes"]:
                if not isinstance(q, str) or not q or q not in text:
                    errors.append(f"{where}: gold quote not verbatim in the corpus: {str(q)[:40]!r}")
            grams = bigrams(rec["question"])
            for tid, tg in tests:
                if jaccard(grams, tg) >= NEAR_DUPLICATE:
                    errors.append(f"{where}: near-duplicate of test question {tid}")
    return errors


def _error_line(error: str) -> int:
    """Sort key: the ``line N`` number an error refers to (0 for file-level errors)."""
    m = re.match(r"line (\d+):", error)
    return int(m.group(1)) if m else 0


def _table(rows: list[str], cols: list[str], counts: Counter[tuple[str, str]], title: str) -> str:
    """Render a ``rows x cols`` count table with totals as plain text."""
    width = max([len(title)] + [len(r) for r in rows] + [5]) + 2
    out = [title.ljust(width) + "".join(c.rjust(8) for c in cols) + "total".rjust(8)]
    for r in rows:
        vals = [counts[(r, c)] for c in cols]
        out.append(r.ljust(width) + "".join(str(v).rjust(8) for v in vals) + str(sum(vals)).rjust(8))
    col_tot = [sum(counts[(r, c)] for r in rows) for c in cols]
    out.append("total".ljust(width) + "".join(str(v).rjust(8) for v in col_tot) + str(sum(col_tot)).rjust(8))
    return "\n".join(out)


def summarize(path: str | Path = DEFAULT_SET) -> str:
    """Return a printable summary: split x kind/lang/persona tables and section coverage."""
    path = Path(path)
    text = load_corpus()
    index = build_line_index(text)
    records, _ = _read_records(path)
    recs = [r for _, r in records]
    splits = list(SPLITS)
    parts: list[str] = [f"{len(recs)} questions in {path}"]
    for field, values in (
        ("kind", list(KINDS)),
        ("lang", sorted(LANGS)),
        ("persona", sorted(PERSONAS)),
    ):
        counts: Counter[tuple[str, str]] = Counter((str(r.get(field)), str(r.get("split"))) for r in recs)
        rows = values + sorted({k for k, _ in counts} - set(values))
        parts.append(_table(rows, splits, counts, field))
    key_counts: Counter[str] = Counter()
    terms: set[str] = set()
    for r in recs:
        keys: set[str] = set()
        for q in r.get("gold_quotes") or []:
            info = locate(text, index, q) if isinstance(q, str) else None
            if info:
                keys.add(info.key)
                if info.term:
                    terms.add(info.term)
        key_counts.update(keys)
    lines = ["coverage (questions whose gold quotes fall in each part; >=4 wanted):"]
    for key in EXPECTED_KEYS + tuple(sorted(set(key_counts) - set(EXPECTED_KEYS))):
        n = key_counts[key]
        flag = "" if n >= 4 else "   <-- low" if n else "   <-- MISSING"
        lines.append(f"  {key:<16}{n:>4}{flag}")
    lines.append(f"  glossary terms asked: {len(terms)} / 26")
    parts.append("\n".join(lines))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: validate, print errors and the summary; return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_SET
    errors = check(path)
    if not args:
        train_errors = check_train()
        n = sum(1 for f in DEFAULT_TRAIN.glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines() if line)
        print(f"training set {DEFAULT_TRAIN}: {n} questions, {len(train_errors)} error(s)")
        errors += train_errors
    if Path(path).exists():
        print(summarize(path))
    if errors:
        print(f"\n{len(errors)} error(s):", file=sys.stderr)
        for err in errors:
            print("  " + err, file=sys.stderr)
        return 1
    print("\nOK: no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
