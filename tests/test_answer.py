"""Answers with the real default model: known passages, verbatim citations, parts, abstention, the JSON object."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import cast

import pytest

from qa.answer.abstain import content_units, found, mentions, unknown_names
from qa.answer.engine import MAX_QUESTION_CHARS, refusal, refuse, said_head, shared_stretch, with_each_part
from qa.report.corpus import CORPUS_FILE
from qa.text.normalize import normalize_query
from qa.types import Hit

pytestmark = pytest.mark.model

KNOWN = [  # (question, a verbatim piece of the passage that answers it, its part)
    ("今年地区生产总值预期增长多少?", "地区生产总值增长5%左右", "plan"),
    ("去年新增就业多少人?", "新增就业1.62万人", "review"),
    ("今年新增就业目标是多少?", "新增就业1万人以上", "plan"),
    ("长者饭堂建了多少个?", "建成长者饭堂164个", "review"),
    ("五外联动是什么意思?", "外贸、外资、外包、外经、外智联动", "glossary"),
    ("今年會新增幾多個公辦學位?", "新增优质公办基础教育学位5040个", "plan"),
    ("How many new public school places will be added in 2025?", "新增优质公办基础教育学位5040个", "plan"),
]


@pytest.mark.parametrize(("question", "piece", "part"), KNOWN)
def test_known_passage_is_retrieved_and_quoted(real_qa, question: str, piece: str, part: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    text = real_qa.index.report.text
    start = text.index(piece)
    top5 = a.hits[:5]
    assert any(h.chunk.start <= start < h.chunk.end for h in top5), [h.chunk.text[:30] for h in top5]
    assert not a.abstained
    assert any(c.start <= start < c.end and c.part == part for c in a.citations), a.answer


def test_every_quote_is_verbatim_with_breadcrumb_and_part(real_qa) -> None:  # type: ignore[no-untyped-def]
    text = real_qa.index.report.text
    for question, _, _ in KNOWN:
        a = real_qa.ask(question)
        for c in a.citations:
            assert text[c.start : c.end] == c.quote
            assert c.quote in a.answer and f"[{c.n}]" in a.answer
            assert " › " in c.section or c.part == "other"
        for h in a.hits:
            assert text[h.chunk.start : h.chunk.end] == h.chunk.text


def test_year_words_pick_the_part(real_qa) -> None:  # type: ignore[no-untyped-def]
    plan = real_qa.ask("今年固定资产投资目标是多少?")
    review = real_qa.ask("去年固定资产投资完成了多少?")
    assert plan.citations[0].part == "plan" and "535亿元" in plan.citations[0].quote
    assert review.citations[0].part == "review" and "501.29亿元" in review.citations[0].quote


@pytest.mark.parametrize("question", ["广州全市2024年常住人口有多少?", "How many people live in Guangzhou?"])
def test_the_city_the_district_is_in_is_not_called_unmentioned(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    """广州 is in the report's title (广州市荔湾区): a decline may not say the report never mentions it."""
    a = real_qa.ask(question)
    assert a.understanding["places"] and a.reason != "abstain_name"
    assert "没有提到「广州" not in a.answer and "does not mention 广州" not in a.answer


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("番禺有没有长者饭堂?", ["番禺"]),  # a place of the table
        ("四川的GDP是多少?", ["四川"]),
        ("北京路步行街今年有什么活动?", ["北京路"]),  # jieba's place tag, 3 characters
        ("荔灣舊年同外國做生意、吸引外資嗰方面,有冇新搞作?", []),  # 外国, 河水, 兴旺: jieba's tag, plain words
        ("今年天空同河水要幾乾淨先得?", []),
        ("荔灣啲學校同運動成績,舊年係咪好興旺?", []),
        ("荔灣同港科大(廣州)嗰啲大院大所合作,係為咗做咩?", []),  # 同港 of 同港科大
        ("香港澳門啲年輕人嚟荔灣開公司,舊年多咗幾多單?", []),  # the report writes 港澳
        ("跟贵州合作建了几个产业园?", []),  # and 粤黔协作
        ("How many cooperation industrial parks did Liwan set up with Guizhou?", []),
        ("What is the GDP of Paris?", ["Paris"]),
    ],
)
def test_the_places_a_report_never_mentions(question: str, names: list[str]) -> None:
    report = CORPUS_FILE.read_text(encoding="utf-8")
    assert unknown_names(normalize_query(question), report) == names


