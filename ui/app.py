"""The chat page (Gradio). Thin: it lays out the page and calls the public ``qa`` API, which owns
question checks, follow-ups, uploads and authentication settings."""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import threading
import weakref
from html import escape
from pathlib import Path

import gradio as gr

from qa import (
    SUPPORTED_SUFFIXES,
    Answer,
    Assistant,
    Filters,
    QAError,
    Settings,
    UploadReport,
    answer_json,
    answer_markdown,
)
from ui.render import CARD_CLICK_JS, CSS, article_view, display_name, source_cards

log = logging.getLogger("qa")
EXAMPLES = [
    "When did Lavrov visit Pyongyang?",
    "Kapan Lavrov mengunjungi Pyongyang?",
    "How many containers did North Korea send to Russia?",
    "Siapa yang menemani Kim Jong Un ke pameran pertahanan?",
    "What did Kim Jong Un discuss with Emmanuel Macron?",  # the articles do not say: "not found"
]
SCROLL_TO_HIGHLIGHT = ("() => { setTimeout(() => { const el = document.getElementById('qa-first-hl');"
                       " if (el) el.scrollIntoView({block: 'center'}); }, 200); }")
TABLE_HEADERS = ["title", "source", "date", "lang", "chunks", "id"]
ADDED_SHOWN = 10  # articles named in an upload report; the rest are counted
# Gradio serves its own copy of each download file, made as the answer is shown: the page keeps
# only its latest answers' files, and Gradio deletes its copies (and uploads) a day old, hourly.
ANSWER_FILES_KEPT = 32  # far more than can be shown at once (the queue runs 4 at a time)
CACHE_SWEEP_S = (3600, 86400)  # (how often, how old): Blocks(delete_cache=...)


def example_questions(assistant: Assistant) -> list[str]:
    """The demo questions, offered only when the index holds the seed articles they ask about."""
    seeds = {path.stem for path in Path(assistant.settings.seeds_dir).glob("*.txt")}
    return EXAMPLES if seeds and seeds <= {doc["id"] for doc in assistant.documents()} else []


