"""Cut a page into lines: HTML into one line per block of visible text, plain text into its lines.

Every line carries what it came from (the structure fields below), so that features can be
computed from it without the page. `html_columns` and `text_columns` give a page's columns
(`LINE_COLUMNS`, one value per line, in page order); `join_lines` makes the `Lines` the model
scores of one or more pages; `segment_html` and `segment_text` give a pandas frame of them.
"""

import contextlib
import ctypes
import functools
import importlib
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain, islice

import numpy as np
from selectolax.lexbor import LexborHTMLParser

from . import settings
from .decode import PageError, decode_page, has_markup, without_lone_surrogates

#: Columns of a segmented page. `path` and `attrs` are empty for plain text; `blank_before`
#: is always False for HTML.
LINE_COLUMNS = [
    "text",  # the line, whitespace collapsed
    "tag",  # the block element that holds it ("text" for plain-text lines)
    "path",  # tag names of its ancestors, root first, space separated
    "attrs",  # class and id tokens of its nearest ancestors, space separated
    "roles",  # the ARIA roles of all its ancestors (role="navigation" and so on), space separated
    "sections",  # the SECTION_TAGS among all its ancestors, root first, space separated
    "link_chars",  # characters of the line inside <a>
    "depth",  # nesting depth of its block
    "hidden",  # inside an element hidden by `hidden`, aria-hidden or display:none
    "pruned",  # hidden, in a <nav>, <aside> or <footer>, or in a minor element whose class or id names boilerplate (PRUNED_NAMES)
    "blank_before",  # plain text: a blank line precedes it
    "box1",  # id of the element around the line's block (plain text: its paragraph's number)
    "box2",  # id of the element one level further out (plain text: 0)
    "box3",  # id of the element two levels further out (plain text: 0)
    "in_main",  # inside the page's main element: the deepest holding most of its text outside links (plain text: False)
    "in_article",  # inside the page's article element: the main element of its text outside links and pruned lines
    "after_article",  # after the end of the article element (plain text: False)
    "past_article_end",  # on a page that declares itself an article, after its story's last line (`past_article_end`; plain text: False)
    "position",  # index of the line in the page / number of lines (0..1)
    "repeats",  # how many other lines of the page have the same text
]

# The counts and ids of a page fit 32 bits: half the memory of int64 for a page of many lines.
COLUMN_TYPES = (
    dict.fromkeys(LINE_COLUMNS[:6], object)
    | dict.fromkeys(["link_chars", "depth", "box1", "box2", "box3", "repeats"], np.int32)
    | {"hidden": bool, "pruned": bool, "blank_before": bool, "in_main": bool, "in_article": bool, "after_article": bool}
    | {"past_article_end": bool, "position": float}
)
#: Beside the frame's columns, `html_columns` and `text_columns` give each line as the page
#: wrote it, where that is not its collapsed text: a `<pre>` line (code, with its indentation
#: and aligned columns), a plain-text line; "" for every other line, and for a line whose only
#: whitespace is single spaces. Trailing whitespace is left out. The model gives these back
#: (`ScoredLine.text`, `clean_*`); no feature reads them, as the lines the models were
#: trained on were collapsed.
AS_WRITTEN = "as_written"
# The fields of a row of `_walk`: the columns that need neither the whole page nor the main
# element, and the line as written.
ROW_FIELDS = [*LINE_COLUMNS[: LINE_COLUMNS.index("in_main")], "named_box", AS_WRITTEN]
# named_box: the id of the innermost element around the line that PRUNED_NAMES names (0: none);
# whether that prunes the line is known once the whole page's text is (`_prune_named`).
_WALK_TYPES = COLUMN_TYPES | {"named_box": np.int32}
_TEXT, _LINK_CHARS, _BOX1 = (ROW_FIELDS.index(name) for name in ("text", "link_chars", "box1"))

# Elements that end the current line and start a new one. `br` and `hr` only break lines.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr br li main "
    "menu nav ol p pre section summary table tbody thead tfoot tr td th ul legend "
    "button label".split()
)
# Elements whose text a reader never sees. <noscript> is kept: Discourse forums serve their
# posts inside it.
INVISIBLE_TAGS = frozenset(
    "script style template svg math head iframe object embed canvas select option "
    "textarea input audio video map picture source track datalist -comment".split()
)
ATTR_ANCESTORS = 8  # how many ancestors' class/id tokens a line keeps
PATH_ANCESTORS = 12  # how many ancestor tags a line's path keeps
# HTML5 elements that say what a part of the page is, kept from all of a line's ancestors:
# how much of a line is content depends much on which of them it is inside, and the path's
# 12 ancestors miss the <main> of some lines on many pages.
SECTION_TAGS = ("nav", "footer", "aside", "header", "article", "main", "form")
_SECTION_TAGS = frozenset(SECTION_TAGS)

LARGE_PAGE_CHARS = 1_000_000  # pages above this give their parse tree's memory back at once
LARGE_JOIN_LINES = 100_000  # joined lines above this give their columns' lists back once made
LONG_TEXT_CHARS = 100_000  # texts above this have their spaces collapsed a piece at a time,
COLLAPSE_PIECE_CHARS = 1_000_000  # of this many characters, not listing all their words at once
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform.startswith("linux") else None

# Class and id words of the blocks an article's page puts beside or after it (trafilatura prunes
# by much the same names): comment threads, related and promoted stories, share and follow
# buttons, newsletter and cookie prompts, sidebars. A word is matched whole, between spaces,
# hyphens or underscores ("comment-list", "related_posts"; not "commentary").
PRUNED_NAMES = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|disqus|replies|related|relatedposts|teasers?|recommend(?:ed|ations?)?|promo|promos|"
    r"promotions?|newsletters?|subscribe|subscription|signup|share|sharing|social|sidebar|widgets?|adverts?|advertisement|ads?|"
    r"sponsored|cookies?|consent|paywall|breadcrumbs?|popular|trending|outbrain|taboola|footer|nav|navbar|menu)(?=$|[\s_-])",
    re.IGNORECASE,
)
_PRUNED_TAGS = frozenset(("nav", "aside", "footer"))
_PAGE_TAGS = frozenset(("html", "body"))  # whose classes describe the page's layout ("one-sidebar"), not a block
# A named element prunes its lines when it holds at most this share of the page's text outside
# links: a comment thread or a sidebar is beside the article, while a layout wrapper that
# happens to be called "widget" or "has-sidebar" holds most of the page.
NAMED_PRUNE_SHARE = 0.5


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_JUNK = re.compile(r"[\ufffd\x01-\x08\x0e-\x1f\x7f-\x9f]")
JUNK_PIECE_CHARS = 65_536  # characters of a line whose junk is counted at once
MAX_JUNK_SHARE = 0.3  # a page with more undecodable characters than this is binary


