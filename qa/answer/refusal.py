"""When to say "not found in the articles" instead of answering."""

from __future__ import annotations

from qa.answer.candidates import Candidate
from qa.answer.params import AnswerParams
from qa.question import QuestionInfo
from qa.text.dictionary import alternatives
from qa.text.matching import mentioned_terms
from qa.text.normalize import tokenize
from qa.types import Hits


def should_abstain(info: QuestionInfo, hits: Hits, ranked: list[Candidate], params: AnswerParams) -> bool:
    passages = hits.passages
    if not passages or not ranked:
        return True
    tokens = set()
    for passage in passages[: params.passages_checked]:
        tokens.update(tokenize(passage.title + " " + passage.text))
    found = set(mentioned_terms(info.key_terms, tokens))
    missing = [t for t in info.key_terms if t not in found]
    # A name or number the question is about that no article mentions: the articles cannot
    # answer it. Names the corpus knows but the passages lack are weaker evidence.
    if any(t not in hits.corpus_terms for t in missing) or len(missing) > len(info.key_terms) / 2:
        return True
    if _topic_absent(info, tokens, hits.corpus_terms, params):
        return True
    # The question wants a date/number/name and no retrieved sentence offers one.
    return info.kind in ("when", "number") and not any(c.spans for c in ranked)


def _topic_absent(info: QuestionInfo, tokens: set[str], corpus_terms: frozenset[str], params: AnswerParams) -> bool:
    """The question's own words (or their dictionary translations) that neither the corpus nor
    the retrieved passages use: "penduduk" (population) in a corpus that never mentions it.
    Only words that could be checked count: for a question in the articles' language all of
    them, for an English one those the dictionary can translate."""
    words = info.topic_words
    if not words:
        return False
    known_share = sum(t in corpus_terms for t in words) / len(words)
    same_language = info.lang != "en" and known_share >= params.topic_known_share
    checkable = [t for t in words if same_language or len(alternatives(t)) > 1]
    unsupported = [t for t in checkable if t not in corpus_terms and not mentioned_terms([t], tokens)]
    return bool(checkable) and len(unsupported) / len(checkable) >= params.topic_missing_share
