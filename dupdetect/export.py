"""Stage 8, report (machine formats): a ScanResult as JSON, JSON Lines or CSV.

Every format is built from the same dict form of the result, in the result's order (clusters
by size then representative id, representative first), so outputs are byte-stable.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any

from .models import Cluster, Member, ScanResult

FORMAT_VERSION = 1

CSV_COLUMNS = (
    "cluster_id",
    "cluster_size",
    "doc_id",
    "path",
    "title",
    "source",
    "url",
    "date",
    "wire",
    "similarity",
    "containment",
    "contained_in_representative",
    "representative_contained",
    "is_representative",
    "boilerplate",
)


def member_dict(member: Member) -> dict[str, Any]:
    """One cluster member as a JSON-ready dict."""
    return {
        "id": member.id,
        "path": member.path,
        "title": member.title,
        "source": member.source,
        "url": member.url,
        "date": member.date,
        "wire": member.wire,
        "similarity": member.similarity,
        "containment": member.containment,
        "contained_in_representative": member.contained_in_representative,
        "representative_contained": member.representative_contained,
        "is_representative": member.is_representative,
        "boilerplate": member.boilerplate,
    }


def cluster_dict(cluster: Cluster) -> dict[str, Any]:
    """One cluster as a JSON-ready dict."""
    return {
        "id": cluster.id,
        "size": cluster.size,
        "representative": cluster.representative,
        "wire": cluster.wire,
        "documents": [member_dict(m) for m in cluster.members],
    }


def result_dict(result: ScanResult) -> dict[str, Any]:
    """The whole result as a JSON-ready dict (the ``--format json`` document)."""
    summary = result.summary
    return {
        "version": FORMAT_VERSION,
        "summary": {
            "documents": summary.documents,
            "clusters": summary.clusters,
            "duplicates": summary.duplicates,
            "skipped": summary.skipped,
            "candidate_pairs": summary.candidate_pairs,
            "verified_pairs": summary.verified_pairs,
        },
        "clusters": [cluster_dict(c) for c in result.clusters],
        "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in result.skipped],
        "warnings": [
            {"path": n.path, "line": n.line, "message": n.message} for n in result.warnings
        ],
        "settings": result.settings,
    }


def write_json(result: ScanResult, out: IO[str]) -> None:
    """Write the result as one indented JSON document."""
    json.dump(result_dict(result), out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_jsonl(result: ScanResult, out: IO[str]) -> None:
    """Write one JSON object per cluster per line."""
    for cluster in result.clusters:
        out.write(json.dumps(cluster_dict(cluster), ensure_ascii=False) + "\n")


def write_csv(result: ScanResult, out: IO[str]) -> None:
    """Write one CSV row per cluster member, with a header row."""
    line_of = CsvLines()
    out.write(line_of(list(CSV_COLUMNS)))
    for cluster in result.clusters:
        size = cluster.size
        out.write(
            "".join([_csv_line(cluster.id, size, member, line_of) for member in cluster.members])
        )


def _csv_line(cluster_id: str, cluster_size: int, member: Member, line_of: CsvLines) -> str:
    """``line_of(csv_row(...))`` in one f-string when no cell needs quoting and the scores
    are floats (nearly every row: ~2 us instead of ~5)."""
    m = member
    text = f"{cluster_id},{cluster_size},{m.id},{m.path},{m.title},{m.source},{m.url},{m.date}"
    text = f"{text},{m.wire}"
    if (
        text.count(",") == 8
        and '"' not in text
        and "\n" not in text
        and "\r" not in text
        and type(m.similarity) is float
        and type(m.containment) is float
        and type(m.contained_in_representative) is float
        and type(m.representative_contained) is float
        and type(m.boilerplate) is float
        and type(m.is_representative) is bool
    ):
        flag = "true" if m.is_representative else "false"
        return (
            f"{text},{m.similarity:.4f},{m.containment:.4f},{m.contained_in_representative:.4f},"
            f"{m.representative_contained:.4f},{flag},{m.boilerplate:.4f}\n"
        )
    return line_of(csv_row(cluster_id, cluster_size, member))


class CsvLines:
    """The line ``csv.writer`` (``lineterminator="\\n"``) writes for a row of strings.

    A row without a comma, quote or line break in any cell, nearly every row, is its cells
    joined by commas: ``csv.writer`` spent 3 us on each row of 160 characters, the join
    and its checks take under 1 us. Any other row is formatted by ``csv.writer`` itself.
    """

    def __init__(self) -> None:
        self._line = ""
        self._writer = csv.writer(self, lineterminator="\n")

    def __call__(self, cells: list[str]) -> str:
        line = ",".join(cells)
        plain = line.count(",") == len(cells) - 1 and '"' not in line
        if plain and "\n" not in line and "\r" not in line and len(cells) > 1:
            return line + "\n"
        self._writer.writerow(cells)
        return self._line

    def write(self, line: str) -> None:
        """What ``csv.writer`` calls with each formatted line."""
        self._line = line


def csv_row(cluster_id: str, cluster_size: int, member: Member) -> list[str]:
    """One member's CSV cells, in ``CSV_COLUMNS`` order: the values of ``member_dict`` with
    floats to four decimals and ``is_representative`` as ``true``/``false``."""
    values = (
        cluster_id,
        cluster_size,
        member.id,
        member.path,
        member.title,
        member.source,
        member.url,
        member.date,
        member.wire,
        member.similarity,
        member.containment,
        member.contained_in_representative,
        member.representative_contained,
        str(member.is_representative).lower(),
        member.boilerplate,
    )
    return [
        value
        if value.__class__ is str  # most cells: str() would return them as they are
        else f"{value:.4f}"
        if isinstance(value, float)
        else str(value)
        for value in values
    ]


def write_github(result: ScanResult, out: IO[str], root: str = "") -> None:
    """One GitHub Actions ``::warning`` annotation per cluster, on its representative's file.

    ``root`` is prefixed to document paths so annotations point at files in the repository.
    """
    for cluster in result.clusters:
        rep = cluster.members[0]
        others = ", ".join(
            f"{m.id} (similarity {m.similarity:.2f}, containment {m.containment:.2f})"
            for m in cluster.members[1:]
        )
        message = f"{cluster.size} near-duplicate articles: {rep.id} (representative), {others}"
        file = f"{root.rstrip('/')}/{rep.path}" if root else rep.path
        title = f"near-duplicate cluster {cluster.id}"
        out.write(
            f"::warning file={_escape_property(file)},title={_escape_property(title)}"
            f"::{_escape_data(message)}\n"
        )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


WRITERS = {"json": write_json, "jsonl": write_jsonl, "csv": write_csv, "github": write_github}
