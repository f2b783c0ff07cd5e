"""One exception tree: catch ``QAError`` to handle anything the assistant reports."""


class QAError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ModelError(QAError):
    """The embedding model could not be obtained or loaded."""


class IndexProblem(QAError):
    """Base for problems with an index folder."""


class IndexNotFound(IndexProblem):
    """No index exists where one was expected."""


class IndexMismatch(IndexProblem):
    """The index was built with another model, format or settings."""


class IndexCorrupt(IndexProblem):
    """An index file is missing, truncated or altered."""


class InvalidQuestion(QAError):
    """The question cannot be answered as given (empty, too long...)."""


class GoldFileError(QAError):
    """An evaluation gold file could not be used at all."""

