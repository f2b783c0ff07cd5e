"""ONNX Runtime for the encoder: export once from the converted model, optionally quantise to
int8, cache next to it, and run without torch.

The embedder (``OnnxEmbedder``) tokenises with the model's own ``tokenizer.json``, sorts texts
by token count and batches them by a token budget (padding only to the longest text of
similar texts), then mean-pools and normalises in numpy. The same export and session helpers
serve any encoder-shaped model (the reader uses them too).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings.base import Embedder, Kind, ProgressCallback
from embeddings.errors import ModelLoadError, UnknownOption

PRECISIONS = ("int8", "fp32")
EXPORT_VERSION = 2  # bump when the export or quantisation recipe changes (cached files are rebuilt)
OPSET = 17
TOKEN_BUDGET = 16_384  # padded tokens per batch: memory stays flat, long texts go in small batches
MAX_BATCH = 64


def export_encoder(module, target: Path, output_names: Sequence[str], precision: str,
                   keep_fp32: str = "") -> Path:
    """Export a torch ``module(input_ids, attention_mask)`` to ``target`` (ONNX, dynamic batch and
    sequence axes), quantised to int8 (dynamic, per channel) when asked, except the nodes whose
    name matches the regular expression ``keep_fp32``. Atomic: written in a temporary sibling
    folder and renamed into place."""
    if precision not in PRECISIONS:
        raise UnknownOption(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
    import torch

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".exporting-", dir=target.parent))
    try:
        fp32 = tmp / "model-fp32.onnx"
        ids = torch.ones((2, 16), dtype=torch.long)
        axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
        axes.update({name: {0: "batch", 1: "tokens"} for name in output_names})
        module.eval()
        with torch.inference_mode():
            torch.onnx.export(module, (ids, torch.ones_like(ids)), str(fp32),
                              input_names=["input_ids", "attention_mask"], output_names=list(output_names),
                              dynamic_axes=axes, opset_version=OPSET, dynamo=False)
        result = fp32
        if precision == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            result = tmp / "model-int8.onnx"
            quantize_dynamic(str(fp32), str(result), per_channel=True, weight_type=QuantType.QInt8,
                             nodes_to_exclude=_matching_nodes(fp32, keep_fp32))
        os.replace(result, target)
    except ModelLoadError:
        raise
    except Exception as exc:  # the exporter and quantiser raise many types; all mean "could not build"
        raise ModelLoadError(f"Could not export the model to ONNX ({exc}).") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _matching_nodes(path: Path, pattern: str) -> list[str]:
    """The nodes of ``path`` whose name matches ``pattern``; a pattern that matches none is refused,
    since the model would then be quantised whole without a word (say, after an exporter renamed
    its nodes)."""
    if not pattern:
        return []
    import onnx

    names = [node.name for node in onnx.load(str(path), load_external_data=False).graph.node
             if re.search(pattern, node.name)]
    if not names:
        raise ModelLoadError(f"No node of the exported model matches {pattern!r}, the nodes to keep in fp32; "
                             "the exporter names them otherwise now: update the pattern and the export version.")
    return names


def session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session for ``path``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # After a run, ONNX Runtime's threads spin waiting for the next one and take the cores from what
    # follows a model call (numpy, the index, the next model): seeds `ask` p50 21-41 ms lower on 2
    # cores, the same answers (qa bench, docs/benchmarks.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a truncated or foreign file
        raise ModelLoadError(f"ONNX Runtime cannot load {path} ({exc}); delete it to rebuild it.") from exc


@lru_cache(maxsize=4)
def load_tokenizer(path: Path):
    """The ``tokenizers.Tokenizer`` of ``path``, loaded once per process and never reconfigured
    (it takes most of a second to load; the embedder and the reader share it)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def ensure_encoder_onnx(model_folder: Path, precision: str) -> Path:
    """The embedder's ONNX file for the converted sentence-transformers folder, built on first use."""
    target = Path(model_folder).parent / f"{Path(model_folder).name}-onnx-v{EXPORT_VERSION}" / f"model-{precision}.onnx"
    if target.is_file():
        return target
    return export_encoder(_hidden_states(model_folder), target, ["last_hidden_state"], precision)


