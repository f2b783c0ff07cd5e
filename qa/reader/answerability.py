"""Whether a passage answers the question: a small MLP over the reader's own hidden states,
trained on IDK-MRC `train` (answerable and unanswerable questions) and FacQA `train`
(``python -m training.answerability``), including questions read with a passage of another
topic or from the other data set. With the shipped eight-pass reader it separates IDK-MRC's
unanswerable questions a little less well than the reader's own no-answer margin (ROC AUC 0.918
against 0.937 on the gold passage), but a passage of another topic far better (distractors 0.882
against 0.789, a Wikipedia question read with a news passage 0.956 against 0.699; the reader's
manifest, docs/evaluation.md); the calibrated refusal reads it, and it helps rank spans across
passages.

Per window (the one holding the reader's best span): the ``<s>`` state of the last layer and of
layer ``MIDDLE_LAYER``, the mean state of the question's and of the passage's tokens in both
layers, and the span's score, no-answer score and margin (``FEATURE_LAYOUT`` 2; layout 1 lacked
the middle layer's means). numpy only at question time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.reader.windows import Window

MIDDLE_LAYER = 9  # on IDK-MRC valid, first-pass reader: its <s> state alone reached AUC 0.80, the last layer's 0.59
ANSWERABILITY_FILE = "answerability.safetensors"
TENSORS = ("mean", "scale", "w1", "b1", "w2", "b2")
MARGIN_COLUMN = -1  # where window_features puts the span's margin (the reader's own signal)
# What window_features returns; a probe trained on another layout is refused. Layout 2 (the middle
# layer's token means added), IDK-MRC valid: ROC AUC 0.894 -> 0.898 on the gold passage, 0.822 ->
# 0.857 against a distractor, 0.930 -> 0.949 against a news passage (docs/evaluation.md).
FEATURE_LAYOUT = 2


def window_features(last: np.ndarray, middle: np.ndarray, window: Window,
                    score: float, no_answer: float) -> np.ndarray:
    """One window's feature vector from its hidden states (``[tokens, hidden]`` each)."""
    end = len(window.input_ids) - 1  # the closing </s>
    question = slice(1, max(2, window.first - 2))  # between <s> and </s></s>
    passage = slice(window.first, max(window.first + 1, end))
    scalars = np.array([score, no_answer, score - no_answer], dtype=np.float32)
    means = [layer[tokens].mean(0) for layer in (last, middle) for tokens in (question, passage)]
    return np.concatenate([last[0], middle[0], *means, scalars]).astype(np.float32)


@dataclass(frozen=True)
class Answerability:
    """logit = w2 . gelu(w1 . standardised(features) + b1) + b2: how likely the window answers."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def logits(self, features: np.ndarray) -> np.ndarray:
        hidden = ((features - self.mean) / self.scale) @ self.w1.T + self.b1
        return (_gelu(hidden) @ self.w2.T + self.b2)[:, 0]

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        save_file({name: np.ascontiguousarray(getattr(self, name), np.float32) for name in TENSORS},
                  str(Path(folder) / ANSWERABILITY_FILE))

    @classmethod
    def load(cls, folder: Path) -> Answerability | None:
        """The trained probe in ``folder``, or None when there is none."""
        from safetensors.numpy import load_file

        path = Path(folder) / ANSWERABILITY_FILE
        if not path.is_file():
            return None
        tensors = load_file(str(path))
        return cls(*(tensors[name].astype(np.float32) for name in TENSORS))


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (what the probe is trained with: ``torch.nn.GELU(approximate="tanh")``)."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))
