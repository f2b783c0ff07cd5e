"""The public entry point: an ``Assistant`` holds a loaded index and answers questions."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from embeddings.models import Embedder, load_embedder
from qa.answer import compose_answer
from qa.errors import IndexNotFound, InvalidQuestion
from qa.extract import known_to
from qa.indexer import Progress, build_index
from qa.retrieve import HybridParams, Retriever, check_mode
from qa.settings import Settings
from qa.store import IndexStore, current_version
from qa.types import Answer, Document, IndexReport, Passage

log = logging.getLogger("qa")


class Assistant:
    """Question answering over one index folder.

    >>> assistant = Assistant()                 # default index; built from seeds/ if missing
    >>> answer = assistant.ask("When did Lavrov visit Pyongyang?")
    >>> print(answer.text); answer.citations[0].passage.doc_id

    Safe to share between threads: a rebuild of the index by another process or thread is
    picked up on the next question, and readers never see a half-written index.
    """

    def __init__(self, index_dir: str | Path | None = None, settings: Settings | None = None,
                 embedder: Embedder | None = None, build_default: bool = True):
        self.settings = settings or Settings.from_env()
        self.index_dir = Path(index_dir) if index_dir else self.settings.resolved_index_dir
        self._embedder = embedder
        self._build_default = build_default and index_dir is None
        self._lock = threading.RLock()
        self._store: IndexStore | None = None
        self._retriever: Retriever | None = None
        self._version: Path | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.model, self.settings.model_cache_dir,
                                           self.settings.device, self.settings.quantize)
        return self._embedder

    # -- indexing ------------------------------------------------------------------------
    def index(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IndexReport:
        """Index files and folders (replacing what the index held); unchanged text is not re-embedded."""
        with self._lock:
            report = build_index(paths, self.embedder, self.settings, self.index_dir, progress)
            self._refresh(force=True)
            return report

    def add_documents(self, documents: list[Document], progress: Progress | None = None) -> IndexReport:
        """Add (or replace, by id) documents while keeping everything already indexed."""
        with self._lock:
            existing = []
            if current_version(self.index_dir) is not None:
                store = self.store
                new_ids = {d.id for d in documents}
                existing = [store.document(m["id"]) for m in store.documents() if m["id"] not in new_ids]
            report = build_index([], self.embedder, self.settings, self.index_dir, progress,
                                 documents=existing + list(documents))
            self._refresh(force=True)
            return report

    # -- reading -------------------------------------------------------------------------
    @property
    def store(self) -> IndexStore:
        self._refresh()
        return self._store

    def _refresh(self, force: bool = False) -> None:
        with self._lock:
            version = current_version(self.index_dir)
            if version is None and self._build_default:
                log.info("No index yet in %s: indexing the bundled seed articles.", self.index_dir)
                build_index([self.settings.seeds_dir], self.embedder, self.settings, self.index_dir)
                version = current_version(self.index_dir)
            if version is None:
                raise IndexNotFound(f"No index in {self.index_dir}. Build one with "
                                    f"`qa index PATH... --index {self.index_dir}`.")
            if force or version != self._version or self._store is None:
                store = IndexStore.open(self.index_dir, self.embedder.fingerprint, self.embedder.name)
                old, self._store, self._version = self._store, store, version
                params = HybridParams(self.settings.lexical_weight, self.settings.answer_type_weight,
                                      self.settings.diversity_penalty, self.settings.fusion)
                self._retriever = Retriever(store, self.embedder, params)
                if old is not None:
                    old.close()

    def retrieve(self, question: str, k: int | None = None, mode: str | None = None) -> list[Passage]:
        """Ranked passages for ``question`` (best first)."""
        question = clean_question(question, self.settings.max_question_chars)
        mode = check_mode(mode or self.settings.retriever)
        k = self.settings.top_k if k is None else max(1, int(k))
        with self._lock:
            self._refresh()
            retriever = self._retriever
        return retriever.search(question, k, mode)

    def ask(self, question: str, k: int | None = None, mode: str | None = None,
            rewritten: str = "") -> Answer:
        """Answer ``question`` with cited sentences, or abstain with the nearest passages."""
        question = clean_question(question, self.settings.max_question_chars)
        query = rewritten or question
        passages = self.retrieve(query, max(k or self.settings.top_k, 5), mode)
        store = self._store
        answer = compose_answer(question, passages, lambda doc_id: _doc_text(store, doc_id), rewritten,
                                in_corpus=lambda term: known_to(term, store.bm25.vocab))
        answer.passages = answer.passages[: (k or self.settings.top_k)]
        return answer

    def documents(self) -> list[dict]:
        """Metadata of every indexed article (id, title, source, dateline, date, lang, chunks)."""
        return self.store.documents()

    def document(self, doc_id: str) -> Document | None:
        return self.store.document(doc_id)


def _doc_text(store: IndexStore, doc_id: str) -> str:
    doc = store.document(doc_id)
    return doc.text if doc else ""


def clean_question(question: str, max_chars: int = 2000) -> str:
    """Strip control characters and surrounding space; refuse what cannot be a question."""
    if not isinstance(question, str):
        raise InvalidQuestion("The question must be text.")
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InvalidQuestion("The question is empty. Type a question about the articles.")
    if len(cleaned) > max_chars:
        raise InvalidQuestion(f"The question is {len(cleaned)} characters long; the limit is {max_chars}. "
                              "Ask a shorter question.")
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidQuestion("The question has no words in it. Type a question about the articles.")
    return cleaned
