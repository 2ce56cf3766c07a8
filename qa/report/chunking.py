"""Stage 2: paragraphs -> sentence windows (chunks) sized for the embedding model."""

from __future__ import annotations

import hashlib

from qa.report.corpus import Report
from qa.text.normalize import sentence_spans
from qa.types import Chunk, Paragraph

CHUNKER_VERSION = "sentwin-2"  # bump when chunk boundaries or headers change
MIN_CHARS = 50  # a window grows until it holds at least this many characters ...
MAX_CHARS = 150  # ... and never past this (a single longer sentence stays whole)


def chunk_id(path: tuple[str, ...], start: int, text: str) -> str:
    """Stable id from the chunk's place and content."""
    digest = hashlib.sha1(f"{'/'.join(path)}|{start}|{text}".encode()).hexdigest()
    return f"c{digest[:10]}"


def windows(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into windows of MIN_CHARS..MAX_CHARS."""
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in spans:
        if cur is None:
            cur = (s, e)
        elif cur[1] - cur[0] < MIN_CHARS and e - cur[0] <= MAX_CHARS:
            cur = (cur[0], e)
        else:
            out.append(cur)
            cur = (s, e)
    if cur is not None:
        if out and cur[1] - cur[0] < MIN_CHARS // 2 and cur[1] - out[-1][0] <= MAX_CHARS:
            out[-1] = (out[-1][0], cur[1])  # fold a short tail into the window before it
        else:
            out.append(cur)
    return out


def header_for(p: Paragraph) -> str:
    """Context prepended to each chunk when indexing: the section title and lead phrase."""
    tail = [x for x in p.path[1:] if x not in ("总述",)]
    return " ".join(tail)


def chunk_paragraph(p: Paragraph) -> list[Chunk]:
    """Split one paragraph into sentence-window chunks."""
    spans = sentence_spans(p.text, p.start)
    text_of = lambda s, e: p.text[s - p.start : e - p.start]  # noqa: E731
    return [
        Chunk(
            chunk_id(p.path, s, text_of(s, e)), p.id, p.section_id, p.path, p.part, s, e, text_of(s, e), header_for(p)
        )
        for s, e in windows(spans)
    ]


def chunk_report(report: Report) -> list[Chunk]:
    """All chunks of the report, in reading order.

    A subsection heading line with nothing after its title is not a chunk of its own: its words
    are already in the header of every chunk below it.
    """
    return [c for p in report.paragraphs if not _heading_only(p) for c in chunk_paragraph(p)]


def _heading_only(p: Paragraph) -> bool:
    """Whether the paragraph is only a subsection heading (e.g. the line (一)全力优存量扩增量,…)."""
    return p.text.startswith("(") and len(sentence_spans(p.text)) == 1 and p.part in ("review2024", "plan2025")
