"""Documents -> chunks on sentence boundaries, each with exact character offsets.

Invariant: ``chunk.text == document.text[chunk.start:chunk.end]`` for every chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from qa.text.sentences import split_sentences, trim_append
from qa.types import Chunk, Document


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
        trim_append(text, s, s + len(piece.page_content), spans)
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
