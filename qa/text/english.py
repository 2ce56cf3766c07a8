"""English questions: dictionary glossing into the report's words, and names the report never uses.

The data files are generated from CC-CEDICT and pypinyin by ``scripts/make_en_lexicon.py``:
``en_zh_lexicon.tsv``, ``en_names.tsv`` and ``pinyin_chars.json``. They cover the genre (the Liwan
report and the government work reports in ``../shared/corpora``); each question is glossed with the
words and names of the reports it is asked of (``vocab``: their text), as far as that text is not
a whole library (over ``MAX_VOCAB_TEXT`` characters), where every word of the genre is kept.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable

from qa.datafiles import DATA_DIR, read_pairs, stopwords

ADMIN_WORDS = re.compile(r"\s+(?:district|city|province|county|town|village)\b", re.IGNORECASE)
MAX_GLOSS_TARGETS = 12  # an English word glossing more report words than this is too vague to expand


# British spellings -> American, applied to lemmas on both sides (the lexicon's CC-CEDICT senses and the
# questions), so "centre", "neighbourhood", "programme", "recognised" meet "center", "neighborhood" ...
# A rule that also rewrites a word with no American twin (contour -> contor) rewrites it the same way on
# both sides, so it still matches.
_AMERICAN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"(?<=[a-z]{2})([tb])re$", r"\1er"),  # centre, metre, kilometre, theatre, fibre
        (r"(?<=[a-z]{3})our(?=(?:hood|ite|able|ful|less|ed|ing|er|s)?$)", "or"),  # neighbour(hood), labour, colour
        (r"(?<=[a-z]{3})is(?=(?:e|ation|er|ed|ing)s?$)", "iz"),  # recognise, organisation, modernise
        (r"(?<=[a-z]{3})yse$", "yze"),  # analyse, paralyse
        (r"(?<=[a-z]{3})ogue$", "og"),  # catalogue, dialogue
        (r"amme$", "am"),  # programme
        (r"^(lic|def|off|pret)ence$", r"\1ense"),  # licence, defence
        (r"^(p|h|an)ae", r"\1e"),  # paediatric, haemophilia, anaesthesia
    )
)
_AMERICAN_WORDS = {"grey": "gray", "kerb": "curb", "tyre": "tire", "storey": "story", "cheque": "check"}


def american(word: str) -> str:
    """The American spelling of a lowercase English word (centre -> center, neighbourhood -> neighborhood)."""
    if word in _AMERICAN_WORDS:
        return _AMERICAN_WORDS[word]
    for pattern, repl in _AMERICAN:
        word = pattern.sub(repl, word)
    return word


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """A lowercase English word's dictionary form, American-spelled: went -> go, planned -> plan, centres -> center.

    simplemma's English lemmas; news, status and basis stay as they are.
    """
    import simplemma

    return american(simplemma.lemmatize(word, lang="en").lower())


MAX_VOCAB_TEXT = 300_000  # characters: a longer text (a library of reports) is not used to narrow the glosses


@functools.lru_cache(maxsize=16)
def en_lexicon(vocab: str | None = None) -> dict[str, tuple[str, ...]]:
    """English word -> report words, from CC-CEDICT (generated data file); vague words left out.

    ``vocab``: the text of the reports asked; only words occurring in it are kept.
    """
    rows: Iterable[tuple[str, tuple[str, ...]]] = _en_lexicon_all().items()
    if vocab is not None and len(vocab) <= MAX_VOCAB_TEXT:
        present = _words_in(vocab, {t for _, v in _en_lexicon_all().items() for t in v})
        rows = ((k, tuple(t for t in v if t in present)) for k, v in rows)
    return {k: v for k, v in rows if 0 < len(v) <= MAX_GLOSS_TARGETS}


def _words_in(text: str, words: set[str], longest: int = 6) -> set[str]:
    """The ``words`` that occur in ``text`` (one set of its short substrings instead of a search per word)."""
    grams = {text[i : i + n] for n in range(1, longest + 1) for i in range(len(text) - n + 1)}
    return {w for w in words if (w in grams if len(w) <= longest else w in text)}


@functools.cache
def _en_lexicon_all() -> dict[str, tuple[str, ...]]:
    """Every row of the English lexicon."""
    return {k: tuple(v) for k, v in read_pairs("en_zh_lexicon.tsv")}


def gloss_english(text: str, vocab: str | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(word or phrase, report words) for the content of an English question (dictionary-based translation).

    Two-word phrases the lexicon knows (green space -> 绿地) are taken before single words. A word the
    lexicon does not know that reads as the pinyin of a name in the report (Baietan -> 白鹅潭, Qiaoyin ->
    侨银) is glossed with that name; so are two or three such words written apart (Shi Wei Tang).
    ``vocab``: the text of the reports asked (None: glossed with the whole genre, no names spelled out).
    """
    stop, lexicon = stopwords(), en_lexicon(vocab)
    runs = _LazyRuns(vocab)
    raw = [w for w in re.findall(r"[a-z]+", text.lower()) if w not in stop]
    words = [lemma(w) for w in raw]
    out: list[tuple[str, tuple[str, ...]]] = []
    used: set[int] = set()
    for i in range(len(words) - 1):
        phrase = f"{words[i]} {words[i + 1]}"
        if phrase in lexicon and not {i, i + 1} & used:
            out.append((phrase, lexicon[phrase]))
            used |= {i, i + 1}
    for i, n in _pinyin_spans(raw, lexicon, used, runs):
        out.append((" ".join(raw[i : i + n]), runs["".join(raw[i : i + n])]))
        used |= set(range(i, i + n))
    for i, w in enumerate(words):
        if i not in used and len(w) >= 3 and all(w != k for k, _ in out):
            out.append((w, lexicon.get(w, ())))
    return out