class Deadline:
    """When the time budget of a page (`subject`) runs out: `budget` seconds from now, or never
    for None. `check` says so with a PageError once it has; it is called between the stages of
    a page's work, as no single call into the parser can be interrupted."""

    def __init__(self, budget: float | None = None, subject: str = "page"):
        if budget is not None and (isinstance(budget, bool) or not budget > 0):  # nan too
            raise ValueError(f"time_budget must be a number of seconds above 0, or None, not {budget!r}")
        self.budget, self.subject = budget, subject
        self.ends = None if budget is None else time.monotonic() + budget

    def check(self, stage: str) -> None:
        if self.ends is not None and time.monotonic() > self.ends:
            raise PageError(f"{self.subject} took over the time budget of {self.budget:g} s ({stage})")


NO_DEADLINE = Deadline()


def html_or_text_columns(page: str | bytes, encoding: str | None = None, deadline: Deadline = NO_DEADLINE) -> tuple[str, dict]:
    """("html", `html_columns(page)`), or ("text", `text_columns(page)`) for a page without any
    markup: as HTML its lines would run together into one, where the text has line breaks.
    Bytes are decoded by `decode_page(page, encoding)`; the work stops with a PageError once
    past `deadline`."""
    html = decode_page(page, encoding)
    deadline.check("decoding")
    return ("html", _columns_of_html(html, deadline)) if has_markup(html) else ("text", _columns_of_text(html, deadline))


def segment_html(page: str | bytes):
    """One row per block of visible text, in page order, with where it came from, as a pandas
    frame (for analysis and training: pandas is needed for it)."""
    return join_lines([html_columns(page)]).frame()


def html_columns(page: str | bytes) -> dict:
    """The columns of `segment_html(page)`, as lists and arrays: `join_lines` joins those of
    many pages, which the model then scores at once."""
    return _columns_of_html(decode_page(page))


def _columns_of_html(html: str, deadline: Deadline = NO_DEADLINE) -> dict:
    """`html_columns` of a page already decoded."""
    _check_elements(html)
    columns, names, text_mass, last_inside = _visible_rows(html, deadline)
    if len(html) > LARGE_PAGE_CHARS:
        _return_freed_memory()
    _unpack_walk_columns(columns, names)
    # Inside the main element when the element around the line's block is it or inside it.
    box1 = columns["box1"]
    main_first, main_last = main_element(text_mass, last_inside)
    columns["in_main"] = (box1 >= main_first) & (box1 <= main_last)
    columns["pruned"] = columns["pruned"] | _prune_named(columns.pop("named_box"), text_mass)
    chars = np.fromiter(map(len, columns["text"]), np.int64, len(box1))
    outside_links = chars - columns["link_chars"]
    article_first, article_last = article_element(box1, np.where(columns["pruned"], 0, outside_links), text_mass, last_inside)
    columns["in_article"] = (box1 >= article_first) & (box1 <= article_last)
    columns["after_article"] = box1 > article_last if article_first <= article_last else np.zeros(len(box1), bool)
    columns["past_article_end"] = past_article_end(columns, chars, last_inside) if declares_article(html) else np.zeros(len(box1), bool)
    deadline.check("cutting into lines")
    return _with_page_columns(columns)


def _check_elements(html: str) -> None:
    """A PageError for a page of more elements than MAX_PAGE_ELEMENTS (its own, and with the
    copies its parser would make of formatting elements: `_check_formatting`), or nested deeper
    than MAX_PAGE_NESTING, or whose end tags would walk too many open elements
    (`_check_end_tag_walks`), before its tree is built: by the compiled checks (`_checks.pyx`)
    where they are built and BOILERLINE_PURE_PYTHON is not 1, else by `_python_check_elements`.
    Both decide alike."""
    if (checks := _compiled_checks()) is not None:
        checks.check_elements(html)
    else:
        _python_check_elements(html)


def _python_check_elements(html: str) -> None:
    """`_check_elements` in Python. Start tags are counted as "<" less "</" (comments and a "<"
    in text count too: an upper bound)."""
    tags = html.count("<")
    elements = tags - html.count("</")
    if elements > (most := settings.limit("MAX_PAGE_ELEMENTS")):
        raise _too_many_elements(elements, most)
    if elements > (deepest := settings.limit("MAX_PAGE_NESTING")) and (depth := _nesting(html)) > deepest:
        raise _too_deep(depth, deepest)
    _check_formatting(html, elements, tags, most)
    _check_end_tag_walks(html, tags - elements, elements)


# The PageErrors of `_check_elements`, worded once for the Python and the compiled checks.
def _too_many_elements(elements: int, most: int) -> PageError:
    return PageError(f"page has about {elements:,} elements, over the {most:,} limit (BOILERLINE_MAX_PAGE_ELEMENTS)")


def _too_deep(depth: int, deepest: int) -> PageError:
    return PageError(f"page nests elements {depth:,} deep, over the {deepest:,} limit (BOILERLINE_MAX_PAGE_NESTING)")


def _too_many_copies(elements: int, most: int) -> PageError:
    return PageError(
        f"page has about {elements:,} elements with the copies its parser makes of the formatting elements "
        f"(b, i, font...) it leaves open, over the {most:,} limit (BOILERLINE_MAX_PAGE_ELEMENTS)"
    )


def _too_long_walk(steps: int, most: int) -> PageError:
    return PageError(
        f"page's end tags would make its parser walk over {steps:,} open elements (end tags that close nothing among "
        f"deeply nested inline elements), over the {most:,} limit (BOILERLINE_MAX_PAGE_END_TAG_WALK)"
    )


# The elements whose start tag makes the parser look down its stack of open elements for a <p>
# to close (HTML's "has a p element in button scope"): nested in each other, each costs the
# depth, so deeply nested ones take the parser time that grows with the square of their depth.
_SCOPE_CHECKING_NAMES = (
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer "
    "header hgroup main menu nav ol search section summary ul".split()
)
_SCOPE_CHECKING_TAG = re.compile(rf"<(/?)(?:{'|'.join(_SCOPE_CHECKING_NAMES)})(?=[\s/>])", re.IGNORECASE)


def _nesting(html: str) -> int:
    """How deep the page nests those elements, as their start and end tags say."""
    steps = np.fromiter((1 - 2 * bool(match.group(1)) for match in _SCOPE_CHECKING_TAG.finditer(html)), np.int64)
    depth = np.cumsum(steps)
    # An end tag with nothing open closes nothing: the depth never falls below 0.
    return int((depth - np.minimum(np.minimum.accumulate(depth), 0)).max(initial=0))


