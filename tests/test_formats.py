"""Real-world input formats (HTML, feeds, JSON/CSV, WARC, compressed, encodings) and hostile input.

fixtures/formats/ holds one set of fictional stories in every format plus hostile files;
fixtures/formats-plain/ the same documents as plain text (scripts/make_format_fixtures.py).
"""

import bz2
import gzip
import io
import json
import lzma
import pickle
import socket
from pathlib import Path

import pytest

from dupdetect import ScanConfig, scan
from dupdetect.formats import ReadOptions
from dupdetect.load import InputFile, decode_bytes, read_file, read_inputs
from dupdetect.models import Document, Notice, Skipped

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FORMATS = FIXTURES / "formats"
PLAIN = FIXTURES / "formats-plain"

HOSTILE_REASONS = {
    "billion-laughs.xml": "unsafe XML refused: declares entity 'lol'; entities are never expanded",
    "bomb.txt.gz": "decompressed size exceeds the limit (52428800 bytes)",
    "truncated.txt.gz": "corrupt or truncated .gz data (Compressed file ended before the "
    "end-of-stream marker was reached)",
    "xxe.xml": "unsafe XML refused: declares external entity 'xxe' (file:///etc/passwd); "
    "nothing is fetched",
}


def _read(*paths, **kwargs):
    items = list(read_inputs(paths, **kwargs))
    docs = [i for i in items if isinstance(i, Document)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    notices = [i for i in items if isinstance(i, Notice)]
    return docs, skipped, notices


def _clusters(result, rename=lambda i: i):
    return sorted(sorted(rename(m.id) for m in c.members) for c in result.clusters)


@pytest.fixture(scope="module")
def formats_result():
    return scan([FORMATS], ScanConfig(jobs=1))


# The whole corpus -------------------------------------------------------------------------


def test_every_format_gives_the_same_clusters_as_plain_text(formats_result):
    manifest = json.loads((FIXTURES / "formats-manifest.json").read_text(encoding="utf-8"))
    plain = scan([PLAIN], ScanConfig(jobs=1))
    assert sorted(manifest[i] for i in formats_result.document_ids) == sorted(plain.document_ids)
    assert _clusters(formats_result, manifest.__getitem__) == _clusters(plain)
    assert [c.size for c in formats_result.clusters] == [10, 4, 2]


def test_hostile_files_each_get_one_reason_and_the_scan_completes(formats_result):
    assert {s.path: s.reason for s in formats_result.skipped} == HOSTILE_REASONS
    assert formats_result.summary.documents == 17


def test_cli_reports_each_problem_on_one_line(invoke):
    result = invoke(["scan", FORMATS, "-f", "jsonl", "-j", "2"])
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("skipped")] == [
        f"skipped {path}: {reason}" for path, reason in sorted(HOSTILE_REASONS.items())
    ]
    assert [line for line in lines if line.startswith("warning")] == [
        "warning: bayside-crawl.warc.gz: 3 non-HTML WARC records ignored "
        "(request 2, response image/png 1)",
        "warning: legacy-cp1252-ferry.txt: invalid UTF-8 at byte 437; decoded as Windows-1252",
        "warning: windows-utf16-ferry.txt: decoded as UTF-16 (BOM)",
    ]
    assert "Traceback" not in result.stderr
    assert len(result.stdout.splitlines()) == 3


