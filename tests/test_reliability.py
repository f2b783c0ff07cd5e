"""Bad input, interrupted builds, concurrent readers, uploads and hostile content."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from html import escape
from pathlib import Path

import pytest

from qa import Answer, Assistant, Citation, Document, InvalidQuestion, Passage, QAError, Settings, SettingsError
from qa.ingest import load_documents
from qa.stores.folder import current_version
from qa.uploads import safe_filename
from tests.conftest import REPO, SEEDS, FakeEmbedder
from ui.app import EXAMPLES, AnswerFiles, build_app, example_questions, serve, upload_summary
from ui.render import article_view, source_cards


def more_articles(folder, n):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"extra{i:03d}.txt").write_text(
            f"Berita tambahan nomor {i}. Pemerintah kota ke-{i} meresmikan jembatan baru pada Senin. " * 3)


def seeded_index(tmp_path, settings):
    """A copy of the seeds indexed with the fake embedder: (index dir, articles dir, assistant)."""
    index, articles = tmp_path / "index", tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    assistant = Assistant(index, settings, FakeEmbedder())
    assistant.index([articles])
    return index, articles, assistant


def index_in_a_process(tmp_path: Path, articles: Path, index: Path) -> subprocess.Popen:
    """`qa index` in a process with a slow fake embedder, returned once it is embedding."""
    marker = tmp_path / "embedding-started"
    env = {**os.environ, "NEWSQA_MODEL": "fake", "NEWSQA_CACHE_DIR": str(tmp_path / "cache"),
           "NEWSQA_BATCH_SIZE": "2", "MARKER": str(marker)}
    command = [sys.executable, "-m", "tests.slow_index_cli", "index", str(articles), "--index", str(index)]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the indexer never started embedding"
    return proc


def test_sigkill_during_embedding_keeps_the_previous_index(tmp_path, settings):
    index, articles, assistant = seeded_index(tmp_path, settings)
    before = assistant.ask("Kapan Lavrov tiba di Pyongyang?").to_dict()
    old_version = current_version(index)

    more_articles(articles, 40)
    proc = index_in_a_process(tmp_path, articles, index)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    assert current_version(index) == old_version
    assert sorted(p.name for p in index.iterdir() if p.name.startswith("v-")) == [old_version.name]
    reopened = Assistant(index, settings, FakeEmbedder())
    assert reopened.ask("Kapan Lavrov tiba di Pyongyang?").to_dict() == before

    report = reopened.index([articles])  # the next run completes and cleans up
    assert report.documents == 45 and current_version(index) != old_version
    assert not list(index.glob(".building-*"))
    assert any(p.doc_id.startswith("extra") for p in reopened.retrieve("jembatan baru kota", k=3))


def test_sigterm_during_embedding_removes_the_build_and_keeps_the_previous_index(tmp_path, settings):
    index, articles, assistant = seeded_index(tmp_path, settings)
    old_version = current_version(index)
    more_articles(articles, 40)
    proc = index_in_a_process(tmp_path, articles, index)
    proc.send_signal(signal.SIGTERM)  # what systemd or Docker sends
    assert proc.wait(timeout=30) == 130 and "interrupted" in proc.stderr.read()
    assert current_version(index) == old_version
    assert not list(index.glob(".building-*"))  # removed by the build itself, not by the next one


def test_readers_keep_answering_while_the_index_is_rebuilt(tmp_path, settings):
    index, articles, _ = seeded_index(tmp_path, settings)
    reader = Assistant(index, settings, FakeEmbedder())
    errors, answers, done = [], [], threading.Event()

    def read():
        while not done.is_set():
            try:
                answers.append(reader.retrieve("jembatan baru kota Lavrov", k=3))
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    more_articles(articles, 60)
    Assistant(index, settings, FakeEmbedder()).index([articles])
    time.sleep(0.3)
    done.set()
    thread.join()
    assert errors == []
    assert answers and any(p.doc_id.startswith("extra") for p in answers[-1])
    assert len(reader.documents()) == 65


def test_ten_thousand_tiny_files_and_big_inputs(tmp_path, settings):
    folder = tmp_path / "many"
    for i in range(10_000):
        sub = folder / f"d{i // 1000}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"n{i}.txt").write_text(f"Kabar singkat {i}: harga cabai naik {i % 97} persen di pasar {i % 13}.")
    (folder / "huge.txt").write_bytes(b"kata " * (10 * 1024 * 1024))  # 50 MB in one article
    long_line = json.dumps({"id": "huge-line", "text": "x " * (5 * 1024 * 1024)})
    (folder / "lines.jsonl").write_text(long_line + "\n" + json.dumps({"id": "ok-line", "text": "Baris yang baik."}))
    (folder / "copy-a.txt").write_text("Artikel kembar yang sama persis isinya.")
    (folder / "copy-b.txt").write_text("Artikel kembar yang sama persis isinya.")

    report = Assistant(tmp_path / "index", settings, FakeEmbedder()).index([folder])
    reasons = {p.path.rsplit("/", 1)[-1]: p.reason for p in report.problems}
    assert report.documents == 10_000 + 2  # tiny files, one good jsonl line, one of the twins
    assert "over the 10 MB limit" in reasons["huge.txt"]
    assert "longer than" in reasons["lines.jsonl:1"]
    assert "same text as document 'copy-a'" in reasons["copy-b.txt"]


def test_odd_questions_are_answered_or_refused_with_a_message(fake_assistant):
    # A name no article mentions, in another script: "not found", with the nearest passages.
    russian = fake_assistant.ask("Когда Лавров приехал в Пхеньян?")
    assert russian.abstained and russian.passages
    # Control characters are stripped before anything else sees the question.
    cleaned = fake_assistant.ask("Lavrov\x07 tiba\x1b[31m kapan?")
    assert cleaned.question == "Lavrov tiba [31m kapan?" and cleaned.passages
    with pytest.raises(InvalidQuestion, match="limit is 2000"):
        fake_assistant.ask("ok? " * 600)


def test_uploads_are_checked_and_names_sanitised(tmp_path, fake_assistant):
    files = tmp_path / "incoming"
    files.mkdir()
    good = files / "berita.txt"
    good.write_text("Festival budaya digelar di Solo pada Sabtu (3/8/2024) dengan 200 penari.")
    renamed_png = files / "photo.txt"
    renamed_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    script = files / "run.sh"
    script.write_text("rm -rf /")
    big = files / "big.txt"
    big.write_bytes(b"a " * (1024 * 1024))
    settings = fake_assistant.settings.with_(max_upload_mb=1, max_upload_files=4)
    fake_assistant.settings = settings
    result = fake_assistant.add_files([str(good), str(renamed_png), str(script), str(big), str(good)])
    assert [doc_id for doc_id, _ in result.added] == ["berita"] and result.documents_in_index == 6
    reasons = {p.path: p.reason for p in result.problems}
    assert reasons["photo.txt"].startswith("binary") and reasons["run.sh"].startswith("type not allowed")
    assert reasons["big.txt"] == "larger than 1 MB" and "over the limit of 4 files" in reasons["berita.txt"]
    report = upload_summary(result)
    assert report.startswith("Added 1 article(s); the index now holds 6.")
    assert "- Festival budaya digelar di Solo" in report and "Rejected 4 file(s):" in report
    assert any(d["id"] == "berita" for d in fake_assistant.documents())
    assert len(fake_assistant.documents()) == 6
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("..\\..\\win.ini") == "win.ini"
    assert safe_filename(".hidden.txt") == "hidden.txt"
    assert safe_filename("a b<>|c.md") == "a_b___c.md"


def test_serving_off_loopback_requires_credentials():
    assert all(Settings(host=h).host_is_loopback for h in ("127.0.0.1", "::1", "localhost"))
    assert not Settings(host="0.0.0.0").host_is_loopback
    with pytest.raises(QAError, match="without authentication"):
        serve(Settings(host="0.0.0.0", port=1), block=False)
    assert Settings(auth="ann:secret, bob:pw").credentials == [("ann", "secret"), ("bob", "pw")]
    with pytest.raises(SettingsError, match="NEWSQA_AUTH must be 'user:password'"):
        Settings.from_env({"NEWSQA_AUTH": "nopassword"})
    with pytest.raises(SettingsError, match="NEWSQA_PORT must be a port number, 1-65535"):
        Settings.from_env({"NEWSQA_PORT": "99999"})


def test_a_port_in_use_is_a_message_that_names_our_option(fake_assistant):
    import socket

    from ui.app import launch

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(QAError, match=f"Cannot serve on 127.0.0.1:{port}.*--port"):
            launch(fake_assistant, "127.0.0.1", port, block=False)


def test_article_text_is_escaped_in_every_view():
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    doc = Document(id="x", text=f"Judul\n\n{payload} Lavrov tiba.", title=f"<b>{payload}</b>", source="<i>s</i>")
    passage = Passage(doc_id="x", start=0, end=len(doc.text), text=doc.text, score=1.0, title=doc.title)
    answer = Answer("q", "t", [Citation(1, passage, highlights=[(7, len(doc.text))])], [passage], False)
    for html in (source_cards(answer), article_view(doc, [(7, 20)], []),
                 source_cards(Answer("q", "t", [], [passage], True))):
        assert "<script" not in html and "<img" not in html and "<i>s</i>" not in html
        assert escape(doc.title) in html  # the title is shown, as text
        assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html  # markup shown as text


def test_the_page_keeps_only_its_latest_answer_files_and_removes_them_with_it():
    passage = Passage(doc_id="x", start=0, end=12, text="Lavrov tiba.", score=1.0, title="Judul")
    files = AnswerFiles(keep=2)
    assert files.folder is None  # nothing on disk until there is an answer
    written = [files.write(Answer(f"q{i}", f"answer {i}", [Citation(1, passage)], [passage], False))
               for i in range(5)]
    kept = [paths for paths in written if all(os.path.exists(p) for p in paths)]
    assert kept == written[-2:]  # the older ones are gone, the latest two are whole
    markdown, exported = (Path(p).read_text(encoding="utf-8") for p in written[-1])
    assert "answer 4" in markdown and json.loads(exported)["question"] == "q4"
    folder = files.folder
    del files
    assert not folder.exists()  # nothing left behind once the page is gone


def test_the_page_offers_the_seed_questions_only_over_the_seed_articles(tmp_path, settings, fake_embedder,
                                                                         fake_assistant):
    assert example_questions(fake_assistant) == EXAMPLES
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "banjir.txt").write_text("Banjir melanda Jakarta pada Senin pagi setelah hujan deras semalam.\n" * 3)
    other = Assistant(tmp_path / "other-index", settings, fake_embedder)
    other.index([mine])
    assert example_questions(other) == []
    page = build_app(other)  # and the page is built without them
    assert not any(type(block).__name__ == "Dataset" for block in page.blocks.values())
    assert any(type(block).__name__ == "Dataset" for block in build_app(fake_assistant).blocks.values())


def test_documents_with_markup_are_stored_as_text(tmp_path):
    (tmp_path / "a.txt").write_text("<script>x()</script> Berita biasa tentang banjir di Jakarta hari ini.")
    docs, problems = load_documents([tmp_path])
    assert docs[0].text.startswith("<script>")  # stored verbatim; escaped when shown
