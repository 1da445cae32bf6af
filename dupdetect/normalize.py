"""Stage 2, normalize: raw article text to a list of comparable word tokens.

Unicode NFKC, case folding, apostrophes removed inside words, every other punctuation mark
and all whitespace treated as a word break. Words are runs of letters, digits and combining
marks in any script, so Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari ... all tokenize.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

import numpy as np


def _combining_marks() -> list[tuple[int, int]]:
    """Code-point ranges of every Unicode combining mark (categories Mn, Mc, Me)."""
    ranges: list[tuple[int, int]] = []
    # Marks live in the first two planes and among plane 14's variation selectors; scanning
    # only those keeps import fast (the full code space takes ~0.2 s).
    for code in (*range(0x20000), *range(0xE0100, 0xE01F0)):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


# Scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao, Khmer,
# Myanmar): each character is a token, so shingles become character n-grams. Korean (Hangul)
# uses spaces and is tokenized by words.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
)
_HAS_UNSPACED = re.compile(f"[{_UNSPACED}]")
_WORD = re.compile(r"[^\W_]+")


class _MarkRules(NamedTuple):
    """What tokenizing text with combining marks takes."""

    marks: frozenset[str]  # every combining mark
    word_with_marks: re.Pattern[str]
    unspaced_or_word: re.Pattern[str]


@functools.cache
def _mark_rules() -> _MarkRules:
    """Built on first use, not at import (~0.1 s, in every process): English news, even with
    curly quotes and dashes, never needs them.

    Python's \\w leaves out combining marks (Devanagari vowel signs, Arabic harakat), so texts
    that contain marks use a class that adds them; underscores are turned into spaces first so
    "___" footer rules are not words. Texts without marks (most of them) use the faster
    [^\\W_] (\\w without the underscore): a 300-range character class costs 4x per character.
    """
    ranges = _combining_marks()
    mark_class = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return _MarkRules(
        frozenset(chr(c) for lo, hi in ranges for c in range(lo, hi + 1)),
        re.compile(f"[\\w{mark_class}]+"),
        re.compile(f"[{_UNSPACED}]|(?:(?![{_UNSPACED}])[\\w{mark_class}])+"),
    )


# Apostrophes are deleted, so "don't" and "don’t" both become "dont". Deleting one that is not
# between two letters changes nothing: a neighbouring space or mark separates words anyway.
_APOSTROPHE_MARKS = ("'", "\u2019", "\u02bc", "\u2018", "`", "\u00b4")


def normalize(text: str) -> str:
    """Fold a text to a canonical form: NFKC, case-folded, apostrophes removed.

    >>> normalize("Don’t  PANIC")
    'dont  panic'
    >>> normalize("ﬁle Straße")
    'file strasse'
    """
    if text.isascii():  # ASCII is already NFKC, and lower() equals casefold() on it
        return text.lower().replace("'", "").replace("`", "")
    folded = unicodedata.normalize("NFKC", text).casefold()
    for mark in _APOSTROPHE_MARKS:
        folded = folded.replace(mark, "")
    return folded


def tokenize(text: str) -> list[str]:
    """Split normalized text into words; punctuation and whitespace only separate them.

    >>> tokenize("hello, world -- it's 4,700!")
    ['hello', 'world', 'it', 's', '4', '700']
    >>> tokenize("москва — столица")
    ['москва', 'столица']
    >>> tokenize("东京 2024年 olympics")
    ['东', '京', '2024', '年', 'olympics']
    """
    if text.isascii():
        return _WORD.findall(text)
    rules = _mark_rules()
    if _HAS_UNSPACED.search(text):
        return rules.unspaced_or_word.findall(text.replace("_", " "))
    if rules.marks.isdisjoint(text):
        return _WORD.findall(text)
    return rules.word_with_marks.findall(text.replace("_", " "))


def words(text: str) -> list[str]:
    """Normalize then tokenize: the word sequence shingles are built from.

    >>> words("WASHINGTON  —  The Senate’s vote")
    ['washington', 'the', 'senates', 'vote']
    """
    return tokenize(normalize(text))


# ASCII bytes of a lower-cased text: letters and digits kept, everything else a zero separator.
_ASCII_WORD_BYTES = bytes.maketrans(
    bytes(range(256)),
    bytes(c if chr(c).isascii() and chr(c).isalnum() else 0 for c in range(256)),
)
# The same for UTF-8 bytes of a text whose non-ASCII characters are all letters or marks.
_UTF8_WORD_BYTES = bytes.maketrans(
    bytes(range(256)),
    bytes(c if c >= 0x80 or chr(c).isalnum() else 0 for c in range(256)),
)
# Non-ASCII punctuation common in English news; replaced by spaces, most texts become ASCII.
# They are left alone by NFKC and case folding, so they can be blanked before normalizing,
# which then takes the ASCII fast path for most English texts.
_COMMON_PUNCTUATION = (
    "\u2014", "\u2013", "\u201c", "\u201d", "\u00ab", "\u00bb", "\u2022",
    "\u00a9", "\u00ae", "\u00b7", "\u00b0", "\u00a7", "\u00b6", "\u2020",
)  # fmt: skip


def _blank_common_punctuation(text: str) -> str:
    for mark in _COMMON_PUNCTUATION:
        text = text.replace(mark, " ")
    return text


def word_bytes(text: str) -> np.ndarray:
    """The words of ``text`` (as ``words`` gives them) as UTF-8 bytes, zero bytes between.

    This is what the shingler hashes; for ASCII text (after the common dashes and quotes
    become spaces) it costs one ``bytes.translate`` instead of a regex pass.

    >>> bytes(word_bytes("Don’t — PANIC!")).split(bytes(1))
    [b'dont', b'', b'', b'panic', b'']
    """
    if not text.isascii():
        text = _blank_common_punctuation(text)
    folded = normalize(text)
    if not folded.isascii():  # compatibility forms may have become such marks
        folded = _blank_common_punctuation(folded)
    if folded.isascii():
        data = folded.encode("ascii").translate(_ASCII_WORD_BYTES)
    elif _HAS_UNSPACED.search(folded):
        data = "\x00".join(tokenize(folded)).encode("utf-8")
    else:
        # Spaced scripts: a character breaks words unless it is a letter, digit or mark
        # (tokenize's rule). Blank the few distinct non-ASCII breakers, then the bytes of
        # ASCII breakers become zeros and every byte of a multi-byte character is kept.
        marks = _mark_rules().marks
        for char in {c for c in set(folded) if not c.isascii()}:
            if not (char.isalnum() or char in marks):
                folded = folded.replace(char, " ")
        data = folded.encode("utf-8").translate(_UTF8_WORD_BYTES)
    return np.frombuffer(data, dtype=np.uint8)
