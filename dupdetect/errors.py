"""Errors the library raises; the CLI turns each into a one-line message and exit code 2."""


class DupdetectError(Exception):
    """Base class for every error dupdetect raises on purpose."""


class NoArticlesError(DupdetectError):
    """Nothing readable was found under the given paths."""


class ConfigError(DupdetectError, ValueError):
    """A configuration value is out of range or inconsistent."""
