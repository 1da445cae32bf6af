"""Scan settings, validated once, shared by every stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import ConfigError

#: Bumped whenever normalization or shingling changes in a way that changes shingle hashes.
NORMALIZATION_VERSION = 1

#: Settings that change how fast a scan runs, never what it finds (left out of reports).
RUNTIME_ONLY = frozenset({"jobs", "keep_words"})

#: Record field mapping for JSON / JSON Lines / CSV inputs; reported only when set.
FIELD_OPTIONS = ("id_field", "text_field", "title_field", "source_field", "date_field")


@dataclass(frozen=True)
class ScanConfig:
    """How a scan reads, shingles, signs, indexes, verifies and clusters.

    Args:
        threshold: minimum exact Jaccard similarity of two documents' shingle sets for them
            to count as near-duplicates.
        containment: minimum share of the smaller document's shingles found in the larger one
            for the pair to count as a copy (teasers, trimmed copies, pages wrapping a story).
            Set to 1.1 to turn containment matching off.
        min_containment_shingles: a document needs at least this many shingles before its
            containment in another can make it a duplicate (a two-line text is contained in
            almost anything).
        shingle_size: words per shingle.
        num_perm: MinHash permutations (signature length).
        seed: seed of the MinHash permutations.
        lsh_threshold: Jaccard level the LSH bands are tuned for; candidates below it are
            found with falling probability. Defaults to a value below ``threshold`` so exact
            verification, not the sketch, decides.
        max_bucket: LSH buckets larger than this are not expanded to all pairs (each member
            is paired with the bucket's first member only), which bounds the work on pages that
            are identical boilerplate.
        max_file_size: files larger than this many bytes are skipped.
        follow_symlinks: follow symbolic links to directories and files while walking.
        strip_wire: remove agency datelines, credit lines and footers before shingling
            (the agency is still reported).
        boilerplate_min_docs: a shingle found in this many documents of the same ``source`` is
            site boilerplate and does not count (0 turns this off).
        keep_words: also hand back each document's word buffer (``Shingled.words``), which
            ``index add`` stores instead of its shingle set; runtime only, off for scans.
        id_field, text_field, title_field, source_field, date_field: the record field (JSON,
            JSON Lines, CSV; a dotted path for nested objects) holding each document field.
            None looks under the usual names (``text``, then ``content``, ``body``, ``article``,
            ``full_text``; ``id``, ``title``, ``source``, ``date`` ...).
    """

    threshold: float = 0.4
    containment: float = 0.7
    min_containment_shingles: int = 20
    shingle_size: int = 5
    num_perm: int = 128
    seed: int = 1
    lsh_threshold: float | None = None
    max_bucket: int = 500
    max_file_size: int = 50 * 1024 * 1024
    follow_symlinks: bool = False
    strip_wire: bool = True
    boilerplate_min_docs: int = 5
    jobs: int = 1
    keep_words: bool = False
    id_field: str | None = None
    text_field: str | None = None
    title_field: str | None = None
    source_field: str | None = None
    date_field: str | None = None

    def __post_init__(self) -> None:
        _check_range("threshold", self.threshold, 0.0, 1.0)
        _check_range("containment", self.containment, 0.0, 1.1)
        if self.lsh_threshold is not None:
            _check_range("lsh_threshold", self.lsh_threshold, 0.01, 1.0)
        for name in ("shingle_size", "num_perm", "max_bucket", "max_file_size", "jobs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in FIELD_OPTIONS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"{name} must be a non-empty field name, got {value!r}")
        if self.num_perm < 4:
            raise ConfigError(f"num_perm must be at least 4 for LSH banding, got {self.num_perm}")

    @property
    def effective_lsh_threshold(self) -> float:
        """The Jaccard level LSH is tuned for: ``lsh_threshold`` or 80% of ``threshold``."""
        if self.lsh_threshold is not None:
            return self.lsh_threshold
        return max(0.05, round(self.threshold * 0.8, 3))

    def as_dict(self) -> dict[str, object]:
        """Settings that shape the result, with the normalization version, for reports.

        The record field mapping is included only for the fields that are set.
        """
        settings = {
            k: v
            for k, v in asdict(self).items()
            if k not in RUNTIME_ONLY and not (k in FIELD_OPTIONS and v is None)
        }
        return {**settings, "normalization_version": NORMALIZATION_VERSION}


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
