"""The index on disk: a folder of versions and a ``CURRENT`` pointer, each version a folder of
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.vector_index import load_faiss_index
from qa.errors import IndexCorrupt, IndexMismatch, IndexNotFound, mapped
from qa.hashing import file_sha256, text_hash
from qa.lexical import LexicalIndex
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


@dataclass
class StoredChunk:
    row: int
    doc_id: str
    start: int
    end: int
    text: str


# numpy reads an .npy header with ast.literal_eval, and CPython 3.11's parser is not safe to call
# from two threads at once (SystemError "AST constructor recursion depth mismatch"): loads take turns.
ARRAY_LOAD_LOCK = threading.Lock()


class IndexStore:
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
    def bm25(self):
        if self._bm25 is None:
            with ARRAY_LOAD_LOCK:
                if self._bm25 is None:
                    self._bm25 = LexicalIndex.load(self.version / BM25_DIR)
        return self._bm25

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
        with ARRAY_LOAD_LOCK:
            return np.load(self.version / VECTORS_FILE, mmap_mode="r", allow_pickle=False)

    def embed_hash_rows(self) -> dict[str, int]:
        return {h: row for row, h in self._query("SELECT row, embed_hash FROM chunks")}

    def close(self) -> None:
        with self._lock:
            self._db.close()
