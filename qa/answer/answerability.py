"""Stage 5a: answerability: does the report answer a question fully, in part, or not at all.

A model over report-agnostic features (retrieval scores, how much of the question's content the best
sentence covers and how rare the missing content is, whether the sentence fits the asked slot and year,
the intent) gives P(answered), P(partial), P(declined): the mean of a few small neural networks (one
hidden layer of rectified units, then a softmax), or for a report without authored questions a
multinomial logistic regression (a network without the hidden layer). It is trained by ``qa train``
(:mod:`qa.answer.train`) on the authored training set ``eval/train/`` and saved as data:
``qa/data/answerability.json`` holds the feature names, the scaler, the weights, the decision threshold
and the training set's sha256. No pickle.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qa.answer.rank import SENTENCE_FEATURES, SentenceRanker
from qa.answer.understand import INTENTS, SLOTS, Frame
from qa.datafiles import DATA_DIR
from qa.text.english import lemma
from qa.text.normalize import Query

Status = Literal["answered", "partial", "declined"]
STATUSES: tuple[Status, ...] = ("answered", "partial", "declined")
# What kind of question it is, as the training set labels it: answered, or one of its unanswerable
# kinds. The two first-stage models (question shape, question embedding) learn these, finer than the
# three statuses: an opinion, a how-to and a figure the report never gives are asked in different ways.
Kind = Literal[
    "answered", "near-miss", "detail-left-out", "never-given", "other-place", "other-year", "opinion", "howto"
]
KINDS: tuple[Kind, ...] = (
    "answered",
    "near-miss",
    "detail-left-out",
    "never-given",
    "other-place",
    "other-year",
    "opinion",
    "howto",
)
MODEL_FILE = DATA_DIR / "answerability.json"
# 4: networks with a hidden layer; 3: with the sentence ranker; 2: the stacked first-stage features are
# per kind (1: per status)
MODEL_FORMAT = 4

NUMERIC_FEATURES: tuple[str, ...] = (
    "dense_best",  # best cosine of the question and any candidate sentence or chunk
    "dense_first",  # cosine of the question and the sentence that would be quoted first
    "coverage",  # share of the question's content units found in the top 3 chunks
    "focus",  # share found in the first sentence
    "miss_weight",  # rarity-weighted share of content units missing from the first sentence
    "absent_weight",  # rarity-weighted share of content units found nowhere in the report
    "max_miss_idf",  # rarity of the rarest unit missing from the first sentence (0..1)
    "slot_first",  # how well the first sentence fits the asked slot (0..1)
    "slot_best",  # best slot fit among the candidate sentences
    "topic_near_first",  # weighted share of the topic right by a thing of the asked kind, first sentence
    "topic_near_best",  # the same, best among the top candidate sentences
    "near_asked_part",  # the same, best among candidates in the part (year) the question asks about
    "near_other_part",  # and best among candidates in the other part: the thing is there, for the other year
    "part_conflict",  # the question asks one year's part and the first sentence is in the other
    "lexical_agree",  # the top chunk is also ranked in the top 3 by a lexical retriever
    "n_units",  # log(1 + number of content units)
    "english",
    "other_place",  # names a place other than the report's own (天河, Shenzhen, 香港) and not its own
    "parent_place",  # names the city or province the report's district is in (广州 for 荔湾区)
    "other_year",  # names a year other than the report's two
    "place_unquoted",  # names a place besides the report's own (or its city) that the quoted passage does not
    # log P(kind) from the question's shape alone (ShapeModel), stacked: shape_answered, shape_opinion ...
    *(f"shape_{k}" for k in KINDS),
    # log P(kind) from the question's embedding alone (EmbeddingHead), stacked
    *(f"embq_{k}" for k in KINDS),
    "key_answered",  # best cosine with an authored question the report answers (question keys)
    "key_unanswered",  # best cosine with an authored question it cannot answer
    "key_vote",  # cosine-weighted share of unanswerable ones among the 10 nearest authored questions
)
FEATURES: tuple[str, ...] = (
    *NUMERIC_FEATURES,
    *(f"intent={i}" for i in INTENTS),
    *(f"slot={s}" for s in SLOTS),
)


def feature_vector(values: dict[str, float], frame: Frame) -> np.ndarray:
    """The model's input, in :data:`FEATURES` order (numeric values plus one-hot intent and slot)."""
    out = [float(values[name]) for name in NUMERIC_FEATURES]
    out += [1.0 if frame.intent == i else 0.0 for i in INTENTS]
    out += [1.0 if frame.slot == s else 0.0 for s in SLOTS]
    return np.asarray(out, dtype=np.float64)


