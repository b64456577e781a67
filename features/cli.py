"""`boilerline`: the content lines of pages from the command line.

boilerline clean page.html                      # the content lines, to stdout
boilerline clean 'crawl/*.html.gz' --out clean/  # one .txt per page
boilerline score page.html --format jsonl       # every line with its P(content)
boilerline batch crawl/ --out pages.jsonl --jobs 4
boilerline batch 'crawl/*.warc.gz' --out pages.parquet
"""

import argparse
import dataclasses
import glob
import gzip
import io
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import webencodings
from tqdm import tqdm

from . import __version__, settings
from .artifact import ModelError
from .crawl import CrawlError, count_warc_records, is_parquet, is_warc, parquet_part, resumable_ids, warc_files, warc_records, write_parquet
from .decode import GZIP_ERRORS, PageError, decode_page, gunzipped, has_markup
from .labelling import DEFAULT_PORT, port_number, run_label
from .model import BoilerplateModel, ScoredLine, content_text, load_model, with_title
from .records import Record, clean_records
from .segment import text_columns
from .settings import SettingError
from .title import html_title

PROG = "boilerline"
PAGE_SUFFIXES = {".html": "html", ".htm": "html", ".txt": "text"}
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz")
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
    """How every page of a command is read and decided: --text, --encoding, --threshold."""

    force_text: bool = False
    encoding: str | None = None  # the charset of the input bytes, over the one a page declares
    threshold: float | None = None  # None: the model's tuned decision

    @classmethod
    def of(cls, args: argparse.Namespace) -> "Reading":
        return cls(args.text, args.encoding, args.threshold)


# --- Inputs -------------------------------------------------------------------------------------


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
            with _open(source.path, "rb") as stream:
                raw = stream.read(limit + 1)
        raw = gunzipped(raw, limit)
    except READ_ERRORS as error:
        raise PageError(f"{source.name}: cannot read it ({_reason(error)})") from None
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


def _open(path: str | Path, mode: str, **options):
    """A file, gunzipped when its name ends in .gz."""
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    return opener(path, mode, **options)


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


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
    score = model.score_html if kind == "html" else model.score_text
    return ScoredPage(kind, page, score(page, reading.threshold))


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


# --- batch ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One page of a batch: a file to read, the page of a JSONL record (`kind` then set), or a
    WARC response's Record."""

    id: str | int
    source: Source | None = None
    page: str | None = None
    kind: str | None = None
    record: Record | None = None


def batch_inputs(specs: list[str]) -> tuple[int, Iterator[Task | dict]]:
    """How many inputs there are, and each as a Task or, when it is unusable, as its error record."""
    if "-" in specs:
        raise CliError("batch does not read stdin: pass a folder, a glob, or a JSONL file of records")
    record_files = [spec for spec in specs if spec.lower().endswith(RECORD_SUFFIXES) and os.path.isfile(spec)]
    warcs = [path for spec in specs if is_warc(spec) for path in warc_files(spec)]
    sources = expand_inputs(spec for spec in specs if spec not in record_files and not is_warc(spec))
    total = len(sources) + sum(_count_records(path) for path in record_files) + sum(count_warc_records(path) for path in warcs)

    def inputs():
        for source in sources:
            yield Task(source.name, source=source)
        for path in record_files:
            yield from _record_tasks(path)
        for path in warcs:
            yield from (item if isinstance(item, dict) else Task(item.id, record=item) for item in warc_records(path))

    return total, inputs()


def _open_records(path: str):
    return _open(path, "rt", encoding="utf-8", errors="replace")


def _count_records(path: str) -> int:
    return sum(1 for _ in _record_lines(path))


def _record_tasks(path: str) -> Iterator[Task | dict]:
    for where, line in _record_lines(path):
        if isinstance(line, Exception):
            yield {"id": where, "error": f"cannot read the records from here on ({_reason(line)})"}
        else:
            yield _record_task(line, where)


