"""Stage 1b, wire cleanup: strip agency datelines, credit lines and footers before shingling.

A wire story republished by an outlet gains (or loses) a ``CITY, State (AP) —`` dateline, a
``___`` + ``Associated Press writer … contributed to this report.`` footer, a Reuters
``(Reporting by …; Editing by …)`` credit, a copyright line or a correction note. None of that is
the story, so it is removed before shingling; the agency it names is kept as evidence (the
``wire`` field of documents and clusters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

# Cheap tests that skip the expensive patterns on the many texts and lines they cannot match.
_DATELINE_HINT = re.compile(r"\)[ \t]*[—–-]")
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

_FOOTER_HINT = re.compile("|".join(re.escape(hint) for hint in _FOOTER_HINTS))

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


@dataclass(frozen=True, slots=True)
class WireCleaned:
    """Text with wire furniture removed, and the agency it named ("" when none)."""

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
    agencies: list[str] = []

    def drop_dateline(match: re.Match[str]) -> str:
        agencies.append(AGENCIES[match.group("agency").lower()])
        return ""

    if _DATELINE_HINT.search(text):
        text = _DATELINE.sub(drop_dateline, text)
    if any(dash in text for dash in _DASHES):
        text = _PLAIN_DATELINE.sub("", text, count=1)
    lowered = text.lower()
    if not any(hint in lowered for hint in _FOOTER_HINTS):  # most texts: no line to test
        return WireCleaned(text, agencies[0] if agencies else "")
    lines = text.split("\n")
    dropped = set()
    for number in _hinted_lines(lowered):
        footer = _footer_agency(lines[number])
        if footer is not None:
            dropped.add(number)
            agencies.extend([footer] if footer else [])
    kept = [line for number, line in enumerate(lines) if number not in dropped]
    return WireCleaned("\n".join(kept), agencies[0] if agencies else "")


def _hinted_lines(lowered: str) -> list[int]:
    """Numbers (0-based, in order) of the lines of a lower-cased text holding a footer hint:
    the only lines ``_footer_agency`` can drop."""
    numbers: list[int] = []
    number = counted_to = 0
    for match in _FOOTER_HINT.finditer(lowered):
        number += lowered.count("\n", counted_to, match.start())
        counted_to = match.start()
        if not numbers or numbers[-1] != number:
            numbers.append(number)
    return numbers


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


def find_furniture(text: str) -> Furniture:
    """The datelines and footer lines ``strip_wire`` removes (used to explain a match).

    >>> find_furniture("MILLBROOK, Ore. (AP) — The town voted.\\n___\\nAP writer Jo contributed.")
    Furniture(datelines=('MILLBROOK, Ore. (AP) — ',), dateline_agency='AP', footers=('___',), \
footer_agency='')
    """
    datelines: list[str] = []
    dateline_agencies: list[str] = []
    if _DATELINE_HINT.search(text):
        for match in _DATELINE.finditer(text):
            datelines.append(match.group())
            dateline_agencies.append(AGENCIES[match.group("agency").lower()])
        text = _DATELINE.sub("", text)
    plain = _PLAIN_DATELINE.search(text) if any(d in text for d in _DASHES) else None
    if plain:
        datelines.append(plain.group())
    footers, footer_agencies = [], []
    for line in text.split("\n"):
        agency = _footer_agency(line)
        if agency is not None:
            footers.append(line)
            footer_agencies.extend([agency] if agency else [])
    return Furniture(
        tuple(datelines),
        dateline_agencies[0] if dateline_agencies else "",
        tuple(footers),
        footer_agencies[0] if footer_agencies else "",
    )
