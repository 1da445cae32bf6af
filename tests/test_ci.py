"""CI mode: --check, baselines, GitHub annotations, [tool.dupdetect] config, exit codes."""

import json

import pytest

STORY = " ".join(f"word{i}" for i in range(120))
OTHER = " ".join(f"other{i}" for i in range(120))
THIRD = " ".join(f"third{i}" for i in range(120))


def _write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(f"Title of {name}\n\n{text}", encoding="utf-8")
    return folder


@pytest.fixture
def clean(tmp_path):
    return _write(tmp_path / "clean", {"a.txt": STORY, "b.txt": OTHER})


@pytest.fixture
def dups(tmp_path):
    return _write(
        tmp_path / "dups", {"a.txt": STORY, "a-copy.txt": STORY + " extra", "b.txt": OTHER}
    )


@pytest.mark.parametrize(
    ("corpus", "check", "code"),
    [("clean", False, 0), ("clean", True, 0), ("dups", False, 0), ("dups", True, 1)],
)
def test_exit_code_matrix(invoke, request, corpus, check, code):
    folder = request.getfixturevalue(corpus)
    invoke(["scan", folder, "-q", "-f", "json", *(["--check"] if check else [])], exit_code=code)


@pytest.mark.parametrize("check", [False, True])
def test_errors_exit_2_never_1(invoke, tmp_path, check):
    flags = ["--check"] if check else []
    invoke(["scan", tmp_path / "missing", *flags], exit_code=2)
    empty = tmp_path / "empty"
    empty.mkdir()
    invoke(["scan", empty, *flags], exit_code=2)
    (tmp_path / "bad.toml").write_text("thresold = 0.5\n", encoding="utf-8")
    result = invoke(["scan", empty, "--config", tmp_path / "bad.toml", *flags], exit_code=2)
    assert result.stderr == (
        f"Error: {tmp_path / 'bad.toml'}: unknown setting 'thresold' (did you mean 'threshold'?)\n"
    )


def test_baseline_accepts_known_clusters_and_fails_on_new_ones(invoke, dups, tmp_path):
    baseline = tmp_path / "baseline.json"
    invoke(["scan", dups, "-q", "-f", "json", "--write-baseline", baseline])
    assert json.loads(baseline.read_text(encoding="utf-8"))["clusters"][0]["documents"] == [
        "a-copy.txt",
        "a.txt",
    ]
    invoke(["scan", dups, "-q", "--check", "--baseline", baseline, "-f", "json"], exit_code=0)
    # A new copy of an accepted story is new; so is a new story copied.
    (dups / "a-again.txt").write_text("T\n\n" + STORY, encoding="utf-8")
    result = invoke(["scan", dups, "--check", "--baseline", baseline, "-f", "github"], exit_code=1)
    assert result.stderr.endswith("1 new (not in the baseline).\n")
    assert result.stdout.count("::warning") == 1


def test_github_annotations(invoke, dups):
    result = invoke(["scan", dups, "-f", "github", "-q"])
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"::warning file={dups}/a-copy.txt,title=near-duplicate cluster c")
    assert "::2 near-duplicate articles: a-copy.txt (representative), a.txt (similarity" in line


def test_bad_baseline_file_exits_2(invoke, dups, tmp_path):
    bad = tmp_path / "baseline.json"
    bad.write_text('{"clusters": []}', encoding="utf-8")
    result = invoke(["scan", dups, "--baseline", bad, "--check"], exit_code=2)
    assert result.stderr == f"Error: {bad} is not a dupdetect baseline (version 1)\n"


def test_pyproject_settings_apply_and_flags_win(invoke, tmp_path):
    project = tmp_path / "project"
    folder = _write(project / "articles", {"a.txt": STORY, "b.txt": STORY[: len(STORY) // 2]})
    (project / ".git").mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.dupdetect]\ncontainment = 1.1\nthreshold = 0.9\nformat = 'jsonl'\n", encoding="utf-8"
    )
    # b is half of a: Jaccard 0.5, containment 1.0. The config turns containment off.
    assert invoke(["scan", folder, "-q"]).stdout == ""
    result = invoke(["scan", folder, "-q", "--containment", "0.8"])
    assert json.loads(result.stdout)["size"] == 2  # flag wins, format still from the config


def test_pyproject_unknown_key_suggests(invoke, tmp_path):
    project = tmp_path / "p"
    folder = _write(project / "docs", {"a.txt": STORY})
    (project / "pyproject.toml").write_text(
        "[tool.dupdetect]\nshingle_sise = 4\n", encoding="utf-8"
    )
    result = invoke(["scan", folder], exit_code=2)
    assert "unknown setting 'shingle_sise' (did you mean 'shingle-size'?)" in result.stderr


def test_every_format_works_for_index_query(invoke, dups, tmp_path):
    index = tmp_path / "index.sqlite"
    invoke(["index", "add", dups, "--index", index, "-q"])
    for fmt in ("table", "json", "jsonl", "csv", "github"):
        result = invoke(["index", "query", dups, "--index", index, "-f", fmt, "-q"])
        assert result.stdout, fmt
    assert result.stdout.startswith("::warning file=")
