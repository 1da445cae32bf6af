"""The persistent index (issue 5), run against SQLite and a real Redis server.

Redis: ``DUPDETECT_TEST_REDIS`` (e.g. ``redis://127.0.0.1:6399/15``, set by ``.ci/run``), else a
``redis-server`` started here on a free port when the binary exists, else the Redis cases skip.
Each test uses its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from dupdetect import ScanConfig, scan
from dupdetect.errors import IndexMismatchError, NotAnIndexError
from dupdetect.incremental import add_documents, index_stats, query_documents, remove_documents
from dupdetect.store import mask_target, open_store
from dupdetect.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "fixtures" / "articles"


# -- Redis server and backend parametrization ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    """A Redis URL for tests (db 15), or a skip saying why there is none."""
    url = os.environ.get("DUPDETECT_TEST_REDIS")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis: set DUPDETECT_TEST_REDIS or install redis-server")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/15"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start on port {port}")


@pytest.fixture(params=["sqlite", "redis"])
def target(request, tmp_path):
    """An empty index target for each backend: a new SQLite path or a fresh Redis prefix."""
    if request.param == "sqlite":
        yield str(tmp_path / "index.sqlite")
        return
    base = request.getfixturevalue("redis_url")
    prefix = f"dupdetect-test-{uuid.uuid4().hex[:12]}"
    yield f"{base}?prefix={prefix}"
    _drop_prefix(base, prefix)


def _drop_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    client.close()


@pytest.fixture
def store(target):
    opened = open_store(target)
    yield opened
    opened.close()


# -- documents ----------------------------------------------------------------------------


def _articles() -> list[Path]:
    return sorted(ARTICLES.rglob("*.txt"))


def _write_jsonl(path: Path, count: int, seed: int, prefix: str = "doc", words: int = 60) -> Path:
    """``count`` distinct random articles (no two near-duplicates) as JSON Lines."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(5000)]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text = " ".join(rng.choice(vocabulary, size=words))
            out.write(json.dumps({"id": f"{prefix}-{i}", "title": f"t{i}", "text": text}) + "\n")
    return path


def _match_table(result) -> list[tuple[str, tuple[tuple[str, float, float], ...]]]:
    return [
        (c.representative, tuple((m.id, m.similarity, m.containment) for m in c.members[1:]))
        for c in result.clusters
    ]


# -- add, query, scan with an index -------------------------------------------------------


def test_add_then_query_finds_copies_with_exact_scores(store):
    files = _articles()
    report = add_documents(files[::2], store, ScanConfig())
    assert (report.added, report.replaced, report.unchanged) == (len(files[::2]), 0, 0)
    assert store.count() == len(files[::2])
    result = query_documents(files[1::2], store, ScanConfig())
    assert result.clusters, "the fixtures plant copies across the two halves"
    full = {frozenset(m.id for m in c.members) for c in scan(files, ScanConfig()).clusters}
    for cluster in result.clusters:
        new = cluster.members[0]
        assert new.is_representative and new.id == cluster.representative
        for match in cluster.members[1:]:
            assert any({new.id, match.id} <= group for group in full)
    assert result.summary.documents == len(files[1::2])


def test_query_results_identical_on_sqlite_and_redis(tmp_path, redis_url):
    files = _articles()
    tables = []
    for target in (str(tmp_path / "a.sqlite"), f"{redis_url}?prefix=agree-{uuid.uuid4().hex}"):
        opened = open_store(target)
        add_documents(files[::2], opened, ScanConfig())
        tables.append(_match_table(query_documents(files[1::2], opened, ScanConfig())))
        opened.close()
        if target.startswith("redis"):
            _drop_prefix(redis_url, target.split("prefix=")[1])
    assert tables[0] == tables[1] and tables[0]


def test_scan_with_index_clusters_new_with_indexed(store):
    files = _articles()
    add_documents(files[::2], store, ScanConfig())
    with_index = scan(files[1::2], ScanConfig(), index=store)
    fresh = set(scan(files[1::2], ScanConfig()).document_ids)
    expected = [
        sorted(m.id for m in c.members)
        for c in scan(files, ScanConfig()).clusters
        if any(m.id in fresh for m in c.members)
    ]
    got = [sorted(m.id for m in c.members) for c in with_index.clusters]
    assert got and sorted(got) == sorted(expected)


