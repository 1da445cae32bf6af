"""Benchmark the persistent index (issue 5): add throughput, bytes per article, query latency.

Usage (from the repo root):

    .venv/bin/python bench/bench_index.py                  # 10,000 documents
    .venv/bin/python bench/bench_index.py --docs 100000 --out BENCHMARKS.md

Measures, on the synthetic corpus of ``bench.py`` (``data/bench-<docs>/``):

- ``dupdetect scan`` (in memory) vs ``dupdetect index add`` into a new SQLite file, same --jobs;
- the index file size per article (file + WAL);
- ``query_documents`` of one article at a time against that index: median and p95 latency
  after the first query, and the query process's peak RSS;
- Redis (a ``redis-server`` started on a free loopback port, or ``--redis URL``): two
  ``index add`` writer processes at once, each half the corpus; the same queries as on SQLite
  must give the same matches; and datasketch's own Redis-backed ``MinHashLSH`` insertion
  (``insertion_session``) on the same signatures, for comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from bench import REPO_ROOT, ensure_corpus, machine, measure  # noqa: E402

DUPDETECT = str(Path(sys.executable).with_name("dupdetect"))

QUERY = """
import json, random, resource, statistics, sys, time
from pathlib import Path
from dupdetect import ScanConfig
from dupdetect.incremental import query_documents
from dupdetect.store import open_store
store = open_store(sys.argv[1], create=False)
files = sorted(Path(sys.argv[2]).rglob("*.txt"))
random.seed(7)
picked = random.sample(files, min(int(sys.argv[3]), len(files)))
config = ScanConfig(jobs=1)
times, tables = [], []
for path in picked:
    t = time.perf_counter()
    result = query_documents([path], store, config)
    times.append(time.perf_counter() - t)
    tables.append([
        [m.id.split("/")[-1], m.similarity, m.containment]
        for c in result.clusters for m in c.members[1:]
    ])
rest = sorted(times[1:])
print(json.dumps({
    "first_ms": times[0] * 1000,
    "median_ms": statistics.median(rest) * 1000,
    "p95_ms": rest[int(0.95 * (len(rest) - 1))] * 1000,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "tables": tables,
}))
"""

DATASKETCH = """
import json, sys, time
from pathlib import Path
from datasketch import MinHashLSH
from dupdetect import ScanConfig
from dupdetect.sign import Signer
from dupdetect.workers import shingle_inputs, Shingled
from dupdetect.index import lsh_params
url, root, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = ScanConfig(jobs=1)
sets = []
for item in shingle_inputs([root], config):
    if isinstance(item, Shingled) and item.shingles is not None:
        sets.append((item.info.id, item.shingles))
    if len(sets) >= limit:
        break
signer = Signer(128, 1)
signatures = signer.sign([s for _, s in sets])
host, port = url.split("//")[1].split("/")[0].split(":")
lsh = MinHashLSH(num_perm=128, params=lsh_params(0.32, 128), prepickle=False,
                 storage_config={"type": "redis", "basename": b"bench-ds",
                                 "redis": {"host": host, "port": int(port), "db": 14}})
minhashes = [signer.to_minhash(row) for row in signatures]
t = time.perf_counter()
with lsh.insertion_session(buffer_size=10000) as session:
    for (doc_id, _), m in zip(sets, minhashes):
        session.insert(doc_id.encode(), m, check_duplication=False)
wall = time.perf_counter() - t
print(json.dumps({"docs": len(sets), "seconds": wall}))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="corpus size")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for scan and index add")
    parser.add_argument("--queries", type=int, default=201, help="single-article queries")
    parser.add_argument("--redis", help="redis://host:port/db to use instead of a local server")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


