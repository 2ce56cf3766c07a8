"""The ledger tab's handlers with the real ledger of the real report (no model, no browser)."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import gradio as gr
import pytest

from qa.ledger.build import build_ledger, filter_rows
from qa.ledger.row import Row
from qa.ledger.table import from_csv
from qa.report.corpus import load_report
from qa.types import Answer
from qa.ui.ledger_tab import ALL, HEADERS, LedgerHandlers, build_ledger_tab, status_html
from qa.ui.render import paragraph_at

REPORT = load_report()
ROWS = build_ledger(REPORT)
HOSTILE = "<img src=x onerror=alert(1)>"
COL = {name: i for i, name in enumerate(HEADERS)}


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> LedgerHandlers:
    return LedgerHandlers(REPORT, export_dir=tmp_path_factory.mktemp("ledger-csv"))


class Tags(HTMLParser):
    """Start tags and text of an HTML fragment, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> Tags:
    p = Tags()
    p.feed(fragment)
    p.close()
    return p


def ids(rows: list[Row]) -> list[str]:
    return [r.id for r in rows]


def shown(
    h: LedgerHandlers, keyword: str = "", part: str = ALL, section: str = ALL, sort: str = "ledger"
) -> list[list[str]]:
    table, _, _, shown_ids = h.update(keyword, part, section, False, sort)
    assert table["headers"] == HEADERS and [row[0] for row in table["data"]] == shown_ids
    return table["data"]


def test_keyword_finds_the_employment_rows_with_the_other_years_figure(h: LedgerHandlers) -> None:
    data = shown(h, "就业")
    by_id = {row[0]: row for row in data}
    p005 = by_id["P005"]
    assert (p005[COL["指标"]], p005[COL["数值"]], p005[COL["单位"]], p005[COL["限定词"]]) == (
        "新增就业",
        "1",
        "万人",
        "以上",
    )
    assert p005[COL["原文"]] == "新增就业1万人以上" and p005[COL["部分"]] == "2025年工作安排"
    assert "1.62万人" in p005[COL["另一年对应"]] and "R120" in p005[COL["另一年对应"]]
    assert "P005" in by_id["R120"][COL["另一年对应"]] and by_id["R120"][COL["数值"]] == "1.62"
    expected = [r for r in ROWS if any("就业" in s for s in (r.indicator, r.quote, r.object, r.section))]
    assert list(by_id) == ids(expected) and len(expected) < len(ROWS)


def test_traditional_characters_find_the_same_rows(h: LedgerHandlers) -> None:
    assert shown(h, "就業") == shown(h, "就业") != []
    assert shown(h, "教育 學校") == shown(h, "教育 学校") != []  # every word, each converted
    assert "关键词「就业」" in h.update("就業", None, None, False, None)[1]  # the status says what was searched


def test_every_word_of_the_search_must_match_and_full_width_is_read_as_half_width(h: LedgerHandlers) -> None:
    both = h.query("就业  技能", ALL, ALL, False, "ledger")
    assert both and all(any("技能" in s for s in (r.indicator, r.quote, r.object, r.section)) for r in both)
    assert set(ids(both)) < set(ids(h.query("就业", ALL, ALL, False, "ledger")))
    pm25 = h.query("PM2.5", ALL, ALL, False, "ledger")
    assert pm25 and all("PM2.5" in r.quote for r in pm25)
    assert ids(h.query("ＰＭ２．５", ALL, ALL, False, "ledger")) == ids(pm25)  # typed with full-width forms
    assert h.query("火星移民", ALL, ALL, False, "ledger") == []


@pytest.mark.parametrize(("part", "prefix"), [("plan", "P"), ("review", "R")])
def test_part_filter(h: LedgerHandlers, part: str, prefix: str) -> None:
    data = shown(h, part=part)
    assert [row[0] for row in data] == [r.id for r in ROWS if r.part == part]
    assert data and all(row[0].startswith(prefix) for row in data)
    assert len(shown(h, part=ALL)) == len(ROWS)


