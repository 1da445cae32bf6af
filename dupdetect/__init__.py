"""dupdetect: find near-duplicate news articles (wire copies, republished stories, teasers).

>>> from dupdetect import ScanConfig, scan
>>> callable(scan) and ScanConfig().threshold
0.4
"""

from typing import TYPE_CHECKING, Any

from .config import ScanConfig
from .errors import ConfigError, DupdetectError, NoArticlesError
from .models import Cluster, Document, Member, Notice, PairScore, ScanResult, Skipped, Summary

if TYPE_CHECKING:
    from .pipeline import scan

__version__ = "0.1.0"

__all__ = [
    "Cluster",
    "ConfigError",
    "Document",
    "DupdetectError",
    "Member",
    "NoArticlesError",
    "Notice",
    "PairScore",
    "ScanConfig",
    "ScanResult",
    "Skipped",
    "Summary",
    "scan",
]


def __getattr__(name: str) -> Any:
    """``scan`` is imported on first use, so that importing one part of dupdetect (a worker
    process started by spawn, ``dupdetect.normalize``) does not load the whole pipeline."""
    if name == "scan":
        from .pipeline import scan

        globals()["scan"] = scan
        return scan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
