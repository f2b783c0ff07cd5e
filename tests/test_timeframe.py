"""Time in questions, English and Indonesian, against fixed reference days."""

from __future__ import annotations

import datetime as dt

import pytest

from qa import InvalidFilter
from qa.text.timeframe import describe_range, find_timeframe

REFERENCE = dt.date(2024, 6, 30)


@pytest.mark.parametrize("question, lang, since, until", [
    ("What happened in October 2023?", "en", "2023-10-01", "2023-10-31"),
    ("Apa yang terjadi pada Oktober 2023?", "id", "2023-10-01", "2023-10-31"),
    ("What happened on 18 October 2023?", "en", "2023-10-18", "2023-10-18"),
    ("Apa yang terjadi pada 19 Oktober 2023?", "id", "2023-10-19", "2023-10-19"),
    ("Berapa kontainer yang dikirim pada 2023?", "id", "2023-01-01", "2023-12-31"),
    ("What happened between July and October 2023?", "en", "2023-07-01", "2023-10-31"),
    ("Who organised the fair on 19-23 October 2023?", "en", "2023-10-19", "2023-10-23"),
    ("What happened between 19 and 23 October 2023?", "en", "2023-10-19", "2023-10-23"),
    ("Siapa penyelenggara pameran 19-23 Oktober 2023?", "id", "2023-10-19", "2023-10-23"),
    ("Apa yang terjadi antara 19 hingga 23 Oktober 2023?", "id", "2023-10-19", "2023-10-23"),
    ("Apa yang terjadi antara Juli dan Oktober 2023?", "id", "2023-07-01", "2023-10-31"),
    ("What happened between November and February 2024?", "en", "2023-11-01", "2024-02-29"),
    ("Apa yang terjadi dari Juli hingga September 2023?", "id", "2023-07-01", "2023-09-30"),
    ("What happened since July 2023?", "en", "2023-07-01", ""),
    ("Berita apa saja sejak Juli?", "id", "2023-07-01", ""),  # the last July before the reference
    ("What happened after July 2023?", "en", "2023-08-01", ""),
    ("Apa yang terjadi setelah Juli 2023?", "id", "2023-08-01", ""),
    ("Who visited before 2024?", "en", "", "2023-12-31"),
    ("Siapa yang datang sebelum 19 Oktober 2023?", "id", "", "2023-10-18"),
    ("What did Kim do last year?", "en", "2023-01-01", "2023-12-31"),
    ("Apa yang dilakukan Kim tahun lalu?", "id", "2023-01-01", "2023-12-31"),
    ("Berita bulan lalu tentang Korea", "id", "2024-05-01", "2024-05-31"),
])
def test_time_expressions_become_date_ranges(question, lang, since, until):
    frame = find_timeframe(question, lang, REFERENCE)
    assert frame is not None and (frame.since, frame.until) == (since, until)


@pytest.mark.parametrize("question, lang", [
    ("When did Lavrov visit Pyongyang?", "en"), ("Kapan Lavrov mengunjungi Pyongyang?", "id"),
    ("What happened on Wednesday?", "en"), ("Apa yang terjadi pada hari Minggu?", "id"),
    ("How many of the 1000 containers arrived?", "en"), ("Who won the match yesterday?", "en"),
    ("Siapakah perebut medali emas 400 m putri?", "id"), ("Mengatur apakah Peraturan Nomor 12 Tahun 2005?", "id"),
    ("Negara apakah yang ditinggalkan Sharapova pada umur 9 tahun?", "id"),
    ("Penghargaan apakah yang diterima Richard R Schrock (60)?", "id"),
])
def test_no_time_or_only_an_event_day_sets_no_range(question, lang):
    assert find_timeframe(question, lang, REFERENCE) is None


def test_relative_time_follows_the_reference_day():
    frame = find_timeframe("What happened last year?", "en", dt.date(2020, 3, 1))
    assert (frame.since, frame.until) == ("2019-01-01", "2019-12-31")


