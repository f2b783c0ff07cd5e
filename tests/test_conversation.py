from qa.conversation import rewrite_followup


def test_followup_carries_the_subject():
    history = ["When did Lavrov visit Pyongyang?"]
    assert rewrite_followup("And who did he meet there?", history) == "And who did he meet there? (Lavrov, Pyongyang)"
    rewritten = rewrite_followup("Siapa yang ditemuinya?", ["Kapan Shoigu tiba di Pyongyang?"])
    assert rewritten.endswith("(Shoigu, Pyongyang)")


def test_self_contained_questions_are_unchanged():
    assert rewrite_followup("Who is Kim Jong Un?", ["When did Lavrov visit Pyongyang?"]) == "Who is Kim Jong Un?"
    assert rewrite_followup("And who did he meet there?", []) == "And who did he meet there?"
