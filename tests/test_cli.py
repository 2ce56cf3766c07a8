"""The `qa` command: errors on bad input, --json output, a refused stale index."""

from __future__ import annotations

import argparse
import json
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


def test_unknown_variant_and_bad_port_are_usage_errors() -> None:
    r = qa("eval", "--variants", "nope", "--no-report")
    assert r.returncode == 2 and "unknown variant(s) ['nope']" in r.stderr and "Traceback" not in r.stderr
    for env, args in (({"QA_PORT": "abc"}, ()), ({}, ("--port", "99999"))):
        r = qa("serve", *args, env=env)
        assert r.returncode == 2 and "is not a port number" in r.stderr and "Traceback" not in r.stderr


def test_unloadable_model_is_a_clear_error() -> None:
    r = qa("ask", "--model", "/nonexistent/model-folder", "你好", env={"HF_HUB_OFFLINE": "1"})
    assert r.returncode == 3 and "cannot load the embedding model" in r.stderr
    assert "Traceback" not in r.stderr
