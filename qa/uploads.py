"""Files handed over by a person (the page's upload box, ``Assistant.add_files``): checked for
count, type and size, copied under safe names, and read into documents."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from qa.ingest import SUPPORTED_SUFFIXES, read_file
from qa.settings import Settings
from qa.types import Document, Problem


def safe_filename(name: str) -> str:
    """A file name without folders, traversal or odd characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base).lstrip(".")
    return cleaned[:120] or "upload.txt"


def read_uploads(paths: list[str | Path], settings: Settings) -> tuple[list[Document], list[Problem]]:
    """The articles in the uploaded files, and a problem for each file refused or skipped.

    File names are never used as paths: each file is copied under a sanitised name into a
    private temporary folder before it is read.
    """
    problems: list[Problem] = []
    paths = list(paths)
    if len(paths) > settings.max_upload_files:
        problems += [Problem(safe_filename(Path(p).name), f"over the limit of {settings.max_upload_files} files "
                             "per upload; add it in another upload") for p in paths[settings.max_upload_files:]]
        paths = paths[: settings.max_upload_files]
    documents: list[Document] = []
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        for raw in paths:
            source = Path(raw)
            name = safe_filename(source.name)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                problems.append(Problem(name, f"type not allowed (use {', '.join(sorted(SUPPORTED_SUFFIXES))})"))
                continue
            try:
                size = source.stat().st_size
            except OSError as exc:
                problems.append(Problem(name, f"cannot read: {exc.strerror}"))
                continue
            if size > settings.max_upload_mb * 2**20:
                problems.append(Problem(name, f"larger than {settings.max_upload_mb} MB"))
                continue
            target = Path(tmp) / name
            shutil.copyfile(source, target)
            found: list[Problem] = []
            # Reports and stored paths name the uploaded file, not the temporary copy.
            documents += [replace(d, path=d.path.replace(str(target), name)) for d in read_file(target, found)]
            problems += [Problem(p.path.replace(str(target), name), p.reason) for p in found]
    return _unique(documents, problems), problems


def _unique(documents: list[Document], problems: list[Problem]) -> list[Document]:
    """One document per id: a later file with the same id is reported, not silently merged."""
    seen: dict[str, Document] = {}
    for doc in documents:
        if doc.id in seen:
            problems.append(Problem(Path(doc.path).name, f"another uploaded file has the same id '{doc.id}'; skipped"))
            continue
        seen[doc.id] = doc
    return list(seen.values())
