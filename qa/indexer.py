"""Build or update an index: documents -> chunks -> vectors -> a new published version.

Vectors are cached by the hash of the exact text embedded, so re-indexing a folder embeds only
new or changed text and drops removed documents.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from embeddings.models import Embedder, describe
from embeddings.vector_index import build_faiss_index, choose_index_type, save_faiss_index
from qa.chunk import chunk_document
from qa.errors import NothingToIndex, QAError, mapped
from qa.hashing import text_hash
from qa.ingest import load_documents
from qa.lexical import LexicalIndex
from qa.settings import Settings
from qa.store import (
    BM25_DIR,
    FAISS_FILE,
    IndexStore,
    new_version_dir,
    publish_version,
    write_version,
)
from qa.types import Chunk, Document, IndexReport

log = logging.getLogger("qa")
CHUNKER_VERSION = 1
Progress = Callable[[str, int, int], None]


def embedding_text(doc: Document, chunk: Chunk, title_prefix: bool = True) -> str:
    """What the model sees for a chunk: the title gives context the chunk may lack."""
    if title_prefix and doc.title and not chunk.text.startswith(doc.title):
        return f"{doc.title}\n{chunk.text}"
    return chunk.text


def build_index(paths: Iterable[str | Path], embedder: Embedder, settings: Settings,
                index_dir: Path | None = None, progress: Progress | None = None,
                documents: list[Document] | None = None) -> IndexReport:
    """Index ``paths`` (files or folders) into ``index_dir``; previous vectors are reused."""
    started = clock = time.perf_counter()
    index_dir = Path(index_dir or settings.resolved_index_dir)
    report = IndexReport(index_dir=str(index_dir))

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.timings[stage] = report.timings.get(stage, 0.0) + now - clock
        clock = now

    if documents is None:
        documents, report.problems = load_documents(paths)
    if not documents:
        raise NothingToIndex(_nothing_message(paths, report.problems, index_dir), report.problems)
    previous = _previous(index_dir, embedder)
    lap("read")
    chunks, texts = [], []
    for doc in documents:
        for chunk in chunk_document(doc, settings.chunk_chars, settings.chunk_overlap_chars):
            chunks.append(chunk)
            texts.append(embedding_text(doc, chunk, settings.title_prefix))
    hashes = [text_hash(t) for t in texts]
    lap("chunk")
    vectors = _vectors(texts, hashes, previous, embedder, settings, report, progress)
    lap("embed")
    _diff(report, documents, previous)
    report.documents, report.chunks = len(documents), len(chunks)

    folder = new_version_dir(index_dir)
    try:
        with mapped():
            index_type = choose_index_type(len(chunks), settings.index_type)
            save_faiss_index(build_faiss_index(vectors, index_type), folder / FAISS_FILE)
        LexicalIndex.build(texts).save(folder / BM25_DIR)
        manifest = {
            "model": describe(embedder), "index_type": index_type,
            "chunking": {"max_chars": settings.chunk_chars, "overlap_chars": settings.chunk_overlap_chars,
                         "chunker_version": CHUNKER_VERSION, "title_prefix": settings.title_prefix},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        write_version(folder, documents, chunks, hashes, vectors, manifest)
        publish_version(index_dir, folder)
        lap("write")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if previous is not None:
            previous.close()
    report.seconds = time.perf_counter() - started
    return report


def _nothing_message(paths, problems: list, index_dir: Path) -> str:
    shown = ", ".join(str(p) for p in paths) or "(no paths given)"
    lines = [f"No article could be read from {shown}; the index in {index_dir} was left as it was."]
    lines += [f"  skipped {p}" for p in problems[:20]]
    if len(problems) > 20:
        lines.append(f"  ... and {len(problems) - 20} more")
    if not problems:
        lines.append("  (no .txt, .md, .html or .jsonl files were found there)")
    lines.append("Point `qa index` at files or folders of .txt, .md, .html or .jsonl articles.")
    return "\n".join(lines)


def _previous(index_dir: Path, embedder: Embedder) -> IndexStore | None:
    """The current index, if it can seed this build (same model); otherwise start afresh."""
    try:
        return IndexStore.open(index_dir, embedder.fingerprint, embedder.name)
    except QAError as exc:
        if (index_dir / "CURRENT").exists():
            log.warning("Not reusing the existing index: %s", exc)
        return None


def _vectors(texts: list[str], hashes: list[str], previous: IndexStore | None, embedder: Embedder,
             settings: Settings, report: IndexReport, progress: Progress | None) -> np.ndarray:
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    todo = list(range(len(texts)))
    if previous is not None:
        known = previous.embed_hash_rows()
        old = previous.vectors()
        reuse = [(i, known[h]) for i, h in enumerate(hashes) if h in known]
        if reuse:
            new_rows, old_rows = zip(*reuse)
            vectors[list(new_rows)] = old[list(old_rows)]
        reused = {i for i, _ in reuse}
        todo = [i for i in todo if i not in reused]
        report.reused_chunks = len(reuse)
    if todo:
        callback = (lambda done, total: progress("embedding", done, total)) if progress else None
        vectors[todo] = embedder.embed_passages([texts[i] for i in todo], settings.batch_size, callback)
    report.embedded_chunks = len(todo)
    return vectors


def _diff(report: IndexReport, documents: list[Document], previous: IndexStore | None) -> None:
    before = previous.manifest.get("documents", {}) if previous else {}
    now = {d.id: text_hash(d.text) for d in documents}
    report.added = sorted(set(now) - set(before))
    report.changed = sorted(i for i in now if i in before and before[i] != now[i])
    report.removed = sorted(set(before) - set(now))