def test_metadata_of_each_format(formats_result):
    docs, _, _ = _read(FORMATS)
    by_id = {d.id: d for d in docs}
    html = by_id["courier-ferry.html"]
    assert (html.title, html.source, html.date, html.url) == (
        "Gull Bay ferry fares frozen for another year",
        "Gull Bay Courier",
        "2024-03-05",
        "https://courier.gullbay.example/news/ferry-fares-frozen",
    )
    rss = by_id["urn:tidewater:ferry-fares"]
    assert (rss.source, rss.date, rss.url) == (
        "Tidewater Daily",
        "2024-03-05T09:30:00+00:00",
        "https://tidewater.example/ferry-fares",
    )
    assert "<p>" not in rss.text and "café" in rss.text
    atom = by_id["tag:coastwire.example,2024:orchard"]
    assert (atom.source, atom.date) == ("Coast Wire", "2024-10-12T08:00:00+00:00")
    api = by_id["harbourlight-library"]  # headline / body / nested source.name / publishedAt
    assert (api.title, api.source, api.date) == (
        "Maple Hollow library to open on Sunday afternoons",
        "Harbour Light",
        "2024-03-04T18:00:00Z",
    )
    csv_lines = (FORMATS / "pelican-post.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[by_id["pp-3"].line - 1].startswith("pp-3,")  # the line the row starts on
    assert by_id["pp-3"].source == "Pelican Post"
    warc = by_id["https://bayside.example/library"]
    assert (warc.url, warc.source) == ("https://bayside.example/library", "Bayside Bulletin")
    assert "café" in by_id["legacy-cp1252-ferry.txt"].text
    assert "café" in by_id["windows-utf16-ferry.txt"].text


def test_page_chrome_scripts_styles_and_comments_never_reach_the_text():
    docs, _, _ = _read(FORMATS)
    for doc in docs:
        for marker in ("TRACKING_SCRIPT_MARKER", "STYLE_MARKER", "EDITOR_COMMENT_MARKER"):
            assert marker not in doc.text, doc.id
        assert "Most read" not in doc.text and "All rights reserved" not in doc.text, doc.id


def test_nothing_is_fetched_from_the_network(monkeypatch, tmp_path):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network access during a scan")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # An RSS 0.91 feed naming an external DTD, and a page with remote images and scripts.
    (tmp_path / "old.rss").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://dtd.invalid/rss-0.91.dtd">\n<rss version="0.91"><channel><title>Old</title>'
        "<item><title>T</title><link>http://x.invalid/1</link>"
        "<description>An old feed entry.</description></item></channel></rss>\n",
        encoding="utf-8",
    )
    (tmp_path / "page.html").write_text(
        '<html><head><script src="http://x.invalid/a.js"></script>'
        '<link rel="stylesheet" href="http://x.invalid/a.css"></head><body>'
        '<img src="http://x.invalid/a.png"><p>A page that names remote resources.</p>'
        "</body></html>",
        encoding="utf-8",
    )
    result = scan([FORMATS, tmp_path], ScanConfig(jobs=1))
    assert calls == []
    assert result.summary.documents == 19


def test_read_items_are_picklable_for_the_worker_pool():
    for item in read_inputs([FORMATS]):
        assert pickle.loads(pickle.dumps(item)) == item


# XML ------------------------------------------------------------------------------------


def test_xml_safety_refuses_entities_without_expanding_them(tmp_path):
    docs, skipped, _ = _read(FORMATS / "xxe.xml", FORMATS / "billion-laughs.xml")
    assert docs == []
    assert [s.reason.split(":")[0] for s in skipped] == ["unsafe XML refused"] * 2
    assert all("root:" not in s.reason for s in skipped)  # /etc/passwd never read


def test_xml_is_sniffed_feed_html_or_other(tmp_path):
    (tmp_path / "config.xml").write_text("<settings><a>1</a></settings>", encoding="utf-8")
    (tmp_path / "page.xml").write_text(
        "<!DOCTYPE html><html><body><p>Page text here.</p></body></html>", encoding="utf-8"
    )
    docs, skipped, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["page.xml"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("config.xml", "XML file is not an RSS or Atom feed")
    ]


