"""Pure functions that turn an :class:`Answer` into what the chat page shows.

Two output languages, both inert by construction:

* **Markdown for the chat bubbles** — every piece of text (the report's and the user's)
  goes through :func:`md_inert`, which backslash-escapes all ASCII punctuation, so no
  tag, link, image, autolink, emphasis or LaTeX can form from it. The only Markdown
  syntax in a bubble is what this module adds around escaped text.
* **HTML for the sources panel** — every piece of text goes through :func:`esc`
  (``html.escape``); the only tags are the ones written here.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from qa.report.corpus import Report
from qa.types import BREADCRUMB_SEP, Answer, Citation, Hit, Paragraph, part_label

Reports = dict[str, Report]  # report id -> the report (every citation and passage names its own)
_MD_SPECIAL = re.compile(r"""([\\`*_{}\[\]()<>#+\-.!|~:@$&%"'=^/;?,])""")
_QUOTE_MARKS = re.compile(r"[“”\"'‘’「」]")
_GLOSSARY_NUMBER = re.compile(r"^\d+\.\s*")
_INERT_MARKER = re.compile(r"\\\[(\d+)\\\]")  # a citation marker [n] after md_inert: \[n\]
NEAREST_LIMIT = 3  # sections listed when the report cannot answer

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "taken": "我把这个问题理解为:",
        "sources": "出处",
        "section": "阅读整节",
        "glossary": "名词解释(摘自报告附件)",
        "abstain": "报告没有提到",
        "nearest": "最接近的章节",
        "chars": "字符",
        "empty": "提问后,这里会显示每条引文在报告中的原文位置。",
        "refused": "这个问题没有被检索。",
        "answered": "✅ 有答案",
        "partial": "◐ 部分回答:报告提到了,但没有给出所问的内容",
        "declined": "⛔ 报告无法回答",
    },
    "en": {
        "taken": "I read this question as:",
        "sources": "Sources",
        "section": "Read the whole section",
        "glossary": "Glossary (from the report's annex)",
        "abstain": "The report does not say",
        "nearest": "Nearest sections",
        "chars": "chars",
        "empty": "After you ask, each quoted passage is shown here in its place in the report.",
        "refused": "This question was not searched.",
        "answered": "✅ Answered",
        "partial": "◐ Partly answered: the report speaks of it, but not what was asked",
        "declined": "⛔ The report cannot answer this",
    },
}


def labels(lang: str) -> dict[str, str]:
    """The fixed strings for a language ("zh" unless "en")."""
    return LABELS["en" if lang == "en" else "zh"]


def md_inert(text: str) -> str:
    """Text as Markdown that renders literally: every ASCII punctuation mark backslash-escaped, newlines flattened."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def esc(text: str) -> str:
    """Text as inert HTML (``& < > " '`` escaped)."""
    return html.escape(text, quote=True)


def report_of(reports: Reports, report_id: str) -> Report:
    """The report with this id (the first one for an id it does not know, as a fake engine's citations have)."""
    return reports.get(report_id) or next(iter(reports.values()))


def citation_text(c: Citation, title: str) -> str:
    """One citation as plain text, ready to paste elsewhere (``title``: its report's)."""
    return f"「{c.quote}」——《{title}》{c.section}({part_label(c.part, c.year)},字符 {c.start}–{c.end})"


def chat_markdown(a: Answer, taken_as: str | None = None, titles: dict[str, str] | None = None) -> str:
    """The assistant bubble: the question it was taken to be, the quotes, then the numbered citations.

    ``titles`` (report id -> title): with more than one report, each citation names its report.
    """
    lab = labels(a.lang)
    lines: list[str] = []
    if taken_as:
        lines += [f"*{md_inert(lab['taken'])} {md_inert('「' + taken_as + '」')}*", ""]
    if not a.message:
        lines += [f"**{md_inert(lab[a.status])}**", ""]
    if a.message or a.status == "declined" or (a.abstained and a.status != "partial"):
        body = a.answer.split("\n")
        head = next((i for i, line in enumerate(body) if i and line.startswith(lab["nearest"])), None)
        if head is not None and not a.message:  # the nearest sections: the panel's list, not the engine's text
            near = nearest_sections(a)
            body = body[:head] + ([body[head], *(f"- {h.chunk.breadcrumb}" for h in near)] if near else [])
        lines.append(f"**{md_inert(body[0])}**")
        lines += [
            f"- {md_inert(line.removeprefix('- '))}" if line.startswith("- ") else md_inert(line) for line in body[1:]
        ]
        return "\n".join(lines)
    for i, line in enumerate(a.answer.split("\n")):
        line = linked_markers(md_inert(line))
        lines.append(f"**{line}**" if i == 0 and a.status == "partial" else line)
    lines += ["", f"**{md_inert(lab['sources'])}**"]
    many = titles is not None and len(titles) > 1
    for c in a.citations:
        where = f"《{titles[c.report]}》 " if many and titles and c.report in titles else ""
        label = md_inert(part_label(c.part, c.year))
        lines.append(f"{linked_markers(md_inert(f'[{c.n}]'))} {md_inert(where + c.section)} · {label}")
    return "\n".join(lines)


def linked_markers(inert: str) -> str:
    """Inert Markdown with each escaped citation marker [n] made a link to its source in the panel (#qa-cite-n)."""
    return _INERT_MARKER.sub(r"[\\[\1\\]](#qa-cite-\1)", inert)


def nearest_sections(a: Answer, limit: int = NEAREST_LIMIT) -> list[Hit]:
    """The sections nearest to a question the report cannot answer: the best hit of each section, best first.

    The one list both the chat bubble and the sources panel show.
    """
    out: list[Hit] = []
    for h in a.hits:
        if h.chunk.section_id not in {o.chunk.section_id for o in out}:
            out.append(h)
        if len(out) == limit:
            break
    return out


def user_markdown(question: str, limit: int = 400) -> str:
    """The user bubble: what they typed, inert, cut to ``limit`` characters."""
    text = " ".join(question.split())
    if len(text) > limit:
        text = text[:limit] + "…"
    return md_inert(text)


# --- the sources panel ---------------------------------------------------------------------


def paragraph_at(report: Report, offset: int) -> Paragraph | None:
    """The paragraph containing a character offset of the report."""
    for p in report.paragraphs:
        if p.start <= offset < p.end:
            return p
    return None


def marked_text(report: Report, start: int, end: int, marks: list[tuple[int, int, int]]) -> str:
    """HTML of ``report.text[start:end]`` with each (start, end, n) span inside it wrapped in ``<mark>``."""
    out, pos = [], start
    for s, e, n in sorted(m for m in marks if m[0] >= start and m[1] <= end):
        if s < pos:
            continue
        out.append(esc(report.text[pos:s]))
        out.append(f'<mark class="qa-quote" data-n="{n}">{esc(report.text[s:e])}</mark>')
        pos = e
    out.append(esc(report.text[pos:end]))
    return "".join(out)


def section_html(report: Report, section_id: str, marks: list[tuple[int, int, int]], lang: str) -> str:
    """A collapsed view of the whole section, its paragraphs in order, quoted spans marked."""
    sec = report.section(section_id)
    paras = [p for p in report.paragraphs if p.section_id == section_id]
    body = "".join(f"<p>{marked_text(report, p.start, p.end, marks)}</p>" for p in paras)
    if not paras:
        body = f"<p>{esc(report.text[sec.start : sec.end])}</p>"
    summary = f"{esc(labels(lang)['section'])}:{esc(sec.breadcrumb)}"
    return (
        f'<details class="qa-section"><summary>{summary}</summary><div class="qa-section-body">{body}</div></details>'
    )


def _part_badge(part: str, year: int | None) -> str:
    """A small label naming the part of the report."""
    return f'<span class="qa-part qa-part-{esc(part)}">{esc(part_label(part, year))}</span>'


def citation_html(report: Report, cs: list[Citation], lang: str, many: bool = False) -> str:
    """Cited passages that share one paragraph, shown together.

    Their numbers (each an anchor, ``#qa-cite-n``), part and breadcrumb, the paragraph printed once
    with every quote highlighted, and the whole section.
    """
    c = cs[0]
    p = paragraph_at(report, c.start)
    marks = [(x.start, x.end, x.n) for x in cs]
    crumb = BREADCRUMB_SEP.join(p.path) if p else c.section
    crumb = f"《{report.title}》{BREADCRUMB_SEP}{crumb}" if many else crumb
    if p:
        para = marked_text(report, p.start, p.end, marks)
    else:
        para = " ".join(f'<mark class="qa-quote" data-n="{x.n}">{esc(x.quote)}</mark>' for x in cs)
    section = section_html(report, p.section_id, marks, lang) if p else ""
    numbers = " ".join(f'<span class="qa-n" id="qa-cite-{x.n}">[{x.n}]</span>' for x in cs)
    return (
        f'<div class="qa-cite">'
        f'<div class="qa-cite-head">{numbers} {_part_badge(c.part, c.year)}</div>'
        f'<div class="qa-crumb">{esc(crumb)}</div>'
        f'<p class="qa-para">{para}</p>{section}</div>'
    )


def citations_html(reports: Reports, cs: tuple[Citation, ...], lang: str) -> str:
    """All cited passages, one block per paragraph (two quotes from one paragraph print it once), in citation order."""
    groups: dict[tuple[str, str], list[Citation]] = {}
    for c in cs:
        p = paragraph_at(report_of(reports, c.report), c.start)
        groups.setdefault((c.report, p.id if p else f"quote-{c.n}"), []).append(c)
    many = len(reports) > 1
    return "".join(citation_html(report_of(reports, g[0].report), g, lang, many) for g in groups.values())


@dataclass(frozen=True)
class GlossaryEntry:
    """One item of the report's 名词解释 annex."""

    term: str  # as the annex writes it, e.g. “1+N”人才政策体系
    key: str  # the term without quotation marks, matched against answer text stripped the same way
    explanation: str
    paragraph_id: str


@functools.cache
def glossary_entries(report: Report) -> tuple[GlossaryEntry, ...]:
    """The annex items, parsed from the report's glossary paragraphs."""
    out = []
    for p in report.paragraphs:
        if p.part != "glossary" or len(p.path) < 2:
            continue
        term = _GLOSSARY_NUMBER.sub("", p.path[-1]).strip()
        explanation = p.text.split(":", 1)[1].strip() if ":" in p.text else p.text
        key = _QUOTE_MARKS.sub("", term)
        if len(key) >= 2:
            out.append(GlossaryEntry(term, key, explanation, p.id))
    return tuple(out)


def glossary_for(a: Answer, reports: Reports) -> list[GlossaryEntry]:
    """Glossary items of the quoted reports whose term occurs in the quotes (not counting a quote of that item)."""
    out: list[GlossaryEntry] = []
    for rid in dict.fromkeys(c.report for c in a.citations):
        report = report_of(reports, rid)
        cs = [c for c in a.citations if c.report == rid]
        cited = {pa.id for c in cs if (pa := paragraph_at(report, c.start)) is not None}
        text = _QUOTE_MARKS.sub("", " ".join(c.quote for c in cs))
        out += [g for g in glossary_entries(report) if g.key in text and g.paragraph_id not in cited]
    return out


def glossary_html(entries: list[GlossaryEntry], lang: str) -> str:
    """The glossary box beside the answer."""
    if not entries:
        return ""
    items = "".join(f"<dt>{esc(g.term)}</dt><dd>{esc(g.explanation)}</dd>" for g in entries)
    return f'<div class="qa-glossary"><h4>{esc(labels(lang)["glossary"])}</h4><dl>{items}</dl></div>'


def _section_of_hit(reports: Reports, h: Hit, lang: str) -> str:
    """The whole section a passage is in, the passage marked."""
    return section_html(report_of(reports, h.chunk.report), h.chunk.section_id, [(h.chunk.start, h.chunk.end, 0)], lang)


def nearest_html(reports: Reports, a: Answer) -> str:
    """The "report does not say" state: the message and the nearest sections, each readable in full."""
    lab = labels(a.lang)
    items = [
        f'<li><div class="qa-crumb">{esc(h.chunk.breadcrumb)}</div> {_part_badge(h.chunk.part, h.chunk.year)}'
        f"{_section_of_hit(reports, h, a.lang)}</li>"
        for h in nearest_sections(a)
    ]
    first = a.answer.split("\n")[0]
    near = f"<p>{esc(lab['nearest'])}:</p><ul>{''.join(items)}</ul>" if items else ""
    return f'<div class="qa-abstain"><p class="qa-abstain-title"><strong>{esc(first)}</strong></p>{near}</div>'


def sources_html(reports: Reports, a: Answer | None, taken_as: str | None = None) -> str:
    """The whole sources panel for one answer (or its empty state when ``a`` is None)."""
    if a is None:
        return f'<div class="qa-sources qa-empty"><p>{esc(labels("zh")["empty"])}</p></div>'
    lab = labels(a.lang)
    head = f'<p class="qa-taken">{esc(lab["taken"])} 「{esc(taken_as)}」</p>' if taken_as else ""
    if a.message:
        body = f'<div class="qa-abstain"><p><strong>{esc(a.message)}</strong></p><p>{esc(lab["refused"])}</p></div>'
    elif a.status == "partial":
        cites = citations_html(reports, a.citations, a.lang)
        first = a.answer.split("\n")[0]
        body = (
            f'<div class="qa-partial"><p class="qa-partial-title"><strong>{esc(lab["partial"])}</strong></p>'
            f"<p>{esc(first)}</p></div><h4>{esc(lab['sources'])}</h4>{cites}"
        )
    elif a.abstained:
        body = nearest_html(reports, a)
    else:
        cites = citations_html(reports, a.citations, a.lang)
        body = f"<h4>{esc(lab['sources'])}</h4>{cites}{glossary_html(glossary_for(a, reports), a.lang)}"
    return f'<div class="qa-sources" lang="{"en" if a.lang == "en" else "zh"}">{head}{body}</div>'
