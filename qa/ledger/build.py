"""The ledger: every 2025 commitment and every 2024 result with a figure, one row per figure.

Rows are extracted by rules (:mod:`qa.ledger.rules`) over the parsed sentences of the
report; every row quotes the report verbatim with offsets (``report.text[start:end] ==
quote``). Part 二 (plan) gives figure rows and, for clauses without a figure, commitment
rows with their verb and object; part 一 (review) gives figure rows only.
The row type is :class:`qa.ledger.row.Row`; CSV, JSON and the table live in :mod:`qa.ledger.table`, the
``qa ledger`` command in :mod:`qa.ledger.cli`, 2024↔2025 matching in :mod:`qa.ledger.match`.
"""

from __future__ import annotations

from qa.ledger.row import Row
from qa.ledger.rules import (
    SENTENCE_QUALIFIERS,
    Clause,
    clauses,
    commitment_phrase,
    deadline,
    describe,
    figures,
    qualifiers,
    verb_object,
)
from qa.report.corpus import Report
from qa.text.normalize import to_halfwidth
from qa.types import Paragraph

SKIP_SECTIONS = ("总体要求", "总结", "困难和挑战")  # guidance, thanks, problems: no commitments
MIN_COMMITMENT_CHARS = 6


def _skip_commitments(p: Paragraph) -> bool:
    """Paragraphs whose clauses are not commitments (guidance, thanks, problems)."""
    return any(label in p.path for label in SKIP_SECTIONS)


def _is_heading(text: str, p: Paragraph, c: Clause) -> bool:
    """True for the lead sentence of a paragraph and the title sentence of a subsection."""
    first_sentence_end = c.sentence_start == p.start
    if first_sentence_end and p.lead:
        return True
    return first_sentence_end and text[p.start : p.start + 1] == "("


def _paragraph_rows(report: Report, p: Paragraph, text: str) -> list[dict[str, object]]:
    """Row fields (without ids) for one paragraph of the plan or the review.

    ``text`` is the report half-width (，（） read as ,(): the same length, so offsets hold); quotes are
    taken from the report as given.
    """
    out: list[dict[str, object]] = []
    figs = figures(text[p.start : p.end], p.start)
    for c in clauses(text[p.start : p.end], p.start):
        inside = [q for q in figs if c.start <= q.start and q.end <= c.end]
        quote = text[c.start : c.end]
        verb, obj = verb_object(quote)
        base: dict[str, object] = {
            "part": p.part,
            "year": p.year,
            "section": p.breadcrumb,
            "quote": report.text[c.start : c.end],
            "start": c.start,
            "end": c.end,
            "deadline": deadline(text, c) if p.part == "plan" else "",
            "verb": verb,
            "object": obj,
        }
        for q, ctx in zip(inside, describe(text, inside, c), strict=True):
            out.append(
                {
                    **base,
                    "kind": "figure",
                    "indicator": ctx.indicator,
                    "value": q.value,
                    "value_max": q.value_max,
                    "unit": q.unit,
                    "base_value": q.base_value,
                    "base_unit": q.base_unit,
                    "qualifier": qualifiers(text, q, c),
                }
            )
        if inside or p.part != "plan" or _skip_commitments(p) or _is_heading(text, p, c):
            continue
        if len(quote) < MIN_COMMITMENT_CHARS or text[c.end : c.end + 1] in ":：" or not verb:
            continue
        out.append(
            {
                **base,
                "kind": "commitment",
                "indicator": commitment_phrase(quote),
                "value": None,
                "value_max": None,
                "unit": "",
                "base_value": None,
                "base_unit": "",
                "qualifier": qualifiers_free(quote),
            }
        )
    return out


def qualifiers_free(quote: str) -> str:
    """Sentence-level qualifier words (力争/确保/...) in a clause without a figure."""
    return "、".join(w for w in SENTENCE_QUALIFIERS if w in quote)


def build_ledger(report: Report) -> list[Row]:
    """All ledger rows of the report: its plan first (P001...), then its review (R001...)."""
    rows: list[Row] = []
    half = to_halfwidth(report.text)
    for part, prefix in (("plan", "P"), ("review", "R")):
        n = 0
        for p in report.paragraphs:
            if p.part != part:
                continue
            for fields_ in _paragraph_rows(report, p, half):
                n += 1
                rows.append(Row(id=f"{prefix}{n:03d}", report=report.id, **fields_))  # type: ignore[arg-type]
    return rows


def filter_rows(
    rows: list[Row],
    part: str | None = None,
    section: str | None = None,
    keyword: str | None = None,
    figures_only: bool = False,
) -> list[Row]:
    """Rows of one part, whose breadcrumb contains ``section``, mentioning ``keyword``."""
    out = []
    for r in rows:
        if part and r.part != part:
            continue
        if section and section not in r.section:
            continue
        if keyword and not any(keyword in s for s in (r.indicator, r.quote, r.object, r.section)):
            continue
        if figures_only and not r.is_figure:
            continue
        out.append(r)
    return out
