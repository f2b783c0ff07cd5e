"""Machine-translate FacQA ``train`` questions into English with the bundled local model.

The English renderings in the shared data cover only 300 train questions, so the reader has seen
few English questions. This writes English versions of the other train questions (never
``valid``), made by the local Qwen2.5-Coder-1.5B (greedy decoding, so the file is reproducible
on the same llama.cpp build), to ``training/mt/facqa_train_en.jsonl``. Each line keeps the
question's id, passage and answer; ``training.data`` reads it as the ``facqa-mt`` source.
Licence of the derived file: as FacQA's (Apache-2.0, IndoNLP/indonlu).

    python -m training.translate_questions [--limit N]

It appends and resumes: questions already in the file are skipped. About 1.4 s a question on a
2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from qa.generation.local_model import INSTALL_HINT, model_path
from qa.settings import Settings
from training.data import MACHINE_TRANSLATED as OUT
from training.data import jsonl_rows

REPO = Path(__file__).resolve().parent.parent
INSTRUCTION = ("Translate the Indonesian question into English. Do not answer it. Keep names, places and "
               "numbers as written. Reply with the English question only.")
# The first human renderings of train questions, shown as examples: without them the model
# answered or restated 17 of the first 79 questions instead of translating them (all 74 tried with).
SHOTS = 4


def _examples(data: Path) -> tuple[set[str], list[dict]]:
    """The ids of the train questions rendered by hand, and the chat turns showing the first few."""
    rendered = [r for r in jsonl_rows(data / "facqa" / "qa_en.jsonl") if r["split"] == "train"]
    turns = [{"role": "system", "content": INSTRUCTION}]
    for r in rendered[:SHOTS]:
        turns += [{"role": "user", "content": r["question_id"]}, {"role": "assistant", "content": r["question"]}]
    return {r["id"] for r in rendered}, turns


def _todo(data: Path, skip: set[str]) -> list[dict]:
    return [r for r in jsonl_rows(data / "facqa" / "qa.jsonl") if r["split"] == "train" and r["id"] not in skip]


def _translate(client, turns: list[dict], question: str) -> str:
    reply = client.create_chat_completion(messages=[*turns, {"role": "user", "content": question}],
                                          temperature=0, max_tokens=64)
    return " ".join(reply["choices"][0]["message"]["content"].split())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="translate at most this many more")
    args = parser.parse_args(argv)
    import llama_cpp

    model = model_path(Settings.from_env().cache_dir)
    if not model.is_file():
        raise SystemExit(INSTALL_HINT)
    done = {r["id"] for r in jsonl_rows(OUT)} if OUT.is_file() else set()
    rendered, turns = _examples(args.data)
    todo = _todo(args.data, rendered | done)[:args.limit]
    client = llama_cpp.Llama(str(model), n_ctx=1024, n_threads=2, seed=0, verbose=False)
    started = time.perf_counter()
    OUT.parent.mkdir(exist_ok=True)
    with open(OUT, "a", encoding="utf-8") as out:
        for n, r in enumerate(todo, 1):
            line = {"id": r["id"], "question": _translate(client, turns, r["question"]), "question_id": r["question"],
                    "answers": r["answers"], "answer_starts": r["answer_starts"],
                    "context_id": r["context_id"], "lang": "en", "split": "train", "translated_by": model.name}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            if n % 100 == 0:
                print(f"{n}/{len(todo)} in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"translated {len(todo)} questions in {time.perf_counter() - started:.0f} s -> {OUT}")


if __name__ == "__main__":
    main()
