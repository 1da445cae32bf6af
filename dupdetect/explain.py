"""Cluster review: a one-line summary of how a cluster member differs from its representative.

``explain(rep_text, member_text, rep_title, member_title)`` names the wire furniture added or
removed (``+dateline (AP)``, ``−footer``), whole paragraphs dropped or added, the number of words
changed in the rest, and a changed headline. ``explain_result`` does it for every member of a
scan's clusters: the scan keeps no texts, so it walks the same inputs again (to get the same
ids) and re-reads only the files that hold cluster members.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import IO

from .config import ScanConfig
from .diff import Alignment, Token, align
from .export import cluster_dict, result_dict, write_csv
from .formats import ReadOptions
from .load import InputFile, iter_input_files, read_file
from .models import Document, ScanResult
from .normalize import words
from .wire import Furniture, find_furniture, strip_wire

#: A paragraph keeping less than this share of its words in the other text counts as dropped.
PARAGRAPH_KEPT = 0.2
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

#: cluster id -> member id -> explanation ("" for the representative)
Explanations = dict[str, dict[str, str]]


def explain(rep_text: str, member_text: str, rep_title: str = "", member_title: str = "") -> str:
    """How ``member_text`` differs from ``rep_text``, in one line.

    >>> rep = "The board voted.\\n\\nIt was close.\\n\\nA third paragraph ends here."
    >>> explain(rep, "SALEM (AP) — The board voted.\\n\\nIt was very close.", "Vote", "Vote!")
    '+dateline (AP), −1 paragraph, 1 word changed'
    """
    parts = _furniture_changes(find_furniture(rep_text), find_furniture(member_text))
    parts += body_changes(strip_wire(rep_text).text, strip_wire(member_text).text)
    if words(rep_title) != words(member_title):
        parts.append("headline changed")
    if parts:
        return ", ".join(parts)
    return "same text" if rep_text == member_text else "same words (spacing or punctuation differ)"


def _furniture_changes(rep: Furniture, member: Furniture) -> list[str]:
    parts = []
    dateline_agency = member.dateline_agency or rep.dateline_agency
    for name, ours, theirs, agency in (
        ("dateline", rep.datelines, member.datelines, dateline_agency),
        ("footer", rep.footers, member.footers, ""),
    ):
        label = f"{name} ({agency})" if agency else name
        if theirs and not ours:
            parts.append(f"+{label}")
        elif ours and not theirs:
            parts.append(f"−{label}")
        elif _words_of(ours) != _words_of(theirs):
            parts.append(f"{name} changed")
    return parts


def _words_of(lines: Iterable[str]) -> list[str]:
    return [w for line in lines for w in words(line)]


def body_changes(rep_body: str, member_body: str) -> list[str]:
    """Paragraphs dropped and added, and words changed elsewhere, e.g. ``−2 paragraphs``."""
    alignment = align(rep_body, member_body)
    kept_a, kept_b = _kept_tokens(alignment)
    dropped = _unkept_paragraphs(rep_body, alignment.tokens_a, kept_a)
    added = _unkept_paragraphs(member_body, alignment.tokens_b, kept_b)
    changed = 0
    for tag, i1, i2, j1, j2 in alignment.opcodes:
        if tag != "equal":
            in_a = sum(1 for i in range(i1, i2) if i not in dropped.tokens)
            in_b = sum(1 for j in range(j1, j2) if j not in added.tokens)
            changed += max(in_a, in_b)
    parts = []
    if dropped.count:
        parts.append(f"−{_plural(dropped.count, 'paragraph')}")
    if added.count:
        parts.append(f"+{_plural(added.count, 'paragraph')}")
    if changed:
        parts.append(f"{_plural(changed, 'word')} changed")
    return parts


def _kept_tokens(alignment: Alignment) -> tuple[set[int], set[int]]:
    kept_a: set[int] = set()
    kept_b: set[int] = set()
    for tag, i1, i2, j1, j2 in alignment.opcodes:
        if tag == "equal":
            kept_a.update(range(i1, i2))
            kept_b.update(range(j1, j2))
    return kept_a, kept_b


class _Unkept:
    """Paragraphs of one text that the other text (almost) lacks, and their tokens."""

    def __init__(self) -> None:
        self.count = 0
        self.tokens: set[int] = set()


def _unkept_paragraphs(text: str, tokens: list[Token], kept: set[int]) -> _Unkept:
    starts = paragraph_starts(text)
    by_paragraph: dict[int, list[int]] = {}
    for index, token in enumerate(tokens):
        by_paragraph.setdefault(bisect_right(starts, token.start), []).append(index)
    unkept = _Unkept()
    for members in by_paragraph.values():
        if sum(1 for i in members if i in kept) < PARAGRAPH_KEPT * len(members):
            unkept.count += 1
            unkept.tokens.update(members)
    return unkept


def paragraph_starts(text: str) -> list[int]:
    """Offsets where a paragraph after the first starts (after a blank line)."""
    return [match.end() for match in _PARAGRAPH_BREAK.finditer(text)]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def explain_result(
    result: ScanResult, paths: Iterable[str | os.PathLike[str]], config: ScanConfig
) -> Explanations:
    """An explanation for every member of every cluster (the representative gets "")."""
    docs = reread_members(result, paths, config)
    explanations: Explanations = {}
    for cluster in result.clusters:
        rep = docs.get((cluster.members[0].path, cluster.representative))
        found = explanations[cluster.id] = {}
        for member in cluster.members:
            doc = docs.get((member.path, member.id))
            if member.is_representative:
                found[member.id] = ""
            elif rep is None or doc is None:
                found[member.id] = "(text no longer readable)"
            else:
                found[member.id] = explain(rep.text, doc.text, rep.title, doc.title)
    return explanations


def reread_members(
    result: ScanResult, paths: Iterable[str | os.PathLike[str]], config: ScanConfig
) -> dict[tuple[str, str], Document]:
    """The Documents of all cluster members, by (path, id), re-read from their files only."""
    wanted = {(m.path, m.id) for c in result.clusters for m in c.members}
    files = {path for path, _ in wanted}
    docs: dict[tuple[str, str], Document] = {}
    for entry in iter_input_files(paths, follow_symlinks=config.follow_symlinks):
        if not isinstance(entry, InputFile) or entry.rel not in files:
            continue
        for item in read_file(
            entry, max_file_size=config.max_file_size, options=ReadOptions.from_config(config)
        ):
            key = (getattr(item, "path", ""), getattr(item, "id", ""))
            if isinstance(item, Document) and key in wanted and key not in docs:
                docs[key] = item
    return docs


def explained_dict(result: ScanResult, explanations: Explanations) -> dict[str, object]:
    """The ``--format json`` document with an ``explanation`` field in every member."""
    data = result_dict(result)
    for cluster in data["clusters"]:
        _add_explanations(cluster, explanations)
    return data


def _add_explanations(cluster: dict[str, object], explanations: Explanations) -> None:
    found = explanations.get(str(cluster["id"]), {})
    for member in cluster["documents"]:  # type: ignore[attr-defined]
        member["explanation"] = found.get(member["id"], "")


def write_explained(
    result: ScanResult, explanations: Explanations, output_format: str, out: IO[str]
) -> None:
    """Write ``json``, ``jsonl`` or ``csv`` as ``scan`` does, plus an ``explanation`` field."""
    if output_format == "json":
        json.dump(explained_dict(result, explanations), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif output_format == "jsonl":
        for cluster in result.clusters:
            data = cluster_dict(cluster)
            _add_explanations(data, explanations)
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    elif output_format == "csv":
        _write_explained_csv(result, explanations, out)
    else:
        raise ValueError(f"unknown output format {output_format!r}")


def _write_explained_csv(result: ScanResult, explanations: Explanations, out: IO[str]) -> None:
    """The scan CSV (same columns, same cells) with an ``explanation`` column appended."""
    plain = io.StringIO()
    write_csv(result, plain)
    rows = csv.reader(io.StringIO(plain.getvalue()))
    header = next(rows)
    cluster_col, doc_col = header.index("cluster_id"), header.index("doc_id")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, "explanation"])
    for row in rows:
        writer.writerow([*row, explanations.get(row[cluster_col], {}).get(row[doc_col], "")])
