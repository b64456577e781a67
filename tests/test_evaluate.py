"""evaluate.py's scoring, aggregation and caching, on tiny hand-made pages with a stand-in model."""

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evaluate
from boilerline.segment import segment_html, segment_text
from data.sources import Page
from evaluate import HTML_MODEL, Output, PageLines, text_system


# --- a duck-typed model: keeps the lines that say "content" --------------------------------
@dataclass(frozen=True)
class Line:
    text: str
    p_content: float
    is_content: bool


class FakeModel:
    threshold = 0.5
    path = "fake-model"

    def _score(self, lines):
        return [Line(text, p := (0.9 if "content" in text else 0.2), p >= self.threshold) for text in lines]

    def score_html(self, html, article_end=True):
        return self._score(re.findall(r"<p>(.*?)</p>", html))

    def score_text(self, text):
        return self._score([line.strip() for line in text.splitlines() if line.strip()])

    def clean_html(self, html, article_end=True):  # without the article's end, the fake keeps every line
        return "\n".join(line.text for line in self.score_html(html) if line.is_content or not article_end)

    def clean_text(self, text):
        return "\n".join(line.text for line in self.score_text(text) if line.is_content)


def html_page(page_id, paragraphs, gold, page_type="article", **extra):
    html = "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>"
    return Page(source="tiny", page_id=page_id, html=html, gold=gold, page_type=page_type, **extra)


@pytest.fixture
def tiny_pages():
    return [
        # the model keeps exactly the gold
        html_page(
            "a",
            ["the content of page a", "menu home about"],
            "the content of page a",
            must_have=["content of page"],
            must_not_have=["menu home"],
        ),
        # the model keeps the gold and a boilerplate line that happens to say content
        html_page("b", ["real content here", "related content links"], "real content here", page_type="listing"),
        # no gold: never scored
        html_page("c", ["content"], None),
    ]


@pytest.fixture(autouse=True)
def one_rendering(monkeypatch):
    """One simple text rendering instead of the real ones: each paragraph on its own line."""
    monkeypatch.setattr(evaluate, "RENDERINGS", {"plain": lambda html: "\n".join(re.findall(r"<p>(.*?)</p>", html))})


# --- running systems safely ------------------------------------------------------------
def fails(text):
    raise ValueError("broken page")


def test_a_failing_system_gives_empty_text_and_a_counted_error():
    output = evaluate.run_safely(fails, "<html>")
    assert output == Output("", "ValueError: broken page")


def test_a_system_gives_up_after_the_page_time_limit(monkeypatch):
    monkeypatch.setattr(evaluate, "PAGE_TIMEOUT", 0.2)
    start = time.perf_counter()
    output = evaluate.run_safely(lambda html: time.sleep(5), "<html>")
    assert output.text == "" and output.error.startswith("PageTimeout")
    assert time.perf_counter() - start < 2


def test_none_from_a_system_is_empty_text():
    assert evaluate.run_safely(lambda html: None, "<html>") == Output("")


# --- the peer cache ----------------------------------------------------------------------
CALLS = []


def counting_peer(html):
    CALLS.append(html)
    if "explode" in html:
        raise RuntimeError("peer bug")
    return html.upper()


@pytest.fixture
def fake_peer(monkeypatch):
    CALLS.clear()
    monkeypatch.setitem(evaluate.PEERS, "counting", (counting_peer, "pytest"))  # any installed distribution
    return {"counting": evaluate.peer_version("counting")}


def test_a_second_run_reads_peer_outputs_from_the_cache(tmp_path, tiny_pages, fake_peer):
    first = evaluate.peer_outputs(tiny_pages, fake_peer, cache_dir=tmp_path, jobs=1)
    assert len(CALLS) == 3
    second = evaluate.peer_outputs(tiny_pages, fake_peer, cache_dir=tmp_path, jobs=1)
    assert len(CALLS) == 3  # nothing rerun
    assert second == first
    assert second["counting"]["a"].text == tiny_pages[0].html.upper()


