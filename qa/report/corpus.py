"""Stage 1: a government work report as published, and its own structure.

The parser reads Chinese government work reports of the genre, not one file: full-width or
half-width punctuation, indented or not, headings alone on their line or opening their first
paragraph, a plan in one part or several, a title block that is missing or spread over blank
lines, numbered annexes and glossaries, and trailing notices (e.g. Wikisource's). Reports from
before about 2000 without a review/plan split parse as numbered parts of role ``other``.

Lines are matched on a NFKC copy (so （一） reads as (一)), but every offset is a Python ``str``
index into the file exactly as given: nothing is rewritten before offsets are taken.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from qa.datafiles import DATA_DIR, PROJECT_DIR
from qa.settings import LIWAN_FILE, Settings, is_checkout, settings
from qa.text.normalize import lead_phrase
from qa.types import Paragraph, Part, Section

LIWAN_ID = LIWAN_FILE.removesuffix(".txt")  # the default report's id (its file stem)
PACKAGED_CORPUS = DATA_DIR / "corpus" / LIWAN_FILE  # a byte-identical copy of corpus/… shipped in the package
# The Liwan report this package knows: corpus/ of the checkout it is imported from, else the packaged copy.
# The default corpus is :func:`liwan_file`, which looks in $QA_HOME/corpus/ first.
CORPUS_FILE = PROJECT_DIR / "corpus" / LIWAN_FILE if is_checkout() else PACKAGED_CORPUS

_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
YEAR = r"((?:19|20)\d\d|[〇○零一二三四五六七八九]{4})年"
_DATE = re.compile(YEAR + r"(\d{1,2}|[一二三四五六七八九十]{1,3})月(\d{1,2}|[一二三四五六七八九十]{1,3})日在")
_NUMBERED = re.compile(r"^([一二三四五六七八九十]+)[、.]\s*(\S.*)$")
SUBSECTION_HEADING = re.compile(r"^\(([一二三四五六七八九十]+)\)")
_UNNUMBERED_PART = re.compile(r"^(?:" + YEAR + r")?\S{0,14}(工作回顾|工作安排|工作建议|政府工作任务|总体要求)\S{0,6}$")
_ANNEX = re.compile(r"^附件\s*(\d*)\s*[::]?\s*(.*)$")
GLOSSARY_TITLES = ("名词解释", "名词注释", "名词说明")
_GLOSSARY_ITEM = re.compile(r"^(\d+)[.、]\s*([^:]+?)\s*:")
_ANNEX_ITEM = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.、])")
HEADING_MAX = 40  # a part heading is a short line ...
BARE_HEADING_MAX = 16  # ... and an unnumbered one, followed by (一), a shorter one
_HEADING_STOPS = "。;!?"  # ... that says no sentence
TITLE_BLOCK_MAX = 15  # the salutation comes within this many lines, or there is no title block
SALUTATION = "各位代表"
# The role a part heading announces, from its words (a plan part often has no year word of its own).
REVIEW_WORDS = ("回顾",)
PLAN_WORDS = ("安排", "任务", "建议", "总体要求", "部署", "重点工作", "目标")
# Unheaded stretches get a label from what they say: (pattern, label).
UNHEADED_LABELS: tuple[tuple[str, str], ...] = (
    ("主要预期目标", "主要预期目标"),
    ("困难和挑战", "困难和挑战"),
    ("总体要求", "总体要求"),
)
# A paragraph that opens like this closes the subsection it follows.
CLOSES_SUBSECTION = ("此外", SALUTATION)
# A trailing notice that is not the report's (Wikisource's licence text) starts with one of these.
NOTICE_OPENERS = ("本作品是中华人民共和国", "本作品是中華人民共和國", "Public domain")
NOTICE_LABEL = "文末附注"
_PLACE = re.compile(r"在(.{2,12}?(?:省|自治区|市|区|县|旗))第[一二三四五六七八九十]+届")
_ADMIN = re.compile(r"(.{2,8}?(?:省|自治区|特别行政区|市|区|县|旗))")


@dataclass(frozen=True)
class Report:
    """One report's text and everything parsed from it."""

    text: str
    sha256: str
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    id: str = "report"  # the file stem
    title: str = ""  # e.g. 2025年广州市荔湾区政府工作报告
    review_year: int | None = None  # the year its review part looks back on
    plan_year: int | None = None  # the year its plan part (or, without a split, the report) is for
    # where it is from, widest first: ("广州市", "荔湾区"); ("全国",) for the State Council
    places: tuple[str, ...] = ()
    delivered: str = ""  # the date it was delivered (2025-04-17), when its title block says

    def section(self, section_id: str) -> Section:
        """The section with this id."""
        return next(s for s in self.sections if s.id == section_id)

    @property
    def years(self) -> frozenset[int]:
        """The years the report speaks of (results and plans)."""
        return frozenset(y for y in (self.review_year, self.plan_year) if y)

    @property
    def place(self) -> str:
        """Its own place (the narrowest): 荔湾区, 广东省, 全国."""
        return self.places[-1] if self.places else ""


