"""The server over real HTTP: JSON API, limits, Host check, CORS, headers, Gradio's closed routes.

A real server (uvicorn, the FastAPI app with the chat mounted) on a free loopback port, in front of
the real engine driven by the small fake embedder from conftest.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.answer.engine import MAX_QUESTION_CHARS, QA
from qa.cli import main as cli_main
from qa.report.corpus import CORPUS_FILE
from qa.server.app import Running, start
from qa.server.security import HostCheck, host_name
from qa.server.settings import MAX_BODY_BYTES, MAX_CHAT_BODY_BYTES, ServerSettings, settings_from

REPORT_ID = CORPUS_FILE.stem

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "今年新增就业目标是多少?"
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def engine(fake_qa: QA) -> QA:
    return fake_qa


def serve(engine: QA, **options: Any) -> Running:
    return start(engine, ServerSettings(port=free_port(), **options), block=False)


@pytest.fixture(scope="module")
def server(engine: QA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    mp = pytest.MonkeyPatch()
    mp.setenv("QA_FEEDBACK_FILE", str(tmp_path_factory.mktemp("fb") / "feedback.jsonl"))
    running = serve(engine)
    try:
        yield running.url.rstrip("/")
    finally:
        running.close()
        mp.undo()


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


def without_timings(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "timings_ms"}


# --- the JSON API -------------------------------------------------------------------------------


def test_ask_returns_the_ask_json_object(http: httpx.Client, engine: QA) -> None:
    r = http.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    got = r.json()
    assert without_timings(got) == without_timings(engine.ask(QUESTION).to_json())
    assert got["status"] == "answered" and got["citations"] and got["error"] is None
    c = got["citations"][0]
    assert engine.index.report.text[c["start"] : c["end"]] == c["quote"]
    assert http.post("/api/ask", json={"question": QUESTION, "report": REPORT_ID}).status_code == 200


def test_ask_names_a_report_it_does_not_serve(http: httpx.Client) -> None:
    r = http.post("/api/ask", json={"question": QUESTION, "report": "tianhe-2025"})
    assert r.status_code == 404
    assert REPORT_ID in r.json()["detail"][0]["msg"] and r.json()["detail"][0]["loc"] == ["body", "report"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": 5}, "question"),
        ({"question": ["今年"]}, "question"),
        ({"question": None}, "question"),
        ({}, "question"),
        ({"question": QUESTION, "report": 7}, "report"),
        ({"question": QUESTION, "extra": 1}, "extra"),
        ([QUESTION], None),
    ],
)
def test_wrong_types_get_422_with_a_message(http: httpx.Client, body: Any, field: str | None) -> None:
    r = http.post("/api/ask", json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["msg"] and "input" not in detail[0]  # what was sent is never echoed back
    if field:
        assert detail[0]["loc"][-1] == field


@pytest.mark.parametrize("raw", [b"{bad json", b"\xff\xfe{}", b""])
def test_a_body_that_is_not_json_gets_422(http: httpx.Client, raw: bytes) -> None:
    r = http.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"]


def test_question_length_is_limited_on_the_server(http: httpx.Client) -> None:
    assert http.post("/api/ask", json={"question": "就" * MAX_QUESTION_CHARS}).status_code == 200
    r = http.post("/api/ask", json={"question": "就" * (MAX_QUESTION_CHARS + 1)})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["type"] == "too_long" and str(MAX_QUESTION_CHARS) in d["msg"] and d["loc"] == ["body", "question"]
    for blank in ("", "   ", "\u200b\n"):
        r = http.post("/api/ask", json={"question": blank})
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "empty"


def test_a_lone_surrogate_is_dropped_not_a_500(http: httpx.Client) -> None:
    raw = b'{"question": "\\ud800' + QUESTION.encode() + b'"}'
    r = http.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["question"] == QUESTION


def test_ledger_rows_match_the_cli(http: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    r = http.get("/api/ledger", params={"keyword": "就业", "part": "plan", "figures": "true"})
    assert r.status_code == 200
    assert cli_main(["ledger", "--json", "--keyword", "就业", "--part", "plan", "--figures"]) == 0
    assert r.json() == json.loads(capsys.readouterr().out)
    assert r.json() and all(row["part"] == "plan" and row["value"] is not None for row in r.json())
    assert "新增就业1万人以上" in {row["quote"] for row in r.json()}
    everything = http.get("/api/ledger").json()
    assert len(everything) > len(r.json()) and {row["part"] for row in everything} == {"plan", "review"}
    section = http.get("/api/ledger", params={"section": "主要预期目标"}).json()
    assert section and all("主要预期目标" in row["section"] for row in section)


@pytest.mark.parametrize(
    "params", [{"part": "2026"}, {"figures": "maybe"}, {"keyword": "就" * 101}, {"section": "x" * 101}]
)
def test_bad_ledger_filters_get_422(http: httpx.Client, params: dict[str, str]) -> None:
    r = http.get("/api/ledger", params=params)
    assert r.status_code == 422 and r.json()["detail"][0]["msg"]


def test_health_says_what_is_served(http: httpx.Client, engine: QA) -> None:
    d = http.get("/api/health").json()
    assert d["status"] == "ok" and d["report"] == REPORT_ID
    assert d["reports"] == [
        {"id": REPORT_ID, "title": "2025年广州市荔湾区政府工作报告", "review_year": 2024, "plan_year": 2025,
         "sha256": engine.index.report.sha256}
    ]  # fmt: skip
    assert d["model"] == "fake-bigram-hash"


def test_openapi_docs_are_served(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert {"/api/ask", "/api/ledger", "/api/health"} <= set(spec["paths"])
    page = http.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text and "cdn." not in page.text
    assert http.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200  # served here, not from a CDN


# --- limits on every way in ---------------------------------------------------------------------


def test_body_over_the_cap_gets_413(http: httpx.Client) -> None:
    big = json.dumps({"question": "a" * MAX_BODY_BYTES}).encode()
    assert http.post("/api/ask", content=big, headers={"content-type": "application/json"}).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it arrives
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    r = http.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "bytes" in r.json()["detail"]
    small = json.dumps({"question": QUESTION}).encode()
    assert http.post("/api/ask", content=iter([small]), headers={"content-type": "application/json"}).is_success


def test_the_chat_queue_has_its_own_larger_cap(http: httpx.Client) -> None:
    over = b"x" * (MAX_CHAT_BODY_BYTES + 1)
    assert http.post("/gradio_api/queue/join", content=over).status_code == 413
    under = json.dumps({"data": ["x" * (MAX_BODY_BYTES * 2)], "fn_index": 999999, "session_hash": "s"}).encode()
    assert http.post("/gradio_api/queue/join", content=under).status_code != 413


def private_api_names(http: httpx.Client) -> list[str]:
    deps = http.get("/config").json()["dependencies"]
    return [d["api_name"] for d in deps if d.get("api_visibility") != "public" and d.get("api_name")]


def test_gradio_direct_and_private_routes_are_closed(http: httpx.Client) -> None:
    body = {"data": [QUESTION]}
    for path in ("/gradio_api/run/ask", "/gradio_api/api/ask", "/gradio_api/run/respond"):
        assert http.post(path, json=body).status_code == 404, path
    private = private_api_names(http)
    assert "respond" in private and "like" in private and len(private) > 10
    for name in private:
        assert http.post(f"/gradio_api/call/{name}", json={"data": [None, None, None]}).status_code == 404, name
        assert http.post(f"/gradio_api/call/v2/{name}", json={}).status_code == 404, name
        assert http.get(f"/gradio_api/call/{name}/some-event").status_code == 404, name
    assert http.get("/gradio_api/proxy=http://127.0.0.1:1/x").status_code == 404
    assert http.put("/api/ask", json=body).status_code in (404, 405)


def test_gradio_public_ask_goes_through_the_queue(http: httpx.Client, engine: QA) -> None:
    event = http.post("/gradio_api/call/ask", json={"data": [QUESTION]}).json()["event_id"]
    stream = http.get(f"/gradio_api/call/ask/{event}").text
    assert "event: complete" in stream
    data = json.loads(stream.split("data:", 1)[1].strip().splitlines()[0])[0]
    assert without_timings(data) == without_timings(engine.ask(QUESTION).to_json())


def test_gradio_client_ask_keeps_working(server: str) -> None:
    from gradio_client import Client

    client = Client(server + "/", verbose=False, download_files=False, analytics_enabled=False)
    result = client.predict(QUESTION, api_name="/ask")
    assert result["status"] == "answered" and result["citations"][0]["quote"].startswith("新增就业1万人以上")


def test_the_chat_keeps_a_bounded_number_of_sessions(engine: QA) -> None:
    running = serve(engine, chat_sessions=3)
    try:
        mounted = next(r for r in running.server.config.app.routes if getattr(r, "path", None) == "")
        holder = mounted.app.get_blocks().state_holder  # type: ignore[attr-defined]
        with httpx.Client(base_url=running.url, timeout=60) as client:
            for i in range(6):  # every call of the public route is a session of its own
                event = client.post("/gradio_api/call/ask", json={"data": [f"{QUESTION}{i}"]}).json()["event_id"]
                assert "event: complete" in client.get(f"/gradio_api/call/ask/{event}").text
        assert 1 <= len(holder.session_data) <= 3
    finally:
        running.close()


def test_upload_route_is_closed(http: httpx.Client, tmp_path: Path) -> None:
    small = {"files": ("a.txt", b"hello", "text/plain")}
    assert http.post("/gradio_api/upload", files=small).status_code == 404
    big = {"files": ("b.bin", b"\0" * (2 * 1024 * 1024), "application/octet-stream")}
    assert http.post("/gradio_api/upload", files=big).status_code in (404, 413)


# --- headers, Host, CORS ------------------------------------------------------------------------


def assert_security_headers(r: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.url, name, r.headers)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp


def test_security_headers_on_every_response(http: httpx.Client, server: str) -> None:
    responses = [
        http.get("/api/health"),
        http.post("/api/ask", json={"question": 1}),
        http.get("/no/such/page"),
        http.get("/config"),
        http.get("/docs"),
        http.post("/api/ask", content=b"x" * (MAX_BODY_BYTES + 1)),
        httpx.get(server + "/api/health", headers={"host": "evil.example"}),
    ]
    assert [r.status_code for r in responses] == [200, 422, 404, 200, 200, 413, 400]
    for r in responses:
        assert_security_headers(r)


def test_the_page_runs_only_its_own_scripts(http: httpx.Client) -> None:
    pages = [http.get("/", headers={"accept": "text/html", "accept-encoding": "br, gzip"}) for _ in range(2)]
    nonces = []
    for page in pages:
        assert page.status_code == 200 and "content-encoding" not in page.headers
        assert_security_headers(page)
        nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
        assert nonce is not None
        scripts = re.findall(r"<script\b[^>]*>", page.text)
        assert scripts and all(f'nonce="{nonce.group(1)}"' in s for s in scripts), scripts
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]  # a fresh nonce for every page


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil", ""])
def test_an_unknown_host_gets_400(server: str, host: str) -> None:
    r = httpx.get(server + "/api/health", headers={"host": host})
    assert r.status_code == 400 and "QA_ALLOWED_HOSTS" in r.json()["detail"]
    page = httpx.get(server + "/", headers={"host": host})
    assert page.status_code == 400


def test_loopback_names_are_allowed(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        assert httpx.get(server + "/api/health", headers={"host": host}).status_code == 200, host


def test_host_names_parse() -> None:
    assert [host_name(h) for h in (b"[::1]:7860", b"Example.ORG.:80", b"localhost", b"[::1", b"")] == [
        "::1",
        "example.org",
        "localhost",
        None,
        None,
    ]
    check = HostCheck(lambda *a: None, ["localhost", "*.example.org"])  # type: ignore[arg-type]
    assert check.allows("a.example.org") and not check.allows("example.org.evil") and not check.allows(None)
    assert HostCheck(lambda *a: None, ["*"]).allows("anything")  # type: ignore[arg-type]


def test_settings_come_from_flags_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_ALLOWED_HOSTS", "qa.example.org, Other.example.org")
    monkeypatch.setenv("QA_CORS_ORIGINS", "https://portal.example.org")
    s = settings_from("0.0.0.0", 8080)
    assert s.allowed_hosts == ("127.0.0.1", "localhost", "::1", "qa.example.org", "other.example.org")
    assert s.cors_origins == ("https://portal.example.org",)
    s = settings_from("192.0.2.7", 8080, allowed_hosts=["a.example"], cors_origins=["https://b.example"])
    assert "192.0.2.7" in s.allowed_hosts and "a.example" in s.allowed_hosts and "qa.example.org" not in s.allowed_hosts
    assert s.cors_origins == ("https://b.example",)
    monkeypatch.delenv("QA_CORS_ORIGINS")
    assert settings_from().cors_origins == ()


def test_cors_is_off_by_default(http: httpx.Client) -> None:
    for origin in ("http://localhost:3000", "http://127.0.0.1:9999", "https://evil.example", "null"):
        pre = http.options("/api/ask", headers={"origin": origin, "access-control-request-method": "POST"})
        assert "access-control-allow-origin" not in pre.headers and pre.status_code >= 400, origin
        simple = http.get("/config", headers={"origin": origin})
        assert "access-control-allow-origin" not in simple.headers, origin
        assert "access-control-allow-credentials" not in simple.headers, origin


def test_configured_hosts_and_cors_origins(engine: QA) -> None:
    running = serve(engine, allowed_hosts=("127.0.0.1", "qa.example.org"), cors_origins=("https://portal.example",))
    url = running.url.rstrip("/")
    try:
        assert httpx.get(url + "/api/health", headers={"host": "qa.example.org"}).status_code == 200
        assert httpx.get(url + "/api/health", headers={"host": "localhost"}).status_code == 400
        ok = httpx.options(
            url + "/api/ask", headers={"origin": "https://portal.example", "access-control-request-method": "POST"}
        )
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://portal.example"
        other = httpx.get(url + "/api/health", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        running.close()


# --- the command ---------------------------------------------------------------------------------


def test_serve_on_a_taken_port_says_so_in_one_line() -> None:
    def run(*cmd: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *cmd],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        r = run("-m", "qa", "serve", "--port", port)
        app = run("app.py", env={"QA_PORT": port})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"qa: cannot listen on 127.0.0.1:{port}: Address already in use (choose another with --port or QA_PORT)"
    ]
    # app.py reads no flags: its hint names only the variable
    assert app.returncode == 1
    assert app.stderr.strip().splitlines() == [
        f"app.py: cannot listen on 127.0.0.1:{port}: Address already in use (choose another with QA_PORT)"
    ]


def test_serve_on_an_address_not_of_this_machine_names_the_host_setting() -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it
    r = subprocess.run(
        [sys.executable, "-m", "qa", "serve", "--host", "192.0.2.1", "--port", "7860"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "qa: cannot listen on 192.0.2.1:7860: Cannot assign requested address"
        " (check the address given with --host or QA_HOST)"
    ]


def test_a_server_of_two_reports_answers_from_the_one_named(tmp_path: Path) -> None:
    from conftest import FakeEmbedder

    from qa.report.corpus import CORPUS_FILE as LIWAN
    from qa.search.index import open_index

    other = ROOT / "tests" / "data" / "corpora" / "national-2025.txt"
    embedder = FakeEmbedder()
    two = QA(open_index(embedder, index_dir=tmp_path / "index", corpus=(LIWAN, other)), embedder)
    running = serve(two)
    try:
        with httpx.Client(base_url=running.url.rstrip("/"), timeout=60) as http:
            health = http.get("/api/health").json()
            assert health["report"] is None
            assert [(r["id"], r["plan_year"]) for r in health["reports"]] == [
                (REPORT_ID, 2025),
                ("national-2025", 2025),
            ]
            got = http.post(
                "/api/ask", json={"question": "国内生产总值增长目标是多少?", "report": "national-2025"}
            ).json()
            assert got["passages"] and {p["report"] for p in got["passages"]} == {"national-2025"}
            text = other.read_text(encoding="utf-8")
            assert all(text[c["start"] : c["end"]] == c["quote"] for c in got["citations"])
            rows = http.get("/api/ledger", params={"report": "national-2025", "figures": "true"}).json()
            assert rows and {r["report"] for r in rows} == {"national-2025"}
            bad = http.post("/api/ask", json={"question": QUESTION, "report": "tianhe-2025"})
            assert bad.status_code == 404 and "national-2025" in bad.json()["detail"][0]["msg"]
            assert http.get("/api/ledger", params={"report": "tianhe-2025"}).status_code == 404
    finally:
        running.close()
