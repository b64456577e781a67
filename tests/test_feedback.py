"""data.feedback: the user's pages before and after training on them."""

from pathlib import Path

import numpy as np
import pandas as pd

from boilerline import shared_model
from boilerline.segment import segment_html
from data.feedback import LISTED_LINES, feedback_markdown, page_feedback, shipped_decisions, summary

LINES = pd.DataFrame(
    {
        "page_id": ["labelled:mine/shop"] * 4 + ["labelled:mine/blog"] * 3,
        "text": ["Home | Cart", "A red kettle, boils in two minutes.", "Members save 10%", "Sign in", "Blog", "A long post.", "Tags"],
        "label": [0, 1, 0, 0, 0, 1, 0],
    }
)


def test_each_page_says_what_was_corrected_and_what_is_still_wrong():
    before = np.array([0, 1, 1, 1, 0, 1, 1], bool)  # the shipped model kept the members' line, Sign in, Tags
    after = np.array([0, 1, 1, 0, 1, 1, 0], bool)  # the new one still keeps the members' line, and now Blog
    feedback = page_feedback(LINES, before, after)
    shop, blog = feedback["pages"]
    assert (shop["corrected"], shop["still_wrong"], shop["newly_wrong"]) == (2, 1, 0)
    assert (blog["corrected"], blog["still_wrong"], blog["newly_wrong"]) == (1, 0, 1)
    assert shop["f1_after"] > shop["f1_before"]
    assert feedback["still_wrong"] == [{"page": "labelled:mine/shop", "line": 3, "label": 0, "text": "Members save 10%"}]
    assert summary(feedback) == {
        "pages": 2,
        "f1_before": feedback["f1_before"],
        "f1_after_out_of_fold": feedback["f1_after"],
        "corrected_lines": 3,
        "corrected_still_wrong": 1,
        "newly_wrong": 1,
    }
    markdown = feedback_markdown({"html": feedback})
    assert "## HTML model (your HTML pages): 2 pages" in markdown
    assert "| shop | 3 | boilerplate | Members save 10% |" in markdown
    assert "| shop | 4 | 2 | 1 | 0 |" in markdown
    assert markdown.index("| shop |") < markdown.index("| blog |")  # the worst page first


def test_without_a_shipped_model_only_the_new_models_f1_is_given():
    feedback = page_feedback(LINES, None, LINES["label"].to_numpy().astype(bool))
    assert feedback["f1_before"] is None and feedback["f1_after"] == 1.0 and feedback["corrected"] == 0
    assert "n/a before, 1.000 after" in feedback_markdown({"text": feedback})


def test_a_long_list_of_wrong_lines_is_cut_saying_how_many_more():
    lines = pd.DataFrame({"page_id": ["p"] * 50, "text": [f"line | {n}" for n in range(50)], "label": [1] * 50})
    markdown = feedback_markdown({"text": page_feedback(lines, np.zeros(50, bool), np.zeros(50, bool))})
    assert f"... and {50 - LISTED_LINES} more." in markdown and "line \\| 0" in markdown


def test_the_shipped_models_decisions_are_those_it_gives_the_page():
    html = (Path(__file__).parent / "fixtures" / "pages" / "article.html").read_bytes()
    lines = segment_html(html).assign(page=0)
    assert shipped_decisions("html", lines).tolist() == [line.is_content for line in shared_model().score_html(html)]