def test_ranges_read_as_people_write_them():
    assert describe_range("2023-10-01", "2023-10-31") == "1-31 October 2023"
    assert describe_range("2023-10-18", "2023-10-18") == "18 October 2023"
    assert describe_range("2023-07-01", "") == "from 1 July 2023"
    assert describe_range("2023-11-01", "2024-02-29") == "1 November 2023 to 29 February 2024"


def test_the_question_time_filters_by_article_date(fake_assistant):
    answer = fake_assistant.ask("What happened in July 2023?")
    assert answer.filters == {"since": "2023-07-01", "until": "2023-07-31", "question_time": True}
    assert {p.doc_id for p in answer.passages} == {"004_d4cb343e0a788d8c"}
    assert answer.notes == ["Searching articles dated or mentioning 1-31 July 2023: 1 of 5."]
    assert {p.doc_id for p in fake_assistant.retrieve("What happened in July 2023?")} == {"004_d4cb343e0a788d8c"}


def test_an_explicit_date_filter_wins_over_the_question(fake_assistant):
    answer = fake_assistant.ask("What happened in July 2023?", filters={"since": "2023-10-01"})
    assert answer.filters == {"since": "2023-10-01"}
    assert {p.doc_id for p in answer.passages} == {"000_ca339fe098fdc454"}


def test_filters_that_no_article_matches_are_said(fake_assistant):
    answer = fake_assistant.ask("Who met Kim Jong Un?", filters={"sources": ["NoSuchOutlet"], "langs": ["en"]})
    assert answer.abstained and answer.passages == []
    assert answer.notes == ["No article in the index matches outlet NoSuchOutlet; language en."]
    kept = fake_assistant.ask("Who met Kim Jong Un?", filters={"sources": ["RIAU24.COM"]})
    assert kept.notes == [] and kept.passages  # an outlet that is there: nothing to say


def test_a_time_no_article_is_dated_in_searches_everything_and_says_so(fake_assistant):
    answer = fake_assistant.ask("What happened in 2019?")
    assert answer.filters == {} and len({p.doc_id for p in answer.passages}) > 1
    assert "No article is dated" in answer.notes[0]


def test_relative_time_against_a_given_day(fake_assistant):
    answer = fake_assistant.ask("Who met Kim Jong Un last year?", as_of="2024-03-01")
    assert answer.filters == {"since": "2023-01-01", "until": "2023-12-31", "question_time": True}
    with pytest.raises(InvalidFilter, match="YYYY-MM-DD"):
        fake_assistant.ask("Who met Kim Jong Un last year?", as_of="March 2024")


def test_an_article_ties_weekdays_to_its_dates():
    from qa.text.dates import dated_days

    text = ("Lavrov tiba di Pyongyang pada Rabu (18/10). Ia bertemu Kim pada hari Kamis. "
            "Antara 1 September dan 1 Oktober kontainer dikirim. Kamis (19/10/2023) ia pulang.")
    tied = dated_days(text, "2023")
    assert tied["rabu"] == "2023-10-18" and tied[(18, 10)] == "2023-10-18"
    assert tied["kamis"] == "2023-10-19"  # from the sentence that gives Thursday its date
    assert (1, 9) not in tied and (1, 10) not in tied  # two days in one sentence: which is which is not said
    assert dated_days("Pada Rabu (18/10) ia tiba.", "") == {}  # no year known: no date


def test_a_timeline_sentence_takes_the_date_its_article_gives_that_day():
    from qa.answer.candidates import Candidate
    from qa.answer.params import DEFAULT_PARAMS
    from qa.answer.timeline import timeline
    from qa.types import Hits, Passage

    text = "Ia bertemu Kim Jong Un pada hari Kamis di Pyongyang."
    passage = Passage("a", 100, 100 + len(text), text, 1.0)
    candidate = Candidate(0, 100, 100 + len(text), text, 1.0, spans=[(133, 138)], key_hits=1)
    hits = Hits([passage], article_dates={"a": "2023-10"}, article_days={"a": {"kamis": "2023-10-19"}})
    [occurrence] = timeline([candidate], hits, DEFAULT_PARAMS)
    assert occurrence.key == "2023-10-19" and not occurrence.after