def _record_lines(path: str) -> Iterator[tuple[str, str | Exception]]:
    """Each non-blank line of a JSONL file with where it is; a file that breaks (a truncated
    .gz) gives the lines before the break, then the error where it broke."""
    number = 0
    name = printable(path)
    try:
        with _open_records(path) as stream:
            for number, line in enumerate(stream, 1):
                if line.strip():
                    yield f"{name}:{number}", line
    except READ_ERRORS as error:
        yield f"{name}:{number + 1}", error


def _record_task(line: str, where: str) -> Task | dict:
    """The Task of one JSONL line, or an error record named after `where` when the line is unusable."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return {"id": where, "error": f"bad JSON line ({error})"}
    # JSON's true and false would be Python's 1 and 0, the same ids as those numbers.
    if not isinstance(record, dict) or not isinstance(record.get("id"), (str, int)) or isinstance(record["id"], bool):
        return {"id": where, "error": 'not a record with an "id" (a string or an integer)'}
    pages = {kind: record[kind] for kind in ("html", "text") if kind in record}
    if len(pages) != 1 or not isinstance(next(iter(pages.values())), str):
        return {"id": record["id"], "error": 'a record needs exactly one of "html" or "text", a string'}
    ((kind, page),) = pages.items()
    return Task(record["id"], page=page, kind=kind)


def process_task(model: BoilerplateModel, task: Task, reading: Reading) -> dict:
    """The output record of one page: its content lines, or why there are none."""
    started = time.perf_counter()
    try:
        record = task_record(task, reading)
    except PageError as error:
        return {"id": task.id, "error": str(error)}
    except Exception as error:  # one strange page must cost its own record, never the batch
        return {"id": task.id, "error": f"{type(error).__name__}: {error}"}
    result = next(clean_records([record], model, threshold=reading.threshold))
    if result["error"] is not None:
        return {"id": task.id, "url": result["url"], "error": result["error"]}
    del result["error"]
    return result | {"seconds": round(time.perf_counter() - started, 3)}


def task_record(task: Task, reading: Reading) -> Record:
    """The page of a task as `clean_records` takes it; PageError when its file cannot be read."""
    if task.record is not None:  # a WARC response, in the charset it was served with, else --encoding
        return dataclasses.replace(task.record, charset=task.record.charset or reading.encoding)
    if task.source is not None:
        raw = read_page(task.source)
        return Record(task.id, raw, reading.encoding, kind=page_kind(task.source.name, raw, reading.force_text))
    return Record(task.id, task.page, reading.encoding, kind=task.kind)


def _worker_main(conn, model_path, reading: Reading) -> None:
    """A worker process: load the model once, then score the pages the parent sends, one at a time."""
    from threadpoolctl import threadpool_limits

    # Ctrl-C reaches the whole process group: the parent alone decides, and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The workers are the parallelism; OpenMP threads inside each would oversubscribe the cores.
    threadpool_limits(1)
    try:
        model = load_model(model_path)
    except ModelError as error:
        conn.send(("model_error", str(error)))
        return
    conn.send(("ready", None))
    try:
        while True:
            conn.send(("done", process_task(model, conn.recv(), reading)))
    except (EOFError, BrokenPipeError):  # the parent is gone
        pass


class _Worker:
    def __init__(self, context, worker_args: tuple):
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child_conn, *worker_args), daemon=True)
        self.process.start()
        child_conn.close()  # so that the worker's death reads as end-of-file here
        self.ready = False
        self.task = None
        self.deadline = None

    @property
    def idle(self) -> bool:
        return self.ready and self.task is None

    def assign(self, task: Task, timeout: float) -> None:
        self.task = task
        self.deadline = time.monotonic() + timeout
        self.conn.send(task)

    def finish(self) -> Task:
        task, self.task, self.deadline = self.task, None, None
        return task

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class WatchdogPool:
    """Worker processes that score one page at a time each, under a per-page deadline.

    A worker past its page's deadline is killed and replaced (a page stuck in C code cannot be
    interrupted any other way), and the page gets a timeout error record; so does a page whose
    worker dies. The same holds with a single worker.
    """

    def __init__(self, jobs: int, timeout: float, model_path, reading: Reading):
        self.jobs = jobs
        self.timeout = timeout
        self.worker_args = (model_path, reading)
        self.context = _process_context()
        self.workers: list[_Worker] = []

    def __enter__(self) -> "WatchdogPool":
        return self

    def __exit__(self, *exc_info) -> None:
        for worker in self.workers:
            worker.kill()
        self.workers = []

    def run(self, tasks: Iterator[Task]) -> Iterator[dict]:
        """The output record of every task, in the order they finish."""
        self.workers = [self._start_worker() for _ in range(self.jobs)]
        exhausted = False
        while True:
            if not exhausted:
                exhausted = self._assign(tasks)
            if exhausted and not any(w.task for w in self.workers):
                return
            self._wait()
            yield from self._collect()

    def _start_worker(self) -> _Worker:
        return _Worker(self.context, self.worker_args)

    def _assign(self, tasks: Iterator[Task]) -> bool:
        """Give each idle worker a task; True once there are no more."""
        for worker in self.workers:
            if worker.idle:
                task = next(tasks, None)
                if task is None:
                    return True
                worker.assign(task, self.timeout)
        return False

    def _wait(self) -> None:
        deadlines = [w.deadline for w in self.workers if w.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        waitables = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        multiprocessing.connection.wait(waitables, timeout)

    def _collect(self) -> Iterator[dict]:
        for index, worker in enumerate(self.workers):
            record = self._check(worker)
            if record is not None:
                yield record
            if not worker.process.is_alive():
                worker.kill()
                self.workers[index] = self._start_worker()

    def _check(self, worker: _Worker) -> dict | None:
        """The record a worker finished or lost, if any; kills a worker past its deadline."""
        if worker.conn.poll():
            try:
                message, value = worker.conn.recv()
            except EOFError:
                return self._lost(worker, timed_out=False)
            if message == "model_error":
                raise ModelError(value)
            if message == "ready":
                worker.ready = True
                return None
            worker.finish()
            return value
        if worker.task is not None and time.monotonic() >= worker.deadline:
            worker.process.kill()
            return self._lost(worker, timed_out=True)
        if not worker.process.is_alive():
            return self._lost(worker, timed_out=False)
        return None

    def _lost(self, worker: _Worker, timed_out: bool) -> dict | None:
        """The error record of the page a worker was on when it was killed or died."""
        worker.process.join()
        if not worker.ready:
            raise CliError(f"a batch worker process failed to start (exit code {worker.process.exitcode})")
        task = worker.finish()
        if task is None:
            return None
        if timed_out:
            return {"id": task.id, "error": f"timed out after {self.timeout:g} s (BOILERLINE_PAGE_TIMEOUT, --timeout)"}
        return {"id": task.id, "error": f"its worker process died (exit code {worker.process.exitcode}), e.g. out of memory"}


def _process_context():
    """A fork server where there is one: replacing a killed worker then costs no fresh interpreter."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["boilerline.model"])
        return context
    return multiprocessing.get_context("spawn")


