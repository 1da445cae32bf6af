"""The C loops (dupdetect/_speedups.c) compute exactly what the numpy reference code does."""

import os
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dupdetect import shingle
from dupdetect.sign import Signer
from dupdetect.store import records
from dupdetect.verify import overlap_numpy

speedups = (
    pytest.importorskip("dupdetect._speedups")
    if not os.environ.get("DUPDETECT_REQUIRE_SPEEDUPS")
    else __import__("dupdetect._speedups", fromlist=["_speedups"])
)

word_buffers = arrays(np.uint8, st.integers(0, 400), elements=st.sampled_from([0, 0, 97, 98, 200]))
hash_arrays = arrays(np.uint64, st.integers(0, 300), elements=st.integers(0, 2**64 - 1))


@given(word_buffers)
def test_word_hashes_match_numpy(data):
    fast = np.frombuffer(speedups.hash_words(data), dtype=np.uint64)
    assert np.array_equal(fast, shingle.hash_word_bytes_numpy(data))


@given(hash_arrays, st.integers(1, shingle.MAX_SHINGLE_SIZE))
def test_shingles_match_numpy(hashes, size):
    fast = np.frombuffer(speedups.shingle(hashes, size), dtype=np.uint64)
    assert np.array_equal(fast, shingle.shingle_hashes_numpy(hashes, size))


SIGNER = Signer(num_perm=64, seed=3)


@given(
    st.lists(
        arrays(np.uint64, st.integers(1, 200), elements=st.integers(0, 2**64 - 1), unique=True),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, SIGNER.num_perm),
)
def test_signatures_match_numpy(sets, perms):
    signer = SIGNER
    sets = [np.sort(s) for s in sets]
    full = signer.sign_numpy(sets)
    assert np.array_equal(signer.sign(sets), full)
    assert np.array_equal(signer.sign(sets, perms), full[:, :perms])  # blocks of 8 and a rest


