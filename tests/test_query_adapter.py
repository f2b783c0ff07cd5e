"""The English query adapter: fitting, choosing its strength, storing, and where it applies (fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embeddings.errors import ModelLoadError
from embeddings.query_adapter import (
    ENGLISH_ADAPTER_DIR,
    MANIFEST_FILE,
    MATRIX_FILE,
    QueryAdapter,
    fit_ridge,
    load_adapter,
    save_adapter,
)
from qa import Assistant, Settings
from qa.errors import ModelError
from qa.question import analyse_question
from qa.retrieval import Retriever
from tests.conftest import SEEDS, FakeEmbedder
from training.query_adapter import cross_validate, question_pairs, ranking_quality


def rotation(dim: int, seed: int = 0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q.astype(np.float32)


def test_ridge_recovers_a_linear_map_and_its_strength_pulls_it_towards_no_change():
    source = np.random.default_rng(1).normal(size=(200, 8)).astype(np.float32)
    truth = rotation(8)
    assert np.allclose(fit_ridge(source, source @ truth, 1e-6), truth, atol=1e-3)
    assert np.allclose(fit_ridge(source, source @ truth, 1e9), np.eye(8), atol=1e-3)


def test_ranking_quality_and_cross_validation_prefer_the_map_that_finds_the_passages():
    rng = np.random.default_rng(2)
    passages = rng.normal(size=(40, 16)).astype(np.float32)
    passages /= np.linalg.norm(passages, axis=1, keepdims=True)  # as the embedder returns them
    gold = rng.integers(0, 40, size=300)
    indonesian = passages[gold] + 0.08 * rng.normal(size=(300, 16)).astype(np.float32)
    english = indonesian @ rotation(16, seed=3).T  # the same questions, elsewhere in the space
    mrr, hit, top = ranking_quality(indonesian, passages, gold)
    assert hit > 0.9 and mrr >= hit and -1 <= top <= 1
    assert ranking_quality(english, passages, gold)[1] < 0.3
    by_strength = cross_validate(english, indonesian, passages, gold, strengths=(0.1, 1e6))
    assert by_strength[0.1] > 0.9 > by_strength[1e6]


def test_an_adapter_moves_only_the_questions_in_its_language():
    embedder = FakeEmbedder()
    adapter = QueryAdapter(rotation(embedder.dimension), "en", embedder.fingerprint)
    retriever = Retriever(store=None, embedder=embedder, adapter=adapter)
    english = analyse_question("When did Lavrov visit Pyongyang?")
    indonesian = analyse_question("Kapan Lavrov mengunjungi Pyongyang?")
    assert (english.lang, indonesian.lang) == ("en", "id")
    moved = retriever.query_vector(english)
    assert np.allclose(moved, embedder.embed_query(english.text) @ adapter.matrix, atol=1e-6)
    assert np.isclose(np.linalg.norm(moved), 1.0)
    assert np.array_equal(retriever.query_vector(indonesian), embedder.embed_query(indonesian.text))
    assert adapter.applies_to("fake:v1:onnx-int8") and not adapter.applies_to("other:v1")


def test_the_refusal_sees_the_top_passage_scored_with_the_question_s_own_vector(fake_assistant):
    """The adapter may change which passages rank first, but the top score the refusal reads is
    the one the question's own vector gives, as when the refusal was calibrated."""
    embedder, store = fake_assistant.embedder, fake_assistant.store.open_reader()
    adapter = QueryAdapter(rotation(embedder.dimension, seed=4), "en", embedder.fingerprint)
    english = analyse_question("When did Lavrov visit Pyongyang?")
    hits = Retriever(store, embedder, adapter=adapter).hits(english, k=3)
    top = hits.passages[0]
    vector = store.vectors_of([top.chunk_id])[0]
    own = embedder.embed_query(english.text)
    assert top.score != pytest.approx(hits.top_score)
    assert hits.top_score == pytest.approx(top.score - vector @ adapter.apply(own) + vector @ own, abs=1e-5)
    indonesian = analyse_question("Kapan Lavrov mengunjungi Pyongyang?")
    unmoved = Retriever(store, embedder, adapter=adapter).hits(indonesian, k=3)
    assert unmoved.top_score == unmoved.passages[0].score
    plain = Retriever(store, embedder).hits(english, k=3)
    assert plain.top_score == plain.passages[0].score


