# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The compiled pre-parse checks: `segment._check_elements`, with the same decisions and PageErrors.

One pass over the page's characters, read in place from the str's buffer, counts its "<" and
"</", its formatting start tags and the depth of its scope-checking elements, matching their
names as `segment`'s IGNORECASE regexes do (`_letter`). The tag-by-tag formatting list and the
end-tag walk run, as in Python, only on a page those counts cannot rule out; a tag name there
with a character outside ASCII (which `str.lower` may tell apart where IGNORECASE does not, or
make another name) hands that part to `segment`'s Python code.
"""

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc

from . import segment, settings


cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)
    bint Py_UNICODE_ISSPACE(uint32_t character) nogil
    enum:
        PyUnicode_1BYTE_KIND
        PyUnicode_2BYTE_KIND


ctypedef fused char_t:
    uint8_t
    uint16_t
    uint32_t

# Counts stay far from int64's end: a limit above this is as good as none (the counts of a page
# of under 2**31 characters stay below it), and a longer page is left to the Python checks.
DEF LARGEST_LIMIT = 1 << 62
DEF LONGEST_PAGE = 1 << 31
DEF LONGEST_NAME = 10  # blockquote, figcaption: the longest name the checks look for
DEF NAME_SLOTS = 128

# What a name of `_NAMES` is: a scope-checking element (`segment._SCOPE_CHECKING_NAMES`), a
# formatting element (`segment._FORMATTING_NAMES`), and of those one the list keeps once.
cdef enum:
    SCOPE = 1
    FORMATTING = 2
    SINGLE = 4

# The names looked for, packed 5 bits a letter (`_tag_name`), in an open-addressed table.
cdef uint64_t _KEYS[NAME_SLOTS]
cdef int _ENTRIES[NAME_SLOTS]
cdef int _FLAGS[64]
cdef int _FORMATTING_INDEX[64]  # the name's place in segment._FORMATTING_NAMES
cdef int _FORMATTING_COUNT = len(segment._FORMATTING_NAMES)
cdef int64_t _SAME_KEPT = segment._SAME_FORMATTING_KEPT


cdef struct _Tags:
    int64_t tags  # "<"
    int64_t end_tags  # "</"
    int64_t formatting  # formatting start tags other than <a> and <nobr>
    int64_t single[2]  # <a> and <nobr> start tags
    int64_t depth  # how deep the scope-checking elements nest (`segment._nesting`)


def check_elements(str html):
    """`segment._check_elements(html)`: the same PageError where it gives one, else None."""
    if len(html) >= LONGEST_PAGE:
        return segment._python_check_elements(html)
    cdef _Tags tags = _counted(html)
    elements = tags.tags - tags.end_tags
    if elements > (most := settings.limit("MAX_PAGE_ELEMENTS")):
        raise segment._too_many_elements(elements, most)
    if elements > (deepest := settings.limit("MAX_PAGE_NESTING")) and tags.depth > deepest:
        raise segment._too_deep(tags.depth, deepest)
    _check_formatting(html, elements, &tags, most)
    _check_end_tag_walks(html, tags.end_tags, elements)


def counts(str html):
    """What the one pass counts, for tests: ("<", "</", the formatting elements
    `segment._check_formatting` may see open at once, `segment._nesting(html)`)."""
    cdef _Tags tags = _counted(html)
    return tags.tags, tags.end_tags, _open_at_most(&tags), tags.depth


cdef inline int64_t _open_at_most(_Tags *tags) noexcept:
    """segment._check_formatting's `open_at_most`: each start tag, <a> and <nobr> once."""
    return tags.formatting + (tags.single[0] > 0) + (tags.single[1] > 0)


cdef _check_formatting(str html, int64_t elements, _Tags *tags, object most):
    """`segment._check_formatting`: the tag-by-tag count only where the page's formatting start
    tags could reach the limit, and in Python where a formatting tag's name is not ASCII."""
    if elements + _open_at_most(tags) * tags.tags <= most:
        return
    cdef int64_t limit = min(most, LARGEST_LIMIT)
    cdef int64_t starts = tags.formatting + tags.single[0] + tags.single[1]
    cdef int kind = PyUnicode_KIND(html)
    cdef void *data = PyUnicode_DATA(html)
    cdef Py_ssize_t n = len(html)
    if kind == PyUnicode_1BYTE_KIND:
        copies = _formatting_copies(<const uint8_t *> data, n, elements, tags.tags, starts, limit)
    elif kind == PyUnicode_2BYTE_KIND:
        copies = _formatting_copies(<const uint16_t *> data, n, elements, tags.tags, starts, limit)
    else:
        copies = _formatting_copies(<const uint32_t *> data, n, elements, tags.tags, starts, limit)
    if copies < 0:
        segment._check_formatting(html, elements, tags.tags, most)
    elif elements + copies > most:
        raise segment._too_many_copies(elements + copies, most)