class BatchOutput:
    """The JSONL output of a batch: what it already holds, what is appended, and the counts."""

    def __init__(self, path: Path | None, total: int):
        self.started = time.monotonic()
        self.path = path
        self.seen = set()
        self.ok = self.errors = self.skipped = 0
        if path is None:
            self.done, self.stream = set(), sys.stdout
        else:
            self.done = read_done_ids(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.stream = path.open("a", encoding="utf-8")
        # tqdm draws nothing unless stderr is a terminal (disable=None), so logs stay clean.
        self.bar = tqdm(total=total, unit="page", file=sys.stderr, disable=None, dynamic_ncols=True)

    def pending(self, inputs: Iterator[Task | dict]) -> Iterator[Task]:
        """The tasks still to do; inputs done before are skipped, unusable ones written as errors."""
        for item in inputs:
            identity = item["id"] if isinstance(item, dict) else item.id
            if identity in self.done:
                self.skipped += 1
                self._advance()
            elif identity in self.seen:
                self.write({"id": identity, "error": "duplicate id: an earlier input has the same id"})
            else:
                self.seen.add(identity)
                if isinstance(item, dict):
                    self.write(item)
                else:
                    yield item

    def write(self, record: dict) -> None:
        # One write and a flush per record: an interrupted batch keeps every finished page.
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()
        if "error" in record:
            self.errors += 1
        else:
            self.ok += 1
        self._advance()

    def _advance(self) -> None:
        self.bar.set_postfix(ok=self.ok, errors=self.errors, skipped=self.skipped, refresh=False)
        self.bar.update()

    def __enter__(self) -> "BatchOutput":
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.bar.close()
        if self.path is not None:
            self.stream.close()
        # A model error is its own message; an interrupted run still wrote what it counts.
        if exc_type is None:
            print(self.summary(), file=sys.stderr)
        elif issubclass(exc_type, KeyboardInterrupt):
            print(self.summary() + "; interrupted: rerun the command to resume", file=sys.stderr)

    def summary(self) -> str:
        skipped = f"{self.skipped} skipped"
        if self.skipped:
            skipped += f" (already in {self.path})"
        seconds = time.monotonic() - self.started
        errors = f"{self.errors} error" + ("" if self.errors == 1 else "s")
        rate = (self.ok + self.errors) / max(seconds, 1e-9)
        return f"{PROG} batch: {self.ok} ok, {errors}, {skipped}, in {seconds:.1f} s ({rate:.1f} records/s)"


def read_done_ids(path: Path) -> set:
    """The ids of the records an earlier run wrote to `path`, cutting an unfinished last line.
    A file that is not a batch's output is refused before anything in it is touched."""
    if not path.exists():
        return set()
    if special := special_file(path):
        raise CliError(f"{path} is not a regular file but {special}; pass a file to write the records to")
    with path.open("rb+") as stream:
        data = stream.read()
        complete = data.rfind(b"\n") + 1
        done = set()
        # Records end at "\n" alone: a U+2028 in a page's text is part of its record.
        for number, line in enumerate(data[:complete].decode("utf-8", errors="replace").split("\n"), 1):
            if line.strip():
                done.add(_record_id(line, f"{path}:{number}"))
        if complete < len(data):  # the write a killed run did not finish: its page is redone
            if not data[complete:].startswith(RECORD_START):
                raise CliError(f"{path} does not end as batch output does; pass a new --out file or the output of a batch")
            stream.truncate(complete)
    return done


RECORD_START = b'{"id": '  # how every record `json.dumps` writes begins


def _record_id(line: str, where: str):
    try:
        return json.loads(line)["id"]
    except (json.JSONDecodeError, TypeError, KeyError):
        raise CliError(f"{where} is not a batch record; pass a new --out file or the output of a batch") from None


def run_batch(args) -> int:
    if args.out is not None and args.out.suffix and args.out.suffix.lower() not in (".jsonl", ".parquet"):
        raise CliError(f"batch writes JSON lines or Parquet: name the --out file .jsonl or .parquet, not {args.out.suffix}")
    total, inputs = batch_inputs(args.inputs)
    parquet = is_parquet(args.out)  # written whole at the end, from a JSONL part that resumes (`crawl`)
    with BatchOutput(parquet_part(args.out) if parquet else args.out, total) as output:
        if parquet:
            output.done |= resumable_ids(args.out)
        tasks = output.pending(inputs)
        first = next(tasks, None)
        if first is not None:
            timeout = args.timeout if args.timeout is not None else min(settings.limit("PAGE_TIMEOUT"), MAX_TIMEOUT)
            with WatchdogPool(min(args.jobs, total), timeout, args.model, Reading.of(args)) as pool:
                for record in pool.run(itertools.chain([first], tasks)):
                    output.write(record)
    if parquet:
        write_parquet(args.out)
    return 1 if output.errors else 0  # as clean and score: 1 when a page of this run failed


# --- Command line ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="The content lines of scraped pages, HTML or plain text.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
MAX_TIMEOUT = 1e6


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
