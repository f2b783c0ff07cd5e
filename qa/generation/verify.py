"""Every sentence of a written answer checked against the passages it cites.

A sentence is kept only if it cites passages that exist and every number, date, weekday,
year and name in it is found in the cited passages, compared across languages and formats:
"18 October", "18/10", "18 Oktober" and "October 18" are one day; "Wednesday" is "Rabu";
"1,000", "1.000", "1000" and "seribu" are one number; names by their folded words, allowing
dictionary translations and cross-language spellings (Russia/Rusia, North Korea/Korea Utara).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import simplemma

from qa.answer.conflicts import parse_number
from qa.question import key_terms
from qa.text.dates import MONTH_WORDS, WEEKDAYS, named_days
from qa.text.lang import LANGUAGES
from qa.text.matching import mentioned_terms
from qa.text.normalize import fold, tokenize
from qa.text.sentences import split_sentences
from qa.types import Passage

CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING_CITATIONS = re.compile(r"^((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)")
# A small model sometimes cites "(2)" instead of "[2]": read as a citation where it ends a sentence.
_ROUND_CITATION = re.compile(r"\((\d{1,2})\)(?=\s*(?:[.!?]|$))", re.M)
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.I)  # "10th" is the number 10, not a name "th"
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")
_NUMBER = re.compile(r"(?<![\w/])\d+(?:[.,]\d{3})*(?:[.,]\d+)?(?![\w/])")
_NUMBER_WORDS = {**LANGUAGES["id"].NUMBER_WORDS, **LANGUAGES["en"].NUMBER_WORDS}
_NUMERIC_DAY = re.compile(r"\b\d{1,2} ?/ ?\d{1,2}(?:/\d{2,4})?\b")  # "(8/ 9)": as some archives space it
_WRITTEN_DAY = re.compile(rf"\b\d{{1,2}}\s+(?:{MONTH_WORDS})\b|\b(?:{MONTH_WORDS})\s+\d{{1,2}}\b", re.I)


@dataclass
class Checked:
    text: str  # the sentence without its citation markers
    cited: list[int]  # passage numbers, 1-based, as the draft wrote them
    problem: str = ""  # why it was dropped; "" when kept


@dataclass
class Verification:
    sentences: list[Checked] = field(default_factory=list)

    @property
    def kept(self) -> list[Checked]:
        return [s for s in self.sentences if not s.problem]

    @property
    def dropped(self) -> list[Checked]:
        return [s for s in self.sentences if s.problem]


def verify(draft: str, passages: list[Passage]) -> Verification:
    """Check each sentence of ``draft`` against ``passages`` (``[n]`` is ``passages[n - 1]``)."""
    result = Verification()
    draft = _ROUND_CITATION.sub(lambda m: f"[{m.group(1)}]" if 1 <= int(m.group(1)) <= len(passages)
                                else m.group(0), draft)
    pieces = [draft[start:end].strip() for start, end in split_sentences(draft)]
    for raw in _with_trailing_citations(pieces):
        cited = [int(n) for group in CITATION.findall(raw) for n in re.split(r"\s*[,;]\s*", group)]
        text = " ".join(CITATION.sub(" ", raw).split()).replace(" .", ".")
        result.sentences.append(Checked(text, cited, _problem(text, cited, passages)))
    return result


def _with_trailing_citations(pieces: list[str]) -> list[str]:
    """Sentences with a citation written after the full stop ("... Utara. [1]") joined to it."""
    sentences: list[str] = []
    for piece in pieces:
        leading = _LEADING_CITATIONS.match(piece)
        if leading and sentences:
            sentences[-1] += " " + leading.group(1).strip()
            piece = piece[leading.end():].strip()
        if re.search(r"\w", piece):
            sentences.append(piece)
    return sentences


def _problem(text: str, cited: list[int], passages: list[Passage]) -> str:
    if not cited:
        return "cites no passage"
    missing = [n for n in cited if not 1 <= n <= len(passages)]
    if missing:
        return f"cites [{missing[0]}], which is not one of the {len(passages)} passages"
    source = " ".join(passages[n - 1].text for n in dict.fromkeys(cited))
    text = _ORDINAL.sub(r"\1", text)
    for check in (_numbers, _days, _weekdays, _years, _names):
        problem = check(text, source)
        if problem:
            return problem
    return ""


def _numbers(text: str, source: str) -> str:
    found = _amounts(source)
    for amount in _amounts(text):
        if amount not in found:
            return f"the number {amount:g} is not in the cited passages"
    return ""


def _amounts(text: str) -> set[float]:
    amounts = set()
    for match in _NUMBER.finditer(_without_dates(text)):
        value = parse_number(match.group())
        if value is not None:
            amounts.add(value.amount)
    for word in fold(text).split():
        if word in _NUMBER_WORDS:
            amounts.add(float(_NUMBER_WORDS[word]))
    return amounts


def _without_dates(text: str) -> str:
    """``text`` without years and calendar dates, whose digits are checked as dates."""
    return _YEAR.sub(" ", _WRITTEN_DAY.sub(" ", _NUMERIC_DAY.sub(" ", text)))


def _days(text: str, source: str) -> str:
    found = {d for d in named_days(source) if isinstance(d, tuple)}
    for day in (d for d in named_days(text) if isinstance(d, tuple)):
        if day not in found:
            return f"the date {day[0]}/{day[1]} is not in the cited passages"
    return ""


def _weekdays(text: str, source: str) -> str:
    found = {WEEKDAYS[d] for d in named_days(source) if isinstance(d, str)}
    for day in (d for d in named_days(text) if isinstance(d, str)):
        if WEEKDAYS[day] not in found:
            return f"the weekday {day.capitalize()} is not in the cited passages"
    return ""


def _years(text: str, source: str) -> str:
    found = set(_YEAR.findall(source))
    for year in _YEAR.findall(text):
        if year not in found:
            return f"the year {year} is not in the cited passages"
    return ""


def _names(text: str, source: str) -> str:
    # A sentence may open with a name, so its first word is checked too, unless the Indonesian
    # lexicon knows it as a word ("Sumbangan ...", "Penurunan ..."): capitals tell nothing there.
    # (Not the English one: it lists names such as "russia", which must still be checked.)
    first = re.match(r"\W*([\w'’-]+)", text)
    known = first is not None and simplemma.is_known(first.group(1).lower(), lang="id")
    names = [t for t in key_terms(("" if known else "_ ") + text) if not t[0].isdigit()]
    missing = set(names) - set(mentioned_terms(names, set(tokenize(source))))
    if missing:
        return f"the name {sorted(missing)[0]!r} is not in the cited passages"
    return ""


def supporting_sentence(text: str, passage: Passage) -> tuple[int, int]:
    """Document offsets of the sentence of ``passage`` that shares the most words with the written
    sentence ``text`` (as written or translated): what its citation highlights."""
    terms = list(dict.fromkeys(tokenize(text)))
    best, best_score = (0, len(passage.text)), -1
    for start, end in split_sentences(passage.text):
        score = len(mentioned_terms(terms, set(tokenize(passage.text[start:end]))))
        if score > best_score:
            best, best_score = (start, end), score
    return passage.start + best[0], passage.start + best[1]
