import pytest
from hypothesis import given
from hypothesis import strategies as st

from dupdetect.normalize import normalize, tokenize, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Senate's vote", ["the", "senates", "vote"]),
        ("The Senate’s vote", ["the", "senates", "vote"]),
        ("WASHINGTON (AP) — Lawmakers", ["washington", "ap", "lawmakers"]),
        ("4,700 casualties; 600 dead", ["4", "700", "casualties", "600", "dead"]),
        ("___\nAssociated Press writer", ["associated", "press", "writer"]),
        ("Ｆｕｌｌｗｉｄｔｈ ﬁne", ["fullwidth", "fine"]),
        ("Die Straße", ["die", "strasse"]),
        ("Η Ελλάδα ΣΉΜΕΡΑ", ["η", "ελλάδα", "σήμερα"]),
        ("Москва — столица России", ["москва", "столица", "россии"]),
        ("مرحبا بالعالم", ["مرحبا", "بالعالم"]),
        ("नमस्ते दुनिया", ["नमस्ते", "दुनिया"]),
        ("", []),
        ("— … !!", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_decomposed_and_composed_accents_agree():
    assert words("cafe\u0301 crème") == words("café crème")


def test_normalize_is_idempotent_on_examples():
    for text in ["Don’t", "ＡＢＣ", "Straße", "İstanbul"]:
        once = normalize(text)
        assert normalize(once) == once


def test_tokenize_keeps_combining_marks_inside_words():
    assert tokenize("क़िताब") == ["क़िताब"]


@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII text, with punctuation -- and numbers 4,700.",
        "Curly “quotes” — em dashes – and the Senate’s vote…",
        "Café crème, naïve Zoë; Straße",
        "Москва — столица. Η Ελλάδα. مرحبا بالعالم. नमस्ते दुनिया",
        "snake_case and ___ rules",
        "",
    ],
)
def test_word_bytes_are_the_words(text):
    from dupdetect.normalize import word_bytes

    assert [w.decode() for w in bytes(word_bytes(text)).split(b"\0") if w] == words(text)


def test_marks_are_kept_alike_with_and_without_unspaced_scripts():
    # Found by hypothesis: a lone combining macron (from NFKC of "¯") next to Khmer.
    assert words("\u00af\r\u1780") == ["\u0304", "\u1780"]
    assert words("\u00af x") == ["\u0304", "x"]


_SCRIPTS = "aZ09 _-'’.,—…«»€©®·°§¶†™\ufe58\u00a0\u0301\u0915\u093f\u0431\u03b1\u0645ßİﬁ①²\ud800\u0e01\u4e00"


@given(st.text(alphabet=st.sampled_from(_SCRIPTS) | st.characters(), max_size=60))
def test_word_bytes_are_the_words_for_any_text(text):
    from dupdetect.normalize import word_bytes

    assert [w.decode() for w in bytes(word_bytes(text)).split(b"\0") if w] == words(text)
