"""Stages 1-3 per file (read, strip wire furniture, tokenize, shingle), in-process or in a pool.

The walk (``load.iter_input_files``) stays in the calling process; files go to worker processes
in chunks, and each worker sends back only compact results: a ``Shingled`` (metadata and the
``uint64`` shingle array) per document, and the ``Skipped`` and ``Notice`` items, never the texts.
Chunks are consumed in walk order, so the items come out in exactly the order a one-process
scan produces them, whatever the number of workers.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice

import numpy as np

from .config import ScanConfig
from .load import InputFile, ReadOptions, iter_input_files, read_file
from .models import Document, Notice, Skipped
from .normalize import word_bytes
from .shingle import hash_word_bytes, shingle_hashes
from .sign import Signer
from .wire import WireCleaned, strip_wire

#: Files per task sent to a worker: large enough to amortize pickling, small enough to balance.
CHUNK_FILES = 64
#: Chunks queued per worker ahead of the one being consumed (bounds memory on huge walks).
CHUNKS_AHEAD = 4


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the pipeline keeps of a document once its text is shingled."""

    id: str
    path: str
    title: str
    source: str
    url: str
    date: str
    length: int
    wire: str

    @classmethod
    def of(cls, doc: Document, body: str, wire: str) -> DocumentInfo:
        """Metadata of ``doc``, the length of its cleaned ``body`` and the agency found."""
        return cls(doc.id, doc.path, doc.title, doc.source, doc.url, doc.date, len(body), wire)


@dataclass(frozen=True, slots=True)
class Shingled:
    """A document after shingling; ``shingles`` is None when its text has no words."""

    info: DocumentInfo
    line: int | None
    shingles: np.ndarray | None
    signature: np.ndarray | None = None


ShingleItem = Shingled | Skipped | Notice


def shingle_document(doc: Document, config: ScanConfig) -> Shingled:
    """Strip wire furniture (if configured), tokenize and shingle one document."""
    cleaned = strip_wire(doc.text) if config.strip_wire else WireCleaned(doc.text, "")
    hashes = hash_word_bytes(word_bytes(cleaned.text))
    if hashes.size == 0:  # nothing but a dateline or footer: keep what there is
        hashes = hash_word_bytes(word_bytes(doc.text))
    info = DocumentInfo.of(doc, cleaned.text, cleaned.wire)
    shingled = shingle_hashes(hashes, config.shingle_size) if hashes.size else None
    return Shingled(info, doc.line, shingled)


def shingle_inputs(
    paths: Iterable[str | os.PathLike[str]], config: ScanConfig
) -> Iterator[ShingleItem]:
    """Every Shingled, Skipped and Notice under ``paths``, in walk order, using ``config.jobs``."""
    walk = iter_input_files(paths, follow_symlinks=config.follow_symlinks)
    if config.jobs <= 1:
        for entry in walk:
            yield from _process_entry(entry, config)
        return
    yield from _in_pool(walk, config)


def process_chunk(entries: list[InputFile | Skipped], config: ScanConfig) -> list[ShingleItem]:
    """Worker task: read, shingle and sign a chunk of walk entries (Skipped ones pass through).

    Signing here, one batch per chunk, takes it off the main process; the pipeline re-signs
    only documents whose shingle set boilerplate removal changes afterwards.
    """
    items = [item for entry in entries for item in _process_entry(entry, config)]
    rows = [
        i
        for i, item in enumerate(items)
        if isinstance(item, Shingled) and item.shingles is not None
    ]
    if rows:
        sets = [items[i].shingles for i in rows]  # type: ignore[union-attr]
        for row, signature in zip(
            rows, _signer(config.num_perm, config.seed).sign(sets), strict=True
        ):
            items[row] = replace(items[row], signature=signature)  # type: ignore[type-var]
    return items


@lru_cache(maxsize=4)
def _signer(num_perm: int, seed: int) -> Signer:
    return Signer(num_perm, seed)


def _process_entry(entry: InputFile | Skipped, config: ScanConfig) -> Iterator[ShingleItem]:
    if isinstance(entry, Skipped):
        yield entry
        return
    options = ReadOptions.from_config(config)
    for item in read_file(entry, max_file_size=config.max_file_size, options=options):
        yield shingle_document(item, config) if isinstance(item, Document) else item


def _in_pool(walk: Iterator[InputFile | Skipped], config: ScanConfig) -> Iterator[ShingleItem]:
    """Chunks of the walk through a process pool, results yielded in submission order."""
    pending: deque[Future[list[ShingleItem]]] = deque()
    with ProcessPoolExecutor(max_workers=config.jobs) as pool:
        try:
            for chunk in _chunks(walk, CHUNK_FILES):
                if any(isinstance(e, InputFile) and e.stdin for e in chunk):
                    # Standard input can only be read here: finish what is queued, then read
                    # this chunk in-process, so the order stays that of the walk.
                    while pending:
                        yield from pending.popleft().result()
                    yield from process_chunk(chunk, config)
                    continue
                pending.append(pool.submit(process_chunk, chunk, config))
                if len(pending) >= config.jobs * CHUNKS_AHEAD:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _chunks(entries: Iterator[InputFile | Skipped], size: int) -> Iterator[list]:
    while chunk := list(islice(entries, size)):
        yield chunk
