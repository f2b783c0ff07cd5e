import json
import pickle
import shutil

import numpy as np
import pytest

from qa import Assistant, IndexCorrupt, IndexMismatch, IndexNotFound
from qa.stores.embedded import IndexStore
from qa.stores.folder import MANIFEST, current_version
from tests.conftest import SEEDS, FakeEmbedder


def copy_seeds(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


def test_index_folder_has_manifest_and_no_pickle(fake_assistant):
    version = current_version(fake_assistant.index_dir)
    manifest = json.loads((version / MANIFEST).read_text())
    assert manifest["format_version"] == 2
    assert manifest["model"]["fingerprint"] == "fake:v1" and manifest["model"]["dimension"] == 64
    assert manifest["chunking"]["max_chars"] == fake_assistant.settings.chunk_chars
    assert set(manifest["documents"]) == {p.stem for p in SEEDS.glob("*.txt")}
    assert manifest["counts"]["chunks"] == manifest["counts"]["rows"] == IndexStore.open(
        fake_assistant.index_dir).faiss.ntotal > 0
    for name in manifest["files"]:
        assert not name.endswith((".pkl", ".pickle"))
        head = (version / name).read_bytes()[:2]
        assert head != b"\x80\x04" and head != b"\x80\x05"  # pickle protocol headers


def test_reindexing_embeds_only_new_or_changed_documents(tmp_path, settings):
    articles = copy_seeds(tmp_path)
    embedder = FakeEmbedder()
    assistant = Assistant(settings.index_dir, settings, embedder)
    first = assistant.index([articles])
    assert first.embedded_chunks == first.chunks and first.reused_chunks == 0
    assert len(first.added) == 5

    again = assistant.index([articles])
    assert again.embedded_chunks == 0 and again.reused_chunks == again.chunks
    assert again.added == again.changed == again.removed == []

    (articles / "004_d4cb343e0a788d8c.txt").unlink()
    changed = articles / "000_ca339fe098fdc454.txt"
    changed.write_text(changed.read_text() + "\nParagraf baru tentang kereta api di perbatasan.\n")
    (articles / "new.txt").write_text("Artikel baru sama sekali tentang panen padi di Jawa Tengah.")
    third = assistant.index([articles])
    assert third.added == ["new"] and third.changed == ["000_ca339fe098fdc454"]
    assert third.removed == ["004_d4cb343e0a788d8c"]
    assert 0 < third.embedded_chunks <= 3  # the changed tail and the new article only
    assert {d["id"] for d in assistant.documents()} == {p.stem for p in articles.glob("*.txt")}
    assert all(p.doc_id != "004_d4cb343e0a788d8c" for p in assistant.retrieve("Shoigu pameran rudal", k=10))


def test_stored_vectors_match_a_fresh_embedding(fake_assistant):
    store = IndexStore.open(fake_assistant.index_dir)
    rows = list(range(store.faiss.ntotal))
    chunks = store.chunks(rows)
    docs = {m["id"]: m for m in store.documents()}
    from qa.indexer import embedding_text
    from qa.types import Chunk

    prefix = fake_assistant.settings.title_prefix
    texts = [embedding_text(store.document(c.doc_id), Chunk(c.doc_id, c.start, c.end, c.text), prefix) for c in chunks]
    fresh = FakeEmbedder().embed_passages(texts)
    assert np.allclose(store.vectors()[rows], fresh, atol=1e-6)
    assert set(docs) == {c.doc_id for c in chunks}


def test_index_built_with_another_model_is_refused(fake_assistant, settings):
    class OtherModel(FakeEmbedder):
        name, fingerprint = "other", "other:v1"

    with pytest.raises(IndexMismatch, match="built with the embedding model"):
        Assistant(settings.index_dir, settings, OtherModel()).retrieve("Lavrov")


def test_other_format_version_is_refused(fake_assistant):
    version = current_version(fake_assistant.index_dir)
    manifest = json.loads((version / MANIFEST).read_text())
    manifest["format_version"] = 99
    (version / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="qa index"):
        IndexStore.open(fake_assistant.index_dir)


@pytest.mark.parametrize("victim", ["faiss.index", "store.sqlite", "vectors.npy", "bm25/main/rows.npy",
                                    "deleted_rows.npy"])
def test_truncated_or_altered_files_are_detected(fake_assistant, victim):
    path = current_version(fake_assistant.index_dir) / victim
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="Rebuild it with `qa index"):
        IndexStore.open(fake_assistant.index_dir)


def test_planted_pickle_is_never_loaded(fake_assistant, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    version = current_version(fake_assistant.index_dir)
    for name in ("index.pkl", "bm25/params.pkl", "faiss.pkl"):
        (version / name).write_bytes(pickle.dumps(Payload()))
    Assistant(fake_assistant.index_dir, fake_assistant.settings, FakeEmbedder()).ask("Lavrov Pyongyang")
    assert not marker.exists()


def test_missing_index_is_explained(tmp_path, settings):
    with pytest.raises(IndexNotFound, match="qa index"):
        Assistant(tmp_path / "nothing", settings, FakeEmbedder()).retrieve("apa")


def test_failed_build_leaves_previous_index_intact(fake_assistant, tmp_path):
    before = [p.to_dict() for p in fake_assistant.retrieve("Lavrov tiba di Pyongyang", k=3)]

    class Exploding(FakeEmbedder):
        def embed_batch(self, texts, kind):
            if kind == "passage":
                raise RuntimeError("killed mid-embedding")
            return super().embed_batch(texts, kind)

    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "x.txt").write_text("Sesuatu yang sama sekali baru untuk di-embed.")
    broken = Assistant(fake_assistant.index_dir, fake_assistant.settings, Exploding())
    with pytest.raises(RuntimeError):
        broken.index([tmp_path / "more"])
    reopened = Assistant(fake_assistant.index_dir, fake_assistant.settings, FakeEmbedder())
    assert [p.to_dict() for p in reopened.retrieve("Lavrov tiba di Pyongyang", k=3)] == before
    assert not list(fake_assistant.index_dir.glob(".building-*"))


