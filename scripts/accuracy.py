"""Accuracy of dupdetect's defaults against the plain-datasketch baseline, side by side.

Usage:
    python scripts/accuracy.py dev DOCS.jsonl GOLD.jsonl      # a labelled set (e.g. the dev split)
    python scripts/accuracy.py synth --docs 5000 --seed 7     # the generated syndication corpus

The baseline is what a first attempt with datasketch looks like: whole-page word 5-shingles,
``MinHash(num_perm=128)`` per document, ``MinHashLSH(threshold=0.8)``, every pair the index
returns is a duplicate, clusters are connected components. Both run in this process on the
same documents and are scored with ``dupdetect.evaluate.score_clusters``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datasketch import MinHash, MinHashLSH  # noqa: E402

from dupdetect import ScanConfig, scan  # noqa: E402
from dupdetect.evaluate import Scores, read_gold, score_clusters  # noqa: E402

_WORD = re.compile(r"\w+")


def baseline_clusters(records: list[dict[str, str]], threshold: float = 0.8) -> list[list[str]]:
    """Plain datasketch: 5-word shingles of the whole page, MinHashLSH, connected components."""
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    sketches = {}
    for record in records:
        words = _WORD.findall(record["text"].lower())
        shingles = {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}
        sketch = MinHash(num_perm=128)
        sketch.update_batch([s.encode("utf-8") for s in shingles])
        lsh.insert(record["id"], sketch)
        sketches[record["id"]] = sketch
    parent = {doc_id: doc_id for doc_id in sketches}

    def find(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for doc_id, sketch in sketches.items():
        for other in lsh.query(sketch):
            parent[find(other)] = find(doc_id)
    groups: dict[str, list[str]] = {}
    for doc_id in sketches:
        groups.setdefault(find(doc_id), []).append(doc_id)
    return [g for g in groups.values() if len(g) > 1]


def compare(docs: Path, gold: list[list[str]], label: str) -> dict[str, object]:
    """Score dupdetect's defaults and the baseline on one JSONL file of documents."""
    records = [json.loads(line) for line in docs.read_text(encoding="utf-8").splitlines() if line]
    ids = [r["id"] for r in records]
    started = time.perf_counter()
    result = scan([docs], ScanConfig())
    ours_seconds = time.perf_counter() - started
    ours = score_clusters([[m.id for m in c.members] for c in result.clusters], gold, ids)
    started = time.perf_counter()
    theirs = score_clusters(baseline_clusters(records), gold, ids)
    base_seconds = time.perf_counter() - started
    return {
        "data": label,
        "documents": len(ids),
        "dupdetect": _row(ours, ours_seconds),
        "baseline": _row(theirs, base_seconds),
    }


def _row(scores: Scores, seconds: float) -> dict[str, object]:
    return {
        "precision": scores.precision,
        "recall": scores.recall,
        "f1": scores.f1,
        "ari": scores.ari,
        "wrong_pairs": scores.wrong_pairs,
        "missed_pairs": scores.missed_pairs,
        "seconds": round(seconds, 2),
    }


def print_markdown(report: dict[str, object]) -> None:
    """One markdown table: dupdetect and the baseline on one data set."""
    print(f"\n{report['data']} ({report['documents']} documents)\n")
    print("| method | precision | recall | F1 | ARI | wrong pairs | missed pairs | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("dupdetect", "baseline"):
        r = report[name]
        print(
            f"| {name} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {r['ari']:.4f}"
            f" | {r['wrong_pairs']} | {r['missed_pairs']} | {r['seconds']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    dev = sub.add_parser("dev", help="a labelled JSONL set and its gold clusters")
    dev.add_argument("docs", type=Path)
    dev.add_argument("gold", type=Path)
    synth = sub.add_parser("synth", help="the generated syndication corpus")
    synth.add_argument("--docs", type=int, default=5000)
    synth.add_argument("--seed", type=int, default=7)
    synth.add_argument("--dir", type=Path, default=ROOT / "data" / "accuracy-synth")
    args = parser.parse_args()
    if args.mode == "dev":
        report = compare(args.docs, read_gold(args.gold), str(args.docs))
    else:
        from dupdetect.synth import write_corpus

        out = args.dir / f"{args.docs}-{args.seed}"
        if not (out / "gold.jsonl").exists():
            write_corpus(out, args.docs, seed=args.seed, fmt="jsonl")
        report = compare(
            out / "docs.jsonl", read_gold(out / "gold.jsonl"), f"synthetic seed {args.seed}"
        )
    print_markdown(report)


if __name__ == "__main__":
    main()
