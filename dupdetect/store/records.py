"""How an index stores a document: one compact record, and the codec that compresses it.

**Records.** An indexed document is kept as one compact *record* from which its exact shingle
set is rebuilt when it is fetched: its metadata, its words (the buffer the shingler hashed),
and, when boilerplate removal shrank its set, which shingle positions were removed. Words are
written as codes into the index's *vocabulary* (the 64-bit hashes of the words common in the
first large batch added, most frequent first; a word outside it is spelled out), and the
record is compressed with zstandard and a dictionary trained on that batch (the *codec*,
stored once per index). Rebuilding hashes the spelled-out words, looks the others up in the
vocabulary, and shingles exactly as a scan does; every record is checked to rebuild its set
before it is written (a record that would not is stored as the set itself).

**Terms.** Lookups go through 32-bit terms: one per LSH band (the band's 64-bit bucket key,
mixed with the band number and folded) and one per containment sample (every shingle whose
hash is divisible by ``sample_mod``, folded). Folding can only add candidates; every
candidate is verified exactly on the rebuilt sets, so reported scores are never estimates.

Records are bytes in the format below; nothing is ever unpickled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import zstandard

from ..errors import IndexStoreError
from ..shingle import hash_word_bytes, shingle_hashes, window_hashes
from ..workers import DocumentInfo
from .base import METADATA_FIELDS, IndexedDocument

try:  # the C varint loop (setup.py); encode_varints_numpy is the reference and the fallback
    from .. import _speedups
except ImportError:  # pragma: no cover - only without a compiler at install time
    _speedups = None

# -- varints ----------------------------------------------------------------------------------


def encode_varints(values: np.ndarray) -> bytes:
    """LEB128 (7 bits a byte, low first) of non-negative integers, all at once.

    >>> encode_varints(np.array([0, 1, 127, 128, 300])).hex()
    '00017f8001ac02'
    """
    v = np.ascontiguousarray(values, dtype=np.uint64)
    if _speedups is not None:
        return _speedups.varints(v)
    return encode_varints_numpy(v)


def encode_varints_numpy(values: np.ndarray) -> bytes:
    """``encode_varints`` in numpy: the reference of the C loop, and its fallback."""
    v = np.ascontiguousarray(values, dtype=np.uint64)
    sizes = _varint_sizes(v)
    at = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    for step in range(int(sizes.max(initial=0))):
        mine = np.flatnonzero(sizes > step) if step else slice(None)
        byte = ((v[mine] >> np.uint64(7 * step)) & np.uint64(0x7F)).astype(np.uint8)
        byte[sizes[mine] > step + 1] |= 0x80
        out[at[mine] + step] = byte
    return out.tobytes()


def _varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes each value takes in ``encode_varints``."""
    sizes = np.ones(values.size, dtype=np.int64)
    for shift in range(7, 64, 7):
        more = values >= np.uint64(1 << shift)
        if not more.any():
            break
        sizes += more
    return sizes


def decode_varints(data: bytes | memoryview) -> np.ndarray:
    """The integers of ``encode_varints`` (uint64)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size == 0:
        return np.empty(0, dtype=np.uint64)
    ends = np.flatnonzero(raw < 0x80)
    if ends.size == 0 or ends[-1] != raw.size - 1:
        raise ValueError("truncated varint")
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    sizes = ends - starts + 1
    values = (raw[starts] & 0x7F).astype(np.uint64)
    for step in range(1, int(sizes.max())):
        mine = np.flatnonzero(sizes > step)
        part = (raw[starts[mine] + step] & 0x7F).astype(np.uint64)
        values[mine] |= part << np.uint64(7 * step)
    return values


_SMALL = [bytes((value,)) for value in range(0x80)]


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _Reader:
    """Sequential reads from a record body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ValueError("truncated record")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def sized(self) -> bytes:
        return self.take(self.varint())

    def text(self) -> str:
        return self.sized().decode("utf-8", "surrogatepass")


# -- the codec --------------------------------------------------------------------------------

#: Most words a vocabulary holds (words seen at least twice in the training batch).
VOCABULARY_SIZE = 1 << 16
#: Bytes of the zstandard dictionary trained with the vocabulary.
DICTIONARY_SIZE = 16 * 1024
#: Records the dictionary is trained on (at most).
DICTIONARY_SAMPLES = 2000
#: zstandard level of records: level 2 makes them as small as 3 (870 vs 871 bytes an
#: article on the synthetic corpus, 878 at level 1) in 60% of the time; higher levels gain
#: under 1%, at 3-30x the time.
ZSTD_LEVEL = 2
_CODEC_MAGIC = b"DDC1"


class Codec:
    """How records are compressed: a vocabulary of word hashes and a zstandard dictionary.

    ``ident`` goes into the first byte of every record it writes: 0 is the built-in codec
    (no vocabulary, no dictionary: plain zstandard), 1 an index's trained one.
    """

    def __init__(self, ident: int, vocabulary: np.ndarray, dictionary: bytes = b"") -> None:
        self.ident = ident
        self.vocabulary = np.ascontiguousarray(vocabulary, dtype=np.uint64)
        self.dictionary = dictionary
        self._order = np.argsort(self.vocabulary, kind="stable")
        self._sorted = self.vocabulary[self._order]
        self._table: np.ndarray | None = None  # built on first use (writers only)
        self._mask = np.uint64(0)
        zdict = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        self._compressor = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, dict_data=zdict, write_checksum=False, write_dict_id=False
        )
        self._decompressor = zstandard.ZstdDecompressor(dict_data=zdict)

    def to_bytes(self) -> bytes:
        """The codec as stored in an index."""
        head = _CODEC_MAGIC + _varint(self.ident) + _varint(self.vocabulary.size)
        return head + self.vocabulary.astype("<u8").tobytes() + self.dictionary

    @classmethod
    def from_bytes(cls, data: bytes, target: str = "index") -> Codec:
        """A stored codec back (IndexStoreError for anything else)."""
        try:
            if data[:4] != _CODEC_MAGIC:
                raise ValueError("bad magic")
            reader = _Reader(data)
            reader.pos = 4
            ident, size = reader.varint(), reader.varint()
            vocabulary = np.frombuffer(reader.take(size * 8), dtype="<u8")
            return cls(ident, vocabulary, data[reader.pos :])
        except (ValueError, IndexError, zstandard.ZstdError) as exc:
            raise IndexStoreError(f"{target}: unreadable codec record ({exc})") from exc

    def codes(self, word_hashes: np.ndarray) -> np.ndarray:
        """Each word's vocabulary rank + 1, or 0 for a word outside the vocabulary."""
        if self.vocabulary.size == 0 or _speedups is None:
            return self.codes_numpy(word_hashes)
        if self._table is None:
            self._table, self._mask = _slot_table(self.vocabulary)
        found = _speedups.vocabulary_codes(
            np.ascontiguousarray(word_hashes, dtype=np.uint64),
            self._table,
            int(self._mask),
            self.vocabulary,
            self._sorted,
            self._order.astype(np.int64, copy=False),
        )
        return np.frombuffer(found, dtype=np.uint64)

    def codes_numpy(self, word_hashes: np.ndarray) -> np.ndarray:
        """``codes`` in numpy: the reference of the C loop, and its fallback."""
        if self.vocabulary.size == 0:
            return np.zeros(word_hashes.size, dtype=np.uint64)
        if self._table is None:
            self._table, self._mask = _slot_table(self.vocabulary)
        slot = self._table[(word_hashes & self._mask).view(np.int64)]
        rank = np.maximum(slot.astype(np.int64) - 1, 0)
        same = self.vocabulary[rank] == word_hashes
        same &= slot > 0
        out = np.where(same, rank + 1, 0).astype(np.uint64)
        shared = np.flatnonzero(slot < 0)  # a slot two vocabulary words share: search
        if shared.size:
            wanted = word_hashes[shared]
            at = np.minimum(np.searchsorted(self._sorted, wanted), self._sorted.size - 1)
            found = self._sorted[at] == wanted
            out[shared[found]] = self._order[at[found]].astype(np.uint64) + np.uint64(1)
        return out

    def word_hashes(self, codes: np.ndarray, literal_hashes: np.ndarray) -> np.ndarray:
        """The inverse of ``codes``: ``literal_hashes`` fill the zero codes, in order."""
        out = np.empty(codes.size, dtype=np.uint64)
        known = codes > 0
        if int((~known).sum()) != literal_hashes.size:
            raise ValueError("literal words do not match the record's codes")
        out[known] = self.vocabulary[(codes[known] - np.uint64(1)).astype(np.int64)]
        out[~known] = literal_hashes
        return out

    def compress(self, body: bytes) -> bytes:
        return bytes([self.ident]) + self._compressor.compress(body)

    def decompress(self, record: bytes) -> bytes:
        return self._decompressor.decompress(record[1:])


def _slot_table(vocabulary: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    """Rank + 1 of the word in each slot (low bits of its hash), -1 for a shared slot."""
    bits = max(8, int(vocabulary.size).bit_length() + 4)
    mask = np.uint64((1 << bits) - 1)
    slots = (vocabulary & mask).astype(np.intp)
    table = np.zeros(1 << bits, dtype=np.int32)
    table[slots] = np.arange(1, vocabulary.size + 1, dtype=np.int32)
    used, counts = np.unique(slots, return_counts=True)
    table[used[counts > 1]] = -1
    return table, mask


#: The built-in codec of records written before an index has a trained one.
PLAIN_CODEC = Codec(0, np.empty(0, dtype=np.uint64))


def train_codec(samples: Sequence[tuple[DocumentInfo, bytes]], shingle_size: int) -> Codec:
    """A codec for an index, from (metadata, word buffer) pairs of a first batch."""
    hashes = [hash_word_bytes(np.frombuffer(words, dtype=np.uint8)) for _, words in samples]
    values, counts = np.unique(
        np.concatenate(hashes) if hashes else np.empty(0, np.uint64), return_counts=True
    )
    common = counts >= 2
    values, counts = values[common], counts[common]
    vocabulary = values[np.lexsort((values, -counts))][:VOCABULARY_SIZE]
    codec = Codec(1, vocabulary)
    step = max(1, len(samples) // DICTIONARY_SAMPLES)
    picked = samples[::step]
    bodies = _bodies(
        [info for info, _ in picked],
        [words for _, words in picked],
        hashes[::step],
        [None] * len(picked),
        [h.size for h in hashes[::step]],
        codec,
    )
    try:
        trained = zstandard.train_dictionary(
            DICTIONARY_SIZE, [bytes(b) for b in bodies], level=ZSTD_LEVEL
        )
        dictionary = trained.as_bytes()
    except zstandard.ZstdError:  # too few or too small samples: vocabulary only
        dictionary = b""
    return Codec(1, vocabulary, dictionary)


# -- records ----------------------------------------------------------------------------------

_WORDS, _WORDS_RUNS, _WORDS_REMOVED, _SET = range(4)
#: Records encoded at once (bounds the temporary arrays of a large batch).
ENCODE_CHUNK = 500
_PATH_IS_ID = 1


def encode_record(
    info: DocumentInfo,
    words: bytes | None,
    raw: np.ndarray,
    cleaned: np.ndarray,
    shingle_size: int,
    codec: Codec,
) -> bytes:
    """The record of one document (see ``encode_records``)."""
    return encode_records([info], [words], [raw], [cleaned], shingle_size, codec)[0]


def encode_records(
    infos: Sequence[DocumentInfo],
    words: Sequence[bytes | None],
    raws: Sequence[np.ndarray],
    cleaned: Sequence[np.ndarray],
    shingle_size: int,
    codec: Codec,
    word_hashes: Sequence[np.ndarray | None] | None = None,
) -> list[bytes]:
    """The records of a batch: ``raws`` are the documents' shingle sets, ``cleaned`` the sets
    indexed (after boilerplate removal), ``words`` the word buffers they were shingled from,
    ``word_hashes`` (when known) the hashes the shingler made of those words, so they are
    not hashed again here.

    A document without words, or whose words do not rebuild its raw set exactly, gets a
    record holding its cleaned set itself. The vocabulary lookup and the packing of word
    codes run once per ``ENCODE_CHUNK`` documents.
    """
    out: list[bytes] = []
    for start in range(0, len(infos), ENCODE_CHUNK):
        end = start + ENCODE_CHUNK
        out += _encode_chunk(
            infos[start:end],
            words[start:end],
            raws[start:end],
            cleaned[start:end],
            shingle_size,
            codec,
            None if word_hashes is None else word_hashes[start:end],
        )
    return out


def _encode_chunk(
    infos: Sequence[DocumentInfo],
    words: Sequence[bytes | None],
    raws: Sequence[np.ndarray],
    cleaned: Sequence[np.ndarray],
    shingle_size: int,
    codec: Codec,
    word_hashes: Sequence[np.ndarray | None] | None,
) -> list[bytes]:
    hashes: list[np.ndarray | None] = []
    removals: list[np.ndarray | None] = []
    for row, (text, raw, kept) in enumerate(zip(words, raws, cleaned, strict=True)):
        known = None if word_hashes is None else word_hashes[row]
        found = _word_hashes(text, raw, shingle_size, known)
        hashes.append(found)
        removals.append(None if found is None else _removal(found, raw, kept, shingle_size))
    bodies = _bodies(infos, words, hashes, removals, [k.size for k in cleaned], codec)
    for row, found in enumerate(hashes):
        if found is None:  # the set itself
            bodies[row] += _varint(cleaned[row].size) + cleaned[row].astype("<u8").tobytes()
    return [codec.compress(bytes(body)) for body in bodies]


def _word_hashes(
    text: bytes | None, raw: np.ndarray, shingle_size: int, known: np.ndarray | None
) -> np.ndarray | None:
    """The hashes of the words ``raw`` was shingled from: ``known`` (the shingler's own), or
    computed and checked to rebuild ``raw``; None when there are no such words."""
    if text is None:
        return None
    if known is not None:
        return known if known.size else None
    found = hash_word_bytes(np.frombuffer(text, dtype=np.uint8))
    if found.size == 0 or not np.array_equal(shingle_hashes(found, shingle_size), raw):
        return None
    return found


def _removal(
    word_hashes: np.ndarray, raw: np.ndarray, cleaned: np.ndarray, shingle_size: int
) -> np.ndarray | None:
    """What boilerplate removal took: a mask over the text's windows (compact, as runs), or
    the removed hashes when the windows would not rebuild ``cleaned``; None: nothing."""
    if cleaned.size == raw.size:
        return None
    windows = window_hashes(word_hashes, shingle_size)
    removed = ~np.isin(windows, cleaned)
    if np.array_equal(np.unique(windows[~removed]), cleaned):
        return removed
    return np.setdiff1d(raw, cleaned, assume_unique=True)


def _bodies(
    infos: Sequence[DocumentInfo],
    words: Sequence[bytes | None],
    hashes: Sequence[np.ndarray | None],
    removals: Sequence[np.ndarray | None],
    counts: Sequence[int],
    codec: Codec,
) -> list[bytearray]:
    """Uncompressed records; those without word hashes stop after the metadata."""
    rows = [row for row, found in enumerate(hashes) if found is not None]
    coded = _code_words(codec, [hashes[r] for r in rows], [words[r] for r in rows])  # type: ignore[misc]
    pieces = dict(zip(rows, coded, strict=True))
    out = []
    for row, info in enumerate(infos):
        removal = removals[row]
        if row not in pieces:
            kind = _SET
        elif removal is None:
            kind = _WORDS
        else:
            kind = _WORDS_RUNS if removal.dtype == np.bool_ else _WORDS_REMOVED
        flags = _PATH_IS_ID if info.path == info.id else 0
        body = bytearray(_varint(kind) + _varint(flags) + _varint(info.length))
        body += _varint(counts[row])
        for name in METADATA_FIELDS[1:] if flags & _PATH_IS_ID else METADATA_FIELDS:
            value = getattr(info, name).encode("utf-8", "surrogatepass")
            body += _varint(len(value)) + value
        if row in pieces:
            size, packed, literal = pieces[row]
            body += _varint(size) + _varint(len(packed)) + packed
            body += _varint(len(literal)) + literal
            if kind == _WORDS_RUNS:
                runs = encode_varints(_runs(removal))  # type: ignore[arg-type]
                body += _varint(len(runs)) + runs
            elif kind == _WORDS_REMOVED:
                assert removal is not None
                body += _varint(removal.size) + removal.astype("<u8").tobytes()
        out.append(body)
    return out


def _code_words(
    codec: Codec, hashes: Sequence[np.ndarray], words: Sequence[bytes]
) -> list[tuple[int, bytes, bytes]]:
    """Per document: number of words, their codes as varints, the spelled-out words."""
    if not hashes:
        return []
    counts = np.fromiter((h.size for h in hashes), dtype=np.int64, count=len(hashes))
    codes = codec.codes(np.concatenate(hashes))
    packed = encode_varints(codes)
    word_at = np.concatenate(([0], np.cumsum(counts)))
    byte_at = np.concatenate(([0], np.cumsum(_varint_sizes(codes))))[word_at].tolist()
    word_at = word_at.tolist()
    unknown = codes == 0
    missing = np.add.reduceat(unknown, word_at[:-1]).tolist() if codes.size else []
    spelled = _unknown_words(words, unknown, word_at)
    out = []
    for row, text in enumerate(words):
        first, last = word_at[row], word_at[row + 1]
        if missing[row] == last - first and last > first:  # no word known: the buffer as is
            literal = text
        else:
            literal = b"\0".join(spelled[row])
        out.append((last - first, packed[byte_at[row] : byte_at[row + 1]], literal))
    return out


def _unknown_words(
    words: Sequence[bytes], unknown: np.ndarray, word_at: list[int]
) -> list[list[bytes]]:
    """Per buffer, its words at the ``unknown`` positions (over all buffers' words in order;
    buffer ``k`` holds words ``word_at[k]`` to ``word_at[k + 1]``): the word spans of all
    buffers are found in one pass over them joined by a zero byte (which keeps every word
    boundary, words being the runs of non-zero bytes)."""
    joined = b"\0".join(words)
    picked = np.flatnonzero(unknown)
    bounds = np.searchsorted(picked, word_at).tolist()
    if _speedups is not None:
        found = np.frombuffer(_speedups.word_spans(joined, picked.astype(np.int64)), np.int64)
        spans = list(zip(found[0::2].tolist(), found[1::2].tolist(), strict=True))
    else:
        spans = _word_spans_numpy(joined, picked)
    return [
        [joined[s:e] for s, e in spans[low:high]]
        for low, high in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def _word_spans_numpy(joined: bytes, picked: np.ndarray) -> list[tuple[int, int]]:
    """Byte spans ``(start, end)`` of the ``picked`` words (runs of non-zero bytes) of
    ``joined``: the reference of the C loop, and its fallback."""
    data = np.frombuffer(joined, dtype=np.uint8)
    edges = np.diff(np.concatenate(([False], data != 0, [False])).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return list(zip(starts[picked].tolist(), ends[picked].tolist(), strict=True))


def _runs(mask: np.ndarray) -> np.ndarray:
    """Lengths of alternating runs of a boolean mask, the first run being of False values."""
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    runs = np.diff(np.concatenate(([0], change, [mask.size])))
    return np.concatenate(([0], runs)) if mask.size and mask[0] else runs


def _unruns(runs: np.ndarray) -> np.ndarray:
    values = np.arange(runs.size) % 2 == 1
    return np.repeat(values, runs.astype(np.int64))


def decode_record(
    doc_id: str,
    digest: str,
    record: bytes,
    shingle_size: int,
    codec_for: Callable[[int], Codec],
) -> IndexedDocument:
    """A document back from its record (see ``decode_records``)."""
    return decode_records([(doc_id, digest, record)], shingle_size, codec_for)[0]


def decode_records(
    items: Sequence[tuple[str, str, bytes]],
    shingle_size: int,
    codec_for: Callable[[int], Codec],
) -> list[IndexedDocument]:
    """Documents back from ``(id, content hash, record)``, with their exact (cleaned) sets.

    Raises ValueError (or a zstandard error) for a record that is damaged.
    """
    parsed = []
    codes_bytes = []
    for doc_id, digest, record in items:
        codec = codec_for(record[0])
        reader = _Reader(codec.decompress(record))
        kind, flags, length, count = (reader.varint() for _ in range(4))
        names = METADATA_FIELDS[1:] if flags & _PATH_IS_ID else METADATA_FIELDS
        values = {name: reader.text() for name in names}
        values.setdefault("path", doc_id)
        info = DocumentInfo(id=doc_id, length=length, **values)
        if kind == _SET:
            shingles = np.frombuffer(reader.take(reader.varint() * 8), dtype="<u8")
            parsed.append((info, digest, kind, count, codec, 0, b"", shingles.astype(np.uint64)))
            continue
        size = reader.varint()
        codes_bytes.append(reader.sized())
        literal = reader.sized()
        extra = reader.sized() if kind == _WORDS_RUNS else None
        if kind == _WORDS_REMOVED:
            extra = reader.take(reader.varint() * 8)
        parsed.append((info, digest, kind, count, codec, size, literal, extra))
    codes = decode_varints(b"".join(codes_bytes))
    at = 0
    out = []
    for info, digest, kind, count, codec, size, literal, extra in parsed:
        if kind == _SET:
            out.append(IndexedDocument(info, digest, extra))
            continue
        mine = codes[at : at + size]
        at += size
        if mine.size != size:
            raise ValueError(f"record of {info.id!r}: codes truncated")
        literals = hash_word_bytes(np.frombuffer(literal, dtype=np.uint8))
        word_hashes = codec.word_hashes(mine, literals)
        if kind == _WORDS:
            shingles = shingle_hashes(word_hashes, shingle_size)
        elif kind == _WORDS_RUNS:
            mask = _unruns(decode_varints(extra))
            shingles = np.unique(window_hashes(word_hashes, shingle_size)[~mask])
        else:
            removed = np.frombuffer(extra, dtype="<u8").astype(np.uint64)
            raw = shingle_hashes(word_hashes, shingle_size)
            shingles = np.setdiff1d(raw, removed, assume_unique=True)
        if shingles.size != count:
            raise ValueError(f"record of {info.id!r} rebuilt {shingles.size} shingles, not {count}")
        out.append(IndexedDocument(info, digest, shingles))
    if at != codes.size:
        raise ValueError("records' codes do not add up")
    return out


def codec_named(ident: int, read_stored: Callable[[], Codec | None], target: str) -> Codec:
    """The codec a record names: the built-in one, or the index's stored one (read only then)."""
    if ident == PLAIN_CODEC.ident:
        return PLAIN_CODEC
    stored = read_stored()
    if stored is None or stored.ident != ident:
        raise IndexStoreError(f"{target}: a record names codec {ident}, not stored")
    return stored


def decode_stored(
    items: Sequence[tuple[str, str, bytes]],
    shingle_size: int,
    codec_for: Callable[[int], Codec],
    target: str,
) -> list[IndexedDocument]:
    """``decode_records`` for a backend: a damaged record is an IndexStoreError."""
    try:
        return decode_records(items, shingle_size, codec_for)
    except (ValueError, IndexError, zstandard.ZstdError) as exc:
        raise IndexStoreError(f"{target}: unreadable document record ({exc})") from exc
