"""Disagreeing sources, on small crafted article sets (fake embedder, the rules' answer path)."""

from __future__ import annotations

import pytest

from qa import Assistant, Document
from qa.answer.conflicts import parse_number
from tests.conftest import FakeEmbedder

QUESTION = "Berapa kontainer amunisi yang dikirim Korea Utara ke Rusia?"


def corpus(settings, tmp_path, sentences: list[str]) -> Assistant:
    assistant = Assistant(tmp_path / "crafted", settings, FakeEmbedder(), build_default=False)
    assistant.add_documents([Document(id=f"a{i}", text=text, title=f"Artikel {i}", source=f"Outlet {i}")
                             for i, text in enumerate(sentences)])
    return assistant


@pytest.mark.parametrize("text, amount, qualifier, unit", [
    ("1.000 kontainer", 1000, "", "kontainer"), ("1,000 containers", 1000, "", "containers"),
    ("lebih dari 1.000 kontainer", 1000, "more", "kontainer"), ("more than 1,000", 1000, "more", ""),
    ("sekitar 2,5 juta", 2_500_000, "about", ""), ("seribu kontainer", 1000, "", "kontainer"),
    ("30 persen", 30, "", "%"), ("6.395,70 ton", 6395.7, "", "ton"), ("6.395.70 ton", 6395.7, "", "ton"),
    ("2.5 juta", 2_500_000, "", ""),
])
def test_numbers_are_compared_by_meaning(text, amount, qualifier, unit):
    value = parse_number(text)
    assert (value.amount, value.qualifier, value.unit) == (amount, qualifier, unit)


def test_agreeing_sources_give_one_answer(settings, tmp_path):
    assistant = corpus(settings, tmp_path, [
        "Korea Utara mengirim 1.000 kontainer amunisi ke Rusia bulan lalu.",
        "Sebanyak 1.000 kontainer amunisi dikirim Korea Utara ke Rusia, kata Gedung Putih.",
    ])
    answer = assistant.ask(QUESTION)
    assert "differ" not in answer.text and "berbeda" not in answer.text
    assert "1.000 kontainer" in answer.text


def test_disagreeing_sources_show_each_value_with_its_citation(settings, tmp_path):
    assistant = corpus(settings, tmp_path, [
        "Korea Utara mengirim 1.000 kontainer amunisi ke Rusia bulan lalu.",
        "Korea Utara mengirim lebih dari 1.000 kontainer amunisi ke Rusia, kata Gedung Putih.",
    ])
    answer = assistant.ask(QUESTION)
    lines = answer.text.splitlines()
    assert lines[0] == "Sumber berbeda:"
    assert len(lines) == 3 and {c.passage.doc_id for c in answer.citations} == {"a0", "a1"}
    assert any(line.startswith("- lebih dari 1.000 kontainer:") and "[" in line for line in lines)
    assert any(line.startswith("- 1.000 kontainer:") for line in lines)


def test_one_outlier_against_agreeing_sources(settings, tmp_path):
    assistant = corpus(settings, tmp_path, [
        "Korea Utara mengirim 1.000 kontainer amunisi ke Rusia bulan lalu.",
        "Sebanyak 1.000 kontainer amunisi dikirim Korea Utara ke Rusia, kata Gedung Putih.",
        "Korea Utara disebut mengirim 1.000 kontainer amunisi ke Rusia.",
        "Korea Utara mengirim 2.000 kontainer amunisi ke Rusia, menurut sumber lain.",
    ])
    answer = assistant.ask(QUESTION)
    lines = answer.text.splitlines()
    assert lines[0] == "Sumber berbeda:" and len(lines) == 3
    majority = next(line for line in lines if line.startswith("- 1.000"))
    assert "juga diberitakan" in majority  # the agreeing articles back the same line
    assert any(line.startswith("- 2.000") for line in lines)


def test_different_things_counted_are_not_a_disagreement(settings, tmp_path):
    assistant = corpus(settings, tmp_path, [
        "Korea Utara mengirim 1.000 kontainer amunisi ke Rusia bulan lalu.",
        "Korea Utara mengirim 300 rudal dan kontainer amunisi ke Rusia bulan lalu.",
    ])
    assert "berbeda" not in assistant.ask(QUESTION).text
