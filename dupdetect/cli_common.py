"""Pieces shared by the click commands: option bundles, --config, output and progress."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from .config import ScanConfig
from .configfile import find_pyproject, read_settings
from .errors import ConfigError
from .export import WRITERS
from .models import ScanResult
from .render import render_table

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import ProgressColumn

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


jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    default=os.cpu_count() or 1,
    show_default="number of CPUs",
    help="Worker processes reading and shingling files (1 = none; results are identical).",
)


def output_options(command: Callable[..., None]) -> Callable[..., None]:
    """``-f/--format`` and ``-o/--output``, shared by the commands that print clusters."""
    command = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Write the output to this file instead of stdout.",
    )(command)
    return click.option(
        "-f",
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(command)


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


def write_output(result: ScanResult, output_format: str, output: Path | None) -> None:
    with open_output(output) as out:
        if output_format == "table":
            from rich.console import Console

            render_table(result, Console(file=out, highlight=False, soft_wrap=False))
        else:
            WRITERS[output_format](result, out)


@contextlib.contextmanager
def open_output(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as out:
            yield out
    except OSError as exc:
        raise ScanFailed(f"cannot write {output}: {exc.strerror or exc}") from exc


class StderrConsole:
    """rich's Console on stderr for messages and progress, made at its first use: importing
    rich takes ~50 ms of a command's start-up (a tenth of a small scan's time), and a quiet
    scan writing CSV or JSON prints nothing."""

    def __init__(self) -> None:
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        self.console.print(*objects, **options)


def _rate_column() -> ProgressColumn:
    """A progress column: items per second of a task (blank until rich has measured a speed)."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

    return RateColumn()


@contextlib.contextmanager
def progress_bars(errors: StderrConsole, enabled: bool) -> Iterator[object]:
    """A progress callback drawing rich bars on stderr; a no-op when off or not a terminal."""
    if not enabled or not errors.console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bars = Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        _rate_column(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors.console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield update
