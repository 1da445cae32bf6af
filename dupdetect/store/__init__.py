"""Persistent indexes of signed, shingled documents (issue 5): SQLite by default, Redis shared.

>>> mask_target("redis://user:secret@example.org:6379/0")
'redis://***@example.org:6379/0'
>>> mask_target("archive.sqlite")
'archive.sqlite'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .base import IndexedDocument, IndexParams, IndexStore, StoredDocument, WriteCounts

if TYPE_CHECKING:
    from .sqlite import SQLiteStore

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis_target(target: str) -> bool:
    """True for a Redis URL, False for a path to an SQLite file."""
    return str(target).startswith(REDIS_SCHEMES)


def mask_target(target: str | Path) -> str:
    """The target as it may be printed: credentials in a URL replaced by ``***``."""
    if not is_redis_target(str(target)):
        return str(target)
    from .redis import mask_url

    return mask_url(str(target))


def open_store(target: str | Path, *, create: bool = True) -> IndexStore:
    """Open (``create``: or create) the index at ``target``: a Redis URL or an SQLite path.

    Raises:
        IndexUnavailableError: the file or server cannot be used.
        NotAnIndexError: the target holds something that is not a dupdetect index.
    """
    if is_redis_target(str(target)):
        from .redis import RedisStore

        return RedisStore(str(target))
    from .sqlite import SQLiteStore

    return SQLiteStore(target, create=create)


def __getattr__(name: str) -> object:
    """``SQLiteStore``, imported when first asked for: the store modules (and the Redis
    client) are not imported by every program that imports this package's ``base``."""
    if name == "SQLiteStore":
        from .sqlite import SQLiteStore

        return SQLiteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "IndexParams",
    "IndexStore",
    "IndexedDocument",
    "SQLiteStore",
    "StoredDocument",
    "WriteCounts",
    "mask_target",
    "open_store",
]
