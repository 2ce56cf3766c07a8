"""Stage 4: hybrid retrieval — dense (FAISS) + BM25 on jieba words + BM25 on bigrams, fused.

Fusion is weighted reciprocal rank fusion; a question that clearly asks about 2025
plans (or 2024 results) lifts the chunks of that part of the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import bm25s
import numpy as np

from qa.embedding import Embedder
from qa.index import Index
from qa.textnorm import Query, bigram_tokens, word_tokens
from qa.types import Hit

RRF_K = 60  # reciprocal rank fusion constant


@dataclass(frozen=True)
class FusionWeights:
    """How much each retriever counts, and the lift for the part a question asks about."""

    dense: float = 1.0
    words: float = 1.0
    bigrams: float = 1.0
    keys: float = 1.0  # the authored questions most like this one point at their sentences' chunks
    part_boost: float = 1.5  # multiplies the fused score of chunks in the asked-about part
    sentence_share: float = 0.3  # dense score = share * best sentence cosine + (1 - share) * chunk cosine


WEIGHTS_ZH = FusionWeights()
# English questions: BM25 only sees the alias words, and the model matches single sentences
# across languages better than whole windows (measured on the dev split).
WEIGHTS_EN = FusionWeights(dense=1.0, words=0.4, bigrams=0.4, keys=1.0, sentence_share=1.0)
KEY_FLOOR = 0.5  # a key less like the question than this (cosine) points nowhere


class _BM25:
    """A bm25s index over pre-tokenised chunks."""

    def __init__(self, docs: tuple[tuple[str, ...], ...]) -> None:
        self.bm25 = bm25s.BM25()
        self.bm25.index([list(d) or [""] for d in docs], show_progress=False)
        self.n = len(docs)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (zeros when none are known)."""
        known = [t for t in tokens if t in self.bm25.vocab_dict and t]
        if not known:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every item by descending score; items scoring <= 0 get rank 0 (absent)."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.zeros(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    ranks[scores <= 0] = 0
    return ranks


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.words = _BM25(index.words)
        self.bigrams = _BM25(index.bigrams)
        self.chunk_matrix = index.chunk_vectors.reconstruct_n(0, index.chunk_vectors.ntotal)
        self.sentence_matrix = index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal)
        self.chunk_of_sentence = np.array([s.chunk_index for s in index.sentences])
        self.parts = np.array([c.part for c in index.chunks])
        n_keys = index.key_vectors.ntotal if index.key_vectors is not None else 0
        self.key_matrix = index.key_vectors.reconstruct_n(0, n_keys) if n_keys else None
        self.key_rows: dict[str, list[int]] = {}  # key question -> key indexes (to leave one out in training)
        for i, k in enumerate(index.keys):
            self.key_rows.setdefault(k.question, []).append(i)

    def key_sentence_sims(self, qvec: np.ndarray, exclude: str | None = None) -> np.ndarray | None:
        """Per sentence: the cosine of the most similar authored question it answers (-1: none); None: no keys."""
        if self.key_matrix is None:
            return None
        sims = self.key_matrix @ qvec
        if exclude is not None:
            sims[self.key_rows.get(exclude, [])] = -1.0
        out = np.full(len(self.index.sentences), -1.0, dtype=np.float32)
        for i in np.flatnonzero(sims >= KEY_FLOOR):
            for si in self.index.keys[i].sentences:
                out[si] = max(out[si], sims[i])
        return out

    def embed(self, q: Query) -> np.ndarray:
        """The query vector (unit length)."""
        return self.embed_many([q])[0]

    def embed_many(self, qs: list[Query]) -> np.ndarray:
        """Query vectors for many questions in one batch (training)."""
        return self.embedder.encode([q.raw if q.english else q.core for q in qs])

    def search(
        self,
        q: Query,
        k: int = 20,
        qvec: np.ndarray | None = None,
        weights: FusionWeights | None = None,
        use: tuple[str, ...] = ("dense", "words", "bigrams", "keys"),
        key_sims: np.ndarray | None = None,
    ) -> list[Hit]:
        """The top ``k`` chunks for the query, best first."""
        w = weights or (WEIGHTS_EN if q.english else WEIGHTS_ZH)
        qvec = self.embed(q) if qvec is None else qvec
        best_sentence = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.chunk_of_sentence, self.sentence_matrix @ qvec)
        dense = w.sentence_share * best_sentence + (1 - w.sentence_share) * (self.chunk_matrix @ qvec)
        lexical = q.lexical
        by_key = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        if key_sims is not None:
            np.maximum.at(by_key, self.chunk_of_sentence, key_sims)
        per = {
            "dense": (dense + 1.0, w.dense),  # shifted so every chunk has a dense rank
            "words": (self.words.scores(word_tokens(lexical)), w.words),
            "bigrams": (self.bigrams.scores(bigram_tokens(lexical)), w.bigrams),
            "keys": (np.where(by_key > 0, by_key, 0.0), w.keys),
        }
        fused = np.zeros(len(self.index.chunks), dtype=np.float64)
        all_ranks: dict[str, np.ndarray] = {}
        for name in use:
            if name == "keys" and key_sims is None:
                continue
            scores, weight = per[name]
            r = _ranks(scores)
            all_ranks[name] = r
            fused += np.where(r > 0, weight / (RRF_K + r), 0.0)
        if q.part:
            fused = np.where(self.parts == q.part, fused * w.part_boost, fused)
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(
                self.index.chunks[i],
                float(fused[i]),
                {n: int(r[i]) for n, r in all_ranks.items() if r[i] > 0},
                float(dense[i]),
            )
            for i in order
        ]
