import json

from qa.cli import main
from tests.conftest import SEEDS


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_then_ask_json(tmp_path, capsys, monkeypatch):
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


def test_errors_are_messages_not_tracebacks(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    code, _, err = run(capsys, "ask", "Lavrov?", "--index", str(tmp_path / "none"))
    assert code == 2 and err.startswith("error: No index in") and "Traceback" not in err
    code, _, err = run(capsys, "ask", "   ", "--index", str(tmp_path / "none"))
    assert code == 2 and "empty" in err
