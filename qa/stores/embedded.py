"""The embedded store (the default): a folder of versions and a ``CURRENT`` pointer, each version a folder of
plain files (SQLite for texts and metadata, ``.npy`` vectors, a FAISS file, BM25 arrays) with a
``manifest.json`` that records the model, chunking, per-document content hashes and the
checksum of every file. No pickle anywhere.

Writers build a complete new version beside the old one and then replace ``CURRENT``
atomically, so an interrupted build leaves the previous index intact and readers never see a
half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings.vector_index import (
    build_faiss_index,
    choose_index_type,
    load_faiss_index,
    save_faiss_index,
)
from embeddings.vector_index import search as vector_search
from qa.errors import IndexCorrupt, IndexMismatch, IndexNotFound, mapped
from qa.filters import Filters, article_day
from qa.hashing import file_sha256, text_hash
from qa.lexical import LexicalIndex
from qa.stores.base import PreparedDocument, Store, StoredChunk, StoreReader
from qa.types import Chunk, Document

FORMAT = "newsqa-index"
FORMAT_VERSION = 1
POINTER = "CURRENT"
MANIFEST = "manifest.json"
DB_FILE, VECTORS_FILE, FAISS_FILE, BM25_DIR = "store.sqlite", "vectors.npy", "faiss.index", "bm25"
_SCHEMA = """
CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT, source TEXT, dateline TEXT, date TEXT,
                        url TEXT, lang TEXT, path TEXT, text TEXT, content_hash TEXT, n_chunks INTEGER);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, doc_id TEXT, start INTEGER, "end" INTEGER,
                     text TEXT, embed_hash TEXT);
