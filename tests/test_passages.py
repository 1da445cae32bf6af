"""scan --passages: reused paragraphs across and within documents, with pinned line ranges."""

import csv
import io
import json
from pathlib import Path

from dupdetect import ScanConfig
from dupdetect.passages import CSV_COLUMNS, passage_reuse, split_passages

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASSAGES = FIXTURES / "passages"
ORIGINAL = FIXTURES / "four" / "local-library.txt"
INPUTS = [PASSAGES, ORIGINAL]

EMBEDDED = (
    "four/local-library.txt",
    3,
    17,
    "passages/coastline-daily/weekend-reads-seed-library.txt",
    7,
    21,
)
TWICE = (
    "passages/harbor-times/ferry-fares-rise.txt",
    11,
    13,
    "passages/harbor-times/ferry-fares-rise.txt",
    17,
    19,
)


def _ranges(reuse):
    return [
        (r.doc_id, r.start_line, r.end_line, r.other_doc_id, r.other_start_line, r.other_end_line)
        for r in reuse
    ]


def test_embedded_article_and_story_twice_are_found_with_their_lines():
    reuse = passage_reuse(INPUTS, ScanConfig())
    assert _ranges(reuse) == [EMBEDDED, TWICE]
    assert reuse[0].similarity == 1.0
    assert 0.9 < reuse[1].similarity < 1.0  # one copy carries the (AP) dateline


def test_site_boilerplate_is_not_reuse():
    """The Harbor Times footer is on all five of its pages: reported only with the filter off."""
    footer_pairs = [
        r
        for r in passage_reuse(INPUTS, ScanConfig(boilerplate_min_docs=0))
        if "harbor-times" in r.doc_id and r.doc_id != r.other_doc_id
    ]
    assert len(footer_pairs) == 10  # 5 pages, every pair
    assert all(r.start_line == r.end_line for r in footer_pairs)


def test_split_passages_lines_and_windows():
    assert [(s, e) for s, e, _ in split_passages("a b\nc\n\n\nd e", first_line=3)] == [
        (3, 4),
        (7, 7),
    ]
    long_text = " ".join(f"w{i}" for i in range(400))
    windows = list(split_passages(long_text))
    assert [len(w) for _, _, w in windows] == [80] * 5
    assert all((s, e) == (1, 1) for s, e, _ in windows)
    footer = "Text of the story goes here.\n\n___\n\nAssociated Press writer Jo Lee contributed."
    assert len(list(split_passages(footer))) == 1  # wire footers are not passages


def test_text_without_breaks_is_found_through_windows(tmp_path):
    story = " ".join(f"word{i}" for i in range(300))
    (tmp_path / "a.txt").write_text("Title A\n\n" + story, encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        "Title B\n\nOwn intro paragraph with enough words to count as a passage of its own here.\n\n"
        + story,
        encoding="utf-8",
    )
    assert _ranges(passage_reuse([tmp_path], ScanConfig())) == [("a.txt", 3, 3, "b.txt", 5, 5)]


def test_scan_passages_csv_json_and_table(invoke):
    out = invoke(["scan", *INPUTS, "--passages", "-f", "csv"]).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [tuple(r[:-1]) for r in rows[1:]] == [tuple(map(str, EMBEDDED)), tuple(map(str, TWICE))]
    data = json.loads(invoke(["scan", *INPUTS, "--passages", "-f", "json"]).stdout)
    assert data["passages"][0]["other_start_line"] == 7
    table = invoke(["scan", *INPUTS, "--passages"], env={"COLUMNS": "160"}).stdout
    assert "(same document)" in table and "11–13" in table and "17–19" in table
