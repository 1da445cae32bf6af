"""The scan's corpus: every document's metadata, shingle set, band keys and samples.

``build_corpus`` collects what the workers made (``workers.shingle_chunks``), first of each
id, sorted by id: metadata in memory, shingle sets in a disk-backed :class:`ShingleSets`,
band keys and containment samples in flat arrays. ``index_keys`` brings keys and samples up
to date after boilerplate removal changed some sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .arrays import RowBuffer, RunBuffer
from .config import ScanConfig
from .index import SampleRuns, band_keys, containment_samples
from .models import Notice, Skipped
from .shingle_sets import MemorySets, ShingleSets, spill_starts
from .sign import Signer
from .workers import DocumentInfo, PackedChunk, ShingleItem

Progress = Callable[[str, int, int | None], None]


@dataclass
class Corpus:
    """Shingled documents, sorted by id, with everything that was skipped on the way.

    ``shingle_sets`` is a disk-backed :class:`ShingleSets` after ``build_corpus`` (any
    sequence of arrays works); ``band_keys`` (one row per document) and ``samples`` are what
    the workers computed for the LSH and containment indexes, None where not computed.
    """

    infos: list[DocumentInfo] = field(default_factory=list)
    shingle_sets: Sequence[np.ndarray] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    boilerplate: list[float] = field(default_factory=list)
    band_keys: np.ndarray | None = None
    samples: SampleRuns | None = None


def build_corpus(
    items: Iterable[ShingleItem | PackedChunk],
    report: Progress,
    *,
    in_memory: bool = False,
    sets: ShingleSets | None = None,
) -> Corpus:
    """Collect shingled documents (first of each id), Skipped and Notice items, sorted.

    ``items`` are single items or whole packed chunks (``workers.shingle_chunks``, taken in
    bulk). Shingle sets go to a temporary file as they arrive, or to ``sets`` (which must be
    given for chunks spilled to its ``spill_folder``), or stay in memory (``in_memory``, for
    small batches); band keys and samples into block buffers. Nothing per document stays in
    memory but its metadata.
    """
    if sets is None:
        sets = MemorySets() if in_memory else ShingleSets()  # type: ignore[assignment]
    collector = _Collector(report, sets)  # type: ignore[arg-type]
    for item in items:
        if isinstance(item, PackedChunk):
            collector.add_chunk(item)
        else:
            collector.add_item(item)
    return collector.finish()


class _Collector:
    """``build_corpus``'s state: documents in arrival order, first of each id."""

    def __init__(self, report: Progress, sets: ShingleSets | MemorySets) -> None:
        self.report = report
        self.corpus = Corpus()
        self.first_row: dict[str, int] = {}
        self.infos: list[DocumentInfo] = []
        self.sets = sets
        self.keys: RowBuffer | None = None
        self.samples = RunBuffer(np.uint32)

    def add_item(self, item: ShingleItem) -> None:
        """One Skipped, Notice or Shingled (with its arrays)."""
        if isinstance(item, Skipped):
            self.corpus.skipped.append(item)
        elif isinstance(item, Notice):
            self.corpus.notices.append(item)
        elif self._is_new(item.info, item.line, item.shingles is not None):
            self.sets.append(item.shingles)  # type: ignore[arg-type]
            if item.band_keys is not None:
                self._keys(item.band_keys.size).append(item.band_keys)
            self.samples.append(item.samples if item.samples is not None else _NO_SAMPLES)
            self._progress(1)

    def add_chunk(self, packed: PackedChunk) -> None:
        """A packed chunk: metadata one by one, then each array once for the whole chunk."""
        counts = packed.shingle_counts
        kept: list[bool] = []
        others, added = packed.others, 0
        rows = zip(packed.infos, packed.lines, (counts >= 0).tolist(), strict=True)
        for document, (info, line, has_words) in enumerate(rows):
            while added < len(others) and others[added][0] == document + added:
                self.add_item(others[added][1])  # the items before it, in their order
                added += 1
            new = self._is_new(info, line, has_words)
            if has_words:
                kept.append(new)
        for _, item in others[added:]:
            self.add_item(item)
        if not kept:
            return
        shingle_counts = counts[counts >= 0]
        shingles, keys = packed.shingles, packed.keys
        samples, sample_counts = packed.samples, packed.sample_counts
        spilled_at = None
        if packed.spilled is not None:
            spilled_at = spill_starts(packed.spilled.offset, shingle_counts)
        if not all(kept):
            mask = np.array(kept)
            if spilled_at is None:
                shingles = shingles[np.repeat(mask, shingle_counts)]
            else:
                spilled_at = spilled_at[mask]
            samples = samples[np.repeat(mask, sample_counts)]
            shingle_counts, sample_counts, keys = (
                shingle_counts[mask],
                sample_counts[mask],
                keys[mask],
            )
        if packed.spilled is None:
            self.sets.extend(shingles, shingle_counts)
        else:
            self.sets.extend_spilled_at(packed.spilled, spilled_at, shingle_counts)  # type: ignore[union-attr]
        if keys.size:
            self._keys(keys.shape[1]).extend(keys)
        self.samples.extend(samples, sample_counts)
        self._progress(len(shingle_counts))

    def finish(self) -> Corpus:
        """The corpus, documents sorted by id."""
        infos, corpus = self.infos, self.corpus
        self.report("reading", len(infos), len(infos))
        ids = [info.id for info in infos]
        order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        corpus.infos = [infos[row] for row in order]
        self.sets.reorder(order)
        corpus.shingle_sets = self.sets
        if self.keys is not None and self.keys.count == len(infos):
            corpus.band_keys = self.keys.take(rank)
        counts = np.array(self.samples.counts, dtype=np.int64)
        corpus.samples = SampleRuns(self.samples.take_values(), counts, rank)
        corpus.skipped.sort(key=lambda s: (s.path, s.line or 0))
        corpus.notices.sort(key=lambda n: (n.path, n.line or 0))
        return corpus

    def _is_new(self, info: DocumentInfo, line: int | None, has_words: bool) -> bool:
        """True (and the document recorded) for the first document of its id that has words;
        the others become Skipped."""
        if info.id in self.first_row:
            first = self.infos[self.first_row[info.id]]
            where = f"{first.path}" if first.path != info.path else "earlier in this file"
            self.corpus.skipped.append(
                Skipped(info.path, f"duplicate id {info.id!r} (first seen in {where})", line)
            )
            return False
        if not has_words:
            self.corpus.skipped.append(Skipped(info.path, "no words in text", line))
            return False
        self.first_row[info.id] = len(self.infos)
        self.infos.append(info)
        return True

    def _keys(self, width: int) -> RowBuffer:
        if self.keys is None:
            self.keys = RowBuffer(width, np.uint64)
        return self.keys

    def _progress(self, added: int) -> None:
        count = len(self.infos)
        if count // _REPORT_EVERY != (count - added) // _REPORT_EVERY:
            self.report("reading", count, None)


