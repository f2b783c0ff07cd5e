"""Ranked passages -> an answer: the sentences that answer the question, each cited, or an
honest "not found in the articles".

Extractive on purpose: every word of an answer is a sentence of an article, so it can be
checked against its citation. The steps: candidate sentences (``candidates``), refusal
(``refusal``), a timeline for "when" questions (``timeline``), and rendering (``render``);
every weight is in ``params.AnswerParams``.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.candidates import candidates, choose
from qa.answer.conflicts import disagreement
from qa.answer.params import DEFAULT_PARAMS, AnswerParams
from qa.answer.reading import Refusal, read_candidates, refusal_features
from qa.answer.refusal import should_abstain
from qa.answer.render import render_disagreement, render_sentences, render_timeline
from qa.answer.timeline import timeline, when_occurrences
from qa.question import QuestionInfo
from qa.text.language import detect_language
from qa.types import Answer, Hits

NOT_FOUND = "Not found in the articles."
NOT_FOUND_BY_LANG = {"id": "Tidak ditemukan dalam artikel."}  # a refusal, like every answer, follows the question

__all__ = ["NOT_FOUND", "AnswerParams", "Reading", "Refusal", "compose_answer", "not_found"]


def not_found(lang: str) -> str:
    """What a refusal says, in the question's language (English when it is unknown)."""
    return NOT_FOUND_BY_LANG.get(lang, NOT_FOUND)


@dataclass(frozen=True)
class Reading:
    """What the reader found in the top passages (spans, best first) and how refusal is decided:
    the calibrated ``refusal`` score reads ``verified``, the verifier's spans in the same passages,
    when a verifier is shipped (``qa.reader.runtime.load_verifier``), else the reader's spans."""

    spans: list
    refusal: Refusal | None
    verified: list | None = None

    @property
    def refusal_spans(self) -> list:
        return self.spans if self.verified is None else self.verified


def compose_answer(question: str, info: QuestionInfo, hits: Hits, params: AnswerParams = DEFAULT_PARAMS,
                   reading: Reading | None = None) -> Answer:
    """Answer ``question`` (as asked) from ``hits``; ``info`` is the analysis of what was
    searched for (the question, completed from the conversation when it depended on it).
    With ``reading`` the reader's spans choose the answer and a calibrated score decides
    refusal; without it, the hand-set rules of the first version do (``NEWSQA_READER=off``).
    ``Answer.lang`` is the language of the question as asked: labels, and a written answer, follow it."""
    rewritten = info.text if info.text != question else ""
    lang = detect_language(question) if rewritten else info.lang
    if reading is not None:
        answer = _from_reading(question, info, hits, params, reading, rewritten, lang)
    else:
        answer = _from_rules(question, info, hits, params, rewritten, lang)
    answer.lang = lang
    return answer


def _from_rules(question: str, info: QuestionInfo, hits: Hits, params: AnswerParams, rewritten: str,
                lang: str) -> Answer:
    ranked = candidates(info, hits.passages, params)
    if should_abstain(info, hits, ranked, params):
        return Answer(question, not_found(lang), [], hits.passages, True, rewritten)
    if info.kind == "when":
        occurrences = when_occurrences(info, ranked, hits, params)
        if occurrences:
            return render_timeline(question, lang, occurrences, hits.passages, rewritten)
    if info.kind == "number":  # the rules' name spans are any capitalised words: too loose to compare
        near = [c for c in ranked if c.score >= params.compared_score_ratio * ranked[0].score]
        if positions := disagreement(info.kind, near, hits.passages):
            return render_disagreement(question, lang, positions, hits.passages, rewritten)
    return render_sentences(question, choose(ranked, params), hits.passages, rewritten)


def _from_reading(question: str, info: QuestionInfo, hits: Hits, params: AnswerParams, reading: Reading,
                  rewritten: str, lang: str) -> Answer:
    features = refusal_features(info, reading.refusal_spans, hits, reading.refusal.features, params)
    confidence = reading.refusal.probability(features) if hits.passages else 0.0
    ranked = read_candidates(info, reading.spans, hits, params)
    if confidence < reading.refusal.threshold or not ranked:
        answer = Answer(question, not_found(lang), [], hits.passages, True, rewritten)
    elif info.kind == "when" and (occurrences := timeline(ranked, hits, params)):
        answer = render_timeline(question, lang, occurrences, hits.passages, rewritten)
    elif info.kind in ("number", "who", "where") and (positions := disagreement(info.kind, ranked, hits.passages)):
        answer = render_disagreement(question, lang, positions, hits.passages, rewritten)
    else:
        answer = render_sentences(question, ranked[:1], hits.passages, rewritten)
    answer.confidence = round(confidence, 4)
    return answer

