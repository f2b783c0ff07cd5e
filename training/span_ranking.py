"""Choose how the reader's spans from several passages are ranked (on ``valid``): by the reader's
score alone, or with the passage's retrieval score and the answerability probe's score of the
span's window added with weights.

    .venv/bin/python -m training.span_ranking [--data ../shared/data]

Runs retrieval and the reader once per question (FacQA valid in both languages, IDK-MRC valid
answerable, over the calibration indexes of ``training.calibrate``), then scores each rule by
answer hit: a gold answer inside the chosen span's sentence.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.answer.reading import sentence_around
from qa.metrics import answer_hit, mean
from qa.question import analyse_question
from qa.reader.model import WEIGHTS_DIR
from training.calibrate import indexes, weights_tag
from training.data import QUESTION_FILES, jsonl_rows

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = (0.0, 2.0, 5.0, 10.0, 20.0, 50.0, 1000.0)
PROBE_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0)


def records(data: Path, cache: Path, weights: Path = WEIGHTS_DIR) -> list[dict]:
    by_set = indexes(data, cache)
    path = cache / f"span-records-{weights_tag(weights, by_set['idkmrc'].settings)}.json"  # these weights' spans
    if path.is_file():
        return json.loads(path.read_text())
    out = []
    for name, gold in QUESTION_FILES:
        for r in jsonl_rows(data / gold):
            if r["split"] != "valid" or not r["answers"]:
                continue
            assistant = by_set[name]
            info = analyse_question(r["question"])
            with assistant._reading() as loaded:  # noqa: SLF001 - a development tool
                hits = loaded.retriever.hits(info, 5, "hybrid")
            reading = assistant._read(info, hits)  # noqa: SLF001
            spans = []
            for span in reading.spans:
                passage = hits.passages[span.passage_index]
                s, e = sentence_around(passage.text, span.start, span.end) or (span.start, span.end)
                spans.append({"score": span.score, "margin": span.margin, "retrieval": passage.score,
                              "answerable": span.answerable, "sentence": passage.text[s:e]})
            out.append({"set": name, "answers": r["answers"], "spans": spans})
    path.write_text(json.dumps(out))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "calibration")
    args = parser.parse_args()
    rows = records(args.data, args.cache)
    print("| rule | " + " | ".join(sorted({r["set"] for r in rows})) + " |")
    rules = [(key, weight, 0.0) for key in ("score", "margin") for weight in WEIGHTS]
    rules += [("score", weight, probe) for weight in (20.0, 50.0) for probe in PROBE_WEIGHTS[1:]]
    for key, weight, probe in rules:
        hits = {}
        for r in rows:
            best = max(r["spans"], key=lambda s: s[key] + weight * s["retrieval"] + probe * s["answerable"],
                       default=None)
            hits.setdefault(r["set"], []).append(answer_hit(best["sentence"], r["answers"]) if best else 0.0)
        figures = " | ".join(f"{mean(hits[k]):.3f}" for k in sorted(hits))
        print(f"| {key} + {weight:g} x retrieval + {probe:g} x answerable | {figures} |")
    ceiling = {}  # the best any rule could do: some span's sentence holds the answer
    for r in rows:
        ceiling.setdefault(r["set"], []).append(max((answer_hit(s["sentence"], r["answers"]) for s in r["spans"]),
                                                    default=0.0))
    print("| any span read (ceiling) | " + " | ".join(f"{mean(ceiling[k]):.3f}" for k in sorted(ceiling)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
