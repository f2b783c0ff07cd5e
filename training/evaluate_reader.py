"""The reader alone on ``valid`` (given the gold passage): how often its best span is the answer,
and how well its no-answer margin separates IDK-MRC's unanswerable questions (ROC AUC).

    .venv/bin/python -m training.evaluate_reader [--weights qa/reader/weights] [--limit N] [--as-configured]

Reads with torch in fp32 (the trained model itself), or with ``--as-configured`` with the
configured runtime and precision, as `ask` does (ONNX Runtime int8 by default). With
``--base-folder`` (a converted encoder, as ``training.gpu_bundle`` makes one) it reads in fp32 on
a GPU when there is one.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from qa.metrics import answer_hit, mean
from qa.reader.model import MANIFEST_FILE, WEIGHTS_DIR, converted_encoder, load_torch_reader
from qa.reader.reader import Reader
from qa.settings import Settings
from training.data import load_examples

REPO = Path(__file__).resolve().parent.parent


def roc_auc(positive: list[float], negative: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = np.asarray(positive), np.asarray(negative)
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def evaluate(reader: Reader, examples, limit: int | None = None) -> dict:
    by_source: dict[str, dict] = {}
    for source in ("facqa-id", "facqa-en", "idkmrc"):
        items = [e for e in examples if e.source == source][:limit]
        hits, margins_answerable, margins_unanswerable, started = [], [], [], time.perf_counter()
        for ex in items:
            spans = reader.read(ex.question, [ex.context], limit=1)
            margin = spans[0].margin if spans else -1e9
            if ex.answer_start >= 0:
                text = ex.context[spans[0].start:spans[0].end] if spans else ""
                hits.append(answer_hit(text, [ex.answer_text]))
                margins_answerable.append(margin)
            else:
                margins_unanswerable.append(margin)
        by_source[source] = {"n": len(items), "read_hit": round(mean(hits), 4),
                             "ms_per_question": round(1000 * (time.perf_counter() - started) / max(len(items), 1), 1)}
        if margins_unanswerable:
            by_source[source]["no_answer_auc"] = round(roc_auc(margins_answerable, margins_unanswerable), 4)
    return by_source


def torch_reader(settings: Settings, weights: Path, base_folder: Path) -> Reader:
    """The reader in fp32 torch over ``base_folder``'s encoder, on a GPU when there is one."""
    import torch
    from tokenizers import Tokenizer

    from qa.reader.reader import torch_logits
    from qa.reader.windows import PairEncoder

    model, folder = load_torch_reader(settings, weights, converted_encoder(base_folder))
    model.to("cuda" if torch.cuda.is_available() else "cpu")
    return Reader(PairEncoder(Tokenizer.from_file(str(folder / "tokenizer.json"))), torch_logits(model))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--record", action="store_true", help="store the figures in the reader's manifest")
    parser.add_argument("--as-configured", action="store_true",
                        help="read as configured (NEWSQA_RUNTIME, NEWSQA_PRECISION, NEWSQA_READER_PRECISION)")
    parser.add_argument("--base-folder", type=Path, default=None, help="a converted base encoder folder")
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.base_folder is not None:
        reader = torch_reader(settings, args.weights, args.base_folder)
    else:
        from qa.reader.runtime import load_reader

        if not args.as_configured:  # the trained model itself
            settings = settings.with_(runtime="torch", precision="fp32")
        reader = load_reader(settings, args.weights, with_probe=False)
    figures = evaluate(reader, load_examples(args.data, "valid"), args.limit)
    print(json.dumps(figures, indent=1))
    if args.record:
        path = args.weights / MANIFEST_FILE
        manifest = json.loads(path.read_text())
        manifest["figures"] = {"gold_passage_valid": figures, "command": "python -m training.evaluate_reader"}
        path.write_text(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
