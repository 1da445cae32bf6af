"""Explain a match: word-level alignment of two articles, with exact scores.

``diff_documents(text_a, text_b)`` scores two texts exactly as a scan does (wire cleanup,
normalization, word shingles, exact Jaccard and containment both ways) and aligns their words.
The alignment is returned as ``ops`` covering both original texts in order, with character
offsets, so ``op.a_text == text_a[op.a_start:op.a_end]`` and the concatenation of every op's
``a_text`` is ``text_a`` (the same for B). Words are compared in normalized form (NFKC, case
folding, punctuation ignored), so an ``equal`` op can differ in case or punctuation.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from .normalize import words
from .shingle import shingles
from .verify import score
from .wire import strip_wire

#: Characters that always separate words and never join them after normalization: whitespace
#: and common punctuation (apostrophes, backticks and underscores are left out on purpose:
#: normalization drops apostrophes inside words, so "it's" must stay one token).
_SEPARATORS = r"\s!\"#$%&()*+,\-./:;<=>?@\[\\\]^{|}~—–‐‑‒―“”„«»‹›…•·¡¿"
_TOKEN = re.compile(f"[^{_SEPARATORS}]+")
_CHUNK = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Token:
    """A word-bearing piece of the original text: its span and its normalized words."""

    start: int
    end: int
    key: str


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One step of the alignment: ``a_text`` became ``b_text``."""

    op: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str

    def as_dict(self) -> dict[str, object]:
        """The op as a JSON-ready dict."""
        return {
            "op": self.op,
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "a_text": self.a_text,
            "b_text": self.b_text,
        }


@dataclass(frozen=True, slots=True)
class DiffScores:
    """Exact shingle scores (as in a scan) and rapidfuzz's ratio of the normalized words."""

    jaccard: float
    containment_a_in_b: float
    containment_b_in_a: float
    ratio: float

    def as_dict(self) -> dict[str, float]:
        """The scores as a JSON-ready dict."""
        return {
            "jaccard": self.jaccard,
            "containment_a_in_b": self.containment_a_in_b,
            "containment_b_in_a": self.containment_b_in_a,
            "ratio": self.ratio,
        }


@dataclass(frozen=True)
class Alignment:
    """Word tokens of both texts and difflib opcodes over them (token indexes)."""

    tokens_a: list[Token]
    tokens_b: list[Token]
    opcodes: list[tuple[str, int, int, int, int]]


@dataclass(frozen=True)
class DiffResult:
    """Scores and ops of two texts."""

    scores: DiffScores
    ops: list[DiffOp]


def tokenize_spans(text: str) -> list[Token]:
    """Word tokens of ``text`` with their character spans and normalized words.

    The normalized words of all tokens, in order, are exactly ``normalize.words(text)``.

    >>> [(t.start, t.end, t.key) for t in tokenize_spans("It's 4,700 (AP)")]
    [(0, 4, 'its'), (5, 6, '4'), (7, 10, '700'), (12, 14, 'ap')]
    """
    tokens = _tokens(text, _TOKEN)
    if [w for t in tokens for w in t.key.split(" ")] != words(text):
        # Rare Unicode (a combining mark after punctuation, a compatibility character that
        # normalizes to letters) can join across punctuation: fall back to whitespace chunks.
        tokens = _tokens(text, _CHUNK)
    return tokens


def _tokens(text: str, pattern: re.Pattern[str]) -> list[Token]:
    found = []
    for match in pattern.finditer(text):
        key = " ".join(words(match.group()))
        if key:
            found.append(Token(match.start(), match.end(), key))
    return found


def align(text_a: str, text_b: str) -> Alignment:
    """Align the word tokens of two texts (difflib, no junk heuristic) on normalized words."""
    tokens_a, tokens_b = tokenize_spans(text_a), tokenize_spans(text_b)
    ids: dict[str, int] = {}
    keys_a = [ids.setdefault(t.key, len(ids)) for t in tokens_a]
    keys_b = [ids.setdefault(t.key, len(ids)) for t in tokens_b]
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    return Alignment(tokens_a, tokens_b, matcher.get_opcodes())


