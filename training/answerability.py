"""Train the answerability probe: a small MLP over the shipped reader's hidden states that tells
whether the passage answers the question (``qa/reader/answerability.py``).

    .venv/bin/python -m training.answerability [--data ../shared/data] [--facqa 1300] [--distractors 2000]
        [--elsewhere 1000]

Trained on every IDK-MRC `train` question (half unanswerable) and ``--facqa`` FacQA `train`
questions (answerable), each read with its own passage, except the questions that
`training.calibrate` fits the refusal score on; reported on the `valid` sets. IDK-MRC's
unanswerable questions were written against their passage (same topic, one fact missing); the
common case in use is another one, a question about something the articles never say. So
``--distractors`` answerable questions are also read with a *distractor*: the best passage their
data set's index returns for them that is not their own and does not hold their answer, labelled
unanswerable, and ``--elsewhere`` are read with the best passage of the *other* data set (news
for Wikipedia questions and the reverse), unanswerable too (both kinds are built from the `valid`
questions to report on). Features are read with the configured runtime (ONNX Runtime int8 by
default), the one `ask` uses, and cached in ``.cache/answerability``. Then rerun `python -m training.calibrate`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import time
from pathlib import Path

import numpy as np

from qa.hashing import file_sha256
from qa.reader.answerability import FEATURE_LAYOUT, MARGIN_COLUMN, Answerability
from qa.reader.model import MANIFEST_FILE, WEIGHTS_DIR, WEIGHTS_FILE
from qa.reader.runtime import load_reader
from qa.settings import Settings
from qa.text.normalize import fold
from training.calibrate import ELSEWHERE, calibration_sample, indexes, runtime_tag
from training.data import Example, load_examples
from training.evaluate_reader import roc_auc

REPO = Path(__file__).resolve().parent.parent
# chosen on IDK-MRC valid; hidden 64-256, 100-300 epochs, dropout 0.2-0.5 all gave AUC 0.76-0.77 (docs/evaluation.md)
HIDDEN, EPOCHS, WEIGHT_DECAY, DROPOUT = 64, 150, 0.01, 0.2
DISTRACTORS = 2000  # train questions read with a distractor too (about a minute of retrieval and reading here)
DISTRACTOR_DEPTH = 5  # retrieved passages searched for a distractor; the first that qualifies is taken
ELSEWHERE_DISTRACTORS = 1000  # train questions also read with the other data set's best passage
OTHER_SET = ELSEWHERE | {"facqa-en": ELSEWHERE["facqa-id"]}  # news <-> Wikipedia, English questions too


def question_features(reader, examples: list[Example]) -> np.ndarray:
    """The features of the window holding each question's best span in its own passage."""
    rows, started = [], time.perf_counter()
    for n, ex in enumerate(examples, 1):
        read = reader.read_windows(ex.question, [ex.context])
        rows.append(max(read, key=lambda pair: pair[0].score)[1])
        if n % 1000 == 0:
            print(f"  {n}/{len(examples)} questions read, {n / (time.perf_counter() - started):.1f}/s", flush=True)
    return np.stack(rows)


def distractors(examples: list[Example], by_set: dict, limit: int, seed: int,
                elsewhere: bool = False) -> list[Example]:
    """Up to ``limit`` answerable ``examples`` paired with the best-retrieved passage of their data
    set that is not (part of) their own and does not contain their answer: unanswerable. With
    ``elsewhere``, the best passage of the *other* data set (news for Wikipedia questions and the
    reverse): a topic the articles never mention."""
    answerable = [e for e in examples if e.answer_start >= 0]
    random.Random(seed).shuffle(answerable)
    kind = "elsewhere" if elsewhere else "distractor"
    out = []
    for ex in answerable[:limit]:
        searched = by_set[OTHER_SET[ex.source]] if elsewhere else by_set[ex.source]
        for passage in searched.retrieve(ex.question, k=DISTRACTOR_DEPTH):
            if passage.text not in ex.context and fold(ex.answer_text) not in fold(passage.text):
                out.append(Example(f"{ex.id}-{kind}", ex.question, passage.text, -1, "", f"{ex.source}-{kind}"))
                break
    return out