def sqlite_rows(
    docs_dir: Path, n: int, jobs: int, work: Path, queries: int
) -> tuple[list[str], dict]:
    scan_wall, scan_rss, _ = measure(
        [
            DUPDETECT,
            "scan",
            str(docs_dir),
            "-f",
            "csv",
            "-o",
            str(work / "scan.csv"),
            "-q",
            "-j",
            str(jobs),
        ]
    )
    index = work / "index.sqlite"
    add_wall, add_rss, _ = measure(
        [DUPDETECT, "index", "add", str(docs_dir), "--index", str(index), "-q", "-j", str(jobs)]
    )
    size = sum(p.stat().st_size for p in work.glob("index.sqlite*"))
    _, _, out = measure([sys.executable, "-c", QUERY, str(index), str(docs_dir), str(queries)])
    query = json.loads(out)
    rows = [
        f"| in-memory `scan -j {jobs}` | {n:,} | {scan_wall:.1f} | {n / scan_wall:,.0f} | "
        f"{scan_rss:,.0f} | 1.00x | |",
        f"| `index add -j {jobs}` (SQLite, new file) | {n:,} | {add_wall:.1f} | "
        f"{n / add_wall:,.0f} | {add_rss:,.0f} | {scan_wall / add_wall:.2f}x | "
        f"index {size / 1e6:,.0f} MB = {size / n:,.0f} bytes/article |",
        f"| `index query` 1 article (SQLite) | {queries} queries | | | {query['rss_mb']:,.0f} | | "
        f"median {query['median_ms']:.1f} ms, p95 {query['p95_ms']:.1f} ms, first "
        f"{query['first_ms']:.0f} ms |",
    ]
    return rows, query


def redis_rows(docs_dir: Path, n: int, url: str, queries: int, sqlite_query: dict) -> list[str]:
    halves = [[str(p) for p in sorted(docs_dir.iterdir())[i::2]] for i in (0, 1)]
    target = f"{url}?prefix=bench-{int(time.time())}"
    start = time.perf_counter()
    writers = [
        subprocess.Popen([DUPDETECT, "index", "add", *half, "--index", target, "-q", "-j", "1"])
        for half in halves
    ]
    codes = [w.wait() for w in writers]
    wall = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"redis writers failed: {codes}")
    _, _, out = measure([sys.executable, "-c", QUERY, target, str(docs_dir), str(queries)])
    query = json.loads(out)
    same = query["tables"] == sqlite_query["tables"]
    limit = min(n, 10_000)
    _, _, out = measure([sys.executable, "-c", DATASKETCH, url, str(docs_dir), str(limit)])
    ds = json.loads(out)
    return [
        f"| `index add` ×2 writers (Redis, -j 1 each) | {n:,} | {wall:.1f} | {n / wall:,.0f} | | | "
        "read+shingle+sign+write, both processes together |",
        f"| `index query` 1 article (Redis) | {queries} queries | | | {query['rss_mb']:,.0f} | | "
        f"median {query['median_ms']:.1f} ms, p95 {query['p95_ms']:.1f} ms; same matches as "
        f"SQLite: {'yes' if same else 'NO'} |",
        f"| datasketch `MinHashLSH` Redis storage, insertion_session | {ds['docs']:,} | "
        f"{ds['seconds']:.1f} | {ds['docs'] / ds['seconds']:,.0f} | | | LSH buckets only, "
        "signatures precomputed, 1 process |",
    ]


def start_redis() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return server, f"redis://127.0.0.1:{port}/0"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = ensure_corpus(args.docs, args.seed)
    docs_dir = corpus / "docs"
    with tempfile.TemporaryDirectory(dir=REPO_ROOT / "data") as tmp:
        rows, query = sqlite_rows(docs_dir, args.docs, args.jobs, Path(tmp), args.queries)
    server = None
    url = args.redis
    if url is None and shutil.which("redis-server"):
        server, url = start_redis()
    try:
        if url:
            rows += redis_rows(docs_dir, args.docs, url, args.queries, query)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    header = (
        "| variant | docs | wall s | docs/s | peak RSS MB | add vs scan | notes |\n"
        "|---|--:|--:|--:|--:|--:|---|\n"
    )
    text = f"\n## Persistent index, {args.docs:,} documents (seed {args.seed})\n\n{machine()}\n\n"
    text += header + "\n".join(rows) + "\n"
    print(text)
    with args.out.open("a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
