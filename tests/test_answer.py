import pytest

from qa.answer import NOT_FOUND, compose_answer
from qa.errors import InvalidQuestion
from qa.question import analyse_question, clean_question
from qa.text.dates import date_specificity, find_date, named_days
from qa.text.entities import answer_spans
from qa.types import Hits, Passage


def passage(doc, text, score=0.9, start=0, date=""):
    return Passage(doc_id=doc, start=start, end=start + len(text), text=text, score=score, date=date)


def answer_to(question, passages, corpus_terms=()):
    return compose_answer(question, analyse_question(question), Hits(passages, frozenset(corpus_terms)))


def test_question_types_in_both_languages():
    assert analyse_question("When did Lavrov visit Pyongyang?").kind == "when"
    assert analyse_question("Kapan Lavrov tiba?").kind == "when"
    assert analyse_question("Berapa kontainer dikirim?").kind == "number"
    assert analyse_question("How many soldiers died?").kind == "number"
    assert analyse_question("Siapa yang menemani Kim?").kind == "who"
    assert analyse_question("Di mana pembicaraan diadakan?").kind == "where"
    assert analyse_question("Why did he go?").kind == "other"
    assert analyse_question("When did Lavrov visit Pyongyang?").key_terms == ["lavrov", "pyongyang"]


def test_date_spans_cover_indonesian_forms():
    sentence = "Lavrov tiba pada Rabu (18/10) dan bertemu Kim pada Kamis (19/10/2023), setelah KTT Juni 2024."
    found = [sentence[a:b] for a, b in answer_spans(sentence, "when")]
    assert any("Rabu (18/10)" in f for f in found)
    assert any("19/10/2023" in f for f in found)
    assert any("Juni 2024" in f for f in found)
    numbers = "Mereka mengirim 1.000 kontainer pada 2023."
    assert [numbers[a:b] for a, b in answer_spans(numbers, "number")] == ["1.000"]


def test_a_spaced_day_and_month_is_a_date_too():
    # Some news archives (FacQA's Kompas texts) write "Kamis (8/ 9)".
    sentence = "Di hari terakhir Grand Prix Asia 2005, Kamis (8/ 9), tim beregu putra hanya meraih perunggu."
    assert "Kamis (8/ 9)" in [sentence[a:b] for a, b in answer_spans(sentence, "when")]
    assert (8, 9) in named_days(sentence) and date_specificity("( 8 / 9 )") == 1.0


def test_a_date_the_calendar_lacks_is_no_date():
    assert find_date("Laporan 2023-02-30 itu salah.") == ""
    assert find_date("Bukan 30/02/2023, tetapi 3/3/2023 dan 31 April 2023.") == "2023-03-03"
    assert find_date("Pada 29 Februari 2024 hujan.") == "2024-02-29"


def test_when_answer_cites_the_dated_sentence_with_document_offsets():
    text = "Pertemuan itu hangat. Lavrov tiba di Pyongyang pada Rabu (18/10) untuk kunjungan dua hari."
    p = passage("a", text, start=100)
    answer = answer_to("When did Lavrov arrive in Pyongyang?", [p])
    assert not answer.abstained
    assert "Rabu (18/10)" in answer.text and answer.text.endswith("[1]")
    (start, end), = answer.citations[0].highlights
    assert text[start - 100:end - 100].startswith("Lavrov tiba")
    assert any(text[a - 100:b - 100].endswith("(18/10)") for a, b in answer.citations[0].answer_spans)


def test_several_occurrences_are_listed_in_time_order():
    later = passage("b", "Lavrov bertemu Kim di Wonsan pada hari Minggu setelah KTT Juni 2024.", 0.95)
    earlier = passage("a", "Lavrov tiba di Pyongyang pada Rabu (18/10/2023) untuk kunjungan dua hari.", 0.9)
    answer = answer_to("Kapan Lavrov berkunjung?", [later, earlier])
    lines = answer.text.splitlines()
    assert len(lines) == 2 and "2023" in lines[0] and "Wonsan" in lines[1]


def test_abstains_when_the_question_names_something_absent():
    p = passage("a", "Lavrov mengecam kebijakan AS yang berbahaya terhadap Korea Utara pada Kamis (19/10).")
    answer = answer_to("What did Lavrov say about Taiwan?", [p])
    assert answer.abstained and answer.text == NOT_FOUND and answer.citations == []
    assert answer.passages == [p]  # the nearest passages are still shown
    asked_in_indonesian = answer_to("Apa kata Lavrov tentang Taiwan?", [p])
    assert asked_in_indonesian.abstained and asked_in_indonesian.text == "Tidak ditemukan dalam artikel."


def test_names_known_to_the_corpus_are_weaker_evidence():
    p = passage("a", "Lavrov tiba di Pyongyang pada Rabu (18/10) untuk kunjungan dua hari.")
    question = "When did Lavrov visit North Korea?"
    assert answer_to(question, [p]).abstained  # "korea" appears nowhere
    assert not answer_to(question, [p], corpus_terms={"korea", "north korea"}).abstained


def test_abstains_when_no_passage_offers_a_date_for_a_when_question():
    p = passage("a", "Lavrov mengecam kebijakan AS yang berbahaya terhadap Korea Utara.")
    assert answer_to("When did Lavrov criticise the US?", [p]).abstained


def test_abstains_with_no_passages():
    assert answer_to("Anything?", []).abstained


def test_same_fact_in_another_article_is_cited_once():
    a = passage("a", "Korea Utara mengirim lebih dari 1.000 kontainer peralatan militer ke Rusia.", 0.9)
    b = passage("b", "Gedung Putih menyebut lebih dari 1.000 kontainer amunisi telah dikirim.", 0.85)
    answer = answer_to("Berapa kontainer yang dikirim Korea Utara ke Rusia?", [a, b])
    assert len(answer.citations) == 1
    assert answer.citations[0].also_reported_by == ["b"]


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "?!...", "x" * 10_000])
def test_bad_questions_get_a_clear_message(bad):
    with pytest.raises(InvalidQuestion):
        clean_question(bad)


def test_questions_are_cleaned_of_control_characters():
    assert clean_question("  Kapan\x00 Lavrov\ttiba? ") == "Kapan Lavrov tiba?"
    assert clean_question("Когда Лавров приехал?") == "Когда Лавров приехал?"


def test_the_answer_carries_the_language_of_the_question_as_asked():
    text = "Lavrov tiba di Pyongyang pada Rabu (18/10) untuk kunjungan dua hari."
    hits = Hits([passage("a", text)], frozenset())
    assert answer_to("When did Lavrov visit Pyongyang?", [passage("a", text)]).lang == "en"
    assert answer_to("Kapan Lavrov tiba di Pyongyang?", [passage("a", text)]).lang == "id"
    # a follow-up completed with Indonesian names is still labelled in the asker's language
    asked = "And when did he arrive?"
    searched = analyse_question(f"{asked} (Lavrov, Pyongyang)")
    answer = compose_answer(asked, searched, hits)
    assert answer.lang == "en" and answer.to_dict()["lang"] == "en"
