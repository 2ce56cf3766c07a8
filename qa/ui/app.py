"""Stage 6: the Gradio chat page. Builds the app and never serves it: :mod:`qa.server.app` does.

Layout: the conversation on the left (stacked on top at phone width), the sources panel on
the right. Handlers live in :mod:`qa.ui.handlers`, rendering in :mod:`qa.ui.render`.
The API endpoint ``/ask`` returns the same JSON object as ``qa ask --json``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import gradio as gr

from qa.answer.engine import QA
from qa.datafiles import DATA_DIR
from qa.report.corpus import LIWAN_ID, Report
from qa.ui.export import Turn
from qa.ui.feedback import MAX_COMMENT_CHARS
from qa.ui.handlers import MAX_TYPED_CHARS, Asker, ChatHandlers, Message
from qa.ui.ledger_tab import LedgerHandlers, build_ledger_tab

CONCURRENCY_LIMIT = 4  # questions answered at once; the rest wait in the queue
MAX_QUEUE = 64  # waiting requests beyond this are turned away with "queue full"
MAX_BOX_CHARS = MAX_TYPED_CHARS  # the text box stops here; the engine refuses anything over its own cap with a message
ALL_REPORTS = ""  # the report picker's value for "every report"
MAX_LEDGER_TABS = 8  # ledger tabs on the page, one per report; a larger library's ledgers via CLI and API


def page_title(reports: tuple[Report, ...]) -> str:
    """The page's title: the report's, or how many reports it answers from."""
    return f"{reports[0].title}问答" if len(reports) == 1 else f"政府工作报告问答({len(reports)}份)"


def intro(reports: tuple[Report, ...]) -> str:
    """The text above the chat."""
    return (
        f"## {page_title(reports)}\n"
        "回答只摘录报告原文,并注明出自哪一部分、哪一节;报告没有写的,会直接说明。"
        "可以接着追问(如“那去年呢?”“具体有哪些?”)。You may also ask in English; quotes stay in Chinese."
    )


PAGE_LANG = "zh-CN"
# Labels (tooltips and screen-reader names) of Gradio's icon buttons, which Gradio writes in English
# whatever the page's language: "Liked"/"Disliked", "Copy"/"Copied", "Scroll down", "Feedback" are fixed
# in its code, and "Copy message" has no zh-CN translation; "Like"/"Dislike" read 赞/踩 only in a browser
# set to Chinese. The page shows these instead (qa.ui.app.JS swaps them as the buttons appear).
GRADIO_LABELS_ZH = {
    "Like": "有帮助",
    "赞": "有帮助",
    "Liked": "已评价:有帮助",
    "Dislike": "没帮助",
    "踩": "没帮助",
    "Disliked": "已评价:没帮助",
    "Feedback": "反馈",
    "Copy message": "复制这条消息",
    "Copied message": "已复制",
    "Copy": "复制",
    "Copied": "已复制",
    "Copied!": "已复制",
    "Scroll down": "滚动到底部",
    "Clear": "清空",
}
# Pass JS (and CSS) to whatever serves the Blocks: launch(..., js=JS) or gr.mount_gradio_app(..., js=JS).
# 1. Gradio has no option for <html lang> (its template says "en"): set on load.
# 2. The chat's per-message copy button copies the message's Markdown source, full of escapes: copy the
#    text the bubble shows instead (a capture-phase listener runs before Gradio's own handler).
# 3. Gradio's English button labels (GRADIO_LABELS_ZH) are replaced, now and whenever Gradio sets one
#    again (a thumb once clicked becomes "Liked"); a replaced label is not a key, so this settles at once.
JS = (
    "() => {"
    f" document.documentElement.lang = {PAGE_LANG!r};"
    " window.addEventListener('click', (e) => {"
    "  const btn = e.target.closest && e.target.closest('#qa-chat .message-buttons button');"
    "  if (!btn || !/copy|复制/i.test(btn.getAttribute('aria-label') || '')) return;"
    "  let row = btn.closest('.message-buttons').previousElementSibling;"
    "  while (row && !row.querySelector('.message-content')) row = row.previousElementSibling;"
    "  if (!row) return;"
    "  e.stopPropagation(); e.preventDefault();"
    "  navigator.clipboard.writeText(row.querySelector('.message-content').innerText.trim());"
    "  btn.setAttribute('data-copied', '1');"
    " }, true);"
    f" const zh = {json.dumps(GRADIO_LABELS_ZH, ensure_ascii=False)};"
    " const relabel = (el) => { for (const name of ['aria-label', 'title']) {"
    "  const label = el.getAttribute(name);"
    "  if (label && Object.hasOwn(zh, label)) el.setAttribute(name, zh[label]); } };"
    " const sweep = (node) => { if (node.nodeType !== 1) return; relabel(node);"
    "  node.querySelectorAll('[aria-label], [title]').forEach(relabel); };"
    " new MutationObserver((changes) => { for (const c of changes) {"
    "  if (c.type === 'attributes') relabel(c.target); else c.addedNodes.forEach(sweep); } })"
    "  .observe(document.body,"
    "   {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label', 'title']});"
    " sweep(document.body);"
    "}"
)

CSS = """
.gradio-container { max-width: 1200px !important; }
#qa-sources .qa-sources { font-size: 0.95rem; line-height: 1.6; overflow-wrap: anywhere; }
#qa-sources mark.qa-quote { background: #ffe58a; color: #222; padding: 0 2px; border-radius: 2px; }
#qa-sources .qa-cite { border-left: 3px solid #c9a227; padding: 4px 10px; margin: 10px 0; }
#qa-sources .qa-crumb { color: #555; font-size: 0.88rem; }
#qa-sources .qa-part { display: inline-block; font-size: 0.8rem; padding: 0 6px; border-radius: 8px; background: #eef; }
#qa-sources .qa-part-review { background: #e6f4ea; }
#qa-sources .qa-part-plan, #qa-sources .qa-part-annex { background: #e8f0fe; }
#qa-sources .qa-part-glossary { background: #fef7e0; }
#qa-sources .qa-taken { font-style: italic; }
#qa-sources details.qa-section summary { cursor: pointer; color: #1a5fb4; }
#qa-sources .qa-section-body { max-height: 320px; overflow-y: auto; background: #fafafa; padding: 4px 8px; }
#qa-sources .qa-glossary { background: #fffbea; padding: 6px 10px; margin-top: 10px; }
#qa-sources .qa-glossary dt { font-weight: bold; }
#qa-sources .qa-abstain { background: #fff4f4; padding: 6px 10px; border-left: 3px solid #c01c28; }
#qa-sources .qa-partial { background: #fff8e6; padding: 6px 10px; border-left: 3px solid #9a6700; }
.qa-examples button { white-space: normal !important; text-align: left; }
/* contrast >= 4.5:1 (WCAG AA) for the main button and the active tab; no text under 14 px */
#qa-send, #qa-send:hover { background: #c2410c !important; border-color: #c2410c !important; color: #fff !important; }
.gradio-container button[role="tab"][aria-selected="true"] { color: #9a3412 !important; }
.gradio-container button.sm, .gradio-container label, .gradio-container label span { font-size: 14px !important; }
@media (max-width: 640px) {
  .gradio-container { padding: 4px !important; }
  #qa-chat { height: 55vh !important; }
  /* on a phone the sources come right after the question box; the examples and buttons after them */
  #qa-main { flex-direction: column !important; }
  #qa-left { display: contents !important; }
  #qa-left > * { order: 1; }
  #qa-right { order: 2; }
  #qa-left > .qa-examples, #qa-left > #qa-actions, #qa-left > #qa-export-file { order: 3; }
}
"""


@functools.cache
def examples() -> dict[str, list[str]]:
    """Example questions for residents and for staff (data file)."""
    data = json.loads((DATA_DIR / "ui_examples.json").read_text(encoding="utf-8"))
    return {"residents": list(data["residents"]), "staff": list(data["staff"])}


def build_app(qa: Asker, reports: tuple[Report, ...] | None = None) -> gr.Blocks:
    """The chat page for an engine (``reports`` default to the engine's own).

    With more than one report, a picker above the chat restricts answers to one of them.
    """
    if reports is None:
        reports = qa.index.reports if isinstance(qa, QA) else None
    if not reports:
        raise ValueError("build_app needs the reports (pass reports= with a fake engine)")
    h = ChatHandlers(qa, reports)
    private: Any = {"api_visibility": "private"}

    with gr.Blocks(title=page_title(reports), analytics_enabled=False) as demo:
        turns = gr.State([])
        current = gr.State(-1)
        gr.Markdown(intro(reports))
        picker = gr.Dropdown(
            [("全部报告", ALL_REPORTS), *((f"{r.title}({r.id})", r.id) for r in reports)],
            value=ALL_REPORTS,
            label="只问这份报告",
            visible=len(reports) > 1,
            elem_id="qa-report",
        )
        with gr.Tab("问答", id="qa-tab-chat"), gr.Row(equal_height=False, elem_id="qa-main"):
            with gr.Column(scale=3, min_width=300, elem_id="qa-left"):
                chat = gr.Chatbot(
                    label="对话",
                    elem_id="qa-chat",
                    height=520,
                    sanitize_html=True,
                    render_markdown=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    buttons=["copy"],  # a copy button on each message
                    # Gradio's names for its two thumbs (any other name becomes a menu under a flag); their
                    # labels, 有帮助 / 没帮助, are set by JS (GRADIO_LABELS_ZH)
                    feedback_options=("Like", "Dislike"),
                    placeholder="请在下方输入问题,或点一个示例问题。",
                )
                with gr.Row():
                    box = gr.Textbox(
                        label="问题",
                        placeholder="例如:今年新增就业目标是多少?",
                        max_length=MAX_BOX_CHARS,
                        scale=5,
                        min_width=200,
                        elem_id="qa-box",
                    )
                    send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                notice = gr.Markdown("", elem_id="qa-notice")
                example_buttons: list[tuple[gr.Button, str]] = []
                # the examples are about the Liwan report: shown only when it is among the reports
                liwan = any(r.id == LIWAN_ID for r in reports)
                with gr.Accordion("示例问题(点一下就问)", open=True, elem_classes=["qa-examples"], visible=liwan):
                    for label, key in (("居民常问", "residents"), ("工作人员常用", "staff")):
                        gr.Markdown(f"**{label}**")
                        with gr.Row():
                            for q in examples()[key]:
                                example_buttons.append((gr.Button(q, size="sm", min_width=120), q))
                with gr.Row(elem_id="qa-actions"):
                    clear = gr.Button("清空对话", size="sm", elem_id="qa-clear")
                    export = gr.Button("导出对话(Markdown)", size="sm", elem_id="qa-export")
                export_file = gr.File(label="导出的对话", visible=False, elem_id="qa-export-file")
            with gr.Column(scale=2, min_width=300, elem_id="qa-right"):
                sources = gr.HTML(h.panel([], -1)[0], elem_id="qa-sources", js_on_load=None, padding=True)
                pick = gr.Dropdown(label="复制一条引文:选择编号", choices=[], elem_id="qa-cite-pick")
                cite = gr.Textbox(label="引文(可复制)", buttons=["copy"], interactive=False, lines=3, elem_id="qa-cite")
                with gr.Accordion("这个回答有帮助吗?", open=True):
                    comment = gr.Textbox(
                        label="意见(可选,请勿填写姓名、电话等个人信息)", max_length=MAX_COMMENT_CHARS, lines=2
                    )
                    with gr.Row():
                        good = gr.Button("有帮助", size="sm", elem_id="qa-good")
                        bad = gr.Button("没帮助", size="sm", elem_id="qa-bad")
                    status = gr.Markdown("", elem_id="qa-feedback-status")

        with gr.Tab("承诺与成绩台账", id="qa-tab-ledger"):
            _ledger_tabs(qa, reports)

        outs = [chat, turns, current, box, sources, pick, cite, notice]

        def respond(message: str, history: list[Message], ts: list[Turn], report: str) -> tuple[Any, ...]:
            """Chat handler."""
            return h.respond(message, history, ts, report)

        for trigger in (box.submit, send.click):
            trigger(respond, [box, chat, turns, picker], outs, **private)
        for button, q in example_buttons:
            button.click(functools.partial(h.respond, q), [chat, turns, picker], outs, **private)

        def select(ts: list[Turn], evt: gr.SelectData) -> tuple[Any, ...]:
            """Show the sources of a clicked message."""
            return h.select(ts, evt.index)

        chat.select(select, [turns], [current, sources, pick, cite], **private)

        def like(ts: list[Turn], evt: gr.LikeData) -> str:
            """Thumbs up/down on an answer bubble."""
            return h.like(ts, evt.index, evt.liked)

        chat.like(like, [turns], [status], **private)
        pick.change(h.copy_citation, [turns, current, pick], [cite], **private)
        good.click(functools.partial(_feedback, h, True), [turns, current, comment], [status, comment], **private)
        bad.click(functools.partial(_feedback, h, False), [turns, current, comment], [status, comment], **private)
        export.click(lambda ts: gr.update(value=str(h.export(ts)), visible=True), [turns], [export_file], **private)
        clear.click(h.clear, None, outs, **private)

        def ask(question: str) -> dict[str, Any]:
            """Answer one question; the same JSON object as `qa ask --json`."""
            return qa.ask(question or "").to_json()

        gr.api(ask, api_name="ask")
    return demo


def _ledger_tabs(qa: Asker, reports: tuple[Report, ...]) -> None:
    """The ledger: one report's, or one tab per report (up to ``MAX_LEDGER_TABS``; the rest via CLI and API)."""

    def one(r: Report, key: str) -> None:
        build_ledger_tab(r, LedgerHandlers(r, rows=qa.ledgers[r.id]) if isinstance(qa, QA) else None, key)

    if len(reports) == 1:
        one(reports[0], "")
        return
    shown = reports[:MAX_LEDGER_TABS]
    if len(reports) > len(shown):
        gr.Markdown(
            f"这里列出前{len(shown)}份报告的台账;其余报告:`qa ledger --report ID` 或 `GET /api/ledger?report=ID`。"
        )
    with gr.Tabs():
        for i, r in enumerate(shown):
            with gr.Tab(r.title, id=f"qa-tab-ledger-{i}"):
                one(r, "" if i == 0 else f"-{i}")


def _feedback(h: ChatHandlers, helpful: bool, ts: list[Turn], current: int, comment: str) -> tuple[str, str]:
    """Feedback button handler."""
    return h.feedback(ts, current, helpful, comment)
