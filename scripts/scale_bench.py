"""Scale: one index over many reports. Build time, index size, memory and query latency by library size.

    .venv/bin/python scripts/scale_bench.py [--sizes 1,7,20,40,all] [--questions 100]

The library is the Liwan report, then the six reports of ../shared/corpora, then its library/ folder
(72 more), taken in that order: size 1 is the Liwan report alone, ``all`` is every one (79). Each size
runs in a fresh process (so its resident memory is its own) that builds the index in a temporary
folder, loads the engine, and asks the same questions twice: without ``--report`` (every report is
searched) and with it (only the report each question is about). Questions are the Liwan test split
and eval/corpora/, those whose report is in the library. Prints one table; ``--json`` prints rows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.evaluate.metrics import percentile  # noqa: E402
from qa.report.corpus import CORPUS_FILE, corpus_files  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpora"


def library() -> list[Path]:
    """Every report file, in the order sizes take them."""
    return [CORPUS_FILE, *corpus_files([SHARED]), *corpus_files([SHARED / "library"])]


def questions(ids: set[str], limit: int) -> list[tuple[str, str]]:
    """(question, report id) pairs about reports in ``ids``, interleaved across reports, at most ``limit``."""
    rows = [json.loads(line) for line in (ROOT / "eval" / "qa.jsonl").open(encoding="utf-8")]
    by_report: dict[str, list[tuple[str, str]]] = {
        CORPUS_FILE.stem: [(r["question"], CORPUS_FILE.stem) for r in rows if r["split"] == "test"]
    }
    for f in sorted((ROOT / "eval" / "corpora").glob("*.jsonl")):
        for line in f.open(encoding="utf-8"):
            r = json.loads(line)
            by_report.setdefault(r["report"], []).append((r["question"], r["report"]))
    pools = [qs for rid, qs in by_report.items() if rid in ids]
    out: list[tuple[str, str]] = []
    while len(out) < limit and any(pools):
        for pool in pools:
            if pool and len(out) < limit:
                out.append(pool.pop(0))
    return out


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(n: int, limit: int) -> dict[str, float | int | str]:
    """Measure one library size in this process."""
    from qa.answer.engine import QA
    from qa.search.embedding import load_embedder
    from qa.search.index import build, load

    files = tuple(library()[:n])
    embedder = load_embedder(None)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        folder = build(embedder, Path(tmp), files)
        build_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in folder.iterdir())
        t = time.perf_counter()
        qa = QA(load(embedder.name, Path(tmp), files), embedder)
        load_s = time.perf_counter() - t
        asked = questions({p.stem for p in files}, limit)
        for q, _ in asked[:10]:
            qa.ask(q)  # warm-up
        lat: dict[str, list[float]] = {"all": [], "report": []}
        for q, rid in asked:
            for mode, report in (("all", None), ("report", rid)):
                t = time.perf_counter()
                qa.ask(q, report=report)
                lat[mode].append((time.perf_counter() - t) * 1e3)
        return {
            "reports": n,
            "chars": sum(len(r.text) for r in qa.index.reports),
            "chunks": len(qa.index.chunks),
            "sentences": len(qa.index.sentences),
            "build_s": round(build_s, 1),
            "index_mb": round(size / 2**20, 1),
            "load_s": round(load_s, 1),
            "rss_mb": round(rss_mb(), 0),
            "questions": len(asked),
            "p50_all_ms": round(percentile(lat["all"], 50), 1),
            "p95_all_ms": round(percentile(lat["all"], 95), 1),
            "p50_report_ms": round(percentile(lat["report"], 50), 1),
            "p95_report_ms": round(percentile(lat["report"], 95), 1),
        }


COLUMNS = (
    ("reports", "reports"),
    ("chars", "characters"),
    ("chunks", "chunks"),
    ("build_s", "build s"),
    ("index_mb", "index MB"),
    ("load_s", "load s"),
    ("rss_mb", "RSS MB"),
    ("p50_all_ms", "p50 all ms"),
    ("p95_all_ms", "p95 all ms"),
    ("p50_report_ms", "p50 --report ms"),
    ("p95_report_ms", "p95 --report ms"),
)


def main() -> None:
    """Run every size in its own process and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,7,20,40,all", help="numbers of reports, comma-separated; 'all' = every one")
    ap.add_argument("--questions", type=int, default=100, help="questions asked at each size (both ways)")
    ap.add_argument("--json", action="store_true", help="print one JSON object per size instead of the table")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.questions)))
        return
    total = len(library())
    sizes = [total if s.strip() == "all" else min(int(s), total) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--child", str(n), "--questions", str(args.questions)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(
            json.dumps(rows[-1]) if args.json else f"measured {n} reports", file=sys.stdout if args.json else sys.stderr
        )
    if not args.json:
        print(" | ".join(label for _, label in COLUMNS))
        print(" | ".join("---" for _ in COLUMNS))
        for r in rows:
            print(" | ".join(str(r[key]) for key, _ in COLUMNS))


if __name__ == "__main__":
    main()
