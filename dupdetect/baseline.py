"""Baselines: clusters already accepted, so a CI check fails only on what is new.

A baseline file is JSON: ``{"version": 1, "clusters": [{"id": ..., "documents": [ids]}]}``,
written from a scan. A cluster of a later scan is *known* when all its documents sit in one
baseline cluster; any other cluster (a new story copied, or a new copy of an accepted story)
is *new*.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DupdetectError
from .models import Cluster, ScanResult

BASELINE_VERSION = 1


class BaselineError(DupdetectError):
    """The baseline file cannot be read or is not a dupdetect baseline."""


@dataclass(frozen=True)
class Baseline:
    """Accepted clusters, each as the set of its document ids."""

    clusters: tuple[frozenset[str], ...]

    def covers(self, cluster: Cluster) -> bool:
        """True when every document of ``cluster`` is in one accepted cluster."""
        ids = {m.id for m in cluster.members}
        return any(ids <= accepted for accepted in self.clusters)


def new_clusters(clusters: Sequence[Cluster], baseline: Baseline | None) -> list[Cluster]:
    """The clusters the baseline does not cover (all of them without a baseline)."""
    if baseline is None:
        return list(clusters)
    return [c for c in clusters if not baseline.covers(c)]


def read_baseline(path: str | Path) -> Baseline:
    """Read a baseline written by ``write_baseline``; raise BaselineError with the reason."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path} is not a dupdetect baseline (version {BASELINE_VERSION})")
    try:
        clusters = tuple(frozenset(map(str, c["documents"])) for c in data["clusters"])
    except (KeyError, TypeError) as exc:
        raise BaselineError(f'{path}: every cluster needs a "documents" list') from exc
    return Baseline(clusters)


def write_baseline(result: ScanResult, path: str | Path) -> None:
    """Write the clusters of ``result`` as a baseline file (sorted, stable, reviewable)."""
    clusters = [{"id": c.id, "documents": sorted(m.id for m in c.members)} for c in result.clusters]
    text = json.dumps({"version": BASELINE_VERSION, "clusters": clusters}, indent=2)
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc
