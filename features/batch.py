"""`boilerline batch`: many pages, each in a worker process under a deadline, to JSONL or Parquet.

A batch resumes: the ids already in its output are skipped, and a page that times out or whose
worker dies gets an error record, so no input is lost silently.
"""

import dataclasses
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from . import settings
from .artifact import ModelError
from .crawl import count_warc_records, is_parquet, is_warc, parquet_part, resumable_ids, warc_files, warc_records, write_parquet
from .decode import PageError
from .inputs import (
    PROG,
    READ_ERRORS,
    CliError,
    Reading,
    Source,
    expand_inputs,
    open_file,
    page_kind,
    printable,
    read_page,
    reason,
    special_file,
)
from .model import BoilerplateModel, load_model
from .records import Record, clean_records

MAX_TIMEOUT = 1e6  # seconds: the most --timeout takes
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz")


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
    return open_file(path, "rt", encoding="utf-8", errors="replace")


def _count_records(path: str) -> int:
    return sum(1 for _ in _record_lines(path))


def _record_tasks(path: str) -> Iterator[Task | dict]:
    for where, line in _record_lines(path):
        if isinstance(line, Exception):
            yield {"id": where, "error": f"cannot read the records from here on ({reason(line)})"}
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
        return {"id": task.id, "url": task_url(task), "error": str(error)}
    except Exception as error:  # one strange page must cost its own record, never the batch
        return {"id": task.id, "url": task_url(task), "error": f"{type(error).__name__}: {error}"}
    result = next(clean_records([record], model, threshold=reading.threshold, article_end=reading.article_end))
    if result["error"] is not None:
        return {"id": task.id, "url": result["url"], "error": result["error"]}
    del result["error"]
    return result | {"seconds": round(time.perf_counter() - started, 3)}


def task_url(task: Task) -> str | None:
    """The URL of a task's page where it has one (a WARC response's), so that an error record names it too."""
    return task.record.url if task.record is not None else None


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
            return {
                "id": task.id,
                "url": task_url(task),
                "error": f"timed out after {self.timeout:g} s (BOILERLINE_PAGE_TIMEOUT, --timeout)",
            }
        return {
            "id": task.id,
            "url": task_url(task),
            "error": f"its worker process died (exit code {worker.process.exitcode}), e.g. out of memory",
        }


def _process_context():
    """A fork server where there is one: replacing a killed worker then costs no fresh interpreter."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["boilerline.model", "lightgbm"])
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
