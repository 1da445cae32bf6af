"""Stage 3, shingle: a word sequence to the set of its k-word shingles, as 64-bit hashes.

Each word is hashed once (xxh3, 64 bits); a shingle's hash mixes its k word hashes with
position-dependent odd multipliers and the MurmurHash3 finalizer, all vectorized in numpy.
Shingle sets are sorted unique ``uint64`` arrays, so exact set overlap is a merge.
"""

from __future__ import annotations

import numpy as np
import xxhash

from .hashing import MULTIPLIERS, fmix64

MAX_SHINGLE_SIZE = len(MULTIPLIERS)
EMPTY = np.empty(0, dtype=np.uint64)


# Word -> hash memo: news vocabulary is Zipfian, so most words were hashed before and a dict
# lookup is several times cheaper than encoding and hashing again. Bounded; reset when full.
_MEMO: dict[str, int] = {}
_MEMO_LIMIT = 2_000_000


def word_hashes(words: list[str]) -> np.ndarray:
    """Hash each word to 64 bits (xxh3 of its UTF-8 bytes, stable across processes).

    >>> word_hashes(["news", "news"]).tolist()[0] == word_hashes(["news"]).tolist()[0]
    True
    """
    if len(_MEMO) > _MEMO_LIMIT:
        _MEMO.clear()
    memo, hash64 = _MEMO, xxhash.xxh3_64_intdigest
    values = []
    for word in words:
        value = memo.get(word)
        if value is None:
            value = memo[word] = hash64(word.encode("utf-8"))
        values.append(value)
    return np.array(values, dtype=np.uint64)


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
    count = hashes.size
    if count == 0:
        return EMPTY
    size = min(size, count)
    windows = count - size + 1
    mixed = hashes[:windows] * MULTIPLIERS[0]
    for offset in range(1, size):
        mixed = mixed + hashes[offset : offset + windows] * MULTIPLIERS[offset]
    return np.unique(fmix64(mixed + np.uint64(size)))


def shingles(words: list[str], size: int) -> np.ndarray:
    """Shingle hashes of a word list: ``shingle_hashes(word_hashes(words), size)``.

    >>> bool((shingles("the cat sat on the mat".split(), 3)
    ...       == shingles("the cat sat on the mat".split(), 3)).all())
    True
    """
    return shingle_hashes(word_hashes(words), size)
