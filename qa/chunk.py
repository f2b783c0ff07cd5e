"""Documents -> chunks on sentence boundaries, each with exact character offsets.

Invariant: ``chunk.text == document.text[chunk.start:chunk.end]`` for every chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from qa.types import Chunk, Document

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
        _append_trimmed(text, cursor, match.end(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
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


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Break one over-long sentence at word boundaries."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars, chunk_overlap=0, separators=["; ", ", ", " ", ""],
        keep_separator="end", add_start_index=True, strip_whitespace=False,
    )
    spans = []
    for piece in splitter.create_documents([text[start:end]]):
        s = start + piece.metadata["start_index"]
        _append_trimmed(text, s, s + len(piece.page_content), spans)
    return spans


def chunk_document(doc: Document, max_chars: int = 700, overlap_chars: int = 150) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_chars``.

    Consecutive chunks share trailing sentences up to ``overlap_chars`` so that a fact
    stated across a boundary is still whole in one chunk.
    """
    sentences: list[tuple[int, int]] = []
    for s, e in split_sentences(doc.text):
        sentences.extend(_split_long(doc.text, s, e, max_chars) if e - s > max_chars else [(s, e)])
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= max_chars:
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        chunks.append(Chunk(doc.id, start, end, doc.text[start:end]))
        if j >= len(sentences):
            break
        back = j
        while back - 1 > i and end - sentences[back - 1][0] <= overlap_chars:
            back -= 1
        i = back
    return chunks


def chunk_documents(docs: Iterable[Document], max_chars: int = 700, overlap_chars: int = 150) -> Iterator[Chunk]:
    for doc in docs:
        yield from chunk_document(doc, max_chars, overlap_chars)
