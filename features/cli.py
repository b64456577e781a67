"""`boilerline`: the content lines of pages from the command line.

boilerline clean page.html                      # the content lines, to stdout
boilerline clean 'crawl/*.html.gz' --out clean/  # one .txt per page
boilerline score page.html --format jsonl       # every line with its P(content)
boilerline batch crawl/ --out pages.jsonl --jobs 4
boilerline batch 'crawl/*.warc.gz' --out pages.parquet
"""

import argparse
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import webencodings

from . import __version__, settings
from .artifact import ModelError
from .batch import MAX_TIMEOUT, run_batch
from .crawl import CrawlError
from .decode import PageError, decode_page, has_markup
from .inputs import KIND_RULE, PROG, CliError, Reading, Source, expand_inputs, page_kind, printable, read_page, special_file
from .labelling import DEFAULT_PORT, port_number, run_label
from .lines import counts_in_use
from .model import BoilerplateModel, ScoredLine, content_text, load_model, trees_in_use, with_title
from .segment import text_columns, walk_in_use
from .settings import SettingError
from .title import html_title


class ScoredPage(NamedTuple):
    kind: str  # what the page was scored as: "html", or "text"
    page: str  # the page, decoded
    lines: list[ScoredLine]


def score_page(model: BoilerplateModel, kind: str, page: bytes | str, reading: Reading) -> ScoredPage:
    """The page scored as `kind`; an "html" page without any markup is scored as text
    (`score_html` does so), and said to be text."""
    page = decode_page(page, reading.encoding)
    if kind == "html" and not has_markup(page):
        kind = "text"
    if kind == "text":
        return ScoredPage(kind, page, model.score_text(page, reading.threshold))
    return ScoredPage(kind, page, model.score_html(page, reading.threshold, article_end=reading.article_end))


def score_source(model: BoilerplateModel, source: Source, reading: Reading) -> ScoredPage:
    """A file (or stdin) scored; PageError when it cannot be read or segmented."""
    raw = read_page(source)
    return score_page(model, page_kind(source.name, raw, reading.force_text), raw, reading)


# --- clean and score ------------------------------------------------------------------------------


def run_clean(args) -> int:
    sources = expand_inputs(args.inputs)
    if len(sources) > 1 and args.out is None:
        raise CliError(f"{len(sources)} inputs: pass --out DIR to write one cleaned file per input")
    if args.out is not None:
        _check_distinct_outputs(sources, args.out)
    model = load_model(args.model)
    failures = 0
    for source in sources:
        try:
            scored = score_source(model, source, Reading.of(args))
            text = content_text(scored.lines)
            if args.title and scored.kind == "html":
                text = with_title(html_title(scored.page), text)
        except PageError as error:
            report_page_error(source, error)
            failures += 1
            continue
        if args.out is None:
            _write_text(sys.stdout, text)
        else:
            target = args.out / source.out_name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8") as stream:
                _write_text(stream, text)
    return 1 if failures else 0


def _check_distinct_outputs(sources: list[Source], out: Path) -> None:
    """Refuse before writing anything rather than let one page's text overwrite another or a page."""
    seen = {}
    for source in sources:
        earlier = seen.setdefault(source.out_name, source.name)
        if earlier != source.name:
            raise CliError(f"{earlier} and {source.name} would both be written to {out / source.out_name}: clean them apart")
        if source.path is not None and _resolved(out / source.out_name) == _resolved(source.path):
            raise CliError(f"cleaning {source.name} into {out} would overwrite it: pass another --out")
        if special := special_file(out / source.out_name):
            raise CliError(f"{printable(str(out / source.out_name))} is not a regular file but {special}: pass another --out")


