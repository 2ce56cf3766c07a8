"""End to end in a real browser: Debian's chromium driven by Playwright, the real engine behind the page."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.answer.engine import refusal

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "screenshot.png"
ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "![x](http://x/y.png)",
]
WAIT_MS = 60_000
# Records every Content-Security-Policy violation of the page (a blocked script, style, image or eval).
CSP_WATCH = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


STYLE_JS = """() => {
  const rgb = (c) => c.match(/[0-9.]+/g).slice(0, 4).map(Number);
  const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  const pair = (sel) => {
    const el = document.querySelector(sel);
    return [rgb(getComputedStyle(el).color).slice(0, 3), bg(el)];
  };
  const small = [];
  for (const el of document.querySelectorAll('.gradio-container *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (own && el.offsetParent && parseFloat(getComputedStyle(el).fontSize) < 14) small.push(el.textContent.trim());
  }
  return {send: pair('#qa-send'), tab: pair('button[role=tab][aria-selected=true]'), small};
}"""


def contrast(fg: list[float], bg: list[float]) -> float:
    """WCAG contrast ratio of two sRGB colours."""

    def lum(c: list[float]) -> float:
        lin = [v / 255 / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def feedback_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "feedback.jsonl"


@pytest.fixture(scope="module")
def server(feedback_file: Path, real_qa: Any) -> Iterator[str]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: run `make sysdeps`")
    from qa.server.app import start
    from qa.server.settings import ServerSettings

    mp = pytest.MonkeyPatch()
    mp.setenv("QA_FEEDBACK_FILE", str(feedback_file))
    # the whole server (chat, API, guards, CSP); the real engine, its index built in a temp folder
    running = start(real_qa, ServerSettings(port=free_port()), block=False)
    try:
        yield running.url
    finally:
        running.close()
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def ask(page: Any, text: str) -> str:
    """Type a question, send it, wait for its answer bubble; return the answer's text."""
    n = page.locator("#qa-chat .bot-row").count()
    page.fill("#qa-box textarea", text)
    page.click("#qa-send")
    page.wait_for_function(f"document.querySelectorAll('#qa-chat .bot-row').length > {n}", timeout=WAIT_MS)
    page.wait_for_function(
        "() => { const s = document.querySelector('#qa-box textarea'); return s && s.value === ''; }", timeout=WAIT_MS
    )
    return str(page.locator("#qa-chat .bot-row").last.inner_text())


def test_chat_in_a_real_browser(server: str, browser: Any, feedback_file: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(CSP_WATCH)
    response = page.goto(server)
    assert response is not None and "'nonce-" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    page.wait_for_selector("#qa-box textarea", timeout=WAIT_MS)

    # an answerable question: the quote, its breadcrumb, the quote highlighted in its paragraph
    answer = ask(page, "今年新增就业目标是多少?")
    assert "新增就业1万人以上" in answer and "[1]" in answer
    page.wait_for_selector("#qa-sources mark.qa-quote", timeout=WAIT_MS)
    assert "二、2025年工作安排 › 主要预期目标" in page.locator("#qa-sources .qa-crumb").first.inner_text()
    assert "新增就业1万人以上" in page.locator("#qa-sources .qa-para mark.qa-quote").first.inner_text()
    para = page.locator("#qa-sources .qa-para").first.inner_text()
    assert para.startswith("今年经济社会发展主要预期目标是") and len(para) > len(
        page.locator("#qa-sources .qa-para mark.qa-quote").first.inner_text()
    )
    assert "新增就业1万人以上" in page.input_value("#qa-cite textarea")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # a follow-up is read with the question before it, and says how it was read
    follow = ask(page, "那去年呢?")
    assert "我把这个问题理解为" in follow and "去年新增就业目标是多少" in follow

    # an unanswerable question: the "report does not say" state with the nearest sections
    answer = ask(page, "火星移民计划什么时候开始?")
    assert "报告中没有找到" in answer and "最接近的章节" in answer
    page.wait_for_selector("#qa-sources .qa-abstain li .qa-crumb", timeout=WAIT_MS)
    assert "报告无法回答" in answer

    # a partial answer: its own state, what is missing, and the quote of what the report does say
    answer = ask(page, "区儿童医院在哪条路?")
    assert "部分回答" in answer and "报告没有给出" in answer and "区儿童医院" in answer and "[1]" in answer
    page.wait_for_selector("#qa-sources .qa-partial", timeout=WAIT_MS)
    assert "区儿童医院" in page.locator("#qa-sources .qa-para mark.qa-quote").first.inner_text()
    artifacts = ROOT / "tests" / "artifacts"  # not committed: for a person to look at
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "partial.png"), full_page=True)

    # hostile input comes back as text: no element made, no script run, no request for the image
    for payload in [*HOSTILE, "那<img>呢"]:
        if refusal(payload) == "markup":  # nothing but markup: refused with the reason, kept in the box
            n = page.locator("#qa-chat .user-row").count()
            page.fill("#qa-box textarea", payload)
            page.click("#qa-send")
            page.wait_for_function(f"document.querySelectorAll('#qa-chat .user-row').length > {n}", timeout=WAIT_MS)
            page.wait_for_selector("#qa-notice:has-text('only markup')", timeout=WAIT_MS)
            assert page.input_value("#qa-box textarea") == payload
        else:
            ask(page, payload)
        shown = page.locator("#qa-chat .user-row").last.inner_text().strip()
        assert shown == payload
        counts = page.evaluate(
            """() => ({
                img: document.querySelectorAll('#qa-chat img, #qa-sources img, img[src="x"]').length,
                script: document.querySelectorAll('#qa-chat script, #qa-sources script').length,
                links: [...document.querySelectorAll('#qa-chat a, #qa-sources a')].map(a => a.getAttribute('href'))
                    .filter(h => !/^#qa-cite-[0-9]+$/.test(h)),  // only the [n] anchors of earlier answers
            })"""
        )
        assert counts == {"img": 0, "script": 0, "links": []}, (payload, counts)
    assert "<img>" in page.locator("#qa-sources .qa-taken").inner_text()  # the rewritten reading, inert
    page.wait_for_timeout(500)
    assert dialogs == []
    assert not [u for u in requests if u.endswith("/y.png") or u.rstrip("/").endswith("/x")]

    # one click on an example question asks it
    n = page.locator("#qa-chat .bot-row").count()
    page.get_by_role("button", name="五外联动是什么意思?").click()
    page.wait_for_function(f"document.querySelectorAll('#qa-chat .bot-row').length > {n}", timeout=WAIT_MS)
    page.wait_for_selector("#qa-sources .qa-crumb:has-text('五外联动')", timeout=WAIT_MS)

    # feedback goes to the JSON-lines file; the export offers a Markdown file
    page.click("#qa-good")
    page.wait_for_selector("#qa-feedback-status:has-text('已记录')", timeout=WAIT_MS)
    rows = [json.loads(line) for line in feedback_file.read_text(encoding="utf-8").splitlines()]
    assert rows[-1]["helpful"] is True and rows[-1]["question"] == "五外联动是什么意思?"
    page.click("#qa-export")
    page.wait_for_selector("#qa-export-file:has-text('.md')", timeout=WAIT_MS)
    assert page.evaluate("window.__csp") == []  # the whole page worked under the Content-Security-Policy
    page.close()


