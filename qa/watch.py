"""Keep an index in step with folders: new and changed files indexed, deleted files removed,
one article at a time through the store's incremental writes (``qa index --watch``).

The folders are scanned every ``interval`` seconds (no platform-specific file events, so it
works the same on network drives). A file is read once its size and time have stayed the same
for one scan, so a file still being written is not indexed half-way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.errors import QAError
from qa.ingest import iter_files, read_file
from qa.types import Problem

log = logging.getLogger("qa")
Signature = tuple[int, int]  # (modification time in ns, size)


def scan(paths: Sequence[str | Path]) -> dict[str, Signature]:
    """Every supported file under ``paths`` with its signature."""
    found = {}
    for path in iter_files(paths, []):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while scanning: the next scan sees it gone
        found[str(path.resolve())] = (stat.st_mtime_ns, stat.st_size)
    return found


class FolderWatcher:
    """Applies the differences between successive scans to ``assistant``'s index."""

    def __init__(self, assistant, paths: Sequence[str | Path], report: Callable[[str], None] = log.info):
        self.assistant, self.paths, self.report = assistant, list(paths), report
        self.known: dict[str, Signature] = {}
        self.pending: dict[str, Signature] = {}
        self.ids: dict[str, set[str]] = {}  # file -> the article ids read from it

    def start(self) -> None:
        """Index the folders as they are now (the index then holds exactly their articles)."""
        report = self.assistant.index(self.paths)
        self.report(f"indexed {report.documents} article(s) from {', '.join(map(str, self.paths))}; watching")
        self.known = scan(self.paths)
        for meta in self.assistant.documents():
            if meta.get("path"):
                self.ids.setdefault(str(Path(meta["path"]).resolve()), set()).add(meta["id"])

    def step(self) -> None:
        """One scan: apply every settled change."""
        now = scan(self.paths)
        changed = {p: sig for p, sig in now.items() if self.known.get(p) != sig}
        settled = {p: sig for p, sig in changed.items() if self.pending.get(p) == sig}
        self.pending = {p: sig for p, sig in changed.items() if p not in settled}
        for path, signature in sorted(settled.items()):
            self._apply(self._index_file, path)
            self.known[path] = signature
        for path in sorted(set(self.known) - set(now)):
            self._apply(self._remove_file, path)
            del self.known[path]

    def _apply(self, change: Callable[[str], None], path: str) -> None:
        try:
            change(path)
        except QAError as exc:  # one bad file must not stop the watch
            self.report(f"could not apply the change to {path}: {exc}")

    def _index_file(self, path: str) -> None:
        problems: list[Problem] = []
        documents = read_file(Path(path), problems)
        before = self.ids.get(path, set())
        gone = before - {d.id for d in documents}
        if documents:
            report = self.assistant.add_documents(documents)
            verb = "changed" if before else "added"
            self.report(f"{verb} {path} ({len(documents)} article(s)); the index holds {report.documents}")
        if gone:
            self.assistant.remove_documents(sorted(gone))
            self.report(f"removed {len(gone)} article(s) no longer in {path}")
        for problem in problems:
            self.report(f"skipped {problem}")
        self.ids[path] = {d.id for d in documents}

    def _remove_file(self, path: str) -> None:
        ids = self.ids.pop(path, set())
        if ids:
            report = self.assistant.remove_documents(sorted(ids))
            self.report(f"deleted {path}: removed {len(report.removed)} article(s); the index holds {report.documents}")

    def run(self, interval: float = 1.0, stop: threading.Event | None = None) -> None:
        """Scan until ``stop`` is set (or Ctrl-C)."""
        stop = stop or threading.Event()
        self.start()
        while not stop.wait(interval):
            self.step()
