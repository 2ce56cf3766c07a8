"""All Chinese text handling: sentences, normalisation, Cantonese, aliases, years, tokens.

Curated word lists live in ``qa/data/`` as data files (read by :mod:`qa.datafiles`), not here;
English questions are glossed into the report's words by :mod:`qa.text.english`; jieba (words and
part-of-speech tags) is owned by the one :class:`~qa.text.tokenizer.Tokenizer`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from qa.datafiles import read_pairs
from qa.text.english import gloss_english, lemma
from qa.text.tokenizer import PUNCT, tokenizer

DEFAULT_PLAN_YEAR = 2025  # the default report's plan year: 今年 when no report is named (see normalize_query)

SENTENCE_END = "。！？；!?;"
_SENTENCE = re.compile(rf"[^{SENTENCE_END}]*(?:[{SENTENCE_END}]+[”’」』)]*|$)")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # become spaces
# zero-width and direction marks, soft hyphen, BOM: dropped, not spaced, so that 今\u200b年 still reads 今年
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
LEAD_MAX_CHARS = 25  # a paragraph's opening sentence up to this length is its lead phrase


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, shifted by ``offset``; they tile the text."""
    spans = []
    for m in _SENTENCE.finditer(text):
        if m.end() > m.start():
            spans.append((offset + m.start(), offset + m.end()))
    return spans


def lead_phrase(paragraph: str) -> str:
    """The short sentence a paragraph opens with (e.g. 经济运行持续向好。), or ''."""
    spans = sentence_spans(paragraph)
    if not spans:
        return ""
    s, e = spans[0]
    first = paragraph[s:e]
    return first if first.endswith("。") and len(first) <= LEAD_MAX_CHARS and e < len(paragraph) else ""


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """The text without lone surrogates (invalid UTF-8 read with surrogateescape), so it encodes as UTF-8."""
    return _SURROGATE.sub("", text)


def clean_input(text: str) -> str:
    """Remove control and zero-width characters and lone surrogates, and collapse whitespace (what a user typed)."""
    return _WS.sub(" ", _CONTROL.sub(" ", _INVISIBLE.sub("", without_surrogates(text)))).strip()


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms and the ideographic space to half-width (NFKC on those only)."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


@functools.cache
def _t2s() -> object:
    """The OpenCC Traditional-to-Simplified converter (loaded once)."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified characters with OpenCC."""
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


def is_english(text: str) -> bool:
    """True when the question is written mainly in Latin letters."""
    latin, cjk = len(_LATIN.findall(text)), len(_CJK.findall(text))
    return latin >= 3 and latin > 2 * cjk


@functools.cache
def cantonese_map() -> tuple[tuple[str, str], ...]:
    """Cantonese word -> Mandarin word, longest first (replaced in the query)."""
    pairs = [(k, v[0] if v else "") for k, v in read_pairs("cantonese.tsv")]
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))


@functools.cache
def alias_map() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Word people use -> the report's words (appended to the query)."""
    return tuple((k, tuple(v)) for k, v in read_pairs("aliases.tsv"))


@functools.cache
def intent_cues() -> dict[str, tuple[str, ...]]:
    """Cue words for the part a question asks about: plan / review."""
    return {k: tuple(v) for k, v in read_pairs("part_cues.tsv")}


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d\d(?!\d)|19\d\d(?=年))")
YEAR_WORDS = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}  # word -> years from the plan year
EN_YEAR_WORDS = {"this year": 0, "last year": -1, "next year": 1}  # likewise, in English


def year_words() -> tuple[str, ...]:
    """Every word for a year relative to the plan year: Mandarin, Cantonese (舊年 -> 去年, cantonese.tsv), English."""
    cantonese = [canto for canto, mandarin in cantonese_map() if mandarin in YEAR_WORDS]
    return (*YEAR_WORDS, *cantonese, *EN_YEAR_WORDS)


# A particular day: an annual work report has nothing to say about it (天气, 今晚的活动 ...).
_DAY_WORDS = re.compile(
    r"今天|明天|后天|昨天|今晚|明晚|今早|(?<![a-z])(?:tomorrow|tonight|yesterday)(?![a-z])", re.IGNORECASE
)


