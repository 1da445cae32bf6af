"""Benchmark dupdetect against a naive datasketch pipeline and a read+shingle floor.

Usage (from the repo root; ``make bench`` runs the default):

    .venv/bin/python bench/bench.py                    # 10,000 documents
    .venv/bin/python bench/bench.py --docs 100000      # naive baseline timed on a 10k subset
    .venv/bin/python bench/bench.py --docs 100000 1000000 --jobs 2   # both sizes + scaling
    .venv/bin/python bench/bench.py --docs 100000 --repeat 3         # medians of 3 turns

The synthetic corpus (``dupdetect.synth``) is written once to ``data/bench-<docs>/`` and reused
while its ``manifest.json`` matches. Every measurement runs in its own subprocess, so its peak
RSS (``ru_maxrss`` of that child) is clean. The table is printed and appended to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from dupdetect.evaluate import read_gold, score_clusters  # noqa: E402
from dupdetect.synth import GENERATOR_VERSION, write_corpus  # noqa: E402

NAIVE_MAX_DOCS = 10_000  # the naive baseline is timed on at most this many files

# Each variant is a tiny program run as ``python -c CODE DOCS_DIR LIMIT``; it prints the number
# of documents it processed (and, for the naive one, the candidate pairs) as JSON on stdout.
_FILES = """
import os, sys
def files(root, limit):
    out = []
    for d, subdirs, names in os.walk(root):
        subdirs.sort()
        out += [os.path.join(d, n) for n in sorted(names) if n.endswith(".txt")]
    return out[:limit] if limit else out
"""

NAIVE = (
    _FILES
    + """
import json, re
from datasketch import MinHash, MinHashLSH
word = re.compile(r"\\w+")
lsh = MinHashLSH(threshold=0.5, num_perm=128)
sketches = {}
for path in files(sys.argv[1], int(sys.argv[2])):
    with open(path, encoding="utf-8") as fh:
        tokens = word.findall(fh.read().lower())
    m = MinHash(num_perm=128)
    for i in range(max(1, len(tokens) - 4)):
        m.update(" ".join(tokens[i : i + 5]).encode())
    lsh.insert(path, m)
    sketches[path] = m
pairs = set()
for key, m in sketches.items():
    pairs.update((min(key, o), max(key, o)) for o in lsh.query(m) if o != key)
print(json.dumps({"docs": len(sketches), "pairs": len(pairs)}))
"""
)

FLOOR = (
    _FILES
    + """
import json, multiprocessing
from dupdetect.normalize import word_bytes
from dupdetect.shingle import hash_word_bytes, shingle_hashes
def count(paths):
    total = 0
    for path in paths:  # announce the chunk's files first, as the scan's workers do
        fd = os.open(path, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        os.close(fd)
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            total += shingle_hashes(hash_word_bytes(word_bytes(fh.read())), 5).size
    return total
paths = files(sys.argv[1], int(sys.argv[2]))
from dupdetect.workers import CHUNK_FILES  # the scan's chunk size
chunks = [paths[i : i + CHUNK_FILES] for i in range(0, len(paths), CHUNK_FILES)]
if int(sys.argv[3]) > 1:
    with multiprocessing.Pool(int(sys.argv[3])) as pool:
        total = sum(pool.imap(count, chunks))
else:
    total = sum(map(count, chunks))
print(json.dumps({"docs": len(paths), "shingles": total}))
"""
)


@dataclass
class Row:
    """One measured variant."""

    variant: str
    docs: int
    wall: float
    rss_mb: float
    note: str = ""

    @property
    def rate(self) -> float:
        """Documents per second."""
        return self.docs / self.wall if self.wall else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--docs", type=int, nargs="+", default=[10_000], help="corpus sizes (10000 100000 …)"
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to run")
    parser.add_argument("--skip-naive", action="store_true", help="do not run the naive baseline")
    parser.add_argument(
        "--floor-processes", type=int, nargs="*", default=[1, 2], help="floor variants to run"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the floors and dupdetect this many times each, taking turns, and report the "
        "median wall time (shared machines drift; the naive baseline runs once)",
    )
    return parser.parse_args(argv)


def ensure_corpus(docs: int, seed: int) -> Path:
    """``data/bench-<docs>``, written unless a matching manifest is already there."""
    out = REPO_ROOT / "data" / f"bench-{docs}"
    wanted = {"n_docs": docs, "seed": seed, "fmt": "txt", "generator_version": GENERATOR_VERSION}
    try:
        manifest = json.loads((out / "manifest.json").read_text())
        if all(manifest.get(k) == v for k, v in wanted.items()):
            return out
    except (OSError, ValueError):
        pass
    print(f"writing corpus {out} ({docs} docs) …", file=sys.stderr)
    write_corpus(out, docs, seed, fmt="txt")
    return out


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd`` in a child; return wall seconds, its peak RSS (MB) and its stdout.

    A fresh wrapper process runs the command, so the wrapper's RUSAGE_CHILDREN covers exactly
    that command and its workers (ru_maxrss is the largest single process, not their sum).
    """
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(f'{wall} {rss} {p.returncode}')\n"
        "sys.stdout.write(p.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], stdout=subprocess.PIPE, text=True, check=True
    )
    head, _, out = done.stdout.partition("\n")
    wall, rss_kb, code = head.split()
    if code != "0":
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(cmd)}")
    return float(wall), int(rss_kb) / 1024, out