def test_a_sentence_naming_a_weekday_is_dated_in_its_article_not_by_another_year_it_mentions():
    from qa.answer.candidates import Candidate
    from qa.answer.params import DEFAULT_PARAMS
    from qa.answer.timeline import timeline
    from qa.types import Hits, Passage

    text = "Kunjungan Lavrov pada hari Rabu, yang pertama sejak tahun 2018, membuka jalan bagi Putin."
    dated = Passage("a", 0, len(text), text, 1.0, date="2023-10-18")
    undated = Passage("b", 0, len(text), text, 1.0)
    tied = "Lavrov tiba di Pyongyang pada Rabu (18/10/2023)."
    for passage, also in ((dated, []), (undated, [Passage("c", 0, len(tied), tied, 1.0)])):
        candidates = [Candidate(0, 0, len(text), text, 2.0, spans=[(0, 22)], key_hits=1)]
        candidates += [Candidate(1, 0, len(tied), tied, 1.0, spans=[(0, 6)], key_hits=1) for _ in also]
        [occurrence] = timeline(candidates, Hits([passage, *also]), DEFAULT_PARAMS)
        assert occurrence.key == "2023-10-18", passage  # not "2018", the visit before this one
    # another Thursday is another day: the sentence keeps the year it states
    ended = "Kejurnas yang berakhir hari Kamis (25/8) itu menjelang SEA Games 2005."
    other = "Direktur Telkom dalam siaran pers, Kamis (22/12/2005), mengatakan satelit siap."
    candidates = [Candidate(i, 0, len(t), t, 2.0 - i, spans=[(0, 8)], key_hits=1) for i, t in enumerate((ended, other))]
    hits = Hits([Passage("d", 0, len(ended), ended, 1.0), Passage("e", 0, len(other), other, 1.0)])
    assert [o.key for o in timeline(candidates, hits, DEFAULT_PARAMS)] == ["2005", "2005-12-22"]


def test_an_article_that_mentions_the_time_is_found_though_its_date_says_otherwise(fake_assistant):
    from qa import Document

    fake_assistant.add_documents([Document(id="recap", date="2024-05-01", text=(
        "Mengenang kunjungan Lavrov ke Pyongyang pada Oktober 2023, para analis menilai hubungan makin erat."))])
    answer = fake_assistant.ask("What did analysts say about October 2023?")
    assert "recap" in {p.doc_id for p in answer.passages}
    explicit = fake_assistant.retrieve("analysts Lavrov", k=20, filters={"since": "2023-10-01", "until": "2023-10-31"})
    assert "recap" not in {p.doc_id for p in explicit}  # an explicit filter admits by article date only


def test_undated_articles_that_mention_no_time_stay_in_a_question_time_search():
    from qa import Filters

    about = Filters(since="2023-07-01", until="2023-07-31", question_time=True)
    assert about.admits("", "", "", "x", mentions=[])  # nothing says it is about another time
    assert not about.admits("", "", "", "x", mentions=[("2018-01-01", "2018-12-31")])
    assert about.admits("2024-01-05", "", "", "x", mentions=[("2023-07-27", "2023-07-27")])
    assert not Filters(since="2023-07-01", until="2023-07-31").admits("", "", "", "x")


def test_periods_an_article_mentions():
    from qa.text.dates import mentioned_periods

    assert mentioned_periods("Pada 19 Oktober 2023 ia tiba; KTT Juni 2024; sejak 2004. Rabu (18/10).") == [
        ("2004-01-01", "2004-12-31"), ("2023-10-19", "2023-10-19"), ("2024-06-01", "2024-06-30")]
    # A range of days is the whole range, not its last day; a score is not a range.
    assert mentioned_periods("Pameran digelar 19-23 Oktober 2023; skor 30-2 Juni 2003.") == [
        ("2003-06-02", "2003-06-02"), ("2023-10-19", "2023-10-23")]
