"""The index: self-describing round trip, stale and broken detection, atomic builds (fake embedder)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.report.chunking import CHUNKER_VERSION
from qa.report.corpus import CORPUS_FILE
from qa.search import index as ix
from qa.text.normalize import normalize_query


def test_round_trip(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    folder = ix.build(fake_embedder, tmp_path)
    loaded = ix.load(fake_embedder.name, tmp_path)
    m = json.loads((folder / "manifest.json").read_text())
    assert m["model"] == "fake-bigram-hash" and m["dim"] == 64
    assert m["chunker_version"] == CHUNKER_VERSION
    assert m["reports"] == {loaded.report.id: {"file": CORPUS_FILE.name, "sha256": loaded.report.sha256}}
    assert {"built_at", "build_seconds", "n_chunks", "n_sentences"} <= m.keys()
    assert loaded.chunk_vectors.ntotal == len(loaded.chunks) == m["n_chunks"]
    assert loaded.sentence_vectors.ntotal == len(loaded.sentences) == m["n_sentences"]
    for c in loaded.chunks:
        assert loaded.report.text[c.start : c.end] == c.text
    for s in loaded.sentences:
        assert loaded.report.text[s.start : s.end] == s.text
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))
    # the same vectors come back
    first = loaded.chunk_vectors.reconstruct(0)
    assert first == pytest.approx(fake_embedder.encode([ix.index_text(loaded.chunks[0])])[0], abs=1e-6)


def test_missing_index_is_refused_or_built(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ix.IndexMissing, match="qa build"):
        ix.open_index(fake_embedder, rebuild=False, index_dir=tmp_path)
    assert ix.open_index(fake_embedder, rebuild=True, index_dir=tmp_path).chunks


def test_stale_model_is_refused(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    ix.build(fake_embedder, tmp_path)
    with pytest.raises(ix.IndexStale, match="model 'fake-bigram-hash' != 'another-model'"):
        ix.load("another-model", tmp_path)


def test_stale_corpus_is_refused_then_rebuilt(  # type: ignore[no-untyped-def]
    tmp_path: Path, fake_embedder, corpus_copy: Path, capsys
) -> None:
    index_dir = tmp_path / "index"
    ix.build(fake_embedder, index_dir, (corpus_copy,))
    corpus_copy.write_text(corpus_copy.read_text(encoding="utf-8") + "\n补充一句。", encoding="utf-8")
    with pytest.raises(ix.IndexStale, match=f"report {corpus_copy.stem} sha256"):
        ix.open_index(fake_embedder, rebuild=False, index_dir=index_dir, corpus=(corpus_copy,))
    rebuilt = ix.open_index(fake_embedder, rebuild=True, index_dir=index_dir, corpus=(corpus_copy,))
    assert "rebuilding" in capsys.readouterr().err
    assert rebuilt.report.text.endswith("补充一句。")


def test_stale_chunker_is_refused(tmp_path: Path, fake_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ix.build(fake_embedder, tmp_path)
    monkeypatch.setattr(ix, "CHUNKER_VERSION", "some-future-chunker")
    with pytest.raises(ix.IndexStale, match="chunker"):
        ix.load(fake_embedder.name, tmp_path)


@pytest.mark.parametrize("damage", ["truncate_chunks", "drop_faiss", "bad_manifest", "edit_chunk_text"])
def test_broken_index_is_refused(tmp_path: Path, fake_embedder, damage: str) -> None:  # type: ignore[no-untyped-def]
    folder = ix.build(fake_embedder, tmp_path)
    chunks = folder / "chunks.jsonl"
    if damage == "truncate_chunks":
        chunks.write_text("".join(chunks.read_text().splitlines(keepends=True)[:-3]))
    elif damage == "drop_faiss":
        (folder / "sentences.faiss").unlink()
    elif damage == "bad_manifest":
        (folder / "manifest.json").write_text("{not json")
    else:
        rows = [json.loads(line) for line in chunks.read_text().splitlines()]
        rows[5]["text"] = rows[5]["text"].replace("的", "地", 1) or "x"
        chunks.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    with pytest.raises(ix.IndexBroken):
        ix.load(fake_embedder.name, tmp_path)


def test_crash_mid_build_leaves_previous_index_usable(  # type: ignore[no-untyped-def]
    tmp_path: Path, fake_embedder, monkeypatch
) -> None:
    ix.build(fake_embedder, tmp_path)
    before = (tmp_path / "CURRENT").read_text()

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(ix.faiss, "write_index", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        ix.build(fake_embedder, tmp_path)
    monkeypatch.undo()
    assert (tmp_path / "CURRENT").read_text() == before
    assert ix.load(fake_embedder.name, tmp_path).chunks
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]


def test_changed_tokenizer_data_is_stale(tmp_path: Path, fake_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ix.build(fake_embedder, tmp_path)
    monkeypatch.setattr(ix, "tokenizer_fingerprint", lambda: "0000000000000000")
    with pytest.raises(ix.IndexStale, match="tokenizer data"):
        ix.load(fake_embedder.name, tmp_path)


def test_index_of_an_older_format_is_stale(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    folder = ix.build(fake_embedder, tmp_path)
    m = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**m, "format": 1}))
    with pytest.raises(ix.IndexStale, match="format 1"):
        ix.load(fake_embedder.name, tmp_path)


def test_an_answer_is_kept_until_forgotten_or_the_model_changes(fake_qa) -> None:  # type: ignore[no-untyped-def]
    """A question asked again gets the kept answer (its timings say so); forget() and a new model drop it."""
    question = "长者饭堂有多少个?"
    fake_qa.forget()
    first = fake_qa.ask(question)
    again = fake_qa.ask(question)
    assert "embed" in first.timings_ms and set(again.timings_ms) == {"kept", "total"}
    assert replace(again, timings_ms={}) == replace(first, timings_ms={})
    assert "embed" in fake_qa.ask(question, retrievers=("dense",)).timings_ms  # other retrievers: worked out
    fake_qa.forget()
    assert "embed" in fake_qa.ask(question).timings_ms
    fake_qa.ask(question)
    shipped = fake_qa.model
    fake_qa.model = replace(shipped, answer_threshold=0.0)  # answers everything: the kept answer may not stand
    try:
        assert "embed" in fake_qa.ask(question).timings_ms
    finally:
        fake_qa.model = shipped


def test_a_question_asked_again_reuses_its_kept_vector_and_gets_the_same_answer(fake_qa) -> None:  # type: ignore[no-untyped-def]
    """The retriever keeps the vectors and key cosines of recent questions: exact, read-only, forgettable."""
    question = "今年新增就业目标是多少?"
    first = fake_qa.ask(question).to_json()
    again = fake_qa.ask(question).to_json()
    for answer in (first, again):
        answer.pop("timings_ms")
    assert again == first
    query = normalize_query(question)
    kept = fake_qa.retriever.embed(query)
    assert fake_qa.retriever.embed(query) is kept and not kept.flags.writeable
    fake_qa.retriever.forget()
    fresh = fake_qa.retriever.embed(query)
    assert fresh is not kept and np.array_equal(fresh, kept)
