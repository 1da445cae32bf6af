/*
 * dupdetect._speedups: the per-document and per-pair hot loops of the scan in C.
 *
 * Each function computes exactly what its numpy counterpart in shingle.py / sign.py / verify.py computes
 * (same arithmetic modulo 2**64 or 2**32, same output order), or its Python counterpart in
 * wire.py; tests/test_speedups.py checks them against each other bit for bit. The numpy (and
 * Python) code stays the reference and the fallback
 * when this module is not built (no compiler at install time).
 *
 * Buffers in and out are native-endian machine integers; the Python side wraps the returned
 * bytes with numpy.frombuffer. No numpy headers are needed to build.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* hinted_lines' 16-character steps (always there on x86-64) */
#endif
#include <errno.h>
#ifndef _WIN32
#include <unistd.h> /* pread: overlaps_at is POSIX only */
#endif

/* Polynomial word hash base (odd), as shingle._BASE. */
#define WORD_BASE 0x100000001B3ULL

static const uint64_t MULTIPLIERS[8] = {
    0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL, 0xD6E8FEB86659FD93ULL,
    0xFF51AFD7ED558CCDULL, 0xC4CEB9FE1A85EC53ULL, 0x94D049BB133111EBULL, 0xBF58476D1CE4E5B9ULL,
};

static inline uint64_t fmix64(uint64_t v) {
    v ^= v >> 33;
    v *= 0xFF51AFD7ED558CCDULL;
    v ^= v >> 33;
    v *= 0xC4CEB9FE1A85EC53ULL;
    v ^= v >> 33;
    return v;
}

static inline uint32_t fmix32(uint32_t v) {
    v ^= v >> 16;
    v *= 0x85EBCA6BU;
    v ^= v >> 13;
    v *= 0xC2B2AE35U;
    v ^= v >> 16;
    return v;
}

/* Count the words (runs of non-zero bytes) of a buffer. */
static Py_ssize_t count_words(const uint8_t *data, Py_ssize_t size) {
    Py_ssize_t words = 0;
    int inside = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        if (data[i]) {
            words += !inside;
            inside = 1;
        } else {
            inside = 0;
        }
    }
    return words;
}

/* hash_words(data: buffer of uint8) -> bytes of uint64, one hash per word. */
static PyObject *hash_words(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const uint8_t *data = (const uint8_t *)view.buf;
    Py_ssize_t size = view.len;
    Py_ssize_t words = count_words(data, size);
    PyObject *out = PyBytes_FromStringAndSize(NULL, words * (Py_ssize_t)sizeof(uint64_t));
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    uint64_t *hashes = (uint64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t word = 0, i = 0;
    Py_BEGIN_ALLOW_THREADS
    while (i < size) {
        if (!data[i]) {
            i++;
            continue;
        }
        uint64_t sum = 0, power = 1, length = 0;
        while (i < size && data[i]) {
            sum += (uint64_t)data[i] * power;
            power *= WORD_BASE;
            length++;
            i++;
        }
        hashes[word++] = fmix64(sum + length);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return out;
}

/* LSD radix sort of uint64 keys, 8 bits a pass; passes where every key has the same digit
 * are skipped. ``scratch`` has room for ``n`` keys. The result ends up in ``keys``. */
static void radix_sort64(uint64_t *keys, uint64_t *scratch, Py_ssize_t n) {
    if (n < 2) return;
    uint64_t *src = keys, *dst = scratch;
    for (int shift = 0; shift < 64; shift += 8) {
        Py_ssize_t counts[256] = {0};
        for (Py_ssize_t i = 0; i < n; i++) counts[(src[i] >> shift) & 0xFF]++;
        if (counts[(src[0] >> shift) & 0xFF] == n) continue;
        Py_ssize_t total = 0;
        for (int d = 0; d < 256; d++) {
            Py_ssize_t c = counts[d];
            counts[d] = total;
            total += c;
        }
        for (Py_ssize_t i = 0; i < n; i++) dst[counts[(src[i] >> shift) & 0xFF]++] = src[i];
        uint64_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != keys) memcpy(keys, src, (size_t)n * sizeof(uint64_t));
}

/* Sort uint64 keys that are hashes (spread evenly over 64 bits): one counting pass scatters
 * them into n/4 to n/2 buckets by their top bits, then each bucket (2-4 keys on average) is
 * sorted by insertion; a bucket of more than BUCKET_MAX keys (keys that are not hashes, or
 * many equal ones) goes to radix_sort64. A few passes instead of radix_sort64's eight for the
 * few hundred shingles of an article. ``scratch`` has room for ``n`` keys. Falls back to
 * radix_sort64 when the bucket table cannot be allocated. */
#define BUCKET_MAX 32
static void bucket_sort64(uint64_t *keys, uint64_t *scratch, Py_ssize_t n) {
    if (n < 2) return;
    int bits = 1;
    while (bits < 20 && ((Py_ssize_t)1 << (bits + 1)) <= n) bits++;
    Py_ssize_t buckets = (Py_ssize_t)1 << bits;
    Py_ssize_t *ends = calloc((size_t)buckets + 1, sizeof(Py_ssize_t));
    if (ends == NULL) {
        radix_sort64(keys, scratch, n);
        return;
    }
    int shift = 64 - bits;
    for (Py_ssize_t i = 0; i < n; i++) ends[(keys[i] >> shift) + 1]++;
    for (Py_ssize_t b = 1; b <= buckets; b++) ends[b] += ends[b - 1];
    /* ends[b] is where bucket b starts; placing a key moves it on, so afterwards ends[b] is
     * where bucket b stops, and bucket b spans [ends[b - 1], ends[b]) with ends[-1] = 0. */
    for (Py_ssize_t i = 0; i < n; i++) scratch[ends[keys[i] >> shift]++] = keys[i];
    Py_ssize_t start = 0;
    for (Py_ssize_t b = 0; b < buckets; b++) {
        Py_ssize_t stop = ends[b];
        if (stop - start > BUCKET_MAX) {
            radix_sort64(scratch + start, keys + start, stop - start);
        } else {
            for (Py_ssize_t i = start + 1; i < stop; i++) {
                uint64_t key = scratch[i];
                Py_ssize_t j = i;
                for (; j > start && scratch[j - 1] > key; j--) scratch[j] = scratch[j - 1];
                scratch[j] = key;
            }
        }
        start = stop;
    }
    free(ends);
    memcpy(keys, scratch, (size_t)n * sizeof(uint64_t));
}

/* shingle(hashes: buffer of uint64, size: int) -> bytes of sorted unique uint64 shingle
 * hashes: fmix64(sum_o hashes[i + o] * MULTIPLIERS[o] + k) for every window of k words,
 * k = min(size, number of words). */
static PyObject *shingle(PyObject *self, PyObject *args) {
    Py_buffer view;
    int size;
    if (!PyArg_ParseTuple(args, "y*i", &view, &size)) return NULL;
    if (size < 1 || size > 8) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "shingle size must be between 1 and 8, got %d", size);
        return NULL;
    }
    if (view.len % (Py_ssize_t)sizeof(uint64_t)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "hash buffer length is not a multiple of 8");
        return NULL;
    }
    const uint64_t *hashes = (const uint64_t *)view.buf;
    Py_ssize_t count = view.len / (Py_ssize_t)sizeof(uint64_t);
    if (count == 0) {
        PyBuffer_Release(&view);
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    int k = size < count ? size : (int)count;
    Py_ssize_t windows = count - k + 1;
    uint64_t *work = PyMem_Malloc(2 * (size_t)windows * sizeof(uint64_t));
    if (work == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    Py_ssize_t unique = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < windows; i++) {
        uint64_t mixed = 0;
        for (int o = 0; o < k; o++) mixed += hashes[i + o] * MULTIPLIERS[o];
        work[i] = fmix64(mixed + (uint64_t)k);
    }
    bucket_sort64(work, work + windows, windows);
    for (Py_ssize_t i = 0; i < windows; i++) {
        if (i == 0 || work[i] != work[unique - 1]) work[unique++] = work[i];
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyObject *out = PyBytes_FromStringAndSize((const char *)work, unique * (Py_ssize_t)sizeof(uint64_t));
    PyMem_Free(work);
    return out;
}

/* Permutations computed MINHASH_LANES at a time, with their running minima in registers. */
#define MINHASH_LANES 8

/* The MinHash kernel: signature[p] = min over shingles of (a[p] * m + b[p]) mod 2**32, with
 * m = fmix32(fold32(shingle)), each shingle mixed once into `mixed` (n values). The inner
 * loop, over the shingles for MINHASH_LANES permutations, is a multiply, an add and a min
 * per lane, vectorized by the compiler. Compiled for AVX2 and for the baseline ISA, chosen
 * at load. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void minhash_kernel(const uint64_t *shingles, Py_ssize_t n, const uint32_t *a,
                           const uint32_t *b, uint32_t *out, Py_ssize_t perms, uint32_t *mixed) {
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t h = shingles[i];
        mixed[i] = fmix32((uint32_t)(h ^ (h >> 32)));
    }
    for (Py_ssize_t p = 0; p < perms; p += MINHASH_LANES) {
        /* the last block may hold fewer permutations: its spare lanes repeat its first */
        Py_ssize_t lanes = perms - p < MINHASH_LANES ? perms - p : MINHASH_LANES;
        uint32_t low[MINHASH_LANES], mul[MINHASH_LANES], add[MINHASH_LANES];
        for (int k = 0; k < MINHASH_LANES; k++) {
            low[k] = UINT32_MAX;
            mul[k] = a[p + (k < lanes ? k : 0)];
            add[k] = b[p + (k < lanes ? k : 0)];
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            uint32_t m = mixed[i];
            for (int k = 0; k < MINHASH_LANES; k++) {
                uint32_t v = mul[k] * m + add[k];
                low[k] = v < low[k] ? v : low[k];
            }
        }
        for (Py_ssize_t k = 0; k < lanes; k++) out[p + k] = low[k];
    }
}

