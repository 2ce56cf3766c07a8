"""Shared fixtures: a deterministic fake embedder, temp index folders, and the real engine (built once each).

``fake_qa`` is the real engine on the fake embedder (seconds to build); ``real_qa`` on the real model (a minute).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from qa.report.corpus import CORPUS_FILE

ROOT = Path(__file__).resolve().parent.parent


def run_qa(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m qa ARGS`` from the repository root, as a user runs it (``env`` added to this process's)."""
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


class FakeEmbedder:
    """Deterministic, model-free embedder: hashed character bigrams, L2-normalised."""

    name = "fake-bigram-hash"
    dim = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for a, b in itertools.pairwise(t):
                out[i, int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the corpus file, so a test may change it."""
    p = tmp_path / "corpus" / CORPUS_FILE.name
    p.parent.mkdir()
    p.write_bytes(CORPUS_FILE.read_bytes())
    return p


@pytest.fixture(scope="session")
def fake_qa(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real QA engine over the Liwan report on the fake embedder, its index built in a temp folder."""
    from qa.answer.engine import QA
    from qa.search.index import open_index

    embedder = FakeEmbedder()
    index = open_index(embedder, rebuild=True, index_dir=tmp_path_factory.mktemp("fake-index"), corpus=(CORPUS_FILE,))
    return QA(index, embedder)


@pytest.fixture(scope="session")
def real_qa(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The QA engine with the default model, its index built in a temp folder."""
    from qa.answer.engine import QA
    from qa.search.embedding import load_embedder
    from qa.search.index import open_index

    embedder = load_embedder(None)
    index = open_index(embedder, rebuild=True, index_dir=tmp_path_factory.mktemp("index"))
    return QA(index, embedder)
