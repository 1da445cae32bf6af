import contextlib
import itertools
from unittest import mock

import numpy as np
import pytest
from datasketch import MinHashLSH
from hypothesis import given
from hypothesis import strategies as st

from dupdetect.index import candidate_pairs, lsh_params
from dupdetect.shingle import shingles
from dupdetect.sign import Signer


def _corpus(seed=0, n_base=40):
    rng = np.random.default_rng(seed)
    vocab = [f"v{i}" for i in range(3000)]
    docs = []
    for _ in range(n_base):
        words = list(rng.choice(vocab, size=int(rng.integers(60, 200))))
        docs.append(words)
        if rng.random() < 0.5:  # a copy with some edits
            copy = list(words)
            for _ in range(int(rng.integers(1, 12))):
                copy[int(rng.integers(len(copy)))] = "edit"
            docs.append(copy)
    return [shingles(d, 5) for d in docs]


def test_same_candidates_as_datasketch_minhashlsh():
    sets = _corpus()
    signer = Signer(128, 1)
    signatures = signer.sign(sets)
    for threshold in (0.3, 0.5, 0.8):
        bands, rows = lsh_params(threshold, 128)
        ours = {tuple(p) for p in candidate_pairs(signatures, bands, rows).pairs.tolist()}
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        minhashes = [signer.to_minhash(row) for row in signatures]
        for i, m in enumerate(minhashes):
            lsh.insert(i, m)
        theirs = {
            (min(i, j), max(i, j)) for i, m in enumerate(minhashes) for j in lsh.query(m) if j != i
        }
        assert ours == theirs
        assert ours  # the planted copies are found


def test_oversized_bucket_is_paired_to_its_first_member_only():
    signatures = np.zeros((6, 16), dtype=np.uint32)  # six identical signatures
    result = candidate_pairs(signatures, bands=4, rows=4, max_bucket=3)
    assert result.pairs.tolist() == [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5]]
    assert result.oversized_buckets == 4
    assert result.largest_bucket == 6


def test_no_pairs_for_distinct_signatures():
    signatures = np.arange(64, dtype=np.uint32).reshape(4, 16)
    assert candidate_pairs(signatures, 4, 4).pairs.shape == (0, 2)


@pytest.mark.parametrize("num_perm", [16, 64, 100, 128, 256])
def test_band_and_row_choice_is_datasketchs(num_perm):
    for step in range(1, 40):
        threshold = step / 40
        lsh_params.cache_clear()
        try:
            ours = lsh_params(threshold, num_perm)
        except ValueError as exc:
            ours = str(exc)
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
            theirs = (lsh.b, lsh.r)
        except ValueError as exc:
            theirs = str(exc)
        assert ours == theirs, threshold


