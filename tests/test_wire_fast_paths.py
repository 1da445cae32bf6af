"""strip_wire tries its patterns only where they can match; these check that it finds exactly
what a scan of the whole text with the same patterns finds."""

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect import wire
from dupdetect.wire import find_furniture, strip_wire

PIECES = [
    "WASHINGTON (AP) — ", "MILLBROOK, Ore. (AP) — ", "LONDON (Reuters) - ", "PARIS, May 3 (AFP) -",
    "### ", "###\n", "####\t", "NEW YORK -- ", "BERLIN — ", "\n", "\n\n", "\r\n", " ", "\t", "___",
    "Associated Press writer Jo contributed.", "(Reporting by A; Editing by B)",
    "Copyright 2024 The Associated Press", "This story has been corrected.", "Follow Jo on Twitter",
    "may not be published, broadcast, rewritten or redistributed", "İ", "K", "ı", "ſ", "contrİbuted",
    "CONTRIBUTED", "Has Been", "(ap)", ") —", ")-", "–", "—", "--", "a", "The", "x" * 601, "(dpa) – ",
    "A.B. (UPI)—", "\u2028", "\x85", "\ud800", "é", "\U0001d538", "co", "__", "fOLLOW ", "\x7f",
    "Ġ", "ſ" * 17, "_" * 40, "contributed\n" * 3,
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join) | st.text(max_size=80)


@given(texts)
def test_datelines_are_those_a_full_scan_finds(text):
    found = wire._dateline_matches(text)
    assert [m.span() for m in found] == [m.span() for m in wire._DATELINE.finditer(text)]


@given(texts)
def test_dateline_hints_are_those_a_full_scan_finds(text):
    expected = [m.start() for m in wire._DATELINE_HINT.finditer(text)]
    assert list(wire._dateline_hints(text)) == expected


@given(texts)
def test_plain_dateline_is_the_first_a_full_scan_finds(text):
    match, expected = wire._plain_dateline(text), wire._PLAIN_DATELINE.search(text)
    assert (match and match.span()) == (expected and expected.span())


@given(texts)
def test_footer_lines_are_those_every_line_test_finds(text):
    every_line = [
        (number, line, agency)
        for number, line in enumerate(text.split("\n"))
        if (agency := wire._footer_agency(line)) is not None
    ]
    assert [tuple(footer) for footer in wire._footer_lines(text)] == every_line


@given(texts)
def test_ascii_folded_text_holds_the_hints_the_lower_cased_text_holds(text):
    folded = wire._ascii_folded(text)
    assert len(folded) == len(text)
    for hint in wire._FOOTER_HINTS:
        assert (hint.encode() in folded) == (hint in text.lower())


