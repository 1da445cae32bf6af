"""The segment layout of the SQLite index's lookup entries (``store/segments.py``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect.store import segments
from dupdetect.store.segments import Segment, due_merge, pack_rows, unpack_rows

entries = st.integers(min_value=1, max_value=31).flatmap(
    lambda level: st.tuples(
        st.just(level),
        st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**31 - 1)), max_size=200),
    )
)


@settings(deadline=None)
@given(entries)
def test_rows_give_back_every_entry(case):
    level, pairs = case
    terms = np.array([t for t, _ in pairs], dtype=np.uint32)
    handles = np.array([h for _, h in pairs], dtype=np.int64)
    rows = pack_rows(level, terms, handles)
    assert [r[:2] for r in rows] == sorted({r[:2] for r in rows})  # one row a key, in order
    got_terms, got_handles = unpack_rows(level, rows)
    assert sorted(zip(got_terms.tolist(), got_handles.tolist(), strict=True)) == sorted(pairs)
    key_shift = np.uint32(32 - level + segments.row_bits(level))
    for start, key, data in rows:  # each row holds only its segment's and key's entries
        t, h = unpack_rows(level, [(start, key, data)])
        assert set((h >> level).tolist()) == {start}
        assert set((t >> key_shift).tolist()) == {key}
        buckets = (t >> np.uint32(32 - level)).tolist()
        assert buckets == sorted(buckets)  # a row's buckets in order, entries after the header


@settings(deadline=None)
@given(entries)
def test_a_merge_slice_reads_exactly_its_terms(case):
    """Reading every slice of every source segment gives each entry once, in the slice its
    term belongs to (what ``SQLiteStore._merge`` relies on)."""
    level, pairs = case
    terms = np.array([t for t, _ in pairs], dtype=np.uint32)
    handles = np.array([h for _, h in pairs], dtype=np.int64)
    rows = pack_rows(level, terms, handles)
    target = Segment(min(level + 3, 31), 0)
    key_bits = level - segments.row_bits(level)
    for slice_bits in {0, min(key_bits, 2), min(key_bits, 5)}:
        seen = []
        for term_slice in range(1 << slice_bits):
            low, high = segments.row_range(level, term_slice, slice_bits)
            picked = [r for r in rows if low <= r[1] < high]
            t, h = unpack_rows(level, picked)
            assert set((t.astype(np.int64) >> (32 - slice_bits)).tolist()) <= {term_slice}
            seen += zip(t.tolist(), h.tolist(), strict=True)
        assert sorted(seen) == sorted(pairs)
    sliced = segments.merge_slices(target, [Segment(level, 0)])
    assert all(bits <= key_bits for _, bits in sliced)


@settings(deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=12), st.integers(1, 4))
def test_merging_keeps_few_disjoint_segments_covering_every_handle(batches, first_level):
    """Handles given out batch by batch, first-level segments registered, due merges done:
    segments never overlap, cover every handle, and complete ranges are one segment each."""
    present: set[Segment] = set()
    next_handle = 1
    for size in batches:
        handles = np.arange(next_handle, next_handle + size)
        present |= {Segment(first_level, s) for s in np.unique(handles >> first_level).tolist()}
        next_handle += size
        while (due := due_merge(present, next_handle)) is not None:
            target, sources = due
            assert all(target.contains(s) for s in sources) and sources
            present = (present - set(sources)) | {target}
    ordered = sorted(present, key=lambda s: s.first)  # adjacent ranges from 0 past the last
    assert ordered[0].first == 0 and ordered[-1].end >= next_handle
    assert all(a.end == b.first for a, b in zip(ordered, ordered[1:], strict=False))
    complete = [s for s in present if s.end <= next_handle]
    assert len(complete) <= (next_handle >> first_level).bit_count() + 1


def test_a_carry_is_written_straight_to_the_highest_complete_range():
    """Handle 16,384 completes a level-13 and a level-14 range at once: the segments inside
    merge into the level-14 one directly, no level-13 segment is written on the way."""
    present = [Segment(13, 0), Segment(12, 2), Segment(12, 3)]
    assert due_merge(present, next_handle=3 << 12) is None
    assert due_merge(present, next_handle=1 << 14) == (Segment(14, 0), sorted(present))
    below_top = [Segment(14, 0), Segment(12, 4), Segment(12, 5)]
    assert due_merge(below_top, next_handle=6 << 12) == (
        Segment(13, 2),
        [Segment(12, 4), Segment(12, 5)],
    )


@given(st.lists(st.integers(0, (1 << 40) - 1), max_size=300), st.sampled_from([8, 16, 17, 32, 41]))
def test_row_order_is_a_stable_argsort(values, bits):
    """The radix shortcut orders keys of every width exactly as a stable argsort does."""
    keys = np.array(values, dtype=np.int64) & ((1 << bits) - 1)
    assert np.array_equal(segments._stable_order(keys), np.argsort(keys, kind="stable"))
