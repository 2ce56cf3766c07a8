"""One chat turn, and the conversation exported as Markdown with its citations."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qa.types import Answer, part_label
from qa.ui.render import labels

# What can turn plain text into Markdown syntax, and nothing else (so 1.62万人 and 5% stay as written):
_MD_INLINE = re.compile(
    r"[\\`*_<$]"  # escapes, code, emphasis, raw HTML and autolinks, math in viewers that have it
    r"|&(?=#?\w+;)"  # an entity
    r"|~(?=~)|(?<=~)~"  # strikethrough
    r"|\](?=[(\[:])"  # the end of a link, image, or reference: [x](y) ![x](y) [x][y] [x]: y
    r"|:(?=//)|(?<=www)\.|(?<=\w)@(?=\w)",  # bare links and e-mail addresses that viewers link on their own
    re.IGNORECASE,
)
_MD_LINE_START = re.compile(r"^(\d+)([.)])|^([#>+\-=])")  # a heading, quote, list item or underline


@dataclass(frozen=True)
class Turn:
    """One question and its answer, as the chat keeps them."""

    typed: str  # what the person typed (cleaned)
    answer: Answer  # answer.question is the question actually asked
    rewritten: bool = False  # True when a follow-up was rewritten into answer.question


def md_text(text: str) -> str:
    """Text as Markdown that renders as the same text: only what Markdown would read as syntax is escaped."""
    flat = _MD_INLINE.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(3), flat)


def export_markdown(turns: list[Turn], title: str, now: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer and its numbered citations.

    All text goes through :func:`md_text`, so the file renders as the text itself and reads cleanly as plain text.
    """
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    out = [f"# {md_text(title)} 问答记录", "", f"导出时间:{md_text(stamp)}", ""]
    if not turns:
        out.append("(还没有问答。)")
    for i, t in enumerate(turns, start=1):
        a = t.answer
        lab = labels(a.lang)
        out += [f"## {i}. {md_text(t.typed or '(空)')}", ""]
        if t.rewritten:
            out += [f"*{md_text(lab['taken'])} {md_text('「' + a.question + '」')}*", ""]
        out += [f"{md_text(line)}  " for line in a.answer.split("\n")]
        if a.citations:
            out += ["", f"**{md_text(lab['sources'])}**", ""]
            for c in a.citations:
                where = f"{c.section}({part_label(c.part, c.year)},{lab['chars']} {c.start}–{c.end})"
                out.append(f"{c.n}. {md_text(where)}:{md_text('「' + c.quote + '」')}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_export(turns: list[Turn], title: str, folder: Path | None = None) -> Path:
    """Write the Markdown export to a fresh file (in the temp folder unless ``folder`` is given)."""
    base = Path(tempfile.mkdtemp(prefix="liwan-qa-", dir=folder))
    path = base / f"liwan-qa-{datetime.now().strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(export_markdown(turns, title), encoding="utf-8")
    return path
