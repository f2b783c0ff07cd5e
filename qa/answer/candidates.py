"""Candidate answer sentences from the top passages, scored and chosen."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.answer.params import AnswerParams
from qa.question import QuestionInfo
from qa.text.entities import answer_spans
from qa.text.matching import mentioned_terms
from qa.text.normalize import tokenize
from qa.text.sentences import split_sentences
from qa.types import Passage


@dataclass
class Candidate:
    passage_index: int
    start: int  # offsets in the document
    end: int
    text: str
    score: float
    spans: list[tuple[int, int]] = field(default_factory=list)  # answer spans, document offsets
    key_hits: int = 0


def candidates(info: QuestionInfo, passages: list[Passage], params: AnswerParams) -> list[Candidate]:
    """Every sentence of the top passages, best first."""
    terms = sorted(set(info.terms))
    out = []
    for index, passage in enumerate(passages[: params.passages_read]):
        prior = 1.0 / (1.0 + params.rank_decay * index)
        for s, e in split_sentences(passage.text):
            sentence = passage.text[s:e]
            tokens = set(tokenize(sentence))
            overlap = len(mentioned_terms(terms, tokens)) / max(len(terms), 1)
            key_hits = len(mentioned_terms(info.key_terms, tokens))
            spans = [(passage.start + s + a, passage.start + s + b) for a, b in answer_spans(sentence, info.kind)]
            typed = params.type_bonus if spans else (-params.type_penalty if info.kind != "other" else 0.0)
            score = prior + overlap + typed + params.key_term_weight * key_hits
            out.append(Candidate(index, passage.start + s, passage.start + e, sentence, score, spans, key_hits))
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def choose(ranked: list[Candidate], params: AnswerParams) -> list[Candidate]:
    """The best sentence, and up to two more nearly as good that add something new."""
    best = ranked[0]
    chosen = [best]
    for cand in ranked[1:]:
        if len(chosen) >= params.max_sentences or cand.score < params.also_shown_ratio * best.score:
            break
        if not any(_overlaps(cand, c) for c in chosen) and not _restates(cand, chosen, params.restates_overlap):
            chosen.append(cand)
    return chosen


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """The same sentence (overlapping chunks repeat sentences) or overlapping spans of one passage."""
    return a.text == b.text or (a.passage_index == b.passage_index and a.start < b.end and b.start < a.end)


def _restates(cand: Candidate, chosen: list[Candidate], limit: float) -> bool:
    tokens = set(tokenize(cand.text))
    for other in chosen:
        other_tokens = set(tokenize(other.text))
        if tokens and len(tokens & other_tokens) / len(tokens | other_tokens) > limit:
            return True
    return False
