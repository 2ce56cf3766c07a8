"""Question understanding: intent, slot, count target, years, places, and the slot checks on sentences."""

from __future__ import annotations

import pytest

from qa.answer.abstain import content_units
from qa.answer.scope import Scope
from qa.answer.understand import (
    Marks,
    answer_spans,
    count_only,
    own_place,
    parent_places,
    qualifier_missed,
    slot_match,
    table_places,
    topic_text,
    total_missing,
    understand,
    unit_missing,
)
from qa.report.corpus import CORPUS_FILE, load_report
from qa.text.normalize import normalize_query


@pytest.mark.parametrize(
    ("question", "intent", "slot"),
    [
        ("荔灣而家值唔值得買樓?", "opinion", "none"),  # Cantonese, mapped to Mandarin first
        ("你觉得荔湾区政府做得好不好?", "opinion", "none"),
        ("您如何评价荔湾区2024年的政府工作成效?", "opinion", "none"),  # the polite 您 as 你
        ("Is it worth buying a flat in Liwan now?", "opinion", "none"),
        ("Is Liwan a nice place to raise kids?", "opinion", "none"),  # as a good, decent, pleasant place or spot
        ("Are the people of Liwan happy with their government?", "opinion", "none"),  # as "satisfied"
        ("Will Liwan really reach its growth goal this year?", "opinion", "none"),  # a forecast, as 做得到吗
        ("When will the Zengbu bridge underpass actually get built?", "fact", "date"),  # no forecast asked
        ("Did Liwan actually meet its GDP target last year?", "fact", "yesno"),  # a result the review gives
        ("Were the deputies happy with how their proposals were handled?", "fact", "yesno"),  # 满意率 is given
        ("Were there more and better places to see a doctor in 2024?", "fact", "yesno"),  # a comparison of facts
        ("今年哪八间社区卫生服务中心会变成省级社区医院?", "fact", "names"),  # a target, not a forecast (会变成)
        ("西关美食哪家最正宗 推荐下呗", "opinion", "none"),  # asks a recommendation
        ("两个清单里推荐了哪些企业", "list", "names"),  # 推荐 as the report's word: no opinion asked
        ("1906科技園嗰啲舊廠改造搞成點?", "fact", "description"),  # 搞成點 asks progress, not a rating
        ("羊城菊会在哪办的", "fact", "place"),  # where an event is held, not where to apply
        ("2024年荔湾经济增速在广州各区中位列第几?", "number", "rank"),  # a rank, though 增速 is a rate word
        ("葵蓬路改造要封路多久", "number", "date"),  # how long: a time
        ("长者饭堂有多少个?", "number", "quantity"),
        ("今年新增就業目標係幾多?", "number", "quantity"),
        ("今年中央预算内投资打算安排多少钱?", "number", "money"),  # 安排多少 is not a rank (排多少)
        ("2025年荔湾计划招商引资协议投资额多少亿元?", "number", "money"),
        ("去年GDP增速是多少?", "number", "rate"),
        ("区儿童医院在哪条路?", "fact", "place"),
        ("Where is the new children's hospital?", "fact", "place"),
        ("荔湾有哪些历史文化街区?", "list", "names"),
        ("What are the names of the three new schools?", "list", "names"),
        ("而家喺荔灣買樓划唔划算?", "opinion", "none"),
        ("这个规划算完成了吗?", "fact", "yesno"),  # 规划算 is no 划算
        ("房票安置對街坊嚟講公唔公平?", "opinion", "none"),
        ("今年有什么用地计划?", "list", "names"),  # 有什么用地 is no 有什么用
        ("科教兴国这些口号对老百姓有啥用", "opinion", "none"),
        ("怎么申请托育补贴?", "howto", "description"),
        ("What is the phone number of the district office?", "howto", "description"),
        ("Will the government service centre stay open on weekends?", "howto", "yesno"),
        ("Which three schools are scheduled to open on time in 2025?", "list", "date"),  # on time: no opening hours
        ("五外联动是什么意思?", "definition", "description"),
        ("你好", "chitchat", "none"),
        ("thanks, that's all for now!", "chitchat", "none"),  # a closing, not a question about the report
        ("唔該晒!", "chitchat", "none"),  # thanks (唔该 alone is "please": 唔该,区儿童医院几时开?)
        ("区儿童医院什么时候开的?", "fact", "date"),
        ("where did liwan place in the citywide 12345 hotline assessment", "number", "rank"),  # not a place
        ("12345热线考核排在哪?", "number", "rank"),
        ("Where does the extra building land come from?", "fact", "place"),
    ],
)
def test_intent_and_slot(question: str, intent: str, slot: str) -> None:
    f = understand(normalize_query(question))
    assert (f.intent, f.slot) == (intent, slot)


