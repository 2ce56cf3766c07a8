"""Stage 4a: question understanding — what is asked, of what kind, for which year and place.

:func:`understand` turns a normalised :class:`~qa.text.normalize.Query` (Mandarin, Cantonese and English
alike) into a typed :class:`Frame`: the intent, the slot (what kind of thing would answer it), the
measure word and noun of a count, the years and the part of the report they point to, and the
places named. The answer stage checks candidate sentences against it (:func:`slot_match`): a
number is not an answer to a question about a different noun, and a count is not a list of names.

The cue words are data (``qa/data/question_cues.tsv``), written by hand from how people ask.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

from qa.datafiles import read_pairs
from qa.text.english import lemma
from qa.text.normalize import Query, has_ascii_word, pos_tags
from qa.text.numbers import Quantity, chinese_to_int, parse_numbers

Intent = Literal["fact", "number", "list", "definition", "comparison", "opinion", "howto", "chitchat"]
Slot = Literal["quantity", "money", "rate", "rank", "names", "place", "date", "yesno", "description", "none"]

INTENTS: tuple[Intent, ...] = ("fact", "number", "list", "definition", "comparison", "opinion", "howto", "chitchat")
SLOTS: tuple[Slot, ...] = (
    "quantity",
    "money",
    "rate",
    "rank",
    "names",
    "place",
    "date",
    "yesno",
    "description",
    "none",
)
_INTENT_ORDER: tuple[Intent, ...] = ("opinion", "howto", "chitchat", "comparison", "definition", "list", "number")
_SLOT_ORDER: tuple[Slot, ...] = ("date", "rank", "place", "rate", "money", "names", "quantity", "yesno")
PLACE_FLAGS = frozenset({"ns"})  # jieba's tag for place names
# A measure word after 多少/几 (多少台电梯, 几个托位); the noun follows it.
_COUNT = re.compile(
    r"(?:多少|几)(个|所|家|台|部(?!门)|栋|幢|项|条|座|间|宗|单(?!位)|名|位|次|场|批|张|套|辆|户|人次|人|处|支|件|片|对|块|棵|盏|份"
    r"|倍|亩|公里|平方米|万)?"
    r"([\u4e00-\u9fff]{0,12})"
)
_TRAILING = re.compile(r"(?:来着|呢|啊|呀|吗|了|啦|哦|的|是|有|在|会|能|要|被|把|给|可以|已经|总共|一共|左右)+$")
_LEADING = re.compile(r"^(?:的|个|是|有|在|了|亿元|万元|元|亿|钱|块钱|万人次|万人|人次|人|平方米|万平方米|公里|%)+")
GENERIC_NOUNS = frozenset(
    {"目标", "计划", "数量", "情况", "总数", "数字", "规模", "指标", "任务", "数目", "总共", "一共"}
    # what is planned or reached, not the thing counted
    | {"预期", "预计", "打算", "达到", "实现", "力争", "争取", "确保"}
)
_EN_COUNT = re.compile(
    r"how (?:many|much) (?:(?:is|are|was|were) (?:the |a |an )?)?"  # how much is the rent subsidy: the rent subsidy
    r"(?!(?:is|are|was|were|do|does|did|will|would|can|could|has|have|had|there)\b)"
    r"([a-z0-9][a-z0-9 -]{1,40}?)(?: (?:are|were|is|was|did|does|do|will|would|can|could|should|"
    r"has|have|had|got|get|gets|been|be|in|at|for|across|this|last|next|so far|by)\b|\?|$)"
)
_ADDRESS = re.compile(r"[\u4e00-\u9fff]{1,10}(?:路|街|大道|巷|号|涌|岛|码头|广场|公园|地块|片区|村|围|园)")
_DATE = re.compile(r"\d{1,2}月|年底|年内|年初|上半年|下半年|\d{4}年(?:前|底|内)|春节|国庆|同期")
_RANK = re.compile(r"第[一二三四五六七八九十\d]+|排名|首位|首个|前[一二三四五六七八九十\d]+|居全市|位居|位列|榜首|领先")
_NAMED = re.compile(  # quoted or titled names, or a list of two or more things
    r"“[^”]{2,30}”|《[^》]{2,40}》|[\u4e00-\u9fff]{2,15}(?:、[\u4e00-\u9fff]{2,15})+"
)


@dataclass(frozen=True)
class Frame:
    """What a question asks, as the answer stage needs to know it."""

    intent: Intent
    slot: Slot
    measure: str = ""  # measure word of an asked count: 台 in 多少台电梯
    noun: str = ""  # the thing asked about when it is plain: 电梯, 长者饭堂, "new jobs"
    noun_forms: tuple[str, ...] = ()  # an English noun's report words (beds -> 床位 …), as the glosses give them
    years: tuple[int, ...] = ()
    part: str | None = None  # the part of the report the years or cues point to
    places: tuple[str, ...] = field(default_factory=tuple)  # place names in the question (any)
    qualifiers: tuple[str, ...] = ()  # what it asks with (QUALIFIERS): 国家级 in 国家级专精特新企业, 全省, 美元
    said: str = ""  # the question's own Chinese text: a name or place it already says is no answer to it

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (shown by ``ask --json``; without ``said``, the question itself)."""
        lists = {k: list(getattr(self, k)) for k in ("noun_forms", "years", "places", "qualifiers")}
        return {k: v for k, v in {**asdict(self), **lists}.items() if k != "said"}


