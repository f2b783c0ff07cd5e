import pytest

from qa.errors import QAError
from qa.langchain_retriever import NewsRetriever


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_modes_rank_the_matching_article_first(fake_assistant, mode):
    passages = fake_assistant.retrieve("Shoigu pameran pertahanan rudal balistik", k=3, mode=mode)
    assert passages and passages[0].doc_id == "004_d4cb343e0a788d8c"
    assert all(p.text for p in passages)
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_passages_carry_exact_offsets_and_metadata(fake_assistant):
    for p in fake_assistant.retrieve("Lavrov Pyongyang", k=5):
        doc = fake_assistant.document(p.doc_id)
        assert doc.text[p.start:p.end] == p.text
        assert p.title == doc.title and p.source == doc.source


def test_unknown_mode_is_refused(fake_assistant):
    with pytest.raises(QAError, match="retrieval mode"):
        fake_assistant.retrieve("Lavrov", mode="magic")


def test_bm25_with_no_known_word_returns_nothing(fake_assistant):
    assert fake_assistant.retrieve("zzzqqq xxyyzz", mode="bm25") == []


def test_langchain_retriever(fake_assistant):
    docs = NewsRetriever(assistant=fake_assistant, k=2).invoke("Shoigu pameran pertahanan")
    assert len(docs) == 2
    assert docs[0].metadata["doc_id"] == "004_d4cb343e0a788d8c"
    assert {"start", "end", "score", "title"} <= set(docs[0].metadata)
