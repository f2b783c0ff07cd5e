"""The ``qa`` command: a thin shell over the public Python API (``import qa``)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from qa import (
    Assistant,
    Filters,
    QAError,
    Settings,
    answer_json,
    answer_markdown,
    evaluate,
    render_markdown,
    render_table,
)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("qa").setLevel(logging.INFO)
    # trafilatura's notes on a page it cannot extract ("discarding data: None"); the index report
    # already names each file it skipped and why.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    try:
        status = args.run(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `qa ask ... | head -1`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


def _whole_number(low: int, high: int | None = None):
    """An argparse type: a whole number from ``low`` (to ``high``), refused with the range otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range ({low}" + (f"-{high})" if high else " or more)"))
        return value
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 seconds")
    return value


COUNT = _whole_number(1)
PORT = _whole_number(1, 65535)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited answers from your news articles.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="index files or folders of articles (.txt .md .html .jsonl)")
    p.add_argument("paths", nargs="+", type=Path)
    _index_option(p)
    p.add_argument("--add", action="store_true",
                   help="add or update the articles under PATHS and keep the rest (by default the index then "
                        "holds exactly the articles under PATHS)")
    p.add_argument("--watch", action="store_true",
                   help="then keep the index in step with PATHS (new, changed, deleted files) until Ctrl-C")
    p.add_argument("--interval", type=_seconds, default=1.0, help="seconds between scans with --watch (default 1)")
    p.add_argument("--workers", type=COUNT, default=None, metavar="N",
                   help="embed in N processes (default $NEWSQA_EMBED_WORKERS or 1; for many cores)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_index)

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question")
    _index_option(p)
    p.add_argument("-k", type=COUNT, default=None, help="number of passages (default 5)")
    p.add_argument("--retriever", choices=["hybrid", "dense", "bm25"], default=None)
    p.add_argument("--since", metavar="YYYY-MM-DD", default="", help="only articles dated on or after this day")
    p.add_argument("--until", metavar="YYYY-MM-DD", default="", help="only articles dated on or before this day")
    p.add_argument("--source", action="append", default=[], metavar="OUTLET", help="only this outlet (repeatable)")
    p.add_argument("--lang", action="append", default=[], choices=["id", "en"], help="only this language (repeatable)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", default=None,
                   help="the day relative times ('last year') count from (default: the newest article's date)")
    p.add_argument("--format", choices=["text", "md", "json"], default="text",
                   help="text (default), md (Markdown with the sources, for a report) or json")
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.set_defaults(run=_ask)

    p = sub.add_parser("feedback", help="list the verdicts given on the page, or export them as a gold file")
    p.add_argument("--export", type=Path, default=None, metavar="FILE",
                   help="write the gold lines (verdicts up and passage) to FILE for `qa eval --gold FILE`")
    p.add_argument("--json", action="store_true", help="print every line as JSON")
    p.set_defaults(run=_feedback)

    p = sub.add_parser("remove", help="delete articles from the index by id")
    p.add_argument("ids", nargs="+", metavar="ID")
    _index_option(p)
    p.set_defaults(run=_remove)

    p = sub.add_parser("eval", help="evaluate retrieval and answers against a gold file")
    p.add_argument("--gold", type=Path, required=True, help="JSON lines: gold-set or FacQA-style lines")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--index", type=Path, default=None, help="evaluate this index")
    group.add_argument("--corpus", type=Path, action="append", help="build a temporary index from these (repeatable)")
    p.add_argument("-k", type=COUNT, default=10, help="passages per question (default 10)")
    p.add_argument("--retriever", choices=["hybrid", "dense", "bm25"], default=None)
    p.add_argument("--split", default=None, help="only gold lines whose 'split' is this (e.g. valid)")
    p.add_argument("--limit", type=COUNT, default=None, help="only the first N questions")
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", type=Path, default=None, help="write a markdown report here")
    p.set_defaults(run=_eval)

    p = sub.add_parser("bench", help="measure indexing speed, query latency, memory and index scaling")
    p.add_argument("--docs", type=COUNT, default=300, help="IndoSum articles to index (default 300)")
    p.add_argument("--questions", type=COUNT, default=200, help="questions for query latency (default 200)")
    p.add_argument("--scale", default="10000,100000", help="vector counts for the index scaling table")
    p.add_argument("--corpus", type=Path, required=True, help="articles JSONL, IndoSum format (make bench passes it)")
    p.add_argument("--questions-file", type=Path, default=None, help="questions JSONL, FacQA format")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_bench)

    p = sub.add_parser("serve", help="start the chat page in the browser")
    _index_option(p)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=PORT, default=None)
    p.set_defaults(run=_serve)
    return parser


def _index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None,
                   help="index folder (default: $NEWSQA_STORE, a folder or a postgresql:// URL; else "
                        "$NEWSQA_INDEX_DIR, else the index in $NEWSQA_CACHE_DIR or ~/.cache/newsqa: the same one "
                        "the page and Python use)")


def _assistant(args):
    return Assistant(args.index)


