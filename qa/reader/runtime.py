"""Loading the reader once per process, on the configured runtime (ONNX Runtime by default,
exported from the torch model on first use and cached beside the converted encoder)."""

from __future__ import annotations

import threading
from pathlib import Path

from qa.answer.reading import Refusal
from qa.errors import mapped
from qa.hashing import file_sha256
from qa.reader.model import WEIGHTS_DIR, WEIGHTS_FILE, check_base, encoder_folder, load_torch_reader, read_manifest
from qa.reader.reader import Reader, torch_logits
from qa.reader.windows import PairEncoder
from qa.settings import Settings

EXPORT_VERSION = 1
_LOADED: dict[tuple, Reader] = {}
_LOCK = threading.Lock()


def load_reader(settings: Settings, weights_dir: Path = WEIGHTS_DIR) -> Reader:
    key = (str(settings.model_cache_dir), settings.runtime, settings.precision, str(weights_dir))
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(settings, Path(weights_dir))
        return _LOADED[key]


def load_refusal(weights_dir: Path = WEIGHTS_DIR) -> Refusal:
    """The calibrated refusal score stored with the reader; until one is calibrated, "the best span
    beats no-answer" (a margin above 0)."""
    calibrated = read_manifest(weights_dir).get("refusal")
    return Refusal.from_manifest(calibrated) if calibrated else Refusal((1.0,), 0.0, 0.5)


def _load(settings: Settings, weights_dir: Path) -> Reader:
    from embeddings.onnx_runtime import load_tokenizer

    folder, fingerprint = encoder_folder(settings)
    check_base(read_manifest(weights_dir), fingerprint, weights_dir)
    encoder = PairEncoder(load_tokenizer(folder / "tokenizer.json"))
    if settings.runtime == "torch":
        model, _ = load_torch_reader(settings, weights_dir)
        return Reader(encoder, torch_logits(model))
    digest = file_sha256(weights_dir / WEIGHTS_FILE)[:16]
    target = folder.parent / f"reader-{digest}-v{EXPORT_VERSION}" / f"model-{settings.precision}.onnx"
    with mapped():
        if not target.is_file():
            _export(settings, weights_dir, target)
        from embeddings.onnx_runtime import session

        return Reader(encoder, _onnx_logits(session(target)))


def _export(settings: Settings, weights_dir: Path, target: Path) -> None:
    import torch

    from embeddings.onnx_runtime import export_encoder

    model, _ = load_torch_reader(settings, weights_dir)

    class Logits(torch.nn.Module):
        def __init__(self, qa_model):
            super().__init__()
            self.qa_model = qa_model

        def forward(self, input_ids, attention_mask):
            out = self.qa_model(input_ids=input_ids, attention_mask=attention_mask)
            return out.start_logits, out.end_logits

    export_encoder(Logits(model), target, ["start_logits", "end_logits"], settings.precision)


def _onnx_logits(sess):
    lock = threading.Lock()

    def run(input_ids, attention_mask):
        with lock:
            start, end = sess.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})
        return start, end

    return run
