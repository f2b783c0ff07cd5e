"""Question -> ranked passages: dense (FAISS), lexical (BM25) or hybrid.

Hybrid scoring is ``cosine + weight * coverage * bm25 / max_bm25`` over the union of both
candidate lists. ``coverage`` is the share of the question's terms that occur in
the corpus at all, so an English question over Indonesian articles (few shared words but
names) leans on the multilingual dense side, while a question in the articles' own language
gets the full benefit of exact term matches. English words reach Indonesian text through
the FreeDict dictionary and Indonesian lemmas (``qa.text.dictionary``); as an option, an English
question's vector is moved towards where its Indonesian wording would be
(``embeddings.query_adapter``). On top: a bonus for
passages holding the asked answer type (a precise date for "when"), and article diversity for
"when" questions. It beat both
dense alone and reciprocal-rank fusion on both gold sets (docs/evaluation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embeddings.models import Embedder
from embeddings.query_adapter import QueryAdapter
from qa.errors import QAError
from qa.filters import Filters
from qa.lexical import TRANSLATION_WEIGHT
from qa.question import QuestionInfo
from qa.stores.base import StoreReader
from qa.text.dates import date_specificity, dated_days, latest_date_mentioned
from qa.text.entities import answer_spans
from qa.text.matching import known_to, mentioned_terms
from qa.text.normalize import tokenize
from qa.text.sentences import split_sentences
from qa.types import Hits, Passage

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class HybridParams:
    """Weights of hybrid retrieval; the first four come from ``Settings`` (documented there)."""

    lexical_weight: float = 0.15
    answer_type_weight: float = 0.05
    diversity_penalty: float = 0.02
    fusion: str = "weighted"  # or "rrf": equal-weight reciprocal-rank fusion (measured, worse)
    candidates: int = 50  # candidates taken from each side before fusion


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise QAError(f"Unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}.")
    return mode


class Retriever:
    def __init__(self, store: StoreReader, embedder: Embedder, params: HybridParams | None = None,
                 adapter: QueryAdapter | None = None):
        self.store, self.embedder = store, embedder
        self.params = params or HybridParams()
        self.adapter = adapter  # moves the query vectors of questions in its language (English)

    def hits(self, info: QuestionInfo, k: int = 5, mode: str = "hybrid", filters: Filters | None = None) -> Hits:
        """The ranked passages for ``info`` plus what the answer step needs to know about the corpus."""
        check_mode(mode)
        own, ranking = self._vectors(info, mode)
        passages = self._search(info, ranking, k, mode, filters)
        vocab = self.store.vocabulary
        known = frozenset(t for t in info.checked_terms if known_to(t, vocab))
        dates, days = {}, {}
        if info.kind == "when":  # each article's own dates place its sentences in time
            for doc_id in {p.doc_id for p in passages}:
                doc = self.store.document(doc_id)
                if doc is None:
                    continue
                if not doc.date:  # an undated article happened no earlier than the latest date it mentions
                    dates[doc_id] = latest_date_mentioned(doc.text)
                latest = dates.get(doc_id, "")
                days[doc_id] = dated_days(doc.text, doc.date[:4] or (latest[:4] if len(latest) >= 7 else ""))
        return Hits(passages, known, dates, days, self._unadapted_top_score(own, ranking, passages))

    def search(self, info: QuestionInfo, k: int = 5, mode: str = "hybrid",
               filters: Filters | None = None) -> list[Passage]:
        check_mode(mode)
        return self._search(info, self._vectors(info, mode)[1], k, mode, filters)

    def query_vector(self, info: QuestionInfo) -> np.ndarray:
        return self._vectors(info, "dense")[1]

    def _vectors(self, info: QuestionInfo, mode: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The question's own vector and the one that ranks passages (moved by the adapter when
        the question is in its language); neither for BM25."""
        if mode == "bm25":
            return None, None
        own = self.embedder.embed_query(info.text)
        if self.adapter is not None and info.lang == self.adapter.language:
            return own, self.adapter.apply(own)
        return own, own

    def _search(self, info: QuestionInfo, query: np.ndarray | None, k: int, mode: str,
                filters: Filters | None) -> list[Passage]:
        if k <= 0 or self.store.n_chunks == 0:
            return []
        if mode == "bm25":
            scores, rows = self.store.lexical_search(info.terms, k, filters=filters)
        elif mode == "dense":
            scores, rows = self.store.dense_search(query, k, filters)
        else:
            scores, rows = self._hybrid(info, query, k, filters)
        return self._passages(rows, scores)

    def _unadapted_top_score(self, own: np.ndarray | None, ranking: np.ndarray | None,
                             passages: list[Passage]) -> float | None:
        """The top passage's score with the question's own vector in place of the adapted one.
        The adapter moves English vectors to where Indonesian ones score, which would read as
        stronger evidence to a refusal calibrated without it (measured: docs/evaluation.md)."""
        if not passages or own is ranking:  # not moved (or no vectors: BM25)
            return None
        vector = self.store.vectors_of([passages[0].chunk_id])[0]
        return passages[0].score - float(vector @ ranking) + float(vector @ own)

    def _hybrid(self, info: QuestionInfo, query: np.ndarray, k: int,
                filters: Filters | None) -> tuple[np.ndarray, np.ndarray]:
        n = max(self.params.candidates, k)
        dense_scores, dense_rows = self.store.dense_search(query, n, filters)
        lex_scores, lex_rows = self.store.lexical_search(info.terms, n, expand=True, filters=filters)
        if self.params.fusion == "rrf":  # plain reciprocal-rank fusion, kept for comparison
            return _reciprocal_rank_fusion(dense_rows, lex_rows, k)
        rows = np.unique(np.concatenate([dense_rows, lex_rows]))
        dense = dict(zip(dense_rows.tolist(), dense_scores.tolist()))
        missing = [r for r in rows.tolist() if r not in dense]
        if missing:  # BM25-only candidates: score them with their stored vectors
            vectors = self.store.vectors_of(missing)
            dense.update(zip(missing, (vectors @ query).tolist()))
        lexical = np.zeros(len(rows), np.float32)
        if len(lex_rows):
            by_row = dict(zip(lex_rows.tolist(), (lex_scores / lex_scores.max()).tolist()))
            lexical = np.array([by_row.get(r, 0.0) for r in rows.tolist()], np.float32)
        weight = self.params.lexical_weight * self.coverage(info.terms)
        combined = np.array([dense[r] for r in rows.tolist()], np.float32) + weight * lexical
        # Both re-rankings below look only at the best 3k candidates (the bonus only raises
        # those, so they stay the best 3k): read their texts once.
        top = np.argsort(-combined, kind="stable")[: 3 * k]
        chunks = {c.row: c for c in self.store.chunks(rows[top].tolist())}
        combined = self._answer_type_bonus(info, rows, combined, top, chunks)
        # A "when" question can have several true answers across articles (a timeline), so
        # its top passages are spread over articles; other questions keep the plain ranking.
        penalty = self.params.diversity_penalty if info.kind == "when" else 0.0
        return self._diversify(rows, combined, k, penalty, chunks)

    def _diversify(self, rows: np.ndarray, scores: np.ndarray, k: int, penalty: float,
                   chunks: dict) -> tuple[np.ndarray, np.ndarray]:
        """Greedy re-ranking that lowers a chunk's score for each better chunk of the same
        article already chosen, so the top passages come from several articles when they
        are about equally good (news facts are reported by many outlets)."""
        order = np.argsort(-scores, kind="stable")[: 3 * k]
        if penalty <= 0:
            order = order[:k]
            return scores[order], rows[order]
        remaining = list(order)
        chosen, chosen_scores, per_doc = [], [], {}
        while remaining and len(chosen) < k:
            docs = [chunks[int(rows[i])].doc_id for i in remaining]
            adjusted = [scores[i] - penalty * per_doc.get(doc, 0) for i, doc in zip(remaining, docs)]
            pick = int(np.argmax(adjusted))
            chosen.append(remaining.pop(pick))
            chosen_scores.append(adjusted[pick])
            per_doc[docs[pick]] = per_doc.get(docs[pick], 0) + 1
        return np.array(chosen_scores, np.float32), rows[np.array(chosen, dtype=np.int64)]

    def _answer_type_bonus(self, info, rows: np.ndarray, scores: np.ndarray, top: np.ndarray,
                           chunks: dict) -> np.ndarray:
        """Favour passages with a sentence that names the question's subject *and* holds an
        answer of the asked type: for "when", the more precise the date the better."""
        if self.params.answer_type_weight <= 0 or info.kind not in ("when", "number"):
            return scores
        terms = info.key_terms or info.terms
        scores = scores.copy()
        for i in top:
            text = chunks[int(rows[i])].text
            scores[i] += self.params.answer_type_weight * _best_sentence_evidence(text, info.kind, terms)
        return scores

    def coverage(self, terms: list[str]) -> float:
        """Share of the question's content terms that occur anywhere in the corpus, as written
        (1) or as a dictionary translation (``TRANSLATION_WEIGHT``)."""
        if not terms:
            return 0.0
        vocab = self.store.vocabulary
        known = sum(1.0 if t in vocab else TRANSLATION_WEIGHT if known_to(t, vocab) else 0.0 for t in terms)
        return known / len(terms)

    def _passages(self, rows: np.ndarray, scores: np.ndarray) -> list[Passage]:
        chunks = self.store.chunks(rows.tolist())
        score_of = dict(zip(rows.tolist(), scores.tolist()))
        passages = []
        for chunk in chunks:
            meta = self.store.document_meta(chunk.doc_id)
            passages.append(Passage(
                doc_id=chunk.doc_id, start=chunk.start, end=chunk.end, text=chunk.text,
                score=float(score_of[chunk.row]), title=meta.get("title", ""),
                source=meta.get("source", ""), date=meta.get("date", ""), chunk_id=chunk.row,
            ))
        return passages


def _best_sentence_evidence(text: str, kind: str, terms: list[str]) -> float:
    """Best over sentences of (answer-type strength) x (how much of the subject is named, half
    in the sentence itself and half anywhere in the passage)."""
    def share(tokens: set[str]) -> float:
        return len(mentioned_terms(terms, tokens)) / len(terms) if terms else 1.0

    in_passage = share(set(tokenize(text)))
    best = 0.0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        typed = date_specificity(sentence) if kind == "when" else float(bool(answer_spans(sentence, kind)))
        if typed:
            best = max(best, typed * (0.5 * share(set(tokenize(sentence))) + 0.5 * in_passage))
    return best


def _reciprocal_rank_fusion(dense_rows: np.ndarray, lex_rows: np.ndarray, k: int, c: int = 60):
    scores: dict[int, float] = {}
    for ranked in (dense_rows.tolist(), lex_rows.tolist()):
        for rank, row in enumerate(ranked, start=1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (c + rank)
    best = sorted(scores, key=scores.get, reverse=True)[:k]
    return np.array([scores[r] for r in best], np.float32), np.array(best, np.int64)
