"""allocator.keep_freed_memory: freed blocks are reused instead of faulted in again."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from dupdetect.allocator import keep_freed_memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Makes 2,000 arrays of 5 KB (a chunk's shingle sets) and frees them, 20 times, and prints
# how many page faults that took after a warm-up round.
_FAULTS = """
import resource, sys
import numpy as np
from dupdetect.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def chunk():
    arrays = [np.ones(640) for _ in range(2000)]
    del arrays
chunk()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    chunk()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not GLIBC, reason="tunes glibc's malloc only")
def test_freed_blocks_are_reused_not_faulted_in_again() -> None:
    # without: 1,400-2,500 pages a round (the heap's freed top goes back to the kernel
    # every round, how much of it depends on what else the heap holds); with: the warm-up
    # round's pages reused (0-1 faults in all)
    assert _faults("default") >= 20 * 200
    assert _faults("keep") < 200


def test_reports_whether_it_could_tune_the_allocator() -> None:
    assert keep_freed_memory() is GLIBC
