"""Line-by-line content vs boilerplate for scraped pages.

import boilerline
text = boilerline.clean_html(html)  # the default model, loaded once

model = boilerline.load_model()     # or a model file of your own: load_model(path)
lines = model.score_html(html)      # every line with its P(content)
for result in boilerline.clean_records(records):  # many pages, one result each, errors included
    ...
"""

from .artifact import ModelError
from .decode import PageError, decode_page
from .model import BoilerplateModel, ScoredLine, load_model, shared_model
from .records import PageTimeout, Record, clean_records
from .segment import segment_html, segment_text
from .settings import SettingError
from .title import html_title

__version__ = "0.2.0"


def clean_html(html: str | bytes, encoding: str | None = None, title: bool = False) -> str:
    """The content lines of an HTML page, joined with newlines, by the default model (loaded
    on first use and shared by the process). `encoding`: the charset the page was served
    with (HTTP's Content-Type), if any; `title`: the page's title (`html_title`) first."""
    return shared_model().clean_html(html, encoding=encoding, title=title)


def clean_text(text: str | bytes, encoding: str | None = None) -> str:
    """The content lines of a page saved as plain text, by the default model (see `clean_html`)."""
    return shared_model().clean_text(text, encoding=encoding)


__all__ = [
    "BoilerplateModel",
    "ModelError",
    "PageError",
    "PageTimeout",
    "Record",
    "ScoredLine",
    "SettingError",
    "__version__",
    "clean_html",
    "clean_records",
    "clean_text",
    "decode_page",
    "shared_model",
    "html_title",
    "load_model",
    "segment_html",
    "segment_text",
]