# Formatting elements left open stay on the parser's list of active formatting elements (HTML's
# "reconstruct the active formatting elements"): it copies them into each block and text that
# follows, and looks them up on its stack of open elements, which they deepen. Its elements grow
# with those on the list at each tag, and so does its time, where the page's own start tags may
# stay far below the limit. The list holds at most 3 of one start tag (its "Noah's Ark" clause);
# a new <a> or <nobr> closes the one open.
_FORMATTING_NAMES = "a b big code em font i nobr s small strike strong tt u".split()
_FORMATTING_TAG = re.compile(rf"<(/?)({'|'.join(_FORMATTING_NAMES)})(?=[\s/>])([^>]*)", re.IGNORECASE)
_FORMATTING_START = re.compile(rf"<({'|'.join(_FORMATTING_NAMES)})(?=[\s/>])", re.IGNORECASE)
_SINGLE_FORMATTING = frozenset(("a", "nobr"))
_SAME_FORMATTING_KEPT = 3


def _check_formatting(html: str, elements: int, tags: int, most: int) -> None:
    """A PageError for a page (of `elements` start tags among `tags` "<") whose elements, with
    the copies its parser may make of the formatting elements it leaves open, are over `most`
    (MAX_PAGE_ELEMENTS). The copies are counted from above, as those on the list at each tag,
    and tag by tag only where the page's formatting start tags are enough to reach the limit."""
    starts = Counter(map(str.lower, _FORMATTING_START.findall(html)))
    open_at_most = sum(min(count, 1) if name in _SINGLE_FORMATTING else count for name, count in starts.items())
    if elements + open_at_most * tags <= most:
        return  # the usual page, whatever the order of its tags
    listed = Counter()  # formatting elements on the list, by start tag (name and attributes as written)
    opened = {}  # the start tags of each name, in order, that no end tag has closed
    on_list = copies = counted_to = 0
    for match in _FORMATTING_TAG.finditer(html):
        # Each tag or text before it, and a start tag itself, may get a copy of each on the list.
        copies += on_list * (html.count("<", counted_to, match.start()) + (not match.group(1)))
        counted_to = match.end()
        if elements + copies > most:
            break
        name = match.group(2).lower()
        if match.group(1):
            if opened.get(name):
                start_tag = opened[name].pop()
                on_list -= listed[start_tag] > 0
                listed[start_tag] = max(listed[start_tag] - 1, 0)
            continue
        start_tag = name if name in _SINGLE_FORMATTING else (name, match.group(3).strip())
        kept = 1 if name in _SINGLE_FORMATTING else _SAME_FORMATTING_KEPT
        opened.setdefault(name, []).append(start_tag)
        if listed[start_tag] < kept:
            listed[start_tag] += 1
            on_list += 1
    copies += on_list * html.count("<", counted_to)
    if elements + copies > most:
        raise _too_many_copies(elements + copies, most)


# An end tag makes the parser look down its stack of open elements for one of its name, and
# stop at the first special element (HTML's "any other end tag"): among deeply nested inline
# elements (<span>s, which the nesting limit lets through), each end tag that closes nothing
# walks all of them, and the parser's time grows with their product.
_SPECIAL = frozenset(
    "address applet area article aside base basefont bgsound blockquote body br button caption center col colgroup dd details "
    "dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html "
    "iframe img input keygen li link listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext "
    "pre script search section select source style summary table tbody td template textarea tfoot th thead title tr track ul "
    "wbr xmp mi mo mn ms mtext annotation-xml foreignobject desc".split()
)
_VOID = frozenset("area base br col embed hr img input link meta source track wbr param keygen basefont bgsound frame image".split())
_FOREIGN = frozenset(("svg", "math"))  # inside them, "/>" closes an element
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>")


def _check_end_tag_walks(html: str, end_tags: int, elements: int) -> None:
    """A PageError for a page whose end tags would make the parser walk more than
    MAX_PAGE_END_TAG_WALK open elements in all (`_end_tag_walk`), counted only where its end
    tags times its elements could reach that."""
    most = settings.limit("MAX_PAGE_END_TAG_WALK")
    if end_tags * elements > most and (steps := _end_tag_walk(html, most)) > most:
        raise _too_long_walk(steps, most)


def _end_tag_walk(html: str, most: int) -> int:
    """How many open elements the parser walks past for the page's end tags, as its tags say:
    an end tag walks to the nearest open element of its name and closes those above it, or
    stops at the nearest special element and closes nothing. Counted up to just past `most`."""
    stack = []  # the names of the open elements
    at_of = {}  # each name's positions on the stack
    specials = []  # the positions of the special elements on the stack
    foreign = steps = 0
    for match in _ANY_TAG.finditer(html):
        name = match.group(2).lower()
        if not match.group(1):
            if name not in _VOID and not (foreign and match.group(3)):
                foreign += name in _FOREIGN
                at_of.setdefault(name, []).append(len(stack))
                if name in _SPECIAL:
                    specials.append(len(stack))
                stack.append(name)
            continue
        own, stop = at_of.get(name), specials[-1] if specials else -1
        if not own or own[-1] < stop:
            steps += len(stack) - 1 - stop
        else:
            at = own[-1]
            steps += len(stack) - 1 - at
            while len(stack) > at:
                closed = stack.pop()
                at_of[closed].pop()
                if specials and specials[-1] == len(stack):
                    specials.pop()
                foreign -= closed in _FOREIGN
        if steps > most:
            break
    return steps


def _check_lines(count: int) -> None:
    if count > (limit := settings.limit("MAX_PAGE_LINES")):
        raise PageError(f"page has over {limit:,} lines, the limit (BOILERLINE_MAX_PAGE_LINES)")


_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines ends a line
# A line holding a character other than whitespace, for the line ends of plain text and of a <pre>.
# Matched only from a line's start, its leading whitespace taken possessively: a search from
# every position of a long whitespace-only line rescanned it to its end each time (quadratic).
_TEXT_LINE = {breaks: re.compile(f"(?<![^{breaks}])[^\\S{breaks}]*+\\S[^{breaks}]*") for breaks in (_LINE_BREAKS, "\n")}


def _check_text_lines(text: str, breaks: str = _LINE_BREAKS) -> None:
    """Refuse a text of too many lines (ended by any of `breaks`) before its lines are made:
    making them first would hold them all. Only a text of as many line breaks as the limit
    is counted, as counting a long page's lines takes time; the count stops at the limit."""
    limit = settings.limit("MAX_PAGE_LINES")
    if len(text) > limit and sum(map(text.count, breaks)) >= limit:
        _check_lines(sum(1 for _ in islice(_TEXT_LINE[breaks].finditer(text), limit + 1)))


def walk_in_use() -> str:
    """Which walk cuts HTML into lines: "compiled" (`_walk.pyx`, where it is built) or "python"
    (`_walk`; also where BOILERLINE_PURE_PYTHON=1). Both give the same lines."""
    return "python" if _compiled_walk() is None else "compiled"