@dataclass(frozen=True)
class Query:
    """A question after normalisation."""

    raw: str  # what the user typed, cleaned of control characters
    text: str  # simplified, half-width, Cantonese mapped, years made explicit
    expansions: tuple[str, ...]  # report words added by the alias file
    aliases: tuple[tuple[str, tuple[str, ...]], ...]  # (word found in the question, its report words)
    english: bool
    part: str | None  # "plan" / "review" when the question clearly asks about one
    part_year: int | None = None  # the one year of the reports' parts it names (the part boost uses it)
    plan_year: int = DEFAULT_PLAN_YEAR  # 今年, 去年, this year ... were read relative to this year

    def in_asked_part(self, part: str, year: int | None) -> bool:
        """Whether a part (role and year) is the one the question asks about (False when it asks about none).

        An annex of the plan's year (附件1 2025年省十件民生实事) counts as that year's plan.
        """
        if self.part is None and self.part_year is None:
            return False
        role = self.part is None or part == self.part or (part == "annex" and self.part == "plan")
        return role and (self.part_year is None or year == self.part_year)

    @property
    def core(self) -> str:
        """The question without the report's own years (the part boost already uses them)."""
        return re.sub(rf"(?:{self.plan_year}|{self.plan_year - 1})年?", " ", self.text)

    @property
    def embed_text(self) -> str:
        """What the embedding model reads: English as typed, Chinese normalised and without the years."""
        return self.raw if self.english else self.core

    @property
    def lexical(self) -> str:
        """Text for the lexical retrievers: the core question plus the alias expansions."""
        return " ".join((self.core, *self.expansions))

    @property
    def asks_about_a_day(self) -> bool:
        """Whether the question is about one particular day (明天, 今晚, tomorrow)."""
        return _DAY_WORDS.search(self.text) is not None

    @property
    def years(self) -> tuple[int, ...]:
        """Years the question names (after 今年/去年 were made explicit)."""
        return tuple(sorted({int(y) for y in _YEAR_IN_TEXT.findall(self.text)}))


_LATIN = re.compile(r"[a-z]")


@functools.lru_cache(maxsize=8192)
def _lemmas(low: str) -> tuple[str, ...]:
    """The dictionary forms of the Latin words of lower-cased text (canteens -> canteen, sam's -> sam s)."""
    return tuple(lemma(w) for w in re.findall(r"[a-z0-9]+", low))


def _has_english_key(key: str, low: str, lemmas: str) -> bool:
    """Whether an ASCII alias key occurs in lower-cased text: as written, or word by word in dictionary form.

    ``lemmas``: the text's :func:`_lemmas`, space-joined with a space either side ("" for no Latin words).
    """
    return has_ascii_word(key, low) or (bool(lemmas) and f" {' '.join(_lemmas(key.lower()))} " in lemmas)


def has_ascii_word(word: str, low: str) -> bool:
    """Whether an ASCII word occurs in lower-cased text, not inside a longer Latin word."""
    return word.lower() in low and _word_pattern(word).search(low) is not None


@functools.lru_cache(maxsize=8192)
def _word_pattern(word: str) -> re.Pattern[str]:
    """The compiled whole-word pattern of an ASCII word."""
    return re.compile(rf"(?<![a-z]){re.escape(word.lower())}(?![a-z])")


def _cantonese(text: str) -> str:
    """Cantonese words -> Mandarin words (data file)."""
    for canto, mandarin in cantonese_map():
        text = text.replace(canto, mandarin)
    return text


def _resolve_years(text: str, plan_year: int) -> tuple[str, list[int]]:
    """Replace 今年/去年/明年... by explicit years (relative to ``plan_year``); also return every year mentioned."""
    for word, delta in YEAR_WORDS.items():
        text = text.replace(word, f"{plan_year + delta}年")
    for word, delta in EN_YEAR_WORDS.items():  # this year's target -> 2025's target, as 今年 -> 2025年
        text = re.sub(rf"\b{word}\b", str(plan_year + delta), text, flags=re.IGNORECASE)
    return text, [int(y) for y in _YEAR_IN_TEXT.findall(text)]


Parts = frozenset[tuple[str, int]]  # the (role, year) of the review and plan parts of the reports searched


def _part_of(text: str, years: list[int], parts: Parts) -> tuple[str | None, int | None]:
    """Which part (role, year) the question asks about, from its years and cue words (None: any).

    A question that names exactly one of the parts' years asks about that year (and the part of that
    year its cue words name, when the reports have one, e.g. 2024年的目标 in a library holding 2024's plan
    and 2025's review of 2024); one that names none of them asks about the part its cue words name.
    """
    named = {y for y in years if any(y == py for _, py in parts)}
    cue = _cue_part(text) if not years else None
    if len(named) == 1:
        year = named.pop()
        roles = {r for r, py in parts if py == year}
        wanted = _cue_part(text)
        role = wanted if wanted in roles else (next(iter(roles)) if len(roles) == 1 else None)
        return role, year
    return (cue, None) if not years else (None, None)


