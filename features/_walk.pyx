# cython: language_level=3, boundscheck=False, initializedcheck=False
"""The compiled walk: `segment._walk` over lexbor's own tree, giving the same rows.

It parses the page with lexbor (compiled into this module from the sources selectolax's pinned
sdist ships) exactly as selectolax's `LexborHTMLParser(html)` does, and reads every name, text
and attribute as selectolax's `node.tag`, `text_content`, `attributes` and `text()` would, so
that the lines are the same; only the per-node work moves from Python objects to C pointers.
The open elements are a C array by depth, their attributes read in place, and whitespace before
a line's first text is left undecoded. A line's row and names are made as `segment`'s
`_line_rows` and `_LineNames` make them (a `<pre>`'s rows by `_line_rows` itself), and moved
into columns by `segment._move_rows`.
"""

import re
import sys

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcmp

from selectolax.lexbor import SelectolaxError

from . import settings, segment
from .segment import _BOX1 as BOX1, _HIDDEN_STYLE, _LINK_CHARS as LINK_CHARS, _TEXT as TEXT, PRUNED_NAMES, ROW_FIELDS


cdef extern from "lexbor/dom/dom.h" nogil:
    pass


cdef extern from "lexbor/html/html.h" nogil:
    ctypedef unsigned char lxb_char_t
    ctypedef unsigned int lxb_status_t
    ctypedef struct lexbor_str_t:
        lxb_char_t *data
        size_t length

    cdef struct lxb_dom_node:
        uintptr_t local_name
        lxb_dom_node *next
        lxb_dom_node *parent
        lxb_dom_node *first_child
        int type
    ctypedef lxb_dom_node lxb_dom_node_t

    cdef struct lxb_dom_attr:
        lxb_dom_attr *next
    ctypedef lxb_dom_attr lxb_dom_attr_t

    cdef struct lxb_dom_element:
        uintptr_t qualified_name
        lxb_dom_attr_t *first_attr
    ctypedef lxb_dom_element lxb_dom_element_t

    cdef struct lxb_dom_character_data:
        lexbor_str_t data
    ctypedef lxb_dom_character_data lxb_dom_character_data_t

    ctypedef struct lxb_html_document_t
    ctypedef struct lxb_dom_document_t

    enum:
        LXB_STATUS_OK
        LXB_DOM_NODE_TYPE_ELEMENT
        LXB_DOM_NODE_TYPE_TEXT
        LXB_TAG__TEXT
        LXB_TAG__DOCUMENT
        LXB_TAG__EM_COMMENT
        LXB_TAG__EM_DOCTYPE

    lxb_html_document_t *lxb_html_document_create()
    lxb_html_document_t *lxb_html_document_destroy(lxb_html_document_t *document)
    void lxb_html_document_dom_opt_set(lxb_html_document_t *document, unsigned int opt)
    void lxb_html_document_scripting_set(lxb_html_document_t *document, bint scripting)
    lxb_status_t lxb_html_document_parse(lxb_html_document_t *document, const lxb_char_t *html, size_t size)
    void *lxb_html_document_body_element_noi(lxb_html_document_t *document)
    lxb_dom_document_t *lxb_dom_interface_document(lxb_html_document_t *document)
    lxb_dom_node_t *lxb_dom_document_root(lxb_dom_document_t *document)
    const lxb_char_t *lxb_dom_element_qualified_name(lxb_dom_element_t *element, size_t *length)
    const lxb_char_t *lxb_dom_attr_qualified_name(lxb_dom_attr_t *attr, size_t *length)
    const lxb_char_t *lxb_dom_attr_value_noi(lxb_dom_attr_t *attr, size_t *length)


# What a tag name makes an element do in the walk, worked out once per name (`_tag_flags`), and
# what an open element is besides (`_Open.flags`).
cdef enum:
    INVISIBLE = 1
    BLOCK = 2
    SECTION = 4
    PRUNED_TAG = 8
    PAGE_TAG = 16
    LINK = 32
    HIDDEN = 64
    PRUNED = 128  # hidden, or of _PRUNED_TAGS
    NAMED = 256  # named by PRUNED_NAMES
    ROLE = 512  # has an ARIA role (`_Walk.roles`)
# Tag ids below this are lexbor's own names, the same in every document: looked up in an array.
DEF KNOWN_TAGS = 256

