"""A crawl's files for `boilerline batch`: WARC files in (fastwarc, the `warc` extra), Parquet
out (pyarrow, the `parquet` extra). Each engine is imported when a command uses it.

A WARC file's HTML responses are records: id the WARC-Record-ID, url the WARC-Target-URI,
and the charset that the HTTP Content-Type names. Other records (requests, metadata, images,
PDFs...) are no pages and are passed over.

Parquet output is written whole, at the end: while a batch runs its records are appended to
a JSONL part beside it (`OUT.part.jsonl`), which a rerun resumes as it resumes JSONL output;
once every input has its record, the rows of an earlier Parquet file and of the part are
written to a temporary file that is renamed over OUT, and the part is deleted. A reader never
sees half a file, and an interrupted batch loses no finished page.
"""

import email.message
import glob
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from . import settings
from .records import Record

WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
PARQUET_SUFFIX = ".parquet"
PARQUET_COLUMNS = ("id", "url", "kind", "text", "title", "lines", "kept", "seconds", "error", "model_version", "model_digest")
PARQUET_ROWS = 10_000  # rows per row group: a part's text is read and written this many records at a time


class CrawlError(Exception):
    """A file of the crawl that cannot be used as a whole (not an output of a batch, a missing engine)."""


def engine(name: str, extra: str):
    """The module `name`, or CrawlError saying which extra installs it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise CrawlError(f"{name} is needed for this: pip install 'boilerline[{extra}]'") from None


# --- WARC in -----------------------------------------------------------------------------------


def warc_files(spec: str) -> list[str]:
    """The WARC files that `spec` names, a file or a glob; CrawlError when it names none."""
    matches = [spec] if os.path.isfile(spec) else sorted(glob.glob(spec, recursive=True))
    found = [path for path in matches if is_warc(path) and os.path.isfile(path)]
    if not found:
        raise CrawlError(f"no such WARC file, and no WARC file matches: {spec}")
    return found


def is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def warc_records(source: str | BinaryIO, name: str | None = None) -> Iterator[Record | dict]:
    """Each HTML response of a WARC file (a path, or a binary stream named `name`) as a Record,
    or as an error record ({"id", "url", "error"}) where it cannot be read: a response that
    holds no HTTP response, or the rest of a file that breaks (named NAME:N, N the number of
    the record where it broke)."""
    warc = engine("fastwarc.warc", "warc")
    limit = settings.limit("MAX_PAGE_BYTES")
    name = source if name is None else name
    number = 0
    try:
        for record in warc.ArchiveIterator(source, parse_http=False, fsspec_args=False):
            number += 1
            if record.record_type == warc.WarcRecordType.response:
                page = response_page(record, limit)
                if page is not None:
                    yield page
    except OSError as error:
        yield {"id": f"{name}:{number + 1}", "url": None, "error": f"cannot read the WARC records from here on ({error})"}


def response_page(record, limit: int) -> Record | dict | None:
    """The Record of a WARC response if it is HTML (else None), with its first `limit` + 1
    bytes, so that a page too large is refused without holding all of it."""
    identity, url = record.record_id, record.headers.get("WARC-Target-URI")
    try:
        record.parse_http(auto_decode="all")  # chunked or compressed as served: as a browser reads it
        if record.http_headers is None or record.http_headers.status_code is None:
            return {"id": identity, "url": url, "error": "the WARC response holds no HTTP response"}
        content_type = email.message.Message()
        content_type["Content-Type"] = record.http_headers.get("Content-Type") or "text/html"
        if content_type.get_content_type() not in HTML_TYPES:
            return None
        return Record(identity, record.reader.read(limit + 1), content_type.get_content_charset(), url)
    except OSError as error:  # its HTTP body does not decode
        return {"id": identity, "url": url, "error": f"cannot read its HTTP response ({error})"}


def count_warc_records(path: str) -> int:
    """How many records `warc_records` gives of the file (a pass over it, for the progress bar)."""
    return sum(1 for _ in warc_records(path))


# --- Parquet out -------------------------------------------------------------------------------


def is_parquet(path: Path | None) -> bool:
    return path is not None and path.name.lower().endswith(PARQUET_SUFFIX)


def parquet_part(path: Path) -> Path:
    """The JSONL file a batch appends to while it writes the Parquet file `path`."""
    return path.with_name(path.name + ".part.jsonl")


def parquet_ids(path: Path) -> set:
    """The ids of an earlier Parquet output (none when there is none), as written: strings."""
    if not path.exists():
        return set()
    parquet = engine("pyarrow.parquet", "parquet")
    try:
        return set(parquet.read_table(path, columns=["id"]).column("id").to_pylist())
    except (OSError, KeyError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise CrawlError(f"{path} is not the Parquet output of a batch ({error}); pass a new --out file") from None


def resumable_ids(path: Path) -> set:
    """The ids of an earlier Parquet output as inputs give them: a JSONL record's integer id was
    written as its digits."""
    ids = parquet_ids(path)
    return ids | {int(text) for text in ids if text.lstrip("-").isdigit() and str(int(text)) == text}


def write_parquet(path: Path) -> None:
    """The rows of `path` (if any) and of its part, as one Parquet file at `path`, renamed into
    place; the part is deleted once it is in."""
    part = parquet_part(path)
    if not part.exists():
        return
    arrow = engine("pyarrow", "parquet")
    parquet = engine("pyarrow.parquet", "parquet")
    earlier = parquet.ParquetFile(path) if path.exists() else None
    done = parquet_ids(path)
    temporary = path.with_name(path.name + ".tmp")
    with parquet.ParquetWriter(temporary, parquet_schema(arrow, earlier), compression="zstd") as writer:
        if earlier is not None:
            for rows in earlier.iter_batches(PARQUET_ROWS):
                writer.write_batch(rows)
        for rows in _part_rows(part, done):
            writer.write_table(arrow.Table.from_pylist(rows, schema=writer.schema))
    os.replace(temporary, path)
    part.unlink()


def parquet_schema(arrow, earlier):
    """The columns of PARQUET_COLUMNS; ids are strings, or integers where an earlier file has them so."""
    if earlier is not None:
        return earlier.schema_arrow
    types = {"lines": arrow.int64(), "kept": arrow.int64(), "seconds": arrow.float64()}
    return arrow.schema([(name, types.get(name, arrow.string())) for name in PARQUET_COLUMNS])


def _part_rows(part: Path, done: set) -> Iterator[list[dict]]:
    """The part's records not already in the Parquet file (a run killed after its rename and
    before deleting the part), PARQUET_ROWS at a time, with ids as strings."""
    rows = []
    with part.open(encoding="utf-8") as stream:
        for line in stream:
            if not line.strip():
                continue
            record = json.loads(line)
            if record["id"] in done or str(record["id"]) in done:
                continue
            rows.append({name: record.get(name) for name in PARQUET_COLUMNS} | {"id": str(record["id"])})
            if len(rows) == PARQUET_ROWS:
                yield rows
                rows = []
    if rows:
        yield rows
