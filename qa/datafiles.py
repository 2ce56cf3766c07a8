"""The curated and generated data files under ``qa/data/``: where they live and how they are read."""

from __future__ import annotations

import functools
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
PROJECT_DIR = Path(__file__).resolve().parent.parent  # a checkout: corpus/, eval/, index/, data/ (see is_checkout)


def read_pairs(name: str) -> list[tuple[str, list[str]]]:
    """Rows of a ``key<TAB>value|value`` data file; ``#`` starts a comment."""
    rows = []
    for raw in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        key, _, values = line.partition("\t")
        rows.append((key.strip(), [v.strip() for v in values.split("|") if v.strip()]))
    return rows


@functools.cache
def stopwords() -> frozenset[str]:
    """Words that carry no content for retrieval (data file)."""
    words = (DATA_DIR / "stopwords.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in words if not w.startswith("#"))
