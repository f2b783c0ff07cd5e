"""Does an Indonesian stemmer (Sastrawi) help the BM25 side? A measurement, not a feature.

    .venv/bin/pip install PySastrawi
    .venv/bin/python benchmarks/stemming.py --index .cache/facqa-index \\
        --gold ../shared/data/facqa/qa.jsonl --split valid
    .venv/bin/python benchmarks/stemming.py --gold eval/seeds_gold.jsonl     # index built from seeds/

Builds BM25 over the chunks of an existing index twice (the project's tokens, and the same
tokens stemmed) and reports hit@1/5/10 and MRR@10 of BM25 alone for the gold questions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    import bm25s
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    from qa.assistant import Assistant
    from qa.evaluation import load_gold
    from qa.metrics import hit_at, mean, mrr_at
    from qa.settings import Settings
    from qa.stores.embedded import IndexStore
    from qa.text.normalize import tokenize
    from qa.types import Passage

    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--split", default=None)
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.index is None:
        assistant = Assistant(Path(tempfile.mkdtemp()) / "index", settings)
        assistant.index([settings.seeds_dir])
    else:
        assistant = Assistant(args.index, settings)
    store = IndexStore.open(assistant.index_dir)
    chunks = store.chunks(list(range(store.faiss.ntotal)))
    stem = lru_cache(maxsize=None)(StemmerFactory().create_stemmer().stem)

    def document_text(doc_id):
        doc = store.document(doc_id)
        return doc.text if doc else None

    questions, _ = load_gold(args.gold, document_text, args.split)
    questions = [q for q in questions if q.answerable]
    results = {}
    for name, tok in (("plain", tokenize), ("sastrawi", lambda t: [stem(w) for w in tokenize(t)])):
        retriever = bm25s.BM25()
        retriever.index([tok(c.text) or ["\u2400"] for c in chunks], show_progress=False)
        vocab = retriever.vocab_dict
        ranks_all = []
        for q in questions:
            terms = [t for t in tok(q.question) if t in vocab]
            if not terms:
                ranks_all.append([])
                continue
            scores = retriever.get_scores(terms)
            top = np.argsort(-scores)[:10]
            ranks = [i + 1 for i, row in enumerate(top) if scores[row] > 0 and q.relevant(
                Passage(chunks[row].doc_id, chunks[row].start, chunks[row].end, chunks[row].text, 0.0))]
            ranks_all.append(ranks)
        results[name] = {f"hit@{k}": mean([hit_at(r, k) for r in ranks_all]) for k in (1, 5, 10)}
        results[name]["mrr@10"] = mean([mrr_at(r, 10) for r in ranks_all])
    print(json.dumps({"gold": str(args.gold), "questions": len(questions), **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
