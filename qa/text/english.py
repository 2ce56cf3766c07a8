"""English questions: dictionary glossing into the report's words, and names the report never uses.

The data files are generated from CC-CEDICT and pypinyin by ``scripts/make_en_lexicon.py``:
``en_zh_lexicon.tsv``, ``en_foreign_names.txt`` and ``report_pinyin.json``.
"""

from __future__ import annotations

import functools
import json
import re

from qa.datafiles import DATA_DIR, read_pairs, stopwords

ADMIN_WORDS = re.compile(r"\s+(?:district|city|province|county|town|village)\b", re.IGNORECASE)
MAX_GLOSS_TARGETS = 12  # an English word glossing more report words than this is too vague to expand


# Words that end in -s but are not plurals (news is not the plural of new); besides these, no
# word ending in -ss, -us or -is is taken for a plural (process, status, campus, various, basis, this).
NOT_PLURAL = frozenset(
    {
        "news",
        "series",
        "species",
        "gas",
        "lens",
        "atlas",
        "canvas",
        "alias",
        "bias",
        "means",
        "chaos",
        "whereas",
        "always",
        "perhaps",
        "overseas",
    }
)


def lemma(word: str) -> str:
    """A crude English singular: places -> place, cities -> city, boxes -> box; news, status, basis stay."""
    if word in NOT_PLURAL or word.endswith(("ss", "us", "is")):
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.cache
def en_lexicon() -> dict[str, tuple[str, ...]]:
    """English word -> report words, from CC-CEDICT (generated data file); vague words left out."""
    return {k: v for k, v in _en_lexicon_all().items() if len(v) <= MAX_GLOSS_TARGETS}


@functools.cache
def _en_lexicon_all() -> dict[str, tuple[str, ...]]:
    """Every row of the English lexicon."""
    return {k: tuple(v) for k, v in read_pairs("en_zh_lexicon.tsv")}


def gloss_english(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(word or phrase, report words) for the content of an English question (dictionary-based translation).

    Two-word phrases the lexicon knows (green space -> 绿地) are taken before single words. A word the
    lexicon does not know that reads as the pinyin of a name in the report (Baietan -> 白鹅潭, Qiaoyin ->
    侨银) is glossed with that name; so are two or three such words written apart (Shi Wei Tang).
    """
    stop, lexicon = stopwords(), en_lexicon()
    raw = [w for w in re.findall(r"[a-z]+", text.lower()) if w not in stop]
    words = [lemma(w) for w in raw]
    out: list[tuple[str, tuple[str, ...]]] = []
    used: set[int] = set()
    for i in range(len(words) - 1):
        phrase = f"{words[i]} {words[i + 1]}"
        if phrase in lexicon and not {i, i + 1} & used:
            out.append((phrase, lexicon[phrase]))
            used |= {i, i + 1}
    for i, n in _pinyin_spans(raw, lexicon, used):
        out.append((" ".join(raw[i : i + n]), pinyin_names()[1]["".join(raw[i : i + n])]))
        used |= set(range(i, i + n))
    for i, w in enumerate(words):
        if i not in used and len(w) >= 3 and all(w != k for k, _ in out):
            out.append((w, lexicon.get(w, ())))
    return out


def _pinyin_spans(raw: list[str], lexicon: dict[str, tuple[str, ...]], used: set[int]) -> list[tuple[int, int]]:
    """(start, length) of runs of 1-3 words, unknown to the lexicon, that spell a name of the report in pinyin."""
    runs = pinyin_names()[1]
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


@functools.cache
def pinyin_names() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """(valid pinyin syllables, every run of 2-4 of the report's characters by its joined pinyin).

    The runs map "shiweitang" -> ("石围塘",): how an English question spells the report's names.
    """
    data = json.loads((DATA_DIR / "report_pinyin.json").read_text(encoding="utf-8"))
    seq, hanzi = data["report"].split(), data["hanzi"]
    runs: dict[str, set[str]] = {}
    for i in range(len(seq)):
        for n in (2, 3, 4):
            if "|" in seq[i : i + n] or i + n > len(seq):
                continue
            runs.setdefault("".join(seq[i : i + n]), set()).add(hanzi[i : i + n])
    return frozenset(data["syllables"]), {k: tuple(sorted(v)) for k, v in runs.items()}


def _is_pinyin(word: str, syllables: frozenset[str]) -> bool:
    """Whether a lower-case word splits into two or more pinyin syllables (tianhe = tian + he)."""
    ok = [0] * (len(word) + 1)  # ok[i]: fewest syllables covering word[:i] (0: impossible, except at 0)
    for i in range(1, len(word) + 1):
        for j in range(max(0, i - 6), i):
            if (j == 0 or ok[j]) and word[j:i] in syllables:
                ok[i] = min(ok[i] or 99, (ok[j] if j else 0) + 1)
    return ok[-1] >= 2


@functools.cache
def foreign_names() -> frozenset[str]:
    """English names of places and people the report never names (generated from CC-CEDICT)."""
    lines = (DATA_DIR / "en_foreign_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def unknown_english_names(raw: str) -> list[str]:
    """Capitalised names in an English question that the report never mentions.

    A name counts when CC-CEDICT knows it as a place or person the report does not name (Paris,
    New York), or when it reads as pinyin that is no run of the report's characters and is followed
    by an administrative word (Tianhe District, Shenzhen city).
    """
    syllables, runs = pinyin_names()
    known, foreign = _en_lexicon_all(), foreign_names()
    out: list[str] = []
    for m in re.finditer(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z]{2,})(?: ([A-Z][a-z]{2,}))?\b", raw):
        admin = ADMIN_WORDS.match(raw[m.end(1) :]) is not None
        pair = f"{m.group(1)} {m.group(2)}" if m.group(2) else ""
        for name in [pair, m.group(1)] if pair else [m.group(1)]:
            low = name.lower()
            if low in foreign or (
                " " not in low
                and len(low) >= 4
                and low not in stopwords()
                and low not in known
                and admin
                and _is_pinyin(low, syllables)
                and low not in runs
            ):
                out.append(name)
                break
    return out
