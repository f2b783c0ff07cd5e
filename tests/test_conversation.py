import pytest

from qa.conversation import complete_followup, depends_on_conversation


def test_followup_carries_the_subject():
    history = ["When did Lavrov visit Pyongyang?"]
    assert complete_followup("And who did he meet there?", history) == "And who did he meet there? (Lavrov, Pyongyang)"
    rewritten = complete_followup("Siapa yang ditemuinya?", ["Kapan Shoigu tiba di Pyongyang?"])
    assert rewritten.endswith("(Shoigu, Pyongyang)")
    # A pronoun refers back even when the question names something else too.
    expected = "What did he say about Taiwan? (Lavrov, Pyongyang)"
    assert complete_followup("What did he say about Taiwan?", history) == expected


@pytest.mark.parametrize("question", [
    "Berapa harga minyak hari ini?", "Who is Kim Jong Un?", "Apa itu KTT G20?", "What happened this year in Bali?",
    "Siapa yang hanya punya satu suara?", "How much does it cost to fly to Bali?",
])
def test_self_contained_questions_are_searched_as_asked(question):
    assert not depends_on_conversation(question)
    assert complete_followup(question, ["When did Lavrov visit Pyongyang?", "Mengapa Putin marah?"]) == question


def test_no_history_no_rewrite():
    assert complete_followup("And who did he meet there?", []) == "And who did he meet there?"
