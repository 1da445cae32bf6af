import json
from pathlib import Path

import pytest

from dupdetect.evaluate import GoldFileError, adjusted_rand_index, read_gold, score_clusters

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_perfect_agreement():
    s = score_clusters([["a", "b"], ["c", "d", "e"]], [["b", "a"], ["e", "d", "c"]], "abcdefg")
    assert (s.precision, s.recall, s.f1, s.ari) == (1.0, 1.0, 1.0, 1.0)


def test_pairwise_counts():
    s = score_clusters([["a", "b", "c"]], [["a", "b"], ["c", "d"]], "abcd")
    assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == (3, 2, 1)
    assert (s.precision, s.recall, s.wrong_pairs, s.missed_pairs) == (0.3333, 0.5, 2, 1)


def test_ari_known_value():
    # Hubert-Arabie ARI of labels [0,0,1,1] vs [0,0,0,1] is 0.0 (scikit-learn agrees).
    assert (
        adjusted_rand_index(
            dict(zip("abcd", [0, 0, 1, 1], strict=True)),
            dict(zip("abcd", [0, 0, 0, 1], strict=True)),
        )
        == 0.0
    )


def test_all_singletons_both_sides():
    s = score_clusters([], [], "abc")
    assert (s.precision, s.recall, s.ari) == (1.0, 1.0, 1.0)


def test_gold_ids_outside_the_scan_are_ignored():
    s = score_clusters([["a", "b"]], [["a", "b", "zzz"]], "ab")
    assert (s.precision, s.recall) == (1.0, 1.0)


def test_read_gold_errors_name_file_and_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"cluster": "x", "ids": ["a"]}\n{"cluster": "y"}\n', encoding="utf-8")
    with pytest.raises(GoldFileError, match=r"gold.jsonl:2: expected"):
        read_gold(path)


def test_cli_evaluate_on_the_fixtures(invoke):
    args = [
        "evaluate",
        FIXTURES / "articles",
        "--gold",
        FIXTURES / "articles-gold.jsonl",
        "-f",
        "json",
    ]
    data = json.loads(invoke(args).stdout)
    assert data["best"]["f1"] == 1.0 and data["best"]["ari"] == 1.0
    assert data["best"]["wrong_pairs"] == 0


def test_cli_evaluate_sweep_marks_one_best(invoke):
    args = [
        "evaluate",
        FIXTURES / "articles",
        "--gold",
        FIXTURES / "articles-gold.jsonl",
        "--sweep",
    ]
    out = invoke(args).stdout
    assert out.count("best") == 1
    assert "0.90" in out and "0.20" in out


def test_cli_evaluate_bad_gold_exits_2(invoke, tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    result = invoke(["evaluate", FIXTURES / "four", "--gold", bad], exit_code=2)
    assert result.stderr.startswith("Error: ") and "gold.jsonl:1" in result.stderr
