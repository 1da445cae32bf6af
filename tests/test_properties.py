"""Properties that must hold for any input (hypothesis)."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupdetect import ScanConfig, scan
from dupdetect.export import result_dict
from dupdetect.normalize import normalize, words
from dupdetect.shingle import shingles
from dupdetect.verify import score

texts = st.text(min_size=0, max_size=300)
word_lists = st.lists(st.sampled_from([f"w{i}" for i in range(30)]), min_size=1, max_size=80)


@given(texts)
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@given(texts)
def test_words_of_words_are_stable(text):
    assert words(" ".join(words(text))) == words(text)


@given(word_lists, st.integers(1, 8))
def test_self_similarity_is_one(tokens, size):
    s = shingles(tokens, size)
    result = score(s, s)
    assert (result.jaccard, result.containment_ab, result.containment_ba) == (1.0, 1.0, 1.0)


@given(word_lists, word_lists, st.integers(1, 8))
def test_scores_are_symmetric_and_bounded(a_tokens, b_tokens, size):
    a, b = shingles(a_tokens, size), shingles(b_tokens, size)
    ab, ba = score(a, b), score(b, a)
    assert ab.jaccard == ba.jaccard
    assert (ab.containment_ab, ab.containment_ba) == (ba.containment_ba, ba.containment_ab)
    assert 0.0 <= ab.jaccard <= min(ab.containment_ab, ab.containment_ba) + 1e-4 <= 1.0001


def _article(rng, vocab, length):
    return " ".join(rng.choice(vocab, size=length))


def _corpus(seed):
    """Stories with edited copies: some clusters, many singletons."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(2000)])
    records = []
    for story in range(12):
        text = _article(rng, vocab, int(rng.integers(40, 150)))
        records.append({"id": f"s{story}", "text": text})
        for copy in range(int(rng.integers(0, 3))):
            tokens = text.split()
            cut = int(rng.integers(0, 6))
            records.append({"id": f"s{story}c{copy}", "text": " ".join(tokens[cut:] + ["extra"])})
    return records


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_input_order_never_changes_the_output(tmp_path, seed, shuffler):
    records = _corpus(seed)
    shuffled = list(records)
    shuffler.shuffle(shuffled)
    outputs = []
    for name, recs in (("a", records), ("b", shuffled)):
        folder = tmp_path / f"{seed}-{name}"
        folder.mkdir(exist_ok=True)
        (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in recs), encoding="utf-8")
        result = scan([folder], ScanConfig())
        outputs.append(json.dumps(result_dict(result), sort_keys=True))
    assert outputs[0] == outputs[1]
    clustered = [m["id"] for c in json.loads(outputs[0])["clusters"] for m in c["documents"]]
    assert len(clustered) == len(set(clustered))  # every document in at most one cluster


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(word_lists)
def test_identical_texts_always_cluster(tmp_path, tokens):
    folder = tmp_path / "same"
    folder.mkdir(exist_ok=True)
    text = " ".join(tokens)
    (folder / "feed.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "text": text}) for i in ("x", "y")), encoding="utf-8"
    )
    result = scan([folder])
    assert [[m.id for m in c.members] for c in result.clusters] == [["x", "y"]]
    assert result.clusters[0].members[1].similarity == 1.0
