"""Line labels from gold main text: which lines of a page are the gold text.

Gold text is not line labels; this alignment derives them, in three passes:
1. A line of 3 words or more is content when most of its word 3-grams are gold 3-grams not
   yet claimed. Each gold 3-gram can be claimed once, by the first line (in page order)
   that needs it, so a page that carries its article twice (mobile and desktop copies,
   hidden duplicates) gets one copy labelled content.
2. A shorter line (a heading, a list item, a table cell) is content when it is a whole line
   (or table cell) of the gold text not yet claimed.
3. Any other short line is content when it sits inside a run of words that the gold text
   also holds in a row, and the gold text still has its words once the content lines have
   taken theirs: a table row that the gold gives as one line of words, and the page as one
   line per cell.
"""

from collections import Counter

import numpy as np

from .metrics import words

MIN_SHARE = 0.5  # share of a line's 3-grams that must be unclaimed gold 3-grams
# Words in a row, on the page and in the gold text, that place a short line inside the gold
# text: long enough to leave out chance matches of a word or two (docs/experiments.md).
MIN_RUN = 4


def _ngrams(tokens: list[str], n: int) -> zip:
    return zip(*(tokens[k:] for k in range(n)))


def _trigrams(tokens: list[str]) -> list[tuple[str, str, str]]:
    return list(_ngrams(tokens, 3))


def label_lines(lines: list[str], gold: str) -> list[int]:
    """1 for each line that is part of the gold text, 0 for boilerplate, in page order."""
    gold_tokens = words(gold)
    line_tokens = [words(line) for line in lines]
    labels = _label_long_lines(line_tokens, gold_tokens)
    _label_short_lines_of_gold_lines(line_tokens, gold, labels)
    _label_short_lines_in_gold_runs(line_tokens, gold_tokens, labels)
    return labels


def _label_long_lines(line_tokens: list[list[str]], gold_tokens: list[str]) -> list[int]:
    free_trigrams = Counter(_trigrams(gold_tokens))
    labels = [0] * len(line_tokens)
    for i, tokens in enumerate(line_tokens):
        if len(tokens) >= 3:
            grams = _trigrams(tokens)
            hits = [g for g in grams if free_trigrams[g] > 0]
            if len(hits) >= MIN_SHARE * len(grams):
                labels[i] = 1
                free_trigrams.subtract(hits)
    return labels


def _is_short(tokens: list[str]) -> bool:
    return 0 < len(tokens) < 3


def _label_short_lines_of_gold_lines(line_tokens: list[list[str]], gold: str, labels: list[int]) -> None:
    # Gold tables often come as tab-separated rows; their cells are the page's short lines.
    free_short_lines = Counter(key for line in gold.splitlines() for cell in line.split("\t") if _is_short(key := tuple(words(cell))))
    for i, tokens in enumerate(line_tokens):
        key = tuple(tokens)
        if not labels[i] and _is_short(tokens) and free_short_lines[key] > 0:
            labels[i] = 1
            free_short_lines[key] -= 1


def _label_short_lines_in_gold_runs(line_tokens: list[list[str]], gold_tokens: list[str], labels: list[int]) -> None:
    """Label content each short line still unlabelled whose words all fall in a run of
    MIN_RUN page words (across line ends) that the gold text also holds in a row, while the
    gold text still has its words: a bag-of-words F1 never gains from a word the gold holds
    fewer times. Shared word n-grams, found by hashing, take time in proportion to the page:
    difflib's in-order matching found the same runs (labels differed on 236 of 414,520
    WCXB lines) but took 80 s on a page of 90,000 gold words."""
    if not any(_is_short(tokens) and not label for tokens, label in zip(line_tokens, labels)):
        return
    page_tokens = [token for tokens in line_tokens for token in tokens]
    gold_runs = set(_ngrams(gold_tokens, MIN_RUN))
    # +1 where a shared run starts, -1 after it ends: the running sum is > 0 inside runs.
    run_edges = np.zeros(len(page_tokens) + 1, dtype=np.int32)
    for start, run in enumerate(_ngrams(page_tokens, MIN_RUN)):
        if run in gold_runs:
            run_edges[start] += 1
            run_edges[start + MIN_RUN] -= 1
    in_run = np.cumsum(run_edges)[:-1] > 0
    line_starts = np.cumsum([0] + [len(tokens) for tokens in line_tokens])
    free_words = Counter(gold_tokens)
    for tokens, label in zip(line_tokens, labels):
        if label:
            free_words.subtract(tokens)
    for i, tokens in enumerate(line_tokens):
        if labels[i] or not _is_short(tokens) or not in_run[line_starts[i] : line_starts[i + 1]].all():
            continue
        needed = Counter(tokens)
        if all(free_words[token] >= n for token, n in needed.items()):
            labels[i] = 1
            free_words.subtract(needed)
