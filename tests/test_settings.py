"""qa/settings.py: the environment is read when a setting is used, never at import, and in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from qa.datafiles import PROJECT_DIR
from qa.report.corpus import CORPUS_FILE, PACKAGED_CORPUS, default_corpus, liwan_file
from qa.search.buildlock import build_wait
from qa.search.index import index_dir_for, index_root
from qa.server.settings import LOOPBACK_HOSTS, ServeError, server_settings, settings_from
from qa.settings import Settings, is_checkout, settings
from qa.ui.feedback import feedback_path

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = re.compile(r"\bQA_[A-Z_]+\b")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No QA_* variable set (whatever the developer's shell has)."""
    import os

    for name in [n for n in os.environ if n.startswith("QA_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def read_names() -> set[str]:
    """The QA_* variables qa/settings.py reads."""
    return set(VARIABLES.findall((ROOT / "qa" / "settings.py").read_text(encoding="utf-8")))


def test_defaults_in_a_checkout(clean_env: pytest.MonkeyPatch) -> None:
    s = settings()
    assert is_checkout()
    assert s == Settings(home=PROJECT_DIR)
    assert (s.model, s.build_wait, s.host, s.port, s.corpus) == ("use-m-v3", 600.0, "127.0.0.1", "7860", ())
    assert index_root() == PROJECT_DIR / "index"
    assert feedback_path() == PROJECT_DIR / "data" / "feedback.jsonl"
    assert default_corpus() == (PROJECT_DIR / "corpus" / "liwan-2025-government-work-report.txt",) == (CORPUS_FILE,)


def test_settings_are_read_at_call_time(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = settings()
    report = tmp_path / "r.txt"
    report.write_bytes(CORPUS_FILE.read_bytes())
    for name, value in {
        "QA_HOME": str(tmp_path / "home"),
        "QA_CORPUS": str(report),
        "QA_INDEX_DIR": str(tmp_path / "ix"),
        "QA_MODEL": "some/model",
        "QA_BUILD_WAIT": "7",
        "QA_HOST": "0.0.0.0",
        "QA_PORT": "8000",
        "QA_ALLOWED_HOSTS": "qa.example.org, b.example.org",
        "QA_CORS_ORIGINS": "https://a.example.org",
        "QA_FEEDBACK_FILE": str(tmp_path / "fb.jsonl"),
    }.items():
        clean_env.setenv(name, value)
    s = settings()
    assert s != before
    assert s == Settings(
        home=tmp_path / "home",
        corpus=(str(report),),
        index_dir=tmp_path / "ix",
        model="some/model",
        build_wait=7.0,
        host="0.0.0.0",
        port="8000",
        allowed_hosts=("qa.example.org", "b.example.org"),
        cors_origins=("https://a.example.org",),
        feedback_file=tmp_path / "fb.jsonl",
    )
    # and every place that used to read its own variable now sees the change
    assert (index_root(), build_wait(), feedback_path(), default_corpus()) == (
        tmp_path / "ix",
        7.0,
        s.feedback_file,
        (report,),
    )
    server = server_settings()
    assert (server.host, server.port, server.cors_origins) == ("0.0.0.0", 8000, ("https://a.example.org",))
    assert server.allowed_hosts == (*LOOPBACK_HOSTS, "qa.example.org", "b.example.org")
    assert settings_from(allowed_hosts=["x.org"]).allowed_hosts == (*LOOPBACK_HOSTS, "x.org")  # a flag wins


def test_a_home_without_a_corpus_uses_the_packaged_report(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("QA_HOME", str(tmp_path))
    assert liwan_file() == PACKAGED_CORPUS and default_corpus() == (PACKAGED_CORPUS,)
    assert index_root() == tmp_path / "index"
    assert index_dir_for((PACKAGED_CORPUS,)) == tmp_path / "index"  # the default report: the root, not sets/
    assert feedback_path() == tmp_path / "data" / "feedback.jsonl"
    own = tmp_path / "corpus" / PACKAGED_CORPUS.name
    own.parent.mkdir()
    own.write_bytes(PACKAGED_CORPUS.read_bytes())
    assert default_corpus() == (own,)  # a home's own copy comes first


def test_the_packaged_report_is_the_canonical_one_byte_for_byte() -> None:
    assert PACKAGED_CORPUS.read_bytes() == (ROOT / "corpus" / PACKAGED_CORPUS.name).read_bytes()


def test_unreadable_values_keep_their_defaults_or_are_said(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("QA_BUILD_WAIT", "soon")
    assert settings().build_wait == 600.0
    clean_env.setenv("QA_PORT", "abc")
    assert settings().port == "abc"  # only a server reads it, and says which setting was wrong
    with pytest.raises(ServeError, match=r"QA_PORT='abc' is not a port number"):
        server_settings()


def test_only_qa_settings_reads_the_environment() -> None:
    """Every other module takes its settings from ``settings()``: no ``os.environ`` read, no ``getenv``."""
    readers = []
    for f in [*sorted((ROOT / "qa").rglob("*.py")), ROOT / "app.py"]:
        if f == ROOT / "qa" / "settings.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                readers.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    # embedding.py sets TOKENIZERS_PARALLELISM for the tokenizers library: a write, not a setting
    assert readers == ["qa/search/embedding.py:81"]


def test_the_docs_name_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    assert set(VARIABLES.findall(table)) == read_names()
    docs = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    assert read_names() <= set(VARIABLES.findall(docs))
    assert set(VARIABLES.findall(docs)) <= read_names()  # no page names a variable that nothing reads
