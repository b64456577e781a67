# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The compiled character and word counts of `lines`: the same numbers as its numpy code.

numpy counts a run of lines in a dozen passes over arrays of its characters (code points,
their bits, word starts, hashes, then sorts); this reads each line's characters once from the
str's buffer, with the same character bits (`lines._CHARACTER_BITS`, filled by `lines` for a
code point first met here), the same word hashes and the same look-ups in sorted hashes. The
term counts (`entries`) and repeats (`duplicated`) of those words and of the structure tokens
are made without numpy's sorts of all of them.
"""

import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, qsort, realloc

from . import lines

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)
    Py_ssize_t PyUnicode_GET_LENGTH(object text)
    int PyUnicode_READY(object text) except -1
    uint32_t PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil


cdef int WORD_CHAR = lines._WORD_CHAR, SPACE = lines._SPACE, DIGIT = lines._DIGIT, UPPER = lines._UPPER
cdef int IS_UPPER = lines._IS_UPPER, SENTENCE_END = lines._SENTENCE_END, BULLET = lines._BULLET
cdef int UNSPACED_WORD = lines._UNSPACED_WORD, NOT_SEEN = lines._NOT_SEEN
cdef uint64_t HASH_BASE = <uint64_t>int(lines._HASH_BASE)
cdef uint16_t[::1] BITS = lines._CHARACTER_BITS
# The columns of `character_flags`, in order.
FLAG_COUNTS = ("pipes", "punct", "digits", "upper", "ends_sentence", "starts_upper", "bullet")


cdef inline int bits_of(uint32_t code) except -1:
    """`lines._bits_of` of one code point."""
    cdef int bits = BITS[code]
    if bits == NOT_SEEN:
        bits = lines._bits_of_code(code)
    return bits


cdef inline str line_text(list texts, Py_ssize_t row):
    """texts[row], checked: the buffer of anything but a str is not a str's (numpy's code raises
    TypeError there too)."""
    if row >= len(texts):  # read without bounds checks; another thread may have shortened it
        raise IndexError(f"line {row} of {len(texts)}")
    text = texts[row]
    if not isinstance(text, str):
        raise TypeError(f"line {row} is a {type(text).__name__}, not a str")
    PyUnicode_READY(text)  # a str made by the legacy C API may not have its buffer yet
    return text


cdef inline bint starts_word(int bits, int before) noexcept nogil:
    """Whether a character of `bits` after one of `before` starts a word (`lines._word_starts`
    with split_unspaced): a run of word characters starts one, and so does a character of a
    script written without spaces, and the one after it."""
    return (bits & WORD_CHAR) and (not (before & WORD_CHAR) or (bits & UNSPACED_WORD) or (before & UNSPACED_WORD))


cdef inline Py_ssize_t lower_bound(const uint64_t[::1] known, uint64_t value) noexcept nogil:
    """Where `value` goes in the sorted `known`, as numpy's searchsorted (side "left") puts it."""
    cdef Py_ssize_t low = 0, high = known.shape[0], middle
    while low < high:
        middle = (low + high) >> 1
        if known[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


cdef struct Int64s:
    int64_t *values
    Py_ssize_t size
    Py_ssize_t capacity


cdef int push(Int64s *array, int64_t value) except -1:
    cdef int64_t *grown
    cdef Py_ssize_t capacity
    if array.size == array.capacity:
        capacity = max(2 * array.capacity, 64)
        grown = <int64_t *>realloc(array.values, capacity * sizeof(int64_t))
        if grown == NULL:
            raise MemoryError()
        array.values, array.capacity = grown, capacity
    array.values[array.size] = value
    array.size += 1
    return 0


cdef int compare_int64(const void *a, const void *b) noexcept nogil:
    cdef int64_t x = (<const int64_t *>a)[0], y = (<const int64_t *>b)[0]
    return (x > y) - (x < y)


def character_flags(list texts):
    """For each line, as `lines._chunk_counts` counts them: its pipes, punctuation, digits and
    upper-case letters, and whether it ends like a sentence, starts upper-case, starts like a
    bullet; an int32 array of a column each (FLAG_COUNTS)."""
    cdef Py_ssize_t n = len(texts), row, i, length
    cdef int kind, bits, first, second
    cdef void *data
    cdef uint32_t code
    counts = np.zeros((n, len(FLAG_COUNTS)), np.int32)
    cdef int32_t[:, ::1] out = counts
    for row in range(n):
        text = line_text(texts, row)
        kind, data, length = PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)
        first = second = bits = 0
        for i in range(length):
            code = PyUnicode_READ(kind, data, i)
            bits = bits_of(code)
            out[row, 0] += code == 124  # "|", which menus and breadcrumbs split by
            out[row, 1] += (bits & (WORD_CHAR | SPACE)) == 0
            out[row, 2] += (bits & DIGIT) != 0
            out[row, 3] += (bits & UPPER) != 0
            if i == 0:
                first = bits
            elif i == 1:
                second = bits
        if length:
            out[row, 4] = (bits & SENTENCE_END) != 0
            out[row, 5] = (first & IS_UPPER) != 0
            out[row, 6] = length > 1 and (first & BULLET) != 0 and (second & SPACE) != 0
    return counts


