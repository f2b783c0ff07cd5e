"""BM25 over chunks (bm25s), with a tokeniser suited to Indonesian and English news.

Numbers such as ``1.000``, ``19/10/2023`` or ``3,5`` stay whole; text is lower-cased and
accents folded; common function words of both languages are dropped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"\d+(?:[.,/:\-]\d+)*|[^\W\d_]+", re.UNICODE)
STOPWORDS = frozenset("""
yang dan di ke dari untuk dengan pada ini itu tidak akan telah dalam adalah oleh juga kata bahwa
karena sebagai atau mereka kami kita saat sudah lebih ia dia nya para sebuah se tersebut serta
bagi antara hal ada dapat bisa menjadi namun tetapi jika maka pun lalu kepada secara setelah
apa siapa kapan dimana mana berapa mengapa bagaimana apakah manakah
the a an and or of to in on at for with by from as is are was were be been being it its this that
these those not no will would has have had do does did what who whom when where which why how
there their they them he she his her we our you your i me my also than then so such into about
""".split())


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str, keep_stopwords: bool = False) -> list[str]:
    tokens = _TOKEN.findall(fold(text))
    return tokens if keep_stopwords else [t for t in tokens if t not in STOPWORDS]


TRANSLATION_WEIGHT = 0.7


class LexicalIndex:
    """BM25 scores for chunk rows; saved as bm25s's numpy arrays and JSON."""

    def __init__(self, retriever, n_docs: int):
        self.retriever, self.n_docs = retriever, n_docs
        self.vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [tokenize(t) or ["\u2400"] for t in texts]  # an empty chunk still takes a row
        if texts:
            retriever.index(corpus, show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.n_docs:
            self.retriever.save(str(folder), allow_pickle=False)
        (folder / "newsqa_bm25.json").write_text(json.dumps({"n_docs": self.n_docs}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        n_docs = json.loads((folder / "newsqa_bm25.json").read_text())["n_docs"]
        retriever = bm25s.BM25.load(str(folder), mmap=True, allow_pickle=False) if n_docs else bm25s.BM25()
        if not n_docs:
            retriever.vocab_dict = {}
        return cls(retriever, n_docs)

    def known_terms(self, terms: list[str]) -> list[str]:
        return [t for t in terms if t in self.vocab]

    def search(self, query: str, k: int, expand: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, rows) for ``query``; rows with score 0 are left out.

        ``expand`` also matches the Indonesian renderings of English news words (see
        ``qa.lexicon``): a translated word counts once, as the best of its renderings, and a
        little less than a word the question itself uses."""
        if not self.n_docs:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self._expanded_scores(tokenize(query)) if expand else self._scores(tokenize(query))
        if scores is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top].astype(np.float32), top.astype(np.int64)

    def _scores(self, tokens: list[str]) -> np.ndarray | None:
        terms = self.known_terms(tokens)
        return self.retriever.get_scores(terms) if terms else None

    def _expanded_scores(self, tokens: list[str]) -> np.ndarray | None:
        from qa.lexicon import phrases

        total, in_phrase = None, set()
        for phrase, renderings in phrases(tokens):
            in_phrase.update(phrase)
            options = [self._scores(list(phrase))] + [
                None if s is None else TRANSLATION_WEIGHT * s for s in (self._scores(list(r)) for r in renderings)]
            options = [o for o in options if o is not None]
            if options:
                best = np.max(np.stack(options), axis=0)
                total = best if total is None else total + best
        rest = self._scores([t for t in tokens if t not in in_phrase])
        if rest is not None:
            total = rest if total is None else total + rest
        return total
