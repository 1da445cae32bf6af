"""--jobs: reading and shingling in a process pool gives byte-identical results to one process."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dupdetect import ConfigError, ScanConfig, scan, workers
from dupdetect.export import WRITERS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("folder", ["articles", "bad"])
def test_jobs_2_gives_byte_identical_json_to_jobs_1(invoke, folder):
    outputs = [
        invoke(["scan", FIXTURES / folder, "--format", "json", "--jobs", jobs]) for jobs in (1, 2)
    ]
    assert outputs[0].stdout == outputs[1].stdout
    assert outputs[0].stderr == outputs[1].stderr
    if folder == "bad":
        assert len(json.loads(outputs[1].stdout)["skipped"]) == 7


def _json(result) -> str:
    import io

    out = io.StringIO()
    WRITERS["json"](result, out)
    return out.getvalue()


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """Duplicate ids across files and within a file, wordless records, hidden files."""
    story = "The council voted on Tuesday to close the old bridge for repairs this spring. " * 4
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "x", "text": "— …"})  # no words: x stays free
        + "\n"
        + json.dumps({"id": "x", "text": story})
        + "\n"
        + json.dumps({"id": "x", "text": story + " More."})  # duplicate in the same file
        + "\nnot json\n",
        encoding="utf-8",
    )
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "x", "text": story}) + "\n")
    for i in range(9):
        (tmp_path / f"c{i}.txt").write_text(f"Title {i}\n\n{story} Copy {i}.\n")
    (tmp_path / ".hidden.txt").write_text("Hidden\n\nnot read\n")
    (tmp_path / "d.txt").write_bytes(b"\x00\x01binary")
    return tmp_path


def test_duplicate_ids_and_skipped_order_do_not_depend_on_jobs_or_chunking(messy, monkeypatch):
    expected = _json(scan([messy], ScanConfig(jobs=1)))
    monkeypatch.setattr(workers, "CHUNK_FILES", 2)  # several chunks, ids split across them
    for jobs in (2, 3):
        assert _json(scan([messy], ScanConfig(jobs=jobs))) == expected
    skipped = json.loads(expected)["skipped"]
    reasons = [(s["path"], s["line"], s["reason"].split(" (")[0]) for s in skipped]
    assert ("a.jsonl", 1, "no words in text") in reasons
    assert ("a.jsonl", 3, "duplicate id 'x'") in reasons
    assert ("b.jsonl", 1, "duplicate id 'x'") in reasons
    assert (".hidden.txt", None, "hidden") in reasons


def test_jobs_1_starts_no_pool(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("jobs=1 must not start a process pool")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", no_pool)
    assert scan([FIXTURES / "articles"], ScanConfig(jobs=1)).summary.documents == 40


def test_jobs_is_validated_and_left_out_of_reported_settings():
    with pytest.raises(ConfigError, match="jobs"):
        ScanConfig(jobs=0)
    assert "jobs" not in ScanConfig(jobs=4).as_dict()


def test_jobs_option_rejects_zero(invoke):
    result = invoke(["scan", FIXTURES / "articles", "--jobs", "0"], exit_code=2)
    assert "--jobs" in result.stderr


def test_signatures_made_in_workers_are_redone_after_boilerplate_removal(tmp_path, monkeypatch):
    # Six pages of one site share chrome (removed as boilerplate, so their sets change after
    # the workers signed them); one is a copy of a wire story. Every --jobs value must agree.
    chrome = " ".join(f"nav{i}" for i in range(40))
    story = " ".join(f"story{i}" for i in range(150))
    records = [{"id": "wire", "source": "wire.example", "text": story}]
    records += [
        {
            "id": f"p{i}",
            "source": "site.example",
            "text": f"{chrome} " + " ".join(f"w{i}x{j}" for j in range(30)),
        }
        for i in range(5)
    ]
    records.append({"id": "copy", "source": "site.example", "text": f"{chrome} {story}"})
    for i, record in enumerate(records):
        (tmp_path / f"{i}.jsonl").write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setattr(workers, "CHUNK_FILES", 2)
    outputs = set()
    for jobs in (1, 2):
        result = scan([tmp_path], ScanConfig(jobs=jobs))
        outputs.add(json.dumps([[m.id, m.similarity] for c in result.clusters for m in c.members]))
    assert len(outputs) == 1
    assert '"copy"' in outputs.pop()


def test_packed_chunks_and_single_items_build_the_same_corpus(messy, monkeypatch):
    # build_corpus takes whole packed chunks in bulk (the scan) or items one by one (the
    # index): duplicate ids and wordless records inside a chunk must come out the same.
    import numpy as np

    from dupdetect.corpus import build_corpus

    monkeypatch.setattr(workers, "CHUNK_FILES", 3)
    config = ScanConfig(jobs=1)
    quiet = lambda *_: None  # noqa: E731
    bulk = build_corpus(workers.shingle_chunks([messy], config), quiet)
    single = build_corpus(workers.shingle_inputs([messy], config), quiet)
    assert bulk.infos == single.infos and bulk.skipped == single.skipped
    assert all(
        np.array_equal(a, b) for a, b in zip(bulk.shingle_sets, single.shingle_sets, strict=True)
    )
    assert np.array_equal(bulk.band_keys, single.band_keys)
    assert np.array_equal(bulk.samples.values, single.samples.values)
    assert np.array_equal(bulk.samples.owners, single.samples.owners)


def test_a_pool_scan_spills_sets_to_a_folder_it_removes(messy, tmp_path, monkeypatch):
    import tempfile

    from dupdetect.shingle_sets import ShingleSets

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(workers, "CHUNK_FILES", 1)
    adopted = []
    adopt = ShingleSets.extend_spilled_at

    def counted(self, spilled, offsets, counts):
        adopted.append(spilled.file)
        return adopt(self, spilled, offsets, counts)

    monkeypatch.setattr(ShingleSets, "extend_spilled_at", counted)
    pooled = scan([messy], ScanConfig(jobs=2))
    assert adopted, "the workers wrote no sets to the spill folder"
    assert _json(pooled) == _json(scan([messy], ScanConfig(jobs=1)))
    assert list(scratch.iterdir()) == []


def test_chunks_start_small_and_double_up_to_the_chunk_size(monkeypatch):
    monkeypatch.setattr(workers, "CHUNK_FILES", 256)
    sizes = [len(chunk) for chunk in workers._chunks(iter(range(1000)))]
    assert sizes == [16, 32, 64, 128, 256, 256, 248]
    monkeypatch.setattr(workers, "CHUNK_FILES", 2)
    assert [len(chunk) for chunk in workers._chunks(iter(range(5)))] == [2, 2, 1]


def _entries_of(chunk):
    """A ``_column_chunks`` chunk as the list of entries it stands for."""
    from dupdetect.load import InputFile

    if isinstance(chunk, InputFile):
        return [chunk]
    locations, rels, skipped = chunk
    entries = list(map(InputFile, locations, rels))
    for position, entry in skipped:
        entries.insert(position, entry)
    return entries


@given(
    st.lists(
        st.one_of(
            st.integers(0, 700),  # a run of that many files
            st.just("skipped"),
            st.just("file"),  # a file given by itself
            st.just("stdin"),
        ),
        max_size=12,
    )
)
def test_column_chunks_hold_the_walk_in_order_in_chunks_of_the_usual_sizes(shape):
    """Runs of files are cut into chunks exactly where ``_chunks`` cuts the same entries one
    by one; Skipped entries keep their places; standard input comes alone, in its place."""
    from pathlib import Path

    from dupdetect.load import FileRun, InputFile
    from dupdetect.models import Skipped

    walk, made = [], 0
    for part in shape:
        if part == "skipped":
            walk.append(Skipped(f"s{made}", "hidden (name starts with '.')"))
        elif part == "file":
            walk.append(InputFile(Path(f"/given/{made}.txt"), f"{made}.txt"))
        elif part == "stdin":
            walk.append(InputFile(Path("-"), "<stdin>", stdin=True))
        else:
            rels = [f"d/{made}-{k}.txt" for k in range(part)]
            walk.append(FileRun([f"/root/{rel}" for rel in rels], rels))
        made += 1
    entries = [
        e
        for item in walk
        for e in (
            map(InputFile, item.locations, item.rels) if isinstance(item, FileRun) else [item]
        )
    ]
    chunks = [_entries_of(chunk) for chunk in workers._column_chunks(iter(walk))]
    assert [e for chunk in chunks for e in chunk] == entries
    assert all(chunks)
    if not any(isinstance(e, InputFile) and e.stdin for e in entries):
        assert chunks == list(workers._chunks(iter(entries)))
    for chunk in chunks:  # standard input alone
        assert len(chunk) == 1 or not any(isinstance(e, InputFile) and e.stdin for e in chunk)
