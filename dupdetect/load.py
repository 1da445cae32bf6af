"""Stage 1, load: walk the inputs and turn files into Documents, Skipped items and Notices.

Nothing is dropped silently: every file that is not read, or read only in part, yields a
``Skipped`` (or, when it was read with a caveat, a ``Notice``) naming the file and the reason.
The readers for each format live in ``dupdetect.formats``; this module walks and dispatches:
by suffix (the one before ``.gz``/``.bz2``/``.xz``/``.zst`` for compressed files), and by
content for ``.xml``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO

from .formats import LoadItem, ReadOptions
from .formats.compression import split_compression
from .formats.encoding import decode_bytes
from .formats.feeds import FEED_SUFFIXES, XML_SUFFIXES, read_feed, sniff_xml
from .formats.files import read_streamed, read_whole
from .formats.html import HTML_SUFFIXES, declared_charset, read_html
from .formats.records import (
    CSV_SUFFIXES,
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    iter_lines,
    parse_jsonl_lines,
    read_csv,
    read_json,
    read_stdin_jsonl,
)
from .formats.warc import WARC_SUFFIXES, read_warc
from .models import Document, Skipped

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES
    | JSONL_SUFFIXES
    | JSON_SUFFIXES
    | CSV_SUFFIXES
    | HTML_SUFFIXES
    | FEED_SUFFIXES
    | XML_SUFFIXES
    | WARC_SUFFIXES
)
#: The path that means standard input (JSON Lines).
STDIN = "-"

__all__ = [
    "InputFile",
    "LoadItem",
    "ReadOptions",
    "decode_bytes",
    "FileRun",
    "iter_input_files",
    "iter_input_runs",
    "parse_jsonl_lines",
    "parse_text",
    "read_file",
    "read_inputs",
    "read_jsonl",
]


@dataclass(slots=True, unsafe_hash=True)
class InputFile:
    """A file to read and the id it gets (its path relative to the scanned root).

    ``stdin`` marks the path ``-``: JSON Lines read from standard input (by the calling
    process, never by a worker).

    Never changed once made, and hashable, but not ``frozen``: a frozen dataclass's
    ``__init__`` costs ~1.4 us for these three fields, twice a plain one's, and the walk
    makes one per file.
    """

    location: str | os.PathLike[str]
    rel: str
    stdin: bool = False

    @property
    def path(self) -> Path:
        """The file's path (made on demand: a walk of a million files makes no Path objects)."""
        return Path(self.location)


def iter_input_files(
    paths: Iterable[str | os.PathLike[str]], *, follow_symlinks: bool = False
) -> Iterator[InputFile | Skipped]:
    """Yield every file under ``paths`` (and a Skipped for what cannot be walked).

    Directories are walked recursively in sorted order; hidden entries are reported, not
    entered. Ids are paths relative to the scanned root (the directory, or the common parent
    of several inputs), with forward slashes. The path ``-`` stands for standard input.
    """
    for item in iter_input_runs(paths, follow_symlinks=follow_symlinks):
        if isinstance(item, FileRun):
            yield from map(InputFile, item.locations, item.rels)
        else:
            yield item


@dataclass(slots=True)
class FileRun:
    """Regular files a walk found one after the other in a folder: their locations and ids
    (what ``InputFile`` holds), two lists instead of an object per file."""

    locations: list[str]
    rels: list[str]


def iter_input_runs(
    paths: Iterable[str | os.PathLike[str]], *, follow_symlinks: bool = False
) -> Iterator[FileRun | InputFile | Skipped]:
    """``iter_input_files`` with the regular files of each folder in ``FileRun`` s (a file
    given by itself, and standard input, still come as an ``InputFile``).

    For a scan's main process, which only hands the files to workers: a million
    ``InputFile`` objects cost it ~2 s of a busy process's time (a file walked, made into
    an object and taken apart again for the trip ~3.6 us; as runs ~1.8 us).
    """
    given = list(paths)
    roots = [Path(p) for p in given if not _is_stdin(p)]
    base = _common_base(roots)
    for path in given:
        if _is_stdin(path):
            yield InputFile(Path(STDIN), "<stdin>", stdin=True)
            continue
        root = Path(path)
        if not root.exists() and not root.is_symlink():
            yield Skipped(str(root), "no such file or directory")
            continue
        if root.is_dir():
            yield from _walk(root, base, follow_symlinks)
        else:
            yield InputFile(root, _rel(root, base))


