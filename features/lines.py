"""Lines to feature rows, with numpy alone: the hand-crafted signals (`LineSignals`), the
structure tokens, and the term counts that TF-IDF weighs.

The lines are `boilerline.segment.Lines` (or, in training, a pandas frame of the same
columns), with a `page` column so that neighbouring lines are looked up within their own
page only (rows of a page are contiguous and in page order). The scikit-learn transformers
that training fits around these are in `boilerline.estimators`.
"""

import re
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache, wraps
from itertools import chain, islice

import numpy as np
import scipy.sparse as sp

from .segment import SECTION_TAGS, compiled_in_use

# Scripts written without spaces between words (Chinese, Japanese): each character of them
# is counted as a word by the hand-crafted signals and the per-page threshold, so that a
# sentence of them reads as one of many words, as it does in languages with spaces.
_UNSPACED = "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d\U00020000-\U0003134f"
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
COUNTED_WORD = re.compile(f"(?=\\w)[{_UNSPACED}]|[^\\W{_UNSPACED}]+")  # a word, for counts here and in the per-page threshold
_SPLIT_ATTR = re.compile(r"[^a-z]+")
# Words cut from one class/id token, at most: real names have up to 26 (400 WCXB pages), and a
# generated name repeating a word 3,000 times had made 38 MB of tokens for a 0.1 MB page.
MAX_WORDS_OF_ATTR_TOKEN = 64
# Phrases of legal notices, consent banners and disclaimers, which read like prose: of the
# WCXB dev lines that hold one, 0-15% are content, against 33% of all lines. Phrases that
# are content as often as other lines ("liability", "terms and conditions", "automatically
# generated") are left out.
NOTICE_PHRASES = (
    "cookie",
    "privacy policy",
    "privacy statement",
    "terms of use",
    "terms of service",
    "all rights reserved",
    "©",
    "you agree",
    "by continuing",
    "consent",
    "opt out",
    "opt-out",
    "accept all",
    "your browser",
    "not responsible",
    "disclaimer",
    "we may earn",
    "legal notice",
    "opinions expressed",
    "views expressed",
    "for informational purposes",
)

BOXES = ("box1", "box2", "box3")  # the elements around a line's block, innermost first
BLOCK_KINDS = ("h", "p", "li", "td", "div", "pre", "a", "button", "dt", "dd", "text")
# The ARIA roles that say the same of any element (`<div role="navigation">`), and of modals
# (`dialog`: cookie banners, sign-up boxes), search boxes and menus, which no HTML5 tag marks
# on most pages. On WCXB dev, 398 pages use role="navigation", 289 role="dialog".
ROLE_NAMES = ("navigation", "banner", "contentinfo", "complementary", "main", "article", "dialog", "search", "menu")
# The signals neighbours contribute (boilerpipe and jusText both judge a block by its neighbours).
CONTEXT_COLUMNS = ("log_chars", "link_share", "ends_sentence", "stopword_share", "punct_share")
# The signals other signals are made from (boxes, neighbours, windows), kept as float64.
_SOURCE_COLUMNS = frozenset({"_chars", "_words", *CONTEXT_COLUMNS})


def _kind_number(tag: str) -> int:
    """The place of the block kind of `tag` in BLOCK_KINDS; -1 for a tag of none of them."""
    if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
        return BLOCK_KINDS.index("h")
    kind = {"th": "td", "label": "button", "figcaption": "p", "blockquote": "p"}.get(tag, tag)
    return BLOCK_KINDS.index(kind) if kind in BLOCK_KINDS else -1


