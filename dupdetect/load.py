"""Stage 1, load: walk the inputs and turn files into Documents, Skipped items and Notices.

Nothing is dropped silently: every file that is not read, or read only in part, yields a
``Skipped`` (or, when it was read with a caveat, a ``Notice``) naming the file and the reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .models import Document, Notice, Skipped

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES

LoadItem = Document | Skipped | Notice


@dataclass(frozen=True)
class InputFile:
    """A file to read and the id it gets (its path relative to the scanned root)."""

    path: Path
    rel: str


def iter_input_files(
    paths: Iterable[str | os.PathLike[str]], *, follow_symlinks: bool = False
) -> Iterator[InputFile | Skipped]:
    """Yield every file under ``paths`` (and a Skipped for what cannot be walked).

    Directories are walked recursively in sorted order; hidden entries are reported, not
    entered. Ids are paths relative to the scanned root (the directory, or the common parent
    of several inputs), with forward slashes.
    """
    roots = [Path(p) for p in paths]
    base = _common_base(roots)
    for root in roots:
        if not root.exists() and not root.is_symlink():
            yield Skipped(str(root), "no such file or directory")
            continue
        if root.is_dir():
            yield from _walk(root, base, follow_symlinks)
        else:
            yield InputFile(root, _rel(root, base))


def read_inputs(
    paths: Iterable[str | os.PathLike[str]],
    *,
    max_file_size: int = 50 * 1024 * 1024,
    follow_symlinks: bool = False,
) -> Iterator[LoadItem]:
    """Walk ``paths`` and read every supported file into Documents, Skipped and Notices."""
    for item in iter_input_files(paths, follow_symlinks=follow_symlinks):
        if isinstance(item, InputFile):
            yield from read_file(item, max_file_size=max_file_size)
        else:
            yield item


def read_file(item: InputFile, *, max_file_size: int) -> Iterator[LoadItem]:
    """Read one file: plain text gives one Document, JSON Lines one per valid line.

    JSON Lines files are streamed, so ``max_file_size`` limits each line, not the file.
    """
    suffix = item.path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield Skipped(item.rel, f"unsupported file type {suffix or '(no extension)'!r}")
        return
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(item, max_line_size=max_file_size)
        return
    raw = _read_bytes(item, max_file_size)
    if isinstance(raw, Skipped):
        yield raw
        return
    text, notice = decode_bytes(raw, item.rel)
    if notice is not None:
        yield notice
    if text is None:
        yield Skipped(item.rel, "binary file (contains NUL bytes)")
    else:
        yield from parse_text(text, item.rel)


def decode_bytes(raw: bytes, rel: str) -> tuple[str | None, Notice | None]:
    """Decode file bytes: UTF-8 (with or without BOM), else cp1252/Latin-1 with a notice.

    Returns ``(None, None)`` for binary content (NUL bytes in a file that is not UTF-16).
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), Notice(rel, "decoded as UTF-16 (BOM)")
    if b"\x00" in raw[:8192]:
        return None, None
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        where = f"invalid UTF-8 at byte {exc.start}"
    try:
        return raw.decode("cp1252"), Notice(rel, f"{where}; decoded as Windows-1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1"), Notice(rel, f"{where}; decoded as Latin-1")