def test_api_docs_work_under_the_csp(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(CSP_WATCH)
    page.goto(server + "docs")
    page.wait_for_selector(".opblock", timeout=WAIT_MS)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/ask", "/api/ledger", "/api/health"} <= {p.strip() for p in paths}
    assert page.evaluate("window.__csp") == []
    page.close()


def test_chat_rough_edges(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.rstrip("/"))
    page = context.new_page()
    page.goto(server)
    page.wait_for_selector("#qa-box textarea", timeout=WAIT_MS)
    # the page's lang is set by the Blocks' load JS, which may run a moment after the box is there
    page.wait_for_function("document.documentElement.lang === 'zh-CN'", timeout=WAIT_MS)
    style = page.evaluate(STYLE_JS)
    assert contrast(*style["send"]) >= 4.5 and contrast(*style["tab"]) >= 4.5, style
    assert style["small"] == []  # no visible text under 14 px

    # Cantonese follow-ups are read like 那去年呢?
    ask(page, "今年新增就业目标係幾多?")
    follow = ask(page, "咁舊年呢?")
    assert "我把这个问题理解为" in follow and "去年新增就业目标係幾多" in follow
    follow = ask(page, "咁今年呢?")
    assert "今年新增就业目标係幾多" in follow

    # each [n] links to its passage in the sources panel; every paragraph there is printed once
    bubble = page.locator("#qa-chat .bot-row").last
    bubble.locator("a[href='#qa-cite-1']").first.click()
    page.wait_for_function("location.hash === '#qa-cite-1'", timeout=WAIT_MS)
    assert page.locator("#qa-sources #qa-cite-1").count() == 1
    paras = page.locator("#qa-sources .qa-para").all_inner_texts()
    assert paras and len(paras) == len(set(paras))

    # the copy button on an answer copies the text it shows, without Markdown escapes
    bubble.hover()
    page.locator("#qa-chat .message-buttons button[aria-label='复制这条消息']").last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == bubble.locator(".message-content").inner_text().strip() and "\\" not in copied
    assert "今年新增就业目标" in copied
    # Gradio's English button labels read in Chinese, whatever the browser's language (qa.ui.app.GRADIO_LABELS_ZH)
    assert page.locator("#qa-chat button[aria-label='有帮助']").count() > 0
    assert page.locator("#qa-chat button[aria-label='没帮助']").count() > 0
    assert page.locator("#qa-chat button[aria-label='Like'], #qa-chat button[aria-label='Copy message']").count() == 0

    # the bubble and the panel list the same nearest sections
    ask(page, "火星移民计划什么时候开始?")
    page.wait_for_selector("#qa-sources .qa-abstain li .qa-crumb", timeout=WAIT_MS)
    listed = page.locator("#qa-chat .bot-row").last.locator("li").all_inner_texts()
    assert listed and listed == page.locator("#qa-sources .qa-abstain li .qa-crumb").all_inner_texts()

    # an over-long question stays in the box, with the message, so it can be shortened
    long = "今年新增就业目标是多少" * 30
    page.fill("#qa-box textarea", long)
    page.click("#qa-send")
    page.wait_for_selector("#qa-notice:has-text('问题太长')", timeout=WAIT_MS)
    assert page.input_value("#qa-box textarea") == long
    page.close()
    context.close()


def test_phone_width_has_no_sideways_scroll(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page.goto(server)
    page.wait_for_selector("#qa-box textarea", timeout=WAIT_MS)
    ask(page, "今年要新增多少学位?")
    page.wait_for_selector("#qa-sources mark.qa-quote", timeout=WAIT_MS)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    chat, sources = page.locator("#qa-chat").bounding_box(), page.locator("#qa-sources").bounding_box()
    box = page.locator("#qa-box").bounding_box()
    assert sources["y"] > chat["y"] + chat["height"] - 1  # the sources panel stacks below the chat
    # ... right under the question box, before the examples and buttons (was after them)
    assert sources["y"] - (box["y"] + box["height"]) < 120, (box, sources)
    assert page.locator(".qa-examples").bounding_box()["y"] > sources["y"] + sources["height"] - 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    page.close()


def test_ledger_tab_filters_and_shows_a_rows_passage(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.add_init_script(CSP_WATCH)
    page.goto(server)
    page.wait_for_selector("#qa-box textarea", timeout=WAIT_MS)
    page.get_by_role("tab", name="承诺与成绩台账").click()
    page.wait_for_selector("#qa-ledger-keyword textarea", timeout=WAIT_MS)
    total = page.locator("#qa-ledger-status").inner_text()

    # a keyword filters the table: the 2025 employment target with the 2024 result beside it
    page.fill("#qa-ledger-keyword textarea", "就业")
    page.wait_for_selector("#qa-ledger-status:has-text('关键词「就业」')", timeout=WAIT_MS)
    assert page.locator("#qa-ledger-status").inner_text() != total
    table = page.locator("#qa-ledger-table")
    cell = table.get_by_text("新增就业1万人以上", exact=True).locator("visible=true")
    cell.first.wait_for(timeout=WAIT_MS)
    text = table.inner_text()
    assert "P005" in text and "2024年 新增就业 1.62万人" in text and "R120" in text
    assert "固定资产投资" not in text  # filtered out
    page.fill("#qa-ledger-keyword textarea", "学校")
    page.wait_for_selector("#qa-ledger-status:has-text('关键词「学校」')", timeout=WAIT_MS)
    page.fill("#qa-ledger-keyword textarea", "就業")  # Traditional characters find the same rows
    page.wait_for_selector("#qa-ledger-status:has-text('关键词「就业」')", timeout=WAIT_MS)
    cell.first.wait_for(timeout=WAIT_MS)
    assert table.inner_text() == text

    # a click on the row shows its paragraph with the quote highlighted, and the 2024 passage
    cell.first.click()
    page.wait_for_selector("#qa-ledger-passage mark.qa-quote", timeout=WAIT_MS)
    marks = page.locator("#qa-ledger-passage mark.qa-quote")
    assert marks.first.inner_text() == "新增就业1万人以上" and marks.nth(1).inner_text() == "新增就业1.62万人"
    assert "二、2025年工作安排 › 主要预期目标" in page.locator("#qa-ledger-passage .qa-crumb").first.inner_text()
    assert page.locator("#qa-ledger-passage .qa-para").first.inner_text().startswith("今年经济社会发展主要预期目标是")

    # hostile search words come back as text; no element, no dialog
    page.fill("#qa-ledger-keyword textarea", HOSTILE[1])
    page.wait_for_selector("#qa-ledger-status:has-text('共 0 条')", timeout=WAIT_MS)
    assert HOSTILE[1] in page.locator("#qa-ledger-status").inner_text()
    assert page.evaluate("document.querySelectorAll('#qa-ledger-status img, img[src=\"x\"]').length") == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ledger.png"), full_page=True)
    assert page.evaluate("window.__csp") == []
    page.close()