def diff_scores(text_a: str, text_b: str, shingle_size: int = 5, clean: bool = True) -> DiffScores:
    """Jaccard and containment as a scan computes them, plus rapidfuzz ``fuzz.ratio`` (0-1)."""
    words_a, words_b = _scan_words(text_a, clean), _scan_words(text_b, clean)
    pair = score(shingles(words_a, shingle_size), shingles(words_b, shingle_size))
    ratio = fuzz.ratio(" ".join(words_a), " ".join(words_b)) / 100
    return DiffScores(pair.jaccard, pair.containment_ab, pair.containment_ba, round(ratio, 4))


def _scan_words(text: str, clean: bool) -> list[str]:
    """The words a scan shingles: wire furniture removed (if ``clean``), normalized."""
    return (words(strip_wire(text).text) if clean else []) or words(text)


def diff_documents(
    text_a: str, text_b: str, shingle_size: int = 5, strip_wire: bool = True
) -> DiffResult:
    """Scores and character-offset ops that turn ``text_a`` into ``text_b``.

    >>> result = diff_documents("The cat sat.", "The dog sat.")
    >>> [(op.op, op.a_text, op.b_text) for op in result.ops]
    [('equal', 'The ', 'The '), ('replace', 'cat', 'dog'), ('equal', ' sat.', ' sat.')]
    """
    scores = diff_scores(text_a, text_b, shingle_size, strip_wire)
    return DiffResult(scores, alignment_ops(align(text_a, text_b), text_a, text_b))


def alignment_ops(alignment: Alignment, text_a: str, text_b: str) -> list[DiffOp]:
    """Token opcodes mapped to contiguous character ranges of the original texts.

    The whitespace and punctuation between two ops' tokens is split between them: the part
    both texts share goes to the neighbouring ``equal`` op, the rest to the change.
    """
    if not alignment.tokens_a or not alignment.tokens_b:
        return _whole(alignment, text_a, text_b)
    opcodes = alignment.opcodes
    cuts = [(0, 0)]
    for left, right in zip(opcodes, opcodes[1:], strict=False):
        cuts.append(_boundary(left[0] == "equal", right, alignment, text_a, text_b, cuts[-1]))
    cuts.append((len(text_a), len(text_b)))
    ops = []
    spans = zip(cuts[:-1], cuts[1:], strict=True)
    for (tag, *_), ((a_start, b_start), (a_end, b_end)) in zip(opcodes, spans, strict=True):
        a_text, b_text = text_a[a_start:a_end], text_b[b_start:b_end]
        tag = _tag(tag, a_text, b_text)
        ops.append(DiffOp(tag, a_start, a_end, b_start, b_end, a_text, b_text))
    return ops


def _boundary(
    after_equal: bool,
    right: tuple[str, int, int, int, int],
    alignment: Alignment,
    text_a: str,
    text_b: str,
    previous: tuple[int, int],
) -> tuple[int, int]:
    """Where the op ``right`` starts in each text, within the gap before its first token."""
    a0, a1 = _gap(alignment.tokens_a, right[1], len(text_a))
    b0, b1 = _gap(alignment.tokens_b, right[3], len(text_b))
    gap_a, gap_b = text_a[a0:a1], text_b[b0:b1]
    if after_equal:
        shared = len(os.path.commonprefix([gap_a, gap_b]))
        cut = (a0 + shared, b0 + shared)
    else:
        shared = len(os.path.commonprefix([gap_a[::-1], gap_b[::-1]]))
        cut = (a1 - shared, b1 - shared)
    return (max(cut[0], previous[0]), max(cut[1], previous[1]))


def _gap(tokens: list[Token], index: int, length: int) -> tuple[int, int]:
    """The text between token ``index - 1`` and token ``index`` (or the text's ends)."""
    start = tokens[index - 1].end if index > 0 else 0
    end = tokens[index].start if index < len(tokens) else length
    return start, end


def _whole(alignment: Alignment, text_a: str, text_b: str) -> list[DiffOp]:
    """One op for two texts of which at least one has no words."""
    if not text_a and not text_b:
        return []
    if not alignment.tokens_a and not alignment.tokens_b:
        tag = "equal"
    else:
        tag = "insert" if not text_a else "delete" if not text_b else "replace"
    return [DiffOp(tag, 0, len(text_a), 0, len(text_b), text_a, text_b)]


def _tag(tag: str, a_text: str, b_text: str) -> str:
    """The opcode, corrected when a side without words still holds text (whitespace only)."""
    if tag in ("insert", "delete") and a_text and b_text:
        return "replace"
    return tag
