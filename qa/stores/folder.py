"""Versioned index folders: a folder of versions and a ``CURRENT`` pointer, each version a folder of
plain files (SQLite for texts and metadata, ``.npy`` vectors, a FAISS file, BM25 arrays, the
rows of deleted chunks) with a
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
import time
from pathlib import Path

import numpy as np

from qa.errors import IndexCorrupt, IndexMismatch, IndexProblem
from qa.hashing import file_sha256, text_hash
from qa.text.dates import mentioned_periods
from qa.types import Chunk, Document

FORMAT = "newsqa-index"
FORMAT_VERSION = 2  # 2: BM25 as term-frequency arrays with a delta segment, deleted rows
POINTER = "CURRENT"
MANIFEST = "manifest.json"
DB_FILE, VECTORS_FILE, FAISS_FILE, BM25_DIR = "store.sqlite", "vectors.npy", "faiss.index", "bm25"
DELETED_FILE = "deleted_rows.npy"  # rows of chunks whose article was replaced or deleted since the last rebuild
_SCHEMA = """
CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT, source TEXT, dateline TEXT, date TEXT,
                        url TEXT, lang TEXT, path TEXT, text TEXT, content_hash TEXT, n_chunks INTEGER,
                        mentions TEXT);
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
    if Path(index_dir).exists() and not Path(index_dir).is_dir():
        raise IndexProblem(f"{index_dir} is a file, not an index folder: choose another folder for the index "
                           "(--index, or NEWSQA_INDEX_DIR).")
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
    """Write texts, vectors and manifest of a fresh version into ``folder`` (the FAISS and BM25
    files are written by the caller first; their checksums are taken here)."""
    db = sqlite3.connect(folder / DB_FILE)
    with db:
        db.executescript(_SCHEMA)
        insert_rows(db, docs, chunks, embed_hashes, first_row=0)
    db.close()
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, np.float32), allow_pickle=False)
    np.save(folder / DELETED_FILE, np.zeros(0, np.int64), allow_pickle=False)
    seal_version(folder, {**manifest, "documents": {d.id: text_hash(d.text) for d in docs},
                          "counts": {"documents": len(docs), "chunks": len(chunks), "rows": len(chunks)}})


def insert_rows(db: sqlite3.Connection, docs: list[Document], chunks: list[Chunk], embed_hashes: list[str],
                first_row: int) -> None:
    per_doc: dict[str, int] = {}
    for chunk in chunks:
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
    db.executemany(
        "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [(d.id, d.title, d.source, d.dateline, d.date, d.url, d.lang, d.path, d.text,
          text_hash(d.text), per_doc.get(d.id, 0), json.dumps(mentioned_periods(d.text))) for d in docs],
    )
    db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                   [(first_row + i, c.doc_id, c.start, c.end, c.text, h)
                    for i, (c, h) in enumerate(zip(chunks, embed_hashes))])


def seal_version(folder: Path, manifest: dict, previous: Path | None = None) -> None:
    """Record the size and SHA-256 of every file, then the manifest. A file hard-linked from
    ``previous`` (the same bytes) keeps the checksum recorded there."""
    known = {}
    if previous is not None:
        known = json.loads((previous / MANIFEST).read_text()).get("files", {})
    files = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(folder))
        old = previous / name if previous is not None else None
        if name in known and old is not None and old.exists() and os.path.samefile(path, old):
            files[name] = known[name]
        else:
            files[name] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    manifest = {**manifest, "format": FORMAT, "format_version": FORMAT_VERSION, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))


def stored_documents(version: Path) -> list[Document]:
    """The articles a version stores, whatever its format (its SQLite table is the same in all):
    what an index of an older format is rebuilt from."""
    db = sqlite3.connect(f"file:{version / DB_FILE}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, text, title, source, dateline, date, url, lang, path FROM documents").fetchall()
    finally:
        db.close()
    return [Document(*row) for row in rows]


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


