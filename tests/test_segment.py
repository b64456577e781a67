"""boilerline.segment on small hand-written pages, including the bad input a scraper meets."""

import codecs
import gzip
import random
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import boilerline.segment
import fuzz
from boilerline import settings
from boilerline.decode import PageError, decode_page
from boilerline.segment import (
    AS_WRITTEN,
    COLUMN_TYPES,
    LINE_COLUMNS,
    _collapse_spaces,
    cut_for_scoring,
    html_columns,
    segment_html,
    segment_text,
    text_columns,
)
from data import settings as data_settings

# "Quickly" for a 10 MB page: 0.4-4 s here; the margin is for a loaded two-core CI machine.
QUICK_SECONDS = 15


def texts(page) -> list[str]:
    return segment_html(page)["text"].tolist()


def row(frame, text: str):
    """The one row of `frame` whose text is `text`."""
    rows = frame[frame["text"] == text]
    assert len(rows) == 1, f"{text!r} is in {len(rows)} rows of {frame['text'].tolist()}"
    return rows.iloc[0]


# --- Empty and bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["", b"", "   \n\t ", b"\n\r\n"])
@pytest.mark.parametrize("segment", [segment_html, segment_text])
def test_an_empty_page_gives_no_lines_but_every_column(segment, page):
    frame = segment(page)
    assert len(frame) == 0
    assert list(frame.columns) == LINE_COLUMNS


@pytest.mark.parametrize("page", ["", "<p>one</p><p>two <a href='/'>link</a></p>", "one\n\ntwo"])
@pytest.mark.parametrize("segment", [segment_html, segment_text])
def test_every_column_has_its_dtype_even_without_lines(segment, page):
    # Text columns are object, not pandas' str dtype, which a plain list of str would become.
    frame = segment(page)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {name: str(np.dtype(kind)) for name, kind in COLUMN_TYPES.items()}


def test_an_html_page_without_visible_text_gives_no_lines():
    assert texts(b"<html><head><title>t</title></head><body><script>x()</script> </body></html>") == []


def test_binary_junk_is_refused_as_not_text_and_a_line_of_it_in_a_page_is_dropped():
    junk = random.Random(0).randbytes(50_000) + b"\x00" * 100
    for segment in (segment_html, segment_text):
        with pytest.raises(PageError, match=r"page is not text: \d+% of its characters are control characters"):
            segment(junk)
    line = b"\x01\x02\x03\x04\xff" * 12
    words = "A paragraph of words, long enough to outweigh a line of junk. " * 3
    page = f"<p>{words}</p><p>".encode() + line + f"</p><p>{words}</p>".encode()
    assert texts(page) == [words.strip()] * 2


def test_a_long_line_of_junk_is_counted_without_a_string_per_character():
    # Found by make fuzz: 7.4 MB read in the "replacement" charset (one line of U+FFFD) peaked at +691 MB.
    tracemalloc.start()
    try:
        with pytest.raises(PageError, match="page is not text: 100%"):
            boilerline.segment.html_or_text_columns(b"x" * 2_000_000, "replacement")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000  # the text (8 MB as UCS-4) and a copy or two; 179 MB when each U+FFFD was a string of its own


@pytest.mark.parametrize(
    "head, what",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n<</Type /Catalog>>", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a zip archive"),
        (b"index.html" + b"\x00" * 247 + b"ustar\x0000", "a tar archive"),
        (b"WARC/1.0\r\nWARC-Type: response\r\n\r\n<html><p>a page inside</p></html>", "a WARC file"),
    ],
)
def test_a_file_of_another_format_is_refused_naming_what_it_is(head, what):
    for page in (head + random.Random(0).randbytes(2_000), head.decode("latin-1")):
        with pytest.raises(PageError, match=f"page is {what}.*, not text or HTML"):
            decode_page(page)
    with pytest.raises(PageError, match=f"page is {what}"):
        segment_html(gzip.compress(head))  # gunzipped first, as a page saved compressed is


def test_gzip_data_compressed_twice_is_refused():
    with pytest.raises(PageError, match="page is gzip data still compressed, not text or HTML"):
        segment_html(gzip.compress(gzip.compress(b"<p>compressed twice</p>")))


def test_invalid_utf8_is_replaced_and_the_valid_text_kept():
    # More valid UTF-8 characters than broken bytes: UTF-8, whose reading spoils fewer of them.
    assert texts(b"<p>caf\xc3 na\xefve \xff ok \xc3\xa9 \xc3\xa0 \xc3\xbc \xe2\x82\xac</p>") == [
        "caf\ufffd na\ufffdve \ufffd ok \u00e9 \u00e0 \u00fc \u20ac"
    ]
    # More broken bytes than valid characters: windows-1252, which spoils the one valid character.
    assert texts(b"<p>caf\xe9 na\xefve \xff ok \xc3\xa9</p>") == ["caf\u00e9 na\u00efve \u00ff ok \u00c3\u00a9"]


def test_decode_page_drops_nul_and_leaves_str_as_it_is():
    assert decode_page("a\x00b") == "ab"
    assert decode_page('<meta charset="windows-1252"><p>\u00e9</p>') == '<meta charset="windows-1252"><p>\u00e9</p>'
    assert decode_page(bytearray(b"abc")) == decode_page(memoryview(b"abc")) == "abc"


RUSSIAN = "<p>Жители города обсуждают новые парки.</p>"


def test_the_charset_a_page_was_served_with_comes_after_its_bom_and_before_its_meta():
    served = RUSSIAN.encode("cp1251")
    assert decode_page(served, "windows-1251") == decode_page(served, " CP1251 ") == RUSSIAN
    assert decode_page(b'<meta charset="utf-8">' + served, "windows-1251") == '<meta charset="utf-8">' + RUSSIAN
    assert decode_page(codecs.BOM_UTF8 + RUSSIAN.encode(), "windows-1251") == RUSSIAN
    # Without it, undeclared bytes that are not UTF-8 are read as windows-1252: mojibake.
    assert "Ж" not in decode_page(served)
    # Served as UTF-16 is believed; a <meta> that says UTF-16 cannot be, as it was read as ASCII.
    assert decode_page(RUSSIAN.encode("utf-16-le"), "utf-16le") == RUSSIAN
    assert decode_page(b'<meta charset="utf-16">' + RUSSIAN.encode()) == '<meta charset="utf-16">' + RUSSIAN
    # latin-1 and ASCII mean windows-1252, served or declared, as browsers read them.
    assert decode_page(b"<p>\x93quoted\x94</p>", "iso-8859-1") == "<p>\u201cquoted\u201d</p>"


def test_an_unknown_served_charset_is_ignored_and_a_str_page_keeps_its_text():
    assert decode_page(RUSSIAN.encode(), "utf8mb4") == decode_page(RUSSIAN.encode(), "none") == RUSSIAN
    assert decode_page(b'<meta charset="windows-1251">' + RUSSIAN.encode("cp1251"), "bogus").endswith(RUSSIAN)
    assert decode_page(RUSSIAN, "windows-1251") == RUSSIAN
    # Python's codecs that are no web encodings are unknown too, served or declared: rot13's
    # and unicode_escape's <meta> had raised LookupError, or read the page's \u escapes.
    for label in ("rot13", "utf-7", "unicode_escape", "idna", "undefined", "utf-32", "utf-8\x00"):
        assert decode_page(RUSSIAN.encode(), label) == RUSSIAN
        assert decode_page(f'<meta charset="{label}">{RUSSIAN}'.encode()).endswith(RUSSIAN), label
    with pytest.raises(TypeError, match="encoding must be a charset's name"):
        decode_page(b"<p>x</p>", b"utf-8")


