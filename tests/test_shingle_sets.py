"""ShingleSets: the disk-backed sequence of shingle sets a scan keeps instead of arrays."""

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dupdetect.arrays import RowBuffer, RunBuffer
from dupdetect.shingle_sets import MemorySets, ShingleSets

sets_strategy = st.lists(arrays(np.uint64, st.integers(0, 300)), max_size=30)


@pytest.mark.parametrize("kind", [ShingleSets, MemorySets])
@given(sets=sets_strategy, data=st.data())
def test_reads_back_what_was_appended_replaced_and_reordered(kind, sets, data):
    store = kind()
    try:
        for s in sets:
            store.append(s)
        expected = list(sets)
        for _ in range(data.draw(st.integers(0, 5))):
            if not expected:
                break
            at = data.draw(st.integers(0, len(expected) - 1))
            new = data.draw(arrays(np.uint64, st.integers(0, 50)))
            store[at] = new
            expected[at] = new
        order = data.draw(st.permutations(range(len(expected))))
        store.reorder(order)
        expected = [expected[i] for i in order]
        assert len(store) == len(expected)
        assert store.sizes.tolist() == [s.size for s in expected]
        for got, want in zip(store, expected, strict=True):
            assert got.dtype == np.uint64 and np.array_equal(got, want)
    finally:
        store.close()


def test_large_appends_are_flushed_and_read_back(tmp_path):
    rng = np.random.default_rng(1)
    sets = [rng.integers(0, 2**63, size=n, dtype=np.uint64) for n in (0, 1, 700_000, 5)]
    store = ShingleSets.of(sets, directory=str(tmp_path))
    assert store.bytes_on_disk == 8 * sum(s.size for s in sets)
    assert all(np.array_equal(store[i], s) for i, s in enumerate(sets))
    assert np.array_equal(store[-1], sets[-1])
    assert [a.size for a in store[1:3]] == [1, 700_000]
    store.close()
    assert list(tmp_path.iterdir()) == []  # an anonymous file: nothing left behind


def test_out_of_range_positions_raise():
    store = ShingleSets.of([np.arange(3, dtype=np.uint64)])
    with pytest.raises(IndexError):
        store[1]
    with pytest.raises(IndexError):
        store.reorder([0, 1])
    store.close()


def test_sets_read_back_are_read_only():
    store = ShingleSets.of([np.arange(3, dtype=np.uint64)])
    with pytest.raises(ValueError):
        store[0][0] = 7
    store.close()


@given(st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=20), max_size=200), st.data())
def test_row_and_run_buffers_keep_what_was_appended(runs, data):
    rows, buffer = RowBuffer(2, np.uint64), RunBuffer(np.uint32)
    for run in runs:
        rows.append(np.array([len(run), 7], dtype=np.uint64))
        buffer.append(np.array(run, dtype=np.uint32))
    order = np.array(data.draw(st.permutations(range(len(runs)))), dtype=np.int64)
    taken = rows.take(order)
    assert taken[order, 0].tolist() == [len(r) for r in runs]
    assert buffer.counts == [len(r) for r in runs]
    assert buffer.take_values().tolist() == [v for r in runs for v in r]


def test_buffers_span_many_blocks(monkeypatch):
    import dupdetect.arrays as arrays_module

    monkeypatch.setattr(arrays_module, "BLOCK_VALUES", 8)
    rows, buffer = RowBuffer(3, np.int64), RunBuffer(np.int64)
    runs = [np.arange(n, dtype=np.int64) + 100 * n for n in range(30)]
    for n, run in enumerate(runs):
        rows.append(np.array([n, n, n]))
        buffer.append(run)
    assert rows.take(np.arange(30))[:, 0].tolist() == list(range(30))
    assert buffer.take_values().tolist() == np.concatenate(runs).tolist()


def test_prefetch_changes_nothing_read():
    sets = [np.arange(n, dtype=np.uint64) for n in (5, 0, 9)]
    store = ShingleSets.of(sets)
    store.prefetch([2, 0, 1, 2])
    assert all(np.array_equal(store[i], s) for i, s in enumerate(sets))
    store.close()


def test_announced_reads_skip_what_cannot_be_opened(tmp_path):
    from dupdetect.load import InputFile, announce_reads
    from dupdetect.models import Skipped

    (tmp_path / "a.txt").write_text("T\\n\\nbody")
    announce_reads(
        [
            InputFile(tmp_path / "a.txt", "a.txt"),
            InputFile(tmp_path / "gone.txt", "gone.txt"),
            Skipped("x", "hidden"),
        ]
    )


@pytest.mark.parametrize("kind", [ShingleSets, MemorySets])
@given(sets=st.lists(arrays(np.uint64, st.integers(0, 40)), max_size=20), before=st.integers(0, 5))
def test_extend_equals_appending_one_by_one(kind, sets, before):
    one_by_one, bulk = kind(), kind()
    for _ in range(before):
        one_by_one.append(np.arange(3, dtype=np.uint64))
        bulk.append(np.arange(3, dtype=np.uint64))
    for s in sets:
        one_by_one.append(s)
    values = np.concatenate(sets) if sets else np.empty(0, dtype=np.uint64)
    bulk.extend(values, np.array([s.size for s in sets], dtype=np.int64))
    assert len(bulk) == len(one_by_one)
    assert all(np.array_equal(a, b) for a, b in zip(bulk, one_by_one, strict=True))
    one_by_one.close()
    bulk.close()


