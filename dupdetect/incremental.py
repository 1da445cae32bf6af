"""The persistent index from Python (issue 5): add, query, remove, stats. Never prints.

>>> from dupdetect import ScanConfig
>>> from dupdetect.store import open_store
>>> store = open_store("archive.sqlite")                          # doctest: +SKIP
>>> add_documents(["crawl/2026-11-27/"], store, ScanConfig())     # doctest: +SKIP
AddReport(added=812, replaced=3, unchanged=40, ...)
>>> result = query_documents(["crawl/2026-11-28/"], store)        # doctest: +SKIP

``query_documents`` returns a :class:`~dupdetect.models.ScanResult` whose "clusters" are the
new documents that match something indexed: the new document first (as representative), then
its matches, each scored exactly against it, so every ``scan`` output format works unchanged.
To cluster new documents together with what the index holds, use
``dupdetect.scan(paths, config, index=store)``.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from .boilerplate import remove_boilerplate
from .config import ScanConfig
from .corpus import Corpus, Progress, build_corpus
from .errors import NoArticlesError
from .gcpause import paused_gc
from .index import lsh_params
from .models import Cluster, Notice, ScanResult, Skipped, Summary
from .pipeline import cluster_of, make_member
from .store.base import IndexParams, IndexStore, StoredDocument
from .store.lookup import Match, RecordEncoder, find_matches, open_params, stored_documents
from .store.records import PLAIN_CODEC, Codec, train_codec
from .workers import (
    DocumentInfo,
    PackedChunk,
    ReadAhead,
    Shingled,
    ShingleItem,
    shingle_chunks,
    shingle_inputs,
)

#: Documents read, signed and written per transaction by ``add_documents``.
ADD_BATCH = 5_000
#: How far the workers read ahead during an add: enough to keep them busy while the main
#: process writes a batch and merges segments (a scan consumes steadily and needs less).
#: 96 chunks instead of 24: 100k adds in 34.6-36.5 s instead of 42.3-42.4 s, peak RSS 464 MB
#: instead of 313 MB; the document bound keeps record files of many articles from piling up.
ADD_READ_AHEAD = ReadAhead(chunks=96, max_documents=20_000)
#: Until the index has a codec the workers cannot encode records, and every document they
#: make is encoded in the main process: read only a little ahead then (100k adds: the
#: main process encoded the 20,000 documents read ahead during the first batch, 2.2 s).
UNTRAINED_READ_AHEAD = ReadAhead(chunks=2)
#: The index's codec (vocabulary and compression dictionary) is trained on the first batch
#: added with at least this many documents; records written before use plain zstandard.
CODEC_MIN_DOCS = 200

Paths = Iterable[str | os.PathLike[str]]


@dataclass(frozen=True)
class AddReport:
    """What ``add_documents`` did; ``documents`` is the size of the index afterwards."""

    added: int
    replaced: int
    unchanged: int
    documents: int
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[Notice, ...] = ()


def add_documents(
    paths: Paths,
    store: IndexStore,
    config: ScanConfig | None = None,
    progress: Progress | None = None,
    batch_size: int = ADD_BATCH,
) -> AddReport:
    """Read, shingle, sign and store every article under ``paths``, one transaction a batch.

    Boilerplate removal (``boilerplate_min_docs``) works within each batch. A document whose
    id is already indexed with the same content is left alone; with other content it is
    replaced. Later duplicates of an id within the same call are skipped, as in a scan.

    Raises:
        IndexMismatchError: the index was built with incompatible settings.
        NoArticlesError: nothing readable was found.
    """
    report = progress or _silent
    added = replaced = unchanged = documents = 0
    skipped: list[Skipped] = []
    warnings: list[Notice] = []
    # Documents parsed in worker processes: this process keeps results (see gcpause; an
    # add of 10,000 articles leaves the same 317 cyclic objects as a scan).
    with paused_gc((config or ScanConfig()).jobs > 1):
        for batch in prepare_batches(paths, store, config, batch_size):
            skipped += batch.skipped
            warnings += batch.warnings
            counts = store.write(batch.documents)
            added, replaced = added + counts.added, replaced + counts.replaced
            unchanged += counts.unchanged
            documents += len(batch.documents)
            report("indexing", documents, None)
    if not documents:
        raise NoArticlesError(_nothing_found(skipped))
    skipped.sort(key=lambda s: (s.path, s.line or 0))
    warnings.sort(key=lambda n: (n.path, n.line or 0))
    return AddReport(added, replaced, unchanged, store.count(), tuple(skipped), tuple(warnings))


@dataclass(frozen=True)
class PreparedBatch:
    """One batch of ``add_documents``, ready for ``store.write``."""

    documents: list[StoredDocument]
    skipped: list[Skipped]
    warnings: list[Notice]


def prepare_batches(
    paths: Paths,
    store: IndexStore,
    config: ScanConfig | None = None,
    batch_size: int = ADD_BATCH,
) -> Iterator[PreparedBatch]:
    """What ``add_documents`` writes, batch by batch, without writing it: read, shingle,
    remove boilerplate, sign and encode (the index's parameters are created, and its codec
    trained and stored, when due). For benchmarks and tools that time the writes alone.
    """
    config = replace(config or ScanConfig(), keep_words=True)
    params = open_params(store, config, create=True)
    with tempfile.TemporaryDirectory(prefix="dupdetect-codec-") as scratch:
        yield from _prepared(paths, store, config, params, batch_size, scratch)


def _prepared(
    paths: Paths,
    store: IndexStore,
    config: ScanConfig,
    params: IndexParams,
    batch_size: int,
    scratch: str,
) -> Iterator[PreparedBatch]:
    """``prepare_batches``' work; the workers read the codec from a file in ``scratch``."""
    codec = store.read_codec()
    banding = lsh_params(config.effective_lsh_threshold, config.num_perm)  # the workers'
    seen: dict[str, str] = {}
    encoder = _encoder(codec, params, scratch)  # once the index has a codec, workers encode

    def current_encoder() -> RecordEncoder | None:
        return encoder

    def read_ahead() -> ReadAhead:
        return UNTRAINED_READ_AHEAD if encoder is None else ADD_READ_AHEAD

    chunks = _Prefetching(shingle_chunks(paths, config, read_ahead, current_encoder))
    for corpus, firsts in _batches(chunks, batch_size):
        on_disk = corpus.shingle_sets
        skipped = list(corpus.skipped)
        _drop_seen(corpus, seen, skipped)
        raw = [corpus.shingle_sets[i] for i in range(len(corpus.infos))]
        _clean(corpus, config)
        made = [firsts[info.id] for info in corpus.infos]
        texts = [doc.words for doc in made]
        if codec is None:
            codec = _train(store, corpus.infos, texts, params.shingle_size)
            encoder = _encoder(codec, params, scratch)
            if encoder is not None:  # hand the workers a full read-ahead of chunks to
                chunks.prefetch()  # encode while this batch is encoded and written here
        cleaned = [corpus.shingle_sets[i] for i in range(len(corpus.infos))]
        docs = stored_documents(
            corpus.infos,
            raw,
            cleaned,
            texts,
            params,
            codec or PLAIN_CODEC,
            raw_keys=corpus.band_keys if (params.bands, params.rows) == banding else None,
            word_hashes=[doc.word_hashes for doc in made],
            encoded=[doc.encoded for doc in made],  # type: ignore[misc]
        )
        del raw, cleaned, texts, made, firsts
        _close(on_disk)
        yield PreparedBatch(docs, skipped, list(corpus.notices))


