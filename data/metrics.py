"""The benchmarks' own metrics, shared by labelling (its ceiling), training (threshold) and evaluation.

- WCXB: word-level bag-of-words precision/recall/F1 per page, tokens = `\\w+` of lowercased text.
- ScrapingHub: precision/recall/F1 over token 4-shingles of the article body, per page
  (the benchmark's `evaluate.py`), averaged with a bootstrap standard deviation.
"""

import re
from collections import Counter

import numpy as np

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """WCXB's tokens: `re.findall(r'\\w+', text.lower())`."""
    return _WORD.findall(text.lower())


def prf(overlap: float, predicted: float, expected: float) -> tuple[float, float, float]:
    """Precision, recall, F1 from an overlap and the two sizes; empty vs empty is perfect."""
    if predicted == 0 and expected == 0:
        return 1.0, 1.0, 1.0
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


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
_SHINGLE_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    """Token n-gram multiset, as the benchmark computes it."""
    tokens = _SHINGLE_TOKEN.findall(text.lower())
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def shingle_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """ScrapingHub shingle precision, recall, F1 of one page."""
    p, g = shingles(predicted), shingles(gold)
    overlap = sum((p & g).values())
    return prf(overlap, sum(p.values()), sum(g.values()))


def bootstrap_std(values, draws: int = 1000, seed: int = 0) -> float:
    """Standard deviation of the mean of `values` over bootstrap resamples of pages."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(draws, len(values)))].mean(axis=1)
    return float(means.std())
