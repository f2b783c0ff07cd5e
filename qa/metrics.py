"""Evaluation metrics as pure functions over plain lists (unit-tested on hand-made cases)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence


def normalise(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into spaces and collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", kept).split())


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalise(text)`` plus, for each of its characters, the offset it came from in ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        for part in unicodedata.normalize("NFKD", ch.lower()):
            if unicodedata.combining(part):
                continue
            if re.match(r"\w", part):
                if pending_space and chars:
                    chars.append(" ")
                    offsets.append(i)
                chars.append(part)
                offsets.append(i)
                pending_space = False
            else:
                pending_space = True
    return "".join(chars), offsets


def find_span(document: str, quote: str) -> tuple[int, int] | None:
    """Character span in ``document`` of ``quote``, compared after normalisation."""
    norm_doc, offsets = normalise_with_offsets(document)
    norm_quote = normalise(quote)
    if not norm_quote:
        return None
    at = norm_doc.find(norm_quote)
    if at < 0:
        return None
    return offsets[at], offsets[at + len(norm_quote) - 1] + 1


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def hit_at(ranks: Sequence[int], k: int) -> float:
    """1 if any relevant item is ranked within the top ``k`` (ranks are 1-based)."""
    return 1.0 if any(r <= k for r in ranks) else 0.0


def mrr_at(ranks: Sequence[int], k: int) -> float:
    best = min(ranks, default=None)
    return 1.0 / best if best is not None and best <= k else 0.0


def ndcg_at(gains: Sequence[float], n_relevant: int, k: int) -> float:
    """nDCG@k for binary ``gains`` in ranked order; the ideal puts ``n_relevant`` hits first."""
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    return dcg / ideal if ideal else 0.0


def answer_hit(answer_text: str, acceptable: Sequence[str]) -> float:
    text = normalise(answer_text)
    return 1.0 if any(normalise(a) and normalise(a) in text for a in acceptable) else 0.0


def citation_precision(cited: Sequence[bool]) -> float | None:
    """Share of cited passages that support the answer; None when nothing was cited."""
    return sum(cited) / len(cited) if cited else None


def mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in [0, 100])."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
