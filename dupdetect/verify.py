"""Stage 6, verify: exact scores for candidate pairs, on the real shingle sets.

LSH only proposes pairs; every score dupdetect reports is computed here exactly from the two
shingle-hash sets (sorted unique uint64 arrays), never estimated from signatures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .models import PairScore

try:  # the C merge walk by blocks of four (setup.py); np.intersect1d: reference and fallback
    from ._speedups import overlap as _c_overlap
except ImportError:  # pragma: no cover - only without a compiler at install time
    _c_overlap = None


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Number of hashes two sorted unique arrays share."""
    if a.size == 0 or b.size == 0:
        return 0
    if _c_overlap is not None:
        return _c_overlap(np.ascontiguousarray(a, np.uint64), np.ascontiguousarray(b, np.uint64))
    return overlap_numpy(a, b)


def overlap_numpy(a: np.ndarray, b: np.ndarray) -> int:
    """``overlap`` in numpy: the reference for the C merge walk, and its fallback."""
    return int(np.intersect1d(a, b, assume_unique=True).size)


def score(a: np.ndarray, b: np.ndarray) -> PairScore:
    """Exact Jaccard and containment both ways of two shingle sets.

    Two empty sets are identical (Jaccard 1), as in text-dedup's ``jaccard``.

    >>> score(np.array([1, 2, 3], dtype=np.uint64), np.array([2, 3, 4, 5], dtype=np.uint64))
    PairScore(jaccard=0.4, containment_ab=0.6667, containment_ba=0.5)
    """
    return score_counts(overlap(a, b), a.size, b.size)


def score_counts(shared: int, size_a: int, size_b: int) -> PairScore:
    """``score`` of two sets of ``size_a`` and ``size_b`` hashes that share ``shared``."""
    if size_a == 0 and size_b == 0:
        return PairScore(1.0, 1.0, 1.0)
    union = size_a + size_b - shared
    return PairScore(
        jaccard=_round(shared / union),
        containment_ab=_round(shared / size_a) if size_a else 0.0,
        containment_ba=_round(shared / size_b) if size_b else 0.0,
    )


def _round(value: float) -> float:
    return round(value, 4)


