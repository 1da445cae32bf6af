"""End to end on the bundled fixtures: planted clusters, golden outputs, bad inputs."""

import json
from pathlib import Path

import pytest
from rich.console import Console

from dupdetect import scan
from dupdetect.export import WRITERS
from dupdetect.render import render_table

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ARTICLES = FIXTURES / "articles"
EXPECTED = FIXTURES / "expected"


@pytest.fixture(scope="module")
def articles_result():
    return scan([ARTICLES])


def test_scan_reproduces_the_planted_clusters_exactly(articles_result):
    expected = json.loads((FIXTURES / "expected-clusters.json").read_text(encoding="utf-8"))
    found = sorted(sorted(m.id for m in c.members) for c in articles_result.clusters)
    assert found == sorted(expected)
    assert articles_result.summary.documents == 40
    assert articles_result.skipped == ()


def test_representative_is_earliest_date_else_longest(articles_result):
    by_rep = {c.representative: c for c in articles_result.clusters}
    assert "mf-0002" in by_rep  # the earlier-dated copy in the JSONL feed
    for cluster in articles_result.clusters:
        assert cluster.members[0].is_representative
        assert sum(m.is_representative for m in cluster.members) == 1


def _render(result, fmt):
    import io

    out = io.StringIO()
    if fmt == "txt":
        render_table(result, Console(file=out, width=120, color_system=None, highlight=False))
    else:
        WRITERS[fmt](result, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "txt"])
def test_golden_outputs(articles_result, fmt, update_golden):
    golden = EXPECTED / f"articles.{fmt}"
    output = _render(articles_result, fmt)
    if update_golden:
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8"), f"run `make golden` and review {golden}"


def test_bad_inputs_are_each_reported_and_the_rest_scanned(invoke):
    result = invoke(["scan", FIXTURES / "bad", "--format", "jsonl"])
    assert [
        sorted(d["id"] for d in json.loads(line)["documents"])
        for line in result.stdout.splitlines()
    ] == [["good-one.txt", "good-two.txt"]]
    assert result.stderr.splitlines() == [
        "skipped binary.txt: binary file (contains NUL bytes)",
        "skipped empty.txt: empty file",
        "skipped image.png: unsupported file type '.png'",
        "skipped malformed.jsonl:2: invalid JSON: Expecting value (column 21)",
        "skipped malformed.jsonl:3: record has no non-empty 'text' field",
        "skipped notes.pdf: unsupported file type '.pdf'",
        "skipped whitespace-only.txt: no text (whitespace only)",
        "warning: latin1.txt: invalid UTF-8 at byte 3; decoded as Windows-1252",
        "Scanned 5 documents: 1 cluster, 1 duplicate, 7 skipped.",
    ]


def test_bad_inputs_in_json_skipped_list(invoke):
    data = json.loads(invoke(["scan", FIXTURES / "bad", "-f", "json", "-q"]).stdout)
    assert data["summary"]["skipped"] == 7
    assert {(s["path"], s["line"]) for s in data["skipped"]} >= {
        ("malformed.jsonl", 2),
        ("empty.txt", None),
    }
    assert data["warnings"] == [
        {
            "path": "latin1.txt",
            "line": None,
            "message": "invalid UTF-8 at byte 3; decoded as Windows-1252",
        }
    ]
