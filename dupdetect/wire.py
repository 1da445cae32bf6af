"""Stage 1b, wire cleanup: strip agency datelines, credit lines and footers before shingling.

A wire story republished by an outlet gains (or loses) a ``CITY, State (AP) —`` dateline, a
``___`` + ``Associated Press writer … contributed to this report.`` footer, a Reuters
``(Reporting by …; Editing by …)`` credit, a copyright line or a correction note. None of that is
the story, so it is removed before shingling; the agency it names is kept as evidence (the
``wire`` field of documents and clusters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

try:  # the C search (setup.py); find_any_python is the reference and the fallback
    from . import _speedups
except ImportError:  # pragma: no cover - only without a compiler at install time
    _speedups = None

# Agency tags as they appear in parentheses, mapped to the name reported in ``wire``.
AGENCIES = {
    "ap": "AP",
    "associated press": "AP",
    "reuters": "Reuters",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "upi": "UPI",
    "dpa": "dpa",
    "bloomberg": "Bloomberg",
    "efe": "EFE",
    "ansa": "ANSA",
    "xinhua": "Xinhua",
    "pa": "PA",
    "cp": "CP",
    "aap": "AAP",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "cnn": "CNN",
}
_AGENCY = "|".join(sorted((re.escape(a) for a in AGENCIES), key=len, reverse=True))

# "WASHINGTON (AP) —", "MILLBROOK, Ore. (AP) — ", "LONDON (Reuters) - ", "PARIS, May 3 (AFP) -".
_DATELINE = re.compile(
    rf"(?:(?<=\n)|^|(?<=###\s))[ \t]*"
    rf"(?P<place>[A-Z][A-Z.'\- ]{{1,40}}"  # city
    rf"(?:,[ \t]*[A-Z][\w.' ]{{1,30}})?"  # state or country
    rf"(?:,[ \t]*\w+ \d{{1,2}})?)?[ \t]*"  # date, as in "PARIS, May 3"
    rf"\((?P<agency>{_AGENCY})\)[ \t]*[—–-]{{1,2}}[ \t]*",
    re.IGNORECASE,
)
# A capitalised city alone before a dash, as in "NEW YORK -- ": no agency, still a dateline.
_PLAIN_DATELINE = re.compile(
    r"(?:(?<=\n)|^)[ \t]*[A-Z][A-Z.'\- ]{2,30}(?:, [A-Z][a-z.]+)? ?(?:--|—|–) "
)

# Where the expensive patterns can match: both datelines lie within one line and start at its
# beginning (or, for an agency dateline, after a "### " heading mark), and an agency dateline
# holds ") —". So they are tried only at those places, never scanned through a whole text.
_DATELINE_HINT = re.compile(r"\)[ \t]*[—–-]")
_HEADING_MARK = re.compile(r"###\s")
_DASHES = ("--", "—", "–")
_FOOTER_HINTS = (
    "___",
    "contributed",
    "reporting by",
    "copyright",
    "redistributed",
    "has been",
    "follow ",
)
# The hints as bytes, searched in ``_ascii_folded`` text (one byte per character, so positions
# and line numbers are those of the text).
_FOOTER_HINT_BYTES = tuple(hint.encode("ascii") for hint in _FOOTER_HINTS)

_FOOTER_LINES = [
    (re.compile(r"^\s*_{3,}\s*$"), None),
    (re.compile(r"associated press writers? .{0,200}contributed", re.I), "AP"),
    (
        re.compile(r"^\s*\(?reporting by .{0,300}(editing by|writing by).{0,200}\)?\s*$", re.I),
        "Reuters",
    ),
    (re.compile(r"^\s*copyright \d{4} the associated press", re.I), "AP"),
    (re.compile(r"may not be published, broadcast, rewritten or redistributed", re.I), None),
    (re.compile(r"^\s*this (story|article) has been (corrected|updated)", re.I), None),
    (re.compile(r"^\s*follow .{1,80} on twitter\b", re.I), None),
]


class WireCleaned(NamedTuple):
    """Text with wire furniture removed, and the agency it named ("" when none).

    A named tuple: every article makes one, and a frozen dataclass's ``__init__`` cost
    ~1.5 us, 1% of a worker's time."""

    text: str
    wire: str


