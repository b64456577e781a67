"""The page's title beside its cleaned text: the headline, not the site's name."""

import pytest

import boilerline
from boilerline import html_title, load_model
from boilerline.title import choose_title


def page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_the_h1_that_the_titles_name_is_the_headline():
    html = page(
        '<title>Rivers rise in spring | The Daily Post</title><meta property="og:site_name" content="The Daily Post">',
        "<h1>The Daily Post</h1><h1>Rivers rise in spring</h1><p>Text.</p>",
    )
    assert html_title(html) == "Rivers rise in spring"


def test_a_headline_the_titles_do_not_name_is_still_the_first_h1_that_is_not_the_site():
    assert choose_title(["Yoga Pathways", "Yoga will not fix the plumbing"], ["Something else – Yoga Pathways"]) == (
        "Yoga will not fix the plumbing"
    )


def test_without_an_h1_the_title_loses_the_sites_name():
    assert html_title(page("<title>Rivers rise in spring - Daily Post</title>")) == "Rivers rise in spring"
    assert html_title(page('<meta property="og:title" content="How to plant a tree | Garden Weekly">')) == "How to plant a tree"
    assert choose_title([], ["Example.com | Ten facts about bread and butter"], "Example.com") == "Ten facts about bread and butter"


def test_a_page_that_names_no_title_has_none():
    assert html_title(page(body="<p>Only a paragraph.</p>")) == ""
    assert html_title("plain text without markup") == ""


def test_bytes_are_read_in_the_charset_they_were_served_with():
    html = page("<title>Привет мир - Сайт</title>").encode("windows-1251")
    assert html_title(html, encoding="windows-1251") == "Привет мир"


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_clean_html_can_put_the_title_first(model):
    html = page(
        "<title>Rivers rise in spring | The Daily Post</title>",
        "<h1>Rivers rise in spring</h1>"
        + "".join(
            f"<p>The river rose by {n} metres on day {n}, and the town council met to plan what to do about it.</p>" for n in range(5)
        ),
    )
    plain = model.clean_html(html)
    titled = model.clean_html(html, title=True)
    assert titled.split("\n")[0] == "Rivers rise in spring" and titled.count("Rivers rise in spring") == 1
    assert titled.endswith(plain) and boilerline.clean_html(html, title=True) == titled
