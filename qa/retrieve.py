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
    part_boost: float = 1.5  # multiplies the fused score of chunks in the asked-about part
    sentence_share: float = 0.3  # dense score = share * best sentence cosine + (1 - share) * chunk cosine


WEIGHTS_ZH = FusionWeights()
# English questions: BM25 only sees the alias words, and the model matches single sentences
# across languages better than whole windows (measured on the dev split).
WEIGHTS_EN = FusionWeights(dense=1.0, words=0.4, bigrams=0.4, sentence_share=1.0)


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

    def embed(self, q: Query) -> np.ndarray:
        """The query vector (unit length)."""
        text = q.raw if q.english else q.core
        return self.embedder.encode([text])[0]

    def search(
        self,
        q: Query,
        k: int = 20,
        qvec: np.ndarray | None = None,
        weights: FusionWeights | None = None,
        use: tuple[str, ...] = ("dense", "words", "bigrams"),
    ) -> list[Hit]:
        """The top ``k`` chunks for the query, best first."""
        w = weights or (WEIGHTS_EN if q.english else WEIGHTS_ZH)
        qvec = self.embed(q) if qvec is None else qvec
        best_sentence = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.chunk_of_sentence, self.sentence_matrix @ qvec)
        dense = w.sentence_share * best_sentence + (1 - w.sentence_share) * (self.chunk_matrix @ qvec)
        lexical = q.lexical
        per = {
            "dense": (dense + 1.0, w.dense),  # shifted so every chunk has a dense rank
            "words": (self.words.scores(word_tokens(lexical)), w.words),
            "bigrams": (self.bigrams.scores(bigram_tokens(lexical)), w.bigrams),
        }
        fused = np.zeros(len(self.index.chunks), dtype=np.float64)
        all_ranks: dict[str, np.ndarray] = {}
        for name in use:
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
