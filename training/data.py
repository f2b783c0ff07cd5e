"""Reading-comprehension examples from the shared data: (question, passage, answer offsets or none)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

# FacQA train questions machine-translated into English (``python -m training.translate_questions``).
MACHINE_TRANSLATED = Path(__file__).parent / "mt" / "facqa_train_en.jsonl"
# Each data set's questions, relative to the shared data folder (FacQA in both languages, IDK-MRC).
QUESTION_FILES = (("facqa-id", "facqa/qa.jsonl"), ("facqa-en", "facqa/qa_en.jsonl"), ("idkmrc", "idkmrc/qa.jsonl"))


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    context: str
    answer_start: int  # character offset in context; -1 when the passage does not answer it
    answer_text: str
    source: str  # facqa-id | facqa-en | facqa-mt | idkmrc


def jsonl_rows(path: Path):
    """The records of a JSON-lines file, blank lines skipped."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def machine_translated(split: str, path: Path | None = MACHINE_TRANSLATED):
    """The usable machine-translated questions of ``split``: ``train`` only, and only those that
    came back as questions (ending with "?", quotes aside); a statement means the model answered."""
    if split != "train" or not path or not path.is_file():
        return
    yield from (r for r in jsonl_rows(path) if r["question"].rstrip("\"' ").endswith("?"))


def load_examples(data: Path, split: str, translated: Path | None = MACHINE_TRANSLATED) -> list[Example]:
    """FacQA (Indonesian, English and, for ``train``, machine-translated English questions) and
    IDK-MRC examples of one split."""
    facqa_passages = {p["id"]: p["text"] for p in jsonl_rows(data / "facqa" / "passages.jsonl")}
    idk_passages = {p["id"]: p["text"] for p in jsonl_rows(data / "idkmrc" / "passages.jsonl")}
    out: list[Example] = []
    for r in jsonl_rows(data / "facqa" / "qa.jsonl"):
        if r["split"] == split:
            out.append(_answerable(r, r.get("context") or facqa_passages[r["context_id"]], "facqa-id"))
    for r in jsonl_rows(data / "facqa" / "qa_en.jsonl"):
        if r["split"] == split:
            out.append(_answerable(r, facqa_passages[r["context_id"]], "facqa-en"))
    for r in machine_translated(split, translated):
        out.append(_answerable(r, facqa_passages[r["context_id"]], "facqa-mt"))
    for r in jsonl_rows(data / "idkmrc" / "qa.jsonl"):
        if r["split"] != split:
            continue
        if r["answers"]:
            out.append(_answerable(r, idk_passages[r["context_id"]], "idkmrc"))
        else:
            out.append(Example(r["id"], r["question"], idk_passages[r["source_passage_id"]], -1, "", "idkmrc"))
    return [e for e in out if e is not None]


def _answerable(r: dict, context: str, source: str) -> Example | None:
    answer, start = r["answers"][0], r["answer_starts"][0]
    if context[start:start + len(answer)] != answer:  # offsets of re-assembled text may drift
        found = context.find(answer)
        if found < 0:
            return None
        start = found
    return Example(r["id"], r["question"], context, start, answer, source)


def training_mix(examples: list[Example], limits: dict[str, int], seed: int) -> list[Example]:
    """At most ``limits[source]`` examples of each source (IDK-MRC half answerable, half not), shuffled."""
    rng = random.Random(seed)
    chosen: list[Example] = []
    for source, limit in limits.items():
        pool = [e for e in examples if e.source == source]
        rng.shuffle(pool)
        if source == "idkmrc":
            answerable = [e for e in pool if e.answer_start >= 0][: limit // 2]
            unanswerable = [e for e in pool if e.answer_start < 0][: limit - len(answerable)]
            chosen += answerable + unanswerable
        else:
            chosen += pool[:limit]
    rng.shuffle(chosen)
    return chosen
