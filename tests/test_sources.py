"""data.sources on tiny fixture datasets (tests/fixtures/sources/), gzipped into tmp_path."""

import gzip
import re
import shutil
from pathlib import Path

import datasets
import pytest

from boilerline.labelfile import LabelFileError
from boilerline.segment import segment_text
from data.sources import (
    DatasetMissing,
    Page,
    read_goose,
    read_gzip_html,
    read_hf_lines,
    read_labelled_folder,
    read_labelled_text,
    read_newspaper,
    read_scrapinghub,
    read_wcxb,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def gzipped_copy(name: str, tmp_path: Path) -> Path:
    """The fixture dataset `name` as the benchmarks ship it: every html/*.html gzipped."""
    folder = shutil.copytree(FIXTURES / name, tmp_path / name)
    for html in (folder / "html").glob("*.html"):
        html.with_suffix(".html.gz").write_bytes(gzip.compress(html.read_bytes()))
        html.unlink()
    return folder


# --- WCXB ---------------------------------------------------------------------------------------


def test_read_wcxb_reads_every_field(tmp_path):
    pages = read_wcxb(gzipped_copy("wcxb-dev", tmp_path))

    assert [page.page_id for page in pages] == ["0001", "0002"]
    tea = pages[0]
    assert tea.source == "wcxb"
    assert "<h1>How to brew tea</h1>" in tea.html
    assert tea.gold.startswith("How to brew tea\n\nWarm the pot first")
    assert tea.page_type == "article"
    assert tea.url == "https://www.leafblog.example/brew-tea"
    assert tea.domain == "leafblog.example"
    assert tea.must_have == ["Warm the pot first"]
    assert tea.must_not_have == ["Subscribe to our newsletter"]
    assert tea.labels is None and tea.text is None


def test_a_wcxb_page_without_gold_or_page_type_is_read_with_none_and_unknown(tmp_path):
    shell = read_wcxb(gzipped_copy("wcxb-dev", tmp_path))[1]
    assert shell.gold is None  # as in dev pages 4802 and 4893
    assert shell.page_type == "unknown"
    assert shell.must_have == [] and shell.must_not_have == []


def test_a_missing_wcxb_folder_says_what_to_run(tmp_path):
    with pytest.raises(DatasetMissing, match=r"WCXB dataset not found: .* lacks html, ground-truth\. Run `make data`"):
        read_wcxb(tmp_path / "nowhere")


def test_a_wcxb_folder_without_ground_truth_says_which_part_is_missing(tmp_path):
    folder = gzipped_copy("wcxb-dev", tmp_path)
    shutil.rmtree(folder / "ground-truth")
    with pytest.raises(DatasetMissing, match="lacks ground-truth"):
        read_wcxb(folder)


def test_an_empty_wcxb_folder_is_missing(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "ground-truth").mkdir()
    with pytest.raises(DatasetMissing, match="is empty; run `make data`"):
        read_wcxb(tmp_path)


def test_a_wcxb_page_without_its_html_is_an_incomplete_dataset(tmp_path):
    folder = gzipped_copy("wcxb-dev", tmp_path)
    (folder / "html" / "0002.html.gz").unlink()
    with pytest.raises(DatasetMissing, match="incomplete: 0002.html.gz is missing"):
        read_wcxb(folder)


@pytest.mark.parametrize(
    "content",
    [b"<html><body>not compressed</body></html>", gzip.compress(b"<html>" * 1000)[:40], b""],
    ids=["plain", "truncated", "empty"],
)
def test_a_html_gz_that_is_not_gzip_is_a_clear_error(tmp_path, content):
    folder = gzipped_copy("wcxb-dev", tmp_path)
    broken = folder / "html" / "0001.html.gz"
    broken.write_bytes(content)
    with pytest.raises(DatasetMissing, match=r"0001\.html\.gz is not a readable gzip file .*run `make data` again"):
        read_wcxb(folder)


def test_read_gzip_html_replaces_invalid_utf8(tmp_path):
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(b"<p>caf\xc3\xa9 \xff</p>"))
    assert read_gzip_html(path) == "<p>caf\u00e9 \ufffd</p>"


# --- ScrapingHub --------------------------------------------------------------------------------


