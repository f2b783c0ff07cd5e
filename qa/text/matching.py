"""Does a text mention a term? As written, as a dictionary translation, or as a spelling variant."""

from __future__ import annotations

import re

from qa.text.dictionary import alternatives

# Two words longer than this may differ by two edits and still be the same name (Moscow/Moskwa).
LONG_WORD = 7


def mentioned_terms(terms: list[str], text_tokens: set[str]) -> list[str]:
    """The ``terms`` that occur in ``text_tokens``, as written or as a dictionary translation
    (White House / Gedung Putih), allowing spelling variants across languages (Russia/Rusia,
    Moscow/Moskow) and Indonesian affixes."""
    return [t for t in terms if any(all(any(same_word(part, w) for w in text_tokens) for part in alt)
                                    for alt in alternatives(t))]


def known_to(term: str, vocabulary) -> bool:
    """Whether ``vocabulary`` (exact words) contains ``term`` or one of its translations."""
    return any(all(part in vocabulary for part in alt) for alt in alternatives(term))


def same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if a[0].isdigit():  # a number matches inside a date or figure: 2023 in 19/10/2023
        return a in re.split(r"[./,:-]", b)
    if len(a) < 4 or len(b) < 4 or a[0] != b[0]:
        return False
    if b.startswith(a) or a.startswith(b):
        return abs(len(a) - len(b)) <= 3
    return _edit_distance(a, b) <= (1 if min(len(a), len(b)) < LONG_WORD else 2)


def _edit_distance(a: str, b: str) -> int:
    if abs(len(a) - len(b)) > 2:
        return 3
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
