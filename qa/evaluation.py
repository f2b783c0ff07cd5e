"""Evaluate retrieval and answers against a gold file (``qa eval`` and ``qa.evaluate``).

Two line formats, told apart per line: gold-set lines (``evidence`` quotes, relevance by span
overlap) and FacQA-style lines (``context_id``, relevance by document id).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from qa.assistant import Assistant
from qa.errors import GoldFileError, QAError
from qa.metrics import (
    answer_hit,
    citation_precision,
    find_span,
    hit_at,
    mean,
    mrr_at,
    ndcg_at,
    overlaps,
    percentile,
)
from qa.types import Passage, Problem

CUTOFFS = (1, 3, 5, 10)


@dataclass
class GoldQuestion:
    id: str
    question: str
    answers: list[str]
    lang: str = ""
    kind: str = ""
    evidence: list[tuple[str, int, int]] = field(default_factory=list)  # (doc, start, end)
    context_id: str = ""  # FacQA style: any chunk of this document is relevant

    @property
    def answerable(self) -> bool:
        return bool(self.evidence or self.context_id)

    def relevant(self, passage: Passage) -> list[int]:
        """Indices of the evidence items that ``passage`` supports."""
        if self.context_id:
            return [0] if passage.doc_id == self.context_id else []
        return [i for i, (doc, s, e) in enumerate(self.evidence)
                if doc == passage.doc_id and overlaps((s, e), (passage.start, passage.end))]

    @property
    def n_relevant(self) -> int:
        return 1 if self.context_id else len(self.evidence)


def load_gold(path: Path, document_text, split: str | None = None) -> tuple[list[GoldQuestion], list[Problem]]:
    """Parse and validate ``path``; every bad line is reported with its number and skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFileError(f"Cannot read the gold file {path}: {exc}") from exc
    questions, problems, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must be a JSON object")
            if split and record.get("split") != split:  # a line with no split is of none
                continue
            if record.get("verdict") == "down":  # feedback saying an answer was wrong: not gold (qa.feedback)
                continue
            question = _parse(record, document_text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"not valid JSON ({exc.msg})"))
            continue
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        if question.id in seen:
            problems.append(Problem(where, f"duplicate id {question.id!r}"))
            continue
        seen.add(question.id)
        questions.append(question)
    return questions, problems


def _parse(record: dict, document_text) -> GoldQuestion:
    missing = [k for k in ("id", "question", "answers") if k not in record]
    if "evidence" not in record and "context_id" not in record:
        missing.append("evidence (or context_id)")
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    if not isinstance(record["question"], str) or not record["question"].strip():
        raise ValueError("'question' must be a non-empty string")
    if not isinstance(record["answers"], list) or not all(isinstance(a, str) for a in record["answers"]):
        raise ValueError("'answers' must be a list of strings")
    question = GoldQuestion(str(record["id"]), record["question"], record["answers"],
                            str(record.get("lang", "")), str(record.get("kind", "")))
    if "evidence" in record:
        for item in record["evidence"]:
            if not isinstance(item, dict) or "doc" not in item or "quote" not in item:
                raise ValueError("each evidence item needs 'doc' and 'quote'")
            text = document_text(item["doc"])
            if text is None:
                raise ValueError(f"unknown document {item['doc']!r}")
            span = find_span(text, item["quote"])
            if span is None:
                raise ValueError(f"quote not found in {item['doc']}: {item['quote'][:60]!r}")
            question.evidence.append((item["doc"], *span))
    else:
        if document_text(str(record["context_id"])) is None:
            raise ValueError(f"unknown document {record['context_id']!r}")
        question.context_id = str(record["context_id"])
    return question


def evaluate(gold: str | Path, index_dir: str | Path | None = None, corpus: list | None = None, k: int = 10,
             mode: str | None = None, split: str | None = None, limit: int | None = None,
             assistant=None) -> dict:
    """Run every gold question through retrieval and answering and return the metrics."""
    if assistant is None and corpus:
        with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
            temporary = Assistant(Path(tmp) / "index", build_default=False)
            temporary.index(corpus)
            return evaluate(gold, k=k, mode=mode, split=split, limit=limit, assistant=temporary)
    assistant = assistant or Assistant(index_dir)
    mode = mode or assistant.settings.retriever

    def document_text(doc_id: str) -> str | None:
        doc = assistant.document(doc_id)
        return doc.text if doc else None

    questions, problems = load_gold(Path(gold), document_text, split)
    if limit:
        questions = questions[:limit]
    if not questions and split and not problems:
        raise GoldFileError(f"No line of {gold} has \"split\": {json.dumps(split)}; leave out --split to use "
                            "every line.")
    if not questions:
        raise GoldFileError(f"No usable question in {gold}" + (
            f" ({len(problems)} bad line(s); the first, {problems[0]}). A line needs id, question, answers "
            "(a list, empty when unanswerable) and evidence (or context_id): see eval/seeds_gold.jsonl."
            if problems else "."))
    records = [_run_one(assistant, q, k, mode) for q in questions]
    result = _aggregate(records, questions)
    result.update({"mode": mode, "k": k, "gold": str(gold), "problems": [str(p) for p in problems]})
    result["by_lang"] = _grouped(records, questions, "lang")
    result["by_kind"] = _grouped(records, questions, "kind")
    result["questions"] = records
    return result


