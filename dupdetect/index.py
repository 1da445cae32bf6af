"""Stage 5, index: candidate pairs, from MinHash LSH and from a sampled-shingle index.

Banding as in ``datasketch.MinHashLSH``: the signature is cut into ``bands`` bands of ``rows``
values, and two documents are candidates when any band is identical. ``bands``/``rows`` come
from datasketch's own optimizer for the chosen threshold. Instead of inserting every document
into MinHashLSH's per-band dictionaries and querying each one back, a batch scan hashes each
band of every signature at once and groups equal keys by sorting: the same buckets, hence
the same candidate pairs (``tests/test_index.py`` checks this against ``MinHashLSH``), in a
fraction of the memory and time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .hashing import combine_columns


@dataclass(frozen=True)
class CandidateSet:
    """Candidate pairs ``(i, j)``, ``i < j``, as row indexes into the signature matrix.

    ``oversized_buckets`` counts buckets larger than ``max_bucket``; their members were paired
    with the bucket's first member only.
    """

    pairs: np.ndarray
    bands: int
    rows: int
    oversized_buckets: int = 0
    largest_bucket: int = 0


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` that datasketch's ``MinHashLSH`` picks for ``threshold``."""
    from datasketch import MinHashLSH  # imported here: datasketch takes ~1 s to import

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def candidate_pairs(
    signatures: np.ndarray, bands: int, rows: int, max_bucket: int = 500
) -> CandidateSet:
    """All pairs of rows of ``signatures`` that share at least one identical band."""
    count = signatures.shape[0]
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands * rows = {bands * rows} exceeds num_perm {signatures.shape[1]}")
    chunks: list[np.ndarray] = []
    oversized = largest = 0
    for band in range(bands):
        keys = combine_columns(signatures[:, band * rows : (band + 1) * rows])
        grouped = group_pairs(keys, max_bucket, star_oversized=True)
        chunks.append(grouped.pairs)
        oversized += grouped.oversized
        largest = max(largest, grouped.largest)
    return CandidateSet(_unique_pairs(chunks, count), bands, rows, oversized, largest)


@dataclass(frozen=True)
class GroupedPairs:
    """Pairs of positions whose keys are equal, and the sizes of the groups they came from."""

    pairs: np.ndarray
    oversized: int
    largest: int


def group_pairs(keys: np.ndarray, max_bucket: int, *, star_oversized: bool) -> GroupedPairs:
    """Every pair ``(i, j)``, ``i < j``, of positions with equal keys, vectorized per group size.

    A group larger than ``max_bucket`` gives only the pairs of its first position with the
    others (``star_oversized``) or no pairs at all.
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sizes = np.diff(np.concatenate((starts, [keys.size])))
    chunks = [np.empty((0, 2), dtype=np.int64)]
    for size in np.unique(sizes[sizes >= 2]).tolist():
        members = np.sort(order[starts[sizes == size][:, None] + np.arange(size)], axis=1)
        if size <= max_bucket:
            first, second = np.triu_indices(size, k=1)
            chunks.append(np.column_stack((members[:, first].ravel(), members[:, second].ravel())))
        elif star_oversized:
            chunks.append(
                np.column_stack((np.repeat(members[:, 0], size - 1), members[:, 1:].ravel()))
            )
    return GroupedPairs(
        np.concatenate(chunks),
        int((sizes > max_bucket).sum()),
        int(sizes.max(initial=0)),
    )


def _unique_pairs(chunks: list[np.ndarray], count: int) -> np.ndarray:
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks).astype(np.int64)
    codes = np.unique(pairs[:, 0] * count + pairs[:, 1])
    return np.column_stack((codes // count, codes % count))


def containment_candidates(
    shingle_sets: Sequence[np.ndarray],
    *,
    sample_mod: int = 8,
    min_share: float = 0.4,
    min_shingles: int = 20,
    max_bucket: int = 500,
) -> CandidateSet:
    """Pairs where most of one document's sampled shingles also occur in the other.

    Jaccard LSH cannot see a 100-word teaser inside a 1,000-word story (Jaccard about 0.1).
    Containment needs an asymmetric test: every shingle whose hash is divisible by
    ``sample_mod`` is sampled (a content-defined sample, the same in every document that has
    the shingle), and ``(i, j)`` is a candidate when at least ``min_share`` of the smaller
    document's samples (and at least two) are shared. Documents with fewer than
    ``min_shingles`` shingles cannot match by containment and are not sampled. Samples held
    by more than ``max_bucket`` documents (boilerplate, stock phrases) are ignored.
    """
    samples, owners, counts = _samples(shingle_sets, sample_mod, min_shingles)
    grouped = group_pairs(samples, max_bucket, star_oversized=False)
    pairs = np.sort(owners[grouped.pairs], axis=1)  # positions are sorted, owners need not be
    count = len(shingle_sets)
    codes, shared = np.unique(pairs[:, 0] * count + pairs[:, 1], return_counts=True)
    first, second = codes // count, codes % count
    smaller = np.minimum(counts[first], counts[second])
    keep = (shared >= 2) & (shared >= min_share * smaller)
    pairs = np.column_stack((first[keep], second[keep]))
    return CandidateSet(pairs, 0, 0, grouped.oversized, grouped.largest)


def _samples(
    shingle_sets: Sequence[np.ndarray], sample_mod: int, min_shingles: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sampled hashes, the row owning each, and the number of samples per row."""
    picked = [
        s[s % np.uint64(sample_mod) == 0] if s.size >= min_shingles else s[:0] for s in shingle_sets
    ]
    counts = np.fromiter((p.size for p in picked), dtype=np.int64, count=len(picked))
    owners = np.repeat(np.arange(len(picked), dtype=np.int64), counts)
    samples = np.concatenate(picked) if picked else np.empty(0, dtype=np.uint64)
    return samples, owners, counts


def merge_candidates(*sets: CandidateSet) -> np.ndarray:
    """The union of several candidate sets' pairs, sorted, without repeats."""
    pairs = np.concatenate([s.pairs for s in sets]) if sets else np.empty((0, 2), dtype=np.int64)
    if pairs.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(pairs, axis=0)
