"""What every index backend shares: parameters, document records, lookup terms.

A backend (``sqlite.py``, ``redis.py``) implements the small :class:`IndexStore` protocol:
meta and codec read/create, an atomic batch write with no-op/replace semantics, delete,
term lookups, fetch, count. Everything else (signing, candidate lookup, exact verification,
reports) is written once on top of it (``lookup.py``, ``dupdetect.incremental``).

How documents are stored (records, the codec) is ``records.py``.

Nothing here or in a backend is ever unpickled: records are bytes in the format below,
the parameter record is JSON.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..config import NORMALIZATION_VERSION, ScanConfig
from ..errors import IndexMismatchError, NotAnIndexError
from ..hashing import MULTIPLIERS, fmix64
from ..index import containment_samples, lsh_params, packed_containment_samples
from ..sign import fold32
from ..workers import DocumentInfo

if TYPE_CHECKING:
    from .records import Codec

#: Marker of a dupdetect index (SQLite meta table, Redis meta key).
FORMAT = "dupdetect-index"
#: Bumped when the stored layout changes; an index of another version is refused.
#: 1: shingle sets, signatures, one row per bucket entry. 2: records, codec, packed terms.
#: 3: SQLite terms in merging segments (``segments.py``). 4: a merged segment's row holds
#: up to four buckets (``segments.row_bits``); Redis ids map to raw content hashes.
FORMAT_VERSION = 4
#: Every shingle whose hash is divisible by this is a containment sample (as in ``index.py``).
SAMPLE_MOD = 8
#: Parameters that change shingles, records or terms: an index refuses to mix them.
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
        """Parse a stored record; anything else means the target is not a dupdetect index.

        Raises:
            NotAnIndexError: not a dupdetect parameter record.
            IndexMismatchError: an index in another format version (written by another
                version of dupdetect).
        """
        try:
            record = json.loads(text)
            if record.pop("format") != FORMAT:
                raise ValueError("wrong format marker")
            names = {f.name for f in fields(cls)}
            params = cls(**{k: v for k, v in record.items() if k in names})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise NotAnIndexError(f"{target} is not a dupdetect index (bad meta record)") from exc
        if params.format_version != FORMAT_VERSION:
            version = params.dupdetect_version
            made_by = f" by dupdetect {version}" if version else ""
            raise IndexMismatchError(
                f"index {target} was written{made_by} in index format {params.format_version}; "
                f"this dupdetect reads format {FORMAT_VERSION} only: build a new index "
                "(`dupdetect index add` into a new file or Redis prefix)"
            )
        return params


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
    content_hash: str  # hex, see content_hash()
    record: bytes  # see encode_record()
    band_terms: np.ndarray  # uint32, one per band
    sample_terms: np.ndarray  # uint32, sorted unique


@dataclass(frozen=True)
class IndexedDocument:
    """A document read back from an index: metadata and its (rebuilt) shingle set."""

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
    """The primitives a backend provides; ``target`` is safe to print (no credentials).

    Documents are addressed by *handles*: integers the backend assigns when it writes a
    document (a replaced document gets a new one), returned by the term lookups and taken
    by ``fetch``.
    """

    target: str

    def read_params(self) -> IndexParams | None:
        """The stored parameters, or None for an empty (new) index."""

    def create_params(self, params: IndexParams) -> IndexParams:
        """Store ``params`` unless a record exists (atomically); return the stored record."""

    def read_codec(self) -> Codec | None:
        """The index's trained codec, or None when it has none yet."""

    def create_codec(self, codec: Codec) -> Codec:
        """Store ``codec`` unless one exists (atomically); return the stored one."""

    def write(self, docs: Sequence[StoredDocument]) -> WriteCounts:
        """Add or replace a batch; each document atomically; same id and content: no-op."""

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; returns how many existed."""

    def band_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        """Handles of the documents with each band term, at most ``limit`` per term."""

    def sample_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        """Handles of the documents with each sample term, at most ``limit`` per term."""

    def sample_counts(self, handles: Sequence[int]) -> dict[int, int]:
        """Number of sample terms of each stored document among ``handles`` (cheap: no
        record is decoded)."""

    def fetch(self, handles: Sequence[int]) -> dict[int, IndexedDocument]:
        """The stored documents among ``handles`` (gone ones are left out), sets rebuilt."""

    def count(self) -> int:
        """Number of documents in the index."""

    def usage(self) -> dict[str, object]:
        """Backend-specific figures for ``index stats`` (bytes on disk, memory ...)."""

    def close(self) -> None:
        """Release connections and file handles."""


# -- terms ------------------------------------------------------------------------------------


def band_terms(keys: np.ndarray) -> np.ndarray:
    """32-bit lookup terms of band keys (last axis: bands); equal keys of different bands
    give unrelated terms."""
    keys = np.asarray(keys, dtype=np.uint64)
    salt = np.arange(keys.shape[-1], dtype=np.uint64) * MULTIPLIERS[2]
    return fold32(fmix64(keys ^ salt))


def sample_terms(shingles: np.ndarray, sample_mod: int = SAMPLE_MOD) -> np.ndarray:
    """32-bit lookup terms of a set's containment samples, sorted and unique."""
    terms = np.sort(containment_samples(shingles, sample_mod, min_shingles=0))
    return terms[np.concatenate(([True], terms[1:] != terms[:-1]))] if terms.size else terms


def batch_sample_terms(
    sets: Sequence[np.ndarray], sample_mod: int = SAMPLE_MOD
) -> list[np.ndarray]:
    """``sample_terms`` of every set, with a few numpy calls for the whole batch."""
    if not sets:
        return []
    values, counts = packed_containment_samples(sets, sample_mod, min_shingles=0)
    keys = np.repeat(np.arange(len(sets), dtype=np.int64) << 32, counts) | values
    keys.sort()  # by set, then value: one sort of int64 keys is faster than a lexsort
    fresh = np.ones(keys.size, dtype=bool)
    fresh[1:] = keys[1:] != keys[:-1]
    keys = keys[fresh]
    owners = keys >> 32
    values = (keys & 0xFFFFFFFF).astype(np.uint32)
    return np.split(values, np.searchsorted(owners, np.arange(1, len(sets))))


def term_members(
    wanted: np.ndarray, terms: np.ndarray, handles: np.ndarray, limit: int
) -> list[list[int]]:
    """For each wanted term, the distinct handles (ascending, at most ``limit``) of the
    entries ``(terms[i], handles[i])`` with that term."""
    if terms.size == 0:
        return [[] for _ in range(wanted.size)]
    order = np.lexsort((handles, terms))
    terms, handles = terms[order], handles[order]
    fresh = np.concatenate(([True], (terms[1:] != terms[:-1]) | (handles[1:] != handles[:-1])))
    terms, handles = terms[fresh], handles[fresh]
    lows = np.searchsorted(terms, wanted, side="left").tolist()
    highs = np.searchsorted(terms, wanted, side="right").tolist()
    found = handles.tolist()
    return [found[low : min(high, low + limit)] for low, high in zip(lows, highs, strict=True)]


def content_hash(info: DocumentInfo, shingles: np.ndarray) -> str:
    """Identity of a document's content: its shingle set (before boilerplate) and metadata."""
    digest = hashlib.blake2b(
        np.ascontiguousarray(shingles, dtype=np.uint64).tobytes(), digest_size=16
    )
    digest.update(  # the same as one update per field with a zero byte before each
        b"".join(
            b"\0" + value.encode("utf-8", "surrogatepass")
            for value in (info.title, info.source, info.url, info.date, info.wire)
        )
    )
    return digest.hexdigest()
