"""Ranked passages -> an answer: the sentences that answer the question, each cited, or an
honest "not found in the articles".

Extractive on purpose: every word of an answer is a sentence of an article, so it can be
checked against its citation. The steps: candidate sentences (``candidates``), refusal
(``refusal``), a timeline for "when" questions (``timeline``), and rendering (``render``);
every weight is in ``params.AnswerParams``.
"""

from __future__ import annotations

from qa.answer.candidates import candidates, choose
from qa.answer.params import DEFAULT_PARAMS, AnswerParams
from qa.answer.refusal import should_abstain
from qa.answer.render import render_sentences, render_timeline
from qa.answer.timeline import when_occurrences
from qa.question import QuestionInfo
from qa.text.language import detect_language
from qa.types import Answer, Hits

NOT_FOUND = "Not found in the articles."

__all__ = ["NOT_FOUND", "AnswerParams", "compose_answer"]


def compose_answer(question: str, info: QuestionInfo, hits: Hits, params: AnswerParams = DEFAULT_PARAMS) -> Answer:
    """Answer ``question`` (as asked) from ``hits``; ``info`` is the analysis of what was
    searched for (the question, completed from the conversation when it depended on it)."""
    rewritten = info.text if info.text != question else ""
    ranked = candidates(info, hits.passages, params)
    if should_abstain(info, hits, ranked, params):
        return Answer(question, NOT_FOUND, [], hits.passages, True, rewritten)
    if info.kind == "when":
        occurrences = when_occurrences(info, ranked, hits, params)
        if occurrences:
            # Timeline labels follow the language of the question as the person asked it.
            lang = detect_language(question) if rewritten else info.lang
            return render_timeline(question, lang, occurrences, hits.passages, rewritten)
    return render_sentences(question, choose(ranked, params), hits.passages, rewritten)