cdef str _CHECKED_STAGE = "cutting into lines"
cdef str _PARSED_STAGE = "parsing"


def visible_rows(str html, object line_names, object deadline):
    """What `segment._visible_rows(html, deadline)` returns, its lines named by `line_names`."""
    cdef bytes utf8 = html.encode("utf-8", "ignore")  # as selectolax encodes a str
    cdef lxb_html_document_t *document = lxb_html_document_create()
    cdef const lxb_char_t *data = <const lxb_char_t *> utf8
    cdef size_t size = len(utf8)
    cdef lxb_status_t status
    cdef lxb_dom_node_t *root
    if document == NULL:
        raise SelectolaxError("Failed to initialize object for HTML Document.")
    try:
        lxb_html_document_dom_opt_set(document, 0)
        lxb_html_document_scripting_set(document, False)
        with nogil:
            status = lxb_html_document_parse(document, data, size)
        if status != LXB_STATUS_OK:
            raise SelectolaxError("Can't parse HTML.")
        deadline.check(_PARSED_STAGE)
        utf8 = None  # the tree holds copies of what it needs: a large page's bytes go now
        root = <lxb_dom_node_t *> lxb_html_document_body_element_noi(document)
        if root == NULL:
            root = lxb_dom_document_root(lxb_dom_interface_document(document))
        return _Walk(line_names, deadline).run(root)
    finally:
        lxb_html_document_destroy(document)


cdef inline str _decoded(const lxb_char_t *data, size_t length):
    # As selectolax decodes every name, attribute and text: bytes lexbor passed through become U+FFFD.
    return PyUnicode_DecodeUTF8(<const char *> data, length, "replace")


cdef str _deep_text(lxb_dom_node_t *root):
    """`root.text(separator=" ")` of an element: its descendant texts in order, joined by spaces."""
    cdef bytearray joined = bytearray()
    cdef lxb_dom_node_t *node = root.first_child
    cdef lexbor_str_t *data
    cdef bint first = True
    while node != NULL:
        if node.local_name == LXB_TAG__TEXT:
            data = &(<lxb_dom_character_data_t *> node).data
            if data.data != NULL:
                if not first:
                    joined += b" "
                joined += (<const char *> data.data)[: data.length]
                first = False
        if node.first_child != NULL:
            node = node.first_child
            continue
        while node != root and node.next == NULL:
            node = node.parent
        if node == root:
            break
        node = node.next
    return _decoded(joined, len(joined)) if joined else ""


cdef inline bint _named(const lxb_char_t *name, size_t length, const char *wanted, size_t wanted_length) noexcept:
    return length == wanted_length and memcmp(name, wanted, length) == 0


cdef struct _Read:
    # The attributes of an element that the walk reads, as pointers into lexbor's tree (NULL:
    # not written, or written without a value), the last of a name written twice, as
    # `node.attributes` keeps it.
    const lxb_char_t *classes
    const lxb_char_t *ident
    const lxb_char_t *style
    const lxb_char_t *role
    const lxb_char_t *aria_hidden
    size_t classes_length, ident_length, style_length, role_length, aria_hidden_length
    bint hidden  # the `hidden` attribute is written


cdef void _read_attributes(lxb_dom_element_t *element, _Read *read) noexcept:
    """`read`: the attributes of `element` that the walk reads, none decoded."""
    cdef lxb_dom_attr_t *attr = element.first_attr
    cdef const lxb_char_t *name
    cdef size_t length = 0
    read.classes = read.ident = read.style = read.role = read.aria_hidden = NULL
    read.classes_length = read.ident_length = read.style_length = read.role_length = read.aria_hidden_length = 0
    read.hidden = False
    while attr != NULL:
        name = lxb_dom_attr_qualified_name(attr, &length)
        if _named(name, length, b"class", 5):
            read.classes = lxb_dom_attr_value_noi(attr, &read.classes_length)
        elif _named(name, length, b"id", 2):
            read.ident = lxb_dom_attr_value_noi(attr, &read.ident_length)
        elif _named(name, length, b"style", 5):
            read.style = lxb_dom_attr_value_noi(attr, &read.style_length)
        elif _named(name, length, b"role", 4):
            read.role = lxb_dom_attr_value_noi(attr, &read.role_length)
        elif _named(name, length, b"aria-hidden", 11):
            read.aria_hidden = lxb_dom_attr_value_noi(attr, &read.aria_hidden_length)
        elif _named(name, length, b"hidden", 6):
            read.hidden = True
        attr = attr.next


