"""A linear map applied to the query vectors of questions in one language.

English questions over Indonesian articles are embedded by the same multilingual encoder, but
their vectors sit apart from those of the same questions asked in Indonesian, and dense
retrieval finds the right passage less often for them. A ``QueryAdapter`` moves them: a
matrix fitted by ridge regression from English question vectors to the vectors of the same
questions in Indonesian (``python -m training.query_adapter``), shrunk towards the identity, so
that a question unlike the training ones keeps most of its own vector. Passages are untouched,
so an index needs no rebuild. Stored as a folder: ``adapter.safetensors`` (the matrix) and
``manifest.json`` (the model it was fitted for, the language, the data and the figures).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.errors import ModelLoadError

MATRIX_FILE, MANIFEST_FILE = "adapter.safetensors", "manifest.json"
ENGLISH_ADAPTER_DIR = Path(__file__).resolve().parent / "adapters" / "en"  # the shipped one, for the default model


@dataclass(frozen=True)
class QueryAdapter:
    matrix: np.ndarray  # (dimension, dimension); a query row vector v becomes v @ matrix
    language: str  # the questions it applies to ("en")
    base_fingerprint: str  # the embedding model it was fitted for (a prefix of the embedder's fingerprint)

    def applies_to(self, fingerprint: str) -> bool:
        """Whether vectors of the embedder with this ``fingerprint`` are the ones it was fitted on
        (any runtime or precision of the same model)."""
        return fingerprint.startswith(self.base_fingerprint)

    def apply(self, query: np.ndarray) -> np.ndarray:
        moved = query.astype(np.float32) @ self.matrix
        norm = float(np.linalg.norm(moved))
        return moved / norm if norm > 0 else query


def fit_ridge(source: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """argmin_W |source W - target|^2 + strength |W - I|^2: the least-squares map, pulled towards
    the identity (no change) by ``strength``."""
    dim = source.shape[1]
    eye = np.eye(dim)
    lhs = source.T.astype(np.float64) @ source + strength * eye
    rhs = source.T.astype(np.float64) @ target + strength * eye
    return np.linalg.solve(lhs, rhs).astype(np.float32)


def save_adapter(adapter: QueryAdapter, folder: Path, details: dict) -> None:
    """Write the adapter; files are replaced whole, so a reader never sees half of one."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"language": adapter.language, "base_fingerprint": adapter.base_fingerprint,
                "dimension": int(adapter.matrix.shape[0])} | details
    save_file({"matrix": np.ascontiguousarray(adapter.matrix, np.float32)}, str(folder / f".{MATRIX_FILE}.tmp"))
    (folder / f".{MANIFEST_FILE}.tmp").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (folder / f".{MATRIX_FILE}.tmp").replace(folder / MATRIX_FILE)
    (folder / f".{MANIFEST_FILE}.tmp").replace(folder / MANIFEST_FILE)


def load_adapter(folder: Path) -> QueryAdapter:
    """The adapter in ``folder``; a missing, corrupt or inconsistent one is refused with what to do."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    redo = f"Restore it with `git checkout {folder}` or refit it with `python -m training.query_adapter`."
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        matrix = load_file(str(folder / MATRIX_FILE))["matrix"]
        language, base, dim = manifest["language"], manifest["base_fingerprint"], manifest["dimension"]
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
        raise ModelLoadError(f"The query adapter in {folder} cannot be read ({exc}). {redo}") from exc
    if matrix.shape != (dim, dim) or not np.isfinite(matrix).all():
        raise ModelLoadError(f"The query adapter in {folder} is not a finite {dim}x{dim} matrix. {redo}")
    return QueryAdapter(matrix.astype(np.float32), str(language), str(base))
