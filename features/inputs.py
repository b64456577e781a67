"""The pages a command reads: files, folders, globs and stdin, each gunzipped, size-checked
and told HTML or plain text (`KIND_RULE`). Shared by `clean`, `score` and `batch`."""

import argparse
import glob
import gzip
import os
import re
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .decode import GZIP_ERRORS, PageError, decode_page, gunzipped

PROG = "boilerline"
PAGE_SUFFIXES = {".html": "html", ".htm": "html", ".txt": "text"}
SNIFF_CHARS = 4096
CHARS_PER_TAG = 200  # a sniffed head with a tag every this many characters or fewer is HTML
_HTML_MARKERS = re.compile(r"<!doctype|<html|<head|<body", re.I)
_TAG = re.compile(r"</?[a-z][a-z0-9-]*[\s/>]", re.I)

KIND_RULE = (
    "A page's kind: --text forces plain text; else a name ending in .html or .htm is HTML and one "
    "ending in .txt is plain text (either optionally .gz); else the page is HTML when its first "
    f"{SNIFF_CHARS} characters hold <!doctype, <html, <head or <body, or at least one tag per "
    f"{CHARS_PER_TAG} characters, and plain text otherwise. An HTML page without any tag is read as plain text."
)


class CliError(Exception):
    """A command line that cannot run (no such input, a clash of outputs); main prints it as one line."""


@dataclass(frozen=True)
class Reading:
    """How every page of a command is read and decided: --text, --encoding, --threshold,
    --keep-after-article."""

    force_text: bool = False
    encoding: str | None = None  # the charset of the input bytes, over the one a page declares
    threshold: float | None = None  # None: the model's tuned decision
    article_end: bool = True  # False: what follows a declared article's story is left to the model

    @classmethod
    def of(cls, args: argparse.Namespace) -> "Reading":
        return cls(args.text, args.encoding, args.threshold, not args.keep_after_article)


@dataclass(frozen=True)
class Source:
    """One page to read: a file, or stdin when `path` is None."""

    name: str  # as the user would recognise it: the path (`printable`), or "-"
    path: Path | None
    out_name: Path  # where its cleaned text goes under --out DIR


def expand_inputs(specs: Iterable[str]) -> list[Source]:
    """Files, folders (their pages, recursively), globs and '-' (stdin), in the order given."""
    sources = []
    for spec in specs:
        if spec == "-":
            sources.append(Source("-", None, Path("stdin.txt")))
        elif os.path.isdir(spec):
            sources += _folder_sources(Path(spec))
        elif os.path.isfile(spec):
            sources.append(_file_source(spec))
        else:
            sources += _glob_sources(spec)
    return sources


def _folder_sources(folder: Path) -> list[Source]:
    # Not is_file(): a dangling link must get its error (record), not vanish from the run.
    pages = sorted(p for p in folder.rglob("*") if not p.is_dir() and kind_from_name(p.name))
    if not pages:
        raise CliError(f"no .html, .htm or .txt pages (nor .gz of them) in the folder {folder}")
    return [Source(printable(str(p)), p, _txt_name(p.relative_to(folder))) for p in pages]


def _glob_sources(pattern: str) -> list[Source]:
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise CliError(f"no such file or folder, and no file matches: {pattern}")
    sources = []
    for match in matches:
        if os.path.isdir(match):
            sources += _folder_sources(Path(match))
        else:
            sources.append(_file_source(match))
    return sources


def _file_source(name: str) -> Source:
    return Source(printable(name), Path(name), _txt_name(Path(name).name))


def printable(name: str) -> str:
    """A file name as text that any output can hold: its bytes that are not UTF-8 (which Python
    keeps as lone surrogates, and no UTF-8 stream can write) as \\xNN escapes, the same on every run."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _txt_name(relative: str | Path) -> Path:
    """page.html.gz -> page.txt: the cleaned text of a page is always plain text."""
    path = Path(relative)
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem = name.rsplit(".", 1)[0] if kind_from_name(name) else name
    return path.with_name(stem + ".txt")


def kind_from_name(name: str) -> str | None:
    """'html' or 'text' from a file name's extension (under an optional .gz), else None."""
    name = name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return PAGE_SUFFIXES.get(os.path.splitext(name)[1])


def sniff_kind(raw: bytes) -> str:
    """'html' when the start of a page looks like markup (see KIND_RULE), else 'text'."""
    head = decode_page(raw[:SNIFF_CHARS])
    if _HTML_MARKERS.search(head):
        return "html"
    tags = len(_TAG.findall(head))
    return "html" if tags >= 2 and tags * CHARS_PER_TAG >= len(head) else "text"


def page_kind(name: str, raw: bytes, force_text: bool) -> str:
    if force_text:
        return "text"
    return kind_from_name(name) or sniff_kind(raw)


def read_page(source: Source) -> bytes:
    """The bytes of a page, gunzipped when its name ends in .gz or its bytes are gzip's (stdin,
    a response saved still compressed); PageError when it cannot be read."""
    # One byte over the limit tells a page that is too large without reading all of it.
    limit = settings.limit("MAX_PAGE_BYTES")
    try:
        if source.path is None:
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            if special := special_file(source.path):
                raise PageError(f"{source.name}: not a regular file but {special}; pipe it to stdin (-) instead")
            with open_file(source.path, "rb") as stream:
                raw = stream.read(limit + 1)
        raw = gunzipped(raw, limit)
    except READ_ERRORS as error:
        raise PageError(f"{source.name}: cannot read it ({reason(error)})") from None
    if len(raw) > limit:
        raise PageError(f"{source.name}: page is over the {limit:,} byte limit (BOILERLINE_MAX_PAGE_BYTES)")
    return raw


READ_ERRORS = GZIP_ERRORS  # what a missing, unreadable or broken .gz file raises
_SPECIAL_FILES = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def special_file(path: Path) -> str | None:
    """What `path` (its links followed) is when it exists and is no regular file, else None: a
    named pipe without a writer blocks its reader forever, and a device never ends."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # missing, a dangling link: opening it says why
        return None
    return None if stat.S_ISREG(mode) else _SPECIAL_FILES.get(stat.S_IFMT(mode), "a special file")


def open_file(path: str | Path, mode: str, **options):
    """A file, gunzipped when its name ends in .gz."""
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    return opener(path, mode, **options)


def reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
