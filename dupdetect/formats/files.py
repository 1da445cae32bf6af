"""Getting an input's bytes within the limits: whole files, decompressed files, streams.

Whole-file formats (text, HTML, feeds, JSON, CSV) are read into memory: the file, and its
decompressed content, must fit in ``max_file_size``. Streamed formats (JSON Lines, WARC) are
read line by line or record by record; a compressed stream may expand to at most
``DECOMPRESSION_FACTOR`` times ``max_file_size`` in total before it is cut off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..models import Document, Skipped
from . import LoadItem
from .compression import DECOMPRESSION_ERRORS, DecompressedTooLarge, open_decompressed

#: A compressed stream may expand to this many times ``max_file_size`` at most.
DECOMPRESSION_FACTOR = 20
#: Windows only: no newline translation.
_O_BINARY = getattr(os, "O_BINARY", 0)


def read_whole(
    path: str | os.PathLike[str], rel: str, max_file_size: int, compression: str | None
) -> bytes | Skipped:
    """The file's (decompressed) bytes, or a Skipped when too large, corrupt or unreadable."""
    try:
        if compression is None:
            return _read_plain(path, rel, max_file_size)
        size = os.stat(path).st_size
        if size > max_file_size:
            return Skipped(rel, _too_large(size, max_file_size))
        stream = open_decompressed(path, compression, max_file_size)
    except OSError as exc:
        return Skipped(rel, f"cannot read: {exc.strerror or exc}")
    try:
        with stream:
            return stream.read()
    except DecompressedTooLarge as exc:
        return Skipped(rel, str(exc))
    except (*DECOMPRESSION_ERRORS, OSError) as exc:
        return Skipped(rel, corrupt(compression, exc, 0))


def _read_plain(path: str | os.PathLike[str], rel: str, max_file_size: int) -> bytes | Skipped:
    """An uncompressed file's bytes to its end (raises OSError).

    Plain ``os`` calls on a file descriptor: a buffered file object costs twice the time of
    the reads themselves for a news article of a few kilobytes.
    """
    fd = os.open(path, os.O_RDONLY | _O_BINARY)
    try:
        size = os.fstat(fd).st_size
        if size > max_file_size:
            return Skipped(rel, _too_large(size, max_file_size))
        chunks = [os.read(fd, size + 1)]  # one byte more than the size, to reach the end
        while chunks[-1]:  # the file grew since fstat (or was not a regular file)
            chunks.append(os.read(fd, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(size: int, limit: int) -> str:
    return f"file is larger than the limit ({size} > {limit} bytes)"


def read_streamed(
    path: str | os.PathLike[str],
    rel: str,
    compression: str | None,
    max_file_size: int,
    reader: Callable[[BinaryIO], Iterator[LoadItem]],
) -> Iterator[LoadItem]:
    """Items ``reader`` makes of the (decompressed) stream; a failure midway ends with a Skipped.

    Documents read before the failure are kept, and the Skipped says how many there were.
    """
    try:
        stream: BinaryIO = (
            open_decompressed(path, compression, max_file_size * DECOMPRESSION_FACTOR)
            if compression
            else open(path, "rb")
        )
    except OSError as exc:
        yield Skipped(rel, f"cannot read: {exc.strerror or exc}")
        return
    count = 0
    try:
        with stream:
            for item in reader(stream):
                count += isinstance(item, Document)
                yield item
    except DecompressedTooLarge as exc:
        yield Skipped(rel, f"{exc}{_after(count)}")
    except DECOMPRESSION_ERRORS as exc:
        yield Skipped(rel, corrupt(compression, exc, count))
    except OSError as exc:
        if compression:
            yield Skipped(rel, corrupt(compression, exc, count))
        else:
            yield Skipped(rel, f"read failed: {exc.strerror or exc}")


def corrupt(compression: str | None, exc: BaseException, count: int) -> str:
    """The reason for a compressed stream that cannot be decompressed to its end."""
    detail = " ".join(str(exc).split())[:160] or type(exc).__name__
    return f"corrupt or truncated {compression} data ({detail}){_after(count)}"


def _after(count: int) -> str:
    return f"; {count} documents read before it" if count else ""
