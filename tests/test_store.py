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
import tempfile
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
    """An add in another process; its temporary files (the workers' codec directory, which a
    SIGKILL leaves behind) go next to the feed, not to the system's temporary folder."""
    env = {**os.environ, "TMPDIR": str(feed.parent)}
    return subprocess.Popen(
        [sys.executable, "-c", _ADDER, target, str(feed), str(batch)], cwd=ROOT, env=env
    )


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
    """Every stored document has its record, its band and sample entries, and no more."""
    params = store.read_params()
    if isinstance(store, SQLiteStore):
        db = sqlite3.connect(target)
        nums = {row[0] for row in db.execute("SELECT num FROM documents")}
        assert len(nums) == count == store.count()
        owners = {}
        for table in ("bands", "samples"):
            entries = [np.empty(0, np.int64)]
            for level, start in db.execute("SELECT level, start FROM segments").fetchall():
                rows = db.execute(
                    f"SELECT start, bucket, entries FROM {table} WHERE level = ? AND start = ?",
                    (level, start),
                ).fetchall()
                heavy = db.execute(
                    f"SELECT term, entries FROM {table}_heavy WHERE level = ? AND start = ?",
                    (level, start),
                ).fetchall()
                entries.append(segments.unpack_rows(level, rows)[1])
                entries.append(segments.unpack_heavy(segments.Segment(level, start), heavy)[1])
            owners[table] = np.concatenate(entries)
            assert set(owners[table].tolist()) <= nums  # no orphans
        per_doc = np.unique(owners["bands"], return_counts=True)
        assert set(per_doc[0].tolist()) == nums and set(per_doc[1].tolist()) == {params.bands}
        db.close()
    else:
        client = store._redis
        ids = client.hgetall(f"{store.prefix}:ids")
        assert len(ids) == count == client.hlen(f"{store.prefix}:docs")
        nums = {int(value.split(b" ")[0]) for value in ids.values()}
        assert set(map(int, client.hkeys(f"{store.prefix}:docs"))) == nums
    documents = store.fetch(sorted(nums)[:300])
    assert len(documents) == min(300, count)
    assert all(d.shingles.size and d.content_hash for d in documents.values())


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


# -- records: the exact shingle set is rebuilt from words -----------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dupdetect import incremental, workers  # noqa: E402
from dupdetect.boilerplate import remove_boilerplate  # noqa: E402
from dupdetect.corpus import build_corpus  # noqa: E402
from dupdetect.normalize import word_bytes  # noqa: E402
from dupdetect.shingle import hash_word_bytes, shingle_hashes, window_hashes  # noqa: E402
from dupdetect.store import base as store_base  # noqa: E402
from dupdetect.store import lookup as store_lookup  # noqa: E402
from dupdetect.store import records as store_records  # noqa: E402
from dupdetect.store import segments  # noqa: E402
from dupdetect.store.base import IndexParams  # noqa: E402
from dupdetect.verify import score  # noqa: E402
from dupdetect.workers import DocumentInfo, shingle_chunks, shingle_inputs  # noqa: E402

_WORDS = st.sampled_from(["the", "wire", "said", "über", "москва", "東", "a1", "x", "news", "x"])


def _trained_codec():
    texts = [p.read_text(encoding="utf-8") for p in _articles()]
    samples = [
        (DocumentInfo(str(i), str(i), "t", "", "", "", 0, ""), word_bytes(t).tobytes())
        for i, t in enumerate(texts)
    ]
    return store_records.train_codec(samples, 5)


_CODECS = {0: store_records.PLAIN_CODEC}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(_WORDS, min_size=1, max_size=80),
    size=st.integers(1, 8),
    removed=st.lists(st.integers(0, 10_000), max_size=30),
    block=st.tuples(st.integers(0, 100), st.integers(0, 40)),
    codec_id=st.sampled_from([0, 1]),
    with_path=st.booleans(),
)
def test_records_rebuild_the_exact_set(words, size, removed, block, codec_id, with_path):
    if 1 not in _CODECS:
        _CODECS[1] = store_records.Codec.from_bytes(_trained_codec().to_bytes())
    codec = _CODECS[codec_id]
    data = word_bytes(" ".join(words) + " ünïcödé!")
    raw = shingle_hashes(hash_word_bytes(data), size)
    # boilerplate removal drops hash values: a contiguous stretch of windows, plus strays
    windows = window_hashes(hash_word_bytes(data), size)
    gone = set(windows[block[0] % windows.size :][: block[1]].tolist())
    gone |= {int(raw[i % raw.size]) for i in removed}
    cleaned = raw[~np.isin(raw, np.array(sorted(gone), dtype=np.uint64))]
    info = DocumentInfo("id-1", "feed.jsonl" if with_path else "id-1", "T", "S", "", "", 7, "AP")
    for text in (data.tobytes(), None):
        record = store_records.encode_record(info, text, raw, cleaned, size, codec)
        back = store_records.decode_record("id-1", "ab", record, size, _CODECS.__getitem__)
        assert back.info == info and back.content_hash == "ab"
        assert np.array_equal(back.shingles, cleaned)
    # words that do not give the raw set (another shingle size): the set itself is kept
    other = size % 8 + 1
    record = store_records.encode_record(info, data.tobytes(), raw, cleaned, other, codec)
    assert np.array_equal(
        store_records.decode_record("id-1", "", record, size, _CODECS.__getitem__).shingles, cleaned
    )