def _resolved(path: Path) -> Path:
    """The path with its links followed, as far as they lead (a link to itself leads nowhere)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return path.absolute()


def _write_text(stream, text: str) -> None:
    if text:
        stream.write(text + "\n")


def run_score(args) -> int:
    sources = expand_inputs(args.inputs)
    if args.format == "labels" and len(sources) > 1:
        raise CliError(f"{len(sources)} inputs: --format labels writes the labels of one page (one .tsv a page)")
    model = load_model(args.model)
    reading = Reading.of(args)
    several = len(sources) > 1
    failures = 0
    for source in sources:
        try:
            scored = score_source(model, source, reading)
        except PageError as error:
            report_page_error(source, error)
            failures += 1
            continue
        if args.format == "labels":
            # A plain-text page's paragraph breaks are in its lines' columns, not in its scores.
            blank_before = text_columns(scored.page)["blank_before"] if scored.kind == "text" else None
            sys.stdout.writelines(label_rows(scored.lines, blank_before))
            continue
        for number, line in enumerate(scored.lines, 1):
            sys.stdout.write(_score_row(args.format, source.name if several else None, number, line))
    return 1 if failures else 0


def label_rows(lines: list[ScoredLine], blank_before=None) -> Iterator[str]:
    """The page's lines as a hand-labelled page (`label<TAB>line`, `data.sources`), labelled
    with the model's decisions; a plain-text page's blank lines kept as its paragraph breaks."""
    for at, line in enumerate(lines):
        if at and blank_before is not None and blank_before[at]:
            yield "\n"
        yield f"{'content' if line.is_content else 'boilerplate'}\t{line.text}\n"


def _score_row(form: str, name: str | None, number: int, line: ScoredLine) -> str:
    label = "content" if line.is_content else "boilerplate"
    if form == "jsonl":
        record = {"line": number, "p_content": round(line.p_content, 4), "label": label, "text": line.text}
        if name is not None:
            record = {"input": name, **record}
        return json.dumps(record, ensure_ascii=False) + "\n"
    # Segmented lines hold no newlines, and tabs only where a code or plain-text line was
    # written with them: written as spaces, so that every row has its three columns.
    columns = [f"{line.p_content:.4f}", label, line.text.expandtabs()]
    return "\t".join(([name] if name is not None else []) + columns) + "\n"


def report_page_error(source: Source, error: PageError) -> None:
    message = str(error)
    if not message.startswith(source.name):
        message = f"{source.name}: {message}"
    print(f"{PROG}: error: {message}", file=sys.stderr)


# --- Command line ---------------------------------------------------------------------------------


class _Version(argparse.Action):
    """--version: the version and the code in use for the walk ("compiled" or "python"), the
    counts ("compiled" or "numpy") and the trees ("compiled" or "lightgbm"), read when asked, as
    BOILERLINE_PURE_PYTHON may change it."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            walk, counts, trees = walk_in_use(), counts_in_use(), trees_in_use()
        except SettingError as error:
            parser.error(str(error))
        # On stdout, as argparse's own version action.
        print(f"{parser.prog} {__version__} (walk: {walk}, counts: {counts}, trees: {trees})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="The content lines of scraped pages, HTML or plain text.")
    parser.add_argument(
        "--version", action=_Version, help="show the version and which code walks the HTML, counts words and walks trees, then exit"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    clean = commands.add_parser(
        "clean",
        help="write the content lines of pages",
        description="Write the content lines of each page: to stdout for one input, else one .txt per input under --out.",
        epilog=KIND_RULE,
    )
    _add_input_options(clean)
    clean.add_argument("--out", type=Path, metavar="DIR", help="write DIR/NAME.txt per input (folders keep their layout)")
    clean.add_argument("--title", action="store_true", help="an HTML page's title (its headline) as the first line")

    score = commands.add_parser(
        "score",
        help="print every line of pages with its P(content)",
        description="One row per line: P(content), label (content or boilerplate), text; with several "
        "inputs, a first column (TSV) or an 'input' key (JSONL) names the page.",
        epilog=KIND_RULE,
    )
    _add_input_options(score)
    score.add_argument(
        "--format",
        choices=("tsv", "jsonl", "labels"),
        default="tsv",
        help="output format (default: %(default)s; TSV writes the tabs of code and plain-text lines as spaces); "
        "labels: `label<TAB>line` rows to correct by hand and train on (make train TRAIN_EXTRA=labelled:DIR, "
        "with an HTML page's .html beside its .tsv)",
    )

    batch = commands.add_parser(
        "batch",
        help="clean many pages in parallel into a JSONL or Parquet file, resumably",
        description='Clean pages (folders, globs, files, JSONL files of {"id", "html" or "text"} records, and the HTML '
        "responses of .warc(.gz) files) into JSONL: "
        '{"id", "url", "kind", "text", "title", "lines", "kept", "seconds", "model_version", "model_digest"} per page, '
        'or {"id", "error"} (and "url" where it is known) when a page '
        "cannot be read, is too large (BOILERLINE_MAX_PAGE_BYTES, _ELEMENTS, _LINES), takes longer than --timeout "
        "or is a bad record. Records come in the "
        "order pages finish. Ids already in --out are skipped and new records appended, so rerunning a "
        "command resumes it; delete a record to redo its page. An --out ending in .parquet is written whole at the end "
        "(ids as strings), from OUT.part.jsonl, which a rerun resumes.",
        epilog=KIND_RULE + " File ids are their paths as found (bytes of a name that are not UTF-8 written as \\xNN); a bad JSONL "
        "line's id is FILE:LINE; a WARC response's id is its WARC-Record-ID, its url the WARC-Target-URI, and its bytes are read "
        "in the charset its HTTP Content-Type names.",
    )
    batch.add_argument("inputs", nargs="+", metavar="INPUT", help="folder, glob, page file, .jsonl(.gz) of records, or .warc(.gz)")
    _add_model_options(batch, text_help="read every page file as plain text (a record's key sets its kind)")
    batch.add_argument(
        "--out", type=Path, metavar="FILE", help="JSONL file (.jsonl) to append to, or a .parquet file (default: stdout, no resume)"
    )
    batch.add_argument(
        "--jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="N", help="worker processes (default: %(default)s, the CPUs)"
    )
    batch.add_argument(
        "--timeout",
        type=_page_timeout,
        metavar="SECONDS",
        help=f"time limit per page, up to {MAX_TIMEOUT:g}; its worker is then replaced (default: BOILERLINE_PAGE_TIMEOUT, else "
        f"{settings.DEFAULTS['PAGE_TIMEOUT']:g})",
    )

    label = commands.add_parser(
        "label",
        help="correct the model's labels of pages in a browser, to train on them",
        description="Serve a page on http://127.0.0.1:PORT/ (this machine only) that shows each page's lines coloured by "
        "the model's P(content), each with its label: the one in the page's labels file, else the model's. Click a line "
        "(or press Space) to flip its label, n to go to the next doubtful line; Save writes the labels beside the page "
        "(shop.tsv for shop.html or shop.txt), where `make train TRAIN_EXTRA=labelled:DIR` reads them.",
        epilog="A page's kind is found as `clean` finds it (see `boilerline clean --help`), without --text. An HTML page must be "
        "named .html, .htm or .html.gz: training pairs labels with such a page.",
    )
    label.add_argument("inputs", nargs="+", metavar="PAGE", help="page file (.html .htm .txt, or .gz of them), folder or glob")
    label.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, metavar="N", help="the port to serve on (default: %(default)s; 0: any free one)"
    )
    label.add_argument("--model", type=Path, metavar="PATH", help="model file (default: the project's models/boilerplate.npz)")
    return parser


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="file (.html .htm .txt, or .gz of them), folder, glob, or - for stdin; gzip bytes are gunzipped whatever the name",
    )
    _add_model_options(parser)


