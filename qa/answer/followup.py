"""Follow-up questions read with the conversation before them.

Rule-based, with curated cue words in ``qa/data/followup.tsv``. Given the previous
(standalone) question, a short follow-up is rewritten into a standalone question:

* details of the last answer (具体有哪些? / tell me more) -> the previous question plus the follow-up;
* another year (那去年呢? / what about last year?) -> the previous question with its year swapped;
* another topic (那学校呢? / what about schools?) -> the topic, with the previous question's year and
  question ending (目标是多少 ...).

Anything else is asked as typed. The chat shows the rewritten question, so a wrong
reading is visible to the person asking.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from qa.datafiles import DATA_DIR
from qa.text.normalize import (
    EN_YEAR_WORDS,
    YEAR_WORDS,
    cantonese_map,
    clean_input,
    is_english,
    to_simplified,
    year_words,
)

CUES_FILE = DATA_DIR / "followup.tsv"
MAX_ZH_CHARS = 12  # a Chinese follow-up core longer than this is a question of its own
MAX_EN_WORDS = 6
_END = "?？。.!！~～ ,，、;；"
# the year words of qa/text in the other language: 今年, 本年 -> this year; this year -> 今年 (the first of its offset)
_ZH_TO_EN = {zh: en for zh, d in YEAR_WORDS.items() for en, e in EN_YEAR_WORDS.items() if d == e}
_EN_TO_ZH = {en: next(zh for zh, d in YEAR_WORDS.items() if d == e) for en, e in EN_YEAR_WORDS.items()}


@dataclass(frozen=True)
class Rewrite:
    """The question to ask and how it was read."""

    question: str  # standalone question to ask
    rewritten: bool  # True when it differs from what was typed
    kind: str  # "none", "more", "year" or "topic"


@functools.cache
def cues(path: Path = CUES_FILE) -> dict[str, tuple[str, ...]]:
    """Cue lists by kind from the data file, longest cue first."""
    out: dict[str, tuple[str, ...]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        kind, _, values = line.partition("\t")
        words = [v.strip() for v in values.split("|") if v.strip()]
        out[kind.strip()] = tuple(sorted(words, key=lambda w: -len(w)))
    return out


@functools.cache
def _year_re() -> re.Pattern[str]:
    """Any year expression: the year words (今年, 舊年, last year ...), 2024 / 2024年 / in 2024."""
    words = [re.escape(w) for w in sorted(year_words(), key=len, reverse=True)]
    return re.compile(r"(?:in\s+)?20\d\d年?|" + "|".join(words), re.IGNORECASE)


def _strip(text: str) -> str:
    """Text without surrounding spaces and trailing punctuation."""
    return text.strip().rstrip(_END).strip()


def _drop_cues(text: str, english: bool) -> tuple[str, bool]:
    """The follow-up's core without lead/tail cue words, and whether any cue was there."""
    core, had = _strip(text), False
    if english:
        low = core.lower()
        for cue in cues()["lead_en"]:
            if low == cue or low.startswith(cue + " "):
                return _strip(core[len(cue) :]), True
        return core, False
    for cue in cues()["lead_zh"]:
        if core.startswith(cue) and len(core) > len(cue):
            core, had = core[len(cue) :].lstrip(" ,，"), True
            break
    for cue in cues()["tail_zh"]:
        if core.endswith(cue) and len(core) > len(cue):
            core, had = _strip(core[: -len(cue)]), True
            break
    return core, had


def _mandarin(text: str) -> str:
    """Simplified characters with Cantonese words in Mandarin (舊年 -> 去年, 仲有咩 -> 还有什么), for reading cues."""
    for simplify in (False, True):  # keys are in either script: before and after conversion, as the engine does
        text = to_simplified(text) if simplify else text
        for canto, mandarin in cantonese_map():
            text = text.replace(canto, mandarin)
    return text


def _year_in(text: str) -> str:
    """The first year expression in ``text``, or ''."""
    m = _year_re().search(text)
    return m.group(0) if m else ""


def _year_as(year: str, english: bool) -> str:
    """A year expression in the other language's form when needed (今年 <-> this year, 2024年 <-> in 2024)."""
    digits = re.search(r"20\d\d", year)
    if english:
        if digits:
            return f"in {digits.group(0)}"
        return _ZH_TO_EN.get(year, year)
    if digits:
        return f"{digits.group(0)}年"
    return _EN_TO_ZH.get(year.lower(), year)


def _is_more(stripped: str, core: str, english: bool) -> bool:
    """Whether the follow-up asks for details of the previous answer."""
    if english:
        low, c = stripped.lower(), core.lower()
        return any(low == cue or c == cue for cue in cues()["more_en"])
    return any(stripped == cue or core == cue for cue in cues()["more_zh"]) or (
        len(stripped) <= 8 and any(cue in stripped for cue in cues()["more_zh"])
    )


def rewrite(question: str, previous: str | None) -> Rewrite:
    """Read ``question`` with the previous standalone question in mind."""
    typed = clean_input(question)
    prev = _strip(clean_input(previous or ""))
    unchanged = Rewrite(typed, False, "none")
    if not typed or not prev:
        return unchanged
    english = is_english(typed)
    stripped = _strip(typed)
    if not english:  # cues are read in Simplified, the core's Cantonese words in Mandarin (咁舊年呢? -> 去年)
        core, had_cue = _drop_cues(to_simplified(typed), english)
        core = _mandarin(core)
    else:
        core, had_cue = _drop_cues(typed, english)
    if _is_more(stripped, core, english):
        return Rewrite(f"{prev}? {stripped}?" if english else f"{prev}?{stripped}?", True, "more")
    if not core:
        return unchanged
    if _year_re().fullmatch(core):
        prev_english = is_english(prev)
        year = _year_as(core, prev_english)
        if _year_in(prev):
            new = _year_re().sub(year, prev, count=1)
        else:
            new = f"{prev} {year}" if prev_english else f"{year}{prev}"
        return Rewrite(_strip(new) + "?", True, "year")
    short = len(core.split()) <= MAX_EN_WORDS if english else len(core) <= MAX_ZH_CHARS
    if not (had_cue and short):
        return unchanged
    year = "" if _year_in(core) else _year_in(prev)
    if english:
        tail = f" {_year_as(year, True)}" if year else ""
        return Rewrite(f"What does the report say about {core}{tail}?", True, "topic")
    own_frame = any(f in core for f in cues()["frame_zh"])
    if own_frame and not year:
        return unchanged
    frames = cues()["frame_zh"]
    frame = "" if own_frame else next((f for f in frames if f in _mandarin(prev)), cues()["frame_default_zh"][0])
    return Rewrite(f"{_year_as(year, False) if year else ''}{core}{frame}?", True, "topic")
