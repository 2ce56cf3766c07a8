"""One table of hostile input, through every door: `qa ask` (text and --json), POST /api/ask, and the chat.

Whatever comes in, nothing crashes: no traceback, the exit status or HTTP status that the docs give
(0 or 2; 200 or 422, never 500), a message a person can read, and nothing typed comes back as live
HTML or Markdown in the chat. One engine with the fake embedder is shared by the whole table (the
checks are about input handling, not answer quality); the rows that need no model also run through
a real `qa ask` process, with real argv bytes and a strict UTF-8 stdout.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from qa.answer.engine import MESSAGES, QA
from qa.text.normalize import clean_input
from qa.ui.handlers import ChatHandlers

ROOT = Path(__file__).resolve().parent.parent
MD = MarkdownIt("commonmark")  # passes raw HTML through, as a careless renderer would: a surviving tag shows
MD.validateLink = lambda url: True  # type: ignore[method-assign]  # and makes javascript: links, as a browser would
EMPTY, TOO_LONG = MESSAGES[("zh", "empty")], MESSAGES[("zh", "too_long")]
MARKUP = MESSAGES[("en", "markup")]  # nothing but tags: no Chinese, so the English message

# (id, what is typed, the message it is refused with, or None when it is asked)
TABLE: list[tuple[str, str, str | None]] = [
    ("empty", "", EMPTY),
    ("whitespace", " \t\n\u3000 ", EMPTY),
    ("zero-width-only", "\u200b\u200c\u200d\ufeff", EMPTY),
    ("10000-chars", "就业" * 5000, TOO_LONG),
    ("control-chars", "今年\x00新增\x07就业\x1b[31m目标\x7f是多少?\x9b", None),
    ("lone-surrogates", "今年\udcff\ud800新增就业目标是多少?", None),
    ("zero-width-inside", "今\u200b年新增\u200d就业目标\ufeff是多少?", None),
    ("script", "<script>alert(1)</script>", MARKUP),
    ("img-onerror", "<img src=x onerror=alert(1)>", MARKUP),
    ("markdown-link", "[点我](javascript:alert(1))", None),
    ("markdown-image", "![x](http://x/y.png)", None),
    ("html-in-a-question", "今年<b>新增就业</b>目标是多少?<iframe src=//evil></iframe>", None),
    ("nonsense", "asdkjh qwe zzz ☃☃☃ 🙃", None),
    ("leading-dash", "-今年新增就业目标是多少?", None),
]
ROWS = [pytest.param(text, refused, id=name) for name, text, refused in TABLE]
# Tags a chat bubble or the sources panel may hold: the page's own markup, never anything typed.
LIVE = re.compile(r"<(script|img|iframe|object|embed|svg|style|link|meta|b)\b|<[^>]*(\son\w+\s*=|javascript:)", re.I)
OWN_LINK = re.compile(r'<a href="#qa-cite-\d+">')


def no_live_markup(rendered: str) -> None:
    """No tag, event handler or script URL from the input; links only to the page's own citations."""
    assert not LIVE.search(rendered), rendered
    assert len(re.findall(r"<a\b", rendered)) == len(OWN_LINK.findall(rendered)), rendered


# --- the command line, in this process: every row, with a strict UTF-8 stdout ------------------------------


def run_cli(monkeypatch: pytest.MonkeyPatch, qa: QA, *argv: str) -> tuple[int, str, str]:
    """``qa ARGV`` through qa.cli.main with the shared engine; stdout and stderr encode strictly as UTF-8."""
    from qa.cli import main

    monkeypatch.setattr("qa.answer.engine.load_qa", lambda *a, **k: qa)
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict") for _ in range(2))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        status = main(list(argv))
    finally:
        monkeypatch.undo()
    texts = []
    for stream in (out, err):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode("utf-8"))  # type: ignore[attr-defined]
    return status, texts[0], texts[1]


@pytest.mark.parametrize(("text", "refused"), ROWS)
def test_qa_ask(monkeypatch: pytest.MonkeyPatch, fake_qa: QA, text: str, refused: str | None) -> None:
    status, out, err = run_cli(monkeypatch, fake_qa, "ask", text)
    if refused:
        assert (status, out.splitlines()[0], err) == (2, refused, f"qa: {refused}\n")
    else:
        assert status == 0 and err == "" and out.strip()
        assert not any(ch in out for ch in "\x00\x1b\x07")  # no terminal control from the input reaches the screen


