"""Issue 6 target, small: the same synthetic articles as plain text and as a mix of every input
format (txt, md, html, json, jsonl, csv, rss, atom, warc.gz, jsonl.gz, txt.bz2, csv.xz) give
identical clusters. The generator and the comparison are those of ``bench/bench_formats.py``."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bench_formats  # noqa: E402


def test_mixed_formats_give_the_same_clusters_as_plain_text(tmp_path: Path) -> None:
    layout = bench_formats.write_corpora(tmp_path, 120, seed=5)
    assert all(layout.by_format[fmt] for fmt in bench_formats.FORMATS)  # every format used
    comparison, plain_scores, mixed_scores, (plain, mixed) = bench_formats.run_comparison(layout)
    assert comparison.same_documents, comparison.unmapped
    assert not mixed.skipped and not plain.skipped
    assert comparison.plain_clusters > 0
    assert comparison.identical, (comparison.only_plain, comparison.only_mixed)
    assert mixed_scores == plain_scores
