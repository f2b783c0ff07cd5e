"""Follow-up questions: complete a question from the conversation only when it depends on it.

A question depends on the conversation when it uses a personal pronoun ("he", "dia"), or when
it names no subject of its own and points back at something said earlier ("there", "di sana",
"-nya", or an opening such as "And ...?" / "Bagaimana dengan ...?"). "Berapa harga minyak hari
ini?" does neither and is searched as asked.
"""

from __future__ import annotations

import re

from qa.question import key_terms
from qa.text.lang import LANGUAGES
from qa.text.normalize import fold


def _words_expr(words) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b")


_PERSONAL = _words_expr({w for lang in LANGUAGES.values() for w in lang.PERSONAL_PRONOUNS})
_REFERRING = _words_expr({w for lang in LANGUAGES.values() for w in lang.REFERRING_WORDS})
_CONTINUATIONS = tuple(c for lang in LANGUAGES.values() for c in lang.CONTINUATIONS)
_NYA = re.compile(r"\b(\w{3,})nya\b")
MAX_TURNS_BACK = 3  # earlier questions searched for a subject, newest first


def depends_on_conversation(question: str) -> bool:
    """Whether ``question`` needs an earlier message to be understood."""
    text = fold(question).strip()
    if _PERSONAL.search(text):
        return True
    refers = bool(_REFERRING.search(text)) or text.startswith(_CONTINUATIONS) or any(
        (m.group(1) + "nya") not in LANGUAGES["id"].NYA_WORDS for m in _NYA.finditer(text))
    return refers and not key_terms(question)


def complete_followup(question: str, previous_questions: list[str]) -> str:
    """``question`` with the names of the conversation appended when it depends on them.

    "And who did he meet there?" after "When did Lavrov visit Pyongyang?" becomes
    "And who did he meet there? (Lavrov, Pyongyang)". A question that stands on its own is
    returned unchanged.
    """
    if not previous_questions or not depends_on_conversation(question):
        return question
    own = set(key_terms(question))
    for earlier in reversed(previous_questions[-MAX_TURNS_BACK:]):
        names = [n for n in _names(earlier) if fold(n) not in own]
        if names:
            return f"{question} ({', '.join(names)})"
    return question


def _names(text: str) -> list[str]:
    """The names in ``text`` as written there ("Lavrov", "Pyongyang")."""
    keys = set(key_terms(text))
    found = []
    for match in re.finditer(r"\b[\w'’-]+\b", text):
        word = match.group()
        if fold(word) in keys and word not in found:
            found.append(word)
    return found
