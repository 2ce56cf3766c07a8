"""Stage 5: extractive answers — the report's own sentences, cited, or an abstention.

``QA.ask`` is the one code path behind the CLI, the eval runner and the web chat.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.abstain import (
    Unit,
    content_units,
    coverage,
    found,
    mentions,
    other_years,
    share_found,
    unknown_names,
)
from qa.answer.answerability import KINDS, AnswerModel, feature_vector, idf_weights, question_shape, rarity
from qa.answer.rank import HAND, SENTENCE_FEATURES, SentenceRanker
from qa.answer.scope import Library, Scope
from qa.answer.understand import (
    QUALIFIERS,
    Frame,
    Marks,
    answer_spans,
    count_only,
    place_table,
    qualifier_missed,
    slot_match,
    topic_text,
    total_missing,
    understand,
    unit_missing,
    warm_spans,
)
from qa.ledger.build import build_ledger
from qa.ledger.match import other_year
from qa.ledger.promises import all_promises
from qa.ledger.row import Row
from qa.search.embedding import Embedder
from qa.search.index import KEYS_REPORT, Index
from qa.search.retrieve import Retriever
from qa.text.english import asked_phrase, en_lexicon, lemma
from qa.text.normalize import (
    Query,
    bigram_tokens,
    clean_input,
    is_english,
    normalize_query,
    pos_tags,
    to_halfwidth,
    without_surrogates,
    word_tokens,
)
from qa.types import Answer, Chunk, Citation, Hit, Sentence, part_label

MAX_QUESTION_CHARS = 300  # longer questions are refused with a message
RETRIEVERS = ("dense", "words", "bigrams", "keys", "mapped")  # the rankings fused
N_PASSAGES = 12  # ranked passages returned with every answer
N_CANDIDATE_CHUNKS = 5  # chunks whose sentences compete to be quoted
MAX_QUOTES = 3
SHORT_SENTENCE = 14  # a lead phrase: shorter than this, no figure; quoted with the sentence after it, and it with it
PARTIAL_MIN_SHARE = 0.5  # a partial answer's sentence must hold this share of the question's weighted content
PARTIAL_SURE = 0.8  # ... or, when the model gives a partial answer this probability, only this share:
PARTIAL_SURE_SHARE = 0.3  # the report is sure to speak of the thing, so its nearest sentence is worth quoting
NOUN_FIGURE_MIN_SHARE = 0.25  # or, from the other year's part, this share with the asked noun beside a figure
# Words that say a question is about a plan: another year's part (the review) does not use them, so they do not
# count against its sentences when a partial answer looks there (今年招商引资的目标 -> 2024's 招商引资 figure).
PLAN_UNITS = frozenset(
    {"计划", "目标", "预期", "力争", "确保", "安排", "任务", "打算", "准备", "plan", "target", "goal", "aim"}
)
# A question none of whose words occur in the report, and that is less like every authored question
# than this (cosine), is not understood: nonsense (asdkjh, 啊啊啊, lorem ipsum) scores 0.20-0.40 on the
# training set, the least like of its answered questions that share no word with the report 0.48.
UNCLEAR_KEY_COSINE = 0.45
WARM_REPORTS = 8  # at start-up, each report's English glosses are made for this many reports (others on first use)
NEAR_BEFORE = 24  # characters before a figure (a date, a name ...) that count as "next to it"
NEAR_AFTER = 8  # and after it
ALIAS_CACHE = 4096  # alias and gloss units whose rarity is kept (the same glosses recur across questions)
COMPARABLE_CACHE = 256  # the places and years questions name whose comparable keys are kept (8 kB each)
# Answers kept, least recently asked forgotten (at most 17 kB each: 360 answers, tracemalloc): an answer
# depends only on the question, the report asked about, the retrievers and the engine's index and models, so
# a question asked again (a chat example, a popular question) is answered with the same object, without being
# worked out again.
ANSWER_CACHE = 1024

MESSAGES = {  # (lang, key) -> fixed string
    ("zh", "empty"): "请输入一个问题。",
    ("en", "empty"): "Please type a question.",
    ("zh", "too_long"): f"问题太长了(超过{MAX_QUESTION_CHARS}字),请缩短后再问。",
    ("en", "too_long"): f"The question is too long (over {MAX_QUESTION_CHARS} characters); please shorten it.",
    ("zh", "markup"): "问题里只有网页代码(HTML标签或链接),没有文字可以回答。请用文字提问。",
    ("en", "markup"): "The question is only markup (HTML tags or links), no words to answer: please type one.",
    ("zh", "abstain"): "报告中没有找到能回答这个问题的内容。",
    ("en", "abstain"): "The report does not say.",
    ("zh", "abstain_year"): "报告中没有找到{years}年的相关内容({covers})。",
    ("en", "abstain_year"): "The report does not say anything about {years} ({covers}).",
    ("zh", "abstain_day"): "报告中没有某一天的信息(这是年度工作报告,不涉及天气、当天的活动等)。",
    ("en", "abstain_day"): "The report does not say anything about a particular day (it is an annual work report).",
    ("zh", "abstain_unclear"): (
        "没有看懂这个问题:问题里没有报告中出现的词语,也不像关于报告的提问。请换个说法,例如「今年新增就业目标是多少?」"
    ),
    ("en", "abstain_unclear"): (
        "I could not make sense of this question: none of its words occur in the report, and it is not like a"
        " question about the report. Try, for example: What is this year's target for new jobs?"
    ),
    ("zh", "abstain_name"): "报告中没有提到「{names}」。这份报告只讲{place}的工作。",
    ("en", "abstain_name"): "The report does not mention {names}; it covers {place} only.",
    ("zh", "abstain_parent"): "这份报告只讲{place}的工作,没有给出{names}整体的情况。",
    ("en", "abstain_parent"): "The report covers {place} only; it does not give the figures of {names} as a whole.",
    ("zh", "abstain_opinion"): "报告只陈述工作成绩和工作计划,不提供观点、评价、预测或建议,所以无法回答这个问题。",
    ("en", "abstain_opinion"): (
        "The report states results and plans; it gives no opinions, ratings, predictions or advice."
    ),
    ("zh", "abstain_howto"): (
        "这份报告不是办事指南,没有办理流程、联系方式或开放时间。办事咨询可拨打12345政务服务热线(报告中提到的热线)。"
    ),
    ("en", "abstain_howto"): (
        "The report is not a service guide: it has no procedures, contacts or opening hours. For services,"
        " call the 12345 government service hotline (which the report names)."
    ),
    ("zh", "abstain_chitchat"): "我只回答关于《{title}》内容的问题,请问报告里的具体内容。",
    ("en", "abstain_chitchat"): "I only answer questions about what the report 《{title}》 says.",
    ("zh", "partial"): "报告没有给出{missing}。报告提到:",
    ("en", "partial"): "The report does not give {missing}. What it does say (quoted in Chinese):",
    # a question about a person or body, repeated as what the report does not say (区儿童医院的院长是谁)
    ("zh", "partial_who"): "报告没有说{missing}。报告提到:",
    ("en", "partial_who"): "The report does not say {missing}. What it does say (quoted in Chinese):",
    ("zh", "nearest"): "最接近的章节:",
    ("en", "nearest"): "Nearest sections:",
    ("zh", "beside"): "对照({part}):",
    ("en", "beside"): "For comparison ({part}): ",
    ("zh", "lead"): "报告原文:",
    ("en", "lead"): "The report says (quoted in Chinese):",
}
SLOT_WORDS = {  # slot -> (zh, en) words for what is missing in a partial answer
    "quantity": ("具体数字", "the number"),  # a count or a size: 长者饭堂的具体数字, 基金规模的具体数字
    "money": ("具体金额", "the amount of money"),
    "rate": ("具体比例或增速", "the rate or percentage"),
    "rank": ("排名", "the ranking"),
    "names": ("具体名称", "the names"),
    "place": ("具体地点或地址", "the exact place or address"),
    "date": ("具体时间", "the date or time"),
}
# a size asked in words, and what a partial answer then says is missing (not 具体数字)
_SIZE_ASKED = (
    ("具体长度", re.compile(r"多长|几长|多远|多少公里|多少米(?!\S*面积)")),
    ("具体面积", re.compile(r"占地|面积|多少平方米|多少亩|多少公顷|多少万平方米")),
)
PARENT_WORDS = ("全市", "全省")  # how a district's report names its city or province without naming it
# qualifier family -> (zh, en) for what is missing when the report says another value (asked a, said s)
MISSING_QUALIFIER = {
    "level": ("{a}的信息(报告说的是{s})", "anything {a} (it says {s})"),
    "scope": ("{a}的排名(报告给出的是{s}的排名)", "the rank {a} (it gives the rank {s})"),
    "currency": ("以{a}计的金额(报告给出的是{s}金额)", "the amount {a} (it gives the amount {s})"),
}


class QA:
    """Question -> Answer over one index."""

    def __init__(self, index: Index, embedder: Embedder, model: AnswerModel | bool | None = True) -> None:
        """``model``: the answerability model, True to load the shipped one, or None (training only)."""
        self.index = index
        self.retriever = Retriever(index, embedder)
        self.sentence_matrix = self.retriever.sentence_matrix
        self.sentences_of: dict[int, list[int]] = {}  # chunk index -> sentence indexes
        for si, s in enumerate(index.sentences):
            self.sentences_of.setdefault(s.chunk_index, []).append(si)
        self.chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        self._kept_answer = functools.lru_cache(ANSWER_CACHE)(self._work_out)  # see ANSWER_CACHE
        self._model = AnswerModel.load() if model is True else (model or None)
        self._trained_ranker: SentenceRanker | None = None
        self.library = Library(index)  # which reports a question is about
        self.chunk_starts: dict[str, list[int]] = {}  # report id -> its chunks' starts (ascending)
        self.chunk_first: dict[str, int] = {}  # report id -> index of its first chunk
        for i, c in enumerate(index.chunks):
            self.chunk_first.setdefault(c.report, i)
            self.chunk_starts.setdefault(c.report, []).append(c.start)
        self.report_bigrams = frozenset(bigram_tokens(self.library.all.text))
        marked: dict[Marks, list[int]] = {}  # authored questions that name a place or year, by what they name
        for i, k in enumerate(index.keys):
            if k.places or k.years:
                marked.setdefault(Marks(frozenset(k.places), frozenset(k.years)), []).append(i)
        self.marked_keys = [(m, np.asarray(rows)) for m, rows in marked.items()]
        # which keys may count depends only on the places and years a question names (most name none):
        # worked out once for each, not for every question over every group of marked keys
        self._comparable = functools.lru_cache(COMPARABLE_CACHE)(self._comparable_for)
        # each sentence as the question is matched against it: half-width (，（） -> ,()), as questions are
        self.match = [to_halfwidth(s.text) for s in index.sentences]
        self.has_digit = [any(ch.isdigit() for ch in t) for t in self.match]  # sentence index -> bool
        self.idf = idf_weights([set(bigram_tokens(t)) | set(word_tokens(t)) for t in self.match])
        # the sentences as one lower-cased text, to find which sentences hold a word form (an alias's words)
        self._joined = "\0".join(t.lower() for t in self.match)
        self._joined_starts = list(itertools.accumulate((len(t) + 1 for t in self.match[:-1]), initial=0))
        self._alias_rarity = functools.lru_cache(ALIAS_CACHE)(self._rarity_of_forms)
        self.ledgers = {r.id: build_ledger(r) for r in index.reports}  # every row; the chat's ledger tab reuses them
        self.ledger = self.ledgers[index.report.id]  # the first report's
        self.figure_rows = {rid: [r for r in rows if r.is_figure] for rid, rows in self.ledgers.items()}
        self.ledger_pairs: dict[tuple[str, str], Row] = {  # (report id, row id) -> the other year's row
            (rid, k): v for rid, rows in self.ledgers.items() for k, v in other_year(self.figure_rows[rid]).items()
        }
        for p in all_promises(index.reports, self.ledgers):  # a target and a later report's result for it
            self.ledger_pairs[(p.target.report, p.target.id)] = p.result
            self.ledger_pairs[(p.result.report, p.result.id)] = p.target
        embedder.encode(["预热", "warm-up"])  # the model's first call is slow (~0.7 s): pay it at start-up
        word_tokens("预热")  # load jieba's dictionary now, not on the first question
        understand(normalize_query("荔湾有多少个长者饭堂"))  # and jieba's part-of-speech model
        for scope in self.library.scopes()[: 1 + WARM_REPORTS]:  # the English glosses of the reports, once
            normalize_query("warm-up", vocab=scope.text)
        warm_spans(self.match)  # each sentence's figures, dates, names: found once

    @property
    def model(self) -> AnswerModel | None:
        """The answerability model (None: training only). Setting it forgets the kept answers."""
        return self._model

    @model.setter
    def model(self, model: AnswerModel | None) -> None:
        self._model = model
        self.forget()

    @property
    def trained_ranker(self) -> SentenceRanker | None:
        """The ranker `qa train` learned before its second pass (None before). Setting it forgets the kept answers."""
        return self._trained_ranker

    @trained_ranker.setter
    def trained_ranker(self, ranker: SentenceRanker | None) -> None:
        self._trained_ranker = ranker
        self.forget()

    def forget(self) -> None:
        """Forget the kept answers, question vectors and key cosines: the next questions cost what new ones do."""
        self._kept_answer.cache_clear()
        self.retriever.forget()

    @property
    def ranker(self) -> SentenceRanker:
        """The sentence ranker: the answerability model's; else the one `qa train` just learned; else hand-set."""
        if self.model is not None and self.model.ranker is not None:
            return self.model.ranker
        return self.trained_ranker or HAND

    def ask(self, question: str, report: str | None = None, retrievers: tuple[str, ...] = RETRIEVERS) -> Answer:
        """Answer one question (never raises on bad input: returns a message instead).

        ``report``: answer only from the report with this id (``UnknownReport`` if the index holds none).
        ``retrievers``: the rankings fused (``qa eval`` compares variants that leave some out).
        """
        t0 = time.perf_counter()
        question = without_surrogates(question)  # the answer echoes the question: it must encode as UTF-8
        if (refused := refuse(question)) is not None:
            return refused
        hits = self._kept_answer.cache_info().hits
        answer = self._kept_answer(question, report, tuple(retrievers))
        if self._kept_answer.cache_info().hits == hits:
            return answer  # worked out now: its timings are this call's
        total = (time.perf_counter() - t0) * 1e3
        return replace(answer, timings_ms={"kept": total, "total": total})

    def _work_out(self, question: str, report: str | None, retrievers: tuple[str, ...]) -> Answer:
        """:meth:`ask` for a question not kept: analyse, decide, compose; timings per stage (ms)."""
        t0 = time.perf_counter()
        a = self._analyse(question, scope=self.library.scope(question, report), retrievers=retrievers)
        if (ruled := self.ruled_out(a)) is not None:
            answer = self._decline(a, MESSAGES[(a.lang, ruled[0])].format(**ruled[1]), ruled[0])
        else:
            if self.model is None:
                raise RuntimeError("no answerability model loaded (run `qa train`)")
            status, probs = self.model.decide(feature_vector(a.features, a.frame), keys=a.keys)
            if status == "answered":
                answer = self._answered_in_part(a) or self._compose(a)
            elif (
                status == "partial"
                and a.frame.intent != "chitchat"
                and self._asked_kind(a) is None
                and (si := self._partial_sentence(a, sure=probs["partial"] >= PARTIAL_SURE)) is not None
            ):
                answer = self._partial(a, si)
            else:
                key, fields = self._decline_reason(a)
                answer = self._decline(a, MESSAGES[(a.lang, key)].format(**fields), key)
            answer = replace(answer, probabilities=probs)
        answer = replace(answer, understanding=a.frame.to_json())
        total = (time.perf_counter() - t0) * 1e3
        timings = {**a.timings, "answer": total - sum(a.timings.values()), "total": total}
        return replace(answer, timings_ms=timings)

    def analyse_many(
        self,
        questions: list[str],
        leave_out: list[tuple[str, ...]],
        qvecs: np.ndarray | None = None,
        modes: tuple[bool, ...] = (True,),
        readings: list[Reading] | None = None,
        features: bool = True,
        retrieved: list[Retrieved | None] | None = None,
    ) -> list[list[Analysis]]:
        """The analyses of many questions, embedded in one batch (training): one list per mode.

        ``leave_out``: per question, the authored questions whose keys it may not see.  ``qvecs``: the
        questions' vectors when they are already embedded (``qa.answer.train.question_vectors``).
        ``modes``: ``True`` analyses with the keys; ``False`` as for a report without authored questions
        (the keyless model learns from it). What does not depend on the keys (the scope, the normalised
        question, its frame and its topic) is read once for all modes; ``readings``: already read
        (:meth:`read`, for each question's own scope). ``features=False`` leaves out the answerability
        features but the nearest keys' (the sentence ranker's training needs only the candidates).
        ``retrieved``: per question, its hits and candidates with the keys when an earlier pass took them
        (they do not depend on the sentence ranker); they are used in the mode with the keys.
        """
        scopes = [self.library.scope(q) for q in questions]
        if readings is None:
            readings = [self.read(q, sc) for q, sc in zip(questions, scopes, strict=True)]
        qvecs = self.retriever.embed_many([r.q for r in readings]) if qvecs is None else qvecs
        out = []
        for use_keys in modes:
            cosines = self.retriever.key_cosines(qvecs) if use_keys else None
            kept = retrieved if retrieved is not None and use_keys else [None] * len(questions)
            per_question = cosines if cosines is not None else [None] * len(questions)
            rows = zip(questions, leave_out, qvecs, readings, scopes, per_question, kept, strict=True)
            out.append(
                [
                    self._analyse(q, lo, v, r, sc, use_keys, c, features=features, retrieved=k)
                    for q, lo, v, r, sc, c, k in rows
                ]
            )
        return out

    def read(self, question: str, scope: Scope) -> Reading:
        """The question normalised for the scope's reports, understood, and its topic's content units."""
        q = normalize_query(question, scope.plan_year, scope.parts, scope.text)
        return Reading(q, understand(q), self._topic_units(q, scope), tuple(unknown_names(q, scope.text)))

    def _analyse(
        self,
        question: str,
        exclude_keys: tuple[str, ...] = (),
        qvec: np.ndarray | None = None,
        reading: Reading | None = None,
        scope: Scope | None = None,
        use_keys: bool = True,
        key_cosines: np.ndarray | None = None,
        retrievers: tuple[str, ...] = RETRIEVERS,
        features: bool = True,
        retrieved: Retrieved | None = None,
    ) -> Analysis:
        """Normalise, understand, embed, retrieve and score the candidate sentences; the features; timings (ms).

        ``reading``: the question already read (:meth:`read`; :meth:`analyse_many` reads it once for all
        modes). ``key_cosines``: the question's cosine with every key, when already computed.
        """
        t0 = time.perf_counter()
        scope = self.library.all if scope is None else scope
        reading = self.read(question, scope) if reading is None else reading
        q, frame = reading.q, reading.frame
        t1 = time.perf_counter()
        qvec = self.retriever.embed(q) if qvec is None else qvec
        t2 = time.perf_counter()
        keys = use_keys and KEYS_REPORT in scope.ids  # the authored questions are about this report only
        sims = self.retriever.key_sims(qvec, exclude_keys, key_cosines) if keys else None
        key_sims = self.retriever.key_sentence_sims(sims)
        if retrieved is None:
            mapped = self.retriever.mapped(qvec, exclude_keys) if keys else None
            hits = self.retriever.search(
                q,
                k=max(N_PASSAGES, N_CANDIDATE_CHUNKS),
                qvec=qvec,
                use=retrievers,
                key_sims=key_sims,
                allowed=scope.mask,
                mapped=mapped,
            )
            if self._asks_both_years(q, frame, scope):
                hits = with_each_part(hits, N_CANDIDATE_CHUNKS)
            retrieved = hits, self.candidates(reading, qvec, hits, key_sims, scope, mapped)
        hits = retrieved[0]
        t3 = time.perf_counter()
        keyed = sims is not None
        ranked, dense_best, slot_best = self._score_sentences(*retrieved, keys=keyed)
        lang = "en" if is_english(clean_input(question)) else "zh"
        a = Analysis(question, reading, lang, scope, hits, ranked, {}, {}, keys=keyed, candidates=retrieved[1])
        # without keys there are no neighbours: which keys are comparable does not matter
        values = self.retriever.key_neighbours(sims, self._comparable_keys(q, scope) if sims is not None else None)
        if features:
            values = {**self._features(a, qvec, dense_best, slot_best, reading.units), **values}
        timings = {"normalize": (t1 - t0) * 1e3, "embed": (t2 - t1) * 1e3, "retrieve": (t3 - t2) * 1e3}
        return replace(a, features=values, timings=timings, qvec=qvec)

    def _comparable_keys(self, q: Query, scope: Scope) -> np.ndarray | None:
        """Per key: whether its label may count for this question (it names no place or year the question does not)."""
        if not self.marked_keys:
            return None
        return self._comparable(Marks.of(q, scope.outside), scope.years)

    def _comparable_for(self, marks: Marks, years: frozenset[int]) -> np.ndarray:
        """:meth:`_comparable_keys` for a question naming ``marks`` in reports of ``years`` (read-only: it is kept)."""
        allowed = np.ones(len(self.index.keys), dtype=bool)
        answered = ~self.retriever.key_unanswered
        for m, rows in self.marked_keys:
            if marks.conflicts(m, years, answered=True):
                allowed[rows[answered[rows]]] = False
            if marks.conflicts(m, years):
                allowed[rows[~answered[rows]]] = False
        allowed.flags.writeable = False
        return allowed

    def ruled_out(self, a: Analysis) -> tuple[str, dict[str, str]] | None:
        """(message key, format fields) when a plain rule declines the question, else None.

        The question names a place the report never mentions; or asks about one particular day (明天,
        今晚); or is chit-chat; or none of its words occurs in the report and it is like no authored
        question (nonsense); or it asks about a year no candidate sentence mentions. An opinion or how-to
        question declined for its place, day or year is told it is one (你觉得荔湾明年房价会涨吗: the report
        states plans and results, not predictions), which says more than the year it names.
        """
        asked_kind = a.frame.intent if a.frame.intent in ("opinion", "howto") else None
        if names := list(a.reading.unknown) or self._absent_places(a):
            if asked_kind:
                return f"abstain_{asked_kind}", {}
            return "abstain_name", {"names": "、".join(names), "place": a.scope.place_names()}
        if a.q.asks_about_a_day:
            return (f"abstain_{asked_kind}", {}) if asked_kind else ("abstain_day", {})
        if a.frame.intent == "chitchat":  # a greeting, 你是谁, tell me a joke: nothing the report could answer
            return "abstain_chitchat", {"title": a.scope.title()}
        if a.features.get("key_answered", 0.0) < UNCLEAR_KEY_COSINE and not any(
            found(u, a.scope.lower) for u in content_units(a.q)
        ):
            return "abstain_unclear", {}
        if not a.ranked:
            if asked_kind:
                return f"abstain_{asked_kind}", {}
            years = "、".join(str(y) for y in other_years(a.q, a.scope.years))
            return "abstain_year", {"years": years, "covers": a.scope.covers(a.lang)}
        return None

    def _score_sentences(
        self, hits: list[Hit], candidates: tuple[list[int], np.ndarray], keys: bool = True
    ) -> tuple[list[tuple[float, int]], float, float]:
        """(score, sentence index) best first among the candidates; best cosine, best slot fit.

        ``keys``: whether the question was asked with the authored questions (else the keyless weights rank).
        """
        sis, x = candidates
        best_dense = max((h.dense for h in hits[:N_CANDIDATE_CHUNKS]), default=0.0)
        if not sis:
            return [], best_dense, 0.0
        scores = self.ranker.scores(x, keys)
        ranked = sorted(zip(scores.tolist(), sis, strict=True), key=lambda t: -t[0])
        col = SENTENCE_FEATURES.index
        best_dense = max(best_dense, float(x[:, col("dense")].max()))
        return ranked, best_dense, float(x[:, col("slot_fit")].max())

    def candidates(
        self,
        reading: Reading,
        qvec: np.ndarray,
        hits: list[Hit],
        key_sims: np.ndarray | None,
        scope: Scope,
        mapped: np.ndarray | None = None,
    ) -> tuple[list[int], np.ndarray]:
        """The sentences of the top chunks that may be quoted, and their :data:`SENTENCE_FEATURES` (one row each).

        ``mapped``: the question's vector moved by the query map (:meth:`Retriever.mapped`; None: no keys).
        """
        q, frame, topic = reading.q, reading.frame, reading.units
        units = content_units(q)
        topic_weights = self._unit_weights(topic)
        topic_total = sum(topic_weights) or 1.0
        years = [str(y) for y in other_years(q, scope.years)]  # a question about 2023 quotes only 2023
        en = float(q.english)
        sis: list[int] = []
        rows: list[list[float]] = []
        for rank, h in enumerate(hits[:N_CANDIDATE_CHUNKS], start=1):
            chunk_sentences = self.sentences_of[self.chunk_pos[h.chunk.id]]
            for j, si in enumerate(chunk_sentences):
                text = self.match[si]
                if years and not any(y in text for y in years):
                    continue
                low = text.lower()
                dense = float(self.sentence_matrix[si] @ qvec)
                share = share_found(units, text)
                key = max(float(key_sims[si]), 0.0) if key_sims is not None else 0.0
                held = [w if found(u, low) else 0.0 for u, w in zip(topic, topic_weights, strict=True)]
                weighted = sum(held) / topic_total
                part = 0.0
                if (q.part or q.part_year) and h.chunk.year is not None:  # a dated part: review, plan, annex
                    part = 1.0 if q.in_asked_part(h.chunk.part, h.chunk.year) else -1.0
                log_len = float(np.log(len(text)))
                moved = float(self.sentence_matrix[si] @ mapped) if mapped is not None else 0.0
                sis.append(si)
                rows.append(
                    [
                        dense,
                        share,
                        1 / rank,
                        slot_match(frame, text),
                        key,
                        float(self._is_lead(si)),
                        part,
                        h.dense,
                        log_len,
                        en * dense,
                        en * share,
                        en / rank,
                        en * key,
                        weighted,
                        en * weighted,
                        float(np.log1p(sum(w > 0 for w in held))),
                        *(1 / h.ranks[r] if r in h.ranks else 0.0 for r in ("words", "bigrams", "dense", "keys")),
                        float(j == 0),
                        en * log_len,
                        moved,
                        en * moved,
                    ]
                )
        return sis, np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SENTENCE_FEATURES))

    def _unit_rarity(self, u: Unit) -> float:
        """How rare a topic unit is in the reports (0..1).

        A word alias or English gloss is one unit found by any of its forms, so it is as rare as the
        sentences holding any of them are few: "total" (全面 | 总值 | 总量 | 累计 …) is common, "R&D" (研发) rare.
        """
        return self.idf.get(u, 1.0) if isinstance(u, str) else self._alias_rarity(u)

    def _rarity_of_forms(self, forms: tuple[str, ...]) -> float:
        """:meth:`_unit_rarity` of an alias unit: by the sentences holding any of its forms."""
        held: set[int] = set()
        for t in forms:
            held |= self._sentences_holding(t.lower())
        return rarity(len(held), len(self.match))

    def _sentences_holding(self, form: str) -> frozenset[int]:
        """The indexes of the sentences whose lower-cased text holds ``form``."""
        held = set()
        pos = self._joined.find(form) if form else -1
        while pos >= 0:
            held.add(bisect.bisect_right(self._joined_starts, pos) - 1)
            pos = self._joined.find(form, pos + 1)
        return frozenset(held)

    def _features(
        self, a: Analysis, qvec: np.ndarray, dense_best: float, slot_best: float, units: list[Unit]
    ) -> dict[str, float]:
        """The answerability model's numeric features (see :data:`qa.answer.answerability.NUMERIC_FEATURES`).

        ``units``: the question's topic units (:meth:`_topic_units`).
        """
        first_si = a.ranked[0][1] if a.ranked else None
        first = self.match[first_si] if first_si is not None else None
        text = first.lower() if first is not None else ""
        weights = self._unit_weights(units)
        total = sum(weights) or 1.0
        missing = [w for u, w in zip(units, weights, strict=True) if not found(u, text)]
        absent = [w for u, w in zip(units, weights, strict=True) if not found(u, a.scope.lower)]
        pool = [si for h in a.hits[:N_PASSAGES] for si in self.sentences_of[self.chunk_pos[h.chunk.id]]]
        near = {si: self._topic_near(a.frame, units, weights, self.match[si]) for si in pool}
        asked = {si for si in near if self._asked(a.q, si)}
        top = a.hits[0] if a.hits else None
        lexical = bool(top and any(0 < top.ranks.get(n, 0) <= 3 for n in ("words", "bigrams")))
        return {
            "dense_best": dense_best,
            "dense_first": float(self.sentence_matrix[a.ranked[0][1]] @ qvec) if a.ranked else 0.0,
            "coverage": coverage(units, a.hits),
            "focus": share_found(units, text),
            "miss_weight": sum(missing) / total,
            "absent_weight": sum(absent) / total,
            "max_miss_idf": max(missing, default=0.0),
            "slot_first": slot_match(a.frame, first) if first is not None else 0.0,
            "topic_near_first": near[a.ranked[0][1]] if a.ranked else 0.0,  # the first sentence is in the pool
            "topic_near_best": max(near.values(), default=0.0),
            "near_asked_part": max((v for si, v in near.items() if si in asked), default=0.0),
            "near_other_part": max((v for si, v in near.items() if si not in asked), default=0.0),
            "slot_best": slot_best,
            "part_conflict": float(first is not None and not self._asked(a.q, a.ranked[0][1])),
            "lexical_agree": float(lexical),
            "n_units": float(np.log1p(len(units))),
            "english": float(a.q.english),
            "other_place": float(self._other_place(a.frame, a.scope)),
            "parent_place": float(any(p in a.scope.parents for p in a.frame.places)),
            "place_unquoted": float(self._place_unquoted(a, first_si)),
            "other_year": float(bool(other_years(a.q, a.scope.years))),
            **self._shape_features(a.q, a.scope),
            **self._embedding_features(qvec),
        }

    def _topic_near(self, frame: Frame, units: list[Unit], weights: list[float], sentence: str) -> float:
        """How much of the question's topic stands right by a thing of the asked kind (a figure, a date ...).

        A number is an answer only when what the question is about is next to it: 「建成长者饭堂164个」
        answers 长者饭堂有多少个, while 「固定资产投资535亿元」 does not answer a question about 招商引资.
        """
        spans = answer_spans(frame, sentence)
        if spans is None:
            return self._weighted_share(units, weights, sentence)
        return max(
            (
                self._weighted_share(units, weights, sentence[max(0, s - NEAR_BEFORE) : e + NEAR_AFTER])
                for s, e in spans
            ),
            default=0.0,
        )

    def _decline_reason(self, a: Analysis) -> tuple[str, dict[str, str]]:
        """The message key (and its fields) that says why the model declined: opinion, how-to, place, year ..."""
        if a.frame.intent == "chitchat":
            return "abstain_chitchat", {"title": a.scope.title()}
        if kind := self._asked_kind(a):
            return f"abstain_{kind}", {}
        if a.features.get("other_place"):
            return "abstain_name", {"names": "、".join(a.scope.outside(a.frame.places)), "place": a.scope.place_names()}
        if parents := self._whole_parents(a):  # 广州全市去年GDP: the report names its city, but speaks of its district
            return "abstain_parent", {"names": "、".join(parents), "place": a.scope.place_names()}
        if years := other_years(a.q, a.scope.years):
            return "abstain_year", {"years": "、".join(str(y) for y in years), "covers": a.scope.covers(a.lang)}
        return "abstain", {}

    @staticmethod
    def _whole_parents(a: Analysis) -> list[str]:
        """The city or province of the reports (广州 for 荔湾) that the question asks about as a whole, and not its own.

        广州全市, 广州市2024年, 广州的, Guangzhou's, Guangzhou as a whole; not a name that begins with it (广州工控).
        """
        if any(a.scope.is_own(p) for p in a.frame.places):
            return []
        if a.q.english:
            low = a.q.text.lower()
            whole = r"(?:'s|\s+(?:as a whole|overall|city|province|citywide)\b|\s*[,?.!]|$)"
            return [
                p
                for p in a.frame.places
                if p in a.scope.parents
                and any(re.search(rf"\b{re.escape(e)}{whole}", low) for e in place_table().get(p, ()))
            ]
        after = r"(?:市|省)?(?=全市|全省|整体|总体|的|今年|去年|\d{4}年|[,?!。]|$|GDP|gdp|地区生产总值|人口|经济)"
        return [p for p in a.frame.places if p in a.scope.parents and re.search(re.escape(p) + after, a.q.text)]

    def _asked_kind(self, a: Analysis) -> str | None:
        """``opinion`` or ``howto`` when the question asks for one, else None.

        The question's cues say so (值不值得, 怎么申请), or else the two first-stage models together:
        the kind whose log-probabilities (question shape plus question embedding) sum highest, when it
        holds over half of the combined probability (荔湾老城区改造到底算唔算成功?, 去区儿童医院坐几路公交车?).
        """
        if a.frame.intent in ("opinion", "howto"):
            return a.frame.intent
        z = np.array([a.features.get(f"shape_{k}", 0.0) + a.features.get(f"embq_{k}", 0.0) for k in KINDS])
        p = np.exp(z - z.max())
        p /= p.sum()
        best = KINDS[int(np.argmax(p))]
        return best if best in ("opinion", "howto") and float(p.max()) > 0.5 else None

    def _place_unquoted(self, a: Analysis, first_si: int | None) -> bool:
        """Whether the question names places besides the reports' own (天河, 广州) and none is in the quoted passage.

        「广州全市去年签约项目多少个」 finds Liwan's own count; the passage it would quote names no 广州. The
        city counts only when the question does not also name the report's own place (荔湾在广州排第几), and a
        passage that says 全市 or 全省 speaks of it (Guangzhou's first child-friendly business district: 全市首个).
        """
        named = list(a.scope.outside(a.frame.places))
        own = any(a.scope.is_own(p) for p in a.frame.places)
        parents = [] if own else [p for p in a.frame.places if p in a.scope.parents]
        if not (named or parents) or first_si is None:
            return False
        passage = self.index.chunks[self.index.sentences[first_si].chunk_index].text
        return not any(mentions(passage, p) for p in (*named, *parents, *(PARENT_WORDS if parents else ())))

    @staticmethod
    def _absent_places(a: Analysis) -> list[str]:
        """Other places the question names (深圳, Zhejiang) that the reports never mention."""
        return [p for p in a.scope.outside(a.frame.places) if not mentions(a.scope.text, p)]

    @staticmethod
    def _other_place(frame: Frame, scope: Scope) -> bool:
        """Whether the question names a known place other than the reports' own (or their city), and not their own."""
        named = [p for p in frame.places if p in place_table() and p not in scope.parents]
        return bool(named) and not any(scope.is_own(p) for p in frame.places)

    def _topic_units(self, q: Query, scope: Scope) -> list[Unit]:
        """The question's content without its question words; for English, only what a report could say.

        An English word the lexicon does not gloss (open, places) can never be found in a Chinese report, so
        counting it as missing would make every English question look unanswerable. A word it glosses into
        words of the genre that the reports asked never use (unemployment -> 失业) is content they lack, as
        a Chinese word they never use is.
        """
        units = content_units(q, topic_text(q))
        if q.english:
            genre = en_lexicon()
            units = [u for u in units if not isinstance(u, str) or u in scope.lower or lemma(u) in genre]
        return units

    def _unit_weights(self, units: list[Unit]) -> list[float]:
        """How rare each content unit is in the reports (0..1; :meth:`_unit_rarity`)."""
        return [self._unit_rarity(u) for u in units]

    def _weighted_share(self, units: list[Unit], weights: list[float], text: str) -> float:
        """Rarity-weighted share of the units found in ``text``."""
        low = text.lower()
        return sum(w for u, w in zip(units, weights, strict=True) if found(u, low)) / (sum(weights) or 1.0)

    def _embedding_features(self, qvec: np.ndarray) -> dict[str, float]:
        """The question-embedding head's log P(kind); zeros without one, or for another embedding model."""
        head = self.model.head if self.model is not None else None
        fits = head is not None and head.model == self.index.manifest.model and head.coef.shape[1] == len(qvec)
        lp = head.log_proba(qvec) if head is not None and fits else np.zeros(len(KINDS))
        return {f"embq_{k}": float(v) for k, v in zip(KINDS, lp, strict=True)}

    def shape_of(self, q: Query, scope: Scope) -> str:
        """The question's shape (:func:`question_shape`): the reports' words and years masked."""
        return question_shape(q, self.report_bigrams, scope.years)

    def _shape_features(self, q: Query, scope: Scope) -> dict[str, float]:
        """The question-shape model's log P(kind), or zeros while there is none (training its first stage)."""
        shape = self.model.shape if self.model is not None else None
        lp = shape.log_proba(self.shape_of(q, scope)) if shape else np.zeros(len(KINDS))
        return {f"shape_{k}": float(v) for k, v in zip(KINDS, lp, strict=True)}

    def _other_year_rows(self, citations: list[Citation], scope: Scope) -> list[Row]:
        """Ledger rows matching a figure in the cited sentences: a target's result, a result's target.

        Within a report, its plan's target beside its review's result of the year before; across
        reports of one place, a year's target beside the later report's result for that year (when
        both reports are searched).
        """
        out: list[Row] = []
        taken = [(c.report, c.start, c.end) for c in citations]
        for c in citations:
            for row in self.figure_rows.get(c.report, []):
                inside = c.start <= row.start and row.end <= c.end
                other = self.ledger_pairs.get((c.report, row.id)) if inside else None
                if other is None or other.report not in scope.ids:
                    continue
                if any(r == other.report and s < other.end and other.start < e for r, s, e in taken):
                    continue
                out.append(other)
                taken.append((other.report, other.start, other.end))
        return out[:MAX_QUOTES]

    def _chunk_at(self, report: str, offset: int) -> Chunk:
        """The chunk of a report holding a character offset."""
        i = bisect.bisect_right(self.chunk_starts[report], offset) - 1
        return self.index.chunks[self.chunk_first[report] + max(i, 0)]

    @staticmethod
    def _asks_both_years(q: Query, frame: Frame, scope: Scope) -> bool:
        """Whether the question compares, or names both the review year and the plan year of a report asked."""
        both = any(r.review_year and r.plan_year and r.years <= set(q.years) for r in scope.reports)
        return frame.intent == "comparison" or both

    def _part(self, si: int) -> str:
        """The part of the report a sentence belongs to."""
        return self.index.chunks[self.index.sentences[si].chunk_index].part

    def _where(self, chunk: Chunk) -> str:
        """The part a quote is from, for the answer's text (and its report, when the index holds several)."""
        label = part_label(chunk.part, chunk.year)
        return f"{self.index.report_of(chunk.report).title}·{label}" if len(self.index.reports) > 1 else label

    def _asked(self, q: Query, si: int) -> bool:
        """Whether a sentence is in the part the question asks about (undated parts, e.g. the glossary, always are)."""
        chunk = self.index.chunks[self.index.sentences[si].chunk_index]
        if not (q.part or q.part_year) or chunk.year is None:
            return True
        return q.in_asked_part(chunk.part, chunk.year)

    def _quote_span(self, si: int) -> tuple[int, int]:
        """Offsets of a sentence, with its paragraph's lead phrase when that stands just before it.

        A short lead phrase (加快建设重大项目。) is quoted with the sentence after it, and a sentence right after
        one is quoted with it: the lead phrase says what the sentence is about, and is what a vague question
        (is liwan speeding up big projects this yr) asks.
        """
        s = self.index.sentences[si]
        if self._is_lead(si) and si + 1 < len(self.index.sentences):
            nxt = self.index.sentences[si + 1]
            if nxt.chunk_index == s.chunk_index:
                return s.start, nxt.end
        if si > 0 and self._is_lead(si - 1):
            prev = self.index.sentences[si - 1]
            if prev.chunk_index == s.chunk_index:
                return prev.start, s.end
        return s.start, s.end

    def _is_lead(self, si: int) -> bool:
        """Whether a sentence is a short lead phrase (no figure, under SHORT_SENTENCE characters)."""
        return len(self.index.sentences[si].text) < SHORT_SENTENCE and not self.has_digit[si]

    def _compose(self, a: Analysis) -> Answer:
        """Quote the best sentences with numbered citations."""
        ranked = a.ranked
        best = ranked[0][0]
        if self._asks_both_years(a.q, a.frame, a.scope):
            # a comparison quotes the best sentence of each year first
            parts = ("review", "plan")
            firsts = [next((si for _, si in ranked if self._part(si) == part), None) for part in parts]
            pinned = [si for si in firsts if si is not None]
            ranked = [(best, si) for si in pinned] + [(sc, si) for sc, si in ranked if si not in pinned]
        spans: list[tuple[int, int, Sentence]] = []
        for score, si in ranked:
            if len(spans) == MAX_QUOTES or score < best - self.ranker.margin:
                break
            start, end = self._quote_span(si)
            if any(start < e and s < end for s, e, _ in spans):
                continue
            spans.append((start, end, self.index.sentences[si]))
        citations, lines = self._cite(spans)
        for row in self._other_year_rows(citations, a.scope):
            n = len(citations) + 1
            chunk = self._chunk_at(row.report, row.start)
            citations.append(
                Citation(n, chunk.id, chunk.breadcrumb, row.part, row.quote, row.start, row.end, chunk.year, row.report)
            )
            label = self._where(chunk)
            lines.append(MESSAGES[(a.lang, "beside")].format(part=label) + f"「{row.quote}」[{n}]")
        text = "\n".join([MESSAGES[(a.lang, "lead")], *lines])
        return self._answer(a, text, abstained=False, citations=tuple(citations))

    def _cite(self, spans: list[tuple[int, int, Sentence]]) -> tuple[list[Citation], list[str]]:
        """Numbered citations and their quoted lines for spans of the report."""
        citations: list[Citation] = []
        lines: list[str] = []
        for n, (start, end, s) in enumerate(spans, start=1):
            chunk = self.index.chunks[s.chunk_index]
            quote = self.library.text_of(chunk.report)[start:end]
            citations.append(
                Citation(n, chunk.id, chunk.breadcrumb, chunk.part, quote, start, end, chunk.year, chunk.report)
            )
            lines.append(f"「{quote}」[{n}]({self._where(chunk)})")
        return citations, lines

    def _partial_sentence(self, a: Analysis, sure: bool = False) -> int | None:
        """The candidate sentence that says most of what the question is about, if it says at least half of it.

        A partial answer quotes what the report does say about the thing; when no sentence speaks of most
        of the question's (rarity-weighted) content, the report does not speak of the thing, and the
        question is declined instead. ``sure``: the model is sure the report speaks of the thing (P(partial)
        at least ``PARTIAL_SURE``); a sentence holding ``PARTIAL_SURE_SHARE`` of the content is quoted then
        (今年PM2.5达标率具体要达到百分之多少: 空气质量PM2.5达标率…均完成市下达的目标任务, whose 达标率 the
        question's words for a rate leave out of its content).
        """
        units = a.reading.units
        weights = self._unit_weights(units)
        best = max(
            ((self._weighted_share(units, weights, self.match[si]), -i, si) for i, (_, si) in enumerate(a.ranked[:10])),
            default=None,
        )
        if best is not None and best[0] >= PARTIAL_MIN_SHARE:
            return best[2]
        if (other := self._other_part_sentence(a)) is not None:
            return other  # the other year's figure (协议投资额234.57亿元), before a weaker match in the asked year
        if not sure or best is None or best[0] < PARTIAL_SURE_SHARE:
            return None
        # a weaker match must hold a word of the question, not single characters only: the 单 and 案 of
        # 幾多單非法集資案 are in 清单, 方案
        low = self.match[best[2]].lower()
        return best[2] if any(found(u, low) for u in units if not isinstance(u, str) or len(u) >= 2) else None

    def _other_part_sentence(self, a: Analysis) -> int | None:
        """For a question about one year's part: the sentence of another dated part that says most of its topic.

        Asked 今年招商引资的目标是多少?, the plan says nothing of it, the review gives 2024's figure: the
        partial answer says the 2025 figure is missing and quotes 2024's. The other parts' best chunks (of the
        reports the candidates came from) are retrieved; the question's plan words (目标, 计划) do not count
        against their sentences. A sentence that puts the asked noun right next to a figure of the asked kind
        (协议投资额234.57亿元 for 2025年计划招商引资协议投资额多少亿元?) speaks of the thing even when it
        words the rest otherwise: it needs only ``NOUN_FIGURE_MIN_SHARE`` of the weighted topic (a Chinese
        noun only).
        """
        if not (a.q.part or a.q.part_year) or a.qvec is None:
            return None
        reports = [h.chunk.report for h in a.hits[:N_CANDIDATE_CHUNKS]]  # the reports it was answered from
        other = self.retriever.dated & ~self.retriever.in_asked_part(a.q)
        other &= np.isin(self.library.chunk_reports, reports)
        if not other.any():
            return None
        units = [u for u in a.reading.units if u not in PLAN_UNITS]
        weights = self._unit_weights(units)
        hits = self.retriever.search(a.q, k=N_CANDIDATE_CHUNKS, qvec=a.qvec, allowed=other)
        scored = [
            (self._weighted_share(units, weights, self.match[si]), slot_match(a.frame, self.match[si]), -rank, si)
            for rank, h in enumerate(hits)
            for si in self.sentences_of.get(self.chunk_pos[h.chunk.id], [])
        ]
        best = max(scored, default=None)
        if best is not None and best[0] >= PARTIAL_MIN_SHARE:
            return best[-1]
        # a Chinese noun only: an English one stands for its glosses, too loose a match (money -> 元)
        noun = bool(a.frame.noun) and not a.frame.noun.isascii()
        beside = [t for t in scored if noun and t[1] == 1.0 and t[0] >= NOUN_FIGURE_MIN_SHARE]
        return max(beside)[-1] if beside else None

    def _answered_in_part(self, a: Analysis) -> Answer | None:
        """The partial answer, when the sentences to quote do not say what the model's answered question asks.

        They say another level, rank scope or currency than asked (国家级, said 省级); or give only the count of
        things whose names are asked (8个站点); or no figure in the unit the question names (多少元, said 增长5.1%).
        """
        if not a.ranked:
            return None
        best, first = a.ranked[0]
        quoted = [self.match[si] for score, si in a.ranked[:MAX_QUOTES] if score >= best - self.ranker.margin]
        if a.frame.qualifiers and (missed := qualifier_missed(a.frame.qualifiers, quoted)) is not None:
            return self._partial(a, first, missed)
        if (counted := count_only(a.frame, a.q.text, quoted)) is not None:
            return self._partial(a, first, missing=self._missing_names(a, counted, self.match[first]))
        if (unit := unit_missing(a.q.text, quoted)) is not None:
            return self._partial(a, first, missing=self.missing(a, first, slot=unit))
        if total_missing(a.q.text, quoted):
            return self._partial(a, first, missing=self._missing_total(a, first))
        return None

    def _missing_total(self, a: Analysis, si: int) -> str:
        """What a partial answer lacks when the report gives only the number added: 发明专利的总数(…是新增数)."""
        noun = self._missing_topic(a, self.match[si])
        if a.lang == "en":
            return f"the total{' number of ' + noun if noun else ''} (it gives only how many were added)"
        return f"{noun + '的' if noun else ''}总数(报告给出的是新增数)"

    @staticmethod
    def _missing_topic(a: Analysis, quoted: str) -> str:
        """The thing a partial answer names as lacking something.

        The asked noun, or the whole name the question and the quote share (居民人均可支配收入, not 支配收入),
        unless that says only the report's own place (在荔湾 of 地铁22号线什么时候在荔湾开通?).
        """
        topic = a.frame.noun if a.frame.noun and a.frame.noun.lower() in a.q.text.lower() else ""
        if a.q.english:
            return topic
        topic = said_head(topic, quoted)
        if (stretch := shared_stretch(a.q.core, quoted)) and topic in stretch:
            own = [p for p in a.frame.places if a.scope.is_own(p)]
            if len(re.sub("|".join([*map(re.escape, own), r"[在的了是于对和与及从到]"]), "", stretch)) >= 2:
                topic = "" if all(_UNIT_TAG.match(f) for _, f in pos_tags(stretch)) else stretch  # 亿元, 微克
        return topic

    @staticmethod
    def _missing_names(a: Analysis, counted: str, quoted: str) -> str:
        """What a partial answer lacks when the report gives a count for names asked: 「这8个站点的具体名称」."""
        zh, en = SLOT_WORDS["names"]
        if a.lang == "en":
            return f"{en} of the {counted.strip()}"
        return f"这{said_head(counted, quoted) or counted}的{zh}"  # 这126项双拥任务清单, not …清单主要

    def _partial(
        self, a: Analysis, si: int, qualifier: tuple[str, str] | None = None, missing: str | None = None
    ) -> Answer:
        """The report speaks of the thing but not what was asked: say what is missing, quote what it says.

        ``qualifier``: (asked, said) when what is missing is the asked level, rank scope or currency (国家级, said
        省级). ``missing``: what is missing, when the caller knows (the names of a count); else :meth:`missing`.
        """
        start, end = self._quote_span(si)
        citations, lines = self._cite([(start, end, self.index.sentences[si])])
        message = "partial"
        if missing is None and qualifier is None and (who := asked_who(a)):
            missing, message = who, "partial_who"
        if missing is None:
            missing = self.missing(a, si) if qualifier is None else self._missing_qualifier(a, *qualifier)
        text = "\n".join([MESSAGES[(a.lang, message)].format(missing=missing), *lines])
        return self._answer(
            a, text, abstained=True, citations=tuple(citations), status="partial", missing=missing, reason="partial"
        )

    def missing(self, a: Analysis, si: int, slot: str | None = None) -> str:
        """What the report does not give, in words: 「2025年的投资额的具体金额」, "the address of ...".

        ``slot``: the kind of thing missing, when not the asked slot (the question names a unit: 多少元).
        """
        first = self.match[si]
        if (counted := count_only(a.frame, a.q.text, [first])) is not None:
            return self._missing_names(a, counted, first)
        topic = self._missing_topic(a, first)
        year = ""
        if not self._asked(a.q, si):
            asked = a.q.part_year or (a.q.plan_year if a.q.part == "plan" else a.q.plan_year - 1)
            year = str(asked)
        slot = slot or a.frame.slot
        zh, en = SLOT_WORDS.get(slot, ("具体情况", "the details"))
        if a.lang == "en":  # the number of beds for 2025; the amount of the rent subsidy
            if phrase := asked_phrase(a.q.raw):  # what's the 2025 target for new invention patents
                dated = year and not re.search(r"\b(?:\d{4}|this year|last year|next year)\b", phrase, re.IGNORECASE)
                return f"{phrase}{' for ' + year if dated else ''}"
            if topic and slot == "money":
                en, topic = "the amount", f"the {topic}"
            return f"{en}{' of ' + topic if topic else ''}{' for ' + year if year else ''}"
        if slot == "quantity":  # a size asked in words: 有多长 -> 具体长度, 占地多大 -> 具体面积 (not 面积的具体面积)
            zh = next((w for w, asked in _SIZE_ASKED if asked.search(a.q.text) and not topic.endswith(w[2:])), zh)
        thing = f"{topic}的" if topic else "的" if year else ""  # 2025年5G基站的具体数字, 2025年的具体数字
        return f"{year + '年' if year else ''}{thing}{zh}"

    @staticmethod
    def _missing_qualifier(a: Analysis, asked: str, said: str) -> str:
        """What a partial answer lacks when the report says another qualifier: 「国家级的信息(报告说的是省级)」."""
        zh, en = MISSING_QUALIFIER[QUALIFIERS[asked].family]
        if a.lang == "en":
            return en.format(a=QUALIFIERS[asked].en, s=QUALIFIERS[said].en)
        return zh.format(a=asked, s=said)

    def _decline(self, a: Analysis, text: str, reason: str) -> Answer:
        """No quote: say why, with the nearest sections."""
        seen: list[str] = []
        for h in a.hits:
            if h.chunk.breadcrumb not in seen:
                seen.append(h.chunk.breadcrumb)
            if len(seen) == 3:
                break
        body = "\n".join([text, MESSAGES[(a.lang, "nearest")], *(f"- {b}" for b in seen)])
        return self._answer(a, body, abstained=True, citations=(), status="declined", reason=reason)

    @staticmethod
    def _answer(a: Analysis, text: str, **fields: Any) -> Answer:
        """The answer to an analysed question: ``text``, its passages, query and language, and ``fields``."""
        return Answer(
            question=a.question, answer=text, hits=tuple(a.hits[:N_PASSAGES]), query=a.q.text, lang=a.lang, **fields
        )


