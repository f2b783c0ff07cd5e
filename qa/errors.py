"""One exception tree: catch ``QAError`` to handle anything the assistant reports."""


class QAError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ModelError(QAError):
    """The embedding model could not be obtained or loaded."""


class IngestError(QAError):
    """A file could not be read as an article (the message says why)."""


class IndexError_(QAError):
    """Base for index problems; exported as ``IndexProblem``."""


class IndexNotFound(IndexError_):
    """No index exists where one was expected."""


class IndexMismatch(IndexError_):
    """The index was built with another model, format or settings."""


class IndexCorrupt(IndexError_):
    """An index file is missing, truncated or altered."""


class InvalidQuestion(QAError):
    """The question cannot be answered as given (empty, too long...)."""


class GoldFileError(QAError):
    """An evaluation gold file could not be used at all."""


IndexProblem = IndexError_
