"""Clean the pages of a crawl, record by record, without one page stopping the others.

    for result in boilerline.clean_records(Record(id, html_bytes, charset, url) for ... in crawl):
        result["text"] if result["error"] is None else result["error"]

A record is a page with its id, the charset it was served with and its URL. The pages are
scored together, as `clean_pages` scores them (the texts are those `clean_html` gives page by
page, bytes read in the served charset), and every record gets one result, in order: a page
that fails is an error result, and the pages after it go on.
"""

import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from .decode import PageError, decode_page, has_markup
from .model import BoilerplateModel, ScoredLine, content_text, shared_model
from .title import html_title

KINDS = ("html", "text")


@dataclass(frozen=True)
class Record:
    """One page of a crawl: `page` as served (bytes) or as text, `charset` the one HTTP's
    Content-Type names (None when it names none), `kind` "html" or "text"."""

    id: str | int
    page: str | bytes
    charset: str | None = None
    url: str | None = None
    kind: str = "html"


class PageTimeout(PageError):
    """A page that took longer than its time budget."""


def clean_records(
    records: Iterable[Record | dict],
    model: BoilerplateModel | None = None,
    *,
    threshold: float | None = None,
    time_budget: float | None = None,
    article_end: bool = True,
) -> Iterator[dict]:
    """One result per record, in order, each a dict of

        id, url, kind (what the page was scored as), text (its content lines, joined with
        "\\n"), title (`html_title`, "" for plain text), lines, kept (how many lines it has and
        keeps), error (None, or why the page has no text: then text, title, kind, lines and
        kept are None), model_version (boilerline's), model_digest (the model file's).

    A record is a `Record` or a dict of its fields; a dict of "id", "url" and "error" (what
    `warc_records` gives for a record it cannot read) has that error as its result. `model` defaults to the shared default
    model (`shared_model`, loaded once per process); `threshold` and `article_end` as for `clean_html`.

    `time_budget` (seconds) bounds the time spent on each page: its segmentation, and the
    scoring of the batch of pages it completes; a page over it is an error result. In the main
    thread of a POSIX process it interrupts Python code (by SIGALRM, replacing any SIGALRM
    handler while the results are iterated); elsewhere (a thread, as Ray's actors run batches)
    it is looked at between the stages of a page's work (`score_html`'s time_budget). Neither
    interrupts one long call into C: the HTML parser's, which the page limits
    (BOILERLINE_MAX_PAGE_*) bound. For a hard limit, clean in a process that can be killed,
    as `boilerline batch` does.

    Only an exception of `records` itself (the caller's iterator) is raised, after the results
    of the records before it, and a ValueError for a `threshold` outside 0..1."""
    if threshold is not None and not 0 <= threshold <= 1:  # said once, not as every page's error
        raise ValueError(f"threshold must be a probability from 0 (keeps every line) to 1, or None, not {threshold!r}")
    model = model or shared_model()
    stamp = {"model_version": _version(), "model_digest": model.digest}
    source = _Source(records)
    with _page_budget(time_budget) as budget:
        while (first := source.next()) is not None:
            if isinstance(first, dict):  # a record that cannot be read as one
                yield first | stamp
                continue
            source.put_back(first)
            yield from _clean_run(
                partial(model.score_pages, threshold=threshold, article_end=article_end), first.kind, source, budget, stamp
            )


def _version() -> str:
    from . import __version__  # the package imports this module: its version is there once it is imported

    return __version__


class _Source:
    """The records, one at a time, as Records (or the error result of an unusable one), with one
    put back: a run of pages of one kind ends at the first record of another."""

    def __init__(self, records: Iterable[Record | dict]):
        if isinstance(records, (Record, dict, str, bytes)):  # iterating it would give its fields or characters
            raise TypeError(f"records must be an iterable of records, not one {type(records).__name__}: pass [record]")
        self._records = iter(records)
        self._back = []

    def next(self) -> "Record | dict | None":
        """The next record (None after the last)."""
        if self._back:
            return self._back.pop()
        try:
            item = next(self._records, _END)
        except Exception as error:  # the caller's own iterator: raised as it is, out of the scorer
            raise _SourceError() from error
        return None if item is _END else as_record(item)

    def put_back(self, item: "Record | dict") -> None:
        self._back.append(item)


_END = object()


class _SourceError(Exception):
    """The caller's iterator of records raised (the error is its cause)."""


def as_record(item: Record | dict) -> "Record | dict":
    """`item` as a Record, or the error result of an item that is none."""
    if isinstance(item, dict) and isinstance(item.get("error"), str):  # an input that could not be read: its error is its result
        return error_result(item.get("id"), item.get("url"), item["error"])
    if isinstance(item, dict):
        try:
            item = Record(**item)
        except TypeError as error:
            return error_result(item.get("id"), item.get("url"), f"not a record ({error})")
    if not isinstance(item, Record):
        return error_result(None, None, f"not a record: {type(item).__name__}")
    if item.kind not in KINDS:
        return error_result(item.id, item.url, f"kind must be one of {KINDS}, not {item.kind!r}")
    return item