class AnswerModelError(RuntimeError):
    """The answerability model file is missing, unreadable, or was trained for other features."""


def _rows(a: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 8) for v in row] for row in a]


def _values(a: np.ndarray) -> list[float]:
    return [round(float(v), 8) for v in a]


@dataclass(frozen=True)
class Network:
    """P(status) from scaled features: a hidden layer of rectified units, then a softmax (data, not code).

    Without the hidden layer (``hidden`` None) it is a multinomial logistic regression.
    """

    coef: np.ndarray  # statuses x hidden units (statuses x features without a hidden layer)
    intercept: np.ndarray  # statuses
    hidden: np.ndarray | None = None  # hidden units x features
    hidden_intercept: np.ndarray | None = None  # hidden units

    def proba(self, z: np.ndarray) -> np.ndarray:
        """P(status) in :data:`STATUSES` order for one scaled feature vector."""
        if self.hidden is not None and self.hidden_intercept is not None:
            z = np.maximum(self.hidden @ z + self.hidden_intercept, 0.0)
        out = self.coef @ z + self.intercept
        out = np.exp(out - out.max())
        return np.asarray(out / out.sum())

    def fits(self, n_features: int) -> bool:
        """Whether its arrays have the shapes ``n_features`` and the statuses ask for."""
        inner = n_features
        if self.hidden is not None or self.hidden_intercept is not None:
            if self.hidden is None or self.hidden_intercept is None or self.hidden.ndim != 2:
                return False
            inner = len(self.hidden)
            if self.hidden.shape != (inner, n_features) or self.hidden_intercept.shape != (inner,):
                return False
        return self.coef.shape == (len(STATUSES), inner) and self.intercept.shape == (len(STATUSES),)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "coef": _rows(self.coef),
            "intercept": _values(self.intercept),
            "hidden": None if self.hidden is None else _rows(self.hidden),
            "hidden_intercept": None if self.hidden_intercept is None else _values(self.hidden_intercept),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> Network:
        """Inverse of :meth:`to_json`."""

        def array(v: Any) -> np.ndarray | None:
            return None if v is None else np.asarray(v, dtype=np.float64)

        return Network(
            np.asarray(d["coef"], dtype=np.float64),
            np.asarray(d["intercept"], dtype=np.float64),
            array(d.get("hidden")),
            array(d.get("hidden_intercept")),
        )


