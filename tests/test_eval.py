"""Eval machinery: metrics on hand-made cases, question loading, the gate, the report, and the real gate run."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qa.evaluate import gate, metrics
from qa.evaluate import report as evalreport
from qa.evaluate import run as evaluate
from qa.report.corpus import load_report

ROOT = Path(__file__).resolve().parent.parent
TEXT = "0123456789abcdefghijklmnopqrstuvwxyz"  # a toy "report": offsets are easy to read


def result(passages: list[tuple[int, int]], cited: list[tuple[int, int]], abstained: bool = False, ms: float = 5.0):
    """An ``ask --json``-shaped dict whose texts are the toy report between the given offsets."""
    return {
        "abstained": abstained,
        "citations": [{"start": s, "end": e, "quote": TEXT[s:e]} for s, e in cited],
        "passages": [{"start": s, "end": e, "text": TEXT[s:e]} for s, e in passages],
        "timings_ms": {"total": ms},
    }


# --- offsets --------------------------------------------------------------------------------------------------


def test_find_spans_and_covers() -> None:
    assert metrics.find_spans("abcabc", "bc") == [(1, 3), (4, 6)]
    assert metrics.find_spans("aaa", "aa") == [(0, 2), (1, 3)]
    assert metrics.find_spans("abc", "x") == []
    assert metrics.covers([(0, 5), (5, 9)], (2, 8))  # two adjacent passages together
    assert not metrics.covers([(0, 5), (6, 9)], (2, 8))  # a one-character gap
    assert not metrics.covers([(3, 9)], (2, 8))  # starts one character late
    assert metrics.covers([(2, 8)], (2, 8))


def test_first_rank_is_where_the_union_first_covers() -> None:
    passages = [(20, 30), (0, 5), (5, 10)]
    assert metrics.first_rank(passages, [(3, 8)]) == 3  # needs passages 2 and 3
    assert metrics.first_rank(passages, [(40, 41), (21, 22)]) == 1  # any occurrence will do
    assert metrics.first_rank(passages, [(30, 31)]) is None  # a touching span does not count


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert metrics.percentile(values, 50) == 10.0
    assert metrics.percentile(values, 95) == 19.0
    assert metrics.percentile([7.0], 95) == 7.0


def test_percentile_is_always_one_of_the_values_and_refuses_what_it_cannot_rank() -> None:
    values = [5.0, 1.0, 3.0]
    assert [metrics.percentile(values, q) for q in (1, 33, 34, 67, 100)] == [1.0, 1.0, 3.0, 5.0, 5.0]
    for bad_values, q in (([], 50), (values, 0), (values, 101)):
        with pytest.raises(ValueError):
            metrics.percentile(bad_values, q)


@pytest.mark.parametrize("script", ["bench.py", "load_test.py"])
def test_the_scripts_use_the_one_percentile(script: str) -> None:
    spec = importlib.util.spec_from_file_location(script[:-3], ROOT / "scripts" / script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.percentile is metrics.percentile


# --- per-question scores ---------------------------------------------------------------------------------------


def test_score_two_gold_quotes() -> None:
    gold = [[(10, 14)], [(30, 33)]]  # "abcd", "uvw"
    passages = [(0, 9), (10, 20), (20, 29), (29, 36)] + [(0, 1)] * 6
    s = metrics.score(result(passages, cited=[(10, 15), (0, 3)]), gold, True, TEXT)
    assert s["ranks"] == [2, 4]
    assert s["recall@1"] == 0.0 and s["recall@5"] == 1.0 and s["recall@10"] == 1.0
    assert s["rr"] == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert s["answer_hit"] is True  # the first citation covers "abcd"
    assert s["citation_precision"] == 0.5  # the second citation touches no gold quote
    assert s["verbatim"] is True


def test_partial_citation_is_not_a_hit_but_counts_for_precision() -> None:
    s = metrics.score(result([(10, 12)], cited=[(10, 12)]), [[(10, 14)]], True, TEXT)
    assert s["answer_hit"] is False and s["citation_precision"] == 1.0
    assert s["ranks"] == [None] and s["rr"] == 0.0


def test_verbatim_fails_on_a_shifted_quote() -> None:
    r = result([(0, 5)], cited=[(10, 14)])
    r["citations"][0]["start"] = 11
    assert metrics.score(r, None, None, TEXT)["verbatim"] is False


def test_score_without_gold_keeps_only_what_it_can() -> None:
    s = metrics.score(result([(0, 5)], cited=[]), None, None, TEXT)
    assert set(s) == {"abstained", "latency_ms", "verbatim"}


def test_summarize_known_numbers() -> None:
    scores = [
        metrics.score(result([(10, 14)], [(10, 14)], ms=10.0), [[(10, 14)]], True, TEXT),  # rank 1, hit
        metrics.score(result([(0, 5)], [], abstained=True, ms=20.0), [[(10, 14)]], True, TEXT),  # false refusal
        metrics.score(result([(0, 5)], [], abstained=True, ms=30.0), None, False, TEXT),  # right abstention
        metrics.score(result([(0, 5)], [(0, 3)], ms=40.0), None, False, TEXT),  # answered the unanswerable
    ]
    s = metrics.summarize(scores)
    assert s["n"] == 4
    assert s["recall@1"] == 0.5 and s["mrr"] == 0.5 and s["answer_hit"] == 0.5
    assert s["citation_precision"] == 1.0  # only the question with gold and citations counts
    assert s["abstention_accuracy"] == 0.5 and s["false_refusal"] == 0.5
    assert s["latency_p50_ms"] == 20.0 and s["latency_p95_ms"] == 40.0
    assert metrics.support(scores)["citation_precision"] == 1
    assert metrics.failures({}, scores[3]) == ["answered an unanswerable question"]


def test_a_decline_reason_fits_the_kind_of_unanswerable_question() -> None:
    def declined(reason: str, kind: str | None, answerable: bool = False) -> dict:  # type: ignore[type-arg]
        return metrics.score({**result([(0, 5)], [], abstained=True), "reason": reason}, None, answerable, TEXT, kind)

    scores = [
        declined("abstain_year", "other-year"),  # fits
        declined("abstain_howto", "near-miss"),  # a how-to reason for a figure the report leaves out: does not fit
        declined("partial", "detail-left-out"),  # answered in part: fits
        declined("abstain", "opinion"),  # an opinion declined plainly: does not fit
    ]
    assert [s["reason_fit"] for s in scores] == [True, False, True, False]
    assert "reason_fit" not in declined("abstain", None)  # no kind: nothing to fit
    assert "reason_fit" not in declined("abstain", "opinion", answerable=True)  # a false refusal is counted there
    answered = metrics.score({**result([(0, 5)], [(0, 3)]), "reason": ""}, None, False, TEXT, "opinion")
    assert "reason_fit" not in answered  # an answered unanswerable question counts against abstention instead
    s = metrics.summarize([*scores, answered])
    assert s["reason_fit"] == 0.5 and metrics.support([*scores, answered])["reason_fit"] == 4
    assert metrics.failures({}, scores[1]) == ["declined with a reason that does not fit its kind"]


def test_skipped_metrics_say_so() -> None:
    no_gold = [metrics.score(result([(0, 5)], []), None, None, TEXT)] * 3
    notes = " ".join(metrics.skipped(no_gold))
    assert "Recall@k, MRR, answer hit, citation precision: skipped" in notes
    assert "Abstention accuracy, false-refusal rate: skipped" in notes
    assert set(metrics.summarize(no_gold)) == {"n", "verbatim", "latency_p50_ms", "latency_p95_ms"}


def test_breakdown_groups_and_drops_single_valued_fields() -> None:
    qs = [{"lang": "en", "split": "test"}, {"lang": "zh-Hans", "split": "test"}, {"lang": "en", "split": "test"}]
    scores = [metrics.score(result([(10, 14)], []), [[(10, 14)]], True, TEXT)] * 3
    b = metrics.breakdown(qs, scores)
    assert list(b) == ["lang"]
    assert b["lang"]["en"]["n"] == 2 and b["lang"]["zh-Hans"]["recall@1"] == 1.0


# --- loading ---------------------------------------------------------------------------------------------------


def test_jsonl_errors_name_lines_and_the_rest_still_load(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    lines = ['{"id": "a", "question": "一"}', "{oops", "", '{"question": "no id"}', '{"id": "b", "question": "二"}']
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, errors = evaluate.load_questions(f)
    assert [r["id"] for r in rows] == ["a", "b"]
    assert len(errors) == 2 and ":2:" in errors[0] and ":4:" in errors[1]


def test_invalid_utf8_and_over_long_csv_fields_are_named_not_raised(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    f.write_bytes('{"id": "a", "question": "一"}\n'.encode() + b'{"id": "x", "question": "\xff\xfe"}\n')
    rows, errors = evaluate.load_questions(f)
    assert [r["id"] for r in rows] == ["a"]
    assert errors == [f"{f}:2: not valid UTF-8 (byte 0xff at column 26); line skipped"]
    c = tmp_path / "big.csv"
    c.write_text("question\n今年目标\n" + "长" * 140_000 + "\n去年成绩\n", encoding="utf-8")
    rows, errors = evaluate.load_questions(c)
    assert [r["question"] for r in rows] == ["今年目标", "去年成绩"]  # the rows after it are read
    assert errors == [f"{c}:3: field larger than field limit (131072); row skipped"]


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("empty.jsonl", b"", "{f}: the file is empty (or blank)"),
        ("blank.csv", b"\n \n", "{f}: the file is empty (or blank)"),
        (
            "utf8.jsonl",
            b'{"id": "x", "question": "\xff"}\n',
            "{f}:1: not valid UTF-8 (byte 0xff at column 26); line skipped",
        ),
        (
            "big.csv",
            b"question\n" + "长".encode() * 140_000 + b"\n",
            "{f}:2: field larger than field limit (131072); row skipped",
        ),
        ("noq.csv", b"id,text\n1,x\n", "{f}: CSV needs a 'question' column"),
    ],
)
def test_a_file_without_a_question_to_ask_is_one_line_before_the_model_loads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    said: str,
) -> None:
    monkeypatch.setattr("qa.answer.engine.load_qa", no_model)
    f = tmp_path / name
    f.write_bytes(content)
    from qa.cli import parser

    assert evaluate.main(parser().parse_args(["eval", "--questions", str(f), "--no-report"])) == 2
    assert capsys.readouterr().err.splitlines() == [f"qa eval: {said.format(f=f)}"]


def no_model(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the model was loaded")


@pytest.mark.parametrize(
    ("flag", "target", "said"),
    [
        ("--out", "/proc/nope.jsonl", "/proc/nope.jsonl: nothing can be created in /proc (No such file or directory)"),
        ("--out", "{tmp}", "{tmp}: Is a directory"),
        (
            "--out",
            "{tmp}/set.jsonl/x/out.jsonl",
            "{tmp}/set.jsonl/x/out.jsonl: {tmp}/set.jsonl is a file, not a folder",
        ),
        ("--report-dir", "/proc/nope", "/proc/nope: nothing can be created in /proc (No such file or directory)"),
        ("--report-dir", "{tmp}/set.jsonl", "{tmp}/set.jsonl: {tmp}/set.jsonl is a file, not a folder"),
    ],
)
def test_an_unwritable_output_says_cannot_write_before_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    target: str,
    said: str,
) -> None:
    monkeypatch.setattr("qa.answer.engine.load_qa", no_model)
    f = tmp_path / "set.jsonl"
    f.write_text('{"id": "a", "question": "今年新增就业目标是多少?"}\n', encoding="utf-8")
    from qa.cli import parser

    args = parser().parse_args(["eval", "--questions", str(f), flag, target.format(tmp=tmp_path)])
    assert evaluate.main(args) == 2
    assert capsys.readouterr().err.splitlines() == [f"qa eval: cannot write {said.format(tmp=tmp_path)}"]
    assert f.read_text(encoding="utf-8").startswith('{"id": "a"')  # nothing truncated or removed on the way


def test_csv_with_optional_answer(tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    f.write_text('question,answer\n"Q one","abcd"\n,\n"Q two",\n', encoding="utf-8")
    rows, errors = evaluate.load_questions(f)
    assert [r["question"] for r in rows] == ["Q one", "Q two"]
    assert rows[0]["gold_answer"] == "abcd" and "gold_answer" not in rows[1]
    assert errors == [f"{f}:3: empty question"]
    golds, answerable, warnings = evaluate.resolve_gold(rows, [TEXT] * len(rows))
    assert golds == [[[(10, 14)]], None] and answerable == [True, None] and warnings == []


def test_missing_gold_quote_is_a_warning_not_a_zero() -> None:
    golds, answerable, warnings = evaluate.resolve_gold([{"id": "x", "question": "?", "gold_quotes": ["ZZ"]}], [TEXT])
    assert golds == [None] and answerable == [None] and "x: gold quote not in the report" in warnings[0]


def check_set_module() -> Any:
    spec = importlib.util.spec_from_file_location("check_set", ROOT / "eval" / "check_set.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["check_set"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def test_question_set_passes_its_checker() -> None:
    assert check_set_module().check(ROOT / "eval" / "qa.jsonl") == []


@pytest.mark.parametrize(
    ("name", "n"), [("liwan-blind.jsonl", 300), ("liwan-blind-2.jsonl", 291), ("liwan-blind-3.jsonl", 261)]
)
def test_the_blind_probe_sets_quote_the_report_verbatim(name: str, n: int) -> None:
    """eval/probe/: unique ids and questions, the three statuses, every gold quote in the report as given."""
    lines = (ROOT / "eval" / "probe" / name).read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    text = load_report().text
    assert len({r["id"] for r in rows}) == len({r["question"] for r in rows}) == len(rows) == n
    assert {r.get("expected_status", "answered") for r in rows} == {"answered", "partial", "declined"}
    assert all(r["answerable"] == ("expected_status" not in r) for r in rows)
    assert all(q in text for r in rows for q in r["gold_quotes"])
    assert all(r["gold_quotes"] for r in rows if r["answerable"])


def test_the_checker_places_quotes_where_the_app_cites_them() -> None:
    mod = check_set_module()
    report = load_report()
    index = mod.build_line_index(report.text)
    for p in report.paragraphs:  # one parser: the checker's breadcrumb is the app's
        assert mod.locate(report.text, index, p.text).breadcrumb == p.breadcrumb
    closing = "梦虽遥,追则能达;愿虽艰,持则可圆。"
    info = mod.locate(report.text, index, closing)
    assert (info.breadcrumb, info.key) == ("结尾", "结尾")
    rec = {
        "id": "q999",
        "question": "?",
        "persona": "resident",
        "lang": "zh-Hans",
        "answerable": True,
        "gold_quotes": [closing],
        "gold_answer": "a",
        "section": "结尾 › 结束语",  # the label of the checker's own parser, before it used the app's
        "kind": "fact",
        "split": "dev",
    }
    assert "does not match any gold quote location" in mod.check_record(1, rec, report.text, index)[0]
    assert mod.check_record(1, {**rec, "section": "结尾"}, report.text, index) == []


# --- the gate --------------------------------------------------------------------------------------------------


def test_gate_names_each_metric_below_its_floor() -> None:
    expected = gate.pin(
        {"recall@5": 0.90, "false_refusal": 0.05, "verbatim": 1.0, "latency_p95_ms": 10.0},
        {"recall@5": 100, "false_refusal": 100, "verbatim": 100, "latency_p95_ms": 100},
        {"set_sha256": "abc", "model": "m", "split": "test"},
    )
    assert expected["metrics"]["recall@5"]["tolerance"] == 0.01  # one question of 100
    assert expected["metrics"]["recall@5"]["floor"] == 0.90  # below its 0.95 target: today's value
    assert expected["metrics"]["latency_p95_ms"]["tolerance"] == 40.0  # up to the 50 ms target
    assert gate.tolerance("latency_p95_ms", 40.0, 100) == 60.0  # twice the pinned value + 20 ms
    now = {"recall@5": 0.87, "false_refusal": 0.06, "verbatim": 0.99, "latency_p95_ms": 50.0}
    problems = gate.compare(expected, now, {"set_sha256": "abc", "model": "m", "split": "test"})
    assert len(problems) == 2
    assert problems[0].startswith("recall@5: 0.87 is worse than its floor 0.9")
    assert problems[1].startswith("verbatim: 0.99")
    assert gate.compare(expected, {**now, "recall@5": 0.95, "verbatim": 1.0}) == []  # better is fine
    worse = gate.compare(expected, {**now, "recall@5": 0.9, "verbatim": 1.0, "false_refusal": 0.08})
    assert worse and worse[0].startswith("false_refusal: 0.08 is worse than its floor 0.05")
    slow = gate.compare(expected, {**now, "recall@5": 0.9, "verbatim": 1.0, "latency_p95_ms": 50.5})
    assert len(slow) == 1 and slow[0].startswith("latency_p95_ms: 50.5 is worse than its pinned value 10")
    moved = gate.compare(expected, {**now, "recall@5": 0.9, "verbatim": 1.0}, {"set_sha256": "new"})
    assert any(p.startswith("set_sha256 changed") for p in moved)


def test_pinning_never_lowers_a_floor_without_a_reason() -> None:
    meta = {"set_sha256": "abc", "model": "m", "split": "test"}
    counts = {"abstention_accuracy": 60, "recall@5": 100}
    first = gate.pin({"abstention_accuracy": 0.60, "recall@5": 0.97}, counts, meta)
    assert first["metrics"]["recall@5"]["floor"] == 0.95  # past the target: the floor is the target
    raised = gate.pin({"abstention_accuracy": 0.70, "recall@5": 0.96}, counts, meta, first)
    assert raised["metrics"]["abstention_accuracy"]["floor"] == 0.70
    same = gate.pin({"abstention_accuracy": 0.69, "recall@5": 0.96}, counts, meta, raised)
    # a re-pin after a drop within the tolerance (one question) keeps the old floor
    assert same["metrics"]["abstention_accuracy"]["floor"] == 0.70
    with pytest.raises(gate.FloorLowered, match=r"abstention_accuracy: 0\.5 would lower the floor 0\.7"):
        gate.pin({"abstention_accuracy": 0.50, "recall@5": 0.96}, counts, meta, raised)
    lowered = gate.pin({"abstention_accuracy": 0.50, "recall@5": 0.96}, counts, meta, raised, reason="harder set")
    assert lowered["metrics"]["abstention_accuracy"]["floor"] == 0.50
    assert lowered["lowered"][-1] | {"date": "-"} == {
        "date": "-",
        "metric": "abstention_accuracy",
        "from": 0.7,
        "to": 0.5,
        "reason": "harder set",
    }


def test_per_language_metrics_are_gated() -> None:
    by_lang = {"en": {"answer_hit": 0.8, "recall@5": 0.9}, "zh-Hans": {"answer_hit": 0.95, "recall@5": 1.0}}
    g = gate.gated({"answer_hit": 0.9, "n": 10.0}, by_lang)
    assert g == {"answer_hit": 0.9, "answer_hit[en]": 0.8, "recall@5[en]": 0.9, "answer_hit[zh-Hans]": 0.95,
                 "recall@5[zh-Hans]": 1.0}  # fmt: skip
    expected = gate.pin(g, {"answer_hit[en]": 50}, {})
    problems = gate.compare(expected, {**g, "answer_hit[en]": 0.7})
    assert problems == ["answer_hit[en]: 0.7 is worse than its floor 0.8 (tolerance 0.02)"]


# --- end to end without the model ------------------------------------------------------------------------------


class StubQA:
    """Answers with the toy report: a question naming offsets "s-e" is cited and ranked there."""

    def __init__(self) -> None:
        manifest = SimpleNamespace(model="stub/model-x", to_json=lambda: {"model": "stub/model-x"})
        self.index = SimpleNamespace(report=SimpleNamespace(text=TEXT, id="toy"), manifest=manifest)
        self.library = SimpleNamespace(ids=lambda: ("toy",), text_of=lambda rid: TEXT)
        self.seen: list[tuple[str, ...]] = []  # the rankings each question was asked with
        self.calls: list[str] = []  # "forget", or the rankings of a question asked

    def forget(self) -> None:
        """Record that the kept answers and vectors were forgotten."""
        self.calls.append("forget")

    def ask(self, question: str, report: str | None = None, retrievers: tuple[str, ...] = ()) -> Any:
        """Cite the span the question names, or abstain."""
        self.seen.append(retrievers)
        self.calls.append(",".join(retrievers))
        if "-" not in question:
            return SimpleNamespace(to_json=lambda: result([(0, 5)], [], abstained=True))
        s, e = (int(x) for x in question.split("-"))
        return SimpleNamespace(to_json=lambda: result([(s, e)], [(s, e)]))


def test_main_runs_variants_writes_report_and_reports_bad_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stub = StubQA()
    monkeypatch.setattr("qa.answer.engine.load_qa", lambda *a, **k: stub)
    f = tmp_path / "set.jsonl"
    rows = [
        {"id": "a", "question": "10-14", "gold_quotes": ["abcd"], "lang": "en"},
        {"id": "b", "question": "no idea", "answerable": False, "lang": "zh-Hans"},
    ]
    f.write_text(json.dumps(rows[0]) + "\nnot json\n" + json.dumps(rows[1]) + "\n", encoding="utf-8")
    from qa.cli import parser

    args: argparse.Namespace = parser().parse_args(
        ["eval", "--questions", str(f), "--report-dir", str(tmp_path / "r"), "--variants", "hybrid,dense"]
    )
    assert evaluate.main(args) == 1  # the malformed line makes the exit code non-zero
    out, err = capsys.readouterr()
    assert f"{f}:2: not JSON" in err
    assert "Recall@1" in out and "hybrid" in out and "dense" in out
    assert set(stub.seen) == {("dense", "words", "bigrams", "keys", "mapped"), ("dense",)}
    # each variant forgets the kept vectors first: it times new questions, not the ones the last one asked
    assert stub.calls[0] == "forget" and stub.calls[stub.calls.index("dense") - 1] == "forget"
    assert stub.calls.count("forget") == 2
    stem = evalreport.report_stem(dt.date.today().isoformat(), "stub/model-x")
    assert stem.endswith("-model-x")
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == [f"{stem}.json", f"{stem}.md", f"{stem}.png"]
    data = json.loads((tmp_path / "r" / names[0]).read_text())
    assert data["variants"]["hybrid"]["summary"]["recall@1"] == 1.0
    assert data["variants"]["hybrid"]["summary"]["abstention_accuracy"] == 1.0
    assert data["meta"]["set_sha256"] == evaluate.file_sha256(f)
    md = (tmp_path / "r" / names[1]).read_text()
    assert "stub/model-x" in md and data["meta"]["set_sha256"] in md and "not JSON" in md


# --- the real engine ------------------------------------------------------------------------------------------


@pytest.mark.model
def test_quality_gate(real_qa: Any) -> None:
    """The test split through the shipped engine must not fall past eval/expected.json's tolerances."""
    expected = gate.load_expected()
    qs, errors = evaluate.load_questions(ROOT / "eval" / "qa.jsonl")
    assert errors == []
    qs = [q for q in qs if q.get("split") == "test"]
    meta = {
        "set_sha256": evaluate.file_sha256(ROOT / "eval" / "qa.jsonl"),
        "model": real_qa.index.manifest.model,
        "split": "test",
    }
    summary, _ = evaluate.gate_summary(real_qa, qs)
    problems = gate.compare(expected, summary, meta)
    assert not problems, "quality gate failed:\n  " + "\n  ".join(problems)


@pytest.mark.model
def test_gate_fails_when_the_answerability_model_is_switched_off(real_qa: Any) -> None:
    """With the model switched off (every question answered), the gate must fail on abstention."""
    qs = [q for q in evaluate.load_questions(ROOT / "eval" / "qa.jsonl")[0] if q.get("split") == "test"]
    shipped = real_qa.model
    real_qa.model = dataclasses.replace(shipped, answer_threshold=0.0)  # P(answered) >= 0 always: answer all
    try:
        summary, _ = evaluate.gate_summary(real_qa, qs)
    finally:
        real_qa.model = shipped
    problems = gate.compare(gate.load_expected(), summary)
    assert any(p.startswith("abstention_accuracy:") for p in problems), problems
