"""Errors the library raises; the CLI turns each into a one-line message and exit code 2."""


class DupdetectError(Exception):
    """Base class for every error dupdetect raises on purpose."""


class NoArticlesError(DupdetectError):
    """Nothing readable was found under the given paths."""


class ConfigError(DupdetectError, ValueError):
    """A configuration value is out of range or inconsistent."""


class IndexStoreError(DupdetectError):
    """A persistent index (``dupdetect index``) cannot be used."""


class NotAnIndexError(IndexStoreError):
    """The target exists but is not a dupdetect index."""


class IndexMismatchError(IndexStoreError):
    """The index was built with settings that would give different shingles or signatures."""


class IndexUnavailableError(IndexStoreError):
    """The index cannot be opened or reached (bad path, server down, bad URL)."""


class ScratchSpaceError(DupdetectError):
    """The temporary file that holds a scan's shingle sets cannot be created or written."""
