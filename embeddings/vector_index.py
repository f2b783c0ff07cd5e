"""FAISS vector indexes behind one small interface, chosen by corpus size.

Vectors are L2-normalised, so inner product is cosine similarity. Index files are written
with FAISS's own binary format (never pickle).
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from embeddings.errors import UnknownOption, VectorIndexError

INDEX_TYPES = ("flat", "hnsw", "ivf_sq8")
# Below this many vectors exact search is fast enough (a few ms) and has perfect recall; above
# it, IVF with 8-bit scalar quantisation keeps recall@10 >= 0.95 at a quarter of the memory
# (docs/benchmarks.md). HNSW is offered but needs a large efSearch on clustered data.
AUTO_FLAT_LIMIT = 200_000
# Index files above this size are memory-mapped read-only instead of read into memory.
MMAP_ABOVE_BYTES = 256 * 1024 * 1024


def choose_index_type(n_vectors: int, requested: str = "auto") -> str:
    if requested != "auto":
        if requested not in INDEX_TYPES:
            raise UnknownOption(f"Unknown index type {requested!r}; choose one of auto, {', '.join(INDEX_TYPES)}.")
        return requested
    return "flat" if n_vectors < AUTO_FLAT_LIMIT else "ivf_sq8"


def build_faiss_index(vectors: np.ndarray, index_type: str = "flat") -> faiss.Index:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
    if index_type == "flat" or n == 0:
        index = faiss.IndexFlatIP(dim or 1)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    elif index_type == "ivf_sq8":
        n_lists = max(1, min(int(4 * np.sqrt(n)), n // 39))  # FAISS wants >= 39 training points per list
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, n_lists, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(n, min(n, 256 * n_lists), replace=False)]
        index.train(sample)
    else:
        raise UnknownOption(f"Unknown index type {index_type!r}.")
    if n:
        index.add(vectors)
    return tune_search(index)


def tune_search(index: faiss.Index) -> faiss.Index:
    """Search-time settings (not all are kept in the file), measured in docs/benchmarks.md."""
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = 512
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = min(index.nlist, max(64, index.nlist // 16))
    return index


def save_faiss_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_faiss_index(path: Path) -> faiss.Index:
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if path.stat().st_size > MMAP_ABOVE_BYTES else 0
    try:
        return tune_search(faiss.read_index(str(path), flags))
    except RuntimeError as exc:
        raise VectorIndexError(f"The vector index {path} cannot be read ({exc}). Rebuild it with `qa index`.") from exc


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` (scores, row ids) for one query vector; ids of -1 are dropped."""
    if index.ntotal == 0 or k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    scores, ids = index.search(np.asarray(query, np.float32).reshape(1, -1), min(k, index.ntotal))
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