def test_scan_with_an_empty_index_is_a_plain_scan(store):
    files = _articles()
    assert _match_table(scan(files, ScanConfig(), index=store)) == _match_table(
        scan(files, ScanConfig())
    )


def test_readding_same_content_is_a_noop_and_new_content_replaces(store, tmp_path):
    feed = _write_jsonl(tmp_path / "feed.jsonl", 20, seed=1)
    assert add_documents([feed], store, ScanConfig()).added == 20
    again = add_documents([feed], store, ScanConfig())
    assert (again.added, again.replaced, again.unchanged, again.documents) == (0, 0, 20, 20)
    changed = _write_jsonl(tmp_path / "changed.jsonl", 20, seed=2)  # same ids, new texts
    report = add_documents([changed], store, ScanConfig())
    assert (report.added, report.replaced, report.unchanged, report.documents) == (0, 20, 0, 20)
    # the old texts are gone from the buckets: they no longer match, the new ones do
    assert not query_documents([_renamed(feed, tmp_path)], store, ScanConfig()).clusters
    hits = query_documents([_renamed(changed, tmp_path)], store, ScanConfig())
    assert hits.summary.duplicates == 20


def _renamed(feed: Path, tmp_path: Path) -> Path:
    """The same records under other ids (a query skips an indexed doc with its own id)."""
    out = tmp_path / f"renamed-{feed.name}"
    with feed.open() as src, out.open("w") as dst:
        for line in src:
            record = json.loads(line)
            record["id"] = "q-" + record["id"]
            dst.write(json.dumps(record) + "\n")
    return out


def test_remove_and_stats(store, tmp_path):
    feed = _write_jsonl(tmp_path / "feed.jsonl", 10, seed=3)
    add_documents([feed], store, ScanConfig())
    assert remove_documents(["doc-1", "doc-2", "missing"], store) == 2
    stats = index_stats(store)
    assert stats["documents"] == 8 and stats["params"]["num_perm"] == 128
    assert query_documents([_renamed(feed, tmp_path)], store, ScanConfig()).summary.duplicates == 8


# -- refusals -----------------------------------------------------------------------------


def test_mismatched_parameters_are_refused(store, tmp_path):
    feed = _write_jsonl(tmp_path / "feed.jsonl", 5, seed=4)
    add_documents([feed], store, ScanConfig())
    with pytest.raises(IndexMismatchError, match=r"shingle_size=5 \(this run: 4\)"):
        add_documents([feed], store, ScanConfig(shingle_size=4))
    with pytest.raises(IndexMismatchError, match="num_perm"):
        query_documents([feed], store, ScanConfig(num_perm=64))
    # a different threshold is fine: the index keeps its own LSH bands
    query_documents([feed], store, ScanConfig(threshold=0.6))


def test_a_file_that_is_not_an_index_is_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(NotAnIndexError, match="not an SQLite file"):
        open_store(text)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(NotAnIndexError, match="SQLite database of something else"):
        open_store(other)
    assert other.read_bytes()[:16] == b"SQLite format 3\x00"


def test_a_redis_prefix_that_is_not_an_index_is_refused(redis_url):
    import redis

    prefix = f"foreign-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    client.set(f"{prefix}:meta", "{not json")
    try:
        with pytest.raises(NotAnIndexError, match="not a dupdetect index"):
            open_store(f"{redis_url}?prefix={prefix}").read_params()
    finally:
        _drop_prefix(redis_url, prefix)


def test_credentials_never_appear(invoke):
    url = "redis://scraper:s3cret-pw@127.0.0.1:1/0"
    assert mask_target(url) == "redis://***@127.0.0.1:1/0"
    result = invoke(["index", "stats", "--index", url], exit_code=2)
    assert "s3cret" not in result.output + result.stderr and "***" in result.stderr


# -- crash safety and concurrency ---------------------------------------------------------

_ADDER = """
import sys
from dupdetect import ScanConfig
from dupdetect.incremental import add_documents
from dupdetect.store import open_store
add_documents([sys.argv[2]], open_store(sys.argv[1]), ScanConfig(), batch_size=int(sys.argv[3]))
"""


def _adder(target: str, feed: Path, batch: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _ADDER, target, str(feed), str(batch)], cwd=ROOT)


