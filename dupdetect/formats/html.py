"""HTML pages: the main article text and its metadata, extracted with trafilatura.

Scripts, styles, comments and page chrome never reach the text. When trafilatura finds no main
text, the page's visible text is used instead and a Notice says so. Nothing is fetched: the
parsers get the page as a string, and lxml never loads external resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..models import Document, Notice, Skipped
from . import LoadItem

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
#: Elements whose content is never visible text.
_INVISIBLE = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_BLOCKS = (
    *("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("article", "section", "header", "footer", "nav", "main", "aside", "blockquote"),
    *("pre", "dt", "dd", "figcaption", "caption", "label", "button", "option"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BLANKS = re.compile(r"[ \t\r\f\v\u00a0]+")


def declared_charset(raw: bytes) -> str | None:
    """The encoding a page declares in a ``<meta charset>`` near its start, if any."""
    match = _META_CHARSET.search(raw[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def read_html(
    html: str, rel: str, *, doc_id: str | None = None, url: str = "", line: int | None = None
) -> Iterator[LoadItem]:
    """One Document for an HTML page (plus a Notice when only the visible text was usable).

    ``url`` is where the page was fetched from (a WARC record's target); it wins over the
    page's own canonical URL, which is used otherwise.
    """
    doc_id = doc_id or rel
    meta = _extract(html)
    if meta is not None and meta.get("text", "").strip():
        yield Document(
            id=doc_id,
            text=meta["text"].strip(),
            path=rel,
            title=(meta.get("title") or "").strip(),
            source=(meta.get("sitename") or "").strip(),
            url=(url or meta.get("url") or "").strip(),
            date=(meta.get("date") or "").strip(),
            line=line,
        )
        return
    title, text = visible_text(html)
    where = doc_id if doc_id != rel else None
    if not text:
        yield Skipped(rel, _at(where, "no text in the HTML page"), line)
        return
    yield Notice(rel, _at(where, "no main article text found; using the page's visible text"), line)
    yield Document(id=doc_id, text=text, path=rel, title=title, url=url, line=line)


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment (feed summaries, content blocks)."""
    return visible_text(fragment)[1] if "<" in fragment else fragment.strip()


def visible_text(html: str) -> tuple[str, str]:
    """``(title, text)`` of a page without scripts, styles, comments or other invisible parts."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html, parser=_html_parser())
    except (lxml.etree.ParserError, ValueError):
        return "", ""
    title_el = root.find(".//title")
    title = _clean(title_el.text_content()) if title_el is not None else ""
    lxml.etree.strip_elements(
        root, lxml.etree.Comment, lxml.etree.ProcessingInstruction, *_INVISIBLE, with_tail=False
    )
    for block in root.iter(*_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    lines = (_clean(line) for line in root.text_content().splitlines())
    return title, "\n".join(line for line in lines if line)


def _extract(html: str) -> dict[str, str] | None:
    import trafilatura

    try:
        result = trafilatura.bare_extraction(
            html,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
        return None if result is None else result.as_dict()
    except Exception:  # trafilatura failing on a hostile page: fall back to the visible text
        return None


def _html_parser():  # noqa: ANN202 - lxml parser
    import lxml.html

    return lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


def _clean(text: str) -> str:
    return _BLANKS.sub(" ", text).strip()


def _at(where: str | None, message: str) -> str:
    return f"{where}: {message}" if where else message