@functools.cache
def compiled_module(name: str):
    """This package's compiled module `name` ("_walk", "_checks", "_counts", "_trees"), or None
    where the install could not build it (no compiler): its pure-Python code then runs."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:
        return None


def compiled_in_use(name: str):
    """`compiled_module(name)`, or None where BOILERLINE_PURE_PYTHON=1 asks for the pure-Python code."""
    return None if settings.switch("PURE_PYTHON") else compiled_module(name)


def _compiled_walk():
    return compiled_in_use("_walk")


def _compiled_checks():
    return compiled_in_use("_checks")


def _visible_rows(html: str, deadline: Deadline) -> tuple[dict, dict, dict[int, int], dict[int, int]]:
    """What `_walk` returns; the parser's tree is freed on return, before the lines become a frame."""
    line_names = _LineNames(NAME_CHARS_PER_PAGE_CHAR * len(html) + NAME_CHARS_PER_PAGE)
    if (walk := _compiled_walk()) is not None:
        return walk.visible_rows(html, line_names, deadline)
    tree = LexborHTMLParser(html)
    deadline.check("parsing")
    if len(html) > LARGE_PAGE_CHARS:
        # The parser keeps the page's UTF-8 bytes, which its tree has no more use for, beside
        # the tree while it is walked.
        with contextlib.suppress(AttributeError):
            tree.raw_html = None
    return _walk(tree.body or tree.root, line_names, deadline)


def _return_freed_memory() -> None:
    """Hand the heap's free memory back to the system, where the C library can (glibc).

    The tree of a large page takes much memory. Freed, glibc kept it in
    the heap, while the arrays made next mostly came from new mappings: the process's peak
    held both. Trimming costs milliseconds, so only large pages and frames pay it.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def segment_text(page: str | bytes):
    """One row per non-blank line of a plain-text page; `blank_before` remembers paragraph breaks.
    The columns that are the same on every line (tag, path, attrs, roles, sections, link_chars,
    depth, hidden, box2, box3, in_main) are read-only: `copy()` the frame to edit them in place."""
    return join_lines([text_columns(page)]).frame()


def text_columns(page: str | bytes, encoding: str | None = None, deadline: Deadline = NO_DEADLINE) -> dict:
    """The columns of `segment_text(page)`, as lists and arrays (see `html_columns`); bytes
    are decoded by `decode_page(page, encoding)`; the work stops with a PageError once past
    `deadline`."""
    text = decode_page(page, encoding)
    deadline.check("decoding")
    return _columns_of_text(text, deadline)


def _columns_of_text(text: str, deadline: Deadline = NO_DEADLINE) -> dict:
    """`text_columns` of a page already decoded."""
    # Lone surrogates cannot be encoded: the cleaned text could not be written out as UTF-8.
    # The HTML parser drops them itself, so only plain text pays for the check.
    text = without_lone_surrogates(text)
    _check_text_lines(text)
    # Column by column: a tuple per line takes much more memory on a page of many short lines.
    texts, blank_before, paragraphs, as_written = [], [], [], []
    blank, paragraph = False, 1
    for raw in text.splitlines():
        line = _collapse_spaces(raw)
        if not line:
            blank = True
            continue
        paragraph += blank
        texts.append(line)
        blank_before.append(blank)
        paragraphs.append(paragraph)
        as_written.append(_as_written(raw, line))
        blank = False
    _check_lines(len(texts))
    deadline.check("cutting into lines")
    constant = {
        "tag": "text",
        "path": "",
        "attrs": "",
        "roles": "",
        "sections": "",
        "link_chars": 0,
        "depth": 0,
        "hidden": False,
        "pruned": False,
        "box2": 0,
        "box3": 0,
        "in_main": False,
        "in_article": False,
        "after_article": False,
        "past_article_end": False,
    }
    # A column that is the same on every line is its one value seen len(texts) times (a
    # read-only view, no copies): copies would cost memory on a page of many lines.
    return _with_page_columns(
        {"text": texts, "blank_before": blank_before, "box1": paragraphs, AS_WRITTEN: as_written}
        | {name: np.broadcast_to(np.array(value, dtype=COLUMN_TYPES[name]), len(texts)) for name, value in constant.items()}
    )


def _with_page_columns(columns: dict[str, list]) -> dict:
    """A page's columns (all of LINE_COLUMNS but position and repeats) with undecodable lines
    dropped, and the columns added that need all of its lines (position, repeats)."""
    columns = _without_junk(columns)
    columns["position"], columns["repeats"] = page_order_columns(columns["text"])
    return columns


def page_order_columns(texts: list[str]) -> tuple[np.ndarray, list[int]]:
    """For the lines of one page, in order: each line's place in it (0 to 1), and how many
    other lines of it have the same text (`position`, `repeats`)."""
    copies = Counter(texts)
    return np.arange(len(texts)) / max(len(texts) - 1, 1), [copies[text] - 1 for text in texts]


class Lines:
    """The lines of one or more pages, column by column: each of LINE_COLUMNS (and `page`, once
    pages are scored together) a numpy array of one value a line, texts as object arrays. What
    the model scores: a mapping of arrays, not a pandas frame, since making a frame cost about
    1 ms a call, a quarter of a small page's time. `frame()` gives one, for analysis and training."""

    __slots__ = ("columns",)

    def __init__(self, columns: dict[str, np.ndarray]):
        self.columns = columns

    @classmethod
    def of_frame(cls, frame) -> "Lines":
        """The lines of a pandas frame of lines (the labelled-line tables of `data`)."""
        return cls({str(name): frame[name].to_numpy() for name in frame.columns})

    def __len__(self) -> int:
        return len(self.columns["text"])

    def __getitem__(self, key: str | slice):
        """A column by name, or the lines of a slice of rows (views of the arrays, not copies)."""
        if isinstance(key, slice):
            return Lines({name: values[key] for name, values in self.columns.items()})
        return self.columns[key]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.columns[name] = values

    def assign(self, **columns: np.ndarray) -> "Lines":
        """These lines with the given columns replaced or added (the arrays are shared, not copied)."""
        return Lines(self.columns | columns)

    def frame(self):
        """A pandas frame of the lines (pandas is needed for it; the scoring never is)."""
        import pandas as pd

        index = pd.RangeIndex(len(self))
        # Text columns as object Series: a list of str alone would become pandas' str dtype.
        typed = {
            name: pd.Series(values, index=index, dtype=object, copy=False) if values.dtype == object else values
            for name, values in self.columns.items()
        }
        return pd.DataFrame(typed, index=index, columns=list(self.columns), copy=False)


def join_lines(pages: list[dict]) -> Lines:
    """The lines of one or more pages' columns (`html_columns`, `text_columns`), in order.
    Takes each of LINE_COLUMNS out of each page's columns as soon as its typed copy is made
    (AS_WRITTEN stays)."""
    n = sum(len(columns["text"]) for columns in pages)
    # Typed arrays from the start: converting them later costs more than making them so.
    typed = {name: typed_column(name, _joined_column(name, [columns.pop(name) for columns in pages]), n) for name in LINE_COLUMNS}
    if n > LARGE_JOIN_LINES:
        _return_freed_memory()  # the lists the columns were made from, which lowers a large page's peak
    return Lines(typed)


