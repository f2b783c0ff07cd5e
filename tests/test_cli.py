import json

import pytest

from tests.conftest import SEEDS
from ui.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_then_ask_json(tmp_path, capsys, monkeypatch, fake_model):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    monkeypatch.setenv("NEWSQA_CACHE_DIR", str(tmp_path / "cache"))
    index = str(tmp_path / "idx")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01binary")
    code, out, err = run(capsys, "index", str(SEEDS), str(tmp_path / "bad.txt"), "--index", index)
    assert code == 0 and "Indexed 5 documents" in out
    assert "bad.txt" in err and "binary" in err

    code, out, _ = run(capsys, "ask", "Kapan Shoigu tiba di Korea Utara?", "--index", index, "--json", "-k", "3")
    data = json.loads(out)
    assert set(data) >= {"question", "answer", "abstained", "citations", "passages"}
    assert len(data["passages"]) == 3
    for item in data["passages"] + data["citations"]:
        assert {"doc_id", "title", "start", "end", "text", "score"} <= set(item)
    assert all("n" in c for c in data["citations"])


def test_errors_are_messages_not_tracebacks(tmp_path, capsys, monkeypatch, fake_model):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    code, _, err = run(capsys, "ask", "Lavrov?", "--index", str(tmp_path / "none"))
    assert code == 2 and err.startswith("error: No index in") and "Traceback" not in err
    code, _, err = run(capsys, "ask", "   ", "--index", str(tmp_path / "none"))
    assert code == 2 and "empty" in err


@pytest.mark.parametrize("case", ["empty folder", "only unreadable", "missing path"])
def test_indexing_nothing_says_why_and_keeps_the_index(tmp_path, capsys, monkeypatch, fake_model, case):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    monkeypatch.setenv("NEWSQA_CACHE_DIR", str(tmp_path / "cache"))
    index = tmp_path / "idx"
    assert run(capsys, "index", str(SEEDS), "--index", str(index))[0] == 0
    before = sorted(p.name for p in index.iterdir())
    target = tmp_path / "articles"
    if case != "missing path":
        target.mkdir()
    if case == "only unreadable":
        (target / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        (target / "empty.md").write_text("   \n")
    code, out, err = run(capsys, "index", str(target), "--index", str(index))
    assert code == 2 and "Traceback" not in err and "vocab_dict" not in err
    assert err.startswith(f"error: No article could be read from {target}")
    if case == "only unreadable":
        assert "photo.txt: binary content" in err and "empty.md: no article text" in err
    if case == "missing path":
        assert "no such file or folder" in err
    assert sorted(p.name for p in index.iterdir()) == before  # the previous index is untouched
    code, out, _ = run(capsys, "ask", "Kapan Shoigu tiba?", "--index", str(index), "--json")
    assert code == 0 and json.loads(out)["passages"]
