"""The store interface: what indexing writes and what retrieval reads, whatever holds the index.

Two backends implement it (``qa.stores.open_store`` picks one from ``Settings.store``): the
embedded folder index (FAISS + SQLite + numpy BM25 arrays, the default) and PostgreSQL with pgvector. A row
id (``int``) names a chunk inside one store; both backends pass the same test suite.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from qa.filters import Filters
from qa.types import Chunk, Document

Progress = Callable[[str, int, int], None]


@dataclass
class StoredChunk:
    row: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass
class PreparedDocument:
    """A document ready to store: its chunks, the hash of each chunk's embedded text, and vectors."""

    document: Document
    chunks: list[Chunk]
    embed_hashes: list[str]
    vectors: np.ndarray


class StoreReader(ABC):
    """A consistent view of the index for answering questions."""

    manifest: dict

    @property
    @abstractmethod
    def n_chunks(self) -> int: ...

    @abstractmethod
    def dense_search(self, query: np.ndarray, k: int, filters: Filters | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (cosine scores, rows) for a normalised query vector."""

    @abstractmethod
    def lexical_search(self, tokens: list[str], k: int, expand: bool = False, filters: Filters | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` BM25 (scores, rows) for ``tokens``; ``expand`` adds dictionary translations."""

    @property
    @abstractmethod
    def vocabulary(self) -> Container[str]:
        """The words (``qa.text.normalize`` tokens) some chunk uses."""

    @abstractmethod
    def vectors_of(self, rows: list[int]) -> np.ndarray: ...

    @abstractmethod
    def chunks(self, rows: list[int]) -> list[StoredChunk]:
        """The chunks of ``rows`` that exist, in the order asked."""

    @abstractmethod
    def document(self, doc_id: str) -> Document | None: ...

    @abstractmethod
    def document_meta(self, doc_id: str) -> dict: ...

    @abstractmethod
    def documents(self) -> list[dict]: ...

    @abstractmethod
    def stored_vectors(self, embed_hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed for these embedded-text hashes (so unchanged text is not re-embedded)."""

    @abstractmethod
    def newest_day(self) -> str | None:
        """The latest article date (ISO day) in the index, or None when no article is dated."""

    @abstractmethod
    def count_documents(self, filters: Filters | None = None) -> int:
        """How many articles ``filters`` admits (all of them when None)."""

    def count_undated(self) -> int:
        """Articles with no known date (left out of every date-filtered search)."""
        return self.count_documents() - self.count_documents(Filters(since="0001-01-01"))

    def document_hashes(self) -> dict[str, str]:
        """Document id -> content hash, for telling added, changed and removed articles apart."""
        return self.manifest.get("documents", {})

    @contextmanager
    def session(self):
        """Reads made inside see one state of the index (PostgreSQL: one snapshot per question);
        a folder version never changes, so there is nothing to do."""
        yield self

    @abstractmethod
    def close(self) -> None:
        """Release what the view holds (files, connections)."""


class Store(ABC):
    """Where an index lives; opens views for reading and applies writes."""

    location: str
    writes_per_document = False  # True: a write touches only the rows of the articles it changes

    @abstractmethod
    def stats(self) -> dict:
        """``{"documents": n, "chunks": n}`` of the current index (zeros when there is none)."""

    @abstractmethod
    def generation(self) -> str | None:
        """A token that changes when another view must be opened to see new content; None when
        there is no index yet."""

    @abstractmethod
    def open_reader(self, fingerprint: str | None = None, model_name: str = "") -> StoreReader:
        """A view of the current index; refused (``IndexMismatch``) when another model built it."""

    def stored_documents(self) -> list[Document]:
        """The articles the index holds even when this code cannot read its format (so an old
        index can be rebuilt from them); empty where formats are upgraded in place."""
        return []

    @abstractmethod
    def write(self, documents: Iterable[PreparedDocument], manifest: dict, replace_all: bool,
              keep_ids: Iterable[str] = ()) -> None:
        """Store ``documents`` (replacing any with the same id), atomically per backend's unit.
        ``replace_all``: the index holds exactly these documents afterwards (plus ``keep_ids``,
        documents already stored and unchanged)."""

    @abstractmethod
    def remove(self, doc_ids: Iterable[str], manifest: dict) -> None:
        """Delete these documents (ids not stored are ignored)."""
