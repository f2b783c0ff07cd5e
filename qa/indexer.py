"""Write an index: documents -> chunks -> vectors -> the store (either backend).

Documents stream through in batches, so a large folder is never held in memory at once.
Vectors are reused by the hash of the exact text embedded, so re-indexing embeds only new or
changed text; a store that writes per article (PostgreSQL) skips unchanged articles entirely.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from embeddings.models import Embedder, describe
from qa.chunk import chunk_document
from qa.errors import NothingToIndex, QAError
from qa.hashing import text_hash
from qa.ingest import iter_documents
from qa.settings import Settings
from qa.stores.base import PreparedDocument, Progress, Store, StoreReader
from qa.types import Chunk, Document, IndexReport

log = logging.getLogger("qa")
CHUNKER_VERSION = 1
BATCH_DOCUMENTS = 200  # articles chunked, embedded and written together: bounds memory on large folders


def embedding_text(doc: Document, chunk: Chunk, title_prefix: bool = True) -> str:
    """What the model sees for a chunk: the title gives context the chunk may lack."""
    if title_prefix and doc.title and not chunk.text.startswith(doc.title):
        return f"{doc.title}\n{chunk.text}"
    return chunk.text


def index_manifest(embedder: Embedder, settings: Settings) -> dict:
    """What an index records about how it was built; a reader refuses an index whose model differs."""
    return {
        "model": describe(embedder),
        "chunking": {"max_chars": settings.chunk_chars, "overlap_chars": settings.chunk_overlap_chars,
                     "chunker_version": CHUNKER_VERSION, "title_prefix": settings.title_prefix},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def build_index(store: Store, embedder: Embedder, settings: Settings, paths: Iterable[str | Path] = (),
                progress: Progress | None = None, documents: Iterable[Document] | None = None,
                replace_all: bool = True) -> IndexReport:
    """Store the articles under ``paths`` (or ``documents``). ``replace_all``: the index holds
    exactly them afterwards; otherwise they are added, replacing articles with the same id.

    Raises ``NothingToIndex`` (the index left as it was) when no article can be read."""
    started = time.perf_counter()
    paths = list(paths)
    report = IndexReport(index_dir=store.location)
    previous = _previous(store, embedder)
    try:
        before = previous.document_hashes() if previous else {}
        stream = documents if documents is not None else iter_documents(paths, report.problems)
        writer = _Writer(embedder, settings, previous, report, progress, skip_unchanged=store.writes_per_document)
        store.write(writer.prepare(stream, _nothing_message(paths, report, store.location)),
                    index_manifest(embedder, settings), replace_all, keep_ids=writer.unchanged)
    finally:
        if previous is not None:
            previous.close()
    seen = writer.seen
    report.added = sorted(set(seen) - set(before))
    report.changed = sorted(i for i in seen if i in before and before[i] != seen[i])
    report.removed = sorted(set(before) - set(seen)) if replace_all else []
    _count(report, store)
    report.seconds = time.perf_counter() - started
    return report


def remove_documents(store: Store, embedder: Embedder, settings: Settings, doc_ids: Iterable[str]) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport(index_dir=store.location)
    previous = _previous(store, embedder)
    before = previous.document_hashes() if previous else {}
    if previous is not None:
        previous.close()
    report.removed = sorted(set(doc_ids) & set(before))
    if report.removed:
        store.remove(report.removed, index_manifest(embedder, settings))
    _count(report, store)
    report.seconds = time.perf_counter() - started
    return report


class _Writer:
    """Turns a stream of documents into prepared ones, batch by batch, counting as it goes."""

    def __init__(self, embedder, settings, previous: StoreReader | None, report: IndexReport,
                 progress: Progress | None, skip_unchanged: bool):
        self.embedder, self.settings, self.previous = embedder, settings, previous
        self.report, self.progress, self.skip_unchanged = report, progress, skip_unchanged
        self.seen: dict[str, str] = {}  # document id -> content hash
        self.unchanged: set[str] = set()
        self._before = previous.document_hashes() if previous else {}

    def prepare(self, documents: Iterable[Document], nothing_message) -> Iterator[PreparedDocument]:
        batch: list[Document] = []
        for doc in documents:
            self.seen[doc.id] = text_hash(doc.text)
            if self.skip_unchanged and self._unchanged(doc):
                self.unchanged.add(doc.id)
                continue
            batch.append(doc)
            if len(batch) >= BATCH_DOCUMENTS:
                yield from self._prepared(batch)
                batch = []
        if batch:
            yield from self._prepared(batch)
        if not self.seen:
            raise NothingToIndex(nothing_message(), self.report.problems)

    def _unchanged(self, doc: Document) -> bool:
        if self._before.get(doc.id) != self.seen[doc.id]:
            return False
        stored = self.previous.document_meta(doc.id)
        return all(stored.get(key, "") == getattr(doc, key)
                   for key in ("title", "source", "dateline", "date", "url", "lang", "path"))

    def _prepared(self, docs: list[Document]) -> list[PreparedDocument]:
        s = self.settings
        chunks = [chunk_document(doc, s.chunk_chars, s.chunk_overlap_chars) for doc in docs]
        texts = [[embedding_text(doc, c, s.title_prefix) for c in cs] for doc, cs in zip(docs, chunks)]
        hashes = [[text_hash(t) for t in ts] for ts in texts]
        flat_texts = [t for ts in texts for t in ts]
        flat_hashes = [h for hs in hashes for h in hs]
        vectors = self._vectors(flat_texts, flat_hashes)
        prepared, at = [], 0
        for doc, cs, hs in zip(docs, chunks, hashes):
            prepared.append(PreparedDocument(doc, cs, hs, vectors[at: at + len(cs)]))
            at += len(cs)
        if self.progress:
            self.progress("indexed", len(self.seen), 0)
        return prepared

    def _vectors(self, texts: list[str], hashes: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        known = self.previous.stored_vectors(hashes) if self.previous is not None else {}
        todo = []
        for i, digest in enumerate(hashes):
            if digest in known:
                vectors[i] = known[digest]
            else:
                todo.append(i)
        self.report.reused_chunks += len(texts) - len(todo)
        if todo:
            callback = (lambda done, total: self.progress("embedding", done, total)) if self.progress else None
            started = time.perf_counter()
            vectors[todo] = self.embedder.embed_passages([texts[i] for i in todo], self.settings.batch_size, callback)
            timings = self.report.timings
            timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - started
        self.report.embedded_chunks += len(todo)
        return vectors


def _count(report: IndexReport, store: Store) -> None:
    """What the index holds after the run (one read of the store's counts)."""
    stats = store.stats()
    report.documents, report.chunks = stats["documents"], stats["chunks"]


def _nothing_message(paths: list, report: IndexReport, location: str):
    def message() -> str:
        problems = report.problems
        shown = ", ".join(str(p) for p in paths) or "(no paths given)"
        lines = [f"No article could be read from {shown}; the index in {location} was left as it was."]
        lines += [f"  skipped {p}" for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"  ... and {len(problems) - 20} more")
        if not problems:
            lines.append("  (no .txt, .md, .html or .jsonl files were found there)")
        lines.append("Point `qa index` at files or folders of .txt, .md, .html or .jsonl articles.")
        return "\n".join(lines)
    return message


def _previous(store: Store, embedder: Embedder) -> StoreReader | None:
    """The current index, if it can seed this build (same model); otherwise start afresh."""
    try:
        return store.open_reader(embedder.fingerprint, embedder.name)
    except QAError as exc:
        if store.generation() is not None:
            log.warning("Not reusing the existing index: %s", exc)
        return None
