"""One exception tree: catch ``QAError`` to handle anything the assistant reports.

Every message says what to do. Errors of the layers below (the embeddings package) are mapped
to these at the boundary with ``mapped()``.
"""

from __future__ import annotations

from contextlib import contextmanager

from embeddings.errors import ModelLoadError, UnknownOption, VectorIndexError


class QAError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ModelError(QAError):
    """The embedding model could not be obtained or loaded."""


class SettingsError(QAError):
    """A setting (``NEWSQA_*`` variable or argument) has a value that cannot be used."""


class IndexProblem(QAError):
    """Base for problems with an index folder."""


class IndexNotFound(IndexProblem):
    """No index exists where one was expected."""


class IndexMismatch(IndexProblem):
    """The index was built with another model, format or settings."""


class IndexCorrupt(IndexProblem):
    """An index file is missing, truncated or altered."""


class NothingToIndex(QAError):
    """Indexing was asked for, but no readable article was found; the index is left as it was."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class InvalidQuestion(QAError):
    """The question cannot be answered as given (empty, too long...)."""


class InvalidFilter(QAError):
    """A search filter cannot be applied as given (a date that is not YYYY-MM-DD, an empty range...)."""


class StoreUnavailable(IndexProblem):
    """The configured store (a PostgreSQL server) cannot be reached or used."""


class GoldFileError(QAError):
    """An evaluation gold file could not be used at all."""


@contextmanager
def mapped():
    """Re-raise errors of the embeddings layer as the matching ``QAError``."""
    try:
        yield
    except ModelLoadError as exc:
        raise ModelError(str(exc)) from exc
    except UnknownOption as exc:
        raise SettingsError(str(exc)) from exc
    except VectorIndexError as exc:
        raise IndexCorrupt(str(exc)) from exc
