"""Stage 3, shingle: a word sequence to the set of its k-word shingles, as 64-bit hashes.

Each word is hashed once (64 bits); a shingle's hash mixes its k word hashes with
position-dependent odd multipliers and the MurmurHash3 finalizer, all vectorized in numpy.
Shingle sets are sorted unique ``uint64`` arrays, so exact set overlap is a merge.
"""

from __future__ import annotations

import functools

import numpy as np

from .hashing import MULTIPLIERS, fmix64

try:  # the C loops (setup.py); the numpy code below is the reference and the fallback
    from . import _speedups
except ImportError:  # pragma: no cover - only without a compiler at install time
    _speedups = None

MAX_SHINGLE_SIZE = len(MULTIPLIERS)
EMPTY = np.empty(0, dtype=np.uint64)


# Word hashes are polynomial hashes of the word's UTF-8 bytes modulo 2**64, computed for all
# words of a text at once from prefix sums (one numpy pass instead of a Python call per word),
# then passed through the MurmurHash3 finalizer. _BASE is odd, so it has an inverse mod 2**64,
# which moves every word's sum back to position 0: the same word hashes the same anywhere.
_BASE = 0x100000001B3
_BASE_INVERSE = pow(_BASE, -1, 1 << 64)
_POWERS_LIMIT = 1 << 20


def _power_table(base: int, count: int) -> np.ndarray:
    """``base ** i`` modulo 2**64 for ``i`` in ``range(count)``."""
    table = np.full(count, base, dtype=np.uint64)
    table[0] = 1
    return np.cumprod(table, dtype=np.uint64)


@functools.cache
def _power_tables() -> tuple[np.ndarray, np.ndarray]:
    """``_BASE`` and ``_BASE_INVERSE`` powers up to ``_POWERS_LIMIT``: 16 MB, made on first use
    (only the numpy reference needs them, not the C loop every process imports for)."""
    return _power_table(_BASE, _POWERS_LIMIT), _power_table(_BASE_INVERSE, _POWERS_LIMIT)


def word_hashes(words: list[str]) -> np.ndarray:
    """Hash each word to 64 bits (stable across processes and platforms).

    >>> a, b, c = word_hashes(["news", "wire", "news"]).tolist()
    >>> a == c != b
    True
    """
    return hash_word_bytes(np.frombuffer("\x00".join(words).encode("utf-8"), dtype=np.uint8))


def hash_word_bytes(data: np.ndarray) -> np.ndarray:
    """One 64-bit hash per word of a buffer of UTF-8 words separated by runs of zero bytes."""
    if _speedups is not None:
        return np.frombuffer(
            _speedups.hash_words(np.ascontiguousarray(data, dtype=np.uint8)), dtype=np.uint64
        )
    return hash_word_bytes_numpy(data)


def hash_word_bytes_numpy(data: np.ndarray) -> np.ndarray:
    """``hash_word_bytes`` in numpy: the reference for the C version, and its fallback."""
    is_word = data != 0
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return EMPTY
    powers, inverse = _powers(data.size + 1)
    sums = np.zeros(data.size + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * powers[:-1], dtype=np.uint64, out=sums[1:])
    at_zero = (sums[ends] - sums[starts]) * inverse[starts]
    return fmix64(at_zero + (ends - starts).astype(np.uint64))


def _powers(count: int) -> tuple[np.ndarray, np.ndarray]:
    if count <= _POWERS_LIMIT:
        powers, inverse = _power_tables()
        return powers[:count], inverse[:count]
    return _power_table(_BASE, count), _power_table(_BASE_INVERSE, count)


def shingle_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """Sorted unique hashes of every run of ``size`` consecutive word hashes.

    A text shorter than ``size`` words gets one shingle of all its words (so two identical
    short texts still match); an empty text gets an empty set.

    >>> shingle_hashes(word_hashes("a b c d".split()), 2).size
    3
    >>> shingle_hashes(word_hashes("a b".split()), 5).size
    1
    """
    if not 1 <= size <= MAX_SHINGLE_SIZE:
        raise ValueError(f"shingle size must be between 1 and {MAX_SHINGLE_SIZE}, got {size}")
    if _speedups is not None:
        hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
        return np.frombuffer(_speedups.shingle(hashes, size), dtype=np.uint64)
    return shingle_hashes_numpy(hashes, size)


def shingle_hashes_numpy(hashes: np.ndarray, size: int) -> np.ndarray:
    """``shingle_hashes`` in numpy: the reference for the C version, and its fallback."""
    if hashes.size == 0:
        return EMPTY
    hashed = np.sort(window_hashes(hashes, size))
    return hashed[np.concatenate(([True], hashed[1:] != hashed[:-1]))]


def window_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """The hash of every ``size``-word window, in text order (``shingle_hashes`` before its
    sort and dedup; a text shorter than ``size`` is one window)."""
    count = hashes.size
    if count == 0:
        return EMPTY
    size = min(size, count)
    windows = count - size + 1
    mixed = hashes[:windows] * MULTIPLIERS[0]
    for offset in range(1, size):
        mixed = mixed + hashes[offset : offset + windows] * MULTIPLIERS[offset]
    return fmix64(mixed + np.uint64(size))


def shingles(words: list[str], size: int) -> np.ndarray:
    """Shingle hashes of a word list: ``shingle_hashes(word_hashes(words), size)``.

    >>> bool((shingles("the cat sat on the mat".split(), 3)
    ...       == shingles("the cat sat on the mat".split(), 3)).all())
    True
    """
    return shingle_hashes(word_hashes(words), size)
