"""Question analysis, done once per question and passed along to retrieval and answering."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.errors import InvalidQuestion
from qa.text.dates import CALENDAR_WORD, is_year
from qa.text.dictionary import segment
from qa.text.language import detect_language
from qa.text.normalize import STOPWORDS, fold, tokenize
from qa.text.timeframe import TimeFrame

QUESTION_TYPES = {
    "when": re.compile(r"\b(when|what (?:date|day|year|time|month)|kapan|kapankah|tanggal berapa|tahun berapa|"
                       r"hari apa|bulan apa|pukul berapa|jam berapa|sejak kapan)\b", re.I),
    "number": re.compile(r"\b(how (?:many|much|long|old)|berapa|berapakah)\b", re.I),
    "who": re.compile(r"\b(who|whom|whose|siapa|siapakah)\b", re.I),
    "where": re.compile(r"\b(where|di ?mana|ke ?mana|dari ?mana|di ?manakah)\b", re.I),
}
# Capitalised words that are not names of anything specific.
_COMMON_CAPITALISED = set("""
what when where who whom whose which why how did does do is are was were will would can could
should has have had the a an in on at of for to and or but with by from about after before
apa kapan siapa dimana di mana bagaimana mengapa kenapa berapa apakah siapakah yang dan
north south east west northern southern eastern western united states state president minister
foreign defence defense prime leader leaders government ministry news agency article articles
utara selatan timur barat presiden menteri luar negeri pemimpin pemerintah kementerian
""".split())


@dataclass(frozen=True)
class QuestionInfo:
    text: str  # what is searched for (the question, completed from the conversation if needed)
    kind: str  # when | number | who | where | other
    terms: list[str]
    key_terms: list[str]  # names and numbers that an answering passage must mention
    lang: str  # "en", "id" or "" (unknown)
    timeframe: TimeFrame | None = None  # the article dates it asks about (set against the index: qa.scope)

    @property
    def topic_words(self) -> list[str]:
        """The question's own content words (dictionary phrases joined), numbers left out."""
        return segment([t for t in self.terms if len(t) > 2 and not t[0].isdigit()])

    @property
    def checked_terms(self) -> list[str]:
        """The terms whose presence in the corpus the answer step weighs."""
        return list(dict.fromkeys(self.key_terms + self.topic_words))


def analyse_question(question: str) -> QuestionInfo:
    kind = next((k for k, pattern in QUESTION_TYPES.items() if pattern.search(question)), "other")
    if kind == "number" and QUESTION_TYPES["when"].search(question):
        kind = "when"
    return QuestionInfo(question, kind, tokenize(question), key_terms(question), detect_language(question))


def key_terms(question: str) -> list[str]:
    """Names and numbers the question is about: capitalised words (not the first word, not
    calendar or question words) and numbers; dictionary phrases such as "White House" stay whole."""
    words = list(re.finditer(r"[\w'’-]+", question))
    keys: list[str] = []
    for index, match in enumerate(words):
        word = match.group()
        folded = fold(word)
        if word[0].isdigit():
            # Years constrain time; they are not the subject (an article rarely states its own year).
            keys.extend(t for t in tokenize(word) if not is_year(t))
        elif (index > 0 and word[0].isupper() and len(word) > 1 and folded not in _COMMON_CAPITALISED
              and folded not in STOPWORDS and not CALENDAR_WORD.fullmatch(folded)):
            keys.extend(t for t in tokenize(word) if len(t) > 1)  # "Russia's" -> russia, not "s"
    return list(dict.fromkeys(segment(keys)))


def clean_question(question: str, max_chars: int = 2000) -> str:
    """Strip control characters and surrounding space; refuse what cannot be a question."""
    if not isinstance(question, str):
        raise InvalidQuestion("The question must be text.")
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InvalidQuestion("The question is empty. Type a question about the articles.")
    if len(cleaned) > max_chars:
        raise InvalidQuestion(f"The question is {len(cleaned)} characters long; the limit is {max_chars}. "
                              "Ask a shorter question.")
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidQuestion("The question has no words in it. Type a question about the articles.")
    return cleaned
