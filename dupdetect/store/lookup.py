"""Shared index logic on top of any backend: parameters, records, candidates, exact matches.

Candidates for a new document are found the way a scan finds them: its LSH band terms are
looked up in the index, and its containment sample terms too (a document sharing at least
two samples, and 40% of the smaller document's samples, is a candidate, as in
``index.containment_candidates``). Terms held by more than ``max_bucket`` documents are
ignored.
Every candidate's shingle set is then rebuilt from its record and scored exactly against the
new document's with the scan's match rule, so reported scores are never estimates.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import ScanConfig
from ..errors import IndexStoreError
from ..index import band_keys
from ..models import PairScore
from ..shingle_sets import ShingleSets
from ..sign import Signer
from ..verify import MatchRule, score
from ..workers import DocumentInfo, Shingled
from .base import (
    IndexedDocument,
    IndexParams,
    IndexStore,
    StoredDocument,
    band_terms,
    batch_sample_terms,
    check_compatible,
    content_hash,
    sample_terms,
)
from .records import Codec, encode_records

#: A containment candidate shares at least this many samples, and this share of the smaller
#: document's samples (as in ``index.containment_candidates``).
MIN_SHARED_SAMPLES = 2
MIN_SHARE = 0.4

#: Building a Signer imports datasketch and copies its permutations: once per process.
_signer = functools.lru_cache(maxsize=4)(Signer)
#: New documents looked up at once (bounds the memory of a large ``scan --index``).
QUERY_CHUNK = 5000


def open_params(store: IndexStore, config: ScanConfig, *, create: bool) -> IndexParams:
    """The index's parameters, checked against ``config``; ``create`` records them if new.

    Raises:
        IndexMismatchError: the index was built with settings that give other shingles.
        IndexStoreError: the index is empty and ``create`` is false.
    """
    wanted = IndexParams.from_config(config)
    stored = store.read_params()
    if stored is None:
        if not create:
            raise IndexStoreError(f"index {store.target} is empty (add documents first)")
        stored = store.create_params(wanted)
    check_compatible(stored, wanted, store.target)
    return stored


@dataclass(frozen=True)
class Encoded:
    """What an index stores of a document besides its band terms."""

    record: bytes
    content_hash: str  # of the raw set (before boilerplate removal)
    sample_terms: np.ndarray

    def __reduce__(self) -> tuple[object, tuple[bytes, str, bytes]]:
        # The terms travel as bytes: pickling a small array costs more than the rest.
        terms = np.ascontiguousarray(self.sample_terms, dtype=np.uint32).tobytes()
        return _encoded, (self.record, self.content_hash, terms)


def _encoded(record: bytes, content_hash: str, sample_terms: bytes) -> Encoded:
    return Encoded(record, content_hash, np.frombuffer(sample_terms, dtype=np.uint32))


def encode_parts(
    infos: Sequence[DocumentInfo],
    words: Sequence[bytes | None],
    word_hashes: Sequence[np.ndarray | None] | None,
    raw_sets: Sequence[np.ndarray],
    cleaned_sets: Sequence[np.ndarray],
    codec: Codec,
    shingle_size: int,
    sample_mod: int,
) -> list[Encoded]:
    """Record, content hash and sample terms of each document (see ``stored_documents``)."""
    records = encode_records(infos, words, raw_sets, cleaned_sets, shingle_size, codec, word_hashes)
    samples = batch_sample_terms(cleaned_sets, sample_mod)
    return [
        Encoded(record, content_hash(info, raw), terms)
        for info, raw, record, terms in zip(infos, raw_sets, records, samples, strict=True)
    ]


@dataclass(frozen=True)
class RecordEncoder:
    """``encode_parts`` run in the scan's workers (a ``workers.ChunkEncoder``) for one index.
    Only the path of a file holding the index's codec travels with each chunk; each worker
    reads the file once (the codec is the vocabulary, up to 512 KB, and the dictionary, which
    shipped with every chunk cost the main process a pickle and a pipe write each time). What
    it makes of a document holds unless boilerplate removal later changes its set."""

    codec_file: str
    shingle_size: int
    sample_mod: int

    @classmethod
    def for_index(
        cls, codec: Codec, directory: str | os.PathLike[str], shingle_size: int, sample_mod: int
    ) -> RecordEncoder:
        """An encoder for ``codec``, written to a file in ``directory`` (which must outlive
        the workers' use of it)."""
        path = Path(directory) / "codec.bin"
        path.write_bytes(codec.to_bytes())
        return cls(str(path), shingle_size, sample_mod)

    def __call__(self, docs: list[Shingled]) -> list[object]:
        sets: list[np.ndarray] = [doc.shingles for doc in docs]  # type: ignore[misc]
        return encode_parts(  # type: ignore[return-value]
            [doc.info for doc in docs],
            [doc.words for doc in docs],
            [doc.word_hashes for doc in docs],
            sets,
            sets,
            _codec_in(self.codec_file),
            self.shingle_size,
            self.sample_mod,
        )


def _codec_in(path: str) -> Codec:
    """The codec in a file, read once per process (and again if the file is another one)."""
    stat = os.stat(path)
    return _read_codec(path, stat.st_ino, stat.st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _read_codec(path: str, inode: int, mtime_ns: int) -> Codec:
    return Codec.from_bytes(Path(path).read_bytes(), path)


def stored_documents(
    infos: Sequence[DocumentInfo],
    raw_sets: Sequence[np.ndarray],
    cleaned_sets: Sequence[np.ndarray],
    words: Sequence[bytes | None],
    params: IndexParams,
    codec: Codec,
    raw_keys: np.ndarray | None = None,
    word_hashes: Sequence[np.ndarray | None] | None = None,
    encoded: Sequence[Encoded | None] | None = None,
) -> list[StoredDocument]:
    """Records for a batch: content hash of the raw set; record, band and sample terms of the
    cleaned one. ``words`` are the documents' word buffers (``Shingled.words``; None: the
    record keeps the set itself). What the workers made is used where it holds:
    ``raw_keys``, the band keys of the raw sets with the index's banding, and ``encoded``
    (``RecordEncoder``; None where not made), for sets boilerplate removal left unchanged;
    ``word_hashes``, the hashes of ``words`` (``Shingled.word_hashes``)."""
    if not infos:
        return []
    # Boilerplate removal only ever drops shingles: an unchanged size is an unchanged set.
    changed = [
        raw.size != cleaned.size for raw, cleaned in zip(raw_sets, cleaned_sets, strict=True)
    ]
    terms = band_terms(_cleaned_keys(cleaned_sets, changed, params, raw_keys))
    parts = list(encoded) if encoded is not None else [None] * len(infos)
    todo = [row for row, part in enumerate(parts) if part is None or changed[row]]
    if todo:
        made = encode_parts(
            [infos[r] for r in todo],
            [words[r] for r in todo],
            None if word_hashes is None else [word_hashes[r] for r in todo],
            [raw_sets[r] for r in todo],
            [cleaned_sets[r] for r in todo],
            codec,
            params.shingle_size,
            params.sample_mod,
        )
        for row, part in zip(todo, made, strict=True):
            parts[row] = part
    assert all(part is not None for part in parts)  # every missing part was made above
    return [
        StoredDocument(info, part.content_hash, part.record, terms[row], part.sample_terms)  # type: ignore[union-attr]
        for row, (info, part) in enumerate(zip(infos, parts, strict=True))
    ]


def _cleaned_keys(
    cleaned_sets: Sequence[np.ndarray],
    changed: list[bool],
    params: IndexParams,
    raw_keys: np.ndarray | None,
) -> np.ndarray:
    """Band keys of the cleaned sets: ``raw_keys`` where the set is unchanged, signed here
    where it changed (or for all, without ``raw_keys``)."""
    if raw_keys is None:
        stale = list(range(len(cleaned_sets)))
        keys = np.empty((len(cleaned_sets), params.bands), dtype=np.uint64)
    else:
        stale = [row for row, differs in enumerate(changed) if differs]
        keys = raw_keys.copy()
    if stale:
        signatures = _signer(params.num_perm, params.seed).sign([cleaned_sets[r] for r in stale])
        keys[stale] = band_keys(signatures, params.bands, params.rows)
    return keys


@dataclass(frozen=True)
class Match:
    """An indexed document matching a new one; ``score`` is (new document, indexed one)."""

    document: IndexedDocument
    score: PairScore


@dataclass(frozen=True)
class Lookup:
    """Matches of each new document (in input order) and how many candidates were scored."""

    matches: list[list[Match]]
    candidate_pairs: int


def find_matches(
    store: IndexStore,
    params: IndexParams,
    infos: Sequence[DocumentInfo],
    shingle_sets: Sequence[np.ndarray],
    config: ScanConfig,
) -> Lookup:
    """Every indexed document each new document matches under the scan's rule, scored exactly.

    An indexed document with the same id as the new one (its earlier version) is left out.
    """
    rule = MatchRule(config.threshold, config.containment, config.min_containment_shingles)
    matches: list[list[Match]] = []
    pairs = 0
    for start in range(0, len(infos), QUERY_CHUNK):
        chunk = infos[start : start + QUERY_CHUNK]
        sets = [shingle_sets[start + i] for i in range(len(chunk))]
        found, scored = _chunk_matches(store, params, chunk, sets, config, rule)
        matches += found
        pairs += scored
    return Lookup(matches, pairs)


def _chunk_matches(
    store: IndexStore,
    params: IndexParams,
    infos: Sequence[DocumentInfo],
    sets: list[np.ndarray],
    config: ScanConfig,
    rule: MatchRule,
) -> tuple[list[list[Match]], int]:
    signatures = _signer(params.num_perm, params.seed).sign(sets)
    terms = band_terms(band_keys(signatures, params.bands, params.rows))
    candidates = _candidates(store, params, terms, sets, config)
    documents = store.fetch(sorted({h for found in candidates for h in found}))
    matches: list[list[Match]] = []
    pairs = 0
    for info, shingles, found in zip(infos, sets, candidates, strict=True):
        kept = []
        for handle in found:
            indexed = documents.get(handle)
            if indexed is None or indexed.info.id == info.id:  # gone meanwhile, or itself
                continue
            pairs += 1
            pair = score(shingles, indexed.shingles)
            if rule.matches(pair, shingles.size, indexed.shingles.size):
                kept.append(Match(indexed, pair))
        matches.append(sorted(kept, key=lambda m: m.document.info.id))
    return matches, pairs


def _candidates(
    store: IndexStore,
    params: IndexParams,
    terms: np.ndarray,
    shingle_sets: Sequence[np.ndarray],
    config: ScanConfig,
) -> list[set[int]]:
    """Candidate handles per new document: a shared band term, or enough shared samples."""
    limit = config.max_bucket + 1
    wanted = np.unique(terms).tolist()
    buckets = dict(zip(wanted, store.band_members(wanted, limit), strict=True))
    samples = [
        sample_terms(s, params.sample_mod)
        if s.size >= config.min_containment_shingles
        else np.empty(0, dtype=np.uint32)
        for s in shingle_sets
    ]
    unique = np.unique(np.concatenate(samples)).tolist() if samples else []
    owners = dict(zip(unique, store.sample_members(unique, limit), strict=True))
    out: list[set[int]] = []
    unsure: list[dict[int, int]] = []  # per document: handle -> shared, if its size decides
    for row, picked in zip(terms.tolist(), samples, strict=True):
        found: set[int] = set()
        for term in row:
            members = buckets[term]
            if len(members) < limit:
                found.update(members)
        shared: Counter[int] = Counter()
        for value in picked.tolist():
            members = owners[value]
            if len(members) < limit:
                shared.update(members)
        mine = MIN_SHARE * picked.size
        found.update(h for h, n in shared.items() if n >= MIN_SHARED_SAMPLES and n >= mine)
        unsure.append({h: n for h, n in shared.items() if MIN_SHARED_SAMPLES <= n < mine})
        out.append(found)
    counts = store.sample_counts(sorted({h for row in unsure for h in row}))
    for found, row in zip(out, unsure, strict=True):
        found.update(h for h, n in row.items() if h in counts and n >= MIN_SHARE * counts[h])
    return out


def include_indexed(corpus: object, store: IndexStore, config: ScanConfig) -> set[str]:
    """Add to a scan's corpus the indexed documents its documents match; return the new ids.

    ``corpus`` is ``corpus.Corpus`` (``infos``, ``shingle_sets``, ``boilerplate``), changed
    in place and kept sorted by id. A new document wins over an indexed one with its id.
    """
    infos, sets = corpus.infos, corpus.shingle_sets  # type: ignore[attr-defined]
    fresh = {info.id for info in infos}
    if store.read_params() is None:  # an empty index adds nothing
        return fresh
    params = open_params(store, config, create=False)
    lookup = find_matches(store, params, infos, sets, config)
    extra = {
        m.document.info.id: m.document
        for found in lookup.matches
        for m in found
        if m.document.info.id not in fresh
    }
    if not extra:
        return fresh
    shares = corpus.boilerplate or []  # type: ignore[attr-defined]
    every = [*infos, *(d.info for d in extra.values())]
    order = sorted(range(len(every)), key=lambda row: every[row].id)
    if isinstance(sets, ShingleSets):  # the scan's disk-backed sets: append, then reorder
        for document in extra.values():
            sets.append(document.shingles)
        sets.reorder(order)
    else:
        every_set = [*sets, *(d.shingles for d in extra.values())]
        corpus.shingle_sets = [every_set[row] for row in order]  # type: ignore[attr-defined]
    corpus.infos = [every[row] for row in order]  # type: ignore[attr-defined]
    if shares:
        every_share = [*shares, *([0.0] * len(extra))]
        corpus.boilerplate = [every_share[row] for row in order]  # type: ignore[attr-defined]
    return fresh
