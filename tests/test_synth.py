"""Tests for the synthetic syndication corpus generator (dupdetect.synth)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from dupdetect.synth import SynthArticle, corpus_key, generate, write_corpus

ROOT = Path(__file__).resolve().parent.parent
N_DOCS, SEED = 1500, 11
WORD = re.compile(r"\w+")
QUOTE = re.compile(r'"([^"]+),"')


def grams(text: str) -> set[tuple[str, ...]]:
    """Word 5-grams (lower-cased ``\\w+`` tokens, across paragraph breaks)."""
    w = WORD.findall(text.lower())
    return set(zip(w, w[1:], w[2:], w[3:], w[4:], strict=False))


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


def containment(a: set, b: set) -> float:
    """Share of the smaller set's 5-grams found in the larger one."""
    return len(a & b) / min(len(a), len(b))


def body(doc: SynthArticle) -> list[str]:
    """Paragraphs without the site boilerplate (nav, share / newsletter, related, copyright)."""
    paras = doc.text.split("\n\n")
    return paras[2:-3] if any(e.startswith("boilerplate:") for e in doc.edits) else paras


def edit_kinds(doc: SynthArticle) -> set[str]:
    return {e.split(":")[0] for e in doc.edits}


@pytest.fixture(scope="module")
def docs() -> list[SynthArticle]:
    return list(generate(N_DOCS, seed=SEED))


@pytest.fixture(scope="module")
def by_id(docs: list[SynthArticle]) -> dict[str, SynthArticle]:
    return {d.id: d for d in docs}


@pytest.fixture(scope="module")
def clusters(docs: list[SynthArticle]) -> dict[str, list[SynthArticle]]:
    out: dict[str, list[SynthArticle]] = defaultdict(list)
    for d in docs:
        if d.cluster is not None:
            out[d.cluster].append(d)
    return dict(out)


class Shingles(dict):
    """Article id -> 5-gram set, computed on first use."""

    def __init__(self, by_id: dict[str, SynthArticle]) -> None:
        super().__init__()
        self.by_id = by_id

    def __missing__(self, key: str) -> set:
        self[key] = grams(self.by_id[key].text)
        return self[key]


@pytest.fixture(scope="module")
def shingles(by_id: dict[str, SynthArticle]) -> Shingles:
    return Shingles(by_id)


def test_same_seed_same_output_and_other_seed_differs() -> None:
    first = list(generate(150, seed=3))
    assert first == list(generate(150, seed=3))
    assert [d.text for d in first] != [d.text for d in generate(150, seed=4)]


def test_prefix_does_not_depend_on_corpus_size(docs: list[SynthArticle]) -> None:
    """Only ``cluster`` may differ: a cluster cut short by the corpus end can lose members."""
    small = [d.__dict__ | {"cluster": None} for d in generate(300, seed=SEED)]
    assert small == [d.__dict__ | {"cluster": None} for d in docs[:300]]


def test_no_duplicates_when_asked_for_none_and_bad_arguments() -> None:
    for d in generate(100, dup_fraction=0):
        assert d.cluster is None and edit_kinds(d) <= {"boilerplate"}
    with pytest.raises(ValueError):
        next(generate(10, dup_fraction=1.5))
    with pytest.raises(ValueError):
        write_corpus(Path("unused"), 10, fmt="csv")


def test_cluster_sizes_and_dup_fraction(clusters: dict[str, list[SynthArticle]]) -> None:
    sizes = Counter(len(v) for v in clusters.values())
    clustered = sum(k * n for k, n in sizes.items())
    assert 0.14 <= clustered / N_DOCS <= 0.26
    assert set(sizes) <= set(range(2, 9)) and max(sizes) >= 6
    assert sizes[2] == max(sizes.values())
    assert 2.4 <= clustered / len(clusters) <= 4.0
    for cid, members in clusters.items():
        (original,) = [m for m in members if m.id == cid]  # the original is in its cluster
        assert edit_kinds(original) <= {"boilerplate"}
        assert all(m.id > cid for m in members if m is not original)


def test_copies_contain_each_other(clusters: dict[str, list[SynthArticle]], shingles) -> None:
    """Every pair in a cluster: >= 50% of the shorter's 5-grams (full text) are in the longer."""
    values = []
    for members in clusters.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                values.append(containment(shingles[a.id], shingles[b.id]))
    assert min(values) >= 0.5
    assert statistics.median(values) >= 0.85