def test_a_place_is_mentioned_by_its_abbreviation_next_to_another() -> None:
    assert mentions("推动港澳青年创新创业", "澳门") and mentions("共建粤黔协作现代产业园区", "贵州")
    assert mentions("京津冀协同发展", "天津") and not mentions("搭建政务服务平台", "台湾")  # 台 alone
    assert not mentions("粤港澳大湾区", "深圳")


@pytest.mark.parametrize(
    "question",
    [
        "明天广州天气怎么样?",
        "天河区2024年GDP是多少?",
        "What is the best pizza place in New York?",
        "2030年荔湾的人口是多少?",
    ],
)
def test_off_topic_questions_abstain_with_nearest_sections(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.abstained and not a.citations
    first_line = a.answer.split("\n")[0]
    assert "报告中没有" in first_line or "does not" in first_line
    assert a.answer.count("\n- ") >= 1  # the nearest sections are listed


def test_english_question_gets_english_fixed_strings(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("What is the weather tomorrow in Paris?")
    assert a.lang == "en" and a.abstained and a.answer.startswith("The report does not")


def test_json_object_schema(real_qa) -> None:  # type: ignore[no-untyped-def]
    d = real_qa.ask("今年新增就业目标是多少?").to_json()
    assert {"question", "answer", "abstained", "citations", "passages", "timings_ms"} <= d.keys()
    assert isinstance(d["abstained"], bool) and d["timings_ms"]["total"] > 0
    assert len(d["passages"]) >= 10
    assert [p["score"] for p in d["passages"]] == sorted((p["score"] for p in d["passages"]), reverse=True)
    for c in d["citations"]:
        assert set(c) == {"n", "chunk_id", "section", "part", "year", "report", "quote", "start", "end"}
        assert c["report"] == "liwan-2025-government-work-report" and c["year"] in (2024, 2025)
    for p in d["passages"]:
        assert set(p) == {"chunk_id", "section", "part", "year", "report", "text", "score", "start", "end"}


@pytest.mark.parametrize("bad", ["", "   \n\t ", "\x00\x01\x1b", "问" * (MAX_QUESTION_CHARS + 1)])
def test_bad_input_gets_a_message_not_a_crash(real_qa, bad: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(bad)
    assert a.message and a.abstained and not a.citations and not a.hits
    assert refuse(bad) is not None


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("<img src=x onerror=alert(1)>", "markup"),
        ("<script>alert(1)</script>", "markup"),  # a script's content is no question either
        ("<p></p> <br/>", "markup"),
        ("今年<b>新增就业</b>目标是多少?", None),  # tags around words: the words are asked
        ("[点我](javascript:alert(1))", None),  # a link's text is words
        ("<5%的增长是哪一年?", None),  # not a tag
        ("???", None),  # no words, but no markup: asked, and declined as not understood
        ("", "empty"),
        ("问" * (MAX_QUESTION_CHARS + 1), "too_long"),
    ],
)
def test_input_of_markup_only_is_refused_with_its_reason(real_qa, typed: str, why: str | None) -> None:  # type: ignore[no-untyped-def]
    assert refusal(typed) == why
    if why == "markup":
        a = real_qa.ask(typed)
        assert a.reason == "input" and a.message.startswith("The question is only markup") and not a.citations


def test_hostile_and_nonsense_input_is_answered_safely(real_qa) -> None:  # type: ignore[no-untyped-def]
    text = real_qa.index.report.text
    for q in ["<script>alert(1)</script>", "asdkjh qwe zzz", "。。。???", "1" * 200]:
        a = real_qa.ask(q)
        assert json.loads(json.dumps(a.to_json(), ensure_ascii=False))["question"] == q  # kept as typed
        assert q not in a.answer and "<script" not in a.answer  # the input is never echoed into the answer
        assert a.status in ("answered", "partial", "declined") and (a.citations or a.abstained)
        for c in a.citations:  # whatever it quotes is the report, verbatim, and shown in the answer
            assert text[c.start : c.end] == c.quote and c.quote in a.answer


@pytest.mark.parametrize(
    ("question", "asked", "beside"),
    [
        ("今年新增就业目标是多少?", "新增就业1万人以上", "新增就业1.62万人"),
        ("去年固定资产投资完成了多少?", "完成固定资产投资501.29亿元", "固定资产投资完成535亿元"),
    ],
)
def test_the_other_years_ledger_figure_is_quoted_beside(real_qa, question: str, asked: str, beside: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    text = real_qa.index.report.text
    assert asked in a.citations[0].quote
    other = [c for c in a.citations[1:] if beside in c.quote]
    assert len(other) == 1 and other[0].part != a.citations[0].part
    assert text[other[0].start : other[0].end] == other[0].quote
    assert f"「{other[0].quote}」[{other[0].n}]" in a.answer


# --- three answer states (the examples of the answerability issue) ------------------------------------------


def test_opinion_and_advice_are_declined_with_that_reason(real_qa) -> None:  # type: ignore[no-untyped-def]
    for question in ["荔灣而家值唔值得買樓?", "你觉得荔湾区政府做得好不好?"]:
        a = real_qa.ask(question)
        assert a.status == "declined" and a.abstained and not a.citations, a.answer
        assert a.reason == "abstain_opinion" and "不提供观点" in a.answer
        assert "最接近的章节" in a.answer


def test_howto_points_to_the_hotline_the_report_names(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("How do I apply for a childcare place for my daughter?")
    assert a.status == "declined" and a.reason == "abstain_howto" and "12345" in a.answer


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Would my kids be happy growing up in Liwan?", "opinion"),
        ("去区儿童医院坐几路公交车?", "howto"),
        ("想在荔湾开个小店,营业执照找谁盖章?", "howto"),
    ],
)
def test_an_opinion_or_howto_without_cue_words_gets_its_reason_from_the_models(real_qa, question, kind) -> None:  # type: ignore[no-untyped-def]
    """No cue of question_cues.tsv says opinion or how-to here; the first-stage models read the kind of question."""
    analysis = real_qa._analyse(question, scope=real_qa.library.scope(question, None))
    assert analysis.frame.intent not in ("opinion", "howto")
    a = real_qa.ask(question)
    assert a.status == "declined" and a.reason == f"abstain_{kind}", a.answer


@pytest.mark.parametrize("question", ["荔湾老城区改造到底算唔算成功?", "西关这些老街区有必要花这么多钱改造吗?"])
def test_whether_a_thing_is_a_success_or_worth_it_is_an_opinion(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    """Cue words (算不算成功, 有必要…吗): without them the first-stage models answered these (tenth session)."""
    a = real_qa.ask(question)
    assert a.status == "declined" and a.reason == "abstain_opinion", a.answer


def test_a_detail_the_report_leaves_out_is_a_partial_answer(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("区儿童医院在哪条路?")
    assert a.status == "partial" and a.abstained
    assert a.missing.endswith("地址") and a.answer.startswith(f"报告没有给出{a.missing}。")
    text = real_qa.index.report.text
    assert len(a.citations) == 1 and "区儿童医院" in a.citations[0].quote
    assert text[a.citations[0].start : a.citations[0].end] == a.citations[0].quote


def test_a_count_the_report_gives_is_answered(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("长者饭堂有多少个?")
    assert a.status == "answered" and not a.abstained
    assert "建成长者饭堂164个" in a.citations[0].quote


def test_a_figure_the_report_never_gives_is_declined(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("荔湾区常住人口有多少?")
    assert a.status == "declined" and a.abstained and not a.citations


def test_json_has_status_understanding_and_probabilities(real_qa) -> None:  # type: ignore[no-untyped-def]
    d = real_qa.ask("区儿童医院在哪条路?").to_json()
    assert d["status"] == "partial" and d["abstained"] is True and d["missing"]
    assert d["understanding"]["slot"] == "place" and set(d["probabilities"]) == {"answered", "partial", "declined"}
    assert abs(sum(d["probabilities"].values()) - 1) < 1e-3
    assert real_qa.ask("长者饭堂有多少个?").to_json()["status"] == "answered"


@pytest.mark.parametrize("question", ["asdkjh qwe zzz", "啊啊啊啊啊", "lorem ipsum dolor sit amet", "???", "的的的"])
def test_nonsense_is_declined_as_not_understood(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert (a.status, a.reason, len(a.citations)) == ("declined", "abstain_unclear", 0)


def test_a_question_without_report_words_but_like_an_authored_one_is_not_nonsense(real_qa) -> None:  # type: ignore[no-untyped-def]
    question = "报告是哪天念的"  # no word of it occurs in the report, and it is no authored question itself
    assert not any(found(u, real_qa.library.all.lower) for u in content_units(normalize_query(question)))
    assert question not in {k.question for k in real_qa.index.keys}
    assert real_qa.ask(question).reason != "abstain_unclear"
    assert real_qa.ask("12345").reason != "abstain_unclear"  # a report word (the hotline), like no question


def test_zero_width_characters_and_lone_surrogates_are_dropped_not_spaced(real_qa) -> None:  # type: ignore[no-untyped-def]
    assert normalize_query("今\u200b年新增就业目标是多少?").part == "plan"  # still 今年 = 2025
    a = real_qa.ask("\ud800今年新增就业\udcff目标是多少?")  # invalid UTF-8 read with surrogateescape
    assert a.status == "answered" and a.to_json()["error"] is None
    assert "新增就业1万人以上" in "".join(c.quote for c in a.citations)
    json.dumps(a.to_json(), ensure_ascii=False).encode("utf-8")  # nothing un-encodable is echoed back


def test_a_comparison_gets_a_passage_from_each_year_among_the_candidates() -> None:
    def hit(part: str) -> Hit:
        return cast(Hit, SimpleNamespace(chunk=SimpleNamespace(part=part)))

    hits = [hit(p) for p in ("plan", "plan", "plan", "plan", "plan", "plan", "review", "review")]
    out = with_each_part(hits, 5)
    assert [h.chunk.part for h in out[:5]] == ["plan", "plan", "plan", "plan", "review"]
    assert sorted(map(id, out)) == sorted(map(id, hits))  # the same hits, reordered
    assert with_each_part(hits[:5] + hits[6:], 5)[:5] == [*hits[:4], hits[6]]
    both_late = [hit("other")] * 6 + [hit("review"), hit("plan")]
    assert [h.chunk.part for h in with_each_part(both_late, 5)[:5]] == ["other"] * 3 + ["review", "plan"]
    assert with_each_part(hits[4:], 5) == hits[4:]  # both already among the first five


def test_a_comparison_of_the_two_years_quotes_both(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("今年新增就业目标是多少?和去年实际新增就业相比如何?")
    assert {c.part for c in a.citations} >= {"review", "plan"}


def test_an_english_word_for_something_the_report_never_says_counts_as_missing(real_qa) -> None:  # type: ignore[no-untyped-def]
    """The word "unemployment" glosses to 失业, a word of the genre the Liwan report never uses: content it lacks."""
    scope = real_qa.library.all
    units = real_qa._topic_units(normalize_query("What was the unemployment rate?", vocab=scope.text), scope)
    assert "unemployment" in units  # kept, and found nowhere in the report
    assert "xyzzy" not in real_qa._topic_units(normalize_query("What is xyzzy?", vocab=scope.text), scope)


CHIT_CHAT = [
    "你好呀",
    "tell me a joke please",
    "ok thanks, bye!",
    "你是不是机器人啊?",
    "帮我写一首诗",
    "thanks, that's all for now!",
    "唔該晒!",
]


@pytest.mark.parametrize("question", CHIT_CHAT)
def test_chit_chat_is_declined_by_rule_with_its_own_reason(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.status == "declined" and a.reason == "abstain_chitchat" and not a.citations


@pytest.mark.parametrize(
    "question", ["你好,请问今年新增就业目标是多少?", "hi, what is the target for new jobs this year?"]
)
def test_a_greeting_before_a_question_does_not_make_it_chit_chat(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.status == "answered" and any("新增就业1万人以上" in c.quote for c in a.citations)


@pytest.mark.parametrize(
    ("question", "asked", "said", "quote"),
    [
        ("2024年荔湾新增多少家国家级专精特新企业?", "国家级", "省级", "新增8家省级专精特新企业"),
        ("去年荔湾GDP增速在全省排第几?", "全省", "全市", "增速排名全市第五"),
        ("Liwan's actual use of foreign capital in 2024 in US dollars?", "US dollars", "yuan", "外资10.14亿元"),
    ],
)
def test_another_level_rank_scope_or_currency_is_a_partial_answer_naming_both(  # type: ignore[no-untyped-def]
    real_qa, question: str, asked: str, said: str, quote: str
) -> None:
    """The report says 8家省级 firms, ranks growth in the city (全市第五), gives foreign capital in yuan."""
    a = real_qa.ask(question)
    assert a.status == "partial" and asked in a.missing and said in a.missing
    assert any(quote in c.quote for c in a.citations)


@pytest.mark.parametrize(
    ("question", "quote"),
    [
        ("2024年荔湾新增多少家省级专精特新企业?", "新增8家省级专精特新企业"),
        ("去年荔湾GDP增速在广州排第几?", "增速排名全市第五"),
    ],
)
def test_the_level_or_rank_scope_the_report_says_is_answered(real_qa, question: str, quote: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.status == "answered" and any(quote in c.quote for c in a.citations)


@pytest.mark.parametrize(
    "question", ["Is Liwan going to speed up its major projects in 2025?", "荔湾今年重大项目建设有什么安排?"]
)
def test_a_sentence_is_quoted_with_the_lead_phrase_just_before_it(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    """加快建设重大项目。 says what the next sentence is about: one quote holds both, whichever was ranked first."""
    a = real_qa.ask(question)
    first = a.citations[0]
    assert a.status == "answered" and first.quote.startswith("加快建设重大项目。锚定全区固定资产投资535亿元目标")
    assert real_qa.index.report.text[first.start : first.end] == first.quote


@pytest.mark.parametrize("question", ["广州全市去年GDP总量是多少?", "What was Guangzhou's GDP growth last year?"])
def test_the_city_as_a_whole_is_declined_as_not_the_reports_place(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    """The report names 广州 often, but gives Liwan's figures: the reason says so, not that nothing was found."""
    a = real_qa.ask(question)
    assert a.status == "declined" and a.reason == "abstain_parent" and "广州" in a.answer and "荔湾" in a.answer


def test_a_name_that_begins_with_the_city_is_not_the_city(real_qa) -> None:  # type: ignore[no-untyped-def]
    def whole(question: str) -> list[str]:
        return real_qa._whole_parents(real_qa._analyse(question, scope=real_qa.library.scope(question, None)))

    assert whole("广州工控集团去年营收多少?") == []  # a company, not Guangzhou
    assert whole("广州全市去年GDP总量是多少?") == ["广州"]
    assert whole("What was Guangzhou's GDP growth last year?") == ["广州"]


@pytest.mark.parametrize("question", ["你估2027年荔湾楼价会唔会跌?", "你觉得天河区明年发展得好不好?"])
def test_an_opinion_about_another_year_or_place_is_declined_as_an_opinion(real_qa, question: str) -> None:  # type: ignore[no-untyped-def]
    """The year or place rule would decline it too; that it asks for an opinion is the reason that fits."""
    a = real_qa.ask(question)
    assert a.status == "declined" and a.reason == "abstain_opinion"


@pytest.mark.parametrize(
    ("question", "missing", "quote"),
    [
        ("11号线在荔湾的那8个站叫什么名字?", "这8个站的具体名称", "在荔湾设有8个站点的地铁11号线运营通车"),
        (
            "Which 8 community health centres are meant to become provincial community hospitals?",
            "the names of the 8 community health centres",
            "8家社区卫生服务中心建成省级社区医院",
        ),
    ],
)
def test_names_asked_where_the_report_gives_a_count_is_a_partial_answer(  # type: ignore[no-untyped-def]
    real_qa, question: str, missing: str, quote: str
) -> None:
    """A count is not an answer to "what are their names": partial, naming what is counted, quoting the count."""
    a = real_qa.ask(question)
    assert a.status == "partial" and a.missing == missing
    assert any(quote in c.quote for c in a.citations)


def test_names_listed_by_their_count_answer_the_question(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("今年开学的3所学校分别是哪几所?")
    assert a.status == "answered" and any("康有为纪念小学东漖校区" in c.quote for c in a.citations)


def test_a_plan_question_the_plan_does_not_answer_quotes_the_other_year_as_partial(real_qa) -> None:  # type: ignore[no-untyped-def]
    """The 2025 plan gives no count of 长者饭堂; the 2024 review does: partial, the 2025 figure named as missing."""
    a = real_qa.ask("今年打算再建多少个长者饭堂?")
    assert a.status == "partial" and "2025" in a.missing
    assert [c.year for c in a.citations] == [2024] and "建成长者饭堂164个" in a.citations[0].quote


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("How much is the rent subsidy for talent apartments each month?", "the amount of the rent subsidy"),
        ("How many new 5G base stations will Liwan build in 2025?", "the number of new 5g base stations for 2025"),
        # a "what is the …" question names what it asks in its own words, which say it best
        (
            "What's the address of the new police case-handling centre?",
            "the address of the new police case-handling centre",
        ),
        ("what is the monthly rent subsidy for talent apartments?", "the monthly rent subsidy for talent apartments"),
    ],
)
def test_an_english_partial_answer_names_what_is_missing_in_order(real_qa, question: str, missing: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.status == "partial" and a.missing == missing
    assert a.answer.startswith(f"The report does not give {missing}.")


@pytest.mark.parametrize(
    ("question", "said"),
    [
        (
            "请问区儿童医院的院长是谁呢?",
            "报告没有说区儿童医院的院长是谁。",
        ),  # not 区儿童医院的具体名称: it has its name
        # not 白鹅潭大湾区艺术中心是谁设计的?: its P(answered) sits at the threshold (0.31-0.39 against 0.30),
        # and flips from one retrain to the next
        ("粤剧主题纪录电影《西关女人》是谁导演的?", "报告没有说粤剧主题纪录电影《西关女人》是谁导演的。"),
        (
            "Who designed the Baietan Greater Bay Area Art Center?",
            "The report does not say who designed the Baietan Greater Bay Area Art Center.",
        ),
    ],
)
def test_a_partial_answer_to_who_says_the_report_does_not_say_who(real_qa, question: str, said: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.status == "partial" and a.answer.startswith(said)
    assert a.missing and a.missing in said


def test_the_other_year_sentence_with_the_asked_noun_beside_a_figure_is_the_partial_answer(real_qa) -> None:  # type: ignore[no-untyped-def]
    """The 2024 review gives 协议投资额234.57亿元 without the question's 招商引资: it still speaks of the thing."""
    a = real_qa.ask("2025年荔湾计划招商引资协议投资额多少亿元?")
    assert a.status == "partial" and "2025" in a.missing
    assert [c.year for c in a.citations] == [2024] and "协议投资额234.57亿元" in a.citations[0].quote


def test_a_sure_partial_quotes_the_nearest_sentence_rather_than_declining(real_qa) -> None:  # type: ignore[no-untyped-def]
    """P(partial) is high but the question's rate word (达标率) is no content: a third of it is enough to quote."""
    a = real_qa.ask("今年空气PM2.5达标率要达到多少?")
    assert a.probabilities["partial"] >= 0.8  # the sure case this is about
    assert a.status == "partial" and "PM2.5达标率" in a.citations[0].quote


def test_a_total_asked_and_a_number_added_said_is_a_partial_answer(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("How many invention patents does Liwan have in total?")
    assert a.status == "partial" and "新增发明专利授权548件" in a.citations[0].quote
    assert a.missing.startswith("the total number of")


def test_a_partial_answer_does_not_name_the_own_place_as_the_thing(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(
        "地铁22号线什么时候在荔湾开通?"
    )  # the stretch it shares with 在荔湾设有8个站点的地铁11号线 is 在荔湾
    assert a.status == "partial" and "荔湾" not in a.missing


def test_a_partial_answer_names_the_thing_and_not_its_unit_or_a_piece_of_it(real_qa) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask("今年还要新建多少座5G基站?")  # 2024's 新建5G基站714座 is quoted; 2025's number is missing
    assert a.status == "partial" and a.missing == "2025年5G基站的具体数字"


@pytest.mark.parametrize(
    ("noun", "sentence", "head"),
    [
        ("社区党群服务中心纳入此次", "深化社区党群服务中心改革。", "社区党群服务中心"),  # 纳入 is no noun
        ("进出口要冲", "外贸进出口增长。", "进出口"),
        ("普惠托位", "争取全区托位总量超6500个。", "普惠托位"),  # a noun: what the report does not give
        ("新增", "新增发明专利授权548件。", ""),  # no thing named
        ("微克", "PM2.5浓度为23微克/立方米。", ""),
    ],
)
def test_the_thing_a_partial_answer_names_drops_a_tail_that_is_no_noun(noun: str, sentence: str, head: str) -> None:
    assert said_head(noun, sentence) == head


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("全区有多少个社区党群服务中心纳入此次改革?", "社区党群服务中心的具体数字"),
        ("126项双拥任务清单主要包括哪些具体任务?", "这126项双拥任务清单的具体名称"),
        ("白鵝潭大道珠江隧道段有幾長?", "白鹅潭大道的具体长度"),  # a length asked in words
        ("明心书院是哪个朝代建的?", "明心书院的具体时间"),  # a time, not a name
        ("鶴洞小學新校區喺邊條街?", "鹤洞小学新校区的具体地点或地址"),
    ],
)
def test_a_partial_answer_says_what_is_missing_in_plain_words(real_qa, question: str, missing: str) -> None:  # type: ignore[no-untyped-def]
    a = real_qa.ask(question)
    assert a.status == "partial" and a.missing == missing


def test_a_sure_partial_answer_quotes_no_sentence_that_shares_only_single_characters(real_qa) -> None:  # type: ignore[no-untyped-def]
    """非法集资 is nowhere in the report: its 单 and 案 in 清单 and 方案 are no reason to quote a sentence."""
    a = real_qa.ask("舊年荔灣破咗幾多單非法集資案?")
    assert a.status == "declined" and not a.citations


@pytest.mark.parametrize(
    ("question", "sentence", "thing"),
    [
        ("山姆会员店具体哪天开业?", "推动华润万象城、山姆会员店等大型商业项目如期投入运营", "山姆会员店"),
        ("那126项双拥任务清单里具体有啥?", "扎实抓好126项双拥任务清单落实,不断巩固军政军民团结。", "双拥任务清单"),
        ("那1000场文化惠民演出都在哪儿演啊", "开展1000场文化惠民演出,全力推动文艺事业繁荣发展。", "文化惠民演出"),
        ("白鹅潭有烟花吗?", "精心组织水上花市、传统迎春花市", ""),  # nothing shared: no thing named
        ("今年还要新建多少座5G基站?", "新建5G基站714座,完成率183%。", "5G基站"),  # 5G is a name, not a count
    ],
)
def test_a_partial_answer_names_what_the_question_and_its_quote_share(question: str, sentence: str, thing: str) -> None:
    assert shared_stretch(question, sentence) == thing
