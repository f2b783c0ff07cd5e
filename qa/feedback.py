"""Feedback on answers, kept as evaluation data: one JSON line per verdict, in the gold-set format
that ``qa eval --gold`` reads directly.

- ``up``: the answer was right; its cited sentences become the evidence and its answer spans
  (the date, number or name it gave) the accepted answers.
- ``passage``: the person marked a passage as the one that answers the question.
- ``down``: the answer was wrong. Kept for review (``qa feedback``); ``qa eval`` skips these
  lines, since they say what is wrong but not what is right.

A line holds the question, the answer, the passages with their offsets, the verdict and the
time: nothing about who gave it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Literal

from qa.errors import QAError
from qa.types import Answer

Verdict = Literal["up", "down", "passage"]
VERDICTS = ("up", "down", "passage")
_LOCK = threading.Lock()


def feedback_record(answer: Answer, verdict: Verdict, passage: dict | None = None,
                    document_text=None) -> dict:
    """The gold-set line for ``verdict`` on ``answer``. ``passage``: ``{"doc_id", "start", "end"}``
    of the passage marked as answering it (verdict ``passage``); ``document_text(doc_id)`` gives
    the text its offsets point into."""
    if verdict not in VERDICTS:
        raise QAError(f"Unknown verdict {verdict!r}; use one of {', '.join(VERDICTS)}.")
    evidence, answers = [], []
    if verdict == "passage":
        if not passage or document_text is None:
            raise QAError("Marking a passage needs the passage (doc_id, start, end).")
        text = document_text(passage["doc_id"])
        if text is None:
            raise QAError(f"The article {passage['doc_id']} is no longer in the index.")
        start, end = int(passage["start"]), int(passage["end"])
        evidence.append({"doc": passage["doc_id"], "quote": text[start:end], "start": start, "end": end})
    elif verdict == "up":
        for citation in answer.citations:
            if citation.corroborates:
                continue
            text = document_text(citation.passage.doc_id) if document_text else None
            for start, end in citation.highlights or [(citation.passage.start, citation.passage.end)]:
                quote = text[start:end] if text else citation.passage.text
                evidence.append({"doc": citation.passage.doc_id, "quote": quote, "start": start, "end": end})
            if text:
                answers += [text[s:e] for s, e in citation.answer_spans]
    time = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    digest = hashlib.sha256(f"{answer.question}\x00{verdict}\x00{time}\x00{evidence}".encode()).hexdigest()[:12]
    record = {"id": f"feedback-{digest}", "question": answer.question, "answers": list(dict.fromkeys(answers)),
              "evidence": evidence, "verdict": verdict, "answer": answer.text, "abstained": answer.abstained,
              "filters": answer.filters, "time": time, "kind": "feedback"}
    return record


def append_feedback(path: Path, record: dict) -> None:
    """Append one line; a crash mid-write never damages the lines already there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK, open(path, "ab+") as handle:
        if handle.tell() > 0:  # after an interrupted write the last line lacks its end: start afresh
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                line = "\n" + line
        handle.write(line.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def read_feedback(path: Path) -> list[dict]:
    """Every readable line of the feedback file (a damaged line is skipped)."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("verdict") in VERDICTS:
            records.append(record)
    return records
