"""Time in a question ("in October 2023", "sejak Juli", "between July and October 2023", "tahun
lalu") as a range of article dates.

``dateparser`` (a maintained parser that reads English and Indonesian, absolute and relative)
finds the dates and their precision (day, month, year); this module only decides how the
question bounds time around them, from per-language connective words (``qa.text.lang``).
Relative expressions resolve against a reference day: the newest article date in the index,
or a day the caller gives. A weekday or "yesterday" alone is not turned into a range: in a
question about news it names the day of an event, not of the articles reporting it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from qa.text.dates import MONTH_WORDS
from qa.text.lang import LANGUAGES

_ACCEPTED_PERIODS = ("year", "month", "day")
_WRITTEN_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
_NUMERIC_DATE = re.compile(r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\b")
_MONTH = re.compile(rf"\b(?:{MONTH_WORDS})\b", re.I)
_EARLIEST_YEAR = 1900  # years before this are numbers, not dates, in news questions
# "19-23 October 2005", "between 19 and 23 October": the first day, a joining word, a day and month
_DAY_RANGE = re.compile(rf"\b(\d{{1,2}})\s*(-|–|[^\W\d_]+)\s*(\d{{1,2}}\s+(?:{MONTH_WORDS})\b\.?(?:\s+\d{{4}})?)", re.I)


@dataclass(frozen=True)
class TimeFrame:
    """Article dates a question asks about: inclusive ISO days (either may be open, "")."""

    since: str
    until: str
    phrase: str  # the words of the question that set it

    def describe(self) -> str:
        return describe_range(self.since, self.until)


def describe_range(since: str, until: str) -> str:
    """"18 October 2023", "1-31 October 2023", "1 January-31 December 2023", "from 1 July 2023"."""
    def day(iso: str, year: bool = True) -> str:
        d = dt.date.fromisoformat(iso)
        return f"{d.day} {calendar.month_name[d.month]}" + (f" {d.year}" if year else "")

    if since and until:
        start, end = dt.date.fromisoformat(since), dt.date.fromisoformat(until)
        if start == end:
            return day(since)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}-{day(until)}"
        if start.year == end.year:
            return f"{day(since, year=False)}-{day(until)}"
        return f"{day(since)} to {day(until)}"
    return f"from {day(since)}" if since else f"until {day(until)}"


@dataclass(frozen=True)
class _Span:
    start: int  # character offsets in the question
    end: int
    first: dt.date
    last: dt.date
    has_year: bool


def find_timeframe(question: str, lang: str, reference: dt.date) -> TimeFrame | None:
    """The article dates ``question`` limits itself to, or None when it names no time."""
    languages = [lang] if lang in LANGUAGES else list(LANGUAGES)
    for language in languages:
        days = _day_range(question, language, reference)
        if days is not None:
            return days
        spans = _spans(question, language, reference)
        if spans:
            return _frame(question, spans, LANGUAGES[language])
    return None


def _day_range(question: str, lang: str, reference: dt.date) -> TimeFrame | None:
    """Days of one month written as a range, which dateparser reads as only the first day
    ("19-23 October 2005") or only the last ("between 19 and 23 October 2005")."""
    words = LANGUAGES[lang]
    bounds = words.TIME_SINCE | words.TIME_AFTER | words.TIME_BEFORE | words.TIME_UNTIL
    for match in _DAY_RANGE.finditer(question):
        if (match.group(2).lower() not in words.TIME_RANGE_JOIN
                or _ends_with(question[: match.start()].lower().rstrip(), bounds)):  # "since 19-23 October": open
            continue
        last = _span(match.group(3), match.start(3), lang, reference)
        first_day = int(match.group(1))
        if last is not None and last.first == last.last and 1 <= first_day < last.first.day:
            return TimeFrame(last.first.replace(day=first_day).isoformat(), last.last.isoformat(), match.group())
    return None


def _spans(question: str, lang: str, reference: dt.date) -> list[_Span]:
    from dateparser.search import search_dates

    settings = _settings(reference)
    found = search_dates(question, languages=[lang], settings=settings) or []
    spans, at = [], 0
    for text, _ in found:
        start = question.find(text, at)
        if start < 0:
            continue
        at = start + len(text)
        span = _span(text, start, lang, reference)
        if span is None:
            continue
        if spans and not question[spans[-1].end: start].strip(" ,"):  # "October" + "2023" read apart
            joined = _span(question[spans[-1].start: at], spans[-1].start, lang, reference)
            if joined is not None:
                spans[-1] = joined
                continue
        spans.append(span)
    return spans


def _span(text: str, start: int, lang: str, reference: dt.date) -> _Span | None:
    from dateparser.date import DateDataParser

    if not _names_a_time(text):
        return None
    data = DateDataParser(languages=[lang], settings=_settings(reference)).get_date_data(text)
    if data.date_obj is None or data.period not in _ACCEPTED_PERIODS:
        return None
    day = data.date_obj.date()
    has_digit = bool(re.search(r"\d", text))
    if data.period == "day" and not has_digit:  # a weekday, "yesterday": the event's day, not the articles'
        return None
    written = _WRITTEN_YEAR.search(text)
    if written and int(written.group()) != day.year:  # "Nomor 12 Tahun 2005" is not 2012
        return None
    if not _EARLIEST_YEAR <= day.year <= reference.year + 1:
        return None
    if data.period == "year":
        first, last = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    elif data.period == "month":
        first = dt.date(day.year, day.month, 1)
        last = dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    else:
        first = last = day
    has_year = bool(re.search(r"\b\d{4}\b", text)) or not has_digit  # relative phrases carry their year
    return _Span(start, start + len(text), first, last, has_year)


def _names_a_time(text: str) -> bool:
    """Whether ``text`` can name a time: a month, a four-digit year, a numeric date, or words only
    ("tahun lalu"). Bare numbers ("400 m", "9 tahun", "(60)", "1,2") are not dates, whatever a
    lenient parser makes of them."""
    if not re.search(r"\d", text):
        return True
    return bool(_WRITTEN_YEAR.search(text) or _NUMERIC_DATE.search(text) or _MONTH.search(text))


def _frame(question: str, spans: list[_Span], words) -> TimeFrame:
    lowered = question.lower()
    if len(spans) >= 2:
        a, b = spans[0], spans[1]
        between = lowered[a.end: b.start].strip()
        if between in words.TIME_RANGE_JOIN:
            if not a.has_year and b.has_year:  # "between July and October 2023": July of 2023
                a = _in_year(a, b.first.year)
                if a.first > b.first:
                    a = _in_year(a, b.first.year - 1)
            return TimeFrame(a.first.isoformat(), b.last.isoformat(), question[a.start: b.end])
    span = spans[0]
    phrase = question[span.start: span.end]
    before = lowered[: span.start].rstrip()
    lead = phrase.lower().split()[0]
    connectives = words.TIME_SINCE | words.TIME_AFTER | words.TIME_BEFORE | words.TIME_UNTIL
    if len(phrase.split()) > 1 and lead in connectives:  # dateparser may take "after" into the phrase
        before = f"{before} {lead}"
    if _ends_with(before, words.TIME_SINCE):
        return TimeFrame(span.first.isoformat(), "", phrase)
    if _ends_with(before, words.TIME_AFTER):
        return TimeFrame((span.last + dt.timedelta(days=1)).isoformat(), "", phrase)
    if _ends_with(before, words.TIME_BEFORE):
        return TimeFrame("", (span.first - dt.timedelta(days=1)).isoformat(), phrase)
    if _ends_with(before, words.TIME_UNTIL):
        return TimeFrame("", span.last.isoformat(), phrase)
    return TimeFrame(span.first.isoformat(), span.last.isoformat(), phrase)


def _in_year(span: _Span, year: int) -> _Span:
    last_day = calendar.monthrange(year, span.last.month)[1]
    return _Span(span.start, span.end, span.first.replace(year=year, day=min(span.first.day, last_day)),
                 span.last.replace(year=year, day=min(span.last.day, last_day)), True)


def _ends_with(text: str, words: frozenset[str]) -> bool:
    return any(text == w or text.endswith(" " + w) for w in words)


@lru_cache(maxsize=64)
def _settings(reference: dt.date) -> dict:
    return {"RELATIVE_BASE": dt.datetime(reference.year, reference.month, reference.day),
            "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