def test_lone_surrogates_in_a_plain_text_page_become_replacement_characters():
    assert segment_text("caf\u00e9 \ud800 ok \ud83d\ude00\nBroken \udcff text.")["text"].tolist() == [
        "caf\u00e9 \ufffd ok \U0001f600",
        "Broken \ufffd text.",
    ]


def test_decode_page_refuses_what_is_not_a_page():
    with pytest.raises(TypeError, match="must be str or bytes, not int"):
        decode_page(42)


@pytest.mark.parametrize("page", ["x" * 101, b"x" * 101])
def test_a_page_over_the_size_limit_is_a_page_error(monkeypatch, page):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_BYTES", str(100))
    with pytest.raises(PageError, match="over the 100 limit"):
        segment_html(page)
    with pytest.raises(PageError):
        segment_text(page)


def test_a_page_of_more_elements_than_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_ELEMENTS", str(100))
    assert len(segment_html("<p>a</p>" * 99)) == 99  # counted in the page as written: the <html>, <body> the parser adds do not count
    with pytest.raises(PageError, match="about 101 elements, over the 100 limit \\(BOILERLINE_MAX_PAGE_ELEMENTS\\)"):
        segment_html("<p>a</p>" * 101)
    assert len(segment_text("<p>a</p>\n" * 101)) == 101  # plain text has no elements


@pytest.mark.parametrize(
    "page",
    [
        "<pre>" + "line\n" * 101 + "</pre>",  # lines of one element
        "a<br>" * 101,
    ],
)
def test_a_page_of_more_lines_than_the_limit_is_refused(monkeypatch, page):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(100))
    with pytest.raises(PageError, match="over 100 lines, the limit \\(BOILERLINE_MAX_PAGE_LINES\\)"):
        segment_html(page)
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(101))
    assert len(segment_html(page)) == 101


def test_a_text_page_of_more_lines_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(100))
    assert len(segment_text("line\n\n\n" * 100)) == 100  # blank lines are not lines
    with pytest.raises(PageError, match="over 100 lines"):
        segment_text("line\r" * 101)


def test_a_text_page_is_counted_for_the_line_limit_as_its_lines_are(monkeypatch):
    """A page is refused before its lines are made only when it has too many of them:
    lines of spaces, tabs, no-break spaces or form feeds are blank, as they are when made."""
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(100))
    blank_looking = " \t \n\u00a0\n\x0c\n\n" * 300
    assert len(segment_text(blank_looking + "  a line of text\n" * 100 + blank_looking)) == 100
    with pytest.raises(PageError, match="over 100 lines"):
        segment_text(blank_looking + "x\n" * 101)
    with pytest.raises(PageError, match="over 100 lines"):  # a form feed ends a line too: 120 lines
        segment_text("one\x0ctwo\n" * 60)


def test_a_pre_of_more_lines_than_the_limit_is_refused_before_its_lines_are_made(monkeypatch):
    made = []
    monkeypatch.setattr("boilerline.segment._collapse_spaces", lambda text: made.append(text) or text)
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(100))
    with pytest.raises(PageError, match="over 100 lines"):
        segment_html("<pre>" + "line of code\n" * 101 + "</pre>")
    assert made == []
    monkeypatch.undo()
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(100))
    assert len(segment_html("<pre>" + "line of code\n\n \n\x0c" * 100 + "</pre>")) == 100  # only "\n" ends a line of a <pre>


@pytest.mark.parametrize("end", ["\n", "\r", "\x0c", "\u2028", "\x85", "\r\n"])
def test_a_text_page_is_refused_before_its_lines_are_made_whatever_ends_them(monkeypatch, end):
    made = []
    monkeypatch.setattr("boilerline.segment._collapse_spaces", lambda text: made.append(text) or text)
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_LINES", str(100))
    with pytest.raises(PageError, match="over 100 lines"):
        segment_text(f"a line{end}" * 101)
    assert made == []


@pytest.mark.parametrize(
    "page, segment, lines",
    [
        ("\n" * 750_000 + " " * 60_000, segment_text, 0),
        ("<pre>code" + "\n" * 750_001 + " " * 60_000 + "</pre>", segment_html, 1),
        ("\n" * 750_000 + " " * 60_000 + "\ttext\n" * 10, segment_text, 10),
    ],
)
def test_a_long_whitespace_line_among_as_many_line_breaks_as_the_limit_is_counted_quickly(page, segment, lines):
    # The count of lines once rescanned a whitespace-only line from each of its characters.
    started = time.perf_counter()
    assert len(segment(page)) == lines
    assert time.perf_counter() - started < 2


def test_a_page_of_elements_nested_deeper_than_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_NESTING", str(50))
    monkeypatch.setattr("boilerline.segment.LexborHTMLParser", None)  # never reached
    with pytest.raises(PageError, match="nests elements 51 deep, over the 50 limit \\(BOILERLINE_MAX_PAGE_NESTING\\)"):
        segment_html("<div>" * 25 + "<SECTION class=a>" * 26 + "text")
    monkeypatch.undo()
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_NESTING", str(50))
    # Closed elements, end tags with nothing open, and deep <span>s (cheap to parse) do not count.
    assert len(segment_html("</div>" * 60 + "<div>a</div>" * 60 + "<span>" * 60 + "<div>" * 50 + "deep")) == 61


@pytest.mark.parametrize(
    "page",
    [
        "<span>" * 100_000 + "</i>" * 20_000,  # each </i> walks all the <span>s and closes nothing
        "<div>" + "<x-tag>" * 50_000 + "</p>" * 50_000,
    ],
)
def test_a_page_whose_end_tags_would_walk_too_many_open_elements_is_refused_before_parsing(monkeypatch, page):
    monkeypatch.setattr("boilerline.segment.LexborHTMLParser", None)  # never reached
    with pytest.raises(PageError, match=r"end tags would make its parser walk .* \(BOILERLINE_MAX_PAGE_END_TAG_WALK\)"):
        segment_html(page)


