"""One chat turn, and the conversation exported as Markdown with its citations."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qa.types import Answer
from qa.ui.render import REPORT_TITLE, labels, md_inert, part_label


@dataclass(frozen=True)
class Turn:
    """One question and its answer, as the chat keeps them."""

    typed: str  # what the person typed (cleaned)
    answer: Answer  # answer.question is the question actually asked
    rewritten: bool = False  # True when a follow-up was rewritten into answer.question


def export_markdown(turns: list[Turn], now: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer and its numbered citations.

    All text is escaped with :func:`md_inert`, so the file renders literally in any Markdown viewer.
    """
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    out = [f"# {md_inert(REPORT_TITLE)} 问答记录", "", f"导出时间:{md_inert(stamp)}", ""]
    if not turns:
        out.append("(还没有问答。)")
    for i, t in enumerate(turns, start=1):
        a = t.answer
        lab = labels(a.lang)
        out += [f"## {i}. {md_inert(t.typed or '(空)')}", ""]
        if t.rewritten:
            out += [f"*{md_inert(lab['taken'])} {md_inert('「' + a.question + '」')}*", ""]
        out += [f"{md_inert(line)}  " for line in a.answer.split("\n")]
        if a.citations:
            out += ["", f"**{md_inert(lab['sources'])}**", ""]
            for c in a.citations:
                where = f"{c.section}({part_label(c.part)},{lab['chars']} {c.start}–{c.end})"
                out.append(f"{c.n}. {md_inert(where)}:{md_inert('「' + c.quote + '」')}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_export(turns: list[Turn], folder: Path | None = None) -> Path:
    """Write the Markdown export to a fresh file (in the temp folder unless ``folder`` is given)."""
    base = Path(tempfile.mkdtemp(prefix="liwan-qa-", dir=folder))
    path = base / f"liwan-qa-{datetime.now().strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(export_markdown(turns), encoding="utf-8")
    return path
