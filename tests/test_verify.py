import numpy as np
import pytest

from dupdetect.models import PairScore
from dupdetect.verify import MatchRule, score, verify_pairs


def arr(*values):
    return np.array(sorted(set(values)), dtype=np.uint64)


def test_score_exact_values():
    result = score(arr(1, 2, 3, 4), arr(3, 4, 5, 6, 7, 8))
    assert result == PairScore(jaccard=0.25, containment_ab=0.5, containment_ba=0.3333)
    assert result.containment == 0.5


def test_identical_and_disjoint():
    assert score(arr(1, 2), arr(1, 2)) == PairScore(1.0, 1.0, 1.0)
    assert score(arr(1, 2), arr(3)) == PairScore(0.0, 0.0, 0.0)
    assert score(arr(), arr()).jaccard == 1.0


@pytest.mark.parametrize(
    ("pair", "sizes", "expected"),
    [
        (PairScore(0.6, 0.7, 0.7), (100, 100), True),  # Jaccard alone
        (PairScore(0.2, 0.95, 0.2), (30, 150), True),  # teaser: contained
        (PairScore(0.2, 0.95, 0.2), (10, 150), False),  # too short for containment alone
        (PairScore(0.3, 0.5, 0.5), (100, 100), False),
    ],
)
def test_match_rule(pair, sizes, expected):
    rule = MatchRule(threshold=0.5, containment=0.8, min_containment_shingles=20)
    assert rule.matches(pair, *sizes) is expected


def test_verify_pairs_keeps_only_matches():
    sets = [arr(*range(100)), arr(*range(5, 105)), arr(*range(500, 600))]
    pairs = np.array([[0, 1], [0, 2]])
    rule = MatchRule(0.5, 0.8, 20)
    verified = verify_pairs(pairs, sets, rule)
    assert [(v.a, v.b) for v in verified] == [(0, 1)]
    assert verified[0].score.jaccard == round(95 / 105, 4)
