"""A crawl cleaned record for record: clean_records, WARC in and Parquet out in `boilerline batch`,
the datatrove steps and the Ray step, on a small WARC made here from the fixture pages."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import boilerline
from boilerline import Record, clean_records, load_model
from boilerline.cli import main
from data.warc import record_id, response_record, write_warc

REPO = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).parent / "fixtures" / "pages"
HTML_PAGES = ("article.html", "blog_ja.html", "docs.html", "news_zh.html", "recipe.htm")
RUSSIAN_URL = "http://example.ru/article"
FAILING_URL = "http://example.com/nested"
BROKEN_URL = "http://example.com/broken"
SLOW_URL = "http://example.com/slow"
# Seconds of work in every stage, where a page takes milliseconds: a budget looked at between
# stages (in a thread, a Ray actor) is passed before the last one (400,000 lines, under the limits).
SLOW_PAGE = "<div>" + "<p>a few words here</p>" * 400_000 + "</div>"


@pytest.fixture(scope="module")
def model():
    return load_model()


def russian_page() -> bytes:
    """An article in windows-1251 whose charset only the HTTP header names: read as UTF-8 or
    windows-1252, it keeps none of its letters."""
    paragraphs = (PAGES / "article_ru.txt").read_text(encoding="utf-8").split("\n\n")
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"<html><head><title>Статья</title></head><body><nav><a href=/>Главная</a></nav><article>{body}</article></body></html>".encode(
        "cp1251"
    )


def crawl_responses() -> list[tuple[str, bytes, str]]:
    """(url, body, Content-Type) of each HTML response of the crawl: the fixture pages, the
    windows-1251 page, and a page that fails (nested past BOILERLINE_MAX_PAGE_NESTING)."""
    responses = [(f"http://example.com/{name}", (PAGES / name).read_bytes(), "text/html; charset=utf-8") for name in HTML_PAGES]
    responses.append((RUSSIAN_URL, russian_page(), "text/html; charset=windows-1251"))
    responses.append((FAILING_URL, b"<div>" * 10_001, "text/html"))
    return responses


def broken_record() -> bytes:
    """A response record whose block is no HTTP response."""
    return response_record(BROKEN_URL, b"<p>x</p>").replace(b"HTTP/1.1 200 OK", b"NOT-HTTP 200 !!")


@pytest.fixture
def crawl(tmp_path) -> Path:
    """Two .warc.gz files (two datatrove tasks) of the crawl's responses, an image and the broken record."""
    folder = tmp_path / "crawl"
    folder.mkdir()
    records = [response_record(*response) for response in crawl_responses()]
    records.insert(2, response_record("http://example.com/logo.png", b"\x89PNG\r\n", "image/png"))  # no page: passed over
    records.insert(5, broken_record())
    write_warc(folder / "part-0.warc.gz", records[:4])
    write_warc(folder / "part-1.warc.gz", records[4:])
    return folder


def expected_texts(model) -> dict[str, str]:
    """The text of each page of the crawl by clean_html, page by page, in its served charset."""
    expected = {}
    for url, body, content_type in crawl_responses():
        if url != FAILING_URL:
            charset = content_type.split("charset=")[1] if "charset=" in content_type else None
            expected[record_id(url)] = model.clean_html(body, encoding=charset)
    return expected


ALL_IDS = {record_id(url) for url, _, _ in crawl_responses()} | {record_id(BROKEN_URL)}


# --- clean_records ----------------------------------------------------------------------------


def test_clean_records_gives_every_record_one_result_in_order_with_the_texts_of_clean_html(model):
    article = (PAGES / "article.html").read_bytes()
    text_page = (PAGES / "article.txt").read_text(encoding="utf-8")
    records = [
        Record("a", article, url="http://a"),
        {"id": "ru", "page": russian_page(), "charset": "windows-1251"},
        Record("nested", b"<div>" * 10_001),
        Record("text", text_page, kind="text"),
        {"id": "bad", "html": "<p>a JSONL record is no Record</p>"},
        Record("number", 12345),
        Record("unknown-charset", article, charset="utf8mb4"),
        Record("without-markup", text_page),
    ]
    results = list(clean_records(records, model))
    by_id = {result["id"]: result for result in results}
    assert [result["id"] for result in results] == ["a", "ru", "nested", "text", "bad", "number", "unknown-charset", "without-markup"]
    assert by_id["a"]["text"] == model.clean_html(article) and by_id["a"]["url"] == "http://a"
    assert by_id["a"]["title"] == boilerline.html_title(article) != ""
    assert by_id["a"]["lines"] == len(model.score_html(article)) and 0 < by_id["a"]["kept"] < by_id["a"]["lines"]
    assert by_id["ru"]["text"] == model.clean_html(russian_page(), encoding="windows-1251") and "Антарктиды" in by_id["ru"]["text"]
    assert by_id["text"]["text"] == model.clean_text(text_page) and by_id["text"]["kind"] == "text"
    assert by_id["unknown-charset"]["text"] == by_id["a"]["text"]
    assert by_id["without-markup"]["kind"] == "text" and by_id["without-markup"]["title"] == ""
    assert "BOILERLINE_MAX_PAGE_NESTING" in by_id["nested"]["error"] and by_id["nested"]["text"] is None
    assert by_id["bad"]["error"].startswith("not a record") and "must be str or bytes" in by_id["number"]["error"]
    assert all("\n" not in (result["error"] or "") for result in results)
    assert {result["model_version"] for result in results} == {boilerline.__version__}
    assert {result["model_digest"] for result in results} == {model.digest} and len(model.digest) == 64


def test_an_input_that_could_not_be_read_keeps_its_error_as_its_result(model):
    article = (PAGES / "article.html").read_bytes()
    records = [{"id": "unread", "url": "http://u", "error": "the WARC response holds no HTTP response"}, Record("a", article)]
    unread, cleaned = clean_records(records, model)
    assert unread["error"] == "the WARC response holds no HTTP response" and unread["url"] == "http://u" and unread["text"] is None
    assert unread["model_digest"] == model.digest and cleaned["text"] == model.clean_html(article)


def test_a_batch_that_fails_as_a_whole_is_scored_again_page_by_page(model, monkeypatch):
    """A fault in scoring a batch of several pages costs only the page it comes from."""
    decide_batch = model._decide_batch

    def fails_on_the_marked_page(kind, pages, *options):
        if any("MARKED" in text for columns in pages for text in columns["text"]):
            raise RuntimeError("a fault of the scorer's")
        return decide_batch(kind, pages, *options)

    monkeypatch.setattr(model, "_decide_batch", fails_on_the_marked_page)
    pages = [f"<html><body><p>Page {number} has a paragraph of its own words.</p></body></html>" for number in range(4)]
    pages[2] = pages[2].replace("has", "MARKED has")
    results = list(clean_records((Record(number, page) for number, page in enumerate(pages)), model))
    assert [result["id"] for result in results] == [0, 1, 2, 3]
    assert results[2]["error"] == "RuntimeError: a fault of the scorer's"
    assert [result["error"] for result in results[:2] + results[3:]] == [None, None, None]


def test_a_page_over_the_time_budget_is_an_error_result_and_the_pages_after_it_are_cleaned(model):
    article = (PAGES / "article.html").read_bytes()
    started = time.monotonic()
    results = list(clean_records([Record("before", article), Record("slow", SLOW_PAGE), Record("after", article)], model, time_budget=0.5))
    assert time.monotonic() - started < 5
    assert [result["error"] for result in results] == [None, "timed out after 0.5 s (time_budget)", None]
    assert results[2]["text"] == model.clean_html(article)
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL  # the handler it set is gone


def test_outside_the_main_thread_the_time_budget_is_looked_at_between_stages(model):
    """No alarm can be set in a thread (Ray's actors run batches in one): the scorer's own budget stops the page."""
    from concurrent.futures import ThreadPoolExecutor

    article = (PAGES / "article.html").read_bytes()
    records = [Record("before", article), Record("slow", SLOW_PAGE), Record("after", article)]
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(lambda: list(clean_records(records, model, time_budget=0.5))).result(timeout=60)
    assert [result["id"] for result in results] == ["before", "slow", "after"]
    assert "took over the time budget of 0.5 s" in results[1]["error"] and results[1]["text"] is None
    assert results[0]["text"] == results[2]["text"] == model.clean_html(article)


