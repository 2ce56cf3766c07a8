"""Stage 5: extractive answers — the report's own sentences, cited, or an abstention.

``QA.ask`` is the one code path behind the CLI, the eval runner and the web chat.
"""

from __future__ import annotations

import bisect
import re
import time

import numpy as np

from qa.abstain import (
    AbstainPolicy,
    Evidence,
    content_units,
    coverage,
    other_years,
    share_found,
    unknown_names,
)
from qa.embedding import Embedder
from qa.index import Index
from qa.ledger import Row, build_ledger
from qa.ledger_match import other_year
from qa.numbers import parse_numbers
from qa.retrieve import Retriever
from qa.textnorm import REPORT_YEAR, Query, clean_input, is_english, normalize_query, word_tokens
from qa.types import PART_LABELS, Answer, Chunk, Citation, Hit, Sentence

MAX_QUESTION_CHARS = 300  # longer questions are refused with a message
N_PASSAGES = 12  # ranked passages returned with every answer
N_CANDIDATE_CHUNKS = 5  # chunks whose sentences compete to be quoted
MAX_QUOTES = 3
KEEP_RATIO = 0.85  # further quotes must score at least this share of the best one
SHORT_SENTENCE = 14  # a lead phrase this short is quoted with the sentence after it
NUMBER_QUESTION = re.compile(
    r"多少|几|幾|数量|比例|百分之|率是|how many|how much|what percentage|what share|number of", re.IGNORECASE
)
COMPARISON = re.compile(r"相比|对比|比较|比起|compare|compared|versus|vs\.?", re.IGNORECASE)
PART_BONUS = 0.1  # a sentence in the part the question asks about gains this; one in the other year loses it

MESSAGES = {  # (lang, key) -> fixed string
    ("zh", "empty"): "请输入一个问题。",
    ("en", "empty"): "Please type a question.",
    ("zh", "too_long"): f"问题太长了(超过{MAX_QUESTION_CHARS}字),请缩短后再问。",
    ("en", "too_long"): f"The question is too long (over {MAX_QUESTION_CHARS} characters); please shorten it.",
    ("zh", "abstain"): "报告中没有找到能回答这个问题的内容。",
    ("en", "abstain"): "The report does not say.",
    ("zh", "abstain_year"): "报告中没有找到{years}年的相关内容(报告回顾2024年工作、部署2025年工作)。",
    ("en", "abstain_year"): "The report does not say anything about {years} (it reviews 2024 and plans 2025).",
    ("zh", "abstain_day"): "报告中没有某一天的信息(这是年度工作报告,不涉及天气、当天的活动等)。",
    ("en", "abstain_day"): "The report does not say anything about a particular day (it is an annual work report).",
    ("zh", "abstain_number"): "报告中没有找到这个问题所问的数字。",
    ("en", "abstain_number"): "The report gives no figure for this.",
    ("zh", "abstain_name"): "报告中没有提到「{names}」。",
    ("en", "abstain_name"): "The report does not mention {names}.",
    ("zh", "nearest"): "最接近的章节:",
    ("en", "nearest"): "Nearest sections:",
    ("zh", "beside"): "对照({part}):",
    ("en", "beside"): "For comparison ({part}): ",
    ("zh", "lead"): "报告原文:",
    ("en", "lead"): "The report says (quoted in Chinese):",
}


