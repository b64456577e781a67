"""Measure the model beside other extractors on the same held-out pages, and publish the numbers.

    python evaluate.py                        # quality and speed -> REPORT_DIR (report.md, summary.md, plots)
    python evaluate.py --bench                # speed only: clean_html against trafilatura
    python evaluate.py --crawl                # a crawl's speed: WARC in, clean_records, batch, datatrove
    python evaluate.py --dataset labelled:my/pages   # also your own pages (wcxb, scrapinghub, labelled, hf)

Systems: the HTML model (`clean_html`), the text model (`clean_text`) over each text
rendering of the page, and the peer extractors, whose outputs are cached under
DATA_DIR/cache/peers. WCXB pages are scored with that benchmark's word F1, ScrapingHub pages
with its shingle F1, line-labelled pages with word F1 against their content lines.
"""

import argparse
import ctypes
import gzip
import hashlib
import importlib.metadata
import inspect
import json
import logging
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.ticker import ScalarFormatter
from sklearn.metrics import average_precision_score, precision_recall_curve
from tqdm import tqdm

from boilerline import clean_records, decode_page, load_model
from boilerline.crawl import warc_records
from boilerline.lines import counts_in_use
from boilerline.model import content_text, trees_in_use
from boilerline.segment import segment_html, segment_text, walk_in_use
from data import settings
from data.align import label_lines
from data.cipher import encipher_html, page_cipher
from data.fetch import raw_dir, seed_page
from data.metrics import bootstrap_std, f1_of, shingle_counts, shingle_scores, shingles, snippet_rate, word_prf
from data.render import RENDERINGS
from data.sources import FORMATS, DatasetMissing, Page, read_scrapinghub, read_spec, read_wcxb
from data.split import is_held_out
from data.warc import response_record, write_warc

HTML_MODEL = "boilerline (HTML)"
# The HTML model deciding alone, without the article's end (`segment.past_article_end`): its
# before and after side by side (each page is scored twice: what make eval can afford).
HTML_MODEL_NO_END = "boilerline (HTML, no article end)"
WCXB_NAME, SCRAPINGHUB_NAME = "WCXB dev, held out", "ScrapingHub"
UNSEEN_SCRIPT_NAME = "WCXB dev, held out, in an unseen script"
# The pages in neither benchmark (data.fetch.UNSEEN_SOURCES): dataset name -> (folder, FORMAT,
# README column, summary score). The column of Goose's pages is the share whose start is kept
# verbatim (its words' recall is near 1 for every system); newspaper4k's is its word F1.
UNSEEN = {
    "Goose's test pages, unseen": ("goose", "goose", "Goose kept", "with"),
    "newspaper4k's test pages, unseen": ("newspaper", "newspaper", "newspaper4k F1", "f1"),
}
SPEED_PAGES = 100  # held-out pages timed per system: a stable median in about two minutes on 2 cores
SPEED_RUNS = 3
WORST_PAGES = 10
PEER_CACHE = settings.DATA_DIR / "cache" / "peers"
#: More datasets to measure beside the benchmarks [EVAL_EXTRA]: FORMAT:PATH specs as in TRAIN_EXTRA.
EVAL_EXTRA = os.environ.get("EVAL_EXTRA", "").split()
#: Where the report is written [REPORT_DIR].
REPORT_DIR = Path(os.environ.get("REPORT_DIR", settings.REPO / "reports"))
#: Seconds a peer may take on one page before it counts as a failure [PAGE_TIMEOUT].
PAGE_TIMEOUT = settings.number("PAGE_TIMEOUT", 30.0)


def text_system(rendering: str) -> str:
    return f"boilerline (text: {rendering})"


# --- Datasets -----------------------------------------------------------------------------
@dataclass
class Dataset:
    name: str
    # "word" (WCXB's word F1), "shingle" (ScrapingHub's shingle F1) or "snippet" (no gold
    # text, only must-have snippets: their words' recall and the share kept verbatim, as
    # for Goose's pages)
    metric: str
    pages: list[Page]


def held_out_wcxb() -> Dataset:
    """WCXB dev pages of the domains that training never sees."""
    pages = [page for page in read_wcxb(raw_dir() / "wcxb-dev") if is_held_out(page.domain)]
    return Dataset(WCXB_NAME, "word", pages)


def in_unseen_script(dataset: Dataset) -> Dataset:
    """The dataset's pages as in a language no system was built for: each page's letters
    enciphered (data.cipher), in its HTML, its gold and its snippets alike, so that a system
    that keeps the same lines scores the same as on the page as written."""

    def page_in_unseen_script(page: Page) -> Page:
        cipher = page_cipher(page.page_id)
        return replace(
            page,
            html=encipher_html(page.html, page.page_id),
            gold=None if page.gold is None else page.gold.translate(cipher),
            must_have=[text.translate(cipher) for text in page.must_have],
            must_not_have=[text.translate(cipher) for text in page.must_not_have],
        )

    return Dataset(UNSEEN_SCRIPT_NAME, dataset.metric, [page_in_unseen_script(page) for page in dataset.pages])


def scrapinghub() -> Dataset:
    return Dataset(SCRAPINGHUB_NAME, "shingle", read_scrapinghub(raw_dir() / "scrapinghub"))


def dataset_of(spec: str, name: str | None = None) -> Dataset:
    """The pages of a FORMAT:PATH spec, measured as their format's gold allows."""
    metric = {"scrapinghub": "shingle", "goose": "snippet"}.get(spec.partition(":")[0], "word")
    return Dataset(name or spec, metric, read_spec(spec))


def user_dataset(spec: str) -> Dataset:
    """A dataset named on the command line as FORMAT:PATH (PATH: a folder, or a Hugging Face name)."""
    try:
        return dataset_of(spec)
    except (ValueError, DatasetMissing) as error:
        raise SystemExit(f"--dataset: {error}") from None


def unseen_datasets() -> list[Dataset]:
    """The pages in neither benchmark that `python -m data fetch-unseen` got, those it got."""
    datasets = []
    for name, (folder, fmt, *_) in UNSEEN.items():
        try:
            datasets.append(dataset_of(f"{fmt}:{raw_dir() / folder}", name))
        except DatasetMissing as missing:  # not fetched (offline): the run goes on without them
            print(f"skipping {name}: {missing}; `python -m data fetch-unseen` gets them", file=sys.stderr)
    return datasets


def load_datasets(specs: list[str]) -> list[Dataset]:
    """The two benchmarks, the held-out WCXB pages `in_unseen_script`, the user's datasets, then
    the unseen pages; with user datasets, absent benchmarks are skipped."""
    datasets = []
    for load in (held_out_wcxb, scrapinghub):
        try:
            datasets.append(load())
        except DatasetMissing as missing:
            if not specs:
                raise SystemExit(str(missing)) from None
            print(f"skipping a benchmark: {missing}", file=sys.stderr)
    datasets += [in_unseen_script(dataset) for dataset in datasets if dataset.name == WCXB_NAME]
    return datasets + [user_dataset(spec) for spec in specs] + unseen_datasets()


def gold_text(page: Page) -> str | None:
    """The page's gold main text; for a line-labelled page, its content lines."""
    if page.labels is None:
        return page.gold
    lines = [line for line in page.text.splitlines() if line.strip()]
    return "\n".join(line for line, label in zip(lines, page.labels) if label)


