"""Shared fixtures: a small deterministic fake embedder for fast tests, and the real
multilingual model on the real seeds for the end-to-end tests (marked slow)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from embeddings.models import Embedder, register_embedder, unregister_embedder  # noqa: E402
from qa import Assistant, Settings  # noqa: E402
from qa.text.normalize import tokenize  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
MODEL_CACHE = Settings.from_env().cache_dir  # the real model is converted once into the default cache
OUTPUT = REPO / "test-output"


class FakeEmbedder(Embedder):
    """Hashed bag of words: texts sharing words get similar vectors. Deterministic and instant."""

    name = "fake-hash-embedder"
    fingerprint = "fake:v1"
    dimension = 64
    prompts = {"query": "query: ", "passage": "passage: "}

    def __init__(self):
        self.calls = 0
        self.embedded = 0

    def embed_batch(self, texts, kind):
        self.calls += 1
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text) or ["<empty>"]:
                bucket = int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dimension
                out[row, bucket] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_model():
    """``model="fake"`` loads a ``FakeEmbedder`` for the duration of one test only."""
    register_embedder("fake", lambda cache_dir, device: FakeEmbedder())
    yield "fake"
    unregister_embedder("fake")


@pytest.fixture
def settings(tmp_path, fake_model) -> Settings:
    return Settings(model=fake_model, cache_dir=tmp_path / "cache", index_dir=tmp_path / "index",
                    seeds_dir=SEEDS, reader="off")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def fake_assistant(settings, fake_embedder) -> Assistant:
    assistant = Assistant(settings.index_dir, settings, fake_embedder)
    assistant.index([SEEDS])
    return assistant


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    return Settings(cache_dir=MODEL_CACHE, index_dir=tmp_path_factory.mktemp("real") / "index",
                    seeds_dir=SEEDS, llm="off")  # quoted answers; tests/test_local_llm.py writes them


@pytest.fixture(scope="session")
def real_assistant(real_settings) -> Assistant:
    assistant = Assistant(real_settings.index_dir, real_settings)
    assistant.index([SEEDS])
    return assistant


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory) -> str:
    """A real PostgreSQL with pgvector for this test session (stopped at the end). If it cannot
    start, the PostgreSQL tests fail: they are never skipped."""
    from qa.stores.local_postgres import start

    return start(tmp_path_factory.mktemp("postgres"), keep_running=False)


@pytest.fixture
def pg_url(postgres_server) -> str:
    """An empty database of its own for one test."""
    from qa.stores.local_postgres import drop_database, new_database

    url = new_database(postgres_server)
    yield url
    drop_database(url, postgres_server)
