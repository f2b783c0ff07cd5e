"""Embedding in worker processes gives the vectors of one process (slow: the real model)."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.parallel import SLICE_BATCHES, ProcessPoolEmbedder
from qa import Assistant

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_two_workers_embed_like_one_process(real_settings, precision):
    settings = real_settings.with_(embed_workers=2, precision=precision)
    embedder = Assistant(settings.index_dir, settings).embedder
    assert isinstance(embedder, ProcessPoolEmbedder)
    batch = 4
    texts = [f"Berita nomor {i}: pelabuhan menerima {i * 7} kontainer pada hari ke-{i % 28 + 1}." for i in
             range(3 * batch * SLICE_BATCHES + 5)]
    try:
        parallel = embedder.embed_passages(texts, batch)
    finally:
        embedder.close()
    single = embedder.local.embed_passages(texts, batch)
    assert parallel.shape == single.shape
    cosine = (parallel * single).sum(axis=1)
    if precision == "fp32":  # no per-batch quantisation: the same vectors up to float rounding
        assert np.allclose(parallel, single, atol=1e-5)
    assert cosine.min() >= 0.99


def test_a_plugin_model_stays_in_process(settings, caplog):
    embedder = Assistant(settings.index_dir, settings.with_(embed_workers=2)).embedder
    assert not isinstance(embedder, ProcessPoolEmbedder)
    assert "NEWSQA_EMBED_WORKERS=2 ignored" in caplog.text