# 126项 of 126项双拥任务清单, 1000场 of 1000场文化惠民演出; not the 5 of 5G基站
_LEADING_COUNT = re.compile(r"^[\d.]+[\u4e00-\u9fff]")


_WHO_ZH = re.compile(r"谁|哪位")
_ASK_LEAD_ZH = re.compile(r"^(?:请问(?:一下)?|想问(?:一?下)?|问(?:一?下)|我想知道)[,\s]*")  # q.text is half-width
_ASK_TAIL_ZH = re.compile(r"[呢啊呀哦喔嘞咧吖]*[?？!！。.~～\s]*$")
_WHO_EN = re.compile(r"^\s*who\b(?!se)", re.IGNORECASE)


def asked_who(a: Analysis) -> str:
    """A question asking who (区儿童医院的院长是谁, who designed …) as the clause the report does not say ("": not one).

    Named as a kind it would read wrong (报告没有给出白鹅潭大湾区艺术中心的具体名称: the centre has its name; its
    designer is what is missing), so the question itself is what the report does not say: a Chinese question
    with 谁 reads as its own indirect question once its 请问 and 呢 are gone, and so does an English one that
    opens with who.
    """
    if a.lang == "en":
        raw = a.q.raw.strip().rstrip("?？!. ")
        return raw[0].lower() + raw[1:] if _WHO_EN.match(raw) and len(raw.split()) >= 3 else ""
    text = _ASK_TAIL_ZH.sub("", _ASK_LEAD_ZH.sub("", a.q.text.strip()))
    return text if _WHO_ZH.search(text) and len(text) >= 4 else ""


