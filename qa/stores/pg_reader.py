"""Reading a PostgreSQL index: dense search (pgvector HNSW, exact under selective filters),
BM25 from the inverted index of term frequencies, chunks and documents (``qa.stores.postgres``
writes them)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np

from qa.errors import IndexMismatch, IndexNotFound
from qa.filters import Filters
from qa.lexical import bm25_weights, expanded_scores, top_scores
from qa.stores.base import StoredChunk, StoreReader
from qa.stores.pg_schema import MISMATCH, connect, redacted, schema_exists, stored_manifest
from qa.text.dictionary import lemma
from qa.types import Document

# A filtered search over at most this many chunks is exact (a scan of their vectors, ~50 ms);
# above it the HNSW index is walked with iterative scans until k admitted chunks are found.
EXACT_FILTER_CHUNKS = 20_000
HNSW_EF_SEARCH = 100  # candidates per HNSW search (pgvector's default is 40); recall in docs/scaling.md
_DOC_COLUMNS = "id, text, title, source, dateline, date, url, lang, path"
_META_KEYS = ("id", "title", "source", "dateline", "date", "url", "lang", "path", "chunks")
_META_COLUMNS = "id, title, source, dateline, date, url, lang, path, n_chunks"  # in _META_KEYS' order


class PostgresReader(StoreReader):
    """Reads one database; each thread has its own connection, each question one snapshot."""

    def __init__(self, url: str, fingerprint: str | None = None, model_name: str = ""):
        self.url, self.location = url, redacted(url)
        self._local = threading.local()
        self._connections: list = []
        self._guard = threading.Lock()
        conn = self._conn()
        if not schema_exists(conn):
            raise IndexNotFound(f"No index in PostgreSQL at {self.location}. Build one with `qa index PATH...`.")
        self.manifest = stored_manifest(conn)
        built = self.manifest["model"]
        if fingerprint is not None and built["fingerprint"] != fingerprint:
            raise IndexMismatch(MISMATCH.format(where=self.location, built=built["name"],
                                                 built_fp=built["fingerprint"], name=model_name, fp=fingerprint))
        self.dimension = int(built["dimension"])
        self._known: dict[str, bool] = {}
        self._forms: dict[str, set[str]] = {}
        self._vocabulary = _Vocabulary(self)

    # -- connections -------------------------------------------------------------------------
    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = connect(self.url)
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    def _rows(self, sql: str, params=()) -> list[tuple]:
        return self._conn().execute(sql, params).fetchall()

    @contextmanager
    def session(self):
        conn = self._conn()
        if conn.info.transaction_status != 0:  # already inside this thread's snapshot
            yield self
            return
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield self

    def close(self) -> None:
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    # -- reading -----------------------------------------------------------------------------
    @property
    def vocabulary(self) -> _Vocabulary:
        return self._vocabulary

    @property
    def n_chunks(self) -> int:
        return int(self._rows("SELECT n_chunks FROM newsqa_corpus")[0][0])

    def dense_search(self, query: np.ndarray, k: int, filters: Filters | None = None):
        from pgvector import HalfVector

        vector = HalfVector(np.asarray(query, np.float32).reshape(-1))
        where, params = _where(filters)
        conn = self._conn()
        with conn.transaction():  # SET LOCAL lasts until the end of this (sub)transaction
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(HNSW_EF_SEARCH, int(k))}")
            order = "c.embedding <=> %(q)s"
            if where:
                admitted = conn.execute(f"SELECT coalesce(sum(d.n_chunks), 0) FROM newsqa_documents d WHERE {where}",
                                        params).fetchone()[0]
                if admitted <= EXACT_FILTER_CHUNKS:
                    order = "(c.embedding <=> %(q)s) + 0"  # an expression the index cannot serve: exact scan
                else:
                    conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            rows = conn.execute(
                f"SELECT c.id, 1 - (c.embedding <=> %(q)s) FROM newsqa_chunks c "
                f"JOIN newsqa_documents d ON d.id = c.doc_id {'WHERE ' + where if where else ''} "
                f"ORDER BY {order} LIMIT %(k)s", {**params, "q": vector, "k": int(k)}).fetchall()
        return (np.array([r[1] for r in rows], np.float32), np.array([r[0] for r in rows], np.int64))

    def lexical_search(self, tokens: list[str], k: int, expand: bool = False, filters: Filters | None = None):
        empty = np.zeros(0, np.float32), np.zeros(0, np.int64)
        self._learn(tokens)
        needed: set[str] = set()

        def record(terms):  # a first pass learns which terms the expansion will score
            known = [t for t in terms if self._known.get(t)]
            needed.update(known)
            return np.zeros(1, np.float32) if known else None

        if expand:
            expanded_scores(tokens, record, self._forms_of)
        else:
            record(tokens)
        if not needed:
            return empty
        rows, per_term = self._bm25(sorted(needed), filters)
        if not len(rows):
            return empty

        def score(terms):
            known = [t for t in terms if t in per_term]
            return sum(per_term[t] for t in known) if known else None

        scores = expanded_scores(tokens, score, self._forms_of) if expand else score(tokens)
        if scores is None:
            return empty
        top_values, top = top_scores(np.asarray(scores, np.float32), k)
        return top_values, rows[top]

    def _bm25(self, terms: list[str], filters: Filters | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per-term BM25 over the chunks holding any of ``terms`` (those ``filters`` admits)."""
        corpus = self._rows("SELECT n_chunks, n_tokens FROM newsqa_corpus")[0]
        n, avg_len = max(int(corpus[0]), 1), max(float(corpus[1]) / max(int(corpus[0]), 1), 1e-9)
        df = dict(self._rows("SELECT term, df FROM newsqa_terms WHERE term = ANY(%s)", (terms,)))
        where, params = _where(filters)
        joined = ("JOIN newsqa_chunks c ON c.id = p.chunk_id JOIN newsqa_documents d ON d.id = c.doc_id "
                  f"WHERE {where} AND ") if where else "WHERE "
        found = self._rows(f"SELECT p.chunk_id, p.n_tokens, p.term, p.tf FROM newsqa_postings p {joined}"
                           "p.term = ANY(%(terms)s)", {**params, "terms": terms})
        rows = np.array(sorted({r[0] for r in found}), np.int64)
        at = {row: i for i, row in enumerate(rows.tolist())}
        by_term: dict[str, list[tuple[int, int, int]]] = {term: [] for term in terms}
        for row, length, term, tf in found:
            by_term[term].append((at[row], length, tf))
        per_term = {}
        for term, postings in by_term.items():
            per_term[term] = np.zeros(len(rows), np.float32)
            if postings:
                where_at, lengths, tf = (np.array(column) for column in zip(*postings))
                np.add.at(per_term[term], where_at, bm25_weights(tf.astype(np.float64), lengths, df.get(term, 1), n,
                                                                 avg_len))
        return rows, per_term

    def _learn(self, terms: Iterable[str]) -> None:
        """Which of ``terms`` some chunk uses, asked once per term."""
        unknown = [t for t in set(terms) if t not in self._known]
        if unknown:
            present = {r[0] for r in self._rows("SELECT term FROM newsqa_terms WHERE term = ANY(%s) AND df > 0",
                                                (unknown,))}
            for term in unknown:
                self._known[term] = term in present

    def _forms_of(self, word: str) -> set[str]:
        if word not in self._forms:
            rows = self._rows("SELECT term FROM newsqa_terms WHERE lemma = %s AND df > 0", (lemma(word, "id"),))
            self._learn([word])
            self._forms[word] = {r[0] for r in rows} | ({word} if self._known[word] else set())
            for form in self._forms[word]:
                self._known[form] = True
        return self._forms[word]

    def vectors_of(self, rows: list[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.dimension), np.float32)
        found = dict(self._rows("SELECT id, embedding FROM newsqa_chunks WHERE id = ANY(%s)", (list(map(int, rows)),)))
        return np.stack([found[int(r)].to_numpy().astype(np.float32) for r in rows])

    def chunks(self, rows: list[int]) -> list[StoredChunk]:
        if not rows:
            return []
        found = {r[0]: StoredChunk(*r) for r in self._rows(
            'SELECT id, doc_id, start, "end", text FROM newsqa_chunks WHERE id = ANY(%s)', (list(map(int, rows)),))}
        return [found[int(r)] for r in rows if int(r) in found]

    def document(self, doc_id: str) -> Document | None:
        rows = self._rows(f"SELECT {_DOC_COLUMNS} FROM newsqa_documents WHERE id = %s", (doc_id,))
        return Document(*rows[0]) if rows else None

    def document_meta(self, doc_id: str) -> dict:
        rows = self._rows(f"SELECT {_META_COLUMNS} FROM newsqa_documents WHERE id = %s", (doc_id,))
        return dict(zip(_META_KEYS, rows[0])) if rows else {}

    def documents(self) -> list[dict]:
        return [dict(zip(_META_KEYS, r)) for r in self._rows(
            f"SELECT {_META_COLUMNS} FROM newsqa_documents ORDER BY id")]

    def newest_day(self) -> str | None:
        day = self._rows("SELECT max(day) FROM newsqa_documents")[0][0]
        return day.isoformat() if day else None

    def count_documents(self, filters: Filters | None = None) -> int:
        where, params = _where(filters)
        return int(self._rows(f"SELECT count(*) FROM newsqa_documents d {'WHERE ' + where if where else ''}",
                              params)[0][0])

    def document_hashes(self) -> dict[str, str]:
        return dict(self._rows("SELECT id, content_hash FROM newsqa_documents"))

    def stored_vectors(self, embed_hashes: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = sorted(set(embed_hashes))
        if not wanted:
            return {}
        rows = self._rows("SELECT DISTINCT ON (embed_hash) embed_hash, embedding FROM newsqa_chunks "
                          "WHERE embed_hash = ANY(%s)", (wanted,))
        return {h: v.to_numpy().astype(np.float32) for h, v in rows}


class _Vocabulary:
    """``term in reader.vocabulary``: whether some chunk uses ``term`` (asked once per term)."""

    def __init__(self, reader: PostgresReader):
        self.reader = reader

    def __contains__(self, term: object) -> bool:
        if not isinstance(term, str):
            return False
        self.reader._learn([term])
        return self.reader._known[term]


def _where(filters: Filters | None) -> tuple[str, dict]:
    """SQL conditions on ``newsqa_documents d`` for ``filters`` (empty when nothing filters)."""
    if filters is None or not filters.active:
        return "", {}
    conditions, params = [], {}
    if filters.dated:
        params["since"], params["until"] = filters.date_range
        dated = "d.day BETWEEN %(since)s::date AND %(until)s::date"
        if filters.question_time:
            dated = (f"({dated} OR d.mentions && daterange(%(since)s::date, %(until)s::date, '[]') "
                     "OR (d.day IS NULL AND isempty(d.mentions)))")
        conditions.append(dated)
    if filters.sources:
        conditions.append("lower(d.source) = ANY(%(sources)s)")
        params["sources"] = [s.casefold() for s in filters.sources]
    if filters.langs:
        conditions.append("d.lang = ANY(%(langs)s)")
        params["langs"] = list(filters.langs)
    if filters.doc_ids:
        conditions.append("d.id = ANY(%(doc_ids)s)")
        params["doc_ids"] = list(filters.doc_ids)
    return " AND ".join(conditions), params
