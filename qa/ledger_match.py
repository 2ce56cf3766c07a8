"""2025 targets beside 2024 results, and ledger look-up for chat questions.

Matching compares indicator words (jieba, IDF-weighted) between a plan2025 figure and the
review2024 figures with the same base unit; the best candidate above a threshold is its pair.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter

from qa.datafiles import read_pairs
from qa.ledger import Row
from qa.textnorm import normalize_query, word_tokens

MATCH_THRESHOLD = 0.6  # cosine of IDF-weighted indicator words
MUTUAL = 0.9  # a pair's score must be this close to the 2024 row's best score over 2025 rows
LOOKUP_MAX_ROWS = 5
LOOKUP_KEEP = 0.8  # keep rows scoring at least this share of the best
# Words that say what a question asks for, not what it asks about.
QUESTION_WORDS = frozenset(
    (
        "目标",
        "多少",
        "完成",
        "完成了",
        "今年",
        "去年",
        "明年",
        "年",
        "是",
        "的",
        "了",
        "吗",
        "呢",
        "什么",
        "怎么样",
        "计划",
        "承诺",
        "预期",
        "实现",
        "达到",
        "多",
        "少",
        "有",
        "几",
        "个",
        "数字",
        "情况",
        "荔湾",
        "荔湾区",
        "全区",
        "区",
        "政府",
        "工作",
        "报告",
        "promised",
        "what",
        "how",
        "many",
    )
)
_YEAR = re.compile(r"^\d{2,4}年?$")


def _tokens(text: str) -> list[str]:
    """Content words of a phrase (no numbers, years or question words)."""
    return [t for t in word_tokens(text) if not _YEAR.match(t) and t not in QUESTION_WORDS]


def _idf(rows: list[Row]) -> dict[str, float]:
    """Inverse document frequency of indicator words over the rows."""
    df = Counter(t for r in rows for t in set(_tokens(r.indicator)))
    n = max(1, len(rows))
    return {t: math.log(1 + n / c) for t, c in df.items()}


def _similarity(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """Cosine of two word sets, each word weighted by its IDF."""
    if not a or not b:
        return 0.0
    w = lambda ts: math.sqrt(sum(idf.get(t, 1.0) ** 2 for t in ts))  # noqa: E731
    shared = sum(idf.get(t, 1.0) ** 2 for t in a & b)
    return shared / (w(a) * w(b))


def _compatible(a: Row, b: Row) -> bool:
    """Same base unit (percentages only with percentages)."""
    return (a.base_unit == b.base_unit and a.base_unit != "") or a.unit == b.unit == "万"


def match_pairs(rows: list[Row], threshold: float = MATCH_THRESHOLD) -> dict[str, Row]:
    """plan2025 figure row id -> the review2024 figure row on the same indicator (best one)."""
    figs = [r for r in rows if r.is_figure]
    idf = _idf(figs)
    plan = [r for r in figs if r.part == "plan2025"]
    review = [r for r in figs if r.part == "review2024"]
    toks = {r.id: set(_tokens(r.indicator)) for r in figs}
    sim = {(p.id, r.id): _similarity(toks[p.id], toks[r.id], idf) for p in plan for r in review if _compatible(p, r)}
    best_for_review: dict[str, float] = {}
    for (_, rid), score in sim.items():
        best_for_review[rid] = max(best_for_review.get(rid, 0.0), score)
    out: dict[str, Row] = {}
    for p in plan:
        scored = [(sim[p.id, r.id], r) for r in review if (p.id, r.id) in sim]
        if not scored:
            continue
        score, best = max(scored, key=lambda sr: sr[0])
        # Mutual: the 2024 row must not fit another 2025 row clearly better (新开工项目 4个).
        if score >= threshold and score >= MUTUAL * best_for_review[best.id]:
            out[p.id] = best
    return out


@functools.cache
def english_keywords() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """English word or phrase -> report words, from ``qa/data/ledger_en.tsv``."""
    pairs = [(key.lower(), tuple(words)) for key, words in read_pairs("ledger_en.tsv")]
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))


def _question_words(question: str) -> tuple[set[str], str | None]:
    """Content words of a question (English mapped to report words) and the part it asks about."""
    q = normalize_query(question)
    text = q.text
    if q.english:
        low = text.lower()
        text = " ".join(
            w for key, words in english_keywords() if re.search(rf"\b{re.escape(key)}\b", low) for w in words
        )
    return set(_tokens(text)) | set(_tokens(" ".join(q.expansions))), q.part


def lookup(question: str, rows: list[Row]) -> list[tuple[Row, Row | None]]:
    """Rows answering a question (its part, else 2025 first), each with the other year's row."""
    words, part = _question_words(question)
    if not words:
        return []
    figs = [r for r in rows if r.is_figure]
    idf = _idf(figs)
    want = part or "plan2025"
    scored = []
    for r in rows:
        if r.part != want:
            continue
        ind, quote = set(_tokens(r.indicator)), set(_tokens(r.quote))
        score = sum(idf.get(t, 1.0) for t in words & ind) + 0.5 * sum(idf.get(t, 1.0) for t in words & (quote - ind))
        if score > 0:
            scored.append((score + (0.01 if r.is_figure else 0.0), r))
    if not scored:
        return []
    scored.sort(key=lambda sr: (-sr[0], sr[1].start))
    best = scored[0][0]
    chosen = [r for s, r in scored if s >= LOOKUP_KEEP * best][:LOOKUP_MAX_ROWS]
    other = other_year(rows)
    return [(r, other.get(r.id)) for r in chosen]


def other_year(rows: list[Row]) -> dict[str, Row]:
    """Row id -> the matching row of the other year, both ways.

    2025 -> 2024 comes from :func:`match_pairs`; 2024 -> the first 2025 row (report order) matched to it.
    """
    pairs = match_pairs(rows)
    by_id = {r.id: r for r in rows}
    out = dict(pairs)
    for pid, rrow in pairs.items():
        out.setdefault(rrow.id, by_id[pid])
    return out
