"""Transparent decompression of ``.gz``, ``.bz2``, ``.xz`` and ``.zst`` inputs, with a size cap.

Every decompressed stream goes through ``LimitedReader``, which stops with
``DecompressedTooLarge`` as soon as more than the allowed number of bytes come out, so a
compression bomb costs at most that many bytes of work, never memory for the whole expansion.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zlib
from typing import BinaryIO

COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")


class DecompressedTooLarge(Exception):
    """More decompressed bytes than the limit allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"decompressed size exceeds the limit ({limit} bytes)")
        self.limit = limit


def _zstd_errors() -> tuple[type[BaseException], ...]:
    try:
        import zstandard
    except ImportError:  # pragma: no cover - zstandard is a dependency
        return ()
    return (zstandard.ZstdError,)


#: What a corrupt or truncated compressed stream raises, whichever the codec.
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    zlib.error,
    lzma.LZMAError,
    gzip.BadGzipFile,
    *_zstd_errors(),
)


def split_compression(name: str) -> tuple[str, str | None]:
    """``("article.jsonl", ".gz")`` for ``article.jsonl.gz``; ``(name, None)`` if not compressed."""
    lower = name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, None


def open_decompressed(path: str | os.PathLike[str], compression: str, limit: int) -> BinaryIO:
    """A buffered binary stream of the decompressed content, failing past ``limit`` bytes."""
    raw = open(path, "rb")
    try:
        stream: BinaryIO
        if compression == ".gz":
            stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        elif compression == ".bz2":
            stream = bz2.BZ2File(raw, mode="rb")  # type: ignore[assignment]
        elif compression == ".xz":
            stream = lzma.LZMAFile(raw, mode="rb")  # type: ignore[assignment]
        elif compression == ".zst":
            import zstandard

            stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        else:  # pragma: no cover - split_compression only returns the suffixes above
            raise ValueError(f"unknown compression {compression!r}")
    except BaseException:
        raw.close()
        raise
    return io.BufferedReader(LimitedReader(stream, limit, closes=raw), buffer_size=64 * 1024)


def read_decompressed(path: str | os.PathLike[str], compression: str, limit: int) -> bytes:
    """All decompressed bytes (at most ``limit``; else ``DecompressedTooLarge``)."""
    with open_decompressed(path, compression, limit) as stream:
        return stream.read()


class LimitedReader(io.RawIOBase):
    """A raw stream that raises ``DecompressedTooLarge`` once more than ``limit`` bytes are read."""

    def __init__(self, inner: BinaryIO, limit: int, closes: BinaryIO | None = None) -> None:
        self._inner = inner
        self._closes = closes
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        size = len(data)
        self._count += size
        if self._count > self._limit:
            raise DecompressedTooLarge(self._limit)
        buffer[:size] = data
        return size

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                if self._closes is not None:
                    self._closes.close()
        super().close()