def test_a_full_disk_is_one_clear_error(tmp_path, monkeypatch, invoke):
    import errno

    import dupdetect.shingle_sets as module
    from dupdetect.errors import ScratchSpaceError

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module.os, "pwrite", full)
    store = ShingleSets(directory=str(tmp_path))
    store.append(np.arange(3, dtype=np.uint64))
    with pytest.raises(ScratchSpaceError, match="No space left on device"):
        store[0]
    store.close()
    (tmp_path / "a.txt").write_text("Title\n\none two three four five six seven eight")
    result = invoke(["scan", tmp_path, "-j", "1"], exit_code=2)
    assert "No space left on device" in result.stderr and "TMPDIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_temporary_folder_is_one_clear_error(tmp_path):
    from dupdetect.errors import ScratchSpaceError

    with pytest.raises(ScratchSpaceError, match="cannot create the temporary file"):
        ShingleSets(directory=str(tmp_path / "missing"))


def _spilled_into(store, sets):
    """Spill ``sets`` as a worker does, and have ``store`` adopt them."""
    from dupdetect.shingle_sets import spill, spill_starts

    counts = np.array([s.size for s in sets], dtype=np.int64)
    spilled = spill(store.spill_folder, sets)
    store.extend_spilled_at(spilled, spill_starts(spilled.offset, counts), counts)


@given(
    runs=st.lists(st.lists(arrays(np.uint64, st.integers(0, 40)), max_size=6), max_size=5),
    own=st.lists(arrays(np.uint64, st.integers(0, 40)), max_size=4),
    data=st.data(),
)
def test_spilled_sets_read_back_with_the_stores_own(runs, own, data):
    store, expected = ShingleSets(), []
    try:
        for run, mine in zip(runs, own + [None] * len(runs), strict=False):
            _spilled_into(store, run)
            expected += run
            if mine is not None:
                store.append(mine)
                expected.append(mine)
        if expected:  # a replaced set goes to the store's own file
            at = data.draw(st.integers(0, len(expected) - 1))
            store[at] = expected[at] = np.arange(7, dtype=np.uint64)
        order = data.draw(st.permutations(range(len(expected))))
        store.reorder(order)
        expected = [expected[i] for i in order]
        assert [a.tolist() for a in store] == [a.tolist() for a in expected]
    finally:
        folder = store.spill_folder
        store.close()
    assert not os.path.exists(folder)  # the spill folder goes with the store


@pytest.mark.parametrize("use_c", [True, False])
@given(
    sets=st.lists(
        arrays(np.uint64, st.integers(0, 60), elements=st.integers(0, 80)), min_size=1, max_size=12
    ),
    data=st.data(),
)
def test_overlaps_count_what_each_pair_shares(use_c, sets, data):
    import dupdetect.shingle_sets as module

    sets = [np.unique(s) for s in sets]  # shingle sets are sorted and unique
    n = len(sets)
    pairs = np.array(
        sorted(
            data.draw(
                st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30)
            )
        ),
        dtype=np.int64,
    ).reshape(-1, 2)
    saved = module._c_overlaps_at
    if not use_c:
        module._c_overlaps_at = None
    store = ShingleSets()
    try:
        half = n // 2
        for s in sets[:half]:
            store.append(s)
        _spilled_into(store, sets[half:])
        got = store.overlaps(pairs)
    finally:
        module._c_overlaps_at = saved
        store.close()
    want = [np.intersect1d(sets[a], sets[b]).size for a, b in pairs.tolist()]
    assert got.tolist() == want


def test_overlaps_reject_positions_out_of_range_and_short_files():
    store = ShingleSets.of([np.arange(3, dtype=np.uint64)])
    with pytest.raises(IndexError):
        store.overlaps(np.array([[0, 1]]))
    store._sizes[0] = 1000  # claims more than the file holds
    with pytest.raises(OSError, match="shingle store"):
        store.overlaps(np.array([[0, 0]]))
    store.close()


def test_overlaps_split_among_threads_count_the_same(monkeypatch):
    import dupdetect.shingle_sets as module

    rng = np.random.default_rng(3)
    sets = [np.unique(rng.integers(0, 200, size=int(n))) for n in rng.integers(0, 120, size=40)]
    pairs = np.array(sorted(rng.integers(0, 40, size=(300, 2)).tolist()), dtype=np.int64)
    store = ShingleSets.of(sets)
    try:
        one = store.overlaps(pairs)
        monkeypatch.setattr(module, "_PAIRS_PER_THREAD", 7)
        assert np.array_equal(store.overlaps(pairs, threads=3), one)
    finally:
        store.close()
    assert one.tolist() == [np.intersect1d(sets[a], sets[b]).size for a, b in pairs.tolist()]


def test_a_short_pwritev_is_finished_buffer_by_buffer(monkeypatch):
    import dupdetect.shingle_sets as module

    real = module.os.pwritev
    monkeypatch.setattr(module.os, "pwritev", lambda fd, views, at: real(fd, views[:1], at) - 3)
    sets = [np.arange(n, dtype=np.uint64) * 7 for n in (5, 0, 9, 2)]
    store = ShingleSets()
    try:
        _spilled_into(store, sets)
        _spilled_into(store, sets[::-1])
        assert [a.tolist() for a in store] == [a.tolist() for a in sets + sets[::-1]]
    finally:
        store.close()


def test_a_full_disk_in_a_worker_is_one_clear_error(tmp_path, monkeypatch, invoke):
    import errno
    import tempfile

    import dupdetect.shingle_sets as module

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(module.os, "pwritev", full)  # the forked workers inherit it
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"{i}.txt").write_text(f"Title {i}\n\none two three four five six seven {i}")
    result = invoke(["scan", docs, "-j", "2"], exit_code=2)
    assert "No space left on device" in result.stderr and "TMPDIR" in result.stderr
    assert f"shingle sets in {scratch}:" in result.stderr  # the folder TMPDIR names
    assert "Traceback" not in result.stderr
    assert list(scratch.iterdir()) == []  # the spill folder is gone all the same