def moved_lines(pages: np.ndarray, offset: int, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """For each line of `rows` (a slice of the lines), the line `offset` lines
    before it (after it, for a negative offset), clipped to the lines, and whether that line
    is of its page: what `shift_within_pages` moves, found once for all the columns moved."""
    start, stop = rows.start, min(rows.stop, len(pages))
    if start >= stop:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    at = np.arange(start - offset, stop - offset)
    inside = (at >= 0) & (at < len(pages))
    at = np.clip(at, 0, len(pages) - 1)
    return at, inside & (pages[at] == pages[start:stop])


def shift_within_pages(values: np.ndarray, moved: tuple[np.ndarray, np.ndarray], fill: float = 0.0) -> np.ndarray:
    """values moved as `moved` (`moved_lines`) says, `fill` across page edges, as float64."""
    at, same = moved
    return np.where(same, values[at], fill).astype(float, copy=False)


class LineSignals:
    """Shallow, language-light signals of each line and of its neighbours, as rows of
    `feature_names` (all of `names()` unless a model file names fewer).

    stopwords: lowercase stopwords (jusText's lists), whose share marks running prose;
    context: how many lines before and after contribute their signals; html: whether the
    HTML-only signals (link share, block kind, depth, hidden...) are made.
    """

    def __init__(self, stopwords: frozenset = frozenset(), context: int = 2, html: bool = True, feature_names=None):
        self.stopwords = frozenset(stopwords)
        self.context = context
        self.html = html
        self.feature_names = list(self.names() if feature_names is None else feature_names)

    def names(self) -> list[str]:
        """The names of every signal, in the order of the rows."""
        own = [
            "log_chars",
            "log_words",
            "mean_word_len",
            "ends_sentence",
            "starts_upper",
            "bullet",
            "punct_share",
            "digit_share",
            "upper_share",
            "stopword_share",
            "position",
            "log_repeats",
            "later_copy",
            "log_page_lines",
            "blank_before",
            "pipe_count",
        ]
        if self.html:
            own += ["link_share", "log_depth", "hidden", "in_main", "pruned", "in_article", "after_article", "log_alike_boxes"]
            own += ["copied_share"]
            own += [f"kind_{k}" for k in BLOCK_KINDS]
            own += [f"inside_{tag}" for tag in SECTION_TAGS] + [f"role_{role}" for role in ROLE_NAMES]
        else:
            own += ["notice_phrases"]
        context = [f"{c}_{o:+d}" for o in self._offsets() for c in self._context_columns()]
        boxes = [f"{box}_{name}" for box in self._boxes() for name in self._box_signal_names()]
        return own + context + ["window_log_chars", "window_ends_sentence"] + boxes

    def _context_columns(self):
        return [c for c in CONTEXT_COLUMNS if self.html or c != "link_share"]

    def _boxes(self):
        return BOXES if self.html else BOXES[:1]

    def _box_signal_names(self):
        names = ["log_chars", "log_lines", "ends_sentence", "stopword_share", "share_of_page"]
        return names + ["link_share"] if self.html else names

    def _offsets(self):
        return [o for o in range(-self.context, self.context + 1) if o]

    def transform(self, X):
        return self.rows_of(self.page_signals(X), slice(0, len(X)))

    def page_signals(self, X) -> dict:
        """What `rows_of` makes any rows of `transform(X)` from: each line's own signals (as
        float32, flags as bool), the columns that its neighbours' and elements' signals are
        made from (float64, flags as bool), and its elements' signals. Together about half
        the bytes of the float32 rows: a page of many lines is scored a few thousand rows at
        a time from them, and never holds all its rows at once."""
        wanted = set(self.feature_names)
        own, sources = {}, {}
        for name, values in self._own_signals(X):
            if name in wanted:
                own[name] = values if values.dtype == bool else values.astype(np.float32)
            if name in _SOURCE_COLUMNS:
                sources[name] = values
        boxes = {}
        for box, line_box, by_box, share_of_page in self._box_signals(X, sources):
            boxes[box] = (line_box, by_box)
            own[f"{box}_share_of_page"] = share_of_page.astype(np.float32)
        return {"pages": np.asarray(X["page"]), "own": own, "sources": sources, "boxes": boxes}

    def rows_of(self, signals: dict, rows: slice) -> np.ndarray:
        """Rows `rows` of `transform(X)`, made from `page_signals(X)`."""
        n = len(range(*rows.indices(len(signals["pages"]))))
        block = np.empty((n, len(self.feature_names)), dtype=np.float32)
        column_of = {name: j for j, name in enumerate(self.feature_names)}
        for name, values in signals["own"].items():
            block[:, column_of[name]] = values[rows]
        for box, (line_box, by_box) in signals["boxes"].items():
            at = line_box[rows]
            for name, values in by_box.items():
                block[:, column_of[f"{box}_{name}"]] = values[at]
        for name, values in self._context_signals(signals["pages"], signals["sources"], rows):
            block[:, column_of[name]] = values
        return block

    def _context_signals(self, pages: np.ndarray, sources: dict, rows: slice):
        """The neighbours' signals, one column at a time, and the mean of the window of lines."""
        moved = {offset: moved_lines(pages, offset, rows) for offset in self._offsets()}
        for offset in self._offsets():
            for name in self._context_columns():
                yield f"{name}_{offset:+d}", shift_within_pages(sources[name], moved[offset])
        for name in ("log_chars", "ends_sentence"):
            window = sum(shift_within_pages(sources[name], moved[offset]) for offset in self._offsets())
            yield f"window_{name}", (window + sources[name][rows]) / (2 * self.context + 1)

    def _box_signals(self, X, sources: dict):
        """Signals of the element around each line (all its lines together): text density,
        links. For each box: the element of each line, the signals of each element by name,
        and the share of the page's characters in the line's element."""
        pages = np.asarray(X["page"]).astype(np.int64, copy=False)
        chars, words = sources["_chars"], sources["_words"]
        page_chars = group_sum(pages, chars)
        for box in self._boxes():
            line_box, _ = group_index(pair_keys(pages, np.asarray(X[box])))
            box_chars, box_words = np.bincount(line_box, weights=chars), np.bincount(line_box, weights=words)
            safe_chars = np.maximum(box_chars, 1)
            by_box = {
                "log_chars": np.log1p(box_chars),
                "log_lines": np.log1p(np.bincount(line_box).astype(float)),
                "ends_sentence": np.bincount(line_box, weights=sources["ends_sentence"] * chars) / safe_chars,
                "stopword_share": np.bincount(line_box, weights=sources["stopword_share"] * words) / np.maximum(box_words, 1),
            }
            if self.html:
                by_box["link_share"] = np.bincount(line_box, weights=np.asarray(X["link_chars"], float)) / safe_chars
            yield box, line_box, by_box, box_chars[line_box] / np.maximum(page_chars, 1)

    def _own_signals(self, X):
        """The line's own signals, as (name, column) pairs; names starting with _ are only sources."""
        # The page-level signals first, while few columns are alive: grouping a page's lines
        # holds memory of its own.
        n = len(X)
        pages = np.asarray(X["page"])
        texts = X["text"].tolist()
        yield "position", np.asarray(X["position"], float)
        yield "log_repeats", np.log1p(np.asarray(X["repeats"], float))
        yield "later_copy", _later_copies(pages, texts, np.asarray(X["repeats"]))
        yield "log_page_lines", np.log1p(group_sum(pages, np.ones(n)))
        yield "blank_before", np.asarray(X["blank_before"], bool)
        chars = np.fromiter(map(len, texts), float, n)
        yield "_chars", chars
        yield "log_chars", np.log1p(chars)
        kept = {}  # the lines' lowercased words, made once for character_counts and copied_share
        counts = character_counts(texts, self.stopwords, kept)
        n_words = counts["words"].astype(float)
        yield "_words", n_words
        yield "log_words", np.log1p(n_words)
        yield "mean_word_len", counts["word_chars"] / np.maximum(n_words, 1)
        yield "stopword_share", counts["stopwords"] / np.maximum(n_words, 1)
        yield "ends_sentence", counts["ends_sentence"].copy()
        yield "starts_upper", counts["starts_upper"].copy()
        yield "bullet", counts["bullet"].copy()
        yield "punct_share", counts["punct"] / np.maximum(chars, 1)
        yield "digit_share", counts["digits"] / np.maximum(chars, 1)
        yield "upper_share", counts["upper"] / np.maximum(chars, 1)
        yield "pipe_count", counts["pipes"].astype(float)
        del counts  # 31 bytes a line: the flags below can take its place
        if self.html:
            yield "link_share", np.asarray(X["link_chars"], float) / np.maximum(chars, 1)
            yield "log_depth", np.log1p(np.asarray(X["depth"], float))
            yield "hidden", np.asarray(X["hidden"], bool)
            yield "in_main", np.asarray(X["in_main"], bool)
            yield "pruned", np.asarray(X["pruned"], bool)
            yield "in_article", np.asarray(X["in_article"], bool)
            yield "after_article", np.asarray(X["after_article"], bool)
            yield "log_alike_boxes", np.log1p(alike_boxes(X))
            yield "copied_share", copied_share(pages, texts, kept)
            tag_of_line, tags = factorize(X["tag"])
            kind_of_line = np.array([_kind_number(tag) for tag in tags], dtype=np.int8)[tag_of_line]
            del tag_of_line  # 8 bytes a line, while the flags are made
            for number, kind in enumerate(BLOCK_KINDS):
                yield f"kind_{kind}", kind_of_line == number
            # The structure tokens see only the 4 nearest ancestors, and most lines inside a <nav>
            # have it further out.
            yield from _word_flags(X["sections"], SECTION_TAGS, "inside_")
            yield from _word_flags(X["roles"], ROLE_NAMES, "role_")
        else:
            # Plain text only: the HTML model's structure tokens already name consent banners
            # and footers, and these phrases made it no better out of fold.
            yield "notice_phrases", notice_counts(texts)


def alike_boxes(X) -> np.ndarray:
    """For each line, how many elements of its page hold lines of the same block tag, path and
    classes as it: a teaser grid or a list of more stories repeats one card in many elements,
    where an article's paragraphs share the one element around them."""
    pages = np.asarray(X["page"]).astype(np.int64, copy=False)
    shape = pages
    for column in ("tag", "path", "attrs"):
        codes, uniques = factorize(X[column])
        shape, _ = group_index(pair_keys(shape, codes))
    distinct, _ = group_index(pair_keys(shape, np.asarray(X["box1"])))
    first_of_each = np.unique(distinct, return_index=True)[1]
    return np.bincount(shape[first_of_each], minlength=shape.max(initial=-1) + 1)[shape].astype(float)


def copied_share(pages: np.ndarray, texts: list[str], kept: dict | None = None) -> np.ndarray:
    """For each line, the share of its word pairs that an earlier line of its page already
    holds: a hidden second copy of an article, a teaser repeating the standfirst. Pages of
    more than CHARACTER_CHUNK characters are compared a chunk of lines at a time. `kept`: as
    for `character_counts`."""
    share = np.zeros(len(texts))
    for rows in _page_character_chunks(pages, texts):
        share[rows] = _chunk_copied_share(pages[rows], _kept_lowered_words(texts, rows, kept))
    return share


def _page_character_chunks(pages: np.ndarray, texts: list[str]) -> Iterator[slice]:
    """Runs of whole pages of about CHARACTER_CHUNK characters, and each page of more cut into
    runs of its own lines from its first (`_character_chunks`): where a page's lines are cut
    never depends on the pages scored with it (cut across pages, a page scored after another
    in `score_pages` had compared other lines than scored alone)."""
    firsts = np.flatnonzero(np.r_[True, pages[1:] != pages[:-1]]) if len(pages) else np.zeros(0, np.int64)
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)  # of each line, its separator included
    start = 0  # the first line of the run being filled
    for first, stop in zip(firsts.tolist(), [*firsts[1:].tolist(), len(texts)]):
        before = ends[first - 1] if first else 0
        if ends[stop - 1] - before > CHARACTER_CHUNK:  # a large page: runs of its own
            if start < first:
                yield slice(start, first)
            yield from (slice(first + rows.start, first + rows.stop) for rows in _character_chunks(texts[first:stop]))
            start = stop
        elif start < first and ends[stop - 1] - (ends[start - 1] if start else 0) > CHARACTER_CHUNK:
            yield slice(start, first)
            start = first
    if start < len(texts):
        yield slice(start, len(texts))


