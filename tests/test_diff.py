"""diff_documents: exact scores, ops that cover both texts, and the `dupdetect diff` command."""

import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect.diff import diff_documents, tokenize_spans
from dupdetect.load import InputFile, read_file
from dupdetect.models import Document
from dupdetect.normalize import words
from dupdetect.pipeline import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FOUR = FIXTURES / "four"


def _doc(path: Path) -> Document:
    (doc,) = [d for d in read_file(InputFile(path, path.name), max_file_size=10**7)]
    return doc


def _check_ops(text_a: str, text_b: str) -> None:
    ops = diff_documents(text_a, text_b).ops
    assert "".join(op.a_text for op in ops) == text_a
    assert "".join(op.b_text for op in ops) == text_b
    a_pos = b_pos = 0
    for op in ops:
        assert (op.a_start, op.b_start) == (a_pos, b_pos)
        assert op.a_text == text_a[op.a_start : op.a_end]
        assert op.b_text == text_b[op.b_start : op.b_end]
        a_pos, b_pos = op.a_end, op.b_end
        if op.op == "equal":
            assert words(op.a_text) == words(op.b_text)
        elif op.op == "insert":
            assert op.a_text == "" and op.b_text
        elif op.op == "delete":
            assert op.b_text == "" and op.a_text
        else:
            assert op.op == "replace" and op.a_text and op.b_text
    assert (a_pos, b_pos) == (len(text_a), len(text_b))


# Texts built from a small vocabulary (so the two sides share runs) plus arbitrary Unicode.
PIECES = [
    "the",
    "The",
    "mayor",
    "said",
    "it's",
    "4,700",
    "(AP)",
    "—",
    " ",
    "\n\n",
    ".",
    ",",
    "Straße",
    "ﬁle",
    "москва",
    "_",
    "'",
    "=\u0338",
    "\u0301",
    "TM",
    "™",
    "é",
]
vocab_text = st.lists(st.sampled_from(PIECES), max_size=40).map(lambda p: " ".join(p))
any_text = st.text(max_size=120)
texts = st.one_of(vocab_text, any_text, st.builds(lambda a, b: a + b, vocab_text, any_text))


@settings(max_examples=400, deadline=None)
@given(texts, texts)
def test_ops_cover_both_texts_exactly(text_a, text_b):
    _check_ops(text_a, text_b)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_tokens_carry_exactly_the_normalized_words(text):
    tokens = tokenize_spans(text)
    assert [w for t in tokens for w in t.key.split(" ")] == words(text)
    assert all(0 <= t.start < t.end <= len(text) for t in tokens)


def test_identical_texts_are_one_equal_op():
    text = (FOUR / "wire-original.txt").read_text(encoding="utf-8")
    result = diff_documents(text, text)
    assert [op.op for op in result.ops] == ["equal"]
    assert result.scores.as_dict() == {
        "jaccard": 1.0,
        "containment_a_in_b": 1.0,
        "containment_b_in_a": 1.0,
        "ratio": 1.0,
    }


def test_empty_and_wordless_texts():
    assert diff_documents("", "").ops == []
    assert [op.op for op in diff_documents("", "A word").ops] == ["insert"]
    assert [op.op for op in diff_documents("A word", "").ops] == ["delete"]
    assert [op.op for op in diff_documents("  ", "A word").ops] == ["replace"]
    assert [op.op for op in diff_documents(" -- ", "...").ops] == ["equal"]


def test_scores_are_the_scan_scores():
    """The pair's Jaccard and containment are exactly what `scan` reports for it."""
    result = scan([FOUR])
    (cluster,) = result.clusters
    member = next(m for m in cluster.members if not m.is_representative)
    rep = next(m for m in cluster.members if m.is_representative)
    rep_doc, member_doc = _doc(FOUR / rep.path), _doc(FOUR / member.path)
    scores = diff_documents(rep_doc.text, member_doc.text).scores
    assert scores.jaccard == member.similarity
    assert scores.containment_a_in_b == member.representative_contained
    assert scores.containment_b_in_a == member.contained_in_representative
    assert 0.9 < scores.ratio <= 1.0


