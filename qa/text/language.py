"""The one language detector: Indonesian or English, from their function words."""

from __future__ import annotations

import re

from qa.text.lang import en, id

MIN_EVIDENCE = 1  # function words needed before guessing; with none (or a tie) the language is unknown ("")


def detect_language(text: str) -> str:
    """'id', 'en', or '' when the text has too few function words to tell (or a tie)."""
    words = re.findall(r"[a-z]+", text[:5000].lower())
    indonesian = sum(w in id.FUNCTION_WORDS for w in words)
    english = sum(w in en.FUNCTION_WORDS for w in words)
    if indonesian + english < MIN_EVIDENCE or indonesian == english:
        return ""
    return "id" if indonesian > english else "en"
