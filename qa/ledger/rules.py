"""The rules behind the ledger: clauses, which numbers are figures, qualifiers, indicators, verbs.

Everything here works on one paragraph at a time and returns offsets into the report text;
:mod:`qa.ledger.build` turns the results into rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.normalize import sentence_spans
from qa.text.numbers import Quantity, parse_numbers
from qa.text.tokenizer import tokenizer

CLAUSE_END = ",，:：;；。!！?？"
# Qualifiers that govern everything after them in the sentence / only their own clause.
SENTENCE_QUALIFIERS = ("力争", "确保", "争取", "力促")
CLAUSE_QUALIFIERS = ("累计",)
PREFIX_QUALIFIERS = ("不少于", "不低于", "超过", "超", "近", "约", "逾")  # right before the number
SUFFIX_QUALIFIERS = ("左右", "以上", "以内", "以下")  # right after the number
NAME_CONTEXTS = ("八项规定",)  # numbers that are part of a name even outside quotes
VAGUE = frozenset({("chinese", 1.0, "批")})  # 一批: "a batch", not a figure
DEADLINE = re.compile(r"20\d\d年(?:底|前|内)|年底前|年内|上半年|下半年|全年|如期|按计划|\d{1,2}月(?:底|前)")
# Words stripped from the front of an indicator (adverbs, scope words, qualifiers).
LEADING_FILLER = (
    "其中",
    "以及",
    "全年",
    "全区",
    "今年",
    "力争",
    "确保",
    "争取",
    "力促",
    "累计",
    "全力",
    "大力",
    "加快",
    "加力",
    "深入",
    "积极",
    "扎实",
    "着力",
    "分类",
    "基本",
    "合计",
    "同时",
)
TRAILING_FILLER = (
    "均为",
    "不少于",
    "超过",
    "累计",
    "达",
    "为",
    "约",
    "近",
    "超",
    "共",
    "是",
    "获得",
    "完成",
)  # 完成 last: stripped only when no noun follows the number
FILLER_ONLY = frozenset(LEADING_FILLER + TRAILING_FILLER) - {"完成"}
ADVERBS = (
    "持续",
    "进一步",
    "充分",
    "全面",
    "深入",
    "不断",
    "切实",
    "严厉",
    "稳步",
    "稳妥有序",
    "有序",
    "逐步",
    "依法",
    "坚决",
    "主动",
    "自觉",
    "科学",
    "高标准",
    "精心",
    "广泛",
    "统筹",
    "继续",
    "进一步",
    "加力",
    "千方百计",
    "全力以赴",
    "高质量",
    "常态化",
    "一体",
    "努力",
    "严格",
    "坚定不移",
)
# Verbs stripped when the indicator's subject (the thing counted) is wanted.
VERBS = (
    "新开工",
    "新引进",
    "新开办",
    "建成",
    "新增",
    "新建",
    "新设",
    "完成",
    "实现",
    "认定",
    "推动",
    "推进",
    "实施",
    "打造",
    "举办",
    "开展",
    "引入",
    "引进",
    "出台",
    "改造",
    "治理",
    "整治",
    "修缮",
    "建设",
    "组织出让",
    "组织",
    "选树",
    "推选",
    "评选",
    "培育",
    "创建",
    "形成",
    "抓好",
    "续建",
    "收储出让",
    "获",
    "帮助",
    "惠及",
    "解决",
    "拉动",
    "办理",
)
GENERIC = ("建设面积", "建筑面积", "面积", "同比增长", "增长", "总量", "完成率", "总里程")


@dataclass(frozen=True)
class Clause:
    """A comma-delimited piece of a sentence (offsets into the report; no closing punctuation)."""

    start: int
    end: int
    sentence_start: int
    sentence_end: int


def clauses(text: str, offset: int) -> list[Clause]:
    """Clauses of a paragraph, in order; a clause opening with 其中 is joined to the one before."""
    out: list[Clause] = []
    for s, e in sentence_spans(text, offset):
        for m in re.finditer(rf"[^{CLAUSE_END}]+", text[s - offset : e - offset]):
            cs, ce = s + m.start(), s + m.end()
            if text[cs - offset : ce - offset].strip():
                if text[cs - offset : cs - offset + 2] == "其中" and out and out[-1].sentence_start == s:
                    cs = out.pop().start
                out.append(Clause(cs, ce, s, e))
    return out


def is_figure(q: Quantity, text: str, offset: int) -> bool:
    """True when a quantity is a figure for the ledger (not a year, ordinal, name or 一批)."""
    if q.quoted or q.ordinal or q.is_time or not q.unit:
        return False
    if (q.numeral, q.value, q.unit) in VAGUE:
        return False
    around = text[max(0, q.start - offset - 3) : q.end - offset + 4]
    return not any(name in around for name in NAME_CONTEXTS)


def figures(text: str, offset: int) -> list[Quantity]:
    """The figures of a paragraph's text (``offset`` = the paragraph start in the report)."""
    return [q for q in parse_numbers(text, offset) if is_figure(q, text, offset)]


