"""English words to Indonesian ones, from real sources rather than a list written for a corpus:
the FreeDict English-Indonesian dictionary (``lang/en_id_freedict.tsv``, CC-BY-SA-3.0) for
translations, and simplemma's English and Indonesian lemmatisers for word forms, so that
"visited" finds the headword "visit" and its translation "kunjung" reaches "mengunjungi",
"kunjungan" and "berkunjung" in the articles.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from qa.text.normalize import fold

DICTIONARY_FILE = Path(__file__).resolve().parent / "lang" / "en_id_freedict.tsv"
MAX_PHRASE_WORDS = 3  # longest English headword matched as a phrase ("united states", "white house")

Phrase = tuple[str, ...]


@lru_cache(maxsize=1)
def table() -> dict[Phrase, tuple[Phrase, ...]]:
    """English headword (folded words) -> its Indonesian renderings (folded words)."""
    out: dict[Phrase, tuple[Phrase, ...]] = {}
    for line in DICTIONARY_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        english, indonesian = line.split("\t")
        out[tuple(fold(english).split())] = tuple(tuple(fold(r).split()) for r in indonesian.split("|"))
    return out


@lru_cache(maxsize=65536)
def lemma(word: str, lang: str) -> str:
    """The dictionary form of ``word`` in ``lang`` ("en" or "id"); the word itself if unknown."""
    import simplemma

    if not word.isalpha():
        return word
    return simplemma.lemmatize(word, lang=lang).lower()


def _lookup(unit: Phrase) -> tuple[Phrase, ...] | None:
    found = table().get(unit)
    if found is None and len(unit) == 1:
        found = table().get((lemma(unit[0], "en"),))
    return found


def _scan(tokens: list[str]) -> list[Phrase]:
    """``tokens`` cut into units, the longest dictionary phrase first; other words stand alone."""
    units, i = [], 0
    while i < len(tokens):
        length = next((n for n in range(MAX_PHRASE_WORDS, 1, -1)
                       if i + n <= len(tokens) and tuple(tokens[i:i + n]) in table()), 1)
        units.append(tuple(tokens[i:i + length]))
        i += length
    return units


def phrases(tokens: list[str]) -> list[tuple[Phrase, tuple[Phrase, ...]]]:
    """Dictionary words and phrases found in ``tokens`` (longest match first), with their renderings."""
    return [(unit, found) for unit in _scan(tokens) if (found := _lookup(unit))]


def segment(tokens: list[str]) -> list[str]:
    """``tokens`` with multi-word dictionary phrases joined into one unit ("north korea")."""
    return [" ".join(unit) for unit in _scan(tokens)]


def alternatives(term: str) -> list[Phrase]:
    """Ways a (possibly multi-word) English ``term`` may be written: itself, then its renderings."""
    key = tuple(term.split())
    return [key, *[alt for alt in (_lookup(key) or ()) if alt != key]]


def lemma_families(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    """Indonesian lemma -> the words of ``vocabulary`` with that lemma (kunjung -> mengunjungi,
    kunjungan, berkunjung): how a translated word reaches the forms an index actually holds."""
    families: dict[str, list[str]] = {}
    for word in vocabulary:
        families.setdefault(lemma(word, "id"), []).append(word)
    return families