_NOT_A_NOUN = re.compile(r"^(?:v(?!n)|r|d|p|c|u|b|q|m|y|z)")  # verbs, pronouns, adverbs ... (not vn, verbal nouns)
_UNIT_TAG = re.compile(r"^[mq]")  # numerals and measure words
_NO_THING = re.compile(r"^(?:v(?!n)|d|p|c|u|q|m|y)")  # and of those, what jieba does not also give nouns (本科 r)


def said_head(noun: str, sentence: str) -> str:
    """The asked noun without a tail that the sentence does not say and that is no noun.

    社区党群服务中心 of 社区党群服务中心纳入此次(改革), 进出口 of 进出口要冲(到多少); "" for words that name no
    thing (新增, 再降, 微克). A tail that is a noun stays, though the sentence lacks it: 普惠托位 is what the
    report does not give.
    """
    if not noun:
        return ""
    tags = pos_tags(noun)
    if all(_NO_THING.match(f) for _, f in tags):
        return ""  # 新增, 再降, 微克: no thing named
    if noun in sentence:
        return noun
    head = ""
    for word, flag in tags:
        if head + word not in sentence:
            if head and _NOT_A_NOUN.match(flag):
                return head if len(head) >= 2 else ""
            return noun
        head += word
    return noun


def shared_stretch(question: str, sentence: str) -> str:
    """The longest stretch the question shares with the sentence, without a leading count ("" if under two characters).

    What a partial answer names as the thing it lacks something of: 山姆会员店, 广钢公园示范点二期, 双拥任务清单 (not
    126项双拥任务清单).
    """
    best = ""
    for i in range(len(question)):
        j = i + len(best) + 1
        while j <= len(question) and question[i:j] in sentence:
            best = question[i:j]
            j += 1
    best = _LEADING_COUNT.sub("", best.strip()) if re.match(r"\d", best) else best.strip()
    return best if len(re.findall(r"[\u4e00-\u9fff]", best)) >= 2 else ""


