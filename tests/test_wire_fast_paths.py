"""strip_wire tries its patterns only where they can match; these check that it finds exactly
what a scan of the whole text with the same patterns finds."""

import pytest
from hypothesis import given
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
