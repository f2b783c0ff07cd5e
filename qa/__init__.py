"""newsqa: cited question answering over folders of news articles (Indonesian and English).

    from qa import ask, retrieve
    answer = ask("When did Lavrov visit Pyongyang?")
    print(answer.text)
    for c in answer.citations:
        print(c.n, c.passage.doc_id, c.passage.start, c.passage.end)

This module is the public API; everything else in the package is internal. ``Assistant``
holds a loaded index; the module-level helpers share one per index folder.

The internal modules are named so that none shadows a name exported here (``qa.retrieval``,
not ``qa.retrieve``): importing them never replaces a function of this API by a module.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from qa.assistant import Assistant
from qa.errors import (
    GoldFileError,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
    IndexProblem,
    InvalidFilter,
    InvalidQuestion,
    ModelError,
    NothingToIndex,
    QAError,
    SettingsError,
    StoreUnavailable,
)
from qa.evaluation import evaluate, render_markdown, render_table
from qa.export import answer_json, answer_markdown
from qa.filters import Filters
from qa.ingest import SUPPORTED_SUFFIXES
from qa.settings import Settings
from qa.types import Answer, Chunk, Citation, Document, IndexReport, Passage, Problem, UploadReport

__all__ = [
    "SUPPORTED_SUFFIXES", "Answer", "Assistant", "Chunk", "Citation", "Document", "Filters", "GoldFileError",
    "IndexCorrupt", "IndexMismatch", "IndexNotFound", "IndexProblem", "IndexReport", "InvalidFilter",
    "InvalidQuestion", "ModelError", "NothingToIndex", "Passage", "Problem", "QAError", "Settings", "SettingsError",
    "StoreUnavailable", "UploadReport", "answer_json", "answer_markdown", "ask", "evaluate", "get_assistant", "index",
    "render_markdown", "render_table", "retrieve",
]

_assistants: dict[str, Assistant] = {}
_lock = threading.Lock()


def get_assistant(index_dir: str | Path | None = None) -> Assistant:
    """The shared ``Assistant`` for ``index_dir`` (default index when None)."""
    key = str(index_dir or "")
    with _lock:
        if key not in _assistants:
            _assistants[key] = Assistant(index_dir)
        return _assistants[key]


def retrieve(question: str, k: int = 5, index_dir: str | Path | None = None, mode: str | None = None,
             filters: Filters | dict | None = None) -> list[Passage]:
    """Ranked passages (doc id, title, start, end, text, score) for ``question``."""
    return get_assistant(index_dir).retrieve(question, k, mode, filters=filters)


def ask(question: str, k: int = 5, index_dir: str | Path | None = None, mode: str | None = None,
        history: Sequence[str | dict] | None = None, filters: Filters | dict | None = None) -> Answer:
    """An ``Answer``: cited sentences (``text``), ``citations``, ``passages``, ``abstained``."""
    return get_assistant(index_dir).ask(question, k, mode, history=history, filters=filters)


def index(paths: str | Path | Iterable[str | Path], index_dir: str | Path | None = None) -> IndexReport:
    """Index files or folders of articles (.txt, .md, .html, .jsonl) into ``index_dir``."""
    return get_assistant(index_dir).index(paths)