def test_section_filter_takes_the_section_and_its_subsections(h: LedgerHandlers) -> None:
    top = "二、2025年工作安排 › (九)坚持在发展中保障和改善民生"
    sub = f"{top} › 落实就业优先战略"
    assert top in h.sections(ALL) and sub in h.sections("plan") and top not in h.sections("review")
    in_top, in_sub = h.query("", ALL, top, False, "ledger"), h.query("", ALL, sub, False, "ledger")
    assert ids(in_top) == [r.id for r in ROWS if r.section.startswith(top)]
    assert ids(in_sub) == [r.id for r in ROWS if r.section == sub] and set(ids(in_sub)) < set(ids(in_top))
    assert {r.section for r in ROWS} <= set(h.sections(ALL))
    assert all(s.startswith("一、") for s in h.sections("review"))


def test_changing_the_part_keeps_or_resets_the_section(h: LedgerHandlers) -> None:
    sec = "一、2024年工作回顾 › (六)全力优服务增福祉"
    kept = h.part_changed("review", sec)
    assert kept["value"] == sec
    assert [v for _, v in kept["choices"]] == [ALL, *h.sections("review")]
    assert h.part_changed("plan", sec)["value"] == ALL


def test_figures_only(h: LedgerHandlers) -> None:
    rows = h.query("", ALL, ALL, True, "ledger")
    assert ids(rows) == ids(filter_rows(ROWS, figures_only=True)) and all(r.value is not None for r in rows)
    assert len(rows) < len(ROWS)


def test_sorts_reorder_the_same_rows(h: LedgerHandlers) -> None:
    base = h.query("", "plan", ALL, False, "ledger")
    assert ids(base) == sorted(ids(base))
    desc = h.query("", "plan", ALL, False, "value_desc")
    asc = h.query("", "plan", ALL, False, "value_asc")
    by_section = h.query("", ALL, ALL, False, "section")
    for rows in (desc, asc):
        assert sorted(ids(rows)) == sorted(ids(base))
        values = [r.base_value for r in rows]
        n = sum(v is not None for v in values)
        assert all(v is None for v in values[n:]) and 0 < n < len(values)
    d = [r.base_value for r in desc if r.base_value is not None]
    a = [r.base_value for r in asc if r.base_value is not None]
    assert d == sorted(d, reverse=True) and a == sorted(a) and d[0] > d[-1]
    assert desc[0].id == "P002"  # 固定资产投资 535亿元, the largest figure of the plan
    starts = [r.start for r in by_section]
    assert starts == sorted(starts) and by_section[0].part == "review" and len(by_section) == len(ROWS)