# --- Running a system on one page, never crashing the run ------------------------------------
@dataclass(frozen=True)
class Output:
    text: str
    error: str | None = None  # why the system failed on this page; its text is then ""


class PageTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Give up on a page after `seconds`: one pathological page must not stall a whole run.

    SIGALRM only reaches the main thread, which is where both the run and pool workers call this.
    """

    def give_up(signum, frame):
        raise PageTimeout(f"over the {seconds:g} s page time limit (PAGE_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_safely(function: Callable, page_input: str) -> tuple[object, Output | None]:
    """(the function's result, None), or (None, the failure) when it fails or times out."""
    try:
        with time_limit(PAGE_TIMEOUT):
            return function(page_input), None
    except Exception as error:  # peers fail on real pages in many ways; each is one page's error
        return None, failure(error)


def run_safely(function: Callable[[str], str], page_input: str) -> Output:
    """The system's text for one page, or "" and the reason when it fails or times out."""
    text, failed = call_safely(function, page_input)
    return failed or Output(text or "")


def failure(error: Exception) -> Output:
    return Output("", f"{type(error).__name__}: {error}"[:300])


# --- Peers ---------------------------------------------------------------------------------
# Each peer with its defaults. Imports are inside the
# functions because peers are optional extras: a missing one is skipped, not fatal.
def trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html)


