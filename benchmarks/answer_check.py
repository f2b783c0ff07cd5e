"""Would the local language model's yes/no check help "not found"? Measured, not shipped (issue 13).

    .venv/bin/python -m benchmarks.answer_check --data ../shared/data --questions 300

IDK-MRC `valid` questions (a seeded sample, half answerable, half not) are each read against their
own passage, the case where the reader's signals separate best. For each question three scores
are recorded:

- the answerability probe's logit and the reader's margin (span score minus no-answer score),
  best window of the passage, as `qa` computes them;
- the local model's (Qwen2.5-Coder-1.5B, `make llm`) judgement: the logit of "yes" minus "no"
  as the first word of its reply to "Does the passage state the answer to this question?".

With ``--pipeline CHARS`` each question runs the whole pipeline instead (retrieval over an index
of IDK-MRC's passages, then the reader, as `qa eval -k 10` asks it), and the shipped refusal
score is compared with the local model's judgement of the sentences around the span the answer
would show, ``CHARS`` characters at most:

    .venv/bin/python -m benchmarks.answer_check --data ../shared/data --questions 300 --pipeline 400

Printed for each score and for standardised sums: ROC AUC, and the share of unanswerable
questions scored below the answerable questions' 5% quantile (what a threshold that refuses 5%
of answerable questions would refuse), with the local model's seconds per question.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from pathlib import Path

import numpy as np

from qa.answer.params import DEFAULT_PARAMS
from qa.answer.reading import NO_SPAN, refusal_features, span_rank
from qa.filters import Filters
from qa.generation.models import chat_model
from qa.reader.runtime import load_reader
from qa.settings import Settings
from qa.text.sentences import split_sentences
from training.calibrate import REPO, indexes
from training.data import jsonl_rows
from training.evaluate_reader import roc_auc

SEED = 0
ANSWERABLE_REFUSED = 0.05  # the operating point
CHECK_WEIGHTS = (0.5, 1.0)  # the local model's weight in a sum of standardised scores: none is fitted
PROMPT = ("<|im_start|>system\nYou check whether a passage answers a question.<|im_end|>\n"
          "<|im_start|>user\nPassage:\n{passage}\n\nQuestion: {question}\n\n"
          "Does the passage state the answer to this question? Reply yes or no.<|im_end|>\n"
          "<|im_start|>assistant\n")


def sample(data: Path, count: int) -> tuple[list[dict], dict[str, str]]:
    folder = data / "idkmrc"
    passages = {row["id"]: row["text"] for row in jsonl_rows(folder / "passages.jsonl")}
    rows = [row for row in jsonl_rows(folder / "qa.jsonl") if row["split"] == "valid"]
    random.Random(SEED).shuffle(rows)
    answerable = [row for row in rows if row["kind"] == "answerable"][:count // 2]
    unanswerable = [row for row in rows if row["kind"] != "answerable"][:count // 2]
    return answerable + unanswerable, passages


class Judge:
    """The local model's "yes" logit minus its "no" logit, for the first word of its reply."""

    def __init__(self, settings: Settings):
        # The model `ask` writes answers with, loaded the same way (threads, quiet, install hint).
        self.model = chat_model(dataclasses.replace(settings, llm="local")).client
        first = {word: self.model.tokenize(word.encode(), add_bos=False)[0] for word in ("yes", "Yes", "no", "No")}
        self.yes, self.no = (first["yes"], first["Yes"]), (first["no"], first["No"])

    def __call__(self, question: str, passage: str) -> float:
        tokens = self.model.tokenize(PROMPT.format(passage=passage, question=question).encode(),
                                     add_bos=False, special=True)
        self.model.reset()
        self.model.eval(tokens)
        logits = np.ctypeslib.as_array(self.model._ctx.get_logits_ith(-1), shape=(self.model.n_vocab(),))
        return float(max(logits[i] for i in self.yes) - max(logits[i] for i in self.no))


def report(name: str, scores: np.ndarray, answerable: np.ndarray) -> str:
    threshold = np.quantile(scores[answerable], ANSWERABLE_REFUSED)
    below = float((scores[~answerable] < threshold).mean())
    return f"| {name} | {roc_auc(scores[answerable].tolist(), scores[~answerable].tolist()):.3f} | {below:.3f} |"


