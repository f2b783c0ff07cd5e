import pytest

from qa.metrics import (
    answer_hit,
    citation_precision,
    find_span,
    hit_at,
    mean,
    mrr_at,
    ndcg_at,
    normalise,
    percentile,
)


def test_hits_and_mrr():
    assert hit_at([3], 1) == 0 and hit_at([3], 3) == 1
    assert hit_at([], 10) == 0  # no relevant chunk retrieved
    assert mrr_at([3, 5], 10) == pytest.approx(1 / 3)
    assert mrr_at([11], 10) == 0
    assert mrr_at([], 10) == 0


def test_ndcg_on_hand_made_rankings():
    assert ndcg_at([1, 0, 0], 1, 3) == pytest.approx(1.0)
    assert ndcg_at([0, 1, 0], 1, 3) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg_at([0, 0, 0], 1, 3) == 0
    assert ndcg_at([1, 1], 2, 10) == pytest.approx(1.0)
    assert ndcg_at([0, 1, 1], 2, 3) == pytest.approx((1 / 1.5849625 + 0.5) / (1 + 1 / 1.5849625))
    assert ndcg_at([], 0, 10) == 0  # unanswerable: no ideal


def test_ties_do_not_change_binary_metrics():
    # two relevant chunks share rank positions 1 and 2: the best rank decides
    assert mrr_at([2, 1], 10) == 1.0 and hit_at([2, 1], 1) == 1.0


def test_answer_hit_is_case_accent_and_punctuation_insensitive():
    assert answer_hit("Lavrov tiba pada Rabu (18/10).", ["rabu 18 10"]) == 1
    assert answer_hit("Ke CAFÉ itu", ["cafe"]) == 1
    assert answer_hit("Tidak ada", ["Rabu"]) == 0
    assert answer_hit("apa saja", []) == 0


def test_citation_precision_and_mean():
    assert citation_precision([True, False, True, True]) == 0.75
    assert citation_precision([]) is None
    assert mean([1.0, None, 0.0]) == 0.5 and mean([]) is None


def test_percentile():
    assert percentile([5, 1, 3], 50) == 3
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([], 50) is None


def test_find_span_maps_back_to_original_offsets():
    doc = "Lavrov  tiba di “Pyongyang” pada Rabu (18/10)."
    start, end = find_span(doc, "pyongyang pada rabu 18/10")
    assert doc[start:end] == "Pyongyang” pada Rabu (18/10"
    assert find_span(doc, "Wonsan") is None
    assert normalise("  Café,\tNaïve ") == "cafe naive"
