"""Packed lookup entries of the embedded index, in segments that merge as the index grows.

A *segment* of level ``k`` holds the lookup entries of the documents whose handles fall in
``[start << k, (start + 1) << k)``. Inside it a 32-bit term splits into a *bucket* (its top
``k`` bits) and low bits (the other ``32 - k``); a bucket holds, as little-endian uint32,
``low << k | offset`` for every entry, where ``offset`` is the handle minus the segment's
first handle. So a segment of ``2**k`` documents has ``2**k`` buckets, each holding a
document's number of terms on average (about 30 band terms, or its samples), whatever ``k``
is. A row holds one bucket in a first-level segment and up to four neighbouring ones in a
merged segment (``row_bits``: SQLite's cost is per row): a lookup reads one short row per
segment and term.

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
#: A row of a merged segment holds up to ``2**ROW_BUCKET_BITS`` consecutive buckets (see
#: ``row_bits``): SQLite's cost is mostly per row, and a merge rewrites every row.
ROW_BUCKET_BITS = 2

Row = tuple[int, int, bytes]  # (start, row key, data): see pack_rows


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


def row_bits(level: int) -> int:
    """How many bucket bits the rows of a level-``level`` segment span: none at the first
    level (a write appends to its rows, so a row stays one bucket), ``ROW_BUCKET_BITS`` two
    levels up. A row of ``2**g`` buckets is keyed by ``bucket >> g`` and starts with a header
    of ``2**g - 1`` little-endian uint32 counts, the entries of each bucket but the last, its
    entries following in bucket order."""
    return max(0, min(ROW_BUCKET_BITS, level - FIRST_LEVEL))


def first_level_segments(handles: np.ndarray) -> list[Segment]:
    """The level-``FIRST_LEVEL`` segments these handles fall in."""
    starts = np.unique(np.asarray(handles, dtype=np.int64) >> FIRST_LEVEL)
    return [Segment(FIRST_LEVEL, start) for start in starts.tolist()]


def pack_rows(level: int, terms: np.ndarray, handles: np.ndarray) -> list[Row]:
    """Rows ``(start, row key, data)`` of the level-``level`` segments for the entries
    ``(terms[i], handles[i])``, sorted by start and key (see ``row_bits``); entries keep
    their input order within a bucket."""
    terms = np.asarray(terms, dtype=np.uint32)
    handles = np.asarray(handles, dtype=np.int64)
    if terms.size == 0:
        return []
    group = row_bits(level)
    starts = handles >> level
    first_start = int(starts.min())
    buckets = (terms >> np.uint32(32 - level)).astype(np.int64)
    keys = (starts - first_start) << level | buckets  # bucket number from the first segment on
    order = _stable_order(keys)
    keys = keys[order]
    low = terms[order] & np.uint32((1 << (32 - level)) - 1)
    offsets = (handles[order] & ((1 << level) - 1)).astype(np.uint32)
    data = ((low << np.uint32(level)) | offsets).astype("<u4").tobytes()
    row_of = keys >> group
    bounds = np.flatnonzero(np.concatenate(([True], row_of[1:] != row_of[:-1], [True])))
    firsts = row_of[bounds[:-1]]
    key_bits = level - group
    starts_out = ((firsts >> key_bits) + first_start).tolist()
    row_keys = (firsts & ((1 << key_bits) - 1)).tolist()
    lows, highs = bounds[:-1].tolist(), bounds[1:].tolist()
    if not group:
        return [
            (start, key, data[4 * low_at : 4 * high_at])
            for start, key, low_at, high_at in zip(starts_out, row_keys, lows, highs, strict=True)
        ]
    width = 1 << group
    row_index = np.repeat(np.arange(len(lows), dtype=np.int64), np.diff(bounds))
    counts = np.bincount(row_index * width + (keys & (width - 1)), minlength=len(lows) * width)
    headers = counts.reshape(len(lows), width)[:, :-1].astype("<u4").tobytes()
    size = 4 * (width - 1)
    return [
        (start, key, headers[size * row : size * (row + 1)] + data[4 * low_at : 4 * high_at])
        for row, (start, key, low_at, high_at) in enumerate(
            zip(starts_out, row_keys, lows, highs, strict=True)
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
    group = row_bits(level)
    header = 4 * ((1 << group) - 1)
    lengths = np.fromiter((len(r[2]) for r in rows), dtype=np.int64, count=len(rows))
    raw = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint8)
    sizes = (lengths - header) // 4
    starts = np.repeat(np.fromiter((r[0] for r in rows), np.int64, len(rows)), sizes)
    keys = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    if group:
        at = np.cumsum(lengths) - lengths
        in_header = (at[:, None] + np.arange(header)).ravel()
        counts = raw[in_header].view("<u4").reshape(len(rows), -1).astype(np.int64)
        counts = np.column_stack([counts, sizes - counts.sum(axis=1)])
        body = np.ones(raw.size, dtype=bool)
        body[in_header] = False
        raw = raw[body]
        width = 1 << group
        sub = np.tile(np.arange(width, dtype=np.int64), len(rows))
        buckets = (np.repeat(keys, sizes) << group) | np.repeat(sub, counts.ravel())
    else:
        buckets = np.repeat(keys, sizes)
    entries = raw.view("<u4").astype(np.uint32)
    terms = (buckets.astype(np.uint32) << np.uint32(32 - level)) | (entries >> np.uint32(level))
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


def row_range(level: int, term_slice: int, slice_bits: int) -> tuple[int, int]:
    """Row keys ``[low, high)`` of a level-``level`` segment that hold the terms of slice
    ``term_slice`` of the term space cut into ``2**slice_bits`` slices (``slice_bits <=
    level - row_bits(level)``)."""
    shift = level - row_bits(level) - slice_bits
    return term_slice << shift, (term_slice + 1) << shift


def merge_slices(target: Segment, sources: list[Segment]) -> Iterator[tuple[int, int]]:
    """``(slice, slice_bits)`` for merging ``sources`` into ``target`` a term slice at a time,
    each slice about ``MERGE_SLICE_ROWS`` target buckets (and never finer than a source
    row)."""
    finest = min(s.level - row_bits(s.level) for s in sources)
    slice_bits = max(0, min(finest, target.level - MERGE_SLICE_ROWS.bit_length() + 1))
    for term_slice in range(1 << slice_bits):
        yield term_slice, slice_bits


def row_keys_of(level: int, wanted: np.ndarray) -> list[int]:
    """The row keys of a level-``level`` segment whose rows may hold the ``wanted`` terms."""
    shift = np.uint32(32 - level + row_bits(level))
    return np.unique(np.asarray(wanted, dtype=np.uint32) >> shift).tolist()