def test_a_saved_adapter_loads_back_and_a_damaged_one_is_refused_with_what_to_do(tmp_path):
    adapter = QueryAdapter(rotation(4), "en", "base:1")
    save_adapter(adapter, tmp_path, {"strength": 3.0})
    loaded = load_adapter(tmp_path)
    assert np.array_equal(loaded.matrix, adapter.matrix)
    assert (loaded.language, loaded.base_fingerprint) == ("en", "base:1")
    assert json.loads((tmp_path / MANIFEST_FILE).read_text())["strength"] == 3.0
    assert not list(tmp_path.glob(".*.tmp"))

    (tmp_path / MATRIX_FILE).write_bytes(b"not a tensor file")
    with pytest.raises(ModelLoadError, match="training.query_adapter"):
        load_adapter(tmp_path)
    save_adapter(QueryAdapter(np.full((4, 4), np.nan, np.float32), "en", "base:1"), tmp_path, {})
    with pytest.raises(ModelLoadError, match="finite"):
        load_adapter(tmp_path)
    with pytest.raises(ModelLoadError, match="cannot be read"):
        load_adapter(tmp_path / "missing")


def test_an_adapter_that_does_not_fit_the_embedder_is_refused_before_anything_is_written(tmp_path, fake_model):
    settings = Settings(model=fake_model, cache_dir=tmp_path / "cache", index_dir=tmp_path / "index", reader="off")
    on = Assistant(settings.index_dir, settings.with_(query_adapter="on"))  # another model: no adapter fits it
    with pytest.raises(ModelError, match="NEWSQA_QUERY_ADAPTER=off"):
        on.index([SEEDS])
    assert on.store.generation() is None  # nothing embedded, nothing published
    off = Assistant(settings.index_dir, settings)  # off by default
    off.index([SEEDS])
    assert off.retrieve("When did Lavrov visit Pyongyang?", k=3)
    with pytest.raises(ModelError, match="NEWSQA_QUERY_ADAPTER=off"):
        Assistant(settings.index_dir, settings.with_(query_adapter="on")).ask("When did Lavrov visit Pyongyang?")


def test_pairs_are_train_questions_in_both_wordings_and_translations_only_when_they_are_questions(tmp_path):
    facqa = tmp_path / "facqa"
    facqa.mkdir()
    rows = [{"question": "Who won?", "question_id": "Siapa menang?", "context_id": "p1", "split": "train"},
            {"question": "Where?", "question_id": "Di mana?", "context_id": "p2", "split": "valid"}]
    (facqa / "qa_en.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    translated = tmp_path / "mt.jsonl"
    mt = [{"question": "Who lost?", "question_id": "Siapa kalah?", "context_id": "p3"},
          {"question": "He lost.", "question_id": "Siapa?", "context_id": "p4"}]  # a statement: left out
    translated.write_text("\n".join(json.dumps(r) for r in mt) + "\n")
    assert question_pairs(tmp_path, "train", translated) == [
        {"en": "Who won?", "id": "Siapa menang?", "context_id": "p1"},
        {"en": "Who lost?", "id": "Siapa kalah?", "context_id": "p3"}]
    assert [p["context_id"] for p in question_pairs(tmp_path, "valid", translated)] == ["p2"]


@pytest.mark.slow
def test_the_shipped_adapter_fits_the_default_model_and_brings_an_english_question_nearer_its_indonesian(
        real_assistant):
    adapter = load_adapter(ENGLISH_ADAPTER_DIR)
    embedder = real_assistant.embedder
    assert adapter.applies_to(embedder.fingerprint) and adapter.language == "en"
    english = embedder.embed_query("When did Lavrov visit Pyongyang?")
    indonesian = embedder.embed_query("Kapan Lavrov mengunjungi Pyongyang?")
    assert adapter.apply(english) @ indonesian > english @ indonesian
