"""Load test of the chat page's API: N questions from C concurrent clients, loopback only.

    .venv/bin/python benchmarks/load_test.py                 # starts the app on the seeds itself
    .venv/bin/python benchmarks/load_test.py --url http://127.0.0.1:7860/

Bounded: a fixed number of questions, a timeout per request; prints errors (should be 0),
throughput and latency percentiles, with the machine noted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def questions() -> list[str]:
    lines = (REPO / "eval" / "seeds_gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def start_app() -> tuple[str, object]:
    from qa.assistant import Assistant
    from qa.settings import Settings
    from ui.app import launch

    settings = Settings.from_env()
    index_dir = Path(tempfile.mkdtemp(prefix="qa-load-")) / "index"
    assistant = Assistant(index_dir, settings)
    assistant.index([settings.seeds_dir])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/", launch(assistant, "127.0.0.1", port, block=False)


def run(url: str, total: int, clients: int, timeout: float) -> dict:
    from gradio_client import Client

    host = urlparse(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("The load test only targets this machine (127.0.0.1 / localhost).")
    pool = questions()
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))

    def worker():
        client = Client(url, verbose=False)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            started = time.perf_counter()
            try:
                job = client.submit(pool[i % len(pool)], 5, "hybrid", api_name="/ask")
                result = job.result(timeout=timeout)
                if "answer" not in result:
                    raise ValueError(f"unexpected reply: {str(result)[:100]}")
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    from qa.metrics import percentile

    def rounded(q):
        value = percentile(latencies, q)
        return None if value is None else round(value, 1)

    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "questions": total, "clients": clients, "errors": len(errors), "error_samples": errors[:5],
        "seconds": round(wall, 1), "throughput_qps": round(len(latencies) / wall, 2),
        "latency_ms": {"p50": rounded(50), "p95": rounded(95), "max": rounded(100)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    demo = None
    url = args.url
    if url is None:
        url, demo = start_app()
    try:
        result = run(url, args.questions, args.clients, args.timeout)
    finally:
        if demo is not None:
            demo.close()
    print(json.dumps(result, indent=1))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
