"""The reader's plumbing with a tiny tokenizer and a tiny randomly initialised model (fast), and
span decoding and answer building with crafted logits."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from qa.answer import NOT_FOUND, Reading, Refusal, compose_answer
from qa.question import analyse_question
from qa.reader.reader import Reader, Span, best_span, torch_logits
from qa.reader.windows import PairEncoder, token_span
from qa.types import Hits, Passage
from training.calibrate import highest_threshold

WORDS = "<pad> <s> </s> <unk> kapan lavrov tiba di pyongyang pada rabu (18/10) dan bertemu kim kamis".split()


def tiny_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tokenizer


def test_windows_cover_long_passages_and_map_answers_to_tokens():
    encoder = PairEncoder(tiny_tokenizer(), max_tokens=12, stride=3)
    passage = "lavrov tiba di pyongyang pada rabu (18/10) dan bertemu kim pada kamis"
    windows = encoder.windows("kapan lavrov tiba", [passage])
    assert len(windows) > 1 and all(len(w.input_ids) <= 12 for w in windows)
    assert windows[0].input_ids[:6] == [1, 4, 5, 6, 2, 2]  # <s> question </s></s> passage...
    start = passage.index("rabu")
    spans = [token_span(w, start, start + len("rabu (18/10)")) for w in windows]
    assert any(spans)
    w = windows[[bool(s) for s in spans].index(True)]
    first, last = spans[[bool(s) for s in spans].index(True)]
    assert passage[w.offsets[first - w.first][0]:w.offsets[last - w.first][1]].strip() == "rabu (18/10)"
    ids, mask = encoder.batch(windows)
    assert ids.shape == mask.shape and mask.sum() == sum(len(w.input_ids) for w in windows)


def test_best_span_respects_bounds_and_reports_the_no_answer_score():
    encoder = PairEncoder(tiny_tokenizer())
    passage = "lavrov tiba di pyongyang pada rabu (18/10)"
    (window,) = encoder.windows("kapan lavrov tiba", [passage])
    start, end = np.zeros(len(window.input_ids)), np.zeros(len(window.input_ids))
    start[0], end[0] = 1.0, 1.0  # "no answer"
    rabu = window.first + 5
    start[rabu], end[rabu + 1] = 4.0, 3.0
    start[window.first - 2], end[window.first - 1] = 9.0, 9.0  # the question is never an answer
    start[rabu + 2] = 5.0  # a start after the best end does not pair with it
    span = best_span(window, start, end, passage)
    assert passage[span.start:span.end] == "rabu (18/10)" and span.no_answer == 2.0 and span.margin == 5.0


def test_a_tiny_random_model_runs_through_the_reader():
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertForQuestionAnswering

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, pad_token_id=0)
    reader = Reader(PairEncoder(tiny_tokenizer()), torch_logits(BertForQuestionAnswering(config).eval()))
    spans = reader.read("kapan lavrov tiba", ["lavrov tiba di pyongyang", "bertemu kim pada kamis"], limit=5)
    assert 1 <= len(spans) <= 2 and {s.passage_index for s in spans} <= {0, 1}
    assert all(s.end > s.start for s in spans) and spans == sorted(spans, key=lambda s: -s.score)


def passage(doc, text, score=0.9, start=0):
    return Passage(doc_id=doc, start=start, end=start + len(text), text=text, score=score)


def test_answers_come_from_the_spans_and_refusal_from_the_calibrated_score():
    text = "Pertemuan itu hangat. Lavrov tiba di Pyongyang pada Rabu (18/10/2023) untuk kunjungan dua hari."
    hits = Hits([passage("a", text, start=50)])
    where = text.index("Pyongyang")
    span = Span(0, where, where + len("Pyongyang"), score=8.0, no_answer=1.0)
    question = "Where did Lavrov arrive?"
    refusal = Refusal((1.0,), -3.0, 0.5)  # answers when the margin is above 3
    answer = compose_answer(question, analyse_question(question), hits, reading=Reading([span], refusal))
    assert not answer.abstained and answer.text.startswith("Lavrov tiba di Pyongyang") and answer.text.endswith("[1]")
    assert answer.citations[0].answer_spans == [(50 + where, 50 + where + len("Pyongyang"))]
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(-4.0)), abs=1e-4)
    weak = Span(0, where, where + len("Pyongyang"), score=2.0, no_answer=1.0)
    refused = compose_answer(question, analyse_question(question), hits, reading=Reading([weak], refusal))
    assert refused.abstained and refused.text == NOT_FOUND and refused.passages == hits.passages


def test_when_questions_get_a_timeline_of_the_read_sentences():
    first = "Lavrov tiba di Pyongyang pada Rabu (18/10/2023) untuk kunjungan dua hari."
    second = "Lavrov bertemu Kim di Wonsan pada 12 Juli 2025."
    hits = Hits([passage("b", second), passage("a", first)])
    spans = [Span(1, first.index("Rabu"), first.index(" untuk"), 9.0, 0.0),
             Span(0, second.index("12 Juli"), len(second) - 1, 8.0, 0.0)]
    question = "When did Lavrov visit?"
    answer = compose_answer(question, analyse_question(question), hits,
                            reading=Reading(spans, Refusal((1.0,), 0.0, 0.5)))
    lines = answer.text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("- October 2023:") and lines[1].startswith("- July 2025:")


def test_the_calibrated_threshold_refuses_at_most_the_allowed_share_of_answerable_questions():
    scores = [i / 100 for i in range(100)]  # 100 answerable questions
    threshold = highest_threshold(scores, 0.05)
    assert sum(p < threshold for p in scores) == 5
    assert sum(p < round(threshold, 6) for p in scores) == 5  # as stored in the manifest
    assert sum(p < highest_threshold(scores[:10], 0.05) for p in scores[:10]) == 0
