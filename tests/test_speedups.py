"""The C loops (dupdetect/_speedups.c) compute exactly what the numpy reference code does."""

import os

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
    with pytest.raises(ValueError):
        speedups.minhash(b"", b"\x00" * 4, b"\x00" * 4)
    with pytest.raises(ValueError):
        speedups.minhash(b"\x00" * 8, b"\x00" * 4, b"\x00" * 8)
    with pytest.raises(ValueError):
        speedups.overlap(b"\x00" * 8, b"\x00" * 3)


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
