"""The parts answerability is made of: the question's content units and where they occur, and the rules.

A question that names a place or proper name the report never mentions (天河区), or a year the
report does not cover (2023年…), is not answered from whatever passage happens to be nearest;
:meth:`qa.answer.QA.ruled_out` applies these rules; the content units also feed the answerability
features (:mod:`qa.answer.answerability`).
"""

from __future__ import annotations

import functools
import re

from qa.answer.understand import PLACE_FLAGS, place_table
from qa.datafiles import read_pairs
from qa.text.english import english_names, lemma, unknown_english_names
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


@functools.cache
def _abbreviations() -> dict[str, str]:
    """Place -> its one-character abbreviation (data file ``place_abbreviations.tsv``): 澳门 -> 澳."""
    return {place: abbrs[0] for place, abbrs in read_pairs("place_abbreviations.tsv") if abbrs}


@functools.cache
def _abbreviated(place: str) -> re.Pattern[str] | None:
    """The place's abbreviation next to another place's (港澳 for 澳门, 粤黔 for 贵州); None without one."""
    table = _abbreviations()
    if place not in table:
        return None
    others = "".join(sorted({a for p, a in table.items() if p != place}))
    return re.compile(f"[{others}]{table[place]}|{table[place]}[{others}]")


@functools.lru_cache(maxsize=4096)
def mentions(text: str, place: str) -> bool:
    """Whether the text names the place, by its name or its abbreviation in a compound (港澳 names 澳门)."""
    if place in text:
        return True
    pattern = _abbreviated(place)
    return pattern is not None and pattern.search(text) is not None


def _in_report(word: str, report: str) -> bool:
    """Whether ``word`` occurs in the report, allowing one wrong character in words of 3+ (typos like 荔弯区)."""
    if mentions(report, word):
        return True
    if len(word) < 3:
        return False
    return any(re.search(re.escape(word[:i]) + "." + re.escape(word[i + 1 :]), report) for i in range(len(word)))


def _is_place(word: str, flag: str) -> bool:
    """A place of the place table, jieba's place tag on 3+ characters, or a noun of 3+ ending in 区/市/省/县/镇/州.

    北京路 and 松山湖 are tagged places; 坐镇 does not end a place name. Jieba tags many plain
    two-character words as places (外国, 入口, 河水, 兴旺, 上门, 海鲜, and 同港 of 同港科大): over the
    authored questions, such a word outside the place table declined about three answerable questions for
    each unanswerable one. So a two-character place must be in the table.
    """
    return (
        word in place_table()
        or (flag in PLACE_FLAGS and len(word) >= 3)
        or (flag.startswith("n") and len(word) >= 3 and word.endswith(ADMIN_SUFFIX))
    )


def unknown_names(q: Query, report: str) -> list[str]:
    """Place names in the question that the report never mentions.

    Chinese: see :func:`_is_place`. English: names CC-CEDICT knows that the report does not use
    (Paris), and pinyin names followed by District, City ... (Tianhe District).
    """
    if q.english:  # a name whose Chinese form the report abbreviates is mentioned (Guizhou: 粤黔)
        forms = english_names()
        return [
            name
            for name in unknown_english_names(q.raw, report)
            if not any(mentions(report, zh) for zh in forms.get(name.lower(), ()))
        ]
    text = q.core
    for key, _ in q.aliases:
        text = text.replace(key, " ")
    return [word for word, flag in pos_tags(text) if _is_place(word, flag) and not _in_report(word, report)]


def other_years(q: Query, report_years: frozenset[int]) -> list[int]:
    """Years the question names that the reports do not speak of (besides their review and plan years)."""
    return [y for y in q.years if y not in report_years]
