"""WARC crawls: every HTML ``response`` record becomes a Document through the HTML extractor.

The id is the record's WARC-Target-URI (else its WARC-Record-ID). Records that are not HTML
responses (requests, warcinfo, metadata, images ...) are counted in one Notice per file.
Records are streamed; each payload is read up to ``max_file_size`` bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

from ..models import Notice, Skipped
from . import LoadItem
from .encoding import decode_bytes
from .html import declared_charset, read_html

WARC_SUFFIXES = frozenset({".warc"})
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(stream: BinaryIO, rel: str, max_file_size: int) -> Iterator[LoadItem]:
    """Documents for the HTML responses in a (decompressed) WARC stream."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    ignored: Counter[str] = Counter()
    records = 0
    try:
        for record in ArchiveIterator(stream):
            if record.format != "warc":
                yield Skipped(rel, f"not a WARC file (record {records + 1} is not a WARC record)")
                return
            records += 1
            kind = _html_response(record)
            if kind is not None:
                ignored[kind] += 1
                continue
            yield from _read_record(record, rel, records, max_file_size)
    except ArchiveLoadFailed as exc:
        yield Skipped(rel, f"invalid WARC after {records} records: {_one_line(exc)}")
    if ignored:
        detail = ", ".join(f"{kind} {count}" for kind, count in sorted(ignored.items()))
        total = sum(ignored.values())
        yield Notice(rel, f"{total} non-HTML WARC records ignored ({detail})")
    elif not records:
        yield Skipped(rel, "no WARC records")


def _html_response(record) -> str | None:  # noqa: ANN001 - warcio record
    """None for an HTML response record, else a short name of what it is."""
    if record.rec_type != "response":
        return record.rec_type or "unknown"
    headers = record.http_headers
    content_type = (headers.get_header("Content-Type") or "") if headers is not None else ""
    if not any(t in content_type.lower() for t in _HTML_TYPES):
        return f"response {content_type.split(';')[0].strip() or 'without Content-Type'}"
    return None


def _read_record(record, rel: str, number: int, max_file_size: int) -> Iterator[LoadItem]:  # noqa: ANN001
    headers = record.rec_headers
    uri = (headers.get_header("WARC-Target-URI") or "").strip()
    doc_id = uri or (headers.get_header("WARC-Record-ID") or "").strip() or f"{rel}#{number}"
    payload = record.content_stream().read(max_file_size + 1)
    if len(payload) > max_file_size:
        yield Skipped(rel, f"record {doc_id}: larger than the limit ({max_file_size} bytes)")
        return
    content_type = record.http_headers.get_header("Content-Type") or ""
    charset = content_type.lower().partition("charset=")[2].strip(" \"';") or None
    text, notice = decode_bytes(payload, rel, declared=charset or declared_charset(payload))
    if notice is not None:
        yield Notice(rel, f"record {doc_id}: {notice.message}")
    if text is None:
        yield Skipped(rel, f"record {doc_id}: binary content")
        return
    yield from read_html(text, rel, doc_id=doc_id, url=uri)


def _one_line(problem: object) -> str:
    return " ".join(str(problem).split())[:200]