@dataclass(frozen=True)
class AnswerModel:
    """The trained answerability model (data, not code): scaler, networks, threshold."""

    features: tuple[str, ...]
    classes: tuple[Status, ...]
    mean: np.ndarray
    scale: np.ndarray
    networks: tuple[Network, ...]  # P(status) is the mean of theirs
    answer_threshold: float  # P(answered) at or above this answers
    shape: ShapeModel | None = None  # the question-shape model whose log-probabilities are stacked in
    head: EmbeddingHead | None = None  # and the question-embedding model
    meta: dict[str, Any] = field(default_factory=dict)
    # for a report without authored questions (any report but the one the training set is about):
    # the same model fitted with the key features at 0, and its own threshold
    keyless: AnswerModel | None = None
    ranker: SentenceRanker | None = None  # which candidate sentence to quote first (:mod:`qa.answer.rank`)

    def proba(self, x: np.ndarray) -> dict[str, float]:
        """P(status) for one feature vector."""
        z = (x - self.mean) / self.scale
        p = np.mean([net.proba(z) for net in self.networks], axis=0)
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}

    def decide(self, x: np.ndarray, keys: bool = True) -> tuple[Status, dict[str, float]]:
        """The status for one feature vector, with the probabilities behind it.

        ``keys=False``: the report asked has no authored questions; the keyless model decides.
        """
        if not keys and self.keyless is not None:
            return self.keyless.decide(x)
        p = self.proba(x)
        if p["answered"] >= self.answer_threshold:
            return "answered", p
        return ("partial" if p["partial"] >= p["declined"] else "declined"), p

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        return {
            "format": MODEL_FORMAT,
            "features": list(self.features),
            "classes": list(self.classes),
            "mean": _values(self.mean),
            "scale": _values(self.scale),
            "networks": [net.to_json() for net in self.networks],
            "answer_threshold": round(self.answer_threshold, 6),
            "meta": self.meta,
            "shape": self.shape.to_json() if self.shape else None,
            "head": self.head.to_json() if self.head else None,
            "keyless": self.keyless.to_json() if self.keyless else None,
            "ranker": self.ranker.to_json() if self.ranker else None,
        }

    def save(self, path: Path = MODEL_FILE) -> None:
        """Write the model as JSON."""
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @staticmethod
    def load(path: Path = MODEL_FILE) -> AnswerModel:
        """Read a saved model; raise :class:`AnswerModelError` (saying to run `qa train`) when it cannot be used."""
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(d, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as e:
            raise AnswerModelError(f"cannot read the answerability model {path}: {e}; run `qa train`") from e
        if d.get("format") != MODEL_FORMAT or tuple(d.get("features", ())) != FEATURES:
            raise AnswerModelError(f"{path} was trained for other features; run `qa train`")
        if tuple(d.get("classes", ())) != STATUSES:
            raise AnswerModelError(f"{path} has classes {d.get('classes')}, expected {list(STATUSES)}; run `qa train`")
        try:
            model = _from_json(d)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise AnswerModelError(f"{path} is incomplete ({e!r}); run `qa train`") from e
        n = len(FEATURES)
        for m in (model, model.keyless):
            if m is not None and (
                m.mean.shape != (n,)
                or m.scale.shape != (n,)
                or not m.networks
                or not all(net.fits(n) for net in m.networks)
            ):
                raise AnswerModelError(f"{path} has arrays of the wrong shape; run `qa train`")
        if model.ranker is not None and model.ranker.weights.shape != (len(SENTENCE_FEATURES),):
            raise AnswerModelError(f"{path} has a sentence ranker of the wrong shape; run `qa train`")
        for first in (model.shape, model.head):
            if first is not None and (first.coef.shape[0], first.intercept.shape) != (len(KINDS), (len(KINDS),)):
                raise AnswerModelError(f"{path} has a first-stage model of the wrong shape; run `qa train`")
        return model


def _from_json(d: dict[str, Any]) -> AnswerModel:
    """A model (and its keyless variant) from the file's JSON object."""
    return AnswerModel(
        FEATURES,
        STATUSES,
        np.asarray(d["mean"], dtype=np.float64),
        np.asarray(d["scale"], dtype=np.float64),
        tuple(Network.from_json(net) for net in d["networks"]),
        float(d["answer_threshold"]),
        ShapeModel.from_json(d["shape"]) if d.get("shape") else None,
        EmbeddingHead.from_json(d["head"]) if d.get("head") else None,
        d.get("meta", {}),
        _from_json(d["keyless"]) if d.get("keyless") else None,
        SentenceRanker.from_json(d["ranker"]) if d.get("ranker") else None,
    )


_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
SHAPE_NGRAMS = (1, 2, 3)


def question_shape(q: Query, report_bigrams: frozenset[str], years: frozenset[int] = frozenset()) -> str:
    """The question with the report's own content masked: 区儿童医院在哪条路 -> XXXXX在哪条路.

    What is left is how the question asks (在哪条路, 电话几号, 值不值得, 有多少), not what it asks
    about, so a model of it carries over to another report. A year is masked too: ``Y`` when the report
    speaks of it (``years``), ``Z`` when not (2023年 asks another year of the Liwan report, but its own
    year of the 2023 State Council report).
    """

    def year(m: re.Match[str]) -> str:
        return "Y" if int(m.group()) in years else "Z"

    if q.english:
        glossed = {w for w, targets in q.aliases if targets}
        words = re.findall(r"[a-z0-9]+", q.text.lower())
        return " ".join(
            _YEAR.sub(year, w) if _YEAR.fullmatch(w) else "X" if w in glossed or lemma(w) in glossed else w
            for w in words
        )
    text = q.text.lower()
    out = list(text)
    for i in range(len(text) - 1):
        pair = text[i : i + 2]
        if _CJK_PAIR.fullmatch(pair) and pair in report_bigrams:
            out[i] = out[i + 1] = "X"
    return _YEAR.sub(year, "".join(out))


def shape_ngrams(shape: str) -> list[str]:
    """Character 1-3-grams of a question shape (runs of X count as one X)."""
    text = re.sub(r"X+", "X", shape)
    return [text[i : i + n] for n in SHAPE_NGRAMS for i in range(len(text) - n + 1)]


@dataclass(frozen=True)
class ShapeModel:
    """P(kind) from the question's shape: TF-IDF of its n-grams and a logistic regression (data, not code)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # kinds x vocabulary
    intercept: np.ndarray

    def log_proba(self, shape: str) -> np.ndarray:
        """Log P(kind) in :data:`KINDS` order."""
        counts: dict[int, int] = {}
        for g in shape_ngrams(shape):
            j = self.vocabulary.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        z = self.intercept.copy()
        if counts:
            cols = np.fromiter(counts, dtype=np.int64)
            w = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[cols]
            w /= np.linalg.norm(w)
            z = z + self.coef[:, cols] @ w
        z = z - z.max()
        return np.asarray(z - np.log(np.exp(z).sum()))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "vocabulary": self.vocabulary,
            "idf": [round(float(v), 6) for v in self.idf],
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
            "intercept": [round(float(v), 6) for v in self.intercept],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> ShapeModel:
        """Inverse of :meth:`to_json`."""
        return ShapeModel(
            {str(k): int(v) for k, v in d["vocabulary"].items()},
            np.asarray(d["idf"], dtype=np.float64),
            np.asarray(d["coef"], dtype=np.float64),
            np.asarray(d["intercept"], dtype=np.float64),
        )


@dataclass(frozen=True)
class EmbeddingHead:
    """P(kind) from the question's embedding: a logistic regression on the vector (data, not code).

    It reads what kind of question it is across languages (值唔值得 and "is it worth" land close), and
    is tied to the embedding model it was trained with (``model``).
    """

    model: str
    coef: np.ndarray  # kinds x dims
    intercept: np.ndarray

    def log_proba(self, qvec: np.ndarray) -> np.ndarray:
        """Log P(kind) in :data:`KINDS` order."""
        z = self.coef @ qvec + self.intercept
        z = z - z.max()
        return np.asarray(z - np.log(np.exp(z).sum()))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "model": self.model,
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
            "intercept": [round(float(v), 6) for v in self.intercept],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> EmbeddingHead:
        """Inverse of :meth:`to_json`."""
        return EmbeddingHead(
            str(d["model"]), np.asarray(d["coef"], dtype=np.float64), np.asarray(d["intercept"], dtype=np.float64)
        )


def idf_weights(unit_docs: list[set[str]]) -> dict[str, float]:
    """Rarity of each unit over the report's sentences, scaled to 0..1 (a unit in no sentence is 1)."""
    n = len(unit_docs)
    df: dict[str, int] = {}
    for doc in unit_docs:
        for u in doc:
            df[u] = df.get(u, 0) + 1
    return {u: rarity(c, n) for u, c in df.items()}


def rarity(df: int, n: int) -> float:
    """How rare a unit held by ``df`` of ``n`` sentences is, scaled to 0..1 (1: in none of them)."""
    return math.log((n + 1) / (df + 1)) / math.log(n + 1)
