"""Stage 5: extractive answers — the report's own sentences, cited, or an abstention.

``QA.ask`` is the one code path behind the CLI, the eval runner and the web chat.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.embedding import Embedder
from qa.index import Index
from qa.retrieve import Retriever
from qa.textnorm import DATA_DIR, Query, bigram_tokens, clean_input, is_english, normalize_query, word_tokens
from qa.types import PART_LABELS, Answer, Citation, Hit, Sentence

MAX_QUESTION_CHARS = 300  # longer questions are refused with a message
N_PASSAGES = 12  # ranked passages returned with every answer
N_CANDIDATE_CHUNKS = 5  # chunks whose sentences compete to be quoted
MAX_QUOTES = 3
KEEP_RATIO = 0.85  # further quotes must score at least this share of the best one
SHORT_SENTENCE = 14  # a lead phrase this short is quoted with the sentence after it
NUMBER_QUESTION = re.compile(
    r"多少|几|幾|数量|比例|百分之|率是|how many|how much|what percentage|what share|number of", re.IGNORECASE
)
HAS_FIGURE = re.compile(r"\d|[一二三四五六七八九十两百千万亿]+(?:个|家|所|项|条|件|批|宗|张|台|座|支|名|户|人|场)")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")

MESSAGES = {  # (lang, key) -> fixed string
    ("zh", "empty"): "请输入一个问题。",
    ("en", "empty"): "Please type a question.",
    ("zh", "too_long"): f"问题太长了(超过{MAX_QUESTION_CHARS}字),请缩短后再问。",
    ("en", "too_long"): f"The question is too long (over {MAX_QUESTION_CHARS} characters); please shorten it.",
    ("zh", "abstain"): "报告中没有找到能回答这个问题的内容。",
    ("en", "abstain"): "The report does not say.",
    ("zh", "abstain_year"): "报告只讲2024年工作回顾和2025年工作安排,没有提到{years}年。",
    ("en", "abstain_year"): "The report covers 2024 results and 2025 plans; it does not mention {years}.",
    ("zh", "nearest"): "最接近的章节:",
    ("en", "nearest"): "Nearest sections:",
    ("zh", "lead"): "报告原文:",
    ("en", "lead"): "The report says (quoted in Chinese):",
}


@dataclass(frozen=True)
class AbstainPolicy:
    """Confidence = weight * best dense cosine + (1 - weight) * lexical coverage; abstain below threshold."""

    weight: float
    threshold: float

    @staticmethod
    def load(path: Path = DATA_DIR / "abstain.json") -> dict[str, AbstainPolicy]:
        """Per-language policies ("zh", "en") from the calibration file."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return {lang: AbstainPolicy(d["weight"], d["threshold"]) for lang, d in data["policies"].items()}


@dataclass(frozen=True)
class Evidence:
    """What the abstention decision looks at."""

    dense: float  # best cosine between the question and a top chunk or sentence
    coverage: float  # share of the question's content units found in the top chunks

    def confidence(self, policy: AbstainPolicy) -> float:
        """The policy's weighted score."""
        return policy.weight * self.dense + (1 - policy.weight) * self.coverage


def content_units(q: Query) -> set[str]:
    """The question's content: jieba words (stopwords dropped) cut into bigrams; Latin words whole."""
    units: set[str] = set()
    for tok in word_tokens(q.lexical):
        if tok.isascii():
            units.add(tok)
        else:
            units.update(bigram_tokens(tok))
    return units


def coverage(units: set[str], hits: list[Hit], top: int = 3) -> float:
    """Share of ``units`` that occur in the header or text of the top chunks."""
    if not units:
        return 0.0
    text = " ".join(f"{h.chunk.header} {h.chunk.text}" for h in hits[:top]).lower()
    return sum(u in text for u in units) / len(units)


