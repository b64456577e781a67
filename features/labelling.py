"""`boilerline label PAGE...`: correct the model's labels of your own pages in a browser, and
save them where training reads them (`make train TRAIN_EXTRA=labelled:DIR`).

A small web server on 127.0.0.1 shows each page's lines in order, styled by their block
(headings, paragraphs, list items, code), coloured by the model's P(content), each with its
label: the one in the page's labels file (`boilerline.labelfile`) where there is one, else
the model's decision. Saving writes that file beside the page. The browser sends only a page's
number and its labels: the server writes no file but the labels files of the pages it was given,
and answers only requests from this machine addressed to itself (a web page elsewhere cannot
make the browser post to it, nor rebind a name of its own to it).
"""

import argparse
import difflib
import importlib.resources
import ipaddress
import json
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from .decode import PageError, decode_page, has_markup
from .labelfile import LabelFileError, first_difference, html_page_of, is_html_name, labels_file_of, labels_file_text, parse_label_rows
from .model import BoilerplateModel, as_written, decisions, per_page_thresholds, predict_lines
from .segment import AS_WRITTEN, cut_for_scoring, html_columns, join_lines, text_columns

HOST = "127.0.0.1"
DEFAULT_PORT = 8737
SAVE_PATH = re.compile(r"/pages/(\d+)/labels")
BODY_BYTES_PER_LINE = 16  # a label is "0, " in JSON: more than this a line is not a page's labels
BODY_BYTES_SPARE = 1024


@dataclass
class PageToLabel:
    """One page being labelled: its lines as the model scored them, and their labels now."""

    name: str  # as the user gave it
    kind: str  # "html" or "text"
    labels_file: Path
    texts: list[str]  # each line as written, as the labels file holds it
    tags: list[str]  # each line's block tag ("text" for plain text)
    breaks: list[bool]  # a blank line before it (plain text's paragraph breaks)
    p: list[float]
    model_labels: list[int]
    labels: list[int]
    threshold: float  # the page's threshold under the model's rule: where its labels are least sure
    note: str = ""  # what the page's existing labels file said, where it did not fit

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "labels_file": self.labels_file.name,
            "texts": self.texts,
            "tags": self.tags,
            "breaks": self.breaks,
            "p": [round(p, 4) for p in self.p],
            "model": self.model_labels,
            "labels": self.labels,
            "threshold": self.threshold,
            "note": self.note,
        }


def page_to_label(model: BoilerplateModel, name: str, path: Path, kind: str, raw: bytes) -> PageToLabel:
    """A page file scored by `model`, with the labels of its labels file where it has one."""
    page = decode_page(raw)
    if kind == "html" and not is_html_name(path.name):
        raise LabelFileError(f"{name} is HTML: training reads labels beside a page named .html, .htm or .html.gz; rename it")
    if kind == "html" and not has_markup(page):
        raise LabelFileError(f"{name} holds no markup: rename it to .txt to label it as plain text")
    columns = html_columns(page) if kind == "html" else text_columns(page)
    tags, breaks = [str(tag) for tag in columns["tag"]], [bool(b) for b in columns["blank_before"]]
    written = columns[AS_WRITTEN]
    lines = join_lines([columns])  # takes the line columns out of `columns`
    lines["page"] = np.zeros(len(lines), np.int64)
    texts = lines["text"].tolist()
    lines = cut_for_scoring(lines, texts)
    part = model.artifact[kind]
    p = predict_lines(part, lines)
    model_labels = decisions(part, p, lines).astype(int).tolist()
    texts = as_written(texts, written)
    labels_file = labels_file_of(path)
    if kind == "text" and (html := html_page_of(labels_file)) is not None:
        raise LabelFileError(f"{name}: its labels file {labels_file.name} would be read as the labels of {html.name}, beside it")
    labels, note = saved_labels(labels_file, texts, model_labels)
    return PageToLabel(name, kind, labels_file, texts, tags, breaks, p.tolist(), model_labels, labels, page_threshold(part, p, lines), note)


