"""Stage 7, cluster: verified pairs to clusters, each a star around an anchor document.

Plain connected components chain: A~B and B~C put A and C together even when A and C share
nothing, and on real crawls one chain can swallow thousands of pages. Here every member of a
cluster must itself match the cluster's anchor:

1. Verified pairs are grouped into connected components (union-find as a parent array in
   numpy: every pair hooks both its ends to the smaller parent, then pointer jumping
   compresses the paths, until nothing changes).
2. In each component, the document with the most verified matches among the documents left
   (the fullest version of a story, which its teasers and trimmed copies all match) becomes the
   anchor; ties go to the better representative rank. Its neighbours, and their neighbours,
   are scored exactly against it; those that match join its cluster.
3. What is left of the component repeats step 2; a document that matches nothing left over
   stays a singleton.
4. Each cluster's representative is then chosen by policy (``rank``: earliest date, else
   longest text, then id) and every member is scored exactly against it.

The result depends only on the documents and the pairs, never on input order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .models import PairScore
from .verify import MatchRule, VerifiedColumns, VerifiedPair


@dataclass(frozen=True)
class Group:
    """A cluster by row index: the representative and ``(member, score)`` for the others.

    Each score is oriented ``score(representative, member)``. ``anchor`` is the document every
    member was verified against (often, but not always, the representative).
    """

    representative: int
    members: tuple[tuple[int, PairScore], ...]
    anchor: int


Scorer = Callable[[int, int], PairScore]


def group_documents(
    count: int,
    verified: Sequence[VerifiedPair],
    rank: Sequence[int],
    scorer: Scorer,
    sizes: Sequence[int],
    rule: MatchRule,
) -> list[Group]:
    """Cluster ``count`` documents from their verified pairs.

    Args:
        count: number of documents (rows).
        verified: pairs that passed verification.
        rank: ``rank[i]`` orders documents for representative choice (lower wins).
        scorer: exact score of two rows, for pairs LSH did not propose.
        sizes: shingle-set size of each row (for the match rule).
        rule: when two documents match.
    """
    return group_verified(VerifiedColumns.of(verified), rank, scorer, sizes, rule)


def group_verified(
    verified: VerifiedColumns,
    rank: Sequence[int],
    scorer: Scorer,
    sizes: Sequence[int],
    rule: MatchRule,
) -> list[Group]:
    """``group_documents`` of verified pairs given as columns (``verify.verify_columns``).

    Each component gets a graph of its own (neighbour sets, its pairs' positions): small
    dicts instead of two over every pair, whose lookups missed the cache on a million
    articles. A component of one pair of documents (about half of them) needs no graph:
    the better ranked one is both anchor and representative. At a million articles this
    takes about 1 s where grouping ``VerifiedPair`` objects took 2.4 s.
    """
    scores = _Scores(verified, scorer)
    groups = []
    for rows, pairs in _components(verified.a, verified.b):
        if len(rows) == 2 and len(pairs) == 1 and rank[rows[0]] != rank[rows[1]]:
            groups += _pair_group(scores.pair(pairs[0]), rank, sizes, rule)
        else:
            groups += _stars(rows, _Component(scores, pairs), rank, sizes, rule)
    return groups


class _Scores:
    """The verified pairs' rows and scores as lists (one Python object per value, made
    once), and the scorer for the other pairs."""

    def __init__(self, verified: VerifiedColumns, scorer: Scorer) -> None:
        self.firsts, self.seconds = verified.a.tolist(), verified.b.tolist()
        self.jaccard = verified.jaccard.tolist()
        self.containment_ab = verified.containment_ab.tolist()
        self.containment_ba = verified.containment_ba.tolist()
        self.scorer = scorer

    def pair(self, at: int) -> tuple[int, int, PairScore]:
        """Verified pair ``at``: its rows and ``score(a, b)``."""
        scored = PairScore(self.jaccard[at], self.containment_ab[at], self.containment_ba[at])
        return self.firsts[at], self.seconds[at], scored


class _Component:
    """One component's graph: every document's neighbours, and the position of each of its
    verified pairs by ``(a, b)``."""

    def __init__(self, scores: _Scores, pairs: list[int]) -> None:
        self.scores = scores
        self.neighbours: defaultdict[int, set[int]] = defaultdict(set)
        self.at: dict[tuple[int, int], int] = {}
        firsts, seconds = scores.firsts, scores.seconds
        for at in pairs:
            a, b = firsts[at], seconds[at]
            self.neighbours[a].add(b)
            self.neighbours[b].add(a)
            self.at[a, b] = at

    def oriented(self, rep: int, other: int) -> PairScore:
        """``score(rep, other)``: a verified pair's scores (flipped when it was verified the
        other way round), or the scorer's."""
        scores = self.scores
        at = self.at.get((rep, other))
        if at is not None:
            return PairScore(
                scores.jaccard[at], scores.containment_ab[at], scores.containment_ba[at]
            )
        at = self.at.get((other, rep))
        if at is not None:
            return PairScore(
                scores.jaccard[at], scores.containment_ba[at], scores.containment_ab[at]
            )
        return scores.scorer(rep, other)


