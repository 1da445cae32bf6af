"""Stage 8, report (terminal): a ScanResult as rich tables, plus the stderr summary lines.

Only the command-line layer imports this module; the library itself never prints.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .models import Cluster, ScanResult


def render_table(result: ScanResult, console: Console) -> None:
    """Print one table per cluster, or a line saying there are none."""
    if not result.clusters:
        console.print("No near-duplicate clusters found.")
        return
    for cluster in result.clusters:
        console.print(cluster_table(cluster))


def cluster_table(cluster: Cluster) -> Table:
    """A table of one cluster's members, scored against its representative."""
    table = Table(
        title=f"cluster {cluster.id} · {cluster.size} documents",
        title_justify="left",
        expand=False,
    )
    table.add_column("", width=3, no_wrap=True)
    table.add_column("document", overflow="fold")
    table.add_column("title", overflow="ellipsis", max_width=48, no_wrap=True)
    table.add_column("source", overflow="ellipsis", max_width=20, no_wrap=True)
    table.add_column("similarity", justify="right", no_wrap=True)
    table.add_column("containment", justify="right", no_wrap=True)
    for member in cluster.members:
        table.add_row(
            "rep" if member.is_representative else "",
            escape(member.id),
            escape(member.title),
            escape(member.source),
            f"{member.similarity:.2f}",
            f"{member.containment:.2f}",
        )
    return table


def summary_line(result: ScanResult) -> str:
    """One line for stderr: documents, clusters, duplicates, skipped."""
    s = result.summary
    return (
        f"Scanned {s.documents} documents: {s.clusters} clusters, "
        f"{s.duplicates} duplicates, {s.skipped} skipped."
    )


def problem_lines(result: ScanResult) -> list[str]:
    """One line per skipped input and per warning, naming the file (and line)."""
    lines = [f"skipped {item.location}: {item.reason}" for item in result.skipped]
    lines += [f"warning: {item.location}: {item.message}" for item in result.warnings]
    return lines
