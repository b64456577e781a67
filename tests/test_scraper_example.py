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

README_EXAMPLE = '''\
import urllib.request

from features import load_model

model = load_model()  # the default model shipped in models/
url = "https://example.com/some-article"
with urllib.request.urlopen(url, timeout=30) as response:
    html = response.read()  # bytes: the page's declared charset is honoured
text = model.clean_html(html)  # the content lines, joined with "\\n"
print(text)
'''

_README_BLOCK = re.compile(r"^<!-- scraper-example -->\s*\n```python\n(.*?)^```", re.M | re.S)
_URL_LITERAL = re.compile(r"""(["'])https?://[^"']+\1""")


def scraper_example() -> str:
    readme = REPO / "README.md"
    match = _README_BLOCK.search(readme.read_text(encoding="utf-8")) if readme.exists() else None
    return match.group(1) if match else README_EXAMPLE


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_pages():
    """The fixture pages over HTTP on a free local port: the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(PAGES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_scraper_example_keeps_the_article_of_a_fetched_page(served_pages):
    snippet, substitutions = _URL_LITERAL.subn(repr(f"{served_pages}/article.html"), scraper_example())
    assert substitutions == 1, "the example should fetch exactly one URL"
    namespace = {}
    exec(compile(snippet, "README scraper example", "exec"), namespace)
    text = namespace["text"]
    assert "For more than a century the small streams that once crossed the old town" in text
    assert "Other cities are watching closely." in text
    assert "Privacy policy" not in text and "Accept all" not in text