/* minhash_into(sets: list of buffers of uint64, a: buffer of uint32, b: buffer of uint32,
 * out: writable buffer of len(sets) * len(a) uint32): minhash of every set, row after row of
 * out, in one call (a call per set, its bytes then copied into a matrix, cost ~1.5 us an
 * article more). */
static PyObject *minhash_into(PyObject *self, PyObject *args) {
    PyObject *sets;
    Py_buffer av, bv, ov;
    if (!PyArg_ParseTuple(args, "O!y*y*w*", &PyList_Type, &sets, &av, &bv, &ov)) return NULL;
    PyObject *result = NULL;
    uint32_t *mixed = NULL;
    Py_ssize_t capacity = 0, count = PyList_GET_SIZE(sets);
    Py_ssize_t perms = av.len / (Py_ssize_t)sizeof(uint32_t);
    if (av.len != bv.len || av.len % (Py_ssize_t)sizeof(uint32_t) ||
        ov.len != count * perms * (Py_ssize_t)sizeof(uint32_t)) {
        PyErr_SetString(PyExc_ValueError, "minhash_into: buffers of wrong length");
        goto done;
    }
    for (Py_ssize_t row = 0; row < count; row++) {
        Py_buffer sv;
        if (PyObject_GetBuffer(PyList_GET_ITEM(sets, row), &sv, PyBUF_C_CONTIGUOUS) < 0) goto done;
        Py_ssize_t n = sv.len / (Py_ssize_t)sizeof(uint64_t);
        if (sv.len % (Py_ssize_t)sizeof(uint64_t) || n == 0) {
            PyBuffer_Release(&sv);
            PyErr_SetString(PyExc_ValueError, sv.len ? "minhash_into: a set is not of 8-byte values"
                                                      : "cannot sign an empty shingle set");
            goto done;
        }
        if (n > capacity) {
            PyMem_RawFree(mixed);
            capacity = 2 * n;
            mixed = (uint32_t *)PyMem_RawMalloc((size_t)capacity * sizeof(uint32_t));
            if (mixed == NULL) {
                PyBuffer_Release(&sv);
                PyErr_NoMemory();
                goto done;
            }
        }
        minhash_kernel((const uint64_t *)sv.buf, n, (const uint32_t *)av.buf,
                       (const uint32_t *)bv.buf, (uint32_t *)ov.buf + row * perms, perms, mixed);
        PyBuffer_Release(&sv);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_RawFree(mixed);
    PyBuffer_Release(&av);
    PyBuffer_Release(&bv);
    PyBuffer_Release(&ov);
    return result;
}

/* How many values two sorted unique arrays share (a merge walk). */
static Py_ssize_t merge_count(const uint64_t *a, Py_ssize_t na, const uint64_t *b, Py_ssize_t nb) {
    Py_ssize_t i = 0, j = 0, shared = 0;
    while (i < na && j < nb) {
        uint64_t x = a[i], y = b[j];
        shared += x == y;
        i += x <= y;
        j += y <= x;
    }
    return shared;
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define BLOCK_MERGE_AVX2 1
/* merge_count four values at a time: each block of a is compared with all four rotations of
 * the current block of b (sets are unique: a value matches at most once), then the block with
 * the smaller last value moves on (both when equal). Every pair of blocks whose ranges
 * overlap is compared once, so every shared value is counted once. The rest goes to
 * merge_count. */
__attribute__((target("avx2"))) static Py_ssize_t
merge_count_avx2(const uint64_t *a, Py_ssize_t na, const uint64_t *b, Py_ssize_t nb) {
    Py_ssize_t i = 0, j = 0, shared = 0;
    while (i + 4 <= na && j + 4 <= nb) {
        __m256i va = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i vb = _mm256_loadu_si256((const __m256i *)(b + j));
        __m256i same = _mm256_cmpeq_epi64(va, vb);
        same = _mm256_or_si256(same, _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64(vb, 0x39)));
        same = _mm256_or_si256(same, _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64(vb, 0x4E)));
        same = _mm256_or_si256(same, _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64(vb, 0x93)));
        shared += __builtin_popcount((unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(same)));
        uint64_t last_a = a[i + 3], last_b = b[j + 3];
        i += (last_a <= last_b) * 4;
        j += (last_b <= last_a) * 4;
    }
    return shared + merge_count(a + i, na - i, b + j, nb - j);
}
#endif

/* merge_count by blocks of four with AVX2 where the CPU has it (twice as fast on candidate
 * pairs of a 100,000-article scan: 0.17 against 0.37 s for 131 million values, which is
 * about the memory's speed), else merge_count. */
static Py_ssize_t merge_count_fast(const uint64_t *a, Py_ssize_t na, const uint64_t *b,
                                   Py_ssize_t nb) {
#ifdef BLOCK_MERGE_AVX2
    if (__builtin_cpu_supports("avx2")) return merge_count_avx2(a, na, b, nb);
#endif
    return merge_count(a, na, b, nb);
}

/* overlap(a: buffer of uint64, b: buffer of uint64) -> int: how many values two sorted
 * unique arrays share (merge_count_fast). */
static PyObject *overlap(PyObject *self, PyObject *args) {
    Py_buffer av, bv;
    if (!PyArg_ParseTuple(args, "y*y*", &av, &bv)) return NULL;
    if (av.len % (Py_ssize_t)sizeof(uint64_t) || bv.len % (Py_ssize_t)sizeof(uint64_t)) {
        PyBuffer_Release(&av);
        PyBuffer_Release(&bv);
        PyErr_SetString(PyExc_ValueError, "overlap: buffer length is not a multiple of 8");
        return NULL;
    }
    const uint64_t *a = (const uint64_t *)av.buf, *b = (const uint64_t *)bv.buf;
    Py_ssize_t na = av.len / (Py_ssize_t)sizeof(uint64_t), nb = bv.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t shared;
    Py_BEGIN_ALLOW_THREADS
    shared = merge_count_fast(a, na, b, nb);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&av);
    PyBuffer_Release(&bv);
    return PyLong_FromSsize_t(shared);
}

#ifndef _WIN32
/* Read exactly `count` uint64 values at byte `offset` of `fd` into *buffer (grown as needed).
 * Returns 0, or -1 with errno set (0 for a file shorter than expected). */
