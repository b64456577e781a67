"""Line-by-line content vs boilerplate for scraped pages.

    from features import load_model
    model = load_model()
    text = model.clean_html(html)
"""

from .model import BoilerplateModel, ModelError, ScoredLine, load_model
from .segment import PageError, decode_page, segment_html, segment_text

__all__ = ["BoilerplateModel", "ModelError", "PageError", "ScoredLine", "decode_page", "load_model", "segment_html", "segment_text"]
