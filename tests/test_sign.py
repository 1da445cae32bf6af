import numpy as np
import pytest
from datasketch import MinHash

from dupdetect.shingle import shingles
from dupdetect.sign import Signer, datasketch_hashfunc


def _sets():
    return [shingles([f"w{i}" for i in range(n)], 5) for n in (1, 3, 40, 900)]


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 42)])
def test_signatures_equal_datasketch_bit_for_bit(num_perm, seed):
    sets = _sets()
    signatures = Signer(num_perm, seed).sign(sets)
    assert signatures.shape == (len(sets), num_perm)
    for shingle_set, row in zip(sets, signatures, strict=True):
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=datasketch_hashfunc)
        for value in shingle_set.tolist():
            reference.update(value)
        assert np.array_equal(reference.hashvalues, row)


def test_batches_do_not_change_results(monkeypatch):
    sets = _sets() * 3
    whole = Signer().sign(sets)
    monkeypatch.setattr("dupdetect.sign._BATCH_CELLS", 1)
    assert np.array_equal(Signer().sign(sets), whole)


@pytest.mark.parametrize("perms", [1, 90, 128])
def test_first_perms_are_the_full_signatures_first_columns(perms, monkeypatch):
    sets = _sets()
    full = Signer().sign(sets)
    assert np.array_equal(Signer().sign(sets, perms), full[:, :perms])
    monkeypatch.setattr("dupdetect.sign._speedups", None)  # the numpy path, the same
    assert np.array_equal(Signer().sign(sets, perms), full[:, :perms])


def test_to_minhash_estimates_jaccard():
    signer = Signer(256, 1)
    base = [f"w{i}" for i in range(400)]
    a = shingles(base, 3)
    b = shingles(base[:300] + [f"x{i}" for i in range(100)], 3)
    sig = signer.sign([a, b])
    estimate = signer.to_minhash(sig[0]).jaccard(signer.to_minhash(sig[1]))
    exact = np.intersect1d(a, b).size / np.union1d(a, b).size
    assert abs(estimate - exact) < 0.1


def test_empty_set_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        Signer().sign([np.empty(0, dtype=np.uint64)])


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 0), (2, 12345)])
def test_permutations_are_datasketchs(num_perm, seed):
    from datasketch import MinHash

    from dupdetect.sign import affine32_permutations

    a, b = affine32_permutations(num_perm, seed)
    template = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    assert np.array_equal(a, template.permutations[0])
    assert np.array_equal(b, template.permutations[1])