def test_sigkill_mid_add_leaves_only_whole_documents(target, tmp_path):
    feed = _write_jsonl(tmp_path / "big.jsonl", 3000, seed=5)
    process = _adder(target, feed, 100)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if _count(target) >= 300:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the add finished before it could be killed"
    reopened = open_store(target)
    count = reopened.count()
    assert 300 <= count < 3000
    if isinstance(reopened, SQLiteStore):
        assert reopened.integrity_check() == "ok"
    _assert_whole(target, reopened, count)
    report = add_documents([feed], reopened, ScanConfig(), batch_size=2000)  # resumes cleanly
    assert (report.unchanged, report.added, report.documents) == (count, 3000 - count, 3000)
    reopened.close()


def _count(target: str) -> int:
    try:
        opened = open_store(target, create=False)
    except Exception:
        return 0
    try:
        return opened.count()
    finally:
        opened.close()


def _assert_whole(target: str, store, count: int) -> None:
    """Every stored document has its shingles, signature, buckets and samples, and no more."""
    params = store.read_params()
    if isinstance(store, SQLiteStore):
        db = sqlite3.connect(target)
        for table in ("shingles", "signatures"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count
        assert db.execute("SELECT count(*) FROM bands").fetchone()[0] == count * params.bands
        orphans = db.execute(
            "SELECT count(*) FROM samples WHERE doc NOT IN (SELECT num FROM documents)"
        ).fetchone()[0]
        assert orphans == 0
        db.close()
        return
    client = store._redis
    ids = [m.decode() for m in client.smembers(f"{store.prefix}:docs")]
    assert len(ids) == count
    for doc_id in ids[:200]:
        fields = client.hkeys(f"{store.prefix}:doc:{doc_id}")
        assert {b"shingles", b"signature", b"buckets", b"content_hash"} <= set(fields)


def test_two_concurrent_writers_lose_nothing(target, tmp_path):
    feeds = [
        _write_jsonl(tmp_path / f"w{i}.jsonl", 800, seed=10 + i, prefix=f"w{i}") for i in (0, 1)
    ]
    open_store(target).close()  # both writers open an existing (empty) index
    writers = [_adder(target, feed, 250) for feed in feeds]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    reopened = open_store(target)
    assert reopened.count() == 1600
    _assert_whole(target, reopened, 1600)
    probe = _renamed(feeds[1], tmp_path)
    assert query_documents([probe], reopened, ScanConfig()).summary.duplicates == 800
    reopened.close()


# -- command line -------------------------------------------------------------------------


def test_cli_add_query_stats_remove(invoke, target, tmp_path):
    files = [str(p) for p in _articles()]
    added = invoke(["index", "add", *files[::2], "--index", target, "-j", "1"])
    assert f"Added {len(files[::2])} documents" in added.stderr
    found = invoke(["index", "query", *files[1::2], "--index", target, "-f", "json", "-j", "1"])
    document = json.loads(found.stdout)
    assert document["summary"]["clusters"] >= 1 and document["summary"]["duplicates"] >= 1
    csv = invoke(["index", "query", *files[1::2], "--index", target, "-f", "csv", "-j", "1"])
    assert csv.stdout.startswith("cluster_id,")
    stats = json.loads(invoke(["index", "stats", "--index", target, "-f", "json"]).stdout)
    assert stats["documents"] == len(files[::2])
    removed = invoke(["index", "remove", "nope", "--index", target])
    assert "Removed 0 documents (1 not in the index)" in removed.stderr


def test_cli_errors_are_one_line_exit_2(invoke, tmp_path):
    missing = invoke(["index", "query", str(ARTICLES), "--index", str(tmp_path / "no.sqlite")], 2)
    assert "no index at" in missing.stderr
    notes = tmp_path / "notes.sqlite"
    notes.write_text("not a database")
    refused = invoke(["index", "stats", "--index", str(notes)], exit_code=2)
    assert refused.stderr.strip().splitlines() == [
        f"Error: {notes} is not a dupdetect index (not an SQLite file)"
    ]
