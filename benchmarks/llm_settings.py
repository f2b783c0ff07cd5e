"""The local model's threads, context size and batch size on this machine: prompt reading and
writing speed for each (issue 14 asks for threads and context to be measured).

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.llm_settings

The prompt is the one the writer builds for a real question (the seeds' "When did Lavrov visit
Pyongyang?", 3 excerpts of 500 characters). For each setting a fresh model reads it from an
empty cache (prompt tokens/s, which decides the time to the first word) and then writes 48
tokens (writing tokens/s).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from qa import Assistant, Settings
from qa.generation.chain import EXCERPT_CHARS, PROMPT, PROMPT_PASSAGES, excerpt, prompt_inputs, prompt_passages
from qa.generation.local_model import model_path
from qa.text.language import detect_language

# (threads, context, batch); the first setting again at the end, as a check on drift.
SETTINGS = ((2, 2048, 512), (1, 2048, 512), (3, 2048, 512), (4, 2048, 512), (2, 1024, 512), (2, 4096, 512),
            (2, 2048, 64), (2, 2048, 128), (2, 2048, 256), (2, 2048, 512))
WRITTEN = 48


def chat_prompt(question: str, assistant: Assistant, llm) -> list[int]:
    answer = assistant.ask(question)
    excerpts = [(p, excerpt(p, answer, EXCERPT_CHARS)) for p in prompt_passages(answer, PROMPT_PASSAGES)]
    messages = PROMPT.invoke(prompt_inputs(question, excerpts, detect_language(question))).to_messages()
    roles = {"system": "system", "human": "user"}
    text = "".join(f"<|im_start|>{roles[m.type]}\n{m.content}<|im_end|>\n" for m in messages)
    return llm.tokenize((text + "<|im_start|>assistant\n").encode(), add_bos=False, special=True)


def timed_read(llm, tokens: list[int]) -> float:
    started = time.perf_counter()
    llm.eval(tokens)
    return time.perf_counter() - started


def main() -> None:
    import llama_cpp

    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    settings = Settings.from_env(llm="off")
    quoted = Assistant(settings=settings)
    path = str(model_path(settings.cache_dir))
    probe = llama_cpp.Llama(path, n_ctx=2048, verbose=False, vocab_only=True)
    first = chat_prompt("When did Lavrov visit Pyongyang?", quoted, probe)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; prompt {len(first)} tokens\n")
    print("| threads | context | batch | load (s) | read prompt (tokens/s) | first word after (s) | "
          "writing (tokens/s) |\n|---|---|---|---|---|---|---|")
    for threads, context, batch in SETTINGS:
        started = time.perf_counter()
        llm = llama_cpp.Llama(path, n_ctx=context, n_threads=threads, n_threads_batch=threads, n_batch=batch,
                              verbose=False)
        load = time.perf_counter() - started
        read = timed_read(llm, first)
        started = time.perf_counter()
        for _ in zip(range(WRITTEN), llm.generate(first, temp=0.0)):
            pass
        writing = WRITTEN / (time.perf_counter() - started)
        print(f"| {threads} | {context} | {batch} | {load:.1f} | {len(first) / read:.0f} | {read:.2f} | "
              f"{writing:.1f} |", flush=True)
        del llm


if __name__ == "__main__":
    main()