def test_an_error_of_the_callers_iterator_is_raised_after_the_results_before_it(model):
    def records():
        yield Record("first", (PAGES / "article.html").read_bytes())
        raise OSError("the crawl's disk is gone")

    results = clean_records(records(), model)
    assert next(results)["id"] == "first"
    with pytest.raises(OSError, match="disk is gone"):
        next(results)


def test_one_record_where_records_are_asked_for_is_refused(model):
    with pytest.raises(TypeError, match="pass \\[record\\]"):
        next(clean_records(Record("a", "<p>x</p>"), model))
    with pytest.raises(ValueError, match="threshold must be a probability"):
        next(clean_records([Record("a", "<p>x</p>")], model, threshold=2))


# --- WARC in, JSONL and Parquet out -------------------------------------------------------------


def test_a_warc_gives_its_html_responses_with_their_ids_urls_and_served_charsets(crawl):
    pytest.importorskip("fastwarc")
    from boilerline.crawl import warc_records

    records = [record for path in sorted(crawl.iterdir()) for record in warc_records(str(path))]
    assert [record.id if isinstance(record, Record) else record["id"] for record in records] == [
        record_id(url)
        for url in [
            *[f"http://example.com/{name}" for name in HTML_PAGES[:4]],
            BROKEN_URL,
            *[f"http://example.com/{name}" for name in HTML_PAGES[4:]],
            RUSSIAN_URL,
            FAILING_URL,
        ]
    ]
    (russian,) = [record for record in records if isinstance(record, Record) and record.url == RUSSIAN_URL]
    assert russian.charset == "windows-1251" and russian.page == russian_page()
    (broken,) = [record for record in records if isinstance(record, dict)]
    assert broken["url"] == BROKEN_URL and "no HTTP response" in broken["error"]


def test_a_warc_cut_short_keeps_its_records_before_the_break_and_says_where_it_broke(tmp_path):
    pytest.importorskip("fastwarc")
    from boilerline.crawl import warc_records

    records = [response_record(*response) for response in crawl_responses()[:3]]
    write_warc(tmp_path / "cut.warc", [*records[:2], b"garbage where a record should start\r\n\r\n", records[2]])
    read = list(warc_records(str(tmp_path / "cut.warc")))
    assert [record.id for record in read[:2]] == [record_id(url) for url, _, _ in crawl_responses()[:2]]
    assert read[2]["id"] == f"{tmp_path / 'cut.warc'}:3" and "cannot read the WARC records from here on" in read[2]["error"]
    write_warc(tmp_path / "short.warc", [records[0], records[1][:150]])  # the file ends inside the second record's headers
    assert [record.id if isinstance(record, Record) else record["error"] for record in warc_records(str(tmp_path / "short.warc"))] == [
        record_id(crawl_responses()[0][0]),
        "the WARC response holds no HTTP response",
    ]


def batch_rows(out: Path) -> list[dict]:
    if out.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(out).to_pylist()
    return [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]


def test_a_warc_page_past_its_batch_timeout_is_an_error_record_with_its_url(tmp_path, capsys):
    pytest.importorskip("fastwarc")
    write_warc(tmp_path / "slow.warc.gz", [response_record(SLOW_URL, SLOW_PAGE.encode())])
    assert main(["batch", str(tmp_path / "slow.warc.gz"), "--out", str(tmp_path / "out.jsonl"), "--timeout", "1"]) == 1
    (row,) = batch_rows(tmp_path / "out.jsonl")
    assert row["url"] == SLOW_URL and row["error"].startswith("timed out after 1 s")


@pytest.mark.parametrize("name", ["pages.jsonl", "pages.parquet"])
def test_batch_of_warc_files_gives_every_record_once_with_the_texts_of_clean_html(tmp_path, capsys, crawl, model, name):
    pytest.importorskip("fastwarc")
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    out = tmp_path / name
    code = main(["batch", str(crawl / "*.warc.gz"), "--out", str(out), "--jobs", "2"])
    assert code == 1 and "6 ok, 2 errors, 0 skipped" in capsys.readouterr().err
    rows = batch_rows(out)
    assert sorted(row["id"] for row in rows) == sorted(ALL_IDS)
    by_id = {row["id"]: row for row in rows}
    assert {key: by_id[key]["text"] for key in expected_texts(model)} == expected_texts(model)
    assert "BOILERLINE_MAX_PAGE_NESTING" in by_id[record_id(FAILING_URL)]["error"]
    assert "no HTTP response" in by_id[record_id(BROKEN_URL)]["error"]
    russian = by_id[record_id(RUSSIAN_URL)]
    assert russian["url"] == RUSSIAN_URL and russian["title"] == "Статья" and russian["model_digest"] == model.digest
    assert russian["model_version"] == boilerline.__version__ and russian.get("error") is None

    assert main(["batch", str(crawl / "*.warc.gz"), "--out", str(out)]) == 0  # done before: nothing to do
    assert "0 ok, 0 errors, 8 skipped" in capsys.readouterr().err and batch_rows(out) == rows
    assert not (tmp_path / f"{name}.part.jsonl").exists()


