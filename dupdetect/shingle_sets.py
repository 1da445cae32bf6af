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

A scan's worker processes write the sets they make straight to files of their own in the
store's spill folder (:func:`spill`), and the store adopts those bytes where they are
(:meth:`ShingleSets.extend_spilled_at`): the sets never travel through the main process, which
is the scan's busiest. :meth:`ShingleSets.overlaps` counts shared values of many pairs in one
call, reading each set from whichever file holds it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .errors import ScratchSpaceError

try:  # the C pread + merge walk over many pairs (setup.py); the Python loop is the fallback
    from ._speedups import overlaps_at as _c_overlaps_at
except ImportError:  # pragma: no cover - without a compiler, or on Windows
    _c_overlaps_at = None

_ITEM = np.dtype(np.uint64).itemsize
#: Appended bytes buffered before one write.
_FLUSH_BYTES = 4 << 20
#: ShingleSets.overlaps gives another thread at least this many pairs, or none.
_PAIRS_PER_THREAD = 10_000


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
        self._fds = [self._fd]  # file number -> descriptor: 0 is ours, then adopted spills
        self._spilled: dict[str, int] = {}  # spill file name -> file number
        self._spill_folder: str | None = None
        self._end = 0
        self._offsets = np.empty(1024, dtype=np.int64)
        self._sizes = np.empty(1024, dtype=np.int64)
        self._files = np.empty(1024, dtype=np.int32)  # file number of every set
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
        self._files[self._count] = 0
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
        self._files[self._count : needed] = 0
        self._count = needed

    @property
    def spill_folder(self) -> str:
        """The folder where :func:`spill` writes sets for this store (made on first use,
        removed with the store)."""
        if self._spill_folder is None:
            try:
                self._spill_folder = tempfile.mkdtemp(prefix="dupdetect-sets-", dir=self._directory)
            except OSError as exc:
                raise scratch_error("create a temporary folder", self._directory, exc) from exc
        return self._spill_folder

    def extend_spilled_at(self, spilled: Spilled, offsets: np.ndarray, counts: np.ndarray) -> None:
        """Store sets a :func:`spill` wrote, ``counts[k]`` values at byte ``offsets[k]`` of
        ``spilled.file`` (all of a spill's sets: ``spill_starts``, or some of them); the
        bytes stay where they are."""
        counts = np.asarray(counts, dtype=np.int64)
        needed = self._count + counts.size
        self._reserve(needed)
        self._offsets[self._count : needed] = offsets
        self._sizes[self._count : needed] = counts
        self._files[self._count : needed] = self._adopt(spilled.file)
        self._count = needed

    def __setitem__(self, position: int, array: np.ndarray) -> None:
        position = self._position(position)
        self._offsets[position], self._sizes[position] = self._write(array)
        self._files[position] = 0

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
        fd = self._fds[self._files[position]]
        data = os.pread(fd, size * _ITEM, int(self._offsets[position]))
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
        files, offsets = self._files[positions], self._offsets[positions]
        sizes = self._sizes[positions] * _ITEM
        places = zip(files.tolist(), offsets.tolist(), sizes.tolist(), strict=True)
        for file, offset, size in sorted(places):
            if size:
                advise(self._fds[file], offset, size, os.POSIX_FADV_WILLNEED)

    def overlaps(self, pairs: np.ndarray, threads: int = 1) -> np.ndarray:
        """How many values the two sets of every pair of positions share (``int64``, one per
        row of the ``(n, 2)`` array ``pairs``); sorted by first position, each first set is
        read once per run of pairs. With ``threads`` > 1, a large batch is split among that
        many threads (the C loop runs without the GIL)."""
        pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
        self._flush()
        if pairs.size and (pairs.min() < 0 or pairs.max() >= self._count):
            raise IndexError("overlaps: position out of range")
        shared = np.zeros(len(pairs), dtype=np.int64)
        if _c_overlaps_at is None:
            return _overlaps_by_reading(self, pairs, shared)
        fds = np.array(self._fds, dtype=np.int32)[self._files[: self._count]]
        where = (fds, self._offsets[: self._count], self._sizes[: self._count])
        parts = max(1, min(threads, len(pairs) // _PAIRS_PER_THREAD))
        bounds = np.linspace(0, len(pairs), parts + 1).astype(np.int64).tolist()
        try:
            if parts == 1:
                _c_overlaps_at(*where, pairs, shared)
                return shared
            with ThreadPoolExecutor(parts) as pool:
                tasks = [
                    pool.submit(_c_overlaps_at, *where, pairs[start:stop], shared[start:stop])
                    for start, stop in zip(bounds, bounds[1:], strict=False)
                ]
                for task in tasks:
                    task.result()
        except OSError as exc:
            raise OSError(f"cannot read the shingle store: {exc.strerror or exc}") from exc
        return shared

    def reorder(self, order: Sequence[int] | np.ndarray) -> None:
        """Keep only the sets at positions ``order``, in that order (no data is moved)."""
        order = np.asarray(order, dtype=np.int64)
        if order.size and (order.min() < 0 or order.max() >= self._count):
            raise IndexError("reorder: position out of range")
        self._offsets = self._offsets[order]
        self._sizes = self._sizes[order]
        self._files = self._files[order]
        self._count = int(order.size)

    def close(self) -> None:
        """Delete the temporary files now."""
        self._pending.clear()
        self._release()

    def __del__(self) -> None:  # the files belong to this object: close them with it
        self._release()

    def _release(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()
        for fd in getattr(self, "_fds", [])[1:]:
            os.close(fd)
        self._fds = []
        folder, self._spill_folder = getattr(self, "_spill_folder", None), None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

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
            self._files = np.resize(self._files, grown)

    def _adopt(self, name: str) -> int:
        """The file number of spill file ``name``, opened (and unlinked, so that it goes away
        with the last descriptor) the first time it is seen."""
        if name not in self._spilled:
            path = os.path.join(self.spill_folder, name)
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError as exc:
                raise scratch_error("open a temporary file", self._directory, exc) from exc
            os.unlink(path)
            self._spilled[name] = len(self._fds)
            self._fds.append(fd)
        return self._spilled[name]

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
        return scratch_error(f"{action} the temporary file", self._directory, exc)

    def _position(self, position: int) -> int:
        if position < 0:
            position += self._count
        if not 0 <= position < self._count:
            raise IndexError(f"shingle set {position} out of range ({self._count} sets)")
        return position


def spill_starts(offset: int, counts: np.ndarray) -> np.ndarray:
    """Byte offsets of sets of ``counts`` values stored back to back from ``offset``."""
    counts = np.asarray(counts, dtype=np.int64)
    return offset + (np.cumsum(counts) - counts) * _ITEM


def _overlaps_by_reading(
    sets: Sequence[np.ndarray], pairs: np.ndarray, shared: np.ndarray
) -> np.ndarray:
    """``ShingleSets.overlaps`` a pair at a time (without the C module)."""
    first_row, first = -1, np.empty(0, dtype=np.uint64)
    for k, (a, b) in enumerate(pairs.tolist()):
        if a != first_row:
            first_row, first = a, sets[a]
        shared[k] = np.intersect1d(first, sets[b], assume_unique=True).size
    return shared


@dataclass(frozen=True)
class Spilled:
    """Where :func:`spill` put a run of sets: file ``file`` of the spill folder, from byte
    ``offset`` on."""

    file: str
    offset: int


#: Spill files this process writes: folder -> (descriptor, name, bytes written).
_SPILL_FILES: dict[str, tuple[int, str, int]] = {}


def spill(folder: str, sets: Sequence[np.ndarray]) -> Spilled:
    """Append ``sets`` (uint64 arrays), back to back, to this process's file in ``folder``
    (a :attr:`ShingleSets.spill_folder`); where they are, for
    :meth:`ShingleSets.extend_spilled_at`. One ``pwritev`` for many sets, no copy.

    Each process writes a file of its own, so writers never share an offset.

    Raises:
        ScratchSpaceError: the file cannot be created or written (e.g. the disk is full).
    """
    arrays = [np.ascontiguousarray(s, dtype=np.uint64) for s in sets]
    fd, name, end = _SPILL_FILES.get(folder) or _new_spill_file(folder)
    at = end
    try:
        for start in range(0, len(arrays), _IOV_MAX):
            at = _write_all(fd, arrays[start : start + _IOV_MAX], at)
    except OSError as exc:
        raise scratch_error("write a temporary file", os.path.dirname(folder), exc) from exc
    _SPILL_FILES[folder] = (fd, name, at)
    return Spilled(name, end)


def _write_all(fd: int, arrays: list[np.ndarray], offset: int) -> int:
    """Write ``arrays`` (C-contiguous) back to back at ``offset`` (finishing a short
    ``pwritev`` one buffer at a time); returns the offset after them."""
    total = sum(array.nbytes for array in arrays)
    written = os.pwritev(fd, arrays, offset) if hasattr(os, "pwritev") else 0
    if written == total:  # the whole run at once: nearly always
        return offset + total
    for view in (memoryview(array).cast("B") for array in arrays):
        if written >= view.nbytes:
            written -= view.nbytes
            offset += view.nbytes
            continue
        rest, offset = view[written:], offset + written
        while rest.nbytes:
            done = os.pwrite(fd, rest, offset)
            offset, rest = offset + done, rest[done:]
        written = 0
    return offset


#: Buffers a single ``pwritev`` takes at most (Linux's IOV_MAX).
_IOV_MAX = 1024


def _new_spill_file(folder: str) -> tuple[int, str, int]:
    for stale in [f for f in _SPILL_FILES if not os.path.isdir(f)]:  # an earlier scan's
        os.close(_SPILL_FILES.pop(stale)[0])
    name = f"{os.getpid()}.u64"
    try:
        fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise scratch_error("create a temporary file", os.path.dirname(folder), exc) from exc
    return fd, name, 0


def scratch_error(what: str, folder: str, exc: OSError) -> ScratchSpaceError:
    """The one-line error for a temporary file of shingle sets that failed (``what``:
    "create the temporary file", ...) in ``folder``."""
    return ScratchSpaceError(
        f"cannot {what} for shingle sets in {folder}: {exc.strerror or exc} (a scan needs "
        "~6 KB per article there; set TMPDIR to a folder with room)"
    )


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