def test_only_changed_pages_are_rerun(tmp_path, tiny_pages, fake_peer):
    evaluate.peer_outputs(tiny_pages, fake_peer, cache_dir=tmp_path, jobs=1)
    tiny_pages[1].html += "<p>an edit</p>"
    evaluate.peer_outputs(tiny_pages, fake_peer, cache_dir=tmp_path, jobs=1)
    assert len(CALLS) == 4 and CALLS[-1] == tiny_pages[1].html


def test_a_new_peer_version_reruns(tmp_path, tiny_pages, fake_peer):
    evaluate.peer_outputs(tiny_pages, fake_peer, cache_dir=tmp_path, jobs=1)
    evaluate.peer_outputs(tiny_pages, {"counting": "another-version"}, cache_dir=tmp_path, jobs=1)
    assert len(CALLS) == 6


def test_a_peer_failure_is_cached_as_an_error(tmp_path, fake_peer):
    pages = [html_page("x", ["explode"], "gold")]
    for _ in range(2):
        outputs = evaluate.peer_outputs(pages, fake_peer, cache_dir=tmp_path, jobs=1)
    assert len(CALLS) == 1
    assert outputs["counting"]["x"] == Output("", "RuntimeError: peer bug")


def test_peers_run_in_a_pool_of_workers(tmp_path, tiny_pages):
    peers = {"html-text (keep all)": evaluate.peer_version("html-text (keep all)")}
    outputs = evaluate.peer_outputs(tiny_pages, peers, cache_dir=tmp_path, jobs=2)
    assert outputs["html-text (keep all)"]["a"].text.split("\n")[0] == "the content of page a"
    assert len(list(tmp_path.rglob("*.json"))) == 3


def test_the_cache_key_names_peer_version_source_page_and_html_digest(tmp_path, tiny_pages):
    path = evaluate.cache_path(tmp_path, "html-text (keep all)", "0.7.1-abc", tiny_pages[0])
    assert path.relative_to(tmp_path).parts[:3] == ("html-text_keep_all_", "0.7.1-abc", "tiny")
    assert re.fullmatch(r"a-[0-9a-f]{40}\.json", path.name)


# --- the model and scoring ---------------------------------------------------------------
def test_model_outputs_cover_the_html_model_and_each_rendering(tiny_pages):
    outputs, lines = evaluate.model_outputs(FakeModel(), tiny_pages)
    assert set(outputs) == {HTML_MODEL, evaluate.HTML_MODEL_NO_END, text_system("plain"), evaluate.c4_system("plain")}
    assert outputs[HTML_MODEL]["b"].text == "real content here\nrelated content links"
    assert outputs[evaluate.HTML_MODEL_NO_END]["a"].text == "the content of page a\nmenu home about"
    assert set(lines) == {"a", "b"}  # page c has no gold to label its lines
    assert lines["b"].labels.tolist() == [True, False]
    assert lines["b"].kept.tolist() == [True, True]


def test_c4_line_rule_keeps_only_sentences_of_three_words_or_more():
    text = "Home\nShare this\nThe council met on Monday to vote.\nIs it over?\nRead more about it\nTwo words."
    assert evaluate.c4_line_rule(text) == "The council met on Monday to vote.\nIs it over?"


def test_scores_and_summary_of_tiny_pages(tiny_pages):
    dataset = evaluate.Dataset("tiny", "word", tiny_pages)
    outputs, _ = evaluate.model_outputs(FakeModel(), tiny_pages)
    outputs["broken"] = {"a": Output("", "ValueError: x"), "b": Output("real content here")}
    rows = evaluate.score_rows(dataset, outputs)
    assert set(rows["page_id"]) == {"a", "b"}
    summary = evaluate.summarise(rows, "word")
    # page a perfect; page b: P 3/6, R 1 -> F1 2/3
    assert summary.loc[HTML_MODEL, "f1"] == pytest.approx((1 + 2 / 3) / 2)
    assert summary.loc[HTML_MODEL, "precision"] == pytest.approx(0.75)
    assert summary.loc[HTML_MODEL, "with"] == 1.0 and summary.loc[HTML_MODEL, "without"] == 0.0
    assert summary.loc["broken", "errors"] == 1 and summary.loc["broken", "f1"] == pytest.approx(0.5)
    assert summary.index[0] == HTML_MODEL  # best first


