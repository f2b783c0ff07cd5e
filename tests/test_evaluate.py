import json

import pytest

from qa.errors import GoldFileError
from qa.evaluation import evaluate, load_gold, render_markdown
from qa.ingest import load_documents
from tests.conftest import REPO, SEEDS

GOLD = REPO / "eval" / "seeds_gold.jsonl"


@pytest.fixture(scope="module")
def seed_texts():
    docs, _ = load_documents([SEEDS])
    return {d.id: d.text for d in docs}


def test_seed_gold_set_is_valid_and_balanced(seed_texts):
    questions, problems = load_gold(GOLD, seed_texts.get)
    assert problems == []
    assert len(questions) >= 60
    langs = [q.lang for q in questions]
    assert 0.4 <= langs.count("en") / len(langs) <= 0.6
    assert sum(not q.answerable for q in questions) >= 8
    covered = {doc for q in questions for doc, _, _ in q.evidence}
    assert covered == set(seed_texts)
    assert any(len({doc for doc, _, _ in q.evidence}) > 1 for q in questions)
    for q in questions:  # every quote resolved to a real span of its document
        for doc, start, end in q.evidence:
            assert 0 <= start < end <= len(seed_texts[doc])


def test_bad_lines_are_reported_with_their_line_number(tmp_path, seed_texts):
    gold = tmp_path / "gold.jsonl"
    good = {"id": "ok", "question": "Kapan?", "answers": ["Rabu"],
            "evidence": [{"doc": "000_ca339fe098fdc454", "quote": "Lavrov tiba di Pyongyang"}]}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"id": "a", "question": "x"}),
        json.dumps({**good, "id": "b", "evidence": [{"doc": "nope", "quote": "x"}]}),
        json.dumps({**good, "id": "c", "evidence": [{"doc": "000_ca339fe098fdc454", "quote": "never said"}]}),
        json.dumps({"id": "d", "question": "q", "answers": [], "context_id": "000_ca339fe098fdc454"}),
        json.dumps({**good}),
    ]
    gold.write_text("\n".join(lines))
    questions, problems = load_gold(gold, seed_texts.get)
    assert [q.id for q in questions] == ["ok", "d"]
    messages = {p.path.rsplit(":", 1)[1]: p.reason for p in problems}
    assert "not valid JSON" in messages["2"]
    assert "missing field" in messages["3"]
    assert "unknown document" in messages["4"]
    assert "quote not found" in messages["5"]
    assert "duplicate id" in messages["7"]


def test_evaluate_figures_agree_with_the_per_question_records(fake_assistant, tmp_path):
    result = evaluate(GOLD, assistant=fake_assistant, k=10, mode="bm25")
    records = result["questions"]
    assert result["n"] == len(records) == sum(1 for line in GOLD.read_text().splitlines() if line.strip())
    answerable = [r for r in records if r["answerable"]]
    for cutoff in (1, 3, 5, 10):  # recomputed from the ranks each question reports
        expected = sum(bool(r["ranks"]) and r["ranks"][0] <= cutoff for r in answerable) / len(answerable)
        assert result["retrieval"][f"hit@{cutoff}"] == pytest.approx(expected, abs=5e-5)
    assert result["retrieval"]["hit@1"] <= result["retrieval"]["hit@5"] <= result["retrieval"]["hit@10"]
    unanswerable = [r for r in records if not r["answerable"]]
    expected = sum(r["abstained"] for r in unanswerable) / len(unanswerable)
    assert result["abstention"]["unanswerable_abstained"] == pytest.approx(expected, abs=5e-5)
    assert result["answer"]["hit"] == pytest.approx(sum(r["hit"] for r in answerable) / len(answerable), abs=5e-5)
    assert sum(group["n"] for group in result["by_lang"].values()) == result["n"]
    assert set(result["retrieval"]) == {"hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10"}
    assert set(result["abstention"]) == {"unanswerable_abstained", "answerable_abstained"}
    assert {"hit"} == set(result["answer"]) and {"precision"} == set(result["citations"])
    assert {"median", "p95"} == set(result["latency_ms"])
    assert {"en", "id"} <= set(result["by_lang"]) and "unanswerable" in result["by_kind"]
    assert 0 < result["retrieval"]["hit@10"] <= 1
    first = result["questions"][0]
    assert {"id", "ranks", "answer", "hit", "abstained"} <= set(first)
    report = render_markdown(result)
    assert "## Failed questions" in report


def test_facqa_style_lines(fake_assistant, tmp_path):
    gold = tmp_path / "facqa.jsonl"
    gold.write_text(json.dumps({"id": "f1", "question": "Siapa menteri pertahanan Rusia yang menemani Kim?",
                                "answers": ["Shoigu"], "context_id": "004_d4cb343e0a788d8c", "split": "valid"})
                    + "\n" + json.dumps({"id": "f2", "question": "x", "answers": ["y"],
                                         "context_id": "000_ca339fe098fdc454", "split": "train"}))
    result = evaluate(gold, assistant=fake_assistant, split="valid", mode="bm25")
    assert result["n"] == 1 and result["retrieval"]["hit@10"] == 1.0
    with gold.open("a") as handle:  # a line with no split is of no split
        no_split = {"id": "f3", "question": "z", "answers": [], "context_id": "000_ca339fe098fdc454"}
        handle.write("\n" + json.dumps(no_split))
    assert evaluate(gold, assistant=fake_assistant, split="valid", mode="bm25")["n"] == 1
    with pytest.raises(GoldFileError, match='has "split": "test"; leave out --split'):
        evaluate(gold, assistant=fake_assistant, split="test", mode="bm25")


def test_empty_gold_file_is_an_error(fake_assistant, tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(GoldFileError):
        evaluate(tmp_path / "empty.jsonl", assistant=fake_assistant)


def test_a_gold_file_with_no_usable_line_says_what_a_line_needs(fake_assistant, tmp_path):
    (tmp_path / "gold.jsonl").write_text(json.dumps({"question": "Siapa?"}) + "\n")
    with pytest.raises(GoldFileError, match=r"gold.jsonl:1: missing field\(s\): id, answers.*A line needs id"):
        evaluate(tmp_path / "gold.jsonl", assistant=fake_assistant)
