"""The `qa` command: errors on bad input, --json output, a refused stale index."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_qa

ROOT = Path(__file__).resolve().parent.parent


def qa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_qa(*args, env=env, timeout=300)


@pytest.mark.parametrize("question", ["", "   ", "\t\n"])
def test_empty_question_is_a_clear_error(question: str) -> None:
    r = qa("ask", question)
    assert r.returncode == 2
    assert "请输入一个问题" in r.stdout and "qa:" in r.stderr
    assert "Traceback" not in r.stderr


def test_empty_question_json_says_so() -> None:
    r = qa("ask", "--json", " ")
    d = json.loads(r.stdout)
    assert r.returncode == 2 and d["error"] and d["abstained"] is True and d["citations"] == []


def test_over_long_question_is_a_clear_error() -> None:
    r = qa("ask", "问" * 5000)
    assert r.returncode == 2 and "太长" in r.stdout


def test_usage_error_without_a_question() -> None:
    r = qa("ask")
    assert r.returncode == 2 and "usage" in r.stderr


@pytest.mark.model
def test_ask_json_and_refused_stale_index(tmp_path: Path) -> None:
    env = {"QA_INDEX_DIR": str(tmp_path)}
    r = qa("ask", "--no-rebuild", "今年新增就业目标是多少", env=env)
    assert r.returncode == 3 and "no index" in r.stderr and "Traceback" not in r.stderr
    r = qa("ask", "--json", "今年新增就业目标是多少", env=env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert not d["abstained"] and "1万人以上" in d["answer"] and len(d["passages"]) >= 10
    manifest = next(tmp_path.glob("build-*/manifest.json"))
    m = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**m, "chunker_version": "old"}))
    r = qa("ask", "--no-rebuild", "今年新增就业目标是多少", env=env)
    assert r.returncode == 3 and "does not match" in r.stderr and "chunker" in r.stderr


def test_every_verb_is_on_the_command_line_and_a_broken_one_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.cli import parser

    verbs = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(verbs) == {"build", "ask", "serve", "eval", "train", "ledger"}
    monkeypatch.setitem(sys.modules, "qa.ledger.cli", None)  # importing it now raises ImportError
    with pytest.raises(ImportError):
        parser()  # not a `qa` without its ledger verb


def test_missing_question_file_is_a_clear_error() -> None:
    r = qa("eval", "--questions", "/nonexistent/questions.jsonl", "--no-report")
    assert r.returncode == 2 and "cannot read /nonexistent/questions.jsonl" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_variant_is_one_line() -> None:
    r = qa("eval", "--variants", "nope", "--no-report")
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["qa eval: unknown variant(s) ['nope']; choose from ['bm25', 'dense', 'hybrid']"]


@pytest.mark.parametrize(
    ("env", "args", "said"),
    [
        ({"QA_PORT": "abc"}, (), "QA_PORT='abc'"),
        ({"QA_PORT": "99999"}, (), "QA_PORT='99999'"),
        ({"QA_PORT": "7860"}, ("--port", "99999"), "--port '99999'"),  # the flag wins over the environment
        ({}, ("--port", "-1"), "--port '-1'"),
    ],
)
def test_a_bad_port_is_one_line_naming_its_setting(env: dict[str, str], args: tuple[str, ...], said: str) -> None:
    r = qa("serve", *args, env=env)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"qa: {said} is not a port number (a whole number from 1 to 65535)"]


def test_app_py_names_only_the_settings_it_reads() -> None:
    r = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QA_PORT": "abc"},
    )
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["app.py: QA_PORT='abc' is not a port number (a whole number from 1 to 65535)"]


def test_unloadable_model_is_a_clear_error() -> None:
    r = qa("ask", "--model", "/nonexistent/model-folder", "你好", env={"HF_HUB_OFFLINE": "1"})
    assert r.returncode == 3 and "cannot load the embedding model" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("argv", "question", "json_out", "report"),
    [
        (["ask", "-今年新增就业目标是多少?"], "-今年新增就业目标是多少?", False, None),
        (["ask", "-x"], "-x", False, None),
        (["ask", "--json", "-5%", "是什么意思"], "-5% 是什么意思", True, None),
        (["ask", "--json", "-a", "-b"], "-a -b", True, None),
        (["ask", "--report", "national-2024", "-x"], "-x", False, "national-2024"),
        (["ask", "--rep=national-2024", "-x"], "-x", False, "national-2024"),
        (["ask", "--", "--json", "-x"], "--json -x", False, None),
        (["ask", "-1"], "-1", False, None),
    ],
)
def test_a_question_may_start_with_a_dash(argv: list[str], question: str, json_out: bool, report: str | None) -> None:
    from qa.cli import keep_dash_words, parser, question_of

    args = parser().parse_args(keep_dash_words(argv))
    assert (question_of(args.question), args.json, args.report) == (question, json_out, report)


def test_ask_value_options_are_the_parsers() -> None:
    from qa.cli import ASK_VALUE_OPTIONS, parser

    ask = parser()._subparsers._group_actions[0].choices["ask"]  # type: ignore[union-attr]
    taking = {o for act in ask._actions if act.nargs != 0 for o in act.option_strings}
    assert taking == set(ASK_VALUE_OPTIONS)


def test_dash_words_outside_a_question_are_still_errors() -> None:
    r = qa("ask", "--jsn", "今年")
    assert r.returncode == 2 and "unrecognized arguments: --jsn" in r.stderr
    r = qa("build", "-x")
    assert r.returncode == 2 and "unrecognized arguments: -x\n" in r.stderr
    r = qa("ask", "a", "--json", "-b")  # argparse reads a question's words in one run, not around options
    assert r.returncode == 2 and r.stderr.endswith("unrecognized arguments: -b\n")
    # a question starting with "-" reaches the engine: this one is refused for its length, without a model
    r = qa("ask", "-" + "问" * 400)
    assert r.returncode == 2 and "太长" in r.stdout and "usage" not in r.stderr
