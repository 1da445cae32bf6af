import csv
import io
import json
from pathlib import Path

import pytest

from dupdetect import __version__

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

STORY = (
    "The county board voted on Tuesday to rebuild the old river dam after a decade of "
    "arguments over cost, fish passage and flood risk for the farms downstream. "
    "Officials said construction would start next spring and last two years. "
    "Residents who packed the meeting hall applauded when the final tally was read."
)


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "wire.txt").write_text("Board backs dam rebuild\n\n" + STORY, encoding="utf-8")
    (tmp_path / "copy.txt").write_text(
        "Dam will be rebuilt\n\nMILLBROOK, Ore. (AP) — "
        + STORY
        + "\n\n___\n\nAssociated Press writer Jane Doe contributed to this report.",
        encoding="utf-8",
    )
    (tmp_path / "other.txt").write_text(
        "Library extends hours\n\nThe public library will stay open until nine on weeknights "
        "starting in March, the director announced, citing demand from students.",
        encoding="utf-8",
    )
    return tmp_path


def test_version(invoke):
    assert invoke(["--version"]).stdout == f"dupdetect, version {__version__}\n"


def test_help_documents_scores_and_exit_codes(invoke):
    out = invoke(["scan", "--help"]).stdout
    for phrase in ["similarity", "containment", "Exit codes:", "--check", "--format"]:
        assert phrase in out


def test_table_output_and_summary(invoke, corpus):
    result = invoke(["scan", corpus])
    assert "copy.txt" in result.stdout and "wire.txt" in result.stdout
    assert "other.txt" not in result.stdout
    assert result.stderr == "Scanned 3 documents: 1 cluster, 1 duplicate, 0 skipped.\n"


def test_json_output_is_pure_json_on_stdout(invoke, corpus):
    result = invoke(["scan", corpus, "--format", "json"])
    data = json.loads(result.stdout)
    assert data["version"] == 1
    assert data["summary"]["documents"] == 3
    assert data["summary"]["clusters"] == 1
    (cluster,) = data["clusters"]
    assert {d["id"] for d in cluster["documents"]} == {"wire.txt", "copy.txt"}
    assert set(cluster["documents"][0]) >= {
        "id",
        "path",
        "title",
        "source",
        "similarity",
        "containment",
    }


def test_jsonl_one_cluster_per_line(invoke, corpus):
    lines = invoke(["scan", corpus, "--format", "jsonl"]).stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["size"] == 2


def test_csv_to_file(invoke, corpus, tmp_path):
    out = tmp_path / "out" / "clusters.csv"
    out.parent.mkdir()
    result = invoke(["scan", corpus, "-f", "csv", "-o", out, "-q"])
    assert result.stdout == "" and result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["doc_id"] for r in rows] == ["copy.txt", "wire.txt"] or [
        r["doc_id"] for r in rows
    ] == [
        "wire.txt",
        "copy.txt",
    ]
    for column in [
        "cluster_id",
        "cluster_size",
        "doc_id",
        "path",
        "title",
        "source",
        "similarity",
        "is_representative",
    ]:
        assert column in rows[0]
    assert sum(r["is_representative"] == "true" for r in rows) == 1


def test_check_exit_codes(invoke, corpus, tmp_path):
    invoke(["scan", corpus, "--check", "-q"], exit_code=1)
    (corpus / "copy.txt").unlink()
    invoke(["scan", corpus, "--check", "-q"], exit_code=0)


def test_missing_path_is_a_usage_error(invoke, tmp_path):
    result = invoke(["scan", tmp_path / "nope"], exit_code=2)
    assert result.stdout == ""
    assert "does not exist" in result.stderr


def test_directory_without_articles_exits_2_with_one_line(invoke, tmp_path):
    (tmp_path / "photo.png").write_bytes(b"png")
    result = invoke(["scan", tmp_path], exit_code=2)
    assert result.stdout == ""
    assert result.stderr == (
        "Error: no readable articles found (1 skipped: unsupported file type '.png')\n"
    )


def test_empty_directory(invoke, tmp_path):
    result = invoke(["scan", tmp_path], exit_code=2)
    assert result.stderr == "Error: no articles found (supported: .txt, .md, .jsonl)\n"


def test_bad_option_value_is_a_usage_error(invoke, corpus):
    result = invoke(["scan", corpus, "--threshold", "1.5"], exit_code=2)
    assert "--threshold" in result.stderr


def test_bad_input_is_reported_and_scan_goes_on(invoke, corpus):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "feed.jsonl").write_text('{"id": "a", "text": \n', encoding="utf-8")
    result = invoke(["scan", corpus])
    assert result.stderr.splitlines() == [
        "skipped empty.txt: empty file",
        "skipped feed.jsonl:1: invalid JSON: Expecting value (column 21)",
        "Scanned 3 documents: 1 cluster, 1 duplicate, 2 skipped.",
    ]
    assert "wire.txt" in result.stdout


def test_python_dash_m(corpus):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "dupdetect", "scan", str(corpus), "-f", "jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["size"] == 2


def test_fixture_four_articles(invoke):
    data = json.loads(invoke(["scan", FIXTURES / "four", "-f", "json", "-q"]).stdout)
    assert data["summary"]["documents"] == 4
    (cluster,) = data["clusters"]
    assert sorted(d["id"] for d in cluster["documents"]) == ["portal-copy.txt", "wire-original.txt"]
    assert all(d["similarity"] >= 0.9 for d in cluster["documents"])