static int read_set(int fd, int64_t offset, int64_t count, uint64_t **buffer, int64_t *capacity) {
    if (count > *capacity) {
        uint64_t *grown = (uint64_t *)realloc(*buffer, (size_t)count * sizeof(uint64_t));
        if (grown == NULL) {
            errno = ENOMEM;
            return -1;
        }
        *buffer = grown;
        *capacity = count;
    }
    size_t wanted = (size_t)count * sizeof(uint64_t), done = 0;
    while (done < wanted) {
        ssize_t got = pread(fd, (char *)*buffer + done, wanted - done, (off_t)(offset + (int64_t)done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            if (got == 0) errno = 0;
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

/* overlaps_at(fds, offsets, sizes, pairs, out): for every pair (a, b) of set numbers (int64
 * pairs), how many values set a and set b share, into out (int64, one per pair). Set k is
 * sizes[k] sorted unique uint64 values at byte offsets[k] of file descriptor fds[k] (int32).
 * Each set is read with pread; the first set of a pair is read again only when it changes
 * (pairs sorted by their first set read each first set once). Raises OSError on a failed
 * or short read. Counts with merge_count_fast. */
static PyObject *overlaps_at(PyObject *self, PyObject *args) {
    Py_buffer fv, ov, sv, pv, outv;
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*", &fv, &ov, &sv, &pv, &outv)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t sets = ov.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t pairs = pv.len / (Py_ssize_t)(2 * sizeof(int64_t));
    if (fv.len != sets * (Py_ssize_t)sizeof(int32_t) || sv.len != ov.len ||
        pv.len != pairs * (Py_ssize_t)(2 * sizeof(int64_t)) ||
        outv.len != pairs * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "overlaps_at: buffers of wrong length");
        goto done;
    }
    const int32_t *fds = (const int32_t *)fv.buf;
    const int64_t *offsets = (const int64_t *)ov.buf, *sizes = (const int64_t *)sv.buf;
    const int64_t *pair = (const int64_t *)pv.buf;
    int64_t *out = (int64_t *)outv.buf;
    for (Py_ssize_t k = 0; k < 2 * pairs; k++) {
        if (pair[k] < 0 || pair[k] >= sets) {
            PyErr_SetString(PyExc_IndexError, "overlaps_at: set number out of range");
            goto done;
        }
    }
    uint64_t *first = NULL, *second = NULL;
    int64_t first_capacity = 0, second_capacity = 0, first_set = -1;
    int failed = 0, failed_errno = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < pairs && !failed; k++) {
        int64_t a = pair[2 * k], b = pair[2 * k + 1];
        if (sizes[a] == 0 || sizes[b] == 0) {
            out[k] = 0;
            continue;
        }
        if (a != first_set) {
            first_set = -1;
            if (read_set(fds[a], offsets[a], sizes[a], &first, &first_capacity) < 0) {
                failed = 1;
                failed_errno = errno;
                break;
            }
            first_set = a;
        }
        if (read_set(fds[b], offsets[b], sizes[b], &second, &second_capacity) < 0) {
            failed = 1;
            failed_errno = errno;
            break;
        }
        out[k] = merge_count_fast(first, sizes[a], second, sizes[b]);
    }
    Py_END_ALLOW_THREADS
    free(first);
    free(second);
    if (failed) {
        if (failed_errno) {
            errno = failed_errno;
            PyErr_SetFromErrno(PyExc_OSError);
        } else {
            PyErr_SetString(PyExc_OSError, "overlaps_at: shingle set file is shorter than expected");
        }
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&fv);
    PyBuffer_Release(&ov);
    PyBuffer_Release(&sv);
    PyBuffer_Release(&pv);
    PyBuffer_Release(&outv);
    return result;
}
#endif

/* Whether one of the needles (a tuple of non-empty bytes) begins at data[i]. */
static int needle_at(const uint8_t *data, Py_ssize_t size, Py_ssize_t i, PyObject *needles) {
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(needles); k++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, k);
        const uint8_t *bytes = (const uint8_t *)PyBytes_AS_STRING(needle);
        Py_ssize_t length = PyBytes_GET_SIZE(needle);
        if (length <= size - i && bytes[0] == data[i] &&
            memcmp(data + i + 1, bytes + 1, (size_t)(length - 1)) == 0)
            return 1;
    }
    return 0;
}

/* find_any(haystack: buffer, needles: tuple of bytes, start: int) -> int: the lowest position
 * >= start where one of the (non-empty) needles begins, or -1. One pass over the haystack,
 * testing each position's two bytes against a bitmap of the pairs the needles begin with (a
 * one-byte needle: every pair with its byte first), instead of a full search per needle. */
static PyObject *find_any(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *needles;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "y*O!n", &view, &PyTuple_Type, &needles, &start)) return NULL;
    uint8_t pairs[65536 / 8] = {0};
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(needles); k++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, k);
        if (!PyBytes_Check(needle) || PyBytes_GET_SIZE(needle) == 0) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "find_any: needles must be non-empty bytes");
            return NULL;
        }
        const uint8_t *bytes = (const uint8_t *)PyBytes_AS_STRING(needle);
        if (PyBytes_GET_SIZE(needle) == 1) {
            memset(pairs + bytes[0] * 32, 0xFF, 32);
        } else {
            unsigned pair = (unsigned)bytes[0] << 8 | bytes[1];
            pairs[pair >> 3] |= (uint8_t)(1u << (pair & 7));
        }
    }
    const uint8_t *data = (const uint8_t *)view.buf;
    Py_ssize_t size = view.len, found = -1, i = start < 0 ? 0 : start;
    for (; i + 1 < size; i++) {
        unsigned pair = (unsigned)data[i] << 8 | data[i + 1];
        if (((pairs[pair >> 3] >> (pair & 7)) & 1) && needle_at(data, size, i, needles)) {
            found = i;
            break;
        }
    }
    if (found < 0 && i == size - 1 && needle_at(data, size, i, needles)) found = i;
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(found);
}

/* Lower-case ASCII of every byte value; 0 for bytes >= 128 (non-ASCII matches no needle). */
static uint8_t FOLDED[256];

static void init_folded(void) {
    for (unsigned c = 0; c < 128; c++) FOLDED[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
}

#define FOLD(c) ((c) < 128 ? FOLDED[(c)] : 0)
#define MAX_NEEDLES 16

/* What hinted_lines looks for: the needles, and the distinct prefixes of up to three
 * characters they begin with (as bytes, and OR 0x20: a case-blind first filter, confirmed
 * exactly afterwards; `third` is 0 for a needle of two characters: any third one passes).
 * Three characters, not two: the pairs of the footer hints ("co", "re", "ha", "fo") begin
 * ~5% of the positions of English text, and confirming each of those cost most of the scan
 * (7.4 us an article); their triples begin ~1%. */
typedef struct {
    Py_ssize_t count, lengths[MAX_NEEDLES], n_prefixes;
    const uint8_t *needle[MAX_NEEDLES];
    uint8_t first[MAX_NEEDLES], second[MAX_NEEDLES], third[MAX_NEEDLES];
} Needles;

/* The marks wire_hints looks for besides the needles (bits of Scan.pending): a dateline hint,
 * ")" then spaces or tabs then "-", "—" or "–" (wire._DATELINE_HINT), and a dash, "--", "—" or
 * "–" (wire._DASHES). */
#define PENDING_DATELINE 1
#define PENDING_DASH 2

/* Where a scan stands: the numbers of the hinted lines so far (a list made at the first one,
 * NULL before), the number of the line position `counted` is on, where needles are looked for
 * again (the end of the last hinted line: a line is recorded once) and the marks still looked
 * for (none for hinted_lines). */
typedef struct {
    PyObject *found;
    Py_ssize_t line, counted, needles_from;
    int pending;
} Scan;

static inline int is_dash(Py_UCS4 c) { return c == '-' || c == 0x2014 || c == 0x2013; }

/* Clear from scan->pending the marks that begin at character i (of n) of units. */
#define MARK_AT(units, n, i)                                                                 \
    do {                                                                                     \
        Py_UCS4 c_ = (units)[i];                                                             \
        if (c_ == ')') {                                                                     \
            Py_ssize_t j_ = (i) + 1;                                                         \
            while (j_ < (n) && ((units)[j_] == ' ' || (units)[j_] == '\t')) j_++;             \
            if (j_ < (n) && is_dash((units)[j_])) scan->pending &= ~PENDING_DATELINE;        \
        } else if (c_ == 0x2014 || c_ == 0x2013 ||                                           \
                   (c_ == '-' && (i) + 1 < (n) && (units)[(i) + 1] == '-')) {                \
            scan->pending &= ~PENDING_DASH;                                                  \
        }                                                                                    \
    } while (0)

/* Whether a needle begins at character i (of n) of units, ASCII compared case-blind. */
#define NEEDLE_AT(units, n, i, hit)                                                       \
    do {                                                                                 \
        hit = 0;                                                                         \
        for (Py_ssize_t k_ = 0; k_ < needles->count && !hit; k_++) {                     \
            Py_ssize_t length_ = needles->lengths[k_], j_ = 0;                           \
            if (length_ > (n) - (i)) continue;                                           \
            while (j_ < length_ && FOLD((units)[(i) + j_]) == needles->needle[k_][j_]) j_++; \
            hit = j_ == length_;                                                         \
        }                                                                                \
    } while (0)

/* A needle begins at character `at`: record its line's number (counting the "\n" before it
 * from where the count stopped), and look for needles again only from that line's end (its
 * "\n", or n). */
#define RECORD_LINE(units, n, at)                                                            \
    do {                                                                                     \
        Py_ssize_t end_ = (at);                                                              \
        for (; scan->counted < end_; scan->counted++)                                        \
            scan->line += (units)[scan->counted] == '\n';                                    \
        if (append_number(&scan->found, scan->line) < 0) return -1;                          \
        while (end_ < (n) && (units)[end_] != '\n') end_++;                                  \
        scan->counted = scan->needles_from = end_;                                           \
    } while (0)

/* A candidate position `at`: clear the marks that begin there and, past the last hinted line,
 * record its line when a needle begins there (`recorded` says whether one did). */
#define TRY_AT(units, n, at, recorded)                                                       \
    do {                                                                                     \
        recorded = 0;                                                                        \
        if (scan->pending) MARK_AT(units, n, at);                                            \
        if ((at) >= scan->needles_from) {                                                    \
            NEEDLE_AT(units, n, at, recorded);                                               \
            if (recorded) RECORD_LINE(units, n, at);                                         \
        }                                                                                    \
    } while (0)

/* The scalar scan from character `from` on, for one storage width: the marks at each position
 * while some are pending, and the line of each position where a needle begins (then, when no
 * mark is pending, on from that line's end). */
#define HINTED_LINES_FROM(TYPE)                                                              \
    static Py_ssize_t hinted_lines_##TYPE(const TYPE *units, Py_ssize_t n, Py_ssize_t from,   \
                                          Scan *scan, const Needles *needles) {              \
        for (Py_ssize_t i = from; i < n; i++) {                                              \
            int recorded;                                                                    \
            TRY_AT(units, n, i, recorded);                                                   \
            if (recorded && !scan->pending) i = scan->needles_from;                          \
        }                                                                                    \
        return n;                                                                            \
    }

