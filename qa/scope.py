"""What a search covers: the caller's filters plus the time the question names.

"What happened in October 2023?" searches articles dated 1-31 October 2023 or whose text
mentions a day of it (an article is about a time if it is dated then or says so: many corpora
record no date, or the first date in the text, as an article's date); "tahun lalu" is resolved
against the newest article date in the index (or a day the caller gives). An explicit date
filter wins over the question's words and admits by article date only. A time no article is
dated in or mentions is not applied (the answer says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from qa.errors import InvalidFilter
from qa.filters import Filters, article_day
from qa.question import QuestionInfo
from qa.stores.base import StoreReader
from qa.text.timeframe import describe_range, find_timeframe


@dataclass(frozen=True)
class Scope:
    info: QuestionInfo
    filters: Filters
    notes: list[str] = field(default_factory=list)  # said to the person: what was searched, what was left out


def search_scope(info: QuestionInfo, filters: Filters, store: StoreReader, as_of: str | None = None) -> Scope:
    notes = []
    if not filters.dated:
        if as_of and article_day(as_of) is None:
            raise InvalidFilter(f"The reference date {as_of!r} is not a date; write it as YYYY-MM-DD.")
        reference = article_day(as_of or "") or store.newest_day()
        frame = find_timeframe(info.text, info.lang, dt.date.fromisoformat(reference)) if reference else None
        if frame is not None:
            dated = replace(filters, since=frame.since, until=frame.until, question_time=True)
            admitted = store.count_documents(dated)
            if admitted:
                filters, info = dated, replace(info, timeframe=frame)
                notes.append(f"Searching articles dated or mentioning {frame.describe()}: {admitted} of "
                             f"{store.count_documents()}.")
            else:
                notes.append(f"No article is dated or mentions {frame.describe()} (\u201c{frame.phrase}\u201d): "
                             "all articles were searched.")
            return Scope(info, filters, notes)
    if filters.dated:
        undated = store.count_undated()
        left_out = f"; {undated} undated article(s) left out" if undated else ""
        notes.append(f"Searching articles dated {describe_range(filters.since, filters.until)}{left_out}.")
    if filters.active and not store.count_documents(filters):  # say why nothing comes back
        notes.append(f"No article in the index matches {_described(filters)}.")
    return Scope(info, filters, notes)


def _described(filters: Filters) -> str:
    parts = [f"dates {describe_range(filters.since, filters.until)}"] if filters.dated else []
    parts += [f"{name} {', '.join(values)}" for name, values in (
        ("outlet", filters.sources), ("language", filters.langs), ("id", filters.doc_ids)) if values]
    return "; ".join(parts)
