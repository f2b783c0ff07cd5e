"""The PostgreSQL schema, created and upgraded by numbered migrations (never by hand), and the
connection every part of the PostgreSQL store opens.

``newsqa_migrations`` records what has been applied; ``migrate`` applies the rest in order, in
the caller's transaction, under the writers' advisory lock. The vectors' dimension comes from
the embedding model when the schema is first created. Every table is prefixed ``newsqa_`` so
the index can share a database with other applications.
"""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit

from qa.errors import IndexMismatch, StoreUnavailable

WRITE_LOCK = 0x6E657773  # "news": the advisory lock every writer holds for its transaction
MIN_PGVECTOR = (0, 8, 0)  # iterative index scans (filtered searches that still return k hits)

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
CREATE TABLE newsqa_meta (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE newsqa_documents (
    id text PRIMARY KEY, text text NOT NULL, title text NOT NULL DEFAULT '', source text NOT NULL DEFAULT '',
    dateline text NOT NULL DEFAULT '', date text NOT NULL DEFAULT '', day date, url text NOT NULL DEFAULT '',
    lang text NOT NULL DEFAULT '', path text NOT NULL DEFAULT '', content_hash text NOT NULL,
    n_chunks integer NOT NULL, mentions datemultirange NOT NULL DEFAULT '{{}}');
CREATE INDEX newsqa_documents_day ON newsqa_documents (day);
CREATE INDEX newsqa_documents_source ON newsqa_documents (lower(source));
CREATE INDEX newsqa_documents_lang ON newsqa_documents (lang);
CREATE INDEX newsqa_documents_mentions ON newsqa_documents USING gist (mentions);
CREATE TABLE newsqa_chunks (
    id bigserial PRIMARY KEY,
    doc_id text NOT NULL REFERENCES newsqa_documents (id) ON DELETE CASCADE,
    start integer NOT NULL, "end" integer NOT NULL, text text NOT NULL, embed_hash text NOT NULL,
    n_tokens integer NOT NULL, lexemes tsvector NOT NULL, embedding halfvec({dimension}) NOT NULL);
CREATE INDEX newsqa_chunks_doc ON newsqa_chunks (doc_id);
CREATE INDEX newsqa_chunks_embed_hash ON newsqa_chunks (embed_hash);
CREATE INDEX newsqa_chunks_lexemes ON newsqa_chunks USING gin (lexemes);
CREATE INDEX newsqa_chunks_embedding ON newsqa_chunks USING hnsw (embedding halfvec_cosine_ops);
CREATE TABLE newsqa_terms (term text PRIMARY KEY, df integer NOT NULL, lemma text NOT NULL);
CREATE INDEX newsqa_terms_lemma ON newsqa_terms (lemma);
CREATE TABLE newsqa_corpus (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), n_chunks bigint NOT NULL DEFAULT 0,
    n_tokens bigint NOT NULL DEFAULT 0, generation bigint NOT NULL DEFAULT 0);
INSERT INTO newsqa_corpus DEFAULT VALUES;
"""),
    # 2: an inverted index of term frequencies for BM25. Scoring from the tsvectors meant reading
    # every lexeme of every candidate chunk: 1.2 s a query at 10^5 chunks (docs/scaling.md).
    (2, """
CREATE TABLE newsqa_postings (
    term text NOT NULL, chunk_id bigint NOT NULL REFERENCES newsqa_chunks (id) ON DELETE CASCADE,
    tf integer NOT NULL, n_tokens integer NOT NULL, PRIMARY KEY (term, chunk_id));
CREATE INDEX newsqa_postings_chunk ON newsqa_postings (chunk_id);
INSERT INTO newsqa_postings
    SELECT u.lexeme, c.id, cardinality(u.positions), c.n_tokens FROM newsqa_chunks c, unnest(c.lexemes) u;
"""),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
TABLES = ("newsqa_postings", "newsqa_corpus", "newsqa_terms", "newsqa_chunks", "newsqa_documents", "newsqa_meta",
          "newsqa_migrations")


def schema_exists(conn) -> bool:
    return conn.execute("SELECT to_regclass('newsqa_corpus') IS NOT NULL").fetchone()[0]


def applied_version(conn) -> int:
    if conn.execute("SELECT to_regclass('newsqa_migrations') IS NULL").fetchone()[0]:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM newsqa_migrations").fetchone()[0]


def migrate(conn, dimension: int, reset: bool = False) -> None:
    """Bring the schema to ``SCHEMA_VERSION`` (inside the caller's transaction). ``reset``:
    drop the index's tables first (another model is replacing the whole index)."""
    _check_pgvector(conn)
    if reset:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    current = applied_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreUnavailable(f"The database holds newsqa schema version {current}, newer than this version of "
                               f"newsqa reads ({SCHEMA_VERSION}). Upgrade newsqa.")
    conn.execute("CREATE TABLE IF NOT EXISTS newsqa_migrations (version integer PRIMARY KEY, "
                 "applied timestamptz NOT NULL DEFAULT now())")
    for version, sql in MIGRATIONS:
        if version > current:
            conn.execute(sql.format(dimension=int(dimension)))
            conn.execute("INSERT INTO newsqa_migrations (version) VALUES (%s)", (version,))


def _check_pgvector(conn) -> None:
    import psycopg

    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:
        raise StoreUnavailable(f"The pgvector extension cannot be created in this database ({exc}). Install "
                               "pgvector >= 0.8 on the server, or ask its administrator to run "
                               "`CREATE EXTENSION vector`.") from None
    version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
    if tuple(int(p) for p in version.split(".")[:3] if p.isdigit()) < MIN_PGVECTOR:
        raise StoreUnavailable(f"pgvector {version} is too old: newsqa needs 0.8 or later (iterative index scans). "
                               "Run `ALTER EXTENSION vector UPDATE` after upgrading it on the server.")


MISMATCH = ("The PostgreSQL index at {where} was built with the embedding model {built!r} ({built_fp}), but "
             "the configured model is {name!r} ({fp}). Set NEWSQA_MODEL to the model it was built with, or "
             "re-index with `qa index PATH...` (which replaces what it holds).")


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str, autocommit: bool = True):
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreUnavailable(
            f"Cannot connect to PostgreSQL at {redacted(url)} ({str(exc).strip()}). Check NEWSQA_STORE and "
            "that the server is running (`make postgres` starts a local one).") from None
    with suppress(psycopg.ProgrammingError):  # no extension yet: migrate() creates it, then we register
        register_vector(conn)
    return conn


def stored_manifest(conn) -> dict:
    row = conn.execute("SELECT value FROM newsqa_meta WHERE key = 'manifest'").fetchone()
    if row is None:
        raise IndexMismatch("The PostgreSQL index has tables but no manifest (an interrupted first write?). "
                            "Re-index with `qa index PATH...`.")
    return row[0]


def register_types(conn) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)
