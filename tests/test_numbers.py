"""Numbers in Chinese report text (qa.text.numbers)."""

from __future__ import annotations

import random

import cn2an
import pytest

from qa.text.numbers import chinese_to_int, format_value, parse_numbers


def one(text: str):
    found = parse_numbers(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("十", 10),
        ("十三", 13),
        ("二十", 20),
        ("一百零五", 105),
        ("三千", 3000),
        ("五万", 50000),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert chinese_to_int(numeral) == value


def test_wan_multiplier_keeps_written_value_and_normalises() -> None:
    q = one("新增就业1.62万人")
    assert (q.value, q.unit, q.base_value, q.base_unit) == (1.62, "万人", 16200.0, "人")
    assert (q.start, q.end, q.text) == (4, 10, "1.62万人")


def test_yi_yuan() -> None:
    q = one("固定资产投资完成535亿元")
    assert (q.value, q.unit, q.base_value, q.base_unit) == (535.0, "亿元", 5.35e10, "元")


def test_area_and_offset() -> None:
    q = parse_numbers("建设面积101.45万平方米", offset=100)[0]
    assert (q.value, q.unit, q.base_value, q.base_unit) == (101.45, "万平方米", 1014500.0, "平方米")
    assert (q.start, q.end) == (104, 114)


def test_percent_and_range() -> None:
    assert (one("增长2.3%").value, one("增长2.3%").unit) == (2.3, "%")
    q = one("新增“小巨人”企业1-2家")
    assert (q.value, q.value_max, q.unit) == (1.0, 2.0, "家")
    q = one("打造3-5个中医临床重点")
    assert (q.value, q.value_max, q.unit, q.base_value_max) == (3.0, 5.0, "个", 5.0)


def test_chinese_counts() -> None:
    assert (one("高质量完成十件民生实事").value, one("高质量完成十件民生实事").unit) == (10.0, "件")
    batch, places = parse_numbers("传统风貌建筑五批415处")
    assert (batch.value, batch.unit, batch.numeral) == (5.0, "批", "chinese")
    assert (places.value, places.unit, places.numeral) == (415.0, "处", "arabic")
    q = one("占比超八成")
    assert (q.value, q.unit, q.base_value, q.base_unit) == (8.0, "成", 80.0, "%")


def test_approx_suffix_and_units() -> None:
    q = one("惠及30余万名老龄群体")
    assert (q.value, q.unit, q.approx, q.base_value) == (30.0, "万名", "余", 300000.0)
    assert one("“三线”整治超500千米").unit == "千米"
    assert one("PM2.5浓度为23微克/立方米").unit == "微克/立方米"
    assert one("开展技能培训不少于1万人次").unit == "万人次"
    assert one("帮助1.7万残疾人").base_value == 17000.0


def test_flags_for_non_figures() -> None:
    assert one("连续三年获评优秀").is_time
    assert one("2024年已建成").is_time
    assert one("第十三届世界合唱比赛").ordinal
    assert one("认真落实省委“1310”具体部署").quoted
    assert one("“一个目标愿景”").quoted
    assert one("《雄狮少年2》成功上映").quoted
    assert parse_numbers("新建5G基站") == []  # 5G is a name
    assert [q.text for q in parse_numbers("PM2.5和臭氧")] == []
    assert parse_numbers("统一市场、一体推动、进一步") == []  # Chinese numerals need a unit


def test_bare_numbers_have_no_unit() -> None:
    q = one("12345政务服务热线")
    assert (q.value, q.unit) == (12345.0, "")


def test_format_value() -> None:
    assert format_value(535.0) == "535"
    assert format_value(1.62) == "1.62"
    assert format_value(1.0, 2.0) == "1-2"
    assert format_value(None) == ""


# --- against cn2an, a reference Chinese-numeral converter (test-only dependency) ---------------------


def reference_numerals() -> list[str]:
    """A few hundred numerals: random integers of every size as cn2an writes them, and the spoken forms."""
    rng = random.Random(2025)
    sizes = [(1, 99), (100, 9_999), (10_000, 99_999_999), (100_000_000, 10**13)]
    written = [cn2an.an2cn(rng.randint(lo, hi)) for lo, hi in sizes for _ in range(75)]
    spoken = [n.replace("二", "两", 1) for n in written if n.startswith("二") and n[1:2] in "百千万亿"]
    fixed = ["三亿五千万", "一千零五", "十二", "两万", "二十万零五", "十万零一十", "五万亿", "两千两百", "一千万零一"]
    abbreviated = ["三千五", "一万五", "两百五", "十万五", "二〇二四", "一九九八"]  # cn2an reads these in "normal" mode
    return written + spoken + fixed + abbreviated


NUMERALS = reference_numerals()


def test_the_reference_set_is_a_few_hundred_numerals_of_every_size() -> None:
    assert len(set(NUMERALS)) >= 300
    assert any("亿" in n and "万" in n for n in NUMERALS) and any(n.startswith("两") for n in NUMERALS)


@pytest.mark.parametrize("numeral", NUMERALS)
def test_chinese_numerals_agree_with_cn2an(numeral: str) -> None:
    expected = cn2an.cn2an(numeral, "normal")
    assert chinese_to_int(numeral) == expected
    q = one(f"投入{numeral}元")  # the parser finds the whole numeral, not a tail of it
    assert (q.text, q.base_value, q.base_unit) == (f"{numeral}元", expected, "元")


def test_two_digits_side_by_side_count_as_the_last_one() -> None:
    q = one("上下九一天多少人逛")  # 上下九 is a street; cn2an would read 九一 as 91
    assert (q.value, q.unit) == (1.0, "天")


def test_a_numeral_with_yi_and_wan_keeps_its_largest_multiplier() -> None:
    q = one("总投资三亿五千万元")  # parsed as 五千万元 (5000万) before
    assert (q.value, q.unit, q.base_value) == (3.5, "亿元", 350_000_000.0)
    q = one("覆盖十万零一十人")
    assert (q.value, q.unit, q.base_value, q.base_unit) == (10.001, "万人", 100_010.0, "人")
