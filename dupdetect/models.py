"""The data that flows between pipeline stages, as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, unsafe_hash=True)
class Document:
    """One article as read from disk, before normalization.

    ``id`` is unique within a scan: a path relative to the scanned root for plain files,
    the record's ``id`` (or ``path:line``) for JSON Lines.

    Never changed once made, and hashable, but not ``frozen``: a frozen dataclass's
    ``__init__`` costs ~2.2 us for these fields, three times a plain one's, and every
    article read makes one.
    """

    id: str
    text: str
    path: str
    title: str = ""
    source: str = ""
    url: str = ""
    date: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that was not scanned (or only partly), and why."""

    path: str
    reason: str
    line: int | None = None

    @property
    def location(self) -> str:
        """``path`` or ``path:line`` for messages."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True, slots=True)
class Notice:
    """Something odd about an input that was still scanned (e.g. a legacy encoding)."""

    path: str
    message: str
    line: int | None = None

    @property
    def location(self) -> str:
        """``path`` or ``path:line`` for messages."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(slots=True, unsafe_hash=True)  # hashable, not frozen: see Document
class PairScore:
    """Exact overlap of two documents' shingle sets.

    ``containment_ab`` is the share of A's shingles found in B; ``containment_ba`` the reverse.
    """

    jaccard: float
    containment_ab: float
    containment_ba: float

    @property
    def containment(self) -> float:
        """Containment of the smaller set in the larger one (the larger of the two directions)."""
        return max(self.containment_ab, self.containment_ba)


@dataclass(slots=True, unsafe_hash=True)  # hashable, not frozen: see Document
class Member:
    """A document in a cluster, scored against the cluster's representative."""

    id: str
    path: str
    title: str
    source: str
    url: str
    date: str
    wire: str
    similarity: float
    containment: float
    contained_in_representative: float
    representative_contained: float
    is_representative: bool
    boilerplate: float = 0.0


@dataclass(slots=True, unsafe_hash=True)  # hashable, not frozen: see Document
class Cluster:
    """A group of near-duplicate documents around one representative."""

    id: str
    representative: str
    members: tuple[Member, ...]
    wire: str = ""

    @property
    def size(self) -> int:
        """Number of documents in the cluster, representative included."""
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts for the closing line of a scan."""

    documents: int
    clusters: int
    duplicates: int
    skipped: int
    candidate_pairs: int
    verified_pairs: int


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found, ready for any output format."""

    clusters: tuple[Cluster, ...]
    summary: Summary
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[Notice, ...] = ()
    settings: dict[str, object] = field(default_factory=dict)
    document_ids: tuple[str, ...] = ()
