"""A watched folder: files added, edited and deleted are reflected in the index within seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from qa import Assistant, QAError
from qa.stores.folder import current_version
from tests.conftest import MODEL_CACHE, REPO, FakeEmbedder


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


@pytest.mark.slow
def test_a_service_manager_stops_the_watch_as_ctrl_c_does(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "banjir.txt").write_text("Banjir melanda Jakarta pada Senin pagi setelah hujan deras.\n" * 3)
    index = tmp_path / "index"
    env = {**os.environ, "NEWSQA_CACHE_DIR": str(MODEL_CACHE), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    watch = subprocess.Popen([sys.executable, "-m", "ui.cli", "index", str(folder), "--index", str(index), "--watch",
                              "--interval", "0.2"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: current_version(index) is not None or watch.poll() is not None, timeout=120)
        assert watch.poll() is None, watch.stdout.read()
    finally:
        watch.terminate()  # SIGTERM
    assert watch.wait(30) == 0
    assert "stopped watching" in watch.stdout.read()