def with_each_part(hits: list[Hit], top: int) -> list[Hit]:
    """The hits, with the best chunk of the review and the best of the plan among the first ``top``.

    A question that compares the two years needs a passage from each; the others keep their order.
    """
    late = [i for part in ("review", "plan") if (i := _first_in(hits, part)) is not None and i >= top]
    if not late:
        return hits
    rest = [h for i, h in enumerate(hits) if i not in late]
    keep = top - len(late)
    return rest[:keep] + [hits[i] for i in late] + rest[keep:]


def _first_in(hits: list[Hit], part: str) -> int | None:
    """The position of the first hit in a part (None: none is)."""
    return next((i for i, h in enumerate(hits) if h.chunk.part == part), None)


@dataclass(frozen=True)
class Reading:
    """A question as read before any retrieval: the same with or without the keys."""

    q: Query  # normalised for the reports of its scope
    frame: Frame
    units: list[Unit]  # its topic's content units (QA._topic_units)
    unknown: tuple[str, ...] = ()  # place names in it that the scope's reports never mention (abstain.unknown_names)


Retrieved = tuple[list[Hit], tuple[list[int], np.ndarray]]  # a question's hits, and its candidate sentences' rows


@dataclass(frozen=True)
class Analysis:
    """One question on its way through the pipeline: what the decision and the composer look at."""

    question: str
    reading: Reading  # the question normalised and understood, its topic's units, the places no report mentions
    lang: str
    scope: Scope  # the reports it is answered from
    hits: list[Hit]
    ranked: list[tuple[float, int]]  # (score, sentence index), best first
    features: dict[str, float]
    timings: dict[str, float]
    qvec: np.ndarray | None = None  # the question's embedding
    keys: bool = True  # whether the authored questions (keys) are about the reports searched
    # the candidate sentences and their SENTENCE_FEATURES rows, in candidate order (what the ranker scored)
    candidates: tuple[list[int], np.ndarray] | None = None

    @property
    def q(self) -> Query:
        """The question normalised for the reports of its scope."""
        return self.reading.q

    @property
    def frame(self) -> Frame:
        """What the question asks (:func:`qa.answer.understand.understand`)."""
        return self.reading.frame


