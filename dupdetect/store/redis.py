"""The shared index on a Redis server, for several machines adding and querying at once.

Keys, under a prefix (``dupdetect`` unless the URL says ``?prefix=NAME``):

- ``P:meta``: the JSON parameter record (``SET NX``: the first writer decides);
- ``P:docs``: the set of document ids;
- ``P:doc:ID``: a hash per document (metadata, ``content_hash``, ``shingles`` and
  ``signature`` as raw numpy bytes, and ``buckets``, the names of its bucket and sample sets);
- ``P:b:BAND:KEY``: an LSH bucket, the set of ids whose band ``BAND`` hashes to ``KEY``
  (datasketch ``MinHashLSH`` semantics: one set of keys per band and band hash);
- ``P:s:SAMPLE``: the ids of the documents holding a containment sample.

Each document is written by one Lua script (compare content hash, drop the old entries,
add the new), so it is atomic: concurrent writers never see or leave half a document, and
the scripts for a batch go out in one pipeline. Needs a single Redis server (not Cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ..errors import IndexStoreError, IndexUnavailableError, NotAnIndexError
from ..workers import DocumentInfo
from .base import (
    METADATA_FIELDS,
    IndexedDocument,
    IndexParams,
    StoredDocument,
    WriteCounts,
    shingles_from_bytes,
)

_WRITE = """
local p, id, digest = ARGV[1], ARGV[2], ARGV[3]
local dockey = p .. ':doc:' .. id
local old = redis.call('HGET', dockey, 'content_hash')
if old == digest then return 0 end
local result = 1
if old then
  for b in string.gmatch(redis.call('HGET', dockey, 'buckets') or '', '%S+') do
    redis.call('SREM', p .. ':' .. b, id)
  end
  redis.call('DEL', dockey)
  result = 2
