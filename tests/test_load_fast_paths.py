"""The shortcuts of the read path give what the plain definitions give."""

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dupdetect.formats.compression import split_compression
from dupdetect.load import (
    InputFile,
    _file_name,
    _file_suffixes,
    decode_bytes,
    parse_text,
    read_file,
)
from dupdetect.models import Document, Skipped

LINE_PIECES = [
    "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u2028", "\u2029",
    " ", "\t", "\u00a0", "#", "## ", "Title", "body text", "x",
]  # fmt: skip
texts = st.lists(st.sampled_from(LINE_PIECES), max_size=12).map("".join) | st.text(max_size=40)


@given(texts)
def test_parse_text_splits_title_and_body_at_any_line_break(text):
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    (item,) = parse_text(text, "a.txt")
    if first is None:
        assert isinstance(item, Skipped)
        return
    title = lines[first].strip().lstrip("#").strip()
    body = "\n".join(lines[first + 1 :]).strip()
    assert item == Document(id="a.txt", text=body or title, path="a.txt", title=title)


@given(st.lists(st.sampled_from(["a", "b.txt", ".", "..", "", "c.tar.gz"]), max_size=4))
def test_file_name_is_the_paths_name(parts):
    for location in ("/".join(parts), "/".join(parts) + "/", "/".join(parts) + "/."):
        assert _file_name(location) == Path(location).name


NAME_PIECES = ["a", "b.txt", ".", "..", "", "c.tar.gz", ".TXT", "d.Jsonl", ".gz", "e.html", "\\"]


@given(st.lists(st.sampled_from(NAME_PIECES), max_size=4), st.sampled_from(["", "/", "/."]))
def test_file_suffixes_are_those_of_the_name(parts, end):
    location = "/".join(parts) + end
    inner, compression = split_compression(_file_name(location))
    assert _file_suffixes(location) == (os.path.splitext(inner)[1].lower(), compression)
    assert _file_suffixes(Path(location or ".")) == _file_suffixes(os.fspath(Path(location or ".")))


def test_invalid_utf8_after_a_bom_counts_bytes_from_after_the_bom():
    # As bytes.decode("utf-8-sig") reports it.
    _, notice = decode_bytes(b"\xef\xbb\xbfab\xff", "x")
    assert notice is not None and notice.message.startswith("invalid UTF-8 at byte 2;")
    assert decode_bytes(b"\xef\xbb\xbfab", "x") == ("ab", None)


def test_whole_files_at_and_over_the_size_limit(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "limit.txt").write_bytes(b"T\n" + b"x" * 8)
    items = [
        item
        for name in ("empty.txt", "limit.txt")
        for item in read_file(InputFile(str(tmp_path / name), name), max_file_size=10)
    ]
    assert items == [
        Skipped("empty.txt", "empty file"),
        Document(id="limit.txt", text="x" * 8, path="limit.txt", title="T"),
    ]
    (over,) = read_file(InputFile(str(tmp_path / "limit.txt"), "l"), max_file_size=9)
    assert over == Skipped("l", "file is larger than the limit (10 > 9 bytes)")
