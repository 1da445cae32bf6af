"""Stage 8, report (terminal): a ScanResult as rich tables, plus the stderr summary lines.

Only the command-line layer imports this module; the library itself never prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .evaluate import EvaluationRun
from .models import Cluster, ScanResult

if TYPE_CHECKING:  # rich is imported when a table is made (see cli_common.StderrConsole)
    from rich.console import Console
    from rich.table import Table


def render_table(result: ScanResult, console: Console) -> None:
    """Print one table per cluster, or a line saying there are none."""
    if not result.clusters:
        console.print("No near-duplicate clusters found.")
        return
    for cluster in result.clusters:
        console.print(cluster_table(cluster, console.width))


def cluster_table(cluster: Cluster, width: int = 100) -> Table:
    """A table of one cluster's members, scored against its representative.

    Ids fold over lines when long; source and title are cut with an ellipsis to fit ``width``.
    """
    from rich.markup import escape
    from rich.table import Table

    title = f"cluster {cluster.id} · {cluster.size} documents"
    if cluster.wire:
        title += f" · wire: {cluster.wire}"
    table = Table(title=title, title_justify="left")
    longest_id = max(len(m.id) for m in cluster.members)
    source_width = min(max(len(m.source) for m in cluster.members), 16)
    columns = 6 if source_width else 5
    # Role (3), similarity (10), containment (11), and 3 characters of rule and padding a column.
    free = width - 3 - 10 - 11 - 3 * columns - 1 - source_width
    id_width = min(longest_id, max(20, free * 2 // 3))
    title_width = free - id_width
    table.add_column("", no_wrap=True, width=3)
    table.add_column("document", overflow="fold", width=id_width)
    table.add_column("similarity", justify="right", no_wrap=True, width=10)
    table.add_column("containment", justify="right", no_wrap=True, width=11)
    if source_width:
        table.add_column("source", overflow="ellipsis", no_wrap=True, width=source_width)
    table.add_column("title", overflow="ellipsis", no_wrap=True, width=max(title_width, 6))
    for member in cluster.members:
        cells = [
            "rep" if member.is_representative else "",
            escape(member.id),
            f"{member.similarity:.2f}",
            f"{member.containment:.2f}",
        ]
        if source_width:
            cells.append(escape(member.source))
        table.add_row(*cells, escape(member.title))
    return table


def summary_line(result: ScanResult) -> str:
    """One line for stderr: documents, clusters, duplicates, skipped."""
    s = result.summary
    return (
        f"Scanned {_count(s.documents, 'document')}: {_count(s.clusters, 'cluster')}, "
        f"{_count(s.duplicates, 'duplicate')}, {s.skipped} skipped."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def problem_lines(result: ScanResult) -> list[str]:
    """One line per skipped input and per warning, naming the file (and line)."""
    lines = [f"skipped {item.location}: {item.reason}" for item in result.skipped]
    lines += [f"warning: {item.location}: {item.message}" for item in result.warnings]
    return lines


def evaluation_table(runs: list[EvaluationRun]) -> Table:
    """Scores of one or more evaluation runs; the best of a sweep is marked."""
    from rich.table import Table

    title = f"agreement with gold clusters (containment {runs[0].containment:.2f})"
    table = Table(title=title, title_justify="left")
    for name in ("threshold", "precision", "recall", "F1", "ARI", "wrong", "missed"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, min_width=6)
    for run in runs:
        s = run.scores
        table.add_row(
            f"{run.threshold:.2f}",
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
            f"{s.ari:.3f}",
            str(s.wrong_pairs),
            str(s.missed_pairs),
            "◀ best" if run.best else "",
        )
    return table
