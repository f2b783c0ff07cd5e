"""Loading the reader once per process, on the configured runtime (ONNX Runtime by default,
exported from the torch model on first use and cached beside the converted encoder)."""

from __future__ import annotations

import threading
from pathlib import Path

from qa.answer.reading import PROBE_FEATURES, Refusal
from qa.errors import mapped
from qa.hashing import file_sha256
from qa.reader.answerability import ANSWERABILITY_FILE, FEATURE_LAYOUT, MIDDLE_LAYER, Answerability
from qa.reader.model import (
    FP32_OUTPUT_LAYERS,
    VERIFIER_DIR,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    ReaderMismatch,
    check_base,
    encoder_folder,
    load_torch_reader,
    read_manifest,
)
from qa.reader.reader import Reader, torch_logits
from qa.reader.windows import PairEncoder
from qa.settings import Settings

EXPORT_VERSION = 3  # 2: the export returns the states the probe reads; 3: KEEP_FP32 below
# int8 rounding of the feed-forward output's input (GELU activations, long-tailed, one scale per
# batch) in the lower layers is what moved the int8 reader furthest from fp32 (docs/evaluation.md).
KEEP_FP32 = rf"/layer\.[{min(FP32_OUTPUT_LAYERS)}-{max(FP32_OUTPUT_LAYERS)}]/output/dense/"
EXPORT_TAG = f"onnx{EXPORT_VERSION}"  # names the recipe where features read with it are recorded or cached
_LOADED: dict[tuple, Reader] = {}
_LOCK = threading.Lock()


def load_reader(settings: Settings, weights_dir: Path = WEIGHTS_DIR, with_probe: bool = True) -> Reader:
    """The reader, with its answerability probe unless ``with_probe`` is false (to train one)."""
    key = (str(settings.model_cache_dir), settings.runtime, settings.resolved_reader_precision, str(weights_dir),
           with_probe)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(settings, Path(weights_dir), with_probe)
        return _LOADED[key]


def refusal_key(verified: bool) -> str:
    """Where the reader's manifest keeps the refusal calibrated on the verifier's spans, or on its own."""
    return "refusal" if verified else "refusal_without_verifier"


def load_refusal(weights_dir: Path = WEIGHTS_DIR, verifier_dir: Path | None = VERIFIER_DIR) -> Refusal:
    """The calibrated refusal score stored with the reader: the one read from the spans of the
    verifier in ``verifier_dir`` when there is one (None: the verifier is off), else the one read
    from the reader's own; until one is calibrated, "the best span beats no-answer" (a margin above
    0). Refused when it was calibrated on another verifier."""
    present = verifier_sha256(verifier_dir) if verifier_dir is not None else None
    calibrated = read_manifest(weights_dir).get(refusal_key(present is not None))
    if not calibrated:
        return Refusal((1.0,), 0.0, 0.5)
    if calibrated.get("verifier_sha256") != present:
        raise ReaderMismatch(f"The refusal in {weights_dir} was calibrated on another verifier than the one in "
                             f"{verifier_dir}; restore it (`git checkout qa/reader`) or recalibrate with "
                             "`python -m training.calibrate`.")
    read_by = Path(weights_dir if present is None else verifier_dir)  # whose spans and probe the score reads
    if PROBE_FEATURES & set(calibrated["features"]) and not (read_by / ANSWERABILITY_FILE).is_file():
        raise ReaderMismatch(f"The refusal in {weights_dir} reads the answerability probe, which is missing in "
                             f"{read_by}; train it with `python -m training.answerability --weights {read_by}`, "
                             "then `python -m training.calibrate`.")
    return Refusal.from_manifest(calibrated)


def verifier_sha256(verifier_dir: Path = VERIFIER_DIR) -> str | None:
    path = Path(verifier_dir) / WEIGHTS_FILE
    return file_sha256(path) if path.is_file() else None


