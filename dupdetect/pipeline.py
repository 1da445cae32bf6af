"""The scan, stage by stage: load, normalize, shingle, sign, index, verify, cluster, report.

``scan`` is the library's front door; it never prints. Long stages report through an optional
``progress(stage, done, total)`` callback.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from .arrays import RowBuffer, RunBuffer
from .boilerplate import remove_boilerplate
from .cluster import Group, group_documents
from .config import ScanConfig
from .errors import NoArticlesError
from .index import (
    CandidateSet,
    SampleRuns,
    band_keys,
    containment_samples,
    lsh_candidates,
    lsh_params,
    merge_candidates,
    sampled_containment_candidates,
)
from .models import Cluster, Member, Notice, PairScore, ScanResult, Skipped, Summary
from .shingle_sets import ShingleSets
from .sign import Signer
from .store.base import IndexStore
from .store.lookup import include_indexed
from .verify import MatchRule, score, verify_pairs
from .workers import DocumentInfo, PackedChunk, Shingled, ShingleItem, shingle_chunks

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


def scan(
    paths: Iterable[str | os.PathLike[str]],
    config: ScanConfig | None = None,
    progress: Progress | None = None,
    index: IndexStore | None = None,
) -> ScanResult:
    """Find clusters of near-duplicate articles under ``paths``.

    With ``index`` (a ``dupdetect.store`` index), the indexed documents that match a new one
    join the scan, and only clusters holding at least one new document are reported.

    Raises:
        NoArticlesError: when no readable article was found.
        IndexMismatchError: ``index`` was built with incompatible settings.
    """
    config = config or ScanConfig()
    report = progress or _silent
    corpus = build_corpus(shingle_chunks(paths, config), report)
    try:
        return _scan_corpus(corpus, config, report, index)
    finally:
        if isinstance(corpus.shingle_sets, ShingleSets):
            corpus.shingle_sets.close()


def _scan_corpus(
    corpus: Corpus, config: ScanConfig, report: Progress, index: IndexStore | None
) -> ScanResult:
    if not corpus.infos:
        raise NoArticlesError(_nothing_found_message(corpus))
    if config.boilerplate_min_docs:
        corpus.boilerplate = remove_boilerplate(
            corpus.shingle_sets,
            [info.source for info in corpus.infos],
            min_docs=config.boilerplate_min_docs,
        )
    fresh = None
    if index is not None:
        fresh = include_indexed(corpus, index, config)
        if len(fresh) != len(corpus.infos):  # indexed documents joined: key everything here
            corpus.band_keys = corpus.samples = None
    bands, rows = lsh_params(config.effective_lsh_threshold, config.num_perm)
    report("indexing", 0, len(corpus.infos))
    index_keys(corpus, config, bands, rows)
    lsh = lsh_candidates(corpus.band_keys, config.max_bucket)  # type: ignore[arg-type]
    contained = sampled_containment_candidates(
        corpus.samples, len(corpus.infos), max_bucket=config.max_bucket  # type: ignore[arg-type]
    )
    candidates = merge_candidates(lsh, contained)
    corpus.notices += oversized_bucket_notices(lsh, corpus.infos, config.max_bucket)
    report("indexing", len(corpus.infos), len(corpus.infos))
    rule = MatchRule(config.threshold, config.containment, config.min_containment_shingles)
    report("verifying", 0, len(candidates))
    if isinstance(corpus.shingle_sets, ShingleSets):
        corpus.shingle_sets.prefetch(candidates.ravel())
    verified = verify_pairs(candidates, corpus.shingle_sets, rule)
    report("verifying", len(candidates), len(candidates))
    groups = group_documents(
        len(corpus.infos),
        verified,
        representative_rank(corpus.infos),
        lambda a, b: score(corpus.shingle_sets[a], corpus.shingle_sets[b]),
        _set_sizes(corpus.shingle_sets),
        rule,
    )
    shares = corpus.boilerplate or [0.0] * len(corpus.infos)
    clusters = sorted((make_cluster(g, corpus.infos, shares) for g in groups), key=_cluster_order)
    if fresh is not None:
        clusters = [c for c in clusters if any(m.id in fresh for m in c.members)]
    summary = Summary(
        documents=len(corpus.infos),
        clusters=len(clusters),
        duplicates=sum(c.size - 1 for c in clusters),
        skipped=len(corpus.skipped),
        candidate_pairs=len(candidates),
        verified_pairs=len(verified),
    )
    settings = {**config.as_dict(), "lsh_bands": bands, "lsh_rows": rows}
    return ScanResult(
        tuple(clusters),
        summary,
        tuple(corpus.skipped),
        tuple(corpus.notices),
        settings,
        tuple(info.id for info in corpus.infos),
    )


def build_corpus(items: Iterable[ShingleItem | PackedChunk], report: Progress) -> Corpus:
    """Collect shingled documents (first of each id), Skipped and Notice items, sorted.

    ``items`` are single items or whole packed chunks (``workers.shingle_chunks``, taken in
    bulk). Shingle sets go to a temporary file as they arrive; band keys and samples into
    block buffers. Nothing per document stays in memory but its metadata.
    """
    collector = _Collector(report)
    for item in items:
        if isinstance(item, PackedChunk):
            collector.add_chunk(item)
        else:
            collector.add_item(item)
    return collector.finish()


class _Collector:
    """``build_corpus``'s state: documents in arrival order, first of each id."""

    def __init__(self, report: Progress) -> None:
        self.report = report
        self.corpus = Corpus()
        self.first_row: dict[str, int] = {}
        self.infos: list[DocumentInfo] = []
        self.sets = ShingleSets()
        self.keys: RowBuffer | None = None
        self.samples = RunBuffer(np.uint32)

    def add_item(self, item: ShingleItem) -> None:
        """One Skipped, Notice or Shingled (with its arrays)."""
        if isinstance(item, Skipped):
            self.corpus.skipped.append(item)
        elif isinstance(item, Notice):
            self.corpus.notices.append(item)
        elif self._is_new(item, item.shingles is not None):
            self.sets.append(item.shingles)  # type: ignore[arg-type]
            if item.band_keys is not None:
                self._keys(item.band_keys.size).append(item.band_keys)
            self.samples.append(item.samples if item.samples is not None else _NO_SAMPLES)
            self._progress(1)

    def add_chunk(self, packed: PackedChunk) -> None:
        """A packed chunk: metadata one by one, then each array once for the whole chunk."""
        counts = packed.shingle_counts
        kept: list[bool] = []
        document = 0
        for item in packed.items:
            if isinstance(item, Shingled):
                has_words = bool(counts[document] >= 0)
                document += 1
                new = self._is_new(item, has_words)
                if has_words:
                    kept.append(new)
            else:
                self.add_item(item)
        if not kept:
            return
        shingle_counts = counts[counts >= 0]
        shingles, keys = packed.shingles, packed.keys
        samples, sample_counts = packed.samples, packed.sample_counts
        if not all(kept):
            mask = np.array(kept)
            shingles = shingles[np.repeat(mask, shingle_counts)]
            samples = samples[np.repeat(mask, sample_counts)]
            shingle_counts, sample_counts, keys = (
                shingle_counts[mask], sample_counts[mask], keys[mask]
            )
        self.sets.extend(shingles, shingle_counts)
        if keys.size:
            self._keys(keys.shape[1]).extend(keys)
        self.samples.extend(samples, sample_counts)
        self._progress(len(shingle_counts))

    def finish(self) -> Corpus:
        """The corpus, documents sorted by id."""
        infos, corpus = self.infos, self.corpus
        self.report("reading", len(infos), len(infos))
        order = np.array(sorted(range(len(infos)), key=lambda row: infos[row].id), dtype=np.int64)
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

    def _is_new(self, doc: Shingled, has_words: bool) -> bool:
        """True (and the document recorded) for the first document of its id that has words;
        the others become Skipped."""
        info = doc.info
        if info.id in self.first_row:
            first = self.infos[self.first_row[info.id]]
            where = f"{first.path}" if first.path != info.path else "earlier in this file"
            self.corpus.skipped.append(
                Skipped(info.path, f"duplicate id {info.id!r} (first seen in {where})", doc.line)
            )
            return False
        if not has_words:
            self.corpus.skipped.append(Skipped(info.path, "no words in text", doc.line))
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
    fresh_sets = [corpus.shingle_sets[row] for row in stale]
    signatures = Signer(config.num_perm, config.seed).sign(fresh_sets)
    corpus.band_keys[stale] = band_keys(signatures, bands, rows)
    fresh = [
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


def oversized_bucket_notices(
    lsh: CandidateSet, infos: list[DocumentInfo], max_bucket: int
) -> list[Notice]:
    """One warning per document heading an LSH bucket of more than ``max_bucket`` documents
    (near-identical pages, e.g. boilerplate only): its bucket was compared with it alone."""
    largest: dict[int, int] = {}
    firsts, sizes = lsh.oversized_firsts.tolist(), lsh.oversized_sizes.tolist()
    for first, size in zip(firsts, sizes, strict=True):
        largest[first] = max(size, largest.get(first, 0))
    return [
        Notice(
            infos[first].path,
            f"{infos[first].id!r} and {size - 1:,} other documents share an LSH bucket (more "
            f"than max_bucket {max_bucket}): they were compared with it only, not with each other",
        )
        for first, size in sorted(largest.items())
    ]


def representative_rank(infos: list[DocumentInfo]) -> list[int]:
    """Rank of each document for representative choice: earliest date, longest text, id."""
    keys = [(_date_key(info.date), -info.length, info.id) for info in infos]
    order = sorted(range(len(infos)), key=keys.__getitem__)
    rank = [0] * len(infos)
    for position, row in enumerate(order):
        rank[row] = position
    return rank


def _date_key(value: str) -> tuple[int, str]:
    """Sort key of a date: parsed ISO 8601 dates first (in UTC), then everything else."""
    if value:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return (1, "")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (0, parsed.astimezone(UTC).isoformat())
    return (1, "")


def make_cluster(group: Group, infos: list[DocumentInfo], boilerplate: list[float]) -> Cluster:
    """A reportable Cluster: representative first, then members by id."""
    rep = group.representative
    members = [make_member(infos[rep], None, boilerplate[rep])]
    for row, pair in sorted(group.members, key=lambda m: infos[m[0]].id):
        members.append(make_member(infos[row], pair, boilerplate[row]))
    return cluster_of(members)


def cluster_of(members: list[Member]) -> Cluster:
    """A Cluster of ``members`` (representative first): id from the sorted member ids, and
    the agency most members name as its ``wire``."""
    ids = sorted(m.id for m in members)
    digest = hashlib.sha1("\n".join(ids).encode("utf-8")).hexdigest()[:12]
    wires = Counter(m.wire for m in members if m.wire)
    wire = min(wires, key=lambda w: (-wires[w], w)) if wires else ""
    return Cluster(id=f"c{digest}", representative=members[0].id, members=tuple(members), wire=wire)


def make_member(info: DocumentInfo, pair: PairScore | None, boilerplate: float = 0.0) -> Member:
    """A cluster member; ``pair`` is ``score(representative, member)``, None for the
    representative itself."""
    scored = pair or PairScore(1.0, 1.0, 1.0)
    return Member(
        id=info.id,
        path=info.path,
        title=info.title,
        source=info.source,
        url=info.url,
        date=info.date,
        wire=info.wire,
        similarity=scored.jaccard,
        containment=scored.containment,
        contained_in_representative=scored.containment_ba,
        representative_contained=scored.containment_ab,
        is_representative=pair is None,
        boilerplate=boilerplate,
    )


def _set_sizes(shingle_sets: Sequence[np.ndarray]) -> list[int]:
    if isinstance(shingle_sets, ShingleSets):
        return shingle_sets.sizes.tolist()
    return [s.size for s in shingle_sets]


def _cluster_order(cluster: Cluster) -> tuple[int, str]:
    return (-cluster.size, cluster.representative)


def _nothing_found_message(corpus: Corpus) -> str:
    if not corpus.skipped:
        return "no articles found (supported: .txt, .md, .jsonl)"
    reasons = sorted({s.reason for s in corpus.skipped})
    shown = "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else "")
    return f"no readable articles found ({len(corpus.skipped)} skipped: {shown})"


def _silent(stage: str, done: int, total: int | None) -> None:
    return None
