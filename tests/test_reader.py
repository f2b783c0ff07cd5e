"""The reader's plumbing with a tiny tokenizer and a tiny randomly initialised model (fast), and
span decoding and answer building with crafted logits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from qa.answer import NOT_FOUND, Reading, Refusal, compose_answer
from qa.answer.reading import NO_SPAN, refusal_features
from qa.hashing import file_sha256
from qa.question import analyse_question
from qa.reader.answerability import FEATURE_LAYOUT, MIDDLE_LAYER, Answerability
from qa.reader.model import WEIGHTS_DIR, read_manifest
from qa.reader.reader import Reader, Span, best_span, torch_logits
from qa.reader.windows import PairEncoder, token_span
from qa.types import Hits, Passage
from training.calibrate import highest_threshold
from training.evaluate_reader import roc_auc

WORDS = "<pad> <s> </s> <unk> kapan lavrov tiba di pyongyang pada rabu (18/10) dan bertemu kim kamis".split()


def tiny_model():
    """A randomly initialised question-answering BERT deep enough for the probe's middle layer."""
    from transformers import BertConfig, BertForQuestionAnswering

    config = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=MIDDLE_LAYER, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, pad_token_id=0)
    return BertForQuestionAnswering(config).eval()


def constant_probe(width: int = 5) -> Answerability:
    shapes = ((width,), (width,), (2, width), (2,), (1, 2), (1,))  # mean, scale, w1, b1, w2, b2
    return Answerability(*(np.ones(shape, np.float32) for shape in shapes))


def tiny_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tokenizer


def test_windows_cover_long_passages_and_map_answers_to_tokens():
    encoder = PairEncoder(tiny_tokenizer(), max_tokens=12, stride=3)
    passage = "lavrov tiba di pyongyang pada rabu (18/10) dan bertemu kim pada kamis"
    windows = encoder.windows("kapan lavrov tiba", [passage])
    assert len(windows) > 1 and all(len(w.input_ids) <= 12 for w in windows)
    assert windows[0].input_ids[:6] == [1, 4, 5, 6, 2, 2]  # <s> question </s></s> passage...
    start = passage.index("rabu")
    spans = [token_span(w, start, start + len("rabu (18/10)")) for w in windows]
    assert any(spans)
    w = windows[[bool(s) for s in spans].index(True)]
    first, last = spans[[bool(s) for s in spans].index(True)]
    assert passage[w.offsets[first - w.first][0]:w.offsets[last - w.first][1]].strip() == "rabu (18/10)"
    ids, mask = encoder.batch(windows)
    assert ids.shape == mask.shape and mask.sum() == sum(len(w.input_ids) for w in windows)


def test_best_span_respects_bounds_and_reports_the_no_answer_score():
    encoder = PairEncoder(tiny_tokenizer())
    passage = "lavrov tiba di pyongyang pada rabu (18/10)"
    (window,) = encoder.windows("kapan lavrov tiba", [passage])
    start, end = np.zeros(len(window.input_ids)), np.zeros(len(window.input_ids))
    start[0], end[0] = 1.0, 1.0  # "no answer"
    rabu = window.first + 5
    start[rabu], end[rabu + 1] = 4.0, 3.0
    start[window.first - 2], end[window.first - 1] = 9.0, 9.0  # the question is never an answer
    start[rabu + 2] = 5.0  # a start after the best end does not pair with it
    span = best_span(window, start, end, passage)
    assert passage[span.start:span.end] == "rabu (18/10)" and span.no_answer == 2.0 and span.margin == 5.0


