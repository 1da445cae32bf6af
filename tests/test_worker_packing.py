"""Band keys and containment samples computed a chunk at a time equal the per-band and
per-document definitions; reading ahead never changes what the pool hands back."""

from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dupdetect import ScanConfig, workers
from dupdetect.hashing import combine_columns
from dupdetect.index import (
    band_keys,
    containment_samples,
    packed_containment_samples,
    packed_containment_samples_numpy,
)
from dupdetect.workers import DocumentInfo, PackedChunk, ReadAhead, Shingled, shingle_inputs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@given(
    arrays(
        np.uint32,
        st.tuples(st.integers(0, 6), st.integers(1, 40)),
        elements=st.integers(0, 2**32 - 1),
    ),
    st.integers(1, 12),
)
def test_band_keys_are_each_bands_combined_columns(signatures, rows):
    bands = max(1, signatures.shape[1] // rows)
    rows = min(rows, signatures.shape[1])
    keys = band_keys(signatures, bands, rows)
    assert keys.shape == (signatures.shape[0], bands) and keys.dtype == np.uint64
    for band in range(bands):
        expected = combine_columns(signatures[:, band * rows : (band + 1) * rows])
        assert np.array_equal(keys[:, band], expected)


@given(
    st.lists(arrays(np.uint64, st.integers(0, 40), elements=st.integers(0, 2**64 - 1)), max_size=6),
    st.sampled_from([1, 3, 4, 8]),
    st.integers(0, 30),
)
def test_packed_samples_are_each_sets_samples(sets, sample_mod, min_shingles):
    sizes = np.array([s.size for s in sets], dtype=np.int64)
    packed = np.concatenate(sets) if sets else np.empty(0, dtype=np.uint64)
    each = [containment_samples(s, sample_mod, min_shingles) for s in sets]
    for samples, counts in (
        packed_containment_samples(sets, sample_mod, min_shingles),  # C (power-of-two mods)
        packed_containment_samples_numpy(packed, sizes, sample_mod, min_shingles),
    ):
        assert counts.tolist() == [s.size for s in each]
        assert samples.dtype == np.uint32 and counts.dtype == np.int64
        assert samples.tolist() == [v for s in each for v in s.tolist()]


def test_with_arrays_is_replace():
    info = DocumentInfo("a", "a.txt", "T", "", "", "", 3, "AP")
    doc = Shingled(info, 4, np.arange(3, dtype=np.uint64), words=b"w")
    keys, samples = np.arange(2, dtype=np.uint64), np.arange(1, dtype=np.uint32)
    assert doc.with_arrays(None) == replace(doc, shingles=None)
    made = doc.with_arrays(doc.shingles, keys, samples)
    assert made == replace(doc, band_keys=keys, samples=samples)


def _growing():
    """A read-ahead asked before each chunk: one chunk at first, then fifty."""
    asked = iter(range(1_000_000))
    return lambda: ReadAhead(chunks=1 if next(asked) < 3 else 50)


@pytest.mark.parametrize(
    "ahead",
    [ReadAhead(chunks=1), ReadAhead(chunks=50, max_documents=1), ReadAhead(chunks=50), "growing"],
)
def test_read_ahead_never_changes_what_comes_out(ahead):
    """However far the pool reads ahead (one chunk, a document bound always exceeded, many
    chunks, a bound that changes on the way), the items come out complete and in walk
    order."""
    ahead = _growing() if ahead == "growing" else ahead
    config = ScanConfig(jobs=2)
    paths = [FIXTURES / "articles", FIXTURES / "formats"]
    expected = [_summary(item) for item in shingle_inputs(paths, config)]
    assert [_summary(item) for item in shingle_inputs(paths, config, ahead)] == expected
    assert len(expected) > 40


def _summary(item):
    if isinstance(item, Shingled):
        return (item.info.id, None if item.shingles is None else item.shingles.tobytes())
    return repr(item)


def test_pending_counts_the_finished_documents_at_the_front_once():
    """What the read-ahead bound sees: documents of the finished chunks at the front of the
    queue, less each chunk as it is consumed; a failed chunk counts none and raises on pop."""
    tasks = [Future() for _ in range(4)]
    pending = workers._Pending()
    for task in tasks:
        pending.push(task)
    assert pending.finished_documents() == 0
    tasks[1].set_result(SimpleNamespace(shingle_counts=np.zeros(7)))
    assert pending.finished_documents() == 0  # the front one is not finished yet
    tasks[0].set_result(SimpleNamespace(shingle_counts=np.zeros(3)))
    tasks[2].set_exception(RuntimeError("worker failed"))
    assert pending.finished_documents() == 10
    assert pending.pop().shingle_counts.size == 3
    assert pending.finished_documents() == 7
    assert pending.pop().shingle_counts.size == 7 and len(pending) == 2
    with pytest.raises(RuntimeError, match="worker failed"):
        pending.pop()
    tasks[3].set_result(SimpleNamespace(shingle_counts=np.zeros(5)))
    assert pending.finished_documents() == 5


def test_documents_cross_processes_whole():
    """What a worker sends back pickles to equal objects (their own, field by field,
    ``__reduce__``: arrays, words, hashes and an index encoder's parts included)."""
    import pickle

    from dupdetect.store.lookup import Encoded

    info = DocumentInfo("a", "a.txt", "T", "s", "u", "2026-11-27", 12, "AP")
    encoded = Encoded(b"rec", "ab" * 16, np.array([3, 1, 2], dtype=np.uint32))
    doc = Shingled(
        info,
        4,
        np.array([1, 2], dtype=np.uint64),
        np.array([5], dtype=np.uint64),
        np.array([7], dtype=np.uint32),
        b"x\0y",
        np.array([9, 8], dtype=np.uint64),
        encoded,
    )
    back = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.info == info and back.line == 4 and back.words == b"x\0y"
    for name in ("shingles", "band_keys", "samples", "word_hashes"):
        assert np.array_equal(getattr(back, name), getattr(doc, name))
    assert (back.encoded.record, back.encoded.content_hash) == (b"rec", "ab" * 16)
    assert back.encoded.sample_terms.tolist() == [3, 1, 2]
    assert back.encoded.sample_terms.dtype == np.uint32
    assert pickle.loads(pickle.dumps(Shingled(info, None, None))) == Shingled(info, None, None)


@pytest.mark.parametrize("with_extras", [False, True])
def test_packed_chunks_cross_processes_with_their_items_in_order(with_extras):
    """A chunk's metadata travels as columns; what arrives gives the same items, in the same
    order (Skipped and Notice items where they were), with the same arrays."""
    import pickle

    from dupdetect.models import Notice, Skipped

    def doc(name: str, size: int) -> Shingled:
        info = DocumentInfo(name, f"{name}.txt", name.upper(), "src", "", "", size, "")
        shingles = np.arange(size, dtype=np.uint64) * 7 + 1 if size else None
        words = (name.encode(), np.array([size], dtype=np.uint64)) if with_extras else ()
        return Shingled(info, None, shingles, None, None, *words)

    items = [
        Skipped("s.bin", "binary file"),
        doc("a", 40),
        Notice("b.txt", "decoded as Windows-1252"),
        doc("b", 30),
        doc("empty", 0),
        Skipped("t.bin", "binary file"),
        Skipped("u.bin", "binary file"),
        doc("c", 50),
        Notice("z.txt", "odd"),
    ]
    packed = PackedChunk.pack(items, ScanConfig())
    back = pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.infos == packed.infos and back.others == packed.others
    for original, arrived in zip(items, back.unpack(), strict=True):
        if not isinstance(original, Shingled):
            assert arrived == original
            continue
        assert (arrived.info, arrived.line) == (original.info, original.line)
        assert arrived.words == original.words
        if original.shingles is None:
            assert arrived.shingles is None
        else:
            assert arrived.shingles.tolist() == original.shingles.tolist()
    empty = pickle.loads(pickle.dumps(PackedChunk.pack([Skipped("x", "y")], ScanConfig())))
    assert empty.items == [Skipped("x", "y")]