/* Append value to *list, made at the first value. */
static int append_number(PyObject **list, Py_ssize_t value) {
    if (*list == NULL && (*list = PyList_New(0)) == NULL) return -1;
    PyObject *number = PyLong_FromSsize_t(value);
    if (number == NULL) return -1;
    int failed = PyList_Append(*list, number);
    Py_DECREF(number);
    return failed;
}

HINTED_LINES_FROM(Py_UCS1)
HINTED_LINES_FROM(Py_UCS2)
HINTED_LINES_FROM(Py_UCS4)

#if defined(__SSE2__)
/* The vector scan for 1- and 2-byte storage: STEP starting positions at a time (16 and 8 with
 * SSE2, 32 and 16 with AVX2), kept when their first three characters, OR 0x20, are a prefix
 * the needles begin with, or (as they are, while pending) when they begin a mark: ")", "--",
 * and in 2-byte storage "—" or "–"; only those are tried. The marks add 3 compares a step (5
 * in 2-byte storage) to the footer hints' 21, ~0.1 us an article, and none once both are
 * found. Stops where fewer than a vector and two characters remain; returns that position. */
#define HINTED_LINES_VECTOR_(NAME, ATTR, TYPE, VEC, STEP, SCALE, SET1, CMPEQ, LOADU, OR, AND,  \
                             ZERO, MOVEMASK)                                                  \
    ATTR static Py_ssize_t NAME(const TYPE *units, Py_ssize_t n, Scan *scan,                 \
                                const Needles *needles) {                                    \
        VEC fold = SET1(0x20), firsts[MAX_NEEDLES], seconds[MAX_NEEDLES];                    \
        VEC thirds[MAX_NEEDLES], any_third[MAX_NEEDLES];                                     \
        VEC paren = SET1(')'), hyphen = SET1('-');                                           \
        VEC em = SET1((TYPE)0x2014), en = SET1((TYPE)0x2013); /* compared in 2-byte only */  \
        for (Py_ssize_t p = 0; p < needles->n_prefixes; p++) {                               \
            firsts[p] = SET1(needles->first[p] | 0x20);                                      \
            seconds[p] = SET1(needles->second[p] | 0x20);                                    \
            thirds[p] = SET1(needles->third[p] | 0x20);                                      \
            any_third[p] = SET1(needles->third[p] ? 0 : -1);                                 \
        }                                                                                    \
        Py_ssize_t i = 0;                                                                    \
        while (i + STEP + 2 <= n) {                                                          \
            VEC ra = LOADU((const VEC *)(units + i)), rb = LOADU((const VEC *)(units + i + 1)); \
            VEC a = OR(ra, fold), b = OR(rb, fold);                                          \
            VEC c = OR(LOADU((const VEC *)(units + i + 2)), fold);                           \
            VEC any = ZERO();                                                                \
            for (Py_ssize_t p = 0; p < needles->n_prefixes; p++) {                           \
                VEC third = OR(CMPEQ(c, thirds[p]), any_third[p]);                           \
                any = OR(any, AND(AND(CMPEQ(a, firsts[p]), CMPEQ(b, seconds[p])), third));   \
            }                                                                                \
            if (scan->pending & PENDING_DATELINE) any = OR(any, CMPEQ(ra, paren));           \
            if (scan->pending & PENDING_DASH) {                                              \
                any = OR(any, AND(CMPEQ(ra, hyphen), CMPEQ(rb, hyphen)));                    \
                if (sizeof(TYPE) > 1) any = OR(any, OR(CMPEQ(ra, em), CMPEQ(ra, en)));       \
            }                                                                                \
            unsigned mask = (unsigned)MOVEMASK(any);                                         \
            Py_ssize_t next = i + STEP;                                                      \
            while (mask) {                                                                   \
                Py_ssize_t at = i + (Py_ssize_t)(__builtin_ctz(mask) / SCALE);               \
                mask &= mask - 1;                                                            \
                if (SCALE == 2) mask &= mask - 1; /* each 2-byte lane sets two bits */       \
                int recorded;                                                                \
                TRY_AT(units, n, at, recorded);                                              \
                if (!recorded || scan->pending) continue; /* the line may hold a mark */     \
                next = scan->needles_from;                                                   \
                break;                                                                       \
            }                                                                                \
            i = next;                                                                        \
        }                                                                                    \
        return i;                                                                            \
    }

/* (The operations come as one argument list: expanded before the body macro sees them.) */
#define HINTED_LINES_VECTOR(...) HINTED_LINES_VECTOR_(__VA_ARGS__)
#define SSE2_OPS _mm_loadu_si128, _mm_or_si128, _mm_and_si128, _mm_setzero_si128, _mm_movemask_epi8
HINTED_LINES_VECTOR(hinted_sse2_Py_UCS1, , Py_UCS1, __m128i, 16, 1, _mm_set1_epi8,
                    _mm_cmpeq_epi8, SSE2_OPS)
HINTED_LINES_VECTOR(hinted_sse2_Py_UCS2, , Py_UCS2, __m128i, 8, 2, _mm_set1_epi16,
                    _mm_cmpeq_epi16, SSE2_OPS)

#if defined(__GNUC__) && defined(__x86_64__)
/* Twice the positions a step where the CPU has AVX2 (chosen at run time): the scan of an
 * article's ~5,000 characters took ~2.5 us with SSE2. */
#define AVX2_OPS                                                                             \
    _mm256_loadu_si256, _mm256_or_si256, _mm256_and_si256, _mm256_setzero_si256,             \
        _mm256_movemask_epi8
HINTED_LINES_VECTOR(hinted_avx2_Py_UCS1, __attribute__((target("avx2"))), Py_UCS1, __m256i, 32,
                    1, _mm256_set1_epi8, _mm256_cmpeq_epi8, AVX2_OPS)
HINTED_LINES_VECTOR(hinted_avx2_Py_UCS2, __attribute__((target("avx2"))), Py_UCS2, __m256i, 16,
                    2, _mm256_set1_epi16, _mm256_cmpeq_epi16, AVX2_OPS)
#define HINTED_VECTOR(TYPE)                                                                   \
    (__builtin_cpu_supports("avx2") ? hinted_avx2_##TYPE : hinted_sse2_##TYPE)
#else
#define HINTED_VECTOR(TYPE) hinted_sse2_##TYPE
#endif

#define VECTOR_STEPS(TYPE)                                                                    \
    do {                                                                                      \
        from = HINTED_VECTOR(TYPE)(data, n, scan, needles);                                   \
        if (from < 0) return from;                                                            \
    } while (0)
#else
#define VECTOR_STEPS(TYPE) (void)0
#endif

/* The whole scan of 1- or 2-byte storage: vector steps where there are, then the scalar rest. */
#define HINTED_SCAN(TYPE)                                                                   \
    static Py_ssize_t hinted_scan_##TYPE(const void *data, Py_ssize_t n, Scan *scan,         \
                                         const Needles *needles) {                          \
        Py_ssize_t from = 0;                                                                \
        VECTOR_STEPS(TYPE);                                                                 \
        return hinted_lines_##TYPE(data, n, from, scan, needles);                           \
    }