def build_app(assistant: Assistant) -> gr.Blocks:
    settings = assistant.settings
    answer_files = AnswerFiles()
    with gr.Blocks(title="News QA: cited answers from your articles", fill_width=True,
                   delete_cache=CACHE_SWEEP_S) as demo:
        gr.Markdown("## News QA\nAsk in English or Indonesian. Every answer cites the passages it comes from.")
        cited = gr.State([])
        answers = gr.State({})  # chat message index -> the Answer shown there (for feedback)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=460, render_markdown=False, sanitize_html=True,
                                     elem_id="qa-chat")
                notice = gr.Markdown(elem_id="qa-searched")
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=6,
                                          elem_id="qa-question", max_lines=3)
                    ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                with gr.Accordion("Filter articles", open=False, elem_id="qa-filters"):
                    with gr.Row():
                        since = gr.Textbox(label="From (YYYY-MM-DD)", max_lines=1, elem_id="qa-since")
                        until = gr.Textbox(label="Until (YYYY-MM-DD)", max_lines=1, elem_id="qa-until")
                    with gr.Row():
                        outlets = gr.Dropdown(choices=_outlets(assistant), multiselect=True, label="Outlets",
                                              elem_id="qa-outlets")
                        langs = gr.CheckboxGroup(["id", "en"], label="Languages", elem_id="qa-langs")
                    gr.Markdown("Articles with no known date are left out when a date is set.")
                if examples := example_questions(assistant):
                    gr.Examples(examples, inputs=question, label="Examples")
                new_chat = gr.Button("New conversation", size="sm")
            with gr.Column(scale=2):
                with gr.Tab("Sources"):
                    sources = gr.HTML(elem_id="qa-sources")
                    pick = gr.Radio(label="Open a source", choices=[], elem_id="qa-pick")
                    mark = gr.Button("This passage answers the question", size="sm", elem_id="qa-mark")
                    article = gr.HTML(elem_id="qa-article")
                    with gr.Row():
                        download_md = gr.DownloadButton("Download answer (Markdown)", visible=False, size="sm",
                                                        elem_id="qa-download-md")
                        download_json = gr.DownloadButton("Download answer (JSON)", visible=False, size="sm",
                                                          elem_id="qa-download-json")
                with gr.Tab("Articles"):
                    table = gr.Dataframe(headers=TABLE_HEADERS, value=_documents_table(assistant), interactive=False,
                                         wrap=True, column_widths=["38%", "16%", "12%", "7%", "8%", "19%"],
                                         elem_id="qa-articles")
                with gr.Tab("Add articles"):
                    files = gr.File(file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES),
                                    label=f"Articles (.txt .md .html .jsonl, up to {settings.max_upload_files} "
                                          f"files of {settings.max_upload_mb} MB)", elem_id="qa-files")
                    add_button = gr.Button("Add to index", elem_id="qa-add")
                    upload_report = gr.Markdown(elem_id="qa-upload-report")
                with gr.Tab("Settings"):
                    top_k = gr.Slider(1, 10, value=settings.top_k, step=1, label="Passages")
                    mode = gr.Radio(["hybrid", "dense", "bm25"], value=settings.retriever, label="Retrieval")

        def respond(text, history, k, retrieval, since_day, until_day, sources, languages, shown_answers):
            history = list(history or [])
            unchanged = tuple(gr.update() for _ in range(10))
            try:
                filters = Filters(since=(since_day or "").strip(), until=(until_day or "").strip(),
                                  sources=sources or (), langs=languages or ())
                stream = assistant.ask_stream(text or "", k=int(k), mode=retrieval, history=history, filters=filters)
                first = next(stream)
            except QAError as exc:  # an ordinary mistake: say so inline, keep everything else as it is
                yield (unchanged[0], unchanged[1], _notice(str(exc)), *unchanged[3:])
                return
            history.append({"role": "user", "content": _as_text(text)})
            history.append({"role": "assistant", "content": ""})
            draft, answer = "", None
            for item in itertools.chain([first], stream):  # a written answer streams in as the model writes
                if isinstance(item, Answer):
                    answer = item
                    break
                draft += item
                history[-1] = {"role": "assistant", "content": _as_text(draft)}
                yield (history, "", "Writing the answer from the sources...", *unchanged[3:6], [], *unchanged[7:])
            note = _searched_note(answer)
            history[-1] = {"role": "assistant", "content": _as_text(answer.text) + _provenance(answer)}
            state = _cited_state(answer)
            choices = [item["label"] for item in state]
            markdown_file, json_file = answer_files.write(answer)
            shown_answers = {**(shown_answers or {}), len(history) - 1: answer}
            yield (history, "", note, source_cards(answer), gr.update(choices=choices, value=None), "", state,
                   shown_answers, gr.update(value=markdown_file, visible=True),
                   gr.update(value=json_file, visible=True))

        outputs = [chatbot, question, notice, sources, pick, article, cited, answers, download_md, download_json]
        inputs = [question, chatbot, top_k, mode, since, until, outlets, langs, answers]
        ask_button.click(respond, inputs, outputs, api_visibility="private")
        question.submit(respond, inputs, outputs, api_visibility="private")
        new_chat.click(lambda: ([], "", "", gr.update(choices=[], value=None), "", [], {}, gr.update(visible=False),
                                gr.update(visible=False)),
                       None, [chatbot, notice, sources, pick, article, cited, answers, download_md, download_json],
                       api_visibility="private")

        def on_like(data: gr.LikeData, shown_answers):
            answer = (shown_answers or {}).get(data.index if isinstance(data.index, int) else data.index[0])
            if answer is None:
                return gr.update()
            try:
                assistant.record_feedback(answer, "up" if data.liked else "down")
            except QAError as exc:
                return _notice(str(exc))
            return "Thank you: your verdict was kept as evaluation data (`qa feedback`)."

        chatbot.like(on_like, [answers], notice, api_visibility="private")

        def mark_passage(label, state, shown_answers):
            item = next((s for s in state or [] if s["label"] == label), None)
            if item is None or not shown_answers:
                return _notice("Open a source first, then mark it.")
            answer = shown_answers[max(shown_answers)]
            try:
                assistant.record_feedback(answer, "passage", {"doc_id": item["doc_id"], "start": item["start"],
                                                              "end": item["end"]})
            except QAError as exc:
                return _notice(str(exc))
            return "Thank you: this passage was kept as the answer's evidence (`qa feedback`)."

        mark.click(mark_passage, [pick, cited, answers], notice, api_visibility="private")

        def open_source(label, state):
            item = next((s for s in state or [] if s["label"] == label), None)
            if item is None:
                return ""
            doc = assistant.document(item["doc_id"])
            if doc is None:
                return _notice(f"The article {item['doc_id']} is no longer in the index.")
            spans = [tuple(h) for h in item["highlights"]] or [(item["start"], item["end"])]
            return article_view(doc, spans, [tuple(a) for a in item["answer_spans"]])

        pick.change(open_source, [pick, cited], article, api_visibility="private").then(
            None, None, None, js=SCROLL_TO_HIGHLIGHT)

        def add_articles(paths, progress=gr.Progress()):
            if not paths:
                return _notice("Choose one or more files first."), gr.update(), None, gr.update()

            def on_progress(stage, done, total):
                progress(done / max(total, 1), desc=f"{stage} {done}/{total}")

            try:
                report = assistant.add_files(paths, progress=on_progress)
            except QAError as exc:
                return _notice(str(exc)), gr.update(), None, gr.update()
            return (upload_summary(report), _documents_table(assistant), None,
                    gr.update(choices=_outlets(assistant)))

        add_button.click(add_articles, files, [upload_report, table, files, outlets], api_visibility="private")

        def ask_api(question: str, k: int = 5, mode: str = "hybrid", since: str = "", until: str = "",
                    sources: list[str] | None = None, langs: list[str] | None = None) -> dict:
            """Answer a question with cited passages (same JSON as `qa ask --json`); optional filters:
            article dates since/until (YYYY-MM-DD), outlets, languages."""
            try:
                filters = Filters(since=since, until=until, sources=sources or (), langs=langs or ())
                return assistant.ask(question, k=int(k), mode=mode, filters=filters).to_dict()
            except QAError as exc:
                raise gr.Error(str(exc), print_exception=False) from None

        gr.api(ask_api, api_name="ask")
    return demo


