from collections import defaultdict

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dupdetect.cluster import Group, group_documents
from dupdetect.models import PairScore
from dupdetect.verify import MatchRule, VerifiedPair, score

RULE = MatchRule(threshold=0.5, containment=0.8, min_containment_shingles=20)


def _sets(*ranges):
    return [np.arange(lo, hi, dtype=np.uint64) for lo, hi in ranges]


def _run(sets, pairs, rank=None):
    verified = [VerifiedPair(a, b, score(sets[a], sets[b])) for a, b in pairs]
    verified = [v for v in verified if RULE.matches(v.score, sets[v.a].size, sets[v.b].size)]
    return group_documents(
        len(sets),
        verified,
        rank or list(range(len(sets))),
        lambda a, b: score(sets[a], sets[b]),
        [s.size for s in sets],
        RULE,
    )


def test_a_chain_is_cut_every_member_matches_the_anchor():
    # A chain 0~1~2~3 where only neighbours match: the anchor (most matches, then rank) is 1,
    # its star is {0, 1, 2}; 3 matches nothing left and stays alone instead of chaining on.
    sets = _sets((0, 100), (25, 125), (50, 150), (75, 175))
    groups = _run(sets, [(0, 1), (1, 2), (2, 3)])
    assert [(g.anchor, g.representative, [m for m, _ in g.members]) for g in groups] == [
        (1, 0, [1, 2])
    ]
    # Member 2 is scored exactly against representative 0, not against the anchor.
    assert groups[0].members[1][1].jaccard == round(50 / 150, 4)


def test_rank_chooses_the_representative_within_the_star():
    sets = _sets((0, 100), (25, 125), (50, 150))
    groups = _run(sets, [(0, 1), (1, 2)], rank=[2, 1, 0])
    assert [(g.anchor, g.representative, [m for m, _ in g.members]) for g in groups] == [
        (1, 2, [0, 1])
    ]


def test_the_fullest_version_anchors_its_teasers():
    # Two teasers of different parts of one story: each is contained in the full story only.
    sets = _sets((0, 300), (0, 40), (200, 240))
    groups = _run(sets, [(0, 1), (0, 2)], rank=[2, 0, 1])
    assert [(g.anchor, g.representative, sorted(m for m, _ in g.members)) for g in groups] == [
        (0, 1, [0, 2])
    ]


def test_two_hop_members_are_scored_even_without_a_candidate_pair():
    sets = _sets((0, 100), (5, 105), (10, 110))
    groups = _run(sets, [(0, 1), (1, 2)])  # LSH missed (0, 2)
    assert [m for m, _ in groups[0].members] == [1, 2]
    assert groups[0].members[1][1].jaccard == round(90 / 110, 4)


def test_teaser_joins_by_containment_with_orientation():
    sets = _sets((0, 300), (0, 40))
    groups = _run(sets, [(0, 1)])
    ((member, pair),) = groups[0].members
    assert member == 1
    assert pair.containment_ba == 1.0  # the teaser is wholly inside the representative
    assert pair.containment_ab < 0.2


def test_leftovers_of_a_component_form_their_own_cluster():
    # A chain 0~1~2~3~4 of shifted copies: the first star takes {0, 1, 2}, the rest {3, 4}.
    sets = _sets((0, 100), (30, 130), (60, 160), (90, 190), (120, 220))
    groups = _run(sets, [(0, 1), (1, 2), (2, 3), (3, 4), (0, 2), (1, 3)])
    assert [(g.anchor, g.representative, [m for m, _ in g.members]) for g in groups] == [
        (1, 0, [1, 2]),
        (3, 3, [4]),
    ]


def test_separate_components():
    sets = _sets((0, 100), (10, 110), (1000, 1100), (1010, 1110))
    groups = _run(sets, [(0, 1), (2, 3), (1, 2)])
    assert [(g.representative, [m for m, _ in g.members]) for g in groups] == [(0, [1]), (2, [3])]


def _reference_groups(verified, rank, scorer, sizes, rule):
    """group_documents as it was written first: one graph over every pair, a union-find,
    every component star by star (the columns and fast paths must give the same groups)."""
    neighbours = defaultdict(set)
    for pair in verified:
        neighbours[pair.a].add(pair.b)
        neighbours[pair.b].add(pair.a)
    known = {(pair.a, pair.b): pair.score for pair in verified}

    def oriented(rep, other):
        if (rep, other) in known:
            return known[(rep, other)]
        if (other, rep) in known:
            s = known[(other, rep)]
            return PairScore(s.jaccard, s.containment_ba, s.containment_ab)
        return scorer(rep, other)

    parent = {}

    def find(node):
        while parent.get(node, node) != node:
            node = parent[node]
        return node

    for pair in verified:
        root_a, root_b = find(pair.a), find(pair.b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    components = {}
    for node in sorted({n for p in verified for n in (p.a, p.b)}):
        components.setdefault(find(node), []).append(node)
    groups = []
    for _, component in sorted(components.items()):
        remaining = set(component)
        while len(remaining) >= 2:
            anchor = min(remaining, key=lambda i: (-len(neighbours[i] & remaining), rank[i]))
            remaining.discard(anchor)
            star = [anchor]
            near = set(neighbours[anchor]).union(*(neighbours[n] for n in neighbours[anchor]))
            for other in sorted((near - {anchor}) & remaining):
                if rule.matches(oriented(anchor, other), sizes[anchor], sizes[other]):
                    star.append(other)
            if len(star) > 1:
                remaining.difference_update(star)
                rep = min(star, key=lambda i: rank[i])
                members = tuple((m, oriented(rep, m)) for m in sorted(star) if m != rep)
                groups.append(Group(rep, members, anchor))
    return groups


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=30),
    st.lists(st.integers(0, 11), min_size=12, max_size=12),
    st.booleans(),
    st.sampled_from([0.3, 0.5, 0.8]),
)
def test_groups_are_those_of_the_first_implementation(spans, ends, ties, threshold):
    """Random graphs of overlapping ranges: pairs either way round, repeated, some not
    matching the rule; ranks with or without ties."""
    starts, lengths = [10 * e for e in ends], [20 + 8 * e for e in ends[::-1]]
    sets = [np.arange(lo, lo + n, dtype=np.uint64) for lo, n in zip(starts, lengths, strict=True)]
    pairs = [(a % 12, b % 12) for a, b in spans]  # a document paired with itself too
    verified = [VerifiedPair(a, b, score(sets[a], sets[b])) for a, b in pairs]
    rank = [r // 3 for r in range(12)] if ties else list(range(12))[::-1]
    rule = MatchRule(threshold=threshold, containment=0.8, min_containment_shingles=20)
    args = (rank, lambda a, b: score(sets[a], sets[b]), [s.size for s in sets], rule)
    assert group_documents(12, verified, *args) == _reference_groups(verified, *args)
