"""Answers to "when" questions as a timeline: each distinct occurrence once, in time order.

News articles rarely carry a full date in every sentence: "Rabu (18/10)", "pada hari Rabu",
"Kamis (19 Oktober)". A sentence's date is resolved from the sentence itself, then from its
article's date, then from another resolved sentence that names the same day (articles about
the same event share "Rabu" or "19/10"), then from the latest month the article mentions
(it happened no earlier than that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.clean import MONTH_WORDS, MONTHS
from qa.extract import DAY_WORDS, date_key, date_specificity, latest_date_mentioned
from qa.types import Passage

_DAYS = re.compile(rf"\b({DAY_WORDS})\b", re.I)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})/(\d{{1,2}})\b|\b(\d{{1,2}})\s+({MONTH_WORDS})\b", re.I)
MONTH_NAMES = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"],
}


@dataclass
class Dated:
    candidate: object  # qa.answer.Candidate
    key: str = ""  # YYYY-MM-DD, YYYY-MM, or "" when unknown
    after: bool = False  # key is a lower bound ("after June 2024")
    days: set = field(default_factory=set)  # weekday names and (day, month) pairs it names


@dataclass
class Occurrence:
    key: str
    after: bool
    members: list[Dated]

    def label(self, lang: str) -> str:
        if not self.key:
            return ""
        year, month = self.key[:4], int(self.key[5:7]) if len(self.key) >= 7 else 0
        when = f"{MONTH_NAMES[lang][month - 1]} {year}" if month else year
        if self.after:
            return ("Setelah " if lang == "id" else "After ") + when
        return when


def timeline(candidates: list, passages: list[Passage], doc_text: Callable[[str], str] | None,
             limit: int = 4) -> list[Occurrence]:
    dated = [_resolve(c, passages[c.passage_index], doc_text) for c in candidates
             if c.spans and date_specificity(c.text) >= 0.6]
    _inherit(dated)
    groups: dict[str, Occurrence] = {}
    for item in dated:
        month = item.key[:7] if item.key else f"?{id(item)}"
        groups.setdefault(month, Occurrence(item.key, item.after, [])).members.append(item)
    ordered = sorted(groups.values(), key=lambda o: (o.key == "", o.key, -o.members[0].candidate.score))
    return ordered[:limit]


def _resolve(candidate, passage: Passage, doc_text) -> Dated:
    text = candidate.text
    item = Dated(candidate, days=_named_days(text))
    explicit = date_key(text)
    if len(explicit) == 10:
        item.key = explicit
        return item
    year = (passage.date or "")[:4]
    if not year:
        latest = latest_date_mentioned(doc_text(passage.doc_id) if doc_text else passage.text)
        year = latest[:4] if len(latest) >= 7 else ""
    day_month = next((d for d in item.days if isinstance(d, tuple)), None)
    if day_month and year:
        item.key = f"{year}-{day_month[1]:02d}-{day_month[0]:02d}"
    elif explicit:
        item.key = explicit
    elif passage.date:
        item.key = passage.date
    else:
        latest = latest_date_mentioned(doc_text(passage.doc_id) if doc_text else passage.text)
        if len(latest) >= 7:
            item.key, item.after = latest[:7], True
    return item


def _named_days(text: str) -> set:
    days: set = {m.group(1).lower() for m in _DAYS.finditer(text)}
    for m in _DAY_MONTH.finditer(text):
        if m.group(1):
            day, month = int(m.group(1)), int(m.group(2))
        else:
            day, month = int(m.group(3)), MONTHS[m.group(4).lower()]
        if 1 <= day <= 31 and 1 <= month <= 12:
            days.add((day, month))
    return days


def _inherit(dated: list[Dated]) -> None:
    """Undated or only bounded sentences take the date of a dated one naming the same day."""
    for item in dated:
        if item.key and not item.after:
            continue
        for other in dated:
            if other is not item and other.key and not other.after and item.days & other.days:
                item.key, item.after = other.key, False
                break