def _as_text(text: str) -> str:
    """Chat bubbles render HTML, so article text and questions go in escaped: shown, never run."""
    return escape(text or "", quote=False)


def _provenance(answer: Answer) -> str:
    """Says plainly whether the answer was written from the sources (and checked) or quoted from them."""
    if answer.abstained:
        return ""
    if answer.generated:
        dropped = f"; {answer.dropped_sentences} unsupported sentence(s) removed" if answer.dropped_sentences else ""
        return f"\n\n(Written from the sources; every sentence checked against its citation{dropped}.)"
    return "\n\n(Quoted from the sources.)" if answer.quoted_instead else ""


def _searched_note(answer: Answer) -> str:
    """What was searched: the completed follow-up question and the filters, when either applies."""
    parts = []
    if answer.rewritten_question:
        parts.append(f"Searched for: *{escape(answer.rewritten_question)}*")
    parts += [escape(note) for note in answer.notes]
    others = {k: v for k, v in answer.filters.items() if k in ("sources", "langs")}
    if others:
        shown = {"sources": "outlets", "langs": "languages"}
        parts.append("Only " + "; ".join(f"{shown[k]} {escape(', '.join(v))}" for k, v in others.items()) + ".")
    return "  \n".join(parts)


def _outlets(assistant: Assistant) -> list[str]:
    try:
        return sorted({d["source"] for d in assistant.documents() if d["source"]}, key=str.casefold)
    except QAError:
        return []


