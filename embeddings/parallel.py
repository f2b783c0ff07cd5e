"""Embedding passages in several worker processes, for bulk loads on machines with many cores.

Each worker loads its own copy of the model (``load_embedder`` with the same arguments) and
embeds a slice of the texts with ``threads`` compute threads; queries and small jobs stay in
the calling process. Vectors are those of one process up to batching: fp32 agrees to 1e-5; int8
quantises activations per batch, and batches are formed per slice (cosine >= 0.99).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from embeddings.base import Embedder, Kind, ProgressCallback

SLICE_BATCHES = 8  # batches per slice handed to a worker: large enough to amortise the transfer

_WORKER: Embedder | None = None


class ProcessPoolEmbedder(Embedder):
    """``local`` in this process, plus ``workers`` processes for large ``embed_passages`` jobs."""

    def __init__(self, local: Embedder, spec: tuple[str, Path, str, str, str], workers: int):
        self.local, self.spec, self.workers = local, spec, workers
        self.name, self.fingerprint = local.name, local.fingerprint
        self.dimension, self.prompts = local.dimension, local.prompts
        self._pool: ProcessPoolExecutor | None = None

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        return self.local.embed_batch(texts, kind)

    def count_tokens(self, texts: Sequence[str]) -> int:
        return self.local.count_tokens(texts)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: ProgressCallback | None = None) -> np.ndarray:
        size = batch_size * SLICE_BATCHES
        if len(texts) < 2 * size:
            return self.local.embed_passages(texts, batch_size, progress)
        # Slices of similar lengths pad little, as one process's length-sorted batches do.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        slices = [[texts[i] for i in order[at: at + size]] for at in range(0, len(order), size)]
        out, done = np.zeros((len(texts), self.dimension), np.float32), 0
        for at, vectors in zip(range(0, len(order), size),
                               self._executor().map(_embed_slice, slices, [batch_size] * len(slices))):
            out[order[at: at + len(vectors)]] = vectors
            done += len(vectors)
            if progress:
                progress(done, len(texts))
        return out

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            # spawn: a forked copy of a process that already runs compute threads can deadlock
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(self.spec, threads))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _start_worker(spec: tuple, threads: int) -> None:
    global _WORKER
    from embeddings.models import load_embedder

    _WORKER = load_embedder(*spec)
    _limit_threads(_WORKER, threads)


def _limit_threads(embedder: Embedder, threads: int) -> None:
    """Keep each worker to its share of the cores (more threads than cores only adds contention)."""
    from embeddings.onnx_runtime import OnnxEmbedder, session

    if isinstance(embedder, OnnxEmbedder):
        embedder.session = session(embedder.onnx_path, threads)
    else:
        import torch

        torch.set_num_threads(threads)


def _embed_slice(texts: list[str], batch_size: int) -> np.ndarray:
    return _WORKER.embed_passages(texts, batch_size)