def page_threshold(part: dict, p: np.ndarray, lines) -> float:
    """The threshold the model's rule gives the page; its one tuned threshold where the page's
    own would keep nothing."""
    if part["rule"] == "per_page" and len(p):
        own = float(per_page_thresholds(p, lines)[0])
        if np.isfinite(own):
            return own
    return float(part["threshold"])


def saved_labels(labels_file: Path, texts: list[str], model_labels: list[int]) -> tuple[list[int], str]:
    """The labels of the page's lines in its labels file, and what to say about that file: a
    file written for other lines lends its labels to the lines it shares with the page, the
    model labels the rest."""
    if not labels_file.is_file():
        return list(model_labels), ""
    try:
        rows = parse_label_rows(labels_file.read_text(encoding="utf-8", errors="replace"), labels_file.name)
    except LabelFileError as error:
        return list(model_labels), f"{error}; the labels shown are the model's, and saving replaces the file"
    difference = first_difference(rows.lines, texts, labels_file.name)
    if difference is None:
        return [line.label for line in rows.lines], ""
    labels = list(model_labels)
    written = [" ".join(line.text.split()) for line in rows.lines]
    shared = difflib.SequenceMatcher(None, written, [" ".join(text.split()) for text in texts], autojunk=False)
    for block in shared.get_matching_blocks():
        for offset in range(block.size):
            labels[block.b + offset] = rows.lines[block.a + offset].label
    return labels, f"{difference.split('; ')[0]}: the lines it shares with the page keep its labels, the model labels the others"