class QA:
    """Question -> Answer over one index."""

    def __init__(self, index: Index, embedder: Embedder, policies: dict[str, AbstainPolicy] | None = None) -> None:
        self.index = index
        self.retriever = Retriever(index, embedder)
        self.sentence_matrix = self.retriever.sentence_matrix
        self.sentences_of: dict[int, list[int]] = {}  # chunk index -> sentence indexes
        for si, s in enumerate(index.sentences):
            self.sentences_of.setdefault(s.chunk_index, []).append(si)
        self.chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        self.policies = policies or AbstainPolicy.load()
        self.retrievers: tuple[str, ...] = ("dense", "words", "bigrams")  # which rankings are fused (eval varies it)
        self.chunk_starts = [c.start for c in index.chunks]
        self.has_figure = [has_figure(s.text) for s in index.sentences]  # sentence index -> states a quantity
        self.ledger = build_ledger(index.report)  # every row; the chat tab's ledger reuses it
        self.ledger_rows = [r for r in self.ledger if r.is_figure]
        self.ledger_pairs: dict[str, Row] = other_year(self.ledger_rows)  # row id -> the other year's row
        embedder.encode(["预热", "warm-up"])  # the model's first call is slow (~0.7 s): pay it at start-up
        word_tokens("预热")  # load jieba's dictionary now, not on the first question
        unknown_names(normalize_query("荔湾"), "")  # and jieba's part-of-speech model

    def ask(self, question: str) -> Answer:
        """Answer one question (never raises on bad input: returns a message instead)."""
        t0 = time.perf_counter()
        if (refused := refuse(question)) is not None:
            return refused
        lang = "en" if is_english(clean_input(question)) else "zh"
        q, hits, ev, ranked, timings = self._analyse(question)
        policy = self.policies[lang if lang in self.policies else "zh"]
        if (ruled := self._ruled_out(q, lang, ranked)) is not None:
            answer = self._abstain(question, q, lang, hits, ruled)
        elif ev.confidence(policy) < policy.threshold:
            answer = self._abstain(question, q, lang, hits, MESSAGES[(lang, "abstain")])
        else:
            answer = self._compose(question, q, lang, hits, ranked)
        total = (time.perf_counter() - t0) * 1e3
        timings = {**timings, "answer": total - sum(timings.values()), "total": total}
        return Answer(**{**answer.__dict__, "timings_ms": timings})

    def evidence(self, question: str) -> Evidence | None:
        """The abstention features for a question, or None when a plain rule decides it (for calibration)."""
        q, _, ev, ranked, _ = self._analyse(question)
        return None if self._ruled_out(q, "zh", ranked) is not None else ev

    def _analyse(self, question: str) -> tuple[Query, list[Hit], Evidence, list[tuple[float, int]], dict[str, float]]:
        """Normalise, embed, retrieve and score the candidate sentences; with the time each step took (ms)."""
        t0 = time.perf_counter()
        q = normalize_query(question)
        t1 = time.perf_counter()
        qvec = self.retriever.embed(q)
        t2 = time.perf_counter()
        hits = self.retriever.search(q, k=max(N_PASSAGES, N_CANDIDATE_CHUNKS), qvec=qvec, use=self.retrievers)
        t3 = time.perf_counter()
        ev, ranked = self._score_sentences(q, qvec, hits)
        timings = {"normalize": (t1 - t0) * 1e3, "embed": (t2 - t1) * 1e3, "retrieve": (t3 - t2) * 1e3}
        return q, hits, ev, ranked, timings

    def _ruled_out(self, q: Query, lang: str, ranked: list[tuple[float, int]]) -> str | None:
        """Why a plain rule declines the question (its message), or None.

        The question names a place the report never mentions; or asks about one particular day (明天,
        今晚); or about a year no candidate sentence mentions; or asks for a number ("多少", "how many")
        and the best sentence holds none.
        """
        if names := unknown_names(q, self.index.report.text):
            return MESSAGES[(lang, "abstain_name")].format(names="、".join(names))
        if q.asks_about_a_day:
            return MESSAGES[(lang, "abstain_day")]
        if not ranked:
            years = "、".join(str(y) for y in other_years(q, REPORT_YEAR))
            return MESSAGES[(lang, "abstain_year")].format(years=years)
        if NUMBER_QUESTION.search(q.text) and not self.has_figure[ranked[0][1]]:
            return MESSAGES[(lang, "abstain_number")]
        return None

    def _score_sentences(self, q: Query, qvec: np.ndarray, hits: list[Hit]) -> tuple[Evidence, list[tuple[float, int]]]:
        """Evidence for abstention and (score, sentence index) best first among the top chunks' sentences."""
        units = content_units(q)
        wants_number = bool(NUMBER_QUESTION.search(q.text))
        years = [str(y) for y in other_years(q, REPORT_YEAR)]  # a question about 2023 quotes only 2023
        ranked: list[tuple[float, int]] = []
        best_dense = max((h.dense for h in hits[:N_CANDIDATE_CHUNKS]), default=0.0)
        for rank, h in enumerate(hits[:N_CANDIDATE_CHUNKS], start=1):
            for si in self.sentences_of[self.chunk_pos[h.chunk.id]]:
                s = self.index.sentences[si]
                if years and not any(y in s.text for y in years):
                    continue
                dense = float(self.sentence_matrix[si] @ qvec)
                best_dense = max(best_dense, dense)
                score = 0.5 * dense + 0.5 * share_found(units, s.text) + 0.15 / rank
                if wants_number and self.has_figure[si]:
                    score += 0.1
                if len(s.text) < SHORT_SENTENCE:
                    score -= 0.2
                if q.part and h.chunk.part in ("review2024", "plan2025"):
                    score += PART_BONUS if h.chunk.part == q.part else -PART_BONUS
                ranked.append((score, si))
        ranked.sort(key=lambda x: -x[0])
        focus = share_found(units, self.index.sentences[ranked[0][1]].text) if ranked else 0.0
        return Evidence(best_dense, coverage(units, hits), focus), ranked

    def _other_year_rows(self, citations: list[Citation]) -> list[Row]:
        """Ledger rows of the other year matching a figure in the cited sentences (2025 target <-> 2024 result)."""
        out: list[Row] = []
        taken = [(c.start, c.end) for c in citations]
        for c in citations:
            for row in self.ledger_rows:
                other = self.ledger_pairs.get(row.id) if c.start <= row.start and row.end <= c.end else None
                if other is None or any(s < other.end and other.start < e for s, e in taken):
                    continue
                out.append(other)
                taken.append((other.start, other.end))
        return out[:MAX_QUOTES]

    def _chunk_at(self, offset: int) -> Chunk:
        """The chunk holding a character offset."""
        i = bisect.bisect_right(self.chunk_starts, offset) - 1
        return self.index.chunks[max(i, 0)]

    def _part(self, si: int) -> str:
        """The part of the report a sentence belongs to."""
        return self.index.chunks[self.index.sentences[si].chunk_index].part

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
        if COMPARISON.search(q.raw) or {REPORT_YEAR - 1, REPORT_YEAR} <= set(q.years):
            # a comparison quotes the best sentence of each year first
            parts = ("review2024", "plan2025")
            firsts = [next((si for _, si in ranked if self._part(si) == part), None) for part in parts]
            pinned = [si for si in firsts if si is not None]
            ranked = [(best, si) for si in pinned] + [(sc, si) for sc, si in ranked if si not in pinned]
        spans: list[tuple[int, int, Sentence]] = []
        for score, si in ranked:
            if len(spans) == MAX_QUOTES or score < KEEP_RATIO * best:
                break
            start, end = self._quote_span(si)
            if any(start < e and s < end for s, e, _ in spans):
                continue
            spans.append((start, end, self.index.sentences[si]))
        citations: list[Citation] = []
        lines = [MESSAGES[(lang, "lead")]]
        for n, (start, end, s) in enumerate(spans, start=1):
            chunk = self.index.chunks[s.chunk_index]
            quote = self.index.report.text[start:end]
            citations.append(Citation(n, chunk.id, chunk.breadcrumb, chunk.part, quote, start, end))
            lines.append(f"「{quote}」[{n}]({PART_LABELS[chunk.part]})")
        for row in self._other_year_rows(citations):
            n = len(citations) + 1
            chunk = self._chunk_at(row.start)
            citations.append(Citation(n, chunk.id, chunk.breadcrumb, row.part, row.quote, row.start, row.end))
            lines.append(MESSAGES[(lang, "beside")].format(part=PART_LABELS[row.part]) + f"「{row.quote}」[{n}]")
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


def has_figure(text: str) -> bool:
    """Whether a sentence states a quantity with a unit (not a year, date, ordinal, or a number inside a name)."""
    return any(x.unit and not (x.quoted or x.ordinal or x.is_time) for x in parse_numbers(text))


def load_qa(model: str | None = None, rebuild: bool = True) -> QA:
    """The QA engine for ``model`` (default: $QA_MODEL or the built-in model), building the index if needed."""
    from qa.embedding import load_embedder
    from qa.index import open_index

    embedder = load_embedder(model)
    return QA(open_index(embedder, rebuild=rebuild), embedder)


def refuse(question: str) -> Answer | None:
    """The answer for input that cannot be asked (empty, whitespace, over the length cap), else None."""
    raw = clean_input(question if isinstance(question, str) else "")
    lang = "en" if is_english(raw) else "zh"
    if not raw:
        message = MESSAGES[(lang, "empty")]
    elif len(raw) > MAX_QUESTION_CHARS:
        message = MESSAGES[(lang, "too_long")]
    else:
        return None
    return Answer(question, message, True, (), (), "", lang, {"total": 0.0}, message)