@functools.cache
def _cues() -> dict[str, re.Pattern[str]]:
    """Key -> compiled cue pattern (the data file's alternatives joined)."""
    out = {}
    for key, values in read_pairs("question_cues.tsv"):
        cues = sorted(_top_level("|".join(values)), key=len, reverse=True)  # 哪条路 before 在哪
        out[key] = re.compile("|".join(_whole_words(c, key) for c in cues), re.IGNORECASE)
    return out


# An English cue is a word or words, with the endings of its inflections: "spend" reads "spending",
# "list" reads "listed", but "rent" is not in "current", nor "rate" in "separate".
_EN_ENDINGS = r"(?:s|es|d|ed|ing|ment|ments)?"


def _whole_words(cue: str, key: str) -> str:
    """A cue of ``key`` as a pattern: English ones match whole words (and their endings); Chinese ones as given."""
    return rf"(?<![a-z])(?:{cue}){_EN_ENDINGS}(?![a-z])" if key.startswith("en.") else cue


def _top_level(pattern: str) -> list[str]:
    """The alternatives of a regular expression at the top level (not inside parentheses)."""
    parts, depth, cur = [], 0, ""
    for ch in pattern:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [*parts, cur]


def _first(prefix: str, order: tuple[str, ...], text: str) -> str | None:
    """The first name in ``order`` whose cue ``prefix.name`` matches ``text``."""
    cues = _cues()
    for name in order:
        pat = cues.get(f"{prefix}.{name}")
        if pat is not None and pat.search(text):
            return name
    return None


@functools.cache
def place_table() -> dict[str, tuple[str, ...]]:
    """Chinese place name -> its English names (data file ``places.tsv``)."""
    return {zh: tuple(en) for zh, en in read_pairs("places.tsv")}


def table_places(q: Query) -> tuple[str, ...]:
    """Places of the table that the question names (as their Chinese names): 天河, Shenzhen -> 深圳."""
    if q.english:
        low = q.text.lower()
        return tuple(zh for zh, ens in place_table().items() if any(has_ascii_word(e, low) for e in ens))
    return tuple(zh for zh in place_table() if zh in q.text)


@functools.lru_cache(maxsize=8)
def own_place(report_text: str) -> str:
    """The report's own district or city, read from its title block (广州市荔湾区人民政府 -> 荔湾)."""
    m = re.search(r"([\u4e00-\u9fff]{2})(?:区|市|县)人民政府", report_text[:600])
    return m.group(1) if m else ""


@functools.lru_cache(maxsize=8)
def parent_places(report_text: str) -> tuple[str, ...]:
    """Places of the table that the title block names right before the report's own (广州市荔湾区 -> 广州).

    The city or province a district's report belongs to is neither "another place" nor the report's own:
    the report ranks its district in it (全市第一) but gives few of its figures.
    """
    own, head = own_place(report_text), report_text[:600]
    if not own:
        return ()
    return tuple(p for p in place_table() if p != own and re.search(f"{p}(?:省|市|自治区)?{own}", head))