def pipeline(data: Path, rows: list[dict], judge, chars: int) -> None:
    """Each question through the whole pipeline, as `qa eval -k 10` asks it over an index of IDK-MRC's
    passages: the shipped refusal score's logit, and the check of the sentences around the span the
    answer would show, ``chars`` characters at most (``around``)."""
    assistant = indexes(data, REPO / ".cache" / "calibration")["idkmrc"]
    shipped, check, seconds = [], [], 0.0
    for row in rows:
        # A measurement reading the pipeline's evidence, the same call `ask` makes.
        scope, hits, reading = assistant._evidence(  # noqa: SLF001
            row["question"], 10, assistant.settings.retriever, Filters(), None)
        shipped.append(reading.refusal.logit(refusal_features(scope.info, reading.refusal_spans, hits,
                                                              reading.refusal.features)))
        started = time.perf_counter()
        if reading.spans:
            chosen = max(reading.spans, key=lambda span: span_rank(span, hits, DEFAULT_PARAMS))
            window = around(hits.passages[chosen.passage_index].text, chosen.start, chosen.end, chars)
            check.append(judge(scope.info.text, window))
        else:
            check.append(NO_SPAN)
        seconds += time.perf_counter() - started
    answerable = np.array([row["kind"] == "answerable" for row in rows])
    scores = {"shipped refusal": np.array(shipped), "local model": np.array(check)}
    z = {name: (s - s.mean()) / s.std() for name, s in scores.items()}
    for weight in CHECK_WEIGHTS:
        scores[f"shipped refusal + {weight} x local model"] = z["shipped refusal"] + weight * z["local model"]
    print(f"{int(answerable.sum())} answerable, {int((~answerable).sum())} unanswerable IDK-MRC valid questions, "
          f"whole pipeline, local model on {chars} characters: {seconds / len(rows):.1f} s per question")
    table(scores, answerable)


def around(text: str, start: int, end: int, limit: int) -> str:
    """The sentence(s) of ``text`` covering ``[start, end)``, widened by whole neighbouring
    sentences (after first, then before) while the whole stays within ``limit`` characters."""
    sentences = split_sentences(text) or [(0, len(text))]
    covering = [i for i, (s, e) in enumerate(sentences) if s < end and start < e] or [0]
    first, last = covering[0], covering[-1]
    grown = True
    while grown:
        grown = False
        for neighbour in (last + 1, first - 1):
            if 0 <= neighbour < len(sentences):
                lo, hi = min(first, neighbour), max(last, neighbour)
                if sentences[hi][1] - sentences[lo][0] <= limit:
                    first, last, grown = lo, hi, True
    return text[sentences[first][0]:sentences[last][1]]


def table(scores: dict[str, np.ndarray], answerable: np.ndarray) -> None:
    print(f"| score | ROC AUC | unanswerable below the answerable {ANSWERABLE_REFUSED:.0%} quantile |")
    print("|---|---|---|")
    for name, values in scores.items():
        print(report(name, values, answerable))
    first = next(iter(scores))
    print(f"correlation, {first} and local model: {np.corrcoef(scores[first], scores['local model'])[0, 1]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--pipeline", type=int, default=0, metavar="CHARS",
                        help="read through the whole pipeline; the check reads CHARS characters around the span")
    args = parser.parse_args()
    settings = Settings.from_env()
    rows, passages = sample(args.data, args.questions)
    judge = Judge(settings)
    if args.pipeline:
        pipeline(args.data, rows, judge, args.pipeline)
        return
    reader = load_reader(settings)
    probe, margin, model, seconds = [], [], [], 0.0
    for row in rows:
        passage = passages[row.get("context_id") or row["source_passage_id"]]
        spans = reader.read(row["question"], [passage], limit=100)
        probe.append(max((s.answerable for s in spans), default=-100.0))
        margin.append(max((s.margin for s in spans), default=-100.0))
        started = time.perf_counter()
        model.append(judge(row["question"], passage))
        seconds += time.perf_counter() - started
    answerable = np.array([row["kind"] == "answerable" for row in rows])
    scores = {"probe": np.array(probe), "margin": np.array(margin), "local model": np.array(model)}
    z = {name: (s - s.mean()) / s.std() for name, s in scores.items()}
    scores["probe + margin"] = z["probe"] + z["margin"]
    scores["probe + margin + local model"] = z["probe"] + z["margin"] + z["local model"]
    print(f"{int(answerable.sum())} answerable, {int((~answerable).sum())} unanswerable IDK-MRC valid questions, "
          f"each on its own passage; local model {seconds / len(rows):.1f} s per question")
    table(scores, answerable)


if __name__ == "__main__":
    main()
