"""Speed, correctness under load and memory of the JSON API, and of the chat's Gradio route beside it.

Starts ``qa serve`` (real engine, existing index) on a free 127.0.0.1 port in its own process
unless ``--url`` names a running server, then drives it over HTTP with an async client (httpx)
from this process, over a few hundred distinct questions from eval/qa.jsonl and eval/train/*.jsonl:

1. one client at a time, every question once: the reference answers (and p50/p95);
2. 20 concurrent clients x 2,000 requests, then 50 x 2,000: p50/p95, throughput, errors, and
   whether every answer equals the one-at-a-time answer (the JSON without ``timings_ms``);
3. a 3,000-request soak at 20 clients: the server's resident memory (VmRSS) before and after;
4. 20 concurrent clients x 1,000 questions that no phase before asked, each once: what load costs
   when no answer is kept. Phases 2 and 3 ask the questions of phase 1 again, and the server keeps
   the answers of the last 1,024 questions asked, so they measure questions asked again (a chat's
   examples, a popular question); phase 4 measures new ones.

The API is driven over plain keep-alive HTTP/1.1 connections (asyncio streams, one per client):
the client shares the two cores with the server, and httpx's own work (about 5 ms of CPU a request,
nearly as much as the server's 7) took a core from the server under load. The same for the Gradio
route (``/gradio_api/call/ask``, the queue that gradio_client also uses), with httpx. Prints a table
with the targets of issue 11, and JSON with ``--out``; exits 1 on any error or differing answer.

    .venv/bin/python scripts/api_bench.py            # or: make api-bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.evaluate.metrics import percentile  # noqa: E402  (standard library only)

QUESTION_FILES = [ROOT / "eval" / "qa.jsonl", *sorted((ROOT / "eval" / "train").glob("*.jsonl"))]
MAX_CHARS = 300
START_TIMEOUT_S = 900.0
TARGETS = {  # issue 11
    "p50_one_client_ms": 10.0,
    "p95_20_clients_ms": 250.0,
    "throughput_20_clients": 200.0,
    "rss_after_soak_mb": 800.0,
}
Ask = Callable[[Any, str], Awaitable[dict[str, Any]]]
PHASES = ("one_client", "20_clients", "50_clients", "soak", "20_clients_new")
WARM_UP = 20  # questions asked before the timed phases, none of them asked again


def questions(n: int, new: int = 0) -> tuple[list[str], list[str]]:
    """``n`` distinct questions spread over the question files, and ``new`` others.

    The ``n`` are every k-th of the deduplicated list; the ``new`` are none of them (the phase that asks
    only questions not asked before).
    """
    seen: dict[str, None] = {}
    for path in QUESTION_FILES:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            q = str(json.loads(line).get("question", "")).strip() if line.strip() else ""
            if q and len(q) <= MAX_CHARS:
                seen.setdefault(q, None)
    pool = list(seen)
    if not pool:
        raise SystemExit("api_bench: no questions found in eval/")
    step = max(1, len(pool) // n)
    chosen = pool[::step][:n]
    taken = set(chosen)
    return chosen, [q for q in pool if q not in taken][:new]


def comparable(answer: dict[str, Any]) -> str:
    """An answer without its timings, as canonical JSON (what must not change under load)."""
    return orjson.dumps({k: v for k, v in answer.items() if k != "timings_ms"}, option=orjson.OPT_SORT_KEYS).decode()


class Connection:
    """One keep-alive HTTP/1.1 connection (asyncio streams): a JSON POST and its response, nothing more."""

    def __init__(self, url: str) -> None:
        u = httpx.URL(url)
        self.host, self.port = u.host, u.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        """(status, body) of ``POST path`` with ``payload`` as JSON (reconnects if the server closed)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = orjson.dumps(payload)
        head = f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\ncontent-type: application/json\r\n"
        self.writer.write(f"{head}content-length: {len(body)}\r\n\r\n".encode() + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
            data = await self.reader.readexactly(int(headers["content-length"]))
        except (asyncio.IncompleteReadError, KeyError, ConnectionError):
            self.close()
            raise
        if headers.get("connection") == "close":
            self.close()
        return int(lines[0].split()[1]), data

    def close(self) -> None:
        """Close the connection (the next request opens another)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def ask_api(conn: Connection, question: str) -> dict[str, Any]:
    """``POST /api/ask``."""
    status, body = await conn.post_json("/api/ask", {"question": question})
    if status != 200:
        raise ValueError(f"HTTP {status}: {body[:120]!r}")
    out: dict[str, Any] = orjson.loads(body)
    return out


async def ask_gradio(client: httpx.AsyncClient, question: str) -> dict[str, Any]:
    """Gradio's queue by HTTP: ``POST /gradio_api/call/ask``, then read its event stream."""
    r = await client.post("/gradio_api/call/ask", json={"data": [question]})
    r.raise_for_status()
    stream = await client.get(f"/gradio_api/call/ask/{r.json()['event_id']}")
    stream.raise_for_status()
    event, data = "", ""
    for line in stream.text.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
    if event != "complete":
        raise ValueError(f"gradio event {event!r}: {data[:120]}")
    out: dict[str, Any] = json.loads(data)[0]
    return out


async def run(
    url: str, ask: Ask, qs: list[str], clients: int, total: int, expected: dict[str, str] | None
) -> dict[str, Any]:
    """``total`` requests from ``clients`` concurrent clients; answers checked against ``expected``."""
    latencies: list[float] = []
    errors: list[str] = []
    differing = 0
    answers: dict[str, str] = {}
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal differing
        session: Any = Connection(url) if ask is ask_api else client  # the API: a connection of its own
        for i in counter:
            q = qs[i % len(qs)]
            t0 = time.perf_counter()
            try:
                answer = await ask(session, q)
            except Exception as e:
                errors.append(f"{q[:30]}: {e!r}"[:200])
                continue
            latencies.append((time.perf_counter() - t0) * 1e3)
            got = comparable(answer)
            if expected is None:
                answers[q] = got
            elif expected.get(q) != got:
                differing += 1
        if isinstance(session, Connection):
            session.close()

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - t0
    ok = len(latencies)
    return {
        "clients": clients,
        "requests": total,
        "ok": ok,
        "errors": len(errors),
        "first_errors": errors[:3],
        "differing": differing if expected is not None else None,
        "p50_ms": round(percentile(latencies, 50), 1) if ok else None,
        "p95_ms": round(percentile(latencies, 95), 1) if ok else None,
        "max_ms": round(max(latencies), 1) if ok else None,
        "throughput_per_s": round(ok / wall, 1) if wall else None,
        "wall_s": round(wall, 1),
        "answers": answers,
    }


def rss_mb(pid: int | None) -> float | None:
    """VmRSS of a process in MB (None without a pid)."""
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


async def route(
    url: str, ask: Ask, qs: list[str], total: int, soak: int, pid: int | None, new: list[str], warm: list[str]
) -> dict[str, Any]:
    """All phases for one route; ``new``: questions none of the phases before asks (20 clients, each once).

    ``warm``: questions asked first, untimed, and none of ``qs``: the server keeps the answers it gave, so
    warming up with ``qs`` would time some of the one-client phase's questions as asked again.
    """
    await run(url, ask, warm, 1, len(warm), None)  # warm-up
    one = await run(url, ask, qs, 1, len(qs), None)
    expected = one.pop("answers")
    out: dict[str, Any] = {"one_client": one}
    for clients in (20, 50):
        res = await run(url, ask, qs, clients, total, expected)
        res.pop("answers")
        out[f"{clients}_clients"] = res
    before = rss_mb(pid)
    res = await run(url, ask, qs, 20, soak, expected)
    res.pop("answers")
    out["soak"] = {**res, "rss_before_mb": before, "rss_after_mb": rss_mb(pid)}
    if new:  # what 20 clients get when nobody asked their questions before: no answer or vector is kept
        res = await run(url, ask, new, 20, len(new), None)
        res.pop("answers")
        out["20_clients_new"] = res
    out["expected"] = expected
    return out


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``qa serve`` on a free loopback port, in its own process; returns it once /api/health answers.

    It builds the index first if there is none (a few minutes on a busy machine).
    """
    port = free_port()
    cmd = [sys.executable, "-m", "qa", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"api_bench: the server exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"api_bench: the server did not answer in {START_TIMEOUT_S:.0f} s; see {log}")


def verdict(name: str, value: float | None, target: float, below: bool = True) -> str:
    """One line: measure, value, target, OK/FAIL."""
    ok = value is not None and (value < target if below else value >= target)
    sign = "<" if below else ">="
    return f"  {name:<34} {value!s:>9}   target {sign} {target:g}   {'OK' if ok else 'FAIL'}"


def report(api: dict[str, Any], gradio: dict[str, Any] | None) -> list[str]:
    """The table printed at the end."""
    lines = [f"{'':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'req/s':>9}{'errors':>8}{'differ':>8}"]
    for label, res in (("API", api), ("Gradio", gradio)):
        if res is None:
            continue
        for phase in (p for p in PHASES if p in res):
            r = res[phase]
            name = f"{label} {phase.replace('_', ' ')} x{r['requests']}"
            cells = [r["p50_ms"], r["p95_ms"], r["max_ms"], r["throughput_per_s"], r["errors"], r["differing"]]
            lines.append(f"{name:<22}" + "".join(f"{c!s:>9}" if i < 4 else f"{c!s:>8}" for i, c in enumerate(cells)))
        s = res["soak"]
        lines.append(f"{label} server RSS: {s['rss_before_mb']} MB before the soak, {s['rss_after_mb']} MB after")
    errors = sum(api[p]["errors"] for p in PHASES if p in api)
    differing = sum(api[p]["differing"] or 0 for p in ("20_clients", "50_clients", "soak"))
    lines += [
        "targets (API):",
        verdict("p50, one client at a time", api["one_client"]["p50_ms"], TARGETS["p50_one_client_ms"]),
        verdict("p95, 20 concurrent clients", api["20_clients"]["p95_ms"], TARGETS["p95_20_clients_ms"]),
        verdict("req/s, 20 concurrent clients", api["20_clients"]["throughput_per_s"], 200.0, below=False),
    ]
    if "20_clients_new" in api:
        new = api["20_clients_new"]
        lines.append(verdict("req/s, 20 clients, new questions", new["throughput_per_s"], 200.0, below=False))
    lines += [
        verdict("errors", errors, 1),
        verdict("answers unlike one-at-a-time", differing, 1),
        verdict("RSS after the soak, MB", api["soak"]["rss_after_mb"], TARGETS["rss_after_soak_mb"]),
    ]
    return lines


async def bench(args: argparse.Namespace, url: str, pid: int | None) -> dict[str, Any]:
    """Both routes; the Gradio answers are also checked against the API's."""
    qs, others = questions(args.questions, WARM_UP + args.new)
    warm, new = others[:WARM_UP], others[WARM_UP:]
    api = await route(url, ask_api, qs, args.requests, args.soak, pid, new, warm)
    gradio = None
    if args.gradio_requests:
        # the API route asked ``qs`` already: this route's phases time its own cost with answers kept
        gradio = await route(url, ask_gradio, qs, args.gradio_requests, args.soak, pid, [], warm)
        gradio["differing_from_api"] = sum(api["expected"][q] != gradio["expected"][q] for q in qs)
        gradio.pop("expected")
    api.pop("expected")
    return {"questions": len(qs), "url": url, "load_average": os.getloadavg(), "api": api, "gradio": gradio}


def main(argv: list[str] | None = None) -> int:
    """Start the server if needed, run the phases, print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=None, help="a running server (default: start `qa serve` on a free loopback port)")
    p.add_argument("--pid", type=int, default=None, help="with --url: the server's process id, for its memory")
    p.add_argument("--questions", type=int, default=300, help="distinct questions (default 300)")
    p.add_argument("--requests", type=int, default=2000, help="requests at 20 and at 50 clients (default 2000)")
    p.add_argument("--soak", type=int, default=3000, help="requests in the memory soak (default 3000)")
    p.add_argument(
        "--new", type=int, default=1000, help="questions not asked before, at 20 clients, after the soak (default 1000)"
    )
    p.add_argument(
        "--gradio-requests", type=int, default=None, help="Gradio route requests (default: as --requests; 0: skip)"
    )
    p.add_argument("--out", default=None, help="also write the figures here as JSON")
    args = p.parse_args(argv)
    args.new = min(max(args.new, 0), 10_000)
    for name in ("questions", "requests", "soak"):
        setattr(args, name, min(max(getattr(args, name), 1), 10_000))
    args.gradio_requests = min(max(args.requests if args.gradio_requests is None else args.gradio_requests, 0), 10_000)
    proc = None
    url, pid = args.url, args.pid
    if url is None:
        log = Path(tempfile.gettempdir()) / "api_bench_server.log"
        proc, url = start_server(log)
        pid = proc.pid
        print(f"started `qa serve` (pid {pid}) at {url}; its log: {log}", file=sys.stderr)
    try:
        result = asyncio.run(bench(args, url.rstrip("/"), pid))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print("\n".join(report(result["api"], result["gradio"])))
    if result["gradio"] is not None:
        print(f"Gradio answers unlike the API's: {result['gradio']['differing_from_api']} of {result['questions']}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in result['load_average'])}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    phases = [result["api"][k] for k in PHASES if k in result["api"]]
    if result["gradio"] is not None:
        phases += [result["gradio"][k] for k in PHASES if k in result["gradio"]]
    bad = sum(r["errors"] + (r["differing"] or 0) for r in phases)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
