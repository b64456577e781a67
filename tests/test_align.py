"""data.align: line labels derived from gold main text, on hand-made pages."""

from data.align import label_lines

ARTICLE = "The river rose four metres overnight and flooded the lower town."


def test_paragraphs_are_content_and_menus_are_not():
    lines = ["Home", "News", ARTICLE, "Share this article", "Privacy policy"]

    assert label_lines(lines, ARTICLE) == [0, 0, 1, 0, 0]


def test_an_article_printed_twice_is_content_once():
    lines = [ARTICLE, "Related stories", ARTICLE]

    assert label_lines(lines, ARTICLE) == [1, 0, 0]


def test_table_cells_of_a_tab_separated_gold_table_are_content():
    gold = "Sizes we stock for every model\nsize\tprice\nM\t10 USD"
    lines = ["Menu", "Sizes we stock for every model", "size", "price", "M", "10 USD", "Cart"]

    assert label_lines(lines, gold) == [0, 1, 1, 1, 1, 1, 0]


def test_table_cells_of_a_gold_row_written_as_words_are_content():
    # The gold gives each table row as one line of words; the page has one line per cell.
    gold = "Every attribute of the feed and its type\nname String Required\nsize Integer Optional"
    lines = [
        "Optional",
        "Every attribute of the feed and its type",
        "name",
        "String",
        "Required",
        "size",
        "Integer",
        "Optional",
        "Contact us",
    ]

    labels = label_lines(lines, gold)

    # The first "Optional" is a word of the gold text too, but outside the run of gold words.
    assert labels == [0, 1, 1, 1, 1, 1, 1, 1, 0]


def test_a_short_line_in_a_run_is_not_content_once_its_words_are_taken():
    gold = "the river rose four metres overnight"
    # The page's longest run of gold words is its last two lines; its first line already took
    # the gold's only "the" and "river".
    lines = ["The river rose four metres", "the river", "rose four metres overnight"]

    assert label_lines(lines, gold) == [1, 0, 1]


def test_empty_pages_and_empty_gold_label_nothing():
    assert label_lines([], "Some gold text") == []
    assert label_lines(["Home", "A paragraph of several words here"], "") == [0, 0]
