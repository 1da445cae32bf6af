"""The per-document work of stages 1-5 (read, strip wire furniture, tokenize, shingle, sign,
LSH band keys, containment samples), a chunk of files at a time, in-process or in a pool.

The walk (``load.iter_input_runs``) stays in the calling process; files go to worker processes
in chunks (paths and ids as two lists), and each worker sends back only compact results, a
``PackedChunk``: per document its metadata, the ``uint64`` shingle set, the band keys of its
signature and its containment samples, and the ``Skipped`` and ``Notice`` items, never the
texts. The metadata travels one list per field and the arrays packed into a few flat buffers
(a pickle per column, not one per document); a scan's shingle sets do not travel at all: the
workers append them to spill files the main process reads (``shingle_sets.spill``). Chunks are
consumed in walk order, so the items come out in exactly the order a one-process scan
produces them, whatever the number of workers.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import islice, repeat
from operator import attrgetter

import numpy as np

from .allocator import keep_freed_memory
from .config import ScanConfig
from .index import band_keys, lsh_params, packed_containment_samples
from .load import (
    FileRun,
    InputFile,
    ReadOptions,
    announce_reads,
    iter_input_files,
    iter_input_runs,
    read_file,
)
from .models import Document, Notice, Skipped
from .normalize import word_bytes
from .shingle import hash_word_bytes, shingle_hashes
from .shingle_sets import Spilled, spill
from .sign import Signer
from .wire import WireCleaned, strip_wire

#: Files per task sent to a worker: large enough to amortize the costs paid per task (pickling,
#: the pool's bookkeeping, a few numpy calls), small enough to balance. 256 instead of 64 cut
#: the main process's CPU in a 100k scan by ~1 s; 512 instead of 256, ~0.25 s of a ~9.4 s
#: scan (three runs each, taking turns), the workers' CPU ~0.2 s.
CHUNK_FILES = 512
#: The first chunks are smaller, doubling up to CHUNK_FILES: a scan of a few hundred files
#: still gives every worker some, and the first results come back sooner.
FIRST_CHUNK_FILES = 16
#: Chunks queued per worker ahead of the one being consumed (bounds memory on huge walks).
CHUNKS_AHEAD = 4


@dataclass(frozen=True)
class ReadAhead:
    """How far a pool reads ahead of its consumer: ``chunks`` per worker, and, when
    ``max_documents`` is set, no new chunk while the finished chunks at the front of the
    queue hold more documents than that (so record files of many articles each do not pile
    up)."""

    chunks: int = CHUNKS_AHEAD
    max_documents: int | None = None


@dataclass(slots=True)
class DocumentInfo:
    """What the pipeline keeps of a document once its text is shingled.

    Never changed once made (not ``frozen``: a frozen dataclass's ``__init__`` costs ~1.6 us
    for these eight fields, six times a plain one's, and every document makes one)."""

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

    def __reduce__(self) -> tuple[type[DocumentInfo], tuple[object, ...]]:
        # Pickled as its fields in order: the default of a slots dataclass looks the fields
        # up on every call, and every document crosses from a worker to the main process.
        return DocumentInfo, (
            self.id,
            self.path,
            self.title,
            self.source,
            self.url,
            self.date,
            self.length,
            self.wire,
        )


@dataclass(slots=True)
class Shingled:
    """A document after shingling; ``shingles`` is None when its text has no words.

    Never changed once made: ``with_arrays`` and ``encoded_as`` make new ones (not
    ``frozen``, as ``DocumentInfo``: a document makes two or three)."""

    info: DocumentInfo
    line: int | None
    shingles: np.ndarray | None
    band_keys: np.ndarray | None = None  # uint64, one LSH bucket key per band
    samples: np.ndarray | None = None  # uint32 containment samples (index.containment_samples)
    words: bytes | None = None  # the word buffer shingled (``config.keep_words`` only)
    word_hashes: np.ndarray | None = None  # its words' hashes (``config.keep_words`` only)
    encoded: object | None = None  # what a chunk encoder made of it (``index add`` only)

    def __reduce__(self) -> tuple[type[Shingled], tuple[object, ...]]:
        return Shingled, self._values()  # as DocumentInfo.__reduce__

    def _values(self) -> tuple[object, ...]:
        """The fields in order (what ``Shingled(*values)`` takes)."""
        return (
            self.info,
            self.line,
            self.shingles,
            self.band_keys,
            self.samples,
            self.words,
            self.word_hashes,
            self.encoded,
        )

    def encoded_as(self, encoded: object) -> Shingled:
        """The same document with what an encoder made of it, without its word hashes
        (``dataclasses.replace`` costs ~10 us a document)."""
        return Shingled(*self._values()[:6], None, encoded)  # type: ignore[arg-type]

    def with_arrays(
        self,
        shingles: np.ndarray | None,
        band_keys: np.ndarray | None = None,
        samples: np.ndarray | None = None,
    ) -> Shingled:
        """The same document with other arrays (half the cost of ``dataclasses.replace``)."""
        return Shingled(
            self.info,
            self.line,
            shingles,
            band_keys,
            samples,
            self.words,
            self.word_hashes,
            self.encoded,
        )


ShingleItem = Shingled | Skipped | Notice
#: Run in the worker on a chunk's documents that have words; one result per document, kept
#: as its ``Shingled.encoded`` (``index add`` encodes its records there). An encoded chunk
#: carries no containment samples: what it is encoded for stores its own.
ChunkEncoder = Callable[[list[Shingled]], list[object]]
#: Called as each chunk is handed to a worker: the encoder to run on it, or None.
EncoderSource = Callable[[], ChunkEncoder | None]
#: How far to read ahead: fixed, or asked again before each chunk is handed out.
ReadAheadSource = ReadAhead | Callable[[], ReadAhead]


def shingle_document(doc: Document, config: ScanConfig) -> Shingled:
    """Strip wire furniture (if configured), tokenize and shingle one document."""
    cleaned = strip_wire(doc.text) if config.strip_wire else WireCleaned(doc.text, "")
    data = word_bytes(cleaned.text)
    hashes = hash_word_bytes(data)
    if hashes.size == 0:  # nothing but a dateline or footer: keep what there is
        data = word_bytes(doc.text)
        hashes = hash_word_bytes(data)
    info = DocumentInfo.of(doc, cleaned.text, cleaned.wire)
    shingled = shingle_hashes(hashes, config.shingle_size) if hashes.size else None
    if config.keep_words and shingled is not None:  # the persistent index stores the words
        return Shingled(info, doc.line, shingled, words=data.tobytes(), word_hashes=hashes)
    return Shingled(info, doc.line, shingled)


def shingle_inputs(
    paths: Iterable[str | os.PathLike[str]],
    config: ScanConfig,
    ahead: ReadAheadSource = ReadAhead(),
    encoder: EncoderSource | None = None,
) -> Iterator[ShingleItem]:
    """Every Shingled, Skipped and Notice under ``paths``, in walk order, using ``config.jobs``.

    ``ahead`` says how much is queued beyond the chunk being consumed: a consumer that works
    in bursts (``index add`` writes and merges a batch at a time) keeps the workers busy
    meanwhile with more (a callable ``ahead`` is asked again before each chunk is handed
    out). ``encoder`` gives what to run on each chunk's documents in the worker (see
    ``ChunkEncoder``)."""
    for packed in shingle_chunks(paths, config, ahead, encoder):
        yield from packed.unpack()


def shingle_chunks(
    paths: Iterable[str | os.PathLike[str]],
    config: ScanConfig,
    ahead: ReadAheadSource = ReadAhead(),
    encoder: EncoderSource | None = None,
    spill_folder: str | None = None,
) -> Iterator[PackedChunk]:
    """``shingle_inputs`` a chunk at a time, packed (what ``corpus.build_corpus`` takes in
    bulk: one write and a few array copies per chunk instead of a dozen calls per document).

    With ``spill_folder`` (a ``ShingleSets.spill_folder``), worker processes write each
    chunk's shingle sets there (``shingle_sets.spill``) and send back only where they are:
    the sets, most of what a chunk holds, never pass through this process. Chunks made in
    this process (``config.jobs`` 1, standard input) carry their sets as arrays."""
    if config.jobs <= 1:
        walk = iter_input_files(paths, follow_symlinks=config.follow_symlinks)
        for chunk in _chunks(walk):
            yield _packed_chunk(chunk, config, encoder and encoder())
        return
    runs = iter_input_runs(paths, follow_symlinks=config.follow_symlinks)
    yield from _in_pool(runs, config, ahead, encoder, spill_folder)


def process_chunk(entries: list[InputFile | Skipped], config: ScanConfig) -> list[ShingleItem]:
    """Read and shingle a chunk of walk entries (Skipped ones pass through)."""
    announce_reads(entries)
    options = ReadOptions.from_config(config)
    return [item for entry in entries for item in _process_entry(entry, config, options)]


@dataclass(frozen=True)
class PackedChunk:
    """A chunk's items as they cross the process boundary: the documents' metadata (``infos``
    and ``lines``, one per ``Shingled``), the Skipped and Notice items with their positions
    among all items (``others``), and what only some documents carry (``extras``: words,
    word hashes and what an encoder made of them; None when none does). The arrays travel
    concatenated (shingles and samples) or stacked (band keys). When ``spilled`` is set, the
    shingle sets are in a spill file from there on instead, back to back (``shingles`` is
    empty). ``items`` gives the items themselves, without their arrays, in order."""

    infos: list[DocumentInfo]
    lines: list[int | None]
    others: list[tuple[int, Skipped | Notice]]
    extras: list[tuple[bytes | None, np.ndarray | None, object | None]] | None
    shingle_counts: np.ndarray  # per document; -1: no words
    shingles: np.ndarray
    sample_counts: np.ndarray
    samples: np.ndarray
    keys: np.ndarray
    spilled: Spilled | None = None

    @classmethod
    def pack(
        cls,
        items: list[ShingleItem],
        config: ScanConfig,
        encoder: ChunkEncoder | None = None,
        spill_folder: str | None = None,
    ) -> PackedChunk:
        """Sign, key and sample the chunk's documents (one signing batch per chunk, off the
        main process), run ``encoder`` on them, then take their arrays off the items and
        concatenate them (the shingle sets into a file of ``spill_folder``, if given)."""
        if encoder is not None:  # the word hashes then need not travel
            items = _encoded(items, encoder)
        documents: list[Shingled] = []
        others: list[tuple[int, Skipped | Notice]] = []
        sets: list[np.ndarray] = []  # of the documents with words
        extras = False  # whether a document carries words, word hashes or an encoding
        for at, item in enumerate(items):  # one pass: ~1 us a document less than five
            if isinstance(item, Shingled):
                documents.append(item)
                if item.shingles is not None:
                    sets.append(item.shingles)
                if not (item.words is None and item.word_hashes is None and item.encoded is None):
                    extras = True
            else:
                others.append((at, item))
        keys = np.empty((0, 0), dtype=np.uint64)
        if sets:
            bands, rows = _lsh_params(config.effective_lsh_threshold, config.num_perm)
            signatures = _signer(config.num_perm, config.seed).sign(sets, bands * rows)
            keys = band_keys(signatures, bands, rows)
        if encoder is None:
            samples, sample_counts = packed_containment_samples(
                sets, min_shingles=config.min_containment_shingles
            )
        else:  # an encoded chunk goes to an index, which stores the encoder's sample terms
            samples, sample_counts = np.empty(0, np.uint32), np.zeros(len(sets), np.int64)
        spilled, shingles = None, np.empty(0, dtype=np.uint64)
        if spill_folder is not None and sets:  # written from the arrays, never concatenated
            spilled = spill(spill_folder, sets)
        elif sets:
            shingles = np.concatenate(sets)
        return cls(
            [doc.info for doc in documents],
            [doc.line for doc in documents],
            others,
            [(doc.words, doc.word_hashes, doc.encoded) for doc in documents] if extras else None,
            np.array(
                [-1 if doc.shingles is None else doc.shingles.size for doc in documents],
                dtype=np.int64,
            ),
            shingles,
            sample_counts,
            samples,
            keys,
            spilled,
        )

    @property
    def items(self) -> list[ShingleItem]:
        """The chunk's items in order, documents without their arrays."""
        extras = self.extras or repeat(_NO_EXTRAS)
        items: list[ShingleItem] = [
            Shingled(info, line, None, None, None, *extra)
            for info, line, extra in zip(self.infos, self.lines, extras, strict=False)
        ]
        for at, item in self.others:  # in ascending positions: each lands where it was
            items.insert(at, item)
        return items

    def __reduce__(self) -> tuple[Callable[..., PackedChunk], tuple[object, ...]]:
        # The metadata travels as one list per field: pickling each DocumentInfo cost a
        # worker ~3 us a document and unpickling it the main process ~1 us.
        columns = list(zip(*map(_INFO_FIELDS, self.infos), strict=True))
        return _unpickle_chunk, (columns, *(getattr(self, f.name) for f in fields(self)[1:]))

    def unpack(self) -> Iterator[ShingleItem]:
        """The items again, each document's arrays as views of the chunk's buffers (not for
        a spilled chunk: its sets are for a ``ShingleSets`` to adopt)."""
        if self.spilled is not None:
            raise ValueError("the chunk's shingle sets were spilled to a file")
        shingle_at = sample_at = doc = shingled = 0
        for item in self.items:
            if not isinstance(item, Shingled):
                yield item
                continue
            count = int(self.shingle_counts[shingled])
            shingled += 1
            if count < 0:
                yield item
                continue
            samples = int(self.sample_counts[doc])
            yield item.with_arrays(
                self.shingles[shingle_at : shingle_at + count],
                self.keys[doc],
                self.samples[sample_at : sample_at + samples],
            )
            shingle_at, sample_at, doc = shingle_at + count, sample_at + samples, doc + 1


def _encoded(items: list[ShingleItem], encoder: ChunkEncoder) -> list[ShingleItem]:
    """``items`` with what ``encoder`` makes of their documents with words (without their
    word hashes, which then need not travel)."""
    docs = [item for item in items if isinstance(item, Shingled) and item.shingles is not None]
    if not docs:
        return items
    encoded = dict(zip(map(id, docs), encoder(docs), strict=True))
    return [i.encoded_as(encoded[id(i)]) if id(i) in encoded else i for i in items]  # type: ignore[union-attr]


#: The fields of a DocumentInfo, in order, as a tuple (``PackedChunk.__reduce__``).
_INFO_FIELDS = attrgetter(*(f.name for f in fields(DocumentInfo)))
#: A document's extras when it has none (words, word hashes, encoded).
_NO_EXTRAS = (None, None, None)


def _unpickle_chunk(columns: list[tuple[object, ...]], *rest: object) -> PackedChunk:
    """A PackedChunk from ``PackedChunk.__reduce__``'s columns and other fields."""
    infos = list(map(DocumentInfo, *columns)) if columns else []
    return PackedChunk(infos, *rest)  # type: ignore[arg-type]


def _column_chunks(
    walk: Iterator[FileRun | InputFile | Skipped],
) -> Iterator[_EntryColumns | InputFile]:
    """The walk's entries in chunks as they travel to a worker (``_EntryColumns``: the files'
    locations and ids as two lists, the Skipped ones with their positions), sized as
    ``_chunks``; standard input comes alone, as its ``InputFile`` (it is read here).

    Pickling 256 InputFile objects cost the main process ~1.5 us each, the lists ~0.3 us a
    file; runs of files are sliced into the lists without an object per file."""
    size = min(FIRST_CHUNK_FILES, CHUNK_FILES)
    locations: list = []
    rels: list[str] = []
    skipped: list[tuple[int, Skipped]] = []
    for item in walk:
        if isinstance(item, FileRun):
            taken = 0
            while taken < len(item.locations):
                room = size - len(locations) - len(skipped)
                locations += item.locations[taken : taken + room]
                rels += item.rels[taken : taken + room]
                taken += room
                if len(locations) + len(skipped) == size:
                    yield locations, rels, skipped
                    locations, rels, skipped = [], [], []
                    size = min(2 * size, CHUNK_FILES)
            continue
        if isinstance(item, InputFile) and item.stdin:
            if locations or skipped:
                yield locations, rels, skipped
                locations, rels, skipped = [], [], []
            yield item
            continue
        if isinstance(item, Skipped):
            skipped.append((len(locations) + len(skipped), item))
        else:
            locations.append(item.location)
            rels.append(item.rel)
        if len(locations) + len(skipped) == size:
            yield locations, rels, skipped
            locations, rels, skipped = [], [], []
            size = min(2 * size, CHUNK_FILES)
    if locations or skipped:
        yield locations, rels, skipped


#: A chunk as ``_column_chunks`` makes it: locations, ids, and (position, Skipped) pairs.
_EntryColumns = tuple[list, list[str], list[tuple[int, Skipped]]]


def _packed_columns(
    columns: _EntryColumns,
    config: ScanConfig,
    encoder: ChunkEncoder | None = None,
    spill_folder: str | None = None,
) -> PackedChunk:
    """Worker task: the chunk's entries again from ``_column_chunks``' columns, then
    ``_packed_chunk``."""
    locations, rels, skipped = columns
    entries: list[InputFile | Skipped] = list(map(InputFile, locations, rels))
    for position, entry in skipped:
        entries.insert(position, entry)
    return _packed_chunk(entries, config, encoder, spill_folder)


def _packed_chunk(
    entries: list[InputFile | Skipped],
    config: ScanConfig,
    encoder: ChunkEncoder | None = None,
    spill_folder: str | None = None,
) -> PackedChunk:
    """Worker task: ``process_chunk``, signed, keyed, encoded and packed for the trip back."""
    return PackedChunk.pack(process_chunk(entries, config), config, encoder, spill_folder)


def _start_worker() -> None:
    """Pool initializer: collect cycles as usual, even if forked from a process that paused
    it (gcpause): parsing documents (HTML above all) makes them; keep freed memory for the
    next chunk (``allocator``)."""
    gc.enable()
    keep_freed_memory()


@lru_cache(maxsize=4)
def _signer(num_perm: int, seed: int) -> Signer:
    return Signer(num_perm, seed)


_lsh_params = lru_cache(maxsize=16)(lsh_params)


def _process_entry(
    entry: InputFile | Skipped, config: ScanConfig, options: ReadOptions
) -> Iterator[ShingleItem]:
    if isinstance(entry, Skipped):
        yield entry
        return
    for item in read_file(entry, max_file_size=config.max_file_size, options=options):
        yield shingle_document(item, config) if isinstance(item, Document) else item


def _in_pool(
    walk: Iterator[FileRun | InputFile | Skipped],
    config: ScanConfig,
    ahead: ReadAheadSource,
    encoder: EncoderSource | None,
    spill_folder: str | None,
) -> Iterator[PackedChunk]:
    """Chunks of the walk (``load.iter_input_runs``) through a process pool, results yielded
    in submission order."""
    pending = _Pending()
    with ProcessPoolExecutor(max_workers=config.jobs, initializer=_start_worker) as pool:
        try:
            for chunk in _column_chunks(walk):
                if isinstance(chunk, InputFile):
                    # Standard input can only be read here: finish what is queued, then read
                    # it in-process, so the order stays that of the walk.
                    while pending:
                        yield pending.pop()
                    yield _packed_chunk([chunk], config, encoder and encoder())
                    continue
                pending.push(
                    pool.submit(_packed_columns, chunk, config, encoder and encoder(), spill_folder)
                )
                limits = ahead() if callable(ahead) else ahead
                while len(pending) >= config.jobs * limits.chunks or (
                    limits.max_documents is not None
                    and pending.finished_documents() > limits.max_documents
                ):
                    yield pending.pop()
            while pending:
                yield pending.pop()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


class _Pending:
    """Chunks handed to the pool, oldest first, and the documents the finished ones at the
    front hold (counted once per chunk as it is seen finished, not again per check)."""

    def __init__(self) -> None:
        self._tasks: deque[Future[PackedChunk]] = deque()
        self._counted = 0  # finished tasks at the front whose documents are in _documents
        self._documents = 0

    def __len__(self) -> int:
        return len(self._tasks)

    def push(self, task: Future[PackedChunk]) -> None:
        self._tasks.append(task)

    def pop(self) -> PackedChunk:
        """The oldest chunk (waiting for it; its worker's exception is raised here)."""
        task = self._tasks.popleft()
        if self._counted:
            self._counted -= 1
            self._documents -= _documents_in(task)
        return task.result()

    def finished_documents(self) -> int:
        """Documents in the finished chunks at the front of the queue."""
        while self._counted < len(self._tasks) and self._tasks[self._counted].done():
            self._documents += _documents_in(self._tasks[self._counted])
            self._counted += 1
        return self._documents


def _documents_in(task: Future[PackedChunk]) -> int:
    """Documents of a finished chunk (0 when its worker failed)."""
    return 0 if task.exception() is not None else task.result().shingle_counts.size


def _chunks(entries: Iterator[InputFile | Skipped]) -> Iterator[list]:
    """The entries in chunks of FIRST_CHUNK_FILES, doubling up to CHUNK_FILES."""
    size = min(FIRST_CHUNK_FILES, CHUNK_FILES)
    while chunk := list(islice(entries, size)):
        yield chunk
        size = min(2 * size, CHUNK_FILES)
