"""Passage index: drop site chrome, then find passage pairs that share shingles (numpy).

Used by ``passages``. Passages are paragraphs or windows of a document, each with its sorted
unique shingle hashes; pairs come from a sorted inverted index of all passages' shingles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import numpy as np

#: Candidate pairs share at least this many shingles.
MIN_SHARED = 3
#: A shingle in more passages than this pairs them with the first only (as the scan's index).
MAX_BUCKET = 100
#: A shingle found in this many documents is boilerplate, whatever their source.
CHROME_DOCS = 50
#: A passage whose shingles are mostly site boilerplate is not a passage.
BOILERPLATE_SHARE = 0.5


@dataclass(frozen=True)
class Passage:
    """One passage: its document (row), line range and shingle set."""

    doc: int
    start_line: int
    end_line: int
    shingles: np.ndarray


def drop_chrome(
    passages: list[Passage], sources: list[tuple[str, bool]], min_docs: int
) -> list[Passage]:
    """Drop passages whose shingles are mostly site chrome.

    Chrome is a shingle on ``min_docs`` or more pages of an explicit source (as in the scan),
    or, for a source inferred from the folder, on at least half of the folder's pages too (a
    folder can hold many outlets, and a story copied five times in it is still a story).
    Whatever the source, a shingle on CHROME_DOCS or more documents is chrome (a footer of
    an outlet whose pages carry no source field).
    """
    if not min_docs:
        return passages
    groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for k, passage in enumerate(passages):
        if sources[passage.doc][0]:
            groups[sources[passage.doc]].append(k)
    dropped = set(_chrome_passages(passages, list(range(len(passages))), CHROME_DOCS))
    for (_, explicit), members in groups.items():
        pages = len({passages[k].doc for k in members})
        need = min_docs if explicit else max(min_docs, (pages + 1) // 2)
        if pages >= need:
            dropped.update(_chrome_passages([passages[k] for k in members], members, need))
    return [p for k, p in enumerate(passages) if k not in dropped]


def _chrome_passages(group: list[Passage], rows: list[int], need: int) -> list[int]:
    """Rows of the passages of one source whose shingles are mostly on ``need``+ pages."""
    sizes = np.array([p.shingles.size for p in group])
    values = np.concatenate([p.shingles for p in group])
    owners = np.repeat(np.array([p.doc for p in group]), sizes)
    order = np.lexsort((owners, values))
    v, o = values[order], owners[order]
    first = np.ones(v.size, dtype=bool)
    first[1:] = (v[1:] != v[:-1]) | (o[1:] != o[:-1])
    distinct, pages = np.unique(v[first], return_counts=True)
    hits = np.isin(values, distinct[pages >= need]).astype(np.int64)
    shared = np.add.reduceat(hits, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    return [
        row
        for row, n, size in zip(rows, shared, sizes, strict=True)
        if n >= BOILERPLATE_SHARE * size
    ]


def candidate_pairs(passages: list[Passage]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, i < j, of passages sharing at least MIN_SHARED shingles.

    Returns the pairs, their shared-shingle counts, and whether each count is exact. A shingle
    found in more than MAX_BUCKET passages (a stock phrase, or a passage copied very many
    times) pairs each of them with the first only, as the scan's index does; counts of pairs
    touching such a shingle are lower bounds and are verified exactly by the caller.
    """
    n = len(passages)
    if not n:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, bool)
    values = np.concatenate([p.shingles for p in passages])
    owners = np.repeat(np.arange(n), [p.shingles.size for p in passages])
    order = np.argsort(values, kind="stable")
    values, owners = values[order], owners[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(values)) + 1])
    sizes = np.diff(np.concatenate([starts, [values.size]]))
    found = [np.empty((0, 2), dtype=np.int64)]
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= MAX_BUCKET)]).tolist():
        runs = owners[starts[sizes == size][:, None] + np.arange(size)]
        for x, y in combinations(range(size), 2):
            found.append(np.stack([runs[:, x], runs[:, y]], axis=1))
    inexact = np.zeros(n, dtype=bool)
    big = sizes > MAX_BUCKET
    for start, size in zip(starts[big].tolist(), sizes[big].tolist(), strict=True):
        run = owners[start : start + size]
        inexact[run] = True
        found.append(np.stack([np.full(size - 1, run[0]), run[1:]], axis=1))
    pairs = np.sort(np.concatenate(found), axis=1).astype(np.int64)
    keys, counts = np.unique(pairs[:, 0] * n + pairs[:, 1], return_counts=True)
    keep = (counts >= MIN_SHARED) & (keys // n != keys % n)
    pairs = np.stack([keys[keep] // n, keys[keep] % n], axis=1)
    return pairs, counts[keep], ~(inexact[pairs[:, 0]] | inexact[pairs[:, 1]])
