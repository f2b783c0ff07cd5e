"""Spans that can answer a question of a given kind: dates, numbers, names, places."""

from __future__ import annotations

import re

from qa.text.dates import DATE_EXPR

_NUMBER_EXPR = re.compile(
    r"\b(?:lebih\s+dari\s+|sekitar\s+|hampir\s+|more\s+than\s+|about\s+|around\s+)?"
    r"\d+(?:[.,]\d+)*(?:\s*(?:%|persen|juta|miliar|ribu|triliun|million|billion|thousand))?"
    r"|\b(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|seratus|seribu|ribuan|ratusan|puluhan)\b",
    re.IGNORECASE,
)
_NAME_EXPR = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:[A-Z][\w'’-]+|bin|van|de|al))*")
_PLACE_EXPR = re.compile(r"\b(?:di|ke|dari|in|at|to)\s+(?P<place>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)")


def answer_spans(sentence: str, kind: str) -> list[tuple[int, int]]:
    """Spans in ``sentence`` that answer a question of ``kind`` (when, number, who, where)."""
    if kind == "when":
        return [m.span() for m in DATE_EXPR.finditer(sentence) if m.group().strip()]
    if kind == "number":
        return [m.span() for m in _NUMBER_EXPR.finditer(sentence) if not DATE_EXPR.fullmatch(m.group())]
    if kind == "who":
        return [m.span() for m in _NAME_EXPR.finditer(sentence) if " " in m.group() or m.start() > 0]
    if kind == "where":
        return [m.span("place") for m in _PLACE_EXPR.finditer(sentence)]
    return []
