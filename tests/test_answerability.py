"""The answerability model: question shapes, the JSON model, training on the authored set (fake embedder)."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.answer.answerability import (
    FEATURES,
    KINDS,
    STATUSES,
    AnswerModel,
    AnswerModelError,
    Network,
    question_shape,
    shape_ngrams,
)
from qa.answer.engine import QA
from qa.answer.rank import SENTENCE_FEATURES
from qa.answer.train import (
    ABSENT_KIND,
    _fit_head,
    _fit_ranker,
    _pairs,
    choose_threshold,
    fit,
    load_training,
    question_kind,
    siblings,
    train_dir,
    training_files,
    training_sha256,
)
from qa.search.index import open_index
from qa.text.normalize import bigram_tokens, normalize_query

ROOT = Path(__file__).resolve().parent.parent


def test_shape_masks_the_reports_own_words() -> None:
    report = frozenset(bigram_tokens("区儿童医院、荔湾中心医院花地湾院区投入运行"))
    assert question_shape(normalize_query("区儿童医院在哪条路?"), report) == "XXXXX在哪条路?"
    assert "在哪条" in shape_ngrams("XXXXX在哪条路?") and "X在" in shape_ngrams("XXXXX在哪条路?")


def test_shape_masks_years_by_whether_the_report_speaks_of_them() -> None:
    report = frozenset(bigram_tokens("新增就业1万人以上"))
    liwan = frozenset({2024, 2025})
    assert question_shape(normalize_query("2023年新增就业多少人?"), report, liwan) == "Z年XXXX多少人?"
    assert question_shape(normalize_query("2023年新增就业多少人?"), report, frozenset({2022, 2023})) == "Y年XXXX多少人?"
    english = normalize_query("How many jobs in 2025 and 2019?")
    assert question_shape(english, report, liwan).endswith("in Y and Z")


def test_threshold_declines_at_most_the_allowed_share() -> None:
    p = np.linspace(0.0, 1.0, 101)
    t = choose_threshold(p, np.ones(101, dtype=bool), max_fr=0.05)
    assert np.mean(p < t) <= 0.05 and np.mean(p < t) >= 0.04


def test_a_training_question_has_one_kind_and_the_first_stage_models_give_every_kind() -> None:
    assert KINDS[question_kind({"status": "answered", "kind": None})] == "answered"
    assert KINDS[question_kind({"status": "declined", "kind": "opinion"})] == "opinion"
    assert KINDS[question_kind({"status": "declined", "kind": "how-to"})] == "howto"
    assert KINDS[question_kind({"status": "partial", "kind": "something new"})] == "detail-left-out"
    # a fold without any opinion or other-year question: those kinds get a row that is never likely
    rng = np.random.default_rng(0)
    y = np.array([0, 1, 2, 3, 4, 7] * 20)
    vectors = rng.normal(size=(len(y), 8)) + np.eye(8)[y] * 3
    head = _fit_head(vectors, y, "fake")
    assert head.coef.shape == (len(KINDS), 8)
    for absent in ("other-year", "opinion"):
        assert head.intercept[KINDS.index(absent)] == ABSENT_KIND and not head.coef[KINDS.index(absent)].any()
    lp = head.log_proba(vectors[0] * 0 + np.eye(8)[7] * 3)
    assert KINDS[int(np.argmax(lp))] == "howto" and lp[KINDS.index("opinion")] < -20


def test_a_training_question_does_not_see_its_own_authoring_session() -> None:
    rows = [
        {"id": "h1-0001", "question": "新增就业多少人?", "line": 44},
        {"id": "h1-0002", "question": "新增就业的岗位在哪里?", "line": 44},  # the same author's near-miss twin
        {"id": "h2-0001", "question": "今年能多几个工作岗位", "line": 44},  # another session: a real neighbour
        {"id": "h1-0003", "question": "长者饭堂几个?", "line": 61},  # the same session, another line
    ]
    out = siblings(rows)
    assert out[0] == out[1] == out[3] == ("新增就业多少人?", "新增就业的岗位在哪里?", "长者饭堂几个?")
    assert out[2] == ("今年能多几个工作岗位",)


def test_the_shipped_model_is_data_and_fits_the_code() -> None:
    model = AnswerModel.load()
    raw = json.loads((ROOT / "qa" / "data" / "answerability.json").read_text(encoding="utf-8"))
    assert raw["features"] == list(FEATURES) and raw["classes"] == list(STATUSES)
    assert raw["meta"]["training_sha256"] == training_sha256(training_files())  # trained on the set as committed
    assert model.shape is not None and 0.0 < model.answer_threshold < 1.0
    p = model.proba(np.zeros(len(FEATURES)))
    assert set(p) == set(STATUSES) and abs(sum(p.values()) - 1.0) < 1e-9


def test_the_status_model_is_the_mean_of_its_networks_over_scaled_features() -> None:
    """A hidden layer of rectified units then a softmax; without it, a logistic regression; the mean of them."""
    n = len(FEATURES)
    hidden = np.zeros((2, n))
    hidden[0, 0], hidden[1, 0] = 1.0, -1.0  # unit 0 passes feature 0 when positive, unit 1 when negative
    net = Network(np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]), np.zeros(3), hidden, np.zeros(2))
    linear = Network(np.zeros((3, n)), np.log(np.array([0.5, 0.25, 0.25])))
    model = AnswerModel(FEATURES, STATUSES, np.full(n, 1.0), np.full(n, 2.0), (net, linear), 0.5)
    x = np.full(n, 1.0)
    x[0] = 3.0  # scaled: (3 - 1) / 2 = 1, so the hidden layer is (1, 0) and the logits (2, 0, 0)
    e = np.exp(2.0)
    other = (1 / (e + 2) + 0.25) / 2
    want = {"answered": (e / (e + 2) + 0.5) / 2, "partial": other, "declined": other}
    assert model.proba(x) == pytest.approx(want)
    x[0] = -1.0  # scaled -1: the hidden layer is (0, 1), the logits (0, 2, 0)
    assert model.proba(x)["partial"] == pytest.approx((e / (e + 2) + 0.25) / 2)
    assert model.decide(x)[0] == "partial"  # P(answered) (1 / (e + 2) + 0.5) / 2 = 0.31 < 0.5
    assert all(net.fits(n) for net in model.networks) and not Network(np.zeros((3, 2)), np.zeros(3)).fits(n)


def test_the_shipped_sentence_ranker_beats_the_hand_set_order_out_of_fold() -> None:
    """The learned ranker puts a gold sentence first more often than the hand-set weights, in each language."""
    ranker = AnswerModel.load().ranker
    assert ranker is not None and ranker.weights.shape == (len(SENTENCE_FEATURES),)
    by_lang = ranker.meta["first_quote_gold_out_of_fold"]
    assert set(by_lang) == {"en", "zh-Hans", "zh-Hant"}
    assert all(r["learned"] > r["hand"] for r in by_lang.values()), by_lang


def test_a_report_without_keys_is_ranked_by_weights_learned_without_them() -> None:
    """Learned with the key and map features, the question's own cosine came to weigh against a sentence;
    a report without authored questions has none of those, so it gets weights learned as it is asked."""
    ranker = AnswerModel.load().ranker
    assert ranker is not None and ranker.keyless is not None
    col = SENTENCE_FEATURES.index
    keyed = ("key", "en_key", "keys_rank", "mapped", "en_mapped")
    assert all(ranker.keyless[col(f)] == 0.0 for f in keyed)  # never seen other than 0
    assert ranker.keyless[col("dense")] > 0 and ranker.keyless[col("en_dense")] + ranker.keyless[col("dense")] > 0
    by_lang = ranker.meta["keyless_first_quote_gold_out_of_fold"]
    assert all(r["learned"] > r["hand"] for r in by_lang.values()), by_lang
    x = np.zeros((2, len(SENTENCE_FEATURES)))
    x[0, col("dense")], x[1, col("mapped")] = 0.9, 0.9
    assert ranker.scores(x, keys=False).tolist() == [pytest.approx(0.9 * ranker.keyless[col("dense")]), 0.0]
    assert ranker.scores(x).tolist() == pytest.approx((x @ ranker.weights).tolist())


def test_ranker_pairs_are_gold_against_each_other_candidate() -> None:
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    dx, dy = _pairs([x, x], [np.array([True, False, False]), np.array([True, True, True])])
    # the first question: its gold row against each of the two others, and mirrored; the second (all gold) none
    assert dx.tolist() == [[1.0, -1.0], [0.5, -0.5], [-1.0, 1.0], [-0.5, 0.5]] and dy.tolist() == [1, 1, 0, 0]
    w = _fit_ranker([x] * 20, [np.array([True, False, False])] * 20)
    assert int(np.argmax(x @ w)) == 0  # learned: the gold row first


def test_training_set_is_big_enough_valid_and_apart_from_the_test_split() -> None:
    spec = importlib.util.spec_from_file_location("check_set", ROOT / "eval" / "check_set.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["check_set"] = mod
    spec.loader.exec_module(mod)
    assert mod.check_train() == []  # fields, verbatim gold quotes, no near-duplicate of a test question
    rows = load_training(training_files())
    unanswerable = [r for r in rows if r["status"] != "answered"]
    assert len(rows) >= 3000 and len(unanswerable) >= 1200
    assert sum(r["template"] for r in rows) <= len(rows) / 4
    assert {r["kind"] for r in unanswerable} == set(mod.UNANSWERABLE_KINDS)
    assert {r["register"] for r in rows} == {"formal", "colloquial", "cantonese", "english"}


def test_fit_on_a_sample_gives_a_model_that_round_trips(tmp_path: Path, fake_embedder: Any) -> None:
    rows = load_training(training_files(train_dir()))
    random.Random(0).shuffle(rows)
    sample = rows[:400]
    qa = QA(open_index(fake_embedder, index_dir=tmp_path / "index"), fake_embedder, model=None)
    model = fit(qa, sample, {"training_sha256": "x"})
    assert model.meta["n_questions"] == 400 and model.meta["training_sha256"] == "x"
    cv = model.meta["cross_validation"]
    assert cv["answerable_declined"] <= model.meta["max_false_refusal"] + 0.02
    assert model.ranker is not None and model.ranker.meta["n_questions"] > 0
    model.save(tmp_path / "m.json")
    again = AnswerModel.load(tmp_path / "m.json")
    x = np.random.default_rng(0).normal(size=len(FEATURES))
    assert abs(again.proba(x)["answered"] - model.proba(x)["answered"]) < 1e-6
    assert again.ranker is not None and np.allclose(again.ranker.weights, model.ranker.weights, atol=1e-7)
    qa.model = again
    a = qa.ask("长者饭堂有多少个?")
    assert a.status in STATUSES and set(a.probabilities) == set(STATUSES)


def test_a_broken_model_file_says_to_run_qa_train(tmp_path: Path) -> None:
    good = json.loads((ROOT / "qa" / "data" / "answerability.json").read_text(encoding="utf-8"))
    cases = {
        "missing.json": None,
        "not-json.json": "{",
        "null.json": "null",
        "other-features.json": json.dumps({**good, "features": ["dense_best"]}),
        "incomplete.json": json.dumps({k: v for k, v in good.items() if k != "networks"}),
        "no-networks.json": json.dumps({**good, "networks": []}),
        "wrong-shape.json": json.dumps({**good, "networks": [{**good["networks"][0], "coef": [[1.0]] * 3}]}),
        "hidden-shape.json": json.dumps(
            {**good, "networks": [{**net, "hidden": [row[:5] for row in net["hidden"]]} for net in good["networks"]]}
        ),
        "half-hidden.json": json.dumps({**good, "networks": [{**good["networks"][0], "hidden_intercept": None}]}),
        "keyless-shape.json": json.dumps(
            {**good, "keyless": {**good["keyless"], "networks": [{"coef": [[1.0]], "intercept": [0.0]}]}}
        ),
        "ranker-shape.json": json.dumps({**good, "ranker": {**good["ranker"], "weights": [1.0]}}),
        "ranker-features.json": json.dumps({**good, "ranker": {**good["ranker"], "features": ["dense"]}}),
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text, encoding="utf-8")
        with pytest.raises(AnswerModelError, match="run `qa train`"):
            AnswerModel.load(path)
