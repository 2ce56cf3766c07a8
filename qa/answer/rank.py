"""Stage 4: which of the candidate sentences to quote first: a linear ranker over report-agnostic features.

Every sentence of the top chunks is described by :data:`SENTENCE_FEATURES` (its cosine with the
question, how much of the question's content it holds and how rare that content is, how its chunk
ranked in each retriever, whether it fits the asked slot and part, how close it is to an authored
question that it answers ...). Its score is the dot product with the ranker's weights.

``qa train`` learns the weights from the authored training set (a pairwise logistic regression: a
gold sentence against each other candidate of the same question) and saves them in
``qa/data/answerability.json``. :data:`HAND` is the order used before a ranker is learned (the
hand-set weights the engine had before, in these features).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SENTENCE_FEATURES: tuple[str, ...] = (
    "dense",  # cosine of the question and the sentence
    "share",  # share of the question's content units the sentence holds
    "chunk_rank",  # 1 / the rank of its chunk after fusion
    "slot_fit",  # how well it fits the asked slot (a count of the asked noun, an amount, a date), 0..1
    "key",  # cosine of the nearest authored question whose answer it is (0 without keys)
    "short",  # a short lead phrase without a figure (经济运行持续向好。)
    "part",  # +1 in the part (year) the question asks about, -1 in the other, 0 when it asks none
    "chunk_dense",  # the cosine of its chunk
    "log_len",  # log of its length in characters
    "en_dense",  # the same four, for an English question (0 for Chinese): English reads differently
    "en_share",
    "en_chunk_rank",
    "en_key",
    "weighted_share",  # rarity-weighted share of the question's topic units it holds
    "en_weighted_share",
    "log_units_found",  # log(1 + topic units it holds)
    "words_rank",  # 1 / its chunk's rank by BM25 words (0: not ranked)
    "bigrams_rank",  # by BM25 bigrams
    "dense_rank",  # by the dense retriever
    "keys_rank",  # by the authored questions
    "first_in_chunk",  # the chunk's first sentence (often a heading or a lead phrase)
    "en_log_len",
    "mapped",  # cosine of the sentence and the question moved by the query map (0 without keys)
    "en_mapped",
)
# the kept quotes: further sentences score within this margin of the first. For a learned ranker the
# unit is the log-odds that one sentence is the better: 1.5 quotes a second sentence unless the first is
# about 4.5 times likelier the better one. Chosen on the training set's out-of-fold ranking: it quotes as
# many sentences per answer as the hand-set ratios did (1.4 in Chinese, 1.6 in English), with a gold
# sentence among them more often and a larger share of them gold, in all three languages.
LEARNED_MARGIN = 1.5


@dataclass(frozen=True)
class SentenceRanker:
    """Weights over :data:`SENTENCE_FEATURES` and the quoting margin (data, not code)."""

    weights: np.ndarray
    margin: float
    meta: dict[str, Any]
    # The weights for a report without authored questions (None: ``weights``), learned on candidates retrieved
    # as for one: with the key and map features there, the others learn to lean on them (the cosine with the
    # question alone came to weigh against a sentence once the cosine with the mapped question carried it).
    keyless: np.ndarray | None = None

    def scores(self, x: np.ndarray, keys: bool = True) -> np.ndarray:
        """One score per row of ``x`` (candidates x :data:`SENTENCE_FEATURES`); ``keys``: the report has keys."""
        weights = self.weights if keys or self.keyless is None else self.keyless
        return np.asarray(x @ weights)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready content."""
        out: dict[str, Any] = {
            "features": list(SENTENCE_FEATURES),
            "weights": [round(float(v), 8) for v in self.weights],
            "margin": self.margin,
            "meta": self.meta,
        }
        if self.keyless is not None:
            out["keyless_weights"] = [round(float(v), 8) for v in self.keyless]
        return out

    @staticmethod
    def from_json(d: dict[str, Any]) -> SentenceRanker:
        """Inverse of :meth:`to_json`; ValueError when it was learned over other features."""
        if tuple(d["features"]) != SENTENCE_FEATURES:
            raise ValueError("the sentence ranker was learned over other features")
        keyless = np.asarray(d["keyless_weights"], dtype=np.float64) if d.get("keyless_weights") else None
        weights = np.asarray(d["weights"], dtype=np.float64)
        return SentenceRanker(weights, float(d["margin"]), dict(d.get("meta", {})), keyless)


def _hand() -> SentenceRanker:
    """The hand-set order (0.5 cosine + 0.5 share + 0.15 / chunk rank in Chinese + slot, key, part, short)."""
    w = dict.fromkeys(SENTENCE_FEATURES, 0.0)
    w.update(dense=0.5, share=0.5, chunk_rank=0.15, en_chunk_rank=-0.15, slot_fit=0.15, key=0.3, short=-0.2, part=0.1)
    return SentenceRanker(np.asarray([w[f] for f in SENTENCE_FEATURES]), 0.15, {"note": "hand-set, not learned"})


HAND = _hand()
