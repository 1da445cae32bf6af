"""Write a synthetic syndication corpus with exact duplicate truth (once; reused after).

Usage (from the repo root, no install needed):

    python scripts/make_corpus.py OUT_DIR --docs 10000 --seed 0 --format txt
    python scripts/make_corpus.py OUT_DIR --docs 100000 --format jsonl --dup-fraction 0.3 --force

OUT_DIR gets ``docs/<shard>/<id>.txt`` (txt) or ``docs.jsonl`` (jsonl), ``gold.jsonl``
(one line per duplicate cluster) and ``manifest.json`` (parameters and counts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from dupdetect.synth import GENERATOR_VERSION, write_corpus  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="corpus folder")
    parser.add_argument("--docs", type=int, default=10000, help="number of articles")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("txt", "jsonl"),
        default="txt",
        help="one file per article (txt) or one docs.jsonl",
    )
    parser.add_argument(
        "--dup-fraction", type=float, default=0.2, help="fraction of articles in duplicate clusters"
    )
    parser.add_argument("--force", action="store_true", help="rewrite an existing corpus")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes generating articles (the corpus does not depend on it)",
    )
    args = parser.parse_args(argv)
    if args.docs < 0 or not 0.0 <= args.dup_fraction <= 1.0:
        parser.error("--docs must be >= 0 and --dup-fraction within [0, 1]")
    return args


def already_written(args: argparse.Namespace) -> bool:
    """True if OUT_DIR holds a finished corpus made with the same parameters."""
    try:
        manifest = json.loads((args.out_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    wanted = {
        "n_docs": args.docs,
        "seed": args.seed,
        "fmt": args.fmt,
        "dup_fraction": args.dup_fraction,
        "generator_version": GENERATOR_VERSION,
    }
    return all(manifest.get(k) == v for k, v in wanted.items())


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    if not args.force and already_written(args):
        print(f"corpus already exists: {args.out_dir} (use --force to rewrite)")
        return 0
    start = time.perf_counter()
    info = write_corpus(
        args.out_dir,
        args.docs,
        seed=args.seed,
        fmt=args.fmt,
        dup_fraction=args.dup_fraction,
        workers=max(1, args.workers),
    )
    secs = time.perf_counter() - start
    print(
        f"wrote {info.n_docs} docs ({info.total_bytes / 1e6:.1f} MB, {info.n_clusters} "
        f"clusters, {info.n_clustered_docs} clustered docs, {info.n_hard_negatives} hard "
        f"negatives) to {args.out_dir} in {secs:.1f} s "
        f"({info.n_docs / max(secs, 1e-9):.0f} docs/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