def test_wire_copy_shows_dateline_and_footer_as_insertions():
    a = _doc(FOUR / "wire-original.txt").text
    b = _doc(FOUR / "portal-copy.txt").text
    changed = [op for op in diff_documents(a, b).ops if op.op != "equal"]
    inserted = " ".join(op.b_text for op in changed)
    assert "CEDAR FALLS, Iowa (AP) —" in inserted
    assert "Associated Press writer Mara Lindqvist" in inserted
    assert not any(op.a_text.strip() for op in changed)


def _article(rng: random.Random, vocab: list[str], n: int) -> str:
    chosen = rng.choices(vocab, k=n)
    return "\n\n".join(" ".join(chosen[i : i + 60]) + "." for i in range(0, n, 60))


def test_diff_of_two_5000_word_articles_is_fast():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)] + ["the"] * 200 + ["a"] * 100 + ["said"] * 40
    a = _article(rng, vocab, 5000)
    b_words = a.split(" ")
    for _ in range(150):
        b_words[rng.randrange(len(b_words))] = rng.choice(vocab)
    del b_words[1000:1200]
    b = " ".join(b_words)
    for other in (b, _article(rng, vocab, 5000)):
        start = time.perf_counter()
        _check_ops(a, other)
        assert time.perf_counter() - start < 1.0


# --- the command -----------------------------------------------------------------------------


def test_diff_command_json(invoke):
    out = invoke(["diff", FOUR / "wire-original.txt", FOUR / "portal-copy.txt", "-f", "json"])
    data = json.loads(out.stdout)
    assert data["a"]["id"] == "wire-original.txt"
    assert data["b"]["path"].endswith("portal-copy.txt")
    assert set(data["scores"]) == {"jaccard", "containment_a_in_b", "containment_b_in_a", "ratio"}
    a = _doc(FOUR / "wire-original.txt").text
    assert "".join(op["a_text"] for op in data["ops"]) == a
    assert {op["op"] for op in data["ops"]} <= {"equal", "insert", "delete", "replace"}


def test_diff_command_table(invoke):
    out = invoke(["diff", FOUR / "wire-original.txt", FOUR / "portal-copy.txt"], color=False).stdout
    assert "jaccard 1.00" in out  # the same story once the wire furniture is stripped
    assert "headline A" in out and "Iowa grain elevator" in out
    assert "{+CEDAR FALLS, Iowa (AP) —+}" in out  # no colour: git-style markers
    assert "… 5 shared lines …" in out


FEED = FIXTURES / "articles" / "feeds" / "morning-feed.jsonl"


def _feed_ids() -> list[str]:
    return [json.loads(line).get("id") for line in FEED.read_text(encoding="utf-8").splitlines()]


def test_diff_command_ids_inside_jsonl(invoke):
    first, second = [i for i in _feed_ids() if i][:2]
    by_colon = invoke(["diff", f"{FEED}:{first}", f"{FEED}:{second}", "-f", "json"]).stdout
    by_option = invoke(["diff", FEED, FEED, "--id-a", first, "--id-b", second, "-f", "json"]).stdout
    assert by_colon == by_option
    assert json.loads(by_colon)["a"]["id"] == first


def test_diff_command_line_number_for_records_without_id(invoke):
    missing = _feed_ids().index(None) + 1
    data = json.loads(invoke(["diff", f"{FEED}:{missing}", f"{FEED}:1", "-f", "json"]).stdout)
    assert data["a"]["id"] == f"morning-feed.jsonl:{missing}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["{feed}:no-such-id", "{four}/portal-copy.txt"], "no article with id 'no-such-id'"),
        (["{four}/missing.txt", "{four}/portal-copy.txt"], "cannot read"),
        (["{feed}", "{four}/portal-copy.txt"], "holds 6 articles"),
    ],
)
def test_diff_command_errors_exit_2_with_one_line(invoke, args, message):
    args = [a.format(feed=FEED, four=FOUR) for a in args]
    result = invoke(["diff", *args], exit_code=2)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