def test_broken_and_empty_feeds(tmp_path):
    (tmp_path / "empty.rss").write_text(
        "<rss><channel><title>Nothing</title></channel></rss>", encoding="utf-8"
    )
    (tmp_path / "broken.rss").write_text(
        "<rss><channel><title>B</title><item><guid>g1</guid><title>One</title>"
        "<description>Text of one &amp; more</description></item><item><title>Two",
        encoding="utf-8",
    )
    (tmp_path / "bare.atom").write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>e1</id><title>No body</title>'
        "</entry></feed>",
        encoding="utf-8",
    )
    docs, skipped, notices = _read(tmp_path)
    assert [d.id for d in docs] == ["g1"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("bare.atom", "entry 1 (e1) has no content or summary"),
        ("broken.rss", "entry 2 (broken.rss#2) has no content or summary"),
        ("empty.rss", "no feed entries found"),
    ]
    assert [n.path for n in notices] == ["broken.rss"]
    assert notices[0].message.startswith("feed is not well-formed")


# HTML -----------------------------------------------------------------------------------


def test_html_without_main_text_falls_back_to_visible_text_with_a_notice(tmp_path, monkeypatch):
    # trafilatura finds some text on almost any page; simulate it finding none (or failing).
    monkeypatch.setattr("dupdetect.formats.html._extract", lambda html: None)
    (tmp_path / "thin.html").write_text(
        "<html><head><title>Thin</title><style>p{}</style></head><body>"
        "<script>var HIDDEN=1</script><!-- HIDDEN COMMENT --><div>Only a caption.</div>"
        "</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "blank.html").write_text(
        "<html><body><script>var x = 1;</script></body></html>", encoding="utf-8"
    )
    docs, skipped, notices = _read(tmp_path)
    assert [(d.id, d.title, d.text) for d in docs] == [("thin.html", "Thin", "Only a caption.")]
    assert [(n.path, n.message) for n in notices] == [
        ("thin.html", "no main article text found; using the page's visible text")
    ]
    assert [(s.path, s.reason) for s in skipped] == [("blank.html", "no text in the HTML page")]


def test_html_declared_charset_is_used_when_utf8_fails(tmp_path):
    page = '<html><head><meta charset="windows-1251"></head><body><p>Новости дня</p></body></html>'
    (tmp_path / "ru.html").write_bytes(page.encode("cp1251"))
    docs, _, notices = _read(tmp_path)
    assert "Новости дня" in docs[0].text
    assert notices[0].message.endswith("decoded as windows-1251 (declared)")


# JSON, JSON Lines, CSV ------------------------------------------------------------------


def test_json_array_keeps_records_before_a_syntax_error(tmp_path):
    (tmp_path / "dump.json").write_text(
        '[\n  {"id": "a", "content": "First"},\n  {"id": "b", "title": "no text"},\n'
        '  {"id": "c", "body": "Third"},\n  {"id": "d", "text": oops}\n]\n',
        encoding="utf-8",
    )
    (tmp_path / "one.json").write_text('{"text": "A single article"}', encoding="utf-8")
    (tmp_path / "scalar.json").write_text("42", encoding="utf-8")
    docs, skipped, _ = _read(tmp_path)
    assert [(d.id, d.text, d.line) for d in docs] == [
        ("a", "First", 2),
        ("c", "Third", 4),
        ("one.json:1", "A single article", 1),
    ]
    assert [(s.location, s.reason) for s in skipped] == [
        ("dump.json:3", "record has no non-empty 'text' field"),
        ("dump.json:5", "invalid JSON: Expecting value; the rest of the file is not read"),
        ("scalar.json:1", "expected a JSON array of article objects"),
    ]


def test_csv_rows_are_numbered_by_their_first_line(tmp_path):
    (tmp_path / "rows.csv").write_text(
        'id,title,article\nr1,One,"Multi\nline text"\nr2,Two,\n,Three,Third text\n',
        encoding="utf-8",
    )
    (tmp_path / "header-only.csv").write_text("id,text\n", encoding="utf-8")
    docs, skipped, _ = _read(tmp_path)
    assert [(d.id, d.title, d.line) for d in docs] == [
        ("r1", "One", 2),
        ("rows.csv:5", "Three", 5),
    ]
    assert [(s.location, s.reason) for s in skipped] == [
        ("header-only.csv", "no records (header only)"),
        ("rows.csv:4", "record has no non-empty 'text' field"),
    ]


