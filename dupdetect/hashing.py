"""Small hash mixers shared by the stages that hash numpy arrays."""

from __future__ import annotations

import numpy as np

# Distinct odd 64-bit constants for position-dependent mixing of several hashes into one.
MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    ],
    dtype=np.uint64,
)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: a bijection on uint64 that spreads every input bit."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def combine_columns(columns: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of an unsigned array's last axis (order of columns matters):
    ``(rows, width)`` gives ``(rows,)``, ``(rows, bands, width)`` gives ``(rows, bands)``.

    Rows of any width are folded in groups of ``len(MULTIPLIERS)`` columns.
    """
    columns = columns.astype(np.uint64, copy=False)
    combined = np.zeros(columns.shape[:-1], dtype=np.uint64)
    width = len(MULTIPLIERS)
    for start in range(0, columns.shape[-1], width):
        block = columns[..., start : start + width]
        mixed = (block * MULTIPLIERS[: block.shape[-1]]).sum(axis=-1, dtype=np.uint64)
        combined = fmix64(combined * MULTIPLIERS[1] + mixed)
    return combined
