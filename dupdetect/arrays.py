"""Growable numpy buffers for per-document data collected one document at a time.

A million small numpy arrays cost ~100 bytes of object overhead each on top of their data,
and a buffer that doubles when full needs three times its size while it grows. These buffers
fill fixed-size blocks instead, and hand their content over once at the end, freeing each
block as soon as it is copied: at most one block more than the result is ever held.
"""

from __future__ import annotations

import numpy as np

#: Values per block (a few MB: small next to the whole, large enough to amortize appends).
BLOCK_VALUES = 1 << 20


class RowBuffer:
    """Rows of a fixed width appended one at a time."""

    def __init__(self, width: int, dtype: type) -> None:
        self.width = width
        self._dtype = np.dtype(dtype)
        self._block_rows = max(1, BLOCK_VALUES // max(width, 1))
        self._blocks: list[np.ndarray] = []
        self._filled = self._block_rows  # rows used in the last block
        self.count = 0

    def append(self, row: np.ndarray) -> None:
        """Add one row (its length must be the buffer's width)."""
        if self._filled == self._block_rows:
            self._blocks.append(np.empty((self._block_rows, self.width), dtype=self._dtype))
            self._filled = 0
        self._blocks[-1][self._filled] = row
        self._filled += 1
        self.count += 1

    def extend(self, rows: np.ndarray) -> None:
        """Add many rows (a ``(n, width)`` array)."""
        done = 0
        while done < rows.shape[0]:
            if self._filled == self._block_rows:
                self._blocks.append(np.empty((self._block_rows, self.width), dtype=self._dtype))
                self._filled = 0
            step = min(rows.shape[0] - done, self._block_rows - self._filled)
            self._blocks[-1][self._filled : self._filled + step] = rows[done : done + step]
            self._filled += step
            done += step
        self.count += rows.shape[0]

    def take(self, positions: np.ndarray) -> np.ndarray:
        """All rows, row ``k`` (in order of appending) moved to ``positions[k]``; empties the
        buffer."""
        out = np.empty((self.count, self.width), dtype=self._dtype)
        done = 0
        while self._blocks:
            block = self._blocks.pop(0)
            rows = min(self._block_rows, self.count - done)
            out[positions[done : done + rows]] = block[:rows]
            done += rows
        self.count = 0
        return out


class RunBuffer:
    """Variable-length runs of values appended one at a time (one run per document)."""

    def __init__(self, dtype: type) -> None:
        self._dtype = np.dtype(dtype)
        self._blocks: list[np.ndarray] = []
        self._filled = BLOCK_VALUES  # values used in the last block
        self.counts: list[int] = []

    def append(self, run: np.ndarray) -> None:
        """Add one run (possibly empty)."""
        self.counts.append(int(run.size))
        self._copy(run)

    def extend(self, values: np.ndarray, counts: np.ndarray) -> None:
        """Add many runs at once: ``values`` holds them back to back, ``counts`` their sizes."""
        self.counts.extend(counts.tolist())
        self._copy(values)

    def _copy(self, run: np.ndarray) -> None:
        at = 0
        while at < run.size:
            if self._filled == BLOCK_VALUES:
                self._blocks.append(np.empty(BLOCK_VALUES, dtype=self._dtype))
                self._filled = 0
            step = min(run.size - at, BLOCK_VALUES - self._filled)
            self._blocks[-1][self._filled : self._filled + step] = run[at : at + step]
            self._filled += step
            at += step

    def take_values(self) -> np.ndarray:
        """Every run's values, concatenated in order; empties the buffer of its values."""
        total = sum(self.counts)
        out = np.empty(total, dtype=self._dtype)
        done = 0
        while self._blocks:
            block = self._blocks.pop(0)
            size = min(BLOCK_VALUES, total - done)
            out[done : done + size] = block[:size]
            done += size
        return out
