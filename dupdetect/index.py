"""Stage 5, index: MinHash signatures to LSH candidate pairs.

Banding as in ``datasketch.MinHashLSH``: the signature is cut into ``bands`` bands of ``rows``
values, and two documents are candidates when any band is identical. ``bands``/``rows`` come
from datasketch's own optimizer for the chosen threshold. Instead of inserting every document
into MinHashLSH's per-band dictionaries and querying each one back, a batch scan hashes each
band of every signature at once and groups equal keys by sorting: the same buckets, hence
the same candidate pairs (``tests/test_index.py`` checks this against ``MinHashLSH``), in a
fraction of the memory and time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import MinHashLSH

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
        for members in _buckets(keys):
            largest = max(largest, members.size)
            if members.size > max_bucket:
                oversized += 1
            chunks.append(_bucket_pairs(members, max_bucket))
    return CandidateSet(_unique_pairs(chunks, count), bands, rows, oversized, largest)


def _buckets(keys: np.ndarray) -> list[np.ndarray]:
    """Row indexes grouped by equal key, for every key shared by two rows or more."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    ends = np.concatenate((starts[1:], [keys.size]))
    shared = (ends - starts) >= 2
    return [order[s:e] for s, e in zip(starts[shared], ends[shared], strict=True)]


def _bucket_pairs(members: np.ndarray, max_bucket: int) -> np.ndarray:
    members = np.sort(members)
    if members.size > max_bucket:
        return np.column_stack((np.full(members.size - 1, members[0]), members[1:]))
    first, second = np.triu_indices(members.size, k=1)
    return np.column_stack((members[first], members[second]))


def _unique_pairs(chunks: list[np.ndarray], count: int) -> np.ndarray:
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks).astype(np.int64)
    codes = np.unique(pairs[:, 0] * count + pairs[:, 1])
    return np.column_stack((codes // count, codes % count))