def _pair_group(
    pair: tuple[int, int, PairScore], rank: Sequence[int], sizes: Sequence[int], rule: MatchRule
) -> list[Group]:
    """The group of a component of one verified pair of documents, ranked apart (none when
    they do not match)."""
    a, b, scored = pair
    if rank[b] < rank[a]:
        a, b, scored = b, a, _flip(scored)
    if not rule.matches(scored, sizes[a], sizes[b]):
        return []
    return [Group(a, ((b, scored),), a)]


def _flip(pair: PairScore) -> PairScore:
    return PairScore(pair.jaccard, pair.containment_ba, pair.containment_ab)


def _stars(
    component: list[int],
    graph: _Component,
    rank: Sequence[int],
    sizes: Sequence[int],
    rule: MatchRule,
) -> list[Group]:
    """The groups of one component, star by star (steps 2 to 4 of the module docstring).

    When the anchor is also the representative (most often), its members keep the scores
    they were matched with instead of being scored again."""
    neighbours, oriented = graph.neighbours, graph.oriented
    groups = []
    remaining = set(component)
    while len(remaining) >= 2:
        anchor = min(remaining, key=lambda i: (-len(neighbours[i] & remaining), rank[i]))
        remaining.discard(anchor)
        matched = {}
        for other in sorted(_two_hops(anchor, neighbours) & remaining):
            scored = oriented(anchor, other)
            if rule.matches(scored, sizes[anchor], sizes[other]):
                matched[other] = scored
        if matched:
            remaining.difference_update(matched)
            rep = min(anchor, *matched, key=rank.__getitem__)
            if rep == anchor:
                members = tuple(matched.items())
            else:
                star = sorted([anchor, *matched])
                members = tuple((m, oriented(rep, m)) for m in star if m != rep)
            groups.append(Group(rep, members, anchor))
    return groups


def _two_hops(node: int, neighbours: dict[int, set[int]]) -> set[int]:
    near = neighbours[node]
    reach = set(near)
    for other in near:
        reach |= neighbours[other]
    reach.discard(node)
    return reach


def _components(firsts: np.ndarray, seconds: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Connected components of the pairs ``(firsts[k], seconds[k])`` in order of their
    smallest row: each one's rows, sorted, and the positions of its pairs.

    Labels in numpy: every row starts as its own label, each pass gives both ends of every
    pair the smaller of their labels and follows labels to labels until they settle; the
    smallest row of a component ends up labelling all of it. A few passes of whole-array
    operations instead of a Python union-find over every pair (0.05 s for 31,000 pairs).
    """
    rows, ends = np.unique(np.concatenate((firsts, seconds)), return_inverse=True)
    label = _settled_labels(ends.reshape(2, -1), rows.size)
    node_order = np.argsort(label, kind="stable")
    pair_labels = label[ends[: firsts.size]]
    pair_order = np.argsort(pair_labels, kind="stable")
    node_starts = _run_starts(label[node_order])
    pair_starts = _run_starts(pair_labels[pair_order])
    members, pairs = rows[node_order].tolist(), pair_order.tolist()
    return [
        (members[node_starts[k] : node_starts[k + 1]], pairs[pair_starts[k] : pair_starts[k + 1]])
        for k in range(len(node_starts) - 1)
    ]


def _settled_labels(ends: np.ndarray, nodes: int) -> np.ndarray:
    """The smallest node of each node's component, for pairs of nodes ``ends[:, k]``."""
    label = np.arange(nodes)
    while True:
        lower = np.minimum(label[ends[0]], label[ends[1]])
        settled = label.copy()
        np.minimum.at(settled, ends[0], lower)
        np.minimum.at(settled, ends[1], lower)
        while True:
            jumped = settled[settled]
            if np.array_equal(jumped, settled):
                break
            settled = jumped
        if np.array_equal(settled, label):
            return label
        label = settled


def _run_starts(ordered: np.ndarray) -> list[int]:
    """Where each run of equal values of ``ordered`` starts, and its length at the end."""
    return np.flatnonzero(np.diff(ordered, prepend=-1)).tolist() + [ordered.size]