def _add_model_options(parser: argparse.ArgumentParser, text_help: str = "read every page as plain text") -> None:
    parser.add_argument("--text", action="store_true", help=text_help)
    parser.add_argument(
        "--encoding",
        type=_encoding,
        metavar="CHARSET",
        help="read page bytes in this charset, as a server's Content-Type would give it: over a page's own <meta> "
        "charset, under a byte order mark (default: a BOM, else the page's <meta>, else UTF-8, else windows-1252)",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        metavar="P",
        help="keep lines with P(content) >= P: lower keeps more (recall), higher keeps less (precision); "
        "default: the model's tuned decision, one threshold or each page's own (see the model card's rule)",
    )
    parser.add_argument(
        "--keep-after-article",
        action="store_true",
        help="on a page that declares itself an article (og:type, schema.org), leave what follows its story (more stories, "
        "comments) to the model instead of dropping it: for forums or listings that call their pages articles",
    )
    parser.add_argument("--model", type=Path, metavar="PATH", help="model file (default: the project's models/boilerplate.npz)")


def _encoding(value: str) -> str:
    """A charset the library knows (see `decode_page`): one it would ignore is a typo here."""
    if webencodings.lookup(value) is None:
        raise argparse.ArgumentTypeError(f"no such charset on the web: {value!r} (WHATWG's names: utf-8, windows-1251, shift_jis...)")
    return value


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return number


# The longest wait the workers' pipes take (poll's milliseconds in 32 bits are 24 days): a
# longer --timeout made `batch` fail with a traceback.
def _page_timeout(value: str) -> float:
    number = float(value)
    if not 0 < number <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{value} is not a number of seconds above 0 and up to {MAX_TIMEOUT:g}")
    return number


def _threshold(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:  # nan too: every comparison with it is false
        raise argparse.ArgumentTypeError(f"{value} is not a probability from 0 to 1")
    return number


COMMANDS = {"clean": run_clean, "score": run_score, "batch": run_batch, "label": run_label}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # pages hold any script, whatever the locale
    try:
        for name in settings.DEFAULTS:  # a bad BOILERLINE_* limit is said once, before any page
            settings.limit(name)
        for name in settings.SWITCHES:
            settings.switch(name)
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `boilerline score page.html | head`: the reader has all it wants
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ModelError, PageError, CliError, CrawlError, SettingError, OSError) as error:  # OSError: an output that cannot be written
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
