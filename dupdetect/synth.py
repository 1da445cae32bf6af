"""Deterministic synthetic syndication corpus with exact duplicate truth.

Every article is a pure function of ``(seed, position)`` and a compact plan that says which
story each position carries and in which role: a singleton, an original, a syndicated copy
(dateline, footer, new headline, teaser, dropped or swapped paragraph, typos) or a hard
negative (another article about a clustered story's event that shares its names and one
quote). About half of all articles are wrapped in their site's boilerplate. Articles are
streamed, so a million of them never sit in memory, and the text at a position does not
depend on ``n_docs``; only a cluster cut short by the end of the corpus loses members.
Randomness comes from SplitMix64 hashes of per-story, per-event and per-position keys (and
``random.Random`` for the plan), not from numpy's generators, so it is also stable across
numpy versions. Stories are made in batches, with numpy, for speed.

Example:
    >>> docs = list(generate(20, seed=1))
    >>> [d.id for d in docs[:2]], docs == list(generate(20, seed=1))
    (['d0000000', 'd0000001'], True)
"""

from __future__ import annotations

import bisect
import hashlib
import json
import multiprocessing
import random
import shutil
from array import array
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 1
N_SITES = 50
SHARD_SIZE = 1000
BOILERPLATE_RATE = 0.5
HARD_NEGATIVE_RATE = 0.05
CLUSTER_SIZE_WEIGHTS = (0.45, 0.22, 0.12, 0.08, 0.06, 0.04, 0.03)  # sizes 2..8
MIN_TEASER_WORDS = 150
_EPOCH = 1672531200  # 2023-01-01T00:00:00Z; stories fall within the two years after
_SINGLETON, _ORIGINAL, _COPY, _HARD_NEG = 0, 1, 2, 3