HINTED_SCAN(Py_UCS1)
HINTED_SCAN(Py_UCS2)

/* Read a tuple of needles (at most 16, each bytes of 2+ lower-case ASCII characters) and
 * their distinct prefixes into *needles; 0, or -1 with a ValueError naming `caller`. */
static int parse_needles(PyObject *items, Needles *needles, const char *caller) {
    memset(needles, 0, sizeof(*needles));
    needles->count = PyTuple_GET_SIZE(items);
    if (needles->count > MAX_NEEDLES) {
        PyErr_Format(PyExc_ValueError, "%s: at most 16 needles", caller);
        return -1;
    }
    for (Py_ssize_t k = 0; k < needles->count; k++) {
        PyObject *item = PyTuple_GET_ITEM(items, k);
        if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) < 2) {
            PyErr_Format(PyExc_ValueError, "%s: needles must be bytes of 2+ characters", caller);
            return -1;
        }
        const uint8_t *bytes = (const uint8_t *)PyBytes_AS_STRING(item);
        needles->needle[k] = bytes;
        needles->lengths[k] = PyBytes_GET_SIZE(item);
        uint8_t third = PyBytes_GET_SIZE(item) > 2 ? bytes[2] : 0;
        Py_ssize_t p = 0;
        while (p < needles->n_prefixes &&
               (needles->first[p] != bytes[0] || needles->second[p] != bytes[1] ||
                needles->third[p] != third))
            p++;
        if (p == needles->n_prefixes) {
            needles->first[p] = bytes[0];
            needles->second[p] = bytes[1];
            needles->third[p] = third;
            needles->n_prefixes++;
        }
    }
    return 0;
}

/* Scan a str of any storage width for the lines holding needles and the marks pending in
 * *scan; 0, or -1 with an exception set (and scan->found cleared). */
static int scan_text(PyObject *text, const Needles *needles, Scan *scan) {
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), end;
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        end = hinted_scan_Py_UCS1(data, n, scan, needles);
        break;
    case PyUnicode_2BYTE_KIND:
        end = hinted_scan_Py_UCS2(data, n, scan, needles);
        break;
    default:
        end = hinted_lines_Py_UCS4(data, n, 0, scan, needles);
        break;
    }
    if (end < 0) {
        Py_CLEAR(scan->found);
        return -1;
    }
    return 0;
}

/* hinted_lines(text: str, needles: tuple of bytes) -> list of int: the numbers (0-based,
 * lines split at "\n") of the lines of text holding one of the needles (at most 16, each
 * 2+ lower-case ASCII characters), ASCII letters compared case-blind and any non-ASCII
 * character matching nothing: wire._hinted_lines of wire._ascii_folded(text), without the
 * folded copy, read from the str's own storage (16 or 8 positions a step with SSE2). */
static PyObject *hinted_lines(PyObject *self, PyObject *args) {
    PyObject *text, *items;
    Needles needles;
    Scan scan = {NULL, 0, 0, 0, 0};
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &items)) return NULL;
    if (parse_needles(items, &needles, "hinted_lines") < 0 || scan_text(text, &needles, &scan) < 0)
        return NULL;
    return scan.found != NULL ? scan.found : PyList_New(0);
}

/* wire_hints(text: str, needles: tuple of bytes) -> None or (dateline: bool, dash: bool,
 * lines: list of int): in one pass (hinted_lines' scan with the marks added to its filter),
 * whether text holds a dateline hint (wire._DATELINE_HINT matches somewhere), whether it holds
 * "--", "—" or "–", and hinted_lines(text, needles); None when it holds none of them (~90% of
 * articles: nothing is made for them). */
static PyObject *wire_hints(PyObject *self, PyObject *args) {
    PyObject *text, *items;
    Needles needles;
    Scan scan = {NULL, 0, 0, 0, PENDING_DATELINE | PENDING_DASH};
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &items)) return NULL;
    if (parse_needles(items, &needles, "wire_hints") < 0 || scan_text(text, &needles, &scan) < 0)
        return NULL;
    if (scan.found == NULL && scan.pending == (PENDING_DATELINE | PENDING_DASH)) Py_RETURN_NONE;
    if (scan.found == NULL && (scan.found = PyList_New(0)) == NULL) return NULL;
    PyObject *result = PyTuple_Pack(3, scan.pending & PENDING_DATELINE ? Py_False : Py_True,
                                    scan.pending & PENDING_DASH ? Py_False : Py_True, scan.found);
    Py_DECREF(scan.found);
    return result;
}

/* Acquire the buffer of each of the n items of seq (a PySequence_Fast) into views, each a
 * whole number of 8-byte values, counting them in *got (what the caller releases); returns
 * their values in all, or -1 with an exception set ("<what>: ... not a multiple of 8"). */
static Py_ssize_t get_8byte_buffers(PyObject *seq, Py_buffer *views, Py_ssize_t n, Py_ssize_t *got,
                                    const char *what) {
    Py_ssize_t total = 0;
    for (; *got < n; (*got)++) {
        Py_buffer *view = &views[*got];
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, *got), view, PyBUF_SIMPLE) < 0)
            return -1;
        if (view->len % 8) {
            (*got)++;
            PyErr_Format(PyExc_ValueError, "%s: a buffer's length is not a multiple of 8", what);
            return -1;
        }
        total += view->len / 8;
    }
    return total;
}

/* packed_samples(sets: sequence of buffers of uint64, mask: int, min_shingles: int) ->
 * (bytes of uint32, bytes of int64): index.packed_containment_samples for a power-of-two
 * sample_mod (mask = sample_mod - 1) in one pass: of each set of at least min_shingles
 * values, every value v with v & mask == 0, folded to 32 bits as sign.fold32 does
 * (v ^ v >> 32), in order; and how many each set gave. */
static PyObject *packed_samples(PyObject *self, PyObject *args) {
    PyObject *items, *values = NULL, *counts = NULL, *result = NULL;
    unsigned long long mask;
    Py_ssize_t min_shingles, kept = 0;
    if (!PyArg_ParseTuple(args, "OKn", &items, &mask, &min_shingles)) return NULL;
    PyObject *sets = PySequence_Fast(items, "packed_samples: sets must be a sequence");
    if (sets == NULL) return NULL;
    Py_ssize_t n_sets = PySequence_Fast_GET_SIZE(sets), total = 0;
    Py_buffer *views = PyMem_Calloc((size_t)(n_sets ? n_sets : 1), sizeof(Py_buffer));
    Py_ssize_t got = 0;
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    total = get_8byte_buffers(sets, views, n_sets, &got, "packed_samples");
    if (total < 0) goto done;
    values = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(uint32_t));
    counts = PyBytes_FromStringAndSize(NULL, n_sets * (Py_ssize_t)sizeof(int64_t));
    if (values == NULL || counts == NULL) goto done;
    uint32_t *out = (uint32_t *)PyBytes_AS_STRING(values);
    int64_t *taken = (int64_t *)PyBytes_AS_STRING(counts);
    for (Py_ssize_t k = 0; k < n_sets; k++) {
        const uint64_t *shingles = (const uint64_t *)views[k].buf;
        Py_ssize_t size = views[k].len / (Py_ssize_t)sizeof(uint64_t), before = kept;
        if (size >= min_shingles) {
            for (Py_ssize_t i = 0; i < size; i++) {
                uint64_t v = shingles[i];
                out[kept] = (uint32_t)(v ^ (v >> 32));
                kept += (v & mask) == 0;
            }
        }
        taken[k] = kept - before;
    }
    if (_PyBytes_Resize(&values, kept * (Py_ssize_t)sizeof(uint32_t)) < 0) goto done;
    result = PyTuple_Pack(2, values, counts);
done:
    for (Py_ssize_t k = 0; k < got; k++) PyBuffer_Release(&views[k]);
    PyMem_Free(views);
    Py_DECREF(sets);
    Py_XDECREF(values);
    Py_XDECREF(counts);
    return result;
}

/* has_double_hyphen(text: str) -> bool: whether text holds "--" (as `"--" in text`, which
 * CPython searches at ~1 ns a character; here memchr jumps from one "-" to the next in 1-byte
 * storage, the others are read a code unit at a time). */
