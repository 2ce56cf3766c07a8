"""The parts answerability is made of: the question's content units and where they occur, and the rules.

A question that names a place or proper name the report never mentions (天河区), or a year the
report does not cover (2023年…), is not answered from whatever passage happens to be nearest;
:meth:`qa.answer.QA.ruled_out` applies these rules; the content units also feed the answerability
features (:mod:`qa.answer.answerability`).
"""

from __future__ import annotations

import re

from qa.answer.understand import PLACE_FLAGS
from qa.text.english import lemma, unknown_english_names
from qa.text.normalize import Query, bigram_tokens, pos_tags, word_tokens
from qa.types import Hit

ADMIN_SUFFIX = ("区", "市", "省", "县", "镇", "州")  # a word ending so names a place whatever its tag
Unit = str | tuple[str, ...]  # a bigram / Latin word, or the report words of one alias


def content_units(q: Query, text: str | None = None) -> list[Unit]:
    """The question's content: its words (stopwords dropped) cut into bigrams, Latin words whole.

    A word the alias file knows counts once, found when it or one of its report words occurs.
    ``text`` replaces the question's core text (e.g. with its question words taken out).
    """
    text = (q.core if text is None else text).lower()
    latin_keys = set()  # English words glossed (by lemma: "canteens" is glossed as "canteen")
    for key, _ in sorted(q.aliases, key=lambda a: -len(a[0])):  # 单车径 before 单车 (or 径 would be left)
        if key.isascii():
            latin_keys.update(key.lower().split())
        else:
            text = text.replace(key.lower(), " ")
    units: list[Unit] = []
    for tok in word_tokens(text):
        if tok.isascii() and (tok in latin_keys or lemma(tok) in latin_keys):
            continue  # counted once, as its alias unit below (not as the stray "s" of "canteen|s")
        if tok.isascii() and tok.isalpha() and len(tok) == 1:
            continue  # a lone letter says nothing: the "s" of "district's", the "r" and "d" of R&D
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
    """Whether ``word`` occurs in the report, allowing one wrong character in words of 3+ (typos like 荔弯区)."""
    if word in report:
        return True
    if len(word) < 3:
        return False
    return any(re.search(re.escape(word[:i]) + "." + re.escape(word[i + 1 :]), report) for i in range(len(word)))


def _is_place(word: str, flag: str) -> bool:
    """Jieba's place tag (2+ characters), or a noun of 3+ characters ending in 区/市/省/县/镇/州 (not 坐镇)."""
    return (flag in PLACE_FLAGS and len(word) >= 2) or (
        flag.startswith("n") and len(word) >= 3 and word.endswith(ADMIN_SUFFIX)
    )


def unknown_names(q: Query, report: str) -> list[str]:
    """Place names in the question that the report never mentions.

    Chinese: see :func:`_is_place`. English: names CC-CEDICT knows that the report does not use
    (Paris), and pinyin names followed by District, City ... (Tianhe District).
    """
    if q.english:
        return unknown_english_names(q.raw, report)
    text = q.core
    for key, _ in q.aliases:
        text = text.replace(key, " ")
    return [word for word, flag in pos_tags(text) if _is_place(word, flag) and not _in_report(word, report)]


def other_years(q: Query, report_years: frozenset[int]) -> list[int]:
    """Years the question names that the reports do not speak of (besides their review and plan years)."""
    return [y for y in q.years if y not in report_years]
