"""Line labels from gold main text: which lines of a page are the gold text.

Gold text is not line labels; this alignment derives them. Each gold word 3-gram can be
claimed once, by the first line (in page order) that needs it, so a page that carries its
article twice (mobile and desktop copies, hidden duplicates) gets one copy labelled content.
Lines too short for a 3-gram (headings, list items, table cells) are content when they are
a whole line (or table cell) of the gold text not yet claimed.
"""

from collections import Counter

from .metrics import words

MIN_SHARE = 0.5  # share of a line's 3-grams that must be unclaimed gold 3-grams


def _trigrams(tokens: list[str]) -> list[tuple[str, str, str]]:
    return list(zip(tokens, tokens[1:], tokens[2:]))


def label_lines(lines: list[str], gold: str) -> list[int]:
    """1 for each line that is part of the gold text, 0 for boilerplate, in page order."""
    gold_tokens = words(gold)
    free_trigrams = Counter(_trigrams(gold_tokens))
    # Gold tables come as tab-separated rows; their cells are the page's short lines.
    free_short_lines = Counter(
        key for line in gold.splitlines() for cell in line.split("\t") if 0 < len(key := tuple(words(cell))) < 3
    )
    labels = []
    for line in lines:
        tokens = words(line)
        if len(tokens) >= 3:
            grams = _trigrams(tokens)
            hits = [g for g in grams if free_trigrams[g] > 0]
            is_content = len(hits) >= MIN_SHARE * len(grams)
            if is_content:
                free_trigrams.subtract(hits)
        else:
            key = tuple(tokens)
            is_content = bool(tokens) and free_short_lines[key] > 0
            if is_content:
                free_short_lines[key] -= 1
        labels.append(int(is_content))
    return labels
