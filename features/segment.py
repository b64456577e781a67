"""Cut a page into lines: HTML into one line per block of visible text, plain text into its lines.

Every line carries what it came from (the structure fields below), so that features can be
computed from it without the page. Both functions return a `pandas.DataFrame` with one row
per line and the columns in `LINE_COLUMNS`, in page order.
"""

import codecs
import re
from collections import Counter

import numpy as np
import pandas as pd
from selectolax.lexbor import LexborHTMLParser

from . import settings

#: Columns of a segmented page. `path` and `attrs` are empty for plain text; `blank_before`
#: is always False for HTML.
LINE_COLUMNS = [
    "text",  # the line, whitespace collapsed
    "tag",  # the block element that holds it ("text" for plain-text lines)
    "path",  # tag names of its ancestors, root first, space separated
    "attrs",  # class and id tokens of its nearest ancestors, space separated
    "link_chars",  # characters of the line inside <a>
    "depth",  # nesting depth of its block
    "hidden",  # inside an element hidden by `hidden`, aria-hidden or display:none
    "blank_before",  # plain text: a blank line precedes it
    "box1",  # id of the element around the line's block (plain text: its paragraph's number)
    "box2",  # id of the element one level further out (plain text: 0)
    "box3",  # id of the element two levels further out (plain text: 0)
    "position",  # index of the line in the page / number of lines (0..1)
    "repeats",  # how many other lines of the page have the same text
]

COLUMN_TYPES = dict.fromkeys(LINE_COLUMNS[:4], object) | dict.fromkeys(["link_chars", "depth", "box1", "box2", "box3", "repeats"], int) | {
    "hidden": bool, "blank_before": bool, "position": float}

# Elements that end the current line and start a new one. `br` and `hr` only break lines.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr br li main "
    "menu nav ol p pre section summary table tbody thead tfoot tr td th ul legend "
    "button label".split()
)
# Elements whose text a reader never sees. <noscript> is kept: Discourse forums serve their
# posts inside it (see ../shared/datasets/NOTES.md).
INVISIBLE_TAGS = frozenset(
    "script style template svg math head iframe object embed canvas select option "
    "textarea input audio video map picture source track datalist -comment".split()
)
ATTR_ANCESTORS = 8  # how many ancestors' class/id tokens a line keeps
PATH_ANCESTORS = 12  # how many ancestor tags a line's path keeps

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"\s+")
_JUNK = re.compile(r"[\ufffd\x01-\x08\x0e-\x1f\x7f-\x9f]")
MAX_JUNK_SHARE = 0.3  # a page with more undecodable characters than this is binary
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Declared charsets that browsers read otherwise (WHATWG Encoding standard): latin-1 and ASCII
# mean windows-1252, whose 0x80-0x9F are the curly quotes, dashes and euro signs such pages
# hold; a UTF-16 label found by reading the bytes as ASCII cannot be true, and means UTF-8.
_AS_BROWSERS_READ = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
}


class PageError(ValueError):
    """A page that cannot be segmented (too large, not text); the message says why."""


def decode_page(page: str | bytes) -> str:
    """Bytes to text: a BOM, then the charset the page declares, then UTF-8, never failing."""
    if isinstance(page, str):
        text = page
    elif isinstance(page, (bytes, bytearray, memoryview)):
        raw = bytes(page)
        if len(raw) > settings.MAX_PAGE_BYTES:
            raise PageError(f"page is {len(raw):,} bytes, over the {settings.MAX_PAGE_BYTES:,} limit")
        text = raw.decode(_declared_encoding(raw), errors="replace")
    else:
        raise TypeError(f"a page must be str or bytes, not {type(page).__name__}")
    if len(text) > settings.MAX_PAGE_BYTES:
        raise PageError(f"page is {len(text):,} characters, over the {settings.MAX_PAGE_BYTES:,} limit")
    # NUL and other control characters are what binary junk decodes to; they are never text.
    return text.replace("\x00", "")