def _progress(stage: str, done: int, total: int) -> None:
    if not total:  # articles written so far, while the folder is still being read
        if sys.stderr.isatty():
            print(f"\r{stage}: {done} articles", end="", file=sys.stderr, flush=True)
        return
    if sys.stderr.isatty() or done == total:
        print(f"\r{stage}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)


def _index(args) -> int:
    # Stopped by a service manager as by Ctrl-C: a build in progress removes its folder, a watch says it stopped.
    with _sigterm_as_ctrl_c():
        return _index_or_watch(args)


def _index_or_watch(args) -> int:
    assistant = Assistant(args.index, Settings.from_env(embed_workers=args.workers), build_default=False)
    if args.watch:
        if args.add:
            raise QAError("--add and --watch cannot go together: --watch keeps the index in step with PATHS, "
                          "deletions included.")
        return _watch(assistant, args)
    report = assistant.index(args.paths, progress=_progress, replace=not args.add)
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps({
            "index": report.index_dir, "documents": report.documents, "chunks": report.chunks,
            "embedded_chunks": report.embedded_chunks, "reused_chunks": report.reused_chunks,
            "added": report.added, "changed": report.changed, "removed": report.removed,
            "problems": [{"path": p.path, "reason": p.reason} for p in report.problems],
            "seconds": round(report.seconds, 2)}, ensure_ascii=False))
    else:
        print(f"Indexed {report.documents} documents ({report.chunks} chunks; {report.embedded_chunks} embedded, "
              f"{report.reused_chunks} reused) into {report.index_dir} in {report.seconds:.1f}s. "
              f"Added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
              f"skipped {len(report.problems)} file(s) or line(s).")
        if report.removed and not args.add:
            print(f"Removed (not under {', '.join(map(str, args.paths))}): {_some(report.removed)}. "
                  "`qa index --add` keeps what is already indexed.")
    return 0 if report.documents or not report.problems else 1


def _ask(args) -> int:
    filters = Filters(since=args.since, until=args.until, sources=args.source, langs=args.lang)
    answer = _assistant(args).ask(args.question, k=args.k, mode=args.retriever, filters=filters, as_of=args.as_of)
    if args.json or args.format == "json":
        print(answer_json(answer))
        return 0
    if args.format == "md":
        print(answer_markdown(answer), end="")
        return 0
    for note in answer.notes:
        print(note)
    print(answer.text)
    if answer.generated:
        print(f"(Written from the sources by {Settings.from_env().llm_model or 'the language model'}: "
              f"{answer.verified_sentences} sentence(s) checked against their citations, "
              f"{answer.dropped_sentences} dropped.)")
    print()
    for citation in answer.citations:
        p = citation.passage
        label = " | ".join(x for x in (p.title, p.source, p.date) if x)
        print(f"[{citation.n}] {p.doc_id} [{p.start}:{p.end}] {label}")
        if citation.also_reported_by:
            print(f"    also reported by: {', '.join(citation.also_reported_by)}")
    if answer.abstained and answer.passages:
        print("Nearest passages:")
        for p in answer.passages:
            print(f"  {p.doc_id} [{p.start}:{p.end}] {p.score:.3f}: {p.text[:160]}...")
    return 0


def _watch(assistant: Assistant, args) -> int:
    def report(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    try:
        assistant.watch(args.paths, args.interval, report=report)
    except KeyboardInterrupt:
        report("stopped watching")
    return 0


def _feedback(args) -> int:
    records = Assistant(build_default=False).feedback()
    if args.export:
        gold = [r for r in records if r["verdict"] != "down"]
        args.export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in gold), encoding="utf-8")
        print(f"Wrote {len(gold)} gold line(s) to {args.export} ({len(records) - len(gold)} thumbs-down left out).")
        return 0
    for record in records:
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            sources = ", ".join(f"{e['doc']}[{e.get('start', '?')}:{e.get('end', '?')}]" for e in record["evidence"])
            shown = f"{record['time']}  {record['verdict']:7}  {record['question']}"
            print(shown + (f"  ({sources})" if sources else ""))
    if not records:
        print("No feedback yet: use the thumbs on the page, or 'This passage answers it' under a source.")
    return 0


def _remove(args) -> int:
    report = Assistant(args.index, build_default=False).remove_documents(args.ids)
    missing = sorted(set(args.ids) - set(report.removed))
    print(f"Removed {len(report.removed)} article(s) from {report.index_dir}; {report.documents} remain.")
    if missing:
        print(f"not in the index: {', '.join(missing)}", file=sys.stderr)
    return 0 if not missing else 1


def _some(items: list[str], shown: int = 5) -> str:
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def _eval(args) -> int:
    if args.report and not args.report.parent.is_dir():  # before the evaluation, not after it
        raise QAError(f"Cannot write the report to {args.report}: the folder {args.report.parent} does not exist; "
                      "create it or choose another --report path.")
    result = evaluate(args.gold, index_dir=args.index, corpus=args.corpus, k=args.k,
                      mode=args.retriever, split=args.split, limit=args.limit)
    if args.report:
        args.report.write_text(render_markdown(result), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else render_table(result))
    return 0


def _bench(args) -> int:
    from benchmarks import bench

    scale = tuple(int(x) for x in args.scale.split(",") if x.strip())
    result = bench.run(args.corpus, args.questions_file, args.docs, args.questions, scale)
    print(json.dumps(result, indent=1) if args.json else bench.render(result))
    return 0


def _serve(args) -> int:
    from ui.app import serve

    settings = Settings.from_env(host=args.host, port=args.port)
    # Stopped by a service manager (SIGTERM) as by Ctrl-C: the page's server closes and the process
    # exits cleanly, taking its temporary files with it.
    with _sigterm_as_ctrl_c():
        serve(settings, args.index)
    return 0


@contextmanager
def _sigterm_as_ctrl_c():
    """While the block runs, SIGTERM (what systemd and Docker send) raises KeyboardInterrupt as Ctrl-C
    does. Only the main thread can set a handler; elsewhere (``main`` called from a thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
