"""2025 targets beside 2024 results: which 2024 figure row each 2025 figure row continues.

Matching compares indicator words (jieba, IDF-weighted) between a plan figure and the
review figures with the same base unit; the best candidate above a threshold is its pair.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from qa.ledger.row import Row
from qa.text.normalize import word_tokens

MATCH_THRESHOLD = 0.6  # cosine of IDF-weighted indicator words
MUTUAL = 0.9  # a pair's score must be this close to the 2024 row's best score over 2025 rows
# Words that say what is asked for or done, not what is measured (left out of indicator words).
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
    """Plan figure row id -> the review figure row on the same indicator (best one)."""
    figs = [r for r in rows if r.is_figure]
    idf = _idf(figs)
    plan = [r for r in figs if r.part == "plan"]
    review = [r for r in figs if r.part == "review"]
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