static PyObject *has_double_hyphen(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text), found = 0;
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *units = (const Py_UCS1 *)data, *at = units, *end = units + n;
        while (at < end && (at = memchr(at, '-', (size_t)(end - at))) != NULL) {
            if (at + 1 < end && at[1] == '-') {
                found = 1;
                break;
            }
            at += 2; /* at[1] is no "-": no "--" starts there either */
        }
    } else {
        for (Py_ssize_t i = 0; i + 1 < n && !found; i++)
            found = PyUnicode_READ(kind, data, i) == '-' && PyUnicode_READ(kind, data, i + 1) == '-';
    }
    return PyBool_FromLong(found);
}

/* vocabulary_codes(hashes, table, mask, vocabulary, sorted, order) -> bytes of uint64: each
 * word hash's vocabulary rank + 1, or 0 outside the vocabulary, as records.Codec.codes_numpy.
 * table (int32, 2**bits slots, mask = 2**bits - 1) holds rank + 1 of the one vocabulary word
 * whose hash has those low bits, 0 for none, -1 for a slot several words share; those are
 * found by binary search in sorted (the vocabulary sorted, uint64) and mapped back to ranks
 * through order (int64). */
static PyObject *vocabulary_codes(PyObject *self, PyObject *args) {
    Py_buffer hashes_view, table_view, vocabulary_view, sorted_view, order_view;
    unsigned long long mask;
    if (!PyArg_ParseTuple(args, "y*y*Ky*y*y*", &hashes_view, &table_view, &mask,
                          &vocabulary_view, &sorted_view, &order_view))
        return NULL;
    const uint64_t *hashes = (const uint64_t *)hashes_view.buf;
    const int32_t *table = (const int32_t *)table_view.buf;
    const uint64_t *vocabulary = (const uint64_t *)vocabulary_view.buf;
    const uint64_t *sorted = (const uint64_t *)sorted_view.buf;
    const int64_t *order = (const int64_t *)order_view.buf;
    Py_ssize_t count = hashes_view.len / 8, slots = table_view.len / 4;
    Py_ssize_t words = vocabulary_view.len / 8;
    PyObject *out = NULL;
    if ((Py_ssize_t)mask >= slots || sorted_view.len / 8 != words || order_view.len / 8 != words) {
        PyErr_SetString(PyExc_ValueError, "vocabulary_codes: inconsistent table or vocabulary");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, count * 8);
    if (out == NULL) goto done;
    uint64_t *codes = (uint64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < count; i++) {
        uint64_t h = hashes[i];
        int32_t slot = table[h & mask];
        uint64_t code = 0;
        if (slot > 0 && slot <= words) {
            if (vocabulary[slot - 1] == h) code = (uint64_t)slot;
        } else if (slot < 0) {
            Py_ssize_t low = 0, high = words;
            while (low < high) {
                Py_ssize_t mid = low + (high - low) / 2;
                if (sorted[mid] < h) low = mid + 1; else high = mid;
            }
            if (low < words && sorted[low] == h) code = (uint64_t)order[low] + 1;
        }
        codes[i] = code;
    }
done:
    PyBuffer_Release(&hashes_view);
    PyBuffer_Release(&table_view);
    PyBuffer_Release(&vocabulary_view);
    PyBuffer_Release(&sorted_view);
    PyBuffer_Release(&order_view);
    return out;
}

/* Bit 7 of each byte of the little-endian block v set where that byte is non-zero (exact:
 * the addition never carries into the next byte). */
static inline uint64_t nonzero_bytes(uint64_t v) {
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    return (((v & low7) + low7) | v) & ~low7;
}

/* word_spans(data: buffer of uint8, picked: buffer of int64, ascending) -> bytes of int64
 * pairs (start, end): the byte span of each picked word of data, words being the runs of
 * non-zero bytes numbered from 0 (records._word_spans_numpy). Words before a picked one are
 * counted eight bytes at a time (a word starts at a non-zero byte after a zero one); a
 * picked number past the last word is a ValueError. */
static PyObject *word_spans(PyObject *self, PyObject *args) {
    Py_buffer data_view, picked_view;
    if (!PyArg_ParseTuple(args, "y*y*", &data_view, &picked_view)) return NULL;
    const uint8_t *data = (const uint8_t *)data_view.buf;
    const int64_t *picked = (const int64_t *)picked_view.buf;
    Py_ssize_t size = data_view.len, count = picked_view.len / 8, found = 0, i = 0;
    PyObject *out = PyBytes_FromStringAndSize(NULL, count * 16);
    if (out == NULL) goto done;
    int64_t *spans = (int64_t *)PyBytes_AS_STRING(out);
    int64_t word = -1;       /* number of the last word started before position i */
    uint64_t before = 0;     /* 1 when the byte before position i is non-zero */
    while (found < count) {
        int64_t target = picked[found];
        if (target <= word) break; /* not ascending */
        for (; i + 8 <= size; i += 8) {
            uint64_t v;
            memcpy(&v, data + i, 8);
            uint64_t nonzero = nonzero_bytes(v);
            uint64_t starts = nonzero & ~((nonzero << 8) | (before << 7));
            int64_t started = __builtin_popcountll(starts);
            if (word + started >= target) break;
            word += started;
            before = nonzero >> 63;
        }
        for (; i < size; i++) {
            uint64_t here = data[i] != 0;
            if (here && !before && ++word == target) break;
            before = here;
        }
        if (i >= size) break; /* past the last word */
        Py_ssize_t first = i;
        while (i < size && data[i]) i++;
        before = 1;
        for (; found < count && picked[found] == target; found++) { /* repeats: same span */
            spans[2 * found] = first;
            spans[2 * found + 1] = i;
        }
    }
    if (found < count) {
        Py_CLEAR(out);
        PyErr_SetString(PyExc_ValueError, "word_spans: picked words not in data or not ascending");
    }
done:
    PyBuffer_Release(&data_view);
    PyBuffer_Release(&picked_view);
    return out;
}

/* varints(values: buffer of uint64) -> bytes: LEB128 of each value (7 bits a byte, low
 * first, high bit set on all but a value's last byte), as records.encode_varints_numpy. */
static PyObject *varints(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const uint64_t *values = (const uint64_t *)view.buf;
    Py_ssize_t count = view.len / (Py_ssize_t)sizeof(uint64_t), size = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint64_t v = values[i];
        do {
            size++;
            v >>= 7;
        } while (v);
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out != NULL) {
        uint8_t *at = (uint8_t *)PyBytes_AS_STRING(out);
        for (Py_ssize_t i = 0; i < count; i++) {
            uint64_t v = values[i];
            while (v >= 0x80) {
                *at++ = (uint8_t)(v & 0x7F) | 0x80;
                v >>= 7;
            }
            *at++ = (uint8_t)v;
        }
    }
    PyBuffer_Release(&view);
    return out;
}

/* ---- The post-scan phase: containment candidates (index.sampled_containment_candidates) ----
 *
 * The samples of a scan are uint32 values in runs, run r of counts[r] values belonging to row
 * owners[r] (a negative owner marks a dropped run), cut in slices by their top bits. Each
 * slice becomes uint64 sort keys (value low bits << owner_bits | owner), numpy sorts them,
 * the runs of equal values give pair codes (owner_a * count + owner_b), numpy sorts each
 * slice's codes, and one merge counts every code over all slices. */

/* Whether counts and owners (as many of each) are runs covering exactly the values; sets a
 * ValueError when not. */
static int check_sample_runs(const Py_buffer *values, const Py_buffer *counts,
                             const Py_buffer *owners) {
    const int64_t *count = (const int64_t *)counts->buf;
    Py_ssize_t runs = counts->len / (Py_ssize_t)sizeof(int64_t), total = 0;
    int valid = values->len % (Py_ssize_t)sizeof(uint32_t) == 0 && owners->len == counts->len &&
                counts->len % (Py_ssize_t)sizeof(int64_t) == 0;
    for (Py_ssize_t r = 0; valid && r < runs; r++) {
        valid = count[r] >= 0;
        total += (Py_ssize_t)count[r];
    }
    if (valid && total == values->len / (Py_ssize_t)sizeof(uint32_t)) return 1;
    PyErr_SetString(PyExc_ValueError, "sample runs do not cover the sample values");
    return 0;
}

/* sample_slice_sizes(values, counts, owners, shift) -> bytes of int64: how many samples of
 * the kept runs (owner >= 0) each slice holds, slice value >> shift (1 << (32 - shift) slices,
 * shift in [24, 32]). */
