"""English questions: the singular (lemma), glossing into the report's words, pinyin names, BM25 over glosses."""

from __future__ import annotations

import numpy as np
import pytest

from qa.datafiles import read_pairs
from qa.search.index import Index
from qa.search.retrieve import _BM25
from qa.text.english import en_lexicon, gloss_english, lemma, unknown_english_names
from qa.text.normalize import normalize_query, word_tokens


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


def test_the_lexicon_is_generated_with_this_lemma() -> None:
    lexicon = dict(read_pairs("en_zh_lexicon.tsv"))  # every key, vague ones too
    assert {"status", "census", "series", "basis", "news"} <= set(lexicon)
    assert not {"statu", "censu", "sery", "basi"} & set(lexicon)  # what the old lemma made of them
    assert lexicon["news"] == ["信息"] and "信息" not in lexicon["new"]  # news is not the plural of new


def test_english_questions_gloss_the_words_they_use() -> None:
    glossed = dict(gloss_english("what is the status of the census and the news"))
    assert glossed == {"status": ("地位", "门户"), "census": ("普查",), "news": ("信息",)}


def test_a_name_spelled_in_pinyin_is_glossed_with_the_reports_characters() -> None:
    glossed = dict(gloss_english("what will happen at baietan and shiweitang this year"))
    assert glossed["baietan"] == ("白鹅潭",)
    assert glossed["shiweitang"] == ("石围塘",)
    assert dict(gloss_english("plans for bai e tan"))["bai e tan"] == ("白鹅潭",)  # syllables written apart


def test_pinyin_glossing_leaves_english_words_and_other_places_alone() -> None:
    glossed = dict(gloss_english("will the change help tianhe"))
    assert glossed["change"] == en_lexicon()["change"]  # an English word keeps the lexicon's words, read as no pinyin
    assert not glossed.get("tianhe")  # 天河 is not in the report: nothing to gloss it with ...
    assert unknown_english_names("How many parks does Tianhe District have?") == ["Tianhe"]  # ... it is another place


def test_glossed_alternatives_count_once_not_summed() -> None:
    docs = (("今年", "全年", "年度", "同比"), ("公厕",), ("公厕", "今年"))
    bm25 = _BM25(docs)
    q = normalize_query("public loos this year")
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
