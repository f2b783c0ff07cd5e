"""The bundled local model on the seeds, end to end (slow: llama.cpp on the CPU; `make llm`
installs it, and `make test` runs this)."""

from __future__ import annotations

import pytest

from qa import Assistant
from qa.generation.local_model import MODEL_IDENTITY, gguf_metadata, model_path
from qa.text.language import detect_language
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def writing(real_settings, tmp_path_factory) -> Assistant:
    settings = real_settings.with_(llm="local", index_dir=tmp_path_factory.mktemp("llm") / "index")
    assert model_path(settings.cache_dir).is_file(), "run `make llm` to install the local model"
    assistant = Assistant(settings.index_dir, settings)
    assistant.index([SEEDS])
    return assistant


def test_the_installed_model_is_the_verified_one(real_settings):
    assert gguf_metadata(model_path(real_settings.cache_dir), tuple(MODEL_IDENTITY)) == MODEL_IDENTITY


def test_an_english_question_gets_a_checked_english_answer(writing):
    answer = writing.ask("When did Lavrov visit Pyongyang?")
    assert answer.generated and answer.verified_sentences >= 1, (answer.text, answer.notes)
    assert detect_language(answer.text) == "en", answer.text
    assert "October" in answer.text or "18" in answer.text or "19" in answer.text, answer.text
    assert answer.citations and all(c.passage.text for c in answer.citations)


def test_an_indonesian_question_gets_an_indonesian_answer(writing):
    answer = writing.ask("Kapan Lavrov mengunjungi Pyongyang?")
    assert answer.generated and answer.verified_sentences >= 1, (answer.text, answer.notes)
    assert detect_language(answer.text) == "id", answer.text


def test_a_refused_question_never_reaches_the_model(writing, monkeypatch):
    calls = []
    chain = writing.writer.chain

    class Counting:
        def stream(self, *args, **kwargs):
            calls.append(args)
            return chain.stream(*args, **kwargs)

    monkeypatch.setattr(writing.writer, "chain", Counting())
    answer = writing.ask("Who won the cricket world cup final?")
    assert answer.abstained and not answer.generated and calls == []
