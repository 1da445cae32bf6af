"""Benchmark the persistent index (issue 5): add throughput, bytes per article, query latency.

Usage (from the repo root):

    .venv/bin/python bench/bench_index.py                  # 10,000 documents
    .venv/bin/python bench/bench_index.py --docs 100000 --out BENCHMARKS.md
    .venv/bin/python bench/bench_index.py --docs 1000000 --query-only --out BENCHMARKS.md

Measures, on the synthetic corpus of ``bench.py`` (``data/bench-<docs>/``):

- ``dupdetect scan`` (in memory) vs ``dupdetect index add`` into a new SQLite file, same --jobs;
- the index file size per article (file + WAL, after the add's checkpoint), and what each
  table takes of it (SQLite's ``dbstat``);
- ``query_documents`` of one article at a time against that index: median and p95 latency
  after the first query, and the query process's peak RSS;
- Redis (a ``redis-server`` started on a free loopback port, or ``--redis URL``): two
  ``index add`` writer processes at once, each half the corpus (end to end: read, shingle,
  sign, encode, write); two writers timing ``RedisStore.write`` alone, on documents they
  prepared beforehand (``incremental.prepare_batches``; at most ``--write-only-docs``); the
  same queries as on SQLite must give the same matches; and datasketch's own Redis-backed
  ``MinHashLSH`` insertion (``insertion_session``) on the same signatures, for comparison.

``--query-only`` measures only the query latency, against a persistent index
(``--index``, default ``data/bench-<docs>-index.sqlite``) built once with
``dupdetect index add -j 2`` when it does not exist yet (the build is timed and reported).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from bench import REPO_ROOT, ensure_corpus, machine, measure  # noqa: E402
from dupdetect.synth import corpus_key, doc_id  # noqa: E402

DUPDETECT = str(Path(sys.executable).with_name("dupdetect"))

QUERY = """
import json, resource, statistics, sys, time
from pathlib import Path
from dupdetect import ScanConfig
from dupdetect.incremental import query_documents
from dupdetect.store import open_store
store = open_store(sys.argv[1], create=False)
picked = Path(sys.argv[2]).read_text().splitlines()
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

