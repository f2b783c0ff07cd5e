"""The embedder interface: one abstract ``embed_batch``; everything else is shared."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

Kind = Literal["query", "passage"]
ProgressCallback = Callable[[int, int], None]


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors.

    Subclasses set ``name``, ``fingerprint`` (changes whenever vectors would change) and
    ``dimension``, and implement ``embed_batch``.
    """

    name: str = "embedder"
    fingerprint: str = ""
    dimension: int = 0
    prompts: dict[str, str] = {}

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Vectors for one batch of texts, shape (len(texts), dimension)."""

    def count_tokens(self, texts: Sequence[str]) -> int:
        return sum(len(t.split()) for t in texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text], "query")[0]

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: ProgressCallback | None = None) -> np.ndarray:
        """All passages, batched by length so that padding is minimal; input order kept."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for begin in range(0, len(order), batch_size):
            idx = order[begin : begin + batch_size]
            out[idx] = self.embed_batch([texts[i] for i in idx], "passage")
            if progress:
                progress(min(begin + batch_size, len(order)), len(order))
        return out