def _chunk_copied_share(pages: np.ndarray, words: "LoweredWords") -> np.ndarray:
    n = len(pages)
    if len(words.hashes) < 2:
        return np.zeros(n)
    line_of_word = words.line_of_word
    in_line = line_of_word[1:] == line_of_word[:-1]  # pairs of words of one line
    pairs = words.hashes[:-1][in_line] * _HASH_BASE + words.hashes[1:][in_line]  # wraps around mod 2**64, as the hashes do
    line_of_pair = line_of_word[1:][in_line]
    seen = duplicated(pairs ^ pages[line_of_pair].astype(np.uint64) * np.uint64(0x632BE59BD9B4E019))
    return np.bincount(line_of_pair, weights=seen, minlength=n) / np.maximum(np.bincount(line_of_pair, minlength=n), 1)


def _word_flags(column, words: tuple, prefix: str):
    """(prefix + word, whether the line's space-separated `column` holds the word) for each
    word; worked out once per distinct value, as the lines of a page share a few dozen."""
    value_of_line, values = factorize(column)
    held = [frozenset(value.split()) for value in values]
    for word in words:
        yield prefix + word, np.array([word in value for value in held], dtype=bool)[value_of_line]


def factorize(values) -> tuple[np.ndarray, list]:
    """Each value's number, from 0 in the order first seen, and the distinct values: for the
    strings of a few columns, whose lines share a few dozen values (a dict, not a sort)."""
    # The distinct values by dict.fromkeys and each row's by a bound __getitem__: both in C,
    # as fast as pandas' factorize (a Python loop took two and a half times as long).
    number_of = {value: number for number, value in enumerate(dict.fromkeys(values))}
    return np.fromiter(map(number_of.__getitem__, values), np.int64, len(values)), list(number_of)


