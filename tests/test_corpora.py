"""The parser on real reports as published: structure counted by hand.

The six reports are copies of ../shared/corpora/*.txt in tests/data/corpora/ (SOURCES.md there says
where they come from), so the tests run wherever the repository is cloned; the 72 of its library/
folder are read in place when that folder is there (see the README on the one skip).

Each ``tests/data/corpora/<report>.expected.json`` was written by a person reading the report (not by
running the parser): its parts in order with role, year and number of numbered subsections, its
glossary terms, title, delivery date and trailing notice.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from fullwidth import to_published

from qa.report.chunking import chunk_report
from qa.report.corpus import CORPUS_FILE, NOTICE_LABEL, Report, load_report, parse
from qa.search.index import split_sentences
from qa.text.normalize import to_halfwidth

CORPORA = Path(__file__).resolve().parent / "data" / "corpora"
EXPECTED = sorted(CORPORA.glob("*.expected.json"))
LIBRARY = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "corpora" / "library",
                 Path("/work/shared/corpora/library")) if p.is_dir()),
    None,
)  # fmt: skip
SUBSECTION = re.compile(r"^\(([一二三四五六七八九十]+)\)")


def expected(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def parsed(name: str) -> Report:
    return load_report(CORPORA / f"{name}.txt")


def part_sections(report: Report, heading: str) -> list:
    """Sections of the part whose heading (its first path element) starts with ``heading``."""
    return [s for s in report.sections if s.path[0].replace("\u3000", "").startswith(heading)]


def subsections(sections: list) -> list[str]:
    """Distinct numbered subsection titles among ``sections``."""
    titles = [
        s.path[1] for s in sections if len(s.path) > 1 and SUBSECTION.match(unicodedata.normalize("NFKC", s.path[1]))
    ]
    return list(dict.fromkeys(titles))


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_parts_years_and_subsections_as_counted_by_hand(path: Path) -> None:
    exp = expected(path)
    r = parsed(exp["report"])
    assert r.id == exp["report"]
    assert (r.review_year, r.plan_year) == (exp["review_year"], exp["plan_year"])
    assert r.title == exp["title"]
    assert r.delivered == (exp["delivered"] or "")
    assert any(s.path == ("标题",) for s in r.sections) == exp["has_title_block"]
    heads = list(
        dict.fromkeys(s.path[0] for s in r.sections if s.path[0] not in ("标题", "开头", "结尾", NOTICE_LABEL))
    )
    assert len(heads) == len(exp["parts"]), heads
    for head, part in zip(heads, exp["parts"], strict=True):
        assert head.startswith(part["heading"]), (head, part["heading"])
        secs = part_sections(r, part["heading"])
        assert {s.part for s in secs} == {part["role"]}, part["heading"]
        if part["role"] in ("review", "plan"):
            assert {s.year for s in secs} == {part["year"]}, part["heading"]
            assert len(subsections(secs)) == part["subsections"], (part["heading"], subsections(secs))
            if part["subsections"]:
                assert subsections(secs)[0].startswith(part["first_subsection"][:8])
                assert subsections(secs)[-1].startswith(part["last_subsection"][:8])


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_glossary_terms_in_order(path: Path) -> None:
    exp = expected(path)
    r = parsed(exp["report"])
    terms = [s.path[-1] for s in r.sections if s.part == "glossary" and len(s.path) == 2]
    assert len(terms) == len(exp["glossary_terms"])
    for label, term in zip(terms, exp["glossary_terms"], strict=True):
        assert term in label, (label, term)


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_trailing_notice_is_kept_out_of_the_answers(path: Path) -> None:
    exp = expected(path)
    r = parsed(exp["report"])
    notice = [s for s in r.sections if s.path == (NOTICE_LABEL,)]
    if exp["trailing_notice"] is None:
        assert not notice
        return
    assert len(notice) == 1 and r.text[notice[0].start :].startswith(exp["trailing_notice"])
    chunks = chunk_report(r)
    assert chunks and all(c.end <= notice[0].start for c in chunks)  # never quoted


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_offsets_index_the_file_as_given(path: Path) -> None:
    exp = expected(path)
    r = parsed(exp["report"])
    raw = (CORPORA / f"{exp['report']}.txt").read_text(encoding="utf-8")
    assert r.text == raw
    chunks = chunk_report(r)
    assert all(raw[c.start : c.end] == c.text and c.report == r.id for c in chunks)
    assert all(raw[p.start : p.end] == p.text for p in r.paragraphs)
    assert all(not c.text[:1].isspace() for c in chunks)  # indentation (　　) is not quoted
    assert split_sentences(chunks)


def test_enumerated_items_are_their_own_chunks() -> None:
    r = parsed("national-2025")
    items = [c for c in chunk_report(r) if re.match(r"^[一二三四五六七八九十]+是", c.text)]
    assert len(items) >= 7  # 一是 … 七是 of the review (lines 20-32), each opening a chunk
    assert all(not re.search(r"。[一二三四五六七八九十]+是", c.text) for c in chunk_report(r))


@pytest.mark.skipif(LIBRARY is None, reason="the library of 72 reports (../shared/corpora/library) is not here")
def test_every_library_report_parses_with_years() -> None:
    assert LIBRARY is not None
    files = sorted(LIBRARY.glob("*.txt"))
    assert len(files) >= 70
    for f in files:
        r = load_report(f)
        assert r.plan_year, f.name
        assert chunk_report(r), f.name
        if r.id.endswith("-2025"):  # the provincial reports of 2025: every one has a 2025 plan
            assert r.plan_year == 2025 and any(s.part == "plan" and s.year == 2025 for s in r.sections), f.name


def test_fullwidth_converter_changes_what_it_should() -> None:
    assert (
        to_published("各位代表:\n(一)全力优存量,经济发展;比为2.31:1!")
        == "各位代表：\n　　（一）全力优存量，经济发展；比为2.31:1！"
    )


def test_liwan_as_published_parses_to_the_same_structure() -> None:
    original = load_report(CORPUS_FILE)
    published = parse(to_published(original.text), report_id="liwan-published")
    assert (published.review_year, published.plan_year, published.title) == (2024, 2025, original.title)
    half = lambda path: tuple(to_halfwidth(x) for x in path)  # noqa: E731
    assert [(half(s.path), s.part, s.year) for s in published.sections] == [
        (s.path, s.part, s.year) for s in original.sections
    ]
    assert [to_halfwidth(p.text) for p in published.paragraphs] == [p.text for p in original.paragraphs]
    assert [to_halfwidth(c.text) for c in chunk_report(published)] == [c.text for c in chunk_report(original)]


@pytest.fixture(scope="module")
def liwan_both_ways(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real engine over the Liwan report as given and as published (neither has the authored keys)."""
    from qa.answer.engine import QA
    from qa.search.embedding import load_embedder
    from qa.search.index import open_index

    root = tmp_path_factory.mktemp("published")
    given, published = root / "liwan-given.txt", root / "liwan-published.txt"
    given.write_bytes(CORPUS_FILE.read_bytes())
    published.write_text(to_published(CORPUS_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    embedder = load_embedder(None)
    return [QA(open_index(embedder, index_dir=root / p.stem, corpus=(p,)), embedder) for p in (given, published)]


def test_liwan_as_published_answers_with_the_same_sentences(liwan_both_ways) -> None:  # type: ignore[no-untyped-def]
    given, published = liwan_both_ways
    rows = [json.loads(line) for line in (Path(__file__).parents[1] / "eval" / "qa.jsonl").open(encoding="utf-8")]
    questions = [r["question"] for r in rows if r["split"] == "dev"]
    assert len(questions) > 100
    for q in questions:
        a, b = given.ask(q), published.ask(q)
        assert a.status == b.status, q
        assert [to_halfwidth(c.quote) for c in a.citations] == [to_halfwidth(c.quote) for c in b.citations], q
        assert all(published.library.text_of(c.report)[c.start : c.end] == c.quote for c in b.citations)