@pytest.mark.parametrize(
    ("question", "intent", "slot"),
    [
        ("What is the current population?", "fact", "description"),  # no "rent" in current
        ("Which companies were listed?", "list", "names"),  # list + ed
        ("Is the program separate from the school?", "fact", "yesno"),  # no "rate" in separate
        ("Would you say Liwan's state-owned firms are well run?", "opinion", "none"),
        ("is the riverside mall worth a visit?", "opinion", "none"),
    ],
)
def test_english_cues_are_whole_words(question: str, intent: str, slot: str) -> None:
    f = understand(normalize_query(question))
    assert (f.intent, f.slot) == (intent, slot)


def test_english_topic_keeps_words_a_cue_only_begins_and_drops_lone_letters() -> None:
    q = normalize_query("What was the district's total R&D spending in 2024?")
    units = content_units(q, topic_text(q))
    assert "s" not in units and "r" not in units and "ing" not in units
    assert "current" in topic_text(normalize_query("What is the current population?"))


def test_count_target_measure_word_and_noun() -> None:
    f = understand(normalize_query("今年要加装多少台电梯?"))
    assert (f.measure, f.noun) == ("台", "电梯")
    f = understand(normalize_query("长者饭堂有多少个?"))
    assert (f.measure, f.noun) == ("个", "长者饭堂")
    f = understand(normalize_query("今年新增就业目标是多少?"))
    assert f.noun == "新增就业" and f.years == (2025,) and f.part == "plan"
    f = understand(normalize_query("去年新增了几家国家级专精特新企业?"))  # a long noun is not cut at 8 characters
    assert (f.measure, f.noun, f.qualifiers) == ("家", "国家级专精特新企业", ("国家级",))
    assert "来着" not in understand(normalize_query("长者饭堂有多少个来着?")).noun  # a spoken particle is no noun
    f = understand(normalize_query("今年区级一般公共预算收入预计达到多少亿元?"))  # 预计达到 is the plan, not the thing
    assert f.noun == "一般公共预算收入"


@pytest.mark.parametrize(
    ("question", "qualifiers"),
    [
        ("去年荔湾GDP增速在全省排第几?", ("全省",)),
        ("荔湾在广州排名第几?", ("全市",)),
        ("广东今年GDP目标是多少?", ()),  # a scope counts only in a question about a rank
        ("社区矫正中心评的是省级还是国家级?", ("国家级", "省级")),
        ("实际利用外资多少美元?", ("美元",)),
        ("How much was invested in HK$?", ("港元",)),
        ("urban renewal $ target this yr?", ()),  # a bare $ asks for money, in no currency
        ("Where does Liwan rank in Guangdong province?", ("全省",)),
    ],
)
def test_asked_qualifiers(question: str, qualifiers: tuple[str, ...]) -> None:
    assert understand(normalize_query(question)).qualifiers == qualifiers


def test_a_qualifier_is_missed_only_when_the_sentence_says_another_of_its_family() -> None:
    ranked = "全年实现地区生产总值1316.36亿元、增长2.3%,增速排名全市第五,高于全市平均水平。"
    assert qualifier_missed(("全省",), [ranked]) == ("全省", "全市")
    assert qualifier_missed(("全市",), [ranked]) is None
    assert qualifier_missed(("国家级", "省级"), ["新增8家省级专精特新企业"]) is None  # either answers 省级还是国家级?
    assert qualifier_missed(("美元",), ["实际利用外资10.14亿元"]) == ("美元", "人民币")
    assert qualifier_missed(("美元",), ["加快国际呼吸医学中心项目建设。"]) is None  # no currency: the model decides


@pytest.mark.parametrize(
    ("question", "sentence", "counted"),
    [
        ("地铁11号线在荔湾的8个站点都叫什么名字?", "在荔湾设有8个站点的地铁11号线运营通车。", "8个站点"),
        (
            "Which 8 community health centres will become community hospitals?",
            "8家社区卫生服务中心建成省级社区医院。",
            "8 community health centres",
        ),
        ("推动技术改造的11家企业是哪几家?", "推动11家企业技术改造,工业技改投资增长45.9%。", "11家企业"),
        # which N things, the count after the question word, in figures or words, Mandarin or Cantonese
        ("哪8家社区卫生服务中心会建成省级社区医院?", "8家社区卫生服务中心建成省级社区医院。", "8家社区卫生服务中心"),
        ("邊八間社區衛生服務中心會變做省級社區醫院?", "8家社区卫生服务中心建成省级社区医院。", "8间社区卫生服务中心"),
        # the thing counted, without the rest of its clause (都是跟香港)
        ("那63对姊妹学校都是跟香港哪些学校结的对?", "63对粤港澳姊妹学校多样化交流。", "63对姊妹学校"),
        # names by the count: a list before it, 等, a quoted term defined after it
        (
            "今年开学的3所学校分别是哪几所?",
            "全力确保鹤洞小学新校区、康有为纪念小学东漖校区、广钢新城配套中学3所学校如期开学。",
            None,
        ),
        ("这11个公园分别是哪些?", "建成广钢公园示范点二期等11个公园。", None),
        ("2个主题产业园区是哪两个?", "“2个主题产业园区”指围绕…", None),
        # not a count of what is asked: a magnitude, a range, a rank, or a sentence that does not repeat it
        ("人口不到3万的街道是哪些?", "人口规模小于3万人的街道办事处。", None),
        ("3-5个特色专科由哪家医院打造?", "打造3-5个中医临床重点、特色专科。", None),
        ("这8个站点分别是什么?", "地铁11号线运营通车。", None),
    ],
)
def test_a_count_is_no_answer_to_the_names_of_what_it_counts(question: str, sentence: str, counted: str | None) -> None:
    frame = understand(normalize_query(question))
    assert frame.slot == "names"
    assert count_only(frame, normalize_query(question).text, [sentence]) == counted


def test_a_figure_in_another_unit_is_no_answer_to_a_question_naming_its_unit() -> None:
    rate = "居民人均可支配收入实际增长5.1%。"
    money = "一般公共预算收入60.01亿元、增长3.7%。"
    assert unit_missing(normalize_query("2024年居民人均可支配收入是多少元?").text, [rate]) == "money"
    assert unit_missing(normalize_query("去年一般公共预算收入係幾多錢?").text, [rate]) == "money"  # 幾多錢 -> 多少钱
    assert unit_missing(normalize_query("How many yuan was the revenue?").text, [rate]) == "money"
    assert unit_missing(normalize_query("收入增长了百分之几?").text, ["收入60.01亿元。"]) == "rate"
    assert unit_missing(normalize_query("一般公共预算收入是多少亿元?").text, [money]) is None
    assert unit_missing(normalize_query("一般公共预算收入增长了百分之几?").text, [money]) is None
    assert unit_missing(normalize_query("一般公共预算收入是多少?").text, [rate]) is None  # no unit named
    assert unit_missing(normalize_query("今年收储出让多少块地?").text, ["收储出让6个地块。"]) is None  # 块 of land


def test_the_money_word_after_a_count_is_not_the_counted_noun() -> None:
    frame = understand(normalize_query("区产投基金投了多少钱落这部电影?"))
    assert frame.slot == "money" and "钱" not in frame.noun


def test_topic_text_drops_the_question_words() -> None:
    assert topic_text(normalize_query("区儿童医院在哪条路?")).strip(" ?") == "区儿童医院"


def test_places_named_and_the_reports_own() -> None:
    assert own_place(CORPUS_FILE.read_text(encoding="utf-8")) == "荔湾"
    assert table_places(normalize_query("深圳今年GDP目标是多少?")) == ("深圳",)
    assert table_places(normalize_query("What is Tianhe's GDP?")) == ("天河",)
    assert "荔湾" in understand(normalize_query("荔湾区有几个长者饭堂?")).places


def test_an_authored_questions_label_counts_only_when_it_names_no_other_place_or_year() -> None:
    years = frozenset({2024, 2025})

    outside = Scope((load_report(),), None, frozenset()).outside

    def marks(question: str) -> Marks:
        return Marks.of(normalize_query(question), outside)

    asked = marks("How many 5G base stations were newly built in 2024?")
    assert asked == Marks(frozenset(), frozenset({2024}))
    assert asked.conflicts(marks("How many 5G base stations did Haizhu District build in 2024?"), years)
    assert asked.conflicts(marks("2023年荔灣起咗幾多個5G基站?"), years)
    assert asked.conflicts(marks("今年要新建几座5G基站?"), years)  # 今年 is 2025
    assert not asked.conflicts(marks("去年荔湾区新建了多少座5G基站?"), years)  # 荔湾 and 广州 are no other place
    assert not asked.conflicts(marks("广州市荔湾区5G基站建了几多个"), years)
    plain = marks("5G基站建了多少")  # no year: it asks about the report's years
    assert not plain.conflicts(marks("今年要新建几座5G基站?"), years)
    assert plain.conflicts(marks("2023年荔灣起咗幾多個5G基站?"), years)
    # one the report answers still counts when it names the asked year among others; an unanswerable one does not
    target = marks("How many new jobs is Liwan aiming for in 2025?")
    both = marks("How many new jobs does Liwan aim to create in 2025, versus 2024?")
    assert not target.conflicts(both, years, answered=True)
    assert target.conflicts(both, years)
    assert target.conflicts(marks("How many new jobs did Liwan create in 2024?"), years, answered=True)