def duplicated(values: np.ndarray) -> np.ndarray:
    """Whether each value is one seen at an earlier row."""
    if values.dtype.kind in "iu" and (compiled := _compiled_counts()) is not None:  # integers: the same as their uint64s
        return compiled.duplicated(np.ascontiguousarray(values).astype(np.uint64, copy=False))
    seen = np.ones(len(values), dtype=bool)
    seen[np.unique(values, return_index=True)[1]] = False
    return seen


def pair_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One integer per row for the pair (first, second) of non-negative integers, as small as the
    pairs allow: a line's page and element make keys within a few times its lines (`group_index`)."""
    width = int(second.max(initial=0)) + 1
    return first.astype(np.int64) * width + second


def group_index(groups: np.ndarray) -> tuple[np.ndarray, int]:
    """Each row's group (of non-negative integers) as a number from 0, in the groups' order,
    and the number of groups. Where the groups' values span a few times as many numbers as
    there are rows (pages, elements), a table of that span numbers them; else a sort, which
    holds about 30 bytes a row more (+19 MB on a 10 MB page of 674,000 table cells)."""
    if not len(groups):
        return np.zeros(0, np.int32), 0
    low, span = int(groups.min()), int(groups.max()) - int(groups.min()) + 1
    if span > 4 * len(groups) + 65_536:
        distinct, inverse = np.unique(groups, return_inverse=True)
        return inverse.astype(np.int32).ravel(), len(distinct)  # a page has fewer lines: half the bytes of int64 kept
    present = np.zeros(span, dtype=bool)
    present[groups - low] = True
    number = np.cumsum(present, dtype=np.int32) - 1
    return number[groups - low], int(number[-1]) + 1


