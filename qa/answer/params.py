"""Every weight of the answer step, named, in one object.

Those of the first version's rules (``NEWSQA_READER=off``) were set by hand while building it,
looking at the seeds gold set and the first 400 FacQA ``train`` questions; none was fitted on
FacQA ``valid``. With the reader (the default) only the last group applies, and its refusal is a
calibrated score stored with the reader (``qa.answer.reading.Refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerParams:
    # Which sentences are considered
    passages_read: int = 6  # top passages whose sentences are candidates (k is usually 5; one spare)
    rank_decay: float = 0.5  # a sentence in the passage at rank r starts from 1 / (1 + rank_decay * r)
    # How a candidate sentence is scored (on top of that prior and its share of question words)
    type_bonus: float = 0.35  # the sentence holds a span of the asked type (a date for "when")
    type_penalty: float = 0.25  # it holds none although the question asks for a type
    key_term_weight: float = 0.15  # per name or number of the question that it mentions
    # Which sentences are shown
    max_sentences: int = 3  # sentences in an answer that is not a timeline
    also_shown_ratio: float = 0.85  # a further sentence must score this share of the best one
    restates_overlap: float = 0.5  # word-set Jaccard above which a sentence repeats a chosen one
    # Timelines for "when" questions
    max_occurrences: int = 4  # lines of a timeline
    when_score_ratio: float = 0.5  # a dated sentence must score this share of the best sentence
    when_candidates: int = 15  # dated sentences considered for the timeline
    min_date_specificity: float = 0.6  # a weekday or month at least (qa.text.dates.date_specificity)
    # Disagreeing sources (qa.answer.conflicts): a sentence's value is compared when it scores this
    # share of the best sentence; the timeline's when_score_ratio, so what would enter a timeline counts.
    compared_score_ratio: float = 0.5
    # Refusal ("not found in the articles")
    passages_checked: int = 5  # passages whose words must cover the question's names
    topic_known_share: float = 0.6  # a question "in the articles' language" uses this share of known words
    topic_missing_share: float = 0.25  # refuse when this share of checkable topic words is nowhere
    # The reader's spans (NEWSQA_READER=on). A span's rank is its reader score (start + end logits)
    # plus this weight times its passage's retrieval score: the reader's scores are not comparable
    # across passages, retrieval's are. Chosen on FacQA and IDK-MRC valid by
    # `python -m training.span_ranking` (answer hit 0.28 -> 0.83 on Indonesian FacQA against 0).
    span_retrieval_weight: float = 50.0
    # ... plus this weight times the answerability probe's logit for the span's window: whether
    # that passage answers the question at all (trained on distractor passages too). Chosen the
    # same way, best mean answer hit over the three sets (1.0; 0.5 with the first-pass reader).
    span_probe_weight: float = 1.0
    span_score_gap: float = 3.0  # further sentences of a non-"when" answer must rank within this of the best
    min_span_margin: float = 0.0  # a shown span must beat its window's "no answer" score


DEFAULT_PARAMS = AnswerParams()
