"""Stage 7, cluster: verified pairs to clusters, each a star around an anchor document.

Plain connected components chain: A~B and B~C put A and C together even when A and C share
nothing, and on real crawls one chain can swallow thousands of pages. Here every member of a
cluster must itself match the cluster's anchor:

1. Verified pairs are grouped into connected components (union-find).
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

from .models import PairScore
from .verify import MatchRule, VerifiedPair


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
    neighbours, known = _adjacency(verified)

    def oriented(rep: int, other: int) -> PairScore:
        if (rep, other) in known:
            return known[(rep, other)]
        if (other, rep) in known:
            return _flip(known[(other, rep)])
        return scorer(rep, other)

    groups = []
    for component in _components(verified):
        remaining = set(component)
        while len(remaining) >= 2:
            anchor = min(remaining, key=lambda i: (-len(neighbours[i] & remaining), rank[i]))
            remaining.discard(anchor)
            star = [anchor]
            for other in sorted(_two_hops(anchor, neighbours) & remaining):
                if rule.matches(oriented(anchor, other), sizes[anchor], sizes[other]):
                    star.append(other)
            if len(star) > 1:
                remaining.difference_update(star)
                rep = min(star, key=lambda i: rank[i])
                members = tuple((m, oriented(rep, m)) for m in sorted(star) if m != rep)
                groups.append(Group(rep, members, anchor))
    return groups


def _adjacency(
    verified: Sequence[VerifiedPair],
) -> tuple[dict[int, set[int]], dict[tuple[int, int], PairScore]]:
    """The verified neighbours of every document in a pair, and each pair's score by
    ``(a, b)``."""
    neighbours: defaultdict[int, set[int]] = defaultdict(set)
    for pair in verified:
        neighbours[pair.a].add(pair.b)
        neighbours[pair.b].add(pair.a)
    return neighbours, {(pair.a, pair.b): pair.score for pair in verified}


def _two_hops(node: int, neighbours: dict[int, set[int]]) -> set[int]:
    near = neighbours[node]
    reach = set(near)
    for other in near:
        reach |= neighbours[other]
    reach.discard(node)
    return reach


def _flip(pair: PairScore) -> PairScore:
    return PairScore(pair.jaccard, pair.containment_ba, pair.containment_ab)


def _components(verified: Sequence[VerifiedPair]) -> list[list[int]]:
    """Connected components of size >= 2, each sorted, in order of their smallest row.

    Union-find over the rows that are in a pair (a dict, not an array of every row: reading a
    numpy array one element at a time costs ~100 ns a read)."""
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while node != root:
            parent[node], node = root, parent[node]
        return root

    for pair in verified:
        root_a, root_b = find(pair.a), find(pair.b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    members: dict[int, list[int]] = {}
    for node in sorted({n for p in verified for n in (p.a, p.b)}):
        members.setdefault(find(node), []).append(node)
    return [group for _, group in sorted(members.items())]
