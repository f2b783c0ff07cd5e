import json

from qa.clean import clean_text, extract_metadata
from qa.ingest import decode_bytes, load_documents
from tests.conftest import SEEDS


def test_seeds_are_read_with_metadata_and_without_boilerplate():
    docs, problems = load_documents([SEEDS])
    assert problems == []
    by_id = {d.id: d for d in docs}
    assert len(docs) == 5
    first = by_id["000_ca339fe098fdc454"]
    assert first.source == "Liputan6.com" and first.dateline == "Pyongyang" and first.date == "2023-10-19"
    assert by_id["001_eae76bf788f95f59"].title.startswith("Lavrov dari Rusia mengunjungi Korea Utara")
    assert by_id["002_40a6057ee60a1d58"].source == "EGINDO.co"
    assert by_id["003_62443caccf3103da"].source == "RIAU24.COM"
    assert by_id["004_d4cb343e0a788d8c"].dateline == "Seoul"
    for doc in docs:
        assert doc.lang == "id"
        for noise in ("Baca Juga", "Advertisement", "Scroll to Top", "Bagikan :", "(***)", "Â"):
            assert noise not in doc.text, (doc.id, noise)
    # real text next to the noise survives
    assert "Kami menentang kebijakan yang tidak konstruktif" in first.text


def test_cleaning_repairs_mojibake_but_keeps_real_text():
    assert clean_text("CafÃ© di Jakarta\nAdvertisement\nâ€œHaloâ€\x9d katanya.") == "Café di Jakarta\n“Halo” katanya."


def test_title_and_dateline_heuristics():
    meta = extract_metadata("Judul Berita Hari Ini\n\nJAKARTA - Presiden meresmikan jalan tol pada 3 Maret 2021.")
    assert meta["title"] == "Judul Berita Hari Ini"
    assert meta["dateline"] == "Jakarta" and meta["date"] == "2021-03-03"
    meta = extract_metadata("Kim Jong Un - pemimpin yang kontroversial - berbicara lama sekali di depan rapat partai.")
    assert meta["dateline"] == ""


def test_formats_and_bad_files_are_reported_not_fatal(tmp_path):
    (tmp_path / "good.txt").write_text("Berita baik tentang ekonomi Indonesia yang tumbuh.", encoding="utf-8")
    (tmp_path / "note.md").write_text("# Judul Markdown\n\nIsi artikel markdown yang cukup panjang.\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("   \n\t\n")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "doc.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (tmp_path / "latin1.txt").write_bytes("Berita dari São Paulo tentang café.".encode("latin-1"))
    (tmp_path / "notepad.txt").write_bytes("Berita dari Notepad tentang café di Bandung.".encode("utf-16"))  # BOM
    (tmp_path / "boiler.txt").write_text("Advertisement\nBaca Juga\nScroll to Top\n")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    sub = tmp_path / "nested" / "deeper"
    sub.mkdir(parents=True)
    (sub / "inner.txt").write_text("Artikel di dalam folder bersarang tentang pemilu.")
    (sub / "loop").symlink_to(tmp_path, target_is_directory=True)
    lines = [
        json.dumps({"id": "j1", "text": "Artikel JSON pertama tentang banjir di Jakarta.", "title": "Banjir",
                    "source": "Kompas", "date": "2020-01-01"}),
        "{broken json",
        json.dumps({"id": "j2"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "good", "text": "duplicate id of good.txt"}),
        "",
    ]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines), encoding="utf-8")

    docs, problems = load_documents([tmp_path, tmp_path / "missing.txt"])
    ids = sorted(d.id for d in docs)
    assert ids == ["good", "inner", "j1", "latin1", "note", "notepad"]
    by_id = {d.id: d for d in docs}
    assert by_id["latin1"].text == "Berita dari São Paulo tentang café."
    assert by_id["notepad"].text == "Berita dari Notepad tentang café di Bandung."
    assert by_id["note"].title == "Judul Markdown"
    assert (by_id["j1"].title, by_id["j1"].source, by_id["j1"].date) == ("Banjir", "Kompas", "2020-01-01")
    reasons = {p.path.rsplit("/", 1)[-1]: p.reason for p in problems}
    assert "binary" in reasons["image.txt"] and "binary" in reasons["doc.txt"]
    assert "no article text" in reasons["empty.txt"] and "no article text" in reasons["blank.txt"]
    assert "no article text" in reasons["boiler.txt"]
    assert "not valid JSON" in reasons["batch.jsonl:2"]
    assert "missing" in reasons["batch.jsonl:3"] and "text" in reasons["batch.jsonl:3"]
    assert "JSON object" in reasons["batch.jsonl:4"]
    assert "duplicate document id" in reasons["good.txt"]  # batch.jsonl sorts first and wins
    assert "no such file" in reasons["missing.txt"]


def test_decode_rejects_binary_and_accepts_bom():
    assert decode_bytes("\ufeffhalo".encode("utf-8")) == "halo"
    assert decode_bytes(b"\x00\x01\x02binary") is None


def test_html_pages_keep_title_and_date_and_drop_boilerplate(tmp_path):
    body = " ".join(["Pemerintah kota Bandung meresmikan taman kota baru yang luasnya dua hektare."] * 4)
    (tmp_path / "page.html").write_text(f"""<!doctype html><html><head><title>Taman Baru di Bandung</title>
        <meta property="article:published_time" content="2024-03-05"></head><body>
        <nav><a href="/">Beranda</a> | <a href="/news">Berita</a></nav>
        <article><h1>Taman Baru di Bandung</h1><p>{body}</p><p>{body}</p></article>
        <footer>Hak cipta 2024. Iklan. Ikuti kami di media sosial.</footer>
        <script>var tracking = 1;</script></body></html>""", encoding="utf-8")
    docs, problems = load_documents([tmp_path])
    assert problems == []
    doc = docs[0]
    assert doc.title == "Taman Baru di Bandung" and doc.date == "2024-03-05"
    assert "meresmikan taman kota baru" in doc.text
    assert "tracking" not in doc.text and "Beranda" not in doc.text


def test_jsonl_dates_are_stored_as_iso_days_and_a_non_date_is_said(tmp_path, caplog):
    written = {"a": "03/03/2023", "b": "March 3, 2023", "c": "2023-03-03T10:00:00Z", "d": "Senin, 3 Maret 2023",
               "e": "yesterday-ish"}
    (tmp_path / "dated.jsonl").write_text("\n".join(
        json.dumps({"id": k, "text": f"Harga cabai di Medan naik {i + 10} persen pekan ini, kata pedagang.", "date": v})
        for i, (k, v) in enumerate(written.items())), encoding="utf-8")
    docs, problems = load_documents([tmp_path])
    assert problems == []
    assert {d.id: d.date for d in docs} == {"a": "2023-03-03", "b": "2023-03-03", "c": "2023-03-03",
                                            "d": "2023-03-03", "e": ""}
    assert "dated.jsonl:5: date 'yesterday-ish' is not a date" in caplog.text
