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

import functools
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .hashing import combine_columns
from .sign import fold32

try:  # the C sampling pass (setup.py); the numpy code is the reference and the fallback
    from . import _speedups
except ImportError:  # pragma: no cover - only without a compiler at install time
    _speedups = None


@dataclass(frozen=True)
class CandidateSet:
    """Candidate pairs ``(i, j)``, ``i < j``, as row indexes into the signature matrix.

    ``oversized_buckets`` counts buckets larger than ``max_bucket``; their members were paired
    with the bucket's first member only. ``oversized_firsts`` and ``oversized_sizes`` name the
    first member and the size of each (the same bucket seen in several bands counts once per
    band).
    """

    pairs: np.ndarray
    bands: int
    rows: int
    oversized_buckets: int = 0
    largest_bucket: int = 0
    oversized_firsts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    oversized_sizes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@functools.lru_cache(maxsize=64)
def lsh_params(
    threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)
) -> tuple[int, int]:
    """``(bands, rows)`` that datasketch's ``MinHashLSH`` picks for ``threshold``.

    The same optimization as datasketch's ``_optimal_param`` (minimize the weighted areas of
    false positives below ``threshold`` and false negatives above it over every ``b * r <=
    num_perm``), computed here because importing ``datasketch.lsh`` loads scipy (~1.3 s in
    every process) just for its integrator. The integrands are polynomials of degree
    ``b * r``, so Gauss-Legendre quadrature with enough nodes is exact; ``tests/test_index.py``
    checks the choice against ``MinHashLSH`` over a grid of settings.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0.0, 1.0]")
    if num_perm < 2:
        raise ValueError("Too few permutation functions")
    bands, rows = _band_row_grid(num_perm)
    nodes, node_weights = gauss_legendre(num_perm // 2 + 2)
    false_pos = _integral(bands, rows, 0.0, threshold, nodes, node_weights, positive=True)
    false_neg = _integral(bands, rows, threshold, 1.0, nodes, node_weights, positive=False)
    error = false_pos * weights[0] + false_neg * weights[1]
    best = int(np.argmin(error))  # first minimum: datasketch keeps the first strictly smaller
    if bands[best] < 2:
        raise ValueError("The number of bands are too small (b < 2)")
    return int(bands[best]), int(rows[best])


def gauss_legendre(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (ascending) and weights of ``points``-point Gauss-Legendre quadrature on [-1, 1]:
    ``np.polynomial.legendre.leggauss``'s (within 2e-12 up to 260 points, tested), by
    Newton's method on the Legendre recurrence.

    Not ``leggauss`` itself: its eigenvalue solver wakes OpenBLAS's thread pool, which then
    spins ~0.1 s of CPU in every process that computed LSH parameters (the main process and
    each worker of a scan) while the scan needs the cores.
    """
    k = np.arange(1, points + 1)
    x = np.cos(np.pi * (k - 0.25) / (points + 0.5))  # near each root, descending
    for _ in range(100):
        value, slope = _legendre(points, x)
        step = value / slope
        x = x - step
        if np.max(np.abs(step)) < 1e-15:
            break
    _, slope = _legendre(points, x)
    weights = 2 / ((1 - x * x) * slope * slope)
    return x[::-1].copy(), weights[::-1].copy()


