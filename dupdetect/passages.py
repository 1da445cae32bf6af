"""Passage-level reuse: paragraphs (or ~80-word windows) reused across or within documents.

Each document is split into passages: paragraphs separated by blank lines, and windows of
``WINDOW_WORDS`` words for paragraphs longer than twice that (texts without breaks). Passages
of fewer than ``MIN_WORDS`` words (headings, bylines, nav lines) and wire footers are left out.
Passages that are mostly site boilerplate (shingles found on ``min_docs`` or more pages of the
same source: the ``source`` field, else the file's folder; or on 50+ documents whatever their
source) are left out too (``passage_index``). Candidate pairs share a few shingles (a sorted
inverted index in numpy); each is verified, and runs of consecutive matching passages are
merged into one reused block.

Line numbers are 1-based and inclusive: lines of the file for .txt/.md articles (headline
included), lines of the record's ``text`` for JSON Lines.
"""

from __future__ import annotations

import bisect
import csv
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from .config import ScanConfig
from .formats import ReadOptions
from .load import TEXT_SUFFIXES, InputFile, iter_input_files, read_file
from .models import Document
from .normalize import words
from .passage_index import Passage, candidate_pairs, drop_chrome
from .shingle import shingle_hashes, word_hashes
from .verify import score
from .wire import strip_wire

WINDOW_WORDS = 80
MIN_WORDS = 12
CHUNK_FILES = 64
#: A pair of passages is reuse when Jaccard or containment (of the smaller) reaches these.
MIN_JACCARD = 0.5
MIN_CONTAINMENT = 0.8

CSV_COLUMNS = (
    "doc_id",
    "start_line",
    "end_line",
    "other_doc_id",
    "other_start_line",
    "other_end_line",
    "similarity",
)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_NEWLINE = re.compile(r"\n")
_RAW_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Reuse:
    """A reused block: lines of ``doc_id`` found again in ``other_doc_id`` (maybe the same)."""

    doc_id: str
    start_line: int
    end_line: int
    other_doc_id: str
    other_start_line: int
    other_end_line: int
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        """The reuse as a JSON-ready dict (the CSV columns)."""
        return {name: getattr(self, name) for name in CSV_COLUMNS}


def split_passages(text: str, first_line: int = 1) -> Iterator[tuple[int, int, list[str]]]:
    """``(start_line, end_line, words)`` of every passage of ``text``.

    >>> [(s, e, len(w)) for s, e, w in split_passages("one two\\nthree\\n\\nfour", 3)]
    [(3, 4, 3), (6, 6, 1)]
    """
    newlines = [match.start() for match in _NEWLINE.finditer(text)]

    def line_of(offset: int) -> int:
        return first_line + bisect.bisect_left(newlines, offset)

    start = 0
    for match in [*_BLANK_LINES.finditer(text), None]:
        end = match.start() if match else len(text)
        paragraph = text[start:end]
        if paragraph.strip() and strip_wire(paragraph).text.strip():
            for a, b, found in _windows(paragraph):
                yield line_of(start + a), line_of(start + b - 1), found
        start = match.end() if match else len(text)


def _windows(paragraph: str) -> Iterator[tuple[int, int, list[str]]]:
    """The paragraph as one passage, or as windows of WINDOW_WORDS words when it is long.

    A window's line range comes from the paragraph's raw word spans (one per normalized word,
    near enough: it only matters for hard-wrapped text without blank lines).
    """
    found = words(paragraph)
    lead, trail = len(paragraph) - len(paragraph.lstrip()), len(paragraph.rstrip())
    if len(found) <= 2 * WINDOW_WORDS:
        yield lead, trail, found
        return
    one_line = "\n" not in paragraph.strip()
    spans = [] if one_line else [m.span() for m in _RAW_WORD.finditer(paragraph)]
    for first in range(0, len(found), WINDOW_WORDS):
        window = found[first : first + WINDOW_WORDS]
        if one_line or not spans:
            yield lead, trail, window
        else:
            last = min(first + len(window), len(spans)) - 1
            yield spans[min(first, last)][0], spans[last][1], window


def find_passages(
    paths: Iterable[str | os.PathLike[str]], config: ScanConfig
) -> tuple[list[str], list[Passage]]:
    """Document ids (sorted) and the passages of every readable article under ``paths``.

    Files are read and shingled in ``config.jobs`` processes, in walk order (the first
    document with an id wins, as in the scan).
    """
    entries = [
        e
        for e in iter_input_files(paths, follow_symlinks=config.follow_symlinks)
        if isinstance(e, InputFile) and not getattr(e, "stdin", False)
    ]
    chunks = [entries[i : i + CHUNK_FILES] for i in range(0, len(entries), CHUNK_FILES)]
    found: dict[str, tuple[tuple[str, bool], list[tuple[int, int, np.ndarray]]]] = {}
    if config.jobs > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=config.jobs) as pool:
            results = pool.map(_read_chunk, chunks, [config] * len(chunks))
            for doc_id, source, spans in (row for rows in results for row in rows):
                found.setdefault(doc_id, (source, spans))
    else:
        for doc_id, source, spans in (row for c in chunks for row in _read_chunk(c, config)):
            found.setdefault(doc_id, (source, spans))
    ids = sorted(found)
    passages = [
        Passage(row, start, end, hashes)
        for row, doc_id in enumerate(ids)
        for start, end, hashes in found[doc_id][1]
    ]
    sources = [found[doc_id][0] for doc_id in ids]
    return ids, drop_chrome(passages, sources, config.boilerplate_min_docs)


