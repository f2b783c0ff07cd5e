"""Evaluation figures of two revisions or two settings side by side, measured in one run.

    .venv/bin/python benchmarks/compare.py BEFORE_REV [AFTER_REV] [--data ../shared/data]
    .venv/bin/python benchmarks/compare.py . --before-env NEWSQA_READER=off [--sets seeds,facqa-id,facqa-en,idkmrc]

Each revision is checked out into a temporary git worktree ("." or no AFTER_REV: the working
tree itself) and runs its own `qa index` / `qa eval` with this virtual environment and the
given NEWSQA_* settings: the seeds gold set (index built from seeds/), FacQA valid in
Indonesian and in English over an index of all FacQA passages, IDK-MRC valid over an index of
its passages. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Old revisions kept the CLI in qa.cli; newer ones in ui.cli.
RUNNER = ("import sys; sys.path.insert(0, sys.argv.pop(1))\n"
          "try:\n    from ui.cli import main\nexcept ImportError:\n    from qa.cli import main\n"
          "sys.exit(main(sys.argv[1:]))")
COLUMNS = ("hit@1", "hit@10", "mrr@10", "answer hit", "citation precision", "answerable refused",
           "unanswerable refused", "latency p50 ms")


def qa_command(tree: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", RUNNER, str(tree), *args], cwd=tree, check=True,
                            capture_output=True, text=True, env={**os.environ, **env})
    return result.stdout


def measure(tree: Path, env: dict[str, str], data: Path, scratch: Path, sets: list[str]) -> dict[str, dict]:
    facqa, idkmrc = scratch / "facqa-index", scratch / "idkmrc-index"
    if {"facqa-id", "facqa-en"} & set(sets):
        qa_command(tree, env, "index", str(data / "facqa" / "passages.jsonl"), "--index", str(facqa))
    if "idkmrc" in sets:
        qa_command(tree, env, "index", str(data / "idkmrc" / "passages.jsonl"), "--index", str(idkmrc))
    gold = {
        "seeds": ("seeds gold", ["--gold", "eval/seeds_gold.jsonl", "--corpus", "seeds"]),
        "facqa-id": ("FacQA valid (id)", ["--gold", str(data / "facqa" / "qa.jsonl"), "--index", str(facqa)]),
        "facqa-en": ("FacQA valid (en)", ["--gold", str(data / "facqa" / "qa_en.jsonl"), "--index", str(facqa)]),
        "idkmrc": ("IDK-MRC valid", ["--gold", str(data / "idkmrc" / "qa.jsonl"), "--index", str(idkmrc)]),
    }
    out = {}
    for key in sets:
        name, args = gold[key]
        split = [] if key == "seeds" else ["--split", "valid"]
        out[name] = json.loads(qa_command(tree, env, "eval", *args, *split, "-k", "10", "--json"))
    return out


def row(result: dict) -> list[str]:
    r, a = result["retrieval"], result["abstention"]

    def fmt(value):
        return "—" if value is None else f"{value:.3f}"

    return [fmt(r["hit@1"]), fmt(r["hit@10"]), fmt(r["mrr@10"]), fmt(result["answer"]["hit"]),
            fmt(result["citations"]["precision"]), fmt(a["answerable_abstained"]), fmt(a["unanswerable_abstained"]),
            f"{result['latency_ms']['median']:.0f}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a revision, or . for the working tree")
    parser.add_argument("after", nargs="?", default=".", help="default: the working tree")
    parser.add_argument("--before-env", nargs="*", default=[], metavar="NEWSQA_X=V")
    parser.add_argument("--after-env", nargs="*", default=[], metavar="NEWSQA_X=V")
    parser.add_argument("--sets", default="seeds,facqa-id,facqa-en")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    sets = args.sets.split(",")
    results = {}
    with tempfile.TemporaryDirectory(prefix="qa-compare-") as tmp:
        for label, rev, pairs in (("before", args.before, args.before_env), ("after", args.after, args.after_env)):
            env = dict(pair.split("=", 1) for pair in pairs)
            rev = None if rev == "." else rev
            tree = REPO
            if rev is not None:
                tree = Path(tmp) / f"tree-{label}"
                subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO, check=True,
                               capture_output=True)
            scratch = Path(tmp) / label
            scratch.mkdir()
            try:
                name = " ".join([rev or "working tree", *pairs])
                results[f"{label} ({name})"] = measure(tree, env, args.data.resolve(), scratch, sets)
            finally:
                if rev is not None:
                    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, check=False)
    print("| set | revision | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for name in next(iter(results.values())):
        for label, by_set in results.items():
            print(f"| {name} | {label} | " + " | ".join(row(by_set[name])) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
