"""The report's own structure: parts, subsections, lead phrases, glossary; offsets round-trip."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from qa.report.chunking import CHUNKER_VERSION, chunk_report, windows
from qa.report.corpus import CORPUS_FILE, load_report, parse
from qa.text.normalize import sentence_spans

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus" / CORPUS_FILE.name

REPORT = load_report()


def titles(part: str) -> list[str]:
    return [s.path[1] for s in REPORT.sections if s.part == part and s.path[1].startswith("(")]


def test_corpus_is_the_shared_report_byte_for_byte() -> None:
    source = (ROOT / "corpus" / "SOURCE.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(CORPUS_FILE.read_bytes()).hexdigest()
    assert digest in source
    assert REPORT.sha256 == digest
    if SHARED.exists():
        assert SHARED.read_bytes() == CORPUS_FILE.read_bytes()


def test_both_parts_and_all_numbered_subsections() -> None:
    heads = {s.path[0] for s in REPORT.sections}
    assert {"一、2024年工作回顾", "二、2025年工作安排", "附件:名词解释", "标题", "开头", "结尾"} <= heads
    review, plan = titles("review"), titles("plan")
    assert [t[: t.index(")") + 1] for t in review] == [f"({n})" for n in "一二三四五六七八"]
    assert [t[: t.index(")") + 1] for t in plan] == [f"({n})" for n in "一二三四五六七八九十"] + ["(十一)"]
    assert "(四)统筹推进教育科技人才一体改革" in plan


def test_unheaded_stretches_are_labelled() -> None:
    crumbs = {s.breadcrumb for s in REPORT.sections}
    assert "二、2025年工作安排 › 主要预期目标" in crumbs
    assert "一、2024年工作回顾 › 困难和挑战" in crumbs
    target = next(s for s in REPORT.sections if s.breadcrumb.endswith("主要预期目标"))
    assert "地区生产总值增长5%左右" in REPORT.text[target.start : target.end]


def test_lead_phrases() -> None:
    leads = {p.lead for p in REPORT.paragraphs if p.lead}
    for lead in ("经济运行持续向好。", "打造荔湾教育品牌。", "落实就业优先战略。", "构筑对外开放新高地。"):
        assert lead in leads
    p = next(p for p in REPORT.paragraphs if p.lead == "打造荔湾教育品牌。")
    assert p.breadcrumb == "二、2025年工作安排 › (四)统筹推进教育科技人才一体改革 › 打造荔湾教育品牌"
    assert p.part == "plan"
    # every paragraph of a numbered subsection body (not the heading line) opens with its lead
    assert sum(1 for p in REPORT.paragraphs if p.lead) >= 50


def test_all_26_glossary_terms() -> None:
    terms = [s.path[1] for s in REPORT.sections if s.part == "glossary" and len(s.path) == 2]
    assert len(terms) == 26
    assert terms[0] == "1. 省委“1310”具体部署"
    assert terms[5] == "6. 五外联动"
    assert terms[-1] == "26. 三个全覆盖"
    six = next(p for p in REPORT.paragraphs if p.path[-1] == "6. 五外联动")
    assert six.text == "6. 五外联动:外贸、外资、外包、外经、外智联动。"


def test_offsets_round_trip_for_sections_paragraphs_and_chunks() -> None:
    for s in REPORT.sections:
        assert 0 <= s.start < s.end <= len(REPORT.text)
    for p in REPORT.paragraphs:
        assert REPORT.text[p.start : p.end] == p.text
    chunks = chunk_report(REPORT)
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert REPORT.text[c.start : c.end] == c.text
        assert c.part in ("review", "plan", "glossary", "other")


def test_every_body_sentence_is_in_exactly_one_chunk() -> None:
    chunks = chunk_report(REPORT)
    covered = sorted((c.start, c.end) for c in chunks)
    for (_, e1), (s2, _) in itertools.pairwise(covered):
        assert e1 <= s2  # no overlaps
    body = [p for p in REPORT.paragraphs if p.part in ("review", "plan")]
    for p in body:
        for s, e in sentence_spans(p.text, p.start):
            inside = [c for c in chunks if c.start <= s and e <= c.end]
            heading_only = p.text.startswith("(") and len(sentence_spans(p.text)) == 1
            assert len(inside) == (0 if heading_only else 1), REPORT.text[s:e]


def test_chunks_are_sentence_windows_and_ids_are_stable() -> None:
    chunks = chunk_report(REPORT)
    assert all(c.text[-1] in "。！？；!?;:”" or c.part == "other" for c in chunks)
    assert max(len(c.text) for c in chunks if c.part != "glossary") < 450
    again = chunk_report(parse(REPORT.text, REPORT.sha256, REPORT.id))
    assert [c.id for c in again] == [c.id for c in chunks]


# The chunks of the report as this CHUNKER_VERSION cuts them (ids hash report, path, start and text).
CHUNKS_PINNED = ("sentwin-3", "cd518e55f6ee123b")


def test_chunker_version_changes_whenever_the_chunks_do() -> None:
    chunks = chunk_report(REPORT)
    digest = hashlib.sha256("\n".join(f"{c.id}\t{c.header}" for c in chunks).encode()).hexdigest()[:16]
    assert (CHUNKER_VERSION, digest) == CHUNKS_PINNED, (
        "chunk boundaries or headers changed: bump CHUNKER_VERSION (so built indexes count as stale) "
        "and pin the new digest with it"
    )


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([(0, 10), (10, 20), (20, 60)], [(0, 60)]),  # short sentences grow one window
        ([(0, 20), (20, 200)], [(0, 20), (20, 200)]),  # but never past the cap
        ([(0, 100), (100, 110)], [(0, 110)]),  # a short tail folds into the window before it
        ([(0, 60), (60, 120), (120, 180)], [(0, 60), (60, 120), (120, 180)]),
    ],
)
def test_windows(spans: list[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    assert windows(spans) == expected
