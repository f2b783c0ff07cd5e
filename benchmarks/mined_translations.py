"""English words to Indonesian ones mined from the encoder itself, measured against the FreeDict
dictionary on English questions (issue 13, item 3).

    .venv/bin/python -m benchmarks.mined_translations --index .cache/calibration/facqa-index \
        --gold ../shared/data/facqa/qa_en.jsonl --split valid

An index's own words (alphabetic, at least 3 letters) are embedded once, as queries. A question
word the corpus never uses is embedded the same way, and the corpus words nearest to it by
cosine, above a threshold, are added as its renderings, like a dictionary entry. Each setting is
run through the whole pipeline (`qa.evaluate`, hybrid, k=10) on the same index: the dictionary
alone (the default), mined words alone, and both (mined words only for what the dictionary
cannot translate), at several thresholds.
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

import numpy as np

import qa
import qa.text.dictionary as dictionary
from qa.text.normalize import STOPWORDS

NEIGHBOURS = 2  # mined renderings per English word


class Miner:
    def __init__(self, assistant: qa.Assistant):
        with assistant._reading() as loaded:
            vocabulary = loaded.store.vocabulary
        self.words = sorted(t for t in vocabulary if t.isalpha() and len(t) >= 3 and t not in STOPWORDS)
        self.vocabulary = vocabulary
        self.embedder = assistant.embedder
        started = time.perf_counter()
        self.vectors = np.concatenate([self.embedder.embed_batch(self.words[i:i + 512], "query")
                                       for i in range(0, len(self.words), 512)])
        self.seconds = time.perf_counter() - started
        self.cache: dict[str, list[tuple[float, str]]] = {}

    def nearest(self, word: str) -> list[tuple[float, str]]:
        if word not in self.cache:
            sims = self.vectors @ self.embedder.embed_query(word)
            top = np.argsort(-sims)[:NEIGHBOURS]
            self.cache[word] = [(float(sims[i]), self.words[i]) for i in top]
        return self.cache[word]


@contextmanager
def patched_lookup(miner: Miner, threshold: float, use_dictionary: bool, only_untranslated: bool):
    original = dictionary._lookup

    def lookup(unit):
        found = original(unit) if use_dictionary else None
        word = unit[0] if len(unit) == 1 else ""
        if (not word.isalpha() or len(word) < 3 or word in miner.vocabulary or word in STOPWORDS
                or (only_untranslated and found and any(all(p in miner.vocabulary for p in alt) for alt in found))):
            return found
        mined = tuple((w,) for s, w in miner.nearest(word) if s >= threshold)
        return (tuple(found or ()) + mined) or None

    dictionary._lookup = lookup
    try:
        yield
    finally:
        dictionary._lookup = original


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--gold", required=True)
    parser.add_argument("--split", default="valid")
    parser.add_argument("--thresholds", default="0.85,0.88,0.91")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    assistant = qa.Assistant(args.index, settings=qa.Settings(llm="off"))
    miner = Miner(assistant)
    print(f"{len(miner.words)} index words embedded in {miner.seconds:.1f} s\n")
    settings = [("dictionary (default)", None, True, False)]
    for t in (float(x) for x in args.thresholds.split(",")):
        settings += [(f"mined >= {t}", t, False, False), (f"dictionary + mined >= {t}", t, True, True)]
    print("| words from | hit@1 | hit@10 | mrr@10 | answer hit | answerable refused |")
    print("|---|---|---|---|---|---|")
    for name, threshold, use_dictionary, only_untranslated in settings:
        with patched_lookup(miner, 2.0 if threshold is None else threshold, use_dictionary, only_untranslated):
            result = qa.evaluate(args.gold, split=args.split, k=10, limit=args.limit, assistant=assistant)
        r, a = result["retrieval"], result["abstention"]
        print(f"| {name} | {r['hit@1']:.3f} | {r['hit@10']:.3f} | {r['mrr@10']:.3f} | "
              f"{result['answer']['hit']:.3f} | {a['answerable_abstained']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