class LabelsRefused(Exception):
    """A save request that cannot be honoured; `status` is the HTTP status to answer with."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


def save_labels(page: PageToLabel, labels: object) -> Path:
    """Write `labels` (one 0 or 1 per line of the page) to the page's labels file, whole or
    not at all (a file written beside it, then moved over it)."""
    if not isinstance(labels, list) or len(labels) != len(page.texts):
        raise LabelsRefused(HTTPStatus.BAD_REQUEST, f"expected a list of {len(page.texts)} labels, one per line of {page.name}")
    if not all(type(label) is int and label in (0, 1) for label in labels):
        raise LabelsRefused(HTTPStatus.BAD_REQUEST, "a label is 1 (content) or 0 (boilerplate)")
    text = labels_file_text(page.texts, labels, page.breaks if page.kind == "text" else None)
    handle, temporary = tempfile.mkstemp(prefix=f".{page.labels_file.name}.", suffix=".tmp", dir=page.labels_file.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, page.labels_file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    page.labels, page.note = list(labels), ""
    return page.labels_file


def refusal(client: str, host: str | None, origin: str | None, port: int) -> str | None:
    """Why a request is refused, or None: it must come from this machine, be addressed to this
    server by its own name (a rebound name is another site's), and come from its own page."""
    address = ipaddress.ip_address(client)
    if not (address.is_loopback or getattr(address, "ipv4_mapped", None) and address.ipv4_mapped.is_loopback):
        return "only this machine may use the labelling page"
    own = {f"{HOST}:{port}", f"localhost:{port}"}
    if host not in own:
        return f"the labelling page answers only as http://{HOST}:{port}/"
    if origin is not None and origin not in {f"http://{name}" for name in own}:
        return "a request from another site's page"
    return None


class LabellingServer(ThreadingHTTPServer):
    """Serves the labelling page and the pages' lines, and saves their labels."""

    daemon_threads = True

    def __init__(self, pages: list[PageToLabel], port: int = DEFAULT_PORT, model_name: str = ""):
        self.pages = pages
        self.model_name = model_name
        self.saving = threading.Lock()
        self.app = importlib.resources.files("boilerline").joinpath("labelling.html").read_bytes()
        super().__init__((HOST, port), LabellingHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"


class LabellingHandler(BaseHTTPRequestHandler):
    server: LabellingServer
    server_version = "boilerline-label"

    def do_GET(self) -> None:
        if not self._allowed():
            return
        if self.path == "/":
            self._answer(HTTPStatus.OK, self.server.app, "text/html; charset=utf-8")
        elif self.path == "/pages":
            pages = {"model": self.server.model_name, "pages": [page.as_json() for page in self.server.pages]}
            self._answer_json(HTTPStatus.OK, pages)
        else:
            self._answer_json(HTTPStatus.NOT_FOUND, {"error": "no such page"})

    def do_POST(self) -> None:
        if not self._allowed():
            return
        try:
            saved = self._save()
        except LabelsRefused as refused:
            self._answer_json(refused.status, {"error": str(refused)})
        except OSError as error:
            self._answer_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"cannot write the labels: {error}"})
        else:
            print(f"boilerline label: saved {saved}", file=sys.stderr)
            self._answer_json(HTTPStatus.OK, {"saved": saved.name})

    def _save(self) -> Path:
        matched = SAVE_PATH.fullmatch(self.path)
        if matched is None or int(matched[1]) >= len(self.server.pages):
            raise LabelsRefused(HTTPStatus.NOT_FOUND, "no such page")
        page = self.server.pages[int(matched[1])]
        if self.headers.get_content_type() != "application/json":
            raise LabelsRefused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "labels are sent as application/json")
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():  # a negative length would read until the client hangs up
            raise LabelsRefused(HTTPStatus.LENGTH_REQUIRED, "labels are sent with their Content-Length")
        length = int(length)
        if length > BODY_BYTES_PER_LINE * len(page.texts) + BODY_BYTES_SPARE:
            raise LabelsRefused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "more than the labels of the page's lines")
        try:
            labels = json.loads(self.rfile.read(length)).get("labels")
        except (ValueError, AttributeError):
            raise LabelsRefused(HTTPStatus.BAD_REQUEST, 'expected {"labels": [1, 0, ...]}') from None
        with self.server.saving:
            return save_labels(page, labels)

    def _allowed(self) -> bool:
        reason = refusal(self.client_address[0], self.headers.get("Host"), self.headers.get("Origin"), self.server.port)
        if reason is None:
            return True
        self._answer_json(HTTPStatus.FORBIDDEN, {"error": reason})
        return False

    def _answer_json(self, status: HTTPStatus, value: dict) -> None:
        self._answer(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json")

    def _answer(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the command says what it saved, not every request."""


def port_number(value: str) -> int:
    """A --port value: 0 (any free port) to 65535."""
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535)")
    return number


def run_label(args) -> int:
    """`boilerline label`: serve the labelling page of the pages named until interrupted."""
    from .cli import CliError, expand_inputs, page_kind, read_page  # here: cli imports this module for its command table
    from .model import load_model

    sources = expand_inputs(args.inputs)
    if any(source.path is None for source in sources):
        raise CliError("label does not read stdin: its labels are saved beside each page file")
    model = load_model(args.model)
    pages = []
    for source in sources:
        raw = read_page(source)
        try:
            pages.append(page_to_label(model, source.name, source.path, page_kind(source.name, raw, False), raw))
        except (PageError, LabelFileError) as error:
            raise CliError(str(error) if str(error).startswith(source.name) else f"{source.name}: {error}") from None
    try:
        check_own_labels_files(pages)
    except LabelFileError as error:
        raise CliError(str(error)) from None
    try:
        server = LabellingServer(pages, args.port, str(model.path))
    except OSError as error:
        raise CliError(f"cannot serve on {HOST}:{args.port} ({error.strerror or error}): pass another --port") from None
    with server:
        print(
            f"boilerline label: {len(pages)} page{'s' * (len(pages) != 1)} at {server.url} (this machine only); "
            "labels are saved beside each page; Ctrl+C stops",
            file=sys.stderr,
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("boilerline label: stopped", file=sys.stderr)
    return 0


def check_own_labels_files(pages: list[PageToLabel]) -> None:
    """Refuse two pages that share a labels file, and a page that is itself a labels file."""
    seen = {}
    for page in pages:
        labels_file = page.labels_file.resolve()
        if labels_file == Path(page.name).resolve():
            raise LabelFileError(f"{page.name} is a labels file: pass the page it labels")
        earlier = seen.setdefault(labels_file, page.name)
        if earlier != page.name:
            raise LabelFileError(f"{earlier} and {page.name} would both be labelled in {page.labels_file}: label them apart")
