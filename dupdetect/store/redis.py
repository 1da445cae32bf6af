"""The shared index on a Redis server, for several machines adding and querying at once.

Keys, under a prefix (``dupdetect`` unless the URL says ``?prefix=NAME``):

- ``P:meta``: the JSON parameter record, ``P:codec``: the codec (``base.py``); both ``SET NX``,
  so the first writer decides;
- ``P:seq``: the counter handing out document numbers (handles; never reused);
- ``P:ids``: hash, document id -> ``NUM``, a space and the content hash (16 raw bytes);
- ``P:docs``: hash, NUM -> the id (length-prefixed), the content hash (16 bytes), the number
  of its sample terms (4 bytes) and the compressed record;
- ``P:tXXXX``: the band and sample terms whose top 16 bits are ``XXXX``, as one string of
  6-byte entries (16 low bits of the term, then NUM as 32 bits, little-endian, its top bit
  set for a sample) that writers ``APPEND`` to: 65,536 keys however large the index, a few
  bytes an entry.

A batch is written in two steps, pipelined: first the entries of its new documents are
appended, grouped by key over the whole batch (one ``APPEND`` a key, not one command per
entry), under numbers nothing points at yet, so they are invisible; then one Lua script a
chunk of documents compares each document's content hash and, unless unchanged, points its
id at its new number and stores its record. That script is atomic, so concurrent writers
never see or leave half a document (a writer killed between the steps leaves only entries
of numbers that never resolve). Entries of a
replaced or removed document are not rewritten: its number simply no longer resolves (the
lookup drops it), and ``P:dead`` counts such numbers. Needs a single Redis server (not
Cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ..errors import IndexStoreError, IndexUnavailableError, NotAnIndexError
from .base import (
    IndexedDocument,
    IndexParams,
    StoredDocument,
    WriteCounts,
    term_members,
)
from .records import Codec, codec_named, decode_stored

#: A term's top bits pick its bucket (a hash of packed entries), the rest are kept per entry.
BUCKET_BITS = 16
LOW_BITS = 32 - BUCKET_BITS

_WRITE = """
local p, n, first = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local ids, docs = p .. ':ids', p .. ':docs'
local out, dead = {}, 0
for d = 1, n do
  local value = ARGV[d + 3]
  local size = struct.unpack('<I4', value)
  local id, digest = string.sub(value, 5, 4 + size), string.sub(value, 5 + size, 20 + size)
  local num = string.format('%d', first + d - 1)
  local old = redis.call('HGET', ids, id)
  local result = 1
  if old then
    local space = string.find(old, ' ', 1, true)
    if string.sub(old, space + 1) == digest then
      result = 0
    else
      redis.call('HDEL', docs, string.sub(old, 1, space - 1))
      result = 2
    end
  end
  if result == 0 then
    dead = dead + 1
  else
    if result == 2 then dead = dead + 1 end
    redis.call('HSET', ids, id, num .. ' ' .. digest)
    redis.call('HSET', docs, num, value)
  end
  out[d] = result
end
if dead > 0 then redis.call('INCRBY', p .. ':dead', dead) end
return out
"""

_APPEND = """
local p, names, sizes, blob = ARGV[1] .. ':t', ARGV[2], ARGV[3], ARGV[4]
local at = 1
for k = 1, #names / 4 do
  local size = tonumber(string.sub(sizes, 6 * k - 5, 6 * k), 16)
  local key = p .. string.sub(names, 4 * k - 3, 4 * k)
  redis.call('APPEND', key, string.sub(blob, at, at + size - 1))
  at = at + size
end
return at - 1
"""

_DELETE = """
local p = ARGV[1]
local ids, docs = p .. ':ids', p .. ':docs'
local removed = 0
for i = 2, #ARGV do
  local old = redis.call('HGET', ids, ARGV[i])
  if old then
    redis.call('HDEL', docs, string.sub(old, 1, string.find(old, ' ', 1, true) - 1))
    redis.call('HDEL', ids, ARGV[i])
    removed = removed + 1
  end
end
if removed > 0 then redis.call('INCRBY', p .. ':dead', removed) end
return removed
"""

#: Documents per Lua call that makes documents live (and per id pre-check).
PIPELINE_DOCS = 1000
#: Term keys appended to per Lua call (each call blocks the server for ~10 ms).
APPEND_KEYS = 5000
#: One entry in a term string: low 16 bits of the term, then the document number, whose
#: top bit says whether the term is a band (0) or a sample (1).
ENTRY = np.dtype([("low", "<u2"), ("num", "<u4")])
_SAMPLE = np.uint32(1 << 31)


def mask_url(url: str) -> str:
    """``url`` with any user name and password replaced by ``***`` (safe to print)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


