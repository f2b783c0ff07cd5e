"""(question, passage) pairs as model inputs: ``<s> question </s></s> passage window </s>``, with
each passage token's character offsets, so that a predicted token span maps back to exact
characters of the passage. Long passages are read in overlapping windows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_TOKENS = 256  # a window, question included (the reader was trained at this length)
STRIDE_TOKENS = 96  # overlap between consecutive windows of one passage
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30  # longest span the reader may return


@dataclass
class Window:
    input_ids: list[int]
    first: int  # position of the first passage token in input_ids
    offsets: list[tuple[int, int]]  # character span in the passage of each passage token
    passage_index: int


class PairEncoder:
    """Builds windows with a ``tokenizers.Tokenizer`` (the model's own ``tokenizer.json``)."""

    def __init__(self, tokenizer, max_tokens: int = MAX_TOKENS, stride: int = STRIDE_TOKENS):
        self.tokenizer, self.max_tokens, self.stride = tokenizer, max_tokens, stride
        self.cls, self.sep = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
        self.pad = tokenizer.token_to_id("<pad>")

    def windows(self, question: str, passages: list[str]) -> list[Window]:
        q_ids = self.tokenizer.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
        head = [self.cls, *q_ids, self.sep, self.sep]
        room = self.max_tokens - len(head) - 1
        out = []
        for index, encoding in enumerate(self.tokenizer.encode_batch(passages, add_special_tokens=False)):
            ids, offsets = encoding.ids, encoding.offsets
            start = 0
            while True:
                piece = slice(start, start + room)
                out.append(Window(head + ids[piece] + [self.sep], len(head), list(offsets[piece]), index))
                if start + room >= len(ids):
                    break
                start += room - self.stride
        return out

    def batch(self, windows: list[Window]) -> tuple[np.ndarray, np.ndarray]:
        """Padded ``input_ids`` and ``attention_mask`` (int64) for ``windows``."""
        width = max(len(w.input_ids) for w in windows)
        ids = np.full((len(windows), width), self.pad, np.int64)
        mask = np.zeros((len(windows), width), np.int64)
        for row, window in enumerate(windows):
            ids[row, : len(window.input_ids)] = window.input_ids
            mask[row, : len(window.input_ids)] = 1
        return ids, mask


def token_span(window: Window, char_start: int, char_end: int) -> tuple[int, int] | None:
    """Input positions of the first and last token covering ``[char_start, char_end)``, or None
    when the answer is not wholly inside this window."""
    first = last = None
    for i, (s, e) in enumerate(window.offsets):
        if e <= char_start or s >= char_end:
            continue
        first = i if first is None else first
        last = i
    if first is None or window.offsets[first][0] > char_start + 1 or window.offsets[last][1] < char_end:
        return None
    return window.first + first, window.first + last
