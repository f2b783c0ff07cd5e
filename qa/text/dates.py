"""Every date pattern in one place: finding, parsing and grading dates in both languages.

News sentences date things as "Rabu (18/10)", "19 Oktober 2023", "October 19, 2023", "Juni 2024",
"pada hari Kamis" or "tahun lalu"; these functions find them, turn them into sortable keys
(YYYY-MM-DD or YYYY-MM) and say how precise they are.
"""

from __future__ import annotations

import re
from datetime import date

from qa.text.lang import LANGUAGES
from qa.text.sentences import split_sentences

MONTHS: dict[str, int] = {name: n for lang in LANGUAGES.values() for name, n in lang.MONTHS.items()}
WEEKDAYS: dict[str, int] = {name: n for lang in LANGUAGES.values() for name, n in lang.WEEKDAYS.items()}
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
DAY_WORDS = "|".join(sorted(WEEKDAYS, key=len, reverse=True))

FULL_DATE_PATTERNS = [
    re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>(?:19|20)\d{2})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<mn>{MONTH_WORDS})\.?\s+(?P<y>(?:19|20)\d{{2}})\b", re.I),
    re.compile(rf"\b(?P<mn>{MONTH_WORDS})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>(?:19|20)\d{{2}})\b", re.I),
    re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
]
# Any expression that dates something, from a calendar date to "tahun lalu".
DATE_EXPR = re.compile(
    rf"""(?:
        (?:(?:pada\s+)?(?:hari\s+)?\b(?:{DAY_WORDS})\b(?:\s*,?\s*\(\s*\d{{1,2}}\s*/\s*\d{{1,2}}(?:\s*/\s*\d{{2,4}})?\s*\)
            |\s*,?\s*\(?\d{{1,2}}\s+(?:{MONTH_WORDS})\b\.?(?:\s+\d{{4}})?\)?)?)
      | \b\d{{1,2}}/\d{{1,2}}/(?:19|20)\d{{2}}\b
      | \(\s*\d{{1,2}}\s*/\s*\d{{1,2}}\s*\)
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
CALENDAR_WORD = re.compile(rf"(?:{DAY_WORDS}|{MONTH_WORDS})", re.I)
_CALENDAR_DATE = re.compile(
    rf"\(\s*\d{{1,2}}\s*/\s*\d{{1,2}}|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b\d{{1,2}}\s+(?:{MONTH_WORDS})\b"
    rf"|\b(?:{MONTH_WORDS})\s+\d{{1,2}}(?!\d)", re.I)
_MONTH_OR_DAY = re.compile(rf"\b(?:{DAY_WORDS}|{MONTH_WORDS})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b({MONTH_WORDS})\b\.?\s+((?:19|20)\d{{2}})", re.I)
_DAY = re.compile(rf"\b({DAY_WORDS})\b", re.I)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) ?/ ?(\d{{1,2}})\b|\b(\d{{1,2}})\s+({MONTH_WORDS})\b", re.I)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_RANGE_JOINS = "|".join(sorted({re.escape(w) for lang in LANGUAGES.values() for w in lang.TIME_RANGE_JOIN},
                               key=len, reverse=True))
_FIRST_OF_RANGE = re.compile(rf"\b(\d{{1,2}})\s*(?:{_RANGE_JOINS})\s*$", re.I)  # "19-" of "19-23 Oktober 2005"


def find_date(text: str) -> str:
    """The first full date stated in ``text`` as YYYY-MM-DD, or ''."""
    best: tuple[int, str] | None = None
    for pattern in FULL_DATE_PATTERNS:
        for match in pattern.finditer(text):
            iso = _iso(match)
            if iso:  # the pattern's first real date ("30/02/2023" is none)
                if best is None or match.start() < best[0]:
                    best = (match.start(), iso)
                break
    return best[1] if best else ""


def _iso(match: re.Match) -> str:
    parts = match.groupdict()
    month = int(parts["m"]) if parts.get("m") else MONTHS.get(parts["mn"].lower().rstrip("."), 0)
    try:
        return date(int(parts["y"]), month, int(parts["d"])).isoformat()
    except ValueError:
        return ""


def date_key(sentence: str) -> str:
    """A sortable YYYY-MM-DD (or YYYY-MM) for the first date ``sentence`` states, or ''."""
    full = find_date(sentence)
    if full:
        return full
    month_year = _MONTH_YEAR.search(sentence)
    return f"{month_year[2]}-{MONTHS[month_year[1].lower()]:02d}" if month_year else ""


def date_specificity(text: str) -> float:
    """How precisely ``text`` dates something: 1 for a calendar date (18/10, 19 Oktober),
    0.6 for a weekday or month, 0.3 for a year or relative date, 0 for none."""
    if _CALENDAR_DATE.search(text):
        return 1.0
    if _MONTH_OR_DAY.search(text):
        return 0.6
    return 0.3 if DATE_EXPR.search(text) else 0.0


def latest_date_mentioned(text: str) -> str:
    """The latest date an article mentions: it was written no earlier than that."""
    keys = [date_key(text[m.start():m.end() + 4]) for m in DATE_EXPR.finditer(text)]
    return max([k for k in keys if k] + _YEAR.findall(text), default="")


def named_days(text: str) -> set:
    """Weekday names and (day, month) pairs ``text`` names: what ties two reports of one day."""
    days: set = {m.group(1).lower() for m in _DAY.finditer(text)}
    for m in _DAY_MONTH.finditer(text):
        if m.group(1):
            day, month = int(m.group(1)), int(m.group(2))
        else:
            day, month = int(m.group(3)), MONTHS[m.group(4).lower()]
        if 1 <= day <= 31 and 1 <= month <= 12:
            days.add((day, month))
    return days


def dated_days(text: str, year: str) -> dict:
    """Weekdays and (day, month) pairs an article ties to a calendar date ("Rabu (18/10)", with
    ``year`` for dates that omit it): how a sentence saying only "pada hari Rabu" gets the date the
    same article gives that day elsewhere."""
    tied: dict = {}
    for start, end in split_sentences(text):
        sentence = text[start:end]
        days = named_days(sentence)
        pairs = [d for d in days if isinstance(d, tuple)]
        if len(pairs) > 1:  # "antara 1 September dan 1 Oktober": which day is which is not said
            continue
        key = date_key(sentence)
        pair = pairs[0] if pairs else None
        if len(key) != 10 and pair and year:
            key = f"{year}-{pair[1]:02d}-{pair[0]:02d}"
        if len(key) == 10:
            for day in days:
                tied.setdefault(day, key)
    return tied


def mentioned_periods(text: str, limit: int = 200) -> list[tuple[str, str]]:
    """The periods ``text`` mentions as inclusive ISO day ranges, merged and sorted: a date is a
    day, "Juni 2024" a month, "2004" a year. What a question about a time can find an article by
    when the article's own date says nothing about it."""
    periods = set()
    for year in _YEAR.finditer(text):  # every stated date holds a year: look around each one only
        at = max(0, year.start() - 25)
        window, offset = text[at: year.end() + 6], year.start() - at
        found = next(((m, k) for pattern in FULL_DATE_PATTERNS for m in pattern.finditer(window)
                      if m.start("y") == offset and (k := _iso(m))), None)
        if found:
            match, key = found
            periods.add((_first_of_range(text[:at + match.start()], key), key))
            continue
        month = next((m for m in _MONTH_YEAR.finditer(window) if m.start(2) == offset), None)
        periods.add(_period(f"{year[1]}-{MONTHS[month[1].lower()]:02d}" if month else year[1]))
    merged: list[list[str]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged[:limit]]


def _first_of_range(before: str, key: str) -> str:
    """The range's first day when the date ``key`` ends one ("19-23 Oktober 2005"), else ``key``."""
    match = _FIRST_OF_RANGE.search(before)
    if match and 1 <= int(match.group(1)) < int(key[8:]):
        return f"{key[:8]}{int(match.group(1)):02d}"
    return key


def _period(key: str) -> tuple[str, str]:
    import calendar

    if len(key) == 10:
        return key, key
    year = int(key[:4])
    if len(key) == 7:
        month = int(key[5:7])
        return f"{key}-01", f"{key}-{calendar.monthrange(year, month)[1]:02d}"
    return f"{year}-01-01", f"{year}-12-31"


def stated_year(text: str) -> str:
    """The first year ``text`` states ("pada 1996" -> "1996"), or ''."""
    found = _YEAR.search(text)
    return found.group(1) if found else ""


def is_year(token: str) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d{2}", token))


def month_label(key: str, lang: str) -> str:
    """"October 2023" / "Oktober 2023" for a YYYY-MM[-DD] key; the year alone for YYYY."""
    year, month = key[:4], int(key[5:7]) if len(key) >= 7 else 0
    names = LANGUAGES.get(lang, LANGUAGES["en"]).MONTH_NAMES
    return f"{names[month - 1]} {year}" if month else year
