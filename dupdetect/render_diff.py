"""Terminal views of issue 7 (rich): ``diff``, ``scan --explain`` and ``scan --passages``.

Only the command-line layer imports this module; the library itself never prints.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .diff import DiffOp, DiffResult
from .explain import Explanations
from .models import Cluster, ScanResult
from .passages import Reuse

DELETED = "red strike"
INSERTED = "green"
COLLAPSED = "dim italic"
#: A shared run with more than this many non-blank full lines is collapsed.
MAX_SHARED_LINES = 3


def diff_view(
    result: DiffResult, labels: tuple[str, str], titles: tuple[str, str], markers: bool = False
) -> RenderableType:
    """Scores on top, then the aligned text of A turned into B.

    With ``markers`` (no colour), deletions are written ``[-…-]`` and insertions ``{+…+}``.
    """
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    header.add_row("A", escape(labels[0]))
    header.add_row("B", escape(labels[1]))
    if titles[0] != titles[1]:
        header.add_row("headline A", escape(titles[0]))
        header.add_row("headline B", escape(titles[1]))
    s = result.scores
    header.add_row(
        "scores",
        f"jaccard {s.jaccard:.2f} · containment A in B {s.containment_a_in_b:.2f}, "
        f"B in A {s.containment_b_in_a:.2f} · ratio {s.ratio:.2f}",
    )
    return Group(header, Text(""), diff_text(result.ops, markers))


def diff_text(ops: list[DiffOp], markers: bool = False) -> Text:
    """A's text with B's changes inline: deletions struck out in red, insertions in green."""
    text = Text()
    for op in ops:
        if op.op == "equal":
            _append_shared(text, op.a_text)
            continue
        if op.a_text:
            _append_change(text, op.a_text, DELETED, ("[-", "-]") if markers else None)
        if op.a_text and op.b_text and not (op.a_text[-1].isspace() or op.b_text[0].isspace()):
            text.append(" ")
        if op.b_text:
            _append_change(text, op.b_text, INSERTED, ("{+", "+}") if markers else None)
    return text


def _append_change(text: Text, piece: str, style: str, marks: tuple[str, str] | None) -> None:
    """A changed piece; its leading and trailing whitespace is shown but not styled."""
    core = piece.strip()
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :] if core else ""
    text.append(lead)
    if core:
        text.append(f"{marks[0]}{core}{marks[1]}" if marks else core, style=style)
    text.append(trail)


def _append_shared(text: Text, piece: str) -> None:
    """Shared text; a long run keeps its first and last lines around a count of the rest."""
    lines = piece.split("\n")
    full = [i for i in range(1, len(lines) - 1) if lines[i].strip()]
    if len(full) <= MAX_SHARED_LINES:
        text.append(piece)
        return
    first, last = full[0], full[-1]
    hidden = len(full) - 2
    text.append("\n".join(lines[: first + 1]) + "\n\n")
    text.append(f"… {hidden} shared lines …", style=COLLAPSED)
    text.append("\n\n" + "\n".join(lines[last:]))


def render_explained(result: ScanResult, explanations: Explanations, console: Console) -> None:
    """``scan --explain`` as tables: one per cluster, with an explanation column."""
    if not result.clusters:
        console.print("No near-duplicate clusters found.")
        return
    for cluster in result.clusters:
        console.print(explained_table(cluster, explanations.get(cluster.id, {}), console.width))


def explained_table(cluster: Cluster, explanations: dict[str, str], width: int = 100) -> Table:
    """Members with their scores against the representative and how they differ from it."""
    title = f"cluster {cluster.id} · {cluster.size} documents"
    if cluster.wire:
        title += f" · wire: {cluster.wire}"
    table = Table(title=title, title_justify="left")
    free = width - 3 - 10 - 11 - 3 * 5 - 1
    id_width = min(max(len(m.id) for m in cluster.members), max(20, free // 2))
    table.add_column("", no_wrap=True, width=3)
    table.add_column("document", overflow="fold", width=id_width)
    table.add_column("similarity", justify="right", no_wrap=True, width=10)
    table.add_column("containment", justify="right", no_wrap=True, width=11)
    table.add_column("differences from rep", overflow="fold", width=max(free - id_width, 12))
    for member in cluster.members:
        table.add_row(
            "rep" if member.is_representative else "",
            escape(member.id),
            f"{member.similarity:.2f}",
            f"{member.containment:.2f}",
            escape(explanations.get(member.id, "")),
        )
    return table


def render_passages(reuse: list[Reuse], console: Console) -> None:
    """``scan --passages`` as one table: a row per reused block (lines 1-based, inclusive)."""
    if not reuse:
        console.print("No reused passages found.")
        return
    table = Table(title=f"{len(reuse)} reused passages", title_justify="left")
    table.add_column("document", overflow="fold", ratio=1)
    table.add_column("lines", justify="right", no_wrap=True)
    table.add_column("found again in", overflow="fold", ratio=1)
    table.add_column("lines", justify="right", no_wrap=True)
    table.add_column("similarity", justify="right", no_wrap=True)
    for r in reuse:
        other = "(same document)" if r.other_doc_id == r.doc_id else escape(r.other_doc_id)
        table.add_row(
            escape(r.doc_id),
            f"{r.start_line}–{r.end_line}",
            other,
            f"{r.other_start_line}–{r.other_end_line}",
            f"{r.similarity:.2f}",
        )
    console.print(table)
