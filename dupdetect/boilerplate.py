"""Stage 3b, boilerplate: shingles a site repeats on many of its pages do not count.

Navigation, share and newsletter prompts, copyright footers and "Related Articles" blocks
repeat on every page of a site, so two different stories from one site share hundreds of
shingles, and a wire copy wrapped in that chrome looks less like the original. The signal used
here is document frequency *within a source*: one story appears on a site once, or a few times
as updates, while chrome appears on most of its pages. A shingle found in at least
``min_docs`` documents of the same source is boilerplate for that source and is removed from
those documents' sets before signing and scoring.

A document that would lose almost everything (``keep_share``) keeps its full set: a site's
pages that are nothing but the same caption are identical pages, not empty ones.
Documents without a known source are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np


def remove_boilerplate(
    shingle_sets: list[np.ndarray],
    sources: Sequence[str],
    *,
    min_docs: int = 5,
    keep_share: float = 0.1,
) -> list[float]:
    """Drop from each document the shingles its source repeats in ``min_docs`` or more pages.

    ``shingle_sets`` is changed in place (a cleaned set replaces the original at once, so
    memory does not double on large scans). Returns the share of each document's shingles
    that was removed.

    >>> nav = np.arange(100, 110, dtype=np.uint64)
    >>> story = lambda i: np.arange(i * 20, i * 20 + 5, dtype=np.uint64)
    >>> pages = [np.concatenate([nav, story(i)]) for i in range(4)]
    >>> removed = remove_boilerplate(pages, ["site"] * 4, min_docs=4)
    >>> [s.size for s in pages], removed[0]
    ([5, 5, 5, 5], 0.6667)
    """
    removed = [0.0] * len(shingle_sets)
    for rows in _rows_by_source(sources).values():
        if len(rows) < min_docs:
            continue
        values, counts = np.unique(
            np.concatenate([shingle_sets[r] for r in rows]), return_counts=True
        )
        common = values[counts >= min_docs]
        if common.size == 0:
            continue
        for row in rows:
            original = shingle_sets[row]
            kept = original[~np.isin(original, common, assume_unique=True)]
            if kept.size >= max(1, keep_share * original.size):
                shingle_sets[row] = kept
                removed[row] = round(1 - kept.size / original.size, 4)
    return removed


def _rows_by_source(sources: Sequence[str]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = defaultdict(list)
    for row, source in enumerate(sources):
        if source:
            rows[source.strip().lower()].append(row)
    return rows