cdef inline bint _has_value(const lxb_char_t *value, size_t length) noexcept:
    # A value of no characters reads as no value wherever the walk tests one ("", falsy).
    return value != NULL and length > 0


cdef str _tokens(_Read *read):
    """`segment._tokens` of the attributes: class and id, space separated."""
    cdef bint classes = _has_value(read.classes, read.classes_length), ident = _has_value(read.ident, read.ident_length)
    if classes and ident:
        return f"{_decoded(read.classes, read.classes_length)} {_decoded(read.ident, read.ident_length)}"
    if classes:
        return _decoded(read.classes, read.classes_length)
    if ident:
        return _decoded(read.ident, read.ident_length)
    return ""


cdef bint _hidden(_Read *read) except -1:
    """`segment._is_hidden` of the attributes."""
    if read.hidden or (read.aria_hidden != NULL and _named(read.aria_hidden, read.aria_hidden_length, b"true", 4)):
        return True
    if not _has_value(read.style, read.style_length) or not _may_hide(read.style, read.style_length):
        return False
    return _HIDDEN_STYLE.search(_decoded(read.style, read.style_length)) is not None


cdef bint _may_hide(const lxb_char_t *style, size_t length) noexcept:
    """Whether `style` holds "none" or "dden" in ASCII letters of any case: every match of
    _HIDDEN_STYLE does, as no other character matches those letters when case is ignored (as
    "ı" matches the "i" of "hidden"), so most styles are neither decoded nor searched."""
    cdef size_t at
    cdef lxb_char_t a, b, c, d
    for at in range(length - 3 if length >= 4 else 0):
        a, b, c, d = style[at] | 0x20, style[at + 1] | 0x20, style[at + 2] | 0x20, style[at + 3] | 0x20
        if (a == c'n' and b == c'o' and c == c'n' and d == c'e') or (a == c'd' and b == c'd' and c == c'e' and d == c'n'):
            return True
    return False


cdef inline bint _ascii_space(const lxb_char_t *data, size_t length) noexcept:
    """Whether every byte is one of the ASCII characters `str.isspace` takes for whitespace
    (the control characters \\x1c-\\x1f included): such text is whitespace without decoding."""
    cdef size_t at
    cdef lxb_char_t byte
    for at in range(length):
        byte = data[at]
        if not (byte == 32 or 9 <= byte <= 13 or 28 <= byte <= 31):
            return False
    return True


cdef struct _Open:
    # An open element: its node and id, its flags (its tag's BLOCK, SECTION and LINK; HIDDEN,
    # PRUNED, NAMED and ROLE of the element), and what the walk has found out about it.
    lxb_dom_node_t *node
    int64_t serial
    int flags
    Py_ssize_t block  # the position of the innermost open block element at or outside it, -1 for none
    Py_ssize_t named  # the same for the elements PRUNED_NAMES names
    # The number of its ancestry, found when a line inside it first needs its names (-1 until
    # then): the names of an ancestry are made once, not once per element.
    Py_ssize_t context
    Py_ssize_t massed  # its place in the walk's text masses, -1 while it has none


