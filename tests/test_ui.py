"""The chat page in a real headless Chromium, and its API through gradio_client (slow)."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from qa import Assistant
from tests.conftest import SEEDS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
FEEDBACK = []  # the page's feedback file (set by app_url)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(real_settings, tmp_path_factory):
    from ui.app import launch

    folder = tmp_path_factory.mktemp("ui")
    settings = real_settings.with_(index_dir=folder / "index", feedback_file=folder / "feedback.jsonl")
    assistant = Assistant(settings.index_dir, settings)
    assistant.index([SEEDS])
    port = free_port()
    FEEDBACK[:] = [settings.feedback_file]
    demo = launch(assistant, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is needed for the browser tests: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#qa-question textarea")
    yield page
    context.close()


def ask(page, question: str, answers_before: int) -> None:
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_function(
        f"""() => {{
            const bots = document.querySelectorAll('#qa-chat [data-testid=bot]');
            if (bots.length <= {answers_before}) return false;
            const last = bots[bots.length - 1].innerText;
            // done when it ends with a citation: "... [2]" or "... [2] (also reported by [3])"
            return /\\]\\)?$/.test(last.trim()) || last.includes('Not found in the articles')
                || last.includes('Tidak ditemukan dalam artikel');
        }}""",
        timeout=120_000)
    page.wait_for_function("document.querySelectorAll('#qa-pick input[type=radio]').length > 0")
    time.sleep(1.0)


def test_ask_open_source_follow_up(page, output_dir):
    ask(page, "When did Lavrov visit Pyongyang?", 0)
    chat = page.inner_text("#qa-chat")
    assert "[1]" in chat
    assert any(date in chat for date in ("18/10", "19/10/2023", "Rabu", "Kamis"))
    cards = page.locator("#qa-sources .qa-card")
    assert cards.count() >= 1
    assert page.locator("#qa-sources mark.qa-hl").count() >= 1
    page.screenshot(path=str(output_dir / "chat-answer.png"), full_page=True)

    first_source = page.locator("#qa-pick label").first
    first_source.click()
    highlight = page.locator("#qa-article #qa-first-hl")
    highlight.wait_for(timeout=30_000)
    cited_sentence = highlight.inner_text()
    assert cited_sentence and cited_sentence in page.inner_text("#qa-article")
    time.sleep(0.6)
    box, frame = highlight.bounding_box(), page.locator("#qa-article .qa-article").bounding_box()
    assert frame["y"] - 5 <= box["y"] <= frame["y"] + frame["height"], "highlight not scrolled into view"
    page.screenshot(path=str(output_dir / "source-open.png"), full_page=True)

    # clicking the [1] marker in the answer opens source [1] too
    page.click("#qa-pick label >> nth=-1")
    point = page.evaluate("""() => {
        const walker = document.createTreeWalker(document.querySelector('#qa-chat'), NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const i = walker.currentNode.textContent.indexOf('[1]');
            if (i >= 0) {
                walker.currentNode.parentElement.scrollIntoView({block: 'center'});
                const range = document.createRange();
                range.setStart(walker.currentNode, i + 1); range.setEnd(walker.currentNode, i + 2);
                const r = range.getBoundingClientRect();
                return {x: r.left + r.width / 2, y: r.top + r.height / 2};
            }
        }
        return null;
    }""")
    assert point, "no [1] marker in the chat"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("document.querySelector('#qa-pick input[type=radio]:checked') && "
                           "document.querySelector('#qa-pick input[type=radio]:checked').closest('label')"
                           ".innerText.trim().startsWith('[1]')", timeout=10_000)

    ask(page, "And who did he meet there?", 1)
    assert "Lavrov" in page.inner_text("#qa-searched")
    page.screenshot(path=str(output_dir / "follow-up.png"), full_page=True)


def test_not_found_is_shown_as_such_and_cards_open_sources(page):
    ask(page, "What did Kim Jong Un discuss with Emmanuel Macron?", 0)
    assert "Not found in the articles" in page.inner_text("#qa-sources")
    assert "Not found in the articles" in page.inner_text("#qa-chat")
    page.locator("#qa-sources .qa-card").nth(1).click()  # clicking a card opens its article
    page.locator("#qa-article #qa-first-hl").wait_for(timeout=30_000)
    assert page.locator("#qa-pick input[type=radio]:checked").count() == 1


def test_upload_then_ask_and_hostile_html_never_runs(page, tmp_path, output_dir):
    kite = tmp_path / "festival.txt"
    kite.write_text("Festival Layang-layang Internasional diadakan di Pantai Parangtritis, Yogyakarta, pada "
                    "Sabtu (12/8/2024). Lebih dari 300 peserta dari 15 negara menerbangkan layang-layang raksasa.")
    hostile = tmp_path / "hostile.txt"
    hostile.write_text("<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">\n\n"
                       "Gunung Bromo di Jawa Timur meletus kecil pada Senin (3/3/2025) dan bandara Malang "
                       "ditutup selama dua hari. <b onmouseover=\"window.__pwned = 3\">Abu vulkanik</b> turun.")
    bad = tmp_path / "picture.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    page.click("button[role=tab]:has-text('Add articles')")
    page.set_input_files("#qa-files input[type=file]", [str(kite), str(hostile), str(bad)])
    page.wait_for_timeout(1500)
    page.click("#qa-add")
    page.wait_for_function("document.querySelector('#qa-upload-report').innerText.includes('Added')",
                           timeout=120_000)
    report = page.inner_text("#qa-upload-report")
    assert "Added 2 article(s)" in report and "picture.txt" in report and "binary" in report

    page.click("button[role=tab]:has-text('Sources')")
    ask(page, "Kapan festival layang-layang diadakan di Parangtritis?", 0)
    assert "festival" in page.inner_text("#qa-sources")

    ask(page, "Kapan Gunung Bromo meletus?", 1)
    page.locator("#qa-pick label").first.click()
    page.locator("#qa-article #qa-first-hl").wait_for(timeout=30_000)
    page.hover("#qa-article")
    article_text = page.inner_text("#qa-article")
    assert "<script>" in article_text or "onerror" in article_text  # shown as text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#qa-article script, #qa-article img, #qa-article b").count() == 0
    page.screenshot(path=str(output_dir / "hostile-article.png"), full_page=True)


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        _Counter.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_article_markup_quoted_in_the_chat_is_never_rendered(page, tmp_path):
    """An article whose quoted sentence holds an <img> pointing at a local listener: the page
    shows the tag as text and the browser never requests the address."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tag = f'<img src="http://127.0.0.1:{server.server_port}/pixel.png">'
    article = tmp_path / "pixel.txt"
    article.write_text(f"Kabar Danau Toba\n\nFestival Danau Toba dibuka di Parapat pada Jumat (9/8/2024) {tag} "
                       "dengan 40 perahu hias.\n\nPanitia menyebut ribuan wisatawan datang.")
    try:
        page.click("button[role=tab]:has-text('Add articles')")
        page.set_input_files("#qa-files input[type=file]", [str(article)])
        page.wait_for_timeout(1500)
        page.click("#qa-add")
        page.wait_for_function("document.querySelector('#qa-upload-report').innerText.includes('Added')",
                               timeout=120_000)
        page.click("button[role=tab]:has-text('Sources')")
        ask(page, "Kapan Festival Danau Toba dibuka di Parapat?", 0)
        time.sleep(1.5)
        chat = page.inner_text("#qa-chat")
        assert tag in chat  # quoted as text, exactly as the article has it
        assert page.locator("#qa-chat img[src*='pixel.png']").count() == 0
        page.locator("#qa-pick label").first.click()
        page.locator("#qa-article #qa-first-hl").wait_for(timeout=30_000)
        time.sleep(1.0)
        assert _Counter.hits == []
    finally:
        server.shutdown()


