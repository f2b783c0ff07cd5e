"""How much of the passages the local model reads, against the time to its first word and how
often a written answer survives the checks (FacQA valid questions 30-44, Indonesian).

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.prompt_size [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from qa import Assistant, Settings
from qa.generation.chain import Writer
from qa.metrics import percentile

SIZES = ((3, 500), (3, 250), (2, 300), (2, 200), (1, 400))  # (passages, characters of each)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    data = parser.parse_args().data
    quoted = Assistant(Path(tempfile.mkdtemp()) / "facqa", Settings.from_env(llm="off"), build_default=False)
    quoted.index([data / "facqa" / "passages.jsonl"])
    model = Assistant(settings=Settings.from_env(llm="local"), build_default=False).writer.chain.steps[2]
    rows = [json.loads(line) for line in (data / "facqa" / "qa.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("split") == "valid"][30:45]  # not the questions benchmarks.generation uses
    answers = [(r["question"], quoted.ask(r["question"])) for r in rows]
    print("| passages x characters | first word p50 / p95 (s) | written answers kept |\n|---|---|---|")
    for passages, chars in SIZES:
        writer, firsts, kept = Writer(model, 30, passages, chars), [], 0
        for question, extractive in answers:
            started, first, final = time.perf_counter(), None, None
            for item in writer.stream(question, extractive, "id"):
                if isinstance(item, str) and first is None:
                    first = time.perf_counter() - started
                final = item
            firsts += [first] if first is not None else []
            kept += final.generated
        print(f"| {passages} x {chars} | {percentile(firsts, 50):.2f} / {percentile(firsts, 95):.2f} | "
              f"{kept} / {len(answers)} |", flush=True)


if __name__ == "__main__":
    main()