_FUNCTION = """the of and to a in that is for on it with as was he be by at said from his an
have has are were they but not this which their will had would who been its or more after
about also than one up two new when there we out other over into last first year people she
her can could some all what no three them time our if only told state years while before most
now just against because between during under since where those such many through off these
may so any then both several including being do did own each still until even another without
much very well back down how next""".split()
_CONTENT = """government officials police president minister country week month day report
company market million court law public health city national former plan program group members
local spokesman statement election vote campaign party leader leaders security military forces
attack killed border economy prices inflation rate rates bank banks interest growth jobs workers
union strike energy oil gas power climate weather storm flooding fire water school schools
students teachers university research study scientists data hospital patients doctors virus
vaccine care insurance budget tax taxes spending deficit debt bill senate house congress
lawmakers committee hearing investigation charges trial judge jury lawyer lawyers prosecutors
case evidence prison sentence victims families children women men community residents
neighborhood town county district region area home homes housing rent construction project
plans proposal agreement deal talks negotiations meeting summit agency department office service
services system network technology software internet users phone online platform social media
video news press reporters story interview comments decision ruling order policy rules
regulations change changes reform support opposition protest protesters crowd rally rights
freedom war peace troops soldiers army navy weapons missile nuclear sanctions trade exports
imports tariffs goods products sales revenue profit profits shares stock stocks investors
analysts quarter earnings chief executive board director manager team players season game games
match coach fans league title championship win victory loss record points goals history culture
music film art festival book museum church food farmers crops drought land river bridge road
roads traffic train airport flight flights passengers travel tourism hotel beach park island
coast village capital province federal ministry council mayor governor candidate candidates
voters ballot polls turnout result results majority coalition parliament administration official
sources source average level levels number numbers total cost costs price value money funds
funding cash loan loans industry business businesses firm firms factory plant production supply
demand shortage crisis emergency disaster relief aid effort efforts response recovery damage
accident crash injuries death deaths dead injured rescue search missing suspect suspects arrest
arrested shooting gunman victim officer officers detectives motive incident scene witnesses
footage spokeswoman spokesperson representative chairman secretary ambassador embassy foreign
domestic international global regional economic political financial legal medical private major
small large high low long short early late recent current previous future key top main final
full free open closed strong weak higher lower larger smaller better worse likely possible
important critical serious significant nearly around almost fewer less least say says added
announced reported expected agreed called asked warned urged claimed denied confirmed rejected
approved passed signed launched opened raised cut rose fell increased dropped gained lost won
took made gave came went began started ended continued remained showed found saw left kept held
led met paid sent set brought built bought sold spent moved helped worked played wants needs
hopes seeks faces""".split()
_FIRST = """James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Carlos Maria Ahmed Fatima Wei Mei Hiroshi Yuki Olga
Ivan Pierre Claire Hans Greta Rahul Priya Kwame Amara Diego Lucia Omar Leila Sean Aoife Lars
Ingrid Tomas Elena Kofi Nia Marco Giulia Daniel Rachel Samuel Grace Andre Sofia Victor Nadia
Paul Helen Peter Anna""".split()
_LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Wilson Anderson Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson
Walker Young Allen King Wright Scott Nguyen Hill Adams Baker Nelson Carter Mitchell Perez Roberts
Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers Okafor
Mensah Kowalski Novak Schmidt Dubois Rossi Tanaka Sato Kim Park Chen Wang Singh Patel Khan Ali
Haddad Costa Silva Ferreira Jensen Larsen Olsen Murray""".split()
_CITIES = """WASHINGTON|NEW YORK|CHICAGO|LOS ANGELES|HOUSTON|PHOENIX|DALLAS|ATLANTA|BOSTON|DETROIT
|SEATTLE|DENVER|MIAMI|SPRINGFIELD, Ill.|COLUMBUS, Ohio|SACRAMENTO, Calif.|ALBANY, N.Y.|TRENTON,
N.J.|RALEIGH, N.C.|AUSTIN, Texas|PORTLAND, Ore.|MADISON, Wis.|DES MOINES, Iowa|LITTLE ROCK, Ark.
|TALLAHASSEE, Fla.|RICHMOND, Va.|NASHVILLE, Tenn.|HARTFORD, Conn.|SANTA FE, N.M.|BOISE, Idaho
|LONDON|PARIS|BERLIN|TOKYO|BEIJING|NAIROBI|CAIRO|SYDNEY|MEXICO CITY|BRUSSELS|GENEVA|NEW DELHI
|SAO PAULO|LAGOS|SEOUL|MADRID|ROME|OTTAWA|JOHANNESBURG|WARSAW""".replace("\n", " ")
_CITY_LIST = [c.strip().replace("  ", " ") for c in _CITIES.split("|")]
_SECTIONS = "News World Politics Business Tech Sports Opinion Health Science Arts Local Weather"
_PAPERS = "Herald Courier Gazette Tribune Post Times Ledger Chronicle Daily Observer".split()
_ORG_SUFFIX = "Holdings|Group|Corp.|Institute|Foundation|Authority|Council|Partners|Energy|Bank"
_SMALL = ("in", "to", "of", "for", "on", "as", "after", "over")


def _pseudo_words(count: int, seed: int, exclude: set[str]) -> list[str]:
    """Make pronounceable invented words from syllables (fixed, independent of any seed)."""
    onsets = "b br c ch d dr f fl g gr h j k l m n p pl pr r s sh st t tr v w z".split()
    nuclei, codas = "a e i o u ai ea ou".split(), ",,n,r,l,s,t,m,nd,rt,st".split(",")
    rnd, out, seen = random.Random(seed), [], set(exclude)
    while len(out) < count:
        syllables = 2 if rnd.random() < 0.75 else 3
        w = "".join(
            _pick(xs, rnd.random()) for _ in range(syllables) for xs in (onsets, nuclei, codas)
        )
        if w not in seen and 4 <= len(w) <= 12:
            seen.add(w)
            out.append(w)
    return out


def _pick(xs: list | tuple, x: float):
    """The element of ``xs`` at uniform ``x`` in [0, 1)."""
    return xs[int(x * len(xs))]


_REAL = list(dict.fromkeys(_FUNCTION + _CONTENT))  # function words take the top Zipf ranks
_N_FUNC = len(set(_FUNCTION))
_PSEUDO = _pseudo_words(3000, 7, set(_REAL))
_VOCAB = np.array(_REAL + _PSEUDO, dtype=object)
_ZIPF = 1.0 / np.arange(1, len(_VOCAB) + 1)
_CDF = np.cumsum(_ZIPF) / _ZIPF.sum()
_TABLE_BITS = 16  # inverse-CDF lookup table: int16 and small, so it stays in cache
_TABLE = np.searchsorted(_CDF, (np.arange(1 << _TABLE_BITS) + 0.5) / (1 << _TABLE_BITS))
_TABLE = _TABLE.astype(np.int16)
_SHIFT = np.uint64(64 - _TABLE_BITS)
_GOLDEN, _MIX1, _MIX2 = (
    np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
)
_U11, _U16, _U27, _U30, _U31, _U32 = (np.uint64(k) for k in (11, 16, 27, 30, 31, 32))
_LOW16, _LOW32 = np.uint64(0xFFFF), np.uint64(0xFFFFFFFF)
_MAX_SENT = 140  # most sentences a story can have
_COUNTER = np.arange(4 * _MAX_SENT, dtype=np.uint64)
_TOKENS = np.uint64(1000)  # first counter of a story's token stream
_STORIES: dict[tuple[int, int, int], _Story] = {}  # recent stories, oldest first
_EVENTS: dict[tuple[int, int], _Event] = {}
_CONTENT_CDF = (np.cumsum(_ZIPF[_N_FUNC:]) / _ZIPF[_N_FUNC:].sum()).tolist()[:-1]
_CONTENT_WORDS = _VOCAB[_N_FUNC:].tolist()
_SURNAMES = _LAST + [w.capitalize() for w in _pseudo_words(1500, 11, set(_REAL + _PSEUDO))]
_STATES = ["Ohio", "Texas", "Iowa", "Pa.", "Mich.", "Ga."] * 10
_CITY_LIST += [
    f"{w.upper()}, {st}" for w, st in zip(_pseudo_words(60, 13, set()), _STATES, strict=True)
]


@dataclass(frozen=True)
class SynthArticle:
    """One synthetic article with its ground truth.

    Attributes:
        id: ``d0000042``: the corpus position, zero-padded.
        title: Headline.
        text: Body paragraphs (with boilerplate if wrapped) joined by blank lines.
        source: Site name such as ``site-07.example``.
        date: ISO 8601 UTC timestamp; copies are dated after their original.
        cluster: Id of the original story for its copies and itself; None for singletons.
        edits: Edits applied, e.g. ``("dateline:AP", "truncate:0.3", "boilerplate:site-07")``;
            hard negatives carry ``hard_negative:<id of the story they are about>``.
    """

    id: str
    title: str
    text: str
    source: str
    date: str
    cluster: str | None
    edits: tuple[str, ...]


@dataclass
class CorpusInfo:
    """Summary of a written corpus, also stored as ``manifest.json``."""

    n_docs: int
    seed: int
    fmt: str
    dup_fraction: float
    n_clusters: int
    n_clustered_docs: int
    n_hard_negatives: int
    cluster_sizes: dict[str, int]
    edit_counts: dict[str, int]
    total_bytes: int
    generator_version: int = GENERATOR_VERSION


@dataclass(frozen=True)
class _Event:
    ts: int
    people: tuple[str, ...]
    mentions: tuple[str, ...]  # full names, surnames (twice), organisation (twice), town
    place: str  # dateline form: "SPRINGFIELD, Ill."
    topic: tuple[str, ...]
    special: np.ndarray  # 100 slots: 30 entities, 53 topic words, 17 "" (= draw a number)
    quote: str


@dataclass(frozen=True)
class _Story:
    title: str
    paras: tuple[str, ...]
    ts: int


def _make_site(i: int) -> tuple[str, str, str, str]:
    """Fixed nav line, share line, newsletter prompt and copyright footer of site ``i``."""
    rnd = random.Random(1000 + i)
    name = f"The {_pick(_PSEUDO[:500], rnd.random()).capitalize()} {_PAPERS[i % len(_PAPERS)]}"
    sections = " | ".join(s for s in _SECTIONS.split() if rnd.random() < 0.6)
    share = ["Share this article: Facebook X Email", "Share on Facebook | Share on X | Print"]
    share.append("Share | Tweet | Email this story")
    edition = ["Morning", "Daily", "Evening"][i % 3]
    return (
        f"{name} | Home | {sections} | Subscribe",
        share[i % 3],
        f"Get the {name} {edition} Briefing in your inbox. Sign up now.",
        f"© {2018 + i % 6} {name} Media Group. All rights reserved. Terms of Use | Privacy Policy",
    )


_SITES = [_make_site(i) for i in range(N_SITES)]


def _draws(seed: int, key: int, tag: str, n: int) -> Iterator[float]:
    """``n`` uniforms in [0, 1) of the random stream ``tag`` of ``key`` (a unit or position)."""
    h = _hash(np.array([_key(seed, key, tag)], np.uint64), _COUNTER[:n])
    return iter(_uniform(h).tolist())


def doc_id(pos: int) -> str:
    """The article id of corpus position ``pos``."""
    return f"d{pos:07d}"


def corpus_key(article_id: str, fmt: str) -> str:
    """The id dupdetect sees: ``000/d0000042.txt`` (path under ``docs/``) or the jsonl id."""
    if fmt != "txt":
        return article_id
    return f"{int(article_id[1:]) // SHARD_SIZE:03d}/{article_id}.txt"


def _key(seed: int, unit: int, tag: str) -> int:
    """A 64-bit key for the random stream ``tag`` of ``unit``."""
    d = hashlib.blake2b(f"{seed}:{unit}:{tag}".encode(), digest_size=8).digest()
    return int.from_bytes(d, "little")


def _hash(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """SplitMix64 of ``key + counter * golden``: independent 64-bit values, broadcast."""
    z = keys + counters * _GOLDEN  # uint64 arithmetic wraps around
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return z ^ (z >> _U31)


def _uniform(h: np.ndarray) -> np.ndarray:
    """Floats in [0, 1) from 64-bit hashes."""
    return (h >> _U11) * (1.0 / (1 << 53))


def _events(seed: int, es: list[int]) -> list[_Event]:
    """Events ``es`` (made together on a cache miss): names, place, topic, date, quote."""
    todo = list(dict.fromkeys(e for e in es if (seed, e) not in _EVENTS))
    if todo:
        keys = np.array([_key(seed, e, "event") for e in todo], np.uint64)
        h = _hash(keys[:, None], _COUNTER[:64])
        quotes = _VOCAB[_TABLE[h[:, 28:53] >> _SHIFT]].tolist()
        for e, u, words in zip(todo, _uniform(h).tolist(), quotes, strict=True):
            _EVENTS[seed, e] = _make_event(u, words)
        while len(_EVENTS) > 16384:
            _EVENTS.pop(next(iter(_EVENTS)), None)
    return [_EVENTS[seed, e] for e in es]


def _make_event(u: list[float], words: list[str]) -> _Event:
    """An event from 64 uniforms and 25 Zipf words (for its quote)."""
    people = tuple(
        f"{_pick(_FIRST, u[1 + i])} {_pick(_SURNAMES, u[5 + i])}" for i in range(2 + int(u[0] * 3))
    )
    place = _pick(_CITY_LIST, u[9])
    org = f"{_pick(_PSEUDO, u[10]).capitalize()} {_pick(_ORG_SUFFIX.split('|'), u[11])}"
    surnames = tuple(p.split()[-1] for p in people)
    mentions = (*people, *surnames, *surnames, org, org, place.split(",")[0].title())
    topic = tuple(_CONTENT_WORDS[int(x * 1500)] for x in u[16:28])
    special = np.array([*(mentions * 5)[:30], *(topic * 5)[:53], *[""] * 17], dtype=object)
    words = words[: 15 + int(u[12] * 11)]
    words[int(u[14] * len(words))] = _pick(mentions, u[15])
    quote = " ".join(" ".join(words).split(" ")[: len(words)])  # 15-25 words
    ts = _EPOCH + int(u[13] * 730 * 86400)
    return _Event(ts, people, mentions, place, topic, special, quote[0].upper() + quote[1:])


def _number(v: float) -> str:
    """A count, amount, percentage, sum of money or year from a uniform ``v``."""
    kind, v = int(v * 5), v * 5 % 1
    if kind < 2:
        return str(int(2 + v * 98)) if kind == 0 else f"{int(100 + v * 9900):,}"
    return (f"{v * 20:.1f} percent", f"${1 + v * 99:.1f} million", str(1990 + int(v * 35)))[
        kind - 2
    ]


def _headline(u: list[float], ev: _Event) -> str:
    """A title-cased headline of 6-10 words (topic, filler, content words, an entity)."""
    words = [
        ev.topic[int(x / 0.4 * 12)]
        if x < 0.4
        else _SMALL[int((x - 0.4) / 0.15 * 8)]
        if x < 0.55
        else _CONTENT_WORDS[bisect.bisect(_CONTENT_CDF, (x - 0.55) / 0.45)]
        for x in u[1 : 6 + int(u[0] * 5)]
    ]
    words.insert(int(u[11] * 3), _pick(ev.mentions[len(ev.people) :], u[10]))
    return " ".join(w if w in _SMALL and i else w[0].upper() + w[1:] for i, w in enumerate(words))


def _story_uniforms(keys: np.ndarray) -> np.ndarray:
    """Per-story scalars: 0-1 length, 2 paragraphs, 3 quote place, 4-15 headline, 16 date."""
    return _uniform(_hash(keys[:, None], _COUNTER[:17]))


@lru_cache(maxsize=4096)
def _title(seed: int, unit: int, e: int) -> str:
    """The headline of ``unit``'s story, without making its text unless already made."""
    if (seed, unit, e) in _STORIES:
        return _STORIES[seed, unit, e].title
    u = _story_uniforms(np.array([_key(seed, unit, "story")], np.uint64))[0]
    return _headline(u[4:16].tolist(), _events(seed, [e])[0])