def typed_column(name: str, values, n: int) -> np.ndarray:
    """One column's values as an array of its type (COLUMN_TYPES); an array already of it is kept."""
    if COLUMN_TYPES[name] is not object or isinstance(values, np.ndarray):
        return np.asarray(values, dtype=COLUMN_TYPES[name])
    return np.fromiter(values, object, n)


def _joined_column(name: str, parts: list):
    """One column of several pages' values, one after another; a single page's as it is."""
    if len(parts) == 1:
        return parts[0]
    return list(chain.from_iterable(parts)) if COLUMN_TYPES[name] is object else np.concatenate(parts)


def _junk_count(text: str) -> int:
    """How many characters of `text` are junk (_JUNK), counted a piece at a time: a list of
    all of a line's matches took 86 bytes each for its U+FFFDs (a 7.4 MB page read in the
    "replacement" charset, one line of them, had peaked at +691 MB)."""
    if len(text) <= JUNK_PIECE_CHARS:  # most lines: one call
        return len(_JUNK.findall(text))
    return sum(len(_JUNK.findall(text, start, start + JUNK_PIECE_CHARS)) for start in range(0, len(text), JUNK_PIECE_CHARS))


def _without_junk(columns: dict[str, list]) -> dict[str, list]:
    """Binary junk decodes to replacement and control characters: it is not text. A line of it
    in a real page is dropped; a page of it is a PageError."""
    texts = columns["text"]
    if not _JUNK.search("".join(texts)):
        return columns  # the usual page: nothing to count
    junk = [_junk_count(text) if _JUNK.search(text) else 0 for text in texts]
    if sum(junk) > (chars := sum(map(len, texts))) * MAX_JUNK_SHARE:
        raise PageError(
            f"page is not text: {sum(junk) / chars:.0%} of its characters are control characters or bytes its charset "
            "cannot read (binary data?)"
        )
    kept = [row for row, (text, bad) in enumerate(zip(texts, junk)) if bad <= len(text) * 2 * MAX_JUNK_SHARE]
    return {name: [values[row] for row in kept] for name, values in columns.items()}


# Rows of `_walk` kept as tuples before they are moved into columns (`_move_rows`): a tuple
# and its ids take several times the bytes of columns, and the tree of a page of many
# lines is alive while they are made. While it is, the texts of a part are one string
# (cheaper than a string a line, with its place in a list), and the names (interned: the cells of a table share them) 4-byte codes.
ROWS_PER_PART = 65_536
ELEMENTS_PER_CHECK = 65_536  # elements walked between two looks at the page's deadline
_ARRAY_FIELDS = [name for name in ROW_FIELDS if _WALK_TYPES.get(name, object) is not object]  # counts, flags, ids
_NAMES = slice(ROW_FIELDS.index("tag"), ROW_FIELDS.index("sections") + 1)  # the names of a row, coded together
_NAME_FIELDS = ROW_FIELDS[_NAMES]
_LINE_SEPARATOR = "\n"  # in no text of a line: whitespace is collapsed to spaces


def _walk(root, line_names: "_LineNames", deadline: Deadline) -> tuple[dict, dict[tuple, int], dict[int, int], dict[int, int]]:
    """The columns of ROW_FIELDS in parts (`_move_rows`; `_unpack_walk_columns` makes them one
    value per line of `root`'s visible text, none for no root, in page order), the code of the
    names of its lines, and each element's text outside links and the last id inside it
    (`main_element`).

    A loop rather than recursion, as pages nest 50,000 deep. Where it runs (no compiled walk,
    or BOILERLINE_PURE_PYTHON=1), it runs for every node of every page, so it keeps its state
    in local variables and calls out only for elements with attributes and for complete lines.
    """
    rows = []  # the rows of the lines since they were last moved into `columns`
    columns = {name: [] for name in [*ROW_FIELDS, "names"]}  # per field, its parts (`_move_rows`); "names": codes
    names = {}  # the code of each line's names, as a tuple of _NAME_FIELDS
    parts = []  # text pieces of the open line
    link_chars = 0
    # Counted as text arrives: an inline hidden element (<span hidden>) is closed again
    # before its line is flushed, so the open elements at flush time cannot tell.
    hidden_chars = 0
    # The open elements, root first, as parallel stacks; `blocks`, `hidden` and `sections`
    # hold the positions of those that are block elements, hidden and SECTION_TAGS, `links`
    # counts the open <a>. A line reads its sections and roles from these short stacks, not
    # from all its ancestors (a quarter of the time of making its row).
    nodes, tags, tokens, serials, blocks, hidden, sections, links = [], [], [], [], [], [], [], 0
    pruned = []  # the positions of the open elements that are hidden or _PRUNED_TAGS
    named = []  # the positions of the open elements named by PRUNED_NAMES
    boilerplate_names = {}  # whether PRUNED_NAMES names each class and id string: a page repeats them
    roles = []  # (position, ARIA role) of the open elements that have one
    serial = 0  # elements entered so far: the boxes' ids
    max_depth = settings.limit("MAX_DEPTH")
    # Text outside links in each element (its lines' blocks inside it), added to the element
    # around each line's block, then to each parent as its child closes; and the last id
    # inside each element, so that an element's descendants are the ids from its own to it.
    text_mass, last_inside = {}, {}

    def flush():
        nonlocal link_chars, hidden_chars
        # Hidden when most of it is; its length is only worth counting when some of it is.
        line_hidden = hidden_chars > 0 and hidden_chars * 2 > sum(len(part.strip()) for part in parts)
        line_pruned = line_hidden or bool(pruned)
        named_box = serials[named[-1]] if named else 0
        box = mass = 0
        for row in _line_rows(
            "".join(parts), tags, tokens, roles, sections, serials, blocks, link_chars, line_hidden, line_pruned, named_box, line_names
        ):
            rows.append(row)
            box, mass = row[_BOX1], mass + len(row[_TEXT]) - row[_LINK_CHARS]
            if len(rows) >= ROWS_PER_PART:
                _move_rows(rows, columns, names)
                deadline.check("cutting into lines")
        if box:  # 0: no line, or no element around the block
            text_mass[box] = text_mass.get(box, 0) + mass
        parts.clear()
        link_chars = hidden_chars = 0

    node = root
    while node is not None:
        tag = node.tag or "-"  # a processing instruction (<?php ... ?>) has none: not an element
        text = None
        if tag == "-text":
            text = node.text_content or ""
        elif tag in INVISIBLE_TAGS or tag.startswith("-"):
            pass
        elif len(tags) >= max_depth:
            # Below MAX_DEPTH an element is flattened into its ancestor's line, text and all;
            # a block element's text is a separate word there, as it was a separate line.
            text = node.text(separator=" ") or ""
            if tag in BLOCK_TAGS:
                text = f" {text} "
        else:
            is_block = tag in BLOCK_TAGS
            if is_block and parts:
                flush()
            serial += 1
            if not serial % ELEMENTS_PER_CHECK:
                deadline.check("cutting into lines")
            child = node.first_child
            if child is not None:  # open it; a childless element can only end a line
                if is_block:
                    blocks.append(len(tags))
                attributes = node.attributes
                element_tokens = _tokens(attributes) if attributes else ""
                if attributes and _is_hidden(attributes):
                    hidden.append(len(tags))
                    pruned.append(len(tags))
                elif tag in _PRUNED_TAGS:
                    pruned.append(len(tags))
                if element_tokens and tag not in _PAGE_TAGS:
                    names_boilerplate = boilerplate_names.get(element_tokens)
                    if names_boilerplate is None:
                        names_boilerplate = boilerplate_names[element_tokens] = PRUNED_NAMES.search(element_tokens) is not None
                    if names_boilerplate:
                        named.append(len(tags))
                if attributes and (role := attributes.get("role")):
                    roles.append((len(tags), role))
                if tag in _SECTION_TAGS:
                    sections.append(len(tags))
                tokens.append(element_tokens)
                links += tag == "a"
                tags.append(tag)
                serials.append(serial)
                nodes.append(node)
                node = child
                continue
        # Whitespace before a line's first text changes nothing in it: leaving it out saves
        # flushing a line of nothing at every block boundary of indented HTML.
        if text and (parts or not text.isspace()):
            parts.append(text)
            if links or hidden:
                chars = len(text.strip())
                if links:
                    link_chars += chars
                if hidden:
                    hidden_chars += chars
        # On to the next sibling, closing the open elements that have none. The root's own
        # siblings are not part of the walk.
        following = node.next if nodes else None
        while following is None and nodes:
            node = nodes.pop()
            tag = tags[-1]
            if tag in BLOCK_TAGS:
                if parts:
                    flush()
                blocks.pop()
            tags.pop()
            tokens.pop()
            closed = serials.pop()
            if closed in text_mass:  # only an element with text inside can be the main one
                last_inside[closed] = serial
                if serials:
                    text_mass[serials[-1]] = text_mass.get(serials[-1], 0) + text_mass[closed]
            if hidden and hidden[-1] == len(tags):
                hidden.pop()
            if pruned and pruned[-1] == len(tags):
                pruned.pop()
            if named and named[-1] == len(tags):
                named.pop()
            if roles and roles[-1][0] == len(tags):
                roles.pop()
            if sections and sections[-1] == len(tags):
                sections.pop()
            links -= tag == "a"
            following = node.next if nodes else None
        node = following
    if parts:
        flush()
    _move_rows(rows, columns, names)
    return columns, names, text_mass, last_inside


