"""A watched folder: files added, edited and deleted are reflected in the index within seconds."""

from __future__ import annotations

import threading
import time

from qa import Assistant, QAError
from tests.conftest import FakeEmbedder


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the index did not follow the folder in time")


def test_the_index_follows_a_watched_folder(settings, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "first.txt").write_text("Pelabuhan Tanjung Priok menerima kapal kontainer besar.", encoding="utf-8")
    assistant = Assistant(tmp_path / "watched-index", settings, FakeEmbedder(), build_default=False)
    lines, stop = [], threading.Event()
    watcher = threading.Thread(target=assistant.watch, args=([folder], 0.05, stop, lines.append))
    watcher.start()

    def ids():
        try:
            return {d["id"] for d in assistant.documents()}
        except QAError:  # before the first index exists
            return set()

    try:
        wait_for(lambda: ids() == {"first"})
        (folder / "second.md").write_text("# Jembatan\n\nJembatan Suramadu ditutup karena badai.", encoding="utf-8")
        wait_for(lambda: ids() == {"first", "second"})
        (folder / "first.txt").write_text("Bandara Kualanamu dibuka kembali setelah banjir.", encoding="utf-8")
        wait_for(lambda: "Kualanamu" in assistant.document("first").text)
        (folder / "second.md").unlink()
        wait_for(lambda: ids() == {"first"})
        (folder / "notes.txt").write_text("   ", encoding="utf-8")  # nothing to index: reported, not fatal
        wait_for(lambda: any("notes.txt" in line for line in lines))
    finally:
        stop.set()
        watcher.join(10)
    assert not watcher.is_alive()
    text = "\n".join(lines)
    assert "added" in text and "changed" in text and "deleted" in text and "skipped" in text
