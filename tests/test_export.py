import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dupdetect.export import CSV_COLUMNS, CsvLines, csv_row, member_dict
from dupdetect.models import Member

cells = st.one_of(st.text(max_size=8), st.floats(allow_nan=False), st.integers(), st.none())
members = st.builds(
    Member,
    id=cells,
    path=cells,
    title=cells,
    source=cells,
    url=cells,
    date=cells,
    wire=cells,
    similarity=cells,
    containment=cells,
    contained_in_representative=cells,
    representative_contained=cells,
    is_representative=st.booleans(),
    boilerplate=cells,
)


def _row_from_member_dict(cluster_id, cluster_size, member):
    """The CSV row as built from ``member_dict``: floats to four decimals, the rest ``str``."""
    row = {"cluster_id": cluster_id, "cluster_size": cluster_size, **member_dict(member)}
    row["doc_id"] = row.pop("id")
    row["is_representative"] = str(member.is_representative).lower()
    return [f"{v:.4f}" if isinstance(v, float) else str(v) for v in map(row.get, CSV_COLUMNS)]


@given(st.text(max_size=8), st.integers(1, 500), members)
def test_csv_row_is_member_dict_in_column_order(cluster_id, cluster_size, member):
    assert csv_row(cluster_id, cluster_size, member) == _row_from_member_dict(
        cluster_id, cluster_size, member
    )


@given(st.lists(st.text(alphabet=st.sampled_from('ab ,"\r\n\x00é'), max_size=6), max_size=5))
def test_csv_lines_are_what_csv_writer_writes(cells):
    written = io.StringIO(newline="")
    csv.writer(written, lineterminator="\n").writerow(cells)
    assert CsvLines()(cells) == written.getvalue()


#: Texts holding one kind of character that needs quoting, or none (one alphabet per member).
ALPHABETS = ['ab "', "ab ,", "ab \r", "ab \n", "ab \x00é"]
float_scores = st.floats(allow_nan=False)
any_scores = st.one_of(float_scores, st.integers(0, 2))


def _members(alphabet, scores, flags):
    text = st.text(alphabet=alphabet, max_size=6)
    return st.builds(
        Member,
        id=text,
        path=text,
        title=text,
        source=text,
        url=text,
        date=text,
        wire=text,
        similarity=scores,
        containment=scores,
        contained_in_representative=scores,
        representative_contained=scores,
        is_representative=flags,
        boilerplate=scores,
    )


@given(
    st.text(alphabet="abc0", max_size=6),
    st.integers(1, 500),
    st.one_of(
        st.sampled_from(ALPHABETS).flatmap(  # cells to quote
            lambda alphabet: _members(alphabet, float_scores, st.booleans())
        ),
        _members(ALPHABETS[-1], any_scores, st.one_of(st.booleans(), st.integers(0, 1))),
    ),
)
def test_csv_line_of_a_member_is_what_csv_writer_writes_of_its_row(cluster_id, size, member):
    from dupdetect.export import _csv_line

    written = io.StringIO(newline="")
    csv.writer(written, lineterminator="\n").writerow(csv_row(cluster_id, size, member))
    assert _csv_line(cluster_id, size, member, CsvLines()) == written.getvalue()


TEXT_FIELDS = ("id", "path", "title", "source", "url", "date", "wire")


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("special", [",", '"', "\n", "\r", "\x00", "é"])
def test_csv_line_quotes_any_text_cell_as_csv_writer_does(field, special):
    from dataclasses import replace

    from dupdetect.export import _csv_line

    plain = Member("i", "p", "t", "s", "u", "d", "w", 0.5, 0.25, 1.0, 0.125, False, 0.0)
    member = replace(plain, **{field: f"a{special}b"})
    written = io.StringIO(newline="")
    csv.writer(written, lineterminator="\n").writerow(csv_row("c1", 2, member))
    assert _csv_line("c1", 2, member, CsvLines()) == written.getvalue()


@pytest.mark.parametrize(
    "changes",
    [
        {"similarity": 1},
        {"containment": 0},
        {"contained_in_representative": 1},
        {"representative_contained": 0},
        {"boilerplate": 0},
        {"is_representative": 1},
    ],
)
def test_csv_line_of_scores_that_are_not_floats_is_csv_row_s(changes):
    from dataclasses import replace

    from dupdetect.export import _csv_line

    member = replace(
        Member("i", "p", "t", "s", "u", "d", "w", 0.5, 0.25, 1.0, 0.125, True, 0.0), **changes
    )
    assert _csv_line("c1", 2, member, CsvLines()) == ",".join(csv_row("c1", 2, member)) + "\n"
