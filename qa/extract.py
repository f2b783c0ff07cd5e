"""Question analysis and answer-type spans (dates, numbers, names, places) in both languages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.clean import MONTH_WORDS, MONTHS, find_date
from qa.lexical import STOPWORDS, fold, tokenize
from qa.lexicon import alternatives, segment

# Weekday names (Indonesian and English), as a regex alternation.
DAY_WORDS = ("senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|monday|tuesday|wednesday|thursday|"
         "friday|saturday|sunday")
_DATE_EXPR = re.compile(
    rf"""(?:
        (?:(?:pada\s+)?(?:hari\s+)?\b(?:{DAY_WORDS})\b(?:\s*,?\s*\(\s*\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\s*\)
            |\s*,?\s*\(?\d{{1,2}}\s+(?:{MONTH_WORDS})\b\.?(?:\s+\d{{4}})?\)?)?)
      | \b\d{{1,2}}/\d{{1,2}}/(?:19|20)\d{{2}}\b
      | \(\d{{1,2}}/\d{{1,2}}\)
      | \b\d{{1,2}}\s+(?:{MONTH_WORDS})\b\.?(?:\s+(?:19|20)\d{{2}})?
      | \b(?:{MONTH_WORDS})\b\.?\s+\d{{1,2}}(?!\d)(?:,\s*(?:19|20)\d{{2}})?
      | \b(?:bulan\s+)?(?:{MONTH_WORDS})\b\.?\s+(?:19|20)\d{{2}}
      | \b(?:pada\s+)?bulan\s+(?:{MONTH_WORDS})\b
      | \b(?:in\s+)?(?:19|20)\d{{2}}\b
      | \b(?:pukul|jam|at)\s+\d{{1,2}}[.:]\d{{2}}(?:\s*(?:wib|wita|wit|am|pm))?
      | \b(?:awal|akhir|pertengahan)\s+(?:bulan|tahun)\s+(?:ini|lalu|depan)
      | \b(?:bulan|tahun|pekan|minggu)\s+(?:lalu|ini|depan)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_NUMBER_EXPR = re.compile(
    r"\b(?:lebih\s+dari\s+|sekitar\s+|hampir\s+|more\s+than\s+|about\s+|around\s+)?"
    r"\d+(?:[.,]\d+)*(?:\s*(?:%|persen|juta|miliar|ribu|triliun|million|billion|thousand))?"
    r"|\b(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|seratus|seribu|ribuan|ratusan|puluhan)\b",
    re.IGNORECASE,
)
_NAME_EXPR = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:[A-Z][\w'’-]+|bin|van|de|al))*")
_PLACE_EXPR = re.compile(r"\b(?:di|ke|dari|in|at|to)\s+(?P<place>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)")

QUESTION_TYPES = {
    "when": re.compile(r"\b(when|what (?:date|day|year|time|month)|kapan|tanggal berapa|tahun berapa|"
                       r"hari apa|bulan apa|pukul berapa|jam berapa|sejak kapan)\b", re.I),
    "number": re.compile(r"\b(how (?:many|much|long|old)|berapa)\b", re.I),
    "who": re.compile(r"\b(who|whom|whose|siapa|siapakah)\b", re.I),
    "where": re.compile(r"\b(where|di ?mana|ke ?mana|dari ?mana|dimanakah)\b", re.I),
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
    text: str
    kind: str  # when | number | who | where | other
    terms: list[str]
    key_terms: list[str]  # names and numbers that an answering passage must mention


def analyse_question(question: str) -> QuestionInfo:
    kind = next((k for k, pattern in QUESTION_TYPES.items() if pattern.search(question)), "other")
    if kind == "number" and QUESTION_TYPES["when"].search(question):
        kind = "when"
    return QuestionInfo(question, kind, tokenize(question), _key_terms(question))


def _key_terms(question: str) -> list[str]:
    """Names and numbers the question is about: capitalised words (not the first word, not
    calendar or question words) and numbers; glossary phrases such as "White House" stay whole."""
    words = list(re.finditer(r"[\w'’-]+", question))
    keys: list[str] = []
    for index, match in enumerate(words):
        word = match.group()
        folded = fold(word)
        if word[0].isdigit():
            # Years constrain time; they are not the subject (an article rarely states its own year).
            keys.extend(t for t in tokenize(word) if not re.fullmatch(r"(?:19|20)\d{2}", t))
        elif (index > 0 and word[0].isupper() and len(word) > 1 and folded not in _COMMON_CAPITALISED
              and folded not in STOPWORDS and not _CALENDAR_WORD.fullmatch(folded)):
            keys.extend(t for t in tokenize(word) if len(t) > 1)  # "Russia's" -> russia, not "s"
    return list(dict.fromkeys(segment(keys)))


def answer_spans(sentence: str, kind: str) -> list[tuple[int, int]]:
    """Spans in ``sentence`` that answer a question of ``kind``."""
    if kind == "when":
        return [m.span() for m in _DATE_EXPR.finditer(sentence) if m.group().strip()]
    if kind == "number":
        return [m.span() for m in _NUMBER_EXPR.finditer(sentence)
                if not _DATE_EXPR.fullmatch(m.group())]
    if kind == "who":
        return [m.span() for m in _NAME_EXPR.finditer(sentence) if " " in m.group() or m.start() > 0]
    if kind == "where":
        return [m.span("place") for m in _PLACE_EXPR.finditer(sentence)]
    return []


_CALENDAR_DATE = re.compile(
    rf"\(\s*\d{{1,2}}/\d{{1,2}}|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b\d{{1,2}}\s+(?:{MONTH_WORDS})\b"
    rf"|\b(?:{MONTH_WORDS})\s+\d{{1,2}}(?!\d)", re.I)
_CALENDAR_WORD = re.compile(rf"(?:{DAY_WORDS}|{MONTH_WORDS})", re.I)
_MONTH_OR_DAY = re.compile(rf"\b(?:{DAY_WORDS}|{MONTH_WORDS})\b", re.I)


def date_specificity(text: str) -> float:
    """How precisely ``text`` dates something: 1 for a calendar date (18/10, 19 Oktober),
    0.6 for a weekday or month, 0.3 for a year or relative date, 0 for none."""
    if _CALENDAR_DATE.search(text):
        return 1.0
    if _MONTH_OR_DAY.search(text):
        return 0.6
    return 0.3 if _DATE_EXPR.search(text) else 0.0


def mentioned_terms(terms: list[str], text_tokens: set[str]) -> list[str]:
    """The ``terms`` that occur in ``text_tokens``, as written or as a glossary translation
    (White House / Gedung Putih), allowing spelling variants across languages (Russia/Rusia,
    Moscow/Moskow) and Indonesian affixes."""
    return [t for t in terms if any(all(any(_same_word(part, w) for w in text_tokens) for part in alt)
                                    for alt in alternatives(t))]


def known_to(term: str, vocabulary) -> bool:
    """Whether ``vocabulary`` (exact words) contains ``term`` or one of its translations."""
    return any(all(part in vocabulary for part in alt) for alt in alternatives(term))


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if a[0].isdigit():  # a number matches inside a date or figure: 2023 in 19/10/2023
        return a in re.split(r"[./,:-]", b)
    if len(a) < 4 or len(b) < 4 or a[0] != b[0]:
        return False
    if b.startswith(a) or a.startswith(b):
        return abs(len(a) - len(b)) <= 3
    return _edit_distance(a, b) <= (1 if min(len(a), len(b)) < 7 else 2)


def _edit_distance(a: str, b: str) -> int:
    if abs(len(a) - len(b)) > 2:
        return 3
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def date_key(sentence: str) -> str:
    """A sortable YYYY-MM-DD (or YYYY-MM) for the first date ``sentence`` states, or ''."""
    full = find_date(sentence)
    if full:
        return full
    month_year = re.search(rf"\b({MONTH_WORDS})\b\.?\s+((?:19|20)\d{{2}})", sentence, re.I)
    return f"{month_year[2]}-{MONTHS[month_year[1].lower()]:02d}" if month_year else ""


def latest_date_mentioned(text: str) -> str:
    """The latest date an article mentions: it was written no earlier than that."""
    keys = [date_key(text[m.start():m.end() + 4]) for m in _DATE_EXPR.finditer(text)]
    years = re.findall(r"\b((?:19|20)\d{2})\b", text)
    return max([k for k in keys if k] + years, default="")