CREATE INDEX chunks_doc ON chunks(doc_id);
"""
REBUILD_HINT = "Rebuild it with `qa index PATH... --index {dir}` (or delete the folder)."


def current_version(index_dir: Path) -> Path | None:
    pointer = Path(index_dir) / POINTER
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable():
        raise IndexCorrupt(f"{pointer} is damaged. " + REBUILD_HINT.format(dir=index_dir))
    return Path(index_dir) / name


def new_version_dir(index_dir: Path) -> Path:
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return Path(tempfile.mkdtemp(prefix=f".building-{stamp}-{os.getpid()}-", dir=index_dir))


def publish_version(index_dir: Path, built: Path) -> Path:
    """Make ``built`` the current version atomically, then remove stale versions."""
    index_dir = Path(index_dir)
    final = index_dir / built.name.replace(".building-", "v-", 1)
    built.chmod(0o755)  # mkdtemp makes it private; readers may run as another user
    os.replace(built, final)
    tmp_pointer = index_dir / f".{POINTER}.{os.getpid()}.tmp"
    tmp_pointer.write_text(final.name)
    with open(tmp_pointer, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp_pointer, index_dir / POINTER)
    _remove_stale(index_dir, keep={final.name})
    return final


def _remove_stale(index_dir: Path, keep: set[str]) -> None:
    """Drop old versions and abandoned builds, keeping the newest previous version for
    readers that may still be loading it."""
    versions = sorted((p for p in index_dir.glob("v-*") if p.is_dir() and p.name not in keep),
                      key=lambda p: p.stat().st_mtime)
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    for abandoned in index_dir.glob(".building-*"):
        if _builder_gone(abandoned.name):
            shutil.rmtree(abandoned, ignore_errors=True)


def _builder_gone(name: str) -> bool:
    """Whether the process that started this build folder (pid in its name) has died."""
    parts = name.split("-")
    try:
        pid = int(parts[2])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def write_version(folder: Path, docs: list[Document], chunks: list[Chunk], embed_hashes: list[str],
                  vectors: np.ndarray, manifest: dict) -> None:
    """Write texts, vectors and manifest into ``folder`` (the FAISS and BM25 files are
    written by the caller first; their checksums are taken here)."""
    per_doc = {}
    for chunk in chunks:
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
    db = sqlite3.connect(folder / DB_FILE)
    with db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(d.id, d.title, d.source, d.dateline, d.date, d.url, d.lang, d.path, d.text,
              text_hash(d.text), per_doc.get(d.id, 0)) for d in docs],
        )
        db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                       [(i, c.doc_id, c.start, c.end, c.text, h)
                        for i, (c, h) in enumerate(zip(chunks, embed_hashes))])
    db.close()
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, np.float32), allow_pickle=False)
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files[str(path.relative_to(folder))] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    manifest = {**manifest, "format": FORMAT, "format_version": FORMAT_VERSION, "files": files,
                "documents": {d.id: text_hash(d.text) for d in docs},
                "counts": {"documents": len(docs), "chunks": len(chunks)}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))


def read_manifest(version: Path, index_dir: Path) -> dict:
    try:
        manifest = json.loads((version / MANIFEST).read_text())
    except FileNotFoundError:
        raise IndexCorrupt(f"{version / MANIFEST} is missing. " + REBUILD_HINT.format(dir=index_dir)) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexCorrupt(f"{version / MANIFEST} is not valid JSON. " + REBUILD_HINT.format(dir=index_dir)) from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index in {index_dir} has format {manifest.get('format')!r} version "
            f"{manifest.get('format_version')!r}; this version of newsqa reads version {FORMAT_VERSION}. "
            + REBUILD_HINT.format(dir=index_dir))
    return manifest


def verify_files(version: Path, manifest: dict, index_dir: Path) -> None:
    """Every file the manifest lists exists with its size and checksum; nothing else is loaded."""
    for name, meta in manifest.get("files", {}).items():
        path = version / name
        if not path.is_file():
            raise IndexCorrupt(f"Index file {path} is missing. " + REBUILD_HINT.format(dir=index_dir))
        if path.stat().st_size != meta["bytes"] or file_sha256(path) != meta["sha256"]:
            raise IndexCorrupt(f"Index file {path} is truncated or altered (checksum mismatch). "
                               + REBUILD_HINT.format(dir=index_dir))


def check_model(manifest: dict, fingerprint: str, model_name: str, index_dir: Path) -> None:
    built = manifest.get("model", {})
    if built.get("fingerprint") != fingerprint:
        raise IndexMismatch(
            f"The index in {index_dir} was built with the embedding model {built.get('name')!r} "
            f"({built.get('fingerprint')}), but the configured model is {model_name!r} ({fingerprint}). "
            f"Set NEWSQA_MODEL to the model it was built with, or rebuild the index with "
            f"`qa index PATH... --index {index_dir}`.")


# numpy reads an .npy header with ast.literal_eval, and CPython 3.11's parser is not safe to call
# from two threads at once (SystemError "AST constructor recursion depth mismatch"): loads take turns.
ARRAY_LOAD_LOCK = threading.Lock()


class EmbeddedStore(Store):
    """An index folder. Every write publishes a complete new version (vectors of unchanged
    chunks are copied, never re-embedded); readers keep the version they opened."""

    def __init__(self, index_dir: Path, settings_index_type: str = "auto"):
        self.index_dir = Path(index_dir)
        self.location = str(self.index_dir)
        self.index_type = settings_index_type

    def generation(self) -> str | None:
        version = current_version(self.index_dir)
        return None if version is None else version.name

    def stats(self) -> dict:
        version = current_version(self.index_dir)
        if version is None:
            return {"documents": 0, "chunks": 0}
        counts = read_manifest(version, self.index_dir).get("counts", {})
        return {"documents": counts.get("documents", 0), "chunks": counts.get("chunks", 0)}

    def open_reader(self, fingerprint: str | None = None, model_name: str = "") -> IndexStore:
        return IndexStore.open(self.index_dir, fingerprint, model_name)

    def write(self, documents: Iterable[PreparedDocument], manifest: dict, replace_all: bool,
              keep_ids: Iterable[str] = ()) -> None:
        new = list(documents)  # a full version is built from everything at once
        self._publish(new, manifest, keep=None if replace_all else set(), drop={p.document.id for p in new})

    def remove(self, doc_ids: Iterable[str], manifest: dict) -> None:
        self._publish([], manifest, keep=set(), drop=set(doc_ids))

    def _publish(self, new: list[PreparedDocument], manifest: dict, keep: set | None, drop: set[str]) -> None:
        """A new version holding ``new`` plus, unless ``keep`` is None, the current documents
        not in ``drop``."""
        carried = [] if keep is None else self._carried_over(manifest, drop)
        prepared = carried + new
        docs = [p.document for p in prepared]
        chunks = [c for p in prepared for c in p.chunks]
        hashes = [h for p in prepared for h in p.embed_hashes]
        dimension = manifest["model"]["dimension"]
        vectors = (np.concatenate([p.vectors for p in prepared]) if chunks
                   else np.zeros((0, dimension), np.float32))
        folder = new_version_dir(self.index_dir)
        try:
            with mapped():
                index_type = choose_index_type(len(chunks), self.index_type)
                save_faiss_index(build_faiss_index(vectors, index_type), folder / FAISS_FILE)
            LexicalIndex.build([c.text for c in chunks]).save(folder / BM25_DIR)
            write_version(folder, docs, chunks, hashes, vectors, {**manifest, "index_type": index_type})
            publish_version(self.index_dir, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _carried_over(self, manifest: dict, drop: set[str]) -> list[PreparedDocument]:
        """The current version's documents not in ``drop``, with their stored chunks and vectors."""
        if current_version(self.index_dir) is None:
            return []
        reader = IndexStore.open(self.index_dir, manifest["model"]["fingerprint"], manifest["model"]["name"])
        try:
            return reader.prepared_documents(exclude=drop)
        finally:
            reader.close()


