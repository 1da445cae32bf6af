import csv
import io

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