@given(hash_arrays, hash_arrays)
def test_overlap_matches_numpy(a, b):
    a, b = np.unique(a), np.unique(np.concatenate([b, a[: a.size // 2]]))
    assert speedups.overlap(a, b) == overlap_numpy(a, b) == speedups.overlap(b, a)


def test_bad_arguments_raise_not_crash():
    with pytest.raises(ValueError):
        speedups.shingle(b"\x00" * 7, 5)
    with pytest.raises(ValueError):
        speedups.shingle(b"", 9)
    out = bytearray(4)
    with pytest.raises(ValueError):
        speedups.minhash_into([b""], b"\x00" * 4, b"\x00" * 4, out)
    with pytest.raises(ValueError):
        speedups.minhash_into([b"\x00" * 8], b"\x00" * 4, b"\x00" * 8, out)
    with pytest.raises(ValueError):
        speedups.minhash_into([b"\x00" * 8], b"\x00" * 4, b"\x00" * 4, bytearray(8))
    with pytest.raises(ValueError):
        speedups.minhash_into([b"\x00" * 7], b"\x00" * 4, b"\x00" * 4, out)
    with pytest.raises(ValueError):
        speedups.overlap(b"\x00" * 8, b"\x00" * 3)
    with pytest.raises(ValueError, match="packed_samples"):
        speedups.packed_samples([b"\x00" * 8, b"\x00" * 7], 0, 0)
    with pytest.raises(ValueError, match="merge_counts"):
        speedups.merge_counts([b"\x00" * 8, b"\x00" * 9], 2)


def test_large_text_sorts_like_numpy():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, size=50_000, dtype=np.uint64)
    hashes[::7] = hashes[0]  # many repeats: unique must drop them
    fast = np.frombuffer(speedups.shingle(hashes, 1), dtype=np.uint64)
    assert np.array_equal(fast, shingle.shingle_hashes_numpy(hashes, 1))


needle_bytes = st.binary(min_size=1, max_size=4).map(lambda b: bytes(c % 4 + 97 for c in b))


@given(
    st.binary(max_size=60).map(lambda b: bytes(c % 5 + 97 for c in b)),
    st.lists(needle_bytes, max_size=5).map(tuple),
    st.integers(0, 70),
)
def test_find_any_matches_python(haystack, needles, start):
    from dupdetect.wire import find_any_python

    assert speedups.find_any(haystack, needles, start) == find_any_python(haystack, needles, start)


def test_find_any_rejects_empty_needles():
    with pytest.raises(ValueError):
        speedups.find_any(b"abc", (b"",), 0)
    with pytest.raises(TypeError):
        speedups.find_any(b"abc", [b"a"], 0)


def test_long_words_hash_like_numpy():
    # Words longer than the C loop's table of powers (64 bytes) continue the polynomial.
    data = np.frombuffer(b"a" * 63 + b"\x00" + b"bc" * 40 + b"\x00\x00" + b"d" * 300, np.uint8)
    fast = np.frombuffer(speedups.hash_words(data), dtype=np.uint64)
    assert np.array_equal(fast, shingle.hash_word_bytes_numpy(data))


@given(arrays(np.uint64, st.integers(0, 300), elements=st.integers(0, 2**64 - 1)))
def test_varints_match_numpy(values):
    assert speedups.varints(values) == records.encode_varints_numpy(values)
    assert np.array_equal(records.decode_varints(speedups.varints(values)), values)


@given(
    st.lists(st.integers(0, 2**64 - 1), unique=True, max_size=300),
    st.lists(st.integers(0, 2**64 - 1), max_size=200),
    st.integers(0, 6),
)
def test_vocabulary_codes_match_numpy(vocabulary, others, low_bits):
    """Codes of words in and out of a vocabulary, with many hashes sharing a table slot
    (only ``low_bits`` low bits vary)."""
    squeeze = np.uint64(((2**64 - 1) ^ ((1 << 16) - 1)) | ((1 << low_bits) - 1))
    vocab = np.unique(np.array(vocabulary, dtype=np.uint64) & squeeze)
    codec = records.Codec(1, vocab)
    words = np.concatenate([vocab[::-1], np.array(others, dtype=np.uint64) & squeeze])
    assert np.array_equal(codec.codes(words), codec.codes_numpy(words))


@given(word_buffers, st.data())
def test_word_spans_match_numpy(data, draw):
    """Spans of any ascending selection of a buffer's words (repeats allowed)."""
    words = int(np.frombuffer(speedups.hash_words(data), dtype=np.uint64).size)
    picked = np.array(
        sorted(draw.draw(st.lists(st.integers(0, max(words - 1, 0)), max_size=30 if words else 0))),
        dtype=np.int64,
    )
    fast = np.frombuffer(speedups.word_spans(data.tobytes(), picked), dtype=np.int64)
    spans = list(zip(fast[0::2].tolist(), fast[1::2].tolist(), strict=True))
    assert spans == records._word_spans_numpy(data.tobytes(), picked)
    with pytest.raises(ValueError):
        speedups.word_spans(data.tobytes(), np.array([words], dtype=np.int64))


def test_packed_samples_reject_what_is_not_uint64_sets():
    with pytest.raises(ValueError, match="multiple of 8"):
        speedups.packed_samples([b"\x00" * 12], 7, 0)
    with pytest.raises(TypeError):
        speedups.packed_samples(5, 7, 0)


# The containment loops (index._shared_samples_c) against numpy on small runs of samples: few
# distinct values so that runs of equal samples form, spread over the 16 slices of 2**28.
containment_values = st.sampled_from([0, 3, 2**28, 2**28 + 3, 2**31 + 1, 2**32 - 1])


@st.composite
def sample_columns(draw):
    """(values, counts, owners) of up to 20 runs, some dropped (owner -1), some rows
    owning two runs."""
    runs = draw(st.integers(0, 20))
    counts = draw(st.lists(st.integers(0, 12), min_size=runs, max_size=runs))
    values = draw(st.lists(containment_values, min_size=sum(counts), max_size=sum(counts)))
    owners = draw(st.lists(st.integers(-1, 9), min_size=runs, max_size=runs))
    return np.array(values, np.uint32), np.array(counts, np.int64), np.array(owners, np.int64)


def _kept_samples(values, counts, owners):
    """The values of the runs not dropped, and their owners."""
    owner_of = np.repeat(owners, counts)
    kept = owner_of >= 0
    return values[kept], owner_of[kept]


@given(sample_columns(), st.sampled_from([24, 28, 31, 32]))
def test_sample_slice_sizes_match_numpy(columns, shift):
    values, owners = _kept_samples(*columns)
    sizes = np.frombuffer(speedups.sample_slice_sizes(*columns, shift), np.int64)
    expected = np.bincount(values.astype(np.int64) >> shift, minlength=1 << 32 - shift)
    assert np.array_equal(sizes, expected)


@given(sample_columns(), st.sampled_from([(28, 0), (28, 15), (31, 1), (32, 0)]), st.integers(4, 6))
def test_slice_keys_match_numpy(columns, slice_at, owner_bits):
    shift, part = slice_at
    values, owners = _kept_samples(*columns)
    values = values.astype(np.uint64)
    picked = (values >> np.uint64(shift)) == part
    low = values[picked] & np.uint64((1 << shift) - 1)
    expected = low << np.uint64(owner_bits) | owners[picked].astype(np.uint64)
    out = np.full(expected.size + 3, 7, np.uint64)
    assert speedups.slice_keys(*columns, part, shift, owner_bits, out) == expected.size
    assert np.array_equal(out[: expected.size], expected)
    assert (out[expected.size :] == 7).all()
    if expected.size:  # too little room: the count still, nothing written past the end
        short = np.zeros(expected.size, np.uint64)
        assert speedups.slice_keys(*columns, part, shift, owner_bits, short[:-1]) == expected.size
        assert np.array_equal(short[:-1], expected[:-1]) and short[-1] == 0


def test_containment_loops_reject_inconsistent_runs():
    values, counts, owners = np.zeros(3, np.uint32), np.array([2], np.int64), np.array([0])
    with pytest.raises(ValueError, match="do not cover"):
        speedups.sample_slice_sizes(values, counts, owners, 28)
    with pytest.raises(ValueError, match="do not cover"):
        speedups.slice_keys(values, counts, owners, 0, 28, 4, np.zeros(4, np.uint64))
    with pytest.raises(ValueError, match="do not cover"):
        speedups.sample_slice_sizes(values, np.array([1, 2]), owners, 28)
    with pytest.raises(ValueError, match="part"):
        speedups.slice_keys(values, np.array([3]), owners, 16, 28, 4, np.zeros(4, np.uint64))
    with pytest.raises(ValueError, match="shift"):
        speedups.sample_slice_sizes(values, np.array([3]), owners, 20)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 9)), max_size=60),
    st.integers(1, 6),
    st.integers(1, 12),
)
def test_slice_pair_codes_match_numpy(samples, every_limit, max_bucket):
    from dupdetect import index

    owner_bits, count = 4, 10
    keys = np.sort(np.array([s << owner_bits | o for s, o in samples], np.uint64))
    codes, oversized, largest = speedups.slice_pair_codes(
        keys, owner_bits, count, every_limit, max_bucket
    )
    runs = index._shared_runs(keys >> np.uint64(owner_bits))
    owner = keys & np.uint64(2**owner_bits - 1)
    with mock.patch.object(index, "STAR_BUCKET", every_limit):
        expected = index._pair_codes(runs, owner, count, max_bucket)
    assert np.array_equal(np.sort(np.frombuffer(codes, np.int64)), np.sort(expected))
    assert oversized == int((runs.sizes > max_bucket).sum())
    assert largest == (runs.largest if keys.size else 0)
    assert isinstance(codes, bytearray)  # writable: sorted in place


