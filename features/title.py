"""The title of an HTML page, beside its cleaned text.

Both benchmarks' golds leave the headline out of an article's body, and the model drops it;
a scraper still wants it. The page names it up to three times: its `<h1>` (the headline as
the reader sees it), `og:title` and `<title>` (both often carrying the site's name after a
separator). The headline is the `<h1>` that those name, else the first `<h1>` that is not the
site's name, else `og:title` or `<title>` less the site's name.
"""

import re

from selectolax.lexbor import LexborHTMLParser

from .decode import decode_page, has_markup

# Between a title and the site's name: "Headline | Site", "Site - Headline", "Headline – Site".
_SEPARATOR = re.compile(r"\s+[|\-–—:·»]\s+")
_SITE_PART_WORDS = 3  # a side part this short is taken for the site's name


def html_title(page: str | bytes, encoding: str | None = None) -> str:
    """The page's title ("" when it names none); bytes are read as `decode_page` reads them."""
    html = decode_page(page, encoding)
    if not has_markup(html):
        return ""
    tree = LexborHTMLParser(html)
    og_title, site = _meta(tree, "og:title"), _meta(tree, "og:site_name")
    title_node = tree.css_first("title")
    titles = [text for text in (og_title, _collapsed(title_node.text()) if title_node else "") if text]
    headings = [text for node in tree.css("h1") if (text := _collapsed(node.text(separator=" ")))]
    return choose_title(headings, titles, site)


def choose_title(headings: list[str], titles: list[str], site: str = "") -> str:
    """The headline among the page's `<h1>` texts `headings`, given its `og:title` and `<title>`
    (`titles`) and its `og:site_name` (`site`)."""
    site_names = {_key(site)} | {_key(part) for title in titles for part in _side_parts(title)}
    for title in titles:
        for heading in headings:
            if _key(heading) in _key(title) and _key(heading) not in site_names:
                return heading
    for heading in headings:
        if _key(heading) not in site_names and len(heading.split()) >= 2:
            return heading
    return _without_site(titles[0], site) if titles else ""


def _side_parts(title: str) -> list[str]:
    """The short first and last parts of a title cut at its separators: the site's name, mostly."""
    parts = _SEPARATOR.split(title)
    if len(parts) < 2:
        return []
    return [part for part in (parts[0], parts[-1]) if len(part.split()) <= _SITE_PART_WORDS]


def _without_site(title: str, site: str) -> str:
    parts = _SEPARATOR.split(title)
    if len(parts) > 1 and (_key(parts[-1]) == _key(site) or len(parts[-1].split()) <= _SITE_PART_WORDS):
        parts = parts[:-1]
    if len(parts) > 1 and _key(parts[0]) == _key(site):
        parts = parts[1:]
    return " - ".join(parts)


def _meta(tree, name: str) -> str:
    node = tree.css_first(f'meta[property="{name}"]')
    return _collapsed((node.attributes.get("content") or "") if node else "")


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _key(text: str) -> str:
    return _collapsed(text or "").casefold()