def test_the_city_the_district_is_in_is_its_parent_not_another_place() -> None:
    report = CORPUS_FILE.read_text(encoding="utf-8")
    assert parent_places(report) == ("广州",)  # 广州市荔湾区人民政府: the title block names the city
    assert parent_places("广东省人民政府工作报告\n" + report[600:]) == ()  # a province's own report: no parent


def test_a_number_about_another_noun_does_not_fit_the_slot() -> None:
    f = understand(normalize_query("长者饭堂有多少个?"))
    assert slot_match(f, "建成长者饭堂164个,白鹤洞街综合养老服务中心获评市引领性综合服务中心。") == 1.0
    assert slot_match(f, "全区党政机关和事业单位开展“我是公务员”活动。") == 0.0  # no figure at all
    assert slot_match(f, "新增就业1.62万人。") < 1.0  # a figure, but not a count of 长者饭堂
    names = understand(normalize_query("新开办的3所学校叫什么名字?"))
    assert names.slot == "names"
    assert slot_match(names, "新开办学校3所。") < slot_match(names, "新开办广雅实验学校、真光学校等3所学校。")


def test_a_count_in_a_measure_word_is_not_answered_by_an_amount_beside_its_noun() -> None:
    parks = understand(normalize_query("荔湾今年要建几个口袋公园?"))
    assert slot_match(parks, "全面开展古树公园及口袋公园建设,新增9万平方米绿地。") < 1.0  # an area, not a count
    schools = understand(normalize_query("新开了几个学校?"))
    assert slot_match(schools, "新开办学校(校区)5所,新增学位4110个。") == 1.0  # 个 takes any count word
    lifts = understand(normalize_query("今年打算加装多少部电梯?"))
    assert (lifts.measure, lifts.noun) == ("部", "电梯")
    assert understand(normalize_query("有多少部门参与?")).measure == ""  # 部门 is no 部 + 门


def test_an_english_count_is_of_its_glossed_noun() -> None:
    beds = understand(normalize_query("How many beds does the new district hospital have?"))
    assert "床位" in beds.noun_forms
    assert slot_match(beds, "全区新增床位780张,每千人口床位数达7.8张。") == 1.0
    assert slot_match(beds, "新增就业1.62万人。") < 1.0  # a count, but of jobs
    canteens = understand(normalize_query("how many km of canteens will be built?"))  # the noun after "of"
    assert "饭堂" in canteens.noun_forms and "公里" not in canteens.noun_forms
    # the noun ends at the verb or preposition after it, and may start with a figure
    stations = understand(normalize_query("How many 5G base stations got built in 2024?"))
    assert stations.noun == "5g base stations" and "基站" in stations.noun_forms
    assert slot_match(stations, "新建5G基站714座,完成率183%。") == 1.0
    assert understand(normalize_query("how many beds in the new hospital")).noun == "beds"
    assert understand(normalize_query("How much is the monthly rent subsidy?")).noun == "monthly rent subsidy"
    assert understand(normalize_query("How many are there?")).noun == ""  # no noun, not "are there"
    unglossed = understand(normalize_query("How many zorbles are there?"))
    assert unglossed.noun_forms == () and slot_match(unglossed, "新增就业1.62万人。") == 0.4  # as before: any count


def test_a_name_or_place_the_question_already_says_is_no_answer() -> None:
    named = understand(normalize_query("区牵头的60个市“攻城拔寨”项目分别是哪些?"))
    assert slot_match(named, "区牵头60个市“攻城拔寨”项目完成年度投资计划。") < 1.0  # only the name asked about
    listed = understand(normalize_query("新开办的3所学校叫什么名字?"))
    assert slot_match(listed, "新开办广雅实验学校、真光学校等3所学校。") == 1.0  # names the question does not say
    where = understand(normalize_query("今年说的那个银发经济产业园建在哪儿"))
    planned = "谋划打造银发经济产业园。"
    assert slot_match(where, planned) == 0.0 and answer_spans(where, planned) == []
    assert slot_match(where, "在白鹅潭片区建设银发经济产业园。") == 1.0


