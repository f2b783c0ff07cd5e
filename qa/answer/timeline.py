"""Answers to "when" questions as a timeline: each distinct occurrence once, in time order.

News articles rarely carry a full date in every sentence: "Rabu (18/10)", "pada hari Rabu",
"Kamis (19 Oktober)". A sentence's date is the most precise the text supports: a date the
sentence states; the date its article gives the same day elsewhere ("pada hari Rabu" where the
article says "Rabu (18/10)"); the article's own date (or year) with the sentence's day; the
date another retrieved article gives that day ("19 Oktober" -> 19/10/2023); the date of another
resolved sentence that names the same day (articles about the same event share "Rabu" or
"19/10"); else the latest month the article mentions (it happened no earlier than that).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.answer.candidates import Candidate
from qa.answer.params import AnswerParams
from qa.question import QuestionInfo
from qa.text.dates import date_key, date_specificity, latest_date_mentioned, month_label, named_days, stated_year
from qa.types import Hits, Passage


@dataclass
class Dated:
    candidate: Candidate
    key: str = ""  # YYYY-MM-DD, YYYY-MM, or "" when unknown
    after: bool = False  # key is a lower bound ("after June 2024")
    guessed: bool = False  # key is only a year the sentence mentions beside the day it names
    days: set = field(default_factory=set)  # weekday names and (day, month) pairs it names

    @property
    def settled(self) -> bool:
        """Dated by its own words or its article: a date others naming its day may take."""
        return bool(self.key) and not self.after and not self.guessed

    @property
    def calendar_days(self) -> set:
        return {d for d in self.days if isinstance(d, tuple)}


@dataclass
class Occurrence:
    key: str
    after: bool
    members: list[Dated]

    def label(self, lang: str) -> str:
        if not self.key:
            return ""
        when = month_label(self.key, lang)
        if self.after:
            return ("Setelah " if lang == "id" else "After ") + when
        return when


def when_occurrences(info: QuestionInfo, ranked: list[Candidate], hits: Hits,
                     params: AnswerParams) -> list[Occurrence]:
    best = ranked[0].score
    needed = 1 if info.key_terms else 0
    eligible = [c for c in ranked if c.score >= params.when_score_ratio * best and c.key_hits >= needed]
    return timeline(eligible[: params.when_candidates], hits, params)


def timeline(ranked: list[Candidate], hits: Hits, params: AnswerParams) -> list[Occurrence]:
    # (day, month) -> the date some retrieved article gives it: read once for every sentence
    elsewhere = {d: key for days in hits.article_days.values() for d, key in days.items() if isinstance(d, tuple)}
    # The best sentence is the answer and always stands, however loosely it dates it ("pada
    # 1996"); the others join only when they date something precisely.
    shown = [c for i, c in enumerate(ranked)
             if c.spans and (i == 0 or date_specificity(c.text) >= params.min_date_specificity)]
    dated = [_resolve(c, hits.passages[c.passage_index], hits.article_dates, hits.article_days, elsewhere)
             for c in shown]
    _inherit(dated)
    groups: dict[str, Occurrence] = {}
    for item in dated:
        month = item.key[:7] if item.key else f"?{id(item)}"
        groups.setdefault(month, Occurrence(item.key, item.after, [])).members.append(item)
    # The best-scored occurrences (the answer's first among them), then shown in time order.
    kept = sorted(groups.values(), key=lambda o: -max(m.candidate.score for m in o.members))
    return sorted(kept[: params.max_occurrences], key=lambda o: (o.key == "", o.key, -o.members[0].candidate.score))


def _resolve(candidate: Candidate, passage: Passage, article_dates: dict[str, str],
             article_days: dict[str, dict], elsewhere: dict[tuple, str]) -> Dated:
    text = candidate.text
    item = Dated(candidate, days=named_days(text))
    explicit = date_key(text)
    if len(explicit) == 10:
        item.key = explicit
        return item
    tied = article_days.get(passage.doc_id, {})
    same_day = sorted(tied[d] for d in item.days if d in tied)
    if same_day:  # the article gives this day's date elsewhere ("Rabu (18/10)")
        item.key = same_day[0]
        return item
    # The latest date the article mentions (the passage's own, when the article was not read).
    latest = article_dates.get(passage.doc_id)
    latest = latest_date_mentioned(passage.text) if latest is None else latest
    year = (passage.date or "")[:4] or (latest[:4] if len(latest) >= 7 else "")
    day_month = next((d for d in item.days if isinstance(d, tuple)), None)
    weekday = bool(item.days - item.calendar_days)  # "pada hari Rabu"
    if day_month and year:
        item.key = f"{year}-{day_month[1]:02d}-{day_month[0]:02d}"
    elif day_month in elsewhere:  # another retrieved article dates the same calendar day
        item.key = elsewhere[day_month]
    elif explicit:
        item.key = explicit
    # "pada hari Rabu, yang pertama sejak tahun 2018": a day of the article's own week, whatever
    # year it mentions besides; "pada 1996": the year it states, not the article's
    elif weekday and passage.date:
        item.key = passage.date
    elif year_stated := stated_year(text):
        item.key, item.guessed = year_stated, weekday
    elif passage.date:
        item.key = passage.date
    elif len(latest) >= 7:
        item.key, item.after = latest[:7], True
    return item


def _inherit(dated: list[Dated]) -> None:
    """Undated, only bounded or guessed sentences take the date of one dated by itself or its
    article that names the same day (never of one that took its date so: "Kamis" would chain
    unrelated days)."""
    sources = [item for item in dated if item.settled]
    for item in dated:
        if item.settled:
            continue
        source = next((other for other in sources if _same_day(item, other)), None)
        if source is not None:
            item.key, item.after, item.guessed = source.key, False, False


def _same_day(one: Dated, other: Dated) -> bool:
    """Both name the same day: "Rabu" and "Rabu (18/10)", but not "Kamis (25/8)" and "Kamis (22/12)"."""
    if one.calendar_days and other.calendar_days:
        return bool(one.calendar_days & other.calendar_days)
    return bool(one.days & other.days)
