"""Reading passages: the best answer spans with scores, and how strongly the passages say nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qa.reader.answerability import MIDDLE_LAYER, Answerability, window_features
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
    answerable: float = 0.0  # the answerability probe's logit for the window (0 without a probe)

    @property
    def margin(self) -> float:
        """How much the span beats "not in this passage": the reader's evidence for answering."""
        return self.score - self.no_answer


class Reader:
    """``Reader(encoder, logits, answerability)``: ``logits(input_ids, attention_mask) -> (start,
    end, last, middle)`` arrays (the span logits and two layers' hidden states) is the model,
    whichever runtime runs it; ``answerability`` the optional probe over those states."""

    def __init__(self, encoder: PairEncoder, logits, answerability: Answerability | None = None):
        self.encoder, self.logits, self.answerability = encoder, logits, answerability

    def read(self, question: str, passages: list[str], limit: int = 5) -> list[Span]:
        """The best ``limit`` spans over all passages, best first (at most one per window)."""
        read = self.read_windows(question, passages)
        spans = [span for span, _ in read]
        if self.answerability is not None and read:
            scores = self.answerability.logits(np.stack([features for _, features in read]))
            spans = [replace(span, answerable=float(a)) for span, a in zip(spans, scores)]
        spans.sort(key=lambda s: s.score, reverse=True)
        return spans[:limit]

    def read_windows(self, question: str, passages: list[str]) -> list[tuple[Span, np.ndarray]]:
        """Each window's best span with the window's answerability features, in reading order."""
        if not passages:
            return []
        windows = self.encoder.windows(question, passages)
        out = []
        for begin in range(0, len(windows), WINDOWS_PER_BATCH):
            group = windows[begin:begin + WINDOWS_PER_BATCH]
            start, end, last, middle = self.logits(*self.encoder.batch(group))
            for i, window in enumerate(group):
                span = best_span(window, start[i], end[i], passages[window.passage_index])
                if span is not None:
                    out.append((span, window_features(last[i], middle[i], window, span.score, span.no_answer)))
        return out


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

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, ...]:
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(input_ids).to(model.device),
                        attention_mask=torch.from_numpy(attention_mask).to(model.device), output_hidden_states=True)
        return tuple(t.float().cpu().numpy() for t in (out.start_logits, out.end_logits, out.hidden_states[-1],
                                                       out.hidden_states[MIDDLE_LAYER]))

    return run
