import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@given(
    st.lists(st.sets(st.integers(0, 60), min_size=0, max_size=40), min_size=2, max_size=12),
    st.sampled_from([0.0, 0.25, 0.4, 0.5, 1.0]),
    st.sampled_from([0.0, 0.5, 0.7, 1.0]),
    st.integers(0, 25),
)
def test_verify_pairs_equals_scoring_every_pair(sets, threshold, containment, min_shingles):
    # The vectorized pre-filter with its rounding margin must keep exactly what the rule,
    # applied pair by pair to the rounded scores, keeps.
    arrays = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    pairs = np.array(
        [(a, b) for a in range(len(arrays)) for b in range(a + 1, len(arrays))], dtype=np.int64
    )
    rule = MatchRule(threshold, containment, min_shingles)
    expected = [
        (a, b, score(arrays[a], arrays[b]))
        for a, b in pairs.tolist()
        if rule.matches(score(arrays[a], arrays[b]), arrays[a].size, arrays[b].size)
    ]
    got = [(v.a, v.b, v.score) for v in verify_pairs(pairs, arrays, rule)]
    assert got == expected


@given(
    st.lists(
        st.tuples(st.integers(0, 30_000), st.integers(0, 30_000), st.floats(0, 1)),
        max_size=50,
    )
)
def test_score_columns_equal_score_counts_value_for_value(triples):
    from dupdetect.verify import score_columns, score_counts

    size_a = np.array([a for a, _, _ in triples], dtype=np.int64)
    size_b = np.array([b for _, b, _ in triples], dtype=np.int64)
    shared = np.array([int(f * min(a, b)) for a, b, f in triples], dtype=np.int64)
    # near a half after scaling: 1/20000, 3/20000, 1/8, and what the draw gives
    size_a, size_b = np.append(size_a, [20_000, 20_000, 8]), np.append(size_b, [1, 3, 1])
    shared = np.append(shared, [1, 3, 1])
    columns = score_columns(shared, size_a, size_b)
    for k in range(shared.size):
        expected = score_counts(int(shared[k]), int(size_a[k]), int(size_b[k]))
        got = tuple(float(column[k]) for column in columns)
        assert got == (expected.jaccard, expected.containment_ab, expected.containment_ba)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.2, 0.4, 0.3999, 0.4001, 0.8, 1.0]),
            st.sampled_from([0.0, 0.5, 0.8, 0.7999, 1.0]),
            st.sampled_from([0.0, 0.3, 0.8, 1.0]),
            st.integers(0, 60),
            st.integers(0, 60),
        ),
        max_size=30,
    ),
    st.sampled_from([0.4, 0.8]),
)
def test_matches_columns_is_matches_pair_by_pair(rows, threshold):
    rule = MatchRule(threshold, 0.8, 20)
    columns = (
        [np.array(column) for column in zip(*rows, strict=True)] if rows else [np.empty(0)] * 5
    )
    got = rule.matches_columns(*columns).tolist()
    assert got == [rule.matches(PairScore(j, ab, ba), a, b) for j, ab, ba, a, b in rows]
