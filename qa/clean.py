"""Clean article text and read its metadata (title, outlet, dateline, date, language).

The cleaned text is what the index stores, so every citation offset points at the words a
person reads. Cleaning only drops whole boilerplate lines and repairs mis-decoded characters.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

# Whole lines that are page furniture, not article text (Indonesian and English news sites).
_BOILERPLATE_LINE = re.compile(
    r"""^\s*(?:
        baca\s+(?:juga|pula)\b.*            # "Baca Juga : <unrelated headline>"
      | (?:lihat|simak|tonton)\s+juga\b.*
      | advertisement | iklan | ads
      | scroll\s+to\s+(?:top|continue.*)
      | bagikan\s*:? | share(?:\s+this)?\s*:? | follow\s+us.*
      | \(\*+\) | \*{3,}
      | â | Â
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_STRAY_NBSP_MOJIBAKE = re.compile("Â(?=[\u00a0 ]|$)", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")

# Month names and abbreviations (Indonesian and English) -> month number; shared by the date readers.
MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
    "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8, "august": 8,
    "agu": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10,
    "okt": 10, "oct": 10, "november": 11, "nopember": 11, "nov": 11, "desember": 12,
    "december": 12, "des": 12, "dec": 12,
}
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
FULL_DATE_PATTERNS = [
    re.compile(r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>(?:19|20)\d{2})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<mn>{MONTH_WORDS})\.?\s+(?P<y>(?:19|20)\d{{2}})\b", re.I),
    re.compile(rf"\b(?P<mn>{MONTH_WORDS})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>(?:19|20)\d{{2}})\b", re.I),
    re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
]
_DATELINE = re.compile(r"^(?P<head>[^\n!?\"“]{2,60}?)\s+(?:-{1,2}|–|—)\s+\S")
_OUTLET = re.compile(r"\.(?:com|co|id|net|org|co\.id)\b|^[A-Z0-9]+\d[A-Z0-9]*$|\b(?:CNN|Antara|Reuters|AP|AFP)\b", re.I)

_ID_WORDS = set("yang dan di ke dari untuk dengan pada ini itu tidak akan telah dalam adalah oleh "
                "juga kata bahwa karena sebagai atau mereka kami saat sudah lebih".split())
_EN_WORDS = set("the and of to in for with on this that not will has have is are was were by "
                "also said from as or they we at be it an".split())


def clean_text(text: str) -> str:
    """Normalise line endings, repair mojibake and drop boilerplate lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = ftfy.fix_text(
        text, uncurl_quotes=False, fix_latin_ligatures=False, fix_character_width=False,
        fix_line_breaks=False, normalization=None, remove_terminal_escapes=True,
    )
    text = _STRAY_NBSP_MOJIBAKE.sub("", text)
    kept, seen = [], set()
    for line in text.split("\n"):
        if _BOILERPLATE_LINE.match(line):
            continue
        short = line.strip()
        # A headline or photo caption repeated by the page layout is kept once.
        if short and len(short) < 200 and short in seen:
            continue
        seen.add(short)
        kept.append(line.rstrip())
    text = _BLANK_RUNS.sub("\n\n", "\n".join(kept))
    return _strip_trailing_credit(text).strip()


def _strip_trailing_credit(text: str) -> str:
    """Drop a trailing 'Sumber : X' / '(Author)' line only when it is the very last line."""
    lines = text.rstrip().split("\n")
    while lines and re.fullmatch(r"\s*(?:sumber\s*:.*|\([A-Z][\w .]{1,40}\))\s*", lines[-1], re.I):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    return "\n".join(lines)


def extract_metadata(text: str, *, markdown: bool = False) -> dict[str, str]:
    title = _title(text, markdown)
    body = text[text.find(title) + len(title):] if title else text
    source, place = _dateline(body)
    return {"title": title, "source": source, "dateline": place, "date": find_date(text[:1500]),
            "lang": detect_language(text)}


def _title(text: str, markdown: bool) -> str:
    lines = text.split("\n")
    if markdown:
        for line in lines[:10]:
            if line.startswith("# "):
                return line[2:].strip()
    first = lines[0].strip()
    followed_by_blank = len(lines) > 1 and not lines[1].strip()
    if first and len(first) <= 160 and followed_by_blank and not first.endswith((".", ":", ",")):
        return first
    return ""


def _dateline(body: str) -> tuple[str, str]:
    for line in body.split("\n"):
        if len(line.strip()) < 40:
            continue
        match = _DATELINE.match(line.strip())
        if not match:
            return "", ""
        parts = [p.strip() for p in re.split(r"[,|]", match["head"]) if p.strip()]
        if any(len(p.split()) > 3 or not p[0].isupper() for p in parts):
            return "", ""
        source = next((p for p in parts if _OUTLET.search(p)), "")
        place = next((p for p in parts if p != source and not any(ch.isdigit() for ch in p)), "")
        if not source and not place or (place and not source and not (place.isupper() or " " not in place)):
            return "", ""
        return source, place.title() if place.isupper() else place
    return "", ""


def find_date(text: str) -> str:
    """The first full date stated in ``text`` as YYYY-MM-DD, or ''."""
    best: tuple[int, str] | None = None
    for pattern in FULL_DATE_PATTERNS:
        for match in pattern.finditer(text):
            iso = _iso(match)
            if iso and (best is None or match.start() < best[0]):
                best = (match.start(), iso)
            break
    return best[1] if best else ""


def _iso(match: re.Match) -> str:
    parts = match.groupdict()
    month = int(parts["m"]) if parts.get("m") else MONTHS.get(parts["mn"].lower().rstrip("."), 0)
    day, year = int(parts["d"]), int(parts["y"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def detect_language(text: str) -> str:
    words = re.findall(r"[a-z]+", text[:5000].lower())
    indonesian = sum(w in _ID_WORDS for w in words)
    english = sum(w in _EN_WORDS for w in words)
    if indonesian + english < 3:
        return ""
    return "id" if indonesian >= english else "en"


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """Main article text and metadata of an HTML page, boilerplate removed by trafilatura."""
    import trafilatura

    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                            include_tables=False, favor_precision=True)
    if extracted is not None and getattr(extracted, "text", None):
        meta = {"title": extracted.title or "", "date": extracted.date or "",
                "source": extracted.sitename or "", "url": extracted.url or ""}
        text = extracted.text
        if meta["title"] and not text.startswith(meta["title"]):
            text = f"{meta['title']}\n\n{text}"
        return text, meta
    return _strip_tags(html), {}


def _strip_tags(html: str) -> str:
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style", "noscript")

        def handle_endtag(self, tag):
            if tag in ("script", "style", "noscript"):
                self.skip = max(0, self.skip - 1)
            elif tag in ("p", "div", "br", "li", "h1", "h2", "h3", "tr"):
                self.parts.append("\n")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    return unicodedata.normalize("NFC", "".join(parser.parts))
