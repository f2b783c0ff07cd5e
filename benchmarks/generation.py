"""Written answers: speed, memory and quality of the chat model against the quoted answers.

    .venv/bin/python -m benchmarks.generation [--data ../shared/data] [--questions 30] [--sets facqa,idkmrc]

On the machine it runs on (idle, please): the local model's load time; the time to the first
written word and to the whole checked answer (p50/p95 over ``--questions`` FacQA valid
questions, English and Indonesian); peak memory. Quality, on the same questions: answer hit of
the written answer against the quoted one, the share of written answers fully verified, the
sentences dropped; and on IDK-MRC valid unanswerable questions that the reader lets through to
the model, how often a written answer survives (the model invented one the checks did not
catch) and how often the verifier dropped everything (caught). Uses ``NEWSQA_*`` settings,
with ``NEWSQA_LLM`` (default: the local model).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from qa import Assistant, Settings
from qa.metrics import answer_hit, percentile
from qa.text.language import detect_language


def _questions(path: Path, split: str, count: int, answerable: bool | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("split") in (None, split)]
    if answerable is not None:
        rows = [r for r in rows if bool(r.get("answers")) == answerable]
    return rows[:count]


def _assistant(passages: Path, settings: Settings, folder: Path) -> Assistant:
    assistant = Assistant(folder, settings, build_default=False)
    assistant.index([passages])
    return assistant


def _timed(assistant: Assistant, question: str) -> dict:
    started = time.perf_counter()
    first, answer = None, None
    for item in assistant.ask_stream(question, k=5):
        if isinstance(item, str):
            first = first if first is not None else time.perf_counter() - started
        else:
            answer = item
    total = time.perf_counter() - started
    return {"answer": answer, "first_token_s": first, "total_s": total}


def run(data: Path, count: int, settings: Settings, sets: tuple[str, ...] = ("facqa", "idkmrc")) -> dict:
    quoted = settings.with_(llm="off")
    work = Path(tempfile.mkdtemp(prefix="newsqa-generation-"))
    result: dict = {"machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
                    "settings": {"llm": settings.llm, "llm_threads": settings.llm_threads}}
    if "facqa" in sets:
        _facqa(data, count, settings, quoted, work, result)
    if "idkmrc" in sets:
        _idkmrc(data, count, settings, work, result)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def _facqa(data: Path, count: int, settings: Settings, quoted: Settings, work: Path, result: dict) -> None:
    started = time.perf_counter()
    facqa = _assistant(data / "facqa" / "passages.jsonl", settings, work / "facqa")
    writer = facqa.writer
    result["index_s"] = round(time.perf_counter() - started, 1)
    if writer is None:
        raise SystemExit("No language model is configured or installed (NEWSQA_LLM; `make llm`).")
    plain = Assistant(work / "facqa", quoted, build_default=False)
    load_started = time.perf_counter()
    writer.write("warm up", plain.ask("Siapa presiden Indonesia?"), "id")
    result["model_load_and_first_answer_s"] = round(time.perf_counter() - load_started, 1)
    for lang, name in (("en", "qa_en.jsonl"), ("id", "qa.jsonl")):
        rows = _questions(data / "facqa" / name, "valid", count)
        firsts, totals, hits, quoted_hits, verified, dropped, written, same_lang = [], [], [], [], 0, 0, 0, 0
        for row in rows:
            timed = _timed(facqa, row["question"])
            answer = timed["answer"]
            totals.append(timed["total_s"])
            if timed["first_token_s"] is not None:
                firsts.append(timed["first_token_s"])
            reference = plain.ask(row["question"], k=5)
            hits.append(answer_hit(answer.text, row["answers"]) if not answer.abstained else 0.0)
            quoted_hits.append(answer_hit(reference.text, row["answers"]) if not reference.abstained else 0.0)
            written += answer.generated
            verified += answer.generated and answer.dropped_sentences == 0
            dropped += answer.dropped_sentences
            same_lang += answer.generated and detect_language(answer.text) in (lang, "")
        n = len(rows)
        result[f"facqa_{lang}"] = {
            "questions": n, "answer_hit_written": round(sum(hits) / n, 3),
            "answer_hit_quoted": round(sum(quoted_hits) / n, 3),
            "written_share": round(written / n, 3), "fully_verified_share": round(verified / n, 3),
            "dropped_sentences_per_question": round(dropped / n, 2),
            "written_in_question_language": round(same_lang / max(written, 1), 3),
            "first_token_p50_s": _r(percentile(firsts, 50)), "first_token_p95_s": _r(percentile(firsts, 95)),
            "answer_p50_s": _r(percentile(totals, 50)), "answer_p95_s": _r(percentile(totals, 95))}
        print(f"FacQA {lang}: {result[f'facqa_{lang}']}", file=sys.stderr, flush=True)


def _idkmrc(data: Path, count: int, settings: Settings, work: Path, result: dict) -> None:
    idk = _assistant(data / "idkmrc" / "passages.jsonl", settings, work / "idkmrc")
    rows = _questions(data / "idkmrc" / "qa.jsonl", "valid", count, answerable=False)
    reached = invented = caught = 0
    for row in rows:
        answer = _timed(idk, row["question"])["answer"]
        if answer.abstained:
            continue
        reached += 1
        invented += answer.generated
        caught += not answer.generated and answer.dropped_sentences > 0
    result["idkmrc_unanswerable"] = {"questions": len(rows), "reached_the_model": reached,
                                     "written_answer_kept": invented, "verifier_dropped_all": caught}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--sets", default="facqa,idkmrc", help="facqa, idkmrc or both")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if settings.llm == "auto":
        settings = settings.with_(llm="local")
    result = run(args.data, args.questions, settings, tuple(args.sets.split(",")))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