def test_end_tags_are_counted_as_far_as_the_parser_walks_for_them(monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_END_TAG_WALK", str(1_000))
    # Closing the innermost element walks nothing; a block stops the walk of a stray end tag.
    assert len(segment_html("<span>" * 2_000 + "deep" + "</span>" * 2_000)) == 1
    assert len(segment_html("<span>" * 2_000 + "<div>deep" + "</i>" * 2_000)) == 1
    with pytest.raises(PageError, match="over the 1,000 limit"):
        segment_html("<span>" * 2_000 + "deep" + "</i>" * 2)


FORMATTING = "<b><i><u><s><em><strong><small><big><code><tt><font>"


@pytest.mark.parametrize(
    "page",
    [
        (FORMATTING + "<nobr>") * 62_000,  # each <nobr> reopens the others one level deeper
        "<p>" + FORMATTING * 3 + "<p>x" * 200_000,  # 33 open formatting elements copied into each paragraph
        "<p>" + "".join(f"<b id={number}>" for number in range(200)) + "<p>x" * 4_000,  # 200 unlike ones, into each
    ],
)
def test_a_page_whose_parser_would_copy_its_open_formatting_elements_past_the_limit_is_refused_before_parsing(monkeypatch, page):
    monkeypatch.setattr("boilerline.segment.LexborHTMLParser", None)  # never reached
    with pytest.raises(PageError, match=r"with the copies its parser makes of the formatting elements .* \(BOILERLINE_MAX_PAGE_ELEMENTS\)"):
        segment_html(page)


def test_formatting_elements_closed_or_left_open_alike_are_counted_as_the_parser_copies_them(monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_ELEMENTS", str(2_000))
    assert len(segment_html("<p><b>bold</b> and <a href=x>a link</a></p>" * 300)) == 300  # closed where they open
    with pytest.raises(PageError, match="formatting elements"):
        segment_html("<p><b class=x>left open" * 500)  # up to 3 copies of it in each paragraph
    monkeypatch.delenv("BOILERLINE_MAX_PAGE_ELEMENTS")
    # The parser keeps at most 3 of the same start tag on its list: old pages that leave a <font>
    # open in every paragraph are parsed.
    assert len(segment_html("<p><font face=arial>paragraph" * 50_000)) == 50_000


def test_a_page_repeating_long_class_names_in_every_line_keeps_its_names_within_a_budget():
    # Each line's attrs repeat its ancestors' classes, which had made a copy of them per line.
    ancestors = "".join(f'<div class="{" ".join(f"level{level}-name{k}" for k in range(4_000))}">' for level in range(7))
    page = ancestors + "".join(f'<p class="p{n}">paragraph {n}</p>' for n in range(1_000)) + "</div>" * 7
    frame = segment_html(page)
    assert len(frame) == 1_000 and frame["text"].iloc[-1] == "paragraph 999"
    assert frame["attrs"].iloc[0].startswith("level0-name0 ") and frame["attrs"].iloc[0].endswith(" p0")
    assert frame["attrs"].iloc[-1] == "" and frame["path"].iloc[-1] == ""  # past the budget
    made = sum(len(name) for column in ("path", "attrs", "roles") for name in frame[column].unique())
    one_line = len(ancestors) + 100
    assert made <= boilerline.segment.NAME_CHARS_PER_PAGE_CHAR * len(page) + boilerline.segment.NAME_CHARS_PER_PAGE + one_line


# --- Encodings --------------------------------------------------------------------------------


def declaring(charset: str, body: str) -> str:
    return f'<html><head><meta charset="{charset}"></head><body><p>{body}</p></body></html>'


@pytest.mark.parametrize(
    "charset, body",
    [
        ("windows-1252", "\u201cCaf\u00e9\u201d \u2013 5 \u20ac"),
        ("shift_jis", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"),
        ("iso-8859-15", "\u20ac and \u0153uvre"),
        ("UTF-8", "na\u00efve \u65e5\u672c"),
    ],
)
def test_a_page_in_its_declared_charset_comes_out_right(charset, body):
    assert texts(declaring(charset, body).encode(charset)) == [body]


def test_a_declared_latin1_page_is_read_as_windows_1252_like_browsers_do():
    # Such pages hold 0x93/0x94 curly quotes and 0x80 euro signs, which latin-1 maps to controls.
    page = declaring("iso-8859-1", "\u201cGr\u00fc\u00dfe\u201d 5 \u20ac").encode("cp1252")
    assert texts(page) == ["\u201cGr\u00fc\u00dfe\u201d 5 \u20ac"]
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>Gr\xfc\xdfe</p>'
    assert texts(http_equiv) == ["Gr\u00fc\u00dfe"]


@pytest.mark.parametrize(
    "bom, encoding",
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF8, "utf-8")],
)
def test_a_byte_order_mark_decides_the_encoding(bom, encoding):
    page = bom + "<html><body><p>\u00dcn\u00efc\u00f6d\u00e9 \u65e5\u672c</p></body></html>".encode(encoding)
    assert texts(page) == ["\u00dcn\u00efc\u00f6d\u00e9 \u65e5\u672c"]


def test_a_utf16_declaration_in_an_ascii_readable_page_means_utf8():
    assert texts(declaring("utf-16", "caf\u00e9").encode("utf-8")) == ["caf\u00e9"]


def test_an_unknown_charset_falls_back_to_utf8():
    assert texts(declaring("no-such-charset", "caf\u00e9").encode("utf-8")) == ["caf\u00e9"]
    assert texts(declaring("no-such-charset", "caf\u00e9").encode("cp1252")) == ["caf\u00e9"]


def test_undeclared_bytes_that_are_not_utf8_are_read_as_windows_1252():
    body = "\u201cGr\u00fc\u00dfe\u201d, caf\u00e9 \u2013 5 \u20ac"
    assert texts(f"<p>{body}</p>".encode("cp1252")) == [body]
    assert segment_text(f"{body}\nna\u00efve".encode("cp1252"))["text"].tolist() == [body, "na\u00efve"]


def test_undeclared_utf8_with_a_broken_byte_stays_utf8():
    page = "<p>caf\u00e9 na\u00efve \u65e5\u672c</p>".encode("utf-8").replace(b"</p>", b" \xff</p>")
    assert texts(page) == ["caf\u00e9 na\u00efve \u65e5\u672c \ufffd"]


# --- Size and depth ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page, words",
    [
        ("<html><body><p>" + "word " * 2_000_000 + "</p></body></html>", ["word"] * 2_000_000),  # 10 MB of text, one line
        ("<p>" + "x" * 10_000_000, ["x" * 10_000_000]),  # one 10 MB word, never closed
        ("<p>" + '<a href="#">link</a> ' * 500_000, ["link"] * 500_000),  # 10 MB of inline markup on one line
    ],
)
def test_a_10mb_one_line_page_is_quick_and_whole_and_cut_for_scoring(page, words):
    start = time.perf_counter()
    frame = segment_html(page.encode())
    assert time.perf_counter() - start < QUICK_SECONDS
    assert len(frame) == 1 and frame["text"].iloc[0] == " ".join(words)
    scored = cut_for_scoring(frame, frame["text"].tolist())
    assert scored["text"].str.len().max() == settings.limit("MAX_LINE_CHARS")
    assert (scored["link_chars"] <= scored["text"].str.len()).all()


def test_a_10mb_one_line_text_page_is_quick_and_whole():
    start = time.perf_counter()
    frame = segment_text("word " * 2_000_000)
    assert time.perf_counter() - start < QUICK_SECONDS
    assert frame["text"].tolist() == [("word " * 2_000_000).strip()]


@pytest.mark.parametrize(
    "page",
    [
        (Path(__file__).parent / "fixtures" / "pages" / "article.html").read_bytes(),
        "<html><body><script>" + "x = 1;" * 1_000 + "</script></body></html>",  # no line at all
    ],
)
def test_a_large_page_gives_the_lines_a_small_one_gives(page, monkeypatch):
    # Pages over LARGE_PAGE_CHARS copy their lines' texts and hand freed memory back.
    small = segment_html(page)
    monkeypatch.setattr(boilerline.segment, "LARGE_PAGE_CHARS", 0)
    pd.testing.assert_frame_equal(segment_html(page), small)


def test_lines_moved_out_of_the_walk_a_few_at_a_time_are_those_moved_at_once(monkeypatch):
    # While the tree is alive the walk keeps its lines in parts: the texts of a part joined,
    # the names coded. Parts of 2 lines cut this page's <pre> and its table in the middle.
    page = (Path(__file__).parent / "fixtures" / "pages" / "article.html").read_text() + (
        "<nav class=menu><pre>one <a href=/>link</a>\n\n  two\tcolumns  \nthree</pre></nav>"
        "<table><tr><td>a</td><td class=x>b</td><td hidden>c</td></tr></table>"
    )
    whole, columns = segment_html(page), html_columns(page)
    monkeypatch.setattr(boilerline.segment, "ROWS_PER_PART", 2)
    pd.testing.assert_frame_equal(segment_html(page), whole)
    assert html_columns(page)[AS_WRITTEN] == columns[AS_WRITTEN]
    assert len(whole) > 10 and "two columns" in whole["text"].tolist()