def _run_one(assistant, q: GoldQuestion, k: int, mode: str) -> dict:
    started = time.perf_counter()
    try:
        answer = assistant.ask(q.question, k=k, mode=mode)
    except QAError as exc:
        return {"id": q.id, "question": q.question, "answerable": q.answerable, "error": str(exc),
                "ranks": [], "gains": [], "answer": "", "hit": 0.0, "abstained": True,
                "cited_relevant": [], "retrieved": [],
                "latency_ms": (time.perf_counter() - started) * 1000}
    latency = (time.perf_counter() - started) * 1000
    ranks, gains, covered = [], [], set()
    for rank, passage in enumerate(answer.passages[:k], start=1):
        supports = q.relevant(passage)
        if supports:
            ranks.append(rank)
        new = set(supports) - covered
        gains.append(1.0 if new else 0.0)
        covered |= new
    return {
        "id": q.id, "question": q.question, "answerable": q.answerable, "ranks": ranks, "gains": gains,
        "answer": answer.text, "abstained": answer.abstained,
        "hit": _hit(answer, q),
        "cited_relevant": [bool(q.relevant(c.passage)) for c in answer.citations],
        "retrieved": [f"{p.doc_id}[{p.start}:{p.end}] {p.text[:100]}" for p in answer.passages[:3]],
        "latency_ms": round(latency, 2),
    }


def _hit(answer, q: GoldQuestion) -> float | None:
    """Answer hit; None (not counted) for an answerable question whose gold names no answer text
    (a passage marked on the page)."""
    if not q.answerable or answer.abstained:
        return 0.0
    return answer_hit(answer.text, q.answers) if q.answers else None


def _aggregate(records: list[dict], questions: list[GoldQuestion]) -> dict:
    answerable = [(r, q) for r, q in zip(records, questions) if q.answerable]
    unanswerable = [r for r, q in zip(records, questions) if not q.answerable]
    retrieval = {f"hit@{c}": mean([hit_at(r["ranks"], c) for r, _ in answerable]) for c in CUTOFFS}
    retrieval["mrr@10"] = mean([mrr_at(r["ranks"], 10) for r, _ in answerable])
    retrieval["ndcg@10"] = mean([ndcg_at(r["gains"], q.n_relevant, 10) for r, q in answerable])
    latencies = [r["latency_ms"] for r in records]
    return {
        "n": len(records), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable),
        "retrieval": retrieval,
        "answer": {"hit": mean([r["hit"] for r, _ in answerable])},
        "citations": {"precision": mean([citation_precision(r["cited_relevant"]) for r, _ in answerable])},
        "abstention": {
            "unanswerable_abstained": mean([1.0 if r["abstained"] else 0.0 for r in unanswerable]),
            "answerable_abstained": mean([1.0 if r["abstained"] else 0.0 for r, _ in answerable]),
        },
        "latency_ms": {"median": _round(percentile(latencies, 50)), "p95": _round(percentile(latencies, 95))},
    }


def _grouped(records: list[dict], questions: list[GoldQuestion], key: str) -> dict:
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(getattr(q, key) or "unknown", []).append(i)
    return {name: {k: v for k, v in _aggregate([records[i] for i in idx], [questions[i] for i in idx]).items()
                   if k != "latency_ms"} for name, idx in sorted(groups.items())}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def failed(record: dict) -> bool:
    if not record["answerable"]:
        return not record["abstained"]
    return record["hit"] == 0.0 or not record["ranks"] or record["ranks"][0] > 5


def render_table(result: dict) -> str:
    r, a = result["retrieval"], result["abstention"]
    rows = [
        f"questions: {result['n']} ({result['n_answerable']} answerable)   mode: {result['mode']}   k: {result['k']}",
        "retrieval: " + "  ".join(f"{k} {_fmt(v)}" for k, v in r.items()),
        f"answers:   hit {_fmt(result['answer']['hit'])}   citation precision {_fmt(result['citations']['precision'])}",
        f"abstained: unanswerable {_fmt(a['unanswerable_abstained'])}   answerable {_fmt(a['answerable_abstained'])}",
        f"latency:   median {result['latency_ms']['median']} ms   p95 {result['latency_ms']['p95']} ms",
    ]
    if result["problems"]:
        rows.append(f"skipped {len(result['problems'])} bad gold line(s): " + "; ".join(result["problems"][:5]))
    return "\n".join(rows)


def render_markdown(result: dict) -> str:
    lines = [f"# Evaluation: {result['gold']}", "", "```", render_table(result), "```", ""]
    for group in ("by_lang", "by_kind"):
        lines += [f"## {group.replace('_', ' ')}", "",
                  "| group | n | hit@1 | hit@5 | MRR@10 | answer hit | abstained (unans.) |",
                  "|---|---|---|---|---|---|---|"]
        for name, g in result[group].items():
            lines.append(f"| {name} | {g['n']} | {_fmt(g['retrieval']['hit@1'])} | {_fmt(g['retrieval']['hit@5'])} | "
                         f"{_fmt(g['retrieval']['mrr@10'])} | {_fmt(g['answer']['hit'])} | "
                         f"{_fmt(g['abstention']['unanswerable_abstained'])} |")
        lines.append("")
    lines += ["## Failed questions", ""]
    for record in result["questions"]:
        if failed(record):
            lines += [f"### {record['id']}: {record['question']}", "",
                      f"- relevant ranks: {record['ranks'] or 'none in top k'}; answer hit: {record['hit']}; "
                      f"abstained: {record['abstained']}",
                      f"- answer: {record['answer'][:300]!r}", "- retrieved instead:"]
            lines += [f"  - {item}" for item in record["retrieved"]]
            lines.append("")
    return "\n".join(lines)


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