def test_field_mapping_options(tmp_path):
    (tmp_path / "feed.jsonl").write_text(
        '{"uid": "x1", "story": "Mapped text", "hed": "H", "meta": {"outlet": "O"}, "when": "2024"}\n'
        '{"uid": "x2", "text": "ignored: the text field is story"}\n',
        encoding="utf-8",
    )
    options = ReadOptions(
        id_field="uid",
        text_field="story",
        title_field="hed",
        source_field="meta.outlet",
        date_field="when",
    )
    docs, skipped, _ = _read(tmp_path, options=options)
    assert [(d.id, d.text, d.title, d.source, d.date) for d in docs] == [
        ("x1", "Mapped text", "H", "O", "2024")
    ]
    assert [(s.location, s.reason) for s in skipped] == [
        ("feed.jsonl:2", "record has no non-empty 'story' field")
    ]


def test_cli_field_options_reach_the_reader_and_the_settings(invoke, tmp_path):
    (tmp_path / "a.csv").write_text(
        "key,story\nk1,The same story text for both rows of this file\n"
        "k2,The same story text for both rows of this file\n",
        encoding="utf-8",
    )
    out = invoke(
        ["scan", tmp_path, "-f", "json", "-q", "--id-field", "key", "--text-field", "story"]
    )
    data = json.loads(out.stdout)
    assert [sorted(d["id"] for d in c["documents"]) for c in data["clusters"]] == [["k1", "k2"]]
    assert data["settings"]["id_field"] == "key" and data["settings"]["text_field"] == "story"
    assert "title_field" not in data["settings"]


def test_stdin_is_read_as_json_lines(invoke):
    lines = "".join(
        json.dumps({"id": f"s{i}", "text": "A story sent through a pipe to the scanner"}) + "\n"
        for i in range(2)
    )
    for jobs in ("1", "2"):
        out = invoke(
            ["scan", "-", FORMATS / "courier-ferry.html", "-f", "json", "-q", "-j", jobs],
            input=lines,
        )
        data = json.loads(out.stdout)
        assert [sorted(d["id"] for d in c["documents"]) for c in data["clusters"]] == [["s0", "s1"]]
        assert data["summary"]["documents"] == 3


def test_overlong_jsonl_line_without_newline_is_reported(tmp_path):
    (tmp_path / "one-line.jsonl").write_bytes(b'{"text": "' + b"x" * 5000)
    docs, skipped, _ = _read(tmp_path, max_file_size=100)
    assert docs == []
    assert [s.reason for s in skipped] == [
        "line is longer than the limit (5010 > 100 bytes)",
        "no records (whitespace only)",
    ]


# Compression ----------------------------------------------------------------------------


def _compressors():
    import zstandard

    return {
        ".gz": lambda b: gzip.compress(b, mtime=0),
        ".bz2": bz2.compress,
        ".xz": lzma.compress,
        ".zst": zstandard.ZstdCompressor().compress,
    }


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst"])
def test_compressed_inputs_read_as_their_inner_format(tmp_path, suffix):
    compress = _compressors()[suffix]
    (tmp_path / f"a.txt{suffix}").write_bytes(compress(b"Title\nBody of the text file."))
    (tmp_path / f"b.jsonl{suffix}").write_bytes(compress(b'{"id": "j1", "text": "Line one"}\n'))
    (tmp_path / f"c.csv{suffix}").write_bytes(compress(b"id,text\nc1,Row one\n"))
    docs, skipped, _ = _read(tmp_path)
    assert [(d.id, d.text) for d in docs] == [
        (f"a.txt{suffix}", "Body of the text file."),
        ("j1", "Line one"),
        ("c1", "Row one"),
    ]
    assert skipped == []