def test_ordinary_input_errors_are_one_inline_message(page, capfd):
    capfd.readouterr()
    for question, message in (("   ", "The question is empty"), ("x " * 1500, "the limit is 2000")):
        page.fill("#qa-question textarea", question)
        page.click("#qa-ask")
        page.wait_for_function(f"document.querySelector('#qa-searched').innerText.includes({message!r})",
                               timeout=30_000)
        time.sleep(0.5)
        assert page.locator(".toast-body, .error, [data-testid=error]").count() == 0
        assert page.locator("#qa-chat [data-testid=bot]").count() == 0
    _, err = capfd.readouterr()
    assert "Traceback" not in err


def test_gradio_client_calls_the_named_api(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict("Kapan Lavrov mengunjungi Pyongyang?", 5, "hybrid", api_name="/ask")
    assert result["abstained"] is False
    assert result["citations"] and {"n", "doc_id", "start", "end", "text"} <= set(result["citations"][0])


def test_filters_on_the_page_limit_the_sources(page, output_dir):
    page.click("#qa-filters button, #qa-filters .label-wrap")
    page.fill("#qa-since input, #qa-since textarea", "2023-07-01")
    page.fill("#qa-until input, #qa-until textarea", "2023-07-31")
    ask(page, "Siapa yang menemani Kim Jong Un?", 0)
    assert "Searching articles dated 1-31 July 2023" in page.inner_text("#qa-searched")
    assert page.locator("#qa-pick label").count() >= 1
    cards = page.inner_text("#qa-sources")
    assert "2023-07-27" in cards and "2023-10-19" not in cards
    page.screenshot(path=str(output_dir / "filtered.png"), full_page=True)

    page.fill("#qa-since input, #qa-since textarea", "July")
    page.fill("#qa-question textarea", "Siapa yang menemani Kim Jong Un?")
    page.click("#qa-ask")
    page.wait_for_function("document.querySelector('#qa-searched').innerText.includes('YYYY-MM-DD')",
                           timeout=30_000)


def test_gradio_client_passes_filters(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict("Kim Jong Un", 5, "hybrid", "2023-10-01", "2023-10-31", [], [], api_name="/ask")
    assert result["filters"] == {"since": "2023-10-01", "until": "2023-10-31"}
    assert {p["date"] for p in result["passages"]} == {"2023-10-19"}


def test_export_and_feedback_from_the_page(page, app_url):
    import json

    ask(page, "How many containers did North Korea send to Russia?", 0)
    with page.expect_download() as download:
        page.click("#qa-download-md")
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith("## How many containers") and "### Sources" in markdown and "characters " in markdown
    with page.expect_download() as download:
        page.click("#qa-download-json")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["question"].startswith("How many containers") and exported["citations"][0]["doc_id"]

    page.locator("#qa-chat button[aria-label='Like'], #qa-chat button[title='Like']").last.click()
    page.wait_for_function("document.querySelector('#qa-searched').innerText.includes('Thank you')", timeout=30_000)
    page.locator("#qa-pick label").first.click()
    page.locator("#qa-article #qa-first-hl").wait_for(timeout=30_000)
    page.click("#qa-mark")
    page.wait_for_function("document.querySelector('#qa-searched').innerText.includes('evidence')", timeout=30_000)
    lines = [json.loads(x) for x in FEEDBACK[0].read_text(encoding="utf-8").splitlines()]
    assert [line["verdict"] for line in lines[-2:]] == ["up", "passage"]
    assert lines[-1]["evidence"][0]["quote"]


class QuotingChatModel(GenericFakeChatModel):
    """Writes the first sentence of passage [1] of its prompt, cited, a word at a time: a draft that
    the checks accept, streamed the way a real model streams."""

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        prompt = "\n".join(m.content for m in messages)
        excerpt = prompt.split("[1] ", 1)[1].split("\n", 1)[1]
        sentence = excerpt.split(". ")[0].rstrip(".")
        for i, word in enumerate(f"{sentence} [1].".split(" ")):
            time.sleep(0.1)
            yield ChatGenerationChunk(message=AIMessageChunk(content=(" " if i else "") + word))


@pytest.fixture(scope="module")
def written_app_url(real_settings, tmp_path_factory):
    from ui.app import launch

    folder = tmp_path_factory.mktemp("ui-written")
    assistant = Assistant(folder / "index", real_settings, chat_model=QuotingChatModel(messages=iter([])))
    assistant.index([SEEDS])
    port = free_port()
    demo = launch(assistant, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_a_written_answer_streams_in_and_says_it_was_checked(browser, written_app_url, output_dir):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.goto(written_app_url)
    page.fill("#qa-question textarea", "How many containers did North Korea send to Russia?")
    page.click("#qa-ask")
    page.wait_for_function("document.querySelector('#qa-searched').innerText.includes('Writing the answer')",
                           timeout=60_000)
    page.wait_for_function("document.querySelector('#qa-chat').innerText.includes('Written from the sources')",
                           timeout=60_000)
    chat = page.inner_text("#qa-chat")
    assert "[1]" in chat and "every sentence checked against its citation" in chat
    assert page.locator("#qa-sources .qa-card").count() >= 1  # the quoted passages stay one click away
    page.screenshot(path=str(output_dir / "written-answer.png"), full_page=True)
    context.close()
