"""Composite training pages: a WCXB article with another page's content inserted after it.

A news page often carries, after its article, a teaser grid ("more stories") or a comment
thread, which WCXB's article gold calls boilerplate but which WCXB's training articles rarely
show; on WCXB's listing, collection and forum pages such blocks are the content. A composite
is a copy of a training article page A with the content element of a training page B of one
of those types (a grid of teasers, a thread of posts) inserted right after the container of
A's last gold paragraph. It keeps A's gold text, so the alignment (data.align) labels the
inserted lines boilerplate, and A's site, so training's folds of sites keep it with A.

The HTML surgery is selectolax's (the library's own parser): its nodes carry no source
offsets to splice the page's string at, and a node moves between two parsed pages whole.
"""

from dataclasses import replace

import numpy as np
from selectolax.lexbor import LexborHTMLParser

from .metrics import words
from .sources import Page
from .split import is_held_out

ARTICLE_TYPES = ("article",)
BLOCK_TYPES = ("listing", "collection", "forum")  # pages whose content is teasers or posts
# The elements that hold a paragraph of text; a gold line is found in the last one holding it.
TEXT_BLOCKS = "p, li, h1, h2, h3, h4, h5, h6, td, th, dd, dt, blockquote, pre, figcaption"
PROBE_WORDS = 6  # a gold line of at least this many words is looked for, by its first 12
MAX_BLOCK_SHARE = 1.5  # the inserted block's words, at most this many times A's gold words


def _spaced(tokens: list[str]) -> str:
    return " " + " ".join(tokens) + " "


def gold_probes(gold: str) -> list[str]:
    """The gold lines long enough to be found on the page, as spaced token strings."""
    probes = []
    for line in gold.splitlines():
        tokens = words(line)
        if len(tokens) >= PROBE_WORDS:
            probes.append(_spaced(tokens[:12]))
    return probes


def gold_nodes(tree: LexborHTMLParser, gold: str) -> list:
    """For each gold probe in turn, the last text block holding it (probes not found skipped)."""
    blocks = [(node, _spaced(words(node.text(deep=True)))) for node in tree.css(TEXT_BLOCKS)]
    found = []
    for probe in gold_probes(gold):
        holders = [node for node, text in blocks if probe in text]
        if holders:
            found.append(holders[-1])
    return found


def _ancestors(node) -> list:
    chain = []
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def common_ancestor(nodes: list):
    """The deepest element holding all the nodes."""
    shared = _ancestors(nodes[0])
    for node in nodes[1:]:
        ids = {other.mem_id for other in _ancestors(node)}
        shared = [ancestor for ancestor in shared if ancestor.mem_id in ids]
    return shared[0]


def content_block(page: Page):
    """(the parsed page, its element holding all its gold lines found), or None when the gold
    is found in fewer than 3 blocks or only the whole body holds it."""
    tree = LexborHTMLParser(page.html)
    nodes = gold_nodes(tree, page.gold)
    if len(nodes) < 3:
        return None
    block = common_ancestor(nodes)
    if block.tag in ("html", "body", "-document"):
        return None
    return tree, block


def trim(block, limit: int) -> None:
    """Drop the block's last children (descending into a lone child) until it holds at most
    `limit` words, as a page shows the first teasers or posts of a longer list."""
    node = block
    while len(words(node.text(deep=True))) > limit:
        children = [child for child in node.iter() if child.tag != "-text"]
        if len(children) > 1:
            children[-1].decompose()
        elif children:
            node = children[0]
        else:
            return


def insertion_point(tree: LexborHTMLParser, gold: str):
    """The element after which the block goes: the container of A's last gold paragraph
    (the paragraph itself where the container is the whole body), or None when no gold
    paragraph is found."""
    nodes = gold_nodes(tree, gold)
    if not nodes:
        return None
    last = nodes[-1]
    container = last.parent
    return last if container is None or container.tag in ("html", "body") else container


def composite_page(article: Page, other: Page) -> Page | None:
    """A copy of `article` with `other`'s content element after its article, or None where
    either cannot be found."""
    found = content_block(other)
    tree = LexborHTMLParser(article.html)
    after = insertion_point(tree, article.gold)
    if found is None or after is None:
        return None
    block = found[1]
    trim(block, max(int(MAX_BLOCK_SHARE * len(words(article.gold))), 50))
    after.insert_after(block)
    return replace(article, source="composite", page_id=f"{article.page_id}+{other.page_id}", html=tree.html)


def composite_pages(pages: list[Page], share: float, seed: int) -> list[Page]:
    """Composites of `share` of the WCXB training article pages (held-out sites never used,
    as A or B), each with a seeded-random training page of BLOCK_TYPES from another site.
    The draws do not depend on `share`: a smaller share's composites are a larger one's."""
    training = [p for p in pages if p.source == "wcxb" and p.gold and not is_held_out(p.domain)]
    articles = [p for p in training if p.page_type in ARTICLE_TYPES]
    others = [p for p in training if p.page_type in BLOCK_TYPES]
    if share <= 0 or not articles or not others:
        return []
    rng = np.random.default_rng(seed)
    draws = rng.random(len(articles))
    picks = rng.integers(0, len(others), size=(len(articles), 8))  # spare picks for B of A's site or with no block
    made = []
    for article, draw, choices in zip(articles, draws, picks):
        if draw >= share:
            continue
        for choice in choices:
            other = others[choice]
            if other.domain != article.domain and (page := composite_page(article, other)) is not None:
                made.append(page)
                break
    return made
