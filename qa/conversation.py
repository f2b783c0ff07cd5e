"""Follow-up questions: carry the subject of the conversation into a question that lacks it."""

from __future__ import annotations

import re

from qa.extract import analyse_question

# Words that point back at something said earlier (English and Indonesian).
_REFERRING = re.compile(
    r"\b(he|she|it|they|him|her|them|his|its|their|there|then|that|this|those|these|the same|"
    r"dia|ia|beliau|mereka|nya|di sana|ke sana|saat itu|itu|tersebut|ini)\b|\w+nya\b",
    re.IGNORECASE,
)


def rewrite_followup(question: str, previous_questions: list[str]) -> str:
    """``question`` with the names of the conversation appended when it refers back to them.

    "And who did he meet there?" after "When did Lavrov visit Pyongyang?" becomes
    "And who did he meet there? (Lavrov, Pyongyang)". A question that names its own subject
    is returned unchanged.
    """
    if not previous_questions or not _REFERRING.search(question):
        return question
    own = set(analyse_question(question).key_terms)
    for earlier in reversed(previous_questions[-3:]):
        names = _names(earlier)
        carried = [n for n in names if n.lower() not in own]
        if carried:
            return f"{question} ({', '.join(carried)})"
    return question


def _names(text: str) -> list[str]:
    keys = set(analyse_question(text).key_terms)
    found = []
    for match in re.finditer(r"\b[\w'’-]+\b", text):
        word = match.group()
        if word.lower() in keys and word not in found:
            found.append(word)
    return found
