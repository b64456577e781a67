# cython: language_level=3, boundscheck=False, initializedcheck=False
"""The compiled walk: `segment._walk` over lexbor's own tree, giving the same rows.

It parses the page with lexbor (compiled into this module from the sources selectolax's pinned
sdist ships) exactly as selectolax's `LexborHTMLParser(html)` does, and reads every name, text
and attribute as selectolax's `node.tag`, `text_content`, `attributes` and `text()` would, so
that the lines are the same; only the per-node work moves from Python objects to C pointers.
The lines themselves are still made by `segment`'s own helpers (`_line_rows`, `_LineNames`,
`_move_rows`).
"""

import sys

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport uintptr_t
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


# What a tag name makes an element do in the walk, worked out once per name (`_tag_flags`).
cdef enum:
    INVISIBLE = 1
    BLOCK = 2
    SECTION = 4
    PRUNED_TAG = 8
    PAGE_TAG = 16
    LINK = 32
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


cdef str _text_content(lxb_dom_node_t *node):
    """`node.text_content or ""` of a node whose tag is "-text"."""
    cdef lexbor_str_t *data
    if node.type != LXB_DOM_NODE_TYPE_TEXT:
        return ""
    data = &(<lxb_dom_character_data_t *> node).data
    if data.data == NULL:
        return ""
    return _decoded(data.data, data.length)


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


cdef dict _attributes(lxb_dom_element_t *element):
    """The attributes of `element` that the walk reads, as `node.attributes` gives them: None for
    one written without a value, the last of a name written twice."""
    cdef dict attributes = {}
    cdef lxb_dom_attr_t *attr = element.first_attr
    cdef const lxb_char_t *name
    cdef const lxb_char_t *value
    cdef size_t length = 0
    while attr != NULL:
        name = lxb_dom_attr_qualified_name(attr, &length)
        if _is_read(name, length):
            key = _decoded(name, length)
            value = lxb_dom_attr_value_noi(attr, &length)
            attributes[key] = None if value == NULL else _decoded(value, length)
        attr = attr.next
    return attributes


cdef inline bint _is_read(const lxb_char_t *name, size_t length) noexcept:
    return (
        _named(name, length, b"class", 5)
        or _named(name, length, b"id", 2)
        or _named(name, length, b"style", 5)
        or _named(name, length, b"role", 4)
        or _named(name, length, b"aria-hidden", 11)
        or _named(name, length, b"hidden", 6)
    )


