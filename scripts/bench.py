"""Speed and memory on this machine: index build, cold start to first answer, query latency, resident memory.

    .venv/bin/python scripts/bench.py [--questions eval/qa.jsonl] [--passes 3]

Targets (two cores): p95 query < 20 ms in-process after warm-up, build < 20 s, cold start < 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.evaluate.metrics import percentile  # noqa: E402


def main() -> None:
    """Run the measurements and print them."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--questions", default=str(ROOT / "eval" / "qa.jsonl"))
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()

    # cold start: a fresh process, existing index, from `python -m qa ask` to its exit
    subprocess.run([sys.executable, "-m", "qa", "build"], cwd=ROOT, capture_output=True, check=True)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "qa", "ask", "今年新增就业目标是多少?"], cwd=ROOT, capture_output=True)
    cold = time.perf_counter() - t
    assert r.returncode == 0, r.stderr

    t = time.perf_counter()
    from qa.answer.engine import QA
    from qa.search.embedding import load_embedder
    from qa.search.index import build, load

    imports = time.perf_counter() - t
    t = time.perf_counter()
    embedder = load_embedder(None)
    model_load = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        build(embedder, Path(tmp))
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        qa = QA(load(embedder.name, Path(tmp)), embedder)
        load_s = time.perf_counter() - t
        questions = [json.loads(line)["question"] for line in Path(args.questions).read_text().splitlines() if line]
        for q in questions[:20]:
            qa.ask(q)  # warm-up
        lat: list[float] = []  # new questions: the kept answers and vectors forgotten before each pass
        again: list[float] = []  # the same questions asked again right after (their answers kept)
        for _ in range(args.passes):
            qa.forget()
            for q in questions:
                t = time.perf_counter()
                qa.ask(q)
                lat.append((time.perf_counter() - t) * 1e3)
        for q in questions:
            t = time.perf_counter()
            qa.ask(q)
            again.append((time.perf_counter() - t) * 1e3)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("cores available", f"{len(os.sched_getaffinity(0))}", ""),
        ("cold start to first answer (qa ask, new process)", f"{cold:.2f} s", "< 15 s"),
        ("  of which: imports in this process", f"{imports:.2f} s", ""),
        ("  of which: model load", f"{model_load:.2f} s", ""),
        ("index build (chunk + embed + write)", f"{build_s:.2f} s", "< 20 s"),
        ("index load", f"{load_s * 1e3:.0f} ms", ""),
        (f"query latency p50 ({len(lat)} asks)", f"{percentile(lat, 50):.1f} ms", ""),
        ("query latency p95", f"{percentile(lat, 95):.1f} ms", "< 20 ms"),
        ("query latency max", f"{max(lat):.1f} ms", ""),
        (
            f"query latency p50 / p95, asked again ({len(again)} asks)",
            f"{percentile(again, 50):.2f} / {percentile(again, 95):.2f} ms",
            "",
        ),
        ("peak resident memory", f"{rss_mb:.0f} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")


if __name__ == "__main__":
    main()