def load_qa(
    model: str | None = None, rebuild: bool = True, answer_model: bool = True, corpus: tuple[Path, ...] | None = None
) -> QA:
    """The QA engine for ``model`` (default: $QA_MODEL or the built-in model), building the index if needed.

    ``corpus``: the report files (default: ``$QA_CORPUS`` or the Liwan report). ``answer_model=False``
    leaves the answerability model out (``qa train`` makes it).
    """
    from qa.search.embedding import load_embedder
    from qa.search.index import open_index

    embedder = load_embedder(model)
    index = open_index(embedder, rebuild=rebuild, corpus=corpus)
    answer_on_one_thread()
    return QA(index, embedder, None if not answer_model else True)


def answer_on_one_thread() -> None:
    """NumPy's BLAS and FAISS on one thread in this process, from now on (after the index is built).

    One question's matrices are small: a second thread saves nothing and, on a busy machine or with
    concurrent requests, its spin-waiting made the slowest answers twice as slow (in-process p95 39 -> 23 ms
    at load average 2). The embedder still uses two BLAS threads for large batches.
    """
    import faiss
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    faiss.omp_set_num_threads(1)


# markup a question may hold instead of words: an HTML element (a script or style with its content), a
# Markdown link or image (its text kept)
_MARKUP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<[^<>]*>|!?\[([^\]]*)\]\([^)]*\)", re.IGNORECASE | re.DOTALL)
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit, in any script