def _move_rows(rows: list[tuple], columns: dict, names: dict[tuple, int]) -> None:
    """Moves the rows of `_walk` into its columns, a part of each: their texts as one string,
    their names as an array of codes (names not seen before get the next codes), their counts,
    flags and ids as an array; their lines as written onto a list. A PageError once the
    columns hold more than MAX_PAGE_LINES lines."""
    if not rows:
        return
    columns["names"].append(np.fromiter([names.setdefault(row[_NAMES], len(names)) for row in rows], np.int32, len(rows)))
    for name, values in zip(ROW_FIELDS, zip(*rows)):
        if name == "text":
            columns[name].append(_LINE_SEPARATOR.join(values))
        elif name in _NAME_FIELDS:
            continue
        elif name in _ARRAY_FIELDS:
            columns[name].append(np.asarray(values, dtype=_WALK_TYPES[name]))
        else:
            columns[name].extend(values)
    rows.clear()
    _check_lines(sum(map(len, columns["box1"])))


def _unpack_walk_columns(columns: dict, names: dict[tuple, int]) -> None:
    """The parts of `_walk`'s columns as one list or array each, once the tree is freed: the
    texts and names as Python strings again."""
    columns["text"] = [text for part in columns["text"] for text in part.split(_LINE_SEPARATOR)]
    codes = np.concatenate(columns.pop("names") or [np.zeros(0, np.int32)])
    table = list(zip(*names)) or [()] * len(_NAME_FIELDS)  # each field's names, in the order of their codes
    for name, values in zip(_NAME_FIELDS, table):
        columns[name] = np.array(values, dtype=object)[codes]
    for name in _ARRAY_FIELDS:
        columns[name] = np.concatenate(columns[name] or [np.zeros(0, _WALK_TYPES[name])])


NO_MAIN = (1, 0)  # an empty span of ids: no line is inside


def main_element(text_mass: dict[int, int], last_inside: dict[int, int]) -> tuple[int, int]:
    """The first and last ids of the deepest element that holds more than half of the
    page's text outside links, where an article's text is (readability and trafilatura
    look for it too): sidebars, teasers and category lists beside it are boilerplate on
    news pages (52% of the model's wrong lines on ScrapingHub are outside it, 4% of its
    right ones). Its ancestors hold more, so the deepest is the one with the largest id."""
    total = max(text_mass.values(), default=0)  # the outermost element holds all of it
    main = max((element for element, mass in text_mass.items() if mass * 2 > total), default=None)
    return NO_MAIN if main is None else (main, last_inside[main])


# A page that says it is an article (`past_article_end`): a schema.org type of article or blog
# post in JSON-LD or microdata, or Open Graph's og:type "article" (read from the <meta> tag
# around "og:type").
# Each starts with a literal, and is tried only where `str.find` finds that: a pattern starting
# at a quote was tried at every quote of the page, 3 ms a page; the regular expression engine's
# own search for the literal took three times as long as `find`.
_SCHEMA_ARTICLES = (
    # One run of whitespace on each side of the "[": two in a row took the square of its length.
    ("@type", re.compile(r"""@type["']\s*:\s*(?:\[\s*)?["']\w{0,40}(?:Article|BlogPosting)["']""")),
    ("schema.org/", re.compile(r"""schema\.org/\w{0,40}(?:Article|BlogPosting)\b""")),
)
_OG_ARTICLE = re.compile(r"""content=["']?article(?:$|[\s"'/>])""", re.IGNORECASE)
MAX_TAG_CHARS = 500  # a <meta> tag longer than this is not read
MAX_OG_TYPES = 16  # nor an og:type after this many: a page has one


def declares_article(html: str) -> bool:
    """Whether the page declares itself an article (og:type, or a schema.org type)."""
    if any(_matches_at(html, literal, pattern) for literal, pattern in _SCHEMA_ARTICLES):
        return True
    at = html.find("og:type")
    for _ in range(MAX_OG_TYPES):
        if at < 0:
            return False
        opened = html.rfind("<", max(at - MAX_TAG_CHARS, 0), at)
        closed = html.find(">", at, at + MAX_TAG_CHARS)
        if opened >= 0 and closed >= 0 and _OG_ARTICLE.search(html, opened, closed + 1):
            return True
        at = html.find("og:type", at + 1)
    return False