cdef class _Walk:
    """The state of `segment._walk` over one tree; the stacks that `segment`'s line helpers read
    are Python lists, the nodes a C array."""

    cdef object line_names, deadline, rows, columns, names, text_mass, last_inside
    cdef list parts, tags, tokens, serials, blocks, hidden, sections, pruned, named, roles
    # Each open element's ancestry as a number, found when a line inside it first needs its
    # names (None until then): the names of an ancestry are made once, not once per element.
    cdef list contexts
    cdef dict context_ids  # (the ancestry outside, tag, class and id tokens, ARIA role): its number
    cdef list context_names  # by ancestry number: (path, attrs, roles, sections, the characters _LineNames counts)
    cdef long link_chars, hidden_chars, links, serial, max_depth
    # segment's sizes and helpers, read at each walk as segment's own walk reads them (tests change them)
    cdef Py_ssize_t rows_per_part, elements_per_check, long_text_chars, path_ancestors, attr_ancestors
    cdef object pre_rows, move_rows, collapse_spaces
    cdef lxb_dom_node_t **nodes
    cdef Py_ssize_t nodes_size
    cdef int known_flags[KNOWN_TAGS]
    cdef list known_names
    cdef dict other_tags  # (name, flags) of the tag ids a document makes for names lexbor does not know
    cdef str tag  # the name of the element `_flags` was last asked about
    def __cinit__(self, line_names, deadline):
        self.line_names, self.deadline = line_names, deadline
        self.rows = []
        self.columns = {name: [] for name in [*ROW_FIELDS, "names"]}
        self.names, self.text_mass, self.last_inside = {}, {}, {}
        self.parts, self.tags, self.tokens, self.serials, self.blocks = [], [], [], [], []
        self.hidden, self.sections, self.pruned, self.named, self.roles = [], [], [], [], []
        self.contexts, self.context_ids, self.context_names = [], {}, []
        self.link_chars = self.hidden_chars = self.links = self.serial = 0
        self.max_depth = settings.limit("MAX_DEPTH")
        self.rows_per_part, self.elements_per_check = segment.ROWS_PER_PART, segment.ELEMENTS_PER_CHECK
        self.long_text_chars, self.path_ancestors, self.attr_ancestors = segment.LONG_TEXT_CHARS, segment.PATH_ANCESTORS, segment.ATTR_ANCESTORS
        self.pre_rows, self.move_rows, self.collapse_spaces = segment._line_rows, segment._move_rows, segment._collapse_spaces
        self.nodes, self.nodes_size = NULL, 0
        self.known_names = [None] * KNOWN_TAGS
        for i in range(KNOWN_TAGS):
            self.known_flags[i] = -1
        self.other_tags = {}

    def __dealloc__(self):
        free(self.nodes)

    cdef tuple run(self, lxb_dom_node_t *root):
        """`_walk`'s loop, step for step."""
        cdef lxb_dom_node_t *node = root
        cdef lxb_dom_node_t *following
        cdef Py_ssize_t depth = 0
        cdef int flags
        cdef str text, tag
        while node != NULL:
            text = None
            if node.local_name == LXB_TAG__TEXT:
                text = _text_content(node)
            elif node.local_name in (LXB_TAG__EM_DOCTYPE, LXB_TAG__EM_COMMENT, LXB_TAG__DOCUMENT) or node.type != LXB_DOM_NODE_TYPE_ELEMENT:
                pass  # not an element ("-comment", a processing instruction's None...)
            else:
                flags = self._flags(<lxb_dom_element_t *> node)
                if flags & INVISIBLE:
                    pass
                elif depth >= self.max_depth:
                    # Below MAX_DEPTH an element is flattened into its ancestor's line, text and all.
                    text = _deep_text(node)
                    if flags & BLOCK:
                        text = f" {text} "
                elif self._entered(node, flags, depth):
                    self._push_node(node, depth)
                    depth += 1
                    node = node.first_child
                    continue
            # Whitespace before a line's first text changes nothing in it.
            if text and (self.parts or not text.isspace()):
                self._add_text(text)
            following = node.next if depth else NULL
            while following == NULL and depth:
                depth -= 1
                node = self.nodes[depth]
                self._close()
                following = node.next if depth else NULL
            node = following
        if self.parts:
            self._flush()
        self.move_rows(self.rows, self.columns, self.names)
        return self.columns, self.names, self.text_mass, self.last_inside

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

    cdef bint _entered(self, lxb_dom_node_t *node, int flags, Py_ssize_t depth) except -1:
        """`_walk`'s work on an element's start; whether it has children to go into."""
        cdef Py_ssize_t position = depth
        cdef lxb_dom_element_t *element = <lxb_dom_element_t *> node
        cdef bint is_block = flags & BLOCK
        cdef bint has_attributes
        cdef dict attributes = None
        cdef str element_tokens
        if is_block and self.parts:
            self._flush()
        self.serial += 1
        if not self.serial % self.elements_per_check:
            self.deadline.check(_CHECKED_STAGE)
        if node.first_child == NULL:  # a childless element can only end a line
            return False
        if is_block:
            self.blocks.append(position)
        has_attributes = element.first_attr != NULL
        element_tokens = ""
        if has_attributes:
            attributes = _attributes(element)
            classes, ident = attributes.get("class"), attributes.get("id")
            # segment._tokens and segment._is_hidden, inline.
            element_tokens = f"{classes} {ident}" if classes and ident else classes or ident or ""
            if _hidden(attributes):
                self.hidden.append(position)
                self.pruned.append(position)
            elif flags & PRUNED_TAG:
                self.pruned.append(position)
        elif flags & PRUNED_TAG:
            self.pruned.append(position)
        if element_tokens and not flags & PAGE_TAG and _names_boilerplate(element_tokens):
            self.named.append(position)
        if has_attributes and (role := attributes.get("role")):
            self.roles.append((position, role))
        if flags & SECTION:
            self.sections.append(position)
        self.tokens.append(element_tokens)
        self.links += (flags & LINK) != 0
        self.tags.append(self.tag)
        self.serials.append(self.serial)
        self.contexts.append(None)
        return True

    cdef int _push_node(self, lxb_dom_node_t *node, Py_ssize_t depth) except -1:
        cdef lxb_dom_node_t **grown
        if depth >= self.nodes_size:
            grown = <lxb_dom_node_t **> realloc(self.nodes, (2 * depth + 64) * sizeof(lxb_dom_node_t *))
            if grown == NULL:
                raise MemoryError()
            self.nodes, self.nodes_size = grown, 2 * depth + 64
        self.nodes[depth] = node
        return 0

    cdef int _add_text(self, str text) except -1:
        cdef Py_ssize_t chars
        self.parts.append(text)
        if self.links or self.hidden:
            chars = len(text.strip())
            if self.links:
                self.link_chars += chars
            if self.hidden:
                self.hidden_chars += chars
        return 0

    cdef int _close(self) except -1:
        """`_walk`'s work on an element's end (the innermost open one)."""
        cdef str tag = self.tags[-1]
        cdef Py_ssize_t position
        if self.blocks and self.blocks[-1] == len(self.tags) - 1:
            if self.parts:
                self._flush()
            self.blocks.pop()
        self.tags.pop()
        self.tokens.pop()
        self.contexts.pop()
        closed = self.serials.pop()
        position = len(self.tags)
        if closed in self.text_mass:  # only an element with text inside can be the main one
            self.last_inside[closed] = self.serial
            if self.serials:
                outer = self.serials[-1]
                self.text_mass[outer] = self.text_mass.get(outer, 0) + self.text_mass[closed]
        if self.hidden and self.hidden[-1] == position:
            self.hidden.pop()
        if self.pruned and self.pruned[-1] == position:
            self.pruned.pop()
        if self.named and self.named[-1] == position:
            self.named.pop()
        if self.roles and self.roles[-1][0] == position:
            self.roles.pop()
        if self.sections and self.sections[-1] == position:
            self.sections.pop()
        self.links -= tag == "a"
        return 0

    cdef int _flush(self) except -1:
        """`_walk`'s `flush`: the rows of the open line."""
        cdef long box = 0, mass = 0
        cdef list parts = self.parts
        line_hidden = self.hidden_chars > 0 and self.hidden_chars * 2 > sum([len(part.strip()) for part in parts])
        line_pruned = line_hidden or bool(self.pruned)
        named_box = self.serials[self.named[-1]] if self.named else 0
        for row in self._line_rows("".join(parts), line_hidden, line_pruned, named_box):
            self.rows.append(row)
            box, mass = row[BOX1], mass + len(row[TEXT]) - row[LINK_CHARS]
            if len(self.rows) >= self.rows_per_part:
                self.move_rows(self.rows, self.columns, self.names)
                self.deadline.check(_CHECKED_STAGE)
        if box:  # 0: no line, or no element around the block
            self.text_mass[box] = self.text_mass.get(box, 0) + mass
        parts.clear()
        self.link_chars = self.hidden_chars = 0
        return 0

    cdef object _line_rows(self, str raw, bint hidden, bint pruned, named_box):
        """`segment._line_rows` of the open line, made here but for a `<pre>`'s, which it makes
        one at a time, as there."""
        cdef list tags = self.tags, serials = self.serials
        cdef Py_ssize_t at = self.blocks[-1] if self.blocks else 0
        cdef Py_ssize_t chars
        cdef str block = tags[at] if tags else "body"
        if block == "pre":
            return self.pre_rows(
                raw, tags, self.tokens, self.roles, self.sections, serials, self.blocks,
                self.link_chars, hidden, pruned, named_box, self.line_names,
            )
        text = " ".join(raw.split()) if len(raw) <= self.long_text_chars else self.collapse_spaces(raw)
        if not text:
            return ()
        path, attrs, line_roles, line_sections = self._names()
        chars = len(text)
        return ((
            text, block, path, attrs, line_roles, line_sections, min(self.link_chars, chars), len(tags), hidden, pruned, False,
            serials[at - 1] if at >= 1 else 0, serials[at - 2] if at >= 2 else 0, serials[at - 3] if at >= 3 else 0,
            named_box, "",
        ),)

    cdef tuple _names(self):
        """`self.line_names.of(...)` for the open elements: the same names, and the same budget spent."""
        line_names = self.line_names
        element = self.serials[-1] if self.serials else 0
        if element == line_names.element:
            return line_names.names
        path, attrs, line_roles, line_sections, chars = self._context_names()
        line_names.element = element
        if line_names.chars_left < 0:
            line_names.names = ("", "", "", line_sections)
        else:
            line_names.chars_left -= chars
            line_names.names = (path, attrs, line_roles, line_sections)
        return line_names.names

    cdef tuple _context_names(self):
        """The names `_LineNames._made` makes for the open elements, made once per ancestry."""
        cdef Py_ssize_t depth = len(self.tags), position = depth
        cdef Py_ssize_t context = -1 if depth == 0 else self._context(depth - 1)
        if context < 0:
            return ("", "", "", "", 0)
        names = self.context_names[context]
        if names is None:
            line_sections = sys.intern(" ".join([self.tags[position] for position in self.sections]))
            path = " ".join(self.tags[-self.path_ancestors:])
            attrs = " ".join(filter(None, self.tokens[-self.attr_ancestors:])).lower()
            line_roles = " ".join([role for _, role in self.roles]).lower()
            chars = len(path) + len(attrs) + len(line_roles)
            names = self.context_names[context] = (sys.intern(path), sys.intern(attrs), sys.intern(line_roles), line_sections, chars)
        return names

    cdef Py_ssize_t _context(self, Py_ssize_t position) except -2:
        """The number of the ancestry of the open element at `position` (outermost first),
        numbering those of its ancestors not numbered yet: a loop, as pages nest deep."""
        cdef Py_ssize_t start = position
        cdef list contexts = self.contexts
        while start >= 0 and contexts[start] is None:
            start -= 1
        outer = contexts[start] if start >= 0 else -1
        for at in range(start + 1, position + 1):
            key = (outer, self.tags[at], self.tokens[at], self._role_at(at))
            outer = self.context_ids.get(key)
            if outer is None:
                outer = self.context_ids[key] = len(self.context_names)
                self.context_names.append(None)
            contexts[at] = outer
        return outer

    cdef object _role_at(self, Py_ssize_t position):
        for at, role in self.roles:
            if at == position:
                return role
        return None


cdef inline bint _hidden(dict attributes) except -1:
    """`segment._is_hidden(attributes)`."""
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = attributes.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


# Whether PRUNED_NAMES names each class and id string, kept across pages (pages of a site share
# them), up to this many strings; then forgotten all at once.
cdef dict _BOILERPLATE_NAMES = {}
DEF MAX_KNOWN_NAMES = 65536


cdef inline bint _names_boilerplate(str tokens) except -1:
    known = _BOILERPLATE_NAMES.get(tokens)
    if known is None:
        if len(_BOILERPLATE_NAMES) >= MAX_KNOWN_NAMES:
            _BOILERPLATE_NAMES.clear()
        known = _BOILERPLATE_NAMES[tokens] = PRUNED_NAMES.search(tokens) is not None
    return known


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
