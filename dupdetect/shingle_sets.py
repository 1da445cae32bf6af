"""Shingle sets of a whole scan, kept on disk instead of in memory.

A scan needs every document's exact shingle set twice: for boilerplate counts and for
verifying candidate pairs. Held in memory as numpy arrays they cost ~6 KB per article (12 GB
for a million); here they are appended to one anonymous temporary file and read back with
one ``pread`` each when needed, so the process keeps 12 bytes per document (offset and size)
and the operating system's page cache does the rest. The file vanishes when the object is
closed or garbage-collected, and on any exit.

:class:`ShingleSets` is a mutable sequence of read-only uint64 arrays: ``sets[i]`` reads one,
``sets[i] = array`` replaces one (the new array is appended; the old bytes become garbage),
``sizes`` gives every set's length without reading any. :class:`MemorySets` does the same
in memory, for collections known to be small (a batch of ``index add``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .errors import ScratchSpaceError

_ITEM = np.dtype(np.uint64).itemsize
#: Appended bytes buffered before one write.
_FLUSH_BYTES = 4 << 20


class ShingleSets(Sequence[np.ndarray]):
    """An append-only file of uint64 arrays, addressed by position.

    Args:
        directory: where the temporary file goes (default: ``tempfile.gettempdir()``,
            i.e. ``$TMPDIR``).
    """

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory or tempfile.gettempdir()
        try:
            self._file = tempfile.TemporaryFile(prefix="dupdetect-shingles-", dir=directory)
        except OSError as exc:
            raise self._scratch_error("create", exc) from exc
        self._fd = self._file.fileno()
        self._end = 0
        self._offsets = np.empty(1024, dtype=np.int64)
        self._sizes = np.empty(1024, dtype=np.int64)
        self._count = 0
        self._pending: list[bytes] = []  # appended bytes not yet written, at self._flushed
        self._flushed = 0

    @classmethod
    def of(cls, arrays: Iterable[np.ndarray], directory: str | None = None) -> ShingleSets:
        """A new store holding ``arrays`` in order."""
        sets = cls(directory)
        for array in arrays:
            sets.append(array)
        return sets

    def append(self, array: np.ndarray) -> int:
        """Store ``array`` (converted to uint64) after the others; returns its position."""
        self._reserve(self._count + 1)
        self._offsets[self._count], self._sizes[self._count] = self._write(array)
        self._count += 1
        return self._count - 1

    def extend(self, values: np.ndarray, counts: np.ndarray) -> None:
        """Store many sets at once: ``values`` holds them back to back, ``counts`` their sizes
        (one write for all of them)."""
        counts = np.asarray(counts, dtype=np.int64)
        needed = self._count + counts.size
        self._reserve(needed)
        start, _ = self._write(values)
        ends = np.cumsum(counts) * _ITEM
        self._offsets[self._count : needed] = start + ends - counts * _ITEM
        self._sizes[self._count : needed] = counts
        self._count = needed

    def __setitem__(self, position: int, array: np.ndarray) -> None:
        position = self._position(position)
        self._offsets[position], self._sizes[position] = self._write(array)

    def __getitem__(self, position: int) -> np.ndarray:  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._count))]  # type: ignore[return-value]
        if not 0 <= position < self._count:
            position = self._position(position)
        size = int(self._sizes[position])
        if self._pending:
            self._flush()
        if size == 0:
            return np.empty(0, dtype=np.uint64)
        data = os.pread(self._fd, size * _ITEM, int(self._offsets[position]))
        if len(data) != size * _ITEM:
            raise OSError(f"shingle store truncated at set {position}")
        return np.frombuffer(data, dtype=np.uint64)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(self._count))

    @property
    def sizes(self) -> np.ndarray:
        """The number of shingles of every set, in order (a copy)."""
        return self._sizes[: self._count].copy()

    @property
    def bytes_on_disk(self) -> int:
        """Bytes written to the temporary file so far (replaced sets included)."""
        return self._end

    def prefetch(self, positions: Iterable[int]) -> None:
        """Ask the kernel to read these sets into memory ahead of use (where the operating
        system offers ``posix_fadvise``); in file order, so a cold disk reads forward."""
        advise = getattr(os, "posix_fadvise", None)
        if advise is None:
            return
        self._flush()
        positions = np.unique(np.fromiter(positions, dtype=np.int64))
        offsets, sizes = self._offsets[positions], self._sizes[positions] * _ITEM
        for offset, size in sorted(zip(offsets.tolist(), sizes.tolist(), strict=True)):
            if size:
                advise(self._fd, offset, size, os.POSIX_FADV_WILLNEED)

    def reorder(self, order: Sequence[int] | np.ndarray) -> None:
        """Keep only the sets at positions ``order``, in that order (no data is moved)."""
        order = np.asarray(order, dtype=np.int64)
        if order.size and (order.min() < 0 or order.max() >= self._count):
            raise IndexError("reorder: position out of range")
        self._offsets = self._offsets[order]
        self._sizes = self._sizes[order]
        self._count = int(order.size)

    def close(self) -> None:
        """Delete the temporary file now."""
        self._pending.clear()
        self._file.close()

    def __del__(self) -> None:  # the file belongs to this object: close it with it
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()

    def __enter__(self) -> ShingleSets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reserve(self, needed: int) -> None:
        """Room for ``needed`` sets in the offset and size arrays (doubling)."""
        if needed > self._offsets.size:
            grown = max(needed, 2 * self._offsets.size)
            self._offsets = np.resize(self._offsets, grown)
            self._sizes = np.resize(self._sizes, grown)

    def _write(self, array: np.ndarray) -> tuple[int, int]:
        data = np.ascontiguousarray(array, dtype=np.uint64).tobytes()
        offset = self._end
        self._pending.append(data)
        self._end += len(data)
        if self._end - self._flushed >= _FLUSH_BYTES:
            self._flush()
        return offset, len(data) // _ITEM

    def _flush(self) -> None:
        """Write the buffered appends (one system call for many sets)."""
        if not self._pending:
            return
        view = memoryview(b"".join(self._pending))
        self._pending.clear()
        written = 0
        try:
            while written < view.nbytes:
                written += os.pwrite(self._fd, view[written:], self._flushed + written)
        except OSError as exc:
            raise self._scratch_error("write", exc) from exc
        self._flushed += view.nbytes

    def _scratch_error(self, action: str, exc: OSError) -> ScratchSpaceError:
        return ScratchSpaceError(
            f"cannot {action} the temporary file for shingle sets in {self._directory}: "
            f"{exc.strerror or exc} (a scan needs ~6 KB per article there; set TMPDIR to a "
            "folder with room)"
        )

    def _position(self, position: int) -> int:
        if position < 0:
            position += self._count
        if not 0 <= position < self._count:
            raise IndexError(f"shingle set {position} out of range ({self._count} sets)")
        return position


class MemorySets(Sequence[np.ndarray]):
    """:class:`ShingleSets`' interface over arrays held in memory (views of what was
    appended, no copies): for a bounded number of sets, where the file would only cost."""

    def __init__(self) -> None:
        self._arrays: list[np.ndarray] = []

    def append(self, array: np.ndarray) -> int:
        self._arrays.append(np.asarray(array, dtype=np.uint64))
        return len(self._arrays) - 1

    def extend(self, values: np.ndarray, counts: np.ndarray) -> None:
        ends = np.cumsum(np.asarray(counts, dtype=np.int64))
        if ends.size:
            self._arrays += np.split(np.asarray(values, dtype=np.uint64), ends[:-1])

    def __setitem__(self, position: int, array: np.ndarray) -> None:
        self._arrays[position] = np.asarray(array, dtype=np.uint64)

    def __getitem__(self, position: int) -> np.ndarray:  # type: ignore[override]
        return self._arrays[position]

    def __len__(self) -> int:
        return len(self._arrays)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self._arrays)

    @property
    def sizes(self) -> np.ndarray:
        return np.fromiter((a.size for a in self._arrays), dtype=np.int64, count=len(self))

    def prefetch(self, positions: Iterable[int]) -> None:
        """Nothing to read ahead."""

    def reorder(self, order: Sequence[int] | np.ndarray) -> None:
        self._arrays = [self._arrays[i] for i in np.asarray(order, dtype=np.int64).tolist()]

    def close(self) -> None:
        self._arrays = []
