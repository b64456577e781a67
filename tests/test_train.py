"""Training helpers that decide what the model optimises."""

import numpy as np
import pandas as pd
import pytest

from train import one_rendering_per_page, word_weights


def test_every_page_weighs_the_same_and_words_weigh_within_a_page():
    lines = pd.DataFrame({
        "page": [0, 0, 0, 1],
        "text": ["a long paragraph of six words", "Home", "two words", "one very long page line " * 50],
    })
    weights = word_weights(lines)
    page_totals = pd.Series(weights).groupby(lines["page"]).sum()
    assert page_totals[0] == pytest.approx(page_totals[1])
    assert weights[0] == pytest.approx(3 * weights[2]) and weights[2] == pytest.approx(2 * weights[1])


def test_one_rendering_per_page_keeps_every_page_once_in_one_rendering():
    lines = pd.DataFrame({
        "page_id": np.repeat(["p1", "p2", "p3"], 6),
        "rendering": np.tile(np.repeat(["lines", "html_text", "inscriptis"], 2), 3),
        "text": [f"line {i}" for i in range(18)],
    })
    chosen = one_rendering_per_page(lines)
    assert chosen.groupby("page_id")["rendering"].nunique().eq(1).all()
    assert sorted(chosen["page_id"].unique()) == ["p1", "p2", "p3"]
    assert len(chosen) == 6


def test_a_page_without_the_drawn_rendering_keeps_one_it_has():
    """A user's plain-text page comes in one rendering only; it must still train."""
    lines = pd.DataFrame({
        "page_id": ["p1"] * 6 + ["mine"] * 2 + ["p2"] * 2,
        "rendering": ["lines", "lines", "html_text", "html_text", "inscriptis", "inscriptis", "text", "text", "lines", "html_text"],
        "text": [f"line {i}" for i in range(10)],
    })
    chosen = one_rendering_per_page(lines)
    assert sorted(chosen["page_id"].unique()) == ["mine", "p1", "p2"]
    assert chosen.loc[chosen["page_id"] == "mine", "rendering"].tolist() == ["text", "text"]
    assert chosen.groupby("page_id")["rendering"].nunique().eq(1).all()