def refusal(question: str) -> str | None:
    """Why the input cannot be asked: ``empty``, ``too_long``, ``markup`` (tags or links, no words); else None."""
    return _refusal(clean_input(question if isinstance(question, str) else ""))


def _refusal(raw: str) -> str | None:
    """:func:`refusal` of input already cleaned (:func:`qa.text.normalize.clean_input`)."""
    if not raw:
        return "empty"
    if len(raw) > MAX_QUESTION_CHARS:
        return "too_long"
    words = _MARKUP.sub(lambda m: f" {m.group(2) or ''} ", raw)
    if words != raw and not _WORD_CHAR.search(words):
        return "markup"  # <img src=x onerror=alert(1)>: nothing to answer (??? has no markup: it is asked)
    return None


def refuse(question: str) -> Answer | None:
    """The answer for input that cannot be asked (see :func:`refusal`), else None."""
    raw = clean_input(question if isinstance(question, str) else "")
    kind = _refusal(raw)
    if kind is None:
        return None
    lang = "en" if is_english(raw) else "zh"
    message = MESSAGES[(lang, kind)]
    return Answer(
        question=question,
        answer=message,
        abstained=True,
        citations=(),
        hits=(),
        lang=lang,
        timings_ms={"total": 0.0},
        message=message,
        status="declined",
        reason="input",
    )
