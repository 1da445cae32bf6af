"""Packed lookup entries of the embedded index, in segments that merge as the index grows.

A *segment* of level ``k`` holds the lookup entries of the documents whose handles fall in
``[start << k, (start + 1) << k)``. Inside it a 32-bit term splits into a *bucket* (its top
``k`` bits) and low bits (the other ``32 - k``); one row per bucket holds, as little-endian
uint32, ``low << k | offset`` for every entry, where ``offset`` is the handle minus the
segment's first handle. So a segment of ``2**k`` documents has ``2**k`` buckets, and its rows
hold a document's number of terms on average (about 30 band terms, or its samples), whatever
``k`` is: a lookup reads one short row per segment and term.

A term held by more than ``HEAVY_ENTRIES`` documents of a merged segment (a phrase every page
of a site repeats, a bucket of identical pages) leaves the bucket rows for a row of its own,
``(term, offsets)``, handles ascending: a lookup then never decodes a huge bucket row, and of
a heavy term it reads only as many entries as can change its answer.

New documents go into level-``FIRST_LEVEL`` segments. Once every handle of a level ``k + 1``
range has been given out, the segments inside it merge into one (two level-``k`` buddies:
the binary counter of Bentley and Saxe's logarithmic method; when a write completes ranges of
several levels at once, the highest one is written directly), so an index of ``n`` documents
has at most ``log2(n / 2**FIRST_LEVEL)`` complete segments plus one filling up, and each entry
is rewritten at most once per level (about every other level on average). Everything here
is pure numpy; the SQL is ``sqlite.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

#: Level of the segments new documents are written to (4,096 handles each).
FIRST_LEVEL = 12
#: Highest level (and handle limit ``2**MAX_LEVEL``): an entry keeps at least one low bit.
MAX_LEVEL = 31
#: Segments merge ``2**MERGE_BITS`` at a time (their parent is ``MERGE_BITS`` levels up).
MERGE_BITS = 1
#: A merge is done in slices of the term space with about this many target rows each.
MERGE_SLICE_ROWS = 1 << 12
#: A term with more entries than this in a merged segment gets a row of its own.
HEAVY_ENTRIES = 256

Row = tuple[int, int, bytes]  # (start, bucket, entries)


@dataclass(frozen=True, order=True)
class Segment:
    """The handles ``[start << level, (start + 1) << level)``."""

    level: int
    start: int

    @property
    def first(self) -> int:
        return self.start << self.level

    @property
    def end(self) -> int:
        return (self.start + 1) << self.level

    def parent(self) -> Segment:
        return Segment(self.level + MERGE_BITS, self.start >> MERGE_BITS)

    def contains(self, other: Segment) -> bool:
        return self.first <= other.first and other.end <= self.end


def due_merge(
    segments: Iterable[Segment], next_handle: int
) -> tuple[Segment, list[Segment]] | None:
    """The next merge to do: the lowest segment whose parent range is complete (every handle
    in it given out, i.e. below ``next_handle``), merged straight into its highest complete
    ancestor with every segment inside that range; None when every complete range is one
    segment.

    Going straight to the highest complete ancestor is the logarithmic method's carry: when
    one batch completes ranges of several levels at once (handle 16,384 completes a level-13
    and a level-14 range), the level-13 segment is never written only to be read back.
    """
    present = sorted(segments)
    for segment in present:
        if segment.level + MERGE_BITS > MAX_LEVEL:
            continue
        target = segment.parent()
        if target.end > next_handle:
            continue
        while target.level + MERGE_BITS <= MAX_LEVEL and target.parent().end <= next_handle:
            target = target.parent()
        return target, [s for s in present if target.contains(s)]
    return None


def first_level_segments(handles: np.ndarray) -> list[Segment]:
    """The level-``FIRST_LEVEL`` segments these handles fall in."""
    starts = np.unique(np.asarray(handles, dtype=np.int64) >> FIRST_LEVEL)
    return [Segment(FIRST_LEVEL, start) for start in starts.tolist()]


def pack_rows(level: int, terms: np.ndarray, handles: np.ndarray) -> list[Row]:
    """Rows ``(start, bucket, entries)`` of the level-``level`` segments for the entries
    ``(terms[i], handles[i])``, sorted by start and bucket; entries keep their input order
    within a row."""
    terms = np.asarray(terms, dtype=np.uint32)
    handles = np.asarray(handles, dtype=np.int64)
    if terms.size == 0:
        return []
    starts = handles >> level
    first_start = int(starts.min())
    buckets = (terms >> np.uint32(32 - level)).astype(np.int64)
    keys = (starts - first_start) << level | buckets  # row number from the first segment on
    order = _stable_order(keys)
    keys = keys[order]
    low = terms[order] & np.uint32((1 << (32 - level)) - 1)
    offsets = (handles[order] & ((1 << level) - 1)).astype(np.uint32)
    data = ((low << np.uint32(level)) | offsets).astype("<u4").tobytes()
    bounds = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1], [True])))
    firsts = keys[bounds[:-1]]
    return [
        (start, bucket, data[4 * low_at : 4 * high_at])
        for start, bucket, low_at, high_at in zip(
            ((firsts >> level) + first_start).tolist(),
            (firsts & ((1 << level) - 1)).tolist(),
            bounds[:-1].tolist(),
            bounds[1:].tolist(),
            strict=True,
        )
    ]


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of non-negative int64 keys, faster: numpy sorts
    16-bit integers by radix, so keys below ``2**32`` are ordered in one or two 16-bit
    passes (low digit first) instead of by a comparison sort (merges: 6x less sort time)."""
    top = int(keys.max()) if keys.size else 0
    if top >= 1 << 32:
        return np.argsort(keys, kind="stable")
    if top < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]


