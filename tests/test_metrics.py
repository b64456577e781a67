"""The benchmarks' metrics: hand-made cases, then the published ScrapingHub figures."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from data import settings
from data.metrics import bootstrap_std, shingle_counts, shingle_prf, shingle_scores, snippet_rate, word_prf, words


# --- WCXB word-level P/R/F1 ----------------------------------------------------------------
def test_words_are_lowercased_word_characters():
    assert words("Hello, WORLD! it's 2026") == ["hello", "world", "it", "s", "2026"]


def test_word_prf_identical_texts_are_perfect():
    assert word_prf("The cat sat.", "the CAT sat") == (1.0, 1.0, 1.0)


def test_word_prf_counts_a_bag_of_words():
    # predicted: a a b c (4 words); gold: a b b (3 words); overlap: a, b = 2
    precision, recall, f1 = word_prf("a a b c", "a b b")
    assert precision == pytest.approx(2 / 4)
    assert recall == pytest.approx(2 / 3)
    assert f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_word_prf_accepts_counters():
    assert word_prf(Counter(["a", "b"]), "a") == word_prf("a b", "a")


def test_word_prf_empty_gold_is_perfect_only_for_empty_output():
    assert word_prf("", "") == (1.0, 1.0, 1.0)
    assert word_prf("  ...  ", "") == (1.0, 1.0, 1.0)  # no words is empty output
    assert word_prf("menu", "") == (0.0, 0.0, 0.0)
    assert word_prf("", "gold text") == (0.0, 0.0, 0.0)


# --- WCXB snippets ------------------------------------------------------------------------
def test_snippet_rate_normalises_case_and_whitespace():
    text = "The Quick  brown\nfox jumps."
    assert snippet_rate(text, ["quick brown fox", "lazy dog"]) == 0.5
    assert snippet_rate(text, ["THE QUICK BROWN FOX JUMPS."]) == 1.0


def test_snippet_rate_without_snippets_is_none():
    assert snippet_rate("anything", []) is None


# --- ScrapingHub shingles ----------------------------------------------------------------
def test_shingle_counts_use_case_sensitive_4_grams():
    # gold: 5 tokens -> 2 shingles; predicted adds one token -> 3 shingles, 2 shared
    assert shingle_counts("one two three four five six", "one two three four five") == (2, 1, 0)
    # the benchmark does not lowercase: "One" is another token than "one"
    assert shingle_counts("One two three four", "one two three four") == (0, 1, 1)


def test_short_texts_are_one_shingle():
    assert shingle_counts("two words", "two words") == (1, 0, 0)
    assert shingle_counts("two words", "two other") == (0, 1, 1)


def test_shingle_prf_of_one_page():
    precision, recall, f1 = shingle_prf("one two three four five six", "one two three four five")
    assert (precision, recall) == (pytest.approx(2 / 3), 1.0)
    assert f1 == pytest.approx(0.8)
    assert shingle_prf("", "") == (1.0, 1.0, 1.0)


def test_shingle_scores_average_p_and_r_over_the_pages_where_they_exist():
    counts = [
        (2, 2, 0),  # P 0.5, R 1
        (0, 0, 4),  # outputs nothing: no precision, R 0
        (1, 0, 3),  # P 1, R 0.25
        (0, 0, 0),  # empty gold, empty output: neither
    ]
    scores = shingle_scores(counts)
    assert scores["precision"] == pytest.approx(0.75)
    assert scores["recall"] == pytest.approx(1.25 / 3)
    # F1 is the harmonic mean of the averages, not the average of per-page F1s
    assert scores["f1"] == pytest.approx(2 * 0.75 * (1.25 / 3) / (0.75 + 1.25 / 3))


def test_shingle_scores_of_a_system_that_outputs_nothing():
    assert shingle_scores([(0, 0, 5), (0, 0, 2)]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


# --- bootstrap ----------------------------------------------------------------------------
def test_bootstrap_std_of_identical_pages_is_zero():
    assert bootstrap_std([0.7] * 50) == pytest.approx(0.0, abs=1e-12)
    assert bootstrap_std([0.7]) == 0.0


def test_bootstrap_std_of_the_mean_is_the_standard_error():
    values = np.random.default_rng(1).random(400)
    expected = values.std() / np.sqrt(len(values))
    assert bootstrap_std(values, draws=2000) == pytest.approx(expected, rel=0.1)


def test_bootstrap_std_is_seeded():
    values = [0.1, 0.9, 0.5, 0.3]
    assert bootstrap_std(values, seed=3) == bootstrap_std(values, seed=3)


def test_bootstrap_std_takes_a_statistic_over_rows():
    counts = [(1, 0, 0), (0, 1, 1)] * 20
    std = bootstrap_std(counts, statistic=lambda c: shingle_scores(c)["f1"])
    assert 0.0 < std < 0.2


# --- the benchmark's published outputs -----------------------------------------------------
# CI sets DATA_MIRROR to its local copy of the datasets, relative to the repository root.
MIRROR = settings.REPO / settings.DATA_MIRROR if settings.DATA_MIRROR else None
SCRAPINGHUB = MIRROR / "scrapinghub" if MIRROR else None

# Published figures (the benchmark's README): name -> (F1, P, R)
PUBLISHED = {
    "trafilatura": (0.958, 0.938, 0.978),
    "readability_js": (0.947, None, None),
    "boilerpipe": (0.860, None, None),
    "justext": (0.804, None, None),
}


def read_prediction_file(path: Path) -> dict[str, str]:
    """Page id -> predicted article body; files come with or without the `output` wrapper."""
    record = json.loads(path.read_text(encoding="utf-8"))
    predictions = record.get("output", record)
    return {page_id: item.get("articleBody", "") for page_id, item in predictions.items()}


def published_counts(name: str) -> list[tuple[int, int, int]]:
    gold = json.loads((SCRAPINGHUB / "ground-truth.json").read_text(encoding="utf-8"))
    predicted = read_prediction_file(SCRAPINGHUB / "published-outputs" / f"{name}.json")
    assert predicted.keys() == gold.keys()
    return [shingle_counts(predicted[page_id], gold[page_id].get("articleBody", "")) for page_id in gold]


needs_mirror = pytest.mark.skipif(
    SCRAPINGHUB is None or not SCRAPINGHUB.is_dir(),
    reason=f"the ScrapingHub dataset mirror is absent (DATA_MIRROR={settings.DATA_MIRROR!r} -> {SCRAPINGHUB}); "
    "set DATA_MIRROR to a local copy of the datasets to check the scorer against the published figures",
)


@needs_mirror
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_scorer_reproduces_the_published_f1(name):
    f1, precision, recall = PUBLISHED[name]
    scores = shingle_scores(published_counts(name))
    assert round(scores["f1"], 3) == f1
    if precision is not None:
        assert round(scores["precision"], 3) == precision
        assert round(scores["recall"], 3) == recall


@needs_mirror
def test_scorer_reproduces_the_published_bootstrap_std():
    std = bootstrap_std(published_counts("trafilatura"), statistic=lambda c: shingle_scores(c)["f1"])
    assert round(std, 3) == pytest.approx(0.006, abs=0.0015)