def test_read_scrapinghub_reads_pages_in_id_order(tmp_path):
    pages = read_scrapinghub(gzipped_copy("scrapinghub", tmp_path))

    assert [page.page_id for page in pages] == ["0a1b2c", "ff9e8d"]
    assert {page.source for page in pages} == {"scrapinghub"}
    assert {page.page_type for page in pages} == {"article"}
    cafe = pages[1]
    assert "Caf\u00e9 reopens" in cafe.html
    assert cafe.gold == "The caf\u00e9 on Main Street reopened after a year."
    assert cafe.domain == "localpaper.example"


def test_a_scrapinghub_page_without_its_html_is_an_incomplete_dataset(tmp_path):
    folder = gzipped_copy("scrapinghub", tmp_path)
    (folder / "html" / "ff9e8d.html.gz").unlink()
    with pytest.raises(DatasetMissing, match="incomplete: ff9e8d.html.gz is missing; run `make data`"):
        read_scrapinghub(folder)


def test_a_missing_scrapinghub_folder_says_what_to_run(tmp_path):
    with pytest.raises(DatasetMissing, match=r"ScrapingHub dataset not found: .*DATA_MIRROR"):
        read_scrapinghub(tmp_path / "nowhere")


# --- Goose's test pages ------------------------------------------------------------------------


def test_read_goose_reads_the_expected_start_as_a_must_have_snippet_without_gold():
    pages = read_goose(FIXTURES / "goose")

    assert [page.page_id for page in pages] == ["test_harbour"]  # test_title_only expects no text
    harbour = pages[0]
    assert harbour.source == "goose" and harbour.page_type == "article"
    assert harbour.gold is None and harbour.labels is None
    assert harbour.must_have == ["The harbour reopened on Monday after three weeks of repairs. Fishing"]
    assert harbour.domain == "portnews.example"
    assert "Fishing boats" in harbour.html


def test_a_goose_page_without_its_html_is_an_incomplete_dataset(tmp_path):
    folder = shutil.copytree(FIXTURES / "goose", tmp_path / "goose")
    (folder / "test_harbour.html").unlink()
    with pytest.raises(DatasetMissing, match="incomplete: test_harbour.html is missing"):
        read_goose(folder)


def test_a_folder_without_goose_pages_expecting_text_is_missing(tmp_path):
    folder = shutil.copytree(FIXTURES / "goose", tmp_path / "goose")
    (folder / "test_harbour.json").unlink()
    with pytest.raises(DatasetMissing, match="no Goose test pages"):
        read_goose(folder)


# --- newspaper4k's test pages ---------------------------------------------------------------------


def test_read_newspaper_pairs_each_page_with_its_text_and_skips_texts_without_a_page():
    pages = read_newspaper(FIXTURES / "newspaper")

    assert [page.page_id for page in pages] == ["ferry_001", "market_002"]  # cnn_summary has no page
    ferry, market = pages
    assert ferry.source == "newspaper" and ferry.page_type == "article"
    assert ferry.gold.startswith("The island ferry will sail") and "evening crossing" in ferry.gold
    assert "Share this story" in ferry.html
    assert ferry.domain == "islandnews.example"
    assert market.gold == "Früh am Samstag öffnet der Markt wieder.\n"
    assert market.domain == "newspaper:market_002"  # no metadata, so no URL


def test_a_folder_without_newspaper_pages_is_missing(tmp_path):
    with pytest.raises(DatasetMissing, match="no newspaper4k test pages"):
        read_newspaper(tmp_path)


def test_a_page_without_url_has_a_domain_of_its_own():
    assert Page(source="labelled", page_id="p1").domain == "labelled:p1"


# --- Hand-labelled pages ------------------------------------------------------------------------


def test_read_labelled_text_gives_text_and_one_label_per_non_blank_line():
    page = read_labelled_text(FIXTURES / "labelled" / "flood.tsv")

    assert page.source == "labelled" and page.page_id == "flood" and page.html is None
    assert page.text.splitlines() == [
        "Home | News | Sport",
        "",
        "The river rose two metres overnight.",
        "Residents were moved to the school hall.",
        "",
        "Share this article",
        "Accept cookies\tSettings",  # only the first tab separates the label
    ]
    assert page.labels == [0, 1, 1, 0, 0]


def test_labelled_text_lines_match_the_lines_segment_text_finds():
    page = read_labelled_text(FIXTURES / "labelled" / "flood.tsv")
    frame = segment_text(page.text)
    assert len(frame) == len(page.labels)
    assert frame["blank_before"].tolist() == [False, True, False, True, False]


def test_a_label_on_a_blank_line_labels_nothing(tmp_path):
    path = tmp_path / "blank.tsv"
    path.write_text("1\tFirst.\n0\t   \n1\tSecond.\n", encoding="utf-8")
    page = read_labelled_text(path)
    assert page.labels == [1, 1]
    assert len(segment_text(page.text)) == len(page.labels)


