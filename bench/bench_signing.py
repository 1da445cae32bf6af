"""Measure the candidate ways to hash, shingle and sign an article (issue 4, "fast signing").

Usage (from the repo root):

    .venv/bin/python bench/bench_signing.py                  # 500 articles of data/bench-10000
    .venv/bin/python bench/bench_signing.py --out BENCHMARKS.md

Per article, one process, on the synthetic corpus of ``bench.py``: word hashing + shingling
in numpy and in C, then signing the same shingle sets with numpy, the C loop, datasketch's
``MinHash.update_batch`` and ``MinHash.update`` (same hashes, so the signatures are equal), and,
when it is installed, rensa's ``RMinHash`` (which needs shingle strings, and whose signatures
are not datasketch's). Every variant's signatures are checked against the C loop's.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from bench import ensure_corpus, machine  # noqa: E402
from dupdetect.normalize import word_bytes  # noqa: E402
from dupdetect.shingle import (  # noqa: E402
    hash_word_bytes,
    hash_word_bytes_numpy,
    shingle_hashes,
    shingle_hashes_numpy,
)
from dupdetect.sign import Signer, datasketch_hashfunc  # noqa: E402


def per_article(texts: list[str], run: Callable[[], object]) -> tuple[float, object]:
    """Milliseconds per article of ``run`` (best of three) and its result."""
    best, result = float("inf"), None
    for _ in range(3):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best / len(texts) * 1000, result


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--out", type=Path, help="append the table to this Markdown file")
    args = parser.parse_args(argv)
    docs = sorted((ensure_corpus(10_000, 0) / "docs").rglob("*.txt"))[: args.articles]
    texts = [p.read_text(encoding="utf-8") for p in docs]
    buffers = [word_bytes(t) for t in texts]
    rows: list[tuple[str, float, str]] = []

    ms, sets = per_article(texts, lambda: [shingle_hashes(hash_word_bytes(b), 5) for b in buffers])
    ms_np, sets_np = per_article(
        texts, lambda: [shingle_hashes_numpy(hash_word_bytes_numpy(b), 5) for b in buffers]
    )
    same = all(np.array_equal(a, b) for a, b in zip(sets, sets_np, strict=True))
    rows += [
        ("hash + shingle: numpy", ms_np, ""),
        ("hash + shingle: C loop (chosen)", ms, f"same sets as numpy: {same}"),
    ]
    signer = Signer(128, 1)
    ms, reference = per_article(texts, lambda: signer.sign(sets))
    ms_np, sig_np = per_article(texts, lambda: signer.sign_numpy(sets))
    rows += [
        ("sign: numpy batch matrix", ms_np, f"equal: {np.array_equal(sig_np, reference)}"),
        ("sign: C loop (chosen)", ms, "reference"),
    ]
    rows += _datasketch_rows(texts, sets, reference)
    rows += _rensa_rows(texts)

    table = "\n".join(
        ["| variant | ms / article | notes |", "|---|--:|---|"]
        + [f"| {name} | {ms:.3f} | {note} |" for name, ms, note in rows]
    )
    section = (
        f"\n## Signing candidates, {len(texts)} articles (one process)\n\n{machine()}\n\n"
        f"{table}\n"
    )
    print(section)
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(section)
    return 0


def _datasketch_rows(
    texts: list[str], sets: list[np.ndarray], reference: np.ndarray
) -> list[tuple[str, float, str]]:
    from datasketch import MinHash

    def batch() -> np.ndarray:
        out = []
        for s in sets:
            m = MinHash(num_perm=128, seed=1, hashfunc=datasketch_hashfunc)
            m.update_batch(s.tolist())
            out.append(m.hashvalues)
        return np.array(out)

    ms, values = per_article(texts, batch)
    few = sets[:50]

    def one_by_one() -> None:
        for s in few:
            m = MinHash(num_perm=128, seed=1, hashfunc=datasketch_hashfunc)
            for h in s.tolist():
                m.update(h)

    started = time.perf_counter()
    one_by_one()
    ms_each = (time.perf_counter() - started) / len(few) * 1000
    return [
        ("sign: datasketch update_batch", ms, f"equal: {np.array_equal(values, reference)}"),
        ("sign: datasketch MinHash.update per shingle", ms_each, "50 articles"),
    ]


def _rensa_rows(texts: list[str]) -> list[tuple[str, float, str]]:
    try:
        from rensa import RMinHash
    except ImportError:
        return [("rensa RMinHash", float("nan"), "not installed (pip install rensa)")]
    word = re.compile(r"\w+")

    def strings() -> list[list[str]]:
        out = []
        for text in texts:
            w = word.findall(text.lower())
            out.append([" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4))])
        return out

    ms_strings, shingles = per_article(texts, strings)

    def sign() -> None:
        for s in shingles:
            m = RMinHash(num_perm=128, seed=1)
            m.update(s)
            m.digest()

    ms, _ = per_article(texts, sign)
    return [
        ("rensa: building 5-word shingle strings", ms_strings, "what rensa takes as input"),
        ("rensa: RMinHash.update", ms, "own hash: not datasketch-compatible signatures"),
    ]


if __name__ == "__main__":
    sys.exit(main())