def load_report(path: Path | None = None) -> Report:
    """Read and parse one report file (default: :func:`liwan_file`); its id is the file stem."""
    path = liwan_file() if path is None else path
    raw = path.read_bytes()
    return parse(raw.decode("utf-8"), hashlib.sha256(raw).hexdigest(), report_id=path.stem)


class CorpusError(ValueError):
    """The report files named cannot be used (missing, not UTF-8, two with one id)."""


def corpus_files(paths: list[str] | list[Path] | tuple[Path, ...]) -> tuple[Path, ...]:
    """The report files named by ``paths``: a file as is, a folder as its ``*.txt`` files (sorted, not recursive).

    Raises ``CorpusError`` for a path that does not exist, a folder with no ``.txt`` file, or two files with
    one stem (a report's id).
    """
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(p.glob("*.txt"))
            if not found:
                raise CorpusError(f"{p} holds no .txt report file")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise CorpusError(f"{p}: no such report file or folder")
    seen: dict[str, Path] = {}
    for f in files:
        if f.stem in seen and seen[f.stem].resolve() != f.resolve():
            raise CorpusError(f"two reports with the id {f.stem!r}: {seen[f.stem]} and {f}")
        seen.setdefault(f.stem, f)
    return tuple(seen.values())


def liwan_file(given: Settings | None = None) -> Path:
    """The Liwan report: ``<home>/corpus/liwan-2025-government-work-report.txt``, else the copy in the package."""
    own = (given or settings()).home / "corpus" / LIWAN_FILE
    return own if own.is_file() else PACKAGED_CORPUS


def default_corpus(given: Settings | None = None) -> tuple[Path, ...]:
    """The report files to use: ``$QA_CORPUS`` (paths separated by the OS path separator), else the Liwan report."""
    s = given or settings()
    return corpus_files(list(s.corpus)) if s.corpus else (liwan_file(s),)


def load_reports(paths: tuple[Path, ...]) -> tuple[Report, ...]:
    """Read and parse every report file (``CorpusError`` for one that is not UTF-8 text)."""
    out = []
    for p in paths:
        try:
            out.append(load_report(p))
        except UnicodeDecodeError as e:
            raise CorpusError(f"{p} is not UTF-8 text ({e.reason} at byte {e.start})") from None
        except OSError as e:
            raise CorpusError(f"cannot read {p}: {e.strerror}") from None
    return tuple(out)


def year_of(text: str) -> int | None:
    """The first year written in ``text`` (2025年 or 二〇二五年), or None."""
    m = re.search(YEAR, text)
    if not m:
        return None
    y = m.group(1)
    return int(y) if y.isdigit() else int("".join(str(_CN_DIGIT[c]) for c in y))


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each non-blank line, without its indentation, trailing space or newline."""
    spans, pos = [], 0
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        pos = end + 1
    return spans


def _key(line: str) -> str:
    """The line as matched: NFKC (full-width punctuation to half-width), without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))