class QA:
    """Question -> Answer over one index."""

    def __init__(self, index: Index, embedder: Embedder, policies: dict[str, AbstainPolicy] | None = None) -> None:
        self.index = index
        self.retriever = Retriever(index, embedder)
        self.sentence_matrix = index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal)
        self.sentences_of: dict[int, list[int]] = {}  # chunk index -> sentence indexes
        for si, s in enumerate(index.sentences):
            self.sentences_of.setdefault(s.chunk_index, []).append(si)
        self.chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        self.policies = policies or AbstainPolicy.load()
        self.retrievers: tuple[str, ...] = ("dense", "words", "bigrams")  # which rankings are fused (eval varies it)
        self.report_years = set(_YEAR.findall(index.report.text))
        word_tokens("预热")  # load jieba's dictionary now, not on the first question

    def ask(self, question: str) -> Answer:
        """Answer one question (never raises on bad input: returns a message instead)."""
        t0 = time.perf_counter()
        raw = clean_input(question)
        lang = "en" if is_english(raw) else "zh"
        if not raw:
            return _refusal(question, MESSAGES[(lang, "empty")], lang)
        if len(raw) > MAX_QUESTION_CHARS:
            return _refusal(question, MESSAGES[(lang, "too_long")], lang)
        q = normalize_query(raw)
        t1 = time.perf_counter()
        qvec = self.retriever.embed(q)
        t2 = time.perf_counter()
        hits = self.retriever.search(q, k=max(N_PASSAGES, N_CANDIDATE_CHUNKS), qvec=qvec, use=self.retrievers)
        t3 = time.perf_counter()
        ev, ranked = self._score_sentences(q, qvec, hits)
        unknown_years = sorted({y for y in _YEAR.findall(q.text)} - self.report_years)
        policy = self.policies[lang if lang in self.policies else "zh"]
        if unknown_years:
            text = MESSAGES[(lang, "abstain_year")].format(years="、".join(unknown_years))
            answer = self._abstain(question, q, lang, hits, text)
        elif ev.confidence(policy) < policy.threshold:
            answer = self._abstain(question, q, lang, hits, MESSAGES[(lang, "abstain")])
        else:
            answer = self._compose(question, q, lang, hits, ranked)
        t4 = time.perf_counter()
        timings = {
            "normalize": (t1 - t0) * 1e3,
            "embed": (t2 - t1) * 1e3,
            "retrieve": (t3 - t2) * 1e3,
            "answer": (t4 - t3) * 1e3,
            "total": (t4 - t0) * 1e3,
        }
        return Answer(**{**answer.__dict__, "timings_ms": timings})

    def evidence(self, question: str) -> Evidence:
        """The abstention features for a question (used by calibration)."""
        q = normalize_query(question)
        qvec = self.retriever.embed(q)
        hits = self.retriever.search(q, k=N_PASSAGES, qvec=qvec, use=self.retrievers)
        return self._score_sentences(q, qvec, hits)[0]

    def _score_sentences(self, q: Query, qvec: np.ndarray, hits: list[Hit]) -> tuple[Evidence, list[tuple[float, int]]]:
        """Evidence for abstention and (score, sentence index) best first among the top chunks' sentences."""
        units = content_units(q)
        wants_number = bool(NUMBER_QUESTION.search(q.text))
        ranked: list[tuple[float, int]] = []
        best_dense = max((h.dense for h in hits[:N_CANDIDATE_CHUNKS]), default=0.0)
        for rank, h in enumerate(hits[:N_CANDIDATE_CHUNKS], start=1):
            for si in self.sentences_of[self.chunk_pos[h.chunk.id]]:
                s = self.index.sentences[si]
                dense = float(self.sentence_matrix[si] @ qvec)
                best_dense = max(best_dense, dense)
                text = s.text.lower()
                lex = sum(u in text for u in units) / len(units) if units else 0.0
                score = 0.5 * dense + 0.5 * lex + 0.15 / rank
                if wants_number and HAS_FIGURE.search(s.text):
                    score += 0.1
                if len(s.text) < SHORT_SENTENCE:
                    score -= 0.2
                ranked.append((score, si))
        ranked.sort(key=lambda x: -x[0])
        return Evidence(best_dense, coverage(units, hits)), ranked

    def _quote_span(self, si: int) -> tuple[int, int]:
        """Offsets of a sentence, extended over the next one when it is only a short lead phrase."""
        s = self.index.sentences[si]
        nxt = self.index.sentences[si + 1] if si + 1 < len(self.index.sentences) else None
        if len(s.text) < SHORT_SENTENCE and nxt is not None and nxt.chunk_index == s.chunk_index:
            return s.start, nxt.end
        return s.start, s.end

    def _compose(self, question: str, q: Query, lang: str, hits: list[Hit], ranked: list[tuple[float, int]]) -> Answer:
        """Quote the best sentences with numbered citations."""
        best = ranked[0][0]
        spans: list[tuple[int, int, Sentence]] = []
        for score, si in ranked:
            if len(spans) == MAX_QUOTES or score < KEEP_RATIO * best:
                break
            start, end = self._quote_span(si)
            if any(start < e and s < end for s, e, _ in spans):
                continue
            spans.append((start, end, self.index.sentences[si]))
        citations = []
        lines = [MESSAGES[(lang, "lead")]]
        for n, (start, end, s) in enumerate(spans, start=1):
            chunk = self.index.chunks[s.chunk_index]
            quote = self.index.report.text[start:end]
            citations.append(Citation(n, chunk.id, chunk.breadcrumb, chunk.part, quote, start, end))
            lines.append(f"「{quote}」[{n}]({PART_LABELS[chunk.part]})")
        return Answer(question, "\n".join(lines), False, tuple(citations), tuple(hits[:N_PASSAGES]), q.text, lang)

    def _abstain(self, question: str, q: Query, lang: str, hits: list[Hit], text: str) -> Answer:
        """No quote: say so, with the nearest sections."""
        seen: list[str] = []
        for h in hits:
            if h.chunk.breadcrumb not in seen:
                seen.append(h.chunk.breadcrumb)
            if len(seen) == 3:
                break
        body = "\n".join([text, MESSAGES[(lang, "nearest")], *(f"- {b}" for b in seen)])
        return Answer(question, body, True, (), tuple(hits[:N_PASSAGES]), q.text, lang)


def load_qa(model: str | None = None, rebuild: bool = True) -> QA:
    """The QA engine for ``model`` (default: $QA_MODEL or the built-in model), building the index if needed."""
    from qa.embedding import load_embedder
    from qa.index import open_index

    embedder = load_embedder(model)
    return QA(open_index(embedder, rebuild=rebuild), embedder)


def _refusal(question: str, message: str, lang: str) -> Answer:
    """An answer for input that cannot be asked (empty, too long)."""
    return Answer(question, message, True, (), (), "", lang, {"total": 0.0}, message)
