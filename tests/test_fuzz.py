"""Hostile pages from tests/fuzz.py's generators, drawn and shrunk by Hypothesis: only PageError
escapes, and pages scored together score as each alone. `make fuzz` runs many more of them."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import boilerline.lines
import fuzz
from boilerline import PageError, load_model
from boilerline.segment import html_or_text_columns, text_columns

# The same cases on every run (CI's time is fixed), no example database left in the tree.
FUZZ = settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
ENCODINGS = [None, "utf-8", "shift_jis", "utf-16", "x-user-defined", "nonsense", "\udcff"]

SCALE = 0.1  # pages of up to 500 repeats of a pattern: a few thousand cases fit in a minute
kinds_and_pages = st.builds(
    lambda rnd, name: fuzz.GENERATORS[name](rnd, SCALE), st.randoms(use_true_random=False), st.sampled_from(sorted(fuzz.GENERATORS))
)


@pytest.fixture(scope="module")
def model():
    return load_model()


def score(model, kind: str, page, encoding=None):
    return model.score_html(page, encoding=encoding) if kind == "html" else model.score_text(page, encoding=encoding)


@settings(FUZZ, max_examples=2_500)
@given(kind_and_page=kinds_and_pages, encoding=st.sampled_from(ENCODINGS))
def test_a_hostile_page_is_cut_into_lines_or_refused(kind_and_page, encoding):
    kind, page = kind_and_page
    try:
        kind, columns = html_or_text_columns(page, encoding) if kind == "html" else ("text", text_columns(page, encoding))
    except PageError:
        return
    assert len(columns["text"]) == len(columns["box1"]) and all("\x00" not in text for text in columns["text"])


@settings(FUZZ, max_examples=800)
@given(kind_and_page=kinds_and_pages, encoding=st.sampled_from(ENCODINGS))
def test_a_hostile_page_is_scored_or_refused(model, kind_and_page, encoding):
    kind, page = kind_and_page
    try:
        lines = score(model, kind, page, encoding)
    except PageError:
        return
    assert all(0 <= line.p_content <= 1 for line in lines)


@settings(FUZZ, max_examples=250)
@given(several=st.lists(kinds_and_pages, min_size=1, max_size=4), kind=st.sampled_from(["html", "text"]))
def test_hostile_pages_scored_together_score_as_each_alone(model, monkeypatch, several, kind):
    # Small chunks of characters, so that these small pages meet their edges as large ones do.
    monkeypatch.setattr(boilerline.lines, "CHARACTER_CHUNK", 5_000)
    pages = [page for _, page in several]
    alone = []
    for page in pages:
        try:
            alone.append(score(model, kind, page))
        except PageError:
            break
    together = model.score_pages(pages, kind)
    for lines in alone:
        assert next(together) == lines
    if len(alone) < len(pages):  # the first refused page stops them, once those before it are given
        with pytest.raises(PageError, match=f"^page {len(alone)}: "):
            next(together)
