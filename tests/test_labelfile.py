"""boilerline.labelfile: the `label<TAB>line` file of a page, its name and its checks."""

from pathlib import Path

import pytest

from boilerline.labelfile import LabelFileError, first_difference, html_page_of, labels_file_of, labels_file_text, parse_label_rows


@pytest.mark.parametrize(
    "page, labels",
    [
        ("shop.html", "shop.tsv"),
        ("shop.htm", "shop.tsv"),
        ("shop.html.gz", "shop.tsv"),
        ("notes.txt", "notes.tsv"),
        ("notes.txt.gz", "notes.tsv"),
        ("shop.v2.html", "shop.v2.tsv"),
        ("README", "README.tsv"),
    ],
)
def test_a_pages_labels_file_is_the_name_training_reads(tmp_path, page, labels):
    assert labels_file_of(tmp_path / page) == tmp_path / labels


def test_an_existing_labels_file_named_after_the_whole_page_name_is_kept(tmp_path):
    (tmp_path / "shop.html").write_text("<p>x</p>")
    (tmp_path / "shop.html.tsv").write_text("content\tx\n")
    assert labels_file_of(tmp_path / "shop.html") == tmp_path / "shop.html.tsv"
    assert html_page_of(tmp_path / "shop.html.tsv") == tmp_path / "shop.html"
    (tmp_path / "shop.tsv").write_text("content\tx\n")
    assert labels_file_of(tmp_path / "shop.html") == tmp_path / "shop.tsv"
    with pytest.raises(LabelFileError, match="both label shop.html"):
        html_page_of(tmp_path / "shop.html.tsv")


def test_a_labels_file_alone_is_a_plain_text_page(tmp_path):
    (tmp_path / "notes.tsv").write_text("content\tx\n")
    assert html_page_of(tmp_path / "notes.tsv") is None


def test_written_labels_read_back_with_their_paragraph_breaks():
    texts, labels, breaks = ["Menu", "First paragraph.", "    indented code", "Footer"], [0, 1, 1, 0], [False, True, False, True]
    written = labels_file_text(texts, labels, breaks)
    assert written == "boilerplate\tMenu\n\ncontent\tFirst paragraph.\ncontent\t    indented code\n\nboilerplate\tFooter\n"
    rows = parse_label_rows(written, "page.tsv")
    assert [(line.number, line.label, line.text) for line in rows.lines] == [
        (1, 0, "Menu"),
        (3, 1, "First paragraph."),
        (4, 1, "    indented code"),
        (6, 0, "Footer"),
    ]
    assert rows.texts == ["Menu", "", "First paragraph.", "    indented code", "", "Footer"]


def test_the_same_lines_have_no_difference_and_a_stale_file_says_where():
    rows = parse_label_rows("0\tMenu\n1\tStory\n", "p.tsv").lines
    assert first_difference(rows, ["Menu", "Story"], "p.tsv") is None
    assert first_difference(rows, ["Menu"], "p.tsv").startswith("p.tsv:2: the labelled line 'Story' is not on the page")
    assert first_difference([], ["Menu"], "p.tsv").startswith("p.tsv:1: the page's line 1, 'Menu', is missing")


def test_labels_of_other_lengths_or_values_are_refused():
    with pytest.raises(ValueError):
        labels_file_text(["a", "b"], [1])
    with pytest.raises(LabelFileError, match=r"p\.tsv:1: expected `label<TAB>text`"):
        parse_label_rows("maybe\tx\n", str(Path("p.tsv")))
