"""Chosen sentences -> the answer text with numbered citations."""

from __future__ import annotations

import re

from qa.answer.candidates import Candidate
from qa.answer.timeline import Occurrence
from qa.text.dates import date_specificity
from qa.types import Answer, Citation, Passage


class Citations:
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


def render_timeline(question: str, lang: str, occurrences: list[Occurrence], passages: list[Passage],
                    rewritten: str) -> Answer:
    """One line per occurrence, in time order: its best sentence, a second one if it names
    another day (arrived on Wednesday, met on Thursday). Other articles reporting the same
    occurrence are cited right after it as "also reported by", so each can be opened, but
    their sentences are not repeated."""
    lang = "id" if lang == "id" else "en"
    cites = Citations(passages)
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


def _also_reporting(primary: Citation, members: list, shown: list, cites: Citations,
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


def render_sentences(question: str, chosen: list[Candidate], passages: list[Passage], rewritten: str) -> Answer:
    cites = Citations(passages)
    lines = [f"{cand.text} [{cites.cite(cand).n}]" for cand in chosen]
    _add_also_reported(chosen, cites, passages)
    return Answer(question, "\n".join(lines), cites.items, passages, False, rewritten)


def _add_also_reported(chosen: list[Candidate], cites: Citations, passages: list[Passage]) -> None:
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


def render_disagreement(question: str, lang: str, positions: list, passages: list[Passage],
                        rewritten: str) -> Answer:
    """Each value the sources give, with the sentence that states it and every article behind it."""
    cites = Citations(passages)
    lines = ["Sumber berbeda:" if lang == "id" else "The sources differ:"]
    for position in positions:
        first, *others = position.members
        citation = cites.cite(first)
        line = f"- {position.label}: {first.text} [{citation.n}]"
        backing = []
        for other in others:
            if passages[other.passage_index].doc_id in {citation.passage.doc_id, *citation.also_reported_by}:
                continue
            extra = cites.cite(other)
            extra.corroborates = citation.n
            citation.also_reported_by.append(extra.passage.doc_id)
            backing.append(extra)
        if backing:
            line += " (" + ("juga diberitakan " if lang == "id" else "also reported by ") + ", ".join(
                f"[{c.n}]" for c in backing) + ")"
        lines.append(line)
    return Answer(question, "\n".join(lines), cites.items, passages, False, rewritten)
