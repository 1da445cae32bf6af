"""Issue 6 targets: the same articles as plain text and as a mix of every input format.

Usage (from the repo root; ``make bench-formats`` runs the default):

    .venv/bin/python bench/bench_formats.py                    # 1,000 articles, seed 5
    .venv/bin/python bench/bench_formats.py --docs 5000 --out BENCHMARKS.md

Writes ``data/formats-<docs>-<seed>/`` with

- ``plain/<id>.txt``: one file per ``dupdetect.synth`` article (title line, blank line, body);
- ``mixed/<format>/...``: the same articles, each in the format ``FORMATS[position % 12]``
  (``txt``, ``md``, ``html``, ``json`` and ``jsonl`` and ``csv`` files of 20 records, ``rss``
  and ``atom`` feeds of 10 entries, ``warc.gz`` of 10 HTML responses (each after its request
  record), and the compressed ``jsonl.gz``, ``txt.bz2``, ``csv.xz``). One folder per format,
  so each can be timed on its own (``mixed/html/`` is the HTML-only folder);
- ``manifest.json``: every id the mixed scan reports -> the plain id of the same article, and
  ``gold.jsonl``: the synth truth in plain ids.

Id mapping (plain id = ``<synth id>.txt``, e.g. ``d0000042.txt``): records (JSON, JSONL, CSV)
carry ``"id": "<plain id>"``, so their id *is* the plain id; ``.txt``/``.md``/``.html`` files
get their path under ``mixed/`` (``html/d0000002.html``); feed entries and WARC responses get
``https://bench.example/<plain id>`` as guid / Atom id / WARC-Target-URI. The manifest holds the
whole mapping.

The mixed files carry no metadata that plain text cannot (no source, no date): per-source
boilerplate removal and date-based representative choice would otherwise change clusters for
reasons that have nothing to do with reading. Each HTML page names its own site (so no two
pages share a source) and has no date.

Then: both folders are scanned with ``ScanConfig(jobs=2)``, the mixed clusters are mapped to
plain ids and compared, both are scored against the truth, and the reading stage
(``workers.shingle_inputs``, jobs=1) is timed per format against the plain files of the same
articles. Every timing is the median of 3 runs; a run repeats the work until it takes at least
``MIN_SAMPLE_S`` (small folders) and reports the time per pass.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import io
import json
import lzma
import math
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
for extra in (REPO_ROOT, REPO_ROOT / "scripts", BENCH_DIR):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from make_format_fixtures import (  # noqa: E402
    escape,
    html_escaped,
    html_page,
    write_warc_record,
)

from bench import machine  # noqa: E402
from dupdetect import ScanConfig, ScanResult, scan  # noqa: E402
from dupdetect.evaluate import Scores, score_clusters  # noqa: E402
from dupdetect.synth import SynthArticle, generate  # noqa: E402
from dupdetect.workers import Shingled, shingle_inputs  # noqa: E402

FORMATS = (
    "txt",
    "md",
    "html",
    "json",
    "jsonl",
    "csv",
    "rss",
    "atom",
    "warc.gz",
    "jsonl.gz",
    "txt.bz2",
    "csv.xz",
)
#: Articles per file for the formats that hold several.
PER_FILE = {"json": 20, "jsonl": 20, "csv": 20, "jsonl.gz": 20, "csv.xz": 20}
PER_FILE |= {"rss": 10, "atom": 10, "warc.gz": 10}
URL_BASE = "https://bench.example/"
#: html_page's fixed canonical link and date, replaced per page / dropped.
_CANONICAL = "https://courier.gullbay.example/news/ferry-fares-frozen"
_DATE_META = '<meta name="date" content="2024-03-05">\n'
REPEATS = 3
MIN_SAMPLE_S = 0.3


def plain_id(article: SynthArticle) -> str:
    return f"{article.id}.txt"


def url_of(article: SynthArticle) -> str:
    return URL_BASE + plain_id(article)


# Writing ---------------------------------------------------------------------------------


@dataclass
class Layout:
    """Where the two copies are, the id mapping and the truth."""

    root: Path
    manifest: dict[str, str]  # mixed id -> plain id
    gold: list[list[str]]  # plain ids
    by_format: dict[str, list[str]]  # format -> plain ids of its articles, in position order

    @property
    def plain(self) -> Path:
        return self.root / "plain"

    @property
    def mixed(self) -> Path:
        return self.root / "mixed"


def write_corpora(root: Path, n_docs: int, seed: int) -> Layout:
    """Write ``root/plain`` and ``root/mixed`` (replacing them), the manifest and the truth."""
    articles = list(generate(n_docs, seed))
    for name in ("plain", "mixed"):
        shutil.rmtree(root / name, ignore_errors=True)
        (root / name).mkdir(parents=True)
    for article in articles:
        text = f"{article.title}\n\n{article.text}\n"
        (root / "plain" / plain_id(article)).write_text(text, encoding="utf-8")
    groups: dict[str, list[SynthArticle]] = {fmt: [] for fmt in FORMATS}
    for position, article in enumerate(articles):
        groups[FORMATS[position % len(FORMATS)]].append(article)
    manifest: dict[str, str] = {}
    for fmt, members in groups.items():
        folder = root / "mixed" / fmt.replace(".", "-")
        folder.mkdir()
        manifest |= WRITERS[fmt](folder, members)
    clusters: dict[str, list[str]] = {}
    for article in articles:
        if article.cluster is not None:
            clusters.setdefault(article.cluster, []).append(plain_id(article))
    gold = [sorted(ids) for ids in clusters.values()]
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    with open(root / "gold.jsonl", "w", encoding="utf-8") as fh:
        for name, ids in clusters.items():
            fh.write(json.dumps({"cluster": name, "ids": sorted(ids)}) + "\n")
    by_format = {fmt: [plain_id(a) for a in members] for fmt, members in groups.items()}
    return Layout(root, manifest, gold, by_format)


def _files(members: list[SynthArticle], size: int) -> Iterable[tuple[int, list[SynthArticle]]]:
    for start in range(0, len(members), size):
        yield start // size, members[start : start + size]


def _rel(folder: Path, name: str) -> str:
    return f"{folder.name}/{name}"


def write_text_files(suffix: str, encode: Callable[[str], bytes], markdown: bool = False):
    def write(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
        ids = {}
        for a in members:
            name = f"{a.id}{suffix}"
            head = f"# {a.title}" if markdown else a.title
            (folder / name).write_bytes(encode(f"{head}\n\n{a.text}\n"))
            ids[_rel(folder, name)] = plain_id(a)
        return ids

    return write


def page(a: SynthArticle) -> str:
    """A full news page (nav, scripts, styles, comments, aside, footer around ``<article>``)."""
    html = html_page(escape(a.title), escape(a.text), site=f"Site {a.id}")
    return html.replace(_CANONICAL, url_of(a)).replace(_DATE_META, "")


def write_html(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
    ids = {}
    for a in members:
        (folder / f"{a.id}.html").write_text(page(a), encoding="utf-8")
        ids[_rel(folder, f"{a.id}.html")] = plain_id(a)
    return ids


def record(a: SynthArticle) -> dict[str, str]:
    return {"id": plain_id(a), "title": a.title, "text": a.text}


def write_json(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
    for number, chunk in _files(members, PER_FILE["json"]):
        records = [record(a) for a in chunk]
        text = json.dumps(records, indent=1, ensure_ascii=False) + "\n"
        (folder / f"batch-{number:04d}.json").write_text(text, encoding="utf-8")
    return {plain_id(a): plain_id(a) for a in members}


def write_jsonl(suffix: str, compress: Callable[[bytes], bytes]):
    def write(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
        for number, chunk in _files(members, PER_FILE["jsonl"]):
            lines = "".join(json.dumps(record(a), ensure_ascii=False) + "\n" for a in chunk)
            (folder / f"dump-{number:04d}{suffix}").write_bytes(compress(lines.encode("utf-8")))
        return {plain_id(a): plain_id(a) for a in members}

    return write


def write_csv(suffix: str, compress: Callable[[bytes], bytes]):
    def write(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
        for number, chunk in _files(members, PER_FILE["csv"]):
            out = io.StringIO(newline="")
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["id", "title", "text"])
            for a in chunk:
                writer.writerow([plain_id(a), a.title, a.text])
            data = compress(out.getvalue().encode("utf-8"))
            (folder / f"export-{number:04d}{suffix}").write_bytes(data)
        return {plain_id(a): plain_id(a) for a in members}

    return write


def write_rss(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
    for number, chunk in _files(members, PER_FILE["rss"]):
        xml = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel>']
        xml.append(f"<link>{URL_BASE}</link><description>Synthetic feed {number}</description>")
        for a in chunk:
            xml.append(
                f'<item><guid isPermaLink="true">{url_of(a)}</guid>'
                f"<title>{escape(a.title)}</title><link>{url_of(a)}</link>"
                f"<description>{html_escaped(a.text)}</description></item>"
            )
        xml.append("</channel></rss>")
        (folder / f"feed-{number:04d}.rss").write_text("\n".join(xml) + "\n", encoding="utf-8")
    return {url_of(a): plain_id(a) for a in members}


def write_atom(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
    for number, chunk in _files(members, PER_FILE["atom"]):
        xml = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<id>{URL_BASE}feeds/{number}</id>",
        ]
        for a in chunk:
            xml.append(
                f"<entry><id>{url_of(a)}</id><title>{escape(a.title)}</title>"
                f'<link href="{url_of(a)}"/>'
                f'<content type="html">{html_escaped(a.text)}</content></entry>'
            )
        xml.append("</feed>")
        (folder / f"feed-{number:04d}.atom").write_text("\n".join(xml) + "\n", encoding="utf-8")
    return {url_of(a): plain_id(a) for a in members}


def write_warc(folder: Path, members: list[SynthArticle]) -> dict[str, str]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    serial = 0
    for number, chunk in _files(members, PER_FILE["warc.gz"]):
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)

        def put(uri: str, kind: str, payload: bytes, http=None, writer=writer) -> None:  # noqa: ANN001
            nonlocal serial
            serial += 1
            write_warc_record(writer, serial, uri, kind, payload, http)

        for a in chunk:
            request = f"GET /{plain_id(a)} HTTP/1.1\r\nHost: bench.example\r\n\r\n"
            put(url_of(a), "request", request.encode())
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            put(url_of(a), "response", page(a).encode("utf-8"), http)
        (folder / f"crawl-{number:04d}.warc.gz").write_bytes(buffer.getvalue())
    return {url_of(a): plain_id(a) for a in members}


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


WRITERS: dict[str, Callable[[Path, list[SynthArticle]], dict[str, str]]] = {
    "txt": write_text_files(".txt", _utf8),
    "md": write_text_files(".md", _utf8, markdown=True),
    "html": write_html,
    "json": write_json,
    "jsonl": write_jsonl(".jsonl", lambda b: b),
    "csv": write_csv(".csv", lambda b: b),
    "rss": write_rss,
    "atom": write_atom,
    "warc.gz": write_warc,
    "jsonl.gz": write_jsonl(".jsonl.gz", lambda b: gzip.compress(b, mtime=0)),
    "txt.bz2": write_text_files(".txt.bz2", lambda t: bz2.compress(t.encode("utf-8"))),
    "csv.xz": write_csv(".csv.xz", lzma.compress),
}


# Comparing -------------------------------------------------------------------------------


@dataclass
class Comparison:
    """The mixed scan's clusters (in plain ids) against the plain scan's."""

    identical: bool
    same_documents: bool
    plain_clusters: int
    mixed_clusters: int
    only_plain: list[tuple[str, ...]] = field(default_factory=list)
    only_mixed: list[tuple[str, ...]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    representatives_differ: int = 0


def clusters_of(result: ScanResult, to_plain: Callable[[str], str] = str) -> set[tuple[str, ...]]:
    return {tuple(sorted(to_plain(m.id) for m in c.members)) for c in result.clusters}


def compare(plain: ScanResult, mixed: ScanResult, manifest: dict[str, str]) -> Comparison:
    unmapped = sorted(i for i in mixed.document_ids if i not in manifest)
    to_plain = manifest.get
    mapped_ids = sorted(manifest[i] for i in mixed.document_ids if i in manifest)
    a = clusters_of(plain)
    b = clusters_of(mixed, lambda i: to_plain(i, i))
    reps_plain = {tuple(sorted(m.id for m in c.members)): c.representative for c in plain.clusters}
    reps_differ = sum(
        1
        for c in mixed.clusters
        if reps_plain.get(tuple(sorted(to_plain(m.id, m.id) for m in c.members)))
        not in (None, to_plain(c.representative, c.representative))
    )
    return Comparison(
        identical=a == b and not unmapped,
        same_documents=mapped_ids == sorted(plain.document_ids) and not unmapped,
        plain_clusters=len(a),
        mixed_clusters=len(b),
        only_plain=sorted(a - b),
        only_mixed=sorted(b - a),
        unmapped=unmapped,
        representatives_differ=reps_differ,
    )


def scores_of(result: ScanResult, gold: list[list[str]], to_plain: Callable[[str], str]) -> Scores:
    predicted = [[to_plain(m.id) for m in c.members] for c in result.clusters]
    return score_clusters(predicted, gold, [to_plain(i) for i in result.document_ids])


def run_comparison(layout: Layout, jobs: int = 2) -> tuple[Comparison, Scores, Scores, tuple]:
    """Scan both copies; return the comparison, both scores and both results."""
    config = ScanConfig(jobs=jobs)
    plain = scan([layout.plain], config)
    mixed = scan([layout.mixed], config)
    comparison = compare(plain, mixed, layout.manifest)
    plain_scores = scores_of(plain, layout.gold, str)
    mixed_scores = scores_of(mixed, layout.gold, lambda i: layout.manifest.get(i, i))
    return comparison, plain_scores, mixed_scores, (plain, mixed)


# Timing ----------------------------------------------------------------------------------


def median_time(work: Callable[[], object]) -> float:
    """Median over ``REPEATS`` samples of the seconds one call of ``work`` takes.

    A sample repeats ``work`` until ``MIN_SAMPLE_S`` has passed (after a warm-up call that
    also sets the count), so small folders are not timed at the clock's resolution.
    """
    started = time.perf_counter()
    work()
    loops = max(1, math.ceil(MIN_SAMPLE_S / max(time.perf_counter() - started, 1e-6)))
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        for _ in range(loops):
            work()
        samples.append((time.perf_counter() - started) / loops)
    return statistics.median(samples)


def read_all(paths: Sequence[Path]) -> int:
    """Run the reading stage (read, clean, shingle) in this process; the documents read."""
    config = ScanConfig(jobs=1)
    return sum(isinstance(item, Shingled) for item in shingle_inputs(paths, config))


@dataclass
class ReadRow:
    name: str
    docs: int
    files: int
    plain_s: float
    format_s: float

    @property
    def overhead(self) -> float:
        return self.format_s / self.plain_s - 1


def time_reading(layout: Layout) -> list[ReadRow]:
    """Reading stage per format folder, against the plain files of the same articles."""
    rows = []
    every = ("all formats", [layout.mixed], [layout.plain], sum(layout.by_format.values(), []))
    folders = [
        (fmt, [layout.mixed / fmt.replace(".", "-")], None, ids)
        for fmt, ids in layout.by_format.items()
    ]
    for name, paths, plain_paths, ids in [every, *folders]:
        plain_paths = plain_paths or [layout.plain / i for i in ids]
        docs = read_all(paths)
        if docs != len(ids) or read_all(plain_paths) != len(ids):
            raise SystemExit(f"{name}: read {docs} documents, expected {len(ids)}")
        files = sum(1 for p in paths for f in Path(p).rglob("*") if f.is_file())
        plain_s = median_time(lambda p=plain_paths: read_all(p))
        format_s = median_time(lambda p=paths: read_all(p))
        rows.append(ReadRow(name, docs, files, plain_s, format_s))
        rate = f"plain {docs / plain_s:7,.0f}/s, {name} {docs / format_s:7,.0f}/s"
        print(f"  {name:12} {docs:5d} docs  {rate}  {rows[-1].overhead:+.0%}", flush=True)
    return rows


# Report ----------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    layout: Layout,
    comparison: Comparison,
    scores: tuple[Scores, Scores],
    scan_s: dict[str, float],
    rows: list[ReadRow],
) -> str:
    plain_scores, mixed_scores = scores
    n = args.docs
    lines = [
        f"## Input formats, {n:,} documents (seed {args.seed})",
        "",
        f"{machine()} · `bench/bench_formats.py --docs {n} --seed {args.seed}` · "
        f"timings: median of {REPEATS}",
        "",
        "| | plain `.txt` | mixed formats |",
        "|---|--:|--:|",
        f"| clusters | {comparison.plain_clusters} | {comparison.mixed_clusters} |",
        f"| clusters identical | | **{'yes' if comparison.identical else 'no'}** "
        f"({len(comparison.only_plain)} only plain, {len(comparison.only_mixed)} only mixed) |",
        f"| precision / recall / F1 vs truth | {plain_scores.precision:.4f} / "
        f"{plain_scores.recall:.4f} / {plain_scores.f1:.4f} | {mixed_scores.precision:.4f} / "
        f"{mixed_scores.recall:.4f} / {mixed_scores.f1:.4f} |",
        f"| full scan, jobs=1, s | {scan_s['plain1']:.2f} | {scan_s['mixed1']:.2f} |",
        f"| full scan, jobs=2, s | {scan_s['plain2']:.2f} | {scan_s['mixed2']:.2f} |",
        "",
        "Reading stage (`workers.shingle_inputs`, jobs=1: read + extract + wire cleanup + "
        "shingle) per format, against the plain `.txt` files of the same articles; "
        '"% of plain scan" is the extra reading time scaled to the whole corpus, as a share '
        "of the full plain-text scan (jobs=1).",
        "",
        "| format | docs | files | plain docs/s | format docs/s | reading overhead | "
        "% of plain scan |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        extra_per_doc = (row.format_s - row.plain_s) / row.docs
        share = extra_per_doc * n / scan_s["plain1"]
        lines.append(
            f"| {row.name} | {row.docs:,} | {row.files:,} | {row.docs / row.plain_s:,.0f} | "
            f"{row.docs / row.format_s:,.0f} | {row.overhead:+.0%} | {share:+.1%} |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="articles (default 1000)")
    parser.add_argument("--seed", type=int, default=5, help="synth seed (default 5)")
    parser.add_argument("--out", default="BENCHMARKS.md", help="file the section is appended to")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = REPO_ROOT / "data" / f"formats-{args.docs}-{args.seed}"
    layout = write_corpora(root, args.docs, args.seed)
    print(f"wrote {root.relative_to(REPO_ROOT)}: {args.docs} articles x 2", flush=True)
    comparison, plain_scores, mixed_scores, _ = run_comparison(layout)
    print(f"clusters identical: {comparison.identical} ({comparison})", flush=True)
    print(f"plain {plain_scores}\nmixed {mixed_scores}", flush=True)
    scan_s = {
        f"{name}{jobs}": median_time(lambda p=path, j=jobs: scan([p], ScanConfig(jobs=j)))
        for name, path in (("plain", layout.plain), ("mixed", layout.mixed))
        for jobs in (1, 2)
    }
    print(f"full scans (s): {scan_s}", flush=True)
    rows = time_reading(layout)
    section = report(args, layout, comparison, (plain_scores, mixed_scores), scan_s, rows)
    print(section)
    with open(REPO_ROOT / args.out if not Path(args.out).is_absolute() else args.out, "a") as fh:
        fh.write("\n" + section)
    return 0 if comparison.identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
