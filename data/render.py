"""The same page as plain text, the way scrapers save it, so the text model can learn and be measured.

Each rendering maps HTML to text, one line per line: this project's own lines, html-text
(what Scrapy users get) and inscriptis (layout-aware text).
"""

import html_text
from inscriptis import get_text

from boilerline.segment import segment_html


def own_lines(html: str) -> str:
    return "\n".join(segment_html(html)["text"].tolist())


def html_text_lines(html: str) -> str:
    return html_text.extract_text(html, guess_layout=True)


def inscriptis_lines(html: str) -> str:
    return get_text(html)


RENDERINGS = {"lines": own_lines, "html_text": html_text_lines, "inscriptis": inscriptis_lines}
