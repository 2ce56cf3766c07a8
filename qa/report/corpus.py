"""Stage 1: the report file and its own structure (parts, subsections, paragraphs, glossary).

The parser reads the report line by line and keeps character offsets (Python ``str``
indices into the UTF-8-decoded file) for every section and paragraph.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from qa.datafiles import PROJECT_DIR
from qa.text.normalize import lead_phrase
from qa.types import Paragraph, Part, Section

CORPUS_FILE = PROJECT_DIR / "corpus" / "liwan-2025-government-work-report.txt"

PART_HEADING = re.compile(r"^([一二三四五六七八九十]+)、(\d{4})年工作(回顾|安排)$")
SUBSECTION_HEADING = re.compile(r"^(\([一二三四五六七八九十]+\))")
GLOSSARY_START = "附件:"
GLOSSARY_TITLE = "名词解释"
GLOSSARY_ITEM = re.compile(r"^(\d+)\.\s*([^:]+):")

# Unheaded stretches get a label from what they say: (pattern, label).
UNHEADED_LABELS: tuple[tuple[str, str], ...] = (
    ("主要预期目标", "主要预期目标"),
    ("困难和挑战", "困难和挑战"),
    ("总体要求", "总体要求"),
)
# A paragraph that opens like this closes the subsection it follows.
CLOSES_SUBSECTION = ("此外", "各位代表")


@dataclass(frozen=True)
class Report:
    """The report text and everything parsed from it."""

    text: str
    sha256: str
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]

    def section(self, section_id: str) -> Section:
        """The section with this id."""
        return next(s for s in self.sections if s.id == section_id)


def load_report(path: Path = CORPUS_FILE) -> Report:
    """Read and parse the report file."""
    raw = path.read_bytes()
    return parse(raw.decode("utf-8"), hashlib.sha256(raw).hexdigest())


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each non-empty line, without its newline."""
    spans, pos = [], 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.strip():
            spans.append((pos, end))
        pos = end + 1
    return spans


class _Builder:
    """Accumulates sections and paragraphs while the parser walks the lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sections: list[Section] = []
        self.paragraphs: list[Paragraph] = []
        self._open: tuple[tuple[str, ...], Part, int, int] | None = None  # path, part, start, end

    def open_section(self, path: tuple[str, ...], part: Part, start: int) -> None:
        """Close the current section and start a new one at ``start``."""
        self.close_section()
        self._open = (path, part, start, start)

    def close_section(self) -> None:
        """Record the open section (if it holds anything)."""
        if self._open is None:
            return
        path, part, start, end = self._open
        if end > start:
            self.sections.append(Section(f"s{len(self.sections) + 1:02d}", path, part, start, end))
        self._open = None

    def extend(self, end: int) -> None:
        """Grow the open section to ``end``."""
        assert self._open is not None
        path, part, start, _ = self._open
        self._open = (path, part, start, end)

    def add_paragraph(self, start: int, end: int, lead: str = "") -> None:
        """Add a paragraph to the open section."""
        assert self._open is not None
        path, part, _, _ = self._open
        self.extend(end)
        sid = f"s{len(self.sections) + 1:02d}"
        ppath = (*path, lead.rstrip("。")) if lead else path
        pid = f"{sid}p{sum(p.section_id == sid for p in self.paragraphs) + 1:02d}"
        self.paragraphs.append(Paragraph(pid, sid, ppath, part, lead, start, end, self.text[start:end]))

    @property
    def path(self) -> tuple[str, ...]:
        """The open section's path."""
        return self._open[0] if self._open else ()


def _label(line: str, default: str) -> str:
    """Label for an unheaded paragraph, from what it says."""
    for pattern, label in UNHEADED_LABELS:
        if pattern in line:
            return label
    return default


def parse(text: str, sha256: str = "") -> Report:
    """Parse the report's structure; every offset indexes ``text``."""
    b = _Builder(text)
    spans = _lines(text)
    part_heading = ""
    part: Part = "other"
    in_subsection = False
    seen_part = False
    # The title block (title, date and session, speaker) runs up to the salutation: one paragraph.
    n_title = next((i for i, (s, e) in enumerate(spans) if text[s:e].startswith("各位代表")), 1)
    b.open_section(("标题",), "other", spans[0][0])
    b.add_paragraph(spans[0][0], spans[n_title - 1][1])
    for s, e in spans[n_title:]:
        line = text[s:e]
        if m := PART_HEADING.match(line):
            part_heading, seen_part, in_subsection = line, True, False
            part = "review2024" if m.group(3) == "回顾" else "plan2025"
            b.open_section((part_heading, "总述"), part, s)
            b.extend(e)
            continue
        if line.startswith(GLOSSARY_START):
            part, part_heading = "glossary", "附件:名词解释"
            b.open_section((part_heading,), part, s)
            b.extend(e)
            continue
        if part == "glossary":
            if line == GLOSSARY_TITLE:
                b.extend(e)
            elif m := GLOSSARY_ITEM.match(line):
                b.open_section((part_heading, f"{m.group(1)}. {m.group(2)}"), part, s)
                b.add_paragraph(s, e, "")
            continue
        if not seen_part:
            if b.path != ("开头",):
                b.open_section(("开头",), "other", s)
            b.add_paragraph(s, e)
            continue
        if SUBSECTION_HEADING.match(line):
            title = re.split(r"[,，。]", line, maxsplit=1)[0]  # (四)统筹推进教育科技人才一体改革
            b.open_section((part_heading, title), part, s)
            in_subsection = True
            b.add_paragraph(s, e)
            continue
        closing = in_subsection and line.startswith(CLOSES_SUBSECTION)
        if closing:
            in_subsection = False
        if not in_subsection:
            if part == "plan2025" and line.startswith("各位代表"):
                part, part_heading = "other", "结尾"
                b.open_section(("结尾",), part, s)
            elif part != "other":
                label = _label(line, "总结" if closing or b.path[-1:] == ("总结",) else "总述")
                if b.path != (part_heading, label):
                    b.open_section((part_heading, label), part, s)
            b.add_paragraph(s, e)
            continue
        b.add_paragraph(s, e, lead_phrase(line))
    b.close_section()
    return Report(text, sha256, tuple(b.sections), tuple(b.paragraphs))