def test_csv_download_round_trips_the_rows_shown(h: LedgerHandlers) -> None:
    _, _, path, shown_ids = h.update("就业", "plan", ALL, True, "value_desc")
    raw = Path(path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs read the file as UTF-8
    back = from_csv(raw.decode("utf-8-sig"))
    assert ids(back) == shown_ids and back == h.query("就业", "plan", ALL, True, "value_desc")
    assert back == [next(r for r in ROWS if r.id == i) for i in shown_ids]
    assert h.update("就业", "plan", ALL, True, "value_desc")[2] == path  # the same set reuses its file
    assert h.update("学位", ALL, ALL, False, "ledger")[2] != path


def test_passage_marks_exactly_the_quote_inside_its_paragraph(h: LedgerHandlers) -> None:
    for r in ROWS:
        page = h.passage_html(r.id)
        p = paragraph_at(REPORT, r.start)
        assert p is not None and p.start <= r.start < r.end <= p.end
        para = page.split('<p class="qa-para">', 1)[1].split("</p>", 1)[0]
        before, rest = para.split('<mark class="qa-quote" data-n="0">', 1)
        quote, after = rest.split("</mark>", 1)
        assert html.unescape(quote) == REPORT.text[r.start : r.end] == r.quote, r.id
        assert html.unescape(before + quote + after) == REPORT.text[p.start : p.end], r.id
        assert html.unescape(before) == REPORT.text[p.start : r.start]
        assert html.escape(p.breadcrumb) in page


def test_passage_shows_the_other_years_passage_too(h: LedgerHandlers) -> None:
    page = h.passage_html("P005")
    marks = [html.unescape(m.split("</mark>")[0]) for m in page.split('data-n="0">')[1:]]
    assert marks == ["新增就业1万人以上", "新增就业1.62万人"] and "2024年对应的完成情况" in page
    assert "社会保障基础不断夯实" in page and "字符 8320–8329" in page


def test_select_by_row_value_or_position(h: LedgerHandlers) -> None:
    _, _, _, shown_ids = h.update("就业", ALL, ALL, False, "ledger")
    assert h.select(shown_ids, [0, 3], ["P005", "2025年工作安排"]) == h.passage_html("P005")
    assert h.select(shown_ids, [len(shown_ids) - 1, 0], None) == h.passage_html(shown_ids[-1])
    assert "qa-empty" in h.select(shown_ids, [999, 0], None) and "qa-empty" not in h.passage_html("R120")


def test_hostile_keyword_and_ids_stay_text(h: LedgerHandlers) -> None:
    table, status, _, _ = h.update(HOSTILE, ALL, ALL, False, "ledger")
    assert table["data"] == []
    parsed = parse(status)
    assert parsed.tags == ["p"] and f"关键词「{HOSTILE}」" in "".join(parsed.text)
    assert parse(f"<p>{HOSTILE}</p>").tags == ["p", "img"]  # unescaped, the parser would make the element
    for page in (h.passage_html(HOSTILE), h.select([HOSTILE], [0, 0], [HOSTILE])):
        assert "qa-empty" in page and "img" not in parse(page).tags and HOSTILE not in page
    assert "&lt;script&gt;" in status_html([], "<script>")


class NoEngine:
    """The chat's engine is not needed to build the ledger tab."""

    def ask(self, question: str, report: str | None = None) -> Answer:
        raise AssertionError("the ledger tab must not ask the engine")


def test_app_has_both_tabs_and_the_table_is_plain_text() -> None:
    from qa.ui.app import build_app

    demo = build_app(NoEngine(), (REPORT,))
    comps = demo.config["components"]
    tabs = [c["props"]["label"] for c in comps if c["type"] == "tabitem"]
    assert tabs == ["问答", "承诺与成绩台账"]
    table = next(c for c in comps if c["props"].get("elem_id") == "qa-ledger-table")
    assert table["type"] == "dataframe" and table["props"]["datatype"] == "str"
    assert table["props"]["interactive"] is False
    assert [d["api_name"] for d in demo.config["dependencies"] if d.get("api_visibility") == "public"] == ["ask"]


def test_tab_builds_in_any_blocks() -> None:
    with gr.Blocks() as demo:
        h = build_ledger_tab(REPORT)
    assert len(h.rows) == len(ROWS)
    names = {c["props"].get("elem_id") for c in demo.config["components"]}
    assert {"qa-ledger-keyword", "qa-ledger-part", "qa-ledger-section", "qa-ledger-csv", "qa-ledger-passage"} <= names


def test_section_filter_is_by_breadcrumb_not_by_substring() -> None:
    from dataclasses import replace

    a, b = ROWS[0], ROWS[1]
    rows = [replace(a, section="二、X › (一)招商"), replace(b, section="二、X › (一)招商引资")]
    h = LedgerHandlers(REPORT, rows=rows)
    assert ids(h.query("", ALL, "二、X › (一)招商", False, "ledger")) == [a.id]
    assert ids(h.query("", ALL, "二、X › (一)招商引资", False, "ledger")) == [b.id]


def test_one_ledger_tab_per_report_when_there_are_several() -> None:
    from qa.ui.app import build_app

    other = load_report(Path(__file__).parent / "data" / "corpora" / "guangdong-2025.txt")
    comps = build_app(NoEngine(), (REPORT, other)).config["components"]
    tabs = [c["props"]["label"] for c in comps if c["type"] == "tabitem"]
    assert tabs == ["问答", "承诺与成绩台账", REPORT.title, other.title]
    tables = [c for c in comps if str(c["props"].get("elem_id", "")).startswith("qa-ledger-table")]
    assert [t["props"]["elem_id"] for t in tables] == ["qa-ledger-table", "qa-ledger-table-1"]
    second = tables[1]["props"]["value"]["data"]
    assert second and any(row[8] == "地区生产总值增长5%左右" and row[1] == "2025年工作安排" for row in second)
