"""Stage 6, verify: exact scores for candidate pairs, on the real shingle sets.

LSH only proposes pairs; every score dupdetect reports is computed here exactly from the two
shingle-hash sets (sorted unique uint64 arrays), never estimated from signatures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .models import PairScore


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Number of hashes two sorted unique arrays share."""
    if a.size == 0 or b.size == 0:
        return 0
    return int(np.intersect1d(a, b, assume_unique=True).size)


def score(a: np.ndarray, b: np.ndarray) -> PairScore:
    """Exact Jaccard and containment both ways of two shingle sets.

    Two empty sets are identical (Jaccard 1), as in text-dedup's ``jaccard``.

    >>> score(np.array([1, 2, 3], dtype=np.uint64), np.array([2, 3, 4, 5], dtype=np.uint64))
    PairScore(jaccard=0.4, containment_ab=0.6667, containment_ba=0.5)
    """
    if a.size == 0 and b.size == 0:
        return PairScore(1.0, 1.0, 1.0)
    shared = overlap(a, b)
    union = a.size + b.size - shared
    return PairScore(
        jaccard=_round(shared / union),
        containment_ab=_round(shared / a.size) if a.size else 0.0,
        containment_ba=_round(shared / b.size) if b.size else 0.0,
    )


def _round(value: float) -> float:
    return round(value, 4)


@dataclass(frozen=True)
class MatchRule:
    """When a scored pair counts as a near-duplicate.

    Args:
        threshold: minimum Jaccard similarity.
        containment: minimum containment of the smaller set in the larger.
        min_containment_shingles: the smaller set must have at least this many shingles for
            containment alone to make a match.
    """

    threshold: float
    containment: float
    min_containment_shingles: int

    def matches(self, pair: PairScore, size_a: int, size_b: int) -> bool:
        """True when the pair is similar enough, by Jaccard or by containment."""
        if pair.jaccard >= self.threshold:
            return True
        smaller = min(size_a, size_b)
        return smaller >= self.min_containment_shingles and pair.containment >= self.containment


@dataclass(frozen=True)
class VerifiedPair:
    """A candidate pair that passed the match rule, with its exact scores."""

    a: int
    b: int
    score: PairScore


def verify_pairs(
    pairs: np.ndarray, shingle_sets: Sequence[np.ndarray], rule: MatchRule
) -> list[VerifiedPair]:
    """Score every candidate pair exactly and keep those the rule accepts."""
    verified = []
    for a, b in pairs.tolist():
        pair = score(shingle_sets[a], shingle_sets[b])
        if rule.matches(pair, shingle_sets[a].size, shingle_sets[b].size):
            verified.append(VerifiedPair(a, b, pair))
    return verified
