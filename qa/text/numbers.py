"""Numbers in Chinese report text: Arabic and Chinese numerals, 万/亿, %, ranges and units.

:func:`parse_numbers` finds every quantity in a string and returns :class:`Quantity`
records with their character offsets, the value as written (``1.62`` ``万人``) and a
value normalised to the base unit (``16200`` ``人``), so that figures sort and compare.
It does not decide which quantities are *figures* worth a ledger row: years, ordinals,
numbers inside “quotes” or 《titles》 are still returned, flagged, and left to the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Measure units, longest first so 万平方米 wins over 平方米 and 人次 over 人.
UNITS: tuple[str, ...] = tuple(
    sorted(
        (
            "个百分点",
            "微克/立方米",
            "立方米",
            "平方米",
            "平方公里",
            "公顷",
            "公里",
            "千米",
            "米",
            "亩",
            "元",
            "个",
            "所",
            "家次",
            "家",
            "户",
            "人次",
            "人",
            "场次",
            "场",
            "条",
            "项",
            "台",
            "张",
            "座",
            "宗",
            "件",
            "处",
            "支",
            "名",
            "批",
            "位",
            "对",
            "片",
            "辆",
            "套",
            "间",
            "吨",
            "倍",
            "成",
            "%",
            "周年",
            "年",
            "届",
            "月",
            "天",
            "日",
            "小时",
            "分钟",
        ),
        key=len,
        reverse=True,
    )
)
TIME_UNITS = frozenset({"周年", "年", "届", "月", "天", "日", "小时", "分钟"})
MULTIPLIERS: dict[str, float] = {"万亿": 1e12, "亿": 1e8, "万": 1e4}

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = "零〇一二两三四五六七八九十百千"
_ONE_PLACE_BELOW = {"百": 10, "千": 100, "万": 1000, "亿": 10_000_000}  # 三千五: the 五 counts hundreds

_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_MULT_RE = "万亿|亿|万"
_ARABIC = r"\d+(?:\.\d+)?"
# 1-2家, 3—5个: a range joins two Arabic numbers with a dash, 至 or 到.
_ARABIC_Q = re.compile(
    rf"(?P<a>{_ARABIC})(?:\s*[-—~～至到]\s*(?P<b>{_ARABIC}))?"
    rf"(?P<approx>余|多)?(?P<mult>{_MULT_RE})?(?P<unit>{_UNIT_RE})?"
)
# A Chinese numeral counts only with a unit after it (十件, 五批, 八成), never 千/百 alone;
# 万/亿 inside the numeral belong to it (三亿五千万元); a last one is its multiplier.
_CHINESE_Q = re.compile(
    rf"(?P<a>[一二两三四五六七八九十][{_CN_CHARS}]*(?:(?:{_MULT_RE})[{_CN_CHARS}]+)*)(?P<approx>余|多)?"
    rf"(?P<mult>{_MULT_RE})?(?P<unit>{_UNIT_RE})"
)
_OPEN_CLOSE = {"“": "”", "《": "》", "‘": "’", "「": "」"}


@dataclass(frozen=True)
class Quantity:
    """One number found in text, with offsets into the string given to the parser."""

    start: int
    end: int
    text: str  # the matched characters, e.g. "1.62万人"
    value: float  # as written: 1.62
    value_max: float | None  # upper end of a range (1-2家 -> 2), else None
    unit: str  # as written, multiplier included: "万人", "亿元", "%", "" (bare number)
    base_value: float  # normalised to the base unit: 16200.0
    base_value_max: float | None
    base_unit: str  # "人", "元", "%", ""
    approx: str  # "余" / "多" written after the number, else ""
    numeral: Literal["arabic", "chinese"]
    quoted: bool  # inside “…” or 《…》 (a name, not a figure)
    ordinal: bool  # preceded by 第 (第五, 第十三届)

    @property
    def is_time(self) -> bool:
        """True for years, sessions and durations (2024年, 十三届, 三年)."""
        return self.base_unit in TIME_UNITS


def chinese_to_int(numeral: str) -> int:
    """Value of a Chinese numeral: 十 -> 10, 一百零五 -> 105, 两万 -> 20000, 三亿五千万 -> 350000000.

    万 multiplies what stands before it back to the last 亿 and 亿 everything before it back to
    the previous 亿 (五万亿 -> 5e12); three or more digits alone read place by place (二〇二四 ->
    2024), and a last digit right after 百/千/万/亿 is one place below it (三千五 -> 3500, 一万五 ->
    15000). Two digits alone count as the last one: in running text the first belongs to the word
    before it (上下九一天 is 上下九 + 一天).
    """
    if not numeral or any(ch not in _CN_CHARS and ch not in "万亿" for ch in numeral):
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    if len(numeral) > 2 and all(ch in _CN_DIGITS for ch in numeral):
        return int("".join(str(_CN_DIGITS[ch]) for ch in numeral))
    total, wan, section, digit = 0, 0, 0, 0  # above 亿 / 万s below 亿 / below 万 / the pending digit
    for ch in numeral:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (digit or 1) * _CN_SMALL[ch]
            digit = 0
        elif ch == "万":
            wan += (section + digit) * 10_000
            section, digit = 0, 0
        else:  # 亿
            total += (wan + section + digit) * 100_000_000
            wan, section, digit = 0, 0, 0
    if len(numeral) > 1 and numeral[-1] in _CN_DIGITS and numeral[-2] in _ONE_PLACE_BELOW:
        digit *= _ONE_PLACE_BELOW[numeral[-2]]
    return total + wan + section + digit


def _quote_mask(text: str) -> list[bool]:
    """For each character, whether it lies inside “…”, ‘…’, 「…」 or 《…》."""
    mask: list[bool] = [False] * len(text)
    stack: list[str] = []
    for i, ch in enumerate(text):
        if stack and ch == stack[-1]:
            stack.pop()
            mask[i] = True
            continue
        if ch in _OPEN_CLOSE:
            stack.append(_OPEN_CLOSE[ch])
        mask[i] = bool(stack)
    return mask


def _normalise(value: float, mult: str, unit: str) -> tuple[float, str]:
    """Base value and unit: (1.62, 万, 人) -> (16200, 人); (8, '', 成) -> (80, %)."""
    factor = MULTIPLIERS.get(mult, 1.0)
    if unit == "成":
        return value * 10 * factor, "%"
    if unit == "千米":
        return value * factor, "公里"
    return value * factor, unit


def _chinese_with_multipliers(numeral: str, unit: str) -> tuple[float, str, float, str]:
    """(value, multiplier, base value, base unit) of a numeral with 万/亿 inside: 三亿五千万 -> 3.5 亿.

    The largest multiplier it names is the one written with the unit; the base value comes from
    the whole integer, so no rounding creeps in.
    """
    whole = chinese_to_int(numeral)
    mult = next(m for m in MULTIPLIERS if m in numeral)
    base, base_unit = _normalise(float(whole), "", unit)
    return whole / MULTIPLIERS[mult], mult, base, base_unit


def _round(x: float) -> float:
    """Drop binary noise from multiplications (1.62 * 1e4 -> 16200.0)."""
    return float(round(x, 6))


def parse_numbers(text: str, offset: int = 0) -> list[Quantity]:
    """Every quantity in ``text`` in order; offsets are shifted by ``offset``."""
    mask = _quote_mask(text)
    found: list[Quantity] = []
    taken = [False] * len(text)
    for pattern, kind in ((_ARABIC_Q, "arabic"), (_CHINESE_Q, "chinese")):
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(taken[s:e]):
                continue
            before = text[s - 1] if s else ""
            after = text[e] if e < len(text) else ""
            if kind == "arabic" and (
                (before.isascii() and before.isalnum()) or before == "." or (after.isascii() and after.isalpha())
            ):
                continue  # PM2.5, 5G, 1.2.3
            a, b = m.group("a"), m.group("b") if kind == "arabic" else None
            mult, unit = m.group("mult") or "", m.group("unit") or ""
            if kind == "arabic" and b is not None and not unit and not mult:
                continue  # 2021-2035 without a unit: a span of years or a code
            vmax = float(b) if b is not None else None
            if kind == "chinese" and any(m in a for m in MULTIPLIERS):
                value, mult, base, base_unit = _chinese_with_multipliers(a + mult, unit)
            else:
                value = float(a) if kind == "arabic" else float(chinese_to_int(a))
                base, base_unit = _normalise(value, mult, unit)
            base_max = _normalise(vmax, mult, unit)[0] if vmax is not None else None
            found.append(
                Quantity(
                    start=offset + s,
                    end=offset + e,
                    text=text[s:e],
                    value=value,
                    value_max=vmax,
                    unit=mult + unit,
                    base_value=_round(base),
                    base_value_max=_round(base_max) if base_max is not None else None,
                    base_unit=base_unit,
                    approx=m.group("approx") or "",
                    numeral="arabic" if kind == "arabic" else "chinese",
                    quoted=mask[s],
                    ordinal=before == "第",
                )
            )
            for i in range(s, e):
                taken[i] = True
    return sorted(found, key=lambda q: q.start)


def format_value(value: float | None, value_max: float | None = None) -> str:
    """A value for display: 535 not 535.0; ranges as 1-2; None as ''."""
    if value is None:
        return ""

    def one(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    return one(value) if value_max is None else f"{one(value)}-{one(value_max)}"