def run_naive(docs_dir: Path, n_docs: int) -> Row:
    """The naive datasketch pipeline (timed on a subset at large sizes)."""
    limit = min(n_docs, NAIVE_MAX_DOCS)
    wall, rss, out = measure([sys.executable, "-c", NAIVE, str(docs_dir), str(limit)])
    result = json.loads(out)
    note = f"{result['pairs']} candidate pairs, no verification"
    if limit < n_docs:
        note += f"; timed on the first {limit} docs, docs/s extrapolated"
    return Row("naive datasketch", result["docs"], wall, rss, note)


def run_floor(docs_dir: Path, n_docs: int, processes: int = 1) -> Row:
    """Read + tokenize + hash + shingle, the scan's own functions, nothing else."""
    wall, rss, out = measure([sys.executable, "-c", FLOOR, str(docs_dir), "0", str(processes)])
    name = "floor (read+tokenize+hash+shingle)"
    if processes > 1:
        name = f"floor, {processes} processes"
    return Row(name, json.loads(out)["docs"], wall, rss)


def run_dupdetect(docs_dir: Path, n_docs: int, jobs: int, gold: Path) -> Row:
    """``dupdetect scan`` end to end, scored against the gold clusters."""
    exe = Path(sys.executable).parent / "dupdetect"
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "x.csv"
        cmd = [str(exe), "scan", str(docs_dir), "-f", "csv", "-o", str(csv_path), "-q"]
        wall, rss, _ = measure([*cmd, "--jobs", str(jobs)])
        clusters = read_clusters(csv_path)
    ids = [p.relative_to(docs_dir).as_posix() for p in sorted(docs_dir.rglob("*.txt"))]
    scores = score_clusters(clusters, read_gold(gold), ids)
    note = f"P {scores.precision:.4f} R {scores.recall:.4f} F1 {scores.f1:.4f}"
    return Row(f"dupdetect --jobs {jobs}", n_docs, wall, rss, note)


def read_clusters(csv_path: Path) -> list[list[str]]:
    """Clusters (lists of doc ids) from dupdetect's CSV output."""
    import csv

    clusters: dict[str, list[str]] = {}
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for record in csv.DictReader(fh):
            clusters.setdefault(record["cluster_id"], []).append(record["doc_id"])
    return list(clusters.values())


def median_row(runs: list[Row]) -> Row:
    """One variant's runs as one row: the median wall time, the largest peak RSS, and (for
    several runs) every wall time in the notes."""
    if len(runs) == 1:
        return runs[0]
    walls = sorted(r.wall for r in runs)
    middle = statistics.median(walls)
    note = f"median of {len(runs)} runs ({', '.join(f'{w:.1f}' for w in walls)} s)"
    notes = "; ".join(filter(None, [runs[-1].note, note]))
    return Row(runs[0].variant, runs[0].docs, middle, max(r.rss_mb for r in runs), notes)


def table(rows: list[Row]) -> str:
    """Markdown table of the rows, with ratios against the naive baseline and the floors."""
    naive = next((r for r in rows if r.variant.startswith("naive")), None)
    floors = [r for r in rows if r.variant.startswith("floor")]
    columns = ["variant", "docs", "wall s", "docs/s", "peak RSS MB", "vs naive"]
    columns += [f"vs {_short(f.variant)}" for f in floors] + ["notes"]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|---|--:|--:|--:|--:|--:|" + "--:|" * len(floors) + "---|",
    ]
    for r in rows:
        vs_naive = f"{r.rate / naive.rate:.2f}x" if naive else "n/a"
        vs_floors = "".join(f" {r.rate / f.rate:.2f}x |" for f in floors)
        lines.append(
            f"| {r.variant} | {r.docs:,} | {r.wall:.1f} | {r.rate:,.0f} | {r.rss_mb:,.0f} "
            f"| {vs_naive} |{vs_floors} {r.note} |"
        )
    return "\n".join(lines)


