"""Pausing Python's cyclic garbage collector while a scan's main process collects results.

A scan's main process makes a few objects per document (its metadata, then the members and
pair scores of clusters) and keeps most of them to the end; it makes almost no reference
cycles (317 cyclic objects in a scan of 10,000 or of 100,000 articles, the same ones).
With the collector on, every few hundred allocations start a collection, and the full ones
traverse every object kept so far: ~0.9 s of the main process's ~5.8 s of CPU in a
100,000-article ``--jobs 2`` scan, for nothing to collect. Documents are parsed in worker
processes then, which collect as usual (HTML parsing makes cycles).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc(pause: bool = True) -> Iterator[None]:
    """Within the block, no automatic cyclic collections (when ``pause``); the collector's
    state before the block is restored after it, and nothing is collected on the way out
    (what little cyclic garbage there is waits for the next automatic collection)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
