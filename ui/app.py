"""The chat page (Gradio). Thin: every action calls the public ``qa`` API."""

from __future__ import annotations

import ipaddress
import shutil
import tempfile
from pathlib import Path

import gradio as gr

from qa.assistant import Assistant
from qa.conversation import rewrite_followup
from qa.errors import QAError
from qa.ingest import SUPPORTED_SUFFIXES, read_file
from qa.settings import Settings
from qa.types import Answer, Problem
from ui.render import CARD_CLICK_JS, CSS, article_view, display_name, source_cards

EXAMPLES = [
    "When did Lavrov visit Pyongyang?",
    "Kapan Lavrov mengunjungi Pyongyang?",
    "How many containers did North Korea send to Russia?",
    "Siapa yang menemani Kim Jong Un ke pameran pertahanan?",
    "What did Lavrov say about Taiwan?",
]
SCROLL_TO_HIGHLIGHT = ("() => { setTimeout(() => { const el = document.getElementById('qa-first-hl');"
                       " if (el) el.scrollIntoView({block: 'center'}); }, 200); }")


def build_app(assistant: Assistant) -> gr.Blocks:
    settings = assistant.settings
    with gr.Blocks(title="News QA: cited answers from your articles", fill_width=True) as demo:
        gr.Markdown("## News QA\nAsk in English or Indonesian. Every answer cites the passages it comes from.")
        cited = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=460, render_markdown=False, sanitize_html=True,
                                     elem_id="qa-chat")
                searched = gr.Markdown(elem_id="qa-searched")
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=6,
                                          elem_id="qa-question", max_lines=3)
                    ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                gr.Examples(EXAMPLES, inputs=question, label="Examples")
                new_chat = gr.Button("New conversation", size="sm")
            with gr.Column(scale=2):
                with gr.Tab("Sources"):
                    sources = gr.HTML(elem_id="qa-sources")
                    pick = gr.Radio(label="Open a source", choices=[], elem_id="qa-pick")
                    article = gr.HTML(elem_id="qa-article")
                with gr.Tab("Articles"):
                    table = gr.Dataframe(headers=["id", "title", "source", "date", "lang", "chunks"],
                                         value=_documents_table(assistant), interactive=False, wrap=True)
                with gr.Tab("Add articles"):
                    files = gr.File(file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES),
                                    label=f"Articles (.txt .md .html .jsonl, up to {settings.max_upload_files} "
                                          f"files of {settings.max_upload_mb} MB)", elem_id="qa-files")
                    add_button = gr.Button("Add to index", elem_id="qa-add")
                    upload_report = gr.Markdown(elem_id="qa-upload-report")
                with gr.Tab("Settings"):
                    top_k = gr.Slider(1, 10, value=settings.top_k, step=1, label="Passages")
                    mode = gr.Radio(["hybrid", "dense", "bm25"], value=settings.retriever, label="Retrieval")

        def respond(text, history, k, retrieval):
            history = list(history or [])
            if not (text or "").strip():
                raise gr.Error("Type a question about the articles.")
            earlier = [_message_text(m) for m in history if m.get("role") == "user"]
            rewritten = rewrite_followup(text, earlier)
            try:
                answer = assistant.ask(text, k=int(k), mode=retrieval, rewritten=rewritten)
            except QAError as exc:
                raise gr.Error(str(exc)) from exc
            history.append({"role": "user", "content": text})
            history.append({"role": "assistant", "content": ""})
            note = f"Searched for: *{rewritten}*" if rewritten != text else ""
            words = answer.text.split(" ")
            step = max(1, len(words) // 8)
            for end in range(step, len(words), step):  # stream the answer in
                history[-1] = {"role": "assistant", "content": " ".join(words[:end])}
                yield history, "", note, gr.update(), gr.update(), gr.update(), []
            history[-1] = {"role": "assistant", "content": answer.text}
            state = _cited_state(answer)
            choices = [item["label"] for item in state]
            yield (history, "", note, source_cards(answer), gr.update(choices=choices, value=None), "", state)

        outputs = [chatbot, question, searched, sources, pick, article, cited]
        ask_button.click(respond, [question, chatbot, top_k, mode], outputs, api_visibility="private")
        question.submit(respond, [question, chatbot, top_k, mode], outputs, api_visibility="private")
        new_chat.click(lambda: ([], "", "", gr.update(choices=[], value=None), "", []),
                       None, [chatbot, searched, sources, pick, article, cited], api_visibility="private")

        def open_source(label, state):
            item = next((s for s in state or [] if s["label"] == label), None)
            if item is None:
                return ""
            doc = assistant.document(item["doc_id"])
            if doc is None:
                raise gr.Error(f"The article {item['doc_id']} is no longer in the index.")
            spans = [tuple(h) for h in item["highlights"]] or [(item["start"], item["end"])]
            return article_view(doc, spans, [tuple(a) for a in item["answer_spans"]])

        pick.change(open_source, [pick, cited], article, api_visibility="private").then(
            None, None, None, js=SCROLL_TO_HIGHLIGHT)

        def add_articles(paths, progress=gr.Progress()):
            report = upload(assistant, paths or [], progress)
            return report, _documents_table(assistant), None

        add_button.click(add_articles, files, [upload_report, table, files], api_visibility="private")

        def ask_api(question: str, k: int = 5, mode: str = "hybrid") -> dict:
            """Answer a question with cited passages (same JSON as `qa ask --json`)."""
            try:
                return assistant.ask(question, k=int(k), mode=mode).to_dict()
            except QAError as exc:
                raise gr.Error(str(exc)) from exc

        gr.api(ask_api, api_name="ask")
    return demo


def _message_text(message: dict) -> str:
    """Gradio gives message content as a string or as a list of typed parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


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
    return [[d["id"], d["title"], d["source"], d["date"], d["lang"], d["chunks"]] for d in docs]


def upload(assistant: Assistant, paths: list[str], progress=None) -> str:
    """Check uploaded files (count, size, type, content) and add the good ones to the index.

    File names are never used as paths: each file is copied under a sanitised name into a
    private temporary folder before it is read.
    """
    settings = assistant.settings
    if not paths:
        return "Choose one or more files first."
    problems: list[Problem] = []
    if len(paths) > settings.max_upload_files:
        problems += [Problem(Path(p).name, f"over the limit of {settings.max_upload_files} files per upload")
                     for p in paths[settings.max_upload_files:]]
        paths = paths[: settings.max_upload_files]
    documents = []
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        for raw in paths:
            source = Path(raw)
            name = safe_filename(source.name)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                problems.append(Problem(name, f"type not allowed (use {', '.join(sorted(SUPPORTED_SUFFIXES))})"))
                continue
            if source.stat().st_size > settings.max_upload_mb * 2**20:
                problems.append(Problem(name, f"larger than {settings.max_upload_mb} MB"))
                continue
            target = Path(tmp) / name
            shutil.copyfile(source, target)
            documents += read_file(target, problems)
        report = None
        if documents:
            def on_progress(stage, done, total):
                if progress is not None:
                    progress(done / max(total, 1), desc=f"{stage} {done}/{total}")

            try:
                report = assistant.add_documents(documents, progress=on_progress)
            except QAError as exc:
                raise gr.Error(str(exc)) from exc
    lines = []
    if documents:
        lines.append(f"Added {len(documents)} article(s): {', '.join(d.id for d in documents)}. "
                     f"The index now holds {report.documents} articles.")
    lines += [f"- Rejected **{Path(p.path).name}**: {p.reason}" for p in problems]
    return "\n".join(lines) or "Nothing to add."


def safe_filename(name: str) -> str:
    """A file name without folders, traversal or odd characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base).lstrip(".")
    return cleaned[:120] or "upload.txt"


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(raw: str) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        user, sep, password = item.partition(":")
        if not sep or not user or not password:
            raise QAError("NEWSQA_AUTH must be 'user:password' pairs separated by commas.")
        pairs.append((user, password))
    return pairs


def serve(settings: Settings, index_dir: str | Path | None = None, block: bool = True) -> gr.Blocks:
    """Start the chat page. Off loopback, credentials from NEWSQA_AUTH are required."""
    auth = parse_auth(settings.auth) if settings.auth else None
    if not is_loopback(settings.host) and not auth:
        raise QAError(f"Refusing to serve on {settings.host} without authentication: set NEWSQA_AUTH=user:password "
                      "(or bind to 127.0.0.1).")
    assistant = Assistant(index_dir, settings)
    assistant.documents()  # build the default index (or fail) before the page opens
    if auth:
        print(f"Authentication required: {len(auth)} user(s) from NEWSQA_AUTH.")
    print(f"News QA on http://{settings.host}:{settings.port}/ (index: {assistant.index_dir})", flush=True)
    return launch(assistant, settings.host, settings.port, auth, block)


def launch(assistant: Assistant, host: str, port: int, auth=None, block: bool = True) -> gr.Blocks:
    demo = build_app(assistant)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, auth=auth, css=CSS, js=CARD_CLICK_JS, show_error=False,
        prevent_thread_lock=not block,
        quiet=True, max_file_size=f"{assistant.settings.max_upload_mb}mb",
    )
    return demo