def test_by_page_type_and_overall(tiny_pages):
    dataset = evaluate.Dataset("tiny", "word", tiny_pages)
    rows = evaluate.score_rows(dataset, evaluate.model_outputs(FakeModel(), tiny_pages)[0])
    table = evaluate.f1_by_page_type(rows)
    assert table.loc[HTML_MODEL, "article"] == 1.0
    assert table.loc[HTML_MODEL, "listing"] == pytest.approx(2 / 3)
    assert table.loc[HTML_MODEL, "all"] == pytest.approx(5 / 6)


def test_the_shingle_summary_averages_as_the_benchmark_does():
    pages = [
        html_page("p", [], "one two three four five"),
        html_page("q", [], "six seven eight nine"),
    ]
    outputs = {"x": {"p": Output("one two three four five extra"), "q": Output("")}}
    summary = evaluate.summarise(evaluate.score_rows(evaluate.Dataset("hub", "shingle", pages), outputs), "shingle")
    # precision only over page p (2 of 3 shingles), recall over both pages (1 and 0)
    assert summary.loc["x", "precision"] == pytest.approx(2 / 3)
    assert summary.loc["x", "recall"] == pytest.approx(0.5)
    assert summary.loc["x", "f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_an_empty_gold_scores_one_only_for_empty_output():
    page = html_page("e", [], "")
    outputs = {"quiet": {"e": Output("")}, "chatty": {"e": Output("cookie banner")}}
    rows = evaluate.score_rows(evaluate.Dataset("d", "word", [page]), outputs).set_index("system")
    assert rows.loc["quiet", "f1"] == 1.0 and rows.loc["chatty", "f1"] == 0.0


def test_snippet_pages_without_gold_score_recall_and_the_share_kept_but_no_f1():
    pages = [
        html_page("s1", [], None, must_have=["The harbour reopened on Monday."]),
        html_page("s2", [], None, must_have=["Boats returned at dawn today"]),
    ]
    outputs = {
        "all": {"s1": Output("Menu\nThe harbour reopened on Monday.\nFooter"), "s2": Output("Boats returned at dawn")},
        "none": {"s1": Output(""), "s2": Output("")},
    }
    dataset = evaluate.Dataset("goose", "snippet", pages)
    summary = evaluate.summarise(evaluate.score_rows(dataset, outputs), "snippet")
    assert summary.index.tolist() == ["all", "none"]
    assert summary.loc["all", "with"] == 0.5  # s2 lost its last word, so its snippet is not there verbatim
    assert summary.loc["all", "recall"] == pytest.approx((1 + 4 / 5) / 2)
    assert summary["f1"].isna().all() and summary["precision"].isna().all()
    section = evaluate.quality_section(dataset, summary)
    assert "no precision" in section and "| all | 0.900 | 50.0% ± " in section


@pytest.mark.parametrize(
    "spec, metric", [("goose:g", "snippet"), ("scrapinghub:h", "shingle"), ("newspaper:n", "word"), ("wcxb:w", "word")]
)
def test_a_user_dataset_is_measured_as_its_format_is(monkeypatch, spec, metric):
    monkeypatch.setattr(evaluate, "read_spec", lambda spec: [])
    assert evaluate.user_dataset(spec).metric == metric


def test_line_labelled_pages_use_the_text_model_and_their_own_labels():
    page = Page(source="labelled", page_id="t", text="a content line\n\nfooter links\nmore content", labels=[1, 0, 1])
    assert evaluate.gold_text(page) == "a content line\nmore content"
    outputs, lines = evaluate.model_outputs(FakeModel(), [page])
    assert set(outputs) == {text_system("given")}
    assert outputs[text_system("given")]["t"].text == "a content line\nmore content"
    assert lines["t"].labels.tolist() == [True, False, True]


def test_line_metrics_at_the_threshold():
    pages = [
        PageLines(["a", "b", "c"], np.array([0.9, 0.8, 0.1]), np.array([True, True, False]), np.array([True, False, True])),
        PageLines(["d"], np.array([0.7]), np.array([True]), np.array([True])),
    ]
    metrics = evaluate.line_metrics(pages)
    assert metrics["lines"] == 4 and metrics["content_share"] == 0.75
    assert metrics["precision"] == pytest.approx(2 / 3) and metrics["recall"] == pytest.approx(2 / 3)
    assert 0 < metrics["average_precision"] <= 1


def test_worst_pages_show_what_was_kept_and_dropped(tiny_pages):
    dataset = evaluate.Dataset("tiny", "word", tiny_pages)
    outputs, lines = evaluate.model_outputs(FakeModel(), tiny_pages)
    worst = evaluate.worst_pages(evaluate.score_rows(dataset, outputs), lines, n=1)
    assert [w["page_id"] for w in worst] == ["b"]
    assert worst[0]["kept_examples"] == ["related content links"] and worst[0]["dropped_examples"] == []


# --- speed ------------------------------------------------------------------------------------
def test_speed_table_is_relative_to_trafilatura():
    timed = [evaluate.Timed("trafilatura", 2.0, 100, 50.0), evaluate.Timed("fast", 0.5, 100)]
    table = evaluate.speed_table(timed)
    assert table.loc["fast", "pages_s"] == 200 and table.loc["fast", "vs_trafilatura"] == 4
    assert pd.isna(table.loc["fast", "peak_mb"])


def test_a_peers_memory_is_measured_in_a_fresh_process(tiny_pages):
    peak_mb = evaluate.peak_memory([page.html for page in tiny_pages], ("peer", "html-text (keep all)"))
    assert peak_mb is None or peak_mb >= 0  # None where /proc cannot say


@pytest.mark.parametrize("shape", evaluate.LARGE_PAGE_SHAPES)
def test_the_memory_benchmark_pages_have_their_size_and_shape(shape):
    page = evaluate.large_page(shape, chars=50_000)
    lines = segment_html(page) if evaluate.LARGE_PAGE_SHAPES[shape][0] == "html" else segment_text(page)
    assert 50_000 <= len(page) < 50_200
    expected = {
        "one line": 1,
        "paragraphs": page.count("<p>"),
        "table cells": page.count("<td>"),
        "lines of <br>": page.count("<br>"),
        "text paragraphs": page.count("\n"),
        "short text lines": page.count("\n"),
    }[shape]
    assert len(lines) == expected and expected >= 1 and (shape == "one line" or expected > 500)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="the peak is read from /proc")
