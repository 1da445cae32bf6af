"""The embedded index: one SQLite file (WAL), looked up through B-tree indexes, never loaded whole.

Tables: ``meta`` (the JSON parameter record under ``params``), ``documents`` (metadata and
content hash; ``num`` is a compact integer handle), ``shingles`` and ``signatures`` (raw numpy
bytes), ``bands`` (LSH buckets: band, key -> doc) and ``samples`` (containment samples:
sample hash -> doc), the last two ``WITHOUT ROWID`` with their lookup order as primary key.
Each batch write is one ``BEGIN IMMEDIATE`` transaction, so a killed writer leaves only whole
documents, and concurrent writers queue on the lock (``busy_timeout``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError, IndexUnavailableError, NotAnIndexError
from ..workers import DocumentInfo
from .base import (
    METADATA_FIELDS,
    IndexedDocument,
    IndexParams,
    StoredDocument,
    WriteCounts,
    as_int64,
    band_keys,
    sample_hashes,
    shingles_from_bytes,
)

#: ``PRAGMA application_id`` of a dupdetect index ("DUPD").
APPLICATION_ID = 0x44555044
#: Milliseconds a writer waits for another one before giving up.
BUSY_TIMEOUT_MS = 120_000
#: Host parameters per ``IN (...)`` list (SQLite's default limit is 32766).
_CHUNK = 500

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT NOT NULL, title TEXT NOT NULL,
    source TEXT NOT NULL, url TEXT NOT NULL, date TEXT NOT NULL, wire TEXT NOT NULL,
    content_hash TEXT NOT NULL, length INTEGER NOT NULL, shingle_count INTEGER NOT NULL);
CREATE TABLE shingles (doc INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE signatures (doc INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE bands (band INTEGER, key INTEGER, doc INTEGER, PRIMARY KEY (band, key, doc))
    WITHOUT ROWID;
CREATE TABLE samples (sample INTEGER, doc INTEGER, PRIMARY KEY (sample, doc)) WITHOUT ROWID;
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
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA cache_size = -65536")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise NotAnIndexError(f"{self.target} is not a dupdetect index ({exc})") from exc
        self._params: IndexParams | None = None

    # -- parameters ------------------------------------------------------------------------

    def read_params(self) -> IndexParams | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
        self._params = IndexParams.from_json(row[0], self.target) if row else None
        return self._params

    def create_params(self, params: IndexParams) -> IndexParams:
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('params', ?)", (params.to_json(),)
            )
        stored = self.read_params()
        assert stored is not None
        return stored

    # -- writes ----------------------------------------------------------------------------

    def write(self, docs: Sequence[StoredDocument]) -> WriteCounts:
        counts = WriteCounts()
        with self._transaction():
            existing = self._existing([d.info.id for d in docs])
            fresh: list[tuple[int, StoredDocument]] = []
            for doc in docs:
                old = existing.get(doc.info.id)
                if old is not None and old[1] == doc.content_hash:
                    counts.unchanged += 1
                    continue
                if old is not None:
                    self._delete_num(old[0])
                    counts.replaced += 1
                else:
                    counts.added += 1
                fresh.append((self._insert_document(doc), doc))
            self._insert_lookups(fresh)
        return counts

    def delete(self, ids: Sequence[str]) -> int:
        with self._transaction():
            existing = self._existing(list(ids))
            for num, _ in existing.values():
                self._delete_num(num)
        return len(existing)

    def _insert_document(self, doc: StoredDocument) -> int:
        info = doc.info
        cursor = self._db.execute(
            "INSERT INTO documents (id, path, title, source, url, date, wire, content_hash, "
            "length, shingle_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.id,
                *(getattr(info, name) for name in METADATA_FIELDS),
                doc.content_hash,
                info.length,
                int(doc.shingles.size),
            ),
        )
        return int(cursor.lastrowid or 0)

    def _insert_lookups(self, fresh: list[tuple[int, StoredDocument]]) -> None:
        db = self._db
        db.executemany(
            "INSERT INTO shingles (doc, data) VALUES (?, ?)",
            ((num, _blob(doc.shingles, np.uint64)) for num, doc in fresh),
        )
        db.executemany(
            "INSERT INTO signatures (doc, data) VALUES (?, ?)",
            ((num, _blob(doc.signature, np.uint32)) for num, doc in fresh),
        )
        bands = sorted(
            (band, key, num)
            for num, doc in fresh
            for band, key in enumerate(as_int64(doc.band_keys))
        )
        db.executemany("INSERT OR IGNORE INTO bands (band, key, doc) VALUES (?, ?, ?)", bands)
        samples = sorted((s, num) for num, doc in fresh for s in as_int64(doc.samples))
        db.executemany("INSERT OR IGNORE INTO samples (sample, doc) VALUES (?, ?)", samples)

    def _delete_num(self, num: int) -> None:
        """Remove one document and its bucket and sample entries (recomputed from its data)."""
        params = self._params or self.read_params()
        if params is None:
            raise IndexStoreError(f"{self.target}: documents without a parameter record")
        db = self._db
        (signature,) = db.execute("SELECT data FROM signatures WHERE doc = ?", (num,)).fetchone()
        (shingles,) = db.execute("SELECT data FROM shingles WHERE doc = ?", (num,)).fetchone()
        matrix = np.frombuffer(signature, dtype=np.uint32)[None, :]
        keys = as_int64(band_keys(matrix, params.bands, params.rows)[0])
        db.executemany(
            "DELETE FROM bands WHERE band = ? AND key = ? AND doc = ?",
            [(band, key, num) for band, key in enumerate(keys)],
        )
        samples = as_int64(sample_hashes(shingles_from_bytes(shingles), params.sample_mod))
        db.executemany(
            "DELETE FROM samples WHERE sample = ? AND doc = ?", [(s, num) for s in samples]
        )
        for table, column in (("shingles", "doc"), ("signatures", "doc"), ("documents", "num")):
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (num,))

    # -- reads -----------------------------------------------------------------------------

    def bucket_members(self, keys: Sequence[tuple[int, int]], limit: int) -> list[list[str]]:
        sql = (
            "SELECT d.id FROM bands b JOIN documents d ON d.num = b.doc "
            "WHERE b.band = ? AND b.key = ? LIMIT ?"
        )
        return [
            [row[0] for row in self._db.execute(sql, (band, key, limit))]
            for band, key in _signed_pairs(keys)
        ]

    def sample_members(self, samples: Sequence[int], limit: int) -> list[list[str]]:
        sql = (
            "SELECT d.id FROM samples s JOIN documents d ON d.num = s.doc "
            "WHERE s.sample = ? LIMIT ?"
        )
        signed = as_int64(np.asarray(samples, dtype=np.uint64))
        return [[row[0] for row in self._db.execute(sql, (s, limit))] for s in signed]

    def fetch(self, ids: Sequence[str]) -> list[IndexedDocument]:
        out = []
        columns = ", ".join(f"d.{name}" for name in METADATA_FIELDS)
        for chunk in _chunks(list(ids)):
            rows = self._db.execute(
                f"SELECT d.id, {columns}, d.length, d.content_hash, s.data FROM documents d "
                f"JOIN shingles s ON s.doc = d.num WHERE d.id IN ({_marks(chunk)})",
                chunk,
            )
            for doc_id, path, title, source, url, date, wire, length, digest, data in rows:
                info = DocumentInfo(doc_id, path, title, source, url, date, length, wire)
                out.append(IndexedDocument(info, digest, shingles_from_bytes(data)))
        return out

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def usage(self) -> dict[str, object]:
        wal = self.path.with_name(self.path.name + "-wal")
        return {
            "file_bytes": self.path.stat().st_size,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        }

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` for a sound file."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
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

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(ids):
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


def _blob(values: np.ndarray, dtype: type) -> bytes:
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


def _signed_pairs(keys: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(band, key - (1 << 64) if key >= 1 << 63 else key) for band, key in keys]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
