"""Fit the English query adapter (``embeddings/query_adapter.py``) on FacQA `train` questions asked
in both languages, and report it on `valid`.

    .venv/bin/python -m training.query_adapter [--data ../shared/data] [--out embeddings/adapters/en]

The pairs are the English renderings of FacQA `train` questions (``qa_en.jsonl``, by hand, and
``training/mt``, machine-translated) with their Indonesian originals. The map from an English
question's vector to its Indonesian one is fitted by ridge regression towards the identity;
its strength is chosen by 5-fold cross-validation on `train` (the mean MRR@10 of the held-out
English questions' own passage among all FacQA passages, dense retrieval alone). `valid` is
only reported on: MRR@10 and hit@1 of its English questions without and with the adapter, and
of the same questions in Indonesian.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from embeddings.models import load_embedder
from embeddings.query_adapter import ENGLISH_ADAPTER_DIR, QueryAdapter, fit_ridge, save_adapter
from qa.errors import mapped
from qa.reader.model import encoder_folder
from qa.settings import DEFAULT_MODEL, Settings
from training.data import MACHINE_TRANSLATED, jsonl_rows, machine_translated

REPO = Path(__file__).resolve().parent.parent
STRENGTHS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)  # ridge strengths tried; the data choose among them
FOLDS, SEED, CUTOFF = 5, 0, 10


def question_pairs(data: Path, split: str, translated: Path | None = MACHINE_TRANSLATED) -> list[dict]:
    """FacQA questions of ``split`` with both wordings: {"en", "id", "context_id"}."""
    rows = [r for r in jsonl_rows(data / "facqa" / "qa_en.jsonl") if r["split"] == split]
    rows += machine_translated(split, translated)
    return [{"en": r["question"], "id": r["question_id"], "context_id": r["context_id"]} for r in rows]


def ranking_quality(queries: np.ndarray, passages: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """(MRR@10, hit@1) of each query's gold passage (an index into ``passages``) by cosine, and the
    mean top cosine (the scale of the retrieval scores that the refusal reads)."""
    queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    scores = queries @ passages.T
    ranks = 1 + (scores > scores[np.arange(len(gold)), gold][:, None]).sum(axis=1)
    reciprocal = np.where(ranks <= CUTOFF, 1.0 / ranks, 0.0)
    return float(reciprocal.mean()), float((ranks == 1).mean()), float(scores.max(axis=1).mean())


def cross_validate(source: np.ndarray, target: np.ndarray, passages: np.ndarray, gold: np.ndarray,
                   strengths=STRENGTHS, folds: int = FOLDS, seed: int = SEED) -> dict[float, float]:
    """Mean held-out MRR@10 for each ridge strength (folds drawn once, the same for every strength)."""
    fold_of = np.arange(len(source)) % folds
    random.Random(seed).shuffle(fold_of)
    out = {}
    for strength in strengths:
        scores = []
        for fold in range(folds):
            fit, held = fold_of != fold, fold_of == fold
            matrix = fit_ridge(source[fit], target[fit], strength)
            scores.append(ranking_quality(source[held] @ matrix, passages, gold[held])[0])
        out[strength] = float(np.mean(scores))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ENGLISH_ADAPTER_DIR)
    args = parser.parse_args()
    started = time.perf_counter()
    settings = Settings.from_env()
    if settings.model != DEFAULT_MODEL:
        parser.error(f"the adapter is fitted for the default model ({DEFAULT_MODEL}), not {settings.model}")
    with mapped():
        embedder = load_embedder(settings.model, settings.model_cache_dir, settings.runtime, settings.precision,
                                 settings.device)
    passage_rows = list(jsonl_rows(args.data / "facqa" / "passages.jsonl"))
    position = {p["id"]: i for i, p in enumerate(passage_rows)}
    passages = embedder.embed_passages([p["text"] for p in passage_rows], settings.batch_size)
    train = question_pairs(args.data, "train")
    valid = question_pairs(args.data, "valid")

    embed = _query_embedder(embedder)
    source, target = embed([p["en"] for p in train]), embed([p["id"] for p in train])
    gold = np.array([position[p["context_id"]] for p in train])
    by_strength = cross_validate(source, target, passages, gold)
    strength = max(by_strength, key=by_strength.get)
    matrix = fit_ridge(source, target, strength)
    figures = _valid_figures(embed, valid, matrix, passages, position)
    _, base = encoder_folder(settings)
    details = {
        "strength": strength,
        "chosen_by": f"{FOLDS}-fold cross-validation on FacQA train, dense MRR@{CUTOFF} of the question's passage",
        "cross_validation": {str(k): round(v, 4) for k, v in by_strength.items()},
        "train_mrr_without_adapter": round(ranking_quality(source, passages, gold)[0], 4),
        "training": {"pairs": len(train), "seed": SEED,
                     "data": "FacQA train questions in English (qa_en.jsonl; training/mt) and Indonesian",
                     "fitted_with": embedder.fingerprint, "wall_s": round(time.perf_counter() - started, 1)},
        "valid": figures,
        "command": "python -m training.query_adapter",
    }
    save_adapter(QueryAdapter(matrix, "en", base), args.out, details)
    print(json.dumps(details, indent=1))
    return 0


def _query_embedder(embedder, batch: int = 64):
    def embed(texts: list[str]) -> np.ndarray:
        return np.concatenate([embedder.embed_batch(texts[i:i + batch], "query") for i in range(0, len(texts), batch)])
    return embed


def _valid_figures(embed, valid: list[dict], matrix: np.ndarray, passages: np.ndarray, position: dict) -> dict:
    gold = np.array([position[p["context_id"]] for p in valid])
    english, indonesian = embed([p["en"] for p in valid]), embed([p["id"] for p in valid])
    out = {}
    for name, queries in (("english", english), ("english_adapted", english @ matrix), ("indonesian", indonesian)):
        mrr, hit, top = ranking_quality(queries, passages, gold)
        out[name] = {f"mrr@{CUTOFF}": round(mrr, 4), "hit@1": round(hit, 4), "mean_top_cosine": round(top, 4)}
    out["questions"] = len(valid)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
