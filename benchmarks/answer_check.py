"""Would the local language model's yes/no check help "not found"? Measured, not shipped (issue 13).

    .venv/bin/python -m benchmarks.answer_check --data ../shared/data --questions 300

IDK-MRC `valid` questions (a seeded sample, half answerable, half not) are each read against their
own passage, the case where the reader's signals separate best. For each question three scores
are recorded:

- the answerability probe's logit and the reader's margin (span score minus no-answer score),
  best window of the passage, as `qa` computes them;
- the local model's (Qwen2.5-Coder-1.5B, `make llm`) judgement: the logit of "yes" minus "no"
  as the first word of its reply to "Does the passage state the answer to this question?".

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

from qa.generation.models import chat_model
from qa.reader.runtime import load_reader
from qa.settings import Settings
from training.data import jsonl_rows
from training.evaluate_reader import roc_auc

SEED = 0
ANSWERABLE_REFUSED = 0.05  # the operating point
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    settings = Settings()
    rows, passages = sample(args.data, args.questions)
    reader, judge = load_reader(settings), Judge(settings)
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
    print(f"| score | ROC AUC | unanswerable below the answerable {ANSWERABLE_REFUSED:.0%} quantile |")
    print("|---|---|---|")
    for name, values in scores.items():
        print(report(name, values, answerable))
    print(f"correlation, probe and local model: {np.corrcoef(scores['probe'], scores['local model'])[0, 1]:.2f}")


if __name__ == "__main__":
    main()