def announce_reads(entries: Iterable[InputFile | Skipped]) -> None:
    """Tell the kernel these files will be read soon (``posix_fadvise(WILLNEED)``).

    Reading files one at a time leaves a cold disk idle between requests; announced first,
    a chunk's files are fetched concurrently. Measured on this project's machine: 4,200 ->
    18,000-19,000 cold files/s. Costs an open and close per file; a no-op where the call
    does not exist (macOS, Windows) and for anything that cannot be opened (read_file
    reports that properly).
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for entry in entries:
        if not isinstance(entry, InputFile) or entry.stdin:
            continue
        try:
            fd = os.open(entry.location, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


def read_inputs(
    paths: Iterable[str | os.PathLike[str]],
    *,
    max_file_size: int = 50 * 1024 * 1024,
    follow_symlinks: bool = False,
    options: ReadOptions | None = None,
) -> Iterator[LoadItem]:
    """Walk ``paths`` and read every supported file into Documents, Skipped and Notices."""
    for item in iter_input_files(paths, follow_symlinks=follow_symlinks):
        if isinstance(item, InputFile):
            yield from read_file(item, max_file_size=max_file_size, options=options)
        else:
            yield item


def read_file(
    item: InputFile, *, max_file_size: int, options: ReadOptions | None = None
) -> Iterator[LoadItem]:
    """Read one file into Documents (one per article), Skipped and Notices.

    Streamed formats (JSON Lines, WARC) apply ``max_file_size`` to each line or record;
    the others to the file, and to its decompressed content when it is compressed.
    ``options`` maps record fields (JSON, JSON Lines, CSV) to document fields.
    """
    options = options or ReadOptions()
    if item.stdin:
        yield from read_stdin_jsonl(max_file_size, options)
        return
    location = item.location
    suffix, compression = _file_suffixes(location)
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix + (compression or "") if compression else item.path.suffix.lower()
        yield Skipped(item.rel, f"unsupported file type {shown or '(no extension)'!r}")
        return
    if suffix in WARC_SUFFIXES:
        reader = partial(read_warc, rel=item.rel, max_file_size=max_file_size)
    elif suffix in JSONL_SUFFIXES:
        reader = partial(_jsonl, rel=item.rel, max_line_size=max_file_size, options=options)
    else:
        reader = None
    if reader is not None:
        yield from read_streamed(location, item.rel, compression, max_file_size, reader)
        return
    raw = read_whole(location, item.rel, max_file_size, compression)
    if isinstance(raw, Skipped):
        yield raw
        return
    yield from _parse_whole(raw, suffix, item.rel, options)


def _file_suffixes(location: str | os.PathLike[str]) -> tuple[str, str | None]:
    """The format suffix (lower-case, "" if none) and the compression suffix (or None) of a
    file: ``(".jsonl", ".gz")`` for ``a/b.JSONL.gz``.

    A name whose last suffix is a format's (``a/b.txt``, most files) takes one ``rfind``;
    the general way (``_file_name``, ``split_compression``, ``os.path.splitext``) costs
    ~3.5 us a file, 2% of what a worker spends on an article.
    """
    path = os.fspath(location)
    dot = path.rfind(".")
    if dot > 0 and path[dot - 1] not in "./\\":
        last = path[dot:]
        if "/" not in last and os.sep not in last and last.lower() in SUPPORTED_SUFFIXES:
            return last.lower(), None
    inner, compression = split_compression(_file_name(location))
    return os.path.splitext(inner)[1].lower(), compression


def _file_name(location: str | os.PathLike[str]) -> str:
    """``Path(location).name``, without building a Path for every file of a walk (a few
    microseconds each). The two differ only for paths ending in "/" or "/."."""
    name = os.path.basename(location)
    return name if name not in ("", ".") else Path(location).name


def _parse_whole(raw: bytes, suffix: str, rel: str, options: ReadOptions) -> Iterator[LoadItem]:
    """Dispatch a whole file's bytes to the reader of its format."""
    if suffix in XML_SUFFIXES:
        kind = sniff_xml(raw)
        if kind == "other":
            yield Skipped(rel, "XML file is not an RSS or Atom feed")
            return
        suffix = ".rss" if kind == "feed" else ".html"
    if suffix in FEED_SUFFIXES:
        yield from read_feed(raw, rel)  # XML carries its own encoding declaration
        return
    declared = declared_charset(raw) if suffix in HTML_SUFFIXES else None
    text, notice = decode_bytes(raw, rel, declared=declared)
    if notice is not None:
        yield notice
    if text is None:
        yield Skipped(rel, "binary file (contains NUL bytes)")
    elif suffix in HTML_SUFFIXES:
        yield from read_html(text, rel)
    elif suffix in JSON_SUFFIXES:
        yield from read_json(text, rel, options)
    elif suffix in CSV_SUFFIXES:
        yield from read_csv(text, rel, options, delimiter="\t" if suffix == ".tsv" else ",")
    else:
        yield from parse_text(text, rel)


