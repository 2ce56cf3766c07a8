"""The query map: a linear map, learned from the authored questions, that moves a question's vector
towards the sentences that answer such questions (``Retriever.query_map``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from conftest import FakeEmbedder

from qa.answer.engine import QA
from qa.search.index import KEYS_REPORT, open_index
from qa.search.retrieve import MAP_RIDGE, Retriever
from qa.text.normalize import normalize_query

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "liwan-2025-government-work-report.txt"
OTHER = ROOT / "tests" / "data" / "corpora" / "national-2024.txt"


def _session(r: Retriever, prefix: str) -> list[str]:
    """The authored questions of one session that are keys (its file is not read: the keys name no session)."""
    import json

    path = ROOT / "eval" / "train" / f"{prefix}.jsonl"
    asked = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in asked if q in r.key_rows]


def test_a_map_without_some_questions_is_the_ridge_fit_without_them(fake_qa: QA) -> None:
    r = fake_qa.retriever
    left_out = _session(r, "h21")
    assert len(left_out) > 100
    out = {row for q in left_out for row in r.key_rows[q]}
    keys = fake_qa.index.keys
    rows = [i for i, k in enumerate(keys) if k.sentences and i not in out]
    x = r.key_matrix[rows].astype(np.float64)
    y = np.stack([r.sentence_matrix[list(keys[i].sentences)].mean(axis=0) for i in rows]).astype(np.float64)
    eye = MAP_RIDGE * np.eye(x.shape[1])
    direct = np.linalg.solve(x.T @ x + eye, x.T @ y + eye)
    assert np.allclose(r.query_map(left_out), direct, atol=1e-4)  # from the sums over all, less the left-out ones
    assert not np.allclose(r.query_map(), direct, atol=1e-3)  # and they did count in the full map
    v = r.mapped(r.embed(normalize_query(left_out[0])))
    assert v is not None and abs(float(np.linalg.norm(v)) - 1.0) < 1e-5


def test_the_map_moves_questions_it_never_saw_towards_their_answers(real_qa: QA) -> None:
    """A session's questions, with the map learned without them: their gold sentence is found more often."""
    r, keys = real_qa.retriever, real_qa.index.keys
    left_out = _session(r, "h21")  # the fifth round's first author: half of it English, in chat style
    found = {"raw": 0, "mapped": 0}
    n = 0
    for question in left_out:
        gold = {si for row in r.key_rows[question] for si in keys[row].sentences}
        if not gold:
            continue
        n += 1
        vec = r.key_matrix[r.key_rows[question][0]]
        moved = r.mapped(vec, left_out)
        assert moved is not None
        for name, v in (("raw", vec), ("mapped", moved)):
            top = np.argsort(-(r.sentence_matrix @ v))[:5]
            found[name] += bool(gold & set(top.tolist()))
    assert n > 100
    # measured: 88 of 126 have a gold sentence among the 5 nearest to the question's own vector, 116 moved
    assert found["mapped"] / n > found["raw"] / n + 0.1, (found, n)


def test_only_the_report_the_keys_are_about_has_a_map(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    alone = QA(open_index(embedder, index_dir=tmp_path / "one", corpus=(OTHER,)), embedder)
    assert alone.retriever.query_map() is None  # no authored questions, nothing to learn from
    answer = alone.ask("政府工作的主要预期目标是什么?")
    assert answer.hits and all("mapped" not in h.ranks for h in answer.hits)

    both = QA(open_index(embedder, index_dir=tmp_path / "two", corpus=(CORPUS, OTHER)), embedder)
    assert both.retriever.query_map() is not None
    hits: Any = both.ask("新增就业目标是多少?").hits
    mapped = [h for h in hits if "mapped" in h.ranks]
    assert mapped and all(h.chunk.report == KEYS_REPORT for h in mapped)  # the map points only at its own report
    other = both.ask("政府工作的主要预期目标是什么?", report=OTHER.stem).hits
    assert other and all("mapped" not in h.ranks for h in other)  # nor is it used for a question about another
