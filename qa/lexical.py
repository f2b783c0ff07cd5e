"""BM25 over chunks, on the tokens of ``qa.text.normalize``: an inverted index of term
frequencies in numpy arrays, scored at query time (the Lucene variant, as bm25s computes it).

Keeping frequencies rather than finished scores lets an index grow without a rebuild: a
version holds a main segment and a small delta segment of the rows added since, plus the rows
that were deleted; document frequencies, lengths and the average length are taken over the
live rows when a question is scored, so the scores are those of one index built from scratch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from qa.text.dictionary import lemma, lemma_families, phrases
from qa.text.normalize import tokenize

# A word matched only through a dictionary translation scores this share of a word the question
# itself uses (chosen on the first 400 FacQA train questions, docs/evaluation.md).
TRANSLATION_WEIGHT = 0.7
BM25_K1, BM25_B = 1.2, 0.75  # the usual values; the PostgreSQL store uses the same
EMPTY_TOKEN = "\u2400"  # an empty chunk still takes a row, with length 1


def chunk_tokens(text: str) -> list[str]:
    return tokenize(text) or [EMPTY_TOKEN]


def bm25_weights(tf, lengths, df: int, n_docs: int, avg_length: float):
    """BM25 (Lucene's idf) of one term in rows where it occurs ``tf`` times among ``lengths``
    tokens, ``df`` of ``n_docs`` rows holding it: both stores score with this."""
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + BM25_K1 * (1 - BM25_B + BM25_B * lengths / avg_length))


class Postings:
    """One segment: for each term, the rows that use it and how often (CSR arrays)."""

    FILES = ("terms.json", "indptr.npy", "rows.npy", "tf.npy")

    def __init__(self, terms: list[str], indptr: np.ndarray, rows: np.ndarray, tf: np.ndarray):
        self.terms, self.indptr, self.rows, self.tf = terms, indptr, rows, tf
        self.ids = {t: i for i, t in enumerate(terms)}

    @classmethod
    def build(cls, token_lists: Iterable[list[str]], rows: Iterable[int] | None = None) -> Postings:
        """Postings of ``token_lists``, the i-th list being row ``rows[i]`` (default: row i)."""
        ids: dict[str, int] = {}
        term_ids, doc_rows = [], []
        row_ids = iter(rows) if rows is not None else None
        for offset, tokens in enumerate(token_lists):
            row = next(row_ids) if row_ids is not None else offset
            for token in tokens:
                term_ids.append(ids.setdefault(token, len(ids)))
                doc_rows.append(row)
        term_ids_arr = np.asarray(term_ids, np.int64)
        rows_arr = np.asarray(doc_rows, np.int64)
        pairs = np.unique(term_ids_arr * (2**40) + rows_arr, return_counts=True) if len(term_ids) else (
            np.zeros(0, np.int64), np.zeros(0, np.int64))
        keys, counts = pairs
        pair_terms, pair_rows = keys // (2**40), keys % (2**40)  # sorted by term, then row
        indptr = np.zeros(len(ids) + 1, np.int64)
        np.add.at(indptr, pair_terms + 1, 1)
        return cls(list(ids), np.cumsum(indptr), pair_rows.astype(np.int64), counts.astype(np.int32))

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        i = self.ids.get(term)
        if i is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return self.rows[self.indptr[i]: self.indptr[i + 1]], self.tf[self.indptr[i]: self.indptr[i + 1]]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False))
        for name, array in (("indptr", self.indptr), ("rows", self.rows), ("tf", self.tf)):
            np.save(folder / f"{name}.npy", array, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> Postings:
        terms = json.loads((folder / "terms.json").read_text())
        indptr, rows, tf = (np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                            for name in ("indptr", "rows", "tf"))
        return cls(terms, indptr, rows, tf)


class LexicalIndex:
    """BM25 for chunk rows over one or more segments, leaving out deleted rows."""

    def __init__(self, segments: list[Postings], lengths: np.ndarray, dead: np.ndarray | None = None):
        self.segments, self.lengths = segments, np.asarray(lengths, np.float32)
        self.n_docs = len(self.lengths)
        self.live = np.ones(self.n_docs, bool)
        if dead is not None and len(dead):
            self.live[np.asarray(dead, np.int64)] = False
        self.n_live = int(self.live.sum())
        self.avg_length = float(self.lengths[self.live].mean()) if self.n_live else 1.0
        self._vocab: dict[str, int] | None = None
        self._families: dict[str, list[str]] | None = None

    @property
    def vocab(self) -> dict[str, int]:
        """Every word some segment holds (a word only deleted rows used stays until a rebuild)."""
        if self._vocab is None:
            self._vocab = {t: 1 for segment in self.segments for t in segment.terms}
        return self._vocab

    @property
    def families(self) -> dict[str, list[str]]:
        """Indonesian lemma -> the index's words of that lemma (built on first use)."""
        if self._families is None:
            self._families = lemma_families(self.vocab)
        return self._families

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        tokens = [chunk_tokens(t) for t in texts]
        return cls([Postings.build(tokens)], np.array([len(t) for t in tokens], np.float32))

    def save(self, folder: Path) -> None:
        """Main segment in ``main/``, the others in ``delta/``, lengths beside them."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, segment in zip(("main", "delta"), self.segments):
            segment.save(folder / name)
        np.save(folder / "lengths.npy", self.lengths, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, dead: np.ndarray | None = None) -> LexicalIndex:
        segments = [Postings.load(folder / name) for name in ("main", "delta") if (folder / name).is_dir()]
        return cls(segments, np.load(folder / "lengths.npy", allow_pickle=False), dead)

    def known_terms(self, terms: list[str]) -> list[str]:
        return [t for t in terms if t in self.vocab]

    def appended(self, delta: list[tuple[int, str]], main_rows: int, n_rows: int, folder: Path, source: Path) -> None:
        """Save into ``folder`` this index grown to ``n_rows`` rows: the main segment hard-linked from
        ``source`` (unchanged), and a delta segment of ``delta`` ((row, text) of every live row from
        ``main_rows`` on)."""
        (folder / "main").mkdir(parents=True, exist_ok=True)
        for name in Postings.FILES:
            os.link(source / "main" / name, folder / "main" / name)
        tokens = {row: chunk_tokens(text) for row, text in delta}
        lengths = np.ones(n_rows, np.float32)
        lengths[: len(self.lengths)] = self.lengths
        for row, words in tokens.items():
            lengths[row] = len(words)
        Postings.build(list(tokens.values()), list(tokens)).save(folder / "delta")
        np.save(folder / "lengths.npy", lengths, allow_pickle=False)

    def search(self, tokens: list[str], k: int, expand: bool = False,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, rows) for the query ``tokens`` (``qa.text.normalize.tokenize``);
        rows with score 0 are left out.

        ``expand`` also matches the Indonesian renderings of English words (``qa.text.dictionary``),
        in every form the index holds: a translated word counts once, as the best of its renderings,
        and a little less than a word the question itself uses. ``allowed``: only these rows
        (a metadata filter)."""
        if not self.n_live:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = expanded_scores(tokens, self.get_scores, self.forms) if expand else self.get_scores(tokens)
        if scores is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if allowed is not None:
            kept = np.zeros_like(scores)
            kept[allowed] = scores[allowed]
            scores = kept
        return top_scores(scores, k)

    def get_scores(self, tokens: list[str]) -> np.ndarray | None:
        """Summed BM25 of ``tokens`` (a repeated token counts again) per row; None if none is indexed."""
        terms = self.known_terms(tokens)
        if not terms:
            return None
        scores = np.zeros(self.n_docs, np.float32)
        for term in terms:
            rows, tf = self._live_postings(term)
            if len(rows):
                weights = bm25_weights(tf, self.lengths[rows], len(rows), self.n_live, self.avg_length)
                scores[rows] += weights.astype(np.float32)
        return scores

    def _live_postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [segment.postings(term) for segment in self.segments]
        rows = np.concatenate([p[0] for p in parts])
        tf = np.concatenate([p[1] for p in parts]).astype(np.float32)
        keep = self.live[rows]
        return rows[keep], tf[keep]

    def forms(self, word: str) -> set[str]:
        """The index's words with the Indonesian lemma of ``word``, and ``word`` itself if indexed."""
        return set(self.families.get(lemma(word, "id"), ())) | ({word} & self.vocab.keys())


def top_scores(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` positive (scores, positions) of ``scores``, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    top = top[scores[top] > 0]
    return scores[top].astype(np.float32), top.astype(np.int64)


def expanded_scores(tokens: list[str], score: Callable[[list[str]], np.ndarray | None],
                    forms: Callable[[str], set[str]]) -> np.ndarray | None:
    """BM25 of ``tokens`` where an English word or phrase also matches its Indonesian renderings
    (``qa.text.dictionary``): each counts once, as the best of the word itself and its renderings
    (weighted ``TRANSLATION_WEIGHT``). ``score(terms)`` gives the summed BM25 of ``terms`` per row
    (None when no term is indexed); ``forms(word)`` the indexed words of ``word``'s lemma. Both
    stores share this, so their lexical rankings agree."""
    total, in_phrase = None, set()
    for phrase, renderings in phrases(tokens):
        in_phrase.update(phrase)
        options = [score(list(phrase))] + [
            None if s is None else TRANSLATION_WEIGHT * s for s in (_rendering(r, score, forms) for r in renderings)]
        options = [o for o in options if o is not None]
        if options:
            best = np.max(np.stack(options), axis=0)
            total = best if total is None else total + best
    rest = score([t for t in tokens if t not in in_phrase])
    if rest is not None:
        total = rest if total is None else total + rest
    return total


def _rendering(rendering: tuple[str, ...], score, forms) -> np.ndarray | None:
    """BM25 of an Indonesian rendering, each of its words matched in its best-scoring form."""
    total = None
    for word in rendering:
        found = forms(word)
        if not found:
            return None
        best = np.max(np.stack([score([form]) for form in found]), axis=0)
        total = best if total is None else total + best
    return total