def _story(plan: _Plan, unit: int, p: int) -> _Story:
    """The unedited story of ``unit``; on a miss, also those of units starting after ``p``."""
    key = (plan.seed, unit, plan.event(unit))
    if key not in _STORIES:
        _make_stories(plan.seed, [(unit, key[2]), *plan.upcoming(p)])
        while len(_STORIES) > 8192:
            _STORIES.pop(next(iter(_STORIES)), None)
    return _STORIES[key]


def _make_stories(seed: int, units: list[tuple[int, int]]) -> None:
    """Make the stories of (unit, event) pairs at once: 300-1,200 words, 4-15 paragraphs.

    Each story depends only on its own random streams, whatever the batch.
    """
    keys = np.array([_key(seed, u, "story") for u, _ in units], np.uint64)
    events = _events(seed, [e for _, e in units])
    scal = _story_uniforms(keys)
    target = 285 + (800 * np.minimum(scal[:, 0], scal[:, 1])).astype(np.intp)
    h = _hash(keys[:, None], _COUNTER[100 : 100 + _MAX_SENT])
    lens = (8 + (h & _LOW32) % 12 + (h >> _U32) % 12).astype(np.intp)  # words per sentence
    cum = np.cumsum(lens, axis=1)
    valid = _COUNTER[:_MAX_SENT] < ((cum - 1 < target[:, None]).sum(1) + 1)[:, None]
    n = np.where(valid, lens, 0).sum(1)
    wl = _sentences(keys, events, n, cum, lens, valid)
    h = _hash(keys[:, None], _COUNTER[2 * _MAX_SENT : 3 * _MAX_SENT])
    cut_keys = np.where(valid & (_COUNTER[:_MAX_SENT] > 0), _uniform(h), 2.0)
    order = np.argsort(cut_keys, axis=1)
    n_par = np.clip(np.rint(n / (50 + 45 * scal[:, 2])), 4, 15).astype(np.intp)
    first = (cum - lens).tolist()
    start = 0
    for s, ((unit, e), ev) in enumerate(zip(units, events, strict=True)):
        words, start = wl[start : start + int(n[s])], start + int(n[s])
        cuts = sorted(first[s][k] for k in order[s, : n_par[s] - 1].tolist())
        qpos, who = first[s][1 + int(scal[s, 3] * 5)], ev.people[unit % len(ev.people)]
        words.insert(qpos, f'"{ev.quote}," ' + (f"{who} said." if unit % 2 else f"said {who}."))
        bounds = [0, *(c + (c > qpos) for c in cuts), len(words)]
        paras = tuple(" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
        ts = ev.ts if e == unit else ev.ts + int((4 * scal[s, 16] - 1) * 86400)
        _STORIES[seed, unit, e] = _Story(_headline(scal[s, 4:16].tolist(), ev), paras, ts)


def _sentences(keys, events, n, cum, lens, valid) -> list[str]:
    """All stories' words with Zipf draws, entities, numbers, commas, capitals, full stops."""
    offsets = np.cumsum(n) - n
    story = np.repeat(np.arange(len(keys)), n)
    local = (np.arange(len(story)) - offsets[story]).astype(np.uint64)
    h = _hash(keys[story], local + _TOKENS)
    idx = _TABLE[h >> _SHIFT]
    rep = np.flatnonzero(idx[1:] == idx[:-1]) + 1
    rep = rep[local[rep] > 0]
    idx[rep] = (idx[rep] + 37) % len(_VOCAB)  # no "the the"
    words, low = _VOCAB[idx], (h & _LOW16).astype(np.intp)
    mid, high = ((h >> _U16) & _LOW16).astype(np.intp), ((h >> _U32) & _LOW16).astype(np.intp)
    pos = np.flatnonzero(low < 4588)  # 7%: entity, topic word or number
    special = np.stack([ev.special for ev in events])[story[pos], mid[pos] * 100 >> 16]
    words[pos] = special
    for i in pos[special == ""].tolist():
        words[i] = _number(high[i] / 65536)
    ends = (offsets[:, None] + cum - 1)[valid]
    starts = ends - lens[valid] + 1
    comma = (low >= 4588) & (high < 3932)  # 6%
    comma[ends] = False
    words[comma] += ","
    words[starts] = [w[0].upper() + w[1:] for w in words[starts].tolist()]
    h = _hash(keys[:, None], _COUNTER[3 * _MAX_SENT : 4 * _MAX_SENT])
    said = (_uniform(h) < 0.08)[valid]  # quoted sentences: "...," Surname said.
    words[starts[said]] = '"' + words[starts[said]]
    tails = []
    for s, i in zip(story[ends[said]].tolist(), local[ends[said]].tolist(), strict=True):
        names = events[s].mentions[len(events[s].people) : 2 * len(events[s].people)]
        tails.append(f'," {names[i % len(names)]} said.')
    words[ends[said]] += np.array(tails, dtype=object)
    words[ends[~said]] += "."
    return words.tolist()


@dataclass
class _Plan:
    """Unit (story) and role of every position; clusters' anchors, sizes, hard negatives."""

    seed: int
    unit_of: array  # position -> unit
    role: bytearray  # position -> _SINGLETON / _ORIGINAL / _COPY / _HARD_NEG
    anchor: array  # unit -> position of its first article (the original)
    ref: dict[int, int]  # hard negative position -> unit of the cluster whose event it shares
    size: dict[int, int]  # cluster unit -> members within the corpus

    def event(self, unit: int) -> int:
        return self.ref.get(self.anchor[unit], unit)

    def upcoming(self, p: int) -> list[tuple[int, int]]:
        """(unit, event) of units starting within 100 positions after ``p``, not yet made."""
        out = []
        for q in range(p + 1, min(p + 100, len(self.role))):
            u = self.unit_of[q]
            if self.role[q] != _COPY and (self.seed, u, self.event(u)) not in _STORIES:
                out.append((u, self.event(u)))
        return out


def _make_plan(n: int, seed: int, dup_fraction: float) -> _Plan:
    """Walk positions; each free one starts a unit, copies go a few hundred positions later."""
    rnd = random.Random(f"dupdetect-synth:{seed}")
    mean = sum(w * (k + 2) for k, w in enumerate(CLUSTER_SIZE_WEIGHTS))
    q = dup_fraction / (mean * (1 - dup_fraction) + dup_fraction)  # P(a unit is a cluster)
    cum = (np.cumsum(CLUSTER_SIZE_WEIGHTS) / sum(CLUSTER_SIZE_WEIGHTS)).tolist()[:-1]
    plan = _Plan(seed, array("q", [-1]) * n, bytearray(n), array("q"), {}, {})
    unit_of, role, recent = plan.unit_of, plan.role, deque(maxlen=64)
    for p in range(n):
        if unit_of[p] >= 0:
            continue
        u, unit_of[p] = len(plan.anchor), len(plan.anchor)
        plan.anchor.append(p)
        if rnd.random() < q:
            role[p], plan.size[u] = _ORIGINAL, 1
            for _ in range(1 + bisect.bisect_right(cum, rnd.random())):
                o = p + 1 + int(rnd.expovariate(1 / 150.0)) % 3000
                while o < n and unit_of[o] >= 0:
                    o += 1
                if o < n:
                    unit_of[o], role[o], plan.size[u] = u, _COPY, plan.size[u] + 1
            recent.append(u)
        elif recent and rnd.random() < HARD_NEGATIVE_RATE:
            role[p], plan.ref[p] = _HARD_NEG, recent[int(rnd.random() * len(recent))]
    return plan


def _cut(r: Iterator[float], paras: list[str], edits: list[str]) -> bool:
    """Maybe truncate to a teaser or trim the last paragraphs; True for a teaser."""
    wc, x = [p.count(" ") + 1 for p in paras], next(r)
    total, head = sum(wc), list(accumulate(wc))
    if x < 0.2:  # teaser: first 1-3 paragraphs, 10-40% of the words, >= MIN_TEASER_WORDS
        ks = [k for k in (1, 2, 3) if 0.1 * total <= head[k - 1] <= 0.4 * total]
        ks = [k for k in ks if head[k - 1] >= MIN_TEASER_WORDS]
        if ks:
            k = _pick(ks, next(r))
            edits.append(f"truncate:{head[k - 1] / total:.1f}")
            del paras[k:]
            return True
    elif x < 0.35:  # drop the last 1-3 paragraphs, keep >= 4 paragraphs and 70% of the words
        ts = [t for t in (1, 2, 3) if len(wc) - t >= 4 and head[-t - 1] >= 0.7 * total]
        if ts:
            t = _pick(ts, next(r))
            edits.append(f"trim:{t}")
            del paras[-t:]
    return False


def _shuffle_body(r: Iterator[float], paras: list[str], edits: list[str], may_drop: bool) -> None:
    """Maybe drop one short later paragraph and/or swap two adjacent non-lede paragraphs."""
    wc = [p.count(" ") + 1 for p in paras]
    cand = [i for i in range(3, len(paras) - 1) if wc[i] <= 0.12 * sum(wc)]
    if next(r) < 0.2 and cand and may_drop:
        del paras[_pick(cand, next(r))]
        edits.append("drop_paragraph")
    if next(r) < 0.15 and len(paras) >= 3:
        i = 1 + int(next(r) * (len(paras) - 2))
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
        edits.append("reorder")


def _typos(r: Iterator[float], paras: list[str], k: int) -> None:
    """Apply ``k`` typos (swap, drop, double or change a letter) or word substitutions."""
    for _ in range(k):
        u = [next(r) for _ in range(5)]
        i = int(u[0] * len(paras))
        words = paras[i].split(" ")
        j = int(u[1] * len(words))
        w = words[j] if len(words[j]) >= 4 and words[j].isalpha() else _pick(_PSEUDO, u[2])
        c = 1 + int(u[3] * (len(w) - 3))
        ops = [w[:c] + w[c + 1] + w[c] + w[c + 2 :], w[:c] + w[c + 1 :], w[:c] + w[c] + w[c:]]
        ops += [w[:c] + ("a" if w[c] == "e" else "e") + w[c + 1 :], _pick(_PSEUDO, u[2])]
        words[j] = _pick(ops, u[4])
        paras[i] = " ".join(words)


def _wire_credit(
    r: Iterator[float], paras: list[str], ev: _Event, edits: list[str], teaser: bool
) -> None:
    """Maybe add a wire dateline and an AP contributor footer or a Reuters credit line."""
    agency = _pick(("AP", "AP", "Reuters", "AFP"), next(r))
    if next(r) < 0.55:
        city = ev.place.split(",")[0]
        head = {"AP": f"{ev.place} (AP) — ", "Reuters": f"{city} (Reuters) - "}
        paras[0] = head.get(agency, f"{city} (AFP) - ") + paras[0]
        edits.append(f"dateline:{agency}")
    if teaser or next(r) >= 0.35:
        return  # teasers end before the footer
    a, b = (f"{_pick(_FIRST, next(r))} {_pick(_LAST, next(r))}" for _ in range(2))
    if agency == "AP" or (agency == "AFP" and next(r) < 0.5):
        town = ev.place.split(",")[0].title()
        paras += ["___", f"Associated Press writer {a} in {town} contributed to this report."]
        edits.append("footer")
    else:
        paras.append(f"(Reporting by {a}; Editing by {b})")
        edits.append("credit")


def _syndicate(r: Iterator[float], story: _Story, ev: _Event) -> tuple:
    """Apply a random mix of syndication edits; return (title, paragraphs, edits, ts)."""
    paras, edits, title = list(story.paras), [], story.title
    teaser = _cut(r, paras, edits)
    if not teaser:
        _shuffle_body(r, paras, edits, may_drop=not edits)  # not both trimmed and dropped
    if next(r) < 0.35:
        k = 1 + int(next(r) * (2 if teaser else 5))
        _typos(r, paras, k)
        edits.append(f"typos:{k}")
    _wire_credit(r, paras, ev, edits, teaser)
    if next(r) < 0.4:
        title = _headline([next(r) for _ in range(12)], ev)
        edits.append("headline")
    return title, paras, edits, story.ts + 300 + int(next(r) * 3 * 86400)


def _wrap(plan: _Plan, r: Iterator[float], site: int, u: int, paras: list[str]) -> list:
    """Put the body inside the site's nav, share, newsletter, related articles, copyright."""
    nav, share, newsletter, copyright_ = _SITES[site]
    units = [max(0, u - 300) + int(next(r) * (min(u, 300) or 1)) for _ in range(3)]  # recent
    related = "\n".join(_title(plan.seed, x, plan.event(x)) for x in units)
    return [nav, share, *paras, newsletter, "Related Articles\n" + related, copyright_]


def _article(plan: _Plan, p: int) -> SynthArticle:
    """Build the article at position ``p``."""
    u, role = plan.unit_of[p], plan.role[p]
    e = plan.event(u)
    story, r = _story(plan, u, p), _draws(plan.seed, p, "edits", 96 if role == _COPY else 8)
    title, paras, edits, ts = story.title, list(story.paras), [], story.ts
    if role == _COPY:
        title, paras, edits, ts = _syndicate(r, story, _events(plan.seed, [e])[0])
    elif role == _HARD_NEG:
        edits.append(f"hard_negative:{doc_id(plan.anchor[e])}")
    site = int(next(r) * N_SITES)
    if next(r) < BOILERPLATE_RATE:
        paras = _wrap(plan, r, site, u, paras)
        edits.append(f"boilerplate:site-{site:02d}")
    cluster = doc_id(plan.anchor[u]) if plan.size.get(u, 0) >= 2 else None
    date = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "\n\n".join(paras)
    return SynthArticle(
        doc_id(p), title, text, f"site-{site:02d}.example", date, cluster, tuple(edits)
    )


def generate(n_docs: int, seed: int = 0, dup_fraction: float = 0.2) -> Iterator[SynthArticle]:
    """Stream ``n_docs`` synthetic articles in id order.

    Args:
        n_docs: Number of articles.
        seed: Random seed; the output is a pure function of the three arguments.
        dup_fraction: Expected share of articles in clusters of 2-8 (an original and copies).

    Returns:
        An iterator over articles ``d0000000``, ``d0000001``, ... with their ground truth;
        the plan (a few bytes per article) is made at once, the texts one at a time.

    Raises:
        ValueError: ``n_docs`` is negative or ``dup_fraction`` is outside [0, 1].
    """
    if n_docs < 0 or not 0.0 <= dup_fraction <= 1.0:
        raise ValueError("need n_docs >= 0 and 0 <= dup_fraction <= 1")
    plan = _make_plan(n_docs, seed, dup_fraction)
    return (_article(plan, p) for p in range(n_docs))


def _encode(a: SynthArticle, fmt: str) -> tuple[str, bytes]:
    """The id dupdetect will see and the bytes stored for one article."""
    if fmt == "txt":
        return corpus_key(a.id, "txt"), f"{a.title}\n\n{a.text}\n".encode()
    row = {"id": a.id, "title": a.title, "text": a.text, "source": a.source, "date": a.date}
    return a.id, (json.dumps(row) + "\n").encode()


def write_corpus(
    out_dir: Path,
    n_docs: int,
    seed: int = 0,
    fmt: str = "txt",
    dup_fraction: float = 0.2,
    workers: int = 1,
) -> CorpusInfo:
    """Write a corpus with ``gold.jsonl`` and, last, ``manifest.json`` under ``out_dir``.

    Args:
        out_dir: Target folder; a corpus already in it is replaced.
        n_docs: Number of articles.
        seed: Random seed.
        fmt: ``"txt"``: ``docs/<shard>/<id>.txt`` (title, blank line, paragraphs separated by
            blank lines; 1,000 files per shard) or ``"jsonl"``: ``docs.jsonl`` with id, title,
            text, source, date. ``gold.jsonl`` has one line per cluster, its original and
            members named by the id dupdetect sees: ``000/d0000042.txt`` or the jsonl id.
        dup_fraction: Expected share of articles in duplicate clusters.
        workers: Processes generating chunks of articles; the output does not depend on it.

    Returns:
        The summary that is also written to ``manifest.json``.
    """
    if fmt not in ("txt", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", "docs.jsonl", "gold.jsonl"):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / "docs", ignore_errors=True)
    for shard in range(0, n_docs if fmt == "txt" else 0, SHARD_SIZE):
        (out_dir / "docs" / f"{shard // SHARD_SIZE:03d}").mkdir(parents=True)
    chunks = [(a, min(a + _CHUNK, n_docs)) for a in range(0, n_docs, _CHUNK)]
    job = (out_dir, n_docs, seed, fmt, dup_fraction)
    info = CorpusInfo(n_docs, seed, fmt, dup_fraction, 0, 0, 0, {}, {}, 0)
    clusters: dict[str, list[str]] = {}
    edits: Counter[str] = Counter()
    parallel = workers > 1 and len(chunks) > 1
    with (
        multiprocessing.Pool(workers, _init_worker, job) if parallel else nullcontext() as pool,
        open(out_dir / "docs.jsonl", "wb") if fmt == "jsonl" else nullcontext() as fh,
    ):
        state = None if parallel else _job(*job)
        results = (
            pool.imap(_write_chunk, chunks) if pool else (_write_chunk(c, state) for c in chunks)
        )
        for data, size, members, counts in results:
            if fh is not None:
                fh.write(data)
            info.total_bytes += size
            edits.update(counts)
            for cluster, key in members:
                clusters.setdefault(cluster, []).append(key)
    return _finish(out_dir, info, clusters, edits)


_CHUNK = 500  # articles per unit of work
_JOB: dict = {}  # in a worker process: what _write_chunk needs


def _job(out_dir: Path, n_docs: int, seed: int, fmt: str, dup_fraction: float) -> dict:
    return {"out_dir": out_dir, "fmt": fmt, "plan": _make_plan(n_docs, seed, dup_fraction)}


def _init_worker(*job: object) -> None:
    _JOB.update(_job(*job))


def _write_chunk(bounds: tuple[int, int], job: dict | None = None) -> tuple:
    """Make the articles at positions ``[start, stop)`` and store them.

    Args:
        bounds: ``(start, stop)``.
        job: Output folder, format and plan; a worker process's own if None.

    Returns:
        The jsonl lines (txt files are written here), bytes stored, (cluster, member) ids
        and counts of edit kinds.
    """
    job = job or _JOB
    out_dir, fmt, plan = job["out_dir"], job["fmt"], job["plan"]
    lines, size, members, edits = [], 0, [], Counter()
    for p in range(*bounds):
        art = _article(plan, p)
        key, data = _encode(art, fmt)
        size += len(data)
        if fmt == "jsonl":
            lines.append(data)
        else:
            with open(out_dir / "docs" / key, "wb") as out:
                out.write(data)
        edits.update(e.split(":")[0] for e in art.edits)
        if art.cluster is not None:
            members.append((corpus_key(art.cluster, fmt), key))
    return b"".join(lines), size, members, edits


def _finish(out_dir: Path, info: CorpusInfo, clusters: dict, edits: Counter) -> CorpusInfo:
    """Write ``gold.jsonl``, fill in the counts and write ``manifest.json``."""
    with open(out_dir / "gold.jsonl", "w", encoding="utf-8") as fh:
        for cluster, ids in clusters.items():
            fh.write(json.dumps({"cluster": cluster, "ids": sorted(ids)}) + "\n")
    sizes = Counter(len(ids) for ids in clusters.values())
    info.n_clusters, info.n_clustered_docs = len(clusters), sum(map(len, clusters.values()))
    info.n_hard_negatives = edits["hard_negative"]
    info.cluster_sizes = {str(k): sizes[k] for k in sorted(sizes)}
    info.edit_counts = dict(sorted(edits.items()))
    (out_dir / "manifest.json").write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info