@pytest.mark.parametrize("name", ["pages.jsonl", "pages.parquet"])
def test_a_batch_killed_halfway_and_run_again_gives_every_record_once(tmp_path, name):
    pytest.importorskip("fastwarc")
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    pages = [(PAGES / page).read_bytes() for page in HTML_PAGES]
    urls = [f"http://example.com/{number}" for number in range(150)]
    write_warc(tmp_path / "big.warc", (response_record(url, pages[number % len(pages)]) for number, url in enumerate(urls)))
    out = tmp_path / name
    written = tmp_path / f"{name}.part.jsonl" if name.endswith(".parquet") else out
    command = [sys.executable, "-m", "boilerline", "batch", str(tmp_path / "big.warc"), "--out", str(out), "--jobs", "1"]
    run = subprocess.Popen(command, cwd=REPO, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (written.exists() and written.read_bytes().count(b"\n") >= 10) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)  # the batch and its worker, mid-write perhaps
    run.wait()
    assert 10 <= written.read_bytes().count(b"\n") < len(urls) and not (name.endswith(".parquet") and out.exists())
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    ids = [row["id"] for row in batch_rows(out)]
    assert sorted(ids) == sorted(record_id(url) for url in urls)


# --- datatrove ------------------------------------------------------------------------------------


def datatrove_rows(folder: Path) -> list[dict]:
    import gzip

    return [json.loads(line) for path in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(path, "rt", encoding="utf-8")]


def test_the_datatrove_steps_on_two_workers_give_the_texts_of_clean_html(tmp_path, crawl, model):
    pytest.importorskip("datatrove")
    pytest.importorskip("fastwarc")
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter

    from boilerline.datatrove_step import Boilerline, BoilerlineWarcReader

    pipeline = [BoilerlineWarcReader(str(crawl)), Boilerline(), JsonlWriter(str(tmp_path / "out"))]
    LocalPipelineExecutor(pipeline, tasks=2, workers=2, logging_dir=str(tmp_path / "logs")).run()
    rows = datatrove_rows(tmp_path / "out")
    by_id = {row["id"]: row for row in rows}
    # The broken record has no text for a document: the reader counts it (unreadable) and passes over it.
    assert sorted(row["id"] for row in rows) == sorted(ALL_IDS - {record_id(BROKEN_URL)})
    assert {key: by_id[key]["text"] for key in expected_texts(model)} == expected_texts(model)
    failed = by_id[record_id(FAILING_URL)]  # its text kept empty, which the writer leaves out
    assert failed.get("text", "") == "" and "BOILERLINE_MAX_PAGE_NESTING" in failed["metadata"]["boilerline_error"]
    assert by_id[record_id(RUSSIAN_URL)]["metadata"]["title"] == "Статья"
    reader, step = [entry["stats"] for entry in json.loads((tmp_path / "logs" / "stats.json").read_text())][:2]
    assert reader["unreadable"] == 1 and step["clean_error"] == 1 and step["extracted"] == 6


def fail_on_the_second_task(data, rank: int = 0, world_size: int = 1):
    """A pipeline step that stops the second task after its first document, as a killed task stops."""
    for number, document in enumerate(data):
        if rank == 1 and number == 1:
            raise RuntimeError("task killed")
        yield document


