"""Embedded index vs PostgreSQL, in one run: retrieval quality parity on FacQA and the cost of
each backend at 10^5 (or more) chunks.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.scaling --sizes 100000 [--json] [--skip-quality]

1. Quality: the FacQA passages are indexed on both backends with the configured (default)
   embedding model through ``Assistant.add_documents``; the FacQA ``valid`` questions, in
   Indonesian and in English, go through hybrid ``Assistant.retrieve(q, k=10)``. A hit is the
   project's FacQA definition (``qa.evaluation``): a retrieved chunk of the question's passage.
2. Scale: synthetic clustered unit vectors (dimension 384, 1,000 Gaussian centres) with IndoSum
   text pieces (~700 characters, cycled) as chunks, 10 chunks per document, 10 outlets, dates
   over two years, written through ``Store.write`` (what ``qa index`` calls) on both backends.
   Dense recall@10 is measured against exact float32 brute force in numpy, filtered recall
   against exact brute force over the admitted chunks.

PostgreSQL is a real local server (``qa.stores.local_postgres``: PostgreSQL 18 + pgvector,
default server settings). Figures, not assertions: nothing here fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qa.metrics import hit_at, mean, mrr_at, percentile

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DIM = 384
CENTRES = 1000
NOISE = 0.6  # per-dimension noise around a standard-normal centre (as benchmarks.bench.synthetic_vectors)
OUTLETS = 10
DAYS = 730
START_DAY = dt.date(2024, 1, 1)
PIECE_CHARS = 700


# -- machine ---------------------------------------------------------------------------------
def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": cpu or platform.processor() or platform.machine(),
            "ram_gib": ram_gib, "python": platform.python_version(), "platform": platform.platform()}


def _pg_versions(url: str) -> dict:
    from qa.stores.pg_schema import connect

    with connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        vector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        settings = dict(conn.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
            (["shared_buffers", "work_mem", "maintenance_work_mem", "max_parallel_maintenance_workers",
              "max_parallel_workers_per_gather"],)).fetchall())
    return {"server": server, "pgvector": vector, "settings": settings}


def _ms(seconds: float) -> float:
    return seconds * 1000


def _p(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value, 2)


# -- 1. quality parity on FacQA --------------------------------------------------------------
def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def run_quality(admin_url: str, workdir: Path, limit: int | None) -> dict:
    """hit@1 / hit@10 / MRR@10 of hybrid retrieval on both backends, FacQA valid, id and en."""
    from qa import Assistant
    from qa.settings import Settings
    from qa.stores.local_postgres import drop_database, new_database
    from qa.types import Document

    facqa = DATA / "facqa"
    passages = _read_jsonl(facqa / "passages.jsonl")
    questions = {
        "id": [q for q in _read_jsonl(facqa / "qa.jsonl") if q.get("split") == "valid"],
        "en": [q for q in _read_jsonl(facqa / "qa_en.jsonl") if q.get("split") == "valid"],
    }
    if limit:
        questions = {lang: qs[:limit] for lang, qs in questions.items()}
    documents = [Document(id=p["id"], text=p["text"], title=p.get("title", ""), lang="id") for p in passages]
    result: dict = {"passages": len(documents), "questions": {lang: len(qs) for lang, qs in questions.items()},
                    "backends": {}}
    embedder = None
    pg_url = new_database(admin_url, "newsqa_quality")
    try:
        for backend, store in (("embedded", str(workdir / "facqa-index")), ("postgresql", pg_url)):
            settings = Settings.from_env().with_(store=store, reader="off")
            assistant = Assistant(settings=settings, embedder=embedder, build_default=False)
            embedder = assistant.embedder
            if "model" not in result:
                result["model"] = embedder.name
            started = time.perf_counter()
            report = assistant.add_documents(documents)
            figures: dict = {"index_s": round(time.perf_counter() - started, 1), "chunks": report.chunks}
            for lang, qs in questions.items():
                ranks, latencies = [], []
                for q in qs:
                    t = time.perf_counter()
                    found = assistant.retrieve(q["question"], k=10, mode="hybrid")
                    latencies.append(_ms(time.perf_counter() - t))
                    ranks.append([i for i, p in enumerate(found[:10], start=1) if p.doc_id == q["context_id"]])
                figures[lang] = {"hit@1": round(mean([hit_at(r, 1) for r in ranks]), 4),
                                 "hit@10": round(mean([hit_at(r, 10) for r in ranks]), 4),
                                 "mrr@10": round(mean([mrr_at(r, 10) for r in ranks]), 4),
                                 "retrieve_p50_ms": _p(latencies, 50)}
            result["backends"][backend] = figures
            print(f"  quality {backend}: {json.dumps(figures)}", file=sys.stderr, flush=True)
            del assistant
    finally:
        drop_database(pg_url, admin_url)
    return result


# -- 2. scale --------------------------------------------------------------------------------
def indosum_pieces_and_sentences(limit_articles: int | None = None) -> tuple[list[str], list[str]]:
    """IndoSum texts cut into ~700-character pieces at spaces, and its sentences (for lexical queries)."""
    pieces, sentences = [], []
    for i, article in enumerate(_read_jsonl(DATA / "indosum" / "articles.jsonl")):
        if limit_articles and i >= limit_articles:
            break
        text = " ".join(article["text"].split())
        at = 0
        while at < len(text):
            end = min(len(text), at + PIECE_CHARS)
            if end < len(text):
                space = text.rfind(" ", at + PIECE_CHARS // 2, end)
                end = space if space > at else end
            piece = text[at:end].strip()
            if piece:
                pieces.append(piece)
            at = end + 1
        sentences += [s.strip() for s in text.split(". ") if len(s.split()) >= 6]
    return pieces, sentences


class Corpus:
    """A synthetic corpus of ``n`` chunks: vectors, texts and per-chunk metadata (deterministic)."""

    def __init__(self, n: int, pieces: list[str], chunks_per_doc: int = 10, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.n, self.per_doc, self.pieces = n, chunks_per_doc, pieces
        self.n_docs = -(-n // chunks_per_doc)
        self.centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
        self.vectors = np.empty((n, DIM), np.float32)
        for at in range(0, n, 100_000):  # in slices, to keep the temporary arrays small
            size = min(100_000, n - at)
            block = self.centres[rng.integers(0, CENTRES, size)]
            block += NOISE * rng.standard_normal((size, DIM)).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            self.vectors[at:at + size] = block
        self.doc_outlet = rng.integers(0, OUTLETS, self.n_docs)
        self.doc_day = rng.integers(0, DAYS, self.n_docs)
        doc_of_chunk = np.arange(n) // chunks_per_doc
        self.chunk_outlet = self.doc_outlet[doc_of_chunk]
        self.chunk_day = self.doc_day[doc_of_chunk]

    @staticmethod
    def outlet(i: int) -> str:
        return f"Outlet {i}"

    @staticmethod
    def day(offset: int) -> str:
        return (START_DAY + dt.timedelta(days=int(offset))).isoformat()

    def prepared(self, batch_docs: int = 500) -> Iterator:
        """``PreparedDocument``s in order (chunk i of the corpus is the i-th chunk written)."""
        from qa.hashing import text_hash
        from qa.stores.base import PreparedDocument
        from qa.types import Chunk, Document

        for d in range(self.n_docs):
            first = d * self.per_doc
            last = min(self.n, first + self.per_doc)
            doc_id = f"syn-{d:08d}"
            texts = [self.pieces[i % len(self.pieces)] for i in range(first, last)]
            text = "\n\n".join(texts)
            chunks, at = [], 0
            for piece in texts:
                chunks.append(Chunk(doc_id, at, at + len(piece), piece))
                at += len(piece) + 2
            document = Document(id=doc_id, text=text, title=f"Synthetic article {d}",
                                source=self.outlet(self.doc_outlet[d]), date=self.day(self.doc_day[d]), lang="id")
            yield PreparedDocument(document, chunks, [text_hash(c.text) for c in chunks], self.vectors[first:last])

    def queries(self, count: int, seed: int = 1) -> np.ndarray:
        """Query vectors near the corpus's centres (same noise as the chunks)."""
        rng = np.random.default_rng(seed)
        q = self.centres[rng.integers(0, CENTRES, count)] + NOISE * rng.standard_normal((count, DIM)).astype(np.float32)
        return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)

    def exact(self, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
        scores = self.vectors @ query
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
            k = min(k, int(mask.sum()))
        top = np.argpartition(-scores, k - 1)[:k] if k else np.zeros(0, np.int64)
        return top[np.argsort(-scores[top])]


def filter_sets(corpus: Corpus, count: int, seed: int = 2) -> dict[str, list[tuple]]:
    """Per selectivity, ``count`` (Filters, mask) pairs: ~1% (one outlet and a ~73-day window) and
    ~30% (three outlets: above EXACT_FILTER_CHUNKS at 10^5, so PostgreSQL walks HNSW iteratively)."""
    from qa.filters import Filters

    rng = np.random.default_rng(seed)
    window = DAYS // 10
    sets: dict[str, list[tuple]] = {"~1%": [], "~30%": []}
    for _ in range(count):
        outlet = int(rng.integers(0, OUTLETS))
        first = int(rng.integers(0, DAYS - window))
        f = Filters(since=corpus.day(first), until=corpus.day(first + window - 1), sources=(corpus.outlet(outlet),))
        mask = (corpus.chunk_outlet == outlet) & (corpus.chunk_day >= first) & (corpus.chunk_day < first + window)
        sets["~1%"].append((f, mask))
        outlets = rng.choice(OUTLETS, 3, replace=False)
        f = Filters(sources=tuple(corpus.outlet(o) for o in outlets))
        sets["~30%"].append((f, np.isin(corpus.chunk_outlet, outlets)))
    return sets


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def pg_bytes(url: str) -> dict:
    from qa.stores.pg_schema import connect

    with connect(url) as conn:
        rows = conn.execute("SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                            "WHERE relkind = 'r' AND relname LIKE 'newsqa\\_%%'").fetchall()
        index = conn.execute("SELECT pg_relation_size('newsqa_chunks_embedding')").fetchone()[0]
    return {"tables": dict(rows), "total": sum(r[1] for r in rows), "hnsw_index": index}


def _manifest() -> dict:
    return {"model": {"name": f"synthetic-{DIM}", "fingerprint": f"synthetic-{DIM}-v1", "dimension": DIM},
            "chunking": {"max_chars": PIECE_CHARS, "synthetic": True},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def measure_backend(name: str, store, corpus: Corpus, queries: np.ndarray, sentences: list[str],
                    filters: dict[str, list[tuple]], k: int = 10) -> dict:
    from qa.text.normalize import tokenize

    figures: dict = {"backend": name, "chunks": corpus.n}
    started = time.perf_counter()
    store.write(corpus.prepared(), _manifest(), replace_all=True)
    write_s = time.perf_counter() - started
    figures["write_s"] = round(write_s, 1)
    figures["load_rows_per_s"] = round(corpus.n / write_s)
    print(f"  {name}: wrote {corpus.n:,} chunks in {write_s:.1f} s", file=sys.stderr, flush=True)
    started = time.perf_counter()
    reader = store.open_reader()
    figures["open_reader_s"] = round(time.perf_counter() - started, 2)
    try:
        assert reader.n_chunks == corpus.n, (reader.n_chunks, corpus.n)
        offset = _row_offset(reader, corpus)
        # warm up: the embedded store loads its BM25 arrays lazily; PostgreSQL's caches fill
        for i in range(5):
            reader.dense_search(queries[i], k)
            reader.lexical_search(tokenize(sentences[i]), k)
        dense_ms, lexical_ms, recalls = [], [], []
        for i, q in enumerate(queries):
            t = time.perf_counter()
            _, rows = reader.dense_search(q, k)
            dense_ms.append(_ms(time.perf_counter() - t))
            truth = corpus.exact(q, k)
            recalls.append(len(set((rows - offset).tolist()) & set(truth.tolist())) / k)
            tokens = tokenize(sentences[(i * 7919) % len(sentences)])
            t = time.perf_counter()
            reader.lexical_search(tokens, k)
            lexical_ms.append(_ms(time.perf_counter() - t))
        hybrid_ms = [a + b for a, b in zip(dense_ms, lexical_ms)]
        figures.update({
            "dense_p50_ms": _p(dense_ms, 50), "dense_p95_ms": _p(dense_ms, 95),
            "lexical_p50_ms": _p(lexical_ms, 50), "lexical_p95_ms": _p(lexical_ms, 95),
            "hybrid_p50_ms": _p(hybrid_ms, 50), "hybrid_p95_ms": _p(hybrid_ms, 95),
            "dense_recall@10": round(float(np.mean(recalls)), 4)})
        for label, pairs in filters.items():
            times, recalls, admitted = [], [], []
            for q, (f, mask) in zip(queries, pairs):
                t = time.perf_counter()
                _, rows = reader.dense_search(q, k, f)
                times.append(_ms(time.perf_counter() - t))
                truth = corpus.exact(q, k, mask)
                admitted.append(int(mask.sum()))
                if len(truth):
                    recalls.append(len(set((rows - offset).tolist()) & set(truth.tolist())) / len(truth))
                else:  # nothing admitted: right when nothing comes back
                    recalls.append(0.0 if len(rows) else 1.0)
            figures[f"filter {label}"] = {
                "selectivity": round(float(np.mean(admitted)) / corpus.n, 4),
                "p50_ms": _p(times, 50), "p95_ms": _p(times, 95), "recall@10": round(float(np.mean(recalls)), 4)}
    finally:
        reader.close()
    return figures


def _add_one_article(store, corpus: Corpus) -> dict:
    """Seconds to add one article (its chunks already embedded) to the loaded index, to replace it,
    and to delete it: what an upload or a watched folder costs once the corpus is large."""
    from dataclasses import replace

    article = next(corpus.prepared())
    added = replace(article, document=replace(article.document, id="added-article"))
    figures = {}
    for label, change in (("add_one_s", lambda: store.write([added], _manifest(), replace_all=False)),
                          ("replace_one_s", lambda: store.write([added], _manifest(), replace_all=False)),
                          ("delete_one_s", lambda: store.remove(["added-article"], _manifest()))):
        started = time.perf_counter()
        change()
        figures[label] = round(time.perf_counter() - started, 2)
    return figures


def _row_offset(reader, corpus: Corpus) -> int:
    """Row id of the corpus's chunk 0 (embedded: 0; PostgreSQL: the first bigserial value); checked."""
    location = getattr(reader, "url", None)
    offset = 0
    if location:
        offset = int(reader._rows("SELECT min(id) FROM newsqa_chunks")[0][0])
    for i in (0, corpus.n // 2, corpus.n - 1):
        stored = reader.chunks([i + offset])
        expected = f"syn-{i // corpus.per_doc:08d}"
        assert stored and stored[0].doc_id == expected, (i, stored[:1], expected)
    return offset


def run_scale(n: int, admin_url: str, workdir: Path, pieces: list[str], sentences: list[str], n_queries: int,
              reindex: bool, backends: tuple[str, ...] = ("embedded", "postgresql")) -> dict:
    started = time.perf_counter()
    corpus = Corpus(n, pieces)
    queries = corpus.queries(n_queries)
    filters = filter_sets(corpus, n_queries)
    print(f"scale {n:,}: corpus generated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    result: dict = {"chunks": n, "documents": corpus.n_docs, "queries": n_queries}

    if "embedded" in backends:
        result["embedded"] = _scale_embedded(n, workdir, corpus, queries, sentences, filters)
    if "postgresql" in backends:
        result["postgresql"] = _scale_postgres(n, admin_url, corpus, queries, sentences, filters, reindex)
    return result


def _scale_embedded(n, workdir, corpus, queries, sentences, filters) -> dict:
    from qa.stores.embedded import EmbeddedStore

    folder = workdir / f"embedded-{n}"
    embedded = measure_backend("embedded", EmbeddedStore(folder), corpus, queries, sentences, filters)
    size = folder_bytes(folder)
    embedded["disk_bytes"] = size
    embedded["disk_kb_per_1000_chunks"] = round(size / n)  # bytes per chunk == KB per 1,000 chunks
    embedded["index_type"] = json.loads(next(folder.glob("v-*/manifest.json")).read_text())["index_type"]
    embedded.update(_add_one_article(EmbeddedStore(folder), corpus))  # after the disk figure: it adds versions
    shutil.rmtree(folder, ignore_errors=True)
    return embedded


def _scale_postgres(n, admin_url, corpus, queries, sentences, filters, reindex) -> dict:
    from qa.stores.local_postgres import drop_database, new_database
    from qa.stores.pg_schema import connect
    from qa.stores.postgres import PostgresStore

    url = new_database(admin_url, "newsqa_scale")
    try:
        postgres = measure_backend("postgresql", PostgresStore(url), corpus, queries, sentences, filters)
        with connect(url) as conn:
            t = time.perf_counter()
            conn.execute("VACUUM ANALYZE newsqa_chunks")
            conn.execute("VACUUM ANALYZE newsqa_documents")
            postgres["vacuum_analyze_s"] = round(time.perf_counter() - t, 1)
        sizes = pg_bytes(url)
        postgres["disk_bytes"] = sizes["total"]
        postgres["disk_kb_per_1000_chunks"] = round(sizes["total"] / n)
        postgres["hnsw_index_bytes"] = sizes["hnsw_index"]
        postgres["table_bytes"] = sizes["tables"]
        if reindex:  # the alternative for bulk loads: build the HNSW graph once, after the rows are in
            with connect(url) as conn:
                conn.execute("SET maintenance_work_mem = '2GB'")
                conn.execute(f"SET max_parallel_maintenance_workers = {max(0, (os.cpu_count() or 1) - 1)}")
                t = time.perf_counter()
                conn.execute("REINDEX INDEX newsqa_chunks_embedding")
                postgres["hnsw_rebuild_s"] = round(time.perf_counter() - t, 1)
        postgres.update(_add_one_article(PostgresStore(url), corpus))
    finally:
        drop_database(url, admin_url)
    return postgres


# -- output ----------------------------------------------------------------------------------
def render(result: dict) -> str:
    m = result["machine"]
    lines = [f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB RAM, {m['platform']}, "
             f"Python {m['python']}"]
    if "postgres" in result:
        pg = result["postgres"]
        lines.append(f"PostgreSQL {pg['server']}, pgvector {pg['pgvector']}, settings {pg['settings']}")
    quality = result.get("quality")
    if quality:
        lines += ["", f"### Retrieval quality, FacQA valid, hybrid, k=10 ({quality['passages']} passages, "
                  f"questions {quality['questions']}, model {quality.get('model')})", "",
                  "| questions | metric | embedded | PostgreSQL | difference |", "|---|---|---|---|---|"]
        e, p = quality["backends"]["embedded"], quality["backends"]["postgresql"]
        for lang in ("id", "en"):
            for metric in ("hit@1", "hit@10", "mrr@10"):
                a, b = e[lang][metric], p[lang][metric]
                lines.append(f"| {lang} | {metric} | {a:.3f} | {b:.3f} | {100 * (b - a):+.1f} pt |")
            lines.append(f"| {lang} | retrieve p50 (ms) | {e[lang]['retrieve_p50_ms']} | "
                         f"{p[lang]['retrieve_p50_ms']} | |")
        lines.append(f"| all | index time (s) | {e['index_s']} | {p['index_s']} | |")
    for row in result.get("scale", []):
        backends = [row.get("embedded"), row.get("postgresql")]
        lines += ["", f"### {row['chunks']:,} chunks ({row['documents']:,} documents, {row['queries']} queries "
                  "per figure, k=10)", "", "| figure | embedded | PostgreSQL |", "|---|---|---|"]
        rows = [
            ("write through `Store.write` (s)", lambda f: f"{f['write_s']}"),
            ("load (chunks/s)", lambda f: f"{f['load_rows_per_s']:,}"),
            ("open reader (s)", lambda f: f"{f['open_reader_s']}"),
            ("dense p50 / p95 (ms)", lambda f: f"{f['dense_p50_ms']} / {f['dense_p95_ms']}"),
            ("dense recall@10 vs exact",
             lambda f: f"{f['dense_recall@10']:.3f} ({f.get('index_type', 'HNSW halfvec')})"),
            ("lexical p50 / p95 (ms)", lambda f: f"{f['lexical_p50_ms']} / {f['lexical_p95_ms']}"),
            ("hybrid (dense + lexical) p50 / p95 (ms)", lambda f: f"{f['hybrid_p50_ms']} / {f['hybrid_p95_ms']}"),
            ("add / replace / delete one article (s)",
             lambda f: f"{f['add_one_s']} / {f['replace_one_s']} / {f['delete_one_s']}"),
        ]
        some = next(f for f in backends if f)
        for key in [k for k in some if k.startswith("filter ")]:
            rows.append((f"{key} (measured {100 * some[key]['selectivity']:.2f}%): p50 / p95 (ms), recall@10",
                         lambda f, key=key: f"{f[key]['p50_ms']} / {f[key]['p95_ms']}, {f[key]['recall@10']:.3f}"))
        rows += [
            ("disk per 1,000 chunks (KB)", lambda f: f"{f['disk_kb_per_1000_chunks']:,}"),
            ("disk total (MB)", lambda f: f"{f['disk_bytes'] / 1e6:,.0f}" + (
                f" (HNSW index {f['hnsw_index_bytes'] / 1e6:,.0f})" if "hnsw_index_bytes" in f else "")),
            ("VACUUM ANALYZE after load (s)", lambda f: f"{f['vacuum_analyze_s']}"),
            ("HNSW rebuilt after the load, `REINDEX` (s)", lambda f: f"{f['hnsw_rebuild_s']}"),
        ]
        for label, cell in rows:
            cells = []
            for f in backends:
                try:
                    cells.append("not run" if f is None else cell(f))
                except KeyError:
                    cells.append("")
            if any(cells):
                lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated chunk counts (default 100000)")
    parser.add_argument("--queries", type=int, default=100, help="queries per latency/recall figure")
    parser.add_argument("--skip-quality", action="store_true", help="skip the FacQA quality comparison")
    parser.add_argument("--quality-limit", type=int, default=None,
                        help="at most this many FacQA valid questions per language (default: all 311)")
    parser.add_argument("--skip-reindex", action="store_true", help="do not time an HNSW rebuild after the load")
    parser.add_argument("--backends", default="embedded,postgresql",
                        help="scale part only: which backends to measure (default both)")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a new one under /tmp)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON as well")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    from qa.stores.local_postgres import start

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="newsqa-scaling-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    admin_url = start(workdir / "postgres", keep_running=False)
    result: dict = {"machine": machine(), "postgres": _pg_versions(admin_url), "sizes": sizes}
    print(f"PostgreSQL started in {time.perf_counter() - started:.1f} s ({workdir})", file=sys.stderr, flush=True)
    if not args.skip_quality:
        result["quality"] = run_quality(admin_url, workdir, args.quality_limit)
    if sizes:
        pieces, sentences = indosum_pieces_and_sentences()
        result["scale"] = [run_scale(n, admin_url, workdir, pieces, sentences, args.queries, not args.skip_reindex,
                                     tuple(b.strip() for b in args.backends.split(","))) for n in sizes]
    result["total_s"] = round(time.perf_counter() - started, 1)
    print(render(result))
    if args.json:
        print(json.dumps(result, indent=1, default=str))
    for child in workdir.iterdir():  # the server's own folder goes when it stops, at exit
        if child.name != "postgres":
            shutil.rmtree(child, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
