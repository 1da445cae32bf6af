"""Keeping freed memory in a worker process instead of handing it back to the kernel.

glibc's ``malloc`` serves blocks above a threshold (128 KB at first) with their own ``mmap``
and unmaps them when freed, and it gives the free top of the heap back once it exceeds
another (``M_TRIM_THRESHOLD``). A scan's worker allocates and frees the same few megabytes
for every chunk of 512 articles (signatures, band keys, samples, the pickled result), so it
faulted those pages in again, zeroed, every chunk: ~38,000 page faults per worker in a
100,000-article scan against ~5,000 for the read+tokenize+hash floor's. With the freed
memory kept, a worker faults in its working set once.
"""

from __future__ import annotations

import sys

#: ``mallopt`` parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the heap (glibc's largest allowed threshold on 64-bit).
MMAP_THRESHOLD = 32 << 20
#: Free memory the heap keeps at its top before giving it back.
TRIM_THRESHOLD = 64 << 20


def keep_freed_memory() -> bool:
    """Have this process's ``malloc`` keep freed blocks of up to ``MMAP_THRESHOLD`` bytes and
    up to ``TRIM_THRESHOLD`` bytes of free heap for reuse. True when done (glibc on Linux);
    False elsewhere (other C libraries manage memory their own way), changing nothing.

    The settings hold for the rest of the process's life and pass to processes it forks.
    Meant for worker processes, whose peak memory is a chunk's working set: a long-lived
    main process keeps its own defaults.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # not glibc (musl has mallopt, a no-op)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
