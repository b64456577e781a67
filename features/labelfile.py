"""The hand-labelled page file: one `label<TAB>line` row per line of a page, in order.

A label is 1/content or 0/boilerplate; a blank row is a paragraph break of a plain-text page.
`boilerline label` and `boilerline score --format labels` write such files; training reads them
(`data.sources.read_labelled_text`). Beside an HTML page the file is named as the page without
its suffix: `shop.tsv` labels `shop.html` (or `shop.htm`, `shop.html.gz`); `shop.html.tsv` is
read as the same page's labels too. A file with no HTML page beside it is a plain-text page.
"""

import difflib
from dataclasses import dataclass
from pathlib import Path

LABEL_VALUES = {"1": 1, "content": 1, "0": 0, "boilerplate": 0}
LABEL_NAMES = {1: "content", 0: "boilerplate"}
LABELS_SUFFIX = ".tsv"
HTML_SUFFIXES = (".html", ".htm", ".html.gz")  # the HTML pages a .tsv of the same stem labels
SHOWN_CHARS = 60  # how much of a line an error message quotes


class LabelFileError(ValueError):
    """A labels file that cannot be read as the labels of its page; the message says where."""


@dataclass(frozen=True)
class LabelledLine:
    number: int  # the row of the file, from 1
    label: int
    text: str


@dataclass(frozen=True)
class LabelRows:
    """The rows of a labels file: its labelled lines, and its rows as the plain text they stand
    for ("" for a blank row or a label on a blank line: a paragraph break)."""

    lines: list[LabelledLine]
    texts: list[str]


def parse_label_rows(content: str, name: str) -> LabelRows:
    """The rows of a labels file's `content`; a row without a known label is an error naming
    `name` and the row."""
    lines, texts = [], []
    for number, raw in enumerate(content.splitlines(), 1):
        if not raw.strip():
            texts.append("")
            continue
        label, sep, text = raw.partition("\t")
        if not sep or label.strip().lower() not in LABEL_VALUES:
            raise LabelFileError(f"{name}:{number}: expected `label<TAB>text` with label 1/0/content/boilerplate, got {raw[:60]!r}")
        if not text.strip():
            texts.append("")  # a label on a blank line labels no line that segment_text finds
            continue
        texts.append(text)
        lines.append(LabelledLine(number, LABEL_VALUES[label.strip().lower()], text))
    return LabelRows(lines, texts)


def labels_file_text(texts: list[str], labels: list[int], breaks: list[bool] | None = None) -> str:
    """The labels file of a page's lines; `breaks`: a plain-text page's blank line before each line."""
    rows = []
    for at, (text, label) in enumerate(zip(texts, labels, strict=True)):
        if at and breaks is not None and breaks[at]:
            rows.append("\n")
        rows.append(f"{LABEL_NAMES[label]}\t{text}\n")
    return "".join(rows)


def same_line(written: str, text: str) -> bool:
    """Whether a labelled line is the page's line `text` (the model reads lines with their
    whitespace collapsed; a code line keeps its own in the file)."""
    return " ".join(written.split()) == " ".join(text.split())


def first_difference(labelled: list[LabelledLine], page_lines: list[str], name: str) -> str | None:
    """Where the lines of a labels file `name` are not the page's lines, said with line numbers
    and texts; None when they are the same lines."""
    written = [" ".join(line.text.split()) for line in labelled]
    expected = [" ".join(text.split()) for text in page_lines]
    if written == expected:
        return None
    blocks = difflib.SequenceMatcher(None, written, expected, autojunk=False).get_opcodes()
    changes = [block for block in blocks if block[0] != "equal"]
    tag, at, end, page_at, page_end = changes[0]
    differing = sum(max(e - a, pe - pa) for _, a, e, pa, pe in changes)
    where = f"{name}:{labelled[at].number}" if at < len(labelled) else f"{name}:{(labelled[-1].number + 1) if labelled else 1}"
    if tag == "replace":
        said = f"{where}: the labelled line {_quoted(written[at])} is not the page's line {page_at + 1}, {_quoted(expected[page_at])}"
    elif tag == "delete":
        said = f"{where}: the labelled line {_quoted(written[at])} is not on the page" + _next_to(expected, page_at)
    else:  # "insert": the page has lines the file lacks
        said = f"{where}: the page's line {page_at + 1}, {_quoted(expected[page_at])}, is missing from the labels" + (
            f" (expected before {_quoted(written[at])})" if at < len(written) else " (expected at the end)"
        )
    lines = "line differs" if differing == 1 else "lines differ"
    return (
        f"{said}; {differing} {lines} in all ({len(labelled)} labelled, {len(page_lines)} on the page): the labels were "
        "written for another version of the page, or edited; label it again (`boilerline label PAGE`)"
    )


def _next_to(expected: list[str], page_at: int) -> str:
    if page_at < len(expected):
        return f" (the page's line {page_at + 1} is {_quoted(expected[page_at])})"
    return " (the page has no more lines)"


def _quoted(text: str) -> str:
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...")


def labels_file_of(page: Path) -> Path:
    """Where the labels of the page file `page` go, as training reads them: `shop.tsv` for
    `shop.html`, `shop.html.gz` or `shop.txt`; an existing `shop.html.tsv` instead, where it is
    the page's only labels file."""
    page = Path(page)
    own = page.with_name(page.name + LABELS_SUFFIX)
    usual = page.with_name(_stem(page.name) + LABELS_SUFFIX)
    if is_html_name(page.name) and own.is_file() and not usual.is_file():
        return own
    return usual


def _stem(name: str) -> str:
    for suffix in HTML_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    base = name[:-3] if name.lower().endswith(".gz") else name
    return base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base


def is_html_name(name: str) -> bool:
    """Whether a page of this name is one a labels file beside it labels as HTML."""
    return name.endswith(HTML_SUFFIXES)


def html_page_of(labels: Path) -> Path | None:
    """The HTML page beside a labels file that it labels (`shop.tsv` or `shop.html.tsv` labels
    `shop.html`), or None: a plain-text page. A `shop.html.tsv` without its page, or one beside
    a `shop.tsv` that labels the same page, is an error."""
    labels = Path(labels)
    if is_html_name(labels.stem):  # shop.html.tsv, shop.html.gz.tsv
        page = labels.with_name(labels.stem)
        if not page.is_file():
            raise LabelFileError(
                f"{labels} labels the HTML page {page.name}, which is not beside it: put the page there, or rename the labels"
            )
        usual = labels.with_name(_stem(page.name) + LABELS_SUFFIX)
        if usual.is_file():
            raise LabelFileError(f"{labels} and {usual.name} both label {page.name}: keep one of them")
        return page
    return next((page for page in (labels.with_name(labels.stem + suffix) for suffix in HTML_SUFFIXES) if page.is_file()), None)
