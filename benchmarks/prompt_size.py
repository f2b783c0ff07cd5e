"""How much of the passages the local model reads, against the time to its first word and how
often a written answer survives the checks (FacQA valid questions 30-39, in English and in
Indonesian: not the questions benchmarks.generation uses).

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.prompt_size [--data ../shared/data] [--sizes 3x500,2x300]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from qa import Assistant, Settings
from qa.generation.chain import Writer
from qa.metrics import answer_hit, percentile

SIZES = ((3, 500), (3, 300), (2, 400), (2, 300))  # (passages, characters of each)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sizes", default=",".join(f"{n}x{c}" for n, c in SIZES), help="e.g. 3x500,2x300")
    args = parser.parse_args()
    data, sizes = args.data, [tuple(int(x) for x in size.split("x")) for size in args.sizes.split(",")]
    quoted = Assistant(Path(tempfile.mkdtemp()) / "facqa", Settings.from_env(llm="off"), build_default=False)
    quoted.index([data / "facqa" / "passages.jsonl"])
    model = Assistant(settings=Settings.from_env(llm="local"), build_default=False).writer.chain.steps[2]
    answers = []
    for lang, name in (("en", "qa_en.jsonl"), ("id", "qa.jsonl")):
        rows = [json.loads(line) for line in (data / "facqa" / name).read_text(encoding="utf-8").splitlines()]
        rows = [r for r in rows if r.get("split") == "valid"][30:40]
        answers += [(r["question"], quoted.ask(r["question"]), lang, r["answers"]) for r in rows]
    print("| passages x characters | first word p50 / p95 (s) | written answers kept | answer hit (written or quoted) |"
          "\n|---|---|---|---|")
    for passages, chars in sizes:
        writer, firsts, kept, hits = Writer(model, 30, passages, chars), [], 0, 0.0
        for question, extractive, lang, gold in answers:
            started, first, final = time.perf_counter(), None, None
            for item in writer.stream(question, extractive, lang):
                if isinstance(item, str) and first is None:
                    first = time.perf_counter() - started
                final = item
            firsts += [first] if first is not None else []
            kept += final.generated
            hits += 0.0 if final.abstained else answer_hit(final.text, gold)
        print(f"| {passages} x {chars} | {percentile(firsts, 50):.2f} / {percentile(firsts, 95):.2f} | "
              f"{kept} / {len(answers)} | {hits / len(answers):.2f} |", flush=True)


if __name__ == "__main__":
    main()
