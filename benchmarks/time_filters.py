"""How time in questions filters FacQA valid: which questions get a date range, and whether the
gold passage stays admitted under each admission rule (no index or model needed).

    .venv/bin/python -m benchmarks.time_filters [--data ../shared/data] [--reference 2005-12-31]

FacQA passages are snippets of 2005 news: few carry a date of their own, most mention one. The
reference day (for "tahun lalu") defaults to the newest date any passage mentions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from qa.filters import Filters, article_day
from qa.text.dates import find_date, mentioned_periods
from qa.text.language import detect_language
from qa.text.timeframe import find_timeframe


def run(data: Path, reference: str | None) -> dict:
    passages = {}
    for line in (data / "facqa" / "passages.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record["text"]
        passages[record["id"]] = (find_date(text[:1500]), mentioned_periods(text))  # as indexing reads them
    newest = reference or max(b for _, periods in passages.values() for _, b in periods)
    rows = [json.loads(line) for line in (data / "facqa" / "qa.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("split") == "valid"]
    framed, admitted, dated_only, examples, seconds = 0, 0, 0, [], []
    for row in rows:
        started = time.perf_counter()
        frame = find_timeframe(row["question"], detect_language(row["question"]), dt.date.fromisoformat(newest))
        seconds.append(time.perf_counter() - started)
        if frame is None:
            continue
        framed += 1
        date, periods = passages[row["context_id"]]
        by_question = Filters(since=frame.since, until=frame.until, question_time=True)
        admitted += by_question.admits(date, "", "", "", periods)
        dated_only += Filters(since=frame.since, until=frame.until).admits(date, "", "", "")
        if len(examples) < 12:
            examples.append(f"{row['question'][:70]!r} -> {frame.since or '...'}..{frame.until or '...'} "
                            f"({frame.phrase!r})")
    seconds.sort()
    return {"questions": len(rows), "with_a_time": framed, "gold_admitted_question_rule": admitted,
            "gold_admitted_article_date_only": dated_only, "passages": len(passages),
            "passages_with_a_date": sum(1 for d, _ in passages.values() if article_day(d or "")),
            "reference": newest, "ms_per_question_p50": round(1000 * seconds[len(seconds) // 2], 2),
            "examples": examples}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--reference", default=None)
    print(json.dumps(run(parser.parse_args().data, parser.parse_args().reference), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
