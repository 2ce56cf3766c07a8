"""What verifying the index's checksums adds to start-up: loads of the live index with and without it.

    .venv/bin/python scripts/verify_cost.py [--loads 20]

Loads alternate (verified, unverified, …) so that a machine getting busier or quieter affects both
alike; both read every file once, so the difference is the hashing alone. Target: < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa.report.corpus import default_corpus  # noqa: E402
from qa.search.index import index_dir_for, load  # noqa: E402


def main() -> None:
    """Time the loads and print the medians."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loads", type=int, default=20, help="loads of each kind (default 20)")
    ap.add_argument(
        "--index-dir", default=None, help="default: the index of $QA_CORPUS (or the Liwan report) under $QA_INDEX_DIR"
    )
    args = ap.parse_args()
    corpus = default_corpus()
    index_dir = Path(args.index_dir) if args.index_dir else index_dir_for(corpus)
    build = index_dir / (index_dir / "CURRENT").read_text().strip()
    model = json.loads((build / "manifest.json").read_text())["model"]
    load(model, index_dir, corpus)  # warm the page cache and the imports; refuses a damaged or stale index
    wall: dict[bool, list[float]] = {True: [], False: []}  # verify -> ms per load, wall clock
    cpu: dict[bool, list[float]] = {True: [], False: []}  # verify -> ms per load, this process's CPU time
    for _ in range(args.loads):
        for verify in (True, False):
            t, c = time.perf_counter(), time.process_time()
            load(model, index_dir, corpus, verify=verify)
            wall[verify].append((time.perf_counter() - t) * 1e3)
            cpu[verify].append((time.process_time() - c) * 1e3)
    size = sum(p.stat().st_size for p in build.iterdir()) / 1e6
    print(f"index {build} ({size:.1f} MB), {args.loads} loads each, medians in ms")
    print(f"{'':28}{'wall':>8}{'cpu':>8}")
    for name, on in (("load with verification", True), ("load without verification", False)):
        print(f"{name:28}{statistics.median(wall[on]):8.1f}{statistics.median(cpu[on]):8.1f}")
    added = [statistics.median(a - b for a, b in zip(m[True], m[False], strict=True)) for m in (wall, cpu)]
    print(f"{'verification adds':28}{added[0]:8.1f}{added[1]:8.1f}  (median of paired differences; target < 100)")


if __name__ == "__main__":
    main()
