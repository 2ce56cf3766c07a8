"""Per-answer feedback, appended as JSON lines to a local file.

One line per judgement: time (UTC), helpful or not, an optional comment, and the
question, answer and citations it is about. Nothing about the person: no IP address,
no browser, no session id; phone numbers, e-mail addresses and ID-card numbers typed
into the question or comment are masked before writing.

The file is ``data/feedback.jsonl`` under ``$QA_HOME`` (the repository by default) unless
``QA_FEEDBACK_FILE`` names another.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.settings import settings
from qa.text.normalize import clean_input
from qa.types import Answer

FEEDBACK_ENV = "QA_FEEDBACK_FILE"
MAX_COMMENT_CHARS = 2000  # the server cuts a comment here, whatever the browser sent
MAX_TURN_CHARS = 2000  # and the recorded question (the chat box stops at 2000 too)
_LOCK = threading.Lock()
# Each pattern runs in linear time: an e-mail address starts only where no address character is
# before it, so a long run of letters or digits is scanned once, not once from every position.
# Addresses are ASCII, so the Chinese words around one are kept (邮箱a@b.cn -> 邮箱[email]).
_PERSONAL = (
    (re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[email]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[phone]"),
    (re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"), "[phone]"),
)


def feedback_path() -> Path:
    """Where feedback goes: $QA_FEEDBACK_FILE, else data/feedback.jsonl in $QA_HOME (read at call time)."""
    return settings().feedback_path


def mask_personal(text: str) -> str:
    """Text with e-mail addresses, ID-card and phone numbers replaced by placeholders (linear in its length)."""
    for pattern, placeholder in _PERSONAL:
        text = pattern.sub(placeholder, text)
    return text


def _masked(text: str, limit: int) -> str:
    """Cleaned, cut to ``limit`` characters, then masked (the cut comes first, so the work is bounded)."""
    return mask_personal(clean_input(text[: limit * 2])[:limit])


def make_record(answer: Answer, helpful: bool, comment: str = "", typed: str | None = None) -> dict[str, Any]:
    """The JSON object written for one judgement of one answer."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "helpful": helpful,
        "comment": _masked(comment, MAX_COMMENT_CHARS),
        "typed": _masked(typed if typed is not None else answer.question, MAX_TURN_CHARS),
        "question": _masked(answer.question, MAX_TURN_CHARS),
        "answer": answer.answer,
        "abstained": answer.abstained,
        "citations": [
            {
                "n": c.n,
                "section": c.section,
                "part": c.part,
                "year": c.year,
                "report": c.report,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
            }
            for c in answer.citations
        ],
    }


class FeedbackNotSaved(Exception):
    """The feedback file cannot be written: ``where`` is the file or folder at fault, ``reason`` the system's word."""

    def __init__(self, where: Path, reason: str) -> None:
        super().__init__(f"cannot save feedback: {where} is not writable ({reason})")
        self.where, self.reason = where, reason


def _at_fault(target: Path) -> Path:
    """What stops ``target`` being written: the file when it exists, else the nearest folder (or file) that does."""
    return next(p for p in (target, *target.parents) if p.exists())


def record_feedback(
    answer: Answer, helpful: bool, comment: str = "", typed: str | None = None, path: Path | None = None
) -> dict[str, Any]:
    """Append one judgement to the feedback file (created with its folder if missing); return the record.

    Raises :class:`FeedbackNotSaved` when the file or its folder cannot be written.
    """
    record = make_record(answer, helpful, comment, typed)
    target = path or feedback_path()
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as f:
                f.write(line)
        except OSError as e:
            raise FeedbackNotSaved(_at_fault(target), e.strerror or type(e).__name__) from e
    return record