def _matches_at(html: str, literal: str, pattern: re.Pattern) -> bool:
    """`pattern.search(html)`, for a pattern whose every match starts with `literal`."""
    at = html.find(literal)
    while at >= 0:
        if pattern.match(html, at):
            return True
        at = html.find(literal, at + 1)
    return False


# Readability's paragraphs: blocks of these tags with at least this many characters, each
# scored 2 + its commas + a point per 100 characters (at most 3).
PROSE_TAGS = ("p", "pre", "td", "div")
MIN_PROSE_CHARS = 25
# A sibling of the prose element joins it at this share of its score, and at least this score.
PROSE_SIBLING_SHARE = 0.2
MIN_PROSE_SIBLING_SCORE = 10.0


def prose_element(columns: dict, chars: np.ndarray, last_inside: dict[int, int]) -> tuple[np.ndarray, int] | None:
    """Whether each line is inside the page's prose element, found as Readability finds an
    article; None for a page without one. A paragraph counts fully toward its parent and half
    toward its grandparent, so an element whose own paragraphs are the story outscores a grid
    of cards or a thread of comments of more words, whose paragraphs each sit in an element of
    their own (where `main_element` and `article_element`, which count all the words inside,
    take the grid). Its score is cut by its share of link text; its siblings of at least a
    fifth of its score (and MIN_PROSE_SIBLING_SCORE) join it. Also gives the id of its parent.
    `chars`: each line's length."""
    texts, box1, box2, box3 = columns["text"], columns["box1"], columns["box2"], columns["box3"]
    n = len(texts)
    paragraph = np.isin(columns["tag"], PROSE_TAGS) & (chars >= MIN_PROSE_CHARS) & (box1 > 0)
    points = 2 + np.fromiter((text.count(",") for text in texts), np.int64, n) + np.minimum(chars / 100, 3)
    # Pruned paragraphs (a hidden copy, a comment thread) are left out; where hidden ones hold
    # most of the page's prose (a page whose text a script reveals), the story cannot be told.
    if points[paragraph & columns["hidden"]].sum() * 2 > points[paragraph].sum():
        return None
    paragraph &= ~columns["pruned"]
    scores = {}
    for parent, grandparent, score in zip(box1[paragraph].tolist(), box2[paragraph].tolist(), points[paragraph].tolist()):
        scores[parent] = scores.get(parent, 0.0) + score
        if grandparent:
            scores[grandparent] = scores.get(grandparent, 0.0) + score / 2
    if not scores:
        return None
    elements = np.fromiter(scores, np.int64, len(scores))
    lasts = np.array([last_inside[element] for element in elements.tolist()], np.int64)
    chars_inside, links_inside = sums_inside(box1, elements, lasts, chars, columns["link_chars"])
    score = np.fromiter(scores.values(), float, len(scores)) * (1 - links_inside / np.maximum(chars_inside, 1))
    best = int(np.argmax(score))
    parent_of = dict(zip(box2.tolist(), box3.tolist())) | dict(zip(box1.tolist(), box2.tolist()))
    parent = parent_of.get(int(elements[best]), 0)
    joins = score >= max(MIN_PROSE_SIBLING_SCORE, PROSE_SIBLING_SHARE * score[best])
    joins &= np.array([bool(parent) and parent_of.get(element) == parent for element in elements.tolist()])
    joins[best] = True
    # Siblings' spans of ids do not overlap: a line is inside the one that starts last before it.
    starts, ends = elements[joins], lasts[joins]
    order = np.argsort(starts)
    starts, ends = starts[order], ends[order]
    span = np.searchsorted(starts, box1, "right") - 1
    return (span >= 0) & (box1 <= ends[np.maximum(span, 0)]), parent


def past_article_end(columns: dict, chars: np.ndarray, last_inside: dict[int, int]) -> np.ndarray:
    """Whether each line comes after the last line of the page's story, on a page that declares
    itself an article (`declares_article`): what follows an article's story is not the article
    (teaser grids, more stories, comment threads, newsletter prompts), and the model, which
    learned from listings and forums where such blocks are the content, kept them on news
    pages. The story is the article element where it holds the prose element (`prose_element`),
    else the prose element; then the lines right after it in the prose element's parent (its
    own last text, a closing paragraph beside it) while they are not links; then the later
    lines of the same kind (tag path and class names, where it has some) as its paragraphs: a
    story cut into several blocks by advertisements goes on in them (Wired's, whose blocks are
    named "paywall": pruned, but not hidden). A hidden line never carries it on. `chars`: each
    line's length."""
    n = len(columns["text"])
    found = prose_element(columns, chars, last_inside)
    if found is None:
        return np.zeros(n, bool)
    prose, parent = found
    story = np.flatnonzero(prose | columns["in_article"] if (prose & columns["in_article"]).any() else prose)
    end = story[-1]
    if parent:
        rest = slice(end + 1, n)
        carries = (columns["box1"][rest] == parent) & ~columns["pruned"][rest] & (columns["link_chars"][rest] * 4 < chars[rest])
        end += len(carries) if carries.all() else int(np.argmin(carries))
    path, attrs = columns["path"], columns["attrs"]
    kinds = {(path[line], attrs[line]) for line in np.flatnonzero(prose & (columns["tag"] == "p") & (attrs != "")).tolist()}
    start = end + 1
    later = [
        line
        for line, kind, hidden in zip(
            range(start, n), zip(path[start:].tolist(), attrs[start:].tolist()), columns["hidden"][start:].tolist()
        )
        if kind in kinds and not hidden
    ]
    return np.arange(n) > (later[-1] if later else end)


def _prune_named(named_box: np.ndarray, text_mass: dict[int, int]) -> np.ndarray:
    """Whether each line is inside a named element (`named_box`) that holds no more than
    NAMED_PRUNE_SHARE of the page's text outside links."""
    total = max(text_mass.values(), default=0)
    boxes = np.unique(named_box[named_box > 0])
    minor = [box for box in boxes.tolist() if text_mass.get(box, 0) <= NAMED_PRUNE_SHARE * total]
    return np.isin(named_box, minor) if minor else np.zeros(len(named_box), bool)


