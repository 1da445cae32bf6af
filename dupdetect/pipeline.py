"""The scan, stage by stage: load, normalize, shingle, sign, index, verify, cluster, report.

``scan`` is the library's front door; it never prints. Long stages report through an optional
``progress(stage, done, total)`` callback.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from .boilerplate import remove_boilerplate
from .cluster import Group, group_documents
from .config import ScanConfig
from .errors import NoArticlesError
from .index import candidate_pairs, containment_candidates, lsh_params, merge_candidates
from .models import Cluster, Member, Notice, PairScore, ScanResult, Skipped, Summary
from .sign import Signer
from .store.base import IndexStore
from .store.lookup import include_indexed
from .verify import MatchRule, score, verify_pairs
from .workers import DocumentInfo, Shingled, ShingleItem, shingle_inputs

Progress = Callable[[str, int, int | None], None]


@dataclass
class Corpus:
    """Shingled documents, sorted by id, with everything that was skipped on the way."""

    infos: list[DocumentInfo] = field(default_factory=list)
    shingle_sets: list[np.ndarray] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    boilerplate: list[float] = field(default_factory=list)
    signatures: dict[str, np.ndarray] = field(default_factory=dict)


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
    corpus = build_corpus(shingle_inputs(paths, config), report)
    if not corpus.infos:
        raise NoArticlesError(_nothing_found_message(corpus))
    if config.boilerplate_min_docs:
        corpus.boilerplate = remove_boilerplate(
            corpus.shingle_sets,
            [info.source for info in corpus.infos],
            min_docs=config.boilerplate_min_docs,
        )
    fresh = include_indexed(corpus, index, config) if index is not None else None
    report("signing", 0, len(corpus.infos))
    signatures = sign_corpus(corpus, config)
    report("signing", len(corpus.infos), len(corpus.infos))
    bands, rows = lsh_params(config.effective_lsh_threshold, config.num_perm)
    candidates = merge_candidates(
        candidate_pairs(signatures, bands, rows, config.max_bucket),
        containment_candidates(
            corpus.shingle_sets,
            min_shingles=config.min_containment_shingles,
            max_bucket=config.max_bucket,
        ),
    )
    rule = MatchRule(config.threshold, config.containment, config.min_containment_shingles)
    report("verifying", 0, len(candidates))
    verified = verify_pairs(candidates, corpus.shingle_sets, rule)
    report("verifying", len(candidates), len(candidates))
    groups = group_documents(
        len(corpus.infos),
        verified,
        representative_rank(corpus.infos),
        lambda a, b: score(corpus.shingle_sets[a], corpus.shingle_sets[b]),
        [s.size for s in corpus.shingle_sets],
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


def build_corpus(items: Iterable[ShingleItem], report: Progress) -> Corpus:
    """Collect shingled documents (first of each id), Skipped and Notice items, sorted."""
    rows: dict[str, Shingled] = {}
    corpus = Corpus()
    for item in items:
        if isinstance(item, Skipped):
            corpus.skipped.append(item)
        elif isinstance(item, Notice):
            corpus.notices.append(item)
        else:
            _add_document(item, rows, corpus)
            report("reading", len(rows), None)
    for doc_id in sorted(rows):
        corpus.infos.append(rows[doc_id].info)
        corpus.shingle_sets.append(rows[doc_id].shingles)
        if rows[doc_id].signature is not None:
            corpus.signatures[doc_id] = rows[doc_id].signature
    corpus.skipped.sort(key=lambda s: (s.path, s.line or 0))
    corpus.notices.sort(key=lambda n: (n.path, n.line or 0))
    return corpus


def sign_corpus(corpus: Corpus, config: ScanConfig) -> np.ndarray:
    """The signature matrix, one row per document: signatures the workers made are reused
    unless boilerplate removal changed the document's shingle set; the rest are made here."""
    shares = corpus.boilerplate or [0.0] * len(corpus.infos)
    made = corpus.signatures
    todo = [i for i, info in enumerate(corpus.infos) if shares[i] > 0 or info.id not in made]
    matrix = np.empty((len(corpus.infos), config.num_perm), dtype=np.uint32)
    for row, info in enumerate(corpus.infos):
        if shares[row] == 0 and info.id in made:
            matrix[row] = made[info.id]
    if todo:
        signer = Signer(config.num_perm, config.seed)
        matrix[todo] = signer.sign([corpus.shingle_sets[i] for i in todo])
    return matrix


def _add_document(doc: Shingled, rows: dict[str, Shingled], corpus: Corpus) -> None:
    info = doc.info
    if info.id in rows:
        first = rows[info.id].info
        where = f"{first.path}" if first.path != info.path else "earlier in this file"
        corpus.skipped.append(
            Skipped(info.path, f"duplicate id {info.id!r} (first seen in {where})", doc.line)
        )
    elif doc.shingles is None:
        corpus.skipped.append(Skipped(info.path, "no words in text", doc.line))
    else:
        rows[info.id] = doc


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