def score_columns(
    shared: np.ndarray, size_a: np.ndarray, size_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``score_counts`` of many pairs at once: their Jaccard, containment_ab and
    containment_ba columns, equal to the scalar version value for value."""
    shared, size_a, size_b = (np.asarray(c, dtype=np.int64) for c in (shared, size_a, size_b))
    union = size_a + size_b - shared
    both_empty = (size_a == 0) & (size_b == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(both_empty, 1.0, _round_columns(shared / np.maximum(union, 1)))
        ab = np.where(size_a > 0, _round_columns(shared / np.maximum(size_a, 1)), 0.0)
        ba = np.where(size_b > 0, _round_columns(shared / np.maximum(size_b, 1)), 0.0)
    return jaccard, np.where(both_empty, 1.0, ab), np.where(both_empty, 1.0, ba)


def _round_columns(values: np.ndarray) -> np.ndarray:
    """``round(value, 4)`` of every value (in [0, 1]).

    ``rint(value * 10**4) / 10**4`` is Python's correctly rounded result unless the product,
    itself rounded, lands on the other side of a half than the exact one; values that near a
    half are rounded by Python itself."""
    scaled = values * 10_000.0
    rounded = np.rint(scaled) / 10_000.0
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        rounded[near_half] = [round(v, 4) for v in values[near_half].tolist()]
    return rounded


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

    def matches_columns(
        self,
        jaccard: np.ndarray,
        containment_ab: np.ndarray,
        containment_ba: np.ndarray,
        size_a: np.ndarray,
        size_b: np.ndarray,
    ) -> np.ndarray:
        """``matches`` of many pairs given as columns of their (rounded) scores and sizes."""
        by_containment = np.minimum(size_a, size_b) >= self.min_containment_shingles
        by_containment &= np.maximum(containment_ab, containment_ba) >= self.containment
        return (jaccard >= self.threshold) | by_containment


@dataclass(frozen=True)
class VerifiedPair:
    """A candidate pair that passed the match rule, with its exact scores."""

    a: int
    b: int
    score: PairScore


@dataclass(frozen=True)
class VerifiedColumns:
    """Verified pairs as columns: rows ``a[k]`` and ``b[k]`` (int64) and their exact scores.

    What ``verify_pairs`` finds before it makes an object of each pair: a scan groups these
    columns directly (``cluster.group_verified``) and makes a ``PairScore`` only for the
    pairs that end up in a cluster.
    """

    a: np.ndarray
    b: np.ndarray
    jaccard: np.ndarray
    containment_ab: np.ndarray
    containment_ba: np.ndarray

    def __len__(self) -> int:
        return int(self.a.size)

    @classmethod
    def of(cls, verified: Sequence[VerifiedPair]) -> VerifiedColumns:
        """The columns of a sequence of verified pairs."""
        scores = [p.score for p in verified]
        return cls(
            np.array([p.a for p in verified], dtype=np.int64),
            np.array([p.b for p in verified], dtype=np.int64),
            np.array([s.jaccard for s in scores], dtype=np.float64),
            np.array([s.containment_ab for s in scores], dtype=np.float64),
            np.array([s.containment_ba for s in scores], dtype=np.float64),
        )

    def pairs(self) -> list[VerifiedPair]:
        """The pairs as objects, in order."""
        scores = zip(
            self.jaccard.tolist(),
            self.containment_ab.tolist(),
            self.containment_ba.tolist(),
            strict=True,
        )
        return [
            VerifiedPair(a, b, PairScore(*scored))
            for a, b, scored in zip(self.a.tolist(), self.b.tolist(), scores, strict=True)
        ]


def verify_pairs(
    pairs: np.ndarray, shingle_sets: Sequence[np.ndarray], rule: MatchRule, threads: int = 1
) -> list[VerifiedPair]:
    """Score every candidate pair exactly and keep those the rule accepts (objects of
    ``verify_columns``)."""
    return verify_columns(pairs, shingle_sets, rule, threads).pairs()


def verify_columns(
    pairs: np.ndarray, shingle_sets: Sequence[np.ndarray], rule: MatchRule, threads: int = 1
) -> VerifiedColumns:
    """Score every candidate pair exactly and keep those the rule accepts, as columns.

    Each set is read once per run of pairs sharing their first row (pairs come sorted), which
    matters when ``shingle_sets`` reads from disk. Overlaps are counted for every pair, then
    scored and tested as columns (``score_columns``: the same rounded scores as ``score``;
    ``MatchRule.matches_columns``). A store that counts overlaps itself may use ``threads``.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    shared, size_a, size_b = _overlaps(pairs, shingle_sets, threads)
    jaccard, ab, ba = score_columns(shared, size_a, size_b)
    passed = np.flatnonzero(rule.matches_columns(jaccard, ab, ba, size_a, size_b))
    return VerifiedColumns(
        pairs[passed, 0], pairs[passed, 1], jaccard[passed], ab[passed], ba[passed]
    )


def _overlaps(
    pairs: np.ndarray, shingle_sets: Sequence[np.ndarray], threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared hashes and both set sizes of every pair.

    A store that counts overlaps itself (``ShingleSets.overlaps``: one C call reading the
    sets from disk) does; other sequences are read a set at a time. ``pairs`` is an
    ``(n, 2)`` int64 array (``verify_pairs`` makes it one)."""
    counts_overlaps = getattr(shingle_sets, "overlaps", None)
    if counts_overlaps is not None:
        sizes = shingle_sets.sizes  # type: ignore[attr-defined]
        return counts_overlaps(pairs, threads), sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    shared = np.zeros(len(pairs), dtype=np.int64)
    size_a = np.zeros(len(pairs), dtype=np.int64)
    size_b = np.zeros(len(pairs), dtype=np.int64)
    first_row, first = -1, np.empty(0, dtype=np.uint64)
    for k, (a, b) in enumerate(pairs.tolist()):
        if a != first_row:
            first_row, first = a, shingle_sets[a]
        second = shingle_sets[b]
        shared[k], size_a[k], size_b[k] = overlap(first, second), first.size, second.size
    return shared, size_a, size_b