def _short(variant: str) -> str:
    return (
        "floor 1p"
        if variant.startswith("floor (")
        else variant.replace(", ", " ").replace(" processes", "p")
    )


def scaling(walls: dict[int, float], jobs: int) -> str:
    """How ``dupdetect --jobs N`` time grew between the corpus sizes measured in this run."""
    sizes = sorted(walls)
    lines = [f"Scaling of `dupdetect --jobs {jobs}` wall time within this run:", ""]
    for small, large in zip(sizes, sizes[1:], strict=False):
        lines.append(
            f"- {small:,} -> {large:,} documents ({large / small:.0f}x): "
            f"{walls[small]:.1f} s -> {walls[large]:.1f} s = **{walls[large] / walls[small]:.2f}x**"
        )
    return "\n".join(lines) + "\n"


def machine() -> str:
    """Date, nproc, CPU model and Python version, one line."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{now} · nproc {os.cpu_count()} · {model} · Python {platform.python_version()}"


INTRO = """# Benchmarks

`bench/bench.py` (`make bench`) times, on a synthetic syndication corpus from
`dupdetect.synth` (one `.txt` per article, exact duplicate truth in `gold.jsonl`):

- **naive datasketch**: read, lowercase, `\\w+` tokens, 5-word shingle strings,
  `MinHash(num_perm=128).update` per shingle, `MinHashLSH(threshold=0.5)` insert, then a query
  per document for candidate pairs (no verification, no clustering). Above 10,000 documents it
  is timed on the first 10,000 and its docs/s is extrapolated.
- **floor**: read + `normalize.word_bytes` + `shingle.hash_word_bytes` + `shingle_hashes`
  (the scan's own tokenizer and hashing, C loops included) only; no wire cleanup, no MinHash,
  no index. What any scan must at least pay: in one process (**floor 1p**) and split over a
  pool of 2 processes (**floor 2p**, the fair comparison for `--jobs 2`); chunks of the
  scan's size (256 files), each announced to the kernel before it is read, as the scan's
  workers do.
- **dupdetect --jobs N**: `dupdetect scan DIR -f csv -o FILE -q --jobs N` end to end (read,
  clean, shingle, boilerplate, sign, LSH + containment index, exact verification, clustering,
  CSV), with pairwise precision/recall/F1 against `gold.jsonl`.

Each variant runs in its own subprocess; peak RSS is that process tree's largest resident set
(`ru_maxrss` of the children). Rerun with `make bench` or
`.venv/bin/python bench/bench.py --docs 100000`. Absolute numbers depend on the machine;
**ratios are what we quote.** With `--repeat N` the floors and dupdetect run N times each,
taking turns (so a slow phase of a shared machine hits every variant), and the table gives
the median wall time of each.
"""


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    started = time.perf_counter()
    walls: dict[int, float] = {}
    scaled = f"dupdetect --jobs {max(args.jobs)}"
    for docs in args.docs:
        section, rows = run_size(docs, args)
        walls.update((docs, r.wall) for r in rows if r.variant == scaled)
        emit(section, args.out)
    if len(walls) > 1:
        emit("\n" + scaling(walls, max(args.jobs)), args.out)
    print(f"appended to {args.out} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


def run_size(docs: int, args: argparse.Namespace) -> tuple[str, list[Row]]:
    """Every variant on the ``docs``-document corpus: the report section and its rows."""
    corpus = ensure_corpus(docs, args.seed)
    docs_dir, gold = corpus / "docs", corpus / "gold.jsonl"
    rows = [] if args.skip_naive else [run_naive(docs_dir, docs)]
    variants = [partial(run_floor, docs_dir, docs, processes) for processes in args.floor_processes]
    variants += [partial(run_dupdetect, docs_dir, docs, jobs, gold) for jobs in args.jobs]
    turns = [[variant() for variant in variants] for _ in range(max(1, args.repeat))]
    rows += [median_row(list(runs)) for runs in zip(*turns, strict=True)]
    manifest = json.loads((corpus / "manifest.json").read_text())
    section = (
        f"\n## {docs:,} documents (seed {args.seed})\n\n{machine()} · corpus "
        f"{manifest['total_bytes'] / 1e6:.0f} MB, {manifest['n_clusters']:,} gold clusters, "
        f"{manifest['n_clustered_docs']:,} clustered docs\n\n{table(rows)}\n"
    )
    return section, rows


def emit(text: str, out: Path) -> None:
    """Print ``text`` and append it to ``out`` (created with the introduction if missing)."""
    print(text)
    if not out.exists():
        out.write_text(INTRO, encoding="utf-8")
    with out.open("a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main())
