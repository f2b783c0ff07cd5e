"""When sources disagree: articles that answer the same question with different values.

"How many containers?" answered "1.000 kontainer" by one article and "lebih dari 1.000
kontainer" by another is shown as both, each with its citations, instead of picking one.
Values are compared by what they mean, not how they are written: numbers by amount, unit and
qualifier ("1,000" = "1.000" = "seribu"; "more than 1,000" differs from "1,000"), and only
when they count the same thing (the word after the number); names by their words (``Kim``
agrees with ``Kim Jong Un``). Dates are not compared here: a "when" answer is a timeline that
already shows every date with its sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer.candidates import Candidate
from qa.text.lang import LANGUAGES
from qa.text.matching import same_word
from qa.text.normalize import fold, tokenize
from qa.types import Passage

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MULTIPLIERS = {"ribu": 1e3, "thousand": 1e3, "juta": 1e6, "million": 1e6, "miliar": 1e9, "billion": 1e9,
                "triliun": 1e12, "trillion": 1e12}


@dataclass(frozen=True)
class NumberValue:
    amount: float
    qualifier: str  # "", "more", "less" or "about"
    unit: str  # "%" or the counted word after the number ("kontainer"), folded


@dataclass(frozen=True)
class Value:
    kind: str
    number: NumberValue | None = None
    words: frozenset[str] = frozenset()

    def agrees(self, other: Value) -> bool:
        if self.number is not None and other.number is not None:
            return self.number == other.number
        return self.words <= other.words or other.words <= self.words

    def comparable(self, other: Value) -> bool:
        """Whether both answer the same thing (numbers must count the same thing)."""
        if self.number is not None and other.number is not None:
            a, b = self.number.unit, other.number.unit
            return bool(a and b) and (a == b or same_word(a, b))
        return self.kind == other.kind


def value_of(text: str, kind: str, after: str = "") -> Value | None:
    """The value an answer span states; ``after``: the text following it (the counted word)."""
    if kind == "number":
        number = parse_number(text, after)
        return Value(kind, number=number) if number else None
    if kind in ("who", "where"):
        words = frozenset(tokenize(text))
        return Value(kind, words=words) if words else None
    return None


def parse_number(text: str, after: str = "") -> NumberValue | None:
    folded = fold(text)
    match = _NUMBER.search(folded)
    words = LANGUAGES["id"].NUMBER_WORDS | LANGUAGES["en"].NUMBER_WORDS
    if match:
        amount = _amount(match.group())
        rest = folded[match.end():].split()
    else:
        word = next((w for w in folded.split() if w in words), None)
        if word is None:
            return None
        amount, rest = float(words[word]), folded.split(word, 1)[1].split()
    if rest and rest[0] in _MULTIPLIERS:
        amount *= _MULTIPLIERS[rest.pop(0)]
    unit = "%" if rest and rest[0] in ("%", "persen", "percent") else (rest[0] if rest else "")
    if not unit:
        following = tokenize(after)
        unit = following[0] if following else ""
    return NumberValue(amount, _qualifier(folded), unit)


def _amount(digits: str) -> float:
    """"1.000" and "1,000" are a thousand; "2,5" and "2.5" two and a half; "6.395,70" and
    "6.395.70" (as sources write) six thousand and a bit."""
    groups = re.split(r"[.,]", digits)
    if len(groups) == 1:
        return float(digits)
    if all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    return float("".join(groups[:-1]) + "." + groups[-1])


def _qualifier(folded: str) -> str:
    for qualifier in ("more", "less", "about"):
        phrases = LANGUAGES["id"].QUALIFIERS[qualifier] | LANGUAGES["en"].QUALIFIERS[qualifier]
        if any(folded.startswith(p + " ") for p in phrases):
            return qualifier
    return ""


@dataclass
class Position:
    """One value and the candidate sentences (from different articles) that state it."""

    value: Value
    label: str  # the value as the first article writes it
    members: list[Candidate]


def disagreement(kind: str, ranked: list[Candidate], passages: list[Passage]) -> list[Position] | None:
    """Two or more positions when articles give different values for the same thing; else None."""
    positions: list[Position] = []
    for cand in ranked:
        if not cand.spans:
            continue
        passage = passages[cand.passage_index]
        start, end = cand.spans[0]
        text = passage.text[start - passage.start: end - passage.start].strip()
        after = passage.text[end - passage.start: end - passage.start + 40]
        value = value_of(text, kind, after)
        if value is None:
            continue
        label = text
        if value.number is not None and value.number.unit and fold(value.number.unit) not in fold(text):
            label = f"{text} {after.split()[0]}"  # "1.000 kontainer": the amount with what it counts
        same = next((p for p in positions if p.value.comparable(value) and p.value.agrees(value)), None)
        if same is not None:
            same.members.append(cand)
        elif all(p.value.comparable(value) for p in positions):
            positions.append(Position(value, label.rstrip(",.;:"), [cand]))
    docs = [{passages[c.passage_index].doc_id for c in p.members} for p in positions]
    if len(positions) < 2 or any(a & b for i, a in enumerate(docs) for b in docs[i + 1:]):
        return None  # one value, or one article on both sides (two figures, not two sources)
    return positions