def test_unrelated_singletons_share_little(docs: list[SynthArticle], shingles) -> None:
    singles = [d.id for d in docs if d.cluster is None and "hard_negative" not in edit_kinds(d)]
    rnd = random.Random(0)
    values = [
        jaccard(shingles[a], shingles[b]) for a, b in (rnd.sample(singles, 2) for _ in range(200))
    ]
    assert max(values) < 0.1
    assert statistics.median(values) < 0.02


def test_hard_negatives_share_quote_not_text(docs, by_id, shingles) -> None:
    negatives = [d for d in docs if "hard_negative" in edit_kinds(d)]
    singles = sum(d.cluster is None for d in docs)
    assert 0.02 <= len(negatives) / singles <= 0.09
    for neg in negatives:
        (ref,) = [e.split(":", 1)[1] for e in neg.edits if e.startswith("hard_negative:")]
        story = by_id[ref]
        assert neg.cluster is None and story.cluster in (ref, None)
        shared = set(QUOTE.findall(neg.text)) & set(QUOTE.findall(story.text))
        assert any(15 <= len(q.split()) <= 25 for q in shared)
        assert jaccard(shingles[neg.id], shingles[story.id]) < 0.2


def test_every_edit_kind_occurs(docs: list[SynthArticle]) -> None:
    edits = Counter(e for d in docs for e in d.edits)
    kinds = Counter(e.split(":")[0] for e in edits.elements())
    expected = "dateline footer credit headline truncate trim drop_paragraph reorder typos"
    expected = set(expected.split()) | {"boilerplate", "hard_negative"}
    assert expected <= set(kinds)
    assert {"dateline:AP", "dateline:Reuters", "dateline:AFP"} <= set(edits)
    assert 0.4 <= kinds["boilerplate"] / len(docs) <= 0.6


def test_edits_look_like_syndication(docs, by_id) -> None:
    sites: dict[str, tuple[str, ...]] = {}
    patterns = {
        "AP": r"[A-Z][A-Z .]+(, [A-Z][A-Za-z.]+)? \(AP\) — \S",
        "Reuters": r"[A-Z][A-Z .]+ \(Reuters\) - \S",
        "AFP": r"[A-Z][A-Z .]+ \(AFP\) - \S",
    }
    for d in docs:
        paras, kinds = body(d), edit_kinds(d)
        for e in d.edits:
            if e.startswith("dateline:"):
                assert re.match(patterns[e.split(":")[1]], paras[0]), paras[0][:60]
            elif e.startswith("truncate:"):
                assert 1 <= len(paras) <= 3 and 0.1 <= float(e.split(":")[1]) <= 0.4
        if "footer" in kinds:
            assert paras[-2] == "___"
            assert re.fullmatch(
                r"Associated Press writer \w+ [\w']+ in [\w .]+ contributed to "
                r"this report\.",
                paras[-1],
            )
        if "credit" in kinds:
            assert re.fullmatch(r"\(Reporting by \w+ [\w']+; Editing by \w+ [\w']+\)", paras[-1])
        if "headline" in kinds:
            assert d.title != by_id[d.cluster].title
        if "boilerplate" in kinds:
            page = d.text.split("\n\n")
            assert f"boilerplate:{d.source.removesuffix('.example')}" in d.edits
            assert page[-2].startswith("Related Articles\n") and page[-2].count("\n") == 3
            fixed = (page[0], page[1], page[-3], page[-1])  # nav, share, newsletter, copyright
            assert sites.setdefault(d.source, fixed) == fixed
    assert len(sites) >= 40


def test_article_shape_and_dates(docs, by_id) -> None:
    for d in docs:
        assert re.fullmatch(r"d\d{7}", d.id) and re.fullmatch(r"site-\d\d\.example", d.source)
        assert d.title and "\n" not in d.title
        when = datetime.strptime(d.date, "%Y-%m-%dT%H:%M:%SZ")
        paras = body(d)
        if d.cluster is None or d.cluster == d.id:  # unedited stories
            assert 4 <= len(paras) <= 15
            assert 300 <= sum(len(p.split()) for p in paras) <= 1200
            for p in paras:
                assert p[0].isupper() or p[0] in '"$' or p[0].isdigit(), p[:40]
                assert p.endswith("."), p[-40:]
        else:
            assert when > datetime.strptime(by_id[d.cluster].date, "%Y-%m-%dT%H:%M:%SZ")


