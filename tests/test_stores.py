"""One suite for both stores: the embedded folder index and PostgreSQL (a real server, started
by the test session). Retrieval, answers and the API must not know which one they use."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qa import Assistant, Document, Filters, IndexMismatch, InvalidFilter, NothingToIndex, Settings
from qa.errors import StoreUnavailable
from qa.question import analyse_question
from tests.conftest import SEEDS, FakeEmbedder

BACKENDS = ["embedded", "postgres"]
QUESTIONS = ["When did Lavrov visit Pyongyang?", "Berapa kontainer yang dikirim Korea Utara?",
             "Siapa yang bertemu Kim Jong Un?", "harga tiket pesawat"]


def _settings(request, tmp_path, model: str, backend: str) -> Settings:
    store = request.getfixturevalue("pg_url") if backend == "postgres" else str(tmp_path / "folder-index")
    return Settings(model=model, cache_dir=tmp_path / "cache", store=store, seeds_dir=SEEDS, reader="off")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def assistant(request, tmp_path, fake_model, backend) -> Assistant:
    settings = _settings(request, tmp_path, fake_model, backend)
    built = Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False)
    built.index([SEEDS])
    return built


def _doc(doc_id: str, text: str, **meta) -> Document:
    return Document(id=doc_id, text=text, title=meta.pop("title", doc_id), **meta)


def test_the_store_setting_picks_the_backend(assistant, backend):
    assert type(assistant.store).__name__ == {"embedded": "EmbeddedStore", "postgres": "PostgresStore"}[backend]
    assert assistant.store.stats() == {"documents": 5, "chunks": sum(d["chunks"] for d in assistant.documents())}


def test_both_backends_rank_alike(request, tmp_path, fake_model):
    """Same articles, same model: the same passages in the same order in every retrieval mode."""
    ranked = {}
    for backend in BACKENDS:
        settings = _settings(request, tmp_path / backend, fake_model, backend)
        a = Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False)
        a.index([SEEDS])
        ranked[backend] = {(q, mode): [(p.doc_id, p.start, round(p.score, 2)) for p in a.retrieve(q, k=5, mode=mode)]
                           for q in QUESTIONS for mode in ("dense", "bm25", "hybrid")}
    for key, embedded in ranked["embedded"].items():
        assert [r[:2] for r in ranked["postgres"][key]] == [r[:2] for r in embedded], key
        assert np.allclose([r[2] for r in ranked["postgres"][key]], [r[2] for r in embedded], atol=0.02), key


def test_lexical_scores_match_bm25s_exactly(request, tmp_path, fake_model):
    readers = {}
    for backend in BACKENDS:
        a = Assistant(settings=_settings(request, tmp_path / backend, fake_model, backend), embedder=FakeEmbedder(),
                      build_default=False)
        a.index([SEEDS])
        readers[backend] = a.store.open_reader()
    terms = analyse_question("kontainer amunisi Korea Utara Rusia").terms
    embedded, postgres = (readers[b].lexical_search(terms, 10, expand=True) for b in BACKENDS)
    texts = {b: [c.text for c in readers[b].chunks(result[1].tolist())]
             for b, result in zip(BACKENDS, (embedded, postgres))}
    assert texts["embedded"] == texts["postgres"]
    assert np.allclose(embedded[0], postgres[0], rtol=1e-4)


def test_adding_replacing_and_removing_one_article(assistant):
    before = {d["id"] for d in assistant.documents()}
    report = assistant.add_documents([_doc("extra", "Jembatan Suramadu ditutup pada 3 Mei 2024 karena badai.",
                                           date="2024-05-03", source="Contoh")])
    assert report.added == ["extra"] and report.embedded_chunks == 1 and report.documents == 6
    assert {d["id"] for d in assistant.documents()} == before | {"extra"}
    assert assistant.retrieve("Jembatan Suramadu badai", k=1)[0].doc_id == "extra"

    report = assistant.add_documents([_doc("extra", "Bandara Kualanamu dibuka kembali pada 4 Mei 2024.")])
    assert report.changed == ["extra"] and report.documents == 6
    assert "Kualanamu" in assistant.document("extra").text
    assert assistant.retrieve("Jembatan Suramadu badai", k=1)[0].doc_id != "extra"

    report = assistant.remove_documents(["extra", "no-such-id"])
    assert report.removed == ["extra"] and report.documents == 5
    assert assistant.document("extra") is None
    assert {d["id"] for d in assistant.documents()} == before


def test_reindexing_the_same_folder_embeds_nothing(assistant):
    report = assistant.index([SEEDS])
    assert report.embedded_chunks == 0 and not report.added and not report.changed and not report.removed
    assert report.documents == 5


def test_reindexing_a_smaller_folder_removes_the_rest(assistant, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    for path in sorted(SEEDS.iterdir())[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    report = assistant.index([folder])
    assert report.documents == 2 and len(report.removed) == 3
    assert len(assistant.documents()) == 2


def test_nothing_to_index_leaves_the_index_as_it_was(assistant, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NothingToIndex):
        assistant.index([empty])
    assert len(assistant.documents()) == 5
    assert assistant.retrieve("Lavrov", k=1)


def test_another_model_is_refused_with_what_to_do(assistant):
    class OtherModel(FakeEmbedder):
        fingerprint = "fake:other"

    other = Assistant(settings=assistant.settings, embedder=OtherModel(), build_default=False)
    with pytest.raises(IndexMismatch, match="NEWSQA_MODEL"):
        other.retrieve("Lavrov")
    with pytest.raises(IndexMismatch):
        other.add_documents([_doc("x", "Teks baru tentang pelabuhan.")])
    assert other.index([SEEDS]).documents == 5  # re-indexing everything with the new model is allowed
    assert other.retrieve("Lavrov", k=1)


# -- filters ------------------------------------------------------------------------------------

@pytest.fixture
def dated(assistant) -> Assistant:
    assistant.add_documents([
        _doc("oct", "Pelabuhan Tanjung Priok menerima kapal kontainer besar pada Oktober.", date="2023-10-05",
             source="Kompas", lang="id"),
        _doc("nov", "Pelabuhan Tanjung Priok menutup dermaga kontainer pada November.", date="2023-11-20",
             source="Tempo", lang="id"),
        _doc("en", "The port of Tanjung Priok received a large container ship.", date="2023-10-06",
             source="Reuters", lang="en"),
        _doc("undated", "Pelabuhan Tanjung Priok dan kapal kontainer tanpa tanggal.", source="Kompas", lang="id"),
    ])
    return assistant


SEED_DATES = {"000_ca339fe098fdc454": "2023-10-19", "004_d4cb343e0a788d8c": "2023-07-27"}


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_filters_return_only_admitted_articles(dated, mode):
    question = "Pelabuhan Tanjung Priok kontainer"
    seeds = {d["id"] for d in dated.documents()} - {"oct", "nov", "en", "undated"}
    assert {d["id"]: d["date"] for d in dated.documents() if d["id"] in seeds and d["date"]} == SEED_DATES
    cases = {  # filters -> the articles they admit
        "October": ({"since": "2023-10-01", "until": "2023-10-31"}, {"oct", "en", "000_ca339fe098fdc454"}),
        "since": ({"since": "2023-11-01"}, {"nov"}),
        "until": ({"until": "2023-08-01"}, {"004_d4cb343e0a788d8c"}),
        "outlet": ({"sources": ["kompas"]}, {"oct", "undated"}),
        "language": ({"langs": ["en"]}, {"en"}),
        "ids": ({"doc_ids": ["nov", "undated"]}, {"nov", "undated"}),
        "combined": ({"since": "2023-01-01", "sources": ["Kompas"]}, {"oct"}),
    }
    for name, (filters, admitted) in cases.items():
        found = {p.doc_id for p in dated.retrieve(question, k=50, mode=mode, filters=filters)}
        assert found <= admitted, name  # nothing from outside the filter
        assert admitted - seeds <= found, name  # and no admitted article that matches is left out


def test_a_selective_filter_still_returns_k_hits(dated):
    admitted = Filters(sources=("Liputan6.com",))
    n_chunks = sum(d["chunks"] for d in dated.documents() if d["source"] == "Liputan6.com")
    assert n_chunks >= 3
    assert len(dated.retrieve("Korea", k=3, mode="dense", filters=admitted)) == 3


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgres_filters_stay_exact_on_the_hnsw_path(dated, backend, monkeypatch):
    """Above EXACT_FILTER_CHUNKS admitted chunks PostgreSQL walks the HNSW index with iterative
    scans instead of scanning: it must return the same hits."""
    import qa.stores.pg_reader as pg

    filters = {"sources": ["Kompas", "Liputan6.com"]}
    exact = [p.chunk_id for p in dated.retrieve("Pelabuhan kontainer Korea", k=6, mode="dense", filters=filters)]
    monkeypatch.setattr(pg, "EXACT_FILTER_CHUNKS", 0)
    walked = [p.chunk_id for p in dated.retrieve("Pelabuhan kontainer Korea", k=6, mode="dense", filters=filters)]
    assert walked == exact and len(exact) == 6


def test_ask_reports_the_filters_it_applied(dated):
    answer = dated.ask("Kapan kapal kontainer tiba di Tanjung Priok?", filters={"since": "2023-10-01"})
    assert answer.to_dict()["filters"] == {"since": "2023-10-01"}
    assert {p.doc_id for p in answer.passages} <= {"oct", "nov", "en", "000_ca339fe098fdc454"}


@pytest.mark.parametrize("bad, message", [
    ({"since": "October"}, "YYYY-MM-DD"), ({"since": "2023-11-01", "until": "2023-10-01"}, "empty"),
    ({"author": "x"}, "Unknown filter"), ({"until": "2023-02-30"}, "YYYY-MM-DD"),
])
def test_bad_filters_are_refused_with_a_message(dated, bad, message):
    with pytest.raises(InvalidFilter, match=message):
        dated.retrieve("Tanjung Priok", filters=bad)


def test_readers_never_fail_while_articles_are_written(assistant):
    errors, done = [], threading.Event()

    def read():
        while not done.is_set():
            try:
                assert assistant.retrieve("Lavrov Pyongyang", k=3)
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(4):
        assistant.add_documents([_doc(f"w{i}", f"Berita tambahan nomor {i} tentang jembatan dan Lavrov.")])
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert len(assistant.documents()) == 9


# -- PostgreSQL only -------------------------------------------------------------------------

def test_postgres_writes_touch_only_the_changed_article(request, tmp_path, fake_model):
    settings = _settings(request, tmp_path, fake_model, "postgres")
    a = Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False)
    a.index([SEEDS])
    reader = a.store.open_reader()
    before = {r[0]: r[1] for r in reader._rows("SELECT id, doc_id FROM newsqa_chunks")}
    a.add_documents([_doc("extra", "Satu artikel baru tentang pelabuhan.")])
    after = {r[0]: r[1] for r in reader._rows("SELECT id, doc_id FROM newsqa_chunks")}
    assert {k: v for k, v in after.items() if v != "extra"} == before  # other rows untouched
    reader.close()


def test_postgres_schema_is_versioned_and_manifest_kept(request, tmp_path, fake_model):
    from qa.stores.pg_schema import SCHEMA_VERSION

    settings = _settings(request, tmp_path, fake_model, "postgres")
    a = Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False)
    a.index([SEEDS])
    reader = a.store.open_reader()
    assert reader._rows("SELECT max(version) FROM newsqa_migrations")[0][0] == SCHEMA_VERSION
    assert reader.manifest["model"] == {"name": "fake-hash-embedder", "fingerprint": "fake:v1", "dimension": 64,
                                        "prompts": FakeEmbedder.prompts}
    reader.close()


def test_postgres_questions_reuse_one_connection_and_survive_a_dropped_one(request, tmp_path, fake_model):
    settings = _settings(request, tmp_path, fake_model, "postgres")
    a = Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False)
    a.index([SEEDS])
    a.ask(QUESTIONS[0])
    probe = a.store._probe
    a.ask(QUESTIONS[1])
    assert a.store._probe is probe and not probe.closed  # no new connection per question
    reader = a.store.open_reader()
    reader._rows(f"SELECT pg_terminate_backend({probe.info.backend_pid})")  # as a server restart would
    reader.close()
    assert a.ask(QUESTIONS[0]).citations  # connected again
    assert a.store._probe is not probe


def test_an_unreachable_server_gets_a_clear_message(tmp_path, fake_model):
    url = "postgresql://newsqa:secret@127.0.0.1:1/none"
    a = Assistant(settings=Settings(model=fake_model, cache_dir=tmp_path, store=url, reader="off"),
                  embedder=FakeEmbedder(), build_default=False)
    with pytest.raises(StoreUnavailable, match="Cannot connect to PostgreSQL") as error:
        a.retrieve("Lavrov")
    assert "secret" not in str(error.value)


def test_cli_indexes_asks_with_filters_and_removes_on_postgres(pg_url, fake_model, tmp_path, monkeypatch, capsys):
    import json

    from ui.cli import main

    for name, value in {"STORE": pg_url, "MODEL": fake_model, "READER": "off", "CACHE_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(f"NEWSQA_{name}", value)
    assert main(["index", str(SEEDS)]) == 0
    assert "Indexed 5 documents" in capsys.readouterr().out
    assert main(["ask", "Kapan Lavrov ke Pyongyang?", "--since", "2023-10-01", "--until", "2023-10-31",
                 "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["filters"] == {"since": "2023-10-01", "until": "2023-10-31"}
    assert {p["doc_id"] for p in answer["passages"]} == {"000_ca339fe098fdc454"}
    assert main(["eval", "--gold", str(SEEDS.parent / "eval" / "seeds_gold.jsonl"), "--limit", "4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 4
    assert main(["ask", "Lavrov", "--since", "19 Oktober"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["remove", "000_ca339fe098fdc454", "nope"]) == 1
    captured = capsys.readouterr()
    assert "Removed 1 article(s)" in captured.out and "nope" in captured.err


def test_postgres_schema_upgrades_in_place(request, tmp_path, fake_model):
    """A database of schema version 1 (no postings table) is upgraded by migration 2 on the next
    write: its rows are kept and the new table is filled from them."""
    from qa.stores.pg_schema import SCHEMA_VERSION, connect

    settings = _settings(request, tmp_path, fake_model, "postgres")
    Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False).index([SEEDS])
    with connect(settings.store) as conn:  # back to what schema version 1 left
        conn.execute("DROP TABLE newsqa_postings")
        conn.execute("DELETE FROM newsqa_migrations WHERE version > 1")
    new = Assistant(settings=settings, embedder=FakeEmbedder(), build_default=False)
    new.add_documents([_doc("extra", "Pelabuhan baru dibuka untuk kapal kontainer.")])
    reader = new.store.open_reader()
    assert reader._rows("SELECT max(version) FROM newsqa_migrations")[0][0] == SCHEMA_VERSION == 2
    postings = reader._rows("SELECT count(*) FROM newsqa_postings")[0][0]
    lexemes = reader._rows("SELECT count(*) FROM newsqa_chunks c, unnest(c.lexemes) u")[0][0]
    assert postings == lexemes > 0
    assert new.retrieve("Pelabuhan baru kapal kontainer", k=1, mode="bm25")[0].doc_id == "extra"
    assert "Lavrov" in new.retrieve("Lavrov Pyongyang", k=1, mode="bm25")[0].text
    reader.close()