def lowered_words(str lowered not None):
    """The words of lowercased lines joined with a "\\n" after each (`lines.lowered_words`):
    each word's line (the "\\n"s before it), `word_hashes` and length, as three arrays."""
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(lowered), i, start = -1
    cdef int kind = PyUnicode_KIND(lowered), bits = 0, before = 0
    cdef void *data = PyUnicode_DATA(lowered)
    cdef uint32_t code
    cdef int64_t line = 0
    cdef uint64_t hash = 0, power = 1
    cdef Int64s words = Int64s(NULL, 0, 0)  # line, hash and length of each word in turn
    try:
        for i in range(length + 1):
            code = PyUnicode_READ(kind, data, i) if i < length else 0
            bits = bits_of(code) if i < length else 0
            if start >= 0 and (not (bits & WORD_CHAR) or starts_word(bits, before)):
                push(&words, line)
                push(&words, <int64_t>hash)
                push(&words, i - start)
                start = -1
            if starts_word(bits, before):
                start, hash, power = i, 0, 1
            if start >= 0:
                hash += (<uint64_t>code + 1) * power
                power *= HASH_BASE
            line += code == 10
            before = bits
        table = _array(&words).reshape(-1, 3)
    finally:
        free(words.values)
    return table[:, 0].astype(np.int32), table[:, 1].view(np.uint64), table[:, 2]


def word_counts(list texts):
    """How many words `lines.COUNTED_WORD` finds in each line (`lines.word_counts`), as float64."""
    cdef Py_ssize_t n = len(texts), row, i, length
    cdef int kind, bits, before
    cdef void *data
    counts = np.zeros(n)
    cdef double[::1] out = counts
    for row in range(n):
        text = line_text(texts, row)
        kind, data, length = PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)
        before = 0
        for i in range(length):
            bits = bits_of(PyUnicode_READ(kind, data, i))
            out[row] += starts_word(bits, before)
            before = bits
    return counts


def word_entries(list texts, const uint64_t[::1] known, const int64_t[::1] columns, int64_t n_columns):
    """`lines.word_count_entries`: the counts of each lowercased line's runs of word characters
    (`\\w+`) that are in a vocabulary (its words' sorted hashes, and the column of each), as a
    CSR matrix's (indptr, columns, counts), a row's columns in order."""
    cdef Py_ssize_t n = len(texts), row, i, length, at, first
    cdef int kind, bits
    cdef void *data
    cdef uint32_t code
    cdef bint in_word
    cdef uint64_t hash = 0, power = 1
    cdef Int64s found = Int64s(NULL, 0, 0), indices = Int64s(NULL, 0, 0), counts = Int64s(NULL, 0, 0)
    if columns.shape[0] != known.shape[0]:
        raise ValueError(f"{known.shape[0]} words' hashes but {columns.shape[0]} columns")
    indptr = np.zeros(n + 1, np.int64)
    cdef int64_t[::1] rows = indptr
    try:
        for row in range(n):
            text = line_text(texts, row).lower()
            kind, data, length = PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)
            found.size = 0
            in_word = False
            for i in range(length + 1):
                bits = 0
                if i < length:
                    code = PyUnicode_READ(kind, data, i)
                    bits = bits_of(code)
                if bits & WORD_CHAR:
                    if not in_word:
                        in_word, hash, power = True, 0, 1
                    hash += (<uint64_t>code + 1) * power
                    power *= HASH_BASE
                elif in_word:
                    in_word = False
                    at = lower_bound(known, hash)
                    if at < known.shape[0] and known[at] == hash:
                        push(&found, columns[at])
            if found.size:
                qsort(found.values, found.size, sizeof(int64_t), compare_int64)
                first = 0
                for i in range(1, found.size + 1):
                    if i == found.size or found.values[i] != found.values[first]:
                        push(&indices, found.values[first])
                        push(&counts, i - first)
                        first = i
            rows[row + 1] = indices.size
        return indptr, _array(&indices), _array(&counts)
    finally:
        free(found.values)
        free(indices.values)
        free(counts.values)