def test_a_tiny_random_model_runs_through_the_reader():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = tiny_model()
    logits = torch_logits(model)
    reader = Reader(PairEncoder(tiny_tokenizer()), logits)
    spans = reader.read("kapan lavrov tiba", ["lavrov tiba di pyongyang", "bertemu kim pada kamis"], limit=5)
    assert 1 <= len(spans) <= 2 and {s.passage_index for s in spans} <= {0, 1}
    assert all(s.end > s.start for s in spans) and spans == sorted(spans, key=lambda s: -s.score)
    assert all(s.answerable == 0.0 for s in spans)  # no probe, no opinion

    width = 6 * model.config.hidden_size + 3  # feature layout 2: two <s> states, four token means, three scores
    rng = np.random.default_rng(0)
    probe = Answerability(np.zeros(width, np.float32), np.ones(width, np.float32),
                          *(rng.normal(size=shape).astype(np.float32) for shape in ((8, width), (8,), (1, 8), (1,))))
    probed = Reader(PairEncoder(tiny_tokenizer()), logits, probe)
    read = probed.read_windows("kapan lavrov tiba", ["lavrov tiba di pyongyang", "bertemu kim pada kamis"])
    expected = probe.logits(np.stack([features for _, features in read]))
    got = {(s.passage_index, s.start): s.answerable for s in probed.read("kapan lavrov tiba",
           ["lavrov tiba di pyongyang", "bertemu kim pada kamis"])}
    assert sorted(got.values()) == pytest.approx(sorted(expected.tolist()), rel=1e-5) and len(set(got.values())) == 2


def test_the_answerability_probe_learns_a_separable_signal_and_survives_saving(tmp_path):
    pytest.importorskip("torch")
    from training.answerability import fit

    rng = np.random.default_rng(1)
    answerable = rng.random(400) < 0.5
    x = rng.normal(size=(400, 12)).astype(np.float32)
    x[:, 3] += np.where(answerable, 2.0, -2.0)  # one informative feature among noise
    probe = fit(x, answerable.astype(np.float32), seed=0)
    scores = probe.logits(x)
    assert roc_auc(scores[answerable], scores[~answerable]) > 0.95
    probe.save(tmp_path)
    assert Answerability.load(tmp_path).logits(x) == pytest.approx(scores, rel=1e-6)
    assert Answerability.load(tmp_path / "elsewhere") is None


def passage(doc, text, score=0.9, start=0):
    return Passage(doc_id=doc, start=start, end=start + len(text), text=text, score=score)


def test_answers_come_from_the_spans_and_refusal_from_the_calibrated_score():
    text = "Pertemuan itu hangat. Lavrov tiba di Pyongyang pada Rabu (18/10/2023) untuk kunjungan dua hari."
    hits = Hits([passage("a", text, start=50)])
    where = text.index("Pyongyang")
    span = Span(0, where, where + len("Pyongyang"), score=8.0, no_answer=1.0)
    question = "Where did Lavrov arrive?"
    refusal = Refusal((1.0,), -3.0, 0.5)  # answers when the margin is above 3
    answer = compose_answer(question, analyse_question(question), hits, reading=Reading([span], refusal))
    assert not answer.abstained and answer.text.startswith("Lavrov tiba di Pyongyang") and answer.text.endswith("[1]")
    assert answer.citations[0].answer_spans == [(50 + where, 50 + where + len("Pyongyang"))]
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(-4.0)), abs=1e-4)
    weak = Span(0, where, where + len("Pyongyang"), score=2.0, no_answer=1.0)
    refused = compose_answer(question, analyse_question(question), hits, reading=Reading([weak], refusal))
    assert refused.abstained and refused.text == NOT_FOUND and refused.passages == hits.passages


def test_when_questions_get_a_timeline_of_the_read_sentences():
    first = "Lavrov tiba di Pyongyang pada Rabu (18/10/2023) untuk kunjungan dua hari."
    second = "Lavrov bertemu Kim di Wonsan pada 12 Juli 2025."
    hits = Hits([passage("b", second), passage("a", first)])
    spans = [Span(1, first.index("Rabu"), first.index(" untuk"), 9.0, 0.0),
             Span(0, second.index("12 Juli"), len(second) - 1, 8.0, 0.0)]
    question = "When did Lavrov visit?"
    answer = compose_answer(question, analyse_question(question), hits,
                            reading=Reading(spans, Refusal((1.0,), 0.0, 0.5)))
    lines = answer.text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("- October 2023:") and lines[1].startswith("- July 2025:")