WRITE_ONLY = """
import json, sys, time
from dupdetect import ScanConfig
from dupdetect.incremental import ADD_BATCH, prepare_batches
from dupdetect.store import open_store
store = open_store(sys.argv[1])
docs = [d for b in prepare_batches(sys.argv[2:], store, ScanConfig(jobs=1)) for d in b.documents]
print(json.dumps({"ready": len(docs)}), flush=True)
sys.stdin.readline()
start = time.time()
for at in range(0, len(docs), ADD_BATCH):
    store.write(docs[at : at + ADD_BATCH])
end = time.time()
print(json.dumps({"start": start, "end": end, "docs": len(docs)}), flush=True)
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
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis measurements")
    parser.add_argument(
        "--write-only-docs",
        type=int,
        default=100_000,
        help="at most this many documents for the Redis write-only measurement",
    )
    parser.add_argument(
        "--query-only",
        action="store_true",
        help="only the query latency, against a persistent index (built once)",
    )
    parser.add_argument(
        "--index", type=Path, help="the persistent index of --query-only (an SQLite file)"
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


def pick_queries(docs_dir: Path, n: int, queries: int, work: Path) -> Path:
    """A file listing ``queries`` random article paths (picked without listing the corpus)."""
    rng = random.Random(7)
    positions = rng.sample(range(n), min(queries, n))
    picked = work / "queries.txt"
    picked.write_text("\n".join(str(docs_dir / corpus_key(doc_id(p), "txt")) for p in positions))
    return picked


def run_queries(target: str, picked: Path) -> dict:
    _, _, out = measure([sys.executable, "-c", QUERY, target, str(picked)])
    return json.loads(out)


def query_row(backend: str, queries: int, query: dict, note: str = "") -> str:
    return (
        f"| `index query` 1 article ({backend}) | {queries} queries | | | "
        f"{query['rss_mb']:,.0f} | | median {query['median_ms']:.1f} ms, p95 "
        f"{query['p95_ms']:.1f} ms, first {query['first_ms']:.0f} ms{note} |"
    )


def table_bytes(index: Path, n: int) -> str:
    """Bytes per article of each table and index of an SQLite index (``dbstat``)."""
    db = sqlite3.connect(index)
    try:
        rows = db.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    except sqlite3.OperationalError:  # SQLite built without dbstat
        return "per table: n/a"
    finally:
        db.close()
    names = {"sqlite_autoindex_documents_1": "id index"}
    parts = [f"{names.get(name, name)} {size / n:,.0f}" for name, size in rows if size / n >= 1]
    return "bytes/article by table: " + ", ".join(parts)


def index_size(index: Path) -> int:
    return sum(p.stat().st_size for p in index.parent.glob(index.name + "*"))


def add_row(label: str, n: int, wall: float, rss: float, size: int, ratio: str = "") -> str:
    return (
        f"| {label} | {n:,} | {wall:.1f} | {n / wall:,.0f} | {rss:,.0f} | {ratio} | "
        f"index {size / 1e6:,.1f} MB = {size / n:,.0f} bytes/article |"
    )


def sqlite_rows(
    docs_dir: Path, n: int, jobs: int, work: Path, picked: Path, queries: int
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
    size = index_size(index)
    query = run_queries(str(index), picked)
    rows = [
        f"| in-memory `scan -j {jobs}` | {n:,} | {scan_wall:.1f} | {n / scan_wall:,.0f} | "
        f"{scan_rss:,.0f} | 1.00x | |",
        add_row(
            f"`index add -j {jobs}` (SQLite, new file)",
            n,
            add_wall,
            add_rss,
            size,
            f"{scan_wall / add_wall:.2f}x",
        ),
        f"| SQLite index file | {n:,} | | | | | {table_bytes(index, n)} |",
        query_row("SQLite", queries, query),
    ]
    return rows, query


def query_only_rows(docs_dir: Path, n: int, index: Path, picked: Path, queries: int) -> list[str]:
    rows = []
    if not index.exists():
        partial = index.with_name(index.name + ".partial")
        for stale in partial.parent.glob(partial.name + "*"):
            stale.unlink()
        wall, rss, _ = measure(
            [DUPDETECT, "index", "add", str(docs_dir), "--index", str(partial), "-q", "-j", "2"]
        )
        db = sqlite3.connect(partial)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        partial.rename(index)
        for leftover in partial.parent.glob(partial.name + "-*"):
            leftover.unlink()
        label = "`index add -j 2` (SQLite, built once)"
        rows.append(add_row(label, n, wall, rss, index_size(index)))
    rows.append(f"| SQLite index file | {n:,} | | | | | {table_bytes(index, n)} |")
    query = run_queries(str(index), picked)
    rows.append(query_row("SQLite", queries, query, f"; index `{index.name}`"))
    return rows


def redis_rows(
    docs_dir: Path,
    n: int,
    url: str,
    picked: Path,
    queries: int,
    sqlite_query: dict | None,
    write_only_docs: int,
) -> list[str]:
    import redis

    shards = sorted(p for p in docs_dir.iterdir() if p.is_dir())
    halves = [[str(p) for p in shards[i::2]] for i in (0, 1)]
    client = redis.Redis.from_url(url)
    before = int(client.info("memory")["used_memory"])
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
    used = int(client.info("memory")["used_memory"]) - before
    query = run_queries(target, picked)
    same = sqlite_query is None or query["tables"] == sqlite_query["tables"]
    rows = [
        f"| `index add` ×2 writers (Redis, -j 1 each) | {n:,} | {wall:.1f} | {n / wall:,.0f} | "
        f"| | read+shingle+sign+encode+write, both processes together; server memory "
        f"{used / n:,.0f} bytes/article |",
        query_row(
            "Redis",
            queries,
            query,
            f"; same matches as SQLite: {'yes' if same else 'NO'}" if sqlite_query else "",
        ),
    ]
    rows.append(write_only_row(url, shards, write_only_docs))
    limit = min(n, 10_000)
    _, _, out = measure([sys.executable, "-c", DATASKETCH, url, str(docs_dir), str(limit)])
    ds = json.loads(out)
    rows.append(
        f"| datasketch `MinHashLSH` Redis storage, insertion_session | {ds['docs']:,} | "
        f"{ds['seconds']:.1f} | {ds['docs'] / ds['seconds']:,.0f} | | | LSH buckets only, "
        "signatures precomputed, 1 process |"
    )
    return rows


def write_only_row(url: str, shards: list[Path], limit: int) -> str:
    """Two processes prepare their halves, then both time ``RedisStore.write`` at once."""
    size = sum(1 for _ in shards[0].iterdir()) if shards else 1
    used = shards[: max(1, limit // max(size, 1))]
    halves = [[str(p) for p in used[i::2]] for i in (0, 1)]
    target = f"{url}?prefix=bench-write-{int(time.time())}"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITE_ONLY, target, *half],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for half in halves
        if half
    ]
    for writer in writers:
        json.loads(writer.stdout.readline())  # type: ignore[union-attr]
    for writer in writers:
        writer.stdin.write("go\n")  # type: ignore[union-attr]
        writer.stdin.flush()  # type: ignore[union-attr]
    done = [json.loads(writer.stdout.readline()) for writer in writers]  # type: ignore[union-attr]
    if any(writer.wait() for writer in writers):
        raise SystemExit("redis write-only writers failed")
    docs = sum(d["docs"] for d in done)
    wall = max(d["end"] for d in done) - min(d["start"] for d in done)
    return (
        f"| `RedisStore.write` ×{len(writers)} writers (Redis, write only) | {docs:,} | "
        f"{wall:.1f} | {docs / wall:,.0f} | | | documents prepared beforehand "
        "(`prepare_batches`), batches of 5,000, both processes together |"
    )


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
    rows: list[str] = []
    query: dict | None = None
    with tempfile.TemporaryDirectory(dir=REPO_ROOT / "data") as tmp:
        work = Path(tmp)
        picked = pick_queries(docs_dir, args.docs, args.queries, work)
        if args.query_only:
            index = args.index or REPO_ROOT / "data" / f"bench-{args.docs}-index.sqlite"
            rows += query_only_rows(docs_dir, args.docs, index, picked, args.queries)
        else:
            found, query = sqlite_rows(docs_dir, args.docs, args.jobs, work, picked, args.queries)
            rows += found
        server = None
        url = None if args.no_redis or args.query_only else args.redis
        if url is None and not (args.no_redis or args.query_only) and shutil.which("redis-server"):
            server, url = start_redis()
        try:
            if url:
                rows += redis_rows(
                    docs_dir, args.docs, url, picked, args.queries, query, args.write_only_docs
                )
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