cdef class _Walk:
    """The state of `segment._walk` over one tree: the open elements in a C array by depth,
    with Python lists only for their names and tokens, which lines join."""

    cdef object line_names, deadline, rows, columns, names, last_inside
    cdef list parts, tags, tokens, roles
    cdef dict context_ids  # (the ancestry outside, tag, class and id tokens, ARIA role): its number
    cdef list context_names  # by ancestry number: (path, attrs, roles, sections, the characters _LineNames counts)
    cdef _Open *open
    cdef Py_ssize_t depth, open_size
    # `segment._walk`'s text_mass, in the order its keys came: each element's id and mass.
    cdef int64_t *mass_serials
    cdef int64_t *mass_values
    cdef Py_ssize_t massed, massed_size
    cdef int64_t link_chars, hidden_chars, links, hidden_open, pruned_open, serial
    cdef Py_ssize_t max_depth
    # `line_names.element` and `.names`, held here while the walk runs (`_names`; -1: None).
    cdef int64_t names_element
    cdef object names_made
    # segment's sizes and helpers, read at each walk as segment's own walk reads them (tests change them)
    cdef Py_ssize_t rows_per_part, elements_per_check, long_text_chars, path_ancestors, attr_ancestors
    cdef object pre_rows, move_rows, collapse_spaces
    cdef int known_flags[KNOWN_TAGS]
    cdef list known_names
    cdef dict other_tags  # (name, flags) of the tag ids a document makes for names lexbor does not know
    cdef str tag  # the name of the element `_flags` was last asked about

    def __cinit__(self, line_names, deadline):
        self.line_names, self.deadline = line_names, deadline
        self.rows = []
        self.columns = {name: [] for name in [*ROW_FIELDS, "names"]}
        self.names, self.last_inside = {}, {}
        self.parts, self.tags, self.tokens, self.roles = [], [], [], []
        self.context_ids, self.context_names = {}, []
        self.open, self.depth, self.open_size = NULL, 0, 0
        self.mass_serials, self.mass_values, self.massed, self.massed_size = NULL, NULL, 0, 0
        self.link_chars = self.hidden_chars = self.links = self.hidden_open = self.pruned_open = self.serial = 0
        self.max_depth = settings.limit("MAX_DEPTH")
        self.names_element = -1 if line_names.element is None else line_names.element
        self.names_made = line_names.names
        self.rows_per_part, self.elements_per_check = segment.ROWS_PER_PART, segment.ELEMENTS_PER_CHECK
        self.long_text_chars, self.path_ancestors, self.attr_ancestors = segment.LONG_TEXT_CHARS, segment.PATH_ANCESTORS, segment.ATTR_ANCESTORS
        self.pre_rows, self.move_rows, self.collapse_spaces = segment._line_rows, segment._move_rows, segment._collapse_spaces
        self.known_names = [None] * KNOWN_TAGS
        for i in range(KNOWN_TAGS):
            self.known_flags[i] = -1
        self.other_tags = {}

    def __dealloc__(self):
        free(self.open)
        free(self.mass_serials)
        free(self.mass_values)

    cdef tuple run(self, lxb_dom_node_t *root):
        """`_walk`'s loop, step for step."""
        cdef lxb_dom_node_t *node = root
        cdef lxb_dom_node_t *following
        cdef int flags
        cdef str text
        while node != NULL:
            text = None
            if node.local_name == LXB_TAG__TEXT:
                text = self._text(node)
            elif node.local_name in (LXB_TAG__EM_DOCTYPE, LXB_TAG__EM_COMMENT, LXB_TAG__DOCUMENT) or node.type != LXB_DOM_NODE_TYPE_ELEMENT:
                pass  # not an element ("-comment", a processing instruction's None...)
            else:
                flags = self._flags(<lxb_dom_element_t *> node)
                if flags & INVISIBLE:
                    pass
                elif self.depth >= self.max_depth:
                    # Below MAX_DEPTH an element is flattened into its ancestor's line, text and all.
                    text = _deep_text(node)
                    if flags & BLOCK:
                        text = f" {text} "
                elif self._entered(node, flags):
                    node = node.first_child
                    continue
            # Whitespace before a line's first text changes nothing in it.
            if text and (self.parts or not text.isspace()):
                self._add_text(text)
            following = node.next if self.depth else NULL
            while following == NULL and self.depth:
                node = self.open[self.depth - 1].node
                self._close()
                following = node.next if self.depth else NULL
            node = following
        if self.parts:
            self._flush()
        self.move_rows(self.rows, self.columns, self.names)
        self._give_line_names()
        return self.columns, self.names, self._text_mass(), self.last_inside

    cdef str _text(self, lxb_dom_node_t *node):
        """`node.text_content or ""` of a node whose tag is "-text"; "" as well for ASCII
        whitespace before a line's first text, which is left out undecoded."""
        cdef lexbor_str_t *data
        if node.type != LXB_DOM_NODE_TYPE_TEXT:
            return ""
        data = &(<lxb_dom_character_data_t *> node).data
        if data.data == NULL or (not self.parts and _ascii_space(data.data, data.length)):
            return ""
        return _decoded(data.data, data.length)

    cdef int _flags(self, lxb_dom_element_t *element) except -1:
        """The flags of an element's tag (`_tag_flags`); its name is `self.tag` after."""
        cdef uintptr_t tag_id = element.qualified_name if element.qualified_name else (<lxb_dom_node_t *> element).local_name
        cdef size_t length = 0
        cdef const lxb_char_t *name
        if tag_id < KNOWN_TAGS and self.known_flags[tag_id] >= 0:
            self.tag = self.known_names[tag_id]
            return self.known_flags[tag_id]
        known = self.other_tags.get(tag_id)
        if known is None:
            name = lxb_dom_element_qualified_name(element, &length)
            self.tag = (_decoded(name, length) if name != NULL else None) or "-"
            flags = _tag_flags(self.tag)
            if tag_id < KNOWN_TAGS:
                self.known_names[tag_id], self.known_flags[tag_id] = self.tag, flags
            else:
                self.other_tags[tag_id] = (self.tag, flags)
            return flags
        self.tag, flags = known
        return flags

    cdef bint _entered(self, lxb_dom_node_t *node, int flags) except -1:
        """`_walk`'s work on an element's start; whether it has children, and is open now."""
        cdef lxb_dom_element_t *element = <lxb_dom_element_t *> node
        cdef int element_flags = flags & (BLOCK | SECTION | LINK)
        cdef str element_tokens = ""
        cdef _Read read
        if flags & BLOCK and self.parts:
            self._flush()
        self.serial += 1
        if not self.serial % self.elements_per_check:
            self.deadline.check(_CHECKED_STAGE)
        if node.first_child == NULL:  # a childless element can only end a line
            return False
        if element.first_attr != NULL:
            _read_attributes(element, &read)
            element_tokens = _tokens(&read)
            if _hidden(&read):
                element_flags |= HIDDEN | PRUNED
            if _has_value(read.role, read.role_length):
                self.roles.append((self.depth, _decoded(read.role, read.role_length)))
                element_flags |= ROLE
        if flags & PRUNED_TAG:
            element_flags |= PRUNED
        if element_tokens and not flags & PAGE_TAG and _names_boilerplate(element_tokens):
            element_flags |= NAMED
        self.tokens.append(element_tokens)
        self.tags.append(self.tag)
        self._push(node, element_flags)
        return True

    cdef int _push(self, lxb_dom_node_t *node, int flags) except -1:
        """Opens the element `node`, the innermost now."""
        cdef Py_ssize_t position = self.depth
        cdef _Open *opened
        if position >= self.open_size:
            self.open = <_Open *> _grown(self.open, &self.open_size, sizeof(_Open))
        opened = &self.open[position]
        opened.node, opened.serial, opened.flags, opened.context, opened.massed = node, self.serial, flags, -1, -1
        opened.block = position if flags & BLOCK else (self.open[position - 1].block if position else -1)
        opened.named = position if flags & NAMED else (self.open[position - 1].named if position else -1)
        self.hidden_open += (flags & HIDDEN) != 0
        self.pruned_open += (flags & PRUNED) != 0
        self.links += (flags & LINK) != 0
        self.depth += 1
        return 0

    cdef int _add_text(self, str text) except -1:
        cdef Py_ssize_t chars
        self.parts.append(text)
        if self.links or self.hidden_open:
            chars = len(text.strip())
            if self.links:
                self.link_chars += chars
            if self.hidden_open:
                self.hidden_chars += chars
        return 0

    cdef int _close(self) except -1:
        """`_walk`'s work on an element's end (the innermost open one)."""
        cdef Py_ssize_t position = self.depth - 1
        cdef _Open closing
        if self.open[position].flags & BLOCK and self.parts:
            self._flush()
        closing = self.open[position]
        self.tags.pop()
        self.tokens.pop()
        self.depth = position
        if closing.massed >= 0:  # only an element with text inside can be the main one
            self.last_inside[closing.serial] = self.serial
            if position:
                self._add_mass(position - 1, self.mass_values[closing.massed])
        if closing.flags & ROLE:
            self.roles.pop()
        self.hidden_open -= (closing.flags & HIDDEN) != 0
        self.pruned_open -= (closing.flags & PRUNED) != 0
        self.links -= (closing.flags & LINK) != 0
        return 0

    cdef int _add_mass(self, Py_ssize_t position, int64_t mass) except -1:
        """Adds `mass` to the text mass of the open element at `position`."""
        cdef _Open *element = &self.open[position]
        if element.massed < 0:
            if self.massed >= self.massed_size:
                size = self.massed_size
                self.mass_serials = <int64_t *> _grown(self.mass_serials, &size, sizeof(int64_t))
                self.mass_values = <int64_t *> _grown(self.mass_values, &self.massed_size, sizeof(int64_t))
            element.massed = self.massed
            self.mass_serials[self.massed], self.mass_values[self.massed] = element.serial, 0
            self.massed += 1
        self.mass_values[element.massed] += mass
        return 0

    cdef dict _text_mass(self):
        """`_walk`'s text_mass: the same keys, in the same order, and values."""
        cdef Py_ssize_t at
        return {self.mass_serials[at]: self.mass_values[at] for at in range(self.massed)}

    cdef int _flush(self) except -1:
        """`_walk`'s `flush`: the rows of the open line."""
        cdef int64_t mass = 0
        cdef bint made = False
        cdef Py_ssize_t at = self._block_position()
        cdef list parts = self.parts
        line_hidden = self.hidden_chars > 0 and self.hidden_chars * 2 > sum([len(part.strip()) for part in parts])
        line_pruned = line_hidden or self.pruned_open > 0
        named = self.open[self.depth - 1].named if self.depth else -1
        named_box = self.open[named].serial if named >= 0 else 0
        for row in self._line_rows("".join(parts), at, line_hidden, line_pruned, named_box):
            self.rows.append(row)
            made, mass = True, mass + len(row[TEXT]) - row[LINK_CHARS]
            if len(self.rows) >= self.rows_per_part:
                self.move_rows(self.rows, self.columns, self.names)
                self.deadline.check(_CHECKED_STAGE)
        if made and at >= 1:  # the element around the line's block (BOX1), where there is one
            self._add_mass(at - 1, mass)
        parts.clear()
        self.link_chars = self.hidden_chars = 0
        return 0

    cdef inline Py_ssize_t _block_position(self) noexcept:
        """The position of the open line's block: its innermost open block element, else 0."""
        cdef Py_ssize_t at = self.open[self.depth - 1].block if self.depth else -1
        return at if at >= 0 else 0

    cdef inline int64_t _serial_at(self, Py_ssize_t position) noexcept:
        return self.open[position].serial if position >= 0 else 0

    cdef object _line_rows(self, str raw, Py_ssize_t at, bint hidden, bint pruned, int64_t named_box):
        """`segment._line_rows` of the open line (whose block is at `at`), made here but for a
        `<pre>`'s."""
        cdef Py_ssize_t chars
        cdef str block = self.tags[at] if self.depth else "body"
        if block == "pre":
            return self._pre_rows(raw, hidden, pruned, named_box)
        text = " ".join(raw.split()) if len(raw) <= self.long_text_chars else self.collapse_spaces(raw)
        if not text:
            return ()
        path, attrs, line_roles, line_sections = self._names()
        chars = len(text)
        return ((
            text, block, path, attrs, line_roles, line_sections, min(self.link_chars, chars), self.depth, hidden, pruned, False,
            self._serial_at(at - 1), self._serial_at(at - 2), self._serial_at(at - 3), named_box, "",
        ),)

    cdef object _pre_rows(self, str raw, bint hidden, bint pruned, int64_t named_box):
        """`segment._line_rows` of a `<pre>`'s line, which makes its rows one at a time, given the
        open elements as the lists of `segment._walk`, and `line_names` as this walk left it."""
        cdef Py_ssize_t position
        serials = [self.open[position].serial for position in range(self.depth)]
        blocks = [position for position in range(self.depth) if self.open[position].flags & BLOCK]
        sections = [position for position in range(self.depth) if self.open[position].flags & SECTION]
        self._give_line_names()
        rows = self.pre_rows(
            raw, self.tags, self.tokens, self.roles, sections, serials, blocks,
            self.link_chars, hidden, pruned, named_box, self.line_names,
        )
        self.names_element, self.names_made = self.line_names.element, self.line_names.names
        return rows

    cdef int _give_line_names(self) except -1:
        """Writes what `_names` holds back into `line_names`."""
        self.line_names.element = None if self.names_element < 0 else self.names_element
        self.line_names.names = self.names_made
        return 0

    cdef tuple _names(self):
        """`self.line_names.of(...)` for the open elements: the same names, and the same budget spent."""
        cdef int64_t element = self.open[self.depth - 1].serial if self.depth else 0
        if element == self.names_element:
            return self.names_made
        path, attrs, line_roles, line_sections, chars = self._context_names()
        self.names_element = element
        line_names = self.line_names
        if line_names.chars_left < 0:
            self.names_made = ("", "", "", line_sections)
        else:
            line_names.chars_left -= chars
            self.names_made = (path, attrs, line_roles, line_sections)
        return self.names_made

    cdef tuple _context_names(self):
        """The names `_LineNames._made` makes for the open elements, made once per ancestry."""
        cdef Py_ssize_t context = -1 if self.depth == 0 else self._context(self.depth - 1)
        cdef Py_ssize_t position
        if context < 0:
            return ("", "", "", "", 0)
        names = self.context_names[context]
        if names is None:
            line_sections = _intern(" ".join([self.tags[position] for position in range(self.depth) if self.open[position].flags & SECTION]))
            path = " ".join(self.tags[-self.path_ancestors:])
            attrs = " ".join(filter(None, self.tokens[-self.attr_ancestors:])).lower()
            line_roles = " ".join([role for _, role in self.roles]).lower()
            chars = len(path) + len(attrs) + len(line_roles)
            names = self.context_names[context] = (_intern(path), _intern(attrs), _intern(line_roles), line_sections, chars)
        return names

    cdef Py_ssize_t _context(self, Py_ssize_t position) except -2:
        """The number of the ancestry of the open element at `position` (outermost first),
        numbering those of its ancestors not numbered yet: a loop, as pages nest deep."""
        cdef Py_ssize_t start = position, at
        cdef object outer
        while start >= 0 and self.open[start].context < 0:
            start -= 1
        outer = self.open[start].context if start >= 0 else -1
        for at in range(start + 1, position + 1):
            key = (outer, self.tags[at], self.tokens[at], self._role_at(at))
            outer = self.context_ids.get(key)
            if outer is None:
                outer = self.context_ids[key] = len(self.context_names)
                self.context_names.append(None)
            self.open[at].context = outer
        return outer

    cdef object _role_at(self, Py_ssize_t position):
        if not self.open[position].flags & ROLE:
            return None
        for at, role in self.roles:
            if at == position:
                return role
        return None