@dataclass(frozen=True)
class Marks:
    """The places (besides the report's own and its city) and the years a question names.

    How an authored question was labelled carries over to a user's question only when the two do not
    differ in these: "How many 5G base stations did Haizhu build?" is unanswerable, and says nothing about
    "How many 5G base stations were built?".
    """

    places: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()

    @staticmethod
    def of(q: Query, outside: Callable[[tuple[str, ...]], tuple[str, ...]]) -> Marks:
        """A question's marks (``outside`` keeps the places that are neither the reports' own nor their city)."""
        return Marks(frozenset(outside(table_places(q))), frozenset(q.years))

    def conflicts(self, other: Marks, report_years: frozenset[int], answered: bool = False) -> bool:
        """Whether ``other`` (an authored question's marks) names a place or year this question does not.

        A question that names no year asks about the report's years. ``answered``: the authored question
        is one the report answers; it still counts when it names a year besides the question's ("How many
        new jobs in 2025, versus 2024?" for "How many new jobs in 2025?"), as long as it shares one: what
        the report answers about both years it answers about one. An unanswerable one must name no other
        year (2024 may be what made it unanswerable).
        """
        if other.places - self.places:
            return True
        asked = self.years or report_years
        return not (other.years & asked if answered and other.years else other.years <= asked)


def topic_text(q: Query) -> str:
    """The question without its question words (在哪条路, 多少亿元, 什么时候, how many): what it is about."""
    text = q.core.lower() if q.english else q.core
    keep = [True] * len(text)
    for m in _cue_list("en" if q.english else "zh").finditer(text):
        keep[m.start() : m.end(1)] = [False] * (m.end(1) - m.start())
    return "".join(ch if k else " " for ch, k in zip(text, keep, strict=True))


@functools.cache
def _cue_list(lang: str) -> re.Pattern[str]:
    """Every cue of a language in one pattern that finds them all, overlapping ones too.

    A lookahead matches at every position without consuming it, so a cue that starts inside another
    is found as well; at one position the longest cue is tried first.
    """
    cues = [
        _whole_words(cue, key)
        for key, values in read_pairs("question_cues.tsv")
        if key.startswith(lang + ".") and "^" not in (joined := "|".join(values))
        for cue in _top_level(joined)
    ]
    return re.compile("(?=(" + "|".join(sorted(cues, key=len, reverse=True)) + "))", re.IGNORECASE)


def _count_target(text: str) -> tuple[str, str]:
    """(measure word, noun) of an asked count: 多少台电梯 -> (台, 电梯); 长者饭堂有多少个 -> (个, 长者饭堂)."""
    m = _COUNT.search(text)
    if m is None:
        return "", ""
    measure = m.group(1) or ""
    after = _LEADING.sub("", _TRAILING.sub("", m.group(2) or ""))
    if len(after) >= 2:
        return measure, after
    tags, end = [], 0
    for w, flag in pos_tags(text):  # the question's own tags (cached), up to the count words
        end += len(w)
        if end > m.start():
            break
        tags.append((w, flag))
    content = [  # nouns and verbs, not places (荔湾去年GDP多少: the count is not of 荔湾) or generic words (目标)
        (i, w)
        for i, (w, flag) in enumerate(tags)
        if flag.startswith(("n", "v")) and flag not in PLACE_FLAGS and len(w) >= 2 and w not in GENERIC_NOUNS
    ]
    if not content:
        return measure, ""
    i, noun = content[-1]
    if len(content) > 1 and content[-2][0] == i - 1 and len(noun) == 2:
        noun = content[-2][1] + noun  # 新增 + 就业
    return measure, noun