static PyObject *sample_slice_sizes(PyObject *self, PyObject *args) {
    Py_buffer vv, cv, ov;
    int shift;
    if (!PyArg_ParseTuple(args, "y*y*y*i", &vv, &cv, &ov, &shift)) return NULL;
    PyObject *sizes = NULL;
    if (!check_sample_runs(&vv, &cv, &ov)) goto done;
    if (shift < 24 || shift > 32) {
        PyErr_SetString(PyExc_ValueError, "sample_slice_sizes: shift must be in [24, 32]");
        goto done;
    }
    Py_ssize_t slices = (Py_ssize_t)1 << (32 - shift), runs = cv.len / (Py_ssize_t)sizeof(int64_t);
    sizes = PyBytes_FromStringAndSize(NULL, slices * (Py_ssize_t)sizeof(int64_t));
    if (sizes == NULL) goto done;
    int64_t *size = (int64_t *)PyBytes_AS_STRING(sizes);
    const uint32_t *values = (const uint32_t *)vv.buf;
    const int64_t *counts = (const int64_t *)cv.buf, *owners = (const int64_t *)ov.buf;
    memset(size, 0, (size_t)slices * sizeof(int64_t));
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0, at = 0; r < runs; at += (Py_ssize_t)counts[r++]) {
        if (owners[r] < 0) continue;
        for (Py_ssize_t i = at; i < at + (Py_ssize_t)counts[r]; i++)
            size[(uint64_t)values[i] >> shift]++;
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&vv);
    PyBuffer_Release(&cv);
    PyBuffer_Release(&ov);
    return sizes;
}

/* Where the keys of a slice go: out (room for capacity keys), kept so far, and the run of
 * the last sample taken (r, ending at run_end). */
typedef struct {
    uint64_t *out;
    Py_ssize_t capacity, kept, r, run_end;
} SliceKeys;

/* Take sample i (of a slice) as a key unless its run was dropped; runs are found by walking
 * forward, samples come in ascending order. Keys past the capacity are counted, not written. */
static inline void take_sample(SliceKeys *to, const uint32_t *values, const int64_t *counts,
                               const int64_t *owners, Py_ssize_t i, uint64_t low_mask,
                               int owner_bits) {
    while (i >= to->run_end) to->run_end += (Py_ssize_t)counts[++to->r];
    if (owners[to->r] < 0) return;
    if (to->kept < to->capacity)
        to->out[to->kept] = ((uint64_t)values[i] & low_mask) << owner_bits | (uint64_t)owners[to->r];
    to->kept++;
}

/* The keys of the kept samples v with v & high_mask == target, in order, into *to. A slice
 * holds one sample in 8 or 16: SSE2 tests eight at a time and only the hits are taken one by
 * one (1.0 instead of 1.6 ns a sample for a branch-free test and store of each). */
static void gather_slice(SliceKeys *to, const uint32_t *values, Py_ssize_t n,
                         const int64_t *counts, const int64_t *owners, uint32_t high_mask,
                         uint32_t target, uint64_t low_mask, int owner_bits) {
    Py_ssize_t i = 0;
#if defined(__SSE2__) && defined(__GNUC__)
    const __m128i mask = _mm_set1_epi32((int)high_mask), wanted = _mm_set1_epi32((int)target);
    for (; i + 8 <= n; i += 8) {
        __m128i low = _mm_and_si128(_mm_loadu_si128((const __m128i *)(values + i)), mask);
        __m128i high = _mm_and_si128(_mm_loadu_si128((const __m128i *)(values + i + 4)), mask);
        unsigned hits = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(low, wanted))) |
                        (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(high, wanted))) << 4;
        while (hits) {
            take_sample(to, values, counts, owners, i + __builtin_ctz(hits), low_mask, owner_bits);
            hits &= hits - 1;
        }
    }
#endif
    for (; i < n; i++)
        if ((values[i] & high_mask) == target)
            take_sample(to, values, counts, owners, i, low_mask, owner_bits);
}

/* slice_keys(values, counts, owners, part, shift, owner_bits, out) -> int: the sort keys
 * ((value & low bits) << owner_bits | owner; owner < 2**owner_bits) of the samples of slice
 * part (value >> shift == part) of the kept runs, in sample order, into out (uint64); returns
 * how many there are (only those that fit are written: sample_slice_sizes gives the room
 * needed). Runs without the GIL. */
static PyObject *slice_keys(PyObject *self, PyObject *args) {
    Py_buffer vv, cv, ov, outv;
    unsigned long long part;
    int shift, owner_bits;
    if (!PyArg_ParseTuple(args, "y*y*y*Kiiw*", &vv, &cv, &ov, &part, &shift, &owner_bits, &outv))
        return NULL;
    PyObject *result = NULL;
    if (!check_sample_runs(&vv, &cv, &ov)) goto done;
    if (shift < 24 || shift > 32 || owner_bits < 1 || owner_bits > 32 ||
        part >> (32 - shift) || outv.len % (Py_ssize_t)sizeof(uint64_t)) {
        PyErr_SetString(PyExc_ValueError, "slice_keys: bad part, shift, owner_bits or out");
        goto done;
    }
    SliceKeys to = {(uint64_t *)outv.buf, outv.len / (Py_ssize_t)sizeof(uint64_t), 0, -1, 0};
    uint32_t high_mask = shift == 32 ? 0 : ~(uint32_t)0 << shift;
    uint32_t target = shift == 32 ? 0 : (uint32_t)part << shift;
    Py_BEGIN_ALLOW_THREADS
    gather_slice(&to, (const uint32_t *)vv.buf, vv.len / (Py_ssize_t)sizeof(uint32_t),
                 (const int64_t *)cv.buf, (const int64_t *)ov.buf, high_mask, target,
                 ((uint64_t)1 << shift) - 1, owner_bits);
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(to.kept);
done:
    PyBuffer_Release(&vv);
    PyBuffer_Release(&cv);
    PyBuffer_Release(&ov);
    PyBuffer_Release(&outv);
    return result;
}

/* Pair codes of the runs of equal samples in sorted keys (see slice_pair_codes), into codes
 * unless it is NULL; *oversized and *largest as there. Returns how many codes. */
static Py_ssize_t run_pair_codes(const uint64_t *keys, Py_ssize_t n, int owner_bits,
                                 int64_t count, Py_ssize_t every_limit, Py_ssize_t max_bucket,
                                 int64_t *codes, Py_ssize_t *oversized, Py_ssize_t *largest) {
    const uint64_t owner_mask = ((uint64_t)1 << owner_bits) - 1;
    Py_ssize_t written = 0;
    *oversized = 0;
    *largest = n ? 1 : 0;
    for (Py_ssize_t start = 0, end; start < n; start = end) {
        uint64_t sample = keys[start] >> owner_bits;
        for (end = start + 1; end < n && keys[end] >> owner_bits == sample; end++) {
        }
        Py_ssize_t size = end - start;
        if (size < 2) continue;
        if (size > *largest) *largest = size;
        if (size > max_bucket) {
            ++*oversized;
            continue;
        }
        Py_ssize_t lefts = size <= every_limit ? size - 1 : 1; /* every pair, or a star */
        for (Py_ssize_t i = start; i < start + lefts; i++) {
            if (codes == NULL) {
                written += end - i - 1;
                continue;
            }
            int64_t base = (int64_t)(keys[i] & owner_mask) * count;
            for (Py_ssize_t j = i + 1; j < end; j++)
                codes[written++] = base + (int64_t)(keys[j] & owner_mask);
        }
    }
    return written;
}

/* slice_pair_codes(keys, owner_bits, count, every_limit, max_bucket) -> (codes, oversized,
 * largest): index._pair_codes and the run counts of index._count_slice over sorted slice keys
 * (uint64, owner in the low owner_bits bits, owners below count <= 2**31): for every run of
 * equal samples of up to every_limit keys, owner_i * count + owner_j for each pair of
 * positions i < j; for a longer run of up to max_bucket keys, its first position with each
 * other one; nothing for longer runs. codes is a bytearray of int64 (to sort in place), in no
 * particular order; oversized counts the runs over max_bucket, largest is the longest run (1
 * when every sample is alone, 0 for no keys). */
static PyObject *slice_pair_codes(PyObject *self, PyObject *args) {
    Py_buffer kv;
    int owner_bits;
    long long count;
    Py_ssize_t every_limit, max_bucket, oversized, largest;
    if (!PyArg_ParseTuple(args, "y*iLnn", &kv, &owner_bits, &count, &every_limit, &max_bucket))
        return NULL;
    PyObject *codes = NULL, *result = NULL;
    if (kv.len % (Py_ssize_t)sizeof(uint64_t) || owner_bits < 1 || owner_bits > 32 || count < 0 ||
        count > (1LL << 31)) {
        PyErr_SetString(PyExc_ValueError, "slice_pair_codes: bad keys, owner_bits or count");
        goto done;
    }
    const uint64_t *keys = (const uint64_t *)kv.buf;
    Py_ssize_t n = kv.len / (Py_ssize_t)sizeof(uint64_t), pairs;
    Py_BEGIN_ALLOW_THREADS
    pairs = run_pair_codes(keys, n, owner_bits, count, every_limit, max_bucket, NULL, &oversized,
                           &largest);
    Py_END_ALLOW_THREADS
    codes = PyByteArray_FromStringAndSize(NULL, pairs * (Py_ssize_t)sizeof(int64_t));
    if (codes == NULL) goto done;
    int64_t *out = (int64_t *)PyByteArray_AS_STRING(codes);
    Py_BEGIN_ALLOW_THREADS
    run_pair_codes(keys, n, owner_bits, count, every_limit, max_bucket, out, &oversized, &largest);
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("Onn", codes, oversized, largest);
done:
    Py_XDECREF(codes);
    PyBuffer_Release(&kv);
    return result;
}