def test_a_large_pages_memory_is_measured_in_a_scrapers_process_and_a_refusal_is_reported(monkeypatch):
    monkeypatch.setattr(evaluate, "large_page", lambda shape: evaluate.LARGE_PAGE_SHAPES[shape][2].format("<td>1</td>" * 3_000))
    peak, whole_process, refused = evaluate.large_page_peak("table cells", None)
    # The whole process holds the libraries and the model: over 100 MB (about 200 here).
    assert 0 <= peak < 50 and whole_process > 100 and refused is None
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", "1000")  # read by the child's settings
    peak, _, refused = evaluate.large_page_peak("table cells", None)
    assert "over 1,000 lines" in refused


def test_a_system_that_cannot_be_rebuilt_has_no_memory_figure():
    assert evaluate.peak_memory(["a", "b"], None) is None


def test_systems_are_timed_page_by_page_in_turn():
    calls = []
    candidates = {name: (lambda text, name=name: calls.append((name, text)) or text, ["p1", "p2"]) for name in ("a", "b")}
    seconds = evaluate.interleaved_seconds(candidates, runs=2)
    assert {name: len(passes) for name, passes in seconds.items()} == {"a": 2, "b": 2}
    warm_ups = [("a", "p1"), ("b", "p1")]
    one_pass = [("a", "p1"), ("b", "p1"), ("a", "p2"), ("b", "p2")]
    assert calls == warm_ups + one_pass + one_pass