class RedisStore:
    """An index on a Redis server, from a ``redis://[user:password@]host:port/db`` URL."""

    def __init__(self, url: str) -> None:
        import redis

        self.target = mask_url(url)
        self._secrets = [s for s in (urlsplit(url).password, urlsplit(url).username) if s]
        plain_url, self.prefix = _split_prefix(url)
        try:
            self._redis = redis.Redis.from_url(plain_url, socket_timeout=60)
            self._redis.ping()
            self._write_script = self._redis.register_script(_WRITE)
            self._append_script = self._redis.register_script(_APPEND)
            self._delete_script = self._redis.register_script(_DELETE)
        except (redis.RedisError, ValueError) as exc:
            raise IndexUnavailableError(
                f"cannot use the index at {self.target}: {self._scrub(exc)}"
            ) from exc
        self._errors = redis.RedisError
        self._names = [b"%04x" % bucket for bucket in range(1 << BUCKET_BITS)]
        self._params: IndexParams | None = None
        self._codec: Codec | None = None
        self.read_params()  # refuses an index of another format version at once

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _scrub(self, exc: BaseException) -> str:
        text = str(exc)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _call(self, function, *args):  # type: ignore[no-untyped-def]
        """Run one Redis operation; errors become IndexUnavailableError without credentials."""
        try:
            return function(*args)
        except self._errors as exc:
            raise IndexUnavailableError(f"index {self.target}: {self._scrub(exc)}") from exc

    # -- parameters and codec --------------------------------------------------------------

    def read_params(self) -> IndexParams | None:
        record = self._call(self._redis.get, self._key("meta"))
        if record is None:
            if self._call(self._redis.exists, self._key("ids"), self._key("docs")):
                raise NotAnIndexError(f"{self.target} is not a dupdetect index (no meta record)")
            self._params = None
            return None
        self._params = IndexParams.from_json(record, self.target)
        return self._params

    def create_params(self, params: IndexParams) -> IndexParams:
        self._call(lambda: self._redis.set(self._key("meta"), params.to_json(), nx=True))
        stored = self.read_params()
        if stored is None:
            raise IndexStoreError(f"index {self.target}: the meta record vanished")
        return stored

    def read_codec(self) -> Codec | None:
        if self._codec is None:
            data = self._call(self._redis.get, self._key("codec"))
            self._codec = Codec.from_bytes(data, self.target) if data else None
        return self._codec

    def create_codec(self, codec: Codec) -> Codec:
        self._call(lambda: self._redis.set(self._key("codec"), codec.to_bytes(), nx=True))
        stored = self.read_codec()
        if stored is None:
            raise IndexStoreError(f"index {self.target}: the codec record vanished")
        return stored

    # -- writes ----------------------------------------------------------------------------

    def write(self, docs: Sequence[StoredDocument]) -> WriteCounts:
        """Pre-check ids, append the new documents' entries (grouped by key over the whole
        batch: one ``APPEND`` a key), then make the documents live, one script a chunk."""
        counts = WriteCounts()
        if not docs:
            return counts
        pipe = self._redis.pipeline(transaction=False)
        for start in range(0, len(docs), PIPELINE_DOCS):
            pipe.hmget(self._key("ids"), [d.info.id for d in docs[start : start + PIPELINE_DOCS]])
        pipe.incrby(self._key("seq"), len(docs))
        *found, last = self._call(pipe.execute)
        olds = [old for chunk in found for old in chunk]
        todo = [
            doc
            for doc, old in zip(docs, olds, strict=True)
            if old is None or old.split(b" ", 1)[1] != bytes.fromhex(doc.content_hash)
        ]
        counts.unchanged = len(docs) - len(todo)
        if not todo:
            return counts
        first = last - len(docs) + 1
        nums = list(range(first, first + len(todo)))
        names, sizes, blob = self._entries(todo, nums)
        pipe = self._redis.pipeline(transaction=False)
        at = 0
        for start in range(0, len(names), APPEND_KEYS):
            part = sizes[start : start + APPEND_KEYS]
            size = sum(part)
            args = [
                self.prefix,
                b"".join(names[start : start + APPEND_KEYS]),
                b"".join(b"%06x" % n for n in part),
                blob[at : at + size],
            ]
            self._append_script([], args, client=pipe)
            at += size
        calls = 0
        for start in range(0, len(todo), PIPELINE_DOCS):  # one argument a document: its value
            part = todo[start : start + PIPELINE_DOCS]
            args: list[object] = [self.prefix, len(part), nums[start]]
            args += [_value(doc) for doc in part]
            self._write_script([], args, client=pipe)
            calls += 1
        replies = self._call(pipe.execute)
        for outcome in (o for reply in replies[len(replies) - calls :] for o in reply):
            if outcome == 0:
                counts.unchanged += 1
            elif outcome == 2:
                counts.replaced += 1
            else:
                counts.added += 1
        return counts

    def _entries(
        self, docs: Sequence[StoredDocument], nums: list[int]
    ) -> tuple[list[bytes], list[int], bytes]:
        """The term entries of ``docs`` grouped by key: key names, bytes per key, the bytes."""
        terms = [d.band_terms for d in docs] + [d.sample_terms for d in docs]
        sizes = np.fromiter((t.size for t in terms), dtype=np.int64, count=len(terms))
        if nums and nums[-1] >= int(_SAMPLE):
            raise IndexStoreError(f"index {self.target}: document numbers exhausted")
        owners = np.concatenate((nums, np.asarray(nums, dtype=np.int64) | int(_SAMPLE)))
        buckets, low = split_terms(np.concatenate(terms))
        keys = buckets.astype(np.uint16) if BUCKET_BITS <= 16 else buckets  # 16 bits: radix
        order = np.argsort(keys, kind="stable")
        entries = np.empty(low.size, dtype=ENTRY)
        entries["low"] = low[order]
        entries["num"] = np.repeat(owners.astype(np.uint32), sizes)[order]
        buckets = buckets[order]
        starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
        counts = np.diff(np.concatenate((starts, [buckets.size]))) * ENTRY.itemsize
        names = [self._names[b] for b in buckets[starts].tolist()]
        return names, counts.tolist(), entries.tobytes()

    def delete(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return int(self._call(self._delete_script, [], [self.prefix, *ids]))

    # -- reads -----------------------------------------------------------------------------

    def band_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        return self._members(0, terms, limit)

    def sample_members(self, terms: Sequence[int], limit: int) -> list[list[int]]:
        return self._members(int(_SAMPLE), terms, limit)

    def _members(self, kind: int, terms: Sequence[int], limit: int) -> list[list[int]]:
        """Numbers holding each term (dead ones included; ``fetch`` drops them)."""
        wanted = np.asarray(terms, dtype=np.uint32)
        if wanted.size == 0:
            return []
        buckets = np.unique(split_terms(wanted)[0]).tolist()
        prefix = self.prefix.encode("utf-8") + b":t"
        rows = self._call(self._redis.mget, [prefix + self._names[b] for b in buckets])
        parts = [np.frombuffer(row or b"", dtype=ENTRY) for row in rows]
        sizes = [part.size for part in parts]
        entries = np.concatenate(parts)
        owners = np.repeat(np.asarray(buckets, dtype=np.uint32), sizes)
        mine = (entries["num"] & _SAMPLE) == kind
        found = (owners[mine] << np.uint32(LOW_BITS)) | entries["low"][mine].astype(np.uint32)
        nums = (entries["num"][mine] & ~_SAMPLE).astype(np.int64)
        return term_members(wanted, found, nums, limit)

    def sample_counts(self, handles: Sequence[int]) -> dict[int, int]:
        wanted = sorted({int(h) for h in handles})
        if not wanted:
            return {}
        values = self._call(self._redis.hmget, self._key("docs"), wanted)
        out = {}
        for num, value in zip(wanted, values, strict=True):
            if value is not None:
                at = 20 + int.from_bytes(value[:4], "little")
                out[num] = int.from_bytes(value[at : at + 4], "little")
        return out

    def fetch(self, handles: Sequence[int]) -> dict[int, IndexedDocument]:
        wanted = sorted({int(h) for h in handles})
        if not wanted:
            return {}
        params = self._params or self.read_params()
        if params is None:
            return {}
        values = self._call(self._redis.hmget, self._key("docs"), wanted)
        nums, items = [], []
        for num, value in zip(wanted, values, strict=True):
            if value is None:  # replaced or removed
                continue
            size = int.from_bytes(value[:4], "little")
            doc_id = value[4 : 4 + size].decode("utf-8", "surrogatepass")
            nums.append(num)
            items.append((doc_id, value[4 + size : 20 + size].hex(), value[24 + size :]))
        documents = decode_stored(items, params.shingle_size, self._codec_for, self.target)
        return dict(zip(nums, documents, strict=True))

    def _codec_for(self, ident: int) -> Codec:
        return codec_named(ident, self.read_codec, self.target)

    def count(self) -> int:
        return int(self._call(self._redis.hlen, self._key("ids")))

    def usage(self) -> dict[str, object]:
        memory = self._call(self._redis.info, "memory")
        dead = self._call(self._redis.get, self._key("dead"))
        codec = self.read_codec()
        return {
            "server_used_memory_bytes": memory.get("used_memory"),
            "prefix": self.prefix,
            "dead_documents": int(dead or 0),
            "vocabulary_words": int(codec.vocabulary.size) if codec else 0,
        }

    def close(self) -> None:
        self._redis.close()


def _split_prefix(url: str) -> tuple[str, str]:
    """Take dupdetect's own ``prefix`` query parameter out of a Redis URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    prefix = next((v for k, v in query if k == "prefix"), "dupdetect")
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


def _value(doc: StoredDocument) -> bytes:
    """What ``P:docs`` holds of a document: its id (length-prefixed), content hash (16 raw
    bytes), number of sample terms (4 bytes) and record; the write script takes the id and
    the hash from it too."""
    doc_id = doc.info.id.encode("utf-8", "surrogatepass")
    return b"".join(
        (
            len(doc_id).to_bytes(4, "little"),
            doc_id,
            bytes.fromhex(doc.content_hash),
            doc.sample_terms.size.to_bytes(4, "little"),
            doc.record,
        )
    )


def split_terms(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, low bits) of 32-bit terms."""
    terms = np.asarray(terms, dtype=np.uint32)
    return terms >> np.uint32(LOW_BITS), terms & np.uint32((1 << LOW_BITS) - 1)