def test_write_txt_matches_gold_and_articles(tmp_path: Path) -> None:
    n = 300
    info = write_corpus(tmp_path, n, seed=5, fmt="txt")
    arts = list(generate(n, seed=5))
    files = sorted(
        p.relative_to(tmp_path / "docs").as_posix() for p in tmp_path.glob("docs/*/*.txt")
    )
    assert files == sorted(corpus_key(a.id, "txt") for a in arts)
    assert files[0] == "000/d0000000.txt" and files[-1] == "000/d0000299.txt"
    assert corpus_key("d0001234", "txt") == "001/d0001234.txt"
    assert corpus_key("d0001234", "jsonl") == "d0001234"
    a = arts[42]
    assert (tmp_path / "docs" / corpus_key(a.id, "txt")).read_text() == f"{a.title}\n\n{a.text}\n"
    gold = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()]
    expected = defaultdict(list)
    for art in arts:
        if art.cluster:
            expected[corpus_key(art.cluster, "txt")].append(corpus_key(art.id, "txt"))
    assert {g["cluster"]: g["ids"] for g in gold} == {k: sorted(v) for k, v in expected.items()}
    assert all(len(g["ids"]) >= 2 and g["cluster"] in g["ids"] for g in gold)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["n_docs"] == n and manifest["n_clusters"] == len(gold) == info.n_clusters
    assert manifest["total_bytes"] == sum(p.stat().st_size for p in tmp_path.glob("docs/*/*.txt"))


def test_write_jsonl_is_deterministic_and_the_same_in_parallel(tmp_path: Path) -> None:
    digests = []
    for name, workers in (("a", 1), ("b", 2)):  # 2 chunks of work
        write_corpus(tmp_path / name, 520, seed=9, fmt="jsonl", dup_fraction=0.5, workers=workers)
        digests.append(
            [
                hashlib.sha256((tmp_path / name / f).read_bytes()).hexdigest()
                for f in ("docs.jsonl", "gold.jsonl", "manifest.json")
            ]
        )
    assert digests[0] == digests[1]
    rows = [json.loads(line) for line in (tmp_path / "a" / "docs.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"d{i:07d}" for i in range(520)]
    assert set(rows[0]) == {"id", "title", "text", "source", "date"}
    gold = [json.loads(line) for line in (tmp_path / "a" / "gold.jsonl").read_text().splitlines()]
    clustered = sum(len(g["ids"]) for g in gold)
    assert 0.35 <= clustered / 520 <= 0.65
    assert {i for g in gold for i in g["ids"]} <= {r["id"] for r in rows}


def test_make_corpus_script_runs_from_repo_root_uninstalled(tmp_path: Path) -> None:
    """``-S`` skips site-packages' .pth files, so an editable install cannot supply dupdetect."""
    site_packages = str(Path(np.__file__).resolve().parent.parent)
    cmd = [sys.executable, "-S", "scripts/make_corpus.py", str(tmp_path / "c"), "--docs", "30"]
    env = {**os.environ, "PYTHONPATH": site_packages}
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert "wrote 30 docs" in done.stdout and (tmp_path / "c" / "docs" / "000").is_dir()


def test_make_corpus_script_reuses_a_finished_corpus(tmp_path: Path, capsys) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_corpus", ROOT / "scripts" / "make_corpus.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = [str(tmp_path / "c"), "--docs", "40", "--seed", "2", "--format", "jsonl"]
    for extra, expected in [
        ([], "wrote 40 docs"),
        ([], "corpus already exists"),
        (["--force"], "wrote 40 docs"),
        (["--seed", "3"], "wrote 40 docs"),
        (["--format", "txt"], "wrote 40 docs"),
    ]:
        assert script.main(args + extra) == 0
        assert expected in capsys.readouterr().out
    assert not (tmp_path / "c" / "docs.jsonl").exists()
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["fmt"] == "txt"
