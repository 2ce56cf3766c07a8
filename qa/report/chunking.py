"""Stage 2: paragraphs -> sentence windows (chunks) sized for the embedding model."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from qa.report.corpus import Report
from qa.text.normalize import sentence_spans
from qa.types import Chunk, Paragraph

CHUNKER_VERSION = "sentwin-3"  # bump when chunk boundaries or headers change
MIN_CHARS = 50  # a window grows until it holds at least this many characters ...
MAX_CHARS = 150  # ... and never past this (a single longer sentence stays whole)


# A sentence that opens an enumerated item (一是…, 二是…) starts a window of its own: each item of a
# long paragraph is its own retrievable unit.
ITEM_OPENER = re.compile(r"^[一二三四五六七八九十]+是")


def chunk_id(report: str, path: tuple[str, ...], start: int, text: str) -> str:
    """Stable id from the chunk's report, place and content."""
    digest = hashlib.sha1(f"{report}|{'/'.join(path)}|{start}|{text}".encode()).hexdigest()
    return f"c{digest[:10]}"


def windows(spans: list[tuple[int, int]], breaks: frozenset[int] = frozenset()) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into windows of MIN_CHARS..MAX_CHARS.

    A span starting at one of ``breaks`` always opens a new window.
    """
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in spans:
        if cur is None:
            cur = (s, e)
        elif s in breaks:
            out.append(cur)
            cur = (s, e)
        elif cur[1] - cur[0] < MIN_CHARS and e - cur[0] <= MAX_CHARS:
            cur = (cur[0], e)
        else:
            out.append(cur)
            cur = (s, e)
    if cur is not None:
        if out and cur[0] not in breaks and cur[1] - cur[0] < MIN_CHARS // 2 and cur[1] - out[-1][0] <= MAX_CHARS:
            out[-1] = (out[-1][0], cur[1])  # fold a short tail into the window before it
        else:
            out.append(cur)
    return out


def header_for(p: Paragraph) -> str:
    """Context prepended to each chunk when indexing: the section title and lead phrase."""
    tail = [x for x in p.path[1:] if x not in ("总述",)]
    return " ".join(tail)


def chunk_paragraph(p: Paragraph, report: str = "") -> list[Chunk]:
    """Split one paragraph into sentence-window chunks."""
    spans = sentence_spans(p.text, p.start)
    text_of = lambda s, e: p.text[s - p.start : e - p.start]  # noqa: E731
    breaks = frozenset(s for s, e in spans if ITEM_OPENER.match(text_of(s, e)))
    return [
        Chunk(
            id=chunk_id(report, p.path, s, text_of(s, e)),
            paragraph_id=p.id,
            section_id=p.section_id,
            path=p.path,
            part=p.part,
            start=s,
            end=e,
            text=text_of(s, e),
            header=header_for(p),
            year=p.year,
            report=report,
        )
        for s, e in windows(spans, breaks)
    ]


def chunk_report(report: Report) -> list[Chunk]:
    """All chunks of the report, in reading order.

    A subsection heading line with nothing after its title is not a chunk of its own: its words
    are already in the header of every chunk below it.
    """
    return [c for p in report.paragraphs if not _heading_only(p) for c in chunk_paragraph(p, report.id)]


def _heading_only(p: Paragraph) -> bool:
    """Whether the paragraph is only a subsection heading (e.g. the line (一)全力优存量扩增量,… or （一）…)."""
    opens = unicodedata.normalize("NFKC", p.text[:1]) == "("
    return opens and len(sentence_spans(p.text)) == 1 and p.part in ("review", "plan")