def cached_distractors(stem: Path, reader, examples: list[Example], by_set: dict, limit: int,
                       seed: int, elsewhere: bool = False) -> tuple[list[Example], np.ndarray]:
    """``distractors`` of ``examples`` and their features, both kept under ``stem`` (retrieval is slow)."""
    listing = stem.with_suffix(".json")
    if listing.is_file():
        chosen = [Example(**e) for e in json.loads(listing.read_text())]
    else:
        chosen = distractors(examples, by_set, limit, seed, elsewhere)
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text(json.dumps([dataclasses.asdict(e) for e in chosen]))
    return chosen, cached(stem.with_suffix(".npy"), reader, chosen)


def cached(path: Path, reader, examples: list[Example]) -> np.ndarray:
    if path.is_file():
        return np.load(path)
    x = question_features(reader, examples)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


def fit(x: np.ndarray, y: np.ndarray, seed: int, hidden: int = HIDDEN, epochs: int = EPOCHS,
        dropout: float = DROPOUT) -> Answerability:
    """Full-batch AdamW on the binary cross-entropy of "the passage answers the question"."""
    import torch

    torch.manual_seed(seed)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    inputs = torch.tensor((x - mean) / scale, dtype=torch.float32)
    target = torch.tensor(y, dtype=torch.float32)
    first, last = torch.nn.Linear(x.shape[1], hidden), torch.nn.Linear(hidden, 1)
    model = torch.nn.Sequential(first, torch.nn.GELU(approximate="tanh"), torch.nn.Dropout(dropout), last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=WEIGHT_DECAY)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(inputs)[:, 0], target)
        loss.backward()
        optimizer.step()
    arrays = [t.detach().numpy() for t in (first.weight, first.bias, last.weight, last.bias)]
    return Answerability(mean.astype(np.float32), scale.astype(np.float32), *arrays)


def report(probe: Answerability, x: np.ndarray, examples: list[Example]) -> dict:
    """ROC AUC on IDK-MRC (the probe's and the reader margin's), and per valid set the share of
    IDK-MRC's unanswerable questions scored below that set's 5% quantile of answerable ones."""
    scores = probe.logits(x)
    answerable = np.array([e.answer_start >= 0 for e in examples])
    sources = np.array([e.source for e in examples])
    idk = sources == "idkmrc"
    margin = x[:, MARGIN_COLUMN]  # the reader's own signal, for comparison
    out = {"idkmrc": {"n": int(idk.sum()),
                      "roc_auc": round(roc_auc(scores[idk & answerable], scores[idk & ~answerable]), 4),
                      "margin_roc_auc": round(roc_auc(margin[idk & answerable], margin[idk & ~answerable]), 4)}}
    for source in ("idkmrc", "facqa-id", "facqa-en"):
        for kind in ("distractor", "elsewhere"):  # its questions read with a passage of another topic
            distracted = sources == f"{source}-{kind}"
            if distracted.any():
                out.setdefault(source, {})[f"{kind}_roc_auc"] = round(
                    roc_auc(scores[(sources == source) & answerable], scores[distracted]), 4)
                out[source][f"margin_{kind}_roc_auc"] = round(
                    roc_auc(margin[(sources == source) & answerable], margin[distracted]), 4)
        kept = np.sort(scores[(sources == source) & answerable])
        threshold = kept[int(0.05 * len(kept))]
        out.setdefault(source, {})["unanswerable_below_its_5pct_answerable"] = \
            round(float(np.mean(scores[idk & ~answerable] < threshold)), 4)
    return out


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--facqa", type=int, default=1300, help="FacQA train questions (answerable) to add")
    parser.add_argument("--distractors", type=int, default=DISTRACTORS,
                        help="answerable train questions also read with a distractor passage (0: none)")
    parser.add_argument("--elsewhere", type=int, default=ELSEWHERE_DISTRACTORS,
                        help="answerable train questions also read with the other data set's best passage (0: none)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--dropout", type=float, default=DROPOUT)
    parser.add_argument("--dry-run", action="store_true", help="report on valid, keep the shipped probe")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "answerability")
    parser.add_argument("--index-cache", type=Path, default=REPO / ".cache" / "calibration",
                        help="where training.calibrate keeps its indexes (searched for distractors)")
    return parser.parse_args()


