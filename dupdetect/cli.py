"""The ``dupdetect`` command line: parse options, call the library, print, choose the exit code."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from . import __version__
from .baseline import new_clusters, read_baseline
from .baseline import write_baseline as save_baseline
from .config import ScanConfig
from .configfile import find_pyproject, read_settings
from .errors import ConfigError, DupdetectError
from .evaluate import SWEEP_THRESHOLDS, evaluation_dict, read_gold, run_evaluation
from .export import WRITERS, write_github
from .models import ScanResult
from .pipeline import scan as run_scan
from .render import evaluation_table, problem_lines, render_table, summary_line

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMATS = ("table", "json", "jsonl", "csv", "github")

EXIT_CODES_HELP = """\b
Exit codes:
  0  the scan ran (duplicates or not, unless --check)
  1  --check was given and near-duplicate clusters were found (with --baseline: new ones)
  2  usage error, bad config, missing path, or no readable article at all
"""


class ScanFailed(click.ClickException):
    """A library error shown as a one-line message; exit code 2, never 1 (1 means duplicates)."""

    exit_code = 2


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="dupdetect")
def cli() -> None:
    """Find near-duplicate news articles: wire copies, republished stories, teasers."""


def scan_settings(command: Callable[..., None]) -> Callable[..., None]:
    """The options that become ScanConfig fields, shared by every command that scans."""
    for option in reversed(_SCAN_OPTIONS):
        command = option(command)
    return command


_SCAN_OPTIONS = [
    click.option(
        "--threshold",
        type=click.FloatRange(0, 1),
        default=ScanConfig.threshold,
        show_default=True,
        help="Minimum exact Jaccard similarity of two articles' word shingles.",
    ),
    click.option(
        "--containment",
        type=click.FloatRange(0, 1.1),
        default=ScanConfig.containment,
        show_default=True,
        help="Minimum share of the shorter article's shingles found in the longer one "
        "(teasers, trimmed or wrapped copies). 1.1 turns it off.",
    ),
    click.option(
        "--shingle-size",
        type=click.IntRange(1, 8),
        default=ScanConfig.shingle_size,
        show_default=True,
        help="Words per shingle.",
    ),
    click.option(
        "--num-perm",
        type=click.IntRange(4, 1024),
        default=ScanConfig.num_perm,
        show_default=True,
        help="MinHash permutations.",
    ),
    click.option(
        "--seed",
        type=int,
        default=ScanConfig.seed,
        show_default=True,
        help="MinHash permutation seed.",
    ),
    click.option(
        "--lsh-threshold",
        type=click.FloatRange(0.01, 1),
        default=None,
        help="Jaccard level the LSH bands are tuned for [default: 0.8 x threshold].",
    ),
    click.option(
        "--boilerplate-min-docs",
        type=click.IntRange(0),
        default=ScanConfig.boilerplate_min_docs,
        show_default=True,
        help="Shingles found in this many articles of one source are site boilerplate "
        "and do not count (0 = off).",
    ),
    click.option(
        "--strip-wire/--keep-wire",
        default=True,
        show_default=True,
        help="Remove agency datelines, credit lines and footers before comparing.",
    ),
    click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links while walking."),
    click.option(
        "--max-file-size",
        type=click.IntRange(1),
        default=ScanConfig.max_file_size,
        show_default=True,
        help="Skip files larger than this many bytes.",
    ),
    *(
        click.option(
            f"--{field}-field",
            type=str,
            default=None,
            help=f"Record field (JSON, JSON Lines, CSV; dotted for nested) holding the {field} "
            f"[default: {hint}].",
        )
        for field, hint in (
            ("id", "id, guid"),
            ("text", "text, content, body, article, full_text"),
            ("title", "title, headline"),
            ("source", "source, site, publisher"),
            ("date", "date, published, publishedAt"),
        )
    ),
]


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Eager callback: settings from --config or pyproject.toml become the option defaults."""
    path = value or find_pyproject(ctx.params.get("paths") or ())
    if path is None:
        return value
    known = {
        opt[2:].replace("-", "_"): param.name
        for param in ctx.command.params
        for opt in param.opts
        if opt.startswith("--") and param.name not in ("paths", "config")
    }
    try:
        settings = read_settings(
            path, known, section=value is None or path.name == "pyproject.toml"
        )
    except ConfigError as exc:
        raise ScanFailed(str(exc)) from exc
    ctx.default_map = {**(ctx.default_map or {}), **settings}
    return path


config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    is_eager=True,
    expose_value=False,
    callback=_load_config,
    help="TOML file of settings [default: [tool.dupdetect] of the nearest pyproject.toml]. "
    "Options given on the command line win.",
)


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
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the output to this file instead of stdout.",
)
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
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    default=os.cpu_count() or 1,
    show_default="number of CPUs",
    help="Worker processes reading and shingling files (1 = none; results are identical).",
)
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

    Reads .txt and .md files (first non-empty line = title) and .jsonl files (one article per
    line: "id", "text", optional "title", "source", "url", "date"), directories recursively.

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
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        config = ScanConfig(**settings)  # type: ignore[arg-type]
        accepted = read_baseline(baseline) if baseline else None
        with _progress(errors, enabled=not (quiet or no_progress)) as progress:
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
        with _open_output(output) as out:
            write_github(replace(result, clusters=tuple(fresh)), out, str(_scan_root(paths)))
    elif explain or passages:
        with _open_output(output) as out:
            write_explained(result, paths, config, output_format, out, passages=passages)
    else:
        _write_output(result, output_format, output)
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


def _write_output(result: ScanResult, output_format: str, output: Path | None) -> None:
    with _open_output(output) as out:
        if output_format == "table":
            render_table(result, Console(file=out, highlight=False, soft_wrap=False))
        else:
            WRITERS[output_format](result, out)


@contextlib.contextmanager
def _open_output(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as out:
            yield out
    except OSError as exc:
        raise ScanFailed(f"cannot write {output}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _progress(console: Console, enabled: bool) -> Iterator[object]:
    """A progress callback drawing rich bars on stderr; a no-op when off or not a terminal."""
    if not enabled or not console.is_terminal:
        yield None
        return
    bars = Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield update


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
        Console(highlight=False).print(evaluation_table(runs))


# `dupdetect diff` and the output of `scan --explain` / `--passages` (issue 7): cli_diff.py.
from .cli_diff import diff, write_explained  # noqa: E402

cli.add_command(diff)

# `dupdetect index add|query|stats|remove` (issue 5, persistent index) live in cli_index.py.
from .cli_index import index_group  # noqa: E402

cli.add_command(index_group)
