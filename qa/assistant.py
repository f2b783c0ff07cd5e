"""The public entry point: an ``Assistant`` holds a loaded index and answers questions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from embeddings.models import Embedder, is_registered, load_embedder
from embeddings.parallel import ProcessPoolEmbedder
from embeddings.query_adapter import ENGLISH_ADAPTER_DIR, QueryAdapter, load_adapter
from qa.answer import Reading, Refusal, compose_answer
from qa.conversation import complete_followup
from qa.errors import IndexMismatch, IndexNotFound, ModelError, mapped
from qa.feedback import Verdict, append_feedback, feedback_record, read_feedback
from qa.filters import Filters
from qa.generation.chain import Writer
from qa.generation.models import chat_model as configured_chat_model
from qa.indexer import build_index, remove_documents
from qa.question import QuestionInfo, analyse_question, clean_question
from qa.reader.reader import Reader
from qa.reader.runtime import configured_verifier_dir, load_reader, load_refusal, load_verifier
from qa.retrieval import HybridParams, Retriever, check_mode
from qa.scope import search_scope
from qa.settings import DEFAULT_MODEL, Settings
from qa.stores import Store, StoreReader, open_store
from qa.stores.base import Progress
from qa.types import Answer, Document, Hits, IndexReport, Passage, UploadReport
from qa.uploads import read_uploads
from qa.watch import FolderWatcher

log = logging.getLogger("qa")
READER_PASSAGES = 5  # top passages the reader reads: ~1,000 tokens, within the latency budget (docs/benchmarks.md)


class _Loaded:
    """One opened view of the index and the questions currently reading it. A replaced view is
    closed only when its last reader is done, so a swap never pulls a store from under a search."""

    def __init__(self, store: StoreReader, retriever: Retriever, generation: str | None):
        self.store, self.retriever, self.generation = store, retriever, generation
        self.readers = 0
        self.retired = False

    def close_if_unused(self) -> None:
        if self.retired and self.readers == 0:
            self.store.close()


class Assistant:
    """Question answering over one index: a folder (the default) or a PostgreSQL database
    (``Settings.store``; an explicit ``index_dir`` is always a folder).

    >>> assistant = Assistant()                 # default index; built from seeds/ if missing
    >>> answer = assistant.ask("When did Lavrov visit Pyongyang?")
    >>> print(answer.text); answer.citations[0].passage.doc_id

    Safe to share between threads. Indexing embeds without blocking questions: they are answered
    from the current index until the new one is complete, and a rebuild by another process is
    picked up on the next question.
    """

    def __init__(self, index_dir: str | Path | None = None, settings: Settings | None = None,
                 embedder: Embedder | None = None, build_default: bool = True,
                 chat_model: BaseChatModel | None = None):
        self.settings = settings or Settings.from_env()
        self.store: Store = open_store(self.settings, index_dir)
        self.index_dir = Path(index_dir) if index_dir else self.settings.resolved_index_dir
        self._embedder = embedder
        self._build_default = build_default and index_dir is None
        self._lock = threading.Lock()  # guards which version is loaded; held only for swaps
        self._write_lock = threading.Lock()  # one index build at a time
        self._loaded: _Loaded | None = None
        self._reader: Reader | None = None
        self._verifier: Reader | None = None
        self._refusal: Refusal | None = None
        self._adapter: QueryAdapter | None = None
        self._warned = False
        self._default_ready = False
        self._writer = Writer(chat_model, self.settings.llm_budget_s) if chat_model is not None else None
        self._no_writer = False  # set once the settings turn out to name no model

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with mapped():
                s = self.settings
                self._embedder = load_embedder(s.model, s.model_cache_dir, s.runtime, s.precision, s.device)
                if s.embed_workers > 1:
                    self._embedder = _in_processes(self._embedder, s)
        return self._embedder

    # -- indexing ------------------------------------------------------------------------
    def index(self, paths: Iterable[str | Path], progress: Progress | None = None,
              replace: bool = True) -> IndexReport:
        """Index files and folders; unchanged text is not re-embedded. ``replace``: the index holds
        exactly the articles under ``paths`` afterwards (others, uploads included, are removed, as
        are files deleted since); ``replace=False`` adds them and keeps everything else.

        Raises ``NothingToIndex`` (the index left as it was) when no article can be read."""
        paths = [paths] if isinstance(paths, str | Path) else list(paths)
        with self._writing():
            report = build_index(self.store, self.embedder, self.settings, paths, progress, replace_all=replace)
            self._load_new_version()
            return report

    def add_documents(self, documents: Iterable[Document], progress: Progress | None = None) -> IndexReport:
        """Add (or replace, by id) documents while keeping everything already indexed. On
        PostgreSQL only their rows are written, each article in one transaction."""
        with self._writing():
            report = build_index(self.store, self.embedder, self.settings, progress=progress,
                                 documents=documents, replace_all=False)
            self._load_new_version()
            return report

    def remove_documents(self, doc_ids: Iterable[str]) -> IndexReport:
        """Delete these articles from the index (``report.removed`` lists those that were there)."""
        with self._writing():
            report = remove_documents(self.store, self.embedder, self.settings, doc_ids)
            self._load_new_version()
            return report

    def add_files(self, paths: Sequence[str | Path], progress: Progress | None = None) -> UploadReport:
        """Add uploaded files: checked for count, type, size and content; every refused file is
        reported with the reason, and the good ones are indexed."""
        documents, problems = read_uploads(paths, self.settings)
        report = UploadReport(problems=problems)
        if documents:
            built = self.add_documents(documents, progress)
            report.added = [(d.id, d.title) for d in documents]
            report.documents_in_index = built.documents
        return report

    def _load_new_version(self) -> None:
        """Open the version just published (outside the swap lock), then swap it in."""
        generation = self.store.generation()
        if generation is None:
            return
        if self._loaded is not None and self._loaded.generation == generation:
            return  # a store read in place (PostgreSQL) sees new rows without reopening
        opened = self._open(generation)
        with self._lock:
            self._swap(opened)

    @contextmanager
    def _writing(self):
        """One index write at a time; a query adapter that does not fit the embedder is refused
        before anything is embedded or written."""
        with self._write_lock:
            self._query_adapter()
            yield

    # -- reading -------------------------------------------------------------------------
    def _open(self, generation) -> _Loaded:
        """The index version ``generation`` opened for questions (the adapter checked first, so
        that a refused one leaves nothing open)."""
        s = self.settings
        adapter = self._query_adapter()
        store = self.store.open_reader(self.embedder.fingerprint, self.embedder.name)
        params = HybridParams(s.lexical_weight, s.answer_type_weight, s.diversity_penalty, s.fusion)
        return _Loaded(store, Retriever(store, self.embedder, params, adapter), generation)

    def _query_adapter(self) -> QueryAdapter | None:
        """The shipped English query adapter with ``NEWSQA_QUERY_ADAPTER=on`` (refused for an
        embedding model it was not fitted on), else None."""
        if self.settings.query_adapter == "off":
            return None
        if self._adapter is None:
            with mapped():
                adapter = load_adapter(ENGLISH_ADAPTER_DIR)
            if not adapter.applies_to(self.embedder.fingerprint):
                raise ModelError(
                    f"The query adapter in {ENGLISH_ADAPTER_DIR} was fitted for the model "
                    f"{adapter.base_fingerprint!r}, but the embedder here is {self.embedder.fingerprint!r}. "
                    "Set NEWSQA_QUERY_ADAPTER=off (with another NEWSQA_MODEL there is no adapter), or, if the "
                    "default model itself changed, refit it with `python -m training.query_adapter`.")
            self._adapter = adapter
        return self._adapter

    def _swap(self, new: _Loaded) -> None:
        old, self._loaded = self._loaded, new
        if old is not None:
            old.retired = True
            old.close_if_unused()

    @contextmanager
    def _reading(self):
        """The current index version, kept open until the caller is done with it."""
        self._ensure_index()
        with self._lock:
            generation = self.store.generation()
            if generation is None:
                raise IndexNotFound(f"No index in {self.store.location}. Build one with `qa index PATH...`.")
            if self._loaded is None or self._loaded.generation != generation:
                self._swap(self._open(generation))
            loaded = self._loaded
            loaded.readers += 1
        try:
            with loaded.store.session():
                yield loaded
        finally:
            with self._lock:
                loaded.readers -= 1
                loaded.close_if_unused()

    def _ensure_index(self) -> None:
        """The default index, ready for this model: the bundled seed articles are indexed when it
        does not exist yet, and its articles are re-embedded when another model, runtime or
        precision built it (an upgrade must not leave `make run` refusing its own index)."""
        if not self._build_default or self._default_ready:
            return
        with self._writing():
            if self.store.generation() is None:
                log.info("No index yet in %s: indexing the bundled seed articles.", self.store.location)
                build_index(self.store, self.embedder, self.settings, [self.settings.seeds_dir])
            else:
                self._reembed_for_this_model()
            self._default_ready = True

    def _reembed_for_this_model(self) -> None:
        try:
            old = self.store.open_reader()  # files verified; the model is compared here
        except IndexMismatch:  # an index of an older format: rebuilt from the articles it stores
            documents, built_with = self.store.stored_documents(), "an older index format"
        else:
            try:
                built_with = old.manifest.get("model", {}).get("fingerprint")
                if built_with == self.embedder.fingerprint:
                    return
                documents = [old.document(meta["id"]) for meta in old.documents()]
            finally:
                old.close()
        log.warning("The default index in %s was built with %s; re-embedding its %d articles with %s.",
                    self.store.location, built_with, len(documents), self.embedder.fingerprint)
        build_index(self.store, self.embedder, self.settings, documents=documents)

    def retrieve(self, question: str, k: int | None = None, mode: str | None = None,
                 filters: Filters | dict | None = None, as_of: str | None = None) -> list[Passage]:
        """Ranked passages for ``question`` (best first), only from articles ``filters`` admits
        and dated in the time the question names (see ``ask``)."""
        info = analyse_question(clean_question(question, self.settings.max_question_chars))
        mode, k = self._mode_and_k(mode, k)
        filters = Filters.of(filters)
        with self._reading() as loaded:
            scope = search_scope(info, filters, loaded.store, as_of)
            return loaded.retriever.search(scope.info, k, mode, scope.filters)

    def ask(self, question: str, k: int | None = None, mode: str | None = None,
            history: Sequence[str | dict] | None = None, filters: Filters | dict | None = None,
            as_of: str | None = None) -> Answer:
        """Answer ``question`` with cited sentences, or abstain with the nearest passages. With a
        language model (``NEWSQA_LLM``) the answer is written in the question's language and only
        sentences checked against their citations are kept (``answer.generated``).

        ``filters``: search only articles in a date range, from some outlets, in some languages
        or with some ids (``Filters``, or a dict of its fields); undated articles are left out of a
        date-filtered search. Time named in the question ("in October 2023", "sejak Juli", "tahun
        lalu") filters by article date too, unless ``filters`` sets dates; relative times are
        resolved against the newest article date in the index, or ``as_of`` (YYYY-MM-DD).
        ``answer.filters`` is what was applied; ``answer.notes`` says it in words.

        ``history``: the conversation so far, as earlier questions (strings) or chat messages
        (``{"role": "user", "content": ...}``). A question that depends on it ("And who did he
        meet there?") is completed with its names before searching; the answer's
        ``rewritten_question`` says what was searched for."""
        answer = self._extractive(question, k, mode, history, filters, as_of)
        writer = self.writer
        return answer if writer is None else writer.write(answer.question, answer, answer.lang)

    def ask_stream(self, question: str, k: int | None = None, mode: str | None = None,
                   history: Sequence[str | dict] | None = None, filters: Filters | dict | None = None,
                   as_of: str | None = None) -> Iterator[str | Answer]:
        """``ask``, with the written answer's text as it comes (strings), then the final ``Answer``.
        Without a language model, only the ``Answer``."""
        answer = self._extractive(question, k, mode, history, filters, as_of)
        writer = self.writer
        if writer is None:
            yield answer
            return
        yield from writer.stream(answer.question, answer, answer.lang)

    @property
    def writer(self) -> Writer | None:
        """What writes answers with the configured chat model (None with ``NEWSQA_LLM=off``)."""
        if self._writer is None and not self._no_writer:
            with mapped():
                model = configured_chat_model(self.settings)
            if model is None:
                self._no_writer = True
            else:
                self._writer = Writer(model, self.settings.llm_budget_s)
        return self._writer

    def _extractive(self, question, k, mode, history, filters, as_of) -> Answer:
        question = clean_question(question, self.settings.max_question_chars)
        searched = complete_followup(question, _earlier_questions(history))
        mode, k = self._mode_and_k(mode, k)
        scope, hits, reading = self._evidence(searched, k, mode, Filters.of(filters), as_of)
        answer = compose_answer(question, scope.info, hits, reading=reading)
        answer.passages = answer.passages[:k]
        answer.filters, answer.notes = scope.filters.to_dict(), scope.notes
        return answer

    def _evidence(self, searched: str, k: int, mode: str, filters: Filters, as_of: str | None,
                  with_refusal: bool = True):
        """What an answer is composed from: the search scope, the ranked passages and what the
        reader found in them (also what `training.calibrate` fits the refusal score on, without
        loading the refusal it replaces)."""
        info = analyse_question(searched)
        with self._reading() as loaded:
            scope = search_scope(info, filters, loaded.store, as_of)
            hits = loaded.retriever.hits(scope.info, max(k, 5), mode, scope.filters)
        return scope, hits, self._read(scope.info, hits, with_refusal)

    @property
    def reader(self) -> Reader | None:
        """The trained reader (loaded on first use), or None with ``NEWSQA_READER=off`` or with an
        embedding model other than the default, whose encoder the reader was not trained on."""
        if self.settings.reader == "off":
            return None
        if self.settings.model != DEFAULT_MODEL:
            if not self._warned:
                log.warning("The reader was trained on the default model's encoder; with NEWSQA_MODEL=%s "
                            "answers use the extractive rules (NEWSQA_READER=off).", self.settings.model)
                self._warned = True
            return None
        if self._reader is None:
            self._verifier = load_verifier(self.settings, configured_verifier_dir(self.settings))
            self._reader = load_reader(self.settings)
        return self._reader

    def _read(self, info: QuestionInfo, hits: Hits, with_refusal: bool = True) -> Reading | None:
        reader = self.reader
        if reader is None:
            return None
        if with_refusal and self._refusal is None:
            self._refusal = load_refusal(verifier_dir=configured_verifier_dir(self.settings))
        passages = [p.text for p in hits.passages[:READER_PASSAGES]]
        spans = reader.read(info.text, passages, limit=2 * READER_PASSAGES)
        verified = self._verifier.read(info.text, passages, limit=2 * READER_PASSAGES) if self._verifier else None
        return Reading(spans, self._refusal if with_refusal else None, verified)

    def _mode_and_k(self, mode: str | None, k: int | None) -> tuple[str, int]:
        return check_mode(mode or self.settings.retriever), self.settings.top_k if k is None else max(1, int(k))

    def watch(self, paths: Sequence[str | Path], interval: float = 1.0, stop: threading.Event | None = None,
              report: Callable[[str], None] = log.info) -> None:
        """Index ``paths``, then keep the index in step with them (new, changed and deleted files)
        until ``stop`` is set; ``report`` gets one line per change (``qa.watch``)."""
        FolderWatcher(self, paths, report).run(interval, stop)

    def record_feedback(self, answer: Answer, verdict: Verdict, passage: dict | None = None) -> dict:
        """Keep a verdict on ``answer`` as a gold line (``qa.feedback``): ``up``, ``down``, or
        ``passage`` with ``passage={"doc_id", "start", "end"}`` marking the passage that answers it.
        Appended to ``Settings.feedback_file``, which ``qa eval --gold`` reads directly."""
        def text(doc_id: str) -> str | None:
            doc = self.document(doc_id)
            return doc.text if doc else None

        record = feedback_record(answer, verdict, passage, text)
        append_feedback(self.settings.resolved_feedback_file, record)
        return record

    def feedback(self) -> list[dict]:
        """The verdicts recorded so far, oldest first."""
        return read_feedback(self.settings.resolved_feedback_file)

    def documents(self) -> list[dict]:
        """Metadata of every indexed article (id, title, source, dateline, date, lang, chunks)."""
        with self._reading() as loaded:
            return loaded.store.documents()

    def document(self, doc_id: str) -> Document | None:
        with self._reading() as loaded:
            return loaded.store.document(doc_id)


def _in_processes(embedder: Embedder, s: Settings) -> Embedder:
    """``embedder`` with ``s.embed_workers`` worker processes for bulk indexing."""
    if is_registered(s.model):
        log.warning("NEWSQA_EMBED_WORKERS=%d ignored: the model %r is a plugin registered in this process only.",
                    s.embed_workers, s.model)
        return embedder
    return ProcessPoolEmbedder(embedder, (s.model, s.model_cache_dir, s.runtime, s.precision, s.device),
                               s.embed_workers)


def _earlier_questions(history: Sequence[str | dict] | None) -> list[str]:
    """The person's earlier questions from a list of strings or of chat messages."""
    questions = []
    for item in history or []:
        if isinstance(item, str):
            questions.append(item)
        elif isinstance(item, dict) and item.get("role", "user") == "user":
            content = item.get("content")
            if isinstance(content, list):  # chat UIs give content as typed parts
                content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            if isinstance(content, str) and content.strip():
                questions.append(content)
    return questions