def test_a_malformed_labelled_file_names_the_file_and_line():
    with pytest.raises(ValueError, match=r"labelled-malformed\.tsv:3: expected `label<TAB>text`.*'this line has no label'"):
        read_labelled_text(FIXTURES / "labelled-malformed.tsv")


def test_an_unknown_label_is_refused(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("1\tok\nmaybe\tnot a label\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:2:"):
        read_labelled_text(path)


def test_read_labelled_folder_reads_every_tsv_and_refuses_an_empty_folder(tmp_path):
    assert [page.page_id for page in read_labelled_folder(FIXTURES / "labelled")] == ["flood"]
    with pytest.raises(DatasetMissing, match=r"no hand-labelled pages \(\*\.tsv\)"):
        read_labelled_folder(tmp_path)


LABELLED_HTML = (
    "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><h1>A flood in the valley</h1>"
    "<p>The river rose by two metres overnight, and the lower town was evacuated before dawn.</p>"
    "<p>Share this story</p><footer>© 2024 The Valley Times</footer></body></html>"
)


def test_a_labelled_page_beside_its_html_is_an_html_page_whose_gold_is_its_content_lines(tmp_path):
    from data.build import label_page

    (tmp_path / "flood.html").write_text(LABELLED_HTML, encoding="utf-8")
    rows = [
        ("0", "Home News"),
        ("1", "A flood in the valley"),
        ("1", "The river rose by two metres overnight, and the lower town was evacuated before dawn."),
        ("0", "Share this story"),
        ("0", "© 2024 The Valley Times"),
    ]
    (tmp_path / "flood.tsv").write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    (page,) = read_labelled_folder(tmp_path)
    assert page.html.startswith("<html>") and page.labels == [0, 1, 1, 0, 0]
    assert page.gold == "A flood in the valley\nThe river rose by two metres overnight, and the lower town was evacuated before dawn."
    (tmp_path / "flood.html").rename(tmp_path / "flood.html.gz")
    (tmp_path / "flood.html.gz").write_bytes(gzip.compress(LABELLED_HTML.encode()))
    assert read_labelled_folder(tmp_path) == [page]  # a page saved gzipped, as it came
    lines, _, skipped = label_page(page)
    assert skipped is None
    html = lines[lines["rendering"] == "html"]
    assert html["label"].tolist() == [0, 1, 1, 0, 0] and html["text"].tolist() == [text for _, text in rows]
    # The text renderings are labelled by aligning their lines with the content lines.
    for rendering, group in lines[lines["rendering"] != "html"].groupby("rendering"):
        assert set(group.loc[group["label"] == 1, "text"]) == {rows[1][1], rows[2][1]}, rendering


FLOOD_ROWS = [
    "0\tHome News",
    "1\tA flood in the valley",
    "1\tThe river rose by two metres overnight, and the lower town was evacuated before dawn.",
    "0\tShare this story",
    "0\t© 2024 The Valley Times",
]


def labelled_flood(folder: Path, rows: list[str], name: str = "flood.tsv", html: str = LABELLED_HTML) -> Path:
    (folder / "flood.html").write_text(html, encoding="utf-8")
    (folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder / name


def test_a_changed_line_is_named_with_its_row_and_the_pages_line(tmp_path):
    rows = [*FLOOD_ROWS[:2], "1\tThe river rose.", *FLOOD_ROWS[3:]]
    path = labelled_flood(tmp_path, rows, html=LABELLED_HTML.replace("Share this story", "Share this article"))
    with pytest.raises(LabelFileError) as error:
        read_labelled_text(path)
    assert str(error.value).startswith(
        f"{path}:3: the labelled line 'The river rose.' is not the page's line 3, "
        "'The river rose by two metres overnight, and the lower town w...'; 2 lines differ in all (5 labelled, 5 on the page)"
    )
    assert "label it again (`boilerline label PAGE`)" in str(error.value)


@pytest.mark.parametrize(
    "rows, said",
    [
        (FLOOD_ROWS[:4], ":5: the page's line 5, '© 2024 The Valley Times', is missing from the labels (expected at the end); 1 line"),
        (
            [FLOOD_ROWS[0], *FLOOD_ROWS[2:]],
            ":2: the page's line 2, 'A flood in the valley', is missing from the labels (expected before 'The river rose by",
        ),
        (
            [*FLOOD_ROWS[:4], "0\tSubscribe now", FLOOD_ROWS[4]],
            ":5: the labelled line 'Subscribe now' is not on the page (the page's line 5 is '© 2024 The Valley Times')",
        ),
    ],
    ids=["last line missing", "a line missing", "a line too many"],
)
def test_a_missing_or_extra_line_is_named_with_its_place(tmp_path, rows, said):
    path = labelled_flood(tmp_path, rows)
    with pytest.raises(LabelFileError, match="^" + re.escape(f"{path}{said}")):
        read_labelled_text(path)


def test_labels_of_the_pages_own_lines_are_read_whatever_their_whitespace(tmp_path):
    rows = [row.replace(" ", "  ") for row in FLOOD_ROWS]
    assert read_labelled_text(labelled_flood(tmp_path, rows)).labels == [0, 1, 1, 0, 0]


def test_a_labels_file_named_after_the_whole_page_name_labels_that_page(tmp_path):
    path = labelled_flood(tmp_path, FLOOD_ROWS, name="flood.html.tsv")
    (page,) = read_labelled_folder(tmp_path)
    assert page.page_id == "flood" and page.html == LABELLED_HTML and page.labels == [0, 1, 1, 0, 0]
    (tmp_path / "flood.tsv").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"flood\.html\.tsv and flood\.tsv both label flood\.html: keep one of them"):
        read_labelled_folder(tmp_path)
    (tmp_path / "flood.tsv").unlink()
    (tmp_path / "flood.html").unlink()
    with pytest.raises(LabelFileError, match=r"flood\.html\.tsv labels the HTML page flood\.html, which is not beside it"):
        read_labelled_text(path)


def test_labels_of_a_page_that_cannot_be_read_say_which_page(tmp_path):
    path = labelled_flood(tmp_path, FLOOD_ROWS)
    (tmp_path / "flood.html").unlink()
    (tmp_path / "flood.html.gz").write_bytes(b"\x1f\x8b not gzip")
    with pytest.raises(LabelFileError, match=r"flood\.html\.gz cannot be read as a page: page is gzip bytes"):
        read_labelled_text(path)


# --- Hugging Face datasets ----------------------------------------------------------------------

ROWS = {
    "page_id": ["b", "b", "a", "b", "a", "a"],
    "text": ["Menu", "Story line.", "Only line.", "  ", "", "Footer"],
    "label": [0, 1, 1, 0, 0, 0],
}


def test_read_hf_lines_groups_rows_into_pages_in_first_seen_order(tmp_path):
    datasets.Dataset.from_dict(ROWS).save_to_disk(str(tmp_path / "lines"))

    pages = read_hf_lines(str(tmp_path / "lines"))

    assert [page.page_id for page in pages] == ["b", "a"]
    assert [page.text for page in pages] == ["Menu\nStory line.", "Only line.\nFooter"]
    assert [page.labels for page in pages] == [[0, 1], [1, 0]]  # blank rows are skipped
    assert pages[0].source == f"hf:{tmp_path / 'lines'}"


def test_read_hf_lines_picks_the_split_and_columns_asked_for(tmp_path):
    renamed = {"doc": ROWS["page_id"], "line": ROWS["text"], "is_content": ROWS["label"]}
    train = datasets.Dataset.from_dict(renamed)
    datasets.DatasetDict({"train": train, "test": train.select([2])}).save_to_disk(str(tmp_path / "dict"))

    pages = read_hf_lines(str(tmp_path / "dict"), "line", "is_content", "doc", split="test")
    assert [(page.page_id, page.text, page.labels) for page in pages] == [("a", "Only line.", [1])]


def test_read_hf_lines_names_the_missing_columns(tmp_path):
    datasets.Dataset.from_dict({"text": ["x"], "label": [1]}).save_to_disk(str(tmp_path / "lines"))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['page_id'\]; it has \['text', 'label'\]"):
        read_hf_lines(str(tmp_path / "lines"))


def test_a_folder_that_is_not_a_saved_dataset_is_missing(tmp_path):
    with pytest.raises(DatasetMissing, match="cannot load Hugging Face dataset"):
        read_hf_lines(str(tmp_path))


def test_an_unreachable_hub_dataset_is_missing(monkeypatch):
    def offline(name, *args, **kwargs):
        raise ConnectionError(f"Couldn't reach '{name}' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DatasetMissing, match=r"cannot load Hugging Face dataset 'someone/lines': Couldn't reach"):
        read_hf_lines("someone/lines")
