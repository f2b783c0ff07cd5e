"""newsqa: cited question answering over folders of news articles (Indonesian and English).

    from qa import ask, retrieve
    answer = ask("When did Lavrov visit Pyongyang?")
    print(answer.text)
    for c in answer.citations:
        print(c.n, c.passage.doc_id, c.passage.start, c.passage.end)

``Assistant`` holds a loaded index; the module-level helpers share one per index folder.
"""

from __future__ import annotations

import threading
from pathlib import Path

from qa.errors import (
    GoldFileError,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
    IndexProblem,
    InvalidQuestion,
    ModelError,
    QAError,
)
from qa.settings import Settings
from qa.types import Answer, Chunk, Citation, Document, IndexReport, Passage, Problem

__all__ = [
    "Answer", "Assistant", "Chunk", "Citation", "Document", "GoldFileError", "IndexCorrupt",
    "IndexMismatch", "IndexNotFound", "IndexProblem", "IndexReport",
    "InvalidQuestion", "ModelError", "Passage", "Problem", "QAError", "Settings", "ask",
    "evaluate", "get_assistant", "index", "retrieve",
]

_assistants: dict = {}


def __getattr__(name: str):
    # Imported on first use so that ``import qa`` stays light and ``embeddings`` can import
    # ``qa.errors`` without a cycle.
    if name == "Assistant":
        from qa.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
_lock = threading.Lock()


def get_assistant(index_dir: str | Path | None = None):
    """The shared ``Assistant`` for ``index_dir`` (default index when None)."""
    from qa.assistant import Assistant

    key = str(index_dir or "")
    with _lock:
        if key not in _assistants:
            _assistants[key] = Assistant(index_dir)
        return _assistants[key]


def retrieve(question: str, k: int = 5, index_dir: str | Path | None = None, mode: str | None = None) -> list[Passage]:
    """Ranked passages (doc id, title, start, end, text, score) for ``question``."""
    return get_assistant(index_dir).retrieve(question, k, mode)


def ask(question: str, k: int = 5, index_dir: str | Path | None = None, mode: str | None = None) -> Answer:
    """An ``Answer``: cited sentences (``text``), ``citations``, ``passages``, ``abstained``."""
    return get_assistant(index_dir).ask(question, k, mode)


def index(paths, index_dir: str | Path | None = None) -> IndexReport:
    """Index files or folders of articles (.txt, .md, .html, .jsonl) into ``index_dir``."""
    return get_assistant(index_dir).index([paths] if isinstance(paths, str | Path) else paths)


def evaluate(*args, **kwargs):
    """Evaluate against a gold file; see ``qa.evaluate.evaluate``."""
    from qa.evaluate import evaluate as _evaluate

    return _evaluate(*args, **kwargs)