def test_default_assistant_indexes_the_seeds(settings):
    assistant = Assistant(settings=settings, embedder=FakeEmbedder())
    assert len(assistant.documents()) == 5


def test_abandoned_build_folders_of_dead_processes_are_removed(fake_assistant):
    abandoned = fake_assistant.index_dir / ".building-20260101T000000-999999999-abcd"
    abandoned.mkdir()
    (abandoned / "faiss.index").write_bytes(b"half written")
    fake_assistant.index([SEEDS])
    assert not abandoned.exists()


def test_large_index_files_are_memory_mapped(fake_assistant, monkeypatch):
    import embeddings.vector_index as vector_index

    expected = [p.to_dict() for p in fake_assistant.retrieve("Shoigu pameran pertahanan", k=3)]
    monkeypatch.setattr(vector_index, "MMAP_ABOVE_BYTES", 0)
    mapped = Assistant(fake_assistant.index_dir, fake_assistant.settings, FakeEmbedder())
    assert [p.to_dict() for p in mapped.retrieve("Shoigu pameran pertahanan", k=3)] == expected


def test_adding_and_deleting_articles_appends_without_a_rebuild(fake_assistant):
    from qa import Document

    before = json.loads((current_version(fake_assistant.index_dir) / MANIFEST).read_text())
    rows = before["counts"]["rows"]
    smallest = min(fake_assistant.documents(), key=lambda d: d["chunks"])
    fake_assistant.add_documents([Document(id="extra", text="Jembatan Suramadu ditutup karena badai besar.")])
    fake_assistant.remove_documents([smallest["id"]])
    after = current_version(fake_assistant.index_dir)
    manifest = json.loads((after / MANIFEST).read_text())
    assert manifest["counts"]["rows"] == rows + 1 and manifest["counts"]["main_rows"] == rows  # appended
    main = "bm25/main/rows.npy"
    assert manifest["files"][main] == before["files"][main]
    assert manifest["counts"]["chunks"] == rows + 1 - smallest["chunks"]
    assert len(np.load(after / "deleted_rows.npy")) == smallest["chunks"]
    assert fake_assistant.retrieve("Jembatan Suramadu badai", k=1)[0].doc_id == "extra"
    for mode in ("dense", "bm25", "hybrid"):
        assert all(p.doc_id != smallest["id"] for p in fake_assistant.retrieve("Korea Utara Rusia", k=50, mode=mode))


def test_appended_bm25_scores_equal_a_fresh_build(fake_assistant, tmp_path, settings):
    from qa import Document

    extra = [Document(id=f"x{i}", text=f"Pelabuhan nomor {i} menerima kapal kontainer dan jembatan baru.")
             for i in range(3)]
    fake_assistant.add_documents(extra)
    fake_assistant.remove_documents(["001_eae76bf788f95f59", "x1"])
    fresh = Assistant(tmp_path / "fresh", settings, FakeEmbedder())
    fresh.add_documents([fake_assistant.document(d["id"]) for d in fake_assistant.documents()])
    for question in ("Pelabuhan kontainer jembatan", "Lavrov Pyongyang Shoigu", "Berapa kontainer dikirim"):
        grown = [(p.doc_id, p.start, round(p.score, 4)) for p in fake_assistant.retrieve(question, k=8, mode="bm25")]
        built = [(p.doc_id, p.start, round(p.score, 4)) for p in fresh.retrieve(question, k=8, mode="bm25")]
        assert grown == built, question


def test_an_index_of_the_older_format_is_rebuilt_from_its_articles(tmp_path, settings):
    default = Assistant(settings=settings, embedder=FakeEmbedder())
    default.documents()  # builds the default index from the seeds
    version = current_version(settings.resolved_index_dir)
    manifest = json.loads((version / MANIFEST).read_text())
    (version / MANIFEST).write_text(json.dumps({**manifest, "format_version": 1}))
    with pytest.raises(IndexMismatch, match="reads version 2"):
        IndexStore.open(settings.resolved_index_dir)
    again = Assistant(settings=settings, embedder=FakeEmbedder())
    assert len(again.documents()) == 5 and again.retrieve("Lavrov", k=1)


def test_bm25_arrays_score_as_bm25s_does():
    import bm25s

    from qa.lexical import BM25_B, BM25_K1, LexicalIndex, chunk_tokens

    texts = [p.read_text(encoding="utf-8")[i: i + 700] for p in sorted(SEEDS.glob("*.txt")) for i in (0, 700, 1400)]
    ours = LexicalIndex.build(texts)
    reference = bm25s.BM25(k1=BM25_K1, b=BM25_B)  # bm25s's default method is Lucene's, as ours
    reference.index([chunk_tokens(t) for t in texts], show_progress=False)
    for query in (["kontainer", "korea", "rusia"], ["lavrov", "pyongyang", "lavrov"]):
        assert np.allclose(ours.get_scores(query), reference.get_scores(query), atol=1e-6)