@dataclass(frozen=True)
class Qualifier:
    """One value of a qualifier a question may ask with (国家级, 全省, 美元), and how a sentence says it.

    Values of one family exclude each other: a question about 国家级 firms is not answered by a sentence about
    省级 ones, a rank in the province not by a rank in the city, an amount in US dollars not by one in yuan
    (issue 8's near-misses: "the asked attribute, unit or subset is not" in the report).
    """

    family: str  # "level", "scope" (where a rank is counted), "currency"
    said: tuple[str, ...]  # words a sentence says it with
    asked_zh: str  # regex on the normalised Chinese question
    asked_en: str  # regex on the lower-cased English question
    en: str  # how an English message names it
    rank_only: bool = False  # asked only by a question about a rank (在全省排第几)


_RANK_ASKED = re.compile(r"排|第几|名次|\brank|\bplaced\b|what place|position|\btop \d")
QUALIFIERS: dict[str, Qualifier] = {
    "国家级": Qualifier(
        "level", ("国家级", "国家", "全国"), "国家级", r"\b(?:national|state)[- ]level\b", "national-level"
    ),
    "省级": Qualifier("level", ("省级", "省"), "省级", r"\bprovincial\b|\bprovince[- ]level\b", "provincial-level"),
    "市级": Qualifier("level", ("市级",), "市级", r"\b(?:municipal|city)[- ]level\b", "city-level"),
    "区级": Qualifier("level", ("区级",), "区级", r"\bdistrict[- ]level\b", "district-level"),
    "全国": Qualifier(
        "scope",
        ("全国",),
        "全国|国内|全中国",
        r"\bnational(?:ly)?\b|nationwide|in (?:all of )?(?:china|the country)",
        "in the country",
        rank_only=True,
    ),
    "全省": Qualifier(
        "scope", ("全省", "省内"), "全省|省内|广东", r"\bprovinc(?:e|ial)|guangdong", "in the province", rank_only=True
    ),
    "全市": Qualifier(
        "scope", ("全市", "市内"), "全市|市内|广州", r"\bcity\b|citywide|guangzhou", "in the city", rank_only=True
    ),
    "美元": Qualifier(
        "currency",
        ("美元", "美金"),
        "美元|美金",
        r"\bus ?dollars?\b|\busd\b|\bu\.s\. dollars?|\bus\$",  # not a bare $: "renewal $ target" asks money
        "in US dollars",
    ),
    "港元": Qualifier(
        "currency", ("港元", "港币"), "港元|港币|港纸", r"hong kong dollars?|\bhkd\b|\bhk\$", "in HK dollars"
    ),
    "欧元": Qualifier("currency", ("欧元",), "欧元", r"\beuros?\b", "in euros"),
    "人民币": Qualifier("currency", ("人民币", "元"), "人民币", r"\byuan\b|\brmb\b|\bcny\b", "in yuan"),
}


def asked_qualifiers(q: Query) -> tuple[str, ...]:
    """The qualifiers a question asks with (国家级, 全省 for 在全省排第几, 美元; "national-level", "in US dollars").

    A scope counts only in a question about a rank.
    """
    text = q.text.lower() if q.english else q.text
    rank = bool(_RANK_ASKED.search(text))
    return tuple(
        value
        for value, qual in QUALIFIERS.items()
        if (rank or not qual.rank_only) and re.search(qual.asked_en if q.english else qual.asked_zh, text)
    )


def qualifier_missed(asked: tuple[str, ...], sentences: list[str]) -> tuple[str, str] | None:
    """(asked value, the value of its family the first sentence says instead) when none of ``sentences`` says one.

    「新增8家省级专精特新企业」 does not answer how many 国家级 firms there are, 「增速排名全市第五」 not where
    it ranks in the province; a question naming two values of a family (省级还是国家级?) is answered by either,
    and a sentence naming no value of the family is left to the answerability model.
    """
    if not sentences:
        return None
    for family in dict.fromkeys(QUALIFIERS[v].family for v in asked):
        values = [v for v in asked if QUALIFIERS[v].family == family]
        if any(w in s for v in values for w in QUALIFIERS[v].said for s in sentences):
            continue
        others = [v for v, qual in QUALIFIERS.items() if qual.family == family and v not in values]
        said = next((v for v in others if any(w in sentences[0] for w in QUALIFIERS[v].said)), None)
        if said is not None:
            return values[0], said
    return None