def group_sum(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each row, the sum of `values` over the rows of its group."""
    inverse, n_groups = group_index(groups)
    return np.bincount(inverse, weights=values, minlength=n_groups)[inverse]


def group_means(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of `values` over the rows of each group, and each row's group (`group_index`):
    `means[group_of_row]` gives each row its group's, for a few rows at a time where there are many."""
    inverse, n_groups = group_index(groups)
    return np.bincount(inverse, weights=values, minlength=n_groups) / np.bincount(inverse, minlength=n_groups), inverse


def group_maxima(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest of `values` over the rows of each group, and each row's group (as `group_means`)."""
    inverse, n_groups = group_index(groups)
    largest = np.full(n_groups, -np.inf)
    np.maximum.at(largest, inverse, values)
    return largest, inverse


def _later_copies(pages: np.ndarray, texts: list[str], repeats: np.ndarray) -> np.ndarray:
    """True for a line whose text already appeared higher on its page. A caption or teaser
    repeated on a page is content at most once: the first of 3,904 repeated WCXB lines of
    8+ words is content in 47% of pages, a later copy in 15%."""
    later = np.zeros(len(texts), dtype=bool)
    repeated = np.flatnonzero(repeats > 0)  # only lines whose text the page has twice can be copies
    text_codes, _ = factorize([texts[row] for row in repeated.tolist()])
    later[repeated] = duplicated(pair_keys(pages[repeated], text_codes))
    return later


# What the hand-crafted signals read of a character, one bit each, as the regular expressions
# they stand for read it: \w (str.isalnum() or "_"), \s (str.isspace()), \d (str.isdecimal()).
_WORD_CHAR, _SPACE, _DIGIT, _UPPER, _IS_UPPER, _SENTENCE_END, _BULLET, _UNSPACED_WORD = (1 << bit for bit in range(8))
_NOT_SEEN = 1 << 8
_UPPER_RANGES = (("A", "Z"), ("À", "Ý"))  # the upper case counted by upper_share
_SENTENCE_END_CHARS = frozenset(".!?…:;\"'”’)。！？．｡」』）：；")  # a line ending in one reads as a sentence
_BULLET_CHARS = frozenset("•·-*–—►▶✓✔")  # a line starting with one and a space is a list item
# Each code point's bits, found the first time a page has it: most pages reuse a few hundred.
_CHARACTER_BITS = np.full(sys.maxunicode + 1, _NOT_SEEN, dtype=np.uint16)
# Characters per pass of character_counts (whole lines, one at least): its arrays take about
# 20 bytes a character.
CHARACTER_CHUNK = 500_000
_COUNTS = np.dtype(
    [(name, np.int32) for name in ("words", "word_chars", "stopwords", "punct", "digits", "upper", "pipes")]
    + [(name, bool) for name in ("ends_sentence", "starts_upper", "bullet")]
)


def _character_bits(char: str) -> int:
    """The bits of one character."""
    return (
        (char.isalnum() or char == "_") * _WORD_CHAR
        | char.isspace() * _SPACE
        | char.isdecimal() * _DIGIT
        | any(low <= char <= high for low, high in _UPPER_RANGES) * _UPPER
        | char.isupper() * _IS_UPPER
        | (char in _SENTENCE_END_CHARS) * _SENTENCE_END
        | (char in _BULLET_CHARS) * _BULLET
        | (char.isalnum() and bool(_UNSPACED_CHAR.match(char))) * _UNSPACED_WORD
    )


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _bits_of(codes: np.ndarray) -> np.ndarray:
    """The bits of each character."""
    bits = _CHARACTER_BITS[codes]
    not_seen = np.unique(codes[bits == _NOT_SEEN])
    if len(not_seen):
        # Threads may fill the same entries at once: with the same values, so no lock.
        _CHARACTER_BITS[not_seen] = [_character_bits(chr(code)) for code in not_seen.tolist()]
        bits = _CHARACTER_BITS[codes]
    return bits


def _bits_of_code(code: int) -> int:
    """The bits of one code point not seen before, kept for the next (for the compiled counts)."""
    _CHARACTER_BITS[code] = bits = _character_bits(chr(code))
    return bits


def _compiled_counts():
    """The compiled character and word counts (`_counts`), or None where they are not built or
    BOILERLINE_PURE_PYTHON is set: the numpy code below gives the same numbers."""
    return compiled_in_use("_counts")


def counts_in_use() -> str:
    """Which code counts the lines' characters and words: "compiled" (`_counts.pyx`, where it
    is built) or "numpy" (also where BOILERLINE_PURE_PYTHON=1). Both give the same counts."""
    return "numpy" if _compiled_counts() is None else "compiled"


def character_counts(texts: list[str], stopwords: frozenset = frozenset(), kept: dict | None = None) -> np.ndarray:
    """Per line: words, characters in words and stopwords (of the lowercased line, words as
    `COUNTED_WORD` finds them), punctuation (neither word nor space), digits, upper-case letters
    and pipes ("|");
    whether it ends like a sentence, starts upper-case, starts like a bullet ("• ").

    Counted over the page's characters at once by array look-ups, not by regular
    expressions line by line: faster, with the same counts. `kept`: a dict to keep the
    lowercased words of all the lines in (`_kept_lowered_words`), for `copied_share`."""
    counts = np.zeros(len(texts), dtype=_COUNTS)
    for rows in _character_chunks(texts):
        counts[rows] = _chunk_counts(texts[rows], _kept_lowered_words(texts, rows, kept), stopwords)
    return counts


@dataclass(frozen=True, slots=True)
class LoweredWords:
    """The words (`_word_spans`) of a run of lines, lowercased and joined with a "\\n" after
    each: each word's line (lowercasing may change a line's length; its "\\n"s stay), its
    `word_hashes` and its length."""

    line_of_word: np.ndarray
    hashes: np.ndarray
    lengths: np.ndarray


def lowered_words(texts: list[str]) -> LoweredWords:
    lowered = _joined(texts)[0].lower()
    if (compiled := _compiled_counts()) is not None:
        return LoweredWords(*compiled.lowered_words(lowered))
    codes = _code_points(lowered)
    newline = codes == 10
    starts, ends = _word_spans(_bits_of(codes))
    line_of = np.cumsum(newline, dtype=np.int32) - newline
    return LoweredWords(line_of[starts], word_hashes(codes, starts, ends), ends - starts)


def _kept_lowered_words(texts: list[str], rows: slice, kept: dict | None) -> LoweredWords:
    """`lowered_words(texts[rows])`, made once for `character_counts` and `copied_share` where
    `rows` are all the lines (a run of pages of at most CHARACTER_CHUNK characters, as a batch
    is); a larger page's runs are made anew, so that it never holds all their words."""
    whole = (rows.start, rows.stop) == (0, len(texts))
    if kept is not None and whole and "all" in kept:
        return kept["all"]
    words = lowered_words(texts[rows])
    if kept is not None and whole:
        kept["all"] = words
    return words


def notice_counts(texts: list[str]) -> np.ndarray:
    """How many NOTICE_PHRASES each line holds, in any case. Each phrase is looked for in
    the whole lowercased page at once: faster than one regular expression of all."""
    counts = np.zeros(len(texts), np.int32)  # int32: fewer bytes than int64 on a page of many lines
    for rows in _character_chunks(texts):
        lowered = "\n".join(texts[rows]).lower()
        starts = [at for phrase in NOTICE_PHRASES for at in _places(lowered, phrase)]
        if starts:  # a line's number is the number of line breaks before it
            line_breaks = np.flatnonzero(_code_points(lowered) == 10)
            counts[rows] = np.bincount(np.searchsorted(line_breaks, starts), minlength=rows.stop - rows.start)
    return counts


def _places(text: str, phrase: str) -> Iterator[int]:
    """Where `phrase` starts in `text`, copies not overlapping."""
    at = text.find(phrase)
    while at >= 0:
        yield at
        at = text.find(phrase, at + len(phrase))


def word_counts(texts: list[str]) -> np.ndarray:
    """How many words `COUNTED_WORD` finds in each line (of the line as it is, not lowercased)."""
    if (compiled := _compiled_counts()) is not None:
        return compiled.word_counts(texts)
    counts = np.zeros(len(texts))
    for rows in _character_chunks(texts):
        page, lengths, line_of = _joined(texts[rows])
        counts[rows] = np.bincount(line_of, weights=_word_starts(_bits_of(_code_points(page))), minlength=len(lengths))
    return counts


def _character_chunks(texts: list[str]) -> Iterator[slice]:
    """Runs of whole lines of about CHARACTER_CHUNK characters (one line at least), so that a
    page of millions of characters is counted in small arrays."""
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)  # of each line, its separator included
    start = 0
    while start < len(texts):
        stop = max(int(np.searchsorted(ends, ends[start] + CHARACTER_CHUNK)), start + 1)
        yield slice(start, stop)
        start = stop


def _joined(texts: list[str]) -> tuple[str, np.ndarray, np.ndarray]:
    """The lines joined by "\n", which no line holds (whitespace is collapsed), each line's
    length and the line of each character. Each line owns the separator after it, a space,
    so no word runs across two lines."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    return "\n".join(texts) + "\n", lengths, np.repeat(np.arange(len(texts), dtype=np.int32), lengths + 1)


def _word_starts(bits: np.ndarray, split_unspaced: bool = True) -> np.ndarray:
    """Whether each character starts a word, as `COUNTED_WORD` finds them: a run of word
    characters, or one character of a script written without spaces; with `split_unspaced`
    False, as the regular expression `\\w+` does (runs of word characters only)."""
    in_word = (bits & _WORD_CHAR) > 0
    starts = in_word & ~np.concatenate([[False], in_word[:-1]])
    unspaced = (bits & _UNSPACED_WORD) > 0
    if split_unspaced and unspaced.any():  # each such character is a word, and so is what follows one
        starts |= unspaced | in_word & np.concatenate([[False], unspaced[:-1]])
    return starts


def _flag_counts(line_of: np.ndarray, flags: list[np.ndarray], n: int) -> list[np.ndarray]:
    """For each of `flags` (one bool a character), how many characters of each of the `n` lines
    have it: the characters counted once by their line and combination of flags, not once a flag."""
    combination = np.zeros(len(line_of), np.int64)
    for bit, flag in enumerate(flags):
        combination |= flag.astype(np.int64) << bit
    combinations = 1 << len(flags)
    table = np.bincount(line_of.astype(np.int64) * combinations + combination, minlength=n * combinations).reshape(n, combinations)
    return [table[:, (np.arange(combinations) >> bit & 1).astype(bool)].sum(axis=1) for bit in range(len(flags))]


def _chunk_counts(texts: list[str], words: LoweredWords, stopwords: frozenset) -> np.ndarray:
    """`character_counts` of one run of lines, whose lowercased words are `words`."""
    n = len(texts)
    counts = np.zeros(n, dtype=_COUNTS)
    if not n:
        return counts
    if (compiled := _compiled_counts()) is not None:
        for name, column in zip(compiled.FLAG_COUNTS, compiled.character_flags(texts).T):
            counts[name] = column
    else:
        _flag_columns(texts, counts)
    # Words are counted in the lowercased lines.
    counts["word_chars"] = np.bincount(words.line_of_word, weights=words.lengths, minlength=n)
    counts["words"] = np.bincount(words.line_of_word, minlength=n)
    counts["stopwords"] = np.bincount(words.line_of_word, weights=_looked_up(_stopword_hashes(stopwords), words.hashes)[1], minlength=n)
    return counts


def _flag_columns(texts: list[str], counts: np.ndarray) -> None:
    """Fills `counts`' columns of each line's own characters (pipes, punctuation, digits, upper
    case; how it ends and starts)."""
    page, lengths, line_of = _joined(texts)
    n = len(texts)
    codes = _code_points(page)
    bits = _bits_of(codes)
    pipes = codes == 124  # "|", which menus and breadcrumbs split by
    flags = [pipes, (bits & (_WORD_CHAR | _SPACE)) == 0, (bits & _DIGIT) > 0, (bits & _UPPER) > 0]
    counts["pipes"], counts["punct"], counts["digits"], counts["upper"] = _flag_counts(line_of, flags, n)
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    first, last = bits[starts], bits[starts + np.maximum(lengths - 1, 0)]
    second = bits[np.minimum(starts + 1, len(bits) - 1)]
    counts["ends_sentence"] = (lengths > 0) & ((last & _SENTENCE_END) > 0)
    counts["starts_upper"] = (lengths > 0) & ((first & _IS_UPPER) > 0)
    counts["bullet"] = (lengths > 1) & ((first & _BULLET) > 0) & ((second & _SPACE) > 0)


# Words are looked up (in the stopwords, in the word TF-IDF's vocabulary) by a 64-bit hash of
# their characters, made for all words of a run of lines at once: making each word a string to
# look it up took two thirds of the hand-crafted features' time. Two different words share a
# hash with a chance of about 1 in 2**64.
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so that no power of it is 0 mod 2**64
_hash_powers = np.ones(1, dtype=np.uint64)  # _HASH_BASE**k mod 2**64 at k, grown as longer words come


def _powers(n: int) -> np.ndarray:
    """_HASH_BASE to the powers 0..n-1 (mod 2**64)."""
    global _hash_powers
    powers = _hash_powers
    if len(powers) < n:
        # Threads may grow it at once: each makes the same numbers, and the last one kept is right.
        # Integer arrays wrap around silently: the products are taken mod 2**64.
        powers = np.cumprod(np.concatenate([[np.uint64(1)], np.full(max(n, 2 * len(powers)) - 1, _HASH_BASE, dtype=np.uint64)]))
        _hash_powers = powers
    return powers[:n]


def word_hashes(codes: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The hash of each word `codes[start:end]` (code points): the sum over its characters of
    (code point + 1) times _HASH_BASE to the power of the character's place in it, mod 2**64."""
    lengths = ends - starts
    if not len(starts):
        return np.zeros(0, dtype=np.uint64)
    offsets = np.cumsum(lengths) - lengths  # where each word's characters start in the run of them all
    place = np.arange(int(lengths.sum())) - np.repeat(offsets, lengths)
    characters = codes[np.repeat(starts, lengths) + place].astype(np.uint64)
    return np.add.reduceat((characters + np.uint64(1)) * _powers(int(lengths.max()))[place], offsets)


def _hashes_of_strings(strings: list[str]) -> np.ndarray:
    """`word_hashes` of each (non-empty) string, whole."""
    lengths = np.fromiter(map(len, strings), np.int64, len(strings))
    ends = np.cumsum(lengths)
    return word_hashes(_code_points("".join(strings)), ends - lengths, ends)


def _word_spans(bits: np.ndarray, split_unspaced: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Where each word (`_word_starts`) starts and ends (exclusive)."""
    in_word = (bits & _WORD_CHAR) > 0
    starts = _word_starts(bits, split_unspaced)
    # A word ends before a character that is not in a word, or that starts the next word.
    ends = in_word & ~np.append(in_word[1:] & ~starts[1:], False)
    return np.flatnonzero(starts), np.flatnonzero(ends) + 1


@lru_cache(maxsize=8)
def _stopword_hashes(stopwords: frozenset) -> np.ndarray:
    """The stopwords' hashes, sorted."""
    return np.unique(_hashes_of_strings([word for word in stopwords if word]))


def _looked_up(known: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of `hashes`, its place in the sorted `known` hashes, and whether it is there."""
    if not len(known):
        return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=bool)
    at = np.minimum(np.searchsorted(known, hashes), len(known) - 1)
    return at, known[at] == hashes


def structure_tokens(X, ancestors: int = 4) -> list[str]:
    """Each line's HTML origin as a string of tokens for a TF-IDF step: the block tag, the
    nearest `ancestors` tags with their distance (`a1_li a2_ul`), and each class/id token both
    whole and cut into words (`post-content` gives `post-content post content`), which is how
    sites name their main text and their menus."""
    inverse, keys = structure_keys(X)
    tokens = structure_tokens_of(keys, ancestors)
    return [tokens[key] for key in inverse.tolist()]


def structure_keys(X) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """Each line's (tag, path, attrs) as a number from 0, and the distinct ones (`factorize`):
    the lines of one menu or one article share their ancestry, a page has a few dozen."""
    return factorize(list(zip(X["tag"].tolist(), X["path"].tolist(), X["attrs"].tolist())))


def structure_tokens_of(keys: list[tuple[str, str, str]], ancestors: int) -> list[str]:
    """`structure_tokens` of each distinct (tag, path, attrs)."""
    return [f"{_tag_tokens(tag, path, ancestors)} {_attr_tokens(attrs)}" for tag, path, attrs in keys]


# Class and id tokens whose vocabulary columns `structure_columns` keeps from page to page, per
# vocabulary, for tokens of at most this many characters: sites repeat their names on every
# page ("menu-item", "entry-content"), and looking a token's words up took half its time.
STRUCTURE_TOKENS_KEPT = 32_768  # about 5 MB at most
LONGEST_KEPT_TOKEN = 64


def structure_columns(
    keys: list[tuple[str, str, str]], ancestors: int, vocabulary: dict[str, int], kept: dict[str, bytes] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`token_columns` of `structure_tokens_of(keys)`, without making their strings: the
    columns of each (tag, path) and of each class/id token are looked up once, as the keys of
    a page share most of their ancestors' tags and classes, and kept packed (int32 bytes) to be
    joined per key. `kept`: the tokens' columns from earlier calls with this vocabulary, kept
    for the tokens of at most LONGEST_KEPT_TOKEN characters, STRUCTURE_TOKENS_KEPT at most."""
    kept = {} if kept is None else kept
    if len(kept) > STRUCTURE_TOKENS_KEPT:
        kept.clear()
    of_tags, of_long_token = {}, {}
    packed_keys = []
    for tag, path, attrs in keys:
        tag_columns = of_tags.get((tag, path))
        if tag_columns is None:
            tag_columns = of_tags[tag, path] = _packed_columns(_tag_tokens(tag, path, ancestors).split(), vocabulary)
        pieces = [tag_columns]
        for token in dict.fromkeys(attrs.split()):
            found = kept if len(token) <= LONGEST_KEPT_TOKEN else of_long_token
            token_columns = found.get(token)
            if token_columns is None:
                token_columns = found[token] = _packed_columns(_attr_token_words(token).split(), vocabulary)
            pieces.append(token_columns)
        packed_keys.append(b"".join(pieces))
    sizes = np.fromiter(map(len, packed_keys), np.int64, len(packed_keys)) // array("i").itemsize
    return np.repeat(np.arange(len(keys)), sizes), np.frombuffer(b"".join(packed_keys), np.intc).astype(np.int64)


def _packed_columns(tokens: list[str], vocabulary: dict[str, int]) -> bytes:
    """The vocabulary columns of `tokens` that it holds, as int32 bytes."""
    return array("i", [column for token in tokens if (column := vocabulary.get(token)) is not None]).tobytes()


def cached_when_short(maxsize: int, longest: int, strings: int = 1):
    """`lru_cache(maxsize)` for the calls whose first `strings` arguments (str) hold
    at most `longest` characters in all; longer calls are made each time, so that the cache
    holds at most about `maxsize` times `longest` characters whatever the pages (one page of
    long class names had left a copy of them in each cache)."""

    def decorate(function):
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(*args):
            return cached(*args) if sum(map(len, args[:strings])) <= longest else function(*args)

        call.cache_info, call.cache_clear = cached.cache_info, cached.cache_clear
        return call

    return decorate


# Cached, as the lines of a page share their tags and classes in many combinations, and
# sites reuse their names ("menu-item", "entry-content") on every page; only short ones, so
# that no page's long names fill the caches.
@cached_when_short(maxsize=8_192, longest=256, strings=2)
def _tag_tokens(tag: str, path: str, ancestors: int) -> str:
    """The block tag and the nearest `ancestors` tags with their distance: `tag_p a1_div a2_article`."""
    tags = path.split()[::-1][:ancestors]
    return " ".join([f"tag_{tag}"] + [f"a{i}_{t}" for i, t in enumerate(tags, 1)])


@cached_when_short(maxsize=8_192, longest=512)
def _attr_tokens(attrs: str) -> str:
    """Each distinct class/id token of `attrs`, then the words it is made of: `post-content post content`."""
    return " ".join(map(_attr_token_words, dict.fromkeys(attrs.split())))


@cached_when_short(maxsize=65_536, longest=64)
def _attr_token_words(token: str) -> str:
    """A class/id token and the words it is made of: `post-content post content`."""
    words = (w for w in _SPLIT_ATTR.split(token) if len(w) > 2 and w != token)
    return " ".join([token, *islice(words, MAX_WORDS_OF_ATTR_TOKEN)])


def hashed_vocabulary(vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The vocabulary's words' `word_hashes`, sorted, and the column of each: what
    `counts_of_words` looks words up in."""
    words, columns = zip(*vocabulary.items()) if vocabulary else ((), ())
    hashes = _hashes_of_strings(list(words))
    order = np.argsort(hashes)
    return hashes[order], np.asarray(columns, dtype=np.int64)[order]


def token_columns(tokens_of_rows: list[list[str]], vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(row, vocabulary column) of each token of each row that is in the vocabulary."""
    tokens_per_row = np.fromiter(map(len, tokens_of_rows), np.int64, len(tokens_of_rows))
    tokens = chain.from_iterable(tokens_of_rows)
    columns = np.fromiter((vocabulary.get(token, -1) for token in tokens), np.int64, int(tokens_per_row.sum()))
    rows = np.repeat(np.arange(len(tokens_of_rows)), tokens_per_row)
    known = columns >= 0
    return rows[known], columns[known]


def counts_of_words(texts: list[str], hashes: np.ndarray, columns: np.ndarray, n_columns: int, dtype) -> sp.csr_matrix:
    """The counts of each text's lowercased runs of word characters (`\\w+`) that are in a
    vocabulary, given as its words' sorted `word_hashes` and the column of each: what
    `counts_matrix` makes of `token_columns` of the same tokens, without a string per token."""
    return as_matrix(word_count_entries(texts, hashes, columns, n_columns), n_columns, dtype)


def word_count_entries(texts: list[str], hashes: np.ndarray, columns: np.ndarray, n_columns: int) -> tuple[np.ndarray, ...]:
    """`counts_of_words` as `count_entries`."""
    if (compiled := _compiled_counts()) is not None:
        return compiled.word_entries(texts, np.ascontiguousarray(hashes, np.uint64), np.ascontiguousarray(columns, np.int64), n_columns)
    found_rows, found_columns = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for rows in _character_chunks(texts):
        # Each text lowercased alone: lowercasing may change its length, and texts may hold "\n".
        joined, _, row_of = _joined(list(map(str.lower, texts[rows])))
        codes = _code_points(joined)
        starts, ends = _word_spans(_bits_of(codes), split_unspaced=False)
        at, known = _looked_up(hashes, word_hashes(codes, starts, ends))
        found_rows.append(row_of[starts[known]] + rows.start)
        found_columns.append(columns[at[known]])
    return count_entries(np.concatenate(found_rows), np.concatenate(found_columns), len(texts), n_columns)


def counts_matrix(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int, dtype) -> sp.csr_matrix:
    """(rows x columns) counts of the (row, column) pairs, in CountVectorizer.transform's form:
    one entry per term, in column order."""
    return as_matrix(count_entries(rows, columns, n_rows, n_columns), n_columns, dtype)


def count_entries(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int) -> tuple[np.ndarray, ...]:
    """The counts of the (row, column) pairs as a CSR matrix's arrays (indptr, columns,
    counts), one entry per term of a row, in row then column order: what scoring sums, without
    the cost of making a scipy matrix (a tenth of a small page's TF-IDF time)."""
    if (compiled := _compiled_counts()) is not None:
        return compiled.entries(np.ascontiguousarray(rows, np.int64), np.ascontiguousarray(columns, np.int64), n_rows, n_columns)
    # Sorted by row, then column: each run of one key is one term's count in one row.
    keys, counts = np.unique(rows.astype(np.int64) * n_columns + columns, return_counts=True)
    indptr = np.searchsorted(keys, np.arange(n_rows + 1) * n_columns)
    return indptr, keys % max(n_columns, 1), counts


def as_matrix(entries: tuple[np.ndarray, ...], n_columns: int, dtype) -> sp.csr_matrix:
    """The CSR matrix of `count_entries`."""
    indptr, indices, counts = entries
    return sp.csr_matrix((counts.astype(dtype), indices, indptr), shape=(len(indptr) - 1, n_columns))