def parse_text(text: str, rel: str) -> Iterator[LoadItem]:
    """A plain-text article: the first non-empty line is the title, the rest the body."""
    head = text.lstrip()  # from the title line's first character on
    if not head:
        yield Skipped(rel, "empty file" if not text else "no text (whitespace only)")
        return
    if _has_other_line_break(head):
        lines = head.splitlines()
        title, body = lines[0], "\n".join(lines[1:]).strip()
    else:  # the same, without splitting every line and joining them again
        title, body = _title_and_body(head)
    title = title.strip().lstrip("#").strip()
    yield Document(id=rel, text=body or title, path=rel, title=title)


def _has_other_line_break(text: str) -> bool:
    """Whether ``text`` holds a line break ``str.splitlines`` knows besides "\n" (all of them
    whitespace, as "\n" is). Written out: a generator over the nine costs twice as much, and
    the last three are found at once in a text of Latin-1 characters only."""
    return (
        "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x85" in text
        or "\u2028" in text
        or "\u2029" in text
    )


def _title_and_body(head: str) -> tuple[str, str]:
    """The first line of ``head`` (split at "\n" only) and the rest, stripped: the body is
    copied once (``partition`` then ``strip`` copy it twice; the whitespace at its ends is a
    character or two, stepped over one by one)."""
    end = len(head)
    while end and head[end - 1].isspace():
        end -= 1
    newline = head.find("\n", 0, end)
    if newline == -1:
        return head[:end], ""
    start = newline + 1
    while start < end and head[start].isspace():
        start += 1
    return head[:newline], head[start:end]


def read_jsonl(
    item: InputFile, *, max_line_size: int, options: ReadOptions | None = None
) -> Iterator[LoadItem]:
    """Stream a JSON Lines file: one article object per line with ``text`` and metadata."""
    reader = partial(_jsonl, rel=item.rel, max_line_size=max_line_size, options=options)
    yield from read_streamed(item.path, item.rel, None, max_line_size, reader)


def _jsonl(
    stream: BinaryIO, *, rel: str, max_line_size: int, options: ReadOptions | None
) -> Iterator[LoadItem]:
    return parse_jsonl_lines(iter_lines(stream, max_line_size), rel, max_line_size, options)


def _is_stdin(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path) == STDIN


def _walk(root: Path, base: Path, follow_symlinks: bool) -> Iterator[FileRun | Skipped]:
    """Sorted recursive walk; reports symlinks it does not follow and symlink loops.

    Ids are built by appending names to the folder's own relative path, not by a ``relpath``
    per file (which cost a quarter of a millisecond per file in the main process). A
    folder's regular files come in runs, broken only where a Skipped falls between them.
    """
    seen: set[str] = set()
    top = _rel(root, base)
    stack = [(os.fspath(root), "" if top == "." else f"{top}/")]
    while stack:
        directory, prefix = stack.pop()
        real = os.path.realpath(directory)
        if real in seen:
            yield Skipped(prefix.rstrip("/"), "symlink loop (directory already visited)")
            continue
        seen.add(real)
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=_NAME)
        except OSError as exc:
            yield Skipped(
                prefix.rstrip("/") or ".", f"cannot list directory: {exc.strerror or exc}"
            )
            continue
        subdirs = []
        run = FileRun([], [])
        for entry in entries:
            name = entry.name
            if name[0] != "." and _is_regular_file(entry):  # most entries: one question
                run.locations.append(entry.path)
                run.rels.append(prefix + name)
                continue
            rel = prefix + name
            found = (
                Skipped(rel, "hidden (name starts with '.')")
                if name[0] == "."
                else _classify(entry, rel, follow_symlinks)
            )
            if found is None:
                subdirs.append((entry.path, rel + "/"))
                continue
            if run.locations:
                yield run
                run = FileRun([], [])
            yield found
        if run.locations:
            yield run
        stack.extend(reversed(subdirs))


def _is_regular_file(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a regular file (not a symlink to one), False when that cannot
    be told (``_classify`` then says why)."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


_NAME = attrgetter("name")


def _classify(
    entry: os.DirEntry[str], rel: str, follow_symlinks: bool
) -> InputFile | Skipped | None:
    """An InputFile, a Skipped with the reason, or None for a directory to walk into."""
    try:
        if entry.is_file(follow_symlinks=False):
            return InputFile(entry.path, rel)
        if entry.is_symlink() and not follow_symlinks:
            return Skipped(rel, "symbolic link not followed (use --follow-symlinks)")
        if entry.is_dir(follow_symlinks=follow_symlinks):
            return None
        if entry.is_file(follow_symlinks=follow_symlinks):
            return InputFile(entry.path, rel)
    except OSError as exc:
        return Skipped(rel, f"cannot stat: {exc.strerror or exc}")
    if entry.is_symlink():
        return Skipped(rel, "broken symbolic link")
    return Skipped(rel, "not a regular file")


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