def read_features(args: argparse.Namespace, reader, tag: str):
    """(train examples, their features, valid examples, theirs): each question with its own
    passage, plus distractors (always for valid, to report on; for train when asked)."""
    held = {q for items in calibration_sample(args.data).values() for q, _ in items}
    pool = [e for e in load_examples(args.data, "train", translated=None) if e.question not in held]
    facqa = [e for e in pool if e.source != "idkmrc"]
    random.Random(args.seed).shuffle(facqa)
    train = [e for e in pool if e.source == "idkmrc"] + facqa[:args.facqa]
    valid = load_examples(args.data, "valid")
    print(f"{len(train)} train questions ({len(held)} held for calibration), {len(valid)} valid", flush=True)
    x_train = cached(args.cache / f"train-{tag}-{args.facqa}-{args.seed}.npy", reader, train)
    x_valid = cached(args.cache / f"valid-{tag}.npy", reader, valid)
    by_set = indexes(args.data, args.index_cache)
    if args.distractors:
        extra = cached_distractors(args.cache / f"train-distractors-{tag}-{args.distractors}-{args.seed}",
                                   reader, pool, by_set, args.distractors, args.seed)
        train, x_train = train + extra[0], np.concatenate([x_train, extra[1]])
    if args.elsewhere:
        extra = cached_distractors(args.cache / f"train-elsewhere-{tag}-{args.elsewhere}-{args.seed}",
                                   reader, pool, by_set, args.elsewhere, args.seed + 1, elsewhere=True)
        train, x_train = train + extra[0], np.concatenate([x_train, extra[1]])
    reported = [cached_distractors(args.cache / f"valid-{kind}-{tag}", reader, valid, by_set, len(valid), args.seed,
                                   elsewhere=kind == "elsewhere") for kind in ("distractors", "elsewhere")]
    return (train, x_train, valid + [e for chosen, _ in reported for e in chosen],
            np.concatenate([x_valid, *(rows for _, rows in reported)]))


def main() -> int:
    args = arguments()
    started = time.perf_counter()
    settings = Settings.from_env()
    reader = load_reader(settings, args.weights, with_probe=False)
    reader_sha256 = file_sha256(args.weights / WEIGHTS_FILE)
    tag = "-".join([reader_sha256[:12], *runtime_tag(settings), f"layout{FEATURE_LAYOUT}"])
    was_cached = any(args.cache.glob(f"*-{tag}*.npy"))
    train, x_train, valid, x_valid = read_features(args, reader, tag)
    read_s = time.perf_counter() - started
    labels = np.array([e.answer_start >= 0 for e in train], np.float32)
    probe = fit(x_train, labels, args.seed, args.hidden, args.epochs, args.dropout)
    figures = report(probe, x_valid, valid)
    if args.dry_run:
        print(json.dumps(figures, indent=1))
        return 0
    probe.save(args.weights)
    path = args.weights / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    manifest["answerability"] = {
        "training": {"questions": {s: sum(e.source == s for e in train) for s in ("idkmrc", "facqa-id", "facqa-en")},
                     "unanswerable": sum(e.answer_start < 0 for e in train),
                     "of_them_distractors": sum(e.source.endswith("-distractor") for e in train),
                     "of_them_elsewhere": sum(e.source.endswith("-elsewhere") for e in train), "seed": args.seed,
                     "hidden": args.hidden, "epochs": args.epochs, "weight_decay": WEIGHT_DECAY,
                     "dropout": args.dropout,
                     "features_read_with": " ".join(runtime_tag(settings)),
                     "wall_s": round(time.perf_counter() - started, 1), "reading_s": round(read_s, 1),
                     "features_from_cache": was_cached},
        "reader_sha256": reader_sha256, "feature_layout": FEATURE_LAYOUT, "gold_passage_valid": figures,
        "command": "python -m training.answerability"}
    path.write_text(json.dumps(manifest, indent=1))
    print(json.dumps(manifest["answerability"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
