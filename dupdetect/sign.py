"""Stage 4, sign: shingle-hash sets to MinHash signatures, many documents at once.

The signatures are datasketch's: the same ``affine32`` permutations (drawn as by a
``datasketch.MinHash`` with the same ``num_perm`` and ``seed``), the same MurmurHash3
pre-mix, fed with each 64-bit shingle hash folded to 32 bits. Computing them as one numpy
operation per batch instead of a ``MinHash.update`` per shingle gives identical values
(``tests/test_sign.py`` checks this bit for bit), so a signature made here can go into any
datasketch index (``to_minhash``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

try:  # the C MinHash loop (setup.py); the numpy batch code below is the reference and fallback
    from . import _speedups
except ImportError:  # pragma: no cover - only without a compiler at install time
    _speedups = None

if TYPE_CHECKING:
    from datasketch import MinHash

# Rows of the (shingles x permutations) matrix computed at once; bounds peak memory.
_BATCH_CELLS = 4_000_000

_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def fold32(hashes: np.ndarray) -> np.ndarray:
    """Fold 64-bit shingle hashes to the 32-bit inputs datasketch's affine32 scheme takes."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    return (hashes ^ (hashes >> np.uint64(32))).astype(np.uint32)


def datasketch_hashfunc(shingle_hash: int) -> int:
    """The ``hashfunc`` that makes ``datasketch.MinHash.update`` match :class:`Signer`."""
    return (shingle_hash ^ (shingle_hash >> 32)) & 0xFFFFFFFF


def _fmix32(values: np.ndarray) -> np.ndarray:
    shift1, mult1, shift2, mult2 = _FMIX32
    values = values ^ (values >> shift1)
    values = values * mult1
    values = values ^ (values >> shift2)
    values = values * mult2
    return values ^ (values >> shift1)


def affine32_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` uint32 parameters of datasketch's affine32 permutations for ``seed``.

    Drawn exactly as ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` draws them
    (numpy's legacy ``RandomState``, odd ``a``); made here so that signing does not import
    datasketch, whose import loads scipy (~1.3 s per process). ``tests/test_sign.py`` checks
    them against datasketch's.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


class Signer:
    """Computes datasketch-compatible MinHash signatures for batches of shingle sets.

    Args:
        num_perm: number of permutations (signature length).
        seed: permutation seed, as in ``datasketch.MinHash``.
    """

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.seed = seed
        self._a, self._b = affine32_permutations(num_perm, seed)

    def sign(self, shingle_sets: Sequence[np.ndarray], perms: int | None = None) -> np.ndarray:
        """Signatures of many shingle sets: a ``(len(shingle_sets), num_perm)`` uint32 matrix.

        With ``perms``, only the first ``perms`` columns (what LSH bands of ``bands * rows
        <= perms`` values read; the same values as the full signature's first columns).
        Every set must be non-empty.
        """
        if _speedups is None:
            return self.sign_numpy(shingle_sets)[:, :perms]
        a, b = self._a[:perms], self._b[:perms]
        out = np.empty((len(shingle_sets), a.size), dtype=np.uint32)
        sets = [np.ascontiguousarray(shingles, dtype=np.uint64) for shingles in shingle_sets]
        _speedups.minhash_into(sets, a, b, out)
        return out

    def sign_numpy(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        """``sign`` in numpy, a batch at a time: the reference for the C loop, its fallback."""
        out = np.empty((len(shingle_sets), self.num_perm), dtype=np.uint32)
        start = 0
        while start < len(shingle_sets):
            stop = self._batch_end(shingle_sets, start)
            out[start:stop] = self._sign_batch(shingle_sets[start:stop])
            start = stop
        return out

    def _batch_end(self, shingle_sets: Sequence[np.ndarray], start: int) -> int:
        cells = 0
        stop = start
        while stop < len(shingle_sets) and (stop == start or cells < _BATCH_CELLS):
            cells += shingle_sets[stop].size * self.num_perm
            stop += 1
        return stop

    def _sign_batch(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        sizes = np.fromiter((s.size for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
        if (sizes == 0).any():
            raise ValueError("cannot sign an empty shingle set")
        mixed = _fmix32(fold32(np.concatenate(shingle_sets)))
        # (permutations x shingles): reduceat then runs along contiguous rows, ~5x faster than
        # reducing the (shingles x permutations) matrix along axis 0; same values.
        permuted = self._a[:, None] * mixed[None, :] + self._b[:, None]
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        return np.minimum.reduceat(permuted, offsets, axis=1).T

    def to_minhash(self, signature: np.ndarray) -> MinHash:
        """Wrap one signature row as a ``datasketch.MinHash`` (for datasketch's indexes)."""
        from datasketch import MinHash

        return MinHash(
            seed=self.seed,
            hashvalues=signature,
            permutations=np.array([self._a, self._b]),
            scheme="affine32",
            hashfunc=datasketch_hashfunc,
        )