def test_a_timeline_keeps_the_best_span_however_loosely_dated_and_labels_it_with_its_own_year():
    best = "Domba kloning Dolly lahir pada 1996 di Skotlandia."
    others = [f"Anak kuda nil lahir di Ragunan pada Rabu (3/{month}/2005) pagi." for month in range(1, 6)]
    dated = Passage(doc_id="a", start=0, end=len(best), text=best, score=0.9, date="2005-09-08")
    hits = Hits([dated, *(passage(f"o{i}", t) for i, t in enumerate(others))])
    spans = [Span(0, best.index("1996"), best.index(" di Skotlandia"), 9.0, 0.0)]
    spans += [Span(i + 1, t.index("Rabu"), t.index(" pagi"), 8.0 - i, 0.0) for i, t in enumerate(others)]
    question = "When was Dolly born?"
    answer = compose_answer(question, analyse_question(question), hits,
                            reading=Reading(spans, Refusal((1.0,), 0.0, 0.5)))
    lines = answer.text.splitlines()
    # Only a year, and five precisely dated sentences outrank it in time order: it still leads
    # the answer's occurrences (at most four), under the year it states, not the article's date.
    assert len(lines) == 4 and sum(line.startswith("- 1996: Domba kloning Dolly") for line in lines) == 1
    assert not any("(3/5/2005)" in line for line in lines)  # the weakest dated sentence made room


def test_the_calibrated_threshold_refuses_at_most_the_allowed_share_of_answerable_questions():
    scores = [i / 100 for i in range(100)]  # 100 answerable questions
    threshold = highest_threshold(scores, 0.05)
    assert sum(p < threshold for p in scores) == 5
    assert sum(p < round(threshold, 6) for p in scores) == 5  # as stored in the manifest
    assert sum(p < highest_threshold(scores[:10], 0.05) for p in scores[:10]) == 0