def parse_text(text: str, rel: str) -> Iterator[LoadItem]:
    """A plain-text article: the first non-empty line is the title, the rest the body."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        yield Skipped(rel, "empty file" if not text else "no text (whitespace only)")
        return
    title = lines[first].strip().lstrip("#").strip()
    body = "\n".join(lines[first + 1 :]).strip()
    yield Document(id=rel, text=body or title, path=rel, title=title)


def read_jsonl(item: InputFile, *, max_line_size: int) -> Iterator[LoadItem]:
    """Stream a JSON Lines file: one article object per line with ``text`` and metadata."""
    try:
        handle = item.path.open("rb")
    except OSError as exc:
        yield Skipped(item.rel, f"cannot read: {exc.strerror or exc}")
        return
    with handle:
        yield from parse_jsonl_lines(handle, item.rel, max_line_size)


def parse_jsonl_lines(lines: Iterable[bytes], rel: str, max_line_size: int) -> Iterator[LoadItem]:
    """Documents, Skipped and Notices for each line of a JSON Lines byte stream."""
    seen_bytes = found_any = False
    try:
        for number, raw in enumerate(lines, start=1):
            seen_bytes = True
            if len(raw) > max_line_size:
                yield Skipped(
                    rel,
                    f"line is longer than the limit ({len(raw)} > {max_line_size} bytes)",
                    number,
                )
            elif raw.strip():
                found_any = True
                line, notice = _decode_line(raw, rel, number)
                if notice is not None:
                    yield notice
                yield (
                    _parse_jsonl_line(line, rel, number)
                    if line is not None
                    else Skipped(rel, "binary data (contains NUL bytes)", number)
                )
    except OSError as exc:
        yield Skipped(rel, f"read failed: {exc.strerror or exc}")
    if not found_any:
        yield Skipped(rel, "no records (whitespace only)" if seen_bytes else "empty file")


def _decode_line(raw: bytes, rel: str, number: int) -> tuple[str | None, Notice | None]:
    if b"\x00" in raw:
        return None, None
    raw = raw.rstrip(b"\r\n")
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8"), None
    except UnicodeDecodeError as exc:
        notice = Notice(rel, f"invalid UTF-8 at byte {exc.start}; decoded as Windows-1252", number)
        return raw.decode("cp1252", errors="replace"), notice


def _parse_jsonl_line(line: str, rel: str, number: int) -> LoadItem:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Skipped(rel, f"invalid JSON: {exc.msg} (column {exc.colno})", line=number)
    if not isinstance(record, dict):
        return Skipped(rel, f"expected a JSON object, got {type(record).__name__}", line=number)
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return Skipped(rel, "record has no non-empty 'text' field", line=number)
    doc_id = record.get("id")
    return Document(
        id=str(doc_id) if doc_id not in (None, "") else f"{rel}:{number}",
        text=text,
        path=rel,
        title=_field(record, "title"),
        source=_field(record, "source"),
        url=_field(record, "url"),
        date=_field(record, "date"),
        line=number,
    )


def _field(record: dict[str, object], name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _read_bytes(item: InputFile, max_file_size: int) -> bytes | Skipped:
    try:
        size = item.path.stat().st_size
        if size > max_file_size:
            return Skipped(
                item.rel, f"file is larger than the limit ({size} > {max_file_size} bytes)"
            )
        return item.path.read_bytes()
    except OSError as exc:
        return Skipped(item.rel, f"cannot read: {exc.strerror or exc}")


def _walk(root: Path, base: Path, follow_symlinks: bool) -> Iterator[InputFile | Skipped]:
    """Sorted recursive walk; reports symlinks it does not follow and symlink loops."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        real = os.path.realpath(directory)
        if real in seen:
            yield Skipped(_rel(directory, base), "symlink loop (directory already visited)")
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(_rel(directory, base), f"cannot list directory: {exc.strerror or exc}")
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                yield Skipped(_rel(Path(entry.path), base), "hidden (name starts with '.')")
                continue
            found = _classify(entry, base, follow_symlinks)
            if isinstance(found, Path):
                subdirs.append(found)
            elif found is not None:
                yield found
        stack.extend(reversed(subdirs))


def _classify(
    entry: os.DirEntry[str], base: Path, follow_symlinks: bool
) -> Path | InputFile | Skipped | None:
    path = Path(entry.path)
    try:
        if entry.is_symlink() and not follow_symlinks:
            return Skipped(_rel(path, base), "symbolic link not followed (use --follow-symlinks)")
        if entry.is_dir(follow_symlinks=follow_symlinks):
            return path
        if entry.is_file(follow_symlinks=follow_symlinks):
            return InputFile(path, _rel(path, base))
    except OSError as exc:
        return Skipped(_rel(path, base), f"cannot stat: {exc.strerror or exc}")
    if entry.is_symlink():
        return Skipped(_rel(path, base), "broken symbolic link")
    return Skipped(_rel(path, base), "not a regular file")


def _common_base(roots: list[Path]) -> Path:
    """The folder ids are relative to: a lone directory itself, else the inputs' common parent."""
    if len(roots) == 1 and roots[0].is_dir():
        return roots[0]
    parents = [os.path.abspath(r if r.is_dir() else r.parent) for r in roots]
    try:
        return Path(os.path.commonpath(parents)) if parents else Path(".")
    except ValueError:  # different drives on Windows
        return Path(".")


def _rel(path: Path, base: Path) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
    except ValueError:
        rel = str(path)
    return Path(rel).as_posix()
