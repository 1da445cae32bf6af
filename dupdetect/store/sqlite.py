"""The embedded index: one SQLite file (WAL), looked up through B-tree indexes, never loaded whole.

Tables:

- ``meta``: the JSON parameter record (``params``), the codec (``codec``, see ``base.py``)
  and the document count (``count``);
- ``documents``: ``num`` (the document's handle), ``id``, the content hash (16 bytes), its
  number of sample terms and its compressed record (metadata and words, from which the
  shingle set is rebuilt);
- ``bands`` and ``samples``: the lookup terms (``base.py``), packed. A document's handle
  splits into a *block* (``num >> 16``) and an offset in it; a term into a *bucket* (its top
  16 bits) and 16 low bits. Row ``(block, bucket)`` holds, as little-endian uint32
  ``low << 16 | offset`` in the order written, every entry of the block's documents whose
  term falls in the bucket: 4 bytes an entry instead of a B-tree row each. Writes touch only
  the rows of the blocks they add to (appending in SQL: ``entries || new``) or remove from;
  a lookup reads one row per block and bucket.

Each batch write is one ``BEGIN IMMEDIATE`` transaction, so a killed writer leaves only whole
documents, and concurrent writers queue on the lock (``busy_timeout``).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import IndexUnavailableError, NotAnIndexError
from .base import (
    LOW_BITS,
    IndexedDocument,
    IndexParams,
    StoredDocument,
    WriteCounts,
    split_terms,
    term_members,
)
from .records import Codec, codec_named, decode_stored

#: ``PRAGMA application_id`` of a dupdetect index ("DUPD").
APPLICATION_ID = 0x44555044
#: Milliseconds a writer waits for another one before giving up.
BUSY_TIMEOUT_MS = 120_000
#: Host parameters per ``IN (...)`` list (SQLite's default limit is 32766).
_CHUNK = 500
#: Documents per block of term rows (the offset part of a handle).
BLOCK_BITS = 16
_OFFSET_MASK = (1 << BLOCK_BITS) - 1
#: Pages of 8 KiB waste less space at the end of each page of records than 4 KiB ones.
PAGE_SIZE = 8192
TERM_TABLES = ("bands", "samples")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE documents (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, content_hash BLOB NOT NULL,
    samples INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE bands (block INTEGER, bucket INTEGER, entries BLOB NOT NULL,
    PRIMARY KEY (block, bucket)) WITHOUT ROWID;
CREATE TABLE samples (block INTEGER, bucket INTEGER, entries BLOB NOT NULL,
    PRIMARY KEY (block, bucket)) WITHOUT ROWID;
"""