cdef _check_end_tag_walks(str html, int64_t end_tags, int64_t elements):
    """`segment._check_end_tag_walks`, walking in Python where a tag's name is not ASCII."""
    most = settings.limit("MAX_PAGE_END_TAG_WALK")
    if end_tags * elements <= most:
        return
    cdef int kind = PyUnicode_KIND(html)
    cdef void *data = PyUnicode_DATA(html)
    cdef Py_ssize_t n = len(html)
    cdef int64_t limit = min(most, LARGEST_LIMIT)
    if kind == PyUnicode_1BYTE_KIND:
        steps = _end_tag_walk(<const uint8_t *> data, n, end_tags + elements, limit)
    elif kind == PyUnicode_2BYTE_KIND:
        steps = _end_tag_walk(<const uint16_t *> data, n, end_tags + elements, limit)
    else:
        steps = _end_tag_walk(<const uint32_t *> data, n, end_tags + elements, limit)
    if steps < 0:
        steps = segment._end_tag_walk(html, most)
    if steps > most:
        raise segment._too_long_walk(steps, most)


cdef _Tags _counted(str html):
    """The page's counts (`_Tags`), in one pass over its characters."""
    cdef _Tags tags
    tags.tags = tags.end_tags = tags.formatting = tags.depth = 0
    tags.single[0] = tags.single[1] = 0
    cdef int kind = PyUnicode_KIND(html)
    cdef void *data = PyUnicode_DATA(html)
    cdef Py_ssize_t n = len(html)
    with nogil:
        if kind == PyUnicode_1BYTE_KIND:
            _count(<const uint8_t *> data, n, &tags)
        elif kind == PyUnicode_2BYTE_KIND:
            _count(<const uint16_t *> data, n, &tags)
        else:
            _count(<const uint32_t *> data, n, &tags)
    return tags


cdef void _count(const char_t *data, Py_ssize_t n, _Tags *tags) noexcept nogil:
    cdef Py_ssize_t i, name_end
    cdef int entry, flags
    cdef bint closing
    cdef int64_t depth = 0
    for i in range(n):
        if data[i] != 60:  # "<"
            continue
        tags.tags += 1
        closing = i + 1 < n and data[i + 1] == 47  # "/"
        tags.end_tags += closing
        entry = _tag_name(data, i + 1 + closing, n, &name_end)
        if entry < 0:
            continue
        flags = _FLAGS[entry]
        if flags & SCOPE:
            # An end tag with nothing open closes nothing: the depth never falls below 0.
            depth = (depth - 1 if depth > 0 else 0) if closing else depth + 1
            if depth > tags.depth:
                tags.depth = depth
        elif not closing and flags & SINGLE:
            tags.single[_FORMATTING_INDEX[entry] != 0] += 1  # segment._FORMATTING_NAMES: "a" first
        elif not closing:
            tags.formatting += 1


cdef inline int _letter(uint32_t character) noexcept nogil:
    """The ASCII letter (1 for a ... 26 for z) that `character` matches in an IGNORECASE regex,
    0 for none: besides both cases, long s (U+017F) matches s, the Kelvin sign (U+212A) k, and
    dotted and dotless I (U+0130, U+0131) i."""
    if character < 128:
        character |= 0x20
        return character - 96 if 97 <= character <= 122 else 0
    if character == 0x17F:
        return 19
    if character == 0x212A:
        return 11
    if character == 0x130 or character == 0x131:
        return 9
    return 0


cdef inline int _tag_name(const char_t *data, Py_ssize_t at, Py_ssize_t n, Py_ssize_t *end) noexcept nogil:
    """The entry of the name of `_NAMES` written from `at` to `end`, as `segment`'s regexes
    match it (its letters in any case, then whitespace, "/" or ">"), or -1."""
    cdef uint64_t packed = 0
    cdef int letter, length = 0
    cdef uint32_t after
    while at < n:
        letter = _letter(data[at])
        if letter == 0:
            break
        if length == LONGEST_NAME:
            return -1
        packed = packed << 5 | letter
        length += 1
        at += 1
    if length == 0 or at == n:
        return -1
    after = data[at]
    if not (after == 47 or after == 62 or Py_UNICODE_ISSPACE(after)):
        return -1
    end[0] = at
    return _entry(packed)