def test_datatrove_reruns_only_the_tasks_that_did_not_finish(tmp_path, crawl, model):
    pytest.importorskip("datatrove")
    pytest.importorskip("fastwarc")
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter

    from boilerline.datatrove_step import Boilerline, BoilerlineWarcReader

    def executor(*steps):
        pipeline = [BoilerlineWarcReader(str(crawl)), Boilerline(), *steps, JsonlWriter(str(tmp_path / "out"))]
        return LocalPipelineExecutor(pipeline, tasks=2, workers=1, logging_dir=str(tmp_path / "logs"))

    with pytest.raises(RuntimeError, match="task killed"):
        executor(fail_on_the_second_task).run()
    first_task = (tmp_path / "out" / "00000.jsonl.gz").read_bytes()
    executor().run()
    assert (tmp_path / "out" / "00000.jsonl.gz").read_bytes() == first_task  # finished: skipped, not redone
    assert sorted(row["id"] for row in datatrove_rows(tmp_path / "out")) == sorted(ALL_IDS - {record_id(BROKEN_URL)})


# --- Ray -------------------------------------------------------------------------------------------


def test_the_ray_step_in_local_mode_gives_every_record_once_with_the_texts_of_clean_html(tmp_path, crawl, model):
    ray = pytest.importorskip("ray")
    pytest.importorskip("pyarrow")
    import pyarrow.parquet

    from boilerline.ray_step import RESULT_COLUMNS, clean_warcs

    write_warc(crawl / "part-2.warc.gz", [response_record(SLOW_URL, SLOW_PAGE.encode())])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        clean_warcs(
            sorted(str(path) for path in crawl.glob("*.warc.gz")), str(tmp_path / "out"), concurrency=2, batch_size=3, time_budget=1
        )
    finally:
        ray.shutdown()
    rows = pyarrow.parquet.read_table(tmp_path / "out").to_pylist()
    by_id = {row["id"]: row for row in rows}
    assert sorted(row["id"] for row in rows) == sorted(ALL_IDS | {record_id(SLOW_URL)})  # each once, errors too
    assert set(rows[0]) == set(RESULT_COLUMNS)
    assert {key: by_id[key]["text"] for key in expected_texts(model)} == expected_texts(model)
    assert "BOILERLINE_MAX_PAGE_NESTING" in by_id[record_id(FAILING_URL)]["error"]
    assert by_id[record_id(BROKEN_URL)]["error"] == "the WARC response holds no HTTP response"
    assert "took over the time budget of 1 s" in by_id[record_id(SLOW_URL)]["error"]  # looked at between stages: an actor's thread
    assert by_id[record_id(RUSSIAN_URL)]["title"] == "Статья" and by_id[record_id(RUSSIAN_URL)]["model_digest"] == model.digest


def test_importing_boilerline_imports_no_engine():
    run = "import sys, boilerline, boilerline.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'fastwarc', 'datatrove', 'ray'}))"
    done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.stdout.strip() == "[]", done.stderr


def test_clean_records_leaves_what_follows_a_declared_article_to_the_model_when_asked(model):
    from test_model import ARTICLE_WITH_MORE_STORIES

    records = [Record("story", ARTICLE_WITH_MORE_STORIES), Record("again", ARTICLE_WITH_MORE_STORIES)]
    cut = [result["text"] for result in clean_records(records, model, threshold=0.0)]
    kept = [result["text"] for result in clean_records(records, model, threshold=0.0, article_end=False)]
    assert cut == [model.clean_html(ARTICLE_WITH_MORE_STORIES, 0.0)] * 2
    assert kept == [model.clean_html(ARTICLE_WITH_MORE_STORIES, 0.0, article_end=False)] * 2 and kept != cut


def test_the_datatrove_and_ray_steps_pass_article_end_on(model):
    pytest.importorskip("datatrove")
    pytest.importorskip("ray")
    from test_model import ARTICLE_WITH_MORE_STORIES

    from boilerline.datatrove_step import Boilerline
    from boilerline.ray_step import CleanBatch

    kept = model.clean_html(ARTICLE_WITH_MORE_STORIES, 0.0, article_end=False)
    assert Boilerline(threshold=0.0, article_end=False).extract(ARTICLE_WITH_MORE_STORIES) == kept
    batch = {"id": ["a"], "url": ["http://a"], "charset": [None], "page": [ARTICLE_WITH_MORE_STORIES.encode()], "error": [None]}
    assert CleanBatch(threshold=0.0, article_end=False)(batch).column("text").to_pylist() == [kept]
    assert CleanBatch(threshold=0.0)(batch).column("text").to_pylist() == [model.clean_html(ARTICLE_WITH_MORE_STORIES, 0.0)] != [kept]