def qualifiers(report: str, q: Quantity, clause: Clause) -> str:
    """Qualifier words of a figure joined by 、: sentence-level, clause-level, prefix, suffix."""
    found: list[str] = []
    before_sentence = report[clause.sentence_start : q.start]
    before_clause = report[clause.start : q.start]
    found += [w for w in SENTENCE_QUALIFIERS if w in before_sentence]
    if q.base_unit != "%":  # 累计 counts things; a growth rate beside it is not cumulative
        found += [w for w in CLAUSE_QUALIFIERS if w in before_clause]
    found += [next((w for w in PREFIX_QUALIFIERS if before_clause.endswith(w)), "")]
    if q.approx:
        found.append("余" if q.approx == "余" else q.approx)
    after = report[q.end : clause.end]
    found += [next((w for w in SUFFIX_QUALIFIERS if after.startswith(w)), "")]
    return "、".join(w for w in found if w)


def deadline(report: str, clause: Clause) -> str:
    """A time limit stated in the clause or before it in its sentence (全年, 如期 ...), or ''."""
    m = DEADLINE.search(report[clause.sentence_start : clause.end])
    return m.group(0) if m else ""


def _strip(text: str, leading: tuple[str, ...], trailing: tuple[str, ...] = ()) -> str:
    """Remove filler words from both ends of a phrase, repeatedly."""
    changed = True
    while changed and text:
        changed = False
        for w in leading:
            if text.startswith(w) and len(text) > len(w):
                text, changed = text[len(w) :], True
        for w in trailing:
            if text.endswith(w) and len(text) > len(w):
                text, changed = text[: -len(w)], True
    return text


def _subject(pre: str, post: str) -> str:
    """What is counted: the noun after the number, else the phrase before it without its verb."""
    if post:
        return post
    bare = _strip(pre, VERBS + LEADING_FILLER)
    return bare if len(bare) > 2 else pre  # 新开工项目, not 项目


@dataclass(frozen=True)
class FigureContext:
    """The phrases around one figure inside its clause."""

    pre: str  # cleaned words before the number (after the previous figure / 、)
    post: str  # the words after the number up to 、, the next figure or the clause end
    indicator: str
    subject: str


def describe(report: str, figs: list[Quantity], clause: Clause) -> list[FigureContext]:
    """Indicator phrases for the figures of one clause (``figs`` in order, all inside it)."""
    out: list[FigureContext] = []
    prev_subject = ""
    for i, q in enumerate(figs):
        left = figs[i - 1].end if i else clause.start
        right = figs[i + 1].start if i + 1 < len(figs) else clause.end
        gap = report[q.end : right]
        post = re.split(r"[、,，()]", gap)[0]
        post = _strip(post, ("的", "共"), ("共", "累计", *PREFIX_QUALIFIERS))
        post = next((post[len(w) :] for w in SUFFIX_QUALIFIERS if post.startswith(w)), post)
        post = "" if post in ("共",) else post[:18]
        if i + 1 < len(figs) and not post and gap.strip() in ("", "共", "、"):
            nxt = report[figs[i + 1].end : figs[i + 2].start if i + 2 < len(figs) else clause.end]
            post = re.split(r"[、,，]", nxt)[0][:18]  # 100条共48.6公里道路: the count is of 道路 too
        pre = re.split(r"[、,，]" if i else r"[,，]", report[left : q.start])[-1]
        if "(" in pre and ")" not in pre[pre.rindex("(") :]:  # 续建21个地块(其中完工9个)
            pre = pre[pre.rindex("(") + 1 :]
        pre = _strip(pre.lstrip(")"), LEADING_FILLER)
        if ("、" in pre or "等" in pre) and post:  # 推动泰兴等25个老旧小区: examples of the noun after
            pre = next((v for v in VERBS if pre.startswith(v)), "")
        pre = _strip(pre, LEADING_FILLER, TRAILING_FILLER if not post else TRAILING_FILLER[:-1])
        pre = pre if pre not in FILLER_ONLY else ""
        if not pre and not post and out:  # 五批415处: the second number counts the same thing
            out.append(FigureContext(pre, post, out[-1].indicator, out[-1].subject))
            continue
        # 建设面积 / 增长 alone say nothing: prefix what the previous figure counted.
        indicator = prev_subject + pre if pre in GENERIC and prev_subject else pre + post if pre != post else pre
        subject = _subject(pre, post) if pre not in GENERIC else prev_subject
        out.append(FigureContext(pre, post, indicator or post or pre, subject))
        prev_subject = subject or prev_subject
    return out


def commitment_phrase(text: str, limit: int = 24) -> str:
    """A commitment clause without its opening adverbs, cut to ``limit`` characters."""
    return _strip(text, LEADING_FILLER + ADVERBS)[:limit]


def verb_object(text: str) -> tuple[str, str]:
    """(verb, object) of a commitment clause: its first word after adverbs, and the rest.

    A clause that opens with a noun (城市居民收入增长与经济增长同步) takes its first word
    tagged as a verb instead.
    """
    body = _strip(text, LEADING_FILLER + ADVERBS)
    verb = next((v for v in VERBS if body.startswith(v)), "")
    if not verb and body:
        tagged = tokenizer().pos_tags(body)
        first, flag = tagged[0]
        if len(first) == 1 and len(tagged) > 1 and len(tagged[1][0]) == 1:
            first, flag = first + tagged[1][0], "v"  # 用好, 办好, 抓好
        if flag[:1] in ("n", "t", "s", "m", "x"):
            first = next((w for w, f in tagged if f.startswith("v")), "")
        verb = first
    if not verb:
        return "", body
    i = body.index(verb)
    return verb, body[i + len(verb) :]
