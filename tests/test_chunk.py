import random

import pytest

from qa.chunk import chunk_document, split_sentences
from qa.ingest import load_documents
from qa.types import Document
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def seed_docs():
    docs, problems = load_documents([SEEDS])
    assert not problems
    return docs


def test_every_chunk_is_an_exact_slice_of_its_document(seed_docs):
    for doc in seed_docs:
        chunks = chunk_document(doc, 700, 150)
        assert chunks
        for chunk in chunks:
            assert chunk.text == doc.text[chunk.start:chunk.end]
            assert chunk.doc_id == doc.id
            assert len(chunk.text) <= 700


def test_chunks_cover_the_whole_document_in_order(seed_docs):
    for doc in seed_docs:
        chunks = chunk_document(doc, 500, 100)
        assert chunks[0].start == 0
        assert chunks[-1].end == len(doc.text)
        for a, b in zip(chunks, chunks[1:]):
            assert a.start < b.start
            assert b.start <= a.end + 2  # overlapping or adjacent: no text is lost between chunks


def test_random_texts_keep_offsets():
    rng = random.Random(7)
    words = ["Lavrov", "tiba", "Dr.", "1.000", "19/10/2023.", "Rabu!", "\n", "kata\n\n", "“Ya,”", "x" * 900, "J."]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 120)))
        doc = Document(id="r", text=text)
        for chunk in chunk_document(doc, 300, 60):
            assert chunk.text == text[chunk.start:chunk.end]
            assert chunk.text.strip() == chunk.text and chunk.text
            assert len(chunk.text) <= 300


def test_sentences_respect_abbreviations_numbers_and_quotes():
    text = 'Dr. Smith tiba pada 19/10/2023. Ia membawa 1.000 kontainer! Lalu? "Ya," katanya. J. Doe pergi.'
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Dr. Smith tiba pada 19/10/2023.", "Ia membawa 1.000 kontainer!", "Lalu?", '"Ya," katanya.', "J. Doe pergi."]


def test_overlap_repeats_trailing_sentences():
    text = " ".join(f"Kalimat nomor {i} di sini." for i in range(40))
    chunks = chunk_document(Document(id="o", text=text), 200, 60)
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))


def test_empty_document_has_no_chunks():
    assert chunk_document(Document(id="e", text=""), 700, 150) == []