def test_answer_spans_find_the_asked_kind() -> None:
    money = understand(normalize_query("招商引资协议投资额多少亿元?"))
    sentence = "招商引资协议投资额234.57亿元,新增市场主体2.1万户。"
    spans = answer_spans(money, sentence)
    assert spans is not None and [sentence[s:e] for s, e in spans] == ["234.57亿元"]
    assert answer_spans(understand(normalize_query("五外联动是什么意思?")), sentence) is None


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("荔湾美食街在哪", "荔湾美食街在哪"),  # Mandarin 美食, 食品 keep 食 (食嘢 ... become 吃)
        ("食品安全怎么样", "食品安全怎么样"),
        ("屋企附近有冇好食嘅嘢?", "家里附近有没有好吃的东西?"),
        ("經濟嗰part標題點講?", "经济那part标题怎么说?"),  # a bare 嗰 is 那 (OpenCC alone makes it 𠮶)
        ("荔灣有邊幾個食嘢集中嘅地方?", "荔湾有哪几个吃东西集中的地方?"),
        ("鶴洞小學新校區喺邊條街?", "鹤洞小学新校区在哪条街?"),  # 邊條, 邊年 ... are 哪条, 哪年
        ("周边条件好唔好?", "周边条件好不好?"),  # a Mandarin 边条 is not touched
    ],
)
def test_cantonese_words_are_mapped_and_mandarin_ones_kept(typed: str, normalised: str) -> None:
    assert normalize_query(typed).text == normalised


def test_colloquial_question_words_are_not_content() -> None:
    """Words that only frame a question (啥, 咋样, 一共, 打算 ...) are not content the report must contain."""
    q = normalize_query("招商签下来的投资一共多少钱,今年打算咋弄?")
    units = {u if isinstance(u, str) else u[0] for u in content_units(q, topic_text(q))}  # an alias by its word
    assert "招商" in units
    assert not units & {"一共", "打算", "咋", "弄"}


def test_english_filler_words_are_not_content() -> None:
    """Chat filler and function words (hey, so, actually, going, not, new, aiming) are no content a quote must hold."""
    q = normalize_query("hey so is crime actually going down around here or not")
    units = {u if isinstance(u, str) else u[0] for u in content_units(q, topic_text(q))}
    assert "crime" in units and "down" in units  # down: 下降, what is asked
    assert not units & {"hey", "so", "actually", "going", "not", "here"}
    q = normalize_query("How many new jobs is Liwan aiming for in 2025?")
    assert {u if isinstance(u, str) else u[0] for u in content_units(q, topic_text(q))} == {"jobs"}


def test_a_glossed_english_word_counts_once_and_leaves_no_fragment() -> None:
    """The word "canteens" is glossed by its lemma (canteen -> 饭堂): it is one unit, not also a stray "s"."""
    units = content_units(normalize_query("How many elderly canteens were expected?"))
    words = [u if isinstance(u, str) else u[0] for u in units]
    assert "canteen" in words and "elderly" in words
    assert all(len(w) >= 3 for w in words), words  # no "s" of canteen|s, no "ed" of expect|ed


@pytest.mark.parametrize(
    ("question", "sentence", "missing"),
    [
        ("荔湾发明专利总共有多少件?", "推进国家知识产权强县试点建设,新增发明专利授权548件、同比增长13%。", True),
        ("How many invention patents does Liwan have in total?", "新增发明专利授权548件、同比增长13%。", True),
        ("全区总共有多少张病床?", "全区新增床位780张,每千人口床位数达7.8张。", True),  # a rate's 达 is no total
        # the question asks about the added ones, or one year's; the sentence gives a total
        ("新开工的项目一共几个?", "新开工项目23个、面积251.05万平方米。", False),
        ("新添加改好的绿化一共多大", "新增及改造提升绿地12.5万平方米。", False),
        ("2025年一共要建几个口袋公园?", "新建口袋公园5个。", False),
        ("荔湾一共有多少家高新技术企业?", "全年认定国家高新技术企业100家、总量达314家。", False),
        ("长者饭堂有多少个?", "建成长者饭堂164个。", False),  # no total asked
    ],
)
def test_a_number_added_is_no_answer_to_a_total(question: str, sentence: str, missing: bool) -> None:
    assert total_missing(normalize_query(question).text, [sentence]) is missing