def test_a_probe_or_refusal_that_does_not_match_the_reader_is_refused_with_what_to_do(tmp_path):
    from qa.reader.model import ReaderMismatch
    from qa.reader.runtime import EXPORT_TAG, load_probe, load_refusal

    (tmp_path / "reader.safetensors").write_bytes(b"the reader's weights")
    refusal = {"features": ["margin", "answerable"], "weights": [1.0, 1.0], "bias": 0.0, "threshold": 0.5}
    (tmp_path / "manifest.json").write_text(json.dumps({"refusal": refusal}))
    reader_sha256 = file_sha256(tmp_path / "reader.safetensors")
    assert load_probe(tmp_path, reader_sha256) is None
    for features in (["margin", "answerable"], ["chosen_answerable", "margin", "top_score", "first_answerable"]):
        reads_probe = refusal | {"features": features, "weights": [1.0] * len(features)}
        (tmp_path / "manifest.json").write_text(json.dumps({"refusal_without_verifier": reads_probe}))
        with pytest.raises(ReaderMismatch, match="training.answerability"):
            load_refusal(tmp_path, None)  # the calibrated score reads a probe that is not there
    constant_probe().save(tmp_path)
    assert load_refusal(tmp_path, None).features == ("chosen_answerable", "margin", "top_score", "first_answerable")
    manifest = {"refusal": refusal, "answerability": {"reader_sha256": "made for other weights"}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReaderMismatch, match="other reader weights"):
        load_probe(tmp_path, reader_sha256)
    manifest["answerability"]["reader_sha256"] = reader_sha256
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReaderMismatch, match="another version's features"):  # a probe of an older version
        load_probe(tmp_path, reader_sha256)
    manifest["answerability"]["feature_layout"] = FEATURE_LAYOUT
    manifest["answerability"]["training"] = {"features_read_with": "onnx2 int8"}  # before the export changed
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReaderMismatch, match="another export of the reader"):
        load_probe(tmp_path, reader_sha256)
    assert load_probe(tmp_path, reader_sha256, "torch").w1.shape == (2, 5)  # torch runs no export
    manifest["answerability"]["training"] = {"features_read_with": f"{EXPORT_TAG} int8"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert load_probe(tmp_path, reader_sha256).w1.shape == (2, 5)


def test_the_refusal_calibrated_on_the_verifier_needs_that_verifier_and_its_probe(tmp_path):
    from qa.reader.model import ReaderMismatch
    from qa.reader.runtime import load_refusal

    reader, verifier = tmp_path / "reader", tmp_path / "verifier"
    for folder in (reader, verifier):
        folder.mkdir()
        (folder / "reader.safetensors").write_bytes(folder.name.encode())
    constant_probe().save(reader)
    own = {"features": ["chosen_answerable", "margin"], "weights": [1.0, 1.0], "bias": 0.0, "threshold": 0.5,
           "verifier_sha256": None}
    verified = own | {"threshold": 0.25, "verifier_sha256": file_sha256(verifier / "reader.safetensors")}
    (reader / "manifest.json").write_text(json.dumps({"refusal_without_verifier": own, "refusal": verified}))
    assert load_refusal(reader, None).threshold == 0.5  # NEWSQA_VERIFIER=off: the reader's own spans
    with pytest.raises(ReaderMismatch, match=f"probe, which is missing in {verifier}"):
        load_refusal(reader, verifier)  # the features are the verifier's spans, scored by its probe
    constant_probe().save(verifier)
    assert load_refusal(reader, verifier).threshold == 0.25
    (verifier / "reader.safetensors").write_bytes(b"retrained")
    with pytest.raises(ReaderMismatch, match="another verifier.*training.calibrate"):
        load_refusal(reader, verifier)
    (verifier / "reader.safetensors").unlink()  # a deleted verifier: the refusal calibrated without one
    assert load_refusal(reader, verifier).threshold == 0.5


def test_the_verifier_is_read_when_shipped_and_on(tmp_path, monkeypatch):
    import qa.reader.runtime as runtime
    from qa.settings import Settings

    monkeypatch.setattr(runtime, "VERIFIER_DIR", tmp_path)
    assert runtime.configured_verifier_dir(Settings()) is None  # none shipped
    (tmp_path / "reader.safetensors").write_bytes(b"a verifier")
    assert runtime.configured_verifier_dir(Settings()) == tmp_path
    assert runtime.configured_verifier_dir(Settings(verifier="off")) is None
    assert runtime.load_verifier(Settings(), None) is None


def test_the_refusal_reads_the_verifiers_spans_and_the_answer_the_readers():
    text = "Lavrov tiba di Pyongyang pada Rabu (18/10/2023) untuk kunjungan dua hari."
    hits = Hits([passage("a", text)])
    where = text.index("Pyongyang")
    strong, weak = (Span(0, where, where + len("Pyongyang"), score=s, no_answer=1.0) for s in (8.0, 2.0))
    question = "Where did Lavrov arrive?"
    refusal = Refusal((1.0,), -3.0, 0.5)  # answers when the margin is above 3
    info = analyse_question(question)
    assert compose_answer(question, info, hits, reading=Reading([strong], refusal, verified=[weak])).abstained
    answered = compose_answer(question, info, hits, reading=Reading([weak], refusal, verified=[strong]))
    assert not answered.abstained and answered.citations[0].answer_spans == [(where, where + len("Pyongyang"))]
    assert compose_answer(question, info, hits, reading=Reading([strong], refusal, verified=[])).abstained


def test_int8_storage_rounds_as_the_int8_export_and_halves_the_file(tmp_path):
    torch = pytest.importorskip("torch")
    from qa.reader.model import int8_stored, read_weights, write_weights

    model = tiny_model()
    delta = {name: tensor.float() for name, tensor in model.state_dict().items() if "layer" in name.split(".")}
    write_weights(delta, tmp_path / "int8.safetensors")
    from safetensors.torch import load_file, save_file

    stored = load_file(str(tmp_path / "int8.safetensors"))
    assert {stored[k].dtype for k in delta if int8_stored(k)} == {torch.int8}
    assert {stored[k].dtype for k in delta if not int8_stored(k)} == {torch.float16}
    assert sum(int8_stored(k) for k in delta) == 6 * MIDDLE_LAYER - 6  # lower layers' feed-forward outputs: fp16
    save_file({k: v.half().contiguous() for k, v in delta.items()}, str(tmp_path / "fp16.safetensors"))
    loaded = read_weights(tmp_path / "int8.safetensors")
    assert set(loaded) == set(delta) and not list(tmp_path.glob("*.partial"))
    for name, tensor in delta.items():
        if not int8_stored(name):
            assert torch.allclose(loaded[name], tensor, atol=1e-3), name
            continue
        scale = tensor.abs().amax(dim=1, keepdim=True) / 127  # ONNX Runtime's symmetric per-channel int8 scale
        assert torch.equal(torch.round(loaded[name] / scale), torch.round(tensor / scale)), name
        assert torch.allclose(loaded[name].abs().amax(dim=1, keepdim=True), tensor.abs().amax(dim=1, keepdim=True))
    fp16 = read_weights(tmp_path / "fp16.safetensors")  # files of earlier versions still load
    assert all(torch.allclose(fp16[k], v, atol=1e-3) for k, v in delta.items())


def test_store_int8_rewrites_an_fp16_reader_and_names_the_file_it_came_from(tmp_path, monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from qa.reader.model import read_weights
    from training import store_int8

    delta = {name: t.float() for name, t in tiny_model().state_dict().items() if "layer" in name.split(".")}
    save_file({k: v.half().contiguous() for k, v in delta.items()}, str(tmp_path / "reader.safetensors"))
    (tmp_path / "manifest.json").write_text(json.dumps({"dtype": "float16"}))
    fp16_sha256 = file_sha256(tmp_path / "reader.safetensors")
    monkeypatch.setattr("sys.argv", ["store_int8", str(tmp_path)])
    assert store_int8.main() == 0
    manifest = read_manifest(tmp_path)
    assert manifest["dtype"].startswith("int8") and manifest["stored"]["from_sha256"] == fp16_sha256
    stored = read_weights(tmp_path / "reader.safetensors")
    assert all(torch.allclose(stored[k], v, atol=1e-3) for k, v in delta.items())
    monkeypatch.setattr("sys.argv", ["store_int8", str(tmp_path / "elsewhere")])
    with pytest.raises(SystemExit):
        store_int8.main()
    assert "holds no reader" in capsys.readouterr().err


def test_saving_new_reader_weights_removes_the_probe_made_for_the_old_ones(tmp_path):
    pytest.importorskip("torch")
    from qa.reader.model import save_reader

    constant_probe().save(tmp_path)
    save_reader(tiny_model(), tmp_path, "a-base", {"examples": {}})
    assert (tmp_path / "reader.safetensors").is_file() and Answerability.load(tmp_path) is None


@pytest.mark.parametrize("layers_from", [0, 3])
def test_a_reader_ships_the_layers_it_trained_and_loads_them_over_its_base(tmp_path, layers_from):
    torch = pytest.importorskip("torch")
    from qa.reader.model import load_torch_reader, save_reader
    from qa.settings import Settings

    base, trained = tiny_model(), tiny_model()
    base.save_pretrained(tmp_path / "base")
    save_reader(trained, tmp_path / "reader", "a-base", {"examples": {}}, layers_from=layers_from)
    manifest = read_manifest(tmp_path / "reader")
    assert manifest["layers_from"] == layers_from
    loaded, _ = load_torch_reader(Settings(cache_dir=tmp_path), tmp_path / "reader", (tmp_path / "base", "a-base"))
    for name, value in loaded.state_dict().items():
        mine = "layer" in name.split(".") and int(name.split(".")[name.split(".").index("layer") + 1]) >= layers_from
        source = trained if mine or name.startswith("qa_outputs.") else base
        assert torch.allclose(value, source.state_dict()[name], atol=1e-2), name  # int8 or fp16 on disk


def test_distractors_are_retrieved_passages_that_are_neither_the_own_passage_nor_hold_the_answer():
    from training.answerability import distractors
    from training.data import Example

    own = "Lavrov tiba di Pyongyang pada Rabu (18/10)."
    retrieved = [passage("a", "Lavrov tiba di Pyongyang"),  # a chunk of its own passage
                 passage("b", "Kunjungan Lavrov: Rabu (18/10) di Pyongyang."),  # holds the answer
                 passage("c", "Kim bertemu Putin di Vladivostok.")]

    class Index:
        def retrieve(self, question, k):
            return retrieved[:k]

    questions = [Example("q1", "Kapan Lavrov tiba?", own, own.index("Rabu"), "Rabu (18/10)", "facqa-id"),
                 Example("q2", "Apa?", own, -1, "", "facqa-id")]  # unanswerable: never paired
    chosen = distractors(questions, {"facqa-id": Index()}, limit=5, seed=0)
    assert [(e.id, e.context, e.answer_start, e.source) for e in chosen] == \
        [("q1-distractor", "Kim bertemu Putin di Vladivostok.", -1, "facqa-id-distractor")]
    retrieved.pop()  # nothing qualifies: no distractor rather than a wrong label
    assert distractors(questions, {"facqa-id": Index()}, limit=5, seed=0) == []


def test_elsewhere_distractors_come_from_the_other_data_sets_index():
    from training.answerability import distractors
    from training.data import Example

    class Index:
        def __init__(self, text):
            self.text = text

        def retrieve(self, question, k):
            return [passage("x", self.text)]

    own = "Lavrov tiba di Pyongyang pada Rabu (18/10)."
    by_set = {"facqa-id": Index("Lavrov tiba di Pyongyang pada Rabu (18/10) sore."),
              "idkmrc": Index("Gunung Fuji adalah gunung tertinggi di Jepang.")}
    questions = [Example("q1", "Kapan Lavrov tiba?", own, own.index("Rabu"), "Rabu (18/10)", "facqa-id")]
    chosen = distractors(questions, by_set, limit=5, seed=0, elsewhere=True)
    assert [(e.id, e.context, e.source) for e in chosen] == \
        [("q1-elsewhere", "Gunung Fuji adalah gunung tertinggi di Jepang.", "facqa-id-elsewhere")]


def test_the_calibration_cache_is_keyed_by_the_weights_and_the_runtime_that_ran_them(tmp_path):
    from qa.settings import Settings
    from training.calibrate import READER_EXPORT_TAG, weights_tag

    settings = Settings(runtime="onnx", precision="int8")
    (tmp_path / "reader.safetensors").write_bytes(b"reader one")
    without_probe = weights_tag(tmp_path, settings)
    constant_probe().save(tmp_path)
    with_probe = weights_tag(tmp_path, settings)
    (tmp_path / "reader.safetensors").write_bytes(b"reader two")
    assert len({without_probe, with_probe, weights_tag(tmp_path, settings)}) == 3
    onnx = f"-{READER_EXPORT_TAG}-int8"  # a new export recipe reads other features
    assert without_probe.endswith("-none" + onnx)
    assert weights_tag(tmp_path, settings.with_(runtime="torch", precision="fp32")).endswith("-torch-fp32")
    assert weights_tag(tmp_path, settings.with_(reader_precision="fp32")).endswith(onnx + "-reader-fp32")
    assert weights_tag(tmp_path, settings.with_(reader_precision="int8")).endswith(onnx)
    assert onnx + "-adapter-" in weights_tag(tmp_path, settings.with_(query_adapter="on"))  # moves English
    reader_only, verifier = weights_tag(tmp_path, settings), tmp_path / "verifier"
    verifier.mkdir()
    (verifier / "reader.safetensors").write_bytes(b"a verifier")  # the features are its spans'
    with_verifier = weights_tag(tmp_path, settings, verifier)
    assert with_verifier.startswith(reader_only.removesuffix(onnx)) and with_verifier.endswith("-none" + onnx)
    assert len(with_verifier) > len(reader_only)


def test_a_missing_query_adapter_stops_the_calibration_with_what_to_do(tmp_path, monkeypatch):
    import training.calibrate
    from embeddings.errors import ModelLoadError
    from qa.settings import Settings

    monkeypatch.setattr(training.calibrate, "ENGLISH_ADAPTER_DIR", tmp_path / "en")
    with pytest.raises(ModelLoadError, match="training.query_adapter"):
        training.calibrate.weights_tag(tmp_path, Settings(query_adapter="on"))


def test_the_probe_breaks_ties_between_passages_that_read_and_rank_alike():
    first = "Lavrov tiba di Pyongyang pada Rabu (18/10/2023)."
    second = "Lavrov tiba di Tokyo pada Senin (16/10/2023)."
    hits = Hits([passage("a", first), passage("b", second)])  # the same retrieval score
    day = first.index("Rabu")
    spans = [Span(0, day, day + 4, 8.0, 0.0, answerable=-3.0), Span(1, day, day + 5, 8.0, 0.0, answerable=4.0)]
    question = "Which day did Lavrov arrive?"
    answer = compose_answer(question, analyse_question(question), hits,
                            reading=Reading(spans, Refusal((0.0,), 5.0, 0.5)))
    assert answer.text.startswith(second) and answer.citations[0].passage.doc_id == "b"


def test_questions_asked_elsewhere_are_unanswerable_and_only_report_what_they_can():
    from training.calibrate import asked_elsewhere, operating_point

    dev = {"facqa-id": [("Siapa direktur Bulog?", True), ("Kapan?", True)],
           "idkmrc": [("Apa ibu kota Jepang?", True), ("Apa ibu kota Mars?", False)]}
    elsewhere = asked_elsewhere(dev)
    assert elsewhere == {"facqa-id-elsewhere": [("Siapa direktur Bulog?", False), ("Kapan?", False)],
                         "idkmrc-elsewhere": [("Apa ibu kota Jepang?", False)]}
    assert len(asked_elsewhere(dev, limit=1)["facqa-id-elsewhere"]) == 1
    score = {"facqa-id": [0.9, 0.8], "idkmrc": [0.7, 0.1], "facqa-id-elsewhere": [0.2, 0.85],
             "idkmrc-elsewhere": [0.3]}
    items = dev | elsewhere
    values = {f"{name}\t{q}": {"margin": score[name][i]}
              for name, pairs in items.items() for i, (q, _) in enumerate(pairs)}
    threshold, report = operating_point(Refusal((1.0,), 0.0, 0.5), values, items)  # probability = logistic(score)
    assert 1 / (1 + np.exp(-0.3)) < threshold < 1 / (1 + np.exp(-0.7))  # no answerable question refused
    assert report["facqa-id-elsewhere"] == {"unanswerable_refused": 0.5}
    assert report["idkmrc"]["unanswerable_refused"] == 1.0 and report["idkmrc"]["answerable_refused"] == 0.0


def test_refusal_reads_the_probe_of_the_window_the_answer_shows_or_of_every_window():
    first = "Lavrov tiba di Pyongyang pada Rabu (18/10/2023)."
    second = "Lavrov tiba di Tokyo pada Senin (16/10/2023)."
    hits = Hits([passage("a", first, score=0.9), passage("b", second, score=0.5)])
    spans = [Span(0, 0, 6, 9.0, 1.0, answerable=-2.0), Span(1, 0, 6, 7.0, 4.0, answerable=3.0)]
    info = analyse_question("Which day did Lavrov arrive?")
    values = refusal_features(info, spans, hits, ("margin", "answerable", "answerable_max"))
    assert values["margin"] == 8.0 and values["answerable"] == -2.0  # the span the reader scores highest
    assert values["answerable_max"] == 3.0  # the window the probe finds most answerable, whichever it is
    assert values["chosen_answerable"] == -2.0  # the span shown: retrieval ranks passage "a" far higher
    reordered = refusal_features(info, spans[::-1], hits)  # whichever span comes first, "a" is retrieved first
    assert reordered["first_answerable"] == -2.0 and reordered["first_margin"] == reordered["margin_max"] == 8.0
    empty = refusal_features(info, [], Hits([]), ("answerable_max",))
    assert empty["answerable_max"] == empty["margin"] == NO_SPAN and empty["top_score"] == 0.0
    refusal = Refusal((1.0,), 0.0, 0.5, ("answerable_max",))
    answer = compose_answer("Which day did Lavrov arrive?", info, hits, reading=Reading(spans, refusal))
    assert not answer.abstained and answer.confidence == pytest.approx(1 / (1 + np.exp(-3.0)), abs=1e-4)
    # Retrieval ranking "b" far higher, the answer shows "b": the shipped refusal reads that window's probe.
    swapped = Hits([passage("a", first, score=0.5), passage("b", second, score=0.9)])
    assert refusal_features(info, spans, swapped, ("chosen_answerable",))["chosen_answerable"] == 3.0
    shipped = read_manifest(WEIGHTS_DIR)["refusal"]["features"]
    assert {"chosen_answerable", "first_answerable"} <= set(shipped) and "answerable" not in shipped
    refusal = Refusal((1.0,), 0.0, 0.5, ("chosen_answerable",))
    answer = compose_answer("Which day did Lavrov arrive?", info, swapped, reading=Reading(spans, refusal))
    assert answer.citations[0].passage.doc_id == "b"
    assert not answer.abstained and answer.confidence == pytest.approx(1 / (1 + np.exp(-3.0)), abs=1e-4)


def test_machine_translated_questions_are_train_examples_only_and_only_when_they_are_questions(tmp_path):
    from training.data import load_examples

    (tmp_path / "facqa").mkdir()
    (tmp_path / "idkmrc").mkdir()
    passage = "Lavrov tiba di Pyongyang pada Rabu (18/10)."
    (tmp_path / "facqa" / "passages.jsonl").write_text(json.dumps({"id": "p1", "text": passage}) + "\n")
    question = {"answers": ["Rabu (18/10)"], "answer_starts": [passage.index("Rabu")], "context_id": "p1"}
    (tmp_path / "facqa" / "qa.jsonl").write_text(
        json.dumps({**question, "id": "t1", "question": "Kapan Lavrov tiba?", "split": "train"}) + "\n")
    (tmp_path / "facqa" / "qa_en.jsonl").write_text("")
    for name in ("qa.jsonl", "passages.jsonl"):
        (tmp_path / "idkmrc" / name).write_text("")
    translated = tmp_path / "mt.jsonl"
    translated.write_text("".join(json.dumps({**question, "id": f"t{n}", "question": text}) + "\n" for n, text in
                                  enumerate(("When did Lavrov arrive?", "Lavrov arrived on Wednesday."), 1)))
    train = load_examples(tmp_path, "train", translated)
    assert [(e.source, e.question) for e in train] == [("facqa-id", "Kapan Lavrov tiba?"),
                                                       ("facqa-mt", "When did Lavrov arrive?")]
    assert train[1].context[train[1].answer_start:].startswith("Rabu (18/10)")
    assert load_examples(tmp_path, "valid", translated) == []
