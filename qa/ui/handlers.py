"""The chat page's event handlers, free of layout so they can be tested without a browser.

State kept per browser tab: the list of :class:`Turn` (one per question) and the index of
the turn whose sources are shown. The chat history holds exactly two messages per turn
(question, answer), so message ``i`` belongs to turn ``i // 2``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol

from qa.answer.followup import rewrite
from qa.report.corpus import Report
from qa.text.normalize import clean_input, is_english
from qa.types import Answer, Citation
from qa.ui.export import Turn, write_export
from qa.ui.feedback import FeedbackNotSaved, record_feedback
from qa.ui.render import Reports, chat_markdown, citation_text, md_inert, report_of, sources_html, user_markdown

MAX_FOLLOWUP_CHARS = 300  # longer input is never read as a follow-up (the engine refuses it anyway)
MAX_TYPED_CHARS = 2000  # the chat box's own cap; a longer message sent from outside the page is cut here

NOTICES = {
    ("zh", "empty"): "请输入一个问题。",
    ("en", "empty"): "Please type a question.",
    ("zh", "no_turn"): "请先提一个问题。",
    ("en", "no_turn"): "Ask a question first.",
    ("zh", "thanks"): "已记录您的反馈,谢谢!",
    ("en", "thanks"): "Thank you, your feedback was recorded.",
    ("zh", "not_saved"): "无法保存反馈:{where} 不可写。",
    ("en", "not_saved"): "Cannot save feedback: {where} is not writable.",
    ("zh", "kept"): "您的意见仍在框中。",
    ("en", "kept"): "Your comment is still in the box.",
}

Message = dict[str, Any]
PanelUpdate = tuple[str, dict[str, Any], str]  # sources HTML, citation picker update, citation text


class Asker(Protocol):
    """Anything with the engine's ``ask`` (the real :class:`qa.answer.engine.QA` or a test fake)."""

    def ask(self, question: str, report: str | None = None) -> Answer:
        """Answer one question (only from ``report`` when given)."""
        ...


def _lang(text: str) -> str:
    """Language of the page's fixed strings for this text."""
    return "en" if is_english(text) else "zh"


def previous_question(turns: list[Turn]) -> str | None:
    """The standalone question of the last turn that was actually searched."""
    for t in reversed(turns):
        if not t.answer.message:
            return t.answer.question
    return None


def turn_of_message(index: int | tuple[int, ...] | list[int]) -> int:
    """The turn a chat message index belongs to."""
    i = index if isinstance(index, int) else int(index[0])
    return i // 2


class ChatHandlers:
    """Event handlers bound to one engine and the reports it answers from."""

    def __init__(self, qa: Asker, reports: tuple[Report, ...], export_dir: Path | None = None) -> None:
        self.qa = qa
        self.reports: Reports = {r.id: r for r in reports}
        self.titles = {r.id: r.title for r in reports}
        self.title = reports[0].title if len(reports) == 1 else f"{len(reports)}份政府工作报告"
        self.export_dir = export_dir

    def panel(self, turns: list[Turn], index: int) -> PanelUpdate:
        """Sources panel, citation picker and first citation text for turn ``index`` (empty state if none)."""
        if not 0 <= index < len(turns):
            return sources_html(self.reports, None), {"__type__": "update", "choices": [], "value": None}, ""
        t = turns[index]
        a = t.answer
        html = sources_html(self.reports, a, a.question if t.rewritten else None)
        choices = [(f"[{c.n}] {c.section}", c.n) for c in a.citations]
        first = a.citations[0].n if a.citations else None
        text = self.citation_text(a.citations[0]) if a.citations else ""
        return html, {"__type__": "update", "choices": choices, "value": first}, text

    def citation_text(self, c: Citation) -> str:
        """A citation as plain text, naming its report."""
        return citation_text(c, report_of(self.reports, c.report).title)

    def respond(
        self, message: str | None, history: list[Message], turns: list[Turn], report: str | None = None
    ) -> tuple[list[Message], list[Turn], int, str, str, dict[str, Any], str, str]:
        """Ask a question (of one report, when ``report`` names one; "" or None: all of them).

        Returns (history, turns, current turn, box text, sources, picker, citation text, notice).
        """
        typed = clean_input((message or "")[: MAX_TYPED_CHARS * 2])[:MAX_TYPED_CHARS]
        if not typed:
            current = len(turns) - 1
            return (history, turns, current, "", *self.panel(turns, current), NOTICES[(_lang(""), "empty")])
        if len(typed) <= MAX_FOLLOWUP_CHARS:
            rw = rewrite(typed, previous_question(turns))
            question, rewritten = rw.question, rw.rewritten
        else:
            question, rewritten = typed, False
        answer = self.qa.ask(question, report=report if report in self.reports else None)
        turn = Turn(typed, answer, rewritten)
        turns = [*turns, turn]
        history = [
            *history,
            {"role": "user", "content": user_markdown(typed)},
            {
                "role": "assistant",
                "content": chat_markdown(answer, answer.question if rewritten else None, self.titles),
            },
        ]
        current = len(turns) - 1
        box = message or "" if answer.message else ""  # a refused question (too long) stays, to be shortened
        return (history, turns, current, box, *self.panel(turns, current), answer.message)

    def select(
        self, turns: list[Turn], index: int | tuple[int, ...] | list[int]
    ) -> tuple[int, str, dict[str, Any], str]:
        """Show the sources of the turn a clicked message belongs to."""
        current = turn_of_message(index)
        if not 0 <= current < len(turns):
            current = len(turns) - 1
        return (current, *self.panel(turns, current))

    def copy_citation(self, turns: list[Turn], current: int, n: int | str | None) -> str:
        """The plain-text form of citation ``n`` of the shown turn ('' if there is none)."""
        if not 0 <= current < len(turns) or n is None:
            return ""
        for c in turns[current].answer.citations:
            if str(c.n) == str(n):
                return self.citation_text(c)
        return ""

    def feedback(self, turns: list[Turn], current: int, helpful: bool, comment: str | None) -> tuple[str, str]:
        """Record a judgement of the shown turn: (status message, cleared comment box)."""
        if not 0 <= current < len(turns):
            return NOTICES[("zh", "no_turn")], comment or ""
        t = turns[current]
        lang = "en" if t.answer.lang == "en" else "zh"
        try:
            record_feedback(t.answer, helpful, comment or "", typed=t.typed)
        except FeedbackNotSaved as e:  # said where it failed, in the page and the server's log; the comment stays
            print(f"qa: {e}", file=sys.stderr, flush=True)
            said = NOTICES[(lang, "not_saved")].format(where=md_inert(str(e.where)))
            return (f"{said}{NOTICES[(lang, 'kept')]}" if (comment or "").strip() else said), comment or ""
        return NOTICES[(lang, "thanks")], ""

    def like(self, turns: list[Turn], index: int | tuple[int, ...] | list[int], liked: bool | str) -> str:
        """Record the chat's thumbs up/down on an answer bubble."""
        status, _ = self.feedback(turns, turn_of_message(index), liked is True, "")
        return status

    def export(self, turns: list[Turn]) -> Path:
        """Write the conversation as Markdown; return the file."""
        return write_export(turns, self.title, self.export_dir)

    def clear(self) -> tuple[list[Message], list[Turn], int, str, str, dict[str, Any], str, str]:
        """A fresh conversation."""
        return ([], [], -1, "", *self.panel([], -1), "")
