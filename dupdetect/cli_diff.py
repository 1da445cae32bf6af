"""Command-line layer of issue 7: ``dupdetect diff``, ``scan --explain`` and ``scan --passages``.

Registered on the ``dupdetect`` group at the end of ``cli.py``; this module does not import
``cli`` (so either can be imported first).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import click
from rich.console import Console

from .config import ScanConfig
from .diff import diff_documents
from .explain import explain_result
from .explain import write_explained as write_explained_data
from .load import InputFile, read_file
from .models import Document, ScanResult, Skipped
from .passages import passage_reuse, write_passages
from .render_diff import diff_view, render_explained, render_passages

DIFF_EPILOG = """\b
Examples:
  dupdetect diff wire.txt copy.txt
  dupdetect diff feed.jsonl:mf-0001 feed.jsonl:mf-0004     (FILE:ID)
  dupdetect diff feed.jsonl feed.jsonl --id-a mf-0001 --id-b 5
  dupdetect diff a.txt b.txt --format json | jq .scores

\b
Exit codes:
  0  the diff was shown
  2  usage error, unreadable file, or no article with the given id
"""


class DiffFailed(click.ClickException):
    """A one-line error; exit code 2."""

    exit_code = 2


@click.command(epilog=DIFF_EPILOG)
@click.argument("a")
@click.argument("b")
@click.option("--id-a", help="Id (or line number) of article A inside a JSON Lines file.")
@click.option("--id-b", help="Id (or line number) of article B inside a JSON Lines file.")
@click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--shingle-size",
    type=click.IntRange(1, 8),
    default=ScanConfig.shingle_size,
    show_default=True,
    help="Words per shingle for the scores.",
)
@click.option(
    "--strip-wire/--keep-wire",
    default=True,
    show_default=True,
    help="Remove agency datelines and footers before scoring (the diff always shows them).",
)
def diff(
    a: str,
    b: str,
    id_a: str | None,
    id_b: str | None,
    output_format: str,
    shingle_size: int,
    strip_wire: bool,
) -> None:
    """Show what articles A and B share and where they differ, with their scores.

    A and B are .txt/.md files, or articles inside a .jsonl file given as FILE:ID (or FILE
    with --id-a/--id-b). ID is the record's "id", or its 1-based line number. Scores are
    computed exactly as `scan` does (jaccard, containment both ways) plus rapidfuzz's ratio
    of the normalized words. Offsets in the JSON ops are character positions in each
    article's text (for .txt/.md files: the text after the headline line).
    """
    doc_a, doc_b = load_article(a, id_a), load_article(b, id_b)
    result = diff_documents(doc_a.text, doc_b.text, shingle_size, strip_wire)
    if output_format == "json":
        data = {
            "a": {"id": doc_a.id, "path": _shown_path(a, id_a), "title": doc_a.title},
            "b": {"id": doc_b.id, "path": _shown_path(b, id_b), "title": doc_b.title},
            "scores": result.scores.as_dict(),
            "ops": [op.as_dict() for op in result.ops],
        }
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    console = Console(highlight=False)
    labels = (_label(doc_a, a, id_a), _label(doc_b, b, id_b))
    view = diff_view(result, labels, (doc_a.title, doc_b.title), markers=not console.color_system)
    console.print(view)


def split_spec(spec: str, doc_id: str | None) -> tuple[Path, str | None]:
    """``FILE`` or ``FILE:ID`` (the first split whose left part is an existing file)."""
    if doc_id is not None or Path(spec).exists():
        return Path(spec), doc_id
    for index, char in enumerate(spec):
        if char == ":" and Path(spec[:index]).is_file():
            return Path(spec[:index]), spec[index + 1 :]
    return Path(spec), None


def load_article(spec: str, doc_id: str | None) -> Document:
    """The article named by ``spec`` (and ``doc_id``); DiffFailed when there is none."""
    path, doc_id = split_spec(spec, doc_id)
    items = list(read_file(InputFile(path, path.name), max_file_size=ScanConfig.max_file_size))
    docs = [item for item in items if isinstance(item, Document)]
    if doc_id is not None:
        return _find(docs, doc_id, path)
    if len(docs) == 1:
        return docs[0]
    if not docs:
        raise DiffFailed(_unreadable(path, items))
    raise DiffFailed(
        f"{path} holds {len(docs)} articles; name one as {path}:ID or with --id-a/--id-b"
    )


def _find(docs: list[Document], doc_id: str, path: Path) -> Document:
    for doc in docs:
        if doc.id == doc_id:
            return doc
    if doc_id.isdigit():
        for doc in docs:
            if doc.line == int(doc_id):
                return doc
    raise DiffFailed(f"no article with id {doc_id!r} in {path}")


def _unreadable(path: Path, items: Iterable[object]) -> str:
    reasons = [item.reason for item in items if isinstance(item, Skipped)]
    return f"{path}: {reasons[0] if reasons else 'no article found'}"


def _shown_path(spec: str, doc_id: str | None) -> str:
    return str(split_spec(spec, doc_id)[0])


def _label(doc: Document, spec: str, doc_id: str | None) -> str:
    path = _shown_path(spec, doc_id)
    return path if doc.id == Path(path).name else f"{doc.id} ({path})"


def write_explained(
    result: ScanResult,
    paths: Iterable[str | os.PathLike[str]],
    config: ScanConfig,
    output_format: str,
    out: IO[str],
    passages: bool = False,
) -> None:
    """``scan --explain`` (re-read the members, explain) or ``scan --passages`` output."""
    console = Console(file=out, highlight=False, soft_wrap=False)
    if passages:
        reuse = passage_reuse(paths, config)
        if output_format == "table":
            render_passages(reuse, console)
        else:
            write_passages(reuse, output_format, out)
        return
    explanations = explain_result(result, paths, config)
    if output_format == "table":
        render_explained(result, explanations, console)
    else:
        write_explained_data(result, explanations, output_format, out)