def configured_verifier_dir(settings: Settings) -> Path | None:
    """The verifier's folder, or None when it is off (``NEWSQA_VERIFIER=off``) or none is shipped.
    Only looks for the file: ``load_refusal`` and ``load_reader`` hash it."""
    return VERIFIER_DIR if settings.verifier == "on" and (VERIFIER_DIR / WEIGHTS_FILE).is_file() else None


def load_verifier(settings: Settings, folder: Path | None) -> Reader | None:
    """The verifier (a second reader whose spans the refusal reads) in ``folder``, or None."""
    return None if folder is None else load_reader(settings, folder)


def load_probe(weights_dir: Path, reader_sha256: str, runtime: str = "onnx") -> Answerability | None:
    """The answerability probe, refused when it was trained on other reader weights than those
    whose SHA-256 is ``reader_sha256``, on another feature layout, or (on ONNX Runtime) on the
    features of another export recipe than this version's."""
    probe = Answerability.load(weights_dir)
    if probe is None:
        return None
    trained = read_manifest(weights_dir).get("answerability", {})
    if trained.get("reader_sha256") != reader_sha256:
        raise ReaderMismatch(f"The answerability probe in {weights_dir} was trained on other reader weights; "
                             "retrain it with `python -m training.answerability`, then `python -m training.calibrate`.")
    if trained.get("feature_layout") != FEATURE_LAYOUT:
        raise ReaderMismatch(f"The answerability probe in {weights_dir} was trained on another version's features; "
                             "retrain it with `python -m training.answerability`, then `python -m training.calibrate`.")
    read_with = trained.get("training", {}).get("features_read_with", "").split()
    if runtime == "onnx" and read_with and read_with[0].startswith("onnx") and read_with[0] != EXPORT_TAG:
        raise ReaderMismatch(f"The answerability probe in {weights_dir} was trained on the features of another "
                             f"export of the reader ({read_with[0]}, this version's is {EXPORT_TAG}); retrain "
                             "it with `python -m training.answerability`, then `python -m training.calibrate`.")
    return probe


def _load(settings: Settings, weights_dir: Path, with_probe: bool) -> Reader:
    from embeddings.onnx_runtime import load_tokenizer

    folder, fingerprint = encoder_folder(settings)
    check_base(read_manifest(weights_dir), fingerprint, weights_dir)
    encoder = PairEncoder(load_tokenizer(folder / "tokenizer.json"))
    reader_sha256 = file_sha256(weights_dir / WEIGHTS_FILE)
    probe = load_probe(weights_dir, reader_sha256, settings.runtime) if with_probe else None
    if settings.runtime == "torch":
        model, _ = load_torch_reader(settings, weights_dir)
        return Reader(encoder, torch_logits(model), probe)
    precision = settings.resolved_reader_precision
    target = folder.parent / f"reader-{reader_sha256[:16]}-v{EXPORT_VERSION}" / f"model-{precision}.onnx"
    with mapped():
        if not target.is_file():
            _export(settings, weights_dir, target)
        from embeddings.onnx_runtime import session

        return Reader(encoder, _onnx_logits(session(target)), probe)


def _export(settings: Settings, weights_dir: Path, target: Path) -> None:
    import torch

    from embeddings.onnx_runtime import export_encoder

    model, _ = load_torch_reader(settings, weights_dir)

    class Logits(torch.nn.Module):
        def __init__(self, qa_model):
            super().__init__()
            self.qa_model = qa_model

        def forward(self, input_ids, attention_mask):
            out = self.qa_model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return out.start_logits, out.end_logits, out.hidden_states[-1], out.hidden_states[MIDDLE_LAYER]

    export_encoder(Logits(model), target, ["start_logits", "end_logits", "last_hidden", "middle_hidden"],
                   settings.resolved_reader_precision, keep_fp32=KEEP_FP32)


def _onnx_logits(sess):
    lock = threading.Lock()

    def run(input_ids, attention_mask):
        with lock:
            return tuple(sess.run(None, {"input_ids": input_ids, "attention_mask": attention_mask}))

    return run
