"""The README's scraper example runs as printed: fetch a page over HTTP, keep its content lines.

The snippet is read from README.md (the ```python block after a `<!-- scraper-example -->`
line), so the README cannot drift from what is tested; README_EXAMPLE, the same text, stands
in for it where the README lacks that block.
"""

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).parent / "fixtures" / "pages"

README_EXAMPLE = """\
import urllib.request

from boilerline import load_model

model = load_model()  # the default model shipped in models/
url = "https://example.com/some-article"
with urllib.request.urlopen(url, timeout=30) as response:
    html = response.read()  # bytes
    charset = response.headers.get_content_charset()  # None when the server names none
text = model.clean_html(html, encoding=charset)  # the content lines, joined with "\\n"
print(text)
"""

_ARTICLE_RU = (PAGES / "article_ru.txt").read_text(encoding="utf-8").split("\n\n")
# Its menu, its paragraphs and its copyright line.
RUSSIAN_ARTICLE = (
    _ARTICLE_RU[0].split("\n"),
    _ARTICLE_RU[1:-1],
    next(line for line in _ARTICLE_RU[-1].split("\n") if line.startswith("©")),
)

_README_BLOCK = re.compile(r"^<!-- scraper-example -->\s*\n```python\n(.*?)^```", re.M | re.S)
_URL_LITERAL = re.compile(r"""(["'])https?://[^"']+\1""")


def scraper_example() -> str:
    readme = REPO / "README.md"
    match = _README_BLOCK.search(readme.read_text(encoding="utf-8")) if readme.exists() else None
    return match.group(1) if match else README_EXAMPLE


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files, naming the charset of those named NAME.CHARSET.html in their Content-Type
    only, as many servers do: the page itself declares none."""

    def guess_type(self, path):
        charset = Path(path).suffixes[-2:-1]
        return f"text/html; charset={charset[0][1:]}" if str(path).endswith(".html") and charset else super().guess_type(path)

    def log_message(self, *args):
        pass


@pytest.fixture
def served_pages(tmp_path):
    """The fixture pages over HTTP on a free local port, and a Russian article in windows-1251
    made from article_ru.txt: the base URL."""
    for fixture in PAGES.iterdir():
        (tmp_path / fixture.name).write_bytes(fixture.read_bytes())
    menu, paragraphs, footer = RUSSIAN_ARTICLE
    html = "<html><body><nav>{}</nav><article>{}</article><footer>{}</footer></body></html>".format(
        "".join(f"<a href='/'>{item}</a> " for item in menu), "".join(f"<p>{text}</p>" for text in paragraphs), footer
    )
    (tmp_path / "article_ru.windows-1251.html").write_bytes(html.encode("cp1251"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_example(url: str) -> str:
    """The text the README's example keeps of the page at `url`."""
    snippet, substitutions = _URL_LITERAL.subn(repr(url), scraper_example())
    assert substitutions == 1, "the example should fetch exactly one URL"
    namespace = {}
    exec(compile(snippet, "README scraper example", "exec"), namespace)
    return namespace["text"]


def test_the_scraper_example_keeps_the_article_of_a_fetched_page(served_pages):
    text = run_example(f"{served_pages}/article.html")
    assert "For more than a century the small streams that once crossed the old town" in text
    assert "Other cities are watching closely." in text
    assert "Privacy policy" not in text and "Accept all" not in text


def test_the_scraper_example_reads_a_page_in_the_charset_its_server_names(served_pages):
    text = run_example(f"{served_pages}/article_ru.windows-1251.html")
    menu, paragraphs, footer = RUSSIAN_ARTICLE
    assert all(paragraph in text for paragraph in paragraphs)
    assert menu[0] not in text.splitlines() and footer not in text