def sums_inside(box1: np.ndarray, elements: np.ndarray, lasts: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    """For each of `values` (one per line), its sum over the lines inside each of `elements`
    (those whose `box1` is from the element's id to its `lasts`), by one sort of the lines."""
    order = np.argsort(box1, kind="stable")
    boxes = box1[order]
    first, last = np.searchsorted(boxes, elements, "left"), np.searchsorted(boxes, lasts, "right")
    sums = []
    for line_values in values:
        before = np.concatenate([[0], np.cumsum(line_values[order])])
        sums.append(before[last] - before[first])
    return sums


def article_element(box1: np.ndarray, mass: np.ndarray, text_mass: dict[int, int], last_inside: dict[int, int]) -> tuple[int, int]:
    """The first and last ids of the page's article element: `main_element` of the lines'
    `mass` (their text outside links, 0 for pruned lines), which leaves a comment thread, a
    teaser grid or a hidden copy beside the article out of the count."""
    elements = np.array([element for element in text_mass if element in last_inside], dtype=np.int64)
    if not len(elements) or not mass.any():
        return NO_MAIN
    lasts = np.array([last_inside[element] for element in elements.tolist()], dtype=np.int64)
    (inside,) = sums_inside(box1, elements, lasts, mass)
    candidates = elements[inside * 2 > mass.sum()]
    if not len(candidates):
        return NO_MAIN
    article = int(candidates.max())  # the deepest: its ancestors hold more
    return article, last_inside[article]


def _is_hidden(attributes: dict) -> bool:
    """Hidden by the `hidden` attribute, aria-hidden or an inline display:none style."""
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = attributes.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _tokens(attributes: dict) -> str:
    """An element's class and id tokens, space separated."""
    classes, ident = attributes.get("class"), attributes.get("id")
    return f"{classes} {ident}" if classes and ident else classes or ident or ""


def _line_rows(raw, tags, tokens, roles, sections, serials, blocks, link_chars, hidden, pruned, named_box, line_names) -> Iterable[tuple]:
    """The rows of one line: the text `raw` collected inside the open elements `tags`, its
    names made by `line_names`. A `<pre>` block gives a row per line it holds, made as they are
    asked for."""
    at = blocks[-1] if blocks else 0  # the line's block: its nearest block ancestor
    block = sys.intern(tags[at]) if tags else "body"
    if block == "pre":  # preformatted blocks (code) keep their own line breaks, and indentation
        _check_text_lines(raw, "\n")  # counted before they are made, which would hold them all
    elif not (text := _collapse_spaces(raw)):  # HTML's own whitespace is markup
        return ()
    path, attrs, line_roles, line_sections = line_names.of(serials, tags, tokens, roles, sections)
    depth = len(tags)
    # The elements around the block: text density of these is what boilerpipe judges by.
    box1 = serials[at - 1] if at >= 1 else 0
    box2 = serials[at - 2] if at >= 2 else 0
    box3 = serials[at - 3] if at >= 3 else 0
    if block != "pre":  # the usual line, which has all the link characters to itself
        return (
            (
                text,
                block,
                path,
                attrs,
                line_roles,
                line_sections,
                min(link_chars, len(text)),
                depth,
                hidden,
                pruned,
                False,
                box1,
                box2,
                box3,
                named_box,
                "",
            ),
        )
    # A <pre> cut into lines, each with its share of the link characters; one at a time, as
    # a long block held all their rows and pieces at once.
    link_share = link_chars / max(sum(len(text) for text, _ in _pre_lines(raw)), 1) if link_chars else 0.0
    return (
        (
            text,
            block,
            path,
            attrs,
            line_roles,
            line_sections,
            min(round(link_share * len(text)), len(text)),
            depth,
            hidden,
            pruned,
            False,
            box1,
            box2,
            box3,
            named_box,
            written,
        )
        for text, written in _pre_lines(raw)
    )


# A page's lines get at most this many characters of names (path, attrs, roles) made for them in
# all, per character of the page and beyond it: each line repeats its ancestors' names, and a
# page with long class names around each of many lines took memory of their product. Every
# benchmark page keeps well within it.
NAME_CHARS_PER_PAGE_CHAR = 1
NAME_CHARS_PER_PAGE = 2_000_000


class _LineNames:
    """The names of a page's lines (path, attrs, roles, sections), made once for the lines of
    one element in a row, `budget` characters of them at most (and the names of the line that
    spends it): past it, a line's path, attrs and roles are left empty, and neither memory nor
    time grows with its ancestors' names."""

    def __init__(self, budget: int):
        self.chars_left = budget
        self.element = None  # the innermost open element of the last names made
        self.names = None

    def of(self, serials, tags, tokens, roles, sections) -> tuple[str, str, str, str]:
        element = serials[-1] if serials else 0
        if element != self.element:
            self.element, self.names = element, self._made(tags, tokens, roles, sections)
        return self.names

    def _made(self, tags, tokens, roles, sections) -> tuple[str, str, str, str]:
        line_sections = sys.intern(" ".join([tags[position] for position in sections]))
        if self.chars_left < 0:
            return "", "", "", line_sections
        path = " ".join(tags[-PATH_ANCESTORS:])
        attrs = " ".join(filter(None, tokens[-ATTR_ANCESTORS:])).lower()
        line_roles = " ".join([role for _, role in roles]).lower()
        self.chars_left -= len(path) + len(attrs) + len(line_roles)
        # Interned: the cells of one table share a path and classes, and a page of many cells
        # kept a copy of each per line.
        return sys.intern(path), sys.intern(attrs), sys.intern(line_roles), line_sections


_PRE_LINE = re.compile(r"[^\n]+")


def _pre_lines(raw: str) -> Iterator[tuple[str, str]]:
    """The lines of a `<pre>` block's text that hold more than whitespace: (collapsed, as written)."""
    for match in _PRE_LINE.finditer(raw):
        if text := _collapse_spaces(piece := match.group()):
            yield text, _as_written(piece, text)


def _as_written(raw: str, text: str) -> str:
    """`raw`, the line as the page wrote it, less the whitespace it ends with; "" when that is
    `text`, its collapsed text (most lines), so that most lines keep no second copy."""
    written = raw.rstrip()
    return "" if written == text else written


def _collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at the ends. `str.split` takes the same characters
    for whitespace as `\\s`, faster than the regular expression (which lists the
    pieces it joins too), but a list of every word of a long line takes much memory: long texts
    are collapsed a piece at a time."""
    if len(text) <= LONG_TEXT_CHARS:
        return " ".join(text.split())
    # Piece by piece; a word cut between two pieces is joined again without a space.
    collapsed, space_before = [], False
    for start in range(0, len(text), COLLAPSE_PIECE_CHARS):
        piece = text[start : start + COLLAPSE_PIECE_CHARS]
        words = " ".join(piece.split())
        if words:
            collapsed.append(" " + words if collapsed and (space_before or piece[0].isspace()) else words)
        space_before = piece[-1].isspace() or (space_before and not words)
    return "".join(collapsed)


def cut_for_scoring(lines, texts: list[str]):
    """`lines` (whose texts are `texts`) with each text cut to MAX_LINE_CHARS, as the model
    reads them: a very long line costs no more to score than a long paragraph. The cleaned text
    keeps each line whole."""
    limit = settings.limit("MAX_LINE_CHARS")
    if max(map(len, texts), default=0) <= limit:
        return lines
    cut = typed_column("text", [text[:limit] for text in texts], len(texts))
    return lines.assign(text=cut, link_chars=np.minimum(np.asarray(lines["link_chars"]), limit))