def _read_chunk(entries: list[InputFile], config: ScanConfig) -> list[tuple[str, Any, Any]]:
    """Worker task: ``(id, source, passages)`` of every document in some files."""
    rows = []
    for entry in entries:
        offset = None
        for item in read_file(
            entry, max_file_size=config.max_file_size, options=ReadOptions.from_config(config)
        ):
            if isinstance(item, Document):
                if offset is None:
                    offset = _body_first_line(entry) if _plain(entry, item) else 1
                spans = document_passages(item.text, offset, config.shingle_size)
                rows.append((item.id, _source(item), spans))
    return rows


def document_passages(text: str, first_line: int, size: int) -> list[tuple[int, int, np.ndarray]]:
    """``(start_line, end_line, shingles)`` of the passages of one text worth comparing."""
    spans = [(a, b, w) for a, b, w in split_passages(text, first_line) if len(w) >= MIN_WORDS]
    if not spans:
        return []
    hashes = word_hashes([w for _, _, found in spans for w in found])
    passages, at = [], 0
    for start, end, found in spans:
        passages.append((start, end, shingle_hashes(hashes[at : at + len(found)], size)))
        at += len(found)
    return passages


def _plain(entry: InputFile, doc: Document) -> bool:
    return doc.line is None and entry.path.suffix.lower() in TEXT_SUFFIXES


def _body_first_line(entry: InputFile) -> int:
    """File line (1-based) where a plain-text article's body starts, after its headline."""
    try:
        lines = entry.path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[1] + 1 if len(filled) > 1 else 1


def _source(doc: Document) -> tuple[str, bool]:
    """The site of a document and whether it is explicit: ``source``, else the id's folder."""
    if doc.source:
        return doc.source.strip().lower(), True
    return (doc.id.rsplit("/", 1)[0] if "/" in doc.id else ""), False


def find_reuse(ids: list[str], passages: list[Passage]) -> list[Reuse]:
    """Verified passage pairs merged into reused blocks, in document and line order."""
    pairs, shared, exact = candidate_pairs(passages)
    sizes = np.array([p.shingles.size for p in passages], dtype=np.int64)
    size_a, size_b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    jaccard = np.round(shared / np.maximum(size_a + size_b - shared, 1), 4)
    contained = shared / np.maximum(np.minimum(size_a, size_b), 1)
    accepted = exact & ((jaccard >= MIN_JACCARD) | (contained >= MIN_CONTAINMENT))
    matched = dict(
        zip(map(tuple, pairs[accepted].tolist()), jaccard[accepted].tolist(), strict=True)
    )
    for i, j in pairs[~exact].tolist():
        pair = score(passages[i].shingles, passages[j].shingles)
        if pair.jaccard >= MIN_JACCARD or pair.containment >= MIN_CONTAINMENT:
            matched[(i, j)] = pair.jaccard
    blocks = _merge(list(matched), passages)
    found = [_block_reuse(ids, passages, block, matched) for block in blocks]
    return sorted(found, key=lambda r: (r.doc_id, r.start_line, r.other_doc_id, r.other_start_line))


def _merge(matched: list[tuple[int, int]], passages: list[Passage]) -> list[list[tuple[int, int]]]:
    """Per pair of documents, runs of matches where both sides advance by at most one passage."""
    by_docs: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for i, j in matched:
        by_docs[(passages[i].doc, passages[j].doc)].append((i, j))
    blocks: list[list[tuple[int, int]]] = []
    for pairs in by_docs.values():
        current: list[tuple[int, int]] = []
        for i, j in sorted(pairs):
            last_i, last_j = current[-1] if current else (-2, -2)
            if current and i - last_i in (0, 1) and -1 <= j - last_j <= 1 and j > i:
                current.append((i, j))
            else:
                blocks.append(current := [(i, j)])
    return blocks


def _block_reuse(
    ids: list[str],
    passages: list[Passage],
    block: list[tuple[int, int]],
    scores: dict[tuple[int, int], float],
) -> Reuse:
    """A block as a Reuse; its similarity is the Jaccard of the two sides' shingles."""
    left = sorted({i for i, _ in block})
    right = sorted({j for _, j in block})
    if len(block) == 1:
        similarity = scores[block[0]]
    else:
        union = [
            np.unique(np.concatenate([passages[k].shingles for k in s])) for s in (left, right)
        ]
        similarity = score(union[0], union[1]).jaccard
    first, other = passages[left[0]], passages[right[0]]
    return Reuse(
        ids[first.doc],
        first.start_line,
        passages[left[-1]].end_line,
        ids[other.doc],
        other.start_line,
        passages[right[-1]].end_line,
        similarity,
    )


def passage_reuse(paths: Iterable[str | os.PathLike[str]], config: ScanConfig) -> list[Reuse]:
    """Every reused passage block under ``paths``."""
    ids, passages = find_passages(paths, config)
    return find_reuse(ids, passages)


def write_passages(reuse: list[Reuse], output_format: str, out: IO[str]) -> None:
    """Write reused passages as ``json``, ``jsonl`` or ``csv`` (one row per pair)."""
    if output_format == "json":
        data = {"version": 1, "passages": [r.as_dict() for r in reuse]}
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif output_format == "jsonl":
        for r in reuse:
            out.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
    elif output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in reuse:
            writer.writerow([*list(r.as_dict().values())[:-1], f"{r.similarity:.4f}"])
    else:
        raise ValueError(f"unknown output format {output_format!r}")
