"""Answers written by a chat model in the asker's language, every sentence checked.

The LangChain chain (LCEL): the extractive answer decides whether the articles answer the
question at all (a refused question never reaches the model) -> a prompt with the numbered
passages and the question -> the chat model -> the verifier (``qa.generation.verify``) ->
an ``Answer`` that keeps only the sentences it could check. When no sentence survives, or the
model fails or runs past its time budget, the extractive answer is returned and says so.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableBranch, RunnableLambda

from qa.generation.verify import CITATION, Verification, supporting_sentence, verify
from qa.text.sentences import split_sentences
from qa.types import Answer, Citation, Passage

log = logging.getLogger("qa")
LANGUAGE_NAMES = {"en": "English", "id": "Indonesian (Bahasa Indonesia)"}
# How much the model reads (the passages the quoted answer cites come first). Reading the prompt
# is most of the wait on a CPU: 3 x 500 characters gave the first word after 5.8 s, 2 x 300 after
# 3.8 s keeping as many written answers on FacQA (`python -m benchmarks.prompt_size`), but then
# the seeds' "when did Lavrov visit Pyongyang" drafts failed the checks: not adopted yet.
PROMPT_PASSAGES = 3
EXCERPT_CHARS = 500
PROMPT = ChatPromptTemplate.from_messages([
    ("system",
     "You answer a question about news articles using only the numbered passages below.\n\n{passages}\n\n"
     "Rules: reply in {language}, in one to three short sentences. End every sentence with the number of "
     "the passage it comes from, in square brackets, before the full stop, for example: "
     "\"Lavrov arrived on 18 October [2].\" Copy names, numbers and dates exactly as the passage gives them."),
    ("human", "{question}"),
])
FALLBACK = {
    "unverified": {"en": "(Quoted from the sources: a written answer could not be checked against them.)",
                   "id": "(Dikutip dari sumber: jawaban yang ditulis tidak dapat diperiksa terhadapnya.)"},
    "timeout": {"en": "(Quoted from the sources: writing an answer took too long.)",
                "id": "(Dikutip dari sumber: menulis jawaban terlalu lama.)"},
    "failed": {"en": "(Quoted from the sources: the language model is not available.)",
               "id": "(Dikutip dari sumber: model bahasa tidak tersedia.)"},
}


def prompt_inputs(question: str, excerpts: list[tuple[Passage, str]], lang: str) -> dict:
    numbered = "\n\n".join(f"[{i}] {' | '.join(x for x in (p.title, p.source, p.date) if x)}\n{text}"
                             for i, (p, text) in enumerate(excerpts, 1))
    return {"question": question, "passages": numbered, "language": LANGUAGE_NAMES.get(lang, "the question's language")}


def excerpt(passage: Passage, extractive: Answer, limit: int) -> str:
    """What the model reads of ``passage``: the sentences the quoted answer cites from it and their
    neighbours, else its opening, within ``limit`` characters (a small CPU reads a short prompt
    fast: docs/benchmarks.md). Sentences are checked against the whole passage."""
    sentences = split_sentences(passage.text)
    spans = [(s - passage.start, e - passage.start) for c in extractive.citations
             if (c.passage.doc_id, c.passage.start) == (passage.doc_id, passage.start) for s, e in c.highlights]
    first = next((i for i, (s, e) in enumerate(sentences) if spans and s < spans[0][1] and spans[0][0] < e), 0)
    chosen, length = [], 0
    for s, e in sentences[max(0, first - 1):]:
        if chosen and length + e - s > limit:
            break
        chosen.append(passage.text[s:e])
        length += e - s + 1
    return " ".join(chosen)[: max(limit, 1)]


def prompt_passages(extractive: Answer, count: int) -> list[Passage]:
    """The passages the quoted answer cites (where the reader found the answer) first, then the
    best other ones, ``count`` in all."""
    cited = [c.passage for c in extractive.citations if not c.corroborates]
    chosen: list[Passage] = []
    for passage in cited + extractive.passages:
        if len(chosen) < count and all((p.doc_id, p.start) != (passage.doc_id, passage.start) for p in chosen):
            chosen.append(passage)
    return chosen


def writing_chain(chat_model: BaseChatModel) -> Runnable:
    """{question, excerpts, lang} -> the draft, token by token when streamed."""
    return (RunnableLambda(lambda x: prompt_inputs(x["question"], x["excerpts"], x["lang"]))
            | PROMPT | chat_model | StrOutputParser())


def answer_chain(extractive: Runnable, chat_model: BaseChatModel) -> Runnable:
    """The whole chain for LangChain users: {question, lang} -> ``Answer``. ``extractive`` maps the
    input to the extractive ``Answer`` (retrieval and the reader's decision)."""
    writer = Writer(chat_model)
    return (RunnableLambda(lambda x: {**x, "answer": extractive.invoke(x)})
            | RunnableBranch((lambda x: x["answer"].abstained, RunnableLambda(lambda x: x["answer"])),
                             RunnableLambda(lambda x: writer.write(x["question"], x["answer"], x["lang"]))))


class Writer:
    """Writes answers with ``chat_model``, one at a time (a CPU runs one generation well), within
    ``budget_s`` seconds."""

    def __init__(self, chat_model: BaseChatModel, budget_s: float = 30.0, passages: int = PROMPT_PASSAGES,
                 excerpt_chars: int = EXCERPT_CHARS):
        self.chain = writing_chain(chat_model)
        self.budget_s, self.passages, self.excerpt_chars = budget_s, passages, excerpt_chars
        self._turn = threading.Lock()

    def write(self, question: str, extractive: Answer, lang: str) -> Answer:
        result = extractive
        for item in self.stream(question, extractive, lang):
            if isinstance(item, Answer):
                result = item
        return result

    def stream(self, question: str, extractive: Answer, lang: str) -> Iterator[str | Answer]:
        """The draft's text as it is written, then the checked ``Answer`` (or the extractive one)."""
        if extractive.abstained:
            yield extractive
            return
        passages = prompt_passages(extractive, self.passages)
        excerpts = [(p, excerpt(p, extractive, self.excerpt_chars)) for p in passages]
        inputs = {"question": question, "excerpts": excerpts, "lang": lang}
        draft, started = "", time.monotonic()
        with self._turn:
            try:
                for piece in self.chain.stream(inputs):
                    draft += piece
                    yield piece
                    if time.monotonic() - started > self.budget_s:
                        yield _fallback(extractive, "timeout", lang)
                        return
            except Exception as exc:  # noqa: BLE001 - any model or connection failure falls back the same way
                log.warning("The language model failed (%s); answering with quotes.", exc)
                yield _fallback(extractive, "failed", lang)
                return
        yield checked_answer(question, draft, passages, extractive, lang)


def checked_answer(question: str, draft: str, passages: list[Passage], extractive: Answer, lang: str) -> Answer:
    """The verified sentences of ``draft`` with renumbered citations; the extractive answer when
    none survives."""
    checked = verify(draft, passages)
    if not checked.kept:
        answer = _fallback(extractive, "unverified", lang)
        answer.dropped_sentences = len(checked.dropped)
        return answer
    text, citations = _renumbered(checked, passages, extractive)
    return Answer(question, text, citations, extractive.passages, False, extractive.rewritten_question,
                  extractive.confidence, extractive.filters, extractive.notes, generated=True,
                  verified_sentences=len(checked.kept), dropped_sentences=len(checked.dropped), lang=lang)


def _renumbered(checked: Verification, passages: list[Passage], extractive: Answer) -> tuple[str, list[Citation]]:
    """Citations numbered in order of first use, each highlighting the passage sentences that
    support what was written from it (and the extractive answer's marked span where it lies there)."""
    number: dict[int, int] = {}
    supported: dict[int, list[tuple[int, int]]] = {}
    sentences = []
    for sentence in checked.kept:
        marks = []
        for n in dict.fromkeys(sentence.cited):
            number.setdefault(n, len(number) + 1)
            span, spans = supporting_sentence(sentence.text, passages[n - 1]), supported.setdefault(n, [])
            if span not in spans:
                spans.append(span)
            marks.append(f"[{number[n]}]")
        body = CITATION.sub("", sentence.text).rstrip()
        end = body[-1] if body and body[-1] in ".!?" else ""
        sentences.append(f"{body.rstrip('.!?')} {''.join(marks)}{end or '.'}")
    quoted = {(c.passage.doc_id, c.passage.start): c for c in extractive.citations}
    citations = []
    for n, shown in sorted(number.items(), key=lambda item: item[1]):
        p, highlights = passages[n - 1], sorted(supported[n])
        known = quoted.get((p.doc_id, p.start))
        spans = [a for a in (known.answer_spans if known else []) if any(s <= a[0] < e for s, e in highlights)]
        citations.append(Citation(shown, p, highlights=highlights, answer_spans=spans))
    return re.sub(r"\s+", " ", " ".join(sentences)).strip(), citations


def _fallback(extractive: Answer, reason: str, lang: str) -> Answer:
    note = FALLBACK[reason]["id" if lang == "id" else "en"]
    answer = Answer(extractive.question, extractive.text, extractive.citations, extractive.passages,
                    extractive.abstained, extractive.rewritten_question, extractive.confidence, extractive.filters,
                    [*extractive.notes, note], quoted_instead=reason, lang=lang)
    return answer