@pytest.mark.parametrize("tag", ["div", "span"])
def test_50000_nested_tags_neither_recurse_nor_lose_the_innermost_text(tag, monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_NESTING", str(50_000))  # the <div>s are refused by default
    page = f"<{tag}>level " * 500 + f"<{tag}>" * 49_500 + "innermost" + f"</{tag}>" * 50_000
    start = time.perf_counter()
    frame = segment_html(page)
    # Nearly all of it is the HTML parser's own time on deep block nesting (3-5 s for divs).
    assert time.perf_counter() - start < settings.limit("PAGE_TIMEOUT")
    assert frame["depth"].max() <= settings.limit("MAX_DEPTH") + 1
    assert frame["text"].str.len().max() <= settings.limit("MAX_LINE_CHARS")
    # Below MAX_DEPTH the elements are flattened into their ancestor's line, text and all.
    assert frame["text"].iloc[-1].endswith("level innermost")


@pytest.mark.parametrize("max_depth", range(2, 9))
def test_at_max_depth_a_flattened_block_is_a_word_of_its_own(max_depth, monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_DEPTH", str(max_depth))
    assert " ".join(texts("<div>" * 4 + "first<div>second<p>third</p></div>fourth")) == "first second third fourth"


# --- Malformed HTML ---------------------------------------------------------------------------


def test_malformed_and_truncated_html_keeps_its_text():
    page = (
        "<div><p>unclosed <b>bold<p>next paragraph</div></span></i>"
        "<table><tr><td>cell a<td>cell b</table>"
        "<p>truncated at the end <a href='x"
    )
    assert texts(page) == ["unclosed bold", "next paragraph", "cell a", "cell b", "truncated at the end"]


def test_a_page_cut_inside_a_comment_or_script_loses_only_that_part():
    assert texts("<p>before</p><!-- never closed <p>hidden") == ["before"]
    assert texts("<p>before</p><script>var x = '<p>not text</p>") == ["before"]


def test_a_fragment_without_html_or_body_is_segmented():
    assert texts("just text") == ["just text"]
    assert texts("<li>one<li>two") == ["one", "two"]


# --- What is text and where lines break ------------------------------------------------------


def test_script_style_and_other_invisible_elements_are_dropped_and_noscript_kept():
    page = (
        "<head><title>title</title><style>p { color: red }</style></head><body>"
        "<script>var a = 1;</script><noscript><p>forum post</p></noscript>"
        "<template><p>template</p></template><svg><text>svg text</text></svg>"
        "<select><option>choice</option></select><!-- a comment --><p>visible</p></body>"
    )
    assert texts(page) == ["forum post", "visible"]


def test_inline_markup_is_merged_into_its_block():
    page = "<p>One <b>bold</b>, <i>italic</i>, <a href='/x'>linked</a> and <span>spanned</span> sentence.</p>"
    assert texts(page) == ["One bold, italic, linked and spanned sentence."]


def test_br_and_block_elements_split_lines():
    page = "<div>first<br>second<br/>third<p>paragraph</p>tail of div<h2>heading</h2><hr>after rule</div>"
    frame = segment_html(page)
    assert frame["text"].tolist() == ["first", "second", "third", "paragraph", "tail of div", "heading", "after rule"]
    assert frame["tag"].tolist() == ["div", "div", "div", "p", "div", "h2", "div"]


def test_whitespace_is_collapsed():
    assert texts("<p>  spread \n\n over\t\tlines\u00a0and nbsp  </p>") == ["spread over lines and nbsp"]


def test_pre_keeps_its_lines():
    frame = segment_html("<pre>def f():\n    return 1\n\n# done</pre><p>after</p>")
    assert frame["text"].tolist() == ["def f():", "return 1", "# done", "after"]
    assert frame["tag"].tolist() == ["pre", "pre", "pre", "p"]


def test_pre_and_plain_text_lines_are_kept_as_written_beside_the_collapsed_text():
    columns = html_columns("<pre>def f():\n    return  1  \n\t# done\nx = 1  # aligned</pre><p>   after  all</p>")
    assert list(columns["text"]) == ["def f():", "return 1", "# done", "x = 1 # aligned", "after all"]
    # "" where the line is its collapsed text; outside a <pre>, whitespace is markup's
    assert list(columns[AS_WRITTEN]) == ["", "    return  1", "\t# done", "x = 1  # aligned", ""]
    columns = text_columns("  one\n\ntwo  \n\u3000three\nName    Price")
    assert list(columns["text"]) == ["one", "two", "three", "Name Price"]
    assert list(columns[AS_WRITTEN]) == ["  one", "", "\u3000three", "Name    Price"]
    assert AS_WRITTEN not in segment_html("<pre>  x</pre>").columns


def test_structure_columns_describe_where_a_line_came_from():
    page = "<body><div id='Main' class='post body'><article><p class='Lead'>text</p></article></div></body>"
    line = row(segment_html(page), "text")
    assert line["tag"] == "p"
    assert line["path"] == "body div article p"
    assert line["attrs"] == "post body main lead"  # ancestors' class and id tokens, lowercased
    assert line["depth"] == 4
    assert line["blank_before"] == False  # noqa: E712 (a numpy bool)


# --- Line features ----------------------------------------------------------------------------


def test_link_chars_counts_the_characters_inside_links():
    frame = segment_html("<p>Read <a href='/a'>more</a> here</p><li><a href='/'>Home</a></li><p>plain</p>")
    assert row(frame, "Read more here")["link_chars"] == 4
    assert row(frame, "Home")["link_chars"] == 4
    assert row(frame, "plain")["link_chars"] == 0


@pytest.mark.parametrize(
    "page",
    [
        "<div hidden><p>text</p></div>",
        "<p aria-hidden='true'>text</p>",
        "<p style='color: red; DISPLAY : none'>text</p>",
        "<div style='visibility:hidden'>text</div>",
        "<span hidden>text</span><p>after</p>",  # inline, closed again before its line ends
        "<p><span aria-hidden='true'>text</span></p>",
    ],
)
def test_text_inside_hidden_elements_is_flagged(page):
    frame = segment_html(page)
    assert row(frame, "text")["hidden"] == True  # noqa: E712
    assert not frame[frame["text"] != "text"]["hidden"].any()


def test_a_line_only_slightly_hidden_is_not_flagged():
    frame = segment_html("<p>A long visible sentence <span class='sr-only' hidden>x</span></p><p>shown</p>")
    assert not frame["hidden"].any()


def test_repeats_and_position():
    frame = segment_html("<p>Share</p><p>Body text</p><p>Share</p><p>End</p><p>Share</p>")
    assert frame["repeats"].tolist() == [2, 0, 2, 0, 2]
    assert frame["position"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert segment_html("<p>only</p>")["position"].tolist() == [0.0]


# --- Plain text -------------------------------------------------------------------------------


def test_segment_text_gives_one_row_per_non_blank_line_and_remembers_paragraph_breaks():
    frame = segment_text("Title\r\n\r\nFirst   paragraph\tline.\nSecond line.\n\n\n  Last.  \n")
    assert frame["text"].tolist() == ["Title", "First paragraph line.", "Second line.", "Last."]
    assert frame["blank_before"].tolist() == [False, True, False, True]
    assert set(frame["tag"]) == {"text"} and set(frame["path"]) == {""} and set(frame["attrs"]) == {""}
    assert frame["position"].tolist() == [0.0, 1 / 3, 2 / 3, 1.0]


def test_a_plain_text_frame_shares_its_constant_columns_and_its_copy_can_be_edited():
    frame = segment_text("One line.\nTwo lines.\nThree lines.")
    assert frame["depth"].to_numpy().strides == (0,)  # one value for all lines, not one per line
    edited = frame.copy()
    edited.loc[1, "depth"] = 5
    edited.loc[2, "tag"] = "p"
    assert edited["depth"].tolist() == [0, 5, 0] and edited["tag"].tolist() == ["text", "text", "p"]
    assert frame["depth"].tolist() == [0, 0, 0] and set(frame["tag"]) == {"text"}


def test_segment_text_counts_repeats_and_decodes_bytes():
    frame = segment_text(b"Cookie notice\nBody\nCookie notice" + b"\n\xff caf\xc3\xa9")
    assert frame["repeats"].tolist() == [1, 0, 1, 0]
    assert frame["text"].iloc[-1] == "\ufffd caf\u00e9"


def test_long_texts_have_their_spaces_collapsed_as_short_ones(monkeypatch):
    rng = random.Random(7)
    pieces = ["a", "bc", " ", "   ", "\n", "\t", "\u00a0", "\u2003", "\x1c", "\u200b", "\u3000", "word"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 300))) for _ in range(5_000)]
    short = [_collapse_spaces(text) for text in texts]
    assert short == [" ".join(text.split()) for text in texts]
    monkeypatch.setattr(boilerline.segment, "LONG_TEXT_CHARS", 0)
    for piece in (1, 2, 3, 7, 50):  # the pieces' ends fall inside words, spaces and runs of spaces
        monkeypatch.setattr(boilerline.segment, "COLLAPSE_PIECE_CHARS", piece)
        assert [_collapse_spaces(text) for text in texts] == short


