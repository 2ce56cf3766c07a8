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
from qa.types import BREADCRUMB_SEP, PART_LABELS, Answer, Citation, Paragraph

REPORT_TITLE = "广州市荔湾区2025年政府工作报告"
_MD_SPECIAL = re.compile(r"""([\\`*_{}\[\]()<>#+\-.!|~:@$&%"'=^/;?,])""")
_QUOTE_MARKS = re.compile(r"[“”\"'‘’「」]")
_GLOSSARY_NUMBER = re.compile(r"^\d+\.\s*")

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


def part_label(part: str) -> str:
    """The human label of a part code."""
    return PART_LABELS.get(part, part)


def citation_text(c: Citation) -> str:
    """One citation as plain text, ready to paste elsewhere."""
    return f"「{c.quote}」——《{REPORT_TITLE}》{c.section}({part_label(c.part)},字符 {c.start}–{c.end})"


def chat_markdown(a: Answer, taken_as: str | None = None) -> str:
    """The assistant bubble: the question it was taken to be, the quotes, then the numbered citations."""
    lab = labels(a.lang)
    lines: list[str] = []
    if taken_as:
        lines += [f"*{md_inert(lab['taken'])} {md_inert('「' + taken_as + '」')}*", ""]
    if not a.message:
        lines += [f"**{md_inert(lab[a.status])}**", ""]
    if a.message or a.status == "declined":
        body = a.answer.split("\n")
        lines.append(f"**{md_inert(body[0])}**")
        lines += [
            f"- {md_inert(line.removeprefix('- '))}" if line.startswith("- ") else md_inert(line) for line in body[1:]
        ]
        return "\n".join(lines)
    for i, line in enumerate(a.answer.split("\n")):
        lines.append(f"**{md_inert(line)}**" if i == 0 and a.status == "partial" else md_inert(line))
    lines += ["", f"**{md_inert(lab['sources'])}**"]
    for c in a.citations:
        lines.append(f"{md_inert(f'[{c.n}]')} {md_inert(c.section)} · {md_inert(part_label(c.part))}")
    return "\n".join(lines)


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


def _part_badge(part: str) -> str:
    """A small label naming the part of the report."""
    return f'<span class="qa-part qa-part-{esc(part)}">{esc(part_label(part))}</span>'


def citation_html(report: Report, c: Citation, lang: str) -> str:
    """One cited passage: number, part, breadcrumb, the paragraph with the quote highlighted, the whole section."""
    p = paragraph_at(report, c.start)
    marks = [(c.start, c.end, c.n)]
    crumb = BREADCRUMB_SEP.join(p.path) if p else c.section
    para = marked_text(report, p.start, p.end, marks) if p else f'<mark class="qa-quote">{esc(c.quote)}</mark>'
    section = section_html(report, p.section_id, marks, lang) if p else ""
    return (
        f'<div class="qa-cite" id="qa-cite-{c.n}">'
        f'<div class="qa-cite-head"><span class="qa-n">[{c.n}]</span> {_part_badge(c.part)}</div>'
        f'<div class="qa-crumb">{esc(crumb)}</div>'
        f'<p class="qa-para">{para}</p>{section}</div>'
    )


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


def glossary_for(a: Answer, report: Report) -> list[GlossaryEntry]:
    """Annex items whose term occurs in the answer's quotes (not counting a quote of that item itself)."""
    cited = {pa.id for c in a.citations if (pa := paragraph_at(report, c.start)) is not None}
    text = _QUOTE_MARKS.sub("", " ".join(c.quote for c in a.citations))
    return [g for g in glossary_entries(report) if g.key in text and g.paragraph_id not in cited]


def glossary_html(entries: list[GlossaryEntry], lang: str) -> str:
    """The glossary box beside the answer."""
    if not entries:
        return ""
    items = "".join(f"<dt>{esc(g.term)}</dt><dd>{esc(g.explanation)}</dd>" for g in entries)
    return f'<div class="qa-glossary"><h4>{esc(labels(lang)["glossary"])}</h4><dl>{items}</dl></div>'


def nearest_html(report: Report, a: Answer, limit: int = 3) -> str:
    """The "report does not say" state: the message and the nearest sections, each readable in full."""
    lab = labels(a.lang)
    seen: list[str] = []
    items = []
    for h in a.hits:
        if h.chunk.section_id in seen:
            continue
        seen.append(h.chunk.section_id)
        marks = [(h.chunk.start, h.chunk.end, 0)]
        items.append(
            f'<li><div class="qa-crumb">{esc(h.chunk.breadcrumb)}</div> {_part_badge(h.chunk.part)}'
            f"{section_html(report, h.chunk.section_id, marks, a.lang)}</li>"
        )
        if len(items) == limit:
            break
    first = a.answer.split("\n")[0]
    near = f"<p>{esc(lab['nearest'])}:</p><ul>{''.join(items)}</ul>" if items else ""
    return f'<div class="qa-abstain"><p class="qa-abstain-title"><strong>{esc(first)}</strong></p>{near}</div>'


def sources_html(report: Report, a: Answer | None, taken_as: str | None = None) -> str:
    """The whole sources panel for one answer (or its empty state when ``a`` is None)."""
    if a is None:
        return f'<div class="qa-sources qa-empty"><p>{esc(labels("zh")["empty"])}</p></div>'
    lab = labels(a.lang)
    head = f'<p class="qa-taken">{esc(lab["taken"])} 「{esc(taken_as)}」</p>' if taken_as else ""
    if a.message:
        body = f'<div class="qa-abstain"><p><strong>{esc(a.message)}</strong></p><p>{esc(lab["refused"])}</p></div>'
    elif a.status == "partial":
        cites = "".join(citation_html(report, c, a.lang) for c in a.citations)
        first = a.answer.split("\n")[0]
        body = (
            f'<div class="qa-partial"><p class="qa-partial-title"><strong>{esc(lab["partial"])}</strong></p>'
            f"<p>{esc(first)}</p></div><h4>{esc(lab['sources'])}</h4>{cites}"
        )
    elif a.abstained:
        body = nearest_html(report, a)
    else:
        cites = "".join(citation_html(report, c, a.lang) for c in a.citations)
        body = f"<h4>{esc(lab['sources'])}</h4>{cites}{glossary_html(glossary_for(a, report), a.lang)}"
    return f'<div class="qa-sources" lang="{"en" if a.lang == "en" else "zh"}">{head}{body}</div>'
