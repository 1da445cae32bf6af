"""Settings from ``[tool.dupdetect]`` in ``pyproject.toml`` (or a TOML file given with --config).

Keys are option names with dashes or underscores (``threshold``, ``boilerplate-min-docs``,
``format``, ``baseline`` ...). Unknown keys are errors that suggest the closest known key.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError


def find_pyproject(paths: Iterable[str | Path]) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.dupdetect]`` table, walking up from the
    scanned paths (or the working directory), stopping at a repository root."""
    starts = [Path(p).resolve() for p in paths] or [Path.cwd()]
    directory = starts[0] if starts[0].is_dir() else starts[0].parent
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "dupdetect" in _read_toml(candidate).get("tool", {}):
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def read_settings(path: str | Path, known: Mapping[str, str], *, section: bool) -> dict[str, Any]:
    """The settings in ``path``, keyed by parameter name.

    Args:
        path: a TOML file.
        known: option name with underscores (``boilerplate_min_docs``, ``format``) -> the
            parameter it sets (``output_format`` for ``--format``).
        section: read ``[tool.dupdetect]`` (pyproject.toml) rather than the top level.

    Raises:
        ConfigError: unreadable TOML, or a key that is not a known option (with a suggestion).
    """
    data = _read_toml(Path(path))
    if section:
        data = data.get("tool", {}).get("dupdetect", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.dupdetect] must be a table")
    settings = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"{path}: unknown setting {key!r}{_suggestion(name, sorted(known))}")
        settings[known[name]] = value
    return settings


def _suggestion(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0].replace('_', '-')!r}?)" if close else ""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
