"""The ``dupdetect`` command line: parse options, call the library, print, choose the exit code."""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from . import __version__
from .baseline import new_clusters, read_baseline
from .baseline import write_baseline as save_baseline
from .cli_common import (
    CONTEXT_SETTINGS,
    EXIT_CODES_HELP,
    ScanFailed,
    StderrConsole,
    config_option,
    jobs_option,
    open_output,
    output_options,
    progress_bars,
    scan_settings,
    write_output,
)
from .config import ScanConfig
from .errors import DupdetectError
from .evaluate import SWEEP_THRESHOLDS, evaluation_dict, read_gold, run_evaluation
from .export import write_github
from .models import ScanResult
from .pipeline import scan as run_scan
from .render import evaluation_table, problem_lines, summary_line


class _LazyGroup(click.Group):
    """A group whose subcommands in ``lazy`` (name -> "module:attribute") are imported when
    asked for: a scan does not import `diff`'s and `index`'s modules (and the stores, rich
    views and rapidfuzz they import), ~75 ms of a scan's start-up."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        command: click.Command = getattr(importlib.import_module(module, __package__), attribute)
        return command


@click.group(
    cls=_LazyGroup,
    context_settings=CONTEXT_SETTINGS,
    lazy={
        # `dupdetect diff` and the output of `scan --explain` / `--passages` (issue 7).
        "diff": ".cli_diff:diff",
        # `dupdetect index add|query|stats|remove` (issue 5, persistent index).
        "index": ".cli_index:index_group",
    },
)
@click.version_option(__version__, prog_name="dupdetect")
def cli() -> None:
    """Find near-duplicate news articles: wire copies, republished stories, teasers."""


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    is_eager=True,
    type=click.Path(exists=True, path_type=Path, allow_dash=True),
)
@config_option
@scan_settings
@output_options
@click.option(
    "--check", is_flag=True, help="Exit 1 when near-duplicate clusters are found (for CI)."
)
@click.option(
    "--index",
    help="A persistent index (FILE.sqlite or redis://host:port/db): cluster the new articles "
    "together with the indexed ones; only clusters with a new article are reported.",
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Clusters already accepted (from --write-baseline): only others count as new.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write this run's clusters as a baseline file.",
)
@click.option("--explain", is_flag=True, help="Say how members differ from the representative.")
@click.option("--passages", is_flag=True, help="Report reused passages instead of clusters.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no summary; errors only.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@jobs_option
def scan(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    check: bool,
    index: str | None,
    baseline: Path | None,
    write_baseline: Path | None,
    explain: bool,
    passages: bool,
    quiet: bool,
    no_progress: bool,
    **settings: object,
) -> None:
    """Cluster the near-duplicate articles in PATHS (directories or files).

    Directories are read recursively. Plain text (.txt, .md: first non-empty line = title),
    JSON Lines, JSON arrays and CSV (fields "id", "text", "title", "source", "url", "date",
    or see --text-field ...), HTML pages, RSS/Atom feeds and WARC crawls, also compressed
    (.gz, .bz2, .xz, .zst); "-" reads JSON Lines from standard input.

    \b
    Scores, always computed exactly on the articles' word shingles:
      similarity   Jaccard: shared shingles / all distinct shingles of the two (symmetric)
      containment  share of the shorter article found in the longer one; a teaser or a
                   trimmed copy scores high here even when its similarity is low

    \b
    An article joins a cluster when its similarity to the cluster's anchor (the article
    most others match, usually the fullest version) reaches --threshold, or when the
    containment of the shorter of the two in the longer reaches --containment. Containment
    is asymmetric: JSON and CSV give both directions (contained_in_representative,
    representative_contained). The representative shown first is the earliest-dated
    article, else the longest; every score is against it.
    """
    errors = StderrConsole()
    try:
        config = ScanConfig(**settings)  # type: ignore[arg-type]
        accepted = read_baseline(baseline) if baseline else None
        with progress_bars(errors, enabled=not (quiet or no_progress)) as progress:
            result = _run_scan(paths, config, progress, index)
        if write_baseline:
            save_baseline(result, write_baseline)
    except (DupdetectError, ValueError) as exc:
        raise ScanFailed(str(exc)) from exc
    fresh = new_clusters(result.clusters, accepted)
    if not quiet:
        for line in problem_lines(result):
            errors.print(line, markup=False)
    if output_format == "github":
        with open_output(output) as out:
            write_github(replace(result, clusters=tuple(fresh)), out, str(_scan_root(paths)))
    elif explain or passages:
        from .cli_diff import write_explained

        with open_output(output) as out:
            write_explained(result, paths, config, output_format, out, passages=passages)
    else:
        write_output(result, output_format, output)
    if not quiet:
        new = f" {len(fresh)} new (not in the baseline)." if accepted is not None else ""
        errors.print(summary_line(result) + new, markup=False)
    click.get_current_context().exit(1 if check and fresh else 0)


def _run_scan(
    paths: tuple[Path, ...], config: ScanConfig, progress: object, index: str | None
) -> ScanResult:
    if not index:
        return run_scan(paths, config, progress=progress)  # type: ignore[arg-type]
    from .cli_index import opened_index  # cli_index imports this module

    with opened_index(index) as store:
        return run_scan(paths, config, progress=progress, index=store)  # type: ignore[arg-type]


def _scan_root(paths: tuple[Path, ...]) -> Path:
    """The folder document paths are relative to, as the user typed it (for annotations)."""
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0]
    try:
        return Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
    except ValueError:  # absolute and relative paths mixed
        return Path(".")


@cli.command(
    epilog=EXIT_CODES_HELP.replace(
        "  1  --check was given and near-duplicate clusters were found\n", ""
    )
)
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path, allow_dash=False)
)
@click.option(
    "--gold",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Gold clusters, JSON Lines: {"cluster": name, "ids": [...]} per line.',
)
@click.option("--sweep", is_flag=True, help="Score a range of --threshold values; mark the best.")
@click.option(
    "-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table"
)
@scan_settings
def evaluate(
    paths: tuple[Path, ...], gold: Path, sweep: bool, output_format: str, **settings: object
) -> None:
    """Score a scan of PATHS against gold clusters: pairwise precision, recall, F1 and ARI.

    Documents not listed in GOLD are singletons. Pairs are unordered document pairs placed
    in one cluster; ARI (Adjusted Rand Index) compares the two partitions of all documents.
    """
    try:
        base = ScanConfig(**settings)  # type: ignore[arg-type]
        runs = run_evaluation(paths, read_gold(gold), base, SWEEP_THRESHOLDS if sweep else ())
    except (DupdetectError, ValueError) as exc:
        raise ScanFailed(str(exc)) from exc
    if output_format == "json":
        json.dump(evaluation_dict(runs), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from rich.console import Console

        Console(highlight=False).print(evaluation_table(runs))