class IndexStore(StoreReader):
    """A loaded, verified index version. Texts stay in SQLite and are read per query."""

    def __init__(self, index_dir: Path, version: Path, manifest: dict):
        self.index_dir, self.version, self.manifest = Path(index_dir), version, manifest
        with mapped():
            self.faiss = load_faiss_index(version / FAISS_FILE)
        uri = f"file:{(version / DB_FILE).resolve()}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._doc_meta = {row[0]: row for row in self._query(
            "SELECT id, title, source, dateline, date, url, lang, path, n_chunks FROM documents")}
        if self.faiss.ntotal != manifest["counts"]["chunks"]:
            raise IndexCorrupt(f"The vector index in {version} does not match its chunks. "
                               + REBUILD_HINT.format(dir=index_dir))
        self._bm25 = None
        self._vectors = None
        self.allowed_rows = lru_cache(maxsize=32)(self._allowed_rows)

    @classmethod
    def open(cls, index_dir: Path, fingerprint: str | None = None, model_name: str = "") -> IndexStore:
        index_dir = Path(index_dir)
        version = current_version(index_dir)
        if version is None:
            raise IndexNotFound(f"No index in {index_dir}. Build one with `qa index PATH... --index {index_dir}`.")
        if not version.is_dir():
            raise IndexCorrupt(f"The current index version {version} is missing. " + REBUILD_HINT.format(dir=index_dir))
        manifest = read_manifest(version, index_dir)
        if fingerprint is not None:
            check_model(manifest, fingerprint, model_name, index_dir)
        verify_files(version, manifest, index_dir)
        try:
            return cls(index_dir, version, manifest)
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"{version / DB_FILE} cannot be read ({exc}). "
                               + REBUILD_HINT.format(dir=index_dir)) from exc

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @property
    def n_chunks(self) -> int:
        return self.faiss.ntotal

    @property
    def bm25(self) -> LexicalIndex:
        if self._bm25 is None:
            with ARRAY_LOAD_LOCK:
                if self._bm25 is None:
                    self._bm25 = LexicalIndex.load(self.version / BM25_DIR)
        return self._bm25

    @property
    def vocabulary(self):
        return self.bm25.vocab

    def dense_search(self, query: np.ndarray, k: int, filters: Filters | None = None):
        if filters is None or not filters.active:
            return vector_search(self.faiss, query, k)
        rows = self.allowed_rows(filters)  # exact search over the admitted chunks
        if not len(rows):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.vectors_of(rows.tolist()) @ np.asarray(query, np.float32).reshape(-1)
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top].astype(np.float32), rows[top]

    def lexical_search(self, tokens: list[str], k: int, expand: bool = False, filters: Filters | None = None):
        allowed = self.allowed_rows(filters) if filters is not None and filters.active else None
        return self.bm25.search(tokens, k, expand=expand, allowed=allowed)

    def newest_day(self) -> str | None:
        days = [d for d in (article_day(meta[4]) for meta in self._doc_meta.values()) if d]
        return max(days) if days else None

    def count_documents(self, filters: Filters | None = None) -> int:
        if filters is None or not filters.active:
            return len(self._doc_meta)
        return sum(filters.admits(date=m[4], source=m[2], lang=m[6], doc_id=i) for i, m in self._doc_meta.items())

    def _allowed_rows(self, filters: Filters) -> np.ndarray:
        ids = [doc_id for doc_id, meta in self._doc_meta.items()
               if filters.admits(date=meta[4], source=meta[2], lang=meta[6], doc_id=doc_id)]
        if not ids:
            return np.zeros(0, np.int64)
        marks = ",".join("?" * len(ids))
        rows = self._query(f"SELECT row FROM chunks WHERE doc_id IN ({marks}) ORDER BY row", tuple(ids))
        return np.array([r[0] for r in rows], np.int64)

    def chunks(self, rows: list[int]) -> list[StoredChunk]:
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        found = {r[0]: StoredChunk(*r) for r in self._query(
            f'SELECT row, doc_id, start, "end", text FROM chunks WHERE row IN ({marks})', tuple(int(r) for r in rows))}
        return [found[r] for r in rows if r in found]

    def document(self, doc_id: str) -> Document | None:
        rows = self._query("SELECT id, text, title, source, dateline, date, url, lang, path "
                           "FROM documents WHERE id = ?", (doc_id,))
        return Document(*rows[0]) if rows else None

    def document_meta(self, doc_id: str) -> dict:
        row = self._doc_meta.get(doc_id)
        keys = ("id", "title", "source", "dateline", "date", "url", "lang", "path", "chunks")
        return dict(zip(keys, row)) if row else {}

    def documents(self) -> list[dict]:
        return [self.document_meta(doc_id) for doc_id in sorted(self._doc_meta)]

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            with ARRAY_LOAD_LOCK:
                if self._vectors is None:
                    self._vectors = np.load(self.version / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        return self._vectors

    def vectors_of(self, rows: list[int]) -> np.ndarray:
        return np.asarray(self.vectors()[np.asarray(rows, np.int64)], np.float32)

    def stored_vectors(self, embed_hashes: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = set(embed_hashes)
        found = {h: row for row, h in self._query("SELECT row, embed_hash FROM chunks") if h in wanted}
        vectors = self.vectors()
        return {h: np.asarray(vectors[row], np.float32) for h, row in found.items()}

    def prepared_documents(self, exclude: set[str]) -> list[PreparedDocument]:
        """Every stored document not in ``exclude``, with its chunks and vectors (for a new version)."""
        by_doc: dict[str, list[tuple]] = {}
        for row in self._query('SELECT row, doc_id, start, "end", text, embed_hash FROM chunks ORDER BY row'):
            if row[1] not in exclude:
                by_doc.setdefault(row[1], []).append(row)
        vectors, prepared = self.vectors(), []
        for doc_id in sorted(set(self._doc_meta) - exclude):
            rows = by_doc.get(doc_id, [])
            prepared.append(PreparedDocument(
                self.document(doc_id), [Chunk(r[1], r[2], r[3], r[4]) for r in rows], [r[5] for r in rows],
                np.asarray(vectors[[r[0] for r in rows]], np.float32).reshape(len(rows), vectors.shape[1])))
        return prepared

    def close(self) -> None:
        with self._lock:
            self._db.close()