# A count in a question that asks for the names of what it counts: 这8家企业分别是哪些 (a count, its noun, then a
# names question), which 8 community health centres. Not a magnitude (3万人), a range (3-5个), a rank (第8) or a
# line number (11号线).
_ASKED_N = r"(?<!\d)(?<!\d[.,])(?<![-—~至第])(\d{1,4})(?![\d%万亿千百多余])(?![.,]\d)(?!\s*号)"
_ASKED_COUNT_ZH = re.compile(
    _ASKED_N
    + r"((?:(?!里|中|具体)[\u4e00-\u9fff]){1,10}?)(?:的)?(?:里|中|当中)?(?:具体)?"
    + r"(?:名称|名字|分别|都|是|叫|係|有|包括)*(?:哪|什么|啥|咩|邊|乜)"
)
# which N things, the count after the question word: 哪8家社区卫生服务中心, 邊八間 (边八间 once normalised)
_WHICH_N_ZH = re.compile(
    r"(?:哪|边)(\d{1,4}|[一二两三四五六七八九十]{1,3})((?:(?!会|要|将|能|已|可|是|在|被|都|有)[\u4e00-\u9fff]){1,12})"
)
_ASKED_COUNT_EN = re.compile(
    r"\b(?:which(?:\s+(?:are|were)\s+the)?|what\s+(?:are|were)\s+the|name the|list the|names of the)\s+"
    + _ASKED_N
    + r"((?:\s+[a-z][a-z'-]*){1,5})",
    re.IGNORECASE,
)
# where the thing counted ends and the rest of the question's clause begins (63对姊妹学校都是跟香港哪些学校结的对)
_COUNTED_CLAUSE = re.compile(r"(?<=[\u4e00-\u9fff]{2})(?:都|是|跟|同|和|与|在|由|被)")
_EN_STOP = re.compile(
    r"\s+(?:will|would|are|is|was|were|be|been|that|which|who|to|in|for|on|of|from|under|with|by|this|last|next|"
    r"does|did|do|have|has|had|get|got|being|named|called|r)\b.*",
    re.IGNORECASE,
)
# names by a count in the report: a list or quoted name just before it (东漖南路、葵蓬路等70条; A、B、C3所学校),
# or a list after it (9项:(1)…; “6项城市性质”包括…; “1个省级主平台”指…)
_NAMES_BEFORE = re.compile(r"[、等”》)][^,;。:(]{0,20}$|[“《]$")
_NAMES_AFTER = re.compile(r"^[\u4e00-\u9fff“”]{0,14}?(?:[::(]|包括|分别|即|指|为)")


def count_only(frame: Frame, question: str, sentences: list[str]) -> str | None:
    """What the question counts (「8个站点」, "8 community health centres"), if ``sentences`` give only their count.

    The question asks the names of N things; ``sentences`` repeat N, and no names stand by it.

    「在荔湾设有8个站点的地铁11号线运营通车」 does not say which the 8 stations are; 「广钢公园示范点二期等11个公园」
    names what its 11 are (some of them: 等), and so does a count followed by a list (9项:...). A sentence
    that does not repeat the count is left to the answerability model.
    """
    if frame.slot != "names" or not sentences:
        return None
    asked = (*_ASKED_COUNT_ZH.finditer(question), *_WHICH_N_ZH.finditer(question), *_ASKED_COUNT_EN.finditer(question))
    for m in asked:
        try:
            n = m.group(1) if m.group(1).isdigit() else str(chinese_to_int(m.group(1)))
        except ValueError:  # 哪十二三: no one count
            continue
        if len(n) == 4 and n.startswith(("19", "20")):
            continue
        said = [
            (s, c.start(), c.end())
            for s in sentences
            for c in re.finditer(rf"(?<!\d)(?<!\d[.,])(?<![-—~至第]){n}(?=[\u4e00-\u9fff])(?![万亿千百多余号])", s)
        ]
        if said and not any(_NAMES_BEFORE.search(s[:b]) or _NAMES_AFTER.match(s[e : e + 16]) for s, b, e in said):
            counted = _EN_STOP.sub("", m.group(2)).strip()
            if m.re is _ASKED_COUNT_EN:
                return f"{n} {counted}"
            return n + _COUNTED_CLAUSE.split(counted, maxsplit=1)[0]  # 姊妹学校, not 姊妹学校都是跟香港
    return None