class _Builder:
    """Accumulates sections and paragraphs while the parser walks the lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sections: list[Section] = []
        self.paragraphs: list[Paragraph] = []
        self._open: tuple[tuple[str, ...], Part, int | None, int, int] | None = None  # path, part, year, start, end

    def open_section(self, path: tuple[str, ...], part: Part, year: int | None, start: int) -> None:
        """Close the current section and start a new one at ``start``."""
        self.close_section()
        self._open = (path, part, year, start, start)

    def close_section(self) -> None:
        """Record the open section (if it holds anything)."""
        if self._open is None:
            return
        path, part, year, start, end = self._open
        if end > start:
            self.sections.append(Section(f"s{len(self.sections) + 1:02d}", path, part, start, end, year))
        self._open = None

    def retitle(self, path: tuple[str, ...], part: Part, year: int | None) -> None:
        """Give the open section another path, role and year (an annex heading whose title is on its next line)."""
        assert self._open is not None
        _, _, _, start, end = self._open
        self._open = (path, part, year, start, end)

    def extend(self, end: int) -> None:
        """Grow the open section to ``end``."""
        assert self._open is not None
        path, part, year, start, _ = self._open
        self._open = (path, part, year, start, end)

    def add_paragraph(self, start: int, end: int, lead: str = "") -> None:
        """Add a paragraph to the open section."""
        assert self._open is not None
        path, part, year, _, _ = self._open
        self.extend(end)
        sid = f"s{len(self.sections) + 1:02d}"
        ppath = (*path, lead.rstrip("。")) if lead else path
        pid = f"{sid}p{sum(p.section_id == sid for p in self.paragraphs) + 1:02d}"
        self.paragraphs.append(Paragraph(pid, sid, ppath, part, lead, start, end, self.text[start:end], year))

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


def _is_part_heading(key: str) -> bool:
    """Whether a (matched) line is a top-level part heading: 一、2024年工作回顾, or an unnumbered 2024年工作回顾."""
    if len(key) > HEADING_MAX or any(c in key.rstrip("。") for c in _HEADING_STOPS):
        return False
    return bool(_NUMBERED.match(key) or _UNNUMBERED_PART.match(key))


def _names_glossary(key: str) -> bool:
    """Whether an annex heading names the glossary (名词解释, 名词注释 ...)."""
    return any(t in key for t in GLOSSARY_TITLES)


def _is_bare_heading(key: str, following: list[str]) -> bool:
    """An unnumbered short line without punctuation, a (一) subsection within the next two lines: 加强政府自身建设."""
    bare = len(key) <= BARE_HEADING_MAX and not re.search(r"[,.;:!?、。，；：]", key)
    return bare and any(k.startswith("(一)") for k in following)


def _role(heading: str, current: Part, review_year: int | None, delivered: int | None, lead: str) -> Part:
    """The role a part heading announces; a heading that names neither continues a plan.

    A heading that only names a year after the review's (二、关于2025年工作) is the plan, and so is one
    that follows the review without naming its role (二、抓紧有利时机，加快经济发展 after
    一、1991年国内工作的回顾): a work report reviews the past year, then sets out this one's work. A
    thematic heading (一、牢记殷殷嘱托，在接续奋斗中…) takes its role from the lines it leads into
    (``lead``): 「2024年是…」 the year before delivery opens a review, 「2025年是…」 the delivery year a plan.
    """
    if any(w in heading for w in REVIEW_WORDS):
        return "review"
    if any(w in heading for w in PLAN_WORDS):
        return "plan"
    year = year_of(heading)
    if current in ("plan", "review") or (review_year and year and year > review_year):
        return "plan"
    if delivered and (m := re.search(YEAR + "是", lead)):
        opens = year_of(m.group(0))
        return "plan" if opens == delivered else "review" if opens == delivered - 1 else "other"
    return "other"


@dataclass
class _State:
    """Where the walk is: the open part's heading, role and year."""

    heading: str = ""
    part: Part = "other"
    year: int | None = None
    in_subsection: bool = False
    seen_part: bool = False
    pending_annex_title: bool = False


