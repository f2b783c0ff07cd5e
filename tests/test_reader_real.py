"""The shipped reader on the real seeds, and a training smoke run (slow: the real encoder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from qa.reader.model import MANIFEST_FILE, WEIGHTS_DIR, ReaderMismatch, load_torch_reader, read_manifest
from qa.text.dictionary import table
from tests.conftest import REPO

pytestmark = pytest.mark.slow
DATES_2023 = ("18/10", "19/10/2023", "18 Oktober", "19 Oktober")


@pytest.mark.parametrize("question", ["When did Lavrov visit Pyongyang?", "Kapan Lavrov mengunjungi Pyongyang?"])
def test_lavrov_visits_are_listed_with_their_dates(real_assistant, question):
    answer = real_assistant.ask(question)
    assert not answer.abstained and answer.confidence is not None
    lines = answer.text.splitlines()
    assert len(lines) >= 2, answer.text  # the 2023 visit and a later one
    assert "2023" in lines[0] and any(d in lines[0] for d in DATES_2023), answer.text
    cited = {c.passage.doc_id for c in answer.citations}
    assert "000_ca339fe098fdc454" in cited or "002_40a6057ee60a1d58" in cited
    assert any(c.passage.doc_id == "003_62443caccf3103da" for c in answer.citations)  # the 2025 talks


def test_the_refusal_reads_the_verifier_unless_it_is_off_and_the_answer_stays_the_readers(real_assistant):
    from qa import Assistant

    question = "When did Lavrov visit Pyongyang?"
    verified = real_assistant.ask(question)
    own = Assistant(real_assistant.index_dir, real_assistant.settings.with_(verifier="off")).ask(question)
    assert not verified.abstained and not own.abstained
    assert verified.text == own.text and verified.citations == own.citations
    assert verified.confidence != own.confidence  # two calibrated scores over two readers' spans


def test_a_question_the_articles_do_not_answer_is_refused(real_assistant):
    answer = real_assistant.ask("Berapa harga tiket konser Taylor Swift di Jakarta tahun ini?")
    assert answer.abstained and answer.passages and answer.confidence < 0.5


def test_english_words_in_no_dictionary_still_get_an_answer(real_assistant):
    question = "When did Shoigu hobnob with Kim at the weaponry expo?"
    assert not any((w,) in table() for w in ("hobnob", "weaponry", "expo"))
    answer = real_assistant.ask(question)
    assert not answer.abstained, answer.text
    assert answer.citations[0].passage.doc_id == "004_d4cb343e0a788d8c"


def test_training_runs_on_a_few_examples_and_loading_checks_the_base(tmp_path):
    out = tmp_path / "reader"
    result = subprocess.run([sys.executable, "-m", "training.reader", "--examples", "facqa-id=12,facqa-en=4,idkmrc=8",
                             "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = read_manifest(out)
    assert manifest["training"]["examples"] == {"facqa-id": 12, "facqa-en": 4, "idkmrc": 8}
    assert manifest["base_fingerprint"] == read_manifest(WEIGHTS_DIR)["base_fingerprint"]
    assert (out / "reader.safetensors").stat().st_size < 60 * 2**20
    from qa.settings import Settings

    model, _ = load_torch_reader(Settings.from_env(), out)
    assert model.qa_outputs.out_features == 2
    (out / MANIFEST_FILE).write_text(json.dumps({**manifest, "base_fingerprint": "another-model"}))
    with pytest.raises(ReaderMismatch, match="Retrain it with `make reader`"):
        load_torch_reader(Settings.from_env(), out)


# int8 rounding moves span scores (start + end logits) by up to about 1.1 with the five-pass reader
# (it reads the gold passage 3-4 points less well than fp32: docs/evaluation.md)
INT8_SCORE_ERROR = 1.5


def test_the_onnx_reader_agrees_with_the_torch_model(real_settings):
    from qa.reader.runtime import load_reader

    passages = [(REPO / "seeds" / name).read_text()[:900] for name in
                ("000_ca339fe098fdc454.txt", "004_d4cb343e0a788d8c.txt")]
    question = "Siapa yang menemani Kim Jong Un ke pameran pertahanan?"

    def spans(runtime, precision):
        read = load_reader(real_settings.with_(runtime=runtime, precision=precision)).read(question, passages, limit=3)
        return [((s.passage_index, s.start, s.end), s.score) for s in read]

    torch, exported, rounded = spans("torch", "fp32"), spans("onnx", "fp32"), spans("onnx", "int8")
    # The export itself is exact. int8 may choose other spans (with the seven-pass reader it
    # picked a different span in the second passage here; how much that costs is measured on the
    # dev sets, docs/evaluation.md), but the spans both find score about the same, and so do the
    # best ones.
    assert [span for span, _ in exported] == [span for span, _ in torch]
    assert all(abs(a - b) < 0.01 for (_, a), (_, b) in zip(exported, torch))
    shared = set(dict(torch)) & set(dict(rounded))
    assert shared
    assert all(abs(dict(rounded)[span] - dict(torch)[span]) < INT8_SCORE_ERROR for span in shared)
    assert abs(rounded[0][1] - torch[0][1]) < INT8_SCORE_ERROR


def test_a_bundle_trains_the_reader_where_only_torch_and_transformers_are(tmp_path):
    """The GPU machine's path (``training.gpu_bundle``): the packed base rebuilds exactly as the
    converted encoder, and a sweep trains and reads without the product's other dependencies."""
    from safetensors.numpy import load_file

    from qa.reader.model import encoder_folder
    from qa.settings import Settings
    from training.gpu_bundle import pack, unpack

    pack(tmp_path / "bundle", REPO.parent / "shared" / "data")
    unpack(tmp_path / "bundle", tmp_path / "base", tmp_path / "data")
    rebuilt = load_file(str(tmp_path / "base" / "model.safetensors"))
    converted = load_file(str(encoder_folder(Settings.from_env())[0] / "model.safetensors"))
    assert rebuilt.keys() == converted.keys()
    rows = np.load(tmp_path / "bundle" / "base.npz")["rows"]
    word = "embeddings.word_embeddings.weight"
    assert np.array_equal(rebuilt[word][rows], converted[word][rows])
    assert all(np.array_equal(rebuilt[k], converted[k]) for k in converted if k != word)

    blocked = tmp_path / "blocked"  # the product's dependencies that the GPU machine lacks
    blocked.mkdir()
    for module in ("langchain_core", "faiss", "gradio", "onnxruntime", "simplemma", "trafilatura"):
        (blocked / f"{module}.py").write_text(f"raise ImportError('{module} is not on the GPU machine')")
    out = tmp_path / "out"
    out.mkdir()
    tiny = "--examples facqa-id=8,idkmrc=8 --batch-size 8 --epochs 1 --layers-from 0"
    result = subprocess.run([sys.executable, "-m", "training.gpu_bundle", "sweep", str(tmp_path / "bundle"), str(out),
                             "--eval-limit", "4", "--variant", f"tiny={tiny}"], cwd=REPO, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(blocked)})
    assert result.returncode == 0, result.stderr[-2000:] + (out / "sweep.log").read_text()[-2000:]
    figures = json.loads((out / "figures.json").read_text())
    assert figures["best"] == "tiny" and figures["variants"]["tiny"]["gold_passage_valid"]["facqa-id"]["n"] == 4
    pieces = sorted(out.glob("reader.safetensors.*"), key=lambda p: int(p.suffix[1:]))
    assert len(pieces) >= 2 and all(p.stat().st_size <= 15 * 2**20 for p in pieces)
    (out / "reader.safetensors").write_bytes(b"".join(p.read_bytes() for p in pieces))
    model, _ = load_torch_reader(Settings.from_env(), out)
    assert read_manifest(out)["layers_from"] == 0 and model.qa_outputs.out_features == 2
