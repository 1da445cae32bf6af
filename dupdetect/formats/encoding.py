"""Bytes to text: BOMs, UTF-8, UTF-16 without BOM, and legacy encodings with a notice.

UTF-8 is tried first. When it fails, charset-normalizer is asked; if Windows-1252 is among its
plausible answers (or it has none), the text is decoded as Windows-1252 (Latin-1 as a last
resort) with the long-standing message ``invalid UTF-8 at byte N; decoded as Windows-1252``.
Only when it is sure of another encoding (Cyrillic, Greek, Japanese ...) is that one used, and
the notice names it: ``... decoded as windows-1251 (detected)``.
"""

from __future__ import annotations

import codecs

from ..models import Notice

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
#: Codecs that decode Western text the way Windows-1252 does (no reason to name them).
_WESTERN = frozenset({"cp1252", "latin_1", "iso8859_15", "iso8859_1"})
#: Bytes inspected for NULs and UTF-16 patterns, and at most this many given to the detector.
_SNIFF = 8192
_DETECT_MAX = 256 * 1024


def decode_bytes(
    raw: bytes, rel: str, *, declared: str | None = None
) -> tuple[str | None, Notice | None]:
    """Decode file bytes; ``(None, None)`` for binary content (NUL bytes, not UTF-16).

    ``declared`` is an encoding named by the file itself (an HTML ``<meta charset>``, an HTTP
    header); it is used when UTF-8 fails and it decodes cleanly.
    """
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace"), Notice(rel, f"decoded as {name} (BOM)")
    if raw.find(b"\x00", 0, _SNIFF) != -1:
        codec = _utf16_without_bom(raw)
        if codec is None:
            return None, None
        return raw.decode(codec, errors="replace"), Notice(rel, f"decoded as {codec.upper()}")
    try:
        return _decode_utf8_sig(raw), None
    except UnicodeDecodeError as exc:
        where = f"invalid UTF-8 at byte {exc.start}"
    if declared:
        text = _try_decode(raw, declared)
        if text is not None:
            return text, Notice(rel, f"{where}; decoded as {declared} (declared)")
    detected = _detect(raw)
    if detected is not None:
        text = _try_decode(raw, detected)
        if text is not None:
            return text, Notice(rel, f"{where}; decoded as {_display(detected)} (detected)")
    try:
        return raw.decode("cp1252"), Notice(rel, f"{where}; decoded as Windows-1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1"), Notice(rel, f"{where}; decoded as Latin-1")


def _decode_utf8_sig(raw: bytes) -> str:
    """``raw.decode("utf-8-sig")``, error offsets included (they count from after the BOM),
    without that codec's Python-level wrapper, which doubles the cost of decoding an article."""
    return (raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw).decode()


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when all NULs sit on one side of the byte pairs and the text
    decodes cleanly to printable characters; None for binary data."""
    sample = raw[: _SNIFF - _SNIFF % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if even and odd:
        return None
    codec = "utf-16-le" if odd else "utf-16-be"
    try:
        text = raw[: len(raw) - len(raw) % 2].decode(codec)
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c.isspace() for c in text[:4096])
    return codec if printable >= 0.98 * min(len(text), 4096) else None


def _detect(raw: bytes) -> str | None:
    """A non-Western encoding charset-normalizer is sure of, else None (keep Windows-1252)."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw[:_DETECT_MAX]))
    if not matches:
        return None
    for match in matches:
        if match.encoding in _WESTERN or "cp1252" in match.could_be_from_charset:
            return None
    best = matches[0]
    if best.chaos > 0.1:
        return None
    # Ties between a Windows code page and a Mac or DOS one that decode the sample equally
    # well (Cyrillic: cp1251 / mac_cyrillic) go to the Windows one, far more common in news.
    tied = [m.encoding for m in matches if m.chaos <= best.chaos + 0.01]
    return next((codec for codec in tied if codec.startswith("cp125")), best.encoding)


def _try_decode(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _display(codec: str) -> str:
    """Python codec name as people write it: cp1251 -> windows-1251, koi8_r -> koi8-r."""
    if codec.startswith("cp125"):
        return "windows-" + codec[2:]
    return codec.replace("_", "-")
