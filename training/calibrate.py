"""Calibrate "not found": fit P(the articles answer the question) on ``train`` questions from the
answerability probe's score for the window of the span the answer shows and for the
best-retrieved passage's, the reader's margin and the top retrieval score (or the features
``--features`` names) by logistic regression; then choose the threshold on the ``valid`` sets by
a stated rule, and store both with the reader.

    .venv/bin/python -m training.calibrate [--data ../shared/data] [--features chosen_answerable,margin,...]
                                           [--elsewhere 200] [--dry-run]

Rule: the highest threshold that refuses at most 5% of the answerable questions of every dev set
(FacQA valid in Indonesian and in English, IDK-MRC valid answerable); IDK-MRC valid's
unanswerable questions refused at that threshold, and the ROC AUC, are reported, as are the
answerable questions of FacQA and IDK-MRC asked over the other data set's passages
(``asked_elsewhere``: a topic the articles never mention). ``--elsewhere`` such questions of each
data set join the ``train`` questions, labelled unanswerable. Questions run the whole pipeline
(retrieval over an index of their data set's passages, then the reader), as `qa eval` does.
When a verifier is shipped (``qa/reader/verifier``), the features are read from its spans and
its probe, as `ask` reads them, and the refusal is stored with its hash; with
``NEWSQA_VERIFIER=off``, from the reader's own, and stored as the refusal without a verifier.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np

from embeddings.query_adapter import ENGLISH_ADAPTER_DIR, MATRIX_FILE, load_adapter
from qa.answer import Refusal
from qa.answer.reading import FEATURES as ALL_FEATURES
from qa.answer.reading import refusal_features
from qa.assistant import Assistant
from qa.errors import IndexMismatch
from qa.filters import Filters
from qa.hashing import file_sha256
from qa.reader.answerability import ANSWERABILITY_FILE
from qa.reader.model import MANIFEST_FILE, WEIGHTS_DIR, WEIGHTS_FILE
from qa.reader.runtime import EXPORT_TAG as READER_EXPORT_TAG
from qa.reader.runtime import configured_verifier_dir, refusal_key, verifier_sha256
from qa.settings import Settings
from training.data import QUESTION_FILES, jsonl_rows
from training.evaluate_reader import roc_auc

REPO = Path(__file__).resolve().parent.parent
FEATURES = ("chosen_answerable", "margin", "top_score", "first_answerable")  # chosen on valid: docs/evaluation.md
MAX_ANSWERABLE_REFUSED = 0.05
# Each data set whose questions are also asked over the other one's passages (``asked_elsewhere``).
ELSEWHERE = {"facqa-id": "idkmrc", "idkmrc": "facqa-id"}
ELSEWHERE_SUFFIX = "-elsewhere"
ELSEWHERE_QUESTIONS = 200


def questions(data: Path, split: str) -> dict[str, list[tuple[str, bool]]]:
    """(question, answerable) per data set."""
    return {name: [(r["question"], bool(r["answers"])) for r in jsonl_rows(data / path) if r["split"] == split]
            for name, path in QUESTION_FILES}


def calibration_sample(data: Path, size: int = 1600, seed: int = 13) -> dict[str, list[tuple[str, bool]]]:
    """The ``train`` questions the refusal score is fitted on (the answerability probe is trained
    on the others, so that its score is not flattered here)."""
    rng = random.Random(seed)
    share = {"idkmrc": 0.6, "facqa-id": 0.3, "facqa-en": 0.1}  # IDK-MRC holds the unanswerable examples
    return {name: rng.sample(items, min(len(items), int(share[name] * size)))
            for name, items in questions(data, "train").items()}


def asked_elsewhere(items: dict[str, list[tuple[str, bool]]], limit: int | None = None,
                    seed: int = 13) -> dict[str, list[tuple[str, bool]]]:
    """Answerable questions of FacQA (news) and IDK-MRC (Wikipedia) asked over the *other* data
    set's passages, labelled unanswerable: the topic-absent kind that IDK-MRC's unanswerable
    questions (written against their own passage) lack."""
    rng = random.Random(seed)
    out = {}
    for name in ELSEWHERE:
        asked = [(q, False) for q, a in items[name] if a]
        out[f"{name}{ELSEWHERE_SUFFIX}"] = asked if limit is None else rng.sample(asked, min(limit, len(asked)))
    return out


def features(assistant: Assistant, question: str) -> dict[str, float]:
    """The refusal features of ``question`` as `ask` (and `qa eval -k 10`) computes them."""
    # A development tool reading the pipeline's evidence, the same call `ask` makes.
    scope, hits, reading = assistant._evidence(question, 10, assistant.settings.retriever, Filters(), None,  # noqa: SLF001
                                               with_refusal=False)
    return refusal_features(scope.info, reading.refusal_spans, hits)


def cached_features(path: Path, by_set: dict[str, Assistant], items: dict[str, list[tuple[str, bool]]]) -> dict:
    """Feature values of every question, computed once and kept in ``path`` (the pipeline is slow)."""
    cache = json.loads(path.read_text()) if path.is_file() else {}
    for name, pairs in items.items():
        for question, _ in pairs:
            key = f"{name}\t{question}"
            if set(ALL_FEATURES) - set(cache.get(key, {})):  # new, or cached before a feature existed
                cache[key] = features(by_set[name], question)
    path.write_text(json.dumps(cache))
    return cache


def weights_tag(weights: Path, settings: Settings, verifier: Path | None = None) -> str:
    """A short fingerprint of what the features depend on: the reader's and the probe's weights
    (the verifier's too when it reads), and the runtime and precision that run them."""
    files = [weights / WEIGHTS_FILE, weights / ANSWERABILITY_FILE]
    if verifier is not None:
        files += [verifier / WEIGHTS_FILE, verifier / ANSWERABILITY_FILE]
    digests = [file_sha256(f)[:12] if f.is_file() else "none" for f in files]
    return "-".join([*digests, *runtime_tag(settings)])


def runtime_tag(settings: Settings) -> list[str]:
    """What runs the encoder and the reader: the runtime (with ONNX, the reader's export recipe),
    the precision, the reader's own when it differs, and the English query adapter when it is on (it
    changes what English questions retrieve)."""
    reader = settings.resolved_reader_precision
    runtime = READER_EXPORT_TAG if settings.runtime == "onnx" else settings.runtime
    tag = [runtime, settings.precision] + ([f"reader-{reader}"] if reader != settings.precision else [])
    if settings.query_adapter == "on":
        load_adapter(ENGLISH_ADAPTER_DIR)  # a missing or corrupt adapter is refused with what to do
        tag.append("adapter-" + file_sha256(ENGLISH_ADAPTER_DIR / MATRIX_FILE)[:12])
    return tag


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias maximising the (lightly L2-regularised) likelihood, by Newton's method."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + l2 * w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w[:-1], float(w[-1])


def highest_threshold(answerable: list[float], max_refused: float) -> float:
    """The threshold that refuses (probability below it) as many of the lowest-scored answerable
    questions as ``max_refused`` allows, halfway between the last refused and the first kept, so
    that rounding or a float's last digits cannot refuse one more."""
    ordered = sorted(answerable)
    allowed = int(max_refused * len(ordered))
    if allowed == 0:
        return ordered[0] - 1e-6
    return (ordered[allowed - 1] + ordered[allowed]) / 2


def indexes(data: Path, cache: Path) -> dict[str, Assistant]:
    built = {}
    for name, passages in (("facqa", "facqa/passages.jsonl"), ("idkmrc", "idkmrc/passages.jsonl")):
        folder = cache / f"{name}-index"
        assistant = Assistant(folder, build_default=False)
        if (folder / "CURRENT").exists():
            try:
                assistant.documents()
            except IndexMismatch:  # made by an older version: rebuilt from the data
                shutil.rmtree(folder)
                assistant = Assistant(folder, build_default=False)
        if not (folder / "CURRENT").exists():
            assistant.index([data / passages])
        built[name] = assistant
    by_set = {"facqa-id": built["facqa"], "facqa-en": built["facqa"], "idkmrc": built["idkmrc"]}
    return by_set | {f"{name}{ELSEWHERE_SUFFIX}": by_set[other] for name, other in ELSEWHERE.items()}


def operating_point(refusal: Refusal, values: dict, dev: dict[str, list[tuple[str, bool]]]) -> tuple[float, dict]:
    """The threshold by the rule, and what it refuses on each dev set (with the ROC AUC where a
    set has both kinds of question)."""
    valid = {name: [(refusal.probability(values[f"{name}\t{q}"]), a) for q, a in items] for name, items in dev.items()}
    threshold = min(highest_threshold([p for p, a in items if a], MAX_ANSWERABLE_REFUSED)
                    for items in valid.values() if any(a for _, a in items))
    report = {"rule": f"highest threshold refusing <= {MAX_ANSWERABLE_REFUSED:.0%} of answerable questions "
                      "on every dev set", "threshold": round(threshold, 4)}
    for name, items in valid.items():
        answerable = [p for p, a in items if a]
        unanswerable = [p for p, a in items if not a]
        report[name] = {}
        if answerable:
            report[name]["answerable_refused"] = round(float(np.mean([p < threshold for p in answerable])), 4)
        if unanswerable:
            report[name]["unanswerable_refused"] = round(float(np.mean([p < threshold for p in unanswerable])), 4)
        if answerable and unanswerable:
            report[name]["roc_auc"] = round(roc_auc(answerable, unanswerable), 4)
    return threshold, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "calibration")
    parser.add_argument("--train-questions", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--dry-run", action="store_true", help="report, keep the shipped refusal")
    parser.add_argument("--elsewhere", type=int, default=ELSEWHERE_QUESTIONS,
                        help="train questions of each data set also asked over the other's passages (unanswerable)")
    parser.add_argument("--features", default=",".join(FEATURES), help="of qa.answer.reading.refusal_features")
    args = parser.parse_args()
    names = tuple(args.features.split(","))
    started = time.perf_counter()
    by_set = indexes(args.data, args.cache)
    train = calibration_sample(args.data, args.train_questions, args.seed)
    train |= asked_elsewhere(train, args.elsewhere, args.seed)
    dev = questions(args.data, "valid")
    dev |= asked_elsewhere(dev)  # reported; the threshold rule looks at answerable questions only
    # The pipeline reads the shipped weights (qa/reader/weights): a reader trained elsewhere is
    # copied there first. Features of other weights are not reused.
    verifier = configured_verifier_dir(by_set["idkmrc"].settings)
    tag = weights_tag(WEIGHTS_DIR, by_set["idkmrc"].settings, verifier)
    values = cached_features(args.cache / f"features-train-{tag}.json", by_set, train)
    values.update(cached_features(args.cache / f"features-valid-{tag}.json", by_set, dev))
    x = np.array([[values[f"{name}\t{q}"][f] for f in names] for name, items in train.items() for q, _ in items])
    y = np.array([float(a) for items in train.values() for _, a in items])
    weights, bias = fit_logistic(x, y)
    refusal = Refusal(tuple(float(w) for w in weights), bias, 0.5, names)
    threshold, report = operating_point(refusal, values, dev)
    report |= {"train_questions": len(y), "train_answerable_share": round(float(np.mean(y)), 3)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.dry_run:
        fitted = {"weights": [round(float(w), 6) for w in weights], "bias": round(bias, 6)}
        print(json.dumps({**fitted, **report}, indent=1))
        return 0
    manifest_path = WEIGHTS_DIR / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    key = refusal_key(verifier is not None)
    manifest[key] = {"features": list(names), "weights": [round(float(w), 6) for w in weights],
                     "bias": round(bias, 6), "threshold": round(threshold, 6),
                     "verifier_sha256": verifier_sha256(verifier) if verifier else None, "calibration": report}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    print(json.dumps(manifest[key], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