# --- The main element -----------------------------------------------------------------------------

NEWS_PAGE = """<html><body><div id=page>
<nav><ul><li><a href=/>Home</a></li><li><a href=/world>World news</a></li></ul></nav>
<div class=columns>
  <article><h1>Talks resume</h1>
    <p>The two delegations met on Sunday and agreed to continue the talks next month.</p>
    <p>Officials said the border commission would publish its first report in June.</p>
  </article>
  <aside><h3>Categories</h3><ul><li><a href=/blog>Blog (2)</a></li><li><a href=/d>Diaspora (62)</a></li></ul>
    <p>Subscribe today</p></aside>
</div>
<footer><p>Copyright 2026 Example News</p></footer></div></body></html>"""


def test_lines_of_the_element_holding_most_of_the_text_are_in_main():
    frame = segment_html(NEWS_PAGE)
    in_main = dict(zip(frame["text"], frame["in_main"]))
    assert [text for text, inside in in_main.items() if inside] == [
        "Talks resume",
        "The two delegations met on Sunday and agreed to continue the talks next month.",
        "Officials said the border commission would publish its first report in June.",
    ]


def test_the_main_element_is_the_deepest_holding_more_than_half_of_the_text_outside_links():
    long = "word " * 30
    page = f"<div><section><div class=inner><p>{long}</p><p>{long}</p></div><p>{long}</p></section><p>{long}</p></div>"
    frame = segment_html(page)
    # The section holds 3/4 of the text and .inner 1/2, not more than half: the section is main.
    assert frame["in_main"].tolist() == [True, True, True, False]
    # Link text does not count: the links hold most characters, the paragraph is main.
    page = f"<div><ul><li><a href=/>{long}</a></li><li><a href=/>{long}</a></li></ul><div><p>a short line</p></div></div>"
    frame = segment_html(page)
    assert frame["in_main"].tolist() == [False, False, True]


def test_a_page_of_links_only_or_plain_text_has_no_line_in_main():
    assert not segment_html("<ul><li><a href=/>One</a></li><li><a href=/>Two</a></li></ul>")["in_main"].any()
    assert not segment_text("A paragraph of text.\n\nAnother one.")["in_main"].any()


# --- The article element ---------------------------------------------------------------------
ARTICLE_PAGE = (
    "<html><body><nav><a href='/'>Home</a></nav><div class='page'>"
    "<article><h1>Title</h1><p>The first paragraph of the story, long enough to be prose.</p>"
    "<p>The second paragraph of the story, also long enough to be prose.</p></article>"
    "<div class='comments'>"
    + "".join(f"<p>Comment {n}: a reader writes more words about the story than it holds.</p>" for n in range(2))
    + "</div></div><footer><p>Footer text</p><p>About us, contact, privacy policy, terms of use, careers, advertise with us</p></footer>"
    "</body></html>"
)


def test_the_article_element_leaves_out_a_comment_thread_that_outweighs_it():
    # The thread holds more text than the story, under NAMED_PRUNE_SHARE of the page's.
    lines = segment_html(ARTICLE_PAGE).set_index("text")
    story = ["Title", "The first paragraph of the story, long enough to be prose."]
    comment = "Comment 0: a reader writes more words about the story than it holds."
    assert lines.loc[story, "in_article"].all() and not lines.loc[story, "pruned"].any()
    assert lines.loc[comment, "in_main"] and not lines.loc[comment, "in_article"]  # the heaviest element is the thread
    assert lines.loc[comment, "pruned"] and lines.loc[comment, "after_article"]
    assert lines.loc["Home", "pruned"] and not lines.loc["Home", "after_article"]
    assert lines.loc["Footer text", "pruned"] and lines.loc["Footer text", "after_article"]


def test_class_words_prune_whole_words_only():
    lines = segment_html(
        "<div class='commentary'><p>An essay that comments on the news.</p></div><div class='share-buttons'><p>Share this</p></div>"
    ).set_index("text")
    assert not lines.loc["An essay that comments on the news.", "pruned"] and lines.loc["Share this", "pruned"]


def test_a_named_layout_wrapper_holding_most_of_the_page_prunes_nothing():
    lines = segment_html(
        "<body class='one-sidebar'><div class='widget blog'><p>The whole story of the page, told in a long paragraph.</p>"
        "<p>More of the story, in a second long paragraph of prose.</p></div><div class='sidebar'><p>Side</p></div></body>"
    ).set_index("text")
    assert not lines.loc["The whole story of the page, told in a long paragraph.", "pruned"] and lines.loc["Side", "pruned"]
    assert lines.loc["The whole story of the page, told in a long paragraph.", "in_article"]


def test_plain_text_has_no_article_element():
    lines = segment_text("A line.\nAnother line.")
    assert not lines[["pruned", "in_article", "after_article", "past_article_end"]].to_numpy().any()


# --- The article's end -----------------------------------------------------------------------
STORY = [
    f"Paragraph {n} of the story, which goes on at the length a reporter gives a paragraph, with a clause "
    "or two of detail and a quote from someone who was there: enough, that is, to make the two hundred "
    "and fifty characters of a paragraph of news."
    for n in range(6)
]
CARD = "A teaser for another story on the site, one sentence long, as cards of a grid give them under their headline"
DECLARED = '<head><meta property="og:type" content="article"></head>'


def grid(cards: int) -> str:
    return (
        "<div class='more'>"
        + "".join(f"<div class='card'><h3><a href=/{n}>Story {n}</a></h3><p>{CARD} {n}</p></div>" for n in range(cards))
        + "</div>"
    )


def story_page(head: str = DECLARED, story: str = "".join(f"<p>{text}</p>" for text in STORY), cards: int = 14) -> str:
    return f"<html>{head}<body><main><h1>Title</h1><div class='story'>{story}</div></main>{grid(cards)}</body></html>"


def test_a_declared_article_ends_with_its_story_not_with_a_grid_of_cards_of_more_words():
    lines = segment_html(story_page()).set_index("text")
    assert lines.loc[f"{CARD} 0", "in_main"] and lines.loc[f"{CARD} 0", "in_article"]  # the grid outweighs the story
    assert lines.loc[[f"{CARD} 0", "Story 13"], "past_article_end"].all()
    assert not lines.loc[["Title", *STORY], "past_article_end"].any()


def test_a_page_that_does_not_declare_an_article_is_not_cut():
    assert not segment_html(story_page(head="<head><title>A page</title></head>"))["past_article_end"].any()


def test_a_sibling_of_the_story_with_a_fifth_of_its_score_is_part_of_it():
    second = [f"Paragraph {n} of the second half, with a clause, and another, told at length." for n in range(2)]
    aside = "Short aside text of one line, some words."
    lines = segment_html(
        f"<html>{DECLARED}<body><div><div>"
        + "".join(f"<p>{text}</p>" for text in STORY)
        + "</div><div>"
        + "".join(f"<p>{text}</p>" for text in second)
        + f"</div><div><p>{aside}</p></div></div></body></html>"
    ).set_index("text")
    assert not lines.loc[STORY + second, "past_article_end"].any() and lines.loc[aside, "past_article_end"]


