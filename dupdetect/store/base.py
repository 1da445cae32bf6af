"""What every index backend shares: the parameter record, document records, bucket keys.

A backend (``sqlite.py``, ``redis.py``) implements the small :class:`IndexStore` protocol:
meta read/create, an atomic batch write with no-op/replace semantics, delete, bucket and
sample lookups, fetch by id, count. Everything else (signing, candidate lookup, exact
verification, reports) is written once on top of it (``lookup.py``, ``dupdetect.incremental``).

Nothing here or in a backend is ever unpickled: shingle sets and signatures are raw numpy
bytes (``tobytes``/``frombuffer``), the parameter record is JSON.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Protocol

import numpy as np

from ..config import NORMALIZATION_VERSION, ScanConfig
from ..errors import IndexMismatchError, NotAnIndexError
from ..hashing import combine_columns
from ..index import lsh_params
from ..workers import DocumentInfo

#: Marker of a dupdetect index (SQLite meta table, Redis meta key).
FORMAT = "dupdetect-index"
#: Bumped when the stored layout changes.
FORMAT_VERSION = 1
#: Every shingle whose hash is divisible by this is a containment sample (as in ``index.py``).
SAMPLE_MOD = 8
#: Parameters that change shingles, signatures or bucket keys: an index refuses to mix them.
COMPATIBLE = (
    "format_version",
    "num_perm",
    "shingle_size",
    "seed",
    "normalization_version",
    "strip_wire",
    "sample_mod",
)

METADATA_FIELDS = ("path", "title", "source", "url", "date", "wire")


@dataclass(frozen=True)
class IndexParams:
    """How the indexed documents were shingled, signed and bucketed."""

    num_perm: int
    shingle_size: int
    seed: int
    normalization_version: int
    strip_wire: bool
    bands: int
    rows: int
    sample_mod: int = SAMPLE_MOD
    format_version: int = FORMAT_VERSION
    dupdetect_version: str = ""

    @classmethod
    def from_config(cls, config: ScanConfig) -> IndexParams:
        """The parameters a new index gets from the settings of its first add."""
        from .. import __version__

        bands, rows = _lsh_params(config.effective_lsh_threshold, config.num_perm)
        return cls(
            num_perm=config.num_perm,
            shingle_size=config.shingle_size,
            seed=config.seed,
            normalization_version=NORMALIZATION_VERSION,
            strip_wire=config.strip_wire,
            bands=bands,
            rows=rows,
            dupdetect_version=__version__,
        )

    def to_json(self) -> str:
        """The record as stored: JSON with the format marker."""
        return json.dumps({"format": FORMAT, **asdict(self)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, target: str) -> IndexParams:
        """Parse a stored record; anything else means the target is not a dupdetect index."""
        try:
            record = json.loads(text)
            if record.pop("format") != FORMAT:
                raise ValueError("wrong format marker")
            names = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in record.items() if k in names})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise NotAnIndexError(f"{target} is not a dupdetect index (bad meta record)") from exc


#: datasketch's band optimizer takes tens of milliseconds: once per process and setting.
_lsh_params = functools.lru_cache(maxsize=32)(lsh_params)


def check_compatible(stored: IndexParams, wanted: IndexParams, target: str) -> None:
    """Raise IndexMismatchError naming every setting that differs from the index's."""
    diffs = [
        f"{name}={getattr(stored, name)!r} (this run: {getattr(wanted, name)!r})"
        for name in COMPATIBLE
        if getattr(stored, name) != getattr(wanted, name)
    ]
    if diffs:
        raise IndexMismatchError(
            f"index {target} was built with {', '.join(diffs)}; "
            "use the index's settings or a new index"
        )


@dataclass(frozen=True)
class StoredDocument:
    """Everything an index keeps of one document, ready to write."""

    info: DocumentInfo
    content_hash: str
    shingles: np.ndarray  # sorted unique uint64, as verified
    signature: np.ndarray  # uint32, num_perm values
    band_keys: np.ndarray  # uint64, one per band
    samples: np.ndarray  # uint64 containment samples (sorted)


@dataclass(frozen=True)
class IndexedDocument:
    """A document read back from an index: metadata and its shingle set."""

    info: DocumentInfo
    content_hash: str
    shingles: np.ndarray


@dataclass
class WriteCounts:
    """What one batch write did."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0


class IndexStore(Protocol):
    """The primitives a backend provides; ``target`` is safe to print (no credentials)."""

    target: str

    def read_params(self) -> IndexParams | None:
        """The stored parameters, or None for an empty (new) index."""

    def create_params(self, params: IndexParams) -> IndexParams:
        """Store ``params`` unless a record exists (atomically); return the stored record."""

    def write(self, docs: Sequence[StoredDocument]) -> WriteCounts:
        """Add or replace a batch atomically; same id and content hash is a no-op."""

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; returns how many existed."""

    def bucket_members(self, keys: Sequence[tuple[int, int]], limit: int) -> list[list[str]]:
        """Ids in each ``(band, key)`` LSH bucket, at most ``limit`` per bucket."""

    def sample_members(self, samples: Sequence[int], limit: int) -> list[list[str]]:
        """Ids of the documents holding each containment sample, at most ``limit`` each."""

    def fetch(self, ids: Sequence[str]) -> list[IndexedDocument]:
        """The stored documents among ``ids`` (missing ones are left out)."""

    def count(self) -> int:
        """Number of documents in the index."""

    def usage(self) -> dict[str, object]:
        """Backend-specific figures for ``index stats`` (bytes on disk, memory ...)."""

    def close(self) -> None:
        """Release connections and file handles."""


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The LSH bucket key of every band of every signature: ``(documents, bands)`` uint64."""
    out = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        out[:, band] = combine_columns(signatures[:, band * rows : (band + 1) * rows])
    return out


def sample_hashes(shingles: np.ndarray, sample_mod: int = SAMPLE_MOD) -> np.ndarray:
    """The containment samples of one shingle set (content-defined, as in ``index.py``)."""
    return shingles[shingles % np.uint64(sample_mod) == 0]


def content_hash(info: DocumentInfo, shingles: np.ndarray) -> str:
    """Identity of a document's content: its shingle set (before boilerplate) and metadata."""
    digest = hashlib.blake2b(
        np.ascontiguousarray(shingles, dtype=np.uint64).tobytes(), digest_size=16
    )
    for name in ("title", "source", "url", "date", "wire"):
        digest.update(b"\0" + getattr(info, name).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def as_int64(values: np.ndarray) -> list[int]:
    """uint64 hashes as signed 64-bit Python ints (SQLite's INTEGER range)."""
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64).tolist()


def shingles_from_bytes(data: bytes) -> np.ndarray:
    """A stored shingle set back as a (read-only) uint64 array."""
    return np.frombuffer(data, dtype=np.uint64)
