"""Shared index logic on top of any backend: parameters, records, candidates, exact matches.

Candidates for a new document are found the way a scan finds them: its LSH band keys are
looked up in the index's buckets, and its containment samples in the sample lookup (a
document sharing at least two samples is a candidate). Buckets and samples held by more
than ``max_bucket`` documents are ignored. Every candidate is then scored exactly on the two
shingle sets with the scan's match rule, so reported scores are never estimates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config import ScanConfig
from ..errors import IndexStoreError
from ..models import PairScore
from ..sign import Signer
from ..verify import MatchRule, score
from ..workers import DocumentInfo
from .base import (
    IndexedDocument,
    IndexParams,
    IndexStore,
    StoredDocument,
    band_keys,
    check_compatible,
    content_hash,
    sample_hashes,
)

#: A candidate must share at least this many containment samples (as in ``index.py``).
MIN_SHARED_SAMPLES = 2


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


def stored_documents(
    infos: Sequence[DocumentInfo],
    raw_sets: Sequence[np.ndarray],
    cleaned_sets: Sequence[np.ndarray],
    params: IndexParams,
) -> list[StoredDocument]:
    """Records for a batch: content hash of the raw set, signature and keys of the cleaned one."""
    if not infos:
        return []
    signatures = Signer(params.num_perm, params.seed).sign(cleaned_sets)
    keys = band_keys(signatures, params.bands, params.rows)
    return [
        StoredDocument(
            info=info,
            content_hash=content_hash(info, raw),
            shingles=cleaned,
            signature=signatures[row],
            band_keys=keys[row],
            samples=sample_hashes(cleaned, params.sample_mod),
        )
        for row, (info, raw, cleaned) in enumerate(zip(infos, raw_sets, cleaned_sets, strict=True))
    ]


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
    if not infos:
        return Lookup([], 0)
    signatures = Signer(params.num_perm, params.seed).sign(shingle_sets)
    keys = band_keys(signatures, params.bands, params.rows)
    candidates = _candidates(store, params, keys, shingle_sets, config)
    wanted = sorted({c for found in candidates for c in found})
    documents = {d.info.id: d for d in store.fetch(wanted)}
    rule = MatchRule(config.threshold, config.containment, config.min_containment_shingles)
    matches: list[list[Match]] = []
    pairs = 0
    for info, shingles, found in zip(infos, shingle_sets, candidates, strict=True):
        kept = []
        for doc_id in sorted(found - {info.id}):
            indexed = documents.get(doc_id)
            if indexed is None:  # removed by another process meanwhile
                continue
            pairs += 1
            pair = score(shingles, indexed.shingles)
            if rule.matches(pair, shingles.size, indexed.shingles.size):
                kept.append(Match(indexed, pair))
        matches.append(kept)
    return Lookup(matches, pairs)


def _candidates(
    store: IndexStore,
    params: IndexParams,
    keys: np.ndarray,
    shingle_sets: Sequence[np.ndarray],
    config: ScanConfig,
) -> list[set[str]]:
    """Candidate ids per new document: shared LSH buckets, or two shared samples."""
    limit = config.max_bucket + 1
    band_pairs = sorted({(band, int(key)) for row in keys for band, key in enumerate(row.tolist())})
    buckets = dict(zip(band_pairs, store.bucket_members(band_pairs, limit), strict=True))
    samples = [
        sample_hashes(s, params.sample_mod) if s.size >= config.min_containment_shingles else s[:0]
        for s in shingle_sets
    ]
    unique = sorted({int(v) for picked in samples for v in picked.tolist()})
    owners = dict(zip(unique, store.sample_members(unique, limit), strict=True))
    out = []
    for row, picked in zip(keys, samples, strict=True):
        found: set[str] = set()
        for band, key in enumerate(row.tolist()):
            members = buckets[(band, int(key))]
            if len(members) < limit:
                found.update(members)
        shared: Counter[str] = Counter()
        for value in picked.tolist():
            members = owners[int(value)]
            if len(members) < limit:
                shared.update(members)
        found.update(doc_id for doc_id, n in shared.items() if n >= MIN_SHARED_SAMPLES)
        out.append(found)
    return out


def include_indexed(corpus: object, store: IndexStore, config: ScanConfig) -> set[str]:
    """Add to a scan's corpus the indexed documents its documents match; return the new ids.

    ``corpus`` is ``pipeline.Corpus`` (``infos``, ``shingle_sets``, ``boilerplate``), changed
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
    rows = [
        (info, s, shares[i] if shares else 0.0)
        for i, (info, s) in enumerate(zip(infos, sets, strict=True))
    ]
    rows += [(d.info, d.shingles, 0.0) for d in extra.values()]
    rows.sort(key=lambda row: row[0].id)
    corpus.infos = [r[0] for r in rows]  # type: ignore[attr-defined]
    corpus.shingle_sets = [r[1] for r in rows]  # type: ignore[attr-defined]
    if shares:
        corpus.boilerplate = [r[2] for r in rows]  # type: ignore[attr-defined]
    return fresh