def test_scan_imports_no_scipy(tmp_path):
    # datasketch's import loads scipy (~1.3 s per process): signing and banding avoid it.
    import subprocess
    import sys

    (tmp_path / "a.txt").write_text("Title\n\n" + "one two three four five six seven " * 5)
    code = (
        "import sys; from dupdetect import scan, ScanConfig; "
        f"scan([{str(tmp_path)!r}], ScanConfig()); print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_oversized_bucket_is_reported_with_its_first_document(tmp_path):
    from dupdetect import ScanConfig, scan

    page = "Title\n\n" + " ".join(f"menu{i}" for i in range(60))
    for i in range(12):
        (tmp_path / f"p{i:02d}.txt").write_text(page)
    result = scan([tmp_path], ScanConfig(max_bucket=5, boilerplate_min_docs=0))
    warnings = [w for w in result.warnings if "LSH bucket" in w.message]
    assert [w.path for w in warnings] == ["p00.txt"]
    assert "'p00.txt' and 11 other documents" in warnings[0].message
    assert result.clusters[0].size == 12  # still one cluster: all were compared with p00


@contextlib.contextmanager
def counted_by(loops):
    """Containment candidates counted by the C loops (``"C"``) or the numpy reference."""
    from dupdetect import index

    if loops == "C" and index._speedups is None:
        pytest.skip("dupdetect._speedups is not built")
    with mock.patch.object(index, "_speedups", index._speedups if loops == "C" else None):
        yield


@pytest.fixture(params=["C", "numpy"])
def containment_loops(request):
    with counted_by(request.param):
        yield


@pytest.mark.parametrize("partitions", [1, 2, 16, 256])
def test_containment_candidates_do_not_depend_on_partitions(partitions, containment_loops):
    from dupdetect.index import SampleRuns, containment_samples, sampled_containment_candidates

    rng = np.random.default_rng(5)
    story = np.unique(rng.integers(0, 2**64 - 1, size=800, dtype=np.uint64))
    sets = [
        story,
        story[:120],
        story[300:500],
        np.unique(rng.integers(0, 2**64 - 1, 400, np.uint64)),
    ]
    picked = [containment_samples(s) for s in sets]
    runs = SampleRuns(
        np.concatenate(picked), np.array([p.size for p in picked]), np.arange(len(sets))
    )
    found = sampled_containment_candidates(runs, len(sets), partitions=partitions)
    assert found.pairs.tolist() == [[0, 1], [0, 2]]


def test_containment_candidates_of_nothing(containment_loops):
    from dupdetect.index import SampleRuns, sampled_containment_candidates

    empty = SampleRuns(np.empty(0, np.uint32), np.zeros(2, np.int64), np.arange(2))
    assert sampled_containment_candidates(empty, 2).pairs.shape == (0, 2)


def test_teaser_of_a_story_on_many_sites_joins_its_cluster(tmp_path):
    # Samples shared by more than STAR_BUCKET pages are paired star-wise (first page with each
    # other one): the teaser must still end up with all the copies.
    from dupdetect import ScanConfig, scan
    from dupdetect.index import STAR_BUCKET

    rng = np.random.default_rng(9)
    words = [f"w{i}" for i in range(3000)]
    story = " ".join(rng.choice(words, size=400))
    copies = STAR_BUCKET + 8
    for i in range(copies):
        extra = " ".join(rng.choice(words, size=15))
        (tmp_path / f"site{i:02d}.txt").write_text(f"Story {i}\n\n{story} {extra}")
    (tmp_path / "teaser.txt").write_text("Teaser\n\n" + " ".join(story.split()[:80]))
    result = scan([tmp_path], ScanConfig())
    assert len(result.clusters) == 1
    assert result.clusters[0].size == copies + 1


# The vectorized grouping below is checked against plain Python on small random inputs: key
# alphabets are tiny so buckets form, and include values that share their high bits (the
# packed sort in _shared_key_positions must still tell them apart).
KEY_ALPHABET = [0, 1, 2, 3, 17, 2**32, 2**32 + 1, 2**63, 2**64 - 2, 2**64 - 1]


@st.composite
def key_matrices(draw):
    rows = draw(st.integers(0, 14))
    bands = draw(st.integers(1, 4))
    cells = draw(
        st.lists(st.sampled_from(KEY_ALPHABET), min_size=rows * bands, max_size=rows * bands)
    )
    return np.array(cells, dtype=np.uint64).reshape(rows, bands)


def _reference_lsh(keys, max_bucket):
    """lsh_candidates in plain Python: buckets per band in key order, stars when oversized."""
    pairs, firsts, sizes, largest = set(), [], [], 0
    for band in range(keys.shape[1]):
        buckets = {}
        for row, key in enumerate(keys[:, band].tolist()):
            buckets.setdefault(key, []).append(row)
        oversized = []
        for key in sorted(buckets):
            members = buckets[key]
            largest = max(largest, len(members))
            if len(members) <= max_bucket:
                pairs.update(itertools.combinations(members, 2))
            else:
                pairs.update((members[0], m) for m in members[1:])
                oversized.append((len(members), members[0]))
        for size, first in sorted(oversized, key=lambda o: o[0]):
            firsts.append(first)
            sizes.append(size)
    return sorted(pairs), firsts, sizes, largest


@given(key_matrices(), st.integers(1, 5))
def test_lsh_candidates_match_plain_python(keys, max_bucket):
    from dupdetect.index import lsh_candidates

    found = lsh_candidates(keys, max_bucket)
    pairs, firsts, sizes, largest = _reference_lsh(keys, max_bucket)
    assert found.pairs.dtype == np.int64 and found.pairs.shape == (len(pairs), 2)
    assert [tuple(p) for p in found.pairs.tolist()] == pairs
    assert found.oversized_firsts.tolist() == firsts
    assert found.oversized_sizes.tolist() == sizes
    assert found.oversized_buckets == len(sizes)
    assert found.largest_bucket == largest


@given(key_matrices())
def test_shared_key_positions_hold_the_repeated_keys_by_key_then_position(keys):
    from dupdetect.index import _shared_key_positions

    column = np.ascontiguousarray(keys[:, 0])
    values = column.tolist()
    found = _shared_key_positions(column).tolist()
    assert found == sorted(set(found), key=lambda p: (values[p], p))
    repeated = [p for p in found if values.count(values[p]) > 1]
    assert repeated == sorted(
        (p for p, k in enumerate(values) if values.count(k) > 1), key=lambda p: (values[p], p)
    )


@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40),
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40),
)
def test_merge_candidates_is_the_sorted_union(first, second):
    from dupdetect.index import CandidateSet, merge_candidates

    sets = [CandidateSet(np.array(p, dtype=np.int64).reshape(-1, 2), 0, 0) for p in (first, second)]
    merged = merge_candidates(*sets)
    assert merged.dtype == np.int64 and merged.shape[1] == 2
    assert [tuple(p) for p in merged.tolist()] == sorted(set(first) | set(second))


