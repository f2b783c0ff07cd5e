"""Ranked passages -> an answer: the sentences that answer the question, each cited, or an
honest "not found in the articles".

Extractive on purpose: every word of an answer is a sentence of an article, so it can be
checked against its citation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qa.chunk import split_sentences
from qa.extract import (
    QuestionInfo,
    analyse_question,
    answer_spans,
    date_key,
    latest_date_mentioned,
    mentioned_terms,
)
from qa.lexical import tokenize
from qa.types import Answer, Citation, Passage

NOT_FOUND = "Not found in the articles."
MAX_ANSWER_SENTENCES = 3
MAX_WHEN_OCCURRENCES = 4


@dataclass
class Candidate:
    passage_index: int
    start: int  # offsets in the document
    end: int
    text: str
    score: float
    spans: list[tuple[int, int]] = field(default_factory=list)  # answer spans, document offsets
    key_hits: int = 0


def compose_answer(question: str, passages: list[Passage], doc_text: Callable[[str], str] | None = None,
                   rewritten: str = "", in_corpus: Callable[[str], bool] | None = None) -> Answer:
    """``doc_text(doc_id)`` gives a whole article, used to place undated articles in time;
    ``in_corpus(term)`` tells whether any article uses a term at all."""
    info = analyse_question(rewritten or question)
    candidates = _candidates(info, passages)
    if _should_abstain(info, passages, candidates, in_corpus or (lambda term: False)):
        return Answer(question, NOT_FOUND, [], passages, True, rewritten)
    chosen = _choose(info, candidates, doc_text, passages)
    return _render(question, info, chosen, passages, rewritten)


def _candidates(info: QuestionInfo, passages: list[Passage]) -> list[Candidate]:
    terms = set(info.terms)
    out = []
    for index, passage in enumerate(passages[:6]):
        prior = 1.0 / (1.0 + 0.5 * index)
        for s, e in split_sentences(passage.text):
            sentence = passage.text[s:e]
            tokens = set(tokenize(sentence))
            overlap = len(mentioned_terms(sorted(terms), tokens)) / max(len(terms), 1)
            key_hits = len(mentioned_terms(info.key_terms, tokens))
            spans = [(passage.start + s + a, passage.start + s + b) for a, b in answer_spans(sentence, info.kind)]
            type_bonus = 0.35 if spans else (-0.25 if info.kind != "other" else 0.0)
            score = prior + overlap + type_bonus + 0.15 * key_hits
            out.append(Candidate(index, passage.start + s, passage.start + e, sentence, score, spans, key_hits))
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def _should_abstain(info: QuestionInfo, passages: list[Passage], candidates: list[Candidate],
                    in_corpus: Callable[[str], bool]) -> bool:
    if not passages or not candidates:
        return True
    tokens = set()
    for passage in passages[:5]:
        tokens.update(tokenize(passage.title + " " + passage.text))
    found = set(mentioned_terms(info.key_terms, tokens))
    missing = [t for t in info.key_terms if t not in found]
    # A name or number the question is about that no article mentions: the articles cannot
    # answer it. Names the corpus knows but the passages lack are weaker evidence.
    if any(not in_corpus(t) for t in missing) or len(missing) > len(info.key_terms) / 2:
        return True
    # The question wants a date/number/name and no retrieved sentence offers one.
    return info.kind in ("when", "number") and not any(c.spans for c in candidates)


def _choose(info: QuestionInfo, candidates: list[Candidate], doc_text: Callable[[str], str] | None,
            passages: list[Passage]) -> list[Candidate]:
    best = candidates[0]
    chosen = [best]
    limit = MAX_WHEN_OCCURRENCES if info.kind == "when" else MAX_ANSWER_SENTENCES
    for cand in candidates[1:]:
        if len(chosen) >= limit or cand.score < 0.7 * best.score:
            break
        if any(_overlaps(cand, c) for c in chosen):
            continue
        if info.kind == "when":
            if cand.spans and cand.key_hits >= max(1, best.key_hits - 1):
                chosen.append(cand)
        elif cand.score >= 0.85 * best.score and not _restates(cand, chosen):
            chosen.append(cand)
    if info.kind == "when" and len(chosen) > 1:
        chosen.sort(key=lambda c: _when_order(c, passages, doc_text))
    return chosen


def _overlaps(a: Candidate, b: Candidate) -> bool:
    same_doc = a.passage_index == b.passage_index or a.text == b.text
    return (same_doc and a.start < b.end and b.start < a.end) or a.text == b.text


def _restates(cand: Candidate, chosen: list[Candidate]) -> bool:
    tokens = set(tokenize(cand.text))
    for other in chosen:
        other_tokens = set(tokenize(other.text))
        if tokens and len(tokens & other_tokens) / len(tokens | other_tokens) > 0.5:
            return True
    return False


def _when_order(cand: Candidate, passages: list[Passage], doc_text: Callable[[str], str] | None) -> tuple[str, int]:
    passage = passages[cand.passage_index]
    fallback = passage.date or latest_date_mentioned(doc_text(passage.doc_id) if doc_text else passage.text)
    return (date_key(cand.text, fallback) or "9999", cand.start)


def _render(question: str, info: QuestionInfo, chosen: list[Candidate], passages: list[Passage],
            rewritten: str) -> Answer:
    citations: list[Citation] = []
    number_of: dict[int, int] = {}
    lines = []
    for cand in chosen:
        if cand.passage_index not in number_of:
            number_of[cand.passage_index] = len(citations) + 1
            passage = passages[cand.passage_index]
            citations.append(Citation(number_of[cand.passage_index], passage))
        citation = citations[number_of[cand.passage_index] - 1]
        citation.highlights.append((cand.start, cand.end))
        citation.answer_spans.extend(cand.spans)
        lines.append(f"{cand.text} [{citation.n}]")
    _add_also_reported(info, chosen, citations, passages, number_of)
    text = "\n".join(lines) if info.kind != "when" or len(lines) == 1 else "\n".join(f"- {line}" for line in lines)
    return Answer(question, text, citations, passages, False, rewritten)


def _add_also_reported(info: QuestionInfo, chosen: list[Candidate], citations: list[Citation],
                       passages: list[Passage], number_of: dict[int, int]) -> None:
    """Other articles that state the same fact (same answer span and key terms) are named on the
    citation instead of being cited again."""
    for cand in chosen:
        citation = citations[number_of[cand.passage_index] - 1]
        facts = {cand.text[s - cand.start:e - cand.start].lower() for s, e in cand.spans}
        if not facts:
            continue
        for index, passage in enumerate(passages):
            doc = passage.doc_id
            if doc == citation.passage.doc_id or doc in citation.also_reported_by:
                continue
            if index in number_of:
                continue
            lowered = passage.text.lower()
            if any(f in lowered for f in facts if any(ch.isdigit() for ch in f)):
                citation.also_reported_by.append(doc)