def _legendre(degree: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_degree(x) and its derivative, by the three-term recurrence (degree >= 1)."""
    previous, current = np.ones_like(x), x.copy()
    for j in range(2, degree + 1):
        previous, current = current, ((2 * j - 1) * x * current - (j - 1) * previous) / j
    return current, degree * (x * current - previous) / (x * x - 1)


def _band_row_grid(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(b, r)`` with ``b * r <= num_perm``, in datasketch's loop order (b, then r)."""
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    grid = np.array(pairs, dtype=np.float64)
    return grid[:, 0], grid[:, 1]


def _integral(
    bands: np.ndarray,
    rows: np.ndarray,
    low: float,
    high: float,
    nodes: np.ndarray,
    node_weights: np.ndarray,
    *,
    positive: bool,
) -> np.ndarray:
    """Integral over ``[low, high]`` of P(candidate) (``positive``) or 1 - P(candidate)."""
    s = (high - low) / 2 * nodes + (high + low) / 2
    candidate = 1 - (1 - s[None, :] ** rows[:, None]) ** bands[:, None]
    values = candidate if positive else 1 - candidate
    return (values @ node_weights) * (high - low) / 2


def candidate_pairs(
    signatures: np.ndarray, bands: int, rows: int, max_bucket: int = 500
) -> CandidateSet:
    """All pairs of rows of ``signatures`` that share at least one identical band."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands * rows = {bands * rows} exceeds num_perm {signatures.shape[1]}")
    found = lsh_candidates(band_keys(signatures, bands, rows), max_bucket)
    return CandidateSet(found.pairs, bands, rows, found.oversized_buckets, found.largest_bucket)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The LSH bucket key of every band of every signature: ``(documents, bands)`` uint64.

    All bands at once, as a ``(documents, bands, rows)`` view of the signatures: a few numpy
    calls per batch rather than a few per band.
    """
    banded = signatures[:, : bands * rows].reshape(signatures.shape[0], bands, rows)
    return combine_columns(banded)


def lsh_candidates(keys: np.ndarray, max_bucket: int = 500) -> CandidateSet:
    """All pairs of rows of a ``(documents, bands)`` key matrix equal in at least one band.

    Pairs are merged band by band (a pair found in every band is held once, not 30 times).
    """
    count, bands = keys.shape
    codes = np.empty(0, dtype=np.int64)
    firsts: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    oversized = largest = 0
    for grouped in _band_groups(keys, max_bucket):
        codes = _sorted_union(codes, grouped.pairs[:, 0] * count + grouped.pairs[:, 1])
        firsts.append(grouped.oversized_firsts)
        sizes.append(grouped.oversized_sizes)
        oversized += grouped.oversized
        largest = max(largest, grouped.largest)
    return CandidateSet(
        np.column_stack((codes // count, codes % count)) if count else np.empty((0, 2), np.int64),
        bands,
        0,
        oversized,
        largest,
        np.concatenate(firsts) if firsts else np.empty(0, dtype=np.int64),
        np.concatenate(sizes) if sizes else np.empty(0, dtype=np.int64),
    )


def _band_groups(keys: np.ndarray, max_bucket: int) -> Iterator[GroupedPairs]:
    """``group_pairs`` of every band (column) of ``keys``, in band order, each column copied
    into the same buffer (not a fresh array a band: new memory is slow to touch)."""
    column = np.empty(keys.shape[0], dtype=keys.dtype)
    for band in range(keys.shape[1]):
        np.copyto(column, keys[:, band])
        yield group_pairs(column, max_bucket, star_oversized=True)


def _sorted_union(ordered: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """``np.union1d(ordered, distinct)`` for an ``ordered`` that is already sorted and unique
    and a ``distinct`` without repeats (one band's pairs): only ``distinct`` is sorted, and
    its new values are inserted in one pass over ``ordered``."""
    values = np.sort(distinct)
    at = np.searchsorted(ordered, values)
    inside = at < ordered.size
    new = np.ones(values.size, dtype=bool)
    new[inside] = ordered[at[inside]] != values[inside]
    return np.insert(ordered, at[new], values[new])


@dataclass(frozen=True)
class GroupedPairs:
    """Pairs of positions whose keys are equal, and the sizes of the groups they came from."""

    pairs: np.ndarray
    oversized: int
    largest: int
    oversized_firsts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    oversized_sizes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


def group_pairs(keys: np.ndarray, max_bucket: int, *, star_oversized: bool) -> GroupedPairs:
    """Every pair ``(i, j)``, ``i < j``, of positions with equal uint64 keys (in no particular
    order).

    A group larger than ``max_bucket`` gives only the pairs of its first position with the
    others (``star_oversized``) or no pairs at all. ``largest`` is the largest group, one when
    every key is distinct.
    """
    shared = _shared_key_positions(keys)
    grouped = _pairs_in_runs(keys[shared], shared, max_bucket, star_oversized=star_oversized)
    if keys.size and not shared.size:  # only lone keys: groups of one
        return GroupedPairs(grouped.pairs, 0, 1)
    return grouped


def _shared_key_positions(keys: np.ndarray) -> np.ndarray:
    """Positions of the uint64 keys that may occur more than once, ordered by key, then
    position: every repeated key, and the few lone keys whose high bits another key shares.

    Most keys are distinct. One sort of the keys with their positions in the low bits (a
    plain sort, several times faster than an argsort) finds the keys whose high bits repeat;
    only those few are argsorted on their full keys.
    """
    bits = max(int(keys.size - 1).bit_length(), 1)
    low = np.uint64((1 << bits) - 1)
    packed = keys & ~low
    packed |= np.arange(keys.size, dtype=np.uint64)
    packed.sort()
    high = packed & ~low
    same = high[1:] == high[:-1]  # same[k]: sorted positions k and k + 1 share their high bits
    repeated = np.zeros(keys.size, dtype=bool)
    repeated[1:] = same
    repeated[:-1] |= same
    positions = (packed[repeated] & low).astype(np.int64)
    return positions[np.argsort(keys[positions], kind="stable")]


def _pairs_in_runs(
    ordered: np.ndarray, members_of: np.ndarray, max_bucket: int, *, star_oversized: bool
) -> GroupedPairs:
    """``group_pairs`` on sorted keys: ``members_of[k]`` is the member at sorted position k,
    ascending within each run of equal keys."""
    runs = _shared_runs(ordered)
    oversized = runs.sizes > max_bucket
    first, second = _run_pairs(runs, ~oversized, oversized & star_oversized)
    by_size = np.argsort(runs.sizes[oversized], kind="stable")
    return GroupedPairs(
        np.column_stack((members_of[first], members_of[second])).astype(np.int64, copy=False),
        int(oversized.sum()),
        runs.largest,
        members_of[runs.starts[oversized][by_size]].astype(np.int64),
        runs.sizes[oversized][by_size],
    )


@dataclass(frozen=True)
class SharedRuns:
    """The runs of two or more equal values in a sorted array: where each starts, its size."""

    starts: np.ndarray
    sizes: np.ndarray
    largest: int


def _run_pairs(
    runs: SharedRuns, every: np.ndarray, star: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions ``(first, second)``, ``first < second``, of pairs within runs: every
    pair in the runs flagged in ``every``, the run's first position with each other one in
    those flagged in ``star``. All runs at once, as ranges of partners per position."""
    starts, sizes = runs.starts[every], runs.sizes[every]
    # Every pair: each position but a run's last is paired with all the positions after it.
    lefts = _ranges(starts, sizes - 1)
    fans = np.repeat(starts + sizes - 1, sizes - 1) - lefts
    lefts = np.concatenate((lefts, runs.starts[star]))
    fans = np.concatenate((fans, runs.sizes[star] - 1))
    return np.repeat(lefts, fans), _ranges(lefts + 1, fans)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``np.arange(s, s + n)`` for every ``s, n`` of ``starts, lengths``, back to back."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if ends.size else 0
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def _shared_runs(ordered: np.ndarray) -> SharedRuns:
    """Runs of equal values of size two or more; singletons cost three boolean masks only
    (on a million documents' containment samples most values are singletons)."""
    if ordered.size == 0:
        return SharedRuns(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), 0)
    same = ordered[1:] == ordered[:-1]  # same[k]: positions k and k + 1 are in one run
    begins = same.copy()
    begins[1:] &= ~same[:-1]
    starts = np.flatnonzero(begins)
    del begins
    ends = same
    ends[:-1] &= ~same[1:]
    sizes = np.flatnonzero(ends) + 2 - starts
    largest = int(sizes.max()) if sizes.size else 1
    return SharedRuns(starts, sizes, largest)


#: Every shingle whose hash is divisible by this is a containment sample.
SAMPLE_MOD = 8


def containment_samples(
    shingles: np.ndarray, sample_mod: int = SAMPLE_MOD, min_shingles: int = 20
) -> np.ndarray:
    """One document's containment samples, folded to uint32 (none below ``min_shingles``).

    A content-defined sample: every shingle whose hash is divisible by ``sample_mod``, the
    same in every document that has the shingle. Folding to 32 bits can only add candidate
    pairs (every candidate is verified exactly), and halves the memory of the sample index.
    """
    if shingles.size < min_shingles:
        return np.empty(0, dtype=np.uint32)
    return fold32(shingles[_is_sample(shingles, sample_mod)])


def packed_containment_samples(
    sets: Sequence[np.ndarray], sample_mod: int = SAMPLE_MOD, min_shingles: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """``containment_samples`` of many sets: their samples back to back, and how many each
    set has.

    One C pass over the sets (a power-of-two ``sample_mod``), else a few numpy calls per
    batch instead of a few per document (the scan's workers sample a chunk at a time).
    """
    if _speedups is not None and sample_mod & (sample_mod - 1) == 0:
        arrays = [np.ascontiguousarray(s, dtype=np.uint64) for s in sets]
        values, counts = _speedups.packed_samples(arrays, sample_mod - 1, min_shingles)
        return np.frombuffer(values, np.uint32), np.frombuffer(counts, np.int64)
    sizes = np.array([s.size for s in sets], dtype=np.int64)
    shingles = np.concatenate(sets) if len(sets) else np.empty(0, dtype=np.uint64)
    return packed_containment_samples_numpy(shingles, sizes, sample_mod, min_shingles)


def packed_containment_samples_numpy(
    shingles: np.ndarray, sizes: np.ndarray, sample_mod: int = SAMPLE_MOD, min_shingles: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """``packed_containment_samples`` in numpy, of sets stored back to back (``sizes[k]``
    values each): the reference for the C pass, its fallback."""
    picked = _is_sample(shingles, sample_mod)
    picked &= np.repeat(sizes >= min_shingles, sizes)
    before = np.concatenate(([0], np.cumsum(picked, dtype=np.int64)))
    ends = np.cumsum(sizes)
    return fold32(shingles[picked]), before[ends] - before[ends - sizes]


def _is_sample(shingles: np.ndarray, sample_mod: int) -> np.ndarray:
    """Which shingles are samples: their hash is divisible by ``sample_mod``."""
    if sample_mod & (sample_mod - 1) == 0:  # a power of two: a mask, not a division
        return (shingles & np.uint64(sample_mod - 1)) == 0
    return shingles % np.uint64(sample_mod) == 0


@dataclass
class SampleRuns:
    """Containment samples of many documents, one run of values per document (or more).

    ``values`` holds the runs back to back; run ``k`` has ``counts[k]`` values and belongs
    to row ``owners[k]`` (-1: a dropped run, e.g. replaced after boilerplate removal).
    """

    values: np.ndarray
    counts: np.ndarray
    owners: np.ndarray


def containment_candidates(
    shingle_sets: Sequence[np.ndarray],
    *,
    sample_mod: int = SAMPLE_MOD,
    min_share: float = 0.4,
    min_shingles: int = 20,
    max_bucket: int = 500,
) -> CandidateSet:
    """Pairs where most of one document's sampled shingles also occur in the other.

    Jaccard LSH cannot see a 100-word teaser inside a 1,000-word story (Jaccard about 0.1).
    Containment needs an asymmetric test: ``(i, j)`` is a candidate when at least
    ``min_share`` of the smaller document's samples (see :func:`containment_samples`, and at
    least two) are shared. Documents with fewer than ``min_shingles`` shingles cannot match by
    containment and are not sampled. Samples held by more than ``max_bucket`` documents
    (boilerplate, stock phrases) are ignored.
    """
    picked = [containment_samples(s, sample_mod, min_shingles) for s in shingle_sets]
    counts = np.fromiter((p.size for p in picked), dtype=np.int64, count=len(picked))
    values = np.concatenate(picked) if picked else np.empty(0, dtype=np.uint32)
    runs = SampleRuns(values, counts, np.arange(len(picked), dtype=np.int64))
    return sampled_containment_candidates(
        runs, len(shingle_sets), min_share=min_share, max_bucket=max_bucket
    )


def sampled_containment_candidates(
    runs: SampleRuns,
    count: int,
    *,
    min_share: float = 0.4,
    max_bucket: int = 500,
    partitions: int = 8,
    threads: int = 1,
) -> CandidateSet:
    """``containment_candidates`` from precomputed samples of ``count`` rows.

    Samples are grouped in ``partitions`` slices of the value range, one slice at a time (in
    each of ``threads`` threads: numpy's sorts and the C loops run without the GIL), so the
    working memory is that of one slice a thread (value and owner packed in a uint64,
    sorted in place) plus the pair codes found; a million articles' 80 million samples never
    need more than a few hundred MB on top of themselves. Eight slices rather than 16: each
    C pass over all the samples takes one slice out, and a million articles' counting took
    2.1 instead of 2.5 s for 105 MB more.
    """
    bits = partitions.bit_length() - 1
    if partitions != 1 << bits or bits > 8:
        raise ValueError(f"partitions must be a power of two up to 256, got {partitions}")
    if _speedups is not None and count <= _MAX_C_ROWS:
        shared = _shared_samples_c(runs, count, max_bucket, bits, threads)
    else:
        shared = _shared_samples_numpy(runs, count, max_bucket, bits, threads)
    per_row = np.bincount(
        runs.owners[runs.owners >= 0], weights=runs.counts[runs.owners >= 0], minlength=count
    ).astype(np.int64)
    first, second = shared.codes // count, shared.codes % count
    smaller = np.minimum(per_row[first], per_row[second])
    keep = shared.shared >= min_share * smaller
    pairs = np.column_stack((first[keep], second[keep]))
    return CandidateSet(pairs, 0, 0, shared.oversized, shared.largest)


class SharedSamples(NamedTuple):
    """The pairs of rows that share at least two containment samples: their codes ``i *
    count + j`` (``i < j``, ascending) and how many samples each shares; the sample runs
    larger than ``max_bucket`` (left out) and the largest run."""

    codes: np.ndarray
    shared: np.ndarray
    oversized: int
    largest: int


def _shared_samples_numpy(
    runs: SampleRuns, count: int, max_bucket: int, bits: int, threads: int
) -> SharedSamples:
    """``SharedSamples`` in numpy, a slice at a time: the reference for the C version, and
    its fallback."""
    run_ends = np.cumsum(runs.counts)
    slice_of = (runs.values >> np.uint32(32 - bits)).astype(np.uint8) if bits else None

    def count_slice(part: int) -> _SliceCounts:
        at = np.arange(runs.values.size) if slice_of is None else np.flatnonzero(slice_of == part)
        return _count_slice(_packed_samples(runs, run_ends, at), count, max_bucket)

    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            slices = list(pool.map(count_slice, range(1 << bits)))
    else:
        slices = [count_slice(part) for part in range(1 << bits)]
    oversized = sum(s.oversized for s in slices)
    largest = max((s.largest for s in slices), default=0)
    codes, shared = _sum_counts([s.counted for s in slices])
    twice = shared >= 2
    return SharedSamples(codes[twice], shared[twice], oversized, largest)


#: Rows the C version handles: a row number takes at most 31 bits of a sort key, a pair code
#: (``i * count + j``) must fit in an int64.
_MAX_C_ROWS = 2**31


def _shared_samples_c(
    runs: SampleRuns, count: int, max_bucket: int, bits: int, threads: int
) -> SharedSamples:
    """``SharedSamples`` with the C loops (``_speedups``): the same slices as
    ``_shared_samples_numpy``, each of ``threads`` threads taking a share of them; each
    slice's pair codes sorted, then one k-way merge counts them all (no concatenation and
    argsort of every slice's counts).

    The numpy version made 16 passes of ``flatnonzero`` over a slice number per sample, a
    gather of each slice's samples and owners and a dozen whole-slice temporaries: 0.37 s at
    100,000 articles (two threads), 8 s at a million. This takes 0.2 and 2.1 s.
    """
    columns = _SampleColumns.of(runs, count, bits)
    threads = max(threads, 1)
    shares = [
        range(len(columns.sizes) * k // threads, len(columns.sizes) * (k + 1) // threads)
        for k in range(threads)
    ]
    count_share = functools.partial(_count_slices_c, columns, max_bucket)
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            slices = [s for share in pool.map(count_share, shares) for s in share]
    else:
        slices = count_share(shares[0])
    codes, shared = _speedups.merge_counts([s.codes for s in slices], 2)
    return SharedSamples(
        np.frombuffer(codes, dtype=np.int64),
        np.frombuffer(shared, dtype=np.int64),
        sum(s.oversized for s in slices),
        max((s.largest for s in slices), default=0),
    )


@dataclass(frozen=True)
class _SampleColumns:
    """Samples as the C loops take them: contiguous ``values`` (uint32), ``counts`` and
    ``owners`` (int64) of the runs, the ``shift`` that gives a value's slice, the
    ``owner_bits`` a row number takes in a sort key, and how many samples each slice holds."""

    values: np.ndarray
    counts: np.ndarray
    owners: np.ndarray
    count: int
    shift: int
    owner_bits: int
    sizes: np.ndarray

    @classmethod
    def of(cls, runs: SampleRuns, count: int, bits: int) -> _SampleColumns:
        """The columns of ``runs`` of samples of ``count`` rows, cut in ``2**bits`` slices."""
        values = np.ascontiguousarray(runs.values, dtype=np.uint32)
        counts = np.ascontiguousarray(runs.counts, dtype=np.int64)
        owners = np.ascontiguousarray(runs.owners, dtype=np.int64)
        sizes = _speedups.sample_slice_sizes(values, counts, owners, 32 - bits)
        owner_bits = max(int(count - 1).bit_length(), 1)
        return cls(
            values, counts, owners, count, 32 - bits, owner_bits, np.frombuffer(sizes, np.int64)
        )


class _SliceCodes(NamedTuple):
    """One slice's pair codes, sorted (repeated as often as the pair shares a sample in the
    slice), its runs over ``max_bucket`` and its largest run."""

    codes: np.ndarray
    oversized: int
    largest: int


def _count_slices_c(columns: _SampleColumns, max_bucket: int, parts: range) -> list[_SliceCodes]:
    """``_SliceCodes`` of the slices ``parts``, one after the other in one buffer of keys.

    The keys are gathered by one C pass over the samples a slice (SSE2 tests the slice of
    eight samples at a time), sorted by numpy (which beat an LSD radix sort in C on these
    keys, 16 against 23 ns a key), and C makes the pair codes of their runs.
    """
    keys = np.empty(int(columns.sizes[parts.start : parts.stop].max(initial=0)), np.uint64)
    every_limit = min(STAR_BUCKET, max_bucket)
    found = []
    for part in parts:
        taken = _speedups.slice_keys(
            columns.values,
            columns.counts,
            columns.owners,
            part,
            columns.shift,
            columns.owner_bits,
            keys,
        )
        if taken != columns.sizes[part]:
            raise RuntimeError(f"slice {part}: {taken} samples, {columns.sizes[part]} expected")
        ordered = keys[:taken]
        ordered.sort()
        codes, oversized, largest = _speedups.slice_pair_codes(
            ordered, columns.owner_bits, columns.count, every_limit, max_bucket
        )
        codes = np.frombuffer(codes, dtype=np.int64)
        codes.sort()
        found.append(_SliceCodes(codes, oversized, largest))
    return found


class _SliceCounts(NamedTuple):
    """What one slice of the samples gave: its pair codes and how many samples each pair
    shares (``_count_equal``), its oversized sample runs and its largest run."""

    counted: tuple[np.ndarray, np.ndarray]
    oversized: int
    largest: int


def _count_slice(packed: np.ndarray, count: int, max_bucket: int) -> _SliceCounts:
    """Pairs sharing samples within one slice (``_packed_samples``; sorted here, in place)."""
    packed.sort()
    sample, owner = _halves(packed)
    shared_runs = _shared_runs(sample)
    codes = _pair_codes(shared_runs, owner, count, max_bucket)
    oversized = int((shared_runs.sizes > max_bucket).sum())
    largest = shared_runs.largest if packed.size else 0
    del packed, sample, owner, shared_runs
    codes.sort()
    return _SliceCounts(_count_equal(codes), oversized, largest)


def _packed_samples(runs: SampleRuns, run_ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``value << 32 | owner`` of the samples at ascending positions ``at`` of ``runs.values``
    (``run_ends``: the cumulative ``runs.counts``), those of dropped runs left out.

    The owners come from how many of ``at`` fall in each run, not from a search per sample.
    """
    owners = np.repeat(runs.owners, np.diff(np.searchsorted(at, run_ends), prepend=0))
    if not (owners >= 0).all():
        kept = owners >= 0
        at, owners = at[kept], owners[kept]
    packed = np.empty(at.size, dtype=np.uint64)
    sample, owner = _halves(packed)
    sample[...] = runs.values[at]
    owner[...] = owners
    return packed


def _sum_counts(counted: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Merge ``(distinct values, counts)`` lists: each value once, with its summed count."""
    values = np.concatenate([v for v, _ in counted] or [np.empty(0, dtype=np.int64)])
    counts = np.concatenate([c for _, c in counted] or [np.empty(0, dtype=np.int64)])
    counted.clear()
    if values.size == 0:
        return values, counts
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts], np.add.reduceat(counts, starts)


#: Documents sharing a containment sample beyond which only the first of them is paired with
#: each other one (a star, as for oversized LSH buckets) instead of every pair: on a million
#: articles, samples shared by hundreds of pages (site chrome, stock phrases, a story on 300
#: sites) made almost all of the pairs counted. The members of a widely shared story still
#: meet: each is paired with the first, and clustering checks members against the anchor.
STAR_BUCKET = 32


def _pair_codes(runs: SharedRuns, owners: np.ndarray, count: int, max_bucket: int) -> np.ndarray:
    """``i * count + j`` for the pairs ``i < j`` of owners sharing a run (``owners`` ascending
    within each run): every pair in runs up to ``STAR_BUCKET``, the first owner with each
    other one up to ``max_bucket``, nothing in larger runs."""
    sizes = runs.sizes
    every = sizes <= min(STAR_BUCKET, max_bucket)
    star = (sizes > STAR_BUCKET) & (sizes <= max_bucket)
    first, second = _run_pairs(runs, every, star)
    return owners[first].astype(np.int64) * count + owners[second]


def _count_equal(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    if ordered.size == 0:
        return ordered, np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, ordered.size))


def _halves(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Views of the high and low 32 bits of every uint64 (no copy)."""
    words = packed.view(np.uint32).reshape(-1, 2)
    high, low = (1, 0) if sys.byteorder == "little" else (0, 1)
    return words[:, high], words[:, low]


def merge_candidates(*sets: CandidateSet) -> np.ndarray:
    """The union of several candidate sets' pairs, sorted, without repeats."""
    pairs = np.concatenate([s.pairs for s in sets]) if sets else np.empty((0, 2), dtype=np.int64)
    if pairs.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    width = int(pairs.max()) + 1
    if width > 2**31:  # i * width + j could overflow int64
        return np.unique(pairs, axis=0)
    # One int64 code per pair, in the pairs' lexicographic order: a plain sort, not np.unique's
    # per-row comparisons.
    codes = pairs[:, 0].astype(np.int64) * width + pairs[:, 1]
    codes, _ = _count_equal(np.sort(codes))
    return np.column_stack((codes // width, codes % width)).astype(pairs.dtype, copy=False)