cdef inline int _entry(uint64_t packed) noexcept nogil:
    cdef unsigned int slot = (packed * 0x9E3779B97F4A7C15ULL) >> 57
    while _KEYS[slot] != 0:
        if _KEYS[slot] == packed:
            return _ENTRIES[slot]
        slot = (slot + 1) % NAME_SLOTS
    return -1


cdef uint64_t _packed(str name):
    cdef uint64_t packed = 0
    for letter in name:
        packed = packed << 5 | (ord(letter) - 96)
    return packed


cdef void _add_names():
    """Fills `_KEYS`, `_ENTRIES`, `_FLAGS` and `_FORMATTING_INDEX` from segment's names."""
    cdef unsigned int slot
    cdef int entry
    names = list(dict.fromkeys([*segment._SCOPE_CHECKING_NAMES, *segment._FORMATTING_NAMES]))
    assert len(names) <= 64 and all(len(name) <= LONGEST_NAME and name.isascii() and name.islower() for name in names)
    assert segment._FORMATTING_NAMES[0] == "a" and segment._SINGLE_FORMATTING == {"a", "nobr"}
    for entry, name in enumerate(names):
        slot = (_packed(name) * 0x9E3779B97F4A7C15ULL) >> 57
        while _KEYS[slot] != 0:
            slot = (slot + 1) % NAME_SLOTS
        _KEYS[slot] = _packed(name)
        _ENTRIES[slot] = entry
        _FLAGS[entry] = (
            SCOPE * (name in segment._SCOPE_CHECKING_NAMES)
            | FORMATTING * (name in segment._FORMATTING_NAMES)
            | SINGLE * (name in segment._SINGLE_FORMATTING)
        )
        _FORMATTING_INDEX[entry] = segment._FORMATTING_NAMES.index(name) if name in segment._FORMATTING_NAMES else -1


_add_names()


