"""Feedback becomes evaluation data: verdicts appended as gold lines that qa eval reads."""

from __future__ import annotations

import json

import pytest

from qa import QAError, evaluate
from qa.feedback import read_feedback


def test_verdicts_become_gold_lines_that_eval_reads(fake_assistant):
    answer = fake_assistant.ask("Berapa kontainer yang dikirim Korea Utara ke Rusia?")
    assert not answer.abstained
    up = fake_assistant.record_feedback(answer, "up")
    cited = answer.citations[0].passage
    marked = fake_assistant.record_feedback(answer, "passage", {"doc_id": cited.doc_id, "start": cited.start,
                                                                "end": cited.end})
    down = fake_assistant.record_feedback(fake_assistant.ask("Siapa juara sepak bola?"), "down")
    assert [r["verdict"] for r in fake_assistant.feedback()] == ["up", "passage", "down"]
    assert up["evidence"] and all(e["quote"] for e in up["evidence"])
    document = fake_assistant.document(cited.doc_id).text
    assert marked["evidence"] == [{"doc": cited.doc_id, "quote": document[cited.start:cited.end],
                                   "start": cited.start, "end": cited.end}]
    assert set(down) >= {"question", "answer", "verdict", "time"} and "user" not in json.dumps(down)

    path = fake_assistant.settings.resolved_feedback_file
    result = evaluate(path, assistant=fake_assistant, k=5)
    assert result["n"] == 2 and result["problems"] == []  # the "down" line is not gold
    assert result["retrieval"]["hit@5"] == 1.0


def test_a_damaged_line_loses_nothing_else(fake_assistant):
    answer = fake_assistant.ask("Kapan Lavrov mengunjungi Pyongyang?")
    fake_assistant.record_feedback(answer, "up")
    path = fake_assistant.settings.resolved_feedback_file
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"question": "half a line')  # as an interrupted write would leave it
    fake_assistant.record_feedback(answer, "down")
    assert [r["verdict"] for r in read_feedback(path)] == ["up", "down"]


def test_unknown_verdicts_and_missing_passages_are_refused(fake_assistant):
    answer = fake_assistant.ask("Kapan Lavrov mengunjungi Pyongyang?")
    with pytest.raises(QAError, match="Unknown verdict"):
        fake_assistant.record_feedback(answer, "meh")
    with pytest.raises(QAError, match="no longer in the index"):
        fake_assistant.record_feedback(answer, "passage", {"doc_id": "gone", "start": 0, "end": 5})