# The unit of the figure a question asks for, when it names one: money (多少亿元, 多少钱, how many yuan) or a
# rate (百分之几, 多少%, what percentage). Questions are normalised first (幾多錢 -> 多少钱, 億 -> 亿).
_ASKED_UNIT: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"(?:多少|几)[亿万千百]*(?:[元蚊]|块钱)|多少钱|how many (?:yuan|rmb)\b|how much money|\bin yuan\b",
        re.IGNORECASE,
    ),
    "rate": re.compile(
        r"百分之几|多少%|百分比是多少|几个百分点|what percent|how many percent|by what percentage|percentage points",
        re.IGNORECASE,
    ),
}


def unit_missing(question: str, sentences: list[str]) -> str | None:
    """``money`` or ``rate`` when the question names the unit of the figure it asks and no sentence has one.

    「居民人均可支配收入实际增长5.1%」 does not answer 人均可支配收入是多少元; 「一般公共预算收入60.01亿元」 does not
    answer 增长了百分之几. Of the authored questions that name such a unit and are answered (57), every gold
    quote holds a figure in it.
    """
    for unit, pattern in _ASKED_UNIT.items():
        if (
            pattern.search(question)
            and sentences
            and not any(_WANT[unit](x, False) for s in sentences for x in _figures(s))
        ):
            return unit
    return None


# A question asking a total (总共, 一共, altogether) that a figure of things added (新增发明专利授权548件) does not
# answer: the stock is not the flow. Questions are normalised first (總共 -> 总共, 加埋 is Cantonese for 合计).
_ASKED_TOTAL = re.compile(
    r"总共|总数|一共|总量|合计|加埋|累计|in total|altogether|total number|how many .{0,50}\b(?:now|so far|to date)\b",
    re.IGNORECASE,
)
_ADDED_ZH = re.compile(r"新增|新建|新开|新设|新引进|新认定|新缔结|新添|添加|增加")
_ADDED = re.compile(rf"{_ADDED_ZH.pattern}|\bnew(?:ly)?\b|\badd(?:ed)?\b|(?<!\d)20\d\d(?!\d)", re.IGNORECASE)
_STOCK = re.compile(r"总量|总数|累计|共有|总共|总计|合计|全区共|达到?\d|总规模|实有")
_RATE = re.compile(r"每|人均|率|占比|比重")  # a clause of a rate (每千人口床位数达7.8张) gives no total


def _gives_total(sentence: str) -> bool:
    """Whether a clause of the sentence gives a stock (全区托位总量超6500个), not a rate or a number added."""
    return any(_STOCK.search(c) and not _RATE.search(c) for c in re.split(r"[,;。:：]", sentence))


def total_missing(question: str, sentences: list[str]) -> bool:
    """Whether the question asks a total the sentences give only as an increase.

    Every sentence says what was added (新增, 新建) and none a total (总量, 累计, 达…, outside a rate's clause):
    荔湾发明专利总共有多少件? is not answered by 「新增发明专利授权548件」; a question that asks about the added
    ones itself (新开工的项目一共几个), or about one year's (2025年一共要建几个), is.
    """
    return (
        bool(sentences)
        and bool(_ASKED_TOTAL.search(question))
        and not _ADDED.search(question)
        and all(_ADDED_ZH.search(s) for s in sentences)
        and not any(_gives_total(s) for s in sentences)
    )


_FILLER_ZH = re.compile(r"请问|请|帮我|帮忙|一下|来着|[啊呀吗呢吧呗了的哦嘛啦我你]")
_FILLER_EN = frozenset({"lol", "please", "pls", "me", "the", "a", "an", "there", "and", "can", "you", "ok", "okay"})
MORE_THAN_CHITCHAT_ZH = 6  # characters left besides the chit-chat and fillers that make it a question
MORE_THAN_CHITCHAT_EN = 3  # words of two or more letters, likewise


