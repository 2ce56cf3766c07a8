"""Many reports in one index: picking the report a question is about, years read from each report,
the CLI's --corpus/--report/$QA_CORPUS, and promises kept across reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_qa

from qa.answer.engine import QA
from qa.ledger.build import build_ledger
from qa.ledger.promises import all_promises, successive
from qa.report.corpus import CorpusError, corpus_files, load_report
from qa.search.index import index_dir_for

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "tests" / "data" / "corpora"  # copies of the six reports of ../shared/corpora
NATIONAL = (CORPORA / "national-2024.txt", CORPORA / "national-2025.txt")


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> QA:
    """The real engine over the State Council's 2024 and 2025 reports."""
    from qa.search.embedding import load_embedder
    from qa.search.index import open_index

    embedder = load_embedder(None)
    return QA(open_index(embedder, index_dir=tmp_path_factory.mktemp("national"), corpus=NATIONAL), embedder)


def test_a_folder_is_its_txt_files_and_ids_are_unique(tmp_path: Path) -> None:
    assert [p.name for p in corpus_files([CORPORA])] == sorted(p.name for p in CORPORA.glob("*.txt"))
    assert len(corpus_files([CORPORA])) == 6
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        (tmp_path / d / "same.txt").write_text("各位代表:\n一、2024年工作回顾\n正文。\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="two reports with the id 'same'"):
        corpus_files([tmp_path / "a", tmp_path / "b"])
    with pytest.raises(CorpusError, match="no such report"):
        corpus_files([tmp_path / "missing.txt"])
    assert index_dir_for(corpus_files([CORPORA])) != index_dir_for(corpus_files([CORPORA / "national-2025.txt"]))


def test_promises_pair_a_years_targets_with_the_next_reports_results() -> None:
    reports = tuple(load_report(p) for p in NATIONAL)
    assert [(a.id, b.id) for a, b in successive(reports)] == [("national-2024", "national-2025")]
    found = all_promises(reports, {r.id: build_ledger(r) for r in reports})
    hand = [json.loads(line) for line in (ROOT / "tests/data/corpora/promises-national-2024-2025.jsonl").open()]
    numeric = [h for h in hand if any(ch.isdigit() for ch in h["target_quote"])]
    paired = {p.target.quote: p.result.quote for p in found}
    hits = [h for h in numeric if any(h["target_quote"] in t and h["result_quote"] in paired[t] for t in paired)]
    assert len(hits) >= 5, [h["indicator"] for h in numeric if h not in hits]  # of the 7 figures counted by hand
    for p in found:  # every pair found is of one indicator and one year, quoted from the two reports
        assert (p.target.report, p.result.report) == ("national-2024", "national-2025")
        assert p.target.year == p.result.year == 2024 and p.target.base_unit == p.result.base_unit


def test_a_years_target_is_quoted_beside_the_next_reports_result(national: QA) -> None:
    a = national.ask("2024年的国内生产总值增长目标完成了吗?")
    assert a.status == "answered"
    quoted = {(c.report, c.quote) for c in a.citations}
    assert any(r == "national-2024" and "国内生产总值增长5%左右" in q for r, q in quoted)
    assert any(r == "national-2025" and "国内生产总值达到134.9万亿元、增长5%" in q for r, q in quoted)


def test_a_rate_is_no_answer_to_an_amount_asked_in_yuan(national: QA) -> None:
    """The 2025 report gives income growth (实际增长5.1%), not the income in yuan: partial, the amount missing."""
    a = national.ask("2024年居民人均可支配收入是多少元?")
    assert a.status == "partial" and a.missing == "居民人均可支配收入的具体金额"
    assert "居民人均可支配收入实际增长5.1%" in a.citations[0].quote
    b = national.ask("2024年居民人均可支配收入实际增长百分之几?")
    assert b.status == "answered" and "居民人均可支配收入实际增长5.1%" in b.citations[0].quote


def test_each_reports_own_years(national: QA) -> None:
    a = national.ask("2023年国内生产总值是多少?", report="national-2024")  # the 2024 report reviews 2023
    assert a.status != "declined" or a.reason != "abstain_year"
    b = national.ask("2026年国内生产总值增长目标是多少?", report="national-2025")
    assert b.status == "declined" and "2024" in b.answer and "2025" in b.answer  # it names that report's years
    c = national.ask("今年国内生产总值增长目标是多少?", report="national-2024")  # 今年 = the report's plan year
    assert c.citations and all(x.report == "national-2024" for x in c.citations)
    assert "国内生产总值增长5%左右" in " ".join(x.quote for x in c.citations)


def test_a_question_naming_a_year_picks_the_reports_of_that_year(national: QA) -> None:
    scope = national.library.scope("2023年城镇新增就业多少人?")
    assert scope.ids == {"national-2024"}  # only the 2024 report speaks of 2023
    assert national.library.scope("城镇新增就业多少人?").ids == {"national-2024", "national-2025"}


def test_cli_answers_from_the_report_named(tmp_path: Path) -> None:
    env = {"QA_INDEX_DIR": str(tmp_path)}
    corpus = ["--corpus", str(NATIONAL[0]), "--corpus", str(NATIONAL[1])]
    r = run_qa("ask", *corpus, "--report", "national-2025", "--json", "今年国内生产总值增长目标是多少?", env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["citations"] and {c["report"] for c in d["citations"]} == {"national-2025"}
    text = NATIONAL[1].read_text(encoding="utf-8")
    assert all(text[c["start"] : c["end"]] == c["quote"] for c in d["citations"])
    bad = run_qa("ask", *corpus, "--report", "nope", "今年GDP目标?", env=env)
    assert bad.returncode == 2 and "national-2024, national-2025" in bad.stderr
    via_env = run_qa("ask", "今年国内生产总值增长目标是多少?", env={**env, "QA_CORPUS": str(NATIONAL[1])})
    assert via_env.returncode == 0 and "国内生产总值增长5%左右" in via_env.stdout
    missing = run_qa("ask", "--corpus", str(tmp_path / "nope.txt"), "问题", env=env)
    assert missing.returncode == 2 and "no such report" in missing.stderr and "Traceback" not in missing.stderr


def test_ledger_per_report_and_promises_through_the_cli() -> None:
    r = run_qa("ledger", "--corpus", str(CORPORA), "--report", "guangdong-2025", "--json", "--figures")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows and {row["report"] for row in rows} == {"guangdong-2025"}
    assert any(row["quote"] == "地区生产总值增长5%左右" and row["year"] == 2025 for row in rows)
    p = run_qa("ledger", "--corpus", str(NATIONAL[0]), "--corpus", str(NATIONAL[1]), "--promises", "--json")
    assert p.returncode == 0 and any(x["indicator"] == "国内生产总值增长" for x in json.loads(p.stdout))


def test_six_reports_through_the_cli(tmp_path: Path) -> None:
    """eval/corpora/ (140 questions written from six real reports) asked through `qa eval`, scored by report."""
    r = run_qa(
        "eval",
        "--corpus",
        str(CORPORA),
        "--questions",
        "eval/corpora",
        "--variants",
        "hybrid",
        "--report-dir",
        str(tmp_path / "reports"),
        env={"QA_INDEX_DIR": str(tmp_path / "index")},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(next((tmp_path / "reports").glob("*.json")).read_text(encoding="utf-8"))
    by_report = data["variants"]["hybrid"]["breakdown"]["report"]
    pinned = json.loads((ROOT / "eval" / "corpora" / "expected.json").read_text(encoding="utf-8"))["reports"]
    assert set(by_report) == set(pinned) == {p.stem for p in CORPORA.glob("*.txt")}
    problems = []
    for rid, metrics in pinned.items():
        for name, m in metrics.items():
            got = by_report[rid][name]
            if "floor" in m and got < m["floor"] - m["tolerance"] - 1e-9:
                problems.append(f"{rid} {name} {got:.3f} < floor {m['floor']}")
            if "ceiling" in m and got > m["ceiling"] + m["tolerance"] + 1e-9:
                problems.append(f"{rid} {name} {got:.3f} > ceiling {m['ceiling']}")
    assert not problems, problems