def test_compression_bombs_stop_at_the_limit(tmp_path):
    zeros = gzip.compress(b"\n" * 2_000_000, mtime=0)  # 2 MB in about 2 KB
    (tmp_path / "bomb.txt.gz").write_bytes(zeros)
    (tmp_path / "bomb.jsonl.gz").write_bytes(zeros)
    docs, skipped, _ = _read(tmp_path, max_file_size=10_000)
    assert docs == []
    assert [(s.path, s.reason) for s in skipped] == [
        ("bomb.jsonl.gz", "decompressed size exceeds the limit (200000 bytes)"),
        ("bomb.txt.gz", "decompressed size exceeds the limit (10000 bytes)"),
    ]


def test_truncated_stream_keeps_what_was_read(tmp_path):
    import random

    rng = random.Random(1)
    data = "".join(
        json.dumps({"id": f"r{i}", "text": " ".join(str(rng.random()) for _ in range(50))}) + "\n"
        for i in range(500)
    ).encode()
    packed = gzip.compress(data, mtime=0)
    (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    docs, skipped, _ = _read(tmp_path)
    assert 0 < len(docs) < 500
    assert len(skipped) == 1 and skipped[0].reason.startswith("corrupt or truncated .gz data")
    assert skipped[0].reason.endswith(f"; {len(docs)} documents read before it")


def test_unsupported_compressed_file_names_both_suffixes(tmp_path):
    (tmp_path / "archive.tar.gz").write_bytes(gzip.compress(b"x", mtime=0))
    _, skipped, _ = _read(tmp_path)
    assert [s.reason for s in skipped] == ["unsupported file type '.tar.gz'"]


def test_whole_file_formats_respect_max_file_size(tmp_path):
    for name in ("a.html", "b.json", "c.csv", "d.rss"):
        (tmp_path / name).write_text("x" * 500, encoding="utf-8")
    _, skipped, _ = _read(tmp_path, max_file_size=100)
    assert [s.reason for s in skipped] == ["file is larger than the limit (500 > 100 bytes)"] * 4


# Encodings ------------------------------------------------------------------------------


def test_encodings_boms_utf16_and_detected_legacy():
    text = "Новости: городской совет утвердил бюджет на следующий год. " * 3
    assert decode_bytes(text.encode("utf-32"), "x") == (
        text,
        Notice("x", "decoded as UTF-32 (BOM)"),
    )
    assert decode_bytes(text.encode("utf-16-le"), "x") == (
        text,
        Notice("x", "decoded as UTF-16-LE"),
    )
    decoded, notice = decode_bytes(text.encode("cp1251"), "x")
    assert decoded == text
    assert notice.message.endswith("decoded as windows-1251 (detected)")
    western = "Café crème\nEl niño comió “jamón”"
    assert decode_bytes(western.encode("cp1252"), "x") == (
        western,
        Notice("x", "invalid UTF-8 at byte 3; decoded as Windows-1252"),
    )


def test_read_file_accepts_read_options_directly(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"t": "text"}\n', encoding="utf-8")
    items = list(
        read_file(
            InputFile(path, "x.jsonl"), max_file_size=1000, options=ReadOptions(text_field="t")
        )
    )
    assert [type(i).__name__ for i in items] == ["Document"]


def test_warc_records_and_ignored_records(tmp_path):
    docs, skipped, notices = _read(FORMATS / "bayside-crawl.warc.gz")
    assert [d.id for d in docs] == [
        "https://bayside.example/ferry",
        "https://bayside.example/library",
    ]
    assert skipped == []
    assert [n.message for n in notices] == [
        "3 non-HTML WARC records ignored (request 2, response image/png 1)"
    ]
    (tmp_path / "junk.warc").write_bytes(b"this is not a WARC file\r\n\r\n")
    _, skipped, _ = _read(tmp_path)
    assert [s.reason for s in skipped] == ["not a WARC file (record 1 is not a WARC record)"]


def test_text_stays_in_memory_limits_for_io_streams():
    # iter_lines never holds more than the limit for one line.
    from dupdetect.formats.records import iter_lines

    stream = io.BytesIO(b"short\n" + b"y" * 1000 + b"\nlast")
    assert list(iter_lines(stream, 10)) == [b"short\n", 1001, b"last"]
