"""Ranked passages -> an answer: the sentences that answer the question, each cited, or an
honest "not found in the articles".

Extractive on purpose: every word of an answer is a sentence of an article, so it can be
checked against its citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.chunk import split_sentences
from qa.extract import QuestionInfo, analyse_question, answer_spans, date_specificity, mentioned_terms
from qa.lexical import tokenize
from qa.lexicon import alternatives, segment
from qa.timeline import Occurrence, timeline
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
    if info.kind == "when":
        occurrences = _when_occurrences(info, candidates, passages, doc_text)
        if occurrences:
            return _render_timeline(question, occurrences, passages, rewritten)
    return _render(question, _choose(candidates), passages, rewritten)


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
    if _topic_absent(info, tokens, in_corpus):
        return True
    # The question wants a date/number/name and no retrieved sentence offers one.
    return info.kind in ("when", "number") and not any(c.spans for c in candidates)


def _topic_absent(info: QuestionInfo, tokens: set[str], in_corpus: Callable[[str], bool]) -> bool:
    """The question's own words (or their glossary translations) that neither the corpus nor
    the retrieved passages use: "penduduk" (population) in a corpus that never mentions it.
    Only words that could be checked count: for a question in the articles' language all of
    them, for an English one those the glossary can translate."""
    words = segment([t for t in info.terms if len(t) > 2 and not t[0].isdigit()])
    if not words:
        return False
    same_language = question_language(info.text) != "en" and sum(in_corpus(t) for t in words) / len(words) >= 0.6
    checkable = [t for t in words if same_language or len(alternatives(t)) > 1]
    unsupported = [t for t in checkable if not in_corpus(t) and not mentioned_terms([t], tokens)]
    return bool(checkable) and len(unsupported) / len(checkable) >= 0.25


_EN_CUES = frozenset("what who whom whose when where which why how did does do is are was were the of to "
                     "in on for and with about from".split())
_ID_CUES = frozenset("apa siapa kapan mana dimana berapa mengapa bagaimana apakah yang di ke dari pada dan "
                     "dengan untuk dalam oleh".split())


def question_language(question: str) -> str:
    """'en' or 'id' from function words; '' when there are none to go by."""
    words = re.findall(r"[a-z]+", question.lower())
    english, indonesian = sum(w in _EN_CUES for w in words), sum(w in _ID_CUES for w in words)
    if english == indonesian:
        return ""
    return "en" if english > indonesian else "id"


def _choose(candidates: list[Candidate]) -> list[Candidate]:
    """The best sentence, and up to two more nearly as good that add something new."""
    best = candidates[0]
    chosen = [best]
    for cand in candidates[1:]:
        if len(chosen) >= MAX_ANSWER_SENTENCES or cand.score < 0.85 * best.score:
            break
        if not any(_overlaps(cand, c) for c in chosen) and not _restates(cand, chosen):
            chosen.append(cand)
    return chosen


def _when_occurrences(info: QuestionInfo, candidates: list[Candidate], passages: list[Passage],
                      doc_text: Callable[[str], str] | None) -> list[Occurrence]:
    best = candidates[0].score
    needed = 1 if info.key_terms else 0
    eligible = [c for c in candidates if c.score >= 0.5 * best and c.key_hits >= needed][:15]
    return timeline(eligible, passages, doc_text, MAX_WHEN_OCCURRENCES)


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """The same sentence (overlapping chunks repeat sentences) or overlapping spans of one passage."""
    return a.text == b.text or (a.passage_index == b.passage_index and a.start < b.end and b.start < a.end)


def _restates(cand: Candidate, chosen: list[Candidate]) -> bool:
    tokens = set(tokenize(cand.text))
    for other in chosen:
        other_tokens = set(tokenize(other.text))
        if tokens and len(tokens & other_tokens) / len(tokens | other_tokens) > 0.5:
            return True
    return False


class _Citations:
    """Numbers passages as they are first cited."""

    def __init__(self, passages: list[Passage]):
        self.passages, self.items, self.number_of = passages, [], {}

    def cite(self, cand: Candidate) -> Citation:
        if cand.passage_index not in self.number_of:
            self.number_of[cand.passage_index] = len(self.items) + 1
            self.items.append(Citation(len(self.items) + 1, self.passages[cand.passage_index]))
        citation = self.items[self.number_of[cand.passage_index] - 1]
        if (cand.start, cand.end) not in citation.highlights:
            citation.highlights.append((cand.start, cand.end))
            citation.answer_spans.extend(cand.spans)
        return citation


def _render_timeline(question: str, occurrences: list[Occurrence], passages: list[Passage],
                     rewritten: str) -> Answer:
    """One line per occurrence, in time order: its best sentence, a second one if it names
    another day (arrived on Wednesday, met on Thursday). Other articles reporting the same
    occurrence are cited right after it as "also reported by", so each can be opened, but
    their sentences are not repeated."""
    lang = "id" if question_language(question) == "id" else "en"
    cites = _Citations(passages)
    lines = []
    for occurrence in occurrences:
        # The most precisely dated sentence speaks for the occurrence ("Rabu (18/10)" over "hari Rabu").
        members = sorted(occurrence.members, key=lambda d: (-date_specificity(d.candidate.text), -d.candidate.score))
        shown = [members[0]]
        for other in members[1:]:
            if other.days and not (other.days & shown[0].days) and other.candidate.text != shown[0].candidate.text:
                shown.append(other)
                break
        first = cites.cite(shown[0].candidate)
        line = f"{shown[0].candidate.text} [{first.n}]"
        also = _also_reporting(first, members, shown, cites, passages)
        if also:
            line += " (" + ("juga diberitakan " if lang == "id" else "also reported by ") + ", ".join(
                f"[{c.n}]" for c in also) + ")"
        for item in shown[1:]:
            line += f" {item.candidate.text} [{cites.cite(item.candidate).n}]"
        label = occurrence.label(lang)
        lines.append(f"- {label}: {line}" if label else f"- {line}")
    text = "\n".join(lines) if len(lines) > 1 else lines[0][2:]
    return Answer(question, text, cites.items, passages, False, rewritten)


def _also_reporting(primary: Citation, members: list, shown: list, cites: _Citations,
                    passages: list[Passage]) -> list[Citation]:
    """Citations for one sentence of each other article in the occurrence, backing ``primary``."""
    shown_docs = {passages[item.candidate.passage_index].doc_id for item in shown}
    cited_docs = {c.passage.doc_id for c in cites.items}
    out = []
    for item in members:
        doc = passages[item.candidate.passage_index].doc_id
        if doc in shown_docs or doc in cited_docs or doc in primary.also_reported_by:
            continue
        citation = cites.cite(item.candidate)
        citation.corroborates = primary.n
        primary.also_reported_by.append(doc)
        out.append(citation)
    return out


def _render(question: str, chosen: list[Candidate], passages: list[Passage], rewritten: str) -> Answer:
    cites = _Citations(passages)
    lines = [f"{cand.text} [{cites.cite(cand).n}]" for cand in chosen]
    _add_also_reported(chosen, cites, passages)
    return Answer(question, "\n".join(lines), cites.items, passages, False, rewritten)


def _add_also_reported(chosen: list[Candidate], cites: _Citations, passages: list[Passage]) -> None:
    """Other articles that state the same figure are named on the citation instead of being
    cited again."""
    for cand in chosen:
        citation = cites.cite(cand)
        facts = {cand.text[s - cand.start:e - cand.start].lower() for s, e in cand.spans}
        facts = {f for f in facts if any(ch.isdigit() for ch in f)}
        for index, passage in enumerate(passages):
            doc = passage.doc_id
            if index in cites.number_of or doc == citation.passage.doc_id or doc in citation.also_reported_by:
                continue
            if any(re.search(rf"(?<![\w.,]){re.escape(f)}(?![\w]|[.,]\d)", passage.text.lower()) for f in facts):
                citation.also_reported_by.append(doc)
