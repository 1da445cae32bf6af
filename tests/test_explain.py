"""explain(): one-line summaries of how a member differs; `scan --explain` in every format."""

import csv
import io
import json
from pathlib import Path

from dupdetect import ScanConfig, scan
from dupdetect.explain import explain, explain_result
from dupdetect.load import InputFile, read_file
from dupdetect.models import Document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FOUR = FIXTURES / "four"
ARTICLES = FIXTURES / "articles"


def _doc(path: Path) -> Document:
    (doc,) = read_file(InputFile(path, path.name), max_file_size=10**7)
    return doc


def test_portal_copy_against_wire_original_names_dateline_footer_headline():
    wire, portal = _doc(FOUR / "wire-original.txt"), _doc(FOUR / "portal-copy.txt")
    assert explain(wire.text, portal.text, wire.title, portal.title) == (
        "+dateline (AP), +footer, headline changed"
    )
    assert explain(portal.text, wire.text, portal.title, wire.title) == (
        "−dateline (AP), −footer, headline changed"
    )


def test_same_text():
    text = _doc(FOUR / "wire-original.txt").text
    assert explain(text, text, "A", "a") == "same text"
    assert explain(text, text.replace(".", "!"), "A", "A").startswith("same words")


STORY = [
    "The county board voted on Tuesday to rebuild the old river dam after a decade of arguments.",
    "Officials said construction would start next spring and last about two years in all.",
    "Residents who packed the meeting hall applauded when the final tally was read aloud.",
    "A second vote on the fish ladder is planned for the autumn session of the board.",
]


def test_dropped_and_added_paragraphs_and_changed_words():
    rep = "\n\n".join(STORY)
    member = "\n\n".join(
        [
            STORY[0].replace("Tuesday", "Monday").replace("old", "ancient"),
            STORY[1],
            "An unrelated closing paragraph about parking meters downtown and the budget.",
        ]
    )
    assert explain(rep, member) == "−2 paragraphs, +1 paragraph, 2 words changed"


def test_reuters_dateline_removed():
    rep = "LONDON (Reuters) - " + "\n\n".join(STORY)
    assert explain(rep, "\n\n".join(STORY)) == "−dateline (Reuters)"


def test_explain_result_rereads_members_of_a_scan():
    config = ScanConfig()
    result = scan([ARTICLES], config)
    explanations = explain_result(result, [ARTICLES], config)
    assert set(explanations) == {c.id for c in result.clusters}
    for cluster in result.clusters:
        found = explanations[cluster.id]
        assert found[cluster.representative] == ""
        for member in cluster.members[1:]:
            assert found[member.id] and "not readable" not in found[member.id]
    feed = next(c for c in result.clusters if c.representative == "mf-0002")
    assert explanations[feed.id]["feeds/morning-feed.jsonl:5"] == "−dateline (AP), headline changed"


def test_scan_explain_json_jsonl_csv_and_table(invoke):
    data = json.loads(invoke(["scan", FOUR, "--explain", "-f", "json", "-j", "1"]).stdout)
    (cluster,) = data["clusters"]
    by_id = {d["id"]: d["explanation"] for d in cluster["documents"]}
    assert by_id == {
        "portal-copy.txt": "",
        "wire-original.txt": "−dateline (AP), −footer, headline changed",
    }
    line = invoke(["scan", FOUR, "--explain", "-f", "jsonl"]).stdout.splitlines()[0]
    assert json.loads(line)["documents"][1]["explanation"] == by_id["wire-original.txt"]
    rows = list(
        csv.DictReader(io.StringIO(invoke(["scan", FOUR, "--explain", "-f", "csv"]).stdout))
    )
    plain = invoke(["scan", FOUR, "-f", "csv"]).stdout.splitlines()
    assert [r["explanation"] for r in rows] == ["", by_id["wire-original.txt"]]
    assert invoke(["scan", FOUR, "--explain", "-f", "csv"]).stdout.splitlines()[0] == (
        plain[0] + ",explanation"
    )
    table = invoke(["scan", FOUR, "--explain"], env={"COLUMNS": "160"}).stdout
    assert "differences from rep" in table and "−dateline (AP), −footer" in table


def test_scan_without_explain_is_unchanged(invoke):
    assert "explanation" not in invoke(["scan", FOUR, "-f", "json"]).stdout
