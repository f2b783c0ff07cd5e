"""Reading passages: the best answer spans with scores, and how strongly the passages say nothing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.reader.windows import MAX_ANSWER_TOKENS, PairEncoder, Window

TOP_POSITIONS = 20  # start and end candidates per window considered for the best span
WINDOWS_PER_BATCH = 16


@dataclass(frozen=True)
class Span:
    passage_index: int
    start: int  # character offsets in the passage
    end: int
    score: float  # start + end logit
    no_answer: float  # the window's no-answer score (start + end logit of <s>)

    @property
    def margin(self) -> float:
        """How much the span beats "not in this passage": the reader's evidence for answering."""
        return self.score - self.no_answer


class Reader:
    """``Reader(encoder, logits)``: ``logits(input_ids, attention_mask) -> (start, end)`` arrays
    is the model, whichever runtime runs it."""

    def __init__(self, encoder: PairEncoder, logits):
        self.encoder, self.logits = encoder, logits

    def read(self, question: str, passages: list[str], limit: int = 5) -> list[Span]:
        """The best ``limit`` spans over all passages, best first (at most one per window)."""
        if not passages:
            return []
        windows = self.encoder.windows(question, passages)
        spans = []
        for begin in range(0, len(windows), WINDOWS_PER_BATCH):
            group = windows[begin:begin + WINDOWS_PER_BATCH]
            start, end = self.logits(*self.encoder.batch(group))
            spans += [best_span(w, start[i], end[i], passages[w.passage_index]) for i, w in enumerate(group)]
        spans = [s for s in spans if s is not None]
        spans.sort(key=lambda s: s.score, reverse=True)
        return spans[:limit]


def best_span(window: Window, start: np.ndarray, end: np.ndarray, passage: str) -> Span | None:
    """The highest-scoring valid span of one window (inside the passage, end >= start, not too long)."""
    first, last = window.first, window.first + len(window.offsets) - 1
    if last < first:
        return None
    starts = first + np.argsort(-start[first:last + 1])[:TOP_POSITIONS]
    ends = first + np.argsort(-end[first:last + 1])[:TOP_POSITIONS]
    best = None
    for s in starts:
        for e in ends:
            if e < s or e - s + 1 > MAX_ANSWER_TOKENS:
                continue
            score = float(start[s] + end[e])
            if best is None or score > best[0]:
                best = (score, int(s), int(e))
    if best is None:
        return None
    score, s, e = best
    char_start, char_end = window.offsets[s - first][0], window.offsets[e - first][1]
    while char_start < char_end and passage[char_start].isspace():
        char_start += 1
    return Span(window.passage_index, char_start, char_end, score, float(start[0] + end[0]))


def torch_logits(model):
    """A ``logits`` function over a transformers question-answering model."""
    import torch

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(attention_mask))
        return out.start_logits.numpy(), out.end_logits.numpy()

    return run
