"""Sentence boundaries with exact offsets (Indonesian and English news)."""

from __future__ import annotations

import re

# Words after which a period does not end a sentence (Indonesian and English).
_ABBREVIATIONS = {
    "dr", "prof", "no", "jl", "jln", "st", "mr", "mrs", "ms", "sdr", "ir", "h", "hj", "kh", "drs",
    "dra", "tn", "ny", "bpk", "sen", "gen", "gov", "rep", "vs", "etc", "dll", "dsb", "dst", "tsb",
    "a.n", "u.s", "u.k", "inc", "ltd", "co", "corp", "jr", "sr", "mt", "ft", "lt", "col", "capt",
    "sgt", "vol", "hal", "tel", "fig", "approx", "e.g", "i.e", "kol", "letjen", "mayjen",
    "brigjen", "jend", "kapt", "serka", "pt", "tbk", "cv", "s.h", "m.h", "s.e", "m.m", "ph.d",
}
# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at a newline.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n+")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) spans of sentences in ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        if match.group()[0] not in "\n" and not _next_starts_sentence(text, match.end(), end):
            continue
        trim_append(text, cursor, match.end(), spans)
        cursor = match.end()
    trim_append(text, cursor, end, spans)
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():  # an initial such as "J. Smith"
        return True
    if word.isdigit() and dot + 1 < len(text) and text[dot + 1].isdigit():
        return True
    return word in _ABBREVIATIONS


def _next_starts_sentence(text: str, pos: int, end: int) -> bool:
    while pos < end and text[pos].isspace():
        if text[pos] == "\n":
            return True
        pos += 1
    if pos >= end:
        return True
    ch = text[pos]
    return ch.isupper() or ch.isdigit() or ch in "\"'“‘([" or not ch.isalpha()


def trim_append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append ``(start, end)`` to ``spans`` with surrounding whitespace trimmed, if anything is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
