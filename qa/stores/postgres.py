"""The PostgreSQL store: documents and chunks in tables, vectors in pgvector (``halfvec`` with an
HNSW cosine index, iterative scans under filters), words in a ``tsvector`` with a GIN index (for
full-text queries in SQL) and in an inverted index of term frequencies (``newsqa_postings``) from
which BM25 is computed exactly as the embedded index computes it (``qa.lexical``).

Lexemes are the project's own tokens (``qa.text.normalize``: lower-cased, accents folded,
stop words dropped), written as a ``tsvector`` literal, so both stores match the same words
(PostgreSQL's ``simple`` configuration plus ``unaccent`` would do the same folding, but
``unaccent`` is not in every build; its ``indonesian`` stemmer splits *mengunjungi* and *kunjungan*).

Writes go per batch of articles, each in one transaction under an advisory lock (writers take
turns; readers never wait and never see half an article). Several processes on several machines
can share one database. The schema is created and upgraded by ``qa.stores.pg_schema``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from qa.errors import IndexMismatch, StoreUnavailable
from qa.filters import article_day
from qa.hashing import text_hash
from qa.lexical import chunk_tokens
from qa.stores.base import PreparedDocument, Store
from qa.stores.pg_reader import PostgresReader
from qa.stores.pg_schema import (
    MISMATCH,
    WRITE_LOCK,
    connect,
    migrate,
    redacted,
    register_types,
    schema_exists,
    stored_manifest,
)
from qa.text.dates import mentioned_periods
from qa.text.dictionary import lemma

MAX_POSITIONS = 255  # PostgreSQL keeps at most 256 positions per lexeme; a chunk has far fewer
WRITE_BATCH_CHUNKS = 5_000  # chunks per write transaction during a bulk load


class PostgresStore(Store):
    """An index in a PostgreSQL database (``NEWSQA_STORE=postgresql://...``)."""

    writes_per_document = True

    def __init__(self, url: str):
        self.url = url
        self.location = redacted(url)
        # Every question asks for the generation: one kept connection (a new one costs a backend
        # start), replaced once if the server dropped it.
        self._probe, self._probe_lock = None, threading.Lock()

    def generation(self) -> str | None:
        import psycopg

        with self._probe_lock:
            for attempt in (1, 2):
                if self._probe is None or self._probe.closed:
                    self._probe = connect(self.url)
                try:
                    if not schema_exists(self._probe):
                        return None
                    row = self._probe.execute("SELECT generation FROM newsqa_corpus").fetchone()
                    return None if row is None else f"pg-{row[0]}"
                except psycopg.OperationalError as exc:  # a restarted server: connect again, once
                    self._probe.close()
                    if attempt == 2:
                        raise StoreUnavailable(f"Lost the connection to PostgreSQL at {self.location} "
                                               f"({str(exc).strip()}). Check that the server is running.") from None

    def stats(self) -> dict:
        with connect(self.url) as conn:
            if not schema_exists(conn):
                return {"documents": 0, "chunks": 0}
            docs = conn.execute("SELECT count(*) FROM newsqa_documents").fetchone()[0]
            chunks = conn.execute("SELECT n_chunks FROM newsqa_corpus").fetchone()[0]
            return {"documents": docs, "chunks": chunks}

    def open_reader(self, fingerprint: str | None = None, model_name: str = "") -> PostgresReader:
        return PostgresReader(self.url, fingerprint, model_name)

    def write(self, documents: Iterable[PreparedDocument], manifest: dict, replace_all: bool,
              keep_ids: Iterable[str] = ()) -> None:
        keep, batch, size = set(keep_ids), [], 0
        with connect(self.url) as conn:
            started = False
            for prepared in documents:
                if not started:  # the schema is touched only once there is something to write
                    self._prepare_schema(conn, manifest, replace_all)
                    started = True
                keep.add(prepared.document.id)
                batch.append(prepared)
                size += len(prepared.chunks)
                if size >= WRITE_BATCH_CHUNKS:
                    self._write_batch(conn, batch)
                    batch, size = [], 0
            if batch:
                self._write_batch(conn, batch)
            if replace_all and (started or keep):
                if not started:
                    self._prepare_schema(conn, manifest, replace_all)
                with conn.transaction():
                    _lock(conn)
                    stale = [r[0] for r in conn.execute("SELECT id FROM newsqa_documents")
                             if r[0] not in keep]
                    _delete(conn, stale)
                    _bump(conn)

    def remove(self, doc_ids: Iterable[str], manifest: dict) -> None:
        with connect(self.url) as conn:
            if not schema_exists(conn):
                return
            with conn.transaction():
                _lock(conn)
                _delete(conn, list(doc_ids))
                _bump(conn)

    def _prepare_schema(self, conn, manifest: dict, replace_all: bool) -> None:
        """Create or upgrade the schema; a different model may replace the index only when all of
        it is being rewritten (the vectors' dimension may change with it)."""
        model = manifest["model"]
        with conn.transaction():
            _lock(conn)
            stored = stored_manifest(conn) if schema_exists(conn) else None
            if stored is not None and stored["model"]["fingerprint"] != model["fingerprint"]:
                if not replace_all:
                    raise IndexMismatch(MISMATCH.format(
                        where=self.location, built=stored["model"]["name"], built_fp=stored["model"]["fingerprint"],
                        name=model["name"], fp=model["fingerprint"]))
                migrate(conn, model["dimension"], reset=True)
            else:
                migrate(conn, model["dimension"])
            conn.execute("INSERT INTO newsqa_meta (key, value) VALUES ('manifest', %s) ON CONFLICT (key) "
                         "DO UPDATE SET value = EXCLUDED.value", (json.dumps(manifest),))
        register_types(conn)

    def _write_batch(self, conn, batch: list[PreparedDocument]) -> None:
        from pgvector import HalfVector

        with conn.transaction():
            _lock(conn)
            _delete(conn, [p.document.id for p in batch])
            with conn.cursor().copy(
                    "COPY newsqa_documents (id, text, title, source, dateline, date, day, url, lang, path, "
                    "content_hash, n_chunks, mentions) FROM STDIN") as copy:
                for p in batch:
                    d = p.document
                    mentions = "{" + ",".join(f"[{a},{b}]" for a, b in mentioned_periods(d.text)) + "}"
                    copy.write_row((d.id, d.text, d.title, d.source, d.dateline, d.date, article_day(d.date),
                                    d.url, d.lang, d.path, text_hash(d.text), len(p.chunks), mentions))
            df: dict[str, int] = {}
            n_tokens, postings = 0, []
            n_new = sum(len(p.chunks) for p in batch)
            ids = iter(r[0] for r in conn.execute(
                "SELECT nextval('newsqa_chunks_id_seq') FROM generate_series(1, %s)", (n_new,)).fetchall())
            with conn.cursor().copy(
                    'COPY newsqa_chunks (id, doc_id, start, "end", text, embed_hash, n_tokens, lexemes, embedding) '
                    "FROM STDIN") as copy:
                for p in batch:
                    for chunk, digest, vector in zip(p.chunks, p.embed_hashes, p.vectors):
                        chunk_id, tokens = next(ids), chunk_tokens(chunk.text)
                        counts: dict[str, int] = {}
                        for token in tokens:
                            counts[token] = counts.get(token, 0) + 1
                        for token, tf in counts.items():
                            df[token] = df.get(token, 0) + 1
                            postings.append((token, chunk_id, tf, len(tokens)))
                        n_tokens += len(tokens)
                        copy.write_row((chunk_id, chunk.doc_id, chunk.start, chunk.end, chunk.text, digest,
                                        len(tokens), _tsvector(counts), HalfVector(vector)))
            with conn.cursor().copy("COPY newsqa_postings (term, chunk_id, tf, n_tokens) FROM STDIN") as copy:
                for row in postings:
                    copy.write_row(row)
            terms = sorted(df)
            conn.execute(
                "INSERT INTO newsqa_terms (term, df, lemma) SELECT * FROM unnest(%s::text[], %s::int[], %s::text[]) "
                "ON CONFLICT (term) DO UPDATE SET df = newsqa_terms.df + EXCLUDED.df",
                (terms, [df[t] for t in terms], [lemma(t, "id") for t in terms]))
            conn.execute("UPDATE newsqa_corpus SET n_chunks = n_chunks + %s, n_tokens = n_tokens + %s",
                         (n_new, n_tokens))
            _bump(conn)


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(counts: dict[str, int]) -> str:
    """A ``tsvector`` literal holding each token with as many positions as it occurs (its tf)."""
    return " ".join(f"{_quoted(t)}:{','.join(map(str, range(1, min(c, MAX_POSITIONS) + 1)))}"
                    for t, c in counts.items())


def _lock(conn) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))


def _bump(conn) -> None:
    conn.execute("UPDATE newsqa_corpus SET generation = generation + 1")


def _delete(conn, doc_ids: list[str]) -> None:
    """Remove these documents, their chunks and their share of the word statistics."""
    if not doc_ids:
        return
    conn.execute(
        "WITH gone AS (SELECT u.lexeme AS term, count(*) AS n FROM newsqa_chunks c, unnest(c.lexemes) u "
        "WHERE c.doc_id = ANY(%(ids)s) GROUP BY u.lexeme) "
        "UPDATE newsqa_terms t SET df = t.df - gone.n FROM gone WHERE t.term = gone.term", {"ids": doc_ids})
    conn.execute(
        "UPDATE newsqa_corpus SET n_chunks = n_chunks - s.n, n_tokens = n_tokens - s.t FROM "
        "(SELECT count(*) AS n, coalesce(sum(n_tokens), 0) AS t FROM newsqa_chunks WHERE doc_id = ANY(%s)) s",
        (doc_ids,))
    conn.execute("DELETE FROM newsqa_documents WHERE id = ANY(%s)", (doc_ids,))