cdef object _array(Int64s *array):
    """A numpy copy of `array`."""
    if not array.size:
        return np.zeros(0, np.int64)
    return np.array(<int64_t[:array.size]>array.values)


def entries(const int64_t[::1] rows, const int64_t[::1] columns, int64_t n_rows, int64_t n_columns):
    """`lines.count_entries`: the counts of the (row, column) pairs as a CSR matrix's (indptr,
    columns, counts), a row's columns in order; the pairs bucketed by row, then each row's
    columns sorted, rather than all the pairs sorted."""
    cdef Py_ssize_t n = rows.shape[0], i, row, first, size = 0
    if columns.shape[0] != n:
        raise ValueError(f"{n} rows but {columns.shape[0]} columns")
    for i in range(n):
        if not (0 <= rows[i] < n_rows and 0 <= columns[i] < n_columns):
            raise ValueError(f"pair {i}: ({rows[i]}, {columns[i]}) is outside {n_rows} rows of {n_columns} columns")
    starts = np.zeros(n_rows + 1, np.int64)
    cdef int64_t[::1] start = starts
    for i in range(n):
        start[rows[i] + 1] += 1
    for row in range(n_rows):
        start[row + 1] += start[row]
    bucketed = np.empty(n, np.int64)
    cdef int64_t[::1] by_row = bucketed, filled = starts[:-1].copy()
    for i in range(n):
        by_row[filled[rows[i]]] = columns[i]
        filled[rows[i]] += 1
    indptr, indices, counts = np.zeros(n_rows + 1, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    cdef int64_t[::1] pointers = indptr, out_columns = indices, out_counts = counts
    for row in range(n_rows):
        if start[row + 1] > start[row]:
            qsort(&by_row[start[row]], start[row + 1] - start[row], sizeof(int64_t), compare_int64)
        first = start[row]
        for i in range(start[row] + 1, start[row + 1] + 1):
            if i == start[row + 1] or by_row[i] != by_row[first]:
                out_columns[size], out_counts[size] = by_row[first], i - first
                size += 1
                first = i
        pointers[row + 1] = size
    return indptr, indices[:size].copy(), counts[:size].copy()


cdef inline uint64_t mixed(uint64_t value) noexcept nogil:
    """splitmix64's finalizer: every bit of `value` moves the low bits that pick a slot (keys
    apart only in their high bits would otherwise share one, and the set turn quadratic)."""
    value = (value ^ (value >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    value = (value ^ (value >> 27)) * <uint64_t>0x94D049BB133111EB
    return value ^ (value >> 31)


def duplicated(const uint64_t[::1] values):
    """`lines.duplicated`: whether each value is one seen at an earlier row, by a hash set
    (open addressing) rather than a sort."""
    cdef Py_ssize_t n = values.shape[0], i, slot
    cdef Py_ssize_t slots = 16
    while slots < 2 * n:
        slots *= 2
    table = np.zeros(slots, np.uint64)
    used = np.zeros(slots, np.uint8)
    seen = np.zeros(n, bool)
    cdef uint64_t[::1] keys = table
    cdef uint8_t[::1] taken = used
    cdef uint8_t[::1] out = seen.view(np.uint8)
    cdef uint64_t value
    for i in range(n):
        value = values[i]
        slot = <Py_ssize_t>(mixed(value) & <uint64_t>(slots - 1))
        while taken[slot] and keys[slot] != value:
            slot = (slot + 1) & (slots - 1)
        if taken[slot]:
            out[i] = 1
        else:
            taken[slot], keys[slot] = 1, value
    return seen
