"""Plain dataclasses that flow through the pipeline: files -> documents -> chunks -> passages -> answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One article. ``text`` is the text as stored in the index; offsets point into it."""

    id: str
    text: str
    title: str = ""
    source: str = ""
    dateline: str = ""
    date: str = ""
    url: str = ""
    lang: str = ""
    path: str = ""


@dataclass(frozen=True)
class Chunk:
    """A span of a document: ``text == document.text[start:end]`` always holds."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass
class Passage:
    """A retrieved chunk with its score and the document's metadata, ready to cite."""

    doc_id: str
    start: int
    end: int
    text: str
    score: float
    title: str = ""
    source: str = ""
    date: str = ""
    chunk_id: int = -1

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("chunk_id")
        data["score"] = round(float(self.score), 4)
        return data


@dataclass
class Hits:
    """What retrieval hands to the answer step: the ranked passages and the facts about the
    corpus the answer needs, so that it never reaches back into the store."""

    passages: list[Passage]
    corpus_terms: frozenset[str] = frozenset()  # the question's checked terms that some article uses
    article_dates: dict[str, str] = field(default_factory=dict)  # doc id -> latest date it mentions
    article_days: dict[str, dict] = field(default_factory=dict)  # doc id -> weekday/(day, month) -> date it gives
    # The top passage's score with the question's own vector, when a query adapter moved the
    # vector that ranked the passages: the score the refusal was calibrated on.
    unadapted_top_score: float | None = None

    @property
    def top_score(self) -> float:
        if self.unadapted_top_score is not None:
            return self.unadapted_top_score
        return self.passages[0].score if self.passages else 0.0


@dataclass
class Citation:
    """A numbered passage that supports the answer; ``[n]`` in the answer text points here."""

    n: int
    passage: Passage
    also_reported_by: list[str] = field(default_factory=list)
    highlights: list[tuple[int, int]] = field(default_factory=list)  # cited sentences, document offsets
    answer_spans: list[tuple[int, int]] = field(default_factory=list)  # the answer itself (date, number...)
    corroborates: int = 0  # for an "also reported by" citation: the n of the citation it backs up

    def to_dict(self) -> dict:
        return {"n": self.n, **self.passage.to_dict(), "also_reported_by": list(self.also_reported_by),
                "corroborates": self.corroborates,
                "highlights": [list(h) for h in self.highlights],
                "answer_spans": [list(s) for s in self.answer_spans]}


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation]
    passages: list[Passage]
    abstained: bool
    rewritten_question: str = ""
    confidence: float | None = None  # the reader's calibrated P(the articles answer it); None without the reader
    filters: dict = field(default_factory=dict)  # the metadata filters the search applied (dates as YYYY-MM-DD)
    notes: list[str] = field(default_factory=list)  # what was searched and left out ("Searching articles dated ...")
    generated: bool = False  # written by a language model (NEWSQA_LLM), each sentence checked; else quoted
    verified_sentences: int = 0  # sentences of the written answer that passed the check
    dropped_sentences: int = 0  # sentences it dropped (a number, date or name not in the cited passages...)
    # Why a quoted answer stands in for a written one: "unverified", "timeout" or "failed"; "" otherwise.
    quoted_instead: str = ""
    lang: str = ""  # the language of the question as asked ("id", "en"): labels and written answers follow it

    def to_dict(self) -> dict:
        data = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "filters": self.filters,
            "notes": self.notes,
            "generated": self.generated,
            "verified_sentences": self.verified_sentences,
            "dropped_sentences": self.dropped_sentences,
            "quoted_instead": self.quoted_instead,
            "lang": self.lang,
        }
        if self.rewritten_question and self.rewritten_question != self.question:
            data["rewritten_question"] = self.rewritten_question
        return data


@dataclass
class Problem:
    """A file or record that was skipped, with the reason a person can act on."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class IndexReport:
    """What an indexing run did."""

    index_dir: str
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: read, chunk, embed, write


@dataclass
class UploadReport:
    """What ``Assistant.add_files`` did: the articles added (id, title) and every file refused."""

    added: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    documents_in_index: int = 0
