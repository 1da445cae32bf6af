"""Score a scan against gold clusters: pairwise precision, recall, F1 and the Adjusted Rand Index.

Gold is JSON Lines, one ``{"cluster": name, "ids": [...]}`` per line; documents that appear in
no gold cluster are singletons. Pairwise scores count unordered document pairs placed in the
same cluster; ARI compares the two partitions of all scanned documents, singletons included.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from pathlib import Path

from .config import ScanConfig
from .errors import DupdetectError
from .pipeline import scan

#: Jaccard thresholds tried by ``dupdetect evaluate --sweep``.
SWEEP_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


class GoldFileError(DupdetectError):
    """The gold clusters file cannot be read or is malformed."""


@dataclass(frozen=True)
class Scores:
    """Agreement of predicted clusters with gold clusters."""

    precision: float
    recall: float
    f1: float
    ari: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def wrong_pairs(self) -> int:
        """Predicted pairs that gold does not have (false positives)."""
        return self.predicted_pairs - self.correct_pairs

    @property
    def missed_pairs(self) -> int:
        """Gold pairs the prediction does not have (false negatives)."""
        return self.true_pairs - self.correct_pairs


def read_gold(path: str | Path) -> list[list[str]]:
    """Read gold clusters from JSON Lines; raises GoldFileError naming file and line."""
    clusters = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFileError(f"cannot read gold file {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            ids = record["ids"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise GoldFileError(
                f'{path}:{number}: expected {{"cluster": ..., "ids": [...]}}'
            ) from exc
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise GoldFileError(f'{path}:{number}: "ids" must be a list of strings')
        clusters.append(sorted(set(ids)))
    return clusters


def pairs_of(clusters: Iterable[Sequence[str]]) -> set[tuple[str, str]]:
    """Every unordered pair of ids that share a cluster, as sorted tuples."""
    return {pair for cluster in clusters for pair in combinations(sorted(cluster), 2)}


def score_clusters(
    predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], universe: Iterable[str]
) -> Scores:
    """Pairwise P/R/F1 and ARI of ``predicted`` against ``gold`` over the ids in ``universe``.

    >>> s = score_clusters([["a", "b"]], [["a", "b", "c"]], "abcd")
    >>> (s.precision, s.recall, round(s.f1, 3))
    (1.0, 0.3333, 0.5)
    """
    ids = set(universe)
    gold = [[i for i in c if i in ids] for c in gold]
    predicted_pairs, gold_pairs = pairs_of(predicted), pairs_of(gold)
    correct = len(predicted_pairs & gold_pairs)
    precision = correct / len(predicted_pairs) if predicted_pairs else 1.0
    recall = correct / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        ari=round(adjusted_rand_index(_labels(predicted, ids), _labels(gold, ids)), 4),
        true_pairs=len(gold_pairs),
        predicted_pairs=len(predicted_pairs),
        correct_pairs=correct,
    )


def _labels(clusters: Sequence[Sequence[str]], ids: set[str]) -> dict[str, str]:
    labels = {i: f"single:{i}" for i in ids}
    for number, cluster in enumerate(clusters):
        for member in cluster:
            if member in labels:
                labels[member] = f"cluster:{number}"
    return labels


def adjusted_rand_index(predicted: dict[str, str], gold: dict[str, str]) -> float:
    """ARI (Hubert and Arabie) of two labelings of the same ids.

    >>> adjusted_rand_index({"a": 1, "b": 1, "c": 2}, {"a": "x", "b": "x", "c": "y"})
    1.0
    """

    def comb2(n: int) -> float:
        return n * (n - 1) / 2

    total = comb2(len(gold))
    both = sum(comb2(n) for n in Counter((predicted[i], gold[i]) for i in gold).values())
    pred_sum = sum(comb2(n) for n in Counter(predicted[i] for i in gold).values())
    gold_sum = sum(comb2(n) for n in Counter(gold.values()).values())
    expected = pred_sum * gold_sum / total if total else 0.0
    maximum = (pred_sum + gold_sum) / 2
    if maximum == expected:
        return 1.0
    return (both - expected) / (maximum - expected)


@dataclass(frozen=True)
class EvaluationRun:
    """The scores of one scan configuration."""

    threshold: float
    containment: float
    scores: Scores
    best: bool = False


def run_evaluation(
    paths: Sequence[str | Path],
    gold: Sequence[Sequence[str]],
    config: ScanConfig,
    thresholds: Sequence[float] = (),
) -> list[EvaluationRun]:
    """Scan with ``config`` (or once per threshold) and score each run against ``gold``.

    With several thresholds the best run (F1, then ARI, then the lower threshold) is marked.
    """
    configs = [replace(config, threshold=t) for t in thresholds] or [config]
    runs = []
    for each in configs:
        result = scan(paths, each)
        universe = set(result.document_ids)
        predicted = [[m.id for m in c.members] for c in result.clusters]
        runs.append(
            EvaluationRun(
                each.threshold, each.containment, score_clusters(predicted, gold, universe)
            )
        )
    if len(runs) > 1:
        best = max(range(len(runs)), key=lambda i: (runs[i].scores.f1, runs[i].scores.ari, -i))
        runs[best] = replace(runs[best], best=True)
    return runs


def evaluation_dict(runs: Sequence[EvaluationRun]) -> dict[str, object]:
    """Runs as a JSON-ready dict: ``{"runs": [...], "best": {...}}``."""
    rows = [
        {
            "threshold": r.threshold,
            "containment": r.containment,
            "best": r.best,
            **asdict(r.scores),
            "wrong_pairs": r.scores.wrong_pairs,
            "missed_pairs": r.scores.missed_pairs,
        }
        for r in runs
    ]
    best = next((row for row in rows if row["best"]), rows[0])
    return {"runs": rows, "best": best}
