"""RSS and Atom feeds: one Document per entry, parsed with feedparser after a defusedxml check.

Before feedparser sees a feed, defusedxml parses it with entity declarations and external
references forbidden: a billion-laughs or XXE document is refused with one line, never
expanded, and nothing is fetched (feedparser itself never resolves external entities, and is
given a byte stream, never a string it could take for a URL or a file name).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from ..models import Document, Notice, Skipped
from . import LoadItem
from .html import html_to_text

FEED_SUFFIXES = frozenset({".rss", ".atom"})
XML_SUFFIXES = frozenset({".xml"})

_FEED_START = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(rss|feed|RDF)[\s>]")
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.I)


def sniff_xml(raw: bytes) -> str:
    """What an ``.xml`` file holds: ``"feed"``, ``"html"`` or ``"other"`` (a quick look only)."""
    head = raw[:4096]
    if _FEED_START.search(head):
        return "feed"
    if _HTML_START.search(head):
        return "html"
    return "other"


def read_feed(raw: bytes, rel: str) -> Iterator[LoadItem]:
    """Documents for the entries of an RSS/Atom feed, or one Skipped saying why not."""
    refused = _unsafe_xml(raw)
    if refused is not None:
        yield Skipped(rel, refused)
        return
    import feedparser

    parsed = feedparser.parse(io.BytesIO(raw), resolve_relative_uris=False, sanitize_html=True)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {_one_line(problem)}" if parsed.get("bozo") and problem else ""
        yield Skipped(rel, f"no feed entries found{detail}")
        return
    if parsed.get("bozo"):
        problem = _one_line(parsed.get("bozo_exception"))
        yield Notice(rel, f"feed is not well-formed ({problem}); read leniently")
    source = _plain(parsed.feed.get("title", ""))
    for number, entry in enumerate(parsed.entries, start=1):
        yield _entry_document(entry, number, rel, source)


def _entry_document(entry: dict, number: int, rel: str, source: str) -> LoadItem:
    link = str(entry.get("link") or "").strip()
    doc_id = str(entry.get("id") or "").strip() or link or f"{rel}#{number}"
    contents = [c.get("value", "") for c in entry.get("content") or []]
    body = max(contents, key=len, default="") or entry.get("summary", "") or ""
    text = html_to_text(body)
    if not text:
        return Skipped(rel, f"entry {number} ({doc_id}) has no content or summary")
    return Document(
        id=doc_id,
        text=text,
        path=rel,
        title=_plain(entry.get("title", "")),
        source=source,
        url=link,
        date=_iso_date(entry.get("published_parsed") or entry.get("updated_parsed")),
    )


def _unsafe_xml(raw: bytes) -> str | None:
    """A reason to refuse the document (entities, external references), else None."""
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree

    try:
        defusedxml.ElementTree.fromstring(
            raw, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except defusedxml.EntitiesForbidden as exc:
        if exc.sysid:
            return (
                f"unsafe XML refused: declares external entity {exc.name!r} "
                f"({exc.sysid}); nothing is fetched"
            )
        return f"unsafe XML refused: declares entity {exc.name!r}; entities are never expanded"
    except defusedxml.ExternalReferenceForbidden as exc:
        return f"unsafe XML refused: external reference {exc.sysid!r} (nothing is fetched)"
    except defusedxml.DefusedXmlException as exc:
        return f"unsafe XML refused: {exc}"
    except (ParseError, ValueError):
        return None  # malformed: feedparser's lenient parser, which expands no entities
    return None


def _plain(value: object) -> str:
    return html_to_text(str(value or "")).replace("\n", " ").strip()


def _iso_date(parsed: object) -> str:
    """A feedparser time tuple (UTC) as ISO 8601, or ""."""
    try:
        return datetime(*parsed[:6], tzinfo=UTC).isoformat()  # type: ignore[index,misc]
    except (TypeError, ValueError):
        return ""


def _one_line(problem: object) -> str:
    return " ".join(str(problem).split())[:200]
