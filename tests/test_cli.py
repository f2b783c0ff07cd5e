import json
import signal

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


@pytest.mark.parametrize("args,says", [
    (("ask", "Lavrov?", "-k", "0"), "argument -k: 0 is out of range (1 or more)"),
    (("eval", "--gold", "gold.jsonl", "-k", "-3"), "argument -k: -3 is out of range"),
    (("serve", "--port", "99999"), "argument --port: 99999 is out of range (1-65535)"),
    (("index", "a.txt", "--watch", "--interval", "0"), "argument --interval: 0 must be more than 0 seconds"),
    (("index", "a.txt", "--workers", "many"), "argument --workers: 'many' is not a whole number"),
])
def test_out_of_range_options_are_refused_before_anything_runs(capsys, args, says):
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 2 and says in capsys.readouterr().err


def test_a_report_that_cannot_be_written_is_refused_before_the_evaluation(tmp_path, capsys):
    code, _, err = run(capsys, "eval", "--gold", str(tmp_path / "never-read.jsonl"),
                       "--report", str(tmp_path / "no-such-folder" / "report.md"))
    assert code == 2 and "the folder" in err and "does not exist" in err  # not "cannot read the gold file"


def test_indexing_into_a_file_says_so(tmp_path, capsys, monkeypatch, fake_model):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    monkeypatch.setenv("NEWSQA_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "a-file").write_text("not an index")
    code, _, err = run(capsys, "index", str(SEEDS), "--index", str(tmp_path / "a-file"))
    assert code == 2 and "is a file, not an index folder" in err
    assert (tmp_path / "a-file").read_text() == "not an index"


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(tmp_path, monkeypatch):
    import os
    import sys

    monkeypatch.setenv("NEWSQA_CACHE_DIR", str(tmp_path / "cache"))
    read_end, write_end = os.pipe()
    os.close(read_end)  # `qa ... | head -1` once head has exited
    with open(write_end, "w") as closed_pipe:
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        assert main(["feedback"]) == 0  # it prints a line, which cannot be written


def test_index_holds_exactly_its_paths_and_add_keeps_the_rest(tmp_path, capsys, monkeypatch, fake_model):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    monkeypatch.setenv("NEWSQA_CACHE_DIR", str(tmp_path / "cache"))
    index = str(tmp_path / "idx")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "kenya.txt").write_text("Kenya membuka ladang surya terbesar di Afrika Timur pada Senin, kata menteri.")
    handler = signal.getsignal(signal.SIGTERM)
    assert run(capsys, "index", str(SEEDS), "--index", index)[0] == 0
    assert signal.getsignal(signal.SIGTERM) is handler  # SIGTERM stops `qa index` only while it runs
    code, out, _ = run(capsys, "index", str(extra), "--index", index, "--add")
    assert code == 0 and "Indexed 6 documents" in out and "removed 0" in out
    code, out, _ = run(capsys, "index", str(extra), "--index", index)  # without --add: only what is under extra/
    assert code == 0 and "Indexed 1 documents" in out and "removed 5" in out
    assert "`qa index --add` keeps what is already indexed" in out
    code, _, err = run(capsys, "index", str(extra), "--index", index, "--add", "--watch")
    assert code == 2 and "cannot go together" in err


def test_the_index_report_names_each_skipped_file_once_and_nothing_else(tmp_path, capsys, caplog, monkeypatch,
                                                                        fake_model):
    monkeypatch.setenv("NEWSQA_MODEL", "fake")
    monkeypatch.setenv("NEWSQA_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text("Kenya membuka ladang surya terbesar di Afrika Timur pada Senin, kata menteri.")
    (folder / "scriptonly.html").write_text("<html><body><script>var x = 1;</script></body></html>")
    (folder / "mix.jsonl").write_text('{"id": "j1", "text": "Banjir melanda Jakarta pada Senin pagi."}\n{broken\n')
    code, _, err = run(capsys, "index", str(folder), "--index", str(tmp_path / "idx"))
    assert code == 0
    assert err.count("skipped ") == 2 and "mix.jsonl:2: not valid JSON" in err and "scriptonly.html" in err
    assert "; skipped" not in err  # not "skipped ...; skipped"
    assert not [r for r in caplog.records if r.name.startswith("trafilatura")]  # no "discarding data: None"


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
