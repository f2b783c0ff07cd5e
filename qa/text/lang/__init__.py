"""Per-language word lists as data (one module per language), as bm25s keeps its stop words.

Each module defines the same names: ``STOP_WORDS`` (function words dropped before matching),
``QUESTION_WORDS``, ``MONTHS`` (name or abbreviation -> month number), ``WEEKDAYS`` (name ->
ISO weekday, Monday = 1), ``FUNCTION_WORDS`` (frequent words that tell the language apart) and
``PERSONAL_PRONOUNS`` and ``REFERRING_WORDS`` (words that point back at someone or something
said earlier), ``CONTINUATIONS`` (openings that continue the previous question).
"""

from qa.text.lang import en, id

LANGUAGES = {"en": en, "id": id}

__all__ = ["LANGUAGES", "en", "id"]
