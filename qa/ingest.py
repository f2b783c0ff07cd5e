"""Files -> documents. Reads .txt, .md, .html and .jsonl; anything unreadable is reported, not fatal."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from qa.clean import clean_text, extract_metadata, html_to_text
from qa.filters import article_day
from qa.hashing import text_hash
from qa.text.dates import find_date
from qa.text.sentences import split_sentences
from qa.types import Document, Problem

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MAX_ARTICLE_BYTES = 10 * 1024 * 1024  # one .txt/.md/.html article; far above any real news story
MAX_FILE_BYTES = 256 * 1024 * 1024  # a .jsonl of many articles
MAX_JSONL_LINE_CHARS = 8 * 1024 * 1024
HEADLINE_CHARS = 90  # a derived title is cut here: about one line in the page's source cards
METADATA_FIELDS = ("title", "source", "dateline", "date", "url", "lang")
_ID_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
log = logging.getLogger("qa")


def iter_files(paths: Iterable[str | Path], problems: list[Problem]) -> Iterator[Path]:
    """Every supported file under ``paths`` in a stable order; follows no symlink loops."""
    seen_dirs: set[tuple[int, int]] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path, seen_dirs, problems)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path
            else:
                problems.append(Problem(str(path), f"unsupported file type '{path.suffix}' "
                                        f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"))
        else:
            problems.append(Problem(str(path), "no such file or folder"))


def _walk(root: Path, seen: set[tuple[int, int]], problems: list[Problem]) -> Iterator[Path]:
    try:
        stat = root.stat()
    except OSError as exc:
        problems.append(Problem(str(root), f"cannot open folder: {exc.strerror}"))
        return
    key = (stat.st_dev, stat.st_ino)
    if key in seen:  # a symlink loop or the same folder reached twice
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(str(root), f"cannot list folder: {exc.strerror}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir():
                yield from _walk(path, seen, problems)
            elif entry.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot read: {exc.strerror}"))


def load_documents(paths: Iterable[str | Path]) -> tuple[list[Document], list[Problem]]:
    """Read every article under ``paths``. Returns the documents and the problems met."""
    problems: list[Problem] = []
    return list(iter_documents(paths, problems)), problems


def iter_documents(paths: Iterable[str | Path], problems: list[Problem]) -> Iterator[Document]:
    """The articles under ``paths`` one at a time (a large folder is never held in memory);
    files and lines that cannot be used are appended to ``problems``."""
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for path in iter_files(paths, problems):
        for doc in read_file(path, problems):
            where = doc.path or str(path)
            if doc.id in seen_ids:
                problems.append(Problem(where, f"duplicate document id '{doc.id}' "
                                        f"(already read from {seen_ids[doc.id]})"))
                continue
            digest = text_hash(doc.text)
            if digest in seen_texts:
                problems.append(Problem(where, f"same text as document '{seen_texts[digest]}'"))
                continue
            seen_ids[doc.id], seen_texts[digest] = where, doc.id
            yield doc


def read_file(path: Path, problems: list[Problem]) -> list[Document]:
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        limit = MAX_FILE_BYTES if suffix in JSONL_SUFFIXES else MAX_ARTICLE_BYTES
        if size > limit:
            problems.append(Problem(str(path), f"file is {size / 2**20:.0f} MB, over the {limit // 2**20} MB "
                                    "limit for one file; split it into articles (or a .jsonl of articles)"))
            return []
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot read: {exc.strerror}"))
        return []
    text = decode_bytes(raw)
    if text is None:
        problems.append(Problem(str(path), "binary content, not text (is it a PDF or image renamed?)"))
        return []
    if suffix in JSONL_SUFFIXES:
        return list(_read_jsonl(text, path, problems))
    doc_id = _safe_id(path.stem)
    if suffix in HTML_SUFFIXES:
        body, meta = html_to_text(text)
        doc = make_document(doc_id, body, path=str(path), **meta)
    else:
        doc = make_document(doc_id, text, path=str(path), markdown=suffix != ".txt")
    if doc is None:
        problems.append(Problem(str(path), "no article text (empty, whitespace or boilerplate only)"))
        return []
    return [doc]


def decode_bytes(raw: bytes) -> str | None:
    """UTF-16 with its byte-order mark (Windows Notepad's "Unicode"), UTF-8 (with or without BOM),
    else Windows-1252/Latin-1. None for binary data."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    elif b"\x00" in raw[:8192] or raw[:5] == b"%PDF-" or raw[:8] == b"\x89PNG\r\n\x1a\n":
        return None
    else:
        text = _decode_8bit(raw)
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if sample and controls / len(sample) > 0.05:
        return None
    return text


def _decode_8bit(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def make_document(doc_id: str, text: str, *, markdown: bool = False, **meta: str) -> Document | None:
    """Clean ``text`` and fill metadata not given by the source (title, outlet, date, language)."""
    cleaned = clean_text(text)
    if not cleaned.strip():
        return None
    found = extract_metadata(cleaned, markdown=markdown)
    fields = {key: (meta.get(key) or found.get(key) or "") for key in METADATA_FIELDS}
    fields["title"] = fields["title"] or headline(cleaned, fields["dateline"], fields["source"])
    return Document(id=doc_id, text=cleaned, path=meta.get("path", ""), **fields)


def headline(text: str, *datelines: str) -> str:
    """A title for an article that has none: its first sentence, without the dateline
    ("Liputan6.com, Jakarta - "), cut at a word boundary."""
    spans = split_sentences(text)
    if not spans:
        return ""
    sentence = text[spans[0][0]:spans[0][1]]
    lead = re.match(r"^[^\n]{2,80}?\s+(?:-{1,2}|–|—)\s+", sentence)
    if lead and any(d and d.lower() in lead.group().lower() for d in datelines):
        sentence = sentence[lead.end():]
    if len(sentence) <= HEADLINE_CHARS:
        return sentence.rstrip(".")
    cut = sentence[:HEADLINE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _read_jsonl(text: str, path: Path, problems: list[Problem]) -> Iterator[Document]:
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        if len(line) > MAX_JSONL_LINE_CHARS:
            problems.append(Problem(where, f"line longer than {MAX_JSONL_LINE_CHARS // 2**20} M characters"))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(where, "a line must be a JSON object with 'id' and 'text'"))
            continue
        missing = [k for k in ("id", "text") if not isinstance(record.get(k), str | int) or record.get(k) == ""]
        if missing:
            problems.append(Problem(where, f"missing or empty field(s): {', '.join(missing)}"))
            continue
        meta = {k: str(record[k]) for k in METADATA_FIELDS if record.get(k)}
        if "date" in meta:
            meta["date"] = _article_date(meta["date"], where)
        doc = make_document(_safe_id(str(record["id"])), str(record["text"]), path=where, **meta)
        if doc is None:
            problems.append(Problem(where, "no article text (empty or boilerplate only)"))
            continue
        yield doc


def _article_date(raw: str, where: str) -> str:
    """A line's ``date`` as YYYY-MM-DD, which date filters compare: an ISO day or time stamp, or a
    written date ("3 Maret 2023", "03/03/2023", "March 3, 2023"). Anything else is dropped with a
    warning (the article is then dated from its text, if it states a date)."""
    found = article_day(raw.strip()) or find_date(raw)  # the day date filters read, as they read it
    if not found:
        log.warning("%s: date %r is not a date (write YYYY-MM-DD); the article's own text dates it, if it can",
                    where, raw)
    return found


def _safe_id(raw: str) -> str:
    return _ID_UNSAFE.sub("_", raw.strip())[:200] or "document"
