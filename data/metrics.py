"""The benchmarks' own metrics, shared by labelling (its ceiling), training (threshold) and evaluation.

- WCXB: word-level bag-of-words precision/recall/F1 per page, tokens = `\\w+` of lowercased text.
- ScrapingHub: precision/recall over token 4-shingles of the article body, per page, averaged
  over pages and combined into F1 as the benchmark's `evaluate.py` does, with a bootstrap
  standard deviation.
"""

import re
from collections import Counter

import numpy as np

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """WCXB's tokens: `re.findall(r'\\w+', text.lower())`."""
    return _WORD.findall(text.lower())


def f1_of(precision: float, recall: float) -> float:
    """Their harmonic mean; 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def prf(overlap: float, predicted: float, expected: float) -> tuple[float, float, float]:
    """Precision, recall, F1 from an overlap and the two sizes; empty vs empty is perfect."""
    if predicted == 0 and expected == 0:
        return 1.0, 1.0, 1.0
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / expected if expected else 0.0
    return precision, recall, f1_of(precision, recall)


def word_prf(predicted: str | Counter, gold: str | Counter) -> tuple[float, float, float]:
    """WCXB word-level precision, recall, F1 of one page (bags of words)."""
    predicted = predicted if isinstance(predicted, Counter) else Counter(words(predicted))
    gold = gold if isinstance(gold, Counter) else Counter(words(gold))
    overlap = sum((predicted & gold).values())
    return prf(overlap, sum(predicted.values()), sum(gold.values()))


def snippet_rate(text: str, snippets: list[str]) -> float | None:
    """Share of snippets found in text (whitespace and case normalised); None without snippets."""
    if not snippets:
        return None
    haystack = " ".join(text.lower().split())
    return sum(" ".join(s.lower().split()) in haystack for s in snippets) / len(snippets)


# --- ScrapingHub article-extraction benchmark ------------------------------------------
# As the benchmark's own evaluate.py computes it (checked against its published figures in
# tests/test_metrics.py): tokens are `\w+` with case kept, shingles are token 4-grams counted
# as multisets, and a set of pages scores the mean precision over pages that output anything,
# the mean recall over pages whose gold has anything, and the harmonic mean of those two
# means as F1 (not the mean of per-page F1s).


def shingles(text: str, n: int = 4) -> Counter:
    """Token n-gram multiset; a text of fewer than n tokens is one shorter shingle, as in the benchmark."""
    tokens = _WORD.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def shingle_counts(predicted: str, gold: str) -> tuple[int, int, int]:
    """True-positive, false-positive and false-negative shingles of one page."""
    p, g = shingles(predicted), shingles(gold)
    overlap = sum((p & g).values())
    return overlap, sum(p.values()) - overlap, sum(g.values()) - overlap


def shingle_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """ScrapingHub shingle precision, recall, F1 of one page."""
    tp, fp, fn = shingle_counts(predicted, gold)
    return prf(tp, tp + fp, tp + fn)


def shingle_scores(counts) -> dict[str, float]:
    """The benchmark's precision, recall and F1 of a set of pages, from their `shingle_counts`."""
    tp, fp, fn = np.asarray(counts, dtype=float).reshape(-1, 3).T
    predicted, expected = tp + fp, tp + fn
    # A system that outputs nothing on every page scores 0, where the benchmark would crash.
    precision = float((tp[predicted > 0] / predicted[predicted > 0]).mean()) if (predicted > 0).any() else 0.0
    recall = float((tp[expected > 0] / expected[expected > 0]).mean()) if (expected > 0).any() else 0.0
    return {"precision": precision, "recall": recall, "f1": f1_of(precision, recall)}


def bootstrap_std(rows, statistic=np.mean, draws: int = 1000, seed: int = 0) -> float:
    """Standard deviation of `statistic` over bootstrap resamples of the rows (pages).

    `statistic` maps an array of resampled rows to a number: the mean by default (per-page
    scores), or e.g. `lambda c: shingle_scores(c)["f1"]` over `shingle_counts` rows. The
    sample standard deviation (ddof=1), as the benchmark's `statistics.stdev`.
    """
    rows = np.asarray(rows, dtype=float)
    if len(rows) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    values = [statistic(rows[rng.integers(0, len(rows), size=len(rows))]) for _ in range(draws)]
    return float(np.std(values, ddof=1))
