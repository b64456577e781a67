"""data.composite: a teaser grid of another page after an article, labelled boilerplate by the build."""

import pytest

from data.build import label_page
from data.composite import composite_page, composite_pages
from data.sources import Page
from data.split import is_held_out

PARAGRAPHS = [
    "The river rose four metres overnight and flooded the lower town's market square.",
    "Firefighters moved two hundred residents to the school on the hill before dawn.",
    "The mayor said the new flood wall had held where it was finished last spring.",
]
TEASERS = [
    "Council votes to reopen the old railway bridge to cyclists next summer",
    "Local bakery wins the regional prize for its rye bread for a third year",
    "Museum opens a hall of maps drawn by the town's first surveyors",
    "School choir travels abroad for the first time since its founding",
]


def article(domain: str = "news.example") -> Page:
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    html = f"<html><body><nav><a href='/'>Home</a></nav><article><h1>Flood</h1><div class='body'>{body}</div></article><footer>Contact us</footer></body></html>"
    return Page(source="wcxb", page_id="a", html=html, gold="\n".join(PARAGRAPHS), page_type="article", url=f"https://{domain}/flood")


def listing(domain: str = "town.example") -> Page:
    cards = "".join(f"<li class='card'><h3><a href='/{n}'>{text}</a></h3></li>" for n, text in enumerate(TEASERS))
    html = f"<html><body><nav><a href='/'>Home</a></nav><main><ul class='stories'>{cards}</ul></main><footer>Imprint</footer></body></html>"
    return Page(source="wcxb", page_id="b", html=html, gold="\n".join(TEASERS), page_type="listing", url=f"https://{domain}/")


def html_lines(page: Page):
    lines, _, reason = label_page(page)
    assert reason is None
    return lines[lines["rendering"] == "html"]


def test_the_composite_keeps_the_articles_gold_and_its_lines_labelled_content():
    composite = composite_page(article(), listing())

    assert composite.source == "composite" and composite.page_id == "a+b"
    assert composite.gold == article().gold and composite.domain == "news.example"
    lines = html_lines(composite)
    labels = dict(zip(lines["text"], lines["label"]))
    assert all(labels[text] == 1 for text in PARAGRAPHS)


def test_the_inserted_teasers_follow_the_article_and_are_labelled_boilerplate():
    lines = html_lines(composite_page(article(), listing()))
    texts = lines["text"].tolist()

    assert all(lines.loc[lines["text"] == text, "label"].item() == 0 for text in TEASERS)
    # Right after the article's last paragraph, before the article page's footer.
    assert texts.index(PARAGRAPHS[-1]) < texts.index(TEASERS[0]) < texts.index(TEASERS[-1]) < texts.index("Contact us")
    assert "Imprint" not in texts  # the listing's content element only, not its page


def test_a_page_whose_gold_is_not_found_makes_no_composite():
    assert composite_page(article(), Page(source="wcxb", page_id="c", html="<p>other words</p>", gold="\n".join(TEASERS))) is None


@pytest.mark.parametrize("share, expected", [(0.0, 0), (1.0, 1)])
def test_the_share_of_articles_copied(share, expected):
    assert len(composite_pages([article(), listing()], share, seed=13)) == expected


def test_held_out_sites_are_never_used():
    held_out = next(f"site{n}.example" for n in range(1000) if is_held_out(f"site{n}.example"))

    assert composite_pages([article(held_out), listing()], 1.0, seed=13) == []
    assert composite_pages([article(), listing(held_out)], 1.0, seed=13) == []
