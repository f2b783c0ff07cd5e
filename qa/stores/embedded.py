"""The embedded store (the default): an index folder of versions (``qa.stores.folder``) read
with FAISS, SQLite and numpy BM25 arrays (``qa.lexical``), for a laptop and ``make run``.

A write publishes a new version. Adding or deleting a few articles in a large index appends:
the new chunks' vectors go to the end of the vector file and FAISS index, their words to a
small delta BM25 segment, and the rows of replaced or deleted articles are listed as deleted;
nothing already stored is re-embedded or re-indexed. When the delta and the deleted rows
outgrow ``COMPACT_SHARE`` of the index, or the whole index is replaced, the version is built
afresh from the stored chunks and vectors.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import contextmanager
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
from qa.errors import IndexCorrupt, IndexNotFound, mapped
from qa.filters import Filters, article_day
from qa.hashing import text_hash
from qa.lexical import LexicalIndex
from qa.stores.base import PreparedDocument, Store, StoredChunk, StoreReader
from qa.stores.folder import (
    BM25_DIR,
    DB_FILE,
    DELETED_FILE,
    FAISS_FILE,
    REBUILD_HINT,
    VECTORS_FILE,
    check_model,
    current_version,
    insert_rows,
    new_version_dir,
    publish_version,
    read_manifest,
    seal_version,
    stored_documents,
    verify_files,
    write_version,
)
from qa.types import Chunk, Document

# Rows added or deleted since the last rebuild, as a share of the rebuilt (main) rows, up to which
# a write appends; beyond it the next write rebuilds (appending is O(change), a rebuild O(index)).
COMPACT_SHARE = 0.25
# numpy reads an .npy header with ast.literal_eval, and CPython 3.11's parser is not safe to call
# from two threads at once (SystemError "AST constructor recursion depth mismatch"): loads take turns.
ARRAY_LOAD_LOCK = threading.Lock()


class EmbeddedStore(Store):
    """An index folder; every write publishes a new version (see the module's docstring)."""

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

    def stored_documents(self) -> list[Document]:
        """The current version's articles, readable even when its format is older than this code's."""
        version = current_version(self.index_dir)
        return [] if version is None else stored_documents(version)

    def write(self, documents: Iterable[PreparedDocument], manifest: dict, replace_all: bool,
              keep_ids: Iterable[str] = ()) -> None:
        new = list(documents)
        drop = {p.document.id for p in new}
        if replace_all:
            self._rebuild(new, manifest, carried=[])
        else:
            self._update(new, drop, manifest)

    def remove(self, doc_ids: Iterable[str], manifest: dict) -> None:
        self._update([], set(doc_ids), manifest)

    def _update(self, new: list[PreparedDocument], drop: set[str], manifest: dict) -> None:
        """Append when the result stays mostly main segment; otherwise rebuild from what is stored."""
        if current_version(self.index_dir) is None:
            self._rebuild(new, manifest, carried=[])
            return
        model = manifest["model"]
        reader = IndexStore.open(self.index_dir, model["fingerprint"], model["name"])
        try:
            gone = reader.rows_of(drop)
            counts = reader.manifest["counts"]
            pending = (counts["rows"] - reader.main_rows) + len(reader.deleted) + len(gone)
            pending += sum(len(p.chunks) for p in new)
            if reader.main_rows and pending <= COMPACT_SHARE * reader.main_rows:
                self._append(reader, new, drop, gone, manifest)
                return
            carried = reader.prepared_documents(exclude=drop)
        finally:
            reader.close()
        self._rebuild(new, manifest, carried)

    def _rebuild(self, new: list[PreparedDocument], manifest: dict, carried: list[PreparedDocument]) -> None:
        prepared = carried + new
        docs = [p.document for p in prepared]
        chunks = [c for p in prepared for c in p.chunks]
        hashes = [h for p in prepared for h in p.embed_hashes]
        vectors = (np.concatenate([p.vectors for p in prepared]) if chunks
                   else np.zeros((0, manifest["model"]["dimension"]), np.float32))
        with self._building() as folder:
            with mapped():
                index_type = choose_index_type(len(chunks), self.index_type)
                save_faiss_index(build_faiss_index(vectors, index_type), folder / FAISS_FILE)
            LexicalIndex.build([c.text for c in chunks]).save(folder / BM25_DIR)
            write_version(folder, docs, chunks, hashes, vectors, {**manifest, "index_type": index_type})

    def _append(self, reader: IndexStore, new: list[PreparedDocument], drop: set[str], gone: list[int],
                manifest: dict) -> None:
        """A version that adds ``new`` after the stored rows and marks the rows of ``drop`` deleted."""
        old, rows = reader.version, reader.manifest["counts"]["rows"]
        docs = [p.document for p in new]
        chunks = [c for p in new for c in p.chunks]
        with self._building() as folder:
            shutil.copyfile(old / DB_FILE, folder / DB_FILE)
            db = sqlite3.connect(folder / DB_FILE)
            with db:
                marks = ",".join("?" * len(drop))
                db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", tuple(drop))
                db.execute(f"DELETE FROM documents WHERE id IN ({marks})", tuple(drop))
                insert_rows(db, docs, chunks, [h for p in new for h in p.embed_hashes], first_row=rows)
                live = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            db.close()
            added = (np.concatenate([p.vectors for p in new]) if chunks
                     else np.zeros((0, reader.faiss.d), np.float32)).astype(np.float32)
            np.save(folder / VECTORS_FILE, np.concatenate([reader.vectors(), added]), allow_pickle=False)
            with mapped():
                index = load_faiss_index(old / FAISS_FILE)
                if len(added):
                    index.add(added)
                save_faiss_index(index, folder / FAISS_FILE)
            np.save(folder / DELETED_FILE, np.union1d(reader.deleted, np.asarray(gone, np.int64)), allow_pickle=False)
            delta = reader.delta_texts() + [(rows + i, c.text) for i, c in enumerate(chunks)]
            reader.bm25.appended(delta, reader.main_rows, rows + len(chunks), folder / BM25_DIR, old / BM25_DIR)
            documents = {k: v for k, v in reader.manifest["documents"].items() if k not in drop}
            documents.update({d.id: text_hash(d.text) for d in docs})
            seal_version(folder, {**manifest, "index_type": reader.manifest.get("index_type", "flat"),
                                  "documents": documents,
                                  "counts": {"documents": len(documents), "chunks": live, "rows": rows + len(chunks),
                                             "main_rows": reader.main_rows}}, previous=old)

    @contextmanager
    def _building(self):
        """A new version folder, published when the block completes and removed if it fails."""
        folder = new_version_dir(self.index_dir)
        try:
            yield folder
            publish_version(self.index_dir, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise


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
        self._mentions: dict[str, list] | None = None
        counts = manifest["counts"]
        self.main_rows = counts.get("main_rows", counts["rows"])
        if self.faiss.ntotal != counts["rows"]:
            raise IndexCorrupt(f"The vector index in {version} does not match its chunks. "
                               + REBUILD_HINT.format(dir=index_dir))
        with ARRAY_LOAD_LOCK:
            self.deleted = np.load(version / DELETED_FILE, allow_pickle=False)
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
        return self.manifest["counts"]["chunks"]

    @property
    def bm25(self) -> LexicalIndex:
        if self._bm25 is None:
            with ARRAY_LOAD_LOCK:
                if self._bm25 is None:
                    self._bm25 = LexicalIndex.load(self.version / BM25_DIR, self.deleted)
        return self._bm25

    @property
    def vocabulary(self):
        return self.bm25.vocab

    def dense_search(self, query: np.ndarray, k: int, filters: Filters | None = None):
        if filters is None or not filters.active:
            scores, rows = vector_search(self.faiss, query, min(k + len(self.deleted), self.faiss.ntotal))
            if len(self.deleted):
                keep = ~np.isin(rows, self.deleted)
                scores, rows = scores[keep], rows[keep]
            return scores[:k], rows[:k]
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
        return len(self._admitted(filters))

    def _admitted(self, filters: Filters) -> list[str]:
        mentions = self.mentions() if filters.question_time else {}
        return [doc_id for doc_id, m in self._doc_meta.items()
                if filters.admits(date=m[4], source=m[2], lang=m[6], doc_id=doc_id, mentions=mentions.get(doc_id, ()))]

    def mentions(self) -> dict[str, list]:
        """Document id -> the periods its text mentions (read on first use)."""
        if self._mentions is None:
            self._mentions = {i: [tuple(p) for p in json.loads(m or "[]")]
                              for i, m in self._query("SELECT id, mentions FROM documents")}
        return self._mentions

    def _allowed_rows(self, filters: Filters) -> np.ndarray:
        ids = self._admitted(filters)
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

    def rows_of(self, doc_ids: Iterable[str]) -> list[int]:
        ids = tuple(doc_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [r[0] for r in self._query(f"SELECT row FROM chunks WHERE doc_id IN ({marks})", ids)]

    def delta_texts(self) -> list[tuple[int, str]]:
        """(row, text) of the live chunks added since the last rebuild."""
        return self._query("SELECT row, text FROM chunks WHERE row >= ? ORDER BY row", (self.main_rows,))

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
