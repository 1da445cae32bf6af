"""Growable numpy buffers for per-document data collected one document at a time.

A million small numpy arrays cost ~100 bytes of object overhead each on top of their data;
the scan instead appends rows (band keys) and variable-length runs (containment samples) to
buffers that double when full.
"""

from __future__ import annotations

import numpy as np


class RowBuffer:
    """Rows of a fixed width appended one at a time: ``rows`` is a view of what was added."""

    def __init__(self, width: int, dtype: type) -> None:
        self._data = np.empty((64, width), dtype=dtype)
        self._count = 0

    def append(self, row: np.ndarray) -> None:
        """Add one row (its length must be the buffer's width)."""
        if self._count == self._data.shape[0]:
            grown = np.empty((2 * self._count, self._data.shape[1]), dtype=self._data.dtype)
            grown[: self._count] = self._data
            self._data = grown
        self._data[self._count] = row
        self._count += 1

    @property
    def rows(self) -> np.ndarray:
        """The rows added so far, in order (a view)."""
        return self._data[: self._count]


class RunBuffer:
    """Variable-length runs of values appended one at a time (one run per document)."""

    def __init__(self, dtype: type) -> None:
        self._values = np.empty(1024, dtype=dtype)
        self._end = 0
        self.counts: list[int] = []

    def append(self, run: np.ndarray) -> None:
        """Add one run (possibly empty)."""
        needed = self._end + run.size
        if needed > self._values.size:
            grown = np.empty(max(needed, 2 * self._values.size), dtype=self._values.dtype)
            grown[: self._end] = self._values[: self._end]
            self._values = grown
        self._values[self._end : needed] = run
        self._end = needed
        self.counts.append(int(run.size))

    @property
    def values(self) -> np.ndarray:
        """Every run's values, concatenated in order (a view)."""
        return self._values[: self._end]