def _cue_part(text: str) -> str | None:
    """The part the question's cue words point to (目标 -> plan, 完成了 -> review), or None."""
    low = text.lower()
    votes = {
        part: sum(has_ascii_word(c, low) if c.isascii() else c in text for c in cues)
        for part, cues in intent_cues().items()
    }
    best = max(votes.values(), default=0)
    winners = [p for p, v in votes.items() if v == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


@functools.cache
def _shorthand() -> tuple[re.Pattern[str], dict[str, str]]:
    """The chat shorthand table (``en_shorthand.tsv``) and one pattern for all its words."""
    table = {key.lower(): values[0] for key, values in read_pairs("en_shorthand.tsv")}
    words = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w.'&+/-])(?:{words})(?![\w.'&+/-])", re.IGNORECASE), table


def expand_shorthand(text: str) -> str:
    """English chat shorthand written out: "do u think" -> "do you think", "last yr" -> "last year".

    Whole words only: R&D, U.S., 1+N and e-gov keep their letters.
    """
    pattern, table = _shorthand()
    return pattern.sub(lambda m: table[m.group(0).lower()], text)


def normalize_query(
    question: str, plan_year: int = DEFAULT_PLAN_YEAR, parts: Parts | None = None, vocab: str | None = None
) -> Query:
    """Normalise a question: clean, half-width, Simplified, Cantonese, aliases, years.

    今年/去年/明年 are read relative to ``plan_year`` (the plan year of the report asked); ``parts`` are the
    (role, year) of the review and plan parts searched (default: review the year before, plan ``plan_year``).
    ``vocab``: the text of the reports asked: the alias words and English glosses kept are theirs.
    """
    parts = frozenset({("review", plan_year - 1), ("plan", plan_year)}) if parts is None else parts
    raw = clean_input(question)
    text = _cantonese(to_simplified(_cantonese(to_halfwidth(raw))))
    english = is_english(text)
    if english:
        text = expand_shorthand(text)  # do u think, hw many, this yr
    text, years = _resolve_years(text, plan_year)
    low = text.lower()
    expansions: list[str] = []
    found: list[tuple[str, tuple[str, ...]]] = []
    lemmas = f" {' '.join(_lemmas(low))} " if _LATIN.search(low) else ""
    english_keys: set[tuple[str, ...]] = set()  # one row per English key (school / schools, GDP / gdp)
    for key, every in alias_map():
        if not (_has_english_key(key, low, lemmas) if key.isascii() else key in text):
            continue
        if key.isascii():
            if _lemmas(key.lower()) in english_keys:
                continue
            english_keys.add(_lemmas(key.lower()))
        # an alias names the words of several reports (GDP -> 地区生产总值|国内生产总值): those of the reports asked
        targets = every if vocab is None else tuple(t for t in every if t in vocab)
        if targets:
            found.append((key, targets))
            expansions.extend(t for t in targets if t not in text and t not in expansions)
    # the longest English key wins: elderly canteen -> 长者饭堂, not also elderly -> 长者|养老|老龄
    phrases = [set(_lemmas(k.lower())) for k, _ in found if k.isascii()]
    found = [(k, t) for k, t in found if not (k.isascii() and any(set(_lemmas(k.lower())) < p for p in phrases))]
    expansions = [e for e in expansions if any(e in t for _, t in found)]
    if english:
        # a word of an English alias (urban renewal -> 城市更新) is not also glossed alone (urban -> 城区)
        covered = {w for k, _ in found if k.isascii() for w in _lemmas(k.lower())}
        for word, targets in gloss_english(text, vocab):
            if targets and all(word != k for k, _ in found) and not set(word.split()) <= covered:
                found.append((word, targets))
                expansions.extend(t for t in targets if t not in expansions)
    part, part_year = _part_of(text, years, parts)
    return Query(raw, text, tuple(expansions), tuple(found), english, part, part_year, plan_year)


# --- tokens for BM25 -----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """(word, part-of-speech flag) pairs by the project's one :class:`~qa.text.tokenizer.Tokenizer`."""
    return tokenizer().pos_tags(text)


def word_tokens(text: str) -> list[str]:
    """Jieba words (search mode), lower-cased, without punctuation and stopwords (the BM25 tokens)."""
    return list(_word_tokens(text))


@functools.lru_cache(maxsize=4096)
def _word_tokens(text: str) -> tuple[str, ...]:
    """:func:`word_tokens`, kept: one question's text is cut several times on its way (retrieval, content units)."""
    return tuple(tokenizer().search_words(text))


def bigram_tokens(text: str) -> list[str]:
    """Overlapping character bigrams of each CJK/alphanumeric run (single chars kept)."""
    out: list[str] = []
    for run in PUNCT.split(text.lower()):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out
