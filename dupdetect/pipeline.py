"""The scan, stage by stage: load, normalize, shingle, sign, index, verify, cluster, report.

``scan`` is the library's front door; it never prints. Long stages report through an optional
``progress(stage, done, total)`` callback.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from .boilerplate import remove_boilerplate
from .cluster import Group, group_verified
from .config import ScanConfig
from .corpus import Corpus, Progress, build_corpus, index_keys
from .errors import NoArticlesError
from .gcpause import paused_gc
from .index import (
    CandidateSet,
    lsh_candidates,
    lsh_params,
    merge_candidates,
    sampled_containment_candidates,
)
from .models import Cluster, Member, Notice, PairScore, ScanResult, Summary
from .shingle_sets import ShingleSets
from .verify import MatchRule, score, verify_columns
from .workers import DocumentInfo, shingle_chunks

if TYPE_CHECKING:  # the store modules are imported by a scan with an index only
    from .store.base import IndexStore


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
    # Documents parsed in worker processes: this process only keeps results (see gcpause).
    with ShingleSets() as sets, paused_gc(config.jobs > 1):
        # the workers write the sets straight to the spill folder
        spill_folder = sets.spill_folder if config.jobs > 1 else None
        chunks = shingle_chunks(paths, config, spill_folder=spill_folder)
        return _scan_corpus(build_corpus(chunks, report, sets=sets), config, report, index)


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
        from .store.lookup import include_indexed

        fresh = include_indexed(corpus, index, config)
        if len(fresh) != len(corpus.infos):  # indexed documents joined: key everything here
            corpus.band_keys = corpus.samples = None
    bands, rows = lsh_params(config.effective_lsh_threshold, config.num_perm)
    report("indexing", 0, len(corpus.infos))
    index_keys(corpus, config, bands, rows)
    lsh, contained = _candidates(corpus, config)
    candidates = merge_candidates(lsh, contained)
    corpus.notices += oversized_bucket_notices(lsh, corpus.infos, config.max_bucket)
    report("indexing", len(corpus.infos), len(corpus.infos))
    rule = MatchRule(config.threshold, config.containment, config.min_containment_shingles)
    report("verifying", 0, len(candidates))
    if isinstance(corpus.shingle_sets, ShingleSets):
        corpus.shingle_sets.prefetch(np.unique(candidates).tolist())
    verified = verify_columns(candidates, corpus.shingle_sets, rule, threads=config.jobs)
    report("verifying", len(candidates), len(candidates))
    groups = group_verified(
        verified,
        representative_rank(corpus.infos, np.union1d(verified.a, verified.b).tolist()),
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


def _candidates(corpus: Corpus, config: ScanConfig) -> tuple[CandidateSet, CandidateSet]:
    """The LSH and the containment candidates of the corpus's keys and samples.

    With ``jobs`` > 1 the two are found at once: the containment counting runs in
    ``jobs`` threads without the GIL (C loops, numpy sorts) while this thread groups the
    LSH bands, many small numpy calls that mostly hold it (a million articles: 2.9 s
    instead of 3.7 to 4.5 s one after the other; 100,000: 0.3 instead of 0.4 s).
    """
    contained = functools.partial(
        sampled_containment_candidates,
        corpus.samples,
        len(corpus.infos),
        max_bucket=config.max_bucket,
        threads=config.jobs,
    )
    if config.jobs <= 1:
        return lsh_candidates(corpus.band_keys, config.max_bucket), contained()  # type: ignore[arg-type]
    with ThreadPoolExecutor(1) as pool:
        counting = pool.submit(contained)
        return lsh_candidates(corpus.band_keys, config.max_bucket), counting.result()  # type: ignore[arg-type]


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


def representative_rank(infos: list[DocumentInfo], rows: Iterable[int] | None = None) -> list[int]:
    """Rank of each document for representative choice: earliest date, longest text, id.

    With ``rows``, only those documents are ranked (among themselves: the same order as
    ranking all); the others get 0. A scan ranks the documents of verified pairs, the only
    ones a cluster can hold.

    One numpy ``lexsort`` of the three keys as integers (the dates' order, the lengths, the
    ids' order, which a scan's id-sorted rows give at once) instead of sorting tuples in
    Python: 0.25 against 0.6 s for the 200,000 documents of a million-article scan.
    """
    ranked = range(len(infos)) if rows is None else sorted(set(rows))
    ids, lengths, dates = _rank_fields(infos, ranked)
    by_id = np.empty(len(ids), dtype=np.int64)
    by_id[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    date_keys = {date: _date_key(date) for date in set(dates)}
    date_order = {key: order for order, key in enumerate(sorted(set(date_keys.values())))}
    by_date = np.array([date_order[date_keys[date]] for date in dates], dtype=np.int64)
    order = np.lexsort((by_id, -np.array(lengths, dtype=np.int64), by_date))
    rank = np.zeros(len(infos), dtype=np.int64)
    rank[np.asarray(ranked, dtype=np.int64)[order]] = np.arange(order.size)
    return rank.tolist()


_RANK_FIELDS = operator.attrgetter("id", "length", "date")


def _rank_fields(
    infos: list[DocumentInfo], rows: Sequence[int]
) -> tuple[Sequence[str], Sequence[int], Sequence[str]]:
    """The ids, lengths and dates of the documents ``rows``."""
    if not rows:
        return (), (), ()
    ids, lengths, dates = zip(*map(_RANK_FIELDS, map(infos.__getitem__, rows)), strict=True)
    return ids, lengths, dates


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
    others = sorted(group.members, key=lambda m: infos[m[0]].id)
    members = [make_member(infos[rep], None, boilerplate[rep])]
    members += [make_member(infos[row], pair, boilerplate[row]) for row, pair in others]
    return cluster_of(members)


def cluster_of(members: list[Member]) -> Cluster:
    """A Cluster of ``members`` (representative first): id from the sorted member ids, and
    the agency most members name as its ``wire``."""
    ids = sorted(m.id for m in members)
    digest = hashlib.sha1("\n".join(ids).encode("utf-8")).hexdigest()[:12]
    wires: dict[str, int] = {}
    for member in members:
        if member.wire:
            wires[member.wire] = wires.get(member.wire, 0) + 1
    wire = min(wires, key=lambda w: (-wires[w], w)) if wires else ""
    return Cluster(id=f"c{digest}", representative=members[0].id, members=tuple(members), wire=wire)


#: The representative's score against itself.
_SELF_SCORE = PairScore(1.0, 1.0, 1.0)


def make_member(info: DocumentInfo, pair: PairScore | None, boilerplate: float = 0.0) -> Member:
    """A cluster member; ``pair`` is ``score(representative, member)``, None for the
    representative itself.

    Arguments by position, in ``Member``'s field order: a scan makes one member per
    document in a cluster, and the keyword call cost a third more (1.7 against 1.3 s for
    the 200,000 members of a million-article scan)."""
    scored = pair or _SELF_SCORE
    return Member(
        info.id,
        info.path,
        info.title,
        info.source,
        info.url,
        info.date,
        info.wire,
        scored.jaccard,  # similarity
        scored.containment,
        scored.containment_ba,  # contained_in_representative
        scored.containment_ab,  # representative_contained
        pair is None,  # is_representative
        boilerplate,
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