SAMPLE_ALPHABET = [0, 1, 5, 2**28, 2**28 + 1, 2**31, 2**31 + 7, 2**32 - 1]


@st.composite
def sample_runs(draw):
    rows = draw(st.integers(0, 12))
    counts = draw(st.lists(st.integers(0, 6), min_size=rows, max_size=rows))
    values = draw(
        st.lists(st.sampled_from(SAMPLE_ALPHABET), min_size=sum(counts), max_size=sum(counts))
    )
    dropped = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    owners = [-1 if drop else row for row, drop in enumerate(dropped)]
    return np.array(values, np.uint32), np.array(counts, np.int64), np.array(owners, np.int64)


def _reference_containment(values, counts, owners, count, min_share, max_bucket, star_bucket):
    """sampled_containment_candidates in plain Python."""
    holders, per_row, at = {}, [0] * count, 0
    for size, owner in zip(counts.tolist(), owners.tolist(), strict=True):
        for value in values[at : at + size].tolist():
            if owner >= 0:
                holders.setdefault(value, []).append(owner)
        if owner >= 0:
            per_row[owner] += size
        at += size
    shared, oversized, largest = {}, 0, 1 if holders else 0
    for value in holders:
        members = sorted(holders[value])
        largest = max(largest, len(members))
        if len(members) > max_bucket:
            oversized += 1
            continue
        if len(members) <= star_bucket:
            found = itertools.combinations(members, 2)
        else:
            found = ((members[0], m) for m in members[1:])
        for pair in found:
            shared[pair] = shared.get(pair, 0) + 1
    pairs = [
        (a, b)
        for (a, b), n in sorted(shared.items())
        if n >= 2 and n >= min_share * min(per_row[a], per_row[b])
    ]
    return pairs, oversized, largest


@given(
    sample_runs(),
    st.integers(1, 6),
    st.sampled_from([1, 2, 16]),
    st.sampled_from([2, 32]),
    st.sampled_from([1, 3]),
)
@pytest.mark.parametrize("loops", ["C", "numpy"])
def test_containment_candidates_match_plain_python(
    loops, runs, max_bucket, partitions, star_bucket, threads
):
    from dupdetect import index

    values, counts, owners = runs
    with counted_by(loops), mock.patch.object(index, "STAR_BUCKET", star_bucket):
        found = index.sampled_containment_candidates(
            index.SampleRuns(values, counts, owners),
            len(counts),
            min_share=0.4,
            max_bucket=max_bucket,
            partitions=partitions,
            threads=threads,
        )
    expected = _reference_containment(
        values, counts, owners, len(counts), 0.4, max_bucket, star_bucket
    )
    assert [tuple(p) for p in found.pairs.tolist()] == expected[0]
    assert (found.oversized_buckets, found.largest_bucket) == expected[1:]


def test_gauss_legendre_is_numpys_leggauss():
    from dupdetect.index import gauss_legendre

    for points in range(2, 261):
        nodes, weights = gauss_legendre(points)
        expected_nodes, expected_weights = np.polynomial.legendre.leggauss(points)
        assert np.abs(nodes - expected_nodes).max() < 2e-12
        assert np.abs(weights - expected_weights).max() < 2e-12 * expected_weights.max()
