"""The shape of the package: its public API, its import graph, settings, and the index under
concurrent use by one Assistant."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

import qa
from qa import Assistant, Document, IndexCorrupt, SettingsError
from qa.settings import Settings
from qa.stores.embedded import IndexStore
from qa.stores.folder import POINTER
from tests.conftest import REPO, SEEDS, FakeEmbedder

PACKAGES = ("qa", "embeddings", "ui", "benchmarks")
PUBLIC = {
    "SUPPORTED_SUFFIXES", "Answer", "Assistant", "Chunk", "Citation", "Document", "Filters", "GoldFileError",
    "IndexCorrupt", "IndexMismatch", "IndexNotFound", "IndexProblem", "IndexReport", "InvalidFilter",
    "InvalidQuestion", "ModelError", "NothingToIndex", "Passage", "Problem", "QAError", "Settings", "SettingsError",
    "StoreUnavailable", "UploadReport", "answer_json", "answer_markdown", "ask", "evaluate", "get_assistant", "index",
    "render_markdown", "render_table", "retrieve",
}


def all_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        for info in pkgutil.walk_packages([str(REPO / package)], prefix=f"{package}."):
            names.append(info.name)
    return names


def test_public_api_is_pinned_and_never_shadowed_by_a_submodule():
    assert set(qa.__all__) == PUBLIC
    for name in all_modules():  # importing every internal module must not replace an API name
        if name.startswith("qa"):
            importlib.import_module(name)
    for name in ("ask", "retrieve", "index", "evaluate", "get_assistant"):
        assert callable(getattr(qa, name)) and not isinstance(getattr(qa, name), type(qa)), name


def imports_of(module: str) -> set[str]:
    """Project modules that ``module`` imports (at any depth of its code)."""
    path = REPO / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = REPO / module.replace(".", "/") / "__init__.py"
    known = set(all_modules())
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def test_no_import_cycles_and_layers_point_one_way():
    graph = {name: imports_of(name) for name in all_modules()}
    # Submodules may not import the package facade ``qa`` (only the page, CLI and tools do).
    for name, targets in graph.items():
        if name.startswith("qa."):
            assert "qa" not in targets, f"{name} imports the public facade"
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in [n for n in graph if n != "qa"]:
        if name not in state:
            visit(name, [name])
    layer = {"embeddings": 0, "qa": 1, "ui": 2, "benchmarks": 2}
    for name, targets in graph.items():
        for target in targets:
            top, target_top = name.split(".")[0], target.split(".")[0]
            assert layer[target_top] <= layer[top], f"{name} imports {target} (a higher layer)"
    for name in ("ui.app", "ui.cli", "ui.render"):  # the page and the CLI use only the public API
        assert {t for t in graph[name] if t.startswith("qa")} <= {"qa"}, name


def test_settings_are_typed_and_validated():
    settings = Settings.from_env({"NEWSQA_LEXICAL_WEIGHT": "0.3", "NEWSQA_TOP_K": "7", "NEWSQA_TITLE_PREFIX": "yes",
                                  "NEWSQA_INDEX_DIR": "~/idx"})
    assert settings.lexical_weight == 0.3 and isinstance(settings.lexical_weight, float)
    assert settings.top_k == 7 and settings.title_prefix is True and settings.index_dir == Path.home() / "idx"
    with pytest.raises(SettingsError, match=r"NEWSQA_FUSION must be one of weighted, rrf; got 'rrff'"):
        Settings.from_env({"NEWSQA_FUSION": "rrff"})
    with pytest.raises(SettingsError, match="NEWSQA_LEXICAL_WEIGHT must be a number, got 'heavy'"):
        Settings.from_env({"NEWSQA_LEXICAL_WEIGHT": "heavy"})
    with pytest.raises(SettingsError, match="NEWSQA_TOP_K must be a whole number"):
        Settings.from_env({"NEWSQA_TOP_K": "2.5"})
    with pytest.raises(SettingsError, match="NEWSQA_TITLE_PREFIX must be true or false"):
        Settings.from_env({"NEWSQA_TITLE_PREFIX": "maybe"})
    with pytest.raises(SettingsError, match="NEWSQA_INDEX_TYPE must be one of auto, flat, hnsw, ivf_sq8"):
        Settings(index_type="annoy")
    with pytest.raises(SettingsError, match="NEWSQA_BATCH_SIZE must be at least 1"):
        Settings(batch_size=0)


def test_one_default_index_location_for_page_cli_and_python(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSQA_CACHE_DIR", raising=False)
    monkeypatch.delenv("NEWSQA_INDEX_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Assistant().index_dir == tmp_path / "newsqa" / "index"
    # make run / make test must not point the page somewhere else than `qa` and Python look.
    makefile = (REPO / "Makefile").read_text()
    assert "NEWSQA_CACHE_DIR :=" not in makefile and "NEWSQA_CACHE_DIR ?=" not in makefile
    assert "NEWSQA_INDEX_DIR" not in makefile
    dry = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True).stdout
    assert "qa serve" in dry and "NEWSQA_" not in dry


def test_a_garbage_current_pointer_is_reported_as_corrupt(tmp_path, settings):
    index = tmp_path / "idx"
    Assistant(index, settings, FakeEmbedder()).index([SEEDS])
    (index / POINTER).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(IndexCorrupt, match=r"damaged\. Rebuild it with `qa index PATH\.\.\. --index"):
        Assistant(index, settings, FakeEmbedder()).ask("Kapan Lavrov tiba?")


class GatedEmbedder(FakeEmbedder):
    """Blocks passage embedding until ``release`` is set, so a test can ask during an upload."""

    def __init__(self):
        super().__init__()
        self.embedding, self.release = threading.Event(), threading.Event()

    def embed_batch(self, texts, kind):
        if kind == "passage" and not self.release.is_set():
            self.embedding.set()
            self.release.wait(30)
        return super().embed_batch(texts, kind)


def test_questions_are_answered_while_an_upload_is_embedded(tmp_path, settings):
    embedder = GatedEmbedder()
    embedder.release.set()
    assistant = Assistant(tmp_path / "idx", settings, embedder)
    assistant.index([SEEDS])
    embedder.release.clear()
    new = Document(id="jembatan", text="Jembatan baru diresmikan di Solo pada Senin (5/8/2024) oleh wali kota.")
    upload = threading.Thread(target=assistant.add_documents, args=([new],))
    upload.start()
    assert embedder.embedding.wait(10), "the upload never started embedding"
    started = time.perf_counter()
    answer = assistant.ask("Kapan Lavrov tiba di Pyongyang?")
    waited = time.perf_counter() - started
    assert waited < 5 and not answer.abstained  # answered from the current index, not after the upload
    assert all(d["id"] != "jembatan" for d in assistant.documents())
    embedder.release.set()
    upload.join(30)
    assert any(d["id"] == "jembatan" for d in assistant.documents())


def test_swapping_the_index_never_closes_a_store_in_use(tmp_path, settings, monkeypatch):
    assistant = Assistant(tmp_path / "idx", settings, FakeEmbedder())
    assistant.index([SEEDS])
    original = IndexStore.chunks

    def slow_chunks(self, rows):  # widen the window in which a search holds the store
        time.sleep(0.01)
        return original(self, rows)

    monkeypatch.setattr(IndexStore, "chunks", slow_chunks)
    errors, done = [], threading.Event()

    def read():
        while not done.is_set():
            try:
                assistant.retrieve("Lavrov Pyongyang Shoigu", k=3)
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    for i in range(4):
        assistant.add_documents([Document(id=f"extra{i}", text=f"Berita tambahan nomor {i} tentang jembatan.")])
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert len(assistant.documents()) == 9


class OtherModelEmbedder(FakeEmbedder):
    fingerprint = "fake:v2"


def test_the_default_index_is_re_embedded_when_the_model_changes(settings):
    first = Assistant(None, settings, FakeEmbedder())
    first.documents()  # the default index, built from the seeds
    first.add_documents([Document(id="jembatan", text="Jembatan baru diresmikan di Solo pada Senin (5/8/2024).")])
    upgraded = Assistant(None, settings, OtherModelEmbedder())
    assert upgraded.ask("Kapan jembatan baru diresmikan di Solo?").passages  # not IndexMismatch
    assert {d["id"] for d in upgraded.documents()} >= {"jembatan", "000_ca339fe098fdc454"}
    assert IndexStore.open(settings.resolved_index_dir).manifest["model"]["fingerprint"] == "fake:v2"
    with pytest.raises(qa.IndexMismatch):  # a folder named explicitly is refused, not rebuilt
        Assistant(settings.resolved_index_dir, settings, FakeEmbedder()).ask("Kapan?")