@pytest.mark.parametrize(
    ("head", "declares"),
    [
        ('<meta property="og:type" content="article">', True),
        ('<meta content="article" property="og:type"/>', True),
        ("<meta property=og:type content=article>", True),
        ('<script type="application/ld+json">{"@type": ["NewsArticle"]}</script>', True),
        ('<div itemscope itemtype="https://schema.org/BlogPosting"></div>', True),
        ('<meta property="og:type" content="website"><meta name="section" content="article">', False),
        ('<meta property="og:type" content="articles-list">', False),
        ('<script type="application/ld+json">{"@type": "WebPage"}</script>', False),
        ('<script type="application/ld+json">{"@type": [\n  "ReportageNewsArticle"]}</script>', True),
    ],
)
def test_a_page_declares_itself_an_article_by_og_type_or_schema_org(head, declares):
    assert boilerline.segment.declares_article(f"<html><head>{head}</head><body><p>One line of text.</p></body></html>") == declares


def test_a_story_cut_into_blocks_by_an_advertisement_goes_on_in_blocks_of_its_kind():
    first, second = (
        "<div class='row'><div class='body'>" + "".join(f"<p>{text}</p>" for text in part) + "</div></div>"
        for part in (STORY[:4], STORY[4:])
    )
    ad = "<div class='slot'><p>An advertisement of the page, a line long enough to count as a paragraph.</p></div>"
    lines = segment_html(f"<html>{DECLARED}<body><div class='grid'>{first}{ad}{second}</div>{grid(3)}</body></html>").set_index("text")
    assert not lines.loc[STORY, "past_article_end"].any() and lines.loc[f"{CARD} 0", "past_article_end"]


def test_the_story_is_the_article_element_where_that_holds_the_prose_element():
    # The prose element is the first section's; the list of the second is the story's too.
    first = "<div class='block-a'>" + "".join(f"<p>{text}</p>" for text in STORY[:3]) + "</div>"
    second = "<div class='block-b'><h2>A later section</h2><ul>" + "".join(f"<li>{text}</li>" for text in STORY[3:]) + "</ul></div>"
    lines = segment_html(f"<html>{DECLARED}<body><article>{first}{second}</article>{grid(3)}</body></html>").set_index("text")
    assert not lines.loc[["A later section", *STORY], "past_article_end"].any() and lines.loc[f"{CARD} 0", "past_article_end"]


def test_a_page_whose_prose_is_hidden_until_a_script_shows_it_is_not_cut():
    # Of its visible lines, a blurb in its menu would be the story.
    hidden = "".join(f"<p>{text}</p>" for text in STORY)
    lines = segment_html(
        f"<html>{DECLARED}<body><div class='top'><p>A blurb for one of the site's products, a line long.</p></div>"
        f"<div class='story' style='display:none'>{hidden}</div></body></html>"
    )
    assert not lines["past_article_end"].any()


def test_schema_types_are_found_where_the_regular_expressions_search_finds_them():
    # Each expression is tried only where its literal starts: overlapping and repeated literals,
    # a declaration after many that are not.
    pieces = ["@type", '@type": "', "@type' : [ '", "@typ", "schema.org/", '"', "'", ":", " ", "[", "News", "Article", "BlogPosting", "é"]
    rng = random.Random(8)
    pages = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    pages.append('"@type": "WebPage", ' * 500 + '"@type": "NewsArticle"')
    for literal, pattern in boilerline.segment._SCHEMA_ARTICLES:
        found = [boilerline.segment._matches_at(page, literal, pattern) for page in pages]
        assert found == [pattern.search(page) is not None for page in pages] and 10 < sum(found) < len(pages) / 2


def test_a_long_run_of_whitespace_after_a_schema_type_is_read_in_one_pass():
    # Two runs of whitespace in a row in the pattern took the square of this one's length: hours.
    started = time.process_time()
    assert not boilerline.segment.declares_article('"@type": ' + " " * 1_000_000 + "x")
    assert time.process_time() - started < 5


def test_a_hidden_block_of_the_story_s_kind_after_the_grid_does_not_carry_the_story_on():
    story = "".join(f"<p>{text}</p>" for text in STORY)
    lines = segment_html(
        f"<html>{DECLARED}<body><div class='body'>{story}</div>{grid(3)}<div class='body' hidden><p>{STORY[0]}</p></div></body></html>"
    )
    cards = lines["text"].str.startswith(CARD)
    assert lines.loc[cards, "past_article_end"].all() and not lines.loc[~cards, "past_article_end"].iloc[:6].any()


def test_the_story_s_own_last_text_and_a_closing_paragraph_beside_it_are_the_story():
    closing = "A closing paragraph of the story, beside the element of its other paragraphs, that ends it."
    lines = segment_html(
        f"<html>{DECLARED}<body><article><div class='s'>"
        + "".join(f"<p>{text}</p>" for text in STORY)
        + f"Final sentence of the story, in its element's own text.</div><p>{closing}</p></article>{grid(3)}</body></html>"
    ).set_index("text")
    assert not lines.loc[["Final sentence of the story, in its element's own text.", closing], "past_article_end"].any()
    assert lines.loc[f"{CARD} 0", "past_article_end"]


# --- The compiled walk (features/_walk.pyx) against the pure-Python one ---------------------------

COMPILED = pytest.mark.skipif(
    boilerline.segment._compiled_walk() is None,
    reason="the compiled walk is not built (no compiler at install, or BOILERLINE's build fell back): only the pure-Python walk runs",
)
FIXTURE_PAGES = sorted(path for path in (Path(__file__).parent / "fixtures").rglob("*") if path.suffix in (".html", ".htm"))
DEEP = "<div>" * 300 + "<p>deep <b>bold</b></p><pre>a\n b</pre>" + "</div>" * 300
# Pages that take each branch of the walk: flattening past MAX_DEPTH, <pre> blocks, hidden and
# named elements, links, what is not an element, odd names, whitespace that only Python calls so.
EDGE_PAGES = {
    "deep nesting": DEEP,
    "pre blocks": "<pre>  def f():\n\treturn 1  \n\n<a href=x>link</a> end\n</pre><p>after</p><pre></pre><pre>\n\n</pre>",
    "hidden": '<div hidden><p>one</p></div><p aria-hidden="true">two</p><p aria-hidden=false>three</p>'
    '<p style="display : NONE">four</p><span hidden>x</span> visible <span style="visibility:hidden">y</span>',
    "named and sectioned": '<main><article class="post"><p class="x" id="y">a</p></article><aside class="related-posts">'
    '<p>b</p></aside><nav role="Navigation"><ul><li role="menuitem">c</li></ul></nav><footer>d</footer></main>'
    '<body class="has-sidebar"><div class="comment-list" id="c"><p>e</p></div></body>',
    "names in any case": '<div class="Related-Posts"><p>a</p></div><div class="\u017fhare"><p>b</p></div><div id="x\xa0comments">'
    '<p>c</p></div><div class="coo\u212aies"><p>d</p></div><div class="NAVBAR_top"><p>e</p></div><div class="commentary"><p>f</p></div>',
    "links": '<p><a href="/a">linked</a> and not <a>more <b>bold link</b></a></p><a><div>block in link</div></a>',
    "processing instructions and comments": "<p>a<?php echo 1; ?>b<!-- c -->d</p><![CDATA[e]]><!DOCTYPE x><p>f</p>",
    "custom and odd tags": "<My-Widget class=A>x</My-Widget><DIV CLASS='Up'>y</DIV><x:y>z</x:y><p2>w</p2><svg><text>no</text></svg>"
    "<math><mi>m</mi></math><table><tr><td>t</td></tr></table><select><option>o</option></select><noscript>n</noscript>",
    "attributes written oddly": '<div class id=""><p class="a" class="b" ID=c>x</p></div><div role><p>y</p></div><div data-x=1><p>z</p></div>',
    "unicode whitespace": "<p>a\xa0b\u2003c\x1cd\x1fe\u3000\u2028f</p><p>\xa0</p><p>\u2003 \x1c</p><pre>g\xa0\u2003h\x1ci\n\x85j</pre>",
    "long lines": "<p>" + "word " * 30_000 + "</p><pre>" + "x" * 120_000 + "</pre>",
    "empty body": "<html><head><title>t</title></head><body></body></html>",
    "no body": '<html><frameset><frame src="a"></frameset></html>',
    "entities": "<p>&amp; &lt;b&gt; &nbsp;&copy; &#x1F600; &bogus; &#0; &#xD800;</p>",
    "broken encoding": "<p>caf\ufffd \ud800 lone surrogate \x00 nul</p>".encode("utf-8", "surrogatepass"),
    "a table of many cells": "<table>" + "<tr><td class=c>1</td><td><a href=#>2</a></td></tr>" * 500 + "</table>",
}


