"""Written answers: the verifier, the chain with LangChain's fake chat models, the fallbacks, and
an OpenAI-compatible server (a small local one speaking the real protocol)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from qa import Assistant, Settings
from qa.generation.chain import PROMPT_PASSAGES, prompt_passages
from qa.generation.verify import verify
from qa.text.sentences import split_sentences
from qa.types import Passage
from tests.conftest import SEEDS, FakeEmbedder

PASSAGES = [
    Passage("a", 0, 120, "Lavrov tiba di Pyongyang pada Rabu (18/10), untuk kunjungan dua hari. "
                         "Korea Utara mengirim 1.000 kontainer ke Rusia.", 0.9),
    Passage("b", 0, 70, "Lavrov bertemu Kim Jong Un di Pyongyang pada Kamis (19/10/2023).", 0.8),
]


@pytest.mark.parametrize("sentence, problem", [
    ("Lavrov arrived in Pyongyang on Wednesday, 18 October [1].", ""),
    ("Lavrov tiba di Pyongyang pada 18 Oktober [1].", ""),
    ("He met Kim Jong Un on October 19, 2023 [2].", ""),
    ("North Korea sent 1,000 containers to Russia [1].", ""),
    ("North Korea sent 2,000 containers to Russia [1].", "number 2000"),
    ("Lavrov arrived on 20 October [1].", "date 20/10"),
    ("Lavrov arrived on Friday [1].", "weekday Friday"),
    ("Lavrov met Kim Jong Un in 2024 [2].", "year 2024"),
    ("Lavrov met Vladimir Putin in Pyongyang [2].", "name"),
    ("Lavrov arrived in Pyongyang on Wednesday.", "cites no passage"),
    ("Lavrov arrived in Pyongyang [3].", "cites [3]"),
    ("Pengiriman 1.000 kontainer dilakukan Korea Utara [1].", ""),  # a word of the language opening it: no name
    ("Putin tiba di Pyongyang pada Rabu [1].", "name 'putin'"),  # a name opening it is checked
    ("Lavrov tiba di Pyongyang pada Rabu (1).", ""),  # "(1)" ending a sentence is a citation
    ("Lavrov tiba di Pyongyang pada Rabu (3).", "cites no passage"),  # not one of the passages: not one
    ("Korea Utara mengirim 1.000 kontainer, the 1st shipment [1].", "number 1 "),  # "1st" is checked as 1
])
def test_the_verifier_checks_each_sentence_against_what_it_cites(sentence, problem):
    [checked] = verify(sentence, PASSAGES).sentences
    assert (problem in checked.problem) if problem else checked.problem == "", checked.problem


def _assistant(settings, tmp_path, model) -> Assistant:
    assistant = Assistant(tmp_path / "written", settings, FakeEmbedder(), build_default=False, chat_model=model)
    assistant.index([SEEDS])
    return assistant


def _model(*drafts: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(drafts))


def test_a_written_answer_keeps_only_checked_sentences(settings, tmp_path):
    question = "Berapa kontainer peralatan militer yang dikirim Korea Utara ke Rusia?"
    plain = Assistant(tmp_path / "plain", settings, FakeEmbedder(), build_default=False)
    plain.index([SEEDS])
    passages = plain.ask(question).passages
    n = next(i for i, p in enumerate(passages[:PROMPT_PASSAGES], 1) if "1.000 kontainer" in p.text)
    draft = (f"North Korea sent 1,000 containers of military equipment to Russia [{n}]. "
             f"It also sent 9,999 missiles [{n}]. Russia paid nothing.")
    answer = _assistant(settings, tmp_path, _model(draft)).ask(question)
    assert answer.generated and answer.verified_sentences == 1 and answer.dropped_sentences == 2
    assert answer.text == "North Korea sent 1,000 containers of military equipment to Russia [1]."
    assert answer.citations[0].passage.text == passages[n - 1].text  # renumbered to [1]
    data = answer.to_dict()
    assert data["generated"] is True and data["verified_sentences"] == 1 and data["dropped_sentences"] == 2


def test_a_written_sentence_highlights_the_passage_sentence_it_was_checked_against(settings, tmp_path):
    question = "How many containers did North Korea send to Russia?"
    plain = Assistant(tmp_path / "plain", settings, FakeEmbedder(), build_default=False)
    plain.index([SEEDS])
    quoted = plain.ask(question).citations[0]
    passage, marked = quoted.passage, set(quoted.highlights)
    # A sentence of the same passage that the quoted answer did not mark, written as the answer.
    start, end = next((passage.start + s, passage.start + e) for s, e in split_sentences(passage.text)
                      if (passage.start + s, passage.start + e) not in marked and e - s > 40)
    sentence = passage.text[start - passage.start:end - passage.start].rstrip(". ")
    n = 1 + next(i for i, p in enumerate(prompt_passages(plain.ask(question), PROMPT_PASSAGES))
                 if (p.doc_id, p.start) == (passage.doc_id, passage.start))
    answer = _assistant(settings, tmp_path, _model(f"{sentence} [{n}].")).ask(question)
    assert answer.generated and answer.citations[0].highlights == [(start, end)]


def test_an_unverifiable_draft_falls_back_to_quotes_and_says_so(settings, tmp_path):
    answer = _assistant(settings, tmp_path, _model("Korea sent 5 ships on Friday [1].")).ask(
        "How many containers did North Korea send to Russia?")
    assert not answer.generated and answer.dropped_sentences == 1
    assert answer.citations and "could not be checked" in answer.notes[-1] and answer.quoted_instead == "unverified"


def test_a_question_the_articles_cannot_answer_never_reaches_the_model(settings, tmp_path):
    class Untouchable(GenericFakeChatModel):
        def _generate(self, *args, **kwargs):
            raise AssertionError("the model was called")

        def _stream(self, *args, **kwargs):
            raise AssertionError("the model was called")

    assistant = _assistant(settings, tmp_path, Untouchable(messages=iter([])))
    answer = assistant.ask("Siapa yang memenangkan pertandingan sepak bola liga Inggris kemarin?")
    assert answer.abstained and not answer.generated


def test_a_failing_or_slow_model_falls_back_to_quotes(settings, tmp_path):
    class Broken(GenericFakeChatModel):
        def _stream(self, *args, **kwargs):
            raise ConnectionError("server went away")

    question = "How many containers did North Korea send to Russia?"
    answer = _assistant(settings, tmp_path, Broken(messages=iter([]))).ask(question)
    assert not answer.generated and "not available" in answer.notes[-1] and answer.quoted_instead == "failed"
    assert answer.citations

    slow = _assistant(settings.with_(llm_budget_s=0.0), tmp_path / "slow", _model("North Korea sent many [1]."))
    answer = slow.ask(question)
    assert not answer.generated and "too long" in answer.notes[-1] and answer.quoted_instead == "timeout"


def test_streaming_yields_the_draft_then_the_answer(settings, tmp_path):
    assistant = _assistant(settings, tmp_path, _model("North Korea sent containers to Russia [1]."))
    items = list(assistant.ask_stream("How many containers did North Korea send to Russia?"))
    assert all(isinstance(x, str) for x in items[:-1]) and "".join(items[:-1]).startswith("North Korea")
    assert items[-1].generated


class _OpenAIServer(BaseHTTPRequestHandler):
    """Just enough of /v1/chat/completions (streamed as server-sent events) to answer one draft."""

    draft = ""
    requests: list = []

    def do_POST(self):  # noqa: N802 - the http.server interface
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in self.draft.split(" "):
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


def test_an_openai_compatible_server_writes_the_answer(settings, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        question = "Kapan Lavrov tiba di Pyongyang?"
        plain = Assistant(tmp_path / "openai", settings, FakeEmbedder(), build_default=False)
        plain.index([SEEDS])
        n = next(i for i, p in enumerate(plain.ask(question).passages, 1) if "Kim Jong Un" in p.text)
        _OpenAIServer.draft = f"Lavrov bertemu Kim Jong Un [{n}]."
        configured = Settings.from_env({}, model=settings.model, cache_dir=settings.cache_dir, reader="off",
                                       llm="openai", llm_url=f"http://127.0.0.1:{server.server_port}/v1",
                                       llm_model="tiny", llm_api_key="secret-key")
        assert "secret-key" not in repr(configured)
        assistant = Assistant(tmp_path / "openai", configured, FakeEmbedder(), build_default=False)
        started = time.monotonic()
        answer = assistant.ask(question)
        assert time.monotonic() - started < 30
        assert answer.generated and answer.text == "Lavrov bertemu Kim Jong Un [1]."
        request = _OpenAIServer.requests[-1]
        assert request["model"] == "tiny" and "Indonesian" in request["messages"][0]["content"]
        assert "[1]" in request["messages"][0]["content"] and request["messages"][1]["content"] == question
    finally:
        server.shutdown()
