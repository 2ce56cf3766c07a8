"""English questions: the dictionary form (lemma), glossing into the report's words, pinyin names, BM25 over glosses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.datafiles import read_pairs
from qa.report.corpus import CORPUS_FILE
from qa.search.index import Index
from qa.search.retrieve import _BM25
from qa.text.english import asked_phrase, en_lexicon, gloss_english, lemma, unknown_english_names
from qa.text.normalize import expand_shorthand, normalize_query, word_tokens

LIWAN = CORPUS_FILE.read_text(encoding="utf-8")  # English is glossed with the words of the report asked
CORPORA = Path(__file__).parent / "data" / "corpora"


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("places", "place"),
        ("cities", "city"),
        ("boxes", "box"),
        ("churches", "church"),
        ("schools", "school"),
        ("buses", "bus"),
        ("statuses", "status"),
        ("processes", "process"),
        ("gases", "gas"),
    ],
)
def test_plurals_become_singular(word: str, singular: str) -> None:
    assert lemma(word) == singular


@pytest.mark.parametrize(
    "word",
    "news status bus campus bonus census series species process analysis basis crisis gas various this".split(),
)
def test_words_that_only_look_plural_stay_as_they_are(word: str) -> None:
    assert lemma(word) == word


@pytest.mark.parametrize(
    ("word", "base"),
    [
        ("went", "go"),
        ("planned", "plan"),
        ("upgraded", "upgrade"),
        ("getting", "get"),
        ("centres", "center"),
        ("neighbourhoods", "neighborhood"),
        ("programme", "program"),
        ("organisations", "organization"),
        ("kilometres", "kilometer"),
        ("labour", "labor"),
        ("paediatric", "pediatric"),
    ],
)
def test_inflections_and_british_spellings_meet_the_lexicon_form(word: str, base: str) -> None:
    assert lemma(word) == base


def test_a_british_question_is_glossed_like_an_american_one() -> None:
    def glossed(q: str) -> set[str]:
        return {t for _, targets in gloss_english(q, LIWAN) for t in targets}

    british = glossed("Which neighbourhood health centres were upgraded?")
    assert british == glossed("Which neighborhood health centers got upgraded?")
    assert {"社区", "中心", "升级"} <= british


def test_the_lexicon_is_generated_with_this_lemma() -> None:
    lexicon = dict(read_pairs("en_zh_lexicon.tsv"))  # every key, vague ones too
    assert {"status", "census", "series", "basis", "news"} <= set(lexicon)
    assert not {"statu", "censu", "sery", "basi"} & set(lexicon)  # what the old lemma made of them
    assert "信息" in lexicon["news"] and "信息" not in lexicon["new"]  # news is not the plural of new


def test_english_questions_gloss_the_words_they_use() -> None:
    glossed = dict(gloss_english("what is the status of the census and the news", LIWAN))
    assert glossed == {"status": ("地位", "门户"), "census": ("普查",), "news": ("信息",)}


def test_a_name_spelled_in_pinyin_is_glossed_with_the_reports_characters() -> None:
    glossed = dict(gloss_english("what will happen at baietan and shiweitang this year", LIWAN))
    assert glossed["baietan"] == ("白鹅潭",)
    assert glossed["shiweitang"] == ("石围塘",)
    assert dict(gloss_english("plans for bai e tan", LIWAN))["bai e tan"] == ("白鹅潭",)  # syllables written apart


def test_pinyin_glossing_leaves_english_words_and_other_places_alone() -> None:
    glossed = dict(gloss_english("will the change help tianhe", LIWAN))
    assert (
        glossed["change"] == en_lexicon(LIWAN)["change"]
    )  # an English word keeps the lexicon's words, read as no pinyin
    assert not glossed.get("tianhe")  # 天河 is not in the report: nothing to gloss it with ...
    assert unknown_english_names("How many parks does Tianhe District have?", LIWAN) == ["Tianhe"]  # another place


def test_glossed_alternatives_count_once_not_summed() -> None:
    docs = (("今年", "全年", "年度", "同比"), ("公厕",), ("公厕", "今年"))
    bm25 = _BM25(docs)
    q = normalize_query("public loos each year", vocab=LIWAN)  # "this year" would be read as 2025
    grouped = bm25.glossed_scores(q, word_tokens)
    summed = bm25.scores(word_tokens(q.lexical))
    # summing every gloss of "year" ranks the chunk full of year words first; the best alternative does not
    assert int(np.argmax(summed)) == 0
    assert int(np.argmax(grouped)) == 2  # the chunk with the loos and one year word
    best_year_word = max(float(bm25.scores([w])[0]) for w in ("今年", "全年", "年度", "同比"))
    assert abs(float(grouped[0]) - best_year_word) < 1e-6


def test_unanswerable_keys_vote_and_answered_keys_point_at_sentences(real_qa) -> None:  # type: ignore[no-untyped-def]
    index: Index = real_qa.index
    statuses = {k.status for k in index.keys}
    assert statuses == {"answered", "partial", "declined"}
    assert all(bool(k.sentences) == (k.status == "answered") for k in index.keys)
    r = real_qa.retriever
    never = r.key_neighbours(r.key_sims(r.embed(normalize_query("荔湾区常住人口有多少人?"))))
    given = r.key_neighbours(r.key_sims(r.embed(normalize_query("2024年荔湾区地区生产总值是多少?"))))
    assert never["key_vote"] > given["key_vote"]


def test_english_names_are_checked_against_the_report_asked() -> None:
    liwan = LIWAN
    sichuan = "2025年四川省政府工作报告\n各位代表：\n四川发展迈上了新的历史起点。"
    question = "How many old residential compounds does Sichuan plan to renovate?"
    assert unknown_english_names(question, liwan) == ["Sichuan"]  # 四川: not in the Liwan report
    assert unknown_english_names(question, sichuan) == []  # ... but in Sichuan's own
    assert unknown_english_names("What does Paris plan?", sichuan) == ["Paris"]


def test_every_alias_names_words_a_report_uses() -> None:
    """Each alias row names a word of the Liwan report or of one of the other reports of the tests."""
    reports = [LIWAN, *(p.read_text(encoding="utf-8") for p in sorted(CORPORA.glob("*.txt")))]
    unused = [k for k, targets in read_pairs("aliases.tsv") if not any(t in r for t in targets for r in reports)]
    assert unused == []


ALIASES = (("elderly", ("长者", "养老")), ("elderly canteen", ("长者饭堂",)), ("urban renewal", ("城市更新",)))


@pytest.mark.parametrize(
    ("question", "key", "word"),
    [
        ("How much will urban renewal investment be this year?", "urban renewal", "城市更新"),
        ("How many elderly canteens were built?", "elderly canteen", "长者饭堂"),  # by lemma, and the longest key
    ],
)
def test_an_english_alias_matches_by_lemma_and_its_words_are_not_glossed_alone(
    question: str, key: str, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qa.text.normalize.alias_map", lambda: ALIASES)
    q = normalize_query(question, vocab=LIWAN)
    keys = [k for k, _ in q.aliases]
    assert key in keys and word in dict(q.aliases)[key]
    assert not set(key.split()) & set(keys)  # neither "elderly" (a shorter key) nor "urban" -> 城区 (a gloss) beside it


def test_the_genres_words_no_dictionary_gloss_reaches_have_english_aliases() -> None:
    q = normalize_query("How many new energy vehicles were produced, and what about the trade-ins?")
    assert "新能源汽车" in dict(q.aliases)["new energy vehicle"] and "以旧换新" in dict(q.aliases)["trade-in"]


def test_an_english_alias_counts_once_however_it_is_written() -> None:
    assert [k for k, _ in normalize_query("How many schools?").aliases] == ["school"]  # not also "schools"
    assert [k for k, _ in normalize_query("GDP target?").aliases] == ["GDP"]  # not also "gdp"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("do u think it will be a success", "do you think it will be a success"),
        ("hw many jobs this yr?", "how many jobs this year?"),
        ("R&D spend last yr", "R&D spend last year"),  # the R of R&D is no "are"
        ("U.S. dollars r needed", "U.S. dollars are needed"),
        ("the 1+N system and e-gov", "the 1+N system and e-gov"),
    ],
)
def test_chat_shorthand_is_written_out_in_whole_words(typed: str, read: str) -> None:
    assert expand_shorthand(typed) == read


def test_shorthand_lets_the_cues_read_an_opinion_and_a_year() -> None:
    from qa.answer.understand import understand

    assert understand(normalize_query("do u think the riverside taikoo li will be a success")).intent == "opinion"
    assert normalize_query("new jobs this yr?").part == "plan"
    assert "you" not in normalize_query("荔湾有几个U站?").text  # a Chinese question keeps its Latin letters


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("what's the 2025 target for new invention patents?", "the 2025 target for new invention patents"),
        (
            "What is Liwan's goal for the Bai'etan Business District in 2025?",
            "Liwan's goal for the Bai'etan Business District in 2025",
        ),
        ("so whats the address of the new police centre", "the address of the new police centre"),
        ("What are the names of the 11 parks built in 2024?", "the names of the 11 parks built in 2024"),
        ("What is GDP?", ""),  # no article: a definition, not a phrase to name as missing
        ("What does the report say about parks?", ""),  # a verb of its own: not a noun phrase
        ("Where is the new police centre?", ""),
        ("What is the?", ""),
    ],
)
def test_the_phrase_a_what_is_the_question_asks_for(question: str, phrase: str) -> None:
    assert asked_phrase(question) == phrase
