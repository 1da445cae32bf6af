"""dupdetect: find near-duplicate news articles (wire copies, republished stories, teasers).

>>> from dupdetect import ScanConfig, scan
>>> callable(scan) and ScanConfig().threshold
0.4
"""

from .config import ScanConfig
from .errors import ConfigError, DupdetectError, NoArticlesError
from .models import Cluster, Document, Member, Notice, PairScore, ScanResult, Skipped, Summary
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
