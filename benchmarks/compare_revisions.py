"""Evaluation figures of two revisions side by side, measured in one run on this machine.

    .venv/bin/python benchmarks/compare_revisions.py BEFORE_REV [AFTER_REV] [--data ../shared/data]

Each revision is checked out into a temporary git worktree (AFTER_REV defaults to the working
tree itself) and runs its own `qa index` / `qa eval` with this virtual environment: the seeds
gold set (index built from seeds/), FacQA valid in Indonesian and in English over an index of
all FacQA passages. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
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


def qa_command(tree: Path, *args: str, capture: bool = True) -> str:
    result = subprocess.run([sys.executable, "-c", RUNNER, str(tree), *args], cwd=tree, check=True,
                            capture_output=True, text=True)
    return result.stdout


def measure(tree: Path, data: Path, scratch: Path) -> dict[str, dict]:
    index = scratch / "facqa-index"
    qa_command(tree, "index", str(data / "facqa" / "passages.jsonl"), "--index", str(index))
    sets = {
        "seeds gold": ["--gold", "eval/seeds_gold.jsonl", "--corpus", "seeds"],
        "FacQA valid (id)": ["--gold", str(data / "facqa" / "qa.jsonl"), "--split", "valid", "--index", str(index)],
        "FacQA valid (en)": ["--gold", str(data / "facqa" / "qa_en.jsonl"), "--split", "valid", "--index", str(index)],
    }
    return {name: json.loads(qa_command(tree, "eval", *args, "-k", "10", "--json")) for name, args in sets.items()}


def row(result: dict) -> list[str]:
    r, a = result["retrieval"], result["abstention"]

    def fmt(value):
        return "—" if value is None else f"{value:.3f}"

    return [fmt(r["hit@1"]), fmt(r["hit@10"]), fmt(r["mrr@10"]), fmt(result["answer"]["hit"]),
            fmt(result["citations"]["precision"]), fmt(a["answerable_abstained"]), fmt(a["unanswerable_abstained"]),
            f"{result['latency_ms']['median']:.0f}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default=None, help="default: the working tree")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="qa-compare-") as tmp:
        for label, rev in (("before", args.before), ("after", args.after)):
            tree = REPO
            if rev is not None:
                tree = Path(tmp) / f"tree-{label}"
                subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO, check=True,
                               capture_output=True)
            scratch = Path(tmp) / label
            scratch.mkdir()
            try:
                results[f"{label} ({rev or 'working tree'})"] = measure(tree, args.data.resolve(), scratch)
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
