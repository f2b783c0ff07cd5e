"""Clean article text and read its metadata (title, outlet, dateline, date, language).

The cleaned text is what the index stores, so every citation offset points at the words a
person reads. Cleaning only drops whole boilerplate lines and repairs mis-decoded characters.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

from qa.text.dates import find_date
from qa.text.language import detect_language

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

_DATELINE = re.compile(r"^(?P<head>[^\n!?\"“]{2,60}?)\s+(?:-{1,2}|–|—)\s+\S")
_OUTLET = re.compile(r"\.(?:com|co|id|net|org|co\.id)\b|^[A-Z0-9]+\d[A-Z0-9]*$|\b(?:CNN|Antara|Reuters|AP|AFP)\b", re.I)

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


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """Main article text and metadata of an HTML page, boilerplate removed by trafilatura."""
    import trafilatura

    page = _page_meta(html)
    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                            include_tables=False, favor_precision=True)
    if extracted is not None and getattr(extracted, "text", None):
        meta = {"title": extracted.title or page.get("title", ""), "date": extracted.date or page.get("date", ""),
                "source": extracted.sitename or page.get("source", ""), "url": extracted.url or page.get("url", "")}
        text = extracted.text
    else:
        meta, text = page, _strip_tags(html)
    if meta.get("title") and not text.startswith(meta["title"]):
        text = f"{meta['title']}\n\n{text}"
    return text, {k: v for k, v in meta.items() if v}


_META_FIELDS = {"og:site_name": "source", "og:title": "title", "article:published_time": "date", "og:url": "url"}


def _page_meta(html: str) -> dict[str, str]:
    """Outlet, title, date and address from the page's <meta> tags (Open Graph) and <title>."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class _Meta(HTMLParser):
        in_title = False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            key = _META_FIELDS.get((attrs.get("property") or attrs.get("name") or "").lower())
            if tag == "meta" and key and attrs.get("content") and key not in found:
                found[key] = attrs["content"].strip()
            self.in_title = tag == "title"

        def handle_data(self, data):
            if self.in_title and data.strip():
                found.setdefault("page_title", data.strip())

    _Meta().feed(html[:200_000])
    found.setdefault("title", found.pop("page_title", ""))
    found.pop("page_title", None)
    if found.get("date"):
        found["date"] = find_date(found["date"])
    return found


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