def _more_than_chitchat(text: str, lang: str) -> bool:
    """Whether the question says more than its chit-chat (a greeting, 你是谁, tell me a joke) and fillers."""
    rest = _cues()[f"{lang}.intent.chitchat"].sub(" ", text)
    if lang == "en":
        return sum(w not in _FILLER_EN for w in re.findall(r"[a-z]{2,}", rest)) > MORE_THAN_CHITCHAT_EN
    return len(re.sub(r"\W", "", _FILLER_ZH.sub("", rest))) > MORE_THAN_CHITCHAT_ZH


def understand(q: Query) -> Frame:
    """The typed record of a normalised question."""
    text = q.text.lower() if q.english else q.text
    lang = "en" if q.english else "zh"
    intent = _first(f"{lang}.intent", _INTENT_ORDER, text) or "fact"
    if intent == "chitchat" and _more_than_chitchat(text, lang):  # 你好,今年GDP目标是多少? asks something
        intent = _first(f"{lang}.intent", tuple(i for i in _INTENT_ORDER if i != "chitchat"), text) or "fact"
    slot: str
    if intent in ("opinion", "chitchat"):
        slot = "none"
    else:
        slot = _first(f"{lang}.slot", _SLOT_ORDER, text) or "description"
        if slot == "yesno" and intent in ("number", "list"):
            slot = "quantity" if intent == "number" else "names"
    measure, noun = "", ""
    if slot in ("quantity", "money", "rate") and not q.english:
        measure, noun = _count_target(text)
    elif q.english and (m := _EN_COUNT.search(text)):
        noun = m.group(1).strip()
    noun_forms = _english_noun_forms(q, noun) if q.english and noun else ()
    if intent == "fact" and slot in ("quantity", "money", "rate", "rank"):
        intent = "number"
    tagged = () if q.english else tuple(w for w, flag in pos_tags(q.text) if flag in PLACE_FLAGS and len(w) >= 2)
    places = tuple(dict.fromkeys((*table_places(q), *tagged)))
    qualifiers = asked_qualifiers(q)
    said = "" if q.english else q.text
    return Frame(intent, slot, measure, noun, noun_forms, q.years, q.part, places, qualifiers, said)  # type: ignore[arg-type]


def _english_noun_forms(q: Query, noun: str) -> tuple[str, ...]:
    """The report words the question's glosses give for an English count's noun (km of greenway: greenway's).

    What is counted is the noun after the last "of" (km of roads, square metres of green space); its words are
    matched to the glossed words by their lemmas. Empty when no word of it is glossed.
    """
    head = noun.rsplit(" of ", 1)[-1]
    typed = re.findall(r"[a-z]+", head)
    words = {*typed, *map(lemma, typed)}
    return tuple(dict.fromkeys(t for key, targets in q.aliases if set(key.split()) <= words for t in targets))


def slot_match(frame: Frame, sentence: str) -> float:
    """How well a report sentence fits the asked slot, 0 (cannot answer it) to 1 (the right kind of thing).

    A count must come with the asked measure word or noun near it; money needs 元; a rate needs % or
    百分点; names need quoted or named things; a place an address-like word; a date a month or
    season. Questions in words (description, yes/no, no slot) fit any sentence.
    """
    slot = frame.slot
    if slot in ("description", "yesno", "none"):
        return 1.0
    if slot != "quantity":
        return 1.0 if _new_spans(frame, sentence) else 0.2 if slot == "names" else 0.0
    counted = bool(frame.measure)
    counts = [x for x in _figures(sentence) if _WANT["quantity"](x, counted)]
    if not counts:
        return 0.0
    nouns = frame.noun_forms if frame.noun.isascii() else (frame.noun,)
    fitting = [x for x in counts if _fits_measure(x, frame.measure)]
    if any(_near(sentence, x.start, x.end, noun) for noun in nouns if noun for x in fitting):
        return 1.0
    if frame.measure and any(x.unit.endswith(frame.measure) for x in counts):
        return 0.7
    return 0.4