def resiliparse_text(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    # The page is already decoded text: HTMLTree.parse takes it as is (parse_from_bytes would
    # need its encoding).
    return extract_plain_text(HTMLTree.parse(html), main_content=True)


def readability_text(html: str) -> str:
    import lxml.html
    from readability import Document

    return lxml.html.fromstring(Document(html).summary()).text_content()


def justext_text(html: str) -> str:
    import justext

    paragraphs = justext.justext(html, justext.get_stoplist("English"))
    return "\n".join(paragraph.text for paragraph in paragraphs if not paragraph.is_boilerplate)


def boilerpy3_text(html: str) -> str:
    from boilerpy3 import extractors

    return extractors.DefaultExtractor().get_content(html)


PEERS = {  # name -> (function, distribution whose version keys the cache)
    "trafilatura": (trafilatura_text, "trafilatura"),
    "resiliparse": (resiliparse_text, "resiliparse"),
    "readability-lxml": (readability_text, "readability-lxml"),
    "jusText": (justext_text, "justext"),
    "boilerpy3": (boilerpy3_text, "boilerpy3"),
    "html-text (keep all)": (RENDERINGS["html_text"], "html-text"),
}


def peer_version(name: str) -> str | None:
    """The installed version of a peer plus a digest of how we call it; None when not installed.

    The call's digest is part of the cache key so that changing a peer's options reruns it.
    """
    function, distribution = PEERS[name]
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    call = hashlib.sha1(inspect.getsource(function).encode()).hexdigest()[:8]
    return f"{version}-{call}"


def available_peers() -> dict[str, str]:
    """Installed peers -> cache version; the missing ones are named once on stderr."""
    versions = {name: peer_version(name) for name in PEERS}
    for name, version in versions.items():
        if version is None:
            print(f"skipping {name}: not installed (pip install -e '.[eval]')", file=sys.stderr)
    return {name: version for name, version in versions.items() if version is not None}


def quiet_peer_logging() -> None:
    """Silence the peers' own logging: boilerpy3 logs a traceback per page it cannot parse, and
    each failure is already counted in the report's errors column."""
    logging.disable(logging.ERROR)


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def cache_path(cache_dir: Path, peer: str, version: str, page: Page) -> Path:
    """Where a peer's output on a page is kept: keyed by peer, version, source, page and HTML digest."""
    digest = hashlib.sha1(page.html.encode("utf-8", "surrogatepass")).hexdigest()
    folder = cache_dir / _safe_name(peer) / _safe_name(version) / _safe_name(page.source)
    return folder / f"{_safe_name(page.page_id)}-{digest}.json"


def read_cached(path: Path) -> Output | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, or cut short by an interrupted run: run it again
        return None
    return Output(record["text"], record["error"])


def write_cached(path: Path, output: Output) -> None:
    """Write through a temporary file, so an interrupted run never leaves half an entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"text": output.text, "error": output.error}, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def _peer_task(task: tuple[str, str, str]) -> tuple[str, str, Output]:
    peer, page_id, html = task
    return peer, page_id, run_safely(PEERS[peer][0], html)


def peer_outputs(pages: list[Page], peers: dict[str, str], cache_dir: Path, jobs: int) -> dict[str, dict[str, Output]]:
    """peer -> page id -> output on every HTML page, from the cache where it has them."""
    outputs: dict[str, dict[str, Output]] = defaultdict(dict)
    todo = []
    for peer, version in peers.items():
        for page in pages:
            if page.html is None:
                continue
            cached = read_cached(cache_path(cache_dir, peer, version, page))
            if cached is None:
                todo.append((peer, page.page_id, page.html))
            else:
                outputs[peer][page.page_id] = cached
    by_id = {page.page_id: page for page in pages}
    with _task_runner(jobs) as run_all:
        results = run_all(_peer_task, todo)
        for peer, page_id, output in tqdm(results, total=len(todo), desc="peers (not cached)", unit="page"):
            outputs[peer][page_id] = output
            # A timeout depends on how loaded the machine was: try that page again next run.
            if not (output.error or "").startswith(PageTimeout.__name__):
                write_cached(cache_path(cache_dir, peer, peers[peer], by_id[page_id]), output)
    return dict(outputs)


@contextmanager
def _task_runner(jobs: int, initializer: Callable | None = None, initargs: tuple = ()):
    """A map over tasks: in this process for one job, else a pool of fresh (spawned) workers,
    each set up by `initializer`, yielding results as they come.

    Spawned, not forked: a fork of a process that has run scikit-learn's OpenMP code can hang.
    """
    if jobs <= 1:
        yield map
        return
    with multiprocessing.get_context("spawn").Pool(jobs, _set_up_worker, (initializer, initargs)) as pool:
        yield lambda function, tasks: pool.imap_unordered(function, tasks, chunksize=2)


def _set_up_worker(initializer: Callable | None, initargs: tuple) -> None:
    quiet_peer_logging()
    if initializer is not None:
        initializer(*initargs)


# --- The model -------------------------------------------------------------------------------
@dataclass
class PageLines:
    """The model's lines of one page with their scores and the gold labels of the same lines."""

    texts: list[str]
    p_content: np.ndarray
    kept: np.ndarray
    labels: np.ndarray


def scored_page_lines(scored, labels) -> PageLines:
    return PageLines(
        [line.text for line in scored],
        np.array([line.p_content for line in scored], dtype=float),
        np.array([line.is_content for line in scored], dtype=bool),
        np.asarray(labels, dtype=bool),
    )


def html_page_lines(scored: list | None, page: Page) -> PageLines | None:
    """The HTML model's lines labelled by aligning them to the gold text; None without gold."""
    gold = gold_text(page)
    if gold is None or scored is None:
        return None
    return scored_page_lines(scored, label_lines([line.text for line in scored], gold))


def text_page_lines(scored: list | None, page: Page) -> PageLines | None:
    """The text model's lines of a line-labelled page; None when its lines are not the labelled ones."""
    if page.labels is None or scored is None or len(scored) != len(page.labels):
        return None
    return scored_page_lines(scored, page.labels)


def scored_safely(score: Callable, page_input: str) -> tuple[list | None, Output]:
    """The model's scored lines and its cleaned text (one scoring for both), or None and why it failed."""
    scored, failed = call_safely(score, page_input)
    return scored, failed or Output(content_text(scored))


def page_model_outputs(model, page: Page) -> tuple[str, dict[str, Output], PageLines | None]:
    """The HTML and text models' outputs on one page, and the page's scored, labelled lines."""
    if page.html is None:
        scored, output = scored_safely(model.score_text, page.text)
        return page.page_id, {text_system("given"): output}, text_page_lines(scored, page)
    scored, output = scored_safely(model.score_html, page.html)
    outputs = {HTML_MODEL: output, HTML_MODEL_NO_END: run_safely(partial(model.clean_html, article_end=False), page.html)}
    for rendering, render in RENDERINGS.items():
        rendered = run_safely(render, page.html)
        outputs[text_system(rendering)] = rendered if rendered.error else run_safely(model.clean_text, rendered.text)
        outputs[c4_system(rendering)] = rendered if rendered.error else Output(c4_line_rule(rendered.text))
    return page.page_id, outputs, html_page_lines(scored, page)


def c4_system(rendering: str) -> str:
    return f"C4 line rule (text: {rendering})"


def c4_line_rule(text: str) -> str:
    """The text-only baseline of C4 (Raffel et al. 2020): keep lines of 3+ words that end in
    terminal punctuation."""
    return "\n".join(line for line in text.splitlines() if len(line.split()) >= 3 and line.rstrip().endswith((".", "!", "?", '"')))


_worker_model = None  # each pool worker's own copy of the model


def _load_worker_model(model_path: str | None) -> None:
    global _worker_model
    _worker_model = load_model(model_path)


def _page_model_outputs_in_worker(page: Page):
    return page_model_outputs(_worker_model, page)


def model_outputs(model, pages: list[Page], jobs: int = 1, model_path: str | None = None):
    """system -> page id -> output of the HTML and text models, and page id -> scored lines.

    With jobs > 1 the pages are shared among workers that each load the model from `model_path`.
    """
    outputs: dict[str, dict[str, Output]] = defaultdict(dict)
    lines: dict[str, PageLines] = {}
    with _task_runner(jobs, _load_worker_model, (model_path,)) as run_all:
        results = map(partial(page_model_outputs, model), pages) if jobs <= 1 else run_all(_page_model_outputs_in_worker, pages)
        for page_id, page_outputs, page_lines in tqdm(results, total=len(pages), desc="model", unit="page"):
            for system, output in page_outputs.items():
                outputs[system][page_id] = output
            if page_lines is not None:
                lines[page_id] = page_lines
    return dict(outputs), lines


# --- Scoring -------------------------------------------------------------------------------
def page_scores(text: str, page: Page, gold: str | None) -> dict:
    """Both benchmarks' measures of one output: word P/R/F1, snippet rates, shingle counts;
    without gold, the snippet rates and the recall of the must-have snippets' words."""
    if gold is not None:
        (precision, recall, f1), (tp, fp, fn) = word_prf(text, gold), shingle_counts(text, gold)
    else:  # snippets are a part of the content only: what else the output holds is unknown
        precision, recall, f1 = np.nan, word_prf(text, " ".join(page.must_have))[1], np.nan
        tp, fp, fn = 0, 0, 0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "with": snippet_rate(text, page.must_have),
        "without": snippet_rate(text, page.must_not_have),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def score_rows(dataset: Dataset, outputs: dict[str, dict[str, Output]]) -> pd.DataFrame:
    """One row per (system, page with gold): the page's scores and whether the system failed on it."""
    rows = []
    for page in dataset.pages:
        gold = gold_text(page)
        if gold is None and dataset.metric != "snippet":  # no gold to score against (two WCXB dev files)
            continue
        for system, by_page in outputs.items():
            if page.page_id in by_page:
                output = by_page[page.page_id]
                rows.append(
                    {"system": system, "page_id": page.page_id, "page_type": page.page_type, "error": output.error is not None}
                    | page_scores(output.text, page, gold)
                )
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per system, best F1 first: F1 ± bootstrap std, P, R, snippet rates, pages, errors."""
    summary = []
    for system, group in rows.groupby("system", sort=False):
        if metric == "shingle":
            counts = group[["tp", "fp", "fn"]].to_numpy()
            scores = shingle_scores(counts)
            f1_std = bootstrap_std(counts, statistic=lambda sample: shingle_scores(sample)["f1"])
        elif metric == "snippet":  # no gold text to measure precision or F1 on
            scores, f1_std = {"precision": np.nan, "recall": group["recall"].mean(), "f1": np.nan}, np.nan
        else:  # WCXB: the mean of per-page scores
            scores = group[["precision", "recall", "f1"]].mean().to_dict()
            f1_std = bootstrap_std(group["f1"])
        summary.append(
            {"system": system, "f1": scores["f1"], "f1_std": f1_std, "precision": scores["precision"], "recall": scores["recall"]}
            | {"with": group["with"].astype(float).mean(), "without": group["without"].astype(float).mean()}
            | {"with_std": bootstrap_std(group["with"].astype(float)) if metric == "snippet" else np.nan}
            | {"pages": len(group), "errors": int(group["error"].sum())}
        )
    return pd.DataFrame(summary).set_index("system").sort_values("recall" if metric == "snippet" else "f1", ascending=False)


def f1_by_page_type(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean word F1 of each system (rows) on each page type (columns), and over all pages."""
    table = rows.pivot_table(index="system", columns="page_type", values="f1", aggfunc="mean")
    table["all"] = rows.groupby("system")["f1"].mean()
    return table.sort_values("all", ascending=False)


def line_metrics(pages: list[PageLines]) -> dict:
    """Line-level P/R/F1 at the model's threshold over all lines, and average precision of its scores."""
    if not pages:
        return {}
    labels = np.concatenate([page.labels for page in pages])
    kept = np.concatenate([page.kept for page in pages])
    scores = np.concatenate([page.p_content for page in pages])
    true_positives = int((labels & kept).sum())
    precision = true_positives / kept.sum() if kept.sum() else 0.0
    recall = true_positives / labels.sum() if labels.sum() else 0.0
    # Average precision needs both classes among the lines.
    ap = float(average_precision_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")
    return {"lines": len(labels), "content_share": float(labels.mean())} | {
        "precision": precision,
        "recall": recall,
        "f1": f1_of(precision, recall),
        "average_precision": ap,
    }


def worst_pages(rows: pd.DataFrame, lines: dict[str, PageLines], n: int = WORST_PAGES, shown: int = 3) -> list[dict]:
    """The pages where the model's word F1 is lowest, with the longest lines it kept wrongly and dropped wrongly.

    The HTML model where the dataset has HTML, else the text model on the given text.
    """
    system = HTML_MODEL if (rows["system"] == HTML_MODEL).any() else text_system("given")
    worst = []
    for row in rows[rows["system"] == system].nsmallest(n, "f1").itertuples():
        page_lines = lines.get(row.page_id) or PageLines([], np.zeros(0), np.zeros(0, bool), np.zeros(0, bool))
        pairs = list(zip(page_lines.texts, page_lines.kept, page_lines.labels))
        kept_boilerplate = sorted((text for text, kept, label in pairs if kept and not label), key=len, reverse=True)
        dropped_content = sorted((text for text, kept, label in pairs if label and not kept), key=len, reverse=True)
        worst.append(
            {"page_id": row.page_id, "page_type": row.page_type, "f1": row.f1, "precision": row.precision, "recall": row.recall}
            | {"lines": len(pairs), "content_lines": int(page_lines.labels.sum())}
            | {"kept_boilerplate": len(kept_boilerplate), "dropped_content": len(dropped_content)}
            | {"kept_examples": kept_boilerplate[:shown], "dropped_examples": dropped_content[:shown]}
        )
    return worst


# --- Speed and memory ------------------------------------------------------------------------
def speed_sample(pages: list[Page], n: int = SPEED_PAGES) -> list[Page]:
    """A fixed, seeded choice of HTML pages, the same on every run."""
    html_pages = [page for page in pages if page.html is not None]
    return random.Random(settings.SEED).sample(html_pages, min(n, len(html_pages)))


def interleaved_seconds(candidates: dict[str, tuple[Callable[[str], str], list[str]]], runs: int = SPEED_RUNS) -> dict[str, list[float]]:
    """Each system's seconds per pass over its inputs (page i of every system is the same
    page), timed page by page in turn with the others. On a shared machine whose speed drifts
    by 1.5x within minutes, systems timed one after the other gave ratios from 1.7x to 2.5x
    for the same code; interleaved, the drift weighs on all of them alike."""
    for function, inputs in candidates.values():
        warm_up(function, inputs)
    seconds = {name: [] for name in candidates}
    for _ in tqdm(range(runs), desc=f"speed ({len(candidates)} systems in turn, page by page)", unit="pass"):
        totals = dict.fromkeys(candidates, 0.0)
        for page in range(len(next(iter(candidates.values()))[1])):
            for name, (function, inputs) in candidates.items():
                start = time.perf_counter()
                run_safely(function, inputs[page])
                totals[name] += time.perf_counter() - start
        for name, total in totals.items():
            seconds[name].append(total)
    return seconds


def interleaved_pass_seconds(passes: dict[str, Callable[[], object]], runs: int = SPEED_RUNS) -> dict[str, float]:
    """Median seconds of each pass (a call that does all its pages: one page at a time, or a
    batch API on all of them), the passes in turn, after one untimed pass each."""
    for one_pass in passes.values():
        one_pass()
    seconds = {name: [] for name in passes}
    for _ in tqdm(range(runs), desc=f"passes ({len(passes)} in turn)", unit="round"):
        for name, one_pass in passes.items():
            start = time.perf_counter()
            one_pass()
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in seconds.items()}


def warm_up(function: Callable[[str], str], inputs: list[str]) -> None:
    """One untimed call: lazy imports and first-call caches are not page work."""
    run_safely(function, inputs[0])


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> int | None:
    """Reset this process's peak resident memory (VmHWM) to its current size, in kB; None where /proc cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kb("VmRSS")
    except (OSError, KeyError):
        return None


def _peak_mb_of(work: Callable[[], None]) -> float | None:
    """Extra resident memory in MB at the peak of `work`, or None where /proc cannot say."""
    start = _reset_peak_rss()
    work()
    return None if start is None else (_status_kb("VmHWM") - start) / 1024


def _peak_in_child(description: tuple, inputs: list[str], sender) -> None:
    quiet_peer_logging()
    function = system_function(*description)
    warm_up(function, inputs)
    sender.send(_peak_mb_of(lambda: [run_safely(function, page_input) for page_input in inputs]))


def peak_memory(inputs: list[str], description: tuple | None) -> float | None:
    """Peak extra memory in MB of one pass of a system over the inputs, or None where unknown.

    In a fresh spawned process where the system is rebuilt from its `description`, so that
    every system starts from the same state and C allocations (lxml, lexbor) count too, which
    tracemalloc would miss.
    """
    if description is None:
        return None
    return in_fresh_process(_peak_in_child, description, inputs)


def in_fresh_process(target: Callable, *args):
    """What `target(*args, sender)` sends back from a fresh spawned process, or None if it dies."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(*args, sender))
    child.start()
    sender.close()  # so that a crashed child reads as EOF here instead of a hang
    try:
        return receiver.recv()
    except EOFError:
        print(f"could not measure {target.__name__}{args[:1]} in a fresh process", file=sys.stderr)
        return None
    finally:
        child.join()


# name -> (what the page is, one piece of it, repeated up to the size, the page around them)
LARGE_PAGE_SHAPES = {
    "one line": ("html", "word ", "<html><body><p>{}</p></body></html>"),
    "paragraphs": ("html", "<p>Paragraph {} says a few words, as a long article would.</p>", "<html><body>{}</body></html>"),
    "table cells": ("html", "<td>{}</td>", "<html><body><table><tr>{}</tr></table></body></html>"),
    "lines of <br>": ("html", "a<br>", "<html><body>{}</body></html>"),
    "text paragraphs": ("text", "Paragraph {} says a few words, as a long article would.\n", "{}"),
    "short text lines": ("text", "{}\n", "{}"),
}


def large_page(shape: str, chars: int = 10_000_000) -> str:
    """A page of about `chars` characters made of one shape that is hard on memory: one
    endless line, ~150,000 paragraphs, ~700,000 table cells, 2,000,000 lines of `<br>`, or
    a plain-text page of ~180,000 paragraphs or ~1,400,000 short lines. The `<br>` page is
    over MAX_PAGE_ELEMENTS and the short lines over MAX_PAGE_LINES: they are refused. Pieces
    are numbered where they have a {} to number."""
    _, piece, page = LARGE_PAGE_SHAPES[shape]
    parts, size = [], 0
    while size < chars:
        parts.append(piece.format(len(parts)))
        size += len(parts[-1])
    return page.format("".join(parts))


#: Modules a scraper's `pip install boilerline` lacks: those of the train and eval extras
#: (scikit-learn, pandas; pyarrow, which `datasets` brings in), and the crawl extras' engines
#: (warc, parquet, datatrove).
EXTRAS_MODULES = [
    "sklearn",
    "pandas",
    "joblib",
    "pyarrow",
    "fastwarc",
    "datatrove",
    "datasets",
    "html_text",
    "inscriptis",
    "trafilatura",
    "resiliparse",
    "readability",
    "lxml_html_clean",
    "justext",
    "boilerpy3",
    "matplotlib",
]

# Scores the page on its stdin in a process that imports what a scraper's does, `boilerline`
# alone (a child spawned from here would import this module's peers and matplotlib too), and
# prints the peak memory over the loaded model, the whole process's peak, and the refusal.
# Arguments: EXTRAS_MODULES, the model path and the page's kind, as JSON.
SCRAPER_PROCESS = """
import json, sys
from pathlib import Path
blocked, model_path, kind = map(json.loads, sys.argv[1:])
for name in blocked:
    sys.modules[name] = None  # `import name` raises ImportError, as where it is not installed
from boilerline import PageError, load_model

def status_mb(field):
    return next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field + ":")) / 1024

model = load_model(model_path)
clean = model.clean_html if kind == "html" else model.clean_text
clean("A first page, so that lazy imports are not counted.")
page = sys.stdin.read()
Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
start, refused = status_mb("VmRSS"), None
try:
    clean(page)
except PageError as error:
    refused = str(error)
print(json.dumps([status_mb("VmHWM") - start, status_mb("VmHWM"), refused]))
"""


def large_page_peak(shape: str, model_path: str | None) -> tuple[float, float, str | None] | None:
    """The peak memory of the model on `large_page(shape)` in a scraper's process (SCRAPER_PROCESS):
    MB over the loaded model, MB of the whole process, and the PageError's message if it was
    refused; None where it could not be measured (no /proc)."""
    arguments = [json.dumps(value) for value in (EXTRAS_MODULES, model_path, LARGE_PAGE_SHAPES[shape][0])]
    done = subprocess.run(
        [sys.executable, "-c", SCRAPER_PROCESS, *arguments], input=large_page(shape), capture_output=True, text=True, cwd=settings.REPO
    )
    if done.returncode != 0:
        print(f"could not measure the 10 MB page of {shape}: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return tuple(json.loads(done.stdout))


def system_function(kind: str, name: str, model_path: str | None = None) -> Callable[[str], str]:
    """A system rebuilt from a picklable description: ("peer", name) or ("model", method, path)."""
    if kind == "peer":
        return PEERS[name][0]
    return getattr(load_model(model_path), name)


@dataclass
class Timed:
    system: str
    seconds: float
    items: int  # pages timed
    peak_mb: float | None = None


def time_systems(candidates: dict[str, tuple[Callable, list[str], tuple | None]], runs: int = SPEED_RUNS) -> list[Timed]:
    """Each system's median pass time and peak memory. `candidates`: name -> (function, inputs,
    picklable description or None)."""
    seconds = interleaved_seconds({name: (function, inputs) for name, (function, inputs, _) in candidates.items()}, runs)
    return [
        Timed(name, statistics.median(seconds[name]), len(inputs), peak_memory(inputs, description))
        for name, (_, inputs, description) in tqdm(candidates.items(), desc="peak memory, a fresh process each", unit="system")
    ]


def speed_table(timed: list[Timed], reference: str = "trafilatura") -> pd.DataFrame:
    """Pages per second, the ratio to the reference system, peak memory."""
    table = pd.DataFrame(
        {"pages_s": [t.items / t.seconds for t in timed], "peak_mb": [t.peak_mb for t in timed]},
        index=[t.system for t in timed],
        dtype=float,
    )
    table["vs_" + reference] = table["pages_s"] / table["pages_s"].get(reference, np.nan)
    return table


# --- Report ----------------------------------------------------------------------------------
def markdown_table(frame: pd.DataFrame, formats: dict[str, str], index_name: str = "system") -> str:
    """A markdown table of the given columns, each formatted with its format ("" for NaN)."""
    columns = list(formats)
    lines = [f"| {index_name} | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for index, row in frame.iterrows():
        cells = ["" if pd.isna(row[c]) else format(row[c], formats[c]) for c in columns]
        lines.append(f"| {index} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def with_std(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with an "F1" column that reads 0.912 ± 0.011."""
    return summary.assign(F1=[f"{f1:.3f} ± {std:.3f}" for f1, std in zip(summary["f1"], summary["f1_std"])])


def quality_section(dataset: Dataset, summary: pd.DataFrame) -> str:
    if dataset.metric == "snippet":
        kept = summary.assign(kept=[f"{rate:.1%} ± {std:.1%}" for rate, std in zip(summary["with"], summary["with_std"])])
        return (
            f"### {dataset.name} (recall: of the expected snippet's words, page mean; kept: pages whose snippet "
            "is in the output verbatim, ± bootstrap std; no gold text, so no precision)\n\n"
            + markdown_table(kept, {"recall": ".3f", "kept": "", "pages": "d", "errors": "d"})
        )
    formats = {"F1": "", "precision": ".3f", "recall": ".3f"}
    if dataset.metric == "word" and summary["with"].notna().any():
        formats |= {"with": ".1%", "without": ".1%"}
    formats |= {"pages": "d", "errors": "d"}
    measure = "word F1, page-averaged" if dataset.metric == "word" else "shingle F1, the benchmark's own averaging"
    return f"### {dataset.name} ({measure}, ± bootstrap std)\n\n" + markdown_table(with_std(summary), formats)


def worst_section(worst: list[dict]) -> str:
    parts = [f"## The {len(worst)} pages where the model does worst\n\nWith the longest lines it kept wrongly and dropped wrongly.\n"]
    for page in worst:
        parts.append(
            f"- **{page['page_id']}** ({page['page_type']}): F1 {page['f1']:.3f} (P {page['precision']:.3f}, R {page['recall']:.3f}); "
            f"{page['lines']} lines, {page['content_lines']} aligned to the gold; "
            f"kept {page['kept_boilerplate']} boilerplate line(s), dropped {page['dropped_content']} content line(s)"
        )
        if not page["lines"]:
            parts.append("  - the model finds no text lines on this page")
        elif not page["content_lines"]:
            parts.append("  - none of the model's lines aligns with the gold text (the gold comes from text the lines lack)")
        parts += [f"  - kept: {_glimpse(text)}" for text in page["kept_examples"]]
        parts += [f"  - dropped: {_glimpse(text)}" for text in page["dropped_examples"]]
    return "\n".join(parts)


def _glimpse(text: str, chars: int = 100) -> str:
    text = text.replace("|", "\\|").replace("`", "'")
    return f"`{text[:chars]}{'…' if len(text) > chars else ''}`"


def write_report(folder: Path, sections: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.md"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path


def summary_section(
    wcxb: "Evaluated",
    hub: "Evaluated",
    unseen_script: "Evaluated | None",
    unseen: list["Evaluated"],
    speed: pd.DataFrame,
    speed_pages: int,
    plot: Path,
    report: Path,
) -> str:
    """The summary table (reports/summary.md, which the README links to): each system's F1 on both benchmarks, on the held-out WCXB
    pages in an unseen script, its score on the unseen pages that were fetched, and its speed."""
    table = pd.DataFrame({"WCXB F1": with_std(wcxb.summary)["F1"], "WCXB P": wcxb.summary["precision"], "WCXB R": wcxb.summary["recall"]})
    formats = {"WCXB F1": "", "WCXB P": ".3f", "WCXB R": ".3f"}
    script_note = ""
    if unseen_script is not None:
        table = table.join(unseen_script.summary["f1"].rename("WCXB unseen script F1"))
        formats["WCXB unseen script F1"] = ".3f"
        script_note = (
            " WCXB unseen script F1: the same pages, each page's Latin letters enciphered as Armenian ones "
            "(`data/cipher.py`; its markup kept), a language no system was built for."
        )
    table = table.join(with_std(hub.summary)["F1"].rename("ScrapingHub F1"))
    formats["ScrapingHub F1"] = ""
    notes = []
    for result in unseen:
        *_, column, score = UNSEEN[result.dataset.name]
        table = table.join(result.summary[score].rename(column))
        formats[column] = ".1%" if score == "with" else ".3f"
        notes.append(f"{column}: {result.rows['page_id'].nunique()} pages")
    table = table.join(speed["pages_s"].rename("pages/s"))
    formats["pages/s"] = ".0f"
    unseen_note = f" Pages in neither benchmark (below), {', '.join(notes)}." if notes else ""
    link = lambda path: Path(os.path.relpath(path, report.parent)).as_posix()
    return "\n\n".join(
        [
            "# Summary\n\nWritten by `make eval` (evaluate.py); the full report is beside it.",
            markdown_table(table, formats),
            f"WCXB: the benchmark's word F1, page-averaged, on the {len(wcxb.rows['page_id'].unique())} dev pages "
            f"of the held-out domains, which training never sees.{script_note} ScrapingHub: that benchmark's shingle F1 on its "
            f"{len(hub.dataset.pages)} articles.{unseen_note} ± is the bootstrap standard deviation over pages. Speed: one core, "
            f"median of {SPEED_RUNS} passes over {speed_pages} held-out pages, all systems timed page by page in turn; text models are timed on text already rendered.",
            f"![F1 by page type]({link(plot)})  \nFull report: [{link(report)}]({link(report)})",
        ]
    )


# --- Plots -----------------------------------------------------------------------------------
def _pyplot():
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot_f1_by_type(table: pd.DataFrame, path: Path) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(max(8, 1.6 * len(table.columns)), 5))
    width = 0.8 / len(table)
    x = np.arange(len(table.columns))
    for i, (system, row) in enumerate(table.iterrows()):
        axes.bar(x + i * width - 0.4 + width / 2, row.to_numpy(), width, label=system)
    axes.set_xticks(x, table.columns)
    axes.set_ylabel("word F1 (page mean)")
    axes.set_ylim(0, 1)
    axes.set_title("WCXB held-out pages: F1 by page type")
    axes.legend(fontsize=7, ncol=2, loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_pr_curves(curves: dict[str, list[PageLines]], threshold: float, path: Path) -> None:
    """Precision-recall curve of the model's line scores per dataset, with its operating point."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6, 5))
    for name, pages in curves.items():
        labels = np.concatenate([page.labels for page in pages])
        if not 0 < labels.sum() < len(labels):
            continue
        precision, recall, _ = precision_recall_curve(labels, np.concatenate([page.p_content for page in pages]))
        (line,) = axes.plot(recall, precision, label=name)
        point = line_metrics(pages)
        axes.plot(point["recall"], point["precision"], "o", color=line.get_color())
    axes.plot([], [], "ko", label=f"operating point (HTML threshold {threshold:.2f})")
    axes.set_xlabel("recall (content lines)")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_title("Line-level precision-recall of the model's scores")
    axes.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_speed_vs_f1(summary: pd.DataFrame, speed: pd.DataFrame, path: Path) -> None:
    plt = _pyplot()
    both = summary[["f1"]].join(speed[["pages_s"]], how="inner")
    figure, axes = plt.subplots(figsize=(7, 5))
    ours = both.index.str.startswith("boilerline")
    axes.scatter(both["pages_s"][~ours], both["f1"][~ours], color="tab:blue", label="peers")
    axes.scatter(both["pages_s"][ours], both["f1"][ours], color="tab:red", label="this model")
    for system, row in both.iterrows():
        axes.annotate(system, (row["pages_s"], row["f1"]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.legend(fontsize=8)
    axes.set_xlabel("pages per second, one core (log scale)")
    axes.set_ylabel("word F1, WCXB held-out")
    axes.set_title("Speed against quality")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# --- Runs --------------------------------------------------------------------------------------
@dataclass
class Evaluated:
    """One dataset's results: per-page scores, per-system summary, the model's scored lines."""

    dataset: Dataset
    rows: pd.DataFrame
    summary: pd.DataFrame
    lines: dict[str, PageLines]


def evaluate_quality(datasets: list[Dataset], model, model_path: str | None, peers: dict[str, str], jobs: int) -> list[Evaluated]:
    results = []
    for dataset in datasets:
        print(f"{dataset.name}: {len(dataset.pages)} pages", file=sys.stderr)
        outputs = peer_outputs(dataset.pages, peers, PEER_CACHE, jobs)
        by_model, lines = model_outputs(model, dataset.pages, jobs, model_path)
        rows = score_rows(dataset, outputs | by_model)
        results.append(Evaluated(dataset, rows, summarise(rows, dataset.metric), lines))
    return results


def speed_candidates(model, pages: list[Page], peers: dict[str, str], model_path: str | None) -> dict:
    """Every system's function, inputs and rebuildable description for the speed comparison."""
    if not pages:  # only line-labelled text pages were given: nothing to time against the peers
        return {}
    htmls = [page.html for page in pages]
    candidates = {HTML_MODEL: (model.clean_html, htmls, ("model", "clean_html", model_path))}
    for rendering, render in RENDERINGS.items():
        texts = [run_safely(render, html).text for html in tqdm(htmls, desc=f"render {rendering}", unit="page")]
        candidates[text_system(rendering)] = (model.clean_text, texts, ("model", "clean_text", model_path))
    for peer in peers:
        candidates[peer] = (PEERS[peer][0], htmls, ("peer", peer))
    return candidates


def report_sections(results: list[Evaluated], speed: pd.DataFrame, speed_pages: int, header: str) -> list[str]:
    sections = [header, "## Quality"]
    for result in results:
        sections.append(quality_section(result.dataset, result.summary))
        if result.dataset.metric == "word" and result.rows["page_type"].nunique() > 1:
            by_type = f1_by_page_type(result.rows)
            sections.append("F1 by page type:\n\n" + markdown_table(by_type, {column: ".3f" for column in by_type.columns}))
    line_rows = pd.DataFrame({r.dataset.name: line_metrics(list(r.lines.values())) for r in results if r.lines}).T
    line_formats = {"lines": ".0f", "content_share": ".1%", "precision": ".3f", "recall": ".3f", "f1": ".3f", "average_precision": ".3f"}
    sections += [
        "## Line level\n\nThe model's own lines at its threshold, labelled by aligning them to the gold text "
        "(line-labelled datasets: their own labels).\n\n" + markdown_table(line_rows, line_formats, "dataset"),
        f"## Speed\n\n{speed_pages} held-out pages, one process, median of {SPEED_RUNS} passes, all systems timed page by page in turn. Text models are timed on "
        "text already rendered. peak_mb: extra resident memory at the peak of one pass, in a fresh process.\n\n"
        + markdown_table(speed, {"pages_s": ".1f", "vs_trafilatura": ".2f", "peak_mb": ".0f"}),
        worst_section(worst_pages(results[0].rows, results[0].lines)),
        "## Plots\n\n![F1 by page type](f1_by_page_type.png)\n\n![Precision-recall](pr_curve.png)\n\n![Speed against F1](speed_vs_f1.png)",
    ]
    return sections


# What a wrongly kept line of an article page is, by the first rule its element matches: its
# class and id words (of its 4 nearest ancestors), its HTML5 sections, its tag, its hidden state.
FALSE_KEPT_CATEGORIES = {
    "hidden copies": lambda line: line.hidden,
    "comments": lambda line: re.search(r"comment|disqus|repl(?:y|ies)|discussion", line.attrs),
    "teasers, more stories": lambda line: re.search(
        r"related|teaser|more|recommend|popular|trending|read-?next|stor(?:y|ies)|outbrain|taboola|headlines|rail|card", line.attrs
    ),
    "prompts (newsletter, donate, cookies)": lambda line: re.search(
        r"newsletter|subscri|donat|sign-?up|paywall|cookie|consent|notice|promo|member|cta", line.attrs
    ),
    "captions": lambda line: line.tag == "figcaption" or re.search(r"caption|credit|figure|photo|gallery", line.attrs),
    "menus, footers, sidebars": lambda line: (
        re.search(r"\b(?:nav|footer|header|aside)\b", line.sections)
        or re.search(r"menu|nav|footer|breadcrumb|sidebar|tags|share|social", line.attrs)
    ),
    "headline": lambda line: line.tag == "h1",
}


def false_kept_category(line) -> str:
    return next((name for name, rule in FALSE_KEPT_CATEGORIES.items() if rule(line)), "other")


def false_kept_shingles(model, pages: list[Page], article_end: bool = True) -> pd.Series:
    """The shingles of the lines the model keeps that the gold text does not hold (by the
    alignment), charged to what each line is (`false_kept_category`), over `pages`."""
    charged = defaultdict(int)
    for page in tqdm(pages, desc="false shingles by category", unit="page"):
        lines = segment_html(page.html)
        scored = model.score_html(page.html, article_end=article_end)
        labels = label_lines([line.text for line in scored], gold_text(page) or "")
        for line, score, label in zip(lines.itertuples(), scored, labels):
            if score.is_content and not label:
                charged[false_kept_category(line)] += sum(shingles(score.text).values())
    return pd.Series(charged, dtype=int).sort_values(ascending=False)


def false_kept_section(model, pages: list[Page], baseline=None) -> str:
    """The report's table of `false_kept_shingles` on the ScrapingHub articles, beside the
    model's without the article's end, and a baseline model's where one is given (`--baseline`)."""
    columns = {"this model": false_kept_shingles(model, pages), "no article end": false_kept_shingles(model, pages, article_end=False)}
    if baseline is not None:
        columns["baseline"] = false_kept_shingles(baseline, pages)
    # Built from both at once: every category of either is a row (a column added to the first
    # would have dropped those of the baseline alone, and their shingles from its total).
    table = pd.DataFrame(columns).fillna(0).astype(int)
    table.loc["all"] = table.sum()
    return (
        "## ScrapingHub: what the model keeps wrongly\n\nShingles of the lines kept that the gold article body does not hold "
        "(lines labelled by aligning them to the gold), by what the line's element is (`FALSE_KEPT_CATEGORIES`: its class and id "
        "words, sections and tag).\n\n" + markdown_table(table, dict.fromkeys(table.columns, "d"), "category")
    )


def shown_path(path) -> str:
    """A model's path as the report shows it: relative to the repository when inside it, so
    that no report names a machine's folders."""
    path = Path(path) if path is not None else Path("models/boilerplate.npz")
    try:
        return path.resolve().relative_to(settings.REPO).as_posix()
    except ValueError:
        return path.name


def seed_page_section(model, path: Path) -> str:
    """The text model's decision on each line of the seed page, a plain-text page a scraper saved."""
    lines = model.score_text(path.read_text(encoding="utf-8", errors="replace"))
    table = pd.DataFrame(
        {"p_content": [line.p_content for line in lines], "decision": ["kept" if line.is_content else "dropped" for line in lines]},
        index=[_glimpse(line.text) for line in lines],
    )
    return (
        "## The seed page\n\n`seed/page.txt` of DATA_MIRROR, a page a scraper saved as plain text, "
        "scored by the text model line by line.\n\n" + markdown_table(table, {"p_content": ".2f", "decision": ""}, "line")
    )


def write_plots(results: list[Evaluated], speed: pd.DataFrame, threshold: float, folder: Path) -> None:
    """F1 by page type and speed against F1 on the first dataset; PR curves on every dataset."""
    first = results[0]
    plot_f1_by_type(f1_by_page_type(first.rows), folder / "f1_by_page_type.png")
    plot_pr_curves({r.dataset.name: list(r.lines.values()) for r in results if r.lines}, threshold, folder / "pr_curve.png")
    plot_speed_vs_f1(first.summary, speed, folder / "speed_vs_f1.png")


def evaluate(args) -> None:
    datasets = load_datasets(args.dataset)
    peers = available_peers()
    model = load_model(args.model)
    results = evaluate_quality(datasets, model, args.model, peers, args.jobs)
    # Timed on the first dataset with HTML: the held-out WCXB pages unless only the user's pages are there.
    html_pages = next((d.pages for d in datasets if any(page.html is not None for page in d.pages)), [])
    sample = speed_sample(html_pages, args.speed_pages)
    speed = speed_table(time_systems(speed_candidates(model, sample, peers, args.model)))

    folder = REPORT_DIR
    peer_list = ", ".join(f"{peer} {version.rsplit('-', 1)[0]}" for peer, version in peers.items())
    header = f"# Evaluation report\n\nModel: `{shown_path(getattr(model, 'path', args.model))}`. Peers: {peer_list}."
    sections = report_sections(results, speed, len(sample), header)
    if (seed := seed_page()) is not None:
        sections.insert(-1, seed_page_section(model, seed))  # before the plots
    hub = next((result.dataset.pages for result in results if result.dataset.name == SCRAPINGHUB_NAME), None)
    if hub:
        sections.insert(-1, false_kept_section(model, hub, load_model(args.baseline) if args.baseline else None))
    report = write_report(folder, sections)
    write_plots(results, speed, model.threshold, folder)
    benchmarks = {r.dataset.name: r for r in results}
    if {WCXB_NAME, SCRAPINGHUB_NAME} <= benchmarks.keys():
        plot = folder / "f1_by_page_type.png"
        unseen = [benchmarks[name] for name in UNSEEN if name in benchmarks]
        section = summary_section(
            benchmarks[WCXB_NAME],
            benchmarks[SCRAPINGHUB_NAME],
            benchmarks.get(UNSEEN_SCRIPT_NAME),
            unseen,
            speed,
            len(sample),
            plot,
            report,
        )
        (folder / "summary.md").write_text(section + "\n", encoding="utf-8")
    print(f"report: {report}", file=sys.stderr)


def bench(args) -> None:
    """clean_html against trafilatura on the same held-out pages (and on their smallest third),
    and the text model's lines per second on the same pages as plain text, the three timed page
    by page in turn; both kinds through clean_pages, many pages a call; then the peak memory of
    the model on 10 MB pages of hard shapes (LARGE_PAGE_SHAPES), scored or refused."""
    pages = speed_sample(held_out_wcxb().pages, args.speed_pages)
    model = load_model(args.model)
    print(
        f"code in use: walk {walk_in_use()}, counts {counts_in_use()}, trees {trees_in_use()}"
        " (BOILERLINE_PURE_PYTHON=1: the pure-Python walk, numpy's counts and LightGBM)"
    )
    htmls = [page.html for page in pages]
    texts = [run_safely(RENDERINGS["lines"], html).text for html in tqdm(htmls, desc="render lines", unit="page")]
    candidates = {
        "clean_html": (model.clean_html, htmls, ("model", "clean_html", args.model)),
        "trafilatura": (trafilatura_text, htmls, ("peer", "trafilatura")),
        "clean_text": (model.clean_text, texts, ("model", "clean_text", args.model)),
    }
    speed = speed_table(time_systems(candidates))
    for system, row in speed.iterrows():
        peak = "n/a" if pd.isna(row["peak_mb"]) else f"+{row['peak_mb']:.0f} MB"
        print(f"{system:<12} {row['pages_s']:8.1f} pages/s   peak memory {peak}")
    print(
        f"clean_html / trafilatura: {speed.loc['clean_html', 'vs_trafilatura']:.2f}x ({len(pages)} held-out pages, "
        f"one process, timed page by page in turn, median of {SPEED_RUNS} passes)"
    )
    # Small pages show a call's fixed cost, which a page's size hides: the third of fewest bytes.
    small = sorted(htmls, key=len)[: max(len(htmls) // 3, 1)]
    small_seconds = interleaved_seconds({"clean_html": (model.clean_html, small), "trafilatura": (trafilatura_text, small)})
    small_ratio = statistics.median(small_seconds["trafilatura"]) / statistics.median(small_seconds["clean_html"])
    print(f"clean_html / trafilatura on the smallest third ({len(small)} pages, by bytes): {small_ratio:.2f}x")
    line_count = sum(len(segment_text(text)) for text in texts)
    lines_per_second = line_count * speed.loc["clean_text", "pages_s"] / len(texts)
    print(
        f"text model: {lines_per_second:,.0f} lines/s (clean_text on the 'lines' rendering of the same pages, "
        "timed page by page between the HTML systems)"
    )
    for label, pages in (("all", htmls), ("smallest third", small)):
        seconds = batch_passes(model, pages)
        print(
            f"clean_pages / trafilatura ({label}, {len(pages)} pages): {seconds['trafilatura'] / seconds['clean_pages']:.2f}x "
            f"(clean_html {seconds['trafilatura'] / seconds['clean_html']:.2f}x; passes in turn, median of {SPEED_RUNS})"
        )
    text_seconds = interleaved_pass_seconds({"clean_pages": lambda: list(model.clean_pages(texts, "text"))})
    print(f"clean_pages('text'): {line_count / text_seconds['clean_pages']:,.0f} lines/s")
    for shape, (kind, *_) in tqdm(LARGE_PAGE_SHAPES.items(), desc="10 MB pages, a fresh process each", unit="page"):
        peak, whole_process, refused = large_page_peak(shape, args.model) or (None, None, None)
        memory = "n/a" if peak is None else f"+{peak:.0f} MB over the loaded model ({whole_process:.0f} MB the whole scraper's process)"
        # Under the bar, not after it on its line.
        tqdm.write(
            f"clean_{kind} of a 10 MB page of {shape}: "
            + (f"refused ({refused}), peak memory {memory}" if refused else f"peak memory {memory}")
        )


def batch_passes(model, pages: list[str]) -> dict[str, float]:
    """Median seconds of a pass over `pages` by trafilatura and clean_html (a page at a time)
    and by clean_pages (all at once), the passes in turn."""
    return interleaved_pass_seconds(
        {
            "trafilatura": lambda: [run_safely(trafilatura_text, page) for page in pages],
            "clean_html": lambda: [model.clean_html(page) for page in pages],
            "clean_pages": lambda: list(model.clean_pages(pages)),
        }
    )


# One datatrove run over the crawl's WARC files (argv: the folder, workers), as a user runs it.
DATATROVE_RUN = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.writers import JsonlWriter
from boilerline.datatrove_step import Boilerline, BoilerlineWarcReader
folder, workers = sys.argv[1], int(sys.argv[2])
pipeline = [BoilerlineWarcReader(folder + "/warc"), Boilerline(), JsonlWriter(folder + f"/datatrove-{workers}")]
LocalPipelineExecutor(pipeline, tasks=2, workers=workers, logging_dir=folder + f"/logs-{workers}").run()
"""


# One Ray Data run over the crawl's WARC files (argv: the folder, actors), on a local Ray of as many CPUs.
RAY_RUN = """
import glob, sys
import ray
from boilerline.ray_step import clean_warcs
folder, actors = sys.argv[1], int(sys.argv[2])
ray.init(num_cpus=actors, include_dashboard=False, log_to_driver=False)
clean_warcs(sorted(glob.glob(folder + "/warc/*.warc.gz")), folder + f"/ray-{actors}", concurrency=actors)
ray.shutdown()
"""


def crawl_bench(args) -> None:
    """Records a second and CPU seconds of cleaning every WCXB dev page written as a crawl (two
    .warc.gz files): clean_pages on the pages already decoded (the floor), clean_records over the
    WARC's records, `boilerline batch --jobs 1`, the datatrove steps on 1 and 2 workers, and
    the Ray step with 1 and 2 actors."""
    bodies = [gzip_bytes(path) for path in sorted((raw_dir() / "wcxb-dev" / "html").glob("*.html.gz"))]
    folder = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    (folder / "warc").mkdir()
    half = len(bodies) // 2
    for part, chunk in enumerate((bodies[:half], bodies[half:])):
        responses = (response_record(f"https://wcxb.example/{part}/{number}", body) for number, body in enumerate(chunk))
        write_warc(folder / "warc" / f"part-{part}.warc.gz", responses)
    warcs = sorted(str(path) for path in (folder / "warc").iterdir())
    model = load_model(args.model)
    model.clean_html(bodies[0])  # the first call's imports and caches are no page's time
    decoded = [decode_page(body) for body in bodies]
    batch = [sys.executable, "-m", "boilerline", "batch", *warcs, "--out", str(folder / "batch.jsonl"), "--jobs", "1"]
    runs = {
        "clean_pages (pages decoded, in memory)": lambda: list(model.clean_pages(decoded)),
        "clean_records (WARC records, titles)": lambda: list(clean_records((r for path in warcs for r in warc_records(path)), model)),
        "boilerline batch --jobs 1": lambda: subprocess.run(batch, check=True, capture_output=True),
    }
    runs |= {
        f"datatrove, {workers} worker(s)": partial(
            subprocess.run, [sys.executable, "-c", DATATROVE_RUN, str(folder), str(workers)], check=True, capture_output=True
        )
        for workers in (1, 2)
    }
    runs |= {
        f"Ray Data, {actors} actor(s)": partial(
            subprocess.run, [sys.executable, "-c", RAY_RUN, str(folder), str(actors)], check=True, capture_output=True
        )
        for actors in (1, 2)
    }
    print(f"{len(bodies)} pages, {sum(map(len, bodies)) / 1e6:.0f} MB, in {folder}")
    for name, run in runs.items():
        wall, cpu = wall_and_cpu_seconds(run)
        print(f"{name:<40} {len(bodies) / wall:6.1f} records/s  {wall:6.1f} s  CPU {cpu:6.1f} s")


def gzip_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def wall_and_cpu_seconds(run: Callable[[], object]) -> tuple[float, float]:
    """The wall time of `run()` and the CPU time of this process and every process it started.
    A process orphaned on the way (the fork server of a pool) is adopted (Linux's subreaper) and
    waited for, so its CPU time and its children's count too."""
    ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    before, started = os.times(), time.perf_counter()
    run()
    wall = time.perf_counter() - started
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    after = os.times()
    cpu = sum(after[i] - before[i] for i in range(4))  # user and system, of this process and its children
    return wall, cpu


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", action="store_true", help="only speed and memory: clean_html against trafilatura, 10 MB pages")
    parser.add_argument(
        "--crawl",
        action="store_true",
        help="only a crawl's speed: the WCXB dev pages as WARC files, through clean_records, batch, datatrove",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        default=list(EVAL_EXTRA),
        metavar="FORMAT:PATH",
        help=f"also evaluate these pages (default: EVAL_EXTRA); FORMAT: {', '.join(FORMATS)}",
    )
    parser.add_argument("--model", default=None, help="model file (default: the project's model)")
    parser.add_argument("--baseline", default=None, help="a model file to compare with in the report's table of what is kept wrongly")
    parser.add_argument("--jobs", type=int, default=settings.JOBS, help="worker processes for the peers (default: JOBS)")
    parser.add_argument("--speed-pages", type=int, default=SPEED_PAGES, help="held-out pages timed per system")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    quiet_peer_logging()
    if args.crawl:
        crawl_bench(args)
    else:
        bench(args) if args.bench else evaluate(args)


if __name__ == "__main__":
    main()
