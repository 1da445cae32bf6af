import os

import pytest

from dupdetect.load import decode_bytes, read_inputs
from dupdetect.models import Document, Notice, Skipped


def _read(*paths, **kwargs):
    items = list(read_inputs(paths, **kwargs))
    docs = [i for i in items if isinstance(i, Document)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    notices = [i for i in items if isinstance(i, Notice)]
    return docs, skipped, notices


def test_text_file_title_is_first_non_empty_line(tmp_path):
    (tmp_path / "a.txt").write_text(
        "\n\n  Headline here \n\nBody one.\n\nBody two.\n", encoding="utf-8"
    )
    (tmp_path / "b.md").write_text("# Markdown title\n\nText.\n", encoding="utf-8")
    docs, skipped, _ = _read(tmp_path)
    assert [(d.id, d.title, d.text) for d in docs] == [
        ("a.txt", "Headline here", "Body one.\n\nBody two."),
        ("b.md", "Markdown title", "Text."),
    ]
    assert skipped == []


def test_walk_is_recursive_sorted_and_ids_are_relative(tmp_path):
    for rel in ["z/b.txt", "a.txt", "z/a.txt", "m/deep/x.txt"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"T\n{rel}", encoding="utf-8")
    docs, _, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["a.txt", "m/deep/x.txt", "z/a.txt", "z/b.txt"]


def test_explicit_files_are_relative_to_their_common_parent(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "a.txt").write_text("T\nbody", encoding="utf-8")
    (tmp_path / "y" / "a.txt").write_text("T\nbody", encoding="utf-8")
    docs, _, _ = _read(tmp_path / "y" / "a.txt", tmp_path / "x" / "a.txt")
    assert sorted(d.id for d in docs) == ["x/a.txt", "y/a.txt"]


def test_jsonl_records_and_missing_ids(tmp_path):
    (tmp_path / "feed.jsonl").write_text(
        '{"id": "one", "text": "First story", "title": "T1", "source": "S", "url": "u", "date": "2024-01-01"}\n'
        "\n"
        '{"text": "No id here"}\n',
        encoding="utf-8",
    )
    docs, skipped, _ = _read(tmp_path)
    assert [(d.id, d.line) for d in docs] == [("one", 1), ("feed.jsonl:3", 3)]
    assert docs[0].source == "S" and docs[0].date == "2024-01-01"
    assert skipped == []


def test_malformed_jsonl_lines_are_reported_with_line_numbers(tmp_path):
    (tmp_path / "bad.jsonl").write_text(
        '{"id": "a", "text": "ok"}\n{"id": "x", "text": \n{"id": "y"}\n[1, 2]\n{"id": "b", "text": "ok too"}\n',
        encoding="utf-8",
    )
    docs, skipped, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["a", "b"]
    assert [(s.location, s.reason.split(":")[0]) for s in skipped] == [
        ("bad.jsonl:2", "invalid JSON"),
        ("bad.jsonl:3", "record has no non-empty 'text' field"),
        ("bad.jsonl:4", "expected a JSON object, got list"),
    ]


def test_bad_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n ", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG....")
    (tmp_path / "ok.txt").write_text("Title\nBody", encoding="utf-8")
    docs, skipped, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["ok.txt"]
    assert {s.path: s.reason for s in skipped} == {
        "binary.txt": "binary file (contains NUL bytes)",
        "blank.txt": "no text (whitespace only)",
        "empty.txt": "empty file",
        "photo.png": "unsupported file type '.png'",
    }


def test_legacy_encoding_is_decoded_with_a_notice(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Café crème\nEl niño comió “jamón”".encode("cp1252"))
    docs, skipped, notices = _read(tmp_path)
    assert docs[0].text == "El niño comió “jamón”"
    assert notices == [Notice("latin.txt", "invalid UTF-8 at byte 3; decoded as Windows-1252")]


def test_decode_utf8_bom_and_utf16():
    assert decode_bytes("\ufeffhello".encode("utf-8"), "x") == ("hello", None)
    text, notice = decode_bytes("hello".encode("utf-16"), "x")
    assert text == "hello" and notice is not None


def test_max_file_size(tmp_path):
    (tmp_path / "big.txt").write_text("T\n" + "word " * 100, encoding="utf-8")
    docs, skipped, _ = _read(tmp_path, max_file_size=50)
    assert docs == []
    assert skipped[0].reason.startswith("file is larger than the limit")


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlinks_are_reported_not_followed_and_loops_detected(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("T\nbody", encoding="utf-8")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")
    docs, skipped, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["d/a.txt"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("d/loop", "symbolic link not followed (use --follow-symlinks)")
    ]
    docs, skipped, _ = _read(tmp_path, follow_symlinks=True)
    assert [d.id for d in docs] == ["d/a.txt"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("d/loop", "symlink loop (directory already visited)")
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("T\nbody", encoding="utf-8")
    path.chmod(0)
    _, skipped, _ = _read(tmp_path)
    assert skipped[0].reason == "cannot read: Permission denied"


def test_hidden_entries_are_reported(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("T\nbody", encoding="utf-8")
    (tmp_path / "a.txt").write_text("T\nbody", encoding="utf-8")
    docs, skipped, _ = _read(tmp_path)
    assert [d.id for d in docs] == ["a.txt"]
    assert [(s.path, s.reason) for s in skipped] == [(".git", "hidden (name starts with '.')")]


def test_read_error_is_reported_not_raised(tmp_path, monkeypatch):
    # Root can read a chmod-0 file, so simulate the OS refusing the read.
    (tmp_path / "a.txt").write_text("T\nbody", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)  # how whole files are opened
    docs, skipped, _ = _read(tmp_path)
    assert docs == []
    assert [(s.path, s.reason) for s in skipped] == [("a.txt", "cannot read: Permission denied")]


def test_jsonl_is_streamed_and_the_size_limit_is_per_line(tmp_path):
    small = '{"id": "a", "text": "short story"}\n'
    big = '{"id": "b", "text": "' + "word " * 40 + '"}\n'
    (tmp_path / "feed.jsonl").write_text(
        small + big + small.replace('"a"', '"c"'), encoding="utf-8"
    )
    docs, skipped, _ = _read(tmp_path, max_file_size=100)
    assert [d.id for d in docs] == ["a", "c"]
    assert [(s.location, s.reason) for s in skipped] == [
        ("feed.jsonl:2", f"line is longer than the limit ({len(big)} > 100 bytes)")
    ]


def test_jsonl_line_in_legacy_encoding_gets_a_line_notice(tmp_path):
    (tmp_path / "feed.jsonl").write_bytes(
        b'{"id": "a", "text": "ok"}\n' + '{"id": "b", "text": "Caf\u00e9"}\n'.encode("cp1252")
    )
    docs, _, notices = _read(tmp_path)
    assert [d.text for d in docs] == ["ok", "Café"]
    assert [(n.location, n.message) for n in notices] == [
        ("feed.jsonl:2", "invalid UTF-8 at byte 24; decoded as Windows-1252")
    ]