@given(
    st.lists(st.lists(st.integers(-3, 40), max_size=30).map(sorted), max_size=6),
    st.integers(1, 3),
)
def test_merge_counts_match_numpy(lists, min_shared):
    from dupdetect import index

    arrays_in = [np.array(values, np.int64) for values in lists]
    codes, shared = speedups.merge_counts(arrays_in, min_shared)
    values, times = index._sum_counts([index._count_equal(a) for a in arrays_in])
    kept = times >= min_shared
    assert np.array_equal(np.frombuffer(codes, np.int64), values[kept])
    assert np.array_equal(np.frombuffer(shared, np.int64), times[kept])


dense_sets = arrays(np.uint64, st.integers(0, 120), elements=st.integers(0, 150)).map(np.unique)


@given(st.one_of(st.tuples(hash_arrays, hash_arrays), st.tuples(dense_sets, dense_sets)))
def test_overlap_by_blocks_matches_numpy(sets):
    """Four values at a time (AVX2 where there is) counts what a merge walk counts: sets
    from a small range share whole blocks, ends and block maxima."""
    a, b = np.unique(sets[0]), np.unique(np.concatenate([sets[1], sets[0][::3]]))
    assert speedups.overlap(a, b) == overlap_numpy(a, b) == speedups.overlap(b, a)