class AnswerFiles:
    """Each answer as a Markdown and a JSON file, for the download buttons: in one temporary folder
    per page, made with the first answer, which holds the latest ``keep`` answers and goes with
    the process (a server that runs for months must not leave a folder per answer behind)."""

    def __init__(self, keep: int = ANSWER_FILES_KEPT):
        self.folder: Path | None = None
        self.keep, self._written, self._lock = keep, 0, threading.Lock()

    def write(self, answer: Answer) -> tuple[str, str]:
        with self._lock:  # answers are shown concurrently (the queue runs several at once)
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="newsqa-answers-"))
                weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
            self._written += 1
            number = self._written
        folder = self.folder / str(number)
        folder.mkdir()
        (folder / "answer.md").write_text(answer_markdown(answer), encoding="utf-8")
        (folder / "answer.json").write_text(answer_json(answer), encoding="utf-8")
        shutil.rmtree(self.folder / str(number - self.keep), ignore_errors=True)
        return str(folder / "answer.md"), str(folder / "answer.json")


def _notice(message: str) -> str:
    return f"**{escape(message)}**"


def upload_summary(report: UploadReport) -> str:
    """A short Markdown report: how many articles were added (the first few named), and each
    refused file with its reason."""
    lines = []
    if report.added:
        lines.append(f"Added {len(report.added)} article(s); the index now holds {report.documents_in_index}.")
        lines += [f"- {escape(display_name(title, '', doc_id))}" for doc_id, title in report.added[:ADDED_SHOWN]]
        if len(report.added) > ADDED_SHOWN:
            lines.append(f"- … and {len(report.added) - ADDED_SHOWN} more (see the Articles tab)")
    if report.problems:
        lines.append(f"Rejected {len(report.problems)} file(s):")
        lines += [f"- **{escape(Path(p.path).name)}**: {escape(p.reason)}" for p in report.problems]
    return "\n".join(lines) or "Nothing to add."


def _cited_state(answer: Answer) -> list[dict]:
    """What the page keeps about each source of the last answer, to open it later."""
    def item(label: str, p, highlights, answer_spans) -> dict:
        return {"label": f"{label} {display_name(p.title, p.source, p.doc_id)}", "doc_id": p.doc_id,
                "start": p.start, "end": p.end, "highlights": [list(h) for h in highlights],
                "answer_spans": [list(a) for a in answer_spans]}

    if answer.abstained:
        return [item(f"{i + 1}.", p, [(p.start, p.end)], []) for i, p in enumerate(answer.passages)]
    return [item(f"[{c.n}]", c.passage, c.highlights, c.answer_spans) for c in answer.citations]


def _documents_table(assistant: Assistant) -> list[list]:
    try:
        docs = assistant.documents()
    except QAError:
        return []
    return [[display_name(d["title"], d["source"], d["id"]), d["source"], d["date"], d["lang"], d["chunks"], d["id"]]
            for d in docs]


def serve(settings: Settings, index_dir: str | Path | None = None, block: bool = True) -> gr.Blocks:
    """Start the chat page. Off loopback, credentials from NEWSQA_AUTH are required."""
    auth = settings.credentials or None
    if not settings.host_is_loopback and not auth:
        raise QAError(f"Refusing to serve on {settings.host} without authentication: set NEWSQA_AUTH=user:password "
                      "(or bind to 127.0.0.1).")
    assistant = Assistant(index_dir, settings)
    assistant.documents()  # build the default index (or fail) before the page opens
    if auth:
        print(f"Authentication required: {len(auth)} user(s) from NEWSQA_AUTH.")
    print(f"News QA on http://{settings.host}:{settings.port}/ (index: {assistant.store.location})", flush=True)
    return launch(assistant, settings.host, settings.port, auth, block)


def launch(assistant: Assistant, host: str, port: int, auth=None, block: bool = True) -> gr.Blocks:
    demo = build_app(assistant)
    try:
        demo.queue(default_concurrency_limit=4).launch(
            server_name=host, server_port=port, auth=auth, css=CSS, js=CARD_CLICK_JS, show_error=False,
            prevent_thread_lock=not block,
            quiet=True, max_file_size=f"{assistant.settings.max_upload_mb}mb",
        )
    except OSError as exc:  # Gradio's message names its own variables, not ours
        raise QAError(f"Cannot serve on {host}:{port}: the port is in use or cannot be bound there. Choose another "
                      "with --port (or NEWSQA_PORT), or stop what holds it.") from exc
    return demo
