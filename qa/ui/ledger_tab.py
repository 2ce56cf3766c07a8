"""The 承诺与成绩台账 tab: the ledger as a table to search, filter, sort and download.

:class:`LedgerHandlers` holds the rows and the event handlers (no Gradio in them, so they
are tested without a browser); :func:`build_ledger_tab` lays the tab out inside the
caller's ``gr.Tab``. The table is a ``gr.Dataframe`` of plain-text cells (datatype "str"),
so nothing in it is read as HTML or Markdown. The passage panel and the status line are
HTML built here with every piece of text passed through :func:`qa.ui.render.esc`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from qa.ledger.build import build_ledger, filter_rows
from qa.ledger.match import other_year
from qa.ledger.row import Row
from qa.ledger.table import to_csv
from qa.report.corpus import Report
from qa.text.normalize import clean_input, to_halfwidth, to_simplified
from qa.text.numbers import format_value
from qa.types import BREADCRUMB_SEP, part_label
from qa.ui.render import esc, marked_text, paragraph_at

ALL = "all"
SORTS = [
    ("台账顺序(2025年在前)", "ledger"),
    ("按章节(报告目录顺序)", "section"),
    ("数值从大到小", "value_desc"),
    ("数值从小到大", "value_asc"),
]
HEADERS = ["编号", "部分", "指标", "数值", "单位", "限定词", "时限", "章节", "原文", "另一年对应"]
MAX_KEYWORD_CHARS = 100
CSV_CACHE_SIZE = 64  # CSV files kept per app (one per distinct filtered set)
EMPTY_PASSAGE = "点表格中的一行,这里显示它在报告中的原文位置。"
CSS = """
.qa-ledger-passage { font-size: 0.95rem; line-height: 1.6; overflow-wrap: anywhere; }
.qa-ledger-passage mark.qa-quote { background: #ffe58a; color: #222; padding: 0 2px; border-radius: 2px; }
.qa-ledger-passage .qa-cite { border-left: 3px solid #c9a227; padding: 4px 10px; margin: 10px 0; }
.qa-ledger-passage .qa-crumb { color: #555; font-size: 0.88rem; }
.qa-ledger-passage .qa-part { font-size: 0.8rem; padding: 0 6px; border-radius: 8px; background: #eef; }
"""
TableData = dict[str, list[Any]]
Update = tuple[TableData, str, str, list[str]]  # table, status HTML, CSV path, ids shown


class LedgerHandlers:
    """The ledger of one report and the tab's event handlers."""

    def __init__(self, report: Report, rows: list[Row] | None = None, export_dir: Path | None = None) -> None:
        self.report = report
        self.rows = build_ledger(report) if rows is None else rows
        self.by_id = {r.id: r for r in self.rows}
        self.other: dict[str, Row] = other_year(self.rows)  # row id -> the other year's matching row
        self.export_dir = export_dir
        self._csv: dict[tuple[str, ...], Path] = {}

    def sections(self, part: str | None = ALL) -> list[str]:
        """Breadcrumbs of the sections holding rows (and their parent sections), in report order."""
        first: dict[str, int] = {}
        for r in self.rows:
            if part not in (None, "", ALL) and r.part != part:
                continue
            path = r.section.split(BREADCRUMB_SEP)
            for depth in range(2, len(path) + 1):  # depth 1 is the part itself: the part filter covers it
                crumb = BREADCRUMB_SEP.join(path[:depth])
                first[crumb] = min(first.get(crumb, r.start), r.start)
        return sorted(first, key=lambda c: (first[c], c.count(BREADCRUMB_SEP)))

    def query(
        self, keyword: str | None, part: str | None, section: str | None, figures_only: bool, sort: str | None
    ) -> list[Row]:
        """The rows matching every word of ``keyword``, of ``part`` and under ``section``, sorted."""
        rows = filter_rows(self.rows, part=None if part in (None, "", ALL) else part, figures_only=figures_only)
        for word in normalize_keyword(keyword).split():
            rows = filter_rows(rows, keyword=word)
        if section not in (None, "", ALL):
            rows = [r for r in rows if r.section == section or r.section.startswith(f"{section}{BREADCRUMB_SEP}")]
        return sort_rows(rows, sort)

    def other_text(self, row: Row) -> str:
        """The other year's matching figure as one line ('' when there is none)."""
        o = self.other.get(row.id)
        if o is None:
            return ""
        year = f"{o.year}年" if o.year else ""
        qual = f"({o.qualifier})" if o.qualifier else ""
        return f"{year} {o.indicator} {format_value(o.value, o.value_max)}{o.unit}{qual} [{o.id}]"

    def table(self, rows: list[Row]) -> TableData:
        """The Dataframe value: headers and one list of plain strings per row."""
        data = [
            [
                r.id,
                part_label(r.part, r.year),
                r.indicator,
                format_value(r.value, r.value_max),
                r.unit,
                r.qualifier,
                r.deadline,
                short_section(r.section),
                r.quote,
                self.other_text(r),
            ]
            for r in rows
        ]
        return {"headers": HEADERS, "data": data}

    def csv_file(self, rows: list[Row]) -> Path:
        """A CSV file of these rows (``to_csv`` with a BOM so spreadsheet programs read UTF-8); reused per set."""
        key = tuple(r.id for r in rows)
        path = self._csv.get(key)
        if path is not None and path.exists():
            return path
        if len(self._csv) >= CSV_CACHE_SIZE:
            self._csv.pop(next(iter(self._csv)))
        base = Path(tempfile.mkdtemp(prefix="liwan-ledger-", dir=self.export_dir))
        path = base / f"liwan-ledger-{len(rows)}.csv"
        path.write_text(to_csv(rows), encoding="utf-8-sig")
        self._csv[key] = path
        return path

    def update(
        self, keyword: str | None, part: str | None, section: str | None, figures_only: bool, sort: str | None
    ) -> Update:
        """Any filter changed: (table, status line, CSV file, ids shown)."""
        rows = self.query(keyword, part, section, figures_only, sort)
        return (
            self.table(rows),
            status_html(rows, normalize_keyword(keyword)),
            str(self.csv_file(rows)),
            [r.id for r in rows],
        )

    def part_changed(self, part: str | None, section: str | None) -> dict[str, Any]:
        """Section dropdown update: the sections of the chosen part (keeping the choice if it is one)."""
        names = self.sections(part)
        value = section if section in names else ALL
        return {"__type__": "update", "choices": section_choices(names), "value": value}

    def passage_html(self, row_id: str | None) -> str:
        """The row's paragraph with its quote marked, its breadcrumb, and the other year's passage."""
        row = self.by_id.get(row_id or "")
        if row is None:
            return f'<div class="qa-ledger-passage qa-empty"><p>{esc(EMPTY_PASSAGE)}</p></div>'
        parts = [self._cite_html(row, "")]
        other = self.other.get(row.id)
        if other is not None:
            label = (
                f"{other.year or ''}年对应的完成情况" if other.part == "review" else f"{other.year or ''}年对应的目标"
            )
            parts.append(self._cite_html(other, label))
        return f'<div class="qa-ledger-passage">{"".join(parts)}</div>'

    def _cite_html(self, row: Row, label: str) -> str:
        """One row's passage: head (id, part, figure), breadcrumb, the paragraph with the quote in ``<mark>``."""
        p = paragraph_at(self.report, row.start)
        crumb = BREADCRUMB_SEP.join(p.path) if p else row.section
        para = (
            marked_text(self.report, p.start, p.end, [(row.start, row.end, 0)])
            if p and row.end <= p.end
            else f'<mark class="qa-quote">{esc(row.quote)}</mark>'
        )
        figure = f"{format_value(row.value, row.value_max)}{row.unit}" if row.is_figure else row.verb
        head = f"{label}:" if label else ""
        return (
            f'<div class="qa-cite" data-row="{esc(row.id)}">'
            f'<div class="qa-cite-head">{esc(head)}<strong>{esc(row.id)}</strong> '
            f'<span class="qa-part qa-part-{esc(row.part)}">{esc(part_label(row.part, row.year))}</span> '
            f"{esc(row.indicator)} {esc(figure)} {esc(row.qualifier)}</div>"
            f'<div class="qa-crumb">{esc(crumb)}</div>'
            f'<p class="qa-para">{para}</p>'
            f'<div class="qa-crumb">字符 {row.start}–{row.end}</div></div>'
        )

    def select(self, shown: list[str], index: Any, row_value: Any) -> str:
        """A table cell was clicked: the passage of its row (by the id in the row, else by position)."""
        if isinstance(row_value, list | tuple) and row_value and str(row_value[0]) in self.by_id:
            return self.passage_html(str(row_value[0]))
        i = index[0] if isinstance(index, list | tuple) and index else index
        if isinstance(i, int) and 0 <= i < len(shown):
            return self.passage_html(shown[i])
        return self.passage_html(None)


def normalize_keyword(keyword: str | None) -> str:
    """What a user typed as a search: cleaned, half-width ASCII, Simplified (就業 finds 就业), capped."""
    return to_simplified(to_halfwidth(clean_input(keyword or "")))[:MAX_KEYWORD_CHARS]


def short_section(section: str) -> str:
    """A breadcrumb without its part (the part has its own column)."""
    return section.split(BREADCRUMB_SEP, 1)[-1]


def sort_rows(rows: list[Row], sort: str | None) -> list[Row]:
    """Rows in ledger order, section (report) order, or by value (in base units; rows without one last)."""
    if sort == "section":
        return sorted(rows, key=lambda r: (r.start, r.id))
    if sort in ("value_desc", "value_asc"):
        sign = -1.0 if sort == "value_desc" else 1.0
        with_value = sorted((r for r in rows if r.base_value is not None), key=lambda r: sign * (r.base_value or 0))
        return with_value + [r for r in rows if r.base_value is None]
    return list(rows)


def section_choices(names: list[str]) -> list[tuple[str, str]]:
    """Dropdown choices: all sections, then each breadcrumb (indented by depth, without its part)."""
    return [("全部章节", ALL)] + [("  " * (n.count(BREADCRUMB_SEP) - 1) + short_section(n), n) for n in names]


def status_html(rows: list[Row], keyword: str) -> str:
    """The line above the table: how many rows, how many with a figure, and the search words (escaped)."""
    figures = sum(r.is_figure for r in rows)
    words = f"关键词「{esc(keyword)}」:" if keyword else ""
    return f'<p class="qa-ledger-status">{words}共 {len(rows)} 条,其中 {figures} 条带数字。点一行查看原文。</p>'


def part_choices(report: Report) -> list[tuple[str, str]]:
    """The part filter's choices: all, the plan (its year), the review (its year)."""
    return [
        ("全部", ALL),
        (part_label("plan", report.plan_year), "plan"),
        (part_label("review", report.review_year), "review"),
    ]


def build_ledger_tab(report: Report, handlers: LedgerHandlers | None = None, key: str = "") -> LedgerHandlers:
    """Lay the ledger tab out in the current Blocks context and wire its events; returns the handlers.

    ``key`` is appended to every element id (one tab per report, when the chat holds several).
    """
    h = handlers or LedgerHandlers(report)
    private: Any = {"api_visibility": "private"}
    table0, status0, csv0, shown0 = h.update("", ALL, ALL, False, "ledger")
    plan, review = report.plan_year or "", report.review_year or ""
    gr.Markdown(
        f"{plan}年的每项目标与承诺、{review}年的每项成绩,一个数字一行,均摘自报告原文。"
        "可按关键词搜索、按部分和章节筛选、排序,并下载为 CSV。"
    )
    with gr.Row():
        keyword = gr.Textbox(
            label="搜索(指标、原文或章节)",
            placeholder="例如:就业、学位、老旧小区",
            max_length=MAX_KEYWORD_CHARS,
            scale=3,
            min_width=200,
            elem_id=f"qa-ledger-keyword{key}",
        )
        part = gr.Radio(
            part_choices(report), value=ALL, label="部分", scale=2, min_width=200, elem_id=f"qa-ledger-part{key}"
        )
    with gr.Row():
        section = gr.Dropdown(
            section_choices(h.sections(ALL)), value=ALL, label="章节", scale=3, elem_id=f"qa-ledger-section{key}"
        )
        sort = gr.Dropdown(SORTS, value="ledger", label="排序", scale=2, min_width=160, elem_id=f"qa-ledger-sort{key}")
        figures = gr.Checkbox(
            label="只看带数字的", value=False, scale=1, min_width=120, elem_id=f"qa-ledger-figures{key}"
        )
        download = gr.DownloadButton(
            "下载 CSV(当前筛选)", value=csv0, size="sm", scale=1, min_width=140, elem_id=f"qa-ledger-csv{key}"
        )
    status = gr.HTML(status0, elem_id=f"qa-ledger-status{key}", js_on_load=None)
    shown = gr.State(shown0)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            table = gr.Dataframe(
                table0,
                headers=HEADERS,
                datatype="str",
                interactive=False,
                wrap=True,
                max_height=560,
                column_widths=["60px", "90px", "150px", "56px", "56px", "64px", "56px", "160px", "240px", "160px"],
                pinned_columns=1,
                elem_id=f"qa-ledger-table{key}",
            )
        with gr.Column(scale=2, min_width=300):
            passage = gr.HTML(
                h.passage_html(None), elem_id=f"qa-ledger-passage{key}", js_on_load=None, padding=True, css_template=CSS
            )

    filters = [keyword, part, section, figures, sort]
    outs = [table, status, download, shown]
    part.change(h.part_changed, [part, section], [section], **private)
    for changed in (keyword.change, part.change, section.change, figures.change, sort.change):
        changed(h.update, filters, outs, **private)

    def select(ids: list[str], evt: gr.SelectData) -> str:
        """Show the passage of a clicked row."""
        return h.select(ids, evt.index, evt.row_value)

    table.select(select, [shown], [passage], **private)
    return h
