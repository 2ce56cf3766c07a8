"""The nouns of the pipeline, as frozen dataclasses.

Every piece of report text carries ``start``/``end`` character offsets into the
corpus file, and ``report[start:end] == text`` holds for all of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Part = Literal["review", "plan", "glossary", "annex", "other"]  # the role a part plays in its report

PART_LABELS: dict[str, str] = {  # role -> label shown to people (review and plan also name their year)
    "review": "工作回顾",
    "plan": "工作安排",
    "glossary": "名词解释",
    "annex": "附件",
    "other": "开头与结尾",
}


def part_label(part: str, year: int | None = None) -> str:
    """The label people see for a role and its year: 2024年工作回顾, 2025年工作安排, 名词解释 ..."""
    label = PART_LABELS.get(part, part)
    return f"{year}年{label}" if year and part in ("review", "plan") else label


BREADCRUMB_SEP = " › "


@dataclass(frozen=True)
class Section:
    """A headed (or labelled, unheaded) stretch of the report."""

    id: str
    path: tuple[str, ...]  # e.g. ("二、2025年工作安排", "(四)统筹推进教育科技人才一体改革")
    part: Part
    start: int
    end: int
    year: int | None = None  # the year a review or plan part is about

    @property
    def breadcrumb(self) -> str:
        """The path joined with › ."""
        return BREADCRUMB_SEP.join(self.path)


@dataclass(frozen=True)
class Paragraph:
    """One line of the report body, inside one section."""

    id: str
    section_id: str
    path: tuple[str, ...]  # section path + lead phrase (when the paragraph has one)
    part: Part
    lead: str  # the short sentence the paragraph opens with, or "" when it has none
    start: int
    end: int
    text: str
    year: int | None = None

    @property
    def breadcrumb(self) -> str:
        """The path joined with › ."""
        return BREADCRUMB_SEP.join(self.path)


@dataclass(frozen=True)
class Chunk:
    """A window of whole sentences inside one paragraph: the unit of retrieval."""

    id: str
    paragraph_id: str
    section_id: str
    path: tuple[str, ...]
    part: Part
    start: int
    end: int
    text: str
    header: str  # context prepended when indexing (section title + lead); not part of the quote
    year: int | None = None  # the year of its part (review or plan), None elsewhere
    report: str = ""  # id of the report it comes from (the file stem); offsets index that file

    @property
    def breadcrumb(self) -> str:
        """The path joined with › ."""
        return BREADCRUMB_SEP.join(self.path)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (path as a list)."""
        d = asdict(self)
        d["path"] = list(self.path)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Chunk:
        """Inverse of :meth:`to_json`."""
        return cls(**{**d, "path": tuple(d["path"])})


@dataclass(frozen=True)
class Sentence:
    """One sentence of a chunk (ends at 。！？；or the paragraph end)."""

    chunk_index: int  # position of its chunk in the index's chunk list
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and per-retriever ranks."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank
    dense: float = 0.0  # cosine similarity of the query and the chunk


@dataclass(frozen=True)
class Citation:
    """A quoted sentence (or run of sentences) from the report."""

    n: int
    chunk_id: str
    section: str
    part: Part
    quote: str
    start: int
    end: int
    year: int | None = None  # the year of the part quoted (review or plan)
    report: str = ""  # id of the report quoted; start/end index that report's file


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What every interface shows: verbatim quotes, their citations, the ranked passages.

    Built with keyword arguments only (and changed with ``dataclasses.replace``).
    """

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    query: str = ""  # the normalised query actually searched
    lang: str = "zh"  # "zh" or "en": the language of fixed strings in the answer
    timings_ms: dict[str, float] = field(default_factory=dict)
    message: str = ""  # set for rejected input (empty, too long); then answer == message
    status: str = "answered"  # "answered", "partial" (what is missing is said, nearby text quoted) or "declined"
    missing: str = ""  # for "partial": what the report does not give
    reason: str = ""  # why it was not answered: "partial", "abstain_name", "abstain_opinion", ... or "input"
    probabilities: dict[str, float] = field(default_factory=dict)  # the answerability model's P(status)
    understanding: dict[str, Any] = field(default_factory=dict)  # the question's Frame (intent, slot, years, places)

    def to_json(self) -> dict[str, Any]:
        """The ``qa ask --json`` object."""
        return {
            "question": self.question,
            "answer": self.answer,
            "status": self.status,
            "abstained": self.abstained,
            "missing": self.missing,
            "reason": self.reason,
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "understanding": self.understanding,
            "citations": [asdict(c) for c in self.citations],
            "passages": [
                {
                    "chunk_id": h.chunk.id,
                    "section": h.chunk.breadcrumb,
                    "part": h.chunk.part,
                    "year": h.chunk.year,
                    "report": h.chunk.report,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                    "start": h.chunk.start,
                    "end": h.chunk.end,
                }
                for h in self.hits
            ],
            "query": self.query,
            "error": self.message or None,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