def columns_both_ways(page, monkeypatch) -> tuple:
    """`html_columns(page)` by the compiled walk and by the pure-Python one (a PageError's message for one)."""
    made = []
    for pure in ("0", "1"):
        monkeypatch.setenv("BOILERLINE_PURE_PYTHON", pure)
        assert boilerline.segment.walk_in_use() == ("python" if pure == "1" else "compiled")
        try:
            made.append(html_columns(page))
        except PageError as error:
            made.append(str(error))
    return tuple(made)


def assert_same_columns(compiled, python) -> None:
    if isinstance(python, str) or isinstance(compiled, str):
        assert compiled == python
        return
    assert compiled.keys() == python.keys()
    for name, values in python.items():
        if isinstance(values, np.ndarray):
            assert np.asarray(compiled[name]).dtype == values.dtype, name
            assert np.array_equal(compiled[name], values), name
        else:
            assert list(compiled[name]) == list(values), name


@COMPILED
@pytest.mark.parametrize("path", FIXTURE_PAGES, ids=lambda path: path.name)
def test_the_compiled_walk_gives_the_same_columns_on_every_fixture_page(path, monkeypatch):
    assert_same_columns(*columns_both_ways(path.read_bytes(), monkeypatch))


@COMPILED
@pytest.mark.parametrize("name", EDGE_PAGES)
def test_the_compiled_walk_gives_the_same_columns_on_hand_made_edge_cases(name, monkeypatch):
    compiled, python = columns_both_ways(EDGE_PAGES[name], monkeypatch)
    assert_same_columns(compiled, python)


def walked_both_ways(html: str, monkeypatch) -> tuple:
    """`_visible_rows(html)` by the compiled walk and by the pure-Python one."""
    made = []
    for pure in ("0", "1"):
        monkeypatch.setenv("BOILERLINE_PURE_PYTHON", pure)
        made.append(boilerline.segment._visible_rows(html, boilerline.segment.NO_DEADLINE))
    return tuple(made)


@COMPILED
@pytest.mark.parametrize("page", [*EDGE_PAGES.values(), *FIXTURE_PAGES], ids=[*EDGE_PAGES, *(path.name for path in FIXTURE_PAGES)])
def test_the_compiled_walk_gives_the_same_text_masses_and_names_in_the_same_order(page, monkeypatch):
    page = page.read_bytes() if isinstance(page, Path) else page
    compiled, python = walked_both_ways(page.decode("utf-8", "replace") if isinstance(page, bytes) else page, monkeypatch)
    for made, expected in zip(compiled[1:], python[1:]):  # names, text_mass, last_inside: dicts, whose order is kept too
        assert list(made.items()) == list(expected.items())
    assert compiled[0].keys() == python[0].keys()
    for name, parts in python[0].items():
        assert len(compiled[0][name]) == len(parts), name
        for made, expected in zip(compiled[0][name], parts):
            assert np.array_equal(made, expected) if isinstance(expected, np.ndarray) else made == expected, name


@COMPILED
@pytest.mark.parametrize(
    "setting, value",
    [("BOILERLINE_MAX_DEPTH", "3"), ("BOILERLINE_MAX_DEPTH", "1"), ("BOILERLINE_MAX_PAGE_LINES", "40"), ("BOILERLINE_MAX_LINE_CHARS", "5")],
)
def test_the_compiled_walk_keeps_the_limits_of_settings(setting, value, monkeypatch):
    monkeypatch.setenv(setting, value)
    page = EDGE_PAGES["a table of many cells"] + DEEP
    assert_same_columns(*columns_both_ways(page, monkeypatch))


@COMPILED
def test_the_compiled_walk_spends_the_same_name_budget_and_moves_rows_in_the_same_parts(monkeypatch):
    monkeypatch.setattr(boilerline.segment, "NAME_CHARS_PER_PAGE", 300)
    monkeypatch.setattr(boilerline.segment, "NAME_CHARS_PER_PAGE_CHAR", 0)
    monkeypatch.setattr(boilerline.segment, "ROWS_PER_PART", 7)
    monkeypatch.setattr(boilerline.segment, "LONG_TEXT_CHARS", 10)
    for page in (EDGE_PAGES["a table of many cells"], EDGE_PAGES["named and sectioned"] * 20, EDGE_PAGES["pre blocks"] * 10):
        assert_same_columns(*columns_both_ways(page, monkeypatch))


@COMPILED
def test_the_compiled_walk_looks_at_the_deadline_every_so_many_elements(monkeypatch):
    monkeypatch.setattr(boilerline.segment, "ELEMENTS_PER_CHECK", 10)
    checked = []

    class Counting(boilerline.segment.Deadline):
        def check(self, stage):
            checked.append(stage)
            super().check(stage)

    walked = {}
    for pure in ("0", "1"):
        monkeypatch.setenv("BOILERLINE_PURE_PYTHON", pure)
        checked.clear()
        boilerline.segment._columns_of_html(EDGE_PAGES["a table of many cells"], Counting())
        walked[pure] = list(checked)
    assert walked["0"] == walked["1"] and walked["0"].count("cutting into lines") > 100
    expired = boilerline.segment.Deadline(1e-9)
    time.sleep(0.01)
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "0")
    with pytest.raises(PageError, match="parsing"):
        boilerline.segment._columns_of_html("<p>x</p>", expired)


@COMPILED
def test_a_large_page_walks_the_same_and_its_rows_come_in_parts(monkeypatch):
    monkeypatch.setattr(boilerline.segment, "LARGE_PAGE_CHARS", 0)
    monkeypatch.setattr(boilerline.segment, "ROWS_PER_PART", 3)
    assert_same_columns(*columns_both_ways(EDGE_PAGES["a table of many cells"], monkeypatch))


def test_the_pure_python_walk_is_used_when_asked_for_or_when_the_extension_is_missing(monkeypatch):
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "1")
    assert boilerline.segment.walk_in_use() == "python"
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "yes")
    with pytest.raises(settings.SettingError, match="BOILERLINE_PURE_PYTHON"):
        boilerline.segment.walk_in_use()
    monkeypatch.delenv("BOILERLINE_PURE_PYTHON")
    monkeypatch.setattr(boilerline.segment, "_compiled_walk", lambda: None)
    assert boilerline.segment.walk_in_use() == "python"
    assert texts("<p>still cut into lines</p>") == ["still cut into lines"]


MIRROR = data_settings.REPO / data_settings.DATA_MIRROR if data_settings.DATA_MIRROR else None  # as test_quality_gate reads it
NEEDS_MIRROR = pytest.mark.skipif(
    MIRROR is None or not (MIRROR / "wcxb-dev").is_dir(), reason="no dataset mirror (DATA_MIRROR) with wcxb-dev/"
)