_NO_SAMPLES = np.empty(0, dtype=np.uint32)
#: Documents between two progress reports while reading (a report per document cost ~5 us).
_REPORT_EVERY = 128
#: Documents signed again at once after boilerplate removal (their sets are read from disk).
_REKEY_BATCH = 10_000


def index_keys(corpus: Corpus, config: ScanConfig, bands: int, rows: int) -> Corpus:
    """Make ``band_keys`` and ``samples`` describe the current shingle sets: documents whose
    set boilerplate removal changed (or that the workers did not key) are signed, keyed and
    sampled again here; the rest keep what the workers made."""
    shares = corpus.boilerplate or [0.0] * len(corpus.infos)
    stale = [row for row, share in enumerate(shares) if share > 0]
    if corpus.band_keys is None or corpus.samples is None:
        stale = list(range(len(corpus.infos)))
        corpus.band_keys = np.empty((len(corpus.infos), bands), dtype=np.uint64)
        corpus.samples = SampleRuns(
            np.empty(0, np.uint32), np.empty(0, np.int64), np.empty(0, np.int64)
        )
    if not stale:
        return corpus
    signer = Signer(config.num_perm, config.seed)
    fresh: list[np.ndarray] = []
    for start in range(0, len(stale), _REKEY_BATCH):  # sets come from disk: a batch at a time
        batch = stale[start : start + _REKEY_BATCH]
        fresh_sets = [corpus.shingle_sets[row] for row in batch]
        corpus.band_keys[batch] = band_keys(signer.sign(fresh_sets, bands * rows), bands, rows)
        fresh += [
            containment_samples(s, min_shingles=config.min_containment_shingles) for s in fresh_sets
        ]
    runs = corpus.samples
    owners = runs.owners.copy()
    owners[np.isin(owners, stale)] = -1
    corpus.samples = SampleRuns(
        np.concatenate([runs.values, *fresh]),
        np.concatenate([runs.counts, [f.size for f in fresh]]).astype(np.int64),
        np.concatenate([owners, stale]).astype(np.int64),
    )
    return corpus