def test_window_hashes_are_the_shingles_in_text_order():
    rng = np.random.default_rng(3)
    for count in range(0, 12):
        hashes = rng.integers(0, 2**63, count, dtype=np.uint64)
        for size in range(1, 9):
            assert np.array_equal(
                np.unique(window_hashes(hashes, size)), shingle_hashes(hashes, size)
            )


def _chrome_feed(path: Path, count: int = 12, prefix: str = "page") -> Path:
    """Pages of one site sharing navigation and a footer, each with its own story."""
    rng = np.random.default_rng(11)
    vocabulary = [f"w{i}" for i in range(4000)]
    nav = "Home World Politics Business Tech Science Health Sports Opinion Subscribe now"
    foot = "Copyright 2026 The Daily Site All rights reserved Privacy Terms Contact us today"
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            story = " ".join(rng.choice(vocabulary, size=int(rng.integers(40, 120))))
            text = f"{nav}\n\n{story}\n\n{foot}"
            record = {"id": f"{prefix}-{i}", "title": f"t{i}", "source": "daily", "text": text}
            out.write(json.dumps(record) + "\n")
    return path


def _cleaned_sets(paths, config: ScanConfig) -> dict[str, np.ndarray]:
    """Each document's set as a scan of ``paths`` (one batch) verifies it."""
    corpus = build_corpus(shingle_inputs(paths, config), lambda *a: None)
    sets = [corpus.shingle_sets[i] for i in range(len(corpus.infos))]
    remove_boilerplate(sets, [i.source for i in corpus.infos], min_docs=config.boilerplate_min_docs)
    return {info.id: np.array(s) for info, s in zip(corpus.infos, sets, strict=True)}


def _handles(store) -> list[int]:
    if isinstance(store, SQLiteStore):
        return [row[0] for row in store._db.execute("SELECT num FROM documents")]
    return [int(v.split(b" ")[0]) for v in store._redis.hvals(f"{store.prefix}:ids")]


def test_indexed_sets_are_the_cleaned_sets(store, tmp_path):
    feed = _chrome_feed(tmp_path / "site.jsonl")
    expected = _cleaned_sets([feed], ScanConfig())
    raw = _cleaned_sets([feed], ScanConfig(boilerplate_min_docs=0))
    assert all(expected[k].size < raw[k].size for k in expected)  # the chrome was removed
    add_documents([feed], store, ScanConfig())
    documents = store.fetch(_handles(store))
    assert {d.info.id for d in documents.values()} == set(expected)
    for doc in documents.values():
        assert np.array_equal(doc.shingles, expected[doc.info.id])
        assert doc.info.source == "daily" and doc.info.path == "site.jsonl"


def test_query_scores_are_exact(store):
    files = _articles()
    add_documents(files[::2], store, ScanConfig())
    result = query_documents(files[1::2], store, ScanConfig())
    indexed = _cleaned_sets(files[::2], ScanConfig())
    new = _cleaned_sets(files[1::2], ScanConfig())
    pairs = 0
    for cluster in result.clusters:
        mine = new[cluster.representative]
        for member in cluster.members[1:]:
            expected = score(mine, indexed[member.id])
            assert (member.similarity, member.containment) == (
                expected.jaccard,
                expected.containment,
            )
            pairs += 1
    assert pairs >= 3