class _Parser:
    """Walks the lines of one report (the title block first) and builds its sections."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.b = _Builder(text)
        self.st = _State()
        self.delivered: int | None = None
        self.date = ""  # the delivery date, ISO (2025-01-15), when the title block gives one in digits
        self.years: dict[Part, int] = {}
        self._next: list[str] = []  # the next three lines' keys (what a part heading leads into)
        self.seen_plan = False

    def run(self) -> None:
        """Parse the whole text."""
        spans = _lines(self.text)
        body = self._title_block(spans)
        notice = self._notice_start(body)
        keys = [_key(self.text[s:e]) for s, e in body[:notice]]
        for i, (s, e) in enumerate(body[:notice]):
            self._next = keys[i + 1 : i + 4]
            self._line(s, e, keys[i])
        if notice < len(body):  # kept as a section, so its offsets are known, but no paragraph: never quoted
            self.b.open_section((NOTICE_LABEL,), "other", None, body[notice][0])
            self.b.extend(body[-1][1])
        self.b.close_section()

    def _title_block(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Record the title block (title, date and session, speaker: lines before the salutation); the rest."""
        first = spans[:TITLE_BLOCK_MAX]
        n = next((i for i, (s, e) in enumerate(first) if _key(self.text[s:e]).startswith(SALUTATION)), 0)
        if n:
            self.b.open_section(("标题",), "other", None, spans[0][0])
            self.b.add_paragraph(spans[0][0], spans[n - 1][1])
            block = self.text[spans[0][0] : spans[n - 1][1]]
            if m := _DATE.search(_key(block)):
                self.delivered = year_of(m.group(0))
                if m.group(2).isdigit() and m.group(3).isdigit():
                    self.date = f"{self.delivered}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        return spans[n:]

    def _notice_start(self, spans: list[tuple[int, int]]) -> int:
        """Index of the first line of a trailing notice that is not the report's (len(spans) if none)."""
        for i, (s, e) in enumerate(spans):
            if self.text[s:e].startswith(NOTICE_OPENERS):
                return i
        return len(spans)

    def _line(self, s: int, e: int, key: str) -> None:
        """Place one line."""
        st, b, line = self.st, self.b, self.text[s:e]
        if st.pending_annex_title:
            st.pending_annex_title = False
            if len(key) <= HEADING_MAX and not any(c in key for c in _HEADING_STOPS):
                self._title_annex(s, e, key)
                return
        if self._is_annex_heading(key):
            self._open_annex(s, e, line, key)
            return
        if key in GLOSSARY_TITLES or (st.part == "annex" and _names_glossary(key) and len(key) <= HEADING_MAX):
            self._open_glossary(s, e, line if st.part != "annex" else f"{st.heading} {line}")
            return
        if st.part in ("glossary", "annex"):
            self._annex_line(s, e, key)
            return
        if _is_part_heading(key) or (st.seen_part and _is_bare_heading(key, self._next)):
            self._open_part(s, e, line, key)
            return
        if not st.seen_part:
            if b.path != ("开头",):
                b.open_section(("开头",), "other", None, s)
            b.add_paragraph(s, e)
            return
        if SUBSECTION_HEADING.match(key):
            title = re.split(r"[,，。]", line, maxsplit=1)[0]  # (四)统筹推进教育科技人才一体改革
            b.open_section((st.heading, title), st.part, st.year, s)
            st.in_subsection = True
            b.add_paragraph(s, e)
            return
        closing = st.in_subsection and key.startswith(CLOSES_SUBSECTION)
        if closing:
            st.in_subsection = False
        if not st.in_subsection:
            self._unheaded(s, e, key, closing)
            return
        b.add_paragraph(s, e, lead_phrase(line))

    @staticmethod
    def _is_annex_heading(key: str) -> bool:
        """附件1, 附件2 名词解释, 附件: or 附件 alone on a short line."""
        m = _ANNEX.match(key)
        if not m or len(key) > HEADING_MAX or any(c in key for c in _HEADING_STOPS):
            return False
        return bool(m.group(1)) or key.startswith("附件:") or key == "附件"

    def _unheaded(self, s: int, e: int, key: str, closing: bool) -> None:
        """A paragraph outside any subsection: a labelled stretch of its part, or the closing words."""
        st, b = self.st, self.b
        if st.part == "plan" and key.startswith(SALUTATION):
            st.part, st.heading, st.year = "other", "结尾", None
            b.open_section(("结尾",), "other", None, s)
        elif st.heading != "结尾":
            label = _label(key, "总结" if closing or b.path[-1:] == ("总结",) else "总述")
            if b.path != (st.heading, label):
                b.open_section((st.heading, label), st.part, st.year, s)
        b.add_paragraph(s, e)

    def _open_part(self, s: int, e: int, line: str, key: str) -> None:
        """A top-level part heading: 一、2024年工作回顾, 二、对今年政府工作的建议, 三、2025年政府工作任务 ..."""
        st = self.st
        # a part after the closing words of a plan (各位代表 mid-report, in older reports) goes on with the plan
        current: Part = "plan" if st.heading == "结尾" and self.seen_plan else st.part
        part = _role(key, current, self.years.get("review"), self.delivered, "".join(self._next))
        self.seen_plan = self.seen_plan or part == "plan"
        year = year_of(key)
        if part == "plan" and year is None:
            year = self.years.get("plan") or self.delivered
        elif part == "review" and year is None:
            year = self.years.get("review") or (self.delivered - 1 if self.delivered else None)
        if part in ("review", "plan") and year is not None:
            self.years.setdefault(part, year)
        st.heading, st.part, st.year, st.seen_part, st.in_subsection = line, part, year, True, False
        self.b.open_section((line, "总述"), part, year, s)
        self.b.extend(e)

    def _open_annex(self, s: int, e: int, line: str, key: str) -> None:
        """附件1 / 附件2 名词解释 / 附件: — a numbered annex (its title may be on the next line)."""
        st = self.st
        # an annex's year is the one its title names (附件1 2025年省十件民生实事: a list for 2025)
        st.heading, st.part, st.year, st.seen_part, st.in_subsection = line, "annex", year_of(key), True, False
        if _names_glossary(key):
            self._open_glossary(s, e, line)
            return
        self.b.open_section((line,), "annex", st.year, s)
        self.b.extend(e)
        st.pending_annex_title = not _ANNEX.match(key).group(2)  # type: ignore[union-attr]

    def _title_annex(self, s: int, e: int, key: str) -> None:
        """The line after a bare 附件1 is its title (名词解释 makes it the glossary)."""
        st, line = self.st, self.text[s:e]
        heading = f"{st.heading}{line}" if st.heading.endswith((":", "：")) else f"{st.heading} {line}"
        st.heading = heading
        st.part = "glossary" if _names_glossary(key) else "annex"
        st.year = year_of(key) if st.part == "annex" else None
        self.b.retitle((heading,), st.part, st.year)
        self.b.extend(e)

    def _open_glossary(self, s: int, e: int, heading: str) -> None:
        """The glossary (名词解释): one section per term."""
        st = self.st
        st.heading, st.part, st.year, st.seen_part, st.in_subsection = heading, "glossary", None, True, False
        self.b.open_section((heading,), "glossary", None, s)
        self.b.extend(e)

    def _annex_line(self, s: int, e: int, key: str) -> None:
        """A line inside an annex or the glossary: a term, a numbered item, or more of the last one."""
        st, b, line = self.st, self.b, self.text[s:e]
        if st.part == "glossary" and (m := _GLOSSARY_ITEM.match(key)):
            term = re.split(r"[:：]", line.split(".", 1)[-1].split("．", 1)[-1], maxsplit=1)[0].strip()
            b.open_section((st.heading, f"{m.group(1)}. {term}"), "glossary", None, s)
        elif st.part == "annex" and _ANNEX_ITEM.match(key):
            b.open_section((st.heading, re.split(r"[。:：;；]", line, maxsplit=1)[0][:30]), "annex", st.year, s)
        b.add_paragraph(s, e)


