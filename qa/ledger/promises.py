"""Promises kept, across reports: one report's targets for a year beside the next report's results for it.

When a report's plan year is another report's review year and both are from the same place (the
State Council's 2024 report plans 2024, its 2025 report reviews 2024), each figure target of the
earlier report's plan is paired with the figure the later report's review gives for the same
indicator, by the matcher that pairs a report's own targets and results (:mod:`qa.ledger.match`).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.ledger.match import match_pairs
from qa.ledger.row import Row
from qa.report.corpus import Report


@dataclass(frozen=True)
class Promise:
    """A target of one report and the result a later report gives for it (both quoted, with offsets)."""

    target: Row  # from the earlier report's plan
    result: Row  # from the later report's review of the same year

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: the year, the indicator and both rows."""
        return {
            "year": self.target.year,
            "indicator": self.target.indicator,
            "target": {"report": self.target.report, "id": self.target.id, "quote": self.target.quote,
                       "start": self.target.start, "end": self.target.end},
            "result": {"report": self.result.report, "id": self.result.id, "quote": self.result.quote,
                       "start": self.result.start, "end": self.result.end},
        }  # fmt: skip


def successive(reports: tuple[Report, ...] | list[Report]) -> list[tuple[Report, Report]]:
    """(earlier, later) report pairs of one place where the later one reviews the year the earlier one plans."""
    return [
        (a, b)
        for a in reports
        for b in reports
        if a.id != b.id and a.plan_year and a.plan_year == b.review_year and a.places == b.places
    ]


def promises(earlier: list[Row], later: list[Row]) -> list[Promise]:
    """Each figure target of the earlier report's plan with the later report's result for it, in target order."""
    plan = [r for r in earlier if r.part == "plan" and r.is_figure]
    review = [r for r in later if r.part == "review" and r.is_figure]
    pairs = match_pairs([*plan, *review])
    return [Promise(t, pairs[t.id]) for t in plan if t.id in pairs]


def all_promises(reports: tuple[Report, ...], ledgers: dict[str, list[Row]]) -> list[Promise]:
    """The promises of every successive pair of reports (their ledgers by report id)."""
    return [p for a, b in successive(reports) for p in promises(ledgers[a.id], ledgers[b.id])]