def test_codec_is_trained_on_the_first_large_batch(store, tmp_path, monkeypatch):
    monkeypatch.setattr(incremental, "CODEC_MIN_DOCS", 10)
    small = _write_jsonl(tmp_path / "small.jsonl", 4, seed=20, prefix="small")
    add_documents([small], store, ScanConfig())
    assert store.read_codec() is None  # too few documents to learn from
    large = _write_jsonl(tmp_path / "large.jsonl", 30, seed=21, prefix="large")
    add_documents([large], store, ScanConfig())
    codec = store.read_codec()
    assert codec is not None and codec.vocabulary.size > 100
    again = _write_jsonl(tmp_path / "again.jsonl", 40, seed=22, prefix="again")
    add_documents([again], store, ScanConfig(), batch_size=15)
    assert store.read_codec().to_bytes() == codec.to_bytes()  # trained once
    for feed in (small, large, again):
        assert query_documents([_renamed(feed, tmp_path)], store, ScanConfig()).clusters
    assert len(store.fetch(_handles(store))) == 74


def test_old_format_index_is_refused(target, tmp_path, invoke):
    feed = _write_jsonl(tmp_path / "feed.jsonl", 5, seed=30)
    opened = open_store(target)
    add_documents([feed], opened, ScanConfig())
    record = json.loads(opened.read_params().to_json())
    record["format_version"] = 1
    if isinstance(opened, SQLiteStore):
        opened._db.execute("UPDATE meta SET value = ? WHERE key = 'params'", (json.dumps(record),))
    else:
        opened._redis.set(f"{opened.prefix}:meta", json.dumps(record))
    opened.close()
    with pytest.raises(IndexMismatchError, match="index format 1; this dupdetect reads format 4"):
        open_store(target)
    refused = invoke(["index", "query", str(feed), "--index", target], exit_code=2)
    assert "build a new index" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize(("slice_rows", "heavy"), [(1 << 12, 256), (2, 2)])
def test_sqlite_segments_merge_adds_replacements_and_removals(
    tmp_path, monkeypatch, slice_rows, heavy
):
    """Tiny segments (8 handles at the first level) and, in one run, merges one bucket at a
    time with every term held by more than 2 documents in rows of its own: adds,
    replacements and removals across many merged segments."""
    monkeypatch.setattr(segments, "FIRST_LEVEL", 3)
    monkeypatch.setattr(segments, "MERGE_SLICE_ROWS", slice_rows)
    monkeypatch.setattr(segments, "HEAVY_ENTRIES", heavy)
    target = str(tmp_path / "segments.sqlite")
    opened = open_store(target)
    feed = _write_jsonl(tmp_path / "feed.jsonl", 60, seed=40)
    add_documents([feed], opened, ScanConfig(), batch_size=25)
    assert remove_documents([f"doc-{i}" for i in range(0, 60, 7)], opened) == 9
    changed = _write_jsonl(tmp_path / "changed.jsonl", 20, seed=41)  # doc-0 .. doc-19 anew
    report = add_documents([changed], opened, ScanConfig())
    assert (report.added, report.replaced) == (3, 17)
    _assert_whole_segments(opened, 54, next_handle=81)
    found = query_documents([_renamed(feed, tmp_path)], opened, ScanConfig())
    assert {c.representative for c in found.clusters} == {
        f"q-doc-{i}" for i in range(20, 60) if i % 7
    }
    assert (
        query_documents([_renamed(changed, tmp_path)], opened, ScanConfig()).summary.duplicates
        == 20
    )
    opened.close()


def _assert_whole_segments(store, count: int, next_handle: int) -> None:
    """Every entry belongs to a listed segment and to a live or pending-removal handle;
    complete ranges are merged (one segment per complete level range)."""
    nums = set(_handles(store))
    assert len(nums) == count == store.count()
    dead = {n for (n,) in store._db.execute("SELECT num FROM removed")}
    listed = [segments.Segment(*row) for row in store._db.execute("SELECT * FROM segments")]
    assert segments.due_merge(listed, next_handle) is None
    for table in ("bands", "samples"):
        for segment in listed:
            rows = store._db.execute(
                f"SELECT start, bucket, entries FROM {table} WHERE level = ? AND start = ?",
                (segment.level, segment.start),
            ).fetchall()
            heavy = store._db.execute(
                f"SELECT term, entries FROM {table}_heavy WHERE level = ? AND start = ?",
                (segment.level, segment.start),
            ).fetchall()
            terms, handles = np.concatenate(
                [segments.unpack_rows(segment.level, rows), segments.unpack_heavy(segment, heavy)],
                axis=1,
            )
            pairs = set(zip(terms.tolist(), handles.tolist(), strict=True))
            assert len(pairs) == terms.size  # no repeated entries
            assert {h for _, h in pairs} <= nums | dead
            assert all(segment.first <= h < segment.end for _, h in pairs)
        for suffix in ("", "_heavy"):
            (stray,) = store._db.execute(
                f"SELECT count(*) FROM {table}{suffix} WHERE (level, start) NOT IN "
                "(SELECT level, start FROM segments)"
            ).fetchone()
            assert stray == 0
    live_handles = nums | dead
    assert all(any(s.first <= h < s.end for s in listed) for h in live_handles)


