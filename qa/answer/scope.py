"""Which of the index's reports a question is about, and what the answer stage must know of them.

An index holds one report or many. ``ask --report ID`` (or the chat's picker) names one; otherwise a
question that names a report's own place (广东, 荔湾) or one of its years picks those reports, and a
question that names neither searches them all. 今年/去年 are then read relative to the plan year of
the reports picked (the newest, when they differ), and every message names their years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from qa.answer.understand import own_place, parent_places, place_table
from qa.report.corpus import Report
from qa.search.index import Index
from qa.text.normalize import DEFAULT_PLAN_YEAR, Parts, normalize_query

_SUFFIX = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市|区|县|旗)$")
NATIONAL_WORDS = ("全国", "国务院")  # a question naming these is about the State Council's report
MAX_YEARS_LISTED = 6  # a decline lists the years the reports cover up to this many, else their range


def short_place(name: str) -> str:
    """A place name without its administrative suffix: 广东省 -> 广东, 荔湾区 -> 荔湾, 新疆维吾尔自治区 -> 新疆."""
    return _SUFFIX.sub("", name) or name


class UnknownReport(KeyError):
    """``--report`` names a report the index does not hold."""


@dataclass(frozen=True, eq=False)
class Scope:
    """The reports a question is answered from."""

    reports: tuple[Report, ...]
    mask: np.ndarray | None  # per chunk of the index: from one of these reports (None: every chunk)
    parts: Parts  # the (role, year) of their review and plan parts

    @cached_property
    def ids(self) -> frozenset[str]:
        """The reports' ids."""
        return frozenset(r.id for r in self.reports)

    @cached_property
    def plan_year(self) -> int:
        """今年: the newest plan year among the reports."""
        return max((r.plan_year for r in self.reports if r.plan_year), default=DEFAULT_PLAN_YEAR)

    @cached_property
    def years(self) -> frozenset[int]:
        """Every year the reports speak of (their review and plan years)."""
        return frozenset(y for r in self.reports for y in r.years)

    @cached_property
    def own(self) -> tuple[str, ...]:
        """The reports' own places, short: 荔湾, 广东, 全国."""
        out = []
        for r in self.reports:
            name = short_place(r.place) if r.place else own_place(r.text)
            if name and name not in out:
                out.append(name)
        return tuple(out)

    @cached_property
    def parents(self) -> tuple[str, ...]:
        """The places the reports' own places belong to (广州 for 荔湾): neither another place nor their own."""
        out: list[str] = []
        for r in self.reports:
            for p in (*(short_place(x) for x in r.places[:-1]), *parent_places(r.text)):
                if p not in out and p not in self.own:
                    out.append(p)
        return tuple(out)

    @cached_property
    def text(self) -> str:
        """The reports' texts, joined (does a report mention this?)."""
        return "\n".join(r.text for r in self.reports)

    @cached_property
    def lower(self) -> str:
        """``text`` lower-cased."""
        return self.text.lower()

    def is_own(self, place: str) -> bool:
        """Whether a named place is one of the reports' own (荔湾, 荔湾区)."""
        return any(o in place or place in o for o in self.own)

    def outside(self, places: tuple[str, ...]) -> tuple[str, ...]:
        """The places of the place table among ``places`` that are neither the reports' own nor their parents."""
        return tuple(p for p in places if p in place_table() and p not in self.parents and not self.is_own(p))

    def covers(self, lang: str) -> str:
        """Which years the reports cover, in words: 报告回顾2024年工作、部署2025年工作."""
        if len(self.reports) == 1:
            r = self.reports[0]
            if r.review_year and r.plan_year:
                if lang == "en":
                    return f"it reviews {r.review_year} and plans {r.plan_year}"
                return f"报告回顾{r.review_year}年工作、部署{r.plan_year}年工作"
            year = r.plan_year or r.review_year
            return f"the report is for {year}" if lang == "en" else f"报告是{year}年的"
        ys = sorted(self.years)
        if len(ys) > MAX_YEARS_LISTED:
            if lang == "en":
                return f"the {len(self.reports)} reports searched cover {len(ys)} years between {ys[0]} and {ys[-1]}"
            return f"所查的{len(self.reports)}份报告涉及{ys[0]}–{ys[-1]}年间的{len(ys)}个年份"
        years = "、".join(str(y) for y in ys)
        if lang == "en":
            return f"the {len(self.reports)} reports searched cover {years}"
        return f"所查的{len(self.reports)}份报告涉及{years}年"

    def place_names(self) -> str:
        """The reports' own places, full names: 荔湾区, 广东省、浙江省."""
        return "、".join(dict.fromkeys(r.place or r.title for r in self.reports))

    def title(self) -> str:
        """The one report's title, or how many reports are searched."""
        return self.reports[0].title if len(self.reports) == 1 else f"{len(self.reports)}份政府工作报告"


class Library:
    """The reports of one index, and which of them a question is about."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.chunk_reports = np.array([c.report for c in index.chunks])
        self._parts: dict[str, set[tuple[str, int]]] = {r.id: set() for r in index.reports}  # id -> (role, year)
        for c in index.chunks:
            if c.year:
                self._parts[c.report].add((c.part, c.year))
        self.all = self._scope(index.reports)
        self._by_id = {r.id: self._scope((r,)) for r in index.reports} if len(index.reports) > 1 else {}

    def _scope(self, reports: tuple[Report, ...]) -> Scope:
        """The scope of these reports."""
        ids = {r.id for r in reports}
        every = len(reports) == len(self.index.reports)
        mask = None if every else np.isin(self.chunk_reports, list(ids))
        return Scope(reports, mask, frozenset().union(*(self._parts[i] for i in ids)))

    def scopes(self) -> list[Scope]:
        """Every scope a question may get: all reports, then each one (when there are several)."""
        return [self.all, *self._by_id.values()]

    def text_of(self, report_id: str) -> str:
        """The text of the report with this id."""
        return self.index.report_of(report_id).text

    def ids(self) -> tuple[str, ...]:
        """The reports' ids, in the index's order."""
        return tuple(r.id for r in self.index.reports)

    def scope(self, question: str, report: str | None = None) -> Scope:
        """The reports to answer ``question`` from: ``report`` when given, else those it names, else all."""
        if report is not None:
            if report in self._by_id:
                return self._by_id[report]
            if len(self.index.reports) == 1 and report == self.index.reports[0].id:
                return self.all
            raise UnknownReport(report)
        if not self._by_id:
            return self.all
        q = normalize_query(question, self.all.plan_year, self.all.parts)
        picked = [r for r in self.index.reports if self._names_place(q.text, r)] or list(self.index.reports)
        by_year = [r for r in picked if set(q.years) & r.years]
        picked = by_year or picked
        if len(picked) == len(self.index.reports):
            return self.all
        if len(picked) == 1:
            return self._by_id[picked[0].id]
        return self._scope(tuple(picked))

    @staticmethod
    def _names_place(text: str, r: Report) -> bool:
        """Whether the question names the report's own place (广东, 荔湾; 全国 or 国务院 for the State Council)."""
        if r.places == ("全国",):
            return any(w in text for w in NATIONAL_WORDS)
        own = short_place(r.place) if r.place else ""
        return bool(own) and own in text