def test_passes_are_timed_in_turn_after_one_untimed_pass_each():
    calls = []
    seconds = evaluate.interleaved_pass_seconds({"one": lambda: calls.append("one"), "all": lambda: calls.append("all")}, runs=2)
    assert calls == ["one", "all"] * 3
    assert set(seconds) == {"one", "all"} and all(value > 0 for value in seconds.values())


def test_the_speed_sample_is_fixed(tiny_pages):
    assert evaluate.speed_sample(tiny_pages, 2) == evaluate.speed_sample(tiny_pages, 2)
    assert len(evaluate.speed_sample(tiny_pages, 10)) == 3


# --- report and summary ------------------------------------------------------------------------
def test_markdown_table_formats_and_blanks_missing_values():
    frame = pd.DataFrame({"f1": [0.91234, np.nan]}, index=["x", "y"])
    assert evaluate.markdown_table(frame, {"f1": ".3f"}) == "| system | f1 |\n|---|---|\n| x | 0.912 |\n| y |  |"


def test_the_seed_page_is_shown_line_by_line_where_the_mirror_has_it(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate.settings, "DATA_MIRROR", "")
    assert evaluate.seed_page() is None
    monkeypatch.setattr(evaluate.settings, "DATA_MIRROR", str(tmp_path))  # a mirror without the page
    assert evaluate.seed_page() is None
    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / "page.txt").write_text("Accept all cookies\n\nThe content | of the story.\n", encoding="utf-8")
    section = evaluate.seed_page_section(FakeModel(), evaluate.seed_page())
    assert section.startswith("## The seed page") and section.endswith(
        "| `Accept all cookies` | 0.20 | dropped |\n| `The content \\| of the story.` | 0.90 | kept |"
    )


def test_a_bad_dataset_spec_is_a_clear_error():
    with pytest.raises(SystemExit, match="FORMAT:PATH"):
        evaluate.user_dataset("csv:somewhere")


def test_a_dataset_folder_that_is_not_there_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match=r"--dataset: no Goose test pages .* in .*nowhere"):
        evaluate.user_dataset(f"goose:{tmp_path / 'nowhere'}")


def test_unseen_pages_not_fetched_are_skipped_with_what_gets_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(evaluate, "raw_dir", lambda: tmp_path)
    assert evaluate.unseen_datasets() == []
    assert capsys.readouterr().err.count("`python -m data fetch-unseen` gets them") == 2


def test_pages_in_an_unseen_script_score_as_written_for_the_same_lines(tiny_pages):
    from data.metrics import snippet_rate, word_prf

    enciphered = evaluate.in_unseen_script(evaluate.Dataset(evaluate.WCXB_NAME, "word", tiny_pages))
    assert enciphered.name == evaluate.UNSEEN_SCRIPT_NAME and len(enciphered.pages) == len(tiny_pages)
    for plain, page in zip(tiny_pages, enciphered.pages):
        lines, plain_lines = segment_html(page.html)["text"].tolist(), segment_html(plain.html)["text"].tolist()
        assert len(lines) == len(plain_lines) and not re.search("[A-Za-z]", " ".join(lines))
        assert page.html.startswith("<html><body><p>")  # the markup as it was
        if plain.gold is None:
            assert page.gold is None
            continue
        for kept in (lines[:1], lines):  # the same lines kept, the same scores
            plain_kept = plain_lines[: len(kept)]
            assert word_prf("\n".join(kept), page.gold) == word_prf("\n".join(plain_kept), plain.gold)
            assert snippet_rate("\n".join(kept), page.must_have) == snippet_rate("\n".join(plain_kept), plain.must_have)


