"""Article records: JSON Lines, JSON arrays and CSV, with a configurable field mapping.

Each record needs a non-empty text field; the other fields are optional. A field left unset
in ``ReadOptions`` is looked up under the usual names (``text``, then ``content``, ``body``,
``article``, ``full_text`` ...). A record without text, or one that cannot be parsed, gives a
Skipped naming the file and the line the record starts on; the other records are read.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from ..models import Document, Notice, Skipped
from . import LoadItem, ReadOptions

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
JSON_SUFFIXES = frozenset({".json"})
CSV_SUFFIXES = frozenset({".csv", ".tsv"})

#: Names tried, in order, for a field the options leave unset.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "guid", "doc_id", "uuid"),
    "text": ("text", "content", "body", "article", "full_text"),
    "title": ("title", "headline"),
    "source": ("source", "site", "sitename", "publisher", "outlet"),
    "url": ("url", "link"),
    "date": ("date", "published", "published_at", "publishedAt", "pubDate", "datetime"),
}
_READ_CHUNK = 1 << 16


def read_record(record: object, rel: str, number: int, options: ReadOptions) -> LoadItem:
    """A Document for one JSON/CSV record, or a Skipped naming ``rel:number`` and the reason."""
    if not isinstance(record, dict):
        return Skipped(rel, f"expected a JSON object, got {type(record).__name__}", line=number)
    text = _text(record, options.text_field)
    if text is None:
        name = options.text_field or "text"
        return Skipped(rel, f"record has no non-empty {name!r} field", line=number)
    doc_id = _lookup(record, "id", options.id_field)
    return Document(
        id=doc_id or f"{rel}:{number}",
        text=text,
        path=rel,
        title=_lookup(record, "title", options.title_field),
        source=_lookup(record, "source", options.source_field),
        url=_lookup(record, "url", None),
        date=_lookup(record, "date", options.date_field),
        line=number,
    )


# JSON Lines ------------------------------------------------------------------------------


def parse_jsonl_lines(
    lines: Iterable[bytes | int],
    rel: str,
    max_line_size: int,
    options: ReadOptions | None = None,
) -> Iterator[LoadItem]:
    """Documents, Skipped and Notices for each line of a JSON Lines byte stream.

    ``lines`` yields each line's bytes, or (from ``iter_lines``) the length of a line that was
    too long to keep.
    """
    options = options or ReadOptions()
    seen_bytes = found_any = False
    for number, raw in enumerate(lines, start=1):
        seen_bytes = True
        size = raw if isinstance(raw, int) else len(raw)
        if size > max_line_size:
            yield Skipped(
                rel, f"line is longer than the limit ({size} > {max_line_size} bytes)", number
            )
        elif isinstance(raw, bytes) and raw.strip():
            found_any = True
            line, notice = _decode_line(raw, rel, number)
            if notice is not None:
                yield notice
            if line is None:
                yield Skipped(rel, "binary data (contains NUL bytes)", number)
            else:
                yield _parse_json_line(line, rel, number, options)
    if not found_any:
        yield Skipped(rel, "no records (whitespace only)" if seen_bytes else "empty file")


def iter_lines(stream: BinaryIO, max_line_size: int) -> Iterator[bytes | int]:
    """Lines of a binary stream; a line longer than ``max_line_size`` comes as its length only.

    Memory stays bounded by ``max_line_size`` whatever the input (a file without newlines).
    """
    while True:
        line = stream.readline(max_line_size + 1)
        if not line:
            return
        if len(line) <= max_line_size or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while True:
            rest = stream.readline(_READ_CHUNK)
            size += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        yield size


def read_stdin_jsonl(max_line_size: int, options: ReadOptions | None) -> Iterator[LoadItem]:
    """JSON Lines from standard input (the path ``-``)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        yield Skipped("<stdin>", "standard input is not readable")
        return
    try:
        yield from parse_jsonl_lines(
            iter_lines(stream, max_line_size), "<stdin>", max_line_size, options
        )
    except OSError as exc:
        yield Skipped("<stdin>", f"read failed: {exc.strerror or exc}")