def _clean_run(score_pages: Callable, kind: str, source: _Source, budget: "_Budget", stamp: dict) -> Iterator[dict]:
    """The results of the records of `kind` that come next in `source`, scored in batches by
    `score_pages` (the model's, with `clean_records`' decision options bound).

    `score_pages` raises at a page that fails, once the pages before it are given: the failed
    page's result is its error, and scoring goes on from the page after it. When the pages
    pulled but not given back are several (a batch failed as one), each is scored alone."""
    pending = deque()  # [record, its decoded page] of each page given to the scorer and not yet back

    def pages() -> Iterator[str]:
        while True:
            budget.stop()  # the caller's iterator is not the page's time
            record = source.next()
            if not isinstance(record, Record) or record.kind != kind:
                if record is not None:
                    source.put_back(record)
                budget.start()  # the last batch is scored after this
                return
            pending.append(entry := [record, None])
            try:
                entry[1] = decode_page(record.page, record.charset)
            except Exception as error:  # the batch before it is scored first, then this page's error is given
                entry[1] = error
                budget.start()
                return
            budget.start()
            yield entry[1]

    while True:
        try:
            for lines in score_pages(pages(), kind, time_budget=budget.between_stages):
                budget.stop()
                record, page = pending[0]
                result = page_result(record, kind, page, lines) | stamp
                pending.popleft()
                yield result
            budget.stop()
            if not pending:
                return
            ((record, error),) = pending  # the page that could not be decoded
            yield error_result(record.id, record.url, error_message(error)) | stamp
            pending.clear()
        except _SourceError as error:
            budget.stop()
            yield from (_alone(score_pages, record, budget) | stamp for record, _ in pending)
            raise error.__cause__ from None
        except Exception as error:
            budget.stop()
            if len(pending) == 1:
                record, _ = pending[0]
                yield error_result(record.id, record.url, error_message(error)) | stamp
            else:
                yield from (_alone(score_pages, record, budget) | stamp for record, _ in pending)
            pending.clear()


def _alone(score_pages: Callable, record: Record, budget: "_Budget") -> dict:
    """The result of one page, scored by itself."""
    try:
        page = decode_page(record.page, record.charset)
        budget.start()
        lines = next(score_pages([page], record.kind, time_budget=budget.between_stages))
        budget.stop()
    except Exception as error:
        budget.stop()
        return error_result(record.id, record.url, error_message(error))
    return page_result(record, record.kind, page, lines)


def page_result(record: Record, kind: str, page: str, lines: list[ScoredLine]) -> dict:
    """The result of a page scored as `kind` (an HTML page without markup is scored as text)."""
    is_html = kind == "html" and has_markup(page)
    return {
        "id": record.id,
        "url": record.url,
        "kind": "html" if is_html else "text",
        "text": content_text(lines),
        "title": html_title(page) if is_html else "",
        "lines": len(lines),
        "kept": sum(line.is_content for line in lines),
        "error": None,
    }


def error_result(identity, url: str | None, message: str) -> dict:
    return {"id": identity, "url": url, "kind": None, "text": None, "title": None, "lines": None, "kept": None, "error": message}


def error_message(error: Exception) -> str:
    """One line saying why a page failed, without the place in its batch that `score_pages` adds."""
    cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
    message = str(cause) if isinstance(cause, PageError) else f"{type(cause).__name__}: {cause}"
    return " ".join(message.split())


class _Budget:
    """A page's time, armed when the library starts on a page and stopped when it gives a result;
    or, where no alarm can ring, `between_stages`: the scorer's own time budget."""

    def __init__(self, seconds: float | None, between_stages: float | None = None):
        self.seconds = seconds
        self.between_stages = between_stages

    def start(self) -> None:
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def stop(self) -> None:
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def _page_budget(seconds: float | None) -> Iterator[_Budget]:
    """A _Budget of `seconds` a page (None: no limit), its alarm raising PageTimeout; outside a
    POSIX process's main thread, one the scorer looks at between stages (PageError)."""
    if seconds is None:
        yield _Budget(None)
        return
    if not seconds > 0:
        raise ValueError(f"time_budget must be a number of seconds above 0, or None, not {seconds!r}")
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield _Budget(None, between_stages=seconds)  # a signal handler can only be set in the main thread
        return

    def timed_out(*_):
        raise PageTimeout(f"timed out after {seconds:g} s (time_budget)")

    previous = signal.signal(signal.SIGALRM, timed_out)
    try:
        yield _Budget(seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