end
for b in string.gmatch(ARGV[4], '%S+') do redis.call('SADD', p .. ':' .. b, id) end
redis.call('HSET', dockey, 'content_hash', digest, 'buckets', ARGV[4], unpack(ARGV, 5))
redis.call('SADD', p .. ':docs', id)
return result
"""

_DELETE = """
local p, id = ARGV[1], ARGV[2]
local dockey = p .. ':doc:' .. id
local buckets = redis.call('HGET', dockey, 'buckets')
if not buckets then return 0 end
for b in string.gmatch(buckets, '%S+') do redis.call('SREM', p .. ':' .. b, id) end
redis.call('DEL', dockey)
redis.call('SREM', p .. ':docs', id)
return 1
"""

#: Documents per pipeline round trip.
PIPELINE_DOCS = 500


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
            self._delete_script = self._redis.register_script(_DELETE)
        except (redis.RedisError, ValueError) as exc:
            raise IndexUnavailableError(
                f"cannot use the index at {self.target}: {self._scrub(exc)}"
            ) from exc
        self._errors = redis.RedisError

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

    # -- parameters ------------------------------------------------------------------------

    def read_params(self) -> IndexParams | None:
        record = self._call(self._redis.get, self._key("meta"))
        if record is None:
            if self._call(self._redis.exists, self._key("docs")):
                raise NotAnIndexError(f"{self.target} is not a dupdetect index (no meta record)")
            return None
        return IndexParams.from_json(record, self.target)

    def create_params(self, params: IndexParams) -> IndexParams:
        self._call(lambda: self._redis.set(self._key("meta"), params.to_json(), nx=True))
        stored = self.read_params()
        if stored is None:
            raise IndexStoreError(f"index {self.target}: the meta record vanished")
        return stored

    # -- writes ----------------------------------------------------------------------------

    def write(self, docs: Sequence[StoredDocument]) -> WriteCounts:
        counts = WriteCounts()
        for start in range(0, len(docs), PIPELINE_DOCS):
            pipe = self._redis.pipeline(transaction=False)
            for doc in docs[start : start + PIPELINE_DOCS]:
                self._write_script(args=self._write_args(doc), client=pipe)
            for outcome in self._call(pipe.execute):
                if outcome == 0:
                    counts.unchanged += 1
                elif outcome == 2:
                    counts.replaced += 1
                else:
                    counts.added += 1
        return counts

    def _write_args(self, doc: StoredDocument) -> list[object]:
        info = doc.info
        buckets = [f"b:{band}:{key:016x}" for band, key in enumerate(doc.band_keys.tolist())]
        buckets += [f"s:{sample:016x}" for sample in doc.samples.tolist()]
        fields: list[object] = []
        for name in METADATA_FIELDS:
            fields += [name, getattr(info, name)]
        fields += ["length", info.length]
        fields += ["shingles", np.ascontiguousarray(doc.shingles, dtype=np.uint64).tobytes()]
        fields += ["signature", np.ascontiguousarray(doc.signature, dtype=np.uint32).tobytes()]
        return [self.prefix, info.id, doc.content_hash, " ".join(buckets), *fields]

    def delete(self, ids: Sequence[str]) -> int:
        pipe = self._redis.pipeline(transaction=False)
        for doc_id in ids:
            self._delete_script(args=[self.prefix, doc_id], client=pipe)
        return int(sum(self._call(pipe.execute)))

    # -- reads -----------------------------------------------------------------------------

    def bucket_members(self, keys: Sequence[tuple[int, int]], limit: int) -> list[list[str]]:
        return self._members(
            [self._key("b", str(band), f"{key:016x}") for band, key in keys], limit
        )

    def sample_members(self, samples: Sequence[int], limit: int) -> list[list[str]]:
        return self._members([self._key("s", f"{int(s):016x}") for s in samples], limit)

    def _members(self, names: list[str], limit: int) -> list[list[str]]:
        """Members of each set; a set larger than ``limit`` gives ``limit`` of its members."""
        pipe = self._redis.pipeline(transaction=False)
        for name in names:
            pipe.scard(name)
        sizes = self._call(pipe.execute)
        pipe = self._redis.pipeline(transaction=False)
        for name, size in zip(names, sizes, strict=True):
            if size <= limit:
                pipe.smembers(name)
            else:
                pipe.srandmember(name, limit)
        return [sorted(m.decode("utf-8") for m in found) for found in self._call(pipe.execute)]

    def fetch(self, ids: Sequence[str]) -> list[IndexedDocument]:
        pipe = self._redis.pipeline(transaction=False)
        for doc_id in ids:
            pipe.hgetall(self._key("doc", doc_id))
        out = []
        for doc_id, record in zip(ids, self._call(pipe.execute), strict=True):
            if record:
                out.append(_document(doc_id, record))
        return out

    def count(self) -> int:
        return int(self._call(self._redis.scard, self._key("docs")))

    def usage(self) -> dict[str, object]:
        memory = self._call(self._redis.info, "memory")
        return {"server_used_memory_bytes": memory.get("used_memory"), "prefix": self.prefix}

    def close(self) -> None:
        self._redis.close()


def _document(doc_id: str, record: dict[bytes, bytes]) -> IndexedDocument:
    text = {k.decode(): v for k, v in record.items() if k not in (b"shingles", b"signature")}
    values = {name: text.get(name, b"").decode("utf-8") for name in METADATA_FIELDS}
    info = DocumentInfo(
        id=doc_id,
        path=values["path"],
        title=values["title"],
        source=values["source"],
        url=values["url"],
        date=values["date"],
        length=int(text.get("length", b"0")),
        wire=values["wire"],
    )
    digest = text.get("content_hash", b"").decode()
    return IndexedDocument(info, digest, shingles_from_bytes(record[b"shingles"]))


def _split_prefix(url: str) -> tuple[str, str]:
    """Take dupdetect's own ``prefix`` query parameter out of a Redis URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    prefix = next((v for k, v in query if k == "prefix"), "dupdetect")
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix
