"""The `boilerline` command line: clean, score and batch, on the hand-written pages of fixtures/pages."""

import gzip
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_model import ARTICLE_WITH_MORE_STORIES

from boilerline import cli, lines, load_model, segment, settings
from boilerline.cli import main
from boilerline.inputs import page_kind, sniff_kind
from boilerline.model import default_model_path, trees_in_use
from boilerline.segment import segment_text

REPO = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).parent / "fixtures" / "pages"
PARAGRAPH = "For more than a century the small streams that once crossed the old town"
RECIPE_PARAGRAPH = "Start by softening a chopped onion"
RECORD_KEYS = {"id", "url", "kind", "text", "title", "lines", "kept", "seconds", "model_version", "model_digest"}


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(autouse=True)
def default_model_loaded_once(monkeypatch, model):
    """In-process runs share one loaded default model: loading it per call would be most of the run time."""
    monkeypatch.setattr(cli, "load_model", lambda path=None: model if path is None else load_model(path))


def fake_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`python -m boilerline ARGS` in a fresh interpreter, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "boilerline", *args], input=stdin, capture_output=True, cwd=REPO, timeout=120)


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """main(ARGS) in this process: the same code, without an interpreter start per call."""
    code = main(list(map(str, args)))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("boilerline: error: ")
    return lines[0]


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]  # records end at "\n" alone


# --- Kind of a page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, kind",
    [
        (b"<!DOCTYPE html><title>x</title>", "html"),
        (b"\n\n  <HTML lang=en>", "html"),
        (b"<body>text</body>", "html"),
        (b"<div><p>A fragment of markup without a body.</p></div>", "html"),
        (b"Plain text that says 1 < 2 and 3 > 2. " * 10 + b"It names the <b> and <i> tags once.", "text"),
        (b"Just a plain line of text.\nAnd another one.", "text"),
        ("<p>caf\u00e9</p><p>cr\u00e8me</p>".encode("utf-16"), "html"),
    ],
)
def test_a_page_without_a_known_extension_is_sniffed(head, kind):
    assert sniff_kind(head) == kind


def test_the_extension_decides_before_the_content_and_text_mode_before_both():
    html = b"<!doctype html><p>x</p>"
    assert page_kind("page.TXT", html, force_text=False) == "text"
    assert page_kind("page.txt.gz", html, force_text=False) == "text"
    assert page_kind("page.htm.gz", b"plain words", force_text=False) == "html"
    assert page_kind("page.dat", html, force_text=False) == "html"
    assert page_kind("page.html", html, force_text=True) == "text"


# --- clean ------------------------------------------------------------------------------------


def test_clean_a_file_writes_its_content_lines_to_stdout(model):
    result = run_cli("clean", str(PAGES / "article.html"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == model.clean_html(PAGES.joinpath("article.html").read_bytes()) + "\n"
    assert PARAGRAPH in result.stdout.decode("utf-8")


def test_clean_stdin_sniffs_html():
    result = run_cli("clean", "-", stdin=(PAGES / "article.html").read_bytes())
    assert result.returncode == 0, result.stderr
    assert PARAGRAPH in result.stdout.decode() and "<p>" not in result.stdout.decode()


def test_clean_stdin_sniffs_plain_text(monkeypatch, capsys):
    fake_stdin(monkeypatch, (PAGES / "article.txt").read_bytes())
    code, out, _ = run_main(capsys, "clean", "-", "--threshold", "0")
    assert code == 0
    assert out.splitlines() == [line for line in (PAGES / "article.txt").read_text().splitlines() if line.strip()]


def test_gzip_bytes_on_stdin_or_in_a_file_not_named_gz_are_gunzipped(tmp_path, monkeypatch, capsys, model):
    compressed = gzip.compress((PAGES / "article.html").read_bytes())
    fake_stdin(monkeypatch, compressed)
    code, out, _ = run_main(capsys, "clean", "-")
    assert code == 0 and out == model.clean_html((PAGES / "article.html").read_bytes()) + "\n"
    (tmp_path / "saved.html").write_bytes(compressed)  # a response saved without its Content-Encoding undone
    assert run_main(capsys, "clean", tmp_path / "saved.html")[1] == out
    fake_stdin(monkeypatch, compressed[:200])
    code, out, err = run_main(capsys, "clean", "-")
    assert code == 1 and out == "" and "-: cannot read it (Compressed file ended" in one_error_line(err)


def test_encoding_reads_page_bytes_in_the_charset_they_were_served_with(tmp_path, capsys, model):
    text = (PAGES / "article_ru.txt").read_text()
    (tmp_path / "page.txt").write_bytes(text.encode("cp1251"))
    (tmp_path / "page.html").write_bytes(f"<html><body><p>{text.splitlines()[7]}</p></body></html>".encode("cp1251"))
    code, out, _ = run_main(capsys, "clean", tmp_path / "page.txt", "--encoding", "windows-1251")
    assert code == 0 and out == model.clean_text(text) + "\n"
    _, scored, _ = run_main(capsys, "score", tmp_path / "page.html", "--encoding", "cp1251", "--format", "jsonl")
    assert [json.loads(row)["text"] for row in scored.splitlines()] == [text.splitlines()[7]]
    _, out, _ = run_main(capsys, "batch", tmp_path, "--encoding", "cp1251", "--jobs", "1")
    assert sorted(json.loads(row)["text"] for row in out.splitlines()) == sorted([model.clean_text(text), text.splitlines()[7]])
    with pytest.raises(SystemExit):
        main(["clean", str(tmp_path / "page.txt"), "--encoding", "no-such-charset"])
    assert "no such charset on the web: 'no-such-charset'" in capsys.readouterr().err


def test_clean_threshold_is_the_precision_recall_knob(capsys):
    _, everything, _ = run_main(capsys, "clean", PAGES / "article.html", "--threshold", "0")
    _, default, _ = run_main(capsys, "clean", PAGES / "article.html")
    _, strictest, _ = run_main(capsys, "clean", PAGES / "article.html", "--threshold", "1")
    assert len(everything) > len(default) > len(strictest)
    assert "Privacy policy" in everything and "Privacy policy" not in default


def test_keep_after_article_leaves_what_follows_a_declared_article_to_the_model(tmp_path, capsys, model):
    # At threshold 0 every line the model scores is kept: only the article's end drops any.
    page = tmp_path / "story.html"
    page.write_text(ARTICLE_WITH_MORE_STORIES)
    _, cut, _ = run_main(capsys, "clean", page, "--threshold", "0")
    _, kept, _ = run_main(capsys, "clean", page, "--threshold", "0", "--keep-after-article")
    assert cut == model.clean_html(ARTICLE_WITH_MORE_STORIES, 0.0) + "\n" and "Story 2" not in cut
    assert kept == model.clean_html(ARTICLE_WITH_MORE_STORIES, 0.0, article_end=False) + "\n" and "Story 2" in kept
    _, out, _ = run_main(capsys, "batch", page, "--threshold", "0", "--keep-after-article", "--jobs", "1")
    assert json.loads(out)["text"] + "\n" == kept


def test_clean_with_out_writes_one_txt_per_input(tmp_path, capsys, model):
    (tmp_path / "in").mkdir()
    shutil.copy(PAGES / "article.html", tmp_path / "in" / "news.html")
    (tmp_path / "in" / "recipe.htm.gz").write_bytes(gzip.compress((PAGES / "recipe.htm").read_bytes()))
    shutil.copy(PAGES / "article.txt", tmp_path / "in" / "notes.txt")
    code, out, err = run_main(capsys, "clean", tmp_path / "in" / "*", "--out", tmp_path / "out")
    assert (code, out, err) == (0, "", "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["news.txt", "notes.txt", "recipe.txt"]
    assert (tmp_path / "out" / "news.txt").read_text() == model.clean_html((PAGES / "article.html").read_bytes()) + "\n"
    assert RECIPE_PARAGRAPH in (tmp_path / "out" / "recipe.txt").read_text()
    assert (tmp_path / "out" / "notes.txt").read_text() == model.clean_text((PAGES / "article.txt").read_bytes()) + "\n"


def test_clean_of_several_inputs_needs_out(capsys):
    code, out, err = run_main(capsys, "clean", PAGES / "article.html", PAGES / "recipe.htm")
    assert code != 0 and out == ""
    assert "pass --out DIR" in one_error_line(err)


def test_clean_refuses_to_overwrite_a_page_with_its_text(capsys):
    code, _, err = run_main(capsys, "clean", PAGES / "article.txt", "--out", PAGES)
    assert code != 0 and "would overwrite" in one_error_line(err)


def test_an_input_that_matches_nothing_is_one_error_line(capsys):
    code, _, err = run_main(capsys, "clean", PAGES / "no-such-*.html")
    assert code != 0 and "no file matches" in one_error_line(err)


def test_a_page_that_cannot_be_read_is_one_error_line_and_the_others_are_cleaned(tmp_path, capsys):
    (tmp_path / "broken.html.gz").write_bytes(b"<html>not gzip at all</html>")
    code, _, err = run_main(capsys, "clean", tmp_path / "broken.html.gz", PAGES / "recipe.htm", "--out", tmp_path / "out")
    assert code != 0
    assert "broken.html.gz: cannot read it" in one_error_line(err)
    assert RECIPE_PARAGRAPH in (tmp_path / "out" / "recipe.txt").read_text()


def test_a_page_over_the_size_limit_is_one_error_line(capsys, monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_BYTES", str(1000))
    code, out, err = run_main(capsys, "clean", PAGES / "article.html")
    assert code != 0 and out == ""
    assert "over the 1,000 byte limit" in one_error_line(err)


def test_a_model_error_is_one_line_and_no_traceback(tmp_path):
    truncated = tmp_path / "truncated.joblib"
    truncated.write_bytes(default_model_path().read_bytes()[:1000])
    result = run_cli("clean", str(PAGES / "article.html"), "--model", str(truncated))
    assert result.returncode != 0 and result.stdout == b""
    assert f"{truncated} is not a readable model" in one_error_line(result.stderr.decode())


def test_a_missing_model_is_one_error_line(tmp_path, capsys):
    code, out, err = run_main(capsys, "score", PAGES / "article.html", "--model", tmp_path / "missing.joblib")
    assert code != 0 and out == ""
    assert "no model file at" in one_error_line(err)


# --- score ------------------------------------------------------------------------------------


def test_score_jsonl_has_one_record_per_line(capsys, model):
    code, out, _ = run_main(capsys, "score", PAGES / "article.html", "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    expected = model.score_html((PAGES / "article.html").read_bytes())
    assert code == 0
    assert [r["line"] for r in records] == list(range(1, len(expected) + 1))
    assert [r["text"] for r in records] == [line.text for line in expected]
    for record, line in zip(records, expected):
        assert record["p_content"] == pytest.approx(line.p_content, abs=1e-4)
        assert record["label"] == ("content" if line.is_content else "boilerplate")


def test_score_tsv_has_probability_label_and_text(capsys, model):
    code, out, _ = run_main(capsys, "score", PAGES / "article.txt", "--threshold", "0.5")
    rows = [line.split("\t") for line in out.splitlines()]
    expected = model.score_text((PAGES / "article.txt").read_bytes(), threshold=0.5)
    assert code == 0 and len(rows) == len(expected)
    for (probability, label, text), line in zip(rows, expected):
        assert float(probability) == pytest.approx(line.p_content, abs=1e-4)
        assert label == ("content" if line.p_content >= 0.5 else "boilerplate")
        assert text == line.text


def test_score_of_several_inputs_names_each_page(capsys):
    code, out, _ = run_main(capsys, "score", PAGES / "article.html", PAGES / "recipe.htm")
    names = {line.split("\t")[0] for line in out.splitlines()}
    assert code == 0 and names == {str(PAGES / "article.html"), str(PAGES / "recipe.htm")}
    assert all(len(line.split("\t")) == 4 for line in out.splitlines())


def test_score_labels_writes_a_page_to_correct_and_train_on_that_reads_back_as_the_model_decided(tmp_path, capsys, model):
    from data.build import label_page
    from data.sources import read_labelled_folder

    shutil.copy(PAGES / "article.html", tmp_path / "article.html")
    shutil.copy(PAGES / "article.txt", tmp_path / "story.txt")
    for name in ("article.html", "story.txt"):
        code, out, _ = run_main(capsys, "score", tmp_path / name, "--format", "labels")
        assert code == 0
        (tmp_path / name).with_suffix(".tsv").write_text(out, encoding="utf-8")
    html_page, text_page = read_labelled_folder(tmp_path)
    assert html_page.html is not None and text_page.html is None
    assert html_page.labels == [int(line.is_content) for line in model.score_html((PAGES / "article.html").read_bytes())]
    assert text_page.labels == [int(line.is_content) for line in model.score_text((PAGES / "article.txt").read_bytes())]
    # The plain-text page keeps its paragraph breaks: its lines are those of the page.
    assert (
        segment_text(text_page.text)["blank_before"].tolist() == segment_text((PAGES / "article.txt").read_bytes())["blank_before"].tolist()
    )
    assert all(label_page(page)[2] is None for page in (html_page, text_page))


def test_score_labels_of_several_pages_is_refused(capsys):
    code, out, err = run_main(capsys, "score", "--format", "labels", PAGES / "article.html", PAGES / "recipe.htm")
    assert code != 0 and out == ""
    assert "--format labels writes the labels of one page" in one_error_line(err)


def test_score_keeps_a_code_line_indented_tabs_as_spaces_in_tsv_and_as_they_are_in_jsonl(tmp_path, capsys):
    code_page = tmp_path / "code.html"
    code_page.write_text(
        "<html><body><p>A loop that counts to three, written out below.</p><pre>for i in range(3):\n\tprint(i)</pre></body></html>"
    )
    code, out, _ = run_main(capsys, "score", code_page)
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and all(len(row) == 3 for row in rows)
    assert [row[2] for row in rows][-2:] == ["for i in range(3):", " " * 8 + "print(i)"]
    code, out, _ = run_main(capsys, "score", code_page, "--format", "jsonl")
    assert [json.loads(line)["text"] for line in out.splitlines()][-1] == "\tprint(i)"


def test_score_stdin_writes_jsonl(monkeypatch, capsys):
    fake_stdin(monkeypatch, (PAGES / "recipe.htm").read_bytes())
    code, out, _ = run_main(capsys, "score", "-", "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert any(r["label"] == "content" and r["text"].startswith(RECIPE_PARAGRAPH) for r in records)
    assert {r["label"] for r in records} == {"content", "boilerplate"}


# --- batch ------------------------------------------------------------------------------------


@pytest.fixture
def crawl(tmp_path) -> Path:
    """A folder of pages, some of them broken, and a JSONL file of records, some of them bad."""
    folder = tmp_path / "crawl"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(PAGES / "article.html", folder / "article.html")
    shutil.copy(PAGES / "article.txt", folder / "sub" / "article.txt")
    (folder / "recipe.html.gz").write_bytes(gzip.compress((PAGES / "recipe.htm").read_bytes()))
    (folder / "not-gzip.html.gz").write_bytes(b"<html>plain, not gzip</html>")
    (folder / "binary.html").write_bytes(random.Random(0).randbytes(20_000))
    (folder / "many-elements.html").write_text("a<br>" * (settings.limit("MAX_PAGE_ELEMENTS") + 1))  # refused before parsing
    (folder / "dangling.html").symlink_to(tmp_path / "gone.html")
    (folder / "ignored.css").write_text("body { color: red }")
    records = [
        json.dumps({"id": "rec-html", "html": (PAGES / "recipe.htm").read_text()}),
        "{not json",
        "",
        json.dumps({"id": "rec-text", "text": (PAGES / "article.txt").read_text()}),
        json.dumps({"id": "rec-none"}),
        json.dumps({"id": "rec-html", "text": "the same id again"}),
        json.dumps(["not", "a", "record"]),
    ]
    (tmp_path / "records.jsonl").write_text("\n".join(records) + "\n")
    return folder


CRAWL_OK = {"article.html", "sub/article.txt", "recipe.html.gz", "rec-html", "rec-text"}
CRAWL_ERRORS = {"not-gzip.html.gz", "binary.html", "dangling.html", "many-elements.html", "records.jsonl:2", "rec-none", "records.jsonl:7"}


def short_id(record: dict, crawl: Path) -> str:
    return str(record["id"]).replace(f"{crawl}/", "").replace(f"{crawl.parent}/", "")


def run_batch(capsys, crawl: Path, out: Path, *options: str) -> tuple[int, str]:
    code, _, err = run_main(capsys, "batch", crawl, crawl.parent / "records.jsonl", "--out", out, *options)
    return code, err.strip().splitlines()[-1]


def test_batch_gives_every_input_exactly_one_record_and_resumes(tmp_path, capsys, crawl, model):
    out = tmp_path / "out" / "pages.jsonl"
    code, summary = run_batch(capsys, crawl, out, "--jobs", "2")
    records = read_records(out)
    ok = {short_id(r, crawl): r for r in records if "error" not in r}
    errors = {short_id(r, crawl): r["error"] for r in records if "error" in r}
    assert code == 1  # some pages failed, as clean and score say it
    assert set(ok) == CRAWL_OK
    # The duplicate id is the one input whose id repeats: its error record names the reason.
    assert set(errors) == CRAWL_ERRORS | {"rec-html"} and len(records) == len(CRAWL_OK) + len(CRAWL_ERRORS) + 1
    assert "duplicate id" in errors["rec-html"]
    assert "cannot read it" in errors["not-gzip.html.gz"] and "cannot read it" in errors["dangling.html"]
    assert "bad JSON line" in errors["records.jsonl:2"]
    assert "(BOILERLINE_MAX_PAGE_ELEMENTS)" in errors["many-elements.html"]
    assert all(set(r) == RECORD_KEYS for r in ok.values())
    assert ok["article.html"]["text"] == model.clean_html((PAGES / "article.html").read_bytes())
    assert ok["sub/article.txt"]["kind"] == ok["rec-text"]["kind"] == "text"
    assert ok["recipe.html.gz"]["text"] == ok["rec-html"]["text"] != ""
    assert "page is not text" in errors["binary.html"]
    assert summary.startswith("boilerline batch: 5 ok, 8 errors, 0 skipped")

    before = out.read_text()
    code, summary = run_batch(capsys, crawl, out)
    assert code == 0 and out.read_text() == before
    assert summary.startswith("boilerline batch: 0 ok, 0 errors, 13 skipped")

    shutil.copy(PAGES / "recipe.htm", crawl / "new.htm")
    code, summary = run_batch(capsys, crawl, out, "--jobs", "1")
    added = read_records(out)[len(records) :]
    assert [short_id(r, crawl) for r in added] == ["new.htm"]
    assert summary.startswith("boilerline batch: 1 ok, 0 errors, 13 skipped")


def test_batch_says_an_html_file_without_markup_was_cleaned_as_the_text_it_is(tmp_path, capsys, model):
    text = (PAGES / "article.txt").read_text()
    (tmp_path / "saved-as.html").write_text(text)
    (tmp_path / "records.jsonl").write_text(json.dumps({"id": "record", "html": text}) + "\n")
    out = tmp_path / "out.jsonl"
    code, _, _ = run_main(capsys, "batch", tmp_path / "saved-as.html", tmp_path / "records.jsonl", "--out", out)
    records = read_records(out)
    assert code == 0 and len(records) == 2
    assert [r["kind"] for r in records] == ["text", "text"]
    assert {r["text"] for r in records} == {model.clean_text(text)} and PARAGRAPH in records[0]["text"]


@pytest.mark.parametrize(
    "option",
    [
        ("--timeout", "inf"),
        ("--timeout", "1e7"),
        ("--timeout", "0"),
        ("--threshold", "nan"),
        ("--threshold", "2"),
        ("--threshold", "-1"),
        ("--threshold", "inf"),
    ],
)
def test_an_out_of_range_option_is_refused_as_the_command_starts(tmp_path, capsys, option):
    with pytest.raises(SystemExit) as exit_:
        main(["batch", str(PAGES / "article.html"), "--out", str(tmp_path / "out.jsonl"), *option])
    assert exit_.value.code == 2 and f"argument {option[0]}: {option[1]} is not" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_symlink_loop_among_the_inputs_is_one_error_and_the_other_pages_are_cleaned(tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(PAGES / "article.html", pages / "article.html")
    (pages / "loop.html").symlink_to("loop.html")
    code, _, err = run_main(capsys, "clean", pages, "--out", tmp_path / "out")
    assert code == 1 and "loop.html" in err and "Traceback" not in err
    assert (tmp_path / "out" / "article.txt").read_text(encoding="utf-8").strip()


def test_batch_redoes_the_record_an_interrupted_run_left_unfinished(tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("a.html", "b.html"):
        shutil.copy(PAGES / "article.html", pages / name)
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": str(pages / "a.html"), "error": "earlier"}) + '\n{"id": "' + str(pages / "b.html"))
    code, _, err = run_main(capsys, "batch", pages, "--out", out)
    records = read_records(out)
    assert code == 0 and "1 ok, 0 errors, 1 skipped" in err
    assert [r["id"] for r in records] == [str(pages / "a.html"), str(pages / "b.html")]
    assert PARAGRAPH in records[1]["text"]


def test_a_truncated_jsonl_gz_keeps_its_records_before_the_break_and_says_where_it_broke(tmp_path, capsys):
    records = [json.dumps({"id": f"page-{number}", "text": f"Page {number} has a paragraph of plain words."}) for number in range(2000)]
    whole = gzip.compress(("\n".join(records) + "\n").encode(), mtime=0)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    out = tmp_path / "out.jsonl"
    code, _, err = run_main(capsys, "batch", tmp_path / "cut.jsonl.gz", "--out", out)
    written = read_records(out)
    (broken,) = [r for r in written if "error" in r]
    kept = {r["id"] for r in written if "error" not in r}
    assert code == 1 and "Traceback" not in err
    assert 0 < len(kept) < 2000 and kept == {f"page-{number}" for number in range(len(kept))}
    assert broken["id"] == f"{tmp_path / 'cut.jsonl.gz'}:{len(kept) + 1}" and "cannot read the records from here on" in broken["error"]


def test_batch_refuses_a_true_or_false_id_which_would_be_the_number_1_or_0(tmp_path, capsys):
    records = [{"id": 1, "text": "A page of words."}, {"id": True, "text": "Another page of words."}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    code, _, _ = run_main(capsys, "batch", tmp_path / "in.jsonl", "--out", tmp_path / "out.jsonl")
    written = {r["id"]: r for r in read_records(tmp_path / "out.jsonl")}
    assert code == 1 and len(written) == 2 and "error" not in written[1]
    assert 'not a record with an "id"' in written[f"{tmp_path / 'in.jsonl'}:2"]["error"]


def test_batch_refuses_to_append_to_a_file_that_is_not_its_output(tmp_path, capsys):
    notes = tmp_path / "notes.jsonl"
    notes.write_text("my notes\n")
    code, _, err = run_main(capsys, "batch", PAGES / "article.html", "--out", notes)
    assert code != 0 and "is not a batch record" in one_error_line(err)
    assert notes.read_text() == "my notes\n"


def test_batch_leaves_a_file_that_is_not_its_output_untouched_even_without_a_line_end(tmp_path, capsys):
    settings_file = tmp_path / "settings.jsonl"
    settings_file.write_bytes(b'{"a":1}')  # one unterminated line: once cut as a killed run's last write
    code, _, err = run_main(capsys, "batch", PAGES / "article.html", "--out", settings_file)
    assert code != 0 and "does not end as batch output does" in one_error_line(err)
    assert settings_file.read_bytes() == b'{"a":1}'


def test_a_record_holding_a_unicode_line_separator_resumes(tmp_path, capsys):
    records = [{"id": "pre", "html": "<pre>first line\u2028still the first\u2029and\x85more</pre>"}, {"id": "p", "text": "A line."}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run_main(capsys, "batch", tmp_path / "in.jsonl", "--out", out)
    code, _, err = run_main(capsys, "batch", tmp_path / "in.jsonl", "--out", out)  # resumes: nothing left to do
    assert code == 0 and "Traceback" not in err
    assert sorted(r["id"] for r in read_records(out)) == ["p", "pre"]


def test_a_page_past_the_time_limit_is_a_timeout_record_and_its_worker_is_replaced(tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    # Tens of thousands of blocks: seconds of work, where a normal page takes milliseconds.
    (pages / "0-slow.html").write_text("<div>" + "<p>a few words here</p>" * 200_000 + "</div>")
    shutil.copy(PAGES / "article.html", pages / "1-article.html")
    shutil.copy(PAGES / "recipe.htm", pages / "2-recipe.htm")
    out = tmp_path / "out.jsonl"
    code, _, err = run_main(capsys, "batch", pages, "--out", out, "--jobs", "1", "--timeout", "1")
    records = {Path(r["id"]).name: r for r in read_records(out)}
    assert code == 1 and "2 ok, 1 error, 0 skipped" in err
    assert records["0-slow.html"]["error"].startswith("timed out after 1 s")
    assert PARAGRAPH in records["1-article.html"]["text"]
    assert RECIPE_PARAGRAPH in records["2-recipe.htm"]["text"]


def test_batch_with_a_broken_model_is_one_error_line(tmp_path, capsys):
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"not a model")
    code, _, err = run_main(capsys, "batch", PAGES / "article.html", "--out", tmp_path / "out.jsonl", "--model", broken)
    assert code != 0 and "not a readable model" in one_error_line(err)


def test_a_file_name_that_is_not_utf8_is_written_with_escapes_and_its_batch_resumes(tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(PAGES / "article.html", os.fsdecode(os.fsencode(pages) + b"/bad\xff.html"))
    shutil.copy(PAGES / "recipe.htm", pages / "ok.htm")
    code, out, err = run_main(capsys, "score", pages)
    assert code == 0 and f"{pages}/bad\\xff.html\t" in out and "Traceback" not in err
    code, _, _ = run_main(capsys, "clean", pages, "--out", tmp_path / "clean")
    assert code == 0 and PARAGRAPH in Path(os.fsdecode(os.fsencode(tmp_path) + b"/clean/bad\xff.txt")).read_text(encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, _ = run_main(capsys, "batch", pages, "--out", out)
    assert code == 0 and {r["id"] for r in read_records(out)} == {f"{pages}/bad\\xff.html", f"{pages}/ok.htm"}
    code, _, err = run_main(capsys, "batch", pages, "--out", out)
    assert code == 0 and "0 ok, 0 errors, 2 skipped" in err


def test_special_files_are_refused_as_inputs_and_outputs_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.html")  # no writer: opening it would wait forever
    code, _, err = run_main(capsys, "clean", tmp_path / "pipe.html")
    assert code == 1 and "pipe.html: not a regular file but a named pipe; pipe it to stdin (-) instead" in one_error_line(err)
    code, _, err = run_main(capsys, "clean", "/dev/zero")  # never ends
    assert code == 1 and "/dev/zero: not a regular file but a character device" in one_error_line(err)
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "article.txt")
    code, _, err = run_main(capsys, "clean", PAGES / "article.html", "--out", tmp_path / "out")
    assert code == 1 and "article.txt is not a regular file but a named pipe: pass another --out" in one_error_line(err)
    code, _, err = run_main(capsys, "batch", PAGES / "article.html", "--out", "/dev/full")
    assert code == 1 and "/dev/full is not a regular file but a character device" in one_error_line(err)


def test_batch_refuses_an_output_name_of_a_format_it_does_not_write_before_reading_anything(tmp_path, capsys):
    for name in ("pages.csv", "notes.txt", "pages.jsonl.gz"):
        (tmp_path / name).write_text("kept\n")
        code, _, err = run_main(capsys, "batch", tmp_path / "missing-input.html", "--out", tmp_path / name)
        assert code == 1 and "name the --out file .jsonl or .parquet" in one_error_line(err)
        assert (tmp_path / name).read_text() == "kept\n"


def test_clean_of_a_binary_file_or_an_image_is_an_error_not_an_empty_page(tmp_path, capsys):
    (tmp_path / "binary.bin").write_bytes(random.Random(0).randbytes(20_000))
    (tmp_path / "photo.html").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + random.Random(1).randbytes(5_000))
    code, out, err = run_main(capsys, "clean", tmp_path / "binary.bin")
    assert code == 1 and out == "" and "binary.bin: page is not text" in one_error_line(err)
    code, out, err = run_main(capsys, "clean", tmp_path / "photo.html")
    assert code == 1 and out == "" and "photo.html: page is a JPEG image, not text or HTML" in one_error_line(err)


def test_version_says_which_code_walks_the_html_counts_and_walks_the_trees(capsys, monkeypatch):
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "1")
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert re.fullmatch(r"boilerline \S+ \(walk: python, counts: numpy, trees: lightgbm\)\n", capsys.readouterr().out)
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "0")
    with pytest.raises(SystemExit):
        main(["--version"])
    walk, counts, trees = segment.walk_in_use(), lines.counts_in_use(), trees_in_use()
    assert capsys.readouterr().out.endswith(f"(walk: {walk}, counts: {counts}, trees: {trees})\n")