def _pinyin_spans(
    raw: list[str], lexicon: dict[str, tuple[str, ...]], used: set[int], runs: _LazyRuns
) -> list[tuple[int, int]]:
    """(start, length) of runs of 1-3 words, unknown to the lexicon, that spell a name of the report in pinyin."""
    spans: list[tuple[int, int]] = []
    taken = set(used)
    for n in (3, 2, 1):
        for i in range(len(raw) - n + 1):
            part = raw[i : i + n]
            joined = "".join(part)
            if set(range(i, i + n)) & taken or len(joined) < 4 or any(lemma(w) in lexicon for w in part):
                continue
            if joined in runs:
                spans.append((i, n))
                taken |= set(range(i, i + n))
    return spans


def _is_pinyin(word: str, syllables: frozenset[str]) -> bool:
    """Whether a lower-case word splits into two or more pinyin syllables (tianhe = tian + he)."""
    ok = [0] * (len(word) + 1)  # ok[i]: fewest syllables covering word[:i] (0: impossible, except at 0)
    for i in range(1, len(word) + 1):
        for j in range(max(0, i - 6), i):
            if (j == 0 or ok[j]) and word[j:i] in syllables:
                ok[i] = min(ok[i] or 99, (ok[j] if j else 0) + 1)
    return ok[-1] >= 2


@functools.cache
def english_names() -> dict[str, tuple[str, ...]]:
    """English names of places and people -> the Chinese words they name (generated from CC-CEDICT)."""
    return {k: tuple(v) for k, v in read_pairs("en_names.tsv")}


@functools.cache
def _pinyin_data() -> tuple[frozenset[str], dict[str, str]]:
    """(valid pinyin syllables, CJK character -> its toneless pinyin), from the generated data file."""
    data = json.loads((DATA_DIR / "pinyin_chars.json").read_text(encoding="utf-8"))
    return frozenset(data["syllables"]), dict(data["chars"])


@functools.lru_cache(maxsize=16)
def pinyin_runs(text: str) -> dict[str, tuple[str, ...]] | None:
    """Every run of 2-4 CJK characters of ``text`` by its joined pinyin ("shiweitang" -> ("石围塘",)).

    None for a text over ``MAX_VOCAB_TEXT`` characters (a library: its names are not spelled out).
    """
    if len(text) > MAX_VOCAB_TEXT:
        return None
    table = _pinyin_data()[1]
    seq = [table.get(ch, "|") for ch in text]
    runs: dict[str, set[str]] = {}
    for n in (2, 3, 4):
        for i in range(len(seq) - n + 1):
            if "|" not in seq[i : i + n]:
                runs.setdefault("".join(seq[i : i + n]), set()).add(text[i : i + n])
    return {k: tuple(sorted(v)) for k, v in runs.items()}


class _LazyRuns:
    """The pinyin runs of a text (``pinyin_runs``), built on the first lookup only: most questions need none."""

    def __init__(self, text: str | None) -> None:
        self.text = text

    @functools.cached_property
    def runs(self) -> dict[str, tuple[str, ...]]:
        """The runs ({} without a text, or for a library)."""
        return (pinyin_runs(self.text) if self.text is not None else None) or {}

    def __contains__(self, key: object) -> bool:
        return key in self.runs

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self.runs[key]


def unknown_english_names(raw: str, text: str) -> list[str]:
    """Capitalised names in an English question that the report ``text`` never mentions.

    A name counts when CC-CEDICT knows it as a place or person none of whose Chinese forms the report
    uses (Paris, New York), or when it reads as pinyin that is no run of the report's characters and is
    followed by an administrative word (Tianhe District, Shenzhen city).
    """
    syllables = _pinyin_data()[0]
    known, names = _en_lexicon_all(), english_names()
    out: list[str] = []
    for m in re.finditer(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z]{2,})(?: ([A-Z][a-z]{2,}))?\b", raw):
        admin = ADMIN_WORDS.match(raw[m.end(1) :]) is not None
        pair = f"{m.group(1)} {m.group(2)}" if m.group(2) else ""
        for name in [pair, m.group(1)] if pair else [m.group(1)]:
            low = name.lower()
            if (low in names and not any(zh in text for zh in names[low])) or (
                " " not in low
                and len(low) >= 4
                and low not in stopwords()
                and low not in known
                and admin
                and _is_pinyin(low, syllables)
                and (runs := pinyin_runs(text)) is not None
                and low not in runs
            ):
                out.append(name)
                break
    return out


# "what is the 2025 target for new invention patents?" -> "the 2025 target for new invention patents": the thing
# a question asks for, in its own words, when it asks for a noun phrase (what's / what are / what was + the …)
_ASKED_PHRASE = re.compile(
    r"^\s*(?:(?:and|so|ok|okay|then)[, ]+)?what(?:'s|’s|s| is| are| was| were| will be| would be)\s+"
    r"((?:the|its|their|liwan's|liwan’s)\s.*?)\s*[?？.!]*\s*$",
    re.IGNORECASE,
)
MAX_ASKED_WORDS = 16  # longer: a question with a clause of its own, not a plain noun phrase


def asked_phrase(question: str) -> str:
    """The noun phrase a "what is the …" question asks for, as typed ("" when it asks otherwise)."""
    m = _ASKED_PHRASE.match(question)
    if not m:
        return ""
    phrase = m.group(1)
    return phrase if 2 <= len(phrase.split()) <= MAX_ASKED_WORDS else ""