def _places(title_block: str, opening: str) -> tuple[str, ...]:
    """Where the report is from, widest first, from its date line (在广州市荔湾区第十七届…) or opening."""
    key = _key(title_block)
    if "全国人民代表大会" in key or "代表国务院" in _key(opening):
        return ("全国",)
    m = _PLACE.search(key)
    return tuple(_ADMIN.findall(m.group(1))) if m else ()


_Dated = TypeVar("_Dated", Section, Paragraph)


def _dated(items: tuple[_Dated, ...], review: int | None, plan: int | None) -> tuple[_Dated, ...]:
    """Review and plan parts whose heading named no year get the report's review or plan year."""
    year = {"review": review, "plan": plan}
    return tuple(replace(x, year=year[x.part]) if x.year is None and x.part in year else x for x in items)


def parse(text: str, sha256: str = "", report_id: str = "report") -> Report:
    """Parse a report's structure; every offset indexes ``text``.

    The plan year is read from the plan's heading, else the delivery date, else the review year + 1;
    only a report that dates itself nowhere falls back to a year in its id (the file stem).
    """
    p = _Parser(text)
    p.run()
    sections, paragraphs = tuple(p.b.sections), tuple(p.b.paragraphs)
    review = p.years.get("review")
    stem_year = re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", report_id)
    plan = p.years.get("plan") or p.delivered or (review + 1 if review else None)
    plan = plan or (int(stem_year.group(0)) if stem_year else None)
    if review is None and any(s.part == "review" for s in sections) and plan:
        review = plan - 1
    sections, paragraphs = _dated(sections, review, plan), _dated(paragraphs, review, plan)
    title_block = next((x.text for x in paragraphs if x.path == ("标题",)), "")
    opening = "".join(x.text for x in paragraphs if x.path[:1] == ("开头",))
    places = _places(title_block, opening)
    who = "国务院" if places == ("全国",) else "".join(places)
    year = p.delivered or plan
    title = f"{str(year) + '年' if year else ''}{who}政府工作报告"
    return Report(text, sha256, sections, paragraphs, report_id, title, review, plan, places, p.date)