@given(texts)
def test_python_and_c_hint_search_agree(text):
    folded = wire._ascii_folded(text)
    for start in (0, len(folded) // 2):
        expected = wire.find_any_python(folded, wire._FOOTER_HINT_BYTES, start)
        assert wire.find_any(folded, wire._FOOTER_HINT_BYTES, start) == expected


@given(texts)
def test_c_hinted_lines_read_the_text_as_its_folded_copy_does(text):
    if wire._speedups is None:
        return
    expected = wire._hinted_lines(wire._ascii_folded(text))
    assert wire._speedups.hinted_lines(text, wire._FOOTER_HINT_BYTES) == expected


def test_c_hinted_lines_in_long_texts_of_every_width():
    if wire._speedups is None:
        return
    lines = ["plain words here " * 5, "By AP writer CONTRIBUTED", "no", "___", "x" * 37 + "co"]
    for extra in ("", "é", "—", "\U0001d538"):
        text = "\n".join(line + extra for line in lines * 40)
        expected = wire._hinted_lines(wire._ascii_folded(text))
        assert wire._speedups.hinted_lines(text, wire._FOOTER_HINT_BYTES) == expected
        assert len(expected) == 80


@given(texts | st.text(alphabet="-—–a\n", max_size=12))
def test_dash_check_is_any_dash_in_the_text(text):
    assert wire._has_dash(text) == any(dash in text for dash in wire._DASHES)
    if wire._speedups is not None:
        assert wire._speedups.has_double_hyphen(text) == ("--" in text)


def test_c_hinted_lines_two_character_needles_and_shared_prefixes():
    """The C filter compares three characters; a two-character needle accepts any third one,
    and needles sharing a pair ("co") are told apart by the third."""
    if wire._speedups is None:
        return
    needles = (b"ab", b"abc", b"con", b"cop", b"xyz")
    lines = ["AB", "a b", "xAb!", "ab", "CONtra", "coal", "cOpy", "cod", "xy", "XYZ" + "q" * 20]
    for extra in ("", "é", "—", "\U0001d538"):
        text = "\n".join(line + extra for line in lines * 5)
        folded_lines = wire._ascii_folded(text).split(b"\n")
        expected = [n for n, line in enumerate(folded_lines) if any(k in line for k in needles)]
        assert wire._speedups.hinted_lines(text, needles) == expected
        assert len(expected) == 30


def test_c_hinted_lines_rejects_one_character_needles():
    if wire._speedups is None:
        return
    with pytest.raises(ValueError):
        wire._speedups.hinted_lines("abc", (b"a",))


def test_heading_marks_and_several_datelines():
    text = "### WASHINGTON (AP) — ### LONDON (Reuters) - Body\nNext\nPARIS (AFP) - More"
    assert strip_wire(text) == wire.WireCleaned("### ### Body\nNext\nMore", "AP")
    assert find_furniture(text).datelines == (
        "WASHINGTON (AP) — ", "LONDON (Reuters) - ", "PARIS (AFP) - ",
    )  # fmt: skip


def test_dateline_on_a_later_line_after_crlf():
    assert strip_wire("Title\r\nDENVER (AP) — Body\r\n").text == "Title\r\nBody\r\n"


def test_footer_lines_anywhere_and_last():
    text = "Body.\n___\nMore.\nASSOCIATED PRESS WRITER Jo Li CONTRIBUTED.\n(Reporting by A; Editing by B)"
    assert strip_wire(text) == wire.WireCleaned("Body.\nMore.", "AP")


def test_hint_made_by_lower_casing_a_non_ascii_letter_is_not_a_hint():
    # "contrİbuted".lower() is "contri̇buted" (with U+0307): no hint, the line stays.
    text = "Body.\nAssociated Press writer Jo contrİbuted."
    assert strip_wire(text).text == text


# Pieces for wire_hints: its marks and hints in any case, next to padding that moves them over
# the 16- and 32-character steps of the vector scan, in texts of all three str widths.
MARKS = [
    ")", ") —", ")\t\t–", ")  -", ") \n-", ")x-", "--", "-", "- -", "—", "–", "\u2012", "\u2015",
    "\n", "\r\n", "é", "ÿ", "\u0100", "\u2029", "\U0001f600", "\U0001d538", "i\u0307", "\x00",
    "# ", "###\n", "(AP) —", "x" * 15, "#" * 31,
]  # fmt: skip


def _cased(hint_and_mask: tuple[str, int]) -> str:
    hint, mask = hint_and_mask
    return "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(hint))


cased_hints = st.tuples(st.sampled_from(wire._FOOTER_HINTS), st.integers(0, 2**12)).map(_cased)
padding = st.integers(0, 40).map(lambda k: "y" * k)
mark_texts = st.lists(
    st.sampled_from(MARKS) | st.sampled_from(PIECES) | cased_hints | padding, max_size=20
).map("".join)


def reference_hints(text: str) -> tuple[bool, bool, list[int]] | None:
    """What ``_speedups.wire_hints`` answers, by the patterns and searches it stands for."""
    dateline = wire._DATELINE_HINT.search(text) is not None
    dash = any(d in text for d in wire._DASHES)
    numbers = wire._hinted_lines(wire._ascii_folded(text))
    return (dateline, dash, numbers) if dateline or dash or numbers else None


@settings(max_examples=400)
@given(mark_texts | texts)
def test_c_wire_hints_agree_with_the_patterns(text):
    if wire._speedups is None:
        return
    expected = reference_hints(text)
    assert wire._speedups.wire_hints(text, wire._FOOTER_HINT_BYTES) == expected
    # the scan it shares with hinted_lines finds the same lines for both
    lines = wire._speedups.hinted_lines(text, wire._FOOTER_HINT_BYTES)
    assert lines == (expected[2] if expected else [])


def test_c_wire_hints_at_every_position_of_every_width():
    """Each mark alone, at every position over two vector steps, in each str width; and after
    a footer hint on the same line (the scan goes on through that line while marks are
    pending, where hinted_lines skips to its end)."""
    if wire._speedups is None:
        return
    for mark in (") —", ")\t-", "--", "—", "–", ")", "-", "___"):
        for width in ("", "é", "\u0100", "\U0001f600"):
            for at in range(70):
                for before in ("", "Has Been "):
                    text = width + before + "z" * at + mark + "z" * (at % 5)
                    got = wire._speedups.wire_hints(text, wire._FOOTER_HINT_BYTES)
                    assert got == reference_hints(text), (mark, width, at, before)


def test_c_wire_hints_of_text_without_marks_or_hints():
    if wire._speedups is None:
        return
    for text in ("", "a", "plain (words) here - a-b\n" * 50, "ü" * 99, "\U0001f600" * 40):
        assert wire._speedups.wire_hints(text, wire._FOOTER_HINT_BYTES) is None


def test_c_wire_hints_reject_bad_needles():
    if wire._speedups is None:
        return
    with pytest.raises(ValueError):
        wire._speedups.wire_hints("abc", (b"a",))
    with pytest.raises(ValueError):
        wire._speedups.wire_hints("abc", (b"ab",) * 17)


# Furniture whose cut changes what the whole text holds: a hint or the only dash inside an
# agency or plain dateline, datelines next to footers, several on a line.
CUT_PIECES = [
    "COPYRIGHT (AP) — ", "X, A___ (AP) - ", "CONTRIBUTED -- ", "FOLLOW — ", "LONDON (Reuters) -- ",
    "NEW YORK -- ", "BERLIN – ", "Rome, Italy -- ", "### PARIS (AFP) - ", "(AP) — ", "\n", "\n",
    "___", "Associated Press writers Jo contributed", "— ", "--", "Body.",
]  # fmt: skip
cut_texts = st.lists(
    st.sampled_from(CUT_PIECES) | st.sampled_from(PIECES) | st.sampled_from(MARKS) | padding,
    max_size=16,
).map("".join)


def _without_c(function, text):
    with mock.patch.object(wire, "_speedups", None):
        return function(text)


@settings(max_examples=400)
@given(cut_texts | mark_texts | texts)
def test_strip_wire_with_the_c_pass_is_the_reference(text):
    assert strip_wire(text) == _without_c(strip_wire, text)


@settings(max_examples=400)
@given(cut_texts | mark_texts | texts)
def test_find_furniture_with_the_c_pass_is_the_reference(text):
    assert find_furniture(text) == _without_c(find_furniture, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "WASHINGTON (AP) — ",
        "NEW YORK -- ",
        "___",
        "COPYRIGHT (AP) — Copyright 2024 The Associated Press",
        "LONDON (Reuters) -- Shares fell.\nBERLIN -- More.",
        "X, A___ (AP) - Body\n___\nFOLLOW Jo on Twitter",
        "CONTRIBUTED -- Body.\r\n___\r\n",
    ],
)
def test_furniture_only_and_cut_hints_give_the_reference(text):
    assert strip_wire(text) == _without_c(strip_wire, text)
    assert find_furniture(text) == _without_c(find_furniture, text)