def unpack_rows(level: int, rows: list[Row]) -> tuple[np.ndarray, np.ndarray]:
    """Terms (uint32) and handles (int64) of the entries in rows of level-``level`` segments."""
    if not rows:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
    sizes = np.fromiter((len(r[2]) // 4 for r in rows), dtype=np.int64, count=len(rows))
    entries = np.frombuffer(b"".join(r[2] for r in rows), dtype="<u4").astype(np.uint32)
    starts = np.repeat(np.fromiter((r[0] for r in rows), np.int64, len(rows)), sizes)
    buckets = np.repeat(np.fromiter((r[1] for r in rows), np.uint32, len(rows)), sizes)
    terms = (buckets << np.uint32(32 - level)) | (entries >> np.uint32(level))
    handles = (starts << level) + (entries & np.uint32((1 << level) - 1)).astype(np.int64)
    return terms, handles


def split_heavy(
    segment: Segment, terms: np.ndarray, handles: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, bytes]]]:
    """Entries of terms with at most ``HEAVY_ENTRIES`` entries (for ``pack_rows``), and the
    rows ``(term, offsets)`` of the others: uint32 offsets in ``segment``, ascending."""
    terms = np.asarray(terms, dtype=np.uint32)
    handles = np.asarray(handles, dtype=np.int64)
    values, counts = np.unique(terms, return_counts=True)
    heavy = values[counts > HEAVY_ENTRIES]
    if heavy.size == 0:
        return terms, handles, []
    is_heavy = np.isin(terms, heavy)
    order = np.lexsort((handles[is_heavy], terms[is_heavy]))
    heavy_terms = terms[is_heavy][order]
    offsets = (handles[is_heavy][order] - segment.first).astype("<u4")
    bounds = np.flatnonzero(
        np.concatenate(([True], heavy_terms[1:] != heavy_terms[:-1], [True]))
    ).tolist()
    data = offsets.tobytes()
    rows = [
        (int(heavy_terms[low]), data[4 * low : 4 * high])
        for low, high in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return terms[~is_heavy], handles[~is_heavy], rows


def unpack_heavy(segment: Segment, rows: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """Terms and handles of heavy-term rows of ``segment``."""
    if not rows:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
    sizes = np.fromiter((len(r[1]) // 4 for r in rows), dtype=np.int64, count=len(rows))
    offsets = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").astype(np.int64)
    terms = np.repeat(np.fromiter((r[0] for r in rows), np.uint32, len(rows)), sizes)
    return terms, offsets + segment.first


def term_range(term_slice: int, slice_bits: int) -> tuple[int, int]:
    """Terms ``[low, high)`` of slice ``term_slice`` of the term space cut in ``2**slice_bits``."""
    shift = 32 - slice_bits
    return term_slice << shift, (term_slice + 1) << shift


def bucket_range(level: int, term_slice: int, slice_bits: int) -> tuple[int, int]:
    """Buckets ``[low, high)`` of a level-``level`` segment that hold the terms of slice
    ``term_slice`` of the term space cut into ``2**slice_bits`` slices (``slice_bits <=
    level``)."""
    shift = level - slice_bits
    return term_slice << shift, (term_slice + 1) << shift


def merge_slices(target: Segment, sources: list[Segment]) -> Iterator[tuple[int, int]]:
    """``(slice, slice_bits)`` for merging ``sources`` into ``target`` a term slice at a time,
    each slice about ``MERGE_SLICE_ROWS`` target rows (and never finer than a source bucket)."""
    finest = min(s.level for s in sources)
    slice_bits = max(0, min(finest, target.level - MERGE_SLICE_ROWS.bit_length() + 1))
    for term_slice in range(1 << slice_bits):
        yield term_slice, slice_bits


def buckets_of(level: int, wanted: np.ndarray) -> list[int]:
    """The buckets of a level-``level`` segment that may hold the ``wanted`` terms."""
    return np.unique(np.asarray(wanted, dtype=np.uint32) >> np.uint32(32 - level)).tolist()