class SQLiteStore:
    """An index in one SQLite file; ``create`` makes the file when it does not exist."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self.target = str(path)
        _check_file(self.path, create)
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._refuse_foreign()
            self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # new files only
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA cache_size = -65536")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise NotAnIndexError(f"{self.target} is not a dupdetect index ({exc})") from exc
        self._params: IndexParams | None = None
        self._codec: Codec | None = None
        self._wrote = False
        self.read_params()  # refuses an index of another format version at once

    # -- parameters and codec --------------------------------------------------------------

    def read_params(self) -> IndexParams | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
        self._params = IndexParams.from_json(row[0], self.target) if row else None
        return self._params

    def create_params(self, params: IndexParams) -> IndexParams:
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('params', ?)", (params.to_json(),)
            )
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('count', 0)")
        stored = self.read_params()
        assert stored is not None
        return stored

    def read_codec(self) -> Codec | None:
        if self._codec is None:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'codec'").fetchone()
            self._codec = Codec.from_bytes(row[0], self.target) if row else None
        return self._codec

    def create_codec(self, codec: Codec) -> Codec:
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('codec', ?)", (codec.to_bytes(),)
            )
        stored = self.read_codec()
        assert stored is not None
        return stored

    # -- writes ----------------------------------------------------------------------------

    def write(self, docs: Sequence[StoredDocument]) -> WriteCounts:
        counts = WriteCounts()
        with self._transaction():
            existing = self._existing([d.info.id for d in docs])
            fresh: list[StoredDocument] = []
            stale: list[int] = []
            for doc in docs:
                old = existing.get(doc.info.id)
                if old is not None and old[1] == bytes.fromhex(doc.content_hash):
                    counts.unchanged += 1
                    continue
                if old is not None:
                    stale.append(old[0])
                    counts.replaced += 1
                else:
                    counts.added += 1
                fresh.append(doc)
            self._remove(stale)  # before inserting: a freed handle may be given out again
            nums = [self._insert_document(doc) for doc in fresh]
            for table, terms in (
                ("bands", [d.band_terms for d in fresh]),
                ("samples", [d.sample_terms for d in fresh]),
            ):
                self._add_entries(table, nums, terms)
            self._bump_count(counts.added)
        return counts

    def delete(self, ids: Sequence[str]) -> int:
        with self._transaction():
            existing = self._existing(list(ids))
            self._remove([num for num, _ in existing.values()])
            self._bump_count(-len(existing))
        return len(existing)

    def _insert_document(self, doc: StoredDocument) -> int:
        cursor = self._db.execute(
            "INSERT INTO documents (id, content_hash, samples, record) VALUES (?, ?, ?, ?)",
            (doc.info.id, bytes.fromhex(doc.content_hash), doc.sample_terms.size, doc.record),
        )
        return int(cursor.lastrowid or 0)

    def _add_entries(self, table: str, nums: list[int], terms: list[np.ndarray]) -> None:
        """Append each document's entries to the rows of its block (SQLite concatenates)."""
        if not nums:
            return
        sizes = np.fromiter((t.size for t in terms), dtype=np.int64, count=len(terms))
        owners = np.repeat(np.asarray(nums, dtype=np.int64), sizes)
        buckets, low = split_terms(np.concatenate(terms))
        keys = (owners >> BLOCK_BITS) << 32 | buckets.astype(np.int64)
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        entries = (low << np.uint32(16)) | (owners & _OFFSET_MASK).astype(np.uint32)
        data = entries[order].astype("<u4").tobytes()
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        ends = np.concatenate((starts[1:], [keys.size]))
        self._db.executemany(
            f"INSERT INTO {table} (block, bucket, entries) VALUES (?, ?, ?) "
            "ON CONFLICT (block, bucket) DO UPDATE SET "
            "entries = CAST(entries || excluded.entries AS BLOB)",
            [
                (key >> 32, key & 0xFFFFFFFF, data[4 * start : 4 * end])
                for key, start, end in zip(
                    keys[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
                )
            ],
        )

    def _read_rows(self, table: str, block: int) -> tuple[np.ndarray, np.ndarray]:
        """Bucket of every entry and the entries, of all of ``block``'s rows."""
        rows = self._db.execute(
            f"SELECT bucket, entries FROM {table} WHERE block = ? ORDER BY bucket", (block,)
        ).fetchall()
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
        sizes = np.fromiter((len(r[1]) // 4 for r in rows), dtype=np.int64, count=len(rows))
        buckets = np.repeat(np.fromiter((r[0] for r in rows), np.int64, len(rows)), sizes)
        entries = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").astype(np.uint32)
        return buckets, entries

    def _write_rows(self, table: str, block: int, buckets: np.ndarray, entries: np.ndarray) -> None:
        """Write the rows of ``block`` for these (grouped) buckets with these entries."""
        if buckets.size == 0:
            return
        starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
        ends = np.concatenate((starts[1:], [buckets.size]))
        data = entries.astype("<u4").tobytes()
        self._db.executemany(
            f"INSERT OR REPLACE INTO {table} (block, bucket, entries) VALUES (?, ?, ?)",
            (
                (block, bucket, data[4 * start : 4 * end])
                for bucket, start, end in zip(
                    buckets[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
                )
            ),
        )

    def _remove(self, nums: list[int]) -> None:
        """Drop documents and their entries (each block's rows read once)."""
        if not nums:
            return
        by_block: dict[int, list[int]] = defaultdict(list)
        for num in nums:
            by_block[num >> BLOCK_BITS].append(num & _OFFSET_MASK)
        for block, offsets in by_block.items():
            dead = np.asarray(offsets, dtype=np.uint32)
            for table in TERM_TABLES:
                buckets, entries = self._read_rows(table, block)
                gone = np.isin(entries & np.uint32(_OFFSET_MASK), dead)
                if not gone.any():
                    continue
                changed = np.unique(buckets[gone])
                keep = ~gone & np.isin(buckets, changed)
                self._db.executemany(
                    f"DELETE FROM {table} WHERE block = ? AND bucket = ?",
                    ((block, bucket) for bucket in changed.tolist()),
                )
                self._write_rows(table, block, buckets[keep], entries[keep])
        for start in range(0, len(nums), _CHUNK):
            chunk = nums[start : start + _CHUNK]
            self._db.execute(f"DELETE FROM documents WHERE num IN ({_marks(chunk)})", chunk)

    def _bump_count(self, delta: int) -> None:
        if delta:
            self._db.execute("UPDATE meta SET value = value + ? WHERE key = 'count'", (delta,))

    # -- reads -----------------------------------------------------------------------------

    def band_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        return self._members("bands", terms, limit)

    def sample_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        return self._members("samples", terms, limit)

    def _members(self, table: str, terms: Sequence[int], limit: int) -> list[list[int]]:
        """Handles holding each term: one row read per block and bucket of the terms."""
        wanted = np.asarray(terms, dtype=np.uint32)
        if wanted.size == 0:
            return []
        buckets = np.unique(split_terms(wanted)[0]).tolist()
        (top,) = self._db.execute("SELECT max(num) FROM documents").fetchone()
        rows: list[tuple[int, int, bytes]] = []
        for block in range(((top or 0) >> BLOCK_BITS) + 1):
            for start in range(0, len(buckets), _CHUNK):
                chunk = buckets[start : start + _CHUNK]
                rows += self._db.execute(
                    f"SELECT block, bucket, entries FROM {table} WHERE block = ? "
                    f"AND bucket IN ({_marks(chunk)})",
                    (block, *chunk),
                ).fetchall()
        sizes = np.fromiter((len(r[2]) // 4 for r in rows), dtype=np.int64, count=len(rows))
        entries = np.frombuffer(b"".join(r[2] for r in rows), dtype="<u4").astype(np.uint32)
        blocks = np.repeat(np.fromiter((r[0] for r in rows), np.int64, len(rows)), sizes)
        owners = np.repeat(np.fromiter((r[1] for r in rows), np.uint32, len(rows)), sizes)
        found = (owners << np.uint32(LOW_BITS)) | (entries >> np.uint32(16))
        handles = (blocks << BLOCK_BITS) + (entries & np.uint32(_OFFSET_MASK)).astype(np.int64)
        return term_members(wanted, found, handles, limit)

    def sample_counts(self, handles: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        wanted = sorted({int(h) for h in handles})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            sql = f"SELECT num, samples FROM documents WHERE num IN ({_marks(chunk)})"
            out.update(self._db.execute(sql, chunk).fetchall())
        return out

    def fetch(self, handles: Sequence[int]) -> dict[int, IndexedDocument]:
        params = self._params or self.read_params()
        if params is None:
            return {}
        rows = []
        wanted = sorted({int(h) for h in handles})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows += self._db.execute(
                f"SELECT num, id, content_hash, record FROM documents "
                f"WHERE num IN ({_marks(chunk)})",
                chunk,
            ).fetchall()
        items = [(doc_id, digest.hex(), record) for _, doc_id, digest, record in rows]
        documents = decode_stored(items, params.shingle_size, self._codec_for, self.target)
        return {row[0]: doc for row, doc in zip(rows, documents, strict=True)}

    def _codec_for(self, ident: int) -> Codec:
        return codec_named(ident, self.read_codec, self.target)

    def count(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'count'").fetchone()
        return int(row[0]) if row else 0

    def usage(self) -> dict[str, object]:
        wal = self.path.with_name(self.path.name + "-wal")
        codec = self.read_codec()
        return {
            "file_bytes": self.path.stat().st_size,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
            "vocabulary_words": int(codec.vocabulary.size) if codec else 0,
        }

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` for a sound file."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        if self._wrote:  # fold the write-ahead log back into the file (no-op when busy)
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.DatabaseError:
                pass
        self._db.close()

    # -- helpers ---------------------------------------------------------------------------

    def _refuse_foreign(self) -> bool:
        """Raise NotAnIndexError for another application's database; True when ours."""
        (app_id,) = self._db.execute("PRAGMA application_id").fetchone()
        if app_id == APPLICATION_ID:
            return True
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != 0 or tables:
            raise NotAnIndexError(
                f"{self.target} is not a dupdetect index (an SQLite database of something else)"
            )
        return False

    def _ensure_schema(self) -> None:
        if self._refuse_foreign():
            return
        with self._transaction():
            if self._refuse_foreign():  # another process created it meanwhile
                return
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, bytes]]:
        found: dict[str, tuple[int, bytes]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = f"SELECT id, num, content_hash FROM documents WHERE id IN ({_marks(chunk)})"
            for doc_id, num, digest in self._db.execute(sql, chunk):
                found[doc_id] = (num, digest)
        return found

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._wrote = True


def _check_file(path: Path, create: bool) -> None:
    if path.is_dir():
        raise IndexUnavailableError(f"{path} is a directory, not an index file")
    if not path.exists():
        if not create:
            raise IndexUnavailableError(
                f"no index at {path} (create one with `dupdetect index add`)"
            )
        if not path.parent.is_dir():
            raise IndexUnavailableError(f"cannot create index {path}: no directory {path.parent}")
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise IndexUnavailableError(f"cannot read index {path}: {exc.strerror or exc}") from exc
    if header and header != b"SQLite format 3\x00":
        raise NotAnIndexError(f"{path} is not a dupdetect index (not an SQLite file)")


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
