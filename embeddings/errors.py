"""Errors of the embeddings layer. It sits below ``qa`` and imports nothing from it; ``qa``
maps these to its own ``QAError`` subclasses at its boundary (``qa.errors.mapped``)."""


class EmbeddingsError(Exception):
    """Base of every error this package raises on purpose."""


class ModelLoadError(EmbeddingsError):
    """The embedding model could not be obtained or loaded."""


class VectorIndexError(EmbeddingsError):
    """A vector index file cannot be read, or an index type is unknown."""


class UnknownOption(EmbeddingsError):
    """An option (index type, quantisation) names nothing this package offers."""