def _declared_encoding(raw: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return encoding
    match = _CHARSET.search(raw[:4096])
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
            return _AS_BROWSERS_READ.get(name, name)
        except LookupError:
            pass
    return "utf-8"


def segment_html(page: str | bytes) -> pd.DataFrame:
    """One row per block of visible text, in page order, with where it came from."""
    html = decode_page(page)
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    rows = _BlockWalker().walk(root) if root is not None else []
    return _finish(rows)


def segment_text(page: str | bytes) -> pd.DataFrame:
    """One row per non-blank line of a plain-text page; `blank_before` remembers paragraph breaks."""
    text = decode_page(page)
    rows, blank, paragraph = [], False, 1
    for raw in text.splitlines():
        line = _WS.sub(" ", raw).strip()
        if not line:
            blank = True
            continue
        paragraph += blank
        rows.append((line[: settings.MAX_LINE_CHARS], "text", "", "", 0, 0, False, blank, paragraph, 0, 0))
        blank = False
    return _finish(rows)


def _finish(rows: list[tuple]) -> pd.DataFrame:
    """Drop undecodable lines; add the page-level columns (position, repeats) that need all lines."""
    rows = _without_junk(rows)
    columns = dict(zip(LINE_COLUMNS, zip(*rows))) if rows else {name: () for name in LINE_COLUMNS}
    n = len(rows)
    copies = Counter(columns["text"])
    columns["position"] = np.arange(n) / max(n - 1, 1)
    columns["repeats"] = [copies[text] - 1 for text in columns["text"]]
    frame = pd.DataFrame(columns, columns=LINE_COLUMNS)
    return frame.astype(COLUMN_TYPES)


def _without_junk(rows: list[tuple]) -> list[tuple]:
    """Binary junk decodes to replacement and control characters: it is not text, whether a
    whole page of it or a line of it in a real page."""
    junk = [len(_JUNK.findall(row[0])) if _JUNK.search(row[0]) else 0 for row in rows]
    if sum(junk) > sum(len(row[0]) for row in rows) * MAX_JUNK_SHARE:
        return []
    return [row for row, bad in zip(rows, junk) if bad <= len(row[0]) * 2 * MAX_JUNK_SHARE]


_LEAVE = object()  # on the walk's stack: the element on top of `ancestors` ends here


class _BlockWalker:
    """Walks the DOM without recursion (pages nest 50,000 deep), collecting one row per block."""

    def __init__(self):
        self.rows = []
        self.parts = []  # text pieces of the open line
        self.link_chars = 0
        # Counted as text arrives: an inline hidden element (<span hidden>) is closed again
        # before its line is flushed, so the open elements at flush time cannot tell.
        self.hidden_chars = 0
        self.line_chars = 0
        self.ancestors = []  # (tag, class/id tokens, is_hidden, serial number) of open elements
        self.serial = 0
        self.open_links = 0
        self.open_hidden = 0

    def walk(self, root):
        stack = [root]
        while stack:
            node = stack.pop()
            if node is _LEAVE:
                self._leave()
                continue
            tag = node.tag
            if tag == "-text":
                self._add_text(node.text_content or "")
                continue
            if tag in INVISIBLE_TAGS or tag.startswith("-"):
                continue
            if len(self.ancestors) >= settings.MAX_DEPTH:
                self._add_text(node.text(separator=" ") or "")
                continue
            self._enter(node, tag)
            stack.append(_LEAVE)
            stack.extend(reversed(list(node.iter(include_text=True))))
        self._flush()
        return self.rows

    def _enter(self, node, tag):
        if tag in BLOCK_TAGS:
            self._flush()
        attributes = node.attributes
        tokens = " ".join(v for k in ("class", "id") if (v := attributes.get(k)))
        hidden = (
            "hidden" in attributes
            or attributes.get("aria-hidden") == "true"
            or bool(_HIDDEN_STYLE.search(attributes.get("style") or ""))
        )
        self.serial += 1
        self.ancestors.append((tag, tokens, hidden, self.serial))
        self.open_links += tag == "a"
        self.open_hidden += hidden

    def _leave(self):
        tag, _, hidden, _ = self.ancestors[-1]
        if tag in BLOCK_TAGS:
            self._flush()
        self.ancestors.pop()
        self.open_links -= tag == "a"
        self.open_hidden -= hidden

    def _add_text(self, text):
        chars = len(text.strip())
        if self.open_links:
            self.link_chars += chars
        if self.open_hidden:
            self.hidden_chars += chars
        self.line_chars += chars
        self.parts.append(text)

    def _flush(self):
        if not self.parts:
            return
        raw = "".join(self.parts)
        hidden = self.hidden_chars * 2 > self.line_chars  # most of the line is hidden
        self.parts = []
        self.hidden_chars = self.line_chars = 0
        tags = [a[0] for a in self.ancestors]
        at = next((i for i in range(len(tags) - 1, -1, -1) if tags[i] in BLOCK_TAGS), 0)
        block = tags[at] if tags else "body"
        # The elements around the block: text density of these is what boilerpipe judges by.
        boxes = [self.ancestors[at - k][3] if at - k >= 0 else 0 for k in (1, 2, 3)]
        # Preformatted blocks (code) keep their own line breaks.
        pieces = raw.split("\n") if block == "pre" else [raw]
        texts = [t for p in pieces if (t := _WS.sub(" ", p).strip()[: settings.MAX_LINE_CHARS])]
        if not texts:
            self.link_chars = 0
            return
        path = " ".join(tags[-PATH_ANCESTORS:])
        attrs = " ".join(a[1] for a in self.ancestors[-ATTR_ANCESTORS:] if a[1]).lower()
        link_share = self.link_chars / max(sum(map(len, texts)), 1)
        for text in texts:
            link_chars = min(round(link_share * len(text)), len(text))
            self.rows.append((text, block, path, attrs, link_chars, len(tags), hidden, False, *boxes))
        self.link_chars = 0