cdef void *_grown(void *array, Py_ssize_t *size, size_t item) except NULL:
    """`array` (of `size` items) reallocated to hold twice as many and more; `size` updated."""
    cdef Py_ssize_t wanted = 2 * size[0] + 64
    cdef void *grown = realloc(array, wanted * item)
    if grown == NULL:
        raise MemoryError()
    size[0] = wanted
    return grown


cdef object _intern = sys.intern


# Whether PRUNED_NAMES names each class and id string, kept across pages (pages of a site share
# them), up to this many strings; then forgotten all at once.
cdef dict _BOILERPLATE_NAMES = {}
DEF MAX_KNOWN_NAMES = 65536


cdef inline bint _names_boilerplate(str tokens) except -1:
    known = _BOILERPLATE_NAMES.get(tokens)
    if known is None:
        if len(_BOILERPLATE_NAMES) >= MAX_KNOWN_NAMES:
            _BOILERPLATE_NAMES.clear()
        known = _BOILERPLATE_NAMES[tokens] = _search_names(tokens) is not None
    return known


# PRUNED_NAMES without IGNORECASE, for lowercased ASCII: the same matches there, in half the time.
_PRUNED_NAMES_LOWER = re.compile(PRUNED_NAMES.pattern)


cdef object _search_names(str tokens):
    """`PRUNED_NAMES.search(tokens)`, by the faster pattern where `tokens` is ASCII (where no
    character but a letter's other case matches a letter when case is ignored)."""
    if tokens.isascii():
        return _PRUNED_NAMES_LOWER.search(tokens.lower())
    return PRUNED_NAMES.search(tokens)


cdef int _tag_flags(str tag) except -1:
    """What the walk does with an element named `tag`, as `segment._walk` tests it."""
    if tag in segment.INVISIBLE_TAGS or tag.startswith("-"):
        return INVISIBLE
    return (
        BLOCK * (tag in segment.BLOCK_TAGS)
        | SECTION * (tag in segment._SECTION_TAGS)
        | PRUNED_TAG * (tag in segment._PRUNED_TAGS)
        | PAGE_TAG * (tag in segment._PAGE_TAGS)
        | LINK * (tag == "a")
    )
