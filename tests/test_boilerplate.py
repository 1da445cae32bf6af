import json

import numpy as np

from dupdetect import ScanConfig, scan
from dupdetect.boilerplate import remove_boilerplate

NAV = "Home News Sports Opinion Obituaries Share this article on Facebook Twitter Email "
NAV += "Sign up for our morning newsletter to get the headlines every day in your inbox "
NAV += "Related Articles Copyright 2026 The Example Gazette all rights reserved worldwide "


def _story(seed, n=60):
    rng = np.random.default_rng(seed)
    return " ".join(f"w{int(i)}" for i in rng.integers(0, 50_000, n))


def test_site_chrome_does_not_make_different_stories_match(tmp_path):
    records = [
        {"id": f"p{i}", "source": "gazette.example", "text": NAV + _story(i, 20) + " " + NAV}
        for i in range(6)
    ]
    (tmp_path / "site.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records), encoding="utf-8"
    )
    assert scan([tmp_path]).clusters == ()
    # Without boilerplate removal the shared chrome glues the site's pages together.
    assert scan([tmp_path], ScanConfig(boilerplate_min_docs=0)).clusters != ()


def _write_wrapped_copy(folder):
    """A wire story, five pages of one site, and the story copied into that site's chrome."""
    story = _story(99, 120)
    records = [{"id": "wire", "source": "wire.example", "text": story}]
    records += [
        {"id": f"p{i}", "source": "gazette.example", "text": NAV + _story(i) + " " + NAV}
        for i in range(5)
    ]
    records.append({"id": "copy", "source": "gazette.example", "text": NAV + story + " " + NAV})
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")


def test_a_wrapped_copy_still_matches_its_original(tmp_path):
    _write_wrapped_copy(tmp_path)
    (cluster,) = scan([tmp_path]).clusters
    assert sorted(m.id for m in cluster.members) == ["copy", "wire"]
    with_chrome = scan([tmp_path], ScanConfig(boilerplate_min_docs=0)).clusters[0]
    # Only the few shingles spanning chrome and story remain: the copy looks like the original.
    assert min(m.similarity for m in cluster.members) > 0.9
    assert min(m.similarity for m in with_chrome.members) < 0.8


def test_identical_pages_of_one_source_are_not_emptied():
    page = np.arange(50, dtype=np.uint64)
    pages = [page] * 6
    assert remove_boilerplate(pages, ["s"] * 6, min_docs=5) == [0.0] * 6
    assert all(np.array_equal(s, page) for s in pages)


def test_unknown_source_is_left_alone():
    page = np.arange(50, dtype=np.uint64)
    assert remove_boilerplate([page] * 6, [""] * 6, min_docs=5) == [0.0] * 6


def test_json_reports_the_share_treated_as_boilerplate(tmp_path):
    _write_wrapped_copy(tmp_path)
    (cluster,) = scan([tmp_path]).clusters
    shares = {m.id: m.boilerplate for m in cluster.members}
    assert shares["wire"] == 0.0
    assert 0.2 < shares["copy"] < 0.4  # the chrome's shingles out of the page's
