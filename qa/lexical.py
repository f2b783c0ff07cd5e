"""BM25 over chunks (bm25s), on the tokens of ``qa.text.normalize``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa.text.dictionary import lemma, lemma_families, phrases
from qa.text.normalize import tokenize

# A word matched only through a dictionary translation scores this share of a word the question
# itself uses (chosen on the first 400 FacQA train questions, docs/evaluation.md).
TRANSLATION_WEIGHT = 0.7


class LexicalIndex:
    """BM25 scores for chunk rows; saved as bm25s's numpy arrays and JSON."""

    def __init__(self, retriever, n_docs: int):
        self.retriever, self.n_docs = retriever, n_docs
        self.vocab: dict[str, int] = retriever.vocab_dict
        self._families: dict[str, list[str]] | None = None

    @property
    def families(self) -> dict[str, list[str]]:
        """Indonesian lemma -> the index's words of that lemma (built on first use)."""
        if self._families is None:
            self._families = lemma_families(self.vocab)
        return self._families

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [tokenize(t) or ["\u2400"] for t in texts]  # an empty chunk still takes a row
        if texts:
            retriever.index(corpus, show_progress=False)
        else:
            retriever.vocab_dict = {}
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

    def search(self, tokens: list[str], k: int, expand: bool = False,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, rows) for the query ``tokens`` (``qa.text.normalize.tokenize``);
        rows with score 0 are left out.

        ``expand`` also matches the Indonesian renderings of English words (``qa.text.dictionary``),
        in every form the index holds: a translated word counts once, as the best of its renderings,
        and a little less than a word the question itself uses. ``allowed``: only these rows
        (a metadata filter)."""
        if not self.n_docs:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = expanded_scores(tokens, self._scores, self.forms) if expand else self._scores(tokens)
        if scores is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if allowed is not None:
            kept = np.zeros_like(scores)
            kept[allowed] = scores[allowed]
            scores = kept
        return top_scores(scores, k)

    def _scores(self, tokens: list[str]) -> np.ndarray | None:
        terms = self.known_terms(tokens)
        return self.retriever.get_scores(terms) if terms else None

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
