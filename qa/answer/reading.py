"""Answers from the reader's spans: the sentences holding the best spans, the span itself
marked, or a timeline for "when" questions; refusal from a calibrated score, not from rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qa.answer.candidates import Candidate
from qa.answer.params import DEFAULT_PARAMS, AnswerParams
from qa.question import QuestionInfo
from qa.text.entities import answer_spans
from qa.text.matching import mentioned_terms
from qa.text.normalize import tokenize
from qa.text.sentences import split_sentences
from qa.types import Hits

TYPED_KINDS = ("when", "number", "who", "where")


@dataclass(frozen=True)
class Refusal:
    """P(the articles answer the question) = logistic(w . features + bias); refused below
    ``threshold``. Fitted on train-split questions and its threshold chosen on the dev sets by
    the rule in docs/evaluation.md (``python -m training.calibrate``); stored in the reader's
    manifest."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    features: tuple[str, ...] = ("margin",)

    def logit(self, values: dict[str, float]) -> float:
        return self.bias + sum(w * values[name] for w, name in zip(self.weights, self.features))

    def probability(self, values: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(values)))))

    @classmethod
    def from_manifest(cls, data: dict) -> Refusal:
        return cls(tuple(data["weights"]), float(data["bias"]), float(data["threshold"]), tuple(data["features"]))


FEATURES = ("margin", "top_score", "answerable", "answerable_max", "chosen_answerable", "chosen_margin",
            "first_answerable", "first_margin", "margin_max", "coverage", "type_match")
PROBE_FEATURES = frozenset({"answerable", "answerable_max", "chosen_answerable", "first_answerable"})  # need the probe
NO_SPAN = -20.0  # a feature's value when the reader found no span at all


def refusal_features(info: QuestionInfo, spans: list, hits: Hits, names: tuple[str, ...] = FEATURES,
                     params: AnswerParams = DEFAULT_PARAMS) -> dict[str, float]:
    """The features ``names`` that the refusal score may look at (the calibration chooses which
    and their weights): the reader's margin over "no answer" and the answerability probe's logit
    for the span with the highest reader score, the probe's highest logit over every window read,
    the same two for the span the answer shows (``span_rank``'s best) and for the span of the
    best-retrieved passage that has one, the reader's highest margin, the top retrieval score, how
    much of the question the sentence holding the best span mentions (as written, translated or
    inflected), and whether the span is of the asked type (a date for "when", a figure for "how
    many"; 0 for other questions). Only the features asked for are computed: at question time,
    those of the calibrated score."""
    chosen = max(spans, key=lambda span: span_rank(span, hits, params)) if spans else None
    first = min(spans, key=lambda span: span.passage_index) if spans else None  # best-retrieved passage's
    values = {"margin": spans[0].margin if spans else NO_SPAN,
              "top_score": hits.top_score,
              "answerable": spans[0].answerable if spans else NO_SPAN,
              "answerable_max": max((span.answerable for span in spans), default=NO_SPAN),
              "chosen_answerable": chosen.answerable if chosen else NO_SPAN,
              "chosen_margin": chosen.margin if chosen else NO_SPAN,
              "first_answerable": first.answerable if first else NO_SPAN,
              "first_margin": first.margin if first else NO_SPAN,
              "margin_max": max((span.margin for span in spans), default=NO_SPAN)}
    if not {"coverage", "type_match"} & set(names):
        return values
    values.update(coverage=0.0, type_match=0.0)
    if spans and hits.passages:
        best = spans[0]
        passage = hits.passages[best.passage_index]
        around = sentence_around(passage.text, best.start, best.end) or (best.start, best.end)
        words = [t for t in info.topic_words if t not in info.key_terms] or info.topic_words
        tokens = set(tokenize(passage.text[around[0]:around[1]]))
        values["coverage"] = len(mentioned_terms(words, tokens)) / len(words) if words else 1.0
        if info.kind in TYPED_KINDS:
            values["type_match"] = 1.0 if answer_spans(passage.text[best.start:best.end], info.kind) else -1.0
    return values


def read_candidates(info: QuestionInfo, spans: list, hits: Hits, params: AnswerParams) -> list[Candidate]:
    """One candidate per sentence holding a span close to the best one, best first (ranked by
    ``span_rank``)."""
    if not spans:
        return []
    ranked = sorted(((span_rank(span, hits, params), span) for span in spans), key=lambda pair: -pair[0])
    best = ranked[0][0]
    out: list[Candidate] = []
    for rank, span in ranked:
        # Whether to answer at all is the calibrated refusal's decision, so the best span always
        # stands. A timeline adds every dated occurrence the reader found (each span that beats its
        # window's "no answer"); other answers add only spans close to the best.
        close = info.kind == "when" or rank >= best - params.span_score_gap
        if span is not ranked[0][1] and (span.margin < params.min_span_margin or not close):
            continue
        passage = hits.passages[span.passage_index]
        sentence = sentence_around(passage.text, span.start, span.end)
        if sentence is None:
            continue
        s, e = sentence
        text = passage.text[s:e]
        marked = [(passage.start + span.start, passage.start + span.end)]
        if info.kind == "when":  # the dates the sentence states, for the timeline
            marked += [(passage.start + s + a, passage.start + s + b) for a, b in answer_spans(text, "when")]
        cand = Candidate(span.passage_index, passage.start + s, passage.start + e, text, rank,
                         sorted(set(marked)), key_hits=1)
        if not any(c.text == cand.text for c in out):
            out.append(cand)
    return out


def span_rank(span, hits: Hits, params: AnswerParams) -> float:
    """The reader's score, plus weighted the passage's retrieval score and the answerability
    probe's logit: the reader's own scores are not comparable across passages."""
    return (span.score + params.span_retrieval_weight * hits.passages[span.passage_index].score
            + params.span_probe_weight * span.answerable)


def sentence_around(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The sentence(s) of ``text`` covering ``[start, end)``."""
    covering = [(s, e) for s, e in split_sentences(text) if s < end and start < e]
    return (covering[0][0], covering[-1][1]) if covering else None