# units of an amount (an area, a length, money, a share), not of a count of things: 几个口袋公园 is not
# answered by 新增9万平方米绿地 beside 口袋公园
_AMOUNT_UNITS = ("平方米", "米", "公里", "亩", "公顷", "吨", "元", "%", "瓦", "百分点", "倍")


def _fits_measure(x: Quantity, measure: str) -> bool:
    """Whether a figure can be a count in the asked measure word (个 takes any count, not an amount)."""
    if not measure:
        return True
    if measure == "个":
        return not x.base_unit.endswith(_AMOUNT_UNITS)
    return x.unit.endswith(measure) or x.base_unit.endswith(measure)


@functools.lru_cache(maxsize=16384)
def _figures(sentence: str) -> tuple[Quantity, ...]:
    """The quantities a sentence states (not those inside names or ordinals), cached per sentence."""
    return tuple(x for x in parse_numbers(sentence) if not (x.quoted or x.ordinal))


def warm_spans(sentences: list[str]) -> None:
    """Find the figures, dates, names ... of every sentence once (at start-up), so no question pays for it."""
    for text in sentences:
        for slot in ("quantity", "money", "rate", "rank", "names", "place", "date"):
            for counted in (False, True) if slot == "quantity" else (False,):
                _spans(slot, counted, text)


def answer_spans(frame: Frame, sentence: str) -> list[tuple[int, int]] | None:
    """Where a sentence holds things of the asked slot's kind (figures, ranks, names, places, dates).

    None when the slot is answered in words (description, yes/no), so the whole sentence counts.
    """
    if frame.slot in ("description", "yesno", "none"):
        return None
    return list(_new_spans(frame, sentence))


ECHO_SHARE = 0.5  # a name or place whose character pairs are this much in the question only repeats it


def _new_spans(frame: Frame, sentence: str) -> tuple[tuple[int, int], ...]:
    """:func:`_spans` of the asked slot, but for names, places, ranks and dates only those the question does not say.

    A question about the 60个“攻城拔寨”项目 is not answered by the quoted name “攻城拔寨”, nor 银发经济产业园建在哪儿 by
    the 产业园 the sentence plans: the asked thing cannot be its own answer.
    """
    spans = _spans(frame.slot, bool(frame.measure), sentence)
    if frame.slot in _WANT or not frame.said:
        return spans
    return tuple(s for s in spans if not _echoes(sentence[s[0] : s[1]], frame.said))


def _echoes(span: str, said: str) -> bool:
    """Whether every name in ``span`` (a list's items, without quotes) mostly repeats the question ``said``."""
    items = [t for t in re.split(r"[、“”《》]", span) if len(t) >= 2]
    return bool(items) and all(
        sum(t[i : i + 2] in said for i in range(len(t) - 1)) >= ECHO_SHARE * (len(t) - 1) for t in items
    )


# Which figures answer a figure slot; ``counted``: the question names a measure word (多少台 asks for a
# count, so amounts and rates do not answer it; a bare 多少 may be answered by either).
_WANT: dict[str, Callable[[Quantity, bool], bool]] = {
    "quantity": lambda x, counted: not x.is_time and (not counted or x.base_unit not in ("%", "元")),
    "money": lambda x, counted: x.base_unit == "元",
    "rate": lambda x, counted: x.base_unit in ("%", "个百分点", "倍", "成"),
}


@functools.lru_cache(maxsize=65536)
def _spans(slot: str, counted: bool, sentence: str) -> tuple[tuple[int, int], ...]:
    """:func:`answer_spans`, cached (the report's sentences come back question after question)."""
    if slot in _WANT:
        return tuple((x.start, x.end) for x in _figures(sentence) if _WANT[slot](x, counted))
    pattern = {"rank": _RANK, "names": _NAMED, "place": _ADDRESS, "date": _DATE}[slot]
    return tuple(m.span() for m in pattern.finditer(sentence))


def _near(text: str, start: int, end: int, noun: str, window: int = 14) -> bool:
    """Whether ``noun`` (or its last two characters) occurs within ``window`` characters of a figure."""
    around = text[max(0, start - window) : end + window]
    return noun in around or (len(noun) > 2 and noun[-2:] in around)