def test_teasers_are_found_in_both_directions(store, tmp_path):
    """Containment candidates need a share of the *smaller* document's samples: a long query
    finds an indexed teaser (the teaser's sample count comes from the index), and back."""
    rng = np.random.default_rng(50)
    story = " ".join(rng.choice([f"w{i}" for i in range(5000)], size=600))
    teaser = " ".join(story.split()[:90])
    feed = tmp_path / "pair.jsonl"
    records = [{"id": "teaser", "text": teaser}, {"id": "story", "text": story}]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records))
    for indexed, asked in (("teaser", "story"), ("story", "teaser")):
        subset = tmp_path / f"{indexed}.jsonl"
        subset.write_text(json.dumps(records[indexed == "story"]) + "\n")
        probe = tmp_path / f"probe-{asked}.jsonl"
        record = dict(records[asked == "story"], id=f"new-{asked}")
        probe.write_text(json.dumps(record) + "\n")
        add_documents([subset], store, ScanConfig())
        found = query_documents([probe], store, ScanConfig())
        (cluster,) = found.clusters
        member = cluster.members[1]
        assert member.id == indexed and member.similarity < 0.4 and member.containment == 1.0
        remove_documents([indexed], store)


@settings(deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 2**64 - 1), max_size=60, unique=True).map(
            lambda v: np.array(v, dtype=np.uint64)
        ),
        max_size=12,
    ),
    st.sampled_from([1, 2, 8]),
)
def test_batch_sample_terms_are_each_sets_sample_terms(sets, sample_mod):
    got = store_base.batch_sample_terms(sets, sample_mod)
    assert len(got) == len(sets)
    for terms, shingles in zip(got, sets, strict=True):
        assert np.array_equal(terms, store_base.sample_terms(shingles, sample_mod))