def query_documents(
    paths: Paths,
    store: IndexStore,
    config: ScanConfig | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """For each article under ``paths``, its matches among the indexed documents.

    The index is not changed. Matches are scored exactly with ``config``'s threshold and
    containment; an indexed document with the same id as the new one is not a match.

    Raises:
        IndexMismatchError, IndexStoreError: incompatible or empty index.
        NoArticlesError: nothing readable was found.
    """
    config = config or ScanConfig()
    params = open_params(store, config, create=False)
    corpus = build_corpus(shingle_inputs(paths, config), progress or _silent)
    if not corpus.infos:
        raise NoArticlesError(_nothing_found(corpus.skipped))
    _clean(corpus, config)
    lookup = find_matches(store, params, corpus.infos, corpus.shingle_sets, config)
    _close(corpus.shingle_sets)
    clusters = [
        _query_cluster(info, found)
        for info, found in zip(corpus.infos, lookup.matches, strict=True)
        if found
    ]
    summary = Summary(
        documents=len(corpus.infos),
        clusters=len(clusters),
        duplicates=sum(c.size - 1 for c in clusters),
        skipped=len(corpus.skipped),
        candidate_pairs=lookup.candidate_pairs,
        verified_pairs=sum(len(found) for found in lookup.matches),
    )
    settings = {
        **config.as_dict(),
        "lsh_bands": params.bands,
        "lsh_rows": params.rows,
        "index": store.target,
        "index_documents": store.count(),
    }
    ids = tuple(info.id for info in corpus.infos)
    return ScanResult(
        tuple(clusters), summary, tuple(corpus.skipped), tuple(corpus.notices), settings, ids
    )


def remove_documents(ids: Iterable[str], store: IndexStore) -> int:
    """Remove documents by id; returns how many were in the index."""
    return store.delete(list(dict.fromkeys(ids)))


def index_stats(store: IndexStore) -> dict[str, object]:
    """Size, parameters and storage figures of an index (JSON-ready)."""
    params = store.read_params()
    documents = store.count()
    stats: dict[str, object] = {"index": store.target, "documents": documents}
    if params is not None:
        stats["params"] = {
            name: getattr(params, name)
            for name in (
                "num_perm",
                "shingle_size",
                "seed",
                "normalization_version",
                "strip_wire",
                "bands",
                "rows",
                "sample_mod",
                "format_version",
                "dupdetect_version",
            )
        }
    usage = store.usage()
    stats.update(usage)
    file_bytes = usage.get("file_bytes")
    if isinstance(file_bytes, int) and documents:
        stats["bytes_per_document"] = round(
            (file_bytes + int(usage.get("wal_bytes") or 0)) / documents
        )
    return stats


def _query_cluster(info: DocumentInfo, found: list[Match]) -> Cluster:
    """A new document (representative) and the indexed documents it matches, by id."""
    members = [make_member(info, None)]
    members += [make_member(m.document.info, m.score) for m in sorted(found, key=_match_id)]
    return cluster_of(members)


def _match_id(match: Match) -> str:
    return match.document.info.id


def _encoder(codec: Codec | None, params: IndexParams, scratch: str) -> RecordEncoder | None:
    """What the workers run to encode records, once the index has a trained codec."""
    if codec is None:
        return None
    return RecordEncoder.for_index(codec, scratch, params.shingle_size, params.sample_mod)


def _train(
    store: IndexStore, infos: list[DocumentInfo], texts: list[bytes | None], shingle_size: int
) -> Codec | None:
    """The index's codec, trained on this batch if it is the first one large enough."""
    samples = [(info, text) for info, text in zip(infos, texts, strict=True) if text is not None]
    if len(samples) < CODEC_MIN_DOCS:
        return None
    return store.create_codec(train_codec(samples, shingle_size))  # first writer's wins


class _Prefetching:
    """An iterator of chunks that can take its next chunk early (``prefetch``): taking one
    from ``shingle_chunks`` hands the pool as many new chunks as the read-ahead allows."""

    def __init__(self, chunks: Iterator[PackedChunk]) -> None:
        self._chunks = chunks
        self._taken: deque[PackedChunk] = deque()

    def __iter__(self) -> _Prefetching:
        return self

    def __next__(self) -> PackedChunk:
        return self._taken.popleft() if self._taken else next(self._chunks)

    def prefetch(self) -> None:
        packed = next(self._chunks, None)
        if packed is not None:
            self._taken.append(packed)


def _batches(
    chunks: Iterator[PackedChunk], size: int
) -> Iterator[tuple[Corpus, dict[str, Shingled]]]:
    """Corpora of at most ``size`` documents (plus the skipped items met on the way), each
    with its documents as the workers made them (words, hashes, records; by id, first of
    each id, as ``build_corpus``). A chunk that fits the batch is taken whole (its arrays in
    bulk); one that does not is split into its items."""
    chunks = iter(chunks)
    split: deque[ShingleItem] = deque()  # items of a chunk split between batches
    while True:
        firsts: dict[str, Shingled] = {}
        taken = _take_documents(chunks, split, size, firsts)
        corpus = build_corpus(taken, _silent, in_memory=True)
        if not (corpus.infos or corpus.skipped or corpus.notices):
            return
        yield corpus, firsts


def _take_documents(
    chunks: Iterator[PackedChunk],
    split: deque[ShingleItem],
    size: int,
    firsts: dict[str, Shingled],
) -> Iterator[ShingleItem | PackedChunk]:
    """Items and whole chunks up to and including the ``size``-th document: first what is
    left in ``split``, then chunks (the one that would overflow the batch goes to
    ``split``); the first document of each id that has words goes to ``firsts``."""
    documents = 0
    while True:
        while split:
            item = split.popleft()
            if isinstance(item, Shingled) and item.shingles is not None:
                firsts.setdefault(item.info.id, item)
            yield item
            if isinstance(item, Shingled):
                documents += 1
                if documents >= size:
                    return
        packed = next(chunks, None)
        if packed is None:
            return
        count = packed.shingle_counts.size  # one per document, with words or not
        if documents + count > size:
            split.extend(packed.unpack())
            continue
        has_words = iter(packed.shingle_counts >= 0)
        for item in packed.items:
            if isinstance(item, Shingled) and next(has_words):
                firsts.setdefault(item.info.id, item)
        yield packed
        documents += count
        if documents >= size:
            return


def _drop_seen(corpus: Corpus, seen: dict[str, str], skipped: list[Skipped]) -> None:
    """Skip ids already added by an earlier batch of this call; remember the rest."""
    keep = []
    for row, info in enumerate(corpus.infos):
        if info.id in seen:
            skipped.append(
                Skipped(info.path, f"duplicate id {info.id!r} (first seen in {seen[info.id]})")
            )
        else:
            seen[info.id] = info.path
            keep.append(row)
    if len(keep) < len(corpus.infos):
        corpus.infos = [corpus.infos[r] for r in keep]
        corpus.shingle_sets = [corpus.shingle_sets[r] for r in keep]
        if corpus.band_keys is not None:
            corpus.band_keys = corpus.band_keys[keep]


def _close(sets: object) -> None:
    """Release a disk-backed sequence of shingle sets (``corpus.build_corpus``'s)."""
    close = getattr(sets, "close", None)
    if callable(close):
        close()


def _clean(corpus: Corpus, config: ScanConfig) -> None:
    if config.boilerplate_min_docs and corpus.infos:
        sources = [info.source for info in corpus.infos]
        remove_boilerplate(corpus.shingle_sets, sources, min_docs=config.boilerplate_min_docs)


def _nothing_found(skipped: list[Skipped] | tuple[Skipped, ...]) -> str:
    if not skipped:
        return "no articles found"
    reasons = sorted({s.reason for s in skipped})
    return f"no readable articles found ({len(skipped)} skipped: {'; '.join(reasons[:3])})"


def _silent(stage: str, done: int, total: int | None) -> None:
    return None


__all__ = [
    "AddReport",
    "PreparedBatch",
    "add_documents",
    "index_stats",
    "prepare_batches",
    "query_documents",
    "remove_documents",
]