cdef inline bint _ascii(const char_t *data, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    while start < end:
        if data[start] >= 128:
            return False
        start += 1
    return True


cdef inline uint64_t _hash(const char_t *data, Py_ssize_t start, Py_ssize_t end, uint64_t seed) noexcept nogil:
    """FNV-1a of the characters, ASCII letters lowercased."""
    cdef uint64_t hashed = 0xCBF29CE484222325ULL ^ seed
    cdef uint32_t character
    while start < end:
        character = data[start]
        if 65 <= character <= 90:
            character |= 0x20
        hashed = (hashed ^ character) * 0x100000001B3ULL
        start += 1
    return hashed


cdef inline bint _same(const char_t *data, Py_ssize_t one, Py_ssize_t other, Py_ssize_t length, bint lowered) noexcept nogil:
    """Whether the characters from `one` and from `other` are the same (in ASCII lowercase where `lowered`)."""
    cdef uint32_t a, b
    cdef Py_ssize_t k
    for k in range(length):
        a = data[one + k]
        b = data[other + k]
        if lowered:
            if 65 <= a <= 90:
                a |= 0x20
            if 65 <= b <= 90:
                b |= 0x20
        if a != b:
            return False
    return True


cdef struct _Keys:
    # Distinct runs of the page's characters (start tags, or tag names), each a number from 0:
    # an open-addressed table of their numbers, and each one's start, length and hash.
    int64_t *slots  # number + 1, 0 for an empty slot
    int64_t capacity  # a power of two, over twice the runs there can be
    int64_t count
    Py_ssize_t *starts
    Py_ssize_t *lengths
    uint64_t *hashes
    int *groups  # runs of different groups are different (the formatting element a start tag is of)


cdef int _new_keys(_Keys *keys, int64_t runs) noexcept:
    """A table for up to `runs` runs; -1 where memory runs out (nothing left to free)."""
    keys.capacity = 16
    while keys.capacity < 2 * runs + 2:
        keys.capacity *= 2
    keys.count = 0
    keys.slots = <int64_t *> calloc(keys.capacity, sizeof(int64_t))
    keys.starts = <Py_ssize_t *> malloc((runs + 1) * sizeof(Py_ssize_t))
    keys.lengths = <Py_ssize_t *> malloc((runs + 1) * sizeof(Py_ssize_t))
    keys.hashes = <uint64_t *> malloc((runs + 1) * sizeof(uint64_t))
    keys.groups = <int *> malloc((runs + 1) * sizeof(int))
    if not (keys.slots and keys.starts and keys.lengths and keys.hashes and keys.groups):
        _free_keys(keys)
        return -1
    return 0


cdef void _free_keys(_Keys *keys) noexcept:
    free(keys.slots)
    free(keys.starts)
    free(keys.lengths)
    free(keys.hashes)
    free(keys.groups)


cdef inline int64_t _key(_Keys *keys, const char_t *data, Py_ssize_t start, Py_ssize_t end, int group, bint lowered) noexcept nogil:
    """The number of the run data[start:end] of `group` (compared in ASCII lowercase where
    `lowered`), a new one for a run not seen before."""
    cdef uint64_t hashed = _hash(data, start, end, group) if lowered else _hash_exact(data, start, end, group)
    cdef int64_t slot = hashed & (keys.capacity - 1)
    cdef int64_t number
    while keys.slots[slot] != 0:
        number = keys.slots[slot] - 1
        if (
            keys.hashes[number] == hashed
            and keys.groups[number] == group
            and keys.lengths[number] == end - start
            and _same(data, keys.starts[number], start, end - start, lowered)
        ):
            return number
        slot = (slot + 1) & (keys.capacity - 1)
    number = keys.count
    keys.count += 1
    keys.slots[slot] = number + 1
    keys.starts[number] = start
    keys.lengths[number] = end - start
    keys.hashes[number] = hashed
    keys.groups[number] = group
    return number


cdef inline uint64_t _hash_exact(const char_t *data, Py_ssize_t start, Py_ssize_t end, uint64_t seed) noexcept nogil:
    """FNV-1a of the characters as they are."""
    cdef uint64_t hashed = 0xCBF29CE484222325ULL ^ seed
    while start < end:
        hashed = (hashed ^ data[start]) * 0x100000001B3ULL
        start += 1
    return hashed


cdef int64_t _formatting_copies(
    const char_t *data, Py_ssize_t n, int64_t elements, int64_t tags, int64_t starts, int64_t most
) except -2:
    """`copies` of `segment._check_formatting`, tag by tag as it counts them (over `most` less
    `elements`, counted on to the end as it does), or -1 where a formatting tag's name is not
    ASCII (`str.lower` tells those apart where IGNORECASE does not). `starts` bounds the
    page's formatting start tags."""
    cdef _Keys keys
    cdef int64_t *listed = <int64_t *> calloc(starts + _FORMATTING_COUNT + 1, sizeof(int64_t))
    cdef int64_t *opened_tag = <int64_t *> malloc((starts + 1) * sizeof(int64_t))
    cdef int64_t *opened_below = <int64_t *> malloc((starts + 1) * sizeof(int64_t))
    cdef int64_t opened_top[64]
    cdef int64_t copies = 0, on_list = 0, before = 0, counted = 0, opened = 0, start_tag, top
    cdef Py_ssize_t i = 0, name_end, end, first, last
    cdef int entry, index
    cdef bint closing
    if not (listed and opened_tag and opened_below) or _new_keys(&keys, starts) < 0:
        free(listed)
        free(opened_tag)
        free(opened_below)
        raise MemoryError()
    for index in range(_FORMATTING_COUNT):
        opened_top[index] = -1
    try:
        while i < n:
            if data[i] != 60:  # "<"
                i += 1
                continue
            closing = i + 1 < n and data[i + 1] == 47
            entry = _tag_name(data, i + 1 + closing, n, &name_end)
            if entry < 0 or not _FLAGS[entry] & FORMATTING:
                before += 1
                i += 1
                continue
            # Each tag or text before it, and a start tag itself, may get a copy of each on the list.
            copies += on_list * (before - counted + (not closing))
            end = name_end  # the match runs on to the next ">"
            before += 1
            while end < n and data[end] != 62:
                before += data[end] == 60
                end += 1
            counted = before
            if elements + copies > most:
                break
            if not _ascii(data, i + 1 + closing, name_end):
                return -1
            index = _FORMATTING_INDEX[entry]
            i = end
            if closing:
                top = opened_top[index]
                if top >= 0:
                    start_tag = opened_tag[top]
                    opened_top[index] = opened_below[top]
                    if listed[start_tag] > 0:
                        on_list -= 1
                        listed[start_tag] -= 1
                continue
            if _FLAGS[entry] & SINGLE:
                start_tag = index
            else:
                first, last = name_end, end
                while first < last and Py_UNICODE_ISSPACE(data[first]):
                    first += 1
                while last > first and Py_UNICODE_ISSPACE(data[last - 1]):
                    last -= 1
                start_tag = _FORMATTING_COUNT + _key(&keys, data, first, last, index, False)
            opened_tag[opened] = start_tag
            opened_below[opened] = opened_top[index]
            opened_top[index] = opened
            opened += 1
            if listed[start_tag] < (1 if _FLAGS[entry] & SINGLE else _SAME_KEPT):
                listed[start_tag] += 1
                on_list += 1
        return copies + on_list * (tags - counted)
    finally:
        _free_keys(&keys)
        free(listed)
        free(opened_tag)
        free(opened_below)


# What a tag name does on the parser's stack (`segment._end_tag_walk`).
cdef enum:
    VOID = 1
    SPECIAL = 2
    FOREIGN = 4


cdef int _name_flags(const char_t *data, Py_ssize_t start, Py_ssize_t end) except -1:
    name = "".join([chr(data[k]) for k in range(start, end)]).lower()
    return VOID * (name in segment._VOID) | SPECIAL * (name in segment._SPECIAL) | FOREIGN * (name in segment._FOREIGN)


cdef int64_t _end_tag_walk(const char_t *data, Py_ssize_t n, int64_t tags, int64_t most) except -2:
    """`segment._end_tag_walk`, over a page of `tags` "<", or -1 where a tag's name is not ASCII
    (`str.lower` may make it another name). The stack holds each open element's name, the place
    of the one below of the same name, and that of the topmost special element below."""
    cdef _Keys names
    cdef int *flags = <int *> malloc((tags + 1) * sizeof(int))
    cdef int64_t *top_of = <int64_t *> malloc((tags + 1) * sizeof(int64_t))
    cdef int64_t *stack = <int64_t *> malloc((tags + 1) * sizeof(int64_t))
    cdef int64_t *below_same = <int64_t *> malloc((tags + 1) * sizeof(int64_t))
    cdef int64_t *special_below = <int64_t *> malloc((tags + 1) * sizeof(int64_t))
    cdef int64_t height = 0, special = -1, foreign = 0, steps = 0, name, at, known, closed
    cdef Py_ssize_t i = 0, start, end, gt
    cdef bint closing
    if not (flags and top_of and stack and below_same and special_below) or _new_keys(&names, tags) < 0:
        free(flags)
        free(top_of)
        free(stack)
        free(below_same)
        free(special_below)
        raise MemoryError()
    try:
        while i < n:
            if data[i] != 60:  # "<"
                i += 1
                continue
            closing = i + 2 < n and data[i + 1] == 47 and _ascii_letter(data[i + 2])
            start = i + 1 + closing
            if start >= n or not _ascii_letter(data[start]):
                i += 1
                continue
            end = _name_end(data, start + 1, n)
            gt = end
            while gt < n and data[gt] != 62:
                gt += 1
            if gt == n:
                break  # no ">" after: no tag from here on
            if not _ascii(data, start, end):
                return -1
            known = names.count
            name = _key(&names, data, start, end, 0, True)
            if name == known:
                flags[name] = _name_flags(data, start, end)
                top_of[name] = -1
            i = gt + 1
            if not closing:
                if not flags[name] & VOID and not (foreign and data[gt - 1] == 47):
                    foreign += (flags[name] & FOREIGN) != 0
                    stack[height] = name
                    below_same[height] = top_of[name]
                    top_of[name] = height
                    special_below[height] = special
                    if flags[name] & SPECIAL:
                        special = height
                    height += 1
                continue
            at = top_of[name]
            if at < 0 or at < special:  # none open, or below the nearest special element
                steps += height - 1 - special
            else:
                steps += height - 1 - at
                while height > at:
                    height -= 1
                    closed = stack[height]
                    top_of[closed] = below_same[height]
                    special = special_below[height]
                    foreign -= (flags[closed] & FOREIGN) != 0
            if steps > most:
                break
        return steps
    finally:
        _free_keys(&names)
        free(flags)
        free(top_of)
        free(stack)
        free(below_same)
        free(special_below)


cdef inline Py_ssize_t _name_end(const char_t *data, Py_ssize_t at, Py_ssize_t n) noexcept nogil:
    """Where a tag name from before `at` ends: at whitespace, "/", ">" or the page's end."""
    cdef uint32_t character
    while at < n:
        character = data[at]
        if character == 47 or character == 62 or Py_UNICODE_ISSPACE(character):
            break
        at += 1
    return at


cdef inline bint _ascii_letter(uint32_t character) noexcept nogil:
    return 65 <= (character & ~0x20) <= 90