@pytest.mark.parametrize(("text", "refused"), ROWS)
def test_qa_ask_json(monkeypatch: pytest.MonkeyPatch, fake_qa: QA, text: str, refused: str | None) -> None:
    status, out, err = run_cli(monkeypatch, fake_qa, "ask", "--json", text)
    d = json.loads(out)
    assert d["answer"].strip() and d["status"] in ("answered", "partial", "declined")
    if refused:
        assert (status, d["error"], d["reason"], err) == (2, refused, "input", f"qa: {refused}\n")
    else:
        assert status == 0 and err == "" and d["error"] is None
        assert clean_input(d["question"]) == clean_input(text)  # the question as typed, less what cannot be printed


# --- the command line, as a process: real argv bytes, a strict UTF-8 stdout, no model needed ---------------


@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        *((t.encode(), r) for name, t, r in TABLE if r and name != "whitespace"),
        (b" \t\n\xe3\x80\x80 ", EMPTY),  # whitespace, the ideographic space included
        (b"\xff\xfe\x80", EMPTY),  # bytes that are not UTF-8: dropped, so nothing is left
        (b"-" + "问".encode() * 400, TOO_LONG),  # a question starting with "-" reaches the engine
    ],
    ids=[
        "empty",
        "zero-width-only",
        "10000-chars",
        "script",
        "img-onerror",
        "whitespace",
        "invalid-utf8",
        "leading-dash-too-long",
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_qa_ask_process(argv: bytes, refused: str, as_json: bool) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "qa", "ask", *(["--json"] if as_json else []), argv],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )
    out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")  # both valid UTF-8
    assert r.returncode == 2 and err == f"qa: {refused}\n"
    assert (json.loads(out)["error"] if as_json else out.splitlines()[0]) == refused


# --- the JSON API: the real app, in this process -----------------------------------------------------------


@pytest.fixture(scope="module")
def api(fake_qa: QA) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from qa.server.app import create_app

    with TestClient(create_app(fake_qa), base_url="http://127.0.0.1") as client:
        yield client


@pytest.mark.parametrize(("text", "refused"), ROWS)
def test_api_ask(api: Any, text: str, refused: str | None) -> None:
    body = json.dumps({"question": text})  # ASCII, as JSON can carry a lone surrogate: "\udcff"
    r = api.post("/api/ask", content=body, headers={"content-type": "application/json"})
    if refused:
        assert r.status_code == 422
        assert [e["msg"] for e in r.json()["detail"]] == [refused]
        assert text.strip() == "" or text not in r.text  # what was sent is not echoed back
    else:
        assert r.status_code == 200
        d = r.json()
        assert d["answer"].strip() and d["error"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"question": "\xff\xfe"}', 400),  # not UTF-8: FastAPI's "There was an error parsing the body"
        (b'{"question": "\\ud800"}', 422),  # an escaped lone surrogate: dropped, leaving nothing to ask
        (b'{"question": "\x00"}', 422),  # a raw control character is not JSON
        (b"\xef\xbb\xbf{}", 422),
        (b"[" * 10_000, 400),  # nested too deep for the parser: the same 400
    ],
    ids=["invalid-utf8", "escaped-surrogate", "raw-nul", "bom", "deep"],
)
def test_api_ask_raw_bodies(api: Any, body: bytes, status: int) -> None:
    r = api.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and r.json()["detail"]


# --- the chat's handler -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "refused"), ROWS)
def test_chat(fake_qa: QA, text: str, refused: str | None) -> None:
    h = ChatHandlers(fake_qa, fake_qa.index.reports)
    history, turns, current, box, panel, _pick, _cite, notice = h.respond(text, [], [])
    if refused == EMPTY:
        assert (history, turns, current, notice) == ([], [], -1, EMPTY)  # nothing asked, the reason said
        return
    assert len(history) == 2 and len(turns) == 1 and history[1]["content"].strip()
    if refused:
        assert notice == refused and box == text  # the question stays in the box, to be shortened
    for message in history:
        no_live_markup(MD.render(message["content"]))
    no_live_markup(panel)
    typed = clean_input(text)
    if len(typed) <= 400:  # the user's bubble shows what was typed, as text (longer input is cut with "…")
        shown = html.unescape(re.sub(r"<[^>]+>", "", MD.render(history[0]["content"]))).strip()
        assert shown == typed


@pytest.mark.parametrize("name", ["script", "img-onerror", "markdown-link", "markdown-image", "html-in-a-question"])
def test_the_markup_rows_would_be_live_unescaped(name: str) -> None:
    text = next(t for n, t, _ in TABLE if n == name)
    with pytest.raises(AssertionError):
        no_live_markup(MD.render(text))  # so the chat check above can fail