def test_a_whole_run_on_tiny_benchmarks(tmp_path, monkeypatch, tiny_pages, fake_peer):
    """End to end with the stand-in model and one peer: report, plots and summary; the README untouched."""
    hub_pages = [html_page("h", ["article content one two three", "share this"], "article content one two three")]
    snippet_pages = [html_page("g", ["the content starts here", "menu"], None, must_have=["content starts here"])]
    datasets = [
        evaluate.Dataset(evaluate.WCXB_NAME, "word", tiny_pages),
        evaluate.Dataset(evaluate.SCRAPINGHUB_NAME, "shingle", hub_pages),
        evaluate.Dataset(evaluate.UNSEEN_SCRIPT_NAME, "word", tiny_pages),
        evaluate.Dataset("Goose's test pages, unseen", "snippet", snippet_pages),
    ]
    monkeypatch.setattr(evaluate, "load_datasets", lambda specs: datasets)
    monkeypatch.setattr(evaluate, "load_model", lambda path=None: FakeModel())
    monkeypatch.setattr(evaluate, "available_peers", lambda: fake_peer)
    monkeypatch.setattr(evaluate, "PEER_CACHE", tmp_path / "cache")
    # A fresh process cannot rebuild the stand-ins: no memory figures.
    monkeypatch.setattr(evaluate, "peak_memory", lambda inputs, description: None)
    monkeypatch.setattr(evaluate, "quiet_peer_logging", lambda: None)  # it would silence logging for later tests
    monkeypatch.setattr(evaluate, "REPORT_DIR", tmp_path / "reports")
    readme = (evaluate.settings.REPO / "README.md").read_bytes()

    evaluate.main(["--jobs", "1", "--speed-pages", "2"])

    report = (tmp_path / "reports" / "report.md").read_text()
    assert "| boilerline (HTML) | 0.833 ± " in report and "## The 2 pages where the model does worst" in report
    assert "### Goose's test pages, unseen (recall" in report and "| boilerline (HTML) | 1.000 | 100.0% ± 0.0% | 1 | 0 |" in report
    for plot in ("f1_by_page_type.png", "pr_curve.png", "speed_vs_f1.png"):
        assert (tmp_path / "reports" / plot).stat().st_size > 0
    assert (evaluate.settings.REPO / "README.md").read_bytes() == readme
    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "| boilerline (HTML) |" in summary and "(f1_by_page_type.png)" in summary
    assert "| Goose kept |" in summary and "Goose kept: 1 pages" in summary
    assert "| WCXB unseen script F1 |" in summary and "a language no system was built for" in summary


def test_wrongly_kept_shingles_are_charged_to_what_their_element_is():
    html = (
        "<html><body><div class='story'><p>content of the story, told in full here</p></div>"
        "<div class='comments'><p>content a reader wrote below it</p></div>"
        "<div class='related-stories'><p>content of another story, a teaser</p></div><p>menu</p></body></html>"
    )
    page = Page(source="tiny", page_id="c", html=html, gold="content of the story, told in full here", page_type="article")
    charged = evaluate.false_kept_shingles(FakeModel(), [page])
    # 6 words each: 3 four-word shingles each; "menu" is dropped, the story is gold.
    assert charged.to_dict() == {"teasers, more stories": 3, "comments": 3}
    section = evaluate.false_kept_section(FakeModel(), [page], baseline=FakeModel())
    assert "| comments | 3 | 3 | 3 |" in section and "| all | 6 | 6 | 6 |" in section


def test_the_false_kept_table_counts_every_category_of_either_model(monkeypatch):
    """A category only the baseline keeps wrongly is a row, and in the baseline's total."""
    charged = {"ours": pd.Series({"teasers, more stories": 5}), "baseline": pd.Series({"teasers, more stories": 7, "hidden copies": 4})}
    charged["ours, no article end"] = pd.Series({"teasers, more stories": 6, "comments": 2})
    monkeypatch.setattr(
        evaluate, "false_kept_shingles", lambda model, pages, article_end=True: charged[model + ", no article end" * (not article_end)]
    )
    section = evaluate.false_kept_section("ours", [], baseline="baseline")
    assert "| hidden copies | 0 | 0 | 4 |" in section and "| comments | 0 | 2 | 0 |" in section and "| all | 5 | 8 | 11 |" in section
