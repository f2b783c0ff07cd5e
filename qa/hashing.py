"""The one place SHA-256 is taken: of texts (content and embedding keys) and of files."""

from __future__ import annotations

import hashlib
from pathlib import Path

TEXT_HASH_CHARS = 32  # 128 bits: collisions are not a concern for document and chunk keys


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:TEXT_HASH_CHARS]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