def test_workers_band_keys_are_reused_only_for_unchanged_sets(store, tmp_path):
    """Stored terms are the same whether the workers' keys are reused or all sets signed."""
    feed = _write_jsonl(tmp_path / "feed.jsonl", 40, seed=60)
    config = ScanConfig()
    params = IndexParams.from_config(config)
    corpus = build_corpus(shingle_inputs([feed], config), lambda *a: None)
    raw = [corpus.shingle_sets[i] for i in range(len(corpus.infos))]
    cleaned = [s[: s.size // 2] if row % 3 == 0 else s for row, s in enumerate(raw)]
    words = [None] * len(raw)
    args = (corpus.infos, raw, cleaned, words, params, store_records.PLAIN_CODEC)
    signed = store_lookup.stored_documents(*args)
    reused = store_lookup.stored_documents(*args, raw_keys=corpus.band_keys)
    for a, b in zip(signed, reused, strict=True):
        assert np.array_equal(a.band_terms, b.band_terms)
        assert np.array_equal(a.sample_terms, b.sample_terms)
    wrong = store_lookup.stored_documents(*args, raw_keys=corpus.band_keys[::-1].copy())
    assert any(
        not np.array_equal(a.band_terms, b.band_terms) for a, b in zip(signed, wrong, strict=True)
    )


def test_records_from_the_workers_word_hashes_are_the_same(tmp_path):
    """A record made from the shingler's word hashes (``Shingled.word_hashes``) is the one
    made by hashing the words again and checking they rebuild the set."""
    feed = _write_jsonl(tmp_path / "feed.jsonl", 30, seed=70)
    config = ScanConfig(keep_words=True)
    docs = [d for d in shingle_inputs([feed], config) if getattr(d, "shingles", None) is not None]
    assert docs and all(d.word_hashes is not None for d in docs)
    args = (
        [d.info for d in docs],
        [d.words for d in docs],
        [d.shingles for d in docs],
        [d.shingles[::2] for d in docs],
        config.shingle_size,
        store_records.PLAIN_CODEC,
    )
    assert store_records.encode_records(*args) == store_records.encode_records(
        *args, word_hashes=[d.word_hashes for d in docs]
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_records_encoded_by_the_workers_are_the_main_process_ones(tmp_path, monkeypatch, jobs):
    """Once an index has a codec the workers encode records; a set boilerplate removal then
    changes is encoded again in the main process. Either way, what is written is what the
    main process alone makes."""
    monkeypatch.setattr(incremental, "CODEC_MIN_DOCS", 10)
    store = open_store(str(tmp_path / "index.sqlite"))
    add_documents([_write_jsonl(tmp_path / "seed.jsonl", 30, seed=80)], store, ScanConfig())
    assert store.read_codec() is not None
    plain = _write_jsonl(tmp_path / "plain.jsonl", 20, seed=81, prefix="plain")
    paths = [plain, _chrome_feed(tmp_path / "site.jsonl")]
    config = ScanConfig(jobs=jobs)

    def prepared() -> list:
        return [
            d
            for batch in incremental.prepare_batches(paths, store, config)
            for d in batch.documents
        ]

    encoded: list[int] = []  # documents per encode_parts call in this process
    real = store_lookup.encode_parts

    def counting(infos, *args):
        encoded.append(len(infos))
        return real(infos, *args)

    monkeypatch.setattr(store_lookup, "encode_parts", counting)
    by_workers = prepared()
    # The 12 pages boilerplate removal changed are encoded again here; with jobs=1 the
    # workers' encoding (all 32 documents) runs in this process too.
    assert sum(encoded) == (32 + 12 if jobs == 1 else 12)
    monkeypatch.setattr(incremental, "_encoder", lambda codec, params, scratch: None)
    by_main = prepared()
    assert len(by_workers) == len(by_main) == 32
    for a, b in zip(by_workers, by_main, strict=True):
        assert (a.info, a.content_hash, a.record) == (b.info, b.content_hash, b.record)
        assert np.array_equal(a.band_terms, b.band_terms)
        assert np.array_equal(a.sample_terms, b.sample_terms)
    store.close()


def test_the_workers_codec_file_is_gone_after_an_add(tmp_path, monkeypatch):
    """The codec the workers read lives in a temporary directory only while an add runs."""
    monkeypatch.setattr(incremental, "CODEC_MIN_DOCS", 10)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    store = open_store(str(tmp_path / "index.sqlite"))
    for seed in (90, 91):  # the second add has a codec from the start
        feed = _write_jsonl(tmp_path / f"feed-{seed}.jsonl", 30, seed=seed, prefix=f"s{seed}")
        add_documents([feed], store, ScanConfig(jobs=2))
    assert store.count() == 60 and store.read_codec() is not None
    assert list(scratch.iterdir()) == []
    store.close()


@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
def test_add_batches_take_every_document_once_whole_chunks_or_split(size, monkeypatch):
    """Batches hold at most ``size`` documents (sorted by id within a batch, batches in walk
    order), each once, with their sets as the workers made them, whether chunks are taken
    whole or split between batches."""
    monkeypatch.setattr(workers, "CHUNK_FILES", 5)  # 10 chunks, some of many documents
    config = ScanConfig(jobs=2, keep_words=True)
    paths = [ROOT / "fixtures" / "articles", ROOT / "fixtures" / "formats"]
    expected = [
        (item.info.id, item.shingles.tobytes())
        for item in shingle_inputs(paths, config)
        if getattr(item, "shingles", None) is not None
    ]
    got = []
    for corpus, firsts in incremental._batches(shingle_chunks(paths, config), size):
        assert len(corpus.infos) <= size
        assert set(firsts) == {info.id for info in corpus.infos}
        assert all(firsts[info.id].words for info in corpus.infos)
        batch = [(i.id, corpus.shingle_sets[r].tobytes()) for r, i in enumerate(corpus.infos)]
        assert batch == sorted(expected[len(got) : len(got) + len(batch)])
        got += batch
    assert len(got) == len(expected) > 50


def test_content_hash_covers_the_set_and_each_metadata_field():
    """The content hash is BLAKE2b-128 of the set's bytes, then a zero byte and each field
    (what decides "same content" on re-add: pinned, as indexes keep it)."""
    import hashlib

    info = DocumentInfo("id", "p.txt", "Tïtle", "src", "https://u", "2026-11-27", 5, "AP")
    shingles = np.array([3, 1 << 63, 7], dtype=np.uint64)
    reference = hashlib.blake2b(shingles.tobytes(), digest_size=16)
    for value in ("Tïtle", "src", "https://u", "2026-11-27", "AP"):
        reference.update(b"\0" + value.encode("utf-8"))
    assert store_base.content_hash(info, shingles) == reference.hexdigest()
    moved = DocumentInfo("id", "p.txt", "Tïtle", "srcx", "://u", "2026-11-27", 5, "AP")
    assert store_base.content_hash(moved, shingles) != reference.hexdigest()
