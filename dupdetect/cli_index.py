"""``dupdetect index add|query|stats|remove`` (issue 5): the persistent index from the shell.

Registered on the ``dupdetect`` group at the end of ``cli.py`` (import this module through
``dupdetect.cli``). ``--index`` takes a path to an SQLite file (the default backend, created
by the first ``add``) or a ``redis://[user:password@]host:port/db`` URL; it can also come from
the ``DUPDETECT_INDEX`` environment variable. Credentials never appear in any output.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .cli_common import (
    CONTEXT_SETTINGS,
    ScanFailed,
    StderrConsole,
    jobs_option,
    output_options,
    progress_bars,
    scan_settings,
    write_output,
)
from .config import ScanConfig
from .errors import DupdetectError
from .incremental import add_documents, index_stats, query_documents, remove_documents
from .render import problem_lines
from .store import IndexStore, mask_target, open_store

INDEX_HELP = (
    "The index: an SQLite file (created by the first add) or redis://[user:pw@]host:port/db."
)


def index_option(command):  # type: ignore[no-untyped-def]
    """``--index TARGET`` (also from $DUPDETECT_INDEX)."""
    return click.option(
        "--index",
        "target",
        required=True,
        envvar="DUPDETECT_INDEX",
        metavar="FILE|URL",
        help=INDEX_HELP,
    )(command)


@contextlib.contextmanager
def opened_index(target: str, *, create: bool = False) -> Iterator[IndexStore]:
    """The index at ``target``; library errors become a one-line message and exit code 2."""
    try:
        store = open_store(target, create=create)
    except DupdetectError as exc:
        raise ScanFailed(str(exc)) from exc
    try:
        yield store
    except (DupdetectError, ValueError) as exc:
        raise ScanFailed(str(exc)) from exc
    finally:
        store.close()


_quiet = click.option("-q", "--quiet", is_flag=True, help="No progress bar, no summary.")
_paths = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path, allow_dash=True)
)


@click.group("index", context_settings=CONTEXT_SETTINGS)
def index_group() -> None:
    """Keep a persistent index of articles: add, query, stats, remove.

    \b
    dupdetect index add crawl/today/ --index archive.sqlite
    dupdetect index query new/ --index archive.sqlite -f json
    dupdetect index add feed.jsonl --index redis://scrapers.internal:6379/0
    dupdetect scan new/ --index archive.sqlite   # cluster new with indexed articles
    """


@index_group.command("add")
@_paths
@index_option
@scan_settings
@jobs_option
@_quiet
def add(paths: tuple[Path, ...], target: str, quiet: bool, **settings: object) -> None:
    """Add the articles in PATHS to the index (same id and content: no-op; new content: replace)."""
    errors = StderrConsole()
    with opened_index(target, create=True) as store:
        config = ScanConfig(**settings)  # type: ignore[arg-type]
        with progress_bars(errors, enabled=not quiet) as progress:
            report = add_documents(paths, store, config, progress=progress)  # type: ignore[arg-type]
    if quiet:
        return
    for item in report.skipped:
        errors.print(f"skipped {item.location}: {item.reason}", markup=False)
    for notice in report.warnings:
        errors.print(f"warning: {notice.location}: {notice.message}", markup=False)
    errors.print(
        f"Added {report.added:,} documents ({report.replaced:,} replaced, {report.unchanged:,} "
        f"unchanged, {len(report.skipped):,} skipped); {mask_target(target)} holds "
        f"{report.documents:,} documents.",
        markup=False,
    )


@index_group.command("query")
@_paths
@index_option
@scan_settings
@output_options
@jobs_option
@_quiet
def query(
    paths: tuple[Path, ...],
    target: str,
    output_format: str,
    output: Path | None,
    quiet: bool,
    **settings: object,
) -> None:
    """For each article in PATHS, its matches among the indexed articles, scored exactly.

    The output has the shape of `scan`'s: one group per new article that matches something,
    the new article first ("rep"), then the indexed articles it matches, each scored against
    it. The index is not changed.
    """
    errors = StderrConsole()
    with opened_index(target) as store:
        config = ScanConfig(**settings)  # type: ignore[arg-type]
        with progress_bars(errors, enabled=not quiet) as progress:
            result = query_documents(paths, store, config, progress=progress)  # type: ignore[arg-type]
    if not quiet:
        for line in problem_lines(result):
            errors.print(line, markup=False)
    write_output(result, output_format, output)
    if not quiet:
        s = result.summary
        errors.print(
            f"Queried {s.documents:,} documents against {result.settings['index_documents']:,} "
            f"indexed: {s.clusters:,} with matches, {s.duplicates:,} matches, "
            f"{s.skipped} skipped.",
            markup=False,
        )


@index_group.command("stats")
@index_option
@click.option(
    "-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table"
)
def stats(target: str, output_format: str) -> None:
    """Documents, parameters and size of the index."""
    with opened_index(target) as store:
        figures = index_stats(store)
    if output_format == "json":
        json.dump(figures, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    params = figures.pop("params", {})
    for name, value in {**figures, **params}.items():  # type: ignore[dict-item]
        click.echo(f"{name:<24} {value}")


@index_group.command("remove")
@click.argument("ids", nargs=-1, required=True)
@index_option
@_quiet
def remove(ids: tuple[str, ...], target: str, quiet: bool) -> None:
    """Remove the documents with these IDS from the index (unknown ids are reported)."""
    with opened_index(target) as store:
        removed = remove_documents(ids, store)
        left = store.count()
    if not quiet:
        missing = len(set(ids)) - removed
        note = f" ({missing} not in the index)" if missing else ""
        click.echo(f"Removed {removed} documents{note}; {left:,} left.", err=True)
