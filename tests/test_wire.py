import pytest

from dupdetect import ScanConfig, scan
from dupdetect.wire import strip_wire


@pytest.mark.parametrize(
    ("text", "body", "wire"),
    [
        ("WASHINGTON (AP) — The Senate voted.", "The Senate voted.", "AP"),
        ("MILLBROOK, Ore. (AP) — The town voted.", "The town voted.", "AP"),
        ("LONDON (Reuters) - Shares fell.", "Shares fell.", "Reuters"),
        ("PARIS (AFP) - Le port.", "Le port.", "AFP"),
        ("Headline\nBERLIN (dpa) – Die Stadt.", "Headline\nDie Stadt.", "dpa"),
        ("NEW YORK -- Spotify said.", "Spotify said.", ""),
        ("The mayor cited (AP) reports.", "The mayor cited (AP) reports.", ""),
        ("A photo. (AP Photo/Jane Doe)", "A photo. (AP Photo/Jane Doe)", ""),
    ],
)
def test_datelines(text, body, wire):
    assert strip_wire(text) == (body, wire) or (strip_wire(text).text, strip_wire(text).wire) == (
        body,
        wire,
    )


@pytest.mark.parametrize(
    ("footer", "wire"),
    [
        ("___\nAssociated Press writer Jane Doe in Salem contributed to this report.", "AP"),
        ("(Reporting by Jane Doe; Editing by Bob Roe)", "Reuters"),
        ("Copyright 2026 The Associated Press. All rights reserved.", "AP"),
        ("This story has been corrected to show the vote was 5-2.", ""),
    ],
)
def test_footers_are_removed_and_credit_the_agency(footer, wire):
    cleaned = strip_wire(f"The story itself.\n{footer}")
    assert cleaned.text == "The story itself."
    assert cleaned.wire == wire


def test_wire_field_reported_per_document_and_cluster(tmp_path):
    story = " ".join(f"word{i}" for i in range(80))
    (tmp_path / "a.txt").write_text(f"T\n{story}", encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        f"T\nDENVER (AP) — {story}\n___\nAssociated Press writers Jo Ray and Al Li contributed.",
        encoding="utf-8",
    )
    (cluster,) = scan([tmp_path]).clusters
    assert cluster.wire == "AP"
    assert {m.id: m.wire for m in cluster.members} == {"a.txt": "", "b.txt": "AP"}
    assert all(m.similarity == 1.0 for m in cluster.members)  # dateline and footer do not count
    (kept,) = scan([tmp_path], ScanConfig(strip_wire=False)).clusters
    assert min(m.similarity for m in kept.members) < 1.0
