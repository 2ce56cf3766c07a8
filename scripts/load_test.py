"""Bounded load test of the chat's API on loopback, through Gradio's own client.

Starts the app (real engine) on a free 127.0.0.1 port unless ``--url`` names a running one,
then runs ``--clients`` concurrent gradio_client clients, each asking ``--questions``
questions of ``/ask`` (taken in turn from eval/qa.jsonl). Every answer is compared with the
same question asked one at a time first (a wrong answer under load is an error). Reports errors (must be 0) and
latency p50/p95/max in milliseconds; exits 1 on any error.

    .venv/bin/python scripts/load_test.py --clients 20 --questions 50
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.evaluate.metrics import percentile  # noqa: E402  (standard library only)

QUESTIONS = ROOT / "eval" / "qa.jsonl"
FALLBACK = ["今年新增就业目标是多少?", "火星移民计划什么时候开始?", "How many school places will be added?"]


def questions(path: Path = QUESTIONS) -> list[str]:
    """Questions to ask: the eval set when present, else a small fixed list."""
    if not path.exists():
        return FALLBACK
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(r["question"]) for r in rows if r.get("question")] or FALLBACK


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def baseline(url: str, qs: list[str]) -> dict[str, str]:
    """Each question's answer asked one at a time: what every concurrent answer must equal."""
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    return {q: str(client.predict(q, api_name="/ask")["answer"]) for q in dict.fromkeys(qs)}


def worker(
    url: str, qs: list[str], offset: int, n: int, latencies: list[float], errors: list[str], expected: dict[str, str]
) -> None:
    """One client asking ``n`` questions; records latency in ms, or the error (also: an answer unlike the baseline)."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    except Exception as e:  # a client that cannot connect counts as n errors
        errors.extend([f"connect: {e!r}"] * n)
        return
    for i in range(n):
        q = qs[(offset + i) % len(qs)]
        t0 = time.perf_counter()
        try:
            out: Any = client.predict(q, api_name="/ask")
            if not isinstance(out, dict) or "answer" not in out or "citations" not in out:
                raise ValueError(f"unexpected reply: {str(out)[:120]}")
            if q in expected and out["answer"] != expected[q]:
                raise ValueError("answer differs from the one-at-a-time baseline")
        except Exception as e:
            errors.append(f"{q[:30]}: {e!r}"[:200])
            continue
        latencies.append((time.perf_counter() - t0) * 1e3)


def run(url: str, clients: int, per_client: int, verify: bool = True) -> dict[str, Any]:
    """Run the load and summarise it (``verify``: compare every answer with a one-at-a-time baseline)."""
    qs = questions()
    expected = baseline(url, qs[: clients * per_client]) if verify else {}
    latencies: list[float] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=worker, args=(url, qs, c * per_client, per_client, latencies, errors, expected))
        for c in range(clients)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = len(latencies)
    return {
        "clients": clients,
        "questions_per_client": per_client,
        "requests": clients * per_client,
        "ok": ok,
        "errors": len(errors),
        "verified_against_baseline": verify,
        "first_errors": errors[:5],
        "p50_ms": round(percentile(latencies, 50), 1) if ok else None,
        "p95_ms": round(percentile(latencies, 95), 1) if ok else None,
        "max_ms": round(max(latencies), 1) if ok else None,
        "wall_s": round(wall, 1),
        "throughput_per_s": round(ok / wall, 1) if wall else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Start the app if needed, run the load, print the summary as JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=20, help="concurrent clients (max 64)")
    p.add_argument("--questions", type=int, default=50, help="questions per client (max 500)")
    p.add_argument("--no-verify", action="store_true", help="skip comparing answers with a one-at-a-time baseline")
    p.add_argument("--url", default=None, help="a running chat (default: start one on a free loopback port)")
    args = p.parse_args(argv)
    clients, per_client = min(max(args.clients, 1), 64), min(max(args.questions, 1), 500)
    demo = None
    url = args.url
    if url is None:
        from qa.answer.engine import load_qa
        from qa.server.app import start
        from qa.server.settings import ServerSettings
        from qa.ui.app import CONCURRENCY_LIMIT

        demo = start(load_qa(rebuild=False), ServerSettings(port=free_port()), block=False)
        url = demo.url
        print(f"started the chat at {url} (concurrency limit {CONCURRENCY_LIMIT})", file=sys.stderr)
    try:
        summary = run(url, clients, per_client, verify=not args.no_verify)
    finally:
        if demo is not None:
            demo.close()
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
