"""The embedded index: one SQLite file (WAL), looked up through B-tree indexes, never loaded whole.

Tables:

- ``meta``: the JSON parameter record (``params``), the codec (``codec``, see ``base.py``)
  and the document count (``count``);
- ``documents``: ``num`` (the document's handle: ``AUTOINCREMENT``, so never given out
  twice), ``id``, the content hash (16 bytes), its number of sample terms and its compressed
  record (metadata and words, from which the shingle set is rebuilt);
- ``bands`` and ``samples``: the lookup terms (``base.py``), packed in segments
  (``segments.py``): row ``(level, start, bucket)`` holds the entries of one bucket of one
  segment (of up to four neighbouring buckets in a merged segment, keyed by the first one's
  number shifted right: ``segments.row_bits``), 4 bytes an entry instead of a B-tree row each;
  ``segments`` lists the segments;
  ``bands_heavy`` and ``samples_heavy`` hold, per merged segment, the terms too common for a
  bucket row, one row ``(level, start, term)`` of ascending offsets each;
- ``removed``: handles of removed or replaced documents whose entries are still in a
  segment (lookups leave them out; the next merge of their segment drops them).

A batch write appends to the rows of the (small) segments its new handles fall in, then
merges the segments whose range is complete; a lookup reads one row per segment and term.
Each batch write and each merge is one ``BEGIN IMMEDIATE`` transaction, so a killed writer
leaves only whole documents and whole segments, and concurrent writers queue on the lock
(``busy_timeout``); a lookup reads in one transaction, so it never sees half a merge.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError, IndexUnavailableError, NotAnIndexError
from . import segments as seg
from .base import (
    IndexedDocument,
    IndexParams,
    StoredDocument,
    WriteCounts,
    term_members,
)
from .records import Codec, codec_named, decode_stored
from .segments import Segment

#: ``PRAGMA application_id`` of a dupdetect index ("DUPD").
APPLICATION_ID = 0x44555044
#: Milliseconds a writer waits for another one before giving up.
BUSY_TIMEOUT_MS = 120_000
#: Host parameters per ``IN (...)`` list (SQLite's default limit is 32766).
_CHUNK = 500
#: Pages of 8 KiB waste less space at the end of each page of records than 4 KiB ones.
PAGE_SIZE = 8192
TERM_TABLES = ("bands", "samples")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE documents (
    num INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    content_hash BLOB NOT NULL, samples INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE segments (level INTEGER, start INTEGER, PRIMARY KEY (level, start)) WITHOUT ROWID;
CREATE TABLE removed (num INTEGER PRIMARY KEY);
CREATE TABLE bands (level INTEGER, start INTEGER, bucket INTEGER, entries BLOB NOT NULL,
    PRIMARY KEY (level, start, bucket)) WITHOUT ROWID;
CREATE TABLE samples (level INTEGER, start INTEGER, bucket INTEGER, entries BLOB NOT NULL,
    PRIMARY KEY (level, start, bucket)) WITHOUT ROWID;
CREATE TABLE bands_heavy (level INTEGER, start INTEGER, term INTEGER, entries BLOB NOT NULL,
    PRIMARY KEY (level, start, term)) WITHOUT ROWID;
CREATE TABLE samples_heavy (level INTEGER, start INTEGER, term INTEGER, entries BLOB NOT NULL,
    PRIMARY KEY (level, start, term)) WITHOUT ROWID;
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
            self._remove(stale)
            nums = self._insert_documents(fresh)
            self._add_entries("bands", nums, [d.band_terms for d in fresh])
            self._add_entries("samples", nums, [d.sample_terms for d in fresh])
            self._bump_count(counts.added)
        self._merge_due()
        return counts

    def delete(self, ids: Sequence[str]) -> int:
        with self._transaction():
            existing = self._existing(list(ids))
            self._remove([num for num, _ in existing.values()])
            self._bump_count(-len(existing))
        return len(existing)

    def _insert_documents(self, docs: list[StoredDocument]) -> np.ndarray:
        """Insert the documents under the next free handles; register their segments."""
        first = self._next_handle()
        nums = np.arange(first, first + len(docs), dtype=np.int64)
        if nums.size and nums[-1] >> seg.MAX_LEVEL:
            raise IndexStoreError(
                f"index {self.target} has given out all {1 << seg.MAX_LEVEL:,} document "
                "handles: build a new index"
            )
        self._db.executemany(
            "INSERT INTO documents (num, id, content_hash, samples, record) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    num,
                    doc.info.id,
                    bytes.fromhex(doc.content_hash),
                    doc.sample_terms.size,
                    doc.record,
                )
                for num, doc in zip(nums.tolist(), docs, strict=True)
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO segments (level, start) VALUES (?, ?)",
            ((s.level, s.start) for s in seg.first_level_segments(nums)),
        )
        return nums

    def _add_entries(self, table: str, nums: np.ndarray, terms: list[np.ndarray]) -> None:
        """Append each document's entries to the rows of its first-level segment."""
        if not nums.size:
            return
        sizes = np.fromiter((t.size for t in terms), dtype=np.int64, count=len(terms))
        rows = seg.pack_rows(seg.FIRST_LEVEL, np.concatenate(terms), np.repeat(nums, sizes))
        self._db.executemany(
            f"INSERT INTO {table} (level, start, bucket, entries) "
            f"VALUES ({seg.FIRST_LEVEL}, ?, ?, ?) "
            "ON CONFLICT (level, start, bucket) DO UPDATE SET "
            "entries = CAST(entries || excluded.entries AS BLOB)",
            rows,
        )

    def _remove(self, nums: list[int]) -> None:
        """Drop documents; their entries stay until their segment merges (``removed``)."""
        for start in range(0, len(nums), _CHUNK):
            chunk = nums[start : start + _CHUNK]
            self._db.execute(f"DELETE FROM documents WHERE num IN ({_marks(chunk)})", chunk)
        self._db.executemany("INSERT OR IGNORE INTO removed (num) VALUES (?)", ((n,) for n in nums))

    # -- merges ----------------------------------------------------------------------------

    def _merge_due(self) -> None:
        """Merge segments whose range is complete, one transaction per merge (another
        writer may have merged meanwhile: what is due is read inside the transaction)."""
        while True:
            with self._transaction():
                due = seg.due_merge(self._segments(), self._next_handle())
                if due is None:
                    return
                self._merge(*due)

    def _merge(self, target: Segment, sources: list[Segment]) -> None:
        """Rewrite the entries of ``sources`` as the one segment ``target``, a slice of the
        term space at a time, leaving out removed documents."""
        dead = self._removed_between(target.first, target.end)
        written = False
        for table in TERM_TABLES:
            for term_slice, slice_bits in seg.merge_slices(target, sources):
                parts = [
                    self._slice_entries(table, source, term_slice, slice_bits) for source in sources
                ]
                terms = np.concatenate([p[0] for p in parts])
                handles = np.concatenate([p[1] for p in parts])
                if dead.size:
                    alive = ~np.isin(handles, dead)
                    terms, handles = terms[alive], handles[alive]
                terms, handles, heavy = seg.split_heavy(target, terms, handles)
                rows = seg.pack_rows(target.level, terms, handles)
                written = written or bool(rows) or bool(heavy)
                self._db.executemany(
                    f"INSERT INTO {table} (level, start, bucket, entries) "
                    f"VALUES ({target.level}, ?, ?, ?)",
                    rows,
                )
                self._db.executemany(
                    f"INSERT INTO {table}_heavy (level, start, term, entries) "
                    f"VALUES ({target.level}, {target.start}, ?, ?)",
                    heavy,
                )
            for suffix in ("", "_heavy"):
                self._db.executemany(
                    f"DELETE FROM {table}{suffix} WHERE level = ? AND start = ?",
                    ((s.level, s.start) for s in sources),
                )
        self._db.executemany(
            "DELETE FROM segments WHERE level = ? AND start = ?",
            ((s.level, s.start) for s in sources),
        )
        if written:
            self._db.execute(
                "INSERT INTO segments (level, start) VALUES (?, ?)", (target.level, target.start)
            )
        self._db.execute(
            "DELETE FROM removed WHERE num >= ? AND num < ?", (target.first, target.end)
        )

    def _slice_entries(
        self, table: str, source: Segment, term_slice: int, slice_bits: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Terms and handles of ``source``'s entries in one slice of the term space."""
        low, high = seg.row_range(source.level, term_slice, slice_bits)
        rows = self._db.execute(
            f"SELECT start, bucket, entries FROM {table} WHERE level = ? AND start = ? "
            "AND bucket >= ? AND bucket < ? ORDER BY bucket",
            (source.level, source.start, low, high),
        ).fetchall()
        first, last = seg.term_range(term_slice, slice_bits)
        heavy = self._db.execute(
            f"SELECT term, entries FROM {table}_heavy WHERE level = ? AND start = ? "
            "AND term >= ? AND term < ?",
            (source.level, source.start, first, last),
        ).fetchall()
        terms, handles = seg.unpack_rows(source.level, rows)
        heavy_terms, heavy_handles = seg.unpack_heavy(source, heavy)
        return np.concatenate([terms, heavy_terms]), np.concatenate([handles, heavy_handles])

    def _bump_count(self, delta: int) -> None:
        if delta:
            self._db.execute("UPDATE meta SET value = value + ? WHERE key = 'count'", (delta,))

    # -- reads -----------------------------------------------------------------------------

    def band_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        return self._members("bands", terms, limit)

    def sample_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        return self._members("samples", terms, limit)

    def _members(self, table: str, terms: Sequence[int], limit: int) -> list[list[int]]:
        """Handles holding each term: per segment, one row read per bucket of the terms, and
        of a heavy term only the first entries that can matter (``limit`` live ones)."""
        wanted = np.unique(np.asarray(terms, dtype=np.uint32))
        if wanted.size == 0:
            return [[] for _ in terms]
        found: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        with self._snapshot():
            (pending,) = self._db.execute("SELECT count(*) FROM removed").fetchone()
            for segment in sorted(self._segments(), key=lambda s: s.first):
                segment_terms, segment_handles = self._segment_members(
                    table, segment, wanted, limit + pending
                )
                found.append(segment_terms)
                owners.append(segment_handles)
            found_terms, handles = np.concatenate(found), np.concatenate(owners)
            dead = self._removed_among(np.unique(handles).tolist()) if pending else handles[:0]
        if dead.size:
            alive = ~np.isin(handles, dead)
            found_terms, handles = found_terms[alive], handles[alive]
        return term_members(np.asarray(terms, dtype=np.uint32), found_terms, handles, limit)

    def _segment_members(
        self, table: str, segment: Segment, wanted: np.ndarray, enough: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Entries of one segment for the wanted terms; at most ``enough`` of a heavy term."""
        params = (segment.level, segment.start)
        rows = []
        keys = seg.row_keys_of(segment.level, wanted)
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            rows += self._db.execute(
                f"SELECT start, bucket, entries FROM {table} WHERE level = ? AND start = ? "
                f"AND bucket IN ({_marks(chunk)})",
                (*params, *chunk),
            ).fetchall()
        terms, handles = seg.unpack_rows(segment.level, rows)
        hit = _in_sorted(terms, wanted)
        heavy = []
        listed = wanted.tolist()
        for start in range(0, len(listed), _CHUNK):
            chunk = listed[start : start + _CHUNK]
            heavy += self._db.execute(
                f"SELECT term, substr(entries, 1, ?) FROM {table}_heavy WHERE level = ? "
                f"AND start = ? AND term IN ({_marks(chunk)})",
                (4 * enough, *params, *chunk),
            ).fetchall()
        heavy_terms, heavy_handles = seg.unpack_heavy(segment, heavy)
        return (
            np.concatenate([terms[hit], heavy_terms]),
            np.concatenate([handles[hit], heavy_handles]),
        )

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
            "term_segments": len(self._segments()),
            "removed_pending_merge": self._db.execute("SELECT count(*) FROM removed").fetchone()[0],
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

    def _segments(self) -> list[Segment]:
        return [Segment(*row) for row in self._db.execute("SELECT level, start FROM segments")]

    def _next_handle(self) -> int:
        row = self._db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'documents'"
        ).fetchone()
        return (int(row[0]) if row else 0) + 1

    def _removed_between(self, first: int, end: int) -> np.ndarray:
        rows = self._db.execute(
            "SELECT num FROM removed WHERE num >= ? AND num < ?", (first, end)
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _removed_among(self, handles: list[int]) -> np.ndarray:
        dead: list[int] = []
        for start in range(0, len(handles), _CHUNK):
            chunk = handles[start : start + _CHUNK]
            sql = f"SELECT num FROM removed WHERE num IN ({_marks(chunk)})"
            dead += [r[0] for r in self._db.execute(sql, chunk)]
        return np.array(dead, dtype=np.int64)

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, bytes]]:
        found: dict[str, tuple[int, bytes]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = f"SELECT id, num, content_hash FROM documents WHERE id IN ({_marks(chunk)})"
            for doc_id, num, digest in self._db.execute(sql, chunk):
                found[doc_id] = (num, digest)
        return found

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction: every read inside sees the same committed state."""
        self._db.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

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


def _in_sorted(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``np.isin(values, wanted)`` for sorted unique ``wanted``: a binary search each, no
    sort of both (a lookup decodes a few thousand entries per segment for a few hundred
    wanted terms)."""
    at = np.minimum(np.searchsorted(wanted, values), wanted.size - 1)
    return wanted[at] == values


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
