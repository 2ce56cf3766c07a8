"""Stage 6: the Gradio chat. Builds the app; never launches it except through :func:`launch`."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from qa.answer import QA
from qa.types import PART_LABELS, Answer


def render_answer(a: Answer) -> str:
    """The answer as HTML-safe Markdown: quotes escaped, then its citations."""
    lines = [html.escape(line) for line in a.answer.split("\n")]
    if a.citations:
        lines.append("")
        for c in a.citations:
            lines.append(f"[{c.n}] {html.escape(c.section)} · {PART_LABELS[c.part]} · 字符 {c.start}–{c.end}")
    return "  \n".join(lines)


def respond(qa: QA, message: str, history: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Chat handler: append the escaped question and the answer to the history; clear the box."""
    answer = qa.ask(message or "")
    history = [
        *history,
        {"role": "user", "content": html.escape(message or "")},
        {"role": "assistant", "content": render_answer(answer)},
    ]
    return history, ""


def build_app(qa: QA) -> gr.Blocks:
    """The chat page."""
    with gr.Blocks(title="荔湾区政府工作报告问答") as demo:
        gr.Markdown("## 荔湾区2025年政府工作报告问答\n回答只引用报告原文,并注明出处。")
        chat = gr.Chatbot(label="对话", sanitize_html=True, render_markdown=True)
        box = gr.Textbox(label="问题", placeholder="例如:今年新增就业目标是多少?")
        box.submit(lambda m, h: respond(qa, m, h), [box, chat], [chat, box])
    return demo


def launch(qa: QA, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat on ``host:port`` with a bounded queue; never a public share link."""
    build_app(qa).queue(default_concurrency_limit=4, max_size=64).launch(
        server_name=host, server_port=port, share=False, show_error=False
    )