def benchmark_pages() -> list[bytes]:
    """Every page of WCXB dev and ScrapingHub in the mirror, as served."""
    paths = sorted((MIRROR / "wcxb-dev" / "html").glob("*.html.gz")) + sorted((MIRROR / "scrapinghub").rglob("*.html*"))
    assert len(paths) > 1000
    return [gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes() for path in paths]


@COMPILED
@pytest.mark.slow
@NEEDS_MIRROR
def test_the_compiled_walk_gives_the_same_columns_on_every_benchmark_page(monkeypatch):
    for page in benchmark_pages():
        assert_same_columns(*columns_both_ways(page, monkeypatch))


# --- The compiled pre-parse checks against the Python ones ------------------------------------

CHECKS_COMPILED = pytest.mark.skipif(boilerline.segment._compiled_checks() is None, reason="the compiled checks are not built")
# Small limits, so that pages are both let through and refused by each check.
CHECK_LIMITS = {
    "BOILERLINE_MAX_PAGE_ELEMENTS": ["", "3", "10", "40", "2000"],
    "BOILERLINE_MAX_PAGE_NESTING": ["", "1", "2", "5", "50"],
    "BOILERLINE_MAX_PAGE_END_TAG_WALK": ["", "1", "3", "20", "1000"],
}
# Pieces of random pages: tag names that the checks look for (in odd cases, with the characters
# an IGNORECASE regex matches to an ASCII letter: long s, the Kelvin sign, dotted and dotless I),
# whitespace of several kinds, and what ends or fills a tag.
CHECK_PIECES = [
    *["<", "</", "<", "</", ">", "/", "/>", " ", "\xa0", "\u2003", "\x1c", "\n", "x=1", '"', "text", "\U0001f600"],
    *["a", "B", "big", "nobr", "strong", "strike", "font", "s", "i", "tt", "ſ", "K", "İ", "ı", "S", "ſtrong", "strıke", "strİKe"],
    *["div", "DIV", "section", "ſection", "blocKquote", "span", "svg", "math", "p", "br", "template", "b", "em"],
    *["<div>", "</div>", "<section ", "<b>", "<i class=x>", "</b>", "<p>", "<span>", "</i>", "<a href=y>", "<svg>", "<svg/>"],
]


def checked_both_ways(html: str) -> tuple:
    """`_check_elements(html)` by the compiled checks and by the Python ones: None, or the PageError's message."""
    made = []
    for check in (boilerline.segment._compiled_checks().check_elements, boilerline.segment._python_check_elements):
        try:
            made.append(check(html))
        except PageError as error:
            made.append(str(error))
    return tuple(made)


def python_counts(html: str) -> tuple:
    """What `_checks.counts(html)` gives, as the Python checks count it."""
    starts = Counter(map(str.lower, boilerline.segment._FORMATTING_START.findall(html)))
    open_at_most = sum(min(count, 1) if name in boilerline.segment._SINGLE_FORMATTING else count for name, count in starts.items())
    return html.count("<"), html.count("</"), open_at_most, boilerline.segment._nesting(html)


def assert_checked_alike(html: str, monkeypatch, limits=None) -> str | None:
    """Asserts that both checks count and decide alike on `html`; what they decided."""
    assert boilerline.segment._compiled_checks().counts(html) == python_counts(html)
    for name, value in (limits or {}).items():
        monkeypatch.setenv(name, value)
    compiled, python = checked_both_ways(html)
    assert compiled == python, (html[:200], limits)
    return python


@CHECKS_COMPILED
def test_the_compiled_checks_decide_as_the_python_ones_on_random_pages(monkeypatch):
    rnd = random.Random(36)
    refused = Counter()
    for _ in range(5_000):
        html = "".join(rnd.choice(CHECK_PIECES) for _ in range(rnd.randrange(0, 120)))
        limits = {name: rnd.choice(values) for name, values in CHECK_LIMITS.items()}
        decided = assert_checked_alike(html, monkeypatch, limits)
        refused[decided and ("copies" in decided, decided.split("(")[-1])] += 1
    assert len(refused) == 5, refused  # let through, and refused by each check


@CHECKS_COMPILED
@pytest.mark.parametrize("path", FIXTURE_PAGES, ids=lambda path: path.name)
def test_the_compiled_checks_decide_as_the_python_ones_on_every_fixture_page(path, monkeypatch):
    html = decode_page(path.read_bytes())
    for elements, nesting, walk in [("", "", ""), ("2000", "5", "1000"), ("40", "1", "1")]:
        limits = dict(zip(CHECK_LIMITS, (elements, nesting, walk)))
        assert_checked_alike(html, monkeypatch, limits)


def pathological_pages() -> list[str]:
    """Pages that make each check count tag by tag: the fuzzer's formatting soups and deep
    nestings, the pages of the checks' own tests, and names a regex and str.lower see apart."""
    rnd = random.Random(36)
    pages = [fuzz.formatting_soup(rnd, 1)[1] for _ in range(60)] + [fuzz.deep_nesting(rnd, 0.2)[1] for _ in range(60)]
    pages += [
        "<span>" * 2_000 + "deep" + "</i>" * 2,
        "<span>" * 2_000 + "<div>deep" + "</i>" * 2_000,
        "<div>" + "<x-tag>" * 500 + "</p>" * 500,
        "<p>" + FORMATTING * 3 + "<p>x" * 2_000,
        "<p>" + "".join(f"<b id={number}>" for number in range(200)) + "<p>x" * 400,
        "<p><b class=x>left open" * 500,
        "<p><ſ class=x>long s" * 300 + "<p><s class=x>s" * 300,
        "<p><İ>dotted<p><ı>dotless<p><i>i" * 200 + "</İ></ı>" * 50,
        "<svg>" + "<linK/>" * 300 + "<span>" * 300 + "</i>" * 300,
        "<ſpan>" * 300 + "</ſpan>" + "</i>" * 300,
        "<svg><g/>" * 200 + "</svg>" * 200 + "<math><p/>" * 100 + "</x>" * 300,
        "<b x='<i >'>" * 300 + "<p>y" * 300,
        "<a<b>" * 300 + "</a<b>" * 300,
        "<b\u2003 >" * 300 + "<p \xa0>" * 300 + "<b\x1c>" * 300,
    ]
    return pages


@CHECKS_COMPILED
def test_the_compiled_checks_decide_as_the_python_ones_on_pathological_pages(monkeypatch):
    for html in pathological_pages():
        for elements, nesting, walk in [("", "", ""), ("2000", "50", "1000"), ("300", "5", "100"), ("40", "1", "1")]:
            assert_checked_alike(html, monkeypatch, dict(zip(CHECK_LIMITS, (elements, nesting, walk))))


@CHECKS_COMPILED
def test_the_compiled_checks_run_unless_pure_python_is_asked_for(monkeypatch):
    called = []
    monkeypatch.setattr(boilerline.segment, "_python_check_elements", called.append)
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "0")
    boilerline.segment._check_elements("<p>x")
    assert called == []
    monkeypatch.setenv("BOILERLINE_PURE_PYTHON", "1")
    boilerline.segment._check_elements("<p>x")
    assert called == ["<p>x"]


@CHECKS_COMPILED
@pytest.mark.slow
@NEEDS_MIRROR
def test_the_compiled_checks_decide_as_the_python_ones_on_every_benchmark_page(monkeypatch):
    for page in benchmark_pages():
        html = decode_page(page)
        for elements, nesting, walk in [("", "", ""), ("2000", "50", "100000")]:
            assert_checked_alike(html, monkeypatch, dict(zip(CHECK_LIMITS, (elements, nesting, walk))))
