"""Stores: where an index lives. ``open_store`` picks the backend from ``Settings.store``."""

from __future__ import annotations

from pathlib import Path

from qa.settings import Settings
from qa.stores.base import PreparedDocument, Store, StoredChunk, StoreReader
from qa.stores.embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "PreparedDocument", "Store", "StoreReader", "StoredChunk", "open_store"]


def open_store(settings: Settings, index_dir: str | Path | None = None) -> Store:
    """An explicit ``index_dir`` is an embedded index; otherwise ``settings.store`` decides:
    a ``postgresql://`` URL is PostgreSQL, anything else the embedded index folder."""
    if index_dir is None and settings.store_url:
        from qa.stores.postgres import PostgresStore  # psycopg is imported only when used

        return PostgresStore(settings.store_url)
    return EmbeddedStore(Path(index_dir) if index_dir else settings.resolved_index_dir, settings.index_type)