/* A list's next value in merge_counts' heap. */
typedef struct {
    int64_t value;
    Py_ssize_t list;
} Head;

/* Restore the heap order (smallest value on top) below heads[at]. */
static void sift_down(Head *heads, Py_ssize_t n, Py_ssize_t at) {
    Head moving = heads[at];
    for (;;) {
        Py_ssize_t child = 2 * at + 1;
        if (child >= n) break;
        if (child + 1 < n && heads[child + 1].value < heads[child].value) child++;
        if (heads[child].value >= moving.value) break;
        heads[at] = heads[child];
        at = child;
    }
    heads[at] = moving;
}

/* The k-way merge of merge_counts: every value occurring at least min_shared times over the
 * lists into codes (ascending) and the times into shared; returns how many. */
static Py_ssize_t merge_lists(const int64_t *const *data, const Py_ssize_t *lengths,
                              Py_ssize_t lists, Py_ssize_t *positions, Head *heads,
                              int64_t min_shared, int64_t *codes, int64_t *shared) {
    Py_ssize_t n = 0, kept = 0;
    for (Py_ssize_t l = 0; l < lists; l++) {
        positions[l] = 0;
        if (lengths[l]) heads[n++] = (Head){data[l][0], l};
    }
    for (Py_ssize_t at = n / 2; at-- > 0;) sift_down(heads, n, at);
    while (n) {
        int64_t value = heads[0].value, times = 0;
        while (n && heads[0].value == value) { /* every list now at value: take its run */
            Py_ssize_t l = heads[0].list, p = positions[l];
            for (; p < lengths[l] && data[l][p] == value; p++) times++;
            positions[l] = p;
            if (p < lengths[l])
                heads[0].value = data[l][p];
            else
                heads[0] = heads[--n];
            sift_down(heads, n, 0);
        }
        if (times >= min_shared) {
            codes[kept] = value;
            shared[kept++] = times;
        }
    }
    return kept;
}

/* merge_counts(lists, min_shared) -> (codes, shared): the values that occur at least
 * min_shared times over several sorted int64 arrays (a sequence of buffers), ascending, and
 * how often each occurs (int64 each): index._sum_counts of the lists' _count_equal with the
 * rarer values left out, in one k-way merge (a heap of the lists' next values). */
static PyObject *merge_counts(PyObject *self, PyObject *args) {
    PyObject *items, *codes = NULL, *shared = NULL, *result = NULL;
    long long min_shared;
    if (!PyArg_ParseTuple(args, "OL", &items, &min_shared)) return NULL;
    PyObject *seq = PySequence_Fast(items, "merge_counts: lists must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t lists = PySequence_Fast_GET_SIZE(seq), got = 0, total = 0, kept = 0;
    Py_buffer *views = PyMem_Calloc((size_t)(lists ? lists : 1), sizeof(Py_buffer));
    const int64_t **data = PyMem_Calloc((size_t)(lists ? lists : 1), sizeof(int64_t *));
    Py_ssize_t *lengths = PyMem_Calloc((size_t)(lists ? lists : 1), sizeof(Py_ssize_t));
    Py_ssize_t *positions = PyMem_Calloc((size_t)(lists ? lists : 1), sizeof(Py_ssize_t));
    Head *heads = PyMem_Calloc((size_t)(lists ? lists : 1), sizeof(Head));
    if (views == NULL || data == NULL || lengths == NULL || positions == NULL || heads == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    total = get_8byte_buffers(seq, views, lists, &got, "merge_counts");
    if (total < 0) goto done;
    for (Py_ssize_t k = 0; k < lists; k++) {
        data[k] = (const int64_t *)views[k].buf;
        lengths[k] = views[k].len / (Py_ssize_t)sizeof(int64_t);
    }
    codes = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    shared = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    if (codes == NULL || shared == NULL) goto done;
    int64_t *code_out = (int64_t *)PyBytes_AS_STRING(codes);
    int64_t *shared_out = (int64_t *)PyBytes_AS_STRING(shared);
    Py_BEGIN_ALLOW_THREADS
    kept = merge_lists(data, lengths, lists, positions, heads, min_shared, code_out, shared_out);
    Py_END_ALLOW_THREADS
    if (_PyBytes_Resize(&codes, kept * (Py_ssize_t)sizeof(int64_t)) < 0 ||
        _PyBytes_Resize(&shared, kept * (Py_ssize_t)sizeof(int64_t)) < 0)
        goto done;
    result = PyTuple_Pack(2, codes, shared);
done:
    for (Py_ssize_t k = 0; k < got; k++) PyBuffer_Release(&views[k]);
    PyMem_Free(views);
    PyMem_Free(data);
    PyMem_Free(lengths);
    PyMem_Free(positions);
    PyMem_Free(heads);
    Py_DECREF(seq);
    Py_XDECREF(codes);
    Py_XDECREF(shared);
    return result;
}


static PyMethodDef methods[] = {
    {"hash_words", hash_words, METH_VARARGS,
     "hash_words(data) -> bytes: one uint64 hash per zero-separated word of data."},
    {"shingle", shingle, METH_VARARGS,
     "shingle(hashes, size) -> bytes: sorted unique uint64 hashes of size-word windows."},
    {"minhash_into", minhash_into, METH_VARARGS,
     "minhash_into(sets, a, b, out): minhash of every set into the rows of out."},
    {"overlap", overlap, METH_VARARGS,
     "overlap(a, b) -> int: number of values two sorted unique uint64 arrays share."},
    {"vocabulary_codes", vocabulary_codes, METH_VARARGS,
     "vocabulary_codes(hashes, table, mask, vocabulary, sorted, order) -> bytes of uint64."},
    {"word_spans", word_spans, METH_VARARGS,
     "word_spans(data, picked) -> bytes of int64 (start, end) pairs of the picked words."},
    {"varints", varints, METH_VARARGS,
     "varints(values) -> bytes: LEB128 of each uint64 value (records.encode_varints)."},
#ifndef _WIN32
    {"overlaps_at", overlaps_at, METH_VARARGS,
     "overlaps_at(fds, offsets, sizes, pairs, out): shared values of pairs of sets read from files."},
#endif
    {"hinted_lines", hinted_lines, METH_VARARGS,
     "hinted_lines(text, needles) -> list: numbers of the lines holding a needle (ASCII, any case)."},
    {"wire_hints", wire_hints, METH_VARARGS,
     "wire_hints(text, needles) -> None or (dateline, dash, lines): hinted_lines and wire marks in one pass."},
    {"packed_samples", packed_samples, METH_VARARGS,
     "packed_samples(sets, mask, min_shingles) -> (uint32 samples, int64 counts)."},
    {"has_double_hyphen", has_double_hyphen, METH_VARARGS,
     "has_double_hyphen(text) -> bool: whether text holds \"--\"."},
    {"find_any", find_any, METH_VARARGS,
     "find_any(haystack, needles, start) -> int: first position >= start of any needle, or -1."},
    {"sample_slice_sizes", sample_slice_sizes, METH_VARARGS,
     "sample_slice_sizes(values, counts, owners, shift) -> int64 samples per slice."},
    {"slice_keys", slice_keys, METH_VARARGS,
     "slice_keys(values, counts, owners, part, shift, owner_bits, out) -> int: a slice's sort keys."},
    {"slice_pair_codes", slice_pair_codes, METH_VARARGS,
     "slice_pair_codes(keys, owner_bits, count, every_limit, max_bucket) -> (codes, oversized, largest)."},
    {"merge_counts", merge_counts, METH_VARARGS,
     "merge_counts(lists, min_shared) -> (codes, shared): values of sorted lists counted over all."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "C versions of the scan's hashing, shingling and signing loops (see shingle.py, sign.py),\n"
    "of wire.py's footer hint and dateline search and of the index records' varints\n"
    "(store/records.py).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    init_folded();
    return PyModule_Create(&module);
}
