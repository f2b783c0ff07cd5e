"""Metadata filters on a search: article date range, outlet, language, document ids.

Both stores apply the same ``Filters`` exactly (no hit is silently missing under a selective
filter). Dates compare the article's own date (``Document.date``, ISO ``YYYY-MM-DD``); an
article with no known date is left out of any date-filtered search.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from qa.errors import InvalidFilter

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Filters:
    """What a search may return. Empty fields do not filter; ``since``/``until`` are inclusive."""

    since: str = ""
    until: str = ""
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    # The dates come from the question's words ("in October 2023"), so admit what is about that
    # time: articles dated in it, articles whose text mentions it, and articles with no date that
    # mention no time at all (nothing says they are about another time). On FacQA valid, of the
    # 57 questions naming a time, article dates alone admit 5 gold passages, this rule 55
    # (`python -m benchmarks.time_filters`, docs/evaluation.md).
    question_time: bool = False

    def __post_init__(self):
        for name in ("since", "until"):
            value = getattr(self, name)
            if value and article_day(value) is None:
                raise InvalidFilter(f"The date filter {name}={value!r} is not a date; write it as YYYY-MM-DD.")
        if self.since and self.until and self.since > self.until:
            raise InvalidFilter(f"The date range is empty: since {self.since} is after until {self.until}.")
        for name in ("sources", "langs", "doc_ids"):
            object.__setattr__(self, name, _strings(getattr(self, name), name))

    @classmethod
    def of(cls, value: Filters | Mapping | None) -> Filters:
        """``value`` as ``Filters``: already one, a mapping of its fields, or None (no filter)."""
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        if not isinstance(value, Mapping):
            raise InvalidFilter(f"Filters must be a Filters or a dict, got {type(value).__name__}.")
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidFilter(f"Unknown filter(s) {', '.join(sorted(unknown))}; use since, until, sources, "
                                "langs, doc_ids.")
        return cls(**{k: v for k, v in value.items() if v is not None})

    @property
    def active(self) -> bool:
        return any((self.since, self.until, self.sources, self.langs, self.doc_ids))

    @property
    def dated(self) -> bool:
        return bool(self.since or self.until)

    def admits(self, date: str, source: str, lang: str, doc_id: str,
               mentions: list[tuple[str, str]] = ()) -> bool:
        """Whether an article with this metadata passes (the embedded store's test; PostgreSQL
        applies the same conditions in SQL). ``mentions``: the periods its text mentions."""
        if self.dated:
            day = article_day(date)
            in_range = day is not None and not ((self.since and day < self.since) or (self.until and day > self.until))
            about = self.question_time and (
                (day is None and not mentions)
                or any((not self.until or start <= self.until) and (not self.since or end >= self.since)
                       for start, end in mentions))
            if not (in_range or about):
                return False
        return ((not self.sources or source.casefold() in {s.casefold() for s in self.sources})
                and (not self.langs or lang in self.langs)
                and (not self.doc_ids or doc_id in self.doc_ids))

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v}

    @property
    def date_range(self) -> tuple[str, str]:
        """(since, until) with open ends as the earliest and latest ISO days."""
        return self.since or "0001-01-01", self.until or "9999-12-31"


def article_day(value: str) -> str | None:
    """``value``'s calendar day as ``YYYY-MM-DD`` when it starts with a valid ISO date, else None."""
    match = _ISO_DAY.match(value or "")
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None


def _strings(value, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise InvalidFilter(f"The filter {name} must be a list of text values.")
    items = tuple(str(v).strip() for v in value if str(v).strip())
    return items