def strip_wire(text: str) -> WireCleaned:
    """Remove datelines, agency credit lines and footers; report the agency found first.

    >>> strip_wire("MILLBROOK, Ore. (AP) — The town voted.\\n___\\nAP writer Jo contributed.")
    WireCleaned(text='The town voted.\\nAP writer Jo contributed.', wire='AP')
    >>> strip_wire("LONDON (Reuters) - Shares fell.").wire
    'Reuters'
    >>> strip_wire("The mayor said (AP) nothing.").text
    'The mayor said (AP) nothing.'
    """
    hints = _wire_hints(text)
    if hints is None:  # ~90% of articles: nothing to remove
        return WireCleaned(text, "")
    datelines, text, plain, numbers = _datelines(text, hints)
    if plain is not None:
        text = _cut(text, [plain])  # numbers still hold (see _datelines)
    agencies = [_agency(match) for match in datelines]
    footers = _footer_lines(text, numbers)
    if footers:  # most texts: none
        dropped = {footer.number for footer in footers}
        kept = [line for number, line in enumerate(text.split("\n")) if number not in dropped]
        text = "\n".join(kept)
        agencies += [footer.agency for footer in footers if footer.agency]
    return WireCleaned(text, agencies[0] if agencies else "")


# What one pass found in a text, for ``strip_wire`` to skip the passes with nothing to do:
# whether ``_DATELINE_HINT`` may match in it, whether it holds one of ``_DASHES`` (None: not
# known) and the numbers of its lines holding a footer hint (None: not known). A plain tuple,
# as the C pass makes it (a named tuple's ``_make`` cost ~0.3 us).
_Hints = tuple[bool, bool | None, list[int] | None]

# Without the C pass nothing is known beforehand: every pass runs (the reference).
_UNKNOWN: _Hints = (True, None, None)


def _wire_hints(text: str) -> _Hints | None:
    """``_Hints`` of ``text`` by one C pass, None when there is nothing at all (then
    ``strip_wire`` removes nothing); ``_UNKNOWN`` without the C module.

    The pass reads each character once for all of them: ~1.9 us for an article of ~4,000
    characters, where ``_dateline_matches``, ``_has_dash`` and ``hinted_lines`` took ~3.4 us.
    """
    if _speedups is None:
        return _UNKNOWN
    return _speedups.wire_hints(text, _FOOTER_HINT_BYTES)


def _datelines(
    text: str, hints: _Hints
) -> tuple[list[re.Match[str]], str, re.Match[str] | None, list[int] | None]:
    """The agency datelines of ``text``, the text without them, the first plain dateline of
    that, and the numbers of the lines that may hold a footer hint (None: not known).

    ``hints`` (of the whole text) still hold after the cuts: neither dateline pattern matches a
    "\\n", so lines keep their numbers; and each begins at a line start or after "###" and a
    space, which end no beginning of a footer hint or of "--", so joining across a cut makes
    no hint and no dash. Only a dash may have gone with an agency dateline: then it is looked
    for again (few texts have one).
    """
    may_hold_dateline, dash, numbers = hints
    datelines = _dateline_matches(text) if may_hold_dateline else []
    if datelines:
        text = _cut(text, datelines)
        if dash:
            dash = None
    return datelines, text, _plain_dateline(text, dash), numbers


def _dateline_matches(text: str) -> list[re.Match[str]]:
    """The agency datelines ``_DATELINE.sub`` would remove, in order.

    A match lies within one line, holds a hint, and begins at the line's start or after a
    "### " heading mark in it; only those places are tried (in order, skipping any inside an
    earlier match). A regex scan of a whole text costs ~70 ns a character, trying it at every
    line start ~4 us a line: together most of the wire cleanup before.
    """
    matches: list[re.Match[str]] = []
    for start, end in _lines_holding(text, _dateline_hints(text)):
        headings = (mark.end() for mark in _HEADING_MARK.finditer(text, start, end))
        for at in (start, *headings):
            if matches and at < matches[-1].end():
                continue
            match = _DATELINE.match(text, at)
            if match:
                matches.append(match)
    return matches


def _dateline_hints(text: str) -> Iterator[int]:
    """Where ``_DATELINE_HINT`` matches, ascending: tried only at each ")" (found with
    ``str.find``, far cheaper than the regex scanning every character for one)."""
    at = text.find(")")
    while at != -1:
        if _DATELINE_HINT.match(text, at):
            yield at
        at = text.find(")", at + 1)


def _lines_holding(text: str, positions: Iterator[int]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line (split at "\\n") holding one of the ascending positions."""
    end = -1
    for at in positions:
        if at < end:
            continue
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        yield start, end


def _plain_dateline(text: str, dash: bool | None = None) -> re.Match[str] | None:
    """The first match of ``_PLAIN_DATELINE`` (tried only at line starts, where it can begin);
    ``dash`` says whether ``text`` holds one of ``_DASHES`` (None: look)."""
    if not (_has_dash(text) if dash is None else dash):
        return None
    for at in _line_starts(text):
        match = _PLAIN_DATELINE.match(text, at)
        if match:
            return match
    return None


def _has_dash(text: str) -> bool:
    """Whether one of ``_DASHES`` is in ``text``: "--" by the C search when built (CPython's
    ``in`` takes ~1 ns a character for it), the one-character dashes by ``in`` (instant in a
    text of Latin-1 characters only)."""
    if _speedups is None:
        return any(dash in text for dash in _DASHES)
    return "—" in text or "–" in text or _speedups.has_double_hyphen(text)


def _line_starts(text: str) -> Iterator[int]:
    """Where the lines of ``text`` (split at "\\n") begin, in order."""
    yield 0
    at = text.find("\n")
    while at != -1:
        yield at + 1
        at = text.find("\n", at + 1)


def _cut(text: str, matches: list[re.Match[str]]) -> str:
    """``text`` without the spans of ``matches`` (in order, not overlapping)."""
    if not matches:
        return text
    kept, at = [], 0
    for match in matches:
        kept.append(text[at : match.start()])
        at = match.end()
    kept.append(text[at:])
    return "".join(kept)


def _agency(dateline: re.Match[str]) -> str:
    return AGENCIES[dateline.group("agency").lower()]


class _Footer(NamedTuple):
    """A footer line to drop: its number (0-based), its text and the agency it names."""

    number: int
    line: str
    agency: str


def _footer_lines(text: str, numbers: list[int] | None = None) -> list[_Footer]:
    """The lines of ``text`` that ``_footer_agency`` drops, in order.

    Only lines holding a footer hint can be dropped; they are found with one pass for all
    hints (most texts have none), and only then is the text split. ``numbers``, when given,
    are those lines or more (ascending): ``_footer_agency`` keeps a line without a hint.
    """
    if numbers is None:
        numbers = hinted_lines(text)
    if not numbers:
        return []
    lines = text.split("\n")
    footers = []
    for number in numbers:
        agency = _footer_agency(lines[number])
        if agency is not None:
            footers.append(_Footer(number, lines[number], agency))
    return footers


def hinted_lines(text: str) -> list[int]:
    """Numbers (0-based, in order) of the lines of ``text`` holding a footer hint in any case
    (the only lines ``_footer_agency`` can drop): one C pass over the text itself, or
    ``_hinted_lines`` of its ``_ascii_folded`` copy (the reference, and the fallback)."""
    if _speedups is not None:
        return _speedups.hinted_lines(text, _FOOTER_HINT_BYTES)
    return _hinted_lines(_ascii_folded(text))


def _ascii_folded(text: str) -> bytes:
    """``text`` with ASCII letters lower-cased and every other non-ASCII character as "?".

    An ASCII hint is in ``text.lower()`` exactly when it is in this: the only non-ASCII
    characters ``str.lower`` turns into ASCII are "İ" ("i" + U+0307) and the Kelvin sign ("k"),
    and no hint ends in "i" or holds a "k". One byte per character, so positions are kept, and
    it costs a fraction of ``str.lower`` on non-ASCII text.
    """
    return text.encode("ascii", "replace").lower()


def _hinted_lines(folded: bytes) -> list[int]:
    """Numbers (0-based, in order) of the lines of an ASCII-folded text holding a footer
    hint: the only lines ``_footer_agency`` can drop."""
    numbers: list[int] = []
    number = counted_to = 0
    at = find_any(folded, _FOOTER_HINT_BYTES, 0)
    while at != -1:
        number += folded.count(b"\n", counted_to, at)
        counted_to = at
        numbers.append(number)
        line_end = folded.find(b"\n", at)  # hints hold no "\n": the next one is on a later line
        at = -1 if line_end == -1 else find_any(folded, _FOOTER_HINT_BYTES, line_end)
    return numbers


def find_any(haystack: bytes, needles: tuple[bytes, ...], start: int) -> int:
    """The first position at or after ``start`` (>= 0) where one of ``needles`` (non-empty)
    begins in ``haystack``, or -1."""
    if _speedups is not None:
        return _speedups.find_any(haystack, needles, start)
    return find_any_python(haystack, needles, start)


def find_any_python(haystack: bytes, needles: tuple[bytes, ...], start: int) -> int:
    """``find_any`` with a search per needle: the reference for the C loop (one pass for all
    of them, ~8x faster for the seven footer hints), and its fallback."""
    found = (haystack.find(needle, start) for needle in needles)
    return min((at for at in found if at != -1), default=-1)


def _footer_agency(line: str) -> str | None:
    """None for a line to keep; the agency ('' if none) for a footer line to drop."""
    if len(line) > 600:
        return None
    lowered = line.lower()
    if not any(hint in lowered for hint in _FOOTER_HINTS):
        return None
    for pattern, agency in _FOOTER_LINES:
        if pattern.search(line):
            return agency or ""
    return None


@dataclass(frozen=True, slots=True)
class Furniture:
    """The wire furniture ``strip_wire`` removes from a text, and the agencies it names."""

    datelines: tuple[str, ...]
    dateline_agency: str
    footers: tuple[str, ...]
    footer_agency: str


_NO_FURNITURE = Furniture((), "", (), "")


def find_furniture(text: str) -> Furniture:
    """The datelines and footer lines ``strip_wire`` removes (used to explain a match).

    >>> find_furniture("MILLBROOK, Ore. (AP) — The town voted.\\n___\\nAP writer Jo contributed.")
    Furniture(datelines=('MILLBROOK, Ore. (AP) — ',), dateline_agency='AP', footers=('___',), \
footer_agency='')
    """
    hints = _wire_hints(text)
    if hints is None:
        return _NO_FURNITURE
    datelines, text, plain, numbers = _datelines(text, hints)
    footers = _footer_lines(text, numbers)  # looked for with the plain dateline still in, as ever
    dateline_agencies = [_agency(match) for match in datelines]
    footer_agencies = [footer.agency for footer in footers if footer.agency]
    return Furniture(
        tuple(match.group() for match in datelines) + ((plain.group(),) if plain else ()),
        dateline_agencies[0] if dateline_agencies else "",
        tuple(footer.line for footer in footers),
        footer_agencies[0] if footer_agencies else "",
    )