def _decode_line(raw: bytes, rel: str, number: int) -> tuple[str | None, Notice | None]:
    if b"\x00" in raw:
        return None, None
    raw = raw.rstrip(b"\r\n")
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8"), None
    except UnicodeDecodeError as exc:
        notice = Notice(rel, f"invalid UTF-8 at byte {exc.start}; decoded as Windows-1252", number)
        return raw.decode("cp1252", errors="replace"), notice


def _parse_json_line(line: str, rel: str, number: int, options: ReadOptions) -> LoadItem:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Skipped(rel, f"invalid JSON: {exc.msg} (column {exc.colno})", line=number)
    except RecursionError:
        return Skipped(rel, "invalid JSON: nested too deeply", line=number)
    return read_record(record, rel, number, options)


# JSON arrays -----------------------------------------------------------------------------


def read_json(text: str, rel: str, options: ReadOptions) -> Iterator[LoadItem]:
    """A JSON array of article objects (or a single article object), record by record.

    Records are decoded one at a time, so those before a syntax error are kept and the error
    is reported at its line.
    """
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos == len(text):
        yield Skipped(rel, "empty file" if not text else "no text (whitespace only)")
        return
    if text[pos] == "{":
        yield from _json_values(decoder, text, pos, rel, options, single=True)
        return
    if text[pos] != "[":
        yield Skipped(rel, "expected a JSON array of article objects", _line_of(text, pos))
        return
    yield from _json_values(decoder, text, pos + 1, rel, options, single=False)


def _json_values(
    decoder: json.JSONDecoder, text: str, pos: int, rel: str, options: ReadOptions, single: bool
) -> Iterator[LoadItem]:
    found = 0
    while True:
        pos = _skip_ws(text, pos)
        if not single and pos < len(text) and text[pos] == "]":
            break
        line = _line_of(text, pos)
        try:
            record, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield Skipped(rel, f"invalid JSON: {exc.msg}; the rest of the file is not read", line)
            return
        except RecursionError:
            yield Skipped(rel, "invalid JSON: nested too deeply", line)
            return
        found += 1
        yield read_record(record, rel, line, options)
        if single:
            break
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos >= len(text) or text[pos] != "]":
            yield Skipped(rel, "invalid JSON: expected ',' or ']'", _line_of(text, pos))
            return
    if not found:
        yield Skipped(rel, "no records (empty JSON array)")


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# CSV -------------------------------------------------------------------------------------


def read_csv(
    text: str, rel: str, options: ReadOptions, *, delimiter: str = ","
) -> Iterator[LoadItem]:
    """A CSV file with a header row: one record per row, numbered by the line it starts on."""
    if not text.strip():
        yield Skipped(rel, "empty file" if not text else "no text (whitespace only)")
        return
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        yield Skipped(rel, f"invalid CSV header: {exc}", 1)
        return
    if not header:
        yield Skipped(rel, "no CSV header row")
        return
    found = False
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Skipped(rel, f"invalid CSV: {exc}; the rest of the file is not read", start)
            return
        if any(v for v in row.values() if isinstance(v, str) and v.strip()):
            found = True
            row.pop(None, None)  # values beyond the header
            yield read_record(row, rel, start, options)
        start = reader.line_num + 1
    if not found:
        yield Skipped(rel, "no records (header only)")


# Field lookup ----------------------------------------------------------------------------


def _text(record: dict, name: str | None) -> str | None:
    for key in (name,) if name else DEFAULT_FIELDS["text"]:
        value = record.get(key) if key in record or not name else _get(record, key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _lookup(record: dict, kind: str, name: str | None) -> str:
    for key in (name,) if name else DEFAULT_FIELDS[kind]:
        value = record.get(key) if key in record or not name else _get(record, key)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, dict):  # e.g. {"source": {"id": "x", "name": "Outlet"}}
            value = value.get("name") or value.get("title") or value.get("id")
        if value not in (None, "") and not isinstance(value, list | dict):
            return str(value).strip()
    return ""


def _get(record: dict, key: str) -> object:
    if key in record:
        return record[key]
    if "." not in key:
        return None
    value: object = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
