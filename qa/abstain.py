"""When to say "the report does not say": evidence features, the calibrated policy, and the rules' parts.

A question that names a place or proper name the report never mentions (天河区), or a year the
report does not cover (2023年…), is not answered from whatever passage happens to be nearest;
:meth:`qa.answer.QA._ruled_out` applies these rules (and the one for number questions).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from qa.datafiles import DATA_DIR
from qa.english import unknown_english_names
from qa.textnorm import Query, _jieba, bigram_tokens, word_tokens
from qa.types import Hit

PROPER_NOUN_FLAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})  # jieba POS tags of names and places
Unit = str | tuple[str, ...]  # a bigram / Latin word, or the report words of one alias


@dataclass(frozen=True)
class AbstainPolicy:
    """confidence = weighted sum of the evidence features; abstain below threshold."""

    w_dense: float
    w_coverage: float
    w_focus: float
    threshold: float

    @staticmethod
    def load(path: Path = DATA_DIR / "abstain.json") -> dict[str, AbstainPolicy]:
        """Per-language policies ("zh", "en") from the calibration file."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return {lang: AbstainPolicy(**d) for lang, d in data["policies"].items()}


@dataclass(frozen=True)
class Evidence:
    """What the abstention decision looks at."""

    dense: float  # best cosine between the question and a top chunk or sentence
    coverage: float  # share of the question's content units found in the top 3 chunks
    focus: float  # share of the question's content units found in the sentence that would be quoted first

    def confidence(self, p: AbstainPolicy) -> float:
        """The policy's weighted score."""
        return p.w_dense * self.dense + p.w_coverage * self.coverage + p.w_focus * self.focus


def content_units(q: Query) -> list[Unit]:
    """The question's content: its words (stopwords dropped) cut into bigrams, Latin words whole.

    A word the alias file knows counts once, found when it or one of its report words occurs.
    """
    text = q.core.lower()
    for key, _ in q.aliases:
        text = text.replace(key.lower(), " ")
    units: list[Unit] = []
    for tok in word_tokens(text):
        for u in [tok] if tok.isascii() else bigram_tokens(tok):
            if u not in units:
                units.append(u)
    units.extend((key, *targets) for key, targets in q.aliases)  # the word itself, or a report word for it
    return units


def found(u: Unit, text: str) -> bool:
    """Whether a unit occurs in (lower-cased) text."""
    return u in text if isinstance(u, str) else any(t.lower() in text for t in u)


def share_found(units: list[Unit], text: str) -> float:
    """Share of ``units`` occurring in ``text`` (0 when there are none)."""
    low = text.lower()
    return sum(found(u, low) for u in units) / len(units) if units else 0.0


def coverage(units: list[Unit], hits: list[Hit], top: int = 3) -> float:
    """Share of ``units`` that occur in the header or text of the top chunks."""
    return share_found(units, " ".join(f"{h.chunk.header} {h.chunk.text}" for h in hits[:top]))


def _in_report(word: str, report: str) -> bool:
    """Whether ``word`` occurs in the report, allowing one wrong character (typos like 荔弯)."""
    if word in report:
        return True
    return any(re.search(re.escape(word[:i]) + "." + re.escape(word[i + 1 :]), report) for i in range(len(word)))


def unknown_names(q: Query, report: str) -> list[str]:
    """Place and proper names in the question that the report never mentions.

    Chinese: jieba's place/person/organisation tags. English: names CC-CEDICT knows that the report
    does not use (Paris), and pinyin names (Tianhe).
    """
    import jieba.posseg as pseg

    if q.english:
        return unknown_english_names(q.raw)
    _jieba()  # the user dictionary is loaded
    text = q.core
    for key, _ in q.aliases:
        text = text.replace(key, " ")
    return [
        w.word
        for w in pseg.cut(text)
        if w.flag in PROPER_NOUN_FLAGS and len(w.word) >= 2 and not _in_report(w.word, report)
    ]


def other_years(q: Query, report_year: int) -> list[int]:
    """Years the question names besides the report's two (its year and the year before)."""
    return [y for y in q.years if y not in (report_year, report_year - 1)]