def _hidden_states(model_folder: Path):
    """The BERT of a converted folder as ``module(input_ids, attention_mask) -> last hidden state``."""
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return Encoder(AutoModel.from_pretrained(str(model_folder), attn_implementation="eager"))


class OnnxEmbedder(Embedder):
    """The converted model run by ONNX Runtime (fp32 or int8): same vectors as sentence-transformers
    up to the precision (cosine >= 0.99 fp32, >= 0.98 int8; tests/test_onnx.py)."""

    def __init__(self, model_folder: Path, precision: str, base_fingerprint: str, base_name: str,
                 threads: int | None = None):
        model_folder = Path(model_folder)
        self.source = str(model_folder)  # the sentence-transformers folder it was exported from
        self.onnx_path = ensure_encoder_onnx(model_folder, precision)
        self.session = session(self.onnx_path, threads)
        self.tokenizer = load_tokenizer(model_folder / "tokenizer.json")
        self.max_tokens = _max_tokens(model_folder)
        self.pad_id = self.tokenizer.token_to_id("<pad>") or 0
        config = json.loads((model_folder / "config.json").read_text())
        self.dimension = int(config["hidden_size"])
        self.prompts = _prompts(model_folder)
        self.name = f"{base_name} (onnx {precision})"
        self.fingerprint = f"{base_fingerprint}:onnx-{precision}:v{EXPORT_VERSION}"
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], kind: Kind) -> list[list[int]]:
        """Token ids with the prompt, cut to the model's length (keeping the closing ``</s>``)."""
        prefix, limit = self.prompts.get(kind, ""), self.max_tokens
        encoded = [e.ids for e in self.tokenizer.encode_batch([prefix + t for t in texts])]
        return [ids if len(ids) <= limit else ids[: limit - 1] + ids[-1:] for ids in encoded]

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        return self._run(self.encode(texts, kind))

    def count_tokens(self, texts: Sequence[str]) -> int:
        return sum(len(ids) for ids in self.encode(texts, "passage"))

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: ProgressCallback | None = None) -> np.ndarray:
        """Tokenised once, sorted by token count, batched by ``TOKEN_BUDGET`` padded tokens."""
        encoded = self.encode(texts, "passage")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for done, rows in token_batches([len(ids) for ids in encoded], TOKEN_BUDGET, MAX_BATCH):
            out[rows] = self._run([encoded[i] for i in rows])
            if progress:
                progress(done, len(texts))
        return out

    def _run(self, encoded: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in encoded)
        ids = np.full((len(encoded), width), self.pad_id, np.int64)
        mask = np.zeros((len(encoded), width), np.int64)
        for row, seq in enumerate(encoded):
            ids[row, : len(seq)], mask[row, : len(seq)] = seq, 1
        with self._lock:  # one run at a time: ONNX Runtime already uses every core for one batch
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def token_batches(lengths: Sequence[int], budget: int, max_batch: int):
    """Yield (texts done so far, row indices) for batches of similar length whose padded size
    (rows x longest) stays within ``budget``; longest first, so memory peaks at the start."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    done, begin = 0, 0
    while begin < len(order):
        longest = max(lengths[order[begin]], 1)
        size = max(1, min(max_batch, budget // longest))
        rows = order[begin:begin + size]
        begin += len(rows)
        done += len(rows)
        yield done, rows


def _max_tokens(model_folder: Path) -> int:
    path = model_folder / "sentence_bert_config.json"
    if path.is_file():
        return int(json.loads(path.read_text()).get("max_seq_length", 512))
    return 512


def _prompts(model_folder: Path) -> dict[str, str]:
    path = model_folder / "config_sentence_transformers.json"
    prompts = json.loads(path.read_text()).get("prompts", {}) if path.is_file() else {}
    return {k: v for k, v in prompts.items() if k in ("query", "passage")}

