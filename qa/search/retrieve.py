"""Stage 4: hybrid retrieval — dense (FAISS) + BM25 on jieba words + BM25 on bigrams, fused.

Fusion is weighted reciprocal rank fusion; a question that clearly asks about 2025
plans (or 2024 results) lifts the chunks of that part of the report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from qa.search.embedding import Embedder
from qa.search.index import KEYS_REPORT, Index
from qa.text.normalize import Query, bigram_tokens, word_tokens
from qa.types import Hit

RRF_K = 60  # reciprocal rank fusion constant


@dataclass(frozen=True)
class FusionWeights:
    """How much each retriever counts, and the lift for the part a question asks about."""

    dense: float = 1.0
    words: float = 1.0
    bigrams: float = 1.0
    keys: float = 1.0  # the authored questions most like this one point at their sentences' chunks
    mapped: float = 1.0  # the question moved by the map learned from the authored questions (Retriever.query_map)
    part_boost: float = 1.5  # multiplies the fused score of chunks in the asked-about part
    sentence_share: float = 0.3  # dense score = share * best sentence cosine + (1 - share) * chunk cosine


WEIGHTS_ZH = FusionWeights()
# English questions: BM25 only sees the glossed words, and the model matches single sentences
# across languages better than whole windows (measured on the dev split and the English training
# questions).
WEIGHTS_EN = FusionWeights(dense=1.0, words=0.6, bigrams=0.6, keys=1.0, sentence_share=1.0)
KEY_FLOOR = 0.5  # a key less like the question than this (cosine) points nowhere
GLOSS_CACHE_FLOATS = 4_000_000  # per BM25 index: the gloss words' scores kept (16 MB at most)
N_NEIGHBOURS = 10  # authored questions whose labels vote in the answerability model's key_vote
QUESTION_CACHE = 1024  # questions whose vector and key cosines are kept, least recently asked forgotten (~33 MB)
LEFT_OUT_CACHE = 64  # sets of left-out authored questions whose key indexes are kept (training: one per session)
MAP_RIDGE = 10.0  # the query map's pull towards leaving a question vector as it is (see Retriever.query_map)
MAP_BLOCK = 1024  # keys read at a time when the map is learned


class _BM25:
    """A bm25s index over pre-tokenised chunks."""

    def __init__(self, docs: tuple[tuple[str, ...], ...]) -> None:
        self.bm25 = bm25s.BM25()
        self.bm25.index([list(d) or [""] for d in docs], show_progress=False)
        self.n = len(docs)
        # the scores of a gloss's report word (English questions ask for the same few thousand again and again)
        self._word_scores: dict[str, np.ndarray] = {}
        self._max_cached = max(256, GLOSS_CACHE_FLOATS // max(self.n, 1))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (zeros when none are known)."""
        known = [t for t in tokens if t in self.bm25.vocab_dict and t]
        if not known:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def glossed_scores(self, q: Query, tokenize: Callable[[str], list[str]]) -> np.ndarray:
        """BM25 of an English question: its own words, plus per glossed word the best of its report words.

        An English word glosses to several report words (year -> 今年, 全年, 年度 ...): they are
        alternatives, so the best one counts, not their sum.
        """
        total = self.scores(tokenize(q.core)).astype(np.float64)
        for _, targets in q.aliases:
            best = np.zeros(self.n)
            for t in targets:
                best = np.maximum(best, self._scores_of_word(t, tokenize))
            total += best
        return total.astype(np.float32)

    def _scores_of_word(self, word: str, tokenize: Callable[[str], list[str]]) -> np.ndarray:
        """``scores(tokenize(word))``, kept for the next question (up to ``GLOSS_CACHE_FLOATS`` numbers in all)."""
        got = self._word_scores.get(word)
        if got is None:
            got = self.scores(tokenize(word))
            if len(self._word_scores) < self._max_cached:
                self._word_scores[word] = got
        return got


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
        # the (role, year) of each chunk's part, as an index into the few distinct ones
        self.part_keys = sorted({(c.part, c.year or 0) for c in index.chunks})
        position = {key: i for i, key in enumerate(self.part_keys)}
        self.part_of_chunk = np.array([position[(c.part, c.year or 0)] for c in index.chunks])
        self.dated = np.array([c.year is not None for c in index.chunks])  # per chunk: in a part with a year
        n_keys = index.key_vectors.ntotal if index.key_vectors is not None else 0
        self.key_matrix = index.key_vectors.reconstruct_n(0, n_keys) if n_keys else None
        self.key_rows: dict[str, list[int]] = {}  # key question -> key indexes (to leave one out in training)
        for i, k in enumerate(index.keys):
            self.key_rows.setdefault(k.question, []).append(i)
        self.key_unanswered = np.array([k.status != "answered" for k in index.keys], dtype=bool)
        # (key, sentence it answers) pairs, for key_sentence_sims
        self.pair_key = np.array([i for i, k in enumerate(index.keys) for _ in k.sentences], dtype=np.int64)
        self.pair_sentence = np.array([si for k in index.keys for si in k.sentences], dtype=np.int64)
        # the sentences of the report the keys are about (the only ones the query map may point at), and their chunks
        keyed = np.array([index.chunks[s.chunk_index].report == KEYS_REPORT for s in index.sentences], dtype=bool)
        self.keyed_matrix, self.keyed_chunk = self.sentence_matrix[keyed], self.chunk_of_sentence[keyed]
        # A question asked again (a chat's example, a popular question) is not embedded again, nor compared
        # with every key again (a 16 MB read): both depend on its text alone, so what is kept is exact.
        self._kept_vector = functools.lru_cache(QUESTION_CACHE)(self._vector)  # embed text -> unit vector
        self._kept_cosines = functools.lru_cache(QUESTION_CACHE)(self._cosines)  # vector's bytes -> its key cosines
        # training leaves out a whole authoring session's keys, the same few hundred for each of its questions
        self._left_out = functools.lru_cache(LEFT_OUT_CACHE)(self._rows_of)
        self._maps = functools.lru_cache(LEFT_OUT_CACHE)(self._fit_map)
        self._map_sums: tuple[np.ndarray, np.ndarray] | None = None

    def forget(self) -> None:
        """Forget the kept question vectors and key cosines: the next questions cost what new ones do (benchmarks)."""
        self._kept_vector.cache_clear()
        self._kept_cosines.cache_clear()

    def _vector(self, embed_text: str) -> np.ndarray:
        """A question's unit vector, read-only (it is kept and shared)."""
        v = self.embedder.encode([embed_text])[0]
        v.flags.writeable = False
        return v

    def _cosines(self, qbytes: bytes, dtype: str) -> np.ndarray:
        """``key_matrix @ qvec`` for the vector in ``qbytes``, read-only (it is kept and shared)."""
        assert self.key_matrix is not None
        c = self.key_matrix @ np.frombuffer(qbytes, dtype=dtype)
        c.flags.writeable = False
        return c

    def _rows_of(self, questions: tuple[str, ...]) -> np.ndarray:
        """The key indexes of these authored questions (read-only: they are kept)."""
        rows = np.array([r for question in questions for r in self.key_rows.get(question, [])], dtype=np.int64)
        rows.flags.writeable = False
        return rows

    def key_sims(
        self, qvec: np.ndarray, exclude: Sequence[str] = (), cosines: np.ndarray | None = None
    ) -> np.ndarray | None:
        """The cosine of the question and every authored question (the rows of ``exclude``'s questions -1).

        ``cosines``: ``key_matrix @ qvec`` already computed (:meth:`key_cosines` for many questions).
        None: no keys.
        """
        if self.key_matrix is None:
            return None
        if cosines is None:
            cosines = self._kept_cosines(qvec.tobytes(), qvec.dtype.str)
        sims = cosines.copy()
        if exclude:
            sims[self._left_out(tuple(exclude))] = -1.0
        return sims

    def key_cosines(self, qvecs: np.ndarray) -> np.ndarray | None:
        """Per question (row), the cosine with every authored question: one matrix product for many.

        (Question by question, reading the 16 MB key matrix once per question is most of the time.)
        """
        return None if self.key_matrix is None else qvecs @ self.key_matrix.T

    def _answered_pairs(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The question vectors of the answered keys among ``rows``, and the mean vector of each one's sentences."""
        assert self.key_matrix is not None
        keys = self.index.keys
        rows = np.array([r for r in rows if keys[r].sentences], dtype=np.int64)
        counts = np.array([len(keys[r].sentences) for r in rows], dtype=np.int64)
        if not len(rows):
            empty = np.zeros((0, self.key_matrix.shape[1]), np.float32)
            return empty, empty
        sentences = np.fromiter((si for r in rows for si in keys[r].sentences), dtype=np.int64, count=int(counts.sum()))
        starts = np.cumsum(counts) - counts
        targets = np.add.reduceat(self.sentence_matrix[sentences], starts, axis=0) / counts[:, None].astype(np.float32)
        return self.key_matrix[rows], targets

    def _sums(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Q'Q and Q'T over these keys' answered pairs, in blocks of MAP_BLOCK keys (a few MB at a time)."""
        assert self.key_matrix is not None
        dim = self.key_matrix.shape[1]
        gram, cross = np.zeros((dim, dim)), np.zeros((dim, dim))
        for i in range(0, len(rows), MAP_BLOCK):
            q, t = self._answered_pairs(rows[i : i + MAP_BLOCK])
            gram += q.T @ q  # float32 products, summed in float64
            cross += q.T @ t
        return gram, cross

    def _fit_map(self, exclude: tuple[str, ...]) -> np.ndarray:
        """:meth:`query_map` without the keys of ``exclude`` (read-only: it is kept)."""
        if self._map_sums is None:
            self._map_sums = self._sums(np.arange(len(self.index.keys)))
        gram, cross = self._map_sums
        if exclude:
            left_gram, left_cross = self._sums(self._left_out(exclude))
            gram, cross = gram - left_gram, cross - left_cross
        eye = np.eye(len(gram)) * MAP_RIDGE
        w = np.linalg.solve(gram + eye, cross + eye).astype(np.float32)
        w.flags.writeable = False
        return w

    def query_map(self, exclude: Sequence[str] = ()) -> np.ndarray | None:
        """The linear map that moves a question's vector towards the sentences that answer it (None: no keys).

        Learned from the authored questions the report answers: ridge regression from each one's vector to
        the mean vector of its gold sentences, pulled towards the identity (``MAP_RIDGE``), so that a
        question unlike any authored one is left nearly as it was. It is what the keys teach, smoothed
        over all of them: an English or colloquial question moves towards where questions like it were
        answered, even when no single authored question is close. ``exclude``: authored questions it may not
        learn from (training leaves out a question's own session, as for the keys).
        """
        if self.key_matrix is None or not len(self.pair_key):  # no key that the report answers
            return None
        return self._maps(tuple(exclude))

    def mapped(self, qvec: np.ndarray, exclude: Sequence[str] = ()) -> np.ndarray | None:
        """The question vector moved by :meth:`query_map`, unit length (None: no keys)."""
        w = self.query_map(exclude)
        if w is None:
            return None
        v = qvec @ w
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else None

    def key_sentence_sims(self, sims: np.ndarray | None) -> np.ndarray | None:
        """Per sentence: the cosine of the most similar authored question it answers (-1: none); None: no keys."""
        if sims is None:
            return None
        out = np.full(len(self.index.sentences), -1.0, dtype=np.float32)
        pair_sims = sims[self.pair_key]
        near = pair_sims >= KEY_FLOOR
        np.maximum.at(out, self.pair_sentence[near], pair_sims[near])  # a maximum: the same in any order
        return out

    def key_neighbours(self, sims: np.ndarray | None, allowed: np.ndarray | None = None) -> dict[str, float]:
        """How the nearest authored questions were labelled: the answerability model's key features.

        ``key_answered`` / ``key_unanswered``: the best cosine with an authored question the report
        answers / cannot answer; ``key_vote``: the cosine-weighted share of unanswerable questions among
        the ``N_NEIGHBOURS`` nearest. ``allowed``: which keys may count (a boolean per key; the answer
        stage passes over those that name another place or year). All 0 without keys.
        """
        if sims is None or not len(sims):
            return {"key_answered": 0.0, "key_unanswered": 0.0, "key_vote": 0.0}
        if allowed is not None:
            sims = np.where(allowed, sims, -1.0)
        unans = self.key_unanswered
        best_a = float(sims[~unans].max(initial=-1.0))
        best_u = float(sims[unans].max(initial=-1.0))
        near = np.argpartition(-sims, min(N_NEIGHBOURS, len(sims) - 1))[:N_NEIGHBOURS]
        w = np.clip(sims[near], 0.0, None)
        vote = float((w * unans[near]).sum() / w.sum()) if w.sum() > 0 else 0.0
        return {"key_answered": best_a, "key_unanswered": best_u, "key_vote": vote}

    def in_asked_part(self, q: Query) -> np.ndarray:
        """Per chunk: whether it is in the part (role and year) the question asks about (all False if none)."""
        asked = np.array([q.in_asked_part(part, year or None) for part, year in self.part_keys])
        return asked[self.part_of_chunk]

    def embed(self, q: Query) -> np.ndarray:
        """The query vector (unit length; read-only, as it is kept for the same text asked again)."""
        return self._kept_vector(q.embed_text)

    def embed_many(self, qs: list[Query]) -> np.ndarray:
        """Query vectors for many questions in one batch (training)."""
        return self.embedder.encode([q.embed_text for q in qs])

    def search(
        self,
        q: Query,
        k: int = 20,
        qvec: np.ndarray | None = None,
        weights: FusionWeights | None = None,
        use: tuple[str, ...] = ("dense", "words", "bigrams", "keys", "mapped"),
        key_sims: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
        mapped: np.ndarray | None = None,
    ) -> list[Hit]:
        """The top ``k`` chunks for the query, best first; only chunks ``allowed`` (a boolean per chunk) when given.

        ``key_sims``: per sentence, :meth:`key_sentence_sims`; ``mapped``: the question's :meth:`mapped`
        vector (each ranking is left out when not given).
        """
        w = weights or (WEIGHTS_EN if q.english else WEIGHTS_ZH)
        qvec = self.embed(q) if qvec is None else qvec
        best_sentence = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.chunk_of_sentence, self.sentence_matrix @ qvec)
        dense = w.sentence_share * best_sentence + (1 - w.sentence_share) * (self.chunk_matrix @ qvec)
        lexical = q.lexical
        if q.english:
            words, bigrams = self.words.glossed_scores(q, word_tokens), self.bigrams.glossed_scores(q, bigram_tokens)
        else:
            words, bigrams = self.words.scores(word_tokens(lexical)), self.bigrams.scores(bigram_tokens(lexical))
        by_key = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        if key_sims is not None:
            np.maximum.at(by_key, self.chunk_of_sentence, key_sims)
        by_map = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        if mapped is not None:
            np.maximum.at(by_map, self.keyed_chunk, self.keyed_matrix @ mapped)
        per = {
            "dense": (dense + 1.0, w.dense),  # shifted so every chunk has a dense rank
            "words": (words, w.words),
            "bigrams": (bigrams, w.bigrams),
            "keys": (np.where(by_key > 0, by_key, 0.0), w.keys),
            "mapped": (np.where(by_map > -1.0, by_map + 1.0, 0.0), w.mapped),
        }
        fused = np.zeros(len(self.index.chunks), dtype=np.float64)
        all_ranks: dict[str, np.ndarray] = {}
        for name in use:
            if (name == "keys" and key_sims is None) or (name == "mapped" and mapped is None):
                continue
            scores, weight = per[name]
            r = _ranks(scores if allowed is None else np.where(allowed, scores, 0.0))
            all_ranks[name] = r
            fused += np.where(r > 0, weight / (RRF_K + r), 0.0)
        if q.part or q.part_year:
            fused = np.where(self.in_asked_part(q), fused * w.part_boost, fused)
        order = np.argsort(-fused, kind="stable")
        if allowed is not None:
            order = order[allowed[order]]
        order = order[:k]
        return [
            Hit(
                self.index.chunks[i],
                float(fused[i]),
                {n: int(r[i]) for n, r in all_ranks.items() if r[i] > 0},
                float(dense[i]),
            )
            for i in order
        ]
